# bash completion for sonde (installed as share/bash-completion/completions/sonde).
#
# Options come from `sonde --help`, probe names after -e and -l from
# `sonde -l 'PREFIX*'` (tracepoints, raw tracepoints, ...: listing some needs
# root, and without it only the probe types complete), so the completion
# never disagrees with the binary it completes for.

# The probe types (with their ':'), for a word without one yet.
_sonde_probe_types="BEGIN END self:signal: tracepoint: rawtracepoint: uprobe: uretprobe: usdt: profile: interval: software: hardware: watchpoint: asyncwatchpoint: iter:"

# _sonde_probes WORD: probe names that start with WORD (a leading quote or
# '{' of an -e program is ignored).
_sonde_probes() {
	local word=$1
	if [[ $word != *:* ]]; then
		compgen -W "$_sonde_probe_types" -- "$word"
		return
	fi
	"${COMP_WORDS[0]}" -l "${word}*" 2>/dev/null
}

_sonde() {
	COMPREPLY=()
	# bash splits words at ':' (COMP_WORDBREAKS): take the whole word from
	# the line instead, and hand back only what follows its last ':'.
	local line=${COMP_LINE:0:COMP_POINT}
	local cur=${line##*[[:space:]]}
	local prev=""
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	local before=${line%"$cur"}
	before=${before%"${before##*[![:space:]]}"}
	local prevword=${before##*[[:space:]]}
	case $prevword in
	-e | -l | --list)
		local quote=""
		[[ $cur == [\'\"]* ]] && quote=${cur:0:1}
		local word=${cur#"$quote"}
		local c
		while IFS= read -r c; do
			[[ -n $c ]] || continue
			c=$quote$c
			# bash completes the part after the last ':' (or the whole word)
			if [[ $COMP_WORDBREAKS == *:* && $cur == *:* ]]; then
				c=${c#"${cur%:*}:"}
			fi
			COMPREPLY+=("$c")
		done < <(_sonde_probes "$word")
		# a probe type's ':' is to be followed by more, not by a space
		[[ ${#COMPREPLY[@]} -gt 0 ]] && compopt -o nospace 2>/dev/null
		return 0
		;;
	esac
	case $prev in
	-f) COMPREPLY=($(compgen -W "text json" -- "$cur")); return 0 ;;
	-d) COMPREPLY=($(compgen -W "ast types llvm bpf all" -- "$cur")); return 0 ;;
	-p | --pid) COMPREPLY=($(compgen -W "$(ls /proc 2>/dev/null | grep '^[0-9]')" -- "$cur")); return 0 ;;
	-c | --cmd) COMPREPLY=($(compgen -c -- "$cur")); return 0 ;;
	-o | --output | --emit-llvm | --emit-elf | --include | --aot) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
	--help-topic)
		COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" --help-topic 2>/dev/null | sed -n 's/^  //p' | tr -d '*()')" -- "$cur"))
		return 0
		;;
	esac
	if [[ $cur == -* ]]; then
		local opts
		opts=$("${COMP_WORDS[0]}" --help 2>/dev/null | grep -oE '(^|[ ,])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' ,' | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi
	# a script file
	COMPREPLY=($(compgen -f -X '!*.bt' -- "$cur") $(compgen -d -- "$cur"))
}
complete -F _sonde sonde
