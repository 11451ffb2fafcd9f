/* count_ppid_chain.bpf.c - reference for
 *   tracepoint:raw_syscalls:sys_enter { @[curtask->real_parent->tgid] = count(); }
 * A 3-deep chain (task -> real_parent -> tgid) read as a careful human
 * writes it with libbpf CO-RE: the two fields declared with
 * preserve_access_index, so libbpf relocates their offsets against the
 * running kernel's BTF at load time; no vmlinux.h needed. */
#include "common.h"
#include <bpf/bpf_core_read.h>

struct task_struct {
	struct task_struct *real_parent;
	int tgid;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __s64);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int count_ppid_chain(struct sys_enter_ctx *ctx)
{
	(void)ctx;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__s64 tgid = BPF_CORE_READ(task, real_parent, tgid);
	count_in_place(&counts, &tgid, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
