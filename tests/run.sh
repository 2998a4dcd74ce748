#!/bin/sh
# run.sh - runs the whole suite and prints one closing line
# "N passed, N failed, N skipped".
#
#   1. unit tests (cmocka, TAP output) and CLI tests of the plain build, and
#      the Swift binding's XCTest suite when a swift toolchain is on PATH
#      (each XCTest case counted; "skipped" when there is no toolchain)
#   2. the same again built with ASan+UBSan (build/asan)
#   3. unit tests of the plain build under valgrind (UPQR_TEST_QUICK=1)
#   4. a short libFuzzer smoke of every fuzz target (build/fuzz)
#   5. the Java binding's JUnit 5 suite (-Xcheck:jni), one TAP line per test
#      from bindings/java/run-tests.sh: with the plain build after step 1, with
#      the ASan+UBSan build (runtimes preloaded into the JVM) in step 2
#
# Each cmocka test case and each CLI check counts once; a TAP line
# "ok N - ... # SKIP reason" counts as skipped, never as passed; a binary
# that dies without reporting counts as one failure. Logs of failures and
# skips: build/test-logs/.
set -u
LOGS=${UPQR_TEST_LOGS:-build/test-logs}
PASS=0
FAIL=0
SKIP=0
FAILED_NAMES=""
SKIPPED_NAMES=""

tally() { # $1 = TAP log, $2 = exit code, $3 = label
	# TAP directives are case-insensitive ("# SKIP", "# skip", "# Skipped ..."), and
	# cmocka reports skip() as "not ok N # SKIP name": a skip either way.
	so=$(grep -ci '^ok .*# *skip' "$1" || true)
	sn=$(grep -ci '^not ok .*# *skip' "$1" || true)
	s=$((so + sn))
	p=$(($(grep -c '^ok ' "$1" || true) - so))
	f=$(($(grep -c '^not ok ' "$1" || true) - sn))
	# cmocka prints a group line "not ok - group" on failure; do not count it twice.
	g=$(grep -c '^# not ok - ' "$1" || true)
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
	SKIP=$((SKIP + s))
	: "$g"
	[ "$f" -ne 0 ] || [ "$s" -ne 0 ] && cp "$1" "$LOGS/$(echo "$3" | tr '/ ' '__').log"
	if [ "$f" -ne 0 ]; then
		FAILED_NAMES="$FAILED_NAMES $3"
		echo "FAIL $3 ($f failed; log in $LOGS)"
		grep '^not ok ' "$1" | grep -vi '# *skip' | sed 's/^/    /'
	else
		if [ "$s" -ne 0 ]; then echo "ok   $3 ($p passed, $s skipped)"; else echo "ok   $3 ($p passed)"; fi
	fi
	if [ "$s" -ne 0 ]; then
		SKIPPED_NAMES="$SKIPPED_NAMES $3"
		grep -i '^\(not \)\?ok .*# *skip' "$1" | sed 's/^/    /'
	fi
}

# A suite whose programs were never built is reported as skipped, not left out.
skip_missing() { # $1 = label, $2 = what is missing
	log=$(mktemp)
	echo "ok 1 - $1 # SKIP $2 not built" >"$log"
	tally "$log" 0 "$1"
	rm -f "$log"
}

run_units() { # $1 = build dir, $2 = label prefix, $3.. = wrapper
	dir=$1; label=$2; shift 2
	ls "$dir"/tests/test_* >/dev/null 2>&1 || { skip_missing "$label/unit" "$dir/tests"; return; }
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		log=$(mktemp)
		CMOCKA_MESSAGE_OUTPUT=TAP UPQR_BUILD="$dir" "$@" "$t" >"$log" 2>&1
		tally "$log" $? "$label/$(basename "$t")"
		rm -f "$log"
	done
}

run_cli() { # $1 = build dir, $2 = label prefix
	[ -x "$1/bin/upqr" ] || { skip_missing "$2/cli" "$1/bin/upqr"; return; }
	for s in tests/cli/test_*.sh; do
		[ -f "$s" ] || continue
		log=$(mktemp)
		UPQR="$1/bin/upqr" UPQR_BUILD="$1" sh "$s" >"$log" 2>&1
		tally "$log" $? "$2/$(basename "$s")"
		rm -f "$log"
	done
}

run_java() { # $1 = build dir, $2 = label prefix, $3 = sanitizer (asan) or ""
	[ -f "$1/java/.test-classes" ] || { skip_missing "$2/java" "$1/java (make java)"; return; }
	log=$(mktemp)
	UPQR_BUILD="$1" UPQR_JAVA_SAN="${3:-}" sh bindings/java/run-tests.sh >"$log" 2>&1
	tally "$log" $? "$2/java"
	rm -f "$log"
}

# The Swift binding: bindings/swift/test.sh prints one TAP line per XCTest case
# (a single SKIP line when swift is not installed).
run_swift() {
	log=$(mktemp)
	sh bindings/swift/test.sh build >"$log" 2>&1
	tally "$log" $? "swift/xctest"
	rm -f "$log"
}

run_fuzz() {
	ls build/fuzz/fuzzers/fuzz_* >/dev/null 2>&1 || { skip_missing "fuzz" "build/fuzz/fuzzers"; return; }
	for f in build/fuzz/fuzzers/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		log=$(mktemp)
		if sh tests/fuzz/run.sh build/fuzz/fuzzers "$name" "${FUZZ_SMOKE_SECONDS:-10}" >"$log" 2>&1; then
			echo "ok 1 - $name $(grep -o 'Done [0-9]* runs' "$log" | tail -1)" >>"$log"
			tally "$log" 0 "fuzz/$name"
		else
			echo "not ok 1 - $name" >>"$log"
			tally "$log" 1 "fuzz/$name"
		fi
		rm -f "$log"
	done
}

# tests/cli/test_runner.sh sources this file for tally() alone.
[ "${UPQR_RUN_FUNCTIONS_ONLY:-}" = 1 ] && return 0
rm -rf "$LOGS"
mkdir -p "$LOGS"

# One throwaway PostgreSQL server for the whole run (the PostgreSQL journal
# tests); stopped and removed on exit, whatever happens. Without one, those
# tests report themselves skipped.
PG_URL=""
if PG_URL=$(sh tests/support/pg_fixture.sh start 2>"$LOGS/pg_fixture.log"); then
	export UPQR_PG_URL="$PG_URL"
	trap 'sh tests/support/pg_fixture.sh stop "$PG_URL"' EXIT
	trap 'exit 130' INT TERM HUP
else
	PG_URL=""
	echo "(no PostgreSQL server: $(tail -1 "$LOGS/pg_fixture.log"); its tests report skips)"
fi

echo "== unit and CLI tests (plain build)"
run_units build plain
run_cli build plain
run_java build plain
echo "== Swift binding (XCTest against the plain build)"
run_swift
echo "== unit and CLI tests (ASan+UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_units build/asan asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_cli build/asan asan
run_java build/asan asan asan
if command -v valgrind >/dev/null 2>&1; then
	echo "== unit tests under valgrind"
	UPQR_TEST_QUICK=1 run_units build valgrind valgrind -q --error-exitcode=99 --suppressions=tests/valgrind.supp \
		--leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite
fi
echo "== fuzz smoke (${FUZZ_SMOKE_SECONDS:-10}s per target)"
run_fuzz

echo
[ -n "$FAILED_NAMES" ] && echo "failed:$FAILED_NAMES"
[ -n "$SKIPPED_NAMES" ] && echo "with skips:$SKIPPED_NAMES"
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" -eq 0 ]
