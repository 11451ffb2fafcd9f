/* value.c - decoding bytes into values by their type, ordering values, and
 * their text form.
 *
 * Every value the runtime shows (map keys and values, printf's %s of a
 * record, print()) is decoded here from the bytes BPF wrote and the type
 * sema gave them (include/output.h). The sinks only format decoded values,
 * so text and JSON agree on what a value is: one decoder, two spellings. */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "output.h"
#include "util.h"

/* bpftrace's str_trunc_trailer: shown after a string that fills its buffer
 * without a NUL (it was cut). */
static const char *str_trunc_trailer = "..";
static char *str_trunc_trailer_owned; /* a copy of the last one set */

void rt_set_str_trunc_trailer(const char *trailer)
{
	free(str_trunc_trailer_owned);
	str_trunc_trailer_owned = trailer ? strdup(trailer) : NULL;
	str_trunc_trailer = str_trunc_trailer_owned ? str_trunc_trailer_owned : "..";
}

const char *rt_str_trunc_trailer(void)
{
	return str_trunc_trailer;
}

/* ---- the arena ---------------------------------------------------------------- */

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct rt_arena {
	struct arena_chunk *chunks;
};

struct rt_arena *rt_arena_new(void)
{
	return xcalloc(1, sizeof(struct rt_arena));
}

void *rt_arena_alloc(struct rt_arena *a, size_t size)
{
	size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	struct arena_chunk *c = a->chunks;
	if (!c || c->size - c->used < size) {
		size_t want = size > ARENA_CHUNK ? size : ARENA_CHUNK;
		c = xmalloc(sizeof(*c) + want);
		c->size = want;
		c->used = 0;
		c->next = a->chunks;
		a->chunks = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

void rt_arena_free(struct rt_arena *a)
{
	if (!a)
		return;
	for (struct arena_chunk *c = a->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static char *arena_strndup(struct rt_arena *a, const char *s, size_t len)
{
	char *p = rt_arena_alloc(a, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* ---- decoding ------------------------------------------------------------------- */

static struct rt_value *new_value(struct rt_arena *a, enum rv_kind kind)
{
	struct rt_value *v = rt_arena_alloc(a, sizeof(*v));
	v->kind = kind;
	return v;
}

struct rt_value *rt_value_int(struct rt_arena *a, int64_t x)
{
	struct rt_value *v = new_value(a, RV_INT);
	v->i = x;
	return v;
}

struct rt_value *rt_value_uint(struct rt_arena *a, uint64_t x)
{
	struct rt_value *v = new_value(a, RV_UINT);
	v->u = x;
	return v;
}

static void decode_into(struct rt_arena *a, struct rt_value *v, const struct type *t,
			const unsigned char *p);

static void decode_enum(struct rt_arena *a, struct rt_value *v, const struct type *t,
			const unsigned char *p)
{
	int64_t x = type_load_int(t, p);
	uint64_t bits = t->size < 8 ? (uint64_t)x & ((1ull << (t->size * 8)) - 1) : (uint64_t)x;
	v->kind = RV_SYMBOL;
	v->u = bits;
	const char *name = type_enumerator_name(t, x);
	if (name) {
		v->str = name;
		v->len = strlen(name);
		return;
	}
	char num[32];
	int len = snprintf(num, sizeof(num), "%" PRIu64, bits);
	v->str = arena_strndup(a, num, (size_t)len);
	v->len = (size_t)len;
}

/* exact: the bytes of a C char array, which may fill it without a NUL
 * ("hello" in char[5]): not a string cut short, no trailer */
static void decode_string(struct rt_arena *a, struct rt_value *v, const struct type *t,
			  const unsigned char *p, bool exact)
{
	size_t len = strnlen((const char *)p, t->size);
	v->kind = RV_STR;
	if (len == t->size && t->size > 0 && !exact && !type_str_is_char_array(t)) {
		size_t tl = strlen(str_trunc_trailer);
		char *s = rt_arena_alloc(a, len + tl + 1);
		memcpy(s, p, len);
		memcpy(s + len, str_trunc_trailer, tl + 1);
		v->str = s;
		v->len = len + tl;
		return;
	}
	v->str = arena_strndup(a, (const char *)p, len);
	v->len = len;
}

static void decode_list(struct rt_arena *a, struct rt_value *v, const struct type *t,
			const unsigned char *p)
{
	if (t->kind == TY_ARRAY) {
		v->kind = RV_ARRAY;
		v->n = (int)t->count;
		v->items = rt_arena_alloc(a, sizeof(*v->items) * (size_t)(v->n ? v->n : 1));
		uint32_t esize = t->elem ? t->elem->size : 0;
		for (int i = 0; i < v->n; i++)
			decode_into(a, &v->items[i], t->elem, p + (size_t)i * esize);
		return;
	}
	v->kind = t->rkind == REC_TUPLE ? RV_TUPLE : RV_RECORD;
	v->n = t->nmembers;
	v->items = rt_arena_alloc(a, sizeof(*v->items) * (size_t)(v->n ? v->n : 1));
	if (v->kind == RV_RECORD)
		v->names = rt_arena_alloc(a, sizeof(*v->names) * (size_t)(v->n ? v->n : 1));
	for (int i = 0; i < v->n; i++) {
		const struct type_member *m = &t->members[i];
		if (v->names)
			v->names[i] = m->name ? m->name : "";
		if (m->bit_size) {
			uint64_t bits = type_load_bitfield(m, p);
			bool is_signed = type_is_integer(m->type) && m->type->is_signed;
			if (is_signed && m->bit_size < 64 && (bits >> (m->bit_size - 1)) & 1)
				bits |= ~0ull << m->bit_size;
			v->items[i].kind = is_signed ? RV_INT : RV_UINT;
			v->items[i].i = (int64_t)bits;
			v->items[i].u = bits;
			continue;
		}
		if (m->type->kind == TY_STR && t->rkind != REC_TUPLE && t->rkind != REC_RECORD) {
			/* a char array member of a C struct or union */
			decode_string(a, &v->items[i], m->type, p + m->offset, true);
			continue;
		}
		decode_into(a, &v->items[i], m->type, p + m->offset);
	}
}

static void decode_into(struct rt_arena *a, struct rt_value *v, const struct type *t,
			const unsigned char *p)
{
	memset(v, 0, sizeof(*v));
	if (!t) {
		v->kind = RV_NONE;
		return;
	}
	switch (t->kind) {
	case TY_INT:
		if (t->is_signed) {
			v->kind = RV_INT;
			v->i = type_load_int(t, p);
		} else {
			v->kind = RV_UINT;
			v->u = (uint64_t)type_load_int(t, p);
		}
		return;
	case TY_BOOL:
		v->kind = RV_BOOL;
		v->u = p[0] != 0;
		return;
	case TY_ENUM:
		decode_enum(a, v, t, p);
		return;
	case TY_PTR: {
		char hex[32];
		uint64_t x;
		memcpy(&x, p, sizeof(x));
		int len = snprintf(hex, sizeof(hex), "0x%" PRIx64, x);
		v->kind = RV_SYMBOL;
		v->u = x;
		v->str = arena_strndup(a, hex, (size_t)len);
		v->len = (size_t)len;
		return;
	}
	case TY_STR:
		decode_string(a, v, t, p, false);
		return;
	case TY_BUF: {
		uint32_t len;
		memcpy(&len, p, sizeof(len));
		if (len > t->count)
			len = t->count;
		v->kind = RV_BUF;
		v->str = arena_strndup(a, (const char *)p + 4, len);
		v->len = len;
		return;
	}
	case TY_RECORD:
		if (rt_user_value(a, t, p, v))
			return;
		decode_list(a, v, t, p);
		return;
	case TY_ARRAY:
		decode_list(a, v, t, p);
		return;
	case TY_KSYM: {
		uint64_t addr;
		memcpy(&addr, p, sizeof(addr));
		rt_ksym_decode(a, v, addr);
		return;
	}
	case TY_STACK: {
		int64_t id;
		memcpy(&id, p, sizeof(id));
		rt_stack_decode(a, v, t, id);
		return;
	}
	default:
		v->kind = RV_NONE;
		return;
	}
}

/* Decoding reaches process-wide state (the stack maps and kernel symbols
 * of runtime/stacks.c, the caches of runtime/formats.c), and the --metrics
 * thread decodes keys while the event loop decodes events: one decode at
 * a time. The lock is held for one value, never across I/O to a client. */
static pthread_mutex_t decode_lock = PTHREAD_MUTEX_INITIALIZER;

struct rt_value *rt_decode(struct rt_arena *a, const struct type *t, const void *bytes)
{
	struct rt_value *v = new_value(a, RV_NONE);
	pthread_mutex_lock(&decode_lock);
	decode_into(a, v, t, bytes);
	pthread_mutex_unlock(&decode_lock);
	return v;
}

/* ---- ordering ---------------------------------------------------------------------- */

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

int rt_value_cmp(const struct rt_value *x, const struct rt_value *y)
{
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	switch (x->kind) {
	case RV_INT:
		/* bpftrace orders integer keys as u64 */
		return cmp_u64((uint64_t)x->i, (uint64_t)y->i);
	case RV_UINT:
	case RV_BOOL:
	case RV_SYMBOL:
		return cmp_u64(x->u, y->u);
	case RV_STR:
	case RV_BUF: {
		size_t n = x->len < y->len ? x->len : y->len;
		int c = memcmp(x->str, y->str, n);
		return c ? c : cmp_u64(x->len, y->len);
	}
	case RV_ARRAY:
	case RV_TUPLE:
	case RV_RECORD:
		for (int i = 0; i < x->n && i < y->n; i++) {
			int c = rt_value_cmp(&x->items[i], &y->items[i]);
			if (c)
				return c;
		}
		return x->n - y->n;
	default:
		return 0;
	}
}

/* ---- the text form ------------------------------------------------------------------- */

static void text_buffer(FILE *out, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 32 && p[i] <= 126)
			fputc(p[i], out);
		else
			fprintf(out, "\\x%02x", p[i]);
	}
}

static void item_text(FILE *out, const struct rt_value *v);

void rt_value_text(FILE *out, const struct rt_value *v)
{
	switch (v->kind) {
	case RV_INT:
		fprintf(out, "%" PRId64, v->i);
		return;
	case RV_UINT:
		fprintf(out, "%" PRIu64, v->u);
		return;
	case RV_BOOL:
		fputs(v->u ? "true" : "false", out);
		return;
	case RV_STR:
	case RV_SYMBOL:
		fwrite(v->str, 1, v->len, out);
		return;
	case RV_BUF:
		text_buffer(out, (const unsigned char *)v->str, v->len);
		return;
	case RV_ARRAY:
		/* arrays have no spaces, tuples and records do (bpftrace) */
		fputc('[', out);
		for (int i = 0; i < v->n; i++) {
			if (i)
				fputc(',', out);
			item_text(out, &v->items[i]);
		}
		fputc(']', out);
		return;
	case RV_TUPLE:
		fputc('(', out);
		for (int i = 0; i < v->n; i++) {
			if (i)
				fputs(", ", out);
			item_text(out, &v->items[i]);
		}
		fputc(')', out);
		return;
	case RV_RECORD:
		if (v->n == 0) {
			fputs("{}", out);
			return;
		}
		fputs("{ ", out);
		for (int i = 0; i < v->n; i++) {
			fprintf(out, "%s.%s = ", i ? ", " : "", v->names[i]);
			item_text(out, &v->items[i]);
		}
		fputs(" }", out);
		return;
	case RV_STACK:
		rt_stack_text(out, v, RT_STACK_INDENT_VALUE);
		return;
	case RV_HIST:
	case RV_TSERIES:
	case RV_NONE:
		return;
	}
}

/* A part of a record, tuple or array that has no value (a float member):
 * `null`, as the latest bpftrace prints it. */
static void item_text(FILE *out, const struct rt_value *v)
{
	if (v->kind == RV_NONE)
		fputs("null", out);
	else
		rt_value_text(out, v);
}

void rt_tseries_time(int64_t time_ns, bool utc, struct tm *tm, int64_t *ns)
{
	int64_t s = time_ns / 1000000000;
	*ns = time_ns % 1000000000;
	if (*ns < 0) {
		*ns += 1000000000;
		s--;
	}
	time_t t = (time_t)s;
	if (!(utc ? gmtime_r(&t, tm) : localtime_r(&t, tm)))
		memset(tm, 0, sizeof(*tm));
}
