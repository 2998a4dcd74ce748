# samples-lib.sh - sourced by scripts/demo.sh and tests/cli/test_samples.sh:
# start upqr-sim, point the samples at it, run merchant_qr in the background.
# The caller sets $SAMPLES (folder of the sample binaries), $SIM_BIN, $WORK
# (a scratch folder) and a trap that calls samples_cleanup.
SIM_PID=""
MQR_PID=""

# Safe under set -e: a killed child's wait status must not end the cleanup early.
samples_cleanup() {
	for p in $MQR_PID $SIM_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	MQR_PID=""
	SIM_PID=""
}

# wait_line FILE PATTERN [TENTHS]: waits until FILE has a line matching PATTERN (grep -E);
# 30 s for the slow steps, as a loaded CI machine needs.
wait_line() {
	i=0
	while ! grep -Eq -- "$2" "$1" 2>/dev/null; do
		[ $i -ge "${3:-150}" ] && return 1
		sleep 0.1; i=$((i + 1))
	done
}

# samples_sim_start [ARGS]: upqr-sim on 127.0.0.1:0; exports the UPQR_* environment.
samples_sim_start() {
	"$SIM_BIN" --listen 127.0.0.1:0 --state :memory: "$@" >"$WORK/ready" 2>"$WORK/sim.err" &
	SIM_PID=$!
	wait_line "$WORK/ready" '"ready":true' 300 || { cat "$WORK/sim.err" >&2; return 1; }
	eval "$(sh samples/sim-env.sh "$WORK/ready" "$WORK")"
}

# sim_fault FORM: adds a fault (docs/sim.md), e.g. "scope=amount&key=1313&fault=drop".
sim_fault() { curl -sf -o /dev/null -d "$1" "$UPQR_SIM_URL/__sim/faults"; }

# mqr_start OUT ARGS...: merchant_qr in the background, output in OUT; returns once its
# code is shown and it waits for the payment. Sets MQR_ORDER and MQR_TXN_TIME.
mqr_start() {
	mqr_out=$1; shift
	"$SAMPLES/merchant_qr" "$@" >"$mqr_out" 2>&1 &
	MQR_PID=$!
	wait_line "$mqr_out" '^waiting up to|^sample:' 300 || return 1
	MQR_ORDER=$(sed -n 's/^order \([0-9A-Za-z]*\) (txnTime \([0-9]*\)).*/\1/p' "$mqr_out")
	MQR_TXN_TIME=$(sed -n 's/^order \([0-9A-Za-z]*\) (txnTime \([0-9]*\)).*/\2/p' "$mqr_out")
}

# mqr_wait: waits for merchant_qr; its exit status in MQR_RC.
mqr_wait() { MQR_RC=0; wait "$MQR_PID" || MQR_RC=$?; MQR_PID=""; }
