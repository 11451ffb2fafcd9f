/* lang.c - functions of bpftrace's standard library that are language
 * rather than data: container_of, assert, memcmp.
 *
 * bpftrace writes container_of and assert as macros over the language;
 * sonde's check hooks rewrite the call into the same expression, so sema
 * and codegen see only constructs they already handle. */
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
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
	/* the call node becomes the cast, in place */
	free(n->name);
	n->name = NULL;
	n->func = NULL;
	n->args = NULL;
	n->kind = N_CAST;
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
	free(n->name);
	n->name = NULL;
	n->func = NULL;
	n->args = NULL;
	n->kind = N_TERNARY;
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
