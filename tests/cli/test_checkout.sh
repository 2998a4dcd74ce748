#!/bin/sh
# The sample checkout page (samples/checkout_server.c + checkout.html) in headless
# Chromium against upqr-sim: load, amount, QR, the wallet sample pays from a
# screenshot, "paid" from the verified notification, refund -> "refunded", a
# second order voided -> "voided". Screenshots in $UPQR_BUILD/checkout/. Without
# chromium, chromium-driver or python3-selenium (scripts/deps.sh) it is skipped.
. tests/cli/lib.sh
SAMPLES=$UPQR_BUILD/samples
SIM_BIN=$UPQR_BUILD/bin/upqr-sim
WORK=$TMP
. samples/samples-lib.sh
CO_PID=""
trap 'for p in $CO_PID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; samples_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

if [ ! -x "$SAMPLES/checkout_server" ] || [ ! -x "$SAMPLES/consumer_scan_pay" ] || [ ! -x "$SIM_BIN" ]; then
	skip "checkout page" "checkout_server, consumer_scan_pay or upqr-sim not built"
	done_testing; exit $?
fi
for f in /usr/bin/chromium /usr/bin/chromedriver; do
	if [ ! -x "$f" ]; then skip "checkout page in a browser" "$f missing (make deps)"; done_testing; exit $?; fi
done
if ! /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
	skip "checkout page in a browser" "python3-selenium missing (make deps)"; done_testing; exit $?
fi
# Under ASan, chromium's own start-up is slow but the server is what is tested.
samples_sim_start || { not_ok "simulator starts"; done_testing; exit 1; }
export UPQR_TIME_DIVISOR=10
"$SAMPLES/checkout_server" >"$TMP/co.out" 2>"$TMP/co.err" &
CO_PID=$!
if wait_line "$TMP/co.out" '^checkout page: http://127\.0\.0\.1:[0-9]+/$' 300; then ok "checkout server prints its URL"; else
	not_ok "checkout server prints its URL"; sed 's/^/# /' "$TMP/co.err"; done_testing; exit 1; fi
URL=$(sed -n 's/^checkout page: //p' "$TMP/co.out")
expect_rc "an amount with three decimals is refused" 0 curl -s -o "$TMP/bad.json" -w '%{http_code}' -d amount=1.234 "${URL}api/orders"
expect_out "... with HTTP 400" '^400$'
grep -q '"error":"amount: ' "$TMP/bad.json" && ok "... and says why" || not_ok "... and says why"
expect_rc "an unknown order is 404" 0 curl -s -o /dev/null -w '%{http_code}' "${URL}api/orders/NOSUCHORDER1"
expect_out "... 404" '^404$'

shots=$UPQR_BUILD/checkout
mkdir -p "$shots"
run /usr/bin/python3 tests/cli/checkout_browser.py "$URL" "$shots" "$SAMPLES/consumer_scan_pay"
if [ "$RC" -eq 77 ]; then
	skip "checkout page in a browser" "$(sed -n 's/^skip: //p' "$TMP/out")"
else
	[ "$RC" -eq 0 ] && ok "browser session completes" || { not_ok "browser session completes (exit $RC)"; sed 's/^/# /' "$TMP/out" "$TMP/err" | head -30; }
	expect_out "page loads" '^step: page loaded: UPQR demo checkout$'
	expect_out "QR shown" '^step: QR shown for order [0-9A-Za-z]{28}$'
	expect_out "the wallet pays from a screenshot of the page" '^step: wallet scanned the screen and paid: exit 0, HTTP 200: paid$'
	expect_out "page shows paid" '^step: page shows paid$'
	expect_out "page shows refunded" '^step: page shows refunded$'
	expect_out "page shows voided" '^step: page shows voided$'
	[ -s "$shots/checkout-refunded.png" ] && ok "screenshot $shots/checkout-refunded.png" || not_ok "screenshot saved"
fi
kill "$CO_PID"; wait "$CO_PID"; rc=$?; CO_PID=""
[ "$rc" -eq 0 ] && ok "checkout server stops cleanly on SIGTERM" || not_ok "checkout server stops cleanly on SIGTERM (exit $rc)"
if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$TMP/co.err"; then
	not_ok "checkout server: sanitizer report"; head -30 "$TMP/co.err" | sed 's/^/# /'
else
	ok "checkout server: no sanitizer report"
fi
done_testing
