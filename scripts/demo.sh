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
	echo
fi

out=$build/demo
mkdir -p "$out"
echo "== 7. the merchant's screen: upqr render (PNG to $out/merchant.png, and the terminal)"
"$upqr" render --force --ecc M -o "$out/merchant.png" "$repriced"
"$upqr" render --format txt --margin 4 "$repriced"
echo
echo "== 8. the consumer's wallet scans it: upqr scan --profile unionpay $out/merchant.png"
"$upqr" scan --profile unionpay "$out/merchant.png"
echo

echo "== 9. consumer-presented: the wallet makes a one-time code (ATC 7) with its ARQC"
profile=samples/cpm-wallet.json
code=$("$upqr" cpm generate --profile "$profile" --atc 7 --amount 9900)
# The base64 text carries the card number, so it is shown as a QR code only.
echo "(${#code} base64 characters, not printed: they carry the card number)"
"$upqr" render --force -o "$out/wallet.png" "$code"
echo
echo "== 10. the merchant's camera reads the phone: upqr scan $out/wallet.png (PAN masked)"
"$upqr" scan "$out/wallet.png"
echo
echo "== 11. the issuer checks it against the token record and its keys: upqr cpm verify"
"$upqr" cpm verify --profile "$profile" "$code"
echo
echo "== 12. one changed character in the code is refused"
c=$(printf '%s' "$code" | cut -c60)
[ "$c" = A ] && n=B || n=A
tampered=$(printf '%s' "$code" | sed "s/./$n/60")
if "$upqr" cpm verify --profile "$profile" "$tampered" >/dev/null 2>&1; then
	echo "demo: a tampered code verified" >&2
	exit 1
fi
echo "refused (exit 1)"
echo "demo: ok"
