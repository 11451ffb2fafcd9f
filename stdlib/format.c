/* format.c - builtin functions whose output is made in user space: time(),
 * cat(), system(), errorf(), warnf(), join().
 *
 * Each is a format record (include/desc.h, struct desc_printf) whose
 * action says what the runtime does with the text: the BPF side only sends
 * the arguments, as printf() does. */
#include <string.h>
#include <sys/vfs.h>

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

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
	n->as = stdlib_pointee_space(s, arr);
	const struct type *elems[SONDE_JOIN_ARGS];
	for (int i = 0; i < SONDE_JOIN_ARGS; i++)
		elems[i] = type_str(sema_types(s), SONDE_JOIN_ARG_SIZE);
	const struct type *rec = type_tuple(sema_types(s), elems, SONDE_JOIN_ARGS);
	sema_register_format(s, n, sep ? sep->str : " ", rec, PF_JOIN);
	return type_none();
}

/* ---- values shown by user space ----------------------------------------------- */

/* A value BPF sends as data and user space shows as text (a time, an
 * address, an error's name): a record named after bpftrace's type
 * ("timestamp", "inet"...) with one member holding the data, named by the
 * format's parameter (strftime's format). runtime/formats.c shows each by
 * its name; anything else treats it as the record it is. */
static const struct type *user_value(struct sema *s, const char *name, const char *param,
				     const struct type *data)
{
	struct type_arena *a = sema_types(s);
	struct type *rec = type_record_new(a, REC_STRUCT, name);
	type_record_add(a, rec, param, data);
	type_record_finish(rec, 0);
	return rec;
}

/* strftime(fmt, ns): ns since boot, shown in local time by the strftime(3)
 * format (with bpftrace's %f, %k, %l). As in the latest bpftrace, the
 * timestamp's clock says where it counts from: nsecs(tai) and
 * nsecs(sw_tai) from the epoch, everything else from boot (plain nsecs
 * too, as bpftrace 0.17 scripts expect), and nsecs(monotonic) has no date
 * at all. */
const struct type *stdlib_check_strftime(struct sema *s, struct node *n)
{
	struct node *fmt = n->args, *ns = fmt->next;
	int64_t v;
	if (fmt->kind != N_STR) {
		sema_expr(s, ns);
		if (!type_is_none(sema_expr(s, fmt)))
			return sema_fail(s, fmt->loc, "strftime() expects a string literal as its format");
		return type_none();
	}
	fmt->type = type_str(sema_types(s), (uint32_t)fmt->str_len + 1);
	if (!sema_arg_integer(s, n, 1, false))
		return type_none();
	if (sema_const_eval(ns, &v) && v < 0)
		return sema_fail(s, ns->loc, "strftime(): the timestamp %lld is negative", (long long)v);
	const char *base = "timestamp";
	if (ns->kind == N_CALL && ns->func && ns->func->emit == cg_fn_nsecs && ns->args) {
		if (ns->ival == STDLIB_CLOCK_MONOTONIC)
			return sema_fail(s, ns->loc, "strftime() cannot take a monotonic timestamp (it does not "
					 "count from a date); use nsecs(boot), nsecs(tai) or nsecs(sw_tai)");
		if (ns->ival == STDLIB_CLOCK_TAI || ns->ival == STDLIB_CLOCK_SW_TAI)
			base = "timestamp_epoch";
	}
	return user_value(s, base, fmt->str, type_int(8, false));
}

/* strerror(errno): the error's description */
const struct type *stdlib_check_strerror(struct sema *s, struct node *n)
{
	if (!sema_arg_integer(s, n, 0, false))
		return type_none();
	return user_value(s, "strerror_t", "errno", type_int(8, true));
}

/* The bytes of an address or MAC argument: an array (char[4], uint8[16]...;
 * char arrays are strings here) of exactly `want` bytes when want > 0. */
static bool byte_array_of(const struct type *t, uint32_t want)
{
	bool bytes = t->kind == TY_STR || (t->kind == TY_ARRAY && t->elem && t->elem->size == 1);
	return bytes && (want == 0 || t->size == want);
}

/* ntop([af,] addr): an IPv4 address from an integer or 4 bytes, IPv6 from
 * 16 bytes; af (AF_INET 2, AF_INET6 10) may say which. */
const struct type *stdlib_check_ntop(struct sema *s, struct node *n)
{
	struct node *addr = n->args->next ? n->args->next : n->args;
	char buf[128];
	if (addr != n->args && !sema_arg_integer(s, n, 0, false))
		return type_none();
	const struct type *t = sema_expr(s, addr);
	if (type_is_none(t))
		return t;
	if (!type_is_integer(t) && !byte_array_of(t, 4) && !byte_array_of(t, 16))
		return sema_fail(s, addr->loc, "ntop() expects an integer or an array of 4 or 16 bytes "
				 "as the address, got %s", type_name(t, buf, sizeof(buf)));
	return user_value(s, "inet", "addr", type_array(sema_types(s), type_int(1, false), 24));
}

/* macaddr(mac): six bytes shown as 01:23:45:67:89:AB */
const struct type *stdlib_check_macaddr(struct sema *s, struct node *n)
{
	char buf[128];
	const struct type *t = sema_expr(s, n->args);
	if (type_is_none(t))
		return t;
	if (!byte_array_of(t, 0) || t->size < 6)
		return sema_fail(s, n->args->loc, "macaddr() expects an array of 6 bytes, got %s",
				 type_name(t, buf, sizeof(buf)));
	return user_value(s, "mac_address", "addr", type_array(sema_types(s), type_int(1, false), 6));
}

/* cgroup_path(id [, filter]): the cgroup's path in each mounted hierarchy
 * whose name matches the filter (a wildcard; cgroup2 is "unified"). */
const struct type *stdlib_check_cgroup_path(struct sema *s, struct node *n)
{
	struct node *filter = n->args->next;
	if (!sema_arg_integer(s, n, 0, false))
		return type_none();
	if (filter && filter->kind != N_STR) {
		if (!type_is_none(sema_expr(s, filter)))
			return sema_fail(s, filter->loc, "cgroup_path() expects a string literal as its filter");
		return type_none();
	}
	if (filter)
		filter->type = type_str(sema_types(s), (uint32_t)filter->str_len + 1);
	return user_value(s, "cgroup_path_t", filter ? filter->str : "*", type_int(8, false));
}

/* username, username(): the name of the current user id */
const struct type *stdlib_check_username(struct sema *s, struct node *n)
{
	(void)n;
	return user_value(s, "username", "uid", type_int(8, false));
}

/* signal_name(sig): the signal's description ("Interrupt"; "N/A" outside
 * 0..64), as strsignal(3) */
const struct type *stdlib_check_signal_name(struct sema *s, struct node *n)
{
	if (!sema_arg_integer(s, n, 0, false))
		return type_none();
	return user_value(s, "signal_name_t", "sig", type_int(8, true));
}

/* syscall_name(nr): the syscall's name ("read"; "Unknown syscall" for a
 * number without one), from sonde's x86_64 table when shown */
const struct type *stdlib_check_syscall_name(struct sema *s, struct node *n)
{
	if (!sema_arg_integer(s, n, 0, false))
		return type_none();
	return user_value(s, "syscall_name_t", "nr", type_int(8, true));
}

/* The conversions of a bpf_trace_printk format, -1 at the first one the
 * kernel's bpf_bprintf_prepare() refuses (it knows d i u x X c s p with
 * l/ll/h/hh, flags and a width). */
static int printk_conversions(const char *fmt, const char **bad)
{
	int n = 0;
	for (const char *p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		const char *start = p++;
		while (*p && strchr("-+ #0123456789", *p))
			p++;
		while (*p == 'l' || *p == 'h')
			p++;
		if (!*p || !strchr("diuxXcsp", *p)) {
			*bad = start;
			return -1;
		}
		n++;
	}
	return n;
}

/* debugf(fmt, ...): bpf_trace_printk(), formatted by the kernel into its
 * trace buffer (tracefs trace_pipe), not by sonde; at most three
 * arguments, integers or strings (the helper's limits). */
const struct type *stdlib_check_debugf(struct sema *s, struct node *n)
{
	struct node *fmt = n->args;
	char buf[128];
	if (fmt->kind != N_STR) {
		for (struct node *a = n->args; a; a = a->next)
			sema_expr(s, a);
		return sema_fail(s, fmt->loc, "debugf() expects a string literal as its format");
	}
	fmt->type = type_str(sema_types(s), (uint32_t)fmt->str_len + 1);
	int nargs = sema_count_args(n) - 1;
	if (nargs > 3)
		return sema_fail(s, sema_arg(n, 4)->loc, "debugf() takes at most 3 arguments after the format "
				 "(bpf_trace_printk's limit), got %d", nargs);
	const char *bad = NULL;
	int nconv = printk_conversions(fmt->str, &bad);
	if (nconv < 0)
		return sema_fail(s, fmt->loc, "debugf(): the kernel's bpf_trace_printk has no conversion '%.*s' "
				 "(it knows %%d %%i %%u %%x %%c %%s %%p, with l, ll, h, hh)",
				 (int)strcspn(bad + 1, "diuxXcspaeEfgGnoS") + 2, bad);
	if (nconv != nargs)
		return sema_fail(s, n->loc, "debugf(): the format has %d conversion%s but %d argument%s follow%s",
				 nconv, nconv == 1 ? "" : "s", nargs, nargs == 1 ? "" : "s", nargs == 1 ? "s" : "");
	for (struct node *a = fmt->next; a; a = a->next) {
		const struct type *t = sema_expr(s, a);
		if (type_is_none(t))
			return t;
		if (!type_is_integer(t) && t->kind != TY_BOOL && t->kind != TY_PTR && t->kind != TY_STR)
			return sema_fail(s, a->loc, "debugf() prints integers and strings, got %s",
					 type_name(t, buf, sizeof(buf)));
	}
	struct statfs fs;
	bool tracefs = (statfs("/sys/kernel/tracing", &fs) == 0 && fs.f_type == TRACEFS_MAGIC) ||
		       (statfs("/sys/kernel/debug/tracing", &fs) == 0 && fs.f_type == TRACEFS_MAGIC);
	if (!tracefs)
		return sema_fail(s, n->loc, "debugf() writes to the kernel's trace buffer, but tracefs is not "
				 "mounted, so nothing could read it (mount -t tracefs tracefs /sys/kernel/tracing)");
	sema_warn(s, n->loc, "debugf() writes to the kernel's trace buffer, shared by the whole system "
		  "(read it from /sys/kernel/tracing/trace_pipe); it is slow and not meant for production "
		  "use (see bpf_trace_printk in bpf-helpers(7))");
	return type_none();
}
