/* comm_counts.h - the @[comm] = count() map the comm reference programs share
 * (tracepoint, kprobe and fentry forms of the same script). */
#ifndef BENCH_REF_COMM_COUNTS_H
#define BENCH_REF_COMM_COUNTS_H

#include "common.h"

struct comm_key {
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct comm_key);
	__type(value, __u64);
} counts SEC(".maps");

#endif
