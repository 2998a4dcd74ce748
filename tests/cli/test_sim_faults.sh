#!/bin/sh
# upqr-sim: notifications to backUrl (signed, retried at 1, 2, 4, 5 min scaled by
# --time-scale, every attempt logged) and every fault knob (sync replies and
# notifications), by merchant, order and magic amount.
. tests/cli/lib.sh
. tests/cli/sim/sim_lib.sh

backend_start 500,500,200
sim_start --state "$TMP/state.db" --time-scale 600 || { not_ok "simulator starts"; done_testing; exit 1; }
NOW=$(now_bj)
TAG=$(date +%s)
consume_body() { # ORDER AMOUNT: a signed consume request in $TMP/body
	fields 01 06 "$1" txnTime=$NOW txnAmt=$2 currencyCode=156 channelType=07 qrNo=6200000000000000009 \
		backUrl=$BACK
	sign_sdk
}
consume() { consume_body "$@"; back; }
# raw_consume ORDER [CURL-ARGS]: posts it with curl alone; curl's exit status in $rc.
raw_consume() {
	consume_body "$1" 100; shift
	curl -s -o /dev/null "$@" -H "$CT" --data-binary @"$TMP/body" "$BASE/gateway/api/backTransReq.do"; rc=$?
}
# wait_attempts N: until the log holds N attempts (5 s at most); the log in $TMP/log.
wait_attempts() {
	i=0
	while [ $i -lt 50 ]; do
		curl -s "$BASE/__sim/notifications" >"$TMP/log"
		[ "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$TMP/log")" -ge "$1" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
logq() { python3 -c "import json,sys; l=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$TMP/log" "$1"; }
fault() { hook /__sim/faults "$1"; [ "$HOOK_STATUS" = 200 ] || not_ok "fault $1 accepted ($HOOK_STATUS)"; }

# ---- delivery with retries -------------------------------------------------------
consume "N${TAG}a1" 100
expect_field "consume accepted" respCode 00
wait_attempts 3 && ok "three attempts (500, 500, 200) within the scaled schedule" || not_ok "three attempts"
[ "$(logq "[a['httpStatus'] for a in l]")" = "[500, 500, 200]" ] && ok "attempt statuses logged" \
	|| not_ok "attempt statuses logged ($(logq "[a['httpStatus'] for a in l]"))"
[ "$(logq "[a['result'] for a in l][-1]")" = delivered ] && ok "last attempt delivered" || not_ok "last attempt delivered"
gap=$(logq "l[1]['atMs'] - l[0]['atMs']")
[ "$gap" -ge 90 ] && ok "retry after 60 s / 600 (${gap} ms)" || not_ok "retry after 60 s / 600 (${gap} ms)"
sleep 0.5
[ "$(sqlite3 "$TMP/state.db" "SELECT count(*) FROM notify_attempt")" = 3 ] && ok "attempts in the state database" \
	|| not_ok "attempts in the state database"
[ "$(sqlite3 "$TMP/state.db" "SELECT status FROM notification")" = delivered ] && ok "notification delivered" \
	|| not_ok "notification delivered"
"$UPQR" verify $ROOTS <"$TMP/back/2.body" >"$TMP/verr" 2>&1 && ok "notification verifies (form body)" \
	|| { not_ok "notification verifies"; sed 's/^/# /' "$TMP/verr"; }
for k in respCode queryId traceNo traceTime settleDate settleAmt txnAmt orderId txnTime merId signPubKeyCert; do
	$ST form "$TMP/back/2.body" $k >/dev/null && ok "notification has $k" || not_ok "notification has $k"
done
[ "$(cmp "$TMP/back/0.body" "$TMP/back/2.body" && echo same)" = same ] && ok "re-sends are the same message" \
	|| not_ok "re-sends are the same message"

# ---- every send fails: 5 sends, then given up ----------------------------------------
kill "$BACK_PID"; wait "$BACK_PID" 2>/dev/null; BACK_PID=""
backend_start 503
consume "N${TAG}a2" 100
wait_attempts 8 && ok "five sends to a failing backUrl" || not_ok "five sends to a failing backUrl"
sleep 1.2
[ "$(sqlite3 "$TMP/state.db" "SELECT count(*) FROM notify_attempt a JOIN notification n ON n.id = a.notification_id \
	WHERE n.order_id = 'N${TAG}a2'")" = 5 ] && ok "exactly five attempts" || not_ok "exactly five attempts"
[ "$(sqlite3 "$TMP/state.db" "SELECT status FROM notification WHERE order_id = 'N${TAG}a2'")" = failed ] \
	&& ok "then marked failed" || not_ok "then marked failed"
kill "$BACK_PID"; wait "$BACK_PID" 2>/dev/null; BACK_PID=""
backend_start 200
sim_stop
sim_start --state "$TMP/state2.db" --time-scale 600
NOW=$(now_bj)
nbodies() { ls "$TMP/back" | grep -c body; }
wait_bodies() { i=0; while [ "$(nbodies)" -lt "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; }

# ---- notification faults -----------------------------------------------------------------
fault "scope=order&key=N${TAG}b1&fault=notify_dup"
consume "N${TAG}b1" 100; wait_bodies 2
[ "$(nbodies)" = 2 ] && cmp -s "$TMP/back/0.body" "$TMP/back/1.body" && ok "notify_dup: the same notification twice" \
	|| not_ok "notify_dup"
fault "scope=order&key=N${TAG}b2&fault=notify_query"
consume "N${TAG}b2" 100; wait_bodies 3
grep -q 'notify?upqrsim=1&sim_extra=' "$TMP/back/paths" && ok "notify_query: backUrl gets its own query string" \
	|| not_ok "notify_query"
"$UPQR" verify $ROOTS <"$TMP/back/2.body" >/dev/null 2>&1 && ok "notify_query: the body alone verifies" \
	|| not_ok "notify_query: the body alone verifies"
fault "scope=amount&key=777&fault=notify_badsig"
consume "N${TAG}b3" 777; wait_bodies 4
"$UPQR" verify $ROOTS <"$TMP/back/3.body" >"$TMP/verr" 2>&1; rc=$?
[ $rc = 1 ] && grep -q ESIG_DIGEST "$TMP/verr" && ok "notify_badsig (magic amount 777): rejected" || not_ok "notify_badsig"
fault "scope=order&key=N${TAG}b4&fault=outcome&value=decline"
fault "scope=order&key=N${TAG}b4&fault=notify_fail"
consume "N${TAG}b4" 100; wait_bodies 5
[ "$($ST form "$TMP/back/4.body" respCode)/$($ST form "$TMP/back/4.body" origRespCode)" = 00/64 ] \
	&& ok "notify_fail: respCode=00 + origRespCode=64 shape" || not_ok "notify_fail shape"
"$UPQR" verify $ROOTS <"$TMP/back/4.body" >/dev/null 2>&1 && ok "failure notification is signed" \
	|| not_ok "failure notification is signed"
fault "scope=order&key=N${TAG}b5&fault=notify_delay&value=800"
consume "N${TAG}b5" 100; QID=$(rf queryId)
fields 04 00 "R${TAG}b6" txnTime=$NOW txnAmt=50 channelType=07 origQryId=$QID backUrl=$BACK
sign_sdk; back
expect_field "refund while the consume notification waits" respCode 00
wait_bodies 7
[ "$($ST form "$TMP/back/5.body" orderId),$($ST form "$TMP/back/6.body" orderId)" = "R${TAG}b6,N${TAG}b5" ] \
	&& ok "notify_delay: refund notified before its consume (out of order)" || not_ok "notify_delay: out of order"
$ST form "$TMP/back/5.body" origQryId >/dev/null && ok "refund notification has origQryId" \
	|| not_ok "refund notification has origQryId"
fault "scope=order&key=N${TAG}b7&fault=notify_none"
consume "N${TAG}b7" 100; sleep 0.3
[ "$(nbodies)" = 7 ] && ok "notify_none: nothing sent" || not_ok "notify_none"
fault "scope=order&key=N${TAG}b8&fault=cert&value=expired"
consume "N${TAG}b8" 100; wait_bodies 8
"$UPQR" verify $ROOTS <"$TMP/back/7.body" >"$TMP/verr" 2>&1
grep -q ECERT_EXPIRED "$TMP/verr" && ok "cert=expired applies to notifications too" || not_ok "cert=expired notification"

# ---- sync reply faults ------------------------------------------------------------------
sync_case() { # NAME FAULT-FORM ORDER -> posts a consume for ORDER
	fault "$2"; consume "$3" 100
}
sync_case http500 "scope=order&key=N${TAG}c1&fault=http500" "N${TAG}c1"
[ "$HTTP" = 500 ] && ok "http500: HTTP 500" || not_ok "http500 ($HTTP)"
fields 00 00 "N${TAG}c1" txnTime=$NOW; sign_sdk; query
expect_field "http500: the consume was committed all the same" origRespCode 00
fault "scope=order&key=N${TAG}c2&fault=drop"
raw_consume "N${TAG}c2"
[ $rc = 52 ] && ok "drop: connection closed without a reply (curl 52)" || not_ok "drop (curl $rc)"
fields 00 00 "N${TAG}c2" txnTime=$NOW; sign_sdk; query
expect_field "drop: committed before the drop" origRespCode 00
fault "scope=order&key=N${TAG}c3&fault=truncate"
raw_consume "N${TAG}c3"
[ $rc = 18 ] && ok "truncate: short body (curl 18)" || not_ok "truncate (curl $rc)"
fault "scope=order&key=N${TAG}c4&fault=delay&value=1500"
raw_consume "N${TAG}c4" -m 0.5
[ $rc = 28 ] && ok "delay: past the client's timeout (curl 28)" || not_ok "delay (curl $rc)"
sync_case malformed "scope=order&key=N${TAG}c5&fault=malformed" "N${TAG}c5"
"$UPQR" verify $ROOTS --format response <"$TMP/resp" >/dev/null 2>&1; rc=$?
[ $rc = 1 ] && ok "malformed: reply does not parse/verify" || not_ok "malformed ($rc)"
sync_case badsig "scope=order&key=N${TAG}c6&fault=badsig" "N${TAG}c6"
"$UPQR" verify $ROOTS --format response <"$TMP/resp" >"$TMP/verr" 2>&1
grep -q ESIG_DIGEST "$TMP/verr" && ok "badsig: signature does not match" || not_ok "badsig"
for v in selfsigned:ECERT_UNTRUSTED wrongcn:ECERT_CN testcn:ECERT_CN expired:ECERT_EXPIRED; do
	name=${v%%:*}; want=${v#*:}
	sync_case "$name" "scope=order&key=N${TAG}d$name&fault=cert&value=$name" "N${TAG}d$name"
	"$UPQR" verify $ROOTS --format response <"$TMP/resp" >"$TMP/verr" 2>&1
	grep -q "$want" "$TMP/verr" && ok "cert=$name: client sees $want" || { not_ok "cert=$name"; cat "$TMP/verr"; }
done
"$UPQR" verify $ROOTS --test-env --format response <"$TMP/resp" >/dev/null 2>&1 || :
sync_case testcn2 "scope=order&key=N${TAG}dtest2&fault=cert&value=testcn" "N${TAG}dtest2"
"$UPQR" verify $ROOTS --test-env --format response <"$TMP/resp" >/dev/null 2>&1 \
	&& ok "cert=testcn verifies with --test-env" || not_ok "cert=testcn with --test-env"
sync_case sha1 "scope=order&key=N${TAG}dsha1&fault=cert&value=sha1" "N${TAG}dsha1"
"$UPQR" verify $ROOTS --format response <"$TMP/resp" >/dev/null 2>&1 && ok "cert=sha1: SHA-1 chain verifies" \
	|| not_ok "cert=sha1"
for c in 03 04 05; do
	sync_case "resp$c" "scope=order&key=N${TAG}e$c&fault=resp&value=$c" "N${TAG}e$c"
	expect_field "resp=$c: sync respCode $c" respCode $c
	fields 00 00 "N${TAG}e$c" txnTime=$NOW; sign_sdk; query
	expect_field "resp=$c: query finds the outcome" origRespCode 00
done
fault "scope=order&key=N${TAG}f1&fault=outcome&value=pending"
consume "N${TAG}f1" 100
fields 00 00 "N${TAG}f1" txnTime=$NOW; sign_sdk; query
expect_field "outcome=pending: query says 05" origRespCode 05
hook /__sim/pay "orderId=N${TAG}f1&outcome=success"
query
expect_field "...until the payer confirms" origRespCode 00
fault "scope=merchant&key=$MER&fault=http500"
consume "N${TAG}g1" 100
[ "$HTTP" = 500 ] && ok "merchant-scoped fault" || not_ok "merchant-scoped fault ($HTTP)"
fields 00 00 "N${TAG}g1" txnTime=$NOW; sign_sdk; query
[ "$HTTP" = 200 ] && ok "faults never hit queries" || not_ok "faults never hit queries ($HTTP)"
hook /__sim/faults "clear=1"
consume "N${TAG}g2" 100
[ "$HTTP" = 200 ] && ok "clear=1 removes every fault" || not_ok "clear=1 ($HTTP)"
fault "fault=http500"
consume "N${TAG}g3" 100
[ "$HTTP" = 500 ] && ok "global fault" || not_ok "global fault ($HTTP)"
hook /__sim/faults "clear=1"
hook /__sim/faults "scope=planet&key=x&fault=drop"
[ "$HOOK_STATUS" = 400 ] && ok "unknown scope: 400" || not_ok "unknown scope ($HOOK_STATUS)"
fault "fault=delay&value=30000"
consume_body "N${TAG}z1" 100
curl -s -o /dev/null -H "$CT" --data-binary @"$TMP/body" "$BASE/gateway/api/backTransReq.do" &
CURL_PID=$!
sleep 0.3
t0=$(date +%s)
sim_stop
[ "$SIM_RC" = 0 ] && ok "stops cleanly" || not_ok "stops cleanly ($SIM_RC)"
[ $(($(date +%s) - t0)) -le 3 ] && ok "SIGTERM does not wait for a delayed reply" || not_ok "SIGTERM waits for delays"
wait "$CURL_PID" 2>/dev/null
done_testing
