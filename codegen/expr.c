/* expr.c - expressions: integer arithmetic with C semantics on 64-bit values,
 * short-circuit logic, ternaries, casts, ++/--, string literals, copies and
 * comparisons.
 *
 * BPF cpu v3 has no signed division or modulo (the backend refuses sdiv), so
 * those are built from unsigned operations on magnitudes. */
#include <string.h>

#include "cg.h"

LLVMValueRef cg_ptr_add(struct cg *cg, LLVMValueRef base, uint64_t offset)
{
	if (!offset)
		return base;
	LLVMValueRef idx = cg_const(cg, offset);
	return LLVMBuildGEP2(cg->b, cg->i8, base, &idx, 1, "");
}

void cg_zero(struct cg *cg, LLVMValueRef dst, uint32_t size)
{
	if (size)
		LLVMBuildMemSet(cg->b, dst, LLVMConstInt(cg->i8, 0, false), cg_const(cg, size), 8);
}

static void store_at(struct cg *cg, LLVMValueRef base, uint64_t offset, LLVMValueRef v,
		     unsigned align)
{
	LLVMValueRef st = LLVMBuildStore(cg->b, v, cg_ptr_add(cg, base, offset));
	LLVMSetAlignment(st, align);
}

LLVMValueRef cg_normalize(struct cg *cg, LLVMValueRef v, struct type t)
{
	if (t.kind != TY_INT || t.size >= 8 || t.size == 0)
		return v;
	LLVMTypeRef narrow = LLVMIntTypeInContext(cg->ctx, t.size * 8);
	LLVMValueRef tr = LLVMBuildTrunc(cg->b, v, narrow, "");
	return t.is_signed ? LLVMBuildSExt(cg->b, tr, cg->i64, "")
			   : LLVMBuildZExt(cg->b, tr, cg->i64, "");
}

/* ---- strings ------------------------------------------------------------- */

/* Built with stores, never as a constant global: constant data would land in
 * .rodata next to the runtime configuration. */
LLVMValueRef cg_str_const(struct cg *cg, const char *s, size_t len, uint32_t size)
{
	if (size == 0)
		size = (uint32_t)len + 1;
	if (len >= size)
		len = size - 1;
	uint32_t rounded = cg_round8(size);
	LLVMValueRef buf = cg_temp(cg, rounded);
	for (uint32_t off = 0; off < rounded; off += 8) {
		uint64_t chunk = 0;
		for (uint32_t i = 0; i < 8; i++)
			if (off + i < len)
				chunk |= (uint64_t)(unsigned char)s[off + i] << (8 * i);
		store_at(cg, buf, off, cg_const(cg, chunk), 8);
	}
	return buf;
}

void cg_str_copy(struct cg *cg, LLVMValueRef dst, uint32_t dst_size, LLVMValueRef src,
		 uint32_t src_size, bool zero_rest)
{
	if (LLVMGetTypeKind(LLVMTypeOf(src)) != LLVMPointerTypeKind) {
		cg_error(cg, (srcloc){ 0 }, "internal error: string value expected");
		return;
	}
	uint32_t dst_round = cg_round8(dst_size), src_round = cg_round8(src_size);
	uint32_t n = dst_round < src_round ? dst_round : src_round;
	LLVMBuildMemCpy(cg->b, dst, 8, src, 8, cg_const(cg, n));
	if (zero_rest && dst_round > n)
		cg_zero(cg, cg_ptr_add(cg, dst, n), dst_round - n);
	if (src_size > dst_size && dst_size > 0) {
		/* truncated: end with a NUL and keep the padding zero, since keys
		 * compare every byte */
		for (uint32_t i = dst_size - 1; i < dst_round; i++)
			store_at(cg, dst, i, LLVMConstInt(cg->i8, 0, false), 1);
	}
}

void cg_store_value(struct cg *cg, LLVMValueRef dst, uint32_t dst_size, LLVMValueRef v,
		    struct type t)
{
	if (t.kind == TY_STR)
		cg_str_copy(cg, dst, dst_size, v, t.size, false);
	else if (LLVMTypeOf(v) == cg->i64)
		store_at(cg, dst, 0, v, 8);
	else
		cg_error(cg, (srcloc){ 0 }, "internal error: integer value expected");
}

static LLVMValueRef load_byte(struct cg *cg, LLVMValueRef s, uint32_t size, uint32_t i)
{
	if (i >= size)
		return LLVMConstInt(cg->i8, 0, false);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i8, cg_ptr_add(cg, s, i), "");
	LLVMSetAlignment(v, 1);
	return v;
}

/* Equal up to and including the first NUL; unrolled and branch-free so the
 * verifier sees straight-line code. */
static LLVMValueRef str_equal(struct cg *cg, LLVMValueRef a, uint32_t asize, LLVMValueRef b,
			      uint32_t bsize)
{
	uint32_t n = asize > bsize ? asize : bsize;
	if (n > SONDE_STRLEN)
		n = SONDE_STRLEN;
	LLVMValueRef alive = LLVMConstInt(cg->i1, 1, false);
	LLVMValueRef differ = LLVMConstInt(cg->i1, 0, false);
	LLVMValueRef zero = LLVMConstInt(cg->i8, 0, false);
	for (uint32_t i = 0; i < n; i++) {
		LLVMValueRef ca = load_byte(cg, a, asize, i), cb = load_byte(cg, b, bsize, i);
		LLVMValueRef ne = LLVMBuildICmp(cg->b, LLVMIntNE, ca, cb, "");
		differ = LLVMBuildOr(cg->b, differ, LLVMBuildAnd(cg->b, alive, ne, ""), "");
		alive = LLVMBuildAnd(cg->b, alive, LLVMBuildICmp(cg->b, LLVMIntNE, ca, zero, ""), "");
	}
	return LLVMBuildNot(cg->b, differ, "");
}

/* ---- arithmetic ---------------------------------------------------------- */

static bool is_u64(struct type t)
{
	return t.kind == TY_INT && !t.is_signed && t.size == 8;
}

static LLVMValueRef bool_to_i64(struct cg *cg, LLVMValueRef b)
{
	return LLVMBuildZExt(cg->b, b, cg->i64, "");
}

static LLVMValueRef negate_if(struct cg *cg, LLVMValueRef cond, LLVMValueRef v)
{
	return LLVMBuildSelect(cg->b, cond, LLVMBuildNeg(cg->b, v, ""), v, "");
}

/* x / 0 and x % 0 give 0, as BPF defines x / 0; never divide by zero in IR,
 * where it is undefined and would let LLVM assume the divisor is non-zero. */
static LLVMValueRef divide(struct cg *cg, bool is_mod, bool is_signed, LLVMValueRef l,
			   LLVMValueRef r)
{
	LLVMValueRef zero = cg_const(cg, 0);
	LLVMValueRef r_zero = LLVMBuildICmp(cg->b, LLVMIntEQ, r, zero, "");
	LLVMValueRef safe_r = LLVMBuildSelect(cg->b, r_zero, cg_const(cg, 1), r, "");
	LLVMValueRef res;
	if (!is_signed) {
		res = is_mod ? LLVMBuildURem(cg->b, l, safe_r, "") : LLVMBuildUDiv(cg->b, l, safe_r, "");
	} else {
		LLVMValueRef l_neg = LLVMBuildICmp(cg->b, LLVMIntSLT, l, zero, "");
		LLVMValueRef r_neg = LLVMBuildICmp(cg->b, LLVMIntSLT, safe_r, zero, "");
		LLVMValueRef la = negate_if(cg, l_neg, l), ra = negate_if(cg, r_neg, safe_r);
		if (is_mod) {
			res = negate_if(cg, l_neg, LLVMBuildURem(cg->b, la, ra, ""));
		} else {
			LLVMValueRef q = LLVMBuildUDiv(cg->b, la, ra, "");
			res = negate_if(cg, LLVMBuildXor(cg->b, l_neg, r_neg, ""), q);
		}
	}
	return LLVMBuildSelect(cg->b, r_zero, zero, res, "");
}

LLVMValueRef cg_binop(struct cg *cg, int op, LLVMValueRef l, LLVMValueRef r, struct type lt,
		      struct type rt, struct type result)
{
	/* C's usual conversions on 64-bit operands: unsigned if either is u64 */
	bool is_signed = !is_u64(lt) && !is_u64(rt);
	LLVMBuilderRef b = cg->b;
	LLVMValueRef v;
	switch (op) {
	case OP_ADD: v = LLVMBuildAdd(b, l, r, ""); break;
	case OP_SUB: v = LLVMBuildSub(b, l, r, ""); break;
	case OP_MUL: v = LLVMBuildMul(b, l, r, ""); break;
	case OP_DIV: v = divide(cg, false, is_signed, l, r); break;
	case OP_MOD: v = divide(cg, true, is_signed, l, r); break;
	case OP_AND: v = LLVMBuildAnd(b, l, r, ""); break;
	case OP_OR: v = LLVMBuildOr(b, l, r, ""); break;
	case OP_XOR: v = LLVMBuildXor(b, l, r, ""); break;
	case OP_SHL:
	case OP_SHR: {
		/* shifting by >= 64 is poison in IR; BPF masks the count */
		LLVMValueRef count = LLVMBuildAnd(b, r, cg_const(cg, 63), "");
		if (op == OP_SHL)
			v = LLVMBuildShl(b, l, count, "");
		else if (lt.is_signed)
			v = LLVMBuildAShr(b, l, count, "");
		else
			v = LLVMBuildLShr(b, l, count, "");
		break;
	}
	case OP_EQ: v = bool_to_i64(cg, LLVMBuildICmp(b, LLVMIntEQ, l, r, "")); break;
	case OP_NE: v = bool_to_i64(cg, LLVMBuildICmp(b, LLVMIntNE, l, r, "")); break;
	case OP_LT:
		v = bool_to_i64(cg, LLVMBuildICmp(b, is_signed ? LLVMIntSLT : LLVMIntULT, l, r, ""));
		break;
	case OP_LE:
		v = bool_to_i64(cg, LLVMBuildICmp(b, is_signed ? LLVMIntSLE : LLVMIntULE, l, r, ""));
		break;
	case OP_GT:
		v = bool_to_i64(cg, LLVMBuildICmp(b, is_signed ? LLVMIntSGT : LLVMIntUGT, l, r, ""));
		break;
	case OP_GE:
		v = bool_to_i64(cg, LLVMBuildICmp(b, is_signed ? LLVMIntSGE : LLVMIntUGE, l, r, ""));
		break;
	default:
		return cg_const(cg, 0);
	}
	return cg_normalize(cg, v, result);
}

/* ---- expression kinds ---------------------------------------------------- */

static LLVMValueRef emit_logical(struct cg *cg, struct node *n)
{
	bool is_and = n->op == OP_LAND;
	LLVMValueRef l = cg_truth(cg, n->lhs);
	LLVMBasicBlockRef lhs_end = LLVMGetInsertBlock(cg->b);
	LLVMBasicBlockRef rhs_bb = cg_block(cg, is_and ? "and_rhs" : "or_rhs");
	LLVMBasicBlockRef done = cg_block(cg, is_and ? "and_end" : "or_end");
	if (is_and)
		LLVMBuildCondBr(cg->b, l, rhs_bb, done);
	else
		LLVMBuildCondBr(cg->b, l, done, rhs_bb);
	LLVMPositionBuilderAtEnd(cg->b, rhs_bb);
	LLVMValueRef r = cg_truth(cg, n->rhs);
	LLVMBasicBlockRef rhs_end = LLVMGetInsertBlock(cg->b);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->i1, "");
	LLVMValueRef vals[2] = { LLVMConstInt(cg->i1, is_and ? 0 : 1, false), r };
	LLVMBasicBlockRef from[2] = { lhs_end, rhs_end };
	LLVMAddIncoming(phi, vals, from, 2);
	return bool_to_i64(cg, phi);
}

static LLVMValueRef emit_binary(struct cg *cg, struct node *n)
{
	if (n->op == OP_LAND || n->op == OP_LOR)
		return emit_logical(cg, n);
	LLVMValueRef l = cg_expr(cg, n->lhs);
	LLVMValueRef r = cg_expr(cg, n->rhs);
	if (!l || !r)
		return cg_const(cg, 0);
	if (n->lhs->type.kind == TY_STR || n->rhs->type.kind == TY_STR) {
		if (n->lhs->type.kind != n->rhs->type.kind || (n->op != OP_EQ && n->op != OP_NE)) {
			cg_error(cg, n->loc, "operator %s is not supported on strings",
				 binop_spelling(n->op));
			return cg_const(cg, 0);
		}
		LLVMValueRef eq = str_equal(cg, l, n->lhs->type.size, r, n->rhs->type.size);
		if (n->op == OP_NE)
			eq = LLVMBuildNot(cg->b, eq, "");
		return bool_to_i64(cg, eq);
	}
	return cg_binop(cg, n->op, l, r, n->lhs->type, n->rhs->type, n->type);
}

static LLVMValueRef emit_unary(struct cg *cg, struct node *n)
{
	LLVMValueRef v = cg_expr(cg, n->lhs);
	if (!v)
		return cg_const(cg, 0);
	switch (n->op) {
	case '-': v = LLVMBuildNeg(cg->b, v, ""); break;
	case '~': v = LLVMBuildNot(cg->b, v, ""); break;
	case '!': return bool_to_i64(cg, LLVMBuildICmp(cg->b, LLVMIntEQ, v, cg_const(cg, 0), ""));
	default: break;
	}
	return cg_normalize(cg, v, n->type);
}

static LLVMValueRef emit_ternary(struct cg *cg, struct node *n)
{
	bool is_str = n->type.kind == TY_STR;
	LLVMValueRef result = is_str ? cg_temp(cg, n->type.size) : NULL;
	LLVMValueRef cond = cg_truth(cg, n->cond);
	LLVMBasicBlockRef then_bb = cg_block(cg, "then"), else_bb = cg_block(cg, "else");
	LLVMBasicBlockRef done = cg_block(cg, "endif");
	LLVMBuildCondBr(cg->b, cond, then_bb, else_bb);

	struct node *arms[2] = { n->then, n->els };
	LLVMBasicBlockRef starts[2] = { then_bb, else_bb }, ends[2];
	LLVMValueRef vals[2];
	for (int i = 0; i < 2; i++) {
		LLVMPositionBuilderAtEnd(cg->b, starts[i]);
		LLVMValueRef v = cg_expr(cg, arms[i]);
		if (!v)
			v = is_str ? cg_str_const(cg, "", 0, 1) : cg_const(cg, 0);
		/* the arms may have different sizes: copy into one buffer */
		if (is_str)
			cg_str_copy(cg, result, n->type.size, v, arms[i]->type.size, true);
		else
			v = cg_normalize(cg, v, n->type);
		vals[i] = v;
		ends[i] = LLVMGetInsertBlock(cg->b);
		LLVMBuildBr(cg->b, done);
	}
	LLVMPositionBuilderAtEnd(cg->b, done);
	if (is_str)
		return result;
	LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->i64, "");
	LLVMAddIncoming(phi, vals, ends, 2);
	return phi;
}

static LLVMValueRef emit_cast(struct cg *cg, struct node *n)
{
	LLVMValueRef v = cg_expr(cg, n->lhs);
	if (!v)
		return cg_const(cg, 0);
	if (n->cast_type.kind != TY_INT || n->lhs->type.kind != TY_INT) {
		cg_error(cg, n->loc, "unsupported cast");
		return cg_const(cg, 0);
	}
	return cg_normalize(cg, v, n->cast_type);
}

/* ++/-- on a scratch variable or a map element; yields the old value for
 * postfix and the new one for prefix. */
static LLVMValueRef emit_incdec(struct cg *cg, struct node *n)
{
	struct node *target = n->lhs;
	LLVMValueRef delta = cg_const(cg, n->op == '-' ? (uint64_t)-1 : 1);
	if (target->kind == N_VAR) {
		LLVMValueRef slot = cg_var_slot(cg, target);
		if (!slot)
			return cg_const(cg, 0);
		LLVMValueRef old = LLVMBuildLoad2(cg->b, cg->i64, slot, "");
		LLVMValueRef new = cg_normalize(cg, LLVMBuildAdd(cg->b, old, delta, ""), target->type);
		LLVMBuildStore(cg->b, new, slot);
		return n->is_prefix ? new : old;
	}
	if (target->kind == N_MAP && target->map) {
		struct map_info *m = target->map;
		LLVMValueRef key = cg_map_key(cg, m, target->args, NULL);
		if (m->kind != MAP_PLAIN) {
			/* count/sum maps: update the per-CPU value in place */
			cg_agg_add(cg, m, key, delta);
			return cg_const(cg, 0);
		}
		LLVMValueRef old = cg_map_read_key(cg, m, key);
		LLVMValueRef new = cg_normalize(cg, LLVMBuildAdd(cg->b, old, delta, ""), m->value);
		LLVMValueRef buf = cg_temp(cg, 8);
		LLVMBuildStore(cg->b, new, buf);
		cg_map_update_counted(cg, m, key, buf);
		return n->is_prefix ? new : old;
	}
	cg_error(cg, n->loc, "cannot increment this expression");
	return cg_const(cg, 0);
}

LLVMValueRef cg_expr(struct cg *cg, struct node *n)
{
	switch (n->kind) {
	case N_INT:
		return cg_const(cg, n->ival);
	case N_STR:
		return cg_str_const(cg, n->str, n->str_len, n->type.size);
	case N_BUILTIN:
		if (n->builtin && n->builtin->emit)
			return n->builtin->emit(cg, n);
		cg_error(cg, n->loc, "builtin '%s' cannot be used here", n->name);
		return cg_const(cg, 0);
	case N_VAR: {
		LLVMValueRef slot = cg_var_slot(cg, n);
		if (!slot)
			return cg_const(cg, 0);
		if (n->type.kind == TY_STR)
			return slot;
		LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, slot, "");
		LLVMSetAlignment(v, 8);
		return v;
	}
	case N_MAP:
		return cg_map_read(cg, n);
	case N_UNARY:
		return emit_unary(cg, n);
	case N_BINARY:
		return emit_binary(cg, n);
	case N_TERNARY:
		return emit_ternary(cg, n);
	case N_CALL:
		if (n->func && n->func->emit)
			return n->func->emit(cg, n);
		cg_error(cg, n->loc, "function '%s' cannot be used here", n->name);
		return cg_const(cg, 0);
	case N_FIELD:
		return cg_args_field(cg, n);
	case N_CAST:
		return emit_cast(cg, n);
	case N_INCDEC:
		return emit_incdec(cg, n);
	default:
		cg_error(cg, n->loc, "internal error: unexpected node in expression");
		return cg_const(cg, 0);
	}
}

LLVMValueRef cg_truth(struct cg *cg, struct node *n)
{
	LLVMValueRef v = cg_expr(cg, n);
	if (!v || n->type.kind == TY_STR) {
		if (n->type.kind == TY_STR)
			cg_error(cg, n->loc, "a string cannot be used as a condition");
		return LLVMConstInt(cg->i1, 0, false);
	}
	return LLVMBuildICmp(cg->b, LLVMIntNE, v, cg_const(cg, 0), "");
}
