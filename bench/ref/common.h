/* common.h - what the reference BPF programs share: the raw_syscalls:sys_enter
 * context, defined by hand from
 * /sys/kernel/tracing/events/raw_syscalls/sys_enter/format so no vmlinux.h or
 * kernel headers are needed, and the per-CPU in-place count update every
 * reference program uses (the cheapest exact aggregation: no atomics, no
 * second map operation, one hash lookup when the key exists). */
#ifndef BENCH_REF_COMMON_H
#define BENCH_REF_COMMON_H

#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct sys_enter_ctx {
	__u64 common; /* common_type, common_flags, common_preempt_count, common_pid */
	long id;
	unsigned long args[6];
};

/* Per-CPU value: add in place if present, else insert; a racing insert of
 * the same key on this CPU cannot happen (programs do not nest on one CPU for
 * one tracepoint), so BPF_NOEXIST failing only means someone else won. */
static __always_inline void count_in_place(void *map, const void *key, __u64 add)
{
	__u64 *value = bpf_map_lookup_elem(map, key);
	if (value) {
		*value += add;
		return;
	}
	bpf_map_update_elem(map, key, &add, BPF_NOEXIST);
}

#endif
