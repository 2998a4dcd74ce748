#!/bin/sh
# deps.sh - installs the Debian packages upqr needs, and only those missing.
# Does nothing (and needs no privileges) when everything is present.
set -eu

# Build and link.
PKGS="gcc make pkg-config libc6-dev
libssl-dev openssl
libqrencode-dev
libzbar-dev
libpng-dev libjpeg62-turbo-dev
libjansson-dev
libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev libpq-dev"
# Tests, sanitizers, fuzzing, image corpus; python3 checks JSON in CLI tests
# (python3-venv and python3-cryptography: the virtualenv scripts/pyemv.sh
# puts the test-only PyPI package pyemv in, and pyemv's dependency);
# zxing-cpp and OpenCV's WeChat QR decoder (libopencv-contrib-dev, module
# wechat_qrcode; libopencv-dev for its pkg-config file) are the scan tests'
# comparison engines only, never linked into the SDK (about 40 s and 670 MB
# here, 186 packages); curl, sqlite3 and
# postgresql (a throwaway server started by the tests) drive the acquirer and
# journal tests; junit5 runs the Java binding's tests and the JDK (javac, jni.h)
# builds it; chromium, chromium-driver and
# python3-selenium drive the sample checkout page in a headless browser
# (tests/cli/test_checkout.sh; Debian's /usr/bin/python3 imports selenium), with
# fonts-wqy-microhei so the merchant's Chinese name renders in its screenshots.
PKGS="$PKGS
libcmocka-dev valgrind clang-14 libclang-rt-14-dev imagemagick python3 python3-venv python3-cryptography
g++ libzxing-dev libopencv-dev libopencv-contrib-dev
curl sqlite3 postgresql junit5 openjdk-17-jdk-headless
chromium chromium-driver python3-selenium fonts-wqy-microhei"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	sh scripts/pyemv.sh
	exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages and not root (no sudo): $missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
sh scripts/pyemv.sh
