# xctest-tap.awk - turns `swift test` (XCTest) output into TAP, one line per
# test case, so tests/run.sh counts each case: passed -> "ok", failed ->
# "not ok" (with the assertion messages as "#" comments before it), skipped
# -> "ok ... # SKIP reason". Handles the Linux form 'Suite.testName' and
# the Apple form '-[Module.Suite testName]'.
#
#   awk -v rc=EXIT -f xctest-tap.awk < swift-test.log
# rc: the exit status of `swift test`; when it failed but no case failed
# (a build error, a crash), one more "not ok" line says so, with the end of
# the log as comments.
function casename(line,    s) {
	s = line
	sub(/^Test Case '/, "", s)
	sub(/' (passed|failed|skipped).*$/, "", s)
	if (s ~ /^-\[/) {	# -[Module.Suite testName] -> Suite.testName
		gsub(/^-\[|\]$/, "", s)
		sub(/^[^. ]*\./, "", s)
		sub(/ /, ".", s)
	}
	return s
}
{ tail[NR % 30] = $0 }
/: error: / || /: failed - / { notes = notes "# " $0 "\n" }
/Test skipped/ { reason = $0; sub(/.*Test skipped[: -]*/, "", reason) }
/^Test Case '.*' passed/ { n++; printf "ok %d - %s\n", n, casename($0); notes = ""; next }
/^Test Case '.*' failed/ {
	n++; failed++
	printf "%s", notes
	printf "not ok %d - %s\n", n, casename($0); notes = ""; next
}
/^Test Case '.*' skipped/ {
	n++
	printf "ok %d - %s # SKIP %s\n", n, casename($0), reason; reason = ""; notes = ""; next
}
END {
	if (rc != 0 && failed == 0) {
		for (i = NR - 29; i <= NR; i++)
			if (i > 0) print "# " tail[i % 30]
		n++
		printf "not ok %d - swift test exited with status %d (build error or crash; log above)\n", n, rc
	}
	if (n == 0) {
		n++
		printf "not ok %d - swift test ran no test case\n", n
	}
	printf "1..%d\n", n
}
