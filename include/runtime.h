/* runtime.h - loading, attaching, the event loop and printing (runtime/).
 *
 * Works from struct compiled alone (ELF + description): no AST, no LLVM.
 * rt_run() may be called many times in one process: it keeps no state
 * between runs and frees and detaches everything before it returns. */
#ifndef SONDE_RUNTIME_H
#define SONDE_RUNTIME_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "desc.h"
#include "diag.h"

struct rt_options {
	FILE *out;                 /* stdout or the -o file */
	pid_t filter_pid;          /* -p PID, 0 = none */
	const char *cmd;           /* -c CMD, NULL = none */
	bool quiet;                /* -q: no "Attaching N probes..." */
	bool verbose;              /* -v */
	bool dry_run;              /* --dry-run: load and attach, then detach and exit */
	const struct source *src;  /* for verifier/attach messages on script lines; may be NULL */
};

/* Run until exit(), SIGINT/SIGTERM or the -c child ends; run END, print
 * maps, detach. Returns the process exit code. */
int rt_run(const struct compiled *c, const struct rt_options *o);

/* ---- output (runtime/printf.c, runtime/maps.c) --------------------------- */

/* Format one printf record with bpftrace's semantics. */
void rt_format_printf(FILE *out, const struct desc_printf *pf, const void *payload, size_t size);

/* A map read from the kernel, per-CPU values already combined. */
struct rt_map_entry {
	void *key;            /* user key bytes (desc_map.key_size), owned */
	int64_t value;        /* MAP_PLAIN int / count / sum / min / max / avg (total/count) */
	uint64_t count;       /* avg / stats: number of samples */
	int64_t total;        /* avg / stats: sum of samples */
	char *str;            /* MAP_PLAIN string value, owned */
	uint64_t *buckets;    /* hist: SONDE_HIST_BUCKETS; lhist: (max-min)/step + 2; owned */
	int nbuckets;
};
struct rt_map_snapshot {
	const struct desc_map *map;
	struct rt_map_entry *entries;
	int n;
};
/* Read map `fd` (per-CPU maps summed over ncpus possible CPUs). */
int rt_map_read(const struct desc_map *m, int fd, int ncpus, struct rt_map_snapshot *out);
void rt_map_snapshot_free(struct rt_map_snapshot *s);
/* Print in bpftrace's text format; top > 0 keeps the top N entries, div > 0 divides values. */
void rt_map_print(FILE *out, const struct rt_map_snapshot *s, int64_t top, int64_t div);
int rt_map_clear(const struct desc_map *m, int fd);
int rt_map_zero(const struct desc_map *m, int fd, int ncpus);

#endif
