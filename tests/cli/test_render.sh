#!/bin/sh
# upqr render: formats, options, stdin, exit codes, atomic files.
. tests/cli/lib.sh

CN='00020101021153031565802CN5906Dragon6007Beijing64180002ZH0102龙达0202北京6304ABCD'

# Terminal text: HELLO is version 1 (21 modules) + 2 x 4 quiet zone = 29 columns, 15 lines.
expect_rc "txt to stdout" 0 "$UPQR" render HELLO
n=$(wc -l <"$TMP/out")
[ "$n" -eq 15 ] && ok "txt has (21+8+1)/2 = 15 lines" || not_ok "txt lines: $n"
w=$(head -1 "$TMP/out" | LC_ALL=C.UTF-8 awk '{ print length($0) }')
[ "$w" -eq 29 ] && ok "txt lines are 29 characters" || not_ok "txt width: $w"
expect_out "light theme: quiet zone is spaces" '^ {29}$'
expect_out "light theme: finder top edge drawn" '^    █▀▀▀▀▀█'
expect_rc "dark theme" 0 "$UPQR" render --theme dark HELLO
expect_out "dark theme: quiet zone is blocks" '^█{29}$'
expect_rc "margin 6 widens the text" 0 "$UPQR" render --margin=6 HELLO
n=$(wc -l <"$TMP/out")
[ "$n" -eq 17 ] && ok "margin 6: 17 lines" || not_ok "margin 6 lines: $n"
expect_rc "ECC H is bigger" 0 "$UPQR" render --ecc H 'HELLO WORLD'
n=$(wc -l <"$TMP/out")
[ "$n" -eq 17 ] && ok "ECC H: version 2, 17 lines" || not_ok "ECC H lines: $n"

# Payload from stdin; the trailing newline of echo is not part of it.
printf 'HELLO\n' | "$UPQR" render - >"$TMP/stdin.txt" 2>"$TMP/err"
"$UPQR" render HELLO >"$TMP/arg.txt"
cmp -s "$TMP/stdin.txt" "$TMP/arg.txt" && ok "stdin payload, newline trimmed" || not_ok "stdin payload differs"

# PNG and SVG to a pipe.
"$UPQR" render --format png --scale 2 "$CN" >"$TMP/pipe.png"
sig=$(od -An -tx1 -N8 "$TMP/pipe.png" | tr -d ' \n')
[ "$sig" = 89504e470d0a1a0a ] && ok "png to a pipe" || not_ok "png signature '$sig'"
expect_rc "svg to a pipe" 0 "$UPQR" render --format svg "$CN"
expect_out "svg is SVG" '^<svg xmlns="http://www.w3.org/2000/svg"'
if command -v python3 >/dev/null 2>&1; then
	if python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(0 if r.tag.endswith("svg") and len(r) == 2 else 1)' "$TMP/out"; then
		ok "svg is well-formed XML with two children"
	else
		not_ok "svg does not parse"
	fi
fi

# Images are not written to a terminal.
if command -v script >/dev/null 2>&1; then
	script -qec "$UPQR render --format png HELLO" /dev/null >"$TMP/tty" 2>&1
	[ $? -eq 2 ] && ok "png to a terminal is a usage error" || not_ok "png to a terminal allowed"
fi

# Files, format from the extension; no temporary file stays.
mkdir "$TMP/d"
expect_rc "-o code.png" 0 "$UPQR" render -o "$TMP/d/code.png" "$CN"
sig=$(od -An -tx1 -N8 "$TMP/d/code.png" | tr -d ' \n')
[ "$sig" = 89504e470d0a1a0a ] && ok "code.png is a PNG" || not_ok "code.png signature '$sig'"
expect_rc "--png-depth 1" 0 "$UPQR" render --png-depth 1 -o "$TMP/d/one.png" "$CN"
depth=$(od -An -tu1 -j24 -N1 "$TMP/d/one.png" | tr -d ' ')
[ "$depth" = 1 ] && ok "1-bit PNG" || not_ok "PNG depth $depth"
expect_rc "-o code.svg" 0 "$UPQR" render -o "$TMP/d/code.svg" "$CN"
head -c 5 "$TMP/d/code.svg" | grep -q '<?xml' && ok "code.svg is SVG" || not_ok "code.svg"
expect_rc "-o code.txt" 0 "$UPQR" render -o "$TMP/d/code.txt" HELLO
cmp -s "$TMP/d/code.txt" "$TMP/arg.txt" && ok "txt file = terminal text" || not_ok "txt file differs"
n=$(ls -A "$TMP/d" | wc -l)
[ "$n" -eq 4 ] && ok "only the four files, no temporaries" || not_ok "files: $(ls -A "$TMP/d")"

# Refusals (exit 1) leave an existing file alone and create nothing.
echo old >"$TMP/d/code.png"
expect_rc "empty payload" 1 "$UPQR" render -o "$TMP/d/code.png" ''
expect_err "empty payload named" 'empty'
expect_rc "empty stdin" 1 sh -c "printf '' | $UPQR render -"
expect_rc "invalid UTF-8" 1 sh -c "printf 'ab\377' | $UPQR render -o $TMP/d/code.png -"
expect_err "invalid UTF-8 named" 'encoding'
big=$(head -c 2400 /dev/zero | tr '\0' 'A')
expect_rc "too long for ECC M" 1 "$UPQR" render -o "$TMP/d/big.png" "$big"
expect_err "too long named" 'too large'
expect_rc "but fits ECC L" 0 "$UPQR" render --ecc L -o "$TMP/d/big.png" "$big"
[ "$(cat "$TMP/d/code.png")" = old ] && ok "refusals left the old file" || not_ok "old file changed"
n=$(ls -A "$TMP/d" | wc -l)
[ "$n" -eq 5 ] && ok "refusals created nothing" || not_ok "files: $(ls -A "$TMP/d")"

# I/O failures: exit 3, nothing left behind.
expect_rc "missing directory" 3 "$UPQR" render -o "$TMP/nope/x.png" HELLO
[ ! -e "$TMP/nope" ] && ok "nothing created" || not_ok "created $TMP/nope"
mkdir "$TMP/d/sub"
expect_rc "output is a directory" 3 "$UPQR" render --format txt -o "$TMP/d/sub" HELLO
n=$(ls -A "$TMP/d" | wc -l)
[ "$n" -eq 6 ] && ok "no temporary left after a failed rename" || not_ok "files: $(ls -A "$TMP/d")"
expect_rc "stdout closed" 3 sh -c "$UPQR render --format svg HELLO >&-"

# Usage errors.
expect_rc "no payload" 2 "$UPQR" render
expect_rc "two payloads" 2 "$UPQR" render A B
expect_rc "bad --ecc" 2 "$UPQR" render --ecc X HELLO
expect_rc "bad --format" 2 "$UPQR" render --format gif HELLO
expect_rc "--scale 0" 2 "$UPQR" render --scale 0 HELLO
expect_rc "--scale 65" 2 "$UPQR" render --scale 65 HELLO
expect_rc "--scale junk" 2 "$UPQR" render --scale 4x HELLO
expect_rc "--margin 3 (quiet zone < 4)" 2 "$UPQR" render --margin 3 HELLO
expect_rc "bad --theme" 2 "$UPQR" render --theme blue HELLO
expect_rc "bad --png-depth" 2 "$UPQR" render --png-depth 4 HELLO
expect_rc "option without value" 2 "$UPQR" render HELLO --ecc
expect_rc "unknown option" 2 "$UPQR" render --frob HELLO
expect_rc "help" 0 "$UPQR" render --help
expect_out "help shows usage" 'upqr render'
expect_rc "-- ends options" 0 "$UPQR" render -- --ecc
no_sanitizer_report "render"
done_testing
