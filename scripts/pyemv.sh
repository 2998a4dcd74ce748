#!/bin/sh
# pyemv.sh - installs the PyPI package pyemv (test-only: the independent
# EMV cryptogram implementation tests/unit/test_emv_pyemv.c checks upqr
# against) into a virtualenv at build/pyemv. Debian 12 refuses pip into the
# system Python, so a venv it is; it sees the system site-packages, which
# supply pyemv's one dependency (python3-cryptography). The library never
# needs any of this.
#
# Without network the install fails: this prints a warning and the test
# then reports itself skipped. A failed attempt is not retried for an hour
# (make runs deps.sh before every build).
set -u
VENV=build/pyemv
PIN=pyemv==1.5.0
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pyemv' 2>/dev/null; then
	exit 0
fi
if [ -f "$VENV/.failed" ] && [ -n "$(find "$VENV/.failed" -mmin -60 2>/dev/null)" ]; then
	exit 0
fi
mkdir -p build
if python3 -m venv --system-site-packages "$VENV" >/dev/null 2>&1 &&
		timeout 180 "$VENV/bin/pip" install --quiet --disable-pip-version-check "$PIN" >/dev/null 2>&1 &&
		"$VENV/bin/python" -c 'import pyemv' 2>/dev/null; then
	rm -f "$VENV/.failed"
	echo "deps: $PIN installed in $VENV (test-only)"
else
	mkdir -p "$VENV"
	touch "$VENV/.failed"
	echo "deps: warning: could not install $PIN into $VENV; the pyemv cross-check will be skipped" >&2
fi
exit 0
