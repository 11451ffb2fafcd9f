/* ast.h - the abstract syntax tree and the types the semantic pass gives it.
 *
 * The parser builds it; sema (sema/) fills in every `type` and resolves every
 * name (maps, scratch variables, builtins, functions); codegen only reads it.
 * All nodes of one program are owned by that `struct program` and freed by
 * ast_free_program(). Lists (statements, arguments, map keys, attach points,
 * probes) are singly linked through `next`. */
#ifndef SONDE_AST_H
#define SONDE_AST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

/* ---- types ------------------------------------------------------------- */

enum type_kind {
	TY_NONE,  /* not yet known / statement */
	TY_INT,   /* size 1, 2, 4 or 8 bytes; is_signed */
	TY_STR,   /* NUL-padded char array of `size` bytes (comm: 16, literal: len+1) */
	TY_ARGS,  /* the `args` record of a tracepoint (only valid under . or ->) */
	TY_AGG,   /* the result of count()/hist()/...: only assignable to a map */
};

/* Types are small values, copied freely; nothing to free. */
struct type {
	enum type_kind kind;
	uint32_t size;
	bool is_signed;
};

#define SONDE_STRLEN 64 /* bytes of a string produced at run time (str(), $1 strings...) */
#define SONDE_COMM_LEN 16 /* the kernel's TASK_COMM_LEN */
/* entries per map: bpftrace's default max_map_keys, which the runtime
 * changes for BPFTRACE_MAX_MAP_KEYS (runtime.h rt_options) */
#define SONDE_MAX_MAP_KEYS 4096
/* parts of a map key (@m[a, b, ...]): a fixed array keeps map_info and
 * desc_map plain data; keys of more parts are not seen in practice, and
 * sema says so if one is */
#define SONDE_MAX_KEY_PARTS 8

static inline struct type type_int(uint32_t size, bool is_signed)
{
	return (struct type){ TY_INT, size, is_signed };
}
static inline struct type type_str(uint32_t size) { return (struct type){ TY_STR, size, false }; }
static inline struct type type_none(void) { return (struct type){ TY_NONE, 0, false }; }
bool type_equal(struct type a, struct type b);
const char *type_name(struct type t, char *buf, size_t len); /* "uint64", "string[16]" */

/* What a map holds; decided by sema from the way the map is assigned.
 * Everything except MAP_PLAIN is an aggregation: a per-CPU map updated in
 * place in BPF and summed in user space. */
enum map_kind {
	MAP_PLAIN, /* @x = expr: last value written (BPF_MAP_TYPE_HASH) */
	MAP_COUNT, /* value u64 per CPU */
	MAP_SUM,   /* value s64 per CPU */
	MAP_AVG,   /* value struct { s64 total; u64 count; } per CPU */
	MAP_MIN,   /* value struct { s64 value; u64 is_set; } per CPU */
	MAP_MAX,   /* value struct { s64 value; u64 is_set; } per CPU */
	MAP_STATS, /* value struct { s64 total; u64 count; } per CPU */
	MAP_HIST,  /* key = user key + u64 bucket (0..64 see below); value u64 per CPU */
	MAP_LHIST, /* key = user key + u64 bucket; value u64 per CPU */
};

/* One part of a map key or of a printf record: its type and byte offset.
 * Integers are always stored as 8 bytes (sign- or zero-extended), strings as
 * `type.size` bytes rounded up to a multiple of 8. */
struct field_layout {
	struct type type;
	uint32_t offset;
};

/* A map as sema sees it: one per distinct @name in the script. Owned by the
 * program (struct program.maps list). */
struct map_info {
	char *name;       /* "@x", or "@" for the anonymous map */
	int id;           /* index in program order of first use; also desc map index */
	srcloc first_use;
	enum map_kind kind;
	int nkeys;        /* 0 = scalar map (stored under the key u64 0) */
	struct field_layout keys[SONDE_MAX_KEY_PARTS];
	uint32_t key_size;   /* bytes of the user key (8 when nkeys == 0) */
	struct type value;   /* MAP_PLAIN: the stored type; aggregations: TY_INT s64/u64 */
	int64_t lhist_min, lhist_max, lhist_step; /* MAP_LHIST only */
	struct map_info *next;
};

/* A scratch variable ($x): probe-scoped, one stack slot per probe action. */
struct var_info {
	char *name; /* "$x" */
	struct type type;
	int index;  /* 0..nvars-1 within its probe */
	struct var_info *next;
};

/* ---- nodes ------------------------------------------------------------- */

enum node_kind {
	/* expressions */
	N_INT,        /* ival (uint64 bits), is_unsigned for literals with u suffix */
	N_STR,        /* str, str_len (without the NUL) */
	N_BUILTIN,    /* name: pid, comm, nsecs, arg3, args, ...; sema sets builtin */
	N_POSITIONAL, /* $1..$N (ival = N), $# (ival = 0, name = "$#"); sema replaces with N_INT/N_STR */
	N_VAR,        /* name "$x"; sema sets var */
	N_MAP,        /* name "@x"; keys in `args` (NULL = no key); sema sets map */
	N_UNARY,      /* op in '-', '!', '~'; lhs */
	N_BINARY,     /* op: one of enum binop; lhs, rhs */
	N_TERNARY,    /* cond ? then : els */
	N_CALL,       /* name(args...); sema sets func */
	N_FIELD,      /* lhs.name or lhs->name (is_arrow); lhs is `args` */
	N_CAST,       /* (cast_type) lhs */
	N_INCDEC,     /* op '+' or '-', is_prefix; lhs is N_VAR or N_MAP */
	N_TYPENAME,   /* a type as a call argument, sizeof(struct task_struct): name is its spelling */
	/* statements */
	N_EXPR_STMT,  /* lhs */
	N_ASSIGN,     /* lhs (N_VAR or N_MAP) op= rhs; op 0 for plain '=', else binop */
	N_IF,         /* cond, then (N_BLOCK), els (N_BLOCK, N_IF or NULL) */
	N_BLOCK,      /* body: list of statements */
};

/* Binary operators (and compound-assignment operators: op of N_ASSIGN). */
enum binop {
	OP_NONE = 0,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
	OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR,  /* bitwise & | ^ << >> */
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_LAND, OP_LOR,                        /* && || (short-circuit) */
};
const char *binop_spelling(enum binop op);

struct stdlib_var;
struct stdlib_func;

struct node {
	enum node_kind kind;
	srcloc loc;
	struct type type; /* set by sema for every expression */

	int op;           /* enum binop, or the unary character, or '+'/'-' for incdec */
	bool is_prefix;   /* N_INCDEC */
	bool is_arrow;    /* N_FIELD written with -> */
	bool is_unsigned; /* N_INT literal */

	struct node *lhs, *rhs;
	struct node *cond, *then, *els;
	struct node *args;  /* N_CALL arguments / N_MAP keys, linked by next */
	struct node *body;  /* N_BLOCK statements, linked by next */
	struct node *next;

	char *name;         /* identifiers: builtin, var, map, call, field */
	char *str;          /* N_STR bytes (escapes already decoded), NUL-terminated */
	size_t str_len;
	uint64_t ival;
	struct type cast_type; /* N_CAST */

	/* resolved by sema */
	struct map_info *map;              /* N_MAP, and N_CALL of map functions (print/clear/zero/delete) */
	struct var_info *var;              /* N_VAR */
	const struct stdlib_var *builtin;  /* N_BUILTIN */
	const struct stdlib_func *func;    /* N_CALL */
	int printf_id;                     /* N_CALL printf: index into desc printfs */
};

/* One attach point as written: "tracepoint:syscalls:sys_enter_*". */
struct attach_point {
	char *text;     /* the whole spec as written; sema substitutes $1.. in it */
	srcloc loc;
	bool unusable;  /* sema: a positional parameter in it was reported bad */
	struct attach_point *next;
};

/* probe-list /predicate/ { body } */
struct probe {
	struct attach_point *points;
	struct node *pred;  /* NULL when absent */
	struct node *body;  /* N_BLOCK */
	srcloc loc;
	int index;          /* 0-based position in the script */
	/* sema */
	struct var_info *vars;
	int nvars;
	struct probe *next;
};

struct program {
	struct source *src;   /* not owned */
	struct probe *probes;
	/* sema */
	struct map_info *maps;
	int nmaps;
};

/* Constructors (parser/ast.c). All allocate from the heap and abort only on
 * out-of-memory (xmalloc). */
struct node *ast_new(enum node_kind kind, srcloc loc);
struct node *ast_new_binary(enum binop op, struct node *lhs, struct node *rhs, srcloc loc);
struct node *ast_new_unary(int op, struct node *lhs, srcloc loc);
void ast_free_node(struct node *n);       /* frees n, its children and its `next` chain */
void ast_free_program(struct program *p); /* frees probes, nodes, maps and vars */
void ast_dump(FILE *out, const struct program *p, bool with_types); /* -d ast / -d types */

/* Memory helpers (src/util.c): abort with a message on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
