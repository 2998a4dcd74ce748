#!/bin/sh
# Each public header compiles on its own, as C99 -pedantic and as C++11,
# with every warning an error (also `make headers-check`).
. tests/cli/lib.sh

for lang in c c++; do
	if [ $lang = c ]; then cc=${CC:-cc}; std=c99; else cc=${CXX:-c++}; std=c++11; fi
	if ! command -v "$cc" >/dev/null 2>&1; then
		skip "headers as $lang" "no $cc"
		continue
	fi
	for h in include/upqr.h include/upqr/*.h; do
		inc=${h#include/}
		if printf '#include "%s"\n#include "%s"\nint main(void) { return 0; }\n' "$inc" "$inc" |
			$cc -x $lang -std=$std -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only - 2>"$TMP/err"; then
			ok "$inc alone as $lang ($std -pedantic)"
		else
			not_ok "$inc alone as $lang ($std -pedantic)"; sed 's/^/# /' "$TMP/err" | head -10
		fi
	done
done
done_testing
