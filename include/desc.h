/* desc.h - the description that travels with a compiled BPF object.
 *
 * The runtime works only from the ELF object plus this description: it never
 * looks at the AST and never needs LLVM. Everything here is plain data (names,
 * layouts, format strings) so a later issue can serialise it next to the ELF
 * and run cached scripts without compiling. Owned by struct compiled. */
#ifndef SONDE_DESC_H
#define SONDE_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "ast.h"

enum probe_type {
	PT_BEGIN,
	PT_END,
	PT_TRACEPOINT,
	PT_RAWTRACEPOINT,
	PT_INTERVAL,
	PT_PROFILE,
	PT__COUNT
};

/* One BPF program = one concrete attach target. Probes of the script that
 * share a target are merged into this one program (the kernel allows only 64
 * programs per tracepoint system-wide). */
struct desc_probe {
	enum probe_type type;
	char *name;        /* canonical full name, e.g. "tracepoint:syscalls:sys_enter_read" */
	char *target;      /* provider-specific: "syscalls:sys_enter_read", "sys_enter", "" */
	uint64_t period_ns; /* interval / profile with a time unit */
	uint64_t freq_hz;   /* interval / profile with hz */
	char *prog_name;   /* name of the BPF function in the ELF */
	srcloc loc;        /* attach point of the first script probe using it */
	/* Lowered tracepoints (probe_lowering in probe.h): the program is a raw
	 * tracepoint program on `raw_tp` ("sys_enter") shared by every probe
	 * with the same prog_name; only the probe with attaches_shared set
	 * attaches it, the others just count as attached. NULL = not lowered. */
	char *raw_tp;
	bool attaches_shared;
};

struct desc_map {
	char *name;        /* "@x" as printed */
	char *bpf_name;    /* name of the map in the ELF (a C identifier) */
	enum map_kind kind;
	int nkeys;         /* 0 = scalar map, stored under the u64 key 0; a scalar
			    * MAP_HIST/MAP_LHIST map has no user key part at all:
			    * its BPF key is the u64 bucket alone (one hash word
			    * less per event) */
	struct field_layout keys[SONDE_MAX_KEY_PARTS];
	uint32_t key_size;   /* user key bytes (8 when nkeys == 0); MAP_HIST/MAP_LHIST BPF keys add a u64 bucket after it */
	uint32_t value_size; /* bytes of one (per-CPU) value in BPF */
	struct type value;   /* MAP_PLAIN: stored type; aggregations: s64/u64 */
	int64_t lhist_min, lhist_max, lhist_step;
};

/* A printf() call site: the format and the layout of the record that carries
 * its arguments (after struct event_hdr). */
struct desc_printf {
	char *fmt;         /* as written, escapes decoded */
	int nargs;
	struct field_layout *args;
	uint32_t size;     /* payload bytes after the header */
	srcloc loc;
};

struct desc {
	struct desc_probe *probes;
	int nprobes;
	struct desc_map *maps;   /* index = map_info.id */
	int nmaps;
	struct desc_printf *printfs; /* index = node.printf_id */
	int nprintfs;
	char *ringbuf_name;  /* BPF_MAP_TYPE_RINGBUF carrying events */
	char *lost_name;     /* BPF_MAP_TYPE_PERCPU_ARRAY, 1 u64 entry: events dropped when the ring was full */
	char *dropped_name;  /* BPF_MAP_TYPE_PERCPU_ARRAY, SONDE_DROPPED_SLOTS(nmaps) u64
			      * entries: map updates that failed, see below */
	uint32_t ringbuf_size;
};

/* Slots of the dropped-updates array (desc.dropped_name) for map `id`:
 * updates refused because the map was full (-E2BIG), and updates that
 * failed for any other reason. BPF touches them only when an update fails. */
#define SONDE_DROPPED_FULL(id) (2u * (uint32_t)(id))
#define SONDE_DROPPED_OTHER(id) (2u * (uint32_t)(id) + 1u)
#define SONDE_DROPPED_SLOTS(nmaps) ((nmaps) > 0 ? 2u * (uint32_t)(nmaps) : 1u)

void desc_free(struct desc *d);

/* ---- records in the ring buffer (BPF -> user space) --------------------- */

enum event_kind {
	EV_PRINTF = 1,  /* id = printf index; payload per desc_printf.args */
	EV_EXIT = 2,    /* payload: s64 exit code */
	EV_PRINT = 3,   /* id = map index; payload: s64 top, s64 div (0 = all / none) */
	EV_CLEAR = 4,   /* id = map index */
	EV_ZERO = 5,    /* id = map index */
};

struct event_hdr {
	uint32_t kind;
	uint32_t id;
};

/* ---- configuration the runtime writes before load ----------------------- */

/* The BPF object has a global variable of this layout, alone in section
 * ".rodata", named SONDE_CONFIG_VAR. The runtime fills it through
 * bpf_map__initial_value() before bpf_object__load(), so the verifier sees
 * the values as constants and prunes the filters that are not in use. */
struct rt_config {
	uint64_t self_tgid;   /* sonde's own pid: events of it are dropped */
	uint64_t filter_tgid; /* -p PID, 0 = no filter (-c does not filter, as in bpftrace) */
	uint64_t cpid;        /* the -c child, for the `cpid` builtin */
	uint64_t start_ns;    /* CLOCK_MONOTONIC at start, for `elapsed` */
};
#define SONDE_CONFIG_VAR "sonde_config"

/* The BPF bucket index of hist() for value v: 0 for v < 0, 1 for v == 0,
 * 2 for v == 1, and k + 2 for v in [2^k, 2^(k+1)), so index 65 is the top.
 * lhist(): 0 for v < min, 1 + (v - min) / step for v in [min, max),
 * and 1 + (max - min) / step for v >= max. */
#define SONDE_HIST_BUCKETS 66

/* The compiled script: an ELF object and its description. */
struct compiled {
	void *elf;
	size_t elf_size;
	struct desc *desc;
};
void compiled_free(struct compiled *c);

#endif
