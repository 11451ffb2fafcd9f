/* cg.c - the codegen driver: LLVM module and BPF target machine, debug info
 * (which becomes BTF and line info), the map / config / license globals, one
 * function per program group, optimisation and emission to memory.
 *
 * The central rule (see shared notes, llvm-bpf-recipe.md): everything that
 * must reach the kernel as BTF needs debug info, and every function parameter
 * must be named in it, or libbpf silently drops the whole .BTF section. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/IRReader.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <llvm/Config/llvm-config.h>

#include "cg.h"

#if LLVM_VERSION_MAJOR < 15
#error "sonde needs LLVM 15 or newer (opaque pointers in the C API)"
#endif

#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_PERCPU_HASH 5
#define BPF_MAP_TYPE_PERCPU_ARRAY 6
#define BPF_MAP_TYPE_STACK_TRACE 7
#define BPF_MAP_TYPE_LRU_HASH 9
#define BPF_MAP_TYPE_LRU_PERCPU_HASH 10
#define BPF_MAP_TYPE_RINGBUF 27
/* hist/lhist keys include the bucket, so one user key takes an entry per
 * bucket in use: room for SONDE_MAX_MAP_KEYS keys of 16 buckets each (a
 * latency hist() typically spans 10-20 powers of two). A full map's dropped
 * updates are counted and reported (maps.c). */
#define CG_HIST_MAX_ENTRIES (SONDE_MAX_MAP_KEYS * 16)

#define DW_ATE_signed 0x05
#define DW_ATE_unsigned 0x07
#define DW_ATE_unsigned_char 0x08

/* ---- small shared helpers ------------------------------------------------ */

void cg_error(struct cg *cg, srcloc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreport(cg->diag, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
	cg->errors++;
}

void cg_set_loc(struct cg *cg, srcloc loc)
{
	if (loc.line > 0)
		cg->cur_loc = loc;
	unsigned line = loc.line > 0 ? (unsigned)loc.line : 0;
	unsigned col = loc.col > 0 ? (unsigned)loc.col : 0;
	if (!line && cg->group && cg->group->nactions) {
		line = (unsigned)cg->group->actions[0]->loc.line;
		col = (unsigned)cg->group->actions[0]->loc.col;
	}
	LLVMMetadataRef dl = LLVMDIBuilderCreateDebugLocation(cg->ctx, line, col, cg->di_sp, NULL);
	LLVMSetCurrentDebugLocation2(cg->b, dl);
}

LLVMBasicBlockRef cg_block(struct cg *cg, const char *name)
{
	return LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, name);
}

LLVMValueRef cg_const(struct cg *cg, uint64_t v)
{
	return LLVMConstInt(cg->i64, v, false);
}

LLVMValueRef cg_alloca(struct cg *cg, uint32_t size)
{
	LLVMBuilderRef ab = LLVMCreateBuilderInContext(cg->ctx);
	LLVMValueRef first = LLVMGetFirstInstruction(cg->entry);
	if (first)
		LLVMPositionBuilderBefore(ab, first);
	else
		LLVMPositionBuilderAtEnd(ab, cg->entry);
	LLVMValueRef slot = LLVMBuildAlloca(ab, LLVMArrayType(cg->i8, cg_round8(size ? size : 8)), "");
	LLVMSetAlignment(slot, 8);
	LLVMDisposeBuilder(ab);
	return slot;
}

/* The smallest free pooled slot that fits, or a new one. Scratch slots are
 * carved from the per-CPU scratch value at increasing offsets; released
 * ones are reused like stack slots. */
static int temp_find(struct cg *cg, uint32_t size, bool scratch)
{
	int best = -1;
	for (int i = 0; i < cg->ntemps; i++) {
		struct cg_temp *t = &cg->temps[i];
		if (!t->busy && t->in_scratch == scratch && t->size >= size &&
		    (best < 0 || t->size < cg->temps[best].size))
			best = i;
	}
	return best;
}

static int temp_new(struct cg *cg, uint32_t size, bool scratch)
{
	if (cg->ntemps == cg->cap_temps) {
		cg->cap_temps = cg->cap_temps ? cg->cap_temps * 2 : 16;
		cg->temps = xrealloc(cg->temps, (size_t)cg->cap_temps * sizeof(*cg->temps));
	}
	struct cg_temp *t = &cg->temps[cg->ntemps];
	memset(t, 0, sizeof(*t));
	t->size = size;
	t->in_scratch = scratch;
	if (scratch) {
		t->offset = cg->scratch_used;
		cg->scratch_used += size;
		if (cg->scratch_used > cg->scratch_high) {
			cg->scratch_high = cg->scratch_used;
			if (cg->group && cg->group->nactions)
				cg->scratch_high_loc = cg->group->actions[0]->loc;
		}
	} else {
		t->slot = cg_alloca(cg, size);
	}
	return cg->ntemps++;
}

static LLVMValueRef temp_take(struct cg *cg, uint32_t size, bool scratch);

LLVMValueRef cg_temp(struct cg *cg, uint32_t size)
{
	size = cg_round8(size ? size : 8);
	return temp_take(cg, size, size > cg->stack_limit);
}

LLVMValueRef cg_temp_stack(struct cg *cg, uint32_t size)
{
	return temp_take(cg, cg_round8(size ? size : 8), false);
}

static LLVMValueRef temp_take(struct cg *cg, uint32_t size, bool scratch)
{
	int best = temp_find(cg, size, scratch);
	if (best < 0)
		best = temp_new(cg, size, scratch);
	cg->temps[best].busy = true;
	if (cg->nheld == cg->cap_held) {
		cg->cap_held = cg->cap_held ? cg->cap_held * 2 : 16;
		cg->held = xrealloc(cg->held, (size_t)cg->cap_held * sizeof(*cg->held));
	}
	cg->held[cg->nheld++] = best;
	struct cg_temp *t = &cg->temps[best];
	if (!t->in_scratch)
		return t->slot;
	return cg_ptr_add(cg, cg_scratch_base(cg), t->offset);
}

/* This CPU's scratch memory: one lookup per program, in the entry block
 * (dominating every use), of the scratch array's element for this CPU.
 * BPF programs run with migration disabled, so the CPU cannot change
 * under the program. cg_end_program() leaves the program when the lookup
 * fails (a CPU beyond the map's entries, which the runtime sizes to the
 * possible CPUs), and the verifier wants the check anyway. */
LLVMValueRef cg_scratch_base(struct cg *cg)
{
	if (cg->scratch_base)
		return cg->scratch_base;
	LLVMBuilderRef eb = LLVMCreateBuilderInContext(cg->ctx);
	LLVMPositionBuilderAtEnd(eb, cg->entry);
	LLVMValueRef key = cg_alloca(cg, 8);
	LLVMTypeRef cpu_fnty = LLVMFunctionType(cg->i64, NULL, 0, false);
	LLVMValueRef cpu_fn = LLVMConstIntToPtr(cg_const(cg, HELPER_GET_SMP_PROCESSOR_ID), cg->ptr);
	LLVMValueRef cpu = LLVMBuildCall2(eb, cpu_fnty, cpu_fn, NULL, 0, "cpu");
	LLVMValueRef cpu32 = LLVMBuildTrunc(eb, cpu, cg->i32, "");
	LLVMSetAlignment(LLVMBuildStore(eb, cpu32, key), 4);
	LLVMValueRef args[2] = { cg->scratch_map, key };
	LLVMTypeRef params[2] = { cg->ptr, cg->ptr };
	LLVMTypeRef fnty = LLVMFunctionType(cg->ptr, params, 2, false);
	LLVMValueRef callee = LLVMConstIntToPtr(cg_const(cg, HELPER_MAP_LOOKUP_ELEM), cg->ptr);
	cg->scratch_base = LLVMBuildCall2(eb, fnty, callee, args, 2, "scratch");
	LLVMDisposeBuilder(eb);
	return cg->scratch_base;
}

int cg_temp_mark(struct cg *cg)
{
	return cg->nheld;
}

void cg_temp_release(struct cg *cg, int mark)
{
	while (cg->nheld > mark)
		cg->temps[cg->held[--cg->nheld]].busy = false;
}

LLVMValueRef cg_helper(struct cg *cg, enum bpf_helper id, LLVMTypeRef ret, LLVMValueRef *args,
		       unsigned nargs)
{
	LLVMTypeRef params[8];
	for (unsigned i = 0; i < nargs && i < 8; i++)
		params[i] = LLVMTypeOf(args[i]);
	LLVMTypeRef fnty = LLVMFunctionType(ret, params, nargs, false);
	/* BPF calls helpers by number: a call through the constant address
	 * `id` is what the backend turns into `call id`. */
	LLVMValueRef callee = LLVMConstIntToPtr(cg_const(cg, id), cg->ptr);
	return LLVMBuildCall2(cg->b, fnty, callee, args, nargs, "");
}

LLVMValueRef cg_config_load(struct cg *cg, enum cg_config_field f)
{
	LLVMValueRef p = cg_ptr_add(cg, cg->config, (uint64_t)f * 8);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, p, "");
	LLVMSetAlignment(v, 8);
	return v;
}

/* ---- debug-info types ------------------------------------------------------ */

static LLVMMetadataRef di_ptr_to(struct cg *cg, LLVMMetadataRef pointee)
{
	return LLVMDIBuilderCreatePointerType(cg->dib, pointee, 64, 64, 0, "", 0);
}

static LLVMMetadataRef di_array(struct cg *cg, LLVMMetadataRef elem, uint64_t elem_bits,
				uint64_t count)
{
	LLVMMetadataRef range = LLVMDIBuilderGetOrCreateSubrange(cg->dib, 0, (int64_t)count);
	return LLVMDIBuilderCreateArrayType(cg->dib, elem_bits * count, (uint32_t)elem_bits, elem,
					    &range, 1);
}

static LLVMMetadataRef di_bytes(struct cg *cg, uint32_t size)
{
	return di_array(cg, cg->di_uchar, 8, size);
}

/* libbpf's __uint(name, N): a pointer to an int array of N elements. */
static LLVMMetadataRef di_uint_attr(struct cg *cg, uint64_t n)
{
	return di_ptr_to(cg, di_array(cg, cg->di_int, 32, n));
}

static LLVMMetadataRef di_struct(struct cg *cg, const char *name, const char **names,
				 LLVMMetadataRef *types, int n)
{
	LLVMMetadataRef members[8];
	for (int i = 0; i < n; i++)
		members[i] = LLVMDIBuilderCreateMemberType(cg->dib, cg->di_file, names[i],
							   strlen(names[i]), cg->di_file, 0, 64, 64,
							   (uint64_t)i * 64, LLVMDIFlagZero, types[i]);
	return LLVMDIBuilderCreateStructType(cg->dib, cg->di_file, name, strlen(name), cg->di_file, 0,
					     (uint64_t)n * 64, 64, LLVMDIFlagZero, NULL, members,
					     (unsigned)n, 0, NULL, "", 0);
}

static void di_global(struct cg *cg, LLVMValueRef g, const char *name, LLVMMetadataRef type)
{
	LLVMMetadataRef expr = LLVMDIBuilderCreateExpression(cg->dib, NULL, 0);
	LLVMMetadataRef gve = LLVMDIBuilderCreateGlobalVariableExpression(
		cg->dib, cg->di_cu, name, strlen(name), name, strlen(name), cg->di_file, 0, type,
		false, expr, NULL, 64);
	LLVMGlobalSetMetadata(g, LLVMGetMDKindIDInContext(cg->ctx, "dbg", 3), gve);
}

/* ---- globals ------------------------------------------------------------- */

/* In a chunked compile (see cg_compile) every chunk defines the globals
 * its programs use; weak definitions let libbpf's linker keep one. */
static void share_global(struct cg *cg, LLVMValueRef g)
{
	if (cg->chunked)
		LLVMSetLinkage(g, LLVMWeakAnyLinkage);
}

/* A BTF-defined map's global: struct { type; max_entries; key; value; }
 * (or the first two) in ".maps"; its BTF comes with map_di(). */
static LLVMValueRef declare_map(struct cg *cg, const char *name, bool keyed)
{
	LLVMTypeRef fields[4] = { cg->ptr, cg->ptr, cg->ptr, cg->ptr };
	LLVMTypeRef ty = LLVMStructTypeInContext(cg->ctx, fields, keyed ? 4 : 2, false);
	LLVMValueRef g = LLVMAddGlobal(cg->mod, ty, name);
	LLVMSetInitializer(g, LLVMConstNull(ty));
	LLVMSetSection(g, ".maps");
	LLVMSetAlignment(g, 8);
	share_global(cg, g);
	return g;
}

static void map_di(struct cg *cg, LLVMValueRef g, const char *name, unsigned type,
		   uint64_t max_entries, LLVMMetadataRef key, LLVMMetadataRef value)
{
	static const char *names[] = { "type", "max_entries", "key", "value" };
	LLVMMetadataRef types[4] = { di_uint_attr(cg, type), di_uint_attr(cg, max_entries),
				     key ? di_ptr_to(cg, key) : NULL,
				     value ? di_ptr_to(cg, value) : NULL };
	di_global(cg, g, name, di_struct(cg, "", names, types, key ? 4 : 2));
}

static LLVMValueRef define_map(struct cg *cg, const char *name, unsigned type, uint64_t max_entries,
			       LLVMMetadataRef key, LLVMMetadataRef value)
{
	LLVMValueRef g = declare_map(cg, name, key != NULL);
	map_di(cg, g, name, type, max_entries, key, value);
	return g;
}

/* Probes run from a perf event's overflow (hardirq or NMI: cpu-clock
 * timers, hardware counters, breakpoints). */
static bool runs_from_perf_event(const struct probe_provider *prov)
{
	enum probe_type t = prov ? prov->type : PT_BEGIN;
	return t == PT_INTERVAL || t == PT_PROFILE || t == PT_SOFTWARE || t == PT_HARDWARE ||
	       t == PT_WATCHPOINT || t == PT_ASYNCWATCHPOINT;
}

/* Tracepoints of the scheduler and of interrupt handling run with
 * interrupts off, often many in a row (sched_waking, sched_wakeup,
 * sched_switch, sched_stat_* of one wakeup). An element inserted into a
 * map without preallocation comes from the BPF allocator's small per-CPU
 * cache, which an irq_work refills only once interrupts are back on: a
 * burst of new keys in between empties it and the kernel refuses the next
 * insert (seen with @[probe, cpu] = count() on tracepoint:sched:sched*, on
 * 6.18: dropped updates in most 0.5 s runs; none preallocated). */
static bool runs_with_irqs_off(const struct prog_group *g)
{
	static const char *const categories[] = { "sched:", "irq:", "irq_vectors:", "timer:", "ipi:",
						   "irq_matrix:" };
	if (!g->prov || g->prov->type != PT_TRACEPOINT || !g->target.target)
		return false;
	for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
		if (strncmp(g->target.target, categories[i], strlen(categories[i])) == 0)
			return true;
	return false;
}

/* Marks the maps that the subtree writes (@m[k] = v, @m++: the only ways a
 * program adds an element) as needing preallocation. */
static void mark_written_maps(struct desc *d, const struct node *n)
{
	for (; n; n = n->next) {
		if ((n->kind == N_ASSIGN || n->kind == N_INCDEC) && n->lhs && n->lhs->kind == N_MAP &&
		    n->lhs->map && n->lhs->map->id >= 0 && n->lhs->map->id < d->nmaps)
			d->maps[n->lhs->map->id].prealloc = true;
		const struct node *kids[] = { n->lhs, n->rhs, n->cond, n->then, n->els, n->args, n->body };
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			mark_written_maps(d, kids[i]);
	}
}

/* A map updated from a perf-event program or from a tracepoint that runs
 * with interrupts off keeps its elements preallocated; the runtime
 * allocates the others' on first use. */
static void mark_preallocated_maps(struct cg *cg)
{
	for (int i = 0; i < cg->res->ngroups; i++) {
		const struct prog_group *g = &cg->res->groups[i];
		if (!runs_from_perf_event(g->prov) && !runs_with_irqs_off(g))
			continue;
		for (int a = 0; a < g->nactions; a++) {
			mark_written_maps(cg->desc, g->actions[a]->pred);
			mark_written_maps(cg->desc, g->actions[a]->body);
		}
	}
}

/* The global of user map `id`, defined on first use: a chunk defines only
 * the maps its programs use (each map global costs the BTF emitter time
 * in every function of the module). */
LLVMValueRef cg_user_map(struct cg *cg, int id)
{
	if (cg->maps[id])
		return cg->maps[id];
	const struct desc_map *m = &cg->desc->maps[id];
	const struct agg_desc *agg = m->kind == MAP_PLAIN ? NULL : agg_find(m->kind);
	bool bucketed = agg && agg->bucketed;
	unsigned type = m->kind == MAP_PLAIN ? (m->lru ? BPF_MAP_TYPE_LRU_HASH : BPF_MAP_TYPE_HASH)
					     : (m->lru ? BPF_MAP_TYPE_LRU_PERCPU_HASH
						       : BPF_MAP_TYPE_PERCPU_HASH);
	uint32_t entries = bucketed ? CG_HIST_MAX_ENTRIES : SONDE_MAX_MAP_KEYS;
	if (m->array) {
		LLVMMetadataRef u32 = LLVMDIBuilderCreateBasicType(cg->dib, "unsigned int", 12, 32,
								   DW_ATE_unsigned, LLVMDIFlagZero);
		cg->maps[id] = define_map(cg, m->bpf_name, BPF_MAP_TYPE_PERCPU_ARRAY,
					  (uint32_t)agg->nbuckets(m), u32, di_bytes(cg, m->value_size));
		return cg->maps[id];
	}
	cg->maps[id] = define_map(cg, m->bpf_name, type, m->max_entries ? m->max_entries : entries,
				  di_bytes(cg, m->key_size), di_bytes(cg, m->value_size));
	return cg->maps[id];
}

/* The map of output channel k (desc_channel_specs), on first use. */
LLVMValueRef cg_channel_map(struct cg *cg, enum desc_channel_kind k)
{
	const struct desc_channel_spec *spec = &desc_channel_specs[k];
	LLVMValueRef g = LLVMGetNamedGlobal(cg->mod, spec->name);
	if (g)
		return g;
	LLVMMetadataRef u32 = LLVMDIBuilderCreateBasicType(cg->dib, "unsigned int", 12, 32,
							   DW_ATE_unsigned, LLVMDIFlagZero);
	return define_map(cg, spec->name, spec->map_type, spec->max_entries, u32, u32);
}

/* User maps up front in one module (their order in the object is the
 * script's); a chunk defines them as its programs use them. The ring
 * buffer and the counters of lost events and dropped updates are
 * finished after the last program (finish_internals). */
static void define_maps(struct cg *cg)
{
	struct desc *d = cg->desc;
	cg->maps = xcalloc((size_t)d->nmaps + 1, sizeof(*cg->maps));
	cg->drop_index = xcalloc((size_t)d->nmaps + 1, sizeof(*cg->drop_index));
	for (int i = 0; i < d->nmaps && !cg->chunked; i++)
		cg_user_map(cg, i);
	cg->ringbuf = declare_map(cg, d->ringbuf_name, false);
	cg->lost = declare_map(cg, d->lost_name, true);
	cg->dropped = declare_map(cg, d->dropped_name, true);
}

LLVMValueRef cg_stack_map(struct cg *cg, const struct type *t)
{
	for (int i = 0; i < cg->nstack_maps; i++)
		if (SONDE_STACK_MAP_KIND(cg->stack_maps[i].type) == SONDE_STACK_MAP_KIND(t) &&
		    cg->stack_maps[i].type->count == t->count)
			return cg->stack_maps[i].g;
	char name[32];
	snprintf(name, sizeof(name), SONDE_STACK_MAP_FMT, SONDE_STACK_MAP_KIND(t), (unsigned)t->count);
	LLVMMetadataRef u32 = LLVMDIBuilderCreateBasicType(cg->dib, "unsigned int", 12, 32,
							   DW_ATE_unsigned, LLVMDIFlagZero);
	LLVMValueRef g = define_map(cg, name, BPF_MAP_TYPE_STACK_TRACE, SONDE_MAX_MAP_KEYS, u32,
				    di_bytes(cg, t->count * SONDE_STACK_FRAME_SIZE(t)));
	cg->stack_maps = xrealloc(cg->stack_maps, sizeof(*cg->stack_maps) * (size_t)(cg->nstack_maps + 1));
	cg->stack_maps[cg->nstack_maps++] = (struct cg_stack_map){ t, g };
	return g;
}

/* The scratch map is referenced while programs are emitted but sized only
 * after the last one: its global exists from the start, its BTF (which
 * carries the value size) is attached at the end. It is a plain array with
 * one element per CPU, not a per-CPU array: a per-CPU value may hold only
 * 32 KiB, and big strings (max_strlen up to bpftrace's limits) need more. */
static void declare_scratch(struct cg *cg)
{
	LLVMTypeRef fields[4] = { cg->ptr, cg->ptr, cg->ptr, cg->ptr };
	LLVMTypeRef ty = LLVMStructTypeInContext(cg->ctx, fields, 4, false);
	cg->scratch_map = LLVMAddGlobal(cg->mod, ty, SONDE_SCRATCH_MAP);
	LLVMSetInitializer(cg->scratch_map, LLVMConstNull(ty));
	LLVMSetSection(cg->scratch_map, ".maps");
	LLVMSetAlignment(cg->scratch_map, 8);
	share_global(cg, cg->scratch_map);
}

static void finish_scratch(struct cg *cg)
{
	if (cg->scratch_high == 0 || !LLVMGetFirstUse(cg->scratch_map)) {
		LLVMDeleteGlobal(cg->scratch_map);
		cg->scratch_map = NULL;
		return;
	}
	if (cg->scratch_high > CG_SCRATCH_MAX) {
		cg_error(cg, cg->scratch_high_loc,
			 "this probe needs %u bytes of scratch memory, more than the %d a map value holds "
			 "(lower max_strlen, or use fewer long strings in one probe)",
			 (unsigned)cg->scratch_high, CG_SCRATCH_MAX);
		return;
	}
	/* a cache line per CPU at least, so that CPUs do not share lines */
	uint32_t size = (cg->scratch_high + 63u) & ~63u;
	int ncpus = libbpf_num_possible_cpus();
	static const char *names[] = { "type", "max_entries", "key", "value" };
	LLVMMetadataRef u32 = LLVMDIBuilderCreateBasicType(cg->dib, "unsigned int", 12, 32,
							   DW_ATE_unsigned, LLVMDIFlagZero);
	LLVMMetadataRef types[4] = { di_uint_attr(cg, BPF_MAP_TYPE_ARRAY),
				     di_uint_attr(cg, ncpus > 0 ? (uint64_t)ncpus : 1),
				     di_ptr_to(cg, u32), di_ptr_to(cg, di_bytes(cg, size)) };
	di_global(cg, cg->scratch_map, SONDE_SCRATCH_MAP, di_struct(cg, "", names, types, 4));
}

/* struct rt_config in ".rodata". Deliberately not `constant` in IR: LLVM
 * would fold its loads to the zero initialiser. libbpf freezes the section
 * after the runtime fills it, so the verifier sees the real constants. */
static void define_config(struct cg *cg)
{
	LLVMTypeRef fields[5] = { cg->i64, cg->i64, cg->i64, cg->i64, cg->i64 };
	LLVMTypeRef ty = LLVMStructTypeInContext(cg->ctx, fields, 5, false);
	LLVMValueRef g = LLVMAddGlobal(cg->mod, ty, SONDE_CONFIG_VAR);
	LLVMSetInitializer(g, LLVMConstNull(ty));
	LLVMSetSection(g, ".rodata");
	LLVMSetAlignment(g, 8);
	share_global(cg, g);
	/* libbpf's linker merges sections of equal flags only: a chunk whose
	 * .rodata also holds a constant (the probe-name table) must agree
	 * with the others. A constant that is externally initialised is
	 * read-only ("a") and its loads are still not folded. */
	if (cg->chunked) {
		LLVMSetGlobalConstant(g, true);
		LLVMSetExternallyInitialized(g, true);
	}
	cg->config = g;
}

/* The config's BTF, which the runtime finds it by (finish_internals). */
static void config_di(struct cg *cg)
{
	static const char *names[] = { "self_tgid", "filter_tgid", "cpid", "start_ns", "tai_offset_ns" };
	LLVMMetadataRef types[5] = { cg->di_u64, cg->di_u64, cg->di_u64, cg->di_u64, cg->di_u64 };
	di_global(cg, cg->config, SONDE_CONFIG_VAR, di_struct(cg, "rt_config", names, types, 5));
}

/* Ring-buffer bytes for events that come only from BEGIN/END programs,
 * `need` at most per program: the smallest power of two of whole pages
 * that holds them, never more than the default. */
static uint32_t ringbuf_bytes(uint32_t deflt, uint64_t need)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t n = page > 0 ? (uint64_t)page : 4096u;
	while (n < need && n < deflt)
		n <<= 1;
	return n < deflt ? (uint32_t)n : deflt;
}

enum cg_internal { CG_RINGBUF, CG_LOST, CG_DROPPED, CG_CONFIG };

static LLVMValueRef *internal_global(struct cg *cg, enum cg_internal which)
{
	switch (which) {
	case CG_RINGBUF:
		return &cg->ringbuf;
	case CG_LOST:
		return &cg->lost;
	case CG_DROPPED:
		return &cg->dropped;
	default:
		return &cg->config;
	}
}

static bool used_in_any(struct cg *chunks, int n, enum cg_internal which)
{
	for (int c = 0; c < n; c++)
		if (LLVMGetFirstUse(*internal_global(&chunks[c], which)))
			return true;
	return false;
}

/* Deletes that global of every chunk (no program uses it). */
static void delete_in_all(struct cg *chunks, int n, enum cg_internal which)
{
	for (int c = 0; c < n; c++) {
		LLVMValueRef *g = internal_global(&chunks[c], which);
		LLVMDeleteGlobal(*g);
		*g = NULL;
	}
}

/* The objects every script had: the ring buffer, the lost-event and
 * dropped-update counters and the config. Each is a kernel object that
 * costs time at every start (a map to create, for .rodata also libbpf's
 * feature probes, a freeze and a bind), so one that no program uses is
 * left out, and its name in the description is NULL (the runtime then has
 * nothing to read). The ring buffer of a script whose events all come
 * from BEGIN/END is as big as those events (cg_event_output). */
static void finish_internals(struct cg *chunks, int n)
{
	struct desc *d = chunks[0].desc;
	uint64_t need = 0;
	bool unbounded = false;
	for (int c = 0; c < n; c++) {
		need = chunks[c].oneshot_event_bytes > need ? chunks[c].oneshot_event_bytes : need;
		unbounded = unbounded || chunks[c].events_unbounded;
	}
	if (!used_in_any(chunks, n, CG_RINGBUF)) {
		delete_in_all(chunks, n, CG_RINGBUF);
		free(d->ringbuf_name);
		d->ringbuf_name = NULL;
	} else {
		if (!unbounded)
			d->ringbuf_size = ringbuf_bytes(d->ringbuf_size, need);
		for (int c = 0; c < n; c++)
			map_di(&chunks[c], chunks[c].ringbuf, d->ringbuf_name, BPF_MAP_TYPE_RINGBUF,
			       d->ringbuf_size, NULL, NULL);
	}
	char **names[2] = { &d->lost_name, &d->dropped_name };
	enum cg_internal which[2] = { CG_LOST, CG_DROPPED };
	uint32_t slots[2] = { 1, SONDE_DROPPED_SLOTS(d->nmaps) };
	for (int k = 0; k < 2; k++) {
		if (!used_in_any(chunks, n, which[k])) {
			delete_in_all(chunks, n, which[k]);
			free(*names[k]);
			*names[k] = NULL;
			continue;
		}
		for (int c = 0; c < n; c++) {
			struct cg *cg = &chunks[c];
			LLVMMetadataRef u32 = LLVMDIBuilderCreateBasicType(cg->dib, "unsigned int", 12, 32,
									   DW_ATE_unsigned, LLVMDIFlagZero);
			map_di(cg, *internal_global(cg, which[k]), *names[k],
			       BPF_MAP_TYPE_PERCPU_ARRAY, slots[k], u32, cg->di_u64);
		}
	}
	if (!used_in_any(chunks, n, CG_CONFIG)) {
		delete_in_all(chunks, n, CG_CONFIG);
		return;
	}
	for (int c = 0; c < n; c++)
		config_di(&chunks[c]);
}

LLVMValueRef cg_drop_index(struct cg *cg, int id)
{
	if (cg->drop_index[id])
		return LLVMBuildLoad2(cg->b, cg->i32, cg->drop_index[id], "");
	char name[32];
	snprintf(name, sizeof(name), SONDE_DROP_INDEX_FMT, id);
	LLVMValueRef g = LLVMAddGlobal(cg->mod, cg->i32, name);
	LLVMSetInitializer(g, LLVMConstInt(cg->i32, SONDE_DROPPED_FULL(id), false));
	LLVMSetSection(g, ".rodata");
	LLVMSetAlignment(g, 4);
	share_global(cg, g);
	/* as the config (define_config): never folded into the code, and in
	 * a chunk read-only like the rest of its .rodata */
	if (cg->chunked) {
		LLVMSetGlobalConstant(g, true);
		LLVMSetExternallyInitialized(g, true);
	}
	/* BTF for it only where libbpf's linker wants BTF for every global
	 * symbol: in one module, each name more in BTF's string table costs
	 * LLVM a search of the whole table (quadratic in 1,000 clones) */
	if (cg->chunked) {
		LLVMMetadataRef u32 = LLVMDIBuilderCreateBasicType(cg->dib, "unsigned int", 12, 32,
								   DW_ATE_unsigned, LLVMDIFlagZero);
		di_global(cg, g, name, u32);
	}
	cg->drop_index[id] = g;
	return LLVMBuildLoad2(cg->b, cg->i32, g, "");
}

/* The drop index is a symbol only so that clones can count in their own
 * maps' slots. A program no clone copies reads it as the immediate it
 * always was, and a global left unread is deleted: a script with nothing
 * cloned then has no .rodata of drop indexes, no map libbpf must create
 * and freeze, and none of libbpf's feature probes for it. */
static void fold_drop_indexes(struct cg *cg)
{
	for (int id = 0; id < cg->desc->nmaps; id++) {
		LLVMValueRef g = cg->drop_index[id];
		if (!g)
			continue;
		LLVMValueRef imm = LLVMConstInt(cg->i32, SONDE_DROPPED_FULL(id), false);
		LLVMUseRef next;
		for (LLVMUseRef u = LLVMGetFirstUse(g); u; u = next) {
			next = LLVMGetNextUse(u);
			LLVMValueRef load = LLVMGetUser(u);
			if (!LLVMIsALoadInst(load) ||
			    cg_clones_is_template(cg->clones,
						  LLVMGetBasicBlockParent(LLVMGetInstructionParent(load))))
				continue;
			LLVMReplaceAllUsesWith(load, imm);
			LLVMInstructionEraseFromParent(load);
		}
		if (!LLVMGetFirstUse(g) && !cg_clones_keep_drop_index(cg->clones, id)) {
			LLVMDeleteGlobal(g);
			cg->drop_index[id] = NULL;
		}
	}
}

static void define_license(struct cg *cg)
{
	const char *license = cg->license ? cg->license : "GPL";
	LLVMValueRef init = LLVMConstStringInContext(cg->ctx, license, (unsigned)strlen(license), false);
	LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(init), "LICENSE");
	LLVMSetInitializer(g, init);
	LLVMSetSection(g, "license");
	LLVMSetAlignment(g, 1);
	/* the linker wants BTF for every global symbol */
	if (cg->chunked) {
		share_global(cg, g);
		di_global(cg, g, "LICENSE", di_bytes(cg, (uint32_t)strlen(license)));
	}
}

/* ---- programs -------------------------------------------------------------- */

static LLVMMetadataRef program_subprogram(struct cg *cg, const char *name, unsigned line)
{
	LLVMMetadataRef sig[2] = { cg->di_long, cg->di_voidp };
	LLVMMetadataRef fnty = LLVMDIBuilderCreateSubroutineType(cg->dib, cg->di_file, sig, 2,
								 LLVMDIFlagZero);
	LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(cg->dib, cg->di_file, name, strlen(name),
							 name, strlen(name), cg->di_file, line, fnty,
							 false, true, line, LLVMDIFlagPrototyped,
							 true);
	/* An unnamed parameter makes the kernel reject the object's whole BTF. */
	LLVMDIBuilderCreateParameterVariable(cg->dib, sp, "ctx", 3, 1, cg->di_file, line,
					     cg->di_voidp, true, LLVMDIFlagZero);
	return sp;
}

/* Drop events of sonde itself and, with -p/-c, of every other process. The
 * config values are constants for the verifier, so unused filters vanish.
 * The helper's result is kept for pid/tid in the actions that follow: one
 * call per event instead of two. */
void cg_emit_pid_filter(struct cg *cg)
{
	LLVMValueRef pid_tgid = cg_helper(cg, HELPER_GET_CURRENT_PID_TGID, cg->i64, NULL, 0);
	cg->pid_tgid = pid_tgid;
	LLVMValueRef tgid = LLVMBuildLShr(cg->b, pid_tgid, cg_const(cg, 32), "tgid");
	LLVMBasicBlockRef drop = cg_block(cg, "drop");
	LLVMBasicBlockRef not_self = cg_block(cg, "not_self");
	LLVMBasicBlockRef filtered = cg_block(cg, "filtered");
	LLVMBasicBlockRef keep = cg_block(cg, "keep");

	LLVMValueRef self = cg_config_load(cg, CFG_SELF_TGID);
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, tgid, self, ""), drop, not_self);

	LLVMPositionBuilderAtEnd(cg->b, not_self);
	LLVMValueRef filter = cg_config_load(cg, CFG_FILTER_TGID);
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, filter, cg_const(cg, 0), ""), keep,
			filtered);

	/* A volatile load cannot be speculated, so LLVM keeps this a branch
	 * instead of folding the -p test into the predicate with selects; as a
	 * branch on a constant the verifier removes it when -p is not used. */
	LLVMPositionBuilderAtEnd(cg->b, filtered);
	LLVMValueRef filter_again = cg_config_load(cg, CFG_FILTER_TGID);
	LLVMSetVolatile(filter_again, 1);
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, tgid, filter_again, ""), keep, drop);

	LLVMPositionBuilderAtEnd(cg->b, drop);
	LLVMBuildRet(cg->b, cg_const(cg, 0));

	LLVMPositionBuilderAtEnd(cg->b, keep);
}

/* Which of the action's targets the current program is (args members are
 * resolved per target: struct node.members). */
static int target_index_of(struct cg *cg, const struct probe *p)
{
	int gi = (int)(cg->group - cg->res->groups);
	for (int k = 0; k < p->ntargets; k++)
		if (p->targets[k] == gi)
			return k;
	return 0;
}

void cg_emit_action(struct cg *cg, struct probe *p)
{
	cg_set_loc(cg, p->loc);
	cg->target_index = target_index_of(cg, p);
	cg->action = p;
	cg->nvars = p->nvars;
	cg->vars = xcalloc((size_t)p->nvars + 1, sizeof(*cg->vars));
	/* Variable slots come from the temporary pool and go back to it after
	 * the action: actions run one after the other, and a lowered program
	 * emits the same action once per syscall it dispatches to, which with
	 * a slot per copy would overflow the 512-byte stack. Give every
	 * scratch variable a defined value: the verifier rejects reads of
	 * stack that no path has written. */
	int vars_mark = cg_temp_mark(cg);
	for (struct var_info *v = p->vars; v; v = v->next) {
		if (v->index < 0 || v->index >= p->nvars)
			continue;
		uint32_t size = type_is_scalar(v->type) ? 8 : v->type->size;
		cg->vars[v->index] = cg_temp(cg, size);
		cg_zero(cg, cg->vars[v->index], cg_round8(size));
	}

	LLVMBasicBlockRef next = cg_block(cg, "next_action");
	cg->action_end = next;
	if (p->pred) {
		LLVMBasicBlockRef body = cg_block(cg, "action");
		int mark = cg_temp_mark(cg);
		cg_set_loc(cg, p->pred->loc);
		LLVMValueRef cond = cg_truth(cg, p->pred);
		cg_temp_release(cg, mark);
		LLVMBuildCondBr(cg->b, cond, body, next);
		LLVMPositionBuilderAtEnd(cg->b, body);
	}
	if (p->body)
		cg_block_stmts(cg, p->body->kind == N_BLOCK ? p->body->body : p->body);
	LLVMBuildBr(cg->b, next);
	LLVMPositionBuilderAtEnd(cg->b, next);

	cg_temp_release(cg, vars_mark);
	free(cg->vars);
	cg->vars = NULL;
	cg->nvars = 0;
}

/* BPF has no exceptions. Without `nounwind` LLVM emits unwind tables
 * (.eh_frame and its relocations), which libbpf skips with a message under
 * -v and which only make the object bigger. */
static void mark_nounwind(struct cg *cg, LLVMValueRef fn)
{
	unsigned kind = LLVMGetEnumAttributeKindForName("nounwind", 8);
	LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
				LLVMCreateEnumAttribute(cg->ctx, kind, 0));
}

/* Every function, callbacks too: libbpf's linker refuses the relocations
 * of an .eh_frame (libbpf's loader only skips the section). */
static void mark_module_nounwind(struct cg *cg)
{
	for (LLVMValueRef fn = LLVMGetFirstFunction(cg->mod); fn; fn = LLVMGetNextFunction(fn))
		if (!LLVMIsDeclaration(fn))
			mark_nounwind(cg, fn);
}

/* The stop flag of scripts that detach after their output (desc.h's
 * SONDE_STOP_VAR): zero-initialised in ".bss", written by the runtime. */
static void define_stop(struct cg *cg)
{
	cg->stop = NULL;
	if (cg->res->ngroups < SONDE_DETACH_LATER_MIN)
		return;
	LLVMValueRef g = LLVMAddGlobal(cg->mod, cg->i64, SONDE_STOP_VAR);
	LLVMSetInitializer(g, LLVMConstInt(cg->i64, 0, false));
	LLVMSetSection(g, ".bss");
	LLVMSetAlignment(g, 8);
	share_global(cg, g);
	di_global(cg, g, SONDE_STOP_VAR, cg->di_u64);
	cg->stop = g;
}

/* A program that runs while attached returns at once once the runtime
 * has set the stop flag (BEGIN and END run after it, or before). */
static void emit_stop_check(struct cg *cg, const struct prog_group *g)
{
	if (!cg->stop || !g->prov || !g->prov->attach || g->prov->run)
		return;
	LLVMValueRef flag = LLVMBuildLoad2(cg->b, cg->i64, cg->stop, "stop");
	LLVMSetVolatile(flag, true);
	LLVMSetAlignment(flag, 8);
	LLVMBasicBlockRef stopped = cg_block(cg, "stopped"), go = cg_block(cg, "running");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, flag, cg_const(cg, 0), ""), stopped, go);
	LLVMPositionBuilderAtEnd(cg->b, stopped);
	LLVMBuildRet(cg->b, cg_const(cg, 0));
	LLVMPositionBuilderAtEnd(cg->b, go);
}

/* The function of g's program, positioned in its body block; allocas go to
 * the entry block, which cg_end_program() links to the body. */
void cg_begin_program(struct cg *cg, struct prog_group *g)
{
	cg->group = g;
	cg->target = &g->target;
	cg->pid_tgid = NULL;
	cg->sys_nr = NULL;
	LLVMTypeRef param = cg->ptr;
	LLVMTypeRef fnty = LLVMFunctionType(cg->i64, &param, 1, false);
	cg->fn = LLVMAddFunction(cg->mod, g->prog_name, fnty);
	mark_nounwind(cg, cg->fn);
	char *section = g->prov->section(&g->target);
	LLVMSetSection(cg->fn, section);
	free(section);
	cg->ctx_arg = LLVMGetParam(cg->fn, 0);
	LLVMSetValueName2(cg->ctx_arg, "ctx", 3);

	unsigned line = g->nactions ? (unsigned)g->actions[0]->loc.line : 0;
	cg->di_sp = program_subprogram(cg, g->prog_name, line);
	LLVMSetSubprogram(cg->fn, cg->di_sp);

	cg->entry = cg_block(cg, "entry");
	LLVMBasicBlockRef body = cg_block(cg, "body");
	LLVMPositionBuilderAtEnd(cg->b, body);
	cg_set_loc(cg, g->nactions ? g->actions[0]->loc : (srcloc){ 0 });
	emit_stop_check(cg, g);
}

void cg_close_function(struct cg *cg, uint64_t without_scratch)
{
	LLVMBuildRet(cg->b, cg_const(cg, 0));
	LLVMBasicBlockRef body = LLVMGetNextBasicBlock(cg->entry);
	LLVMPositionBuilderAtEnd(cg->b, cg->entry);
	if (cg->scratch_base) {
		LLVMBasicBlockRef out = cg_block(cg, "no_scratch");
		LLVMValueRef null = LLVMBuildICmp(cg->b, LLVMIntEQ, cg->scratch_base,
						  LLVMConstNull(cg->ptr), "");
		LLVMBuildCondBr(cg->b, null, out, body);
		LLVMPositionBuilderAtEnd(cg->b, out);
		LLVMBuildRet(cg->b, cg_const(cg, without_scratch));
	} else {
		LLVMBuildBr(cg->b, body);
	}
}

/* Returns 0 from the current block and closes the function. */
void cg_end_program(struct cg *cg)
{
	cg_close_function(cg, 0);
	if (cg->prog_event_bytes > cg->oneshot_event_bytes)
		cg->oneshot_event_bytes = cg->prog_event_bytes;
	cg->prog_event_bytes = 0;
	cg->scratch_base = NULL;
	cg->scratch_used = 0;

	cg->ntemps = 0;
	cg->nheld = 0;
	cg->group = NULL;
	cg->target = NULL;
	cg->pid_tgid = NULL;
	cg->sys_nr = NULL;
	cg->fn = NULL;
}

static void emit_program(struct cg *cg, struct prog_group *g)
{
	cg_begin_program(cg, g);
	if (g->prov->filter_self)
		cg_emit_pid_filter(cg);
	if (g->prov->emit_prologue)
		g->prov->emit_prologue(cg);
	for (int i = 0; i < g->nactions; i++)
		cg_emit_action(cg, g->actions[i]);
	cg_end_program(cg);
}

/* Every group is one program, except groups sharing a program name:
 * lowered ones become one program, emitted where the first of them is;
 * others (one program, one link for many targets: probe.h's can_share)
 * run the same code, emitted once for the first. The indices of those
 * first groups ("units", one per program) go to *units. */
/* The first group of each program name, in group order (sorted by name
 * once: comparing each group with every unit so far was quadratic). */
static int program_units(const struct sema_result *r, int **units)
{
	int n = 0;
	*units = xcalloc((size_t)r->ngroups + 1, sizeof(**units));
	struct util_name_index *v = xcalloc((size_t)r->ngroups + 1, sizeof(*v));
	bool *leads = xcalloc((size_t)r->ngroups + 1, sizeof(*leads));
	for (int i = 0; i < r->ngroups; i++)
		v[i] = (struct util_name_index){ r->groups[i].prog_name, i };
	util_sort(v, (size_t)r->ngroups, sizeof(*v), util_name_index_cmp);
	for (int i = 0; i < r->ngroups; i++)
		leads[v[i].index] = i == 0 || strcmp(v[i - 1].name, v[i].name) != 0;
	for (int i = 0; i < r->ngroups; i++)
		if (leads[i])
			(*units)[n++] = i;
	free(leads);
	free(v);
	return n;
}

static void emit_unit(struct cg *cg, int i)
{
	struct sema_result *r = cg->res;
	struct prog_group *g = &r->groups[i];
	if (g->target.lower.kind == LOWER_NONE) {
		emit_program(cg, g);
		return;
	}
	struct prog_group **shared = xcalloc((size_t)r->ngroups + 1, sizeof(*shared));
	int n = 0;
	for (int j = i; j < r->ngroups; j++)
		if (strcmp(r->groups[j].prog_name, g->prog_name) == 0)
			shared[n++] = &r->groups[j];
	cg_emit_lowered_program(cg, shared, n);
	free(shared);
}

/* ---- module set-up and emission ------------------------------------------ */

static void diagnostic_handler(LLVMDiagnosticInfoRef info, void *data)
{
	struct cg *cg = data;
	if (LLVMGetDiagInfoSeverity(info) != LLVMDSError)
		return;
	char *msg = LLVMGetDiagInfoDescription(info);
	if (!cg->llvm_error)
		cg->llvm_error = xstrdup(msg);
	LLVMDisposeMessage(msg);
}

static void init_bpf_target(void)
{
	static int done;
	if (done)
		return;
	LLVMInitializeBPFTargetInfo();
	LLVMInitializeBPFTarget();
	LLVMInitializeBPFTargetMC();
	LLVMInitializeBPFAsmPrinter();
	/* str_word() (refs.c) emits instructions as inline assembly text */
	LLVMInitializeBPFAsmParser();
	done = 1;
}

static int create_target_machine(struct cg *cg, int opt_level)
{
	char *err = NULL;
	LLVMTargetRef target;
	if (LLVMGetTargetFromTriple("bpf", &target, &err)) {
		cg_error(cg, (srcloc){ 0 }, "LLVM has no BPF target: %s", err ? err : "?");
		LLVMDisposeMessage(err);
		return -1;
	}
	LLVMCodeGenOptLevel level = opt_level <= 0   ? LLVMCodeGenLevelNone
				    : opt_level == 1 ? LLVMCodeGenLevelLess
				    : opt_level == 2 ? LLVMCodeGenLevelDefault
						     : LLVMCodeGenLevelAggressive;
	/* cpu v3: 32-bit jumps and ALU ops; every kernel this runs on has them */
	cg->tm = LLVMCreateTargetMachine(target, "bpf", "v3", "", level, LLVMRelocDefault,
					 LLVMCodeModelDefault);
	return cg->tm ? 0 : -1;
}

/* A DIFile that carries the script text, so verifier messages quote the
 * script line even for -e one-liners with no file on disk. The C API cannot
 * set `source:`, so the node comes from a one-line IR snippet parsed in the
 * same context (metadata is owned by the context, not the module). */
static LLVMMetadataRef file_with_source(struct cg *cg, const char *name, const struct source *src)
{
	size_t cap = 128 + 3 * (strlen(name) + src->len);
	char *ir = xmalloc(cap), *o = ir;
	const char *parts[2] = { name, src->text };
	size_t lens[2] = { strlen(name), src->len };
	o += sprintf(o, "!named = !{!0}\n!0 = !DIFile(filename: \"");
	for (int part = 0; part < 2; part++) {
		for (size_t i = 0; i < lens[part]; i++) {
			unsigned char c = (unsigned char)parts[part][i];
			if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
				*o++ = (char)c;
			else
				o += sprintf(o, "\\%02X", c);
		}
		o += sprintf(o, part == 0 ? "\", directory: \"\", source: \"" : "\")\n");
	}
	LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRangeCopy(ir, (size_t)(o - ir), "src");
	free(ir);
	LLVMModuleRef tmp = NULL;
	char *msg = NULL;
	LLVMMetadataRef file = NULL;
	if (LLVMParseIRInContext(cg->ctx, buf, &tmp, &msg) == 0) {
		LLVMValueRef node = NULL;
		if (LLVMGetNamedMetadataNumOperands(tmp, "named") == 1) {
			LLVMGetNamedMetadataOperands(tmp, "named", &node);
			file = LLVMValueAsMetadata(node);
		}
		LLVMDisposeModule(tmp);
	}
	LLVMDisposeMessage(msg);
	return file;
}

static void create_module(struct cg *cg)
{
	cg->ctx = LLVMContextCreate();
	LLVMContextSetDiagnosticHandler(cg->ctx, diagnostic_handler, cg);
	cg->mod = LLVMModuleCreateWithNameInContext("sonde", cg->ctx);
	LLVMSetTarget(cg->mod, "bpf");
	LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(cg->tm);
	LLVMSetModuleDataLayout(cg->mod, layout);
	LLVMDisposeTargetData(layout);
	cg->b = LLVMCreateBuilderInContext(cg->ctx);

	cg->i1 = LLVMInt1TypeInContext(cg->ctx);
	cg->i8 = LLVMInt8TypeInContext(cg->ctx);
	cg->i16 = LLVMInt16TypeInContext(cg->ctx);
	cg->i32 = LLVMInt32TypeInContext(cg->ctx);
	cg->i64 = LLVMInt64TypeInContext(cg->ctx);
	cg->ptr = LLVMPointerTypeInContext(cg->ctx, 0);
	cg->void_t = LLVMVoidTypeInContext(cg->ctx);

	LLVMValueRef dbg_version = LLVMConstInt(cg->i32, LLVMDebugMetadataVersion(), false);
	LLVMAddModuleFlag(cg->mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
			  LLVMValueAsMetadata(dbg_version));
	LLVMAddModuleFlag(cg->mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13,
			  LLVMValueAsMetadata(LLVMConstInt(cg->i32, 5, false)));

	cg->dib = LLVMCreateDIBuilder(cg->mod);
	const char *file = cg->prog && cg->prog->src && cg->prog->src->name ? cg->prog->src->name
									  : "script";
	if (cg->prog && cg->prog->src && cg->prog->src->text)
		cg->di_file = file_with_source(cg, file, cg->prog->src);
	if (!cg->di_file)
		cg->di_file = LLVMDIBuilderCreateFile(cg->dib, file, strlen(file), "", 0);
	cg->di_cu = LLVMDIBuilderCreateCompileUnit(cg->dib, LLVMDWARFSourceLanguageC, cg->di_file,
						   "sonde", 5, true, "", 0, 0, "", 0,
						   LLVMDWARFEmissionFull, 0, false, false, "", 0,
						   "", 0);
	cg->di_uchar = LLVMDIBuilderCreateBasicType(cg->dib, "unsigned char", 13, 8,
						    DW_ATE_unsigned_char, LLVMDIFlagZero);
	cg->di_int = LLVMDIBuilderCreateBasicType(cg->dib, "int", 3, 32, DW_ATE_signed,
						  LLVMDIFlagZero);
	cg->di_u64 = LLVMDIBuilderCreateBasicType(cg->dib, "unsigned long long", 18, 64,
						  DW_ATE_unsigned, LLVMDIFlagZero);
	cg->di_long = LLVMDIBuilderCreateBasicType(cg->dib, "long", 4, 64, DW_ATE_signed,
						   LLVMDIFlagZero);
	cg->di_voidp = di_ptr_to(cg, NULL);
}

static void dispose(struct cg *cg)
{
	if (cg->dib)
		LLVMDisposeDIBuilder(cg->dib);
	if (cg->b)
		LLVMDisposeBuilder(cg->b);
	if (cg->mod)
		LLVMDisposeModule(cg->mod);
	if (cg->ctx)
		LLVMContextDispose(cg->ctx);
	if (cg->tm)
		LLVMDisposeTargetMachine(cg->tm);
	free(cg->maps);
	free(cg->drop_index);
	free(cg->stack_maps);
	free(cg->temps);
	free(cg->loops);
	free(cg->held);
	free(cg->vars);
	free(cg->llvm_error);
}

/* The probe whose program LLVM names in a message ("in function prog3"). */
static srcloc probe_of_message(struct cg *cg, const char *msg)
{
	const char *fn = strstr(msg, "in function ");
	for (int i = 0; fn && i < cg->res->ngroups; i++) {
		const struct prog_group *g = &cg->res->groups[i];
		size_t len = strlen(g->prog_name);
		const char *name = fn + strlen("in function ");
		if (strncmp(name, g->prog_name, len) == 0 && name[len] == ' ' && g->nactions)
			return g->actions[0]->loc;
	}
	return (srcloc){ 0 };
}

static int take_llvm_error(struct cg *cg, const char *what)
{
	if (!cg->llvm_error)
		return 0;
	srcloc loc = probe_of_message(cg, cg->llvm_error);
	if (strstr(cg->llvm_error, "stack limit"))
		cg_error(cg, loc, "this probe needs more than the 512 bytes of BPF stack "
			 "(too many strings or string map keys in one probe)");
	else
		cg_error(cg, loc, "%s: %s", what, cg->llvm_error);
	free(cg->llvm_error);
	cg->llvm_error = NULL;
	return -1;
}

static int optimise(struct cg *cg, int opt_level)
{
	char passes[32];
	snprintf(passes, sizeof(passes), "default<O%d>", opt_level < 0 ? 0 : opt_level > 3 ? 3 : opt_level);
	LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
	/* with the target machine: it adds the BPF-specific IR passes */
	LLVMErrorRef err = LLVMRunPasses(cg->mod, passes, cg->tm, opts);
	LLVMDisposePassBuilderOptions(opts);
	if (err) {
		char *msg = LLVMGetErrorMessage(err);
		cg_error(cg, (srcloc){ 0 }, "internal error: LLVM passes failed: %s", msg);
		LLVMDisposeErrorMessage(msg);
		return -1;
	}
	return take_llvm_error(cg, "internal error: LLVM optimisation failed");
}

static int emit_to_buffer(struct cg *cg, LLVMModuleRef mod, LLVMCodeGenFileType kind,
			  LLVMMemoryBufferRef *out)
{
	char *err = NULL;
	if (LLVMTargetMachineEmitToMemoryBuffer(cg->tm, mod, kind, &err, out)) {
		cg_error(cg, (srcloc){ 0 }, "cannot generate BPF code: %s", err ? err : "?");
		LLVMDisposeMessage(err);
		return -1;
	}
	if (take_llvm_error(cg, "cannot generate BPF code") < 0) {
		LLVMDisposeMemoryBuffer(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int write_file(struct cg *cg, const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size) {
		cg_error(cg, (srcloc){ 0 }, "cannot write %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (fclose(f) != 0) {
		cg_error(cg, (srcloc){ 0 }, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int add_clones(struct cg *cg, struct compiled *out)
{
	if (cg_clones_apply(cg->clones, &out->elf, &out->elf_size) < 0) {
		cg_error(cg, (srcloc){ 0 }, "internal error: cannot add the cloned programs to the object "
			 "(SONDE_CG_CLONE=0 compiles every program)");
		return -1;
	}
	out->cloned = cg_clones_count(cg->clones);
	return 0;
}

static int emit_outputs(struct cg *cg, const struct cg_options *o, struct compiled *out)
{
	if (o && o->dump_ir) {
		char *ir = LLVMPrintModuleToString(cg->mod);
		fputs(ir, o->dump_ir);
		LLVMDisposeMessage(ir);
	}
	if (o && o->emit_llvm_path) {
		char *err = NULL;
		if (LLVMPrintModuleToFile(cg->mod, o->emit_llvm_path, &err)) {
			cg_error(cg, (srcloc){ 0 }, "cannot write %s: %s", o->emit_llvm_path,
				 err ? err : "?");
			LLVMDisposeMessage(err);
			return -1;
		}
	}
	if (o && o->dump_asm) {
		/* code generation rewrites IR: emit the text from a copy */
		LLVMModuleRef copy = LLVMCloneModule(cg->mod);
		LLVMMemoryBufferRef asm_buf = NULL;
		int rc = emit_to_buffer(cg, copy, LLVMAssemblyFile, &asm_buf);
		LLVMDisposeModule(copy);
		if (rc < 0)
			return -1;
		fwrite(LLVMGetBufferStart(asm_buf), 1, LLVMGetBufferSize(asm_buf), o->dump_asm);
		LLVMDisposeMemoryBuffer(asm_buf);
	}
	LLVMMemoryBufferRef obj = NULL;
	if (emit_to_buffer(cg, cg->mod, LLVMObjectFile, &obj) < 0)
		return -1;
	size_t size = LLVMGetBufferSize(obj);
	out->elf = xmalloc(size);
	memcpy(out->elf, LLVMGetBufferStart(obj), size);
	out->elf_size = size;
	LLVMDisposeMemoryBuffer(obj);
	if (add_clones(cg, out) < 0)
		return -1;
	if (o && o->emit_elf_path && write_file(cg, o->emit_elf_path, out->elf, out->elf_size) < 0)
		return -1;
	return 0;
}

static int verify_module(struct cg *cg)
{
	char *msg = NULL;
	if (LLVMVerifyModule(cg->mod, LLVMReturnStatusAction, &msg)) {
		cg_error(cg, (srcloc){ 0 }, "internal error: invalid LLVM module: %s",
			 msg ? msg : "?");
		LLVMDisposeMessage(msg);
		return -1;
	}
	LLVMDisposeMessage(msg);
	return 0;
}

static void cg_init(struct cg *cg, struct program *p, struct sema_result *r,
		    const struct cg_options *o, struct diag *d)
{
	*cg = (struct cg){ .prog = p, .res = r, .desc = r->desc, .diag = d, .max_strlen = r->max_strlen };
	/* sonde's own default is 64 bytes (bpftrace's: 32); the config's
	 * on_stack_limit replaces it, capped where helpers still fit on the
	 * 512-byte stack */
	cg->stack_limit = o && o->stack_limit_set ? (o->on_stack_limit < CG_STACK_LIMIT_MAX ? o->on_stack_limit
												  : CG_STACK_LIMIT_MAX)
						  : CG_STACK_TEMP_MAX;
	cg->license = o ? o->license : NULL;
	cg->helper_errors = o && o->helper_errors;
}

/* Defined functions after `before` (NULL: all). */
static int defined_since(struct cg *cg, LLVMValueRef before)
{
	int n = 0;
	for (LLVMValueRef f = before ? LLVMGetNextFunction(before) : LLVMGetFirstFunction(cg->mod); f;
	     f = LLVMGetNextFunction(f))
		n += !LLVMIsDeclaration(f);
	return n;
}

/* A module with the shared globals and the programs of units[first..end).
 * With max_compiled > 0, stops and returns 1 as soon as more than that
 * many functions would be compiled (not cloned). */
static int build_module_upto(struct cg *cg, int opt_level, const int *units, int first, int end,
			     int max_compiled)
{
	if (create_target_machine(cg, opt_level) < 0)
		return -1;
	create_module(cg);
	define_maps(cg);
	declare_scratch(cg);
	define_config(cg);
	define_stop(cg);
	define_license(cg);
	int defined = 0;
	for (int u = first; u < end; u++) {
		LLVMValueRef before = LLVMGetLastFunction(cg->mod);
		emit_unit(cg, units[u]);
		if (cg->clones)
			cg_clone_consider(cg, &cg->res->groups[units[u]], before);
		if (max_compiled <= 0)
			continue;
		defined += defined_since(cg, before);
		if (defined - cg_clones_pending(cg->clones) > max_compiled)
			return cg->errors ? -1 : 1;
	}
	return cg->errors ? -1 : 0;
}

static int build_module(struct cg *cg, int opt_level, const int *units, int first, int end)
{
	return build_module_upto(cg, opt_level, units, first, end, 0);
}

/* The whole script as one module (small scripts, and whenever IR or
 * assembly is dumped). */
static int compile_one(struct cg *cg, const struct cg_options *o, int opt_level, const int *units,
		       int nunits, struct compiled *out)
{
	if (build_module(cg, opt_level, units, 0, nunits) < 0)
		return -1;
	if (cg->clones)
		cg_clones_delete(cg->clones);
	fold_drop_indexes(cg);
	finish_internals(cg, 1);
	finish_scratch(cg);
	LLVMDIBuilderFinalize(cg->dib);
	if (cg->errors || verify_module(cg) < 0 || optimise(cg, opt_level) < 0)
		return -1;
	return emit_outputs(cg, o, out);
}

/* IR instructions in the module's largest function. */
static unsigned largest_function(struct cg *cg)
{
	unsigned top = 0;
	for (LLVMValueRef fn = LLVMGetFirstFunction(cg->mod); fn; fn = LLVMGetNextFunction(fn)) {
		unsigned n = 0;
		for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
			for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
				n++;
		top = n > top ? n : top;
	}
	return top;
}

/* The scratch map's size is the most any program needs, over every chunk. */
static int finish_chunk_scratch(struct cg *chunks, int n)
{
	int top = 0;
	for (int c = 1; c < n; c++)
		if (chunks[c].scratch_high > chunks[top].scratch_high)
			top = c;
	if (chunks[top].scratch_high > CG_SCRATCH_MAX) {
		finish_scratch(&chunks[top]); /* reports it */
		return -1;
	}
	for (int c = 0; c < n; c++) {
		chunks[c].scratch_high = chunks[top].scratch_high;
		finish_scratch(&chunks[c]);
	}
	return 0;
}

/* Many programs: LLVM's BPF BTF emitter costs programs x globals x strings
 * per module (a linearly searched string table), so a script of hundreds
 * of programs is cut into chunks of CG_CHUNK_UNITS programs, each its own
 * module with the globals it uses (weak: libbpf's linker keeps one),
 * optimised and emitted on every CPU, then linked into one object. */
static int compile_chunked(struct cg *proto, const struct cg_options *o, int opt_level,
			   const int *units, int nunits, int per_chunk, struct compiled *out)
{
	int n = (nunits + per_chunk - 1) / per_chunk;
	struct cg *chunks = xcalloc((size_t)n, sizeof(*chunks));
	struct cg_job *jobs = xcalloc((size_t)n, sizeof(*jobs));
	int rc = -1, built = 0;
	for (; built < n; built++) {
		struct cg *c = &chunks[built];
		*c = *proto;
		c->chunked = true;
		int first = built * nunits / n, end = (built + 1) * nunits / n;
		if (build_module(c, opt_level, units, first, end) < 0) {
			built++;
			goto done;
		}
	}
	if (proto->clones)
		cg_clones_delete(proto->clones);
	for (int c = 0; c < n; c++)
		fold_drop_indexes(&chunks[c]);
	/* maps no program uses still exist for the runtime */
	for (int id = 0; id < proto->desc->nmaps; id++) {
		bool used = false;
		for (int c = 0; c < n && !used; c++)
			used = chunks[c].maps[id] != NULL;
		if (!used)
			cg_user_map(&chunks[0], id);
	}
	finish_internals(chunks, n);
	if (finish_chunk_scratch(chunks, n) < 0)
		goto done;
	for (int c = 0; c < n; c++) {
		mark_module_nounwind(&chunks[c]);
		LLVMDIBuilderFinalize(chunks[c].dib);
		if (verify_module(&chunks[c]) < 0)
			goto done;
		jobs[c] = (struct cg_job){ .mod = chunks[c].mod, .tm = chunks[c].tm, .opt_level = opt_level,
					   .light = largest_function(&chunks[c]) <= CG_LIGHT_PASSES_MAX };
	}
	cg_run_jobs(jobs, n);
	for (int c = 0; c < n; c++) {
		if (jobs[c].error) {
			cg_error(&chunks[c], (srcloc){ 0 }, "cannot generate BPF code: %s", jobs[c].error);
			goto done;
		}
		if (take_llvm_error(&chunks[c], "cannot generate BPF code") < 0)
			goto done;
	}
	if (cg_link_objects(jobs, n, &out->elf, &out->elf_size) < 0) {
		cg_error(proto, (srcloc){ 0 }, "internal error: cannot link the BPF objects of %d chunks", n);
		goto done;
	}
	if (add_clones(proto, out) < 0)
		goto done;
	if (o && o->emit_elf_path && write_file(proto, o->emit_elf_path, out->elf, out->elf_size) < 0)
		goto done;
	rc = 0;
done:
	for (int c = 0; c < n; c++) {
		proto->errors += chunks[c].errors;
		if (jobs[c].obj)
			LLVMDisposeMemoryBuffer(jobs[c].obj);
		free(jobs[c].error);
		if (c < built)
			dispose(&chunks[c]);
	}
	free(jobs);
	free(chunks);
	return rc;
}

/* Many programs, most of them clones (bodies the same up to their maps):
 * few to compile, so one module, as for a small script, with the passes a
 * chunk of such programs gets. Chunks would each pay a target machine and
 * a code generator's set-up, and their link (libbpf's linker looks symbols
 * up one by one) was a quarter of a 1,000-clone compile. Returns 1, having
 * built part of the module, when more than CG_CHUNK_MIN_UNITS programs
 * turn out to need compiling: the caller starts again in chunks. */
static int compile_few(struct cg *cg, const struct cg_options *o, int opt_level, const int *units,
		       int nunits, struct compiled *out)
{
	int rc = build_module_upto(cg, opt_level, units, 0, nunits, CG_CHUNK_MIN_UNITS);
	if (rc != 0)
		return rc;
	cg_clones_delete(cg->clones);
	fold_drop_indexes(cg);
	finish_internals(cg, 1);
	finish_scratch(cg);
	LLVMDIBuilderFinalize(cg->dib);
	if (cg->errors || verify_module(cg) < 0)
		return -1;
	struct cg_job job = { .mod = cg->mod, .tm = cg->tm, .opt_level = opt_level,
			      .light = largest_function(cg) <= CG_LIGHT_PASSES_MAX };
	cg_run_jobs(&job, 1);
	rc = -1;
	if (job.error)
		cg_error(cg, (srcloc){ 0 }, "cannot generate BPF code: %s", job.error);
	else if (take_llvm_error(cg, "cannot generate BPF code") == 0) {
		out->elf_size = LLVMGetBufferSize(job.obj);
		out->elf = xmalloc(out->elf_size);
		memcpy(out->elf, LLVMGetBufferStart(job.obj), out->elf_size);
		rc = add_clones(cg, out);
		if (rc == 0 && o && o->emit_elf_path)
			rc = write_file(cg, o->emit_elf_path, out->elf, out->elf_size);
	}
	if (job.obj)
		LLVMDisposeMemoryBuffer(job.obj);
	free(job.error);
	return rc;
}

int cg_compile(struct program *p, struct sema_result *r, const struct cg_options *o,
	       struct diag *d, struct compiled *out)
{
	memset(out, 0, sizeof(*out));
	struct cg cg;
	cg_init(&cg, p, r, o, d);
	int opt_level = o ? o->opt_level : 2;
	init_bpf_target();
	mark_preallocated_maps(&cg);
	int *units = NULL;
	int nunits = program_units(r, &units);
	bool dumps = o && (o->dump_ir || o->dump_asm || o->emit_llvm_path);
	/* SONDE_CG_CHUNK=N: chunks of N programs whatever the script's size
	 * (tests use it to link small scripts) */
	const char *force = getenv("SONDE_CG_CHUNK");
	int per_chunk = force && atoi(force) > 0 ? atoi(force) : 0;
	bool chunked = !dumps && nunits > 0 && (per_chunk || nunits > CG_CHUNK_MIN_UNITS);
	/* SONDE_CG_CLONE=0: every program compiled (tests compare the two) */
	const char *clone = getenv("SONDE_CG_CLONE");
	if (!dumps && !(clone && strcmp(clone, "0") == 0))
		cg.clones = cg_clones_new(r->desc);
	int rc = 1;
	if (chunked && !per_chunk && cg.clones)
		rc = compile_few(&cg, o, opt_level, units, nunits, out);
	if (rc == 1 && chunked) {
		if (cg.clones) { /* compile_few gave up: from the start, in chunks */
			cg_clones_free(cg.clones);
			dispose(&cg);
			cg_init(&cg, p, r, o, d);
			cg.clones = cg_clones_new(r->desc);
		}
		rc = compile_chunked(&cg, o, opt_level, units, nunits, per_chunk ? per_chunk : CG_CHUNK_UNITS,
				     out);
	} else if (rc == 1)
		rc = compile_one(&cg, o, opt_level, units, nunits, out);
	free(units);
	cg_clones_free(cg.clones);
	cg.clones = NULL;
	if (rc == 0) {
		out->desc = r->desc;
		r->desc = NULL;
	} else {
		free(out->elf);
		out->elf = NULL;
		out->elf_size = 0;
	}
	dispose(&cg);
	return rc;
}
