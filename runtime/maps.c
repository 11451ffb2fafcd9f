/* maps.c - reading BPF maps into snapshots and printing them as bpftrace does.
 *
 * Reading turns the kernel's view (per-CPU values, hist buckets as separate
 * keys) into one rt_map_entry per user key, everything combined. Printing
 * follows bpftrace 0.17's text output byte for byte, except two places where
 * sonde follows the latest bpftrace: the stats line
 * ("@s: { .count = 3, .average = 21, .total = 63 }") and histogram headers
 * without a trailing space ("@h:").
 *
 * Layouts come from desc_map alone (see desc.h and ast.h): integer key parts
 * and values are 8 bytes, strings `type.size` bytes NUL-padded; hist keys are
 * the user key followed by a u64 bucket index; aggregations are per-CPU. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runtime.h"

#define HIST_BAR_WIDTH 52 /* bpftrace's */
#define LHIST_MAX_BUCKETS 100002 /* sema bounds lhist; this only keeps a bad desc from eating memory */

/* ---- layout ------------------------------------------------------------- */

static bool kind_is_hist(enum map_kind k) { return k == MAP_HIST || k == MAP_LHIST; }
static bool kind_is_percpu(enum map_kind k) { return k != MAP_PLAIN; }
static bool kind_is_mean(enum map_kind k) { return k == MAP_AVG || k == MAP_STATS; }

static uint32_t user_key_size(const struct desc_map *m)
{
	/* scalar maps live under the u64 key 0; scalar hist/lhist maps under
	 * the bucket alone (desc.h) */
	if (m->nkeys == 0)
		return kind_is_hist(m->kind) ? 0 : 8;
	return m->key_size;
}

static uint32_t bpf_key_size(const struct desc_map *m)
{
	return user_key_size(m) + (kind_is_hist(m->kind) ? 8 : 0);
}

/* Buckets of one user key, or -1 when the description is unusable. */
static int map_nbuckets(const struct desc_map *m)
{
	if (m->kind == MAP_HIST)
		return SONDE_HIST_BUCKETS;
	if (m->kind != MAP_LHIST)
		return 0;
	if (m->lhist_step <= 0 || m->lhist_max <= m->lhist_min)
		return -1;
	int64_t n = (m->lhist_max - m->lhist_min) / m->lhist_step + 2;
	return n > LHIST_MAX_BUCKETS ? -1 : (int)n;
}

/* Bytes of one value (one CPU's share for per-CPU maps) that we read. */
static uint32_t value_bytes_needed(const struct desc_map *m)
{
	switch (m->kind) {
	case MAP_PLAIN:
		return m->value.kind == TY_STR ? m->value.size : 8;
	case MAP_MIN: case MAP_MAX: case MAP_AVG: case MAP_STATS:
		return 16;
	default:
		return 8;
	}
}

static uint32_t round_up8(uint32_t n) { return (n + 7) & ~7u; }

static int resolve_ncpus(int ncpus)
{
	if (ncpus > 0)
		return ncpus;
	ncpus = libbpf_num_possible_cpus();
	return ncpus > 0 ? ncpus : 1;
}

/* Check the kernel map against the description; on success *stride is the
 * distance between per-CPU values and *max_entries the map's capacity. */
static int check_map(const struct desc_map *m, int fd, uint32_t *value_size, uint32_t *stride,
		     uint32_t *max_entries)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.key_size != bpf_key_size(m) || info.value_size < value_bytes_needed(m))
		return -EINVAL;
	if (kind_is_hist(m->kind) && map_nbuckets(m) < 0)
		return -EINVAL;
	*value_size = info.value_size;
	*stride = kind_is_percpu(m->kind) ? round_up8(info.value_size) : info.value_size;
	*max_entries = info.max_entries;
	return 0;
}

/* ---- combining values ----------------------------------------------------- */

static uint64_t load_u64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* An 8-byte integer as the script's type sees it (sign- or zero-extended
 * from its real size), so printing and sorting agree. */
static int64_t normalize_int(uint64_t bits, struct type t)
{
	switch (t.size) {
	case 1: return t.is_signed ? (int64_t)(int8_t)bits : (int64_t)(uint8_t)bits;
	case 2: return t.is_signed ? (int64_t)(int16_t)bits : (int64_t)(uint16_t)bits;
	case 4: return t.is_signed ? (int64_t)(int32_t)bits : (int64_t)(uint32_t)bits;
	default: return (int64_t)bits;
	}
}

static uint64_t sum_u64(const unsigned char *v, int ncpus, uint32_t stride, uint32_t off)
{
	uint64_t sum = 0;
	for (int cpu = 0; cpu < ncpus; cpu++)
		sum += load_u64(v + (size_t)cpu * stride + off);
	return sum;
}

/* min/max: struct { s64 value; u64 is_set; } per CPU; CPUs never set do not count. */
static int64_t combine_extreme(const unsigned char *v, int ncpus, uint32_t stride, bool want_max)
{
	bool any = false;
	int64_t best = 0;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		const unsigned char *slot = v + (size_t)cpu * stride;
		if (!load_u64(slot + 8))
			continue;
		int64_t x = (int64_t)load_u64(slot);
		if (!any || (want_max ? x > best : x < best))
			best = x;
		any = true;
	}
	return best;
}

static void fill_entry(const struct desc_map *m, struct rt_map_entry *e, const unsigned char *v,
		       int ncpus, uint32_t stride)
{
	switch (m->kind) {
	case MAP_PLAIN:
		if (m->value.kind == TY_STR)
			e->str = xstrndup((const char *)v, strnlen((const char *)v, m->value.size));
		else
			e->value = normalize_int(load_u64(v), m->value);
		break;
	case MAP_COUNT:
	case MAP_SUM:
		e->value = (int64_t)sum_u64(v, ncpus, stride, 0);
		break;
	case MAP_MIN:
	case MAP_MAX:
		e->value = combine_extreme(v, ncpus, stride, m->kind == MAP_MAX);
		break;
	case MAP_AVG:
	case MAP_STATS:
		e->total = (int64_t)sum_u64(v, ncpus, stride, 0);
		e->count = sum_u64(v, ncpus, stride, 8);
		/* bpftrace: signed division truncating toward zero; 0 when empty */
		e->value = e->count ? e->total / (int64_t)e->count : 0;
		break;
	case MAP_HIST:
	case MAP_LHIST:
		break; /* grouped by group_buckets() */
	}
}

/* ---- reading ---------------------------------------------------------------- */

struct raw_bucket {
	unsigned char *key; /* full BPF key: user key + u64 bucket */
	uint64_t count;
};

static int raw_bucket_cmp(const void *a, const void *b, void *ctx)
{
	const struct raw_bucket *x = a, *y = b;
	return memcmp(x->key, y->key, *(const uint32_t *)ctx);
}

/* One entry per distinct user key, its buckets filled from the raw records. */
static void group_buckets(const struct desc_map *m, struct raw_bucket *raw, int nraw,
			  struct rt_map_snapshot *out)
{
	uint32_t uks = user_key_size(m);
	int nb = map_nbuckets(m);

	if (nraw > 0) /* raw is NULL for an empty map; qsort_r wants a pointer */
		qsort_r(raw, (size_t)nraw, sizeof(*raw), raw_bucket_cmp, &uks);
	for (int i = 0; i < nraw; i++) {
		struct rt_map_entry *e = out->n ? &out->entries[out->n - 1] : NULL;
		if (!e || memcmp(e->key, raw[i].key, uks) != 0) {
			e = &out->entries[out->n++];
			e->key = xstrndup((const char *)raw[i].key, uks); /* bytes, NUL appended */
			e->buckets = xcalloc((size_t)nb, sizeof(uint64_t));
			e->nbuckets = nb;
		}
		uint64_t bucket = load_u64(raw[i].key + uks);
		if (bucket < (uint64_t)nb) {
			e->buckets[bucket] += raw[i].count;
			e->value += (int64_t)raw[i].count; /* hist: total count, for sorting */
		}
	}
}

int rt_map_read(const struct desc_map *m, int fd, int ncpus, struct rt_map_snapshot *out)
{
	uint32_t value_size, stride, max_entries;
	memset(out, 0, sizeof(*out));
	out->map = m;
	ncpus = resolve_ncpus(ncpus);
	int err = check_map(m, fd, &value_size, &stride, &max_entries);
	if (err)
		return err;

	uint32_t ks = bpf_key_size(m);
	int ncpu_values = kind_is_percpu(m->kind) ? ncpus : 1;
	unsigned char *key = xmalloc(ks), *next = xmalloc(ks);
	unsigned char *value = xcalloc((size_t)stride, (size_t)ncpu_values);
	bool have_key = false;
	bool hist = kind_is_hist(m->kind);
	struct raw_bucket *raw = NULL;
	int nraw = 0, cap = 0;
	/* Keys deleted by BPF while we walk restart the walk; bound it. */
	uint64_t budget = (uint64_t)max_entries * 2 + 16;

	while (budget--) {
		if (bpf_map_get_next_key(fd, have_key ? key : NULL, next) != 0) {
			if (errno != ENOENT) /* ENOENT: the last key */
				err = -errno;
			break;
		}
		unsigned char *t = key;
		key = next;
		next = t;
		have_key = true;
		if (bpf_map_lookup_elem(fd, key, value) != 0) {
			if (errno == ENOENT)
				continue;
			err = -errno;
			break;
		}
		int *used = hist ? &nraw : &out->n;
		if (*used == cap) {
			cap = cap ? cap * 2 : 16;
			if (hist)
				raw = xrealloc(raw, (size_t)cap * sizeof(*raw));
			else
				out->entries = xrealloc(out->entries, (size_t)cap * sizeof(*out->entries));
		}
		if (hist) {
			raw[nraw].key = (unsigned char *)xstrndup((const char *)key, ks);
			raw[nraw].count = sum_u64(value, ncpus, stride, 0);
			nraw++;
			continue;
		}
		struct rt_map_entry *e = &out->entries[out->n++];
		memset(e, 0, sizeof(*e));
		e->key = xstrndup((const char *)key, ks);
		fill_entry(m, e, value, ncpu_values, stride);
	}
	if (hist) {
		out->entries = xcalloc((size_t)(nraw ? nraw : 1), sizeof(*out->entries));
		if (!err)
			group_buckets(m, raw, nraw, out);
		for (int i = 0; i < nraw; i++)
			free(raw[i].key);
		free(raw);
	}
	free(key);
	free(next);
	free(value);
	if (err)
		rt_map_snapshot_free(out);
	return err;
}

void rt_map_snapshot_free(struct rt_map_snapshot *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->entries[i].key);
		free(s->entries[i].str);
		free(s->entries[i].buckets);
	}
	free(s->entries);
	s->entries = NULL;
	s->n = 0;
}

/* ---- clear / zero ------------------------------------------------------------ */

/* All keys of the map, collected first: deleting or updating while walking
 * would restart the walk. *err is 0 or a negative errno. */
static unsigned char *collect_keys(int fd, uint32_t ks, uint32_t max_entries, int *n, int *err)
{
	unsigned char *keys = NULL;
	int cap = 0;
	*n = 0;
	*err = 0;
	unsigned char *prev = NULL;
	while ((uint32_t)*n < max_entries + 1) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			keys = xrealloc(keys, (size_t)cap * ks);
			prev = *n ? keys + (size_t)(*n - 1) * ks : NULL;
		}
		unsigned char *slot = keys + (size_t)*n * ks;
		if (bpf_map_get_next_key(fd, prev, slot) != 0) {
			if (errno != ENOENT) /* ENOENT: the last key */
				*err = -errno;
			break;
		}
		prev = slot;
		(*n)++;
	}
	return keys;
}

int rt_map_clear(const struct desc_map *m, int fd)
{
	uint32_t value_size, stride, max_entries;
	int err = check_map(m, fd, &value_size, &stride, &max_entries);
	if (err)
		return err;
	int n;
	uint32_t ks = bpf_key_size(m);
	unsigned char *keys = collect_keys(fd, ks, max_entries, &n, &err);
	for (int i = 0; i < n && !err; i++) {
		if (bpf_map_delete_elem(fd, keys + (size_t)i * ks) != 0 && errno != ENOENT) {
			err = -errno;
			break;
		}
	}
	free(keys);
	return err;
}

/* bpftrace's zero(): every value becomes 0 (min/max also lose is_set, so
 * they start over), keys stay, so a zeroed hist prints its header only. */
int rt_map_zero(const struct desc_map *m, int fd, int ncpus)
{
	uint32_t value_size, stride, max_entries;
	int err = check_map(m, fd, &value_size, &stride, &max_entries);
	if (err)
		return err;
	ncpus = resolve_ncpus(ncpus);
	int n;
	uint32_t ks = bpf_key_size(m);
	unsigned char *keys = collect_keys(fd, ks, max_entries, &n, &err);
	void *zeros = xcalloc((size_t)stride, (size_t)(kind_is_percpu(m->kind) ? ncpus : 1));
	for (int i = 0; i < n && !err; i++) {
		if (bpf_map_update_elem(fd, keys + (size_t)i * ks, zeros, BPF_EXIST) != 0 &&
		    errno != ENOENT) {
			err = -errno;
			break;
		}
	}
	free(zeros);
	free(keys);
	return err;
}

/* ---- sorting ------------------------------------------------------------------ */

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }
static int cmp_s64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

/* bpftrace's key order: part by part, integers as u64, strings as strings. */
static int key_cmp_typed(const struct desc_map *m, const unsigned char *a, const unsigned char *b)
{
	for (int i = 0; i < m->nkeys; i++) {
		const struct field_layout *k = &m->keys[i];
		int c;
		if (k->type.kind == TY_STR)
			c = strncmp((const char *)a + k->offset, (const char *)b + k->offset, k->type.size);
		else
			c = cmp_u64(load_u64(a + k->offset), load_u64(b + k->offset));
		if (c)
			return c;
	}
	return memcmp(a, b, user_key_size(m));
}

static bool value_is_unsigned(const struct desc_map *m)
{
	return m->kind == MAP_COUNT || kind_is_hist(m->kind) ||
	       (m->kind == MAP_PLAIN && !m->value.is_signed);
}

/* Ascending by value; string maps by key. bpftrace leaves ties in hash order
 * for value-sorted maps (we use the key order) and in key-byte order for
 * hist/avg/stats (it groups them in a std::map first), which we keep. */
static int entry_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct desc_map *m = ctx;
	const struct rt_map_entry *a = *(struct rt_map_entry *const *)pa;
	const struct rt_map_entry *b = *(struct rt_map_entry *const *)pb;

	if (m->kind == MAP_PLAIN && m->value.kind == TY_STR)
		return key_cmp_typed(m, a->key, b->key);
	int c = value_is_unsigned(m) ? cmp_u64((uint64_t)a->value, (uint64_t)b->value)
				     : cmp_s64(a->value, b->value);
	if (c)
		return c;
	if (kind_is_hist(m->kind) || kind_is_mean(m->kind))
		return memcmp(a->key, b->key, user_key_size(m));
	return key_cmp_typed(m, a->key, b->key);
}

/* ---- printing ------------------------------------------------------------------ */

static void print_key(FILE *out, const struct desc_map *m, const unsigned char *key)
{
	fputs(m->name, out);
	if (m->nkeys == 0)
		return;
	fputc('[', out);
	for (int i = 0; i < m->nkeys; i++) {
		const struct field_layout *k = &m->keys[i];
		if (i)
			fputs(", ", out);
		if (k->type.kind == TY_STR) {
			const char *s = (const char *)key + k->offset;
			fwrite(s, 1, strnlen(s, k->type.size), out);
		} else {
			int64_t v = normalize_int(load_u64(key + k->offset), k->type);
			if (k->type.is_signed)
				fprintf(out, "%" PRId64, v);
			else
				fprintf(out, "%" PRIu64, (uint64_t)v);
		}
	}
	fputc(']', out);
}

/* "1", "512", "1K", "16M", ... for 2^power (bpftrace's hist labels). */
static void hist_label(char *buf, size_t size, int power)
{
	static const char suffixes[] = { 0, 'K', 'M', 'G', 'T' };
	int unit = power >= 40 ? 4 : power / 10;
	uint64_t n = 1ULL << (power - unit * 10);
	if (unit)
		snprintf(buf, size, "%" PRIu64 "%c", n, suffixes[unit]);
	else
		snprintf(buf, size, "%" PRIu64, n);
}

/* lhist labels: K/M when the number is a multiple of 1024 / 1048576. */
static void lhist_label(char *buf, size_t size, int64_t n)
{
	if (n != 0 && n % 1048576 == 0)
		snprintf(buf, size, "%" PRId64 "M", n / 1048576);
	else if (n != 0 && n % 1024 == 0)
		snprintf(buf, size, "%" PRId64 "K", n / 1024);
	else
		snprintf(buf, size, "%" PRId64, n);
}

static void bucket_header(char *buf, size_t size, const struct desc_map *m, int i, int nb)
{
	char lo[32], hi[32];
	if (m->kind == MAP_HIST) {
		if (i == 0) {
			snprintf(buf, size, "(..., 0)");
		} else if (i <= 2) {
			snprintf(buf, size, "[%d]", i - 1);
		} else {
			hist_label(lo, sizeof(lo), i - 2);
			hist_label(hi, sizeof(hi), i - 1);
			snprintf(buf, size, "[%s, %s)", lo, hi);
		}
		return;
	}
	if (i == 0) {
		lhist_label(lo, sizeof(lo), m->lhist_min);
		snprintf(buf, size, "(..., %s)", lo);
	} else if (i == nb - 1) {
		lhist_label(hi, sizeof(hi), m->lhist_max);
		snprintf(buf, size, "[%s, ...)", hi);
	} else {
		lhist_label(lo, sizeof(lo), (int64_t)(i - 1) * m->lhist_step + m->lhist_min);
		lhist_label(hi, sizeof(hi), (int64_t)i * m->lhist_step + m->lhist_min);
		snprintf(buf, size, "[%s, %s)", lo, hi);
	}
}

/* Rows from the first to the last non-empty bucket. Counts shown are divided
 * by div (hist only, as bpftrace); bars are always scaled on raw counts. */
static void print_hist_rows(FILE *out, const struct desc_map *m, const struct rt_map_entry *e,
			    int64_t div)
{
	int first = -1, last = -1;
	uint64_t max = 0;
	for (int i = 0; i < e->nbuckets; i++) {
		if (e->buckets[i] == 0)
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (e->buckets[i] > max)
			max = e->buckets[i];
	}
	if (first < 0)
		return;
	char bar[HIST_BAR_WIDTH + 1];
	char header[96];
	for (int i = first; i <= last; i++) {
		uint64_t c = e->buckets[i];
		/* bpftrace computes the bar in float; same arithmetic, same rounding */
		int width = (int)((float)c / (float)max * HIST_BAR_WIDTH);
		if (width < 0)
			width = 0;
		if (width > HIST_BAR_WIDTH)
			width = HIST_BAR_WIDTH;
		memset(bar, '@', (size_t)width);
		bar[width] = '\0';
		bucket_header(header, sizeof(header), m, i, e->nbuckets);
		uint64_t shown = m->kind == MAP_HIST ? c / (uint64_t)div : c;
		fprintf(out, "%-16s%8" PRIu64 " |%-*s|\n", header, shown, HIST_BAR_WIDTH, bar);
	}
}

static void print_entry(FILE *out, const struct desc_map *m, const struct rt_map_entry *e, int64_t div)
{
	print_key(out, m, e->key);
	switch (m->kind) {
	case MAP_HIST:
	case MAP_LHIST:
		fputs(":\n", out);
		print_hist_rows(out, m, e, div);
		fputc('\n', out);
		return;
	case MAP_STATS:
		/* latest bpftrace's record form; 0.17 printed "count 3, average 21, total 63" */
		fprintf(out, ": { .count = %" PRIu64 ", .average = %" PRId64 ", .total = %" PRId64 " }\n",
			e->count, e->value, e->total);
		return;
	case MAP_PLAIN:
		if (m->value.kind == TY_STR) {
			fprintf(out, ": %s\n", e->str ? e->str : "");
			return;
		}
		break;
	default:
		break;
	}
	if (value_is_unsigned(m))
		fprintf(out, ": %" PRIu64 "\n", (uint64_t)e->value / (uint64_t)div);
	else
		fprintf(out, ": %" PRId64 "\n", e->value / div);
}

void rt_map_print(FILE *out, const struct rt_map_snapshot *s, int64_t top, int64_t div)
{
	const struct desc_map *m = s->map;
	if (div <= 0)
		div = 1;
	if (s->n == 0) {
		/* bpftrace keeps a scalar count() in an array map, so it always has a value */
		if (m->kind == MAP_COUNT && m->nkeys == 0)
			fprintf(out, "%s: 0\n", m->name);
		else
			fputs(kind_is_mean(m->kind) ? "\n\n" : "\n", out);
		return;
	}
	struct rt_map_entry **order = xmalloc((size_t)s->n * sizeof(*order));
	for (int i = 0; i < s->n; i++)
		order[i] = &s->entries[i];
	qsort_r(order, (size_t)s->n, sizeof(*order), entry_cmp, (void *)m);

	int start = 0;
	if (top > 0 && s->n > top && m->kind != MAP_STATS) /* bpftrace ignores top for stats */
		start = s->n - (int)top;
	if (m->kind == MAP_STATS)
		div = 1; /* ... and div */
	for (int i = start; i < s->n; i++)
		print_entry(out, m, order[i], div);
	if (kind_is_mean(m->kind))
		fputc('\n', out);
	free(order);
}

int rt_map_print_fd(FILE *out, const struct desc_map *m, int fd, int ncpus, int64_t top, int64_t div)
{
	struct rt_map_snapshot s;
	int err = rt_map_read(m, fd, ncpus, &s);
	if (err)
		return err;
	rt_map_print(out, &s, top, div);
	rt_map_snapshot_free(&s);
	return 0;
}

static int desc_map_name_cmp(const void *a, const void *b)
{
	const struct desc_map *x = *(const struct desc_map *const *)a;
	const struct desc_map *y = *(const struct desc_map *const *)b;
	return strcmp(x->name, y->name);
}

void rt_print_maps_fds(FILE *out, const struct desc *d, const int *fds, int ncpus)
{
	fputs("\n\n", out);
	if (!d || d->nmaps <= 0)
		return;
	const struct desc_map **sorted = xmalloc((size_t)d->nmaps * sizeof(*sorted));
	for (int i = 0; i < d->nmaps; i++)
		sorted[i] = &d->maps[i];
	qsort(sorted, (size_t)d->nmaps, sizeof(*sorted), desc_map_name_cmp);
	for (int i = 0; i < d->nmaps; i++) {
		const struct desc_map *m = sorted[i];
		int fd = fds[m - d->maps];
		int err = fd >= 0 ? rt_map_print_fd(out, m, fd, ncpus, 0, 0) : -ENOENT;
		if (err) {
			fflush(out); /* the message after what came before it; write errors are the caller's */
			fprintf(stderr, "sonde: cannot read map %s: %s\n", m->name, strerror(-err));
		}
	}
	free(sorted);
}

void rt_print_maps_at_exit(FILE *out, const struct desc *d, struct bpf_object *obj, int ncpus)
{
	int n = d && d->nmaps > 0 ? d->nmaps : 0;
	int *fds = xmalloc((size_t)(n ? n : 1) * sizeof(*fds));
	for (int i = 0; i < n; i++) {
		struct bpf_map *map = obj ? bpf_object__find_map_by_name(obj, d->maps[i].bpf_name) : NULL;
		fds[i] = map ? bpf_map__fd(map) : -1;
	}
	rt_print_maps_fds(out, d, fds, ncpus);
	free(fds);
}
