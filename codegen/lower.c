/* lower.c - programs of tracepoints lowered to the raw tracepoints sys_enter
 * and sys_exit (see probe_lowering in probe.h and probes/syscalls.c).
 *
 * All groups lowered to one raw tracepoint become ONE program:
 *
 *     nr = the syscall number (sys_enter: args[1]; sys_exit: regs->orig_ax)
 *     switch (nr) { case N: <the actions of the tracepoints firing on N> }
 *     default:        <the actions of raw_syscalls:*, which fire on every nr>
 *
 * Each case block starts with the self filter and then runs, in group
 * order (= the order the tracepoints would have been attached in), the
 * actions of every group firing on that number. Case blocks are shared
 * between numbers that run the same code: an action that reads neither
 * `probe` nor `args` is the same code for every tracepoint it is attached
 * to, so `tracepoint:syscalls:sys_enter_* { @ = count(); }` is one switch
 * into one block. The BPF backend lowers the switch to a compare tree
 * (ranges of numbers sharing a block collapse into range checks).
 *
 * `args.<field>` is rebuilt from the raw arguments. sys_enter_X's record
 * holds the syscall's arguments as u64s after the number (offset 16 = the
 * first); they are read from the user registers (struct pt_regs *, args[0])
 * with bpf_probe_read_kernel, at the x86_64 ABI offsets of di, si, dx, r10,
 * r8, r9. sys_exit_X's `ret` is args[1]. raw_syscalls' `id` is the number. */
#include <stdlib.h>
#include <string.h>

#include "cg.h"
#include "util.h"

/* struct pt_regs (arch/x86/include/asm/ptrace.h): fixed by the x86_64 ABI */
#define PT_REGS_ORIG_AX 120
static const uint32_t pt_regs_syscall_arg[6] = { 112, 104, 96, 56, 72, 64 }; /* di si dx r10 r8 r9 */

/* ---- reading the raw tracepoint's arguments ------------------------------ */

static LLVMValueRef raw_arg(struct cg *cg, unsigned i)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, i * 8u), "");
	LLVMSetAlignment(v, 8);
	return v;
}

/* 8 bytes at `offset` in the user registers: the raw tracepoint gets a plain
 * pointer, not one the verifier lets the program dereference. */
static LLVMValueRef read_regs_u64(struct cg *cg, uint32_t offset)
{
	LLVMValueRef regs = LLVMBuildLoad2(cg->b, cg->ptr, cg->ctx_arg, "regs");
	LLVMSetAlignment(regs, 8);
	int mark = cg_temp_mark(cg);
	LLVMValueRef buf = cg_temp(cg, 8);
	/* zeroed first: a failed read leaves the buffer as it was */
	LLVMSetAlignment(LLVMBuildStore(cg->b, cg_const(cg, 0), buf), 8);
	LLVMValueRef args[3] = { buf, cg_const(cg, 8), cg_ptr_add(cg, regs, offset) };
	cg_helper(cg, HELPER_PROBE_READ_KERNEL, cg->i64, args, 3);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, buf, "");
	LLVMSetAlignment(v, 8);
	cg_temp_release(cg, mark);
	return v;
}

static LLVMValueRef syscall_nr(struct cg *cg, enum lower_kind kind)
{
	if (cg->sys_nr)
		return cg->sys_nr;
	/* sys_exit's arguments are (regs, ret): the number is what the
	 * syscall entry saved in orig_ax, which is what the kernel's own
	 * syscall_get_nr() returns */
	return kind == LOWER_SYS_ENTER ? raw_arg(cg, 1) : read_regs_u64(cg, PT_REGS_ORIG_AX);
}

LLVMValueRef cg_lowered_field(struct cg *cg, uint32_t offset)
{
	enum lower_kind kind = cg->target->lower.kind;
	if (offset == 8)
		return syscall_nr(cg, kind);
	uint32_t arg = offset >= 16 ? (offset - 16) / 8 : 6;
	if (kind == LOWER_SYS_EXIT && arg == 0)
		return raw_arg(cg, 1);
	if (kind == LOWER_SYS_ENTER && arg < 6 && offset % 8 == 0)
		return read_regs_u64(cg, pt_regs_syscall_arg[arg]);
	/* probes/syscalls.c lowers only layouts it knows; this is a bug */
	cg_error(cg, (srcloc){ 0 }, "internal error: cannot read the field at offset %u of lowered %s",
		 (unsigned)offset, cg->target->name);
	return cg_const(cg, 0);
}

/* ---- which actions depend on the tracepoint they run for ----------------- */

static bool node_uses_probe(const struct node *n)
{
	for (; n; n = n->next) {
		if (n->kind == N_BUILTIN && n->name && strcmp(n->name, "probe") == 0)
			return true;
		const struct node *kids[] = { n->lhs, n->rhs, n->cond, n->then, n->els, n->args, n->body };
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			if (node_uses_probe(kids[i]))
				return true;
	}
	return false;
}

static bool action_uses_probe(const struct probe *p)
{
	return node_uses_probe(p->pred) || node_uses_probe(p->body);
}

static bool same_member(const struct type_member *a, const struct type_member *b)
{
	return a && b && a->offset == b->offset && type_equal(a->type, b->type) &&
	       a->bit_size == b->bit_size && a->bit_offset == b->bit_offset &&
	       a->is_data_loc == b->is_data_loc;
}

/* Every args.<field> of the subtree reads the same bytes the same way in
 * the action's targets ka and kb (then the code for one is the code for
 * the other). */
static bool same_fields(const struct node *n, int ka, int kb)
{
	for (; n; n = n->next) {
		if (n->kind == N_FIELD && n->members && !same_member(n->members[ka], n->members[kb]))
			return false;
		const struct node *kids[] = { n->lhs, n->rhs, n->cond, n->then, n->els, n->args, n->body };
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			if (!same_fields(kids[i], ka, kb))
				return false;
	}
	return true;
}

static int target_index(const struct probe *p, int group)
{
	for (int k = 0; k < p->ntargets; k++)
		if (p->targets[k] == group)
			return k;
	return -1;
}

/* Is the code of action p for group a also right for group b? `probe`
 * is not compared: syscall-specific groups get it from a slot the dispatch
 * fills (see probe_slot), raw_syscalls groups never share with them. */
static bool same_code(struct cg *cg, const struct probe *p, const struct prog_group *a,
		      const struct prog_group *b)
{
	const struct probe_target *ta = &a->target, *tb = &b->target;
	if ((ta->lower.nr < 0) != (tb->lower.nr < 0) || !ta->format || !tb->format ||
	    strcmp(ta->format->category, tb->format->category) != 0)
		return false;
	int ka = target_index(p, (int)(a - cg->res->groups));
	int kb = target_index(p, (int)(b - cg->res->groups));
	if (ka < 0 || kb < 0)
		return false;
	return same_fields(p->pred, ka, kb) && same_fields(p->body, ka, kb);
}

/* ---- the dispatch ---------------------------------------------------------- */

/* One action to run for one group; `variant` is the first group whose code
 * for this action is the same (the identity of the code). */
struct step {
	struct probe *action;
	int variant, group;
};

/* The steps run for one set of syscall numbers, and its block. */
struct case_code {
	struct step *steps;
	int n;
	int nnrs;         /* syscall numbers dispatched here */
	bool needs_name;  /* a syscall-specific step reads `probe` */
	LLVMBasicBlockRef block;
};

struct dispatch {
	struct prog_group **groups;
	int ngroups;
	struct case_code *cases;
	int ncases;
	LLVMValueRef probe_slot; /* the name of the dispatched tracepoint, if needed */
};

static bool has_action(const struct prog_group *g, const struct probe *p)
{
	for (int i = 0; i < g->nactions; i++)
		if (g->actions[i] == p)
			return true;
	return false;
}

static int variant_of(struct cg *cg, struct dispatch *d, struct probe *p, int gi)
{
	for (int v = 0; v < gi; v++)
		if (has_action(d->groups[v], p) && same_code(cg, p, d->groups[v], d->groups[gi]))
			return v;
	return gi;
}

/* The first action of an earlier group that is the same code as p (separate
 * probe blocks with one body: 700 syscall probes '{ @[probe] = count(); }'),
 * and that group; p itself and gi when there is none. Cases whose steps
 * are the same then merge into one, each number naming `probe` by the slot. */
static struct probe *canonical_action(struct dispatch *d, struct probe *p, int gi, int *group)
{
	*group = gi;
	for (int v = 0; v < gi; v++)
		for (int a = 0; a < d->groups[v]->nactions; a++) {
			struct probe *q = d->groups[v]->actions[a];
			if (q != p && sema_same_action_code(q, p)) {
				*group = v;
				return q;
			}
		}
	return p;
}

static bool fires_on(const struct prog_group *g, int nr)
{
	return g->target.lower.nr < 0 || g->target.lower.nr == nr;
}

/* The steps for syscall number nr (nr < 0: a number no group names). */
static struct case_code steps_for(struct cg *cg, struct dispatch *d, int nr)
{
	struct case_code c = { 0 };
	for (int gi = 0; gi < d->ngroups; gi++) {
		const struct prog_group *g = d->groups[gi];
		if (nr < 0 ? g->target.lower.nr >= 0 : !fires_on(g, nr))
			continue;
		c.steps = xrealloc(c.steps, sizeof(*c.steps) * (size_t)(c.n + g->nactions));
		for (int a = 0; a < g->nactions; a++) {
			int from;
			struct probe *p = canonical_action(d, g->actions[a], gi, &from);
			c.steps[c.n++] = (struct step){ p, from == gi ? variant_of(cg, d, p, gi) : from, gi };
			if (g->target.lower.nr >= 0 && action_uses_probe(p))
				c.needs_name = true;
		}
	}
	return c;
}

static bool same_steps(const struct case_code *a, const struct case_code *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->steps[i].action != b->steps[i].action || a->steps[i].variant != b->steps[i].variant)
			return false;
	return true;
}

/* Index of the case running c's steps, adding c (taking its steps) if new. */
static int intern_case(struct dispatch *d, struct case_code *c)
{
	for (int i = 0; i < d->ncases; i++)
		if (same_steps(&d->cases[i], c)) {
			free(c->steps);
			d->cases[i].nnrs++;
			return i;
		}
	d->cases = xrealloc(d->cases, sizeof(*d->cases) * (size_t)(d->ncases + 1));
	c->nnrs = 1;
	d->cases[d->ncases] = *c;
	return d->ncases++;
}

/* A case shared by several numbers takes the syscall-specific `probe` from
 * the slot; a case of one number has it as a constant. */
static bool case_reads_slot(const struct case_code *c)
{
	return c->needs_name && c->nnrs > 1;
}

static void emit_steps(struct cg *cg, struct dispatch *d, const struct case_code *c)
{
	if (c->n == 0)
		return;
	cg->pid_tgid = NULL;
	cg->group = d->groups[c->steps[0].group];
	cg->target = &cg->group->target;
	cg_set_loc(cg, c->steps[0].action->loc);
	cg_emit_pid_filter(cg);
	for (int i = 0; i < c->n; i++) {
		cg->group = d->groups[c->steps[i].group];
		cg->target = &cg->group->target;
		cg->probe_slot = case_reads_slot(c) && cg->target->lower.nr >= 0 ? d->probe_slot : NULL;
		cg_emit_action(cg, c->steps[i].action);
	}
	cg->probe_slot = NULL;
}

/* The block for number nr of a shared case that reads `probe`: it writes
 * the name into the slot, then joins the case. */
static LLVMBasicBlockRef name_block(struct cg *cg, struct dispatch *d, int nr,
				    LLVMBasicBlockRef join)
{
	const char *name = NULL;
	for (int i = 0; i < d->ngroups && !name; i++)
		if (d->groups[i]->target.lower.nr == nr)
			name = d->groups[i]->target.name;
	LLVMBasicBlockRef bb = cg_block(cg, "syscall_name");
	LLVMBasicBlockRef here = LLVMGetInsertBlock(cg->b);
	LLVMPositionBuilderAtEnd(cg->b, bb);
	size_t len = name ? strlen(name) : 0;
	for (uint32_t off = 0; off < CG_PROBE_SLOT_SIZE; off += 8) {
		uint64_t chunk = 0;
		for (uint32_t i = 0; i < 8; i++)
			if (off + i < len && off + i < CG_PROBE_SLOT_SIZE - 1)
				chunk |= (uint64_t)(unsigned char)name[off + i] << (8 * i);
		LLVMSetAlignment(LLVMBuildStore(cg->b, cg_const(cg, chunk), cg_ptr_add(cg, d->probe_slot, off)), 8);
	}
	LLVMBuildBr(cg->b, join);
	LLVMPositionBuilderAtEnd(cg->b, here);
	return bb;
}

static int compare_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The distinct syscall numbers named by the groups, sorted. */
static int *named_numbers(struct prog_group **groups, int n, int *count)
{
	int *nrs = xmalloc(sizeof(int) * (size_t)(n + 1));
	int k = 0;
	for (int i = 0; i < n; i++)
		if (groups[i]->target.lower.nr >= 0)
			nrs[k++] = groups[i]->target.lower.nr;
	util_sort(nrs, (size_t)k, sizeof(int), compare_int);
	int u = 0;
	for (int i = 0; i < k; i++)
		if (u == 0 || nrs[u - 1] != nrs[i])
			nrs[u++] = nrs[i];
	*count = u;
	return nrs;
}

void cg_emit_lowered_program(struct cg *cg, struct prog_group **groups, int n)
{
	enum lower_kind kind = groups[0]->target.lower.kind;
	cg_begin_program(cg, groups[0]);
	struct dispatch d = { .groups = groups, .ngroups = n };
	int nnrs;
	int *nrs = named_numbers(groups, n, &nnrs);

	struct case_code every = steps_for(cg, &d, -1);
	if (nnrs == 0) {
		/* only raw_syscalls:*: no dispatch at all */
		emit_steps(cg, &d, &every);
		free(every.steps);
		free(nrs);
		cg_end_program(cg);
		return;
	}
	int default_case = intern_case(&d, &every);
	d.cases[default_case].nnrs = 0; /* numbers no group names */
	int *case_of = xmalloc(sizeof(int) * (size_t)nnrs);
	for (int i = 0; i < nnrs; i++) {
		struct case_code c = steps_for(cg, &d, nrs[i]);
		case_of[i] = intern_case(&d, &c);
	}
	for (int i = 0; i < d.ncases && !d.probe_slot; i++)
		if (case_reads_slot(&d.cases[i]))
			d.probe_slot = cg_alloca(cg, CG_PROBE_SLOT_SIZE);

	/* the number, computed once where it dominates every case */
	cg->sys_nr = syscall_nr(cg, kind);
	for (int i = 0; i < d.ncases; i++)
		d.cases[i].block = cg_block(cg, "syscall_case");
	LLVMValueRef sw = LLVMBuildSwitch(cg->b, cg->sys_nr, d.cases[default_case].block,
					  (unsigned)nnrs);
	for (int i = 0; i < nnrs; i++) {
		struct case_code *c = &d.cases[case_of[i]];
		if (case_of[i] == default_case)
			continue;
		LLVMBasicBlockRef target = case_reads_slot(c) ? name_block(cg, &d, nrs[i], c->block) : c->block;
		LLVMAddCase(sw, cg_const(cg, (uint64_t)(int64_t)nrs[i]), target);
	}

	for (int i = 0; i < d.ncases; i++) {
		LLVMPositionBuilderAtEnd(cg->b, d.cases[i].block);
		emit_steps(cg, &d, &d.cases[i]);
		if (i + 1 < d.ncases)
			LLVMBuildRet(cg->b, cg_const(cg, 0));
		free(d.cases[i].steps);
	}
	/* the last case's block is closed by cg_end_program */
	free(d.cases);
	free(case_of);
	free(nrs);
	cg_end_program(cg);
}
