/* comptime.c - helpers the latest bpftrace answers while compiling:
 * fail(fmt, ...), assert_str(e), strcap(e), default_str_length, typeinfo(e).
 *
 * Each check hook either reports (fail, assert_str) or turns the call into
 * the literal it stands for (strcap of a string or an array,
 * default_str_length); strcap of a char pointer becomes strlen(str(p)), the
 * one case known only at run time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "config.h"
#include "sema.h"

/* ---- fail(fmt, args...) ----------------------------------------------------------- */

#define FAIL_TEXT_MAX 1024

/* Appends text to out (at *len, truncating at FAIL_TEXT_MAX). */
static void fail_append(char *out, size_t *len, const char *text)
{
	size_t n = strlen(text);
	if (*len + n >= FAIL_TEXT_MAX)
		n = FAIL_TEXT_MAX - 1 - *len;
	memcpy(out + *len, text, n);
	*len += n;
	out[*len] = '\0';
}

/* One conversion `spec` (as written, length modifiers dropped) of the
 * literal arg into piece; false (reported) when arg is not a literal of the
 * kind the conversion takes. */
static bool fail_convert(struct sema *s, struct node *call, struct node *arg, char conv,
			 const char *spec, char *piece, size_t size)
{
	char buf[128];
	int64_t v;
	const struct type *t = sema_expr(s, arg);
	if (type_is_none(t))
		return false;
	if (conv == 's') {
		if (arg->kind != N_STR) {
			sema_fail(s, arg->loc, "%s(): %s expects a string literal, got %s", call->name, spec,
				  type_name(t, buf, sizeof(buf)));
			return false;
		}
		snprintf(piece, size, spec, arg->str);
		return true;
	}
	if (!sema_const_eval(arg, &v) && !(arg->kind == N_BOOL && (v = (int64_t)arg->ival, true))) {
		sema_fail(s, arg->loc, "%s(): %s expects an integer literal (fail() formats while compiling), got %s",
			  call->name, spec, type_name(t, buf, sizeof(buf)));
		return false;
	}
	/* spec holds the flags, width and precision; 'll' makes the conversion
	 * take the 64-bit value */
	char fmt[40];
	size_t n = strlen(spec);
	snprintf(fmt, sizeof(fmt), "%.*sll%c", (int)(n - 1), spec, conv == 'i' ? 'd' : conv);
	if (conv == 'c')
		snprintf(piece, size, "%c", (int)v);
	else
		snprintf(piece, size, fmt, (long long)v);
	return true;
}

/* The message of fail(fmt, args...): the format filled in with its literal
 * arguments. False (reported) on a bad format or argument. */
static bool fail_format(struct sema *s, struct node *call, char *out)
{
	struct node *fmt = call->args, *arg = fmt->next;
	size_t len = 0;
	out[0] = '\0';
	for (const char *p = fmt->str; *p;) {
		if (*p != '%' || p[1] == '%') {
			char c[2] = { *p, '\0' };
			fail_append(out, &len, c);
			p += *p == '%' ? 2 : 1;
			continue;
		}
		char spec[32];
		size_t sl = 0;
		spec[sl++] = *p++;
		while (*p && strchr("-0+ #.0123456789", *p) && sl < sizeof(spec) - 2)
			spec[sl++] = *p++;
		while (*p && strchr("hlzjt", *p))
			p++; /* length modifiers: every value is 64 bits here */
		if (!*p || !strchr("diuxXosc", *p)) {
			sema_fail(s, fmt->loc, "%s(): unsupported conversion '%%%c' (fail() takes d i u x X o c s)",
				  call->name, *p ? *p : ' ');
			return false;
		}
		char conv = *p++;
		spec[sl++] = conv;
		spec[sl] = '\0';
		if (!arg) {
			sema_fail(s, call->loc, "%s(): the format has more conversions than arguments", call->name);
			return false;
		}
		char piece[FAIL_TEXT_MAX];
		if (!fail_convert(s, call, arg, conv, spec, piece, sizeof(piece)))
			return false;
		fail_append(out, &len, piece);
		arg = arg->next;
	}
	if (arg) {
		sema_fail(s, arg->loc, "%s(): more arguments than the format has conversions", call->name);
		return false;
	}
	return true;
}

/* fail(fmt, args...): a compile-time error with this message wherever sema
 * reaches the call (bpftrace's static failure for macros). */
const struct type *stdlib_check_fail(struct sema *s, struct node *n)
{
	char buf[128];
	const struct type *t = sema_expr(s, n->args);
	if (type_is_none(t))
		return t;
	if (n->args->kind != N_STR)
		return sema_fail(s, n->args->loc, "fail() expects a string literal as its format, got %s",
				 type_name(t, buf, sizeof(buf)));
	char msg[FAIL_TEXT_MAX];
	if (!fail_format(s, n, msg))
		return type_none();
	sema_fail(s, n->loc, "%s", msg);
	for (int i = 0; i < n->nexpanded; i++)
		sema_note(s, n->expanded_from[i], "expanded from here");
	return type_none();
}

/* ---- string-likes ------------------------------------------------------------------ */

static bool is_char_ptr(const struct type *t)
{
	return t && t->kind == TY_PTR && t->elem && t->elem->kind == TY_INT && t->elem->size == 1;
}

/* A string, an array of char or a pointer to char (bpftrace's string-like
 * values); reports otherwise. */
static bool string_like(struct sema *s, struct node *call, const struct type **out)
{
	char buf[128];
	const struct type *t = sema_expr(s, call->args);
	*out = t;
	if (type_is_none(t))
		return false;
	if (t->kind == TY_STR || type_is_char_array(t) || is_char_ptr(t))
		return true;
	if (t->kind == TY_ARRAY)
		sema_fail(s, call->args->loc, "%s(): string-like arrays must contain a char-like type, got %s",
			  call->name, type_name(t, buf, sizeof(buf)));
	else if (t->kind == TY_PTR)
		sema_fail(s, call->args->loc, "%s(): string-like pointers must point to a char-like type, got %s",
			  call->name, type_name(t, buf, sizeof(buf)));
	else
		sema_fail(s, call->args->loc,
			  "%s(): string-like values must be either strings, arrays or pointers, got %s",
			  call->name, type_name(t, buf, sizeof(buf)));
	return false;
}

/* assert_str(e): e must be string-like; no value. */
const struct type *stdlib_check_assert_str(struct sema *s, struct node *n)
{
	const struct type *t;
	string_like(s, n, &t);
	return type_none();
}

/* strcap(e): the capacity of a string-like value. A string's size or an
 * array's length is known now; a pointer's is its string's length. */
const struct type *stdlib_check_strcap(struct sema *s, struct node *n)
{
	const struct type *t;
	if (!string_like(s, n, &t))
		return type_none();
	if (t->kind == TY_STR)
		return sema_replace_call_literal(s, n, N_INT, t->size);
	if (t->kind == TY_ARRAY)
		return sema_replace_call_literal(s, n, N_INT, t->count);
	/* strlen(str(p)) */
	struct node *str = ast_new(N_CALL, n->args->loc);
	str->name = xstrdup("str");
	str->args = n->args;
	n->args = str;
	free(n->name);
	n->name = xstrdup("strlen");
	n->func = stdlib_find_func("strlen");
	return sema_expr(s, n);
}

/* default_str_length: the size of strings read without a bound (max_strlen). */
const struct type *stdlib_var_default_str_length(struct sema *s, struct node *n)
{
	return sema_replace_call_literal(s, n, N_INT, sema_max_strlen(s));
}

/* ---- typeinfo(type or expr) ------------------------------------------------------ */

/* The latest bpftrace's name of t's kind (its Type enum, as it prints it). */
static const char *typeinfo_base(const struct type *t)
{
	static const char *const rec_kinds[] = {
		[REC_STRUCT] = "c_type", [REC_UNION] = "c_type", [REC_TUPLE] = "tuple", [REC_RECORD] = "record",
	};
	switch (t->kind) {
	case TY_INT: case TY_ENUM: return "int";
	case TY_BOOL: return "bool";
	case TY_PTR: return "pointer";
	case TY_ARRAY: return "array";
	case TY_RECORD: return rec_kinds[t->rkind];
	case TY_STR: return "string";
	case TY_BUF: return "buffer";
	case TY_KSYM: return "ksym_t";
	case TY_STACK: return t->as == AS_USER ? "ustack" : "kstack";
	case TY_VOID: return "void";
	default: return "none";
	}
}

static void ti_append(char *buf, size_t len, const char *s)
{
	size_t at = strlen(buf);
	if (at + 1 < len)
		snprintf(buf + at, len - at, "%s", s);
}

/* The latest bpftrace's full spelling of t: type_name()'s, except that
 * pointers carry no address space, enums are "enum NAME" and stacks name
 * their kind, mode and limit ("kstack_bpftrace_127"). */
static void typeinfo_full(const struct type *t, char *buf, size_t len)
{
	static const char *const modes[] = {
		[STACK_MODE_BPFTRACE] = "bpftrace", [STACK_MODE_PERF] = "perf",
		[STACK_MODE_RAW] = "raw", [STACK_MODE_BUILD_ID] = "build_id",
	};
	char tmp[64];
	switch (t->kind) {
	case TY_PTR:
		typeinfo_full(t->elem, buf, len);
		ti_append(buf, len, " *");
		return;
	case TY_ARRAY:
		typeinfo_full(t->elem, buf, len);
		snprintf(tmp, sizeof(tmp), "[%u]", (unsigned)t->count);
		ti_append(buf, len, tmp);
		return;
	case TY_ENUM:
		if (!t->name || strncmp(t->name, "enum ", 5) != 0)
			ti_append(buf, len, "enum ");
		ti_append(buf, len, t->name ? t->name : "");
		return;
	case TY_STACK:
		snprintf(tmp, sizeof(tmp), "%cstack_%s_%u", t->as == AS_USER ? 'u' : 'k', modes[t->stack_mode],
			 (unsigned)(t->count ? t->count : SONDE_STACK_DEFAULT_FRAMES));
		ti_append(buf, len, tmp);
		return;
	case TY_RECORD:
		if (!t->name) {
			static const char *const open[] = { [REC_STRUCT] = "struct {", [REC_UNION] = "union {",
							    [REC_TUPLE] = "(", [REC_RECORD] = "record { " };
			static const char *const close[] = { [REC_STRUCT] = "}", [REC_UNION] = "}",
							     [REC_TUPLE] = ")", [REC_RECORD] = " }" };
			bool named = t->rkind == REC_RECORD;
			ti_append(buf, len, open[t->rkind]);
			for (int i = 0; i < t->nmembers; i++) {
				if (i)
					ti_append(buf, len, named ? ", " : ",");
				if (named) {
					ti_append(buf, len, ".");
					ti_append(buf, len, t->members[i].name);
					ti_append(buf, len, " = ");
				}
				typeinfo_full(t->members[i].type, buf, len);
			}
			ti_append(buf, len, close[t->rkind]);
			return;
		}
		break;
	default:
		break;
	}
	ti_append(buf, len, type_name(t, tmp, sizeof(tmp)));
}

static struct node *typeinfo_field(const char *name, struct node *value, srcloc loc)
{
	struct node *f = ast_new(N_NAMED, loc);
	f->name = xstrdup(name);
	f->lhs = value;
	return f;
}

static struct node *typeinfo_str(const char *text, srcloc loc)
{
	struct node *n = ast_new(N_STR, loc);
	n->str = xstrdup(text);
	n->str_len = strlen(text);
	return n;
}

/* bpftrace's unstable_typeinfo: an error unless the config enables it. */
static bool typeinfo_allowed(struct sema *s, struct node *n)
{
	const char *mode = config_text(sema_config(s), CFG_UNSTABLE_TYPEINFO);
	if (!mode || strcmp(mode, "error") == 0) {
		sema_fail(s, n->loc, "typeinfo() is an unstable feature of bpftrace, off unless enabled: "
			  "add `config = { unstable_typeinfo = enable }` (or `warn`)");
		return false;
	}
	if (strcmp(mode, "warn") == 0)
		sema_warn_script(s, "the script uses an unstable feature, typeinfo(); "
			  "`config = { unstable_typeinfo = enable }` silences this");
	return true;
}

/* typeinfo(e): a record of constants describing e's type, as the latest
 * bpftrace makes it: (btf_id = 0, base_type = "int", full_type = "uint32").
 * bpftrace has no global numbering of types, and neither has sonde: btf_id
 * is always 0. e is typed, never evaluated. */
const struct type *stdlib_check_typeinfo(struct sema *s, struct node *n)
{
	if (!typeinfo_allowed(s, n))
		return type_none();
	const struct type *t = sema_type_arg(s, n->args);
	if (type_is_none(t))
		return t;
	if (t->kind == TY_RECORD && !t->name && !sema_complete_value(s, t, n->args->loc))
		return type_none();
	if (t->kind == TY_AGG)
		return sema_fail(s, n->args->loc, "typeinfo() of an aggregation (count(), hist()...) is not supported");
	char full[512] = "";
	typeinfo_full(t, full, sizeof(full));
	srcloc loc = n->loc;
	sema_replace_call(n, N_RECORD);
	struct node *id = ast_new(N_INT, loc);
	n->args = typeinfo_field("btf_id", id, loc);
	n->args->next = typeinfo_field("base_type", typeinfo_str(typeinfo_base(t), loc), loc);
	n->args->next->next = typeinfo_field("full_type", typeinfo_str(full, loc), loc);
	return sema_expr(s, n);
}
