/* diag.h - source text, locations and diagnostics shared by every stage.
 *
 * One module owns "file:line:col: error: message", the source line and the
 * caret underline, so that syntax, type, verifier and attach errors all look
 * alike and point at the script's own text. */
#ifndef SONDE_DIAG_H
#define SONDE_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A span in the script: 1-based line and column of the first character, and
 * of the character just past the last one (end_col is exclusive). A zero line
 * means "no location" (e.g. an error about the whole program). */
typedef struct srcloc {
	int line, col;
	int end_line, end_col;
} srcloc;

/* How many macro uses a location inside a macro body remembers (the
 * innermost ones): where errorf()/warnf() notes "expanded from". */
#define SRC_MAX_EXPANSIONS 8

/* Lines of the text spliced in from imported files (src/import.c): lines
 * first..first+n-1 are lines orig..orig+n-1 of file `name` (owned). */
struct source_span {
	int first, n, orig;
	char *name;
};

/* The script text. Owns name and text; text is NUL-terminated. */
struct source {
	char *name; /* "stdin" for -e and -, else the file path */
	char *text;
	size_t len;
	/* --include NAME (owned): headers read before the text, as bpftrace's
	 * `#include <NAME>` ahead of the script */
	char **includes;
	int nincludes;
	/* after import: where each range of lines came from (owned); lines
	 * outside every span are the script's own */
	struct source_span *spans;
	int nspans;
};

struct source *source_from_string(const char *name, const char *text, size_t len);
struct source *source_from_file(const char *path); /* NULL + errno on failure */
void source_free(struct source *src);
/* The file and line a line of the text was written at (imports moved it);
 * the script's name and the line itself when no import did. */
void source_origin(const struct source *src, int line, const char **name, int *orig_line);
/* The text of line `line` (1-based) without its newline; *len receives its length. */
const char *source_line(const struct source *src, int line, size_t *len);

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

/* Collects diagnostics for one compilation. Printing happens immediately to
 * `out` (stderr by default); the counters let a stage keep going after an
 * error so that several errors in one script are all reported. */
struct diag {
	const struct source *src;
	FILE *out;
	int errors;
	int warnings;
	int max_errors; /* stop printing after this many (0 = unlimited) */
	bool no_warnings; /* --no-warnings: count warnings, print none */
	srcloc last_error; /* where the last error was reported (the parser
			    * does not report a token the scanner reported) */
};

void diag_init(struct diag *d, const struct source *src, FILE *out);
void diag_report(struct diag *d, enum diag_level level, srcloc loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_vreport(struct diag *d, enum diag_level level, srcloc loc, const char *fmt, va_list ap);
#define diag_error(d, loc, ...) diag_report((d), DIAG_ERROR, (loc), __VA_ARGS__)
#define diag_warning(d, loc, ...) diag_report((d), DIAG_WARNING, (loc), __VA_ARGS__)
#define diag_note(d, loc, ...) diag_report((d), DIAG_NOTE, (loc), __VA_ARGS__)

/* Print a source line with a caret/underline under `loc` (used by diag_report
 * and by the runtime for verifier messages). */
void diag_show_line(FILE *out, const struct source *src, srcloc loc);

srcloc srcloc_join(srcloc a, srcloc b);

#endif
