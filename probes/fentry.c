/* fentry.c - `fentry[:MODULE]:FUNCTION` and `fexit[:MODULE]:FUNCTION`
 * (aliases `f`/`kfunc` and `fr`/`kretfunc`): kernel functions entered and
 * returned from, through BPF trampolines.
 *
 * The kernel calls the program with the function's arguments as an array
 * of u64 (probes/kfunc.h); `args.NAME` reads them named and typed by the
 * function's BTF prototype, and in fexit `retval` (typed by its return
 * type) is the slot after them. FUNCTION and MODULE may have wildcards:
 * one program per matching function the kernel lets be traced (a
 * trampoline serves one function). Without a module, vmlinux is searched,
 * then every loaded module. Names are "fentry:MODULE:FUNCTION", as latest
 * bpftrace prints them (0.17 said "kfunc:").
 *
 * `fentry:bpf[:ID]:NAME` attaches to the functions NAME (wildcards) of
 * running BPF programs with BTF (probes/fentry_bpf.c): "fentry:bpf:ID:NAME"
 * each; their arguments are not typed (`args` is refused, as in bpftrace),
 * fexit's `retval` is, by the program's BTF. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ast.h"
#include "btf.h"
#include "cg.h"
#include "fentry_bpf.h"
#include "kfunc.h"
#include "list.h"
#include "probe.h"
#include "suggest.h"

static bool has_wildcard(const char *s)
{
	return strchr(s, '*') != NULL;
}

static void push_target(enum probe_type type, const struct kfunc *f, struct probe_target **out, int *n)
{
	struct probe_target *t = probe_target_push(out, n);
	t->type = type;
	t->name = xasprintf("%s:%s:%s", type == PT_FEXIT ? "fexit" : "fentry", f->module, f->name);
	t->target = xasprintf("%s:%s", f->module, f->name);
}

struct expansion {
	enum probe_type type;
	struct probe_target **out;
	int *n;
	int skipped;
};

static void push_supported(const struct kfunc *f, void *arg)
{
	struct expansion *e = arg;
	char *why = kernel_func_unstable(f->name) ? xstrdup("stalls the kernel") : kfunc_unsupported(f);
	if (why) {
		e->skipped++;
		free(why);
		return;
	}
	push_target(e->type, f, e->out, e->n);
}

static bool module_exists(const char *module)
{
	if (strcmp(module, "vmlinux") == 0)
		return true;
	char *path = xasprintf("/sys/kernel/btf/%s", module);
	FILE *f = fopen(path, "r");
	free(path);
	if (f)
		fclose(f);
	return f != NULL;
}

static void report_missing(const char *type, const char *module, const char *name, srcloc loc,
			   struct diag *d)
{
	if (module && !module_exists(module)) {
		diag_error(d, loc, "kernel module '%s' not found (it has no BTF in /sys/kernel/btf)", module);
		return;
	}
	char *near = !module || strcmp(module, "vmlinux") == 0 ? kfunc_closest("", name) : NULL;
	const char *where = module ? module : "the kernel's BTF";
	if (near)
		diag_error(d, loc, "%s: no function '%s' in %s; did you mean '%s'?", type, name, where, near);
	else
		diag_error(d, loc, "%s: no function '%s' in %s", type, name, where);
	free(near);
}

static int expand_exact(enum probe_type type, const char *tname, const char *module, const char *name,
			srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	struct kfunc f;
	if (!kfunc_find(module, name, &f)) {
		report_missing(tname, module, name, loc, d);
		return -1;
	}
	char *why = kernel_func_unstable(name) ? xstrdup("a program on RCU's or the idle loop's functions "
							"stalls the kernel (bpftrace leaves them out too)")
					       : kfunc_unsupported(&f);
	if (why) {
		diag_error(d, loc, "%s: cannot attach to %s: %s", tname, name, why);
		free(why);
		return -1;
	}
	if (!kfunc_traceable(&f)) {
		diag_error(d, loc, "%s: function '%s' cannot be traced: the kernel does not list it in "
			   "available_filter_functions (notrace, or inlined everywhere)", tname, name);
		return -1;
	}
	push_target(type, &f, out, n);
	return 0;
}

/* ---- fentry:bpf[:ID]:NAME: running BPF programs ---------------------------------- */

static bool is_bpf_target(const char *target)
{
	return strncmp(target, "bpf:", 4) == 0;
}

/* Program fds opened for bpf_program__set_attach_target(), which the kernel
 * reads when loading: closed once the programs are attached. */
static struct {
	int *fds;
	int n;
} bpf_targets;

static void close_bpf_targets(void)
{
	for (int i = 0; i < bpf_targets.n; i++)
		close(bpf_targets.fds[i]);
	free(bpf_targets.fds);
	bpf_targets.fds = NULL;
	bpf_targets.n = 0;
}

static int fentry_prepare(const struct desc_probe *p, struct bpf_program *prog, char *errbuf, size_t errlen)
{
	if (!is_bpf_target(p->target))
		return 0;
	unsigned long id = strtoul(p->target + 4, NULL, 10);
	const char *func = strchr(p->target + 4, ':');
	int fd = bpf_prog_get_fd_by_id((uint32_t)id);
	if (fd < 0 || !func) {
		int err = fd < 0 ? -errno : -EINVAL;
		snprintf(errbuf, errlen, "BPF program %lu: %s", id, strerror(-err));
		return err;
	}
	int err = bpf_program__set_attach_target(prog, fd, func + 1);
	if (err) {
		close(fd);
		snprintf(errbuf, errlen, "cannot attach to BPF program %lu (%s): %s", id, func + 1, strerror(-err));
		return err;
	}
	bpf_targets.fds = xrealloc(bpf_targets.fds, sizeof(int) * (size_t)(bpf_targets.n + 1));
	bpf_targets.fds[bpf_targets.n++] = fd;
	return 0;
}

static int expand(enum probe_type type, const char *spec, srcloc loc, struct diag *d,
		  struct probe_target **out, int *n)
{
	const char *tname = type == PT_FEXIT ? "fexit" : "fentry";
	const char *colon = strchr(spec, ':');
	if (colon && strchr(colon + 1, ':') && strncmp(spec, "bpf:", 4) != 0) {
		diag_error(d, loc, "%s takes 1 or 2 arguments: %s[:MODULE]:FUNCTION", tname, tname);
		return -1;
	}
	char *module = colon ? xstrndup(spec, (size_t)(colon - spec)) : NULL;
	const char *name = colon ? colon + 1 : spec;
	int ret = -1;
	if (!*name || (module && !*module)) {
		diag_error(d, loc, "%s needs a function: %s[:MODULE]:FUNCTION", tname, tname);
	} else if (module && strcmp(module, "bpf") == 0) {
		ret = fentry_bpf_expand(type, tname, spec + 4, loc, d, out, n);
	} else if (!kbtf_available()) {
		diag_error(d, loc, "%s probes need kernel BTF: %s", tname, kbtf_error());
	} else if (has_wildcard(name) || (module && has_wildcard(module))) {
		struct expansion e = { type, out, n, 0 };
		if (kfunc_each(module ? module : "*", name, true, push_supported, &e) - e.skipped > 0)
			ret = 0;
		else
			diag_error(d, loc, "%s: no kernel function matches '%s'", tname, spec);
	} else {
		ret = expand_exact(type, tname, module, name, loc, d, out, n);
	}
	free(module);
	return ret;
}

static int fentry_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	return expand(PT_FENTRY, spec, loc, d, out, n);
}

static int fexit_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	return expand(PT_FEXIT, spec, loc, d, out, n);
}

/* The function of a target "MODULE:FUNCTION". */
static bool target_func(const char *target, struct kfunc *f)
{
	const char *colon = strchr(target, ':');
	if (!colon)
		return kfunc_find(NULL, target, f);
	char *module = xstrndup(target, (size_t)(colon - target));
	bool found = kfunc_find(module, colon + 1, f);
	free(module);
	return found;
}

static const char *func_name(const char *target)
{
	const char *colon = strchr(target, ':');
	return colon ? colon + 1 : target;
}

static const struct type *fentry_args_type(const struct probe_target *t, struct type_arena *a,
					   struct diag *d, srcloc loc)
{
	struct kfunc f;
	if (is_bpf_target(t->target)) {
		diag_error(d, loc, "'args' is not available in %s: the arguments of BPF programs are not "
			   "typed (as in bpftrace)", t->name);
		return NULL;
	}
	if (!target_func(t->target, &f)) {
		diag_error(d, loc, "the arguments of %s are not known: BTF has no function %s", t->name,
			   t->target);
		return NULL;
	}
	char *name = xasprintf("struct _kfunc_%s", f.name);
	const struct type *rec = kfunc_args(a, &f, name);
	free(name);
	return rec;
}

static const struct type *fexit_retval_type(const struct probe_target *t, struct type_arena *a, char **why)
{
	struct kfunc f;
	if (is_bpf_target(t->target))
		return fentry_bpf_retval_type(t->target, a, why);
	if (!target_func(t->target, &f)) {
		*why = xasprintf("BTF has no function %s", t->target);
		return NULL;
	}
	const struct type *rt = kfunc_return_type(a, &f);
	if (rt->kind == TY_VOID) {
		*why = xasprintf("%s returns void", f.name);
		return NULL;
	}
	return rt;
}

/* retval: the slot after the arguments (sema checked the function). On a
 * BPF program the kernel may have built the trampoline for 5 arguments
 * instead of the program's BTF prototype (its "unreliable" main function),
 * so there it asks bpf_get_func_ret (5.17+), which knows. */
static struct LLVMOpaqueValue *fexit_emit_retval(struct cg *cg)
{
	struct kfunc f;
	if (is_bpf_target(cg->target->target)) {
		LLVMValueRef slot = cg_temp_stack(cg, 8);
		LLVMValueRef args[2] = { cg->ctx_arg, slot };
		cg_helper(cg, HELPER_GET_FUNC_RET, cg->i64, args, 2);
		LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, slot, "");
		LLVMSetAlignment(v, 8);
		return v;
	}
	int slot = target_func(cg->target->target, &f) ? kfunc_nslots(&f) : 0;
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, (uint64_t)slot * 8), "");
	LLVMSetAlignment(v, 8);
	return v;
}

/* func: the traced function's address (bpf_get_func_ip, 5.15+). */
static struct LLVMOpaqueValue *fentry_emit_func_ip(struct cg *cg)
{
	LLVMValueRef ctx = cg->ctx_arg;
	return cg_helper(cg, HELPER_GET_FUNC_IP, cg->i64, &ctx, 1);
}

static enum addr_space kernel_pointers(const struct probe_target *t)
{
	(void)t;
	return AS_KERNEL;
}

/* libbpf finds the function's BTF id by this name, in vmlinux and then in
 * the modules. */
static char *fentry_section(const struct probe_target *t)
{
	if (is_bpf_target(t->target)) /* the target is set before loading (fentry_prepare) */
		return xstrdup(t->type == PT_FEXIT ? "fexit" : "fentry");
	return xasprintf("%s/%s", t->type == PT_FEXIT ? "fexit" : "fentry", func_name(t->target));
}

static int fentry_attach(const struct desc_probe *p, struct bpf_program *prog, struct rt_links *l,
			 char *errbuf, size_t errlen)
{
	close_bpf_targets(); /* loaded: the kernel holds its targets now */
	struct bpf_link *link = bpf_program__attach_trace(prog);
	if (!link) {
		int err = -errno;
		snprintf(errbuf, errlen, "%s", strerror(-err));
		(void)p;
		return err;
	}
	return rt_links_add(l, link);
}

static const char *fentry_attach_hint(int err)
{
	if (err == -EBUSY)
		return "another tracer may hold the function exclusively (ftrace IPMODIFY, e.g. livepatch)";
	return "can the kernel trace this function (available_filter_functions), and does it have "
	       "BPF trampolines (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)?";
}

static void fentry_load_refused(const struct desc_probe *p, int err, FILE *out)
{
	close_bpf_targets();
	char *tp = kfunc_tracepoint_for(func_name(p->target), p->type == PT_FEXIT);
	kfunc_report_refused(p->type == PT_FEXIT ? "fexit" : "fentry", err, tp, out);
	free(tp);
}

static int list(const struct probe_provider *self, const struct probe_list_request *req, bool retval)
{
	char *pattern = list_two_part_pattern(req->pattern);
	char *colon = strchr(pattern, ':');
	*colon = '\0';
	if (strcmp(pattern, "bpf") == 0) { /* running BPF programs' functions */
		int n = fentry_bpf_list(self->name, colon + 1, req->out);
		free(pattern);
		return n;
	}
	if (!kbtf_available()) {
		fprintf(stderr, "sonde: cannot list %s probes: %s\n", self->name, kbtf_error());
		free(pattern);
		return -1;
	}
	struct kfunc_listing l = {
		.type_name = self->name,
		.module_pattern = pattern,
		.name_pattern = colon + 1,
		.traceable = true,
		.verbose = req->verbose,
		.retval = retval,
	};
	int n = kfunc_list(req->out, &l);
	free(pattern);
	return n;
}

/* bpftrace lists the return type in -lv for both. */
static int fentry_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	return list(self, req, true);
}

const struct probe_provider probe_fentry = {
	.name = "fentry",
	.aliases = { "f", "kfunc", NULL },
	.type = PT_FENTRY,
	.filter_self = true,
	.args_type = fentry_args_type,
	.args_as = kernel_pointers,
	.pointer_as = kernel_pointers,
	.emit_args_member = kfunc_emit_args_member,
	.emit_func_ip = fentry_emit_func_ip,
	.expand = fentry_expand,
	.section = fentry_section,
	.prepare = fentry_prepare,
	.attach = fentry_attach,
	.attach_hint = fentry_attach_hint,
	.load_refused = fentry_load_refused,
	.list = fentry_list,
};

const struct probe_provider probe_fexit = {
	.name = "fexit",
	.aliases = { "fr", "kretfunc", NULL },
	.type = PT_FEXIT,
	.filter_self = true,
	.args_type = fentry_args_type,
	.args_as = kernel_pointers,
	.pointer_as = kernel_pointers,
	.emit_args_member = kfunc_emit_args_member,
	.emit_retval = fexit_emit_retval,
	.retval_type = fexit_retval_type,
	.emit_func_ip = fentry_emit_func_ip,
	.expand = fexit_expand,
	.section = fentry_section,
	.prepare = fentry_prepare,
	.attach = fentry_attach,
	.attach_hint = fentry_attach_hint,
	.load_refused = fentry_load_refused,
	.list = fentry_list,
};
