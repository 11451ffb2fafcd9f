#!/usr/bin/env bash
# shell.sh - the interactive shell (src/shell.c), driven in a real terminal
# by tmux: a probe run and stopped with Ctrl-C (maps printed, prompt back,
# nothing left attached), an error and recovery, definitions kept across
# entries, commands, .save writing a script that runs, history across two
# sessions, Tab completion.
. "$(dirname "$0")/lib.bash"

shell_in_tmux shell 50

# ---- a probe, Ctrl-C, the maps, the prompt ------------------------------------

snapshot_bpf
start_shell || { fail "shell starts"; finish; }
pass "shell starts with a prompt"

type_line 'interval:ms:50 { @ticks = count(); printf("tick\n"); }'
check "a typed probe runs and streams its output" wait_screen '^tick$' "the probe's output"
tmux send-keys -t "$SESSION" C-c
if wait_for "$PROMPT\$" "the prompt after Ctrl-C" && screen | grep -Eq '^@ticks: [0-9]+$'; then
	pass "Ctrl-C stops the probe, prints its maps and returns to the prompt"
else
	fail "Ctrl-C stops the probe, prints its maps and returns to the prompt"
fi
expect_nothing_left "nothing attached after a shell run"

# ---- an error and recovery ---------------------------------------------------------

clear_screen
type_line 'BEGIN { printf("%d\n", nosuchvar); }'
wait_for "$PROMPT\$" "the prompt after an error"
expected='shell:1:24: error: unknown identifier '\''nosuchvar'\''
BEGIN { printf("%d\n", nosuchvar); }
                       ^~~~~~~~~'
got=$(screen | grep -A2 '^shell:1:24:')
expect_eq "a compile error shows the caret under the typed text" "$expected" "$got"

clear_screen
type_line 'macro twice(x) { x * 2 }'
wait_for "$PROMPT\$" "the prompt after a macro"
type_line 'BEGIN {'
type_line '  printf("twice: %d\n", twice(21)); exit(); }'
if wait_screen '^twice: 42$' "the macro's result" && wait_for "$PROMPT\$" "the prompt"; then
	pass "the shell goes on after an error; a multi-line entry uses a macro typed before"
else
	fail "the shell goes on after an error; a multi-line entry uses a macro typed before"
fi

# ---- commands ---------------------------------------------------------------------

clear_screen
type_line '.mpas'
if wait_screen "unknown command '.mpas'; did you mean '.maps'\?" "the suggestion"; then
	pass "an unknown command suggests the closest"
else
	fail "an unknown command suggests the closest"
fi
type_line '.list tracepoint:sched:sched_switch'
check ".list" wait_screen '^tracepoint:sched:sched_switch$' ".list"
type_line '.fields tracepoint:sched:sched_switch'
check ".fields" wait_screen '^    pid_t prev_pid$' ".fields"
type_line '.maps'
wait_for "$PROMPT\$" "the prompt after .maps"

clear_screen
type_line ".save $TMP/saved.bt"
wait_screen "^saved to $TMP/saved.bt\$" ".save"
got=$(timeout 20 "$SONDE" "$TMP/saved.bt" 2>&1 </dev/null | grep '^twice')
if head -1 "$TMP/saved.bt" | grep -qx '#!/usr/bin/env sonde' && [ "$got" = "twice: 42" ]; then
	pass ".save writes a script (with its #! line) that runs"
else
	fail ".save writes a script (with its #! line) that runs"
	sed 's/^/    | /' "$TMP/saved.bt"
fi

clear_screen
type_line ".load $TMP/saved.bt"
if wait_screen '^twice: 42$' ".load's output" && wait_for "$PROMPT\$" "the prompt after .load"; then
	pass ".load runs a script"
else
	fail ".load runs a script"
fi

clear_screen
type_line 'macro twice(x) { x * 3 }'
wait_for "$PROMPT\$" "the prompt after a redefinition"
type_line 'BEGIN { printf("thrice: %d\n", twice(2)); exit(); }'
check "a definition typed again replaces the earlier one" wait_screen '^thrice: 6$' "the new definition"
wait_for "$PROMPT\$" "the prompt"

# ---- completion -----------------------------------------------------------------

clear_screen
type_tab 'tracepoint:sched:sched_sw'
check "Tab after tracepoint:sched:sched_sw lists the events it can be" \
	wait_screen '^tracepoint:sched:sched_swap_numa +tracepoint:sched:sched_switch *$' "the candidates"
type_tab 'i'
check "Tab completes tracepoint:sched:sched_swi to sched_switch" \
	wait_for "^${PROMPT}tracepoint:sched:sched_switch\$" "the completion"
type_tab ' { @[co'
check "Tab lists builtins and functions" wait_screen '^comm ' "builtin candidates"
tmux send-keys -t "$SESSION" C-c
wait_for "$PROMPT\$" "the prompt after Ctrl-C at the prompt"

clear_screen
type_line 'tracepoint:syscalls:sys_enter_openat {'
type_tab ' printf("%s\n", str(args.'
check "Tab after args. lists the fields of the tracepoint typed on an earlier line" \
	wait_screen '^(__syscall_nr +)?dfd +filename +flags +mode *$' "args fields"
type_tab 'fi'
check "Tab completes args.fi to args.filename" wait_for 'str\(args\.filename$' "the field completion"
tmux send-keys -t "$SESSION" C-c
wait_for "$PROMPT\$" "the prompt after Ctrl-C in a continued entry"

type_line '.quit'
check ".quit leaves with 0" wait_screen '^SHELL-EXITED=0$' "the exit"
stop_shell

# ---- history across sessions -------------------------------------------------------

start_shell
# the prompt is drawn before libedit puts the terminal in raw mode: an
# arrow key sent at once can arrive in cooked mode (seen on a loaded machine)
sleep 0.5
tmux send-keys -t "$SESSION" Up Up
check "history is kept across sessions" wait_for "^${PROMPT}BEGIN .*thrice" "the history"
stop_shell

# ---- sonde -i reading a pipe; config blocks saved as one ----------------------

printf '%s\n' 'config = { max_strlen = 32; }' \
	'config = { print_maps_on_exit = false } BEGIN { @x = 1; printf("%s\n", "0123456789abcdef0123"); exit(); }' \
	".save $TMP/config.bt" | "$SONDE" -i >"$TMP/piped.out" 2>&1
expect_eq "sonde -i reads entries from a pipe" "0123456789abcdef0123" "$(grep '^0123' "$TMP/piped.out")"
expect_eq ".save merges the config blocks typed into one" \
	"config = { max_strlen = 32; print_maps_on_exit = false }" "$(sed -n 2p "$TMP/config.bt")"
expect_eq "the saved script with its config runs" "Attaching 1 probe...
0123456789abcdef0123" "$(timeout 20 "$SONDE" "$TMP/config.bt" 2>&1 </dev/null)"

# ---- no terminal: as before ------------------------------------------------------

out=$("$SONDE" </dev/null 2>&1)
rc=$?
if [ $rc = 1 ] && printf '%s\n' "$out" | grep -q '^USAGE:'; then
	pass "without a terminal, no program still prints the usage"
else
	fail "without a terminal, no program still prints the usage (rc $rc)"
fi

finish
