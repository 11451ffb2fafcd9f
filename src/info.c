/* info.c - `sonde --info` (include/info.h).
 *
 * Every verdict names what it looked at: a kernel config option (from
 * /proc/config.gz or /boot/config-RELEASE), a file under /sys, a
 * capability, or sonde itself lacking the probe type, so that "no" always
 * comes with a reason and a way forward. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include <bpf/libbpf.h>
#include <llvm/Config/llvm-config.h>

#include "btf.h"
#include "info.h"
#include "language.h"
#include "probe.h"
#include "sonde.h"
#include "util.h"

/* ---- the kernel's build configuration --------------------------------------------------- */

struct kconfig {
	char *text;        /* the whole config, NULL when none was found */
	char source[128];  /* where it came from */
};

static char *read_gz(const char *path)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = xmalloc(cap);
	int got;
	while ((got = gzread(f, buf + len, (unsigned)(cap - len - 1))) > 0) {
		len += (size_t)got;
		if (len + 1 == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	gzclose(f);
	if (got < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static void kconfig_load(struct kconfig *k, const char *release)
{
	char path[128];
	k->text = read_gz("/proc/config.gz");
	if (k->text) {
		snprintf(k->source, sizeof(k->source), "/proc/config.gz");
		return;
	}
	/* gzread reads plain files too */
	snprintf(path, sizeof(path), "/boot/config-%s", release);
	k->text = read_gz(path);
	snprintf(k->source, sizeof(k->source), "%s", k->text ? path : "");
}

/* 'y', 'm', 'n' (not set), or '?' when the config is unknown. */
static char kconfig_get(const struct kconfig *k, const char *name)
{
	if (!k->text)
		return '?';
	size_t len = strlen(name);
	for (const char *p = k->text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, len) == 0 && p[len] == '=')
			return p[len + 1] == 'm' ? 'm' : 'y';
		if (strncmp(p, "# ", 2) == 0 && strncmp(p + 2, name, len) == 0 && p[len + 2] == ' ')
			return 'n';
	}
	return 'n';
}

/* ---- what the process may do ----------------------------------------------------------- */

enum { CAP_SYS_ADMIN_BIT = 21, CAP_PERFMON_BIT = 38, CAP_BPF_BIT = 39 };

static unsigned long long effective_caps(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long caps = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0)
			caps = strtoull(line + 7, NULL, 16);
	fclose(f);
	return caps;
}

static bool has_cap(unsigned long long caps, int bit)
{
	return (caps >> bit) & 1;
}

static bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* ---- the machine ------------------------------------------------------------------------ */

struct machine {
	struct utsname uts;
	struct kconfig config;
	bool privileged;        /* may load tracing programs */
	const char *tracefs;    /* NULL: none */
	bool btf;
	bool perf_events;
};

/* A probe type's verdict: works, or why not and what to do. */
struct verdict {
	bool works;
	char why[256];
	char fix[256];
};

static bool no(struct verdict *v, const char *why, const char *fix)
{
	v->works = false;
	snprintf(v->why, sizeof(v->why), "%s", why);
	snprintf(v->fix, sizeof(v->fix), "%s", fix);
	return false;
}

/* A config option that must be set: false (and the verdict) when it is
 * known to be unset; an unknown config passes (the other checks decide). */
static bool need_config(const struct machine *m, struct verdict *v, const char *option, const char *fix)
{
	if (kconfig_get(&m->config, option) != 'n')
		return true;
	char why[200];
	snprintf(why, sizeof(why), "the kernel is built without %s (\"# %s is not set\" in %s)", option,
		 option, m->config.source);
	return no(v, why, fix);
}

static bool need_privilege(const struct machine *m, struct verdict *v)
{
	if (m->privileged)
		return true;
	return no(v, "sonde lacks CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) to load tracing programs",
		  "run sonde as root (sudo sonde ...)");
}

static bool need_tracefs(const struct machine *m, struct verdict *v)
{
	if (m->tracefs)
		return true;
	return no(v, "tracefs is not mounted at /sys/kernel/tracing (nor debugfs at /sys/kernel/debug) "
		     "and sonde could not mount it",
		  "mount -t tracefs tracefs /sys/kernel/tracing (as root)");
}

static bool need_btf(const struct machine *m, struct verdict *v)
{
	if (m->btf)
		return true;
	return no(v, "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing)",
		  "use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
}

static bool need_pmu(struct verdict *v, const char *pmu, const char *option)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s", pmu);
	if (path_exists(path))
		return true;
	char why[200], fix[200];
	snprintf(why, sizeof(why), "the kernel has no '%s' perf event source (%s is missing)", pmu, path);
	snprintf(fix, sizeof(fix), "use a kernel built with %s=y", option);
	return no(v, why, fix);
}

/* Whether the CPU's cycle counter can be opened: VMs often expose no PMU. */
static bool hardware_counters(struct verdict *v)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_HARDWARE, .size = sizeof(attr),
					 .config = PERF_COUNT_HW_CPU_CYCLES, .disabled = 1,
					 .exclude_kernel = 0 };
	long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd >= 0) {
		close((int)fd);
		return true;
	}
	char why[200];
	snprintf(why, sizeof(why), "the CPU's cycle counter cannot be opened (%s): no hardware PMU is "
		 "exposed (common in virtual machines)", strerror(errno));
	return no(v, why, "use software:cpu-clock or profile:hz:99 instead, or a machine (VM) that "
		  "passes the PMU through");
}

static void sonde_lacks(struct verdict *v, const char *type, const char *instead)
{
	char why[200];
	snprintf(why, sizeof(why), "sonde does not support %s probes yet", type);
	no(v, why, instead);
}

/* Loading an fentry program: some kernels refuse them even to root. */
static bool need_trampolines(struct verdict *v)
{
	int err = probe_trampoline_load(false);
	if (err == 0)
		return true;
	char why[200];
	snprintf(why, sizeof(why), "the kernel refuses to load fentry programs (%s)%s", strerror(-err),
		 err == -EPERM ? ": a policy of this kernel, not a missing option" : "");
	return no(v, why, "use tracepoint: or rawtracepoint: probes where one fits (`sonde -l 'tracepoint:*'`)");
}

/* The verdict for one of bpftrace's probe types on this machine. */
static void judge(const struct machine *m, const struct lang_probe_type *pt, struct verdict *v)
{
	const char *noktrace = "use tracepoint: or rawtracepoint: probes where one fits "
			       "(`sonde -l 'tracepoint:*'`), or a kernel built with CONFIG_KPROBES=y";
	*v = (struct verdict){ .works = true };
	switch (pt->id) {
	case LP_BEGIN: case LP_END: case LP_SELF:
		need_privilege(m, v);
		return;
	case LP_TEST: case LP_BENCH:
		sonde_lacks(v, pt->name, "nothing on this machine: they are blocks of bpftrace's test runner, not kernel probes");
		return;
	case LP_KPROBE: case LP_KRETPROBE:
		if (need_config(m, v, "CONFIG_KPROBES", noktrace) &&
		    need_config(m, v, "CONFIG_KPROBE_EVENTS", noktrace) && need_pmu(v, "kprobe", "CONFIG_KPROBES"))
			need_privilege(m, v);
		return;
	case LP_UPROBE: case LP_URETPROBE: case LP_USDT:
		if (need_config(m, v, "CONFIG_UPROBES", "use a kernel built with CONFIG_UPROBES=y") &&
		    need_config(m, v, "CONFIG_UPROBE_EVENTS", "use a kernel built with CONFIG_UPROBE_EVENTS=y") &&
		    need_pmu(v, "uprobe", "CONFIG_UPROBE_EVENTS"))
			need_privilege(m, v);
		return;
	case LP_TRACEPOINT:
		if (need_config(m, v, "CONFIG_TRACEPOINTS", "use a kernel built with CONFIG_TRACEPOINTS=y") &&
		    need_config(m, v, "CONFIG_BPF_EVENTS", "use a kernel built with CONFIG_BPF_EVENTS=y") &&
		    need_privilege(m, v)) /* tracefs is root's to read */
			need_tracefs(m, v);
		return;
	case LP_RAWTRACEPOINT:
		if (need_config(m, v, "CONFIG_TRACEPOINTS", "use a kernel built with CONFIG_TRACEPOINTS=y") &&
		    need_config(m, v, "CONFIG_BPF_EVENTS", "use a kernel built with CONFIG_BPF_EVENTS=y"))
			need_privilege(m, v);
		return;
	case LP_PROFILE: case LP_INTERVAL: case LP_SOFTWARE:
		if (need_config(m, v, "CONFIG_PERF_EVENTS", "use a kernel built with CONFIG_PERF_EVENTS=y"))
			need_privilege(m, v);
		return;
	case LP_HARDWARE:
		if (need_config(m, v, "CONFIG_PERF_EVENTS", "use a kernel built with CONFIG_PERF_EVENTS=y") &&
		    need_privilege(m, v))
			hardware_counters(v);
		return;
	case LP_WATCHPOINT: case LP_ASYNCWATCHPOINT:
		if (need_config(m, v, "CONFIG_HAVE_HW_BREAKPOINT", "use a kernel built with CONFIG_HAVE_HW_BREAKPOINT=y") &&
		    need_pmu(v, "breakpoint", "CONFIG_HAVE_HW_BREAKPOINT"))
			need_privilege(m, v);
		return;
	case LP_FENTRY: case LP_FEXIT:
		if (need_btf(m, v) &&
		    need_config(m, v, "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS",
				"use a kernel built with CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y (BPF trampolines)") &&
		    need_privilege(m, v))
			need_trampolines(v);
		return;
	case LP_ITER:
		if (need_btf(m, v))
			need_privilege(m, v);
		return;
	case LP__COUNT:
		break;
	}
}

/* ---- the report ------------------------------------------------------------------------- */

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void print_system(FILE *out, const struct machine *m)
{
	fprintf(out, "System\n  OS: %s %s %s\n  Arch: %s\n\n", m->uts.sysname, m->uts.release, m->uts.version,
		m->uts.machine);
}

/* libdw is linked in (uprobe `args` and -lv from a binary's DWARF): said
 * with bpftrace's words, which its test runner and users look for. */
static void print_build(FILE *out)
{
	fprintf(out, "Build\n  version: v%s\n  LLVM: %s\n  libbpf: %s\n  libdw (DWARF support): yes\n\n",
		SONDE_VERSION, LLVM_VERSION_STRING, libbpf_version_string());
}

static bool kernel_at_least(const struct machine *m, int major, int minor)
{
	int ma = 0, mi = 0;
	if (sscanf(m->uts.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static void print_config_line(FILE *out, const struct machine *m, const char *option)
{
	char c = kconfig_get(&m->config, option);
	fprintf(out, "  %s: %s\n", option, c == 'y' ? "y" : c == 'm' ? "m" : c == 'n' ? "not set" : "unknown");
}

static void print_kernel(FILE *out, const struct machine *m, unsigned long long caps)
{
	static const char *const options[] = {
		"CONFIG_BPF_SYSCALL", "CONFIG_BPF_JIT", "CONFIG_BPF_EVENTS", "CONFIG_DEBUG_INFO_BTF",
		"CONFIG_TRACEPOINTS", "CONFIG_KPROBES", "CONFIG_KPROBE_EVENTS", "CONFIG_UPROBES",
		"CONFIG_UPROBE_EVENTS", "CONFIG_PERF_EVENTS", "CONFIG_HAVE_HW_BREAKPOINT",
		"CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS", "CONFIG_FPROBE",
	};
	fputs("Kernel features\n", out);
	fprintf(out, "  kernel config: %s\n", m->config.text ? m->config.source :
		"unknown (no /proc/config.gz, no /boot/config-RELEASE)");
	fprintf(out, "  btf: %s\n", m->btf ? "yes" : "no (/sys/kernel/btf/vmlinux is missing)");
	fprintf(out, "  tracefs: %s\n", m->tracefs ? m->tracefs : "not mounted");
	fprintf(out, "  ring buffer: %s\n", yes_no(m->privileged &&
						    libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1));
	fprintf(out, "  CAP_BPF: %s\n  CAP_PERFMON: %s\n  CAP_SYS_ADMIN: %s\n", yes_no(has_cap(caps, CAP_BPF_BIT)),
		yes_no(has_cap(caps, CAP_PERFMON_BIT)), yes_no(has_cap(caps, CAP_SYS_ADMIN_BIT)));
	/* bounded loops (5.3), map batch operations (5.6), multi-kprobe links
	 * (5.18, on fprobe), kprobe sessions (6.10) and multi-uprobe links
	 * (6.6) came with these kernel versions */
	/* without a config to read (Debian's kernel in the guest: no
	 * /proc/config.gz), try a kprobe_multi link rather than guess */
	char fprobe_set = kconfig_get(&m->config, "CONFIG_FPROBE");
	bool fprobe = fprobe_set == '?' ? m->privileged && kprobe_multi_available() : fprobe_set != 'n';
	fprintf(out, "  Loop support: %s\n  map batch: %s\n", yes_no(kernel_at_least(m, 5, 3)),
		yes_no(kernel_at_least(m, 5, 6)));
	fprintf(out, "  kprobe_multi: %s\n  kprobe_session: %s\n  uprobe_multi: %s\n",
		yes_no(fprobe && kernel_at_least(m, 5, 18)), yes_no(fprobe && kernel_at_least(m, 6, 10)),
		yes_no(kernel_at_least(m, 6, 6) && kconfig_get(&m->config, "CONFIG_UPROBES") != 'n'));
	/* what kprobe_fentry.c decides with (root only: it loads a program) */
	fprintf(out, "  kprobe as fentry: %s\n",
		kprobe_fentry_mode() == KPROBE_FENTRY_NEVER ? "no (SONDE_KPROBE_FENTRY=0)"
		: !m->privileged ? "unknown (needs root)"
		: kprobe_fentry_trampolines() ? "yes (BPF trampolines; SONDE_KPROBE_FENTRY=0 turns it off)"
		: "no (this kernel does not attach BPF trampolines)");
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		print_config_line(out, m, options[i]);
	fputc('\n', out);
}

/* bpftrace's feature lines, as its --info names them: its test runner
 * (and scripts written for it) read "NAME: yes" from them. */
static void print_bpftrace_features(FILE *out, const struct machine *m)
{
	static const struct {
		const char *name;
		enum bpf_prog_type prog;
		enum bpf_func_id helper;
	} helpers[] = {
		{ "probe_read", BPF_PROG_TYPE_KPROBE, BPF_FUNC_probe_read },
		{ "probe_read_str", BPF_PROG_TYPE_KPROBE, BPF_FUNC_probe_read_str },
		{ "probe_read_user", BPF_PROG_TYPE_KPROBE, BPF_FUNC_probe_read_user },
		{ "probe_read_user_str", BPF_PROG_TYPE_KPROBE, BPF_FUNC_probe_read_user_str },
		{ "probe_read_kernel", BPF_PROG_TYPE_KPROBE, BPF_FUNC_probe_read_kernel },
		{ "probe_read_kernel_str", BPF_PROG_TYPE_KPROBE, BPF_FUNC_probe_read_kernel_str },
		{ "get_current_cgroup_id", BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_current_cgroup_id },
		{ "send_signal", BPF_PROG_TYPE_KPROBE, BPF_FUNC_send_signal },
		{ "override_return", BPF_PROG_TYPE_KPROBE, BPF_FUNC_override_return },
		{ "get_boot_ns", BPF_PROG_TYPE_KPROBE, BPF_FUNC_ktime_get_boot_ns },
		{ "get_ktime_ns", BPF_PROG_TYPE_KPROBE, BPF_FUNC_ktime_get_ns },
		{ "get_tai_ns", BPF_PROG_TYPE_KPROBE, BPF_FUNC_ktime_get_tai_ns },
		{ "get_func_ip", BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_func_ip },
		{ "jiffies64", BPF_PROG_TYPE_KPROBE, BPF_FUNC_jiffies64 },
		{ "lookup_percpu_elem", BPF_PROG_TYPE_KPROBE, BPF_FUNC_map_lookup_percpu_elem },
		{ "dpath", BPF_PROG_TYPE_TRACING, BPF_FUNC_d_path },
		{ "skboutput", BPF_PROG_TYPE_TRACING, BPF_FUNC_skb_output },
	};
	static const struct {
		const char *name;
		enum bpf_map_type type;
	} maps[] = {
		{ "hash", BPF_MAP_TYPE_HASH }, { "percpu hash", BPF_MAP_TYPE_PERCPU_HASH },
		{ "array", BPF_MAP_TYPE_ARRAY }, { "percpu array", BPF_MAP_TYPE_PERCPU_ARRAY },
		{ "stack_trace", BPF_MAP_TYPE_STACK_TRACE }, { "perf_event_array", BPF_MAP_TYPE_PERF_EVENT_ARRAY },
		{ "ringbuf", BPF_MAP_TYPE_RINGBUF },
	};
	/* without privileges nothing loads: every probe would say no */
	fputs("Kernel helpers\n", out);
	for (size_t i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
		fprintf(out, "  %s: %s\n", helpers[i].name,
			yes_no(m->privileged && libbpf_probe_bpf_helper(helpers[i].prog, helpers[i].helper, NULL) == 1));
	fputs("\nMap types\n", out);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		fprintf(out, "  %s: %s\n", maps[i].name,
			yes_no(m->privileged && libbpf_probe_bpf_map_type(maps[i].type, NULL) == 1));
	fputc('\n', out);
}

static void print_probe_types(FILE *out, const struct machine *m)
{
	fputs("Probe types\n", out);
	for (int i = 0; i < lang_nprobe_types; i++) {
		struct verdict v;
		judge(m, &lang_probe_types[i], &v);
		if (v.works) {
			fprintf(out, "  %s: yes\n", lang_probe_types[i].name);
			continue;
		}
		fprintf(out, "  %s: no: %s\n", lang_probe_types[i].name, v.why);
		fprintf(out, "    what to do: %s\n", v.fix);
	}
}

static unsigned long long machine_load(struct machine *m)
{
	if (uname(&m->uts) < 0)
		snprintf(m->uts.sysname, sizeof(m->uts.sysname), "unknown");
	kconfig_load(&m->config, m->uts.release);
	unsigned long long caps = effective_caps();
	m->privileged = has_cap(caps, CAP_SYS_ADMIN_BIT) ||
			(has_cap(caps, CAP_BPF_BIT) && has_cap(caps, CAP_PERFMON_BIT));
	m->tracefs = tracefs_path();
	m->btf = path_exists("/sys/kernel/btf/vmlinux");
	return caps;
}

bool info_probe_type_works(const char *type, char *why, size_t why_size, char *fix, size_t fix_size)
{
	const struct lang_probe_type *pt = lang_probe_type_find(type);
	if (!pt) {
		snprintf(why, why_size, "there is no probe type '%s'", type);
		snprintf(fix, fix_size, "sonde --help-topic lists the probe types");
		return false;
	}
	struct machine m = { 0 };
	machine_load(&m);
	struct verdict v;
	judge(&m, pt, &v);
	free(m.config.text);
	snprintf(why, why_size, "%s", v.works ? "" : v.why);
	snprintf(fix, fix_size, "%s", v.works ? "" : v.fix);
	return v.works;
}

int info_print(FILE *out)
{
	struct machine m = { 0 };
	unsigned long long caps = machine_load(&m);
	print_system(out, &m);
	print_build(out);
	print_kernel(out, &m, caps);
	print_bpftrace_features(out, &m);
	print_probe_types(out, &m);
	free(m.config.text);
	return 0;
}
