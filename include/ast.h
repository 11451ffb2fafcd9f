/* ast.h - the abstract syntax tree.
 *
 * The parser builds it; sema (sema/) decides the type of every expression
 * (types.h) and resolves every name (maps, scratch variables, builtins,
 * functions, struct members), storing the result on the node; codegen only
 * reads it. All nodes of one program are owned by that `struct program` and
 * freed by ast_free_program(). Lists (statements, arguments, map keys,
 * attach points, probes, members of a definition) are singly linked through
 * `next`. */
#ifndef SONDE_AST_H
#define SONDE_AST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "desc.h"
#include "diag.h"
#include "types.h"
#include "util.h"

#define SONDE_COMM_LEN 16 /* the kernel's TASK_COMM_LEN */
/* entries per map: bpftrace's default max_map_keys, which the runtime
 * changes for BPFTRACE_MAX_MAP_KEYS (runtime.h rt_options) */
#define SONDE_MAX_MAP_KEYS 4096
/* parts of a map key (@m[a, b, ...]): a fixed array keeps map_info and
 * desc_map plain data; keys of more parts are not seen in practice, and
 * sema says so if one is */
#define SONDE_MAX_KEY_PARTS 8
/* bpftrace's max_strlen: the size of strings made at run time (str(),
 * positional parameters...), NUL included. BPFTRACE_MAX_STRLEN changes it. */
#define SONDE_DEFAULT_MAX_STRLEN 1024

/* A map as sema sees it: one per distinct @name in the script. Owned by the
 * program (struct program.maps list). */
struct map_info {
	char *name;       /* "@x", or "@" for the anonymous map */
	int id;           /* index in program order of first use; also desc map index */
	srcloc first_use;
	enum map_kind kind;
	int nkeys;        /* key parts as written: 0 = scalar map */
	/* The key: one part's type, or a tuple of the parts; NULL = scalar map.
	 * Integers are stored as 64 bits (type_storage). */
	const struct type *key;
	/* MAP_PLAIN: the stored type; aggregations: what they yield. */
	const struct type *value;
	int64_t agg_args[3]; /* aggregation parameters (lhist: min, max, step) */
	const struct map_decl *decl; /* its `let @m = ...;`, or NULL */
	struct map_info *next;
};

/* `let @m = hash(N);` at the top of a script: the BPF map kind and size
 * of @m (bpftrace's map declarations). Owned by the program. */
struct map_decl {
	char *name;            /* "@m" */
	char *kind;            /* as written: "hash", "lruhash", "percpuhash", "percpulruhash" */
	uint64_t max_entries;
	srcloc loc, name_loc, kind_loc, size_loc;
	struct map_decl *next;
};

/* A scratch variable ($x): probe-scoped, one slot per probe action. */
struct var_info {
	char *name; /* "$x" */
	const struct type *type;
	int index;  /* 0..nvars-1 within its probe */
	/* declared by let or a for loop: visible only in its block, found
	 * through the declaring node (struct node.var), never by name */
	bool scoped;
	bool typed; /* let $x: type: the type is fixed, not merged */
	bool loop_var; /* declared by a for loop: typed by what it iterates */
	srcloc decl_loc; /* scoped: the statement declaring it */
	struct var_info *next;
};

/* ---- type names as written --------------------------------------------------- */

/* What the script spells as a type: in casts, sizeof/offsetof and struct
 * definitions. Resolved by sema (sema/typespec.c) to a struct type. */
enum spec_kind {
	SPEC_NAME,    /* int8..uint64, bool, string, a typedef or base C name ("pid_t", "unsigned int") */
	SPEC_STRUCT,  /* struct NAME */
	SPEC_UNION,   /* union NAME */
	SPEC_ENUM,    /* enum NAME */
	SPEC_TYPEOF,  /* typeof(expr): the type of `expr` (never evaluated) */
};

#define SPEC_MAX_SUFFIXES 8
#define SPEC_PTR 0u              /* a suffix: pointer to what is left of it */
#define SPEC_ARRAY_UNSIZED UINT32_MAX /* T[]: the size comes from the value */

struct type_spec {
	enum spec_kind kind;
	char *name;           /* "uint8", "task_struct" (struct), "unsigned long" */
	/* Suffixes applied to the base in order, bpftrace's postfix syntax:
	 * SPEC_PTR for '*', N for '[N]'. int32*[4] = { SPEC_PTR, 4 }: an array of
	 * 4 pointers. C declarators (int *a[2][3]) are turned into the same
	 * order by the parser: { SPEC_PTR, 3, 2 }. */
	uint32_t suffix[SPEC_MAX_SUFFIXES];
	int nsuffix;
	struct node *expr;    /* SPEC_TYPEOF: the expression whose type it is (owned) */
	srcloc loc;
};

/* A member of a struct/union defined in the script. */
struct cdef_member {
	struct type_spec spec;
	char *name;           /* NULL for an anonymous nested struct/union */
	struct cdef *nested;  /* anonymous or inline nested struct/union, or NULL */
	uint32_t bit_size;    /* `: N`, 0 = not a bitfield */
	srcloc loc;
	struct cdef_member *next;
};

/* One `NAME` or `NAME = value` of a C enum defined in the script. */
struct cdef_enumerator {
	char *name;
	bool has_value;
	int64_t value;        /* parsed value (has_value), or sema's */
	srcloc loc;
	struct cdef_enumerator *next;
};

/* struct NAME { ... } / union NAME { ... } / enum NAME { ... } at the top
 * of a script. */
struct cdef {
	bool is_union;
	bool is_enum;         /* enumerators instead of members */
	struct cdef_enumerator *enumerators;
	char *name;           /* NULL for anonymous nested definitions */
	bool is_packed;       /* __attribute__((packed)) */
	struct cdef_member *members;
	srcloc loc;
	const struct type *type; /* sema: the laid-out record */
	struct cdef *next;
};

/* ---- nodes -------------------------------------------------------------------- */

enum node_kind {
	/* expressions */
	N_INT,        /* ival (uint64 bits), is_unsigned for literals with u suffix */
	N_BOOL,       /* true / false: ival 1 / 0 */
	N_STR,        /* str, str_len (without the NUL) */
	N_BUILTIN,    /* name: pid, comm, nsecs, arg3, args, ...; sema sets builtin */
	N_POSITIONAL, /* $1..$N (ival = N), $# (ival = 0, name = "$#"); sema replaces with N_INT/N_STR */
	N_VAR,        /* name "$x"; sema sets var */
	N_MAP,        /* name "@x"; keys in `args` (NULL = no key); sema sets map */
	N_UNARY,      /* op in '-', '!', '~', '*' (dereference), '&' (address of); lhs */
	N_BINARY,     /* op: one of enum binop; lhs, rhs */
	N_TERNARY,    /* cond ? then : els */
	N_CALL,       /* name(args...); sema sets func */
	N_FIELD,      /* lhs.name or lhs->name (is_arrow); tuple elements: lhs.0 */
	N_INDEX,      /* lhs[rhs]: arrays, pointers, tuples (constant index) */
	N_CAST,       /* (spec) lhs */
	N_INCDEC,     /* op '+' or '-', is_prefix; lhs is N_VAR or N_MAP */
	N_TUPLE,      /* (a, b, ...): elements in args */
	N_RECORD,     /* (a = 1, b = "x"): elements in args, each N_NAMED */
	N_NAMED,      /* one `name = lhs` of a record */
	N_SIZEOF,     /* sizeof(spec) or sizeof(lhs) */
	N_OFFSETOF,   /* offsetof(spec, name.name...): the path in args as N_NAMED */
	N_TYPEARG,    /* typeof(...) as a call argument (a macro's, container_of's): spec */
	N_COMPTIME,   /* comptime lhs: sema folds it into the literal it stands for */
	N_BLOCK_EXPR, /* { stmts; value }: body, then the value lhs (NULL: no value);
		       * if-expressions are N_TERNARY of two of them */
	/* statements */
	N_EXPR_STMT,  /* lhs */
	N_ASSIGN,     /* lhs (N_VAR or N_MAP) op= rhs; op 0 for plain '=', else binop */
	N_IF,         /* cond, then (N_BLOCK), els (N_BLOCK, N_IF or NULL) */
	N_BLOCK,      /* body: list of statements */
	N_LET,        /* let lhs (N_VAR) [: spec] [= rhs]; sema sets var */
	N_WHILE,      /* while cond then (N_BLOCK) */
	N_UNROLL,     /* unroll cond then: sema sets ival to the count */
	N_FOR,        /* for (lhs (N_VAR) : rhs) then: rhs is an N_MAP or an N_RANGE; sema sets var */
	N_RANGE,      /* lhs..rhs of a for: start inclusive, end exclusive */
	N_BREAK,
	N_CONTINUE,
	N_RETURN,     /* return [lhs]: ends the action */
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
	const struct type *type; /* set by sema for every expression (type_none() if it failed) */

	int op;           /* enum binop, or the unary character, or '+'/'-' for incdec */
	bool is_prefix;   /* N_INCDEC; N_TERNARY written as if/else */
	bool is_arrow;    /* N_FIELD written with -> */
	bool is_unsigned; /* N_INT literal with a u suffix */
	bool is_negative; /* N_INT: a negated literal folded into one (ival holds the two's complement) */
	/* N_EXPR_STMT and compound statements: last of their block with no ';'
	 * after them (the value of a block expression) */
	bool no_semicolon;
	bool is_discard;  /* N_EXPR_STMT written `_ = expr;` */
	/* An expression standing for memory (a field, an element, *p, args):
	 * the address space pointers read from it point into. */
	enum addr_space as;

	struct node *lhs, *rhs;
	struct node *cond, *then, *els;
	struct node *args;  /* N_CALL arguments / N_MAP keys / tuple and record elements */
	struct node *body;  /* N_BLOCK statements, linked by next */
	struct node *next;

	char *name;         /* identifiers: builtin, var, map, call, field, record member */
	char *str;          /* N_STR bytes (escapes already decoded), NUL-terminated */
	size_t str_len;
	uint64_t ival;
	struct type_spec *spec; /* N_CAST, N_SIZEOF/N_OFFSETOF of a type */

	/* resolved by sema */
	struct map_info *map;              /* N_MAP, and N_CALL of map functions (print/clear/zero/delete) */
	struct var_info *var;              /* N_VAR */
	const struct stdlib_var *builtin;  /* N_BUILTIN */
	const struct stdlib_func *func;    /* N_CALL */
	/* N_FIELD: the member read. A field of `args` can differ between the
	 * targets an action is attached to (wildcards): then `members` has one
	 * entry per target of the action (struct probe.targets order) and
	 * `member` is the first. */
	const struct type_member *member;
	const struct type_member **members;
	int index;                         /* printf: desc printf index; print(value): desc value index; N_INDEX of a tuple: the element */
	/* N_BINARY `/` `%`, N_ASSIGN `/=` `%=`, N_INDEX of an array: 1 + the
	 * desc printf index of the run-time warning (division by zero, index
	 * out of bounds) its code sends; 0: none */
	int run_warning;
	/* N_CALL in a macro's body: the macro uses it was expanded from,
	 * innermost first (errorf/warnf print them as bpftrace's "expanded
	 * from" notes); uses beyond SRC_MAX_EXPANSIONS are not kept */
	srcloc expanded_from[SRC_MAX_EXPANSIONS];
	int nexpanded;
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
	int *targets;       /* indices of the program groups (targets) this action runs in */
	int ntargets;
	struct probe *next;
};

/* One `key = value` of the script's `config = { ... }` block (checked
 * against the known settings by src/config.c). */
enum config_value_kind { CONFIG_INT, CONFIG_STRING, CONFIG_WORD };
struct config_item {
	char *key;
	enum config_value_kind kind;
	uint64_t num;       /* CONFIG_INT */
	char *str;          /* CONFIG_STRING, CONFIG_WORD (true, perf, ...) */
	srcloc key_loc, value_loc;
	struct config_item *next;
};

struct program {
	struct source *src;   /* not owned */
	struct config_item *config; /* the config block, in script order */
	struct cdef *cdefs;   /* struct/union definitions, in script order */
	struct map_decl *map_decls; /* `let @m = hash(N);`, in script order */
	struct probe *probes;
	/* sema */
	struct type_arena *types;
	struct map_info *maps;
	int nmaps;
};

/* Constructors (parser/ast.c). All allocate from the heap and abort only on
 * out-of-memory (xmalloc). */
struct node *ast_new(enum node_kind kind, srcloc loc);
struct node *ast_new_binary(enum binop op, struct node *lhs, struct node *rhs, srcloc loc);
struct node *ast_new_unary(int op, struct node *lhs, srcloc loc);
struct type_spec *ast_new_spec(enum spec_kind kind, char *name, srcloc loc);
void ast_free_spec(struct type_spec *s);
void ast_free_enumerators(struct cdef_enumerator *e);
void ast_free_cdefs(struct cdef *d);
void ast_free_node(struct node *n);       /* frees n, its children and its `next` chain */
/* A deep copy of n and its children, not of its `next` (the children
 * ast_free_node frees); for trees not yet checked by sema. */
struct node *ast_copy_node(const struct node *n);
void ast_free_program(struct program *p); /* frees probes, nodes, maps, vars and types */
void ast_dump(FILE *out, const struct program *p, bool with_types); /* -d ast / -d types */
/* "struct task_struct *", "uint8[4]": the spec as a bpftrace user writes it. */
const char *ast_spec_text(const struct type_spec *s, char *buf, size_t len);

#endif
