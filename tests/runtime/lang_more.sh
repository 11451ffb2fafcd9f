# The latest bpftrace's helpers sonde added last: fail(), strcap(),
# assert_str(), default_str_length, kfunc_allowed(), comm(pid) (kernel
# function calls), and import of script files. bpftrace 0.17 has none of
# them: expectations are fixed, taken from the latest bpftrace's docs and
# runtime tests.
. "$(dirname "$0")/lib.bash"

# ---- strcap, default_str_length, assert_str ----
run_sonde -q -e 'BEGIN { $s = "abc"; print(strcap($s)); print(strcap("hello"));
	print(default_str_length); print(default_str_length()); assert_str($s); exit(); }'
expect_eq "strcap of strings, default_str_length" "4
6
1024
1024" "$OUT"
BPFTRACE_MAX_STRLEN=200 run_sonde -q -e 'BEGIN { print(default_str_length); exit(); }'
expect_eq "default_str_length follows max_strlen" "200" "$OUT"
run_sonde -q -e 'iter:task { if (ctx->task->pid == 2) { print(strcap(ctx->task->comm)); } }'
expect_eq "strcap of a char array member" "16" "$(grep -v '^$' <<<"$OUT")"
run_sonde -q -c '/bin/cat /etc/hostname' -e 'tracepoint:syscalls:sys_enter_openat /pid == cpid/ {
	@[str(args.filename)] = strcap(args.filename); }'
expect_match "strcap of a char pointer is its string's length" '@\[/etc/hostname\]: 13' "$OUT"

# ---- fail ----
run_sonde -e 'macro at_least(x, n) { fail("at_least(): need %d, got %d", n, x); x }
BEGIN { $v = at_least(1, 2); }'
expect_eq "fail(): exit code" 1 "$RC"
expect_eq "fail(): the formatted message where it is reached, and the macro use" "stdin:1:24: error: at_least(): need 2, got 1
macro at_least(x, n) { fail(\"at_least(): need %d, got %d\", n, x); x }
                       ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
stdin:2:14: note: expanded from here
BEGIN { \$v = at_least(1, 2); }
             ^~~~~~~~~~~~~~" "$ERR"
run_sonde -q -e 'macro unused(x) { fail("never used"); x } BEGIN { printf("ok\n"); exit(); }'
expect_eq "fail() in a macro nobody uses: nothing" "ok" "$OUT"

# ---- kfuncs: kfunc_allowed, comm(pid) ----
# iter programs are tracing programs: the kernel lets them call
# bpf_task_from_pid; BEGIN (a uprobe, a kprobe-type program) may not
run_sonde -q -e 'BEGIN { printf("%d %d\n", kfunc_allowed("bpf_task_from_pid"), kfunc_allowed("no_such_kfunc")); exit(); }'
expect_eq "kfunc_allowed in BEGIN" "0 0" "$OUT"
if [ "$(run_sonde -q -e 'BEGIN { printf("%d\n", kfunc_exist("bpf_task_from_pid")); exit(); }'; echo "$OUT")" != 1 ]; then
	skip "comm(pid): this kernel has no bpf_task_from_pid kfunc"
else
	run_sonde -q -e 'iter:task { if (ctx->task->pid == 2) { printf("%d [%s] [%s]\n", kfunc_allowed("bpf_task_from_pid"),
		comm(2), comm(ctx->task->pid)); @[comm(2)] = count(); } }'
	expect_eq "comm(pid) in an iter program" "1 [kthreadd] [kthreadd]


@[kthreadd]: 1" "$OUT"
	run_sonde -q -e 'iter:task { if (ctx->task->pid == 2) { print(comm(999999999)); } }'
	expect_eq "comm(pid) of no process: N/A" "N/A" "$(grep -v '^$' <<<"$OUT")"
	expect_match "comm(pid) of no process: the warning" '^stdin:1:[0-9-]+: WARNING: No such process \(pid=999999999\)$' "$ERR"
fi
run_sonde -e 'BEGIN { print(comm(1)); }'
expect_eq "comm(pid) where the kernel refuses the kfunc" "stdin:1:15: error: comm(pid) is not supported in BEGIN probes: the kernel lets only some program types call the bpf_task_from_pid kfunc (fentry, fexit and iter probes can)" "$(head -1 <<<"$ERR")"

# ---- import ----
LIB=$TMP/imports
mkdir -p "$LIB/lib"
chmod 755 "$TMP" "$LIB" "$LIB/lib"
cat >"$LIB/helpers.bt" <<'BT'
macro greet(who) { printf("hello %s\n", who); }
BEGIN { printf("helpers first\n"); }
BT
cat >"$LIB/main.bt" <<'BT'
import "helpers.bt";
import "helpers.bt";
BEGIN { greet("world"); exit(); }
BT
run_sonde -q "$LIB/main.bt"
expect_eq "import: macros and probes of a script, imported once, its BEGIN first" "helpers first
hello world" "$OUT"
SONDE_ABS=$(readlink -f "$SONDE")
(cd "$LIB" && timeout -s INT 60 "$SONDE_ABS" -q -e 'import "helpers.bt"; BEGIN { greet("-e"); exit(); }' >"$TMP/e.out" 2>&1)
expect_eq "import from -e: next to the working directory" "helpers first
hello -e" "$(cat "$TMP/e.out")"
cat >"$LIB/lib/a.bt" <<'BT'
import "b.bt";
macro twice(x) { x * 2 }
BT
cat >"$LIB/lib/b.bt" <<'BT'
import "a.bt";
struct point { int x; int y; };
BT
printf '#define LIMIT 42\n' >"$LIB/lib/limits.h"
printf 'not a script\n' >"$LIB/lib/README"
cat >"$LIB/dir.bt" <<'BT'
import "lib";
BEGIN { printf("%d %d %d\n", twice(21), LIMIT, sizeof(struct point)); exit(); }
BT
run_sonde -q "$LIB/dir.bt"
expect_eq "import of a directory: its .bt and .h files, a cycle imported once" "42 42 8" "$OUT"
printf 'macro oops(x) {\n  x + "s"\n}\n' >"$LIB/errlib.bt"
printf '\nimport "errlib.bt";\nBEGIN { $x = oops(1); exit(); }\n' >"$LIB/err.bt"
run_sonde "$LIB/err.bt"
expect_eq "import: an error in an imported file names that file and line" "$LIB/errlib.bt:2:3: error: invalid operands to '+': int8 and string[2]
  x + \"s\"
  ^~~~~~~" "$ERR"
printf 'import "errlib.bt";\nBEGIN { @x = cuont(); }\n' >"$LIB/err3.bt"
run_sonde "$LIB/err3.bt"
expect_eq "import: the script's own lines keep their numbers" "$LIB/err3.bt:2:14: error: unknown function 'cuont'; did you mean 'count'?" "$(head -1 <<<"$ERR")"
printf 'config = { max_strlen = 16 }\nmacro one() { 1 }\n' >"$LIB/cfg.bt"
printf 'import "cfg.bt";\nBEGIN { exit(); }\n' >"$LIB/usecfg.bt"
run_sonde "$LIB/usecfg.bt"
expect_eq "import: no config block in an imported script" "1 $LIB/cfg.bt:1:1: error: invalid \`config\` within import: only the script itself may have a config block" "$RC $(head -1 <<<"$ERR")"
mkdir -p "$LIB/open"
chmod 777 "$LIB/open"
cp "$LIB/helpers.bt" "$LIB/open/"
printf 'import "open/helpers.bt";\nBEGIN { exit(); }\n' >"$LIB/world.bt"
run_sonde "$LIB/world.bt"
expect_eq "import: not from a world-writable directory" "1 $LIB/world.bt:1:1: error: cowardly refusing to import from a directory with global write permissions: $LIB/open" "$RC $(head -1 <<<"$ERR")"

finish
