/* positional.c - $1..$N and $# become literals before anything is typed.
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
	}
	if (!*p)
		return false;
	for (const char *c = p; *c; c++)
		if (base == 16 ? !isxdigit((unsigned char)*c) : !isdigit((unsigned char)*c))
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

void sema_substitute_positionals(struct sema *s)
{
	for (struct probe *p = s->prog->probes; p; p = p->next) {
		visit(s, p->pred, false);
		visit(s, p->body, false);
	}
}
