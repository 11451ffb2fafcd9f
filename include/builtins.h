/* builtins.h - builtin variables, functions and aggregations, one table entry each.
 *
 * An entry says where a builtin may be used, what arguments it takes and what
 * it yields (read by sema), and which codegen hook emits it (codegen/). The
 * printer for an aggregation is chosen by its map_kind in runtime/maps.c.
 * Adding a builtin = one entry in stdlib/ plus its codegen hook. */
#ifndef SONDE_BUILTINS_H
#define SONDE_BUILTINS_H

#include "ast.h"
#include "desc.h"

struct cg;               /* codegen state (codegen/cg.h) */
struct LLVMOpaqueValue;  /* LLVMValueRef, without pulling LLVM into every stage */

/* Emit an expression node (builtin variable, value-returning or statement
 * function call); returns its value (NULL for statements). */
typedef struct LLVMOpaqueValue *(*cg_emit_fn)(struct cg *cg, struct node *n);
/* Emit the map update for `@m[k] = agg(args)`; `assign` is the N_ASSIGN node
 * whose lhs is the N_MAP and rhs the N_CALL. */
typedef void (*cg_update_fn)(struct cg *cg, struct node *assign);

#define PROBE_MASK(t) (1u << (t))
#define PROBES_ALL 0u

struct stdlib_var {
	const char *name;     /* "pid"; "arg" stands for arg0..argN */
	struct type type;
	unsigned probe_mask;  /* PROBE_MASK bits where it is valid; 0 = everywhere */
	cg_emit_fn emit;
};

enum arg_rule {
	ARG_END = 0,
	ARG_INT,        /* integer expression */
	ARG_STR,        /* string expression */
	ARG_ANY,        /* integer or string expression */
	ARG_CONST_INT,  /* integer literal (positional parameters count as literals) */
	ARG_FMT,        /* string literal: printf-style format, checked against the rest */
	ARG_MAP,        /* a map named without a key: print(@m) */
	ARG_MAP_ELEM,   /* a map element: delete(@m[k]) */
	ARG_REST,       /* any number of further ARG_ANY (last rule only) */
};

enum func_kind {
	FN_VALUE, /* an expression with a value: str(p) */
	FN_STMT,  /* only as a statement: printf, exit, print, clear, zero, delete */
	FN_AGG,   /* only as the value assigned to a map: @m[k] = count() */
};

/* the most arguments a function takes (lhist: 4) plus room for ARG_END */
#define STDLIB_MAX_ARGS 5

struct stdlib_func {
	const char *name;
	enum func_kind kind;
	enum map_kind agg;    /* FN_AGG: the kind of map it makes */
	int min_args;
	enum arg_rule args[STDLIB_MAX_ARGS]; /* ARG_END-terminated unless full */
	struct type result;   /* FN_VALUE */
	cg_emit_fn emit;      /* FN_VALUE, FN_STMT */
	cg_update_fn update;  /* FN_AGG */
};

/* stdlib/vars.c, stdlib/funcs.c, stdlib/aggs.c */
const struct stdlib_var *stdlib_find_var(const char *name); /* "arg3" finds the "arg" entry */
const struct stdlib_func *stdlib_find_func(const char *name);
extern const struct stdlib_var stdlib_vars[];
extern const int stdlib_nvars;
extern const struct stdlib_func stdlib_funcs[];
extern const int stdlib_nfuncs;

/* Codegen hooks named by the tables (implemented in codegen/builtins.c and
 * codegen/aggs.c). */
struct LLVMOpaqueValue *cg_var_pid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_tid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_uid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_gid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_comm(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_nsecs(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_elapsed(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_cpu(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_probe(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_cpid(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_arg(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_rand(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_cgroup(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_var_curtask(struct cg *cg, struct node *n);

struct LLVMOpaqueValue *cg_fn_printf(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_print(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_exit(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_clear(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_zero(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_delete(struct cg *cg, struct node *n);
struct LLVMOpaqueValue *cg_fn_str(struct cg *cg, struct node *n);

void cg_agg_count(struct cg *cg, struct node *assign);
void cg_agg_sum(struct cg *cg, struct node *assign);
void cg_agg_avg(struct cg *cg, struct node *assign);
void cg_agg_min(struct cg *cg, struct node *assign);
void cg_agg_max(struct cg *cg, struct node *assign);
void cg_agg_stats(struct cg *cg, struct node *assign);
void cg_agg_hist(struct cg *cg, struct node *assign);
void cg_agg_lhist(struct cg *cg, struct node *assign);

#endif
