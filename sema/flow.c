/* flow.c - block scopes, let declarations, loops and jumps.
 *
 * Scoping follows bpftrace: a variable declared with `let` (or by a `for`)
 * is visible from its declaration to the end of its block, and may not
 * shadow a variable visible there. Variables assigned without `let` stay
 * probe-wide as in bpftrace 0.17, so older scripts keep working; they only
 * enter the scope stack so that a `let` of the same name in the block
 * that assigned them (or a nested one) is reported as shadowing.
 *
 * Every let or loop variable is its own var_info (its own slot), made
 * once, on the first run, and kept on the declaring node (struct
 * node.var): sema runs the script several times (sema_internal.h). */
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

/* bpftrace's bounds for unroll's count */
#define SEMA_UNROLL_MAX 100
/* the program and 7 callbacks: the kernel's MAX_CALL_FRAMES is 8 */
#define SEMA_MAX_FOR_DEPTH 7

/* ---- scopes ------------------------------------------------------------------------ */

int sema_scope_enter(struct sema *s)
{
	return s->nscope;
}

void sema_scope_leave(struct sema *s, int mark)
{
	s->nscope = mark;
}

struct sema_scope_entry *sema_scope_find(struct sema *s, const char *name)
{
	for (int i = s->nscope - 1; i >= 0; i--)
		if (strcmp(s->scope[i].name, name) == 0)
			return &s->scope[i];
	return NULL;
}

void sema_scope_add(struct sema *s, const char *name, struct var_info *v, srcloc loc)
{
	if (s->nscope == s->scope_cap) {
		s->scope_cap = s->scope_cap ? s->scope_cap * 2 : 16;
		s->scope = xrealloc(s->scope, sizeof(*s->scope) * (size_t)s->scope_cap);
	}
	s->scope[s->nscope++] = (struct sema_scope_entry){ name, v, loc };
}

/* statement a ends before b starts */
static bool before(srcloc a, srcloc b)
{
	return a.end_line < b.line || (a.end_line == b.line && a.end_col <= b.col);
}

struct var_info *sema_scoped_var_named(struct sema *s, const char *name, srcloc use)
{
	for (struct var_info *v = s->cur->vars; v; v = v->next)
		if (v->scoped && strcmp(v->name, name) == 0 && before(v->decl_loc, use))
			return v;
	return NULL;
}

/* The scoped variable declared at n (N_LET, N_FOR), made on the first run;
 * NULL after a shadowing error. */
static struct var_info *declare(struct sema *s, struct node *n, struct node *var, const char *what)
{
	struct sema_scope_entry *e = sema_scope_find(s, var->name);
	if (e) {
		sema_err(s, var->loc, "%s '%s' is already declared; shadowing is not allowed",
			 what, var->name);
		sema_note(s, e->loc, "'%s' is %s here", var->name,
			  e->var->scoped ? "declared" : "first assigned");
		return NULL;
	}
	if (!n->var) {
		n->var = sema_var_create(s, var->name);
		n->var->scoped = true;
		n->var->decl_loc = n->loc; /* the whole declaring statement */
		n->var->type = type_none();
	}
	sema_var_mark_assigned(s, n->var); /* declared variables start as zero */
	sema_scope_add(s, var->name, n->var, var->loc);
	var->var = n->var;
	return n->var;
}

/* ---- let ---------------------------------------------------------------------------- */

static bool literal_fits(const struct node *lit, const struct type *t)
{
	uint32_t bits = t->size * 8;
	if (bits >= 64)
		return t->is_signed || !lit->is_negative;
	if (t->is_signed) {
		int64_t v = (int64_t)lit->ival, lim = (int64_t)1 << (bits - 1);
		return v >= -lim && v < lim;
	}
	return !lit->is_negative && lit->ival < ((uint64_t)1 << bits);
}

static bool converts_to(struct sema *s, const struct type *want, const struct type *t)
{
	if (type_is_integer(want))
		return type_is_integer(t) || t->kind == TY_BOOL;
	if (want->kind == TY_BOOL)
		return t->kind == TY_BOOL;
	if (want->kind == TY_PTR)
		return t->kind == TY_PTR || type_is_integer(t);
	if (want->kind == TY_STR)
		return t->kind == TY_STR && t->size <= want->size;
	const struct type *merged = type_merge(sema_types(s), want, sema_stored_type(t));
	return merged && type_equal(merged, want);
}

void sema_check_typed_store(struct sema *s, const struct var_info *v, struct node *value,
			    const struct type *t)
{
	char a[128], b[128];
	if (type_is_none(t) || type_is_none(v->type))
		return;
	if (!converts_to(s, v->type, t)) {
		sema_err(s, value->loc, "type mismatch for '%s': cannot assign %s to a variable declared as %s",
			 v->name, type_name(t, a, sizeof(a)), type_name(v->type, b, sizeof(b)));
		return;
	}
	if (value->kind == N_INT && type_is_integer(v->type) && !literal_fits(value, v->type)) {
		type_name(v->type, b, sizeof(b));
		unsigned long long mag = value->is_negative ? 0 - value->ival : value->ival;
		sema_err(s, value->loc, "%s%llu does not fit in %s, the type of '%s'; to convert it, cast: (%s)%s%llu",
			 value->is_negative ? "-" : "", mag, b, v->name, b, value->is_negative ? "-" : "", mag);
	}
}

static void check_let(struct sema *s, struct node *n)
{
	/* the initial value is checked before the name exists: let $x = $x
	 * reads an outer $x, which then is shadowed (reported) */
	const struct type *init = n->rhs ? sema_expr(s, n->rhs) : NULL;
	const struct type *declared = n->spec ? sema_resolve_spec(s, n->spec) : NULL;
	struct var_info *v = declare(s, n, n->lhs, "variable");
	if (!v)
		return;
	/* `let $p: struct C *` points where the probe's pointers do, as a cast
	 * to struct C * would: user memory in a uprobe */
	if (declared && declared->kind == TY_PTR && declared->as == AS_NONE)
		declared = type_ptr(sema_types(s), declared->elem, sema_probe_address_space(s));
	if (declared && !type_is_none(declared)) {
		char buf[128];
		if (declared->kind == TY_VOID || declared->size == 0) {
			sema_err(s, n->spec->loc, "a variable cannot be declared as %s",
				 type_name(declared, buf, sizeof(buf)));
		} else {
			if (!type_equal(v->type, declared)) {
				v->type = declared;
				s->changes++;
			}
			v->typed = true;
		}
	}
	n->lhs->type = v->type;
	if (init)
		sema_assign_var(s, n, init);
}

/* ---- loops --------------------------------------------------------------------------- */

static void check_loop_condition(struct sema *s, struct node *cond)
{
	const struct type *t = sema_expr(s, cond);
	char buf[128];
	if (!type_is_none(t) && !sema_is_condition_type(t))
		sema_err(s, cond->loc, "a while condition must be an integer, a bool or a pointer, not %s",
			 type_name(t, buf, sizeof(buf)));
}

static void check_body(struct sema *s, struct node *body, bool is_for)
{
	s->loops++;
	s->for_loops += is_for;
	sema_stmt(s, body);
	s->for_loops -= is_for;
	s->loops--;
}

static void check_unroll(struct sema *s, struct node *n)
{
	sema_expr(s, n->cond);
	n->ival = 0;
	if (n->cond->kind != N_INT || n->cond->is_negative) {
		if (n->cond->kind == N_INT)
			sema_err(s, n->cond->loc, "unroll count must be at least 1");
		else
			sema_err(s, n->cond->loc, "unroll needs a constant count from 1 to %d",
				 SEMA_UNROLL_MAX);
	} else if (n->cond->ival < 1) {
		sema_err(s, n->cond->loc, "unroll count must be at least 1");
	} else if (n->cond->ival > SEMA_UNROLL_MAX) {
		sema_err(s, n->cond->loc, "unroll count must be at most %d (bpftrace's limit)",
			 SEMA_UNROLL_MAX);
	} else {
		n->ival = n->cond->ival;
	}
	check_body(s, n->then, false);
}

static const struct type *range_type(struct sema *s, struct node *range)
{
	const struct type *t[2] = { sema_expr(s, range->lhs), sema_expr(s, range->rhs) };
	const struct node *ends[2] = { range->lhs, range->rhs };
	static const char *const which[2] = { "start", "end" };
	bool ok = true;
	char buf[128];
	for (int i = 0; i < 2; i++) {
		if (type_is_none(t[i])) {
			ok = false;
		} else if (!type_is_integer(t[i])) {
			sema_err(s, ends[i]->loc, "the %s of a loop range must be an integer, not %s",
				 which[i], type_name(t[i], buf, sizeof(buf)));
			ok = false;
		}
	}
	range->type = type_none();
	if (!ok)
		return type_none();
	/* both ends are compared as the loop variable's type */
	const struct type *merged = type_merge(sema_types(s), sema_stored_type(t[0]),
					       sema_stored_type(t[1]));
	return merged ? sema_stored_type(merged) : type_int(8, true);
}

static void check_for(struct sema *s, struct node *n)
{
	struct node *it = n->rhs;
	const struct type *t;
	char buf[128];
	if (it->kind == N_RANGE) {
		t = range_type(s, it);
	} else if (it->kind == N_MAP && !it->args) {
		t = sema_map_iterate(s, it);
		it->type = type_none();
	} else {
		t = sema_expr(s, it);
		sema_err(s, it->loc, "a for loop iterates over a map (@m) or a range (a..b), not %s",
			 it->kind == N_MAP ? "one value of a map" : type_is_none(t) ? "this expression"
										     : type_name(t, buf, sizeof(buf)));
		t = type_none();
	}
	int mark = sema_scope_enter(s);
	struct var_info *v = declare(s, n, n->lhs, "loop variable");
	if (v)
		v->loop_var = true;
	if (v && !type_is_none(t)) {
		bool changed = false;
		if (!type_equal(v->type, t) || type_is_none(v->type)) {
			v->type = t;
			changed = true;
		}
		if (changed)
			s->changes++;
	}
	if (v)
		n->lhs->type = v->type;
	if (s->for_loops == SEMA_MAX_FOR_DEPTH)
		sema_err(s, n->loc, "for loops nest at most %d deep (each is a BPF call; the kernel allows 8 frames)",
			 SEMA_MAX_FOR_DEPTH);
	check_body(s, n->then, true);
	sema_scope_leave(s, mark);
}

/* ---- jumps ---------------------------------------------------------------------------- */

static void check_jump(struct sema *s, struct node *n)
{
	const char *what = n->kind == N_BREAK ? "break" : "continue";
	if (s->loops == 0)
		sema_err(s, n->loc, "'%s' outside of a loop", what);
}

/* `return EXPR` where the kernel acts on the program's return value (lsm:
 * non-zero denies the operation): that changes what the system does, so
 * it needs --unsafe, as bpftrace's other such functions do. Elsewhere the
 * value means nothing and is only evaluated. */
static void check_return(struct sema *s, struct node *n)
{
	if (!n->lhs)
		return;
	const struct type *t = sema_expr(s, n->lhs);
	bool decides = false;
	for (int i = 0; i < sema_ntargets(s); i++) {
		const struct prog_group *g = sema_target(s, i);
		if (!g->prov || !g->prov->return_unavailable)
			continue;
		decides = true;
		char *why = g->prov->return_unavailable(&g->target);
		if (why) {
			sema_err(s, n->loc, "'return' with a value in %s: %s", g->target.name, why);
			free(why);
			return;
		}
	}
	if (!decides || type_is_none(t))
		return;
	char buf[128];
	int64_t zero; /* `return 0;` lets everything through: safe */
	if (!type_is_integer(t) && t->kind != TY_BOOL)
		sema_err(s, n->lhs->loc, "the return value of %s probes must be an integer, not %s",
			 sema_probe_name(sema_target(s, 0)), type_name(t, buf, sizeof(buf)));
	else if (!sema_unsafe(s) && !(sema_const_eval(n->lhs, &zero) && zero == 0))
		sema_err(s, n->loc, "a non-zero return value in %s probes changes what the kernel does "
			 "(it denies the operation): run sonde with --unsafe to allow it",
			 sema_probe_name(sema_target(s, 0)));
	else if (s->for_loops)
		sema_err(s, n->loc, "'return' with a value inside a for loop is not supported in %s probes: "
			 "set a variable in the loop and return it after the loop",
			 sema_probe_name(sema_target(s, 0)));
}

void sema_flow_stmt(struct sema *s, struct node *n)
{
	n->type = type_none();
	switch (n->kind) {
	case N_LET:
		check_let(s, n);
		break;
	case N_WHILE:
		check_loop_condition(s, n->cond);
		check_body(s, n->then, false);
		break;
	case N_UNROLL:
		check_unroll(s, n);
		break;
	case N_FOR:
		check_for(s, n);
		break;
	case N_BREAK:
	case N_CONTINUE:
		check_jump(s, n);
		break;
	case N_RETURN:
		check_return(s, n);
		break;
	default:
		break;
	}
}
