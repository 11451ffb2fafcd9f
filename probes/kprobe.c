/* kprobe.c - `kprobe:FUNCTION` (alias `k`) and `kretprobe:FUNCTION` (`kr`).
 *
 * FUNCTION is a kernel function name, NAME+OFFSET (kprobe only), or a
 * pattern with bpftrace's wildcards (`vfs_*`: one probe per function);
 * `kprobe:MODULE:FUNCTION` limits it to one module, or to the modules a
 * pattern matches (`vmlinu*:vfs_read`, `*:fn`: one probe per module that
 * has it, named "kprobe:MODULE:FUNCTION"; latest bpftrace's syntax).
 * `kprobe:ADDRESS` (with --unsafe, as in bpftrace) probes a kernel address
 * as it is. The functions are those the kernel lists in tracefs'
 * available_filter_functions, less its kprobe blacklist: an exact name
 * outside them is an error with the closest name, a wildcard skips them.
 *
 * Everything is checked while compiling: a kernel without kprobes (no
 * CONFIG_KPROBES / CONFIG_KPROBE_EVENTS, like the machine sonde is
 * developed on) is an error that names the missing option and the
 * tracepoint that covers the same event, where there is one.
 *
 * Each target is its own kprobe (libbpf's perf-event kprobe) unless the
 * kernel has kprobe_multi links (CONFIG_FPROBE, 5.18+): then the targets of
 * one wildcard share one program and one link. Debian 12's 6.1 kernel has
 * no FPROBE, so the one-per-function path is what its users get.
 *
 * The context is the kernel's struct pt_regs: argN are the calling
 * convention's argument registers, retval the return register, `func` the
 * probed function (bpf_get_func_ip). Where the kernel has BPF trampolines
 * and nothing in the actions needs a kprobe, a target runs as fentry/fexit
 * instead, keeping its name and meaning (probes/kprobe_fentry.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "ast.h"
#include "cg.h"
#include "kallsyms.h"
#include "probe.h"
#include "suggest.h"

/* Offsets in struct pt_regs (x86_64) of the argument registers (rdi, rsi,
 * rdx, rcx, r8, r9) and rax, as in probes/uprobe.c. */
#if defined(__x86_64__)
static const uint32_t arg_regs[] = { 112, 104, 96, 88, 72, 64 };
#define RETVAL_REG 80u
#elif defined(__aarch64__)
static const uint32_t arg_regs[] = { 0, 8, 16, 24, 32, 40, 48, 56 };
#define RETVAL_REG 0u
#else
#error "kprobe argument registers are not known for this architecture"
#endif
#define NARG_REGS (int)(sizeof(arg_regs) / sizeof(arg_regs[0]))

#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe"
#define KPROBE_BLACKLIST "/sys/kernel/debug/kprobes/blacklist"

/* ---- the kernel's functions ------------------------------------------------- */

struct kfunc {
	char *name;
	char *module; /* NULL: vmlinux */
};

struct kfunc_list {
	struct kfunc *funcs; /* sorted by name, then module; duplicates removed */
	int n;
	char **blacklist;    /* sorted */
	int nblack;
	int err;             /* errno of reading available_filter_functions; 0 = read */
	bool loaded;
};

static struct kfunc_list kfuncs;

static int kfunc_cmp(const void *a, const void *b)
{
	const struct kfunc *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (!x->module || !y->module)
		return !!x->module - !!y->module;
	return strcmp(x->module, y->module);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "name" or "name [module]", one a line. */
static void read_functions(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		kfuncs.err = errno;
		return;
	}
	char line[512];
	int cap = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *sp = strchr(line, ' ');
		char *module = NULL;
		if (sp) {
			*sp = '\0';
			char *open = strchr(sp + 1, '['), *close = open ? strchr(open, ']') : NULL;
			if (open && close)
				module = xstrndup(open + 1, (size_t)(close - open - 1));
		}
		if (!line[0]) {
			free(module);
			continue;
		}
		if (kfuncs.n == cap) {
			cap = cap ? cap * 2 : 4096;
			kfuncs.funcs = xrealloc(kfuncs.funcs, sizeof(*kfuncs.funcs) * (size_t)cap);
		}
		kfuncs.funcs[kfuncs.n++] = (struct kfunc){ xstrdup(line), module };
	}
	fclose(f);
	if (kfuncs.n > 1) /* qsort(NULL, 0) is undefined */
		qsort(kfuncs.funcs, (size_t)kfuncs.n, sizeof(*kfuncs.funcs), kfunc_cmp);
	/* static functions of one name in several files: one probe each name */
	int w = 0;
	for (int r = 0; r < kfuncs.n; r++) {
		if (w > 0 && kfunc_cmp(&kfuncs.funcs[w - 1], &kfuncs.funcs[r]) == 0) {
			free(kfuncs.funcs[r].name);
			free(kfuncs.funcs[r].module);
			continue;
		}
		kfuncs.funcs[w++] = kfuncs.funcs[r];
	}
	kfuncs.n = w;
}

/* "0xstart-0xend\tsymbol" lines (debugfs; missing without it: then the
 * kernel's refusal at attach time is the check). */
static void read_blacklist(void)
{
	FILE *f = fopen(KPROBE_BLACKLIST, "re");
	if (!f)
		return;
	char line[512];
	int cap = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *tab = strrchr(line, '\t');
		const char *sym = tab ? tab + 1 : strrchr(line, ' ') ? strrchr(line, ' ') + 1 : NULL;
		if (!sym || !*sym)
			continue;
		if (kfuncs.nblack == cap) {
			cap = cap ? cap * 2 : 512;
			kfuncs.blacklist = xrealloc(kfuncs.blacklist, sizeof(char *) * (size_t)cap);
		}
		kfuncs.blacklist[kfuncs.nblack++] = xstrdup(sym);
	}
	fclose(f);
	if (kfuncs.nblack > 1)
		util_sort(kfuncs.blacklist, (size_t)kfuncs.nblack, sizeof(char *), str_cmp);
}

static const struct kfunc_list *kfunc_list(void)
{
	if (kfuncs.loaded)
		return &kfuncs;
	kfuncs.loaded = true;
	const char *root = tracefs_path();
	if (!root) {
		kfuncs.err = ENOENT;
		return &kfuncs;
	}
	char *path = xasprintf("%s/available_filter_functions", root);
	read_functions(path);
	free(path);
	read_blacklist();
	return &kfuncs;
}

static bool on_blacklist(const char *name)
{
	const struct kfunc_list *k = kfunc_list();
	return k->nblack && bsearch(&name, k->blacklist, (size_t)k->nblack, sizeof(char *), str_cmp);
}

/* Cannot be probed: the kernel's kprobe blacklist, and the functions whose
 * probes stall it (rcu_*, idle: kernel_func_unstable). */
static bool blacklisted(const char *name)
{
	return on_blacklist(name) || kernel_func_unstable(name);
}

/* f is in MODULE: anywhere when MODULE is NULL, the kernel proper for
 * "vmlinux" (as bpftrace names it). */
static bool in_module(const struct kfunc *f, const char *module)
{
	if (!module)
		return true;
	return probe_wildcard_match(module, f->module ? f->module : "vmlinux");
}

/* The entry for NAME (in MODULE, or anywhere when MODULE is NULL). */
static const struct kfunc *kfunc_find(const char *name, const char *module)
{
	const struct kfunc_list *k = kfunc_list();
	int lo = 0, hi = k->n;
	while (lo < hi) { /* the first entry of that name */
		int mid = (lo + hi) / 2;
		if (strcmp(k->funcs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int i = lo; i < k->n && strcmp(k->funcs[i].name, name) == 0; i++)
		if (in_module(&k->funcs[i], module))
			return &k->funcs[i];
	return NULL;
}

/* Symbols at one address have one name in available_filter_functions:
 * __x64_sys_getuid and its alias __ia32_sys_getuid are one function, listed
 * under one of them. NAME is traceable when kallsyms gives it the address of
 * a function that is listed (under another name). */
static bool alias_of_listed(const char *name)
{
	uint64_t addr;
	char *near = NULL;
	if (kallsyms_lookup(KALLSYMS_PATH, name, &addr, &near) != KALLSYMS_FOUND) {
		free(near);
		return false;
	}
	FILE *f = fopen(KALLSYMS_PATH, "re");
	if (!f)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		char sym[256], type;
		unsigned long long a;
		if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 && a == addr && strcmp(sym, name) != 0 &&
		    (type == 't' || type == 'T'))
			found = kfunc_find(sym, NULL) && !blacklisted(sym);
	}
	fclose(f);
	return found;
}

/* ---- does this kernel have kprobes? ------------------------------------------ */

/* libbpf attaches through the kprobe PMU, or kprobe_events where the
 * kernel has no PMU: either needs CONFIG_KPROBES and CONFIG_KPROBE_EVENTS. */
static bool have_kprobes(void)
{
	const char *env = getenv("SONDE_KPROBES"); /* tests: 0 = act as a kernel without them */
	if (env && strcmp(env, "0") == 0)
		return false;
	if (access(KPROBE_PMU, F_OK) == 0)
		return true;
	const char *root = tracefs_path();
	if (!root)
		return false;
	char *events = xasprintf("%s/kprobe_events", root);
	bool ok = access(events, F_OK) == 0;
	free(events);
	return ok;
}

/* A tracepoint that fires at the same event as kernel function fn, for a
 * kernel without kprobes. The well-known ones by table; a syscall's
 * entry points (__x64_sys_X, __do_sys_X, ksys_X) by their syscall; else
 * a tracepoint of the same name in any category. */
static const struct {
	const char *func, *entry, *ret;
} same_event[] = {
	{ "do_sys_open", "syscalls:sys_enter_open", "syscalls:sys_exit_open" },
	{ "do_sys_openat2", "syscalls:sys_enter_openat", "syscalls:sys_exit_openat" },
	{ "do_filp_open", "syscalls:sys_enter_openat", "syscalls:sys_exit_openat" },
	{ "vfs_open", "syscalls:sys_enter_openat", "syscalls:sys_exit_openat" },
	{ "vfs_read", "syscalls:sys_enter_read", "syscalls:sys_exit_read" },
	{ "vfs_write", "syscalls:sys_enter_write", "syscalls:sys_exit_write" },
	{ "do_nanosleep", "syscalls:sys_enter_clock_nanosleep", "syscalls:sys_exit_clock_nanosleep" },
	{ "hrtimer_nanosleep", "syscalls:sys_enter_clock_nanosleep", "syscalls:sys_exit_clock_nanosleep" },
	{ "kernel_clone", "sched:sched_process_fork", "sched:sched_process_fork" },
	{ "_do_fork", "sched:sched_process_fork", "sched:sched_process_fork" },
	{ "do_exit", "sched:sched_process_exit", "sched:sched_process_exit" },
	{ "do_execveat_common", "sched:sched_process_exec", "sched:sched_process_exec" },
	{ "blk_mq_start_request", "block:block_rq_issue", "block:block_rq_issue" },
	{ "blk_account_io_start", "block:block_io_start", "block:block_io_start" },
	{ "blk_account_io_done", "block:block_rq_complete", "block:block_rq_complete" },
	{ "blk_mq_end_request", "block:block_rq_complete", "block:block_rq_complete" },
	{ "tcp_connect", "sock:inet_sock_set_state", "sock:inet_sock_set_state" },
	{ "tcp_v4_connect", "sock:inet_sock_set_state", "sock:inet_sock_set_state" },
	{ "tcp_v6_connect", "sock:inet_sock_set_state", "sock:inet_sock_set_state" },
	{ "inet_csk_accept", "sock:inet_sock_set_state", "sock:inet_sock_set_state" },
	{ "tcp_set_state", "sock:inet_sock_set_state", "sock:inet_sock_set_state" },
	{ "handle_mm_fault", "exceptions:page_fault_user", "exceptions:page_fault_user" },
	{ "schedule", "sched:sched_switch", "sched:sched_switch" },
	{ "__schedule", "sched:sched_switch", "sched:sched_switch" },
	{ "try_to_wake_up", "sched:sched_waking", "sched:sched_wakeup" },
};

static bool tracepoint_exists(const char *cat_event)
{
	const char *root = tracefs_path();
	if (!root)
		return false;
	char *dir = xasprintf("%s/events/%.*s/%s", root, (int)strcspn(cat_event, ":"), cat_event,
			      strchr(cat_event, ':') + 1);
	bool ok = access(dir, F_OK) == 0;
	free(dir);
	return ok;
}

static char *covering_tracepoint(const char *fn, bool ret)
{
	for (size_t i = 0; i < sizeof(same_event) / sizeof(same_event[0]); i++)
		if (strcmp(same_event[i].func, fn) == 0) {
			const char *tp = ret ? same_event[i].ret : same_event[i].entry;
			return tracepoint_exists(tp) ? xstrdup(tp) : NULL;
		}
	static const char *const sys_prefixes[] = { "__x64_sys_", "__arm64_sys_", "__se_sys_",
						    "__do_sys_", "__sys_", "ksys_", "do_sys_", "sys_" };
	for (size_t i = 0; i < sizeof(sys_prefixes) / sizeof(sys_prefixes[0]); i++) {
		size_t len = strlen(sys_prefixes[i]);
		if (strncmp(fn, sys_prefixes[i], len) != 0 || !fn[len])
			continue;
		char *tp = xasprintf("syscalls:sys_%s_%s", ret ? "exit" : "enter", fn + len);
		if (tracepoint_exists(tp))
			return tp;
		free(tp);
	}
	if (strchr(fn, '*'))
		return NULL;
	char *tp = tracepoint_closest("", fn); /* an event of this exact name anywhere */
	if (tp && strcmp(strchr(tp, ':') + 1, fn) != 0) {
		free(tp);
		tp = NULL;
	}
	return tp;
}

/* ---- expansion ---------------------------------------------------------------- */

struct kspec {
	char *module;   /* NULL: any */
	char *func;     /* name or pattern, without +OFFSET */
	char *offset;   /* "+N" as written, or NULL */
};

static void kspec_free(struct kspec *s)
{
	free(s->module);
	free(s->func);
	free(s->offset);
}

static bool parse_spec(const char *spec, struct kspec *s)
{
	memset(s, 0, sizeof(*s));
	const char *colon = strchr(spec, ':');
	const char *fn = spec;
	if (colon) {
		s->module = xstrndup(spec, (size_t)(colon - spec));
		fn = colon + 1;
	}
	const char *plus = strchr(fn, '+');
	s->func = plus ? xstrndup(fn, (size_t)(plus - fn)) : xstrdup(fn);
	if (plus) {
		char *end;
		errno = 0;
		unsigned long long off = strtoull(plus + 1, &end, 0);
		(void)off;
		if (!plus[1] || *end || errno || plus[1] == '-')
			return false;
		s->offset = xstrdup(plus);
	}
	return *s->func && !strchr(s->func, ':') && (!s->module || *s->module);
}

static bool has_wildcard(const char *s)
{
	return strchr(s, '*') != NULL;
}

/* The attach point's name and the kernel's name of the function: "mod:fn" when
 * the script names the module (the kernel resolves that form, and picks
 * the module's function when vmlinux has one of the same name). */
static void push_target(enum probe_type type, const char *provider, const struct kspec *s,
			const char *module, const char *fn, struct probe_target **out, int *n)
{
	struct probe_target *t = probe_target_push(out, n);
	/* "+4" as bpftrace names it (decimal; none for +0); the kernel gets the same */
	unsigned long long offset = s->offset ? strtoull(s->offset + 1, NULL, 0) : 0;
	char *off = offset ? xasprintf("+%llu", offset) : xstrdup("");
	t->type = type;
	if (s->module) {
		t->name = xasprintf("%s:%s:%s%s", provider, module, fn, off);
		/* the kernel knows vmlinux's functions by their names alone */
		if (strcmp(module, "vmlinux") == 0)
			t->target = xasprintf("%s%s", fn, off);
		else
			t->target = xasprintf("%s:%s%s", module, fn, off);
	} else {
		t->name = xasprintf("%s:%s%s", provider, fn, off);
		t->target = xasprintf("%s%s", fn, off);
	}
	free(off);
}


static void report_no_kprobes(const char *provider, const char *fn, bool ret, srcloc loc, struct diag *d)
{
	char *tp = covering_tracepoint(fn, ret);
	if (tp)
		diag_error(d, loc, "%s: this kernel has no kprobes (it was built without CONFIG_KPROBES or "
			   "CONFIG_KPROBE_EVENTS); tracepoint:%s covers the same event", provider, tp);
	else
		diag_error(d, loc, "%s: this kernel has no kprobes (it was built without CONFIG_KPROBES or "
			   "CONFIG_KPROBE_EVENTS); use a tracepoint where one covers the event "
			   "(sonde -l 'tracepoint:*')", provider);
	free(tp);
}

/* kprobe:ADDRESS (--unsafe, as in bpftrace: the kernel cannot tell whether
 * it is an instruction's start): "kprobe:DECIMAL" as bpftrace names it,
 * target "0xHEX". */
static int push_address(enum probe_type type, const char *provider, const struct kspec *s, srcloc loc,
			struct diag *d, struct probe_target **out, int *n)
{
	char *end;
	errno = 0;
	unsigned long long addr = strtoull(s->func, &end, 0);
	if (*end || errno || addr == 0 || s->module || s->offset) {
		diag_error(d, loc, "%s: '%s%s%s%s' is neither a function name nor an address", provider,
			   s->module ? s->module : "", s->module ? ":" : "", s->func, s->offset ? s->offset : "");
		return -1;
	}
	if (!probe_unsafe()) {
		diag_error(d, loc, "%s: probing an address ('%s') needs --unsafe: the kernel does not check that "
			   "it is the start of an instruction", provider, s->func);
		return -1;
	}
	if (!have_kprobes()) {
		report_no_kprobes(provider, s->func, type == PT_KRETPROBE, loc, d);
		return -1;
	}
	struct probe_target *t = probe_target_push(out, n);
	t->type = type;
	t->name = xasprintf("%s:%llu", provider, addr);
	t->target = xasprintf("0x%llx", addr);
	return 0;
}

static void report_not_found(const char *provider, const struct kspec *s, srcloc loc, struct diag *d)
{
	if (on_blacklist(s->func)) {
		diag_error(d, loc, "%s: kernel function '%s' cannot be probed (it is on the kernel's kprobe "
			   "blacklist)", provider, s->func);
		return;
	}
	if (kernel_func_unstable(s->func) && kfunc_find(s->func, s->module)) {
		diag_error(d, loc, "%s: kernel function '%s' must not be probed: probes on RCU's and the idle "
			   "loop's functions stall the kernel (bpftrace leaves them out too)", provider, s->func);
		return;
	}
	if (s->module && kfunc_find(s->func, NULL)) {
		diag_error(d, loc, "%s: function '%s' is not in module '%s'", provider, s->func, s->module);
		return;
	}
	struct suggestion near;
	suggestion_init(&near, s->func);
	const struct kfunc_list *k = kfunc_list();
	for (int i = 0; i < k->n; i++)
		if (in_module(&k->funcs[i], s->module))
			suggestion_consider(&near, k->funcs[i].name);
	const char *where = s->module ? " in module " : "";
	const char *mod = s->module ? s->module : "";
	if (near.best)
		diag_error(d, loc, "%s: no kernel function '%s'%s%s that can be probed; did you mean '%s'?",
			   provider, s->func, where, mod, near.best);
	else
		diag_error(d, loc, "%s: no kernel function '%s'%s%s that can be probed (not in "
			   "available_filter_functions: inlined, notrace, or not there)",
			   provider, s->func, where, mod);
	suggestion_free(&near);
}

/* The part of a function the compiler split off (foo.part.0): wildcards
 * and -l leave it out, as bpftrace 0.17 does (a probe there would catch
 * only some calls); other clones (.isra.0, .constprop.0) are whole
 * functions and stay. An exact name still works. */
static bool is_clone(const char *name)
{
	return strstr(name, ".part.") != NULL;
}

static int expand_wildcard(enum probe_type type, const char *provider, const struct kspec *s,
			   srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	const struct kfunc_list *k = kfunc_list();
	int found = 0, skipped = 0;
	const char *first_skipped = NULL;
	for (int i = 0; i < k->n; i++) {
		const struct kfunc *f = &k->funcs[i];
		if (!probe_wildcard_match(s->func, f->name) || is_clone(f->name))
			continue;
		if (!in_module(f, s->module))
			continue;
		/* one probe per name: the same name in vmlinux and a module is one kprobe */
		if (!s->module && i > 0 && strcmp(k->funcs[i - 1].name, f->name) == 0)
			continue;
		if (blacklisted(f->name)) {
			if (!skipped++)
				first_skipped = f->name;
			continue;
		}
		push_target(type, provider, s, f->module ? f->module : "vmlinux", f->name, out, n);
		found++;
	}
	if (skipped == 1)
		diag_warning(d, loc, "%s: skipping '%s': it cannot be probed (the kernel's kprobe blacklist, "
			     "or a probe there stalls the kernel)", provider, first_skipped);
	else if (skipped > 1)
		diag_warning(d, loc, "%s: skipping %d functions that cannot be probed (the kernel's kprobe "
			     "blacklist, or probes there stall the kernel: rcu_*), '%s' the first", provider,
			     skipped, first_skipped);
	if (found == 0) {
		if (s->module)
			diag_error(d, loc, "%s: no kernel function of module '%s' matches '%s'", provider,
				   s->module, s->func);
		else
			diag_error(d, loc, "%s: no kernel function matches '%s'", provider, s->func);
		return -1;
	}
	return 0;
}

static int expand(enum probe_type type, const char *provider, const char *spec, srcloc loc,
		  struct diag *d, struct probe_target **out, int *n)
{
	struct kspec s;
	int rc = -1;
	if (!parse_spec(spec, &s)) {
		diag_error(d, loc, "%s: '%s' is not FUNCTION, FUNCTION+OFFSET or MODULE:FUNCTION", provider, spec);
	} else if (s.offset && type == PT_KRETPROBE) {
		diag_error(d, loc, "%s: a return probe takes a function, not an offset in it ('%s%s')",
			   provider, s.func, s.offset);
	} else if (s.offset && (has_wildcard(s.func) || (s.module && has_wildcard(s.module)))) {
		diag_error(d, loc, "%s: an offset needs one function, not a wildcard ('%s')", provider, spec);
	} else if (s.func[0] >= '0' && s.func[0] <= '9') {
		rc = push_address(type, provider, &s, loc, d, out, n);
	} else if (!have_kprobes()) {
		report_no_kprobes(provider, s.func, type == PT_KRETPROBE, loc, d);
	} else if (kfunc_list()->err) {
		diag_error(d, loc, "%s: cannot read the kernel's functions (%s/available_filter_functions): %s",
			   provider, tracefs_path() ? tracefs_path() : "tracefs", strerror(kfunc_list()->err));
	} else if (has_wildcard(s.func) || (s.module && has_wildcard(s.module))) {
		rc = expand_wildcard(type, provider, &s, loc, d, out, n);
	} else if ((!kfunc_find(s.func, s.module) && (s.module || !alias_of_listed(s.func))) ||
		   blacklisted(s.func)) {
		report_not_found(provider, &s, loc, d);
	} else {
		push_target(type, provider, &s, s.module, s.func, out, n);
		rc = 0;
	}
	kspec_free(&s);
	return rc;
}

static int kprobe_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	return expand(PT_KPROBE, "kprobe", spec, loc, d, out, n);
}

static int kretprobe_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out,
			    int *n)
{
	return expand(PT_KRETPROBE, "kretprobe", spec, loc, d, out, n);
}

static char *kprobe_section(const struct probe_target *t)
{
	if (t->via_trampoline)
		return kprobe_fentry_section(t);
	return xstrdup(t->type == PT_KRETPROBE ? "kretprobe" : "kprobe");
}

/* ---- attaching ---------------------------------------------------------------- */

/* target "[module:]fn[+offset]" -> the kernel's symbol ("module:fn") and offset */
static char *split_offset(const char *target, unsigned long *offset)
{
	const char *plus = strchr(target, '+');
	*offset = plus ? strtoul(plus + 1, NULL, 0) : 0;
	return plus ? xstrndup(target, (size_t)(plus - target)) : xstrdup(target);
}

static int attach(const struct desc_probe *p, struct bpf_program *prog, bool retprobe,
		  struct rt_links *l, char *errbuf, size_t errlen)
{
	if (kprobe_fentry_is_lowered(prog))
		return kprobe_fentry_attach(prog, l, errbuf, errlen);
	unsigned long offset;
	char *sym = split_offset(p->target, &offset);
	if (sym[0] >= '0' && sym[0] <= '9') { /* an address: no symbol, the address as the offset */
		offset = strtoul(sym, NULL, 0);
		free(sym);
		sym = NULL;
	}
	LIBBPF_OPTS(bpf_kprobe_opts, opts, .retprobe = retprobe, .offset = offset);
	struct bpf_link *link = bpf_program__attach_kprobe_opts(prog, sym, &opts);
	int err = link ? 0 : -errno;
	if (!link)
		snprintf(errbuf, errlen, "%s", strerror(-err));
	free(sym);
	return link ? rt_links_add(l, link) : err;
}

static int kprobe_attach(const struct desc_probe *p, struct bpf_program *prog, struct rt_links *l,
			 char *errbuf, size_t errlen)
{
	return attach(p, prog, false, l, errbuf, errlen);
}

static int kretprobe_attach(const struct desc_probe *p, struct bpf_program *prog, struct rt_links *l,
			    char *errbuf, size_t errlen)
{
	return attach(p, prog, true, l, errbuf, errlen);
}

static const char *kprobe_attach_hint(int err)
{
	if (err == -EILSEQ)
		return "the offset is not at an instruction boundary of the function: try another offset";
	if (err == -ENOENT || err == -EINVAL)
		return "is the function still there (a module unloaded?), and can it be probed?";
	return "does the kernel have kprobes (CONFIG_KPROBES, CONFIG_KPROBE_EVENTS)?";
}

/* ---- kprobe_multi: one link for the functions of one wildcard ----------------- */

/* Where the kernel has kprobe_multi links (CONFIG_FPROBE, 5.18+): a link
 * over a function that cannot be found fails with ESRCH/ENOENT then, and
 * with EINVAL or EOPNOTSUPP where there are none. SONDE_KPROBE_MULTI=0 or 1
 * decides instead. */
static bool have_kprobe_multi(void)
{
	static int known = -1;
	const char *env = getenv("SONDE_KPROBE_MULTI");
	if (env && (strcmp(env, "0") == 0 || strcmp(env, "1") == 0))
		return env[0] == '1';
	if (known >= 0)
		return known;
	static const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_KPROBE_MULTI);
	int prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "sonde_probe", "GPL", ret0, 2, &opts);
	known = 0;
	if (prog >= 0) {
		const char *sym = "sonde_no_such_function";
		LIBBPF_OPTS(bpf_link_create_opts, lopts, .kprobe_multi.syms = &sym, .kprobe_multi.cnt = 1);
		int link = bpf_link_create(prog, 0, BPF_TRACE_KPROBE_MULTI, &lopts);
		known = link < 0 && (errno == ESRCH || errno == ENOENT);
		if (link >= 0)
			close(link);
		close(prog);
	}
	return known;
}

bool kprobe_multi_available(void)
{
	return have_kprobe_multi();
}

/* Targets of one wildcard, both without an offset or module (kprobe_multi
 * takes vmlinux symbols; bpf_get_func_ip gives each its function). */
static bool kprobe_can_share(const struct probe_target *a, const struct probe_target *b)
{
	return a->type == b->type && !strpbrk(a->target, "+:") && !strpbrk(b->target, "+:") &&
	       have_kprobe_multi();
}

static int kprobe_prepare_shared(struct bpf_program *prog)
{
	return bpf_program__set_expected_attach_type(prog, BPF_TRACE_KPROBE_MULTI);
}

static int kprobe_attach_shared(const struct desc_probe *const *p, int n, struct bpf_program *prog,
				struct rt_links *l, char *errbuf, size_t errlen)
{
	const char **syms = xcalloc((size_t)n, sizeof(*syms));
	for (int i = 0; i < n; i++)
		syms[i] = p[i]->target;
	LIBBPF_OPTS(bpf_kprobe_multi_opts, opts, .syms = syms, .cnt = (size_t)n,
		    .retprobe = p[0]->type == PT_KRETPROBE);
	struct bpf_link *link = bpf_program__attach_kprobe_multi_opts(prog, NULL, &opts);
	int err = link ? 0 : -errno;
	if (!link)
		snprintf(errbuf, errlen, "kprobe_multi over %d functions: %s", n, strerror(-err));
	free(syms);
	return link ? rt_links_add(l, link) : err;
}

/* ---- what the builtins mean ----------------------------------------------------- */

static LLVMValueRef load_reg(struct cg *cg, uint32_t offset)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, offset), "");
	LLVMSetAlignment(v, 8);
	return v;
}

/* As fentry/fexit (kprobe_fentry.c) the context is the argument
 * registers saved as u64 slots, in order, then rax. */
static struct LLVMOpaqueValue *kprobe_emit_argn(struct cg *cg, int n)
{
	if (cg->target->via_trampoline)
		return load_reg(cg, (uint32_t)n * 8u);
	return load_reg(cg, arg_regs[n]);
}

static struct LLVMOpaqueValue *kretprobe_emit_retval(struct cg *cg)
{
	if (cg->target->via_trampoline)
		return load_reg(cg, (uint32_t)kprobe_fentry_slots(cg->target) * 8u);
	return load_reg(cg, RETVAL_REG);
}

/* func: the probed function's address, from the kernel (5.15+), which
 * knows it at a kprobe and, from 5.18 on, at a kretprobe too. */
static struct LLVMOpaqueValue *kprobe_emit_func_ip(struct cg *cg)
{
	LLVMValueRef ctx = cg->ctx_arg;
	return cg_helper(cg, HELPER_GET_FUNC_IP, cg->i64, &ctx, 1);
}

static enum addr_space kernel_pointers(const struct probe_target *t)
{
	(void)t;
	return AS_KERNEL;
}

/* ---- -l --------------------------------------------------------------------------- */

/* "kprobe:fn" for every traceable function matching the pattern, one a name
 * (bpftrace 0.17's format; "MODULE:PATTERN" limits it to a module). */
static int kprobe_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	struct kspec s;
	int printed = 0;
	if (!parse_spec(req->pattern, &s) || s.offset) {
		kspec_free(&s);
		return 0;
	}
	if (!have_kprobes()) { /* none to list, as a category without events */
		kspec_free(&s);
		return 0;
	}
	const struct kfunc_list *k = kfunc_list();
	if (k->err) {
		fprintf(stderr, "sonde: cannot list %ss: the kernel's functions (available_filter_functions): "
			"%s%s\n", self->name, strerror(k->err), k->err == EACCES ? " (listing needs root)" : "");
		kspec_free(&s);
		return -1;
	}
	for (int i = 0; i < k->n; i++) {
		const struct kfunc *f = &k->funcs[i];
		if (i > 0 && strcmp(k->funcs[i - 1].name, f->name) == 0)
			continue;
		/* blacklisted ones too, as bpftrace 0.17 lists them */
		if (!probe_wildcard_match(s.func, f->name) || is_clone(f->name))
			continue;
		if (!in_module(f, s.module))
			continue;
		fprintf(req->out, "%s:%s\n", self->name, f->name);
		printed++;
	}
	kspec_free(&s);
	return printed;
}

const struct probe_provider probe_kprobe = {
	.name = "kprobe",
	.aliases = { "k", NULL },
	.type = PT_KPROBE,
	.filter_self = true,
	.max_args = NARG_REGS,
	.emit_argn = kprobe_emit_argn,
	.emit_func_ip = kprobe_emit_func_ip,
	.pointer_as = kernel_pointers,
	.args_as = kernel_pointers,
	.expand = kprobe_expand,
	.section = kprobe_section,
	.attach = kprobe_attach,
	.attach_hint = kprobe_attach_hint,
	.list = kprobe_list,
	.choose_impl = kprobe_fentry_choose,
	.can_share = kprobe_can_share,
	.prepare_shared = kprobe_prepare_shared,
	.attach_shared = kprobe_attach_shared,
};

const struct probe_provider probe_kretprobe = {
	.name = "kretprobe",
	.aliases = { "kr", NULL },
	.type = PT_KRETPROBE,
	.filter_self = true,
	.emit_retval = kretprobe_emit_retval,
	.emit_func_ip = kprobe_emit_func_ip,
	.pointer_as = kernel_pointers,
	.expand = kretprobe_expand,
	.section = kprobe_section,
	.attach = kretprobe_attach,
	.attach_hint = kprobe_attach_hint,
	.list = kprobe_list,
	.choose_impl = kprobe_fentry_choose,
	.can_share = kprobe_can_share,
	.prepare_shared = kprobe_prepare_shared,
	.attach_shared = kprobe_attach_shared,
};
