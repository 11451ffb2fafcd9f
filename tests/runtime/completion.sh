# completion.sh - the shell completion scripts (completions/): bash's,
# driven from a script through `complete -p` and its function with
# COMP_WORDS/COMP_LINE set as bash sets them at a TAB, completes options
# (from `sonde --help`), probe types and tracepoint names after -l and -e
# (from `sonde -l`), -f values and help topics; zsh's and fish's parse when
# those shells are installed.
RUNS_WITHOUT_ROOT=1
source "$(dirname "$0")/lib.bash"

BASH_COMPLETION=$SRCDIR/completions/sonde.bash
SONDE=$(readlink -f "$SONDE")

# complete_line LINE: what bash offers at the end of LINE (one per line),
# with COMP_* set as bash sets them at a TAB (COMP_WORDS split at blanks
# only: the function reads the word from COMP_LINE, as it must when bash
# splits it at ':').
cat >"$TMP/drive.bash" <<'DRIVE'
source "$1"
line=$3
read -ra COMP_WORDS <<<"$line"
[[ $line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_WORDS[0]=$2
COMP_LINE="$2 ${line#sonde }"
COMP_POINT=${#COMP_LINE}
COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
fn=$(complete -p sonde | sed -E 's/.*-F ([^ ]+).*/\1/')
"$fn" sonde "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
DRIVE
complete_line() {
	bash --norc "$TMP/drive.bash" "$BASH_COMPLETION" "$SONDE" "$1"
}

out=$(bash --norc -c 'source "$1"; complete -p sonde' _ "$BASH_COMPLETION")
expect_match "bash: complete -p sonde names a function" '^complete -F _sonde sonde$' "$out"

expect_eq "bash: an option" "--probe-filter" "$(complete_line 'sonde --probe-f')"
expect_match "bash: -- lists long options" '^--info$' "$(complete_line 'sonde --')"
expect_match "bash: every long option of --help" '^--help-topic$' "$(complete_line 'sonde --he')"
expect_eq "bash: -f's values" "json" "$(complete_line 'sonde -f j')"
expect_eq "bash: a probe type after -l" "tracepoint:" "$(complete_line 'sonde -l tracep')"
expect_eq "bash: a help topic" "strcontains" "$(complete_line 'sonde --help-topic strco')"

if $IS_ROOT; then
	# bash replaces what follows the last ':' of the word
	expect_eq "bash: a tracepoint after -l" "$(printf 'sched_swap_numa\nsched_switch')" \
		"$(complete_line 'sonde -l tracepoint:sched:sched_sw')"
	expect_eq "bash: one tracepoint after -e '" "sched_switch" \
		"$(complete_line "sonde -e 'tracepoint:sched:sched_swi")"
	expect_match "bash: tracepoint categories" '^sched:sched_switch$' \
		"$(complete_line 'sonde -l tracepoint:sch')"
else
	skip "tracepoint names: listing tracepoints needs root"
fi

# zsh and fish list the options themselves: each long option of --help
# must be in both (bash reads them from --help)
missing=""
for opt in $("$SONDE" --help | grep -oE '(^|[ ,])--[a-z][a-z-]*' | tr -d ' ,' | sort -u); do
	grep -q -- "'$opt\[\|{.*,$opt}" "$SRCDIR/completions/_sonde" || missing+=" zsh:$opt"
	grep -q -- "-l ${opt#--} " "$SRCDIR/completions/sonde.fish" || missing+=" fish:$opt"
done
expect_eq "zsh and fish complete every long option of --help" "" "$missing"

if command -v zsh >/dev/null; then
	zsh -n "$SRCDIR/completions/_sonde" && pass "zsh: _sonde parses" || fail "zsh: _sonde parses"
	if command -v tmux >/dev/null; then
		# an interactive zsh in tmux: type, TAB, read the line back
		mkdir -p "$TMP/zsh/fn"
		cp "$SRCDIR/completions/_sonde" "$TMP/zsh/fn/"
		printf '%s\n' "fpath=($TMP/zsh/fn \$fpath)" "PATH=$(dirname "$SONDE"):\$PATH" \
			'autoload -U compinit && compinit -u -d '"$TMP/zsh/compdump" "PS1='%% '" >"$TMP/zsh/.zshrc"
		# tmux runs the command with $SHELL, else the user's login shell:
		# nobody's is nologin, and CI's environment has no SHELL
		ZT=(env SHELL=/bin/bash tmux -L "sonde-completion-$$")
		"${ZT[@]}" new-session -d -x 150 -y 20 "ZDOTDIR=$TMP/zsh zsh -i"
		trap '"${ZT[@]}" kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
		zsh_line() { "${ZT[@]}" capture-pane -p | grep -v '^$' | tail -1; }
		zsh_complete() { # TYPED EXPECTED-LINE
			"${ZT[@]}" send-keys C-u "$1" Tab
			wait_until 5 test "$(zsh_line)" == "% $2"
			expect_eq "zsh: $1<TAB>" "% $2" "$(zsh_line)"
		}
		wait_until 5 test "$(zsh_line)" == "%"
		zsh_complete "sonde --probe-f" "sonde --probe-filter"
		zsh_complete "sonde --help-topic strco" "sonde --help-topic strcontains"
		if $IS_ROOT; then
			zsh_complete "sonde -e 'tracepoint:sched:sched_swi" "sonde -e 'tracepoint:sched:sched_switch"
		fi
	fi
else
	skip "zsh is not installed"
fi
if command -v fish >/dev/null; then
	fish -n "$SRCDIR/completions/sonde.fish" && pass "fish: sonde.fish parses" || fail "fish: sonde.fish parses"
	# complete -C: what fish offers for a command line (candidate<TAB>description)
	fish_complete() {
		PATH=$(dirname "$SONDE"):$PATH fish --no-config -c \
			'source $argv[1]; complete -C $argv[2]' "$SRCDIR/completions/sonde.fish" "$1" | cut -f1
	}
	expect_eq "fish: an option" "--probe-filter" "$(fish_complete 'sonde --probe-f')"
	expect_eq "fish: a help topic" "strcontains" "$(fish_complete 'sonde --help-topic strco')"
	if $IS_ROOT; then
		expect_eq "fish: a tracepoint after -l" \
			"$(printf 'tracepoint:sched:sched_swap_numa\ntracepoint:sched:sched_switch')" \
			"$(fish_complete 'sonde -l tracepoint:sched:sched_sw')"
	fi
else
	skip "fish is not installed"
fi
finish
