# Tracepoint fields holding negative values (and values with the top bit
# set) in every integer width the formats declare, read through both the
# perf-event tracepoint path and the lowered raw-tracepoint path
# (SONDE_RAW_LOWERING=0/1). `syscaller negatives` makes each event once:
#
#   field                                     format            value
#   syscalls:sys_enter_wait4 upid             pid_t, size 8 u   0x00000000ffffffff (wait4(-1))
#   syscalls:sys_enter_openat dfd             int, size 8 u     0x00000000ffffff9c (AT_FDCWD)
#   syscalls:sys_enter_kill pid               pid_t, size 8 u   -999999 sign-extended
#   syscalls:sys_enter_lseek offset           off_t, size 8 u   -5 sign-extended
#   syscalls:sys_exit_* ret                   long, size 8 s    -ECHILD, -ESRCH, ...
#   signal:signal_generate/deliver code       int, size 4 s     SI_TKILL = -6
#   task:task_rename oom_score_adj            short, size 2 s   -500 with CAP_SYS_RESOURCE
#   io_uring:io_uring_req_failed flags/ioprio u8, size 1 u      128, 255
#     buf_index/personality                   u16, size 2 u     65535, 65534
#     len/file_index                          u32, size 4 u     0xffffffff, 0xfffffffd
#     off                                     u64, size 8 u     -1
#     error                                   int, size 4 s     -EINVAL
#
# Types come from the format's size: and signed: columns, as in the latest
# bpftrace; 0.17 took them from the C type. Where that makes no difference
# the output is compared with bpftrace 0.17 byte for byte; where it does
# (8-byte unsigned slots holding a sign-extended value, printed as map
# keys), the expected text is the latest bpftrace's.
. "$(dirname "$0")/lib.bash"
need_syscaller
snapshot_bpf

WORKLOAD="$SYSCALLER negatives"

# ---- the same as bpftrace 0.17 ------------------------------------------------

SYSCALLS='
tracepoint:syscalls:sys_enter_wait4 /pid == cpid/ {
	printf("wait4 upid %d %u %ld %lu %x %hd %hhd\n", args->upid, args->upid, args->upid,
	       args->upid, args->upid, args->upid, args->upid);
	@upid[args->upid] = count();
}
tracepoint:syscalls:sys_exit_wait4 /pid == cpid/ {
	printf("wait4 ret %d %ld %u %lu\n", args->ret, args->ret, args->ret, args->ret);
	@ret[args->ret] = count();
}
tracepoint:syscalls:sys_enter_kill /pid == cpid/ {
	printf("kill pid %d %ld %lu %x sig %d\n", args->pid, args->pid, args->pid, args->pid, args->sig);
}
tracepoint:syscalls:sys_exit_kill /pid == cpid/ { @kill_ret = args->ret; }
tracepoint:syscalls:sys_enter_openat /pid == cpid/ {
	printf("openat dfd %d %ld %lu %hd %hhd\n", args->dfd, args->dfd, args->dfd, args->dfd, args->dfd);
	@dfd[args->dfd] = count();
}
tracepoint:syscalls:sys_enter_lseek /pid == cpid/ {
	printf("lseek offset %d %ld %lu whence %d\n", args->offset, args->offset, args->offset, args->whence);
}
tracepoint:syscalls:sys_exit_lseek /pid == cpid/ { printf("lseek ret %d\n", args->ret); @lseek_ret = args->ret; }'

OTHERS='
tracepoint:signal:signal_generate /pid == cpid && args->sig == 12/ {
	printf("generate code %d %u %ld %lu\n", args->code, args->code, args->code, args->code);
	@code[args->code] = count();
}
tracepoint:signal:signal_deliver /pid == cpid && args->sig == 12/ {
	printf("deliver code %d\n", args->code);
	@deliver_code = args->code;
}
tracepoint:task:task_rename /pid == cpid/ {
	printf("rename %s %d %hd\n", args->newcomm, args->oom_score_adj, args->oom_score_adj);
	@oom[args->oom_score_adj] = count();
}'

IO_URING='
tracepoint:io_uring:io_uring_req_failed /pid == cpid/ {
	printf("flags %d %u %hhd %hhu ioprio %d\n", args->flags, args->flags, args->flags, args->flags,
	       args->ioprio);
	printf("buf_index %d %hd %u personality %d\n", args->buf_index, args->buf_index, args->buf_index,
	       args->personality);
	printf("len %d %u %lu file_index %d %lu\n", args->len, args->len, args->len, args->file_index,
	       args->file_index);
	printf("off %d %ld %lu error %d %ld %u\n", args->off, args->off, args->off, args->error,
	       args->error, args->error);
	@flags[args->flags] = count();
	@u16[args->buf_index, args->personality] = count();
	@u32[args->len] = count();
	@error[args->error] = count();
}'

for lowering in 0 1; do
	export SONDE_RAW_LOWERING=$lowering
	same_as_bpftrace "syscall fields (lowering $lowering)" -c "$WORKLOAD" -e "$SYSCALLS"
done
unset SONDE_RAW_LOWERING
same_as_bpftrace "signal and task fields" -c "$WORKLOAD" -e "$OTHERS"

if [ -d /sys/kernel/tracing/events/io_uring/io_uring_req_failed ] &&
	[ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" = 0 ]; then
	same_as_bpftrace "io_uring fields of 1, 2, 4 and 8 bytes" -c "$WORKLOAD" -e "$IO_URING"
	run_sonde -c "$WORKLOAD" -e "$IO_URING"
	expect_match "the io_uring event happened" '^off -1 -1 18446744073709551615 error -22 -22 4294967274$' "$OUT"
else
	echo "SKIP: io_uring:io_uring_req_failed unavailable; its u8/u16/u32 fields are not tested"
fi

# The exact values, so that a bpftrace that printed nothing cannot make the
# comparisons above pass.
SONDE_RAW_LOWERING=1 run_sonde -q -c "$WORKLOAD" -e "$SYSCALLS"
expect_match "wait4(-1): %d is -1, the slot is 0xffffffff" \
	'^wait4 upid -1 4294967295 4294967295 4294967295 ffffffff -1 -1$' "$OUT"
expect_match "openat dfd AT_FDCWD" '^openat dfd -100 4294967196 4294967196 -100 -100$' "$OUT"
expect_match "kill pid -999999 sign-extended" '^kill pid -999999 -999999 18446744073708551617 fff0bdc1 sig 0$' "$OUT"
expect_match "lseek offset -5" '^lseek offset -5 -5 18446744073709551611 whence 0$' "$OUT"
expect_match "exit ret is -errno" '^wait4 ret -10 -10 4294967286 18446744073709551606$' "$OUT"
run_sonde -q -c "$WORKLOAD" -e "$OTHERS"
expect_match "signal code SI_TKILL" '^generate code -6 4294967290 -6 18446744073709551610$' "$OUT"

# A short that is negative needs CAP_SYS_RESOURCE to lower oom_score_adj.
if (echo -1 >/proc/self/oom_score_adj) 2>/dev/null; then
	expect_match "oom_score_adj -500 (2-byte signed)" '^rename negatives -500 -500$' "$OUT"
else
	echo "note: no CAP_SYS_RESOURCE, so oom_score_adj stays 0; the 2-byte signed read is checked in the IR below"
	expect_match "oom_score_adj 0" '^rename negatives 0 0$' "$OUT"
fi

# 1- and 2-byte signed fields are sign-extended from their own width; no
# workload can make the kernel's s8 fields (kvm, ras) fire.
for spec in 'ras:mc_event top_layer i8' 'task:task_rename oom_score_adj i16'; do
	read -r tp field width <<<"$spec"
	"$SONDE" --emit-elf "$TMP/x.o" --emit-llvm "$TMP/x.ll" -e "tracepoint:$tp { @ = sum(args.$field); }" 2>&1
	expect_match "$tp $field is loaded as $width and sign-extended" "sext $width %[0-9]+ to i64" \
		"$(cat "$TMP/x.ll" 2>&1)"
done

# ---- where 0.17 and the latest bpftrace differ: the latest --------------------

# kill's pid and lseek's offset sit in 8-byte slots the format declares
# unsigned (signed:0). The latest bpftrace types them uint64 and prints
# them unsigned as map keys and values; 0.17 took `off_t` as signed and
# printed every integer map key as signed (@[-999999], @[-5]). printf("%d")
# and "%ld" print -999999 and -5 in both.
SIGN_EXTENDED='
tracepoint:syscalls:sys_enter_kill /pid == cpid/ { @pid[args.pid] = count(); @pid_value = args.pid; @pid_negative = args.pid < 0; }
tracepoint:syscalls:sys_enter_lseek /pid == cpid/ { @offset[args.offset] = count(); @offset_value = args.offset; }'
EXPECTED='@offset[18446744073709551611]: 1
@offset_value: 18446744073709551611
@pid[18446744073708551617]: 1
@pid_negative: false
@pid_value: 18446744073708551617'
for lowering in 0 1; do
	SONDE_RAW_LOWERING=$lowering run_sonde -q -c "$WORKLOAD" -e "$SIGN_EXTENDED"
	expect_eq "unsigned 8-byte slots as map keys and values (lowering $lowering)" "$EXPECTED" \
		"$(printf '%s\n' "$OUT" | grep .)"
done

expect_nothing_left "tracepoint fields"
finish
