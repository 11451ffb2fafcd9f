/* watchpoint.c - `watchpoint:ADDR:LEN:MODE` (alias `w`) and
 * `asyncwatchpoint:ADDR:LEN:MODE` (alias `aw`): memory watchpoints, the
 * kernel's perf hardware breakpoints.
 *
 * The program runs each time ADDR (LEN bytes: 1, 2, 4 or 8) is read and
 * written (rw), written (w) or executed (x); those are the modes x86-64
 * debug registers have. With -p PID or -c CMD the breakpoint is set in each
 * thread of that process (and its new threads inherit it), so ADDR is one
 * of its user addresses; without, on every CPU, for kernel addresses.
 * bpftrace 0.17's function-argument form (`watchpoint:func+arg0:4:w`, a
 * uprobe that sets the watchpoint) is left out, as in the latest bpftrace;
 * so the async variant is the same as the plain one. */
#include <dirent.h>
#include <errno.h>
#include <linux/hw_breakpoint.h>
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

static bool parse_number(const char *text, size_t len, uint64_t *v)
{
	struct intlit lit;
	if (intlit_parse(text, len, false, &lit, NULL, 0) != INTLIT_OK)
		return false;
	*v = lit.value;
	return true;
}

/* MODE sorted ("wr" -> "rw"); false when it is not a combination of r, w, x. */
static bool sort_mode(const char *text, char *out, srcloc loc, struct diag *d)
{
	bool seen[3] = { false, false, false };
	static const char letters[] = "rwx";
	for (const char *c = text; *c; c++) {
		const char *at = strchr(letters, *c);
		if (!at || !*c) {
			diag_error(d, loc, "watchpoint mode must be combination of (r,w,x)");
			return false;
		}
		if (seen[at - letters]) {
			diag_error(d, loc, "watchpoint modes may not be duplicated");
			return false;
		}
		seen[at - letters] = true;
	}
	int n = 0;
	for (int i = 0; i < 3; i++)
		if (seen[i])
			out[n++] = letters[i];
	out[n] = '\0';
	if (n == 0) {
		diag_error(d, loc, "watchpoint mode must be combination of (r,w,x)");
		return false;
	}
	if (strcmp(out, "rw") && strcmp(out, "w") && strcmp(out, "x")) {
		diag_error(d, loc, "invalid watchpoint mode: %s (supported modes on x86-64: rw, w, x)", out);
		return false;
	}
	return true;
}

static int expand_watchpoint(enum probe_type type, const char *provider, const char *spec, srcloc loc,
			     struct diag *d, struct probe_target **out, int *n)
{
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || !c2 || strchr(c2 + 1, ':')) {
		diag_error(d, loc, "%s probe takes 3 arguments: %s:ADDRESS:LENGTH:MODE", provider, provider);
		return -1;
	}
	uint64_t addr, len;
	if (!parse_number(spec, (size_t)(c1 - spec), &addr)) {
		if (memchr(spec, '+', (size_t)(c1 - spec)))
			diag_error(d, loc, "a watchpoint on a function's argument (%.*s) is not supported by "
				   "sonde (nor by the latest bpftrace); give an absolute address",
				   (int)(c1 - spec), spec);
		else
			diag_error(d, loc, "invalid watchpoint address '%.*s'", (int)(c1 - spec), spec);
		return -1;
	}
	if (addr == 0) {
		diag_error(d, loc, "watchpoint must be attached to a non-zero address");
		return -1;
	}
	if (!parse_number(c1 + 1, (size_t)(c2 - c1 - 1), &len) ||
	    (len != 1 && len != 2 && len != 4 && len != 8)) {
		diag_error(d, loc, "watchpoint length must be one of (1,2,4,8)");
		return -1;
	}
	char mode[4];
	if (!sort_mode(c2 + 1, mode, loc, d))
		return -1;
	struct probe_target *t = probe_target_push(out, n);
	t->type = type;
	t->name = xasprintf("%s:%llu:%llu:%s", provider, (unsigned long long)addr,
			    (unsigned long long)len, mode);
	t->target = xasprintf("addr=%llu len=%llu mode=%s", (unsigned long long)addr,
			      (unsigned long long)len, mode);
	return 0;
}

static int watchpoint_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out,
			     int *n)
{
	return expand_watchpoint(PT_WATCHPOINT, "watchpoint", spec, loc, d, out, n);
}

static int asyncwatchpoint_expand(const char *spec, srcloc loc, struct diag *d,
				  struct probe_target **out, int *n)
{
	return expand_watchpoint(PT_ASYNCWATCHPOINT, "asyncwatchpoint", spec, loc, d, out, n);
}

static char *watchpoint_section(const struct probe_target *t)
{
	(void)t;
	return xstrdup("perf_event");
}

static int open_breakpoint(struct perf_event_attr *attr, int tid, int cpu, struct bpf_program *prog,
			   struct rt_links *l, char *errbuf, size_t errlen)
{
	int pfd = (int)syscall(SYS_perf_event_open, attr, tid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		int err = -errno;
		if (tid >= 0)
			snprintf(errbuf, errlen, "perf_event_open (hardware breakpoint) on thread %d: %s", tid,
				 strerror(-err));
		else
			snprintf(errbuf, errlen, "perf_event_open (hardware breakpoint) on CPU %d: %s", cpu,
				 strerror(-err));
		return err;
	}
	return probe_attach_perf_fd(prog, pfd, l, errbuf, errlen);
}

/* One breakpoint per thread of pid (new threads inherit theirs). */
static int attach_threads(struct perf_event_attr *attr, int pid, struct bpf_program *prog,
			  struct rt_links *l, char *errbuf, size_t errlen)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *dir = opendir(path);
	if (!dir) {
		int err = -errno;
		snprintf(errbuf, errlen, "cannot list the threads of process %d: %s", pid, strerror(-err));
		return err;
	}
	int err = 0;
	struct dirent *e;
	while (!err && (e = readdir(dir)))
		if (e->d_name[0] != '.')
			err = open_breakpoint(attr, atoi(e->d_name), -1, prog, l, errbuf, errlen);
	closedir(dir);
	return err;
}

static int watchpoint_attach(const struct desc_probe *p, struct bpf_program *prog,
			     struct rt_links *l, char *errbuf, size_t errlen)
{
	unsigned long long addr, len;
	char mode[4];
	if (sscanf(p->target, "addr=%llu len=%llu mode=%3s", &addr, &len, mode) != 3) {
		snprintf(errbuf, errlen, "bad watchpoint '%s'", p->target);
		return -EINVAL;
	}
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_EMPTY,
		.bp_addr = addr,
		.sample_period = 1, /* every access */
		.inherit = 1,       /* threads created later too */
	};
	for (const char *c = mode; *c; c++)
		attr.bp_type |= *c == 'r' ? HW_BREAKPOINT_R : *c == 'w' ? HW_BREAKPOINT_W : HW_BREAKPOINT_X;
	/* an execute breakpoint covers an instruction: the kernel wants long */
	attr.bp_len = (attr.bp_type & HW_BREAKPOINT_X) ? sizeof(long) : len;
	int pid = probe_target_pid();
	if (pid > 0)
		return attach_threads(&attr, pid, prog, l, errbuf, errlen);
	attr.inherit = 0; /* per-CPU events cannot inherit */
	int *cpus;
	int n = probe_online_cpus(&cpus);
	if (n < 0) {
		snprintf(errbuf, errlen, "cannot list online CPUs: %s", strerror(-n));
		return n;
	}
	int err = 0;
	for (int i = 0; i < n && !err; i++)
		err = open_breakpoint(&attr, -1, cpus[i], prog, l, errbuf, errlen);
	free(cpus);
	return err;
}

static const char *watchpoint_attach_hint(int err)
{
	if (err == -ENOSPC)
		return "every debug register is in use (x86-64 has 4 per thread)";
	if (err == -EINVAL)
		return "the address must be aligned to the length, and a user address needs -p PID or -c CMD";
	if (err == -ENOENT || err == -EOPNOTSUPP)
		return "this machine has no hardware breakpoints";
	return NULL;
}

const struct probe_provider probe_watchpoint = {
	.name = "watchpoint",
	.aliases = { "w", NULL },
	.type = PT_WATCHPOINT,
	.filter_self = true,
	.expand = watchpoint_expand,
	.section = watchpoint_section,
	.attach = watchpoint_attach,
	.attach_hint = watchpoint_attach_hint,
};

const struct probe_provider probe_asyncwatchpoint = {
	.name = "asyncwatchpoint",
	.aliases = { "aw", NULL },
	.type = PT_ASYNCWATCHPOINT,
	.filter_self = true,
	.expand = asyncwatchpoint_expand,
	.section = watchpoint_section,
	.attach = watchpoint_attach,
	.attach_hint = watchpoint_attach_hint,
};
