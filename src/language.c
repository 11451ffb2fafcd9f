/* language.c - bpftrace's documented names (see language.h).
 *
 * One entry per name as bpftrace documents it; whether sonde implements it
 * is asked of sonde's own tables, never recorded here. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "language.h"

const struct lang_probe_type lang_probe_types[] = {
	{ LP_BEGIN, "begin", { "BEGIN", NULL } },
	{ LP_END, "end", { "END", NULL } },
	{ LP_SELF, "self", { NULL } },
	{ LP_TEST, "test", { NULL } },
	{ LP_BENCH, "bench", { NULL } },
	{ LP_KPROBE, "kprobe", { "k", NULL } },
	{ LP_KRETPROBE, "kretprobe", { "kr", NULL } },
	{ LP_UPROBE, "uprobe", { "u", NULL } },
	{ LP_URETPROBE, "uretprobe", { "ur", NULL } },
	{ LP_USDT, "usdt", { "U", NULL } },
	{ LP_TRACEPOINT, "tracepoint", { "t", NULL } },
	{ LP_RAWTRACEPOINT, "rawtracepoint", { "rt", NULL } },
	{ LP_PROFILE, "profile", { "p", NULL } },
	{ LP_INTERVAL, "interval", { "i", NULL } },
	{ LP_SOFTWARE, "software", { "s", NULL } },
	{ LP_HARDWARE, "hardware", { "h", NULL } },
	{ LP_WATCHPOINT, "watchpoint", { "w", NULL } },
	{ LP_ASYNCWATCHPOINT, "asyncwatchpoint", { "aw", NULL } },
	{ LP_FENTRY, "fentry", { "f", "kfunc", NULL } },
	{ LP_FEXIT, "fexit", { "fr", "kretfunc", NULL } },
	{ LP_ITER, "iter", { "it", NULL } },
};
const int lang_nprobe_types = sizeof(lang_probe_types) / sizeof(lang_probe_types[0]);

#define B LANG_BARE
#define C LANG_CALL
#define ANY 0u
/* Where the probe-specific builtins are valid (bpftrace's semantic checks). */
#define REG_ARGS (LP_BIT(LP_KPROBE) | LP_BIT(LP_UPROBE) | LP_BIT(LP_USDT) | LP_BIT(LP_RAWTRACEPOINT))
#define STACK_ARGS (LP_BIT(LP_KPROBE) | LP_BIT(LP_UPROBE))
#define ARGS_STRUCT (LP_BIT(LP_TRACEPOINT) | LP_BIT(LP_RAWTRACEPOINT) | LP_BIT(LP_FENTRY) | \
		     LP_BIT(LP_FEXIT) | LP_BIT(LP_UPROBE))
#define RETURNS (LP_BIT(LP_KRETPROBE) | LP_BIT(LP_URETPROBE) | LP_BIT(LP_FEXIT))
#define FUNCTIONS (LP_BIT(LP_KPROBE) | LP_BIT(LP_KRETPROBE) | LP_BIT(LP_UPROBE) | \
		   LP_BIT(LP_URETPROBE) | LP_BIT(LP_FENTRY) | LP_BIT(LP_FEXIT))
#define CTX (LP_BIT(LP_KPROBE) | LP_BIT(LP_KRETPROBE) | LP_BIT(LP_UPROBE) | LP_BIT(LP_URETPROBE) | \
	     LP_BIT(LP_USDT) | LP_BIT(LP_PROFILE) | LP_BIT(LP_INTERVAL) | LP_BIT(LP_SOFTWARE) |     \
	     LP_BIT(LP_HARDWARE) | LP_BIT(LP_WATCHPOINT) | LP_BIT(LP_ASYNCWATCHPOINT) |             \
	     LP_BIT(LP_ITER))
#define REGISTERS (LP_BIT(LP_KPROBE) | LP_BIT(LP_UPROBE))
#define SIGNALS (LP_BIT(LP_KPROBE) | LP_BIT(LP_KRETPROBE) | LP_BIT(LP_UPROBE) | \
		 LP_BIT(LP_URETPROBE) | LP_BIT(LP_USDT) | LP_BIT(LP_PROFILE))
#define D_PATH (LP_BIT(LP_FENTRY) | LP_BIT(LP_FEXIT) | LP_BIT(LP_ITER))

/* Alphabetical, as in docs/stdlib.md ("Helpers", then "Map Value
 * Functions"), with the builtins documented in docs/language.md. */
const struct lang_name lang_names[] = {
	{ "arg", B | LANG_NUMBERED, REG_ARGS },
	{ "args", B | LANG_STRUCT, ARGS_STRUCT },
	{ "assert", C, ANY },
	{ "assert_str", C, ANY },
	{ "bswap", C, ANY },
	{ "buf", C, ANY },
	{ "cat", C, ANY },
	{ "cgroup", B | C, ANY },
	{ "cgroup_path", C, ANY },
	{ "cgroupid", C, ANY },
	{ "clear", C, ANY },
	{ "comm", B | C, ANY },
	{ "config", B | C | LANG_STRUCT, ANY },
	{ "container_of", C, ANY },
	{ "cpid", B | C, ANY },
	{ "cpu", B | C, ANY },
	{ "ctx", B | LANG_STRUCT, CTX },
	{ "curtask", B | C | LANG_STRUCT, ANY },
	{ "debugf", C, ANY }, /* in bpftrace's source, no longer in its docs */
	{ "default_str_length", B | C, ANY },
	{ "delete", C, ANY },
	{ "dw_ustack", B | C, ANY },
	{ "elapsed", B | C, ANY },
	{ "errorf", C, ANY },
	{ "exit", C, ANY },
	{ "fail", C, ANY },
	{ "find", C, ANY },
	{ "func", B | C, FUNCTIONS },
	{ "getopt", C, ANY },
	{ "gid", B | C, ANY },
	{ "has_cpid", B | C, ANY },
	{ "has_key", C, ANY },
	{ "is_array", C, ANY },
	{ "is_err", C, ANY },
	{ "is_integer", C, ANY },
	{ "is_literal", C, ANY },
	{ "is_ptr", C, ANY },
	{ "is_str", C, ANY },
	{ "is_unsigned_integer", C, ANY },
	{ "jiffies", B | C, ANY },
	{ "join", C, ANY },
	{ "kaddr", C, ANY },
	{ "kfunc_allowed", C, ANY },
	{ "kfunc_exist", C, ANY },
	{ "kptr", C, ANY },
	{ "kstack", B | C, ANY },
	{ "ksym", C, ANY },
	{ "leader_comm", B | C, ANY },
	{ "leader_tid", B | C, ANY },
	{ "len", C, ANY },
	{ "macaddr", C, ANY },
	{ "memcmp", C, ANY },
	{ "ncpus", B | C, ANY },
	{ "nsecs", B | C, ANY },
	{ "ntop", C, ANY },
	{ "numaid", B | C, ANY },
	{ "offsetof", C, ANY },
	{ "override", C, LP_BIT(LP_KPROBE) },
	{ "path", C, D_PATH },
	{ "pcomm", B | C, ANY },
	{ "percpu_kaddr", C, ANY },
	{ "pid", B | C, ANY },
	{ "ppid", B | C, ANY },
	{ "print", C, ANY },
	{ "printf", C, ANY },
	{ "probe", B | C, ANY },
	{ "probetype", B | C, ANY },
	{ "pton", C, ANY },
	{ "rand", B | C, ANY },
	{ "reg", C, REGISTERS },
	{ "retval", B | C, RETURNS },
	{ "sarg", B | LANG_NUMBERED, STACK_ARGS }, /* 0.17; removed in 0.25 */
	{ "signal", C, SIGNALS },
	{ "signal_name", C, ANY },
	{ "signal_thread", C, SIGNALS },
	{ "sizeof", C, ANY },
	/* tracing programs only (bpftrace's rule); a rawtracepoint using them
	 * loads as one (tp_btf) */
	{ "skboutput", C, LP_BIT(LP_FENTRY) | LP_BIT(LP_FEXIT) | LP_BIT(LP_RAWTRACEPOINT) },
	{ "socket_cookie", C, LP_BIT(LP_FENTRY) | LP_BIT(LP_FEXIT) | LP_BIT(LP_RAWTRACEPOINT) },
	{ "static_assert", C, ANY },
	{ "str", C, ANY },
	{ "str_concat", C, ANY },
	{ "strcap", C, ANY },
	{ "strcontains", C, ANY },
	{ "strerror", C, ANY },
	{ "strftime", C, ANY },
	{ "strlen", C, ANY },
	{ "strncmp", C, ANY },
	{ "strstr", C, ANY },
	{ "syscall_name", C, ANY },
	{ "system", C, ANY },
	{ "tid", B | C, ANY },
	{ "time", C, ANY },
	{ "typeinfo", C, ANY }, /* language.md "Type Context Builtins" (unstable) */
	{ "typeof", C, ANY },
	{ "uaddr", C, ANY },
	{ "uid", B | C, ANY },
	{ "unwatch", C, ANY },
	{ "uptr", C, ANY },
	{ "usermode", B | C, ANY },
	{ "username", B | C, ANY },
	{ "ustack", B | C, ANY },
	{ "usym", C, ANY },
	{ "warnf", C, ANY },
	{ "write_user", C, ANY },
	{ "zero", C, ANY },
	/* map value functions */
	{ "avg", C | LANG_MAP_FUNC, ANY },
	{ "count", C | LANG_MAP_FUNC, ANY },
	{ "hist", C | LANG_MAP_FUNC, ANY },
	{ "lhist", C | LANG_MAP_FUNC, ANY },
	{ "max", C | LANG_MAP_FUNC, ANY },
	{ "min", C | LANG_MAP_FUNC, ANY },
	{ "stats", C | LANG_MAP_FUNC, ANY },
	{ "sum", C | LANG_MAP_FUNC, ANY },
	{ "tseries", C | LANG_MAP_FUNC, ANY },
};
const int lang_nnames = sizeof(lang_names) / sizeof(lang_names[0]);

/* docs/language.md "Keywords". */
const char *const lang_keywords[] = {
	"break", "config", "continue", "else", "for", "if", "import",
	"let", "macro", "offsetof", "return", "sizeof", "unroll", "while",
};
const int lang_nkeywords = sizeof(lang_keywords) / sizeof(lang_keywords[0]);

const struct lang_probe_type *lang_probe_type_find(const char *name)
{
	for (int i = 0; i < lang_nprobe_types; i++) {
		const struct lang_probe_type *t = &lang_probe_types[i];
		if (strcmp(t->name, name) == 0)
			return t;
		for (int a = 0; a < 3 && t->aliases[a]; a++)
			if (strcmp(t->aliases[a], name) == 0)
				return t;
	}
	return NULL;
}

/* "arg12" is NAME followed by digits only. */
static bool is_numbered(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);
	if (strncmp(name, prefix, len) != 0 || !name[len])
		return false;
	for (const char *p = name + len; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

const struct lang_name *lang_name_find(const char *name)
{
	for (int i = 0; i < lang_nnames; i++) {
		const struct lang_name *n = &lang_names[i];
		if (n->flags & LANG_NUMBERED ? is_numbered(name, n->name) : strcmp(n->name, name) == 0)
			return n;
	}
	return NULL;
}

bool lang_is_keyword(const char *name)
{
	for (int i = 0; i < lang_nkeywords; i++)
		if (strcmp(lang_keywords[i], name) == 0)
			return true;
	return false;
}

bool lang_valid_in(const struct lang_name *n, enum lang_probe p)
{
	return n->probes == 0 || (n->probes & LP_BIT(p));
}

const char *lang_probe_list(unsigned mask, char *buf, size_t len)
{
	int total = 0, done = 0;
	size_t used = 0;
	for (int i = 0; i < lang_nprobe_types; i++)
		total += (mask & LP_BIT(lang_probe_types[i].id)) != 0;
	buf[0] = '\0';
	for (int i = 0; i < lang_nprobe_types && used < len; i++) {
		if (!(mask & LP_BIT(lang_probe_types[i].id)))
			continue;
		const char *sep = done == 0 ? "" : done == total - 1 ? " and " : ", ";
		int n = snprintf(buf + used, len - used, "%s%s", sep, lang_probe_types[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
		done++;
	}
	return buf;
}
