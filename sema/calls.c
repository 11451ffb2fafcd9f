/* calls.c - calls of builtin functions and aggregations.
 *
 * Each function's table entry (stdlib/) says where it may appear (value,
 * statement, map aggregation) and what each argument must be; this file
 * enforces those rules. printf's format is checked in printf.c. str() of
 * something that already is a string (str($1), str(args.filename)) is
 * replaced by its argument, so codegen only sees str() of a pointer. */
#include <stdlib.h>
#include <string.h>

#include "language.h"
#include "sema_internal.h"

bool sema_const_int(const struct node *n, int64_t *out)
{
	if (!n || n->kind != N_INT)
		return false;
	*out = (int64_t)n->ival;
	return true;
}

/* The arguments of lhist(v, min, max, step), when they are all literals
 * and valid. */
bool sema_lhist_params(const struct node *call, int64_t *min, int64_t *max, int64_t *step)
{
	const struct node *a = call->args;
	if (!a || !a->next || !a->next->next || !a->next->next->next)
		return false;
	if (!sema_const_int(a->next, min) || !sema_const_int(a->next->next, max) ||
	    !sema_const_int(a->next->next->next, step))
		return false;
	return *step > 0 && *max > *min && (*max - *min) / *step <= SEMA_MAX_LHIST_BUCKETS;
}

static int count_nodes(const struct node *n)
{
	int count = 0;
	for (; n; n = n->next)
		count++;
	return count;
}

/* Rules before ARG_END; *unlimited when the last is ARG_REST. */
static int max_args(const struct stdlib_func *f, bool *unlimited)
{
	int n = 0;
	*unlimited = false;
	while (n < STDLIB_MAX_ARGS && f->args[n] != ARG_END) {
		if (f->args[n] == ARG_REST)
			*unlimited = true;
		n++;
	}
	return n;
}

static enum arg_rule rule_at(const struct stdlib_func *f, int i)
{
	for (int r = 0; r < STDLIB_MAX_ARGS && f->args[r] != ARG_END; r++) {
		if (f->args[r] == ARG_REST)
			return ARG_ANY;
		if (r == i)
			return f->args[r];
	}
	return ARG_ANY;
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static bool check_arg_count(struct sema *s, struct node *n, const struct stdlib_func *f, int nargs)
{
	bool unlimited;
	int max = max_args(f, &unlimited);
	if (unlimited)
		max--; /* ARG_REST itself stands for zero or more */
	if (nargs >= f->min_args && (unlimited || nargs <= max))
		return true;
	const char *given = plural(nargs, "was", "were");
	if (unlimited)
		sema_err(s, n->loc, "%s() takes at least %d %s but %d %s given", f->name, f->min_args,
			 plural(f->min_args, "argument", "arguments"), nargs, given);
	else if (max == 0)
		sema_err(s, n->loc, "%s() takes no arguments but %d %s given", f->name, nargs, given);
	else if (f->min_args == 0)
		sema_err(s, n->loc, "%s() takes at most %d %s but %d %s given", f->name, max,
			 plural(max, "argument", "arguments"), nargs, given);
	else if (f->min_args == max)
		sema_err(s, n->loc, "%s() takes %d %s but %d %s given", f->name, max,
			 plural(max, "argument", "arguments"), nargs, given);
	else
		sema_err(s, n->loc, "%s() takes %d to %d arguments but %d %s given", f->name,
			 f->min_args, max, nargs, given);
	return false;
}

static void check_map_arg(struct sema *s, struct node *call, struct node *arg, bool element)
{
	const char *name = call->func->name;
	if (arg->kind != N_MAP || (!element && arg->args)) {
		sema_err(s, arg->loc, element ? "%s() expects a map element, as %s(@name[key])"
					      : "%s() expects a map without a key, as %s(@name)",
			 name, name);
		return;
	}
	struct map_info *m = sema_map_lookup(s, arg);
	if (element)
		sema_map_keys(s, m, arg);
	arg->type = type_none();
	call->map = m;
}

static void check_arg(struct sema *s, struct node *call, struct node *arg, int index,
		      enum arg_rule rule)
{
	const char *name = call->func->name;
	char buf[32];
	struct type t;
	switch (rule) {
	case ARG_MAP:
	case ARG_MAP_ELEM:
		check_map_arg(s, call, arg, rule == ARG_MAP_ELEM);
		return;
	case ARG_CONST_INT: {
		int64_t v;
		t = sema_expr(s, arg);
		if (t.kind != TY_NONE && !sema_const_int(arg, &v))
			sema_err(s, arg->loc, "%s(): argument %d must be an integer literal", name, index + 1);
		return;
	}
	case ARG_FMT:
		if (arg->kind != N_STR) {
			if (sema_expr(s, arg).kind != TY_NONE) /* a failed one is reported */
				sema_err(s, arg->loc, "%s(): argument %d must be a string literal", name,
					 index + 1);
		} else {
			sema_format_type(arg);
		}
		return;
	case ARG_INT:
	case ARG_STR:
		t = sema_expr(s, arg);
		if (t.kind == TY_NONE)
			return;
		if (rule == ARG_INT && t.kind != TY_INT)
			sema_err(s, arg->loc, "%s(): argument %d must be an integer, not %s", name,
				 index + 1, type_name(t, buf, sizeof(buf)));
		if (rule == ARG_STR && t.kind != TY_STR)
			sema_err(s, arg->loc, "%s(): argument %d must be a string, not %s", name,
				 index + 1, type_name(t, buf, sizeof(buf)));
		return;
	default:
		sema_expr(s, arg);
		return;
	}
}

static void check_lhist(struct sema *s, struct node *n)
{
	int64_t min, max, step;
	const struct node *a = n->args;
	if (!sema_const_int(a->next, &min) || !sema_const_int(a->next->next, &max) ||
	    !sema_const_int(a->next->next->next, &step))
		return; /* already reported as "must be an integer literal" */
	if (step <= 0)
		sema_err(s, n->loc, "lhist(): step must be at least 1 (got %lld)", (long long)step);
	else if (max <= min)
		sema_err(s, n->loc, "lhist(): max (%lld) must be greater than min (%lld)",
			 (long long)max, (long long)min);
	else if ((max - min) / step > SEMA_MAX_LHIST_BUCKETS)
		sema_err(s, n->loc, "lhist(): (max - min) / step must be at most %d (got %lld)",
			 SEMA_MAX_LHIST_BUCKETS, (long long)((max - min) / step));
}

/* str("literal" + 2) after positional substitution: the tail of the string. */
static void fold_string_offset(struct node *arg)
{
	if (arg->kind != N_BINARY || arg->op != OP_ADD || arg->lhs->kind != N_STR ||
	    arg->rhs->kind != N_INT)
		return;
	struct node *lit = arg->lhs;
	size_t skip = arg->rhs->ival < lit->str_len ? (size_t)arg->rhs->ival : lit->str_len;
	char *tail = xstrndup(lit->str + skip, lit->str_len - skip);
	size_t len = lit->str_len - skip;
	ast_free_node(arg->lhs);
	ast_free_node(arg->rhs);
	arg->lhs = arg->rhs = NULL;
	arg->kind = N_STR;
	arg->op = 0;
	arg->str = tail;
	arg->str_len = len;
}

/* Replace the call node n by its first argument, keeping n's place in its
 * list and its source span. */
static void replace_by_first_arg(struct node *n)
{
	struct node *arg = n->args;
	struct node *rest = arg->next;
	struct node *next = n->next;
	srcloc loc = n->loc;
	char *name = n->name;
	arg->next = NULL;
	*n = *arg;
	n->next = next;
	n->loc = loc;
	free(arg); /* shallow: its children now belong to n */
	free(name);
	if (rest)
		ast_free_node(rest);
}

/* str(p [, len]) reads a string at address p; str() of something that is
 * already a string is that string (codegen never sees it). */
static struct type check_str(struct sema *s, struct node *n)
{
	struct node *arg = n->args, *len = arg->next;
	char buf[32];
	fold_string_offset(arg);
	struct type t = sema_expr(s, arg);
	if (t.kind == TY_STR) {
		if (len && arg->kind == N_STR && len->kind == N_INT) {
			if (len->ival < arg->str_len) {
				arg->str_len = (size_t)len->ival;
				arg->str[arg->str_len] = '\0';
			}
			arg->type = type_str((uint32_t)arg->str_len + 1);
		} else if (len) {
			sema_expr(s, len);
			sema_err(s, len->loc, "str(): a length can only be given with a pointer");
			return type_none();
		}
		replace_by_first_arg(n);
		return n->type;
	}
	if (len)
		check_arg(s, n, len, 1, ARG_INT);
	if (t.kind == TY_NONE)
		return type_none(); /* a failed argument fails the call, silently */
	if (t.kind != TY_INT) {
		sema_err(s, arg->loc, "str(): argument 1 must be a pointer or a string, not %s",
			 type_name(t, buf, sizeof(buf)));
		return type_none();
	}
	return n->func->result;
}

/* A builtin sonde has that bpftrace also lets be called: pid(), comm(). */
static bool is_callable_builtin(const char *name)
{
	const struct lang_name *l = lang_name_find(name);
	return l && (l->flags & LANG_CALL) && stdlib_find_var(name);
}

struct type sema_call(struct sema *s, struct node *n, enum call_ctx ctx)
{
	const struct stdlib_func *f = stdlib_find_func(n->name);
	if (!f && !n->args && is_callable_builtin(n->name)) {
		/* pid() is pid: from here on the node is the builtin */
		n->kind = N_BUILTIN;
		return sema_expr(s, n);
	}
	if (!f) {
		sema_report_missing(s, n, true);
		return type_none();
	}
	n->func = f;
	if (f->kind == FN_STMT && ctx != CALL_STMT) {
		sema_err(s, n->loc, "%s() cannot be used as a value", f->name);
		return type_none();
	}
	if (f->kind == FN_AGG && ctx != CALL_AGG_RHS) {
		sema_err(s, n->loc, "%s() can only be assigned to a map", f->name);
		return type_none();
	}
	int nargs = count_nodes(n->args);
	if (!check_arg_count(s, n, f, nargs))
		return type_none();
	if (strcmp(f->name, "printf") == 0) {
		sema_printf(s, n);
		return type_none();
	}
	if (strcmp(f->name, "str") == 0)
		return check_str(s, n);
	int i = 0;
	for (struct node *a = n->args; a; a = a->next, i++)
		check_arg(s, n, a, i, rule_at(f, i));
	if (f->kind == FN_AGG && f->agg == MAP_LHIST)
		check_lhist(s, n);
	switch (f->kind) {
	case FN_VALUE:
		return f->result;
	case FN_AGG:
		return (struct type){ TY_AGG, 0, false };
	default:
		return type_none();
	}
}
