/* calls.c - calls of builtin functions and aggregations, and the argument
 * checks their descriptors' hooks use (include/sema.h).
 *
 * Where a call may appear (value, statement, map aggregation) and how many
 * arguments it takes come from its descriptor (stdlib/); everything else
 * about its arguments and result is the descriptor's check hook's. */
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

int sema_count_args(const struct node *call)
{
	int count = 0;
	for (const struct node *n = call->args; n; n = n->next)
		count++;
	return count;
}

struct node *sema_arg(struct node *call, int i)
{
	struct node *a = call->args;
	while (a && i-- > 0)
		a = a->next;
	return a;
}

bool sema_is_agg_call(const struct node *n)
{
	if (n->kind != N_CALL)
		return false;
	const struct stdlib_func *f = stdlib_find_func(n->name);
	return f && f->kind == FN_AGG;
}

/* ---- argument checks for hooks -------------------------------------------------- */

static const char *fname(const struct node *call)
{
	return call->func ? call->func->name : call->name;
}

bool sema_arg_integer(struct sema *s, struct node *call, int i, bool allow_ptr)
{
	struct node *arg = sema_arg(call, i);
	char buf[128];
	const struct type *t = sema_expr(s, arg);
	if (type_is_none(t))
		return false;
	if (type_is_integer(t) || t->kind == TY_BOOL || (allow_ptr && t->kind == TY_PTR))
		return true;
	sema_err(s, arg->loc, "%s() expects an integer as argument %d, got %s", fname(call), i + 1,
		 type_name(t, buf, sizeof(buf)));
	return false;
}

bool sema_arg_string(struct sema *s, struct node *call, int i)
{
	struct node *arg = sema_arg(call, i);
	char buf[128];
	const struct type *t = sema_expr(s, arg);
	if (type_is_none(t))
		return false;
	if (t->kind == TY_STR)
		return true;
	sema_err(s, arg->loc, "%s() expects a string as argument %d, got %s", fname(call), i + 1,
		 type_name(t, buf, sizeof(buf)));
	return false;
}

bool sema_arg_literal(struct sema *s, struct node *call, int i, int64_t *value)
{
	struct node *arg = sema_arg(call, i);
	const struct type *t = sema_expr(s, arg);
	if (type_is_none(t))
		return false;
	if (sema_const_eval(arg, value))
		return true;
	sema_err(s, arg->loc, "%s(): argument %d must be an integer literal", fname(call), i + 1);
	return false;
}

struct map_info *sema_arg_map(struct sema *s, struct node *call, int i, bool with_key)
{
	struct node *arg = sema_arg(call, i);
	const char *name = fname(call);
	if (arg->kind != N_MAP || (!with_key && arg->args) || (with_key && !arg->args)) {
		sema_err(s, arg->loc, with_key ? "%s() expects a map element, as %s(@name[key])"
					       : "%s() expects a map without a key, as %s(@name)",
			 name, name);
		return NULL;
	}
	struct map_info *m = sema_map_lookup(s, arg);
	if (with_key)
		sema_map_keys(s, m, arg);
	arg->type = type_none();
	call->map = m;
	return m;
}

/* "expects a map, got uint64" for whatever argument i is instead. */
static void report_not_map(struct sema *s, struct node *call, int i)
{
	struct node *arg = sema_arg(call, i);
	char buf[128];
	const struct type *t = sema_expr(s, arg);
	if (type_is_none(t))
		return;
	sema_err(s, arg->loc, "%s() expects a map as argument %d, got %s", fname(call), i + 1,
		 type_name(t, buf, sizeof(buf)));
}

bool sema_map_is_scalar(struct sema *s, const struct map_info *m)
{
	return s->mstate[m->id].keys_known && m->nkeys == 0;
}

void sema_map_keys_none(struct sema *s, struct node *call, struct map_info *m)
{
	struct map_state *st = &s->mstate[m->id];
	const char *name = fname(call);
	if (st->keys_known) {
		sema_err(s, call->args->loc, "%s() expects a map element, as %s(@name[key])", name, name);
		return;
	}
	sema_map_keys(s, m, call->args);
}

struct map_info *sema_arg_map_and_key(struct sema *s, struct node *call)
{
	struct node *map = call->args;
	const char *name = fname(call);
	if (map->kind == N_MAP && map->args && !map->next) {
		sema_err(s, map->loc, "%s() takes the map and the key apart; did you mean `%s(%s, key)`?",
			 name, name, map->name);
		return NULL;
	}
	if (!map->next && !(map->kind == N_MAP && !map->args)) {
		sema_err(s, call->loc, "%s() takes 2 arguments but 1 was given", name);
		return NULL;
	}
	if (map->kind != N_MAP || map->args) {
		report_not_map(s, call, 0);
		return NULL;
	}
	struct map_info *m = sema_map_lookup(s, map);
	call->map = m;
	map->type = type_none();
	if (sema_map_is_scalar(s, m)) {
		sema_err(s, map->loc, "call to %s() expects a map with explicit keys (non-scalar map)",
			 name);
		sema_note(s, s->mstate[m->id].keys_loc, "map '%s' is used without a key here", m->name);
		return NULL;
	}
	if (!map->next) {
		sema_err(s, call->loc, "%s() takes 2 arguments but 1 was given", name);
		return NULL;
	}
	/* typed as @m[key]; the call keeps its two arguments (sema runs the
	 * script several times, and codegen builds the key from argument 1) */
	struct node *key = map->next;
	map->next = NULL;
	map->args = key;
	sema_map_keys(s, m, map);
	map->args = NULL;
	map->next = key;
	return m;
}

/* ---- the call ------------------------------------------------------------------------ */

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static bool check_arg_count(struct sema *s, struct node *n, const struct stdlib_func *f, int nargs)
{
	int max = f->max_args;
	if (nargs >= f->min_args && (max < 0 || nargs <= max))
		return true;
	const char *given = plural(nargs, "was", "were");
	if (max < 0)
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

/* A builtin sonde has that bpftrace also lets be called: pid(), comm(). */
static bool is_callable_builtin(const char *name)
{
	const struct lang_name *l = lang_name_find(name);
	return l && (l->flags & LANG_CALL) && stdlib_find_var(name);
}

void sema_replace_call(struct node *n, enum node_kind kind)
{
	ast_free_node(n->args);
	n->args = NULL;
	free(n->name);
	n->name = NULL;
	n->func = NULL;
	n->builtin = NULL;
	n->kind = kind;
}

const struct type *sema_replace_call_literal(struct sema *s, struct node *n, enum node_kind kind,
					     uint64_t v)
{
	sema_replace_call(n, kind);
	n->ival = v;
	n->is_unsigned = kind == N_INT;
	return sema_expr(s, n);
}

const struct type *sema_call(struct sema *s, struct node *n, enum call_ctx ctx)
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
	if (f->kind == FN_STMT && ctx != CALL_STMT)
		return sema_fail(s, n->loc, "%s() cannot be used as a value", f->name);
	if (f->kind == FN_AGG && ctx != CALL_AGG_RHS)
		return sema_fail(s, n->loc, "%s() can only be assigned to a map", f->name);
	if (!check_arg_count(s, n, f, sema_count_args(n)))
		return type_none();
	bool was = s->in_stmt_call;
	s->in_stmt_call = ctx == CALL_STMT;
	const struct type *t = f->check(s, n);
	s->in_stmt_call = was;
	return t;
}

bool sema_call_is_statement(struct sema *s)
{
	return s->in_stmt_call;
}
