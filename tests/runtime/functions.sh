# Functions and builtins computed in BPF or at compile time: bswap, strncmp,
# strcontains, strstr, strlen, kptr/uptr, is_err, pton, cgroupid, jiffies, numaid,
# ncpus, has_cpid, ppid/pcomm/leader_tid/leader_comm, the is_* type tests,
# static_assert, signal (--unsafe), exit(code). Byte-compared with bpftrace
# 0.17 where 0.17 has the function and prints the same; fixed expectations
# (the latest bpftrace's output: bools print true/false) otherwise.
. "$(dirname "$0")/lib.bash"

if [ ! -r /sys/kernel/btf/vmlinux ]; then
	echo "SKIP: kernel BTF (/sys/kernel/btf/vmlinux) is not readable"
	exit 77
fi

# ---- against bpftrace 0.17 ------------------------------------------------------
same_as_bpftrace "bswap by width" -e 'BEGIN { @a = bswap((uint16)0x1234); @b = bswap((uint32)0x11223344);
	@c = bswap((uint64)1); @d = bswap((uint8)7); @e = bswap((int16)-2); exit(); }'
same_as_bpftrace "strncmp" -e 'BEGIN { @a = strncmp("hello", "help", 3); @b = strncmp("hello", "help", 4);
	@c = strncmp("ab", "ab", 10); @d = strncmp("ab", "abc", 3); @e = strncmp("x", "y", 0);
	@f = strncmp("sonde", "sonar", 3); @g = strncmp("sonde", "sonar", 4); exit(); }'
same_as_bpftrace "pton" -e 'BEGIN { @v4 = pton("127.0.0.1"); @v6 = pton("fe80::1"); print(pton("::1")); exit(); }'
same_as_bpftrace "numaid" -e 'BEGIN { @n = numaid; exit(); }'
if [ -d /sys/fs/cgroup/unified ]; then CG=/sys/fs/cgroup/unified; else CG=/sys/fs/cgroup; fi
same_as_bpftrace "cgroupid" -e "BEGIN { @id = cgroupid(\"$CG\"); exit(); }"
same_as_bpftrace "kptr and uptr keep the value" -e 'BEGIN { @k = kptr(1234); @u = uptr(5678); exit(); }'

# ---- fixed expectations ---------------------------------------------------------------
run_sonde -q -e 'BEGIN { print(bswap(1)); exit(); }'
expect_eq "bswap of a literal is 64 bits wide" "72057594037927936" "$(printf '%s' "$OUT" | head -1)"

run_sonde -q -e 'BEGIN { print(strcontains("hello-test-world", "test")); print(strcontains("hello", ""));
	print(strcontains("", "x")); print(strcontains("hello", "hello-longer")); print(strcontains("ababac", "abac"));
	print(strcontains("Hello", "hello")); $n = "o-w"; print(strcontains("hello-world", $n));
	$m = "zz"; print(strcontains("hello-world", $m)); print(strcontains(comm, "ond")); exit(); }'
expect_eq "strcontains" "true
true
false
false
true
false
true
false
true" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -c /bin/true -e 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { printf("%d %d %d\n", strcontains(str(args.filename), "true"),
	strcontains(str(args.filename, 256), str(args.argv[0], 32)), strcontains(str(args.filename), "xyz")); exit(); }'
expect_eq "strcontains on strings read at run time passes the verifier" "1 1 0" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -e 'BEGIN { print(strstr("hello-world", "o")); print(strstr("hello", "xyz")); print(strstr("hello", ""));
	$n = "wor"; print(strstr("hello-world", $n)); exit(); }'
expect_eq "strstr" "4
-1
0
6" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -e 'BEGIN { print(probetype); } interval:ms:10 { printf("%s\n", probetype); exit(); } END { print(probetype); }'
expect_eq "probetype" "special
interval
special" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -e 'BEGIN { print(str_concat("abc", "de")); print(str_concat(comm, "-x")); print(str_concat("", "z"));
	@m[str_concat("a", "b")] = 1; exit(); }'
expect_eq "str_concat" "abcde
sonde-x
z
@m[ab]: 1" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -c /bin/true -e 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { printf("%s|%s|%d\n",
	str_concat(str(args.filename), str(args.argv[0])), str_concat(str(args.filename), "-x"), strlen(str(args.filename))); exit(); }'
expect_eq "str_concat and strlen of 1024-byte strings pass the verifier" "/bin/true/bin/true|/bin/true-x|9" \
	"$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -c /bin/true -e 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { printf("%d %d\n",
	strncmp(str(args.filename), str(args.argv[0]), 1024), strncmp(str(args.filename), "/XXX", 4)); exit(); }'
expect_eq "strncmp of 1024-byte strings passes the verifier" "0 1" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -e 'BEGIN { print(strlen("hello")); print(strlen("")); print(strlen(comm)); exit(); }'
expect_eq "strlen" "5
0
5" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -e 'BEGIN { print(jiffies > 0); print(ncpus); print(has_cpid); exit(); }'
expect_eq "jiffies, ncpus, has_cpid" "true
$(nproc --all)
false" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -c '/bin/true' -e 'BEGIN { print(has_cpid); exit(); }'
expect_eq "has_cpid with -c" "true" "$(printf '%s' "$OUT" | sed '/^$/d')"

# sonde is started by bash here: the parent's name and pid
PARENT=$(bash -c '"$0" -q -e "BEGIN { printf(\"%d %s %d %s|%d %s\n\", ppid, pcomm, leader_tid, leader_comm, ppid(curtask), pcomm()); exit(); }"; echo "bash=$$"' "$SONDE")
expect_match "ppid, pcomm, leader_tid, leader_comm" '^([0-9]+) bash [0-9]+ sonde\|\1 bash$' "$PARENT"
expect_eq "ppid is the parent's pid" "$(printf '%s' "$PARENT" | sed -n 's/^\([0-9]*\) .*/\1/p')" \
	"$(printf '%s' "$PARENT" | sed -n 's/^bash=//p')"

run_sonde -q -e 'BEGIN { print(is_integer(1)); print(is_integer("a")); print(is_unsigned_integer(pid));
	print(is_unsigned_integer((int8)1)); print(is_ptr(curtask)); print(is_str(comm)); print(is_array(pton("1.2.3.4")));
	print(is_literal(2)); print(is_literal(pid)); static_assert(sizeof(int32) == 4, "int32"); exit(); }'
expect_eq "is_* type tests and static_assert" "true
false
true
false
true
true
true
true
false" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -e 'BEGIN { print(is_err(0)); print(is_err((int64)-2)); print(is_err((uint64)-4096)); print(is_err(curtask)); exit(); }'
expect_eq "is_err" "false
true
false
false" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -c /bin/true -e 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { printf("[%s] [%s]\n", str(uptr((uint64)args.filename)),
	str(kptr((uint64)args.filename))); exit(); }'
expect_eq "str() reads the memory uptr()/kptr() say" "[/bin/true] []" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -e 'BEGIN { printf("%s\n", str(uptr(0))); exit(); }'
expect_eq "str(uptr(0)) reads user memory and finds nothing" "" "$(printf '%s' "$OUT" | sed '/^$/d')"

# ---- exit(code) ---------------------------------------------------------------------------
run_sonde -q -e 'BEGIN { exit(3); }'
expect_eq "exit(3) is sonde's exit status" "3" "$RC"
run_sonde -q -e 'END { printf("end\n"); } BEGIN { exit(7); }'
expect_eq "exit(code) still runs END" "7 end" "$RC $(printf '%s' "$OUT" | sed '/^$/d')"

# ---- signal: only with --unsafe, only where the task is the traced one ------------------------
# busy_start: a process spinning on a CPU (so profile probes see it); its
# pid in BUSY. busy_status: how it ended. A shell in between waits for it
# with its stderr closed, so that bash does not print "Killed", and writes
# its status. busy_status runs in a command substitution, a subshell whose
# `wait` cannot wait for the shell between (not its child): it waits for
# the status file instead (reading it at once raced that shell under load),
# and ends a process the signal missed with SIGINT (status 130, no pass).
busy_start() {
	rm -f "$TMP/busy.pid" "$TMP/busy.rc"
	sh -c 'sh -c "while :; do :; done" & echo $! > "$1"; wait $!; echo $? > "$2"' sh \
		"$TMP/busy.pid" "$TMP/busy.rc" 2>/dev/null &
	wait_until 10 test -s "$TMP/busy.pid"
	BUSY=$(cat "$TMP/busy.pid")
}
busy_status() {
	wait_until 20 test -s "$TMP/busy.rc" || kill -INT "$BUSY" 2>/dev/null
	cat "$TMP/busy.rc" 2>/dev/null
}

if $IS_ROOT; then
	busy_start
	run_sonde -q --unsafe -e "profile:hz:997 /pid == $BUSY/ { signal(\"SIGTERM\"); exit(); }"
	expect_eq "signal(\"SIGTERM\") in a profile probe ends the process" "143" "$(busy_status)"
	busy_start
	run_sonde -q --unsafe -e "profile:hz:997 /pid == $BUSY/ { signal_thread(9); exit(); }"
	expect_eq "signal_thread(9) kills the thread" "137" "$(busy_status)"
	busy_start
	run_sonde -q --unsafe -e "profile:hz:997 /pid == $BUSY/ { signal(\"kill\", current_tid); exit(); }"
	expect_eq "signal(\"kill\", current_tid)" "137" "$(busy_status)"
fi
run_sonde --unsafe -e 'profile:hz:99 { signal(9, current_pd); }'
expect_match "signal()'s target is current_pid or current_tid" "signal\(\): the target is current_pid or current_tid, not current_pd" "$ERR"
run_sonde -e 'profile:hz:99 { signal(9); }'
expect_match "signal() needs --unsafe" "signal\(\) is an unsafe function being used in safe mode: run sonde with --unsafe" "$ERR"
run_sonde --unsafe -e 'BEGIN { signal("KILL"); }'
expect_match "signal() where the task is not the traced one" "function 'signal' is not available in BEGIN probes \(only in kprobe, kretprobe, uprobe, uretprobe, usdt and profile probes\)" "$ERR"
finish
