/* output.h - everything a run prints goes through one sink.
 *
 * The runtime decodes bytes into values (struct rt_value, by the types in
 * the description), sorts map entries and applies top/div once, and then
 * hands decoded values to the sink. A sink only formats: text
 * (runtime/output_text.c, bpftrace's text output byte for byte) or JSON
 * (runtime/output_json.c, bpftrace's NDJSON message types and fields).
 * Notices the user must see (the "Attaching N probes..." line, lost events,
 * updates dropped from full maps, errors at run time) go through the sink
 * too, so -f json gives a stream of JSON objects and nothing else on stdout. */
#ifndef SONDE_OUTPUT_H
#define SONDE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "types.h"

/* ---- decoded values ------------------------------------------------------- */

enum rv_kind {
	RV_NONE,   /* nothing to show (void; a type sonde cannot decode): JSON null */
	RV_INT,    /* i */
	RV_UINT,   /* u */
	RV_BOOL,   /* u: 0 or 1 */
	RV_STR,    /* str, len bytes (may hold any byte) */
	RV_SYMBOL, /* str is shown in text, u in JSON: enum names, pointers (0x...) */
	RV_BUF,    /* str, len raw bytes: text escapes non-printables as \xNN */
	RV_ARRAY,  /* items[n]: text [a,b] */
	RV_TUPLE,  /* items[n]: text (a, b) */
	RV_RECORD, /* items[n] named names[n]: text { .a = 1, .b = 2 } */
	RV_HIST,   /* rows[n]: a histogram */
	RV_STACK,  /* items[n] frames (RV_SYMBOL: str the text, u the address); u = enum stack_mode */
	RV_TSERIES, /* points[n]: a time series, one point per interval */
};

/* One histogram row: its text label ("[4, 8)", "(..., 0)", "[1K, 2K)"),
 * its bounds for JSON ("min"/"max", inclusive; absent when open), the
 * count shown (divided by print()'s div) and the raw count the text bar is
 * scaled by (bpftrace scales bars before dividing). */
struct rt_hist_row {
	char label[48];
	bool has_min, has_max;
	int64_t min, max;
	uint64_t count;
	uint64_t raw;
};

/* One interval of a time series: when it starts (wall clock, ns since the
 * epoch) and its value, if any event fell in it. */
struct rt_tseries_point {
	int64_t time_ns;
	bool present;
	int64_t value;      /* as is_unsigned says */
};

/* A tseries interval start (ns since the epoch) as a calendar time, UTC or
 * local, and the nanoseconds into its second (also for times before 1970). */
struct tm;
void rt_tseries_time(int64_t time_ns, bool utc, struct tm *tm, int64_t *ns);

struct rt_value {
	enum rv_kind kind;
	int64_t i;
	uint64_t u;
	const char *str;
	size_t len;
	struct rt_value *items;
	const char **names;
	struct rt_hist_row *rows;
	struct rt_tseries_point *points; /* RV_TSERIES; u: 1 when values are unsigned */
	int n;
};

/* Decoded values live in an arena freed at once (a map print, an event). */
struct rt_arena;
struct rt_arena *rt_arena_new(void);
void *rt_arena_alloc(struct rt_arena *a, size_t size);
void rt_arena_free(struct rt_arena *a);

/* The value of type t stored at bytes (t->size of them), as bpftrace shows
 * it: integers by sign, bools, enums by name (number when no name matches),
 * pointers as 0x..., strings up to their NUL (with bpftrace's ".." trailer
 * when the string fills its buffer), buffers, arrays, tuples and records
 * (struct members, bitfields included) recursively. */
struct rt_value *rt_decode(struct rt_arena *a, const struct type *t, const void *bytes);
/* Values user space shows as text (strftime()'s timestamps, ntop()'s
 * addresses...: records named by stdlib/format.c): fills v with the text
 * and returns true; false for any other type (runtime/formats.c). */
bool rt_user_value(struct rt_arena *a, const struct type *t, const void *bytes, struct rt_value *v);
/* Constructors for aggregation results and the like. */
struct rt_value *rt_value_int(struct rt_arena *a, int64_t v);
struct rt_value *rt_value_uint(struct rt_arena *a, uint64_t v);
/* bpftrace's order for sorting: numbers numerically, strings bytewise,
 * tuples element by element. */
int rt_value_cmp(const struct rt_value *x, const struct rt_value *y);
/* The text form (what the text sink prints), into a growing string. */
void rt_value_text(FILE *out, const struct rt_value *v);

/* Stacks (runtime/stacks.c): the frames of stack `id` of stack type t, and
 * their text: bpftrace indents frames by 8 spaces in values and printf, by
 * 4 in map keys. */
void rt_stack_decode(struct rt_arena *a, struct rt_value *v, const struct type *t, int64_t id);
void rt_stack_text(FILE *out, const struct rt_value *v, int indent);
/* ksym(): the name of the kernel symbol holding addr (a string value). */
void rt_ksym_decode(struct rt_arena *a, struct rt_value *v, uint64_t addr);
/* usym(): the name of the symbol holding addr in process pid, as bpftrace
 * shows it (the address in hex when none does). */
void rt_usym_text(char *out, size_t size, uint64_t addr, int pid);
#define RT_STACK_INDENT_VALUE 8
#define RT_STACK_INDENT_KEY 4

/* ---- a map ready to print -------------------------------------------------- */

struct rt_map_view {
	const char *name;        /* "@x" */
	bool keyed;              /* printed as @x[key]; false: a scalar map */
	const char *json_type;   /* "map", "stats" or "hist" */
	bool blank_line_after;   /* text: bpftrace prints a blank line after avg/stats maps */
	/* text for a map with no entries: bpftrace prints "@c: 0" for an empty
	 * scalar count and one or two blank lines for the others */
	const char *empty_text;
	int n;
	struct rt_value **keys;  /* n decoded keys (tuples for several parts); NULL if !keyed */
	struct rt_value **values;
};

/* ---- the sink ----------------------------------------------------------------- */

enum rt_notice { RT_NOTICE_WARNING, RT_NOTICE_ERROR };

struct rt_output;
struct rt_output_ops {
	void (*attached)(struct rt_output *o, int nprobes);
	void (*printf)(struct rt_output *o, const char *text, size_t len);
	void (*value)(struct rt_output *o, const struct rt_value *v);     /* print(value) */
	void (*maps_begin)(struct rt_output *o);                          /* before the maps at exit */
	void (*map)(struct rt_output *o, const struct rt_map_view *m);
	void (*lost_events)(struct rt_output *o, uint64_t n);
	/* updates of map `map` dropped because it was full: the total so far
	 * while running (-v), the final total at exit; `declared`: its size
	 * comes from `let @m = hash(N);`, not BPFTRACE_MAX_MAP_KEYS */
	void (*map_full)(struct rt_output *o, const char *map, uint64_t dropped, uint64_t max_entries,
			 bool at_exit, bool declared);
	void (*notice)(struct rt_output *o, enum rt_notice level, const char *text);
	/* output of time(), cat(), system(), join(): JSON's message `type`
	 * ("time", "cat", "syscall", "join"); text: the text as it is, and a
	 * newline after it when `line` */
	void (*message)(struct rt_output *o, const char *type, const char *text, size_t len, bool line);
	/* errorf()/warnf(): the text as an error or warning at file:loc */
	void (*located)(struct rt_output *o, enum rt_notice level, const char *file, int line,
			int col, int end_line, int end_col, const char *text, size_t len);
	/* after located(): one macro use the errorf()/warnf() was expanded
	 * from, with its source line; NULL: not shown (JSON) */
	void (*expanded_from)(struct rt_output *o, enum rt_notice level, const char *file, srcloc loc,
			      const char *line);
	/* after located(): the source line and a ~ under loc; NULL: not shown */
	void (*context)(struct rt_output *o, srcloc loc, const char *line);
	/* -k: BPF helper `helper` failed with retcode (-errno) at file:line:col;
	 * NULL: reported as a located() warning instead (text) */
	void (*helper_error)(struct rt_output *o, const char *helper, int64_t retcode, const char *file,
			     int line, int col);
};

struct rt_output {
	const struct rt_output_ops *ops;
	FILE *out;   /* stdout or the -o file */
	FILE *err;   /* stderr: text mode's notices */
};

/* Fill o as a text or JSON sink writing to out (and err for text notices). */
void rt_output_text(struct rt_output *o, FILE *out, FILE *err);
void rt_output_json(struct rt_output *o, FILE *out, FILE *err);

#endif
