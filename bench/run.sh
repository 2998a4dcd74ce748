#!/bin/sh
# run.sh BUILD - runs every bench program in BUILD/bench and gathers the
# figures they report into BUILD/bench/results.json.
#
# A bench program prints human text, plus one line per figure:
#   RESULT <name> <value> <unit>
# Those lines are shown as a table and collected; nothing is asserted here.
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
mkdir -p "$(dirname "$out")"
awk -F '\t' 'BEGIN { printf "[" }
	{ printf "%s\n  {\"name\": \"%s\", \"value\": %s, \"unit\": \"%s\"}", (NR > 1 ? "," : ""), $1, $2, $3 }
	END { print "\n]" }' "$tmp" >"$out"
echo "results: $out"
exit $status
