/* util.c - memory, sorting and text helpers. Out-of-memory is the one error
 * users cannot cause and nothing can recover from, so it ends the process
 * with a message. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void out_of_memory(void)
{
	fputs("sonde: out of memory\n", stderr);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct util_strbuf b = { 0 };
	va_list ap;
	va_start(ap, fmt);
	util_strbuf_vaddf(&b, fmt, ap);
	va_end(ap);
	return util_strbuf_take(&b);
}

FILE *xtext_open(struct xtext *t)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	if (!t->f)
		out_of_memory();
	return t->f;
}

char *xtext_close(struct xtext *t, size_t *len)
{
	if (fclose(t->f) != 0)
		out_of_memory();
	if (len)
		*len = t->len;
	return t->buf;
}

/* Room for len more bytes and the NUL; doubling keeps appends linear. */
static void strbuf_reserve(struct util_strbuf *b, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->buf = xrealloc(b->buf, b->cap);
	}
}

void util_strbuf_add(struct util_strbuf *b, const void *data, size_t len)
{
	strbuf_reserve(b, len);
	if (len)
		memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void util_strbuf_addstr(struct util_strbuf *b, const char *s)
{
	util_strbuf_add(b, s, strlen(s));
}

void util_strbuf_vaddf(struct util_strbuf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	if (n > 0) {
		strbuf_reserve(b, (size_t)n);
		vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, again);
		b->len += (size_t)n;
	}
	va_end(again);
}

void util_strbuf_addf(struct util_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	util_strbuf_vaddf(b, fmt, ap);
	va_end(ap);
}

uint64_t util_fnv1a64(const void *data, size_t n, uint64_t h)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void hash_index_put(struct util_hash_index *t, uint64_t hash, int index)
{
	size_t mask = t->cap - 1, i = (size_t)(hash ^ (hash >> 32)) & mask;
	while (t->slots[i])
		i = (i + 1) & mask;
	t->slots[i] = index + 1;
}

void util_hash_index_add(struct util_hash_index *t, int index, uint64_t (*hash_of)(const void *ctx, int index),
			 const void *ctx)
{
	if (2 * (size_t)(t->n + 1) > t->cap) {
		free(t->slots);
		t->cap = t->cap ? t->cap * 2 : 64;
		t->slots = xcalloc(t->cap, sizeof(*t->slots));
		for (int i = 0; i < t->n; i++)
			hash_index_put(t, hash_of(ctx, i), i);
	}
	hash_index_put(t, hash_of(ctx, index), index);
	t->n++;
}

int util_hash_index_find(const struct util_hash_index *t, uint64_t hash,
			 bool (*matches)(const void *ctx, int index), const void *ctx)
{
	if (t->cap == 0)
		return -1;
	size_t mask = t->cap - 1;
	for (size_t i = (size_t)(hash ^ (hash >> 32)) & mask; t->slots[i]; i = (i + 1) & mask)
		if (matches(ctx, t->slots[i] - 1))
			return t->slots[i] - 1;
	return -1;
}

void util_hash_index_free(struct util_hash_index *t)
{
	free(t->slots);
	*t = (struct util_hash_index){ 0 };
}

char *util_strbuf_take(struct util_strbuf *b)
{
	if (!b->buf)
		util_strbuf_add(b, "", 0);
	char *text = b->buf;
	*b = (struct util_strbuf){ 0 };
	return text;
}

int util_name_index_cmp(const void *a, const void *b)
{
	const struct util_name_index *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

void util_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

void util_sort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
		 void *arg)
{
	if (n > 1)
		qsort_r(base, n, size, cmp, arg);
}

void util_line_reset(struct util_line *l)
{
	l->len = 0;
	l->buf[0] = '\0';
}

void util_line_vprintf(void *line, const char *fmt, va_list ap)
{
	struct util_line *l = line;
	if (l->len >= sizeof(l->buf) - 1)
		return;
	int n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len > sizeof(l->buf) - 1)
		l->len = sizeof(l->buf) - 1;
}
