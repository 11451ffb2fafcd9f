/* btf.c - kernel types from BTF (include/btf.h), read with libbpf.
 *
 * One struct btf per process, loaded the first time a kernel type is asked
 * for (never by kbtf_kernel_build_id or by base C type names). A BTF id
 * becomes a struct type once per arena, cached under KEY_TYPE(id); named
 * structs and unions start incomplete (size and alignment known, no
 * members) and kbtf_complete() fills them, so pointers between structs
 * never make conversion recurse.
 *
 * Name lookups use libbpf's btf__find_by_name_kind, a linear scan (a miss
 * reads all ~126k types, ~0.75-1.4 ms). Each scan's cost is counted; once the
 * scans together have cost about what indexing the type names costs, the
 * index is built and every later lookup is a hash probe. A script naming a
 * few structs never pays for the index; one naming many (sched:* args,
 * typos, misses) pays for it once. Enumerator names have their own index,
 * built on the first kbtf_enum_value().
 *
 * Not thread-safe: one compilation at a time per process. */
#include <bpf/btf.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btf.h"
#include "util.h"

/* Arena cache keys: converted BTF ids, and tracepoint args records. */
#define KEY_TYPE(id) ((1ull << 32) | (uint32_t)(id))
#define KEY_TP_ARGS(id) ((2ull << 32) | (uint32_t)(id))

/* Index the names once libbpf's scans have read this many times the whole
 * type list: building the index costs about as much as that many scans
 * (measured: ~2.2 ms vs ~0.75 ms per missed scan of 126k types). */
#define SCANS_BEFORE_INDEX 3

/* Real BTF nests types a few levels deep; a file given by BPFTRACE_BTF
 * could loop (a pointer to itself through qualifiers): stop there. */
#define MAX_NESTING 64

struct name_slot {
	uint32_t id;   /* 0: empty */
	uint32_t hash;
};

struct enum_slot {
	uint32_t id;   /* the enum's type id; 0: empty */
	uint32_t index; /* the enumerator's position in it */
	uint32_t hash;
};

static struct {
	struct btf *btf;
	bool tried;          /* a load was attempted (and failed unless btf) */
	char error[256];
	uint32_t ntypes;     /* btf__type_cnt: ids are 1..ntypes-1 */
	uint64_t scanned;    /* type ids read by libbpf's name scans so far */
	struct name_slot *names; /* named types, open addressing */
	uint32_t names_mask;
	struct enum_slot *enums; /* enumerators of every enum */
	uint32_t enums_mask;
	int nesting;         /* conversions in progress */
	int task_btf;        /* bpf_get_current_task_btf: 0 not asked, 1 no, 2 yes */
} kbtf;

/* ---- loading ---------------------------------------------------------------- */

static bool kbtf_load(void)
{
	if (kbtf.btf)
		return true;
	if (kbtf.tried)
		return false;
	kbtf.tried = true;
	const char *path = getenv("BPFTRACE_BTF");
	if (path && !*path)
		path = NULL;
	struct btf *btf = path ? btf__parse(path, NULL) : btf__load_vmlinux_btf();
	if (!btf) {
		int err = errno;
		snprintf(kbtf.error, sizeof(kbtf.error), "cannot read kernel BTF from %s: %s",
			 path ? path : "/sys/kernel/btf/vmlinux", strerror(err ? err : ENOENT));
		return false;
	}
	kbtf.btf = btf;
	kbtf.ntypes = btf__type_cnt(btf);
	kbtf.error[0] = '\0';
	return true;
}

bool kbtf_available(void)
{
	return kbtf_load();
}

bool kbtf_loaded(void)
{
	return kbtf.btf != NULL;
}

const char *kbtf_error(void)
{
	return kbtf.error;
}

void kbtf_unload(void)
{
	btf__free(kbtf.btf);
	free(kbtf.names);
	free(kbtf.enums);
	memset(&kbtf, 0, sizeof(kbtf));
}

static const struct btf_type *btf_type(uint32_t id)
{
	return btf__type_by_id(kbtf.btf, id);
}

static const char *btf_name(uint32_t name_off)
{
	const char *s = btf__name_by_offset(kbtf.btf, name_off);
	return s ? s : "";
}

/* ---- name lookup ---------------------------------------------------------------- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The kinds a script names; functions, variables and the rest stay out of
 * the index (they are most of the named ids) and go to libbpf's scan. */
static bool is_indexed_kind(int kind)
{
	switch (kind) {
	case BTF_KIND_INT: case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_FLOAT:
		return true;
	default:
		return false;
	}
}

static uint32_t table_size_for(uint32_t n)
{
	uint32_t size = 1024;
	while (size < n * 2)
		size *= 2;
	return size;
}

/* Ids go in increasing order and probing is linear, so among equal names
 * the lowest id is met first: duplicates resolve as libbpf does. */
static void build_name_index(void)
{
	uint32_t n = 0;
	for (uint32_t id = 1; id < kbtf.ntypes; id++) {
		const struct btf_type *t = btf_type(id);
		n += t->name_off && is_indexed_kind(btf_kind(t));
	}
	uint32_t size = table_size_for(n);
	kbtf.names = xcalloc(size, sizeof(*kbtf.names));
	kbtf.names_mask = size - 1;
	for (uint32_t id = 1; id < kbtf.ntypes; id++) {
		const struct btf_type *t = btf_type(id);
		if (!t->name_off || !is_indexed_kind(btf_kind(t)))
			continue;
		uint32_t h = name_hash(btf_name(t->name_off));
		uint32_t i = h & kbtf.names_mask;
		while (kbtf.names[i].id)
			i = (i + 1) & kbtf.names_mask;
		kbtf.names[i] = (struct name_slot){ .id = id, .hash = h };
	}
}

static int32_t index_find(const char *name, int kind)
{
	uint32_t h = name_hash(name);
	for (uint32_t i = h & kbtf.names_mask; kbtf.names[i].id; i = (i + 1) & kbtf.names_mask) {
		if (kbtf.names[i].hash != h)
			continue;
		const struct btf_type *t = btf_type(kbtf.names[i].id);
		if (btf_kind(t) == kind && strcmp(btf_name(t->name_off), name) == 0)
			return (int32_t)kbtf.names[i].id;
	}
	return -1;
}

/* The lowest id of that name and kind, or -1. BTF must be loaded. */
static int32_t find_named(const char *name, int kind)
{
	if (kbtf.names && is_indexed_kind(kind))
		return index_find(name, kind);
	int32_t id = btf__find_by_name_kind(kbtf.btf, name, kind);
	kbtf.scanned += id > 0 ? (uint64_t)id : kbtf.ntypes;
	if (!kbtf.names && kbtf.scanned >= (uint64_t)SCANS_BEFORE_INDEX * kbtf.ntypes)
		build_name_index();
	return id > 0 ? id : -1;
}

/* ---- converting BTF types ---------------------------------------------------- */

static const struct type *convert(struct type_arena *a, uint32_t id);
static void add_members(struct type_arena *a, struct type *rec, const struct btf_type *t,
			uint32_t base_bits);

static uint32_t skip_modifiers(uint32_t id)
{
	const struct btf_type *t;
	for (int n = 0; n < MAX_NESTING && (t = btf_type(id)) && (btf_is_mod(t) || btf_is_typedef(t)); n++)
		id = t->type;
	return id;
}

static const struct type *convert_int(struct type_arena *a, uint32_t id, const struct btf_type *t)
{
	(void)id;
	uint8_t encoding = btf_int_encoding(t);
	if (encoding & BTF_INT_BOOL)
		return type_bool();
	switch (t->size) {
	case 1: case 2: case 4: case 8:
		/* `char` has no SIGNED bit (the kernel builds with
		 * -funsigned-char): uint8, as in bpftrace */
		return type_int(t->size, encoding & BTF_INT_SIGNED);
	default:
		/* __int128: its 64-bit halves, low first (no 128-bit ints here) */
		if (t->size % 8 == 0)
			return type_array(a, type_int(8, false), t->size / 8);
		return type_array(a, type_int(1, false), t->size);
	}
}

/* Floats cannot be computed with in BPF; keep their bits readable as an
 * unsigned integer of the same size (bpftrace calls them unsupported). */
static const struct type *convert_float(struct type_arena *a, uint32_t id, const struct btf_type *t)
{
	(void)id;
	if (t->size == 2 || t->size == 4 || t->size == 8)
		return type_int(t->size, false);
	return type_array(a, type_int(1, false), t->size);
}

/* Pointers to functions point to void; a btf_type_tag("user") between the
 * pointer and its pointee puts the pointee in user memory. */
static const struct type *convert_ptr(struct type_arena *a, uint32_t id, const struct btf_type *t)
{
	(void)id;
	enum addr_space as = AS_KERNEL;
	const struct btf_type *p;
	uint32_t at = t->type;
	for (int n = 0; n < MAX_NESTING && (p = btf_type(at)) && btf_is_mod(p); n++, at = p->type)
		if (btf_is_type_tag(p) && strcmp(btf_name(p->name_off), "user") == 0)
			as = AS_USER;
	const struct type *to = convert(a, t->type);
	return type_ptr(a, to ? to : type_void(), as);
}

/* bpftrace's rule: an array of 1-byte integers (char, u8, s8) is a string;
 * `(int8[])x` gets the bytes back. Zero elements: a flexible array. */
static const struct type *convert_array(struct type_arena *a, uint32_t id, const struct btf_type *t)
{
	(void)id;
	const struct btf_array *arr = btf_array(t);
	const struct type *elem = convert(a, arr->type);
	if (!elem)
		return NULL;
	if (elem->kind == TY_INT && elem->size == 1)
		return type_char_array_str(a, arr->nelems);
	return type_array(a, elem, arr->nelems);
}

static const struct type *record_named(struct type_arena *a, uint32_t id, const struct btf_type *t,
				       bool is_union, const char *name)
{
	struct type *rec = type_record_new(a, is_union ? REC_UNION : REC_STRUCT, name);
	rec->incomplete = true;
	rec->btf_id = (int32_t)id;
	/* Size and alignment are known before the members: arrays of this
	 * record and records embedding it are laid out without completing it. */
	rec->size = t->size;
	int align = btf__align_of(kbtf.btf, id);
	rec->align = align > 0 ? (uint32_t)align : 1;
	type_arena_remember(a, KEY_TYPE(id), rec);
	return rec;
}

/* A named struct or union stays incomplete until kbtf_complete(); an
 * anonymous one (a typedef'd `struct { ... }`, a member's inline type) has
 * no name to complete it by later, and cannot refer to itself, so it is
 * completed now. */
static const struct type *convert_record(struct type_arena *a, uint32_t id, const struct btf_type *t)
{
	bool is_union = btf_is_union(t);
	if (!t->name_off) {
		const struct type *rec = record_named(a, id, t, is_union, NULL);
		kbtf_complete(a, rec);
		return rec;
	}
	char name[256];
	snprintf(name, sizeof(name), "%s %s", is_union ? "union" : "struct", btf_name(t->name_off));
	return record_named(a, id, t, is_union, name);
}

/* A forward declaration is the struct of that name when BTF has one, else
 * an opaque record: nameable, pointable-to, never completed. */
static const struct type *convert_fwd(struct type_arena *a, uint32_t id, const struct btf_type *t)
{
	(void)id;
	bool is_union = btf_kflag(t);
	const char *name = btf_name(t->name_off);
	int32_t full = find_named(name, is_union ? BTF_KIND_UNION : BTF_KIND_STRUCT);
	if (full > 0)
		return convert(a, (uint32_t)full);
	char spelled[256];
	snprintf(spelled, sizeof(spelled), "%s %s", is_union ? "union" : "struct", name);
	struct type *rec = type_record_new(a, is_union ? REC_UNION : REC_STRUCT, spelled);
	rec->incomplete = true;
	return rec;
}

/* Enums keep every enumerator (printing shows names) and BTF's sign
 * (kind_flag). Anonymous enums are plain integers, as in bpftrace. */
static const struct type *convert_enum(struct type_arena *a, uint32_t id, const struct btf_type *t)
{
	(void)id;
	bool is_signed = btf_kflag(t);
	if (!t->name_off)
		return type_int(t->size, is_signed);
	char name[256];
	snprintf(name, sizeof(name), "enum %s", btf_name(t->name_off));
	struct type *e = type_enum_new(a, name, t->size, is_signed);
	int n = btf_vlen(t);
	if (btf_is_enum(t)) {
		const struct btf_enum *v = btf_enum(t);
		for (int i = 0; i < n; i++)
			type_enum_add(a, e, btf_name(v[i].name_off),
				      is_signed ? (int64_t)v[i].val : (int64_t)(uint32_t)v[i].val);
	} else {
		const struct btf_enum64 *v = btf_enum64(t);
		for (int i = 0; i < n; i++)
			type_enum_add(a, e, btf_name(v[i].name_off), (int64_t)btf_enum64_value(&v[i]));
	}
	return e;
}

/* typedef, const, volatile, restrict, type tags: the type they qualify */
static const struct type *convert_alias(struct type_arena *a, uint32_t id, const struct btf_type *t)
{
	(void)id;
	return convert(a, t->type);
}

/* A function type is only ever seen through a pointer: `void *`. */
static const struct type *convert_func_proto(struct type_arena *a, uint32_t id,
					     const struct btf_type *t)
{
	(void)a, (void)id, (void)t;
	return type_void();
}

typedef const struct type *converter(struct type_arena *a, uint32_t id, const struct btf_type *t);

/* By BTF kind; NULL: not a type a value can have (functions, variables,
 * sections, declaration tags). */
static converter *const converters[] = {
	[BTF_KIND_INT] = convert_int,
	[BTF_KIND_PTR] = convert_ptr,
	[BTF_KIND_ARRAY] = convert_array,
	[BTF_KIND_STRUCT] = convert_record,
	[BTF_KIND_UNION] = convert_record,
	[BTF_KIND_ENUM] = convert_enum,
	[BTF_KIND_FWD] = convert_fwd,
	[BTF_KIND_TYPEDEF] = convert_alias,
	[BTF_KIND_VOLATILE] = convert_alias,
	[BTF_KIND_CONST] = convert_alias,
	[BTF_KIND_RESTRICT] = convert_alias,
	[BTF_KIND_FUNC_PROTO] = convert_func_proto,
	[BTF_KIND_FLOAT] = convert_float,
	[BTF_KIND_TYPE_TAG] = convert_alias,
	[BTF_KIND_ENUM64] = convert_enum,
};

static const struct type *convert(struct type_arena *a, uint32_t id)
{
	if (id == 0)
		return type_void();
	const struct type *done = type_arena_lookup(a, KEY_TYPE(id));
	if (done)
		return done;
	const struct btf_type *t = btf_type(id);
	if (!t || kbtf.nesting >= MAX_NESTING)
		return NULL;
	unsigned kind = btf_kind(t);
	converter *fn = kind < sizeof(converters) / sizeof(converters[0]) ? converters[kind] : NULL;
	kbtf.nesting++;
	const struct type *r = fn ? fn(a, id, t) : NULL;
	kbtf.nesting--;
	/* records remember themselves before completing */
	if (r && type_arena_lookup(a, KEY_TYPE(id)) != r)
		type_arena_remember(a, KEY_TYPE(id), r);
	return r;
}

const struct type *kbtf_type_by_id(struct type_arena *a, int32_t id)
{
	if (id < 0 || !kbtf_load() || (uint32_t)id >= kbtf.ntypes)
		return NULL;
	return convert(a, (uint32_t)id);
}

/* ---- members ---------------------------------------------------------------- */

/* Old-style bitfields put the bit position in the INT type itself. */
static void int_bitfield(uint32_t type_id, uint32_t *bits, uint32_t *bit_size)
{
	const struct btf_type *t = btf_type(skip_modifiers(type_id));
	if (!t || !btf_is_int(t) || *bit_size)
		return;
	if (btf_int_offset(t) || btf_int_bits(t) != t->size * 8) {
		*bits += btf_int_offset(t);
		*bit_size = btf_int_bits(t);
	}
}

static void add_member(struct type_arena *a, struct type *rec, const char *name, uint32_t type_id,
		       uint32_t bits, uint32_t bit_size)
{
	const struct type *mt = convert(a, type_id);
	if (!mt)
		return; /* not a value type: broken BTF; leave the member out */
	int_bitfield(type_id, &bits, &bit_size);
	type_record_add_at(a, rec, name, mt, bits / 8, (uint16_t)(bit_size ? bits % 8 : 0),
			   (uint16_t)bit_size);
}

/* Anonymous struct/union members are flattened into rec at their
 * accumulated offsets, so their members are found and printed by name. */
static void add_members(struct type_arena *a, struct type *rec, const struct btf_type *t,
			uint32_t base_bits)
{
	const struct btf_member *m = btf_members(t);
	for (uint32_t i = 0; i < btf_vlen(t); i++) {
		uint32_t bits = base_bits + btf_member_bit_offset(t, i);
		const char *name = btf_name(m[i].name_off);
		if (*name) {
			add_member(a, rec, name, m[i].type, bits, btf_member_bitfield_size(t, i));
			continue;
		}
		const struct btf_type *inner = btf_type(skip_modifiers(m[i].type));
		if (inner && btf_is_composite(inner) && kbtf.nesting < MAX_NESTING) {
			kbtf.nesting++;
			add_members(a, rec, inner, bits);
			kbtf.nesting--;
		}
		/* else: an unnamed bitfield, padding */
	}
}

/* Keys of lazy records in the arena's cache: BTF ids never set the top bit. */
static uint64_t lazy_key(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ull;
	return h | (1ull << 63);
}

const struct type *kbtf_lazy(struct type_arena *a, const char *name)
{
	uint64_t key = lazy_key(name);
	const struct type *t = type_arena_lookup(a, key);
	if (t)
		return t;
	bool is_union = strncmp(name, "union ", 6) == 0;
	struct type *rec = type_record_new(a, is_union ? REC_UNION : REC_STRUCT, name);
	rec->incomplete = true; /* btf_id -1: found by name when completed */
	type_arena_remember(a, key, rec);
	return rec;
}

/* A lazy record takes the members of the kernel's definition. Like any
 * completion it happens before anyone reads its members. */
static bool complete_lazy(struct type_arena *a, struct type *r)
{
	const struct type *k = r->name ? kbtf_type(a, r->name) : NULL;
	if (!k || k == r || k->kind != TY_RECORD || !kbtf_complete(a, k))
		return false;
	r->members = k->members;
	r->nmembers = k->nmembers;
	r->size = k->size;
	r->align = k->align;
	r->btf_id = k->btf_id;
	r->incomplete = false;
	return true;
}

bool kbtf_complete(struct type_arena *a, const struct type *rec)
{
	if (!rec || rec->kind != TY_RECORD)
		return false;
	if (!rec->incomplete)
		return true;
	if (rec->btf_id == -1)
		return complete_lazy(a, (struct type *)rec);
	if (rec->btf_id <= 0 || !kbtf_load())
		return false;
	const struct btf_type *t = btf_type((uint32_t)rec->btf_id);
	if (!t || !btf_is_composite(t))
		return false;
	/* The record was made incomplete by this module in arena a, which owns
	 * it; it is completed once, here, before anyone reads its members, so
	 * writing through the const pointer changes nothing anyone has seen. */
	struct type *r = (struct type *)rec;
	uint32_t align = r->align;
	add_members(a, r, t, 0);
	type_record_finish(r, t->size);
	r->align = align; /* BTF's, which knows about packed structs */
	return true;
}

/* ---- names a script writes ------------------------------------------------------ */

/* C's base types by their usual spellings, for the kernel's LP64 ABI: these
 * need no BTF (a cast to `unsigned long` should not load 6 MB). `char` is
 * unsigned, as in the kernel's BTF. */
static const struct base_name {
	const char *name;
	uint8_t size;
	bool is_signed;
} base_names[] = {
	{ "char", 1, false }, { "signed char", 1, true }, { "unsigned char", 1, false },
	{ "short", 2, true }, { "short int", 2, true }, { "signed short", 2, true },
	{ "signed short int", 2, true }, { "short signed int", 2, true },
	{ "unsigned short", 2, false }, { "unsigned short int", 2, false },
	{ "short unsigned int", 2, false }, { "short unsigned", 2, false },
	{ "int", 4, true }, { "signed", 4, true }, { "signed int", 4, true },
	{ "unsigned", 4, false }, { "unsigned int", 4, false },
	{ "long", 8, true }, { "long int", 8, true }, { "signed long", 8, true },
	{ "signed long int", 8, true }, { "long signed int", 8, true },
	{ "unsigned long", 8, false }, { "unsigned long int", 8, false },
	{ "long unsigned int", 8, false }, { "long unsigned", 8, false },
	{ "long long", 8, true }, { "long long int", 8, true }, { "signed long long", 8, true },
	{ "signed long long int", 8, true }, { "long long signed int", 8, true },
	{ "unsigned long long", 8, false }, { "unsigned long long int", 8, false },
	{ "long long unsigned int", 8, false }, { "long long unsigned", 8, false },
};

static const struct type *base_type(const char *name)
{
	if (strcmp(name, "void") == 0)
		return type_void();
	if (strcmp(name, "_Bool") == 0 || strcmp(name, "bool") == 0)
		return type_bool();
	for (size_t i = 0; i < sizeof(base_names) / sizeof(base_names[0]); i++)
		if (strcmp(name, base_names[i].name) == 0)
			return type_int(base_names[i].size, base_names[i].is_signed);
	return NULL;
}

/* The name with surrounding blanks trimmed and inner runs of blanks made
 * one space ("unsigned  long " -> "unsigned long"), in buf; NULL if it does
 * not fit (no type has such a long name). */
static const char *normalize(const char *name, char *buf, size_t len)
{
	size_t n = 0;
	for (const char *p = name; *p; p++) {
		if (n + 1 >= len)
			return NULL;
		if (isspace((unsigned char)*p)) {
			if (n && buf[n - 1] != ' ')
				buf[n++] = ' ';
			continue;
		}
		buf[n++] = *p;
	}
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return buf;
}

static bool strip_prefix(const char **s, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(*s, prefix, n) != 0)
		return false;
	*s += n;
	return true;
}

/* struct/union/enum NAME, or a typedef or integer type of BTF */
static const struct type *kernel_named(struct type_arena *a, const char *name)
{
	int32_t id = -1;
	if (strip_prefix(&name, "struct ")) {
		id = find_named(name, BTF_KIND_STRUCT);
		if (id < 0)
			id = find_named(name, BTF_KIND_FWD);
	} else if (strip_prefix(&name, "union ")) {
		id = find_named(name, BTF_KIND_UNION);
		if (id < 0)
			id = find_named(name, BTF_KIND_FWD);
	} else if (strip_prefix(&name, "enum ")) {
		id = find_named(name, BTF_KIND_ENUM);
		if (id < 0)
			id = find_named(name, BTF_KIND_ENUM64);
	} else {
		id = find_named(name, BTF_KIND_TYPEDEF);
		if (id < 0)
			id = find_named(name, BTF_KIND_INT);
	}
	return id > 0 ? convert(a, (uint32_t)id) : NULL;
}

const struct type *kbtf_type(struct type_arena *a, const char *name)
{
	char buf[256];
	const char *n = name ? normalize(name, buf, sizeof(buf)) : NULL;
	if (!n)
		return NULL;
	while (strip_prefix(&n, "const ") || strip_prefix(&n, "volatile "))
		;
	size_t len = strlen(n);
	if (len && n[len - 1] == '*') {
		/* "struct task_struct *": a kernel pointer to the rest */
		buf[n - buf + len - 1] = '\0';
		const struct type *to = kbtf_type(a, n);
		return to ? type_ptr(a, to, AS_KERNEL) : NULL;
	}
	const struct type *base = base_type(n);
	if (base)
		return base;
	if (!*n || !kbtf_load())
		return NULL;
	return kernel_named(a, n);
}

/* ---- enumerators ---------------------------------------------------------------- */

static const char *enumerator_name(uint32_t id, uint32_t index)
{
	const struct btf_type *t = btf_type(id);
	return btf_name(btf_is_enum(t) ? btf_enum(t)[index].name_off : btf_enum64(t)[index].name_off);
}

static void build_enum_index(void)
{
	uint32_t n = 0;
	for (uint32_t id = 1; id < kbtf.ntypes; id++) {
		const struct btf_type *t = btf_type(id);
		if (btf_is_any_enum(t))
			n += btf_vlen(t);
	}
	uint32_t size = table_size_for(n);
	kbtf.enums = xcalloc(size, sizeof(*kbtf.enums));
	kbtf.enums_mask = size - 1;
	for (uint32_t id = 1; id < kbtf.ntypes; id++) {
		const struct btf_type *t = btf_type(id);
		if (!btf_is_any_enum(t))
			continue;
		for (uint32_t k = 0; k < btf_vlen(t); k++) {
			uint32_t h = name_hash(enumerator_name(id, k));
			uint32_t i = h & kbtf.enums_mask;
			while (kbtf.enums[i].id)
				i = (i + 1) & kbtf.enums_mask;
			kbtf.enums[i] = (struct enum_slot){ .id = id, .index = k, .hash = h };
		}
	}
}

bool kbtf_enum_value(struct type_arena *a, const char *name, int64_t *value,
		     const struct type **enum_type)
{
	if (!kbtf_load())
		return false;
	if (!kbtf.enums)
		build_enum_index();
	uint32_t h = name_hash(name);
	for (uint32_t i = h & kbtf.enums_mask; kbtf.enums[i].id; i = (i + 1) & kbtf.enums_mask) {
		const struct enum_slot *s = &kbtf.enums[i];
		if (s->hash != h || strcmp(enumerator_name(s->id, s->index), name) != 0)
			continue;
		const struct btf_type *t = btf_type(s->id);
		if (btf_is_enum(t)) {
			int32_t v = btf_enum(t)[s->index].val;
			*value = btf_kflag(t) ? (int64_t)v : (int64_t)(uint32_t)v;
		} else {
			*value = (int64_t)btf_enum64_value(&btf_enum64(t)[s->index]);
		}
		if (enum_type)
			*enum_type = convert(a, s->id);
		return true;
	}
	return false;
}

/* ---- suggestions ------------------------------------------------------------------ */

#define SUGGEST_MAX_LEN 64

/* Edit distance counting an adjacent swap as one edit ("pdi" -> "pid"). */
static int edit_distance(const char *x, const char *y)
{
	int n = (int)strlen(x), m = (int)strlen(y);
	if (n >= SUGGEST_MAX_LEN || m >= SUGGEST_MAX_LEN)
		return SUGGEST_MAX_LEN;
	int rows[3][SUGGEST_MAX_LEN + 1];
	int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
	for (int j = 0; j <= m; j++)
		prev[j] = j;
	for (int i = 1; i <= n; i++) {
		cur[0] = i;
		for (int j = 1; j <= m; j++) {
			int cost = x[i - 1] != y[j - 1];
			int best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		int *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

const char *kbtf_closest_member(const struct type *rec, const char *name)
{
	if (!rec || rec->kind != TY_RECORD || !name)
		return NULL;
	/* a third of the name may be wrong: "pidd" -> "pid", not "x" -> "y" */
	int len = (int)strlen(name);
	int allowed = len / 3 > 0 ? len / 3 : 1;
	if (allowed > 3)
		allowed = 3;
	if (len <= 1)
		return NULL;
	const char *best = NULL;
	int best_distance = allowed + 1;
	for (int i = 0; i < rec->nmembers; i++) {
		int d = edit_distance(name, rec->members[i].name);
		if (d < best_distance) {
			best_distance = d;
			best = rec->members[i].name;
		}
	}
	return best;
}

/* ---- tracepoints ------------------------------------------------------------------ */

/* "sched:sched_switch" or "sched_switch": the event, and the category if
 * given (into cat). */
static const char *split_event(const char *spec, char *cat, size_t len)
{
	const char *colon = strchr(spec, ':');
	cat[0] = '\0';
	if (!colon)
		return spec;
	size_t n = (size_t)(colon - spec);
	snprintf(cat, len, "%.*s", (int)(n < len ? n : len - 1), spec);
	return colon + 1;
}

/* Tracepoint fields follow the format's C type (bpftrace 0.25+): only a
 * `char x[N]` is a string; `__u8 saddr[4]` and `unsigned char x[N]` stay
 * arrays of bytes. NULL when arr is no such array. */
static const struct type *byte_array(struct type_arena *a, const struct btf_type *arr)
{
	const struct btf_array *info = btf_array(arr);
	const struct btf_type *elem = btf_type(skip_modifiers(info->type));
	if (!elem || info->nelems == 0)
		return NULL;
	bool is_char = btf_is_int(elem) && strcmp(btf_name(elem->name_off), "char") == 0;
	if (is_char || elem->size != 1 || !(btf_is_int(elem) || btf_is_typedef(elem)))
		return NULL;
	const struct type *e = convert(a, info->type);
	return e && e->kind == TY_INT && e->size == 1 ? type_array(a, e, info->nelems) : NULL;
}

/* A member of the raw struct as the script sees it: the common fields
 * (`ent`) and the trailing `__data[]` are not arguments; `__data_loc_NAME`
 * is the string NAME found through a locator. */
static void add_tp_member(struct type_arena *a, struct type *rec, const struct btf_type *raw,
			  uint32_t i)
{
	const struct btf_member *m = &btf_members(raw)[i];
	const char *name = btf_name(m->name_off);
	uint32_t bits = btf_member_bit_offset(raw, i);
	if (strcmp(name, "ent") == 0 && bits == 0)
		return;
	const struct btf_type *mt = btf_type(skip_modifiers(m->type));
	if (i + 1 == btf_vlen(raw) && strcmp(name, "__data") == 0 && mt && btf_is_array(mt) &&
	    btf_array(mt)->nelems == 0)
		return;
	const char *data_loc = name;
	if (strip_prefix(&data_loc, "__data_loc_")) {
		type_record_add_at(a, rec, data_loc, type_str(a, KBTF_DATA_LOC_STRLEN), bits / 8, 0, 0);
		rec->members[rec->nmembers - 1].is_data_loc = true;
		return;
	}
	if (!*name) {
		if (mt && btf_is_composite(mt))
			add_members(a, rec, mt, bits);
		return;
	}
	const struct type *bytes = mt && btf_is_array(mt) ? byte_array(a, mt) : NULL;
	if (bytes) {
		type_record_add_at(a, rec, name, bytes, bits / 8, 0, 0);
		return;
	}
	add_member(a, rec, name, m->type, bits, btf_member_bitfield_size(raw, i));
}

const struct type *kbtf_tracepoint_args(struct type_arena *a, const char *event)
{
	char cat[128], raw_name[256], rec_name[320];
	const char *ev = split_event(event, cat, sizeof(cat));
	if (!*ev || !kbtf_load())
		return NULL;
	snprintf(raw_name, sizeof(raw_name), "trace_event_raw_%s", ev);
	int32_t id = find_named(raw_name, BTF_KIND_STRUCT);
	if (id < 0)
		return NULL;
	/* bpftrace 0.17's name for the args of category:event */
	if (*cat)
		snprintf(rec_name, sizeof(rec_name), "struct _tracepoint_%s_%s", cat, ev);
	else
		snprintf(rec_name, sizeof(rec_name), "struct _tracepoint_%s", ev);
	const struct type *done = type_arena_lookup(a, KEY_TP_ARGS(id));
	if (done && strcmp(done->name, rec_name) == 0)
		return done;
	const struct btf_type *raw = btf_type((uint32_t)id);
	struct type *rec = type_record_new(a, REC_STRUCT, rec_name);
	for (uint32_t i = 0; i < btf_vlen(raw); i++)
		add_tp_member(a, rec, raw, i);
	type_record_finish(rec, raw->size);
	type_arena_remember(a, KEY_TP_ARGS(id), rec);
	return rec;
}

bool kbtf_has_tracepoint_record(const char *event)
{
	char cat[128], name[256];
	const char *ev = split_event(event, cat, sizeof(cat));
	if (!*ev || !kbtf_load())
		return false;
	snprintf(name, sizeof(name), "trace_event_raw_%s", ev);
	return find_named(name, BTF_KIND_STRUCT) > 0;
}

bool kbtf_has_tracepoint(const char *event)
{
	char cat[128], name[256];
	const char *ev = split_event(event, cat, sizeof(cat));
	if (!*ev || !kbtf_load())
		return false;
	snprintf(name, sizeof(name), "btf_trace_%s", ev);
	return find_named(name, BTF_KIND_TYPEDEF) > 0;
}

/* ---- loads the verifier checks against BTF ------------------------------------- */

/* The element of a (multi-dimensional) array member as the verifier sees
 * it: the innermost element's id and the number of them. */
static uint32_t array_element(uint32_t id, uint64_t *count)
{
	*count = 1;
	const struct btf_type *t = btf_type(id);
	for (int n = 0; n < MAX_NESTING && t && btf_is_array(t); n++) {
		*count *= btf_array(t)->nelems;
		id = skip_modifiers(btf_array(t)->type);
		t = btf_type(id);
	}
	return id;
}

/* A pointer member the verifier follows as a pointer: no type tag but
 * `rcu` on it (user and percpu memory cannot be loaded from directly). */
static bool pointer_untagged(const struct btf_type *ptr)
{
	const struct btf_type *to = btf_type(ptr->type);
	return !to || !btf_is_type_tag(to) || strcmp(btf_name(to->name_off), "rcu") == 0;
}

/* One member of the struct t that the load [*off, *off + size) falls in, as
 * btf_struct_walk() in kernel/bpf/btf.c finds it. Returns the kind of
 * load, or KBTF_LOAD_NONE with *inner set to an embedded struct to walk
 * into (*off then relative to it). */
static enum kbtf_load walk_member(const struct btf_type *t, uint32_t *off, uint32_t size,
				  uint32_t *inner, int32_t *pointee)
{
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		uint32_t bit = btf_member_bit_offset(t, (uint32_t)i), bits = btf_member_bitfield_size(t, (uint32_t)i);
		uint32_t moff = bit / 8;
		if (*off + size <= moff || (!bits && *off < moff))
			return KBTF_LOAD_NONE; /* a hole, or past every member */
		if (bits) {
			if (*off <= moff && (bit + bits + 7) / 8 <= *off + size)
				return KBTF_LOAD_NONE; /* reads a bitfield: not ours to do */
			continue;
		}
		__s64 msize = btf__resolve_size(kbtf.btf, m[i].type);
		if (msize < 0)
			return KBTF_LOAD_NONE; /* zero-sized members are passed over */
		uint64_t mend = (uint64_t)moff + (uint64_t)msize;
		if (*off >= mend)
			continue;
		uint64_t count;
		uint32_t own = skip_modifiers(m[i].type);
		uint32_t id = array_element(own, &count);
		const struct btf_type *mt = btf_type(id);
		if (!mt || count == 0)
			return KBTF_LOAD_NONE;
		if (id != own) { /* an array: the element the load starts in */
			__s64 esize = btf__resolve_size(kbtf.btf, id);
			if (esize <= 0)
				return KBTF_LOAD_NONE;
			moff += (*off - moff) / (uint32_t)esize * (uint32_t)esize;
		}
		if (btf_is_composite(mt)) {
			if (btf_is_union(mt))
				return KBTF_LOAD_NONE; /* the verifier takes a union's first member */
			*off -= moff;
			*inner = id;
			return KBTF_LOAD_NONE;
		}
		if (btf_is_ptr(mt)) {
			if (size != 8 || *off != moff || !pointer_untagged(mt))
				return KBTF_LOAD_NONE;
			uint32_t to = skip_modifiers(mt->type);
			const struct btf_type *tt = btf_type(to);
			if (tt && btf_is_composite(tt)) {
				if (btf_is_union(tt))
					return KBTF_LOAD_NONE;
				*pointee = (int32_t)to;
				return KBTF_LOAD_PTR;
			}
			return KBTF_LOAD_SCALAR;
		}
		return *off + size <= mend ? KBTF_LOAD_SCALAR : KBTF_LOAD_NONE;
	}
	return KBTF_LOAD_NONE;
}

enum kbtf_load kbtf_direct_load(int32_t id, uint32_t off, uint32_t size, int32_t *pointee)
{
	if (id <= 0 || !kbtf_load())
		return KBTF_LOAD_NONE;
	uint32_t sid = skip_modifiers((uint32_t)id);
	for (int n = 0; n < MAX_NESTING; n++) {
		const struct btf_type *t = btf_type(sid);
		if (!t || !btf_is_struct(t) || (uint64_t)off + size > t->size)
			return KBTF_LOAD_NONE;
		uint32_t inner = 0;
		enum kbtf_load k = walk_member(t, &off, size, &inner, pointee);
		if (k != KBTF_LOAD_NONE || !inner)
			return k;
		sid = inner;
	}
	return KBTF_LOAD_NONE;
}

bool kbtf_task_btf_loads(void)
{
	if (!kbtf_load())
		return false;
	if (kbtf.task_btf)
		return kbtf.task_btf == 2;
	kbtf.task_btf = 1;
	int32_t e = btf__find_by_name_kind(kbtf.btf, "bpf_func_id", BTF_KIND_ENUM);
	const struct btf_type *t = e > 0 ? btf_type((uint32_t)e) : NULL;
	for (int i = 0; t && i < btf_vlen(t); i++)
		if (strcmp(btf_name(btf_enum(t)[i].name_off), "BPF_FUNC_get_current_task_btf") == 0)
			kbtf.task_btf = 2;
	return kbtf.task_btf == 2;
}

/* task_struct.comm from the loaded BTF: the same checks as scan_comm() */
static bool loaded_task_comm(int32_t *task_id, uint32_t *offset)
{
	if (!kbtf_task_btf_loads())
		return false;
	int32_t id = btf__find_by_name_kind(kbtf.btf, "task_struct", BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf_type((uint32_t)id) : NULL;
	for (int i = 0; t && i < btf_vlen(t); i++) {
		const struct btf_member *m = &btf_members(t)[i];
		if (strcmp(btf_name(m->name_off), "comm") != 0 || btf_member_bitfield_size(t, (uint32_t)i))
			continue;
		const struct btf_type *a = btf_type(skip_modifiers(m->type));
		const struct btf_type *e = a && btf_is_array(a) ? btf_type(skip_modifiers(btf_array(a)->type)) : NULL;
		uint32_t off = btf_member_bit_offset(t, (uint32_t)i) / 8;
		int32_t none = 0;
		/* char[16], each half one load the verifier takes */
		if (!e || !btf_is_int(e) || e->size != 1 || btf_array(a)->nelems != 16 ||
		    kbtf_direct_load(id, off, 8, &none) != KBTF_LOAD_SCALAR ||
		    kbtf_direct_load(id, off + 8, 8, &none) != KBTF_LOAD_SCALAR)
			return false;
		*task_id = id;
		*offset = off;
		return true;
	}
	return false;
}

/* ---- task_struct.comm without loading BTF ---- */

/* `comm` alone does not make a script read kernel types, and loading BTF
 * with libbpf costs ~15 ms of CPU (the whole compile of such a one-liner
 * takes ~8). This reads the raw file once and walks it by hand for the
 * three facts needed: the kernel has bpf_get_current_task_btf, and
 * task_struct has a plain member `comm` of type char[16] at offset N. A
 * plain (not nested, not bitfield) member of a struct is what the verifier
 * finds at its own offset, whatever precedes it. */
struct raw_btf {
	const unsigned char *types;
	uint32_t types_len;
	const char *strs;
	uint32_t strs_len;
	uint32_t *at;   /* offset in types of each id (id 0: void) */
	uint32_t n;
};

static const char *raw_name(const struct raw_btf *r, uint32_t off)
{
	return off < r->strs_len ? r->strs + off : "";
}

/* bytes after the common btf_type header, by kind */
static uint32_t raw_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG: return 4;
	case BTF_KIND_ARRAY: return sizeof(struct btf_array);
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM: return vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO: return vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC: return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64: return vlen * sizeof(struct btf_enum64);
	default: return 0;
	}
}

static const struct btf_type *raw_type(const struct raw_btf *r, uint32_t id)
{
	return id && id < r->n ? (const struct btf_type *)(r->types + r->at[id]) : NULL;
}

static uint32_t raw_skip_modifiers(const struct raw_btf *r, uint32_t id)
{
	const struct btf_type *t;
	for (int n = 0; n < MAX_NESTING && (t = raw_type(r, id)) && (btf_is_mod(t) || btf_is_typedef(t)); n++)
		id = t->type;
	return id;
}

static bool raw_index(struct raw_btf *r, const unsigned char *buf, size_t len)
{
	const struct btf_header *h = (const struct btf_header *)buf;
	if (len < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len > len ||
	    (uint64_t)h->hdr_len + h->type_off + h->type_len > len || (uint64_t)h->hdr_len + h->str_off + h->str_len > len)
		return false;
	r->types = buf + h->hdr_len + h->type_off;
	r->types_len = h->type_len;
	r->strs = (const char *)buf + h->hdr_len + h->str_off;
	r->strs_len = h->str_len;
	if (!r->strs_len || r->strs[r->strs_len - 1] != '\0')
		return false;
	uint32_t cap = 1 << 16;
	r->at = xcalloc(cap, sizeof(*r->at));
	r->n = 1;
	for (uint32_t off = 0; off + sizeof(struct btf_type) <= r->types_len;) {
		const struct btf_type *t = (const struct btf_type *)(r->types + off);
		uint32_t size = (uint32_t)sizeof(struct btf_type) + raw_extra(btf_kind(t), btf_vlen(t));
		if (size > r->types_len - off)
			break;
		if (r->n == cap) {
			cap *= 2;
			r->at = xrealloc(r->at, cap * sizeof(*r->at));
		}
		r->at[r->n++] = off;
		off += size;
	}
	return true;
}

static bool raw_has_task_btf(const struct raw_btf *r)
{
	for (uint32_t id = 1; id < r->n; id++) {
		const struct btf_type *t = raw_type(r, id);
		if (!btf_is_enum(t) || strcmp(raw_name(r, t->name_off), "bpf_func_id") != 0)
			continue;
		for (int i = 0; i < btf_vlen(t); i++)
			if (strcmp(raw_name(r, btf_enum(t)[i].name_off), "BPF_FUNC_get_current_task_btf") == 0)
				return true;
	}
	return false;
}

static bool raw_task_comm(const struct raw_btf *r, int32_t *task_id, uint32_t *offset)
{
	for (uint32_t id = 1; id < r->n; id++) {
		const struct btf_type *t = raw_type(r, id);
		if (!btf_is_struct(t) || strcmp(raw_name(r, t->name_off), "task_struct") != 0)
			continue;
		for (int i = 0; i < btf_vlen(t); i++) {
			const struct btf_member *m = &btf_members(t)[i];
			if (strcmp(raw_name(r, m->name_off), "comm") != 0 || btf_member_bitfield_size(t, (uint32_t)i))
				continue;
			const struct btf_type *a = raw_type(r, raw_skip_modifiers(r, m->type));
			const struct btf_type *e =
				a && btf_is_array(a) ? raw_type(r, raw_skip_modifiers(r, btf_array(a)->type)) : NULL;
			uint32_t off = btf_member_bit_offset(t, (uint32_t)i) / 8;
			if (!e || !btf_is_int(e) || e->size != 1 || btf_array(a)->nelems != 16 || off + 16 > t->size)
				return false;
			*task_id = (int32_t)id;
			*offset = off;
			return true;
		}
		return false;
	}
	return false;
}

/* The file, mapped (kernels since 6.16 map vmlinux BTF: no copy, ~0.1 ms)
 * or read (~7 ms: sysfs gives it a page per read). */
static unsigned char *raw_file(const char *path, size_t *len, bool *mapped)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	unsigned char *buf = NULL;
	*mapped = false;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			*mapped = true;
			*len = (size_t)st.st_size;
			close(fd);
			return p;
		}
	}
	size_t cap = st.st_size > 0 ? (size_t)st.st_size : 8u << 20, got = 0;
	buf = xmalloc(cap);
	ssize_t n;
	while ((n = read(fd, buf + got, cap - got)) > 0) {
		got += (size_t)n;
		if (got == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	close(fd);
	*len = got;
	return buf;
}

static bool scan_task_comm(int32_t *task_id, uint32_t *offset)
{
	size_t len = 0;
	bool mapped;
	unsigned char *buf = raw_file("/sys/kernel/btf/vmlinux", &len, &mapped);
	if (!buf)
		return false;
	struct raw_btf r = { 0 };
	bool ok = raw_index(&r, buf, len) && raw_has_task_btf(&r) && raw_task_comm(&r, task_id, offset);
	free(r.at);
	if (mapped)
		munmap(buf, len);
	else
		free(buf);
	return ok;
}

bool kbtf_task_comm(int32_t *task_id, uint32_t *offset)
{
	/* once BTF is loaded (the script reads kernel types), or for a BTF
	 * file of another kernel, libbpf's copy answers */
	const char *path = getenv("BPFTRACE_BTF");
	if (kbtf.btf || kbtf.tried || (path && *path))
		return loaded_task_comm(task_id, offset);
	static int known; /* 0 not asked, 1 no, 2 yes */
	static int32_t id;
	static uint32_t off;
	if (!known)
		known = scan_task_comm(&id, &off) ? 2 : 1;
	*task_id = id;
	*offset = off;
	return known == 2;
}

/* ---- raw tracepoints and iterators ------------------------------------------ */

const struct btf *kbtf_btf(void)
{
	return kbtf_load() ? kbtf.btf : NULL;
}

/* The prototype of raw tracepoint NAME: the stub function
 * __probestub_NAME's (as bpftrace reads it: its parameters have names), or
 * the one of typedef btf_trace_NAME (unnamed), or NULL. */
static const struct btf_type *rawtp_proto(const char *name)
{
	static const char *const funcs[] = { "__probestub_%s", "__traceiter_%s", "__bpf_trace_%s" };
	char tname[256];
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		snprintf(tname, sizeof(tname), funcs[i], name);
		int32_t fid = find_named(tname, BTF_KIND_FUNC);
		const struct btf_type *proto = fid < 0 ? NULL : btf_type(btf_type((uint32_t)fid)->type);
		if (proto && btf_is_func_proto(proto) && btf_vlen(proto) > 0 &&
		    *btf_name(btf_params(proto)[btf_vlen(proto) - 1].name_off))
			return proto;
	}
	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	int32_t id = find_named(tname, BTF_KIND_TYPEDEF);
	if (id < 0)
		return NULL;
	const struct btf_type *t = btf_type(skip_modifiers(btf_type((uint32_t)id)->type));
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf_type(skip_modifiers(t->type));
	return t && btf_is_func_proto(t) ? t : NULL;
}

const struct type *kbtf_rawtracepoint_args(struct type_arena *a, const char *name)
{
	if (!kbtf_load())
		return NULL;
	const struct btf_type *proto = rawtp_proto(name);
	if (!proto)
		return NULL;
	char rec_name[320];
	snprintf(rec_name, sizeof(rec_name), "struct _rawtracepoint_%s", name);
	struct type *rec = type_record_new(a, REC_STRUCT, rec_name);
	const struct btf_param *p = btf_params(proto);
	/* the first parameter is the tracepoint's `void *__data`; each of the
	 * others is one u64 slot of the context */
	for (uint32_t i = 1; i < btf_vlen(proto); i++) {
		const char *pname = btf_name(p[i].name_off);
		char fallback[16];
		if (!*pname) {
			snprintf(fallback, sizeof(fallback), "arg%u", i - 1);
			pname = fallback;
		}
		const struct type *mt = convert(a, p[i].type);
		if (!mt || mt->size == 0 || mt->size > 8 || mt->kind == TY_RECORD || mt->kind == TY_ARRAY ||
		    mt->kind == TY_STR)
			mt = type_int(8, false);
		type_record_add_at(a, rec, pname, mt, (i - 1) * 8, 0, 0);
	}
	type_record_finish(rec, (btf_vlen(proto) > 0 ? btf_vlen(proto) - 1 : 0) * 8);
	return rec;
}

int kbtf_rawtracepoint_nargs(const char *name)
{
	if (!kbtf_load())
		return -1;
	const struct btf_type *proto = rawtp_proto(name);
	return proto && btf_vlen(proto) > 0 ? (int)btf_vlen(proto) - 1 : -1;
}

/* ---- the kernel's identity ---------------------------------------------------- */

#define NT_GNU_BUILD_ID_TYPE 3

static uint32_t read_u32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* The GNU build-id note among the ELF notes in buf (each: namesz, descsz,
 * type, then name and desc padded to 4 bytes) as hex into out. */
static void build_id_from_notes(const unsigned char *buf, size_t len, char *out, size_t outlen)
{
	size_t at = 0;
	out[0] = '\0';
	while (at + 12 <= len) {
		uint32_t namesz = read_u32(buf + at), descsz = read_u32(buf + at + 4);
		uint32_t type = read_u32(buf + at + 8);
		size_t name_at = at + 12;
		size_t desc_at = name_at + (((size_t)namesz + 3) & ~(size_t)3);
		size_t next = desc_at + (((size_t)descsz + 3) & ~(size_t)3);
		if (next > len || next <= at)
			return;
		if (type == NT_GNU_BUILD_ID_TYPE && namesz == 4 && memcmp(buf + name_at, "GNU", 4) == 0 &&
		    descsz * 2 + 1 <= outlen) {
			for (uint32_t i = 0; i < descsz; i++)
				snprintf(out + 2 * i, 3, "%02x", buf[desc_at + i]);
			return;
		}
		at = next;
	}
}

const char *kbtf_kernel_build_id(void)
{
	static char build_id[129];
	static bool read_once;
	if (read_once)
		return build_id;
	read_once = true;
	FILE *f = fopen("/sys/kernel/notes", "rb");
	if (!f)
		return build_id;
	unsigned char buf[4096];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	build_id_from_notes(buf, len, build_id, sizeof(build_id));
	return build_id;
}

/* ---- per-CPU variables ---------------------------------------------------------- */

/* Whether VAR id is an entry of the DATASEC ".data..percpu". */
static bool in_percpu_section(uint32_t var_id)
{
	int32_t sec = btf__find_by_name_kind(kbtf.btf, ".data..percpu", BTF_KIND_DATASEC);
	const struct btf_type *t = sec > 0 ? btf_type((uint32_t)sec) : NULL;
	if (!t)
		return false;
	const struct btf_var_secinfo *v = btf_var_secinfos(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++)
		if (v[i].type == var_id)
			return true;
	return false;
}

bool kbtf_percpu_var(const char *name, struct kbtf_var *out)
{
	if (!kbtf_load())
		return false;
	int32_t id = btf__find_by_name_kind(kbtf.btf, name, BTF_KIND_VAR);
	if (id <= 0 || !in_percpu_section((uint32_t)id))
		return false;
	uint32_t tid = skip_modifiers(btf_type((uint32_t)id)->type);
	const struct btf_type *t = btf_type(tid);
	out->type_id = tid;
	out->kind = KBTF_VAR_OTHER;
	out->type_name = "";
	out->size = 8;
	if (!t)
		return true;
	if (btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t)) {
		out->kind = KBTF_VAR_INT;
		out->size = t->size;
	} else if (btf_is_struct(t) || btf_is_union(t)) {
		out->kind = btf_is_struct(t) ? KBTF_VAR_STRUCT : KBTF_VAR_UNION;
		out->size = t->size;
		out->type_name = btf_name(t->name_off);
	}
	return true;
}
