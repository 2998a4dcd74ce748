#!/bin/sh
# demo.sh BUILD - `make demo`: builds a UnionPay dynamic MPM payload from the
# sample fields in samples/mpm-unionpay.json, prints it, then decodes and
# validates it under the UnionPay profile with readable output. Later issues
# grow this into scan-and-pay against a simulated acquirer.
set -eu
build=${1:-build}
upqr=$build/bin/upqr
fields=samples/mpm-unionpay.json

echo "== 1. merchant fields (samples/mpm-unionpay.json)"
cat "$fields"
echo
echo "== 2. encode: upqr mpm encode --profile unionpay $fields"
payload=$("$upqr" mpm encode --profile unionpay "$fields")
echo "$payload"
echo
echo "== 3. decode and validate: upqr mpm decode --profile unionpay PAYLOAD"
"$upqr" mpm decode --profile unionpay "$payload"
echo
echo "== 4. the cashier changes the amount to 99.00 HKD: upqr mpm set-amount --amount 9900"
repriced=$("$upqr" mpm set-amount --profile unionpay --amount 9900 "$payload")
echo "$repriced"
"$upqr" mpm decode --profile unionpay --json "$repriced" | grep -E '"(valid|amount|amount_minor|crc)"'
echo
echo "== 5. a damaged copy (one character changed) is caught"
damaged=$(echo "$payload" | sed 's/NOODLE/NOODLF/')
if "$upqr" mpm decode --profile unionpay "$damaged" >/dev/null 2>"$build/demo-err.txt"; then
	echo "demo: the damaged payload was accepted" >&2
	exit 1
fi
echo "rejected (exit 1):"
cat "$build/demo-err.txt"
rm -f "$build/demo-err.txt"
echo
if [ -x "$build/samples/mpm_sample" ]; then
	echo "== 6. the same through the C API (samples/mpm_sample.c)"
	"$build/samples/mpm_sample" "$payload"
fi
echo "demo: ok"
