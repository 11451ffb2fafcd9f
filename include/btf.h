/* btf.h - kernel types from BTF (src/btf.c).
 *
 * vmlinux BTF (/sys/kernel/btf/vmlinux, read with libbpf) is loaded the
 * first time a script needs a kernel type, once per process, and shared by
 * every compilation (it never changes while the kernel runs). Loading costs
 * ~18 ms and ~6 MB, so nothing here runs for a script that uses no kernel
 * type. BPFTRACE_BTF names another BTF file (bpftrace's variable), for
 * tests and for compiling against another kernel.
 *
 * BTF types become struct type (types.h) in the caller's arena, lazily:
 * kbtf_type() of a struct gives an incomplete named record; its members are
 * converted only when kbtf_complete() is asked for them (a member access,
 * sizeof, printing the value). Conversion follows bpftrace: typedefs,
 * const/volatile/restrict and type tags are looked through; arrays of
 * 1-byte integers are strings; anonymous struct/union members are
 * flattened into their parent (their members reachable by name, at their
 * accumulated offsets); bitfields keep their bit position; function
 * pointers are void pointers; forward declarations are resolved by name.
 * `char` is uint8 (BTF gives it no sign); anonymous enums are plain
 * integers; other anonymous structs (`typedef struct {...} atomic_t`) are
 * unnamed records, complete at once; floats are unsigned integers of their
 * size (their bits: BPF has no floating point); __int128 is uint64[2]. */
#ifndef SONDE_BTF_H
#define SONDE_BTF_H

#include <stdbool.h>
#include <stdint.h>

#include "types.h"

/* True when kernel BTF can be loaded (loads it). */
bool kbtf_available(void);
/* Why it could not be loaded ("" if it was), for error messages. */
const char *kbtf_error(void);
/* Frees the process-wide BTF (tests; a long-lived process starting over). */
void kbtf_unload(void);
/* Whether BTF is loaded now (tests check that nothing loads it early). */
bool kbtf_loaded(void);

/* The kernel type spelled `name`: "struct task_struct", "union x",
 * "enum y", or a typedef/base name ("pid_t", "u64", "int",
 * "unsigned long"); a trailing `*` makes a kernel pointer. NULL when BTF
 * has no such type (or is unavailable). C's base types ("unsigned long",
 * "char": unsigned, as in the kernel) need no BTF and never load it.
 * The type belongs to arena a; asking twice gives the same pointer. */
const struct type *kbtf_type(struct type_arena *a, const char *name);
/* The type of BTF id `id` in arena a (same caching). */
const struct type *kbtf_type_by_id(struct type_arena *a, int32_t id);
/* "struct NAME" / "union NAME" known by name only, without loading BTF:
 * an incomplete record that kbtf_complete() fills from BTF the first time
 * its members are needed (curtask's task_struct: a script that only
 * compares curtask to 0 never loads BTF). Same name, same record. */
const struct type *kbtf_lazy(struct type_arena *a, const char *name);
/* Fills the members of an incomplete record made by this module in arena
 * a (it already has its size and alignment). Returns false when BTF
 * cannot (the record stays incomplete: an opaque type, e.g. a forward
 * declaration BTF has no definition for). */
bool kbtf_complete(struct type_arena *a, const struct type *rec);

/* A per-CPU kernel variable (a VAR of the DATASEC ".data..percpu"), as
 * percpu_kaddr() declares it for libbpf: its type's kind (integers and
 * enums count as INT, as libbpf's ksym type check does), and a struct's or
 * union's name (owned by the BTF). */
enum kbtf_var_kind { KBTF_VAR_INT, KBTF_VAR_STRUCT, KBTF_VAR_UNION, KBTF_VAR_OTHER };
struct kbtf_var {
	uint32_t type_id;
	enum kbtf_var_kind kind;
	const char *type_name;
	uint32_t size;
};
/* False when BTF has no per-CPU variable `name` (or no BTF). */
bool kbtf_percpu_var(const char *name, struct kbtf_var *out);

/* The value of the enumerator `name` in any kernel enum (for
 * BTF_VAR_STATIC-style constants in scripts), and its enum type. */
bool kbtf_enum_value(struct type_arena *a, const char *name, int64_t *value,
		     const struct type **enum_type);

/* For error messages: the member of record `rec` (completed) closest to
 * `name` by spelling, or NULL when none is close. */
const char *kbtf_closest_member(const struct type *rec, const char *name);

/* The args record of tracepoint `event` ("sched_switch", or
 * "sched:sched_switch", which names the record as bpftrace 0.17 does:
 * "struct _tracepoint_sched_sched_switch") from BTF's
 * `struct trace_event_raw_<event>`: members at their offsets in the
 * record, the common fields and the trailing __data[] left out,
 * __data_loc_<name> members turned into `name` with is_data_loc and type
 * string[KBTF_DATA_LOC_STRLEN]. NULL when BTF has no struct named after
 * the event: BTF has one per event *class* (block_rq_issue's is
 * trace_event_raw_block_rq and is not found), and none for syscalls; the
 * caller then reads the tracefs format. */
#define KBTF_DATA_LOC_STRLEN 1024 /* bytes read through a __data_loc: bpftrace's max_strlen */
const struct type *kbtf_tracepoint_args(struct type_arena *a, const char *event);
/* True when the kernel has a tracepoint of that name (a
 * btf_trace_<event> typedef; "category:event" also accepted), for checking
 * attach points without tracefs. */
bool kbtf_has_tracepoint(const char *event);
/* BTF has the event's own record (trace_event_raw_EVENT): kbtf_tracepoint_args
 * will type its args. Events sharing their class's record have none. */
bool kbtf_has_tracepoint_record(const char *event);

/* Direct loads through BTF pointers. Since 5.11, bpf_get_current_task_btf()
 * gives tracing programs the current task as a pointer the verifier knows
 * the type of; a plain load from it at a constant offset becomes a
 * PROBE_MEM load (a fault reads 0), with no helper call. The verifier
 * checks each load against BTF (btf_struct_walk): what it makes of a load
 * of `size` bytes at `off` in the struct of BTF id `id` is a scalar, a
 * pointer to the struct *pointee (which can be walked on), or a refusal.
 * Conservative: NONE where a kernel could see it otherwise (unions and
 * bitfields on the way, tagged pointers other than __rcu). */
enum kbtf_load { KBTF_LOAD_NONE, KBTF_LOAD_SCALAR, KBTF_LOAD_PTR };
enum kbtf_load kbtf_direct_load(int32_t id, uint32_t off, uint32_t size, int32_t *pointee);
/* The kernel has bpf_get_current_task_btf (its BTF's enum bpf_func_id
 * names it; loads BTF). */
bool kbtf_task_btf_loads(void);
/* task_struct's BTF id and the offset of its `comm`, when comm is char[16]
 * and both of its 8-byte halves can be loaded directly (false otherwise,
 * and without the helper). */
bool kbtf_task_comm(int32_t *task_id, uint32_t *offset);

/* The loaded vmlinux BTF (loads it), for scans by name prefix
 * (btf_trace_*, bpf_iter__*); NULL when unavailable. */
struct btf;
const struct btf *kbtf_btf(void);
/* The args of raw tracepoint `name` from the prototype of typedef
 * btf_trace_<name> (its `void *__data` left out): one member per argument,
 * named and typed as the kernel declares it, at 8-byte slots
 * (arg i at offset 8*i), as "struct _rawtracepoint_<name>". NULL when
 * vmlinux BTF has no such typedef. */
const struct type *kbtf_rawtracepoint_args(struct type_arena *a, const char *name);
/* How many arguments raw tracepoint `name` has, or -1 when BTF does not say. */
int kbtf_rawtracepoint_nargs(const char *name);

/* What identifies the kernel the types came from, for caches of compiled
 * scripts: the GNU build id of the running kernel (/sys/kernel/notes) as
 * hex, or "" when unknown. Cheap: does not load BTF. */
const char *kbtf_kernel_build_id(void);

#endif
