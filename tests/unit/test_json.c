/* test_json.c - the JSON sink (runtime/output_json.c), message by message:
 * how strings are escaped whatever their bytes, when an integer becomes a
 * string, every kind of decoded value, map keys, and what goes to stdout
 * and what to stderr. Values are built by hand, so kinds no script can
 * make yet (buffers, arrays, values sonde cannot decode) are covered too. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

#include "check.h"

/* A sink writing into two strings. */
struct capture {
	struct rt_output sink;
	char *out_text, *err_text;
	size_t out_len, err_len;
	FILE *out, *err;
};

static void capture_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->out = open_memstream(&c->out_text, &c->out_len);
	c->err = open_memstream(&c->err_text, &c->err_len);
	if (!c->out || !c->err) {
		perror("open_memstream");
		exit(2);
	}
	rt_output_json(&c->sink, c->out, c->err);
}

static void capture_close(struct capture *c)
{
	fclose(c->out);
	fclose(c->err);
}

static void capture_free(struct capture *c)
{
	free(c->out_text);
	free(c->err_text);
}

static void check_text(const char *what, const char *got, size_t got_len, const char *want)
{
	if (got_len != strlen(want) || memcmp(got, want, got_len) != 0) {
		fprintf(stderr, "%s:\n  got  %.*s\n  want %s\n", what, (int)got_len, got, want);
		failures++;
	}
}

/* print(value) of v prints exactly `{"type": "value", "data": DATA}\n`. */
static void check_value(const struct rt_value *v, const char *data)
{
	struct capture c;
	capture_open(&c);
	c.sink.ops->value(&c.sink, v);
	capture_close(&c);
	char *want = NULL;
	if (asprintf(&want, "{\"type\": \"value\", \"data\": %s}\n", data) < 0)
		exit(2);
	check_text(data, c.out_text, c.out_len, want);
	CHECK(c.err_len == 0);
	free(want);
	capture_free(&c);
}

static struct rt_value str_value(const char *s, size_t len)
{
	return (struct rt_value){ .kind = RV_STR, .str = s, .len = len };
}

static void check_string(const char *bytes, size_t len, const char *json)
{
	struct rt_value v = str_value(bytes, len);
	check_value(&v, json);
}

#define CHECK_STRING(lit, json) check_string(lit, sizeof(lit) - 1, json)

static void test_strings(void)
{
	CHECK_STRING("", "\"\"");
	CHECK_STRING("plain text", "\"plain text\"");
	/* JSON's short escapes, as bpftrace writes them */
	CHECK_STRING("q\" b\\ n\n r\r t\t", "\"q\\\" b\\\\ n\\n r\\r t\\t\"");
	/* other control characters, NUL included: \u00XX; DEL is allowed raw */
	CHECK_STRING("\x01\b\f\x1f\x7f", "\"\\u0001\\u0008\\u000c\\u001f\x7f\"");
	CHECK_STRING("a\0b", "\"a\\u0000b\"");
	/* well-formed UTF-8 stays as it is: 2, 3 and 4 bytes, the last code point */
	CHECK_STRING("\xc3\xa9 \xe2\x82\xac \xef\xbf\xbf \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
		     "\"\xc3\xa9 \xe2\x82\xac \xef\xbf\xbf \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
	/* bytes that are not UTF-8 are Latin-1 code points, one byte each */
	CHECK_STRING("\x80\xbf\xff\xfe", "\"\\u0080\\u00bf\\u00ff\\u00fe\"");
	/* overlong forms, a surrogate, above U+10FFFF, leads that never start one */
	CHECK_STRING("\xc0\x80", "\"\\u00c0\\u0080\"");
	CHECK_STRING("\xc1\xbf", "\"\\u00c1\\u00bf\"");
	CHECK_STRING("\xe0\x80\x80", "\"\\u00e0\\u0080\\u0080\"");
	CHECK_STRING("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");
	CHECK_STRING("\xf0\x80\x80\x80", "\"\\u00f0\\u0080\\u0080\\u0080\"");
	CHECK_STRING("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"");
	CHECK_STRING("\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\"");
	/* a sequence cut short, by another character or by the end */
	CHECK_STRING("\xe2\x82x", "\"\\u00e2\\u0082x\"");
	CHECK_STRING("a\xe2\x82", "\"a\\u00e2\\u0082\"");
	CHECK_STRING("\xf0\x9f\x98", "\"\\u00f0\\u009f\\u0098\"");
	/* a lead byte followed by a valid character: only the lead is escaped */
	CHECK_STRING("\xc3\xc3\xa9", "\"\\u00c3\xc3\xa9\"");
	CHECK_STRING("\xc3\n", "\"\\u00c3\\n\"");
}

static void check_uint(uint64_t u, const char *json)
{
	struct rt_value v = { .kind = RV_UINT, .u = u };
	check_value(&v, json);
}

static void check_int(int64_t i, const char *json)
{
	struct rt_value v = { .kind = RV_INT, .i = i };
	check_value(&v, json);
}

/* Integers a double holds exactly are numbers, the others strings. */
static void test_numbers(void)
{
	check_uint(0, "0");
	check_uint(42, "42");
	check_uint(1ull << 53, "9007199254740992");
	check_uint((1ull << 53) + 1, "\"9007199254740993\"");
	check_uint((1ull << 53) + 2, "9007199254740994"); /* even: 53 significant bits */
	check_uint(1ull << 60, "1152921504606846976");
	check_uint(1ull << 63, "9223372036854775808");
	check_uint((1ull << 63) + (1ull << 11), "9223372036854777856");
	check_uint((1ull << 63) + (1ull << 10), "\"9223372036854776832\"");
	check_uint(UINT64_MAX, "\"18446744073709551615\"");
	check_int(-1, "-1");
	check_int(-(1ll << 53), "-9007199254740992");
	check_int(-(1ll << 53) - 1, "\"-9007199254740993\"");
	check_int(INT64_MAX, "\"9223372036854775807\"");
	check_int(INT64_MIN, "-9223372036854775808");
}

static void test_scalar_kinds(void)
{
	struct rt_value t = { .kind = RV_BOOL, .u = 1 }, f = { .kind = RV_BOOL, .u = 0 };
	check_value(&t, "true");
	check_value(&f, "false");
	/* enums and pointers: the number, not the name */
	struct rt_value e = { .kind = RV_SYMBOL, .u = 333, .str = "FOO", .len = 3 };
	check_value(&e, "333");
	/* a kernel address is a string unless a double holds it exactly */
	struct rt_value p = { .kind = RV_SYMBOL, .u = 0xffff888100abcdefull,
			      .str = "0xffff888100abcdef", .len = 18 };
	check_value(&p, "\"18446612686376259055\"");
	p.u = 0xffff888100000000ull;
	check_value(&p, "18446612686364999680");
	struct rt_value none = { .kind = RV_NONE };
	check_value(&none, "null");
	/* buffers: their bytes as signed numbers (the latest bpftrace on x86) */
	struct rt_value buf = { .kind = RV_BUF, .str = "hi\0\x7f\x80\xff", .len = 6 };
	check_value(&buf, "[104,105,0,127,-128,-1]");
	struct rt_value empty_buf = { .kind = RV_BUF, .str = "", .len = 0 };
	check_value(&empty_buf, "[]");
}

static void test_compound_kinds(void)
{
	struct rt_value ints[3] = {
		{ .kind = RV_INT, .i = 1 }, { .kind = RV_INT, .i = -2 }, { .kind = RV_UINT, .u = 3 },
	};
	struct rt_value array = { .kind = RV_ARRAY, .items = ints, .n = 3 };
	check_value(&array, "[1,-2,3]");
	struct rt_value empty_tuple = { .kind = RV_TUPLE, .n = 0 };
	check_value(&empty_tuple, "[]");

	/* a record holding a string, a tuple (an array), a record and a null */
	struct rt_value inner_items[1] = { { .kind = RV_UINT, .u = 7 } };
	const char *inner_names[1] = { "x" };
	struct rt_value tuple_items[2] = { { .kind = RV_INT, .i = 5 }, str_value("six", 3) };
	struct rt_value items[4] = {
		str_value("a \"b\"", 5),
		{ .kind = RV_TUPLE, .items = tuple_items, .n = 2 },
		{ .kind = RV_RECORD, .items = inner_items, .names = inner_names, .n = 1 },
		{ .kind = RV_NONE },
	};
	const char *names[4] = { "s", "t", "r", "f" };
	struct rt_value record = { .kind = RV_RECORD, .items = items, .names = names, .n = 4 };
	check_value(&record, "{\"s\": \"a \\\"b\\\"\", \"t\": [5,\"six\"], \"r\": {\"x\": 7}, \"f\": null}");
	struct rt_value empty_record = { .kind = RV_RECORD, .n = 0 };
	check_value(&empty_record, "{}");
}

/* ---- maps ----------------------------------------------------------------------- */

static void check_map(const struct rt_map_view *m, const char *want)
{
	struct capture c;
	capture_open(&c);
	c.sink.ops->map(&c.sink, m);
	capture_close(&c);
	check_text(m->name, c.out_text, c.out_len, want);
	CHECK(c.err_len == 0);
	capture_free(&c);
}

static void test_scalar_maps(void)
{
	struct rt_value five = { .kind = RV_INT, .i = 5 };
	struct rt_value *values[1] = { &five };
	struct rt_map_view m = { .name = "@x", .json_type = "map", .n = 1, .values = values };
	check_map(&m, "{\"type\": \"map\", \"data\": {\"@x\": 5}}\n");

	/* hist rows: inclusive bounds, an open end has none, counts as shown */
	struct rt_hist_row rows[3] = {
		{ .has_max = true, .max = -1, .count = 1 },
		{ .has_min = true, .has_max = true, .min = 2, .max = 3, .count = 4 },
		{ .has_min = true, .min = 100, .count = 2 },
	};
	struct rt_value hist = { .kind = RV_HIST, .rows = rows, .n = 3 };
	values[0] = &hist;
	struct rt_map_view h = { .name = "@h", .json_type = "hist", .n = 1, .values = values };
	check_map(&h, "{\"type\": \"hist\", \"data\": {\"@h\": [{\"max\": -1, \"count\": 1},"
		      "{\"min\": 2, \"max\": 3, \"count\": 4},{\"min\": 100, \"count\": 2}]}}\n");
	/* a zeroed hist has no rows */
	struct rt_value zeroed = { .kind = RV_HIST, .n = 0 };
	values[0] = &zeroed;
	check_map(&h, "{\"type\": \"hist\", \"data\": {\"@h\": []}}\n");

	/* a map without entries prints nothing */
	struct rt_map_view empty = { .name = "@e", .json_type = "map", .keyed = true };
	check_map(&empty, "");
}

static void test_keyed_maps(void)
{
	/* keys: the text form, a tuple without parentheses, no spaces at all */
	struct rt_value parts[3] = {
		{ .kind = RV_INT, .i = -1 }, str_value("a b\"\xff", 5),
		{ .kind = RV_SYMBOL, .u = 1, .str = "ONE", .len = 3 },
	};
	struct rt_value key_tuple = { .kind = RV_TUPLE, .items = parts, .n = 3 };
	struct rt_value member = { .kind = RV_UINT, .u = 9 };
	const char *member_name[1] = { "n" };
	struct rt_value key_record = { .kind = RV_RECORD, .items = &member, .names = member_name, .n = 1 };
	struct rt_value key_string = str_value("(x)", 3);
	struct rt_value v1 = { .kind = RV_UINT, .u = 1 }, v2 = { .kind = RV_UINT, .u = 2 },
			v3 = { .kind = RV_UINT, .u = 3 };
	struct rt_value *keys[3] = { &key_tuple, &key_record, &key_string };
	struct rt_value *values[3] = { &v1, &v2, &v3 };
	struct rt_map_view m = { .name = "@m", .keyed = true, .json_type = "map", .n = 3,
				 .keys = keys, .values = values };
	check_map(&m, "{\"type\": \"map\", \"data\": {\"@m\": {\"-1,ab\\\"\\u00ff,ONE\": 1, "
		      "\"{.n=9}\": 2, \"(x)\": 3}}}\n");

	/* stats: a record per key */
	struct rt_value st_items[3] = { { .kind = RV_UINT, .u = 2 }, { .kind = RV_INT, .i = 6 },
					{ .kind = RV_INT, .i = 12 } };
	const char *st_names[3] = { "count", "average", "total" };
	struct rt_value stats = { .kind = RV_RECORD, .items = st_items, .names = st_names, .n = 3 };
	struct rt_value name = str_value("curl", 4);
	struct rt_value *skeys[1] = { &name }, *svalues[1] = { &stats };
	struct rt_map_view s = { .name = "@st", .keyed = true, .json_type = "stats", .n = 1,
				 .keys = skeys, .values = svalues };
	check_map(&s, "{\"type\": \"stats\", \"data\": {\"@st\": {\"curl\": "
		      "{\"count\": 2, \"average\": 6, \"total\": 12}}}}\n");
}

/* ---- the other messages ------------------------------------------------------------- */

static void test_messages(void)
{
	struct capture c;
	capture_open(&c);
	c.sink.ops->attached(&c.sink, 3);
	c.sink.ops->printf(&c.sink, "x=5\n\x01", 5);
	c.sink.ops->maps_begin(&c.sink);
	c.sink.ops->lost_events(&c.sink, 12);
	c.sink.ops->map_full(&c.sink, "@big", 50, 100, false, false);
	c.sink.ops->map_full(&c.sink, "@big", 70, 100, true, false);
	capture_close(&c);
	check_text("messages", c.out_text, c.out_len,
		   "{\"type\": \"attached_probes\", \"count\": 3, \"data\": {\"probes\": 3}}\n"
		   "{\"type\": \"printf\", \"data\": \"x=5\\n\\u0001\"}\n"
		   "{\"type\": \"lost_events\", \"count\": 12, \"data\": {\"events\": 12}}\n"
		   "{\"type\": \"helper_error\", \"msg\": \"Map full; can't update element. Try "
		   "increasing max_map_keys (BPFTRACE_MAX_MAP_KEYS)\", \"helper\": \"map_update_elem\", "
		   "\"retcode\": -7, \"map\": \"@big\", \"dropped\": 50, \"max_entries\": 100, "
		   "\"final\": false}\n"
		   "{\"type\": \"helper_error\", \"msg\": \"Map full; can't update element. Try "
		   "increasing max_map_keys (BPFTRACE_MAX_MAP_KEYS)\", \"helper\": \"map_update_elem\", "
		   "\"retcode\": -7, \"map\": \"@big\", \"dropped\": 70, \"max_entries\": 100, "
		   "\"final\": true}\n");
	CHECK(c.err_len == 0);
	capture_free(&c);

	/* sonde's own notices stay off the JSON stream */
	capture_open(&c);
	c.sink.ops->notice(&c.sink, RT_NOTICE_ERROR, "cannot read map @x: No such file or directory");
	capture_close(&c);
	CHECK(c.out_len == 0);
	check_text("notice", c.err_text, c.err_len, "sonde: cannot read map @x: No such file or directory\n");
	capture_free(&c);
}

int main(void)
{
	test_strings();
	test_numbers();
	test_scalar_kinds();
	test_compound_kinds();
	test_scalar_maps();
	test_keyed_maps();
	test_messages();
	return failures != 0;
}
