/* kfunc.c - calls of kernel functions (kfuncs) from BPF, and comm(pid).
 *
 * A kfunc is called like any function: the module declares it as an
 * external function in section ".ksyms" with a debug-info prototype, so
 * LLVM's BTF emitter writes an extern FUNC into the object's BTF and the
 * call carries a relocation against its name. libbpf then finds the name
 * in the kernel's BTF, checks the prototype for compatibility (kinds only:
 * integers with integers, pointers to structs with pointers to structs)
 * and patches the call with the kernel's BTF id. Sema has already checked
 * that the kernel has the kfunc and lets this program type call it. */
#include <string.h>

#include "cg.h"

/* A parameter or return type of a kfunc prototype, as BTF must see it. */
static LLVMMetadataRef kfunc_di_type(struct cg *cg, const struct cg_kfunc_type *t)
{
	switch (t->kind) {
	case CG_KF_VOID:
		return NULL;
	case CG_KF_S32:
		return cg->di_int;
	case CG_KF_U64:
		return cg->di_u64;
	case CG_KF_STRUCT_PTR: {
		/* an empty struct of the kernel's name: libbpf compares kinds */
		LLVMMetadataRef st = LLVMDIBuilderCreateStructType(
			cg->dib, cg->di_file, t->struct_name, strlen(t->struct_name), cg->di_file, 0, 0, 64,
			LLVMDIFlagZero, NULL, NULL, 0, 0, NULL, "", 0);
		return LLVMDIBuilderCreatePointerType(cg->dib, st, 64, 64, 0, "", 0);
	}
	}
	return NULL;
}

static LLVMTypeRef kfunc_ir_type(struct cg *cg, const struct cg_kfunc_type *t)
{
	switch (t->kind) {
	case CG_KF_VOID: return cg->void_t;
	case CG_KF_S32: return cg->i32;
	case CG_KF_U64: return cg->i64;
	case CG_KF_STRUCT_PTR: return cg->ptr;
	}
	return cg->i64;
}

/* The declaration of k in this module (made on first use). */
static LLVMValueRef kfunc_decl(struct cg *cg, const struct cg_kfunc *k, LLVMTypeRef *fnty)
{
	LLVMTypeRef params[CG_KFUNC_MAX_PARAMS];
	LLVMMetadataRef di[CG_KFUNC_MAX_PARAMS + 1];
	int n = k->nparams < CG_KFUNC_MAX_PARAMS ? k->nparams : CG_KFUNC_MAX_PARAMS;
	for (int i = 0; i < n; i++)
		params[i] = kfunc_ir_type(cg, &k->params[i]);
	*fnty = LLVMFunctionType(kfunc_ir_type(cg, &k->ret), params, (unsigned)n, false);
	LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, k->name);
	if (fn)
		return fn;
	fn = LLVMAddFunction(cg->mod, k->name, *fnty);
	LLVMSetLinkage(fn, LLVMExternalLinkage);
	LLVMSetSection(fn, ".ksyms");
	di[0] = kfunc_di_type(cg, &k->ret);
	for (int i = 0; i < n; i++)
		di[i + 1] = kfunc_di_type(cg, &k->params[i]);
	LLVMMetadataRef sig = LLVMDIBuilderCreateSubroutineType(cg->dib, cg->di_file, di, (unsigned)n + 1,
								LLVMDIFlagPrototyped);
	/* a declaration (not a definition): BTF's extern FUNC */
	LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(cg->dib, cg->di_file, k->name, strlen(k->name),
							 k->name, strlen(k->name), cg->di_file, 0, sig, false,
							 false, 0, LLVMDIFlagPrototyped, true);
	LLVMSetSubprogram(fn, sp);
	return fn;
}

LLVMValueRef cg_kfunc_call(struct cg *cg, const struct cg_kfunc *k, LLVMValueRef *args, unsigned nargs)
{
	LLVMTypeRef fnty;
	LLVMValueRef fn = kfunc_decl(cg, k, &fnty);
	LLVMValueRef conv[CG_KFUNC_MAX_PARAMS];
	for (unsigned i = 0; i < nargs && i < CG_KFUNC_MAX_PARAMS; i++) {
		LLVMTypeRef want = kfunc_ir_type(cg, &k->params[i]);
		LLVMTypeRef have = LLVMTypeOf(args[i]);
		if (want == have)
			conv[i] = args[i];
		else if (want == cg->ptr)
			conv[i] = LLVMBuildIntToPtr(cg->b, args[i], cg->ptr, "");
		else
			conv[i] = LLVMBuildIntCast2(cg->b, args[i], want, true, "");
	}
	return LLVMBuildCall2(cg->b, fnty, fn, conv, nargs, "");
}

/* ---- comm(pid) --------------------------------------------------------------------- */

static const struct cg_kfunc task_from_pid = {
	"bpf_task_from_pid", { CG_KF_STRUCT_PTR, "task_struct" }, 1, { { CG_KF_S32, NULL } },
};
static const struct cg_kfunc task_release = {
	"bpf_task_release", { CG_KF_VOID, NULL }, 1, { { CG_KF_STRUCT_PTR, "task_struct" } },
};

/* The warning "No such process (pid=N)" (format n->index, one int64). */
static void warn_no_such_process(struct cg *cg, struct node *n, LLVMValueRef pid)
{
	const struct desc_printf *pf = &cg->desc->printfs[n->index];
	uint32_t size = (uint32_t)sizeof(struct event_hdr) + pf->args->size;
	LLVMValueRef rec = cg_temp(cg, size);
	cg_zero(cg, rec, cg_round8(size));
	cg_event_header(cg, rec, EV_PRINTF, (uint32_t)n->index);
	const struct type_member *m = &pf->args->members[0];
	cg_store(cg, cg_ptr_add(cg, rec, sizeof(struct event_hdr) + m->offset), m->type, pid, m->type);
	cg_event_output(cg, rec, size);
}

/* comm(pid): the name of task `pid` (init's pid namespace) read through
 * bpf_task_from_pid, which takes a reference the program must drop with
 * bpf_task_release; "N/A" and a warning when there is no such task.
 * Sema put the offset of task_struct.comm in n->ival. */
LLVMValueRef cg_fn_comm(struct cg *cg, struct node *n)
{
	if (!n->args)
		return cg_var_comm(cg, n);
	if (n->index < 0 || n->index >= cg->desc->nprintfs || !cg->desc->printfs[n->index].args) {
		cg_error(cg, n->loc, "internal error: comm(pid) without its warning");
		return NULL;
	}
	LLVMValueRef pid = cg_expr(cg, n->args);
	LLVMValueRef buf = cg_temp(cg, SONDE_COMM_LEN);
	cg_zero(cg, buf, SONDE_COMM_LEN);
	LLVMValueRef pid32 = LLVMBuildTrunc(cg->b, pid, cg->i32, "");
	LLVMValueRef task = cg_kfunc_call(cg, &task_from_pid, &pid32, 1);
	LLVMBasicBlockRef found = cg_block(cg, "comm_pid_found");
	LLVMBasicBlockRef missing = cg_block(cg, "comm_pid_missing");
	LLVMBasicBlockRef done = cg_block(cg, "comm_pid_done");
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, task, ""), missing, found);

	LLVMPositionBuilderAtEnd(cg->b, found);
	LLVMValueRef name = LLVMBuildGEP2(cg->b, cg->i8, task, (LLVMValueRef[]){ cg_const(cg, n->ival) }, 1, "");
	cg_probe_read_str(cg, buf, SONDE_COMM_LEN, name, false);
	cg_kfunc_call(cg, &task_release, &task, 1);
	LLVMBuildBr(cg->b, done);

	LLVMPositionBuilderAtEnd(cg->b, missing);
	warn_no_such_process(cg, n, pid);
	LLVMValueRef na = cg_str_const(cg, "N/A", 3, SONDE_COMM_LEN);
	cg_copy(cg, buf, na, SONDE_COMM_LEN, 8);
	LLVMBuildBr(cg->b, done);

	LLVMPositionBuilderAtEnd(cg->b, done);
	return buf;
}
