/* aggs.c - aggregation functions: valid only as `@m[k] = agg(...)`.
 * Each makes its map a per-CPU map of the given kind; the runtime sums the
 * per-CPU values and prints them by kind (runtime/maps.c). */
#include "builtins.h"

#define S64 { TY_INT, 8, true }

const struct stdlib_func stdlib_aggs[] = {
	{ "count", FN_AGG, MAP_COUNT, 0, { ARG_END }, { TY_INT, 8, false }, NULL, cg_agg_count },
	{ "sum",   FN_AGG, MAP_SUM,   1, { ARG_INT }, S64, NULL, cg_agg_sum },
	{ "avg",   FN_AGG, MAP_AVG,   1, { ARG_INT }, S64, NULL, cg_agg_avg },
	{ "min",   FN_AGG, MAP_MIN,   1, { ARG_INT }, S64, NULL, cg_agg_min },
	{ "max",   FN_AGG, MAP_MAX,   1, { ARG_INT }, S64, NULL, cg_agg_max },
	{ "stats", FN_AGG, MAP_STATS, 1, { ARG_INT }, S64, NULL, cg_agg_stats },
	{ "hist",  FN_AGG, MAP_HIST,  1, { ARG_INT }, { TY_INT, 8, false }, NULL, cg_agg_hist },
	/* lhist(value, min, max, step) */
	{ "lhist", FN_AGG, MAP_LHIST, 4, { ARG_INT, ARG_CONST_INT, ARG_CONST_INT, ARG_CONST_INT },
	  { TY_INT, 8, false }, NULL, cg_agg_lhist },
};
const int stdlib_naggs = sizeof(stdlib_aggs) / sizeof(stdlib_aggs[0]);
