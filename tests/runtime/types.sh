# Kernel types from BTF, casts, script structs, tuples, records, bools,
# sizeof/offsetof/&, print() of any value: exact output, compared with
# bpftrace 0.17 byte for byte where 0.17 has the construct, fixed
# expectations (the latest bpftrace's output) where only newer bpftrace has it.
. "$(dirname "$0")/lib.bash"

if [ ! -r /sys/kernel/btf/vmlinux ]; then
	echo "SKIP: kernel BTF (/sys/kernel/btf/vmlinux) is not readable"
	exit 77
fi

# ---- kernel structs through pointers ---------------------------------------
same_as_bpftrace "struct chain through curtask" -e 'BEGIN { @pid = curtask->parent->pid > 0 ? 1 : 0;
	@tgid = curtask->tgid == pid ? 1 : 0; @comm = curtask->comm == comm ? 1 : 0; @load = curtask->se.load; exit(); }'
same_as_bpftrace "cast to a struct pointer" -e 'BEGIN { $t = (struct task_struct *)curtask;
	@same = $t->pid == tid ? 1 : 0; @prio = $t->prio > 0 ? 1 : 0; exit(); }'
run_sonde -q -e 'BEGIN { printf("%d %s\n", curtask->real_parent->tgid > 0, curtask.comm); exit(); }'
expect_eq "'.' through a pointer reads the pointee (latest bpftrace)" "1 sonde" "$(printf '%s' "$OUT" | head -1)"
run_sonde -q -e 'BEGIN { @p = curtask->parent; exit(); }'
expect_match "pointers print as 0x... (latest bpftrace)" '^@p: 0x[0-9a-f]+$' "$OUT"

# ---- integer casts -----------------------------------------------------------
same_as_bpftrace "integer casts" -e 'BEGIN { @a = (uint8)300; @b = (int8)200; @c = (int16)-1;
	@d = (uint16)-1; @e = (uint32)0x1ffffffff; exit(); }'
run_sonde -q -e 'BEGIN { @f = (int64)(uint32)-1; @g = (int8)(uint8)255; exit(); }'
expect_eq "a cast converts the value it is given (0.17 printed -1 for @f)" "

@f: 4294967295
@g: -1" "$OUT"

# ---- structs defined in the script ------------------------------------------------
same_as_bpftrace "script struct sizes" -e 'struct foo { int x; char y; int z; }
	struct bar { char a; long b; char c[3]; } BEGIN { @foo = sizeof(struct foo); @bar = sizeof(struct bar); exit(); }'
run_sonde -q -e 'struct foo { unsigned long long x_0:1; unsigned long long x_1:1; unsigned long long x_2:2; }
	BEGIN { $val = (uint64)0x1e; $f = *(struct foo *)(&$val); print($f); @f = $f; exit(); }'
expect_eq "script struct with bitfields, read through &\$var" "{ .x_0 = 0, .x_1 = 1, .x_2 = 3 }


@f: { .x_0 = 0, .x_1 = 1, .x_2 = 3 }" "$OUT"
run_sonde -q -e 'struct foo { int x; char y; int z; } struct bar { int x; char y; int z; } __attribute__((packed))
	BEGIN { print(sizeof(struct foo)); print(sizeof(struct bar)); print(offsetof(struct foo, z));
	print(offsetof(struct bar, z)); exit(); }'
expect_eq "packed structs, offsetof" "12
9
8
5" "$OUT"
run_sonde -q -e 'struct inner { short a; char b[4]; } struct outer { struct inner i[2]; struct { int m; } y; long tail; }
	BEGIN { $v = (outer_t *)0; print(sizeof(struct outer)); print(offsetof(struct outer, y.m)); exit(); }' 2>&1
expect_match "an unknown type name in a cast is an error" "unknown type 'outer_t'" "$ERR"
run_sonde -q -e 'struct inner { short a; char b[4]; } struct outer { struct inner i[2]; struct { int m; } y; long tail; }
	BEGIN { print(sizeof(struct outer)); print(offsetof(struct outer, y.m)); exit(); }'
expect_eq "nested and array members (C layout: inner is 6 bytes, align 2)" "24
12" "$OUT"

# ---- tuples, records, bools ---------------------------------------------------------
same_as_bpftrace "tuples as map values and keys" -e 'BEGIN { @t = (1, "two", (3, 4)); @k[1, "a"] = 5;
	@k[2, "b"] = 6; @n = ((int8)-100, (int8)100, "abcdef", 3, (int32)1, (int64)-10); exit(); }'
run_sonde -q -e 'BEGIN { $v = 99; $t = (0, 1, "str", (5, 6), $v); printf("%d %d %s %d %d %d\n", $t.0, $t.1, $t.2, $t.3.0, $t.3.1, $t.4);
	$a = (1, 2, 3); print($a[1 + 1]); @tk[(1, 2)] = 3; exit(); }'
expect_eq "tuple elements by .N and [N], tuple keys" "0 1 str 5 6 99
3


@tk[1, 2]: 3" "$OUT"
run_sonde -q -e 'BEGIN { $t = ((int8)1, (int64)1, (int8)1, (int64)1); print(sizeof($t));
	print(sizeof(((int8)1, (int16)1, (int32)1))); print(sizeof(((int32)1, (int16)1, (int8)1))); exit(); }'
expect_eq "tuple layout is C's (bpftrace's sizes)" "32
8
8" "$OUT"
run_sonde -q -e 'BEGIN { $v = (x=1, y=2); $t = (a=0, b=1, c="str", d=(5, 6), e=$v); print($t); printf("%s %d\n", $t.c, $t.e.y);
	@r = (a=1, b="x"); exit(); }'
expect_eq "records" "{ .a = 0, .b = 1, .c = str, .d = (5, 6), .e = { .x = 1, .y = 2 } }
str 2


@r: { .a = 1, .b = x }" "$OUT"
run_sonde -q -e 'BEGIN { print((true, false)); @a[true] = false; @c = count(); @t = ((bool)1, (bool)0); exit(); }'
expect_eq "bools" "(true, false)


@a[true]: false
@c: 1
@t: (true, false)" "$OUT"
run_sonde -q -e 'BEGIN { $t = (1, "a"); $t = (1000, "abc"); print($t); @m = (1, "a"); @m = (300000, "longer"); exit(); }'
expect_eq "tuple types widen across assignments" "(1000, abc)


@m: (300000, longer)" "$OUT"

# ---- enums: the script's and the kernel's, by name --------------------------------
run_sonde -q -e 'enum color { RED, GREEN = 5, BLUE, DARK = -1 }; enum { LOW, HIGH }
	BEGIN { print(BLUE); print((enum color)5); print((enum color)4); @c[GREEN] = count(); @h = HIGH;
	printf("%s %d|%-6s|%s\n", DARK, DARK, RED, (enum color)7); print(sizeof(enum color)); exit(); }'
expect_eq "script enums: values, names, printf %s, unknown values as numbers" "BLUE
GREEN
4
DARK -1|RED   |7
4


@c[GREEN]: 1
@h: HIGH" "$OUT"
run_sonde -q -e 'BEGIN { print(SKB_DROP_REASON_NO_SOCKET); @[SKB_DROP_REASON_NOT_SPECIFIED + 0] = count(); exit(); }'
expect_eq "kernel enumerators are constants (BTF)" "SKB_DROP_REASON_NO_SOCKET


@[3]: 1" "$(printf '%s' "$OUT" | sed 's/^@\[[0-9]*\]/@[3]/')"
if [ -r /sys/kernel/tracing/events/skb/kfree_skb/format ] || [ -r /sys/kernel/debug/tracing/events/skb/kfree_skb/format ]; then
	run_sonde -q -c "$SYSCALLER udp-closed 3" -e 'tracepoint:skb:kfree_skb /pid == cpid/ { @[args.reason] = count(); }'
	expect_eq "a kernel enum field prints by name" "@[SKB_DROP_REASON_NO_SOCKET]: 3" "$(printf '%s' "$OUT" | grep NO_SOCKET)"
fi
if [ -r /sys/kernel/tracing/events/sock/inet_sock_set_state/format ]; then
	run_sonde -q -c "$SYSCALLER tcp-closed" -e 'tracepoint:sock:inet_sock_set_state /pid == cpid && args.newstate == 2/ {
		@[args.saddr, args.daddr] = count(); print(args.daddr); }'
	expect_eq "byte-array fields (__u8 saddr[4]) are arrays, not strings (bpftrace 0.25+)" "[127,0,0,1]


@[[127,0,0,1], [127,0,0,1]]: 1" "$OUT"
fi
run_sonde -q -c "$SYSCALLER -n 5 -k read" -e 'tracepoint:raw_syscalls:sys_enter /pid == cpid && args.id == 0 && args.args[2] == 1/ {
	$a = args.args; @c[$a[2], sizeof($a)] = count(); }
	tracepoint:syscalls:sys_enter_read /pid == cpid && args.count == 1/ { @r = args; }'
expect_match "an array field of a lowered syscall program, and args as a value" "^@c\[1, 48\]: 5
@r: \{ .__syscall_nr = 0, .fd = [0-9]+, .buf = 0x[0-9a-f]+, .count = 1 \}$" "$OUT"
same_as_bpftrace "args.argv[N]: an array of user pointers, each read as a user string" -q -c '/bin/true x yz' \
	-e 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { printf("%s %s %s\n", str(args->argv[0]), str(args->argv[1]), str(args->argv[2])); }'
run_sonde -e 'enum e { A, B, A }; BEGIN { print(A); }'
expect_match "an enumerator defined twice" "enumerator 'A' is defined twice" "$ERR"

# ---- buffers: buf() and %r %rx %rh ----------------------------------------------------
same_as_bpftrace "buf() of user memory with a run-time length, %r %rh" -c '/bin/echo hi' \
	-e 'tracepoint:syscalls:sys_enter_write /pid == cpid/ { printf("%r|%rh|%rx\n", buf(args->buf, args->count),
	buf(args->buf, 2), buf(args->buf, 1)); @v = buf(args->buf, 3); }'
run_sonde -q -e 'BEGIN { $b = buf(curtask->comm, 4); printf("%r|%rx|%-8r|\n", $b, $b, $b); print(buf(curtask->comm));
	@k[buf(comm, 2)] = count(); exit(); }'
expect_eq "buf() of a kernel array, as a value and a key" 'sond|\x73\x6f\x6e\x64|sond    |
sonde\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00


@k[so]: 1' "$OUT"
run_sonde -e 'BEGIN { printf("%r\n", 5); }'
expect_match "%r of an integer is an error" "%r expects a buffer" "$ERR"
run_sonde -e 'BEGIN { $p = curtask; print(buf($p)); }'
expect_match "buf() of a pointer needs a length" "buf\(\) of a pointer needs a length" "$ERR"

# ---- comparisons, indexing, keys ---------------------------------------------------------
run_sonde -q -e 'BEGIN { $a = buf("hi", 2); $b = buf("bye", 3); $t = (1, "a");
	printf("%d %d %d %d\n", $a == $a, $a != $b, $t == (1, "a"), curtask->se.load == curtask->se.load);
	$s = "foo"; printf("%c%c\n", $s[0], comm[1]); exit(); }'
expect_eq "== on buffers, tuples and structs; a string's characters by index" "1 1 1 1
fo" "$OUT"
run_sonde -q -e 'BEGIN { @a[(int16)-1, ((int32)-2, 3)] = 10; @a[5, (6, 7)] = 11; $c = ((int8)-4, ((int16)-5, -6)); @a[$c] = 12; exit(); }'
expect_eq "a tuple variable as the keys of a multi-key map" "

@a[-1, (-2, 3)]: 10
@a[5, (6, 7)]: 11
@a[-4, (-5, -6)]: 12" "$OUT"
run_sonde -q -e 'struct Foo { int x; struct Bar { int x; } bar; } BEGIN { printf("%ld %ld %d %d\n", offsetof(struct Foo, bar.x),
	sizeof(struct Bar), sizeof(SKB_DROP_REASON_NO_SOCKET), sizeof(struct Foo)); exit(); }'
expect_eq "a named struct defined inside another; sizeof of an enumerator (8, as bpftrace 0.17)" "4 4 8 8" "$OUT"
run_sonde -q -c '/bin/true zztest' -e 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { $n = 5;
	printf("%s %s %s\n", str(args.argv[1], 5), str(args.argv[1], $n), str("abcdefgh", 4)); }'
expect_eq "str(p, n) reads n bytes with the NUL (the latest bpftrace)" "zzte zzte abc" "$OUT"

# ---- print() of values -------------------------------------------------------------------
run_sonde -q -e 'BEGIN { print(5); print(-5); print("str"); print(comm); print((uint8)255); print((int8[4])0x04030201);
	print(curtask->se.load); exit(); }'
expect_eq "print(value) of every kind" "5
-5
str
sonde
255
[1,2,3,4]
{ .weight = 1048576, .inv_weight = 4194304 }" "$OUT"

# ---- strings: bpftrace's max_strlen, off the BPF stack ----------------------------------
long=$(printf 'x%.0s' $(seq 300))
run_sonde -q -e "BEGIN { \$s = \"$long\"; @s[\$s] = 1; printf(\"%s\\n\", \$s); exit(); }"
expect_eq "a 301-byte string as a variable, a key and a printf argument" "$long


@s[$long]: 1" "$OUT"
BPFTRACE_MAX_STRLEN=16 run_sonde -q -e 'BEGIN { printf("%s\n", str(curtask->comm)); exit(); }'
expect_eq "BPFTRACE_MAX_STRLEN" "sonde" "$OUT"

# ---- errors -------------------------------------------------------------------------------------
run_sonde -e 'BEGIN { print(curtask->pidd); }'
expect_match "a wrong member suggests the right one" "'struct task_struct' has no member 'pidd'; did you mean 'pid'\\?" "$ERR"
run_sonde -e 'BEGIN { $x = 1; print($x.foo); }'
expect_match "member of a non-record" "is not a struct, union, tuple or record" "$ERR"
run_sonde -e 'BEGIN { print(curtask->se.load + 1); }'
expect_match "arithmetic on a struct" "invalid operands to '\\+'" "$ERR"
run_sonde -e 'BEGIN { $t = (1, 2); print($t.2); }'
expect_match "tuple index out of range" "tuple index 2 is out of range" "$ERR"
run_sonde -e 'BEGIN { $x = (1, 2); print(*$x); }'
expect_match "dereferencing a non-pointer" "cannot dereference \(int8,int8\): it is not a pointer" "$ERR"
run_sonde -e 'tracepoint:syscalls:sys_enter_openat { $p = curtask->comm; $q = (int8 *)curtask; $q = args.filename; }'
expect_match "a user pointer where a kernel one was" "cannot assign int8 __user \\* to a variable holding int8 \\*" "$ERR"
run_sonde -e 'tracepoint:syscalls:sys_enter_openat { @p = args.filename; @p = (int8 *)curtask; }'
expect_match "a kernel pointer into a map of user pointers" "map '@p' cannot be assigned a value of type int8 \\*: it already holds a value of type int8 __user \\*" "$ERR"
if [ -r /sys/kernel/tracing/events/sched/sched_process_exec/format ]; then
	run_sonde -e 'tracepoint:sched:sched_process_exec { @p = args; }'
	expect_match "args with a __data_loc string cannot be copied whole" "its field 'filename' is a __data_loc string, outside the record; use the fields \\(args.filename\\)" "$ERR"
fi
run_sonde -e 'BEGIN { @x = (struct nosuch_struct_here *)0; }'
expect_match "an unknown struct" "unknown type 'struct nosuch_struct_here'" "$ERR"
finish
