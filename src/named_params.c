/* named_params.c - getopt("name", default) and the `--name=value`
 * parameters after `--` on the command line.
 *
 * The value is known before the program is compiled, so every getopt()
 * call becomes a literal of its default's type (bool without a default)
 * before sema, as $1 does: sema and codegen only see literals. A named
 * parameter no getopt() asks for is an error, as in bpftrace. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "named_params.h"
#include "util.h"

struct named_state {
	struct diag *d;
	char **named;   /* "--name" or "--name=value" */
	int nnamed;
	bool *used;
	char **asked;   /* names getopt() asked for, for the hint */
	char **descs;   /* and their descriptions (NULL: none) */
	int nasked;
};

/* The value given for name: NULL when absent; "" after a bare --name. */
static const char *named_value(struct named_state *st, const char *name, bool *given)
{
	size_t n = strlen(name);
	*given = false;
	const char *v = NULL;
	for (int i = 0; i < st->nnamed; i++) {
		const char *a = st->named[i] + 2;
		if (strncmp(a, name, n) != 0 || (a[n] && a[n] != '='))
			continue;
		st->used[i] = true;
		*given = true;
		v = a[n] == '=' ? a + n + 1 : "";
	}
	return v;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!*v || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* Decimal or 0x hex, with a sign; values above INT64_MAX are unsigned. */
static bool parse_int(const char *v, uint64_t *out, bool *negative)
{
	const char *p = v;
	*negative = false;
	if (*p == '-' || *p == '+')
		*negative = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		return false;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(p, &end, 0);
	if (errno || *end || (*negative && n > (unsigned long long)INT64_MAX + 1))
		return false;
	*out = *negative ? 0 - (uint64_t)n : (uint64_t)n;
	return true;
}

static void make_int(struct node *n, uint64_t v, bool negative)
{
	n->kind = N_INT;
	n->ival = v;
	n->is_negative = negative && v != 0;
	n->is_unsigned = !negative && v > (uint64_t)INT64_MAX;
}

/* The default as written: an integer literal (maybe negated), a bool or a
 * string. */
static bool literal_default(const struct node *a, enum node_kind *kind, uint64_t *v, bool *negative)
{
	*negative = false;
	if (a->kind == N_UNARY && a->op == '-' && a->lhs && a->lhs->kind == N_INT) {
		*kind = N_INT;
		*v = 0 - a->lhs->ival;
		*negative = true;
		return true;
	}
	if (a->kind != N_INT && a->kind != N_BOOL && a->kind != N_STR)
		return false;
	*kind = a->kind;
	*v = a->ival;
	*negative = a->kind == N_INT && a->is_negative;
	return true;
}

/* An option getopt() asks for, once each, for the hints. */
static void remember_option(struct named_state *st, const char *name, const char *desc)
{
	st->asked = xrealloc(st->asked, sizeof(char *) * (size_t)(st->nasked + 1));
	st->descs = xrealloc(st->descs, sizeof(char *) * (size_t)(st->nasked + 1));
	st->descs[st->nasked] = desc ? xstrdup(desc) : NULL;
	st->asked[st->nasked++] = xstrdup(name);
}

static void resolve_call(struct named_state *st, struct node *n)
{
	struct node *name = n->args, *def = name ? name->next : NULL, *desc = def ? def->next : NULL;
	if (!name || name->kind != N_STR || (desc && (desc->kind != N_STR || desc->next))) {
		diag_error(st->d, n->loc,
			   "getopt takes a name (a string literal), a default value and a description: getopt(\"name\"[, default[, \"description\"]])");
		return;
	}
	enum node_kind kind = N_BOOL;
	uint64_t v = 0;
	bool negative = false;
	if (def && !literal_default(def, &kind, &v, &negative)) {
		diag_error(st->d, def->loc, "the default of getopt must be an integer, a bool or a string literal");
		return;
	}
	bool seen = false;
	for (int i = 0; i < st->nasked; i++)
		seen = seen || strcmp(st->asked[i], name->str) == 0;
	if (!seen)
		remember_option(st, name->str, desc ? desc->str : NULL);
	bool given;
	const char *text = named_value(st, name->str, &given);
	if (given && kind == N_INT && !parse_int(text, &v, &negative)) {
		diag_error(st->d, n->loc, "command line option --%s: invalid integer (value: %s)", name->str, text);
		return;
	}
	bool b = v != 0;
	if (given && kind == N_BOOL && !parse_bool(text, &b)) {
		diag_error(st->d, n->loc, "command line option --%s: invalid bool (value: %s); true, false, 1 or 0",
			   name->str, text);
		return;
	}
	char *str = kind == N_STR ? xstrdup(given ? text : def->str) : NULL;
	srcloc loc = n->loc;
	struct node *next = n->next;
	n->next = NULL;
	/* the call's arguments go; the node stays where it is in the tree */
	ast_free_node(n->args);
	free(n->name);
	memset(n, 0, sizeof(*n));
	n->loc = loc;
	n->next = next;
	n->index = -1;
	if (kind == N_STR) {
		n->kind = N_STR;
		n->str = str;
		n->str_len = strlen(str);
	} else if (kind == N_BOOL) {
		n->kind = N_BOOL;
		n->ival = b;
	} else {
		make_int(n, v, negative);
	}
}

static void walk(struct named_state *st, struct node *n)
{
	for (; n; n = n->next) {
		if (n->kind == N_CALL && strcmp(n->name, "getopt") == 0) {
			resolve_call(st, n);
			continue;
		}
		walk(st, n->lhs);
		walk(st, n->rhs);
		walk(st, n->cond);
		walk(st, n->then);
		walk(st, n->els);
		walk(st, n->args);
		walk(st, n->body);
	}
}

int named_params_resolve(struct program *prog, char **named, int nnamed, struct diag *d)
{
	struct named_state st = { .d = d, .named = named, .nnamed = nnamed };
	st.used = xcalloc((size_t)nnamed + 1, sizeof(bool));
	int errors = d->errors;
	for (struct probe *p = prog->probes; p; p = p->next) {
		/* one node at a time: walk() follows `next`, a probe's pred has none */
		walk(&st, p->pred);
		walk(&st, p->body);
	}
	/* `-- --help`: the script's options and what they are for */
	bool help = false;
	for (int i = 0; i < nnamed; i++)
		if (!st.used[i] && strcmp(named[i], "--help") == 0)
			help = st.used[i] = true;
	if (help && d->errors == errors) {
		fputs(st.nasked ? "HINT: expected program options:\n" : "HINT: no custom program options defined.\n",
		      d->out);
		for (int i = 0; i < st.nasked; i++)
			fprintf(d->out, "--%s%s%s\n", st.asked[i], st.descs[i] ? ": " : "",
				st.descs[i] ? st.descs[i] : "");
	}
	int unexpected = 0;
	for (int i = 0; i < nnamed && d->errors == errors; i++)
		if (!st.used[i])
			unexpected++;
	if (unexpected) {
		char *list = xstrdup("");
		for (int i = 0; i < nnamed; i++) {
			if (st.used[i])
				continue;
			char *next = xasprintf("%s%s%.*s", list, *list ? ", " : "",
					       (int)strcspn(named[i], "="), named[i]);
			free(list);
			list = next;
		}
		char *asked = xstrdup("");
		for (int i = 0; i < st.nasked; i++) {
			char *next = xasprintf("%s%s--%s", asked, i ? ", " : "the script's options: ", st.asked[i]);
			free(asked);
			asked = next;
		}
		diag_error(d, (srcloc){ 0 }, "unexpected program command line option%s: %s (%s)",
			   unexpected == 1 ? "" : "s", list,
			   st.nasked ? asked : "the script calls no getopt()");
		free(list);
		free(asked);
	}
	for (int i = 0; i < st.nasked; i++) {
		free(st.asked[i]);
		free(st.descs[i]);
	}
	free(st.asked);
	free(st.descs);
	free(st.used);
	return d->errors == errors && !help ? 0 : -1;
}
