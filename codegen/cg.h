/* cg.h - codegen's private state and the helpers its files share.
 *
 * Value conventions every emitter follows:
 * - scalars (integers, bools, enums, pointers) are i64 in registers,
 *   already truncated and sign/zero-extended to their node type
 *   (cg_normalize), so any consumer may store them at their size;
 * - aggregates (strings, buffers, arrays, tuples, records, structs) are
 *   pointers to BPF memory (stack or per-CPU scratch) holding the value
 *   laid out by its type (types.h), fully initialised, padding zeroed,
 *   because the verifier rejects helpers reading uninitialised stack and map
 *   keys compare byte for byte;
 * - an expression that stands for memory not read yet (a field, an
 *   element, *p, args) has a reference (struct cg_ref): where it is and in
 *   which kind of memory, so member chains read only what is used, each
 *   pointer hop with the helper its address space needs.
 * Temporaries come from per-function pools released after every statement:
 * entry-block allocas for small ones (BPF has 512 bytes of stack; without
 * lifetime markers LLVM does not share slots), and offsets into a per-CPU
 * scratch map for large ones (strings of max_strlen, big keys, records). */
#ifndef SONDE_CG_H
#define SONDE_CG_H

#include <stdbool.h>
#include <stdint.h>

#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/TargetMachine.h>

#include "ast.h"
#include "codegen.h"
#include "desc.h"
#include "probe.h"
#include "sema.h"
#include "builtins.h"

/* BPF helper ids (include/uapi/linux/bpf.h, stable kernel ABI). */
enum bpf_helper {
	HELPER_MAP_LOOKUP_ELEM = 1,
	HELPER_MAP_UPDATE_ELEM = 2,
	HELPER_MAP_DELETE_ELEM = 3,
	HELPER_KTIME_GET_NS = 5,
	HELPER_TRACE_PRINTK = 6,
	HELPER_GET_PRANDOM_U32 = 7,
	HELPER_GET_SMP_PROCESSOR_ID = 8,
	HELPER_GET_CURRENT_PID_TGID = 14,
	HELPER_GET_CURRENT_UID_GID = 15,
	HELPER_GET_CURRENT_COMM = 16,
	HELPER_GET_STACKID = 27,
	HELPER_GET_CURRENT_TASK = 35,
	HELPER_GET_CURRENT_TASK_BTF = 158,
	HELPER_PROBE_WRITE_USER = 36,
	HELPER_GET_NUMA_NODE_ID = 42,
	HELPER_OVERRIDE_RETURN = 58,
	HELPER_GET_CURRENT_CGROUP_ID = 80,
	HELPER_KTIME_GET_BOOT_NS = 125,
	HELPER_SEQ_WRITE = 127,
	HELPER_SEND_SIGNAL = 109,
	HELPER_PROBE_READ_USER = 112,
	HELPER_PROBE_READ_KERNEL = 113,
	HELPER_PROBE_READ_USER_STR = 114,
	HELPER_PROBE_READ_KERNEL_STR = 115,
	HELPER_SEND_SIGNAL_THREAD = 117,
	HELPER_GET_ATTACH_COOKIE = 174,
	HELPER_JIFFIES64 = 118,
	HELPER_GET_NS_CURRENT_PID_TGID = 120,
	HELPER_RINGBUF_OUTPUT = 130,
	HELPER_PER_CPU_PTR = 153,
	HELPER_THIS_CPU_PTR = 154,
	HELPER_FOR_EACH_MAP_ELEM = 164,
	HELPER_GET_FUNC_IP = 173,
	HELPER_GET_SOCKET_COOKIE = 46,
	HELPER_SKB_OUTPUT = 111,
	HELPER_GET_STACK = 67,
	HELPER_LOOP = 181,
	HELPER_GET_FUNC_RET = 184,
	HELPER_MAP_LOOKUP_PERCPU_ELEM = 195,
	HELPER_KTIME_GET_TAI_NS = 208,
};

/* bpf_map_update_elem flags */
#define CG_BPF_ANY 0
#define CG_BPF_NOEXIST 1

/* rt_config fields, in struct order (desc.h). */
enum cg_config_field { CFG_SELF_TGID, CFG_FILTER_TGID, CFG_CPID, CFG_START_NS, CFG_TAI_OFFSET };

/* Lowered syscall programs keep the running tracepoint's name here when
 * code is shared by several (the longest syscall tracepoint name is ~50). */
#define CG_PROBE_SLOT_SIZE 64

/* Temporaries on the stack above this go to scratch memory. */
#define CG_STACK_TEMP_MAX 64
/* the most on_stack_limit may keep on the stack: a few such values must
 * still fit in the 512-byte BPF stack */
#define CG_STACK_LIMIT_MAX 128
/* The scratch map's value, one per CPU: an array map's value may be up to
 * KMALLOC_MAX_SIZE (4 MiB on x86-64 and arm64 with 4 KiB pages). */
#define CG_SCRATCH_MAX (4 * 1024 * 1024)

struct cg_temp {
	LLVMValueRef slot;    /* stack: the alloca; scratch: NULL */
	uint32_t offset;      /* scratch: offset in the per-CPU scratch value */
	uint32_t size;
	bool busy;
	bool in_scratch;
};

/* Where a value is (see the conventions above). */
enum cg_ref_kind {
	REF_VALUE,  /* v is the value itself (scalars: an i64) */
	REF_BPF,    /* v points to BPF memory (stack, scratch, map value): plain loads */
	REF_CTX,    /* v points into the program's context: loads at constant offsets */
	REF_KERNEL, /* v is a kernel address: bpf_probe_read_kernel */
	REF_USER,   /* v is a user address: bpf_probe_read_user */
};

struct cg_ref {
	enum cg_ref_kind kind;
	LLVMValueRef v;
};

struct cg_stack_map {
	const struct type *type; /* one map per kind and depth (the mode only prints) */
	LLVMValueRef g;
};

struct cg {
	/* the whole compilation */
	LLVMContextRef ctx;
	LLVMModuleRef mod;
	LLVMBuilderRef b;
	LLVMDIBuilderRef dib;
	LLVMTargetMachineRef tm;
	LLVMTypeRef i1, i8, i16, i32, i64, ptr, void_t;
	LLVMMetadataRef di_file, di_cu, di_uchar, di_int, di_u64, di_long, di_voidp;

	struct program *prog;
	struct sema_result *res;
	struct desc *desc;
	struct diag *diag;
	bool helper_errors;  /* -k (cg_options) */
	srcloc cur_loc;      /* the statement being emitted (cg_set_loc) */
	int errors;
	char *llvm_error; /* first error from LLVM's diagnostic handler */

	bool chunked;       /* one of several modules linked into one object */
	LLVMValueRef *maps; /* by map id; NULL until first used (cg_user_map) */
	LLVMValueRef *drop_index; /* by map id; NULL until first used (cg_drop_index) */
	struct cg_clones *clones; /* programs compiled once and cloned (clone.c); NULL = off */
	LLVMValueRef ringbuf, lost, dropped, config; /* finished (sized, or deleted when
						      * unused) after the last program */
	LLVMValueRef scratch_map;   /* per-CPU scratch (defined at the end, sized by use) */
	struct cg_stack_map *stack_maps; /* defined when a stack type is first used */
	int nstack_maps;
	uint32_t scratch_high;      /* most scratch bytes any program used */
	srcloc scratch_high_loc;    /* the probe of that program, for the error */
	uint32_t max_strlen;
	uint32_t stack_limit;       /* temporaries up to this size live on the stack */
	const char *license;
	LLVMValueRef stop;          /* SONDE_STOP_VAR, in scripts of SONDE_DETACH_LATER_MIN probes or more */

	/* the function being emitted */
	struct prog_group *group;
	const struct probe_target *target; /* the target of the action being emitted */
	LLVMValueRef fn, ctx_arg;
	LLVMValueRef pid_tgid;    /* bpf_get_current_pid_tgid() of the self filter, reused
				   * by pid/tid in the code it dominates; NULL = none */
	LLVMValueRef sys_nr;      /* lowered programs: the syscall number, if computed
				   * where it dominates everything after it */
	LLVMValueRef probe_slot;  /* lowered programs: where `probe` is, when the code
				   * is shared by several tracepoints; NULL = constant */
	LLVMBasicBlockRef entry;  /* allocas only; branches to the body at the end */
	LLVMBasicBlockRef action_end; /* where exit() leaves the current action */
	LLVMMetadataRef di_sp;
	LLVMValueRef *vars;       /* slots of the current action's scratch variables */
	int nvars;
	struct cg_temp *temps;
	int ntemps, cap_temps;
	int *held;                /* indices into temps, in acquisition order */
	int nheld, cap_held;
	uint32_t scratch_used;    /* bytes of scratch this function's temps span */
	LLVMValueRef scratch_base; /* this CPU's scratch value, looked up once per program */
	int target_index;         /* the current group's index in the action's targets */
	const struct probe *action; /* the action being emitted */

	/* Ring-buffer room, so that a script whose only events come from
	 * BEGIN/END gets a ring buffer of its size, not the default 1 MiB
	 * (~0.4 ms to create and map at every start). BEGIN and END run once
	 * each, and their events are read right after (runtime/run.c). */
	uint64_t prog_event_bytes;    /* the program being emitted: bytes its events take */
	uint64_t oneshot_event_bytes; /* the most any BEGIN/END program's events take */
	bool events_unbounded;        /* an event in a loop, or in a program that can run often */

	/* loops.c */
	struct cg_loop *loops;    /* loops around the statement being emitted */
	int nloops, cap_loops;
	LLVMValueRef cb_ctx;      /* in a for loop's callback: the record it was given */
	int ncallbacks;           /* callbacks made: unique function names */
};

/* A script of more programs than CG_CHUNK_MIN_UNITS is compiled as
 * modules of about CG_CHUNK_UNITS programs each (cg.c, compile_chunked). */
#define CG_CHUNK_MIN_UNITS 64
#define CG_CHUNK_UNITS 48
/* A chunk whose functions all have at most this many IR instructions
 * before optimisation gets the light pass pipeline (link.c); one with a
 * bigger function gets O2, whose if-conversion and redundancy passes keep
 * a big body's paths few enough for the verifier. (Before optimisation:
 * `@m = count()` 61, printf + hist 114, 22 if/else assignments 289.) */
#define CG_LIGHT_PASSES_MAX 200

/* link.c: one chunk's optimisation and code generation, and the link. */
struct cg_job {
	LLVMModuleRef mod;          /* its own LLVM context */
	LLVMTargetMachineRef tm;    /* its own target machine */
	int opt_level;
	bool light;                 /* the light pipeline, not default<On> */
	LLVMMemoryBufferRef obj;    /* out: the object */
	char *error;                /* out: what failed (malloc'd) */
};
/* Runs the jobs on up to one thread per online CPU. */
void cg_run_jobs(struct cg_job *jobs, int n);
/* Links the jobs' objects into one (*elf malloc'd); 0 or -1. */
int cg_link_objects(const struct cg_job *jobs, int n, void **elf, size_t *size);

/* clone.c: programs compiled once and cloned in the object */
struct cg_clones;
struct cg_clones *cg_clones_new(const struct desc *d);
void cg_clones_free(struct cg_clones *c);
/* After emitting group g's program (before: the module's last function
 * before it): g's program joins the class of its key, or starts one. */
void cg_clone_consider(struct cg *cg, const struct prog_group *g, LLVMValueRef before);
/* Once every module is built: deletes the clones' functions. */
void cg_clones_delete(struct cg_clones *c);
int cg_clones_count(const struct cg_clones *c);
/* Before cg_clones_delete: the programs so far that are to be clones. */
int cg_clones_pending(const struct cg_clones *c);
/* After cg_clones_delete: whether fn is compiled for clones of it too
 * (their code is a copy of fn's, so its map and drop-index symbols must
 * stay relocations). False for c NULL. */
bool cg_clones_is_template(const struct cg_clones *c, LLVMValueRef fn);
/* After cg_clones_delete: whether map_id's drop-index symbol must stay
 * defined (a clone or its original uses it). False for c NULL. */
bool cg_clones_keep_drop_index(const struct cg_clones *c, int map_id);
/* Adds the clones to the finished object (*elf replaced); 0 or -1. */
int cg_clones_apply(const struct cg_clones *c, void **elf, size_t *size);

/* cg.c */
void cg_error(struct cg *cg, srcloc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cg_set_loc(struct cg *cg, srcloc loc);
LLVMBasicBlockRef cg_block(struct cg *cg, const char *name);
LLVMValueRef cg_alloca(struct cg *cg, uint32_t size); /* a fresh entry-block slot */
/* A pooled slot of `size` bytes, 8-byte aligned: stack up to
 * CG_STACK_TEMP_MAX, per-CPU scratch above. */
LLVMValueRef cg_temp(struct cg *cg, uint32_t size);
/* A pooled slot on the stack whatever its size (what helpers require to
 * be stack memory). */
LLVMValueRef cg_temp_stack(struct cg *cg, uint32_t size);
int cg_temp_mark(struct cg *cg);
void cg_temp_release(struct cg *cg, int mark);
LLVMValueRef cg_const(struct cg *cg, uint64_t v);   /* i64 */
LLVMValueRef cg_helper(struct cg *cg, enum bpf_helper id, LLVMTypeRef ret,
		       LLVMValueRef *args, unsigned nargs);
/* The global of user map `id` (defined on first use). */
LLVMValueRef cg_user_map(struct cg *cg, int id);
/* The map of output channel k (desc.channels[k].map_name). */
LLVMValueRef cg_channel_map(struct cg *cg, enum desc_channel_kind k);
/* The stack-trace map of stack type t (defined on first use). */
LLVMValueRef cg_stack_map(struct cg *cg, const struct type *t);
LLVMValueRef cg_config_load(struct cg *cg, enum cg_config_field f);
/* SONDE_DROPPED_FULL(id) as an i32 loaded from a .rodata global of map id's
 * own (SONDE_DROP_INDEX_FMT): a per-map constant that is a symbol, not an
 * immediate, so that code cloned for another map (clone.c) counts its
 * failures in that map's slots. */
LLVMValueRef cg_drop_index(struct cg *cg, int id);
#define SONDE_DROP_INDEX_FMT "sonde_drop_%d"
static inline uint32_t cg_round8(uint32_t n) { return (n + 7u) & ~7u; }

/* the parts of a program, for lower.c */
void cg_begin_program(struct cg *cg, struct prog_group *g);
void cg_end_program(struct cg *cg);
/* Return 0 from the current block and end the entry block: when the
 * function used scratch memory, it returns `without_scratch` if the
 * scratch lookup found nothing, else (and always otherwise) it branches
 * to the body. Programs return 0 there; loop callbacks 1 (stop). */
void cg_close_function(struct cg *cg, uint64_t without_scratch);
void cg_emit_pid_filter(struct cg *cg);
void cg_emit_action(struct cg *cg, struct probe *p);

/* lower.c: programs of tracepoints lowered to raw tracepoints */
void cg_emit_lowered_program(struct cg *cg, struct prog_group **groups, int n);
/* The u64 the tracepoint record would hold at byte `offset` (before
 * truncation to the field's size), rebuilt from the raw tracepoint's
 * arguments. */
LLVMValueRef cg_lowered_field(struct cg *cg, uint32_t offset);

/* expr.c */
LLVMValueRef cg_expr(struct cg *cg, struct node *n);
LLVMValueRef cg_truth(struct cg *cg, struct node *n); /* i1: value != 0 */
LLVMValueRef cg_normalize(struct cg *cg, LLVMValueRef v, const struct type *t);
/* div_warn: the node's run_warning (sema_div_by_zero_check(): 1 + the
 * desc printf index of the divide-by-zero warning, 0 none) */
LLVMValueRef cg_binop(struct cg *cg, int op, LLVMValueRef l, LLVMValueRef r,
		      const struct type *lt, const struct type *rt, const struct type *result,
		      int div_warn);
LLVMValueRef cg_ptr_add(struct cg *cg, LLVMValueRef base, uint64_t offset);
/* builtins.c: sends the record of desc printf `index`, a format without
 * arguments (a fixed runtime warning) */
void cg_emit_plain_format(struct cg *cg, int index);
LLVMValueRef cg_ptr_add_var(struct cg *cg, LLVMValueRef base, LLVMValueRef offset);
/* The i8 at s[i] of a buffer of size bytes (0 past its end), s[i] for an
 * index known only at run time, and 1/0 (i64) for "byte v (zero-extended)
 * is not 0" without a branch (see expr.c). */
LLVMValueRef cg_load_byte(struct cg *cg, LLVMValueRef s, uint32_t size, uint32_t i);
LLVMValueRef cg_load_byte_at(struct cg *cg, LLVMValueRef s, LLVMValueRef i);
LLVMValueRef cg_byte_nonzero(struct cg *cg, LLVMValueRef v);
void cg_zero(struct cg *cg, LLVMValueRef dst, uint32_t size);
/* dst = src, size bytes of BPF memory (inline copies when LLVM's BPF
 * backend can expand them, bpf_probe_read_kernel beyond). */
void cg_copy(struct cg *cg, LLVMValueRef dst, LLVMValueRef src, uint32_t size, unsigned align);
/* Copy a string value of src_size bytes into dst of dst_size bytes; the
 * rest of dst must already be zero or is zeroed when `zero_rest`. Keeps the
 * last byte of dst a NUL when truncating. */
void cg_str_copy(struct cg *cg, LLVMValueRef dst, uint32_t dst_size, LLVMValueRef src,
		 uint32_t src_size, bool zero_rest);
LLVMValueRef cg_str_const(struct cg *cg, const char *s, size_t len, uint32_t size);
/* Store value v of type `from` at dst as type `to` (the stored type of a
 * map, variable or record member: integers widened, strings resized,
 * tuples converted element by element). dst must be zeroed beforehand when
 * `to` has padding. */
void cg_store(struct cg *cg, LLVMValueRef dst, const struct type *to, LLVMValueRef v,
	      const struct type *from);
/* The value of a scalar of type t stored at p in BPF memory. */
LLVMValueRef cg_load_scalar(struct cg *cg, LLVMValueRef p, const struct type *t);

/* refs.c: direct loads through BTF pointers (btf.h, kbtf_direct_load).
 * Whether this compile may use them: the kernel has
 * bpf_get_current_task_btf, -k is off (a faulting load reads 0 and reports
 * nothing, where -k wants the failed helper reported) and
 * SONDE_BTF_LOADS=0 is not set (every read through a helper, as before:
 * tests and benches compare the two). Loads BTF. */
bool cg_btf_loads(struct cg *cg);
/* `comm` written to the 16 bytes at dst (aligned to align) from the current
 * task's BTF pointer, NUL-padded as bpf_get_current_comm() writes it;
 * false (nothing emitted) when cg_btf_loads() or BTF says no. */
bool cg_comm_direct(struct cg *cg, LLVMValueRef dst, unsigned align);

/* refs.c: memory references */
struct cg_ref cg_ref_of(struct cg *cg, struct node *n);
/* The value of type t at ref r (scalars: an i64; aggregates: BPF memory). */
LLVMValueRef cg_load_ref(struct cg *cg, struct cg_ref r, const struct type *t);
/* The reference to member m of the record at r. */
struct cg_ref cg_ref_member(struct cg *cg, struct cg_ref r, const struct type_member *m);
/* Memory of address space as at address v (an i64 or a pointer). */
struct cg_ref cg_ref_pointer(struct cg *cg, LLVMValueRef v, enum addr_space as);
/* Read size bytes at a kernel/user address into dst (zeroed on failure). */
void cg_probe_read(struct cg *cg, LLVMValueRef dst, uint32_t size, LLVMValueRef src, bool user);
/* Read a string of at most size bytes (NUL included) into dst. */
void cg_probe_read_str(struct cg *cg, LLVMValueRef dst, uint32_t size, LLVMValueRef src, bool user);
/* -k: when ret (the helper's result) is negative, an event reports the
 * helper and the error at the current statement; nothing without -k */
void cg_check_read(struct cg *cg, LLVMValueRef ret, enum bpf_helper id);
/* -k: when the i1 failed is true, an event reports helper failing with the
 * i64 rc at loc (no line: the current statement); nothing without -k */
void cg_report_helper_error(struct cg *cg, LLVMValueRef failed, LLVMValueRef rc, const char *helper,
			    srcloc loc);
/* For providers: the context record itself, and a member at its offset. */
struct cg_ref cg_ctx_ref(struct cg *cg);

/* stmt.c */
void cg_stmt(struct cg *cg, struct node *n);
void cg_block_stmts(struct cg *cg, struct node *first);
LLVMValueRef cg_var_slot(struct cg *cg, struct node *var);
/* n: an N_ASSIGN to a variable, or an N_LET with a value */
void cg_assign_var(struct cg *cg, struct node *n);

/* loops.c */
void cg_flow_stmt(struct cg *cg, struct node *n); /* let, loops, jumps */
/* End the current action here (return, exit()); from a for loop's body,
 * the loop stops and its caller leaves. */
void cg_leave_action(struct cg *cg);

/* scratch.c-style helpers live in cg.c */
LLVMValueRef cg_scratch_base(struct cg *cg);

/* maps.c */
LLVMValueRef cg_map_global(struct cg *cg, const struct map_info *m);
const struct desc_map *cg_desc_map(struct cg *cg, const struct map_info *m);
/* Key for @m[keys]; for hist/lhist maps `bucket` (i64) follows the user key. */
LLVMValueRef cg_map_key(struct cg *cg, const struct map_info *m, struct node *keys,
			LLVMValueRef bucket);
LLVMValueRef cg_map_lookup(struct cg *cg, LLVMValueRef map, LLVMValueRef key);
LLVMValueRef cg_map_update(struct cg *cg, LLVMValueRef map, LLVMValueRef key,
			   LLVMValueRef value, uint64_t flags);
LLVMValueRef cg_map_read(struct cg *cg, struct node *map_node);
/* The value under `key`, or 0 / "" when absent (MAP_PLAIN). */
LLVMValueRef cg_map_read_key(struct cg *cg, const struct map_info *m, LLVMValueRef key);
/* The same, for a read the script wrote at loc: with -k an absent key is
 * reported there, as bpftrace's failed map_lookup_elem. */
LLVMValueRef cg_map_read_key_at(struct cg *cg, const struct map_info *m, LLVMValueRef key,
				srcloc loc);
/* bpf_map_update_elem(BPF_ANY) on m; a failure is counted (desc.h
 * SONDE_DROPPED_*), never silent. */
void cg_map_update_counted(struct cg *cg, const struct map_info *m, LLVMValueRef key,
			   LLVMValueRef value);
void cg_map_write_key(struct cg *cg, const struct map_info *m, LLVMValueRef key, LLVMValueRef v,
		      const struct type *t);
LLVMValueRef cg_map_delete(struct cg *cg, LLVMValueRef map, LLVMValueRef key); /* the helper's rc */
/* delete(@m[keys]): every bucket of a hist/lhist key */
/* 1 if the entry was there (always 1 for hist/lhist keys), as an i64 */
LLVMValueRef cg_map_delete_elem(struct cg *cg, const struct map_info *m, struct node *keys);
/* The same for delete() at loc: with -k an absent key is reported there. */
LLVMValueRef cg_map_delete_elem_at(struct cg *cg, const struct map_info *m, struct node *keys,
				   srcloc loc);
/* count/sum maps changed by ++, --, += or -=: add delta in place. */
void cg_agg_add(struct cg *cg, const struct map_info *m, LLVMValueRef key, LLVMValueRef delta);
typedef void (*cg_agg_modify_fn)(struct cg *cg, LLVMValueRef value_ptr, void *data);
/* The per-CPU in-place update of m: lookup; modify if found; else insert
 * the initial value with BPF_NOEXIST, and if another event inserted it
 * first, look up again and modify. An insert the map refuses is counted. */
/* Add one to bucket `bucket` (u64) of m, a desc_map array. */
void cg_agg_count_bucket(struct cg *cg, const struct map_info *m, LLVMValueRef bucket);
void cg_agg_update(struct cg *cg, const struct map_info *m, LLVMValueRef key,
		   cg_agg_modify_fn modify, cg_agg_modify_fn init, void *data);
void cg_add_in_place(struct cg *cg, LLVMValueRef p, uint32_t offset, LLVMValueRef delta);
/* kfunc.c: calls of kernel functions (kfuncs), resolved by libbpf against
 * the kernel's BTF. A prototype names the kinds BTF must show. */
enum cg_kfunc_kind { CG_KF_VOID, CG_KF_S32, CG_KF_U64, CG_KF_STRUCT_PTR };
struct cg_kfunc_type {
	enum cg_kfunc_kind kind;
	const char *struct_name; /* CG_KF_STRUCT_PTR: "task_struct" */
};
#define CG_KFUNC_MAX_PARAMS 5
struct cg_kfunc {
	const char *name;
	struct cg_kfunc_type ret;
	int nparams;
	struct cg_kfunc_type params[CG_KFUNC_MAX_PARAMS];
};
/* Call k with args (i64 integers or pointers, converted to k's types). */
LLVMValueRef cg_kfunc_call(struct cg *cg, const struct cg_kfunc *k, LLVMValueRef *args, unsigned nargs);

/* ring buffer: output `size` bytes at buf; counts a lost event on failure */
void cg_event_output(struct cg *cg, LLVMValueRef buf, uint32_t size);
void cg_event_header(struct cg *cg, LLVMValueRef buf, uint32_t kind, uint32_t id);

#endif
