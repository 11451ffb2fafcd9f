/* kprobe_comm.bpf.c - reference for
 *   kprobe:vfs_read { @[comm] = count(); }
 * as a kprobe (struct pt_regs context). */
#include "comm_counts.h"

SEC("kprobe/vfs_read")
int kprobe_comm(void *ctx)
{
	(void)ctx;
	struct comm_key key = {};
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	count_in_place(&counts, &key, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
