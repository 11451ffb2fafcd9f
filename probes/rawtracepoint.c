/* rawtracepoint.c - `rawtracepoint:NAME` (alias `rt`), also
 * `rawtracepoint:MODULE:NAME` with the module accepted and ignored.
 *
 * The context is the tracepoint's raw arguments as u64 args[] (arg0..);
 * reading past the tracepoint's real argument count is refused by the
 * kernel at attach time. Raw tracepoints need no tracefs and detach much
 * faster than perf-event tracepoints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ast.h"
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

static int rawtracepoint_expand(const char *spec, srcloc loc, struct diag *d,
				struct probe_target **out, int *n)
{
	const char *name = strrchr(spec, ':');
	name = name ? name + 1 : spec;
	if (strpbrk(spec, "*?[")) {
		diag_error(d, loc, "rawtracepoint does not support wildcards");
		return -1;
	}
	if (!is_identifier(name)) {
		diag_error(d, loc, "rawtracepoint needs a tracepoint name: rawtracepoint:NAME");
		return -1;
	}
	if (!in_available_events(name, NULL) && !in_vmlinux_btf(name)) {
		report_not_found(d, loc, name);
		return -1;
	}
	struct probe_target *t = probe_target_push(out, n);
	t->type = PT_RAWTRACEPOINT;
	t->name = xasprintf("rawtracepoint:%s", name);
	t->target = xstrdup(name);
	return 0;
}

static char *rawtracepoint_section(const struct probe_target *t)
{
	return xasprintf("raw_tracepoint/%s", t->target);
}

static int rawtracepoint_attach(const struct desc_probe *p, struct bpf_program *prog,
				struct rt_links *l, char *errbuf, size_t errlen)
{
	struct bpf_link *link = bpf_program__attach_raw_tracepoint(prog, p->target);
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
	.pointer_as = kernel_pointers,
	.filter_self = true,
	.max_args = 6,
	.expand = rawtracepoint_expand,
	.section = rawtracepoint_section,
	.attach = rawtracepoint_attach,
	.attach_hint = rawtracepoint_attach_hint,
	.list = rawtracepoint_list, /* probes/rawtracepoint_list.c */
};
