#!/bin/sh
# run.sh BUILD - runs every bench program in BUILD/bench (and the Java
# binding's BenchMpm when `make java` built it) and gathers the figures they
# report into BUILD/bench/results.json.
#
# A bench program prints human text, plus one line per figure:
#   RESULT <name> <value> <unit>
# Those lines are shown as a table and collected; nothing is asserted here.
# java_mpm_decode_ratio is java_mpm_decode_ns / mpm_decode_ns of this run.
set -eu
build=${1:-build}
out=$build/bench/results.json
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.out"' EXIT
status=0
# Disk-bound benches (bench_journal) put their files beside the build, on the
# disk the project lives on, unless told otherwise.
UPQR_BENCH_DIR=${UPQR_BENCH_DIR:-$build}
export UPQR_BENCH_DIR

# collect NAME CMD... - runs one bench program and files its RESULT lines.
collect() {
	label=$1
	shift
	echo "== $label"
	if ! "$@" >"$tmp.out"; then
		echo "bench: $label failed" >&2
		status=1
	fi
	grep -v '^RESULT ' "$tmp.out" || true
	grep '^RESULT ' "$tmp.out" | while read -r _ name value unit; do
		printf '  %-34s %14s %s\n' "$name" "$value" "$unit"
		printf '%s\t%s\t%s\n' "$name" "$value" "$unit" >>"$tmp"
	done
	rm -f "$tmp.out"
}

for b in "$build"/bench/bench_*; do
	[ -x "$b" ] || continue
	collect "$(basename "$b")" "$b"
done
if [ -f "$build/java/.bench-classes" ] && command -v java >/dev/null 2>&1; then
	collect "java BenchMpm" java -Djava.library.path="$build/lib" \
		-cp "$build/java/upqr.jar:$build/java/bench-classes" BenchMpm
	ratio=$(awk -F '\t' '$1 == "mpm_decode_ns" { c = $2 } $1 == "java_mpm_decode_ns" { j = $2 }
		END { if (c > 0 && j > 0) printf "%.3f", j / c }' "$tmp")
	if [ -n "$ratio" ]; then
		printf '  %-34s %14s %s\n' java_mpm_decode_ratio "$ratio" "x (target <= 2)"
		printf 'java_mpm_decode_ratio\t%s\tx\n' "$ratio" >>"$tmp"
	fi
fi
mkdir -p "$(dirname "$out")"
awk -F '\t' 'BEGIN { printf "[" }
	{ printf "%s\n  {\"name\": \"%s\", \"value\": %s, \"unit\": \"%s\"}", (NR > 1 ? "," : ""), $1, $2, $3 }
	END { print "\n]" }' "$tmp" >"$out"
echo "results: $out"
exit $status
