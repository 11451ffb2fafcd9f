/* aggs.c - codegen hooks of the aggregations: `@m[k] = count()` and friends.
 *
 * Every aggregation map is per-CPU and updated in place through the pointer
 * returned by lookup (cg_agg_update): one map operation per event in the
 * common case, and no counts lost to concurrent CPUs. Value layouts are the
 * ones of enum map_kind in ast.h. */
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cg.h"

struct agg_args {
	LLVMValueRef v;
	bool is_min;      /* min/max */
	bool is_signed;   /* min/max compare signed */
};

static struct node *agg_call(struct node *assign)
{
	return assign->rhs;
}

static LLVMValueRef agg_value(struct cg *cg, struct node *assign)
{
	struct node *arg = agg_call(assign)->args;
	return arg ? cg_expr(cg, arg) : cg_const(cg, 0);
}

static void store64(struct cg *cg, LLVMValueRef p, uint32_t offset, LLVMValueRef v)
{
	LLVMSetAlignment(LLVMBuildStore(cg->b, v, cg_ptr_add(cg, p, offset)), 8);
}

static LLVMValueRef load64(struct cg *cg, LLVMValueRef p, uint32_t offset)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, p, offset), "");
	LLVMSetAlignment(v, 8);
	return v;
}

static void update(struct cg *cg, struct node *assign, LLVMValueRef key, cg_agg_modify_fn modify,
		   cg_agg_modify_fn init, struct agg_args *a)
{
	struct map_info *m = assign->lhs->map;
	cg_agg_update(cg, m, key, modify, init, a);
}

static LLVMValueRef user_key(struct cg *cg, struct node *assign)
{
	return cg_map_key(cg, assign->lhs->map, assign->lhs->args, NULL);
}

/* count, sum, hist, lhist: one u64/s64 */
static void add_value(struct cg *cg, LLVMValueRef p, void *data)
{
	cg_add_in_place(cg, p, 0, ((struct agg_args *)data)->v);
}

static void init_value(struct cg *cg, LLVMValueRef p, void *data)
{
	store64(cg, p, 0, ((struct agg_args *)data)->v);
}

/* avg, stats: { total, count } */
static void add_sample(struct cg *cg, LLVMValueRef p, void *data)
{
	cg_add_in_place(cg, p, 0, ((struct agg_args *)data)->v);
	cg_add_in_place(cg, p, 8, cg_const(cg, 1));
}

static void init_sample(struct cg *cg, LLVMValueRef p, void *data)
{
	store64(cg, p, 0, ((struct agg_args *)data)->v);
	store64(cg, p, 8, cg_const(cg, 1));
}

/* min, max: { value, is_set } */
static void keep_extreme(struct cg *cg, LLVMValueRef p, void *data)
{
	struct agg_args *a = data;
	LLVMValueRef cur = load64(cg, p, 0);
	LLVMValueRef unset = LLVMBuildICmp(cg->b, LLVMIntEQ, load64(cg, p, 8), cg_const(cg, 0), "");
	LLVMIntPredicate pred = a->is_min ? (a->is_signed ? LLVMIntSLT : LLVMIntULT)
					  : (a->is_signed ? LLVMIntSGT : LLVMIntUGT);
	LLVMValueRef better = LLVMBuildICmp(cg->b, pred, a->v, cur, "");
	LLVMValueRef take = LLVMBuildOr(cg->b, unset, better, "");
	store64(cg, p, 0, LLVMBuildSelect(cg->b, take, a->v, cur, ""));
	store64(cg, p, 8, cg_const(cg, 1));
}

void cg_agg_count(struct cg *cg, struct node *assign)
{
	struct agg_args a = { cg_const(cg, 1), false, false };
	update(cg, assign, user_key(cg, assign), add_value, init_value, &a);
}

void cg_agg_sum(struct cg *cg, struct node *assign)
{
	struct agg_args a = { agg_value(cg, assign), false, false };
	update(cg, assign, user_key(cg, assign), add_value, init_value, &a);
}

void cg_agg_avg(struct cg *cg, struct node *assign)
{
	struct agg_args a = { agg_value(cg, assign), false, false };
	update(cg, assign, user_key(cg, assign), add_sample, init_sample, &a);
}

void cg_agg_stats(struct cg *cg, struct node *assign)
{
	cg_agg_avg(cg, assign);
}

static bool value_signed(struct node *assign)
{
	const struct type *v = assign->lhs->map->value;
	return v && v->is_signed;
}

void cg_agg_min(struct cg *cg, struct node *assign)
{
	struct agg_args a = { agg_value(cg, assign), true, value_signed(assign) };
	update(cg, assign, user_key(cg, assign), keep_extreme, init_sample, &a);
}

void cg_agg_max(struct cg *cg, struct node *assign)
{
	struct agg_args a = { agg_value(cg, assign), false, value_signed(assign) };
	update(cg, assign, user_key(cg, assign), keep_extreme, init_sample, &a);
}

/* floor(log2(v)) for v > 0 by halving the search range: six compares, no
 * loop (the verifier would have to walk every iteration). */
static LLVMValueRef log2_u64(struct cg *cg, LLVMValueRef v)
{
	LLVMValueRef k = cg_const(cg, 0);
	for (unsigned shift = 32; shift; shift /= 2) {
		LLVMValueRef limit = cg_const(cg, (uint64_t)1 << shift);
		LLVMValueRef big = LLVMBuildICmp(cg->b, LLVMIntUGE, v, limit, "");
		LLVMValueRef s = LLVMBuildSelect(cg->b, big, cg_const(cg, shift), cg_const(cg, 0), "");
		v = LLVMBuildLShr(cg->b, v, s, "");
		k = LLVMBuildAdd(cg->b, k, s, "");
	}
	return k;
}

/* Bucket numbering of desc.h: 0 for v < 0, 1 for 0, k + 2 for [2^k, 2^(k+1)). */
static LLVMValueRef hist_bucket(struct cg *cg, LLVMValueRef v, bool is_signed)
{
	LLVMValueRef zero = cg_const(cg, 0);
	LLVMValueRef positive = LLVMBuildAdd(cg->b, log2_u64(cg, v), cg_const(cg, 2), "");
	LLVMValueRef b = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, v, zero, ""),
					 cg_const(cg, 1), positive, "");
	if (is_signed)
		b = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, v, zero, ""), zero, b, "");
	return b;
}

/* 0 for v < min, 1 + (v - min) / step inside, 1 + (max - min) / step above. */
static LLVMValueRef lhist_bucket(struct cg *cg, LLVMValueRef v, const struct map_info *m)
{
	int64_t min = m->agg_args[0], max = m->agg_args[1], step = m->agg_args[2] > 0 ? m->agg_args[2] : 1;
	LLVMValueRef inside = LLVMBuildUDiv(cg->b, LLVMBuildSub(cg->b, v, cg_const(cg, (uint64_t)min), ""),
					    cg_const(cg, (uint64_t)step), "");
	inside = LLVMBuildAdd(cg->b, inside, cg_const(cg, 1), "");
	LLVMValueRef over = cg_const(cg, (uint64_t)(1 + (max - min) / step));
	LLVMValueRef b = LLVMBuildSelect(
		cg->b, LLVMBuildICmp(cg->b, LLVMIntSGE, v, cg_const(cg, (uint64_t)max), ""), over,
		inside, "");
	return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, v, cg_const(cg, (uint64_t)min), ""),
			       cg_const(cg, 0), b, "");
}

static void count_bucket(struct cg *cg, struct node *assign, LLVMValueRef bucket)
{
	struct node *lhs = assign->lhs;
	if (cg_desc_map(cg, lhs->map)->array) {
		cg_agg_count_bucket(cg, lhs->map, bucket);
		return;
	}
	LLVMValueRef key = cg_map_key(cg, lhs->map, lhs->args, bucket);
	struct agg_args a = { cg_const(cg, 1), false, false };
	update(cg, assign, key, add_value, init_value, &a);
}

/* hist(n, k), k > 0 (bpftrace's numbering): 0 for v < 0, v + 1 for
 * v < 2^k, else ((l - k + 1) << k) + (the k bits after the leading 1) + 1
 * with l = floor(log2(v)). */
static LLVMValueRef hist_k_bucket(struct cg *cg, LLVMValueRef v, bool is_signed, int k)
{
	uint64_t mask = (1ull << k) - 1;
	LLVMValueRef l = LLVMBuildSub(cg->b, log2_u64(cg, v), cg_const(cg, (uint64_t)k), "");
	/* l may wrap for small v: that result is not selected */
	LLVMValueRef x = LLVMBuildAnd(cg->b, LLVMBuildLShr(cg->b, v, LLVMBuildAnd(cg->b, l, cg_const(cg, 63), ""), ""),
				      cg_const(cg, mask), "");
	LLVMValueRef big = LLVMBuildAdd(cg->b, LLVMBuildShl(cg->b, LLVMBuildAdd(cg->b, l, cg_const(cg, 1), ""),
							    cg_const(cg, (uint64_t)k), ""),
					LLVMBuildAdd(cg->b, x, cg_const(cg, 1), ""), "");
	LLVMValueRef small = LLVMBuildICmp(cg->b, LLVMIntULE, v, cg_const(cg, mask), "");
	LLVMValueRef b = LLVMBuildSelect(cg->b, small, LLVMBuildAdd(cg->b, v, cg_const(cg, 1), ""), big, "");
	if (is_signed)
		b = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, v, cg_const(cg, 0), ""),
				    cg_const(cg, 0), b, "");
	return b;
}

void cg_agg_hist(struct cg *cg, struct node *assign)
{
	struct node *arg = agg_call(assign)->args;
	LLVMValueRef v = agg_value(cg, assign);
	bool is_signed = !arg || !type_is_integer(arg->type) || arg->type->is_signed ||
			 arg->type->is_literal;
	int k = (int)assign->lhs->map->agg_args[0];
	count_bucket(cg, assign, k > 0 ? hist_k_bucket(cg, v, is_signed, k) : hist_bucket(cg, v, is_signed));
}

void cg_agg_lhist(struct cg *cg, struct node *assign)
{
	LLVMValueRef v = agg_value(cg, assign);
	count_bucket(cg, assign, lhist_bucket(cg, v, assign->lhs->map));
}

/* ---- tseries ---------------------------------------------------------------------------- */

/* The interval's cell { value, meta, epoch } (desc.h enum tseries_agg). A
 * cell still holding an older interval (epoch differs) starts over. */
struct series_args {
	LLVMValueRef v, now, epoch;
	int64_t agg;
	bool is_signed;
};

static void series_init(struct cg *cg, LLVMValueRef p, void *data)
{
	struct series_args *a = data;
	store64(cg, p, 0, a->v);
	LLVMValueRef meta = a->agg == TSERIES_LAST ? a->now
			    : cg_const(cg, a->agg == TSERIES_SUM ? 0 : 1);
	store64(cg, p, 8, meta);
	store64(cg, p, 16, a->epoch);
}

static void series_modify(struct cg *cg, LLVMValueRef p, void *data)
{
	struct series_args *a = data;
	if (a->agg == TSERIES_LAST) {
		series_init(cg, p, data);
		return;
	}
	LLVMValueRef old = load64(cg, p, 0), meta = load64(cg, p, 8);
	LLVMValueRef stale = LLVMBuildICmp(cg->b, LLVMIntNE, load64(cg, p, 16), a->epoch, "");
	LLVMValueRef v = NULL;
	switch (a->agg) {
	case TSERIES_AVG:
		meta = LLVMBuildAdd(cg->b, meta, cg_const(cg, 1), "");
		/* fall through */
	case TSERIES_SUM:
		v = LLVMBuildAdd(cg->b, old, a->v, "");
		break;
	default: {
		LLVMIntPredicate pred = a->agg == TSERIES_MIN ? (a->is_signed ? LLVMIntSLT : LLVMIntULT)
							     : (a->is_signed ? LLVMIntSGT : LLVMIntUGT);
		v = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, pred, a->v, old, ""), a->v, old, "");
		meta = cg_const(cg, 1);
	}
	}
	LLVMValueRef fresh_meta = cg_const(cg, a->agg == TSERIES_SUM ? 0 : 1);
	store64(cg, p, 0, LLVMBuildSelect(cg->b, stale, a->v, v, ""));
	store64(cg, p, 8, LLVMBuildSelect(cg->b, stale, fresh_meta, meta, ""));
	store64(cg, p, 16, a->epoch);
}

/* bpftrace's test hook: BPFTRACE_DUMMY_TS_MAP=@ts makes tseries() take
 * "now" from the scalar integer map @ts, so tests can step time by hand.
 * NULL: not set, or no such map (then the clock is used). */
static const struct map_info *dummy_clock_map(struct cg *cg)
{
	const char *name = getenv("BPFTRACE_DUMMY_TS_MAP");
	for (const struct map_info *m = cg->prog->maps; name && m; m = m->next)
		if (strcmp(m->name, name) == 0 && m->nkeys == 0 && m->kind == MAP_PLAIN &&
		    type_is_integer(m->value))
			return m;
	return NULL;
}

void cg_agg_tseries(struct cg *cg, struct node *assign)
{
	struct map_info *m = assign->lhs->map;
	struct series_args a = { agg_value(cg, assign), NULL, NULL, m->agg_args[2], value_signed(assign) };
	uint64_t interval = m->agg_args[0] > 0 ? (uint64_t)m->agg_args[0] : 1;
	uint64_t n = m->agg_args[1] > 0 ? (uint64_t)m->agg_args[1] : 1;
	const struct map_info *clock = dummy_clock_map(cg);
	a.now = clock ? cg_map_read_key(cg, clock, cg_map_key(cg, clock, NULL, NULL))
		      : cg_helper(cg, HELPER_KTIME_GET_TAI_NS, cg->i64, NULL, 0);
	a.epoch = LLVMBuildUDiv(cg->b, a.now, cg_const(cg, interval), "");
	LLVMValueRef bucket = LLVMBuildURem(cg->b, a.epoch, cg_const(cg, n), "");
	LLVMValueRef key = cg_map_key(cg, m, assign->lhs->args, bucket);
	cg_agg_update(cg, m, key, series_modify, series_init, &a);
}

/* ---- reading an aggregation as a value -------------------------------------------- */

/* `@c > 10`, `$x = @avg[k]`: the per-CPU values combined in BPF, as the
 * runtime combines them for printing (stdlib/aggs.c). Each CPU's value is
 * read with bpf_map_lookup_percpu_elem(); the loop runs up to the possible
 * CPUs of the compiling machine (desc deps.ncpus_pow2) and stops at the
 * first CPU the kernel does not have (NULL). An absent key reads as 0. */
enum agg_read_mode { READ_SUM, READ_MIN, READ_MAX, READ_AVG };

static uint32_t ncpus_bound(struct cg *cg)
{
	if (!cg->desc->deps.ncpus_pow2) {
		int n = libbpf_num_possible_cpus();
		uint32_t p = 1;
		while (n > 0 && p < (uint32_t)n && p < (1u << 16))
			p *= 2;
		cg->desc->deps.ncpus_pow2 = p;
	}
	return cg->desc->deps.ncpus_pow2;
}

struct read_state {
	LLVMValueRef acc, count, set; /* i64 slots */
	enum agg_read_mode mode;
	bool is_signed;
};

static LLVMValueRef slot_load(struct cg *cg, LLVMValueRef slot)
{
	return LLVMBuildLoad2(cg->b, cg->i64, slot, "");
}

/* Fold one CPU's value at p into the running result. */
static void read_fold(struct cg *cg, struct read_state *st, LLVMValueRef p)
{
	LLVMValueRef x = load64(cg, p, 0);
	if (st->mode == READ_SUM || st->mode == READ_AVG) {
		LLVMBuildStore(cg->b, LLVMBuildAdd(cg->b, slot_load(cg, st->acc), x, ""), st->acc);
		if (st->mode == READ_AVG)
			LLVMBuildStore(cg->b, LLVMBuildAdd(cg->b, slot_load(cg, st->count), load64(cg, p, 8), ""),
				       st->count);
		return;
	}
	/* min/max: CPUs that never saw a value do not count */
	LLVMValueRef cur = slot_load(cg, st->acc), set = slot_load(cg, st->set);
	LLVMValueRef has = LLVMBuildICmp(cg->b, LLVMIntNE, load64(cg, p, 8), cg_const(cg, 0), "");
	LLVMIntPredicate pred = st->mode == READ_MIN ? (st->is_signed ? LLVMIntSLT : LLVMIntULT)
						     : (st->is_signed ? LLVMIntSGT : LLVMIntUGT);
	LLVMValueRef first = LLVMBuildICmp(cg->b, LLVMIntEQ, set, cg_const(cg, 0), "");
	LLVMValueRef better = LLVMBuildOr(cg->b, first, LLVMBuildICmp(cg->b, pred, x, cur, ""), "");
	LLVMValueRef take = LLVMBuildAnd(cg->b, has, better, "");
	LLVMBuildStore(cg->b, LLVMBuildSelect(cg->b, take, x, cur, ""), st->acc);
	LLVMBuildStore(cg->b, LLVMBuildOr(cg->b, set, LLVMBuildZExt(cg->b, has, cg->i64, ""), ""), st->set);
}

/* total / count truncated toward zero (0 when empty), without a signed
 * division (BPF cpu v3 has none). */
static LLVMValueRef read_mean(struct cg *cg, struct read_state *st)
{
	LLVMValueRef total = slot_load(cg, st->acc), count = slot_load(cg, st->count);
	LLVMValueRef empty = LLVMBuildICmp(cg->b, LLVMIntEQ, count, cg_const(cg, 0), "");
	LLVMValueRef safe = LLVMBuildSelect(cg->b, empty, cg_const(cg, 1), count, "");
	if (!st->is_signed)
		return LLVMBuildSelect(cg->b, empty, cg_const(cg, 0), LLVMBuildUDiv(cg->b, total, safe, ""), "");
	LLVMValueRef neg = LLVMBuildICmp(cg->b, LLVMIntSLT, total, cg_const(cg, 0), "");
	LLVMValueRef mag = LLVMBuildSelect(cg->b, neg, LLVMBuildNeg(cg->b, total, ""), total, "");
	LLVMValueRef q = LLVMBuildUDiv(cg->b, mag, safe, "");
	q = LLVMBuildSelect(cg->b, neg, LLVMBuildNeg(cg->b, q, ""), q, "");
	return LLVMBuildSelect(cg->b, empty, cg_const(cg, 0), q, "");
}

static LLVMValueRef read_percpu(struct cg *cg, const struct map_info *m, LLVMValueRef key,
				enum agg_read_mode mode)
{
	struct read_state st = { cg_alloca(cg, 8), cg_alloca(cg, 8), cg_alloca(cg, 8), mode,
				 m->value && m->value->is_signed };
	LLVMValueRef cpu = cg_alloca(cg, 8);
	LLVMValueRef slots[4] = { st.acc, st.count, st.set, cpu };
	for (int i = 0; i < 4; i++)
		LLVMBuildStore(cg->b, cg_const(cg, 0), slots[i]);
	LLVMBasicBlockRef cond = cg_block(cg, "percpu_cond"), body = cg_block(cg, "percpu_body");
	LLVMBasicBlockRef found = cg_block(cg, "percpu_found"), end = cg_block(cg, "percpu_end");
	LLVMBuildBr(cg->b, cond);

	LLVMPositionBuilderAtEnd(cg->b, cond);
	LLVMValueRef i = slot_load(cg, cpu);
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntULT, i, cg_const(cg, ncpus_bound(cg)), ""),
			body, end);

	LLVMPositionBuilderAtEnd(cg->b, body);
	LLVMValueRef args[3] = { cg_map_global(cg, m), key, LLVMBuildTrunc(cg->b, i, cg->i32, "") };
	LLVMValueRef p = cg_helper(cg, HELPER_MAP_LOOKUP_PERCPU_ELEM, cg->ptr, args, 3);
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, p, LLVMConstNull(cg->ptr), ""), end, found);

	LLVMPositionBuilderAtEnd(cg->b, found);
	read_fold(cg, &st, p);
	LLVMBuildStore(cg->b, LLVMBuildAdd(cg->b, i, cg_const(cg, 1), ""), cpu);
	LLVMBuildBr(cg->b, cond);

	LLVMPositionBuilderAtEnd(cg->b, end);
	return mode == READ_AVG ? read_mean(cg, &st) : slot_load(cg, st.acc);
}

LLVMValueRef cg_agg_read_sum(struct cg *cg, const struct map_info *m, LLVMValueRef key)
{
	return read_percpu(cg, m, key, READ_SUM);
}

LLVMValueRef cg_agg_read_min(struct cg *cg, const struct map_info *m, LLVMValueRef key)
{
	return read_percpu(cg, m, key, READ_MIN);
}

LLVMValueRef cg_agg_read_max(struct cg *cg, const struct map_info *m, LLVMValueRef key)
{
	return read_percpu(cg, m, key, READ_MAX);
}

LLVMValueRef cg_agg_read_avg(struct cg *cg, const struct map_info *m, LLVMValueRef key)
{
	return read_percpu(cg, m, key, READ_AVG);
}
