/* stacks.c - codegen of user stacks and user symbols (stdlib/symbols.c):
 * ustack, usym(), func. Kernel stacks are in builtins.c. */
#include "cg.h"

/* bpf_get_stackid() flags (include/uapi/linux/bpf.h) */
#define CG_F_USER_STACK (1ull << 8)

static LLVMValueRef current_pid_tgid(struct cg *cg)
{
	return cg->pid_tgid ? cg->pid_tgid : cg_helper(cg, HELPER_GET_CURRENT_PID_TGID, cg->i64, NULL, 0);
}

/* The stack id in the low 32 bits (negative: the kernel stored no stack)
 * and the process id above it: the same frames mean other functions in
 * another process (bpftrace packs them so too). desc.h has the layout. */
LLVMValueRef cg_var_ustack(struct cg *cg, struct node *n)
{
	LLVMValueRef args[3] = { cg->ctx_arg, cg_stack_map(cg, n->type), cg_const(cg, CG_F_USER_STACK) };
	LLVMValueRef id = cg_helper(cg, HELPER_GET_STACKID, cg->i64, args, 3);
	LLVMValueRef low = LLVMBuildAnd(cg->b, id, cg_const(cg, 0xffffffffu), "");
	LLVMValueRef pid = LLVMBuildAnd(cg->b, current_pid_tgid(cg),
					cg_const(cg, (uint64_t)SONDE_STACK_PID_MASK << 32), "");
	return cg_stack_with_depth(cg, n->type, LLVMBuildOr(cg->b, low, pid, ""));
}

LLVMValueRef cg_fn_ustack(struct cg *cg, struct node *n)
{
	return cg_var_ustack(cg, n);
}

/* A usym value: the address, then the process whose maps name it. */
static LLVMValueRef usym_value(struct cg *cg, LLVMValueRef addr)
{
	LLVMValueRef out = cg_temp(cg, 16);
	LLVMSetAlignment(LLVMBuildStore(cg->b, addr, out), 8);
	LLVMValueRef pid = LLVMBuildLShr(cg->b, current_pid_tgid(cg), cg_const(cg, 32), "");
	LLVMSetAlignment(LLVMBuildStore(cg->b, pid, cg_ptr_add(cg, out, 8)), 8);
	return out;
}

LLVMValueRef cg_fn_usym(struct cg *cg, struct node *n)
{
	return usym_value(cg, cg_expr(cg, n->args));
}

/* func: the provider's address, a usym in user-space probes (a record) and
 * a ksym (a scalar) elsewhere, as sema typed it. */
LLVMValueRef cg_var_func(struct cg *cg, struct node *n)
{
	const struct probe_provider *prov = cg->group->prov;
	if (!prov->emit_func_ip) {
		cg_error(cg, n->loc, "internal error: func is not available in %s probes", prov->name);
		return cg_const(cg, 0);
	}
	LLVMValueRef ip = prov->emit_func_ip(cg);
	return n->type->kind == TY_RECORD ? usym_value(cg, ip) : ip;
}

/* bpf_get_stack() flags besides CG_F_USER_STACK */
#define CG_F_USER_BUILD_ID (1ull << 11)

/* The frames bpf_get_stack copies of the current stack, at the stack
 * type's limit and kind: what the stack id just taken holds. */
static LLVMValueRef current_depth(struct cg *cg, const struct type *t)
{
	uint32_t frame = SONDE_STACK_FRAME_SIZE(t);
	uint32_t size = (t->count ? t->count : SONDE_STACK_DEFAULT_FRAMES) * frame;
	uint64_t flags = t->as == AS_USER ? CG_F_USER_STACK : 0;
	if (t->stack_mode == STACK_MODE_BUILD_ID)
		flags |= CG_F_USER_BUILD_ID;
	int mark = cg_temp_mark(cg);
	LLVMValueRef buf = cg_temp(cg, size);
	LLVMValueRef args[4] = { cg->ctx_arg, buf, cg_const(cg, size), cg_const(cg, flags) };
	LLVMValueRef bytes = cg_helper(cg, HELPER_GET_STACK, cg->i64, args, 4);
	cg_temp_release(cg, mark);
	/* negative: no stack (an error), 0 frames */
	LLVMValueRef none = LLVMBuildICmp(cg->b, LLVMIntSLT, bytes, cg_const(cg, 0), "");
	LLVMValueRef frames = LLVMBuildUDiv(cg->b, bytes, cg_const(cg, frame), "");
	return LLVMBuildSelect(cg->b, none, cg_const(cg, 0), frames, "");
}

/* A stack value just captured, with its depth in the top bits when the
 * script takes len() of a stack (desc.h); a kernel stack's id is
 * sign-extended, so its high half is cleared first. */
LLVMValueRef cg_stack_with_depth(struct cg *cg, const struct type *t, LLVMValueRef value)
{
	if (!cg->res || !cg->res->stack_depths)
		return value;
	if (t->as != AS_USER)
		value = LLVMBuildAnd(cg->b, value, cg_const(cg, 0xffffffffu), "");
	LLVMValueRef depth = LLVMBuildShl(cg->b, current_depth(cg, t), cg_const(cg, SONDE_STACK_DEPTH_SHIFT), "");
	return LLVMBuildOr(cg->b, value, depth, "");
}

/* len(stack): the depth the value carries (sema made every capture of
 * this script record it). */
LLVMValueRef cg_stack_len(struct cg *cg, LLVMValueRef value)
{
	return LLVMBuildLShr(cg->b, value, cg_const(cg, SONDE_STACK_DEPTH_SHIFT), "");
}
