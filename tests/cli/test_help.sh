#!/bin/sh
# Every command and subcommand of the one table (tools/upqr/help.c, listed by
# `upqr help --list`) answers --help, -h and `upqr help`, refuses an unknown
# option and an option without its value, and appears with all its options
# in the man page and in the bash completion.
. tests/cli/lib.sh

run "$UPQR" help --list
cp "$TMP/out" "$TMP/list"
n=$(wc -l <"$TMP/list")
[ "$n" -ge 11 ] && ok "the table lists $n commands and subcommands" || not_ok "help --list: $n lines"

# The top-level names of the table are exactly the commands `upqr --help` shows.
run "$UPQR" --help
sed -n '/^commands:/,/^$/p' "$TMP/out" | awk 'NF && !/^commands:/ {print $1}' | sort >"$TMP/shown"
awk 'NF == 1' "$TMP/list" | sort >"$TMP/top"
if diff -u "$TMP/top" "$TMP/shown" >"$TMP/d"; then ok "upqr --help shows every command of the table"
else not_ok "upqr --help differs from the table"; sed 's/^/# /' "$TMP/d"; fi

# The man page as a reader sees it (groff turns \- into -).
if command -v groff >/dev/null 2>&1; then
	groff -man -Tascii -ww docs/upqr.1 2>"$TMP/err" | col -b >"$TMP/man"
	[ -s "$TMP/err" ] && { not_ok "groff warns about docs/upqr.1"; sed 's/^/# /' "$TMP/err"; } || ok "docs/upqr.1 renders without warnings"
else
	: >"$TMP/man"
	skip "man page checks" "groff is not installed"
fi

while read -r cmd sub; do
	label="$cmd${sub:+ $sub}"
	# shellcheck disable=SC2086
	expect_rc "$label --help exits 0" 0 "$UPQR" $cmd $sub --help
	expect_out "$label --help shows the usage" "^usage: upqr $label( |$)"
	expect_out "$label --help lists options" '^options:$'
	expect_out "$label --help shows an example" '^example:$'
	[ -s "$TMP/err" ] && not_ok "$label --help writes to stderr" || ok "$label --help: stderr empty"
	cp "$TMP/out" "$TMP/help"
	"$UPQR" $cmd $sub -h >"$TMP/h" 2>&1
	cmp -s "$TMP/help" "$TMP/h" && ok "$label -h = --help" || not_ok "$label -h differs"
	"$UPQR" help $cmd $sub >"$TMP/h" 2>&1
	cmp -s "$TMP/help" "$TMP/h" && ok "upqr help $label = --help" || not_ok "upqr help $label differs"
	# man page: a section for every command, every option named.
	if [ -s "$TMP/man" ]; then
		grep -q "^   upqr $label" "$TMP/man" && ok "man page has upqr $label" || not_ok "man page lacks upqr $label"
	fi
	"$UPQR" help --options $cmd $sub >"$TMP/opts"
	while read -r opt val; do
		case $opt in --help|-h) continue ;; esac
		[ -s "$TMP/man" ] || continue
		grep -qF -- "$opt" "$TMP/man" && ok "man page names $label $opt" || not_ok "man page lacks $label $opt"
	done <"$TMP/opts"
	# Groups (mpm, cpm) take a subcommand first; their options are tried on the subcommands.
	grep -q "^$cmd " "$TMP/list" && [ -z "$sub" ] && continue
	expect_rc "$label: unknown option exits 2" 2 "$UPQR" $cmd $sub --no-such-option
	expect_err "$label: unknown option is named" '^upqr: unknown option: --no-such-option$'
	while read -r opt val; do
		if [ -n "$val" ]; then
			expect_rc "$label $opt without a value exits 2" 2 "$UPQR" $cmd $sub "$opt"
			expect_err "$label $opt: 'needs a value'" "^upqr: option $opt needs a value$"
		elif [ "$opt" != --help ] && [ "$opt" != -h ]; then
			expect_rc "$label $opt=x exits 2" 2 "$UPQR" $cmd $sub "$opt=x"
			expect_err "$label $opt=x: 'takes no value'" "^upqr: option $opt takes no value$"
		fi
	done <"$TMP/opts"
done <"$TMP/list"

# The table and the commands agree: every option of the table gets past the
# command's own parser (no "unknown" from it), and every option a command's
# source handles is in the table (else the central check would refuse it).
while read -r cmd sub; do
	grep -q "^$cmd " "$TMP/list" && [ -z "$sub" ] && continue
	"$UPQR" help --options $cmd $sub | while read -r opt val; do
		case $opt in --help|-h) continue ;; esac
		v=${val%%|*}
		[ -n "$val" ] && [ "$v" = "$val" ] && v=x
		# shellcheck disable=SC2086
		"$UPQR" $cmd $sub "$opt" ${val:+"$v"} </dev/null >/dev/null 2>"$TMP/e"
		if grep -qi 'unknown' "$TMP/e"; then
			echo "not ok - $cmd${sub:+ $sub} $opt is in the table but its command does not know it"
			sed 's/^/# /' "$TMP/e"
		fi
	done >"$TMP/agree"
	if [ -s "$TMP/agree" ]; then not_ok "$cmd${sub:+ $sub}: table and parser disagree"; cat "$TMP/agree"
	else ok "$cmd${sub:+ $sub}: every option of the table is known to the command"; fi
done <"$TMP/list"
while read -r cmd sub; do "$UPQR" help --options $cmd $sub; done <"$TMP/list" | awk '{print $1}' | sort -u >"$TMP/all"
grep -ho '"--[a-z][a-z0-9-]*"' tools/upqr/cmd_*.c | tr -d '"' | sort -u >"$TMP/src"
missing=$(comm -23 "$TMP/src" "$TMP/all" | tr '\n' ' ')
[ -z "$missing" ] && ok "every option in tools/upqr/cmd_*.c is in the table" ||
	not_ok "options handled but not in the table (tools/upqr/help.c): $missing"

expect_rc "upqr help with no such command" 2 "$UPQR" help frob
expect_err "upqr help names it" 'no such command: frob'
expect_rc "unknown subcommand" 2 "$UPQR" cpm frob
expect_err "unknown subcommand is named" '^upqr: unknown subcommand: frob$'
expect_rc "a group without a subcommand" 2 "$UPQR" mpm
expect_err "... shows its subcommands" '^subcommands:$'
expect_rc "--name=value is the same as --name value" 0 "$UPQR" mpm decode --profile=emvco \
	000201010211153112345678123456781234567890123455204581253031565802CN5906Dragon6007Beijing630461EF

# Bash completion: the script asks the program, so it completes what the table has.
if command -v bash >/dev/null 2>&1; then
	cat >"$TMP/comp.bash" <<'B'
. tools/upqr/upqr.bash
complete_line() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _upqr; printf '%s\n' "${COMPREPLY[@]}"; }
echo "[top]"; complete_line upqr ""
echo "[mpm]"; complete_line upqr mpm ""
echo "[render]"; complete_line upqr render --f
echo "[cpm verify]"; complete_line upqr cpm verify --m
echo "[help]"; complete_line upqr help c
B
	PATH="$(dirname "$UPQR"):$PATH" bash "$TMP/comp.bash" >"$TMP/out" 2>"$TMP/err"
	expect_out "completes commands" '^scan$'
	sed -n '/^\[mpm\]/,/^\[render\]/p' "$TMP/out" | grep -qx 'set-amount' && ok "completes mpm subcommands" || not_ok "mpm subcommands"
	sed -n '/^\[render\]/,/^\[cpm verify\]/p' "$TMP/out" | grep -qx -- '--force' && ok "completes render options" || not_ok "render options"
	sed -n '/^\[cpm verify\]/,/^\[help\]/p' "$TMP/out" | grep -qx -- '--mk-option' && ok "completes cpm verify options" || not_ok "cpm verify options"
	sed -n '/^\[help\]/,$p' "$TMP/out" | grep -qx 'cpm' && ok "completes help topics" || not_ok "help topics"
	[ -s "$TMP/err" ] && { not_ok "completion wrote errors"; sed 's/^/# /' "$TMP/err"; } || ok "completion is quiet"
else
	skip "bash completion" "bash is not installed"
fi
no_sanitizer_report "help"
done_testing
