/* expr.c - the type of every expression.
 *
 * Rules follow the latest bpftrace (see docs/language.md "Data Types"):
 * an integer literal is the smallest signed type that holds it, and a
 * non-negative literal takes the sign of what it meets; arithmetic and
 * bitwise results are 64-bit, signed if either side is (or for '-');
 * comparisons, '!', && and || give bool; pointers add and subtract
 * integers scaled by their pointee; '.' on a pointer reads through it
 * ('->' is the same); fields and elements keep the address space of the
 * memory they come from, so a pointer read from user memory points to user
 * memory. An expression that failed gets type_none() and nothing reports on
 * a TY_NONE operand again, so one mistake makes one error. */
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "language.h"
#include "sema_internal.h"

static const struct type *set_type(struct node *n, const struct type *t)
{
	n->type = t ? t : type_none();
	return n->type;
}

static const char *tname(const struct type *t, char *buf, size_t len)
{
	return type_name(t, buf, len);
}

bool sema_is_condition_type(const struct type *t)
{
	return t && (t->kind == TY_INT || t->kind == TY_BOOL || t->kind == TY_ENUM ||
		     t->kind == TY_PTR);
}

const struct type *sema_stored_type(const struct type *t)
{
	return type_storage(t);
}

/* ---- constants ---------------------------------------------------------------- */

bool sema_const_eval(const struct node *n, int64_t *out)
{
	int64_t a, b;
	if (!n)
		return false;
	switch (n->kind) {
	case N_INT:
		*out = (int64_t)n->ival;
		return true;
	case N_UNARY:
		if (!sema_const_eval(n->lhs, &a))
			return false;
		if (n->op == '-')
			*out = (int64_t)(0 - (uint64_t)a);
		else if (n->op == '~')
			*out = ~a;
		else
			return false;
		return true;
	case N_BINARY:
		if (!sema_const_eval(n->lhs, &a) || !sema_const_eval(n->rhs, &b))
			return false;
		switch (n->op) {
		case OP_ADD: *out = (int64_t)((uint64_t)a + (uint64_t)b); return true;
		case OP_SUB: *out = (int64_t)((uint64_t)a - (uint64_t)b); return true;
		case OP_MUL: *out = (int64_t)((uint64_t)a * (uint64_t)b); return true;
		case OP_DIV: if (!b) return false; *out = (int64_t)((uint64_t)a / (uint64_t)b); return true;
		case OP_MOD: if (!b) return false; *out = (int64_t)((uint64_t)a % (uint64_t)b); return true;
		case OP_AND: *out = a & b; return true;
		case OP_OR: *out = a | b; return true;
		case OP_XOR: *out = a ^ b; return true;
		case OP_SHL: *out = (int64_t)((uint64_t)a << (b & 63)); return true;
		case OP_SHR: *out = (int64_t)((uint64_t)a >> (b & 63)); return true;
		default: return false;
		}
	default:
		return false;
	}
}

/* ---- builtins ----------------------------------------------------------------------- */

static const struct type *check_builtin(struct sema *s, struct node *n)
{
	const struct stdlib_var *v = stdlib_find_var(n->name);
	int64_t value;
	const struct type *enum_type;
	if (!v && sema_enum_constant(s, n->name, &value, &enum_type)) {
		/* a constant from here on (sema runs again: N_INT keeps the type) */
		n->kind = N_INT;
		n->ival = (uint64_t)value;
		return enum_type;
	}
	if (!v) {
		sema_report_missing(s, n, false);
		return type_none();
	}
	n->builtin = v;
	const struct lang_name *l = lang_name_find(n->name);
	if (s->curst->expand_failed && l && l->probes)
		return type_none(); /* where it may be used is unknown (names.c) */
	return v->check(s, n);
}

/* ---- records: members through pointers and values ------------------------------------ */

/* The record a '.' or '->' reads from, seen through a pointer when the base
 * is one (bpftrace: '.' on a pointer dereferences it). */
static const struct type *field_container(struct sema *s, struct node *n, const struct type *base,
					  enum addr_space *as)
{
	char buf[128];
	*as = n->lhs->as;
	if (base->kind == TY_PTR) {
		*as = base->as;
		base = base->elem;
	}
	if (base->kind != TY_RECORD)
		return sema_fail(s, n->loc, "'%s' is not a struct, union, tuple or record: it has no member '%s'",
				 tname(n->lhs->type, buf, sizeof(buf)), n->name);
	if (!sema_complete(s, base, n->loc))
		return type_none();
	return base;
}

/* A pointer read from memory in address space `as` points into it too. */
static const struct type *in_space(struct sema *s, const struct type *t, enum addr_space as)
{
	if (t->kind == TY_PTR && as != AS_NONE && t->as != as)
		return type_ptr(sema_types(s), t->elem, as);
	return t;
}

static const struct type *member_missing(struct sema *s, struct node *n, const struct type *rec)
{
	char buf[128];
	const char *close = kbtf_closest_member(rec, n->name);
	if (rec->rkind == REC_TUPLE)
		return sema_fail(s, n->loc, "tuple index %s is out of range: %s has %d element%s",
				 n->name, tname(rec, buf, sizeof(buf)), rec->nmembers,
				 rec->nmembers == 1 ? "" : "s");
	if (close)
		return sema_fail(s, n->loc, "'%s' has no member '%s'; did you mean '%s'?",
				 tname(rec, buf, sizeof(buf)), n->name, close);
	return sema_fail(s, n->loc, "'%s' has no member '%s'", tname(rec, buf, sizeof(buf)), n->name);
}

static const struct type *field_of_args(struct sema *s, struct node *n);

static const struct type *check_field(struct sema *s, struct node *n)
{
	struct node *base = n->lhs;
	if (base->kind == N_BUILTIN && strcmp(base->name, "args") == 0)
		return field_of_args(s, n);
	const struct type *bt = sema_expr(s, base);
	if (type_is_none(bt))
		return type_none();
	enum addr_space as;
	const struct type *rec = field_container(s, n, bt, &as);
	if (type_is_none(rec))
		return type_none();
	const struct type_member *m = type_member_find(rec, n->name);
	if (!m)
		return member_missing(s, n, rec);
	n->member = m;
	n->as = as;
	return in_space(s, m->type, as);
}

/* args.field: the field can sit at another offset (or have another size) in
 * each tracepoint of a wildcard; each target gets its own member. */
static const struct type *field_of_args(struct sema *s, struct node *n)
{
	struct node *base = n->lhs;
	if (type_is_none(set_type(base, check_builtin(s, base))))
		return type_none();
	int nt = sema_ntargets(s);
	const struct type_member **members = xcalloc((size_t)(nt ? nt : 1), sizeof(*members));
	const struct type *result = NULL;
	char a[128], b[128];
	for (int i = 0; i < nt; i++) {
		const struct prog_group *g = sema_target(s, i);
		const struct type *rec = g->args;
		if (!rec || rec->kind != TY_RECORD) {
			free(members);
			return sema_fail(s, n->loc, "%s has no 'args'", g->target.name);
		}
		const struct type_member *m = type_member_find(rec, n->name);
		if (!m) {
			free(members);
			const char *close = kbtf_closest_member(rec, n->name);
			if (close)
				return sema_fail(s, n->loc, "%s %s has no field '%s'; did you mean '%s'?",
						 sema_probe_name(g), g->target.target, n->name, close);
			sema_fail(s, n->loc, "%s %s has no field '%s'", sema_probe_name(g), g->target.target,
				  n->name);
			char list[1024] = "";
			size_t at = 0;
			for (int k = 0; k < rec->nmembers && at < sizeof(list) - 64; k++)
				at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", k ? ", " : "",
						       rec->members[k].name);
			sema_note(s, (srcloc){ 0 }, "the fields of %s are: %s", g->target.target, list);
			return type_none();
		}
		members[i] = m;
		const struct type *mt = in_space(s, m->type, base->as);
		const struct type *merged = result ? type_merge(sema_types(s), result, mt) : mt;
		if (!merged || (result && mt->kind != TY_INT && !type_equal(result, mt) &&
				!(mt->kind == TY_STR && result->kind == TY_STR))) {
			free(members);
			return sema_fail(s, n->loc, "field '%s' is %s in %s but %s in %s", n->name,
					 tname(result, a, sizeof(a)), sema_target(s, 0)->target.name,
					 tname(mt, b, sizeof(b)), g->target.name);
		}
		result = merged;
	}
	free(n->members);
	n->members = nt > 1 ? members : NULL;
	n->member = members[0];
	if (nt <= 1)
		free(members);
	n->as = base->as;
	return result ? result : type_none();
}

/* ---- indexing -------------------------------------------------------------------------- */

static const struct type *check_index(struct sema *s, struct node *n)
{
	const struct type *bt = sema_expr(s, n->lhs);
	const struct type *it = sema_expr(s, n->rhs);
	char buf[128];
	if (type_is_none(bt) || type_is_none(it))
		return type_none();
	int64_t idx;
	bool is_const = sema_const_eval(n->rhs, &idx);
	if (bt->kind == TY_RECORD && bt->rkind == REC_TUPLE) {
		if (!is_const)
			return sema_fail(s, n->rhs->loc, "a tuple index must be a constant");
		if (idx < 0 || idx >= bt->nmembers)
			return sema_fail(s, n->rhs->loc, "tuple index %lld is out of range: %s has %d element%s",
					 (long long)idx, tname(bt, buf, sizeof(buf)), bt->nmembers,
					 bt->nmembers == 1 ? "" : "s");
		n->member = &bt->members[idx];
		n->index = (int)idx;
		n->as = n->lhs->as;
		return bt->members[idx].type;
	}
	if (!type_is_integer(it) && it->kind != TY_BOOL)
		return sema_fail(s, n->rhs->loc, "an index must be an integer, not %s",
				 tname(it, buf, sizeof(buf)));
	if (bt->kind == TY_ARRAY) {
		if (is_const && bt->count && (idx < 0 || (uint64_t)idx >= bt->count))
			return sema_fail(s, n->rhs->loc, "the index %lld is out of bounds for array of size %u",
					 (long long)idx, (unsigned)bt->count);
		/* an index known only at run time: past the end, the latest
		 * bpftrace warns at run time (a warnf() record; index -1: none) */
		n->run_warning = 0;
		if (!is_const && bt->count) {
			n->run_warning = 1 + sema_register_format(
				s, n, "Array access out of bounds. This can lead to unexpected results.", NULL,
				PF_WARNF);
			n->index = -1;
		}
		n->as = n->lhs->as;
		return in_space(s, bt->elem, n->as);
	}
	if (bt->kind == TY_STR) {
		/* a string's characters: int8, as C's char on x86-64 */
		if (is_const && (idx < 0 || (uint64_t)idx >= bt->size))
			return sema_fail(s, n->rhs->loc, "the index %lld is out of bounds for %s",
					 (long long)idx, tname(bt, buf, sizeof(buf)));
		n->as = n->lhs->as;
		return type_int(1, true);
	}
	if (bt->kind == TY_PTR) {
		if (bt->elem->kind == TY_VOID || (bt->elem->size == 0 && bt->elem->kind != TY_RECORD))
			return sema_fail(s, n->loc, "cannot index %s: its elements have no size",
					 tname(bt, buf, sizeof(buf)));
		if (bt->elem->kind == TY_RECORD && !sema_complete(s, bt->elem, n->loc))
			return type_none();
		n->as = bt->as;
		return in_space(s, bt->elem, n->as);
	}
	return sema_fail(s, n->loc, "cannot index %s: it is not an array, a string, a pointer or a tuple",
			 tname(bt, buf, sizeof(buf)));
}

/* ---- operators ---------------------------------------------------------------------------- */

/* Buffers, arrays, tuples, records and structs are equal when their bytes
 * are (values are built with their padding zeroed). */
static bool is_compared_by_bytes(const struct type *t)
{
	return t->kind == TY_BUF || t->kind == TY_ARRAY || t->kind == TY_RECORD;
}

static const struct type *check_deref(struct sema *s, struct node *n, const struct type *t)
{
	char buf[128];
	if (type_is_integer(t) && t->kind != TY_BOOL) {
		/* bpftrace reads a uint64 at an integer address (kaddr() gives one) */
		n->as = AS_NONE;
		return type_int(8, false);
	}
	if (t->kind != TY_PTR)
		return sema_fail(s, n->loc, "cannot dereference %s: it is not a pointer",
				 tname(t, buf, sizeof(buf)));
	if (t->elem->kind == TY_VOID)
		return sema_fail(s, n->loc, "cannot dereference a void pointer; cast it first, as *(uint64 *)p");
	if (t->elem->kind == TY_RECORD && !sema_complete(s, t->elem, n->loc))
		return type_none();
	n->as = t->as;
	return in_space(s, t->elem, t->as);
}

static const struct type *check_address(struct sema *s, struct node *n)
{
	struct node *target = n->lhs;
	if (target->kind != N_VAR)
		return sema_fail(s, n->loc, "'&' takes the address of a $variable");
	const struct type *t = set_type(target, sema_var_address(s, target));
	if (type_is_none(t))
		return t;
	return type_ptr(sema_types(s), t, AS_NONE);
}

static const struct type *check_unary(struct sema *s, struct node *n)
{
	if (n->op == '&')
		return check_address(s, n);
	const struct type *t = sema_expr(s, n->lhs);
	char buf[128];
	if (type_is_none(t))
		return t;
	if (n->op == '*')
		return check_deref(s, n, t);
	if (n->op == '!') {
		if (!sema_is_condition_type(t))
			return sema_fail(s, n->loc, "invalid operand to '!': %s", tname(t, buf, sizeof(buf)));
		return type_bool();
	}
	if (!type_is_integer(t))
		return sema_fail(s, n->loc, "invalid operand to unary '%c': %s", n->op,
				 tname(t, buf, sizeof(buf)));
	if (n->op == '~')
		return type_int(8, t->is_literal ? true : t->is_signed);
	return type_int(8, true); /* '-' */
}

static bool is_comparison(int op) { return op >= OP_EQ && op <= OP_GE; }

static const struct type *pointer_arith(struct sema *s, struct node *n, const struct type *a,
					const struct type *b)
{
	char ba[128], bb[128];
	bool left = a->kind == TY_PTR;
	const struct type *p = left ? a : b, *other = left ? b : a;
	if (is_comparison(n->op) && (other->kind == TY_PTR || type_is_integer(other)))
		return type_bool();
	if (n->op == OP_LAND || n->op == OP_LOR)
		return type_bool();
	if (type_is_integer(other) && (n->op == OP_ADD || (n->op == OP_SUB && left))) {
		if (p->elem->kind == TY_RECORD)
			sema_complete(s, p->elem, n->loc);
		return p;
	}
	return sema_fail(s, n->loc, "invalid operands to '%s': %s and %s", binop_spelling(n->op),
			 tname(a, ba, sizeof(ba)), tname(b, bb, sizeof(bb)));
}

/* x / y and x % y with a y known only at run time: as in the latest
 * bpftrace, a zero y gives 1 and a runtime warning at the operation (a
 * warnf() record, registered here; the node's index says which, -1 none).
 * bpftrace 0.17 gave 0 for x / 0 and x for x % 0, without a word. */
#define SEMA_DIV_ZERO_MSG \
	"Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used as the result."

void sema_div_by_zero_check(struct sema *s, struct node *n, const struct node *divisor)
{
	n->run_warning = 0;
	if ((n->op != OP_DIV && n->op != OP_MOD) || divisor->kind == N_INT)
		return;
	n->run_warning = 1 + sema_register_format(s, n, SEMA_DIV_ZERO_MSG, NULL, PF_WARNF);
	n->index = -1;
}

static const struct type *check_binary(struct sema *s, struct node *n)
{
	const struct type *a = sema_expr(s, n->lhs), *b = sema_expr(s, n->rhs);
	char ba[128], bb[128];
	n->run_warning = 0;
	if (type_is_none(a) || type_is_none(b))
		return type_none();
	if (n->op == OP_LAND || n->op == OP_LOR) {
		if (!sema_is_condition_type(a) || !sema_is_condition_type(b))
			return sema_fail(s, n->loc, "invalid operands to '%s': %s and %s",
					 binop_spelling(n->op), tname(a, ba, sizeof(ba)), tname(b, bb, sizeof(bb)));
		return type_bool();
	}
	if (a->kind == TY_STR || b->kind == TY_STR) {
		if (a->kind != b->kind || (n->op != OP_EQ && n->op != OP_NE)) {
			if (n->op == OP_EQ || n->op == OP_NE)
				return sema_fail(s, n->loc, "cannot compare %s with %s",
						 tname(a, ba, sizeof(ba)), tname(b, bb, sizeof(bb)));
			return sema_fail(s, n->loc, "invalid operands to '%s': %s and %s",
					 binop_spelling(n->op), tname(a, ba, sizeof(ba)), tname(b, bb, sizeof(bb)));
		}
		return type_bool();
	}
	if ((n->op == OP_EQ || n->op == OP_NE) && (is_compared_by_bytes(a) || is_compared_by_bytes(b))) {
		bool same = a->kind == TY_BUF && b->kind == TY_BUF ? true : type_equal(a, b);
		if (!same)
			return sema_fail(s, n->loc, "cannot compare %s with %s", tname(a, ba, sizeof(ba)),
					 tname(b, bb, sizeof(bb)));
		if (!sema_complete_value(s, a, n->loc))
			return type_none();
		return type_bool();
	}
	if (a->kind == TY_PTR || b->kind == TY_PTR)
		return pointer_arith(s, n, a, b);
	if (a->kind == TY_BOOL && b->kind == TY_BOOL)
		return type_bool(); /* bpftrace: any operator on two bools is a bool */
	bool ai = type_is_integer(a) || a->kind == TY_BOOL, bi = type_is_integer(b) || b->kind == TY_BOOL;
	if (!ai || !bi)
		return sema_fail(s, n->loc, "invalid operands to '%s': %s and %s", binop_spelling(n->op),
				 tname(a, ba, sizeof(ba)), tname(b, bb, sizeof(bb)));
	if ((n->op == OP_DIV || n->op == OP_MOD) && n->rhs->kind == N_INT && n->rhs->ival == 0)
		sema_err(s, n->rhs->loc, "division by zero");
	sema_div_by_zero_check(s, n, n->rhs);
	if (is_comparison(n->op))
		return type_bool();
	/* a sign-flexible literal takes the other side's sign */
	bool as = a->is_literal && !b->is_literal ? b->is_signed : a->is_signed;
	bool bs = b->is_literal && !a->is_literal ? a->is_signed : b->is_signed;
	if (n->op == OP_SHL || n->op == OP_SHR)
		return type_int(8, as);
	return type_int(8, as || bs || n->op == OP_SUB);
}

static void check_ternary_condition(struct sema *s, struct node *n)
{
	const struct type *c = sema_expr(s, n->cond);
	char buf[128];
	if (!type_is_none(c) && !sema_is_condition_type(c))
		sema_err(s, n->cond->loc, "the condition of %s must be an integer, a bool or a pointer, not %s",
			 n->is_prefix ? "'if'" : "'?:'", tname(c, buf, sizeof(buf)));
}

/* The one type of both branches, or an error naming them. */
static const struct type *merge_branches(struct sema *s, struct node *n, const struct type *a,
					 const struct type *b)
{
	char ba[128], bb[128];
	if (type_is_none(a) || type_is_none(b))
		return type_none();
	const struct type *t = type_merge(sema_types(s), sema_stored_type(a), sema_stored_type(b));
	if (!t)
		return sema_fail(s, n->loc, "the two branches of %s have different types: %s and %s",
				 n->is_prefix ? "if/else" : "'?:'", tname(a, ba, sizeof(ba)),
				 tname(b, bb, sizeof(bb)));
	return t;
}

/* Both branches of a ?: or if-expression end the block (s->ends), or it
 * goes on after them; then is checked by check, else is what it returns. */
static const struct type *branch_ends(struct sema *s, bool *ends,
				      const struct type *(*check)(struct sema *, struct node *),
				      struct node *branch)
{
	s->ends = false;
	const struct type *t = check(s, branch);
	*ends = *ends && s->ends;
	return t;
}

static const struct type *check_ternary(struct sema *s, struct node *n)
{
	check_ternary_condition(s, n);
	bool ends = true;
	const struct type *a = branch_ends(s, &ends, sema_expr, n->then);
	if (!n->els) {
		s->ends = false;
		return sema_fail(s, n->loc, "an 'if' without 'else' has no value; add an else branch "
				 "(if c { a } else { b })");
	}
	const struct type *b = branch_ends(s, &ends, sema_expr, n->els);
	s->ends = ends;
	return merge_branches(s, n, a, b);
}

/* { stmts; value } where a value is wanted. */
static const struct type *check_block_expr(struct sema *s, struct node *n, bool discarded)
{
	int mark = sema_scope_enter(s);
	sema_stmt_list(s, n->body);
	const struct type *t;
	if (n->lhs)
		t = discarded ? sema_discarded(s, n->lhs) : sema_expr(s, n->lhs);
	else if (discarded)
		t = type_void();
	else
		t = sema_fail(s, n->loc, "this block has no value: a block used as a value ends in an "
			      "expression without ';' ({ ...; value })");
	sema_scope_leave(s, mark);
	return t;
}

const struct type *sema_discarded(struct sema *s, struct node *n)
{
	switch (n->kind) {
	case N_CALL: {
		/* a function without a value (printf) is fine here; a value
		 * function is still typed: codegen reads its type */
		const struct type *t = sema_call(s, n, CALL_STMT);
		return set_type(n, t ? t : type_none());
	}
	case N_TERNARY: {
		if (sema_is_comptime_branch(n))
			return sema_comptime_choose(s, n) ? sema_discarded(s, n) : set_type(n, type_none());
		check_ternary_condition(s, n);
		bool ends = n->els != NULL;
		const struct type *a = branch_ends(s, &ends, sema_discarded, n->then);
		const struct type *b = n->els ? branch_ends(s, &ends, sema_discarded, n->els) : type_void();
		s->ends = ends;
		if (type_is(a, TY_VOID) || type_is(b, TY_VOID))
			return set_type(n, type_void());
		return set_type(n, merge_branches(s, n, a, b));
	}
	case N_BLOCK_EXPR:
		return set_type(n, check_block_expr(s, n, true));
	default:
		return sema_expr(s, n);
	}
}

/* ---- casts ---------------------------------------------------------------------------------- */

/* The address space of an integer cast to a pointer: where this probe
 * type's pointers point (kernel for tracepoints, user for uprobes). */
enum addr_space sema_probe_address_space(struct sema *s)
{
	enum addr_space as = AS_NONE;
	for (int i = 0; i < sema_ntargets(s); i++) {
		const struct prog_group *g = sema_target(s, i);
		enum addr_space ga = g->prov && g->prov->pointer_as ? g->prov->pointer_as(&g->target) : AS_NONE;
		if (i == 0)
			as = ga;
		else if (ga != as)
			return AS_NONE;
	}
	return as;
}

static const struct type *cast_to_array(struct sema *s, struct node *n, const struct type *from,
					const struct type *to)
{
	char ba[128], bb[128];
	if (to->elem->kind != TY_INT && to->elem->kind != TY_BOOL)
		return sema_fail(s, n->loc, "cannot cast to %s: only arrays of integers can be cast to",
				 tname(to, ba, sizeof(ba)));
	if (from->kind == TY_ARRAY || from->kind == TY_STR) {
		/* (int8[])str: reinterpret the bytes */
		if (to->count == 0)
			to = type_array(sema_types(s), to->elem, from->size / (to->elem->size ? to->elem->size : 1));
		if (to->size != from->size)
			return sema_fail(s, n->loc, "cannot cast %s to %s: the sizes differ",
					 tname(from, ba, sizeof(ba)), tname(to, bb, sizeof(bb)));
		return to;
	}
	if (to->count == 0 && type_is_integer(from) && to->elem->size) {
		/* (int8[])x: as many elements as x has bytes; a literal is 64 bits */
		uint32_t bytes = from->is_literal ? 8 : from->size;
		to = type_array(sema_types(s), to->elem, bytes / to->elem->size);
	}
	/* a literal takes the array's size: (int8[4])0x01020304 */
	bool fits = from->is_literal && (to->size == 1 || to->size == 2 || to->size == 4 || to->size == 8) &&
		    from->size <= to->size;
	if (!type_is_integer(from) || (to->size != from->size && !fits))
		return sema_fail(s, n->loc, "cannot cast %s to %s: an array cast takes an integer of the same size",
				 tname(from, ba, sizeof(ba)), tname(to, bb, sizeof(bb)));
	return to;
}

static const struct type *check_cast(struct sema *s, struct node *n)
{
	const struct type *to = sema_resolve_spec(s, n->spec);
	const struct type *from = sema_expr(s, n->lhs);
	char ba[128], bb[128];
	if (type_is_none(to) || type_is_none(from))
		return type_none();
	if (to->kind == TY_ARRAY)
		return cast_to_array(s, n, from, to);
	bool from_scalar = type_is_integer(from) || from->kind == TY_BOOL || from->kind == TY_PTR;
	if (to->kind == TY_PTR) {
		if (from->kind == TY_PTR)
			return to->as == AS_NONE ? type_ptr(sema_types(s), to->elem, from->as) : to;
		if (!type_is_integer(from))
			return sema_fail(s, n->loc, "cannot cast %s to %s", tname(from, ba, sizeof(ba)),
					 tname(to, bb, sizeof(bb)));
		return to->as == AS_NONE ? type_ptr(sema_types(s), to->elem, sema_probe_address_space(s)) : to;
	}
	if ((type_is_integer(to) || to->kind == TY_BOOL) && from_scalar)
		return to;
	if (type_is_integer(to) && from->kind == TY_STR && from->size == to->size &&
	    (n->lhs->kind == N_FIELD || n->lhs->kind == N_INDEX))
		return to; /* a char array member (y[4]) seen as a string: its bytes */
	if (type_is_integer(to) && from->kind == TY_ARRAY) {
		/* an array of integers as one integer of its size, as bpftrace
		 * allows ((uint32)pton("127.0.0.1")) */
		if (!type_is_integer(from->elem) && from->elem->kind != TY_BOOL)
			return sema_fail(s, n->loc, "cannot cast %s to %s: only arrays of integers can be",
					 tname(from, ba, sizeof(ba)), tname(to, bb, sizeof(bb)));
		if (from->size != to->size)
			return sema_fail(s, n->loc, "cannot cast %s (%u bytes) to %s (%u bytes): the sizes "
					 "must be equal", tname(from, ba, sizeof(ba)), from->size,
					 tname(to, bb, sizeof(bb)), to->size);
		return to;
	}
	return sema_fail(s, n->loc, "cannot cast %s to %s", tname(from, ba, sizeof(ba)),
			 tname(to, bb, sizeof(bb)));
}

/* ---- ++ and -- ------------------------------------------------------------------------------ */

static const struct type *check_incdec(struct sema *s, struct node *n)
{
	struct node *target = n->lhs;
	char buf[128];
	const char *spelling = n->op == '-' ? "--" : "++";
	if (target->kind == N_MAP) {
		struct map_info *m = sema_map_lookup(s, target);
		sema_map_keys(s, m, target);
		return sema_map_incdec(s, target, n->loc, spelling);
	}
	if (target->kind != N_VAR)
		return sema_fail(s, n->loc, "'%s' needs a variable or a map", spelling);
	const struct type *t = set_type(target, sema_var_read(s, target));
	if (type_is_none(t))
		return t;
	if (!type_is_integer(t) && t->kind != TY_PTR)
		return sema_fail(s, n->loc, "cannot apply '%s' to variable '%s' of type %s", spelling,
				 target->name, tname(t, buf, sizeof(buf)));
	return t;
}

/* ---- tuples and records --------------------------------------------------------------------- */

static const struct type *element_type(struct sema *s, struct node *e)
{
	const struct type *t = sema_expr(s, e);
	char buf[128];
	if (type_is_none(t) || !sema_complete_value(s, t, e->loc))
		return NULL;
	if (t->kind == TY_AGG || t->kind == TY_VOID) {
		sema_err(s, e->loc, "%s cannot be part of a tuple or record", tname(t, buf, sizeof(buf)));
		return NULL;
	}
	return t;
}

static const struct type *check_tuple(struct sema *s, struct node *n)
{
	const struct type *elems[64];
	int count = 0;
	bool ok = true;
	for (struct node *e = n->args; e; e = e->next, count++) {
		if (count == 64)
			return sema_fail(s, e->loc, "a tuple can have at most 64 elements");
		elems[count] = element_type(s, e);
		ok &= elems[count] != NULL;
	}
	return ok ? type_tuple(sema_types(s), elems, count) : type_none();
}

static const struct type *check_record(struct sema *s, struct node *n)
{
	struct type *rec = type_record_new(sema_types(s), REC_RECORD, NULL);
	bool ok = true;
	for (struct node *f = n->args; f; f = f->next) {
		for (struct node *g = n->args; g != f; g = g->next)
			if (strcmp(g->name, f->name) == 0) {
				sema_err(s, f->loc, "record field '%s' is given twice", f->name);
				ok = false;
			}
		const struct type *t = element_type(s, f->lhs);
		set_type(f, t);
		if (!t) {
			ok = false;
			continue;
		}
		type_record_add(sema_types(s), rec, f->name, t);
	}
	type_record_finish(rec, 0);
	return ok ? rec : type_none();
}

/* ---- sizeof and offsetof: folded into literals ------------------------------------------------ */

static void make_literal(struct node *n, uint64_t v)
{
	ast_free_node(n->lhs);
	ast_free_node(n->args);
	ast_free_spec(n->spec);
	n->lhs = n->args = NULL;
	n->spec = NULL;
	n->kind = N_INT;
	n->ival = v;
	n->is_unsigned = false;
}

static const struct type *check_sizeof(struct sema *s, struct node *n)
{
	if (!n->spec && n->lhs->kind == N_TYPEARG) {
		/* sizeof(t) in a macro whose t is typeof(...) */
		n->spec = n->lhs->spec;
		n->lhs->spec = NULL;
		ast_free_node(n->lhs);
		n->lhs = NULL;
	}
	if (n->spec && sema_spec_enumerator(s, n->spec)) {
		/* bpftrace makes an enumerator a 64-bit constant, whatever its
		 * enum's own size: sizeof(BTF_VAR_STATIC) is 8 in 0.17 and now */
		make_literal(n, 8);
		return type_int_literal(n->ival, false);
	}
	const struct type *t = n->spec ? sema_resolve_spec(s, n->spec) : sema_expr(s, n->lhs);
	char buf[128];
	if (type_is_none(t))
		return t;
	if (t->kind == TY_RECORD && !sema_complete(s, t, n->loc))
		return type_none();
	if (t->kind == TY_VOID || t->kind == TY_AGG)
		return sema_fail(s, n->loc, "%s has no size", tname(t, buf, sizeof(buf)));
	make_literal(n, t->size);
	return type_int_literal(n->ival, false);
}

static const struct type *check_offsetof(struct sema *s, struct node *n)
{
	const struct type *t = sema_resolve_spec(s, n->spec);
	char buf[128];
	if (type_is_none(t))
		return t;
	uint64_t offset = 0;
	for (struct node *f = n->args; f; f = f->next) {
		if (t->kind != TY_RECORD)
			return sema_fail(s, f->loc, "offsetof: '%s' is not a struct or union, it has no member '%s'",
					 tname(t, buf, sizeof(buf)), f->name);
		if (!sema_complete(s, t, f->loc))
			return type_none();
		const struct type_member *m = type_member_find(t, f->name);
		if (!m) {
			const char *close = kbtf_closest_member(t, f->name);
			if (close)
				return sema_fail(s, f->loc, "'%s' has no member '%s'; did you mean '%s'?",
						 tname(t, buf, sizeof(buf)), f->name, close);
			return sema_fail(s, f->loc, "'%s' has no member '%s'", tname(t, buf, sizeof(buf)),
					 f->name);
		}
		if (m->bit_size)
			return sema_fail(s, f->loc, "offsetof a bitfield ('%s') has no byte offset", f->name);
		offset += m->offset;
		t = m->type;
	}
	make_literal(n, offset);
	return type_int_literal(offset, false);
}

/* ---- the dispatcher ------------------------------------------------------------------------- */

static const struct type *check_string_literal(struct sema *s, struct node *n)
{
	if (n->str_len + 1 > sema_max_strlen(s))
		return sema_fail(s, n->loc, "string is too long (%zu bytes, more than max_strlen %u); "
			 "raise it with BPFTRACE_MAX_STRLEN", n->str_len + 1, (unsigned)sema_max_strlen(s));
	return type_str(sema_types(s), (uint32_t)n->str_len + 1);
}

const struct type *sema_expr(struct sema *s, struct node *n)
{
	switch (n->kind) {
	case N_INT:
		if (type_is(n->type, TY_ENUM))
			return n->type; /* an enumerator (check_builtin) */
		if (n->is_unsigned)
			return set_type(n, type_int(8, false));
		return set_type(n, type_int_literal(n->ival, n->is_negative));
	case N_BOOL:
		return set_type(n, type_bool());
	case N_STR:
		return set_type(n, check_string_literal(s, n));
	case N_BUILTIN:
		return set_type(n, check_builtin(s, n));
	case N_VAR:
		return set_type(n, sema_var_read(s, n));
	case N_MAP:
		return set_type(n, sema_map_read(s, n));
	case N_UNARY:
		return set_type(n, check_unary(s, n));
	case N_BINARY:
		return set_type(n, check_binary(s, n));
	case N_TERNARY:
		if (sema_is_comptime_branch(n))
			return sema_comptime_choose(s, n) ? sema_expr(s, n) : set_type(n, type_none());
		return set_type(n, check_ternary(s, n));
	case N_COMPTIME:
		return set_type(n, sema_comptime(s, n));
	case N_CALL:
		return set_type(n, sema_call(s, n, CALL_VALUE));
	case N_FIELD:
		return set_type(n, check_field(s, n));
	case N_INDEX:
		return set_type(n, check_index(s, n));
	case N_CAST:
		return set_type(n, check_cast(s, n));
	case N_INCDEC:
		return set_type(n, check_incdec(s, n));
	case N_TUPLE:
		return set_type(n, check_tuple(s, n));
	case N_RECORD:
		return set_type(n, check_record(s, n));
	case N_SIZEOF:
		return set_type(n, check_sizeof(s, n));
	case N_OFFSETOF:
		return set_type(n, check_offsetof(s, n));
	case N_BLOCK_EXPR:
		return set_type(n, check_block_expr(s, n, false));
	case N_TYPEARG:
		sema_err(s, n->loc, "typeof(...) is a type, not a value: use it in a cast ((typeof(x))v), "
			 "a declaration (let $v: typeof(x)) or sizeof(typeof(x))");
		return set_type(n, type_none());
	case N_POSITIONAL: /* replaced before typing; kept for robustness */
	default:
		sema_err(s, n->loc, "expected an expression");
		return set_type(n, type_none());
	}
}
