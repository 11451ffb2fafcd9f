/* typespec.c - type names as written (casts, sizeof, offsetof, struct
 * members) to types, and the structs a script defines.
 *
 * A name is looked up in this order: bpftrace's own type names (int8 ..
 * uint64, bool), the C spellings every kernel header uses (int, unsigned
 * long, u32, __u64, uint64_t, size_t...), structs and unions the script
 * defines, and then the kernel's BTF (typedefs like pid_t, struct
 * task_struct). BTF is only loaded when the lookup gets that far.
 *
 * Script structs are laid out with C's rules, bitfields included (SysV:
 * a bitfield starts a new storage unit of its declared type when it would
 * not fit in the current one), and anonymous nested structs and unions
 * are flattened into their parent as bpftrace shows them. */
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "sema_internal.h"

/* btf_id of a struct the script defines: never looked up in BTF. */
#define SCRIPT_STRUCT (-2)

static const struct type *base_c_name(const char *name)
{
	if (strcmp(name, "bool") == 0 || strcmp(name, "_Bool") == 0)
		return type_bool();
	if (strcmp(name, "void") == 0)
		return type_void();
	if (type_float(name))
		return type_float(name);
	/* the script's C is x86-64's, where clang (bpftrace's parser) makes
	 * char signed; the kernel's own char (BTF) is unsigned since 6.2 */
	if (strcmp(name, "char") == 0)
		return type_int(1, true);
	return type_fixed_width(name);
}

static const struct type *script_struct(struct sema *s, const char *name, bool is_union)
{
	for (struct cdef *d = s->prog->cdefs; d; d = d->next)
		if (d->name && !d->is_enum && d->is_union == is_union && strcmp(d->name, name) == 0)
			return d->type;
	return NULL;
}

static const struct type *script_enum(struct sema *s, const char *name)
{
	for (struct cdef *d = s->prog->cdefs; d; d = d->next)
		if (d->name && d->is_enum && strcmp(d->name, name) == 0)
			return d->type;
	return NULL;
}

/* An enumerator of the script's enums, then of the kernel's (BTF): its
 * value and its enum type, so that it prints by name. */
bool sema_enum_constant(struct sema *s, const char *name, int64_t *value, const struct type **type)
{
	for (struct cdef *d = s->prog->cdefs; d; d = d->next) {
		if (!d->is_enum || !d->type)
			continue;
		for (struct cdef_enumerator *e = d->enumerators; e; e = e->next) {
			if (strcmp(e->name, name) == 0) {
				*value = e->value;
				*type = d->type;
				return true;
			}
		}
	}
	return kbtf_available() && kbtf_enum_value(sema_types(s), name, value, type);
}

/* A named struct, union or enum: the script's own definition first, then
 * the kernel's (lazily completed). NULL when neither has it. */
static const struct type *named_record(struct sema *s, enum spec_kind kind, const char *name)
{
	const struct type *own = kind == SPEC_ENUM ? script_enum(s, name)
					   : script_struct(s, name, kind == SPEC_UNION);
	if (own)
		return own;
	char *full = xasprintf("%s %s", kind == SPEC_STRUCT ? "struct" : kind == SPEC_UNION ? "union" : "enum", name);
	const struct type *t = kbtf_type(sema_types(s), full);
	free(full);
	return t;
}

static const struct type *resolve_base(struct sema *s, const struct type_spec *spec)
{
	char buf[160];
	if (spec->kind == SPEC_TYPEOF) {
		/* typeof(expr): the expression is typed, never run */
		const struct type *t = sema_expr(s, spec->expr);
		if (type_is(t, TY_INT) && t->is_literal)
			t = type_int(8, true); /* a literal's own type is only a bound */
		if (type_is(t, TY_AGG))
			return sema_fail(s, spec->expr->loc, "typeof: %s has no type of its own (an aggregation)",
					 spec->expr->name ? spec->expr->name : "this");
		return t;
	}
	if (spec->kind != SPEC_NAME) {
		const struct type *t = named_record(s, spec->kind, spec->name);
		if (t)
			return t;
		if (!kbtf_available())
			return sema_fail(s, spec->loc, "unknown type '%s': it is not defined in the script, "
					 "and kernel BTF is unavailable (%s)",
					 ast_spec_text(&(struct type_spec){ .kind = spec->kind, .name = spec->name },
						       buf, sizeof(buf)), kbtf_error());
		return sema_fail(s, spec->loc, "unknown type '%s': not defined in the script nor in the kernel's BTF",
				 ast_spec_text(&(struct type_spec){ .kind = spec->kind, .name = spec->name },
					       buf, sizeof(buf)));
	}
	const struct type *t = base_c_name(spec->name);
	if (t)
		return t;
	t = kbtf_type(sema_types(s), spec->name);
	if (t)
		return t;
	return sema_fail(s, spec->loc, "unknown type '%s'", spec->name);
}

/* in_struct: a char array member of a C struct is a string (bpftrace), a
 * char array in a cast stays an array. */
static const struct type *apply_suffixes(struct sema *s, const struct type_spec *spec,
					 const struct type *t, bool in_struct)
{
	struct type_arena *a = sema_types(s);
	for (int i = 0; i < spec->nsuffix; i++) {
		uint32_t sfx = spec->suffix[i];
		if (sfx == SPEC_PTR) {
			t = type_ptr(a, t, AS_NONE);
			continue;
		}
		if (t->kind == TY_VOID)
			return sema_fail(s, spec->loc, "an array of void has no size");
		if (t->kind == TY_RECORD && !sema_complete(s, t, spec->loc))
			return type_none();
		uint32_t n = sfx == SPEC_ARRAY_UNSIZED ? 0 : sfx;
		if (in_struct && t->kind == TY_INT && t->size == 1 && n)
			t = type_char_array_str(a, n);
		else
			t = type_array(a, t, n);
	}
	return t;
}

/* sizeof(NAME) where NAME is an enumerator, not a type: its enum's type.
 * NULL otherwise (and for C's base type names, without touching BTF). */
const struct type *sema_spec_enumerator(struct sema *s, const struct type_spec *spec)
{
	int64_t value;
	const struct type *t;
	if (spec->kind != SPEC_NAME || spec->nsuffix != 0 || base_c_name(spec->name))
		return NULL;
	return sema_enum_constant(s, spec->name, &value, &t) ? t : NULL;
}

const struct type *sema_resolve_spec(struct sema *s, const struct type_spec *spec)
{
	const struct type *t = resolve_base(s, spec);
	if (type_is_none(t))
		return t;
	return apply_suffixes(s, spec, t, false);
}

const struct type *sema_lazy_struct(struct sema *s, const char *name)
{
	const struct type *t = script_struct(s, name, false);
	if (t)
		return t;
	char *full = xasprintf("struct %s", name);
	t = kbtf_lazy(sema_types(s), full);
	free(full);
	return t;
}

bool sema_complete(struct sema *s, const struct type *rec, srcloc loc)
{
	char buf[160];
	if (!rec->incomplete)
		return true;
	if (rec->btf_id != SCRIPT_STRUCT && kbtf_complete(sema_types(s), rec))
		return true;
	if (!s->quiet) {
		if (!kbtf_available())
			diag_error(s->d, loc, "'%s' needs kernel BTF to be read, which is unavailable (%s)",
				   type_name(rec, buf, sizeof(buf)), kbtf_error());
		else
			diag_error(s->d, loc, "'%s' is an incomplete type: BTF has no definition of it",
				   type_name(rec, buf, sizeof(buf)));
	}
	return false;
}

/* A record used as a value (stored, printed) needs every member it holds
 * by value, nested records and arrays of records included; pointers are
 * printed as addresses, so what they point to stays as it is. */
bool sema_complete_value(struct sema *s, const struct type *t, srcloc loc)
{
	for (int depth = 0; t && t->kind == TY_ARRAY && depth < 64; depth++)
		t = t->elem;
	if (!t || t->kind != TY_RECORD)
		return true;
	if (!sema_complete(s, t, loc))
		return false;
	for (int i = 0; i < t->nmembers; i++) {
		const struct type_member *m = &t->members[i];
		if (m->is_data_loc) {
			/* the record holds only a locator; its string lives after it */
			char buf[128];
			sema_err(s, loc, "%s cannot be copied as a whole: its field '%s' is a __data_loc "
				 "string, outside the record; use the fields (args.%s)",
				 type_name(t, buf, sizeof(buf)), m->name, m->name);
			return false;
		}
		if (!sema_complete_value(s, m->type, loc))
			return false;
	}
	return true;
}

/* ---- script structs ------------------------------------------------------------ */

struct layout {
	uint64_t bits;      /* next free bit of a struct */
	uint32_t size;      /* union: largest member */
	uint32_t align;
};

static void place_member(struct sema *s, struct type *rec, struct layout *l, const char *name,
			 const struct type *t, uint32_t bit_size, uint32_t base_offset)
{
	struct type_arena *a = sema_types(s);
	uint32_t align = rec->is_packed || !t->align ? 1 : t->align;
	if (align > l->align)
		l->align = align;
	if (rec->rkind == REC_UNION) {
		type_record_add_at(a, rec, name, t, base_offset, 0, (uint16_t)bit_size);
		uint32_t sz = bit_size ? (bit_size + 7) / 8 : t->size;
		if (sz > l->size)
			l->size = sz;
		return;
	}
	if (bit_size) {
		uint64_t unit = (uint64_t)t->size * 8;
		if (!rec->is_packed && unit && (l->bits % unit) + bit_size > unit)
			l->bits = (l->bits + unit - 1) / unit * unit;
		type_record_add_at(a, rec, name, t, base_offset + (uint32_t)(l->bits / 8),
				   (uint16_t)(l->bits % 8), (uint16_t)bit_size);
		l->bits += bit_size;
		return;
	}
	uint64_t abits = (uint64_t)align * 8;
	l->bits = (l->bits + abits - 1) / abits * abits;
	type_record_add_at(a, rec, name, t, base_offset + (uint32_t)(l->bits / 8), 0, 0);
	l->bits += (uint64_t)t->size * 8;
}

static const struct type *define_record(struct sema *s, struct cdef *d, struct type *rec);

/* An anonymous struct/union member: its members join the parent at the
 * offset the anonymous record gets there. */
static void flatten_into(struct sema *s, struct type *rec, struct layout *l, struct cdef *nested)
{
	struct type *inner = type_record_new(sema_types(s), nested->is_union ? REC_UNION : REC_STRUCT, NULL);
	inner->is_packed = nested->is_packed;
	define_record(s, nested, inner);
	uint32_t align = rec->is_packed ? 1 : inner->align;
	uint32_t offset;
	if (rec->rkind == REC_UNION) {
		offset = 0;
		if (inner->size > l->size)
			l->size = inner->size;
	} else {
		uint64_t abits = (uint64_t)align * 8;
		l->bits = (l->bits + abits - 1) / abits * abits;
		offset = (uint32_t)(l->bits / 8);
		l->bits += (uint64_t)inner->size * 8;
	}
	if (align > l->align)
		l->align = align;
	for (int i = 0; i < inner->nmembers; i++) {
		const struct type_member *m = &inner->members[i];
		type_record_add_at(sema_types(s), rec, m->name, m->type, offset + m->offset,
				   m->bit_offset, m->bit_size);
	}
}

static const struct type *member_type(struct sema *s, struct cdef_member *m)
{
	if (m->nested) {
		struct type *inner = type_record_new(sema_types(s),
						     m->nested->is_union ? REC_UNION : REC_STRUCT, NULL);
		inner->is_packed = m->nested->is_packed;
		define_record(s, m->nested, inner);
		return apply_suffixes(s, &m->spec, inner, true);
	}
	const struct type *t = resolve_base(s, &m->spec);
	if (type_is_none(t))
		return t;
	return apply_suffixes(s, &m->spec, t, true);
}

static bool check_bitfield(struct sema *s, struct cdef_member *m, const struct type *t)
{
	char buf[128];
	if (!m->bit_size)
		return true;
	if (!type_is_integer(t) && t->kind != TY_BOOL) {
		sema_err(s, m->loc, "bitfield '%s' must have an integer type, not %s", m->name,
			 type_name(t, buf, sizeof(buf)));
		return false;
	}
	if (m->bit_size > t->size * 8) {
		sema_err(s, m->loc, "bitfield '%s' is %u bits wide, more than its type %s holds",
			 m->name, (unsigned)m->bit_size, type_name(t, buf, sizeof(buf)));
		return false;
	}
	return true;
}

/* The first struct or union the script defines that the kernel's BTF
 * defines too, or NULL. */
static const struct cdef *redefined_kernel_record(struct sema *s)
{
	for (struct cdef *d = s->prog->cdefs; d; d = d->next) {
		if (d->is_enum || !d->name)
			continue;
		char *full = xasprintf("%s %s", d->is_union ? "union" : "struct", d->name);
		const struct type *k = kbtf_available() ? kbtf_type(sema_types(s), full) : NULL;
		free(full);
		if (k)
			return d;
	}
	return NULL;
}

/* bpftrace's rule: a script that redefines a kernel type does without the
 * kernel's types in its definitions (the two sets would clash), so a member
 * holding a kernel struct by value has no definition there. */
static bool kernel_record_allowed(struct sema *s, struct cdef_member *m, const struct type *t)
{
	char buf[128];
	for (int depth = 0; t->kind == TY_ARRAY && depth < 64; depth++)
		t = t->elem;
	if (t->kind != TY_RECORD || t->btf_id == SCRIPT_STRUCT || !t->name)
		return true;
	const struct cdef *redef = redefined_kernel_record(s);
	if (!redef)
		return true;
	sema_err(s, m->spec.loc, "field '%s' has incomplete type '%s': the script redefines %s %s, a kernel "
		 "type, so its structs cannot use the kernel's; define %s in the script",
		 m->name, type_name(t, buf, sizeof(buf)), redef->is_union ? "union" : "struct", redef->name,
		 type_name(t, buf, sizeof(buf)));
	return false;
}

static const struct type *define_record(struct sema *s, struct cdef *d, struct type *rec)
{
	struct layout l = { 0, 0, 1 };
	char buf[128];
	for (struct cdef_member *m = d->members; m; m = m->next) {
		if (!m->name) {
			flatten_into(s, rec, &l, m->nested);
			continue;
		}
		for (struct cdef_member *o = d->members; o != m; o = o->next)
			if (o->name && strcmp(o->name, m->name) == 0)
				sema_err(s, m->loc, "member '%s' is declared twice", m->name);
		const struct type *t = member_type(s, m);
		if (type_is_none(t))
			continue;
		if (t == rec || (t->kind == TY_RECORD && t->incomplete && t->btf_id == SCRIPT_STRUCT)) {
			sema_err(s, m->loc, "member '%s' has incomplete type %s (only a pointer to it can be a member)",
				 m->name, type_name(t, buf, sizeof(buf)));
			continue;
		}
		if (!check_bitfield(s, m, t))
			continue;
		/* reported, then placed all the same: uses of it say nothing more */
		kernel_record_allowed(s, m, t);
		if (t->kind == TY_RECORD && !sema_complete(s, t, m->loc))
			continue;
		place_member(s, rec, &l, m->name, t, m->bit_size, 0);
	}
	uint32_t size = rec->rkind == REC_UNION ? l.size : (uint32_t)((l.bits + 7) / 8);
	uint32_t align = rec->is_packed ? 1 : l.align;
	size = (size + align - 1) / align * align;
	type_record_finish(rec, size ? size : 0);
	rec->align = align;
	rec->incomplete = false;
	return rec;
}

static bool enumerator_defined(struct sema *s, struct cdef *upto, struct cdef_enumerator *upto_e,
			       const char *name)
{
	for (struct cdef *d = s->prog->cdefs; d; d = d->next) {
		if (!d->is_enum)
			continue;
		for (struct cdef_enumerator *e = d->enumerators; e; e = e->next) {
			if (d == upto && e == upto_e)
				return false;
			if (strcmp(e->name, name) == 0)
				return true;
		}
	}
	return false;
}

/* C's rules: each value is the previous one plus one unless given, the
 * first 0; the enum is 4 bytes unless a value needs 8, and unsigned unless
 * a value is negative (as clang makes it, and as bpftrace prints it). */
static void define_enum(struct sema *s, struct cdef *d)
{
	int64_t next = 0;
	bool is_signed = false, wide = false;
	for (struct cdef_enumerator *e = d->enumerators; e; e = e->next) {
		if (enumerator_defined(s, d, e, e->name))
			diag_error(s->d, e->loc, "enumerator '%s' is defined twice", e->name);
		if (!e->has_value)
			e->value = next;
		next = (int64_t)((uint64_t)e->value + 1);
		is_signed |= e->value < 0;
		wide |= e->value < INT32_MIN || e->value > (int64_t)UINT32_MAX;
	}
	char *name = d->name ? xasprintf("enum %s", d->name) : xstrdup("enum");
	struct type *t = type_enum_new(sema_types(s), name, wide ? 8 : 4, is_signed);
	free(name);
	for (struct cdef_enumerator *e = d->enumerators; e; e = e->next)
		type_enum_add(sema_types(s), t, e->name, e->value);
	d->type = t;
}

/* Named records are created first, so that members may point to any of
 * them; then each is laid out in script order (a member holding another
 * struct by value needs that struct defined earlier, as in C). */
void sema_define_structs(struct sema *s)
{
	struct type_arena *a = sema_types(s);
	for (struct cdef *d = s->prog->cdefs; d; d = d->next) {
		if (d->type)
			continue; /* sema runs several times; definitions once */
		if (d->is_enum) {
			define_enum(s, d);
			continue;
		}
		for (struct cdef *o = s->prog->cdefs; o != d; o = o->next)
			if (o->name && d->name && !o->is_enum && o->is_union == d->is_union &&
			    strcmp(o->name, d->name) == 0)
				diag_error(s->d, d->loc, "%s %s is defined twice", d->is_union ? "union" : "struct",
					   d->name);
		char *name = xasprintf("%s %s", d->is_union ? "union" : "struct", d->name ? d->name : "");
		struct type *rec = type_record_new(a, d->is_union ? REC_UNION : REC_STRUCT, name);
		free(name);
		rec->is_packed = d->is_packed;
		rec->incomplete = true;
		rec->btf_id = SCRIPT_STRUCT;
		d->type = rec;
	}
	bool quiet = s->quiet;
	s->quiet = false; /* definitions are checked once, here */
	for (struct cdef *d = s->prog->cdefs; d; d = d->next)
		if (!d->is_enum && d->type->incomplete)
			define_record(s, d, (struct type *)d->type);
	s->quiet = quiet;
}

const struct type *sema_type_arg(struct sema *s, struct node *arg)
{
	if (arg->kind == N_TYPEARG)
		return sema_resolve_spec(s, arg->spec);
	return sema_expr(s, arg);
}
