/* kfuncs.c - what sema knows about kernel functions (kfuncs): whether the
 * kernel has one, whether a probe's program type may call it
 * (kfunc_allowed()), and comm(pid), the first builtin that calls them
 * (codegen/kfunc.c emits the calls).
 *
 * Whether a program type may call a kfunc is the kernel's policy (each
 * kfunc set is registered for some program types) and is not in BTF: as
 * bpftrace does, sema asks the kernel with a two-instruction program that
 * calls the kfunc, loaded as the probe's program type. The verifier says
 * "calling kernel function NAME is not allowed" before anything else when
 * the type may not call it; any other outcome counts as allowed (the real
 * load reports its own errors). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "btf.h"
#include "builtins.h"
#include "sema.h"
#include "types.h"

/* BTF id of kernel function `name` tagged as a kfunc (decl tag bpf_kfunc),
 * or 0 when this kernel's BTF has none. */
int stdlib_kfunc_btf_id(const char *name)
{
	const struct btf *btf = kbtf_available() ? kbtf_btf() : NULL;
	int id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) : -1;
	if (id <= 0)
		return 0;
	for (uint32_t t = 1; t < btf__type_cnt(btf); t++) {
		const struct btf_type *bt = btf__type_by_id(btf, t);
		if (btf_is_decl_tag(bt) && bt->type == (uint32_t)id &&
		    strcmp(btf__name_by_offset(btf, bt->name_off), "bpf_kfunc") == 0)
			return id;
	}
	return 0;
}

/* Answers already asked of the kernel (sema runs a script several times). */
struct kfunc_answer {
	char name[64];
	enum bpf_prog_type type;
	bool allowed;
};
static struct kfunc_answer kfunc_answers[16];
static int kfunc_nanswers;

static bool kernel_allows(const char *name, int btf_id, enum bpf_prog_type type)
{
	for (int i = 0; i < kfunc_nanswers; i++)
		if (kfunc_answers[i].type == type && strcmp(kfunc_answers[i].name, name) == 0)
			return kfunc_answers[i].allowed;
	struct bpf_insn insns[2] = {
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = btf_id },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	int fd = bpf_prog_load(type, "sonde_kfunc", "GPL", insns, 2, &opts);
	bool allowed = true;
	int err = errno;
	if (fd >= 0) {
		close(fd);
	} else if ((err == EPERM || err == EACCES) && !log[0]) {
		/* not allowed to ask (unprivileged compile): the kernel registers
		 * its kfunc sets for trampoline-based (tracing, lsm) programs, and
		 * never so far for kprobe, tracepoint or perf-event ones */
		allowed = type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_LSM;
	} else {
		char refused[128];
		snprintf(refused, sizeof(refused), "calling kernel function %s is not allowed", name);
		allowed = strstr(log, refused) == NULL;
	}
	if (kfunc_nanswers < (int)(sizeof(kfunc_answers) / sizeof(kfunc_answers[0])) && strlen(name) < 64) {
		struct kfunc_answer *a = &kfunc_answers[kfunc_nanswers++];
		strcpy(a->name, name);
		a->type = type;
		a->allowed = allowed;
	}
	return allowed;
}

/* The BPF program type of group g's programs (from its libbpf section). */
static bool group_prog_type(const struct prog_group *g, enum bpf_prog_type *type)
{
	char *sec = g->prov->section ? g->prov->section(&g->target) : NULL;
	enum bpf_attach_type attach;
	bool ok = sec && libbpf_prog_type_by_name(sec, type, &attach) == 0;
	free(sec);
	return ok;
}

/* Whether every program the action being checked runs in may call kfunc
 * `name` (id btf_id); when not, *refused is the first that may not. */
static bool allowed_everywhere(struct sema *s, const char *name, int btf_id,
			       const struct prog_group **refused)
{
	for (int i = 0; i < sema_ntargets(s); i++) {
		const struct prog_group *g = sema_target(s, i);
		enum bpf_prog_type type;
		if (!group_prog_type(g, &type) || !kernel_allows(name, btf_id, type)) {
			*refused = g;
			return false;
		}
	}
	return true;
}

/* kfunc_allowed("name"): whether this probe's programs may call the kfunc,
 * decided while compiling (false when the kernel has no such kfunc). */
const struct type *stdlib_check_kfunc_allowed(struct sema *s, struct node *n)
{
	char buf[128];
	struct node *name = n->args;
	const struct type *t = sema_expr(s, name);
	if (type_is_none(t))
		return t;
	if (name->kind != N_STR)
		return sema_fail(s, name->loc, "kfunc_allowed() accepts a string literal only, got %s",
				 type_name(t, buf, sizeof(buf)));
	int id = stdlib_kfunc_btf_id(name->str);
	const struct prog_group *refused = NULL;
	bool allowed = id > 0 && allowed_everywhere(s, name->str, id, &refused);
	return sema_replace_call_literal(s, n, N_BOOL, allowed);
}

/* comm(pid): the name of another task, through kfuncs bpf_task_from_pid
 * and bpf_task_release. The offset of task_struct.comm goes in n->ival,
 * the "No such process" warning's format in n->index. */
const struct type *stdlib_check_comm_pid(struct sema *s, struct node *n)
{
	char buf[128];
	const struct type *t = sema_expr(s, n->args);
	if (type_is_none(t))
		return t;
	if (!type_is_integer(t))
		return sema_fail(s, n->args->loc, "comm(pid) expects an integer pid, got %s",
				 type_name(t, buf, sizeof(buf)));
	static const char *const needed[] = { "bpf_task_from_pid", "bpf_task_release" };
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		int id = stdlib_kfunc_btf_id(needed[i]);
		const struct prog_group *refused = NULL;
		if (id <= 0)
			return sema_fail(s, n->loc,
					 "comm(pid) needs the kernel function %s (a kfunc of Linux 6.2 and later), "
					 "which this kernel's BTF does not have%s%s",
					 needed[i], kbtf_available() ? "" : ": ", kbtf_available() ? "" : kbtf_error());
		if (!allowed_everywhere(s, needed[i], id, &refused))
			return sema_fail(s, n->loc,
					 "comm(pid) is not supported in %s probes: the kernel lets only some program "
					 "types call the %s kfunc (fentry, fexit and iter probes can)",
					 sema_probe_name(refused), needed[i]);
	}
	const struct type *task = kbtf_type(sema_types(s), "struct task_struct");
	const struct type_member *comm = task && kbtf_complete(sema_types(s), task) ?
					 type_member_find(task, "comm") : NULL;
	if (!comm)
		return sema_fail(s, n->loc, "comm(pid): this kernel's BTF has no task_struct.comm");
	n->ival = comm->offset;
	const struct type *arg = type_int(8, true);
	const struct type *rec = type_tuple(sema_types(s), &arg, 1);
	if (sema_register_format(s, n, "No such process (pid=%d)", rec, PF_WARNF) < 0)
		return type_none();
	return type_str(sema_types(s), SONDE_COMM_LEN);
}
