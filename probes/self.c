/* self.c - `self:signal:SIGUSR1`: runs when sonde itself receives SIGUSR1
 * (the latest bpftrace's probe; SIGUSR1 is the only signal it has).
 *
 * Like BEGIN it has no kernel event: a raw tracepoint program that the
 * runtime test-runs each time the signal arrives, while the script runs.
 * The runtime catches SIGUSR1 only when a script has this probe (without
 * one the signal keeps its default action, as before). */
#include <string.h>

#include "ast.h"
#include "probe.h"

static int self_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (len == 0) {
		diag_error(d, loc, "self probe needs a trigger and its event: self:signal:SIGUSR1");
		return -1;
	}
	if (len != strlen("signal") || strncmp(spec, "signal", len) != 0) {
		diag_error(d, loc, "%.*s is not a supported trigger (self has signal:SIGUSR1)", (int)len, spec);
		return -1;
	}
	if (!colon || !colon[1]) {
		diag_error(d, loc, "self:signal needs a signal: self:signal:SIGUSR1");
		return -1;
	}
	const char *sig = colon + 1;
	if (strcmp(sig, "SIGUSR1") != 0) {
		diag_error(d, loc, "%s is not a supported signal (self:signal has SIGUSR1)", sig);
		return -1;
	}
	struct probe_target *t = probe_target_push(out, n);
	t->type = PT_SELF;
	t->name = xstrdup("self:signal:SIGUSR1");
	t->target = xstrdup("signal:SIGUSR1");
	return 0;
}

static char *self_section(const struct probe_target *t)
{
	(void)t;
	return xstrdup("raw_tp");
}

static int self_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	if (!probe_wildcard_match(req->pattern, "signal:SIGUSR1"))
		return 0;
	fprintf(req->out, "%s:signal:SIGUSR1\n", self->name);
	return 1;
}

const struct probe_provider probe_self = {
	.name = "self",
	.aliases = { NULL },
	.type = PT_SELF,
	.filter_self = false,
	.expand = self_expand,
	.section = self_section,
	.attach = NULL,
	.list = self_list,
};
