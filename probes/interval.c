/* interval.c - `interval:UNIT:N` / `interval:Nunit` (alias `i`).
 *
 * A cpu-clock perf event on CPU 0: it fires in whatever task is running
 * there, so the self / -p filters must not apply (they would drop ticks). */
#include <stdlib.h>

#include "ast.h"
#include "list.h"
#include "probe.h"

static int interval_expand(const char *spec, srcloc loc, struct diag *d,
			   struct probe_target **out, int *n)
{
	return probe_expand_timer(PT_INTERVAL, "interval", spec, loc, d, out, n);
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
	.filter_self = false,
	.max_args = 0,
	.number_field = 2, /* N of UNIT:N */
	.number_nfields = 2,
	.expand = interval_expand,
	.section = probe_timer_section,
	.attach = interval_attach,
	.attach_hint = probe_timer_attach_hint,
	.attach_params = probe_timer_attach_params,
	.list = probe_timer_list,
	.ctx_type = probe_perf_ctx_type,
};
