/* types.c - the type of every expression.
 *
 * Rules (bpftrace's, simplified to what BPF registers hold): integers are
 * computed in 64 bits; a literal is int64 (uint64 with a u suffix);
 * arithmetic and bitwise results are 8-byte integers, unsigned if either side
 * is; comparisons, && || ! give int64 0/1; only == and != apply to strings.
 * An expression that failed gets TY_NONE and nothing reports on a TY_NONE
 * operand again, so one mistake makes one error. */
#include <stdlib.h>
#include <string.h>

#include "language.h"
#include "sema_internal.h"
#include "suggest.h"

static struct type set_type(struct node *n, struct type t)
{
	n->type = t;
	return t;
}

/* arg0..argN: N, or -1 when the number is absurd. */
static long arg_number(const char *name)
{
	if (strlen(name) > 7)
		return -1;
	return strtol(name + 3, NULL, 10);
}

/* A builtin sonde has, used in one of this action's probes where sonde
 * does not provide it: either bpftrace has it there too (so sonde lacks
 * it) or nobody does. */
static bool check_builtin_probes(struct sema *s, struct node *n, const struct stdlib_var *v)
{
	bool is_argn = strcmp(v->name, "arg") == 0;
	for (int i = 0; i < s->curst->ngroups; i++) {
		const struct prog_group *g = &s->groups[s->curst->groups[i]];
		if (v->probe_mask && !(v->probe_mask & PROBE_MASK(g->target.type))) {
			if (!sema_report_wrong_probe(s, n, "builtin"))
				sema_err(s, n->loc, "'%s' in %s probes is not supported by sonde yet",
					 n->name, sema_probe_name(g));
			return false;
		}
		long number = is_argn ? arg_number(n->name) : 0;
		if (is_argn && g->prov && (number < 0 || number >= g->prov->max_args)) {
			sema_err(s, n->loc, "builtin '%s' is not available in %s probes (they have arg0..arg%d)",
				 n->name, sema_probe_name(g), g->prov->max_args - 1);
			return false;
		}
	}
	return true;
}

static struct type check_builtin(struct sema *s, struct node *n, bool as_field_base)
{
	const struct stdlib_var *v = stdlib_find_var(n->name);
	if (!v) {
		sema_report_missing(s, n, false);
		return type_none();
	}
	n->builtin = v;
	const struct lang_name *l = lang_name_find(n->name);
	if (s->curst->expand_failed && l && l->probes)
		return type_none(); /* where it may be used is unknown (names.c) */
	if (!check_builtin_probes(s, n, v))
		return type_none();
	if (v->type.kind == TY_ARGS && !as_field_base) {
		sema_err(s, n->loc, "using '%s' as a whole value is not supported by sonde yet; read a field, as %s.name",
			 n->name, n->name);
		return type_none();
	}
	return v->type;
}

/* ---- args.field -------------------------------------------------------- */

static bool field_type(struct sema *s, const struct tp_format *fmt, const struct tp_field *f,
		       srcloc loc, struct type *out)
{
	if (f->is_data_loc) {
		/* __data_loc char[]: codegen copies the string found through the
		 * u32 locator; other dynamic arrays read as the raw locator. */
		*out = f->is_string ? type_str(SONDE_STRLEN) : type_int(4, false);
		return true;
	}
	if (f->is_string) {
		*out = type_str(f->size);
		return true;
	}
	if (f->is_pointer) {
		*out = type_int(8, false);
		return true;
	}
	if (f->array_len) {
		sema_err(s, loc, "field '%s' of tracepoint %s:%s is an array, which sonde cannot read",
			 f->name, fmt->category, fmt->event);
		return false;
	}
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) {
		sema_err(s, loc, "field '%s' of tracepoint %s:%s has an unsupported size (%u bytes)",
			 f->name, fmt->category, fmt->event, f->size);
		return false;
	}
	*out = type_int(f->size, f->is_signed);
	return true;
}

/* "did you mean 'filename'?" when a field is one typo away. */
static char *closest_field(const struct tp_format *fmt, const char *name)
{
	struct suggestion near;
	suggestion_init(&near, name);
	for (int i = 0; i < fmt->nfields; i++)
		suggestion_consider(&near, fmt->fields[i].name);
	return near.best;
}

static void note_fields(struct sema *s, const struct tp_format *fmt)
{
	if (s->quiet || fmt->nfields == 0)
		return;
	size_t len = 0;
	for (int i = 0; i < fmt->nfields; i++)
		len += strlen(fmt->fields[i].name) + 2;
	char *list = xmalloc(len + 1);
	list[0] = '\0';
	for (int i = 0; i < fmt->nfields; i++) {
		if (i)
			strcat(list, ", ");
		strcat(list, fmt->fields[i].name);
	}
	sema_note(s, (srcloc){ 0 }, "the fields of %s:%s are: %s", fmt->category, fmt->event, list);
	free(list);
}

static void report_unknown_field(struct sema *s, struct node *n, const struct tp_format *fmt)
{
	if (s->quiet)
		return;
	char *near = closest_field(fmt, n->name);
	if (near) {
		sema_err(s, n->loc, "tracepoint %s:%s has no field '%s'; did you mean '%s'?",
			 fmt->category, fmt->event, n->name, near);
	} else {
		sema_err(s, n->loc, "tracepoint %s:%s has no field '%s'", fmt->category, fmt->event,
			 n->name);
		note_fields(s, fmt);
	}
	free(near);
}

/* `curtask->parent`, `ctx->task`, `config.max_strlen`: a bpftrace builtin
 * whose fields come from BTF struct types, which sonde does not read. */
static struct type check_struct_builtin_field(struct sema *s, struct node *n)
{
	struct node *base = n->lhs;
	if (set_type(base, check_builtin(s, base, true)).kind == TY_NONE)
		return type_none(); /* reported (or not judged) by check_builtin */
	sema_err(s, n->loc, "reading the fields of '%s' is not supported by sonde yet (it needs BTF struct types)",
		 base->name);
	return type_none();
}

static bool is_struct_builtin(const struct node *n)
{
	if (n->kind != N_BUILTIN)
		return false;
	const struct lang_name *l = lang_name_find(n->name);
	return l && (l->flags & LANG_STRUCT);
}

/* The field must exist in every tracepoint this action is attached to; its
 * type is the first one's, widened to the largest size among them. */
static struct type check_field(struct sema *s, struct node *n)
{
	struct node *base = n->lhs;
	bool is_args = base->kind == N_BUILTIN && strcmp(base->name, "args") == 0;
	if (!is_args && is_struct_builtin(base))
		return check_struct_builtin_field(s, n);
	if (!is_args) {
		/* a failed base (`curtask->parent->pid`) was reported already */
		if (sema_expr(s, base).kind != TY_NONE)
			sema_err(s, n->loc, "fields can only be read from 'args' (tracepoint arguments)");
		return type_none();
	}
	if (set_type(base, check_builtin(s, base, true)).kind == TY_NONE)
		return type_none();
	struct type result = type_none();
	const struct tp_format *first = NULL;
	for (int i = 0; i < s->curst->ngroups; i++) {
		const struct probe_target *t = &s->groups[s->curst->groups[i]].target;
		const struct tp_format *fmt = t->format;
		if (!fmt) {
			sema_err(s, n->loc, "the format of %s is not known, so 'args' cannot be read", t->name);
			return type_none();
		}
		const struct tp_field *f = tp_format_field(fmt, n->name);
		if (!f) {
			report_unknown_field(s, n, fmt);
			return type_none();
		}
		struct type ft;
		if (!field_type(s, fmt, f, n->loc, &ft))
			return type_none();
		if (!first) {
			first = fmt;
			result = ft;
			continue;
		}
		if (ft.kind != result.kind) {
			sema_err(s, n->loc, "field '%s' is a string in one of %s:%s and %s:%s but not in the other",
				 n->name, first->category, first->event, fmt->category, fmt->event);
			return type_none();
		}
		if (ft.size > result.size)
			result.size = ft.size;
	}
	return result;
}

/* ---- operators --------------------------------------------------------- */

static struct type check_unary(struct sema *s, struct node *n)
{
	struct type t = sema_expr(s, n->lhs);
	char buf[32];
	if (t.kind == TY_NONE)
		return t;
	if (t.kind != TY_INT) {
		sema_err(s, n->loc, "invalid operand to unary '%c': %s", n->op,
			 type_name(t, buf, sizeof(buf)));
		return type_none();
	}
	if (n->op == '~')
		return type_int(8, t.is_signed);
	return type_int(8, true); /* '-' and '!' */
}

static bool is_comparison(int op) { return op >= OP_EQ && op <= OP_GE; }

static struct type check_binary(struct sema *s, struct node *n)
{
	struct type a = sema_expr(s, n->lhs), b = sema_expr(s, n->rhs);
	char ba[32], bb[32];
	if (a.kind == TY_NONE || b.kind == TY_NONE)
		return type_none();
	if (n->op == OP_EQ || n->op == OP_NE) {
		if (a.kind != b.kind) {
			sema_err(s, n->loc, "cannot compare string with integer");
			return type_none();
		}
		return type_int(8, true);
	}
	if (a.kind != TY_INT || b.kind != TY_INT) {
		sema_err(s, n->loc, "invalid operands to '%s': %s and %s", binop_spelling(n->op),
			 type_name(a, ba, sizeof(ba)), type_name(b, bb, sizeof(bb)));
		return type_none();
	}
	if ((n->op == OP_DIV || n->op == OP_MOD) && n->rhs->kind == N_INT && n->rhs->ival == 0)
		sema_err(s, n->rhs->loc, "division by zero");
	if (is_comparison(n->op) || n->op == OP_LAND || n->op == OP_LOR)
		return type_int(8, true);
	if (n->op == OP_SHL || n->op == OP_SHR)
		return type_int(8, a.is_signed);
	return type_int(8, a.is_signed && b.is_signed);
}

static struct type check_ternary(struct sema *s, struct node *n)
{
	struct type c = sema_expr(s, n->cond);
	struct type a = sema_expr(s, n->then), b = sema_expr(s, n->els);
	char ba[32], bb[32];
	if (c.kind == TY_STR)
		sema_err(s, n->cond->loc, "the condition of '?:' must be an integer, not %s",
			 type_name(c, ba, sizeof(ba)));
	if (a.kind == TY_NONE || b.kind == TY_NONE)
		return type_none();
	if (a.kind != b.kind) {
		sema_err(s, n->loc, "the two branches of '?:' have different types: %s and %s",
			 type_name(a, ba, sizeof(ba)), type_name(b, bb, sizeof(bb)));
		return type_none();
	}
	if (a.kind == TY_STR)
		return type_str(a.size > b.size ? a.size : b.size);
	return type_int(8, a.is_signed && b.is_signed);
}

static struct type check_cast(struct sema *s, struct node *n)
{
	struct type t = sema_expr(s, n->lhs), to = n->cast_type;
	char ba[32], bb[32];
	if (to.kind != TY_INT || (to.size != 1 && to.size != 2 && to.size != 4 && to.size != 8)) {
		sema_err(s, n->loc, "only casts to integer types are supported");
		return type_none();
	}
	if (t.kind == TY_NONE)
		return to;
	if (t.kind != TY_INT) {
		sema_err(s, n->loc, "cannot cast %s to %s", type_name(t, ba, sizeof(ba)),
			 type_name(to, bb, sizeof(bb)));
		return type_none();
	}
	return to;
}

static struct type check_incdec(struct sema *s, struct node *n)
{
	struct node *target = n->lhs;
	char buf[32];
	const char *spelling = n->op == '-' ? "--" : "++";
	if (target->kind == N_MAP) {
		struct map_info *m = sema_map_lookup(s, target);
		sema_map_keys(s, m, target);
		return sema_map_incdec(s, target, n->loc, spelling);
	}
	if (target->kind != N_VAR) {
		sema_err(s, n->loc, "'%s' needs a variable or a map", spelling);
		return type_none();
	}
	struct type t = set_type(target, sema_var_read(s, target));
	if (t.kind == TY_STR) {
		sema_err(s, n->loc, "cannot apply '%s' to variable '%s' of type %s", spelling,
			 target->name, type_name(t, buf, sizeof(buf)));
		return type_none();
	}
	return t;
}

struct type sema_expr(struct sema *s, struct node *n)
{
	switch (n->kind) {
	case N_INT:
		return set_type(n, type_int(8, !n->is_unsigned));
	case N_STR:
		/* A string value lives on the 512-byte BPF stack (printf formats
		 * do not: they are typed by sema_format_type). */
		if (n->str_len + 1 > SONDE_STRLEN)
			sema_err(s, n->loc, "string is too long (%zu bytes, more than %d)",
				 n->str_len + 1, SONDE_STRLEN);
		return set_type(n, type_str((uint32_t)n->str_len + 1));
	case N_BUILTIN:
		return set_type(n, check_builtin(s, n, false));
	case N_VAR:
		return set_type(n, sema_var_read(s, n));
	case N_MAP:
		return set_type(n, sema_map_read(s, n));
	case N_UNARY:
		return set_type(n, check_unary(s, n));
	case N_BINARY:
		return set_type(n, check_binary(s, n));
	case N_TERNARY:
		return set_type(n, check_ternary(s, n));
	case N_CALL:
		return set_type(n, sema_call(s, n, CALL_VALUE));
	case N_FIELD:
		return set_type(n, check_field(s, n));
	case N_CAST:
		return set_type(n, check_cast(s, n));
	case N_INCDEC:
		return set_type(n, check_incdec(s, n));
	case N_TYPENAME:
		sema_err(s, n->loc, "a type ('%s') cannot be used as a value here", n->name);
		return set_type(n, type_none());
	case N_POSITIONAL: /* replaced before typing; kept for robustness */
	default:
		sema_err(s, n->loc, "expected an expression");
		return set_type(n, type_none());
	}
}

/* A printf format: a string literal that stays in user space, any length. */
void sema_format_type(struct node *fmt)
{
	fmt->type = type_str((uint32_t)fmt->str_len + 1);
}
