/* clone.c - programs compiled once and cloned in the object.
 *
 * LLVM's code generation costs ~1.5 ms a program, so a script of a
 * thousand `tracepoint:C:E { @mK = count(); }` blocks spent seconds making
 * the same code a thousand times. Every program's IR is still built (that
 * is cheap), and a walk over it makes its key: every instruction's opcode,
 * type, flags, attributes and operands, with the symbols that differ per
 * program abstracted as "slots" (user maps and their dropped-counter
 * index, SONDE_DROP_INDEX_FMT, numbered in order of first use) and each
 * slot's map definition appended. The first program of a key is compiled;
 * the others are deleted from their modules before code generation and
 * copied in the finished object from the first: its code under the
 * clone's own section and name, its relocations with each slot symbol
 * replaced by the clone's, its .BTF.ext records under the clone's section.
 *
 * Why this is sound: two functions with equal keys are the same IR up to
 * renaming slot globals, whose definitions are equal (same IR type; maps
 * of the same kind, key and value types and sizes, limits). Compiling the
 * clone's IR would give the first one's code with the clone's symbols,
 * which is what the copy is. Anything the walk does not know keeps a
 * program out of any class: an opcode, constant or type sonde does not
 * emit, metadata other than line info, a call of a defined function (loop
 * callbacks: their code would not be renamed), a module-local or unnamed
 * global (another module's @0 is another string). Line info is left out of
 * the key, so a clone's line info is its original's.
 *
 * Sections: a clone's section name must be used by no other program, or
 * libbpf would match .BTF.ext blocks (by name) to the wrong one; such a
 * program is compiled after all. (So perf_event programs, which all share
 * one section name, are never cloned.) */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm/Config/llvm-config.h>

#include "cg.h"
#include "util.h"

struct clone_slot_name {
	const char *name;
	int map_id;
	bool drop; /* the map's dropped-counter index, not the map */
};

struct clone_class {
	uint64_t hash;
	char *key;
	int rep; /* index in clones->progs */
};

/* A program, compiled (rep < 0) or a clone of progs[rep]. */
struct clone_prog {
	char *name, *section;
	char **slots; /* the symbols of its slots, in order of first use */
	int nslots;
	int rep;
	LLVMValueRef fn; /* until deleted */
	LLVMModuleRef mod;
};

struct cg_clones {
	struct clone_slot_name *names; /* sorted by name */
	int nnames;
	char *name_store;
	struct clone_class *classes;
	int nclasses, cap_classes;
	struct clone_prog *progs;
	int nprogs, cap_progs;
	char **sections; /* of every program emitted, for collisions */
	int nsections, cap_sections;
	int ncloned;
	int npending; /* progs with rep >= 0, before cg_clones_delete */
	LLVMValueRef *templates; /* functions that clones copy, sorted (cg_clones_delete) */
	int ntemplates;
	bool *drop_kept; /* by map id: a clone or its original uses the drop index symbol */
	int nmaps;
};

static int slot_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct clone_slot_name *)a)->name, ((const struct clone_slot_name *)b)->name);
}

struct cg_clones *cg_clones_new(const struct desc *d)
{
	struct cg_clones *c = xcalloc(1, sizeof(*c));
	c->nmaps = d->nmaps;
	c->drop_kept = xcalloc((size_t)d->nmaps + 1, sizeof(*c->drop_kept));
	c->names = xcalloc((size_t)d->nmaps * 2 + 1, sizeof(*c->names));
	c->name_store = xcalloc((size_t)d->nmaps * 32 + 1, 1);
	char *o = c->name_store;
	for (int i = 0; i < d->nmaps; i++) {
		c->names[c->nnames++] = (struct clone_slot_name){ d->maps[i].bpf_name, i, false };
		int len = snprintf(o, 32, SONDE_DROP_INDEX_FMT, i);
		c->names[c->nnames++] = (struct clone_slot_name){ o, i, true };
		o += len + 1;
	}
	util_sort(c->names, (size_t)c->nnames, sizeof(*c->names), slot_name_cmp);
	return c;
}

static void prog_free(struct clone_prog *p)
{
	free(p->name);
	free(p->section);
	for (int i = 0; i < p->nslots; i++)
		free(p->slots[i]);
	free(p->slots);
}

void cg_clones_free(struct cg_clones *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nclasses; i++)
		free(c->classes[i].key);
	for (int i = 0; i < c->nprogs; i++)
		prog_free(&c->progs[i]);
	for (int i = 0; i < c->nsections; i++)
		free(c->sections[i]);
	free(c->classes);
	free(c->templates);
	free(c->drop_kept);
	free(c->progs);
	free(c->sections);
	free(c->names);
	free(c->name_store);
	free(c);
}

int cg_clones_count(const struct cg_clones *c)
{
	return c ? c->ncloned : 0;
}

int cg_clones_pending(const struct cg_clones *c)
{
	return c ? c->npending : 0;
}

/* ---- the key -------------------------------------------------------------- */

static const struct clone_slot_name *slot_name(const struct cg_clones *c, const char *name)
{
	struct clone_slot_name k = { .name = name };
	return c->nnames ? bsearch(&k, c->names, (size_t)c->nnames, sizeof(k), slot_name_cmp) : NULL;
}

/* What a map slot must share with the other programs' slot at its place. */
static void slot_signature(struct util_strbuf *b, const struct desc *d, const struct clone_slot_name *s)
{
	const struct desc_map *m = &d->maps[s->map_id];
	/* the key and value types are interned (desc.h): one pointer each */
	char sig[224];
	snprintf(sig, sizeof(sig),
		 "\n;%s kind=%d lru=%d key=%u value=%u max=%u prealloc=%d args=%lld,%lld,%lld types=%p,%p",
		 s->drop ? "drop" : "map", (int)m->kind, (int)m->lru, (unsigned)m->key_size,
		 (unsigned)m->value_size, (unsigned)m->max_entries, (int)m->prealloc, (long long)m->args[0],
		 (long long)m->args[1], (long long)m->args[2], (const void *)m->key, (const void *)m->value);
	util_strbuf_addstr(b, sig);
}

/* A global named `name` (a token of fn's text) that the key may keep by
 * name: one symbol of the final object whoever refers to it. */
static bool shared_by_name(LLVMModuleRef mod, const char *name)
{
	LLVMValueRef f = LLVMGetNamedFunction(mod, name);
	if (f)
		return LLVMIsDeclaration(f); /* intrinsics, kfuncs */
	LLVMValueRef g = LLVMGetNamedGlobal(mod, name);
	if (!g)
		return false;
	LLVMLinkage l = LLVMGetLinkage(g);
	return l != LLVMPrivateLinkage && l != LLVMInternalLinkage;
}

/* ---- the key: fn's IR walked, every part that makes its code ---------- */

/* Instructions and blocks by address: their index in the function. */
struct ptr_index {
	const void **keys;
	uint32_t *vals;
	size_t cap; /* a power of two */
};

static size_t ptr_slot(const struct ptr_index *m, const void *p)
{
	size_t h = ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull;
	size_t i = h & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != p)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void ptr_put(struct ptr_index *m, const void *p, uint32_t v)
{
	size_t i = ptr_slot(m, p);
	m->keys[i] = p;
	m->vals[i] = v;
}

static bool ptr_get(const struct ptr_index *m, const void *p, uint32_t *v)
{
	size_t i = ptr_slot(m, p);
	if (!m->keys[i])
		return false;
	*v = m->vals[i];
	return true;
}

struct key_walk {
	struct cg *cg;
	LLVMValueRef fn;
	struct util_strbuf b;
	struct ptr_index index;
	const struct clone_slot_name **used;
	int nused;
	bool ok;
};

/* A tag and a number in hex, ended by a comma so that a tag that is a hex
 * digit ('a'...) cannot run into the number before it (no printf: this
 * runs for every operand). */
static void put_u64(struct key_walk *w, char tag, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char tok[20];
	int n = 0;
	tok[n++] = tag;
	do {
		tok[n++] = hex[v & 15];
		v >>= 4;
	} while (v);
	tok[n++] = ',';
	util_strbuf_add(&w->b, tok, (size_t)n);
}

static void put_type(struct key_walk *w, LLVMTypeRef t)
{
	LLVMTypeKind k = LLVMGetTypeKind(t);
	put_u64(w, 'T', (uint64_t)k);
	switch (k) {
	case LLVMIntegerTypeKind:
		put_u64(w, 'w', LLVMGetIntTypeWidth(t));
		break;
	case LLVMPointerTypeKind:
		put_u64(w, 'a', LLVMGetPointerAddressSpace(t));
		break;
	case LLVMArrayTypeKind:
#if LLVM_VERSION_MAJOR >= 17
		put_u64(w, 'n', LLVMGetArrayLength2(t));
#else
		put_u64(w, 'n', LLVMGetArrayLength(t));
#endif
		put_type(w, LLVMGetElementType(t));
		break;
	case LLVMStructTypeKind: {
		if (LLVMIsOpaqueStruct(t)) {
			w->ok = false;
			break;
		}
		unsigned n = LLVMCountStructElementTypes(t);
		put_u64(w, 'n', n);
		put_u64(w, 'p', (uint64_t)LLVMIsPackedStruct(t));
		for (unsigned i = 0; i < n && w->ok; i++)
			put_type(w, LLVMStructGetTypeAtIndex(t, i));
		break;
	}
	case LLVMFunctionTypeKind: {
		unsigned n = LLVMCountParamTypes(t);
		put_u64(w, 'n', n);
		put_u64(w, 'v', (uint64_t)LLVMIsFunctionVarArg(t));
		put_type(w, LLVMGetReturnType(t));
		LLVMTypeRef params[16];
		if (n > 16) {
			w->ok = false;
			break;
		}
		LLVMGetParamTypes(t, params);
		for (unsigned i = 0; i < n; i++)
			put_type(w, params[i]);
		break;
	}
	case LLVMVoidTypeKind:
	case LLVMLabelTypeKind:
	case LLVMMetadataTypeKind:
		break;
	default:
		w->ok = false; /* vectors, floats, tokens: not sonde's */
	}
}

/* A global: the function itself, a slot, or one symbol whoever uses it. */
static void put_global(struct key_walk *w, LLVMValueRef g)
{
	size_t len = 0;
	const char *name = LLVMGetValueName2(g, &len);
	if (g == w->fn) {
		util_strbuf_addstr(&w->b, "@$self");
		return;
	}
	char buf[256];
	if (len == 0 || len >= sizeof(buf) || memchr(name, '\0', len)) {
		w->ok = false; /* unnamed: another module's @0 is another global */
		return;
	}
	memcpy(buf, name, len);
	buf[len] = '\0';
	const struct clone_slot_name *s = slot_name(w->cg->clones, buf);
	if (s) {
		int k = 0;
		while (k < w->nused && w->used[k] != s)
			k++;
		if (k == w->nused) {
			w->used = xrealloc(w->used, sizeof(*w->used) * (size_t)(w->nused + 1));
			w->used[w->nused++] = s;
		}
		put_u64(w, '$', (uint64_t)k);
	} else if (shared_by_name(w->cg->mod, buf)) {
		put_u64(w, '@', len); /* the length first: names cannot run together */
		util_strbuf_add(&w->b, buf, len);
	} else {
		w->ok = false;
	}
}

static void put_value(struct key_walk *w, LLVMValueRef v, int depth)
{
	uint32_t idx;
	LLVMValueKind k = LLVMGetValueKind(v);
	put_u64(w, 'K', (uint64_t)k);
	switch (k) {
	case LLVMInstructionValueKind:
		if (!ptr_get(&w->index, v, &idx))
			w->ok = false;
		put_u64(w, 'i', idx);
		return;
	case LLVMBasicBlockValueKind:
		if (!ptr_get(&w->index, LLVMValueAsBasicBlock(v), &idx))
			w->ok = false;
		put_u64(w, 'b', idx);
		return;
	case LLVMArgumentValueKind:
		for (unsigned i = 0; i < LLVMCountParams(w->fn); i++)
			if (LLVMGetParam(w->fn, i) == v) {
				put_u64(w, 'r', i);
				return;
			}
		w->ok = false;
		return;
	case LLVMFunctionValueKind:
	case LLVMGlobalVariableValueKind:
		put_global(w, v);
		return;
	case LLVMConstantIntValueKind:
		put_type(w, LLVMTypeOf(v));
		if (LLVMGetIntTypeWidth(LLVMTypeOf(v)) > 64)
			w->ok = false;
		else
			put_u64(w, 'c', LLVMConstIntGetZExtValue(v));
		return;
	case LLVMConstantPointerNullValueKind:
	case LLVMUndefValueValueKind:
	case LLVMPoisonValueValueKind:
	case LLVMConstantAggregateZeroValueKind:
		put_type(w, LLVMTypeOf(v));
		return;
	case LLVMMetadataAsValueValueKind:
		return; /* debug info only */
	case LLVMConstantExprValueKind: {
		LLVMOpcode op = LLVMGetConstOpcode(v);
		/* casts (helpers are called through inttoptr) and addresses in
		 * globals (config fields), nothing else */
		if (depth > 4 ||
		    (op != LLVMIntToPtr && op != LLVMPtrToInt && op != LLVMBitCast && op != LLVMGetElementPtr)) {
			w->ok = false;
			return;
		}
		put_u64(w, 'e', (uint64_t)op);
		put_type(w, LLVMTypeOf(v));
		if (op == LLVMGetElementPtr) {
			put_type(w, LLVMGetGEPSourceElementType(v));
			put_u64(w, 'j', (uint64_t)LLVMIsInBounds(v));
#if LLVM_VERSION_MAJOR >= 19
			put_u64(w, 'j', (uint64_t)LLVMGEPGetNoWrapFlags(v));
#endif
		}
		int n = LLVMGetNumOperands(v);
		for (int i = 0; i < n && w->ok; i++)
			put_value(w, LLVMGetOperand(v, (unsigned)i), depth + 1);
		return;
	}
#if LLVM_VERSION_MAJOR >= 19
	case LLVMInlineAsmValueKind: {
		size_t len = 0;
		const char *a = LLVMGetInlineAsmAsmString(v, &len);
		put_u64(w, 's', len);
		util_strbuf_add(&w->b, a, len);
		w->ok = w->ok && !memchr(a, '\0', len); /* the key is a C string */
		a = LLVMGetInlineAsmConstraintString(v, &len);
		put_u64(w, 's', len);
		util_strbuf_add(&w->b, a, len);
		w->ok = w->ok && !memchr(a, '\0', len);
		put_u64(w, 'h', (uint64_t)LLVMGetInlineAsmHasSideEffects(v));
		put_u64(w, 'h', (uint64_t)LLVMGetInlineAsmNeedsAlignedStack(v));
		put_u64(w, 'h', (uint64_t)LLVMGetInlineAsmDialect(v));
		put_u64(w, 'h', (uint64_t)LLVMGetInlineAsmCanUnwind(v));
		put_type(w, LLVMGetInlineAsmFunctionType(v));
		return;
	}
#endif
	default:
		w->ok = false;
	}
}

static void put_attrs(struct key_walk *w, LLVMAttributeRef *attrs, unsigned n)
{
	for (unsigned i = 0; i < n && w->ok; i++) {
		if (LLVMIsEnumAttribute(attrs[i])) {
			put_u64(w, 'E', LLVMGetEnumAttributeKind(attrs[i]));
			put_u64(w, 'V', LLVMGetEnumAttributeValue(attrs[i]));
		} else if (LLVMIsStringAttribute(attrs[i])) {
			unsigned len = 0;
			const char *s = LLVMGetStringAttributeKind(attrs[i], &len);
			put_u64(w, 'S', len);
			util_strbuf_add(&w->b, s, len);
			w->ok = w->ok && !memchr(s, '\0', len); /* the key is a C string */
			s = LLVMGetStringAttributeValue(attrs[i], &len);
			put_u64(w, 'S', len);
			util_strbuf_add(&w->b, s, len);
			w->ok = w->ok && !memchr(s, '\0', len);
		} else {
			w->ok = false; /* type attributes: not sonde's */
		}
	}
}

static void put_call_attrs(struct key_walk *w, LLVMValueRef call)
{
	unsigned nargs = LLVMGetNumArgOperands(call);
	for (long idx = -1; idx <= (long)nargs && w->ok; idx++) {
		LLVMAttributeIndex at = idx < 0 ? (LLVMAttributeIndex)LLVMAttributeFunctionIndex : (LLVMAttributeIndex)idx;
		unsigned n = LLVMGetCallSiteAttributeCount(call, at);
		put_u64(w, 'n', n);
		if (n == 0)
			continue;
		LLVMAttributeRef *attrs = xcalloc(n, sizeof(*attrs));
		LLVMGetCallSiteAttributes(call, at, attrs);
		put_attrs(w, attrs, n);
		free(attrs);
	}
	put_u64(w, 'C', LLVMGetInstructionCallConv(call));
	put_u64(w, 't', (uint64_t)LLVMIsTailCall(call));
	put_type(w, LLVMGetCalledFunctionType(call));
}

/* What an instruction is beyond its opcode, type and operands; false for
 * an opcode sonde does not emit (then nothing is shared). */
static bool put_details(struct key_walk *w, LLVMValueRef in, LLVMOpcode op)
{
	switch (op) {
	case LLVMRet: case LLVMBr: case LLVMSwitch: case LLVMUnreachable:
	case LLVMURem: case LLVMSRem: case LLVMAnd: case LLVMXor: case LLVMSelect: case LLVMFreeze:
	case LLVMTrunc: case LLVMSExt: case LLVMPtrToInt: case LLVMIntToPtr: case LLVMBitCast:
		return true;
	case LLVMAdd: case LLVMSub: case LLVMMul: case LLVMShl:
		put_u64(w, 'u', (uint64_t)LLVMGetNUW(in));
		put_u64(w, 's', (uint64_t)LLVMGetNSW(in));
		return true;
	case LLVMUDiv: case LLVMSDiv: case LLVMLShr: case LLVMAShr:
		put_u64(w, 'x', (uint64_t)LLVMGetExact(in));
		return true;
	case LLVMOr:
#if LLVM_VERSION_MAJOR >= 18
		put_u64(w, 'd', (uint64_t)LLVMGetIsDisjoint(in));
#endif
		return true;
	case LLVMZExt:
#if LLVM_VERSION_MAJOR >= 18
		put_u64(w, 'g', (uint64_t)LLVMGetNNeg(in));
#endif
		return true;
	case LLVMAlloca:
		put_type(w, LLVMGetAllocatedType(in));
		put_u64(w, 'l', LLVMGetAlignment(in));
		return true;
	case LLVMLoad: case LLVMStore:
		put_u64(w, 'l', LLVMGetAlignment(in));
		put_u64(w, 'o', (uint64_t)LLVMGetVolatile(in));
		put_u64(w, 'o', (uint64_t)LLVMGetOrdering(in));
		return true;
	case LLVMGetElementPtr:
		put_type(w, LLVMGetGEPSourceElementType(in));
		put_u64(w, 'j', (uint64_t)LLVMIsInBounds(in));
#if LLVM_VERSION_MAJOR >= 19
		put_u64(w, 'j', (uint64_t)LLVMGEPGetNoWrapFlags(in));
#endif
		return true;
	case LLVMICmp:
		put_u64(w, 'q', (uint64_t)LLVMGetICmpPredicate(in));
		return true;
	case LLVMPHI: {
		unsigned n = LLVMCountIncoming(in);
		for (unsigned i = 0; i < n; i++) {
			uint32_t idx = 0;
			if (!ptr_get(&w->index, LLVMGetIncomingBlock(in, i), &idx))
				return false;
			put_u64(w, 'b', idx);
		}
		return true;
	}
	case LLVMCall:
		put_call_attrs(w, in);
		return true;
	case LLVMExtractValue: { /* its indices are not operands */
		unsigned n = LLVMGetNumIndices(in);
		const unsigned *at = LLVMGetIndices(in);
		put_u64(w, 'n', n);
		for (unsigned i = 0; i < n; i++)
			put_u64(w, 'k', at[i]);
		return true;
	}
	default:
		return false;
	}
}

static void put_instruction(struct key_walk *w, LLVMValueRef in)
{
	LLVMOpcode op = LLVMGetInstructionOpcode(in);
	put_u64(w, 'O', (uint64_t)op);
	put_type(w, LLVMTypeOf(in));
	/* metadata other than line info could change the code (a branch's
	 * line can come back as a "dbg" attachment: not counted) */
	size_t nmd = 0, other = 0;
	LLVMValueMetadataEntry *md = LLVMInstructionGetAllMetadataOtherThanDebugLoc(in, &nmd);
	unsigned dbg = LLVMGetMDKindIDInContext(w->cg->ctx, "dbg", 3);
	for (size_t i = 0; i < nmd; i++)
		other += LLVMValueMetadataEntriesGetKind(md, (unsigned)i) != dbg;
	if (md)
		LLVMDisposeValueMetadataEntries(md);
	if (other || !put_details(w, in, op)) {
		w->ok = false;
		return;
	}
	int n = LLVMGetNumOperands(in);
	put_u64(w, 'n', (uint64_t)n);
	for (int i = 0; i < n && w->ok; i++)
		put_value(w, LLVMGetOperand(in, (unsigned)i), 0);
}

/* fn's key (malloc'd) and its slots' symbols, or NULL if fn cannot be
 * shared (see the top of the file). */
static char *function_key(struct cg *cg, LLVMValueRef fn, const char *prov, char ***slots, int *nslots)
{
	struct key_walk w = { .cg = cg, .fn = fn, .ok = true };
	size_t count = 0;
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i), count++)
			;
	count += LLVMCountBasicBlocks(fn);
	w.index.cap = 64;
	while (w.index.cap < 2 * count + 2)
		w.index.cap *= 2;
	w.index.keys = xcalloc(w.index.cap, sizeof(*w.index.keys));
	w.index.vals = xcalloc(w.index.cap, sizeof(*w.index.vals));
	uint32_t n = 0;
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
		ptr_put(&w.index, bb, n++);
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
			ptr_put(&w.index, i, n++);
	}
	put_u64(&w, 'P', strlen(prov));
	util_strbuf_addstr(&w.b, prov);
	put_type(&w, LLVMGlobalGetValueType(fn));
	unsigned nfa = LLVMGetAttributeCountAtIndex(fn, LLVMAttributeFunctionIndex);
	put_u64(&w, 'n', nfa);
	if (nfa) {
		LLVMAttributeRef *attrs = xcalloc(nfa, sizeof(*attrs));
		LLVMGetAttributesAtIndex(fn, LLVMAttributeFunctionIndex, attrs);
		put_attrs(&w, attrs, nfa);
		free(attrs);
	}
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb && w.ok; bb = LLVMGetNextBasicBlock(bb)) {
		util_strbuf_addstr(&w.b, "B");
		for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i && w.ok; i = LLVMGetNextInstruction(i))
			put_instruction(&w, i);
	}
	free(w.index.keys);
	free(w.index.vals);
	for (int k = 0; k < w.nused && w.ok; k++)
		slot_signature(&w.b, cg->desc, w.used[k]);
	*slots = NULL;
	*nslots = 0;
	if (w.ok) {
		*slots = xcalloc((size_t)w.nused + 1, sizeof(**slots));
		for (int k = 0; k < w.nused; k++)
			(*slots)[k] = xstrdup(w.used[k]->name);
		*nslots = w.nused;
	} else {
		free(w.b.buf);
		w.b.buf = NULL;
	}
	free(w.used);
	return w.b.buf;
}

static void note_section(struct cg_clones *c, const char *section)
{
	if (c->nsections == c->cap_sections) {
		c->cap_sections = c->cap_sections ? c->cap_sections * 2 : 64;
		c->sections = xrealloc(c->sections, sizeof(*c->sections) * (size_t)c->cap_sections);
	}
	c->sections[c->nsections++] = xstrdup(section ? section : "");
}

/* The defined functions after `after` (NULL: from the first). */
static int defined_after(LLVMModuleRef mod, LLVMValueRef after, LLVMValueRef *last)
{
	int n = 0;
	for (LLVMValueRef f = after ? LLVMGetNextFunction(after) : LLVMGetFirstFunction(mod); f;
	     f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f)) {
			n++;
			*last = f;
		}
	return n;
}

void cg_clone_consider(struct cg *cg, const struct prog_group *g, LLVMValueRef before)
{
	struct cg_clones *c = cg->clones;
	LLVMValueRef fn = NULL;
	int n = defined_after(cg->mod, before, &fn);
	for (LLVMValueRef f = before ? LLVMGetNextFunction(before) : LLVMGetFirstFunction(cg->mod); f;
	     f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f))
			note_section(c, LLVMGetSection(f));
	/* one function, the program's, and nothing else (no callbacks) */
	if (n != 1 || fn != LLVMGetNamedFunction(cg->mod, g->prog_name) || g->target.lower.kind != LOWER_NONE)
		return;
	char **slots;
	int nslots;
	char *key = function_key(cg, fn, g->prov ? g->prov->name : "", &slots, &nslots);
	if (!key)
		return;
	uint64_t h = util_fnv1a64(key, strlen(key), UTIL_FNV_BASIS);
	int cls = 0;
	while (cls < c->nclasses && (c->classes[cls].hash != h || strcmp(c->classes[cls].key, key) != 0))
		cls++;
	if (c->nprogs == c->cap_progs) {
		c->cap_progs = c->cap_progs ? c->cap_progs * 2 : 64;
		c->progs = xrealloc(c->progs, sizeof(*c->progs) * (size_t)c->cap_progs);
	}
	const char *section = LLVMGetSection(fn);
	c->progs[c->nprogs] = (struct clone_prog){ .name = xstrdup(g->prog_name),
						  .section = xstrdup(section ? section : ""),
						  .slots = slots, .nslots = nslots, .rep = -1, .fn = fn,
						  .mod = cg->mod };
	if (cls < c->nclasses) {
		c->progs[c->nprogs].rep = c->classes[cls].rep;
		c->npending++;
		free(key);
	} else {
		if (c->nclasses == c->cap_classes) {
			c->cap_classes = c->cap_classes ? c->cap_classes * 2 : 64;
			c->classes = xrealloc(c->classes, sizeof(*c->classes) * (size_t)c->cap_classes);
		}
		c->classes[c->nclasses++] = (struct clone_class){ h, key, c->nprogs };
	}
	c->nprogs++;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool section_unique(char **sorted, int n, const char *s)
{
	char **hit = n ? bsearch(&s, sorted, (size_t)n, sizeof(*sorted), str_cmp) : NULL;
	if (!hit)
		return true;
	return !(hit > sorted && strcmp(hit[-1], s) == 0) && !(hit + 1 < sorted + n && strcmp(hit[1], s) == 0);
}

/* p's drop-index slots: symbols the object must define (clones relocate
 * to them) */
static void keep_drop_slots(struct cg_clones *c, const struct clone_prog *p)
{
	for (int k = 0; k < p->nslots; k++) {
		const struct clone_slot_name *sn = slot_name(c, p->slots[k]);
		if (sn && sn->drop)
			c->drop_kept[sn->map_id] = true;
	}
}

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const LLVMValueRef *)a, y = (uintptr_t)*(const LLVMValueRef *)b;
	return (x > y) - (x < y);
}

void cg_clones_delete(struct cg_clones *c)
{
	util_sort(c->sections, (size_t)c->nsections, sizeof(*c->sections), str_cmp);
	for (int i = 0; i < c->nprogs; i++) {
		struct clone_prog *p = &c->progs[i];
		if (p->rep < 0)
			continue;
		if (!section_unique(c->sections, c->nsections, p->section) ||
		    !section_unique(c->sections, c->nsections, c->progs[p->rep].section)) {
			p->rep = -1; /* compiled after all */
			continue;
		}
		LLVMDeleteFunction(p->fn);
		p->fn = NULL;
		c->ncloned++;
	}
	free(c->templates);
	c->templates = xcalloc((size_t)c->nprogs + 1, sizeof(*c->templates));
	c->ntemplates = 0;
	for (int i = 0; i < c->nprogs; i++) {
		const struct clone_prog *p = &c->progs[i];
		if (p->rep < 0)
			continue;
		c->templates[c->ntemplates++] = c->progs[p->rep].fn;
		keep_drop_slots(c, p);
		keep_drop_slots(c, &c->progs[p->rep]);
	}
	util_sort(c->templates, (size_t)c->ntemplates, sizeof(*c->templates), ptr_cmp);
}

bool cg_clones_is_template(const struct cg_clones *c, LLVMValueRef fn)
{
	return c && c->ntemplates &&
	       bsearch(&fn, c->templates, (size_t)c->ntemplates, sizeof(*c->templates), ptr_cmp) != NULL;
}

bool cg_clones_keep_drop_index(const struct cg_clones *c, int map_id)
{
	return c && map_id >= 0 && map_id < c->nmaps && c->drop_kept[map_id];
}

/* ---- the object ------------------------------------------------------------ */

struct elf_in {
	const unsigned char *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	int nsec, symtab, strtab, shstrtab, btf, btf_ext;
	const Elf64_Sym *syms;
	int nsyms;
	uint32_t *by_name; /* symbol indices sorted by name */
};

static const char *elf_str(const struct elf_in *e, int sec, uint32_t off)
{
	if (sec <= 0 || sec >= e->nsec || off >= e->sh[sec].sh_size)
		return NULL;
	const char *s = (const char *)e->data + e->sh[sec].sh_offset + off;
	return memchr(s, '\0', e->sh[sec].sh_size - off) ? s : NULL;
}

static const char *sym_name(const struct elf_in *e, uint32_t i)
{
	const char *s = elf_str(e, e->strtab, e->syms[i].st_name);
	return s ? s : "";
}

static int sym_cmp(const void *a, const void *b, void *elf)
{
	return strcmp(sym_name(elf, *(const uint32_t *)a), sym_name(elf, *(const uint32_t *)b));
}

/* The defined symbol called name, or -1. */
static int sym_find(const struct elf_in *e, const char *name)
{
	int lo = 0, hi = e->nsyms - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(sym_name(e, e->by_name[mid]), name);
		if (c == 0) {
			/* several of that name: the defined one */
			int i = mid;
			while (i > 0 && strcmp(sym_name(e, e->by_name[i - 1]), name) == 0)
				i--;
			for (; i < e->nsyms && strcmp(sym_name(e, e->by_name[i]), name) == 0; i++)
				if (e->syms[e->by_name[i]].st_shndx != SHN_UNDEF)
					return (int)e->by_name[i];
			return -1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static bool sec_ok(const struct elf_in *e, int i)
{
	const Elf64_Shdr *s = &e->sh[i];
	return s->sh_type == SHT_NOBITS || (s->sh_offset <= e->size && s->sh_size <= e->size - s->sh_offset);
}

static int elf_parse(struct elf_in *e, const void *data, size_t size)
{
	memset(e, 0, sizeof(*e));
	e->data = data;
	e->size = size;
	e->eh = data;
	if (size < sizeof(Elf64_Ehdr) || memcmp(e->eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    e->eh->e_ident[EI_CLASS] != ELFCLASS64 || e->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    e->eh->e_shnum == 0 || e->eh->e_shoff > size ||
	    (size - e->eh->e_shoff) / sizeof(Elf64_Shdr) < e->eh->e_shnum || e->eh->e_shoff % 8)
		return -1;
	e->sh = (const Elf64_Shdr *)(e->data + e->eh->e_shoff);
	e->nsec = e->eh->e_shnum;
	e->shstrtab = e->eh->e_shstrndx;
	e->symtab = e->btf = e->btf_ext = -1;
	for (int i = 1; i < e->nsec; i++) {
		if (!sec_ok(e, i))
			return -1;
		const char *name = elf_str(e, e->shstrtab, e->sh[i].sh_name);
		if (e->sh[i].sh_type == SHT_SYMTAB)
			e->symtab = i;
		else if (name && strcmp(name, ".BTF") == 0)
			e->btf = i;
		else if (name && strcmp(name, ".BTF.ext") == 0)
			e->btf_ext = i;
	}
	if (e->symtab < 0 || e->btf < 0 || e->btf_ext < 0 || e->sh[e->symtab].sh_entsize != sizeof(Elf64_Sym))
		return -1;
	e->strtab = (int)e->sh[e->symtab].sh_link;
	if (e->strtab <= 0 || e->strtab >= e->nsec)
		return -1;
	e->syms = (const Elf64_Sym *)(e->data + e->sh[e->symtab].sh_offset);
	e->nsyms = (int)(e->sh[e->symtab].sh_size / sizeof(Elf64_Sym));
	e->by_name = xcalloc((size_t)e->nsyms + 1, sizeof(*e->by_name));
	for (int i = 0; i < e->nsyms; i++)
		e->by_name[i] = (uint32_t)i;
	util_sort_r(e->by_name, (size_t)e->nsyms, sizeof(*e->by_name), sym_cmp, e);
	return 0;
}

/* .BTF and .BTF.ext (tools/lib/bpf/btf.h: the kernel's layouts). */
struct btf_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

struct btf_ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t off_len[6]; /* func_info, line_info, core_relo: offset, length */
};

#define BTF_MAGIC_ 0xeB9F
#define BTF_EXT_PARTS 3

struct out_sec {
	Elf64_Shdr sh;
	struct util_strbuf data; /* whole data (new sections, rewritten ones) */
	bool replaced;
};

struct clone_out {
	struct elf_in *in;
	struct out_sec *secs;
	int nsecs, cap;
	struct util_strbuf btf_strs;      /* appended to .BTF's strings */
	uint32_t btf_str_base;
	struct util_strbuf ext_new[BTF_EXT_PARTS]; /* the clones' .BTF.ext blocks */
};

static uint32_t str_append(struct util_strbuf *b, uint32_t base, const char *s)
{
	uint32_t off = base + (uint32_t)b->len;
	util_strbuf_add(b, s, strlen(s) + 1);
	return off;
}

/* The data of section i as it will be written (a copy, made on first use). */
static struct util_strbuf *sec_data(struct clone_out *o, int i)
{
	struct out_sec *s = &o->secs[i];
	if (!s->replaced) {
		s->replaced = true;
		if (s->sh.sh_type != SHT_NOBITS)
			util_strbuf_add(&s->data, (const char *)o->in->data + s->sh.sh_offset, s->sh.sh_size);
	}
	return &s->data;
}

static int add_section(struct clone_out *o, const Elf64_Shdr *sh, const char *name)
{
	/* o->cap was sized for every clone's two sections */
	if (o->nsecs == o->cap)
		return -1;
	struct util_strbuf *shstr = sec_data(o, o->in->shstrtab);
	uint32_t name_off = (uint32_t)shstr->len;
	util_strbuf_add(shstr, name, strlen(name) + 1);
	struct out_sec *s = &o->secs[o->nsecs];
	memset(s, 0, sizeof(*s));
	s->sh = *sh;
	s->sh.sh_name = name_off;
	s->replaced = true;
	return o->nsecs++;
}

/* Copies the .BTF.ext records of part `part` that fall in the original's
 * code [off, off + size) of section `sec_name`, as a block for `clone_sec`. */
static int copy_ext_part(struct clone_out *o, int part, const char *sec_name, uint64_t off, uint64_t size,
			 uint32_t clone_sec)
{
	const struct elf_in *e = o->in;
	const unsigned char *ext = e->data + e->sh[e->btf_ext].sh_offset;
	const struct btf_ext_hdr *h = (const void *)ext;
	uint32_t nparts = (h->hdr_len - 8) / 8;
	if ((uint32_t)part >= nparts || h->off_len[2 * part + 1] == 0)
		return 0;
	const unsigned char *p = ext + h->hdr_len + h->off_len[2 * part];
	const unsigned char *end = p + h->off_len[2 * part + 1];
	if (end > ext + e->sh[e->btf_ext].sh_size || end - p < 4)
		return -1;
	uint32_t rec;
	memcpy(&rec, p, 4);
	if (rec < 4)
		return -1;
	p += 4;
	struct util_strbuf recs = { 0 };
	uint32_t n = 0;
	const unsigned char *btf = e->data + e->sh[e->btf].sh_offset;
	const struct btf_hdr *bh = (const void *)btf;
	while (end - p >= 8) {
		uint32_t name_off, num;
		memcpy(&name_off, p, 4);
		memcpy(&num, p + 4, 4);
		p += 8;
		if ((uint64_t)(end - p) < (uint64_t)num * rec) {
			free(recs.buf);
			return -1;
		}
		const char *name = name_off < bh->str_len ? (const char *)btf + bh->hdr_len + bh->str_off + name_off
							  : NULL;
		bool ours = name && strcmp(name, sec_name) == 0;
		for (uint32_t k = 0; k < num; k++, p += rec) {
			uint32_t insn_off;
			memcpy(&insn_off, p, 4);
			if (!ours || insn_off < off || insn_off >= off + size)
				continue;
			insn_off -= (uint32_t)off;
			util_strbuf_add(&recs, (const char *)&insn_off, 4);
			util_strbuf_add(&recs, (const char *)p + 4, rec - 4);
			n++;
		}
	}
	if (n) {
		util_strbuf_add(&o->ext_new[part], (const char *)&clone_sec, 4);
		util_strbuf_add(&o->ext_new[part], (const char *)&n, 4);
		util_strbuf_add(&o->ext_new[part], recs.buf, recs.len);
	}
	free(recs.buf);
	return 0;
}

static int add_clone(struct clone_out *o, const struct clone_prog *p, const struct clone_prog *rep)
{
	const struct elf_in *e = o->in;
	int rs = sym_find(e, rep->name);
	if (rs < 0 || ELF64_ST_TYPE(e->syms[rs].st_info) != STT_FUNC)
		return -1;
	const Elf64_Sym *sym = &e->syms[rs];
	int sec = sym->st_shndx;
	if (sec <= 0 || sec >= e->nsec || e->sh[sec].sh_type != SHT_PROGBITS || sym->st_value > e->sh[sec].sh_size ||
	    sym->st_size > e->sh[sec].sh_size - sym->st_value || sym->st_size == 0)
		return -1;
	uint64_t off = sym->st_value, size = sym->st_size;
	const char *sec_name = elf_str(e, e->shstrtab, e->sh[sec].sh_name);
	if (!sec_name)
		return -1;

	Elf64_Shdr code = e->sh[sec];
	code.sh_size = size;
	int ci = add_section(o, &code, p->section);
	if (ci < 0)
		return -1;
	util_strbuf_add(&o->secs[ci].data, (const char *)e->data + e->sh[sec].sh_offset + off, size);

	/* relocations: the slots renamed */
	struct util_strbuf rels = { 0 };
	for (int i = 1; i < e->nsec; i++) {
		if (e->sh[i].sh_type != SHT_REL || (int)e->sh[i].sh_info != sec)
			continue;
		if ((int)e->sh[i].sh_link != e->symtab) {
			free(rels.buf);
			return -1;
		}
		const Elf64_Rel *r = (const void *)(e->data + e->sh[i].sh_offset);
		size_t nr = e->sh[i].sh_size / sizeof(*r);
		for (size_t k = 0; k < nr; k++) {
			if (r[k].r_offset < off || r[k].r_offset >= off + size)
				continue;
			Elf64_Rel nrel = { r[k].r_offset - off, r[k].r_info };
			uint32_t si = (uint32_t)ELF64_R_SYM(r[k].r_info);
			const char *name = si < (uint32_t)e->nsyms ? sym_name(e, si) : "";
			for (int s = 0; s < rep->nslots && *name; s++) {
				if (strcmp(rep->slots[s], name) != 0)
					continue;
				int to = sym_find(e, p->slots[s]);
				if (to < 0) {
					free(rels.buf);
					return -1;
				}
				nrel.r_info = ELF64_R_INFO((uint64_t)to, ELF64_R_TYPE(r[k].r_info));
				break;
			}
			util_strbuf_add(&rels, (const char *)&nrel, sizeof(nrel));
		}
	}
	if (rels.len) {
		char *rel_name = xmalloc(strlen(p->section) + 5);
		sprintf(rel_name, ".rel%s", p->section);
		Elf64_Shdr rsh = { .sh_type = SHT_REL, .sh_link = (uint32_t)e->symtab, .sh_info = (uint32_t)ci,
				   .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Rel), .sh_size = rels.len };
		int ri = add_section(o, &rsh, rel_name);
		free(rel_name);
		if (ri < 0) {
			free(rels.buf);
			return -1;
		}
		o->secs[ri].data = rels;
	}

	/* the program's symbol */
	struct util_strbuf *strtab = sec_data(o, e->strtab);
	uint32_t name_off = (uint32_t)strtab->len;
	util_strbuf_add(strtab, p->name, strlen(p->name) + 1);
	Elf64_Sym s = { .st_name = name_off, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
			.st_shndx = (uint16_t)ci, .st_size = size };
	util_strbuf_add(sec_data(o, e->symtab), (const char *)&s, sizeof(s));

	uint32_t clone_sec = str_append(&o->btf_strs, o->btf_str_base, p->section);
	for (int part = 0; part < BTF_EXT_PARTS; part++)
		if (copy_ext_part(o, part, sec_name, off, size, clone_sec) < 0)
			return -1;
	return 0;
}

/* .BTF with the new strings; .BTF.ext with every part's new blocks. */
static int finish_btf(struct clone_out *o)
{
	const struct elf_in *e = o->in;
	struct util_strbuf *btf = sec_data(o, e->btf);
	struct btf_hdr bh;
	memcpy(&bh, btf->buf, sizeof(bh));
	bh.str_len += (uint32_t)o->btf_strs.len;
	memcpy(btf->buf, &bh, sizeof(bh));
	util_strbuf_add(btf, o->btf_strs.buf ? o->btf_strs.buf : "", o->btf_strs.len);

	const unsigned char *ext = e->data + e->sh[e->btf_ext].sh_offset;
	struct btf_ext_hdr h = { 0 };
	memcpy(&h, ext, 8);
	memcpy(&h, ext, h.hdr_len < sizeof(h) ? h.hdr_len : sizeof(h));
	uint32_t nparts = (h.hdr_len - 8) / 8;
	struct util_strbuf out = { 0 };
	util_strbuf_add(&out, (const char *)ext, h.hdr_len); /* header, fixed below */
	uint32_t at = 0;
	for (uint32_t part = 0; part < nparts && part < BTF_EXT_PARTS; part++) {
		uint32_t len = h.off_len[2 * part + 1];
		const char *old = (const char *)ext + h.hdr_len + h.off_len[2 * part];
		struct util_strbuf *add = &o->ext_new[part];
		if (len == 0 && add->len) {
			/* no records of this kind before: a record size is needed */
			uint32_t rec = part == 0 ? 8 : part == 1 ? 16 : 16;
			util_strbuf_add(&out, (const char *)&rec, 4);
			len = 4;
		} else {
			util_strbuf_add(&out, old, len);
		}
		util_strbuf_add(&out, add->buf ? add->buf : "", add->len);
		h.off_len[2 * part] = at;
		h.off_len[2 * part + 1] = len + (uint32_t)add->len;
		at += h.off_len[2 * part + 1];
	}
	memcpy(out.buf, &h, h.hdr_len < sizeof(h) ? h.hdr_len : sizeof(h));
	struct util_strbuf *d = sec_data(o, e->btf_ext);
	free(d->buf);
	*d = out;
	return 0;
}

static int btf_strings_last(const struct elf_in *e)
{
	const Elf64_Shdr *s = &e->sh[e->btf];
	struct btf_hdr bh;
	if (s->sh_size < sizeof(bh))
		return -1;
	memcpy(&bh, e->data + s->sh_offset, sizeof(bh));
	if (bh.magic != BTF_MAGIC_ || (uint64_t)bh.hdr_len + bh.str_off + bh.str_len != s->sh_size ||
	    bh.str_off < bh.type_off + bh.type_len)
		return -1;
	const Elf64_Shdr *x = &e->sh[e->btf_ext];
	struct btf_ext_hdr h;
	if (x->sh_size < 8)
		return -1;
	memcpy(&h, e->data + x->sh_offset, 8);
	if (h.magic != BTF_MAGIC_ || h.hdr_len < 8 + 16 || h.hdr_len > sizeof(h) || h.hdr_len > x->sh_size)
		return -1;
	return (int)bh.str_len;
}

static int write_elf(struct clone_out *o, void **elf, size_t *size)
{
	const struct elf_in *e = o->in;
	struct util_strbuf out = { 0 };
	Elf64_Ehdr eh = *e->eh;
	util_strbuf_add(&out, (const char *)&eh, sizeof(eh));
	for (int i = 1; i < o->nsecs; i++) {
		struct out_sec *s = &o->secs[i];
		uint64_t align = s->sh.sh_addralign > 1 ? s->sh.sh_addralign : 1;
		while (out.len % align)
			util_strbuf_add(&out, "", 1);
		s->sh.sh_offset = out.len;
		if (s->sh.sh_type == SHT_NOBITS)
			continue;
		if (s->replaced) {
			s->sh.sh_size = s->data.len;
			util_strbuf_add(&out, s->data.buf ? s->data.buf : "", s->data.len);
		} else {
			util_strbuf_add(&out, (const char *)e->data + e->sh[i].sh_offset, e->sh[i].sh_size);
		}
	}
	while (out.len % 8)
		util_strbuf_add(&out, "", 1);
	eh.e_shoff = out.len;
	eh.e_shnum = (uint16_t)o->nsecs;
	o->secs[0].sh = e->sh[0];
	for (int i = 0; i < o->nsecs; i++)
		util_strbuf_add(&out, (const char *)&o->secs[i].sh, sizeof(Elf64_Shdr));
	memcpy(out.buf, &eh, sizeof(eh));
	*elf = out.buf;
	*size = out.len;
	return 0;
}

int cg_clones_apply(const struct cg_clones *c, void **elf, size_t *size)
{
	if (!c || c->ncloned == 0)
		return 0;
	struct elf_in e;
	if (elf_parse(&e, *elf, *size) < 0) {
		free(e.by_name);
		return -1;
	}
	int rc = -1;
	struct clone_out o = { .in = &e, .nsecs = e.nsec, .cap = e.nsec + 2 * c->ncloned + 1 };
	o.secs = xcalloc((size_t)o.cap, sizeof(*o.secs));
	for (int i = 0; i < e.nsec; i++)
		o.secs[i].sh = e.sh[i];
	int strs = btf_strings_last(&e);
	if (strs < 0 || e.nsec + 2 * c->ncloned >= SHN_LORESERVE)
		goto done;
	o.btf_str_base = (uint32_t)strs;
	for (int i = 0; i < c->nprogs; i++)
		if (c->progs[i].rep >= 0 && add_clone(&o, &c->progs[i], &c->progs[c->progs[i].rep]) < 0)
			goto done;
	if (finish_btf(&o) < 0)
		goto done;
	void *out;
	size_t out_size;
	if (write_elf(&o, &out, &out_size) < 0)
		goto done;
	free(*elf);
	*elf = out;
	*size = out_size;
	rc = 0;
done:
	for (int i = 0; i < o.nsecs; i++)
		free(o.secs[i].data.buf);
	for (int p = 0; p < BTF_EXT_PARTS; p++)
		free(o.ext_new[p].buf);
	free(o.btf_strs.buf);
	free(o.secs);
	free(e.by_name);
	return rc;
}
