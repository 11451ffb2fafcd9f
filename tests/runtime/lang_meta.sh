# Issue 8's last language items: `comptime` on probetype in a probe whose
# attach points are of several types (each type gets its own copy of the
# code, as the latest bpftrace expands every probe per attach point),
# typeinfo(), and len() of a stack kept in a map or a variable. bpftrace
# 0.17 has none of them: expectations are fixed, from the latest
# bpftrace's docs (language.md, stdlib.md) and its type printing.
. "$(dirname "$0")/lib.bash"

# ---- comptime on probetype over mixed attach points ----
run_sonde -q -e 'BEGIN, interval:ms:10 {
	printf("%s %s\n", comptime probetype, probe);
	if comptime (probetype == "interval") { exit(); } }'
expect_eq "comptime probetype: each attach point type has its own code" "special BEGIN
interval interval:ms:10" "$OUT"
# The tracepoint copy reads args; the interval copy would not compile it.
run_sonde -q -c 'sleep 1' -e 'tracepoint:syscalls:sys_enter_clock_nanosleep, interval:ms:400 {
	if comptime (probetype == "tracepoint") {
		if (pid == cpid) { printf("%s %d\n", probetype, args.which_clock >= 0); }
	} else { printf("%s\n", probetype); exit(); } }'
expect_eq "if comptime (probetype == ...): a branch only one type compiles" "tracepoint 1
interval" "$(grep -v '^$' <<<"$OUT")"
run_sonde -q -e 'BEGIN, interval:ms:10, END {
	@n[comptime probetype] = count();
	if comptime (probetype == "interval") { exit(); } }'
expect_eq "copies share maps" "@n[interval]: 1
@n[special]: 2" "$(grep -v '^$' <<<"$OUT")"
run_sonde -e 'BEGIN, interval:ms:10 { if comptime (probetype == "special") { $x = 1; } else { $x = 2; }
	printf("%d\n", $x + "s"); }'
expect_eq "an error in the code both copies share: said once" "1 1" "$RC $(grep -c 'error:' <<<"$ERR")"

# ---- typeinfo ----
CFG='config = { unstable_typeinfo = enable }'
run_sonde -q -e "$CFG"' BEGIN {
	print(typeinfo((uint32)1)); print(typeinfo(1)); print(typeinfo(-70000)); print(typeinfo("abc"));
	print(typeinfo(true)); print(typeinfo(comm)); print(typeinfo(pid));
	print(typeinfo(struct task_struct)); print(typeinfo(curtask)); print(typeinfo(int32*[4]));
	print(typeinfo(((uint8)1, "ab"))); print(typeinfo((x = (int16)1, y = true)));
	print(typeinfo(kstack)); print(typeinfo(ustack(perf, 5)));
	exit(); }'
expect_eq "typeinfo(): the record, printed" "{ .btf_id = 0, .base_type = int, .full_type = uint32 }
{ .btf_id = 0, .base_type = int, .full_type = int8 }
{ .btf_id = 0, .base_type = int, .full_type = int32 }
{ .btf_id = 0, .base_type = string, .full_type = string[4] }
{ .btf_id = 0, .base_type = bool, .full_type = bool }
{ .btf_id = 0, .base_type = string, .full_type = string[16] }
{ .btf_id = 0, .base_type = int, .full_type = uint32 }
{ .btf_id = 0, .base_type = c_type, .full_type = struct task_struct }
{ .btf_id = 0, .base_type = pointer, .full_type = struct task_struct * }
{ .btf_id = 0, .base_type = array, .full_type = int32 *[4] }
{ .btf_id = 0, .base_type = tuple, .full_type = (uint8,string[3]) }
{ .btf_id = 0, .base_type = record, .full_type = record { .x = int16, .y = bool } }
{ .btf_id = 0, .base_type = kstack, .full_type = kstack_bpftrace_127 }
{ .btf_id = 0, .base_type = ustack, .full_type = ustack_perf_5 }" "$OUT"
run_sonde -q -e "$CFG"' BEGIN {
	if comptime (typeinfo((uint32)7) == typeinfo(uint32)) { printf("same\n"); } else { $x = "s" + 1; }
	if comptime (typeinfo("abc").base_type != "string") { fail("never"); }
	$t = typeinfo(comm);
	printf("%s %s %d\n", typeinfo(curtask).full_type, $t.full_type, $t.btf_id);
	exit(); }'
expect_eq "typeinfo() in comptime conditions and as a value" "same
struct task_struct * string[16] 0" "$OUT"
run_sonde -q -e 'config = { unstable_typeinfo = warn } BEGIN { print(typeinfo(1)); print(typeinfo(2)); exit(); }'
expect_eq "unstable_typeinfo = warn: runs, one warning" "0 { .btf_id = 0, .base_type = int, .full_type = int8 }
{ .btf_id = 0, .base_type = int, .full_type = int8 } 1" "$RC $OUT $(grep -c 'warning:' <<<"$ERR")"
run_sonde -e 'BEGIN { print(typeinfo(1)); }'
expect_eq "typeinfo() is off by default (bpftrace's unstable_typeinfo = error)" "1 stdin:1:15: error: typeinfo() is an unstable feature of bpftrace, off unless enabled: add \`config = { unstable_typeinfo = enable }\` (or \`warn\`)" "$RC $(head -1 <<<"$ERR")"
run_sonde -q -e 'BEGIN { print(config.unstable_typeinfo); exit(); }'
expect_eq "config.unstable_typeinfo: bpftrace's default" "error" "$OUT"

# ---- len() of a stack kept in a map or a variable ----
# END has a stack of its own (user space, none in the kernel): len() must
# give the depth of the stack stored, not of the one where it runs.
run_sonde -q -c 'sleep 0.1' -e 'tracepoint:syscalls:sys_enter_clock_nanosleep /pid == cpid/ {
	@s[1] = kstack; @k[0] = kstack(2); @n = len(kstack); exit(); }
	END { $v = @s[1]; printf("%d %d %d %d %d\n", len(@s[1]), len(@k[0]), len($v), len(@s[2]), @n);
	print(@s[1]); clear(@s); clear(@k); clear(@n); }'
first=$(head -1 <<<"$OUT")
frames=$(sed '1d;/^$/d' <<<"$OUT" | wc -l)
expect_eq "len() of a stack read back from a map, a variable, a missing key" "$frames 2 $frames 0 $frames" "$first"
check "the stored stack still prints its frames" [ "$frames" -ge 3 ]

finish
