/* rawtracepoint.c - `rawtracepoint[:MODULE]:NAME` (alias `rt`), NAME may
 * have wildcards (matched against vmlinux BTF's btf_trace_NAME typedefs).
 *
 * The context is the tracepoint's raw arguments as u64 args[] (arg0..);
 * `args.NAME` reads them named and typed by the prototype of
 * btf_trace_NAME (vmlinux only; a module's tracepoint has argN only);
 * reading past the tracepoint's real argument count is refused by the
 * kernel at attach time. Raw tracepoints need no tracefs and detach much
 * faster than perf-event tracepoints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ast.h"
#include "btf.h"
#include "cg.h"
#include "list.h"
#include "probe.h"
#include "suggest.h"

/* Trace event categories whose events are not kernel tracepoints (syscall
 * events are synthesised from raw_syscalls; the rest are dynamic or ftrace
 * internals), so no raw tracepoint carries their names. */
static bool is_synthetic_category(const char *line, size_t len)
{
	static const char *const synthetic[] = { "syscalls", "ftrace", "kprobes", "uprobes", "eprobes" };
	for (size_t i = 0; i < sizeof(synthetic) / sizeof(synthetic[0]); i++)
		if (strlen(synthetic[i]) == len && strncmp(line, synthetic[i], len) == 0)
			return true;
	return false;
}

/* Looks `name` up among the kernel tracepoints tracefs lists; when
 * `near` is given, also the closest other name (for "did you mean"). */
static bool in_available_events(const char *name, struct suggestion *near)
{
	const char *root = tracefs_path();
	if (!root)
		return false;
	char *path = xasprintf("%s/available_events", root);
	FILE *f = fopen(path, "r");
	free(path);
	if (!f)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		const char *colon = strchr(line, ':');
		if (!colon || is_synthetic_category(line, (size_t)(colon - line)))
			continue;
		found = strcmp(colon + 1, name) == 0;
		if (near)
			suggestion_consider(near, colon + 1);
	}
	fclose(f);
	return found;
}

static void report_not_found(struct diag *d, srcloc loc, const char *name)
{
	struct suggestion near;
	suggestion_init(&near, name);
	in_available_events(name, &near);
	/* syscalls:sys_enter_read and the like exist only as trace events */
	char *tp = near.best ? NULL : tracepoint_closest("", name);
	if (near.best)
		diag_error(d, loc, "raw tracepoint '%s' not found; did you mean '%s'?", name, near.best);
	else if (tp)
		diag_error(d, loc, "raw tracepoint '%s' not found; did you mean 'tracepoint:%s'?", name, tp);
	else
		diag_error(d, loc, "raw tracepoint '%s' not found", name);
	free(tp);
	suggestion_free(&near);
}

/* Tracepoints without a trace event (e.g. sched_update_nr_running_tp) exist
 * only as the BTF typedef btf_trace_NAME. Loading vmlinux BTF costs ~10 ms,
 * so this is only asked when tracefs does not know the name. */
static bool in_vmlinux_btf(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf)
		return false;
	char *type = xasprintf("btf_trace_%s", name);
	bool found = btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF) >= 0;
	free(type);
	btf__free(btf);
	return found;
}

static bool is_identifier(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* The module part of rawtracepoint:MODULE:NAME exists: vmlinux, or a
 * loaded module with BTF (/sys/kernel/btf/MODULE). */
static bool module_exists(const char *module)
{
	if (strcmp(module, "vmlinux") == 0)
		return true;
	char *path = xasprintf("/sys/kernel/btf/%s", module);
	bool found = access(path, F_OK) == 0;
	free(path);
	return found;
}

static bool module_has_tracepoint(const char *module, const char *name)
{
	if (strcmp(module, "vmlinux") == 0)
		return in_available_events(name, NULL) || in_vmlinux_btf(name);
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct btf *btf = vmlinux ? btf__load_module_btf(module, vmlinux) : NULL;
	char *type = xasprintf("btf_trace_%s", name);
	bool found = btf && btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF) >= 0;
	free(type);
	btf__free(btf);
	btf__free(vmlinux);
	return found;
}

static void push_target(const char *module, const char *name, struct probe_target **out, int *n)
{
	struct probe_target *t = probe_target_push(out, n);
	t->type = PT_RAWTRACEPOINT;
	t->name = xasprintf("rawtracepoint:%s", name);
	/* "name" for vmlinux (what attaching needs); "module:name" otherwise,
	 * so that args know BTF cannot type them */
	t->target = strcmp(module, "vmlinux") == 0 ? xstrdup(name) : xasprintf("%s:%s", module, name);
}

/* Every vmlinux raw tracepoint (typedef btf_trace_NAME) whose NAME matches. */
static int expand_wildcard(const char *pattern, struct probe_target **out, int *n)
{
	const struct btf *btf = kbtf_btf();
	if (!btf)
		return 0;
	int found = 0;
	uint32_t count = btf__type_cnt(btf);
	for (uint32_t id = 1; id < count; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!btf_is_typedef(t))
			continue;
		const char *name = btf__name_by_offset(btf, t->name_off);
		if (name && strncmp(name, "btf_trace_", 10) == 0 && probe_wildcard_match(pattern, name + 10)) {
			push_target("vmlinux", name + 10, out, n);
			found++;
		}
	}
	return found;
}

static int rawtracepoint_expand(const char *spec, srcloc loc, struct diag *d,
				struct probe_target **out, int *n)
{
	const char *colon = strchr(spec, ':');
	const char *name = colon ? colon + 1 : spec;
	char *module = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup("*");
	int ret = -1;
	if (strchr(name, ':')) {
		diag_error(d, loc, "rawtracepoint takes 1 or 2 arguments: rawtracepoint[:MODULE]:NAME");
		goto out;
	}
	if (strpbrk(spec, "*?[")) {
		/* only vmlinux has raw tracepoints sonde can list */
		if (!probe_wildcard_match(module, "vmlinux") || !expand_wildcard(name, out, n)) {
			diag_error(d, loc, "no raw tracepoint matches '%s'", spec);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (!is_identifier(name)) {
		diag_error(d, loc, "rawtracepoint needs a tracepoint name: rawtracepoint[:MODULE]:NAME");
		goto out;
	}
	if (strcmp(module, "*") == 0) {
		free(module);
		module = xstrdup("vmlinux");
	}
	if (!module_exists(module)) {
		diag_error(d, loc, "kernel module '%s' not found (it has no BTF in /sys/kernel/btf)", module);
		goto out;
	}
	if (!module_has_tracepoint(module, name)) {
		if (strcmp(module, "vmlinux") == 0)
			report_not_found(d, loc, name);
		else
			diag_error(d, loc, "raw tracepoint '%s' not found in module '%s'", name, module);
		goto out;
	}
	push_target(module, name, out, n);
	ret = 0;
out:
	free(module);
	return ret;
}

/* The tracepoint's name without the module ("mod:name" -> "name"). */
static const char *tracepoint_name(const char *target)
{
	const char *colon = strchr(target, ':');
	return colon ? colon + 1 : target;
}

/* args: the tracepoint's arguments as the kernel declares them. */
static const struct type *rawtracepoint_args_type(const struct probe_target *t, struct type_arena *a,
						  struct diag *d, srcloc loc)
{
	if (strchr(t->target, ':')) {
		diag_error(d, loc, "the arguments of %s (in a module) are not typed by sonde yet; use arg0..argN",
			   t->name);
		return NULL;
	}
	const struct type *rec = kbtf_rawtracepoint_args(a, t->target);
	if (!rec)
		diag_error(d, loc, "the arguments of %s are not known: kernel BTF has no btf_trace_%s", t->name,
			   t->target);
	return rec;
}

/* args.NAME: slot m->offset / 8 of the context, a u64 cut to the
 * argument's type. */
static void rawtracepoint_emit_args_member(struct cg *cg, const struct type_member *m, struct cg_ref *out)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, m->offset), "");
	LLVMSetAlignment(v, 8);
	*out = (struct cg_ref){ REF_VALUE, cg_normalize(cg, v, m->type) };
}

static char *rawtracepoint_section(const struct probe_target *t)
{
	if (t->btf_typed)
		return xasprintf("tp_btf/%s", tracepoint_name(t->target));
	return xasprintf("raw_tracepoint/%s", tracepoint_name(t->target));
}

/* Helpers the kernel gives tracing programs only: a probe calling one
 * loads as tp_btf, a tracing program on the same tracepoint with the same
 * u64 argument slots, whose pointer arguments the verifier knows by type
 * (the helpers want them so). Kernel modules' tracepoints stay raw. */
static void rawtracepoint_choose_impl(struct probe_target *t, const struct probe_uses *u)
{
	static const char *const tracing_only[] = { "socket_cookie", "skboutput" };
	if (strchr(t->target, ':'))
		return;
	for (int i = 0; i < u->n; i++)
		for (size_t k = 0; k < sizeof(tracing_only) / sizeof(tracing_only[0]); k++)
			if (strcmp(u->names[i], tracing_only[k]) == 0)
				t->btf_typed = true;
}

static int rawtracepoint_attach(const struct desc_probe *p, struct bpf_program *prog,
				struct rt_links *l, char *errbuf, size_t errlen)
{
	/* tp_btf knows its tracepoint from load (its BTF id) */
	struct bpf_link *link = bpf_program__type(prog) == BPF_PROG_TYPE_TRACING ?
					bpf_program__attach_trace(prog) :
					bpf_program__attach_raw_tracepoint(prog, tracepoint_name(p->target));
	if (!link) {
		int err = -errno;
		snprintf(errbuf, errlen, "%s", strerror(-err));
		return err;
	}
	return rt_links_add(l, link);
}

/* The context is the tracepoint's arguments as u64 args[]. */
static struct LLVMOpaqueValue *rawtracepoint_emit_argn(struct cg *cg, int n)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, (uint64_t)n * 8), "");
	LLVMSetAlignment(v, 8);
	return v;
}

static enum addr_space kernel_pointers(const struct probe_target *t)
{
	(void)t;
	return AS_KERNEL;
}

static const char *rawtracepoint_attach_hint(int err)
{
	(void)err;
	return "does this kernel have the tracepoint, and does it have as many arguments as the probe reads (argN)?";
}

const struct probe_provider probe_rawtracepoint = {
	.name = "rawtracepoint",
	.aliases = { "rt", NULL },
	.type = PT_RAWTRACEPOINT,
	.emit_argn = rawtracepoint_emit_argn,
	.args_type = rawtracepoint_args_type,
	.args_as = kernel_pointers,
	.emit_args_member = rawtracepoint_emit_args_member,
	.pointer_as = kernel_pointers,
	.filter_self = true,
	.max_args = 6,
	.expand = rawtracepoint_expand,
	.section = rawtracepoint_section,
	.choose_impl = rawtracepoint_choose_impl,
	.attach = rawtracepoint_attach,
	.attach_hint = rawtracepoint_attach_hint,
	.list = rawtracepoint_list, /* probes/rawtracepoint_list.c */
};
