#!/bin/sh
# The C quickstart in docs/qr.md compiles against the public API and runs.
. tests/cli/lib.sh

lib="$UPQR_BUILD/lib/libupqr.a"
awk '/^```c$/ { on = 1; next } /^```$/ { on = 0 } on' docs/qr.md >"$TMP/app.c"
if [ ! -s "$TMP/app.c" ]; then
	not_ok "docs/qr.md has a C snippet"
elif [ ! -f "$lib" ]; then
	not_ok "no $lib: the build did not make the library"
else
	cc=${CC:-cc}
	san=""
	case "$UPQR_BUILD" in *asan*) san="-fsanitize=address,undefined" ;; esac
	# shellcheck disable=SC2046
	if $cc $san -std=c11 -Wall -Wextra -Werror -Iinclude -o "$TMP/app" "$TMP/app.c" "$lib" \
		$(pkg-config --libs libqrencode zbar libpng libjpeg openssl) -lm 2>"$TMP/err"; then
		ok "quickstart compiles with -Wall -Wextra -Werror"
		(cd "$TMP" && ./app >out.txt 2>err.txt)
		rc=$?
		if [ $rc -eq 0 ] && grep -q '^version [0-9]*, [0-9]* x [0-9]* modules, ECI yes$' "$TMP/out.txt" \
			&& [ -s "$TMP/code.png" ]; then
			ok "quickstart runs and writes code.png"
		else
			not_ok "quickstart run (exit $rc)"; sed 's/^/# /' "$TMP/out.txt" "$TMP/err.txt"
		fi
	else
		not_ok "quickstart compiles"; sed 's/^/# /' "$TMP/err" | head -20
	fi
fi
done_testing
