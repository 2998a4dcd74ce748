#!/bin/sh
# `make demo` end to end: encode, decode, re-price, render, scan, CPM generate/scan/verify.
. tests/cli/lib.sh

if [ "$UPQR_BUILD" != build ]; then
	skip "demo" "runs on the plain build only (this is $UPQR_BUILD)"
	done_testing
	exit $?
fi
expect_rc "demo runs" 0 sh scripts/demo.sh "$UPQR_BUILD"
expect_out "the payload decodes as valid UnionPay" '"valid": true'
expect_out "the merchant code scans back as valid MPM" '^  mpm valid: 000201010212'
expect_out "the wallet code scans back as valid CPM with the PAN masked" '625094\*\*\*\*\*\*0014'
expect_out "the issuer verifies the wallet code" '^match$'
expect_out "a tampered code is refused" '^refused \(exit 1\)$'
if grep -q '6250947000000014' "$TMP/out"; then not_ok "full PAN never printed"; else ok "full PAN never printed"; fi
expect_out "demo ends ok" '^demo: ok$'
done_testing
