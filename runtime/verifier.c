/* verifier.c - libbpf's messages and what the user sees when loading fails.
 *
 * libbpf talks through one process-wide print callback. During a run it is
 * quiet (unless -v) but remembers the recent warnings, because they are the
 * only place that says which program failed to load, or that the kernel
 * refused the object's BTF (a codegen bug: line info would silently vanish).
 *
 * When the verifier rejects a program, its log names the script line it
 * was checking through the BTF line info codegen emitted:
 *     ; @x = *(uint64 *)0; @ script.bt:3
 * The last such line before the complaint is the statement at fault. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "ast.h"
#include "probe.h"
#include "run_internal.h"

/* ---- the libbpf print callback -------------------------------------------- */

/* The recent libbpf warnings an error message may quote: a few dozen lines. */
#define KEEP_BYTES 16384
/* One libbpf message. Its messages are lines, except the one that carries a
 * whole verifier log, which is cut here: under -v the log is printed in full
 * from the load's own buffer (rt_report_load_failure). */
#define MESSAGE_BYTES 4096

static struct {
	bool active, verbose, debug, btf_dropped;
	libbpf_print_fn_t previous;
	char *text; /* recent warnings; the oldest half is dropped when full */
	size_t len;
	char failed_prog[128];
} lb;

static void keep_text(const char *msg)
{
	size_t n = strlen(msg);
	if (n >= KEEP_BYTES)
		msg += n - (KEEP_BYTES - 1), n = KEEP_BYTES - 1;
	if (lb.len + n >= KEEP_BYTES) {
		size_t drop = lb.len + n - KEEP_BYTES / 2;
		if (drop > lb.len)
			drop = lb.len;
		memmove(lb.text, lb.text + drop, lb.len - drop);
		lb.len -= drop;
	}
	memcpy(lb.text + lb.len, msg, n);
	lb.len += n;
	lb.text[lb.len] = '\0';
}

/* "libbpf: prog 'NAME': BPF program load failed: ..." names the program. */
static void note_failed_prog(const char *msg)
{
	const char *p = strstr(msg, "prog '");
	if (!p || !strstr(msg, "load failed"))
		return;
	p += 6;
	const char *end = strchr(p, '\'');
	if (!end || (size_t)(end - p) >= sizeof(lb.failed_prog))
		return;
	memcpy(lb.failed_prog, p, (size_t)(end - p));
	lb.failed_prog[end - p] = '\0';
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	bool shown = lb.verbose && (level != LIBBPF_DEBUG || lb.debug);
	/* Only warnings are kept: a message neither shown nor kept is not
	 * formatted (libbpf's debug lines cost ~60k instructions a load). */
	if (!shown && level != LIBBPF_WARN)
		return 0;
	char msg[MESSAGE_BYTES];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (shown)
		fputs(msg, stderr);
	if (level != LIBBPF_WARN)
		return 0;
	if (strstr(msg, "BTF is optional, ignoring"))
		lb.btf_dropped = true;
	note_failed_prog(msg);
	keep_text(msg);
	return 0;
}

void rt_libbpf_log_begin(bool verbose)
{
	free(lb.text);
	memset(&lb, 0, sizeof(lb));
	lb.text = xcalloc(1, KEEP_BYTES + 1);
	lb.verbose = verbose;
	lb.debug = verbose && getenv("SONDE_LIBBPF_DEBUG");
	lb.previous = libbpf_set_print(libbpf_print);
	lb.active = true;
}

void rt_libbpf_log_end(void)
{
	if (!lb.active)
		return;
	libbpf_set_print(lb.previous);
	free(lb.text);
	memset(&lb, 0, sizeof(lb));
}

const char *rt_libbpf_log_text(void)
{
	return lb.text ? lb.text : "";
}

bool rt_libbpf_btf_dropped(void)
{
	return lb.btf_dropped;
}

const char *rt_libbpf_failed_prog(void)
{
	return lb.failed_prog[0] ? lb.failed_prog : NULL;
}

/* ---- reading the verifier log -------------------------------------------- */

struct log_lines {
	char **line;
	int n;
};

static struct log_lines split_lines(const char *text)
{
	struct log_lines l = { 0 };
	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		l.line = xrealloc(l.line, sizeof(*l.line) * (size_t)(l.n + 1));
		l.line[l.n++] = xstrndup(p, len);
		p += len + (e ? 1 : 0);
	}
	return l;
}

static void free_lines(struct log_lines *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "12: (bf) r1 = r6", "12: R1=ctx() ...", "from 3 to 7: ..." */
static bool is_trace_line(const char *s)
{
	if (starts_with(s, "; ") || starts_with(s, "from "))
		return true;
	const char *p = s;
	while (isdigit((unsigned char)*p))
		p++;
	return p > s && *p == ':';
}

/* Summary lines the kernel appends after the complaint. */
static bool is_summary_line(const char *s)
{
	return !*s || starts_with(s, "processed ") || starts_with(s, "verification time") ||
	       starts_with(s, "stack depth") || starts_with(s, "-- END");
}

/* "; TEXT @ FILE:LINE" -> LINE, or 0. */
static int annotation_line(const char *s)
{
	if (!starts_with(s, ";"))
		return 0;
	const char *at = strstr(s, " @ ");
	const char *colon = at ? strrchr(at, ':') : NULL;
	if (!colon)
		return 0;
	char *end;
	long line = strtol(colon + 1, &end, 10);
	return *end == '\0' && line > 0 ? (int)line : 0;
}

static const struct {
	const char *pattern;
	const char *hint;
} verifier_hints[] = {
	{ "invalid mem access", "the program reads memory through a value the verifier does not know to be a valid pointer" },
	{ "unbounded", "an index or size has no bound the verifier can see; compare it against a limit first" },
	{ "min value is negative", "a value used as an offset or size may be negative; check it first" },
	{ "out of bounds", "an access may go past the end of a map value, string or the context" },
	{ "back-edge", "the program contains a loop the verifier cannot prove ends" },
	{ "infinite loop", "a while loop whose condition never changes: the verifier rejects loops that cannot end" },
	{ "jumps is too complex", "too many branches for the verifier to follow: a while loop whose bound it cannot see "
				  "(for ($i : a..b) takes a bound known only at run time), or too much work in one probe" },
	{ "too large", "the program is too large for the verifier; split the work over several probes" },
	{ "too complex", "the program is too complex for the verifier; split the work over several probes" },
	{ "too many", "the program is too complex for the verifier; split the work over several probes" },
	{ "stack", "the probe uses too much stack (512 bytes); use fewer or smaller strings and variables" },
	{ "unknown func", "this kernel does not offer that helper to this probe type" },
	{ "not allowed", "this kernel does not allow that operation in this probe type" },
	{ "permission denied", "loading BPF programs needs root (CAP_BPF and CAP_PERFMON)" },
};

static const char *hint_for(const char *complaint)
{
	for (size_t i = 0; i < sizeof(verifier_hints) / sizeof(verifier_hints[0]); i++)
		if (strstr(complaint, verifier_hints[i].pattern))
			return verifier_hints[i].hint;
	return NULL;
}

static const struct desc_probe *probe_of_prog(const struct desc *desc, const char *prog)
{
	for (int i = 0; prog && i < desc->nprobes; i++)
		if (desc->probes[i].prog_name && strcmp(desc->probes[i].prog_name, prog) == 0)
			return &desc->probes[i];
	return NULL;
}

/* The script statement the verifier was on: the whole text of its line. */
static srcloc statement_loc(const struct source *src, int line, srcloc fallback)
{
	size_t len;
	const char *text = src && line ? source_line(src, line, &len) : NULL;
	if (!text || len == 0) /* not a script line (e.g. code sonde added) */
		return fallback;
	int col = 1;
	while ((size_t)(col - 1) < len && isspace((unsigned char)text[col - 1]))
		col++;
	return (srcloc){ line, col, line, (int)len + 1 };
}

void rt_report_verifier_log(const struct desc_probe *probe, const struct source *src,
			    const char *log, bool verbose)
{
	struct log_lines l = split_lines(log);
	int last = l.n - 1;
	while (last >= 0 && is_summary_line(l.line[last]))
		last--;
	int first = last;
	while (first > 0 && last - first < 3 && !is_trace_line(l.line[first - 1]))
		first--;
	int script_line = 0;
	for (int i = last; i >= 0 && !script_line; i--)
		script_line = annotation_line(l.line[i]);

	struct diag d;
	diag_init(&d, src, stderr);
	diag_error(&d, statement_loc(src, script_line, probe->loc),
		   "the BPF verifier rejected probe '%s'", probe->name);
	const char *hint = NULL;
	for (int i = first; i >= 0 && i <= last; i++) {
		fprintf(stderr, "  verifier: %s\n", l.line[i]);
		if (!hint)
			hint = hint_for(l.line[i]);
	}
	fprintf(stderr, "hint: %s\n", hint ? hint :
		"this is probably a sonde code generation bug; please report it with the script "
		"(-v prints the whole verifier log)");
	if (verbose)
		fprintf(stderr, "-- verifier log --\n%s%s-- end of verifier log --\n", log,
			l.n && log[strlen(log) - 1] != '\n' ? "\n" : "");
	free_lines(&l);
}

/* Libbpf's own recent warnings, minus its "libbpf: " prefixes. */
static void print_libbpf_lines(void)
{
	struct log_lines l = split_lines(rt_libbpf_log_text());
	int from = l.n > 6 ? l.n - 6 : 0;
	for (int i = from; i < l.n; i++)
		if (l.line[i][0])
			fprintf(stderr, "  %s\n", starts_with(l.line[i], "libbpf: ") ? l.line[i] + 8 : l.line[i]);
	free_lines(&l);
}

void rt_report_load_failure(const struct desc *desc, const struct source *src, const char *log,
			    int err, bool verbose)
{
	const struct desc_probe *probe = probe_of_prog(desc, rt_libbpf_failed_prog());
	if (probe && log && *log) {
		rt_report_verifier_log(probe, src, log, verbose);
		return;
	}
	if (probe) { /* refused without a log: policy (e.g. EPERM), not the verifier */
		struct diag d;
		diag_init(&d, src, stderr);
		diag_error(&d, probe->loc, "the kernel refused to load probe '%s': %s", probe->name,
			   strerror(err));
		const struct probe_provider *prov = probe_provider_of(probe->type);
		if (prov && prov->load_refused)
			prov->load_refused(probe, err, stderr);
		else
			print_libbpf_lines();
		return;
	}
	if (err == EPERM || err == EACCES) { /* maps or the feature probes were refused */
		rt_report_no_privileges(err);
		return;
	}
	fprintf(stderr, "sonde: error: cannot load the BPF object: %s\n", strerror(err));
	print_libbpf_lines();
}
