/* output_text.c - the text sink: bpftrace's text output.
 *
 * Byte for byte what bpftrace 0.17 prints, except where the latest bpftrace
 * changed the format, where sonde follows the latest: stats maps print as a
 * record, histogram headers have no trailing space, bools print true/false,
 * pointers print as 0x..., and strings that fill their buffer get the ".."
 * trailer. Notices (lost events, full maps, run-time errors) go to stderr. */
#include <inttypes.h>
#include <string.h>

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

/* A tuple key loses its parentheses: @m[1, a], not @m[(1, a)]. */
static void key_text(FILE *out, const struct rt_value *k)
{
	if (k->kind != RV_TUPLE) {
		rt_value_text(out, k);
		return;
	}
	for (int i = 0; i < k->n; i++) {
		if (i)
			fputs(", ", out);
		rt_value_text(out, &k->items[i]);
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
 * bpftrace's words with the variable that raises the limit. */
static void text_map_full(struct rt_output *o, const char *map, uint64_t dropped,
			  uint64_t max_entries, bool at_exit)
{
	fflush(o->out);
	if (!at_exit)
		fprintf(o->err, "sonde: %s: %" PRIu64 " update%s dropped so far: map full (%" PRIu64
				" entries)\n", map, dropped, dropped == 1 ? "" : "s", max_entries);
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
};

void rt_output_text(struct rt_output *o, FILE *out, FILE *err)
{
	o->ops = &text_ops;
	o->out = out;
	o->err = err;
}
