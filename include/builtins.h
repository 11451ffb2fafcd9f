/* builtins.h - builtin variables, functions and aggregations: one descriptor
 * each (stdlib/).
 *
 * A descriptor carries every stage's hook for its builtin: sema's check
 * (argument rules, the result type, where it may be used), codegen's emit,
 * and for aggregations the value layout, how per-CPU values combine, how
 * entries sort and how they print. No stage looks a builtin up by name
 * after sema has resolved it: sema stores the descriptor on the node.
 * Adding a builtin = one descriptor (and its hooks) in stdlib/. */
#ifndef SONDE_BUILTINS_H
#define SONDE_BUILTINS_H

#include "ast.h"
#include "desc.h"
#include "output.h"

struct sema;             /* sema's state (sema/); hooks use include/sema.h */
struct cg;               /* codegen state (codegen/cg.h) */
struct LLVMOpaqueValue;  /* LLVMValueRef, without pulling LLVM into every stage */

/* sema: type node n (its arguments too), report misuse; returns the type
 * (type_none() after an error). */
typedef const struct type *(*sema_check_fn)(struct sema *s, struct node *n);
/* codegen: the value of n (NULL for statements). */
typedef struct LLVMOpaqueValue *(*cg_emit_fn)(struct cg *cg, struct node *n);
/* codegen: the map update of `@m[k] = agg(args)`; `assign` is the N_ASSIGN. */
typedef void (*cg_update_fn)(struct cg *cg, struct node *assign);
/* codegen: the value of aggregation map m under the BPF key `key`, its
 * per-CPU values combined in BPF (`if (@c > 10)`). */
typedef struct LLVMOpaqueValue *(*cg_agg_read_fn)(struct cg *cg, const struct map_info *m,
						 struct LLVMOpaqueValue *key);

/* ---- builtin variables ------------------------------------------------------- */

struct stdlib_var {
	const char *name;     /* "pid"; "arg" stands for arg0..argN */
	sema_check_fn check;
	cg_emit_fn emit;
};

/* ---- aggregations -------------------------------------------------------------- */

/* One map entry's per-CPU values combined (aggregation runtime hooks). */
struct agg_result {
	int64_t value;      /* count/sum/min/max/avg: the value; hist: total count */
	bool is_unsigned;   /* value sorts and prints as unsigned */
	int64_t total;      /* avg, stats */
	uint64_t count;     /* avg, stats */
	bool is_set;        /* min, max: some CPU saw a value */
	uint64_t *buckets;  /* hist, lhist: counts per bucket (owned by the reader);
			     * tseries: each bucket's value */
	int nbuckets;
	uint64_t *epochs;   /* tseries: each bucket's epoch, AGG_NO_EPOCH = no record in the map
			     * (owned by the reader) */
};

/* a tseries bucket the map has no record of (epoch 0 is a record whose
 * value was never written: bpftrace shows it as 0 at time 0) */
#define AGG_NO_EPOCH UINT64_MAX

struct agg_desc {
	enum map_kind kind;
	uint32_t value_size;   /* bytes of one per-CPU value */
	bool bucketed;         /* hist, lhist: the bucket index ends the BPF key */
	const char *json_type; /* "map", "stats", "hist" */
	bool blank_line_after; /* text: bpftrace prints a blank line after the map */
	/* what reading the aggregation yields (count: uint64) for `@x` in
	 * expressions and for printing; arg is the aggregated value's type */
	const struct type *(*value_type)(const struct type *arg);
	cg_update_fn update;
	/* reading the map as a value in a probe (count, sum, avg, min, max, as
	 * bpftrace's "castable" aggregations); NULL: it cannot be read */
	cg_agg_read_fn read;
	/* runtime: combine ncpus values `stride` bytes apart (one for plain maps) */
	void (*combine)(const struct desc_map *m, const unsigned char *values, int ncpus,
			uint32_t stride, struct agg_result *out);
	/* runtime: the value to print; div > 1 divides (print(@m, top, div)) */
	struct rt_value *(*decode)(struct rt_arena *a, const struct desc_map *m,
				   const struct agg_result *r, int64_t div);
	/* buckets per user key (bucketed aggregations; -1: a bad description) */
	int (*nbuckets)(const struct desc_map *m);
	/* bucketed: one bucket's per-CPU values into one; NULL: the sum of the
	 * u64 counts (hist). Sets *epoch for time series. */
	uint64_t (*reduce_bucket)(const struct desc_map *m, const unsigned char *values, int ncpus,
				  uint32_t stride, uint64_t *epoch);
};

const struct agg_desc *agg_find(enum map_kind kind);

/* The kernel clocks of nsecs(clock), stored in the call's ival. */
enum stdlib_clock {
	STDLIB_CLOCK_MONOTONIC, /* CLOCK_MONOTONIC, also plain `nsecs` (as bpftrace 0.17) */
	STDLIB_CLOCK_BOOT,      /* CLOCK_BOOTTIME */
	STDLIB_CLOCK_TAI,       /* CLOCK_TAI, kernel helper since 6.1 */
	STDLIB_CLOCK_SW_TAI,    /* CLOCK_BOOTTIME + the TAI offset measured at start */
};

/* ---- functions --------------------------------------------------------------------- */

enum func_kind {
	FN_VALUE, /* an expression with a value: str(p) */
	FN_STMT,  /* only as a statement: printf, exit, print, clear, zero, delete */
	FN_AGG,   /* only as the value assigned to a map: @m[k] = count() */
};

struct stdlib_func {
	const char *name;
	enum func_kind kind;
	int min_args, max_args;  /* max_args < 0: any number */
	sema_check_fn check;     /* types the arguments, returns the result */
	cg_emit_fn emit;         /* FN_VALUE, FN_STMT */
	const struct agg_desc *agg; /* FN_AGG */
};

/* stdlib/vars.c, stdlib/funcs.c, stdlib/aggs.c */
const struct stdlib_var *stdlib_find_var(const char *name); /* "arg3" finds the "arg" entry */
const struct stdlib_func *stdlib_find_func(const char *name);
/* A word that names a builtin variable, of sonde or of bpftrace (the lexer
 * needs this to tell `(pid)` from the cast `(pid_t)x`). */
bool stdlib_is_builtin_name(const char *name);
extern const struct stdlib_var stdlib_vars[];
extern const int stdlib_nvars;
extern const struct stdlib_func stdlib_funcs[];
extern const int stdlib_nfuncs;

/* Codegen hooks named by the tables (codegen/builtins.c, codegen/aggs.c). */
struct LLVMOpaqueValue *cg_var_pid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_tid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_uid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_gid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_comm(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_comm(struct cg *cg, struct node *n); /* codegen/kfunc.c: comm, comm(pid) */
struct LLVMOpaqueValue *cg_var_nsecs(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_elapsed(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_cpu(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_probe(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_cpid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_arg(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_args(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_rand(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_cgroup(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_curtask(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_ctx(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_kstack(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_ustack(struct cg *cg, struct node *n); /* codegen/stacks.c */
struct LLVMOpaqueValue *cg_var_func(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_ustack(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_usym(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_retval(struct cg *cg, struct node *n);

/* codegen/values.c */
struct LLVMOpaqueValue *cg_var_jiffies(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_numaid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_ncpus(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_has_cpid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_probetype(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_usermode(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_bswap(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_socket_cookie(struct cg *cg, struct node *n); /* codegen/net.c */
struct LLVMOpaqueValue *cg_fn_skboutput(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_strncmp(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_strcontains(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_strstr(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_str_concat(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_strlen(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_addr_space(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_is_err(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_pton(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_nothing(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_memcmp(struct cg *cg, struct node *n); /* codegen/lang.c */
/* stdlib/lang.c */
const struct type *stdlib_check_container_of(struct sema *s, struct node *n);
const struct type *stdlib_check_assert(struct sema *s, struct node *n);
const struct type *stdlib_check_memcmp(struct sema *s, struct node *n);
const struct type *stdlib_check_write_user(struct sema *s, struct node *n);
struct LLVMOpaqueValue *cg_fn_write_user(struct cg *cg, struct node *n); /* codegen/lang.c */
struct LLVMOpaqueValue *cg_fn_signal(struct cg *cg, struct node *n);
/* reg("NAME") and override(rc): stdlib/regs.c, codegen/regs.c */
const struct type *stdlib_check_reg(struct sema *s, struct node *n);
const struct type *stdlib_check_override(struct sema *s, struct node *n);
struct LLVMOpaqueValue *cg_fn_reg(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_override(struct cg *cg, struct node *n);
/* pton's address bytes (4 or 16), or 0 when text is no IPv4/IPv6 address
 * (stdlib/values.c; codegen writes the bytes sema checked) */
int stdlib_pton(const char *text, unsigned char out[16]);
/* probetype's text for a provider: its name, "special" for BEGIN and END */
struct probe_provider;
const char *stdlib_probetype_name(const struct probe_provider *p);

struct LLVMOpaqueValue *cg_fn_printf(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_print(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_exit(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_unwatch(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_clear(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_zero(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_delete(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_str(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_buf(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_nsecs(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_kaddr(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_uaddr(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_percpu_kaddr(struct cg *cg, struct node *n); /* codegen/values.c */
struct LLVMOpaqueValue *cg_fn_kstack(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_ksym(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_has_key(struct cg *cg, struct node *n); /* codegen/maps.c */
struct LLVMOpaqueValue *cg_fn_len(struct cg *cg, struct node *n);

/* Functions formatted in user space (stdlib/format.c, codegen/format.c). */
const struct type *stdlib_check_time(struct sema *s, struct node *n);
const struct type *stdlib_check_cat(struct sema *s, struct node *n);
const struct type *stdlib_check_system(struct sema *s, struct node *n);
const struct type *stdlib_check_errorf(struct sema *s, struct node *n);
const struct type *stdlib_var_config(struct sema *s, struct node *n);
const struct type *stdlib_check_find(struct sema *s, struct node *n);
const struct type *stdlib_check_kfunc_exist(struct sema *s, struct node *n);
/* stdlib/kfuncs.c */
const struct type *stdlib_check_kfunc_allowed(struct sema *s, struct node *n);
const struct type *stdlib_check_comm_pid(struct sema *s, struct node *n);
/* BTF id of the kernel's kfunc `name`, 0 when this kernel has none */
int stdlib_kfunc_btf_id(const char *name);
/* stdlib/comptime.c */
const struct type *stdlib_check_fail(struct sema *s, struct node *n);
const struct type *stdlib_check_assert_str(struct sema *s, struct node *n);
const struct type *stdlib_check_strcap(struct sema *s, struct node *n);
const struct type *stdlib_check_typeinfo(struct sema *s, struct node *n);
const struct type *stdlib_var_default_str_length(struct sema *s, struct node *n);
const struct type *stdlib_check_warnf(struct sema *s, struct node *n);
const struct type *stdlib_check_join(struct sema *s, struct node *n);
const struct type *stdlib_check_strftime(struct sema *s, struct node *n);
/* stdlib/symbols.c: stacks, usym, uaddr, func */
const struct type *stdlib_check_kstack(struct sema *s, struct node *n);
const struct type *stdlib_check_ustack(struct sema *s, struct node *n);
const struct type *stdlib_var_kstack(struct sema *s, struct node *n);
const struct type *stdlib_var_ustack(struct sema *s, struct node *n);
const struct type *stdlib_var_func(struct sema *s, struct node *n);
const struct type *stdlib_check_usym(struct sema *s, struct node *n);
const struct type *stdlib_check_uaddr(struct sema *s, struct node *n);
const struct type *stdlib_check_strerror(struct sema *s, struct node *n);
const struct type *stdlib_check_socket_cookie(struct sema *s, struct node *n); /* stdlib/net.c */
/* len(stack): stdlib/symbols.c, codegen/stacks.c */
const struct type *stdlib_check_stack_len(struct sema *s, struct node *arg);
/* len() of the stack value `value` (codegen/stacks.c) */
struct LLVMOpaqueValue *cg_stack_len(struct cg *cg, struct LLVMOpaqueValue *value);
/* a stack value just captured of type `stack`, with its depth when the
 * script asks for depths */
struct LLVMOpaqueValue *cg_stack_with_depth(struct cg *cg, const struct type *stack,
					    struct LLVMOpaqueValue *value);
const struct type *stdlib_check_skboutput(struct sema *s, struct node *n);
const struct type *stdlib_check_signal_name(struct sema *s, struct node *n);
const struct type *stdlib_check_syscall_name(struct sema *s, struct node *n);
const struct type *stdlib_check_debugf(struct sema *s, struct node *n);
struct LLVMOpaqueValue *cg_fn_debugf(struct cg *cg, struct node *n);
const struct type *stdlib_check_ntop(struct sema *s, struct node *n);
const struct type *stdlib_check_macaddr(struct sema *s, struct node *n);
const struct type *stdlib_check_cgroup_path(struct sema *s, struct node *n);
const struct type *stdlib_check_username(struct sema *s, struct node *n);
struct LLVMOpaqueValue *cg_fn_cgroup_path(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_username(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_join(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_user_value(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_ntop(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_macaddr(struct cg *cg, struct node *n);
/* Where a pointer argument points (stdlib/funcs.c): its own address space;
 * a plain integer (arg0, a map value) points where the probe type's do. */
enum addr_space stdlib_pointee_space(struct sema *s, const struct node *arg);
/* join(): at most this many strings of this many bytes (bpftrace's
 * join_argnum and join_argsize) */
#define SONDE_JOIN_ARGS 16
#define SONDE_JOIN_ARG_SIZE 1024

void cg_agg_count(struct cg *cg, struct node *assign);
void cg_agg_sum(struct cg *cg, struct node *assign);
void cg_agg_avg(struct cg *cg, struct node *assign);
void cg_agg_min(struct cg *cg, struct node *assign);
void cg_agg_max(struct cg *cg, struct node *assign);
void cg_agg_stats(struct cg *cg, struct node *assign);
void cg_agg_hist(struct cg *cg, struct node *assign);
void cg_agg_lhist(struct cg *cg, struct node *assign);
void cg_agg_tseries(struct cg *cg, struct node *assign);
struct LLVMOpaqueValue *cg_agg_read_sum(struct cg *cg, const struct map_info *m, struct LLVMOpaqueValue *key);
struct LLVMOpaqueValue *cg_agg_read_min(struct cg *cg, const struct map_info *m, struct LLVMOpaqueValue *key);
struct LLVMOpaqueValue *cg_agg_read_max(struct cg *cg, const struct map_info *m, struct LLVMOpaqueValue *key);
struct LLVMOpaqueValue *cg_agg_read_avg(struct cg *cg, const struct map_info *m, struct LLVMOpaqueValue *key);

#endif
