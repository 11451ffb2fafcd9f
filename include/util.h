/* util.h - memory helpers shared by every stage (src/util.c). They end the
 * process with a message on out-of-memory, the one failure no caller can
 * handle better. */
#ifndef SONDE_UTIL_H
#define SONDE_UTIL_H

#include <stddef.h>
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

#endif
