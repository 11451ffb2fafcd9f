/* util.h - memory, sorting and text helpers shared by every stage
 * (src/util.c). The memory helpers end the process with a message on
 * out-of-memory, the one failure no caller can handle better. */
#ifndef SONDE_UTIL_H
#define SONDE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Text written with stdio into memory: xtext_open() gives the stream,
 * xtext_close() the text (NUL-terminated, caller frees) and its length. */
struct xtext {
	char *buf;
	size_t len;
	FILE *f;
};
FILE *xtext_open(struct xtext *t);
char *xtext_close(struct xtext *t, size_t *len);

/* FNV-1a over n bytes, going on from h (UTIL_FNV_BASIS to start): the
 * hash of cache and description files (stored in them) and of in-memory
 * tables. */
#define UTIL_FNV_BASIS 0xcbf29ce484222325ull
uint64_t util_fnv1a64(const void *data, size_t n, uint64_t h);

/* An open-addressing index of elements 0..n-1 of the caller's array by a
 * hash of each (the caller keeps and compares the elements): lookups by
 * name stay O(1) in scripts of thousands of probes. Start from { 0 }; add
 * elements in order (index == n); it grows to twice n, rehashing with
 * hash_of. find returns the first element of that hash that matches, or -1. */
struct util_hash_index {
	int *slots; /* element index + 1; 0 = empty */
	size_t cap;
	int n;
};
void util_hash_index_add(struct util_hash_index *t, int index, uint64_t (*hash_of)(const void *ctx, int index),
			 const void *ctx);
int util_hash_index_find(const struct util_hash_index *t, uint64_t hash,
			 bool (*matches)(const void *ctx, int index), const void *ctx);
void util_hash_index_free(struct util_hash_index *t);

/* A growable byte string: after anything is added, buf holds len bytes and
 * a NUL (so text can be used as a C string). Start from { 0 }; the owner
 * frees buf, or takes it with util_strbuf_take(). */
struct util_strbuf {
	char *buf;
	size_t len, cap;
};
void util_strbuf_add(struct util_strbuf *b, const void *data, size_t len);
void util_strbuf_addstr(struct util_strbuf *b, const char *s);
void util_strbuf_vaddf(struct util_strbuf *b, const char *fmt, va_list ap);
void util_strbuf_addf(struct util_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text ("" when nothing was added; the caller frees it); b is empty again. */
char *util_strbuf_take(struct util_strbuf *b);

/* qsort()/qsort_r() that accept an empty array: qsort(NULL, 0, ...) is
 * undefined behaviour (UBSan reports it), and an empty list is often a NULL
 * pointer here. Arrays of fewer than two elements are left as they are. */
void util_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void util_sort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
		 void *arg);

/* A name and the index of what bears it: sorted with util_name_index_cmp
 * (by name, then index), equal names sit together in index order. */
struct util_name_index {
	const char *name;
	int index;
};
int util_name_index_cmp(const void *a, const void *b);

/* A short line of text built by a vprintf-style callback, such as the one
 * btf_dump__new() takes (pass util_line_vprintf and the util_line): text
 * past the buffer is cut, which a type declaration in a listing never
 * reaches. util_line_reset() empties it before the next line. */
struct util_line {
	char buf[512];
	size_t len;
};
void util_line_reset(struct util_line *l);
void util_line_vprintf(void *line, const char *fmt, va_list ap);

#endif
