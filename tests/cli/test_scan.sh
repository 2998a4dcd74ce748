#!/bin/sh
# upqr scan: human and JSON output, exit codes, hostile text.
# Images in tests/data/scan-*: drawn with libqrencode by tests/support/scan_corpus.c
# (Annex B.7 MPM, the same with its last CRC digit changed, CPM Annex B.1 light-on-dark,
# a UnionPay link as JPEG q60, text with ANSI escapes, a blank picture, a PNG cut in half).
. tests/cli/lib.sh
D=tests/data

expect_rc "valid MPM exits 0" 0 "$UPQR" scan $D/scan-mpm.png
expect_out "kind and verdict" '^  mpm valid: 00020101021229300012D1560'
expect_out "Chinese bytes intact" '最佳运输0202北京'
expect_out "merchant summary" '^    merchant BEST TRANSPORT, BEIJING; amount 23.72 CNY$'
expect_rc "unionpay profile" 0 "$UPQR" scan --profile unionpay $D/scan-mpm.png
expect_out "unionpay profile warns" 'warning: no_unionpay_account'
expect_rc "unknown profile is usage" 2 "$UPQR" scan --profile visa $D/scan-mpm.png
expect_rc "profile without a name is usage" 2 "$UPQR" scan --profile
expect_rc "bad CRC exits 1" 1 "$UPQR" scan $D/scan-mpm-badcrc.png
expect_out "bad CRC is INVALID" 'mpm INVALID \(UPQR_ECHECKSUM\)'
expect_out "bad CRC diagnostic" 'crc_mismatch'
expect_rc "other text exits 1" 1 "$UPQR" scan $D/scan-other.png
expect_out "escapes are not sent to the terminal" 'hello \\x1B\[31mred'
if grep -q "$(printf '\033')" "$TMP/out"; then not_ok "raw ESC in output"; else ok "no raw ESC in output"; fi
expect_rc "blank picture exits 1" 1 "$UPQR" scan $D/scan-blank.png
expect_out "no symbols" '0 symbols'
expect_rc "inverted CPM exits 0" 0 "$UPQR" scan $D/scan-cpm-inverted.png
expect_out "CPM recognised, text withheld" '^  cpm valid: \(48 characters, not shown'
expect_out "CPM card masked" '^    AID A0000000555555, card 123456\*\*\*\*\*\*3458$'
if grep -q 'hQVDUFYwMWEa\|1234567890123458' "$TMP/out"; then not_ok "CPM text or PAN printed"; else ok "no CPM text or full PAN printed"; fi
expect_rc "--show-pan prints the CPM" 0 "$UPQR" scan --show-pan $D/scan-cpm-inverted.png
expect_out "CPM text with --show-pan" '^  cpm valid: hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=$'
expect_rc "CPM json" 0 "$UPQR" scan --json $D/scan-cpm-inverted.png
expect_out "CPM json text null" '"text": null'
expect_out "CPM json decoded masked" '"value": "4F07A0000000555555570F123456\*\*\*\*\*\*3458D'
if grep -q '1234567890123458\|hQVDUFYwMWEa' "$TMP/out"; then not_ok "CPM json leaks the PAN"; else ok "CPM json has no full PAN"; fi
expect_rc "UnionPay link in a JPEG exits 0" 0 "$UPQR" scan $D/scan-url.jpg
expect_out "link split into parts" 'acquirer 00010000, code id 62622847681799056315106438022626'
expect_rc "truncated PNG exits 3" 3 "$UPQR" scan $D/scan-truncated.png
expect_err "truncated PNG names the problem" 'scan-truncated.png: PNG: .*UPQR_EIMAGE'
expect_rc "missing file exits 3" 3 "$UPQR" scan $D/scan-nope.png
expect_err "missing file named" 'scan-nope.png'
expect_rc "not an image exits 3" 3 "$UPQR" scan $D/scan-payloads.tsv
expect_rc "no argument is usage" 2 "$UPQR" scan
expect_rc "unknown option is usage" 2 "$UPQR" scan --frob $D/scan-mpm.png
expect_rc "help exits 0" 0 "$UPQR" scan --help
expect_out "help shows usage" 'upqr scan \[OPTIONS\] IMAGE'
expect_out "help lists --show-pan" '--show-pan'

# JSON: one file -> one object.
expect_rc "json valid exits 0" 0 "$UPQR" scan --json $D/scan-mpm.png
expect_out "json file" '"file": "tests/data/scan-mpm.png"'
expect_out "json kind" '"kind": "mpm"'
expect_out "json valid" '"valid": true'
expect_out "json text" '"text": "00020101021229300012D1560'
if command -v python3 >/dev/null 2>&1; then
	if python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); s=o["symbols"][0]; assert o["file"].endswith("scan-mpm.png"); assert s["kind"]=="mpm" and s["valid"] is True; assert "北京" in s["text"]; assert len(s["corners"])==4' "$TMP/out"; then
		ok "json object parses with the documented fields"
	else
		not_ok "json object fields"
	fi
fi
if command -v python3 >/dev/null 2>&1; then
	# "decoded" is exactly what `upqr mpm decode --json` prints for the same payload.
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["symbols"][0]["text"])' "$TMP/out" >"$TMP/payload"
	cp "$TMP/out" "$TMP/scan.json"
	run "$UPQR" mpm decode --json - <"$TMP/payload"
	if python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["symbols"][0]["decoded"]; b=json.load(open(sys.argv[2])); assert a==b, (a,b); assert a["fields"]["amount_minor"]==2372' "$TMP/scan.json" "$TMP/out"; then
		ok "json decoded equals upqr mpm decode --json"
	else
		not_ok "json decoded differs from mpm decode"
	fi
	# ... and for a consumer code, what `upqr cpm decode --json` prints (PAN masked in both).
	run "$UPQR" scan --json $D/scan-cpm-inverted.png
	cp "$TMP/out" "$TMP/scan.json"
	run "$UPQR" cpm decode --json hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=
	if python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["symbols"][0]["decoded"]; b=json.load(open(sys.argv[2])); assert a==b, (a,b)' "$TMP/scan.json" "$TMP/out"; then
		ok "json decoded equals upqr cpm decode --json"
	else
		not_ok "json decoded differs from cpm decode"
	fi
fi
expect_rc "json bad CRC exits 1" 1 "$UPQR" scan --json $D/scan-mpm-badcrc.png
expect_out "json invalid" '"valid": false'
expect_out "json diagnostic" '"code": "crc_mismatch"'
expect_rc "json link" 0 "$UPQR" scan --json $D/scan-url.jpg
expect_out "json link decoded" '"acquirer": "00010000"'

# Round trip through the renderer, every ECC level, 8-bit and 1-bit PNG.
P=$(awk -F '\t' '$1 == "mpm" { print $2; exit }' $D/scan-payloads.tsv)
for ecc in L M Q H; do
	for depth in 8 1; do
		if "$UPQR" render --format png --ecc $ecc --png-depth $depth "$P" >"$TMP/r.png" 2>"$TMP/err" &&
			"$UPQR" scan --json "$TMP/r.png" >"$TMP/out" 2>"$TMP/err"; then
			ok "render ECC $ecc depth $depth -> scan exits 0"
		else
			not_ok "render ECC $ecc depth $depth -> scan"
		fi
		if grep -qF "\"text\": \"$P\"" "$TMP/out" && grep -qF '"valid": true' "$TMP/out"; then
			ok "render ECC $ecc depth $depth: same bytes, valid"
		else
			not_ok "render ECC $ecc depth $depth: same bytes"
		fi
	done
done
"$UPQR" render --format png "$P" | "$UPQR" scan - >"$TMP/out" 2>"$TMP/err"
if [ $? -eq 0 ]; then ok "render | scan - exits 0"; else not_ok "render | scan -"; fi

# Standard input.
if "$UPQR" scan - <$D/scan-url.jpg >"$TMP/out" 2>"$TMP/err"; then ok "stdin image exits 0"; else not_ok "stdin image"; fi
expect_out "stdin named -" "^-: 1 symbol"
if "$UPQR" scan - </dev/null >"$TMP/out" 2>"$TMP/err"; then not_ok "empty stdin"; elif [ $? -eq 3 ]; then ok "empty stdin exits 3"; else not_ok "empty stdin exit code"; fi

# Several files -> an array; a read failure wins the exit code.
expect_rc "several files with a broken one exit 3" 3 "$UPQR" scan --json $D/scan-mpm.png $D/scan-truncated.png $D/scan-blank.png
if command -v python3 >/dev/null 2>&1; then
	if python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert isinstance(a,list) and len(a)==3; assert a[0]["symbols"][0]["valid"]; assert "error" in a[1] and a[1]["symbols"]==[]; assert a[2]["symbols"]==[]' "$TMP/out"; then
		ok "json array, one object per file, errors inline"
	else
		not_ok "json array"; sed 's/^/# /' "$TMP/out" | head -20
	fi
fi
expect_rc "several files, one valid, exit 0" 0 "$UPQR" scan $D/scan-blank.png $D/scan-url.jpg
expect_rc "several files, none valid, exit 1" 1 "$UPQR" scan $D/scan-blank.png $D/scan-mpm-badcrc.png
# Pictures degraded by ImageMagick (an independent image pipeline from the corpus generator):
# tilt, rotation plus defocus, light on dark. A plain ZBar pass reads none of the first two.
if command -v convert >/dev/null 2>&1; then
	convert $D/scan-mpm.png -filter point -resize 200% -bordercolor white -border 20 \
		-virtual-pixel white -distort Perspective '0,0 20,15 347,0 330,60 0,347 0,347 347,347 330,290' "$TMP/tilt.png"
	convert $D/scan-mpm.png -filter point -resize 200% -bordercolor white -border 20 \
		-background white -rotate 33 -blur 0x2 "$TMP/rotblur.png"
	convert $D/scan-mpm.png -filter point -resize 200% -negate -blur 0x1 -quality 30 "$TMP/neg.jpg"
	# Every PNG and JPEG layout the decoder must turn into grey. Transparent pixels are black
	# underneath, so only composing alpha over white shows the code; CMYK is Adobe-inverted.
	S=$D/scan-mpm.png
	convert $S -define png:color-type=2 -depth 16 PNG48:"$TMP/rgb16.png"
	convert $S -type Palette PNG8:"$TMP/palette.png"
	convert $S -interlace PNG "$TMP/interlaced.png"
	convert $S -threshold 50% -depth 1 -define png:bit-depth=1 -define png:color-type=0 "$TMP/bilevel.png"
	T="-transparent gray(235) -background black -alpha background"
	# shellcheck disable=SC2086
	convert $S $T -define png:color-type=4 "$TMP/greyalpha.png"
	# shellcheck disable=SC2086
	convert $S $T -define png:color-type=4 -interlace PNG "$TMP/greyalpha-interlaced.png"
	# shellcheck disable=SC2086
	convert $S $T PNG32:"$TMP/rgba.png"
	convert $S -interlace JPEG -quality 90 "$TMP/progressive.jpg"
	convert $S -colorspace sRGB -type TrueColor -quality 90 "$TMP/rgb.jpg"
	convert $S -colorspace CMYK -quality 90 "$TMP/cmyk.jpg"
	for f in tilt.png rotblur.png neg.jpg rgb16.png palette.png interlaced.png bilevel.png greyalpha.png \
			greyalpha-interlaced.png rgba.png progressive.jpg rgb.jpg cmyk.jpg; do
		expect_rc "ImageMagick $f read" 0 "$UPQR" scan "$TMP/$f"
		expect_out "ImageMagick $f is the valid MPM" '^  mpm valid: .*6304A13A$'
	done
	# Layouts, unlike the degraded pictures, need no extra pass.
	for f in rgb16.png palette.png greyalpha-interlaced.png rgba.png cmyk.jpg; do
		expect_rc "$f json" 0 "$UPQR" scan --json "$TMP/$f"
		expect_out "$f read by the plain pass" '"pass": "plain"'
	done
fi
no_sanitizer_report "scan"
done_testing
