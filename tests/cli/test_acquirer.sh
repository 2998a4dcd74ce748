#!/bin/sh
# `upqr apply|pay|query|void|refund|reverse|recover|notify`: config errors that
# must stop before any request leaves, then every command against upqr-sim on
# a random loopback port, exit codes 0/1/2/3/4, masked output.
. tests/cli/lib.sh
SIM_PID=""
HANG_PID=""
RX_PID=""
cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	[ -n "$HANG_PID" ] && kill "$HANG_PID" 2>/dev/null && wait "$HANG_PID" 2>/dev/null
	[ -n "$RX_PID" ] && kill "$RX_PID" 2>/dev/null && wait "$RX_PID" 2>/dev/null
	[ -n "${PG_OWN:-}" ] && sh tests/support/pg_fixture.sh stop "$PG_OWN"
	rm -rf "$TMP"
}
trap cleanup EXIT
PKI=build/pki
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# config FILE [k=v...]: a config for base URL $1 with overrides
config() {
	f=$1; url=$2; shift 2
	{
		echo "# upqr test config"
		echo "acpsdk.version = 5.1.0"
		echo "acpsdk.signCert.path = ${PFX:-$PKI/merchant.pfx}"
		echo "acpsdk.signCert.pwd = 000000"
		echo "acpsdk.signCert.type = PKCS12"
		echo "acpsdk.rootCert.path = $PKI/root.pem"
		echo "acpsdk.middleCert.path = $PKI/middle.pem"
		echo "acpsdk.encryptCert.path = $PKI/enc.pem"
		echo "acpsdk.ifValidateCNName = false"
		echo "acpsdk.backTransUrl = $url/gateway/api/backTransReq.do"
		echo "acpsdk.backUrl = ${BACK_URL:-http://127.0.0.1:9/notify}"
		echo "upqr.merId = ${MER:-777290058110048}"
		echo "upqr.journal = $TMP/journal.db"
		echo "upqr.testEnv = true"
		echo "upqr.backoffMs = 1,2,4,8,16,32"
		for kv in "$@"; do echo "$kv"; done
	} >"$f"
}

# ---- checks that need no gateway ------------------------------------------------
config "$TMP/c1" http://127.0.0.1:9
expect_rc "missing --config is a usage error" 2 "$UPQR" pay --amount 1 --qr-no 6225123456789012345
expect_rc "pay without an amount is a usage error" 2 "$UPQR" pay --config "$TMP/c1" --qr-no 6225123456789012345
config "$TMP/c2" http://127.0.0.1:9 "acpsdk.signCert.pwd.typo = x"
expect_rc "unknown key refused" 1 "$UPQR" pay --config "$TMP/c2" --amount 1 --qr-no 6225123456789012345
expect_err "the refusal names the key and line" "c2:[0-9]+: unknown key 'acpsdk.signCert.pwd.typo'"
PFX=$TMP/nope.pfx
config "$TMP/c3" http://127.0.0.1:9
unset PFX
expect_rc "missing certificate: I/O error" 3 "$UPQR" pay --config "$TMP/c3" --amount 1 --qr-no 6225123456789012345
expect_err "names the certificate" "nope.pfx"
config "$TMP/c4" http://127.0.0.1:9 "acpsdk.signCert.pwd = 123456"
expect_rc "wrong PKCS#12 password refused" 1 "$UPQR" pay --config "$TMP/c4" --amount 1 --qr-no 6225123456789012345
expect_err "names the password key" "acpsdk.signCert.pwd"
config "$TMP/c5" http://127.0.0.1:9 "upqr.journal = $TMP/no/such/dir/j.db"
expect_rc "unreachable journal: I/O error" 3 "$UPQR" pay --config "$TMP/c5" --amount 1 --qr-no 6225123456789012345
expect_err "names the journal" "upqr.journal"
config "$TMP/c5p" http://127.0.0.1:9 "upqr.journal = postgresql://upqr:Pw0rdSecret@/upqr?host=$TMP/no-server"
expect_rc "unreachable PostgreSQL journal: I/O error" 3 "$UPQR" pay --config "$TMP/c5p" --amount 1 --qr-no 6225123456789012345
expect_err "names the PostgreSQL journal, password masked" "upqr:\*\*\*@/upqr\?host=$TMP/no-server"
if grep -q Pw0rdSecret "$TMP/err"; then not_ok "the journal's password stays out of messages"; else ok "the journal's password stays out of messages"; fi
config "$TMP/c6" https://gateway.test.95516.com "acpsdk.ifValidateRemoteCert = false"
expect_rc "TLS verification off refused for a non-loopback host" 1 "$UPQR" pay --config "$TMP/c6" --amount 1 --qr-no 6225123456789012345
expect_err "the library's reason reaches the user" "insecure_loopback_tls is accepted for loopback hosts only"
config "$TMP/c7" http://127.0.0.1:1
expect_rc "connection refused: nothing sent, exit 3" 3 "$UPQR" pay --config "$TMP/c7" --amount 1 --qr-no 6225123456789012345 --json
expect_out "outcome failed" '"outcome": "failed"'
expect_out "cause network" '"cause": "UPQR_ENETWORK"'

# ---- a gateway that takes the request and never answers: exit 4 ------------------
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >"$TMP/hang.port" &
HANG_PID=$!
i=0; while [ ! -s "$TMP/hang.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
config "$TMP/c8" "http://127.0.0.1:$(cat "$TMP/hang.port")" "upqr.timeoutMs = 200" "upqr.backoffMs = 1,1"
expect_rc "no answer at all: unknown after the loop, exit 4" 4 "$UPQR" pay --config "$TMP/c8" --amount 5 --qr-no 6225123456789012345 --json
expect_out "outcome unknown" '"outcome": "unknown"'
expect_err "says why" "outcome unknown"
kill "$HANG_PID"; wait "$HANG_PID" 2>/dev/null; HANG_PID=""

# ---- against the simulator -------------------------------------------------------------
SIM=${UPQR_SIM:-$UPQR_BUILD/bin/upqr-sim}
if [ ! -x "$SIM" ]; then
	TN=$((TN + 1)); echo "not ok $TN # SKIP upqr-sim not built"
	done_testing; exit $?
fi
rm -f "$TMP/journal.db"*
"$SIM" --listen 127.0.0.1:0 --state :memory: --pki $PKI --time-scale 600 >"$TMP/ready" 2>"$TMP/sim.err" &
SIM_PID=$!
i=0; while [ ! -s "$TMP/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
BASE=$(json "$TMP/ready" baseUrl)
MER=$(json "$TMP/ready" merId)
PFX=$(json "$TMP/ready" pfx)
config "$TMP/cfg" "$BASE"
CFG="--config $TMP/cfg"

expect_rc "pay" 0 "$UPQR" pay $CFG --amount 1000 --qr-no 6225123456789012345 --json
expect_out "pay: success" '"outcome": "success"'
OID=$(json "$TMP/out" orderId); TT=$(json "$TMP/out" txnTime); QID=$(json "$TMP/out" queryId)
expect_rc "query" 0 "$UPQR" query $CFG --order-id "$OID" --txn-time "$TT"
expect_out "query text output" '^outcome: success'
expect_rc "refund 400" 0 "$UPQR" refund $CFG --amount 400 --orig-order-id "$OID" --orig-query-id "$QID" --json
expect_rc "refund 700 exceeds what is left: refused before sending" 1 "$UPQR" refund $CFG --amount 700 --orig-order-id "$OID"
expect_err "over-refund named" "UPQR_EOVERREFUND"
expect_rc "pay another" 0 "$UPQR" pay $CFG --amount 300 --qr-no 6225123456789012345 --json
OID2=$(json "$TMP/out" orderId)
expect_rc "void" 0 "$UPQR" void $CFG --amount 300 --orig-order-id "$OID2" --json
CPM=$("$UPQR" cpm generate --profile tests/data/cpm-profile.json --atc 7 --amount 1200)
expect_rc "pay with an EMV CPM payload" 0 "$UPQR" pay $CFG --amount 1200 --cpm "$CPM" --json
expect_out "CPM pay: success" '"outcome": "success"'
expect_rc "the same CPM code again (replayed ATC): refused" 1 "$UPQR" pay $CFG --amount 1200 --cpm "$CPM" --json
expect_out "replay: respCode 38" '"respCode": "38"'
expect_rc "apply" 0 "$UPQR" apply $CFG --amount 250 --json
expect_out "apply: qrCode" '"qrCode": "https?://[^"]*/00010000/[0-9]+"'
curl -s -d "fault=outcome&scope=amount&key=666&value=decline" "$BASE/__sim/faults" >/dev/null
expect_rc "declined payment: exit 1" 1 "$UPQR" pay $CFG --amount 666 --qr-no 6225123456789012345 --json
expect_out "declined: failed with the issuer's code" '"respCode": "64"'
curl -s -d "fault=outcome&scope=amount&key=777&value=pending" "$BASE/__sim/faults" >/dev/null
expect_rc "never settled: reversed, exit 1" 1 "$UPQR" pay $CFG --amount 777 --qr-no 6225123456789012345 --json
expect_out "reversed" '"reversed": true'
# ---- the same commands, unchanged, with a PostgreSQL journal -----------------------------
# $UPQR_PG_URL (tests/run.sh starts a server), else a throwaway one of our own.
PG_OWN=""
PG=${UPQR_PG_URL:-}
if ! command -v psql >/dev/null 2>&1; then
	PG=""
elif [ -z "$PG" ] && PG=$(sh tests/support/pg_fixture.sh start 2>/dev/null); then
	PG_OWN=$PG
fi
if [ -z "$PG" ]; then
	skip "pay, refund and recover with a PostgreSQL journal" "no PostgreSQL server (or no psql)"
else
	DB=upqr_cli_$$
	PGJ=$(echo "$PG" | sed "s|:///[^?]*|:///$DB|")
	psql -q "$PG" -c "CREATE DATABASE $DB" >/dev/null 2>&1
	config "$TMP/cfgpg" "$BASE" "upqr.journal = $PGJ"
	expect_rc "pay (PostgreSQL journal)" 0 "$UPQR" pay --config "$TMP/cfgpg" --amount 1000 --qr-no 6225123456789012345 --json
	expect_out "pay (PostgreSQL journal): success" '"outcome": "success"'
	OID=$(json "$TMP/out" orderId)
	# --journal replaces the file's upqr.journal: the SQLite config, pointed at PostgreSQL
	expect_rc "refund 600 (--journal postgresql://...)" 0 "$UPQR" refund $CFG --journal "$PGJ" --amount 600 --orig-order-id "$OID" --json
	expect_rc "refund 500 more: refused by the PostgreSQL journal (--journal)" 1 "$UPQR" refund $CFG --journal "$PGJ" --amount 500 --orig-order-id "$OID"
	expect_err "over-refund named (PostgreSQL journal)" "UPQR_EOVERREFUND"
	expect_rc "recover (PostgreSQL journal): nothing open" 0 "$UPQR" recover --config "$TMP/cfgpg" --json
	expect_out "recover (PostgreSQL journal): none claimed" '"claimed": 0,'
	n=$(psql -Atq "$PGJ" -c "SELECT count(*) FROM upqr_ops WHERE state IN ('SUCCESS','REFUNDED')" 2>/dev/null)
	[ "$n" = 2 ] && ok "the orders are in the PostgreSQL journal" || not_ok "the orders are in the PostgreSQL journal ($n)"
	psql -q "$PG" -c "DROP DATABASE $DB WITH (FORCE)" >/dev/null 2>&1
	[ -n "$PG_OWN" ] && sh tests/support/pg_fixture.sh stop "$PG_OWN"
	PG_OWN=""
fi
# the unpaid QR is the one open order; two hours later (simulator clock) it has expired
curl -s -d "advance=7200" "$BASE/__sim/clock" >/dev/null
expect_rc "recover: settles the open QR" 0 "$UPQR" recover $CFG --json
expect_out "recover: one claimed" '"claimed": 1,'
expect_out "recover: the expired QR failed" '"failed": 1,'
expect_rc "recover again: nothing left" 0 "$UPQR" recover $CFG --json
expect_out "recover again: none claimed" '"claimed": 0,'
# ---- `upqr notify` with genuine notification bodies from the simulator -------------------
# A loopback receiver keeps each POST body (rx.N) and answers 500, so the
# simulator's own delivery books nothing: only `upqr notify` does.
curl -s -d "reset=1" "$BASE/__sim/clock" >/dev/null # back from the two hours above
mkdir -p "$TMP/rx"
python3 -c '
import http.server, sys, os
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        n = len(os.listdir(d))
        with open(os.path.join(d, "tmp"), "wb") as f: f.write(body)
        os.rename(os.path.join(d, "tmp"), os.path.join(d, "rx.%d" % n))
        self.send_response(500); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
' "$TMP/rx" >"$TMP/rx.port" &
RX_PID=$!
i=0; while [ ! -s "$TMP/rx.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
BACK_URL="http://127.0.0.1:$(cat "$TMP/rx.port")/notify"
config "$TMP/cfgn" "$BASE" "upqr.journal = $TMP/journal_n.db"
CFGN="--config $TMP/cfgn"
expect_rc "pay with the receiver as backUrl" 0 "$UPQR" pay $CFGN --amount 1300 --qr-no 6225123456789012345 --json
NOID=$(json "$TMP/out" orderId)
i=0; while [ ! -s "$TMP/rx/rx.0" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cp "$TMP/rx/rx.0" "$TMP/genuine" 2>/dev/null || : >"$TMP/genuine"
if grep -q "orderId=$NOID" "$TMP/genuine"; then ok "the simulator notified the receiver"; else not_ok "no notification body for $NOID"; fi
expect_rc "notify: a genuine body is booked (200)" 0 "$UPQR" notify $CFGN --url-query 'a=b' --json <"$TMP/genuine"
expect_out "verified" '"verified": true'
expect_out "answer 200" '"httpStatus": 200'
expect_out "success" '"outcome": "success"'
expect_out "booked as new" '"duplicate": false'
expect_out "its order" "\"orderId\": \"$NOID\""
expect_rc "notify: the same body again (200, duplicate)" 0 "$UPQR" notify $CFGN --json <"$TMP/genuine"
expect_out "duplicate" '"duplicate": true'
sed 's/txnAmt=1300/txnAmt=1301/' "$TMP/genuine" >"$TMP/tampered"
expect_rc "notify: the body with its amount changed: exit 1" 1 "$UPQR" notify $CFGN --json <"$TMP/tampered"
expect_out "tampered: 400" '"httpStatus": 400'
# the second merchant's genuine notification, handed to the first merchant's handler
MER=777290058110049 PFX=$PKI/merchant2.pfx config "$TMP/cfg2" "$BASE" "upqr.journal = $TMP/journal_2.db"
expect_rc "pay as the second merchant" 0 "$UPQR" pay --config "$TMP/cfg2" --amount 1400 --qr-no 6225123456789012345 --json
OID3=$(json "$TMP/out" orderId)
i=0; while ! grep -qs "orderId=$OID3" "$TMP"/rx/rx.* && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
F=$(grep -ls "orderId=$OID3" "$TMP"/rx/rx.* | head -1)
cp "${F:-/dev/null}" "$TMP/other"
expect_rc "notify: another merchant's genuine notification: exit 1" 1 "$UPQR" notify $CFGN --json <"$TMP/other"
expect_out "another merchant: verified" '"verified": true'
expect_out "another merchant: 400" '"httpStatus": 400'
expect_err "another merchant: named" "UPQR_EMISMATCH"
kill "$RX_PID"; wait "$RX_PID" 2>/dev/null; RX_PID=""
unset BACK_URL

printf 'respCode=00&signature=AAAA' >"$TMP/forged"
expect_rc "forged notification: exit 1" 1 "$UPQR" notify $CFG --json <"$TMP/forged"
expect_out "answer 400" '"httpStatus": 400'
grep -q '6225123456789012345' "$TMP/out" "$TMP/err" && not_ok "a payment code was printed" || ok "no payment code printed"

done_testing
