/* actions.c - what user space does with the format records of time(),
 * cat(), system(), errorf(), warnf() and join() (include/desc.h,
 * enum printf_action), with bpftrace's output for each. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime.h"
#include "util.h"

/* bpftrace's max_cat_bytes: what cat() prints of a file at most */
static uint32_t cat_bytes_max = 10240;

void rt_set_max_cat_bytes(uint32_t n)
{
	cat_bytes_max = n ? n : 10240;
}
/* time(): the longest text a format may make (bpftrace's STRING_SIZE) */
#define TIME_TEXT_MAX 1024

static void report(struct rt_output *o, const char *fmt, const char *what, int err)
{
	char msg[1024];
	snprintf(msg, sizeof(msg), fmt, what, strerror(err));
	fflush(o->out);
	fprintf(o->err, "ERROR: %s\n", msg);
}

static void do_time(struct rt_output *o, const char *fmt)
{
	char text[TIME_TEXT_MAX];
	time_t now = time(NULL);
	struct tm tm;
	if (!localtime_r(&now, &tm)) {
		report(o, "localtime_r%s: %s", "", errno);
		return;
	}
	size_t n = strftime(text, sizeof(text), fmt, &tm);
	if (n == 0 && fmt[0]) {
		fflush(o->out);
		fputs("ERROR: strftime returned 0\n", o->err);
		return;
	}
	o->ops->message(o, "time", text, n, false);
}

static void do_cat(struct rt_output *o, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		report(o, "failed to open file '%s': %s", path, errno);
		o->ops->message(o, "cat", "", 0, false);
		return;
	}
	char *buf = xmalloc(cat_bytes_max);
	size_t n = fread(buf, 1, cat_bytes_max, f);
	if (ferror(f))
		report(o, "failed to read file '%s': %s", path, errno ? errno : EIO);
	fclose(f);
	o->ops->message(o, "cat", buf, n, false);
	free(buf);
}

/* The command's standard output, all of it, printed as one message; the
 * command runs to its end (bpftrace blocks on it too). */
static void do_system(struct rt_output *o, const char *cmd)
{
	fflush(o->out);
	FILE *p = popen(cmd, "r");
	if (!p) {
		report(o, "cannot run '%s': %s", cmd, errno);
		return;
	}
	char *text = NULL;
	size_t size = 0, len = 0;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		if (len + n > size) {
			size = (len + n) * 2;
			text = xrealloc(text, size);
		}
		memcpy(text + len, chunk, n);
		len += n;
	}
	pclose(p);
	o->ops->message(o, "syscall", text ? text : "", len, false);
	free(text);
}

/* The strings of the record up to the first empty one, sep between them. */
static void do_join(struct rt_output *o, const struct desc_printf *pf, const unsigned char *payload,
		    size_t size)
{
	struct xtext t;
	FILE *mem = xtext_open(&t);
	for (int i = 0; pf->args && i < pf->args->nmembers; i++) {
		const struct type_member *m = &pf->args->members[i];
		if (m->offset > size || m->type->size > size - m->offset)
			break;
		const char *s = (const char *)payload + m->offset;
		size_t n = strnlen(s, m->type->size);
		if (n == 0)
			break;
		if (i)
			fputs(pf->fmt, mem);
		fwrite(s, 1, n, mem);
	}
	size_t len;
	char *text = xtext_close(&t, &len);
	o->ops->message(o, "join", text, len, true);
	free(text);
}

/* The file a location of the script was written in, loc moved to its own
 * lines there: import splices imported files into the text, and names
 * them in src's spans. */
static const char *origin(const struct source *src, srcloc *loc)
{
	const char *file = src && src->name ? src->name : "stdin";
	if (!src || !src->nspans || loc->line <= 0)
		return file;
	int line;
	source_origin(src, loc->line, &file, &line);
	loc->end_line = line + (loc->end_line - loc->line);
	loc->line = line;
	return file;
}

/* -k: "Failed to probe_read_user_str: Bad address (-14)" at the
 * statement, with its line, as bpftrace's runtime warning; a helper that
 * failed without an error (map_lookup_elem: no such key) says the number
 * alone, "Failed to map_lookup_elem: 0", as bpftrace 0.17. */
static void helper_error(struct rt_output *o, const struct desc_printf *pf, const void *payload,
			 size_t size, const struct source *src)
{
	srcloc loc = pf->loc;
	const char *file = origin(src, &loc);
	int64_t err = 0;
	if (size >= sizeof(err))
		memcpy(&err, payload, sizeof(err));
	if (o->ops->helper_error) {
		o->ops->helper_error(o, pf->fmt, err, file, loc.line, loc.col);
		return;
	}
	char *text = err < 0 ? xasprintf("Failed to %s: %s (%lld)", pf->fmt, strerror((int)-err), (long long)err)
			     : xasprintf("Failed to %s: %lld", pf->fmt, (long long)err);
	o->ops->located(o, RT_NOTICE_WARNING, file, loc.line, loc.col, loc.end_line, loc.end_col, text,
			strlen(text));
	if (o->ops->context && pf->line)
		o->ops->context(o, loc, pf->line);
	free(text);
}

void rt_printf_action(struct rt_output *o, const struct desc_printf *pf, const void *payload,
		      size_t size, const struct source *src, bool no_warnings)
{
	if (pf->action == PF_TIME) {
		do_time(o, pf->fmt);
		return;
	}
	if (pf->action == PF_JOIN) {
		do_join(o, pf, payload, size);
		return;
	}
	if (pf->action == PF_WARNF && no_warnings)
		return;
	if (pf->action == PF_HELPER_ERROR) {
		helper_error(o, pf, payload, size, src);
		return;
	}
	struct xtext t;
	rt_format_printf(xtext_open(&t), pf, payload, size);
	size_t len;
	char *text = xtext_close(&t, &len);
	switch (pf->action) {
	case PF_CAT:
		do_cat(o, text);
		break;
	case PF_SYSTEM:
		do_system(o, text);
		break;
	case PF_ERRORF:
	case PF_WARNF: {
		enum rt_notice level = pf->action == PF_ERRORF ? RT_NOTICE_ERROR : RT_NOTICE_WARNING;
		srcloc loc = pf->loc;
		const char *file = origin(src, &loc);
		o->ops->located(o, level, file, loc.line, loc.col, loc.end_line, loc.end_col, text, len);
		for (int k = 0; o->ops->expanded_from && k < pf->nexpanded; k++) {
			srcloc use = pf->expanded[k];
			const char *use_file = origin(src, &use);
			o->ops->expanded_from(o, level, use_file, use, pf->expanded_line[k]);
		}
		break;
	}
	default:
		o->ops->printf(o, text, len);
		break;
	}
	free(text);
}
