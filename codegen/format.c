/* format.c - codegen of the functions formatted in user space that do not
 * send printf-style records (stdlib/format.c). */
#include "cg.h"

/* join(argv): the strings argv[0..] in fixed slots of the record. The
 * array ends at its NULL: from there on no pointer is read as a string
 * (what follows execve's argv is its environment), so the slots stay
 * empty (a failed string read clears its slot) and user space stops at the
 * first empty one. Branch-free, as bpftrace's unrolled copy. */
LLVMValueRef cg_fn_join(struct cg *cg, struct node *n)
{
	if (n->index < 0 || n->index >= cg->desc->nprintfs) {
		cg_error(cg, n->loc, "internal error: join without a layout");
		return NULL;
	}
	bool user = n->as == AS_USER;
	LLVMValueRef base = cg_expr(cg, n->args);
	uint32_t size = (uint32_t)sizeof(struct event_hdr) + SONDE_JOIN_ARGS * SONDE_JOIN_ARG_SIZE;
	LLVMValueRef rec = cg_temp(cg, size);
	cg_event_header(cg, rec, EV_PRINTF, (uint32_t)n->index);
	LLVMValueRef slot = cg_temp(cg, 8);
	LLVMValueRef ended = LLVMConstInt(LLVMInt1TypeInContext(LLVMGetTypeContext(cg->i64)), 0, false);
	for (int i = 0; i < SONDE_JOIN_ARGS; i++) {
		LLVMValueRef at = LLVMBuildAdd(cg->b, base, cg_const(cg, 8u * (uint64_t)i), "");
		cg_probe_read(cg, slot, 8, LLVMBuildIntToPtr(cg->b, at, cg->ptr, ""), user);
		LLVMValueRef p = LLVMBuildLoad2(cg->b, cg->i64, slot, "");
		LLVMSetAlignment(p, 8);
		ended = LLVMBuildOr(cg->b, ended, LLVMBuildICmp(cg->b, LLVMIntEQ, p, cg_const(cg, 0), ""), "");
		p = LLVMBuildSelect(cg->b, ended, cg_const(cg, 0), p, "");
		LLVMValueRef dst = cg_ptr_add(cg, rec, sizeof(struct event_hdr) + (uint64_t)i * SONDE_JOIN_ARG_SIZE);
		cg_probe_read_str(cg, dst, SONDE_JOIN_ARG_SIZE, LLVMBuildIntToPtr(cg->b, p, cg->ptr, ""), user);
	}
	cg_event_output(cg, rec, size);
	return NULL;
}
