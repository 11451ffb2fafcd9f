/* output_text.c - the text sink: bpftrace's text output.
 *
 * Byte for byte what bpftrace 0.17 prints, except where the latest bpftrace
 * changed the format, where sonde follows the latest: stats maps print as a
 * record, histogram headers have no trailing space, bools print true/false,
 * pointers print as 0x..., and strings that fill their buffer get the ".."
 * trailer. Notices (lost events, full maps, run-time errors) go to stderr. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "output.h"

#define HIST_BAR_WIDTH 52

static void text_attached(struct rt_output *o, int nprobes)
{
	fprintf(o->out, "Attaching %d probe%s...\n", nprobes, nprobes == 1 ? "" : "s");
}

static void text_printf(struct rt_output *o, const char *text, size_t len)
{
	fwrite(text, 1, len, o->out);
}

static void text_value(struct rt_output *o, const struct rt_value *v)
{
	rt_value_text(o->out, v);
	fputc('\n', o->out);
}

static void text_maps_begin(struct rt_output *o)
{
	fputs("\n\n", o->out);
}

static void hist_rows(FILE *out, const struct rt_value *h)
{
	uint64_t max = 0;
	for (int i = 0; i < h->n; i++)
		if (h->rows[i].raw > max)
			max = h->rows[i].raw;
	char bar[HIST_BAR_WIDTH + 1];
	for (int i = 0; i < h->n; i++) {
		const struct rt_hist_row *r = &h->rows[i];
		/* bpftrace computes the bar in float: same arithmetic, same rounding */
		int width = max ? (int)((float)r->raw / (float)max * HIST_BAR_WIDTH) : 0;
		if (width < 0)
			width = 0;
		if (width > HIST_BAR_WIDTH)
			width = HIST_BAR_WIDTH;
		memset(bar, '@', (size_t)width);
		bar[width] = '\0';
		fprintf(out, "%-16s%8" PRIu64 " |%-*s|\n", r->label, r->count, HIST_BAR_WIDTH, bar);
	}
}

static void key_part_text(FILE *out, const struct rt_value *k)
{
	if (k->kind == RV_STACK)
		rt_stack_text(out, k, RT_STACK_INDENT_KEY);
	else
		rt_value_text(out, k);
}

/* ---- time series: bpftrace's chart, one line per interval ---- */

#define TS_GRAPH_WIDTH 53
#define TS_PADDING 21

static void ts_number(char *buf, size_t size, const struct rt_value *ts, int64_t v)
{
	if (ts->u)
		snprintf(buf, size, "%" PRIu64, (uint64_t)v);
	else
		snprintf(buf, size, "%" PRId64, v);
}

/* a < b in the series' signedness */
static bool ts_less(const struct rt_value *ts, int64_t a, int64_t b)
{
	return ts->u ? (uint64_t)a < (uint64_t)b : a < b;
}

/* b - a as bpftrace's float arithmetic sees it */
static float ts_distance(const struct rt_value *ts, int64_t a, int64_t b)
{
	if (!ts->u)
		return (float)b - (float)a;
	return (uint64_t)b >= (uint64_t)a ? (float)((uint64_t)b - (uint64_t)a)
					  : -(float)((uint64_t)a - (uint64_t)b);
}

/* The start of an interval in local time, "10:41:46.700": as many digits
 * of the second as the interval needs (digits: 0, 3, 6, 9). */
static void ts_time(FILE *out, int64_t time_ns, int digits)
{
	struct tm tm;
	int64_t ns;
	rt_tseries_time(time_ns, false, &tm, &ns);
	char buf[32] = "";
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fputs(buf, out);
	if (digits == 3)
		fprintf(out, ".%03lld", (long long)(ns / 1000000));
	else if (digits == 6)
		fprintf(out, ".%06lld", (long long)(ns / 1000));
	else if (digits == 9)
		fprintf(out, ".%09lld", (long long)ns);
}

static void ts_scale_line(FILE *out, int time_size, const char *min, const char *max)
{
	fprintf(out, "%*s %-*s%*s\n", time_size, "", TS_PADDING, min, TS_GRAPH_WIDTH - TS_PADDING, max);
}

static void tseries_chart(FILE *out, const struct rt_value *ts)
{
	int first = -1;
	for (int i = 0; i < ts->n && first < 0; i++)
		if (ts->points[i].present)
			first = i;
	if (first < 0) {
		fputs("<no data>\n", out);
		return;
	}
	int64_t min = ts->points[first].value, max = min;
	for (int i = first; i < ts->n; i++) {
		if (!ts->points[i].present)
			continue;
		if (ts_less(ts, ts->points[i].value, min))
			min = ts->points[i].value;
		if (ts_less(ts, max, ts->points[i].value))
			max = ts->points[i].value;
	}
	if (min == max) { /* room on both sides, where the type has it */
		if (ts->u ? (uint64_t)min > 0 : min > INT64_MIN)
			min--;
		if (ts->u ? (uint64_t)max < UINT64_MAX : max < INT64_MAX)
			max++;
	}
	int64_t span = ts->points[ts->n - 1].time_ns - ts->points[0].time_ns;
	int64_t interval = span / (ts->n > 1 ? ts->n - 1 : 1);
	int digits = interval >= 1000000000 ? 0 : interval >= 1000000 ? 3 : interval >= 1000 ? 6 : 9;
	const char *fmt = digits == 0 ? "hh:mm:ss" : digits == 3 ? "hh:mm:ss.ms"
					 : digits == 6 ? "hh:mm:ss.\u03bcs" : "hh:mm:ss.ns";
	int time_size = 8 + (digits ? 1 + digits : 0);
	char lo[24], hi[24], num[24];
	ts_number(lo, sizeof(lo), ts, min);
	ts_number(hi, sizeof(hi), ts, max);
	ts_scale_line(out, time_size, lo, hi);
	char line[TS_GRAPH_WIDTH + 1];
	memset(line, '_', TS_GRAPH_WIDTH - 2);
	line[TS_GRAPH_WIDTH - 2] = '\0';
	fprintf(out, "%-*s|%s|\n", time_size + 1, fmt, line);
	int zero_at = 0;
	if (!ts->u && min < 0 && max > 0)
		zero_at = (int)((float)TS_GRAPH_WIDTH * ts_distance(ts, min, 0) / ts_distance(ts, min, max));
	for (int i = 0; i < ts->n; i++) {
		const struct rt_tseries_point *p = &ts->points[i];
		memset(line, ' ', TS_GRAPH_WIDTH);
		line[TS_GRAPH_WIDTH] = '\0';
		line[0] = line[TS_GRAPH_WIDTH - 1] = '|';
		if (zero_at > 0)
			line[zero_at] = '.';
		ts_time(out, p->time_ns, digits);
		fputc(' ', out);
		if (!p->present) {
			fprintf(out, "%s -\n", line);
			continue;
		}
		int at = (int)((float)(TS_GRAPH_WIDTH - 1) * ts_distance(ts, min, p->value) /
			       ts_distance(ts, min, max));
		line[at < 0 ? 0 : at > TS_GRAPH_WIDTH - 1 ? TS_GRAPH_WIDTH - 1 : at] = '*';
		ts_number(num, sizeof(num), ts, p->value);
		fprintf(out, "%s %s\n", line, num);
	}
	memset(line, '_', TS_GRAPH_WIDTH);
	line[0] = line[TS_GRAPH_WIDTH - 1] = 'v';
	fprintf(out, "%*s %s\n", time_size, "", line);
	ts_scale_line(out, time_size, lo, hi);
}

/* A tuple key loses its parentheses: @m[1, a], not @m[(1, a)]. */
static void key_text(FILE *out, const struct rt_value *k)
{
	if (k->kind != RV_TUPLE) {
		key_part_text(out, k);
		return;
	}
	for (int i = 0; i < k->n; i++) {
		if (i)
			fputs(", ", out);
		key_part_text(out, &k->items[i]);
	}
}

static void entry_text(FILE *out, const struct rt_map_view *m, int i)
{
	const struct rt_value *v = m->values[i];
	fputs(m->name, out);
	if (m->keyed) {
		fputc('[', out);
		key_text(out, m->keys[i]);
		fputc(']', out);
	}
	if (v->kind == RV_HIST) {
		fputs(":\n", out);
		hist_rows(out, v);
		fputc('\n', out);
		return;
	}
	if (v->kind == RV_TSERIES) {
		fputs(":\n", out);
		tseries_chart(out, v);
		fputc('\n', out);
		return;
	}
	fputs(": ", out);
	rt_value_text(out, v);
	fputc('\n', out);
}

static void text_map(struct rt_output *o, const struct rt_map_view *m)
{
	if (m->n == 0) {
		fputs(m->empty_text ? m->empty_text : "\n", o->out);
		return;
	}
	for (int i = 0; i < m->n; i++)
		entry_text(o->out, m, i);
	if (m->blank_line_after)
		fputc('\n', o->out);
}

static void text_lost_events(struct rt_output *o, uint64_t n)
{
	fflush(o->out);
	fprintf(o->err, "Lost %" PRIu64 " events\n", n);
}

/* While running (-v) the total so far; at exit the total and the fix, in
 * bpftrace's words with what raises the limit (the declaration's size for
 * a declared map). */
static void text_map_full(struct rt_output *o, const char *map, uint64_t dropped,
			  uint64_t max_entries, bool at_exit, bool declared)
{
	fflush(o->out);
	if (!at_exit)
		fprintf(o->err, "sonde: %s: %" PRIu64 " update%s dropped so far: map full (%" PRIu64
				" entries)\n", map, dropped, dropped == 1 ? "" : "s", max_entries);
	else if (declared)
		fprintf(o->err, "sonde: %s: %" PRIu64 " update%s dropped: Map full (%" PRIu64 " entries); "
				"can't update element. Try increasing the max entries in its declaration "
				"(let %s = hash(N))\n",
			map, dropped, dropped == 1 ? "" : "s", max_entries, map);
	else
		fprintf(o->err, "sonde: %s: %" PRIu64 " update%s dropped: Map full (%" PRIu64 " entries); "
				"can't update element. Try increasing max_map_keys (BPFTRACE_MAX_MAP_KEYS)\n",
			map, dropped, dropped == 1 ? "" : "s", max_entries);
}

/* sonde's own voice on stderr, after whatever was printed before it */
static void text_notice(struct rt_output *o, enum rt_notice level, const char *text)
{
	(void)level;
	fflush(o->out);
	fprintf(o->err, "sonde: %s\n", text);
}

static void text_message(struct rt_output *o, const char *type, const char *text, size_t len,
			 bool line)
{
	(void)type;
	fwrite(text, 1, len, o->out);
	if (line)
		fputc('\n', o->out);
}

/* bpftrace's located message: "stdin:1:9-62: ERROR: text" on stderr */
static void text_located(struct rt_output *o, enum rt_notice level, const char *file, int line,
			 int col, int end_line, int end_col, const char *text, size_t len)
{
	fflush(o->out);
	if (end_line == line)
		fprintf(o->err, "%s:%d:%d-%d: ", file, line, col, end_col);
	else
		fprintf(o->err, "%s:%d-%d: ", file, line, end_line);
	fputs(level == RT_NOTICE_ERROR ? "ERROR: " : "WARNING: ", o->err);
	fwrite(text, 1, len, o->err);
	fputc('\n', o->err);
	fflush(o->err);
}

/* the source line, and a ~ under loc's columns on it */
static void text_context(struct rt_output *o, srcloc loc, const char *line)
{
	fprintf(o->err, "%s\n", line);
	int end = loc.end_line == loc.line ? loc.end_col : (int)strlen(line) + 1;
	for (int c = 1; c < end; c++)
		fputc(c < loc.col ? ' ' : '~', o->err);
	fputc('\n', o->err);
	fflush(o->err);
}

/* bpftrace's note after an errorf()/warnf() inside a macro: the use, its
 * line and a ~ under it */
static void text_expanded_from(struct rt_output *o, enum rt_notice level, const char *file, srcloc loc,
			       const char *line)
{
	if (loc.end_line == loc.line)
		fprintf(o->err, "%s:%d:%d-%d: ", file, loc.line, loc.col, loc.end_col);
	else
		fprintf(o->err, "%s:%d-%d: ", file, loc.line, loc.end_line);
	fprintf(o->err, "%sexpanded from\n", level == RT_NOTICE_ERROR ? "ERROR: " : "WARNING: ");
	text_context(o, loc, line);
}

static const struct rt_output_ops text_ops = {
	.attached = text_attached,
	.printf = text_printf,
	.value = text_value,
	.maps_begin = text_maps_begin,
	.map = text_map,
	.lost_events = text_lost_events,
	.map_full = text_map_full,
	.notice = text_notice,
	.message = text_message,
	.located = text_located,
	.expanded_from = text_expanded_from,
	.context = text_context,
};

void rt_output_text(struct rt_output *o, FILE *out, FILE *err)
{
	o->ops = &text_ops;
	o->out = out;
	o->err = err;
}
