#!/bin/sh
# `make install` into a DESTDIR: every file in place, a program built and run
# against the staged tree through its pkg-config file (no sysroot needed),
# the installed upqr, man page and completion; then `make uninstall` leaves
# nothing behind.
. tests/cli/lib.sh

if [ "$UPQR_BUILD" != build ]; then
	# The installed tree is the plain build's.
	skip "make install" "installs the plain build only (this is $UPQR_BUILD)"
	done_testing
	exit $?
fi
root=$TMP/root
expect_rc "make install" 0 make -s install DESTDIR="$root" PREFIX=/usr
for f in usr/include/upqr.h usr/include/upqr/common.h usr/lib/libupqr.a usr/lib/libupqr.so \
	usr/lib/libupqr.so.0 usr/bin/upqr usr/lib/pkgconfig/upqr.pc usr/share/man/man1/upqr.1 \
	usr/share/bash-completion/completions/upqr usr/lib/libupqr-core.a usr/lib/libupqr-core.so \
	usr/lib/libupqr-core.so.0 usr/lib/pkgconfig/upqr-core.pc; do
	if [ -e "$root/$f" ]; then ok "installed $f"; else not_ok "missing $f"; fi
done
cat >"$TMP/app.c" <<'C'
#include <stdio.h>
#include <upqr.h>
int main(void)
{
	printf("%s %04X\n", upqr_version(), upqr_crc16("123456789", 9));
	return 0;
}
C
# The .pc file is relative to itself: the staged tree works as it is.
flags=$(PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" pkg-config --cflags --libs upqr 2>"$TMP/err")
case "$flags" in *"$root/usr/lib/pkgconfig/../../include"*) ok "pkg-config points into the staged tree" ;;
	*) not_ok "pkg-config flags: $flags" ;; esac
expect_rc "compile against the staged tree" 0 cc -Wall -Werror -o "$TMP/app" "$TMP/app.c" $flags
LD_LIBRARY_PATH="$root/usr/lib" expect_rc "run against the staged shared library" 0 "$TMP/app"
expect_out "program sees the library" '^[0-9]+\.[0-9]+\.[0-9]+ 29B1$'
if command -v ldd >/dev/null 2>&1; then
	LD_LIBRARY_PATH="$root/usr/lib" ldd "$TMP/app" | grep -q "$root/usr/lib/libupqr.so.0" &&
		ok "the program loads the staged libupqr.so.0" || not_ok "the program loads another libupqr"
fi
# The core library through its own .pc file: parsers only, libcrypto as the one dependency.
cflags=$(PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" pkg-config --cflags upqr-core 2>"$TMP/err")
libs=$(PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" pkg-config --libs upqr-core 2>>"$TMP/err")
case "$libs" in *"-lupqr-core"*) ok "pkg-config upqr-core links -lupqr-core" ;; *) not_ok "upqr-core libs: $libs" ;; esac
static=$(PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" pkg-config --static --libs upqr-core 2>>"$TMP/err")
case "$static" in *zbar*|*qrencode*|*png*|*jpeg*|*sqlite*) not_ok "upqr-core static libs: $static" ;;
	*-lcrypto*) ok "upqr-core requires libcrypto only" ;; *) not_ok "upqr-core static libs: $static" ;; esac
cat >"$TMP/core.c" <<'C'
#include <stdio.h>
#include <upqr/mpm.h>
int main(void)
{
	printf("%04X %s\n", upqr_crc16("123456789", 9), upqr_mpm_currency_alpha(344));
	return 0;
}
C
expect_rc "compile against the staged core library" 0 cc -Wall -Werror -o "$TMP/core" "$TMP/core.c" $cflags $libs
LD_LIBRARY_PATH="$root/usr/lib" expect_rc "run against the staged libupqr-core" 0 "$TMP/core"
expect_out "the core program sees the library" '^29B1 HKD$'
# The installed upqr finds its library through $ORIGIN/../lib, no LD_LIBRARY_PATH.
expect_rc "installed upqr runs" 0 env -u LD_LIBRARY_PATH "$root/usr/bin/upqr" version
if command -v ldd >/dev/null 2>&1; then
	ldd "$root/usr/bin/upqr" | grep -q "$root/usr/bin/../lib/libupqr.so.0" &&
		ok "installed upqr loads the library beside it" || not_ok "installed upqr loads: $(ldd "$root/usr/bin/upqr" | grep upqr)"
fi
if command -v groff >/dev/null 2>&1; then
	groff -man -Tascii "$root/usr/share/man/man1/upqr.1" >"$TMP/out" 2>"$TMP/err"
	expect_out "the installed man page renders" 'UPQR\(1\)'
else
	skip "installed man page renders" "groff is not installed"
fi

expect_rc "make uninstall" 0 make -s uninstall DESTDIR="$root" PREFIX=/usr
left=$(find "$root" ! -type d | sed "s|^$root/||")
[ -z "$left" ] && ok "uninstall removed every file install wrote" || not_ok "left behind: $left"
[ ! -d "$root/usr/include/upqr" ] && ok "uninstall removed include/upqr" || not_ok "include/upqr left"
# A file of someone else's in a shared folder survives.
mkdir -p "$root/usr/bin" && echo other >"$root/usr/bin/other"
expect_rc "make uninstall again (nothing installed)" 0 make -s uninstall DESTDIR="$root" PREFIX=/usr
[ -f "$root/usr/bin/other" ] && ok "uninstall leaves other files alone" || not_ok "uninstall removed bin/other"
done_testing
