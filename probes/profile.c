/* profile.c - `profile:UNIT:N` / `profile:Nunit` (alias `p`).
 *
 * A cpu-clock perf event on every online CPU, sampling whatever runs there.
 * filter_self is on: samples of sonde itself are noise, and -p PID then
 * keeps only that process's samples. (Ticks that land while sonde runs are
 * dropped, so a profile of a mostly idle machine sees slightly fewer.) */
#include <stdlib.h>

#include "ast.h"
#include "list.h"
#include "probe.h"

static int profile_expand(const char *spec, srcloc loc, struct diag *d,
			  struct probe_target **out, int *n)
{
	return probe_expand_timer(PT_PROFILE, "profile", spec, loc, d, out, n);
}

static int profile_attach(const struct desc_probe *p, struct bpf_program *prog,
			  struct rt_links *l, char *errbuf, size_t errlen)
{
	return probe_attach_cpu_clock(p, prog, true, l, errbuf, errlen);
}

const struct probe_provider probe_profile = {
	.name = "profile",
	.aliases = { "p", NULL },
	.type = PT_PROFILE,
	.filter_self = true,
	.max_args = 0,
	.number_field = 2, /* N of UNIT:N */
	.number_nfields = 2,
	.expand = profile_expand,
	.section = probe_timer_section,
	.attach = profile_attach,
	.attach_hint = probe_timer_attach_hint,
	.attach_params = probe_timer_attach_params,
	.list = probe_timer_list,
	.ctx_type = probe_perf_ctx_type,
};
