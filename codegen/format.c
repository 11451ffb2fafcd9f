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

/* ---- values shown by user space (stdlib/format.c user_value) ------------- */

static struct node *last_arg(struct node *call)
{
	struct node *a = call->args;
	while (a && a->next)
		a = a->next;
	return a;
}

/* strftime(fmt, ns), strerror(e): the record holds the last argument as
 * its one 64-bit member. */
LLVMValueRef cg_fn_user_value(struct cg *cg, struct node *n)
{
	struct node *arg = last_arg(n);
	LLVMValueRef v = cg_expr(cg, arg);
	LLVMValueRef out = cg_temp(cg, 8);
	const struct type_member *m = &n->type->members[0];
	cg_store(cg, out, m->type, v, arg->type);
	return out;
}

/* n bytes of array argument src at dst (BPF memory copied, kernel or user
 * memory read by the helper). */
static void copy_bytes(struct cg *cg, LLVMValueRef dst, struct node *src, uint32_t n)
{
	struct cg_ref r = cg_ref_of(cg, src);
	if (r.kind == REF_BPF || r.kind == REF_CTX || r.kind == REF_VALUE) {
		LLVMValueRef from = r.kind == REF_VALUE ? r.v : cg_load_ref(cg, r, src->type);
		cg_copy(cg, dst, from, n, 1);
		return;
	}
	LLVMValueRef p = r.v;
	if (LLVMGetTypeKind(LLVMTypeOf(p)) != LLVMPointerTypeKind)
		p = LLVMBuildIntToPtr(cg->b, p, cg->ptr, "");
	cg_probe_read(cg, dst, n, p, r.kind == REF_USER);
}

/* inet: the family as a u64, then 16 bytes of address. */
LLVMValueRef cg_fn_ntop(struct cg *cg, struct node *n)
{
	struct node *addr = n->args->next ? n->args->next : n->args;
	bool v6 = !type_is_integer(addr->type) && addr->type->size == 16;
	LLVMValueRef af = addr != n->args ? cg_expr(cg, n->args) : cg_const(cg, v6 ? 10 : 2);
	LLVMValueRef out = cg_temp(cg, 24);
	cg_zero(cg, out, 24);
	LLVMSetAlignment(LLVMBuildStore(cg->b, af, out), 8);
	LLVMValueRef bytes = cg_ptr_add(cg, out, 8);
	if (type_is_integer(addr->type)) {
		/* the integer's bytes as they are in memory: 0x0100007f is 127.0.0.1 */
		LLVMValueRef v = LLVMBuildTrunc(cg->b, cg_expr(cg, addr), cg->i32, "");
		LLVMSetAlignment(LLVMBuildStore(cg->b, v, bytes), 4);
	} else {
		copy_bytes(cg, bytes, addr, addr->type->size);
	}
	return out;
}

LLVMValueRef cg_fn_macaddr(struct cg *cg, struct node *n)
{
	LLVMValueRef out = cg_temp(cg, 8);
	cg_zero(cg, out, 8);
	copy_bytes(cg, out, n->args, 6);
	return out;
}

/* cgroup_path(id [, filter]): the id (the filter is in the type) */
LLVMValueRef cg_fn_cgroup_path(struct cg *cg, struct node *n)
{
	LLVMValueRef out = cg_temp(cg, 8);
	LLVMSetAlignment(LLVMBuildStore(cg->b, cg_expr(cg, n->args), out), 8);
	return out;
}

LLVMValueRef cg_fn_username(struct cg *cg, struct node *n)
{
	LLVMValueRef out = cg_temp(cg, 8);
	LLVMSetAlignment(LLVMBuildStore(cg->b, cg_var_uid(cg, n), out), 8);
	return out;
}

/* debugf(fmt, ...): bpf_trace_printk(fmt, size, a1, a2, a3), the format
 * on the stack; strings go as pointers to their buffers, integers as u64
 * (the kernel reads each argument as its conversion's width says). */
LLVMValueRef cg_fn_debugf(struct cg *cg, struct node *n)
{
	struct node *fmt = n->args;
	uint32_t size = (uint32_t)fmt->str_len + 1;
	LLVMValueRef buf = cg_temp_stack(cg, cg_round8(size));
	LLVMValueRef text = cg_str_const(cg, fmt->str, fmt->str_len, cg_round8(size));
	cg_copy(cg, buf, text, cg_round8(size), 8);
	LLVMValueRef args[5] = { buf, LLVMConstInt(cg->i32, size, false) };
	unsigned nargs = 2;
	for (struct node *a = fmt->next; a && nargs < 5; a = a->next) {
		LLVMValueRef v = cg_expr(cg, a);
		if (!v)
			return NULL;
		if (a->type->kind != TY_STR && LLVMGetTypeKind(LLVMTypeOf(v)) == LLVMPointerTypeKind)
			v = LLVMBuildPtrToInt(cg->b, v, cg->i64, "");
		args[nargs++] = v;
	}
	cg_helper(cg, HELPER_TRACE_PRINTK, cg->i64, args, nargs);
	return NULL;
}
