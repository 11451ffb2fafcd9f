# Functions whose output is made in user space (time, cat, system, join,
# errorf/warnf, strftime, ntop, ...): byte-compared with bpftrace 0.17
# where it has the function, fixed expectations otherwise. Times are
# checked with fixed inputs or by their shape.
. "$(dirname "$0")/lib.bash"

ECHO='/bin/true x yy zzz' # prints nothing: its output would race sonde's

# ---- time, cat, system, join -------------------------------------------------

run_sonde -q -e 'BEGIN { time(); time("%Y|%%|\n"); exit(); }'
expect_match "time() default format and a format of its own" "^[0-9]{2}:[0-9]{2}:[0-9]{2}\$" "$OUT"
expect_match "time() with a format" "^$(date +%Y)\|%\|\$" "$OUT"
run_sonde -q -f json -e 'BEGIN { time("%Y\n"); exit(); }'
expect_eq "time() in JSON" "{\"type\": \"time\", \"data\": \"$(date +%Y)\\n\"}" "$OUT"

same_as_bpftrace "cat() of a file, formatted path" -e 'BEGIN { cat("/proc/sys/kernel/%s", "ostype");
	printf("-\n"); cat("/proc/sys/kernel/osrelease"); exit(); }'
same_as_bpftrace "cat() of a missing file" -e 'BEGIN { cat("/nonexistent/%d", 5); printf("after\n"); exit(); }'
run_sonde -q -e 'BEGIN { cat("/nonexistent/%d", 5); exit(); }'
expect_eq "cat() of a missing file: the error" "ERROR: failed to open file '/nonexistent/5': No such file or directory" "$ERR"
run_sonde -q -f json -e 'BEGIN { cat("/proc/sys/kernel/ostype"); exit(); }'
expect_eq "cat() in JSON" '{"type": "cat", "data": "Linux\n"}' "$OUT"

same_as_bpftrace "system() output, formatted command" --unsafe -e 'BEGIN { system("echo a b %d %s", 3, "c");
	printf("X\n"); system("printf noeol"); printf("Y\n"); system("false"); exit(); }'
run_sonde -q -f json --unsafe -e 'BEGIN { system("echo a b c"); exit(); }'
expect_eq "system() in JSON" '{"type": "syscall", "data": "a b c\n"}' "$OUT"

same_as_bpftrace "join() of execve's argv" -c "$ECHO" -e 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ {
	join(args->argv); join(args->argv, ","); join(args->argv, ""); }'
run_sonde -q -f json -c "$ECHO" -e 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { join(args.argv, ","); }'
expect_eq "join() in JSON" '{"type": "join", "data": "/bin/true,x,yy,zzz"}' "$OUT"

# Ctrl-C while system() runs on every context switch: the event loop stops
# reading at once, starts no more commands, and END runs.
"$SONDE" --unsafe -e 'tracepoint:sched:sched_switch { system("echo foo"); } END { printf("end\n"); }' >"$TMP/sig.out" 2>&1 &
SIGPID=$!
sleep 2
kill -INT "$SIGPID"
for _ in $(seq 100); do kill -0 "$SIGPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SIGPID" 2>/dev/null; then
	kill -KILL "$SIGPID"
	fail "Ctrl-C under a flood of system() events: still running 10 s later"
else
	expect_match "Ctrl-C under a flood of system() events: END runs" '^end$' "$(cat "$TMP/sig.out")"
fi
wait "$SIGPID" 2>/dev/null

# ---- errorf, warnf ---------------------------------------------------------------

run_sonde -q -e 'BEGIN { errorf("Something bad with args: %d, %s", 10, "arg2"); $x = 0x12345678abcdef;
warnf("%hhx %hx %x %jx", $x, $x, $x, $x); printf("out\n"); exit(); }'
expect_eq "errorf() and warnf(): located messages on stderr" "stdin:1:9-62: ERROR: Something bad with args: 10, arg2
stdin:2:1-41: WARNING: ef cdef 78abcdef 12345678abcdef" "$ERR"
expect_eq "errorf() and warnf() leave stdout alone" "out" "$OUT"
run_sonde -q --no-warnings -e 'BEGIN { warnf("no warn"); exit(); }'
expect_eq "warnf() with --no-warnings" "" "$ERR"
run_sonde -q -f json -e 'BEGIN { errorf("bad %d", 1); warnf("meh"); exit(); }'
expect_eq "errorf() and warnf() in JSON" '{"type": "errorf", "msg": "bad 1", "filename": "stdin", "line": 1, "col": 9}
{"type": "warnf", "msg": "meh", "filename": "stdin", "line": 1, "col": 30}' "$OUT"

# ---- values shown by user space: strftime, ntop, macaddr, strerror -----------------

same_as_bpftrace "strftime() of fixed timestamps" -e 'BEGIN { printf("%s|%s\n", strftime("%Y-%m-%d %H:%M:%S", 0),
	strftime("%H:%M:%S", 3000000000)); @t = strftime("%Y", 1000); exit(); }'
run_sonde -q -e 'BEGIN { printf("%s|%s\n", strftime("%%f %f", 1234567891), strftime("%S.%f", 1000)); exit(); }'
expect_match "strftime() %f: microseconds" '^%f [0-9]{6}\|[0-9]{2}\.[0-9]{6}$' "$OUT"
run_sonde -q -f json -e 'BEGIN { $t = (1, strftime("%Y", nsecs)); print($t); exit(); }'
expect_eq "strftime() in JSON" "{\"type\": \"value\", \"data\": [1,\"$(date +%Y)\"]}" "$OUT"

same_as_bpftrace "ntop() of IPv4 integers" -e 'BEGIN { printf("[%s] [%-12s]\n", ntop(0x0100007f), ntop(2, 0xffffffff));
	print(ntop(0x0a01a8c0)); @a[ntop(0x0100007f)] = count(); @v = ntop(10, 0x0100007f); exit(); }'
run_sonde -q -e 'BEGIN { printf("%s|%s\n", ntop("0123456789abcde"), ntop(2, (uint8[4])0x0100007f)); exit(); }'
expect_eq "ntop() of 16 and 4 bytes" "3031:3233:3435:3637:3839:6162:6364:6500|127.0.0.1" "$OUT"
run_sonde -q -f json -e 'BEGIN { print(ntop(0x0100007f)); @[ntop(0x0100007f)] = 3; exit(); }'
expect_eq "ntop() in JSON" '{"type": "value", "data": "127.0.0.1"}
{"type": "map", "data": {"@": {"127.0.0.1": 3}}}' "$OUT"

run_sonde -q -e 'BEGIN { printf("%s\n", macaddr((uint8[8])0xfe665544332211)); @m = macaddr((uint8[8])0xab); exit(); }'
expect_eq "macaddr()" "11:22:33:44:55:66


@m: AB:00:00:00:00:00" "$OUT"

run_sonde -q -e 'BEGIN { print(strerror(7)); printf("[%s]\n", strerror(1)); @e[strerror(2)] = 1; exit(); }'
expect_eq "strerror()" "Argument list too long
[Operation not permitted]


@e[No such file or directory]: 1" "$OUT"
run_sonde -q -f json -e 'BEGIN { print(strerror(7)); exit(); }'
expect_eq "strerror() in JSON" '{"type": "value", "data": "Argument list too long"}' "$OUT"

run_sonde -q -e 'BEGIN { print(signal_name(2)); print(signal_name(0)); print(signal_name(1024)); printf("%s|%s\n", signal_name(34), signal_name(-1)); exit(); }'
expect_eq "signal_name()" "Interrupt
Unknown signal 0
N/A
Real-time signal 0|N/A" "$OUT"

# ---- cgroup_path, username --------------------------------------------------------

same_as_bpftrace "cgroup_path() and username" -e 'BEGIN { printf("%s|%s\n", cgroup_path(cgroup), username);
	print(cgroup_path(cgroup)); @u[username] = 1; exit(); }'
run_sonde -q -e 'BEGIN { print(cgroup_path(cgroup, "unif*")); exit(); }'
expect_match "cgroup_path() with a filter: cgroup2 only" '^unified:/[^,]*$' "$OUT"
run_sonde -q -e 'BEGIN { print(cgroup_path(cgroup, "nomatch")); printf("%s\n", username()); exit(); }'
expect_eq "cgroup_path() with a filter matching nothing, username()" "
$(id -un)" "$OUT"

# ---- printf: %s of any value ------------------------------------------------------

run_sonde -q -e 'BEGIN { $r = (a=1, b="x"); printf("%s|%s|%5s|%s|%s|%s\n", -1, (1, "a"), true, $r, (uint32)7, (uint8[2])0x0201); exit(); }'
expect_eq "printf %s of ints, tuples, bools, records, arrays" "-1|(1, a)| true|{ .a = 1, .b = x }|7|[1,2]" "$OUT"

run_sonde -q -e 'BEGIN { printf("%gr|%gr|%gr|%-12gr|%gr\n", 0x1, 0, 0xcc0, 0x2, 0x400000 | 0xcc0 | 0x100 | (1 << 40)); exit(); }'
expect_eq "printf %gr: GFP flags" "GFP_DMA|0|GFP_KERNEL|__GFP_HIGHMEM|GFP_KERNEL_ACCOUNT|__GFP_ZERO|0x10000000000" "$OUT"

finish
