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

finish
