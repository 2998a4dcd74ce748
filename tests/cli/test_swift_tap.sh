#!/bin/sh
# The Swift binding's XCTest output becomes one TAP line per test case
# (bindings/swift/xctest-tap.awk): passes, failures and skips each counted
# as what they are, a failed build is a failure, and no toolchain is a skip.
. tests/cli/lib.sh
AWK_TAP=bindings/swift/xctest-tap.awk

cat >"$TMP/log" <<'LOG'
Building for debugging...
Test Suite 'All tests' started at 2026-12-07 11:53:58.100
Test Case 'QRTests.testEncodeMatrix' started at 2026-12-07 11:53:58.101
Test Case 'QRTests.testEncodeMatrix' passed (0.010 seconds)
Test Case 'ScannerTests.testBadInputs' started at 2026-12-07 11:53:58.111
/x/ScannerTests.swift:9: error: ScannerTests.testBadInputs : XCTAssertEqual failed: ("1") is not equal to ("2")
Test Case 'ScannerTests.testBadInputs' failed (0.002 seconds)
/x/SignTests.swift:13: SignTests.testPFX : Test skipped: no UnionPay test vectors
Test Case 'SignTests.testPFX' skipped (0.000 seconds)
Test Case '-[UPQRTests.MPMTests testVectors]' passed (0.1 seconds)
	 Executed 4 tests, with 1 test skipped and 1 failure (1 unexpected) in 0.1 (0.1) seconds
LOG
awk -v rc=1 -f "$AWK_TAP" "$TMP/log" >"$TMP/tap"
grep -qx 'ok 1 - QRTests.testEncodeMatrix' "$TMP/tap" && ok "a passed case is ok" || not_ok "passed case"
grep -qx 'not ok 2 - ScannerTests.testBadInputs' "$TMP/tap" && ok "a failed case is not ok" || not_ok "failed case"
grep -q '^# .*XCTAssertEqual failed' "$TMP/tap" && ok "the failure's message is kept as a comment" || not_ok "failure message"
grep -qx 'ok 3 - SignTests.testPFX # SKIP no UnionPay test vectors' "$TMP/tap" && ok "a skipped case is a SKIP with its reason" ||
	not_ok "skipped case"
grep -qx 'ok 4 - MPMTests.testVectors' "$TMP/tap" && ok "the Apple name form is read" || not_ok "Apple form"
grep -qx '1..4' "$TMP/tap" && ok "plan counts the cases" || not_ok "plan"

# A build error: swift test fails before any case runs.
printf 'Building for debugging...\nerror: no such module CUPQR\n' >"$TMP/log"
awk -v rc=1 -f "$AWK_TAP" "$TMP/log" >"$TMP/tap"
grep -q '^not ok 1 - swift test exited with status 1' "$TMP/tap" && ok "a build error is a failure" || not_ok "build error"
grep -q '^# error: no such module CUPQR' "$TMP/tap" && ok "with the log's end as comments" || not_ok "build log"

# No cases at all with a zero status is still not a pass.
printf 'Building for debugging...\n' >"$TMP/log"
awk -v rc=0 -f "$AWK_TAP" "$TMP/log" | grep -q '^not ok 1 - swift test ran no test case' &&
	ok "no test case run is a failure" || not_ok "empty run"

# Without a toolchain: a skip that says so.
mkdir -p "$TMP/bin"
for t in sh mktemp dirname awk rm cat; do
	p=$(command -v $t) && ln -s "$p" "$TMP/bin/$t"
done
PATH="$TMP/bin" sh bindings/swift/test.sh >"$TMP/tap" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q '^ok 1 - .* # SKIP skipped: no swift toolchain' "$TMP/tap" &&
	ok "no swift on PATH: one skipped line" || { not_ok "no swift (exit $rc)"; sed 's/^/# /' "$TMP/tap"; }
done_testing
