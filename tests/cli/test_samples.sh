#!/bin/sh
# The sample programs (samples/*.c) against upqr-sim on a random loopback port:
# C2B with the notification and with the query loop, a declined payment, a static
# code with the amount typed by the payer, B2C with a lost reply, an undecided
# charge reversed, a replayed code, refunds and voids under the acquirer's and the
# journal's rules; usage and configuration errors; no card number ever in full.
. tests/cli/lib.sh
SAMPLES=$UPQR_BUILD/samples
SIM_BIN=$UPQR_BUILD/bin/upqr-sim
WORK=$TMP
. samples/samples-lib.sh
trap 'samples_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

for s in merchant_qr consumer_scan_pay merchant_scan refund; do
	if [ ! -x "$SAMPLES/$s" ] || [ ! -x "$SIM_BIN" ]; then
		skip "samples" "$SAMPLES/$s or $SIM_BIN not built"
		done_testing
		exit $?
	fi
done
keep() { cat "$TMP/out" "$TMP/err" >>"$TMP/all"; }
# run_keep NAME CODE CMD...: expect_rc, keeping the output for the PAN check.
run_keep() { expect_rc "$@"; keep; no_sanitizer_report "$1"; }

# ---- usage and configuration --------------------------------------------------------
for s in merchant_qr consumer_scan_pay merchant_scan refund; do
	expect_rc "$s without arguments: usage (2)" 2 "$SAMPLES/$s"
	expect_err "$s: usage line" '^usage: '
done
expect_rc "merchant_qr --amount 0 is a usage error" 2 "$SAMPLES/merchant_qr" --amount 0
expect_rc "refund with --refund and --void: usage" 2 "$SAMPLES/refund" O T --refund 1 --void
expect_rc "no configuration: exit 2" 2 env -u UPQR_PFX -u UPQR_GATEWAY "$SAMPLES/merchant_qr" --amount 100
expect_err "no configuration: names the variable" 'UPQR_PFX is not set'

samples_sim_start || { not_ok "simulator starts"; done_testing; exit 1; }
ok "simulator starts"
echo wrong >"$TMP/badpw"
expect_rc "wrong PKCS#12 password: refused" 1 env UPQR_PFX_PASSWORD_FILE="$TMP/badpw" "$SAMPLES/merchant_qr" --amount 100
expect_err "wrong password: the SDK's status" 'signer \(UPQR_PFX\): UPQR_EPASSWORD'
export UPQR_TIME_DIVISOR=20

# ---- C2B: merchant_qr + consumer_scan_pay -------------------------------------------
mqr_start "$TMP/mqr1" --amount 1234 --png "$TMP/c2b.png" --wait 30 || not_ok "merchant_qr starts"
grep -q '█' "$TMP/mqr1" && ok "C2B: QR drawn in the terminal" || not_ok "C2B: QR drawn in the terminal"
[ -s "$TMP/c2b.png" ] && ok "C2B: PNG written" || not_ok "C2B: PNG written"
run_keep "C2B: the wallet pays (0)" 0 "$SAMPLES/consumer_scan_pay" "$TMP/c2b.png"
expect_out "C2B: the wallet sees a UnionPay link" '^scanned: unionpay-url, valid$'
expect_out "C2B: the payer says paid" '^HTTP 200: paid$'
mqr_wait
cp "$TMP/mqr1" "$TMP/out"; : >"$TMP/err"; keep
[ "$MQR_RC" -eq 0 ] && ok "C2B: merchant_qr exits 0" || not_ok "C2B: merchant_qr exits 0 ($MQR_RC)"
expect_out "C2B: notification verified" '^notification received and verified'
expect_out "C2B: receipt paid" '^---- paid ----$'
expect_out "C2B: receipt amount" '^  amount    CNY 12\.34$'
expect_out "C2B: receipt queryId" '^  queryId   [0-9]{21}$'
C2B_ORDER=$MQR_ORDER C2B_TIME=$MQR_TXN_TIME

# No notification: the query loop decides. Its back-off (divided by 4: 15 s in all) must
# outlast a slow scan by the wallet on a loaded machine.
export UPQR_TIME_DIVISOR=4
sim_fault "scope=amount&key=777&fault=notify_none"
mqr_start "$TMP/mqr2" --amount 777 --png "$TMP/c2b2.png" --wait 1 || not_ok "merchant_qr starts (2)"
run_keep "C2B without notification: the wallet pays" 0 "$SAMPLES/consumer_scan_pay" "$TMP/c2b2.png"
mqr_wait
cp "$TMP/mqr2" "$TMP/out"; keep
[ "$MQR_RC" -eq 0 ] && ok "C2B by query: exit 0" || not_ok "C2B by query: exit 0 ($MQR_RC)"
expect_out "C2B by query: no notification noticed" '^no notification: asking the acquirer \(query loop\)$'
expect_out "C2B by query: paid" '^---- paid ----$'

# A declined payment: no notification, the query finds the failure.
mqr_start "$TMP/mqr3" --amount 888 --png "$TMP/c2b3.png" --wait 1 || not_ok "merchant_qr starts (3)"
run_keep "declined: the payer declines" 0 "$SAMPLES/consumer_scan_pay" "$TMP/c2b3.png" --outcome decline
expect_out "declined: said so" '^HTTP 200: declined, as asked$'
mqr_wait
cp "$TMP/mqr3" "$TMP/out"; keep
[ "$MQR_RC" -eq 1 ] && ok "declined: merchant_qr exits 1" || not_ok "declined: merchant_qr exits 1 ($MQR_RC)"
expect_out "declined: not paid, with the acquirer's code" '^  outcome   failed \(respCode 64'
export UPQR_TIME_DIVISOR=20
run_keep "paying a finished order again: refused (1)" 1 "$SAMPLES/consumer_scan_pay" "$TMP/c2b.png"
expect_out "paying again: HTTP 409" '^HTTP 409: not paid$'
if command -v convert >/dev/null 2>&1 && command -v identify >/dev/null 2>&1; then
	convert "$TMP/c2b.png" -depth 8 "gray:$TMP/c2b.grey"
	run_keep "a raw camera frame (8-bit luma) is scanned too" 1 "$SAMPLES/consumer_scan_pay" \
		--grey "$(identify -format '%wx%h' "$TMP/c2b.png")" "$TMP/c2b.grey"
	expect_out "raw frame: the link read" '^scanned: unionpay-url, valid$'
else
	skip "a raw camera frame is scanned too" "ImageMagick missing"
fi

# ---- a static code: the payer types the amount ------------------------------------------
mqr_start "$TMP/mqr4" --static --png "$TMP/static.png" --wait 30 || not_ok "merchant_qr --static starts"
grep -Eq '^000201010211.*com\.95516.*6304[0-9A-F]{4}$' "$TMP/mqr4" && ok "static: an MPM with the link in template 26" \
	|| not_ok "static: an MPM with the link in template 26"
run_keep "static: a bad amount is refused" 1 "$SAMPLES/consumer_scan_pay" "$TMP/static.png" --amount 1.234
expect_err "static: bad amount, the SDK's words" 'amount "1\.234": '
printf '23.50\n' >"$TMP/typed"
# A JPEG, as a phone camera would save it (the PNG when ImageMagick is missing).
img=$TMP/static.png
command -v convert >/dev/null 2>&1 && convert "$img" -quality 80 "$TMP/static.jpg" && img=$TMP/static.jpg
run_keep "static: the wallet pays the typed amount (${img##*.})" 0 sh -c "\"$SAMPLES/consumer_scan_pay\" \"$img\" <\"$TMP/typed\""
expect_out "static: the local merchant name" '^  merchant   演示面馆$'
expect_out "static: the Latin name" '^             UPQR DEMO NOODLE BAR$'
expect_out "static: the city" '^  city       上海$'
expect_out "static: the UnionPay merchant" "^  UnionPay   $UPQR_MER_ID \\(acquirer 00010000\\)$"
expect_out "static: asks the amount" '^static code: amount in CNY\? 23\.50$'
expect_out "static: shows it in yuan" '^  amount     CNY 23\.50$'
mqr_wait
cp "$TMP/mqr4" "$TMP/out"; keep
[ "$MQR_RC" -eq 0 ] && ok "static: merchant_qr exits 0" || not_ok "static: merchant_qr exits 0 ($MQR_RC)"
expect_out "static: the merchant receives the typed amount" '^  amount    CNY 23\.50$'

# Codes that are not a merchant's.
"$UPQR" render --force -o "$TMP/other.png" "hello" >/dev/null
run_keep "not a payment code: refused" 1 "$SAMPLES/consumer_scan_pay" "$TMP/other.png"
expect_err "not a payment code: said so" 'not a merchant code'
bad=$(sed -n 's/^\(000201.*6304\)[0-9A-F]\{4\}$/\10000/p' "$TMP/mqr4")
"$UPQR" render --force -o "$TMP/badcrc.png" "$bad" >/dev/null
run_keep "damaged MPM: refused" 1 "$SAMPLES/consumer_scan_pay" "$TMP/badcrc.png"
expect_out "damaged MPM: the diagnostic" 'crc_mismatch at [0-9]+ \[63\]'
expect_err "damaged MPM: not paid" 'not paying a damaged code'
run_keep "missing image: I/O error (3)" 3 "$SAMPLES/consumer_scan_pay" "$TMP/none.png"

# ---- B2C: merchant_scan -----------------------------------------------------------------
cpm_png() { # ATC AMOUNT FILE
	"$UPQR" cpm generate --profile tests/data/cpm-profile.json --atc "$1" --amount "$2" >"$TMP/code"
	"$UPQR" render --force -o "$3" @"$TMP/code" >/dev/null
}
cpm_png 1 4200 "$TMP/b2c1.png"
run_keep "B2C: paid (0)" 0 "$SAMPLES/merchant_scan" "$TMP/b2c1.png" --amount 4200
expect_out "B2C: the code, card masked" '^consumer code: UnionPay Debit, card 625094\*{6}0014, expires [0-9]{4}, cryptogram present$'
expect_out "B2C: accepted, then confirmed by query" '^query loop: success after 1 query$'
expect_out "B2C: receipt" '^  amount    CNY 42\.00$'
B2C_ORDER=$(sed -n 's/^  order     \([0-9A-Za-z]*\) at \([0-9]*\).*/\1 \2/p' "$TMP/out")
run_keep "B2C: the same code again is a replay: refused" 1 "$SAMPLES/merchant_scan" "$TMP/b2c1.png" --amount 4200
expect_out "B2C replay: the acquirer's code 38" '^  outcome   failed \(respCode 38'

sim_fault "scope=amount&key=1313&fault=drop"
cpm_png 2 1313 "$TMP/b2c2.png"
run_keep "B2C reply lost: settled by query (0)" 0 "$SAMPLES/merchant_scan" "$TMP/b2c2.png" --amount 1313
expect_out "B2C reply lost: noticed" '^no usable answer \(.*\): asking by query$'
expect_out "B2C reply lost: paid" '^---- paid ----$'
LOST_ORDER=$(sed -n 's/^  order     \([0-9A-Za-z]*\) at \([0-9]*\).*/\1 \2/p' "$TMP/out")

sim_fault "scope=amount&key=1414&fault=outcome&value=pending"
cpm_png 3 1414 "$TMP/b2c3.png"
run_keep "B2C never decided: reversed (1)" 1 "$SAMPLES/merchant_scan" "$TMP/b2c3.png" --amount 1414
expect_out "B2C undecided: query loop ends unknown" '^query loop: unknown after [0-9]+ queries$'
expect_out "B2C undecided: reversal" '^still unknown: reversing the order'
expect_out "B2C undecided: receipt says reversed" '^  outcome   failed: reversed, the consumer is not charged$'
"$UPQR" render --force -o "$TMP/qrno.png" 6222021234567890123 >/dev/null
run_keep "B2C with a 19-digit qrNo: paid (0)" 0 "$SAMPLES/merchant_scan" "$TMP/qrno.png" --amount 990
expect_out "qrNo: shown masked" '^consumer code: UnionPay payment code 6222\*{15}$'
expect_out "qrNo: receipt" '^  amount    CNY 9\.90$'
if grep -q 6222021234567890123 "$TMP/out"; then not_ok "qrNo never printed in full"; else ok "qrNo never printed in full"; fi
run_keep "merchant_scan on a merchant code: refused" 1 "$SAMPLES/merchant_scan" "$TMP/static.png" --amount 100
expect_err "merchant_scan on a merchant code: said so" 'not a valid consumer code \(mpm'

# ---- refund.c ------------------------------------------------------------------------------
# shellcheck disable=SC2086
run_keep "refund: query only (0)" 0 "$SAMPLES/refund" $B2C_ORDER
expect_out "refund: the original's queryId" '^  queryId   [0-9]{21}$'
# shellcheck disable=SC2086
run_keep "refund: partial refund (0)" 0 "$SAMPLES/refund" $B2C_ORDER --refund 1000
expect_out "refund: receipt" '^  amount    CNY 10\.00$'
# shellcheck disable=SC2086
run_keep "refund: more than remains: refused (1)" 1 "$SAMPLES/refund" $B2C_ORDER --refund 3300
expect_out "refund over: the acquirer's 36 explained" 'refunds may not exceed the original'
# shellcheck disable=SC2086
run_keep "void after a refund: refused (1)" 1 "$SAMPLES/refund" $B2C_ORDER --void
expect_out "void after refund: the acquirer's 35 explained" '^the acquirer refused: a void needs'
# shellcheck disable=SC2086
run_keep "void of an untouched payment (0)" 0 "$SAMPLES/refund" $LOST_ORDER --void
expect_out "void: success" '^---- void ----$'
run_keep "refund of an unknown order: refused (1)" 1 "$SAMPLES/refund" 20200101000000NOSUCH 20200101000000 --refund 1
expect_out "unknown order: said so" '^the acquirer has no such order$'

# With a journal, the over-refund never leaves the machine.
export UPQR_JOURNAL=$TMP/journal.db
cpm_png 4 5000 "$TMP/b2c4.png"
run_keep "journal: B2C paid" 0 "$SAMPLES/merchant_scan" "$TMP/b2c4.png" --amount 5000
J_ORDER=$(sed -n 's/^  order     \([0-9A-Za-z]*\) at \([0-9]*\).*/\1 \2/p' "$TMP/out")
# shellcheck disable=SC2086
run_keep "journal: refund 40.00" 0 "$SAMPLES/refund" $J_ORDER --refund 4000
# shellcheck disable=SC2086
run_keep "journal: refund 20.00 more: refused locally" 1 "$SAMPLES/refund" $J_ORDER --refund 2000
expect_err "journal: the journal's status" 'sample: refund: UPQR_EOVERREFUND'
unset UPQR_JOURNAL

if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$TMP/all"; then
	not_ok "no sanitizer report from any sample"; grep -A20 -e ERROR -e 'runtime error' "$TMP/all" | head -30 | sed 's/^/# /'
else
	ok "no sanitizer report from any sample"
fi
if grep -q '6250947000000014' "$TMP/all"; then not_ok "full PAN never printed"; else ok "full PAN never printed"; fi
samples_cleanup
done_testing
