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
# expect_count NAME EXIT WANT TAP-TEXT
expect_count() {
	printf "$4" >"$TMP/t.tap"
	got=$(count "$TMP/t.tap" "$2")
	[ "$got" = "$3" ] && ok "$1" || not_ok "$1: counted '$got', wanted '$3'"
}
expect_count "skips are counted as skipped, not passed" 0 "1 0 3" \
	'ok 1 - a\nok 2 - b # SKIP no bash\nnot ok 3 # SKIP c\nok 4 - d # skip lower case\n1..4\n'
expect_count "a failure is a failure" 1 "1 1 0" 'ok 1 - a\nnot ok 2 - b\n1..2\n'
expect_count "a crash after its checks counts one failure" 134 "1 1 0" 'ok 1 - a\n'
expect_count "a suite of skips passes nothing" 0 "0 0 1" 'not ok 1 # SKIP only\n'
grep -q 'echo "$PASS passed, $FAIL failed, $SKIP skipped"' tests/run.sh &&
	ok "the closing line says passed, failed and skipped" || not_ok "closing line"
done_testing
