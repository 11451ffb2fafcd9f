/* lang.c - functions of bpftrace's standard library that are language
 * rather than data: container_of, assert, memcmp.
 *
 * bpftrace writes container_of and assert as macros over the language;
 * sonde's check hooks rewrite the call into the same expression, so sema
 * and codegen see only constructs they already handle. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btf.h"
#include "builtins.h"
#include "config.h"
#include "runtime.h"
#include "sema.h"

static struct node *new_call(const char *name, struct node *args, srcloc loc)
{
	struct node *c = ast_new(N_CALL, loc);
	c->name = xstrdup(name);
	c->args = args;
	return c;
}

static struct node *new_stmt(struct node *e)
{
	struct node *st = ast_new(N_EXPR_STMT, e->loc);
	st->lhs = e;
	return st;
}

static struct type_spec *new_spec(const char *name, srcloc loc)
{
	return ast_new_spec(SPEC_NAME, xstrdup(name), loc);
}

/* The member path of container_of's third argument (n, or a.b.c) as
 * N_NAMED nodes, as offsetof keeps it; NULL when it is not one. */
static struct node *member_path(const struct node *m)
{
	if (m->kind == N_BUILTIN) {
		struct node *f = ast_new(N_NAMED, m->loc);
		f->name = xstrdup(m->name);
		return f;
	}
	if (m->kind == N_FIELD && !m->is_arrow) {
		struct node *head = member_path(m->lhs);
		if (!head)
			return NULL;
		struct node *t = head;
		while (t->next)
			t = t->next;
		t->next = ast_new(N_NAMED, m->loc);
		t->next->name = xstrdup(m->name);
		return head;
	}
	return NULL;
}

/* container_of(ptr, typeof(T), member): (T *)((uint8 *)ptr - offsetof(T, member)) */
const struct type *stdlib_check_container_of(struct sema *s, struct node *n)
{
	struct node *ptr = n->args, *type = ptr->next, *member = type->next;
	if (type->kind != N_TYPEARG)
		return sema_fail(s, type->loc, "container_of() expects a type as argument 2, written "
				 "typeof(struct NAME)");
	struct node *path = member_path(member);
	if (!path)
		return sema_fail(s, member->loc, "container_of() expects a member name as argument 3 "
				 "(field or field.subfield)");
	if (type->spec->kind == SPEC_TYPEOF || type->spec->nsuffix >= SPEC_MAX_SUFFIXES) {
		ast_free_node(path);
		return sema_fail(s, type->loc, "container_of() expects a struct or union type, "
				 "typeof(struct NAME)");
	}
	srcloc loc = n->loc;
	/* (uint8 *)ptr - offsetof(T, member) */
	struct node *off = ast_new(N_OFFSETOF, loc);
	off->spec = type->spec;
	off->args = path;
	type->spec = NULL;
	struct node *bytes = ast_new(N_CAST, loc);
	bytes->spec = new_spec("uint8", loc);
	bytes->spec->suffix[bytes->spec->nsuffix++] = SPEC_PTR;
	bytes->lhs = ptr;
	ptr->next = NULL;
	/* (T *) of that */
	struct node *cast = ast_new(N_CAST, loc);
	cast->spec = ast_new_spec(off->spec->kind, off->spec->name ? xstrdup(off->spec->name) : NULL, loc);
	cast->spec->nsuffix = off->spec->nsuffix;
	memcpy(cast->spec->suffix, off->spec->suffix, sizeof(cast->spec->suffix));
	cast->spec->suffix[cast->spec->nsuffix++] = SPEC_PTR;
	cast->lhs = ast_new_binary(OP_SUB, bytes, off, loc);
	type->next = NULL;
	ast_free_node(type);
	ast_free_node(member);
	/* the call node becomes the cast, in place (its arguments are in it) */
	n->args = NULL;
	sema_replace_call(n, N_CAST);
	n->spec = cast->spec;
	n->lhs = cast->lhs;
	cast->spec = NULL;
	cast->lhs = NULL;
	ast_free_node(cast);
	return sema_expr(s, n);
}

/* assert(cond, msg): if (!cond) { errorf("assert failed: %s", msg); exit(1); } */
const struct type *stdlib_check_assert(struct sema *s, struct node *n)
{
	struct node *cond = n->args, *msg = cond->next;
	srcloc loc = n->loc;
	cond->next = NULL;
	struct node *fmt = ast_new(N_STR, loc);
	fmt->str = xstrdup("assert failed: %s");
	fmt->str_len = strlen(fmt->str);
	fmt->next = msg;
	struct node *code = ast_new(N_INT, loc);
	code->ival = 1;
	struct node *block = ast_new(N_BLOCK_EXPR, loc);
	block->body = new_stmt(new_call("errorf", fmt, loc));
	block->body->next = new_stmt(new_call("exit", code, loc));
	n->args = NULL; /* cond and msg live on in the ternary */
	sema_replace_call(n, N_TERNARY);
	n->is_prefix = true;
	n->cond = ast_new_unary('!', cond, cond->loc);
	n->then = block;
	return sema_discarded(s, n);
}

/* memcmp(a, b, n): the first of the n first bytes of a and b that differ,
 * as (int)a[i] - (int)b[i] of signed bytes; 0 when none does. */
const struct type *stdlib_check_memcmp(struct sema *s, struct node *n)
{
	struct node *a = n->args, *b = a->next, *count = b->next;
	const struct type *ta = sema_expr(s, a), *tb = sema_expr(s, b);
	bool ok = !type_is_none(ta) && !type_is_none(tb);
	if (!sema_arg_integer(s, n, 2, false))
		ok = false;
	const struct type *both[2] = { ta, tb };
	struct node *arg[2] = { a, b };
	char buf[128];
	for (int i = 0; ok && i < 2; i++)
		if (both[i]->kind == TY_VOID || both[i]->kind == TY_AGG || both[i]->size == 0)
			return sema_fail(s, arg[i]->loc, "memcmp() cannot compare %s: it has no bytes",
					 type_name(both[i], buf, sizeof(buf)));
	int64_t v;
	if (ok && sema_const_eval(count, &v) && v >= 0 &&
	    ((uint64_t)v > ta->size || (uint64_t)v > tb->size))
		return sema_fail(s, count->loc, "memcmp() of %lld bytes reads past the end of a value of %u bytes",
				 (long long)v, ta->size < tb->size ? ta->size : tb->size);
	return ok ? type_int(4, true) : type_none();
}

/* write_user(dst, src, len): len bytes of the program's value src written
 * to user address dst (bpf_probe_write_user); true when the kernel wrote
 * them. It changes another process's memory, so only with --unsafe. src
 * must be bytes the program holds: the helper reads BPF memory only. */
const struct type *stdlib_check_write_user(struct sema *s, struct node *n)
{
	struct node *src = n->args->next, *count = src->next;
	char buf[128];
	if (!sema_unsafe(s)) {
		for (struct node *a = n->args; a; a = a->next)
			sema_expr(s, a);
		return sema_fail(s, n->loc, "write_user() is an unsafe function: run sonde with --unsafe to allow it");
	}
	bool ok = sema_arg_integer(s, n, 0, true);
	const struct type *ts = sema_expr(s, src);
	if (!sema_arg_integer(s, n, 2, false) || !ok || type_is_none(ts))
		return type_none();
	if (ts->kind == TY_PTR || ts->kind == TY_VOID || ts->kind == TY_AGG || ts->size == 0)
		return sema_fail(s, src->loc, "write_user() writes the bytes of a value the program holds "
				 "(a string, buffer, integer or struct), not %s", type_name(ts, buf, sizeof(buf)));
	int64_t v;
	if (sema_const_eval(count, &v) && (v <= 0 || (uint64_t)v > ts->size))
		return sema_fail(s, count->loc, "write_user() of %lld bytes: the value written has %u bytes "
				 "(1 to %u can be written)", (long long)v, ts->size, ts->size);
	return type_bool();
}

/* ---- config ---- */

enum cfg_field_kind { CFGF_BOOL, CFGF_INT, CFGF_STR };

/* The record bpftrace's config builtin gives, in its order: each field,
 * the setting it shows and the value sonde uses when neither the script
 * nor the environment sets it. */
struct cfg_field {
	const char *name;
	enum cfg_field_kind kind;
	int id;               /* enum config_id, or -1: a setting sonde does not have */
	uint64_t dflt;
	const char *dflt_text;
};

static const struct cfg_field cfg_fields[] = {
	{ "cpp_demangle", CFGF_BOOL, CFG_CPP_DEMANGLE, 1, NULL },
	{ "lazy_symbolication", CFGF_BOOL, CFG_LAZY_SYMBOLICATION, 0, NULL },
	{ "print_maps_on_exit", CFGF_BOOL, CFG_PRINT_MAPS_ON_EXIT, 1, NULL },
	{ "use_blazesym", CFGF_BOOL, -1, 0, NULL },
	{ "show_debug_info", CFGF_BOOL, CFG_SHOW_DEBUG_INFO, 0, NULL },
	{ "log_size", CFGF_INT, CFG_LOG_SIZE, RT_DEFAULT_LOG_SIZE, NULL },
	{ "max_bpf_progs", CFGF_INT, CFG_MAX_BPF_PROGS, SEMA_DEFAULT_MAX_PROGRAMS, NULL },
	{ "max_cat_bytes", CFGF_INT, CFG_MAX_CAT_BYTES, 10240, NULL },
	{ "max_map_keys", CFGF_INT, CFG_MAX_MAP_KEYS, SONDE_MAX_MAP_KEYS, NULL },
	{ "max_probes", CFGF_INT, CFG_MAX_PROBES, SEMA_DEFAULT_MAX_PROBES, NULL },
	{ "max_strlen", CFGF_INT, CFG_MAX_STRLEN, SONDE_DEFAULT_MAX_STRLEN, NULL },
	{ "on_stack_limit", CFGF_INT, CFG_ON_STACK_LIMIT, 64, NULL }, /* codegen's CG_STACK_TEMP_MAX */
	{ "perf_rb_pages", CFGF_INT, CFG_PERF_RB_PAGES, 0, NULL },    /* 0: filled from the page size */
	{ "str_trunc_trailer", CFGF_STR, CFG_STR_TRUNC_TRAILER, 0, ".." },
	{ "unstable_import_statement", CFGF_STR, CFG_UNSTABLE_IMPORT, 0, NULL },
	{ "unstable_tseries", CFGF_STR, CFG_UNSTABLE_TSERIES, 0, NULL },
	{ "unstable_typeinfo", CFGF_STR, CFG_UNSTABLE_TYPEINFO, 0, NULL },
	{ "unstable_dw_ustack", CFGF_STR, CFG_UNSTABLE_DW_USTACK, 0, NULL },
	{ "missing_probes", CFGF_STR, CFG_MISSING_PROBES, 0, NULL },
	{ "stack_mode", CFGF_STR, CFG_STACK_MODE, 0, NULL },
	{ "license", CFGF_STR, CFG_LICENSE, 0, "GPL" },
};

/* sonde's ring buffer (1 MiB) in pages of this machine */
static uint64_t default_rb_pages(void)
{
	long page = sysconf(_SC_PAGESIZE);
	return page > 0 ? (1u << 20) / (uint64_t)page : 256;
}

static struct node *cfg_field_value(const struct sonde_config *c, const struct cfg_field *f, srcloc loc)
{
	bool set = f->id >= 0 && c && c->set[f->id];
	if (f->kind == CFGF_STR) {
		const char *text = f->dflt_text;
		if (f->id >= 0 && (set || !text))
			text = config_text(c, (enum config_id)f->id);
		struct node *str = ast_new(N_STR, loc);
		str->str = xstrdup(text ? text : "");
		str->str_len = strlen(str->str);
		return str;
	}
	uint64_t v = set ? c->value[f->id] : f->dflt;
	if (!set && f->id == CFG_PERF_RB_PAGES)
		v = default_rb_pages();
	struct node *num = ast_new(f->kind == CFGF_BOOL ? N_BOOL : N_INT, loc);
	num->ival = f->kind == CFGF_BOOL ? v != 0 : v;
	num->is_unsigned = f->kind == CFGF_INT;
	return num;
}

/* config / config(): the settings in effect, as a record of constants
 * (bpftrace folds it the same way while compiling) */
const struct type *stdlib_var_config(struct sema *s, struct node *n)
{
	const struct sonde_config *c = sema_config(s);
	struct node *head = NULL, **tail = &head;
	for (size_t i = 0; i < sizeof(cfg_fields) / sizeof(cfg_fields[0]); i++) {
		struct node *named = ast_new(N_NAMED, n->loc);
		named->name = xstrdup(cfg_fields[i].name);
		named->lhs = cfg_field_value(c, &cfg_fields[i], n->loc);
		*tail = named;
		tail = &named->next;
	}
	sema_replace_call(n, N_RECORD);
	n->args = head;
	return sema_expr(s, n);
}

/* ---- find ---- */

static struct node *new_var(const char *name, srcloc loc)
{
	struct node *v = ast_new(N_VAR, loc);
	v->name = xstrdup(name);
	return v;
}

static struct node *new_map(const char *name, struct node *key, srcloc loc)
{
	struct node *m = ast_new(N_MAP, loc);
	m->name = xstrdup(name);
	m->args = key;
	return m;
}

static struct node *new_value_block(struct node *stmts, struct node *value, srcloc loc)
{
	struct node *block = ast_new(N_BLOCK_EXPR, loc);
	block->body = stmts;
	block->lhs = value;
	return block;
}

/* find(@m, k, $v): { let $key = k; if has_key(@m, $key) { $v = @m[$key]; true } else { false } }
 * The key is evaluated once, into a variable of its own whose name no
 * script can write ($ then a character an identifier cannot hold). */
const struct type *stdlib_check_find(struct sema *s, struct node *n)
{
	struct node *map = n->args, *key = map->next, *var = key->next;
	if (map->kind != N_MAP || map->args)
		return sema_fail(s, map->loc, "find() expects a map without a key as argument 1 (find(@m, key, $v))");
	if (var->kind != N_VAR)
		return sema_fail(s, var->loc, "find() expects a scratch variable as argument 3, to hold the value");
	struct map_info *m = sema_arg_map(s, n, 0, false);
	if (!m)
		return type_none();
	if (sema_map_is_scalar(s, m))
		return sema_fail(s, map->loc, "call to find() expects a map with explicit keys (non-scalar map)");
	srcloc loc = n->loc;
	char *tmp = xasprintf("$find.%d.%d", loc.line, loc.col);
	map->next = key->next = NULL;
	struct node *let = ast_new(N_LET, loc);
	let->lhs = new_var(tmp, key->loc);
	let->rhs = key;
	struct node *has = new_call("has_key", map, loc);
	map->next = new_var(tmp, loc);
	struct node *assign = ast_new(N_ASSIGN, loc);
	assign->lhs = var;
	assign->rhs = new_map(map->name, new_var(tmp, loc), map->loc);
	struct node *yes = ast_new(N_BOOL, loc), *no = ast_new(N_BOOL, loc);
	yes->ival = 1;
	struct node *cond = ast_new(N_TERNARY, loc);
	cond->is_prefix = true;
	cond->cond = has;
	cond->then = new_value_block(assign, yes, loc);
	cond->els = new_value_block(NULL, no, loc);
	free(tmp);
	/* the call becomes { let; if/else } in place; its arguments are in them */
	n->args = NULL;
	sema_replace_call(n, N_BLOCK_EXPR);
	n->body = let;
	n->lhs = cond;
	return sema_expr(s, n);
}

/* kfunc_exist("name"): whether kernel BTF has that function tagged as a
 * kfunc (decl tag bpf_kfunc), decided while compiling */
const struct type *stdlib_check_kfunc_exist(struct sema *s, struct node *n)
{
	struct node *name = n->args;
	if (name->kind != N_STR)
		return sema_fail(s, name->loc, "kfunc_exist() expects a string literal (the kfunc's name)");
	bool found = stdlib_kfunc_btf_id(name->str) > 0; /* kfuncs.c */
	return sema_replace_call_literal(s, n, N_BOOL, found);
}
