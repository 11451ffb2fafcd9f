/* software.c - `software:EVENT[:COUNT]` (alias `s`): the kernel's software
 * perf events, and what hardware.c shares with it.
 *
 * The program runs every COUNT-th event on a CPU (the perf event's sample
 * period): `software:page-faults:1` runs on every page fault. Without a
 * count (or with 0) bpftrace's default period for the event is used. The
 * event is opened on every online CPU, for every process, or with -p/-c
 * for that process and its children only (as bpftrace does, so the count
 * is of that process's events); the self / -p filter (filter_self) keeps
 * the events of the traced process. */
#include <ctype.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "ast.h"
#include "intlit.h"
#include "probe.h"
#include "suggest.h"
#include "util.h"

/* bpftrace's list, names, aliases and default periods. */
static const struct perf_event_kind software_events[] = {
	{ "alignment-faults", "", PERF_COUNT_SW_ALIGNMENT_FAULTS, 1 },
	{ "bpf-output", "", PERF_COUNT_SW_BPF_OUTPUT, 1 },
	{ "context-switches", "cs", PERF_COUNT_SW_CONTEXT_SWITCHES, 1000 },
	{ "cpu-clock", "cpu", PERF_COUNT_SW_CPU_CLOCK, 1000000 },
	{ "cpu-migrations", "", PERF_COUNT_SW_CPU_MIGRATIONS, 1 },
	{ "dummy", "", PERF_COUNT_SW_DUMMY, 1 },
	{ "emulation-faults", "", PERF_COUNT_SW_EMULATION_FAULTS, 1 },
	{ "major-faults", "", PERF_COUNT_SW_PAGE_FAULTS_MAJ, 1 },
	{ "minor-faults", "", PERF_COUNT_SW_PAGE_FAULTS_MIN, 100 },
	{ "page-faults", "faults", PERF_COUNT_SW_PAGE_FAULTS, 100 },
	{ "task-clock", "", PERF_COUNT_SW_TASK_CLOCK, 1 },
};
#define NSOFTWARE (sizeof(software_events) / sizeof(software_events[0]))

static const struct perf_event_kind *find_kind(const struct perf_event_kind *kinds, size_t nkinds,
					       const char *name)
{
	for (size_t i = 0; i < nkinds; i++)
		if (strcmp(kinds[i].name, name) == 0 || (kinds[i].alias[0] && strcmp(kinds[i].alias, name) == 0))
			return &kinds[i];
	return NULL;
}

static void report_unknown_event(const char *provider, const struct perf_event_kind *kinds,
				 size_t nkinds, const char *event, srcloc loc, struct diag *d)
{
	struct suggestion s;
	suggestion_init(&s, event);
	for (size_t i = 0; i < nkinds; i++) {
		suggestion_consider(&s, kinds[i].name);
		if (kinds[i].alias[0])
			suggestion_consider(&s, kinds[i].alias);
	}
	if (s.best)
		diag_error(d, loc, "%s is not a %s probe; did you mean '%s'?", event, provider, s.best);
	else
		diag_error(d, loc, "%s is not a %s probe", event, provider);
	suggestion_free(&s);
}

int probe_expand_perf_event(enum probe_type type, const char *provider,
			    const struct perf_event_kind *kinds, size_t nkinds, const char *spec,
			    srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	const char *colon = strchr(spec, ':');
	char *event = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
	int ret = -1;
	uint64_t count = 0;
	if (!event[0]) {
		diag_error(d, loc, "%s probe must have a %s event name", provider, provider);
		goto out;
	}
	if (strpbrk(event, "*?[")) {
		diag_error(d, loc, "wildcards are not allowed for %s probe type", provider);
		goto out;
	}
	const struct perf_event_kind *k = find_kind(kinds, nkinds, event);
	if (!k) {
		report_unknown_event(provider, kinds, nkinds, event, loc, d);
		goto out;
	}
	if (colon) {
		struct intlit lit;
		const char *text = colon + 1;
		if (strchr(text, ':')) {
			diag_error(d, loc, "%s probe can only have an integer count", provider);
			goto out;
		}
		if (intlit_parse(text, strlen(text), false, &lit, NULL, 0) != INTLIT_OK) {
			diag_error(d, loc, "invalid count for %s probe: '%s' (expected a positive integer)",
				   provider, text);
			goto out;
		}
		count = lit.value;
	}
	struct probe_target *t = probe_target_push(out, n);
	t->type = type;
	t->name = count ? xasprintf("%s:%s:%llu", provider, event, (unsigned long long)count)
			: xasprintf("%s:%s", provider, event);
	t->target = xstrdup(k->name);
	t->period_ns = count ? count : k->default_period; /* the sample period */
	ret = 0;
out:
	free(event);
	return ret;
}

char *probe_perf_event_params(uint32_t perf_type, const struct probe_target *t,
			      const struct perf_event_kind *kinds, size_t nkinds)
{
	const struct perf_event_kind *k = find_kind(kinds, nkinds, t->target);
	return xasprintf("type=%u config=%u period=%llu", perf_type, k ? k->config : 0u,
			 (unsigned long long)t->period_ns);
}

int probe_attach_perf_counter(const struct desc_probe *p, struct bpf_program *prog,
			      struct rt_links *l, char *errbuf, size_t errlen)
{
	unsigned type, config;
	unsigned long long period;
	if (!p->params || sscanf(p->params, "type=%u config=%u period=%llu", &type, &config, &period) != 3 ||
	    period == 0) {
		snprintf(errbuf, errlen, "bad perf event parameters '%s'", p->params ? p->params : "");
		return -EINVAL;
	}
	struct perf_event_attr attr = {
		.type = type,
		.size = sizeof(attr),
		.config = config,
		.sample_period = period,
	};
	/* With -p/-c only that process's events (and its children's) count
	 * towards the period, as in bpftrace; otherwise every process's. */
	int pid = probe_target_pid() > 0 ? probe_target_pid() : -1;
	attr.inherit = pid > 0;
	return probe_attach_perf_every_cpu(&attr, pid, NULL, prog, l, errbuf, errlen);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "EVENT:COUNT", as a script's attach point names it (-l with a
 * script), lists "EVENT:" as bpftrace does; line ends in ':' */
static bool matches_with_count(const char *pattern, const char *line)
{
	size_t n = strlen(line);
	if (strncmp(pattern, line, n) != 0 || !pattern[n])
		return false;
	for (const char *p = pattern + n; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

int probe_list_perf_events(const char *provider, const struct perf_event_kind *kinds,
			   size_t nkinds, const struct probe_list_request *req)
{
	/* bpftrace lists names and aliases alike, each with a trailing ':' (the
	 * place of the count), sorted as one set. */
	char **lines = xcalloc(nkinds * 2, sizeof(*lines));
	size_t nlines = 0;
	for (size_t i = 0; i < nkinds; i++) {
		lines[nlines++] = xasprintf("%s:", kinds[i].name);
		if (kinds[i].alias[0])
			lines[nlines++] = xasprintf("%s:", kinds[i].alias);
	}
	util_sort(lines, nlines, sizeof(*lines), cmp_str);
	int printed = 0;
	for (size_t i = 0; i < nlines; i++) {
		size_t len = strlen(lines[i]);
		lines[i][len - 1] = '\0';
		bool match = probe_wildcard_match(req->pattern, lines[i]);
		lines[i][len - 1] = ':';
		if (match || probe_wildcard_match(req->pattern, lines[i]) ||
		    matches_with_count(req->pattern, lines[i])) {
			fprintf(req->out, "%s:%s\n", provider, lines[i]);
			printed++;
		}
		free(lines[i]);
	}
	free(lines);
	return printed;
}

static int software_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out,
			   int *n)
{
	return probe_expand_perf_event(PT_SOFTWARE, "software", software_events, NSOFTWARE, spec, loc, d,
				       out, n);
}

static char *perf_event_section(const struct probe_target *t)
{
	(void)t;
	return xstrdup("perf_event");
}

static char *software_attach_params(const struct probe_target *t, unsigned *deps)
{
	(void)deps;
	return probe_perf_event_params(PERF_TYPE_SOFTWARE, t, software_events, NSOFTWARE);
}

static const char *software_attach_hint(int err)
{
	if (err == -ENOENT || err == -EOPNOTSUPP)
		return "this kernel does not count this software event";
	return "perf events may be restricted (kernel.perf_event_paranoid)";
}

static int software_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	return probe_list_perf_events(self->name, software_events, NSOFTWARE, req);
}

const struct probe_provider probe_software = {
	.name = "software",
	.aliases = { "s", NULL },
	.type = PT_SOFTWARE,
	.filter_self = true,
	.number_field = 2, /* COUNT of EVENT:COUNT */
	.number_nfields = 2,
	.expand = software_expand,
	.section = perf_event_section,
	.attach = probe_attach_perf_counter,
	.attach_params = software_attach_params,
	.attach_hint = software_attach_hint,
	.list = software_list,
	.ctx_type = probe_perf_ctx_type,
};
