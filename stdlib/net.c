/* net.c - socket_cookie(sk): the kernel's cookie of a socket.
 *
 * The helper is one tracing programs may call (fentry, fexit, and a
 * rawtracepoint, which then loads as tp_btf: probes/rawtracepoint.c), and
 * the kernel wants the socket pointer exactly as it came from the probe's
 * arguments, typed by BTF. */
#include <string.h>

#include "builtins.h"
#include "sema.h"

/* Is t a pointer to `struct NAME` (its spelling, as types name records)? */
static bool points_to(const struct type *t, const char *spelling)
{
	char buf[128];
	return t && t->kind == TY_PTR && t->elem && t->elem->kind == TY_RECORD &&
	       strcmp(type_name(t->elem, buf, sizeof(buf)), spelling) == 0;
}

const struct type *stdlib_check_socket_cookie(struct sema *s, struct node *n)
{
	char buf[128];
	if (sema_report_wrong_probe(s, n, "function"))
		return type_none();
	const struct type *t = sema_expr(s, n->args);
	if (type_is_none(t))
		return t;
	if (!points_to(t, "struct sock"))
		return sema_fail(s, n->args->loc, "socket_cookie() only supports 'struct sock *' as the argument (%s provided)",
				 type_name(t, buf, sizeof(buf)));
	return type_int(8, false);
}
