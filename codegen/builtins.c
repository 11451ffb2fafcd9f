/* builtins.c - codegen hooks of the builtin variables (pid, comm, argN...),
 * tracepoint `args.field`, and the builtin functions (printf, exit, print,
 * clear, zero, delete, str). The tables in stdlib/ point here. */
#include <stdlib.h>
#include <string.h>

#include "cg.h"

static LLVMValueRef helper0(struct cg *cg, enum bpf_helper id)
{
	return cg_helper(cg, id, cg->i64, NULL, 0);
}

static LLVMValueRef low32(struct cg *cg, LLVMValueRef v)
{
	return LLVMBuildAnd(cg->b, v, cg_const(cg, 0xffffffffu), "");
}

static LLVMValueRef high32(struct cg *cg, LLVMValueRef v)
{
	return LLVMBuildLShr(cg->b, v, cg_const(cg, 32), "");
}

/* The self filter already asked for it in this event (it dominates every
 * action of a filtered program). */
static LLVMValueRef pid_tgid(struct cg *cg)
{
	return cg->pid_tgid ? cg->pid_tgid : helper0(cg, HELPER_GET_CURRENT_PID_TGID);
}

LLVMValueRef cg_var_pid(struct cg *cg, struct node *n)
{
	(void)n;
	return high32(cg, pid_tgid(cg));
}

LLVMValueRef cg_var_tid(struct cg *cg, struct node *n)
{
	(void)n;
	return low32(cg, pid_tgid(cg));
}

LLVMValueRef cg_var_uid(struct cg *cg, struct node *n)
{
	(void)n;
	return low32(cg, helper0(cg, HELPER_GET_CURRENT_UID_GID));
}

LLVMValueRef cg_var_gid(struct cg *cg, struct node *n)
{
	(void)n;
	return high32(cg, helper0(cg, HELPER_GET_CURRENT_UID_GID));
}

LLVMValueRef cg_var_comm(struct cg *cg, struct node *n)
{
	(void)n;
	LLVMValueRef buf = cg_temp(cg, SONDE_COMM_LEN);
	/* the kernel pads the name with NULs up to the buffer size */
	LLVMValueRef args[2] = { buf, cg_const(cg, SONDE_COMM_LEN) };
	cg_helper(cg, HELPER_GET_CURRENT_COMM, cg->i64, args, 2);
	return buf;
}

LLVMValueRef cg_var_nsecs(struct cg *cg, struct node *n)
{
	(void)n;
	return helper0(cg, HELPER_KTIME_GET_NS);
}

LLVMValueRef cg_var_elapsed(struct cg *cg, struct node *n)
{
	(void)n;
	LLVMValueRef now = helper0(cg, HELPER_KTIME_GET_NS);
	return LLVMBuildSub(cg->b, now, cg_config_load(cg, CFG_START_NS), "");
}

LLVMValueRef cg_var_cpu(struct cg *cg, struct node *n)
{
	return cg_normalize(cg, helper0(cg, HELPER_GET_SMP_PROCESSOR_ID), n->type);
}

LLVMValueRef cg_var_probe(struct cg *cg, struct node *n)
{
	if (cg->probe_slot)
		return cg->probe_slot; /* a lowered program's code shared by several tracepoints */
	const char *name = cg->target ? cg->target->name : "";
	uint32_t size = n->type.kind == TY_STR && n->type.size ? n->type.size : SONDE_STRLEN;
	return cg_str_const(cg, name, strlen(name), size);
}

LLVMValueRef cg_var_cpid(struct cg *cg, struct node *n)
{
	(void)n;
	return cg_config_load(cg, CFG_CPID);
}

LLVMValueRef cg_var_arg(struct cg *cg, struct node *n)
{
	const struct probe_provider *prov = cg->group->prov;
	long idx = strtol(n->name + 3, NULL, 10);
	if (prov->ctx != CTX_RAW_ARGS || idx < 0 || (prov->max_args && idx >= prov->max_args)) {
		cg_error(cg, n->loc, "%s is not available in %s probes", n->name, prov->name);
		return cg_const(cg, 0);
	}
	/* raw tracepoint context: u64 args[] */
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, (uint64_t)idx * 8), "");
	LLVMSetAlignment(v, 8);
	return v;
}

LLVMValueRef cg_var_rand(struct cg *cg, struct node *n)
{
	return cg_normalize(cg, helper0(cg, HELPER_GET_PRANDOM_U32), n->type);
}

LLVMValueRef cg_var_cgroup(struct cg *cg, struct node *n)
{
	(void)n;
	return helper0(cg, HELPER_GET_CURRENT_CGROUP_ID);
}

LLVMValueRef cg_var_curtask(struct cg *cg, struct node *n)
{
	(void)n;
	return helper0(cg, HELPER_GET_CURRENT_TASK);
}

/* ---- args.field ---------------------------------------------------------- */

static LLVMValueRef field_string(struct cg *cg, struct node *n, const struct tp_field *f)
{
	uint32_t size = n->type.size ? n->type.size : f->size;
	LLVMValueRef buf = cg_temp(cg, size);
	cg_zero(cg, buf, cg_round8(size));
	/* a _str read stops at the NUL, keeping the rest of the buffer zero;
	 * one byte more than the array keeps its last character when the
	 * array is full */
	uint32_t limit = f->size + 1 < cg_round8(size) ? f->size + 1 : cg_round8(size);
	LLVMValueRef args[3] = { buf, cg_const(cg, limit), cg_ptr_add(cg, cg->ctx_arg, f->offset) };
	cg_helper(cg, HELPER_PROBE_READ_KERNEL_STR, cg->i64, args, 3);
	return buf;
}

/* `__data_loc char[] name`: a u32 at the field's offset holds the offset of
 * the string from the start of the record (low 16 bits) and its length. */
static LLVMValueRef field_data_loc_string(struct cg *cg, struct node *n, const struct tp_field *f)
{
	uint32_t size = n->type.size ? n->type.size : SONDE_STRLEN;
	LLVMValueRef buf = cg_temp(cg, size);
	cg_zero(cg, buf, cg_round8(size));
	LLVMValueRef loc = LLVMBuildLoad2(cg->b, cg->i32, cg_ptr_add(cg, cg->ctx_arg, f->offset), "");
	LLVMSetAlignment(loc, 4);
	LLVMValueRef off = LLVMBuildZExt(cg->b, LLVMBuildAnd(cg->b, loc, LLVMConstInt(cg->i32, 0xffff, false), ""),
					 cg->i64, "");
	LLVMValueRef src = LLVMBuildGEP2(cg->b, cg->i8, cg->ctx_arg, &off, 1, "");
	LLVMValueRef args[3] = { buf, cg_const(cg, size), src };
	cg_helper(cg, HELPER_PROBE_READ_KERNEL_STR, cg->i64, args, 3);
	return buf;
}

LLVMValueRef cg_args_field(struct cg *cg, struct node *n)
{
	const struct probe_target *t = cg->target;
	const struct tp_field *f = t->format ? tp_format_field(t->format, n->name) : NULL;
	if (cg->group->prov->ctx != CTX_TRACEPOINT || !f) {
		cg_error(cg, n->loc, "%s has no field args.%s", t->name, n->name);
		return n->type.kind == TY_STR ? cg_str_const(cg, "", 0, n->type.size) : cg_const(cg, 0);
	}
	if (n->type.kind == TY_STR && f->is_data_loc)
		return field_data_loc_string(cg, n, f);
	if (f->is_string && !f->is_data_loc && n->type.kind == TY_STR)
		return field_string(cg, n, f);
	if (n->type.kind == TY_STR || f->is_string) {
		cg_error(cg, n->loc, "field args.%s of %s: string/integer mismatch", n->name, t->name);
		return n->type.kind == TY_STR ? cg_str_const(cg, "", 0, n->type.size) : cg_const(cg, 0);
	}
	uint32_t size = f->is_pointer ? 8 : f->size;
	bool is_signed = f->is_signed && !f->is_pointer;
	if (f->is_data_loc)
		size = 4, is_signed = false;
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		cg_error(cg, n->loc, "field args.%s of %s (%u bytes) cannot be read as an integer",
			 n->name, t->name, f->size);
		return cg_const(cg, 0);
	}
	if (t->lower.kind != LOWER_NONE)
		return cg_normalize(cg, cg_lowered_field(cg, f), type_int(size, is_signed));
	/* tracepoint programs may load the record directly (aligned reads) */
	LLVMTypeRef ty = LLVMIntTypeInContext(cg->ctx, size * 8);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, ty, cg_ptr_add(cg, cg->ctx_arg, f->offset), "");
	LLVMSetAlignment(v, size);
	if (size < 8)
		v = is_signed ? LLVMBuildSExt(cg->b, v, cg->i64, "") : LLVMBuildZExt(cg->b, v, cg->i64, "");
	return v;
}

/* ---- functions ----------------------------------------------------------- */

static struct node *nth_arg(struct node *call, int i)
{
	struct node *a = call->args;
	while (a && i-- > 0)
		a = a->next;
	return a;
}

LLVMValueRef cg_fn_printf(struct cg *cg, struct node *n)
{
	if (n->printf_id < 0 || n->printf_id >= cg->desc->nprintfs) {
		cg_error(cg, n->loc, "internal error: printf without a layout");
		return NULL;
	}
	const struct desc_printf *pf = &cg->desc->printfs[n->printf_id];
	/* evaluate the arguments before building the record: they may need
	 * temporaries and branches of their own */
	LLVMValueRef vals[64];
	struct type types[64];
	int nvals = 0;
	for (struct node *a = n->args ? n->args->next : NULL; a && nvals < pf->nargs && nvals < 64;
	     a = a->next, nvals++) {
		vals[nvals] = cg_expr(cg, a);
		types[nvals] = a->type;
	}
	uint32_t size = (uint32_t)sizeof(struct event_hdr) + pf->size;
	LLVMValueRef rec = cg_temp(cg, size);
	cg_zero(cg, rec, cg_round8(size));
	cg_event_header(cg, rec, EV_PRINTF, (uint32_t)n->printf_id);
	for (int i = 0; i < nvals; i++) {
		if (!vals[i])
			continue;
		const struct field_layout *fl = &pf->args[i];
		LLVMValueRef dst = cg_ptr_add(cg, rec, sizeof(struct event_hdr) + fl->offset);
		cg_store_value(cg, dst, fl->type.kind == TY_STR ? fl->type.size : 8, vals[i], types[i]);
	}
	cg_event_output(cg, rec, size);
	return NULL;
}

static void output_map_event(struct cg *cg, struct node *n, enum event_kind kind,
			     LLVMValueRef top, LLVMValueRef div)
{
	if (!n->map) {
		cg_error(cg, n->loc, "internal error: %s without a map", n->name);
		return;
	}
	uint32_t size = sizeof(struct event_hdr) + (top ? 16 : 0);
	LLVMValueRef rec = cg_temp(cg, size);
	cg_event_header(cg, rec, kind, (uint32_t)n->map->id);
	if (top) {
		LLVMSetAlignment(LLVMBuildStore(cg->b, top, cg_ptr_add(cg, rec, 8)), 8);
		LLVMSetAlignment(LLVMBuildStore(cg->b, div, cg_ptr_add(cg, rec, 16)), 8);
	}
	cg_event_output(cg, rec, size);
}

LLVMValueRef cg_fn_print(struct cg *cg, struct node *n)
{
	struct node *top = nth_arg(n, 1), *div = nth_arg(n, 2);
	LLVMValueRef top_v = top ? cg_expr(cg, top) : cg_const(cg, 0);
	LLVMValueRef div_v = div ? cg_expr(cg, div) : cg_const(cg, 0);
	output_map_event(cg, n, EV_PRINT, top_v, div_v);
	return NULL;
}

LLVMValueRef cg_fn_clear(struct cg *cg, struct node *n)
{
	output_map_event(cg, n, EV_CLEAR, NULL, NULL);
	return NULL;
}

LLVMValueRef cg_fn_zero(struct cg *cg, struct node *n)
{
	output_map_event(cg, n, EV_ZERO, NULL, NULL);
	return NULL;
}

LLVMValueRef cg_fn_exit(struct cg *cg, struct node *n)
{
	LLVMValueRef code = n->args ? cg_expr(cg, n->args) : cg_const(cg, 0);
	LLVMValueRef rec = cg_temp(cg, 16);
	cg_event_header(cg, rec, EV_EXIT, 0);
	LLVMSetAlignment(LLVMBuildStore(cg->b, code, cg_ptr_add(cg, rec, 8)), 8);
	cg_event_output(cg, rec, 16);
	/* exit() ends this action (other probes on the same event still run,
	 * as they would as separate programs); what follows is unreachable and
	 * is emitted into a block LLVM deletes */
	LLVMBuildBr(cg->b, cg->action_end);
	LLVMPositionBuilderAtEnd(cg->b, cg_block(cg, "after_exit"));
	return NULL;
}

LLVMValueRef cg_fn_delete(struct cg *cg, struct node *n)
{
	struct node *elem = n->args;
	struct map_info *m = n->map ? n->map : elem ? elem->map : NULL;
	if (!m || !elem) {
		cg_error(cg, n->loc, "internal error: delete without a map");
		return NULL;
	}
	bool hist = m->kind == MAP_HIST || m->kind == MAP_LHIST;
	LLVMValueRef key = cg_map_key(cg, m, elem->args, hist ? cg_const(cg, 0) : NULL);
	cg_map_delete(cg, cg_map_global(cg, m), key);
	return NULL;
}

/* Where does the pointer of str() point? Syscall tracepoint arguments are
 * user addresses; raw tracepoint arguments, other tracepoint fields and
 * curtask are kernel ones. */
enum addr_space { AS_UNKNOWN, AS_USER, AS_KERNEL };

static enum addr_space addr_space_of(struct cg *cg, struct node *e)
{
	if (!e)
		return AS_UNKNOWN;
	if (e->kind == N_FIELD) {
		const char *cat = cg->target->format ? cg->target->format->category : "";
		return strcmp(cat, "syscalls") == 0 ? AS_USER : AS_KERNEL;
	}
	if (e->kind == N_BUILTIN && e->name &&
	    (strncmp(e->name, "arg", 3) == 0 || strcmp(e->name, "curtask") == 0))
		return AS_KERNEL;
	struct node *kids[4] = { e->lhs, e->rhs, e->cond, e->then };
	for (int i = 0; i < 4; i++) {
		enum addr_space s = addr_space_of(cg, kids[i]);
		if (s != AS_UNKNOWN)
			return s;
	}
	return addr_space_of(cg, e->els);
}

LLVMValueRef cg_fn_str(struct cg *cg, struct node *n)
{
	struct node *ptr_arg = n->args, *len_arg = nth_arg(n, 1);
	uint32_t size = n->type.kind == TY_STR && n->type.size ? n->type.size : SONDE_STRLEN;
	LLVMValueRef ptr = cg_expr(cg, ptr_arg);
	LLVMValueRef len = cg_const(cg, size);
	if (len_arg) {
		/* str(p, n) reads at most n characters; the verifier needs the
		 * size bounded by the buffer */
		LLVMValueRef n_plus = LLVMBuildAdd(cg->b, cg_expr(cg, len_arg), cg_const(cg, 1), "");
		LLVMValueRef too_big = LLVMBuildICmp(cg->b, LLVMIntUGT, n_plus, len, "");
		len = LLVMBuildSelect(cg->b, too_big, len, n_plus, "");
	}
	LLVMValueRef buf = cg_temp(cg, size);
	cg_zero(cg, buf, cg_round8(size));
	enum addr_space as = addr_space_of(cg, ptr_arg);
	enum bpf_helper id = as == AS_KERNEL ? HELPER_PROBE_READ_KERNEL_STR : HELPER_PROBE_READ_USER_STR;
	LLVMValueRef args[3] = { buf, len, ptr };
	cg_helper(cg, id, cg->i64, args, 3);
	return buf;
}
