/* ast.c - AST constructors, freeing, the -d ast / -d types dump, and the
 * small helpers on types and operators that every stage shares.
 *
 * Freeing walks with its own explicit stack, so no tree shape can exhaust
 * the C stack; the dump recurses, which is safe because the parser refuses
 * trees deeper than a thousand levels. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"

/* ---- operators ---------------------------------------------------------- */

const char *binop_spelling(enum binop op)
{
	static const char *const spelling[] = {
		[OP_NONE] = "", [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*",
		[OP_DIV] = "/", [OP_MOD] = "%", [OP_AND] = "&", [OP_OR] = "|",
		[OP_XOR] = "^", [OP_SHL] = "<<", [OP_SHR] = ">>", [OP_EQ] = "==",
		[OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">",
		[OP_GE] = ">=", [OP_LAND] = "&&", [OP_LOR] = "||",
	};
	if ((unsigned)op >= sizeof(spelling) / sizeof(spelling[0]))
		return "?";
	return spelling[op];
}

/* ---- constructors ------------------------------------------------------- */

struct node *ast_new(enum node_kind kind, srcloc loc)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->loc = loc;
	n->index = -1;
	return n;
}

struct node *ast_new_binary(enum binop op, struct node *lhs, struct node *rhs, srcloc loc)
{
	struct node *n = ast_new(N_BINARY, loc);
	n->op = (int)op;
	n->lhs = lhs;
	n->rhs = rhs;
	return n;
}

struct node *ast_new_unary(int op, struct node *lhs, srcloc loc)
{
	struct node *n = ast_new(N_UNARY, loc);
	n->op = op;
	n->lhs = lhs;
	return n;
}

struct type_spec *ast_new_spec(enum spec_kind kind, char *name, srcloc loc)
{
	struct type_spec *s = xcalloc(1, sizeof(*s));
	s->kind = kind;
	s->name = name;
	s->loc = loc;
	return s;
}

const char *ast_spec_text(const struct type_spec *s, char *buf, size_t len)
{
	static const char *const prefix[] = { [SPEC_NAME] = "", [SPEC_STRUCT] = "struct ",
					      [SPEC_UNION] = "union ", [SPEC_ENUM] = "enum ",
					      [SPEC_TYPEOF] = "typeof(...)" };
	size_t at = (size_t)snprintf(buf, len, "%s%s", prefix[s->kind], s->name ? s->name : "");
	for (int i = 0; i < s->nsuffix && at < len; i++) {
		if (s->suffix[i] == SPEC_PTR)
			at += (size_t)snprintf(buf + at, len - at, "%s*", i == 0 ? " " : "");
		else if (s->suffix[i] == SPEC_ARRAY_UNSIZED)
			at += (size_t)snprintf(buf + at, len - at, "[]");
		else
			at += (size_t)snprintf(buf + at, len - at, "[%u]", (unsigned)s->suffix[i]);
	}
	return buf;
}

/* ---- freeing ------------------------------------------------------------ */

void ast_free_spec(struct type_spec *s)
{
	if (!s)
		return;
	free(s->name);
	ast_free_node(s->expr);
	free(s);
}

void ast_free_enumerators(struct cdef_enumerator *e)
{
	for (struct cdef_enumerator *next; e; e = next) {
		next = e->next;
		free(e->name);
		free(e);
	}
}

void ast_free_cdefs(struct cdef *d)
{
	while (d) {
		struct cdef *next = d->next;
		for (struct cdef_member *m = d->members, *mn; m; m = mn) {
			mn = m->next;
			free(m->spec.name);
			free(m->name);
			ast_free_cdefs(m->nested);
			free(m);
		}
		ast_free_enumerators(d->enumerators);
		free(d->name);
		free(d);
		d = next;
	}
}

/* ---- copying ------------------------------------------------------------ */

static struct node *copy_list(const struct node *n);

/* Before sema, which sets what this does not copy (members). Recursion is
 * bounded by the parser's depth limit, as for the dump. */
struct node *ast_copy_node(const struct node *n)
{
	if (!n)
		return NULL;
	struct node *c = xmalloc(sizeof(*c));
	*c = *n;
	c->next = NULL;
	c->name = n->name ? xstrdup(n->name) : NULL;
	if (n->str) {
		c->str = xmalloc(n->str_len + 1);
		memcpy(c->str, n->str, n->str_len + 1);
	}
	if (n->spec) {
		c->spec = xmalloc(sizeof(*c->spec));
		*c->spec = *n->spec;
		c->spec->name = n->spec->name ? xstrdup(n->spec->name) : NULL;
		c->spec->expr = ast_copy_node(n->spec->expr);
	}
	c->members = NULL; /* sema's; not set before sema */
	c->lhs = ast_copy_node(n->lhs);
	c->rhs = ast_copy_node(n->rhs);
	c->cond = ast_copy_node(n->cond);
	c->then = ast_copy_node(n->then);
	c->els = ast_copy_node(n->els);
	c->args = copy_list(n->args);
	c->body = copy_list(n->body);
	return c;
}

static struct node *copy_list(const struct node *n)
{
	struct node *head = NULL, **tail = &head;
	for (; n; n = n->next) {
		*tail = ast_copy_node(n);
		tail = &(*tail)->next;
	}
	return head;
}

void ast_free_node(struct node *root)
{
	if (!root)
		return;
	size_t cap = 64, len = 0;
	struct node **stack = xmalloc(cap * sizeof(*stack));
	stack[len++] = root;
	while (len) {
		struct node *n = stack[--len];
		struct node *kids[] = { n->lhs, n->rhs, n->cond, n->then, n->els,
					n->args, n->body, n->next };
		if (len + sizeof(kids) / sizeof(kids[0]) > cap)
			stack = xrealloc(stack, (cap *= 2) * sizeof(*stack));
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			if (kids[i])
				stack[len++] = kids[i];
		free(n->name);
		free(n->str);
		free(n->members);
		ast_free_spec(n->spec);
		free(n);
	}
	free(stack);
}

void ast_free_program(struct program *p)
{
	if (!p)
		return;
	for (struct config_item *c = p->config, *next; c; c = next) {
		next = c->next;
		free(c->key);
		free(c->str);
		free(c);
	}
	for (struct probe *pr = p->probes, *next_probe; pr; pr = next_probe) {
		next_probe = pr->next;
		for (struct attach_point *ap = pr->points, *next; ap; ap = next) {
			next = ap->next;
			free(ap->text);
			free(ap);
		}
		for (struct var_info *v = pr->vars, *next; v; v = next) {
			next = v->next;
			free(v->name);
			free(v);
		}
		ast_free_node(pr->pred);
		ast_free_node(pr->body);
		free(pr->targets);
		free(pr);
	}
	for (struct map_decl *md = p->map_decls, *next; md; md = next) {
		next = md->next;
		free(md->name);
		free(md->kind);
		free(md);
	}
	for (struct map_info *m = p->maps, *next; m; m = next) {
		next = m->next;
		free(m->name);
		free(m);
	}
	ast_free_cdefs(p->cdefs);
	type_arena_free(p->types);
	free(p);
}

/* ---- dump --------------------------------------------------------------- */

static void dump_string(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		case '\\': fputs("\\\\", out); break;
		case '"': fputs("\\\"", out); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				fprintf(out, "\\x%02x", c);
			else
				fputc(c, out);
		}
	}
	fputc('"', out);
}

static bool is_expression(const struct node *n)
{
	return n->kind < N_EXPR_STMT;
}

/* The node's own line, without children. */
static void dump_head(FILE *out, const struct node *n)
{
	char buf[96];
	switch (n->kind) {
	case N_BOOL: fputs(n->ival ? "bool true" : "bool false", out); break;
	case N_INT:
		fprintf(out, "int %" PRIu64 "%s", n->ival, n->is_unsigned ? "u" : "");
		break;
	case N_STR:
		fputs("string ", out);
		dump_string(out, n->str ? n->str : "", n->str_len);
		break;
	case N_BUILTIN: fprintf(out, "builtin %s", n->name); break;
	case N_POSITIONAL: fprintf(out, "positional %s", n->name); break;
	case N_VAR: fprintf(out, "var %s", n->name); break;
	case N_MAP: fprintf(out, "map %s", n->name); break;
	case N_UNARY: fprintf(out, "unary %c", n->op); break;
	case N_BINARY: fprintf(out, "binary %s", binop_spelling((enum binop)n->op)); break;
	case N_TERNARY: fputs("ternary", out); break;
	case N_CALL: fprintf(out, "call %s", n->name); break;
	case N_FIELD: fprintf(out, "field %s%s", n->is_arrow ? "->" : ".", n->name); break;
	case N_CAST: fprintf(out, "cast %s", ast_spec_text(n->spec, buf, sizeof(buf))); break;
	case N_INDEX: fputs("index", out); break;
	case N_TUPLE: fputs("tuple", out); break;
	case N_RECORD: fputs("record", out); break;
	case N_NAMED: fprintf(out, "named %s", n->name); break;
	case N_SIZEOF:
		if (n->spec)
			fprintf(out, "sizeof %s", ast_spec_text(n->spec, buf, sizeof(buf)));
		else
			fputs("sizeof", out);
		break;
	case N_OFFSETOF: fprintf(out, "offsetof %s", n->spec ? ast_spec_text(n->spec, buf, sizeof(buf)) : ""); break;
	case N_BLOCK_EXPR: fputs("block expression", out); break;
	case N_COMPTIME: fputs("comptime", out); break;
	case N_TYPEARG: fprintf(out, "type %s", ast_spec_text(n->spec, buf, sizeof(buf))); break;
	case N_INCDEC:
		fprintf(out, "%s %s", n->is_prefix ? "prefix" : "postfix", n->op == '+' ? "++" : "--");
		break;
	case N_EXPR_STMT: fputs("expr", out); break;
	case N_ASSIGN: fprintf(out, "assign %s=", binop_spelling((enum binop)n->op)); break;
	case N_IF: fputs("if", out); break;
	case N_BLOCK: fputs("block", out); break;
	case N_LET: fprintf(out, "let%s%s", n->spec ? " : " : "", n->spec ? ast_spec_text(n->spec, buf, sizeof(buf)) : ""); break;
	case N_WHILE: fputs("while", out); break;
	case N_UNROLL: fputs("unroll", out); break;
	case N_FOR: fputs("for", out); break;
	case N_RANGE: fputs("range", out); break;
	case N_BREAK: fputs("break", out); break;
	case N_CONTINUE: fputs("continue", out); break;
	case N_RETURN: fputs("return", out); break;
	}
}

static void dump_node(FILE *out, const struct node *n, int depth, bool with_types);

static void dump_list(FILE *out, const struct node *n, int depth, bool with_types)
{
	for (; n; n = n->next)
		dump_node(out, n, depth, with_types);
}

static void dump_node(FILE *out, const struct node *n, int depth, bool with_types)
{
	fprintf(out, "%*s", depth * 2, "");
	dump_head(out, n);
	if (with_types && is_expression(n)) {
		char buf[256];
		fprintf(out, " : %s", type_name(n->type, buf, sizeof(buf)));
	}
	fputc('\n', out);
	if (n->cond)
		dump_node(out, n->cond, depth + 1, with_types);
	if (n->lhs)
		dump_node(out, n->lhs, depth + 1, with_types);
	if (n->rhs)
		dump_node(out, n->rhs, depth + 1, with_types);
	if (n->then)
		dump_node(out, n->then, depth + 1, with_types);
	if (n->els) {
		if (n->kind == N_IF) {
			fprintf(out, "%*selse\n", (depth + 1) * 2, "");
			dump_node(out, n->els, depth + 2, with_types);
		} else {
			dump_node(out, n->els, depth + 1, with_types);
		}
	}
	dump_list(out, n->args, depth + 1, with_types);
	dump_list(out, n->body, depth + 1, with_types);
}

void ast_dump(FILE *out, const struct program *p, bool with_types)
{
	for (const struct map_decl *md = p->map_decls; md; md = md->next)
		fprintf(out, "let %s = %s(%llu)\n", md->name, md->kind, (unsigned long long)md->max_entries);
	for (const struct probe *pr = p->probes; pr; pr = pr->next) {
		fprintf(out, "probe %d:", pr->index);
		for (const struct attach_point *ap = pr->points; ap; ap = ap->next)
			fprintf(out, "%s %s", ap == pr->points ? "" : ",", ap->text);
		fputc('\n', out);
		if (pr->pred) {
			fputs("  predicate\n", out);
			dump_node(out, pr->pred, 2, with_types);
		}
		if (pr->body)
			dump_node(out, pr->body, 1, with_types);
	}
}
