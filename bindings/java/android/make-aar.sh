#!/bin/sh
# make-aar.sh OUT.aar JAR LIBDIR - assembles the upqr AAR from the class jar
# (build/java/upqr.jar) and a folder with one sub-folder per ABI holding the
# shared libraries CMakeLists.txt built (libupqr.so, libupqr_jni.so) plus
# the app-supplied dependencies if they are shared (libcrypto.so, ...):
#
#   upqr.aar
#     AndroidManifest.xml
#     classes.jar
#     proguard.txt                       keeps dev.upqr.Native's native methods
#     jni/arm64-v8a/libupqr_jni.so libupqr.so [dependencies]
#     jni/armeabi-v7a/...
#     jni/x86_64/...
#     R.txt                              empty (no resources)
set -eu
[ $# -eq 3 ] || { echo "usage: make-aar.sh OUT.aar JAR LIBDIR" >&2; exit 2; }
out=$1 jar=$2 libs=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/AndroidManifest.xml" "$tmp/AndroidManifest.xml"
cp "$here/proguard-rules.pro" "$tmp/proguard.txt"
cp "$jar" "$tmp/classes.jar"
: >"$tmp/R.txt"
found=0
for abi in arm64-v8a armeabi-v7a x86_64; do
	[ -d "$libs/$abi" ] || continue
	mkdir -p "$tmp/jni/$abi"
	cp "$libs/$abi"/*.so "$tmp/jni/$abi/"
	[ -f "$tmp/jni/$abi/libupqr_jni.so" ] || { echo "make-aar: $abi lacks libupqr_jni.so" >&2; exit 1; }
	found=$((found + 1))
done
[ "$found" -gt 0 ] || { echo "make-aar: no ABI folder in $libs" >&2; exit 1; }
rm -f "$out"
(cd "$tmp" && zip -q -r -X "$(cd "$(dirname "$out")" && pwd)/$(basename "$out")" .)
echo "$out: $found ABI(s)"
