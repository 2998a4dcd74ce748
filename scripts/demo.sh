#!/bin/sh
# demo.sh BUILD - `make demo`. Part 1, offline: a UnionPay dynamic MPM payload
# built from samples/mpm-unionpay.json, decoded, re-priced, rendered and scanned
# back; a wallet CPM code generated, scanned and verified. Part 2, payments end
# to end against upqr-sim on a free loopback port, with the sample programs:
# C2B (merchant_qr + consumer_scan_pay), a static merchant code, B2C
# (merchant_scan), a reply lost in transit resolved by query, a refund and a
# void. Every process it starts is stopped on exit (trap).
set -eu
build=${1:-build}
upqr=$build/bin/upqr
fields=samples/mpm-unionpay.json
SAMPLES=$build/samples
SIM_BIN=$build/bin/upqr-sim
WORK=$(mktemp -d)
. samples/samples-lib.sh
trap 'rc=$?; samples_cleanup; rm -rf "$WORK"; exit $rc' EXIT
trap 'exit 1' INT TERM HUP
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
if "$upqr" mpm decode --profile unionpay "$damaged" >"$build/demo-err.txt" 2>&1; then
	echo "demo: the damaged payload was accepted" >&2
	exit 1
fi
echo "rejected (exit 1):"
grep -E "^(INVALID|error:)" "$build/demo-err.txt" || cat "$build/demo-err.txt"
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
echo

# ---- part 2: payments against the simulator ----------------------------------------
echo "== 13. the acquirer simulator starts on a free loopback port"
samples_sim_start
echo "upqr-sim at $UPQR_GATEWAY (pid $SIM_PID, merchant $UPQR_MER_ID, test PKI in build/pki)"
export UPQR_JOURNAL="$WORK/journal.db"
echo

echo "== 14. C2B: the merchant shows a code for CNY 12.34 (samples/merchant_qr.c)"
mqr_start "$WORK/mqr.out" --amount 1234 --png "$out/c2b.png" --wait 30
cat "$WORK/mqr.out"
shown=$(wc -l <"$WORK/mqr.out")
echo
echo "== 15. the consumer's wallet scans the screen and pays (samples/consumer_scan_pay.c)"
"$SAMPLES/consumer_scan_pay" "$out/c2b.png"
mqr_wait
echo
echo "== 16. the merchant's till: the verified notification arrives"
tail -n +"$((shown + 1))" "$WORK/mqr.out"
[ "$MQR_RC" -eq 0 ] || { echo "demo: the C2B payment did not succeed" >&2; exit 1; }
c2b_order=$MQR_ORDER
c2b_time=$MQR_TXN_TIME
echo

echo "== 17. a static code on the counter (merchant_qr --static): the consumer types the amount"
mqr_start "$WORK/static.out" --static --png "$out/static.png" --wait 30
grep -v '[▀▄█]' "$WORK/static.out" || true
echo "(the code is in $out/static.png)"
echo "23.50" | "$SAMPLES/consumer_scan_pay" "$out/static.png"
echo
mqr_wait
sed -n '/^notification/,$p' "$WORK/static.out"
[ "$MQR_RC" -eq 0 ] || { echo "demo: the static-code payment did not succeed" >&2; exit 1; }
echo

echo "== 18. B2C: the wallet shows a one-time code with a real ARQC; the merchant scans it"
code=$("$upqr" cpm generate --profile tests/data/cpm-profile.json --atc 1 --amount 4200)
"$upqr" render --force -o "$out/b2c.png" "$code"
"$upqr" render --format txt "$code"
"$SAMPLES/merchant_scan" "$out/b2c.png" --amount 4200
echo

echo "== 19. a fault: the acquirer's reply to the next charge is lost in transit"
sim_fault "scope=amount&key=1313&fault=drop"
code=$("$upqr" cpm generate --profile tests/data/cpm-profile.json --atc 2 --amount 1313)
"$upqr" render --force -o "$out/b2c-lost.png" "$code"
"$SAMPLES/merchant_scan" "$out/b2c-lost.png" --amount 1313 | tee "$WORK/lost.out"
lost_order=$(sed -n 's/^  order     \([0-9A-Za-z]*\) at \([0-9]*\).*/\1 \2/p' "$WORK/lost.out")
echo

echo "== 20. after the sale: refund CNY 2.34 of the C2B order (samples/refund.c)"
"$SAMPLES/refund" "$c2b_order" "$c2b_time" --refund 234
echo
echo "== 21. a void needs a payment without refunds: the journal refuses it before anything is sent"
"$SAMPLES/refund" "$c2b_order" "$c2b_time" --void && { echo "demo: void after refund accepted" >&2; exit 1; }
echo
echo "== 22. the charge whose reply was lost is voided (same settlement day, full amount)"
# shellcheck disable=SC2086
"$SAMPLES/refund" $lost_order --void
echo

echo "== 23. the simulator stops"
samples_cleanup
echo "stopped; no process left"
echo
echo "The merchant checkout page (a browser page: amount, QR, paid, refund, void):"
echo "  start a simulator:  $SIM_BIN --listen 127.0.0.1:0 > ready.json &"
echo "  then:               eval \"\$(sh samples/sim-env.sh ready.json /tmp/upqr-checkout)\"; $SAMPLES/checkout_server"
echo "  and open the URL it prints (http://127.0.0.1:PORT/)."
echo "demo: ok"
