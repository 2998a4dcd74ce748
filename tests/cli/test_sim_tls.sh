#!/bin/sh
# upqr-sim: HTTPS, a configuration file (merchant signing variants, disabled merchant,
# limits), 5.0.0 and SM3 notifications, the notification timeout.
. tests/cli/lib.sh
. tests/cli/sim/sim_lib.sh

cat >"$TMP/config.json" <<JSON
{ "notifyTimeoutMs": 300, "timeScale": 600, "queryUnpaid34": true,
  "merchants": [
    { "merId": "777290058110048", "cert": "$PKI/merchant.pem", "pfx": "$PKI/merchant.pfx",
      "secureKey": "k-0001", "limit": 5000 },
    { "merId": "777290058110049", "cert": "$PKI/merchant2.pem", "pfx": "$PKI/merchant2.pfx",
      "signing": "expired", "txnTypes": "01,00" },
    { "merId": "777290058110050", "cert": "$PKI/upop_sign_testcn.pem", "enabled": false } ] }
JSON
backend_start slow200,200
sim_start --tls --config "$TMP/config.json" --state :memory: || { not_ok "starts with --tls"; done_testing; exit 1; }
case "$BASE" in https://127.0.0.1:*) ok "--tls: https base URL" ;; *) not_ok "--tls: https base URL ($BASE)" ;; esac
CA=$($ST json "$TMP/ready" tlsCaCert)
NOW=$(curl -s --cacert "$CA" "$BASE/__sim/clock" | python3 -c 'import json,sys; print(json.load(sys.stdin)["now"])')
[ -n "$NOW" ] && ok "TLS verified against tlsCaCert" || not_ok "TLS verified against tlsCaCert"
curl -s -o /dev/null "$BASE/__sim/clock"; rc=$?
[ $rc = 60 ] && ok "TLS without the CA is refused by curl" || not_ok "TLS without the CA ($rc)"
curl -s -o /dev/null --cacert "$CA" "https://localhost:${BASE##*:}/__sim/clock" && ok "certificate names localhost" \
	|| not_ok "certificate names localhost"
post() { # TLS variant of sim_lib's post
	HTTP=$(curl -s --cacert "$CA" -o "$TMP/resp" -w '%{http_code}' -H "$CT" --data-binary @"$TMP/body" "$BASE$1")
}
TAG=$(date +%s)
fields 01 06 "T${TAG}a1" txnTime=$NOW txnAmt=5001 currencyCode=156 channelType=07 qrNo=6200000000000000001 backUrl=$BACK
sign_sdk; back
expect_field "configured limit 5000: 33" respCode 33
fields 01 06 "T${TAG}a2" txnTime=$NOW txnAmt=5000 currencyCode=156 channelType=07 qrNo=6200000000000000001 backUrl=$BACK
sign_sdk; back
expect_field "consume over HTTPS: 00" respCode 00
verified "reply over HTTPS verifies"
i=0; while [ $i -lt 40 ] && ! curl -s --cacert "$CA" "$BASE/__sim/notifications" | grep -q delivered; do
	sleep 0.1; i=$((i + 1))
done
curl -s --cacert "$CA" "$BASE/__sim/notifications" >"$TMP/log"
python3 - "$TMP/log" <<'PY' && ok "slow backUrl: attempt 1 timed out (300 ms), a later one delivered" || not_ok "notification timeout"
import json, sys
l = json.load(open(sys.argv[1]))
r = [(a['result'], a['httpStatus'], a['elapsedMs']) for a in l]
ok = r[0][0] == 'failed' and r[0][1] == 0 and r[0][2] < 900 and r[-1][0] == 'delivered'
sys.exit(0 if ok else print(r) or 1)
PY
# timeScale 600 makes a QR live 1.5 s: freeze the clock so a slow machine cannot expire it here
curl -s -o /dev/null --cacert "$CA" -d freeze=1 "$BASE/__sim/clock"
fields 01 07 "T${TAG}a3" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 backUrl=$BACK
sign_sdk; back
fields 00 00 "T${TAG}a3" txnTime=$NOW; sign_sdk; back
expect_field "query on backTransReq.do: 10" respCode 10
post /gateway/api/queryTrans.do
expect_field "queryUnpaid34: unpaid QR queried: 34" respCode 34

# second merchant: replies signed with the expired certificate; refunds not enabled
PFX=$PKI/merchant2.pfx MERID=777290058110049 fields 01 07 "T${TAG}b1" txnTime=$NOW txnAmt=100 \
	currencyCode=156 channelType=08 backUrl=$BACK
PFX=$PKI/merchant2.pfx sign_sdk; back
expect_field "second merchant (merchant2.pfx): 00" respCode 00
"$UPQR" verify $ROOTS --format response <"$TMP/resp" >"$TMP/verr" 2>&1
grep -q ECERT_EXPIRED "$TMP/verr" && ok "per-merchant signing=expired" || not_ok "per-merchant signing=expired"
MERID=777290058110049 fields 04 00 "T${TAG}b2" txnTime=$NOW txnAmt=100 channelType=07 origQryId=1 backUrl=$BACK
PFX=$PKI/merchant2.pfx sign_sdk; back
expect_field "txnType not enabled for the merchant: 32" respCode 32
fields 01 07 "T${TAG}b3" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 backUrl=$BACK
PFX=$PKI/merchant2.pfx sign_sdk; back
expect_field "merchant2's key signing for merchant 1's merId: 11" respCode 11
MERID=777290058110050 fields 01 07 "T${TAG}b4" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 backUrl=$BACK
KEY=$PKI/upop_sign.key OSSL_CERTID=$($ST json "$TMP/ready" merchants.2.certId) sign_openssl
HTTP=$(curl -s --cacert "$CA" -o "$TMP/resp" -w '%{http_code}' -H "$CT" -K "$TMP/curl.cfg" "$BASE/gateway/api/backTransReq.do")
expect_field "disabled merchant: 31" respCode 31

# 5.0.0 and signMethod 12 (SM3) notifications
rm -f "$TMP/back/"*
VER=5.0.0 fields 01 06 "T${TAG}c1" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=07 \
	qrNo=6200000000000000001 backUrl=$BACK
VER=5.0.0 sign_sdk; back
expect_field "5.0.0 consume: 00" respCode 00
i=0; while [ $i -lt 40 ] && ! ls "$TMP/back/"*.body >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
f=$(ls "$TMP/back/"*.body | head -1)
[ "$($ST form "$f" version)" = 5.0.0 ] && $ST form "$f" certId >/dev/null && ok "5.0.0 notification carries certId" \
	|| not_ok "5.0.0 notification carries certId"
"$UPQR" verify $ROOTS --cert-dir "$PKI/sim_certdir" --accept-versions 5.0.0 <"$f" >/dev/null 2>&1 && ok "5.0.0 notification verifies by certId" \
	|| not_ok "5.0.0 notification verifies by certId"
if openssl dgst -sm3 </dev/null >/dev/null 2>&1; then
	SKEY=k-0001 METHOD=12 fields 01 07 "T${TAG}c2" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 \
		backUrl=$BACK
	SKEY=k-0001 METHOD=12 sign_sdk; back
	expect_field "signMethod 12 (SM3): 00" respCode 00
	printf 'k-0001' >"$TMP/skey"
	"$UPQR" verify --secure-key-file "$TMP/skey" --format response <"$TMP/resp" >/dev/null 2>&1 \
		&& ok "SM3 reply verifies" || not_ok "SM3 reply verifies"
else
	ok "# SKIP signMethod 12: no SM3 in this OpenSSL"
fi
sim_stop
[ "$SIM_RC" = 0 ] && ok "stops cleanly" || not_ok "stops cleanly ($SIM_RC)"
done_testing
