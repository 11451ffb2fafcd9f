# The last language items of issue 8 that only the latest bpftrace has:
# `comptime` and `if comptime`, a positional parameter as a whole attach
# point, socket_cookie() and skboutput() in raw tracepoints, the JSON
# helper_error shape, and runtime errors from imported files. bpftrace 0.17
# has none of them: expectations are fixed, taken from the latest
# bpftrace's docs and tests/runtime.
. "$(dirname "$0")/lib.bash"

# ---- comptime ----
# The untaken branch is not checked at all: here it adds a string to an
# integer, calls fail(), and uses @m with a key where the taken branch uses
# it without one.
run_sonde -q -e 'BEGIN { if comptime (1 + 1 == 2) { printf("taken\n"); } else { $x = "s" + 1; }
	if (comptime false) { fail("never"); } else if comptime ("abc" != "abc") { @m[1] = 1; } else { @m = 2; }
	$a = if comptime ("") { 1 } else { 2 };
	printf("%d %d %s %s\n", $a, comptime (3 * 4), comptime (1, "two").1, comptime ("a" == "a"));
	if comptime (0) { print(nosuchvar); }
	exit(); }'
expect_eq "if comptime: one branch compiled; comptime values" "taken
2 12 two true


@m: 2" "$OUT"
run_sonde -q -c "/bin/true" -e 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ {
	if comptime (probetype == "uprobe") { print(reg("ip")); } else { printf("%s\n", probetype); } exit(); }'
expect_eq "if comptime on probetype: a tracepoint never sees the uprobe branch" "tracepoint" "$(grep -v '^$' <<<"$OUT")"
run_sonde -q -e 'BEGIN { if comptime kfunc_allowed("no_such_kfunc") { $x = "s" + 1; } printf("%d\n", sizeof(int32)); exit(); }'
expect_eq "if comptime of a call that folds while compiling" "4" "$(grep -v '^$' <<<"$OUT")"
run_sonde -e 'BEGIN { $x = 1; if comptime ($x > 1) { print(1); } }'
expect_eq "comptime of a run-time value: positioned error" "1 stdin:1:20: error: unable to resolve comptime expression: its value is known only at run time
BEGIN { \$x = 1; if comptime (\$x > 1) { print(1); } }
                   ^~~~~~~~~~~~~~~~~" "$RC $ERR"
run_sonde -e 'BEGIN { if comptime (1) { @x = 1; } else { @x = 1 +; } }'
expect_eq "the untaken branch is still parsed" 1 "$RC"

# ---- a positional parameter as a whole attach point ----
run_sonde -q -e '$1 { printf("hello %s\n", probe); exit(); }' i:ms:1
expect_eq "\$1 as the whole attach point" "hello interval:ms:1" "$(grep -v '^$' <<<"$OUT")"
run_sonde -q -e '$1, $2 { printf("%s\n", probe); }' BEGIN END
expect_eq "\$1, \$2: two whole attach points" "BEGIN
END" "$(grep -v '^$' <<<"$OUT")"
run_sonde -q -c "/bin/true" -e '$1 /pid == cpid/ { printf("%s\n", probe); exit(); }' tracepoint:syscalls:sys_enter_execve
expect_eq "\$1 naming a tracepoint" "tracepoint:syscalls:sys_enter_execve" "$(grep -v '^$' <<<"$OUT")"
run_sonde -e '$1 { exit(); }'
expect_eq "\$1 as the attach point, not given" "1 stdin:1:1: error: positional parameter \$1 is not set (no parameters follow the program)
\$1 { exit(); }
^~" "$RC $ERR"
run_sonde -e '$1 { exit(); }' tracepoint:nosuch:thing
expect_eq "\$1 naming no tracepoint: the error at \$1" "1 stdin:1:1: error: tracepoint 'nosuch:thing' not found" "$RC $(head -1 <<<"$ERR")"

# ---- socket_cookie in a rawtracepoint (loaded as tp_btf) ----
# loopback TCP traffic of our own: tcp_probe fires as segments arrive
# tcp_chat PID: one loopback connection exchanging small segments until
# process PID is gone (10 s at most)
tcp_chat() {
	python3 -c 'import os, socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
s = socket.socket(); s.connect(l.getsockname()); c, _ = l.accept()
end = time.time() + 10
while os.path.exists("/proc/" + sys.argv[1]) and time.time() < end:
    s.send(b"ping"); c.recv(4); c.send(b"pong"); s.recv(4); time.sleep(0.01)' "$1"
}
if ! command -v python3 >/dev/null; then
	skip "socket_cookie: python3 (the TCP traffic) is not installed"
else
	timeout -s INT 60 "$SONDE" -e 'rawtracepoint:tcp_probe { @c[socket_cookie(args.sk)] = count(); @n = count();
		if (@n == 10) { exit(); } } interval:s:10 { exit(); }' >"$TMP/cookie.out" 2>"$TMP/cookie.err" &
	SPID=$!
	wait_until 20 file_has "$TMP/cookie.out" '^Attaching'
	tcp_chat $SPID
	wait $SPID
	RC=$?
	# two sockets talk: at most two cookies (and at least one), each a
	# positive number; @n reached 10
	cookies=$(grep -cE '^@c\[[1-9][0-9]*\]: [0-9]+$' "$TMP/cookie.out")
	expect_eq "socket_cookie(args.sk) in rawtracepoint:tcp_probe" "0 yes @n: 10" \
		"$RC $([ "$cookies" -ge 1 ] && [ "$cookies" -le 2 ] && echo yes || cat "$TMP/cookie.out" "$TMP/cookie.err") $(grep '^@n' "$TMP/cookie.out")"
fi

finish
