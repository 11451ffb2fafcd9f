/* output_json.c - the JSON sink (-f json): bpftrace's NDJSON.
 *
 * One JSON object per line, with the latest bpftrace's message types and
 * field names:
 *
 *   {"type": "attached_probes", "count": 2, "data": {"probes": 2}}
 *   {"type": "printf", "data": "text\n"}
 *   {"type": "value", "data": [1,"two"]}                 print(value)
 *   {"type": "map", "data": {"@x": {"1,a": 3}}}          also "stats", "hist"
 *   {"type": "lost_events", "count": 5, "data": {"events": 5}}
 *   {"type": "helper_error", "msg": "Map full; ...", "helper": "map_update_elem",
 *    "retcode": -7, "map": "@x", "dropped": 9, "max_entries": 4096, "final": true}
 *
 * Objects are spaced ({"a": 1, "b": 2}) and arrays are not ([1,2]), as in
 * bpftrace. Integers a double cannot hold exactly are strings, enums and
 * pointers are their numbers, map keys are the key's text form without the
 * tuple's parentheses and without spaces (the latest bpftrace's rules).
 * Unlike bpftrace, every string is valid JSON whatever its bytes: a byte
 * that is not part of well-formed UTF-8 is written as the Latin-1 code point
 * \u00XX.
 *
 * Nothing but JSON objects goes to `out`: no blank lines before the maps at
 * exit, no message for a map without entries. sonde's own notices (a map
 * that cannot be read, internal errors) go to stderr as in text mode, as
 * bpftrace's log messages do. */
#include <errno.h>
#include <inttypes.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "util.h"

/* What the kernel's map update returns for a full map (-E2BIG): the
 * retcode bpftrace reports in its helper_error message. */
#define MAP_FULL_RETCODE (-E2BIG)

/* ---- strings ------------------------------------------------------------------ */

/* The length of the well-formed UTF-8 sequence at p (Unicode's table 3-7:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or 0 when the
 * bytes there are not one. */
static size_t utf8_sequence_length(const unsigned char *p, size_t avail)
{
	unsigned char lead = p[0];
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
	size_t len;
	if (lead < 0x80)
		return 1;
	if (lead >= 0xc2 && lead <= 0xdf) {
		len = 2;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		len = 3;
		if (lead == 0xe0)
			lo = 0xa0;
		else if (lead == 0xed)
			hi = 0x9f;
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		len = 4;
		if (lead == 0xf0)
			lo = 0x90;
		else if (lead == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (avail < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* The short escapes JSON has (bpftrace uses these five; \b and \f are
 * written as \u0008 and \u000c, as bpftrace does). */
static const char *short_escape(unsigned char c)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default: return NULL;
	}
}

/* len bytes as a JSON string. Control characters and bytes that are not
 * UTF-8 become \u00XX: valid JSON whatever the kernel handed us. Runs of
 * bytes that need no escape are written in one go (printf output is most
 * of a busy trace). */
static void json_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0; /* where the bytes not yet written start */
	fputc('"', out);
	for (size_t i = 0; i < len;) {
		const char *esc = short_escape(p[i]);
		size_t n = esc || p[i] < 0x20 ? 0 : utf8_sequence_length(p + i, len - i);
		if (n) {
			i += n;
			continue;
		}
		fwrite(p + run, 1, i - run, out);
		if (esc)
			fputs(esc, out);
		else
			fprintf(out, "\\u%04x", p[i]);
		run = ++i;
	}
	fwrite(p + run, 1, len - run, out);
	fputc('"', out);
}

static void json_cstring(FILE *out, const char *s)
{
	json_string(out, s, strlen(s));
}

/* ---- numbers --------------------------------------------------------------------- */

/* Most JSON readers hold numbers as doubles (RFC 8259, section 6): an
 * integer that a double cannot hold exactly would be read as another
 * number. Such integers are written as strings, as the latest bpftrace does. */
static bool exact_as_double(uint64_t magnitude)
{
	while (magnitude && !(magnitude & 1))
		magnitude >>= 1;
	return magnitude < (1ull << 53);
}

static void json_uint(FILE *out, uint64_t u)
{
	const char *quote = exact_as_double(u) ? "" : "\"";
	fprintf(out, "%s%" PRIu64 "%s", quote, u, quote);
}

static void json_int(FILE *out, int64_t i)
{
	uint64_t magnitude = i < 0 ? -(uint64_t)i : (uint64_t)i;
	const char *quote = exact_as_double(magnitude) ? "" : "\"";
	fprintf(out, "%s%" PRId64 "%s", quote, i, quote);
}

/* ---- values ------------------------------------------------------------------------- */

static void json_value(FILE *out, const struct rt_value *v);

/* Arrays and tuples alike: [a,b] (bpftrace writes arrays without spaces). */
static void json_list(FILE *out, const struct rt_value *v)
{
	fputc('[', out);
	for (int i = 0; i < v->n; i++) {
		if (i)
			fputc(',', out);
		json_value(out, &v->items[i]);
	}
	fputc(']', out);
}

static void json_record(FILE *out, const struct rt_value *v)
{
	fputc('{', out);
	for (int i = 0; i < v->n; i++) {
		if (i)
			fputs(", ", out);
		json_cstring(out, v->names[i]);
		fputs(": ", out);
		json_value(out, &v->items[i]);
	}
	fputc('}', out);
}

/* A buffer is its bytes as numbers: signed, -128 to 127, as the latest
 * bpftrace writes them on x86 (C chars; arm64's are unsigned), so that the
 * same script prints the same JSON. */
static void json_buffer(FILE *out, const struct rt_value *v)
{
	const unsigned char *p = (const unsigned char *)v->str;
	fputc('[', out);
	for (size_t i = 0; i < v->len; i++)
		fprintf(out, "%s%d", i ? "," : "", (int)(int8_t)p[i]);
	fputc(']', out);
}

/* Rows with inclusive bounds; an open end has no "min" or "max". */
static void json_hist(FILE *out, const struct rt_value *h)
{
	fputc('[', out);
	for (int i = 0; i < h->n; i++) {
		const struct rt_hist_row *r = &h->rows[i];
		fputs(i ? ",{" : "{", out);
		if (r->has_min) {
			fputs("\"min\": ", out);
			json_int(out, r->min);
			fputs(", ", out);
		}
		if (r->has_max) {
			fputs("\"max\": ", out);
			json_int(out, r->max);
			fputs(", ", out);
		}
		fputs("\"count\": ", out);
		json_uint(out, r->count);
		fputc('}', out);
	}
	fputc(']', out);
}

/* A stack is its text form, as in bpftrace's JSON. */
static void json_stack(FILE *out, const struct rt_value *v, int indent)
{
	struct xtext t;
	rt_stack_text(xtext_open(&t), v, indent);
	size_t len;
	char *text = xtext_close(&t, &len);
	json_string(out, text, len);
	free(text);
}

/* The intervals that have a value, each with its start in UTC
 * ("1970-01-01 00:00:00.500000000"), as the latest bpftrace. */
static void json_tseries(FILE *out, const struct rt_value *ts)
{
	bool first = true;
	fputc('[', out);
	for (int i = 0; i < ts->n; i++) {
		const struct rt_tseries_point *p = &ts->points[i];
		if (!p->present)
			continue;
		struct tm tm;
		int64_t ns;
		rt_tseries_time(p->time_ns, true, &tm, &ns);
		char when[64] = "";
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(out, "%s{\"interval_start\": \"%s.%09lld\", \"value\": ", first ? "" : ",", when,
			(long long)ns);
		if (ts->u)
			json_uint(out, (uint64_t)p->value);
		else
			json_int(out, p->value);
		fputc('}', out);
		first = false;
	}
	fputc(']', out);
}

static void json_value(FILE *out, const struct rt_value *v)
{
	switch (v->kind) {
	case RV_INT:
		json_int(out, v->i);
		return;
	case RV_UINT:
	case RV_SYMBOL: /* enums and pointers: the number, for programs to read */
		json_uint(out, v->u);
		return;
	case RV_BOOL:
		fputs(v->u ? "true" : "false", out);
		return;
	case RV_STR:
		json_string(out, v->str, v->len);
		return;
	case RV_BUF:
		json_buffer(out, v);
		return;
	case RV_ARRAY:
	case RV_TUPLE:
		json_list(out, v);
		return;
	case RV_RECORD:
		json_record(out, v);
		return;
	case RV_HIST:
		json_hist(out, v);
		return;
	case RV_STACK:
		json_stack(out, v, RT_STACK_INDENT_VALUE);
		return;
	case RV_TSERIES:
		json_tseries(out, v);
		return;
	case RV_NONE:
		break;
	}
	fputs("null", out);
}

/* ---- map keys ------------------------------------------------------------------------ */

/* A key is a JSON object's member name: the key's text form, a tuple
 * without its parentheses, and without spaces, as the latest bpftrace
 * writes it: (1, "a b") is "1,ab". */
static void json_key(FILE *out, const struct rt_value *k)
{
	if (k->kind == RV_STACK) { /* its spaces are kept */
		json_stack(out, k, RT_STACK_INDENT_KEY);
		return;
	}
	struct xtext t;
	FILE *f = xtext_open(&t);
	if (k->kind == RV_TUPLE) {
		for (int i = 0; i < k->n; i++) {
			if (i)
				fputc(',', f);
			rt_value_text(f, &k->items[i]);
		}
	} else {
		rt_value_text(f, k);
	}
	size_t len;
	char *text = xtext_close(&t, &len);
	size_t kept = 0;
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ')
			text[kept++] = text[i];
	json_string(out, text, kept);
	free(text);
}

/* ---- messages ------------------------------------------------------------------------ */

static void json_attached(struct rt_output *o, int nprobes)
{
	fprintf(o->out, "{\"type\": \"attached_probes\", \"count\": %d, \"data\": {\"probes\": %d}}\n",
		nprobes, nprobes);
}

static void json_printf(struct rt_output *o, const char *text, size_t len)
{
	fputs("{\"type\": \"printf\", \"data\": ", o->out);
	json_string(o->out, text, len);
	fputs("}\n", o->out);
}

static void json_print_value(struct rt_output *o, const struct rt_value *v)
{
	fputs("{\"type\": \"value\", \"data\": ", o->out);
	json_value(o->out, v);
	fputs("}\n", o->out);
}

/* The latest bpftrace writes nothing between the run's messages and the
 * maps (0.17 wrote two blank lines, which are not JSON). */
static void json_maps_begin(struct rt_output *o)
{
	(void)o;
}

/* {"type": T, "data": {"@x": value}}, or for a keyed map
 * {"type": T, "data": {"@x": {"key": value, ...}}}; a map without entries
 * is left out, as the latest bpftrace does. */
static void json_map(struct rt_output *o, const struct rt_map_view *m)
{
	if (m->n == 0)
		return;
	FILE *out = o->out;
	fputs("{\"type\": ", out);
	json_cstring(out, m->json_type ? m->json_type : "map");
	fputs(", \"data\": {", out);
	json_cstring(out, m->name);
	fputs(": ", out);
	if (!m->keyed) {
		json_value(out, m->values[0]);
	} else {
		fputc('{', out);
		for (int i = 0; i < m->n; i++) {
			if (i)
				fputs(", ", out);
			json_key(out, m->keys[i]);
			fputs(": ", out);
			json_value(out, m->values[i]);
		}
		fputc('}', out);
	}
	fputs("}}\n", out);
}

/* bpftrace's message, "count" being the events lost since the last one.
 * Flushed at once: the run may be losing events because its reader is slow. */
static void json_lost_events(struct rt_output *o, uint64_t n)
{
	fprintf(o->out, "{\"type\": \"lost_events\", \"count\": %" PRIu64 ", \"data\": {\"events\": %" PRIu64
			"}}\n", n, n);
	fflush(o->out);
}

/* bpftrace reports each failed update of a full map as a helper_error of
 * map_update_elem with retcode -E2BIG, at the statement's file, line and
 * column. sonde counts them per map instead: the same message without the
 * location, with the map, the updates dropped so far ("dropped", a total,
 * not an increment), the map's capacity, and whether this is the total at
 * exit ("final") or a report while running (-v). */
static void json_map_full(struct rt_output *o, const char *map, uint64_t dropped,
			  uint64_t max_entries, bool at_exit, bool declared)
{
	FILE *out = o->out;
	fputs("{\"type\": \"helper_error\", \"msg\": ", out);
	json_cstring(out, declared ? "Map full; can't update element. "
				     "Try increasing the max entries in its declaration (let @m = hash(N))"
				   : "Map full; can't update element. "
				     "Try increasing max_map_keys (BPFTRACE_MAX_MAP_KEYS)");
	fprintf(out, ", \"helper\": \"map_update_elem\", \"retcode\": %d, \"map\": ", MAP_FULL_RETCODE);
	json_cstring(out, map);
	fputs(", \"dropped\": ", out);
	json_uint(out, dropped);
	fputs(", \"max_entries\": ", out);
	json_uint(out, max_entries);
	fprintf(out, ", \"final\": %s}\n", at_exit ? "true" : "false");
	fflush(out);
}

/* sonde's own voice stays on stderr, after what was printed before it. */
static void json_notice(struct rt_output *o, enum rt_notice level, const char *text)
{
	(void)level;
	fflush(o->out);
	fprintf(o->err, "sonde: %s\n", text);
}

static void json_message(struct rt_output *o, const char *type, const char *text, size_t len,
			 bool line)
{
	(void)line;
	fprintf(o->out, "{\"type\": \"%s\", \"data\": ", type);
	json_string(o->out, text, len);
	fputs("}\n", o->out);
}

/* the latest bpftrace's errorf/warnf message: only the first location */
static void json_located(struct rt_output *o, enum rt_notice level, const char *file, int line,
			 int col, int end_line, int end_col, const char *text, size_t len)
{
	(void)end_line;
	(void)end_col;
	fprintf(o->out, "{\"type\": \"%s\", \"msg\": ", level == RT_NOTICE_ERROR ? "errorf" : "warnf");
	json_string(o->out, text, len);
	fputs(", \"filename\": ", o->out);
	json_string(o->out, file, strlen(file));
	fprintf(o->out, ", \"line\": %d, \"col\": %d}\n", line, col);
}

/* -k: the latest bpftrace's helper_error record (msg: the error's text) */
static void json_helper_error(struct rt_output *o, const char *helper, int64_t retcode,
			      const char *file, int line, int col)
{
	const char *msg = strerror((int)-retcode);
	fputs("{\"type\": \"helper_error\", \"msg\": ", o->out);
	json_string(o->out, msg, strlen(msg));
	fputs(", \"helper\": ", o->out);
	json_string(o->out, helper, strlen(helper));
	fprintf(o->out, ", \"retcode\": %lld, \"filename\": ", (long long)retcode);
	json_string(o->out, file, strlen(file));
	fprintf(o->out, ", \"line\": %d, \"col\": %d}\n", line, col);
}

static const struct rt_output_ops json_ops = {
	.attached = json_attached,
	.printf = json_printf,
	.value = json_print_value,
	.maps_begin = json_maps_begin,
	.map = json_map,
	.lost_events = json_lost_events,
	.map_full = json_map_full,
	.notice = json_notice,
	.message = json_message,
	.located = json_located,
	.helper_error = json_helper_error,
};

void rt_output_json(struct rt_output *o, FILE *out, FILE *err)
{
	o->ops = &json_ops;
	o->out = out;
	o->err = err;
}
