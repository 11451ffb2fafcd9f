# The latest bpftrace's syntax (issue 8, lang lane): block expressions,
# if/else as a value, `_ = e`, ?: and if/else with statement branches,
# typeof, container_of, assert, memcmp, array <-> integer and enum casts,
# --include. bpftrace 0.17 has only ?: with printf branches: that one is
# compared with it, the rest against fixed expectations (the latest
# bpftrace's output for the same programs).
. "$(dirname "$0")/lib.bash"

same_as_bpftrace "?: with statement branches" -e 'BEGIN { $c = 1; $c ? printf("yes\n") : printf("no\n");
	$c == 0 ? printf("a\n") : printf("b\n"); exit(); }'

# ---- block expressions and if/else as values ----
run_sonde -q -e 'BEGIN {
	let $a = { let $b = 5; $b * 2 };
	$x = if ($a > 5) { 1 } else { 2 };
	$y = if $a == 0 { "zero" } else if $a == 10 { "ten" } else { "other" };
	$z = { if $x == 1 { 100 } else { 200 } };
	@m = { let $q = 100; $q + 1 };
	printf("%d %d %s %d %d\n", $a, $x, $y, $z, { 7 });
	print(if (1) { 1 } else { (uint64)2 });
	exit(); }'
expect_eq "block expressions and if/else as values" "10 1 ten 100 7
1


@m: 101" "$OUT"

run_sonde -q -e 'BEGIN { $a = 0; $b = 5; printf("%d %d %d\n", $a ?: 7, $b ?: 7, $a ?: 0 ?: 9); exit(); }'
expect_eq "a ?: b" "7 5 9" "$OUT"

# `_ = e` runs e; a block statement's last value is dropped; an if/else
# branch may have no value when the whole is a statement
run_sonde -q -e 'BEGIN { _ = { printf("side\n"); 3 }; { printf("block %d\n", 1) }
	$c = 0; if $c { printf("then\n") } else { printf("else\n") }
	$c ? printf("x\n") : { printf("y\n"); 5 }; exit(); }'
expect_eq "_ = e, blocks as statements, branches without a value" "side
block 1
else
y" "$OUT"

# a block's let variables end with it
run_sonde -q -e 'BEGIN { $w = { let $t = 50; $t + 1 }; let $t = 2; printf("%d %d\n", $t, $w); exit(); }'
expect_eq "a block expression scopes its let variables" "2 51" "$OUT"

# an aggregation as a block's value goes to the map it is assigned to
run_sonde -q -e 'BEGIN { @a = { let $v = 100; avg($v) }; @c[1] = { count() }; exit(); }'
expect_eq "a block ending in an aggregation, assigned to a map" "

@a: 100

@c[1]: 1" "$OUT"

# macros whose bodies have statements before their value are block expressions
run_sonde -q -e 'macro twice(x) { let $t = x; $t * 2 } macro inc($x) { $x += 1; $x }
	BEGIN { $v = 1; printf("%d %d\n", twice(3) + twice(4), inc($v) + 10); exit(); }'
expect_eq "macros with statements as values" "14 12" "$OUT"

# ---- typeof ----
run_sonde -q -e 'struct Foo { int m; int n; }
	BEGIN { let $s: uint16 = 7; let $x: typeof($s) = 7000; let $a: typeof(size_t) = 1;
	$c = (typeof($s))-1; printf("%d %d %d %d %d\n", $x, $a, $c, sizeof(typeof(struct Foo)),
	offsetof(typeof(struct Foo), n)); exit(); }'
expect_eq "typeof in declarations, casts, sizeof and offsetof" "7000 1 65535 8 4" "$OUT"

run_sonde -q -e 'struct Foo { char m; } macro sof(a, b) { sizeof(a[2]) + sizeof(b*) + sizeof(b) }
	macro m(t) { sizeof(t) + 2 } macro n(z) { print(m(typeof(z))); }
	macro add(x) { let $y: typeof(x); if (true) { $y = 1 } x + $y }
	BEGIN { print(sof(typeof(uint64*), typeof(struct Foo))); n(typeof(uint64*)); print(add(1)); exit(); }'
expect_eq "typeof as a macro argument" "25
10
2" "$OUT"

run_sonde -q -e 'macro cst(a) { (a*)-1 } BEGIN { print(cst(typeof(uint8))); print((uint8 *)1000); exit(); }'
expect_eq "a narrow integer cast to a pointer is zero-extended" "0xff
0x3e8" "$OUT"

# ---- container_of, memcmp, assert ----
run_sonde -q -e 'struct Foo { int m; int n; struct { long a; long b; } in; }
	BEGIN { $p = container_of((int *)1004, typeof(struct Foo), n);
	$q = container_of((long *)2016, typeof(struct Foo), in.b);
	printf("%d %d\n", (uint64)$p, (uint64)$q); exit(); }'
expect_eq "container_of" "1000 2000" "$OUT"

run_sonde -q -e 'BEGIN { printf("%d %d %d %d %d\n", memcmp("abc", "abd", 3), memcmp("abc", "abd", 2),
	memcmp(pton("127.0.0.2"), pton("127.0.0.1"), 4), memcmp((uint32)5, (uint32)5, 4),
	memcmp("ab", "ab", 0)); exit(); }'
expect_eq "memcmp" "-1 0 1 0 0" "$OUT"

run_sonde -q -e 'BEGIN { assert(1 == 1, "fine"); printf("passed\n"); assert(1 == 2, "my message"); printf("not reached\n"); }'
expect_eq "assert: output" "passed" "$OUT"
expect_eq "assert: exit code" "1" "$RC"
expect_match "assert: message" "ERROR: assert failed: my message" "$ERR"

# ---- casts ----
run_sonde -q -e 'enum E { A, B = 5 } BEGIN { print((uint32)pton("127.0.0.1")); print((uint8[4])(uint32)0x01020304);
	print((uint16)(int8[2])"a"); print((enum E)5); print((int64)B); print((bool)5); exit(); }'
expect_eq "array <-> integer, enum and bool casts" "16777343
[4,3,2,1]
97
B
5
true" "$OUT"

# ---- --include ----
printf '#define MYVAL 42\n' >"$TMP/my.h"
run_sonde -q --include "$TMP/my.h" --include linux/socket.h -e 'BEGIN { printf("%d %d\n", MYVAL, AF_INET6); exit(); }'
expect_eq "--include a file and a kernel header" "42 10" "$OUT"
run_sonde --include nosuch/header.h -e 'BEGIN { exit(); }'
expect_match "--include of an unknown header is an error" "error: cannot include <nosuch/header.h>" "$ERR"
finish
