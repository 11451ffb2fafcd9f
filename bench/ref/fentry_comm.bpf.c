/* fentry_comm.bpf.c - reference for
 *   fentry:vfs_read { @[comm] = count(); }
 * as an fentry program (BPF trampoline; libbpf finds vfs_read in the kernel's BTF). */
#include "comm_counts.h"

SEC("fentry/vfs_read")
int fentry_comm(unsigned long long *ctx)
{
	(void)ctx;
	struct comm_key key = {};
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	count_in_place(&counts, &key, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
