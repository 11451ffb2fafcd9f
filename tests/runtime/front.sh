# The front end of a script: C preprocessor lines, macros, the config
# block and BPFTRACE_* variables, getopt() named parameters, duration
# literals and $#. Compared with bpftrace 0.17 where it has the construct,
# fixed expectations (the latest bpftrace's output) otherwise.
. "$(dirname "$0")/lib.bash"

# ---- C preprocessor lines ---------------------------------------------------

cat >"$TMP/defines.bt" <<'EOF'
#!/usr/bin/env bpftrace
// object-like defines and conditionals before the probes
#define LIMIT 3
#define GREETING "hello"
#ifndef BPFTRACE_HAVE_BTF
#define MODE 0
#else
#define MODE 1
#endif
BEGIN
{
	printf("%s %d %d\n", GREETING, LIMIT * 2, MODE);
	@m[LIMIT] = MODE + LIMIT;
	exit();
}
EOF
same_as_bpftrace "#define and #ifndef BPFTRACE_HAVE_BTF" "$TMP/defines.bt"

# Kernel headers are satisfied from BTF; #define'd ABI constants of the
# common ones are known (TASK_RUNNING, AF_INET); function-like macros,
# #if around probes, a call over two lines, nothing in strings or comments.
cat >"$TMP/pp.bt" <<'EOF'
#include <linux/sched.h>
#include <linux/socket.h>
#define SQ(x) ((x) * (x))
#define PICK(a, b) b
#if defined(TASK_RUNNING) && AF_INET6 == 10
BEGIN
{
	printf("%d %d %d %d SQ(2)\n", TASK_RUNNING, AF_INET, SQ(1 + 2),
	       PICK(1,
	            2)); // SQ(3)
	exit();
}
#else
BEGIN { printf("wrong branch\n"); exit(); }
#endif
EOF
run_sonde "$TMP/pp.bt"
expect_eq "#include, function-like macros, #if: output" "$(printf 'Attaching 1 probe...\n0 2 9 2 SQ(2)\n\n')" "$OUT"
expect_eq "#include, function-like macros, #if: exit" "0" "$RC"

# An error after preprocessor lines names the line the user wrote.
cat >"$TMP/pp-error.bt" <<'EOF'
#define A 1
#if A
#define B(x) x
#endif

BEGIN { @x = nosuchbuiltin; }
EOF
run_sonde "$TMP/pp-error.bt"
expect_match "an error after #if points at its own line" "pp-error.bt:6:14: error: " "$ERR"

# and at its own column after a shorter expansion on the same line
printf '#include <linux/sched.h>\nBEGIN { @x = TASK_RUNNING + nosuch; }\n' >"$TMP/pp-column.bt"
run_sonde "$TMP/pp-column.bt"
expect_match "an error after a macro use keeps its column" "pp-column.bt:2:29: error: unknown identifier 'nosuch'" "$ERR"

# An include sonde cannot honour is a positioned error.
printf 'BEGIN { }\n#include "no-such-header.h"\n' >"$TMP/pp-include.bt"
run_sonde "$TMP/pp-include.bt"
expect_match "a missing local header: error on its line" "pp-include.bt:2:1: error: cannot include \"no-such-header.h\"" "$ERR"
expect_eq "a missing local header: exit 1" "1" "$RC"
# a local header with only preprocessor lines is read
printf '#define FROM_HEADER 42\n' >"$TMP/local.h"
printf '#include "local.h"\nBEGIN { printf("%%d\\n", FROM_HEADER); exit(); }\n' >"$TMP/pp-local.bt"
run_sonde "$TMP/pp-local.bt"
expect_eq "a local header's #define" "$(printf 'Attaching 1 probe...\n42\n\n')" "$OUT"

# ---- macros -------------------------------------------------------------------

run_sonde -e 'macro inc($x) { $x += 1; $x } macro add1(x) { x + 1 } macro add2(y) { y + add1(y) }
BEGIN { $a = 1; inc($a); $b = inc($a); printf("%d %d %d\n", $a, $b, add2(3)); exit(); }'
expect_eq "macros: variables, values, nesting" "$(printf 'Attaching 1 probe...\n3 3 7\n\n')" "$OUT"

run_sonde -e 'macro set(@x, v) { @x[1] = v; } macro one { 1 } BEGIN { set(@a, one + one()); exit(); }'
expect_eq "macros: a map parameter, a macro without parameters" "$(printf 'Attaching 1 probe...\n\n\n@a[1]: 2')" "$OUT"

# hygiene: the macro's own $y is not the caller's
run_sonde -e 'macro h($x) { $y = 5; $x + $y } BEGIN { $y = 1; $r = h($y); printf("%d %d\n", $y, $r); exit(); }'
expect_eq "macros: hygienic variables" "$(printf 'Attaching 1 probe...\n1 6\n\n')" "$OUT"

# macros overload by their number of parameters; a builtin of the name stays
run_sonde -e 'macro f(x) { x } macro f() { 7 } macro cpu(x) { x } BEGIN { print((f(1), f(), f, cpu("hi"), cpu() >= 0)); exit(); }'
expect_eq "macros: overloads by arity" "$(printf 'Attaching 1 probe...\n(1, 7, 7, hi, true)\n\n')" "$OUT"

# bpftrace's stdlib spelling of builtins
run_sonde -e 'BEGIN { print((__builtin_pid == pid, __builtin_cpu() == cpu)); exit(); }'
expect_eq "macros: __builtin_pid is pid" "$(printf 'Attaching 1 probe...\n(true, true)\n\n')" "$OUT"

run_sonde -e 'macro f(x) { g(x) } macro g(x) { f(x) } BEGIN { @ = f(1); }'
expect_match "macros: recursion is an error" "error: macro 'f' uses itself through g; macros cannot be recursive" "$ERR"

# ---- config block and environment -------------------------------------------

run_sonde -e 'config = { print_maps_on_exit = 0 } BEGIN { @["test"] = count(); @s = 1; exit(); }'
expect_eq "config: print_maps_on_exit=0" "$(printf 'Attaching 1 probe...\n')" "$OUT"

run_sonde -e 'config = { BPFTRACE_STACK_MODE = raw; MISSING_PROBES = warn; max_strlen = 4 } BEGIN { printf("%s\n", str(comm)); exit(); }'
expect_eq "config: the three name forms" "0" "$RC"

run_sonde -e 'config = { max_map_keys = 1 } BEGIN { @[1] = 1; @[2] = 2; exit(); }'
expect_match "config: max_map_keys takes effect" "update dropped: Map full \\(1 entries\\)" "$ERR"

OUT=$(BPFTRACE_MAX_MAP_KEYS=4 timeout 60 "$SONDE" -e 'config = { max_map_keys = 1 } BEGIN { @[1] = 1; @[2] = 2; exit(); }' 2>&1)
expect_eq "config: the environment wins" "$(printf 'Attaching 1 probe...\n\n\n@[1]: 1\n@[2]: 2')" "$OUT"

run_sonde -e 'config = { max_map_key = 2 } BEGIN { }'
expect_match "config: unknown key with suggestion" "stdin:1:12: error: unknown config option 'max_map_key'; did you mean 'max_map_keys'\\?" "$ERR"
run_sonde -e 'config = { stack_mode = fast } BEGIN { }'
expect_match "config: invalid value" "stdin:1:25: error: invalid value for stack_mode: expected one of bpftrace, perf, raw, build_id" "$ERR"

# ---- getopt and named parameters ---------------------------------------------

run_sonde -e 'BEGIN { print((getopt("aa", 20), getopt("bb", -1), getopt("cc", true), getopt("dd"), getopt("ee", "hello"))); exit(); }' -- --dd --aa=0xffffffffffffffff --bb=-10 --cc=False
expect_eq "getopt: typed by the default" "$(printf 'Attaching 1 probe...\n(18446744073709551615, -10, false, true, hello)\n\n')" "$OUT"

run_sonde -e 'BEGIN { print(($1, getopt("aa", 10), $2, getopt("cc", "hello"), getopt("dd"), $#)); exit(); }' pos1 -- --aa=20 --cc=bye pos2 --dd
expect_eq "getopt: named and positional mixed" "$(printf 'Attaching 1 probe...\n(pos1, 20, pos2, bye, true, 2)\n\n')" "$OUT"

run_sonde -e 'BEGIN { print(getopt("aa", 10)); }' -- --aa=False
expect_match "getopt: a value of the wrong type" "error: command line option --aa: invalid integer \\(value: False\\)" "$ERR"
run_sonde -e 'BEGIN { print(getopt("aa", 10)); }' -- --bb
expect_match "getopt: an option no getopt() asks for" "error: unexpected program command line option: --bb \\(the script's options: --aa\\)" "$ERR"

OUT=$(timeout 60 "$SONDE" -e 'BEGIN { print((getopt("aa", 10, "Description of aa"), getopt("bb", 1))); }' -- --help 2>&1)
expect_eq "getopt: -- --help lists the options" "$(printf 'HINT: expected program options:\n--aa: Description of aa\n--bb')" "$OUT"

# ---- durations and $# ------------------------------------------------------------

run_sonde -e 'BEGIN { $d = 2ms; print(($d, 1s, 10us, 100ns, 1m)); exit(); }'
expect_eq "duration literals are nanoseconds" "$(printf 'Attaching 1 probe...\n(2000000, 1000000000, 10000, 100, 60000000000)\n\n')" "$OUT"
same_as_bpftrace "\$# counts positional parameters" -e 'BEGIN { printf("%d\n", $#); exit(); }' a b c

finish
