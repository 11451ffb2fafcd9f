/* preproc.c - the C preprocessor lines of a script, without clang.
 *
 * Owns: directives, the macro table, macro expansion and the conditional
 * stack. The output keeps every line of the input where it was (directive
 * lines and skipped lines become empty, a macro call spread over several
 * lines is followed by the newlines it took), so the lexer's locations are
 * the user's lines. Strings, comments, `$var`, `@map` and numbers are copied
 * untouched: macros expand only in identifiers of the script itself. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intlit.h"
#include "preproc.h"
#include "util.h"

#define PP_MAX_COND 64        /* nested #if */
#define PP_MAX_INCLUDE 16     /* nested "file" includes */
#define PP_MAX_OUTPUT (16u << 20) /* expansions past this are a runaway */

/* ---- a growing byte buffer ---- */

struct pp_buf {
	char *s;
	size_t len, cap;
};

static void buf_add(struct pp_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (b->len + n + 1 > cap)
			cap *= 2;
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_addc(struct pp_buf *b, char c)
{
	buf_add(b, &c, 1);
}

static char *buf_take(struct pp_buf *b)
{
	if (!b->s)
		return xstrdup("");
	char *s = b->s;
	*b = (struct pp_buf){ 0 };
	return s;
}

/* ---- state ---- */

struct pp_macro {
	char *name;
	bool funclike;
	bool variadic;   /* last parameter is `...` (__VA_ARGS__) */
	int nparams;
	char **params;
	char *body;
	struct pp_macro *next;
};

struct pp_cond {
	bool parent_active; /* the enclosing region is read */
	bool taken;         /* a branch of this #if was taken (or can't be) */
	bool seen_else;
	srcloc loc;         /* the #if, for "unterminated" */
	const char *what;   /* "#if", "#ifdef", "#ifndef" */
};

struct pp {
	struct diag *d;
	const char *dir;    /* the script's directory, for "file" includes */
	struct pp_macro *macros;
	struct pp_cond conds[PP_MAX_COND];
	int ncond;
	bool active;        /* lines here are read (all enclosing #ifs true) */
	int include_depth;
	srcloc include_at;  /* inside an included file: its #include line */
	const char *piece;  /* the script text being expanded, to locate uses */
	size_t produced;    /* bytes made by expansion, against runaways */
	bool runaway;
};

/* Names being expanded: a macro is not expanded inside itself. */
struct pp_hide {
	const char *name;
	const struct pp_hide *up;
};

static bool hidden(const struct pp_hide *h, const char *name, size_t n)
{
	for (; h; h = h->up)
		if (strlen(h->name) == n && memcmp(h->name, name, n) == 0)
			return true;
	return false;
}

static struct pp_macro *pp_find(struct pp *pp, const char *name, size_t n)
{
	for (struct pp_macro *m = pp->macros; m; m = m->next)
		if (strlen(m->name) == n && memcmp(m->name, name, n) == 0)
			return m;
	return NULL;
}

static void pp_macro_free(struct pp_macro *m)
{
	free(m->name);
	for (int i = 0; i < m->nparams; i++)
		free(m->params[i]);
	free(m->params);
	free(m->body);
	free(m);
}

static void pp_undef(struct pp *pp, const char *name, size_t n)
{
	for (struct pp_macro **p = &pp->macros; *p; p = &(*p)->next) {
		if (strlen((*p)->name) == n && memcmp((*p)->name, name, n) == 0) {
			struct pp_macro *m = *p;
			*p = m->next;
			pp_macro_free(m);
			return;
		}
	}
}

static void pp_define_simple(struct pp *pp, const char *name, const char *body)
{
	if (pp_find(pp, name, strlen(name)))
		return;
	struct pp_macro *m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(name);
	m->body = xstrdup(body);
	m->next = pp->macros;
	pp->macros = m;
}

static bool is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static void pp_error(struct pp *pp, srcloc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Errors inside an included file are reported at its #include line: the
 * diagnostics show the script's own lines. */
static void pp_error(struct pp *pp, srcloc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	diag_error(pp->d, pp->include_depth ? pp->include_at : at, "%s", msg ? msg : "out of memory");
	free(msg);
}

/* ---- lexical pieces shared by the scanner and the expander ---- */

/* The end of a string or character literal starting at s[i] (its quote):
 * the closing quote's next byte, or the end of the line. */
static size_t skip_quoted(const char *s, size_t n, size_t i)
{
	char q = s[i++];
	while (i < n && s[i] != '\n') {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] != '\n') {
			i += 2;
			continue;
		}
		if (s[i++] == q)
			break;
	}
	return i;
}

/* The end of a comment starting at s[i] ("//" or "/ *"), or i if none. */
static size_t skip_comment(const char *s, size_t n, size_t i)
{
	if (i + 1 >= n || s[i] != '/')
		return i;
	if (s[i + 1] == '/') {
		while (i < n && s[i] != '\n')
			i++;
		return i;
	}
	if (s[i + 1] == '*') {
		const char *end = NULL;
		for (size_t k = i + 2; k + 1 < n; k++)
			if (s[k] == '*' && s[k + 1] == '/') {
				end = s + k + 2;
				break;
			}
		return end ? (size_t)(end - s) : n;
	}
	return i;
}

/* A token the expander copies whole: a `$name`/`@name` variable, a number
 * (with its suffix: `10ms`, `0x1f`), a string, a comment. Returns its end,
 * or i when s[i] starts none of them. */
static size_t skip_opaque(const char *s, size_t n, size_t i)
{
	char c = s[i];
	if (c == '"' || c == '\'')
		return skip_quoted(s, n, i);
	if (c == '/')
		return skip_comment(s, n, i);
	if ((c == '$' || c == '@') && i + 1 < n && is_ident_char(s[i + 1])) {
		i++;
		while (i < n && is_ident_char(s[i]))
			i++;
		return i;
	}
	if (isdigit((unsigned char)c)) {
		while (i < n && is_ident_char(s[i]))
			i++;
		return i;
	}
	return i;
}

/* ---- macro calls ---- */

struct pp_args {
	char **raw;   /* as written, trimmed, comments and newlines as blanks */
	int n;
};

static void args_free(struct pp_args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->raw[i]);
	free(a->raw);
	a->raw = NULL;
	a->n = 0;
}

static char *trim_copy(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	struct pp_buf b = { 0 };
	for (size_t i = 0; i < n;) {
		size_t end = skip_comment(s, n, i);
		if (end > i) {
			buf_addc(&b, ' ');
			i = end;
		} else if (s[i] == '"' || s[i] == '\'') {
			end = skip_quoted(s, n, i);
			buf_add(&b, s + i, end - i);
			i = end;
		} else {
			buf_addc(&b, s[i] == '\n' ? ' ' : s[i]);
			i++;
		}
	}
	return buf_take(&b);
}

/* Read the arguments of a call whose '(' is at s[i]: returns the index
 * after the ')', or 0 when the call is not closed; *newlines counts the
 * line breaks inside. */
static size_t read_args(const char *s, size_t n, size_t i, struct pp_args *a, int *newlines)
{
	int depth = 0;
	size_t start = ++i;
	*newlines = 0;
	a->raw = NULL;
	a->n = 0;
	while (i < n) {
		char c = s[i];
		size_t end = skip_opaque(s, n, i);
		if (end > i && c != '$' && c != '@' && !isdigit((unsigned char)c)) {
			for (size_t k = i; k < end; k++)
				*newlines += s[k] == '\n';
			i = end;
			continue;
		}
		if (c == '\n')
			(*newlines)++;
		if (c == '(' || c == '[' || c == '{') {
			depth++;
		} else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
			depth--;
		} else if ((c == ',' && depth == 0) || c == ')') {
			a->raw = xrealloc(a->raw, sizeof(char *) * (size_t)(a->n + 1));
			a->raw[a->n++] = trim_copy(s + start, i - start);
			start = i + 1;
			if (c == ')')
				return i + 1;
		}
		i++;
	}
	args_free(a);
	return 0;
}

static char *expand(struct pp *pp, const char *s, size_t n, const struct pp_hide *hide, srcloc at);

static int param_index(const struct pp_macro *m, const char *name, size_t n)
{
	for (int i = 0; i < m->nparams; i++)
		if (strlen(m->params[i]) == n && memcmp(m->params[i], name, n) == 0)
			return i;
	if (m->variadic && n == 11 && memcmp(name, "__VA_ARGS__", 11) == 0)
		return m->nparams;
	return -1;
}

static void add_stringified(struct pp_buf *b, const char *arg)
{
	buf_addc(b, '"');
	for (const char *p = arg; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

/* The body with the arguments put in: `#p` is the argument as a string,
 * operands of `##` are used as written and pasted, every other parameter
 * is its argument fully expanded (C's order). */
static char *substitute(const struct pp_macro *m, char **raw, char **expanded)
{
	struct pp_buf b = { 0 };
	const char *s = m->body;
	size_t n = strlen(s);
	bool paste_next = false;
	for (size_t i = 0; i < n;) {
		size_t end = skip_opaque(s, n, i);
		if (end > i) {
			buf_add(&b, s + i, end - i);
			i = end, paste_next = false;
			continue;
		}
		if (s[i] == '#' && i + 1 < n && s[i + 1] == '#') {
			while (b.len && isspace((unsigned char)b.s[b.len - 1]))
				b.s[--b.len] = '\0';
			i += 2;
			while (i < n && isspace((unsigned char)s[i]))
				i++;
			paste_next = true;
			continue;
		}
		if (s[i] == '#') {
			size_t k = i + 1;
			while (k < n && isspace((unsigned char)s[k]))
				k++;
			size_t e = k;
			while (e < n && is_ident_char(s[e]))
				e++;
			int p = param_index(m, s + k, e - k);
			if (p >= 0) {
				add_stringified(&b, raw[p]);
				i = e, paste_next = false;
				continue;
			}
		}
		if (is_ident_start(s[i])) {
			size_t e = i;
			while (e < n && is_ident_char(s[e]))
				e++;
			int p = param_index(m, s + i, e - i);
			size_t k = e;
			while (k < n && isspace((unsigned char)s[k]))
				k++;
			bool pasted = paste_next || (k + 1 < n && s[k] == '#' && s[k + 1] == '#');
			if (p < 0)
				buf_add(&b, s + i, e - i);
			else
				buf_add(&b, pasted ? raw[p] : expanded[p], strlen(pasted ? raw[p] : expanded[p]));
			i = e, paste_next = false;
			continue;
		}
		buf_addc(&b, s[i++]);
		if (!isspace((unsigned char)s[i - 1]))
			paste_next = false;
	}
	return buf_take(&b);
}

/* Expand the macro m used at s[i] (its name ends at *pos). On return *pos
 * is past the use (and its arguments); NULL when it is not a use (a
 * function-like name without '('). The result is fully rescanned. */
static char *expand_use(struct pp *pp, struct pp_macro *m, const char *s, size_t n, size_t *pos,
			const struct pp_hide *hide, srcloc at, int *newlines)
{
	*newlines = 0;
	struct pp_hide self = { m->name, hide };
	if (!m->funclike)
		return expand(pp, m->body, strlen(m->body), &self, at);
	size_t k = *pos;
	int gap_lines = 0;
	while (k < n && isspace((unsigned char)s[k]))
		gap_lines += s[k++] == '\n';
	if (k >= n || s[k] != '(')
		return NULL;
	struct pp_args a;
	int arg_lines;
	size_t end = read_args(s, n, k, &a, &arg_lines);
	if (!end) {
		pp_error(pp, at, "unterminated call of macro '%s': no ')'", m->name);
		*pos = n;
		return xstrdup("");
	}
	*pos = end;
	*newlines = gap_lines + arg_lines;
	/* F() is a call with no arguments when F takes none */
	if (m->nparams == 0 && !m->variadic && a.n == 1 && !a.raw[0][0])
		args_free(&a);
	int want = m->nparams;
	if (m->variadic) {
		/* the arguments from the last named one on are __VA_ARGS__ */
		if (a.n < want) {
			pp_error(pp, at, "macro '%s' takes at least %d argument%s, but %d given", m->name,
				 want, want == 1 ? "" : "s", a.n);
			args_free(&a);
			return xstrdup("0");
		}
		struct pp_buf va = { 0 };
		for (int i = want; i < a.n; i++) {
			if (i > want)
				buf_add(&va, ", ", 2);
			buf_add(&va, a.raw[i], strlen(a.raw[i]));
			free(a.raw[i]);
		}
		a.raw = xrealloc(a.raw, sizeof(char *) * (size_t)(want + 1));
		a.raw[want] = buf_take(&va);
		a.n = want + 1;
	} else if (a.n != want) {
		pp_error(pp, at, "macro '%s' takes %d argument%s, but %d given", m->name, want,
			 want == 1 ? "" : "s", a.n);
		args_free(&a);
		return xstrdup("0");
	}
	char **expanded = xcalloc((size_t)a.n + 1, sizeof(char *));
	for (int i = 0; i < a.n; i++)
		expanded[i] = expand(pp, a.raw[i], strlen(a.raw[i]), hide, at);
	char *body = substitute(m, a.raw, expanded);
	for (int i = 0; i < a.n; i++)
		free(expanded[i]);
	free(expanded);
	args_free(&a);
	char *out = expand(pp, body, strlen(body), &self, at);
	free(body);
	return out;
}

/* Where the use s[i, end) is: in the script's own text its line and
 * columns, in a macro body or an #if the place of the outer use. */
static srcloc use_loc(const struct pp *pp, const char *s, size_t i, size_t end, srcloc at)
{
	if (s != pp->piece)
		return at;
	size_t bol = 0;
	int lines = 0;
	for (size_t k = 0; k < i; k++)
		if (s[k] == '\n')
			lines++, bol = k + 1;
	int col = lines ? 1 + (int)(i - bol) : at.col + (int)i;
	return (srcloc){ at.line + lines, col, at.line + lines, col + (int)(end - i) };
}

/* Expand every macro in s[0, n) (no directives here). Newlines inside a
 * call become blanks: the caller puts the line count back. */
static char *expand(struct pp *pp, const char *s, size_t n, const struct pp_hide *hide, srcloc at)
{
	struct pp_buf b = { 0 };
	for (size_t i = 0; i < n && !pp->runaway;) {
		size_t end = skip_opaque(s, n, i);
		if (end > i) {
			buf_add(&b, s + i, end - i);
			i = end;
			continue;
		}
		if (!is_ident_start(s[i])) {
			buf_addc(&b, s[i++]);
			continue;
		}
		end = i;
		while (end < n && is_ident_char(s[end]))
			end++;
		struct pp_macro *m = pp_find(pp, s + i, end - i);
		char *text = NULL;
		size_t pos = end;
		int lines = 0;
		if (m && !hidden(hide, m->name, end - i))
			text = expand_use(pp, m, s, n, &pos, hide, use_loc(pp, s, i, end, at), &lines);
		if (!text) {
			buf_add(&b, s + i, end - i);
			i = end;
			continue;
		}
		for (char *p = text; *p; p++)
			if (*p == '\n')
				*p = ' ';
		size_t tlen = strlen(text);
		buf_add(&b, text, tlen);
		pp->produced += tlen;
		free(text);
		/* In the script's own text, an expansion shorter than its use
		 * is padded to the use's width, so that everything after it on
		 * the line keeps its column (TASK_RUNNING -> 0). */
		for (size_t k = tlen; s == pp->piece && lines == 0 && k < pos - i; k++)
			buf_addc(&b, ' ');
		for (int k = 0; k < lines; k++)
			buf_addc(&b, '\n');
		i = pos;
		if (!pp->runaway && pp->produced > PP_MAX_OUTPUT) {
			pp_error(pp, at, "macro expansion too large (more than %u MB): is a macro defined in terms of itself?",
				 PP_MAX_OUTPUT >> 20);
			pp->runaway = true;
		}
	}
	return buf_take(&b);
}

/* ---- #if expressions ---- */

struct pp_expr {
	struct pp *pp;
	const char *s;
	size_t i, n;
	srcloc at;
	bool failed;
};

static void ex_blank(struct pp_expr *e)
{
	while (e->i < e->n && isspace((unsigned char)e->s[e->i]))
		e->i++;
}

static bool ex_eat(struct pp_expr *e, const char *op)
{
	ex_blank(e);
	size_t l = strlen(op);
	if (e->i + l > e->n || memcmp(e->s + e->i, op, l) != 0)
		return false;
	/* `<` is not the start of `<<` or `<=`, `&` not of `&&`... */
	if (l == 1 && e->i + 1 < e->n) {
		char c = e->s[e->i + 1];
		if ((op[0] == '<' || op[0] == '>') && (c == op[0] || c == '='))
			return false;
		if ((op[0] == '&' || op[0] == '|') && c == op[0])
			return false;
		if ((op[0] == '!' || op[0] == '=') && c == '=')
			return false;
	}
	e->i += l;
	return true;
}

static void ex_fail(struct pp_expr *e, const char *what)
{
	if (!e->failed)
		pp_error(e->pp, e->at, "invalid #if expression: %s", what);
	e->failed = true;
}

static int64_t ex_cond(struct pp_expr *e);

static int64_t ex_primary(struct pp_expr *e)
{
	ex_blank(e);
	if (e->i >= e->n) {
		ex_fail(e, "it ends where a value is expected");
		return 0;
	}
	const char *s = e->s;
	char c = s[e->i];
	if (ex_eat(e, "(")) {
		int64_t v = ex_cond(e);
		if (!ex_eat(e, ")"))
			ex_fail(e, "missing ')'");
		return v;
	}
	if (ex_eat(e, "!"))
		return !ex_primary(e);
	if (ex_eat(e, "~"))
		return ~ex_primary(e);
	if (ex_eat(e, "-"))
		return (int64_t)(0 - (uint64_t)ex_primary(e));
	if (ex_eat(e, "+"))
		return ex_primary(e);
	if (isdigit((unsigned char)c)) {
		size_t end = e->i;
		while (end < e->n && is_ident_char(s[end]))
			end++;
		struct intlit lit;
		char why[96];
		if (intlit_parse(s + e->i, end - e->i, true, &lit, why, sizeof(why)) != INTLIT_OK)
			ex_fail(e, "invalid number");
		e->i = end;
		return (int64_t)lit.value;
	}
	if (c == '\'' && e->i + 2 < e->n && s[e->i + 2] == '\'') {
		int64_t v = (unsigned char)s[e->i + 1];
		e->i += 3;
		return v;
	}
	if (is_ident_start(c)) {
		/* an identifier left after expansion counts as 0, as in C */
		while (e->i < e->n && is_ident_char(s[e->i]))
			e->i++;
		return 0;
	}
	ex_fail(e, "unexpected character");
	e->i = e->n;
	return 0;
}

/* Binary operators by precedence, lowest first (C's table). */
static const char *const ex_levels[][5] = {
	{ "||" }, { "&&" }, { "|" }, { "^" }, { "&" }, { "==", "!=" },
	{ "<=", ">=", "<", ">" }, { "<<", ">>" }, { "+", "-" }, { "*", "/", "%" },
};
#define EX_NLEVELS (int)(sizeof(ex_levels) / sizeof(ex_levels[0]))

static int64_t ex_apply(struct pp_expr *e, const char *op, int64_t a, int64_t b)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
	switch (op[0]) {
	case '|': return op[1] ? (a || b) : (int64_t)(ua | ub);
	case '&': return op[1] ? (a && b) : (int64_t)(ua & ub);
	case '^': return (int64_t)(ua ^ ub);
	case '=': return a == b;
	case '!': return a != b;
	case '<': return op[1] == '<' ? (int64_t)(ua << (ub & 63)) : op[1] ? a <= b : a < b;
	case '>': return op[1] == '>' ? a >> (ub & 63) : op[1] ? a >= b : a > b;
	case '+': return (int64_t)(ua + ub);
	case '-': return (int64_t)(ua - ub);
	case '*': return (int64_t)(ua * ub);
	default:
		if (b == 0 || (a == INT64_MIN && b == -1)) {
			ex_fail(e, op[0] == '/' ? "division by zero" : "remainder by zero");
			return 0;
		}
		return op[0] == '/' ? a / b : a % b;
	}
}

static int64_t ex_binary(struct pp_expr *e, int level)
{
	if (level == EX_NLEVELS)
		return ex_primary(e);
	int64_t v = ex_binary(e, level + 1);
	for (;;) {
		const char *op = NULL;
		for (int k = 0; k < 5 && ex_levels[level][k]; k++)
			if (ex_eat(e, ex_levels[level][k])) {
				op = ex_levels[level][k];
				break;
			}
		if (!op || e->failed)
			return v;
		v = ex_apply(e, op, v, ex_binary(e, level + 1));
	}
}

static int64_t ex_cond(struct pp_expr *e)
{
	int64_t c = ex_binary(e, 0);
	if (!ex_eat(e, "?"))
		return c;
	int64_t a = ex_cond(e);
	if (!ex_eat(e, ":")) {
		ex_fail(e, "'?' without ':'");
		return 0;
	}
	int64_t b = ex_cond(e);
	return c ? a : b;
}

/* `defined X` and `defined(X)` become 1 or 0 before expansion. */
static char *replace_defined(struct pp *pp, const char *s, srcloc at)
{
	struct pp_buf b = { 0 };
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		if (!is_ident_start(s[i])) {
			buf_addc(&b, s[i++]);
			continue;
		}
		size_t end = i;
		while (end < n && is_ident_char(s[end]))
			end++;
		if (end - i != 7 || memcmp(s + i, "defined", 7) != 0) {
			buf_add(&b, s + i, end - i);
			i = end;
			continue;
		}
		size_t k = end;
		while (k < n && isspace((unsigned char)s[k]))
			k++;
		bool paren = k < n && s[k] == '(';
		if (paren)
			k++;
		while (k < n && isspace((unsigned char)s[k]))
			k++;
		size_t name = k;
		while (k < n && is_ident_char(s[k]))
			k++;
		size_t name_end = k;
		while (k < n && isspace((unsigned char)s[k]))
			k++;
		if (name_end == name || !is_ident_start(s[name]) || (paren && (k >= n || s[k] != ')'))) {
			pp_error(pp, at, "'defined' needs a macro name: defined(NAME) or defined NAME");
			free(buf_take(&b));
			return NULL;
		}
		if (paren)
			k++;
		buf_addc(&b, pp_find(pp, s + name, name_end - name) ? '1' : '0');
		i = paren ? k : name_end;
	}
	return buf_take(&b);
}

static bool pp_eval(struct pp *pp, const char *text, srcloc at)
{
	char *plain = replace_defined(pp, text, at);
	if (!plain)
		return false;
	char *x = expand(pp, plain, strlen(plain), NULL, at);
	free(plain);
	struct pp_expr e = { .pp = pp, .s = x, .n = strlen(x), .at = at };
	ex_blank(&e);
	int64_t v = 0;
	if (e.i == e.n)
		ex_fail(&e, "no condition");
	else
		v = ex_cond(&e);
	ex_blank(&e);
	if (e.i < e.n)
		ex_fail(&e, "unexpected text after the condition");
	free(x);
	return !e.failed && v != 0;
}

/* ---- #include ---- */

/* Kernel header trees: their types come from BTF, so including one is a
 * no-op. */
static const char *const kernel_dirs[] = {
	"linux/", "uapi/", "asm/", "asm-generic/", "net/", "trace/", "scsi/", "sound/", "xen/",
	"crypto/", "keys/", "kvm/", "drm/", "acpi/", "rdma/", "media/", "video/", "vdso/", "clocksource/",
	"soc/", "misc/", "bpf/", "math-emu/", "pcmcia/", "ras/", "target/",
};

/* C library headers bpftrace's tools include for socket constants. */
static const char *const libc_ok[] = {
	"sys/socket.h", "netinet/in.h", "arpa/inet.h", "stdint.h", "stddef.h", "stdbool.h",
	"sys/types.h", "errno.h", "sys/errno.h",
};

/* #define constants BTF cannot provide (it carries types and enums, not
 * macros), for the headers scripts include to use them. Only values that
 * are stable kernel ABI. */
struct pp_const {
	const char *header, *name, *value;
};

static const struct pp_const known_consts[] = {
	{ "linux/sched.h", "TASK_RUNNING", "0" },
	{ "linux/sched.h", "TASK_INTERRUPTIBLE", "1" },
	{ "linux/sched.h", "TASK_UNINTERRUPTIBLE", "2" },
	{ "linux/sched.h", "__TASK_STOPPED", "4" },
	{ "linux/sched.h", "__TASK_TRACED", "8" },
	{ "linux/sched.h", "EXIT_DEAD", "16" },
	{ "linux/sched.h", "EXIT_ZOMBIE", "32" },
	{ "linux/sched.h", "TASK_COMM_LEN", "16" },
	/* errno.h: Linux's error numbers (asm-generic, the same on every
	 * architecture sonde runs on), for strerror(EPERM) and retval checks */
	{ "errno", "EPERM", "1" }, { "errno", "ENOENT", "2" }, { "errno", "ESRCH", "3" },
	{ "errno", "EINTR", "4" }, { "errno", "EIO", "5" }, { "errno", "ENXIO", "6" },
	{ "errno", "E2BIG", "7" }, { "errno", "ENOEXEC", "8" }, { "errno", "EBADF", "9" },
	{ "errno", "ECHILD", "10" }, { "errno", "EAGAIN", "11" }, { "errno", "ENOMEM", "12" },
	{ "errno", "EACCES", "13" }, { "errno", "EFAULT", "14" }, { "errno", "ENOTBLK", "15" },
	{ "errno", "EBUSY", "16" }, { "errno", "EEXIST", "17" }, { "errno", "EXDEV", "18" },
	{ "errno", "ENODEV", "19" }, { "errno", "ENOTDIR", "20" }, { "errno", "EISDIR", "21" },
	{ "errno", "EINVAL", "22" }, { "errno", "ENFILE", "23" }, { "errno", "EMFILE", "24" },
	{ "errno", "ENOTTY", "25" }, { "errno", "ETXTBSY", "26" }, { "errno", "EFBIG", "27" },
	{ "errno", "ENOSPC", "28" }, { "errno", "ESPIPE", "29" }, { "errno", "EROFS", "30" },
	{ "errno", "EMLINK", "31" }, { "errno", "EPIPE", "32" }, { "errno", "EDOM", "33" },
	{ "errno", "ERANGE", "34" }, { "errno", "EDEADLK", "35" },
	{ "errno", "ENAMETOOLONG", "36" },
	{ "errno", "ENOLCK", "37" }, { "errno", "ENOSYS", "38" }, { "errno", "ENOTEMPTY", "39" },
	{ "errno", "ELOOP", "40" }, { "errno", "EWOULDBLOCK", "11" }, { "errno", "ENOMSG", "42" },
	{ "errno", "EIDRM", "43" }, { "errno", "ECHRNG", "44" }, { "errno", "EL2NSYNC", "45" },
	{ "errno", "EL3HLT", "46" }, { "errno", "EL3RST", "47" }, { "errno", "ELNRNG", "48" },
	{ "errno", "EUNATCH", "49" }, { "errno", "ENOCSI", "50" }, { "errno", "EL2HLT", "51" },
	{ "errno", "EBADE", "52" }, { "errno", "EBADR", "53" }, { "errno", "EXFULL", "54" },
	{ "errno", "ENOANO", "55" }, { "errno", "EBADRQC", "56" }, { "errno", "EBADSLT", "57" },
	{ "errno", "EDEADLOCK", "35" }, { "errno", "EBFONT", "59" }, { "errno", "ENOSTR", "60" },
	{ "errno", "ENODATA", "61" }, { "errno", "ETIME", "62" }, { "errno", "ENOSR", "63" },
	{ "errno", "ENONET", "64" }, { "errno", "ENOPKG", "65" }, { "errno", "EREMOTE", "66" },
	{ "errno", "ENOLINK", "67" }, { "errno", "EADV", "68" }, { "errno", "ESRMNT", "69" },
	{ "errno", "ECOMM", "70" }, { "errno", "EPROTO", "71" }, { "errno", "EMULTIHOP", "72" },
	{ "errno", "EDOTDOT", "73" }, { "errno", "EBADMSG", "74" }, { "errno", "EOVERFLOW", "75" },
	{ "errno", "ENOTUNIQ", "76" }, { "errno", "EBADFD", "77" }, { "errno", "EREMCHG", "78" },
	{ "errno", "ELIBACC", "79" }, { "errno", "ELIBBAD", "80" }, { "errno", "ELIBSCN", "81" },
	{ "errno", "ELIBMAX", "82" }, { "errno", "ELIBEXEC", "83" }, { "errno", "EILSEQ", "84" },
	{ "errno", "ERESTART", "85" }, { "errno", "ESTRPIPE", "86" }, { "errno", "EUSERS", "87" },
	{ "errno", "ENOTSOCK", "88" }, { "errno", "EDESTADDRREQ", "89" },
	{ "errno", "EMSGSIZE", "90" },
	{ "errno", "EPROTOTYPE", "91" }, { "errno", "ENOPROTOOPT", "92" },
	{ "errno", "EPROTONOSUPPORT", "93" },
	{ "errno", "ESOCKTNOSUPPORT", "94" }, { "errno", "EOPNOTSUPP", "95" },
	{ "errno", "EPFNOSUPPORT", "96" },
	{ "errno", "EAFNOSUPPORT", "97" }, { "errno", "EADDRINUSE", "98" },
	{ "errno", "EADDRNOTAVAIL", "99" },
	{ "errno", "ENETDOWN", "100" }, { "errno", "ENETUNREACH", "101" },
	{ "errno", "ENETRESET", "102" },
	{ "errno", "ECONNABORTED", "103" }, { "errno", "ECONNRESET", "104" },
	{ "errno", "ENOBUFS", "105" },
	{ "errno", "EISCONN", "106" }, { "errno", "ENOTCONN", "107" },
	{ "errno", "ESHUTDOWN", "108" },
	{ "errno", "ETOOMANYREFS", "109" }, { "errno", "ETIMEDOUT", "110" },
	{ "errno", "ECONNREFUSED", "111" },
	{ "errno", "EHOSTDOWN", "112" }, { "errno", "EHOSTUNREACH", "113" },
	{ "errno", "EALREADY", "114" },
	{ "errno", "EINPROGRESS", "115" }, { "errno", "ESTALE", "116" },
	{ "errno", "EUCLEAN", "117" },
	{ "errno", "ENOTNAM", "118" }, { "errno", "ENAVAIL", "119" }, { "errno", "EISNAM", "120" },
	{ "errno", "EREMOTEIO", "121" }, { "errno", "EDQUOT", "122" },
	{ "errno", "ENOMEDIUM", "123" },
	{ "errno", "EMEDIUMTYPE", "124" }, { "errno", "ECANCELED", "125" },
	{ "errno", "ENOKEY", "126" },
	{ "errno", "EKEYEXPIRED", "127" }, { "errno", "EKEYREVOKED", "128" },
	{ "errno", "EKEYREJECTED", "129" },
	{ "errno", "EOWNERDEAD", "130" }, { "errno", "ENOTRECOVERABLE", "131" },
	{ "errno", "ERFKILL", "132" },
	{ "errno", "EHWPOISON", "133" },
	{ "socket", "AF_UNSPEC", "0" },
	{ "socket", "AF_UNIX", "1" },
	{ "socket", "AF_LOCAL", "1" },
	{ "socket", "AF_INET", "2" },
	{ "socket", "AF_INET6", "10" },
	{ "socket", "AF_NETLINK", "16" },
	{ "socket", "AF_PACKET", "17" },
	{ "socket", "PF_UNSPEC", "0" },
	{ "socket", "PF_UNIX", "1" },
	{ "socket", "PF_INET", "2" },
	{ "socket", "PF_INET6", "10" },
	{ "socket", "SOCK_STREAM", "1" },
	{ "socket", "SOCK_DGRAM", "2" },
	{ "socket", "SOCK_RAW", "3" },
	{ "linux/time.h", "CLOCK_REALTIME", "0" },
	{ "linux/time.h", "CLOCK_MONOTONIC", "1" },
	{ "linux/time.h", "CLOCK_BOOTTIME", "7" },
	{ "linux/time.h", "NSEC_PER_SEC", "1000000000L" },
	{ "linux/time.h", "USEC_PER_SEC", "1000000L" },
	{ "linux/time.h", "MSEC_PER_SEC", "1000L" },
	{ "linux/fs.h", "O_RDONLY", "0" },
	{ "linux/fs.h", "O_WRONLY", "1" },
	{ "linux/fs.h", "O_RDWR", "2" },
};

static bool header_group(const char *header, const char *group)
{
	if (strcmp(group, "errno") == 0)
		return strcmp(header, "errno.h") == 0 || strcmp(header, "linux/errno.h") == 0 ||
		       strcmp(header, "asm/errno.h") == 0 || strcmp(header, "asm-generic/errno.h") == 0 ||
		       strcmp(header, "asm-generic/errno-base.h") == 0 || strcmp(header, "sys/errno.h") == 0;
	if (strcmp(group, "socket") == 0)
		return strcmp(header, "linux/socket.h") == 0 || strcmp(header, "sys/socket.h") == 0 ||
		       strcmp(header, "net/sock.h") == 0 || strcmp(header, "linux/in.h") == 0 ||
		       strcmp(header, "netinet/in.h") == 0 || strcmp(header, "linux/net.h") == 0;
	return strcmp(header, group) == 0;
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static void pp_file(struct pp *pp, const char *s, size_t n, struct pp_buf *out, bool emit,
		    int first_line);

static void pp_include_local(struct pp *pp, const char *name, srcloc at)
{
	char *path = name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", pp->dir, name);
	struct source *inc = source_from_file(path);
	if (!inc) {
		pp_error(pp, at, "cannot include \"%s\": %s (a \"file\" is looked for next to the script)",
			 name, strerror(errno));
		free(path);
		return;
	}
	free(path);
	if (pp->include_depth >= PP_MAX_INCLUDE) {
		pp_error(pp, at, "#include nested too deeply (more than %d files)", PP_MAX_INCLUDE);
		source_free(inc);
		return;
	}
	if (pp->include_depth++ == 0)
		pp->include_at = at;
	pp_file(pp, inc->text, inc->len, NULL, false, 1);
	pp->include_depth--;
	source_free(inc);
}

static void pp_include(struct pp *pp, const char *rest, srcloc at)
{
	while (isspace((unsigned char)*rest))
		rest++;
	char close = rest[0] == '<' ? '>' : rest[0] == '"' ? '"' : 0;
	const char *end = close ? strchr(rest + 1, close) : NULL;
	if (!end || end == rest + 1) {
		pp_error(pp, at, "#include expects <header.h> or \"file\"");
		return;
	}
	char *name = xstrndup(rest + 1, (size_t)(end - rest - 1));
	for (const char *p = end + 1; *p; p++)
		if (!isspace((unsigned char)*p)) {
			pp_error(pp, at, "unexpected text after #include %.*s", (int)(end - rest + 1), rest);
			break;
		}
	if (close == '"') {
		pp_include_local(pp, name, at);
		free(name);
		return;
	}
	bool ok = false;
	for (size_t i = 0; i < sizeof(kernel_dirs) / sizeof(kernel_dirs[0]); i++)
		ok = ok || has_prefix(name, kernel_dirs[i]);
	for (size_t i = 0; i < sizeof(libc_ok) / sizeof(libc_ok[0]); i++)
		ok = ok || strcmp(name, libc_ok[i]) == 0;
	if (!ok) {
		pp_error(pp, at,
			 "cannot include <%s>: sonde reads kernel types from BTF and accepts only kernel headers (<linux/...>, <net/...>, <asm/...>, ...)",
			 name);
		free(name);
		return;
	}
	for (size_t i = 0; i < sizeof(known_consts) / sizeof(known_consts[0]); i++)
		if (header_group(name, known_consts[i].header))
			pp_define_simple(pp, known_consts[i].name, known_consts[i].value);
	free(name);
}

/* ---- #define ---- */

static void pp_define(struct pp *pp, const char *s, srcloc at)
{
	size_t i = 0, n = strlen(s);
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	size_t name = i;
	while (i < n && is_ident_char(s[i]))
		i++;
	if (i == name || !is_ident_start(s[name])) {
		pp_error(pp, at, "#define needs a macro name");
		return;
	}
	if (i - name == 7 && memcmp(s + name, "defined", 7) == 0) {
		pp_error(pp, at, "'defined' cannot be used as a macro name");
		return;
	}
	struct pp_macro *m = xcalloc(1, sizeof(*m));
	m->name = xstrndup(s + name, i - name);
	if (i < n && s[i] == '(') {
		m->funclike = true;
		i++;
		for (;;) {
			while (i < n && isspace((unsigned char)s[i]))
				i++;
			if (i < n && s[i] == ')' && m->nparams == 0) {
				i++;
				break;
			}
			if (i + 3 <= n && memcmp(s + i, "...", 3) == 0) {
				m->variadic = true;
				i += 3;
				while (i < n && isspace((unsigned char)s[i]))
					i++;
				if (i < n && s[i] == ')') {
					i++;
					break;
				}
				goto bad_params;
			}
			size_t p = i;
			while (i < n && is_ident_char(s[i]))
				i++;
			if (i == p || !is_ident_start(s[p]))
				goto bad_params;
			for (int k = 0; k < m->nparams; k++)
				if (strlen(m->params[k]) == i - p && memcmp(m->params[k], s + p, i - p) == 0) {
					pp_error(pp, at, "duplicate parameter '%s' of macro '%s'", m->params[k], m->name);
					pp_macro_free(m);
					return;
				}
			m->params = xrealloc(m->params, sizeof(char *) * (size_t)(m->nparams + 1));
			m->params[m->nparams++] = xstrndup(s + p, i - p);
			while (i < n && isspace((unsigned char)s[i]))
				i++;
			if (i < n && s[i] == ',') {
				i++;
				continue;
			}
			if (i < n && s[i] == ')') {
				i++;
				break;
			}
			goto bad_params;
		}
	}
	m->body = trim_copy(s + i, n - i);
	pp_undef(pp, m->name, strlen(m->name));
	m->next = pp->macros;
	pp->macros = m;
	return;
bad_params:
	pp_error(pp, at, "invalid parameter list of macro '%s': expected names separated by ',' and a ')'",
		 m->name);
	pp_macro_free(m);
}

/* ---- directives and the conditional stack ---- */

static void pp_push_cond(struct pp *pp, bool value, srcloc at, const char *what)
{
	if (pp->ncond == PP_MAX_COND) {
		pp_error(pp, at, "#if nested too deeply (more than %d levels)", PP_MAX_COND);
		return;
	}
	struct pp_cond *c = &pp->conds[pp->ncond++];
	*c = (struct pp_cond){ .parent_active = pp->active, .taken = !pp->active || value,
			       .loc = at, .what = what };
	pp->active = pp->active && value;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

/* The one identifier an #ifdef/#ifndef/#undef names. */
static bool one_name(struct pp *pp, const char *s, const char *what, srcloc at, const char **name,
		     size_t *len)
{
	while (isspace((unsigned char)*s))
		s++;
	const char *e = s;
	while (is_ident_char(*e))
		e++;
	const char *t = e;
	while (isspace((unsigned char)*t))
		t++;
	if (e == s || !is_ident_start(*s) || *t) {
		pp_error(pp, at, "%s expects one macro name", what);
		return false;
	}
	*name = s;
	*len = (size_t)(e - s);
	return true;
}

static void pp_directive(struct pp *pp, const char *text, srcloc at)
{
	const char *s = text;
	while (isspace((unsigned char)*s))
		s++;
	const char *w = s;
	while (is_ident_char(*s))
		s++;
	size_t wn = (size_t)(s - w);
	const char *name;
	size_t len;
	if (wn == 0) {
		if (*s)
			pp_error(pp, at, "invalid preprocessor line: '#' must be followed by a directive name");
		return; /* a lone '#' is the null directive */
	}
	if (word_is(w, wn, "if") || word_is(w, wn, "ifdef") || word_is(w, wn, "ifndef")) {
		bool v = false;
		const char *what = wn == 2 ? "#if" : wn == 5 ? "#ifdef" : "#ifndef";
		if (pp->active && wn == 2)
			v = pp_eval(pp, s, at);
		else if (pp->active && one_name(pp, s, what, at, &name, &len))
			v = (pp_find(pp, name, len) != NULL) == (wn == 5);
		pp_push_cond(pp, v, at, what);
		return;
	}
	if (word_is(w, wn, "elif") || word_is(w, wn, "else") || word_is(w, wn, "endif")) {
		if (pp->ncond == 0) {
			pp_error(pp, at, "#%.*s without #if", (int)wn, w);
			return;
		}
		struct pp_cond *c = &pp->conds[pp->ncond - 1];
		if (wn == 5 && w[1] == 'n') { /* endif */
			pp->active = c->parent_active;
			pp->ncond--;
			return;
		}
		if (c->seen_else) {
			pp_error(pp, at, "#%.*s after #else", (int)wn, w);
			return;
		}
		bool is_else = word_is(w, wn, "else");
		bool v = !c->taken && (is_else || pp_eval(pp, s, at));
		c->seen_else = is_else;
		c->taken = c->taken || v;
		pp->active = c->parent_active && v;
		return;
	}
	if (!pp->active)
		return;
	if (word_is(w, wn, "include"))
		pp_include(pp, s, at);
	else if (word_is(w, wn, "define"))
		pp_define(pp, s, at);
	else if (word_is(w, wn, "undef")) {
		if (one_name(pp, s, "#undef", at, &name, &len))
			pp_undef(pp, name, len);
	} else if (word_is(w, wn, "error")) {
		while (isspace((unsigned char)*s))
			s++;
		pp_error(pp, at, "#error %s", s);
	} else if (word_is(w, wn, "warning")) {
		while (isspace((unsigned char)*s))
			s++;
		diag_warning(pp->d, pp->include_depth ? pp->include_at : at, "#warning %s", s);
	} else if (word_is(w, wn, "pragma")) {
		/* nothing sonde's compile can act on */
	} else {
		pp_error(pp, at, "unknown preprocessor directive '#%.*s' (sonde knows #include, #define, #undef, #if, #ifdef, #ifndef, #elif, #else, #endif, #error)",
			 (int)wn, w);
	}
}

/* Reads the directive at s[i] ('#') to its end: continued lines joined,
 * comments as blanks (a block comment may run over lines). Returns the end
 * (at the '\n' or n); *lines counts the newlines inside. */
static size_t read_directive(const char *s, size_t n, size_t i, struct pp_buf *text, int *lines)
{
	*lines = 0;
	i++;
	while (i < n && s[i] != '\n') {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\n') {
			(*lines)++;
			i += 2;
			continue;
		}
		size_t end = skip_comment(s, n, i);
		if (end > i) {
			for (size_t k = i; k < end; k++)
				*lines += s[k] == '\n';
			buf_addc(text, ' ');
			i = end;
			continue;
		}
		if (s[i] == '"' || s[i] == '\'') {
			end = skip_quoted(s, n, i);
			buf_add(text, s + i, end - i);
			i = end;
			continue;
		}
		buf_addc(text, s[i++]);
	}
	if (!text->s)
		buf_add(text, "", 0);
	return i;
}

/* The directive starting at s[i] ('#') on line `line`, acted on. Returns
 * where it ends; *lines counts the line breaks it spans. */
static size_t pp_directive_at(struct pp *pp, const char *s, size_t n, size_t i, int line, int *lines)
{
	struct pp_buf text = { 0 };
	int col = 1;
	for (size_t k = i; k > 0 && s[k - 1] != '\n'; k--)
		col++;
	size_t end = read_directive(s, n, i, &text, lines);
	srcloc at = { line, col, line, col + (int)(strcspn(s + i, "\n\\")) };
	pp_directive(pp, text.s, at);
	free(text.s);
	return end;
}

/* The end of the piece of text starting at s[i] that holds no directive:
 * the end of its line, stretched over any comment, string or macro call
 * that crosses it. */
static size_t piece_end(struct pp *pp, const char *s, size_t n, size_t i)
{
	size_t end = i;
	while (end < n && s[end] != '\n') {
		size_t e = skip_opaque(s, n, end);
		if (e > end) {
			end = e;
			continue;
		}
		if (!is_ident_start(s[end])) {
			end++;
			continue;
		}
		size_t w = end;
		while (w < n && is_ident_char(s[w]))
			w++;
		struct pp_macro *m = pp_find(pp, s + end, w - end);
		if (m && m->funclike) {
			size_t k = w;
			while (k < n && isspace((unsigned char)s[k]))
				k++;
			struct pp_args a;
			int nl;
			size_t close = k < n && s[k] == '(' ? read_args(s, n, k, &a, &nl) : 0;
			if (close) {
				args_free(&a);
				w = close;
			}
		}
		end = w;
	}
	return end;
}

/* An included file holds only preprocessor lines: reports (once, true)
 * anything in s[i, end) but blanks and comments. */
static bool only_comments(struct pp *pp, const char *s, size_t i, size_t end, int line)
{
	for (size_t k = i; k < end; k++) {
		size_t e = skip_comment(s, end, k);
		if (e > k) {
			k = e - 1;
			continue;
		}
		if (!isspace((unsigned char)s[k])) {
			pp_error(pp, (srcloc){ line, 1, line, 1 },
				 "an included file may hold only preprocessor lines and comments (kernel types come from BTF; put C definitions in the script)");
			return true;
		}
	}
	return false;
}

/* One file: directives acted on, the rest (when emit) copied to out with
 * macros expanded; read but not kept otherwise (included files hold only
 * preprocessor lines). */
static void pp_file(struct pp *pp, const char *s, size_t n, struct pp_buf *out, bool emit,
		    int first_line)
{
	int line = first_line;
	bool line_start = true;
	int ncond_at_start = pp->ncond;
	bool warned_text = false;
	for (size_t i = 0; i < n;) {
		char c = s[i];
		if (line_start && (c == ' ' || c == '\t')) {
			if (emit && pp->active)
				buf_addc(out, c);
			i++;
			continue;
		}
		/* "#!" is left to the lexer (a shebang, or misplaced one) */
		if (line_start && c == '#' && !(i + 1 < n && s[i + 1] == '!')) {
			int lines;
			i = pp_directive_at(pp, s, n, i, line, &lines);
			line += lines;
			if (emit)
				for (int k = 0; k < lines; k++)
					buf_addc(out, '\n');
			line_start = false;
			continue;
		}
		if (c == '\n') {
			if (emit)
				buf_addc(out, '\n');
			line++;
			i++;
			line_start = true;
			continue;
		}
		if (!pp->active) {
			line_start = false;
			i++;
			continue;
		}
		line_start = false;
		size_t end = piece_end(pp, s, n, i);
		if (!emit) {
			if (!warned_text)
				warned_text = only_comments(pp, s, i, end, line);
			for (size_t k = i; k < end; k++)
				line += s[k] == '\n';
			i = end;
			continue;
		}
		srcloc at = { line, 1, line, 1 };
		for (size_t k = i; k > 0 && s[k - 1] != '\n'; k--)
			at.col = ++at.end_col;
		pp->piece = s + i;
		char *x = expand(pp, s + i, end - i, NULL, at);
		pp->piece = NULL;
		buf_add(out, x, strlen(x));
		free(x);
		for (size_t k = i; k < end; k++)
			line += s[k] == '\n';
		i = end;
	}
	while (pp->ncond > ncond_at_start) {
		struct pp_cond *c = &pp->conds[--pp->ncond];
		pp_error(pp, c->loc, "unterminated %s: no #endif", c->what);
		pp->active = c->parent_active;
	}
}

bool preproc_needed(const char *text, size_t len)
{
	bool line_start = true;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '\n') {
			line_start = true;
		} else if (c == '#' && line_start) {
			if (!(i + 1 < len && text[i + 1] == '!'))
				return true;
			line_start = false;
		} else if (c != ' ' && c != '\t') {
			line_start = false;
		}
	}
	return false;
}

char *preproc_run(const struct source *src, struct diag *d, size_t *out_len)
{
	char *dir = xstrdup(src->name ? src->name : ".");
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	struct pp pp = { .d = d, .dir = dir, .active = true };
	/* bpftrace defines it when the kernel has BTF; sonde always reads
	 * kernel types from BTF. */
	pp_define_simple(&pp, "BPFTRACE_HAVE_BTF", "1");
	/* --include: before line 1, so an error in one points at line 1 */
	for (int i = 0; i < src->nincludes; i++) {
		const char *name = src->includes[i];
		srcloc at = { 1, 1, 1, 1 };
		char cwd[4096];
		char *line;
		if (access(name, R_OK) != 0)
			line = xasprintf("<%s>", name);
		else if (name[0] != '/' && getcwd(cwd, sizeof(cwd)))
			line = xasprintf("\"%s/%s\"", cwd, name); /* relative to where sonde runs */
		else
			line = xasprintf("\"%s\"", name);
		pp_include(&pp, line, at);
		free(line);
	}
	struct pp_buf out = { 0 };
	pp_file(&pp, src->text, src->len, &out, true, 1);
	while (pp.macros) {
		struct pp_macro *m = pp.macros;
		pp.macros = m->next;
		pp_macro_free(m);
	}
	free(dir);
	*out_len = out.len;
	return buf_take(&out);
}
