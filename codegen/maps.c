/* maps.c - map keys and values, lookups and updates, the per-CPU in-place
 * aggregation update, and ring-buffer output with the lost-event counter.
 *
 * Keys are built in zeroed stack buffers because the kernel hashes every
 * byte of the key, padding included, and the verifier rejects helpers that
 * read uninitialised stack.
 *
 * Nothing is lost silently: a failed map update and a failed ring-buffer
 * output each add one to a per-CPU counter that the runtime reports. Only
 * the failure branch touches a counter, so a successful update costs one
 * compare of the helper's result. */
#include <errno.h>
#include <string.h>

#include "cg.h"

LLVMValueRef cg_map_global(struct cg *cg, const struct map_info *m)
{
	return cg_user_map(cg, m->id);
}

const struct desc_map *cg_desc_map(struct cg *cg, const struct map_info *m)
{
	return &cg->desc->maps[m->id];
}

static LLVMValueRef is_null(struct cg *cg, LLVMValueRef p)
{
	return LLVMBuildICmp(cg->b, LLVMIntEQ, p, LLVMConstNull(cg->ptr), "");
}

/* `comm` as a key part whose slot it fills exactly: bpf_get_current_comm()
 * then writes the key itself (NUL-padded to 16 bytes) with no copy. */
static bool is_comm_in_place(const struct node *k, const struct type *slot)
{
	return k->kind == N_BUILTIN && k->builtin && k->builtin->emit == cg_var_comm &&
	       slot->kind == TY_STR && slot->size == SONDE_COMM_LEN;
}

struct key_part {
	const struct type *slot;  /* the part's type in the key */
	uint32_t offset;
	struct node *expr;
	LLVMValueRef value;       /* NULL: written in place (comm) */
};

/* The parts of @m[k1, k2]: one key of the map's key type, or the members
 * of the tuple it is. */
static int key_parts(const struct map_info *m, struct node *keys, struct key_part *parts)
{
	int n = 0;
	for (struct node *k = keys; k && n < SONDE_MAX_KEY_PARTS; k = k->next, n++) {
		/* one key for several (a tuple: sema_key_tuple) is the whole key */
		if (m->nkeys == 1 || (n == 0 && !k->next)) {
			parts[n].slot = m->key;
			parts[n].offset = 0;
		} else {
			parts[n].slot = m->key->members[n].type;
			parts[n].offset = m->key->members[n].offset;
		}
		parts[n].expr = k;
	}
	return n;
}

/* Zero only the 8-byte words of the key no part fully writes: an 8-byte
 * scalar at an aligned offset, comm written in place, the bucket. Keys
 * are hashed byte for byte, padding included. */
static void zero_uncovered(struct cg *cg, LLVMValueRef key, uint32_t size, const struct key_part *parts,
			   int n, int64_t bucket_at)
{
	uint32_t words = cg_round8(size) / 8;
	bool covered[CG_STACK_TEMP_MAX / 8];
	if (words > CG_STACK_TEMP_MAX / 8) {
		cg_zero(cg, key, cg_round8(size));
		return;
	}
	memset(covered, 0, sizeof(covered));
	for (int i = 0; i < n; i++) {
		const struct key_part *p = &parts[i];
		if (p->offset % 8)
			continue;
		if (!p->value && p->slot->size == 16)
			covered[p->offset / 8] = covered[p->offset / 8 + 1] = true;
		else if (type_is_scalar(p->slot) && p->slot->size == 8)
			covered[p->offset / 8] = true;
	}
	if (bucket_at >= 0)
		covered[bucket_at / 8] = true;
	for (uint32_t w = 0; w < words; w++)
		if (!covered[w])
			LLVMSetAlignment(LLVMBuildStore(cg->b, cg_const(cg, 0), cg_ptr_add(cg, key, w * 8)), 8);
}

LLVMValueRef cg_map_key(struct cg *cg, const struct map_info *m, struct node *keys,
			LLVMValueRef bucket)
{
	const struct desc_map *dm = cg_desc_map(cg, m);
	struct key_part parts[SONDE_MAX_KEY_PARTS];
	int n = m->nkeys ? key_parts(m, keys, parts) : 0;
	/* evaluate the parts first: they may use temporaries and branches */
	for (int i = 0; i < n; i++)
		parts[i].value = is_comm_in_place(parts[i].expr, parts[i].slot) ? NULL
										 : cg_expr(cg, parts[i].expr);
	uint32_t user = m->nkeys ? m->key->size : 0;
	int64_t bucket_at = bucket ? (int64_t)cg_round8(user) : -1;
	LLVMValueRef key = cg_temp(cg, dm->key_size);
	if (n == 0 && !bucket) {
		/* a scalar map: the u64 key 0 */
		LLVMSetAlignment(LLVMBuildStore(cg->b, cg_const(cg, 0), key), 8);
		return key;
	}
	zero_uncovered(cg, key, dm->key_size, parts, n, bucket_at);
	for (int i = 0; i < n; i++) {
		LLVMValueRef dst = cg_ptr_add(cg, key, parts[i].offset);
		if (!parts[i].value) {
			if (cg_comm_direct(cg, dst, parts[i].offset % 8 ? 1 : 8))
				continue;
			LLVMValueRef args[2] = { dst, cg_const(cg, SONDE_COMM_LEN) };
			cg_helper(cg, HELPER_GET_CURRENT_COMM, cg->i64, args, 2);
			continue;
		}
		cg_store(cg, dst, parts[i].slot, parts[i].value, parts[i].expr->type);
	}
	if (bucket) {
		LLVMValueRef st = LLVMBuildStore(cg->b, bucket, cg_ptr_add(cg, key, (uint64_t)bucket_at));
		LLVMSetAlignment(st, 8);
	}
	return key;
}

LLVMValueRef cg_map_lookup(struct cg *cg, LLVMValueRef map, LLVMValueRef key)
{
	LLVMValueRef args[2] = { map, key };
	return cg_helper(cg, HELPER_MAP_LOOKUP_ELEM, cg->ptr, args, 2);
}

LLVMValueRef cg_map_update(struct cg *cg, LLVMValueRef map, LLVMValueRef key, LLVMValueRef value,
			   uint64_t flags)
{
	LLVMValueRef args[4] = { map, key, value, cg_const(cg, flags) };
	return cg_helper(cg, HELPER_MAP_UPDATE_ELEM, cg->i64, args, 4);
}

LLVMValueRef cg_map_delete(struct cg *cg, LLVMValueRef map, LLVMValueRef key)
{
	LLVMValueRef args[2] = { map, key };
	return cg_helper(cg, HELPER_MAP_DELETE_ELEM, cg->i64, args, 2);
}

/* A hist/lhist key is one BPF key per bucket: deleting it deletes them
 * all, in a loop over the bucket numbers (the verifier walks it, at most
 * lhist's 1002 buckets). */
LLVMValueRef cg_map_delete_elem(struct cg *cg, const struct map_info *m, struct node *keys)
{
	return cg_map_delete_elem_at(cg, m, keys, (srcloc){ 0 });
}

LLVMValueRef cg_map_delete_elem_at(struct cg *cg, const struct map_info *m, struct node *keys,
				   srcloc loc)
{
	const struct desc_map *dm = cg_desc_map(cg, m);
	const struct agg_desc *agg = m->kind == MAP_PLAIN ? NULL : agg_find(m->kind);
	if (!agg || !agg->bucketed) {
		LLVMValueRef rc = cg_map_delete(cg, cg_map_global(cg, m), cg_map_key(cg, m, keys, NULL));
		LLVMValueRef ok = LLVMBuildICmp(cg->b, LLVMIntEQ, rc, cg_const(cg, 0), "");
		if (loc.line > 0)
			cg_report_helper_error(cg, LLVMBuildNot(cg->b, ok, ""), rc, "map_delete_elem", loc);
		return LLVMBuildZExt(cg->b, ok, cg->i64, "");
	}
	int nb = agg->nbuckets(dm);
	LLVMValueRef key = cg_map_key(cg, m, keys, cg_const(cg, 0));
	LLVMValueRef slot = cg_ptr_add(cg, key, cg_round8(m->nkeys ? m->key->size : 0));
	LLVMBasicBlockRef head = cg_block(cg, "delete_bucket"), done = cg_block(cg, "deleted");
	LLVMBasicBlockRef before = LLVMGetInsertBlock(cg->b);
	LLVMBuildBr(cg->b, head);
	LLVMPositionBuilderAtEnd(cg->b, head);
	LLVMValueRef b = LLVMBuildPhi(cg->b, cg->i64, "bucket");
	LLVMSetAlignment(LLVMBuildStore(cg->b, b, slot), 8);
	cg_map_delete(cg, cg_map_global(cg, m), key);
	LLVMValueRef next = LLVMBuildAdd(cg->b, b, cg_const(cg, 1), "");
	LLVMValueRef vals[2] = { cg_const(cg, 0), next };
	LLVMBasicBlockRef from[2] = { before, LLVMGetInsertBlock(cg->b) };
	LLVMAddIncoming(b, vals, from, 2);
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntULT, next, cg_const(cg, (uint64_t)(nb > 0 ? nb : 1)), ""),
			head, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	return cg_const(cg, 1); /* buckets: no single entry to have been there */
}

/* The value under `key`, or zero (an empty string...) when absent. */
LLVMValueRef cg_map_read_key(struct cg *cg, const struct map_info *m, LLVMValueRef key)
{
	return cg_map_read_key_at(cg, m, key, (srcloc){ 0 });
}

LLVMValueRef cg_map_read_key_at(struct cg *cg, const struct map_info *m, LLVMValueRef key,
				srcloc loc)
{
	const struct desc_map *dm = cg_desc_map(cg, m);
	if (m->kind != MAP_PLAIN) {
		const struct agg_desc *agg = agg_find(m->kind);
		if (agg && agg->read)
			return agg->read(cg, m, key);
		cg_error(cg, m->first_use, "the value of aggregation %s cannot be read in a probe",
			 m->name);
		return cg_const(cg, 0);
	}
	bool scalar = type_is_scalar(m->value);
	LLVMValueRef result = NULL;
	if (!scalar) {
		result = cg_temp(cg, dm->value_size);
		cg_zero(cg, result, cg_round8(dm->value_size));
	}
	LLVMValueRef p = cg_map_lookup(cg, cg_map_global(cg, m), key);
	LLVMBasicBlockRef found = cg_block(cg, "found"), done = cg_block(cg, "read_done");
	LLVMBasicBlockRef absent = cg_block(cg, "read_absent");
	LLVMBuildCondBr(cg->b, is_null(cg, p), absent, found);
	/* bpftrace reports a missing key as map_lookup_elem failing with 0 */
	LLVMPositionBuilderAtEnd(cg->b, absent);
	if (loc.line > 0)
		cg_report_helper_error(cg, LLVMConstInt(LLVMInt1TypeInContext(cg->ctx), 1, false),
				       cg_const(cg, 0), "map_lookup_elem", loc);
	LLVMBasicBlockRef before = LLVMGetInsertBlock(cg->b);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, found);
	LLVMValueRef v = NULL;
	if (scalar)
		v = cg_load_scalar(cg, p, m->value);
	else
		cg_copy(cg, result, p, dm->value_size, 1);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	if (!scalar)
		return result;
	LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->i64, "");
	LLVMValueRef vals[2] = { cg_const(cg, 0), v };
	LLVMBasicBlockRef from[2] = { before, found };
	LLVMAddIncoming(phi, vals, from, 2);
	return phi;
}

LLVMValueRef cg_map_read(struct cg *cg, struct node *map_node)
{
	struct map_info *m = map_node->map;
	if (!m) {
		cg_error(cg, map_node->loc, "internal error: unresolved map %s", map_node->name);
		return cg_const(cg, 0);
	}
	return cg_map_read_key_at(cg, m, cg_map_key(cg, m, map_node->args, NULL), map_node->loc);
}

/* Add one to the u64 at `index` (i32) of per-CPU array `array`. */
static void count_in_array(struct cg *cg, LLVMValueRef array, LLVMValueRef index)
{
	LLVMBasicBlockRef count = cg_block(cg, "count"), done = cg_block(cg, "counted");
	LLVMValueRef key = cg_temp(cg, 8);
	LLVMSetAlignment(LLVMBuildStore(cg->b, index, key), 4);
	LLVMValueRef p = cg_map_lookup(cg, array, key);
	LLVMBuildCondBr(cg->b, is_null(cg, p), done, count);
	LLVMPositionBuilderAtEnd(cg->b, count);
	cg_add_in_place(cg, p, 0, cg_const(cg, 1));
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

void cg_agg_count_bucket(struct cg *cg, const struct map_info *m, LLVMValueRef bucket)
{
	const struct desc_map *dm = cg_desc_map(cg, m);
	const struct agg_desc *agg = agg_find(dm->kind);
	/* every bucket the aggregation makes is < nbuckets; the test is for the verifier */
	LLVMValueRef n = cg_const(cg, (uint64_t)agg->nbuckets(dm));
	LLVMBasicBlockRef in = cg_block(cg, "bucket_in"), done = cg_block(cg, "bucket_done");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntULT, bucket, n, ""), in, done);
	LLVMPositionBuilderAtEnd(cg->b, in);
	count_in_array(cg, cg_map_global(cg, m), LLVMBuildTrunc(cg->b, bucket, cg->i32, ""));
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

/* A failed update of m with helper result rc: a full map (-E2BIG) and
 * any other failure are counted apart, so the report can say which. */
static void count_dropped(struct cg *cg, const struct map_info *m, LLVMValueRef rc)
{
	LLVMValueRef full = LLVMBuildICmp(cg->b, LLVMIntEQ, rc, cg_const(cg, (uint64_t)-E2BIG), "");
	LLVMValueRef first = cg_drop_index(cg, m->id);
	LLVMValueRef index = LLVMBuildSelect(cg->b, full, first,
					     LLVMBuildAdd(cg->b, first, LLVMConstInt(cg->i32, 1, false), ""), "");
	count_in_array(cg, cg->dropped, index);
}

void cg_map_update_counted(struct cg *cg, const struct map_info *m, LLVMValueRef key,
			   LLVMValueRef value)
{
	LLVMValueRef rc = cg_map_update(cg, cg_map_global(cg, m), key, value, CG_BPF_ANY);
	LLVMBasicBlockRef failed = cg_block(cg, "update_failed"), done = cg_block(cg, "updated");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, rc, cg_const(cg, 0), ""), done, failed);
	LLVMPositionBuilderAtEnd(cg->b, failed);
	count_dropped(cg, m, rc);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

void cg_map_write_key(struct cg *cg, const struct map_info *m, LLVMValueRef key, LLVMValueRef v,
		      const struct type *t)
{
	uint32_t value_size = cg_desc_map(cg, m)->value_size;
	LLVMValueRef buf = cg_temp(cg, value_size);
	if (!type_is_scalar(m->value))
		cg_zero(cg, buf, cg_round8(value_size));
	cg_store(cg, buf, m->value, v, t);
	cg_map_update_counted(cg, m, key, buf);
}

void cg_add_in_place(struct cg *cg, LLVMValueRef p, uint32_t offset, LLVMValueRef delta)
{
	LLVMValueRef addr = cg_ptr_add(cg, p, offset);
	LLVMValueRef old = LLVMBuildLoad2(cg->b, cg->i64, addr, "");
	LLVMSetAlignment(old, 8);
	LLVMSetAlignment(LLVMBuildStore(cg->b, LLVMBuildAdd(cg->b, old, delta, ""), addr), 8);
}

void cg_agg_update(struct cg *cg, const struct map_info *m, LLVMValueRef key,
		   cg_agg_modify_fn modify, cg_agg_modify_fn init, void *data)
{
	LLVMValueRef map = cg_map_global(cg, m);
	uint32_t value_size = cg_desc_map(cg, m)->value_size;
	LLVMBasicBlockRef hit = cg_block(cg, "agg_hit"), miss = cg_block(cg, "agg_miss");
	LLVMBasicBlockRef failed = cg_block(cg, "agg_failed"), retry = cg_block(cg, "agg_retry");
	LLVMBasicBlockRef hit2 = cg_block(cg, "agg_hit2"), gone = cg_block(cg, "agg_gone");
	LLVMBasicBlockRef done = cg_block(cg, "agg_done");

	LLVMValueRef p = cg_map_lookup(cg, map, key);
	LLVMBuildCondBr(cg->b, is_null(cg, p), miss, hit);

	/* per-CPU value: no other CPU writes it, so a plain add is enough */
	LLVMPositionBuilderAtEnd(cg->b, hit);
	modify(cg, p, data);
	LLVMBuildBr(cg->b, done);

	LLVMPositionBuilderAtEnd(cg->b, miss);
	LLVMValueRef value = cg_temp(cg, value_size);
	cg_zero(cg, value, cg_round8(value_size));
	init(cg, value, data);
	LLVMValueRef rc = cg_map_update(cg, map, key, value, CG_BPF_NOEXIST);
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, rc, cg_const(cg, 0), ""), done, failed);

	/* -EEXIST: an event nested on this CPU inserted the key between our
	 * lookup and update: modify what it inserted. Anything else (the map
	 * is full) drops this update. */
	LLVMPositionBuilderAtEnd(cg->b, failed);
	LLVMValueRef raced = LLVMBuildICmp(cg->b, LLVMIntEQ, rc, cg_const(cg, (uint64_t)-EEXIST), "");
	LLVMBasicBlockRef drop = cg_block(cg, "agg_drop");
	LLVMBuildCondBr(cg->b, raced, retry, drop);
	LLVMPositionBuilderAtEnd(cg->b, drop);
	count_dropped(cg, m, rc);
	LLVMBuildBr(cg->b, done);

	LLVMPositionBuilderAtEnd(cg->b, retry);
	LLVMValueRef p2 = cg_map_lookup(cg, map, key);
	LLVMBuildCondBr(cg->b, is_null(cg, p2), gone, hit2);
	LLVMPositionBuilderAtEnd(cg->b, hit2);
	modify(cg, p2, data);
	LLVMBuildBr(cg->b, done);

	/* deleted again in between: the update is lost all the same */
	LLVMPositionBuilderAtEnd(cg->b, gone);
	count_in_array(cg, cg->dropped,
		       LLVMBuildAdd(cg->b, cg_drop_index(cg, m->id), LLVMConstInt(cg->i32, 1, false), ""));
	LLVMBuildBr(cg->b, done);

	LLVMPositionBuilderAtEnd(cg->b, done);
}

static void add_delta(struct cg *cg, LLVMValueRef p, void *data)
{
	cg_add_in_place(cg, p, 0, data);
}

static void store_delta(struct cg *cg, LLVMValueRef p, void *data)
{
	LLVMSetAlignment(LLVMBuildStore(cg->b, data, p), 8);
}

void cg_agg_add(struct cg *cg, const struct map_info *m, LLVMValueRef key, LLVMValueRef delta)
{
	if (m->kind != MAP_COUNT && m->kind != MAP_SUM) {
		cg_error(cg, m->first_use, "%s cannot be incremented: it holds an aggregation",
			 m->name);
		return;
	}
	cg_agg_update(cg, m, key, add_delta, store_delta, delta);
}

/* ---- ring buffer --------------------------------------------------------- */

void cg_event_header(struct cg *cg, LLVMValueRef buf, uint32_t kind, uint32_t id)
{
	/* struct event_hdr { u32 kind; u32 id; } on a little-endian target */
	uint64_t hdr = (uint64_t)kind | (uint64_t)id << 32;
	LLVMSetAlignment(LLVMBuildStore(cg->b, cg_const(cg, hdr), buf), 8);
}

/* A ring-buffer record: an 8-byte header, the data rounded up to 8 bytes
 * (the kernel's BPF_RINGBUF_HDR_SZ and record alignment). */
#define CG_RINGBUF_HDR 8u

static bool runs_once(const struct prog_group *g)
{
	return g && (g->target.type == PT_BEGIN || g->target.type == PT_END);
}

void cg_event_output(struct cg *cg, LLVMValueRef buf, uint32_t size)
{
	if (runs_once(cg->group) && cg->nloops == 0 && !cg->cb_ctx)
		cg->prog_event_bytes += CG_RINGBUF_HDR + cg_round8(size);
	else
		cg->events_unbounded = true;
	LLVMValueRef args[4] = { cg->ringbuf, buf, cg_const(cg, size), cg_const(cg, 0) };
	LLVMValueRef rc = cg_helper(cg, HELPER_RINGBUF_OUTPUT, cg->i64, args, 4);
	LLVMBasicBlockRef lost = cg_block(cg, "event_lost"), done = cg_block(cg, "event_done");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, rc, cg_const(cg, 0), ""), done, lost);

	LLVMPositionBuilderAtEnd(cg->b, lost);
	count_in_array(cg, cg->lost, LLVMConstInt(cg->i32, 0, false));
	LLVMBuildBr(cg->b, done);

	LLVMPositionBuilderAtEnd(cg->b, done);
}

/* ---- has_key(), len() ------------------------------------------------------ */

/* has_key(@m, k): the key as for @m[k]. A per-CPU map's key exists on
 * every CPU once inserted, so this CPU's lookup answers too. */
static LLVMValueRef has_key_bucketed(struct cg *cg, struct map_info *m, struct node *keys);

LLVMValueRef cg_fn_has_key(struct cg *cg, struct node *n)
{
	struct map_info *m = n->map;
	const struct agg_desc *agg = m->kind == MAP_PLAIN ? NULL : agg_find(m->kind);
	if (agg && agg->bucketed)
		return has_key_bucketed(cg, m, n->args->next);
	LLVMValueRef key = cg_map_key(cg, m, n->args->next, NULL);
	LLVMValueRef p = cg_map_lookup(cg, cg_map_global(cg, m), key);
	return LLVMBuildZExt(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, p, LLVMConstNull(cg->ptr), ""),
			     cg->i64, "");
}

/* A bpf_for_each_map_elem() callback `long name(map, key, value, ctx)`,
 * one static subprogram per object, with the BTF the verifier wants for
 * callbacks (every parameter named); *b is positioned in its entry block
 * (the caller disposes of it). NULL *b: it exists already. */
static LLVMValueRef callback_shell(struct cg *cg, const char *name, LLVMBuilderRef *b)
{
	*b = NULL;
	LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, name);
	if (fn)
		return fn;
	LLVMTypeRef params[4] = { cg->ptr, cg->ptr, cg->ptr, cg->ptr };
	fn = LLVMAddFunction(cg->mod, name, LLVMFunctionType(cg->i64, params, 4, false));
	LLVMSetLinkage(fn, LLVMInternalLinkage);
	LLVMSetSection(fn, ".text");
	static const char *pnames[4] = { "map", "key", "value", "ctx" };
	LLVMMetadataRef sig[5] = { cg->di_long, cg->di_voidp, cg->di_voidp, cg->di_voidp, cg->di_voidp };
	LLVMMetadataRef fnty = LLVMDIBuilderCreateSubroutineType(cg->dib, cg->di_file, sig, 5,
								 LLVMDIFlagZero);
	LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(cg->dib, cg->di_file, name, strlen(name),
							 name, strlen(name), cg->di_file, 0, fnty,
							 true, true, 0, LLVMDIFlagPrototyped, true);
	for (unsigned i = 0; i < 4; i++) {
		LLVMSetValueName2(LLVMGetParam(fn, i), pnames[i], strlen(pnames[i]));
		LLVMDIBuilderCreateParameterVariable(cg->dib, sp, pnames[i], strlen(pnames[i]), i + 1,
						     cg->di_file, 0, cg->di_voidp, true, LLVMDIFlagZero);
	}
	LLVMSetSubprogram(fn, sp);
	*b = LLVMCreateBuilderInContext(cg->ctx);
	LLVMPositionBuilderAtEnd(*b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
	LLVMSetCurrentDebugLocation2(*b, LLVMDIBuilderCreateDebugLocation(cg->ctx, 0, 0, sp, NULL));
	return fn;
}

/* long cb(map, key, value, ctx) { return 0; }: bpf_for_each_map_elem()
 * then visits every element and returns how many it visited. */
static LLVMValueRef count_callback(struct cg *cg)
{
	LLVMBuilderRef b;
	LLVMValueRef fn = callback_shell(cg, "sonde_count_elem", &b);
	if (b) {
		LLVMBuildRet(b, cg_const(cg, 0));
		LLVMDisposeBuilder(b);
	}
	return fn;
}

/* For a map keeping a key per bucket (hist, lhist, tseries): a callback
 * that stops at (returns 1 for) the first element whose user key, the
 * first `words` u64s of its BPF key, equals the ctx's, and then sets the
 * ctx's word `words` to 1. */
static LLVMValueRef prefix_callback(struct cg *cg, uint32_t words)
{
	char name[48];
	snprintf(name, sizeof(name), "sonde_has_key_%u", (unsigned)words);
	LLVMBuilderRef b;
	LLVMValueRef fn = callback_shell(cg, name, &b);
	if (!b)
		return fn;
	LLVMValueRef key = LLVMGetParam(fn, 1), ctx = LLVMGetParam(fn, 3);
	LLVMValueRef same = LLVMConstInt(cg->i1, 1, false);
	for (uint32_t w = 0; w < words; w++) {
		LLVMValueRef idx = LLVMConstInt(cg->i64, w, false);
		LLVMValueRef a = LLVMBuildLoad2(b, cg->i64, LLVMBuildGEP2(b, cg->i64, key, &idx, 1, ""), "");
		LLVMValueRef c = LLVMBuildLoad2(b, cg->i64, LLVMBuildGEP2(b, cg->i64, ctx, &idx, 1, ""), "");
		LLVMSetAlignment(a, 8);
		LLVMSetAlignment(c, 8);
		same = LLVMBuildAnd(b, same, LLVMBuildICmp(b, LLVMIntEQ, a, c, ""), "");
	}
	LLVMBasicBlockRef found = LLVMAppendBasicBlockInContext(cg->ctx, fn, "found");
	LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, fn, "next");
	LLVMBuildCondBr(b, same, found, next);
	LLVMPositionBuilderAtEnd(b, found);
	LLVMValueRef at = LLVMConstInt(cg->i64, words, false);
	LLVMSetAlignment(LLVMBuildStore(b, cg_const(cg, 1), LLVMBuildGEP2(b, cg->i64, ctx, &at, 1, "")), 8);
	LLVMBuildRet(b, cg_const(cg, 1));
	LLVMPositionBuilderAtEnd(b, next);
	LLVMBuildRet(b, cg_const(cg, 0));
	LLVMDisposeBuilder(b);
	return fn;
}

/* has_key(@h, k) of a map with a BPF key per bucket: whether any bucket
 * of k is in use, by a walk comparing the user key part. */
static LLVMValueRef has_key_bucketed(struct cg *cg, struct map_info *m, struct node *keys)
{
	uint32_t words = cg_round8(m->key->size) / 8;
	LLVMValueRef key = cg_map_key(cg, m, keys, cg_const(cg, 0));
	LLVMValueRef ctx = cg_temp_stack(cg, (words + 1) * 8);
	cg_copy(cg, ctx, key, words * 8, 8);
	LLVMSetAlignment(LLVMBuildStore(cg->b, cg_const(cg, 0), cg_ptr_add(cg, ctx, words * 8)), 8);
	LLVMValueRef args[4] = { cg_map_global(cg, m), prefix_callback(cg, words), ctx, cg_const(cg, 0) };
	cg_helper(cg, HELPER_FOR_EACH_MAP_ELEM, cg->i64, args, 4);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, ctx, words * 8), "");
	LLVMSetAlignment(v, 8);
	return v;
}

LLVMValueRef cg_fn_len(struct cg *cg, struct node *n)
{
	if (n->args->type && n->args->type->kind == TY_STACK)
		return cg_stack_len(cg, cg_expr(cg, n->args)); /* codegen/stacks.c */
	LLVMValueRef args[4] = { cg_map_global(cg, n->map), count_callback(cg),
				 LLVMConstNull(cg->ptr), cg_const(cg, 0) };
	return cg_helper(cg, HELPER_FOR_EACH_MAP_ELEM, cg->i64, args, 4);
}
