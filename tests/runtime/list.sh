#!/usr/bin/env bash
# list.sh - `-l`, `-lv` and `-l` with a script (src/list.c and the
# providers' list hooks).
#
# Tracepoint listings are compared byte for byte with bpftrace 0.17's for
# the same arguments. Raw tracepoints, interval and profile are listed as
# the latest bpftrace lists them (0.17 lists no raw tracepoints and fails on
# `interval:*`), and so is a script's listing (0.17 ignores the script and
# lists everything): those have fixed expectations. Where bpftrace's matcher
# misses a name (a literal run found twice, "*exit" on sys_exit_exit),
# sonde lists it.
. "$(dirname "$0")/lib.bash"

TRACEFS=/sys/kernel/tracing
if [ ! -r "$TRACEFS/available_events" ]; then
	echo "SKIP: $TRACEFS/available_events is not readable"
	exit 77
fi

# ---- the same as bpftrace 0.17 --------------------------------------------------
same_as_bpftrace "every tracepoint" -l 'tracepoint:*'
same_as_bpftrace "every tracepoint with its fields" -lv 'tracepoint:*'
same_as_bpftrace "a category, by alias" -l 't:sched:*'
same_as_bpftrace "an event pattern in every category" -l 'tracepoint:*:*sleep*'
same_as_bpftrace "one event" -l 'tracepoint:syscalls:sys_enter_read'
same_as_bpftrace "syscall fields (-lv)" -lv 'tracepoint:syscalls:sys_enter_openat'
same_as_bpftrace "fields with arrays and __data_loc (-lv)" -lv 't:sched:sched_switch,t:sched:sched_process_exec'
same_as_bpftrace "comma-separated patterns keep their order" -l 'tracepoint:sys*:*nanosleep,t:sched:sched_switch'
same_as_bpftrace "a pattern that matches nothing" -l 'tracepoint:nosuch:*'
same_as_bpftrace "-v after the pattern" -l 'tracepoint:syscalls:sys_exit_read' -v

# kernel types from BTF (bpftrace 0.17's format: no "vmlinux: " prefix)
same_as_bpftrace "struct names" -l 'struct task_s*'
same_as_bpftrace "every struct name" -l 'struct *'
same_as_bpftrace "every union name" -l 'union *'
same_as_bpftrace "every enum name" -l 'enum *'
same_as_bpftrace "a struct definition" -lv 'struct css_task_iter'
same_as_bpftrace "an enum definition" -lv 'enum cpu_usage_stat'
same_as_bpftrace "union definitions" -lv 'union IO_APIC_reg_0*'
same_as_bpftrace "definitions of a pattern" -lv 'struct task_s*'

# ---- the wildcard rule -------------------------------------------------------------
run_sonde -l 'tracepoint:syscalls:*exit'
expect_eq "'*exit' matches sys_exit_exit too (bpftrace misses it)" \
	"$(grep -E '^syscalls:sys_(enter|exit)_exit$' "$TRACEFS/available_events" | LC_ALL=C sort | sed 's/^/tracepoint:/')" "$OUT"
run_sonde -l 'tracepoint:syscalls:sys_enter_rea?'
expect_eq "'?' is not a wildcard" "0 " "$RC $OUT"

# ---- a pattern without a type: every kernel probe type -----------------------------
run_sonde -l '*sleep*'
want=$(bpftrace -l 'tracepoint:*:*sleep*' 2>/dev/null)
expect_eq "'*sleep*': its tracepoints are bpftrace's" "$want" "$(grep '^tracepoint:' <<<"$OUT")"
expect_match "'*sleep*': raw tracepoints too" '^rawtracepoint:vmlinux:mm_vmscan_kswapd_sleep$' "$OUT"
expect_eq "'*sleep*': no interval or profile (only listed when named)" "" "$(grep -E '^(interval|profile):' <<<"$OUT")"

run_sonde -l
expect_eq "-l: exit status" "0" "$RC"
expect_eq "-l: every tracepoint of available_events" \
	"$(LC_ALL=C sort "$TRACEFS/available_events" | sed 's/^/tracepoint:/')" "$(grep '^tracepoint:' <<<"$OUT")"
types=$(cut -d: -f1 <<<"$OUT" | uniq)
expect_eq "-l: one block per type, in name order" "$(LC_ALL=C sort -u <<<"$types")" "$types"
sorted=true
for t in $types; do
	grep "^$t:" <<<"$OUT" | LC_ALL=C sort -c 2>/dev/null || sorted=false
done
expect_eq "-l: each type's probes sorted" true "$sorted"
all=$OUT
run_sonde -l '*'
expect_eq "-l '*' is -l" "$all" "$OUT"
run_sonde -l '*:*'
expect_eq "-l '*:*' is -l" "$all" "$OUT"
run_sonde --list 'tracepoint:raw_syscalls:*'
expect_eq "--list (bpftrace 0.17 has only -l)" "$(bpftrace -l 'tracepoint:raw_syscalls:*' 2>/dev/null)" "$OUT"
run_sonde -l 'tr*:raw_syscalls:*'
expect_eq "a wildcard type" "tracepoint:raw_syscalls:sys_enter
tracepoint:raw_syscalls:sys_exit" "$OUT"

# ---- raw tracepoints (BTF), interval and profile: latest bpftrace's lists ------------
run_sonde -l 'rawtracepoint:sched_switch'
expect_eq "a raw tracepoint by name" "rawtracepoint:vmlinux:sched_switch" "$OUT"
run_sonde -l 'rt:vmlinux:sched_swi*'
expect_eq "by alias, module and pattern" "rawtracepoint:vmlinux:sched_switch" "$OUT"
run_sonde -lv 'rawtracepoint:sched_switch'
expect_match "-lv: its arguments from BTF" '^    struct task_struct \* prev$' "$OUT"
expect_eq "-lv: not the leading void *__data, nor a retval" "" "$(grep -E '__data|retval' <<<"$OUT")"
run_sonde -lv 'rawtracepoint:sys_enter'
expect_eq "-lv: sys_enter" "rawtracepoint:vmlinux:sys_enter
    struct pt_regs * regs
    long int id" "$OUT"
run_sonde -l 'rawtracepoint:*'
nraw=$(wc -l <<<"$OUT")
if [ "$nraw" -gt 500 ]; then pass "every raw tracepoint ($nraw)"; else fail "only $nraw raw tracepoints"; fi
all_raw=$OUT
run_sonde -lv 'rawtracepoint:*'
expect_eq "-lv 'rawtracepoint:*': the same probes" "$all_raw" "$(grep -v '^    ' <<<"$OUT")"
nargs=$(grep -c '^    [^ ].* [A-Za-z_][A-Za-z0-9_]*$' <<<"$OUT")
if [ "$nargs" -gt "$nraw" ]; then pass "-lv 'rawtracepoint:*': their arguments ($nargs)"; else fail "-lv 'rawtracepoint:*': only $nargs arguments"; fi
listed=$(grep -c -E '^rawtracepoint:vmlinux:(sched_switch|sys_enter|sys_exit|sched_process_exec)$' <<<"$OUT")
expect_eq "common raw tracepoints are there" 4 "$listed"
# what -l lists, a script can attach
name=$(grep -m1 -E '^rawtracepoint:vmlinux:sched_process_exec$' <<<"$OUT")
run_sonde --dry-run -e "$name { @ = count(); }"
expect_eq "a listed raw tracepoint attaches ($name)" 0 "$RC"

run_sonde -l 'interval:*'
expect_eq "interval units" "interval:hz:
interval:ms:
interval:ns:
interval:s:
interval:us:" "$OUT"
run_sonde -lv 'profile:hz:*'
expect_eq "profile, -v adds nothing" "profile:hz:" "$OUT"
run_sonde -l 'BEGIN:*,END:*'
expect_eq "BEGIN and END list nothing" "0 " "$RC $OUT"

# where bpftrace's splitting of the definitions loses some, sonde does not
run_sonde -lv 'struct *'
defs=$(grep -cE '^struct .* \{(\};)?$' <<<"$OUT")
names=$("$SONDE" -l 'struct *' | wc -l)
if [ "$defs" -ge "$names" ]; then
	pass "a definition for every struct name ($defs >= $names)"
else
	fail "only $defs struct definitions for $names names"
fi
run_sonde -lv 'struct  nosuch_struct_x, struct fd'
expect_eq "spaces in a type pattern" "struct fd {
	long unsigned int word;
};" "$OUT"

# ---- -l with a script: the probes it would attach -------------------------------------
run_sonde -l -e 'tracepoint:sched:sched_switch { exit(); }'
expect_eq "-e: one probe" "tracepoint:sched:sched_switch" "$OUT"
run_sonde -l -e 'BEGIN { } t:sys*:*_nanosleep, interval:s:1 { @x = count(); } END { } i:100ms { }'
expect_eq "-e: wildcards expanded, aliases resolved, BEGIN/END left out" "tracepoint:syscalls:sys_enter_clock_nanosleep
tracepoint:syscalls:sys_enter_nanosleep
tracepoint:syscalls:sys_exit_clock_nanosleep
tracepoint:syscalls:sys_exit_nanosleep
interval:s:
interval:ms:" "$OUT"
run_sonde -lv -e 'tracepoint:syscalls:sys_enter_openat { }'
expect_eq "-lv -e: with the fields" "$(bpftrace -lv 'tracepoint:syscalls:sys_enter_openat' 2>/dev/null)" "$OUT"
run_sonde -l -e 'tracepoint:sched:sched_switch { @x = nosuch + "s"; }'
expect_eq "-e: the actions are not checked" "0 tracepoint:sched:sched_switch" "$RC $OUT"
printf 'interval:ms:10 { exit(); }\ntracepoint:syscalls:sys_enter_$1 { }\nrt:$2 { }\n' >"$TMP/script.bt"
run_sonde -l "$TMP/script.bt" read sched_switch
expect_eq "a script file with positional parameters" "interval:ms:
tracepoint:syscalls:sys_enter_read
rawtracepoint:vmlinux:sched_switch" "$OUT"
run_sonde -l - <<<'tracepoint:raw_syscalls:sys_exit { }'
expect_eq "a script on standard input (-)" "tracepoint:raw_syscalls:sys_exit" "$OUT"

# a wrong attach point: the error, and nothing listed
run_sonde -l -e 'interval:s:1 { } tracepoint:sched:sched_swich { }'
expect_eq "-e: a missing tracepoint: exit 1, nothing listed" "1 " "$RC $OUT"
expect_eq "-e: a missing tracepoint: the error" \
	"stdin:1:18: error: tracepoint 'sched:sched_swich' not found; did you mean 'sched:sched_switch'?" \
	"$(head -1 <<<"$ERR")"
run_sonde -l "$TMP/script.bt"
expect_eq "a script file without its parameter" \
	"$TMP/script.bt:2:31: error: positional parameter \$1 is not set (no parameters follow the program)" \
	"$(head -1 <<<"$ERR")"

# ---- errors in patterns and options ---------------------------------------------------
run_sonde -l 'tracepont:sched:*'
expect_eq "unknown type: exit 1" "1 " "$RC $OUT"
expect_eq "unknown type: suggestion, the pattern and a caret" \
	"stdin:1:1: error: unknown probe type 'tracepont'; did you mean 'tracepoint'?
tracepont:sched:*
^~~~~~~~~" "$ERR"
run_sonde -l 'interval:s:,syscalls:sys_enter_read'
expect_eq "a category without tracepoint: (second pattern)" \
	"1 interval:s:
stdin:1:13: error: unknown probe type 'syscalls'; did you mean 'tracepoint:syscalls:sys_enter_read'?" \
	"$RC $OUT
$(head -1 <<<"$ERR")"
run_sonde -l 'bench:vfs_*'
expect_eq "a type sonde lacks" "stdin:1:1: error: probe type 'bench' is not supported by sonde yet" \
	"$(head -1 <<<"$ERR")"
run_sonde -l nosuch_script.bt
expect_eq "a missing script file: warned, listed as a pattern" "0 
WARNING: It appears that 'nosuch_script.bt' is a filename but the file does not exist. Treating 'nosuch_script.bt' as a search pattern." \
	"$RC $OUT
$ERR"
run_sonde -l --no-warnings nosuch_script.bt
expect_eq "--no-warnings drops that warning" "0 " "$RC $ERR"
run_sonde -l 'tracepoint:sched:*' 'interval:*'
expect_eq "two patterns" "1 sonde: -l takes one pattern (several are separated by ','), not also 'interval:*'" "$RC $ERR"
run_sonde -l -c true 'interval:*'
expect_eq "-l with -c" "1 sonde: -c cannot be used with -l" "$RC $ERR"
run_sonde -l -p 2147483647 'interval:*'
expect_eq "-p of a process that does not exist" "1 sonde: -p: there is no process 2147483647" "$RC $ERR"
run_sonde -l -p $$ 't:raw_syscalls:sys_enter'
expect_eq "-p with a kernel pattern" "0 tracepoint:raw_syscalls:sys_enter" "$RC $OUT"
# the program's uprobes: '*' as the binary means the files the -p process maps
sleep 60 &
SLEEPER=$!
run_sonde -l -e 'uretprobe:*:clock_nanosleep { exit(); }' --pid $SLEEPER
kill $SLEEPER
expect_match "-l -e with a binary wildcard and --pid" '^0 uretprobe:/[^ ]*libc[^ ]*:clock_nanosleep$' "$RC $OUT"

finish
