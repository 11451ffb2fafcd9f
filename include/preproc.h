/* preproc.h - the C preprocessor lines of a script (lexer/preproc.c).
 *
 * bpftrace runs scripts through clang's preprocessor; sonde has no clang, so
 * it reads the lines bpftrace's scripts and tools use itself: #include of
 * kernel headers (a no-op: types come from BTF), #define (object- and
 * function-like), #undef, #if/#ifdef/#ifndef/#elif/#else/#endif, #error.
 * The output has exactly the lines of the input, so every later error points
 * at the line the user wrote; directive lines and lines of skipped branches
 * become empty lines, and only columns after a macro use on its line move. */
#ifndef SONDE_PREPROC_H
#define SONDE_PREPROC_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* True when the text has a line that may be a preprocessor line (a '#' that
 * is the first non-blank of a line, other than a first-line "#!"): without
 * one, preprocessing is the identity and callers skip it. */
bool preproc_needed(const char *text, size_t len);

/* Preprocess src; errors go to d. Returns a fresh NUL-terminated text (the
 * caller frees it) and its length in *out_len; never NULL. */
char *preproc_run(const struct source *src, struct diag *d, size_t *out_len);

#endif
