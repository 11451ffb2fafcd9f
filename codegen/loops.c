/* loops.c - let, while, unroll, for, break, continue and return.
 *
 * while and unroll are plain control flow inside the program: the verifier
 * must see a while loop end on its own (it explores every iteration, up to
 * its limit of 1M instructions), as with bpftrace; unroll emits its body N
 * times. A for loop runs its body in a callback subprogram, as bpftrace
 * does: bpf_loop() for a range (up to 1 << 23 iterations, the helper's
 * limit, whatever the verifier could prove), bpf_for_each_map_elem() for a
 * map. The callback reaches the action's scratch variables through a
 * record on the caller's stack holding a pointer to each slot (struct
 * layout below), so the body reads and writes the very slots the rest of
 * the action uses; the program's context pointer travels in it too, so
 * builtins work in the body as elsewhere.
 *
 * break/continue in a callback return 1/0 (stop/go on); return and exit()
 * set the record's `left` flag and stop the loop, and the caller, seeing
 * the flag, leaves its action in turn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cg.h"

/* the record a callback receives, in 8-byte slots */
enum { CB_CTX, CB_PROBE_SLOT, CB_LEFT, CB_START, CB_VARS };

struct cg_loop {
	LLVMBasicBlockRef brk, cont; /* in-function loops */
	bool callback;               /* the body of a for: jumps are returns */
};

static void push_loop(struct cg *cg, LLVMBasicBlockRef brk, LLVMBasicBlockRef cont, bool callback)
{
	if (cg->nloops == cg->cap_loops) {
		cg->cap_loops = cg->cap_loops ? cg->cap_loops * 2 : 8;
		cg->loops = xrealloc(cg->loops, sizeof(*cg->loops) * (size_t)cg->cap_loops);
	}
	cg->loops[cg->nloops++] = (struct cg_loop){ brk, cont, callback };
}

/* After a jump: what follows in the block is unreachable; it goes into a
 * block LLVM deletes. */
static void after_jump(struct cg *cg)
{
	LLVMPositionBuilderAtEnd(cg->b, cg_block(cg, "after_jump"));
}

static LLVMValueRef cb_field(struct cg *cg, LLVMValueRef rec, int field)
{
	return cg_ptr_add(cg, rec, (uint64_t)field * 8);
}

void cg_leave_action(struct cg *cg)
{
	if (cg->cb_ctx) {
		LLVMSetAlignment(LLVMBuildStore(cg->b, cg_const(cg, 1), cb_field(cg, cg->cb_ctx, CB_LEFT)), 8);
		LLVMBuildRet(cg->b, cg_const(cg, 1));
	} else {
		LLVMBuildBr(cg->b, cg->action_end);
	}
	after_jump(cg);
}

static void emit_jump(struct cg *cg, struct node *n)
{
	if (n->kind == N_RETURN) {
		if (n->lhs && cg->group->prov && cg->group->prov->return_unavailable && !cg->cb_ctx) {
			/* the program's return value, which the kernel acts on
			 * (lsm): it ends the program (sema kept it out of for
			 * loops, whose bodies are other functions) */
			LLVMBuildRet(cg->b, cg_expr(cg, n->lhs));
			after_jump(cg);
			return;
		}
		if (n->lhs) {
			int mark = cg_temp_mark(cg);
			cg_expr(cg, n->lhs); /* for its effects: the value means nothing here */
			cg_temp_release(cg, mark);
		}
		cg_leave_action(cg);
		return;
	}
	if (cg->nloops == 0) {
		cg_error(cg, n->loc, "internal error: jump outside of a loop");
		return;
	}
	struct cg_loop *l = &cg->loops[cg->nloops - 1];
	bool brk = n->kind == N_BREAK;
	if (l->callback)
		LLVMBuildRet(cg->b, cg_const(cg, brk ? 1 : 0));
	else
		LLVMBuildBr(cg->b, brk ? l->brk : l->cont);
	after_jump(cg);
}

static void emit_while(struct cg *cg, struct node *n)
{
	LLVMBasicBlockRef cond_bb = cg_block(cg, "while_cond");
	LLVMBasicBlockRef body = cg_block(cg, "while_body");
	LLVMBasicBlockRef done = cg_block(cg, "while_end");
	LLVMBuildBr(cg->b, cond_bb);
	LLVMPositionBuilderAtEnd(cg->b, cond_bb);
	int mark = cg_temp_mark(cg);
	LLVMValueRef cond = cg_truth(cg, n->cond);
	cg_temp_release(cg, mark);
	LLVMBuildCondBr(cg->b, cond, body, done);
	LLVMPositionBuilderAtEnd(cg->b, body);
	push_loop(cg, done, cond_bb, false);
	cg_stmt(cg, n->then);
	cg->nloops--;
	LLVMBuildBr(cg->b, cond_bb);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

static void emit_unroll(struct cg *cg, struct node *n)
{
	LLVMBasicBlockRef done = cg_block(cg, "unroll_end");
	for (uint64_t i = 0; i < n->ival; i++) {
		LLVMBasicBlockRef next = cg_block(cg, "unroll_next");
		push_loop(cg, done, next, false);
		cg_stmt(cg, n->then);
		cg->nloops--;
		LLVMBuildBr(cg->b, next);
		LLVMPositionBuilderAtEnd(cg->b, next);
	}
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

static void emit_let(struct cg *cg, struct node *n)
{
	if (n->rhs) {
		cg_assign_var(cg, n);
		return;
	}
	/* let $x; starts as zero each time it is reached (in a loop, too) */
	LLVMValueRef slot = cg_var_slot(cg, n->lhs);
	if (slot) {
		const struct type *t = n->lhs->var->type;
		cg_zero(cg, slot, cg_round8(type_is_scalar(t) ? 8 : t->size));
	}
}

/* ---- callbacks ------------------------------------------------------------------ */

/* What belongs to the function being emitted, saved around a callback's. */
struct fn_state {
	LLVMValueRef fn, ctx_arg, pid_tgid, sys_nr, probe_slot, scratch_base, cb_ctx;
	LLVMBasicBlockRef entry, action_end, insert;
	LLVMMetadataRef di_sp;
	LLVMValueRef *vars;
	struct cg_temp *temps;
	int ntemps, cap_temps;
	int *held;
	int nheld, cap_held;
	uint32_t scratch_used;
	int nloops;
};

static void fn_save(struct cg *cg, struct fn_state *st)
{
	*st = (struct fn_state){
		.fn = cg->fn, .ctx_arg = cg->ctx_arg, .pid_tgid = cg->pid_tgid, .sys_nr = cg->sys_nr,
		.probe_slot = cg->probe_slot, .scratch_base = cg->scratch_base, .cb_ctx = cg->cb_ctx,
		.entry = cg->entry, .action_end = cg->action_end, .insert = LLVMGetInsertBlock(cg->b),
		.di_sp = cg->di_sp, .vars = cg->vars, .temps = cg->temps, .ntemps = cg->ntemps,
		.cap_temps = cg->cap_temps, .held = cg->held, .nheld = cg->nheld,
		.cap_held = cg->cap_held, .scratch_used = cg->scratch_used, .nloops = cg->nloops,
	};
}

static void fn_restore(struct cg *cg, const struct fn_state *st)
{
	free(cg->temps);
	free(cg->held);
	free(cg->vars);
	cg->fn = st->fn;
	cg->ctx_arg = st->ctx_arg;
	cg->pid_tgid = st->pid_tgid;
	cg->sys_nr = st->sys_nr;
	cg->probe_slot = st->probe_slot;
	cg->scratch_base = st->scratch_base;
	cg->cb_ctx = st->cb_ctx;
	cg->entry = st->entry;
	cg->action_end = st->action_end;
	cg->di_sp = st->di_sp;
	cg->vars = st->vars;
	cg->temps = st->temps;
	cg->ntemps = st->ntemps;
	cg->cap_temps = st->cap_temps;
	cg->held = st->held;
	cg->nheld = st->nheld;
	cg->cap_held = st->cap_held;
	cg->scratch_used = st->scratch_used;
	cg->nloops = st->nloops;
	LLVMPositionBuilderAtEnd(cg->b, st->insert);
}

/* The action's variables the loop uses (its own included): only their
 * pointers travel in the record, which lives on the 512-byte stack. Marks
 * used[index]; returns how many. */
static int mark_used(const struct node *n, bool *used, int nvars, bool siblings)
{
	int count = 0;
	for (; n; n = siblings ? n->next : NULL) {
		const struct var_info *v = n->var;
		if ((n->kind == N_VAR || n->kind == N_LET || n->kind == N_FOR) && v && v->index >= 0 &&
		    v->index < nvars && !used[v->index]) {
			used[v->index] = true;
			count++;
		}
		const struct node *kids[] = { n->lhs, n->rhs, n->cond, n->then, n->els, n->args, n->body };
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			if (kids[i])
				count += mark_used(kids[i], used, nvars, true);
	}
	return count;
}

/* The callback's function: static, in .text (libbpf relocates its address
 * into the helper call), with debug info naming every parameter (an
 * unnamed one makes the kernel drop the object's BTF). */
static LLVMValueRef callback_fn(struct cg *cg, struct node *n, bool over_map, unsigned *nparams)
{
	static const char *const map_names[] = { "map", "key", "value", "ctx" };
	static const char *const range_names[] = { "index", "ctx" };
	const char *const *names = over_map ? map_names : range_names;
	*nparams = over_map ? 4 : 2;
	LLVMTypeRef params[4] = { cg->ptr, cg->ptr, cg->ptr, cg->ptr };
	if (!over_map)
		params[0] = cg->i64;
	LLVMTypeRef fnty = LLVMFunctionType(cg->i64, params, *nparams, false);
	char name[64];
	snprintf(name, sizeof(name), "for_%d_%d_%d", n->loc.line, n->loc.col, cg->ncallbacks++);
	LLVMValueRef fn = LLVMAddFunction(cg->mod, name, fnty);
	LLVMSetLinkage(fn, LLVMInternalLinkage);
	LLVMSetSection(fn, ".text");
	unsigned kinds[] = { LLVMGetEnumAttributeKindForName("nounwind", 8),
			     LLVMGetEnumAttributeKindForName("noinline", 8) };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
					LLVMCreateEnumAttribute(cg->ctx, kinds[i], 0));

	LLVMMetadataRef sig[5] = { cg->di_long, cg->di_voidp, cg->di_voidp, cg->di_voidp, cg->di_voidp };
	if (!over_map)
		sig[1] = cg->di_u64;
	unsigned line = (unsigned)(n->loc.line > 0 ? n->loc.line : 0);
	LLVMMetadataRef sty = LLVMDIBuilderCreateSubroutineType(cg->dib, cg->di_file, sig, *nparams + 1,
								LLVMDIFlagZero);
	LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(cg->dib, cg->di_file, name, strlen(name), name,
							 strlen(name), cg->di_file, line, sty, true, true,
							 line, LLVMDIFlagPrototyped, true);
	for (unsigned i = 0; i < *nparams; i++)
		LLVMDIBuilderCreateParameterVariable(cg->dib, sp, names[i], strlen(names[i]), i + 1,
						     cg->di_file, line, sig[i + 1], true, LLVMDIFlagZero);
	LLVMSetSubprogram(fn, sp);
	cg->di_sp = sp;
	for (unsigned i = 0; i < *nparams; i++)
		LLVMSetValueName2(LLVMGetParam(fn, i), names[i], strlen(names[i]));
	return fn;
}

static LLVMValueRef load_ptr(struct cg *cg, LLVMValueRef p)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->ptr, p, "");
	LLVMSetAlignment(v, 8);
	return v;
}

/* Enter the callback: fresh temporaries, the action's variables and
 * context through the record. */
static void callback_begin(struct cg *cg, LLVMValueRef fn, LLVMValueRef rec, bool had_probe_slot,
			   srcloc loc, const bool *used)
{
	int nvars = cg->nvars;
	cg->fn = fn;
	cg->temps = NULL;
	cg->ntemps = cg->cap_temps = 0;
	cg->held = NULL;
	cg->nheld = cg->cap_held = 0;
	cg->scratch_base = NULL; /* scratch_used goes on from the caller's: no overlap */
	cg->pid_tgid = NULL;
	cg->sys_nr = NULL;
	cg->action_end = NULL;
	cg->cb_ctx = rec;
	cg->entry = cg_block(cg, "entry");
	LLVMBasicBlockRef body = cg_block(cg, "body");
	LLVMPositionBuilderAtEnd(cg->b, body);
	cg_set_loc(cg, loc); /* in the callback's own debug scope */
	cg->ctx_arg = load_ptr(cg, cb_field(cg, rec, CB_CTX));
	cg->probe_slot = had_probe_slot ? load_ptr(cg, cb_field(cg, rec, CB_PROBE_SLOT)) : NULL;
	cg->vars = xcalloc((size_t)nvars + 1, sizeof(*cg->vars));
	for (int i = 0, field = CB_VARS; i < nvars; i++)
		if (used[i])
			cg->vars[i] = load_ptr(cg, cb_field(cg, rec, field++));
}

/* Close the callback: 0 (go on) at the end of the body; the entry block
 * does the scratch lookup if the body used scratch memory. */
static void callback_end(struct cg *cg)
{
	cg_close_function(cg, 1); /* 1 stops the loop */
}

/* The record for the callback, on this function's stack (the helpers take
 * only stack memory as the callback's context). */
static LLVMValueRef build_record(struct cg *cg, LLVMValueRef start, const bool *used, int nused)
{
	uint32_t size = (uint32_t)(CB_VARS + nused) * 8;
	LLVMValueRef rec = cg_temp_stack(cg, size); /* released after the statement */
	LLVMValueRef fields[CB_VARS] = {
		cg->ctx_arg, cg->probe_slot ? cg->probe_slot : LLVMConstNull(cg->ptr),
		cg_const(cg, 0), start ? start : cg_const(cg, 0),
	};
	for (int i = 0; i < CB_VARS; i++)
		LLVMSetAlignment(LLVMBuildStore(cg->b, fields[i], cb_field(cg, rec, i)), 8);
	for (int i = 0, field = CB_VARS; i < cg->nvars; i++) {
		if (!used[i])
			continue;
		LLVMValueRef v = cg->vars[i] ? cg->vars[i] : LLVMConstNull(cg->ptr);
		LLVMSetAlignment(LLVMBuildStore(cg->b, v, cb_field(cg, rec, field++)), 8);
	}
	return rec;
}

/* A count() or sum() map's value for key: the sum of every CPU's (the
 * walk sees only this CPU's). The possible CPUs are counted when the
 * script is compiled, on the machine that runs it. */
static LLVMValueRef percpu_total(struct cg *cg, const struct map_info *m, LLVMValueRef key)
{
	int ncpus = libbpf_num_possible_cpus();
	LLVMValueRef total = cg_const(cg, 0);
	for (int cpu = 0; cpu < (ncpus > 0 ? ncpus : 1); cpu++) {
		LLVMValueRef args[3] = { cg_map_global(cg, m), key, LLVMConstInt(cg->i32, (unsigned)cpu, false) };
		LLVMValueRef p = cg_helper(cg, HELPER_MAP_LOOKUP_PERCPU_ELEM, cg->ptr, args, 3);
		LLVMBasicBlockRef add = cg_block(cg, "cpu_value");
		LLVMBasicBlockRef next = cg_block(cg, "cpu_next");
		LLVMBasicBlockRef from = LLVMGetInsertBlock(cg->b);
		LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, p, ""), next, add);
		LLVMPositionBuilderAtEnd(cg->b, add);
		LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, p, "");
		LLVMSetAlignment(v, 8);
		LLVMValueRef sum = LLVMBuildAdd(cg->b, total, v, "");
		LLVMBuildBr(cg->b, next);
		LLVMPositionBuilderAtEnd(cg->b, next);
		LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->i64, "");
		LLVMValueRef vals[2] = { total, sum };
		LLVMBasicBlockRef blocks[2] = { from, add };
		LLVMAddIncoming(phi, vals, blocks, 2);
		total = phi;
	}
	return total;
}

/* $kv = (key, value) from the map's own key and value memory. */
static void set_map_pair(struct cg *cg, struct node *n, const struct map_info *m, LLVMValueRef key,
			 LLVMValueRef value)
{
	LLVMValueRef slot = cg_var_slot(cg, n->lhs);
	const struct type *t = n->lhs->var->type;
	if (!slot || t->kind != TY_RECORD || t->nmembers != 2)
		return;
	cg_zero(cg, slot, cg_round8(t->size));
	cg_copy(cg, cg_ptr_add(cg, slot, t->members[0].offset), key, t->members[0].type->size, 1);
	LLVMValueRef dst = cg_ptr_add(cg, slot, t->members[1].offset);
	if (m->kind == MAP_PLAIN)
		cg_copy(cg, dst, value, t->members[1].type->size, 1);
	else if (m->kind == MAP_COUNT || m->kind == MAP_SUM)
		LLVMSetAlignment(LLVMBuildStore(cg->b, percpu_total(cg, m, key), dst), 8);
	else /* avg, min, max: the aggregation's own read, as `@m[k]` */
		LLVMSetAlignment(LLVMBuildStore(cg->b, agg_find(m->kind)->read(cg, m, key), dst), 8);
}

static void emit_for(struct cg *cg, struct node *n)
{
	bool over_map = n->rhs->kind == N_MAP;
	struct map_info *m = over_map ? n->rhs->map : NULL;
	if (over_map && !m) {
		cg_error(cg, n->rhs->loc, "internal error: unresolved map %s", n->rhs->name);
		return;
	}
	LLVMValueRef start = NULL, count = NULL;
	if (!over_map) {
		/* both ends are evaluated once, before the loop */
		struct node *r = n->rhs;
		const struct type *t = n->lhs->var->type;
		start = cg_normalize(cg, cg_expr(cg, r->lhs), t);
		LLVMValueRef end = cg_normalize(cg, cg_expr(cg, r->rhs), t);
		LLVMValueRef more = LLVMBuildICmp(cg->b, t->is_signed ? LLVMIntSLT : LLVMIntULT, start, end, "");
		count = LLVMBuildSelect(cg->b, more, LLVMBuildSub(cg->b, end, start, ""), cg_const(cg, 0), "");
		/* A range known to be empty: no call at all. Given a count it
		 * knows is 0, this kernel's verifier skips the callback and then
		 * fails on the unvisited subprogram ("No program to jit"). */
		if (LLVMIsAConstantInt(count) && LLVMConstIntGetZExtValue(count) == 0)
			return;
	}
	bool *used = xcalloc((size_t)cg->nvars + 1, sizeof(*used));
	int nused = mark_used(n, used, cg->nvars, false);
	LLVMValueRef rec = build_record(cg, start, used, nused);
	bool had_probe_slot = cg->probe_slot != NULL;
	srcloc loc = n->loc;

	struct fn_state saved;
	fn_save(cg, &saved);
	unsigned nparams;
	LLVMValueRef fn = callback_fn(cg, n, over_map, &nparams);
	LLVMValueRef cb_rec = LLVMGetParam(fn, nparams - 1);
	callback_begin(cg, fn, cb_rec, had_probe_slot, loc, used);
	if (over_map) {
		set_map_pair(cg, n, m, LLVMGetParam(fn, 1), LLVMGetParam(fn, 2));
	} else {
		LLVMValueRef first = LLVMBuildLoad2(cg->b, cg->i64, cb_field(cg, cb_rec, CB_START), "");
		LLVMSetAlignment(first, 8);
		LLVMValueRef i = LLVMBuildAdd(cg->b, first, LLVMGetParam(fn, 0), "");
		LLVMValueRef slot = cg_var_slot(cg, n->lhs);
		if (slot)
			LLVMSetAlignment(LLVMBuildStore(cg->b, cg_normalize(cg, i, n->lhs->var->type), slot), 8);
	}
	push_loop(cg, NULL, NULL, true);
	cg_stmt(cg, n->then);
	callback_end(cg);
	fn_restore(cg, &saved);
	free(used);
	cg_set_loc(cg, loc);

	if (over_map) {
		LLVMValueRef args[4] = { cg_map_global(cg, m), fn, rec, cg_const(cg, 0) };
		cg_helper(cg, HELPER_FOR_EACH_MAP_ELEM, cg->i64, args, 4);
	} else {
		/* the same for a count only the verifier knows: it then sees
		 * the call on a path where the count is at least 1 */
		LLVMBasicBlockRef call = cg_block(cg, "for_call");
		LLVMBasicBlockRef after = cg_block(cg, "for_called");
		LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, count, cg_const(cg, 0), ""), call,
				after);
		LLVMPositionBuilderAtEnd(cg->b, call);
		LLVMValueRef args[4] = { count, fn, rec, cg_const(cg, 0) };
		cg_helper(cg, HELPER_LOOP, cg->i64, args, 4);
		LLVMBuildBr(cg->b, after);
		LLVMPositionBuilderAtEnd(cg->b, after);
	}
	/* a return (or exit()) in the body leaves this action too */
	LLVMValueRef left = LLVMBuildLoad2(cg->b, cg->i64, cb_field(cg, rec, CB_LEFT), "");
	LLVMSetAlignment(left, 8);
	LLVMBasicBlockRef leave = cg_block(cg, "for_return");
	LLVMBasicBlockRef done = cg_block(cg, "for_end");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, left, cg_const(cg, 0), ""), leave, done);
	LLVMPositionBuilderAtEnd(cg->b, leave);
	cg_leave_action(cg);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

void cg_flow_stmt(struct cg *cg, struct node *n)
{
	switch (n->kind) {
	case N_LET:
		emit_let(cg, n);
		break;
	case N_WHILE:
		emit_while(cg, n);
		break;
	case N_UNROLL:
		emit_unroll(cg, n);
		break;
	case N_FOR:
		emit_for(cg, n);
		break;
	case N_BREAK:
	case N_CONTINUE:
	case N_RETURN:
		emit_jump(cg, n);
		break;
	default:
		break;
	}
}
