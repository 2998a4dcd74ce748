#!/bin/sh
# run.sh BUILD - runs every bench program in BUILD/bench (and the Java
# binding's BenchMpm when `make java` built it) and gathers the figures they
# report into BUILD/bench/results.json.
#
# A bench program prints human text, plus one line per figure:
#   RESULT <name> <value> <unit>
# Those lines are shown as a table and collected; nothing is asserted here.
# java_mpm_decode_ratio: the Java binding's MPM decode over the C one (below).
set -eu
build=${1:-build}
out=$build/bench/results.json
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.out" "$tmp.alt"' EXIT
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
# The Java binding's decode against the C one, over the whole payload set
# (java_mpm_decode_ratio) and over the three typical payloads alone
# (java_mpm_decode_typical_ratio). On a shared machine one run of each is at
# the mercy of the load, so the two programs alternate three times and each
# ratio is taken between their best runs (the same estimator on both sides);
# the java_* ns figures are the best Java runs.
if [ -x "$build/bench/bench_mpm" ] && [ -f "$build/java/.bench-classes" ] && command -v java >/dev/null 2>&1; then
	echo "== java BenchMpm (alternating with bench_mpm, 3 rounds)"
	: >"$tmp.alt"
	for round in 1 2 3; do
		"$build/bench/bench_mpm" 2>/dev/null | grep '^RESULT mpm_decode' >>"$tmp.alt" || true
		java -Djava.library.path="$build/lib" -cp "$build/java/upqr.jar:$build/java/bench-classes" \
			BenchMpm 2>/dev/null | grep '^RESULT java_mpm_decode' >>"$tmp.alt" || true
		: "$round"
	done
	awk '{ if (!($2 in best) || $3 < best[$2]) best[$2] = $3 }
		END {
			if (best["java_mpm_decode_ns"] > 0 && best["mpm_decode_ns"] > 0) {
				printf "java_mpm_decode_ns\t%s\tns\n", best["java_mpm_decode_ns"]
				printf "java_mpm_decode_typical_ns\t%s\tns\n", best["java_mpm_decode_typical_ns"]
				printf "java_mpm_decode_ratio\t%.3f\tx\n", best["java_mpm_decode_ns"] / best["mpm_decode_ns"]
				printf "java_mpm_decode_typical_ratio\t%.3f\tx\n", \
					best["java_mpm_decode_typical_ns"] / best["mpm_decode_typical_ns"]
			}
		}' "$tmp.alt" >"$tmp.out"
	if [ -s "$tmp.out" ]; then
		while IFS="$(printf '\t')" read -r name value unit; do
			printf '  %-34s %14s %s\n' "$name" "$value" "$unit"
		done <"$tmp.out"
		echo "  (ratios: best Java run / best C run; target <= 2)"
		cat "$tmp.out" >>"$tmp"
	else
		echo "bench: java BenchMpm failed" >&2
		status=1
	fi
	rm -f "$tmp.alt" "$tmp.out"
fi
mkdir -p "$(dirname "$out")"
awk -F '\t' 'BEGIN { printf "[" }
	{ printf "%s\n  {\"name\": \"%s\", \"value\": %s, \"unit\": \"%s\"}", (NR > 1 ? "," : ""), $1, $2, $3 }
	END { print "\n]" }' "$tmp" >"$out"
echo "results: $out"
exit $status
