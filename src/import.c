/* import.c - `import "path";` (see import.h).
 *
 * A small scanner finds the import statements at brace depth 0 (outside
 * comments and strings) of a file; each one is blanked out and the files
 * it names are expanded (recursively) and emitted before the line it is
 * on. Whole lines keep every column of the importing file where it was,
 * and a span per run of lines tells diagnostics where a line came from.
 * A file is imported once: a second import of it, a cycle back to a file
 * being imported, or an import of the script itself, adds nothing (as the
 * latest bpftrace ignores duplicate imports). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import.h"
#include "util.h"

#define IMPORT_MAX_DEPTH 32
#define IMPORT_MAX_FILES 256

struct import_ctx {
	FILE *out;
	int errors;
	/* the text being built and its spans */
	struct util_strbuf text;
	int lines;                 /* lines in text */
	struct source_span *spans;
	int nspans, cap_spans;
	/* real paths of the files imported (and the script's) */
	char *seen[IMPORT_MAX_FILES];
	int nseen;
};

/* One file being expanded: for errors, a source of its own. */
struct import_file {
	struct source *src;
	const char *dir;
	bool imported;  /* not the script itself: no config block allowed */
	int depth;
};

static void import_error(struct import_ctx *c, const struct import_file *f, srcloc loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void import_error(struct import_ctx *c, const struct import_file *f, srcloc loc, const char *fmt, ...)
{
	struct diag d;
	diag_init(&d, f->src, c->out);
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(&d, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
	c->errors++;
}

/* Appends one line (with its newline) that is line `orig` of `name`. */
static void emit_line(struct import_ctx *c, const char *line, size_t n, const char *name, int orig)
{
	util_strbuf_add(&c->text, line, n);
	util_strbuf_add(&c->text, "\n", 1);
	c->lines++;
	struct source_span *last = c->nspans ? &c->spans[c->nspans - 1] : NULL;
	if (last && strcmp(last->name, name) == 0 && last->orig + last->n == orig &&
	    last->first + last->n == c->lines) {
		last->n++;
		return;
	}
	if (c->nspans == c->cap_spans) {
		c->cap_spans = c->cap_spans ? c->cap_spans * 2 : 8;
		c->spans = xrealloc(c->spans, sizeof(*c->spans) * (size_t)c->cap_spans);
	}
	c->spans[c->nspans++] = (struct source_span){ c->lines, 1, orig, xstrdup(name) };
}

/* ---- the scanner ----------------------------------------------------------------- */

struct import_stmt {
	size_t start, end;  /* the statement's bytes, `import` to its ';' */
	char *path;         /* owned */
	srcloc loc;
};

static bool ident_char(char ch)
{
	return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static bool word_at(const char *t, size_t len, size_t i, const char *w)
{
	size_t n = strlen(w);
	return i + n <= len && strncmp(t + i, w, n) == 0 && (i == 0 || !ident_char(t[i - 1])) &&
	       (i + n == len || !ident_char(t[i + n]));
}

/* Skips a comment or a literal starting at i; returns where it ends (i when
 * there is none), counting newlines into *line / *line_start. */
static size_t skip_opaque(const char *t, size_t len, size_t i, int *line, size_t *line_start)
{
	size_t j = i;
	if (t[i] == '/' && i + 1 < len && t[i + 1] == '/') {
		while (j < len && t[j] != '\n')
			j++;
		return j;
	}
	if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
		for (j = i + 2; j < len && !(t[j] == '*' && j + 1 < len && t[j + 1] == '/'); j++)
			if (t[j] == '\n') {
				++*line;
				*line_start = j + 1;
			}
		return j + 2 <= len ? j + 2 : len;
	}
	if (t[i] == '"' || t[i] == '\'') {
		for (j = i + 1; j < len && t[j] != t[i] && t[j] != '\n'; j++)
			if (t[j] == '\\' && j + 1 < len)
				j++;
		return j < len ? j + 1 : len;
	}
	return i;
}

static size_t skip_blanks(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
		i++;
	return i;
}

/* The import statements at depth 0 of f (an array of *n, caller frees);
 * reports a config block when f is imported. */
static struct import_stmt *scan_imports(struct import_ctx *c, const struct import_file *f, int *n)
{
	const char *t = f->src->text;
	size_t len = f->src->len, line_start = 0;
	int line = 1, depth = 0, cap = 0;
	struct import_stmt *out = NULL;
	*n = 0;
	for (size_t i = 0; i < len;) {
		size_t skip = skip_opaque(t, len, i, &line, &line_start);
		if (skip != i) {
			i = skip;
			continue;
		}
		char ch = t[i];
		if (ch == '\n') {
			line++;
			line_start = ++i;
			continue;
		}
		depth += ch == '{' ? 1 : ch == '}' ? (depth > 0 ? -1 : 0) : 0;
		srcloc loc = { line, (int)(i - line_start) + 1, line, (int)(i - line_start) + 6 };
		if (depth == 0 && f->imported && word_at(t, len, i, "config") &&
		    t[skip_blanks(t, len, i + 6)] == '=') {
			import_error(c, f, loc, "invalid `config` within import: only the script itself may have a config block");
			i += 6;
			continue;
		}
		if (depth != 0 || !word_at(t, len, i, "import")) {
			i++;
			continue;
		}
		size_t q = skip_blanks(t, len, i + 6);
		size_t e = q < len && t[q] == '"' ? q + 1 : len;
		while (e < len && t[e] != '"' && t[e] != '\n')
			e++;
		if (q >= len || t[q] != '"' || e >= len || t[e] != '"') {
			i += 6; /* not a statement this scanner knows: the parser reports it */
			continue;
		}
		size_t end = skip_blanks(t, len, e + 1);
		end = end < len && t[end] == ';' ? end + 1 : e + 1;
		if (memchr(t + i, '\n', end - i)) {
			import_error(c, f, loc, "an import statement must be on one line");
			i = end;
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			out = xrealloc(out, sizeof(*out) * (size_t)cap);
		}
		loc.end_col = (int)(end - line_start);
		out[(*n)++] = (struct import_stmt){ i, end, xstrndup(t + q + 1, e - q - 1), loc };
		i = end;
	}
	return out;
}

/* ---- importing --------------------------------------------------------------------- */

static void expand_file(struct import_ctx *c, struct import_file *f);

/* True the first time real path `real` is seen. */
static bool first_time(struct import_ctx *c, const char *real)
{
	for (int i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i], real) == 0)
			return false;
	if (c->nseen < IMPORT_MAX_FILES)
		c->seen[c->nseen++] = xstrdup(real);
	return true;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The directory part of path ("." when it has none); caller frees. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
}

/* bpftrace refuses files from a directory anyone may write to: someone
 * else could put a script there. */
static bool world_writable_dir(const char *dir)
{
	struct stat st;
	return stat(dir, &st) == 0 && (st.st_mode & S_IWOTH);
}

static void import_path(struct import_ctx *c, const struct import_file *from, const struct import_stmt *im,
			const char *path, bool in_dir);

/* A directory's .bt and .h files, in name order (other files are skipped). */
static void import_dir(struct import_ctx *c, const struct import_file *from, const struct import_stmt *im,
		       const char *path)
{
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		import_error(c, from, im->loc, "cannot import \"%s\": %s: %s", im->path, path, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		if (name[0] != '.' && (has_suffix(name, ".bt") || has_suffix(name, ".h"))) {
			char *file = xasprintf("%s/%s", path, name);
			import_path(c, from, im, file, true);
			free(file);
		}
		free(names[i]);
	}
	free(names);
}

static void import_path(struct import_ctx *c, const struct import_file *from, const struct import_stmt *im,
			const char *path, bool in_dir)
{
	struct stat st;
	if (has_suffix(path, ".bpf.c") || has_suffix(path, ".bpf.o")) {
		import_error(c, from, im->loc,
			     "cannot import \"%s\": BPF C sources and objects need a C compiler and linker, which sonde "
			     "does not have; import bpftrace scripts (.bt) and C headers (.h)", im->path);
		return;
	}
	if (stat(path, &st) != 0) {
		import_error(c, from, im->loc,
			     "cannot import \"%s\": %s (a relative path is looked for next to the importing script)",
			     im->path, strerror(errno));
		return;
	}
	bool is_dir = S_ISDIR(st.st_mode);
	char *dir = is_dir ? xstrdup(path) : dir_of(path);
	if (world_writable_dir(dir)) {
		import_error(c, from, im->loc,
			     "cowardly refusing to import from a directory with global write permissions: %s", dir);
		free(dir);
		return;
	}
	if (is_dir) {
		if (!in_dir)
			import_dir(c, from, im, path);
		free(dir);
		return;
	}
	if (!has_suffix(path, ".bt") && !has_suffix(path, ".h"))
		import_error(c, from, im->loc, "unknown import type: \"%s\" (sonde imports .bt scripts, .h headers "
			     "and directories of them)", im->path);
	else if (from->depth >= IMPORT_MAX_DEPTH)
		import_error(c, from, im->loc, "imports nested too deeply (more than %d files)", IMPORT_MAX_DEPTH);
	else {
		char real[PATH_MAX];
		struct source *src = realpath(path, real) && first_time(c, real) ? source_from_file(path) : NULL;
		if (src) {
			struct import_file f = { src, dir, true, from->depth + 1 };
			expand_file(c, &f);
			source_free(src);
		} else if (errno && !realpath(path, real)) {
			import_error(c, from, im->loc, "error reading import \"%s\": %s", path, strerror(errno));
		}
	}
	free(dir);
}

/* Emits f's lines into c, each import's files before its line. */
static void expand_file(struct import_ctx *c, struct import_file *f)
{
	int n;
	struct import_stmt *ims = scan_imports(c, f, &n);
	char *t = xstrndup(f->src->text, f->src->len);
	for (int i = 0; i < n; i++)
		memset(t + ims[i].start, ' ', ims[i].end - ims[i].start);
	int next = 0, line = 1;
	for (const char *p = t; *p || p == t;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		for (; next < n && ims[next].loc.line == line; next++) {
			const char *path = ims[next].path;
			char *full = path[0] == '/' || strcmp(f->dir, ".") == 0 ? xstrdup(path)
									   : xasprintf("%s/%s", f->dir, path);
			errno = 0;
			import_path(c, f, &ims[next], full, false);
			free(full);
		}
		if (len || nl)
			emit_line(c, p, len, f->src->name, line);
		if (!nl)
			break;
		p = nl + 1;
		line++;
	}
	for (int i = 0; i < n; i++)
		free(ims[i].path);
	free(ims);
	free(t);
}

/* Cheap test before any work: the word `import` somewhere. */
static bool mentions_import(const struct source *src)
{
	for (const char *p = src->text; (p = strstr(p, "import")) != NULL; p += 6)
		if (word_at(src->text, src->len, (size_t)(p - src->text), "import"))
			return true;
	return false;
}

int import_expand(struct source *src, FILE *out)
{
	if (!mentions_import(src) || memchr(src->text, '\0', src->len))
		return 0;
	struct import_ctx c = { .out = out };
	{
		/* a mention in a comment or a string: nothing to do */
		struct import_file probe_root = { src, ".", false, 0 };
		int n;
		struct import_stmt *ims = scan_imports(&c, &probe_root, &n);
		for (int i = 0; i < n; i++)
			free(ims[i].path);
		free(ims);
		if (n == 0)
			return 0;
	}
	bool is_file = strcmp(src->name, "stdin") != 0;
	char real[PATH_MAX];
	if (is_file && realpath(src->name, real))
		first_time(&c, real);
	char *dir = is_file ? dir_of(src->name) : xstrdup(".");
	struct import_file root = { src, dir, false, 0 };
	expand_file(&c, &root);
	free(dir);
	for (int i = 0; i < c.nseen; i++)
		free(c.seen[i]);
	if (c.errors) {
		for (int i = 0; i < c.nspans; i++)
			free(c.spans[i].name);
		free(c.spans);
		free(c.text.buf);
		return -1;
	}
	free(src->text);
	src->len = c.text.len;
	src->text = util_strbuf_take(&c.text);
	src->spans = c.spans;
	src->nspans = c.nspans;
	return 0;
}
