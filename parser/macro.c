/* macro.c - expansion of bpftrace macros on the AST, before sema.
 *
 * Owns: matching uses to definitions, checking arguments against the
 * parameters' kinds, copying bodies with parameters substituted and the
 * macro's own variables renamed (hygiene), and splicing the result where
 * the use was: a use as a statement becomes the body's statements, a use
 * as a value becomes the body's expression (a body of statements and a
 * final expression may be the value of an assignment: the statements go
 * before it). */
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "macro.h"

#define MACRO_MAX_DEPTH 64 /* nested uses; deeper is runaway, not a real script */

struct expander {
	struct diag *d;
	const struct macro_def *defs;
	const struct macro_def *stack[MACRO_MAX_DEPTH];
	int depth;
};

/* What one use binds: the definition and its arguments in order. */
struct binding {
	const struct macro_def *m;
	struct node **args;
};

/* The macro `name` with nargs parameters (macros overload by arity, as
 * bpftrace's do); else, unless `name` is also a builtin or function (then
 * the use is that), any macro of the name, for its argument-count error. */
static const struct macro_def *macro_find(const struct expander *ex, const char *name, int nargs)
{
	const struct macro_def *any = NULL;
	for (const struct macro_def *m = ex->defs; m; m = m->next) {
		if (strcmp(m->name, name) != 0)
			continue;
		if (m->nparams == nargs)
			return m;
		any = m;
	}
	return any && !stdlib_is_builtin_name(name) ? any : NULL;
}

/* Put `with` (consumed) in the place of n, keeping n's place in its list. */
static void replace_node(struct node *n, struct node *with)
{
	struct node *next = n->next;
	n->next = NULL;
	struct node old = *n;
	*n = *with;
	n->next = next;
	free(with);
	/* free what n held, not what it now holds */
	old.next = NULL;
	struct node *shell = xmalloc(sizeof(*shell));
	*shell = old;
	ast_free_node(shell);
}

/* ---- substitution ---- */

static int param_index(const struct macro_def *m, enum node_kind kind, const char *name)
{
	int i = 0;
	for (const struct node *p = m->params; p; p = p->next, i++)
		if (p->kind == kind && strcmp(p->name, name) == 0)
			return i;
	return -1;
}

static void subst_list(struct expander *ex, struct node *n, const struct binding *b);
static void subst(struct expander *ex, struct node *n, const struct binding *b);

/* A type written as a parameter's name ((t*)x, sizeof(t[2])) where the
 * argument is a type, typeof(...): that type, with the suffixes written
 * after the name appended to its own. */
static void subst_spec(struct type_spec *spec, const struct binding *b)
{
	if (spec->kind != SPEC_NAME || !spec->name)
		return;
	int i = param_index(b->m, N_BUILTIN, spec->name);
	if (i < 0)
		return;
	if (b->args[i]->kind != N_TYPEARG) {
		/* an expression where a type is written (let $v: typeof(x)):
		 * its type */
		free(spec->name);
		spec->name = NULL;
		spec->kind = SPEC_TYPEOF;
		spec->expr = ast_copy_node(b->args[i]);
		return;
	}
	const struct type_spec *arg = b->args[i]->spec;
	if (arg->nsuffix + spec->nsuffix > SPEC_MAX_SUFFIXES)
		return; /* left as written: sema reports the unknown type */
	uint32_t mine[SPEC_MAX_SUFFIXES];
	int nmine = spec->nsuffix;
	memcpy(mine, spec->suffix, sizeof(mine));
	free(spec->name);
	spec->kind = arg->kind;
	spec->name = arg->name ? xstrdup(arg->name) : NULL;
	spec->nsuffix = arg->nsuffix;
	memcpy(spec->suffix, arg->suffix, sizeof(spec->suffix));
	for (int k = 0; k < nmine; k++)
		spec->suffix[spec->nsuffix++] = mine[k];
	if (arg->expr) {
		/* typeof(expr): the caller's expression, as written */
		struct node *e = ast_copy_node(arg->expr);
		spec->expr = e;
	}
}

static void subst(struct expander *ex, struct node *n, const struct binding *b)
{
	if (!n)
		return;
	const struct macro_def *m = b->m;
	if (n->kind == N_BUILTIN) {
		int i = param_index(m, N_BUILTIN, n->name);
		if (i >= 0) {
			struct node *arg = ast_copy_node(b->args[i]);
			replace_node(n, arg);
			return; /* the argument is the caller's: nothing in it is renamed */
		}
	}
	if (n->name && n->name[0] == '$' && n->kind != N_POSITIONAL) {
		int i = param_index(m, N_VAR, n->name);
		char *name = i >= 0 ? xstrdup(b->args[i]->name)
				    : xasprintf("%s (in macro %s)", n->name, m->name);
		free(n->name);
		n->name = name;
	} else if (n->name && n->name[0] == '@' && n->kind != N_CALL) {
		int i = param_index(m, N_MAP, n->name);
		if (i >= 0) {
			free(n->name);
			n->name = xstrdup(b->args[i]->name);
		} else {
			diag_error(ex->d, n->loc,
				   "macro '%s' uses the map '%s', which is not one of its parameters; pass it as an argument (macro %s(%s))",
				   m->name, n->name, m->name, n->name);
		}
	}
	if (n->spec && n->spec->expr)
		subst(ex, n->spec->expr, b);
	else if (n->spec)
		subst_spec(n->spec, b);
	subst(ex, n->lhs, b);
	subst(ex, n->rhs, b);
	subst(ex, n->cond, b);
	subst(ex, n->then, b);
	subst(ex, n->els, b);
	subst_list(ex, n->args, b);
	subst_list(ex, n->body, b);
}

static void subst_list(struct expander *ex, struct node *n, const struct binding *b)
{
	for (; n; n = n->next)
		subst(ex, n, b);
}

/* ---- expansion ---- */

/* Every call of an expanded body remembers the use it came from (after
 * the uses inside the body, which were expanded first). */
static void note_use(struct node *n, srcloc use)
{
	for (; n; n = n->next) {
		if (n->kind == N_CALL && n->nexpanded < SRC_MAX_EXPANSIONS)
			n->expanded_from[n->nexpanded++] = use;
		if (n->spec)
			note_use(n->spec->expr, use);
		note_use(n->lhs, use);
		note_use(n->rhs, use);
		note_use(n->cond, use);
		note_use(n->then, use);
		note_use(n->els, use);
		note_use(n->args, use);
		note_use(n->body, use);
	}
}

static void expand_node(struct expander *ex, struct node *n);
static void expand_stmts(struct expander *ex, struct node **head);

/* The macro a node uses, or NULL: a call of a macro's name, or the bare
 * name of a macro without parameters. */
static const struct macro_def *use_of(const struct expander *ex, const struct node *n)
{
	if (!n || (n->kind != N_CALL && n->kind != N_BUILTIN))
		return NULL;
	int nargs = 0;
	for (const struct node *a = n->kind == N_CALL ? n->args : NULL; a; a = a->next)
		nargs++;
	const struct macro_def *m = macro_find(ex, n->name, nargs);
	if (m && n->kind == N_BUILTIN && m->nparams > 0)
		return NULL;
	return m;
}

static const char *param_kind(const struct node *p)
{
	return p->kind == N_VAR ? "a variable" : "a map";
}

/* The body of the use, copied, bound and expanded: an N_BLOCK, or NULL
 * after an error. */
static struct node *expand_use(struct expander *ex, struct node *use, const struct macro_def *m)
{
	for (int i = 0; i < ex->depth; i++)
		if (ex->stack[i] == m) {
			diag_error(ex->d, use->loc, "macro '%s' uses itself%s%s; macros cannot be recursive",
				   m->name, ex->stack[ex->depth - 1] == m ? "" : " through ",
				   ex->stack[ex->depth - 1] == m ? "" : ex->stack[ex->depth - 1]->name);
			return NULL;
		}
	if (ex->depth == MACRO_MAX_DEPTH) {
		diag_error(ex->d, use->loc, "macros nested too deeply (more than %d uses inside each other)",
			   MACRO_MAX_DEPTH);
		return NULL;
	}
	/* the arguments first: they may use macros themselves */
	for (struct node **a = &use->args; use->kind == N_CALL && *a; a = &(*a)->next) {
		const struct macro_def *am = use_of(ex, *a);
		if (am) {
			struct node *block = expand_use(ex, *a, am);
			struct node *e = block && block->body && !block->body->next &&
						 block->body->kind == N_EXPR_STMT ? block->body->lhs : NULL;
			if (block && !e)
				diag_error(ex->d, (*a)->loc, "macro '%s' has no single value to pass as an argument",
					   am->name);
			if (e)
				block->body->lhs = NULL;
			ast_free_node(block);
			if (!e)
				return NULL;
			replace_node(*a, e);
		} else {
			expand_node(ex, *a);
		}
	}
	int nargs = 0;
	for (struct node *a = use->kind == N_CALL ? use->args : NULL; a; a = a->next)
		nargs++;
	if (nargs != m->nparams) {
		diag_error(ex->d, use->loc, "macro '%s' takes %d argument%s, but %d given", m->name,
			   m->nparams, m->nparams == 1 ? "" : "s", nargs);
		return NULL;
	}
	struct node **args = xcalloc((size_t)nargs + 1, sizeof(*args));
	int i = 0;
	bool ok = true;
	for (struct node *a = use->kind == N_CALL ? use->args : NULL; a; a = a->next, i++) {
		args[i] = a;
		const struct node *p = m->params;
		for (int k = 0; k < i; k++)
			p = p->next;
		bool fits = p->kind == N_BUILTIN || (p->kind == N_VAR && a->kind == N_VAR) ||
			    (p->kind == N_MAP && a->kind == N_MAP && !a->args);
		if (!fits && ok) {
			diag_error(ex->d, a->loc, "argument %d of macro '%s' must be %s%s, as its parameter '%s' is",
				   i + 1, m->name, param_kind(p), p->kind == N_MAP ? " without keys" : "",
				   p->name);
			ok = false;
		}
	}
	if (!ok) {
		free(args);
		return NULL;
	}
	struct node *body = ast_copy_node(m->body);
	struct binding b = { m, args };
	int errors = ex->d->errors;
	subst(ex, body, &b);
	free(args);
	if (ex->d->errors > errors) {
		ast_free_node(body);
		return NULL;
	}
	ex->stack[ex->depth++] = m;
	expand_node(ex, body);
	ex->depth--;
	if (ex->d->errors > errors) { /* reported inside: not again outside */
		ast_free_node(body);
		return NULL;
	}
	note_use(body, use->loc);
	return body;
}

/* A use where a value is wanted: the body's one expression. */
static void expand_value(struct expander *ex, struct node **slot)
{
	struct node *n = *slot;
	const struct macro_def *m = use_of(ex, n);
	if (!m) {
		expand_node(ex, n);
		return;
	}
	struct node *block = expand_use(ex, n, m);
	if (!block) {
		replace_node(n, ast_new(N_INT, n->loc));
		return;
	}
	struct node **lastp = &block->body;
	while (*lastp && (*lastp)->next)
		lastp = &(*lastp)->next;
	struct node *last = *lastp;
	if (!last || last->kind != N_EXPR_STMT || last->is_discard) {
		diag_error(ex->d, n->loc,
			   last ? "macro '%s' has no value: its body does not end in an expression"
				: "macro '%s' has no value (its body is empty)",
			   m->name);
		ast_free_node(block);
		replace_node(n, ast_new(N_INT, n->loc));
		return;
	}
	if (block->body == last) {
		struct node *e = last->lhs;
		last->lhs = NULL;
		ast_free_node(block);
		replace_node(n, e);
		return;
	}
	/* statements, then the value: a block expression, as bpftrace has it */
	*lastp = NULL;
	block->kind = N_BLOCK_EXPR;
	block->lhs = last->lhs;
	block->loc = n->loc;
	last->lhs = NULL;
	ast_free_node(last);
	replace_node(n, block);
}

static void expand_list_values(struct expander *ex, struct node *n)
{
	for (; n; n = n->next)
		expand_value(ex, &n);
}

static void expand_node(struct expander *ex, struct node *n)
{
	if (!n)
		return;
	if (n->kind == N_BLOCK) {
		expand_stmts(ex, &n->body);
		return;
	}
	struct node **slots[] = { &n->lhs, &n->rhs, &n->cond };
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (*slots[i])
			expand_value(ex, slots[i]);
	expand_node(ex, n->then);
	expand_node(ex, n->els);
	expand_list_values(ex, n->args);
	expand_stmts(ex, &n->body);
}

/* Statements: a use as a statement becomes the body's statements; an
 * assignment of a use's value gets the body's statements before it. */
static void expand_stmts(struct expander *ex, struct node **head)
{
	for (struct node **pp = head; *pp;) {
		struct node *s = *pp;
		bool whole = s->kind == N_EXPR_STMT && use_of(ex, s->lhs);
		bool assigned = s->kind == N_ASSIGN && use_of(ex, s->rhs);
		if (!whole && !assigned) {
			expand_node(ex, s);
			pp = &s->next;
			continue;
		}
		struct node *use = whole ? s->lhs : s->rhs;
		struct node *block = expand_use(ex, use, use_of(ex, use));
		struct node *stmts = block ? block->body : NULL;
		if (block)
			block->body = NULL;
		ast_free_node(block);
		if (assigned) {
			/* the last statement's expression is the value */
			struct node **lastp = &stmts;
			while (*lastp && (*lastp)->next)
				lastp = &(*lastp)->next;
			struct node *last = *lastp;
			if (!block) {
				replace_node(use, ast_new(N_INT, use->loc));
			} else if (!last || last->kind != N_EXPR_STMT) {
				diag_error(ex->d, use->loc, "macro '%s' has no value to assign (its body does not end in an expression)",
					   use->name);
				replace_node(use, ast_new(N_INT, use->loc));
			} else {
				*lastp = NULL;
				struct node *e = last->lhs;
				last->lhs = NULL;
				ast_free_node(last);
				replace_node(use, e);
			}
			if (s->lhs)
				expand_value(ex, &s->lhs);
			/* the statements, then the assignment */
			struct node **tail = &stmts;
			while (*tail)
				tail = &(*tail)->next;
			*tail = s;
			*pp = stmts;
			pp = &s->next;
			continue;
		}
		struct node *next = s->next;
		s->next = NULL;
		ast_free_node(s);
		*pp = stmts;
		while (*pp)
			pp = &(*pp)->next;
		*pp = next;
	}
}

/* bpftrace's standard library defines `comm` and the other builtins as
 * macros over `__builtin_comm`...: that spelling names the builtin too. */
static void builtin_spellings(struct node *n)
{
	static const char prefix[] = "__builtin_";
	for (; n; n = n->next) {
		if ((n->kind == N_BUILTIN || n->kind == N_CALL) &&
		    strncmp(n->name, prefix, sizeof(prefix) - 1) == 0 &&
		    stdlib_is_builtin_name(n->name + sizeof(prefix) - 1))
			memmove(n->name, n->name + sizeof(prefix) - 1, strlen(n->name) - sizeof(prefix) + 2);
		builtin_spellings(n->lhs);
		builtin_spellings(n->rhs);
		builtin_spellings(n->cond);
		builtin_spellings(n->then);
		builtin_spellings(n->els);
		builtin_spellings(n->args);
		builtin_spellings(n->body);
	}
}

void macro_expand(struct program *prog, const struct macro_def *defs, struct diag *d)
{
	for (struct probe *p = prog->probes; p; p = p->next) {
		builtin_spellings(p->pred);
		builtin_spellings(p->body);
	}
	if (!defs)
		return;
	struct expander ex = { .d = d, .defs = defs };
	/* one name and number of parameters, one macro */
	for (const struct macro_def *m = defs; m; m = m->next)
		for (const struct macro_def *o = defs; o != m; o = o->next)
			if (strcmp(o->name, m->name) == 0 && o->nparams == m->nparams) {
				diag_error(d, m->loc, "macro '%s' with %d parameter%s is defined twice", m->name,
					   m->nparams, m->nparams == 1 ? "" : "s");
				diag_note(d, o->loc, "the first definition");
				return;
			}
	for (struct probe *p = prog->probes; p; p = p->next) {
		if (p->pred)
			expand_value(&ex, &p->pred);
		expand_node(&ex, p->body);
	}
}

void macro_free_defs(struct macro_def *defs)
{
	while (defs) {
		struct macro_def *next = defs->next;
		free(defs->name);
		ast_free_node(defs->params);
		ast_free_node(defs->body);
		free(defs);
		defs = next;
	}
}
