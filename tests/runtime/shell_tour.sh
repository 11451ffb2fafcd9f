#!/usr/bin/env bash
# shell_tour.sh - the shell's .tour, .watch and member completion
# (src/shell_tour.c, src/shell.c, src/shell_complete.c), driven in a real
# terminal by tmux: a lesson's program waits at the prompt and runs on
# Enter; a lesson whose probe type this kernel lacks offers the nearest
# that works; .watch redraws a map in place every second until Ctrl-C;
# Tab after curtask->, $var-> and args. lists members from BTF; .maps has
# the values of the last run.
. "$(dirname "$0")/lib.bash"

shell_in_tmux tour 40

snapshot_bpf
start_shell || { fail "shell starts"; finish; }

# ---- .tour ---------------------------------------------------------------------------

type_line '.tour'
check ".tour shows the first lesson" wait_screen '^Lesson 1 of [0-9]+: Hello world$' "lesson 1"
check "its program waits at the prompt" \
	wait_for "^${PROMPT}BEGIN \\{ printf\\(\"hello world\\\\n\"\\); exit\\(\\); \\}\$" "the program"
tmux send-keys -t "$SESSION" Enter
check "Enter runs it live" wait_screen '^hello world$' "its output"
check "then what to try next and how to go on" wait_screen '^Go on: \.tour \(lesson 2: File opens\)$' "go on"
check "and the prompt is back" wait_for "^${PROMPT}\$" "the prompt after the lesson"

clear_screen
type_line '.tour list'
check ".tour list marks the lesson that ran" wait_screen '^  \* 1\. Hello world$' "the list"

clear_screen
type_line '.tour 5'
wait_screen '^Lesson 5 of [0-9]+: Timing a syscall$' "lesson 5"
if "$SONDE" --info 2>/dev/null | grep -q '^  kprobe: no'; then
	check "a lesson whose probe type is missing says why" \
		wait_screen '^but kprobe does not work on this machine: ' "the reason"
	check "and offers the nearest that works" \
		wait_for "^${PROMPT}tracepoint:syscalls:sys_enter_read \\{" "the tracepoint program"
else
	check "a lesson offers its classic program" wait_for "^${PROMPT}kprobe:vfs_read \\{" "the kprobe program"
fi
tmux send-keys -t "$SESSION" C-c
wait_for "^${PROMPT}\$" "the prompt after Ctrl-C"

clear_screen
type_line '.tour 42'
check ".tour with a lesson that does not exist says which do" \
	wait_screen '^sonde: \.tour takes next, list or a lesson number from 1 to [0-9]+$' "the message"

# ---- .watch ----------------------------------------------------------------------------

clear_screen
type_line '.help .watch'
check ".help .watch explains it" wait_screen '^\.watch \[@map\.\.\.\|off\] \[probe block\]$' "the help"

clear_screen
type_line '.watch'
wait_screen '^watch mode on' "watch mode"
type_line 'interval:ms:20 { @ticks = count(); }'
header='^[0-9]{2}:[0-9]{2}:[0-9]{2}  watching @ticks every second \(Ctrl-C stops\)$'
frame() { visible | grep -E -- "$header|^@ticks: " | tr '\n' ' '; }
deadline=$((SECONDS + 20))
first=$(frame)
until [[ $first == *"@ticks: "* ]] || ((SECONDS > deadline)); do sleep 0.2; first=$(frame); done
sleep 1.5
second=$(frame)
if visible | head -1 | grep -Eq -- "$header" && [[ $first == *"@ticks: "* && $second == *"@ticks: "* ]] &&
	[ "$first" != "$second" ]; then
	pass ".watch redraws the map in place every second (two frames: $first/ $second)"
else
	fail ".watch redraws the map in place every second"
	echo "    first frame: $first"
	echo "    second frame: $second"
	visible | sed '/^$/d' | head -5 | sed 's/^/    | /'
fi
tmux send-keys -t "$SESSION" C-c
if wait_for "^${PROMPT}\$" "the prompt after Ctrl-C" && screen | grep -Eq '^@ticks: [0-9]+$'; then
	pass "Ctrl-C stops a watched run, prints its maps and returns to the prompt"
else
	fail "Ctrl-C stops a watched run, prints its maps and returns to the prompt"
fi
expect_nothing_left "nothing attached after a watched run"

clear_screen
type_line '.maps'
if wait_screen '^Their values when the last run ended:$' ".maps" &&
	screen | grep -A1 '^Their values' | grep -Eq '^@ticks: [0-9]+$'; then
	pass ".maps shows the last run's maps with their values when it ended"
else
	fail ".maps shows the last run's maps with their values when it ended"
fi

clear_screen
type_line '.watch off'
wait_screen '^watch mode off$' "watch mode off"
type_line 'interval:ms:20 { @n = count(); if (@n == 3) { exit(); } }'
if wait_screen '^@n: 3$' "the run" && ! screen | sed -n '/^watch mode off$/,$p' | grep -q 'watching'; then
	pass ".watch off: probe blocks run unwatched again"
else
	fail ".watch off: probe blocks run unwatched again"
	screen | sed '/^$/d' | tail -8 | sed 's/^/    | /'
fi
wait_for "^${PROMPT}\$" "the prompt"

# ---- members after -> and . ---------------------------------------------------------------

clear_screen
type_tab 'BEGIN { printf("%s\n", curtask->real_pa'
check "Tab after curtask->real_pa completes task_struct's real_parent" \
	wait_for "curtask->real_parent\$" "the member"
type_tab '->comm'
check "and goes on through the chain (->comm)" wait_for "curtask->real_parent->comm\$" "the member"
tmux send-keys -t "$SESSION" C-c
wait_for "^${PROMPT}\$" "the prompt"

type_tab 'BEGIN { $t = curtask->mm; printf("%d\n", $t->pg'
check "Tab after \$t-> lists the members of the type \$t was given in the entry" \
	wait_screen '^pgd +pgtables_bytes *$' "mm_struct's members"
tmux send-keys -t "$SESSION" C-c
wait_for "^${PROMPT}\$" "the prompt"

type_tab 'rawtracepoint:sched_switch { printf("%s\n", args.ne'
check "Tab after args. of a raw tracepoint completes its BTF argument" wait_for 'args\.next$' "the argument"
tmux send-keys -t "$SESSION" C-c
wait_for "^${PROMPT}\$" "the prompt"

type_tab 'fentry:vfs_read { @[args.cou'
check "Tab after args. of fentry completes the function's BTF parameter" wait_for 'args\.count$' "the parameter"
tmux send-keys -t "$SESSION" C-c
wait_for "^${PROMPT}\$" "the prompt"

type_tab 'software:page-f'
check "Tab completes a probe name with a '-' in it (software:page-faults)" \
	wait_for "^${PROMPT}software:page-faults:\$" "the probe name"
tmux send-keys -t "$SESSION" C-c
wait_for "^${PROMPT}\$" "the prompt"

type_line '.quit'
check ".quit leaves with 0" wait_screen '^SHELL-EXITED=0$' "the exit"
stop_shell

# ---- .tour without a terminal ----------------------------------------------------------------

out=$(printf '.tour\n\n' | timeout 20 "$SONDE" -i 2>&1)
expect_match ".tour read from a pipe shows the program, and an empty line runs it" '^hello world$' "$out"

finish
