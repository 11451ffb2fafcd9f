# The rest of bpftrace's library (issue 8, lib lane): syscall_name,
# strftime's bases and extensions, usermode, pid/tid(curr_ns | init),
# debugf, percpu_kaddr, map functions on aggregation maps, config keys with
# effect. Byte-compared with bpftrace 0.17 where 0.17 has the feature;
# fixed expectations (the latest bpftrace's output) otherwise.
. "$(dirname "$0")/lib.bash"

# ---- syscall_name ----------------------------------------------------------------
run_sonde -q -e 'BEGIN { print(syscall_name(0)); print(syscall_name(59)); printf("%s\n", syscall_name(1));
	print(syscall_name(520)); print(syscall_name(9999)); print(syscall_name(-1)); $n = 231;
	print(syscall_name($n)); @[syscall_name(2)] = 1; exit(); }'
expect_eq "syscall_name" "read
execve
write
execve
Unknown syscall
Unknown syscall
exit_group
@[open]: 1" "$(printf '%s' "$OUT" | sed '/^$/d')"

# the tool's use: names of the syscalls a command makes, as map keys
run_sonde -q -c '/bin/sh -c "getppid() { :; }; /bin/true"' -e 'tracepoint:raw_syscalls:sys_enter /pid == cpid/ { @[syscall_name(args.id)] = count(); }'
expect_match "syscall_name of raw_syscalls:sys_enter's id" '^@\[execve\]: [0-9]+$' "$OUT"

# ---- strftime ----------------------------------------------------------------------
# boot-based (plain nsecs, nsecs(boot)) and epoch-based (tai, sw_tai) give
# today's date; %f %k %l are micro-, nano- and milliseconds of the same second
TODAY=$(date +%Y-%m-%d)
run_sonde -q -e 'BEGIN { printf("%s\n%s\n%s\n%s\n", strftime("%Y-%m-%d", nsecs), strftime("%Y-%m-%d", nsecs(boot)),
	strftime("%Y-%m-%d", nsecs(tai)), strftime("%Y-%m-%d", nsecs(sw_tai))); exit(); }'
expect_eq "strftime of boot and tai timestamps" "$TODAY
$TODAY
$TODAY
$TODAY" "$OUT"
run_sonde -q -e 'BEGIN { printf("%s\n", strftime("%f|%k|%l|%%f", nsecs(boot))); exit(); }'
if [[ $OUT =~ ^([0-9]{6})\|([0-9]{9})\|([0-9]{3})\|%f$ ]] && [ "${BASH_REMATCH[2]:0:6}" = "${BASH_REMATCH[1]}" ] &&
	[ "${BASH_REMATCH[2]:0:3}" = "${BASH_REMATCH[3]}" ]; then
	pass "strftime %f %k %l"
else
	fail "strftime %f %k %l: got '$OUT'"
fi
# a TAI timestamp is taken as time since the epoch (bpftrace adds no boot
# offset): UTC plus the kernel's TAI offset (37 s, or 0 where no NTP set it)
BEFORE=$(date +%s)
run_sonde -q -e 'BEGIN { printf("%s\n", strftime("%s", nsecs(tai))); exit(); }'
NOW=$(date +%s)
if [[ $OUT =~ ^[0-9]+$ ]] && [ $((OUT - BEFORE)) -ge 0 ] && [ $((OUT - NOW)) -le 45 ]; then
	pass "strftime of nsecs(tai) counts from the epoch"
else
	fail "strftime of nsecs(tai): got '$OUT', UTC is $NOW"
fi

# ---- usermode, pid/tid namespaces ------------------------------------------------------
run_sonde -q -e 'BEGIN { print(usermode); print(usermode()); } tracepoint:syscalls:sys_enter_exit_group /pid == cpid/ { print(usermode); }
	END { print(usermode); }' -c /bin/true
expect_eq "usermode: 1 in BEGIN/END, 0 in a tracepoint" "1
1
0
1" "$(printf '%s' "$OUT" | sed '/^$/d')"
# a busy user-space loop is sampled in user mode; the kernel's idle loop is not
run_sonde -q -c "/bin/sh -c 'i=0; while [ \$i -lt 300000 ]; do i=\$((i+1)); done'" -e 'profile:hz:999 /pid == cpid/ { @[usermode] = count(); }'
expect_match "usermode in profile probes" '^@\[1\]: [0-9]+$' "$OUT"

run_sonde -q -e 'BEGIN { printf("%d %d %d %d\n", pid(init) == pid, pid(curr_ns) == pid(), tid(init) == tid, tid(curr_ns) == tid()); exit(); }'
expect_eq "pid(init), pid(curr_ns), tid(...) in the initial namespace" "1 1 1 1" "$OUT"
# in a PID namespace of its own, pid is sonde's pid there (1 after unshare -f)
if command -v unshare >/dev/null && unshare -p -f --mount-proc true 2>/dev/null; then
	OUT=$(timeout 20 unshare -p -f --mount-proc "$SONDE" -q -e 'BEGIN { printf("%d %d %d %d\n", pid, pid(curr_ns), tid(curr_ns), pid(init) > 1); exit(); }' 2>&1)
	expect_eq "pid and tid in sonde's own PID namespace" "1 1 1 1" "$(printf '%s' "$OUT" | sed '/^$/d')"
fi

# ---- debugf ---------------------------------------------------------------------------
if [ -w /sys/kernel/tracing/trace ]; then
	echo > /sys/kernel/tracing/trace
	run_sonde -q -e 'interval:ms:50 { $s = "xy"; debugf("sonde-debugf %d %s %lx", 42, $s, 255); debugf("sonde-debugf-plain"); exit(); }'
	expect_match "debugf warns" 'warning: debugf\(\) writes to the kernel.s trace buffer' "$ERR"
	TRACE=$(sed -n 's/.*bpf_trace_printk: //p' /sys/kernel/tracing/trace)
	expect_eq "debugf writes to the trace buffer" "sonde-debugf 42 xy ff
sonde-debugf-plain" "$TRACE"
else
	skip "debugf: /sys/kernel/tracing/trace is not writable"
fi

# ---- percpu_kaddr ----------------------------------------------------------------------
# libbpf resolves the variable from BTF, the verifier its address from the
# kernel's kallsyms, which lists variables only with CONFIG_KALLSYMS_ALL
if grep -qE ' process_counts$' /proc/kallsyms; then
	run_sonde -q -e 'BEGIN { printf("processes: %d\n", *percpu_kaddr("process_counts", 0));
		if (*percpu_kaddr("process_counts") == *percpu_kaddr("process_counts", cpu)) { printf("SUCCESS\n"); }
		$rq = (struct rq *)percpu_kaddr("runqueues", 0); if ($rq != 0) { printf("nr_running: %d\n", $rq.nr_running); }
		print(percpu_kaddr("runqueues", 100000) == 0); exit(); }'
	expect_match "percpu_kaddr" '^SUCCESS$' "$OUT"
else
	run_sonde -q -e 'BEGIN { printf("%d\n", *percpu_kaddr("process_counts", 0)); exit(); }'
	expect_match "percpu_kaddr without per-CPU symbols in kallsyms says why" \
		'percpu_kaddr\("process_counts"\): the kernel cannot give the variable.s address: /proc/kallsyms lists only functions' "$ERR"
fi

# ---- maps: for over aggregations, has_key and len on bucketed maps ----------------------
run_sonde -q -e 'BEGIN { @a[1] = avg(5); @a[1] = avg(8); @mi["x"] = min(-3); @mi["x"] = min(4);
	@ma[1, 2] = max(9); @ma[1, 2] = max(2); @c[7] = count(); @c[7] = count(); @s[3] = sum(40); @s[3] = sum(2);
	for ($kv : @a) { print($kv); } for ($kv : @mi) { print($kv); } for ($kv : @ma) { print($kv); }
	for ($kv : @c) { print($kv); } for ($kv : @s) { print($kv.1); }
	clear(@a); clear(@mi); clear(@ma); clear(@c); clear(@s); exit(); }'
expect_eq "for over count, sum, avg, min, max maps: \$kv.1 is the combined value" "(1, 6)
(x, -3)
((1, 2), 9)
(7, 2)
42" "$(printf '%s' "$OUT" | sed '/^$/d')"
run_sonde -q -e 'BEGIN { @h[1] = hist(5); @h[1] = hist(500); @h[2] = hist(7); @l["a", 3] = lhist(5, 0, 10, 1);
	@t[1] = tseries(5, 1s, 5); printf("%d %d %d %d %d %d\n", has_key(@h, 1), has_key(@h, 3), has_key(@l, ("a", 3)),
	has_key(@l, ("a", 4)), has_key(@t, 1), has_key(@t, 2)); printf("%d %d\n", len(@h), len(@l));
	clear(@h); clear(@l); clear(@t); exit(); }'
expect_eq "has_key and len on hist, lhist and tseries maps (len counts buckets in use, as bpftrace)" "1 0 1 0 1 0
3 1" "$(printf '%s' "$OUT" | sed '/^$/d')"

run_sonde -q -e 'BEGIN { @s[1] = stats(5); @s[2] = stats(50); print(@s, 1, 2); clear(@s); exit(); }'
expect_match "print(@stats, top, div) warns that they are ignored" "warning: print\(\)'s top and div arguments are ignored for stats\(\) maps" "$ERR"

# ---- config keys with effect -------------------------------------------------------------
printf 'abcdefghijklmnopqrstuvwxyz' > "$TMP/letters"
run_sonde -q -e "config = { max_cat_bytes = 5 } BEGIN { cat(\"$TMP/letters\"); printf(\"|\n\"); exit(); }"
expect_eq "max_cat_bytes in the config block" "abcde|" "$(printf '%s' "$OUT" | sed '/^$/d')"
OUT=$(BPFTRACE_MAX_CAT_BYTES=3 timeout 20 "$SONDE" -q -e "BEGIN { cat(\"$TMP/letters\"); printf(\"|\n\"); exit(); }" 2>&1)
expect_eq "BPFTRACE_MAX_CAT_BYTES" "abc|" "$(printf '%s' "$OUT" | sed '/^$/d')"

# str(): max_strlen characters, and the trailer when the string was longer
# (bpftrace reads one byte more than it keeps, to know)
run_sonde -q -c /bin/true -e 'config = { max_strlen = 5 } t:syscalls:sys_enter_execve /pid == cpid/ { printf("P: %s\n", str(args.filename)); print(str(args.filename)); exit(); }'
expect_eq "a cut string ends in .." "P: /bin/..
/bin/.." "$(printf '%s' "$OUT" | sed '/^$/d')"
run_sonde -q -c /bin/true -e 'config = { max_strlen = 5; str_trunc_trailer = "_xxx" } t:syscalls:sys_enter_execve /pid == cpid/ { printf("P: %s\n", str(args.filename)); @[str(args.filename)] = 1; exit(); }'
expect_eq "str_trunc_trailer in the config block" "P: /bin/_xxx
@[/bin/_xxx]: 1" "$(printf '%s' "$OUT" | sed '/^$/d')"
OUT=$(BPFTRACE_MAX_STRLEN=5 BPFTRACE_STR_TRUNC_TRAILER= timeout 20 "$SONDE" -q -c /bin/true -e 't:syscalls:sys_enter_execve /pid == cpid/ { printf("P: %s|\n", str(args.filename)); exit(); }' 2>&1)
expect_eq "an empty BPFTRACE_STR_TRUNC_TRAILER shows none" "P: /bin/|" "$(printf '%s' "$OUT" | sed '/^$/d')"
run_sonde -q -c /bin/true -e 't:syscalls:sys_enter_execve /pid == cpid/ { printf("%s|%s\n", str(args.filename, 4), str(args.filename)); exit(); }'
expect_eq "str(p, n) keeps n - 1 characters and no trailer" "/bi|/bin/true" "$(printf '%s' "$OUT" | sed '/^$/d')"

# license: what the programs are loaded with
run_sonde -q -e 'config = { license = "Dual BSD/GPL" } BEGIN { @p[1] = 1; print(len(@p)); exit(); }' --emit-elf "$TMP/lic.o"
if command -v readelf >/dev/null; then
	expect_match "license in the ELF" 'Dual BSD/GPL' "$(readelf -x license "$TMP/lic.o" 2>&1)"
fi
run_sonde -q -e 'config = { license = "Dual BSD/GPL" } BEGIN { @p[1] = 1; print(len(@p)); clear(@p); exit(); }'
expect_eq "a program loads under another GPL-compatible license" "1" "$(printf '%s' "$OUT" | sed '/^$/d')"

# on_stack_limit: 0 builds every value in scratch memory, a large one on the stack
run_sonde -q -e 'config = { on_stack_limit = 0 } BEGIN { @a[1, comm, "reallylongstr"] = count(); $t = (1, 2, "abc"); print($t); exit(); }'
expect_eq "on_stack_limit = 0" "(1, 2, abc)
@a[1, sonde, reallylongstr]: 1" "$(printf '%s' "$OUT" | sed '/^$/d')"
"$SONDE" -e 'config = { on_stack_limit = 0 } BEGIN { $t = (1, 2, 3); print($t); }' -d llvm 2>/dev/null >"$TMP/limit0.ll"
"$SONDE" -e 'config = { on_stack_limit = 128 } BEGIN { $t = (1, 2, 3); print($t); }' -d llvm 2>/dev/null >"$TMP/limit128.ll"
if ! cmp -s "$TMP/limit0.ll" "$TMP/limit128.ll"; then
	pass "on_stack_limit changes where values are built"
else
	fail "on_stack_limit changes nothing"
fi

# print(@scalar) before anything was stored shows the zero value (latest bpftrace)
run_sonde -q -e 'BEGIN { print(@a); print(@r); print(@s); exit(); } END { @a = 1; @r = (a = 1, b = (2, "hi")); @s = stats(1); }'
expect_eq "print() of an empty scalar map" "@a: 0
@r: { .a = 0, .b = (0, ) }
@s: { .count = 0, .average = 0, .total = 0 }
@a: 1
@r: { .a = 1, .b = (2, hi) }
@s: { .count = 1, .average = 1, .total = 1 }" "$(printf '%s' "$OUT" | sed '/^$/d')"

finish
