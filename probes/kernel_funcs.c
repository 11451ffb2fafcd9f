/* kernel_funcs.c - kernel functions that are traceable but must not be
 * traced (include/probe.h, kernel_func_unstable). */
#include <string.h>

#include "probe.h"

/* Functions the kernel lets be probed, but whose probes stall or hang it:
 * RCU's own functions (a probe's handler runs under RCU), the idle loop
 * and the XDP dispatcher. bpftrace leaves them out of what it attaches to;
 * the list is the kernel selftests' (bpf/prog_tests/kprobe_multi_test.c).
 * Seen here: `kprobe:rcu_*` hung the guest. */
bool kernel_func_unstable(const char *name)
{
	static const char *const exact[] = { "arch_cpu_idle", "default_idle", "bpf_dispatcher_xdp_func" };
	static const char *const prefixes[] = { "rcu_", "__ftrace_invalid_address__" };
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(name, exact[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}
