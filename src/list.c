/* list.c - `-l`: splits the patterns, picks the probe types they name and
 * lets each type's provider print its matches (the `list` hook); with a
 * script, lists each target its attach points expand to. See list.h. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontend.h"
#include "list.h"
#include "sema.h"
#include "util.h"

/* The probe types a wildcard type searches, as in bpftrace: the kernel's
 * always; the user-space ones only where something narrows the search (-p,
 * or an existing file named), since without that they would search every
 * binary. Return probes and types without a list of their own (interval,
 * BEGIN, watchpoint) are only listed when named. A type sonde lacks is
 * skipped. */
static const char *const kernel_types[] = {
	"fentry", "hardware", "iter", "kprobe", "rawtracepoint", "software", "tracepoint",
};
static const char *const user_types[] = { "uprobe", "usdt" };

/* ---- list_names ----------------------------------------------------------------- */

void list_names_add(struct list_names *l, char *name)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, sizeof(*l->v) * (size_t)l->cap);
	}
	l->v[l->n++] = name;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void list_names_sort_unique(struct list_names *l)
{
	if (l->n < 2)
		return;
	util_sort(l->v, (size_t)l->n, sizeof(*l->v), compare_names);
	int out = 1;
	for (int i = 1; i < l->n; i++) {
		if (strcmp(l->v[i], l->v[out - 1]) == 0)
			free(l->v[i]);
		else
			l->v[out++] = l->v[i];
	}
	l->n = out;
}

void list_names_free(struct list_names *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

char *list_two_part_pattern(const char *pattern)
{
	if (strchr(pattern, ':'))
		return xstrdup(pattern);
	return xasprintf("*:%s", pattern);
}

/* ---- one pattern ---------------------------------------------------------------- */

struct lister {
	const struct list_options *o;
	struct diag d;
	bool failed;  /* a hook reported an error */
};

static void call_hook(struct lister *l, const struct probe_provider *p, const char *pattern)
{
	if (!p->list)
		return; /* nothing to list for this type (BEGIN, END) */
	struct probe_list_request req = {
		.pattern = *pattern ? pattern : "*",
		.verbose = l->o->verbose,
		.pid = l->o->pid,
		.out = l->o->out,
	};
	if (p->list(p, &req) < 0)
		l->failed = true;
}

static int compare_providers(const void *a, const void *b)
{
	return strcmp((*(const struct probe_provider *const *)a)->name,
		      (*(const struct probe_provider *const *)b)->name);
}

static int add_matching_types(const char *const *names, size_t count, const char *type_pattern,
			      const struct probe_provider **out, int n)
{
	for (size_t i = 0; i < count; i++) {
		const struct probe_provider *p = probe_provider_find(names[i]);
		if (p && probe_wildcard_match(type_pattern, names[i]))
			out[n++] = p;
	}
	return n;
}

/* The first field after the type names an existing file ("*:/bin/bash:*"). */
static bool names_existing_file(const char *rest)
{
	size_t len = strcspn(rest, ":");
	if (len == 0)
		return false;
	char *path = xstrndup(rest, len);
	struct stat st;
	bool exists = !strchr(path, '*') && stat(path, &st) == 0;
	free(path);
	return exists;
}

/* TYPE_PATTERN has a '*': every listed type it matches, in name order. */
static void list_wildcard_type(struct lister *l, const char *type_pattern, const char *rest)
{
	const struct probe_provider *types[sizeof(kernel_types) / sizeof(kernel_types[0]) +
					    sizeof(user_types) / sizeof(user_types[0])];
	int n = add_matching_types(kernel_types, sizeof(kernel_types) / sizeof(kernel_types[0]),
				   type_pattern, types, 0);
	if (l->o->pid || names_existing_file(rest))
		n = add_matching_types(user_types, sizeof(user_types) / sizeof(user_types[0]), type_pattern,
				       types, n);
	util_sort(types, (size_t)n, sizeof(types[0]), compare_providers);
	for (int i = 0; i < n; i++)
		call_hook(l, types[i], rest);
}

/* "struct task_struct", "union ...", "enum ...": kernel types, not probes. */
static bool is_type_pattern(const char *piece)
{
	static const char *const kinds[] = { "struct", "union", "enum" };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t len = strlen(kinds[i]);
		if (strncmp(piece, kinds[i], len) == 0 && isspace((unsigned char)piece[len]))
			return true;
	}
	return false;
}

/* "struct   task_struct" is "struct task_struct". */
static char *collapse_spaces(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			*o++ = *s;
		else if (o > out && o[-1] != ' ')
			*o++ = ' ';
	*o = '\0';
	return out;
}

/* One pattern of the comma-separated list, at loc in the -l argument. */
static void list_pattern(struct lister *l, const char *piece, srcloc loc)
{
	if (is_type_pattern(piece)) {
		char *pattern = collapse_spaces(piece);
		if (list_types(pattern, l->o->verbose, l->o->out) < 0)
			l->failed = true;
		free(pattern);
		return;
	}
	char *text = strchr(piece, ':') ? xstrdup(piece) : xasprintf("*:%s", piece);
	char *colon = strchr(text, ':');
	*colon = '\0';
	const char *type = text, *rest = colon + 1;
	if (!*type || strchr(type, '*')) {
		list_wildcard_type(l, *type ? type : "*", rest);
	} else {
		const struct probe_provider *p = probe_provider_find(type);
		if (p) {
			call_hook(l, p, rest);
		} else {
			loc.end_col = loc.col + (int)strlen(type);
			probe_report_unknown_type(loc, &l->d, type, rest);
		}
	}
	free(text);
}

/* bpftrace's hint when a pattern looks like a script file that is not there. */
static void warn_if_missing_file(const struct list_options *o, const char *pattern)
{
	if (o->no_warnings || !strchr(pattern, '.') || strpbrk(pattern, ":*"))
		return;
	fprintf(o->err,
		"WARNING: It appears that '%s' is a filename but the file does not exist. "
		"Treating '%s' as a search pattern.\n",
		pattern, pattern);
}

/* Splits at ',' and lists each piece, spaces around it dropped. */
static void list_patterns(struct lister *l, const char *patterns)
{
	const char *p = patterns;
	for (;;) {
		size_t len = strcspn(p, ",");
		size_t lead = 0;
		while (lead < len && isspace((unsigned char)p[lead]))
			lead++;
		size_t end = len;
		while (end > lead && isspace((unsigned char)p[end - 1]))
			end--;
		if (end > lead) {
			char *piece = xstrndup(p + lead, end - lead);
			int col = (int)(p + lead - patterns) + 1;
			list_pattern(l, piece, (srcloc){ 1, col, 1, col + (int)(end - lead) });
			free(piece);
		}
		if (!p[len])
			break;
		p += len + 1;
	}
}

/* ---- a script ------------------------------------------------------------------- */

/* The script's targets, collected first so that nothing is listed when an
 * attach point is wrong (bpftrace checks them all first too). */
struct script_targets {
	struct probe_target *v; /* type and name only */
	int n;
};

static void collect_targets(const struct probe_target *t, int n, void *arg)
{
	struct script_targets *st = arg;
	for (int i = 0; i < n; i++) {
		struct probe_target *c = probe_target_push(&st->v, &st->n);
		c->type = t[i].type;
		c->name = xstrdup(t[i].name);
	}
}

static void list_script(struct lister *l)
{
	struct program *prog = parse_program((struct source *)l->o->script, &l->d);
	struct script_targets st = { 0 };
	if (l->d.errors == 0) {
		struct sema_options so = { .positional = l->o->positional,
					   .npositional = l->o->npositional };
		sema_attach_targets(prog, &so, &l->d, collect_targets, &st);
	}
	for (int i = 0; l->d.errors == 0 && i < st.n; i++) {
		const struct probe_provider *p = probe_provider_of(st.v[i].type);
		const char *colon = strchr(st.v[i].name, ':');
		if (p)
			call_hook(l, p, colon ? colon + 1 : "");
	}
	probe_targets_free(st.v, st.n);
	ast_free_program(prog);
}

/* ---- the command ------------------------------------------------------------------ */

static bool process_exists(int pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

int list_run(const struct list_options *o)
{
	if (o->pid && !process_exists(o->pid)) {
		fprintf(o->err, "sonde: -p: there is no process %d\n", o->pid);
		return 1;
	}
	struct lister l = { .o = o };
	if (o->script) {
		diag_init(&l.d, o->script, o->err);
		l.d.no_warnings = o->no_warnings;
		list_script(&l);
	} else {
		const char *patterns = o->pattern && *o->pattern && strcmp(o->pattern, "*") != 0
					       ? o->pattern : "*:*";
		warn_if_missing_file(o, patterns);
		struct source *src = source_from_string("stdin", patterns, strlen(patterns));
		diag_init(&l.d, src, o->err);
		l.d.no_warnings = o->no_warnings;
		list_patterns(&l, patterns);
		source_free(src);
	}
	if (fflush(o->out) != 0) {
		fprintf(o->err, "sonde: cannot write the listing: %s\n", strerror(errno));
		return 1;
	}
	return l.d.errors || l.failed ? 1 : 0;
}
