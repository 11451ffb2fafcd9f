/* runtime.h - loading, attaching, the event loop and printing (runtime/).
 *
 * Works from struct compiled alone (ELF + description): no AST, no LLVM.
 * rt_run() may be called many times in one process: it keeps no state
 * between runs and frees and detaches everything before it returns. */
#ifndef SONDE_RUNTIME_H
#define SONDE_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "builtins.h"
#include "desc.h"
#include "diag.h"
#include "output.h"

enum rt_format { RT_FORMAT_TEXT, RT_FORMAT_JSON };

struct rt_options {
	FILE *out;                 /* stdout or the -o file */
	enum rt_format format;     /* -f text | json */
	pid_t filter_pid;          /* -p PID, 0 = none; its exit ends the run */
	const char *cmd;           /* -c CMD, NULL = none */
	bool quiet;                /* -q: no "Attaching N probes..." */
	bool verbose;              /* -v */
	bool dry_run;              /* --dry-run: load and attach, then detach and exit */
	bool no_warnings;          /* --no-warnings: warnf() prints nothing */
	const struct source *src;  /* for verifier/attach messages on script lines; may be NULL */
	/* bpftrace's settings (src/main.c reads them from the environment);
	 * 0 = what the object was compiled with, or the default */
	uint32_t max_map_keys;     /* BPFTRACE_MAX_MAP_KEYS: keys a map holds */
	uint32_t ringbuf_pages;    /* BPFTRACE_PERF_RB_PAGES: the ring buffer's size in pages */
	uint32_t log_size;         /* BPFTRACE_LOG_SIZE: bytes of verifier log kept on failure */
	bool no_maps_at_exit;      /* print_maps_on_exit=false: maps are not printed at exit */
	uint32_t max_cat_bytes;    /* max_cat_bytes: what cat() prints of a file; 0 = 10240 */
	const char *metrics;       /* --metrics [ADDR:]PORT: serve the maps to Prometheus; NULL = no */
	uint32_t metrics_max_series; /* series per scrape; 0 = the default (runtime/metrics.c) */
	/* The shell's .maps: at the normal end the maps are also printed here,
	 * as text, whatever -f and print_maps_on_exit say; NULL = not. */
	FILE *maps_copy;
};

/* str_trunc_trailer: a string that filled its buffer (it was cut) is
 * printed with this after it (runtime/value.c keeps a copy; NULL: "..").
 * Process-wide, set before rt_run(). */
void rt_set_str_trunc_trailer(const char *trailer);
const char *rt_str_trunc_trailer(void);
/* cat() prints at most n bytes of a file (0: 10240); rt_run() applies
 * its option. */
void rt_set_max_cat_bytes(uint32_t n);

/* Bounds of those settings. Map keys: every entry is preallocated, so the
 * bound keeps a typo from asking gigabytes per map. Ring buffer: its size
 * is a u32 power of two. Verifier log: the kernel's own bounds. */
#define RT_MAX_MAP_KEYS_LIMIT (1u << 24)
#define RT_RINGBUF_MAX_BYTES (1u << 31)
#define RT_LOG_SIZE_MIN 128u
#define RT_LOG_SIZE_MAX (UINT32_MAX >> 2)
/* The verifier keeps the tail of its log when the buffer is too small
 * (6.4+), and the tail is what names the failing statement. */
#define RT_DEFAULT_LOG_SIZE (1u << 20)

/* Run until exit(), SIGINT/SIGTERM, the -c child ends or the -p process
 * exits; run END, print maps, detach. Returns the process exit code (1
 * at once when the -p process does not exist). */
int rt_run(const struct compiled *c, const struct rt_options *o);

/* ---- output (runtime/printf.c, runtime/maps.c) --------------------------- */

/* Format one printf record with bpftrace's semantics into out. */
void rt_format_printf(FILE *out, const struct desc_printf *pf, const void *payload, size_t size);
/* A record of time(), cat(), system(), errorf(), warnf() or join()
 * (pf->action): formatted and done (runtime/actions.c); src (NULL: "stdin")
 * names the script, or the imported file a line came from, for
 * errorf()/warnf() and -k's helper errors. */
void rt_printf_action(struct rt_output *o, const struct desc_printf *pf, const void *payload,
		      size_t size, const struct source *src, bool no_warnings);
/* The conversions rt_format_printf() will consume arguments for, in order:
 * 's', one of "diuoxXcp" (integers), or a buffer's RT_CONV_BUF_* (%r, %rx,
 * %rh). Returns how many there are (stores at
 * most max of them in convs, which may be NULL). "%%" and anything that is
 * not a conversion we format ("%f", "%*d", ...) take no argument and are
 * printed as written. For sema's argument checks, so both sides agree. */
int rt_printf_conversions(const char *fmt, char *convs, int max);
#define RT_CONV_BUF 'r'       /* %r: printable bytes as they are, others \xNN */
#define RT_CONV_BUF_HEX 'R'   /* %rx: every byte \xNN */
#define RT_CONV_BUF_SPACED 'H' /* %rh: every byte as hex, separated by spaces */
#define RT_CONV_GFP 'G'       /* %gr: an integer as GFP flags, GFP_KERNEL|__GFP_ZERO */

/* A map read from the kernel, per-CPU values already combined. */
struct rt_map_entry {
	unsigned char *key;   /* the BPF key's bytes (desc_map.key_size), owned */
	unsigned char *value; /* MAP_PLAIN: the value's bytes, owned */
	struct agg_result agg; /* aggregations: combined (hist buckets owned) */
};
struct rt_map_snapshot {
	const struct desc_map *map;
	struct rt_map_entry *entries;
	int n;
};
/* Read map `fd` (per-CPU maps combined over ncpus possible CPUs). */
int rt_map_read(const struct desc_map *m, int fd, int ncpus, struct rt_map_snapshot *out);
void rt_map_snapshot_free(struct rt_map_snapshot *s);
/* print(@scalar) of a map nothing was stored in yet shows its zero value
 * (bpftrace: `@: 0`, `{ .count = 0, ... }`): one zero entry for a scalar,
 * not bucketed map without entries. */
void rt_map_snapshot_zero_scalar(struct rt_map_snapshot *s);
/* Sort, apply top (keep the top N) and div (divide values), decode, print. */
void rt_map_print(struct rt_output *o, const struct rt_map_snapshot *s, int64_t top, int64_t div);
int rt_map_clear(const struct desc_map *m, int fd);
/* Read, print and free in one go (print() at run time, the maps at exit).
 * Returns 0 or a negative errno; nothing is printed on error. */
int rt_map_print_fd(struct rt_output *o, const struct desc_map *m, int fd, int ncpus, int64_t top,
		    int64_t div);
struct bpf_object;
/* The print at exit: the sink's preamble, then every map (sorted by name)
 * as bpftrace prints them. Maps are found in obj by desc_map.bpf_name. */
void rt_print_maps_at_exit(struct rt_output *o, const struct desc *d, struct bpf_object *obj, int ncpus);
/* The same from map fds, fds[i] belonging to d->maps[i] (-1 = missing). */
void rt_print_maps_fds(struct rt_output *o, const struct desc *d, const int *fds, int ncpus);
int rt_map_zero(const struct desc_map *m, int fd, int ncpus);

#endif
