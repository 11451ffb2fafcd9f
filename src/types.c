/* types.c - the type graph (include/types.h): static scalars, arenas that
 * own derived types, interning, the one layout rule, merging and naming.
 *
 * Interning keeps derived types unique per arena (pointer equality is type
 * equality for them): a small chained hash over (kind, element, count,
 * address space) finds an existing pointer/array/string/buffer type; tuples
 * are interned by their element list. Records from C (BTF, script structs)
 * are nominal and not interned here: whoever creates them keeps them (the
 * BTF cache by id, the script's struct table by name). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"
#include "util.h"

/* ---- static scalar types ----------------------------------------------------- */

#define SCALAR(k, sz, al, sg) { .kind = (k), .size = (sz), .align = (al), .is_signed = (sg) }

static const struct type none_type = SCALAR(TY_NONE, 0, 1, false);
static const struct type void_type = SCALAR(TY_VOID, 0, 1, false);
static const struct type bool_type = SCALAR(TY_BOOL, 1, 1, false);
static const struct type agg_type = SCALAR(TY_AGG, 8, 8, false);
static const struct type ksym_type = SCALAR(TY_KSYM, 8, 8, false);
/* [log2(size)][is_signed] */
static const struct type int_types[4][2] = {
	{ SCALAR(TY_INT, 1, 1, false), SCALAR(TY_INT, 1, 1, true) },
	{ SCALAR(TY_INT, 2, 2, false), SCALAR(TY_INT, 2, 2, true) },
	{ SCALAR(TY_INT, 4, 4, false), SCALAR(TY_INT, 4, 4, true) },
	{ SCALAR(TY_INT, 8, 8, false), SCALAR(TY_INT, 8, 8, true) },
};
/* sign-flexible literals: int8..int64 */
static const struct type literal_types[4] = {
	{ .kind = TY_INT, .size = 1, .align = 1, .is_signed = true, .is_literal = true },
	{ .kind = TY_INT, .size = 2, .align = 2, .is_signed = true, .is_literal = true },
	{ .kind = TY_INT, .size = 4, .align = 4, .is_signed = true, .is_literal = true },
	{ .kind = TY_INT, .size = 8, .align = 8, .is_signed = true, .is_literal = true },
};

/* float, double, long double: kinds of void with a size (see type_float()) */
static const struct type float_types[3] = {
	{ .kind = TY_VOID, .size = 4, .align = 4, .name = "float" },
	{ .kind = TY_VOID, .size = 8, .align = 8, .name = "double" },
	{ .kind = TY_VOID, .size = 16, .align = 16, .name = "long double" },
};

const struct type *type_none(void) { return &none_type; }

const struct type *type_float(const char *c_name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(c_name, float_types[i].name) == 0)
			return &float_types[i];
	return NULL;
}
const struct type *type_void(void) { return &void_type; }
const struct type *type_bool(void) { return &bool_type; }
const struct type *type_agg(void) { return &agg_type; }
const struct type *type_ksym(void) { return &ksym_type; }

static int size_index(uint32_t size)
{
	switch (size) {
	case 1: return 0;
	case 2: return 1;
	case 4: return 2;
	default: return 3;
	}
}

const struct type *type_int(uint32_t size, bool is_signed)
{
	return &int_types[size_index(size)][is_signed ? 1 : 0];
}

const struct type *type_int_literal(uint64_t value, bool negative_or_unsigned_suffix)
{
	if (negative_or_unsigned_suffix) {
		/* value holds the two's complement of a negative literal */
		int64_t v = (int64_t)value;
		if (v >= INT8_MIN && v <= INT8_MAX)
			return type_int(1, true);
		if (v >= INT16_MIN && v <= INT16_MAX)
			return type_int(2, true);
		if (v >= INT32_MIN && v <= INT32_MAX)
			return type_int(4, true);
		return type_int(8, true);
	}
	if (value > (uint64_t)INT64_MAX)
		return type_int(8, false);
	if (value <= (uint64_t)INT8_MAX)
		return &literal_types[0];
	if (value <= (uint64_t)INT16_MAX)
		return &literal_types[1];
	if (value <= (uint64_t)INT32_MAX)
		return &literal_types[2];
	return &literal_types[3];
}

/* bpftrace's own names and the fixed-width spellings kernel code uses. */
static const struct fixed_name {
	const char *name;
	uint8_t size;
	bool is_signed;
} fixed_names[] = {
	{ "int8", 1, true }, { "int16", 2, true }, { "int32", 4, true }, { "int64", 8, true },
	{ "uint8", 1, false }, { "uint16", 2, false }, { "uint32", 4, false }, { "uint64", 8, false },
	{ "int8_t", 1, true }, { "int16_t", 2, true }, { "int32_t", 4, true }, { "int64_t", 8, true },
	{ "uint8_t", 1, false }, { "uint16_t", 2, false }, { "uint32_t", 4, false },
	{ "uint64_t", 8, false },
	{ "s8", 1, true }, { "s16", 2, true }, { "s32", 4, true }, { "s64", 8, true },
	{ "u8", 1, false }, { "u16", 2, false }, { "u32", 4, false }, { "u64", 8, false },
	{ "__s8", 1, true }, { "__s16", 2, true }, { "__s32", 4, true }, { "__s64", 8, true },
	{ "__u8", 1, false }, { "__u16", 2, false }, { "__u32", 4, false }, { "__u64", 8, false },
	{ "size_t", 8, false }, { "ssize_t", 8, true },
};

const struct type *type_fixed_width(const char *name)
{
	for (size_t i = 0; i < sizeof(fixed_names) / sizeof(fixed_names[0]); i++)
		if (strcmp(fixed_names[i].name, name) == 0)
			return type_int(fixed_names[i].size, fixed_names[i].is_signed);
	return NULL;
}

static bool is_static_type(const struct type *t)
{
	if (t == &none_type || t == &void_type || t == &bool_type || t == &agg_type || t == &ksym_type)
		return true;
	if (t >= float_types && t < float_types + 3)
		return true;
	const struct type *ints = &int_types[0][0];
	if (t >= ints && t < ints + 8)
		return true;
	return t >= literal_types && t < literal_types + 4;
}

/* ---- arenas ------------------------------------------------------------------ */

#define INTERN_BUCKETS 256
#define COPY_BUCKETS 256

struct intern_entry {
	struct type *t;
	struct intern_entry *next;
};

struct copy_entry {
	const struct type *from;
	const struct type *to;
	struct copy_entry *next;
};

struct keyed_entry {
	uint64_t key;
	const struct type *t;
	struct keyed_entry *next;
};

struct type_arena {
	void **blocks;      /* every allocation, freed together */
	size_t nblocks, cap;
	struct intern_entry *intern[INTERN_BUCKETS];
	struct copy_entry *copies[COPY_BUCKETS];
	struct keyed_entry *keyed[COPY_BUCKETS];
};

struct type_arena *type_arena_new(void)
{
	return xcalloc(1, sizeof(struct type_arena));
}

static void *arena_alloc(struct type_arena *a, size_t size)
{
	if (a->nblocks == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->blocks = xrealloc(a->blocks, a->cap * sizeof(*a->blocks));
	}
	void *p = xcalloc(1, size);
	a->blocks[a->nblocks++] = p;
	return p;
}

void type_arena_free(struct type_arena *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nblocks; i++)
		free(a->blocks[i]);
	free(a->blocks);
	free(a);
}

const char *type_arena_strdup(struct type_arena *a, const char *s)
{
	if (!s)
		return NULL;
	size_t len = strlen(s);
	char *copy = arena_alloc(a, len + 1);
	memcpy(copy, s, len + 1);
	return copy;
}

/* Growable arrays inside the arena: the old block stays allocated until the
 * arena goes (records are small; this keeps ownership trivial). */
static void *arena_grow(struct type_arena *a, void *old, size_t old_bytes, size_t new_bytes)
{
	void *p = arena_alloc(a, new_bytes);
	if (old && old_bytes)
		memcpy(p, old, old_bytes);
	return p;
}

static unsigned key_hash(uint64_t key)
{
	key ^= key >> 29;
	key *= 0x9e3779b97f4a7c15ull;
	return (unsigned)((key >> 32) % COPY_BUCKETS);
}

const struct type *type_arena_lookup(struct type_arena *a, uint64_t key)
{
	for (struct keyed_entry *e = a->keyed[key_hash(key)]; e; e = e->next)
		if (e->key == key)
			return e->t;
	return NULL;
}

void type_arena_remember(struct type_arena *a, uint64_t key, const struct type *t)
{
	struct keyed_entry *e = arena_alloc(a, sizeof(*e));
	unsigned h = key_hash(key);
	e->key = key;
	e->t = t;
	e->next = a->keyed[h];
	a->keyed[h] = e;
}

/* ---- interning ----------------------------------------------------------------- */

static unsigned intern_hash(enum type_kind kind, const struct type *elem, uint32_t count,
			    enum addr_space as)
{
	uintptr_t h = (uintptr_t)elem * 31u + count * 131u + (unsigned)kind * 7u + (unsigned)as;
	h ^= h >> 13;
	return (unsigned)(h % INTERN_BUCKETS);
}

static struct type *intern_find(struct type_arena *a, enum type_kind kind,
				const struct type *elem, uint32_t count, enum addr_space as,
				enum stack_mode mode)
{
	for (struct intern_entry *e = a->intern[intern_hash(kind, elem, count, as)]; e; e = e->next) {
		struct type *t = e->t;
		if (t->kind == kind && t->elem == elem && t->count == count && t->as == as &&
		    t->stack_mode == mode)
			return t;
	}
	return NULL;
}

static void intern_add_at(struct type_arena *a, struct type *t, unsigned h)
{
	struct intern_entry *e = arena_alloc(a, sizeof(*e));
	e->t = t;
	e->next = a->intern[h];
	a->intern[h] = e;
}

static void intern_add(struct type_arena *a, struct type *t)
{
	intern_add_at(a, t, intern_hash(t->kind, t->elem, t->count, t->as));
}

static const struct type *intern(struct type_arena *a, struct type proto)
{
	struct type *t = intern_find(a, proto.kind, proto.elem, proto.count, proto.as, proto.stack_mode);
	if (t)
		return t;
	t = arena_alloc(a, sizeof(*t));
	*t = proto;
	intern_add(a, t);
	return t;
}

const struct type *type_ptr(struct type_arena *a, const struct type *to, enum addr_space as)
{
	if (!to)
		to = type_void();
	return intern(a, (struct type){ .kind = TY_PTR, .size = 8, .align = 8, .elem = to, .as = as });
}

const struct type *type_array(struct type_arena *a, const struct type *elem, uint32_t count)
{
	uint32_t esize = elem ? elem->size : 0;
	uint64_t size = (uint64_t)esize * count;
	return intern(a, (struct type){ .kind = TY_ARRAY,
					.size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
					.align = elem && elem->align ? elem->align : 1,
					.elem = elem, .count = count });
}

const struct type *type_str(struct type_arena *a, uint32_t size)
{
	return intern(a, (struct type){ .kind = TY_STR, .size = size, .align = 1, .count = size });
}

/* The char element marks it (a string's elem is otherwise NULL), so that
 * interning keeps the two kinds apart. */
const struct type *type_char_array_str(struct type_arena *a, uint32_t size)
{
	return intern(a, (struct type){ .kind = TY_STR, .size = size, .align = 1, .count = size,
					.elem = type_int(1, true) });
}

bool type_str_is_char_array(const struct type *t)
{
	return t && t->kind == TY_STR && t->elem != NULL;
}

const struct type *type_buf(struct type_arena *a, uint32_t data_size)
{
	return intern(a, (struct type){ .kind = TY_BUF, .size = data_size + 4, .align = 1,
					.count = data_size });
}

const struct type *type_stack(struct type_arena *a, enum addr_space as, uint32_t frames,
			      enum stack_mode mode)
{
	return intern(a, (struct type){ .kind = TY_STACK, .size = 8, .align = 8, .as = as,
					.count = frames, .stack_mode = mode });
}

/* ---- records -------------------------------------------------------------------- */

struct type *type_record_new(struct type_arena *a, enum record_kind kind, const char *name)
{
	struct type *t = arena_alloc(a, sizeof(*t));
	t->kind = TY_RECORD;
	t->rkind = kind;
	t->align = 1;
	t->name = type_arena_strdup(a, name);
	t->btf_id = -1;
	return t;
}

static struct type_member *record_push(struct type_arena *a, struct type *rec)
{
	/* capacity 4, then doubled at each power of two: implied by the count */
	int n = rec->nmembers;
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		size_t cap = n ? (size_t)n * 2 : 4;
		rec->members = arena_grow(a, rec->members, sizeof(*rec->members) * (size_t)n,
					  sizeof(*rec->members) * cap);
	}
	struct type_member *m = &rec->members[rec->nmembers++];
	memset(m, 0, sizeof(*m));
	return m;
}

void type_record_add(struct type_arena *a, struct type *rec, const char *name, const struct type *t)
{
	struct type_member *m = record_push(a, rec);
	m->name = type_arena_strdup(a, name);
	m->type = t;
	m->offset = UINT32_MAX; /* laid out by type_record_finish */
}

void type_record_add_at(struct type_arena *a, struct type *rec, const char *name,
			const struct type *t, uint32_t offset, uint16_t bit_offset, uint16_t bit_size)
{
	struct type_member *m = record_push(a, rec);
	m->name = type_arena_strdup(a, name);
	m->type = t;
	m->offset = offset;
	m->bit_offset = bit_offset;
	m->bit_size = bit_size;
}

static uint32_t align_up(uint32_t n, uint32_t align)
{
	return align > 1 ? (n + align - 1) / align * align : n;
}

void type_record_finish(struct type *rec, uint32_t known_size)
{
	uint32_t offset = 0, size = 0, align = 1;
	for (int i = 0; i < rec->nmembers; i++) {
		struct type_member *m = &rec->members[i];
		uint32_t ma = rec->is_packed || !m->type || !m->type->align ? 1 : m->type->align;
		uint32_t msize = m->type ? m->type->size : 0;
		if (m->offset == UINT32_MAX) {
			m->offset = rec->rkind == REC_UNION ? 0 : align_up(offset, ma);
			offset = m->offset + msize;
		}
		if (m->offset + msize > size)
			size = m->offset + msize;
		if (ma > align)
			align = ma;
	}
	rec->align = align;
	rec->size = known_size ? known_size : align_up(size, align);
	rec->incomplete = false;
}

/* Tuples are interned by their element list, so (int64, string[4]) is one
 * type wherever it appears. */
const struct type *type_tuple(struct type_arena *a, const struct type *const *elems, int n)
{
	unsigned h = intern_hash(TY_RECORD, n ? elems[0] : NULL, (uint32_t)n, AS_NONE);
	for (struct intern_entry *e = a->intern[h]; e; e = e->next) {
		struct type *t = e->t;
		if (t->kind != TY_RECORD || t->rkind != REC_TUPLE || t->nmembers != n)
			continue;
		bool same = true;
		for (int i = 0; i < n && same; i++)
			same = t->members[i].type == elems[i];
		if (same)
			return t;
	}
	struct type *t = type_record_new(a, REC_TUPLE, NULL);
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", i);
		type_record_add(a, t, name, elems[i]);
	}
	type_record_finish(t, 0);
	intern_add_at(a, t, h); /* filed under its first element and arity */
	return t;
}

struct type *type_enum_new(struct type_arena *a, const char *name, uint32_t size, bool is_signed)
{
	struct type *t = arena_alloc(a, sizeof(*t));
	t->kind = TY_ENUM;
	t->size = size;
	t->align = size ? size : 1;
	t->is_signed = is_signed;
	t->name = type_arena_strdup(a, name);
	t->btf_id = -1;
	return t;
}

void type_enum_add(struct type_arena *a, struct type *e, const char *name, int64_t value)
{
	int n = e->nenumerators;
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		size_t cap = n ? (size_t)n * 2 : 4;
		e->enumerators = arena_grow(a, e->enumerators, sizeof(*e->enumerators) * (size_t)n,
					    sizeof(*e->enumerators) * cap);
	}
	e->enumerators[n].name = type_arena_strdup(a, name);
	e->enumerators[n].value = value;
	e->nenumerators++;
}

const char *type_enumerator_name(const struct type *t, int64_t value)
{
	if (!type_is(t, TY_ENUM))
		return NULL;
	for (int i = 0; i < t->nenumerators; i++)
		if (t->enumerators[i].value == value)
			return t->enumerators[i].name;
	return NULL;
}

/* ---- copying between arenas ---------------------------------------------------- */

static unsigned copy_hash(const struct type *t)
{
	uintptr_t h = (uintptr_t)t;
	h ^= h >> 9;
	return (unsigned)(h % COPY_BUCKETS);
}

static const struct type *copy_find(struct type_arena *a, const struct type *from)
{
	for (struct copy_entry *e = a->copies[copy_hash(from)]; e; e = e->next)
		if (e->from == from)
			return e->to;
	return NULL;
}

static void copy_remember(struct type_arena *a, const struct type *from, const struct type *to)
{
	struct copy_entry *e = arena_alloc(a, sizeof(*e));
	unsigned h = copy_hash(from);
	e->from = from;
	e->to = to;
	e->next = a->copies[h];
	a->copies[h] = e;
}

/* Tuples are interned, so their copies are too. A tuple cannot contain
 * itself (only a named record can be reached again), so copying its
 * elements first terminates. */
static const struct type *copy_tuple(struct type_arena *to, const struct type *t)
{
	const struct type *small[16] = { 0 };
	const struct type **elems = t->nmembers <= 16 ? small : xmalloc(sizeof(*elems) * (size_t)t->nmembers);
	for (int i = 0; i < t->nmembers; i++)
		elems[i] = type_copy(to, t->members[i].type);
	const struct type *c = type_tuple(to, elems, t->nmembers);
	if (elems != small)
		free(elems);
	copy_remember(to, t, c);
	return c;
}

const struct type *type_copy(struct type_arena *to, const struct type *t)
{
	if (!t || is_static_type(t))
		return t;
	const struct type *done = copy_find(to, t);
	if (done)
		return done;
	switch (t->kind) {
	case TY_PTR: {
		/* A pointer's pointee is only needed to name it; copy it anyway so
		 * the description can still print "struct foo *" in messages.
		 * Interned in `to` like any pointer made there: a cycle always
		 * passes through a record, which is remembered before its
		 * members are copied, so copying the pointee first terminates. */
		const struct type *c = type_ptr(to, type_copy(to, t->elem), t->as);
		copy_remember(to, t, c);
		return c;
	}
	case TY_ARRAY: {
		const struct type *c = type_array(to, type_copy(to, t->elem), t->count);
		copy_remember(to, t, c);
		return c;
	}
	case TY_STR:
		return type_str_is_char_array(t) ? type_char_array_str(to, t->size) : type_str(to, t->size);
	case TY_BUF:
		return type_buf(to, t->count);
	case TY_STACK:
		return type_stack(to, t->as, t->count, t->stack_mode);
	case TY_ENUM: {
		struct type *c = type_enum_new(to, t->name, t->size, t->is_signed);
		for (int i = 0; i < t->nenumerators; i++)
			type_enum_add(to, c, t->enumerators[i].name, t->enumerators[i].value);
		copy_remember(to, t, c);
		return c;
	}
	case TY_RECORD: {
		if (t->rkind == REC_TUPLE)
			return copy_tuple(to, t);
		struct type *c = type_record_new(to, t->rkind, t->name);
		copy_remember(to, t, c); /* before the members: records may refer to themselves */
		c->btf_id = t->btf_id;
		c->is_packed = t->is_packed;
		for (int i = 0; i < t->nmembers; i++) {
			const struct type_member *m = &t->members[i];
			type_record_add_at(to, c, m->name, type_copy(to, m->type), m->offset,
					   m->bit_offset, m->bit_size);
			c->members[i].is_data_loc = m->is_data_loc;
		}
		c->size = t->size;
		c->align = t->align;
		c->incomplete = t->incomplete;
		return c;
	}
	default: {
		struct type *c = arena_alloc(to, sizeof(*c));
		*c = *t;
		copy_remember(to, t, c);
		return c;
	}
	}
}

/* ---- questions -------------------------------------------------------------------- */

bool type_is_scalar(const struct type *t)
{
	return t && (t->kind == TY_INT || t->kind == TY_BOOL || t->kind == TY_ENUM ||
		     t->kind == TY_PTR || t->kind == TY_STACK || t->kind == TY_KSYM);
}

bool type_is_integer(const struct type *t)
{
	return t && (t->kind == TY_INT || t->kind == TY_ENUM);
}

bool type_is_aggregate(const struct type *t)
{
	return t && (t->kind == TY_STR || t->kind == TY_BUF || t->kind == TY_ARRAY ||
		     t->kind == TY_RECORD);
}

bool type_is_char_array(const struct type *t)
{
	return t && t->kind == TY_ARRAY && t->elem && t->elem->kind == TY_INT && t->elem->size == 1;
}

bool type_equal(const struct type *a, const struct type *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TY_INT:
		return a->size == b->size && a->is_signed == b->is_signed;
	case TY_ENUM:
		return a->size == b->size && a->name && b->name && strcmp(a->name, b->name) == 0;
	case TY_PTR:
		return a->as == b->as && type_equal(a->elem, b->elem);
	case TY_ARRAY:
		return a->count == b->count && type_equal(a->elem, b->elem);
	case TY_STR:
	case TY_BUF:
		return a->size == b->size;
	case TY_STACK:
		return a->as == b->as && a->count == b->count && a->stack_mode == b->stack_mode;
	case TY_RECORD:
		if (a->rkind != b->rkind)
			return false;
		if (a->name || b->name)
			return a->name && b->name && strcmp(a->name, b->name) == 0;
		if (a->nmembers != b->nmembers)
			return false;
		for (int i = 0; i < a->nmembers; i++) {
			if (!type_equal(a->members[i].type, b->members[i].type) ||
			    a->members[i].offset != b->members[i].offset)
				return false;
			if (a->rkind == REC_RECORD &&
			    strcmp(a->members[i].name, b->members[i].name) != 0)
				return false;
		}
		return true;
	default:
		return true;
	}
}

const struct type_member *type_member_find(const struct type *rec, const char *name)
{
	if (!rec || rec->kind != TY_RECORD)
		return NULL;
	for (int i = 0; i < rec->nmembers; i++)
		if (rec->members[i].name && strcmp(rec->members[i].name, name) == 0)
			return &rec->members[i];
	return NULL;
}

/* ---- merging ------------------------------------------------------------------------ */

static const struct type *merge_ints(const struct type *x, const struct type *y)
{
	uint32_t size = x->size > y->size ? x->size : y->size;
	if (x->is_literal && y->is_literal)
		return type_int_literal(size == 8 ? (uint64_t)INT64_MAX
					: size == 4 ? (uint64_t)INT32_MAX
					: size == 2 ? (uint64_t)INT16_MAX : 0, false);
	/* a sign-flexible literal takes the other side's sign */
	bool xs = x->is_literal ? y->is_signed : x->is_signed;
	bool ys = y->is_literal ? x->is_signed : y->is_signed;
	if (xs == ys)
		return type_int(size, xs);
	/* mixed: a signed type big enough for the unsigned side, else int64 */
	uint32_t unsigned_size = xs ? y->size : x->size;
	uint32_t signed_size = xs ? x->size : y->size;
	uint32_t need = unsigned_size * 2 > signed_size ? unsigned_size * 2 : signed_size;
	return type_int(need > 8 ? 8 : need, true);
}

static const struct type *merge_records(struct type_arena *a, const struct type *x,
					const struct type *y)
{
	if (x->rkind != y->rkind || x->nmembers != y->nmembers)
		return NULL;
	if (x->rkind == REC_STRUCT || x->rkind == REC_UNION)
		return type_equal(x, y) ? x : NULL;
	const struct type *elems[64];
	int n = x->nmembers;
	if (n > 64)
		return type_equal(x, y) ? x : NULL;
	bool changed = false;
	for (int i = 0; i < n; i++) {
		/* records match fields by name (bpftrace), keeping x's order */
		const struct type_member *ym = x->rkind == REC_RECORD
			? type_member_find(y, x->members[i].name) : &y->members[i];
		if (!ym)
			return NULL;
		elems[i] = type_merge(a, x->members[i].type, ym->type);
		if (!elems[i])
			return NULL;
		changed |= elems[i] != x->members[i].type;
	}
	if (!changed)
		return x;
	if (x->rkind == REC_TUPLE)
		return type_tuple(a, elems, n);
	struct type *r = type_record_new(a, REC_RECORD, NULL);
	for (int i = 0; i < n; i++)
		type_record_add(a, r, x->members[i].name, elems[i]);
	type_record_finish(r, 0);
	return r;
}

const struct type *type_merge(struct type_arena *a, const struct type *x, const struct type *y)
{
	if (type_is_none(x))
		return y;
	if (type_is_none(y))
		return x;
	if (x == y)
		return x;
	/* an enum is an integer: with anything but itself it merges as one */
	if (type_is_integer(x) && type_is_integer(y) && !type_equal(x, y))
		return merge_ints(x, y);
	if (x->kind != y->kind)
		return NULL;
	switch (x->kind) {
	case TY_INT:
		return merge_ints(x, y);
	case TY_STR:
		return x->size >= y->size ? x : y;
	case TY_BUF:
		return x->size >= y->size ? x : y;
	case TY_PTR:
		/* a pointer of no address space (the null pointer, an integer
		 * cast) takes the other's; kernel and user never mix */
		if (x->as != y->as && x->as != AS_NONE && y->as != AS_NONE)
			return NULL;
		if (x->as == AS_NONE && y->as != AS_NONE)
			return type_merge(a, type_ptr(a, x->elem, y->as), y);
		if (y->as == AS_NONE && x->as != AS_NONE)
			return type_merge(a, x, type_ptr(a, y->elem, x->as));
		if (type_equal(x, y) || y->elem->kind == TY_VOID)
			return x;
		return x->elem->kind == TY_VOID ? y : NULL;
	case TY_RECORD:
		return merge_records(a, x, y);
	default:
		return type_equal(x, y) ? x : NULL;
	}
}

const struct type *type_storage(const struct type *t)
{
	if (t && t->kind == TY_INT && t->size != 8)
		return t->is_literal ? &literal_types[3] : type_int(8, t->is_signed);
	return t;
}

/* ---- naming ------------------------------------------------------------------------- */

static size_t name_into(const struct type *t, char *buf, size_t len);

static size_t append(char *buf, size_t len, size_t at, const char *s)
{
	size_t n = strlen(s);
	if (at < len) {
		size_t room = len - at - 1;
		memcpy(buf + at, s, n < room ? n : room);
		buf[at + (n < room ? n : room)] = '\0';
	}
	return at + n;
}

/* How bpftrace spells records without a name, by record kind: what opens
 * and closes the member list, what separates members, and whether members
 * are named (".a = int64"). */
static const struct record_spelling {
	const char *open, *separator, *close;
	bool named;
} record_spellings[] = {
	[REC_STRUCT] = { "struct {", ",", "}", false },
	[REC_UNION] = { "union {", ",", "}", false },
	[REC_TUPLE] = { "(", ",", ")", false },
	[REC_RECORD] = { "record { ", ", ", " }", true },
};

/* "(int64,string[4])", "record { .a = int64, .b = string[4] }",
 * "struct {int32,uint64}" (an anonymous C struct) */
static size_t record_name_into(const struct type *t, char *buf, size_t len)
{
	const struct record_spelling *sp = &record_spellings[t->rkind];
	size_t at = append(buf, len, 0, sp->open);
	for (int i = 0; i < t->nmembers; i++) {
		if (i)
			at = append(buf, len, at, sp->separator);
		if (sp->named) {
			at = append(buf, len, at, ".");
			at = append(buf, len, at, t->members[i].name);
			at = append(buf, len, at, " = ");
		}
		char inner[128];
		name_into(t->members[i].type, inner, sizeof(inner));
		at = append(buf, len, at, inner);
	}
	return append(buf, len, at, sp->close);
}

static size_t name_into(const struct type *t, char *buf, size_t len)
{
	char tmp[48];
	if (!t)
		return append(buf, len, 0, "none");
	switch (t->kind) {
	case TY_NONE: return append(buf, len, 0, "none");
	case TY_VOID: return append(buf, len, 0, t->name ? t->name : "void");
	case TY_BOOL: return append(buf, len, 0, "bool");
	case TY_AGG: return append(buf, len, 0, "aggregation");
	case TY_KSYM: return append(buf, len, 0, "ksym_t");
	case TY_STACK:
		if (t->count == SONDE_STACK_DEFAULT_FRAMES && t->stack_mode == STACK_MODE_BPFTRACE)
			snprintf(tmp, sizeof(tmp), "%s", t->as == AS_USER ? "ustack" : "kstack");
		else
			snprintf(tmp, sizeof(tmp), "%s(%s%u)", t->as == AS_USER ? "ustack" : "kstack",
				 t->stack_mode == STACK_MODE_PERF ? "perf, " :
				 t->stack_mode == STACK_MODE_RAW ? "raw, " :
				 t->stack_mode == STACK_MODE_BUILD_ID ? "build_id, " : "", (unsigned)t->count);
		return append(buf, len, 0, tmp);
	case TY_INT:
		snprintf(tmp, sizeof(tmp), "%sint%u", t->is_signed ? "" : "u", (unsigned)t->size * 8);
		return append(buf, len, 0, tmp);
	case TY_ENUM:
		return append(buf, len, 0, t->name ? t->name : "enum");
	case TY_STR:
		snprintf(tmp, sizeof(tmp), "string[%u]", (unsigned)t->size);
		return append(buf, len, 0, tmp);
	case TY_BUF:
		snprintf(tmp, sizeof(tmp), "buffer[%u]", (unsigned)t->count);
		return append(buf, len, 0, tmp);
	case TY_PTR: {
		/* bpftrace spells a pointer to a pointer "int8 * *"; a pointer
		 * into user memory gets the kernel's __user, so that a mix-up of
		 * address spaces reads as one in messages */
		size_t at = name_into(t->elem, buf, len);
		return append(buf, len, at, t->as == AS_USER ? " __user *" : " *");
	}
	case TY_ARRAY: {
		size_t at = name_into(t->elem, buf, len);
		snprintf(tmp, sizeof(tmp), "[%u]", (unsigned)t->count);
		return append(buf, len, at, tmp);
	}
	case TY_RECORD:
		if (t->name)
			return append(buf, len, 0, t->name);
		return record_name_into(t, buf, len);
	}
	return append(buf, len, 0, "?");
}

const char *type_name(const struct type *t, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	name_into(t, buf, len);
	return buf;
}

/* ---- reading stored values --------------------------------------------------------- */

static uint64_t load_le(const unsigned char *p, uint32_t n)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int64_t type_load_int(const struct type *t, const void *p)
{
	uint32_t size = t && t->size ? t->size : 8;
	if (size > 8)
		size = 8;
	uint64_t v = load_le(p, size);
	bool is_signed = t && (t->kind == TY_INT || t->kind == TY_ENUM) && t->is_signed;
	if (size < 8 && is_signed && (v >> (size * 8 - 1)) & 1)
		v |= ~(uint64_t)0 << (size * 8);
	return (int64_t)v;
}

uint64_t type_load_bitfield(const struct type_member *m, const void *rec)
{
	const unsigned char *p = (const unsigned char *)rec + m->offset;
	uint32_t bits = (uint32_t)m->bit_offset + m->bit_size;
	uint32_t nbytes = (bits + 7) / 8;
	uint64_t v = load_le(p, nbytes > 8 ? 8 : nbytes) >> m->bit_offset;
	if (nbytes > 8) /* a field straddling 9 bytes: its top bits come from byte 8 */
		v |= (uint64_t)p[8] << (64 - m->bit_offset);
	if (m->bit_size < 64)
		v &= ((uint64_t)1 << m->bit_size) - 1;
	return v;
}
