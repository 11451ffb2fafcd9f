/* aggs.c - aggregation functions: valid only as `@m[k] = agg(...)`.
 *
 * Each is one descriptor (struct agg_desc) with every stage's part: sema
 * checks its arguments and says what reading it yields; codegen updates a
 * per-CPU value in place (codegen/aggs.c); the runtime combines the
 * per-CPU values, sorts entries by the combined value and decodes it for
 * printing. Value layouts (per CPU):
 *   count, sum        u64/s64
 *   avg, stats        { s64 total; u64 count; }
 *   min, max          { s64 value; u64 is_set; }
 *   hist, lhist       u64 count, one BPF key per bucket (the bucket index
 *                     follows the user key; see SONDE_HIST_BUCKETS) */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "builtins.h"
#include "sema.h"

#define HIST_MAX_BITS 5
#define LHIST_MAX_BUCKETS 100002 /* sema bounds lhist; this keeps a bad desc from eating memory */

/* ---- sema ------------------------------------------------------------------------ */

static const struct type *check_count(struct sema *s, struct node *call)
{
	(void)s;
	(void)call;
	return type_agg();
}

static const struct type *check_one_int(struct sema *s, struct node *call)
{
	return sema_arg_integer(s, call, 0, false) ? type_agg() : type_none();
}

static const struct type *check_hist(struct sema *s, struct node *call)
{
	if (!sema_arg_integer(s, call, 0, false))
		return type_none();
	/* hist(n, k): 2^k buckets per power of 2 (the latest bpftrace) */
	int64_t bits = 0;
	if (sema_count_args(call) > 1) {
		if (!sema_arg_literal(s, call, 1, &bits))
			return type_none();
		if (bits < 0 || bits > HIST_MAX_BITS)
			return sema_fail(s, sema_arg(call, 1)->loc,
					 "hist(): k must be from 0 to %d (%lld provided)", HIST_MAX_BITS,
					 (long long)bits);
	}
	return sema_agg_params(s, call, &bits, 1) ? type_agg() : type_none();
}

#define SEMA_MAX_LHIST_BUCKETS 1000

static const struct type *check_lhist(struct sema *s, struct node *call)
{
	int64_t p[3];
	bool ok = sema_arg_integer(s, call, 0, false);
	for (int i = 0; i < 3; i++)
		ok &= sema_arg_literal(s, call, i + 1, &p[i]);
	if (!ok)
		return type_none();
	if (p[2] <= 0)
		return sema_fail(s, call->loc, "lhist(): step must be at least 1 (got %lld)", (long long)p[2]);
	if (p[1] <= p[0])
		return sema_fail(s, call->loc, "lhist(): max (%lld) must be greater than min (%lld)",
				 (long long)p[1], (long long)p[0]);
	/* max > min: the distance fits in 64 unsigned bits (int64 may overflow) */
	uint64_t buckets = ((uint64_t)p[1] - (uint64_t)p[0]) / (uint64_t)p[2];
	if (buckets > SEMA_MAX_LHIST_BUCKETS)
		return sema_fail(s, call->loc, "lhist(): (max - min) / step must be at most %d (got %llu)",
				 SEMA_MAX_LHIST_BUCKETS, (unsigned long long)buckets);
	return sema_agg_params(s, call, p, 3) ? type_agg() : type_none();
}

/* tseries(value, interval_ns, num_intervals [, "avg" | "max" | "min" | "sum"]) */
static const struct type *check_tseries(struct sema *s, struct node *call)
{
	static const char *const aggs[] = { [TSERIES_AVG] = "avg", [TSERIES_MAX] = "max",
					     [TSERIES_MIN] = "min", [TSERIES_SUM] = "sum" };
	int64_t p[3] = { 0, 0, TSERIES_LAST };
	bool ok = sema_arg_integer(s, call, 0, false);
	ok &= sema_arg_literal(s, call, 1, &p[0]) && sema_arg_literal(s, call, 2, &p[1]);
	if (!ok)
		return type_none();
	if (p[0] < 1)
		return sema_fail(s, sema_arg(call, 1)->loc, "tseries() interval_ns must be >= 1 (%lld provided)",
				 (long long)p[0]);
	if (p[1] < 1 || p[1] > SONDE_TSERIES_MAX_INTERVALS)
		return sema_fail(s, sema_arg(call, 2)->loc,
				 "tseries() num_intervals must be from 1 to %d (%lld provided)",
				 SONDE_TSERIES_MAX_INTERVALS, (long long)p[1]);
	struct node *agg = sema_arg(call, 3);
	if (agg) {
		if (type_is_none(sema_expr(s, agg)))
			return type_none();
		for (int i = TSERIES_AVG; i <= TSERIES_SUM && agg->kind == N_STR; i++)
			if (strcmp(agg->str, aggs[i]) == 0)
				p[2] = i;
		if (p[2] == TSERIES_LAST)
			return sema_fail(s, agg->loc, "tseries() expects one of the following aggregation "
				 "functions: avg, max, min, sum");
	}
	return sema_agg_params(s, call, p, 3) ? type_agg() : type_none();
}

static const struct type *yields_u64(const struct type *arg)
{
	(void)arg;
	return type_int(8, false);
}

/* sum/min/max/avg of an unsigned value is unsigned (bpftrace) */
static const struct type *yields_like(const struct type *arg)
{
	bool is_signed = !arg || !type_is_integer(arg) || arg->is_signed || arg->is_literal;
	return type_int(8, is_signed);
}

/* ---- runtime: combining -------------------------------------------------------------- */

static uint64_t load_u64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static bool value_signed(const struct desc_map *m)
{
	return m->value && m->value->is_signed;
}

static void combine_sum(const struct desc_map *m, const unsigned char *v, int ncpus,
			uint32_t stride, struct agg_result *r)
{
	uint64_t sum = 0;
	for (int cpu = 0; cpu < ncpus; cpu++)
		sum += load_u64(v + (size_t)cpu * stride);
	r->value = (int64_t)sum;
	r->is_unsigned = !value_signed(m);
}

/* CPUs that never saw a value do not count. */
static void combine_extreme(const struct desc_map *m, const unsigned char *v, int ncpus,
			    uint32_t stride, struct agg_result *r, bool want_max)
{
	bool is_signed = value_signed(m);
	r->is_unsigned = !is_signed;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		const unsigned char *slot = v + (size_t)cpu * stride;
		if (!load_u64(slot + 8))
			continue;
		uint64_t x = load_u64(slot);
		bool better = is_signed ? (want_max ? (int64_t)x > r->value : (int64_t)x < r->value)
					: (want_max ? x > (uint64_t)r->value : x < (uint64_t)r->value);
		if (!r->is_set || better)
			r->value = (int64_t)x;
		r->is_set = true;
	}
}

static void combine_min(const struct desc_map *m, const unsigned char *v, int ncpus,
			uint32_t stride, struct agg_result *r)
{
	combine_extreme(m, v, ncpus, stride, r, false);
}

static void combine_max(const struct desc_map *m, const unsigned char *v, int ncpus,
			uint32_t stride, struct agg_result *r)
{
	combine_extreme(m, v, ncpus, stride, r, true);
}

static void combine_mean(const struct desc_map *m, const unsigned char *v, int ncpus,
			 uint32_t stride, struct agg_result *r)
{
	uint64_t total = 0, count = 0;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		total += load_u64(v + (size_t)cpu * stride);
		count += load_u64(v + (size_t)cpu * stride + 8);
	}
	r->total = (int64_t)total;
	r->count = count;
	r->is_unsigned = !value_signed(m);
	/* bpftrace: integer division truncating toward zero; 0 when empty */
	if (!count)
		r->value = 0;
	else if (r->is_unsigned)
		r->value = (int64_t)(total / count);
	else
		r->value = (int64_t)total / (int64_t)count;
}

/* hist/lhist entries are grouped by the reader; value = the total count */
static void combine_buckets(const struct desc_map *m, const unsigned char *v, int ncpus,
			    uint32_t stride, struct agg_result *r)
{
	(void)m;
	uint64_t sum = 0;
	for (int cpu = 0; cpu < ncpus; cpu++)
		sum += load_u64(v + (size_t)cpu * stride);
	r->value = (int64_t)sum;
	r->is_unsigned = true;
}

/* ---- runtime: decoding -------------------------------------------------------------- */

static struct rt_value *decode_scalar(struct rt_arena *a, const struct desc_map *m,
				      const struct agg_result *r, int64_t div)
{
	(void)m;
	if (div < 1)
		div = 1;
	if (r->is_unsigned)
		return rt_value_uint(a, (uint64_t)r->value / (uint64_t)div);
	return rt_value_int(a, r->value / div);
}

/* bpftrace ignores div for stats */
static struct rt_value *decode_stats(struct rt_arena *a, const struct desc_map *m,
				     const struct agg_result *r, int64_t div)
{
	(void)m;
	(void)div;
	static const char *names[] = { "count", "average", "total" };
	struct rt_value *v = rt_arena_alloc(a, sizeof(*v));
	v->kind = RV_RECORD;
	v->n = 3;
	v->items = rt_arena_alloc(a, sizeof(*v->items) * 3);
	v->names = rt_arena_alloc(a, sizeof(*v->names) * 3);
	for (int i = 0; i < 3; i++)
		v->names[i] = names[i];
	v->items[0].kind = RV_UINT;
	v->items[0].u = r->count;
	v->items[1].kind = r->is_unsigned ? RV_UINT : RV_INT;
	v->items[1].i = r->value;
	v->items[1].u = (uint64_t)r->value;
	v->items[2].kind = r->is_unsigned ? RV_UINT : RV_INT;
	v->items[2].i = r->total;
	v->items[2].u = (uint64_t)r->total;
	return v;
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

static void hist_row(struct rt_hist_row *row, int i)
{
	char lo[22], hi[22];
	if (i == 0) {
		snprintf(row->label, sizeof(row->label), "(..., 0)");
		row->has_max = true;
		row->max = -1;
	} else if (i <= 2) {
		snprintf(row->label, sizeof(row->label), "[%d]", i - 1);
		row->has_min = row->has_max = true;
		row->min = row->max = i - 1;
	} else {
		hist_label(lo, sizeof(lo), i - 2);
		hist_label(hi, sizeof(hi), i - 1);
		snprintf(row->label, sizeof(row->label), "[%s, %s)", lo, hi);
		row->has_min = row->has_max = true;
		row->min = (int64_t)(1ull << (i - 2));
		row->max = i - 1 >= 63 ? INT64_MAX : (int64_t)(1ull << (i - 1)) - 1;
	}
}

/* hist(n, k > 0): bucket i's upper bound (the next bucket's lower one), as
 * a label and a number: i itself up to 2^(k+1) (one value per bucket),
 * then 2^power * (2^k + sub-bucket), with K, M, G... for powers of 2^10. */
static uint64_t hist_k_bound(char *buf, size_t size, int i, int k)
{
	uint32_t n = 1u << k;
	if (i <= (int)(2u << k)) {
		snprintf(buf, size, "%d", i);
		return (uint64_t)i;
	}
	uint32_t power = ((uint32_t)i >> k) - 1, sub = (uint32_t)i & (n - 1);
	uint64_t value = power >= 64 ? UINT64_MAX : (1ULL << power) * (n + sub);
	uint32_t decade = power / 10;
	static const char suffixes[] = "\0KMGTPE";
	char suffix = decade < sizeof(suffixes) - 1 ? suffixes[decade] : 'E';
	uint32_t rest = power - 10 * (decade < 6 ? decade : 6);
	uint64_t shown = rest >= 64 ? 0 : (1ULL << rest) * (n + sub);
	if (suffix)
		snprintf(buf, size, "%" PRIu64 "%c", shown, suffix);
	else
		snprintf(buf, size, "%" PRIu64, shown);
	return value;
}

static void hist_k_row(struct rt_hist_row *row, int i, int k)
{
	char lo[22], hi[22]; /* "18446744073709551615" at most */
	if (i == 0) {
		snprintf(row->label, sizeof(row->label), "(..., 0)");
		row->has_max = true;
		row->max = -1;
		return;
	}
	uint64_t a = hist_k_bound(lo, sizeof(lo), i - 1, k), b = hist_k_bound(hi, sizeof(hi), i, k);
	if (b - a == 1)
		snprintf(row->label, sizeof(row->label), "[%s]", lo);
	else
		snprintf(row->label, sizeof(row->label), "[%s, %s)", lo, hi);
	row->has_min = row->has_max = true;
	row->min = (int64_t)a;
	row->max = (int64_t)(b - 1);
}

static void lhist_row(struct rt_hist_row *row, const struct desc_map *m, int i, int nb)
{
	char lo[22], hi[22];
	int64_t min = m->args[0], max = m->args[1], step = m->args[2];
	if (i == 0) {
		lhist_label(lo, sizeof(lo), min);
		snprintf(row->label, sizeof(row->label), "(..., %s)", lo);
		row->has_max = true;
		row->max = (int64_t)((uint64_t)min - 1); /* min is INT64_MIN: wraps, as bpftrace's */
	} else if (i == nb - 1) {
		lhist_label(hi, sizeof(hi), max);
		snprintf(row->label, sizeof(row->label), "[%s, ...)", hi);
		row->has_min = true;
		row->min = max;
	} else {
		/* in unsigned arithmetic: the edges lie between min and max */
		int64_t a = (int64_t)((uint64_t)(i - 1) * (uint64_t)step + (uint64_t)min);
		int64_t b = (int64_t)((uint64_t)i * (uint64_t)step + (uint64_t)min);
		lhist_label(lo, sizeof(lo), a);
		lhist_label(hi, sizeof(hi), b);
		snprintf(row->label, sizeof(row->label), "[%s, %s)", lo, hi);
		row->has_min = row->has_max = true;
		row->min = a;
		row->max = b - 1;
	}
}

/* Rows from the first to the last non-empty bucket. Counts shown are divided
 * by div (hist only, as bpftrace); bars scale with the raw counts. */
static struct rt_value *decode_buckets(struct rt_arena *a, const struct desc_map *m,
				       const struct agg_result *r, int64_t div)
{
	struct rt_value *v = rt_arena_alloc(a, sizeof(*v));
	v->kind = RV_HIST;
	int first = -1, last = -1;
	for (int i = 0; i < r->nbuckets; i++)
		if (r->buckets[i]) {
			if (first < 0)
				first = i;
			last = i;
		}
	if (first < 0)
		return v;
	if (div < 1 || m->kind != MAP_HIST)
		div = 1;
	v->n = last - first + 1;
	v->rows = rt_arena_alloc(a, sizeof(*v->rows) * (size_t)v->n);
	for (int i = first; i <= last; i++) {
		struct rt_hist_row *row = &v->rows[i - first];
		if (m->kind == MAP_HIST && m->args[0] > 0)
			hist_k_row(row, i, (int)m->args[0]);
		else if (m->kind == MAP_HIST)
			hist_row(row, i);
		else
			lhist_row(row, m, i, r->nbuckets);
		row->raw = r->buckets[i];
		row->count = r->buckets[i] / (uint64_t)div;
	}
	return v;
}

/* ---- tseries ---------------------------------------------------------------------------- */

struct tseries_cell {
	uint64_t value, meta, epoch;
};

static struct tseries_cell load_cell(const unsigned char *p)
{
	struct tseries_cell c;
	memcpy(&c, p, sizeof(c));
	return c;
}

/* The CPUs' cells of one bucket: only those of the bucket's latest epoch
 * count (the others hold an older interval), combined as the series says. */
static uint64_t tseries_reduce(const struct desc_map *m, const unsigned char *v, int ncpus,
			       uint32_t stride, uint64_t *epoch)
{
	bool is_signed = value_signed(m);
	uint64_t latest = 0;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		uint64_t e = load_cell(v + (size_t)cpu * stride).epoch;
		latest = e > latest ? e : latest;
	}
	*epoch = latest;
	bool have = false;
	struct tseries_cell r = { 0, 0, 0 };
	for (int cpu = 0; latest && cpu < ncpus; cpu++) {
		struct tseries_cell c = load_cell(v + (size_t)cpu * stride);
		if (c.epoch != latest)
			continue;
		if (!have) {
			r = c;
			have = true;
			continue;
		}
		bool less = is_signed ? (int64_t)c.value < (int64_t)r.value : c.value < r.value;
		switch (m->args[2]) {
		case TSERIES_AVG: r.value += c.value; r.meta += c.meta; break;
		case TSERIES_SUM: r.value += c.value; break;
		case TSERIES_MIN: if (less) r.value = c.value; break;
		case TSERIES_MAX: if (!less && c.value != r.value) r.value = c.value; break;
		default: if (c.meta > r.meta) r = c; break; /* the last value written */
		}
	}
	if (m->args[2] == TSERIES_AVG && r.meta)
		r.value = is_signed ? (uint64_t)((int64_t)r.value / (int64_t)r.meta) : r.value / r.meta;
	return r.value;
}

/* CLOCK_TAI - CLOCK_REALTIME, whole seconds (the leap seconds; the two
 * readings are some nanoseconds apart): the series' epochs are TAI, as
 * bpftrace's. */
static int64_t tai_offset_ns(void)
{
	struct timespec tai, real;
	if (clock_gettime(CLOCK_TAI, &tai) || clock_gettime(CLOCK_REALTIME, &real))
		return 0;
	int64_t d = (int64_t)(tai.tv_sec - real.tv_sec) * 1000000000 + (tai.tv_nsec - real.tv_nsec);
	return (d >= 0 ? d + 500000000 : d - 500000000) / 1000000000 * 1000000000;
}

/* The map's last num_intervals intervals (r->total: the map's latest),
 * from this key's first one on; an interval without a value has a point
 * without one. bpftrace ignores top and div here. */
static struct rt_value *decode_tseries(struct rt_arena *a, const struct desc_map *m,
				       const struct agg_result *r, int64_t div)
{
	(void)div;
	struct rt_value *v = rt_arena_alloc(a, sizeof(*v));
	v->kind = RV_TSERIES;
	v->u = !value_signed(m);
	uint64_t n = (uint64_t)m->args[1], interval = (uint64_t)m->args[0], last = (uint64_t)r->total;
	if (!last || !r->epochs || r->nbuckets <= 0)
		return v;
	uint64_t start = last + 1 >= n ? last + 1 - n : 0, first = last;
	for (int b = 0; b < r->nbuckets; b++)
		if (r->epochs[b] != AGG_NO_EPOCH && r->epochs[b] >= start && r->epochs[b] < first)
			first = r->epochs[b];
	v->n = (int)(last - first + 1);
	v->points = rt_arena_alloc(a, sizeof(*v->points) * (size_t)v->n);
	int64_t offset = tai_offset_ns();
	for (uint64_t e = first; e <= last; e++) {
		struct rt_tseries_point *pt = &v->points[e - first];
		uint64_t b = e % (uint64_t)r->nbuckets;
		pt->time_ns = (int64_t)(e * interval) - offset;
		pt->present = r->epochs[b] == e;
		/* epoch 0: a record never written (bpftrace: value 0); only a
		 * clock set by hand (BPFTRACE_DUMMY_TS_MAP) is ever at time 0 */
		pt->value = pt->present && e ? (int64_t)r->buckets[b] : 0;
	}
	return v;
}

static int tseries_nbuckets(const struct desc_map *m)
{
	if (m->args[0] < 1 || m->args[1] < 1 || m->args[1] > SONDE_TSERIES_MAX_INTERVALS ||
	    m->args[2] < TSERIES_LAST || m->args[2] > TSERIES_SUM)
		return -1;
	return (int)m->args[1];
}

/* k = 0: SONDE_HIST_BUCKETS; k > 0: index 0, then 2^k per power of 2
 * up to the largest u64 (desc.h, codegen/aggs.c hist_bucket) */
static int hist_nbuckets(const struct desc_map *m)
{
	int64_t k = m->args[0];
	if (k < 0 || k > HIST_MAX_BITS)
		return -1;
	return k == 0 ? SONDE_HIST_BUCKETS : (int)(((64 - k) << k) + (1 << k) + 1);
}

static int lhist_nbuckets(const struct desc_map *m)
{
	if (m->args[2] <= 0 || m->args[1] <= m->args[0])
		return -1;
	uint64_t n = ((uint64_t)m->args[1] - (uint64_t)m->args[0]) / (uint64_t)m->args[2] + 2;
	return n > LHIST_MAX_BUCKETS ? -1 : (int)n;
}

/* ---- the descriptors -------------------------------------------------------------------- */

#define AGG(k, size, json, blank, yields, update_fn, read_fn, combine_fn, decode_fn) \
	{ .kind = (k), .value_size = (size), .json_type = (json), .blank_line_after = (blank), \
	  .value_type = (yields), .update = (update_fn), .read = (read_fn), .combine = (combine_fn), \
	  .decode = (decode_fn) }

static const struct agg_desc agg_count =
	AGG(MAP_COUNT, 8, "map", false, yields_u64, cg_agg_count, cg_agg_read_sum, combine_sum, decode_scalar);
static const struct agg_desc agg_sum =
	AGG(MAP_SUM, 8, "map", false, yields_like, cg_agg_sum, cg_agg_read_sum, combine_sum, decode_scalar);
/* avg and stats maps print with a blank line after them in bpftrace */
static const struct agg_desc agg_avg =
	AGG(MAP_AVG, 16, "stats", true, yields_like, cg_agg_avg, cg_agg_read_avg, combine_mean, decode_scalar);
static const struct agg_desc agg_min =
	AGG(MAP_MIN, 16, "map", false, yields_like, cg_agg_min, cg_agg_read_min, combine_min, decode_scalar);
static const struct agg_desc agg_max =
	AGG(MAP_MAX, 16, "map", false, yields_like, cg_agg_max, cg_agg_read_max, combine_max, decode_scalar);
static const struct agg_desc agg_stats =
	AGG(MAP_STATS, 16, "stats", true, yields_like, cg_agg_stats, NULL, combine_mean, decode_stats);
static const struct agg_desc agg_hist = {
	.kind = MAP_HIST, .value_size = 8, .bucketed = true, .json_type = "hist",
	.value_type = yields_u64, .update = cg_agg_hist, .combine = combine_buckets,
	.decode = decode_buckets, .nbuckets = hist_nbuckets,
};
static const struct agg_desc agg_lhist = {
	.kind = MAP_LHIST, .value_size = 8, .bucketed = true, .json_type = "hist",
	.value_type = yields_u64, .update = cg_agg_lhist, .combine = combine_buckets,
	.decode = decode_buckets, .nbuckets = lhist_nbuckets,
};

static const struct agg_desc agg_tseries = {
	.kind = MAP_TSERIES, .value_size = 24, .bucketed = true, .json_type = "tseries",
	.value_type = yields_like, .update = cg_agg_tseries, .combine = combine_buckets,
	.decode = decode_tseries, .nbuckets = tseries_nbuckets, .reduce_bucket = tseries_reduce,
};

const struct agg_desc *agg_find(enum map_kind kind)
{
	static const struct agg_desc *const all[] = {
		[MAP_COUNT] = &agg_count, [MAP_SUM] = &agg_sum, [MAP_AVG] = &agg_avg,
		[MAP_MIN] = &agg_min, [MAP_MAX] = &agg_max, [MAP_STATS] = &agg_stats,
		[MAP_HIST] = &agg_hist, [MAP_LHIST] = &agg_lhist, [MAP_TSERIES] = &agg_tseries,
	};
	if ((unsigned)kind >= sizeof(all) / sizeof(all[0]))
		return NULL;
	return all[kind];
}

const struct stdlib_func stdlib_aggs[] = {
	{ "count", FN_AGG, 0, 0, check_count, NULL, &agg_count },
	{ "sum",   FN_AGG, 1, 1, check_one_int, NULL, &agg_sum },
	{ "avg",   FN_AGG, 1, 1, check_one_int, NULL, &agg_avg },
	{ "min",   FN_AGG, 1, 1, check_one_int, NULL, &agg_min },
	{ "max",   FN_AGG, 1, 1, check_one_int, NULL, &agg_max },
	{ "stats", FN_AGG, 1, 1, check_one_int, NULL, &agg_stats },
	{ "hist",  FN_AGG, 1, 2, check_hist, NULL, &agg_hist },
	/* lhist(value, min, max, step) */
	{ "lhist", FN_AGG, 4, 4, check_lhist, NULL, &agg_lhist },
	/* tseries(value, interval_ns, num_intervals [, agg]) */
	{ "tseries", FN_AGG, 3, 4, check_tseries, NULL, &agg_tseries },
};
const int stdlib_naggs = sizeof(stdlib_aggs) / sizeof(stdlib_aggs[0]);
