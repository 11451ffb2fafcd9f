/* mapfuncs.c - functions that ask a map about itself: has_key(@m, k) and
 * len(@m), the latest bpftrace's map API.
 *
 * Both work in BPF (codegen/maps.c). A hist(), lhist() or tseries() map
 * keeps one BPF key per bucket in use: has_key() then walks the map for a
 * bucket of the key, and len() counts BPF keys, buckets, as bpftrace
 * (which stores them alike) does. */
#include "builtins.h"
#include "sema.h"

/* has_key(@m, key): true when the key is in the map. */
static const struct type *check_has_key(struct sema *s, struct node *call)
{
	struct map_info *m = sema_arg_map_and_key(s, call);
	return m ? type_bool() : type_none();
}

/* len(@m): the number of keys (int64). */
static const struct type *check_len(struct sema *s, struct node *call)
{
	struct node *arg = call->args;
	if (arg->kind == N_MAP && !arg->args) {
		struct map_info *m = sema_arg_map(s, call, 0, false);
		if (!m)
			return type_none();
		if (sema_map_is_scalar(s, m))
			return sema_fail(s, arg->loc,
					 "call to len() expects a map with explicit keys (non-scalar map)");
		return type_int(8, true);
	}
	char buf[128];
	const struct type *t = sema_expr(s, arg);
	if (type_is_none(t))
		return t;
	if (t->kind == TY_STACK)
		return stdlib_check_stack_len(s, arg); /* stdlib/symbols.c */
	if (arg->kind == N_MAP)
		return sema_fail(s, arg->loc, "len() counts the keys of a whole map; did you mean `len(%s)`?",
				 arg->name);
	return sema_fail(s, arg->loc, "call to len() expects a map, got %s", type_name(t, buf, sizeof(buf)));
}

const struct stdlib_func stdlib_map_funcs[] = {
	{ "has_key", FN_VALUE, 1, 2, /* 1: to explain has_key(@m[k]) */ check_has_key, cg_fn_has_key, NULL },
	{ "len",     FN_VALUE, 1, 1, check_len, cg_fn_len, NULL },
};
const int stdlib_nmap_funcs = sizeof(stdlib_map_funcs) / sizeof(stdlib_map_funcs[0]);
