/* funcs.c - builtin functions (statements and value functions) and the
 * lookup over all callables, aggregations included (see aggs.c).
 *
 * One descriptor each: where it may appear and how many arguments it
 * takes, its check hook (argument rules, result type) and its emit hook
 * (codegen/builtins.c). */
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "kallsyms.h"
#include "sema.h"
#include "suggest.h"
#include "values.h"

/* print(@m [, top [, div]]) prints a map; print(value) any value (a map
 * element included: print(@m[k])). */
static const struct type *check_print(struct sema *s, struct node *call)
{
	struct node *first = call->args;
	int64_t v;
	if (first->kind == N_MAP && !first->args) {
		struct map_info *m = sema_arg_map(s, call, 0, false);
		if (!m)
			return type_none();
		for (int i = 1; i < sema_count_args(call); i++)
			sema_arg_literal(s, call, i, &v);
		if (m->kind == MAP_STATS && call->args->next)
			sema_warn(s, call->loc, "print()'s top and div arguments are ignored for stats() maps");
		return type_none();
	}
	if (sema_count_args(call) > 1)
		return sema_fail(s, call->loc, "print(value) takes one argument; top and div go with a map, as print(@m, top, div)");
	const struct type *t = sema_expr(s, first);
	char buf[128];
	if (type_is_none(t))
		return t;
	if (t->kind == TY_VOID || t->kind == TY_AGG)
		return sema_fail(s, first->loc, "print() cannot print %s", type_name(t, buf, sizeof(buf)));
	if (!sema_complete_value(s, t, first->loc))
		return type_none();
	sema_print_value(s, call, first);
	return type_none();
}

static const struct type *check_exit(struct sema *s, struct node *call)
{
	if (call->args)
		sema_arg_integer(s, call, 0, false);
	sema_ends_action(s);
	return type_none();
}

/* unwatch(addr): an address, as a watchpoint has it (bpftrace 0.17) */
static const struct type *check_unwatch(struct sema *s, struct node *call)
{
	sema_arg_integer(s, call, 0, false);
	return type_none();
}

static const struct type *check_map_only(struct sema *s, struct node *call)
{
	sema_arg_map(s, call, 0, false);
	return type_none();
}

/* delete(@m[k]) (0.17 and later), delete(@m, k) or delete(@scalar)
 * (latest); a bool, whether the entry was there (latest bpftrace). */
static const struct type *check_delete_call(struct sema *s, struct node *call);

/* delete() as a statement has no value to drop: its bool is for `if
 * (delete(@m, k))`, and the latest bpftrace does not warn "Return value
 * discarded." for the statement. */
static const struct type *check_delete(struct sema *s, struct node *call)
{
	bool stmt = sema_call_is_statement(s);
	const struct type *t = check_delete_call(s, call);
	return stmt && type_is(t, TY_BOOL) ? type_void() : t;
}

static const struct type *check_delete_call(struct sema *s, struct node *call)
{
	struct node *map = call->args;
	if (sema_count_args(call) == 1 && map->kind == N_MAP && !map->args) {
		/* delete(@scalar) empties a map without keys (latest bpftrace) */
		struct map_info *m = sema_arg_map(s, call, 0, false);
		if (m && !sema_map_is_scalar(s, m)) {
			sema_map_keys_none(s, call, m);
			return type_none();
		}
		return m ? type_bool() : type_none();
	}
	if (sema_count_args(call) == 1)
		return sema_arg_map(s, call, 0, true) ? type_bool() : type_none();
	if (map->kind != N_MAP || map->args)
		return sema_fail(s, map->loc, "delete() expects a map, as delete(@m, key) or delete(@m[key])");
	/* delete(@m, k) is delete(@m[k]): move the key under the map node */
	struct node *key = map->next;
	map->next = NULL;
	map->args = key;
	return sema_arg_map(s, call, 0, true) ? type_bool() : type_none();
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

/* str(p [, len]) reads a string at address p, from the memory p's type
 * says (user memory for a syscall's pointer arguments); str() of something
 * that already is a string is that string (codegen never sees it). */
/* Where a pointer argument points: its own address space; a plain integer
 * (arg0, a map value) points where the probe type's pointers do. */
enum addr_space stdlib_pointee_space(struct sema *s, const struct node *arg)
{
	const struct type *t = arg->type;
	enum addr_space as = t->kind == TY_PTR ? t->as : AS_NONE;
	/* an integer a call marked (kptr(x), uptr(x)) points where it says */
	if (as == AS_NONE && arg->kind == N_CALL)
		as = arg->as;
	for (int i = 0; i < sema_ntargets(s) && as == AS_NONE; i++) {
		const struct prog_group *g = sema_target(s, i);
		if (g->prov && g->prov->pointer_as)
			as = g->prov->pointer_as(&g->target);
	}
	return as;
}

static const struct type *check_str(struct sema *s, struct node *n)
{
	struct node *arg = n->args, *len = arg->next;
	char buf[128];
	fold_string_offset(arg);
	const struct type *t = sema_expr(s, arg);
	if (type_is_none(t))
		return t;
	if (t->kind == TY_STR) {
		if (len && arg->kind == N_STR && len->kind == N_INT) {
			/* the length counts the NUL, as for pointers */
			size_t keep = len->ival ? (size_t)len->ival - 1 : 0;
			if (keep < arg->str_len) {
				arg->str_len = keep;
				arg->str[arg->str_len] = '\0';
			}
			arg->type = type_str(sema_types(s), (uint32_t)arg->str_len + 1);
		} else if (len) {
			sema_expr(s, len);
			return sema_fail(s, len->loc, "str(): a length can only be given with a pointer");
		}
		replace_by_first_arg(n);
		return n->type;
	}
	if (!type_is_integer(t) && t->kind != TY_PTR)
		return sema_fail(s, arg->loc, "str() expects a pointer or a string as argument 1, got %s",
				 type_name(t, buf, sizeof(buf)));
	/* str(p, n) reads at most n bytes, the NUL included (the latest
	 * bpftrace; 0.17 read n characters and a NUL) */
	uint32_t size = sema_max_strlen(s);
	if (len) {
		int64_t v;
		if (!sema_arg_integer(s, n, 1, false))
			return type_none();
		if (sema_const_eval(len, &v) && v >= 0 && (uint64_t)v < size)
			size = v > 0 ? (uint32_t)v : 1;
	}
	n->as = stdlib_pointee_space(s, arg);
	return type_str(sema_types(s), size);
}

/* buf(array) or buf(pointer, length): at most max_strlen bytes (a constant
 * length sizes the buffer; another one is bounded by it at run time). */
static const struct type *check_buf(struct sema *s, struct node *n)
{
	struct node *arg = n->args, *len = arg->next;
	char buf[128];
	const struct type *t = sema_expr(s, arg);
	if (type_is_none(t))
		return t;
	uint32_t max = sema_max_strlen(s);
	bool in_memory = t->kind == TY_ARRAY || t->kind == TY_STR;
	if (!in_memory && !type_is_integer(t) && t->kind != TY_PTR)
		return sema_fail(s, arg->loc, "buf() expects a pointer or an array as argument 1, got %s",
				 type_name(t, buf, sizeof(buf)));
	if (!len && !in_memory)
		return sema_fail(s, n->loc, "buf() of a pointer needs a length: buf(%s, LENGTH)",
				 t->kind == TY_PTR ? "pointer" : "address");
	uint32_t size = in_memory ? t->size : max;
	if (len) {
		int64_t v;
		if (!sema_arg_integer(s, n, 1, false))
			return type_none();
		if (sema_const_eval(len, &v)) {
			if (v < 0 || (uint64_t)v > max)
				return sema_fail(s, len->loc, "buf(): length %lld is not between 0 and %u "
						 "(BPFTRACE_MAX_STRLEN)", (long long)v, max);
			if (!in_memory || (uint32_t)v < size)
				size = (uint32_t)v;
		}
	}
	if (size > max)
		size = max;
	n->as = in_memory ? AS_NONE : stdlib_pointee_space(s, arg);
	return type_buf(sema_types(s), size);
}

/* nsecs(clock): the clock is a bare name, as in bpftrace. */
static const char *const clock_names[] = {
	[STDLIB_CLOCK_MONOTONIC] = "monotonic",
	[STDLIB_CLOCK_BOOT] = "boot",
	[STDLIB_CLOCK_TAI] = "tai",
	[STDLIB_CLOCK_SW_TAI] = "sw_tai",
};
#define NCLOCKS (int)(sizeof(clock_names) / sizeof(clock_names[0]))

static const struct type *check_nsecs(struct sema *s, struct node *call)
{
	struct node *arg = call->args;
	call->ival = STDLIB_CLOCK_MONOTONIC;
	if (!arg)
		return type_int(8, false);
	bool is_name = arg->kind == N_BUILTIN;
	for (int i = 0; is_name && i < NCLOCKS; i++)
		if (strcmp(arg->name, clock_names[i]) == 0) {
			call->ival = (uint64_t)i;
			arg->type = type_none(); /* a name, not a value: never emitted */
			return type_int(8, false);
		}
	struct suggestion near;
	suggestion_init(&near, is_name ? arg->name : "");
	for (int i = 0; is_name && i < NCLOCKS; i++)
		suggestion_consider(&near, clock_names[i]);
	if (near.best)
		sema_fail(s, arg->loc, "unknown clock '%s' for nsecs(); did you mean '%s'?", arg->name, near.best);
	else
		sema_fail(s, arg->loc, "nsecs() takes a clock: monotonic, boot, tai or sw_tai");
	suggestion_free(&near);
	return type_none();
}

/* kaddr("name"): resolved while compiling, so the program carries a
 * constant (as in bpftrace). */
static const struct type *check_kaddr(struct sema *s, struct node *call)
{
	struct node *arg = call->args;
	if (type_is_none(sema_expr(s, arg)))
		return type_none();
	if (arg->kind != N_STR)
		return sema_fail(s, arg->loc, "kaddr() expects a string literal: the kernel symbol's name");
	uint64_t addr = 0;
	char *near = NULL;
	switch (kallsyms_lookup(KALLSYMS_PATH, arg->str, &addr, &near)) {
	case KALLSYMS_FOUND:
		call->ival = addr;
		return type_int(8, false);
	case KALLSYMS_HIDDEN:
		return sema_fail(s, arg->loc, "kaddr(\"%s\"): %s shows no addresses: run as root "
				 "(kernel.kptr_restrict hides them)", arg->str, KALLSYMS_PATH);
	case KALLSYMS_UNREADABLE:
		return sema_fail(s, arg->loc, "kaddr(\"%s\"): cannot read %s", arg->str, KALLSYMS_PATH);
	case KALLSYMS_NO_DATA:
		return sema_fail(s, arg->loc, "kaddr(): no kernel symbol '%s': this kernel lists only functions "
				 "in %s (it was built without CONFIG_KALLSYMS_ALL), so its variables "
				 "cannot be found", arg->str, KALLSYMS_PATH);
	case KALLSYMS_NOT_FOUND:
		break;
	}
	if (near)
		sema_fail(s, arg->loc, "kaddr(): no kernel symbol '%s'; did you mean '%s'?", arg->str, near);
	else
		sema_fail(s, arg->loc, "kaddr(): no kernel symbol '%s' in %s", arg->str, KALLSYMS_PATH);
	free(near);
	return type_none();
}

/* ksym(addr): named in user space when printed. */
static const struct type *check_ksym(struct sema *s, struct node *call)
{
	if (!sema_arg_integer(s, call, 0, true))
		return type_none();
	return type_ksym();
}

const struct stdlib_func stdlib_funcs[] = {
	{ "printf", FN_STMT, 1, -1, sema_check_printf, cg_fn_printf, NULL },
	{ "print",  FN_STMT, 1, 3, check_print, cg_fn_print, NULL },
	{ "exit",   FN_STMT, 0, 1, check_exit, cg_fn_exit, NULL },
	{ "unwatch", FN_STMT, 1, 1, check_unwatch, cg_fn_unwatch, NULL },
	{ "clear",  FN_STMT, 1, 1, check_map_only, cg_fn_clear, NULL },
	{ "zero",   FN_STMT, 1, 1, check_map_only, cg_fn_zero, NULL },
	{ "delete", FN_VALUE, 1, 2, check_delete, cg_fn_delete, NULL },
	{ "str",    FN_VALUE, 1, 2, check_str, cg_fn_str, NULL },
	{ "buf",    FN_VALUE, 1, 2, check_buf, cg_fn_buf, NULL },
	{ "nsecs",  FN_VALUE, 0, 1, check_nsecs, cg_fn_nsecs, NULL },
	{ "kaddr",  FN_VALUE, 1, 1, check_kaddr, cg_fn_kaddr, NULL },
	{ "percpu_kaddr", FN_VALUE, 1, 2, stdlib_check_percpu_kaddr, cg_fn_percpu_kaddr, NULL },
	{ "ksym",   FN_VALUE, 1, 1, check_ksym, cg_fn_ksym, NULL },
	/* stacks and user symbols (symbols.c) */
	{ "kstack", FN_VALUE, 0, 2, stdlib_check_kstack, cg_fn_kstack, NULL },
	{ "ustack", FN_VALUE, 0, 2, stdlib_check_ustack, cg_fn_ustack, NULL },
	{ "usym",   FN_VALUE, 1, 1, stdlib_check_usym, cg_fn_usym, NULL },
	{ "uaddr",  FN_VALUE, 1, 1, stdlib_check_uaddr, cg_fn_uaddr, NULL },
	/* values computed in BPF or at compile time (values.c) */
	{ "pid",         FN_VALUE, 0, 1, stdlib_check_pid_ns, cg_var_pid, NULL },
	{ "tid",         FN_VALUE, 0, 1, stdlib_check_pid_ns, cg_var_tid, NULL },
	{ "comm",        FN_VALUE, 0, 1, stdlib_check_comm, cg_fn_comm, NULL },
	{ "ppid",        FN_VALUE, 0, 1, stdlib_check_task_alias, NULL, NULL },
	{ "pcomm",       FN_VALUE, 0, 1, stdlib_check_task_alias, NULL, NULL },
	{ "leader_tid",  FN_VALUE, 0, 1, stdlib_check_task_alias, NULL, NULL },
	{ "leader_comm", FN_VALUE, 0, 1, stdlib_check_task_alias, NULL, NULL },
	{ "bswap",       FN_VALUE, 1, 1, stdlib_check_bswap, cg_fn_bswap, NULL },
	{ "socket_cookie", FN_VALUE, 1, 1, stdlib_check_socket_cookie, cg_fn_socket_cookie, NULL }, /* net.c */
	{ "skboutput",   FN_VALUE, 4, 4, stdlib_check_skboutput, cg_fn_skboutput, NULL },         /* net.c */
	{ "strncmp",     FN_VALUE, 3, 3, stdlib_check_strncmp, cg_fn_strncmp, NULL },
	{ "strcontains", FN_VALUE, 2, 2, stdlib_check_strcontains, cg_fn_strcontains, NULL },
	{ "strstr",      FN_VALUE, 2, 2, stdlib_check_strstr, cg_fn_strstr, NULL },
	{ "str_concat",  FN_VALUE, 2, 2, stdlib_check_str_concat, cg_fn_str_concat, NULL },
	{ "strlen",      FN_VALUE, 1, 1, stdlib_check_strlen, cg_fn_strlen, NULL },
	{ "strcap",      FN_VALUE, 1, 1, stdlib_check_strcap, NULL, NULL },          /* comptime.c */
	{ "typeinfo",    FN_VALUE, 1, 1, stdlib_check_typeinfo, NULL, NULL },        /* comptime.c */
	{ "assert_str",  FN_STMT, 1, 1, stdlib_check_assert_str, cg_fn_nothing, NULL },
	{ "fail",        FN_STMT, 1, -1, stdlib_check_fail, cg_fn_nothing, NULL },
	{ "kptr",        FN_VALUE, 1, 1, stdlib_check_addr_space, cg_fn_addr_space, NULL },
	{ "uptr",        FN_VALUE, 1, 1, stdlib_check_addr_space, cg_fn_addr_space, NULL },
	{ "is_err",      FN_VALUE, 1, 1, stdlib_check_is_err, cg_fn_is_err, NULL },
	{ "pton",        FN_VALUE, 1, 1, stdlib_check_pton, cg_fn_pton, NULL },
	{ "cgroupid",    FN_VALUE, 1, 1, stdlib_check_cgroupid, NULL, NULL },
	{ "is_integer",  FN_VALUE, 1, 1, stdlib_check_type_test, NULL, NULL },
	{ "is_unsigned_integer", FN_VALUE, 1, 1, stdlib_check_type_test, NULL, NULL },
	{ "is_ptr",      FN_VALUE, 1, 1, stdlib_check_type_test, NULL, NULL },
	{ "is_str",      FN_VALUE, 1, 1, stdlib_check_type_test, NULL, NULL },
	{ "is_array",    FN_VALUE, 1, 1, stdlib_check_type_test, NULL, NULL },
	{ "is_literal",  FN_VALUE, 1, 1, stdlib_check_type_test, NULL, NULL },
	{ "static_assert", FN_STMT, 2, 2, stdlib_check_static_assert, cg_fn_nothing, NULL },
	/* language helpers (lang.c): rewritten into expressions, or own code */
	{ "container_of", FN_VALUE, 3, 3, stdlib_check_container_of, NULL, NULL },
	{ "assert",      FN_STMT, 2, 2, stdlib_check_assert, NULL, NULL },
	{ "memcmp",      FN_VALUE, 3, 3, stdlib_check_memcmp, cg_fn_memcmp, NULL },
	{ "find",        FN_VALUE, 3, 3, stdlib_check_find, NULL, NULL },           /* lang.c */
	{ "kfunc_exist", FN_VALUE, 1, 1, stdlib_check_kfunc_exist, NULL, NULL },
	{ "kfunc_allowed", FN_VALUE, 1, 1, stdlib_check_kfunc_allowed, NULL, NULL }, /* kfuncs.c */
	{ "write_user",  FN_VALUE, 3, 3, stdlib_check_write_user, cg_fn_write_user, NULL },
	{ "signal",      FN_STMT, 1, 2, stdlib_check_signal, cg_fn_signal, NULL },
	{ "signal_thread", FN_STMT, 1, 1, stdlib_check_signal_thread, cg_fn_signal, NULL },
	{ "reg",         FN_VALUE, 1, 1, stdlib_check_reg, cg_fn_reg, NULL },          /* regs.c */
	{ "override",    FN_STMT, 1, 1, stdlib_check_override, cg_fn_override, NULL },
	/* formatted in user space (stdlib/format.c) */
	{ "time",     FN_STMT, 0, 1, stdlib_check_time, cg_fn_printf, NULL },
	{ "cat",      FN_STMT, 1, -1, stdlib_check_cat, cg_fn_printf, NULL },
	{ "system",   FN_STMT, 1, -1, stdlib_check_system, cg_fn_printf, NULL },
	{ "errorf",   FN_STMT, 1, -1, stdlib_check_errorf, cg_fn_printf, NULL },
	{ "warnf",    FN_STMT, 1, -1, stdlib_check_warnf, cg_fn_printf, NULL },
	{ "debugf",   FN_STMT, 1, -1, stdlib_check_debugf, cg_fn_debugf, NULL },
	{ "join",     FN_STMT, 1, 2, stdlib_check_join, cg_fn_join, NULL },
	{ "strftime", FN_VALUE, 2, 2, stdlib_check_strftime, cg_fn_user_value, NULL },
	{ "strerror", FN_VALUE, 1, 1, stdlib_check_strerror, cg_fn_user_value, NULL },
	{ "signal_name", FN_VALUE, 1, 1, stdlib_check_signal_name, cg_fn_user_value, NULL },
	{ "syscall_name", FN_VALUE, 1, 1, stdlib_check_syscall_name, cg_fn_user_value, NULL },
	{ "ntop",     FN_VALUE, 1, 2, stdlib_check_ntop, cg_fn_ntop, NULL },
	{ "macaddr",  FN_VALUE, 1, 1, stdlib_check_macaddr, cg_fn_macaddr, NULL },
	{ "cgroup_path", FN_VALUE, 1, 2, stdlib_check_cgroup_path, cg_fn_cgroup_path, NULL },
	{ "username", FN_VALUE, 0, 0, stdlib_check_username, cg_fn_username, NULL },
};
const int stdlib_nfuncs = sizeof(stdlib_funcs) / sizeof(stdlib_funcs[0]);

extern const struct stdlib_func stdlib_aggs[];
extern const int stdlib_naggs;
extern const struct stdlib_func stdlib_map_funcs[]; /* mapfuncs.c */
extern const int stdlib_nmap_funcs;

const struct stdlib_func *stdlib_find_func(const char *name)
{
	for (int i = 0; i < stdlib_nfuncs; i++)
		if (strcmp(stdlib_funcs[i].name, name) == 0)
			return &stdlib_funcs[i];
	for (int i = 0; i < stdlib_naggs; i++)
		if (strcmp(stdlib_aggs[i].name, name) == 0)
			return &stdlib_aggs[i];
	for (int i = 0; i < stdlib_nmap_funcs; i++)
		if (strcmp(stdlib_map_funcs[i].name, name) == 0)
			return &stdlib_map_funcs[i];
	return NULL;
}
