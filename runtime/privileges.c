/* privileges.c - saying clearly that tracing needs privileges.
 *
 * Loading tracing programs needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN,
 * which implies both; kernels before 5.8 know only that). Without them
 * every bpf() call fails with EPERM and libbpf's own messages talk about
 * RLIMIT_MEMLOCK and CONFIG_BPF_SYSCALL, which sends users the wrong way.
 * So the capabilities are checked before anything is started (no -c child
 * forked, nothing created), and an EPERM from the kernel later (a user
 * namespace, a security module) gets the same message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "run_internal.h"

/* Not in older <linux/capability.h>. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_effective_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

bool rt_may_trace(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &header, data) != 0)
		return true; /* cannot tell: let the kernel decide */
	return has_effective_cap(data, CAP_SYS_ADMIN) ||
	       (has_effective_cap(data, CAP_BPF) && has_effective_cap(data, CAP_PERFMON));
}

void rt_report_no_privileges(int err)
{
	fprintf(stderr, "sonde: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): %s\n",
		strerror(err));
}
