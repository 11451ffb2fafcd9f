/* expr.c - expressions: integer arithmetic with C semantics on 64-bit values,
 * pointer arithmetic, short-circuit logic, ternaries, casts, ++/--,
 * string literals, tuples and records, copies, conversions on store, and
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

LLVMValueRef cg_ptr_add_var(struct cg *cg, LLVMValueRef base, LLVMValueRef offset)
{
	return LLVMBuildGEP2(cg->b, cg->i8, base, &offset, 1, "");
}

/* LLVM's BPF backend expands a memset/memcpy inline into at most 128
 * stores of the alignment's width; beyond that it would emit a call to
 * memcpy, which BPF does not have. */
#define CG_INLINE_STORES 128

/* A compiler barrier (asm volatile("" ::: "memory")): LLVM merges memsets
 * of neighbouring memory into one, and one over the backend's inline limit
 * becomes a call to memset, which BPF does not have. */
static void memory_barrier(struct cg *cg)
{
	LLVMTypeRef fnty = LLVMFunctionType(cg->void_t, NULL, 0, false);
	LLVMValueRef asm_fn = LLVMGetInlineAsm(fnty, "", 0, "~{memory}", 9, true, false,
					       LLVMInlineAsmDialectATT, false);
	LLVMBuildCall2(cg->b, fnty, asm_fn, NULL, 0, "");
}

/* dst is an 8-byte aligned temporary (stack or scratch). Small ones are
 * one memset; large ones are memsets of at most CG_ZERO_CHUNK bytes kept
 * apart by barriers. */
#define CG_ZERO_CHUNK 512

/* Above this many bytes a zeroing is a loop of 8-byte stores, not inline
 * stores: strings of a large max_strlen would otherwise make programs
 * whose branches span more than the 32767 instructions BPF can jump. */
#define CG_ZERO_LOOP_MIN 2048

/* for (i = 0; i < n; i++) ((u64 *)dst)[i] = 0, with a barrier in the body
 * so that LLVM does not turn the loop back into a memset. The verifier
 * walks the loop: n is at most max_strlen / 8 or so iterations. */
static void zero_loop(struct cg *cg, LLVMValueRef dst, uint32_t words)
{
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
	LLVMBasicBlockRef body = cg_block(cg, "zero_loop"), done = cg_block(cg, "zero_done");
	LLVMBuildBr(cg->b, body);
	LLVMPositionBuilderAtEnd(cg->b, body);
	LLVMValueRef i = LLVMBuildPhi(cg->b, cg->i64, "i");
	LLVMValueRef at = LLVMBuildGEP2(cg->b, cg->i64, dst, &i, 1, "");
	LLVMSetAlignment(LLVMBuildStore(cg->b, cg_const(cg, 0), at), 8);
	memory_barrier(cg);
	LLVMValueRef next = LLVMBuildAdd(cg->b, i, cg_const(cg, 1), "");
	LLVMValueRef in[2] = { cg_const(cg, 0), next };
	LLVMBasicBlockRef from[2] = { pre, body };
	LLVMAddIncoming(i, in, from, 2);
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntULT, next, cg_const(cg, words), ""), body,
			done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

void cg_zero(struct cg *cg, LLVMValueRef dst, uint32_t size)
{
	if (size >= CG_ZERO_LOOP_MIN) {
		zero_loop(cg, dst, size / 8);
		dst = cg_ptr_add(cg, dst, size / 8 * 8);
		size %= 8;
	}
	for (uint32_t off = 0; off < size; off += CG_ZERO_CHUNK) {
		uint32_t n = size - off < CG_ZERO_CHUNK ? size - off : CG_ZERO_CHUNK;
		LLVMBuildMemSet(cg->b, cg_ptr_add(cg, dst, off), LLVMConstInt(cg->i8, 0, false),
				cg_const(cg, n), n % 8 == 0 ? 8 : 1);
		if (size > CG_STACK_TEMP_MAX)
			memory_barrier(cg);
	}
}

void cg_copy(struct cg *cg, LLVMValueRef dst, LLVMValueRef src, uint32_t size, unsigned align)
{
	if (!size)
		return;
	if (align == 0 || size % align)
		align = 1;
	if (size / align <= CG_INLINE_STORES && size <= CG_INLINE_STORES * 8) {
		LLVMBuildMemCpy(cg->b, dst, align, src, align, cg_const(cg, size));
		return;
	}
	/* BPF memory is kernel memory: the read helper copies any size */
	cg_probe_read(cg, dst, size, src, false);
}

static void store_at(struct cg *cg, LLVMValueRef base, uint64_t offset, LLVMValueRef v,
		     unsigned align)
{
	LLVMValueRef st = LLVMBuildStore(cg->b, v, cg_ptr_add(cg, base, offset));
	LLVMSetAlignment(st, align);
}

LLVMValueRef cg_normalize(struct cg *cg, LLVMValueRef v, const struct type *t)
{
	if (t && t->kind == TY_BOOL)
		return LLVMBuildZExt(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, v, cg_const(cg, 0), ""),
				     cg->i64, "");
	if (!t || !type_is_integer(t) || t->size >= 8 || t->size == 0)
		return v;
	LLVMTypeRef narrow = LLVMIntTypeInContext(cg->ctx, t->size * 8);
	LLVMValueRef tr = LLVMBuildTrunc(cg->b, v, narrow, "");
	return t->is_signed ? LLVMBuildSExt(cg->b, tr, cg->i64, "")
			    : LLVMBuildZExt(cg->b, tr, cg->i64, "");
}

LLVMValueRef cg_load_scalar(struct cg *cg, LLVMValueRef p, const struct type *t)
{
	uint32_t size = t->size == 1 || t->size == 2 || t->size == 4 ? t->size : 8;
	LLVMValueRef v = LLVMBuildLoad2(cg->b, LLVMIntTypeInContext(cg->ctx, size * 8), p, "");
	LLVMSetAlignment(v, t->align && t->align < size ? t->align : size);
	if (size < 8)
		v = type_is_integer(t) && t->is_signed ? LLVMBuildSExt(cg->b, v, cg->i64, "")
						       : LLVMBuildZExt(cg->b, v, cg->i64, "");
	return v;
}

static void store_scalar(struct cg *cg, LLVMValueRef dst, const struct type *t, LLVMValueRef v)
{
	uint32_t size = t->size == 1 || t->size == 2 || t->size == 4 ? t->size : 8;
	if (size < 8)
		v = LLVMBuildTrunc(cg->b, v, LLVMIntTypeInContext(cg->ctx, size * 8), "");
	LLVMValueRef st = LLVMBuildStore(cg->b, v, dst);
	LLVMSetAlignment(st, t->align && t->align < size ? t->align : size);
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
	uint32_t n = dst_size < src_size ? dst_size : src_size;
	cg_copy(cg, dst, src, n, 1);
	if (zero_rest && dst_size > n)
		for (uint32_t i = n; i < dst_size; i++)
			LLVMSetAlignment(LLVMBuildStore(cg->b, LLVMConstInt(cg->i8, 0, false),
							cg_ptr_add(cg, dst, i)), 1);
	if (src_size > dst_size && dst_size > 0) /* truncated: end with a NUL */
		LLVMSetAlignment(LLVMBuildStore(cg->b, LLVMConstInt(cg->i8, 0, false),
						cg_ptr_add(cg, dst, dst_size - 1)), 1);
}

static void store_record(struct cg *cg, LLVMValueRef dst, const struct type *to, LLVMValueRef v,
			 const struct type *from)
{
	if (type_equal(to, from) && to->size == from->size) {
		cg_copy(cg, dst, v, to->size, 1);
		return;
	}
	/* a tuple or record converted member by member (integers widened,
	 * strings resized) into the stored type; records match by name */
	for (int i = 0; i < to->nmembers; i++) {
		const struct type_member *tm = &to->members[i];
		const struct type_member *fm = from->rkind == REC_RECORD ? type_member_find(from, tm->name)
						: i < from->nmembers ? &from->members[i] : NULL;
		if (!fm)
			continue;
		LLVMValueRef src = cg_ptr_add(cg, v, fm->offset);
		LLVMValueRef val = type_is_scalar(fm->type) ? cg_load_scalar(cg, src, fm->type) : src;
		cg_store(cg, cg_ptr_add(cg, dst, tm->offset), tm->type, val, fm->type);
	}
}

void cg_store(struct cg *cg, LLVMValueRef dst, const struct type *to, LLVMValueRef v,
	      const struct type *from)
{
	if (!v)
		return;
	if (type_is_scalar(to)) {
		if (LLVMTypeOf(v) != cg->i64) {
			cg_error(cg, (srcloc){ 0 }, "internal error: integer value expected");
			return;
		}
		store_scalar(cg, dst, to, cg_normalize(cg, v, to));
		return;
	}
	if (to->kind == TY_STR && from->kind == TY_STR) {
		cg_str_copy(cg, dst, to->size, v, from->size, true);
		return;
	}
	if (to->kind == TY_RECORD && from->kind == TY_RECORD) {
		store_record(cg, dst, to, v, from);
		return;
	}
	cg_copy(cg, dst, v, to->size < from->size ? to->size : from->size, 1);
}

LLVMValueRef cg_load_byte(struct cg *cg, LLVMValueRef s, uint32_t size, uint32_t i)
{
	if (i >= size)
		return LLVMConstInt(cg->i8, 0, false);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i8, cg_ptr_add(cg, s, i), "");
	LLVMSetAlignment(v, 1);
	return v;
}

LLVMValueRef cg_load_byte_at(struct cg *cg, LLVMValueRef s, LLVMValueRef i)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i8, cg_ptr_add_var(cg, s, i), "");
	LLVMSetAlignment(v, 1);
	return v;
}

/* 1 if the byte v (0..255, in an i64) is not 0, else 0, by arithmetic:
 * BPF has no set-on-compare, so a compare per byte would become a branch
 * per byte, and two runtime strings (comm == comm) give the verifier
 * 2^(bytes) paths to walk ("program too large"). */
LLVMValueRef cg_byte_nonzero(struct cg *cg, LLVMValueRef v)
{
	return LLVMBuildLShr(cg->b, LLVMBuildAdd(cg->b, v, cg_const(cg, 255), ""), cg_const(cg, 8), "");
}

/* Equal up to and including the first NUL; unrolled, and branch-free so
 * the verifier sees one straight path. */
static LLVMValueRef str_equal(struct cg *cg, LLVMValueRef a, uint32_t asize, LLVMValueRef b,
			      uint32_t bsize)
{
	/* Past the shorter buffer only its missing NUL matters: the longer
	 * string must end right there. */
	uint32_t n = asize < bsize ? asize : bsize;
	if (asize != bsize)
		n++;
	LLVMValueRef alive = cg_const(cg, 1);
	LLVMValueRef differ = cg_const(cg, 0);
	for (uint32_t i = 0; i < n; i++) {
		LLVMValueRef ca = LLVMBuildZExt(cg->b, cg_load_byte(cg, a, asize, i), cg->i64, "");
		LLVMValueRef cb = LLVMBuildZExt(cg->b, cg_load_byte(cg, b, bsize, i), cg->i64, "");
		LLVMValueRef ne = cg_byte_nonzero(cg, LLVMBuildXor(cg->b, ca, cb, ""));
		differ = LLVMBuildOr(cg->b, differ, LLVMBuildAnd(cg->b, alive, ne, ""), "");
		alive = LLVMBuildAnd(cg->b, alive, cg_byte_nonzero(cg, ca), "");
	}
	return LLVMBuildICmp(cg->b, LLVMIntEQ, differ, cg_const(cg, 0), "");
}

/* n bytes of BPF memory at a and b are the same: unrolled 8 bytes at a time,
 * straight-line code for the verifier. */
static LLVMValueRef bytes_equal(struct cg *cg, LLVMValueRef a, LLVMValueRef b, uint32_t n)
{
	LLVMValueRef differ = LLVMConstInt(cg->i1, 0, false);
	for (uint32_t at = 0; at < n;) {
		uint32_t w = n - at >= 8 ? 8 : 1;
		LLVMTypeRef ty = w == 8 ? cg->i64 : cg->i8;
		LLVMValueRef x = LLVMBuildLoad2(cg->b, ty, cg_ptr_add(cg, a, at), "");
		LLVMValueRef y = LLVMBuildLoad2(cg->b, ty, cg_ptr_add(cg, b, at), "");
		LLVMSetAlignment(x, 1);
		LLVMSetAlignment(y, 1);
		differ = LLVMBuildOr(cg->b, differ, LLVMBuildICmp(cg->b, LLVMIntNE, x, y, ""), "");
		at += w;
	}
	return LLVMBuildNot(cg->b, differ, "");
}

/* ---- arithmetic ---------------------------------------------------------- */

static bool is_u64(const struct type *t)
{
	return (t->kind == TY_INT && !t->is_signed && t->size == 8) || t->kind == TY_PTR;
}

static LLVMValueRef bool_to_i64(struct cg *cg, LLVMValueRef b)
{
	return LLVMBuildZExt(cg->b, b, cg->i64, "");
}

static LLVMValueRef negate_if(struct cg *cg, LLVMValueRef cond, LLVMValueRef v)
{
	return LLVMBuildSelect(cg->b, cond, LLVMBuildNeg(cg->b, v, ""), v, "");
}

/* x / 0 and x % 0 give 1 and send the warning (div_warn, 0 none), as the
 * latest bpftrace does; never divide by zero in IR, where it is undefined
 * and would let LLVM assume the divisor is non-zero. */
static LLVMValueRef divide(struct cg *cg, bool is_mod, bool is_signed, LLVMValueRef l,
			   LLVMValueRef r, int div_warn)
{
	LLVMValueRef zero = cg_const(cg, 0);
	LLVMValueRef r_zero = LLVMBuildICmp(cg->b, LLVMIntEQ, r, zero, "");
	if (div_warn > 0) {
		LLVMBasicBlockRef warn = cg_block(cg, "div_zero"), go_on = cg_block(cg, "div");
		LLVMBuildCondBr(cg->b, r_zero, warn, go_on);
		LLVMPositionBuilderAtEnd(cg->b, warn);
		cg_emit_plain_format(cg, div_warn - 1);
		LLVMBuildBr(cg->b, go_on);
		LLVMPositionBuilderAtEnd(cg->b, go_on);
	}
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
	return LLVMBuildSelect(cg->b, r_zero, cg_const(cg, 1), res, "");
}

LLVMValueRef cg_binop(struct cg *cg, int op, LLVMValueRef l, LLVMValueRef r, const struct type *lt,
		      const struct type *rt, const struct type *result, int div_warn)
{
	/* C's usual conversions on 64-bit operands: unsigned if either is u64 */
	bool is_signed = !is_u64(lt) && !is_u64(rt);
	LLVMBuilderRef b = cg->b;
	LLVMValueRef v;
	switch (op) {
	case OP_ADD: v = LLVMBuildAdd(b, l, r, ""); break;
	case OP_SUB: v = LLVMBuildSub(b, l, r, ""); break;
	case OP_MUL: v = LLVMBuildMul(b, l, r, ""); break;
	case OP_DIV: v = divide(cg, false, is_signed, l, r, div_warn); break;
	case OP_MOD: v = divide(cg, true, is_signed, l, r, div_warn); break;
	case OP_AND: v = LLVMBuildAnd(b, l, r, ""); break;
	case OP_OR: v = LLVMBuildOr(b, l, r, ""); break;
	case OP_XOR: v = LLVMBuildXor(b, l, r, ""); break;
	case OP_SHL:
	case OP_SHR: {
		/* shifting by >= 64 is poison in IR; BPF masks the count */
		LLVMValueRef count = LLVMBuildAnd(b, r, cg_const(cg, 63), "");
		if (op == OP_SHL)
			v = LLVMBuildShl(b, l, count, "");
		else if (type_is_integer(lt) && lt->is_signed)
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

/* p + i and p - i advance by whole pointees, as in C. */
static LLVMValueRef pointer_arith(struct cg *cg, struct node *n, LLVMValueRef l, LLVMValueRef r)
{
	bool left = n->lhs->type->kind == TY_PTR;
	const struct type *p = left ? n->lhs->type : n->rhs->type;
	LLVMValueRef ptr = left ? l : r, i = left ? r : l;
	uint32_t step = p->elem->size ? p->elem->size : 1;
	LLVMValueRef delta = LLVMBuildMul(cg->b, i, cg_const(cg, step), "");
	return n->op == OP_SUB ? LLVMBuildSub(cg->b, ptr, delta, "") : LLVMBuildAdd(cg->b, ptr, delta, "");
}

static LLVMValueRef emit_binary(struct cg *cg, struct node *n)
{
	if (n->op == OP_LAND || n->op == OP_LOR)
		return emit_logical(cg, n);
	LLVMValueRef l = cg_expr(cg, n->lhs);
	LLVMValueRef r = cg_expr(cg, n->rhs);
	if (!l || !r)
		return cg_const(cg, 0);
	const struct type *lt = n->lhs->type, *rt = n->rhs->type;
	if (lt->kind == TY_STR || rt->kind == TY_STR) {
		if (lt->kind != rt->kind || (n->op != OP_EQ && n->op != OP_NE)) {
			cg_error(cg, n->loc, "operator %s is not supported on strings",
				 binop_spelling(n->op));
			return cg_const(cg, 0);
		}
		LLVMValueRef eq = str_equal(cg, l, lt->size, r, rt->size);
		if (n->op == OP_NE)
			eq = LLVMBuildNot(cg->b, eq, "");
		return bool_to_i64(cg, eq);
	}
	if (lt->kind == TY_BUF || lt->kind == TY_ARRAY || lt->kind == TY_RECORD) {
		/* buffers of different sizes: the length, then the bytes the
		 * smaller one has (both are zero past their length) */
		uint32_t size = lt->size < rt->size ? lt->size : rt->size;
		LLVMValueRef eq = bytes_equal(cg, l, r, size);
		if (n->op == OP_NE)
			eq = LLVMBuildNot(cg->b, eq, "");
		return bool_to_i64(cg, eq);
	}
	if (n->type->kind == TY_PTR)
		return pointer_arith(cg, n, l, r);
	if (n->type->kind == TY_BOOL && lt->kind == TY_BOOL && rt->kind == TY_BOOL &&
	    (n->op < OP_EQ || n->op > OP_GE))
		return cg_normalize(cg, cg_binop(cg, n->op, l, r, type_int(8, false), type_int(8, false),
						 type_int(8, false), n->run_warning), n->type);
	return cg_binop(cg, n->op, l, r, lt, rt, n->type, n->run_warning);
}

static LLVMValueRef emit_unary(struct cg *cg, struct node *n)
{
	if (n->op == '&') {
		LLVMValueRef slot = cg_var_slot(cg, n->lhs);
		return slot ? LLVMBuildPtrToInt(cg->b, slot, cg->i64, "") : cg_const(cg, 0);
	}
	if (n->op == '*')
		return cg_load_ref(cg, cg_ref_of(cg, n), n->type);
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

/* A ?: or if/else whose value is dropped (a branch may have none): each
 * branch is run for its effects. */
static void emit_void_ternary(struct cg *cg, struct node *n)
{
	LLVMValueRef cond = cg_truth(cg, n->cond);
	LLVMBasicBlockRef then_bb = cg_block(cg, "then"), else_bb = cg_block(cg, "else");
	LLVMBasicBlockRef done = cg_block(cg, "endif");
	LLVMBuildCondBr(cg->b, cond, then_bb, else_bb);
	struct node *arms[2] = { n->then, n->els };
	LLVMBasicBlockRef starts[2] = { then_bb, else_bb };
	for (int i = 0; i < 2; i++) {
		LLVMPositionBuilderAtEnd(cg->b, starts[i]);
		if (arms[i]) {
			int mark = cg_temp_mark(cg);
			cg_expr(cg, arms[i]);
			cg_temp_release(cg, mark);
		}
		LLVMBuildBr(cg->b, done);
	}
	LLVMPositionBuilderAtEnd(cg->b, done);
}

/* { stmts; value }: the statements, then the value (none when dropped). */
static LLVMValueRef emit_block_expr(struct cg *cg, struct node *n)
{
	cg_block_stmts(cg, n->body);
	if (!n->lhs)
		return NULL;
	LLVMValueRef v = cg_expr(cg, n->lhs);
	if (v && type_is_scalar(n->type))
		v = cg_normalize(cg, v, n->type);
	return v;
}

static LLVMValueRef emit_ternary(struct cg *cg, struct node *n)
{
	if (type_is(n->type, TY_VOID)) {
		emit_void_ternary(cg, n);
		return NULL;
	}
	bool in_memory = !type_is_scalar(n->type);
	LLVMValueRef result = NULL;
	if (in_memory) {
		result = cg_temp(cg, n->type->size);
		cg_zero(cg, result, cg_round8(n->type->size));
	}
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
		/* the arms may have different types: store both as the result's */
		if (in_memory)
			cg_store(cg, result, n->type, v, arms[i]->type);
		else
			v = cg_normalize(cg, v ? v : cg_const(cg, 0), n->type);
		vals[i] = v;
		ends[i] = LLVMGetInsertBlock(cg->b);
		LLVMBuildBr(cg->b, done);
	}
	LLVMPositionBuilderAtEnd(cg->b, done);
	if (in_memory)
		return result;
	LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->i64, "");
	LLVMAddIncoming(phi, vals, ends, 2);
	return phi;
}

/* (uint8[8])x: the integer's bytes as an array; (int8[])"str": the same
 * bytes seen as an array. */
static LLVMValueRef cast_to_array(struct cg *cg, struct node *n, LLVMValueRef v)
{
	const struct type *from = n->lhs->type;
	if (!type_is_scalar(from))
		return v;
	LLVMValueRef buf = cg_temp(cg, n->type->size);
	cg_zero(cg, buf, cg_round8(n->type->size));
	/* the array's size: a literal may be narrower (sema) */
	store_scalar(cg, buf, type_int(n->type->size, false), v);
	return buf;
}

static LLVMValueRef emit_cast(struct cg *cg, struct node *n)
{
	if (type_is_scalar(n->type) && n->lhs->type->kind == TY_STR &&
	    (n->lhs->kind == N_FIELD || n->lhs->kind == N_INDEX))
		/* (int32)s->chars: the member's bytes as they are in memory, not
		 * read as a string (which would stop at a NUL and end in one) */
		return cg_load_ref(cg, cg_ref_of(cg, n->lhs), n->type);
	LLVMValueRef v = cg_expr(cg, n->lhs);
	if (!v)
		return cg_const(cg, 0);
	if (n->type->kind == TY_ARRAY)
		return cast_to_array(cg, n, v);
	if (type_is_scalar(n->type) && (n->lhs->type->kind == TY_ARRAY || n->lhs->type->kind == TY_STR))
		/* (uint32)pton(...): the array's bytes read as the integer (sema
		 * checked the sizes are equal) */
		return cg_load_scalar(cg, v, n->type);
	if (!type_is_scalar(n->type) || !type_is_scalar(n->lhs->type)) {
		cg_error(cg, n->loc, "internal error: unsupported cast");
		return cg_const(cg, 0);
	}
	const struct type *from = n->lhs->type;
	if (n->type->kind == TY_PTR && type_is_integer(from) && from->size < 8)
		/* a narrower integer becomes an address zero-extended, as
		 * bpftrace's inttoptr does: (uint8 *)-1 is 0xff */
		v = LLVMBuildAnd(cg->b, v, cg_const(cg, (1ull << (from->size * 8)) - 1), "");
	return cg_normalize(cg, v, n->type);
}

/* ++/-- on a scratch variable or a map element; yields the old value for
 * postfix and the new one for prefix. Pointers step by their pointee. */
static LLVMValueRef step_of(struct cg *cg, const struct type *t, bool down)
{
	uint64_t step = t->kind == TY_PTR && t->elem->size ? t->elem->size : 1;
	return cg_const(cg, down ? (uint64_t)0 - step : step);
}

static LLVMValueRef emit_incdec(struct cg *cg, struct node *n)
{
	struct node *target = n->lhs;
	if (target->kind == N_VAR) {
		LLVMValueRef slot = cg_var_slot(cg, target);
		if (!slot)
			return cg_const(cg, 0);
		LLVMValueRef delta = step_of(cg, target->type, n->op == '-');
		LLVMValueRef old = LLVMBuildLoad2(cg->b, cg->i64, slot, "");
		LLVMValueRef new = cg_normalize(cg, LLVMBuildAdd(cg->b, old, delta, ""), target->type);
		LLVMBuildStore(cg->b, new, slot);
		return n->is_prefix ? new : old;
	}
	if (target->kind == N_MAP && target->map) {
		struct map_info *m = target->map;
		LLVMValueRef delta = step_of(cg, m->value, n->op == '-');
		LLVMValueRef key = cg_map_key(cg, m, target->args, NULL);
		if (m->kind != MAP_PLAIN) {
			/* count/sum maps: update the per-CPU value in place */
			cg_agg_add(cg, m, key, delta);
			return cg_const(cg, 0);
		}
		LLVMValueRef old = cg_map_read_key_at(cg, m, key, n->loc);
		LLVMValueRef new = cg_normalize(cg, LLVMBuildAdd(cg->b, old, delta, ""), m->value);
		cg_map_write_key(cg, m, key, new, m->value);
		return n->is_prefix ? new : old;
	}
	cg_error(cg, n->loc, "cannot increment this expression");
	return cg_const(cg, 0);
}

/* (a, b) and (x = a, y = b): built in a zeroed temporary (padding must be
 * zero: tuples are map keys), each element stored at its offset. */
static LLVMValueRef emit_tuple(struct cg *cg, struct node *n)
{
	const struct type *t = n->type;
	LLVMValueRef vals[64];
	int i = 0;
	for (struct node *e = n->args; e && i < 64; e = e->next, i++)
		vals[i] = cg_expr(cg, e->kind == N_NAMED ? e->lhs : e);
	LLVMValueRef buf = cg_temp(cg, t->size);
	cg_zero(cg, buf, cg_round8(t->size));
	i = 0;
	for (struct node *e = n->args; e && i < t->nmembers && i < 64; e = e->next, i++) {
		const struct type_member *m = &t->members[i];
		struct node *val = e->kind == N_NAMED ? e->lhs : e;
		cg_store(cg, cg_ptr_add(cg, buf, m->offset), m->type, vals[i], val->type);
	}
	return buf;
}

LLVMValueRef cg_member_value(struct cg *cg, struct node *n);

LLVMValueRef cg_expr(struct cg *cg, struct node *n)
{
	switch (n->kind) {
	case N_INT:
	case N_BOOL:
		return cg_const(cg, n->ival);
	case N_STR:
		return cg_str_const(cg, n->str, n->str_len, n->type->size);
	case N_BUILTIN:
		if (n->builtin && n->builtin->emit)
			return n->builtin->emit(cg, n);
		cg_error(cg, n->loc, "builtin '%s' cannot be used here", n->name);
		return cg_const(cg, 0);
	case N_VAR: {
		LLVMValueRef slot = cg_var_slot(cg, n);
		if (!slot)
			return cg_const(cg, 0);
		if (!type_is_scalar(n->type))
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
	case N_BLOCK_EXPR:
		return emit_block_expr(cg, n);
	case N_CALL:
		if (n->func && n->func->emit)
			return n->func->emit(cg, n);
		cg_error(cg, n->loc, "function '%s' cannot be used here", n->name);
		return cg_const(cg, 0);
	case N_FIELD:
	case N_INDEX:
		return cg_member_value(cg, n);
	case N_CAST:
		return emit_cast(cg, n);
	case N_INCDEC:
		return emit_incdec(cg, n);
	case N_TUPLE:
	case N_RECORD:
		return emit_tuple(cg, n);
	default:
		cg_error(cg, n->loc, "internal error: unexpected node in expression");
		return cg_const(cg, 0);
	}
}

LLVMValueRef cg_truth(struct cg *cg, struct node *n)
{
	LLVMValueRef v = cg_expr(cg, n);
	if (!v || !type_is_scalar(n->type)) {
		cg_error(cg, n->loc, "internal error: a condition must be a scalar");
		return LLVMConstInt(cg->i1, 0, false);
	}
	return LLVMBuildICmp(cg->b, LLVMIntNE, v, cg_const(cg, 0), "");
}
