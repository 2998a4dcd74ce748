# sim_lib.sh - sourced by tests/cli/test_sim*.sh after lib.sh: starts upqr-sim on
# 127.0.0.1:0, signs requests two independent ways (the SDK's `upqr sign`, and the
# openssl + curl command lines), posts them and reads the replies. Every process
# started here is killed by the EXIT trap.
: "${UPQR_SIM:=$UPQR_BUILD/bin/upqr-sim}"
PKI=build/pki
ST="python3 tests/cli/sim/simtool.py"
CT='Content-Type: application/x-www-form-urlencoded;charset=UTF-8'
SIM_PID=""
BACK_PID=""
sim_cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	[ -n "$BACK_PID" ] && kill "$BACK_PID" 2>/dev/null && wait "$BACK_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap sim_cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
echo 000000 >"$TMP/pw"

# sim_start ARGS...: starts the simulator, waits for its ready line (in $TMP/ready).
sim_start() {
	"$UPQR_SIM" --listen 127.0.0.1:0 "$@" >"$TMP/ready" 2>"$TMP/sim.err" &
	SIM_PID=$!
	i=0
	while [ ! -s "$TMP/ready" ] && [ $i -lt 300 ] && kill -0 "$SIM_PID" 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	if [ ! -s "$TMP/ready" ]; then
		echo "# upqr-sim did not start (after ${i}0 ms; still running: $(kill -0 "$SIM_PID" 2>/dev/null && echo yes || echo no)):"
		sed 's/^/# /' "$TMP/sim.err"
		kill -9 "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; SIM_PID=""; return 1
	fi
	BASE=$($ST json "$TMP/ready" baseUrl)
	MER=$($ST json "$TMP/ready" merId)
	CERTID=$($ST json "$TMP/ready" certId)
	SKEY=$($ST json "$TMP/ready" secureKey)
	ROOTS="--root $($ST json "$TMP/ready" rootCert) --middle $($ST json "$TMP/ready" middleCert)"
}
# sim_stop: SIGTERM, then the exit status in $SIM_RC; a sanitizer report on its stderr fails.
sim_stop() {
	kill -TERM "$SIM_PID"; wait "$SIM_PID"; SIM_RC=$?; SIM_PID=""
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$TMP/sim.err"; then
		not_ok "upqr-sim: sanitizer report"; grep -A20 -e ERROR -e 'runtime error' "$TMP/sim.err" | head -30 | sed 's/^/# /'
	fi
}
# backend_start STATUSES: a notification receiver; URL in $BACK, bodies in $TMP/back/.
backend_start() {
	rm -rf "$TMP/back" "$TMP/back.port"; mkdir -p "$TMP/back"
	$ST backend "$TMP/back" "$1" >"$TMP/back.port" 2>/dev/null &
	BACK_PID=$!
	i=0
	while [ ! -s "$TMP/back.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	BACK="http://127.0.0.1:$(cat "$TMP/back.port")/notify"
}
# now_bj: the simulator's clock, Beijing time YYYYMMDDhhmmss.
now_bj() { curl -s "$BASE/__sim/clock" >"$TMP/clock"; $ST json "$TMP/clock" now; }
hook() { # PATH FORM: POST a test hook; JSON in $TMP/hook, HTTP status in $HOOK_STATUS
	HOOK_STATUS=$(curl -s -o "$TMP/hook" -w '%{http_code}' -d "$2" "$BASE$1")
}
# fields TYPE SUB ORDER [k=v...]: the common fields of a request into $TMP/fields.
fields() {
	{
		printf 'version=%s\nencoding=UTF-8\nsignMethod=%s\n' "${VER:-5.1.0}" "${METHOD:-01}"
		printf 'txnType=%s\ntxnSubType=%s\nbizType=000000\naccessType=0\n' "$1" "$2"
		printf 'merId=%s\n' "${MERID:-$MER}"
		[ -n "$3" ] && printf 'orderId=%s\n' "$3"
		shift 3
		for kv in "$@"; do printf '%s\n' "$kv"; done
	} >"$TMP/fields"
}
# sign_sdk: $TMP/fields -> $TMP/body with `upqr sign` (the SDK's signer).
sign_sdk() {
	case "${METHOD:-01}" in
	01) "$UPQR" sign --pfx "${PFX:-$PKI/merchant.pfx}" --password-file "$TMP/pw" --version "${VER:-5.1.0}" \
		<"$TMP/fields" | tr -d '\n' >"$TMP/body" ;;
	*) printf '%s' "$SKEY" >"$TMP/skey"
	   "$UPQR" sign --sign-method "$METHOD" --secure-key-file "$TMP/skey" --version "${VER:-5.1.0}" \
		<"$TMP/fields" | tr -d '\n' >"$TMP/body" ;;
	esac
}
# sign_openssl: the same with the openssl command line and curl's own URL encoding.
sign_openssl() {
	md=sha256; [ "${VER:-5.1.0}" = 5.0.0 ] && md=sha1
	cp "$TMP/fields" "$TMP/f2"
	[ "${METHOD:-01}" = 01 ] && printf 'certId=%s\n' "${OSSL_CERTID:-$CERTID}" >>"$TMP/f2"
	LC_ALL=C sort -t= -k1,1 "$TMP/f2" | awk 'NR > 1 { printf "&" } { printf "%s", $0 }' >"$TMP/sts"
	if [ "${METHOD:-01}" = 01 ]; then
		sig=$(openssl dgst -$md -r <"$TMP/sts" | cut -d' ' -f1 | tr -d '\n' |
			openssl dgst -$md -sign "${KEY:-$PKI/merchant.key}" | openssl base64 -A)
	else
		kh=$(printf '%s' "$SKEY" | openssl dgst -sha256 -r | cut -d' ' -f1)
		sig=$({ cat "$TMP/sts"; printf '&%s' "$kh"; } | openssl dgst -sha256 -r | cut -d' ' -f1)
	fi
	printf 'signature=%s\n' "$sig" >>"$TMP/f2"
	sed 's/\\/\\\\/g; s/"/\\"/g; s/^/data-urlencode = "/; s/$/"/' "$TMP/f2" >"$TMP/curl.cfg"
}
# post PATH [openssl]: posts $TMP/body (or the openssl-built request); reply in $TMP/resp.
post() {
	if [ "${2:-}" = openssl ]; then
		HTTP=$(curl -s -o "$TMP/resp" -w '%{http_code}' -H "$CT" -K "$TMP/curl.cfg" "$BASE$1")
	else
		HTTP=$(curl -s -o "$TMP/resp" -w '%{http_code}' -H "$CT" --data-binary @"$TMP/body" "$BASE$1")
	fi
}
back() { post /gateway/api/backTransReq.do "$@"; }
query() { post /gateway/api/queryTrans.do "$@"; }
RAW="env LC_ALL=C awk -f tests/cli/sim/raw.awk"
rf() { $RAW -v key="$1" "$TMP/resp"; }
# expect_field NAME KEY VALUE: a field of the last reply.
expect_field() {
	got=$(rf "$2")
	if [ "$got" = "$3" ]; then ok "$1"; else not_ok "$1 ($2=$got, wanted $3)"; fi
}
# verified NAME: the last reply verifies with `upqr verify` against the simulator's root + middle.
verified() {
	if "$UPQR" verify $ROOTS --format response <"$TMP/resp" >"$TMP/verr" 2>&1; then ok "$1"
	else not_ok "$1"; sed 's/^/# /' "$TMP/verr"; head -c 300 "$TMP/resp" | sed 's/^/# resp: /'; fi
}
# ossl_verified NAME: the same check with the openssl command line only.
ossl_verified() {
	rf signPubKeyCert >"$TMP/spk.pem"
	rf signature | openssl base64 -d -A >"$TMP/sig.bin"
	$RAW -v sts=1 "$TMP/resp" | openssl dgst -sha256 -r | cut -d' ' -f1 | tr -d '\n' >"$TMP/hex"
	openssl x509 -in "$TMP/spk.pem" -pubkey -noout >"$TMP/spk.pub" 2>/dev/null
	if openssl verify -CAfile "$PKI/root.pem" -untrusted "$PKI/middle.pem" "$TMP/spk.pem" >/dev/null 2>&1 &&
		openssl dgst -sha256 -verify "$TMP/spk.pub" -signature "$TMP/sig.bin" "$TMP/hex" >/dev/null 2>&1 &&
		grep -q "$(printf '\r')" "$TMP/spk.pem"; then ok "$1"
	else not_ok "$1"; fi
}
