#!/bin/sh
# The README's C quickstart compiles against the public API and runs.
. tests/cli/lib.sh

if [ "$UPQR_BUILD" != build ]; then
	skip "README quickstart" "runs on the plain build only (this is $UPQR_BUILD)"
	done_testing
	exit $?
fi
# The first ```c block after "## Quickstart (C)".
awk '/^## Quickstart \(C\)/ { q = 1 } q && /^```c$/ { c = 1; next } c && /^```$/ { exit } c' \
	README.md >"$TMP/quick.c"
if [ -s "$TMP/quick.c" ]; then ok "quickstart found"; else not_ok "quickstart found"; fi
libs=$(pkg-config --libs libqrencode zbar libpng libjpeg openssl)
expect_rc "quickstart compiles (-Wall -Wextra -Werror)" 0 \
	cc -std=c11 -Wall -Wextra -Werror -Iinclude -o "$TMP/quick" "$TMP/quick.c" \
	"$UPQR_BUILD/lib/libupqr.a" $libs -lm
here=$(pwd)
cd "$TMP" && expect_rc "quickstart runs" 0 ./quick
cd "$here"
expect_out "prints the payload, 00 first" '^000201010212'
expect_out "decodes it back" '^NOODLE BAR: 12850 minor units of HKD, merchant ID 798034459990001$'
expect_out "renders with ECI" 'pay.png: version [0-9]+, ECC M, ECI yes'
if [ -s "$TMP/pay.png" ] && [ "$(head -c 4 "$TMP/pay.png" | tail -c 3)" = PNG ]; then
	ok "pay.png written"
else
	not_ok "pay.png written"
fi
done_testing
