# lib.sh - sourced by the CLI tests: TAP-style checks on the `upqr` program.
# $UPQR is the binary under test; $UPQR_BUILD its build folder.
: "${UPQR:=build/bin/upqr}"
: "${UPQR_BUILD:=build}"
TN=0
TFAIL=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { TN=$((TN + 1)); echo "ok $TN - $1"; }
not_ok() { TN=$((TN + 1)); TFAIL=$((TFAIL + 1)); echo "not ok $TN - $1"; }
# skip NAME REASON: a check that cannot run here; tests/run.sh counts it as skipped.
skip() { TN=$((TN + 1)); echo "ok $TN - $1 # SKIP $2"; }

# run CMD...: runs it, keeps stdout in $TMP/out, stderr in $TMP/err, status in $RC.
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

# expect_rc NAME CODE CMD...
expect_rc() {
	name=$1; want=$2; shift 2
	run "$@"
	if [ "$RC" -eq "$want" ]; then
		ok "$name"
	else
		not_ok "$name (exit $RC, wanted $want)"
		sed 's/^/# err: /' "$TMP/err" | head -20
		sed 's/^/# out: /' "$TMP/out" | head -20
	fi
}

# expect_out NAME PATTERN: the last run's stdout matches the grep -E pattern.
expect_out() {
	if grep -Eq -- "$2" "$TMP/out"; then ok "$1"; else not_ok "$1"; sed 's/^/# out: /' "$TMP/out" | head -20; fi
}

# expect_err NAME PATTERN: the last run's stderr matches.
expect_err() {
	if grep -Eq -- "$2" "$TMP/err"; then ok "$1"; else not_ok "$1"; sed 's/^/# err: /' "$TMP/err" | head -20; fi
}

# ASan reports go to stderr; a test that checks only exit codes would miss them.
no_sanitizer_report() {
	if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' "$TMP/err"; then
		not_ok "$1: sanitizer report"; head -30 "$TMP/err" | sed 's/^/# /'
	fi
}

done_testing() {
	echo "1..$TN"
	[ "$TFAIL" -eq 0 ]
}
