/* count_pid.bpf.c - reference for
 *   tracepoint:raw_syscalls:sys_enter { @[pid] = count(); } */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int count_pid(struct sys_enter_ctx *ctx)
{
	(void)ctx;
	__u64 pid = bpf_get_current_pid_tgid() >> 32;
	count_in_place(&counts, &pid, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
