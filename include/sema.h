/* sema.h - semantic analysis (sema/).
 *
 * Resolves every name, decides every type, infers each map's key and value
 * types and kind from all its uses across probes (they must agree), expands
 * attach points into concrete targets and groups the probes that share one,
 * and builds the runtime description (maps, printf layouts, programs). After
 * a successful sema, codegen never guesses: each expression node carries
 * its type, each field its member, each call and builtin its descriptor. */
#ifndef SONDE_SEMA_H
#define SONDE_SEMA_H

#include <regex.h>
#include <stdarg.h>

#include "ast.h"
#include "desc.h"
#include "probe.h"

/* One BPF program to generate: every script probe action attached to one
 * concrete target, in script order. groups[i] corresponds to desc->probes[i].
 * Exception: lowered groups (target.lower.kind != LOWER_NONE) with the same
 * prog_name are emitted together as one raw tracepoint program that
 * dispatches on the syscall number (codegen/lower.c). */
struct prog_group {
	struct probe_target target;           /* owned */
	const struct probe_provider *prov;
	struct probe **actions;               /* owned array; probes owned by the program */
	int nactions;
	char *prog_name;                      /* owned; == desc->probes[i].prog_name */
	const struct type *args;              /* the type of `args` here, NULL if none */
};

struct sonde_config;

struct sema_options {
	char **positional;    /* $1..$N as given after the script */
	int npositional;
	uint32_t max_strlen;  /* 0: SONDE_DEFAULT_MAX_STRLEN (config: max_strlen, BPFTRACE_MAX_STRLEN) */
	int max_probes;       /* attach points allowed; 0 = SEMA_DEFAULT_MAX_PROBES */
	int max_programs;     /* BPF programs allowed; 0 = SEMA_DEFAULT_MAX_PROGRAMS */
	const regex_t *probe_filter; /* keep only matching targets (and BEGIN/END); NULL = all */
	bool unsafe;          /* --unsafe: functions that change the system (signal) are allowed */
	/* stack_mode from the config: its index in bpftrace's list (bpftrace,
	 * perf, raw, build_id); 0 when not set */
	unsigned stack_mode;
	/* missing_probes from the config: 0 error, 1 warn, 2 ignore (bpftrace's
	 * order); an attach point that matches nothing is then skipped */
	unsigned missing_probes;
	/* every setting, for the config builtin; NULL: all defaults */
	const struct sonde_config *config;
};

/* Each program costs LLVM ~2 ms to compile and the kernel a load and an
 * attach; far beyond this a script is a wildcard that matched much more
 * than meant (tracepoint:*:* is ~2,000 events). bpftrace's defaults of
 * max_probes and max_bpf_progs, which BPFTRACE_MAX_PROBES and
 * BPFTRACE_MAX_BPF_PROGS change. */
#define SEMA_DEFAULT_MAX_PROBES 1024
#define SEMA_DEFAULT_MAX_PROGRAMS 1024

struct sema_result {
	struct prog_group *groups;
	int ngroups;
	struct desc *desc;    /* owned until handed to struct compiled */
	uint32_t max_strlen;  /* the size str() gives strings */
	/* len() of a stack value is taken somewhere: every stack captured
	 * carries its depth (desc.h SONDE_STACK_DEPTH_SHIFT) */
	bool stack_depths;
};

/* Returns 0, or -1 after reporting every error found through d. */
/* Are the typed actions p and q (of separate probes) the same code in any
 * program, whatever target runs them? Same syntax, types, maps and
 * variable slots, and neither reads args, ctx or func (`probe` may differ:
 * callers that share code supply the name). */
bool sema_same_action_code(const struct probe *p, const struct probe *q);

int sema_analyze(struct program *p, const struct sema_options *opt, struct diag *d,
		 struct sema_result *out);
void sema_result_free(struct sema_result *r);

/* For -l with a script (src/list.c): substitutes $1.. in the attach points
 * and hands each attach point's targets to fn, in script order, without
 * checking the probes' actions. Returns 0, or -1 after reporting errors
 * through d. */
typedef void (*sema_targets_fn)(const struct probe_target *t, int n, void *arg);
int sema_attach_targets(struct program *p, const struct sema_options *opt, struct diag *d,
			sema_targets_fn fn, void *arg);

/* ---- for the check hooks of builtins (stdlib/) and probe types (probes/) ---- */

struct sema;
/* Types expression n (and everything under it); returns its type. */
const struct type *sema_expr(struct sema *s, struct node *n);
/* Types n whose value is dropped (a statement's expression): calls of
 * functions without a value are allowed; type_void() when n has none. */
const struct type *sema_discarded(struct sema *s, struct node *n);
/* A call that writes to output channel k, with what it fixed while
 * compiling (struct desc_channel_call): its id, the index of the desc's
 * entry (sema's runs start the lists afresh). */
int sema_add_channel_call(struct sema *s, enum desc_channel_kind k, const char *text, uint64_t num);
/* Check hooks that answer while compiling, or stand for other code, turn
 * the call (or builtin) n into a node of `kind` in place: its arguments
 * are freed (unlink first those the new node reuses) and its name and
 * descriptor forgotten; the caller fills in the new node and types it. */
void sema_replace_call(struct node *n, enum node_kind kind);
/* sema_replace_call into the literal v (N_INT, unsigned, or N_BOOL),
 * typed: returns its type. */
const struct type *sema_replace_call_literal(struct sema *s, struct node *n, enum node_kind kind,
					     uint64_t v);
/* Reports an error (once: sema runs the script several times and only the
 * last run reports) and returns type_none(), for `return sema_fail(...)`. */
const struct type *sema_fail(struct sema *s, srcloc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A note under the error just reported (quiet runs say nothing). */
void sema_note(struct sema *s, srcloc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A warning about the whole script (no place), said once, whichever run
 * reaches it: for checks that fold their call away in a quiet run. */
void sema_warn_script(struct sema *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning (once, as errors: quiet runs say nothing). */
void sema_warn(struct sema *s, srcloc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct type_arena *sema_types(struct sema *s);
uint32_t sema_max_strlen(struct sema *s);
bool sema_unsafe(struct sema *s); /* --unsafe was given */
const struct sonde_config *sema_config(struct sema *s); /* the settings, or NULL */
/* The stack mode of a kstack that names none (the config's stack_mode);
 * false after reporting at n that the configured mode is not supported. */
bool sema_default_stack_mode(struct sema *s, struct node *n, enum stack_mode *mode);
/* len() of a stack: stacks must carry their depth (sema_result). */
void sema_want_stack_depths(struct sema *s);
/* The program groups (targets) the action being checked runs in. */
int sema_ntargets(struct sema *s);
const struct prog_group *sema_target(struct sema *s, int i);
/* The longest target name of the whole script (the size of `probe`). */
size_t sema_longest_target_name(struct sema *s);

/* struct NAME as the script would see it, without loading BTF yet: the
 * script's own definition, or a record that sema_complete() fills from BTF
 * the first time its members are needed. */
const struct type *sema_lazy_struct(struct sema *s, const char *name);

/* n (a builtin or function) is a bpftrace name that bpftrace allows only
 * in other probe types than one of this action's: reports where it is
 * available and returns true; false (nothing reported) otherwise. */
bool sema_report_wrong_probe(struct sema *s, struct node *n, const char *what);
const char *sema_probe_name(const struct prog_group *g); /* "tracepoint", "BEGIN" */

/* The call being checked never returns: what follows it in its block is
 * unreachable (exit()). */
void sema_ends_action(struct sema *s);

/* Argument checks for function hooks; each reports its own error. */
int sema_count_args(const struct node *call);
struct node *sema_arg(struct node *call, int i);
/* argument i must be an integer (or bool, enum, pointer when allow_ptr) */
bool sema_arg_integer(struct sema *s, struct node *call, int i, bool allow_ptr);
bool sema_arg_string(struct sema *s, struct node *call, int i);
/* a literal integer (positional parameters count as literals) */
bool sema_arg_literal(struct sema *s, struct node *call, int i, int64_t *value);
/* a map written without a key (print(@m)), or with one (delete(@m[k])) */
struct map_info *sema_arg_map(struct sema *s, struct node *call, int i, bool with_key);
/* f(@m, key) (has_key): the map of argument 0, the key (argument 1)
 * typed as in @m[key] and unified with the map's keys; NULL after
 * reporting (a scalar map, anything else than a map). */
struct map_info *sema_arg_map_and_key(struct sema *s, struct node *call);
/* A map all of whose uses so far have no key (@x = 1). */
bool sema_map_is_scalar(struct sema *s, const struct map_info *m);
/* f(@m) that needs @m to have no keys: decides so, or reports that it has
 * (as "f() expects a map element, as f(@name[key])"). */
void sema_map_keys_none(struct sema *s, struct node *call, struct map_info *m);
bool sema_const_int(const struct node *n, int64_t *out);
/* Folds a constant integer expression (literals and + - * / % << >> & | ^ ~
 * and unary minus); false when n is not constant. */
bool sema_const_eval(const struct node *n, int64_t *out);

/* The type an argument stands for: a type written as one (N_TYPEARG,
 * typeof(...)) or the type of an expression, which is typed but never
 * evaluated (sizeof, typeinfo). */
const struct type *sema_type_arg(struct sema *s, struct node *arg);

/* Completes a record value's kernel types (members read from BTF on
 * demand) before it is stored or printed; false after reporting. */
bool sema_complete_value(struct sema *s, const struct type *t, srcloc loc);

/* printf(): the format against the arguments, and the record they travel in. */
const struct type *sema_check_printf(struct sema *s, struct node *call);
/* The printf family (cat, system, errorf, warnf): the format and arguments
 * checked as printf's; `action` says what the runtime does with the text. */
void sema_printf_as(struct sema *s, struct node *call, enum printf_action action);
/* A format record of the call's own making (time, join): its format and
 * argument tuple (NULL: none); sets call->index, returns it (-1 after an
 * error). */
int sema_register_format(struct sema *s, struct node *call, const char *fmt,
			 const struct type *args, enum printf_action action);
/* n (N_BINARY or N_ASSIGN) divides by divisor: sets n->run_warning to the
 * divide-by-zero warning's format (+ 1), or 0 when none is needed. */
void sema_div_by_zero_check(struct sema *s, struct node *n, const struct node *divisor);
/* In a function's check hook: the call is a statement, its value unused
 * (checked before the hook checks any argument). */
bool sema_call_is_statement(struct sema *s);
/* A value print() sends to user space: registers its type in the
 * description; the node's index says which. */
void sema_print_value(struct sema *s, struct node *call, struct node *value);

/* For the aggregation hooks: the map of `@m[k] = agg(...)` now being typed
 * and its parameters (lhist bounds must agree across uses). */
bool sema_agg_params(struct sema *s, struct node *call, const int64_t *params, int n);

#endif
