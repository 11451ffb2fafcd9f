/* macro.h - bpftrace's `macro name($x, @m, y) { ... }` (parser/macro.c).
 *
 * The parser collects the definitions; macro_expand() replaces every use
 * in the probes by a copy of the body before sema, so later stages never
 * see a macro. Hygienic as bpftrace's: a `$var` of the body that is not a
 * `$param` is the macro's own (renamed so it cannot meet the caller's), and
 * the body reaches the caller's maps only through `@param`s. */
#ifndef SONDE_MACRO_H
#define SONDE_MACRO_H

#include "ast.h"
#include "diag.h"

struct macro_def {
	char *name;
	struct node *params; /* N_BUILTIN (an expression `x`), N_VAR (`$x`), N_MAP (`@x`) */
	int nparams;
	struct node *body;   /* N_BLOCK */
	srcloc loc;          /* the name in the definition */
	struct macro_def *next;
};

/* Expand every use in prog's probes; errors go to d (wrong argument
 * count or kind, recursion, a map that is not a parameter). */
void macro_expand(struct program *prog, const struct macro_def *defs, struct diag *d);
void macro_free_defs(struct macro_def *defs);

#endif
