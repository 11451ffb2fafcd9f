# watchpoint:FUNC+argN and asyncwatchpoint:FUNC+argN (bpftrace 0.17's
# function-argument watchpoints), and unwatch(): the address is argN each time the traced
# program enters FUNC. tests/tools/wp_func calls wp_bump(1, p), which
# writes *p once; `same N` calls it N times on one allocation then writes
# it 5 more times itself, `new N` on N fresh allocations, `loop` forever.
# Compared with bpftrace 0.17 where its result is deterministic; fixed
# expectations otherwise (and when bpftrace is not installed).
. "$(dirname "$0")/lib.bash"

SONDE=$(realpath "$SONDE")
TOOLS_DIR=$(realpath "$TOOLS_DIR")
WP=$TOOLS_DIR/wp_func
need_tools "$WP"
cd "$TOOLS_DIR" || exit 1
snapshot_bpf

# The process stops (SIGSTOP) at each entry until the breakpoint is set, so
# the write in the first call is seen; later calls on the same address add
# nothing; the 5 writes after them are seen: 3 + 5.
run_sonde -e 'watchpoint:wp_bump+arg1:4:w { @ = count(); }' -c "./wp_func same 3"
expect_eq "watchpoint:FUNC+arg1 -c: exit status" 0 "$RC"
expect_eq "watchpoint:FUNC+arg1 sees the writes to the address arg1 holds" \
	"$(printf 'Attaching 1 probe...\n\n\n@: 8')" "$OUT"
same_as_bpftrace "watchpoint:FUNC+arg1 counts" -e 'watchpoint:wp_bump+arg1:4:w { @ = count(); }' -c "./wp_func same 3"

# probe: 0.17's name, the -c program as written and the argument's number
# (the first event's line only: the program writes in a loop, and how many
# more events beat exit() depends on the tool's timing, bpftrace's too)
if command -v bpftrace >/dev/null; then
	PROG='watchpoint:wp_bump+arg1:4:w { printf("%s\n", probe); exit(); }'
	expect_eq "watchpoint:FUNC+arg1 probe name (same as bpftrace)" \
		"$(timeout -s INT 60 bpftrace -e "$PROG" -c "./wp_func loop" 2>/dev/null | bpftrace_to_latest | sed -n 1,2p)" \
		"$(timeout -s INT 60 "$SONDE" -e "$PROG" -c "./wp_func loop" 2>/dev/null | sed -n 1,2p)"
fi
run_sonde -e 'watchpoint:wp_bump+arg1:4:w { printf("%s\n", probe); exit(); }' -c "./wp_func loop"
expect_match "watchpoint:FUNC+arg1 probe name" '^watchpoint:./wp_func:wp_bump:1:4:w$' "$OUT"
# with a wildcard 0.17 leaves the argument out
run_sonde -e 'watchpoint:wp_bu*+arg1:4:w { printf("%s\n", probe); exit(); }' -c "./wp_func loop"
expect_match "watchpoint:FUNC*+arg1 probe name" '^watchpoint:./wp_func:wp_bump:4:w$' "$OUT"

# Each new address takes a debug register (x86-64: 4 a thread); then
# bpftrace's line for each address that found none, and the run goes on.
run_sonde -e 'watchpoint:wp_bump+arg1:4:w { @ = count(); }' -c "./wp_func new 6"
expect_eq "watchpoint:FUNC+arg1 out of debug registers" \
	"$(printf 'Attaching 1 probe...\nFailed to attach watchpoint probe. You are out of watchpoint registers.\nFailed to attach watchpoint probe. You are out of watchpoint registers.\n\n\n@: 4')" "$OUT"
expect_eq "out of debug registers: exit status" 0 "$RC"
same_as_bpftrace "watchpoint:FUNC+arg1 out of debug registers" \
	-e 'watchpoint:wp_bump+arg1:4:w { @ = count(); }' -c "./wp_func new 6"

# asyncwatchpoint does not stop the process: writes in the first calls may
# come before the breakpoint, but it is set soon enough for a loop
run_sonde -e 'asyncwatchpoint:wp_bump+arg1:4:w { printf("hit!\n"); exit(); }' -c "./wp_func loop"
expect_eq "asyncwatchpoint:FUNC+arg1 -c" "$(printf 'Attaching 1 probe...\nhit!')" "$OUT"

# -p: the running process's program, /proc/PID/exe as bpftrace names it
"$WP" loop &
LOOP=$!
run_sonde -p "$LOOP" -e 'watchpoint:wp_bump+arg1:4:w { printf("%s\n", probe); exit(); }'
kill "$LOOP" 2>/dev/null
wait "$LOOP" 2>/dev/null
expect_eq "watchpoint:FUNC+arg1 -p: exit status" 0 "$RC"
expect_match "watchpoint:FUNC+arg1 -p" "^watchpoint:/proc/$LOOP/exe:wp_bump:1:4:w\$" "$OUT"

# unwatch(addr) (bpftrace 0.17): the first write is seen, then the
# breakpoint is gone (the later calls on that address are ignored as
# seen before), so neither the others nor the 5 after them count.
UNWATCH='uprobe:./wp_func:wp_bump { @addr = arg1; }
watchpoint:wp_bump+arg1:4:w { @count = count(); unwatch(@addr); }'
run_sonde -e "$UNWATCH" -c "./wp_func same 3"
expect_match "unwatch: one write seen" '^@count: 1$' "$OUT"
# and it frees the debug register: 8 addresses one after the other fit
run_sonde -e "$UNWATCH" -c "./wp_func new 8"
expect_match "unwatch frees the debug register" '^@count: 8$' "$OUT"
expect_eq "unwatch frees the debug register: none missing" "" "$(grep 'out of watchpoint registers' <<<"$OUT")"
# an address nobody watches is ignored
run_sonde -e 'BEGIN { unwatch(0x1000); exit(); }'
expect_eq "unwatch of an unwatched address" "$(printf 'Attaching 1 probe...')" "$OUT"

# misuse
run_sonde -e 'watchpoint:wp_bump+arg1:4:w { @ = count(); }'
expect_match "watchpoint:FUNC+argN needs -p or -c" 'error: -p PID or -c CMD required for watchpoint' "$ERR"
run_sonde -e 'watchpoint:no_such_function+arg1:4:w { @ = count(); }' -c "./wp_func same 1"
expect_match "watchpoint:FUNC+argN of a missing function" "error: watchpoint: no function matches 'no_such_function'" "$ERR"
expect_eq "missing function: exit status" 1 "$RC"

expect_nothing_left "watchpoint:FUNC+argN"
finish
