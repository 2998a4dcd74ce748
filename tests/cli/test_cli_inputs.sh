#!/bin/sh
# The CLI as a person meets it: inputs (PAYLOAD, -, @FILE), render -o and
# its file handling, terminal-safe human text, verdict and reasons together,
# errors that name their file, hints between mpm and cpm, and a CLI that
# links the shared library and the public API only.
. tests/cli/lib.sh
PAY='000201010211153112345678123456781234567890123455204581253031565802CN5906Dragon6007Beijing630461EF'
CPM='hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8='

# ---- inputs: the same three spellings everywhere -------------------------
printf '%s\n' "$PAY" >"$TMP/pay.txt"
expect_rc "mpm decode @FILE" 0 "$UPQR" mpm decode @"$TMP/pay.txt"
expect_out "@FILE is read, newline trimmed" '^valid MPM payload'
expect_rc "mpm decode @missing is an I/O error" 3 "$UPQR" mpm decode @"$TMP/none.txt"
expect_err "the missing file is named" "none.txt"
expect_rc "mpm set-amount @FILE" 0 "$UPQR" mpm set-amount --amount 100 @"$TMP/pay.txt"
printf '%s' "$CPM" >"$TMP/cpm.txt"
expect_rc "cpm decode @FILE" 0 "$UPQR" cpm decode @"$TMP/cpm.txt"
"$UPQR" mpm decode --json "$PAY" | sed -n '/"fields"/,$p' >/dev/null
printf '{"point_of_initiation":"static","merchant_accounts":[{"id":"15","value":"1234567812345678123456789012345"}],"merchant_category_code":"5812","transaction_currency":"156","country_code":"CN","merchant_name":"Dragon","merchant_city":"Beijing"}' >"$TMP/f.json"
expect_rc "mpm encode @FILE" 0 "$UPQR" mpm encode @"$TMP/f.json"
expect_out "encode @FILE gives the payload" "^$PAY\$"
expect_rc "mpm encode JSON text" 0 "$UPQR" mpm encode "$(cat "$TMP/f.json")"
expect_out "encode JSON text gives the same payload" "^$PAY\$"
printf '{"merchant_name": ' >"$TMP/broken.json"
expect_rc "broken JSON in @FILE exits 1" 1 "$UPQR" mpm encode @"$TMP/broken.json"
expect_err "... naming the file and line" 'broken.json:1: invalid JSON'
expect_rc "render @FILE" 0 "$UPQR" render @"$TMP/pay.txt"
"$UPQR" render "$PAY" >"$TMP/lit.txt"
cmp -s "$TMP/out" "$TMP/lit.txt" && ok "render @FILE = render PAYLOAD" || not_ok "render @FILE differs"

# ---- hints: the other decoder is named -----------------------------------
expect_rc "cpm decode of an MPM payload exits 1" 1 "$UPQR" cpm decode "$PAY"
expect_out "... and says to use mpm decode" "use 'upqr mpm decode'"
expect_rc "mpm decode of a CPM code exits 1" 1 "$UPQR" mpm decode "$CPM"
expect_out "... and says to use cpm decode" "use 'upqr cpm decode'"
expect_rc "with --json the hint goes to stderr" 1 "$UPQR" mpm decode --json "$CPM"
expect_err "... named there" "use 'upqr cpm decode'"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/out" 2>/dev/null &&
	ok "... and stdout stays JSON" || not_ok "stdout is not JSON"

# ---- human text cannot drive the terminal; JSON stays exact --------------
ESC=$(printf '\033')
EVIL=$(printf '00020101021153031565802CN5910\033]0;pwned\0076007Beijing6304FFFF')
expect_rc "a payload with ESC ] 0; ... BEL decodes (INVALID: bad CRC)" 1 "$UPQR" mpm decode "$EVIL"
if grep -q "$ESC" "$TMP/out"; then not_ok "raw ESC reached the terminal"; else ok "no raw ESC in human output"; fi
if grep -q "$(printf '\007')" "$TMP/out"; then not_ok "raw BEL reached the terminal"; else ok "no raw BEL in human output"; fi
expect_out "the name is shown escaped" 'merchant name +\\x1B]0;pwned\\x07$'
expect_out "the verdict comes first" '^INVALID MPM payload'
expect_out "its reasons follow on stdout" '^error: crc_mismatch'
expect_rc "the same with --json" 1 "$UPQR" mpm decode --json "$EVIL"
expect_out "JSON keeps the exact text" '"merchant_name": "\\u001[bB]\]0;pwned\\u0007"'
C1=$(printf '00020101021153031565802CN5906a\302\233bcde6007Beijing6304FFFF')
run "$UPQR" mpm decode "$C1"
expect_out "a C1 control (U+009B, CSI) is escaped too" 'merchant name +a\\xC2\\x9Bbcde$'
UTF=$(printf '00020101021153031565802CN5902\351\276\231\350\276\2766007Beijing6304FFFF')
run "$UPQR" mpm decode "$UTF"
expect_out "UTF-8 text is left alone" 'merchant name +龙达$'

# ---- render -o: format, refusal to replace, mode, links -----------------
D=$TMP/r
mkdir "$D"
expect_rc "-o x.jpg is refused" 2 "$UPQR" render -o "$D/x.jpg" HELLO
expect_err "... as an unsupported extension" "unsupported extension '.jpg'"
expect_rc "--format png -o x.svg is refused" 2 "$UPQR" render --format png -o "$D/x.svg" HELLO
expect_err "... as a mismatch" 'disagrees'
expect_rc "-o without an extension needs --format" 2 "$UPQR" render -o "$D/noext" HELLO
expect_rc "... and works with it" 0 "$UPQR" render --format txt -o "$D/noext" HELLO
expect_rc "an upper-case extension counts" 0 "$UPQR" render -o "$D/up.PNG" HELLO
sig=$(od -An -tx1 -N4 "$D/up.PNG" | tr -d ' \n')
[ "$sig" = 89504e47 ] && ok "up.PNG is a PNG" || not_ok "up.PNG signature $sig"
expect_rc "--force without -o is a usage error" 2 "$UPQR" render --force HELLO
expect_rc "first write" 0 "$UPQR" render -o "$D/a.png" HELLO
cp "$D/a.png" "$D/a.orig"
expect_rc "an existing file is not replaced" 1 "$UPQR" render -o "$D/a.png" WORLD
expect_err "... and --force is suggested" 'exists; --force replaces it'
cmp -s "$D/a.png" "$D/a.orig" && ok "the file is unchanged" || not_ok "the file changed"
chmod 640 "$D/a.png"
expect_rc "--force replaces it" 0 "$UPQR" render --force -o "$D/a.png" WORLD
cmp -s "$D/a.png" "$D/a.orig" && not_ok "--force did not write" || ok "--force wrote the new image"
mode=$(stat -c %a "$D/a.png")
[ "$mode" = 640 ] && ok "the replaced file keeps mode 640" || not_ok "mode became $mode"
(umask 022 && "$UPQR" render -o "$D/new.png" HELLO)
mode=$(stat -c %a "$D/new.png")
[ "$mode" = 644 ] && ok "a new file gets 0666 minus the umask" || not_ok "new file mode $mode"
echo keep >"$D/target.png"
ln -s target.png "$D/link.png"
expect_rc "a symbolic link at -o is not replaced without --force" 1 "$UPQR" render -o "$D/link.png" HELLO
expect_rc "with --force the link itself is replaced" 0 "$UPQR" render --force -o "$D/link.png" HELLO
[ -L "$D/link.png" ] && not_ok "link.png is still a link" || ok "link.png is now a file"
[ "$(cat "$D/target.png")" = keep ] && ok "the link's target is untouched" || not_ok "wrote through the link"
ln -s "$TMP/elsewhere.png" "$D/dangling.png"
expect_rc "a dangling link is not written through" 1 "$UPQR" render -o "$D/dangling.png" HELLO
[ ! -e "$TMP/elsewhere.png" ] && ok "nothing created at the link's target" || not_ok "created the link's target"
left=$(ls -A "$D" | grep -c 'XXXXXX\|\.png\.' || true)
[ "$left" -eq 0 ] && ok "no temporary files left" || not_ok "temporaries: $(ls -A "$D")"

# ---- sign and verify: refusals and errors that name the file ------------
PKI=build/pki
expect_rc "sign with an empty request is refused" 1 sh -c "printf '' | '$UPQR' sign --key $PKI/merchant.key --cert $PKI/merchant.pem"
expect_err "... saying it is empty" 'empty: nothing to sign'
expect_rc "sign with only blank lines is refused" 1 sh -c "printf '\n\n' | '$UPQR' sign --key $PKI/merchant.key --cert $PKI/merchant.pem"
run sh -c "printf 'a=1\n' | '$UPQR' sign --key '$TMP/nokey.pem' --cert '$TMP/nocert.pem'"
[ "$RC" -eq 3 ] && ok "a missing key file is an I/O error (exit 3)" || not_ok "missing key: exit $RC"
expect_err "... naming the key file" 'cannot load the key from .*nokey.pem'
run sh -c "echo a=1 | '$UPQR' verify --root '$TMP/noroot.pem' --middle '$TMP/nomid.pem'"
[ "$RC" -eq 3 ] && ok "missing trust files: exit 3" || not_ok "missing trust: exit $RC"
expect_err "... naming them" 'noroot.pem, .*nomid.pem'
printf 'a=1&signature=AAAA' >"$TMP/msg"
run sh -c "'$UPQR' verify --root $PKI/root.pem --middle $PKI/middle.pem < '$TMP/msg'"
expect_out "verify: the verdict and its reason on stdout, in the JSON's words" '^not verified: UPQR_[A-Z_]+: '
[ -s "$TMP/err" ] && not_ok "verify human output also wrote stderr" || ok "verify: nothing on stderr"

# ---- the CLI and the samples use the shared library and the public API ---
if command -v objdump >/dev/null 2>&1; then
	objdump -p "$UPQR" | grep -q 'NEEDED *libupqr\.so\.0$' && ok "upqr links libupqr.so.0" || not_ok "upqr does not link the shared library"
	for s in "$UPQR_BUILD"/samples/*; do
		[ -x "$s" ] || continue
		objdump -p "$s" | grep -q 'NEEDED *libupqr\.so\.0$' && ok "$(basename "$s") links libupqr.so.0" || not_ok "$(basename "$s") is not linked to the shared library"
	done
else
	skip "shared-library checks" "objdump is not installed"
fi
if [ -f "$UPQR_BUILD/lib/libupqr.so" ]; then
	printf '#include <stddef.h>\nvoid *upqr__malloc(size_t n);\nint main(void){return upqr__malloc(1) == 0;}\n' >"$TMP/internal.c"
	if cc -Iinclude -o "$TMP/internal" "$TMP/internal.c" "$UPQR_BUILD/lib/libupqr.so" 2>"$TMP/err"; then
		not_ok "an internal symbol links through the shared library"
	else
		grep -q 'undefined reference to .upqr__malloc' "$TMP/err" && ok "an internal symbol does not link" || { not_ok "link failed for another reason"; sed 's/^/# /' "$TMP/err"; }
	fi
else
	not_ok "no $UPQR_BUILD/lib/libupqr.so: the CLI cannot have been linked against it"
fi
no_sanitizer_report "inputs"
done_testing
