#!/bin/sh
# run.sh BUILD - runs every bench program in BUILD/bench and gathers the
# figures they report into BUILD/bench/results.json.
#
# A bench program prints human text, plus one line per figure:
#   RESULT <name> <value> <unit>
# Those lines are shown as a table and collected; nothing is asserted here.
# With a swift toolchain, the Swift binding's bench runs too, and after
# `make java` the Java binding's (see below).
set -eu
build=${1:-build}
out=$build/bench/results.json
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
status=0
# Disk-bound benches (bench_journal) put their files beside the build, on the
# disk the project lives on, unless told otherwise.
UPQR_BENCH_DIR=${UPQR_BENCH_DIR:-$build}
export UPQR_BENCH_DIR
# A throwaway PostgreSQL server for bench_journal_pg, stopped on exit; without
# one that bench says it is skipped.
if [ -z "${UPQR_PG_URL:-}" ]; then
	if UPQR_PG_URL=$(sh tests/support/pg_fixture.sh start); then
		export UPQR_PG_URL
		trap 'rm -f "$tmp"; sh tests/support/pg_fixture.sh stop "$UPQR_PG_URL"' EXIT
		trap 'exit 130' INT TERM HUP
	else
		UPQR_PG_URL=""
	fi
fi
for b in "$build"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	if ! "$b" >"$tmp.out"; then
		echo "bench: $(basename "$b") failed" >&2
		status=1
	fi
	grep -v '^RESULT ' "$tmp.out" || true
	grep '^RESULT ' "$tmp.out" | while read -r _ name value unit; do
		printf '  %-34s %14s %s\n' "$name" "$value" "$unit"
		printf '%s\t%s\t%s\n' "$name" "$value" "$unit" >>"$tmp"
	done
	rm -f "$tmp.out"
done
# The Swift binding (bindings/swift): MPM.decode against the C call over the
# payload set of bench_mpm, in a release build cached in BUILD/swift-release.
# swift_mpm_decode_vs_c relates it to this run's mpm_decode_ns (target <= 2).
if command -v swift >/dev/null 2>&1 && [ -x "$build/bench/bench_mpm" ]; then
	echo "== upqr-swift-bench (Swift binding)"
	root=$(pwd)
	case $build in /*) abs=$build ;; *) abs=$root/$build ;; esac
	"$build/bench/bench_mpm" --payloads >"$tmp.payloads"
	if (cd bindings/swift && UPQR_BUILD="$abs" swift build -c release --product upqr-swift-bench \
			--scratch-path "$abs/swift-release" >"$tmp.log" 2>&1) &&
		"$abs/swift-release/release/upqr-swift-bench" "$tmp.payloads" >"$tmp.out"; then
		grep -v '^RESULT ' "$tmp.out" || true
		grep '^RESULT ' "$tmp.out" | while read -r _ name value unit; do
			printf '  %-34s %14s %s\n' "$name" "$value" "$unit"
			printf '%s\t%s\t%s\n' "$name" "$value" "$unit" >>"$tmp"
		done
		awk -F '\t' '$1 == "mpm_decode_ns" { c = $2 } $1 == "swift_mpm_decode_ns" { s = $2 }
			END { if (c > 0 && s > 0) printf "swift_mpm_decode_vs_c\t%.3f\tx\n", s / c }' "$tmp" >"$tmp.ratio"
		if [ -s "$tmp.ratio" ]; then
			printf '  %-34s %14s %s\n' $(cat "$tmp.ratio")
			cat "$tmp.ratio" >>"$tmp"
		fi
	else
		echo "bench: the Swift bench failed to build or run" >&2
		tail -20 "$tmp.log" >&2
		status=1
	fi
	rm -f "$tmp.payloads" "$tmp.log" "$tmp.out" "$tmp.ratio"
else
	echo "== upqr-swift-bench: skipped (no swift toolchain on PATH)"
fi
# The Java binding (make java): Mpm.decode over the payloads of
# `bench_mpm --payloads`; java_mpm_decode_ns is the first of them, EMVCo Annex
# B.7, the payload of the C mpm_decode_ns. On a shared machine one run of
# each is at the mercy of the load, so bench_mpm and BenchMpm alternate three
# times and java_mpm_decode_ratio is best Java / best C (target <= 2).
if [ -x "$build/bench/bench_mpm" ] && [ -f "$build/java/.bench-classes" ] && command -v java >/dev/null 2>&1; then
	echo "== java BenchMpm (alternating with bench_mpm, 3 rounds)"
	"$build/bench/bench_mpm" --payloads >"$tmp.payloads"
	: >"$tmp.alt"
	for round in 1 2 3; do
		"$build/bench/bench_mpm" 2>/dev/null | grep '^RESULT mpm_decode_ns ' >>"$tmp.alt" || true
		java -Djava.library.path="$build/lib" -cp "$build/java/upqr.jar:$build/java/bench-classes" \
			BenchMpm "$tmp.payloads" 2>/dev/null | grep '^RESULT java_' >>"$tmp.alt" || true
		: "$round"
	done
	awk '{ if (!($2 in best) || $3 < best[$2]) best[$2] = $3 }
		END {
			if (best["java_mpm_decode_ns"] > 0 && best["mpm_decode_ns"] > 0) {
				printf "java_mpm_decode_ns\t%s\tns\n", best["java_mpm_decode_ns"]
				printf "java_mpm_decode_set_ns\t%s\tns\n", best["java_mpm_decode_set_ns"]
				printf "java_mpm_decode_ratio\t%.3f\tx\n", best["java_mpm_decode_ns"] / best["mpm_decode_ns"]
			}
		}' "$tmp.alt" >"$tmp.out"
	if [ -s "$tmp.out" ]; then
		while IFS="$(printf '\t')" read -r name value unit; do
			printf '  %-34s %14s %s\n' "$name" "$value" "$unit"
		done <"$tmp.out"
		cat "$tmp.out" >>"$tmp"
	else
		echo "bench: java BenchMpm failed" >&2
		status=1
	fi
	rm -f "$tmp.alt" "$tmp.out" "$tmp.payloads"
fi
mkdir -p "$(dirname "$out")"
awk -F '\t' 'BEGIN { printf "[" }
	{ printf "%s\n  {\"name\": \"%s\", \"value\": %s, \"unit\": \"%s\"}", (NR > 1 ? "," : ""), $1, $2, $3 }
	END { print "\n]" }' "$tmp" >"$out"
echo "results: $out"
exit $status
