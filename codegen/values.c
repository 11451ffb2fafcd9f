/* values.c - codegen hooks of the builtins and functions of stdlib/values.c:
 * jiffies, numaid, ncpus, has_cpid, bswap, strncmp, strcontains, strlen,
 * kptr/uptr, pton, signal. String functions are unrolled into straight-line,
 * branch-free code over the strings' buffers, which the verifier accepts on
 * every kernel and checks in one pass. */
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "btf.h"
#include "cg.h"

LLVMValueRef cg_var_jiffies(struct cg *cg, struct node *n)
{
	(void)n;
	return cg_helper(cg, HELPER_JIFFIES64, cg->i64, NULL, 0);
}

LLVMValueRef cg_var_numaid(struct cg *cg, struct node *n)
{
	return cg_normalize(cg, cg_helper(cg, HELPER_GET_NUMA_NODE_ID, cg->i64, NULL, 0), n->type);
}

/* The possible CPUs of the machine compiling (bpftrace's ncpus). */
LLVMValueRef cg_var_ncpus(struct cg *cg, struct node *n)
{
	int cpus = libbpf_num_possible_cpus();
	if (cpus < 0) {
		cg_error(cg, n->loc, "ncpus: cannot count the possible CPUs: %s", strerror(-cpus));
		cpus = 0;
	}
	return cg_const(cg, (uint64_t)cpus);
}

LLVMValueRef cg_var_has_cpid(struct cg *cg, struct node *n)
{
	(void)n;
	LLVMValueRef set = LLVMBuildICmp(cg->b, LLVMIntNE, cg_config_load(cg, CFG_CPID), cg_const(cg, 0), "");
	return LLVMBuildZExt(cg->b, set, cg->i64, "");
}

LLVMValueRef cg_var_probetype(struct cg *cg, struct node *n)
{
	const char *name = stdlib_probetype_name(cg->group->prov);
	return cg_str_const(cg, name, strlen(name), n->type->size);
}

/* usermode: (regs->cs & 3) == 3 where the context is a pt_regs (x86_64:
 * cs is its 18th u64); BEGIN/END run in user space (1), the other probe
 * types fire inside the kernel (0), as bpftrace folds them. */
LLVMValueRef cg_var_usermode(struct cg *cg, struct node *n)
{
	(void)n;
	enum { PT_REGS_CS = 17 * 8 };
	switch (cg->group->prov ? cg->group->prov->type : PT_BEGIN) {
	case PT_BEGIN:
	case PT_END:
		return cg_const(cg, 1);
	case PT_INTERVAL:
	case PT_PROFILE:
	case PT_UPROBE:
	case PT_URETPROBE:
	case PT_USDT:
	case PT_SOFTWARE:
	case PT_HARDWARE:
	case PT_WATCHPOINT:
	case PT_ASYNCWATCHPOINT: {
		/* their context starts with the interrupted registers */
		LLVMValueRef cs = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, PT_REGS_CS), "");
		LLVMSetAlignment(cs, 8);
		LLVMValueRef ring = LLVMBuildAnd(cg->b, cs, cg_const(cg, 3), "");
		LLVMValueRef user = LLVMBuildICmp(cg->b, LLVMIntEQ, ring, cg_const(cg, 3), "");
		return LLVMBuildZExt(cg->b, user, cg->i64, "");
	}
	default:
		return cg_const(cg, 0);
	}
}

/* ---- integers ------------------------------------------------------------ */

LLVMValueRef cg_fn_bswap(struct cg *cg, struct node *n)
{
	LLVMValueRef v = cg_expr(cg, n->args);
	uint32_t size = n->type->size;
	if (!v)
		return cg_const(cg, 0);
	if (size == 1)
		return cg_normalize(cg, v, n->type);
	LLVMTypeRef ty = LLVMIntTypeInContext(cg->ctx, size * 8);
	unsigned id = LLVMLookupIntrinsicID("llvm.bswap", 10);
	LLVMValueRef fn = LLVMGetIntrinsicDeclaration(cg->mod, id, &ty, 1);
	LLVMValueRef narrow = LLVMBuildTrunc(cg->b, v, ty, "");
	LLVMValueRef swapped = LLVMBuildCall2(cg->b, LLVMIntrinsicGetType(cg->ctx, id, &ty, 1), fn,
					      &narrow, 1, "");
	return LLVMBuildZExt(cg->b, swapped, cg->i64, "");
}

/* ---- strings --------------------------------------------------------------- */

/* i1 "byte c is not NUL", for branches (cg_byte_nonzero gives it as a
 * number without one). */
static LLVMValueRef not_nul(struct cg *cg, LLVMValueRef c)
{
	return LLVMBuildICmp(cg->b, LLVMIntNE, c, LLVMConstInt(cg->i8, 0, false), "");
}

static LLVMValueRef ult(struct cg *cg, LLVMValueRef a, uint64_t b)
{
	return LLVMBuildICmp(cg->b, LLVMIntULT, a, cg_const(cg, b), "");
}

/* strncmp(a, b, n): 1 when a character before the first NUL of both, among
 * the first n, differs; 0 otherwise. A loop over the bytes both buffers
 * have, without an early exit (one verifier path, nothing kept live across
 * bytes), then the byte past the shorter buffer, where it has its NUL. */
LLVMValueRef cg_fn_strncmp(struct cg *cg, struct node *n)
{
	struct node *a = n->args, *b = a->next;
	LLVMValueRef va = cg_expr(cg, a), vb = cg_expr(cg, b);
	int64_t limit = 0;
	if (!va || !vb || !sema_const_eval(b->next, &limit))
		return cg_const(cg, 0);
	uint32_t asize = a->type->size, bsize = b->type->size;
	uint32_t shorter = asize < bsize ? asize : bsize;
	uint64_t count = (uint64_t)limit;
	uint32_t both = count < shorter ? (uint32_t)count : shorter;

	LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
	LLVMBasicBlockRef head = cg_block(cg, "cmp_head"), body = cg_block(cg, "cmp_body");
	LLVMBasicBlockRef done = cg_block(cg, "cmp_done");
	LLVMBuildBr(cg->b, head);

	LLVMPositionBuilderAtEnd(cg->b, head);
	LLVMValueRef i = LLVMBuildPhi(cg->b, cg->i64, "i");
	LLVMValueRef alive = LLVMBuildPhi(cg->b, cg->i64, "alive");
	LLVMValueRef differ = LLVMBuildPhi(cg->b, cg->i64, "differ");
	LLVMBuildCondBr(cg->b, ult(cg, i, both), body, done);

	LLVMPositionBuilderAtEnd(cg->b, body);
	LLVMValueRef ca = cg_load_byte_at(cg, va, i), cb = cg_load_byte_at(cg, vb, i);
	LLVMValueRef ne = LLVMBuildZExt(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, ca, cb, ""), cg->i64, "");
	LLVMValueRef differ_next = LLVMBuildOr(cg->b, differ, LLVMBuildAnd(cg->b, alive, ne, ""), "");
	LLVMValueRef alive_next = LLVMBuildAnd(cg->b, alive,
					       cg_byte_nonzero(cg, LLVMBuildZExt(cg->b, ca, cg->i64, "")), "");
	LLVMValueRef i_next = LLVMBuildAdd(cg->b, i, cg_const(cg, 1), "");
	LLVMBuildBr(cg->b, head);

	LLVMBasicBlockRef from[2] = { pre, body };
	LLVMValueRef i_in[2] = { cg_const(cg, 0), i_next };
	LLVMValueRef alive_in[2] = { cg_const(cg, 1), alive_next };
	LLVMValueRef differ_in[2] = { cg_const(cg, 0), differ_next };
	LLVMAddIncoming(i, i_in, from, 2);
	LLVMAddIncoming(alive, alive_in, from, 2);
	LLVMAddIncoming(differ, differ_in, from, 2);

	LLVMPositionBuilderAtEnd(cg->b, done);
	if (count > shorter && asize != bsize) {
		/* the shorter string ends here; the longer must too */
		LLVMValueRef c = cg_load_byte(cg, asize > bsize ? va : vb, asize > bsize ? asize : bsize, shorter);
		LLVMValueRef more = cg_byte_nonzero(cg, LLVMBuildZExt(cg->b, c, cg->i64, ""));
		return LLVMBuildOr(cg->b, differ, LLVMBuildAnd(cg->b, alive, more, ""), "");
	}
	return differ;
}

/* Haystack positions times needle bytes the verifier may have to walk;
 * beyond this the program would approach its 1M-instruction limit. */
#define STRCONTAINS_MAX_COMPARES 16384u

/* The first position of the haystack, before its first NUL, that starts
 * the needle's characters (those before its first NUL): `want_index` gives
 * it or -1 (strstr), otherwise 1 or 0 (strcontains). Two bounded loops, the
 * way the verifier walks them cheaply: straight-line code over every
 * position would keep hundreds of bytes live and spill them past the
 * 512-byte stack. */
static LLVMValueRef str_search(struct cg *cg, struct node *n, bool want_index)
{
	struct node *h = n->args, *nd = h->next;
	LLVMValueRef vh = cg_expr(cg, h), vn = cg_expr(cg, nd);
	if (!vh || !vn)
		return cg_const(cg, 0);
	uint32_t hsize = h->type->size;
	uint32_t nsize = nd->kind == N_STR ? (uint32_t)nd->str_len : nd->type->size;
	if ((uint64_t)hsize * (nsize ? nsize : 1) > STRCONTAINS_MAX_COMPARES) {
		cg_error(cg, n->loc, "%s(): searching a %u-byte string for a %u-byte one is more "
			 "than the verifier walks (at most %u bytes times bytes); bound them with str(p, N)",
			 n->name, hsize, nsize, STRCONTAINS_MAX_COMPARES);
		return cg_const(cg, 0);
	}
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
	LLVMBasicBlockRef outer = cg_block(cg, "sc_outer"), inner = cg_block(cg, "sc_inner");
	LLVMBasicBlockRef load = cg_block(cg, "sc_load"), hay = cg_block(cg, "sc_hay");
	LLVMBasicBlockRef cmp = cg_block(cg, "sc_cmp"), mismatch = cg_block(cg, "sc_mismatch");
	LLVMBasicBlockRef next = cg_block(cg, "sc_next"), found = cg_block(cg, "sc_found");
	LLVMBasicBlockRef absent = cg_block(cg, "sc_absent"), done = cg_block(cg, "sc_done");
	LLVMBuildBr(cg->b, outer);

	LLVMPositionBuilderAtEnd(cg->b, outer);
	LLVMValueRef i = LLVMBuildPhi(cg->b, cg->i64, "i");
	LLVMBuildBr(cg->b, inner);

	LLVMPositionBuilderAtEnd(cg->b, inner);
	LLVMValueRef j = LLVMBuildPhi(cg->b, cg->i64, "j");
	LLVMBuildCondBr(cg->b, ult(cg, j, nsize), load, found);

	LLVMPositionBuilderAtEnd(cg->b, load);
	LLVMValueRef c = cg_load_byte_at(cg, vn, j);
	LLVMBuildCondBr(cg->b, not_nul(cg, c), hay, found);

	/* the needle runs past the haystack: no later position fits it */
	LLVMPositionBuilderAtEnd(cg->b, hay);
	LLVMValueRef at = LLVMBuildAdd(cg->b, i, j, "");
	LLVMBuildCondBr(cg->b, ult(cg, at, hsize), cmp, absent);

	LLVMPositionBuilderAtEnd(cg->b, cmp);
	LLVMValueRef same = LLVMBuildICmp(cg->b, LLVMIntEQ, cg_load_byte_at(cg, vh, at), c, "");
	LLVMValueRef j_next = LLVMBuildAdd(cg->b, j, cg_const(cg, 1), "");
	LLVMBuildCondBr(cg->b, same, inner, mismatch);

	/* the haystack ends here: no later position is in it */
	LLVMPositionBuilderAtEnd(cg->b, mismatch);
	LLVMBuildCondBr(cg->b, not_nul(cg, cg_load_byte_at(cg, vh, i)), next, absent);

	LLVMPositionBuilderAtEnd(cg->b, next);
	LLVMValueRef i_next = LLVMBuildAdd(cg->b, i, cg_const(cg, 1), "");
	LLVMBuildCondBr(cg->b, ult(cg, i_next, hsize), outer, absent);

	LLVMValueRef zero = cg_const(cg, 0);
	LLVMValueRef i_in[2] = { zero, i_next }, j_in[2] = { zero, j_next };
	LLVMBasicBlockRef i_from[2] = { pre, next }, j_from[2] = { outer, cmp };
	LLVMAddIncoming(i, i_in, i_from, 2);
	LLVMAddIncoming(j, j_in, j_from, 2);

	LLVMPositionBuilderAtEnd(cg->b, found);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, absent);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	LLVMValueRef result = LLVMBuildPhi(cg->b, cg->i64, "");
	LLVMValueRef vals[2] = { want_index ? i : cg_const(cg, 1), want_index ? cg_const(cg, (uint64_t)-1) : zero };
	LLVMBasicBlockRef from[2] = { found, absent };
	LLVMAddIncoming(result, vals, from, 2);
	return result;
}

LLVMValueRef cg_fn_strcontains(struct cg *cg, struct node *n)
{
	return str_search(cg, n, false);
}

LLVMValueRef cg_fn_strstr(struct cg *cg, struct node *n)
{
	return str_search(cg, n, true);
}

/* The characters before the first NUL of a string of `size` bytes: a loop
 * over every byte without an early exit, so the verifier walks one path
 * and the length is one bounded value (an exit per byte would make it
 * walk what follows once for each possible length). */
static LLVMValueRef str_len_loop(struct cg *cg, LLVMValueRef s, uint32_t size)
{
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->b);
	LLVMBasicBlockRef head = cg_block(cg, "len_head"), body = cg_block(cg, "len_body");
	LLVMBasicBlockRef done = cg_block(cg, "len_done");
	LLVMBuildBr(cg->b, head);

	LLVMPositionBuilderAtEnd(cg->b, head);
	LLVMValueRef i = LLVMBuildPhi(cg->b, cg->i64, "i");
	LLVMValueRef len = LLVMBuildPhi(cg->b, cg->i64, "len");
	LLVMValueRef alive = LLVMBuildPhi(cg->b, cg->i64, "alive");
	LLVMBuildCondBr(cg->b, ult(cg, i, size), body, done);

	LLVMPositionBuilderAtEnd(cg->b, body);
	LLVMValueRef c = cg_byte_nonzero(cg, LLVMBuildZExt(cg->b, cg_load_byte_at(cg, s, i), cg->i64, ""));
	LLVMValueRef alive_next = LLVMBuildAnd(cg->b, alive, c, "");
	LLVMValueRef len_next = LLVMBuildAdd(cg->b, len, alive_next, "");
	LLVMValueRef i_next = LLVMBuildAdd(cg->b, i, cg_const(cg, 1), "");
	LLVMBuildBr(cg->b, head);

	LLVMValueRef zero = cg_const(cg, 0);
	LLVMBasicBlockRef from[2] = { pre, body };
	LLVMValueRef i_in[2] = { zero, i_next }, len_in[2] = { zero, len_next };
	LLVMValueRef alive_in[2] = { cg_const(cg, 1), alive_next };
	LLVMAddIncoming(i, i_in, from, 2);
	LLVMAddIncoming(len, len_in, from, 2);
	LLVMAddIncoming(alive, alive_in, from, 2);
	LLVMPositionBuilderAtEnd(cg->b, done);
	return len;
}

/* strlen(s): the characters before the first NUL (at most the buffer). */
LLVMValueRef cg_fn_strlen(struct cg *cg, struct node *n)
{
	LLVMValueRef v = cg_expr(cg, n->args);
	return v ? str_len_loop(cg, v, n->args->type->size) : cg_const(cg, 0);
}

/* v as a value the verifier knows nothing about but its bounds after a
 * mask: copied through a helper. Its exact value would otherwise be
 * tracked back into the loop that computed it, one verifier path per
 * possible value. */
static LLVMValueRef launder(struct cg *cg, LLVMValueRef v)
{
	LLVMValueRef slot = cg_temp(cg, 16);
	LLVMSetAlignment(LLVMBuildStore(cg->b, v, slot), 8);
	LLVMValueRef args[3] = { cg_ptr_add(cg, slot, 8), cg_const(cg, 8), slot };
	cg_helper(cg, HELPER_PROBE_READ_KERNEL, cg->i64, args, 3);
	LLVMValueRef out = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, slot, 8), "");
	LLVMSetAlignment(out, 8);
	return out;
}

/* v, with every bit unknown to LLVM: it would otherwise turn an aligned
 * pointer plus a masked offset into pointer | offset, an ALU operation the
 * verifier refuses on pointers. */
static LLVMValueRef opaque(struct cg *cg, LLVMValueRef v)
{
	LLVMTypeRef fnty = LLVMFunctionType(cg->i64, &cg->i64, 1, false);
	LLVMValueRef asm_fn = LLVMGetInlineAsm(fnty, "", 0, "=r,0", 4, true, false,
					       LLVMInlineAsmDialectATT, false);
	return LLVMBuildCall2(cg->b, fnty, asm_fn, &v, 1, "");
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

/* str_concat(a, b): a's characters, then b's, in a zeroed string that
 * keeps its last byte a NUL. a is copied whole (strings are zero past
 * their NUL), b by the string-reading helper at a's length, masked to a
 * power of two with b's size of room past it, so that the verifier checks
 * one store of bounded size and offset. */
LLVMValueRef cg_fn_str_concat(struct cg *cg, struct node *n)
{
	struct node *a = n->args, *b = a->next;
	LLVMValueRef va = cg_expr(cg, a), vb = cg_expr(cg, b);
	if (!va || !vb)
		return cg_const(cg, 0);
	uint32_t size = n->type->size, bsize = b->type->size;
	uint32_t alen = a->type->size < size ? a->type->size : size - 1;
	uint32_t span = pow2_at_least(size);
	uint32_t room = cg_round8(span + bsize);
	LLVMValueRef out = cg_temp(cg, room);
	cg_zero(cg, out, room);
	if (alen > 0)
		cg_copy(cg, out, va, alen, 1);
	LLVMValueRef from = opaque(cg, LLVMBuildAnd(cg->b, launder(cg, str_len_loop(cg, va, alen)),
						    cg_const(cg, span - 1), ""));
	LLVMValueRef args[3] = { cg_ptr_add_var(cg, out, from), cg_const(cg, bsize), vb };
	cg_helper(cg, HELPER_PROBE_READ_KERNEL_STR, cg->i64, args, 3);
	LLVMSetAlignment(LLVMBuildStore(cg->b, LLVMConstInt(cg->i8, 0, false), cg_ptr_add(cg, out, size - 1)), 1);
	return out;
}

/* ---- pointers and addresses ------------------------------------------------- */

/* kptr(p), uptr(p): the same value; sema moved it to the other memory. */
LLVMValueRef cg_fn_addr_space(struct cg *cg, struct node *n)
{
	LLVMValueRef v = cg_expr(cg, n->args);
	return v ? v : cg_const(cg, 0);
}

/* MAX_ERRNO: the kernel's ERR_PTR range is the last 4095 addresses. */
LLVMValueRef cg_fn_is_err(struct cg *cg, struct node *n)
{
	LLVMValueRef v = cg_expr(cg, n->args);
	if (!v)
		return cg_const(cg, 0);
	LLVMValueRef err = LLVMBuildICmp(cg->b, LLVMIntUGE, v, cg_const(cg, (uint64_t)-4095), "");
	return LLVMBuildZExt(cg->b, err, cg->i64, "");
}

LLVMValueRef cg_fn_pton(struct cg *cg, struct node *n)
{
	unsigned char bytes[16] = { 0 };
	int size = stdlib_pton(n->args->str ? n->args->str : "", bytes);
	if (size == 0 || (uint32_t)size != n->type->size) {
		cg_error(cg, n->loc, "internal error: pton() of a bad address");
		return cg_const(cg, 0);
	}
	LLVMValueRef buf = cg_temp(cg, 16);
	for (int i = 0; i < size; i += 4) {
		uint32_t word = (uint32_t)bytes[i] | (uint32_t)bytes[i + 1] << 8 |
				(uint32_t)bytes[i + 2] << 16 | (uint32_t)bytes[i + 3] << 24;
		LLVMValueRef st = LLVMBuildStore(cg->b, LLVMConstInt(cg->i32, word, false), cg_ptr_add(cg, buf, (uint64_t)i));
		LLVMSetAlignment(st, 4);
	}
	return buf;
}

/* ---- statements ------------------------------------------------------------- */

/* static_assert(): all done at compile time. */
LLVMValueRef cg_fn_nothing(struct cg *cg, struct node *n)
{
	(void)cg;
	(void)n;
	return NULL;
}

static LLVMValueRef send_signal(struct cg *cg, struct node *n, enum bpf_helper id)
{
	LLVMValueRef sig = cg_expr(cg, n->args);
	if (!sig)
		return NULL;
	LLVMValueRef args[1] = { LLVMBuildAnd(cg->b, sig, cg_const(cg, 0xffffffffu), "") };
	cg_helper(cg, id, cg->i64, args, 1);
	return NULL;
}

/* sema set ival when the thread is the target (signal(sig, current_tid)) */
LLVMValueRef cg_fn_signal(struct cg *cg, struct node *n)
{
	return send_signal(cg, n, n->ival ? HELPER_SEND_SIGNAL_THREAD : HELPER_SEND_SIGNAL);
}

/* ---- per-CPU kernel variables ---------------------------------------------------- */

/* The typed ksym of per-CPU variable `name`: an extern global in ".ksyms"
 * whose BTF type libbpf checks against the kernel's (only the kind and a
 * struct's name matter to it), then patches with the kernel's BTF id. */
static LLVMValueRef percpu_ksym(struct cg *cg, const char *name, srcloc loc)
{
	LLVMValueRef g = LLVMGetNamedGlobal(cg->mod, name);
	if (g) {
		const char *sec = LLVMGetSection(g);
		if (!sec || strcmp(sec, ".ksyms") != 0)
			cg_error(cg, loc, "percpu_kaddr(\"%s\"): the name is taken by one of sonde's own globals", name);
		return g;
	}
	struct kbtf_var v;
	if (!kbtf_percpu_var(name, &v)) {
		cg_error(cg, loc, "internal error: per-CPU variable '%s' vanished from BTF", name);
		return NULL;
	}
	LLVMMetadataRef type;
	if (v.kind == KBTF_VAR_STRUCT)
		type = LLVMDIBuilderCreateStructType(cg->dib, cg->di_file, v.type_name, strlen(v.type_name),
						     cg->di_file, 0, (uint64_t)v.size * 8, 64, LLVMDIFlagZero,
						     NULL, NULL, 0, 0, NULL, "", 0);
	else if (v.kind == KBTF_VAR_UNION)
		type = LLVMDIBuilderCreateUnionType(cg->dib, cg->di_file, v.type_name, strlen(v.type_name),
						    cg->di_file, 0, (uint64_t)v.size * 8, 64, LLVMDIFlagZero,
						    NULL, 0, 0, "", 0);
	else
		type = cg->di_u64;
	g = LLVMAddGlobal(cg->mod, cg->i8, name);
	LLVMSetLinkage(g, LLVMExternalLinkage);
	LLVMSetSection(g, ".ksyms");
	LLVMMetadataRef expr = LLVMDIBuilderCreateExpression(cg->dib, NULL, 0);
	LLVMMetadataRef gve = LLVMDIBuilderCreateGlobalVariableExpression(
		cg->dib, cg->di_cu, name, strlen(name), name, strlen(name), cg->di_file, 0, type, false, expr,
		NULL, 0);
	LLVMGlobalSetMetadata(g, LLVMGetMDKindIDInContext(cg->ctx, "dbg", 3), gve);
	return g;
}

/* percpu_kaddr("name" [, cpu]): bpf_this_cpu_ptr() / bpf_per_cpu_ptr()
 * of the ksym, as an integer address (NULL for a CPU that does not exist) */
LLVMValueRef cg_fn_percpu_kaddr(struct cg *cg, struct node *n)
{
	LLVMValueRef g = percpu_ksym(cg, n->args->str, n->loc);
	if (!g)
		return cg_const(cg, 0);
	LLVMValueRef p;
	if (n->args->next) {
		LLVMValueRef args[2] = { g, cg_expr(cg, n->args->next) };
		p = cg_helper(cg, HELPER_PER_CPU_PTR, cg->ptr, args, 2);
	} else {
		p = cg_helper(cg, HELPER_THIS_CPU_PTR, cg->ptr, &g, 1);
	}
	return LLVMBuildPtrToInt(cg->b, p, cg->i64, "");
}
