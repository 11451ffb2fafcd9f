/* desc.h - the description that travels with a compiled BPF object.
 *
 * The runtime works only from the ELF object plus this description: it never
 * looks at the AST and never calls LLVM. Everything the runtime must know is
 * here as plain data: the programs and how to attach them, every map with
 * the explicit types of its keys and values, the printf formats with the
 * types of their arguments, the types of values print() sends, and what the
 * compile depended on (the kernel's build id, options), so a cache can tell
 * when a compiled script is stale. The types live in the description's own
 * arena (a copy of what sema decided), so the description outlives the
 * compile, and desc_write()/desc_read() (src/desc.c) serialise all of it.
 * Owned by struct compiled. */
#ifndef SONDE_DESC_H
#define SONDE_DESC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "types.h"

/* Bumped whenever the layout of anything below or of the BPF side
 * (records, map layouts, the config block) changes. */
#define SONDE_DESC_VERSION 10

/* One value per probe type, from the list in probe_types.def. */
enum probe_type {
#define PROBE_TYPE(name, provider) PT_##name,
#include "probe_types.def"
#undef PROBE_TYPE
	PT__COUNT
};

/* One BPF program = one concrete attach target. Probes of the script that
 * share a target are merged into this one program (the kernel allows only 64
 * programs per tracepoint system-wide). */
struct desc_probe {
	enum probe_type type;
	char *name;        /* canonical full name, e.g. "tracepoint:syscalls:sys_enter_read" */
	char *target;      /* provider-specific: "syscalls:sys_enter_read", "sys_enter", "" */
	char *prog_name;   /* name of the BPF function in the ELF */
	srcloc loc;        /* attach point of the first script probe using it */
	/* The provider's own data for attaching, in its own words
	 * ("period_ns=1000000", "raw_tp=sys_enter"): made by its attach_params
	 * hook when compiling, read by its attach hook; every other stage
	 * passes it along as is. NULL = none. */
	char *params;
	unsigned deps;     /* DESC_DEP_*: what the program's code assumes */
	/* An earlier probe has the same program (lowered tracepoints share
	 * one) and attaches it; this one only counts as attached. */
	bool shares_program;
	/* Script probe blocks that run here: bpftrace counts each block at each
	 * attach point as one probe in "Attaching N probes...", even where sonde
	 * runs several blocks in one program. */
	uint32_t nblocks;
};

/* What a probe's program assumes about the machine (desc_probe.deps). */
#define DESC_DEP_KERNEL_LAYOUT 1u /* record offsets read from this kernel (tracefs) */
#define DESC_DEP_SYSCALL_ABI 2u   /* syscall numbers of this build (lowered programs) */

/* What a map holds: a plain value (`@x = expr`) or one aggregation. Each
 * aggregation is one descriptor in stdlib/ (struct agg_desc, found by
 * kind): its value layout, how per-CPU values combine, sort and print. */
enum map_kind {
	MAP_PLAIN, /* @x = expr: the last value written (BPF_MAP_TYPE_HASH) */
	MAP_COUNT,
	MAP_SUM,
	MAP_AVG,
	MAP_MIN,
	MAP_MAX,
	MAP_STATS,
	MAP_HIST,
	MAP_LHIST,
	MAP_TSERIES, /* tseries(v, interval_ns, n [, agg]): args interval_ns, n, TSERIES_AGG_* */
	MAP__KIND_COUNT
};

struct desc_map {
	char *name;        /* "@x" as printed */
	char *bpf_name;    /* name of the map in the ELF (a C identifier) */
	enum map_kind kind;
	/* The user key: NULL for a scalar map (stored under the u64 key 0); a
	 * tuple for @m[k1, k2]. Its bytes are the key as laid out by type.h. */
	const struct type *key;
	/* MAP_PLAIN: the stored value; aggregations: what they yield (count:
	 * uint64, sum/min/max/avg: int64 or uint64...). */
	const struct type *value;
	uint32_t key_size;     /* bytes of the BPF key (user key, or 8 for a scalar
				* map; plus a u64 bucket for hist/lhist, whose
				* scalar maps have the bucket alone) */
	uint32_t value_size;   /* bytes of one (per-CPU) BPF value */
	int64_t args[3];       /* aggregation parameters (lhist: min, max, step) */
	/* From a declaration (`let @m = lruhash(100);`): evict the least
	 * recently used entries when full (BPF_MAP_TYPE_LRU_[PERCPU_]HASH), and
	 * the entries it holds (hist/lhist: BPF keys, one per bucket in use, as
	 * bpftrace counts them); 0 = BPFTRACE_MAX_MAP_KEYS. Per-CPU or not
	 * follows from the kind: aggregations are per-CPU. */
	bool lru;
	uint32_t max_entries;
	/* Updated by a program that runs from a perf event (hardirq or NMI):
	 * the runtime keeps it preallocated (run.c: choose_map_preallocation). */
	bool prealloc;
	/* An unkeyed hist/lhist that the script only updates and prints: a
	 * BPF_MAP_TYPE_PERCPU_ARRAY of nbuckets u64s indexed by a u32 bucket
	 * (the verifier inlines its lookup: no helper call, no hashing). key_size
	 * stays the 8 of the hash's key; the runtime reads an all-zero bucket as
	 * absent, as the hash never holds one in that case. */
	bool array;
};
/* The most entries a declaration may give a map (BPFTRACE_MAX_MAP_KEYS's bound). */
#define SONDE_MAX_DECLARED_ENTRIES (1u << 24)

/* What the runtime does with a formatted record (stdlib/format.c makes
 * them): every statement whose output is made in user space is a format
 * plus a record of arguments, and differs only in what happens to the text. */
enum printf_action {
	PF_PRINTF,  /* print the text */
	PF_TIME,    /* fmt is a strftime(3) format of the time the event is handled */
	PF_CAT,     /* the text names a file: print its contents */
	PF_SYSTEM,  /* the text is a shell command (--unsafe): print its output */
	PF_ERRORF,  /* the text is an error at loc (stderr) */
	PF_WARNF,   /* the text is a warning at loc (stderr) */
	PF_JOIN,    /* fmt is the separator; args holds the strings to join */
	PF_HELPER_ERROR, /* -k: helper fmt failed at loc with the int64 error of args */
	PF__COUNT
};

/* A printf() call site: the format and the record carrying its arguments
 * (after struct event_hdr), laid out as the tuple `args`. */
struct desc_printf {
	char *fmt;         /* as written, escapes decoded */
	const struct type *args; /* a tuple; NULL when there are no arguments */
	srcloc loc;
	enum printf_action action;
	/* errorf/warnf in a macro: the uses it was expanded from, innermost
	 * first, each with its source line (owned), for "expanded from" */
	int nexpanded;
	srcloc expanded[SRC_MAX_EXPANSIONS];
	char *expanded_line[SRC_MAX_EXPANSIONS];
	char *line;        /* PF_HELPER_ERROR: the source line of loc (owned), else NULL */
};

/* What a compile depended on: a cached object is valid only where these
 * are unchanged. */
struct desc_deps {
	char *kernel_build_id;   /* hex GNU build id of the kernel whose types were used; "" = none used */
	char *syscall_abi;       /* "x86_64" when syscall numbers were compiled in, "" otherwise */
	uint32_t max_strlen;     /* options that shaped the code */
	uint32_t ncpus_pow2;     /* scratch memory is laid out per CPU up to this many */
};

/* Output channels: kernel-to-user paths besides the ring buffer, for
 * helpers that write only to a map of their own kind (bpf_skb_output: a
 * perf event array). A channel is a row of desc_channel_specs (src/desc.c:
 * its map), a runtime reader (runtime/channel.c's table) and the builtin
 * whose calls feed it (sema_add_channel_call). */
enum desc_channel_kind {
	DESC_CHANNEL_SKBOUTPUT, /* skboutput(): packets to pcap files (runtime/skboutput.c) */
	DESC_NCHANNELS
};

/* One call that writes to a channel; its index is the id BPF puts in the
 * record (skboutput: struct skb_sample_hdr.id). What the call fixed while
 * compiling: */
struct desc_channel_call {
	char *text;   /* skboutput: the pcap file */
	uint64_t num; /* skboutput: bytes of each packet left out at its start */
};

struct desc_channel {
	char *map_name; /* NULL: no call, and no map in the object */
	struct desc_channel_call *calls;
	int ncalls;
};

/* The map codegen makes for a channel (named spec.name in the object). */
struct desc_channel_spec {
	const char *name;
	uint32_t map_type;    /* enum bpf_map_type */
	uint32_t max_entries; /* a perf event array's 0: libbpf makes one slot per CPU */
};
extern const struct desc_channel_spec desc_channel_specs[DESC_NCHANNELS];
void desc_channel_free(struct desc_channel *c); /* its contents; c is empty again */

/* What bpf_skb_output sends ahead of the packet bytes (bpftrace's layout:
 * an action word, the call's id, nanoseconds since boot). */
struct skb_sample_hdr {
	uint64_t action;
	uint64_t id;
	uint64_t boot_ns;
};

struct desc {
	struct type_arena *types;    /* owns every type below */
	struct desc_probe *probes;
	int nprobes;
	struct desc_map *maps;       /* index = map_info.id */
	int nmaps;
	struct desc_printf *printfs; /* index = node.printf_id */
	int nprintfs;
	const struct type **values;  /* print(value) sites: index = node.print_id */
	int nvalues;
	char *ringbuf_name;  /* BPF_MAP_TYPE_RINGBUF carrying events */
	char *lost_name;     /* BPF_MAP_TYPE_PERCPU_ARRAY, 1 u64 entry: events dropped when the ring was full */
	char *dropped_name;  /* BPF_MAP_TYPE_PERCPU_ARRAY, SONDE_DROPPED_SLOTS(nmaps) u64
			      * entries: map updates that failed, see below */
	/* Each of the three names is NULL when no program uses that map
	 * (codegen leaves it out of the object). */
	uint32_t ringbuf_size; /* the default, or what BEGIN/END-only events need (codegen) */
	struct desc_channel channels[DESC_NCHANNELS]; /* index: enum desc_channel_kind */
	struct desc_deps deps;
};

/* Slots of the dropped-updates array (desc.dropped_name) for map `id`:
 * updates refused because the map was full (-E2BIG), and updates that
 * failed for any other reason. BPF touches them only when an update fails. */
#define SONDE_DROPPED_FULL(id) (2u * (uint32_t)(id))
#define SONDE_DROPPED_OTHER(id) (2u * (uint32_t)(id) + 1u)
#define SONDE_DROPPED_SLOTS(nmaps) ((nmaps) > 0 ? 2u * (uint32_t)(nmaps) : 1u)

struct desc *desc_new(void);
void desc_free(struct desc *d);
/* The N of "Attaching N probes...": every block at every attach point. */
int desc_probe_blocks(const struct desc *d);

/* Serialisation (src/desc.c): a versioned binary form of everything above.
 * desc_read returns NULL (and a reason in err) for anything malformed,
 * truncated or of another version. */
int desc_write(const struct desc *d, FILE *out);
struct desc *desc_read(const void *data, size_t size, char *err, size_t errlen);

/* Fills d->deps after a compile: kernel_build_id (kbtf_kernel_build_id())
 * when the compile used kernel layouts (BTF was loaded, or a tracepoint
 * kept the field offsets of this kernel's tracefs format), syscall_abi
 * when a probe was lowered to a raw syscall tracepoint. */
void desc_note_kernel(struct desc *d);

/* ---- records in the ring buffer (BPF -> user space) --------------------- */

enum event_kind {
	EV_PRINTF = 1,  /* id = printf index; payload per desc_printf.args */
	EV_EXIT = 2,    /* payload: s64 exit code */
	EV_PRINT = 3,   /* id = map index; payload: s64 top, s64 div (0 = all / none) */
	EV_CLEAR = 4,   /* id = map index */
	EV_ZERO = 5,    /* id = map index */
	EV_VALUE = 6,   /* id = value index: print(value); payload per desc->values[id] */
	EV_UNWATCH = 7, /* unwatch(addr): payload u64 addr (probes/watchpoint.c) */
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
	uint64_t tai_offset_ns; /* CLOCK_TAI - CLOCK_BOOTTIME at start, for nsecs(sw_tai) */
};
#define SONDE_CONFIG_VAR "sonde_config"

/* Scripts of at least SONDE_DETACH_LATER_MIN probes detach after their
 * output: detaching costs the kernel ~0.2-0.5 ms a raw tracepoint and ~50
 * ms a perf-event tracepoint, one after the other. Their programs (not
 * BEGIN/END) start by reading the u64 SONDE_STOP_VAR in ".bss" and return
 * at once when it is not 0: the runtime sets it where it detached before
 * (runtime/run.c finish), which stops them as detaching would, prints END
 * and the maps, and hands the links to a child process that closes them
 * after sonde has let go of them (runtime/run.c detach_later). */
#define SONDE_DETACH_LATER_MIN 64
#define SONDE_STOP_VAR "sonde_stop"

/* The scratch memory for values too big for the BPF stack: an array map
 * with one element per CPU (indexed by bpf_get_smp_processor_id()); the
 * runtime sizes it to this machine's possible CPUs before load. */
#define SONDE_SCRATCH_MAP "scratch"

/* The stack-trace map a stack type's ids index: one per kind and depth,
 * "kstack_127"; codegen defines it, the runtime reads frames from it. */
#define SONDE_STACK_MAP_FMT "%cstack_%u"
/* "bstack_N": user stacks as build ids and offsets (map flag BPF_F_STACK_BUILD_ID,
 * SONDE_STACK_BUILD_ID_SIZE bytes a frame) */
#define SONDE_STACK_MAP_KIND(t) \
	((t)->stack_mode == STACK_MODE_BUILD_ID ? 'b' : (t)->as == AS_USER ? 'u' : 'k')
#define SONDE_STACK_FRAME_SIZE(t) ((t)->stack_mode == STACK_MODE_BUILD_ID ? SONDE_STACK_BUILD_ID_SIZE : 8u)
#define SONDE_STACK_BUILD_ID_SIZE 32u /* struct bpf_stack_build_id */
/* A stack value is 8 bytes: its id in the stack map in the low 32 bits
 * (negative: the kernel stored none); a user stack's process id in the
 * next 24 (pid_max is at most 2^22); and, in a program that takes len()
 * of a stack (sema_result.stack_depths), its depth in frames in the top 8
 * (limits are at most 127 frames), so that len() of a stack read back
 * from a map or a variable needs no frames. */
#define SONDE_STACK_PID_MASK 0xffffffu
#define SONDE_STACK_DEPTH_SHIFT 56

/* The BPF bucket index of hist() for value v: 0 for v < 0, 1 for v == 0,
 * 2 for v == 1, and k + 2 for v in [2^k, 2^(k+1)), so index 65 is the top.
 * lhist(): 0 for v < min, 1 + (v - min) / step for v in [min, max),
 * and 1 + (max - min) / step for v >= max. */
#define SONDE_HIST_BUCKETS 66

/* tseries(): how values of one interval combine (desc_map.args[2]). The
 * BPF key ends in the bucket epoch % n, like a hist's; each CPU's value is
 * { s64 value; s64 meta; u64 epoch } with epoch = CLOCK_TAI ns / interval:
 * last value (meta: its time), avg (meta: the count), min/max (meta: set),
 * sum. */
enum tseries_agg { TSERIES_LAST, TSERIES_AVG, TSERIES_MAX, TSERIES_MIN, TSERIES_SUM };
#define SONDE_TSERIES_MAX_INTERVALS 1000000

/* The compiled script: an ELF object and its description. */
struct compiled {
	void *elf;
	size_t elf_size;
	struct desc *desc;
	int cloned; /* programs copied in the object from another's code (codegen/clone.c) */
};
void compiled_free(struct compiled *c);

#endif
