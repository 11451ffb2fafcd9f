/* builtins.c - codegen hooks of the builtin variables (pid, comm, argN...)
 * and the builtin functions (printf, exit, print, clear, zero, delete,
 * str). The descriptors in stdlib/ point here. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cg.h"
#include "usyms.h"

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

/* The PID namespace sonde runs in, when it is not the initial one
 * (whose inode is the kernel's PROC_PID_INIT_INO). */
static bool own_pid_namespace(uint64_t *dev, uint64_t *ino)
{
	struct stat st;
	if (stat("/proc/self/ns/pid", &st) != 0 || st.st_ino == 0xEFFFFFFCu)
		return false;
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
	return true;
}

/* pid and tid as seen from sonde's PID namespace (bpftrace's default,
 * `pid(curr_ns)`): bpf_get_ns_current_pid_tgid() when sonde runs in a
 * namespace of its own, else (and for pid(init)) the global ids. The
 * result is {u32 tid; u32 tgid}, returned as tgid << 32 | tid like
 * bpf_get_current_pid_tgid(). */
static LLVMValueRef pid_tgid_seen(struct cg *cg, struct node *n)
{
	uint64_t dev, ino;
	bool init = n->kind == N_CALL && n->ival == 1;
	if (init || !own_pid_namespace(&dev, &ino))
		return pid_tgid(cg);
	LLVMValueRef info = cg_temp_stack(cg, 8);
	LLVMSetAlignment(LLVMBuildStore(cg->b, cg_const(cg, 0), info), 8);
	LLVMValueRef args[4] = { cg_const(cg, dev), cg_const(cg, ino), info, LLVMConstInt(cg->i32, 8, false) };
	cg_helper(cg, HELPER_GET_NS_CURRENT_PID_TGID, cg->i64, args, 4);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, info, "");
	LLVMSetAlignment(v, 8);
	/* {pid (the thread), tgid} in memory: tid low, tgid high, as wanted */
	return v;
}

LLVMValueRef cg_var_pid(struct cg *cg, struct node *n)
{
	return high32(cg, pid_tgid_seen(cg, n));
}

LLVMValueRef cg_var_tid(struct cg *cg, struct node *n)
{
	return low32(cg, pid_tgid_seen(cg, n));
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
	if (cg_comm_direct(cg, buf, 8))
		return buf;
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

LLVMValueRef cg_fn_nsecs(struct cg *cg, struct node *n)
{
	switch ((enum stdlib_clock)n->ival) {
	case STDLIB_CLOCK_BOOT: return helper0(cg, HELPER_KTIME_GET_BOOT_NS);
	case STDLIB_CLOCK_TAI: return helper0(cg, HELPER_KTIME_GET_TAI_NS);
	case STDLIB_CLOCK_SW_TAI:
		return LLVMBuildAdd(cg->b, helper0(cg, HELPER_KTIME_GET_BOOT_NS),
				    cg_config_load(cg, CFG_TAI_OFFSET), "");
	default: return helper0(cg, HELPER_KTIME_GET_NS);
	}
}

LLVMValueRef cg_fn_kaddr(struct cg *cg, struct node *n)
{
	return cg_const(cg, n->ival); /* sema resolved it */
}

/* uaddr()'s symbol in the binary this program probes: sema resolved it in
 * the action's first target (n->ival) and checked it is in every other. */
static uint64_t uaddr_here(struct cg *cg, struct node *n)
{
	const struct probe_provider *prov = cg->group->prov;
	if (cg->target_index <= 0 || !cg->action || !prov || !prov->binary_of)
		return n->ival;
	const struct prog_group *first = &cg->res->groups[cg->action->targets[0]];
	char *bin = prov->binary_of(cg->target);
	char *first_bin = first->prov && first->prov->binary_of ? first->prov->binary_of(&first->target) : NULL;
	uint64_t addr = n->ival, size = 0;
	if (bin && (!first_bin || strcmp(bin, first_bin) != 0) &&
	    (usyms_elf_lookup(bin, n->args->str, &addr, &size, true) < 0 || addr == 0))
		addr = n->ival; /* not reached: sema found it in each binary */
	free(bin);
	free(first_bin);
	return addr;
}

/* uaddr("sym"): the symbol's address in the file (sema found it) moved by
 * where the process has the probe's binary loaded (a PIE, a library). */
LLVMValueRef cg_fn_uaddr(struct cg *cg, struct node *n)
{
	const struct probe_provider *prov = cg->group->prov;
	LLVMValueRef addr = cg_const(cg, uaddr_here(cg, n));
	if (!prov || !prov->emit_load_bias)
		return addr;
	return LLVMBuildAdd(cg->b, addr, prov->emit_load_bias(cg), "");
}

/* bpf_get_stackid(): the id of the current stack in the type's stack map
 * (negative when the kernel could not store it; printed as no frames). */
LLVMValueRef cg_var_kstack(struct cg *cg, struct node *n)
{
	LLVMValueRef args[3] = { cg->ctx_arg, cg_stack_map(cg, n->type), cg_const(cg, 0) };
	return cg_stack_with_depth(cg, n->type, cg_helper(cg, HELPER_GET_STACKID, cg->i64, args, 3));
}

LLVMValueRef cg_fn_ksym(struct cg *cg, struct node *n)
{
	return cg_expr(cg, n->args); /* the address; the runtime names it */
}

LLVMValueRef cg_fn_kstack(struct cg *cg, struct node *n)
{
	return cg_var_kstack(cg, n);
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

/* `probe` in a program that several separate tracepoints share (sema's
 * sema_share_identical_programs): the runtime attached the k-th of them
 * with cookie k, and the name is the k-th of a constant table (.rodata),
 * so the code is the same size for 2 targets or 1,000. */
static LLVMValueRef probe_by_cookie(struct cg *cg, uint32_t size)
{
	const struct sema_result *r = cg->res;
	uint32_t stride = cg_round8(size);
	int n = 0;
	for (int i = 0; i < r->ngroups; i++)
		n += strcmp(r->groups[i].prog_name, cg->group->prog_name) == 0;
	char *table = xcalloc((size_t)n, stride);
	int k = 0;
	for (int i = 0; i < r->ngroups; i++) {
		const struct prog_group *g = &r->groups[i];
		if (strcmp(g->prog_name, cg->group->prog_name) != 0)
			continue;
		size_t len = strlen(g->target.name);
		memcpy(table + (size_t)k++ * stride, g->target.name, len < size ? len : size - 1);
	}
	LLVMValueRef init = LLVMConstStringInContext(cg->ctx, table, (unsigned)((size_t)n * stride), true);
	free(table);
	LLVMValueRef names = LLVMAddGlobal(cg->mod, LLVMTypeOf(init), "");
	LLVMSetInitializer(names, init);
	LLVMSetGlobalConstant(names, true);
	LLVMSetLinkage(names, LLVMPrivateLinkage);
	LLVMSetUnnamedAddr(names, true);
	LLVMSetAlignment(names, 8);

	LLVMValueRef buf = cg_temp(cg, size);
	cg_zero(cg, buf, stride);
	LLVMValueRef cookie = cg_helper(cg, HELPER_GET_ATTACH_COOKIE, cg->i64, &cg->ctx_arg, 1);
	LLVMBasicBlockRef known = cg_block(cg, "probe_known"), done = cg_block(cg, "probe_named");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntULT, cookie, cg_const(cg, (uint64_t)n), ""), known,
			done);
	LLVMPositionBuilderAtEnd(cg->b, known);
	LLVMValueRef at = LLVMBuildMul(cg->b, cookie, cg_const(cg, stride), "");
	LLVMValueRef src = LLVMBuildGEP2(cg->b, cg->i8, names, &at, 1, "");
	LLVMBuildMemCpy(cg->b, buf, 8, src, 8, cg_const(cg, stride));
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	return buf;
}

/* Groups other than the current one running its program (not lowered). */
static bool program_is_shared(const struct cg *cg)
{
	if (!cg->group || cg->group->target.lower.kind != LOWER_NONE)
		return false;
	for (int i = 0; i < cg->res->ngroups; i++)
		if (&cg->res->groups[i] != cg->group && strcmp(cg->res->groups[i].prog_name, cg->group->prog_name) == 0)
			return true;
	return false;
}

LLVMValueRef cg_var_probe(struct cg *cg, struct node *n)
{
	uint32_t size = n->type->size;
	if (program_is_shared(cg))
		return probe_by_cookie(cg, size);
	if (cg->probe_slot) {
		/* a lowered program's code shared by several tracepoints: the
		 * dispatch wrote the name into the slot */
		LLVMValueRef buf = cg_temp(cg, size);
		cg_zero(cg, buf, cg_round8(size));
		cg_str_copy(cg, buf, size, cg->probe_slot, CG_PROBE_SLOT_SIZE, false);
		return buf;
	}
	const char *name = cg->target ? cg->target->name : "";
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
	if (!prov->emit_argn || idx < 0 || idx >= prov->max_args) {
		cg_error(cg, n->loc, "internal error: %s is not available in %s probes", n->name, prov->name);
		return cg_const(cg, 0);
	}
	return prov->emit_argn(cg, (int)idx);
}

/* `args` as a whole value (print(args), $a = args): the record copied out
 * of the context. */
LLVMValueRef cg_var_retval(struct cg *cg, struct node *n)
{
	const struct probe_provider *prov = cg->group->prov;
	if (!prov->emit_retval) {
		cg_error(cg, n->loc, "internal error: retval is not available in %s probes", prov->name);
		return cg_const(cg, 0);
	}
	return cg_normalize(cg, prov->emit_retval(cg), n->type); /* retval_type may be narrower */
}

LLVMValueRef cg_var_args(struct cg *cg, struct node *n)
{
	const struct type *t = n->type;
	LLVMValueRef buf = cg_temp(cg, t->size);
	cg_zero(cg, buf, cg_round8(t->size));
	for (int i = 0; i < t->nmembers; i++) {
		const struct type_member *m = &t->members[i];
		struct cg_ref r = { REF_VALUE, cg_const(cg, 0) };
		cg->group->prov->emit_args_member(cg, m, &r);
		LLVMValueRef v = cg_load_ref(cg, r, m->type);
		cg_store(cg, cg_ptr_add(cg, buf, m->offset), m->type, v, m->type);
	}
	return buf;
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

/* ctx: the program's context pointer, as an address */
LLVMValueRef cg_var_ctx(struct cg *cg, struct node *n)
{
	(void)n;
	return LLVMBuildPtrToInt(cg->b, cg->ctx_arg, cg->i64, "");
}

/* ---- functions ----------------------------------------------------------- */

static struct node *nth_arg(struct node *call, int i)
{
	struct node *a = call->args;
	while (a && i-- > 0)
		a = a->next;
	return a;
}

/* An event: the header, then `payload` (a tuple or any value) laid out by
 * its type, built in a zeroed temporary and sent through the ring buffer.
 * The values are evaluated first: they may need temporaries and branches
 * of their own. */
static void output_values(struct cg *cg, enum event_kind kind, uint32_t id, const struct type *payload,
			  struct node *first, int nvals)
{
	LLVMValueRef vals[128];
	int i = 0;
	for (struct node *a = first; a && i < nvals && i < 128; a = a->next, i++)
		vals[i] = cg_expr(cg, a);
	uint32_t size = (uint32_t)sizeof(struct event_hdr) + (payload ? payload->size : 0);
	LLVMValueRef rec = cg_temp(cg, size);
	cg_zero(cg, rec, cg_round8(size));
	cg_event_header(cg, rec, kind, id);
	LLVMValueRef body = cg_ptr_add(cg, rec, sizeof(struct event_hdr));
	i = 0;
	for (struct node *a = first; a && i < nvals && i < 128; a = a->next, i++) {
		if (!vals[i])
			continue;
		if (kind == EV_VALUE) {
			cg_store(cg, body, payload, vals[i], a->type);
			continue;
		}
		const struct type_member *m = &payload->members[i];
		cg_store(cg, cg_ptr_add(cg, body, m->offset), m->type, vals[i], a->type);
	}
	cg_event_output(cg, rec, size);
}

LLVMValueRef cg_fn_printf(struct cg *cg, struct node *n)
{
	if (n->index < 0 || n->index >= cg->desc->nprintfs) {
		cg_error(cg, n->loc, "internal error: printf without a layout");
		return NULL;
	}
	const struct desc_printf *pf = &cg->desc->printfs[n->index];
	int nargs = pf->args ? pf->args->nmembers : 0;
	output_values(cg, EV_PRINTF, (uint32_t)n->index, pf->args, n->args ? n->args->next : NULL, nargs);
	return NULL;
}

void cg_emit_plain_format(struct cg *cg, int index)
{
	if (index < 0 || index >= cg->desc->nprintfs) {
		cg_error(cg, (srcloc){ 0 }, "internal error: format %d without a layout", index);
		return;
	}
	output_values(cg, EV_PRINTF, (uint32_t)index, NULL, NULL, 0);
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
	if (n->index >= 0) { /* print(value) */
		if (n->index >= cg->desc->nvalues) {
			cg_error(cg, n->loc, "internal error: print without a layout");
			return NULL;
		}
		output_values(cg, EV_VALUE, (uint32_t)n->index, cg->desc->values[n->index], n->args, 1);
		return NULL;
	}
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
	cg_leave_action(cg);
	return NULL;
}

/* unwatch(addr): the runtime removes the watchpoints on addr (bpftrace 0.17) */
LLVMValueRef cg_fn_unwatch(struct cg *cg, struct node *n)
{
	LLVMValueRef addr = cg_expr(cg, n->args);
	LLVMValueRef rec = cg_temp(cg, 16);
	cg_event_header(cg, rec, EV_UNWATCH, 0);
	LLVMSetAlignment(LLVMBuildStore(cg->b, addr, cg_ptr_add(cg, rec, 8)), 8);
	cg_event_output(cg, rec, 16);
	return NULL;
}

LLVMValueRef cg_fn_delete(struct cg *cg, struct node *n)
{
	struct node *elem = n->args;
	struct map_info *m = n->map ? n->map : elem ? elem->map : NULL;
	if (!m || !elem) {
		cg_error(cg, n->loc, "internal error: delete without a map");
		return cg_const(cg, 0);
	}
	return cg_map_delete_elem_at(cg, m, elem->args, n->loc);
}

/* str(p [, n]): sema decided which memory p points into (n->as). */
LLVMValueRef cg_fn_str(struct cg *cg, struct node *n)
{
	struct node *ptr_arg = n->args, *len_arg = nth_arg(n, 1);
	uint32_t size = n->type->size;
	/* bpftrace reads one byte more than the string holds (below 1024
	 * bytes): a string that reaches the end of its buffer then has no
	 * NUL there, which is how the printer knows it was cut and adds
	 * str_trunc_trailer */
	uint32_t pad = size < 1024 ? size + 1 : size;
	LLVMValueRef ptr = cg_expr(cg, ptr_arg);
	LLVMValueRef len = cg_const(cg, pad);
	if (len_arg) {
		/* str(p, n) reads at most n bytes, the NUL included; the
		 * verifier needs the size bounded by the buffer */
		LLVMValueRef want = cg_expr(cg, len_arg);
		LLVMValueRef too_big = LLVMBuildICmp(cg->b, LLVMIntUGT, want, len, "");
		len = LLVMBuildSelect(cg->b, too_big, len, want, "");
	}
	LLVMValueRef buf = cg_temp(cg, pad);
	cg_zero(cg, buf, cg_round8(pad));
	enum bpf_helper id = n->as == AS_USER ? HELPER_PROBE_READ_USER_STR : HELPER_PROBE_READ_KERNEL_STR;
	LLVMValueRef args[3] = { buf, len, LLVMBuildIntToPtr(cg->b, ptr, cg->ptr, "") };
	cg_check_read(cg, cg_helper(cg, id, cg->i64, args, 3), id);
	return buf;
}

/* buf(): a u32 length, then the bytes (types.h TY_BUF). A length known at
 * compile time copies exactly; another one is clamped to the buffer, the
 * bound the verifier needs for the helper's size argument. */
LLVMValueRef cg_fn_buf(struct cg *cg, struct node *n)
{
	struct node *src = n->args, *len_arg = nth_arg(n, 1);
	uint32_t cap = n->type->size - 4;
	LLVMValueRef out = cg_temp(cg, cg_round8(n->type->size));
	cg_zero(cg, out, cg_round8(n->type->size));
	LLVMValueRef len = cg_const(cg, cap);
	int64_t fixed;
	bool is_fixed = !len_arg || sema_const_eval(len_arg, &fixed);
	if (!is_fixed) {
		LLVMValueRef want = cg_expr(cg, len_arg);
		LLVMValueRef too_big = LLVMBuildICmp(cg->b, LLVMIntUGT, want, len, "");
		len = LLVMBuildSelect(cg->b, too_big, len, want, "");
	}
	LLVMValueRef data = cg_ptr_add(cg, out, 4);
	bool in_memory = src->type->kind == TY_ARRAY || src->type->kind == TY_STR;
	struct cg_ref r = in_memory ? cg_ref_of(cg, src)
				    : cg_ref_pointer(cg, cg_expr(cg, src), n->as);
	if (cap > 0 && is_fixed && (r.kind == REF_BPF || r.kind == REF_CTX || r.kind == REF_VALUE)) {
		LLVMValueRef from = r.kind == REF_VALUE ? r.v : cg_load_ref(cg, r, src->type);
		cg_copy(cg, data, from, cap, 1);
	} else if (cap > 0) {
		/* kernel, user or (variable length) BPF memory: the helper reads
		 * any of them and zeroes the buffer when it fails */
		bool user = r.kind == REF_USER;
		LLVMValueRef args[3] = { data, len, r.v };
		if (LLVMGetTypeKind(LLVMTypeOf(r.v)) != LLVMPointerTypeKind)
			args[2] = LLVMBuildIntToPtr(cg->b, r.v, cg->ptr, "");
		enum bpf_helper id = user ? HELPER_PROBE_READ_USER : HELPER_PROBE_READ_KERNEL;
		cg_check_read(cg, cg_helper(cg, id, cg->i64, args, 3), id);
	}
	LLVMValueRef len32 = LLVMBuildTrunc(cg->b, len, cg->i32, "");
	LLVMSetAlignment(LLVMBuildStore(cg->b, len32, out), 4);
	return out;
}
