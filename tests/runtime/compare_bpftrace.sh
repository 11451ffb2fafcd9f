# Byte-for-byte comparison of sonde's stdout with bpftrace 0.17's for the
# same arguments (after rewriting bpftrace's two pre-latest formats, see
# bpftrace_to_latest in lib.bash). bpftrace 0.17 needs `args->` where sonde
# also takes `args.`; it divides negative numbers as unsigned (sonde: C
# semantics) and puts values >= 4G in the wrong hist bucket, so those are
# tested against fixed expectations in semantics.sh instead.
. "$(dirname "$0")/lib.bash"

if ! command -v bpftrace >/dev/null; then
	echo "SKIP: bpftrace (the output oracle) is not installed"
	exit 77
fi

DD='/usr/bin/dd if=/dev/zero of=/dev/null bs=1 count=5000'

same_as_bpftrace "scalar aggregations" -e 'BEGIN { @c = count(); @c = count(); @c = count();
	@s = sum(5); @s = sum(7); @a = avg(10); @a = avg(21); @mn = min(5); @mn = min(-3);
	@mx = max(5); @mx = max(42); @st = stats(10); @st = stats(20); @st = stats(33); exit(); }'
same_as_bpftrace "hist" -e 'BEGIN { @h = hist(0); @h = hist(1); @h = hist(3); @h = hist(3);
	@h = hist(20); @h = hist(1500); @h = hist(-5); @h = hist(1048576); @h = hist(3000000000); exit(); }'
same_as_bpftrace "lhist" -e 'BEGIN { @l = lhist(-1, 0, 10, 2); @l = lhist(3, 0, 10, 2);
	@l = lhist(5, 0, 10, 2); @l = lhist(5, 0, 10, 2); @l = lhist(12, 0, 10, 2);
	@k = lhist(3000, 0, 4096, 1024); @k = lhist(1023, 0, 4096, 1024); exit(); }'
same_as_bpftrace "keyed maps" -e 'BEGIN { @k[1, "a"] = count(); @k[2, "b"] = count(); @k[2, "b"] = count();
	@s["x"] = sum(3); @s["y"] = sum(-9); @s["z"] = sum(100); @n[-5] = 1; @n[7] = 2; exit(); }'
same_as_bpftrace "keyed stats and avg" -e 'BEGIN { @a["x"] = avg(4); @a["x"] = avg(6); @a["y"] = avg(100);
	@st[1] = stats(5); @st[1] = stats(7); @st[2] = stats(1); exit(); }'
same_as_bpftrace "keyed hist" -e 'BEGIN { @h["a"] = hist(5); @h["b"] = hist(100); @h["b"] = hist(64); exit(); }'
same_as_bpftrace "arithmetic" -e 'BEGIN { @a = 5 * 3 + 2; @b = 7 / 2; @c = 7 % 3; @d = 1 << 10;
	@e = 0xff & 0x0f; @f = 3 > 2 ? 10 : 20; @g = (0x10 | 1) ^ 3; @i = ~0; @j = 010;
	@k = ((1 < 2) && (2 < 1) || 1) ? 1 : 0; exit(); }'
same_as_bpftrace "printf conversions" -e 'BEGIN { printf("%5d|%-5d|%05d|%x|%X|%o|%s|%-8s|%c|%%|%u|%d\n",
	42, 42, 42, 255, 255, 8, "str", "ab", 65, 7, -12); exit(); }'
same_as_bpftrace "strings" -e 'BEGIN { $s = "abc"; if ($s == "abc") { @eq = 1; } if ($s != "abd") { @ne = 1; }
	@m[$s] = "value"; printf("[%s] [%10s] [%-4s]\n", $s, "right", "l"); exit(); }'
# two strings known only at run time: compared without a branch per byte
# (the verifier refused comm == comm as too large before)
same_as_bpftrace "runtime strings compared" -e 'BEGIN { $c = comm; if (comm == $c) { printf("same\n"); }
	if (comm != "sondexyz") { printf("differ\n"); } @m[comm == $c ? 7 : 8, $c == "x" ? 1 : 2] = 1; exit(); }'
same_as_bpftrace "if else chains and variables" -e 'BEGIN { $x = 5; $y = $x * 2;
	if ($y > 100) { @r = 1; } else if ($y > 5) { @r = 2; } else { @r = 3; }
	$x += 3; $x++; @x = $x; @x++; @x += 10; exit(); }'
same_as_bpftrace "BEGIN and END" -e 'BEGIN { printf("begin\n"); @x = 7; exit(); } END { printf("end %d\n", @x); }'
same_as_bpftrace "print clear zero delete" -e 'BEGIN { @a[1] = 10; @a[2] = 20; @a[3] = 30; delete(@a[2]);
	print(@a); @c = count(); @c = count(); print(@c); @t[1] = 5; @t[2] = 1; @t[3] = 9; print(@t, 2); exit(); }'
same_as_bpftrace "dd read count (-c)" -c "$DD" -e 't:syscalls:sys_enter_read /comm == "dd"/ { @reads = count(); }'
same_as_bpftrace "dd read sizes hist (-c)" -c "$DD" -e 'tracepoint:syscalls:sys_enter_read /pid == cpid/ { @size = hist(args->count); @bytes = sum(args->count); }'
same_as_bpftrace "dd lhist of returns (-c)" -c "$DD" -e 'tracepoint:syscalls:sys_exit_read /pid == cpid/ { @ret = lhist(args->ret, 0, 2000, 500); }'
same_as_bpftrace "dd per-comm write count (-c)" -c "$DD" -e 'tracepoint:syscalls:sys_enter_write /pid == cpid/ { @[comm] = count(); } END { printf("done\n"); }'
# bpftrace counts every block at every attach point, even where blocks share
# one attach point (sonde runs them in one program)
# (one map: bpftrace 0.17 swaps the bodies of blocks sharing an attach point)
same_as_bpftrace "probe count of blocks sharing a tracepoint" -c "$DD" -e 't:syscalls:sys_enter_read /pid == cpid/ { @a = count(); }
	t:syscalls:sys_enter_read /pid == cpid/ { @a = count(); }
	t:syscalls:sys_enter_write, t:syscalls:sys_enter_read /pid == cpid/ { @a = count(); }'
same_as_bpftrace "interval" -e 'interval:ms:50 { @ticks++; if (@ticks == 3) { exit(); } }'
finish
