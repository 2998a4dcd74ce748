#!/bin/sh
# tests/run.sh counts what it is told: a skip is a skip (both "ok N - x # SKIP
# why" and cmocka's "not ok N # SKIP x"), never a pass or a failure.
. tests/cli/lib.sh

count() { # LOG EXIT -> "passed failed skipped" after tally
	(
		UPQR_RUN_FUNCTIONS_ONLY=1 UPQR_TEST_LOGS="$TMP/logs"
		mkdir -p "$TMP/logs"
		. tests/run.sh
		tally "$1" "$2" label >/dev/null
		echo "$PASS $FAIL $SKIP"
	)
}
printf 'ok 1 - a\nok 2 - b # SKIP no bash\nnot ok 3 # SKIP c\nok 4 - d # skip lower case\n1..4\n' >"$TMP/a.tap"
got=$(count "$TMP/a.tap" 0)
[ "$got" = "1 0 3" ] && ok "skips are counted as skipped, not passed" || not_ok "counted '$got', wanted '1 0 3'"
printf 'ok 1 - a\nnot ok 2 - b\n1..2\n' >"$TMP/b.tap"
got=$(count "$TMP/b.tap" 1)
[ "$got" = "1 1 0" ] && ok "a failure is a failure" || not_ok "counted '$got', wanted '1 1 0'"
printf 'ok 1 - a\n' >"$TMP/c.tap"
got=$(count "$TMP/c.tap" 134)
[ "$got" = "1 1 0" ] && ok "a crash after its checks counts one failure" || not_ok "counted '$got', wanted '1 1 0'"
printf 'not ok 1 # SKIP only\n' >"$TMP/d.tap"
got=$(count "$TMP/d.tap" 0)
[ "$got" = "0 0 1" ] && ok "a suite of skips passes nothing" || not_ok "counted '$got', wanted '0 0 1'"
grep -q 'echo "$PASS passed, $FAIL failed, $SKIP skipped"' tests/run.sh &&
	ok "the closing line says passed, failed and skipped" || not_ok "closing line"
done_testing
