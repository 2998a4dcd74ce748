#!/bin/sh
# `upqr sign`: request bodies signed with the merchant key, checked against a
# signature computed independently with the openssl command line.
. tests/cli/lib.sh
PKI=build/pki
UP=../shared/vectors/unionpay-test-env
printf '000000\n' >"$TMP/pw"
printf 'wrong\n' >"$TMP/badpw"
printf 'version=5.1.0\nencoding=UTF-8\nsignMethod=01\ntxnType=01\nmerId=777290058110048\r\norderId=20221010abc\ntxnAmt=1\nbackUrl=http://x/y?a=b\nreqReserved={c=d&e=[f]}\nmemo=a b+c\n' >"$TMP/fields"

# kat MD KEY CERTID: the signature the openssl CLI computes for $TMP/fields
kat() {
	sort_str=$(grep -v '^$' "$TMP/fields" | tr -d '\r' | { cat; echo "certId=$3"; } | LC_ALL=C sort | paste -sd '&' -)
	printf '%s' "$sort_str" | openssl dgst "-$1" -r | cut -d' ' -f1 | tr -d '\n' |
		openssl dgst "-$1" -sign "$2" | openssl base64 -A
}
# urldecode of the signature field of the last output
sig_of_out() { sed -n 's/.*&signature=//p' "$TMP/out" | sed 's/%2B/+/g; s/%2F/\//g; s/%3D/=/g'; }

expect_rc "sign with the UnionPay test pfx" 0 "$UPQR" sign --pfx $UP/acp_test_sign.pfx --password-file "$TMP/pw" <"$TMP/fields"
expect_out "certId is the decimal serial" '&certId=69903319369&signature='
expect_out "values are URL-encoded" 'backUrl=http%3A%2F%2Fx%2Fy%3Fa%3Db&reqReserved=%7Bc%3Dd%26e%3D%5Bf%5D%7D&memo=a%20b%2Bc'
[ "$(wc -l <"$TMP/out")" -eq 1 ] && ok "one line" || not_ok "one line"
openssl pkcs12 -in $UP/acp_test_sign.pfx -passin pass:000000 -nocerts -nodes -out "$TMP/up.key" 2>/dev/null
kat_sig=$(kat sha256 "$TMP/up.key" 69903319369)
[ -n "$kat_sig" ] && [ "$(sig_of_out)" = "$kat_sig" ] && ok "01/5.1.0 matches openssl dgst" || not_ok "01/5.1.0 KAT: $(sig_of_out) != $kat_sig"

sed 's/^version=5.1.0/version=5.0.0/' "$TMP/fields" >"$TMP/f500" && mv "$TMP/f500" "$TMP/fields"
expect_rc "sign 5.0.0" 0 "$UPQR" sign --pfx $PKI/merchant.pfx --password-file "$TMP/pw" --version 5.0.0 <"$TMP/fields"
serial=$(openssl x509 -in $PKI/merchant.pem -noout -serial | cut -d= -f2)
certid=$(printf "%d" "0x$serial")
kat_sig=$(kat sha1 $PKI/merchant.key "$certid")
[ -n "$kat_sig" ] && [ "$(sig_of_out)" = "$kat_sig" ] && ok "01/5.0.0 matches openssl dgst (SHA-1)" || not_ok "01/5.0.0 KAT"
expect_rc "5.0.0 fields with a 5.1.0 signer are refused" 1 "$UPQR" sign --pfx $PKI/merchant.pfx --password-file "$TMP/pw" <"$TMP/fields"
expect_err "the refusal names the field" 'version differs'

expect_rc "PEM key and cert" 0 "$UPQR" sign --key $PKI/merchant.key --cert $PKI/merchant.pem --version 5.0.0 <"$TMP/fields"
[ "$(sig_of_out)" = "$kat_sig" ] && ok "PEM and PKCS#12 sign alike" || not_ok "PEM signature differs"
expect_rc "legacy RC2 PKCS#12 loads" 0 "$UPQR" sign --pfx $PKI/merchant_legacy.pfx --password-file "$TMP/pw" --version 5.0.0 <"$TMP/fields"

expect_rc "wrong password" 1 "$UPQR" sign --pfx $UP/acp_test_sign.pfx --password-file "$TMP/badpw" <"$TMP/fields"
expect_err "wrong password is named" 'UPQR_EPASSWORD'
if grep -q wrong "$TMP/err"; then
	grep -q 'wrong key store password' "$TMP/err" && ! grep -qx wrong "$TMP/err" && ok "password not echoed" || not_ok "password echoed"
else ok "password not echoed"; fi
printf 'a=1\nempty=\n' >"$TMP/in"; run "$UPQR" sign --pfx $PKI/merchant.pfx --password-file "$TMP/pw" <"$TMP/in"
[ "$RC" -eq 1 ] && grep -q 'empty' "$TMP/err" && ok "empty values refused" || not_ok "empty values (rc $RC)"
printf 'version=5.1.0\nbackUrl=http://x/y?a=b&respCode=00\n' >"$TMP/in"; run "$UPQR" sign --pfx $PKI/merchant.pfx --password-file "$TMP/pw" <"$TMP/in"
[ "$RC" -eq 1 ] && grep -q "UPQR_EAMBIGUOUS: field 1 ('backUrl')" "$TMP/err" && ok "a raw '&' in a value is refused, naming the field" || not_ok "ambiguous value signed (rc $RC)"
printf 'version=5.1.0\nreqReserved={a=1&b=2}x\n' >"$TMP/in"; run "$UPQR" sign --pfx $PKI/merchant.pfx --password-file "$TMP/pw" <"$TMP/in"
[ "$RC" -eq 1 ] && grep -q UPQR_EAMBIGUOUS "$TMP/err" && ok "text after a composite's closing brace is refused" || not_ok "{...}x signed (rc $RC)"
printf 'version=5.1.0\ntxnAmt=1\n' >"$TMP/f2"
run "$UPQR" sign --key $PKI/merchant.key --cert $PKI/merchant_expired.pem <"$TMP/f2"
[ "$RC" -eq 0 ] && grep -q '&signature=' "$TMP/out" && grep -q 'warning: merchant certificate .* expired' "$TMP/err" &&
	ok "expired merchant certificate: signed, with a warning" || not_ok "expired merchant certificate (rc $RC)"
run "$UPQR" sign --key $PKI/merchant.key --cert $PKI/merchant.pem <"$TMP/f2"
[ "$RC" -eq 0 ] && [ ! -s "$TMP/err" ] && ok "valid merchant certificate: no warning" || not_ok "spurious warning"
printf 'no equals sign\n' >"$TMP/in"; run "$UPQR" sign --pfx $PKI/merchant.pfx --password-file "$TMP/pw" <"$TMP/in"
[ "$RC" -eq 1 ] && ok "malformed line refused" || not_ok "malformed line (rc $RC)"
expect_rc "missing pfx file is an I/O error" 3 "$UPQR" sign --pfx "$TMP/nope.pfx" --password-file "$TMP/pw" <"$TMP/fields"
expect_rc "missing key is a usage error" 2 "$UPQR" sign <"$TMP/fields"
expect_rc "bad sign method is a usage error" 2 "$UPQR" sign --pfx $PKI/merchant.pfx --password-file "$TMP/pw" --sign-method 02 <"$TMP/fields"
no_sanitizer_report "sign"
done_testing
