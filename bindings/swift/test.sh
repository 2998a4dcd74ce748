#!/bin/sh
# test.sh [BUILD] - runs the Swift binding's XCTest suite against the library
# in BUILD (default build; run from the repository root after `make`) and
# prints TAP, one line per test case (xctest-tap.awk). Without a Swift
# toolchain it prints one skipped line and succeeds: tests/run.sh counts
# that as skipped, never as passed.
#
# The package is built in debug mode (fastest to compile) with its build
# cache in BUILD/swift, so later runs only recompile what changed.
set -u
build=${1:-build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v swift >/dev/null 2>&1; then
	echo "ok 1 - swift binding # SKIP skipped: no swift toolchain on PATH"
	echo "1..1"
	exit 0
fi
if [ ! -e "$build/lib/libupqr.so" ]; then
	echo "not ok 1 - swift binding: $build/lib/libupqr.so is missing (run make first)"
	echo "1..1"
	exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd "$here" && UPQR_BUILD="$build" swift test --scratch-path "$build/swift" -c debug) >"$log" 2>&1
rc=$?
awk -v rc="$rc" -f "$here/xctest-tap.awk" "$log"
exit $rc
