/* sema.c - the semantic pass driver, statements and scratch variables.
 *
 * sema_analyze() substitutes positional parameters, expands and groups the
 * attach points, then checks the script in runs (see sema_internal.h: quiet
 * runs settle the types that flow through maps, one loud run reports), and
 * finally lays out maps and builds the runtime description. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"
#include "suggest.h"

#define SEMA_MAX_RUNS 64 /* decisions only grow, so this is never reached in practice */

/* Whether the loud run already said this: a copy of a probe (see
 * sema_split_by_probetype) repeats its original's code outside the
 * branches that differ, and so would repeat its diagnostics. */
static bool said_before(struct sema *s, enum diag_level level, srcloc loc, const char *text)
{
	for (int i = 0; i < s->nsaid; i++) {
		const struct sema_said *w = &s->said[i];
		if (w->level == level && memcmp(&w->loc, &loc, sizeof(loc)) == 0 && strcmp(w->text, text) == 0)
			return true;
	}
	return false;
}

static char *format_text(const char *fmt, va_list ap)
{
	struct util_strbuf b = { 0 };
	util_strbuf_vaddf(&b, fmt, ap);
	return util_strbuf_take(&b);
}

/* Every diagnostic of the checks: nothing in quiet runs, each once. */
static void sema_vsay(struct sema *s, enum diag_level level, srcloc loc, const char *fmt, va_list ap)
{
	if (s->quiet && !(level == DIAG_WARNING && loc.line == 0))
		return;
	char *text = format_text(fmt, ap);
	/* a warning about the whole script (no place) is said once too */
	bool once = (s->curst && s->curst->is_copy) || (level == DIAG_WARNING && loc.line == 0);
	if (once && said_before(s, level, loc, text)) {
		free(text);
		return;
	}
	diag_report(s->d, level, loc, "%s", text);
	s->said = xrealloc(s->said, sizeof(*s->said) * (size_t)(s->nsaid + 1));
	s->said[s->nsaid++] = (struct sema_said){ level, loc, text };
}

void sema_said_free(struct sema *s)
{
	for (int i = 0; i < s->nsaid; i++)
		free(s->said[i].text);
	free(s->said);
	s->said = NULL;
	s->nsaid = 0;
}

void sema_err(struct sema *s, srcloc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sema_vsay(s, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
}

void sema_note(struct sema *s, srcloc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sema_vsay(s, DIAG_NOTE, loc, fmt, ap);
	va_end(ap);
}

void sema_warn_script(struct sema *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sema_vsay(s, DIAG_WARNING, (srcloc){ 0 }, fmt, ap);
	va_end(ap);
}

void sema_warn(struct sema *s, srcloc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sema_vsay(s, DIAG_WARNING, loc, fmt, ap);
	va_end(ap);
}

/* ---- the hook API (sema.h) ------------------------------------------------ */

const struct type *sema_fail(struct sema *s, srcloc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sema_vsay(s, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
	return type_none();
}

struct type_arena *sema_types(struct sema *s)
{
	return s->prog->types;
}

uint32_t sema_max_strlen(struct sema *s)
{
	return s->max_strlen;
}

const struct sonde_config *sema_config(struct sema *s)
{
	return s->opt ? s->opt->config : NULL;
}

bool sema_unsafe(struct sema *s)
{
	return s->opt && s->opt->unsafe;
}

bool sema_default_stack_mode(struct sema *s, struct node *n, enum stack_mode *mode)
{
	static const char *const names[] = { "bpftrace", "perf", "raw", "build_id" };
	static const enum stack_mode modes[] = { STACK_MODE_BPFTRACE, STACK_MODE_PERF, STACK_MODE_RAW,
						 STACK_MODE_BUILD_ID };
	unsigned m = s->opt ? s->opt->stack_mode : 0;
	if (m < sizeof(modes) / sizeof(modes[0])) {
		*mode = modes[m];
		return true;
	}
	sema_fail(s, n->loc, "stack_mode %s (from the config) is not supported by sonde yet: bpftrace, perf, raw or build_id",
		  m < 4 ? names[m] : "?");
	return false;
}

void sema_want_stack_depths(struct sema *s)
{
	s->stack_depths = true;
}

int sema_ntargets(struct sema *s)
{
	return s->cur ? s->cur->ntargets : 0;
}

const struct prog_group *sema_target(struct sema *s, int i)
{
	return &s->groups[s->cur->targets[i]];
}

size_t sema_longest_target_name(struct sema *s)
{
	size_t longest = 0;
	for (int i = 0; i < s->ngroups; i++) {
		size_t len = strlen(s->groups[i].target.name);
		if (len > longest)
			longest = len;
	}
	return longest;
}

/* Merge a value stored into a variable or map into its decided type
 * (type_merge: integers widen, strings grow, tuples element by element);
 * values are stored as sema_stored_type (integers as 64 bits). */
bool sema_merge_stored(struct sema *s, const struct type **cur, const struct type *in, srcloc loc,
		       bool *changed)
{
	if (type_is_none(in) || in->kind == TY_AGG)
		return true;
	if (!sema_complete_value(s, in, loc))
		return true; /* reported */
	const struct type *stored = sema_stored_type(in);
	if (type_is_none(*cur)) {
		*cur = stored;
		*changed = true;
		return true;
	}
	const struct type *merged = type_merge(sema_types(s), *cur, stored);
	if (!merged)
		return false;
	if (!type_equal(merged, *cur) || merged->is_literal != (*cur)->is_literal) {
		*cur = merged;
		*changed = true;
	}
	return true;
}

/* ---- scratch variables ------------------------------------------------- */

/* The probe-wide variable `name` (let and loop variables are found
 * through their scope, sema_scope_find). */
static struct var_info *var_find(struct probe *p, const char *name)
{
	for (struct var_info *v = p->vars; v; v = v->next)
		if (!v->scoped && strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

struct var_info *sema_var_create(struct sema *s, const char *name)
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

bool sema_var_is_assigned(struct sema *s, const struct var_info *v)
{
	return v->index < s->curst->nassigned && s->curst->assigned[v->index];
}

void sema_var_mark_assigned(struct sema *s, const struct var_info *v)
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
	if (!v && sema_scoped_var_named(s, n->name, n->loc)) {
		sema_err(s, n->loc, "variable '%s' is not in scope here: the block it was declared in has ended",
			 n->name);
		return;
	}
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

/* A read of $x (expr.c calls this for N_VAR). */
const struct type *sema_var_read(struct sema *s, struct node *n)
{
	struct sema_scope_entry *e = sema_scope_find(s, n->name);
	if (e && e->var->scoped) {
		n->var = e->var;
		return e->var->type;
	}
	struct var_info *v = var_find(s->cur, n->name);
	if (!v || !sema_var_is_assigned(s, v)) {
		report_unassigned_var(s, n, v);
		return type_none();
	}
	n->var = v;
	return v->type;
}

/* &$x: the variable's slot; it must have been assigned (its type known). */
const struct type *sema_var_address(struct sema *s, struct node *n)
{
	return sema_var_read(s, n);
}

/* assign: an N_ASSIGN to a variable, or an N_LET with a value */
void sema_assign_var(struct sema *s, struct node *assign, const struct type *rhs)
{
	struct node *lhs = assign->lhs;
	struct sema_scope_entry *e = sema_scope_find(s, lhs->name);
	struct var_info *v = e && e->var->scoped ? e->var : var_find(s->cur, lhs->name);
	char a[128], b[128];

	if (assign->op != OP_NONE) {
		if (!v || !sema_var_is_assigned(s, v)) {
			report_unassigned_var(s, lhs, v);
			return;
		}
		lhs->var = v;
		lhs->type = v->type;
		if (type_is_none(v->type) || type_is_none(rhs))
			return;
		bool ptr_step = v->type->kind == TY_PTR && type_is_integer(rhs) &&
				(assign->op == OP_ADD || assign->op == OP_SUB);
		if (!ptr_step && !type_is_integer(v->type)) {
			sema_err(s, assign->loc, "cannot use '%s=' on variable '%s' of type %s",
				 binop_spelling(assign->op), lhs->name, type_name(v->type, a, sizeof(a)));
		} else if (!type_is_integer(rhs) && rhs->kind != TY_BOOL) {
			sema_err(s, assign->rhs->loc, "cannot use '%s=' with an operand of type %s",
				 binop_spelling(assign->op), type_name(rhs, a, sizeof(a)));
		}
		return;
	}
	if (!v)
		v = sema_var_create(s, lhs->name);
	if (!v->scoped && !sema_var_is_assigned(s, v))
		sema_scope_add(s, v->name, v, assign->loc); /* a later let here would shadow it */
	bool changed = false;
	if (v->typed) {
		sema_check_typed_store(s, v, assign->rhs, rhs);
	} else if (!type_is_none(rhs) && (rhs->kind == TY_VOID)) {
		sema_err(s, assign->rhs->loc, "cannot assign a value of type void");
	} else if (!sema_merge_stored(s, &v->type, rhs, assign->rhs->loc, &changed)) {
		sema_err(s, assign->loc,
			 "type mismatch for '%s': cannot assign %s to a variable holding %s",
			 lhs->name, type_name(rhs, a, sizeof(a)), type_name(v->type, b, sizeof(b)));
	}
	if (changed)
		s->changes++;
	sema_var_mark_assigned(s, v);
	lhs->var = v;
	lhs->type = v->type;
}

/* ---- statements -------------------------------------------------------- */

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
		if (sema_is_agg_call(rhs) && n->op == OP_NONE) {
			s->agg_map = m;
			rhs->type = sema_call(s, rhs, CALL_AGG_RHS);
			s->agg_map = NULL;
			sema_map_assign_agg(s, lhs, rhs);
			return;
		}
	}
	const struct type *t = sema_expr(s, rhs); /* an aggregation here reports "can only be assigned" */
	if ((n->op == OP_DIV || n->op == OP_MOD) && is_literal_zero(rhs))
		sema_err(s, rhs->loc, "division by zero");
	sema_div_by_zero_check(s, n, rhs);
	if (lhs->kind == N_VAR) {
		sema_assign_var(s, n, t);
		return;
	}
	if (n->op == OP_NONE)
		sema_map_assign(s, lhs, t, n->loc);
	else
		sema_map_compound(s, lhs, t, n->op, n->loc);
}

/* Predicates and if conditions: integers, bools, pointers (0 = false). */
static void check_condition(struct sema *s, struct node *n, const char *what)
{
	const struct type *t = sema_expr(s, n);
	char buf[128];
	if (!type_is_none(t) && !sema_is_condition_type(t))
		sema_err(s, n->loc, "%s must be an integer, a bool or a pointer, not %s", what,
			 type_name(t, buf, sizeof(buf)));
}

/* An expression statement whose value is dropped (`bswap(x);`, `$a + 1;`)
 * is likely a mistake: the latest bpftrace warns, in these words. `_ = e;`
 * drops it on purpose; ++/-- and functions without a value have nothing
 * to drop. */
static void warn_if_discarded(struct sema *s, struct node *stmt, const struct type *t)
{
	if (stmt->is_discard || stmt->lhs->kind == N_INCDEC || !t || type_is_none(t) ||
	    type_is(t, TY_VOID))
		return;
	sema_warn(s, stmt->lhs->loc, "Return value discarded.");
}

void sema_stmt(struct sema *s, struct node *n)
{
	switch (n->kind) {
	case N_EXPR_STMT:
		n->type = type_none();
		warn_if_discarded(s, n, sema_discarded(s, n->lhs));
		break;
	case N_ASSIGN:
		check_assign(s, n);
		break;
	case N_IF: {
		n->type = type_none();
		if (sema_is_comptime_branch(n)) {
			if (sema_comptime_choose(s, n))
				sema_stmt(s, n);
			break;
		}
		check_condition(s, n->cond, "an if condition");
		s->ends = false;
		sema_stmt(s, n->then);
		bool then_ends = s->ends;
		s->ends = false;
		if (n->els)
			sema_stmt(s, n->els);
		s->ends = n->els && then_ends && s->ends;
		break;
	}
	case N_BLOCK: {
		n->type = type_none();
		int mark = sema_scope_enter(s);
		sema_stmt_list(s, n->body);
		sema_scope_leave(s, mark);
		break;
	}
	case N_LET: case N_WHILE: case N_UNROLL: case N_FOR:
		sema_flow_stmt(s, n);
		s->ends = false; /* a jump in a loop's body ends the loop, not the block */
		break;
	case N_BREAK: case N_CONTINUE: case N_RETURN:
		sema_flow_stmt(s, n);
		s->ends = true;
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

void sema_stmt_list(struct sema *s, struct node *first)
{
	bool ends = false;
	for (struct node *st = first; st; st = st->next) {
		s->ends = false;
		sema_stmt(s, st);
		if (s->ends && !ends && st->next)
			sema_warn(s, st->next->loc, "Unreachable statement.");
		ends = ends || s->ends;
	}
	s->ends = ends;
}

void sema_ends_action(struct sema *s)
{
	s->ends = true;
}

/* ---- driver ------------------------------------------------------------ */

static void check_probe(struct sema *s, struct probe *p)
{
	s->cur = p;
	s->curst = &s->pstate[p->index];
	s->nscope = 0;
	s->loops = s->for_loops = 0;
	if (s->curst->nassigned)
		memset(s->curst->assigned, 0, sizeof(bool) * (size_t)s->curst->nassigned);
	if (p->pred)
		check_condition(s, p->pred, "the predicate");
	if (p->body)
		sema_stmt(s, p->body);
	s->cur = NULL;
	s->curst = NULL;
}

/* `let $x;` never given a value holds the 0 it starts as: an int64, decided
 * before the loud run so that its reads check. */
static void default_declared_vars(struct sema *s)
{
	for (struct probe *p = s->prog->probes; p; p = p->next)
		for (struct var_info *v = p->vars; v; v = v->next)
			if (v->scoped && !v->loop_var && type_is_none(v->type))
				v->type = type_int(8, true);
}

static void run_all(struct sema *s)
{
	s->changes = 0;
	sema_events_reset(s);
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
			if (type_is_none(v->type))
				sema_err(s, p->loc, "cannot infer the type of variable '%s'", v->name);
}

static void sema_state_free(struct sema *s)
{
	for (int i = 0; i < s->nprobes; i++)
		free(s->pstate[i].assigned);
	free(s->pstate);
	free(s->group_locs);
	free(s->mstate);
	free(s->map_slots);
	for (int i = 0; i < s->nprintfs; i++)
		sema_printf_free(&s->printfs[i]);
	free(s->printfs);
	free(s->values);
	for (int k = 0; k < DESC_NCHANNELS; k++)
		desc_channel_free(&s->channels[k]);
	sema_said_free(s);
	free(s->unsupported);
	free(s->scope);
}

/* The description owns copies of the types it refers to (the program's
 * arena goes with the AST). */
static struct desc *build_desc(struct sema *s)
{
	struct desc *desc = desc_new();
	sema_fill_desc_probes(s, desc);
	sema_fill_desc_maps(s, desc);
	desc->printfs = s->printfs;
	desc->nprintfs = s->nprintfs;
	for (int i = 0; i < desc->nprintfs; i++)
		desc->printfs[i].args = type_copy(desc->types, desc->printfs[i].args);
	s->printfs = NULL;
	s->nprintfs = s->printfs_cap = 0;
	desc->values = xcalloc((size_t)(s->nvalues ? s->nvalues : 1), sizeof(*desc->values));
	desc->nvalues = s->nvalues;
	for (int i = 0; i < s->nvalues; i++)
		desc->values[i] = type_copy(desc->types, s->values[i]);
	desc->ringbuf_name = xstrdup("events");
	desc->lost_name = xstrdup("lost");
	desc->dropped_name = xstrdup("dropped");
	desc->ringbuf_size = SEMA_RINGBUF_SIZE;
	for (int k = 0; k < DESC_NCHANNELS; k++) {
		if (!s->channels[k].ncalls)
			continue;
		desc->channels[k] = s->channels[k];
		desc->channels[k].map_name = xstrdup(desc_channel_specs[k].name);
		s->channels[k] = (struct desc_channel){ 0 };
	}
	desc->deps.max_strlen = s->max_strlen;
	return desc;
}

/* BPFTRACE_MAX_STRLEN and the config block reach sema through the options
 * (src/config.c reads and checks both). */
static uint32_t max_strlen_of(const struct sema_options *opt)
{
	return opt->max_strlen ? opt->max_strlen : SONDE_DEFAULT_MAX_STRLEN;
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
	if (!p->types)
		p->types = type_arena_new();
	s.max_strlen = max_strlen_of(s.opt);
	int index = 0;
	for (struct probe *pr = p->probes; pr; pr = pr->next)
		pr->index = index++;
	s.nprobes = index;
	s.pstate = xcalloc((size_t)index, sizeof(*s.pstate));

	sema_substitute_positionals(&s);
	sema_define_structs(&s);
	if (sema_group_probes(&s) == 0 && s.ngroups == 0 && d->errors == errors_before)
		diag_error(d, p->probes->loc, "no probe to attach: the attach points matched nothing");
	sema_split_by_probetype(&s);

	s.quiet = true;
	for (int run = 0; run < SEMA_MAX_RUNS; run++) {
		run_all(&s);
		if (s.changes == 0)
			break;
	}
	default_declared_vars(&s);
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
	sema_share_identical_programs(&s);
	sema_choose_implementations(&s);
	out->desc = build_desc(&s);
	out->groups = s.groups;
	out->ngroups = s.ngroups;
	out->max_strlen = s.max_strlen;
	out->stack_depths = s.stack_depths;
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
