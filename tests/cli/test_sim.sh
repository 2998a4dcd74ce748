#!/bin/sh
# upqr-sim: the gateway endpoints, validation codes, the state machine and its
# guards, settlement-day edges. Requests are signed by the SDK (`upqr sign`) and,
# independently, by the openssl and curl command lines; replies are verified both
# ways too.
. tests/cli/lib.sh
. tests/cli/sim/sim_lib.sh

sim_start --state "$TMP/state.db" || { not_ok "simulator starts"; done_testing; exit 1; }
ok "simulator starts and prints its ready line"
for k in port baseUrl backTransUrl queryUrl merId certId pfx pfxPassword rootCert middleCert secureKey tlsCaCert; do
	$ST json "$TMP/ready" $k >/dev/null 2>&1 && ok "ready line has $k" || not_ok "ready line has $k"
done
NOW=$(now_bj)
TAG=$(date +%s)

# ---- apply QR (01/07) and the payer -------------------------------------------------
O1="Q${TAG}a1"
fields 01 07 "$O1" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 backUrl=http://127.0.0.1:9/n \
	'reqReserved={a=1&b=[2]}'
sign_sdk; back
expect_field "apply QR: respCode 00" respCode 00
expect_field "apply QR: respMsg form" respMsg '成功[0000000]'
rf qrCode | grep -Eq '^https://qr\.95516\.com/00010000/[0-9]{32}$' && ok "apply QR: qrCode link" || not_ok "apply QR: qrCode link"
expect_field "apply QR: echoes orderId" orderId "$O1"
expect_field "apply QR: echoes txnTime" txnTime "$NOW"
expect_field "apply QR: composite reqReserved echoed in its braces" reqReserved '{a=1&b=[2]}'
verified "apply QR reply verifies (SDK)"
ossl_verified "apply QR reply verifies (openssl: chain, CRLF PEM, signature)"
QR=$(rf qrCode)
back
expect_field "byte-identical resend: 12" respCode 12
expect_field "duplicate respMsg" respMsg '重复交易[2010002]'
verified "duplicate reply is signed"

fields 00 00 "$O1" txnTime=$NOW
sign_sdk; query
expect_field "query unpaid QR: respCode 00" respCode 00
expect_field "query unpaid QR: origRespCode 05" origRespCode 05
hook /__sim/pay "qrCode=$QR&outcome=success"
[ "$HOOK_STATUS" = 200 ] && ok "payer pays by qrCode" || not_ok "payer pays by qrCode ($HOOK_STATUS)"
query
expect_field "query paid QR: origRespCode 00" origRespCode 00
rf queryId | grep -Eq '^[0-9]{21}$' && ok "queryId has 21 digits" || not_ok "queryId has 21 digits"
rf traceNo | grep -Eq '^[0-9]{6}$' && ok "traceNo 6 digits" || not_ok "traceNo 6 digits"
rf traceTime | grep -Eq '^[0-9]{10}$' && ok "traceTime MMDDhhmmss" || not_ok "traceTime MMDDhhmmss"
rf settleDate | grep -Eq '^[0-9]{4}$' && ok "settleDate MMDD" || not_ok "settleDate MMDD"
verified "query reply verifies"
hook /__sim/pay "orderId=$O1&outcome=success"
[ "$HOOK_STATUS" = 409 ] && ok "paying twice is refused" || not_ok "paying twice is refused ($HOOK_STATUS)"

O2="Q${TAG}a2"
fields 01 07 "$O2" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 backUrl=http://127.0.0.1:9/n
sign_sdk; back
hook /__sim/pay "orderId=$O2&outcome=decline"
fields 00 00 "$O2" txnTime=$NOW; sign_sdk; query
expect_field "declined payment: origRespCode 64" origRespCode 64
O3="Q${TAG}a3"
fields 01 07 "$O3" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 backUrl=http://127.0.0.1:9/n
sign_sdk; back
"$UPQR_SIM" pay --sim "$BASE" "$O3" --outcome expire >"$TMP/pay.out" 2>&1 && ok "upqr-sim pay --outcome expire" \
	|| not_ok "upqr-sim pay --outcome expire"
fields 00 00 "$O3" txnTime=$NOW; sign_sdk; query
expect_field "expired QR: origRespCode not 00" origRespCode 01

# ---- consume with qrNo (01/06), signed with openssl + curl ------------------------------
C1="C${TAG}b1"
fields 01 06 "$C1" txnTime=$NOW txnAmt=1000 currencyCode=156 channelType=07 qrNo=6200000000000000001 \
	termId=00000011 backUrl=http://127.0.0.1:9/n
sign_openssl; back openssl
expect_field "consume (openssl-signed request): 00" respCode 00
ossl_verified "consume reply verifies (openssl)"
QID=$(rf queryId)
fields 00 00 "$C1" txnTime=$NOW; sign_openssl; query openssl
expect_field "query consume (openssl): origRespCode 00" origRespCode 00
fields 00 02 "" queryId=$QID; sign_sdk; query
expect_field "query by queryId (00/02)" orderId "$C1"

# mreq TYPE ORDER AMOUNT TXNTIME ORIG-FIELDS...: a void (31) or refund (04), SDK-signed, posted.
mreq() {
	mt=$1; mo=$2; ma=$3; mtt=$4; shift 4
	fields "$mt" 00 "$mo" txnTime="$mtt" txnAmt="$ma" channelType=07 "$@" backUrl=http://127.0.0.1:9/n
	sign_sdk; back
}

O4="Q${TAG}a4"
fields 01 07 "$O4" txnTime=$NOW currencyCode=156 channelType=08 backUrl=http://127.0.0.1:9/n
sign_sdk; back
QR4=$(rf qrCode)
"$UPQR_SIM" pay --sim "$BASE" "$QR4" --outcome success >"$TMP/pay.out" 2>&1
[ $? = 1 ] && grep -q 'no amount' "$TMP/pay.out" && ok "QR without txnAmt: pay needs an amount" \
	|| not_ok "QR without txnAmt: pay needs an amount"
"$UPQR_SIM" pay --sim "$BASE" "$QR4" --outcome success --amount 250 >"$TMP/pay.out" 2>&1 \
	&& ok "upqr-sim pay QRCODE-URL --amount" || { not_ok "upqr-sim pay QRCODE-URL --amount"; cat "$TMP/pay.out"; }
fields 00 00 "$O4" txnTime=$NOW; sign_sdk; query
expect_field "payer-entered amount reported" txnAmt 250
O5="Q${TAG}a5"
fields 01 07 "$O5" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 backUrl=http://127.0.0.1:9/n
sign_sdk; back
hook /__sim/clock "advance=901"
fields 00 00 "$O5" txnTime=$NOW; sign_sdk; query
expect_field "QR older than its 15 minutes: closed (01)" origRespCode 01
hook /__sim/pay "orderId=$O5&outcome=success"
[ "$HOOK_STATUS" = 409 ] && ok "closed QR cannot be paid" || not_ok "closed QR cannot be paid ($HOOK_STATUS)"
hook /__sim/clock "reset=1"
O6="Q${TAG}a6"
PT=$(TZ=Asia/Shanghai date -d '+1 minute' +%Y%m%d%H%M%S)
fields 01 07 "$O6" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 payTimeout=$PT backUrl=http://127.0.0.1:9/n
sign_sdk; back
hook /__sim/clock "advance=120"
hook /__sim/pay "orderId=$O6&outcome=success"
[ "$HOOK_STATUS" = 409 ] && ok "payTimeout honoured" || not_ok "payTimeout honoured ($HOOK_STATUS)"
hook /__sim/clock "reset=1"
fields 95 00 "E${TAG}a7" txnTime=$NOW certType=01; sign_sdk; back
expect_field "encryption-certificate query 95/00: 00" respCode 00
rf encryptPubKeyCert | grep -q 'BEGIN CERTIFICATE' && ok "encryptPubKeyCert returned" || not_ok "encryptPubKeyCert returned"

# ---- consume with an EMV CPM payload (emvCpqrcPayload), ARQC and ATC checked ---------------
cpm_consume() { # ORDER CODE
	fields 01 06 "$1" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=07 "emvCpqrcPayload=$2" \
		backUrl=http://127.0.0.1:9/n
	sign_sdk; back
}
CODE5=$("$UPQR" cpm generate --profile tests/data/cpm-profile.json --atc 5 --amount 100)
CODE4=$("$UPQR" cpm generate --profile tests/data/cpm-profile.json --atc 4 --amount 100)
sed 's/0123456789ABCDEFFEDCBA9876543210/00112233445566778899AABBCCDDEEFF/' tests/data/cpm-profile.json >"$TMP/otherkey.json"
CODEX=$("$UPQR" cpm generate --profile "$TMP/otherkey.json" --atc 7 --amount 100)
cpm_consume "P${TAG}k1" "$CODE5"
expect_field "CPM consume, ARQC verified by the issuer key: 00" respCode 00
fields 00 00 "P${TAG}k1" txnTime=$NOW; sign_sdk; query
expect_field "CPM consume succeeded" origRespCode 00
cpm_consume "P${TAG}k2" "$CODE5"
expect_field "the same code again (replayed ATC): 38" respCode 38
cpm_consume "P${TAG}k3" "$CODE4"
expect_field "a lower ATC for the same card: 38" respCode 38
cpm_consume "P${TAG}k4" "$CODEX"
expect_field "ARQC under another issuer key: 61" respCode 61
cpm_consume "P${TAG}k5" "hQVDUFYwMQ=="
expect_field "not a valid CPM: 10" respCode 10
fields 01 06 "P${TAG}k6" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=07 "emvCpqrcPayload=$CODE5" \
	qrNo=6200000000000000001 backUrl=http://127.0.0.1:9/n
sign_sdk; back
expect_field "both qrNo and a CPM payload: 10" respCode 10

# ---- refunds (04/00): partial, cumulative ---------------------------------------------
mreq 04 "R${TAG}c1" 300 $NOW origQryId=$QID
expect_field "partial refund 300 of 1000: 00" respCode 00
expect_field "refund reply names the original" origQryId "$QID"
mreq 04 "R${TAG}c2" 800 $NOW origOrderId=$C1 origTxnTime=$NOW
expect_field "refund beyond the remainder: 36" respCode 36
mreq 04 "R${TAG}c3" 700 $NOW origOrderId=$C1 origTxnTime=$NOW
expect_field "refund of the rest (by origOrderId + origTxnTime): 00" respCode 00
fields 00 00 "R${TAG}c3" txnTime=$NOW; sign_sdk; query
expect_field "refund is queryable by its own orderId" origRespCode 00
mreq 04 "R${TAG}c4" 1 $NOW origQryId=$QID
expect_field "refund of a fully refunded order: 45" respCode 45
mreq 31 "V${TAG}c5" 1000 $NOW origQryId=$QID
expect_field "void after a refund: 35" respCode 35

# ---- void (31/00) ----------------------------------------------------------------
C2="C${TAG}d1"
fields 01 06 "$C2" txnTime=$NOW txnAmt=500 currencyCode=156 channelType=07 qrNo=6200000000000000002 \
	backUrl=http://127.0.0.1:9/n
sign_sdk; back; QID2=$(rf queryId)
mreq 31 "V${TAG}d2" 400 $NOW origQryId=$QID2
expect_field "void of part of the amount: 36" respCode 36
mreq 31 "V${TAG}d3" 500 $NOW origQryId=$QID2
expect_field "void, full amount, same day: 00" respCode 00
mreq 31 "V${TAG}d4" 500 $NOW origQryId=$QID2
expect_field "second void: 45" respCode 45
mreq 04 "R${TAG}d5" 100 $NOW origQryId=$QID2
expect_field "refund of a voided order: 45" respCode 45
mreq 31 "V${TAG}d6" 500 $NOW origQryId=999999999999999999999
expect_field "void of an unknown original: 35" respCode 35

# ---- reversal (99/01) --------------------------------------------------------------
C3="C${TAG}e1"
fields 01 06 "$C3" txnTime=$NOW txnAmt=200 currencyCode=156 channelType=07 qrNo=6200000000000000003 \
	backUrl=http://127.0.0.1:9/n
sign_sdk; back
fields 99 01 "$C3" txnTime=$NOW channelType=07; sign_sdk; back
expect_field "reversal same day: 00" respCode 00
back
expect_field "reversal again: 00 (idempotent)" respCode 00
fields 00 00 "$C3" txnTime=$NOW; sign_sdk; query
expect_field "reversed consume: origRespCode 45 (not a plain failure)" origRespCode 45
fields 99 01 "C${TAG}zz" txnTime=$NOW; sign_sdk; back
expect_field "reversal of an unknown order: 35" respCode 35

fields 99 01 "$C1" txnTime=$NOW; sign_sdk; back
expect_field "reversal of a refunded consume: 35" respCode 35
C5="C${TAG}e2"
fields 01 06 "$C5" txnTime=$NOW txnAmt=200 currencyCode=156 channelType=07 qrNo=6200000000000000003 \
	backUrl=http://127.0.0.1:9/n
sign_sdk; back; QID5=$(rf queryId)
hook /__sim/clock "advance=86400"
fields 99 01 "$C5" txnTime=$NOW; sign_sdk; back
expect_field "reversal on the next settlement day: 35" respCode 35
hook /__sim/clock "advance=2592000"
mreq 04 "R${TAG}e3" 100 "$(now_bj)" origQryId=$QID5
expect_field "refund of a QR consume older than 30 days: 35" respCode 35
hook /__sim/clock "reset=1"

# ---- validation order and codes ------------------------------------------------------
UTC=$(date -u +%Y%m%d%H%M%S)
fields 01 06 "C${TAG}f1" txnTime=$UTC txnAmt=100 currencyCode=156 channelType=07 qrNo=6200000000000000004 \
	backUrl=http://127.0.0.1:9/n
sign_sdk; back
expect_field "txnTime in UTC (8 h off Beijing): 39" respCode 39
fields 01 06 "C${TAG}f1" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=07 qrNo=6200000000000000004 \
	backUrl=http://127.0.0.1:9/n
sign_sdk; back
expect_field "...and its orderId was not used up: 00" respCode 00
fields 01 06 "C${TAG}f2" txnTime=$NOW txnAmt=1.00 currencyCode=156 channelType=07 qrNo=6200000000000000004 \
	backUrl=http://127.0.0.1:9/n
sign_sdk; back
expect_field "txnAmt with a decimal point: 10" respCode 10
fields 01 06 "C${TAG}f3" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=07 backUrl=http://127.0.0.1:9/n
sign_sdk; back
expect_field "consume without qrNo: 13" respCode 13
fields 01 06 "C-${TAG}" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=07 qrNo=6200000000000000004 \
	backUrl=http://127.0.0.1:9/n
sign_sdk; back
expect_field "orderId with '-': 10" respCode 10
fields 01 06 "C${TAG}f4" txnTime=$NOW txnAmt=10000001 currencyCode=156 channelType=07 \
	qrNo=6200000000000000004 backUrl=http://127.0.0.1:9/n
sign_sdk; back
expect_field "amount over the merchant limit: 33" respCode 33
fields 02 00 "C${TAG}f5" txnTime=$NOW txnAmt=100 channelType=07 backUrl=http://127.0.0.1:9/n
sign_sdk; back
expect_field "unsupported txnType: 32" respCode 32
fields 01 06 "C${TAG}f6" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=07 qrNo=6200000000000000004 \
	backUrl=http://127.0.0.1:9/n
sign_sdk; sed 's/txnAmt=100/txnAmt=101/' "$TMP/body" >"$TMP/b2"; mv "$TMP/b2" "$TMP/body"; back
expect_field "tampered request: 11" respCode 11
verified "the 11 reply is signed"
sign_openssl; OSSL_CERTID=12345 sign_openssl; back openssl
expect_field "unknown certId: 11" respCode 11
VER=6.0.0 fields 01 06 "C${TAG}f7" txnTime=$NOW; sign_openssl; back openssl
expect_field "unknown version: 10" respCode 10
fields 01 06 "C${TAG}f8" txnTime=$NOW; grep -v '^bizType' "$TMP/fields" >"$TMP/f3"; mv "$TMP/f3" "$TMP/fields"
sign_openssl; back openssl
expect_field "missing bizType: 13" respCode 13
fields 00 00 "NOSUCH${TAG}" txnTime=$NOW; sign_sdk; query
expect_field "query of an unknown order: 34" respCode 34
fields 01 06 "C${TAG}f9" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=07 qrNo=6200000000000000004 \
	backUrl=http://127.0.0.1:9/n
sign_sdk; query
expect_field "a consume sent to queryTrans.do: 10" respCode 10
fields 00 00 "$O1" txnTime=$NOW; sign_sdk
i=0; while [ $i -lt 12 ]; do query; i=$((i + 1)); done
expect_field "query rate limit: 37" respCode 37

fields 01 07 "Q${TAG}j1" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 backUrl=http://127.0.0.1:9/n
sed 's/^accessType=0$/accessType=1/' "$TMP/fields" >"$TMP/f3"; mv "$TMP/f3" "$TMP/fields"; sign_sdk; back
expect_field "accessType=1 without acqInsCode: 13" respCode 13
printf 'acqInsCode=48020000\n' >>"$TMP/fields"; sign_sdk; back
expect_field "accessType=1 with acqInsCode: 00" respCode 00
expect_field "acqInsCode echoed" acqInsCode 48020000

# ---- 5.0.0 and signMethod 11 ----------------------------------------------------------
VER=5.0.0 fields 01 07 "Q${TAG}g1" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 \
	backUrl=http://127.0.0.1:9/n
VER=5.0.0 sign_sdk; back
expect_field "5.0.0 request: 00" respCode 00
rf certId >/dev/null && ok "5.0.0 reply carries certId" || not_ok "5.0.0 reply carries certId"
"$UPQR" verify $ROOTS --cert-dir "$PKI/sim_certdir" --accept-versions 5.0.0 --format response <"$TMP/resp" >/dev/null 2>&1 \
	&& ok "5.0.0 reply verifies by certId" || not_ok "5.0.0 reply verifies by certId"
METHOD=11 fields 01 07 "Q${TAG}g2" txnTime=$NOW txnAmt=100 currencyCode=156 channelType=08 \
	backUrl=http://127.0.0.1:9/n
METHOD=11 sign_openssl; back openssl
expect_field "signMethod 11 (openssl): 00" respCode 00
expect_field "signMethod 11 reply" signMethod 11
printf '%s' "$SKEY" >"$TMP/skey"
"$UPQR" verify --secure-key-file "$TMP/skey" --format response <"$TMP/resp" >/dev/null 2>&1 \
	&& ok "signMethod 11 reply verifies with the secure key" || not_ok "signMethod 11 reply verifies"

# ---- settlement day: 22:59:59 then 23:00:01 --------------------------------------------
DAY=$(TZ=Asia/Shanghai date +%Y%m%d)
hook /__sim/clock "set=${DAY}225959&freeze=1"
grep -q '"now":"'"${DAY}225959"'","unix":[0-9]*,"offset":-*[0-9]*,"frozen":true' "$TMP/hook" \
	&& ok "clock set and frozen at 22:59:59" || not_ok "clock set and frozen ($(cat "$TMP/hook"))"
C4="C${TAG}h1"
fields 01 06 "$C4" txnTime=${DAY}225959 txnAmt=100 currencyCode=156 channelType=07 \
	qrNo=6200000000000000005 backUrl=http://127.0.0.1:9/n
sign_sdk; back; QID4=$(rf queryId)
expect_field "consume at 22:59:59 Beijing" respCode 00
hook /__sim/clock "set=${DAY}230001"
mreq 31 "V${TAG}h2" 100 ${DAY}230001 origQryId=$QID4
expect_field "void at 23:00:01 (next settlement day): 35" respCode 35
mreq 04 "R${TAG}h3" 100 ${DAY}230001 origQryId=$QID4
expect_field "refund still works the next day" respCode 00
hook /__sim/clock "reset=1"

# txnTime near midnight: the window is arithmetic on Beijing time, not on the date
hook /__sim/clock "set=${DAY}235955&freeze=1"
NEXT=$(TZ=Asia/Shanghai date -d "$(echo $DAY | sed 's/\(....\)\(..\)\(..\)/\1-\2-\3/') + 1 day" +%Y%m%d)
fields 01 06 "C${TAG}m1" txnTime=${NEXT}000005 txnAmt=100 currencyCode=156 channelType=07 \
	qrNo=6200000000000000006 backUrl=http://127.0.0.1:9/n
sign_sdk; back
expect_field "txnTime 10 s after midnight, clock 5 s before: 00" respCode 00
hook /__sim/clock "reset=1"

# ---- transport ---------------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/gateway/api/backTransReq.do")
[ "$code" = 405 ] && ok "GET: 405" || not_ok "GET: 405 ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' \
	"$BASE/gateway/api/backTransReq.do")
[ "$code" = 415 ] && ok "JSON body: 415" || not_ok "JSON body: 415 ($code)"
printf 'garbage%%zz&&==' >"$TMP/body"; back
[ "$HTTP" = 200 ] && expect_field "garbage body: signed reply 10" respCode 10 || not_ok "garbage body: 200 ($HTTP)"
verified "garbage body's reply verifies"
printf 'a=1&a=2' >"$TMP/body"; back
expect_field "duplicate keys: 10" respCode 10

sim_stop
[ "$SIM_RC" = 0 ] && ok "SIGTERM: clean exit 0" || not_ok "SIGTERM: clean exit ($SIM_RC)"
sim_start --state "$TMP/state.db"
fields 00 00 "$C1" txnTime=$NOW; sign_sdk; query
expect_field "state survives a restart (file state)" origRespCode 00
sim_stop
[ "$SIM_RC" = 0 ] && ok "stops cleanly" || not_ok "stops cleanly ($SIM_RC)"
done_testing
