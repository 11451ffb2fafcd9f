/* kprobe_fentry.c - `kprobe:FN` / `kretprobe:FN` run as fentry / fexit
 * where that is cheaper and behaves the same.
 *
 * A kprobe on a function entry goes through ftrace's kprobe handler, which
 * saves a full struct pt_regs, disables preemption, walks the kprobe
 * table and runs the program through the kprobe perf event; a kretprobe
 * also replaces the return address (one instance from a fixed pool per
 * active call: calls beyond the pool are missed). A BPF trampoline calls
 * the program directly with the arguments saved as u64 slots. Measured in
 * Debian 12's 6.1 guest (bench/run.sh kprobe): see README "kprobe → fentry".
 *
 * The user sees no difference: the target keeps its kprobe name (`probe`,
 * listing, output, errors), argN is the N-th argument slot (the same
 * register a kprobe reads: a trampoline saves the argument registers in
 * order), retval the slot after them (rax), `func` bpf_get_func_ip. What a
 * trampoline cannot reproduce keeps the kprobe:
 *   - fn+offset, module functions, functions without BTF, functions a
 *     trampoline cannot take (variadic, >6 argument registers, float
 *     arguments, structs by value over 16 bytes, not traceable by ftrace);
 *   - argN past the function's arguments (a kprobe reads a stale
 *     register; a trampoline has no such slot and the verifier refuses it);
 *   - builtins that read struct pt_regs or the stack as a kprobe sees it:
 *     kstack (a trampoline's stack starts with the BPF program's and the
 *     trampoline's own frames, and the function's frame at another
 *     offset), reg(), sargN, ctx, and override() (kprobe only);
 *   - a program shared by several kprobes (kprobe_multi);
 *   - the functions the kernel refuses trampolines on (btf_id_deny).
 * Wildcards are lowered too: attaching and detaching 16 functions took the
 * same time both ways in the guest (~0.2 s a function under emulation,
 * most of it the detach's RCU wait), and each event costs less.
 *
 * SONDE_KPROBE_FENTRY=0 never lowers (always a kprobe); unset or =1:
 * wherever it behaves the same. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "btf.h"
#include "kfunc.h"
#include "probe.h"
#include "util.h"

enum kprobe_fentry_mode kprobe_fentry_mode(void)
{
	const char *env = getenv("SONDE_KPROBE_FENTRY");
	if (env && strcmp(env, "0") == 0)
		return KPROBE_FENTRY_NEVER;
	if (env && strcmp(env, "1") == 0)
		return KPROBE_FENTRY_ALWAYS;
	return KPROBE_FENTRY_AUTO;
}

/* Builtins and functions whose meaning is tied to a kprobe's struct pt_regs
 * or its stack (see the comment at the top). A name ending in '*' is a
 * prefix. */
static const char *const kprobe_only[] = { "kstack", "reg", "override", "sarg*", "ctx" };

static bool name_matches(const char *pattern, const char *name)
{
	size_t len = strlen(pattern);
	if (len && pattern[len - 1] == '*')
		return strncmp(pattern, name, len - 1) == 0;
	return strcmp(pattern, name) == 0;
}

/* "arg3" -> 3; -1 for any other name */
static int argn_index(const char *name)
{
	if (strncmp(name, "arg", 3) != 0 || name[3] < '0' || name[3] > '9')
		return -1;
	char *end;
	long n = strtol(name + 3, &end, 10);
	return *end || n > 1000 ? -1 : (int)n;
}

const char *kprobe_fentry_refusal(const struct kprobe_fentry_facts *f, const struct probe_uses *u)
{
	if (f->mode == KPROBE_FENTRY_NEVER)
		return "SONDE_KPROBE_FENTRY=0";
	if (!f->trampolines)
		return "this kernel does not attach BPF trampolines";
	if (f->has_offset)
		return "a probe at an offset in the function";
	if (f->in_module)
		return "a module function";
	if (u->shared)
		return "one program shared by several kprobes";
	if (f->denied)
		return "the kernel refuses trampolines on the function (btf_id_deny)";
	if (!f->btf_found)
		return "the function has no BTF";
	if (!f->btf_supported)
		return "a trampoline cannot pass the function's arguments";
	if (!f->traceable)
		return "ftrace cannot trace the function";
	for (int i = 0; i < u->n; i++) {
		const char *name = u->names[i];
		for (size_t k = 0; k < sizeof(kprobe_only) / sizeof(kprobe_only[0]); k++)
			if (name_matches(kprobe_only[k], name))
				return "the actions use a builtin that reads the kprobe's registers or stack";
		int n = argn_index(name);
		if (n >= 0 && n >= f->nslots)
			return "argN past the function's arguments";
	}
	return NULL;
}

/* ---- what the kernel can do ------------------------------------------------------ */

/* A function no one calls but BPF_PROG_TEST_RUN (net/bpf/test_run.c), so
 * attaching to it disturbs nothing; vfs_read where it is missing. */
static const char *const probe_targets[] = { "bpf_fentry_test1", "vfs_read" };

/* Load an empty fentry program: the load says BTF and the program type are
 * there and allowed (lockdown refuses them). Where trampolines may be
 * missing for the architecture (arm64 before 6.0), attach it once too; on
 * x86-64 every kernel that loads one has them (5.5+), and an attach and
 * detach cost ~0.3 s in the guest (detaching waits for the trampoline's
 * users). Once per process, and only when compiling (the compile cache
 * keeps the result with the program). */
bool kprobe_fentry_trampolines(void)
{
	static int known = -1;
	if (known >= 0)
		return known;
	known = 0;
	if (!kbtf_available())
		return false;
	struct kfunc f;
	bool found = false;
	for (size_t i = 0; i < sizeof(probe_targets) / sizeof(probe_targets[0]) && !found; i++)
		found = kfunc_find("vmlinux", probe_targets[i], &f);
	if (!found)
		return false;
	static const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .attach_btf_id = f.id, .expected_attach_type = BPF_TRACE_FENTRY);
	int prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "sonde_probe", "GPL", ret0, 2, &opts);
	if (prog < 0)
		return false;
#if defined(__x86_64__)
	known = 1;
#else
	int link = bpf_raw_tracepoint_open(NULL, prog);
	known = link >= 0;
	if (link >= 0)
		close(link);
#endif
	close(prog);
	return known;
}

/* ---- the choice for one target ------------------------------------------------- */

/* A trampoline passes integers, pointers, enums and small structs in the
 * argument registers; anything else (floats) it refuses. */
static bool params_in_int_registers(const struct kfunc *f)
{
	const struct btf_type *proto = btf__type_by_id(f->btf, f->proto);
	const struct btf_param *p = btf_params(proto);
	for (int i = 0; i < btf_vlen(proto); i++) {
		uint32_t id = p[i].type;
		const struct btf_type *t = btf__type_by_id(f->btf, id);
		for (int k = 0; k < 32 && t && (btf_is_mod(t) || btf_is_typedef(t)); k++)
			t = btf__type_by_id(f->btf, t->type);
		if (!t || !(btf_is_int(t) || btf_is_ptr(t) || btf_is_any_enum(t) || btf_is_composite(t)))
			return false;
	}
	return true;
}

/* The kernel's btf_id_deny (kernel/bpf/verifier.c, 6.1): functions the
 * trampoline's own code runs, refused as fentry targets. */
static const char *const trampoline_denied[] = {
	"migrate_disable", "migrate_enable", "rcu_read_unlock_strict",
	"preempt_count_add", "preempt_count_sub", "__rcu_read_lock", "__rcu_read_unlock",
};

static bool is_denied(const char *fn)
{
	for (size_t i = 0; i < sizeof(trampoline_denied) / sizeof(trampoline_denied[0]); i++)
		if (strcmp(trampoline_denied[i], fn) == 0)
			return true;
	return false;
}

static void gather_facts(const struct probe_target *t, struct kprobe_fentry_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->mode = kprobe_fentry_mode();
	f->has_offset = strchr(t->target, '+') != NULL;
	f->in_module = strchr(t->target, ':') != NULL;
	f->denied = is_denied(t->target);
	if (f->mode == KPROBE_FENTRY_NEVER || f->has_offset || f->in_module)
		return;
	f->trampolines = kprobe_fentry_trampolines();
	if (!f->trampolines)
		return;
	struct kfunc k;
	f->btf_found = kfunc_find("vmlinux", t->target, &k);
	if (!f->btf_found)
		return;
	char *why = kfunc_unsupported(&k);
	f->btf_supported = !why && params_in_int_registers(&k);
	free(why);
	/* kprobe.c's expansion took t only from available_filter_functions,
	 * which is what kfunc_traceable reads again (slowly: the kernel
	 * formats the whole list on each read) */
	f->traceable = true;
	f->nslots = kfunc_nslots(&k);
}

void kprobe_fentry_choose(struct probe_target *t, const struct probe_uses *u)
{
	struct kprobe_fentry_facts f;
	gather_facts(t, &f);
	t->via_trampoline = kprobe_fentry_refusal(&f, u) == NULL;
}

/* ---- codegen and attach of a lowered target ------------------------------------ */

int kprobe_fentry_slots(const struct probe_target *t)
{
	struct kfunc k;
	return kfunc_find("vmlinux", t->target, &k) ? kfunc_nslots(&k) : 0;
}

char *kprobe_fentry_section(const struct probe_target *t)
{
	return xasprintf("%s/%s", t->type == PT_KRETPROBE ? "fexit" : "fentry", t->target);
}

bool kprobe_fentry_is_lowered(const struct bpf_program *prog)
{
	return bpf_program__type(prog) == BPF_PROG_TYPE_TRACING;
}

int kprobe_fentry_attach(struct bpf_program *prog, struct rt_links *l, char *errbuf, size_t errlen)
{
	struct bpf_link *link = bpf_program__attach_trace(prog);
	if (!link) {
		int err = -errno;
		snprintf(errbuf, errlen, "as fentry/fexit: %s", strerror(-err));
		return err;
	}
	return rt_links_add(l, link);
}
