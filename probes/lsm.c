/* lsm.c - `lsm:HOOK` (e.g. lsm:file_open): BPF LSM programs, called at
 * the kernel's security hooks (bpftrace has no such probe type).
 *
 * A hook HOOK exists when vmlinux's BTF has the function bpf_lsm_HOOK, the
 * stub the kernel's BPF LSM calls; `args.NAME` are its parameters, read
 * from the context as fentry reads a function's. HOOK may have wildcards.
 * The program's return value is the hook's answer: 0 lets the operation
 * go on, a negative errno denies it. `return EXPR;` sets it, which needs
 * --unsafe (sema/flow.c); without a return value the program only
 * watches. The kernel must run the BPF LSM (`bpf` in
 * /sys/kernel/security/lsm, e.g. booted with lsm=...,bpf). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "ast.h"
#include "btf.h"
#include "kfunc.h"
#include "probe.h"

#define LSM_PREFIX "bpf_lsm_"

static void push_target(const char *hook, struct probe_target **out, int *n)
{
	struct probe_target *t = probe_target_push(out, n);
	t->type = PT_LSM;
	t->name = xasprintf("lsm:%s", hook);
	t->target = xstrdup(hook);
}

static void push_hook(const struct kfunc *f, void *arg)
{
	void **a = arg;
	push_target(f->name + strlen(LSM_PREFIX), a[0], a[1]);
}

static int lsm_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	if (!*spec || strchr(spec, ':')) {
		diag_error(d, loc, "lsm takes 1 argument: lsm:HOOK (e.g. lsm:file_open)");
		return -1;
	}
	if (!kbtf_available()) {
		diag_error(d, loc, "lsm probes need kernel BTF: %s", kbtf_error());
		return -1;
	}
	char *name = xasprintf(LSM_PREFIX "%s", spec);
	int ret = 0;
	if (strchr(spec, '*')) {
		void *arg[2] = { out, n };
		if (kfunc_each("vmlinux", name, false, push_hook, arg) == 0) {
			diag_error(d, loc, "no LSM hook matches '%s'", spec);
			ret = -1;
		}
	} else {
		struct kfunc f;
		if (kfunc_find("vmlinux", name, &f)) {
			push_target(spec, out, n);
		} else {
			char *near = kfunc_closest(LSM_PREFIX, spec);
			if (near)
				diag_error(d, loc, "unknown LSM hook '%s'; did you mean '%s'?", spec, near);
			else
				diag_error(d, loc, "unknown LSM hook '%s' (the kernel's BTF has no %s)", spec, name);
			free(near);
			ret = -1;
		}
	}
	free(name);
	return ret;
}

static bool hook_func(const char *hook, struct kfunc *f)
{
	char *name = xasprintf(LSM_PREFIX "%s", hook);
	bool found = kfunc_find("vmlinux", name, f);
	free(name);
	return found;
}

static const struct type *lsm_args_type(const struct probe_target *t, struct type_arena *a,
					struct diag *d, srcloc loc)
{
	struct kfunc f;
	if (!hook_func(t->target, &f)) {
		diag_error(d, loc, "the arguments of %s are not known: BTF has no " LSM_PREFIX "%s", t->name,
			   t->target);
		return NULL;
	}
	char *name = xasprintf("struct _lsm_%s", t->target);
	const struct type *rec = kfunc_args(a, &f, name);
	free(name);
	return rec;
}

static char *lsm_return_unavailable(const struct probe_target *t)
{
	struct kfunc f;
	if (!hook_func(t->target, &f))
		return xasprintf("the kernel's BTF has no " LSM_PREFIX "%s", t->target);
	if (kfunc_returns_void(&f))
		return xasprintf("the hook %s returns nothing: it cannot deny anything", t->target);
	return NULL;
}

static enum addr_space kernel_pointers(const struct probe_target *t)
{
	(void)t;
	return AS_KERNEL;
}

static char *lsm_section(const struct probe_target *t)
{
	return xasprintf("lsm/%s", t->target);
}

/* Whether the BPF LSM runs: /sys/kernel/security/lsm lists it. Unknown
 * (securityfs not mounted) counts as yes: the kernel then says. */
static bool bpf_lsm_active(void)
{
	FILE *f = fopen("/sys/kernel/security/lsm", "r");
	if (!f)
		return true;
	char line[512] = "";
	bool active = true;
	if (fgets(line, sizeof(line), f)) {
		active = false;
		for (char *tok = strtok(line, ",\n"); tok && !active; tok = strtok(NULL, ",\n"))
			active = strcmp(tok, "bpf") == 0;
	}
	fclose(f);
	return active;
}

static int lsm_attach(const struct desc_probe *p, struct bpf_program *prog, struct rt_links *l,
		      char *errbuf, size_t errlen)
{
	(void)p;
	if (!bpf_lsm_active()) {
		snprintf(errbuf, errlen, "the kernel does not run the BPF LSM (no 'bpf' in /sys/kernel/security/lsm)");
		return -EOPNOTSUPP;
	}
	struct bpf_link *link = bpf_program__attach_lsm(prog);
	if (!link) {
		int err = -errno;
		snprintf(errbuf, errlen, "%s", strerror(-err));
		return err;
	}
	return rt_links_add(l, link);
}

static const char *lsm_attach_hint(int err)
{
	if (err == -EOPNOTSUPP)
		return "boot the kernel with 'bpf' in its LSM list (lsm=...,bpf on the kernel command line, "
		       "or CONFIG_LSM ending in bpf) and CONFIG_BPF_LSM=y";
	return "does the kernel have CONFIG_BPF_LSM=y and 'bpf' in /sys/kernel/security/lsm?";
}

static void lsm_load_refused(const struct desc_probe *p, int err, FILE *out)
{
	(void)p;
	kfunc_report_refused("lsm", err, NULL, out);
}

static char *hook_label(const struct kfunc *f)
{
	return xstrdup(f->name + strlen(LSM_PREFIX));
}

static int lsm_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	if (!kbtf_available()) {
		fprintf(stderr, "sonde: cannot list lsm probes: %s\n", kbtf_error());
		return -1;
	}
	char *pattern = xasprintf(LSM_PREFIX "%s", req->pattern);
	struct kfunc_listing l = {
		.type_name = self->name,
		.module_pattern = "vmlinux",
		.name_pattern = pattern,
		.verbose = req->verbose,
		.label = hook_label,
	};
	int n = kfunc_list(req->out, &l);
	free(pattern);
	return n;
}

const struct probe_provider probe_lsm = {
	.name = "lsm",
	.aliases = { NULL },
	.type = PT_LSM,
	.filter_self = true,
	.args_type = lsm_args_type,
	.args_as = kernel_pointers,
	.pointer_as = kernel_pointers,
	.emit_args_member = kfunc_emit_args_member,
	.return_unavailable = lsm_return_unavailable,
	.expand = lsm_expand,
	.section = lsm_section,
	.attach = lsm_attach,
	.attach_hint = lsm_attach_hint,
	.load_refused = lsm_load_refused,
	.list = lsm_list,
};
