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

/* skboutput(path, skb, len, offset): the packet bytes of skb into the pcap
 * file path (stdlib docs: bpftrace's argument rules; the path and the
 * offset are the call's, fixed while compiling). */
const struct type *stdlib_check_skboutput(struct sema *s, struct node *n)
{
	char buf[128];
	if (sema_report_wrong_probe(s, n, "function"))
		return type_none();
	struct node *path = n->args, *skb = path->next, *len = skb->next, *off = len->next;
	const struct type *tp = sema_expr(s, path), *ts = sema_expr(s, skb), *tl = sema_expr(s, len),
			  *to = sema_expr(s, off);
	if (type_is_none(tp) || type_is_none(ts) || type_is_none(tl) || type_is_none(to))
		return type_none();
	if (path->kind != N_STR)
		return sema_fail(s, path->loc, "skboutput() expects a string literal (the pcap file) as argument 1, got %s",
				 type_name(tp, buf, sizeof(buf)));
	if (ts->kind != TY_PTR)
		return sema_fail(s, skb->loc, "skboutput() expects a pointer (struct sk_buff *) as argument 2, got %s",
				 type_name(ts, buf, sizeof(buf)));
	if (!type_is_integer(tl))
		return sema_fail(s, len->loc, "skboutput() expects an integer (the length) as argument 3, got %s",
				 type_name(tl, buf, sizeof(buf)));
	int64_t offset;
	if (!sema_const_eval(off, &offset) || offset < 0)
		return sema_fail(s, off->loc, "skboutput() expects a non-negative integer literal (the offset) as argument 4");
	n->index = sema_add_channel_call(s, DESC_CHANNEL_SKBOUTPUT, path->str, (uint64_t)offset);
	return type_int(4, false);
}
