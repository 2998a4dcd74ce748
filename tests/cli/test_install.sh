#!/bin/sh
# `make install` into a DESTDIR, then build and run a program against the
# installed headers, pkg-config file and shared library.
. tests/cli/lib.sh

if [ "$UPQR_BUILD" != build ]; then
	# The installed tree is the plain build's; sanitizer builds skip this.
	ok "install test runs on the plain build only"
	done_testing
	exit $?
fi
root=$TMP/root
expect_rc "make install" 0 make -s install DESTDIR="$root" PREFIX=/usr
for f in usr/include/upqr.h usr/include/upqr/common.h usr/lib/libupqr.a usr/lib/libupqr.so \
	usr/lib/libupqr.so.0 usr/bin/upqr usr/lib/pkgconfig/upqr.pc; do
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
export PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
flags=$(pkg-config --cflags --libs upqr 2>"$TMP/err")
expect_rc "compile against the installed tree" 0 cc -Wall -Werror -o "$TMP/app" "$TMP/app.c" $flags
LD_LIBRARY_PATH="$root/usr/lib" expect_rc "run against the installed shared library" 0 "$TMP/app"
expect_out "program sees the library" '^[0-9]+\.[0-9]+\.[0-9]+ 29B1$'
done_testing
