/* registry.c - the table of probe providers and attach-point expansion.
 *
 * Adding a probe type: write probes/<type>.c defining its provider and add
 * one line to `providers` below. Everything else (sema, codegen, runtime)
 * goes through the provider's fields and hooks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "ast.h"
#include "probe.h"

extern const struct probe_provider probe_begin, probe_end, probe_tracepoint,
	probe_rawtracepoint, probe_interval, probe_profile;

static const struct probe_provider *const providers[] = {
	&probe_begin,
	&probe_end,
	&probe_tracepoint,
	&probe_rawtracepoint,
	&probe_interval,
	&probe_profile,
};
#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

/* bpftrace probe types sonde does not implement: named in the error so the
 * user learns it is a known type, not a typo. */
static const char *const unsupported_types[] = {
	"kprobe", "k", "kretprobe", "kr", "uprobe", "u", "uretprobe", "ur",
	"usdt", "U", "software", "s", "hardware", "h", "watchpoint", "w",
	"asyncwatchpoint", "aw", "kfunc", "kretfunc", "fentry", "f", "fexit",
	"fr", "iter", "it", "self", "test", "bench",
};

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

const struct probe_provider *probe_provider_of(enum probe_type type)
{
	for (size_t i = 0; i < NPROVIDERS; i++)
		if (providers[i]->type == type)
			return providers[i];
	return NULL;
}

static bool is_unsupported_type(const char *name)
{
	for (size_t i = 0; i < sizeof(unsupported_types) / sizeof(unsupported_types[0]); i++)
		if (strcmp(unsupported_types[i], name) == 0)
			return true;
	return false;
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
		ret = p->expand(colon ? colon + 1 : "", ap->loc, d, out, n);
	} else {
		if (is_unsupported_type(type))
			diag_error(d, ap->loc, "probe type '%s' is not supported by sonde", type);
		else
			diag_error(d, ap->loc, "unknown probe type '%s'", type);
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
