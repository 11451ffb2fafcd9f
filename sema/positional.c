/* positional.c - $1..$N and $# become literals before anything is typed,
 * and $1..$N in attach points become text before the probes are expanded.
 *
 * A positional parameter that reads fully as an integer (decimal, or hex with
 * 0x) becomes an N_INT, anything else an N_STR, so the rest of sema and
 * codegen only ever see literals. As in bpftrace, a parameter that was not
 * given is 0, or "" where a string is wanted. Inside str() a parameter is
 * always the string as given (str($1) with $1 = "123" is "123", as in
 * bpftrace), so str() never reads memory at an address taken from the command line.
 * Negated integer literals are folded here too, so that `lhist(x, -10, 10, 1)`
 * and `print(@m, -1)` see constants. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "intlit.h"
#include "probe.h"
#include "sema_internal.h"

static bool parse_int_text(const char *text, uint64_t *out)
{
	const char *p = text;
	bool negative = false;
	if (*p == '-' || *p == '+')
		negative = *p++ == '-';
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		base = 8; /* 0775 is octal, as bpftrace reads it */
	}
	if (!*p)
		return false;
	for (const char *c = p; *c; c++)
		if (base == 16 ? !isxdigit((unsigned char)*c) : !isdigit((unsigned char)*c) || (base == 8 && *c > '7'))
			return false;
	errno = 0;
	unsigned long long v = strtoull(p, NULL, base);
	if (errno == ERANGE)
		return false;
	*out = negative ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	return true;
}

static void make_int(struct node *n, uint64_t v)
{
	free(n->name);
	n->name = NULL;
	n->kind = N_INT;
	n->ival = v;
	n->is_unsigned = false;
	n->is_negative = (int64_t)v < 0;
}

static void make_str(struct node *n, const char *text)
{
	free(n->name);
	n->name = NULL;
	n->kind = N_STR;
	n->str = xstrdup(text);
	n->str_len = strlen(text);
	n->ival = 0;
}

static void substitute(struct sema *s, struct node *n, bool want_string)
{
	if (n->name && strcmp(n->name, "$#") == 0) {
		make_int(n, (uint64_t)s->opt->npositional);
		return;
	}
	uint64_t index = n->ival, v;
	if (index >= 1 && index <= (uint64_t)s->opt->npositional) {
		const char *text = s->opt->positional[index - 1];
		if (!want_string && parse_int_text(text, &v))
			make_int(n, v);
		else
			make_str(n, text);
	} else if (want_string) {
		make_str(n, "");
	} else {
		make_int(n, 0);
	}
}

static void visit(struct sema *s, struct node *n, bool want_string);

static void visit_list(struct sema *s, struct node *n)
{
	for (; n; n = n->next)
		visit(s, n, false);
}

/* -5 is one literal; -5u stays a negation of an unsigned literal. */
static void fold_negation(struct node *n)
{
	struct node *lit = n->lhs;
	if (n->op != '-' || !lit || lit->kind != N_INT || lit->is_unsigned)
		return;
	uint64_t v = (uint64_t)0 - lit->ival;
	ast_free_node(lit);
	n->lhs = NULL;
	n->kind = N_INT;
	n->ival = v;
	n->is_unsigned = false;
	n->is_negative = v != 0;
	n->op = 0;
}

static void visit(struct sema *s, struct node *n, bool want_string)
{
	if (!n)
		return;
	if (n->kind == N_POSITIONAL) {
		substitute(s, n, want_string);
		return;
	}
	if (n->kind == N_CALL && n->name && strcmp(n->name, "str") == 0 && n->args) {
		visit(s, n->args, true);
		visit_list(s, n->args->next);
		return;
	}
	/* str($1 + 2): the string is wanted on the left of the offset */
	visit(s, n->lhs, want_string && n->kind == N_BINARY && n->op == OP_ADD);
	visit(s, n->rhs, false);
	visit(s, n->cond, false);
	visit(s, n->then, false);
	visit(s, n->els, false);
	visit_list(s, n->args);
	visit_list(s, n->body);
	if (n->kind == N_UNARY)
		fold_negation(n);
}

/* ---- attach points -------------------------------------------------------
 *
 * As in bpftrace, `$N` anywhere in an attach point outside double quotes is
 * replaced by the parameter's text before the provider reads the spec
 * (`interval:ms:$1`, `tracepoint:syscalls:sys_enter_$1`). Unlike bpftrace,
 * which substitutes "" and then fails on the result ("stoull", "tracepoint
 * not found: syscalls:sys_enter_"), a parameter that was not given is an
 * error at the `$N`, and so is one that is not a number where the provider
 * needs one. `$#` and `$0` are not substituted there (bpftrace rejects them
 * too). */

struct ap_param {
	uint64_t index;  /* N of $N */
	size_t at, len;  /* where its value lies in the expanded text */
	srcloc loc;      /* where $N is written */
};

struct ap_expansion {
	struct util_strbuf text;
	struct ap_param params[16]; /* the first 16 are checked as numbers */
	int nparams;
	bool failed;
};

/* The span of text[at, at + len) in the script: attach points are one line. */
static srcloc span_loc(const struct attach_point *ap, size_t at, size_t len)
{
	if (ap->loc.line != ap->loc.end_line)
		return ap->loc;
	return (srcloc){ ap->loc.line, ap->loc.col + (int)at, ap->loc.line, ap->loc.col + (int)(at + len) };
}

/* Substitutes the `$...` at ap->text[at]; returns the bytes it spans. */
static size_t substitute_in_attach_point(struct sema *s, const struct attach_point *ap, size_t at,
					 struct ap_expansion *e)
{
	const char *p = ap->text + at + 1;
	size_t digits = strspn(p, "0123456789");
	srcloc loc = span_loc(ap, at, 1 + (digits ? digits : (*p ? 1 : 0)));
	e->failed = true;
	if (digits == 0 && *p == '#') {
		sema_err(s, loc, "'$#' cannot be used in an attach point: only $1, $2, ... are substituted there");
		return 2;
	}
	if (digits == 0) {
		sema_err(s, loc, "'$%.1s' in an attach point is not a positional parameter ($1, $2, ...)", p);
		return *p ? 2 : 1;
	}
	if (*p == '0') {
		sema_err(s, loc, "invalid positional parameter '$%.*s' (they are $1, $2, ...)", (int)digits, p);
		return 1 + digits;
	}
	errno = 0;
	uint64_t index = strtoull(p, NULL, 10);
	if (errno || index > (uint64_t)s->opt->npositional) {
		/* one error per missing parameter, however many attach points use it */
		uint64_t bit = index < 64 ? 1ull << index : 1ull << 63;
		if (s->unset_reported & bit)
			return 1 + digits;
		s->unset_reported |= bit;
		if (s->opt->npositional == 0)
			sema_err(s, loc, "positional parameter $%.*s is not set (no parameters follow the program)",
				 (int)digits, p);
		else
			sema_err(s, loc, "positional parameter $%.*s is not set (%d given)", (int)digits, p,
				 s->opt->npositional);
		return 1 + digits;
	}
	e->failed = false;
	const char *value = s->opt->positional[index - 1];
	if (e->nparams < (int)(sizeof(e->params) / sizeof(e->params[0])))
		e->params[e->nparams++] = (struct ap_param){ index, e->text.len, strlen(value), loc };
	util_strbuf_addstr(&e->text, value);
	return 1 + digits;
}

/* Field `field` (1 = the first after "name:") of the expanded spec, if it
 * has exactly nfields fields. */
static bool find_field(const char *text, int field, int nfields, size_t *begin, size_t *end)
{
	const char *colon = strchr(text, ':');
	int i = 0;
	while (colon) {
		const char *start = colon + 1;
		colon = strchr(start, ':');
		if (++i == field) {
			*begin = (size_t)(start - text);
			*end = colon ? (size_t)(colon - text) : strlen(text);
		}
	}
	return i == nfields && field >= 1 && field <= nfields;
}

/* Where the provider needs a number, a parameter that made it something
 * else is named (the provider would only see the result). */
static void check_number_field(struct sema *s, struct ap_expansion *e)
{
	size_t name_len = strcspn(e->text.buf, ":");
	char *name = xstrndup(e->text.buf, name_len);
	const struct probe_provider *prov = probe_provider_find(name);
	free(name);
	size_t begin = 0, end = 0;
	if (!prov || !prov->number_field ||
	    !find_field(e->text.buf, prov->number_field, prov->number_nfields, &begin, &end))
		return;
	struct intlit lit;
	if (intlit_parse(e->text.buf + begin, end - begin, false, &lit, NULL, 0) != INTLIT_INVALID)
		return;
	for (int i = 0; i < e->nparams; i++) {
		const struct ap_param *prm = &e->params[i];
		if (prm->at + prm->len < begin || prm->at > end)
			continue;
		sema_err(s, prm->loc, "positional parameter $%llu is '%.*s', not a number",
			 (unsigned long long)prm->index, (int)(prm->len > 40 ? 40 : prm->len),
			 e->text.buf + prm->at);
		e->failed = true;
		return;
	}
}

static void expand_attach_point(struct sema *s, struct attach_point *ap)
{
	if (!strchr(ap->text, '$'))
		return;
	struct ap_expansion e = { 0 };
	bool in_quotes = false, failed = false;
	util_strbuf_add(&e.text, "", 0);
	for (size_t i = 0; ap->text[i];) {
		char c = ap->text[i];
		if (c == '"')
			in_quotes = !in_quotes;
		if (c != '$' || in_quotes) {
			util_strbuf_add(&e.text, &c, 1);
			i++;
			continue;
		}
		i += substitute_in_attach_point(s, ap, i, &e);
		failed |= e.failed;
	}
	if (!failed)
		check_number_field(s, &e);
	if (failed || e.failed) {
		ap->unusable = true;
		free(e.text.buf);
		return;
	}
	free(ap->text);
	ap->text = e.text.buf;
}

void sema_substitute_positionals(struct sema *s)
{
	for (struct probe *p = s->prog->probes; p; p = p->next) {
		for (struct attach_point *ap = p->points; ap; ap = ap->next)
			expand_attach_point(s, ap);
		visit(s, p->pred, false);
		visit(s, p->body, false);
	}
}
