/* hardware.c - `hardware:EVENT[:COUNT]` (alias `h`): the CPU's hardware
 * performance counters, as perf events (see software.c: same count
 * semantics, opened on every online CPU).
 *
 * A machine without a PMU (most VMs) has none of them: perf_event_open
 * fails with ENOENT and the attach error says so. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>

#include "ast.h"
#include "probe.h"

/* bpftrace's list, names, aliases and default periods. */
static const struct perf_event_kind hardware_events[] = {
	{ "backend-stalls", "", PERF_COUNT_HW_STALLED_CYCLES_BACKEND, 1000000 },
	{ "branch-instructions", "branches", PERF_COUNT_HW_BRANCH_INSTRUCTIONS, 100000 },
	{ "branch-misses", "", PERF_COUNT_HW_BRANCH_MISSES, 100000 },
	{ "bus-cycles", "", PERF_COUNT_HW_BUS_CYCLES, 100000 },
	{ "cache-misses", "", PERF_COUNT_HW_CACHE_MISSES, 1000000 },
	{ "cache-references", "", PERF_COUNT_HW_CACHE_REFERENCES, 1000000 },
	{ "cpu-cycles", "cycles", PERF_COUNT_HW_CPU_CYCLES, 1000000 },
	{ "frontend-stalls", "", PERF_COUNT_HW_STALLED_CYCLES_FRONTEND, 1000000 },
	{ "instructions", "", PERF_COUNT_HW_INSTRUCTIONS, 1000000 },
	{ "ref-cycles", "", PERF_COUNT_HW_REF_CPU_CYCLES, 1000000 },
};
#define NHARDWARE (sizeof(hardware_events) / sizeof(hardware_events[0]))

static int hardware_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out,
			   int *n)
{
	return probe_expand_perf_event(PT_HARDWARE, "hardware", hardware_events, NHARDWARE, spec, loc, d,
				       out, n);
}

static char *hardware_section(const struct probe_target *t)
{
	(void)t;
	return xstrdup("perf_event");
}

static char *hardware_attach_params(const struct probe_target *t, unsigned *deps)
{
	(void)deps;
	return probe_perf_event_params(PERF_TYPE_HARDWARE, t, hardware_events, NHARDWARE);
}

static const char *hardware_attach_hint(int err)
{
	if (err == -ENOENT || err == -EOPNOTSUPP)
		return "this machine has no hardware performance counter for this event "
		       "(no PMU: a virtual machine without a virtual PMU?)";
	return "perf events may be restricted (kernel.perf_event_paranoid)";
}

static int hardware_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	return probe_list_perf_events(self->name, hardware_events, NHARDWARE, req);
}

const struct probe_provider probe_hardware = {
	.name = "hardware",
	.aliases = { "h", NULL },
	.type = PT_HARDWARE,
	.filter_self = true,
	.number_field = 2, /* COUNT of EVENT:COUNT */
	.number_nfields = 2,
	.expand = hardware_expand,
	.section = hardware_section,
	.attach = probe_attach_perf_counter,
	.attach_params = hardware_attach_params,
	.attach_hint = hardware_attach_hint,
	.list = hardware_list,
	.ctx_type = probe_perf_ctx_type,
};
