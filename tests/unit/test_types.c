/* test_types.c - the type graph (src/types.c): sizes, alignments and C
 * layout, bpftrace's tuple layout, interning, copies between arenas,
 * merging, names and reading stored values.
 *
 * Tuple sizes are bpftrace's (Struct::CreateRecord: LLVM's natural layout,
 * strings aligned to 1); type names are spelled as bpftrace 0.17 spells
 * them in its messages. */
#include <stdint.h>
#include <string.h>

#include "types.h"

#include "check.h"

static const char *name_of(const struct type *t)
{
	static char buf[256];
	return type_name(t, buf, sizeof(buf));
}

#define CHECK_NAME(t, expected)                                                    \
	CHECKF(strcmp(name_of(t), expected) == 0, "got \"%s\", want \"%s\"", name_of(t), expected)

static const struct type *tuple2(struct type_arena *a, const struct type *x, const struct type *y)
{
	const struct type *e[] = { x, y };
	return type_tuple(a, e, 2);
}

/* ---- scalars and derived types ------------------------------------------------- */

static void test_scalars(void)
{
	for (uint32_t size = 1; size <= 8; size *= 2) {
		CHECK(type_int(size, true)->size == size && type_int(size, true)->align == size);
		CHECK(type_int(size, false)->size == size && type_int(size, false)->align == size);
		CHECK(type_int(size, true)->is_signed && !type_int(size, false)->is_signed);
		CHECK(type_int(size, true) == type_int(size, true));
	}
	CHECK(type_int(3, false) == type_int(8, false)); /* a bug, made harmless */
	CHECK(type_bool()->size == 1 && type_bool()->align == 1);
	CHECK(type_void()->size == 0 && type_void()->align == 1);
	CHECK(type_is_scalar(type_bool()) && type_is_scalar(type_int(2, true)));
	CHECK(!type_is_scalar(type_void()) && !type_is_scalar(type_none()));
	CHECK(type_is_none(NULL) && type_is_none(type_none()) && !type_is_none(type_void()));
}

static void test_literals(void)
{
	const struct type *t = type_int_literal(0, false);
	CHECK(t->size == 1 && t->is_signed && t->is_literal);
	CHECK(type_int_literal(127, false)->size == 1);
	CHECK(type_int_literal(128, false)->size == 2 && type_int_literal(128, false)->is_literal);
	CHECK(type_int_literal(70000, false)->size == 4);
	CHECK(type_int_literal(1ull << 40, false)->size == 8 && type_int_literal(1ull << 40, false)->is_literal);
	/* above INT64_MAX: uint64, not flexible */
	t = type_int_literal(UINT64_MAX, false);
	CHECK(t == type_int(8, false) && !t->is_literal);
	/* negative literals are signed and keep their sign */
	t = type_int_literal((uint64_t)-1, true);
	CHECK(t == type_int(1, true) && !t->is_literal);
	CHECK(type_int_literal((uint64_t)-1000, true) == type_int(2, true));
	CHECK(type_int_literal((uint64_t)-100000, true) == type_int(4, true));
	CHECK(type_int_literal((uint64_t)INT64_MIN, true) == type_int(8, true));
}

static void test_derived(void)
{
	struct type_arena *a = type_arena_new();
	const struct type *s = type_str(a, 16);
	CHECK(s->kind == TY_STR && s->size == 16 && s->align == 1);
	const struct type *b = type_buf(a, 8);
	CHECK(b->kind == TY_BUF && b->size == 12 && b->align == 1 && b->count == 8);
	const struct type *p = type_ptr(a, type_int(4, true), AS_USER);
	CHECK(p->size == 8 && p->align == 8 && p->as == AS_USER && p->elem == type_int(4, true));
	CHECK(type_ptr(a, NULL, AS_KERNEL)->elem == type_void());
	const struct type *arr = type_array(a, type_int(4, true), 4);
	CHECK(arr->size == 16 && arr->align == 4 && arr->count == 4);
	CHECK(type_array(a, type_int(8, false), 0)->size == 0); /* flexible */
	CHECK(type_array(a, s, 3)->size == 48 && type_array(a, s, 3)->align == 1);
	CHECK(type_is_aggregate(s) && type_is_aggregate(arr) && !type_is_aggregate(p));
	CHECK(type_is_char_array(type_array(a, type_int(1, true), 4)));
	CHECK(!type_is_char_array(arr));
	type_arena_free(a);
}

static void test_interning(void)
{
	struct type_arena *a = type_arena_new(), *other = type_arena_new();
	const struct type *i32 = type_int(4, true);
	CHECK(type_ptr(a, i32, AS_KERNEL) == type_ptr(a, i32, AS_KERNEL));
	CHECK(type_ptr(a, i32, AS_KERNEL) != type_ptr(a, i32, AS_USER));
	CHECK(type_ptr(a, i32, AS_KERNEL) != type_ptr(a, type_int(4, false), AS_KERNEL));
	CHECK(type_ptr(a, i32, AS_KERNEL) != type_ptr(other, i32, AS_KERNEL));
	CHECK(type_array(a, i32, 4) == type_array(a, i32, 4));
	CHECK(type_array(a, i32, 4) != type_array(a, i32, 5));
	CHECK(type_str(a, 16) == type_str(a, 16) && type_str(a, 16) != type_str(a, 17));
	CHECK(type_buf(a, 16) == type_buf(a, 16));
	CHECK((const void *)type_str(a, 16) != (const void *)type_buf(a, 16));
	const struct type *t1 = tuple2(a, type_int(8, true), type_str(a, 4));
	CHECK(t1 == tuple2(a, type_int(8, true), type_str(a, 4)));
	CHECK(t1 != tuple2(a, type_int(8, true), type_str(a, 5)));
	CHECK(t1 != tuple2(a, type_int(8, false), type_str(a, 4)));
	const struct type *one[] = { type_int(8, true) };
	CHECK(type_tuple(a, one, 1) != t1 && type_tuple(a, one, 1) == type_tuple(a, one, 1));
	/* many distinct requests: the chains stay correct */
	for (uint32_t n = 1; n < 2000; n++)
		CHECK(type_array(a, i32, n) == type_array(a, i32, n) && type_array(a, i32, n)->count == n);
	type_arena_free(a);
	type_arena_free(other);
}

static void test_arena_cache(void)
{
	struct type_arena *a = type_arena_new();
	CHECK(type_arena_lookup(a, 42) == NULL);
	type_arena_remember(a, 42, type_bool());
	type_arena_remember(a, (1ull << 32) | 42, type_void());
	CHECK(type_arena_lookup(a, 42) == type_bool());
	CHECK(type_arena_lookup(a, (1ull << 32) | 42) == type_void());
	for (uint64_t k = 1000; k < 3000; k++)
		type_arena_remember(a, k, type_int(k % 2 ? 4 : 8, true));
	CHECK(type_arena_lookup(a, 1001) == type_int(4, true));
	CHECK(type_arena_lookup(a, 2998) == type_int(8, true));
	const char *s = type_arena_strdup(a, "hello");
	CHECK(strcmp(s, "hello") == 0 && type_arena_strdup(a, NULL) == NULL);
	type_arena_free(a);
	type_arena_free(NULL);
}

/* ---- records and tuples ---------------------------------------------------------- */

static struct type *c_struct(struct type_arena *a, enum record_kind kind, const char *name,
			     const struct type *const *members, int n, bool packed)
{
	struct type *r = type_record_new(a, kind, name);
	r->is_packed = packed;
	for (int i = 0; i < n; i++) {
		char field[8];
		field[0] = (char)('a' + i);
		field[1] = '\0';
		type_record_add(a, r, field, members[i]);
	}
	type_record_finish(r, 0);
	return r;
}

static void test_c_layout(void)
{
	struct type_arena *a = type_arena_new();
	const struct type *i8 = type_int(1, true), *i16 = type_int(2, true), *i32 = type_int(4, true);
	const struct type *i64 = type_int(8, true);

	/* struct { char a; int b; char c; }: padding inside and at the end */
	const struct type *m1[] = { i8, i32, i8 };
	struct type *s = c_struct(a, REC_STRUCT, "struct s", m1, 3, false);
	CHECK(s->members[0].offset == 0 && s->members[1].offset == 4 && s->members[2].offset == 8);
	CHECKF(s->size == 12 && s->align == 4, "size %u align %u", s->size, s->align);
	CHECK(!s->incomplete && s->btf_id == -1);
	CHECK(type_member_find(s, "c") == &s->members[2] && type_member_find(s, "z") == NULL);

	/* struct { long a; char b; }: trailing padding to 8 */
	const struct type *m2[] = { i64, i8 };
	s = c_struct(a, REC_STRUCT, "struct t", m2, 2, false);
	CHECK(s->members[1].offset == 8 && s->size == 16 && s->align == 8);

	/* struct { short a; struct t b; char c; }: a record member aligns as its record */
	const struct type *m3[] = { i16, s, i8 };
	struct type *outer = c_struct(a, REC_STRUCT, "struct u", m3, 3, false);
	CHECK(outer->members[1].offset == 8 && outer->members[2].offset == 24 && outer->size == 32);

	/* union { char a; long b; int c[3]; }: every member at 0 */
	const struct type *m4[] = { i8, i64, type_array(a, i32, 3) };
	struct type *u = c_struct(a, REC_UNION, "union v", m4, 3, false);
	CHECK(u->members[0].offset == 0 && u->members[1].offset == 0 && u->members[2].offset == 0);
	CHECK(u->size == 16 && u->align == 8);

	/* packed: no padding, alignment 1 */
	const struct type *m5[] = { i8, i32, i16 };
	struct type *p = c_struct(a, REC_STRUCT, "struct w", m5, 3, true);
	CHECK(p->members[1].offset == 1 && p->members[2].offset == 5 && p->size == 7 && p->align == 1);

	/* an empty struct */
	struct type *e = c_struct(a, REC_STRUCT, "struct empty", NULL, 0, false);
	CHECK(e->size == 0 && e->align == 1 && e->nmembers == 0);

	/* members at known offsets (BTF): the given size wins */
	struct type *k = type_record_new(a, REC_STRUCT, "struct k");
	type_record_add_at(a, k, "x", i32, 4, 0, 0);
	type_record_add_at(a, k, "flag", type_int(4, false), 8, 3, 2);
	type_record_finish(k, 24);
	CHECK(k->size == 24 && k->align == 4 && k->members[1].bit_offset == 3 && k->members[1].bit_size == 2);

	/* many members: the member array grows and keeps them all */
	struct type *big = type_record_new(a, REC_STRUCT, "struct big");
	for (int i = 0; i < 300; i++) {
		char name[16];
		snprintf(name, sizeof(name), "m%d", i);
		type_record_add(a, big, name, i % 2 ? i8 : i32);
	}
	type_record_finish(big, 0);
	CHECK(big->nmembers == 300 && big->size == 150 * 8);
	CHECK(type_member_find(big, "m299") && type_member_find(big, "m299")->offset == 149 * 8 + 4);
	type_arena_free(a);
}

static void test_tuple_layout(void)
{
	struct type_arena *a = type_arena_new();
	const struct type *i8 = type_int(1, true), *i16 = type_int(2, true), *i32 = type_int(4, true);
	const struct type *i64 = type_int(8, true);

	const struct type *e1[] = { i8, i16, i32 };
	const struct type *t = type_tuple(a, e1, 3);
	CHECK(t->rkind == REC_TUPLE && t->members[1].offset == 2 && t->members[2].offset == 4);
	CHECKF(t->size == 8, "(int8,int16,int32) is %u bytes", t->size);
	CHECK(strcmp(t->members[0].name, "0") == 0 && strcmp(t->members[2].name, "2") == 0);

	const struct type *e2[] = { i32, i16, i8 };
	t = type_tuple(a, e2, 3);
	CHECK(t->members[1].offset == 4 && t->members[2].offset == 6);
	CHECKF(t->size == 8, "(int32,int16,int8) is %u bytes", t->size);

	/* ((int8),(int64),(int8),(int64)): 32 bytes */
	const struct type *one8[] = { i8 }, *one64[] = { i64 };
	const struct type *w8 = type_tuple(a, one8, 1), *w64 = type_tuple(a, one64, 1);
	CHECK(w8->size == 1 && w64->size == 8 && w64->align == 8);
	const struct type *e3[] = { w8, w64, w8, w64 };
	t = type_tuple(a, e3, 4);
	CHECK(t->members[1].offset == 8 && t->members[2].offset == 16 && t->members[3].offset == 24);
	CHECKF(t->size == 32, "((int8),(int64),(int8),(int64)) is %u bytes", t->size);

	/* strings align to 1: (int8, string[5], int64) -> 0, 1, 8; 16 bytes */
	const struct type *e4[] = { i8, type_str(a, 5), i64 };
	t = type_tuple(a, e4, 3);
	CHECK(t->members[1].offset == 1 && t->members[2].offset == 8 && t->size == 16);
	const struct type *e5[] = { type_str(a, 3), type_str(a, 2) };
	t = type_tuple(a, e5, 2);
	CHECK(t->members[1].offset == 3 && t->size == 5 && t->align == 1);
	/* a bool is one byte, a pointer 8, a buffer aligns to 1 */
	const struct type *e6[] = { type_bool(), type_ptr(a, i8, AS_KERNEL), type_buf(a, 3), type_bool() };
	t = type_tuple(a, e6, 4);
	CHECK(t->members[1].offset == 8 && t->members[2].offset == 16 && t->members[3].offset == 23);
	CHECK(t->size == 24);
	type_arena_free(a);
}

static void test_enums(void)
{
	struct type_arena *a = type_arena_new();
	struct type *e = type_enum_new(a, "enum color", 4, false);
	for (int i = 0; i < 40; i++) {
		char name[16];
		snprintf(name, sizeof(name), "C%d", i);
		type_enum_add(a, e, name, i * 10);
	}
	CHECK(e->kind == TY_ENUM && e->size == 4 && e->align == 4 && e->nenumerators == 40);
	CHECK(strcmp(e->enumerators[39].name, "C39") == 0 && e->enumerators[39].value == 390);
	CHECK(type_is_integer(e) && type_is_scalar(e));
	type_arena_free(a);
}

/* ---- copies -------------------------------------------------------------------- */

static void test_copy(void)
{
	struct type_arena *a = type_arena_new(), *to = type_arena_new();
	/* struct node { int v; struct node *next; char name[8]; } */
	struct type *node = type_record_new(a, REC_STRUCT, "struct node");
	type_record_add(a, node, "v", type_int(4, true));
	type_record_add(a, node, "next", type_ptr(a, node, AS_KERNEL));
	type_record_add(a, node, "name", type_str(a, 8));
	type_record_finish(node, 0);
	node->members[2].is_data_loc = true;

	const struct type *c = type_copy(to, node);
	CHECK(c != node && c->kind == TY_RECORD && strcmp(c->name, "struct node") == 0);
	CHECK(c->name != node->name && c->nmembers == 3 && c->size == node->size);
	CHECK(c->members[1].type->kind == TY_PTR && c->members[1].type != node->members[1].type);
	CHECK(c->members[1].type->elem == c); /* the self-reference points to the copy */
	CHECK(c->members[2].type == type_str(to, 8) && c->members[2].is_data_loc);
	CHECK(c->members[0].type == type_int(4, true)); /* scalars are shared */
	CHECK(type_copy(to, node) == c);                /* memoised */
	CHECK(type_equal(c, node));

	struct type *e = type_enum_new(a, "enum e", 2, true);
	type_enum_add(a, e, "A", -1);
	const struct type *ec = type_copy(to, e);
	CHECK(ec != e && ec->nenumerators == 1 && ec->enumerators[0].value == -1 && ec->size == 2);

	/* an incomplete record stays incomplete, with its BTF id */
	struct type *inc = type_record_new(a, REC_UNION, "union later");
	inc->incomplete = true;
	inc->btf_id = 1234;
	inc->size = 16;
	inc->align = 8;
	const struct type *ic = type_copy(to, inc);
	CHECK(ic->incomplete && ic->btf_id == 1234 && ic->size == 16 && ic->rkind == REC_UNION);

	const struct type *arr = type_copy(to, type_array(a, type_ptr(a, node, AS_USER), 3));
	CHECK(arr->count == 3 && arr->elem->elem == c && arr->elem->as == AS_USER);
	CHECK(arr == type_array(to, arr->elem, 3));
	/* copies are interned in their new arena like types made there */
	CHECK(c->members[1].type == type_ptr(to, c, AS_KERNEL));
	CHECK(arr->elem == type_ptr(to, c, AS_USER));
	const struct type *inner[] = { type_int(8, true), type_str(a, 4) };
	const struct type *outer[] = { type_tuple(a, inner, 2), type_ptr(a, node, AS_KERNEL) };
	const struct type *tc = type_copy(to, type_tuple(a, outer, 2));
	const struct type *inner_to[] = { type_int(8, true), type_str(to, 4) };
	const struct type *outer_to[] = { type_tuple(to, inner_to, 2), type_ptr(to, c, AS_KERNEL) };
	CHECK(tc == type_tuple(to, outer_to, 2));
	CHECK(type_copy(to, type_tuple(a, outer, 2)) == tc);

	/* the copies outlive the arena they came from */
	type_arena_free(a);
	CHECK_NAME(c, "struct node");
	CHECK(strcmp(c->members[1].name, "next") == 0 && c->members[1].offset == 8);
	CHECK(type_copy(to, NULL) == NULL && type_copy(to, type_bool()) == type_bool());
	type_arena_free(to);
}

/* ---- merging ---------------------------------------------------------------------- */

static void test_merge_ints(void)
{
	struct type_arena *a = type_arena_new();
	const struct type *i8 = type_int(1, true), *i16 = type_int(2, true), *i32 = type_int(4, true);
	const struct type *i64 = type_int(8, true), *u8 = type_int(1, false), *u16 = type_int(2, false);
	const struct type *u32 = type_int(4, false), *u64 = type_int(8, false);

	/* same sign: the larger */
	CHECK(type_merge(a, i8, i32) == i32 && type_merge(a, i32, i8) == i32);
	CHECK(type_merge(a, u8, u64) == u64 && type_merge(a, u16, u16) == u16);
	/* mixed: a signed type holding both, int64 at most */
	CHECK(type_merge(a, i8, u8) == i16);
	CHECK(type_merge(a, u16, i8) == i32);
	CHECK(type_merge(a, i32, u16) == i32);
	CHECK(type_merge(a, i32, u32) == i64);
	CHECK(type_merge(a, u64, i8) == i64 && type_merge(a, i64, u64) == i64);
	/* literals take the other side's sign */
	const struct type *lit5 = type_int_literal(5, false), *lit1000 = type_int_literal(1000, false);
	CHECK(type_merge(a, lit5, u32) == u32 && type_merge(a, u32, lit5) == u32);
	CHECK(type_merge(a, lit5, i16) == i16);
	CHECK(type_merge(a, lit1000, u8) == u16);
	CHECK(type_merge(a, u8, type_int_literal(1ull << 40, false)) == u64);
	/* two literals stay a literal */
	const struct type *m = type_merge(a, lit5, lit1000);
	CHECK(m->is_literal && m->size == 2 && m->is_signed);
	CHECK(type_merge(a, lit5, lit5) == lit5);
	/* a negative literal is signed */
	CHECK(type_merge(a, type_int_literal((uint64_t)-1, true), u8) == i16);
	/* a literal above INT64_MAX is plain uint64 */
	CHECK(type_merge(a, type_int_literal(UINT64_MAX, false), i8) == i64);
	type_arena_free(a);
}

static void test_merge_others(void)
{
	struct type_arena *a = type_arena_new();
	const struct type *s16 = type_str(a, 16), *s64 = type_str(a, 64);
	CHECK(type_merge(a, s16, s64) == s64 && type_merge(a, s64, s16) == s64);
	CHECK(type_merge(a, type_int(8, true), s16) == NULL);
	CHECK(type_merge(a, s16, type_int(8, true)) == NULL);
	CHECK(type_merge(a, type_bool(), type_int(1, false)) == NULL);
	CHECK(type_merge(a, type_none(), s16) == s16 && type_merge(a, s16, NULL) == s16);
	CHECK(type_merge(a, type_buf(a, 4), type_buf(a, 8)) == type_buf(a, 8));

	/* tuples, element by element, interned */
	const struct type *t1 = tuple2(a, type_int_literal(1, false), type_str(a, 2));
	const struct type *t2 = tuple2(a, type_int(8, true), type_str(a, 4));
	const struct type *m = type_merge(a, t1, t2);
	CHECK(m == tuple2(a, type_int(8, true), type_str(a, 4)));
	CHECK(type_merge(a, t2, t2) == t2);
	CHECK(type_merge(a, t1, tuple2(a, s16, s16)) == NULL);
	const struct type *one[] = { type_int(8, true) };
	CHECK(type_merge(a, t1, type_tuple(a, one, 1)) == NULL);
	CHECK(type_merge(a, t1, s16) == NULL);

	/* pointers: the same, or one to void */
	const struct type *pi = type_ptr(a, type_int(4, true), AS_KERNEL);
	const struct type *pv = type_ptr(a, type_void(), AS_KERNEL);
	CHECK(type_merge(a, pi, pv) == pi && type_merge(a, pv, pi) == pi);
	CHECK(type_merge(a, pi, type_ptr(a, type_int(8, true), AS_KERNEL)) == NULL);

	/* enums: with the same enum themselves, otherwise integers */
	struct type *e1 = type_enum_new(a, "enum one", 4, false);
	struct type *e2 = type_enum_new(a, "enum two", 8, true);
	CHECK(type_merge(a, e1, e1) == e1);
	CHECK(type_merge(a, e1, type_int(8, false)) == type_int(8, false));
	CHECK(type_merge(a, type_int_literal(3, false), e1) == type_int(4, false));
	CHECK(type_merge(a, e1, e2) == type_int(8, true));
	CHECK(type_merge(a, e1, s16) == NULL);

	/* records: fields matched by name, the first one's order kept */
	struct type *r1 = type_record_new(a, REC_RECORD, NULL);
	type_record_add(a, r1, "a", type_int(4, true));
	type_record_add(a, r1, "b", type_str(a, 2));
	type_record_finish(r1, 0);
	struct type *r2 = type_record_new(a, REC_RECORD, NULL);
	type_record_add(a, r2, "b", type_str(a, 8));
	type_record_add(a, r2, "a", type_int(2, true));
	type_record_finish(r2, 0);
	const struct type *rm = type_merge(a, r1, r2);
	CHECK(rm && rm->rkind == REC_RECORD && rm->nmembers == 2);
	CHECK(rm && strcmp(rm->members[0].name, "a") == 0 && rm->members[0].type == type_int(4, true));
	CHECK(rm && strcmp(rm->members[1].name, "b") == 0 && rm->members[1].type == type_str(a, 8));
	struct type *r3 = type_record_new(a, REC_RECORD, NULL);
	type_record_add(a, r3, "a", type_int(4, true));
	type_record_add(a, r3, "c", type_str(a, 2));
	type_record_finish(r3, 0);
	CHECK(type_merge(a, r1, r3) == NULL);

	/* C structs only with themselves */
	struct type *s = type_record_new(a, REC_STRUCT, "struct s");
	type_record_finish(s, 0);
	struct type *t = type_record_new(a, REC_STRUCT, "struct t");
	type_record_finish(t, 0);
	CHECK(type_merge(a, s, s) == s && type_merge(a, s, t) == NULL);
	type_arena_free(a);
}

static void test_storage(void)
{
	CHECK(type_storage(type_int(1, true)) == type_int(8, true));
	CHECK(type_storage(type_int(2, false)) == type_int(8, false));
	CHECK(type_storage(type_int(8, false)) == type_int(8, false));
	const struct type *lit = type_storage(type_int_literal(3, false));
	CHECK(lit->size == 8 && lit->is_literal && lit->is_signed);
	CHECK(type_storage(type_bool()) == type_bool());
	struct type_arena *a = type_arena_new();
	CHECK(type_storage(type_str(a, 5)) == type_str(a, 5));
	type_arena_free(a);
}

/* ---- names -------------------------------------------------------------------------- */

static void test_names(void)
{
	struct type_arena *a = type_arena_new();
	CHECK_NAME(type_int(8, false), "uint64");
	CHECK_NAME(type_int(1, true), "int8");
	CHECK_NAME(type_int_literal(5, false), "int8");
	CHECK_NAME(type_bool(), "bool");
	CHECK_NAME(type_void(), "void");
	CHECK_NAME(type_none(), "none");
	CHECK_NAME(NULL, "none");
	CHECK_NAME(type_str(a, 16), "string[16]");
	CHECK_NAME(type_buf(a, 8), "buffer[8]");
	CHECK_NAME(type_array(a, type_int(4, true), 4), "int32[4]");
	CHECK_NAME(type_ptr(a, type_int(4, true), AS_KERNEL), "int32 *");
	/* bpftrace 0.17: "... a value of type 'int8 * *'" */
	CHECK_NAME(type_ptr(a, type_ptr(a, type_int(1, true), AS_KERNEL), AS_KERNEL), "int8 * *");
	CHECK_NAME(type_array(a, type_ptr(a, type_void(), AS_KERNEL), 2), "void *[2]");
	struct type *ts = type_record_new(a, REC_STRUCT, "struct task_struct");
	CHECK_NAME(type_ptr(a, ts, AS_KERNEL), "struct task_struct *");
	struct type *e = type_enum_new(a, "enum pid_type", 4, false);
	CHECK_NAME(e, "enum pid_type");
	const struct type *e2[] = { type_int(8, true), type_str(a, 4) };
	const struct type *t = type_tuple(a, e2, 2);
	CHECK_NAME(t, "(int64,string[4])");
	const struct type *e3[] = { t, type_int(1, false) };
	CHECK_NAME(type_tuple(a, e3, 2), "((int64,string[4]),uint8)");
	/* bpftrace's spelling of records and anonymous C structs */
	struct type *r = type_record_new(a, REC_RECORD, NULL);
	type_record_add(a, r, "a", type_int(8, true));
	type_record_add(a, r, "b", type_str(a, 4));
	type_record_finish(r, 0);
	CHECK_NAME(r, "record { .a = int64, .b = string[4] }");
	struct type *anon = type_record_new(a, REC_STRUCT, NULL);
	type_record_add(a, anon, "x", type_int(4, true));
	type_record_add(a, anon, "y", type_int(8, false));
	type_record_finish(anon, 0);
	CHECK_NAME(anon, "struct {int32,uint64}");
	anon->rkind = REC_UNION;
	CHECK_NAME(anon, "union {int32,uint64}");
	/* a short buffer truncates but stays terminated */
	char small[6];
	type_name(type_str(a, 1024), small, sizeof(small));
	CHECK(strcmp(small, "strin") == 0);
	type_arena_free(a);
}

/* ---- reading stored values ---------------------------------------------------------- */

static void test_load(void)
{
	unsigned char bytes[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
	CHECK(type_load_int(type_int(1, true), bytes) == -1);
	CHECK(type_load_int(type_int(1, false), bytes) == 255);
	CHECK(type_load_int(type_int(2, true), bytes) == -1);
	CHECK(type_load_int(type_int(4, false), bytes) == 0xffffffffll);
	CHECK(type_load_int(type_int(8, true), bytes) == -1);
	CHECK(type_load_int(type_int(1, true), bytes + 8) == -128);
	CHECK(type_load_int(type_int(2, true), bytes + 8) == 128);
	CHECK(type_load_int(type_bool(), bytes + 8) == 128);
	unsigned char le[4] = { 0x34, 0x12, 0x00, 0x80 };
	CHECK(type_load_int(type_int(4, true), le) == (int32_t)0x80001234);
	CHECK(type_load_int(type_int(2, false), le) == 0x1234);

	struct type_arena *a = type_arena_new();
	struct type *e = type_enum_new(a, "enum s", 1, true);
	CHECK(type_load_int(e, bytes) == -1);
	type_arena_free(a);
}

static void test_bitfields(void)
{
	/* 0b1011_0110 0b0000_0011: bits 1..3 = 0b011, bits 4..9 = 0b11_1011 */
	unsigned char rec[12] = { 0, 0, 0xb6, 0x03, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct type_member m = { .name = "f", .type = type_int(4, false), .offset = 2,
				 .bit_offset = 1, .bit_size = 3 };
	CHECK(type_load_bitfield(&m, rec) == 3);
	m.bit_offset = 4;
	m.bit_size = 6;
	CHECKF(type_load_bitfield(&m, rec) == 0x3b, "%llx", (unsigned long long)type_load_bitfield(&m, rec));
	m.bit_offset = 0;
	m.bit_size = 1;
	CHECK(type_load_bitfield(&m, rec) == 0);
	/* a 64-bit field starting at bit 4 spans 9 bytes */
	unsigned char wide[9] = { 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a };
	struct type_member w = { .name = "w", .type = type_int(8, false), .offset = 0,
				 .bit_offset = 4, .bit_size = 64 };
	CHECKF(type_load_bitfield(&w, wide) == 0xafffffffffffffffull, "%llx",
	       (unsigned long long)type_load_bitfield(&w, wide));
	/* the last byte of a record: only the bytes the field covers are read */
	unsigned char last[1] = { 0x80 };
	struct type_member l = { .name = "l", .type = type_int(4, false), .offset = 0,
				 .bit_offset = 7, .bit_size = 1 };
	CHECK(type_load_bitfield(&l, last) == 1);
}

int main(void)
{
	test_scalars();
	test_literals();
	test_derived();
	test_interning();
	test_arena_cache();
	test_c_layout();
	test_tuple_layout();
	test_enums();
	test_copy();
	test_merge_ints();
	test_merge_others();
	test_storage();
	test_names();
	test_load();
	test_bitfields();
	return failures != 0;
}
