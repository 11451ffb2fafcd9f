/* comptime.c - `comptime e` and `if comptime (c) { … } else { … }`.
 *
 * `comptime e` stands for the literal e folds to while compiling (after
 * its own checks have folded what they can: sizeof, kfunc_allowed(),
 * is_scalar(), a probe's probetype...); anything only known at run time is
 * an error. An `if` (statement or expression) whose condition is comptime
 * becomes the branch it takes before either branch is checked, so the other
 * branch may hold code that is wrong for this probe or these types, as in
 * bpftrace. */
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

/* A value known while compiling. */
struct ct_value {
	enum { CT_INT, CT_BOOL, CT_STR } kind;
	int64_t i;      /* CT_INT, CT_BOOL (0/1) */
	bool is_unsigned;
	const char *str; /* CT_STR: points into the AST */
	size_t len;
};

static bool ct_truth(const struct ct_value *v)
{
	return v->kind == CT_STR ? v->len > 0 : v->i != 0;
}

static void ct_bool(struct ct_value *out, bool b)
{
	*out = (struct ct_value){ .kind = CT_BOOL, .i = b };
}

static bool ct_eval(const struct node *n, struct ct_value *out);

/* == and != of two strings or two numbers (a bool is a number here). */
static bool ct_equality(const struct node *n, const struct ct_value *a, const struct ct_value *b,
			struct ct_value *out)
{
	bool eq;
	if ((a->kind == CT_STR) != (b->kind == CT_STR))
		return false;
	if (a->kind == CT_STR)
		eq = a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	else
		eq = a->i == b->i;
	ct_bool(out, n->op == OP_EQ ? eq : !eq);
	return true;
}

/* Tuples and records of constants (typeinfo(a) == typeinfo(b)): equal
 * when every element (records: of the same name, in order) is; false when
 * they are not both such literals. */
static bool ct_literals_equal(const struct node *x, const struct node *y, bool *eq)
{
	if (x->kind != y->kind || (x->kind != N_TUPLE && x->kind != N_RECORD))
		return false;
	*eq = true;
	const struct node *a = x->args, *b = y->args;
	for (; a && b; a = a->next, b = b->next) {
		const struct node *va = a, *vb = b;
		if (x->kind == N_RECORD) {
			if (strcmp(a->name, b->name) != 0) {
				*eq = false;
				continue;
			}
			va = a->lhs;
			vb = b->lhs;
		}
		bool inner;
		struct ct_value u, v, r;
		struct node cmp = { .kind = N_BINARY, .op = OP_EQ };
		if (ct_literals_equal(va, vb, &inner)) {
			*eq = *eq && inner;
			continue;
		}
		if (!ct_eval(va, &u) || !ct_eval(vb, &v) || !ct_equality(&cmp, &u, &v, &r))
			return false;
		*eq = *eq && r.i;
	}
	*eq = *eq && !a && !b;
	return true;
}

static bool ct_binary(const struct node *n, struct ct_value *out)
{
	struct ct_value a, b;
	bool eq;
	if ((n->op == OP_EQ || n->op == OP_NE) && ct_literals_equal(n->lhs, n->rhs, &eq)) {
		ct_bool(out, n->op == OP_EQ ? eq : !eq);
		return true;
	}
	if (!ct_eval(n->lhs, &a))
		return false;
	if (n->op == OP_LAND || n->op == OP_LOR) {
		/* short-circuit: the right side need not be known */
		if (ct_truth(&a) == (n->op == OP_LOR)) {
			ct_bool(out, n->op == OP_LOR);
			return true;
		}
		if (!ct_eval(n->rhs, &b))
			return false;
		ct_bool(out, ct_truth(&b));
		return true;
	}
	if (!ct_eval(n->rhs, &b))
		return false;
	if (n->op == OP_EQ || n->op == OP_NE)
		return ct_equality(n, &a, &b, out);
	if (a.kind == CT_STR || b.kind == CT_STR)
		return false;
	bool uns = a.is_unsigned || b.is_unsigned;
	uint64_t ua = (uint64_t)a.i, ub = (uint64_t)b.i;
	switch (n->op) {
	case OP_LT: ct_bool(out, uns ? ua < ub : a.i < b.i); return true;
	case OP_LE: ct_bool(out, uns ? ua <= ub : a.i <= b.i); return true;
	case OP_GT: ct_bool(out, uns ? ua > ub : a.i > b.i); return true;
	case OP_GE: ct_bool(out, uns ? ua >= ub : a.i >= b.i); return true;
	default: {
		int64_t v;
		/* arithmetic: the integer folding every constant context uses */
		if (!sema_const_eval(n, &v))
			return false;
		*out = (struct ct_value){ .kind = CT_INT, .i = v, .is_unsigned = uns };
		return true;
	}
	}
}

static bool ct_eval(const struct node *n, struct ct_value *out)
{
	struct ct_value v;
	switch (n->kind) {
	case N_INT:
		*out = (struct ct_value){ .kind = CT_INT, .i = (int64_t)n->ival, .is_unsigned = n->is_unsigned };
		return true;
	case N_BOOL:
		ct_bool(out, n->ival != 0);
		return true;
	case N_STR:
		*out = (struct ct_value){ .kind = CT_STR, .str = n->str, .len = n->str_len };
		return true;
	case N_UNARY:
		if (!ct_eval(n->lhs, &v))
			return false;
		if (n->op == '!') {
			ct_bool(out, !ct_truth(&v));
			return true;
		}
		if (v.kind == CT_STR || (n->op != '-' && n->op != '~'))
			return false;
		*out = v;
		out->kind = CT_INT;
		out->i = n->op == '-' ? (int64_t)(0 - (uint64_t)v.i) : ~v.i;
		return true;
	case N_BINARY:
		return ct_binary(n, out);
	case N_TERNARY:
		if (!n->els || !ct_eval(n->cond, &v))
			return false;
		return ct_eval(ct_truth(&v) ? n->then : n->els, out);
	case N_BLOCK_EXPR: /* { value } */
		return !n->body && n->lhs && ct_eval(n->lhs, out);
	case N_INDEX: { /* an element of a tuple of constants */
		int64_t idx;
		if (n->lhs->kind != N_TUPLE || !sema_const_eval(n->rhs, &idx) || idx < 0)
			return false;
		const struct node *e = n->lhs->args;
		for (; e && idx > 0; idx--)
			e = e->next;
		return e && ct_eval(e, out);
	}
	case N_FIELD: { /* (a, b).1, (x = 1).x */
		char *end;
		if (n->lhs->kind == N_RECORD && n->name) {
			for (const struct node *f = n->lhs->args; f; f = f->next)
				if (strcmp(f->name, n->name) == 0)
					return ct_eval(f->lhs, out);
			return false;
		}
		if (n->lhs->kind != N_TUPLE || !n->name)
			return false;
		unsigned long idx = strtoul(n->name, &end, 10);
		if (*end || end == n->name)
			return false;
		const struct node *e = n->lhs->args;
		for (; e && idx > 0; idx--)
			e = e->next;
		return e && ct_eval(e, out);
	}
	default:
		return false;
	}
}

/* Checks the comptime node n and folds it into its literal; false (reported
 * in the loud run) when it is not known while compiling. */
static bool comptime_fold(struct sema *s, struct node *n)
{
	const struct type *t = sema_expr(s, n->lhs);
	if (type_is_none(t))
		return false;
	struct ct_value v;
	if (!ct_eval(n->lhs, &v)) {
		sema_fail(s, n->loc, "unable to resolve comptime expression: its value is known only at run time");
		return false;
	}
	struct node *inner = n->lhs;
	n->lhs = NULL;
	n->type = NULL;
	if (v.kind == CT_STR) {
		n->kind = N_STR;
		n->str = xmalloc(v.len + 1);
		memcpy(n->str, v.str, v.len);
		n->str[v.len] = '\0';
		n->str_len = v.len;
	} else {
		n->kind = v.kind == CT_BOOL ? N_BOOL : N_INT;
		n->ival = (uint64_t)v.i;
		n->is_unsigned = v.kind == CT_INT && v.is_unsigned;
		n->is_negative = false;
	}
	ast_free_node(inner); /* after the copy: v.str points into it */
	return true;
}

const struct type *sema_comptime(struct sema *s, struct node *n)
{
	if (!comptime_fold(s, n))
		return type_none();
	return sema_expr(s, n);
}

bool sema_is_comptime_branch(const struct node *n)
{
	return (n->kind == N_IF || n->kind == N_TERNARY) && n->cond && n->cond->kind == N_COMPTIME;
}

bool sema_comptime_choose(struct sema *s, struct node *n)
{
	if (!comptime_fold(s, n->cond))
		return false; /* both branches wait: nothing under them is checked */
	struct ct_value v;
	ct_eval(n->cond, &v);
	bool taken = ct_truth(&v);
	struct node *keep = taken ? n->then : n->els;
	if (taken)
		n->then = NULL;
	else
		n->els = NULL;
	ast_free_node(n->cond);
	ast_free_node(n->then);
	ast_free_node(n->els);
	n->cond = n->then = n->els = NULL;
	struct node *next = n->next;
	bool no_semicolon = n->no_semicolon;
	if (keep) {
		*n = *keep;
		free(keep); /* its children now belong to n */
	} else {
		/* a false `if` without else: nothing (an empty block) */
		enum node_kind kind = n->kind == N_IF ? N_BLOCK : N_BLOCK_EXPR;
		srcloc loc = n->loc;
		memset(n, 0, sizeof(*n));
		n->kind = kind;
		n->loc = loc;
	}
	n->next = next;
	n->no_semicolon = no_semicolon;
	return true;
}

/* ---- one probe per probe type where comptime asks which ---- */

/* probetype (or probetype()) under a `comptime` in n or its siblings. */
static bool asks_probetype(const struct node *n, bool in_comptime)
{
	for (; n; n = n->next) {
		bool ct = in_comptime || n->kind == N_COMPTIME;
		if (ct && (n->kind == N_BUILTIN || n->kind == N_CALL) && n->name &&
		    strcmp(n->name, "probetype") == 0)
			return true;
		const struct node *kids[] = { n->lhs, n->rhs, n->cond, n->then, n->els, n->args, n->body };
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			if (asks_probetype(kids[i], ct))
				return true;
	}
	return false;
}

static const char *target_type_name(const struct sema *s, int group)
{
	const struct prog_group *g = &s->groups[group];
	return g->prov ? stdlib_probetype_name(g->prov) : "";
}

/* A copy of p, placed after `after`, that takes p's targets of type
 * `name`: the groups of those targets run the copy instead. Copies are
 * marked by index -1 until renumber_probes. */
static struct probe *split_off(struct sema *s, struct probe *p, const char *name, struct probe *after)
{
	struct probe *q = xcalloc(1, sizeof(*q));
	q->loc = p->loc;
	q->index = -1;
	q->pred = ast_copy_node(p->pred);
	q->body = ast_copy_node(p->body);
	int kept = 0;
	for (int i = 0; i < p->ntargets; i++) {
		int g = p->targets[i];
		if (strcmp(target_type_name(s, g), name) != 0) {
			p->targets[kept++] = g;
			continue;
		}
		q->targets = xrealloc(q->targets, sizeof(int) * (size_t)(q->ntargets + 1));
		q->targets[q->ntargets++] = g;
		struct prog_group *grp = &s->groups[g];
		for (int a = 0; a < grp->nactions; a++)
			if (grp->actions[a] == p)
				grp->actions[a] = q; /* the same place: script order holds */
	}
	p->ntargets = kept;
	q->next = after->next;
	after->next = q;
	return q;
}

/* The probes are numbered again and get their state; a copy shares its
 * original's expansion outcome. */
static void renumber_probes(struct sema *s)
{
	int n = 0;
	for (struct probe *p = s->prog->probes; p; p = p->next)
		n++;
	struct probe_state *st = xcalloc((size_t)n, sizeof(*st));
	int i = 0;
	bool failed = false;
	for (struct probe *p = s->prog->probes; p; p = p->next, i++) {
		st[i].is_copy = p->index < 0;
		if (!st[i].is_copy)
			failed = s->pstate[p->index].expand_failed;
		st[i].expand_failed = failed;
		p->index = i;
	}
	free(s->pstate);
	s->pstate = st;
	s->nprobes = n;
}

void sema_split_by_probetype(struct sema *s)
{
	bool split = false;
	struct probe *next;
	for (struct probe *p = s->prog->probes; p; p = next) {
		struct probe *last = p;
		if (p->ntargets > 1 && (asks_probetype(p->pred, false) || asks_probetype(p->body, false))) {
			/* each other type among p's targets takes them to a copy */
			int i = 1;
			while (i < p->ntargets) {
				const char *name = target_type_name(s, p->targets[i]);
				if (strcmp(name, target_type_name(s, p->targets[0])) == 0) {
					i++;
					continue;
				}
				last = split_off(s, p, name, last);
				split = true;
			}
		}
		next = last->next;
	}
	if (split)
		renumber_probes(s);
}
