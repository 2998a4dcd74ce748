#!/bin/sh
# The CLI front door, and the shared library's exported symbols.
. tests/cli/lib.sh

expect_rc "version exits 0" 0 "$UPQR" version
expect_out "version prints the version" '^upqr [0-9]+\.[0-9]+\.[0-9]+$'
expect_rc "no command is a usage error" 2 "$UPQR"
expect_rc "unknown command is a usage error" 2 "$UPQR" frobnicate
expect_err "unknown command is named" "unknown command: frobnicate"
expect_rc "help exits 0" 0 "$UPQR" --help
expect_out "help lists commands" 'version'

# Only upqr_* is exported from the shared library (hidden visibility).
so="$UPQR_BUILD/lib/libupqr.so"
if [ ! -f "$so" ]; then
	not_ok "no $so: the build did not make the shared library"
else
	bad=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^upqr_' | grep -v '^_' || true)
	if [ -z "$bad" ]; then ok "shared library exports only upqr_*"; else not_ok "exports: $bad"; fi
	nm -D --defined-only "$so" | awk '{print $3}' | grep '^upqr_' | LC_ALL=C sort >"$TMP/syms"
	grep -v '^#' abi/libupqr.so.0.symbols >"$TMP/want"
	if diff -u "$TMP/want" "$TMP/syms" >"$TMP/symdiff"; then
		ok "exported symbols match abi/libupqr.so.0.symbols"
	else
		not_ok "exported symbols differ from abi/libupqr.so.0.symbols (update it deliberately)"
		sed 's/^/# /' "$TMP/symdiff" | head -40
	fi
	soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
	if [ "$soname" = "libupqr.so.0" ]; then ok "soname libupqr.so.0"; else not_ok "soname '$soname'"; fi
fi

done_testing
