/* registry.c - the table of probe providers and attach-point expansion.
 *
 * Adding a probe type: write probes/<type>.c defining its provider and add
 * one line to include/probe_types.def (which makes both its PT_ value and
 * its place in `providers` below). Everything else (sema, codegen, runtime)
 * goes through the provider's fields and hooks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bpf/libbpf.h>

#include "ast.h"
#include "language.h"
#include "probe.h"
#include "suggest.h"

#define PROBE_TYPE(name, provider) extern const struct probe_provider provider;
#include "probe_types.def"
#undef PROBE_TYPE

/* Indexed by enum probe_type: both come from probe_types.def. */
static const struct probe_provider *const providers[] = {
#define PROBE_TYPE(name, provider) [PT_##name] = &provider,
#include "probe_types.def"
#undef PROBE_TYPE
};
#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

const struct probe_provider *probe_provider_find(const char *name)
{
	for (size_t i = 0; i < NPROVIDERS; i++) {
		const struct probe_provider *p = providers[i];
		if (strcmp(p->name, name) == 0)
			return p;
		for (int a = 0; a < 3 && p->aliases[a]; a++)
			if (strcmp(p->aliases[a], name) == 0)
				return p;
	}
	return NULL;
}

const struct probe_provider *probe_provider_at(int i)
{
	return i >= 0 && (size_t)i < NPROVIDERS ? providers[i] : NULL;
}

static int target_pid;

void probe_set_target_pid(int pid)
{
	target_pid = pid;
}

int probe_target_pid(void)
{
	return target_pid;
}

static bool unsafe_allowed;

void probe_set_unsafe(bool on)
{
	unsafe_allowed = on;
}

bool probe_unsafe(void)
{
	return unsafe_allowed;
}

static char *target_cmd_word;

/* The first word of CMD, as child.c splits it: quotes and backslashes
 * only matter for which characters make the word, and a command word
 * rarely has any. */
void probe_set_target_cmd(const char *cmd)
{
	free(target_cmd_word);
	target_cmd_word = NULL;
	if (!cmd)
		return;
	cmd += strspn(cmd, " \t");
	size_t len = strcspn(cmd, " \t");
	if (len >= 2 && (cmd[0] == '\'' || cmd[0] == '"') && cmd[len - 1] == cmd[0]) {
		cmd++;
		len -= 2;
	}
	if (len)
		target_cmd_word = xstrndup(cmd, len);
}

const char *probe_target_cmd(void)
{
	return target_cmd_word;
}

/* When the text after the last '*' fails to match, that '*' takes one more
 * character and matching resumes after it; earlier stars never need to be
 * revisited. Unlike bpftrace, which places each literal run at its first
 * occurrence, "*exit" matches "sys_exit_exit" (bpftrace lists only
 * sys_enter_exit for tracepoint:syscalls:*exit). */
bool probe_wildcard_match(const char *pattern, const char *text)
{
	const char *star = NULL, *resume = NULL;
	while (*text) {
		if (*pattern == '*') {
			star = pattern++;
			resume = text;
		} else if (*pattern == *text) {
			pattern++;
			text++;
		} else if (star) {
			pattern = star + 1;
			text = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

const struct probe_provider *probe_provider_of(enum probe_type type)
{
	return (size_t)type < NPROVIDERS ? providers[type] : NULL;
}

/* "syscalls:sys_enter_read" with "tracepoint:" left out: the closest
 * tracepoint when the type part is (nearly) a tracepoint category. */
static char *tracepoint_without_prefix(const char *type, const char *rest)
{
	if (!rest || strchr(rest, ':'))
		return NULL;
	return tracepoint_closest(type, rest);
}

/* The closest probe type name, aliases of one or two letters left out:
 * they are close to every short word. */
static char *closest_probe_type(const char *type)
{
	struct suggestion s;
	suggestion_init(&s, type);
	for (int i = 0; i < lang_nprobe_types; i++) {
		const struct lang_probe_type *t = &lang_probe_types[i];
		suggestion_consider(&s, t->name);
		for (int a = 0; a < 3 && t->aliases[a]; a++)
			if (strlen(t->aliases[a]) > 2)
				suggestion_consider(&s, t->aliases[a]);
	}
	return s.best;
}

static void report_unsupported_type(srcloc loc, struct diag *d, const char *type,
				    const struct lang_probe_type *t)
{
	if (strcmp(t->name, type) == 0)
		diag_error(d, loc, "probe type '%s' is not supported by sonde yet", type);
	else
		diag_error(d, loc, "probe type '%s' (%s) is not supported by sonde yet", type, t->name);
}

/* An exact tracepoint category wins over a probe type one typo away; a
 * probe type wins over a category that is itself misspelled. */
void probe_report_unknown_type(srcloc loc, struct diag *d, const char *type, const char *rest)
{
	const struct lang_probe_type *lt = lang_probe_type_find(type);
	if (lt) {
		report_unsupported_type(loc, d, type, lt);
		return;
	}
	char *tp = tracepoint_without_prefix(type, rest);
	bool exact_category = tp && strncmp(tp, type, strlen(type)) == 0 && tp[strlen(type)] == ':';
	char *near = exact_category ? NULL : closest_probe_type(type);
	if (near)
		diag_error(d, loc, "unknown probe type '%s'; did you mean '%s'?", type, near);
	else if (tp)
		diag_error(d, loc, "unknown probe type '%s'; did you mean 'tracepoint:%s'?", type, tp);
	else
		diag_error(d, loc, "unknown probe type '%s'", type);
	free(near);
	free(tp);
}

int probe_expand(const struct attach_point *ap, struct diag *d,
		 struct probe_target **out, int *n)
{
	const char *colon = strchr(ap->text, ':');
	size_t len = colon ? (size_t)(colon - ap->text) : strlen(ap->text);
	char *type = xstrndup(ap->text, len);
	const struct probe_provider *p = probe_provider_find(type);
	int ret;
	if (p) {
		int first = *n;
		ret = p->expand(colon ? colon + 1 : "", ap->loc, d, out, n);
		/* A target named after its probe type alone (BEGIN, END) keeps the
		 * spelling written: `probe` is "begin" for the latest bpftrace's
		 * `begin`, "BEGIN" for 0.17's `BEGIN`. */
		for (int i = first; ret == 0 && i < *n; i++)
			if (strcmp((*out)[i].name, p->name) == 0 && strcmp(type, p->name) != 0 &&
			    strcasecmp(type, p->name) == 0) {
				free((*out)[i].name);
				(*out)[i].name = xstrdup(type);
			}
	} else {
		probe_report_unknown_type(ap->loc, d, type, colon ? colon + 1 : NULL);
		ret = -1;
	}
	free(type);
	return ret;
}

void probe_targets_free(struct probe_target *t, int n)
{
	for (int i = 0; i < n; i++) {
		free(t[i].name);
		free(t[i].target);
	}
	free(t);
}

struct probe_target *probe_target_push(struct probe_target **out, int *n)
{
	/* One realloc per target: callers may hand in an array they grew
	 * themselves, so no capacity can be assumed beyond *n. */
	*out = xrealloc(*out, sizeof(**out) * (size_t)(*n + 1));
	struct probe_target *t = &(*out)[(*n)++];
	memset(t, 0, sizeof(*t));
	return t;
}

int rt_links_add(struct rt_links *l, struct bpf_link *link)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->links = xrealloc(l->links, sizeof(*l->links) * (size_t)l->cap);
	}
	l->links[l->n++] = link;
	return 0;
}

static void fd_list_add(int **fds, int *n, int *cap, int fd)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*fds = xrealloc(*fds, sizeof(**fds) * (size_t)*cap);
	}
	(*fds)[(*n)++] = fd;
}

int rt_links_add_fd(struct rt_links *l, int fd)
{
	fd_list_add(&l->fds, &l->nfds, &l->fdcap, fd);
	return 0;
}

int rt_links_add_event(struct rt_links *l, int fd)
{
	fd_list_add(&l->events, &l->nevents, &l->evcap, fd);
	return 0;
}
