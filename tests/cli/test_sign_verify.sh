#!/bin/sh
# `upqr verify`: UnionPay-style responses and notifications built here with
# the openssl command line (independent of the SDK's signer) over build/pki.
. tests/cli/lib.sh
PKI=build/pki
UP=../shared/vectors/unionpay-test-env
ROOTS="--root $PKI/root.pem --middle $PKI/middle.pem"

# head ORDER [CERTID] / tail VERSION: the sorted fields around signPubKeyCert.
head_fields() {
	printf 'accessType=0&bizType=000000&'
	[ -n "${2:-}" ] && printf 'certId=%s&' "$2"
	printf 'encoding=UTF-8&merId=777290058110048&orderId=%s&respCode=00&respMsg=%s&signMethod=01' "$1" "成功"
}
tail_fields() { printf '&txnType=01&version=%s' "$1"; }
# string_to_sign CERT ORDER VERSION CERTID: the PEM with CRLF line ends (5.1.0), or certId (5.0.0).
string_to_sign() {
	if [ "$3" = 5.1.0 ]; then
		head_fields "$2"; printf '&signPubKeyCert='; sed 's/$/\r/' "$1"
	else
		head_fields "$2" "$4"
	fi
	tail_fields "$3"
}
# response KEY CERT ORDER [VERSION MD CERTID] > file: raw k=v&k=v body
response() {
	ver=${4:-5.1.0}; md=${5:-sha256}
	string_to_sign "$2" "$3" "$ver" "${6:-}" >"$TMP/sts"
	sig=$(openssl dgst "-$md" -r <"$TMP/sts" | cut -d' ' -f1 | tr -d '\n' | openssl dgst "-$md" -sign "$1" | openssl base64 -A)
	cat "$TMP/sts"
	printf '&signature=%s' "$sig"
}
# form KEY CERT ORDER > file: the same as a URL-encoded notification body
form() {
	head_fields "$3" | sed 's/成功/%E6%88%90%E5%8A%9F/'
	printf '&signPubKeyCert='
	sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g; s/ /+/g' "$2" | awk '{ printf "%s%%0D%%0A", $0 }'
	tail_fields 5.1.0
	printf '&signature='
	response "$1" "$2" "$3" | sed -n 's/.*&signature=//p' | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g'
}
verify() { run "$UPQR" verify "$@" <"$TMP/msg"; }
# The verdict and its reasons are on stdout (stderr too with --json, which keeps stdout exact).
check() { # NAME RC [PATTERN]
	if [ "$RC" -eq "$2" ] && { [ -z "${3:-}" ] || cat "$TMP/out" "$TMP/err" | grep -Eq -- "$3"; }; then ok "$1"
	else not_ok "$1 (exit $RC, wanted $2 ${3:-})"; cat "$TMP/out" "$TMP/err" | sed 's/^/# /' | head -5; fi
	no_sanitizer_report "$1"
}

response $PKI/upop_sign.key $PKI/upop_sign.pem ord001 >"$TMP/msg"
verify $ROOTS --format response; check "response verifies" 0
grep -qx verified "$TMP/out" && ok "prints verified" || not_ok "prints verified"
form $PKI/upop_sign.key $PKI/upop_sign.pem ord002 >"$TMP/msg"
verify $ROOTS; check "URL-encoded notification verifies (default format)" 0
verify $ROOTS --format response; check "...but not when read as a raw response" 1 'UPQR_EBASE64|UPQR_ESIG_DIGEST'

response $PKI/upop_sign.key $PKI/upop_sign.pem ord003 | sed 's/orderId=ord003/orderId=ord004/' >"$TMP/msg"
verify $ROOTS --format response; check "tampered field" 1 'UPQR_ESIG_DIGEST: signature does not match'
response $PKI/upop_sign.key $PKI/upop_sign.pem ord005 | sed 's/&signature=.*//' >"$TMP/msg"
verify $ROOTS --format response; check "missing signature" 1 UPQR_ESIG_MISSING
response $PKI/upop_sign.key $PKI/upop_sign.pem ord005 | sed 's/&signature=/&signature=%/' >"$TMP/msg"
verify $ROOTS --format response; check "malformed base64" 1 UPQR_EBASE64
response $PKI/rogue.key $PKI/rogue.pem ord006 >"$TMP/msg"
verify $ROOTS --format response; check "self-signed certificate with a valid signature" 1 UPQR_ECERT_UNTRUSTED
verify $ROOTS --format response --test-env; check "...also in the test environment" 1 UPQR_ECERT_UNTRUSTED

response $PKI/upop_sign.key $PKI/upop_sign_expired.pem ord007 >"$TMP/msg"
verify $ROOTS --format response; check "expired certificate" 1 UPQR_ECERT_EXPIRED
verify $ROOTS --format response --at 2020-06-01T08:00:00+08:00; check "archived message at its time (ISO 8601)" 0
verify $ROOTS --format response --at @1590969600; check "archived message at its time (@unix)" 0
verify $ROOTS --format response --at 2021-01-01T08:00:01+08:00; check "one second after notAfter" 1 UPQR_ECERT_EXPIRED
response $PKI/upop_sign.key $PKI/upop_sign_notyet.pem ord008 >"$TMP/msg"
verify $ROOTS --format response; check "not-yet-valid certificate" 1 UPQR_ECERT_NOTYET

response $PKI/upop_sign.key $PKI/upop_sign_wrongorg.pem ord009 >"$TMP/msg"
verify $ROOTS --format response --test-env; check "wrong organisation in the CN" 1 UPQR_ECERT_CN
response $PKI/upop_sign.key $PKI/upop_sign_short.pem ord010 >"$TMP/msg"
verify $ROOTS --format response; check "CN with two fields" 1 'UPQR_ECERT_CN: .*four'
response $PKI/upop_sign.key $PKI/upop_sign_testcn.pem ord011 >"$TMP/msg"
verify $ROOTS --format response; check "test CN refused by default" 1 UPQR_ECERT_CN
verify $ROOTS --format response --test-env; check "test CN accepted with --test-env" 0

response $PKI/upop_sign.key $PKI/upop_sign.pem ord012 >"$TMP/msg"
verify --root $UP/acp_test_root.cer --middle $UP/acp_test_middle.cer --format response
check "UnionPay's real test chain does not vouch for the simulator's certificate" 1 UPQR_ECERT_UNTRUSTED
# UnionPay's real SHA-1 test chain vouches for the test merchant's certificate (so the chain is
# built under OpenSSL 3), whose CN then is not UnionPay's; it expired on 2026-11-26.
openssl pkcs12 -in $UP/acp_test_sign.pfx -passin pass:000000 -nokeys -clcerts 2>/dev/null |
	sed -n '/BEGIN/,/END/p' >"$TMP/upleaf.pem"
openssl pkcs12 -in $UP/acp_test_sign.pfx -passin pass:000000 -nocerts -nodes 2>/dev/null >"$TMP/upleaf.key"
response "$TMP/upleaf.key" "$TMP/upleaf.pem" ord016 >"$TMP/msg"
UPROOTS="--root $UP/acp_test_root.cer --middle $UP/acp_test_middle.cer"
verify $UPROOTS --format response --test-env --at 2024-01-01T00:00:00Z; check "real test chain holds, CN refused" 1 UPQR_ECERT_CN
verify $UPROOTS --format response --test-env; check "real test merchant certificate expired now" 1 UPQR_ECERT_EXPIRED
response $PKI/upop_sign.key $PKI/upop_sign.pem ord017 >"$TMP/msg"
openssl x509 -in $PKI/root.pem -outform DER -out "$TMP/root.der"
openssl x509 -in $PKI/middle.pem -outform DER -out "$TMP/middle.der"
verify --root "$TMP/root.der" --middle "$TMP/middle.der" --format response; check "DER trust anchors" 0

mkdir "$TMP/certs" && cp $PKI/upop_sign.pem "$TMP/certs/acp_test_verify_sign.cer"
serial=$(openssl x509 -in $PKI/upop_sign.pem -noout -serial | cut -d= -f2)
certid=$(printf '%d' "0x$serial")
response $PKI/upop_sign.key $PKI/upop_sign.pem ord013 5.0.0 sha1 "$certid" >"$TMP/msg"
verify --cert-dir "$TMP/certs" --format response; check "5.0.0: --cert-dir alone has nothing to chain to" 2
verify $ROOTS --cert-dir "$TMP/certs" --format response; check "5.0.0 refused when 5.1.0 trust is configured too (no downgrade)" 1 "UPQR_EUNSUPPORTED: version 5.0.0 is not accepted"
verify $ROOTS --cert-dir "$TMP/certs" --accept-versions 5.0.0 --format response; check "5.0.0: certificate from --cert-dir by certId, chained" 0
verify --test-env --cert-dir-unchecked --cert-dir "$TMP/certs" --format response; check "5.0.0: test-environment opt-out" 0
sed "s/certId=$certid/certId=1$certid/" "$TMP/msg" >"$TMP/msg2" && mv "$TMP/msg2" "$TMP/msg"
verify $ROOTS --cert-dir "$TMP/certs" --accept-versions 5.0.0 --format response; check "5.0.0: unknown certId" 1 UPQR_ECERT_UNKNOWN

printf '88888888\n' >"$TMP/sk"
printf 'version=5.1.0\nsignMethod=11\norderId=ord014\nmemo={a&b c}\n' |
	"$UPQR" sign --sign-method 11 --secure-key-file "$TMP/sk" >"$TMP/msg"
verify --secure-key-file "$TMP/sk"; check "signMethod 11 round trip through upqr sign" 0
printf '88888889\n' >"$TMP/sk2"
verify --secure-key-file "$TMP/sk2"; check "signMethod 11 with another key" 1 UPQR_ESIG_DIGEST
printf 'version=5.1.0\nsignMethod=12\norderId=ord015\n' |
	"$UPQR" sign --sign-method 12 --secure-key-file "$TMP/sk" >"$TMP/msg"
verify --secure-key-file "$TMP/sk"; check "signMethod 12 (SM3) round trip" 0

# --json: the fields, with a plain card number masked in the output
printf 'version=5.1.0\nsignMethod=11\naccNo=6222021234567890123\n' |
	"$UPQR" sign --sign-method 11 --secure-key-file "$TMP/sk" >"$TMP/msg"
verify --secure-key-file "$TMP/sk" --json; check "--json verifies" 0
expect_out "--json says verified" '"verified": true'
expect_out "--json masks accNo" '"accNo": "622202\*{9}0123"'
if grep -q 6222021234567890123 "$TMP/out"; then not_ok "full PAN printed"; else ok "full PAN never printed"; fi
printf 'version=5.1.0\nsignMethod=11\npayCardNo=6222021234567890123\naccNo=62220212345678901234\nmemo=card 6222-0212-3456-7890 ok\nqueryId=782209081322060674028\n' |
	"$UPQR" sign --sign-method 11 --secure-key-file "$TMP/sk" >"$TMP/msg"
verify --secure-key-file "$TMP/sk" --json; check "--json with card numbers in several forms" 0
expect_out "--json masks payCardNo" '"payCardNo": "622202\*{9}0123"'
expect_out "--json masks a 20-digit accNo" '"accNo": "622202\*{10}1234"'
expect_out "--json masks a dashed card number in any field" '"memo": "card 6222-02\*\*-\*{4}-7890 ok"'
expect_out "--json keeps queryId whole" '"queryId": "782209081322060674028"'
if grep -Eq '6222021234567890123|62220212345678901234|3456-7890' "$TMP/out"; then not_ok "a full card number printed"; else ok "no full card number printed"; fi
verify --secure-key-file "$TMP/sk2" --json; check "--json failure" 1 UPQR_ESIG_DIGEST
expect_out "--json names the status" '"status": "UPQR_ESIG_DIGEST"'

printf 'a=%%zz' >"$TMP/msg"
verify $ROOTS; check "bad percent escape" 1 bad_percent_escape
verify $ROOTS --at yesterday; check "bad --at" 2
verify $ROOTS --at 2022-09-08T13:30:00; check "--at without an offset" 2
verify --root $PKI/root.pem; check "--root without --middle" 2
verify --root "$TMP/none" --middle $PKI/middle.pem; check "missing root file" 3
verify $ROOTS --format xml; check "bad --format" 2
done_testing
