/* language.h - bpftrace's documented language: every probe type, helper
 * (builtin variable or function), map function and keyword, and where each
 * one is valid.
 *
 * This is what bpftrace has, not what sonde implements: that lives in
 * stdlib/ (builtins, functions, aggregations), probes/registry.c (probe
 * types) and parser/parser.y (statements). Diagnostics consult this table
 * so that a real bpftrace name sonde lacks says "not supported by sonde
 * yet" instead of "unknown", and a name used in the wrong probe type says
 * where it is valid. When sonde implements a name, nothing changes here.
 * Sources: bpftrace's docs/language.md and docs/stdlib.md (latest), plus
 * the names 0.17 scripts still use (sargN, kfunc/kretfunc, asyncwatchpoint,
 * upper-case BEGIN/END). */
#ifndef SONDE_LANGUAGE_H
#define SONDE_LANGUAGE_H

#include <stdbool.h>
#include <stddef.h>

/* bpftrace's probe types, as bits of a lang_name's `probes` mask. */
enum lang_probe {
	LP_BEGIN, LP_END, LP_SELF, LP_TEST, LP_BENCH,
	LP_KPROBE, LP_KRETPROBE, LP_UPROBE, LP_URETPROBE, LP_USDT,
	LP_TRACEPOINT, LP_RAWTRACEPOINT, LP_PROFILE, LP_INTERVAL,
	LP_SOFTWARE, LP_HARDWARE, LP_WATCHPOINT, LP_ASYNCWATCHPOINT,
	LP_FENTRY, LP_FEXIT, LP_ITER,
	LP__COUNT
};
#define LP_BIT(p) (1u << (p))

struct lang_probe_type {
	enum lang_probe id;
	const char *name;        /* canonical (latest) name: "kprobe", "begin" */
	const char *aliases[3];  /* "k"; NULL-terminated */
};

enum lang_name_flag {
	LANG_BARE = 1 << 0,     /* usable as an identifier: pid, kstack, retval */
	LANG_CALL = 1 << 1,     /* usable with call syntax: pid(), str(p), count() */
	LANG_NUMBERED = 1 << 2, /* the name stands for NAME0, NAME1, ...: arg, sarg */
	LANG_STRUCT = 1 << 3,   /* a struct whose fields are read with . or -> (BTF) */
	LANG_MAP_FUNC = 1 << 4, /* a map value function: @m = count() */
};

/* A builtin, function or map function. */
struct lang_name {
	const char *name;
	unsigned flags;  /* enum lang_name_flag */
	unsigned probes; /* LP_BIT()s of the probe types where it is valid; 0 = all */
};

extern const struct lang_probe_type lang_probe_types[];
extern const int lang_nprobe_types;
extern const struct lang_name lang_names[];
extern const int lang_nnames;
extern const char *const lang_keywords[];
extern const int lang_nkeywords;

/* By name or alias, exactly as written ("BEGIN", "kr"); NULL if none. */
const struct lang_probe_type *lang_probe_type_find(const char *name);
/* "arg3" finds the numbered entry "arg"; NULL if bpftrace has no such name. */
const struct lang_name *lang_name_find(const char *name);
bool lang_is_keyword(const char *name);
bool lang_valid_in(const struct lang_name *n, enum lang_probe p);
/* "kretprobe, uretprobe and fexit": the canonical names of the probe types
 * in `mask`, written into buf (truncated to len). Returns buf. */
const char *lang_probe_list(unsigned mask, char *buf, size_t len);

#endif
