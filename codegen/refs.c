/* refs.c - expressions that stand for memory: fields, elements, *p, args.
 *
 * A reference says where a value is without reading it (struct cg_ref), so
 * `curtask->real_parent->tgid` reads two pointers and one int and nothing
 * else: each '->' through a pointer is one 8-byte read with the helper of
 * the pointer's address space, embedded structs and arrays only add their
 * offsets, and the last member is read at its own size. Sema decided every
 * member and address space; nothing here looks a name up. */
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "cg.h"

struct cg_ref cg_ctx_ref(struct cg *cg)
{
	return (struct cg_ref){ REF_CTX, cg->ctx_arg };
}

struct cg_ref cg_ref_pointer(struct cg *cg, LLVMValueRef v, enum addr_space as)
{
	if (LLVMGetTypeKind(LLVMTypeOf(v)) != LLVMPointerTypeKind)
		v = LLVMBuildIntToPtr(cg->b, v, cg->ptr, "");
	return (struct cg_ref){ as == AS_USER ? REF_USER : REF_KERNEL, v };
}

struct cg_ref cg_ref_member(struct cg *cg, struct cg_ref r, const struct type_member *m)
{
	if (r.kind == REF_VALUE) {
		cg_error(cg, (srcloc){ 0 }, "internal error: member of a value that is not in memory");
		return r;
	}
	r.v = cg_ptr_add(cg, r.v, m->offset);
	return r;
}

/* ---- reading --------------------------------------------------------------------- */

void cg_probe_read(struct cg *cg, LLVMValueRef dst, uint32_t size, LLVMValueRef src, bool user)
{
	LLVMValueRef args[3] = { dst, cg_const(cg, size), src };
	enum bpf_helper id = user ? HELPER_PROBE_READ_USER : HELPER_PROBE_READ_KERNEL;
	cg_check_read(cg, cg_helper(cg, id, cg->i64, args, 3), id);
}

void cg_probe_read_str(struct cg *cg, LLVMValueRef dst, uint32_t size, LLVMValueRef src, bool user)
{
	LLVMValueRef args[3] = { dst, cg_const(cg, size), src };
	enum bpf_helper id = user ? HELPER_PROBE_READ_USER_STR : HELPER_PROBE_READ_KERNEL_STR;
	cg_check_read(cg, cg_helper(cg, id, cg->i64, args, 3), id);
}

static const char *read_helper_name(enum bpf_helper id)
{
	switch (id) {
	case HELPER_PROBE_READ_USER: return "probe_read_user";
	case HELPER_PROBE_READ_KERNEL: return "probe_read_kernel";
	case HELPER_PROBE_READ_USER_STR: return "probe_read_user_str";
	case HELPER_PROBE_READ_KERNEL_STR: return "probe_read_kernel_str";
	default: return "helper";
	}
}

/* A PF_HELPER_ERROR entry of the description: the helper's name, the
 * location and its source line, an int64 error. */
static int helper_error_format(struct cg *cg, const char *helper, srcloc loc)
{
	struct desc *d = cg->desc;
	d->printfs = xrealloc(d->printfs, sizeof(*d->printfs) * ((size_t)d->nprintfs + 1));
	struct desc_printf *pf = &d->printfs[d->nprintfs];
	memset(pf, 0, sizeof(*pf));
	const struct type *err = type_int(8, true);
	pf->fmt = xstrdup(helper);
	pf->args = type_tuple(d->types, &err, 1);
	pf->loc = loc;
	pf->action = PF_HELPER_ERROR;
	size_t len = 0;
	const char *line = cg->diag && cg->diag->src ? source_line(cg->diag->src, pf->loc.line, &len) : NULL;
	pf->line = line ? xstrndup(line, len) : xstrdup("");
	return d->nprintfs++;
}

void cg_report_helper_error(struct cg *cg, LLVMValueRef failed, LLVMValueRef rc, const char *helper,
			    srcloc loc)
{
	if (!cg->helper_errors || !failed)
		return;
	int index = helper_error_format(cg, helper, loc.line > 0 ? loc : cg->cur_loc);
	LLVMBasicBlockRef report = cg_block(cg, "helper_failed"), done = cg_block(cg, "helper_ok");
	LLVMBuildCondBr(cg->b, failed, report, done);
	LLVMPositionBuilderAtEnd(cg->b, report);
	uint32_t size = (uint32_t)sizeof(struct event_hdr) + 8;
	LLVMValueRef rec = cg_temp(cg, size);
	cg_event_header(cg, rec, EV_PRINTF, (uint32_t)index);
	LLVMSetAlignment(LLVMBuildStore(cg->b, rc, cg_ptr_add(cg, rec, sizeof(struct event_hdr))), 8);
	cg_event_output(cg, rec, size);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

void cg_check_read(struct cg *cg, LLVMValueRef ret, enum bpf_helper id)
{
	if (!cg->helper_errors || !ret)
		return;
	cg_report_helper_error(cg, LLVMBuildICmp(cg->b, LLVMIntSLT, ret, cg_const(cg, 0), ""), ret,
			       read_helper_name(id), (srcloc){ 0 });
}

static bool is_read_by_helper(enum cg_ref_kind k)
{
	return k == REF_KERNEL || k == REF_USER;
}

static LLVMValueRef load_scalar_ref(struct cg *cg, struct cg_ref r, const struct type *t)
{
	if (r.kind == REF_VALUE)
		return cg_normalize(cg, r.v, t);
	if (!is_read_by_helper(r.kind))
		return cg_load_scalar(cg, r.v, t);
	/* a failed read leaves the buffer zeroed (the helper clears it) */
	LLVMValueRef buf = cg_temp(cg, 8);
	cg_probe_read(cg, buf, t->size ? t->size : 8, r.v, r.kind == REF_USER);
	return cg_load_scalar(cg, buf, t);
}

LLVMValueRef cg_load_ref(struct cg *cg, struct cg_ref r, const struct type *t)
{
	if (type_is_scalar(t))
		return load_scalar_ref(cg, r, t);
	if (r.kind == REF_BPF || r.kind == REF_VALUE)
		return r.v;
	if (t->kind == TY_STR) {
		/* a string read stops at the NUL; the rest stays zero, as map keys
		 * and comparisons need. Room for one byte more than the array: a
		 * char[5] holding "hello" (no NUL) is all five characters, as
		 * bpftrace prints it; the helper's NUL lands past the value. */
		LLVMValueRef buf = cg_temp(cg, t->size + 1);
		cg_zero(cg, buf, cg_round8(t->size + 1));
		cg_probe_read_str(cg, buf, t->size + 1, r.v, r.kind == REF_USER);
		return buf;
	}
	LLVMValueRef buf = cg_temp(cg, t->size);
	if (t->size == 0)
		return buf;
	/* context memory is kernel memory too: the helper reads any of it */
	cg_probe_read(cg, buf, t->size, r.v, r.kind == REF_USER);
	return buf;
}

/* ---- bitfields ----------------------------------------------------------------------- */

/* The bits of member m of the record at r: the bytes covering them, read as
 * one integer, shifted and masked. Never sign-extended, whatever the
 * member's declared type: bpftrace reads `short b:8` holding 217 as 217,
 * not -39, and printing must match it (user space, type_load_bitfield,
 * does the same). */
static LLVMValueRef load_bitfield(struct cg *cg, struct cg_ref rec, const struct type_member *m)
{
	uint32_t bytes = ((uint32_t)m->bit_offset + m->bit_size + 7) / 8;
	uint32_t size = bytes <= 1 ? 1 : bytes <= 2 ? 2 : bytes <= 4 ? 4 : 8;
	struct cg_ref at = cg_ref_member(cg, rec, m);
	LLVMValueRef v = load_scalar_ref(cg, at, type_int(size, false));
	v = LLVMBuildLShr(cg->b, v, cg_const(cg, m->bit_offset), "");
	if (m->bit_size >= 64)
		return v;
	return LLVMBuildAnd(cg->b, v, cg_const(cg, ((uint64_t)1 << m->bit_size) - 1), "");
}

/* ---- the references of expressions ---------------------------------------------------- */

static bool is_args(const struct node *n)
{
	return n->kind == N_BUILTIN && n->name && strcmp(n->name, "args") == 0;
}

static const struct type_member *member_here(struct cg *cg, const struct node *n)
{
	if (n->members)
		return n->members[cg->target_index];
	return n->member;
}

static struct cg_ref field_ref(struct cg *cg, struct node *n)
{
	const struct type_member *m = member_here(cg, n);
	if (is_args(n->lhs)) {
		struct cg_ref out = { REF_VALUE, cg_const(cg, 0) };
		const struct probe_provider *p = cg->group->prov;
		if (!p->emit_args_member)
			cg_error(cg, n->loc, "internal error: %s has no args", p->name);
		else
			p->emit_args_member(cg, m, &out);
		return out;
	}
	const struct type *bt = n->lhs->type;
	struct cg_ref base;
	if (bt->kind == TY_PTR)
		base = cg_ref_pointer(cg, cg_expr(cg, n->lhs), bt->as);
	else
		base = cg_ref_of(cg, n->lhs);
	return cg_ref_member(cg, base, m);
}

/* element i of memory at r, elements esize bytes apart */
static struct cg_ref element_ref(struct cg *cg, struct cg_ref r, LLVMValueRef i, uint32_t esize)
{
	LLVMValueRef off = LLVMBuildMul(cg->b, i, cg_const(cg, esize), "");
	r.v = cg_ptr_add_var(cg, r.v, off);
	return r;
}

/* i >= count: the warning (sema's format `warn`); the read goes on, as in
 * bpftrace. */
static void warn_out_of_bounds(struct cg *cg, LLVMValueRef i, uint32_t count, int warn)
{
	LLVMBasicBlockRef oob = cg_block(cg, "oob"), go_on = cg_block(cg, "in_bounds");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntUGE, i, cg_const(cg, count), ""), oob, go_on);
	LLVMPositionBuilderAtEnd(cg->b, oob);
	cg_emit_plain_format(cg, warn);
	LLVMBuildBr(cg->b, go_on);
	LLVMPositionBuilderAtEnd(cg->b, go_on);
}

static struct cg_ref index_ref(struct cg *cg, struct node *n)
{
	const struct type *bt = n->lhs->type;
	if (bt->kind == TY_RECORD) /* a tuple element: sema checked the constant index */
		return cg_ref_member(cg, cg_ref_of(cg, n->lhs), n->member);
	if (bt->kind == TY_PTR) {
		struct cg_ref p = cg_ref_pointer(cg, cg_expr(cg, n->lhs), bt->as);
		return element_ref(cg, p, cg_expr(cg, n->rhs), bt->elem->size);
	}
	/* arrays, and strings as arrays of chars */
	uint32_t count = bt->kind == TY_STR ? bt->size : bt->count;
	uint32_t esize = bt->kind == TY_STR ? 1 : bt->elem->size;
	struct cg_ref base = cg_ref_of(cg, n->lhs);
	LLVMValueRef i = cg_expr(cg, n->rhs);
	if (bt->kind == TY_ARRAY && n->run_warning > 0)
		warn_out_of_bounds(cg, i, count, n->run_warning - 1);
	if (base.kind == REF_BPF || base.kind == REF_CTX) {
		/* in BPF memory the verifier wants the offset bounded: an index
		 * past the end reads element 0 (bpftrace warns at run time) */
		LLVMValueRef in = LLVMBuildICmp(cg->b, LLVMIntULT, i, cg_const(cg, count), "");
		i = LLVMBuildSelect(cg->b, in, i, cg_const(cg, 0), "");
	}
	return element_ref(cg, base, i, esize);
}

struct cg_ref cg_ref_of(struct cg *cg, struct node *n)
{
	switch (n->kind) {
	case N_FIELD:
		if (n->member && n->member->bit_size)
			break; /* bitfields have no address of their own */
		return field_ref(cg, n);
	case N_INDEX:
		return index_ref(cg, n);
	case N_UNARY:
		if (n->op == '*')
			return cg_ref_pointer(cg, cg_expr(cg, n->lhs), n->lhs->type->as);
		break;
	case N_VAR:
		if (!type_is_scalar(n->type)) {
			LLVMValueRef slot = cg_var_slot(cg, n);
			if (slot)
				return (struct cg_ref){ REF_BPF, slot };
		}
		break;
	default:
		break;
	}
	LLVMValueRef v = cg_expr(cg, n);
	return (struct cg_ref){ type_is_scalar(n->type) ? REF_VALUE : REF_BPF, v };
}

/* ---- direct loads through BTF pointers ------------------------------------------------ */

/* `curtask->real_parent->tgid` as the verifier can check it: the task from
 * bpf_get_current_task_btf(), then plain loads at constant offsets, each
 * checked against BTF and run as a PROBE_MEM load (a fault reads 0), in
 * place of one bpf_probe_read_kernel() per hop. A pointer loaded from the
 * kernel may be NULL (the verifier may call __rcu ones so), so every load
 * through one tests it first; a NULL hop reads 0, as a failed helper read
 * does. Everything else (a union or bitfield on the way, a pointer that is
 * not to a struct, a variable index, a pointer used as a value) keeps the
 * helpers. */

/* neither -k nor SONDE_BTF_LOADS=0 forbids them (BTF not asked yet) */
static bool btf_loads_allowed(struct cg *cg)
{
	const char *env = getenv("SONDE_BTF_LOADS");
	return !cg->helper_errors && !(env && strcmp(env, "0") == 0);
}

bool cg_btf_loads(struct cg *cg)
{
	return btf_loads_allowed(cg) && kbtf_task_btf_loads();
}

/* A kernel struct the verifier can type a pointer to */
static int32_t btf_struct_id(const struct type *ptr)
{
	if (ptr->kind != TY_PTR || ptr->as == AS_USER || !ptr->elem || ptr->elem->kind != TY_RECORD ||
	    ptr->elem->rkind != REC_STRUCT)
		return 0;
	return ptr->elem->btf_id > 0 ? ptr->elem->btf_id : 0;
}

/* Memory at constant offset `off` in the struct of BTF id `id` that the
 * pointer expression `root` points to. */
struct btf_place {
	struct node *root;
	int32_t id;
	uint32_t off;
};

static bool btf_pointer(struct cg *cg, struct node *n);

static bool btf_place(struct cg *cg, struct node *n, struct btf_place *p)
{
	if (n->kind != N_FIELD || !n->lhs || is_args(n->lhs))
		return false;
	const struct type_member *m = member_here(cg, n);
	if (!m || m->bit_size || m->is_data_loc)
		return false;
	const struct type *bt = n->lhs->type;
	if (bt->kind == TY_PTR) {
		if (!btf_pointer(cg, n->lhs))
			return false;
		*p = (struct btf_place){ n->lhs, btf_struct_id(bt), m->offset };
		return true;
	}
	if (bt->kind != TY_RECORD || !btf_place(cg, n->lhs, p))
		return false;
	p->off += m->offset;
	return true;
}

/* n's value can be had as a pointer the verifier types as n's struct */
static bool btf_pointer(struct cg *cg, struct node *n)
{
	int32_t id = btf_struct_id(n->type);
	if (!id)
		return false;
	if (n->kind == N_BUILTIN)
		return n->builtin && n->builtin->emit == cg_var_curtask && cg_btf_loads(cg);
	struct btf_place p;
	int32_t to = 0;
	return btf_place(cg, n, &p) && kbtf_direct_load(p.id, p.off, 8, &to) == KBTF_LOAD_PTR && to == id;
}

/* A branch around loads through a pointer that may be NULL. */
struct btf_guard {
	LLVMBasicBlockRef is_null, join;
};

static void guard_begin(struct cg *cg, struct btf_guard *g, LLVMValueRef base, bool maybe_null)
{
	g->is_null = g->join = NULL;
	if (!maybe_null)
		return;
	LLVMBasicBlockRef ok = cg_block(cg, "btf_ok");
	g->is_null = cg_block(cg, "btf_null");
	g->join = cg_block(cg, "btf_join");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, base, LLVMConstNull(cg->ptr), ""), g->is_null, ok);
	LLVMPositionBuilderAtEnd(cg->b, ok);
}

/* v (loaded) or `zero` when the pointer was NULL; v NULL: no value */
static LLVMValueRef guard_end(struct cg *cg, struct btf_guard *g, LLVMValueRef v, LLVMValueRef zero)
{
	if (!g->join)
		return v;
	LLVMBasicBlockRef loaded = LLVMGetInsertBlock(cg->b);
	LLVMBuildBr(cg->b, g->join);
	LLVMPositionBuilderAtEnd(cg->b, g->is_null);
	LLVMBuildBr(cg->b, g->join);
	LLVMPositionBuilderAtEnd(cg->b, g->join);
	if (!v)
		return NULL;
	LLVMValueRef phi = LLVMBuildPhi(cg->b, LLVMTypeOf(v), "");
	LLVMValueRef vals[2] = { v, zero };
	LLVMBasicBlockRef from[2] = { loaded, g->is_null };
	LLVMAddIncoming(phi, vals, from, 2);
	return phi;
}

/* The pointer btf_pointer() accepted; *maybe_null: it was loaded */
static LLVMValueRef emit_btf_pointer(struct cg *cg, struct node *n, bool *maybe_null)
{
	if (n->kind == N_BUILTIN) {
		*maybe_null = false;
		return cg_helper(cg, HELPER_GET_CURRENT_TASK_BTF, cg->ptr, NULL, 0);
	}
	struct btf_place p;
	btf_place(cg, n, &p);
	bool base_null;
	LLVMValueRef base = emit_btf_pointer(cg, p.root, &base_null);
	struct btf_guard g;
	guard_begin(cg, &g, base, base_null);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->ptr, cg_ptr_add(cg, base, p.off), "");
	LLVMSetAlignment(v, 8);
	*maybe_null = true;
	return guard_end(cg, &g, v, LLVMConstNull(cg->ptr));
}

/* Keeps the bytes of w before its first NUL, and only while *alive (all
 * ones until a NUL was seen in an earlier word): the bytes
 * bpf_probe_read_kernel_str() and bpf_get_current_comm() copy. The lowest
 * flag of (w - 0x01..) & ~w & 0x80.. is the first zero byte; keep is the
 * bytes below it, all of them when there is none.
 *
 * keep is computed in inline assembly, the same instructions LLVM would
 * emit, because as IR the bit trick is costly to optimise: InstCombine
 * tracks known bits through its chain each time it runs, ~0.2 ms a word,
 * so twenty `comm` keys in one program added 25 ms to a 45 ms compile. */
static LLVMValueRef str_word(struct cg *cg, LLVMValueRef w, LLVMValueRef *alive)
{
	static const char text[] = "$0 = $2; $0 -= $3; $1 = $2; $1 ^= -1; $0 &= $1; $0 &= $4; "
				   "$1 = $0; $1 = -$1; $0 &= $1; $0 >>= 7; $0 -= 1";
	static const char constraints[] = "=&r,=&r,r,r,r";
	LLVMBuilderRef b = cg->b;
	w = LLVMBuildAnd(b, w, *alive, "");
	LLVMTypeRef outs[2] = { cg->i64, cg->i64 };
	LLVMTypeRef ins[3] = { cg->i64, cg->i64, cg->i64 };
	LLVMTypeRef fnty = LLVMFunctionType(LLVMStructTypeInContext(cg->ctx, outs, 2, false), ins, 3, false);
	LLVMValueRef fn = LLVMGetInlineAsm(fnty, text, sizeof(text) - 1, constraints, sizeof(constraints) - 1,
					   false, false, LLVMInlineAsmDialectATT, false);
	LLVMValueRef args[3] = { w, cg_const(cg, 0x0101010101010101ull), cg_const(cg, 0x8080808080808080ull) };
	LLVMValueRef keep = LLVMBuildExtractValue(b, LLVMBuildCall2(b, fnty, fn, args, 3, ""), 0, "");
	*alive = LLVMBuildAnd(b, *alive, LLVMBuildAShr(b, keep, cg_const(cg, 63), ""), "");
	return LLVMBuildAnd(b, w, keep, "");
}

/* size bytes of a char array at base + off into dst (zeroed), as a string */
static void load_btf_str(struct cg *cg, LLVMValueRef dst, unsigned align, LLVMValueRef base, uint32_t off,
			 uint32_t size)
{
	LLVMValueRef alive = cg_const(cg, UINT64_MAX);
	for (uint32_t i = 0; i < size; i += 8) {
		LLVMValueRef w = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, base, off + i), "");
		/* as aligned as the offset (the struct itself is): an unaligned
		 * load would be split into byte loads */
		uint32_t at = off + i;
		LLVMSetAlignment(w, at % 8 == 0 ? 8 : at % 4 == 0 ? 4 : at % 2 == 0 ? 2 : 1);
		LLVMValueRef st = LLVMBuildStore(cg->b, str_word(cg, w, &alive), cg_ptr_add(cg, dst, i));
		LLVMSetAlignment(st, align);
	}
}

/* Strings read directly: whole 8-byte words, a few of them */
#define BTF_STR_MAX 64

/* The value of field n by direct loads, or NULL (nothing emitted). */
static LLVMValueRef btf_member_value(struct cg *cg, struct node *n)
{
	struct btf_place p;
	const struct type *t = n->type;
	const struct type_member *m = n->kind == N_FIELD ? member_here(cg, n) : NULL;
	if (!m || m->type->kind != t->kind || m->type->size != t->size || !btf_place(cg, n, &p))
		return NULL;
	int32_t to = 0;
	bool str = t->kind == TY_STR;
	if (str) {
		if (t->size % 8 || t->size > BTF_STR_MAX)
			return NULL;
		for (uint32_t i = 0; i < t->size; i += 8)
			if (kbtf_direct_load(p.id, p.off + i, 8, &to) != KBTF_LOAD_SCALAR)
				return NULL;
	} else if (!type_is_scalar(t) || (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8) ||
		   kbtf_direct_load(p.id, p.off, t->size, &to) != KBTF_LOAD_SCALAR) {
		return NULL;
	}
	bool maybe_null;
	LLVMValueRef base = emit_btf_pointer(cg, p.root, &maybe_null);
	LLVMValueRef buf = NULL;
	if (str) {
		/* room for the NUL of a full array, as cg_load_ref's strings */
		buf = cg_temp(cg, t->size + 1);
		cg_zero(cg, buf, cg_round8(t->size + 1));
	}
	struct btf_guard g;
	guard_begin(cg, &g, base, maybe_null);
	if (str) {
		load_btf_str(cg, buf, 8, base, p.off, t->size);
		guard_end(cg, &g, NULL, NULL);
		return buf;
	}
	LLVMValueRef v = cg_load_scalar(cg, cg_ptr_add(cg, base, p.off), t);
	return cg_normalize(cg, guard_end(cg, &g, v, cg_const(cg, 0)), t);
}

bool cg_comm_direct(struct cg *cg, LLVMValueRef dst, unsigned align)
{
	int32_t task;
	uint32_t off;
	if (!btf_loads_allowed(cg) || !kbtf_task_comm(&task, &off))
		return false;
	LLVMValueRef base = cg_helper(cg, HELPER_GET_CURRENT_TASK_BTF, cg->ptr, NULL, 0);
	load_btf_str(cg, dst, align, base, off, SONDE_COMM_LEN);
	return true;
}

/* The value of a field or element expression: read through its reference
 * at the member's own type, then brought to the node's type (an args field
 * can be narrower in one target of a wildcard than in another). */
static LLVMValueRef member_value(struct cg *cg, struct node *n);

/* A member or element read that fails (-k) is reported at the expression
 * it is read from, as the latest bpftrace does (`((struct foo *)arg0).a`
 * at the cast), not at the statement. */
LLVMValueRef cg_member_value(struct cg *cg, struct node *n)
{
	srcloc stmt = cg->cur_loc;
	if (n->lhs && n->lhs->loc.line > 0)
		cg->cur_loc = n->lhs->loc;
	LLVMValueRef v = member_value(cg, n);
	cg->cur_loc = stmt;
	return v;
}

static LLVMValueRef member_value(struct cg *cg, struct node *n)
{
	LLVMValueRef direct = btf_member_value(cg, n);
	if (direct)
		return direct;
	const struct type_member *m = n->kind == N_FIELD ? member_here(cg, n) : NULL;
	if (m && m->bit_size) {
		struct cg_ref rec;
		if (n->lhs->type->kind == TY_PTR)
			rec = cg_ref_pointer(cg, cg_expr(cg, n->lhs), n->lhs->type->as);
		else
			rec = cg_ref_of(cg, n->lhs);
		return load_bitfield(cg, rec, m);
	}
	const struct type *own = m && !m->is_data_loc ? m->type : n->type;
	struct cg_ref r = cg_ref_of(cg, n);
	LLVMValueRef v = cg_load_ref(cg, r, own->kind == n->type->kind ? own : n->type);
	if (type_is_scalar(n->type))
		return cg_normalize(cg, v, n->type);
	if (own->size != n->type->size && n->type->kind == TY_STR && own->kind == TY_STR) {
		LLVMValueRef buf = cg_temp(cg, n->type->size);
		cg_zero(cg, buf, cg_round8(n->type->size));
		cg_str_copy(cg, buf, n->type->size, v, own->size, false);
		return buf;
	}
	return v;
}
