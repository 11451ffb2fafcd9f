# Syscall tracepoints lowered to the raw tracepoints sys_enter/sys_exit
# (probes/syscalls.c, codegen/lower.c): the programs really are raw
# tracepoint programs, and every value they see (counts, args.<field>,
# probe, the syscall number) is exactly what the perf-event tracepoint
# path gives. SONDE_RAW_LOWERING=1 forces the lowering and =0 turns it
# off, so each script runs both ways and the outputs are compared byte for
# byte. Without the variable, sema lowers only where it pays.
. "$(dirname "$0")/lib.bash"

DD='/usr/bin/dd if=/dev/zero of=/dev/null bs=1 count=5000 status=none'
snapshot_bpf

# same_both_ways NAME ARGS...: sonde with and without lowering, same stdout.
same_both_ways() {
	local name=$1 lowered
	shift
	SONDE_RAW_LOWERING=1 run_sonde "$@"
	lowered=$OUT
	SONDE_RAW_LOWERING=0 run_sonde "$@"
	expect_eq "$name: same as the tracepoint path" "$OUT" "$lowered"
	OUT=$lowered
}

# ---- the programs are raw tracepoint programs ---------------------------

SONDE_RAW_LOWERING=1 "$SONDE" -v -e 'tracepoint:syscalls:sys_enter_read, tracepoint:syscalls:sys_exit_read,
	tracepoint:raw_syscalls:sys_enter { @ = count(); }' >/dev/null 2>"$TMP/v.err" &
tracer=$!
wait_until 20 file_has "$TMP/v.err" 'attached tracepoint:raw_syscalls:sys_enter \(program id'
enter_id=$(sed -nE 's/^sonde: attached tracepoint:syscalls:sys_enter_read \(program id ([0-9]+)\)$/\1/p' "$TMP/v.err")
exit_id=$(sed -nE 's/^sonde: attached tracepoint:syscalls:sys_exit_read \(program id ([0-9]+)\)$/\1/p' "$TMP/v.err")
raw_id=$(sed -nE 's/^sonde: attached tracepoint:raw_syscalls:sys_enter \(program id ([0-9]+)\)$/\1/p' "$TMP/v.err")
expect_match "sys_enter_read is a raw_tracepoint program" "^$enter_id: raw_tracepoint " \
	"$(bpftool prog show id "${enter_id:-0}" 2>&1)"
expect_match "sys_exit_read is a raw_tracepoint program" "^$exit_id: raw_tracepoint " \
	"$(bpftool prog show id "${exit_id:-0}" 2>&1)"
expect_eq "raw_syscalls:sys_enter shares the sys_enter program" "$enter_id" "$raw_id"
links=$(bpftool link list 2>/dev/null | grep -A1 -E "prog ($enter_id|$exit_id) *\$")
expect_match "attached to the raw tracepoint sys_enter" "tp 'sys_enter'" "$links"
expect_match "attached to the raw tracepoint sys_exit" "tp 'sys_exit'" "$links"
expect_eq "one link per raw tracepoint" 2 "$(printf '%s\n' "$links" | grep -c "tp '")"
kill -INT "$tracer"
wait "$tracer"
expect_eq "it ends normally" 0 "$?"
expect_match "\"Attaching\" counts the probes as written" '^Attaching 3 probes\.\.\.$' \
	"$("$SONDE" --dry-run -e 'tracepoint:syscalls:sys_enter_read, tracepoint:syscalls:sys_exit_read,
		tracepoint:raw_syscalls:sys_enter { @ = count(); }' 2>&1)"

# ---- when lowering pays (no SONDE_RAW_LOWERING) ---------------------------

# prog_type_of SCRIPT PROBE: the BPF program type PROBE is attached with.
prog_type_of() {
	"$SONDE" -v -e "$1 interval:s:120 { exit(); }" >/dev/null 2>"$TMP/type.err" &
	local tracer=$! id
	wait_until 100 file_has "$TMP/type.err" "attached $2 "
	id=$(sed -nE "s/^sonde: attached $2 \\(program id ([0-9]+)\\)$/\\1/p" "$TMP/type.err")
	bpftool prog show id "${id:-0}" 2>/dev/null | sed -nE 's/^[0-9]+: ([a-z_]+) .*/\1/p' | head -1
	kill -INT "$tracer"
	wait "$tracer"
}
expect_eq "one syscall probe stays a perf-event tracepoint" tracepoint \
	"$(prog_type_of 't:syscalls:sys_enter_read { @ = count(); }' tracepoint:syscalls:sys_enter_read)"
expect_eq "with raw_syscalls:sys_enter it joins the raw program" raw_tracepoint \
	"$(prog_type_of 't:syscalls:sys_enter_read, t:raw_syscalls:sys_enter { @ = count(); }' tracepoint:syscalls:sys_enter_read)"
expect_eq "three syscall probes are lowered" raw_tracepoint \
	"$(prog_type_of 't:syscalls:sys_enter_read, t:syscalls:sys_enter_write, t:syscalls:sys_exit_read { @ = count(); }' tracepoint:syscalls:sys_exit_read)"
expect_eq "raw_syscalls alone is lowered" raw_tracepoint \
	"$(prog_type_of 't:raw_syscalls:sys_exit { @ = count(); }' tracepoint:raw_syscalls:sys_exit)"

# ---- exact counts and argument values ------------------------------------

same_both_ways "sys_enter_read args" -q -c "$DD" -e 'tracepoint:syscalls:sys_enter_read /pid == cpid/ {
	@reads = count(); @bytes = sum(args.count); @fd[args.fd] = count(); @nr[args->__syscall_nr] = count(); }'
expect_match "sys_enter_read: 5003 reads" '^@reads: 5003$' "$OUT"
expect_match "sys_enter_read: 5000 from fd 0" '^@fd\[0\]: 5000$' "$OUT"
expect_match "sys_enter_read: __syscall_nr is 0" '^@nr\[0\]: 5003$' "$OUT"

same_both_ways "sys_exit_read ret" -q -c "$DD" -e 'tracepoint:syscalls:sys_exit_read /pid == cpid/ {
	@ret[args.ret] = count(); @nr[args.__syscall_nr] = count(); }'
expect_match "sys_exit_read: 5001 reads returned 1" '^@ret\[1\]: 5001$' "$OUT"
# (one more exit than entries: the -c child is held in a read() until attached)
expect_match "sys_exit_read: the number comes from orig_ax" '^@nr\[0\]: 500[34]$' "$OUT"

same_both_ways "sys_enter_write fd == 1" -q -c "$DD" -e 'tracepoint:syscalls:sys_enter_write /pid == cpid && args.fd == 1/ {
	@writes = count(); @sizes = hist(args.count); }'
expect_match "sys_enter_write: 5000 writes to fd 1" '^@writes: 5000$' "$OUT"

# (only dd's own arguments: other file names may sit in pages not yet
# faulted in, which read as "" in either path)
OPENAT='tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @[str(args.filename)] = count(); }'
run_sonde -q -c "$DD" -e "$OPENAT"
lowered=$(printf '%s\n' "$OUT" | grep '/dev/')
SONDE_RAW_LOWERING=0 run_sonde -q -c "$DD" -e "$OPENAT"
expect_eq "user strings through pointer args: same as the tracepoint path" \
	"$(printf '%s\n' "$OUT" | grep '/dev/')" "$lowered"
expect_match "openat filename /dev/zero" '^@\[/dev/zero\]: 1$' "$lowered"

same_both_ways "lseek: six-argument layout, signed and unsigned" -q -c "$DD" -e 'tracepoint:syscalls:sys_enter_lseek /pid == cpid/ {
	@[args.fd, args.offset, args.whence] = count(); }
	tracepoint:syscalls:sys_exit_lseek /pid == cpid/ { @ret[args.ret] = count(); }'

same_both_ways "probe and several attach points" -q -c "$DD" -e 'tracepoint:syscalls:sys_enter_read, t:syscalls:sys_enter_write,
	tracepoint:syscalls:sys_exit_write /pid == cpid/ { @[probe] = count(); }'
expect_eq "probe names the tracepoint as written" "

@[tracepoint:syscalls:sys_enter_read]: 5003
@[tracepoint:syscalls:sys_enter_write]: 5000
@[tracepoint:syscalls:sys_exit_write]: 5000" "$(printf '%s\n' "$OUT" | sort)"

same_both_ways "raw_syscalls args.id and args.ret" -q -c "$DD" -e 'tracepoint:raw_syscalls:sys_enter /pid == cpid/ {
	@enter[args.id] = count(); } tracepoint:raw_syscalls:sys_exit /pid == cpid && args.id == 0/ { @read_ret[args.ret] = count(); }'
expect_match "raw_syscalls:sys_enter id 0: 5003" '^@enter\[0\]: 5003$' "$OUT"
expect_match "raw_syscalls:sys_enter id 1: 5000" '^@enter\[1\]: 5000$' "$OUT"
expect_match "raw_syscalls:sys_exit read ret 1: 5001" '^@read_ret\[1\]: 5001$' "$OUT"

# one program: raw_syscalls (every number) and a syscall in one dispatch
same_both_ways "raw_syscalls and syscalls in one program" -q -c "$DD" -e 'tracepoint:raw_syscalls:sys_enter /pid == cpid/ { @all = count(); }
	tracepoint:syscalls:sys_enter_write /pid == cpid/ { @writes = count(); $x = args.count; @bytes = sum($x); }
	tracepoint:syscalls:sys_enter_read /pid == cpid/ { @reads = count(); }'
expect_match "every syscall counted once" '^@writes: 5000$' "$OUT"

# renamed functions and syscalls newer than the build machine's header
if command -v perl >/dev/null; then
	same_both_ways "aliased and newer syscall numbers" -q -c "perl -e 'syscall(4, 0, 0); syscall(166, 0, 0); syscall(451, -1, 0, 0, 0, 0); syscall(462, 0, 0, 0)'" \
		-e 'tracepoint:syscalls:sys_enter_newstat, tracepoint:syscalls:sys_enter_umount, tracepoint:syscalls:sys_exit_umount,
		tracepoint:syscalls:sys_enter_cachestat, tracepoint:syscalls:sys_enter_mseal /pid == cpid/ { @[probe, args.__syscall_nr] = count(); }'
	expect_match "sys_enter_newstat is syscall 4" '^@\[tracepoint:syscalls:sys_enter_newstat, 4\]: [1-9]' "$OUT"
	expect_match "sys_exit_umount is syscall 166" '^@\[tracepoint:syscalls:sys_exit_umount, 166\]: 1$' "$OUT"
else
	echo "SKIP: perl not installed: aliased syscall numbers"
fi

# ---- many tracepoints, wildcards -----------------------------------------

script=""
for s in read write openat close mmap munmap brk ioctl getpid getppid nanosleep clock_nanosleep \
	epoll_wait futex lseek pread64 pwrite64 newfstatat dup pipe2; do
	script+="tracepoint:syscalls:sys_enter_$s { @[probe] = count(); }
"
done
run_sonde -e "$script interval:ms:100 { printf(\"done\\n\"); exit(); }"
expect_eq "20 syscall tracepoints + interval: exit code" 0 "$RC"
expect_match "20 syscall tracepoints + interval: all attached" '^Attaching 21 probes\.\.\.$' "$OUT"
expect_match "20 syscall tracepoints + interval: exits" '^done$' "$OUT"

run_sonde -q -c "$DD" -e 'tracepoint:syscalls:sys_enter_* /pid == cpid/ { @[probe] = count(); }'
expect_eq "sys_enter_* with probe: exit code" 0 "$RC"
expect_match "sys_enter_* sees every read" '^@\[tracepoint:syscalls:sys_enter_read\]: 5003$' "$OUT"
expect_match "sys_enter_* sees every write" '^@\[tracepoint:syscalls:sys_enter_write\]: 5000$' "$OUT"

run_sonde -q -c "$DD" -e 'tracepoint:syscalls:sys_exit_* /pid == cpid/ { @ = count(); @ok[args.ret >= 0] = count(); }'
expect_eq "sys_exit_* shared body: exit code" 0 "$RC"
expect_match "sys_exit_* counts at least every read and write" '^@: (1[0-9]{4})$' "$OUT"

run_sonde -v --dry-run -e 'tracepoint:syscalls:sys_enter_* { @[probe] = count(); }'
ids=$(printf '%s\n' "$ERR" | sed -nE 's/^sonde: attached .* \(program id ([0-9]+)\)$/\1/p' | sort -u | wc -l)
nprobes=$(printf '%s\n' "$ERR" | grep -c '^sonde: attached ')
if [ "$nprobes" -gt 300 ] && [ "$ids" -lt 10 ]; then
	pass "sys_enter_*: $nprobes probes in $ids programs"
else
	fail "sys_enter_*: $nprobes probes in $ids programs (expected > 300 probes in a few programs)"
	printf '%s\n' "$ERR" | tail -5 | sed 's/^/    /'
fi

# ---- what the user sees does not change ---------------------------------

run_sonde -e 'tracepoint:syscalls:sys_enter_read { @ = args.nope; }'
lowered_err=$ERR
SONDE_RAW_LOWERING=0 run_sonde -e 'tracepoint:syscalls:sys_enter_read { @ = args.nope; }'
expect_eq "errors are the same" "$ERR" "$lowered_err"

run_sonde -e 'tracepoint:syscalls:sys_enter_read { @ = arg0; }'
expect_match "argN stays unavailable in tracepoint probes" "builtin 'arg0' is not available in tracepoint probes" "$ERR"

# more than 64 separate probes: several raw programs on sys_enter (LLVM
# compiles one huge function superlinearly), every count still exact
names=$( (echo sys_enter_read; echo sys_enter_write; ls /sys/kernel/tracing/events/syscalls | grep '^sys_enter_') | awk '!seen[$0]++' | head -70)
script=""
for n in $names; do script+="tracepoint:syscalls:$n /pid == cpid/ { @[probe] = count(); }
"; done
SONDE_RAW_LOWERING=1 run_sonde -v -q -c "$DD" -e "$script"
expect_match "70 probes: read counted exactly" '^@\[tracepoint:syscalls:sys_enter_read\]: 5003$' "$OUT"
expect_match "70 probes: write counted exactly" '^@\[tracepoint:syscalls:sys_enter_write\]: 5000$' "$OUT"
expect_eq "70 probes: two raw programs" 2 \
	"$(sed -nE 's/^sonde: attached tracepoint:syscalls:sys_enter_.* \(program id ([0-9]+)\)$/\1/p' <<<"$ERR" | sort -u | wc -l)"

expect_nothing_left "raw lowering"
finish
