#!/bin/sh
# run.sh DIR [NAME [SECONDS]] - runs libFuzzer targets from DIR on their seed
# corpus (tests/fuzz/corpus/NAME, copied so the tree stays clean).
set -eu
dir=$1
only=${2:-}
secs=${3:-${FUZZ_SECONDS:-60}}
status=0
for f in "$dir"/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	[ -n "$only" ] && [ "$only" != "$name" ] && continue
	work=build/fuzz/corpus/$name
	mkdir -p "$work"
	seeds=tests/fuzz/corpus/$name
	[ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null || true
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	echo "fuzz: $name for ${secs}s"
	# shellcheck disable=SC2086
	log=build/fuzz/$name.log
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build/fuzz/ $dict "$work" >"$log" 2>&1; then
		tail -n 2 "$log"
	else
		tail -n 60 "$log"
		status=1
	fi
done
exit $status
