# bash completion for upqr (installed as share/bash-completion/completions/upqr).
#
# It asks the program for its commands and options (`upqr help --list` and
# `upqr help --options CMD [SUB]`, both printed from the table in
# tools/upqr/help.c), so it completes exactly what the installed upqr takes.

_upqr()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmd=${COMP_WORDS[1]:-} list sub="" at=2 words
	list=$("${COMP_WORDS[0]}" help --list 2>/dev/null) || return 0
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		words="$(printf '%s\n' "$list" | awk 'NF == 1') help --help --version"
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return 0
	fi
	if [ "$cmd" = help ]; then
		if [ "$COMP_CWORD" -eq 2 ]; then
			words=$(printf '%s\n' "$list" | awk 'NF == 1')
		elif [ "$COMP_CWORD" -eq 3 ]; then
			words=$(printf '%s\n' "$list" | awk -v c="${COMP_WORDS[2]}" '$1 == c && NF == 2 { print $2 }')
		fi
		mapfile -t COMPREPLY < <(compgen -W "${words:-}" -- "$cur")
		return 0
	fi
	# A command with subcommands (mpm, cpm) takes one first.
	if printf '%s\n' "$list" | awk -v c="$cmd" '$1 == c && NF == 2 { f = 1 } END { exit !f }'; then
		if [ "$COMP_CWORD" -eq 2 ]; then
			words=$(printf '%s\n' "$list" | awk -v c="$cmd" '$1 == c && NF == 2 { print $2 }')
			mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
			return 0
		fi
		sub=${COMP_WORDS[2]}
		at=3
	fi
	local opts value
	opts=$("${COMP_WORDS[0]}" help --options "$cmd" $sub 2>/dev/null) || return 0
	# The value of the option before the cursor: a choice list or a file.
	if [ "$COMP_CWORD" -ge "$at" ]; then
		value=$(printf '%s\n' "$opts" | awk -v o="$prev" '$1 == o { print $2 }')
		if [ -n "$value" ]; then
			case $value in
			*'|'*) mapfile -t COMPREPLY < <(compgen -W "${value//|/ }" -- "$cur") ;;
			*FILE*|*DIR*) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
			esac
			return 0
		fi
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(printf '%s\n' "$opts" | awk '{ print $1 }') -h" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}
complete -F _upqr upqr
