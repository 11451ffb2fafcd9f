/* regs.c - codegen of reg("NAME") and override(rc) (stdlib/regs.c checks
 * them): the context of the probe types they are allowed in is a struct
 * pt_regs. */
#include "cg.h"

/* reg(): the u64 at the register's offset, which sema put in ival */
LLVMValueRef cg_fn_reg(struct cg *cg, struct node *n)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, n->ival), "");
	LLVMSetAlignment(v, 8);
	return v;
}

/* override(rc): the probed function returns rc without running */
LLVMValueRef cg_fn_override(struct cg *cg, struct node *n)
{
	LLVMValueRef rc = cg_expr(cg, n->args);
	if (!rc)
		return NULL;
	LLVMValueRef args[2] = { cg->ctx_arg, rc }; /* already extended to 64 bits */
	cg_helper(cg, HELPER_OVERRIDE_RETURN, cg->i64, args, 2);
	return NULL;
}
