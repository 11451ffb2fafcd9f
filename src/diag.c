/* diag.c - "file:line:col: error: message", the source line and an underline.
 *
 * Every stage reports through here, including the runtime when the verifier
 * or an attach refers to a script line, so all messages share one shape:
 *
 *   script.bt:3:14: error: unknown function 'cuont'
 *   tracepoint:syscalls:sys_enter_read { @ = cuont(); }
 *                                            ^~~~~
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "diag.h"

struct source *source_from_string(const char *name, const char *text, size_t len)
{
	struct source *src = xcalloc(1, sizeof(*src));
	src->name = xstrdup(name);
	src->text = xstrndup(text, len);
	src->len = len;
	return src;
}

struct source *source_from_file(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	size_t got;
	while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	int err = ferror(f) ? errno : 0;
	if (f != stdin)
		fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	struct source *src = source_from_string(strcmp(path, "-") == 0 ? "stdin" : path, buf, len);
	free(buf);
	return src;
}

void source_free(struct source *src)
{
	if (!src)
		return;
	free(src->name);
	free(src->text);
	for (int i = 0; i < src->nincludes; i++)
		free(src->includes[i]);
	for (int i = 0; i < src->nspans; i++)
		free(src->spans[i].name);
	free(src->spans);
	free(src->includes);
	free(src);
}

const char *source_line(const struct source *src, int line, size_t *len)
{
	const char *p = src->text, *end = src->text + src->len;
	for (int l = 1; l < line && p < end; p++)
		if (*p == '\n')
			l++;
	/* Past the last line (a trailing newline does not start a new one). */
	if (line < 1 || (p >= end && line > 1))
		return NULL;
	const char *e = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((e ? e : end) - p);
	return p;
}

srcloc srcloc_join(srcloc a, srcloc b)
{
	if (!a.line)
		return b;
	if (!b.line)
		return a;
	srcloc r = a;
	if (b.end_line > a.end_line || (b.end_line == a.end_line && b.end_col > a.end_col)) {
		r.end_line = b.end_line;
		r.end_col = b.end_col;
	}
	return r;
}

void diag_init(struct diag *d, const struct source *src, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->src = src;
	d->out = out ? out : stderr;
	d->max_errors = 50; /* past this the first errors scroll away unread */
}

/* Control characters in a broken script (a NUL, an escape sequence) must
 * not reach the terminal: each is shown as one '?', which keeps columns. */
static size_t put_source_text(char *buf, const char *line, size_t len)
{
	size_t n = 0;
	if (len && line[len - 1] == '\r')
		len--; /* CRLF line ends */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		buf[n++] = c == '\t' || (c >= 0x20 && c != 0x7f) ? (char)c : '?';
	}
	buf[n++] = '\n';
	return n;
}

/* UTF-8 continuation bytes share the column of their lead byte on screen. */
static bool is_utf8_continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* Tabs are kept in the underline so that it lines up under tabbed source.
 * Both lines go out in one write: stderr is unbuffered, and a character at
 * a time is a system call each, which made a megabyte-long line slow. */
void source_origin(const struct source *src, int line, const char **name, int *orig_line)
{
	*name = src->name;
	*orig_line = line;
	/* import records a span for every line it moved, the script's own too */
	for (int i = 0; i < src->nspans; i++) {
		const struct source_span *sp = &src->spans[i];
		if (line >= sp->first && line < sp->first + sp->n) {
			*name = sp->name;
			*orig_line = sp->orig + (line - sp->first);
			return;
		}
	}
}

void diag_show_line(FILE *out, const struct source *src, srcloc loc)
{
	size_t len;
	const char *line = src && loc.line ? source_line(src, loc.line, &len) : NULL;
	if (!line)
		return;
	char *buf = xmalloc(2 * len + 4);
	size_t n = put_source_text(buf, line, len);
	int start = loc.col > 0 ? loc.col : 1;
	int stop = (loc.end_line == loc.line && loc.end_col > start) ? loc.end_col : start + 1;
	if ((size_t)start > len + 1)
		start = (int)len + 1;
	if ((size_t)stop > len + 1)
		stop = (int)len + 1 > start ? (int)len + 1 : start + 1;
	for (int c = 1; c < start; c++)
		if (!is_utf8_continuation(line[c - 1]))
			buf[n++] = line[c - 1] == '\t' ? '\t' : ' ';
	buf[n++] = '^';
	for (int c = start + 1; c < stop; c++)
		if (!is_utf8_continuation(line[c - 1]))
			buf[n++] = '~';
	buf[n++] = '\n';
	fwrite(buf, 1, n, out);
	free(buf);
}

static const char *level_name(enum diag_level level)
{
	switch (level) {
	case DIAG_ERROR: return "error";
	case DIAG_WARNING: return "warning";
	default: return "note";
	}
}

void diag_vreport(struct diag *d, enum diag_level level, srcloc loc, const char *fmt, va_list ap)
{
	if (level == DIAG_ERROR) {
		d->errors++;
		d->last_error = loc;
	}
	else if (level == DIAG_WARNING)
		d->warnings++;
	if (level == DIAG_WARNING && d->no_warnings)
		return;
	if (level == DIAG_ERROR && d->max_errors && d->errors > d->max_errors) {
		if (d->errors == d->max_errors + 1)
			fprintf(d->out, "sonde: too many errors, stopping\n");
		return;
	}
	const char *name = d->src ? d->src->name : "sonde";
	int line = loc.line;
	if (d->src && loc.line)
		source_origin(d->src, loc.line, &name, &line);
	if (loc.line)
		fprintf(d->out, "%s:%d:%d: %s: ", name, line, loc.col, level_name(level));
	else
		fprintf(d->out, "%s: %s: ", name, level_name(level));
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	diag_show_line(d->out, d->src, loc);
}

void diag_report(struct diag *d, enum diag_level level, srcloc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(d, level, loc, fmt, ap);
	va_end(ap);
}
