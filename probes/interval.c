/* interval.c - `interval:UNIT:N` / `interval:Nunit` (alias `i`).
 *
 * A cpu-clock perf event on CPU 0: it fires in whatever task is running
 * there, so the self / -p filters must not apply (they would drop ticks). */
#include <stdlib.h>

#include "ast.h"
#include "probe.h"

static int interval_expand(const char *spec, srcloc loc, struct diag *d,
			   struct probe_target **out, int *n)
{
	uint64_t period_ns, freq_hz;
	char *canonical;
	if (probe_parse_timer("interval", spec, loc, d, &period_ns, &freq_hz, &canonical))
		return -1;
	struct probe_target *t = probe_target_push(out, n);
	t->type = PT_INTERVAL;
	t->name = xasprintf("interval:%s", canonical);
	t->target = canonical;
	t->period_ns = period_ns;
	t->freq_hz = freq_hz;
	return 0;
}

static char *timer_section(const struct probe_target *t)
{
	(void)t;
	return xstrdup("perf_event");
}

static int interval_attach(const struct desc_probe *p, struct bpf_program *prog,
			   struct rt_links *l, char *errbuf, size_t errlen)
{
	return probe_attach_cpu_clock(p, prog, false, l, errbuf, errlen);
}

const struct probe_provider probe_interval = {
	.name = "interval",
	.aliases = { "i", NULL },
	.type = PT_INTERVAL,
	.ctx = CTX_PERF,
	.filter_self = false,
	.max_args = 0,
	.expand = interval_expand,
	.section = timer_section,
	.attach = interval_attach,
};
