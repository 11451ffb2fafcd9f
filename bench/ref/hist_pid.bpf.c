/* hist_pid.bpf.c - reference for
 *   tracepoint:raw_syscalls:sys_enter /pid == N/ { @ = hist(nsecs & 0xff); }
 * N is set by the loader in .rodata before load, so the verifier sees it as a
 * constant; buckets follow bpftrace's hist(): 0 for negatives, 1 for zero,
 * 2 + floor(log2(v)) otherwise. */
#include "common.h"

const volatile __u32 target_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} counts SEC(".maps");

/* Branch-light floor(log2(v)) for v > 0: six halving steps cover 64 bits. */
static __always_inline __u64 log2_floor(__u64 v)
{
	__u64 result = 0, shift;
	shift = (v > 0xffffffffULL) << 5; v >>= shift; result |= shift;
	shift = (v > 0xffffULL) << 4;     v >>= shift; result |= shift;
	shift = (v > 0xffULL) << 3;       v >>= shift; result |= shift;
	shift = (v > 0xfULL) << 2;        v >>= shift; result |= shift;
	shift = (v > 0x3ULL) << 1;        v >>= shift; result |= shift;
	result |= v >> 1;
	return result;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int hist_pid(struct sys_enter_ctx *ctx)
{
	(void)ctx;
	if ((bpf_get_current_pid_tgid() >> 32) != target_pid)
		return 0;
	__s64 value = (__s64)(bpf_ktime_get_ns() & 0xff);
	__u64 bucket = value < 0 ? 0 : value == 0 ? 1 : 2 + log2_floor((__u64)value);
	count_in_place(&counts, &bucket, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
