#!/bin/sh
# `upqr mpm`: exit codes (0 valid, 1 invalid, 2 usage), the JSON shape of
# decode --json, encode from JSON, set-amount, and round trips between them.
. tests/cli/lib.sh

ANNEX_B='00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A'
BAD_CRC='00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13B'
LOWER='000201010211021645992400041983220415545927000419832061661000500041983220827PUNB0042000420001210003366226410010A00000052401230514200A0000151.mab@pnb27260010A00000052401080601414A5204939953033565802IN5923CENTRAL WAREHOUSING COR6008GHAZIPUR6106110096621207080601414A6304b8e4'
KHQR15='00020101021115231234567812345678901234530400014jonhsmith@nbcq01061234560208Dev Bank5204599953031165802KH5910Jonh Smith6010Phnom Penh9917001316873168216096304D82B'

# ---- decode: exit codes -----------------------------------------------------
expect_rc "decode valid Annex B exits 0" 0 "$UPQR" mpm decode "$ANNEX_B"
expect_out "human output names the merchant" 'merchant name +BEST TRANSPORT'
expect_out "human output shows the UTF-8 name" '最佳运输'
expect_rc "decode bad CRC exits 1" 1 "$UPQR" mpm decode "$BAD_CRC"
expect_out "the reasons follow the verdict on stdout" '^error: crc_mismatch at offset 256, ID 63'
expect_rc "lower-case CRC is only a warning: exit 0" 0 "$UPQR" mpm decode "$LOWER"
expect_out "the warning is shown" 'warning: crc_lowercase'
expect_rc "decode from stdin with a trailing newline" 0 sh -c "printf '%s\n' '$ANNEX_B' | '$UPQR' mpm decode -"
expect_rc "garbage exits 1" 1 "$UPQR" mpm decode "hello"
no_sanitizer_report "garbage"
expect_rc "no payload is a usage error" 2 "$UPQR" mpm decode
expect_rc "unknown option is a usage error" 2 "$UPQR" mpm decode --frob "$ANNEX_B"
expect_rc "unknown profile is a usage error" 2 "$UPQR" mpm decode --profile pix "$ANNEX_B"
expect_rc "two payloads is a usage error" 2 "$UPQR" mpm decode "$ANNEX_B" "$ANNEX_B"
expect_rc "no subcommand is a usage error" 2 "$UPQR" mpm
expect_rc "unknown subcommand is a usage error" 2 "$UPQR" mpm frob
expect_rc "ID 15 of 23 characters: valid EMVCo" 0 "$UPQR" mpm decode "$KHQR15"
expect_rc "... but not UnionPay" 1 "$UPQR" mpm decode --profile unionpay "$KHQR15"
expect_out "the UnionPay rule is named" 'bad_unionpay_id'

# ---- decode --json: the exact shape ------------------------------------------
expect_rc "decode --json exits 0" 0 "$UPQR" mpm decode --json "$ANNEX_B"
expect_out "valid first" '^  "valid": true,$'
expect_out "objects array" '^  "objects": \[$'
expect_out "fields object" '^  "fields": \{$'
expect_out "diagnostics array" '^  "diagnostics": \[\]$'
if [ "$(grep -c '^  "' "$TMP/out")" -eq 4 ]; then ok "exactly four top-level keys"; else not_ok "top-level keys"; fi
expect_out "primitive object {id, value}" '"id": "59",'
expect_out "templates nest objects" '"id": "62",$'
if grep -A1 '"id": "62",' "$TMP/out" | grep -q '"objects": \['; then ok "62 has objects"; else not_ok "62 has objects"; fi
expect_out "fields: amount_minor" '"amount_minor": 2372'
expect_out "fields: currency" '"transaction_currency": "156"'
expect_out "fields: language name" '"merchant_name": "最佳运输"'
expect_out "fields: additional data" '"terminal_label": "A6008667"'
expect_rc "decode --json invalid exits 1" 1 "$UPQR" mpm decode --json "$BAD_CRC"
expect_out "invalid: valid false" '^  "valid": false,$'
for k in '"code": "crc_mismatch"' '"severity": "error"' '"offset": 256' '"path": "63"' '"message": "CRC is A13B, computed A13A"'; do
	expect_out "diagnostic field $k" "$k"
done
if command -v python3 >/dev/null 2>&1; then
	if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert list(d)==["valid","objects","fields","diagnostics"]; assert all(set(x)=={"code","severity","offset","path","message"} for x in d["diagnostics"])' "$TMP/out"; then
		ok "JSON parses with the documented keys"
	else
		not_ok "JSON parses with the documented keys"
	fi
fi

# A template whose children break keeps its text in the JSON (lossless).
expect_rc "broken 62 exits 1" 1 "$UPQR" mpm decode --json "$(printf '%s' '000201010211153137210116372101160123456789ABCDE520459995303344' '5802HK5904SHOP6009Hong Kong6206X1234Z6304ABCD')"
expect_out "its text is kept" '"value": "X1234Z"'
expect_out "the problem is located" '"path": "62"'

# ---- encode ------------------------------------------------------------------
expect_rc "encode the UnionPay sample" 0 "$UPQR" mpm encode --profile unionpay samples/mpm-unionpay.json
PAYLOAD=$(cat "$TMP/out")
expect_out "00 first, dynamic, ID 15 from its parts" '^00020101021215314798034400020344798034459990001'
expect_out "ends in an upper-case CRC" '6304[0-9A-F]{4}$'
expect_rc "the encoded payload decodes as valid UnionPay" 0 "$UPQR" mpm decode --profile unionpay "$PAYLOAD"
expect_rc "encode reads stdin" 0 sh -c "'$UPQR' mpm encode < samples/mpm-unionpay.json"
printf '{"merchant_name": "A NAME THAT IS FAR TOO LONG FOR ID 59"}' >"$TMP/bad.json"
expect_rc "invalid fields exit 1" 1 "$UPQR" mpm encode "$TMP/bad.json"
expect_err "with the decoder's diagnostics" 'length_limit.*ID 59'
expect_err "and every problem" 'missing_mandatory.*ID 52'
printf '{"mcc": "5999"}' >"$TMP/unknown.json"
expect_rc "unknown keys are refused" 1 "$UPQR" mpm encode "$TMP/unknown.json"
expect_err "the key is named" '"mcc": unknown field'
printf '{"merchant_name": ' >"$TMP/broken.json"
expect_rc "broken JSON exits 1" 1 "$UPQR" mpm encode "$TMP/broken.json"
expect_rc "missing file is an I/O error" 3 "$UPQR" mpm encode "$TMP/nope.json"
# decode --json "fields" is itself encoder input: the Annex B content survives.
"$UPQR" mpm decode --json "$ANNEX_B" >"$TMP/full.json"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["fields"]))' "$TMP/full.json" >"$TMP/fields.json"
	expect_rc "decode fields -> encode" 0 "$UPQR" mpm encode "$TMP/fields.json"
	expect_out "same content in canonical order" '^00020101021229300012D156000000000510A93FO3230Q.*91320016A0112233449988770708123456786304[0-9A-F]{4}$'
fi

# No fixed pool caps what the spec allows: all 26 template IDs (26..51), each
# with sub-objects, plus 62 payment-system and 80..99 templates with theirs.
{
	printf '{"merchant_category_code": "5999", "transaction_currency": "344", "country_code": "HK",'
	printf ' "merchant_name": "SHOP", "merchant_city": "HK", "merchant_accounts": ['
	i=26
	while [ $i -le 51 ]; do
		[ $i -gt 26 ] && printf ','
		printf '{"id": "%02d", "guid": "G%02d", "objects": [{"id": "01", "value": "V"}, {"id": "02", "value": "W"}]}' $i $i
		i=$((i + 1))
	done
	printf '], "additional_data": {"templates": [{"id": "50", "guid": "A", "objects": [{"id": "01", "value": "X"}]},'
	printf ' {"id": "51", "guid": "B", "objects": [{"id": "01", "value": "Y"}]}]},'
	printf ' "templates": ['
	i=80
	while [ $i -le 99 ]; do
		[ $i -gt 80 ] && printf ','
		printf '{"id": "%02d", "guid": "T", "objects": [{"id": "01", "value": "Z"}]}' $i
		i=$((i + 1))
	done
	printf ']}'
} >"$TMP/many.json"
expect_rc "26 account templates, 2 in 62 and 20 unreserved, all with sub-objects" 0 "$UPQR" mpm encode "$TMP/many.json"
MANY=$(cat "$TMP/out")
expect_rc "that payload decodes" 0 "$UPQR" mpm decode --json "$MANY"
if [ "$(grep -c '"guid": "G[0-9][0-9]"' "$TMP/out")" -eq 26 ]; then ok "all 26 accounts are there"; else not_ok "all 26 accounts are there"; fi
if grep -q '"id": "51",' "$TMP/out" && grep -q '"id": "99",' "$TMP/out"; then ok "51 and 99 included"; else not_ok "51 and 99 included"; fi
# ---- set-amount ----------------------------------------------------------------
expect_rc "set-amount on Annex B" 0 "$UPQR" mpm set-amount --amount 1999 "$ANNEX_B"
expect_out "54 replaced in place, fresh CRC" '540519\.99530315655020162.*6304[0-9A-F]{4}$'
AMOUNTED=$(cat "$TMP/out")
expect_rc "the result is valid" 0 "$UPQR" mpm decode "$AMOUNTED"
expect_rc "set-amount needs --amount" 2 "$UPQR" mpm set-amount "$ANNEX_B"
expect_rc "set-amount refuses 0" 2 "$UPQR" mpm set-amount --amount 0 "$ANNEX_B"
expect_rc "set-amount refuses an invalid payload" 1 "$UPQR" mpm set-amount --amount 5 "$BAD_CRC"
expect_err "with diagnostics" 'crc_mismatch'
# ---- the C quickstart in docs/mpm.md compiles against the public API and runs --
awk '/compiled and run by tests\/cli\/test_mpm.sh/ {f=1; next} f && /^```c/ {g=1; next} g && /^```/ {exit} g' \
	docs/mpm.md >"$TMP/quick.c"
san=""
case "$UPQR_BUILD" in *asan*) san="-fsanitize=address,undefined" ;; esac
if cc -std=c11 -Wall -Wextra -Werror $san -Iinclude "$TMP/quick.c" "$UPQR_BUILD/lib/libupqr.a" \
		-o "$TMP/quick" 2>"$TMP/err"; then
	ok "docs quickstart compiles"
	expect_rc "docs quickstart runs" 0 "$TMP/quick"
	expect_out "and prints the decoded amount" 'NOODLE BAR: 12850 minor units of HKD'
else
	not_ok "docs quickstart compiles"; sed 's/^/# /' "$TMP/err" | head -20
fi
done_testing
