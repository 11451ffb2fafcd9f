/* format.c - builtin functions whose output is made in user space: time(),
 * cat(), system(), errorf(), warnf(), join().
 *
 * Each is a format record (include/desc.h, struct desc_printf) whose
 * action says what the runtime does with the text: the BPF side only sends
 * the arguments, as printf() does. */
#include <string.h>

#include "builtins.h"
#include "sema.h"

/* time([fmt]): a strftime(3) format of the time user space handles the
 * event (bpftrace's default: "%H:%M:%S\n"). */
const struct type *stdlib_check_time(struct sema *s, struct node *n)
{
	struct node *fmt = n->args;
	if (fmt && fmt->kind != N_STR) {
		if (!type_is_none(sema_expr(s, fmt)))
			return sema_fail(s, fmt->loc, "time() expects a string literal as its format");
		return type_none();
	}
	if (fmt)
		fmt->type = type_str(sema_types(s), (uint32_t)fmt->str_len + 1);
	sema_register_format(s, n, fmt ? fmt->str : "%H:%M:%S\n", NULL, PF_TIME);
	return type_none();
}

const struct type *stdlib_check_cat(struct sema *s, struct node *n)
{
	sema_printf_as(s, n, PF_CAT);
	return type_none();
}

const struct type *stdlib_check_system(struct sema *s, struct node *n)
{
	if (!sema_unsafe(s)) {
		for (struct node *a = n->args; a; a = a->next)
			sema_expr(s, a);
		return sema_fail(s, n->loc, "system() is an unsafe function: run sonde with --unsafe to allow it");
	}
	sema_printf_as(s, n, PF_SYSTEM);
	return type_none();
}

const struct type *stdlib_check_errorf(struct sema *s, struct node *n)
{
	sema_printf_as(s, n, PF_ERRORF);
	return type_none();
}

const struct type *stdlib_check_warnf(struct sema *s, struct node *n)
{
	sema_printf_as(s, n, PF_WARNF);
	return type_none();
}

/* join(argv [, sep]): argv is a NULL-terminated array of string pointers
 * (execve's); BPF copies up to SONDE_JOIN_ARGS of them, user space joins
 * them with sep (a literal, " " by default) and prints a line. */
const struct type *stdlib_check_join(struct sema *s, struct node *n)
{
	struct node *arr = n->args, *sep = arr->next;
	char buf[128];
	const struct type *t = sema_expr(s, arr);
	if (type_is_none(t))
		return t;
	if (t->kind != TY_PTR && !type_is_integer(t))
		return sema_fail(s, arr->loc, "join() expects an array of string pointers (char **) as argument 1, got %s",
				 type_name(t, buf, sizeof(buf)));
	if (sep && sep->kind != N_STR) {
		if (!type_is_none(sema_expr(s, sep)))
			return sema_fail(s, sep->loc, "join() expects a string literal as its separator");
		return type_none();
	}
	if (sep)
		sep->type = type_str(sema_types(s), (uint32_t)sep->str_len + 1);
	n->as = stdlib_pointee_space(s, t);
	const struct type *elems[SONDE_JOIN_ARGS];
	for (int i = 0; i < SONDE_JOIN_ARGS; i++)
		elems[i] = type_str(sema_types(s), SONDE_JOIN_ARG_SIZE);
	const struct type *rec = type_tuple(sema_types(s), elems, SONDE_JOIN_ARGS);
	sema_register_format(s, n, sep ? sep->str : " ", rec, PF_JOIN);
	return type_none();
}
