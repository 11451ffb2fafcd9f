/* count_comm.bpf.c - reference for
 *   tracepoint:raw_syscalls:sys_enter { @[comm] = count(); } */
#include "comm_counts.h"

SEC("tracepoint/raw_syscalls/sys_enter")
int count_comm(struct sys_enter_ctx *ctx)
{
	(void)ctx;
	struct comm_key key = {};
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	count_in_place(&counts, &key, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
