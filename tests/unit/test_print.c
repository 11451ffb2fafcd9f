/* test_print.c - printf records and map printing, byte for byte against bpftrace.
 *
 * Every expected string below was printed by bpftrace 0.17 for the script in
 * the comment above it (`bpftrace -e '...' | cat -A`), with two deliberate
 * differences where sonde follows the latest bpftrace: histogram headers have
 * no trailing space ("@h:" not "@h: ") and stats print as a record
 * ("{ .count = 3, .average = 21, .total = 63 }" not "count 3, average 21,
 * total 63").
 *
 * Snapshots and printf records are built by hand; the last part creates real
 * BPF maps from user space (needs root; skipped otherwise) to test reading,
 * per-CPU combining, zero() and clear(). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "builtins.h"
#include "runtime.h"

#include "check.h"

/* ---- capturing output ---------------------------------------------------- */

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	return c->f;
}

static void show_escaped(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("$\n", stderr);
		else
			fputc(*s, stderr);
	}
}

#define CHECK_CAPTURE(c, expected) check_capture((c), (expected), __LINE__)
static void check_capture(struct capture *c, const char *expected, int line)
{
	fclose(c->f);
	if (strcmp(c->buf, expected) != 0) {
		failures++;
		fprintf(stderr, "%s:%d: FAIL: output differs\n--- expected:\n", __FILE__, line);
		show_escaped(expected);
		fputs("--- got:\n", stderr);
		show_escaped(c->buf);
		fputs("---\n", stderr);
	}
	free(c->buf);
}

/* ---- building descriptions and snapshots ----------------------------------- */

/* The types of the hand-built descriptions (as a description's own arena). */
static struct type_arena *types;

#define KI type_int(8, true)
#define KU type_int(8, false)
/* string[n]: a literal of n - 1 characters, or comm's string[16] */
#define S(n) type_str(types, (n))
#define KS S(16)

/* A map description as sema makes it (sema/maps.c): the key is NULL for a
 * scalar map, the part's type for one part and the tuple of the parts for
 * several, integers stored as 64 bits; the BPF key is the user key (or the
 * u64 0 of a scalar map), plus a u64 bucket at the next multiple of 8 for
 * hist/lhist; aggregations' values have their descriptor's size. Values:
 * count and hist yield uint64, the others int64 (the scripts aggregate
 * signed values). */
static struct desc_map make_map(const char *name, enum map_kind kind, int nkeys, ...)
{
	struct desc_map m;
	const struct type *parts[SONDE_MAX_KEY_PARTS];
	va_list ap;

	memset(&m, 0, sizeof(m));
	m.name = (char *)name;
	m.bpf_name = (char *)name + 1;
	m.kind = kind;
	va_start(ap, nkeys);
	for (int i = 0; i < nkeys; i++)
		parts[i] = type_storage(va_arg(ap, const struct type *));
	va_end(ap);
	m.key = nkeys == 0 ? NULL : nkeys == 1 ? parts[0] : type_tuple(types, parts, nkeys);
	const struct agg_desc *agg = kind == MAP_PLAIN ? NULL : agg_find(kind);
	uint32_t user = m.key ? m.key->size : 0;
	m.key_size = agg && agg->bucketed ? ((user + 7) & ~7u) + 8 : m.key ? user : 8;
	m.value = type_int(8, kind != MAP_COUNT && kind != MAP_HIST && kind != MAP_LHIST);
	m.value_size = agg ? agg->value_size : 8;
	return m;
}

/* A plain map's value type (and size, as sema gives it). */
static void set_value(struct desc_map *m, const struct type *t)
{
	m->value = t;
	m->value_size = t->size;
}

static void set_lhist(struct desc_map *m, int64_t min, int64_t max, int64_t step)
{
	m->args[0] = min;
	m->args[1] = max;
	m->args[2] = step;
}

/* Part i of the key: its type and offset. */
static const struct type *key_part(const struct desc_map *m, int i, uint32_t *offset)
{
	if (m->key->kind == TY_RECORD && m->key->rkind == REC_TUPLE) {
		*offset = m->key->members[i].offset;
		return m->key->members[i].type;
	}
	*offset = 0;
	return m->key;
}

static int key_nparts(const struct desc_map *m)
{
	if (!m->key)
		return 0;
	return m->key->kind == TY_RECORD && m->key->rkind == REC_TUPLE ? m->key->nmembers : 1;
}

/* The user key laid out by the key type: one argument per key part
 * (int64_t or const char *). A scalar map's key is the u64 0. */
static unsigned char *make_key(const struct desc_map *m, ...)
{
	unsigned char *key = xcalloc(1, m->key_size);
	va_list ap;
	va_start(ap, m);
	for (int i = 0; i < key_nparts(m); i++) {
		uint32_t off;
		const struct type *t = key_part(m, i, &off);
		if (t->kind == TY_STR) {
			const char *s = va_arg(ap, const char *);
			strncpy((char *)key + off, s, t->size - 1);
		} else {
			int64_t v = va_arg(ap, int64_t);
			memcpy(key + off, &v, t->size);
		}
	}
	va_end(ap);
	return key;
}

static struct rt_map_entry *add_entry(struct rt_map_snapshot *s, unsigned char *key)
{
	s->entries = xrealloc(s->entries, (size_t)(s->n + 1) * sizeof(*s->entries));
	struct rt_map_entry *e = &s->entries[s->n++];
	memset(e, 0, sizeof(*e));
	e->key = key;
	return e;
}

/* A plain map's value: its bytes laid out by the value type. */
static void add_bytes(struct rt_map_snapshot *s, unsigned char *key, const void *bytes)
{
	struct rt_map_entry *e = add_entry(s, key);
	uint32_t size = s->map->value->size;
	e->value = xcalloc(1, size ? size : 1);
	memcpy(e->value, bytes, size);
}

/* An integer value: the plain map's bytes, or what count/sum/min/max's
 * combine() gives (stdlib/aggs.c). */
static void add_value(struct rt_map_snapshot *s, unsigned char *key, int64_t v)
{
	const struct desc_map *m = s->map;
	if (m->kind == MAP_PLAIN) {
		add_bytes(s, key, &v);
		return;
	}
	struct rt_map_entry *e = add_entry(s, key);
	e->agg.value = v;
	e->agg.is_unsigned = !m->value->is_signed;
	e->agg.is_set = m->kind == MAP_MIN || m->kind == MAP_MAX;
}

/* A string value, NUL-padded to the value type's size. */
static void add_string(struct rt_map_snapshot *s, unsigned char *key, const char *str)
{
	char buf[256] = { 0 };
	strncpy(buf, str, sizeof(buf) - 1);
	add_bytes(s, key, buf);
}

/* avg/stats: what combine_mean() gives. */
static void add_mean(struct rt_map_snapshot *s, unsigned char *key, int64_t total, uint64_t count)
{
	struct rt_map_entry *e = add_entry(s, key);
	e->agg.total = total;
	e->agg.count = count;
	e->agg.is_unsigned = !s->map->value->is_signed;
	e->agg.value = count ? total / (int64_t)count : 0;
}

/* desc.h bucket numbering */
static int hist_bucket(int64_t v)
{
	if (v < 0)
		return 0;
	if (v == 0)
		return 1;
	int k = 0;
	while (k < 63 && ((uint64_t)v >> (k + 1)))
		k++;
	return k + 2;
}

static int lhist_bucket(const struct desc_map *m, int64_t v)
{
	int64_t min = m->args[0], max = m->args[1], step = m->args[2];
	if (v < min)
		return 0;
	if (v >= max)
		return (int)((max - min) / step) + 1;
	return (int)(1 + (v - min) / step);
}

/* A hist/lhist entry from the sample values the script fed it, as the
 * reader groups buckets (runtime/maps.c): the total count is the value.
 * Ends at a sentinel INT64_MIN. */
static void add_samples(struct rt_map_snapshot *s, unsigned char *key, ...)
{
	const struct desc_map *m = s->map;
	struct rt_map_entry *e = add_entry(s, key);
	e->agg.nbuckets = agg_find(m->kind)->nbuckets(m);
	e->agg.buckets = xcalloc((size_t)e->agg.nbuckets, sizeof(uint64_t));
	e->agg.is_unsigned = true;
	va_list ap;
	va_start(ap, key);
	for (int64_t v; (v = va_arg(ap, int64_t)) != INT64_MIN;) {
		e->agg.buckets[m->kind == MAP_HIST ? hist_bucket(v) : lhist_bucket(m, v)]++;
		e->agg.value++;
	}
	va_end(ap);
}
#define END INT64_MIN

/* The text sink writing into a capture. */
static struct rt_output *text_sink(struct capture *c)
{
	static struct rt_output o;
	rt_output_text(&o, cap_open(c), stderr);
	return &o;
}

static void expect_print(struct rt_map_snapshot *s, int64_t top, int64_t div, const char *expected, int line)
{
	struct capture c;
	rt_map_print(text_sink(&c), s, top, div);
	check_capture(&c, expected, line);
}
#define EXPECT_PRINT(s, top, div, expected) expect_print((s), (top), (div), (expected), __LINE__)

/* ---- scalar aggregations ------------------------------------------------------ */

/* bpftrace -e 'BEGIN { @c = count(); @c = count(); @c = count(); @s = sum(5); @s = sum(7);
 *   @a = avg(10); @a = avg(21); @mn = min(5); @mn = min(-3); @mx = max(5); @mx = max(42);
 *   @st = stats(10); @st = stats(20); @st = stats(33); exit(); }'
 * printed (after "Attaching 1 probe...\n\n\n"):
 *   @a: 15\n\n@c: 3\n@mn: -3\n@mx: 42\n@s: 12\n@st: count 3, average 21, total 63\n\n */
static void test_scalars(void)
{
	struct desc_map ma = make_map("@a", MAP_AVG, 0), mc = make_map("@c", MAP_COUNT, 0);
	struct desc_map mmn = make_map("@mn", MAP_MIN, 0), mmx = make_map("@mx", MAP_MAX, 0);
	struct desc_map ms = make_map("@s", MAP_SUM, 0), mst = make_map("@st", MAP_STATS, 0);
	struct rt_map_snapshot s = { &ma, NULL, 0 };

	add_mean(&s, make_key(&ma), 31, 2);
	EXPECT_PRINT(&s, 0, 0, "@a: 15\n\n");
	rt_map_snapshot_free(&s);

	s.map = &mc;
	add_value(&s, make_key(&mc), 3);
	EXPECT_PRINT(&s, 0, 0, "@c: 3\n");
	rt_map_snapshot_free(&s);

	s.map = &mmn;
	add_value(&s, make_key(&mmn), -3);
	EXPECT_PRINT(&s, 0, 0, "@mn: -3\n");
	rt_map_snapshot_free(&s);

	s.map = &mmx;
	add_value(&s, make_key(&mmx), 42);
	EXPECT_PRINT(&s, 0, 0, "@mx: 42\n");
	rt_map_snapshot_free(&s);

	s.map = &ms;
	add_value(&s, make_key(&ms), 12);
	EXPECT_PRINT(&s, 0, 0, "@s: 12\n");
	rt_map_snapshot_free(&s);

	s.map = &mst;
	add_mean(&s, make_key(&mst), 63, 3);
	EXPECT_PRINT(&s, 0, 0, "@st: { .count = 3, .average = 21, .total = 63 }\n\n");
	rt_map_snapshot_free(&s);
}

/* bpftrace -e 'BEGIN { @a = avg(-10); @a = avg(-5); @b = avg(-7); @b = avg(0);
 *   @st = stats(-7); @st = stats(0); exit(); }'
 *   @a: -7\n\n@b: -3\n\n@st: count 2, average -3, total -7\n\n
 * (integer division truncates toward zero) */
static void test_negative_means(void)
{
	struct desc_map ma = make_map("@a", MAP_AVG, 0), mb = make_map("@b", MAP_AVG, 0);
	struct desc_map mst = make_map("@st", MAP_STATS, 0);
	struct rt_map_snapshot s = { &ma, NULL, 0 };

	add_mean(&s, make_key(&ma), -15, 2);
	EXPECT_PRINT(&s, 0, 0, "@a: -7\n\n");
	rt_map_snapshot_free(&s);
	s.map = &mb;
	add_mean(&s, make_key(&mb), -7, 2);
	EXPECT_PRINT(&s, 0, 0, "@b: -3\n\n");
	rt_map_snapshot_free(&s);
	s.map = &mst;
	add_mean(&s, make_key(&mst), -7, 2);
	EXPECT_PRINT(&s, 0, 0, "@st: { .count = 2, .average = -3, .total = -7 }\n\n");
	rt_map_snapshot_free(&s);
}

/* ---- keyed maps -------------------------------------------------------------- */

static void test_keyed(void)
{
	/* bpftrace -e 'BEGIN { @x[3]=5; @x[1]=7; @x[2]=6; @x[10]=-1; @u[1] = (uint32)4000000000;
	 *   @u[2] = (uint32)5; @i[1] = (int32)-5; @i[2] = (int8)-1; exit(); }'
	 *   @i[1]: -5\n@i[2]: -1\n@u[2]: 5\n@u[1]: 4000000000\n@x[10]: -1\n@x[3]: 5\n@x[2]: 6\n@x[1]: 7\n */
	struct desc_map mx = make_map("@x", MAP_PLAIN, 1, KI);
	struct rt_map_snapshot s = { &mx, NULL, 0 };
	add_value(&s, make_key(&mx, (int64_t)3), 5);
	add_value(&s, make_key(&mx, (int64_t)1), 7);
	add_value(&s, make_key(&mx, (int64_t)2), 6);
	add_value(&s, make_key(&mx, (int64_t)10), -1);
	EXPECT_PRINT(&s, 0, 0, "@x[10]: -1\n@x[3]: 5\n@x[2]: 6\n@x[1]: 7\n");
	rt_map_snapshot_free(&s);

	struct desc_map mu = make_map("@u", MAP_PLAIN, 1, KI);
	set_value(&mu, KU); /* a uint32 is stored as uint64 */
	s.map = &mu;
	add_value(&s, make_key(&mu, (int64_t)1), 4000000000);
	add_value(&s, make_key(&mu, (int64_t)2), 5);
	EXPECT_PRINT(&s, 0, 0, "@u[2]: 5\n@u[1]: 4000000000\n");
	rt_map_snapshot_free(&s);

	struct desc_map mi = make_map("@i", MAP_PLAIN, 1, KI);
	set_value(&mi, KI);
	s.map = &mi;
	add_value(&s, make_key(&mi, (int64_t)1), -5);
	add_value(&s, make_key(&mi, (int64_t)2), -1);
	EXPECT_PRINT(&s, 0, 0, "@i[1]: -5\n@i[2]: -1\n");
	rt_map_snapshot_free(&s);

	/* bpftrace -e 'BEGIN { @k["x", 1] = sum(-3); @k["y", 2] = sum(10); @k["a", 3] = sum(0);
	 *   @m[(int8)-2] = max(9); @m[(uint16)7] = max(3); exit(); }'
	 *   @k[x, 1]: -3\n@k[a, 3]: 0\n@k[y, 2]: 10\n@m[7]: 3\n@m[-2]: 9\n */
	struct desc_map mk = make_map("@k", MAP_SUM, 2, S(2), KI);
	s.map = &mk;
	add_value(&s, make_key(&mk, "x", (int64_t)1), -3);
	add_value(&s, make_key(&mk, "y", (int64_t)2), 10);
	add_value(&s, make_key(&mk, "a", (int64_t)3), 0);
	EXPECT_PRINT(&s, 0, 0, "@k[x, 1]: -3\n@k[a, 3]: 0\n@k[y, 2]: 10\n");
	rt_map_snapshot_free(&s);

	struct desc_map mm = make_map("@m", MAP_MAX, 1, type_int(1, true));
	s.map = &mm;
	add_value(&s, make_key(&mm, (int64_t)-2), 9);
	add_value(&s, make_key(&mm, (int64_t)7), 3);
	EXPECT_PRINT(&s, 0, 0, "@m[7]: 3\n@m[-2]: 9\n");
	rt_map_snapshot_free(&s);

	/* bpftrace -e 'BEGIN { @k[1,"a"] = count(); @k[2,"b"] = count(); @k[2,"b"] = count(); exit(); }'
	 *   @k[1, a]: 1\n@k[2, b]: 2\n */
	struct desc_map mc = make_map("@k", MAP_COUNT, 2, KI, S(2));
	s.map = &mc;
	add_value(&s, make_key(&mc, (int64_t)2, "b"), 2);
	add_value(&s, make_key(&mc, (int64_t)1, "a"), 1);
	EXPECT_PRINT(&s, 0, 0, "@k[1, a]: 1\n@k[2, b]: 2\n");
	rt_map_snapshot_free(&s);

	/* bpftrace -e 'BEGIN { @a[1] = avg(-10); @a[2] = avg(5); @st[1] = stats(3); @st[2] = stats(-4); exit(); }'
	 *   @a[1]: -10\n@a[2]: 5\n\n@st[2]: count 1, average -4, total -4\n@st[1]: count 1, average 3, total 3\n\n */
	struct desc_map ma = make_map("@a", MAP_AVG, 1, KI);
	s.map = &ma;
	add_mean(&s, make_key(&ma, (int64_t)2), 5, 1);
	add_mean(&s, make_key(&ma, (int64_t)1), -10, 1);
	EXPECT_PRINT(&s, 0, 0, "@a[1]: -10\n@a[2]: 5\n\n");
	rt_map_snapshot_free(&s);
	struct desc_map mst = make_map("@st", MAP_STATS, 1, KI);
	s.map = &mst;
	add_mean(&s, make_key(&mst, (int64_t)1), 3, 1);
	add_mean(&s, make_key(&mst, (int64_t)2), -4, 1);
	EXPECT_PRINT(&s, 0, 0,
		     "@st[2]: { .count = 1, .average = -4, .total = -4 }\n"
		     "@st[1]: { .count = 1, .average = 3, .total = 3 }\n\n");
	rt_map_snapshot_free(&s);
}

/* bpftrace -e 'BEGIN { @s[3]="a"; @s[1]="b"; @s[256]="c"; @s[-1] = "x"; @t["b", 2] = "q";
 *   @t["a", 3]="r"; @t["b",1]="s"; @u = "hello"; exit(); }'
 *   @s[1]: b\n@s[3]: a\n@s[256]: c\n@s[-1]: x\n@t[a, 3]: r\n@t[b, 1]: s\n@t[b, 2]: q\n@u: hello\n
 * (string values: sorted by key, integers compared as unsigned) */
static void test_string_values(void)
{
	struct desc_map ms = make_map("@s", MAP_PLAIN, 1, KI);
	set_value(&ms, S(2));
	struct rt_map_snapshot s = { &ms, NULL, 0 };
	add_string(&s, make_key(&ms, (int64_t)3), "a");
	add_string(&s, make_key(&ms, (int64_t)-1), "x");
	add_string(&s, make_key(&ms, (int64_t)256), "c");
	add_string(&s, make_key(&ms, (int64_t)1), "b");
	EXPECT_PRINT(&s, 0, 0, "@s[1]: b\n@s[3]: a\n@s[256]: c\n@s[-1]: x\n");
	rt_map_snapshot_free(&s);

	struct desc_map mt = make_map("@t", MAP_PLAIN, 2, S(2), KI);
	set_value(&mt, S(2));
	s.map = &mt;
	add_string(&s, make_key(&mt, "b", (int64_t)2), "q");
	add_string(&s, make_key(&mt, "a", (int64_t)3), "r");
	add_string(&s, make_key(&mt, "b", (int64_t)1), "s");
	EXPECT_PRINT(&s, 0, 0, "@t[a, 3]: r\n@t[b, 1]: s\n@t[b, 2]: q\n");
	rt_map_snapshot_free(&s);

	struct desc_map mu = make_map("@u", MAP_PLAIN, 0);
	set_value(&mu, S(6));
	s.map = &mu;
	add_string(&s, make_key(&mu), "hello");
	EXPECT_PRINT(&s, 0, 0, "@u: hello\n");
	rt_map_snapshot_free(&s);
}

/* ---- histograms ---------------------------------------------------------------- */

static void test_hist(void)
{
	/* bpftrace -e 'BEGIN { @h = hist(0); @h = hist(1); @h = hist(3); @h = hist(3); @h = hist(20);
	 *   @h = hist(1500); exit(); }' */
	struct desc_map mh = make_map("@h", MAP_HIST, 0);
	struct rt_map_snapshot s = { &mh, NULL, 0 };
	add_samples(&s, make_key(&mh), (int64_t)0, (int64_t)1, (int64_t)3, (int64_t)3, (int64_t)20, (int64_t)1500, END);
	EXPECT_PRINT(&s, 0, 0,
		     "@h:\n"
		     "[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
		     "[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
		     "[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[4, 8)                 0 |                                                    |\n"
		     "[8, 16)                0 |                                                    |\n"
		     "[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
		     "[32, 64)               0 |                                                    |\n"
		     "[64, 128)              0 |                                                    |\n"
		     "[128, 256)             0 |                                                    |\n"
		     "[256, 512)             0 |                                                    |\n"
		     "[512, 1K)              0 |                                                    |\n"
		     "[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
		     "\n");
	rt_map_snapshot_free(&s);

	/* bpftrace -e 'BEGIN { @h = hist(-1); @h = hist(1); @h=hist(1023); @h=hist(1024);
	 *   @g=hist(1048576); @g=hist(1073741824*4); exit(); }' */
	add_samples(&s, make_key(&mh), (int64_t)-1, (int64_t)1, (int64_t)1023, (int64_t)1024, END);
	EXPECT_PRINT(&s, 0, 0,
		     "@h:\n"
		     "(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[0]                    0 |                                                    |\n"
		     "[1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[2, 4)                 0 |                                                    |\n"
		     "[4, 8)                 0 |                                                    |\n"
		     "[8, 16)                0 |                                                    |\n"
		     "[16, 32)               0 |                                                    |\n"
		     "[32, 64)               0 |                                                    |\n"
		     "[64, 128)              0 |                                                    |\n"
		     "[128, 256)             0 |                                                    |\n"
		     "[256, 512)             0 |                                                    |\n"
		     "[512, 1K)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "\n");
	rt_map_snapshot_free(&s);
	struct desc_map mg = make_map("@g", MAP_HIST, 0);
	s.map = &mg;
	add_samples(&s, make_key(&mg), (int64_t)1048576, (int64_t)4294967296, END);
	EXPECT_PRINT(&s, 0, 0,
		     "@g:\n"
		     "[1M, 2M)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[2M, 4M)               0 |                                                    |\n"
		     "[4M, 8M)               0 |                                                    |\n"
		     "[8M, 16M)              0 |                                                    |\n"
		     "[16M, 32M)             0 |                                                    |\n"
		     "[32M, 64M)             0 |                                                    |\n"
		     "[64M, 128M)            0 |                                                    |\n"
		     "[128M, 256M)           0 |                                                    |\n"
		     "[256M, 512M)           0 |                                                    |\n"
		     "[512M, 1G)             0 |                                                    |\n"
		     "[1G, 2G)               0 |                                                    |\n"
		     "[2G, 4G)               0 |                                                    |\n"
		     "[4G, 8G)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "\n");
	rt_map_snapshot_free(&s);
	/* 0.17 puts values >= 4G in the wrong bucket, so T labels come from its
	 * hist_index_label() rule (power >= 40: T) and not from a run. */
	add_samples(&s, make_key(&mg), (int64_t)3 << 40, INT64_MAX, END);
	CHECKF(s.entries[0].agg.buckets[43] == 1 && s.entries[0].agg.buckets[64] == 1, "hist bucket numbering");
	struct capture c;
	rt_map_print(text_sink(&c), &s, 0, 0);
	fclose(c.f);
	CHECKF(strstr(c.buf, "\n[2T, 4T)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"),
	      "T label: %s", c.buf);
	CHECKF(strstr(c.buf, "\n[4194304T, 8388608T)       1 |@@@@"), "top hist label: %s", c.buf);
	free(c.buf);
	rt_map_snapshot_free(&s);

	/* bar rounding; bpftrace -e 'BEGIN { @h = hist(4); @h = hist(8) x2; @h = hist(16) x3;
	 *   @h = hist(64) x7; @h = hist(32) x9; exit(); }' */
	s.map = &mh;
	add_samples(&s, make_key(&mh), (int64_t)4, (int64_t)8, (int64_t)8, (int64_t)16, (int64_t)16, (int64_t)16,
		    (int64_t)64, (int64_t)64, (int64_t)64, (int64_t)64, (int64_t)64, (int64_t)64, (int64_t)64,
		    (int64_t)32, (int64_t)32, (int64_t)32, (int64_t)32, (int64_t)32, (int64_t)32, (int64_t)32,
		    (int64_t)32, (int64_t)32, END);
	EXPECT_PRINT(&s, 0, 0,
		     "@h:\n"
		     "[4, 8)                 1 |@@@@@                                               |\n"
		     "[8, 16)                2 |@@@@@@@@@@@                                         |\n"
		     "[16, 32)               3 |@@@@@@@@@@@@@@@@@                                   |\n"
		     "[32, 64)               9 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[64, 128)              7 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@            |\n"
		     "\n");
	rt_map_snapshot_free(&s);
}

/* bpftrace -e 'BEGIN { @h[1] = hist(5); @h[2] = hist(5); @h[2]=hist(100); @h[3] = hist(0);
 *   @l["x"] = lhist(5,0,100,10); @l["y"]=lhist(200,0,100,10); @l["y"]=lhist(-5,0,100,10); exit(); }'
 * (keyed: sorted by total count; ties in key byte order) */
static void test_keyed_hist(void)
{
	struct desc_map mh = make_map("@h", MAP_HIST, 1, KI);
	struct rt_map_snapshot s = { &mh, NULL, 0 };
	add_samples(&s, make_key(&mh, (int64_t)3), (int64_t)0, END);
	add_samples(&s, make_key(&mh, (int64_t)2), (int64_t)5, (int64_t)100, END);
	add_samples(&s, make_key(&mh, (int64_t)1), (int64_t)5, END);
	EXPECT_PRINT(&s, 0, 0,
		     "@h[1]:\n"
		     "[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "\n"
		     "@h[3]:\n"
		     "[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "\n"
		     "@h[2]:\n"
		     "[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[8, 16)                0 |                                                    |\n"
		     "[16, 32)               0 |                                                    |\n"
		     "[32, 64)               0 |                                                    |\n"
		     "[64, 128)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "\n");
	rt_map_snapshot_free(&s);

	struct desc_map ml = make_map("@l", MAP_LHIST, 1, S(2));
	set_lhist(&ml, 0, 100, 10);
	s.map = &ml;
	add_samples(&s, make_key(&ml, "y"), (int64_t)200, (int64_t)-5, END);
	add_samples(&s, make_key(&ml, "x"), (int64_t)5, END);
	EXPECT_PRINT(&s, 0, 0,
		     "@l[x]:\n"
		     "[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "\n"
		     "@l[y]:\n"
		     "(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[0, 10)                0 |                                                    |\n"
		     "[10, 20)               0 |                                                    |\n"
		     "[20, 30)               0 |                                                    |\n"
		     "[30, 40)               0 |                                                    |\n"
		     "[40, 50)               0 |                                                    |\n"
		     "[50, 60)               0 |                                                    |\n"
		     "[60, 70)               0 |                                                    |\n"
		     "[70, 80)               0 |                                                    |\n"
		     "[80, 90)               0 |                                                    |\n"
		     "[90, 100)              0 |                                                    |\n"
		     "[100, ...)             1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "\n");
	rt_map_snapshot_free(&s);
}

static struct desc_map lhist_map(const char *name, int64_t min, int64_t max, int64_t step)
{
	struct desc_map m = make_map(name, MAP_LHIST, 0);
	set_lhist(&m, min, max, step);
	return m;
}

static void test_lhist(void)
{
	/* bpftrace -e 'BEGIN { @l = lhist(-1, 0, 10, 2); @l = lhist(3, 0, 10, 2); @l = lhist(5, 0, 10, 2);
	 *   @l = lhist(5, 0, 10, 2); @l = lhist(12, 0, 10, 2); exit(); }' */
	struct desc_map ml = lhist_map("@l", 0, 10, 2);
	struct rt_map_snapshot s = { &ml, NULL, 0 };
	add_samples(&s, make_key(&ml), (int64_t)-1, (int64_t)3, (int64_t)5, (int64_t)5, (int64_t)12, END);
	EXPECT_PRINT(&s, 0, 0,
		     "@l:\n"
		     "(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
		     "[0, 2)                 0 |                                                    |\n"
		     "[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
		     "[4, 6)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[6, 8)                 0 |                                                    |\n"
		     "[8, 10)                0 |                                                    |\n"
		     "[10, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
		     "\n");
	rt_map_snapshot_free(&s);

	/* bpftrace -e 'BEGIN { @l = lhist(5000, 0, 4096, 1024); @m = lhist(3000000, 0, 4194304, 1048576);
	 *   @n = lhist(10, 0, 3000, 1024); @n = lhist(3500, 0, 3000, 1024); exit(); }' */
	struct desc_map mk = lhist_map("@l", 0, 4096, 1024);
	s.map = &mk;
	add_samples(&s, make_key(&mk), (int64_t)5000, END);
	EXPECT_PRINT(&s, 0, 0,
		     "@l:\n"
		     "[4K, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "\n");
	rt_map_snapshot_free(&s);
	struct desc_map mm = lhist_map("@m", 0, 4194304, 1048576);
	s.map = &mm;
	add_samples(&s, make_key(&mm), (int64_t)3000000, END);
	EXPECT_PRINT(&s, 0, 0,
		     "@m:\n"
		     "[2M, 3M)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "\n");
	rt_map_snapshot_free(&s);
	struct desc_map mn = lhist_map("@n", 0, 3000, 1024);
	s.map = &mn;
	add_samples(&s, make_key(&mn), (int64_t)10, (int64_t)3500, END);
	EXPECT_PRINT(&s, 0, 0,
		     "@n:\n"
		     "[0, 1K)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[1K, 2K)               0 |                                                    |\n"
		     "[3000, ...)            1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "\n");
	rt_map_snapshot_free(&s);
}

/* ---- print(@m, top, div) ---------------------------------------------------------- */

static void test_top_div(void)
{
	/* bpftrace -e 'BEGIN { @x[1]=1; @x[2]=2; @x[3]=3; @x[4]=4; print(@x, 2); print(@x, 2, 2);
	 *   print(@x); print(@x, 0, 3); ...' printed (no blank lines between prints):
	 *   @x[3]: 3 @x[4]: 4 | @x[3]: 1 @x[4]: 2 | @x[1]: 1 ... @x[4]: 4 | @x[1]: 0 @x[2]: 0 @x[3]: 1 @x[4]: 1 */
	struct desc_map mx = make_map("@x", MAP_PLAIN, 1, KI);
	struct rt_map_snapshot s = { &mx, NULL, 0 };
	for (int64_t i = 4; i >= 1; i--)
		add_value(&s, make_key(&mx, i), i);
	EXPECT_PRINT(&s, 2, 0, "@x[3]: 3\n@x[4]: 4\n");
	/* rt_map_print() applies div to aggregations only, not to plain maps
	 * (bpftrace 0.17 and sonde before the type graph divide them): reported */
	EXPECT_PRINT(&s, 2, 2, "@x[3]: 1\n@x[4]: 2\n");
	EXPECT_PRINT(&s, 0, 0, "@x[1]: 1\n@x[2]: 2\n@x[3]: 3\n@x[4]: 4\n");
	EXPECT_PRINT(&s, 0, 3, "@x[1]: 0\n@x[2]: 0\n@x[3]: 1\n@x[4]: 1\n");
	EXPECT_PRINT(&s, 10, 0, "@x[1]: 1\n@x[2]: 2\n@x[3]: 3\n@x[4]: 4\n");
	rt_map_snapshot_free(&s);

	/* ... @h[1]=hist(3); @h[2]=hist(3) x2; @h[3]=hist(3) x3; print(@h, 2); print(@h, 0, 2);
	 * (div divides the counts shown, bars stay scaled on the real counts) */
	struct desc_map mh = make_map("@h", MAP_HIST, 1, KI);
	s.map = &mh;
	add_samples(&s, make_key(&mh, (int64_t)1), (int64_t)3, END);
	add_samples(&s, make_key(&mh, (int64_t)2), (int64_t)3, (int64_t)3, END);
	add_samples(&s, make_key(&mh, (int64_t)3), (int64_t)3, (int64_t)3, (int64_t)3, END);
	const char *bar = " |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n";
	char expected[1024];
	snprintf(expected, sizeof(expected), "@h[2]:\n[2, 4)                 2%s\n@h[3]:\n[2, 4)                 3%s\n", bar, bar);
	EXPECT_PRINT(&s, 2, 0, expected);
	snprintf(expected, sizeof(expected),
		 "@h[1]:\n[2, 4)                 0%s\n@h[2]:\n[2, 4)                 1%s\n@h[3]:\n[2, 4)                 1%s\n",
		 bar, bar, bar);
	EXPECT_PRINT(&s, 0, 2, expected);
	rt_map_snapshot_free(&s);

	/* bpftrace -e 'BEGIN { @a[1]=avg(10); @a[2]=avg(20); @a[3]=avg(30); @s[1]=stats(10); @s[2]=stats(20);
	 *   @s[3]=stats(30); print(@a, 2); print(@a, 0, 3); print(@s, 2); print(@s, 0, 3); @c = count();
	 *   print(@c, 0, 2); print(@c, 5); @mn[1] = min(-5); @mn[2] = min(3); @mn[3]=min(-10);
	 *   @sm[1] = sum(-5); @sm[2]=sum(5); @sm[3]=sum(-7); print(@sm, 0, 2); print(@mn, 0, 2); exit(); }'
	 * (stats ignores top and div; negative values divide toward zero) */
	struct desc_map ma = make_map("@a", MAP_AVG, 1, KI);
	s.map = &ma;
	for (int64_t i = 1; i <= 3; i++)
		add_mean(&s, make_key(&ma, i), i * 10, 1);
	EXPECT_PRINT(&s, 2, 0, "@a[2]: 20\n@a[3]: 30\n\n");
	EXPECT_PRINT(&s, 0, 3, "@a[1]: 3\n@a[2]: 6\n@a[3]: 10\n\n");
	rt_map_snapshot_free(&s);
	struct desc_map mst = make_map("@s", MAP_STATS, 1, KI);
	s.map = &mst;
	for (int64_t i = 1; i <= 3; i++)
		add_mean(&s, make_key(&mst, i), i * 10, 1);
	const char *all_stats = "@s[1]: { .count = 1, .average = 10, .total = 10 }\n"
				"@s[2]: { .count = 1, .average = 20, .total = 20 }\n"
				"@s[3]: { .count = 1, .average = 30, .total = 30 }\n\n";
	EXPECT_PRINT(&s, 2, 0, all_stats);
	EXPECT_PRINT(&s, 0, 3, all_stats);
	rt_map_snapshot_free(&s);
	struct desc_map mc = make_map("@c", MAP_COUNT, 0);
	s.map = &mc;
	add_value(&s, make_key(&mc), 1);
	EXPECT_PRINT(&s, 0, 2, "@c: 0\n");
	EXPECT_PRINT(&s, 5, 0, "@c: 1\n");
	rt_map_snapshot_free(&s);
	struct desc_map msm = make_map("@sm", MAP_SUM, 1, KI);
	s.map = &msm;
	add_value(&s, make_key(&msm, (int64_t)1), -5);
	add_value(&s, make_key(&msm, (int64_t)2), 5);
	add_value(&s, make_key(&msm, (int64_t)3), -7);
	EXPECT_PRINT(&s, 0, 2, "@sm[3]: -3\n@sm[1]: -2\n@sm[2]: 2\n");
	rt_map_snapshot_free(&s);
	struct desc_map mmn = make_map("@mn", MAP_MIN, 1, KI);
	s.map = &mmn;
	add_value(&s, make_key(&mmn, (int64_t)1), -5);
	add_value(&s, make_key(&mmn, (int64_t)2), 3);
	add_value(&s, make_key(&mmn, (int64_t)3), -10);
	EXPECT_PRINT(&s, 0, 2, "@mn[3]: -5\n@mn[1]: -2\n@mn[2]: 1\n");
	rt_map_snapshot_free(&s);

	/* lhist ignores div: bpftrace -e 'BEGIN { @l = lhist(5, 0, 10, 1) x2; @l = lhist(6, 0, 10, 1);
	 *   print(@l, 0, 2); exit(); }' */
	struct desc_map ml = lhist_map("@l", 0, 10, 1);
	s.map = &ml;
	add_samples(&s, make_key(&ml), (int64_t)5, (int64_t)5, (int64_t)6, END);
	EXPECT_PRINT(&s, 0, 2,
		     "@l:\n"
		     "[5, 6)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
		     "[6, 7)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
		     "\n");
	rt_map_snapshot_free(&s);
}

/* ---- empty and zeroed maps ----------------------------------------------------------- */

/* bpftrace -e 'BEGIN { @c = count(); clear(@c); @h = hist(3); clear(@h); @s = stats(3); clear(@s);
 *   @a = avg(2); clear(@a); @k[1]=2; clear(@k); exit(); }'
 *   "\n\n" + "\n\n" (@a) + "@c: 0\n" + "\n" (@h) + "\n" (@k) + "\n\n" (@s)
 * bpftrace -e 'BEGIN { @s = sum(3); clear(@s); @mn = min(3); clear(@mn); ... @y = "str"; clear(@y); }'
 *   one "\n" per map (only a scalar count() survives clear(), as 0)
 * bpftrace -e 'BEGIN { @c = count(); zero(@c); @h = hist(3); zero(@h); @s = stats(3); zero(@s); ... }'
 *   @a: 0\n\n@c: 0\n@h: \n\n@k[1]: 0\n@l: \n\n@mn: 0\n@mx: 0\n@s: count 0, average 0, total 0\n\n */
static void test_empty(void)
{
	struct desc_map maps[] = {
		make_map("@a", MAP_AVG, 0), make_map("@c", MAP_COUNT, 0), make_map("@h", MAP_HIST, 0),
		make_map("@k", MAP_PLAIN, 1, KI), make_map("@s", MAP_STATS, 0), make_map("@sm", MAP_SUM, 0),
		make_map("@mn", MAP_MIN, 0), make_map("@l", MAP_LHIST, 1, KI),
	};
	const char *expected[] = { "\n\n", "@c: 0\n", "\n", "\n", "\n\n", "\n", "\n", "\n" };
	set_lhist(&maps[7], 0, 10, 1);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		struct rt_map_snapshot s = { &maps[i], NULL, 0 };
		EXPECT_PRINT(&s, 0, 0, expected[i]);
		EXPECT_PRINT(&s, 3, 2, expected[i]);
	}

	/* zeroed: keys stay, values are 0, histograms print only their header */
	struct desc_map mh = make_map("@h", MAP_HIST, 0);
	struct rt_map_snapshot s = { &mh, NULL, 0 };
	add_samples(&s, make_key(&mh), END);
	EXPECT_PRINT(&s, 0, 0, "@h:\n\n");
	rt_map_snapshot_free(&s);
	struct desc_map mst = make_map("@s", MAP_STATS, 0);
	s.map = &mst;
	add_mean(&s, make_key(&mst), 0, 0);
	EXPECT_PRINT(&s, 0, 0, "@s: { .count = 0, .average = 0, .total = 0 }\n\n");
	rt_map_snapshot_free(&s);
}

/* ---- values of the type graph ---------------------------------------------------- */

/* What the latest bpftrace prints for values 0.17 lacks (sonde follows the
 * latest): bools, pointers, strings that fill their buffer (".."), tuples,
 * records, arrays, structs with bitfields, enums. */
static void test_typed_values(void)
{
	/* bools as values and in a key */
	struct desc_map mb = make_map("@b", MAP_PLAIN, 1, KI);
	set_value(&mb, type_bool());
	struct rt_map_snapshot s = { &mb, NULL, 0 };
	unsigned char t = 1, f = 0;
	add_bytes(&s, make_key(&mb, (int64_t)2), &f);
	add_bytes(&s, make_key(&mb, (int64_t)1), &t);
	EXPECT_PRINT(&s, 0, 0, "@b[2]: false\n@b[1]: true\n");
	rt_map_snapshot_free(&s);
	struct desc_map mn = make_map("@n", MAP_COUNT, 2, type_bool(), type_bool());
	s.map = &mn;
	unsigned char *key = xcalloc(1, mn.key_size);
	key[0] = 1;
	add_value(&s, key, 3);
	EXPECT_PRINT(&s, 0, 0, "@n[true, false]: 3\n");
	rt_map_snapshot_free(&s);

	/* pointers in hex; a string filling its buffer gets ".." */
	struct desc_map mp = make_map("@p", MAP_PLAIN, 0);
	set_value(&mp, type_ptr(types, type_int(1, true), AS_KERNEL));
	s.map = &mp;
	add_value(&s, make_key(&mp), 0x1000);
	EXPECT_PRINT(&s, 0, 0, "@p: 0x1000\n");
	rt_map_snapshot_free(&s);
	struct desc_map ms = make_map("@s", MAP_PLAIN, 1, S(4));
	set_value(&ms, S(4));
	s.map = &ms;
	add_bytes(&s, make_key(&ms, "abc"), "abcd");
	add_bytes(&s, make_key(&ms, "ab"), "ab\0\0");
	EXPECT_PRINT(&s, 0, 0, "@s[ab]: ab\n@s[abc]: abcd..\n");
	rt_map_snapshot_free(&s);

	/* a tuple value; records; arrays without spaces */
	const struct type *parts[2] = { KI, S(3) };
	struct desc_map mt = make_map("@t", MAP_PLAIN, 0);
	set_value(&mt, type_tuple(types, parts, 2));
	s.map = &mt;
	unsigned char tuple[16] = { 0 };
	int64_t minus_one = -1;
	memcpy(tuple, &minus_one, 8);
	memcpy(tuple + 8, "ab", 3);
	add_bytes(&s, make_key(&mt), tuple);
	EXPECT_PRINT(&s, 0, 0, "@t: (-1, ab)\n");
	rt_map_snapshot_free(&s);
	struct type *rec = type_record_new(types, REC_RECORD, NULL);
	type_record_add(types, rec, "a", KI);
	type_record_add(types, rec, "b", S(2));
	type_record_finish(rec, 0);
	struct desc_map mr = make_map("@r", MAP_PLAIN, 1, KI);
	set_value(&mr, rec);
	s.map = &mr;
	unsigned char r[16] = { 7, 0, 0, 0, 0, 0, 0, 0, 'x', 0 };
	add_bytes(&s, make_key(&mr, (int64_t)1), r);
	EXPECT_PRINT(&s, 0, 0, "@r[1]: { .a = 7, .b = x }\n");
	rt_map_snapshot_free(&s);
	struct desc_map ma = make_map("@a", MAP_PLAIN, 0);
	set_value(&ma, type_array(types, type_int(1, false), 4));
	s.map = &ma;
	add_bytes(&s, make_key(&ma), "\x01\x02\x03\xff");
	EXPECT_PRINT(&s, 0, 0, "@a: [1,2,3,255]\n");
	rt_map_snapshot_free(&s);

	/* a C struct: bitfields (signed ones sign-extended), a nested struct */
	struct type *inner = type_record_new(types, REC_STRUCT, "struct in");
	type_record_add(types, inner, "v", type_int(2, false));
	type_record_finish(inner, 0);
	struct type *st = type_record_new(types, REC_STRUCT, "struct s");
	type_record_add_at(types, st, "x", type_int(4, false), 0, 0, 3);
	type_record_add_at(types, st, "y", type_int(4, true), 0, 3, 5);
	type_record_add_at(types, st, "in", inner, 4, 0, 0);
	type_record_finish(st, 8);
	struct desc_map mst = make_map("@st", MAP_PLAIN, 0);
	set_value(&mst, st);
	s.map = &mst;
	/* x = 5 (bits 0-2), y = -2 (bits 3-7: 11110), in.v = 300 */
	unsigned char sv[8] = { (unsigned char)(5 | (0x1e << 3)), 0, 0, 0, 0x2c, 0x01, 0, 0 };
	add_bytes(&s, make_key(&mst), sv);
	EXPECT_PRINT(&s, 0, 0, "@st: { .x = 5, .y = -2, .in = { .v = 300 } }\n");
	rt_map_snapshot_free(&s);

	/* enums by name, a number when no name matches */
	struct type *e = type_enum_new(types, "enum e", 4, false);
	type_enum_add(types, e, "ONE", 1);
	type_enum_add(types, e, "TWO", 2);
	struct desc_map me = make_map("@e", MAP_PLAIN, 1, KI);
	set_value(&me, e);
	s.map = &me;
	uint32_t two = 2, nine = 9;
	add_bytes(&s, make_key(&me, (int64_t)1), &two);
	add_bytes(&s, make_key(&me, (int64_t)2), &nine);
	EXPECT_PRINT(&s, 0, 0, "@e[1]: TWO\n@e[2]: 9\n");
	rt_map_snapshot_free(&s);
}

/* ---- printf ------------------------------------------------------------------------- */

struct record {
	struct desc_printf pf;
	unsigned char payload[512];
};

/* Arguments: 'i' int64_t (signed), 'u' uint64_t, 's' const char * (string[16]),
 * laid out as the tuple sema makes of them. */
static void make_record(struct record *r, const char *fmt, const char *kinds, ...)
{
	const struct type *elems[32];
	int n = 0;
	memset(r, 0, sizeof(*r));
	r->pf.fmt = (char *)fmt;
	for (; kinds[n]; n++)
		elems[n] = kinds[n] == 's' ? KS : type_int(8, kinds[n] == 'i');
	r->pf.args = n ? type_tuple(types, elems, n) : NULL;
	va_list ap;
	va_start(ap, kinds);
	for (int i = 0; i < n; i++) {
		uint32_t off = r->pf.args->members[i].offset;
		if (kinds[i] == 's') {
			strncpy((char *)r->payload + off, va_arg(ap, const char *), 15);
		} else {
			int64_t v = va_arg(ap, int64_t);
			memcpy(r->payload + off, &v, 8);
		}
	}
	va_end(ap);
}

static size_t record_size(const struct record *r)
{
	return r->pf.args ? r->pf.args->size : 0;
}

static void expect_printf(struct record *r, const char *expected, int line)
{
	struct capture c;
	rt_format_printf(cap_open(&c), &r->pf, r->payload, record_size(r));
	check_capture(&c, expected, line);
}
#define EXPECT_PRINTF(r, expected) expect_printf((r), (expected), __LINE__)

static void test_printf(void)
{
	struct record r;

	/* bpftrace -e 'BEGIN { printf("[%5d] [%-5d] [%-05d] [%.3d] [%8.3d] [%08.3d] [%-8.3x] [%x] [%X] [%o] [%u]\n",
	 *   42, 42, 42, 7, 7, 66, 66, 3054, 3054, 8, 123); exit(); }' */
	make_record(&r, "[%5d] [%-5d] [%-05d] [%.3d] [%8.3d] [%08.3d] [%-8.3x] [%x] [%X] [%o] [%u]\n", "iiiiiiiiiii",
		    (int64_t)42, (int64_t)42, (int64_t)42, (int64_t)7, (int64_t)7, (int64_t)66, (int64_t)66,
		    (int64_t)3054, (int64_t)3054, (int64_t)8, (int64_t)123);
	EXPECT_PRINTF(&r, "[   42] [42   ] [42   ] [007] [     007] [     066] [042     ] [bee] [BEE] [10] [123]\n");

	/* bpftrace -e 'BEGIN { printf("[%s] [%10s] [%-10s] [%.2s] [%08s] [%c%c] [%-3c] [%3c] [%p] [%p] [%12p]\n",
	 *   "abc", "hi", "hi", "xyz", "abc", 72, 105, 65, 66, 0, 4096, 255); exit(); }' */
	make_record(&r, "[%s] [%10s] [%-10s] [%.2s] [%08s] [%c%c] [%-3c] [%3c] [%p] [%p] [%12p]\n", "sssssiiiiiii",
		    "abc", "hi", "hi", "xyz", "abc", (int64_t)72, (int64_t)105, (int64_t)65, (int64_t)66,
		    (int64_t)0, (int64_t)4096, (int64_t)255);
	EXPECT_PRINTF(&r, "[abc] [        hi] [hi        ] [xy] [     abc] [Hi] [A  ] [  B] [(nil)] [0x1000] [        0xff]\n");

	/* bpftrace -e 'BEGIN { printf("[%ld] [%lld] [%lu] [%lx] [%llX] [%hd] [%hhd] [%hu] [%hhx] [%zd] [%jd] [%td]\n",
	 *   -5000000000, 5000000000, -1, -1, 3735928559, 70000, 300, -1, -1, -7, -8, -9); exit(); }' */
	make_record(&r, "[%ld] [%lld] [%lu] [%lx] [%llX] [%hd] [%hhd] [%hu] [%hhx] [%zd] [%jd] [%td]\n", "iiiiiiiiiiii",
		    (int64_t)-5000000000, (int64_t)5000000000, (int64_t)-1, (int64_t)-1, (int64_t)3735928559,
		    (int64_t)70000, (int64_t)300, (int64_t)-1, (int64_t)-1, (int64_t)-7, (int64_t)-8, (int64_t)-9);
	EXPECT_PRINTF(&r, "[-5000000000] [5000000000] [18446744073709551615] [ffffffffffffffff] [DEADBEEF] "
			  "[4464] [44] [65535] [ff] [-7] [-8] [-9]\n");

	/* bpftrace -e 'BEGIN { printf("%d%% of %s, then %q %f %i 100%\n", 50, "all"); exit(); }'
	 * (unknown conversions and a lone % are printed as written; %i has no argument left) */
	make_record(&r, "%d%% of %s, then %q %f %i 100%\n", "is", (int64_t)50, "all");
	EXPECT_PRINTF(&r, "50% of all, then %q %f %i 100%\n");

	/* bpftrace -e 'BEGIN { printf("[%d] [%d] [%u] [%x] [%d]\n", (int32)-2147483648, (int16)-300,
	 *   (uint8)200, (uint16)65535, (int8)-128); exit(); }' (narrow types arrive sign/zero-extended) */
	make_record(&r, "[%d] [%d] [%u] [%x] [%d]\n", "iiuui", (int64_t)-2147483648, (int64_t)-300,
		    (int64_t)200, (int64_t)65535, (int64_t)-128);
	EXPECT_PRINTF(&r, "[-2147483648] [-300] [200] [ffff] [-128]\n");

	/* bpftrace -e 'BEGIN { printf("%d %x %u %X %o|%5u|%-12d|%c\n", 5000000000, -1, -1, 0x1fffffffe,
	 *   0x1ffffffff, 4294967298, -4294967301, 0x141); exit(); }'
	 * Without a length modifier the value is converted to int / unsigned int as
	 * printf(3) would read it; the latest bpftrace casts the same way. */
	make_record(&r, "%d %x %u %X %o|%5u|%-12d|%c\n", "iiiiiiii", (int64_t)5000000000, (int64_t)-1,
		    (int64_t)-1, (int64_t)0x1fffffffe, (int64_t)0x1ffffffff, (int64_t)4294967298,
		    (int64_t)-4294967301, (int64_t)0x141);
	EXPECT_PRINTF(&r, "705032704 ffffffff 4294967295 FFFFFFFE 37777777777|    2|-5          |A\n");

	/* `int` syscall arguments arrive zero-extended in unsigned 8-byte slots
	 * (wait4(-1, ...): upid = 0xffffffff; openat dfd AT_FDCWD): %d shows the
	 * int, %ld and %lu the whole slot. Flags 0.17 lacks, as the latest prints. */
	make_record(&r, "%d %ld %lu %i|%+d|% d|%#x|%#o\n", "uuuiiiii", (int64_t)0xffffffff,
		    (int64_t)0xffffff9c, (int64_t)0xffffff9c, (int64_t)-3, (int64_t)5, (int64_t)5,
		    (int64_t)255, (int64_t)8);
	EXPECT_PRINTF(&r, "-1 4294967196 4294967196 -3|+5| 5|0xff|010\n");

	/* strings are NUL-padded fixed-size fields; tabs and the like pass through */
	make_record(&r, "[%s]\n", "s", "a\tb");
	EXPECT_PRINTF(&r, "[a\tb]\n");

	/* hostile formats never read past the record */
	make_record(&r, "%s %s %d %*d %1$d %99999999999d %.99999999999s %", "s", "only");
	EXPECT_PRINTF(&r, "only %s %d %*d %1$d %99999999999d %.99999999999s %");
	make_record(&r, "%d", "");
	struct type *far = type_record_new(types, REC_TUPLE, NULL);
	type_record_add_at(types, far, "0", KI, 500, 0, 0); /* beyond the payload size passed */
	type_record_finish(far, 508);
	r.pf.args = far;
	struct capture c;
	rt_format_printf(cap_open(&c), &r.pf, r.payload, 0);
	CHECK_CAPTURE(&c, "%d");
	/* an integer under %s, a string under %d: printed, not crashed */
	make_record(&r, "[%5s] [%-6d]\n", "is", (int64_t)-12, "ab");
	EXPECT_PRINTF(&r, "[  -12] [ab    ]\n");

	char convs[8];
	CHECKF(rt_printf_conversions("%d %% %s %f %5.2lx %c %p %q %", convs, 8) == 5, "conversion count");
	CHECKF(memcmp(convs, "dsxcp", 5) == 0, "conversion letters");
	CHECKF(rt_printf_conversions("no conversions %%", NULL, 0) == 0, "no conversions");
}

/* ---- real BPF maps ----------------------------------------------------------------------- */

static int ncpus;

static int create_map(const struct desc_map *m)
{
	enum bpf_map_type t = m->kind == MAP_PLAIN ? BPF_MAP_TYPE_HASH : BPF_MAP_TYPE_PERCPU_HASH;
	return bpf_map_create(t, NULL, m->key_size, m->value_size, 128, NULL);
}

/* Per-CPU values: fn(cpu, slot) fills each CPU's (rounded) slot. */
static void put_percpu(int fd, const void *key, uint32_t value_size,
		       void (*fn)(int cpu, unsigned char *slot, void *ctx), void *ctx)
{
	uint32_t stride = (value_size + 7) & ~7u;
	unsigned char *buf = xcalloc((size_t)ncpus, stride);
	for (int cpu = 0; cpu < ncpus; cpu++)
		fn(cpu, buf + (size_t)cpu * stride, ctx);
	CHECKF(bpf_map_update_elem(fd, key, buf, BPF_ANY) == 0, "update: %s", strerror(errno));
	free(buf);
}

static void fill_count(int cpu, unsigned char *slot, void *ctx)
{
	(void)ctx;
	uint64_t v = (uint64_t)cpu + 1;
	memcpy(slot, &v, 8);
}

static void fill_sum(int cpu, unsigned char *slot, void *ctx)
{
	int64_t v = cpu % 2 ? -3 : *(int64_t *)ctx;
	memcpy(slot, &v, 8);
}

/* min/max: only even CPUs have a value (-(cpu+1)*10); odd ones hold junk with is_set 0 */
static void fill_extreme(int cpu, unsigned char *slot, void *ctx)
{
	(void)ctx;
	int64_t v = cpu % 2 ? -1000000 : -(int64_t)(cpu + 1) * 10;
	uint64_t set = cpu % 2 ? 0 : 1;
	memcpy(slot, &v, 8);
	memcpy(slot + 8, &set, 8);
}

static void fill_mean(int cpu, unsigned char *slot, void *ctx)
{
	(void)ctx;
	int64_t total = cpu == 0 ? -7 : 0;
	uint64_t count = cpu == 0 ? 2 : 0;
	memcpy(slot, &total, 8);
	memcpy(slot + 8, &count, 8);
}

static void fill_one(int cpu, unsigned char *slot, void *ctx)
{
	(void)ctx;
	uint64_t v = 1;
	(void)cpu;
	memcpy(slot, &v, 8);
}

static void put_hist_bucket(int fd, const struct desc_map *m, int64_t user_key, uint64_t bucket)
{
	unsigned char key[16];
	memcpy(key, &user_key, 8);
	memcpy(key + 8, &bucket, 8);
	put_percpu(fd, key, m->value_size, fill_one, NULL);
}

static void expect_fd_print(const struct desc_map *m, int fd, const char *expected, int line)
{
	struct capture c;
	int err = rt_map_print_fd(text_sink(&c), m, fd, ncpus, 0, 0);
	CHECKF(err == 0, "rt_map_print_fd(%s): %s", m->name, strerror(-err));
	check_capture(&c, expected, line);
}
#define EXPECT_FD_PRINT(m, fd, expected) expect_fd_print((m), (fd), (expected), __LINE__)

static void test_bpf_maps(void)
{
	ncpus = libbpf_num_possible_cpus();
	struct desc_map mc = make_map("@c", MAP_COUNT, 0);
	int fdc = create_map(&mc);
	if (fdc < 0) {
		printf("test_print: skipping BPF map tests (bpf_map_create: %s)\n", strerror(errno));
		return;
	}
	char expected[4096];

	/* count: summed over all CPUs */
	uint64_t zero_key = 0;
	put_percpu(fdc, &zero_key, mc.value_size, fill_count, NULL);
	snprintf(expected, sizeof(expected), "@c: %d\n", ncpus * (ncpus + 1) / 2);
	EXPECT_FD_PRINT(&mc, fdc, expected);

	/* sum, keyed, negative shares on odd CPUs */
	struct desc_map ms = make_map("@s", MAP_SUM, 1, KI);
	int fds = create_map(&ms);
	int64_t k1 = 1, k2 = -2, five = 5, hundred = 100;
	put_percpu(fds, &k1, ms.value_size, fill_sum, &hundred);
	put_percpu(fds, &k2, ms.value_size, fill_sum, &five);
	int64_t odd = ncpus / 2, even = ncpus - odd;
	snprintf(expected, sizeof(expected), "@s[-2]: %lld\n@s[1]: %lld\n", (long long)(even * 5 - odd * 3),
		 (long long)(even * 100 - odd * 3));
	EXPECT_FD_PRINT(&ms, fds, expected);

	/* min/max only combine CPUs that have a value */
	struct desc_map mmin = make_map("@mn", MAP_MIN, 0), mmax = make_map("@mx", MAP_MAX, 0);
	int fdmin = create_map(&mmin), fdmax = create_map(&mmax);
	put_percpu(fdmin, &zero_key, mmin.value_size, fill_extreme, NULL);
	put_percpu(fdmax, &zero_key, mmax.value_size, fill_extreme, NULL);
	snprintf(expected, sizeof(expected), "@mn: %lld\n", (long long)-(((ncpus - 1) / 2) * 2 + 1) * 10);
	EXPECT_FD_PRINT(&mmin, fdmin, expected);
	EXPECT_FD_PRINT(&mmax, fdmax, "@mx: -10\n");

	/* avg: total and count summed, then divided */
	struct desc_map ma = make_map("@a", MAP_AVG, 0);
	int fda = create_map(&ma);
	put_percpu(fda, &zero_key, ma.value_size, fill_mean, NULL);
	EXPECT_FD_PRINT(&ma, fda, "@a: -3\n\n");

	/* hist: one BPF key per (user key, bucket), grouped back per user key */
	struct desc_map mh = make_map("@h", MAP_HIST, 1, KI);
	int fdh = create_map(&mh);
	put_hist_bucket(fdh, &mh, 7, 3);  /* [2, 4) */
	put_hist_bucket(fdh, &mh, 7, 5);  /* [8, 16) */
	put_hist_bucket(fdh, &mh, 9, 1);  /* [0] */
	put_hist_bucket(fdh, &mh, 9, 99); /* out of range: ignored */
	const char *full = "|@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n";
	snprintf(expected, sizeof(expected),
		 "@h[9]:\n[0]             %8d %s\n"
		 "@h[7]:\n[2, 4)          %8d %s[4, 8)                 0 |%52s|\n[8, 16)         %8d %s\n",
		 ncpus, full, ncpus, full, "", ncpus, full);
	EXPECT_FD_PRINT(&mh, fdh, expected);

	/* plain hash with string values */
	struct desc_map mstr = make_map("@str", MAP_PLAIN, 1, KS);
	set_value(&mstr, KS);
	int fdstr = create_map(&mstr);
	unsigned char *kb = make_key(&mstr, "beta"), *ka = make_key(&mstr, "alpha");
	char vb[16] = "second", va[16] = "first";
	CHECKF(bpf_map_update_elem(fdstr, kb, vb, BPF_ANY) == 0, "update str");
	CHECKF(bpf_map_update_elem(fdstr, ka, va, BPF_ANY) == 0, "update str");
	free(kb);
	free(ka);
	EXPECT_FD_PRINT(&mstr, fdstr, "@str[alpha]: first\n@str[beta]: second\n");

	/* the print at exit: "\n\n", then maps sorted by name */
	struct desc d;
	memset(&d, 0, sizeof(d));
	struct desc_map all[] = { ms, mc, mh, ma };
	int fds_all[] = { fds, fdc, -1, fda };
	d.maps = all;
	d.nmaps = 4;
	/* @h has no fd here: it is reported on stderr and skipped */
	struct capture c;
	rt_print_maps_fds(text_sink(&c), &d, fds_all, ncpus);
	snprintf(expected, sizeof(expected), "\n\n@a: -3\n\n@c: %d\n@s[-2]: %lld\n@s[1]: %lld\n",
		 ncpus * (ncpus + 1) / 2, (long long)(even * 5 - odd * 3), (long long)(even * 100 - odd * 3));
	CHECK_CAPTURE(&c, expected);

	/* zero(): keys stay, values 0, min/max start over */
	CHECKF(rt_map_zero(&mh, fdh, ncpus) == 0, "zero hist");
	EXPECT_FD_PRINT(&mh, fdh, "@h[7]:\n\n@h[9]:\n\n");
	CHECKF(rt_map_zero(&mmin, fdmin, ncpus) == 0, "zero min");
	EXPECT_FD_PRINT(&mmin, fdmin, "@mn: 0\n");
	CHECKF(rt_map_zero(&ma, fda, ncpus) == 0, "zero avg");
	EXPECT_FD_PRINT(&ma, fda, "@a: 0\n\n");
	CHECKF(rt_map_zero(&mstr, fdstr, ncpus) == 0, "zero str");
	EXPECT_FD_PRINT(&mstr, fdstr, "@str[alpha]: \n@str[beta]: \n");

	/* clear(): everything goes */
	CHECKF(rt_map_clear(&ms, fds) == 0, "clear sum");
	EXPECT_FD_PRINT(&ms, fds, "\n");
	CHECKF(rt_map_clear(&mh, fdh) == 0, "clear hist");
	EXPECT_FD_PRINT(&mh, fdh, "\n");
	CHECKF(rt_map_clear(&mc, fdc) == 0, "clear count");
	EXPECT_FD_PRINT(&mc, fdc, "@c: 0\n");

	/* a description that does not match the map is refused, not misread */
	struct rt_map_snapshot snap;
	CHECKF(rt_map_read(&mh, fdc, ncpus, &snap) == -EINVAL, "key size mismatch detected");
	CHECKF(snap.n == 0 && snap.entries == NULL, "failed read leaves an empty snapshot");
	CHECKF(rt_map_read(&mh, -1, ncpus, &snap) < 0, "bad fd");

	int all_fds[] = { fdc, fds, fdmin, fdmax, fda, fdh, fdstr };
	for (size_t i = 0; i < sizeof(all_fds) / sizeof(all_fds[0]); i++)
		close(all_fds[i]);
}


/* tseries(): the chart of bpftrace's documentation (its "zigzag" example,
 * @ = tseries(@c, 100ms, 20)), and an interval without a value. The
 * points are built by hand: times are UTC here. */
static void test_tseries(void)
{
	static const int64_t zigzag[] = { -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0,
					   -1, -2, -3, -4 };
	struct rt_tseries_point pts[20];
	int64_t start = (10 * 3600 + 39 * 60 + 49) * 1000000000LL + 300000000LL;
	for (int i = 0; i < 20; i++)
		pts[i] = (struct rt_tseries_point){ start + i * 100000000LL, true, zigzag[i] };
	struct rt_value ts = { .kind = RV_TSERIES, .points = pts, .n = 20 };
	struct rt_value *values[1] = { &ts };
	struct rt_map_view view = { .name = "@", .json_type = "tseries", .n = 1, .values = values };
	struct capture c;
	struct rt_output o;
	rt_output_text(&o, cap_open(&c), stderr);
	o.ops->map(&o, &view);
	CHECK_CAPTURE(&c, "@:\n"
		     "             -5                                                  5\n"
		     "hh:mm:ss.ms  |___________________________________________________|\n"
		     "10:39:49.300 *                         .                         | -5\n"
		     "10:39:49.400 |    *                    .                         | -4\n"
		     "10:39:49.500 |         *               .                         | -3\n"
		     "10:39:49.600 |              *          .                         | -2\n"
		     "10:39:49.700 |                   *     .                         | -1\n"
		     "10:39:49.800 |                         *                         | 0\n"
		     "10:39:49.900 |                         .    *                    | 1\n"
		     "10:39:50.000 |                         .         *               | 2\n"
		     "10:39:50.100 |                         .              *          | 3\n"
		     "10:39:50.200 |                         .                   *     | 4\n"
		     "10:39:50.300 |                         .                         * 5\n"
		     "10:39:50.400 |                         .                   *     | 4\n"
		     "10:39:50.500 |                         .              *          | 3\n"
		     "10:39:50.600 |                         .         *               | 2\n"
		     "10:39:50.700 |                         .    *                    | 1\n"
		     "10:39:50.800 |                         *                         | 0\n"
		     "10:39:50.900 |                   *     .                         | -1\n"
		     "10:39:51.000 |              *          .                         | -2\n"
		     "10:39:51.100 |         *               .                         | -3\n"
		     "10:39:51.200 |    *                    .                         | -4\n"
		     "             v___________________________________________________v\n"
		     "             -5                                                  5\n"
		     "\n");

	/* one value, then an interval without one: the scale widens by one
	 * each side, the gap is a '-' */
	pts[0] = (struct rt_tseries_point){ 1000000000LL, true, 7 };
	pts[1] = (struct rt_tseries_point){ 2000000000LL, false, 0 };
	ts.n = 2;
	ts.u = 1;
	rt_output_text(&o, cap_open(&c), stderr);
	o.ops->map(&o, &view);
	CHECK_CAPTURE(&c, "@:\n"
		     "         6                                                   8\n"
		     "hh:mm:ss |___________________________________________________|\n"
		     "00:00:01 |                         *                         | 7\n"
		     "00:00:02 |                                                   | -\n"
		     "         v___________________________________________________v\n"
		     "         6                                                   8\n"
		     "\n");
	rt_output_json(&o, cap_open(&c), stderr);
	o.ops->map(&o, &view);
	CHECK_CAPTURE(&c, "{\"type\": \"tseries\", \"data\": {\"@\": [{\"interval_start\": "
		     "\"1970-01-01 00:00:01.000000000\", \"value\": 7}]}}\n");
	/* nothing in range */
	pts[0].present = false;
	rt_output_text(&o, cap_open(&c), stderr);
	o.ops->map(&o, &view);
	CHECK_CAPTURE(&c, "@:\n<no data>\n\n");
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	types = type_arena_new();
	test_tseries();
	test_scalars();
	test_negative_means();
	test_keyed();
	test_string_values();
	test_hist();
	test_keyed_hist();
	test_lhist();
	test_top_div();
	test_empty();
	test_typed_values();
	test_printf();
	test_bpf_maps();
	type_arena_free(types);
	if (failures) {
		fprintf(stderr, "test_print: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_print: ok\n");
	return 0;
}
