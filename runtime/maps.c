/* maps.c - reading BPF maps into snapshots, and printing them through the
 * output sink as bpftrace does.
 *
 * Reading turns the kernel's view (per-CPU values, hist buckets as separate
 * keys) into one entry per user key, everything combined by the map's
 * aggregation descriptor (stdlib/aggs.c). Printing sorts the entries once
 * (by value, then by key, as bpftrace), applies top and div, decodes keys
 * and values by the types in the description, and hands the result to the
 * sink (text or JSON). Layouts come from desc_map alone: the user key is
 * `key->size` bytes laid out by its type; hist/lhist BPF keys add a u64
 * bucket at the next multiple of 8; aggregations are per-CPU. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "builtins.h"
#include "runtime.h"
#include "util.h"

/* ---- layout ------------------------------------------------------------- */

static const struct agg_desc *agg_of(const struct desc_map *m)
{
	return m->kind == MAP_PLAIN ? NULL : agg_find(m->kind);
}

static bool is_bucketed(const struct desc_map *m)
{
	const struct agg_desc *agg = agg_of(m);
	return agg && agg->bucketed;
}

static uint32_t user_key_size(const struct desc_map *m)
{
	return m->key ? m->key->size : 0;
}

static uint32_t bucket_offset(const struct desc_map *m)
{
	return (user_key_size(m) + 7u) & ~7u;
}

/* Bytes of one value (one CPU's share for per-CPU maps) that we read. */
static uint32_t value_bytes_needed(const struct desc_map *m)
{
	const struct agg_desc *agg = agg_of(m);
	if (agg)
		return agg->value_size;
	return m->value ? m->value->size : 8;
}

static int resolve_ncpus(int ncpus)
{
	if (ncpus > 0)
		return ncpus;
	ncpus = libbpf_num_possible_cpus();
	return ncpus > 0 ? ncpus : 1;
}

/* Check the kernel map against the description; on success *stride is the
 * distance between per-CPU values and *max_entries the map's capacity. */
static int check_map(const struct desc_map *m, int fd, uint32_t *stride, uint32_t *max_entries)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.key_size != (m->array ? 4u : m->key_size) || info.value_size < value_bytes_needed(m))
		return -EINVAL;
	const struct agg_desc *agg = agg_of(m);
	if (agg && agg->bucketed && agg->nbuckets(m) < 0)
		return -EINVAL;
	*stride = agg ? (info.value_size + 7u) & ~7u : info.value_size;
	*max_entries = info.max_entries;
	return 0;
}

/* ---- reading ---------------------------------------------------------------- */

struct raw_bucket {
	unsigned char *key; /* full BPF key: user key + u64 bucket */
	uint64_t count;     /* hist: the count; tseries: the value */
	uint64_t epoch;     /* tseries: the interval the value is of */
};

static int raw_bucket_cmp(const void *a, const void *b, void *ctx)
{
	const struct raw_bucket *x = a, *y = b;
	return memcmp(x->key, y->key, *(const uint32_t *)ctx);
}

static uint64_t load_u64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* One entry per distinct user key, its buckets filled from the raw records. */
static void group_buckets(const struct desc_map *m, struct raw_bucket *raw, int nraw,
			  struct rt_map_snapshot *out)
{
	uint32_t uks = user_key_size(m), at = bucket_offset(m);
	int nb = agg_of(m)->nbuckets(m);
	bool series = agg_of(m)->reduce_bucket != NULL;
	uint64_t latest = 0;

	util_sort_r(raw, (size_t)nraw, sizeof(*raw), raw_bucket_cmp, &uks);
	for (int i = 0; i < nraw; i++) {
		struct rt_map_entry *e = out->n ? &out->entries[out->n - 1] : NULL;
		if (!e || memcmp(e->key, raw[i].key, uks) != 0) {
			e = &out->entries[out->n++];
			memset(e, 0, sizeof(*e));
			e->key = xmalloc(uks ? uks : 1);
			memcpy(e->key, raw[i].key, uks);
			e->agg.buckets = xcalloc((size_t)nb, sizeof(uint64_t));
			e->agg.nbuckets = nb;
			e->agg.is_unsigned = true;
			if (series) {
				e->agg.epochs = xcalloc((size_t)nb, sizeof(uint64_t));
				for (int b = 0; b < nb; b++)
					e->agg.epochs[b] = AGG_NO_EPOCH;
			}
		}
		uint64_t bucket = load_u64(raw[i].key + at);
		if (bucket >= (uint64_t)nb)
			continue;
		if (series) {
			/* value = the key's latest interval, for sorting */
			e->agg.buckets[bucket] = raw[i].count;
			e->agg.epochs[bucket] = raw[i].epoch;
			if (raw[i].epoch > (uint64_t)e->agg.value)
				e->agg.value = (int64_t)raw[i].epoch;
			if (raw[i].epoch > latest)
				latest = raw[i].epoch;
			continue;
		}
		e->agg.buckets[bucket] += raw[i].count;
		e->agg.value += (int64_t)raw[i].count; /* total count, for sorting */
	}
	/* every series of the map ends at the map's latest interval (bpftrace) */
	for (int i = 0; series && i < out->n; i++)
		out->entries[i].agg.total = (int64_t)latest;
}

static void fill_entry(const struct desc_map *m, struct rt_map_entry *e, const unsigned char *v,
		       int ncpus, uint32_t stride)
{
	const struct agg_desc *agg = agg_of(m);
	if (agg) {
		agg->combine(m, v, ncpus, stride, &e->agg);
		return;
	}
	e->value = xmalloc(m->value->size ? m->value->size : 1);
	memcpy(e->value, v, m->value->size);
}

int rt_map_read(const struct desc_map *m, int fd, int ncpus, struct rt_map_snapshot *out)
{
	uint32_t stride, max_entries;
	memset(out, 0, sizeof(*out));
	out->map = m;
	ncpus = resolve_ncpus(ncpus);
	int err = check_map(m, fd, &stride, &max_entries);
	if (err)
		return err;

	uint32_t ks = m->key_size;
	bool percpu = agg_of(m) != NULL;
	int ncpu_values = percpu ? ncpus : 1;
	unsigned char *key = xmalloc(ks), *next = xmalloc(ks);
	unsigned char *value = xcalloc((size_t)stride, (size_t)ncpu_values);
	bool have_key = false;
	bool hist = is_bucketed(m);
	struct raw_bucket *raw = NULL;
	int nraw = 0, cap = 0;
	/* Keys deleted by BPF while we walk restart the walk; bound it. */
	uint64_t budget = (uint64_t)max_entries * 2 + 16;

	uint32_t index = 0;
	while (budget--) {
		if (m->array) {
			/* the bucket number as the hash's u64 key; all-zero buckets are absent */
			if (index >= max_entries)
				break;
			uint32_t i = index++;
			if (bpf_map_lookup_elem(fd, &i, value) != 0) {
				err = -errno;
				break;
			}
			uint64_t any = 0;
			for (int cpu = 0; cpu < ncpus; cpu++)
				any |= load_u64(value + (size_t)cpu * stride);
			if (!any)
				continue;
			uint64_t k64 = i;
			memset(key, 0, ks);
			memcpy(key, &k64, sizeof(k64));
		} else {
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
			raw[nraw].key = xmalloc(ks);
			memcpy(raw[nraw].key, key, ks);
			raw[nraw].count = 0;
			raw[nraw].epoch = 0;
			if (agg_of(m)->reduce_bucket)
				raw[nraw].count = agg_of(m)->reduce_bucket(m, value, ncpus, stride, &raw[nraw].epoch);
			else
				for (int cpu = 0; cpu < ncpus; cpu++)
					raw[nraw].count += load_u64(value + (size_t)cpu * stride);
			nraw++;
			continue;
		}
		struct rt_map_entry *e = &out->entries[out->n++];
		memset(e, 0, sizeof(*e));
		e->key = xmalloc(ks);
		memcpy(e->key, key, ks);
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
		free(s->entries[i].value);
		free(s->entries[i].agg.buckets);
		free(s->entries[i].agg.epochs);
	}
	free(s->entries);
	s->entries = NULL;
	s->n = 0;
}

void rt_map_snapshot_zero_scalar(struct rt_map_snapshot *s)
{
	const struct desc_map *m = s->map;
	const struct agg_desc *agg = agg_of(m);
	if (s->n > 0 || m->key || (agg && agg->bucketed))
		return;
	uint32_t size = agg ? agg->value_size : m->value->size;
	unsigned char *zeros = xcalloc(1, size ? size : 1);
	s->entries = xcalloc(1, sizeof(*s->entries));
	s->entries[0].key = xcalloc(1, m->key_size ? m->key_size : 1);
	fill_entry(m, &s->entries[0], zeros, 1, size);
	s->n = 1;
	free(zeros);
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
	/* an array keeps its elements: all-zero buckets are what absent ones read as
	 * (sema makes no array of a map the script clears; this is for other callers) */
	if (m->array)
		return rt_map_zero(m, fd, 0);
	uint32_t stride, max_entries;
	int err = check_map(m, fd, &stride, &max_entries);
	if (err)
		return err;
	int n;
	uint32_t ks = m->key_size;
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
	uint32_t stride, max_entries;
	int err = check_map(m, fd, &stride, &max_entries);
	if (err)
		return err;
	ncpus = resolve_ncpus(ncpus);
	int n;
	uint32_t ks = m->key_size;
	unsigned char *keys = collect_keys(fd, ks, max_entries, &n, &err);
	void *zeros = xcalloc((size_t)stride, (size_t)(agg_of(m) ? ncpus : 1));
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

struct sort_item {
	struct rt_map_entry *e;
	struct rt_value *key;    /* decoded (NULL for scalar maps) */
	struct rt_value *value;  /* plain maps: decoded value */
};

struct sort_ctx {
	const struct desc_map *m;
};

/* Plain maps: integers by value, anything else by key. */
static bool plain_sorts_by_value(const struct desc_map *m)
{
	return m->kind == MAP_PLAIN && m->value && type_is_scalar(m->value);
}

static int key_cmp(const struct sort_item *a, const struct sort_item *b, const struct desc_map *m)
{
	if (!a->key || !b->key)
		return 0;
	int c = rt_value_cmp(a->key, b->key);
	return c ? c : memcmp(a->e->key, b->e->key, user_key_size(m));
}

/* Ascending by value; ties by key. bpftrace leaves ties in hash order for
 * value-sorted maps (sonde uses the key order) and in key-byte order for
 * hist/avg/stats (it groups them in a std::map first), which is kept. */
static int item_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct desc_map *m = ((const struct sort_ctx *)ctx)->m;
	const struct sort_item *a = pa, *b = pb;
	if (m->kind == MAP_PLAIN) {
		if (!plain_sorts_by_value(m))
			return key_cmp(a, b, m);
		int c = a->value->kind == RV_INT && b->value->kind == RV_INT
				? cmp_s64(a->value->i, b->value->i)
				: rt_value_cmp(a->value, b->value);
		return c ? c : key_cmp(a, b, m);
	}
	const struct agg_result *x = &a->e->agg, *y = &b->e->agg;
	int c = x->is_unsigned ? cmp_u64((uint64_t)x->value, (uint64_t)y->value) : cmp_s64(x->value, y->value);
	if (c)
		return c;
	if (m->kind == MAP_HIST || m->kind == MAP_LHIST || m->kind == MAP_AVG || m->kind == MAP_STATS)
		return memcmp(a->e->key, b->e->key, user_key_size(m));
	return key_cmp(a, b, m);
}

/* ---- printing ------------------------------------------------------------------ */

/* A scalar count() has a value from the start in bpftrace (an array map):
 * an empty one prints 0. */
static bool shows_zero_when_empty(const struct desc_map *m)
{
	return m->kind == MAP_COUNT && !m->key;
}

/* print(@m, top, div) divides a plain map's integer values too (bpftrace);
 * the decoded value is the view's own copy. */
static struct rt_value *divided(struct rt_value *v, int64_t div)
{
	if (v && div > 1 && v->kind == RV_INT)
		v->i /= div;
	else if (v && div > 1 && v->kind == RV_UINT)
		v->u /= (uint64_t)div;
	return v;
}

void rt_map_print(struct rt_output *o, const struct rt_map_snapshot *s, int64_t top, int64_t div)
{
	const struct desc_map *m = s->map;
	const struct agg_desc *agg = agg_of(m);
	struct rt_arena *a = rt_arena_new();
	struct rt_map_view view = {
		.name = m->name,
		.keyed = m->key != NULL,
		.json_type = agg ? agg->json_type : "map",
		.blank_line_after = agg && agg->blank_line_after,
		.empty_text = agg && agg->blank_line_after ? "\n\n" : "\n",
	};
	if (div <= 0 || m->kind == MAP_STATS) /* bpftrace ignores div for stats */
		div = 1;
	int n = s->n;
	struct sort_item *items = xcalloc((size_t)(n ? n : 1), sizeof(*items));
	for (int i = 0; i < n; i++) {
		items[i].e = &s->entries[i];
		items[i].key = m->key ? rt_decode(a, m->key, s->entries[i].key) : NULL;
		if (!agg)
			items[i].value = rt_decode(a, m->value, s->entries[i].value);
	}
	struct sort_ctx ctx = { m };
	util_sort_r(items, (size_t)n, sizeof(*items), item_cmp, &ctx);
	int start = 0;
	if (top > 0 && n > top && m->kind != MAP_STATS) /* bpftrace ignores top for stats */
		start = n - (int)top;
	view.n = n - start;
	view.keys = rt_arena_alloc(a, sizeof(*view.keys) * (size_t)(view.n ? view.n : 1));
	view.values = rt_arena_alloc(a, sizeof(*view.values) * (size_t)(view.n ? view.n : 1));
	for (int i = start; i < n; i++) {
		view.keys[i - start] = items[i].key;
		view.values[i - start] = agg ? agg->decode(a, m, &items[i].e->agg, div)
					     : divided(items[i].value, div);
	}
	if (view.n == 0 && shows_zero_when_empty(m)) {
		view.n = 1;
		view.values[0] = rt_value_uint(a, 0);
	}
	o->ops->map(o, &view);
	free(items);
	rt_arena_free(a);
}

int rt_map_print_fd(struct rt_output *o, const struct desc_map *m, int fd, int ncpus, int64_t top,
		    int64_t div)
{
	struct rt_map_snapshot s;
	int err = rt_map_read(m, fd, ncpus, &s);
	if (err)
		return err;
	rt_map_print(o, &s, top, div);
	rt_map_snapshot_free(&s);
	return 0;
}

static int desc_map_name_cmp(const void *a, const void *b)
{
	const struct desc_map *x = *(const struct desc_map *const *)a;
	const struct desc_map *y = *(const struct desc_map *const *)b;
	return strcmp(x->name, y->name);
}

void rt_print_maps_fds(struct rt_output *o, const struct desc *d, const int *fds, int ncpus)
{
	o->ops->maps_begin(o);
	if (!d || d->nmaps <= 0)
		return;
	const struct desc_map **sorted = xmalloc((size_t)d->nmaps * sizeof(*sorted));
	for (int i = 0; i < d->nmaps; i++)
		sorted[i] = &d->maps[i];
	util_sort(sorted, (size_t)d->nmaps, sizeof(*sorted), desc_map_name_cmp);
	for (int i = 0; i < d->nmaps; i++) {
		const struct desc_map *m = sorted[i];
		int fd = fds[m - d->maps];
		int err = fd >= 0 ? rt_map_print_fd(o, m, fd, ncpus, 0, 0) : -ENOENT;
		if (err) {
			char msg[256];
			snprintf(msg, sizeof(msg), "cannot read map %s: %s", m->name, strerror(-err));
			o->ops->notice(o, RT_NOTICE_ERROR, msg);
		}
	}
	free(sorted);
}

void rt_print_maps_at_exit(struct rt_output *o, const struct desc *d, struct bpf_object *obj, int ncpus)
{
	int n = d && d->nmaps > 0 ? d->nmaps : 0;
	int *fds = xmalloc((size_t)(n ? n : 1) * sizeof(*fds));
	for (int i = 0; i < n; i++) {
		struct bpf_map *map = obj ? bpf_object__find_map_by_name(obj, d->maps[i].bpf_name) : NULL;
		fds[i] = map ? bpf_map__fd(map) : -1;
	}
	rt_print_maps_fds(o, d, fds, ncpus);
	free(fds);
}
