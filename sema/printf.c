/* printf.c - printf() formats and the records that carry their arguments,
 * and the values print() sends.
 *
 * The format must be a literal; its conversions are matched one to one with
 * the arguments (integers, bools, enums and pointers for %d %i %u %x %X %o
 * %c %p, strings for %s). The arguments travel to user space in one
 * ring-buffer record: a tuple of their stored types (integers as 64 bits),
 * laid out by the type graph, decoded by the runtime with the same type. */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "sema_internal.h"

struct conversion {
	char conv;      /* d i u x X o s c p, or RT_CONV_BUF* */
	char text[24];  /* as written, for messages: "%-10s" */
};

struct format {
	struct conversion *convs;
	int n, cap;
};

static void format_push(struct format *f, char conv, const char *start, size_t len)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->convs = xrealloc(f->convs, sizeof(*f->convs) * (size_t)f->cap);
	}
	struct conversion *c = &f->convs[f->n++];
	c->conv = conv;
	if (len >= sizeof(c->text))
		len = sizeof(c->text) - 1;
	memcpy(c->text, start, len);
	c->text[len] = '\0';
}

/* %[flags][width][.precision][length]conv; reports and returns false on a
 * malformed one. */
static bool parse_format(struct sema *s, const char *what, const struct node *fmt, struct format *out)
{
	const char *p = fmt->str;
	while ((p = strchr(p, '%')) != NULL) {
		const char *start = p++;
		if (*p == '%') {
			p++;
			continue;
		}
		while (*p && strchr("-0+ #", *p))
			p++;
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p == '*') {
			sema_err(s, fmt->loc, "%s: '*' widths and precisions are not supported", what);
			return false;
		}
		if (p[0] == 'h' && p[1] == 'h')
			p += 2;
		else if (p[0] == 'l' && p[1] == 'l')
			p += 2;
		else if (*p && strchr("hlzjt", *p))
			p++;
		if (!*p) {
			sema_err(s, fmt->loc, "%s: incomplete conversion '%s' at the end of the format", what,
				 start);
			return false;
		}
		if (p[0] == 'g' && p[1] == 'r') {
			format_push(out, RT_CONV_GFP, start, (size_t)(p + 2 - start));
			p += 2;
			continue;
		}
		if (*p == 'r') {
			char conv = p[1] == 'x' ? RT_CONV_BUF_HEX : p[1] == 'h' ? RT_CONV_BUF_SPACED : RT_CONV_BUF;
			size_t len = (size_t)(p - start + (conv == RT_CONV_BUF ? 1 : 2));
			format_push(out, conv, start, len);
			p = start + len;
			continue;
		}
		if (!strchr("diuxXoscp", *p)) {
			sema_err(s, fmt->loc, "%s: unknown conversion '%.*s'", what, (int)(p - start + 1),
				 start);
			return false;
		}
		format_push(out, *p, start, (size_t)(p - start + 1));
		p++;
	}
	return true;
}

/* The runtime formats records with its own parser (rt_printf_conversions);
 * anything it would not consume an argument for must be rejected here, or
 * the record and the format would disagree. */
static bool agrees_with_runtime(const struct format *f, const char *text)
{
	char convs[64];
	int n = rt_printf_conversions(text, convs, (int)sizeof(convs));
	if (n != f->n)
		return false;
	for (int i = 0; i < n && i < (int)sizeof(convs); i++)
		if (convs[i] != f->convs[i].conv)
			return false;
	return true;
}

static bool check_conversion(struct sema *s, const char *what, const struct conversion *c,
			     struct node *arg, int index)
{
	const struct type *t = arg->type;
	char buf[128];
	if (type_is_none(t))
		return false;
	if (c->conv == RT_CONV_BUF || c->conv == RT_CONV_BUF_HEX || c->conv == RT_CONV_BUF_SPACED) {
		if (t->kind == TY_BUF || t->kind == TY_STR)
			return true;
		sema_err(s, arg->loc, "%s: %s expects a buffer (buf()) or a string, but argument %d is %s", what,
			 c->text, index, type_name(t, buf, sizeof(buf)));
		return false;
	}
	bool want_string = c->conv == 's';
	/* %s prints any value as print() shows it (the latest bpftrace): an
	 * enum by its name, a tuple as (1, a), a timestamp as its date */
	if (want_string && (t->kind == TY_VOID || t->kind == TY_AGG)) {
		sema_err(s, arg->loc, "%s: %s cannot print argument %d, which is %s", what, c->text,
			 index, type_name(t, buf, sizeof(buf)));
		return false;
	}
	if (!want_string && (!type_is_scalar(t) || t->kind == TY_STACK || t->kind == TY_KSYM)) {
		sema_err(s, arg->loc, "%s: %s expects an integer, but argument %d is %s", what, c->text,
			 index, type_name(t, buf, sizeof(buf)));
		return false;
	}
	return true;
}

int sema_register_format(struct sema *s, struct node *call, const char *fmt,
			 const struct type *args, enum printf_action action)
{
	if (args && args->size > SEMA_MAX_EVENT_RECORD) {
		sema_err(s, call->loc, "%s: the arguments take %u bytes, more than the %d one event can carry",
			 call->name, (unsigned)args->size, SEMA_MAX_EVENT_RECORD);
		return -1;
	}
	if (s->nprintfs == s->printfs_cap) {
		s->printfs_cap = s->printfs_cap ? s->printfs_cap * 2 : 8;
		s->printfs = xrealloc(s->printfs, sizeof(*s->printfs) * (size_t)s->printfs_cap);
	}
	struct desc_printf *dp = &s->printfs[s->nprintfs];
	dp->fmt = xstrdup(fmt);
	dp->args = args;
	dp->loc = call->loc;
	dp->action = action;
	dp->nexpanded = 0;
	dp->line = NULL;
	if (action == PF_ERRORF || action == PF_WARNF) {
		/* the lines are kept: the runtime prints them without the script */
		for (int k = 0; k < call->nexpanded; k++) {
			size_t len = 0;
			const char *line = s->d->src ? source_line(s->d->src, call->expanded_from[k].line, &len) : NULL;
			dp->expanded[k] = call->expanded_from[k];
			dp->expanded_line[k] = line ? xstrndup(line, len) : xstrdup("");
			dp->nexpanded++;
		}
	}
	call->index = s->nprintfs++;
	return call->index;
}

static void register_record(struct sema *s, struct node *call, struct node *fmt, int nargs,
			    enum printf_action action)
{
	const struct type *elems[128];
	int i = 0;
	if (nargs > 128) {
		sema_err(s, call->loc, "%s: %d arguments, more than the 128 one call can take", call->name, nargs);
		return;
	}
	for (struct node *a = fmt->next; a && i < 128; a = a->next, i++)
		elems[i] = sema_stored_type(a->type);
	const struct type *rec = nargs ? type_tuple(sema_types(s), elems, i) : NULL;
	sema_register_format(s, call, fmt->str, rec, action);
}

int sema_register_value(struct sema *s, const struct type *t)
{
	if (s->nvalues == s->values_cap) {
		s->values_cap = s->values_cap ? s->values_cap * 2 : 8;
		s->values = xrealloc(s->values, sizeof(*s->values) * (size_t)s->values_cap);
	}
	s->values[s->nvalues] = t;
	return s->nvalues++;
}

const struct type *sema_check_printf(struct sema *s, struct node *call)
{
	sema_printf_as(s, call, PF_PRINTF);
	return type_none();
}

void sema_print_value(struct sema *s, struct node *call, struct node *value)
{
	call->index = sema_register_value(s, sema_stored_type(value->type));
}

void sema_printf(struct sema *s, struct node *call)
{
	sema_printf_as(s, call, PF_PRINTF);
}

void sema_printf_as(struct sema *s, struct node *call, enum printf_action action)
{
	struct node *fmt = call->args;
	int nargs = 0;
	call->index = -1;
	for (struct node *a = fmt->next; a; a = a->next, nargs++)
		sema_expr(s, a);
	if (fmt->kind != N_STR) {
		if (!type_is_none(sema_expr(s, fmt))) /* a failed one is reported */
			sema_err(s, fmt->loc, "%s: the format must be a string literal", call->name);
		return;
	}
	fmt->type = type_str(sema_types(s), (uint32_t)fmt->str_len + 1);
	struct format f = { 0 };
	bool ok = parse_format(s, call->name, fmt, &f);
	if (ok && !agrees_with_runtime(&f, fmt->str)) {
		sema_err(s, fmt->loc, "%s: the format has a conversion sonde cannot print", call->name);
		ok = false;
	}
	if (ok && f.n != nargs) {
		sema_err(s, call->loc, "%s: %d %s but %d %s", call->name, f.n,
			 f.n == 1 ? "conversion" : "conversions", nargs,
			 nargs == 1 ? "argument" : "arguments");
		ok = false;
	}
	if (ok) {
		int i = 0;
		bool args_ok = true; /* check every argument, report each mismatch */
		for (struct node *a = fmt->next; a; a = a->next, i++)
			if (!check_conversion(s, call->name, &f.convs[i], a, i + 1))
				args_ok = false;
		ok = args_ok;
	}
	free(f.convs);
	if (ok)
		register_record(s, call, fmt, nargs, action);
}

void sema_printf_free(struct desc_printf *p)
{
	free(p->fmt);
	for (int k = 0; k < p->nexpanded; k++)
		free(p->expanded_line[k]);
	free(p->line);
}

void sema_events_reset(struct sema *s)
{
	for (int i = 0; i < s->nprintfs; i++)
		sema_printf_free(&s->printfs[i]);
	s->nprintfs = 0;
	s->nvalues = 0;
	for (int k = 0; k < DESC_NCHANNELS; k++)
		desc_channel_free(&s->channels[k]);
}

int sema_add_channel_call(struct sema *s, enum desc_channel_kind k, const char *text, uint64_t num)
{
	struct desc_channel *c = &s->channels[k];
	c->calls = xrealloc(c->calls, (size_t)(c->ncalls + 1) * sizeof(*c->calls));
	c->calls[c->ncalls] = (struct desc_channel_call){ xstrdup(text), num };
	return c->ncalls++;
}
