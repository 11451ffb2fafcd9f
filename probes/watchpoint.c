/* watchpoint.c - `watchpoint:ADDR:LEN:MODE` (alias `w`) and
 * `asyncwatchpoint:ADDR:LEN:MODE` (alias `aw`): memory watchpoints, the
 * kernel's perf hardware breakpoints.
 *
 * The program runs each time ADDR (LEN bytes: 1, 2, 4 or 8) is read and
 * written (rw), written (w) or executed (x); those are the modes x86-64
 * debug registers have. With -p PID or -c CMD the breakpoint is set in each
 * thread of that process (and its new threads inherit it), so ADDR is one
 * of its user addresses; without, on every CPU, for kernel addresses.
 *
 * bpftrace 0.17's function-argument form, `watchpoint:FUNC+argN:LEN:MODE`
 * (dropped in bpftrace 0.25), needs -p or -c: the address is the value of
 * argN each time the traced program enters FUNC. A small uprobe program of
 * this file's own (not the script's) runs there: it stops the process
 * (SIGSTOP; not for asyncwatchpoint), and hands argN to sonde through a
 * ring buffer; the event loop (service hook) then sets the breakpoint in
 * every thread, with the script's program, and lets the process go on
 * (SIGCONT). Each probe watches every new address it is given, until the
 * debug registers run out: then bpftrace's "You are out of watchpoint
 * registers" line, and the run goes on. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ast.h"
#include "intlit.h"
#include "probe.h"
#include "uprobe_internal.h"

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

/* ---- FUNC+argN: compile side --------------------------------------------- */

/* Argument registers (System V) at their offsets in struct pt_regs. */
#if defined(__x86_64__)
static const uint32_t wp_arg_regs[] = { 112, 104, 96, 88, 72, 64 };
#elif defined(__aarch64__)
static const uint32_t wp_arg_regs[] = { 0, 8, 16, 24, 32, 40, 48, 56 };
#else
#error "argument registers are not known for this architecture"
#endif
#define WP_NARGS (int)(sizeof(wp_arg_regs) / sizeof(wp_arg_regs[0]))

/* The traced program: -c's, or -p's (as bpftrace: /proc/PID/exe). shown
 * is how probe names say it, real the file. */
static bool traced_program(char **shown, char *real)
{
	const char *cmd = probe_target_cmd();
	int pid = probe_target_pid();
	if (pid > 0) {
		*shown = xasprintf("/proc/%d/exe", pid);
		return realpath(*shown, real) != NULL;
	}
	if (!cmd)
		return false;
	*shown = xstrdup(cmd);
	return strchr(cmd, '/') ? realpath(cmd, real) != NULL : uprobe_find_program(cmd, 0, real);
}

static void push_func_target(enum probe_type type, const char *provider, const char *shown,
			     const char *real, const struct uprobe_func *f, int argn, bool wildcard,
			     uint64_t len, const char *mode, struct probe_target **out, int *n)
{
	struct probe_target *t = probe_target_push(out, n);
	t->type = type;
	/* bpftrace 0.17's names: the argument's number only without wildcards */
	t->name = wildcard ? xasprintf("%s:%s:%s:%llu:%s", provider, shown, f->name,
				       (unsigned long long)len, mode)
			   : xasprintf("%s:%s:%s:%d:%llu:%s", provider, shown, f->name, argn,
				       (unsigned long long)len, mode);
	t->target = xasprintf("off=%llu arg=%d len=%llu mode=%s path=%s", (unsigned long long)f->off, argn,
			      (unsigned long long)len, mode, real);
}

static int expand_func_form(enum probe_type type, const char *provider, char *func, uint64_t len,
			    const char *mode, srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	char *plus = strchr(func, '+');
	*plus = '\0';
	const char *arg = plus + 1;
	if (!*func || strncmp(arg, "arg", 3) != 0 || !arg[3] || strspn(arg + 3, "0123456789") != strlen(arg + 3)) {
		diag_error(d, loc, "invalid function argument '%s' (expected FUNCTION+argN)", arg);
		return -1;
	}
	int argn = atoi(arg + 3);
	if (argn >= WP_NARGS) {
		diag_error(d, loc, "%s: arg%d is not in a register (arg0 to arg%d are)", provider, argn,
			   WP_NARGS - 1);
		return -1;
	}
	char real[PATH_MAX], *shown = NULL;
	if (!probe_target_cmd() && probe_target_pid() <= 0) {
		diag_error(d, loc, "-p PID or -c CMD required for watchpoint");
		return -1;
	}
	if (!traced_program(&shown, real)) {
		diag_error(d, loc, "%s: cannot find the program of %s", provider,
			   probe_target_pid() > 0 ? "-p" : "-c");
		free(shown);
		return -1;
	}
	const struct uprobe_elf *e = uprobe_elf_get(real);
	int before = *n;
	bool wildcard = strchr(func, '*') != NULL;
	for (int i = 0; e && i < e->nfuncs; i++)
		if (wildcard ? probe_wildcard_match(func, e->funcs[i].name) : strcmp(func, e->funcs[i].name) == 0)
			push_func_target(type, provider, shown, real, &e->funcs[i], argn, wildcard, len, mode,
					 out, n);
	free(shown);
	if (*n == before) {
		diag_error(d, loc, "%s: no function matches '%s' in %s", provider, func, real);
		return -1;
	}
	return 0;
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
	bool func_form = memchr(spec, '+', (size_t)(c1 - spec)) != NULL;
	if (!func_form && !parse_number(spec, (size_t)(c1 - spec), &addr)) {
		diag_error(d, loc, "invalid watchpoint address '%.*s'", (int)(c1 - spec), spec);
		return -1;
	}
	if (func_form)
		addr = 1; /* checked with the function below */
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
	if (func_form) {
		char *func = xstrndup(spec, (size_t)(c1 - spec));
		int rc = expand_func_form(type, provider, func, len, mode, loc, d, out, n);
		free(func);
		return rc;
	}
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

/* ---- FUNC+argN: attaching while the run goes on ------------------------ */

/* What the uprobe program hands over: which probe, and argN. */
struct wp_request {
	uint64_t probe, addr;
};

struct wp_probe {
	struct bpf_program *prog; /* the script's program for this probe */
	int pid;
	uint64_t len, addr;       /* addr: the one watched last (0: none yet) */
	char mode[4];
	bool async;
};

/* The run's state; release() clears it. */
static struct {
	struct wp_probe *probes;
	int n;
	int ringbuf_fd;           /* owned by the run's links */
	struct ring_buffer *rb;
	struct rt_links *links;   /* where the breakpoints' links go */
	FILE *out;
	/* every breakpoint's address and where its link is in the run's
	 * links (they are only ever appended), for unwatch() */
	struct wp_breakpoint { uint64_t addr; struct rt_links *links; int index; } *bps;
	int nbps;
} wp = { .ringbuf_fd = -1 };

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

/* The uprobe program: in process pid only, [SIGSTOP itself,] then put
 * { probe index, argN } in the ring buffer. Made here, not by codegen: it
 * is no part of the script. Returns the number of instructions. */
static int setup_program(struct bpf_insn *p, int pid, uint32_t reg_off, int index, bool async)
{
	int n = 0;
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	p[n++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid);
	p[n++] = insn(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 32);
	int skip = n;
	p[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0 /* set below */, pid);
	if (!async) {
		p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, SIGSTOP);
		p[n++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_send_signal);
	}
	p[n++] = insn(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_6, (int16_t)reg_off, 0);
	p[n++] = insn(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_1, -8, 0);
	p[n++] = insn(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -16, index);
	p[n++] = insn(BPF_LD | BPF_IMM | BPF_DW, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, wp.ringbuf_fd);
	p[n++] = insn(0, 0, 0, 0, 0);
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	p[n++] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -16);
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, (int32_t)sizeof(struct wp_request));
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0);
	p[n++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output);
	p[skip].off = (int16_t)(n - skip - 1);
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

static int uprobe_pmu_type(void)
{
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	int type = -1;
	if (f) {
		if (fscanf(f, "%d", &type) != 1)
			type = -1;
		fclose(f);
	}
	return type;
}

static int on_request(void *ctx, void *data, size_t size);

/* The ring buffer the uprobe programs write to, made by the first probe. */
static int open_requests(struct rt_links *l, char *errbuf, size_t errlen)
{
	if (wp.rb)
		return 0;
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "sonde_wp_req", 0, 0, 4096, NULL);
	if (fd < 0) {
		int err = -errno;
		snprintf(errbuf, errlen, "cannot create the watchpoint ring buffer: %s", strerror(-err));
		return err;
	}
	rt_links_add_fd(l, fd);
	wp.rb = ring_buffer__new(fd, on_request, NULL, NULL);
	if (!wp.rb) {
		int err = -errno;
		snprintf(errbuf, errlen, "cannot read the watchpoint ring buffer: %s", strerror(-err));
		return err;
	}
	wp.ringbuf_fd = fd;
	return 0;
}

/* Load the setup program for probe `index` and attach it at path+off. */
static int attach_setup(const char *path, uint64_t off, int argn, int index, int pid, bool async,
			struct rt_links *l, char *errbuf, size_t errlen)
{
	struct bpf_insn prog[32];
	int ninsns = setup_program(prog, pid, wp_arg_regs[argn], index, async);
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log), .log_level = 0);
	int pfd_prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "sonde_wp_setup", "GPL", prog, (size_t)ninsns, &opts);
	if (pfd_prog < 0) {
		int err = -errno;
		snprintf(errbuf, errlen, "cannot load the watchpoint's uprobe program: %s", strerror(-err));
		return err;
	}
	rt_links_add_fd(l, pfd_prog);
	int type = uprobe_pmu_type();
	if (type < 0) {
		snprintf(errbuf, errlen, "this kernel has no uprobe perf events");
		return -ENOENT;
	}
	struct perf_event_attr attr = {
		.type = (uint32_t)type,
		.size = sizeof(attr),
		.config1 = (uint64_t)(uintptr_t)path,
		.config2 = off,
	};
	int pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		int err = -errno;
		snprintf(errbuf, errlen, "uprobe on %s at offset %llu: %s", path, (unsigned long long)off,
			 strerror(-err));
		return err;
	}
	rt_links_add_fd(l, pfd);
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, pfd_prog) < 0 || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
		int err = -errno;
		snprintf(errbuf, errlen, "cannot attach the watchpoint's uprobe program: %s", strerror(-err));
		return err;
	}
	return 0;
}

static int attach_func_form(const struct desc_probe *p, struct bpf_program *prog, struct rt_links *l,
			    char *errbuf, size_t errlen)
{
	unsigned long long off, len;
	int argn, used = 0;
	char mode[4];
	if (sscanf(p->target, "off=%llu arg=%d len=%llu mode=%3s path=%n", &off, &argn, &len, mode, &used) != 4 ||
	    !used || argn < 0 || argn >= WP_NARGS) {
		snprintf(errbuf, errlen, "bad watchpoint '%s'", p->target);
		return -EINVAL;
	}
	int pid = probe_target_pid();
	if (pid <= 0) {
		snprintf(errbuf, errlen, "-p PID or -c CMD required for watchpoint");
		return -EINVAL;
	}
	int err = open_requests(l, errbuf, errlen);
	if (err)
		return err;
	bool async = p->type == PT_ASYNCWATCHPOINT;
	err = attach_setup(p->target + used, off, argn, wp.n, pid, async, l, errbuf, errlen);
	if (err)
		return err;
	wp.probes = xrealloc(wp.probes, (size_t)(wp.n + 1) * sizeof(*wp.probes));
	struct wp_probe *w = &wp.probes[wp.n++];
	*w = (struct wp_probe){ .prog = prog, .pid = pid, .len = len, .async = async };
	snprintf(w->mode, sizeof(w->mode), "%s", mode);
	return 0;
}

static void fill_breakpoint(struct perf_event_attr *attr, uint64_t addr, uint64_t len, const char *mode)
{
	*attr = (struct perf_event_attr){
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(*attr),
		.bp_type = HW_BREAKPOINT_EMPTY,
		.bp_addr = addr,
		.sample_period = 1, /* every access */
		.inherit = 1,       /* threads created later too */
	};
	for (const char *c = mode; *c; c++)
		attr->bp_type |= *c == 'r' ? HW_BREAKPOINT_R : *c == 'w' ? HW_BREAKPOINT_W : HW_BREAKPOINT_X;
	/* an execute breakpoint covers an instruction: the kernel wants long */
	attr->bp_len = (attr->bp_type & HW_BREAKPOINT_X) ? sizeof(long) : len;
}

static int attach_threads(struct perf_event_attr *attr, int pid, struct bpf_program *prog,
			  struct rt_links *l, char *errbuf, size_t errlen);

/* A setup program saw argN: watch it (once per address and probe, as
 * bpftrace), then let the stopped process go on. */
static int on_request(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct wp_request *req = data;
	if (size < sizeof(*req) || req->probe >= (uint64_t)wp.n)
		return 0;
	struct wp_probe *w = &wp.probes[req->probe];
	if (w->addr != req->addr) {
		w->addr = req->addr;
		struct perf_event_attr attr;
		fill_breakpoint(&attr, req->addr, w->len, w->mode);
		char reason[256] = "";
		int err = attach_threads(&attr, w->pid, w->prog, wp.links, reason, sizeof(reason));
		if (err == -ENOSPC)
			fprintf(wp.out, "Failed to attach watchpoint probe. You are out of watchpoint registers.\n");
		else if (err)
			fprintf(stderr, "sonde: cannot watch address 0x%llx: %s\n", (unsigned long long)req->addr,
				reason);
	}
	if (!w->async && kill(w->pid, SIGCONT) < 0 && errno != ESRCH)
		fprintf(stderr, "sonde: cannot continue process %d: %s\n", w->pid, strerror(errno));
	return 0;
}

static int watchpoint_poll_fd(void)
{
	return wp.rb ? ring_buffer__epoll_fd(wp.rb) : -1;
}

static void watchpoint_service(struct rt_links *l, FILE *out)
{
	wp.links = l;
	wp.out = out;
	if (wp.rb)
		ring_buffer__consume(wp.rb);
}

static void watchpoint_release(void)
{
	/* The uprobes are gone, but one may have stopped the process just
	 * before, with its request never served (exit() ran first): a -p
	 * process must not stay stopped after sonde. */
	for (int i = 0; i < wp.n; i++)
		if (!wp.probes[i].async)
			kill(wp.probes[i].pid, SIGCONT);
	ring_buffer__free(wp.rb);
	free(wp.probes);
	free(wp.bps);
	wp.bps = NULL;
	wp.nbps = 0;
	wp.rb = NULL;
	wp.probes = NULL;
	wp.n = 0;
	wp.ringbuf_fd = -1;
}

/* The links l holds from index first on are breakpoints on addr: unwatch
 * finds them there. */
static void note_breakpoints(uint64_t addr, struct rt_links *l, int first)
{
	for (int i = first; i < l->n; i++) {
		wp.bps = xrealloc(wp.bps, (size_t)(wp.nbps + 1) * sizeof(*wp.bps));
		wp.bps[wp.nbps++] = (struct wp_breakpoint){ addr, l, i };
	}
}

static int open_breakpoint(struct perf_event_attr *attr, int tid, int cpu, struct bpf_program *prog,
			   struct rt_links *l, char *errbuf, size_t errlen)
{
	int first = l->n;
	int err = probe_attach_perf_event(attr, tid, cpu, "hardware breakpoint", prog, l, errbuf, errlen);
	note_breakpoints(attr->bp_addr, l, first);
	return err;
}

/* unwatch(addr): detach every breakpoint on addr, which frees its debug
 * register (the run's links keep a NULL in its place). Unknown addresses
 * are ignored, as bpftrace does. */
static void watchpoint_unwatch(uint64_t addr)
{
	int kept = 0;
	for (int i = 0; i < wp.nbps; i++) {
		struct wp_breakpoint *b = &wp.bps[i];
		if (b->addr == addr && b->index < b->links->n) {
			bpf_link__destroy(b->links->links[b->index]);
			b->links->links[b->index] = NULL;
		} else {
			wp.bps[kept++] = *b;
		}
	}
	wp.nbps = kept;
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
	if (strncmp(p->target, "off=", 4) == 0)
		return attach_func_form(p, prog, l, errbuf, errlen);
	if (sscanf(p->target, "addr=%llu len=%llu mode=%3s", &addr, &len, mode) != 3) {
		snprintf(errbuf, errlen, "bad watchpoint '%s'", p->target);
		return -EINVAL;
	}
	struct perf_event_attr attr;
	fill_breakpoint(&attr, addr, len, mode);
	int pid = probe_target_pid();
	if (pid > 0)
		return attach_threads(&attr, pid, prog, l, errbuf, errlen);
	attr.inherit = 0; /* per-CPU events cannot inherit */
	int first = l->n;
	int err = probe_attach_perf_every_cpu(&attr, -1, "hardware breakpoint", prog, l, errbuf, errlen);
	note_breakpoints(attr.bp_addr, l, first);
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
	.poll_fd = watchpoint_poll_fd,
	.service = watchpoint_service,
	.release = watchpoint_release,
	.unwatch = watchpoint_unwatch,
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
	/* the run's state is shared: probe_watchpoint's hooks serve both */
};
