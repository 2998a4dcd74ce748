#!/bin/sh
# `make demo` end to end: part 1 offline (encode, decode, re-price, render, scan, CPM
# generate/scan/verify), part 2 payments against upqr-sim with the sample programs.
. tests/cli/lib.sh

if [ "$UPQR_BUILD" != build ]; then
	skip "demo" "runs on the plain build only (this is $UPQR_BUILD)"
	done_testing
	exit $?
fi
for s in merchant_qr consumer_scan_pay merchant_scan refund; do
	if [ ! -x "$UPQR_BUILD/samples/$s" ] || [ ! -x "$UPQR_BUILD/bin/upqr-sim" ]; then
		skip "demo" "$UPQR_BUILD/samples/$s or upqr-sim not built"
		done_testing
		exit $?
	fi
done
start=$(date +%s)
expect_rc "demo runs" 0 sh scripts/demo.sh "$UPQR_BUILD"
took=$(($(date +%s) - start))
expect_out "the payload decodes as valid UnionPay" '"valid": true'
expect_out "a damaged copy: the CRC mismatch is named" '^error: crc_mismatch at offset [0-9]+, ID 63'
expect_out "the merchant code scans back as valid MPM" '^  mpm valid: 000201010212'
expect_out "the wallet code scans back as valid CPM with the PAN masked" '625094\*\*\*\*\*\*0014'
expect_out "the issuer verifies the wallet code" '^match$'
expect_out "a tampered code is refused" '^refused \(exit 1\)$'
expect_out "the simulator starts on loopback" '^upqr-sim at http://127\.0\.0\.1:[0-9]+ '
expect_out "C2B: the QR is drawn in the terminal" '█'
expect_out "C2B: the wallet pays" '^HTTP 200: paid$'
expect_out "C2B: the verified notification reaches the till" '^notification received and verified'
expect_out "C2B receipt" '^  amount    CNY 12\.34$'
expect_out "static code: the merchant's local name is shown" '^  merchant   演示面馆$'
expect_out "static code: the amount the payer typed is paid" '^  amount    CNY 23\.50$'
expect_out "B2C receipt" '^  amount    CNY 42\.00$'
expect_out "fault: the lost reply is noticed" '^no usable answer \(.*\): asking by query$'
expect_out "fault: the query settles it" '^  amount    CNY 13\.13$'
expect_out "refund receipt" '^  amount    CNY 2\.34$'
expect_err "void after a refund refused before sending" 'sample: void: UPQR_EOVERREFUND'
expect_out "the simulator stops" '^stopped; no process left$'
simpid=$(sed -n 's/^upqr-sim at .* (pid \([0-9]*\),.*/\1/p' "$TMP/out")
if [ -n "$simpid" ] && ! kill -0 "$simpid" 2>/dev/null; then ok "no simulator left running"; else not_ok "no simulator left running (pid '$simpid')"; fi
expect_out "the checkout page is pointed to" 'checkout_server'
if grep -q '6250947000000014' "$TMP/out" "$TMP/err"; then not_ok "full PAN never printed"; else ok "full PAN never printed"; fi
expect_out "demo ends ok" '^demo: ok$'
# The machine is shared and loaded; the goal is a minute, the check leaves room.
[ "$took" -lt 60 ] && ok "demo took ${took}s (under a minute)" || not_ok "demo took ${took}s (over a minute)"
done_testing
