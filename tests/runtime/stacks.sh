# Kernel stacks: kstack, kstack(N), kstack(perf, N) as map keys and values,
# in printf and print(), byte for byte as bpftrace 0.17 prints them. The
# workload is syscaller's getppid() calls, whose kernel stack is the same
# every time (syscall entry up to the tracepoint).
. "$(dirname "$0")/lib.bash"
need_syscaller

GP="$SYSCALLER -n 3 -k getppid"
STACKS='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[kstack] = count(); @s = kstack; @t = kstack(3);
	printf("%s|\n", kstack(2)); @u[kstack(perf, 2)] = count(); $k = kstack(4); @m[1] = $k; @h[@m[1]] = hist(5);
	@tk[kstack(2), comm] = count(); @tv = (kstack(2), 1); }'

run_sonde -q -c "$GP" -e "$STACKS"
expect_eq "kstack: every getppid has one stack" "@[" "$(grep -A0 '^@\[' <<<"$OUT" | sort -u)"
expect_match "kstack: frames are func+offset, 4 spaces in keys" '^    [a-z_0-9.]+\+[0-9]+$' "$OUT"
expect_match "kstack: frames are indented 8 in values" '^        [a-z_0-9.]+\+[0-9]+$' "$OUT"
expect_match "kstack(perf): address and symbol" $'^\t[0-9a-f]{16} [a-z_0-9.]+\\+[0-9]+$' "$OUT"
expect_eq "kstack: the count" "]: 3" "$(grep -E '^\]: [0-9]+$' <<<"$OUT" | head -1)"
expect_eq "kstack(3) holds 3 frames" 3 "$(sed -n '/^@t: $/,/^$/p' <<<"$OUT" | grep -c '^        ')"
# a syscall tracepoint fires below the kernel's syscall entry, whose
# function every x86-64 kernel since 4.x names do_syscall_64
if [ "$(uname -m)" = x86_64 ]; then
	expect_match "kstack: a syscall's stack holds do_syscall_64" '^    do_syscall_64\+[0-9]+$' "$OUT"
	expect_match "kstack: and the tracepoint's caller, syscall_trace_enter" '^    syscall_trace_enter(\.[a-z0-9.]+)?\+[0-9]+$' "$OUT"
fi

run_sonde -q -f json -c "$GP" -e "$STACKS"
expect_match "kstack in JSON: a key keeps its spaces" '"@": \{"\\n    [a-z_]' "$OUT"
expect_match "kstack in JSON: a value is its text" '"@s": "\\n        [a-z_]' "$OUT"

# Below the tracepoint's handler the frames depend on how many programs are
# attached to the tracepoint (one is called directly, several through
# __traceiter_*), which can change between the two runs: compare one frame.
ONE='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[kstack(1)] = count(); @s = kstack(1);
	printf("%s|\n", kstack(1)); @u[kstack(perf, 1)] = count(); $k = kstack(1); @m[1] = $k; @h[@m[1]] = hist(5);
	@tk[kstack(1), comm] = count(); @tv = (kstack(1), 1); }'
if command -v bpftrace >/dev/null; then
	same_as_bpftrace "kernel stacks" -c "$GP" -e "$ONE"
else
	skip "kernel stacks against bpftrace: not installed"
fi

# Without addresses (not root) frames cannot be named: the stack prints its
# addresses. Only checkable as root, where they are named.
run_sonde -q -c "$GP" -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[kstack(1)] = count(); }'
expect_eq "kstack(1): one frame" 1 "$(grep -c '^    ' <<<"$OUT")"
# stack_mode from the config block or BPFTRACE_STACK_MODE: how a kstack that
# names no mode prints
run_sonde -q -c "$SYSCALLER -n 1 -k getppid" -e 'config = { stack_mode = perf }
	tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @p[kstack(1)] = count(); @b[kstack(bpftrace, 1)] = count(); }'
expect_match "config stack_mode = perf" $'^\t[0-9a-f]{16} [a-z_0-9.]+\\+[0-9]+$' "$(sed -n '/^@p\[/,/^\]/p' <<<"$OUT")"
expect_match "kstack(bpftrace, N) overrides it" '^    [a-z_0-9.]+\+[0-9]+$' "$(sed -n '/^@b\[/,/^\]/p' <<<"$OUT")"
BPFTRACE_STACK_MODE=perf run_sonde -q -c "$SYSCALLER -n 1 -k getppid" -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[kstack(1)] = count(); }'
expect_match "BPFTRACE_STACK_MODE=perf" $'^\t[0-9a-f]{16} ' "$OUT"
run_sonde -q -c "$SYSCALLER -n 1 -k getppid" -e 'config = { stack_mode = "perf" }
	tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[kstack(1)] = count(); }'
expect_match "config stack_mode = \"perf\" (quoted)" $'^\t[0-9a-f]{16} ' "$OUT"
# raw (latest bpftrace): the addresses alone, one a line, unindented
run_sonde -q -c "$SYSCALLER -n 1 -k getppid" -e 'config = { stack_mode = raw }
	tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[kstack(2)] = count(); @p[kstack(perf, 1)] = count(); }'
expect_eq "config stack_mode = raw: two addresses" 2 "$(sed -n '/^@\[$/,/^\]/p' <<<"$OUT" | grep -cE '^ffffffff[0-9a-f]{8}$')"
expect_match "kstack(perf, N) overrides raw" $'^\t[0-9a-f]{16} [a-z_0-9.]+\\+[0-9]+$' "$(sed -n '/^@p\[/,/^\]/p' <<<"$OUT")"
# build_id is for user stacks: a kernel stack is raw then, as in bpftrace
run_sonde -q -c "$SYSCALLER -n 1 -k getppid" -e 'config = { stack_mode = build_id }
	tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @[kstack(1)] = count(); }'
expect_match "config stack_mode = build_id: a kernel stack is raw" '^ffffffff[0-9a-f]{8}$' "$OUT"
finish
