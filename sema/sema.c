/* sema.c - the semantic pass driver, statements and scratch variables.
 *
 * sema_analyze() substitutes positional parameters, expands and groups the
 * attach points, then checks the script in runs (see sema_internal.h: quiet
 * runs settle the types that flow through maps, one loud run reports), and
 * finally lays out maps and builds the runtime description. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"
#include "suggest.h"

#define SEMA_MAX_RUNS 64 /* decisions only grow, so this is never reached in practice */

void sema_err(struct sema *s, srcloc loc, const char *fmt, ...)
{
	if (s->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(s->d, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
}

void sema_note(struct sema *s, srcloc loc, const char *fmt, ...)
{
	if (s->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(s->d, DIAG_NOTE, loc, fmt, ap);
	va_end(ap);
}

/* Merge a value stored into a variable or map into its decided type: the
 * first value decides int vs string; ints are kept as 8 bytes with the first
 * signedness; strings grow to the largest. False on an int/string clash. */
bool sema_merge_value(struct type *cur, struct type in, bool *changed)
{
	if (in.kind != TY_INT && in.kind != TY_STR)
		return true;
	struct type norm = in.kind == TY_INT ? type_int(8, in.is_signed) : type_str(in.size);
	if (cur->kind == TY_NONE) {
		*cur = norm;
		*changed = true;
		return true;
	}
	if (cur->kind != norm.kind)
		return false;
	if (cur->kind == TY_STR && norm.size > cur->size) {
		cur->size = norm.size;
		*changed = true;
	}
	return true;
}

/* ---- scratch variables ------------------------------------------------- */

static struct var_info *var_find(struct probe *p, const char *name)
{
	for (struct var_info *v = p->vars; v; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static struct var_info *var_create(struct sema *s, const char *name)
{
	struct var_info *v = xcalloc(1, sizeof(*v));
	v->name = xstrdup(name);
	v->index = s->cur->nvars++;
	struct var_info **tail = &s->cur->vars;
	while (*tail)
		tail = &(*tail)->next;
	*tail = v;
	s->changes++;
	return v;
}

static bool var_is_assigned(struct sema *s, const struct var_info *v)
{
	return v->index < s->curst->nassigned && s->curst->assigned[v->index];
}

static void var_mark_assigned(struct sema *s, const struct var_info *v)
{
	struct probe_state *ps = s->curst;
	if (v->index >= ps->nassigned) {
		ps->assigned = xrealloc(ps->assigned, sizeof(bool) * (size_t)(v->index + 1));
		memset(ps->assigned + ps->nassigned, 0,
		       sizeof(bool) * (size_t)(v->index + 1 - ps->nassigned));
		ps->nassigned = v->index + 1;
	}
	ps->assigned[v->index] = true;
}

/* "$x is used before it is assigned", with the closest assigned variable
 * when $x is assigned nowhere in the probe (a typo, not an order). */
static void report_unassigned_var(struct sema *s, struct node *n, const struct var_info *v)
{
	struct suggestion near;
	suggestion_init(&near, n->name);
	for (struct var_info *o = s->cur->vars; o && !v; o = o->next)
		suggestion_consider(&near, o->name);
	if (near.best)
		sema_err(s, n->loc, "variable '%s' is used before it is assigned; did you mean '%s'?",
			 n->name, near.best);
	else
		sema_err(s, n->loc, "variable '%s' is used before it is assigned", n->name);
	suggestion_free(&near);
}

/* A read of $x (types.c calls this for N_VAR). */
struct type sema_var_read(struct sema *s, struct node *n)
{
	struct var_info *v = var_find(s->cur, n->name);
	if (!v || !var_is_assigned(s, v)) {
		report_unassigned_var(s, n, v);
		return type_none();
	}
	n->var = v;
	return v->type;
}

static void assign_var(struct sema *s, struct node *assign, struct type rhs)
{
	struct node *lhs = assign->lhs;
	struct var_info *v = var_find(s->cur, lhs->name);
	char a[32], b[32];

	if (assign->op != OP_NONE) {
		if (!v || !var_is_assigned(s, v)) {
			report_unassigned_var(s, lhs, v);
			return;
		}
		lhs->var = v;
		lhs->type = v->type;
		if (v->type.kind == TY_STR) {
			sema_err(s, assign->loc, "cannot use '%s=' on variable '%s' of type %s",
				 binop_spelling(assign->op), lhs->name, type_name(v->type, a, sizeof(a)));
		} else if (rhs.kind == TY_STR) {
			sema_err(s, assign->rhs->loc, "cannot use '%s=' with a string operand",
				 binop_spelling(assign->op));
		}
		return;
	}
	if (!v)
		v = var_create(s, lhs->name);
	bool changed = false;
	if (!sema_merge_value(&v->type, rhs, &changed)) {
		sema_err(s, assign->loc,
			 "type mismatch for '%s': cannot assign %s to a variable holding %s",
			 lhs->name, type_name(rhs, a, sizeof(a)), type_name(v->type, b, sizeof(b)));
	}
	if (changed)
		s->changes++;
	var_mark_assigned(s, v);
	lhs->var = v;
	lhs->type = v->type;
}

/* ---- statements -------------------------------------------------------- */

static bool is_agg_call(const struct node *n)
{
	if (n->kind != N_CALL)
		return false;
	const struct stdlib_func *f = stdlib_find_func(n->name);
	return f && f->kind == FN_AGG;
}

static bool is_literal_zero(const struct node *n)
{
	return n->kind == N_INT && n->ival == 0;
}

static void check_assign(struct sema *s, struct node *n)
{
	struct node *lhs = n->lhs, *rhs = n->rhs;
	n->type = type_none();
	if (lhs->kind != N_MAP && lhs->kind != N_VAR) {
		sema_expr(s, lhs);
		sema_expr(s, rhs);
		sema_err(s, lhs->loc, "cannot assign to this expression");
		return;
	}
	if (lhs->kind == N_MAP) {
		struct map_info *m = sema_map_lookup(s, lhs);
		sema_map_keys(s, m, lhs);
		if (is_agg_call(rhs) && n->op == OP_NONE) {
			sema_call(s, rhs, CALL_AGG_RHS);
			sema_map_assign_agg(s, lhs, rhs);
			return;
		}
	}
	struct type t = sema_expr(s, rhs); /* an aggregation here reports "can only be assigned" */
	if ((n->op == OP_DIV || n->op == OP_MOD) && is_literal_zero(rhs))
		sema_err(s, rhs->loc, "division by zero");
	if (lhs->kind == N_VAR) {
		assign_var(s, n, t);
		return;
	}
	if (n->op == OP_NONE)
		sema_map_assign(s, lhs, t, n->loc);
	else
		sema_map_compound(s, lhs, t, n->op, n->loc);
}

/* Predicates and if conditions: integers (0 = false). */
static void check_condition(struct sema *s, struct node *n, const char *what)
{
	struct type t = sema_expr(s, n);
	char buf[32];
	if (t.kind != TY_NONE && t.kind != TY_INT)
		sema_err(s, n->loc, "%s must be an integer, not %s", what,
			 type_name(t, buf, sizeof(buf)));
}

void sema_stmt(struct sema *s, struct node *n)
{
	switch (n->kind) {
	case N_EXPR_STMT:
		n->type = type_none();
		if (n->lhs->kind == N_CALL)
			sema_call(s, n->lhs, CALL_STMT);
		else
			sema_expr(s, n->lhs);
		break;
	case N_ASSIGN:
		check_assign(s, n);
		break;
	case N_IF:
		n->type = type_none();
		check_condition(s, n->cond, "an if condition");
		sema_stmt(s, n->then);
		if (n->els)
			sema_stmt(s, n->els);
		break;
	case N_BLOCK:
		n->type = type_none();
		for (struct node *st = n->body; st; st = st->next)
			sema_stmt(s, st);
		break;
	default:
		/* A bare expression where a statement was expected. */
		if (n->kind == N_CALL)
			sema_call(s, n, CALL_STMT);
		else
			sema_expr(s, n);
		break;
	}
}

/* ---- driver ------------------------------------------------------------ */

static void check_probe(struct sema *s, struct probe *p)
{
	s->cur = p;
	s->curst = &s->pstate[p->index];
	if (s->curst->nassigned)
		memset(s->curst->assigned, 0, sizeof(bool) * (size_t)s->curst->nassigned);
	if (p->pred)
		check_condition(s, p->pred, "the predicate");
	if (p->body)
		sema_stmt(s, p->body);
	s->cur = NULL;
	s->curst = NULL;
}

static void run_all(struct sema *s)
{
	s->changes = 0;
	sema_printfs_reset(s);
	for (struct map_info *m = s->prog->maps; m; m = m->next)
		s->mstate[m->id].assign_seen = false;
	for (struct probe *p = s->prog->probes; p; p = p->next)
		check_probe(s, p);
}

/* A variable assigned only from untyped maps; those maps are reported too,
 * this only guarantees codegen never sees an untyped slot. */
static void check_vars_typed(struct sema *s)
{
	for (struct probe *p = s->prog->probes; p; p = p->next)
		for (struct var_info *v = p->vars; v; v = v->next)
			if (v->type.kind != TY_INT && v->type.kind != TY_STR)
				sema_err(s, p->loc, "cannot infer the type of variable '%s'", v->name);
}

static void sema_state_free(struct sema *s)
{
	for (int i = 0; i < s->nprobes; i++) {
		free(s->pstate[i].groups);
		free(s->pstate[i].assigned);
	}
	free(s->pstate);
	free(s->group_locs);
	free(s->mstate);
	for (int i = 0; i < s->nprintfs; i++) {
		free(s->printfs[i].fmt);
		free(s->printfs[i].args);
	}
	free(s->printfs);
	free(s->unsupported);
}

static struct desc *build_desc(struct sema *s)
{
	struct desc *desc = xcalloc(1, sizeof(*desc));
	sema_fill_desc_probes(s, desc);
	sema_fill_desc_maps(s, desc);
	desc->printfs = s->printfs;
	desc->nprintfs = s->nprintfs;
	s->printfs = NULL;
	s->nprintfs = s->printfs_cap = 0;
	desc->ringbuf_name = xstrdup("events");
	desc->lost_name = xstrdup("lost");
	desc->dropped_name = xstrdup("dropped");
	desc->ringbuf_size = SEMA_RINGBUF_SIZE;
	return desc;
}

int sema_analyze(struct program *p, const struct sema_options *opt, struct diag *d,
		 struct sema_result *out)
{
	static const struct sema_options no_options;
	memset(out, 0, sizeof(*out));
	if (!p->probes) {
		diag_error(d, (srcloc){ 0 }, "no probes");
		return -1;
	}
	int errors_before = d->errors;
	struct sema s = { .prog = p, .d = d, .opt = opt ? opt : &no_options };
	int index = 0;
	for (struct probe *pr = p->probes; pr; pr = pr->next)
		pr->index = index++;
	s.nprobes = index;
	s.pstate = xcalloc((size_t)index, sizeof(*s.pstate));

	sema_substitute_positionals(&s);
	if (sema_group_probes(&s) == 0 && s.ngroups == 0 && d->errors == errors_before)
		diag_error(d, p->probes->loc, "no probe to attach: the attach points matched nothing");

	s.quiet = true;
	for (int run = 0; run < SEMA_MAX_RUNS; run++) {
		run_all(&s);
		if (s.changes == 0)
			break;
	}
	s.quiet = false;
	run_all(&s);
	sema_map_check_assigned(&s, d->errors == errors_before);
	if (d->errors == errors_before)
		check_vars_typed(&s);

	if (d->errors > errors_before) {
		sema_groups_free(s.groups, s.ngroups);
		sema_state_free(&s);
		return -1;
	}
	sema_map_layout(p);
	out->desc = build_desc(&s);
	out->groups = s.groups;
	out->ngroups = s.ngroups;
	sema_state_free(&s);
	return 0;
}

void sema_result_free(struct sema_result *r)
{
	if (!r)
		return;
	sema_groups_free(r->groups, r->ngroups);
	desc_free(r->desc);
	memset(r, 0, sizeof(*r));
}
