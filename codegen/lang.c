/* lang.c - codegen of the language-level functions of stdlib/lang.c that
 * need code of their own: memcmp. */
#include "cg.h"

/* A value's bytes in memory: non-scalars already are; scalars are stored
 * in a temporary of their size. */
static LLVMValueRef in_memory(struct cg *cg, struct node *e, LLVMValueRef v)
{
	if (!type_is_scalar(e->type))
		return v;
	LLVMValueRef tmp = cg_temp(cg, e->type->size);
	cg_store(cg, tmp, e->type, v, e->type);
	return tmp;
}

static LLVMValueRef signed_byte(struct cg *cg, LLVMValueRef base, LLVMValueRef i)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i8, cg_ptr_add_var(cg, base, i), "");
	LLVMSetAlignment(v, 1);
	return LLVMBuildSExt(cg->b, v, cg->i64, "");
}

/* memcmp(a, b, n): one bounded loop over the bytes both values have,
 * without an early exit (one verifier path): the result is the difference
 * at the first differing byte below n, kept once found. */
LLVMValueRef cg_fn_memcmp(struct cg *cg, struct node *n)
{
	struct node *a = n->args, *b = a->next, *count = b->next;
	LLVMValueRef va = cg_expr(cg, a), vb = cg_expr(cg, b), vn = cg_expr(cg, count);
	if (!va || !vb || !vn)
		return cg_const(cg, 0);
	va = in_memory(cg, a, va);
	vb = in_memory(cg, b, vb);
	uint32_t both = a->type->size < b->type->size ? a->type->size : b->type->size;

	LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
	LLVMBasicBlockRef head = cg_block(cg, "memcmp_head"), body = cg_block(cg, "memcmp_body");
	LLVMBasicBlockRef done = cg_block(cg, "memcmp_done");
	LLVMBuildBr(cg->b, head);

	LLVMPositionBuilderAtEnd(cg->b, head);
	LLVMValueRef i = LLVMBuildPhi(cg->b, cg->i64, "i");
	LLVMValueRef res = LLVMBuildPhi(cg->b, cg->i64, "res");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntULT, i, cg_const(cg, both), ""), body, done);

	LLVMPositionBuilderAtEnd(cg->b, body);
	LLVMValueRef diff = LLVMBuildSub(cg->b, signed_byte(cg, va, i), signed_byte(cg, vb, i), "");
	LLVMValueRef open = LLVMBuildAnd(cg->b,
					 LLVMBuildICmp(cg->b, LLVMIntEQ, res, cg_const(cg, 0), ""),
					 LLVMBuildICmp(cg->b, LLVMIntULT, i, vn, ""), "");
	LLVMValueRef res_next = LLVMBuildSelect(cg->b, open, diff, res, "");
	LLVMValueRef i_next = LLVMBuildAdd(cg->b, i, cg_const(cg, 1), "");
	LLVMBuildBr(cg->b, head);

	LLVMBasicBlockRef from[2] = { pre, body };
	LLVMValueRef i_in[2] = { cg_const(cg, 0), i_next };
	LLVMValueRef res_in[2] = { cg_const(cg, 0), res_next };
	LLVMAddIncoming(i, i_in, from, 2);
	LLVMAddIncoming(res, res_in, from, 2);

	LLVMPositionBuilderAtEnd(cg->b, done);
	return cg_normalize(cg, res, n->type);
}

/* write_user(dst, src, len): the helper is called only for 0 < len <= the
 * size of src (the verifier wants a bounded, non-zero size); other lengths
 * write nothing and give false. */
LLVMValueRef cg_fn_write_user(struct cg *cg, struct node *n)
{
	struct node *dst = n->args, *src = dst->next, *count = src->next;
	LLVMValueRef vd = cg_expr(cg, dst), vs = cg_expr(cg, src), vn = cg_expr(cg, count);
	if (!vd || !vs || !vn)
		return cg_const(cg, 0);
	vs = in_memory(cg, src, vs);
	if (LLVMGetTypeKind(LLVMTypeOf(vd)) != LLVMPointerTypeKind)
		vd = LLVMBuildIntToPtr(cg->b, vd, cg->ptr, "");
	LLVMValueRef ok = LLVMBuildAnd(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, vn, cg_const(cg, 0), ""),
				       LLVMBuildICmp(cg->b, LLVMIntULE, vn, cg_const(cg, src->type->size), ""), "");
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
	LLVMBasicBlockRef call = cg_block(cg, "write_user"), done = cg_block(cg, "write_user_done");
	LLVMBuildCondBr(cg->b, ok, call, done);

	LLVMPositionBuilderAtEnd(cg->b, call);
	LLVMValueRef args[3] = { vd, vs, LLVMBuildTrunc(cg->b, vn, cg->i32, "") };
	LLVMValueRef rc = cg_helper(cg, HELPER_PROBE_WRITE_USER, cg->i64, args, 3);
	LLVMValueRef wrote = LLVMBuildZExt(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, rc, cg_const(cg, 0), ""),
					   cg->i64, "");
	LLVMBasicBlockRef from_call = LLVMGetInsertBlock(cg->b);
	LLVMBuildBr(cg->b, done);

	LLVMPositionBuilderAtEnd(cg->b, done);
	LLVMValueRef res = LLVMBuildPhi(cg->b, cg->i64, "wrote");
	LLVMBasicBlockRef from[2] = { pre, from_call };
	LLVMValueRef in[2] = { cg_const(cg, 0), wrote };
	LLVMAddIncoming(res, in, from, 2);
	return cg_normalize(cg, res, n->type);
}
