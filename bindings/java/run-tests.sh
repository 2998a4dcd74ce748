#!/bin/sh
# run-tests.sh - runs the JUnit 5 suite of the Java binding and prints TAP,
# one line per test (tests/run.sh counts them):
#   ok N - Class.test            passed
#   not ok N - Class.test        failed (or errored)
#   ok N - Class.test # SKIP     skipped or aborted (an assumption not met)
# plus one line for -Xcheck:jni: any JNI warning in the JVM's output fails it.
# Exit status 0 only when nothing failed. Run from the repository root after
# `make java pki`; UPQR_BUILD picks the build directory (default build).
#
# With UPQR_JAVA_SAN=asan (a `make BUILD=build/asan SAN=asan java` build) the
# JVM runs with the compiler's ASan and UBSan runtimes preloaded (the JVM
# itself is not instrumented, so they must come first); any sanitizer report
# fails the suite. ASan's quarantine is off so that freed memory is returned
# and the native-memory test still measures leaks; LSan is off because it
# cannot tell the JVM's own allocations from leaks.
set -u
build=${UPQR_BUILD:-build}
junit=${JUNIT_JAR:-/usr/share/java/junit-platform-console-standalone.jar}
java=${JAVA:-java}
if ! command -v "$java" >/dev/null 2>&1 || [ ! -f "$junit" ]; then
	echo "ok 1 - java suite # SKIP no java or no $junit"
	exit 0
fi
if [ ! -f "$build/java/upqr.jar" ] || [ ! -f "$build/java/.test-classes" ]; then
	echo "not ok 1 - java suite: $build/java not built (make java)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
preload=""
if [ "${UPQR_JAVA_SAN:-}" = asan ]; then
	cc=${CC:-cc}
	preload="$($cc -print-file-name=libasan.so) $($cc -print-file-name=libubsan.so)"
fi
# jvm ARGS... - runs java, with the sanitizer runtimes for an ASan build (only the JVM gets them).
jvm() {
	if [ -n "$preload" ]; then
		LD_PRELOAD="$preload" UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ASAN_OPTIONS=detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:use_sigaltstack=0:quarantine_size_mb=0 \
			"$java" "$@"
	else
		"$java" "$@"
	fi
}
# A fixed, pre-touched heap keeps the native-memory test's VmRSS readings
# free of Java heap growth.
jvm -Xcheck:jni -Xms96m -Xmx96m -XX:+AlwaysPreTouch -Dupqr.root=. \
	-Djava.library.path="$build/lib" \
	-jar "$junit" --disable-banner --details=none \
	--class-path "$build/java/upqr.jar:$build/java/test-classes" \
	--scan-class-path "$build/java/test-classes" --reports-dir "$tmp/reports" \
	>"$tmp/out" 2>&1
rc=$?
report="$tmp/reports/TEST-junit-jupiter.xml"
if [ ! -f "$report" ]; then
	cat "$tmp/out"
	echo "not ok 1 - java suite: the JUnit launcher wrote no report (exit $rc)"
	exit 1
fi
python3 - "$report" <<'PY'
import sys
import xml.etree.ElementTree as ET
n = 0
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    n += 1
    name = "%s.%s" % (case.get("classname", "").rsplit(".", 1)[-1], case.get("name", ""))
    name = name.replace("#", "%23").replace("\n", " ")
    bad = case.find("failure") if case.find("failure") is not None else case.find("error")
    if bad is not None:
        print("not ok %d - %s" % (n, name))
        for line in (bad.text or bad.get("message") or "").splitlines()[:12]:
            print("#   " + line)
    elif case.find("skipped") is not None:
        why = (case.find("skipped").get("message") or "skipped").replace("\n", " ")
        print("ok %d - %s # SKIP %s" % (n, name, why))
    else:
        print("ok %d - %s" % (n, name))
PY
# The README's Java quickstart compiles against upqr.jar and runs.
quick() { # $1 = description, then the command; one TAP line
	d=$1
	shift
	if "$@" >>"$tmp/quick.out" 2>&1; then echo "ok - README quickstart: $d"; else
		echo "not ok - README quickstart: $d"
		sed 's/^/#   /' "$tmp/quick.out" | tail -20
		qfail=1
	fi
}
qfail=0
mkdir -p "$tmp/quick"
awk '/^## Java \(JNI\)/ { q = 1 } q && /^```java$/ { c = 1; next } c && /^```$/ { exit } c' \
	README.md >"$tmp/quick/Quickstart.java"
quick "found" test -s "$tmp/quick/Quickstart.java"
quick "compiles" javac -encoding UTF-8 -Xlint:all -Werror -cp "$build/java/upqr.jar" -d "$tmp/quick" \
	"$tmp/quick/Quickstart.java"
here=$(pwd)
(cd "$tmp/quick" && jvm -Xcheck:jni -Dsun.stdout.encoding=UTF-8 -Djava.library.path="$here/$build/lib" \
	-cp "$here/$build/java/upqr.jar:." Quickstart) >"$tmp/quick/run.out" 2>&1
quick "runs" test $? -eq 0
quick "decodes" grep -qx 'NOODLE BAR: 12850 minor units of HKD' "$tmp/quick/run.out"
quick "scans back, Chinese intact" grep -qx 'MPM valid=true 麵館' "$tmp/quick/run.out"
quick "reports a checksum error" grep -qx 'UPQR_ECHECKSUM crc_mismatch' "$tmp/quick/run.out"
quick "writes pay.png" test -s "$tmp/quick/pay.png"
cat "$tmp/quick/run.out" >>"$tmp/out"
[ "$qfail" -eq 0 ] || rc=1

# The AAR layout of android/make-aar.sh, with this machine's libraries
# standing in for one ABI (a layout check only: no NDK here).
mkdir -p "$tmp/abi/x86_64"
cp "$build/lib/libupqr_jni.so" "$build/lib/libupqr.so" "$tmp/abi/x86_64/"
if sh bindings/java/android/make-aar.sh "$tmp/upqr.aar" "$build/java/upqr.jar" "$tmp/abi" >/dev/null &&
		unzip -Z1 "$tmp/upqr.aar" | sort | tr '\n' ' ' | grep -qx \
		'AndroidManifest.xml R.txt classes.jar jni/ jni/x86_64/ jni/x86_64/libupqr.so jni/x86_64/libupqr_jni.so proguard.txt '; then
	echo "ok - android/make-aar.sh lays out an AAR (host libraries as one ABI)"
else
	echo "not ok - android/make-aar.sh lays out an AAR"
	unzip -Z1 "$tmp/upqr.aar" 2>&1 | sed 's/^/#   /'
	rc=1
fi

if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' "$tmp/out"; then
	echo "not ok - sanitizers reported problems"
	grep -A12 -e 'ERROR: AddressSanitizer' -e 'runtime error:' "$tmp/out" | head -40 | sed 's/^/#   /'
	exit 1
fi
[ -n "${UPQR_JAVA_SAN:-}" ] && echo "ok - no sanitizer reports ($UPQR_JAVA_SAN)"

# -Xcheck:jni reports as "WARNING in native method" / "FATAL ERROR in native method".
if grep -q -i -e 'WARNING in native method' -e 'ERROR in native method' -e 'JNI local refs' "$tmp/out"; then
	echo "not ok - -Xcheck:jni reported problems"
	grep -i -e 'in native method' -e 'JNI local refs' "$tmp/out" | head -20 | sed 's/^/#   /'
	exit 1
fi
echo "ok - -Xcheck:jni clean"
[ "$rc" -eq 0 ] || { sed 's/^/#   /' "$tmp/out" | tail -40; exit 1; }
exit 0
