# Language semantics checked against fixed expectations where bpftrace 0.17
# cannot be the oracle (it divides negatives as unsigned and mis-buckets
# values >= 4G), plus error exits at the command line.
. "$(dirname "$0")/lib.bash"

run_sonde -q -e 'BEGIN { @div = -7 / 2; @mod = -7 % 3; @neg = 7 / -2; @zero = 5 / (1 - 1); @u = (uint8)300;
	@s = (int8)200; @w = (uint16)-1; @sh = -16 >> 2; exit(); }'
expect_eq "signed arithmetic and casts" "

@div: -3
@mod: -1
@neg: -3
@s: -56
@sh: -4
@u: 44
@w: 65535
@zero: 1" "$OUT" # x / 0 at run time is 1, as in the latest bpftrace

run_sonde -q -e 'BEGIN { @h = hist(5000000000); @h = hist(4294967296); @h = hist(4294967295); exit(); }'
expect_eq "hist buckets at 4G and above" "

@h:
[2G, 4G)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[4G, 8G)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|" "$OUT"

run_sonde -q -e 'BEGIN { @st = stats(10); @st = stats(20); @st = stats(33); @h = hist(2); exit(); }'
expect_eq "latest formats: stats record, hist header without trailing space" "

@h:
[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@st: { .count = 3, .average = 21, .total = 63 }" "$OUT"

run_sonde -q -e 'BEGIN { $s = comm; @c[$s] = 1; printf("%s %d %s\n", $s == "sonde" ? "yes" : "no", elapsed < 1000000000, probe); exit(); }'
expect_eq "comm, ternary on strings, elapsed, probe" "yes 1 BEGIN


@c[sonde]: 1" "$OUT"

run_sonde -q -e 'BEGIN { @pid = pid == tid; @uid = uid; @gid = gid; @cpu = cpu < 1024; exit(); }'
expect_eq "pid tid uid gid cpu" "

@cpu: true
@gid: 0
@pid: true
@uid: 0" "$OUT"

# latest bpftrace: comparisons, '!', && and || are bools, printed true/false
# (0.17 printed 1/0); two bools combined stay a bool
run_sonde -q -e 'BEGIN { @h = !0 + !5; @k = (1 < 2) && (2 < 1) || 1; @f = 1 > 2; @t = true; @n = !true;
	@i = (int64)(3 > 2) + 1; exit(); }'
expect_eq "bools print as true and false" "

@f: false
@h: true
@i: 2
@k: true
@n: false
@t: true" "$OUT"

# latest bpftrace: a builtin may be called without arguments (0.17 cannot)
run_sonde -q -e 'BEGIN { printf("%d %d %s\n", pid() == pid, nsecs() > 0, comm()); exit(); }'
expect_eq "pid(), nsecs(), comm() are the builtins" "1 1 sonde" "$OUT"

# maps hold SONDE_MAX_MAP_KEYS (4096) keys unless bpftrace's variable says more
DD='/usr/bin/dd if=/dev/zero of=/dev/null bs=1 count=5000 status=none'
KEYS='t:syscalls:sys_enter_read /pid == cpid/ { @[nsecs] = count(); }'
run_sonde -q -c "$DD" -e "$KEYS"
expect_eq "a map keeps 4096 keys by default" 4096 "$(grep -c '^@\[' <<<"$OUT")"
BPFTRACE_MAX_MAP_KEYS=10000 run_sonde -q -c "$DD" -e "$KEYS"
expect_eq "BPFTRACE_MAX_MAP_KEYS raises it" 5003 "$(grep -c '^@\[' <<<"$OUT")"
BPFTRACE_MAP_KEYS_MAX=10000 run_sonde -q -c "$DD" -e "$KEYS"
expect_eq "so does 0.17's BPFTRACE_MAP_KEYS_MAX" 5003 "$(grep -c '^@\[' <<<"$OUT")"

# Syntax, name and type errors: file:line:col, the line, a caret; exit 1.
run_sonde -e 'BEGIN { @x = cuont(); }'
expect_eq "unknown function: exit code" 1 "$RC"
expect_eq "unknown function: message" "stdin:1:14: error: unknown function 'cuont'; did you mean 'count'?
BEGIN { @x = cuont(); }
             ^~~~~~~" "$ERR"

printf 'BEGIN {\n  @x = count();\n}\ninterval:s:1 {\n  @x = 5;\n}\n' >"$TMP/conflict.bt"
run_sonde "$TMP/conflict.bt"
expect_eq "map type conflict across probes: exit code" 1 "$RC"
expect_eq "map type conflict across probes: message" "$TMP/conflict.bt:5:3: error: map '@x' cannot be assigned an integer: it already holds count()
  @x = 5;
  ^~~~~~
$TMP/conflict.bt:2:8: note: map '@x' was used as count() here
  @x = count();
       ^~~~~~~" "$ERR"

run_sonde -e 'BEGIN { @a = ; } BEGIN { @b = 1 +; } END { printf("x" }'
expect_eq "several syntax errors reported at once" 3 "$(grep -c ': error: ' <<<"$ERR")"
run_sonde -e 'BEGIN { @a = cuont(); printf("%d\n"); } tracepoint:nope:nope { }'
expect_eq "several semantic errors reported at once" 3 "$(grep -c ': error: ' <<<"$ERR")"
# a value function used as a statement is evaluated and its value dropped
# (it crashed codegen: the call had no type)
run_sonde -q -e 'BEGIN { @m[1] = 1; bswap(1); str(0); strlen("ab"); ksym(0); nsecs(boot); ntop(1);
	has_key(@m, 1); len(@m); strftime("%H", 0); kstack; printf("ran\n"); exit(); }'
expect_eq "value functions as statements: exit code" 0 "$RC"
expect_eq "value functions as statements: they run" "ran" "$(head -1 <<<"$OUT")"
finish
