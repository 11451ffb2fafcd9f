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
# tcp_chat PID PORT: one loopback connection to PORT exchanging small
# segments until process PID is gone (10 s at most)
tcp_chat() {
	python3 -c 'import os, socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[2]))); l.listen(1)
s = socket.socket(); s.connect(l.getsockname()); c, _ = l.accept()
end = time.time() + 10
while os.path.exists("/proc/" + sys.argv[1]) and time.time() < end:
    s.send(b"ping"); c.recv(4); c.send(b"pong"); s.recv(4); time.sleep(0.01)' "$1" "$2"
}
if ! command -v python3 >/dev/null; then
	skip "socket_cookie: python3 (the TCP traffic) is not installed"
else
	# only the accepted socket (local port PORT): one socket, one cookie,
	# whatever other TCP traffic the machine has
	PORT=$((40000 + RANDOM % 10000))
	timeout -s INT 60 "$SONDE" -e 'rawtracepoint:tcp_probe /args.sk->__sk_common.skc_num == '$PORT'/ {
		@c[socket_cookie(args.sk)] = count(); @n = count(); if (@n >= 10) { exit(); } }
		interval:s:10 { exit(); }' >"$TMP/cookie.out" 2>"$TMP/cookie.err" &
	SPID=$!
	wait_until 20 file_has "$TMP/cookie.out" '^Attaching'
	tcp_chat $SPID $PORT
	wait $SPID
	RC=$?
	# one cookie, a positive number, seen at least 10 times
	expect_match "socket_cookie(args.sk) in rawtracepoint:tcp_probe" '^0 @c\[[1-9][0-9]*\]: 1[0-9]$' \
		"$RC $(grep '^@c' "$TMP/cookie.out")"
fi

# ---- skboutput in a rawtracepoint: a pcap file of our own UDP datagrams ----
# net_dev_queue sees each packet leaving lo with its 14-byte link header:
# offset 14 leaves the IP packet (the RAW link type).
# udp_send and pcap_check: tests/runtime/net.bash (the guest's net test
# uses them too)
. "$(dirname "$0")/net.bash"
if ! command -v python3 >/dev/null; then
	skip "skboutput: python3 (the traffic and the pcap reader) is not installed"
else
	timeout -s INT 60 "$SONDE" -e 'rawtracepoint:net_dev_queue {
		$r = skboutput("'"$TMP/lo.pcap"'", (struct sk_buff *)arg0, ((struct sk_buff *)arg0)->len, 14);
		if ($r == 0) { @sent = count(); } if (@sent >= 40) { exit(); } } interval:s:10 { exit(); }' \
		>"$TMP/skb.out" 2>"$TMP/skb.err" &
	SPID=$!
	wait_until 20 file_has "$TMP/skb.out" '^Attaching'
	udp_send $SPID
	wait $SPID
	expect_match "skboutput: 40 packets sent to user space" '^0 @sent: [4-9][0-9]$' "$? $(grep '^@sent' "$TMP/skb.out")"
	expect_eq "skboutput: the pcap file read back (RAW link type, our datagram at offset 14)" \
		"a1b2c3d4 2.4 0 0 65535 101
ipv4=4 udp=17 dport=9 recent whole" "$(pcap_check "$TMP/lo.pcap" 2>&1)"
fi
run_sonde -e 'rawtracepoint:net_dev_queue { skboutput("x.pcap", (struct sk_buff *)arg0, 10, arg1); }'
expect_eq "skboutput: the offset must be known while compiling" "1 stdin:1:79: error: skboutput() expects a non-negative integer literal (the offset) as argument 4" "$RC $(head -1 <<<"$ERR")"

# ---- -k: a failed read as JSON's helper_error, at the expression read ----
run_sonde -k -q -f json -e 'struct foo {int a;}; BEGIN { $t = uptr((struct foo *)8)->a; exit(); }'
expect_eq "-k -f json: the helper_error record" '{"type": "helper_error", "msg": "Bad address", "helper": "probe_read_user", "retcode": -14, "filename": "stdin", "line": 1, "col": 35}' "$(sed '/^$/d' <<<"$OUT")"
run_sonde -k -q -e 'struct foo {int a;}; BEGIN { $t = uptr((struct foo *)8)->a; exit(); }'
expect_eq "-k: a member read fails at the pointer it reads through" "stdin:1:35-56: WARNING: Failed to probe_read_user: Bad address (-14)" "$(head -1 <<<"$ERR")"

# ---- run-time errorf/warnf/-k from imported code name the imported file ----
IMP=$TMP/imp
mkdir -p "$IMP"
chmod 755 "$TMP" "$IMP"
printf '// helpers\nmacro boom(x) {\n  errorf("boom %%d", x);\n  x\n}\nBEGIN { warnf("from lib"); }\nstruct foo { int a; };\n' >"$IMP/lib.bt"
printf 'import "lib.bt";\nBEGIN {\n  $v = boom(3);\n  $t = uptr((struct foo *)8)->a;\n  exit();\n}\n' >"$IMP/main.bt"
run_sonde -k -q "$IMP/main.bt"
expect_eq "import: run-time messages name the imported file and its line; the macro use the script's" "$IMP/lib.bt:6:9-26: WARNING: from lib
$IMP/lib.bt:3:3-23: ERROR: boom 3
$IMP/main.bt:3:8-15: ERROR: expanded from
  \$v = boom(3);
       ~~~~~~~
$IMP/main.bt:4:8-29: WARNING: Failed to probe_read_user: Bad address (-14)" "$(head -6 <<<"$ERR")"
run_sonde -k -q -f json "$IMP/main.bt"
expect_eq "import: JSON run-time messages name the imported file" "{\"type\": \"warnf\", \"msg\": \"from lib\", \"filename\": \"$IMP/lib.bt\", \"line\": 6, \"col\": 9}
{\"type\": \"errorf\", \"msg\": \"boom 3\", \"filename\": \"$IMP/lib.bt\", \"line\": 3, \"col\": 3}
{\"type\": \"helper_error\", \"msg\": \"Bad address\", \"helper\": \"probe_read_user\", \"retcode\": -14, \"filename\": \"$IMP/main.bt\", \"line\": 4, \"col\": 8}" "$(sed '/^$/d' <<<"$OUT")"

# ---- import in the shell (sonde -i), paths from the working directory ----
printf 'macro twice(x) { x * 2 }\n' >"$IMP/m.bt"
SONDE_ABS=$(realpath "$SONDE")
SHELL_OUT=$(cd "$IMP" && printf 'import "m.bt";\nBEGIN { printf("%%d\\n", twice(21)); exit(); }\n.quit\n' |
	timeout 20 "$SONDE_ABS" -i 2>&1)
expect_eq "shell: an imported macro serves later entries" "42" "$(grep -x '42' <<<"$SHELL_OUT")"
SHELL_OUT=$(cd "$IMP" && printf 'import "nosuch.bt";\n.quit\n' | timeout 20 "$SONDE_ABS" -i 2>&1)
expect_match "shell: a missing import is an error" "nosuch.bt" "$SHELL_OUT"

# ---- len(kstack), len(ustack): the depth in frames ----
run_sonde -q -c 'sleep 0.1' -e 'tracepoint:syscalls:sys_enter_clock_nanosleep /pid == cpid/ {
	printf("%d %d\n", len(kstack), len(kstack(2))); print(kstack); exit(); }'
frames=$(sed '1d;/^$/d' <<<"$OUT" | wc -l)
expect_eq "len(kstack) is the frames print(kstack) shows; len(kstack(2)) at most 2" "$frames 2" "$(head -1 <<<"$OUT")"
cat >"$TMP/deep.c" <<'C'
#include <unistd.h>
__attribute__((noinline)) int leaf(int x) { return x + 1; }
__attribute__((noinline)) int mid(int x) { return leaf(x) * 2; }
__attribute__((noinline)) int top(int x) { return mid(x) + 3; }
int main(void) { usleep(300000); return top(1) == 7 ? 0 : 1; }
C
if gcc -O0 -fno-omit-frame-pointer -no-pie -o "$TMP/deep" "$TMP/deep.c" 2>/dev/null; then
	run_sonde -q -c "$TMP/deep" -e 'uprobe:'"$TMP/deep"':leaf { $x = ustack(3);
		printf("%d %d\n", len($x), len(ustack)); print(ustack); exit(); }'
	frames=$(sed '1d;/^$/d' <<<"$OUT" | wc -l)
	expect_eq "len(ustack(3)) of a scratch variable; len(ustack) is what print(ustack) shows" "3 $frames" "$(head -1 <<<"$OUT")"
	check "len(ustack): leaf, mid, top and main at least" [ "$frames" -ge 4 ]
else
	skip "len(ustack): no C compiler"
fi

finish
