/* desc.c - the runtime description: creation, freeing, what a cache keys on,
 * and serialisation.
 *
 * sema builds struct desc; codegen moves it into struct compiled, which the
 * driver frees when the script ends. Everything inside is heap-owned, the
 * types by the description's own arena.
 *
 * The serialised form (desc_write/desc_read) is meant for a cache of
 * compiled scripts, so reading trusts nothing: a cached file may be
 * truncated, corrupted, written by another version or crafted. The layout:
 *
 *   header   "SONDEDSC", u32 SONDE_DESC_VERSION, u64 body length,
 *            u64 FNV-1a-64 hash of the body
 *   body     seven sections in this order, each a u32 byte length and
 *            its contents: types, probes, maps, printfs, values, events
 *            (ring buffer, lost and dropped maps), deps
 *
 * Integers are little-endian and fixed-width; a string is a u32 length and
 * its bytes (no NUL inside), the length 0xffffffff meaning NULL; a type
 * reference is a u32 index into the types table, 0xffffffff meaning NULL.
 *
 * The types table holds every type reachable from the description, each
 * once. Named C records, script records and enums come first: they are
 * created as shells before anything refers to them, so records may point
 * to themselves (struct list_head) or to records later in the table.
 * Derived types (pointers, arrays, strings, buffers, tuples) and scalars
 * follow, each after everything it is made of, and are rebuilt with the
 * interning constructors of types.c, so they come back interned. Record
 * members are filled last.
 *
 * Reading checks what the rest of sonde relies on without checking: every
 * enum in range, every reference in the table, no type containing itself
 * by value and no nesting deeper than DESC_MAX_TYPE_DEPTH (decoding and
 * naming recurse), members inside their record, array sizes without
 * overflow, map key and value types fitting the map's sizes, bounded
 * lhist parameters. Counts are checked against the bytes left before
 * anything is allocated for them, and the types table is capped, so
 * reading takes time and memory in proportion to the input. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "btf.h"
#include "builtins.h"
#include "desc.h"
#include "util.h"

struct desc *desc_new(void)
{
	struct desc *d = xcalloc(1, sizeof(*d));
	d->types = type_arena_new();
	d->deps.kernel_build_id = xstrdup("");
	d->deps.syscall_abi = xstrdup("");
	return d;
}

int desc_probe_blocks(const struct desc *d)
{
	int n = 0;
	for (int i = 0; i < d->nprobes; i++)
		n += d->probes[i].nblocks ? (int)d->probes[i].nblocks : 1;
	return n;
}

/* bpf_skb_output writes to a perf event array only. */
const struct desc_channel_spec desc_channel_specs[DESC_NCHANNELS] = {
	[DESC_CHANNEL_SKBOUTPUT] = { "skb_output", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 0 },
};

void desc_channel_free(struct desc_channel *c)
{
	for (int i = 0; i < c->ncalls; i++)
		free(c->calls[i].text);
	free(c->calls);
	free(c->map_name);
	*c = (struct desc_channel){ 0 };
}

void desc_free(struct desc *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->nprobes; i++) {
		free(d->probes[i].name);
		free(d->probes[i].target);
		free(d->probes[i].prog_name);
		free(d->probes[i].params);
	}
	free(d->probes);
	for (int i = 0; i < d->nmaps; i++) {
		free(d->maps[i].name);
		free(d->maps[i].bpf_name);
	}
	free(d->maps);
	for (int i = 0; i < d->nprintfs; i++) {
		free(d->printfs[i].fmt);
		for (int k = 0; k < d->printfs[i].nexpanded; k++)
			free(d->printfs[i].expanded_line[k]);
		free(d->printfs[i].line);
	}
	free(d->printfs);
	free(d->values);
	free(d->ringbuf_name);
	free(d->lost_name);
	free(d->dropped_name);
	for (int k = 0; k < DESC_NCHANNELS; k++)
		desc_channel_free(&d->channels[k]);
	free(d->deps.kernel_build_id);
	free(d->deps.syscall_abi);
	type_arena_free(d->types);
	free(d);
}

void compiled_free(struct compiled *c)
{
	if (!c)
		return;
	free(c->elf);
	desc_free(c->desc);
	c->elf = NULL;
	c->elf_size = 0;
	c->desc = NULL;
}

/* ---- what a cache keys on ------------------------------------------------------ */

/* Syscall numbers compiled into lowered tracepoints follow the build
 * machine's ABI (probes/syscalls.c lowers only on x86_64 today). */
#if defined(__x86_64__)
#define DESC_SYSCALL_ABI "x86_64"
#elif defined(__aarch64__)
#define DESC_SYSCALL_ABI "aarch64"
#else
#define DESC_SYSCALL_ABI "unknown"
#endif

static void replace_str(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* Kernel-specific layouts came from this kernel when BTF was read, or when
 * a tracepoint's record was taken from its tracefs format (a tracepoint
 * that stays a perf-event tracepoint reads its fields at the offsets the
 * format gave). */
static unsigned desc_probe_deps(const struct desc *d)
{
	unsigned deps = 0;
	for (int i = 0; i < d->nprobes; i++)
		deps |= d->probes[i].deps;
	return deps;
}

void desc_note_kernel(struct desc *d)
{
	unsigned deps = desc_probe_deps(d);
	if (kbtf_loaded() || (deps & DESC_DEP_KERNEL_LAYOUT))
		replace_str(&d->deps.kernel_build_id, kbtf_kernel_build_id());
	if (deps & DESC_DEP_SYSCALL_ABI)
		replace_str(&d->deps.syscall_abi, DESC_SYSCALL_ABI);
}

/* ---- the format's constants ------------------------------------------------------- */

static const char desc_magic[8] = { 'S', 'O', 'N', 'D', 'E', 'D', 'S', 'C' };
#define DESC_HEADER_SIZE 28u          /* magic, version, body length, hash */
#define DESC_NULL UINT32_MAX          /* a NULL string or type reference */
#define DESC_MAX_TYPE_DEPTH 256       /* decoding and naming recurse this deep at most */
#define DESC_MAX_VALUE_ITEMS (1u << 20) /* decoded items in one key, value or event */
#define DESC_MAX_MAP_BYTES (1u << 24) /* a BPF key or value */
#define DESC_MAX_STACK_FRAMES 1024u   /* the kernel's perf_event_max_stack is 127 by default */
#define DESC_MAX_EMPTY_ELEMS 4096u    /* elements of an array of zero-sized elements */
/* Interning looks a new tuple up among those with its first element and
 * arity, so n tuples cost up to n^2 / 2 comparisons; real scripts have
 * dozens. Types in all: a script touching many kernel structs has
 * thousands. */
#define DESC_MAX_TUPLES (1u << 13)
#define DESC_MAX_TYPES (1u << 18)

enum desc_section {
	SEC_TYPES,
	SEC_PROBES,
	SEC_MAPS,
	SEC_PRINTFS,
	SEC_VALUES,
	SEC_EVENTS,
	SEC_DEPS,
	SEC__COUNT
};

static const char *const section_names[SEC__COUNT] = {
	[SEC_TYPES] = "types", [SEC_PROBES] = "probes", [SEC_MAPS] = "maps",
	[SEC_PRINTFS] = "printfs", [SEC_VALUES] = "values", [SEC_EVENTS] = "events",
	[SEC_DEPS] = "deps",
};

/* Flags of a serialised integer, enum or record. */
#define TF_SIGNED 1u
#define TF_LITERAL 2u
#define TF_PACKED 4u
#define TF_INCOMPLETE 8u


/* Named records and enums are created before anything refers to them. */
static bool is_shell_type(const struct type *t)
{
	return (t->kind == TY_RECORD && t->rkind != REC_TUPLE) || t->kind == TY_ENUM;
}

/* ---- writing: into a util_strbuf --------------------------------------------------- */

static void put_le(struct util_strbuf *b, uint64_t v, unsigned nbytes)
{
	unsigned char le[8];
	for (unsigned i = 0; i < nbytes; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	util_strbuf_add(b, le, nbytes);
}

static void put_u8(struct util_strbuf *b, uint8_t v) { put_le(b, v, 1); }
static void put_u16(struct util_strbuf *b, uint16_t v) { put_le(b, v, 2); }
static void put_u32(struct util_strbuf *b, uint32_t v) { put_le(b, v, 4); }
static void put_u64(struct util_strbuf *b, uint64_t v) { put_le(b, v, 8); }
static void put_i32(struct util_strbuf *b, int32_t v) { put_le(b, (uint32_t)v, 4); }
static void put_i64(struct util_strbuf *b, int64_t v) { put_le(b, (uint64_t)v, 8); }

static void put_str(struct util_strbuf *b, const char *s)
{
	if (!s) {
		put_u32(b, DESC_NULL);
		return;
	}
	size_t n = strlen(s);
	put_u32(b, (uint32_t)n);
	util_strbuf_add(b, s, n);
}

static void put_loc(struct util_strbuf *b, srcloc loc)
{
	put_i32(b, loc.line);
	put_i32(b, loc.col);
	put_i32(b, loc.end_line);
	put_i32(b, loc.end_col);
}

/* A section is its length, patched in when it ends. */
static size_t section_begin(struct util_strbuf *b)
{
	put_u32(b, 0);
	return b->len;
}

static void section_end(struct util_strbuf *b, size_t start)
{
	uint32_t n = (uint32_t)(b->len - start);
	for (unsigned i = 0; i < 4; i++)
		b->buf[start - 4 + i] = (char)(unsigned char)(n >> (8 * i));
}

/* ---- writing: the types table ------------------------------------------------------- */

#define UNPLACED UINT32_MAX
#define PLACING (UINT32_MAX - 1)

/* Every type reachable from the description, by address: its index in the
 * table once placed. */
struct type_table {
	struct type_slot {
		const struct type *t;
		uint32_t index;
	} *slots;
	size_t nslots, nused;   /* open addressing, nslots a power of two */
	const struct type **order; /* the table, in index order */
	uint32_t n;
	const struct type **found; /* in discovery order */
	uint32_t nfound;
};

static size_t slot_of(const struct type_table *tt, const struct type *t)
{
	uintptr_t h = (uintptr_t)t;
	h ^= h >> 17;
	h *= (uintptr_t)0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h >> 7) & (tt->nslots - 1);
	while (tt->slots[i].t && tt->slots[i].t != t)
		i = (i + 1) & (tt->nslots - 1);
	return i;
}

static struct type_slot *table_find(const struct type_table *tt, const struct type *t)
{
	if (!tt->nslots)
		return NULL;
	struct type_slot *s = &tt->slots[slot_of(tt, t)];
	return s->t ? s : NULL;
}

static void table_grow(struct type_table *tt)
{
	struct type_slot *old = tt->slots;
	size_t nold = tt->nslots;
	tt->nslots = nold ? nold * 2 : 64;
	tt->slots = xcalloc(tt->nslots, sizeof(*tt->slots));
	for (size_t i = 0; i < nold; i++)
		if (old[i].t)
			tt->slots[slot_of(tt, old[i].t)] = old[i];
	free(old);
}

/* Adds t unless known; true when it is new. */
static bool table_add(struct type_table *tt, const struct type *t)
{
	if (table_find(tt, t))
		return false;
	if ((tt->nused + 1) * 2 > tt->nslots)
		table_grow(tt);
	tt->slots[slot_of(tt, t)] = (struct type_slot){ t, UNPLACED };
	tt->nused++;
	if ((tt->nfound & (tt->nfound - 1)) == 0) /* 0, 1, 2, 4...: double */
		tt->found = xrealloc(tt->found, sizeof(*tt->found) * (tt->nfound ? 2 * (size_t)tt->nfound : 1));
	tt->found[tt->nfound++] = t;
	return true;
}

static void table_free(struct type_table *tt)
{
	free(tt->slots);
	free(tt->order);
	free(tt->found);
}

static uint32_t type_ref(const struct type_table *tt, const struct type *t)
{
	return t ? table_find(tt, t)->index : DESC_NULL;
}

/* The types t is made of: its pointee/element, or its members' types. */
static int type_nparts(const struct type *t)
{
	if (t->kind == TY_PTR || t->kind == TY_ARRAY)
		return 1;
	return t->kind == TY_RECORD ? t->nmembers : 0;
}

static const struct type *type_part(const struct type *t, int i)
{
	return t->kind == TY_RECORD ? t->members[i].type : t->elem;
}

/* Every type reachable from roots, without recursion (kernel records
 * reach many others). */
static void table_discover(struct type_table *tt, const struct type *const *roots, size_t nroots)
{
	size_t n = 0, cap = nroots + 16;
	const struct type **stack = xmalloc(sizeof(*stack) * cap);
	for (size_t i = 0; i < nroots; i++)
		if (roots[i])
			stack[n++] = roots[i];
	while (n) {
		const struct type *t = stack[--n];
		if (!table_add(tt, t))
			continue;
		for (int i = 0; i < type_nparts(t); i++) {
			const struct type *part = type_part(t, i);
			if (!part)
				continue;
			if (n == cap)
				stack = xrealloc(stack, sizeof(*stack) * (cap *= 2));
			stack[n++] = part;
		}
	}
	free(stack);
}

static void table_place(struct type_table *tt, const struct type *t)
{
	table_find(tt, t)->index = tt->n;
	tt->order[tt->n++] = t;
}

/* Places t after the derived types it is made of. Derived types cannot
 * form a cycle by themselves (each is made from parts that existed
 * before it); PLACING catches a hand-built one. */
static int place_derived(struct type_table *tt, const struct type *t)
{
	struct type_slot *s = table_find(tt, t);
	if (s->index == PLACING)
		return -1;
	if (s->index != UNPLACED)
		return 0;
	s->index = PLACING;
	for (int i = 0; i < type_nparts(t); i++) {
		const struct type *part = type_part(t, i);
		if (part && !is_shell_type(part) && place_derived(tt, part))
			return -1;
	}
	table_place(tt, t);
	return 0;
}

/* Every type the description refers to. */
static const struct type **desc_type_roots(const struct desc *d, size_t *n)
{
	size_t cap = (size_t)d->nmaps * 2 + (size_t)d->nprintfs + (size_t)d->nvalues + 1;
	const struct type **roots = xmalloc(sizeof(*roots) * cap);
	*n = 0;
	for (int i = 0; i < d->nmaps; i++) {
		roots[(*n)++] = d->maps[i].key;
		roots[(*n)++] = d->maps[i].value;
	}
	for (int i = 0; i < d->nprintfs; i++)
		roots[(*n)++] = d->printfs[i].args;
	for (int i = 0; i < d->nvalues; i++)
		roots[(*n)++] = d->values[i];
	return roots;
}

static int table_build(struct type_table *tt, const struct desc *d)
{
	size_t nroots;
	const struct type **roots = desc_type_roots(d, &nroots);
	table_discover(tt, roots, nroots);
	free(roots);
	tt->order = xmalloc(sizeof(*tt->order) * (tt->nfound ? tt->nfound : 1));
	for (uint32_t i = 0; i < tt->nfound; i++)
		if (is_shell_type(tt->found[i]))
			table_place(tt, tt->found[i]);
	for (uint32_t i = 0; i < tt->nfound; i++)
		if (!is_shell_type(tt->found[i]) && place_derived(tt, tt->found[i]))
			return -1;
	return 0;
}

static void put_record(struct util_strbuf *b, const struct type_table *tt, const struct type *t)
{
	put_u8(b, (uint8_t)t->rkind);
	if (t->rkind == REC_TUPLE) {
		put_u32(b, (uint32_t)t->nmembers);
		for (int i = 0; i < t->nmembers; i++)
			put_u32(b, type_ref(tt, t->members[i].type));
		return;
	}
	put_str(b, t->name);
	put_u8(b, (uint8_t)((t->is_packed ? TF_PACKED : 0) | (t->incomplete ? TF_INCOMPLETE : 0)));
	put_i32(b, t->btf_id);
	put_u32(b, t->size);
	put_u32(b, t->align);
	put_u32(b, (uint32_t)t->nmembers);
	for (int i = 0; i < t->nmembers; i++) {
		const struct type_member *m = &t->members[i];
		put_str(b, m->name);
		put_u32(b, type_ref(tt, m->type));
		put_u32(b, m->offset);
		put_u16(b, m->bit_offset);
		put_u16(b, m->bit_size);
		put_u8(b, m->is_data_loc);
	}
}

static void put_type(struct util_strbuf *b, const struct type_table *tt, const struct type *t)
{
	put_u8(b, (uint8_t)t->kind);
	switch (t->kind) {
	case TY_INT:
		put_u32(b, t->size);
		put_u8(b, (uint8_t)((t->is_signed ? TF_SIGNED : 0) | (t->is_literal ? TF_LITERAL : 0)));
		break;
	case TY_ENUM:
		put_str(b, t->name);
		put_u32(b, t->size);
		put_u8(b, t->is_signed ? TF_SIGNED : 0);
		put_u32(b, (uint32_t)t->nenumerators);
		for (int i = 0; i < t->nenumerators; i++) {
			put_str(b, t->enumerators[i].name);
			put_i64(b, t->enumerators[i].value);
		}
		break;
	case TY_PTR:
		put_u8(b, (uint8_t)t->as);
		put_u32(b, type_ref(tt, t->elem));
		break;
	case TY_ARRAY:
		put_u32(b, type_ref(tt, t->elem));
		put_u32(b, t->count);
		break;
	case TY_STR:
		put_u32(b, t->size);
		put_u8(b, type_str_is_char_array(t));
		break;
	case TY_BUF:
		put_u32(b, t->count);
		break;
	case TY_STACK:
		put_u8(b, (uint8_t)t->as);
		put_u32(b, t->count);
		put_u8(b, (uint8_t)t->stack_mode);
		break;
	case TY_RECORD:
		put_record(b, tt, t);
		break;
	default: /* none, void, bool, aggregation: the kind says it all */
		break;
	}
}

/* ---- writing: the description -------------------------------------------------------- */

static void put_probes(struct util_strbuf *b, const struct desc *d)
{
	put_u32(b, (uint32_t)d->nprobes);
	for (int i = 0; i < d->nprobes; i++) {
		const struct desc_probe *p = &d->probes[i];
		put_u8(b, (uint8_t)p->type);
		put_str(b, p->name);
		put_str(b, p->target);
		put_str(b, p->prog_name);
		put_loc(b, p->loc);
		put_str(b, p->params);
		put_u32(b, p->deps);
		put_u8(b, p->shares_program);
		put_u32(b, p->nblocks);
	}
}

static void put_maps(struct util_strbuf *b, const struct desc *d, const struct type_table *tt)
{
	put_u32(b, (uint32_t)d->nmaps);
	for (int i = 0; i < d->nmaps; i++) {
		const struct desc_map *m = &d->maps[i];
		put_str(b, m->name);
		put_str(b, m->bpf_name);
		put_u8(b, (uint8_t)m->kind);
		put_u32(b, type_ref(tt, m->key));
		put_u32(b, type_ref(tt, m->value));
		put_u32(b, m->key_size);
		put_u32(b, m->value_size);
		for (int k = 0; k < 3; k++)
			put_i64(b, m->args[k]);
		put_u8(b, m->lru);
		put_u32(b, m->max_entries);
		put_u8(b, m->prealloc);
		put_u8(b, m->array);
	}
}

static void put_printfs(struct util_strbuf *b, const struct desc *d, const struct type_table *tt)
{
	put_u32(b, (uint32_t)d->nprintfs);
	for (int i = 0; i < d->nprintfs; i++) {
		put_str(b, d->printfs[i].fmt);
		put_u32(b, type_ref(tt, d->printfs[i].args));
		put_loc(b, d->printfs[i].loc);
		put_u8(b, (uint8_t)d->printfs[i].action);
		put_u8(b, (uint8_t)d->printfs[i].nexpanded);
		for (int k = 0; k < d->printfs[i].nexpanded; k++) {
			put_loc(b, d->printfs[i].expanded[k]);
			put_str(b, d->printfs[i].expanded_line[k]);
		}
		put_str(b, d->printfs[i].line);
	}
}

static void put_body(struct util_strbuf *b, const struct desc *d, const struct type_table *tt)
{
	size_t at = section_begin(b);
	put_u32(b, tt->n);
	for (uint32_t i = 0; i < tt->n; i++)
		put_type(b, tt, tt->order[i]);
	section_end(b, at);

	at = section_begin(b);
	put_probes(b, d);
	section_end(b, at);

	at = section_begin(b);
	put_maps(b, d, tt);
	section_end(b, at);

	at = section_begin(b);
	put_printfs(b, d, tt);
	section_end(b, at);

	at = section_begin(b);
	put_u32(b, (uint32_t)d->nvalues);
	for (int i = 0; i < d->nvalues; i++)
		put_u32(b, type_ref(tt, d->values[i]));
	section_end(b, at);

	at = section_begin(b);
	put_str(b, d->ringbuf_name);
	put_str(b, d->lost_name);
	put_str(b, d->dropped_name);
	put_u32(b, d->ringbuf_size);
	for (int k = 0; k < DESC_NCHANNELS; k++) {
		const struct desc_channel *c = &d->channels[k];
		put_str(b, c->map_name);
		put_u32(b, (uint32_t)c->ncalls);
		for (int i = 0; i < c->ncalls; i++) {
			put_str(b, c->calls[i].text);
			put_u64(b, c->calls[i].num);
		}
	}
	section_end(b, at);

	at = section_begin(b);
	put_str(b, d->deps.kernel_build_id);
	put_str(b, d->deps.syscall_abi);
	put_u32(b, d->deps.max_strlen);
	put_u32(b, d->deps.ncpus_pow2);
	section_end(b, at);
}

int desc_write(const struct desc *d, FILE *out)
{
	struct type_table tt = { 0 };
	if (table_build(&tt, d)) {
		table_free(&tt);
		errno = EINVAL;
		return -1;
	}
	struct util_strbuf body = { 0 };
	put_body(&body, d, &tt);
	table_free(&tt);

	struct util_strbuf head = { 0 };
	util_strbuf_add(&head, desc_magic, sizeof(desc_magic));
	put_u32(&head, SONDE_DESC_VERSION);
	put_u64(&head, body.len);
	put_u64(&head, util_fnv1a64(body.buf, body.len, UTIL_FNV_BASIS));
	bool ok = fwrite(head.buf, 1, head.len, out) == head.len &&
		  (body.len == 0 || fwrite(body.buf, 1, body.len, out) == body.len);
	free(head.buf);
	free(body.buf);
	if (!ok && !errno)
		errno = EIO;
	return ok ? 0 : -1;
}

/* ---- reading: a bounds-checked cursor ----------------------------------------------- */

/* The first failure wins and is sticky: every read after it yields zeros,
 * so parsing code reads straight through and checks `failed` before it
 * allocates or builds anything. */
struct reader {
	const unsigned char *p;
	size_t at, end;  /* cursor; end of the current section */
	bool failed;
	char *err;
	size_t errlen;
	const char *section;
};

static void reader_fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reader_fail(struct reader *r, const char *fmt, ...)
{
	if (r->failed)
		return;
	r->failed = true;
	if (!r->err || !r->errlen)
		return;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->section)
		snprintf(r->err, r->errlen, "%s (%s section, byte %zu)", msg, r->section, r->at);
	else
		snprintf(r->err, r->errlen, "%s", msg);
}

static size_t reader_left(const struct reader *r)
{
	return r->failed ? 0 : r->end - r->at;
}

static const unsigned char *take(struct reader *r, size_t n)
{
	if (r->failed)
		return NULL;
	if (r->end - r->at < n) {
		reader_fail(r, "truncated: %zu bytes needed, %zu left", n, r->end - r->at);
		return NULL;
	}
	const unsigned char *p = r->p + r->at;
	r->at += n;
	return p;
}

static uint64_t get_le(struct reader *r, unsigned nbytes)
{
	const unsigned char *p = take(r, nbytes);
	uint64_t v = 0;
	for (unsigned i = 0; p && i < nbytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t get_u8(struct reader *r) { return (uint8_t)get_le(r, 1); }
static uint16_t get_u16(struct reader *r) { return (uint16_t)get_le(r, 2); }
static uint32_t get_u32(struct reader *r) { return (uint32_t)get_le(r, 4); }
static uint64_t get_u64(struct reader *r) { return get_le(r, 8); }
static int32_t get_i32(struct reader *r) { return (int32_t)get_u32(r); }
static int64_t get_i64(struct reader *r) { return (int64_t)get_u64(r); }

static bool get_bool(struct reader *r)
{
	uint8_t v = get_u8(r);
	if (v > 1)
		reader_fail(r, "flag %u is neither 0 nor 1", v);
	return v == 1;
}

/* A count of items of at least min_bytes each: never more than the bytes
 * left can hold, so nothing is allocated beyond the input's size. */
static uint32_t get_count(struct reader *r, size_t min_bytes, const char *what)
{
	uint32_t n = get_u32(r);
	if (!r->failed && (n > reader_left(r) / min_bytes || n > INT_MAX)) {
		reader_fail(r, "%u %s cannot fit in the %zu bytes left", n, what, reader_left(r));
		return 0;
	}
	return n;
}

/* A string as it lies in the input (not NUL-terminated). */
struct span {
	const char *s;
	uint32_t len;
	bool present;
};

static struct span get_span(struct reader *r, bool nullable)
{
	struct span sp = { 0 };
	uint32_t n = get_u32(r);
	if (r->failed)
		return sp;
	if (n == DESC_NULL) {
		if (!nullable)
			reader_fail(r, "a required string is missing");
		return sp;
	}
	const unsigned char *p = take(r, n);
	if (!p)
		return sp;
	if (memchr(p, '\0', n)) {
		reader_fail(r, "a string contains a NUL byte");
		return sp;
	}
	return (struct span){ (const char *)p, n, true };
}

static char *span_dup(struct span sp)
{
	return sp.present ? xstrndup(sp.s, sp.len) : NULL;
}

static char *get_str(struct reader *r, bool nullable)
{
	return span_dup(get_span(r, nullable));
}

/* Lines and columns are never negative; the bound leaves room for the
 * `col + 1` arithmetic of src/diag.c. */
static int get_loc_part(struct reader *r)
{
	int32_t v = get_i32(r);
	if (v < 0 || v > INT32_MAX / 2) {
		reader_fail(r, "source position %d out of range", v);
		return 0;
	}
	return v;
}

static srcloc get_loc(struct reader *r)
{
	srcloc loc;
	loc.line = get_loc_part(r);
	loc.col = get_loc_part(r);
	loc.end_line = get_loc_part(r);
	loc.end_col = get_loc_part(r);
	return loc;
}

/* Enters the next section: reads are confined to its length. */
static void section_enter(struct reader *r, enum desc_section s)
{
	r->section = section_names[s];
	uint32_t len = get_u32(r);
	if (!r->failed && len > r->end - r->at)
		reader_fail(r, "section of %u bytes, %zu left", len, r->end - r->at);
	if (!r->failed)
		r->end = r->at + len;
}

static void section_leave(struct reader *r, size_t body_end)
{
	if (!r->failed && r->at != r->end)
		reader_fail(r, "%zu unread bytes at the end of the section", r->end - r->at);
	r->end = body_end;
}

/* ---- reading: the types table -------------------------------------------------------- */

/* A type as read, before it is built: references are table indices. */
struct raw_type {
	uint8_t kind, rkind, as, flags;
	uint32_t size, align, count;
	uint32_t elem;      /* pointers, arrays */
	int32_t btf_id;
	struct span name;
	uint32_t first, n;  /* members, tuple elements or enumerators in their pool */
};

struct raw_member {
	struct span name;
	uint32_t type, offset;
	uint16_t bit_offset, bit_size;
	bool is_data_loc;
};

struct raw_enumerator {
	struct span name;
	int64_t value;
};

struct raw_types {
	struct raw_type *t;
	uint32_t n;
	struct raw_member *members;
	uint32_t nmembers;
	uint32_t *elems;    /* tuple elements */
	uint32_t nelems;
	uint32_t ntuples;
	struct raw_enumerator *enumerators;
	uint32_t nenumerators;
	const struct type **built;
	/* per graph (enum type_graph): 0 unseen, 1 being visited, 2 done */
	uint8_t *state[2];
	uint16_t *height[2];
	uint64_t *items;    /* decoded items of a value of the type, 0 = not yet known */
};

static void raw_types_free(struct raw_types *rt)
{
	free(rt->t);
	free(rt->members);
	free(rt->elems);
	free(rt->enumerators);
	free(rt->built);
	for (int g = 0; g < 2; g++) {
		free(rt->state[g]);
		free(rt->height[g]);
	}
	free(rt->items);
}

/* Pools grow as records are read; their total is bounded by the input. */
static void *pool_push(void *pool, uint32_t *n, size_t size)
{
	uint32_t k = *n;
	if ((k & (k - 1)) == 0) /* 0, 1, 2, 4...: double */
		pool = xrealloc(pool, size * (k ? 2 * (size_t)k : 1));
	(*n)++;
	return pool;
}

static uint32_t get_ref(struct reader *r, uint32_t ntypes, bool nullable)
{
	uint32_t ref = get_u32(r);
	if (r->failed)
		return DESC_NULL;
	if (ref == DESC_NULL) {
		if (!nullable)
			reader_fail(r, "a required type is missing");
		return DESC_NULL;
	}
	if (ref >= ntypes) {
		reader_fail(r, "type %u out of the table's %u", ref, ntypes);
		return DESC_NULL;
	}
	return ref;
}

/* A part of a derived type is built before it: an earlier index. */
static uint32_t get_part_ref(struct reader *r, uint32_t ntypes, uint32_t self)
{
	uint32_t ref = get_ref(r, ntypes, false);
	if (!r->failed && ref >= self)
		reader_fail(r, "type %u is made of type %u, which comes after it", self, ref);
	return ref;
}

static void read_members(struct reader *r, struct raw_types *rt, struct raw_type *e)
{
	/* name length, type, offset, bit offset and size, data_loc flag */
	e->n = get_count(r, 17, "members");
	e->first = rt->nmembers;
	for (uint32_t i = 0; i < e->n && !r->failed; i++) {
		rt->members = pool_push(rt->members, &rt->nmembers, sizeof(*rt->members));
		struct raw_member *m = &rt->members[rt->nmembers - 1];
		m->name = get_span(r, true);
		m->type = get_ref(r, rt->n, true);
		m->offset = get_u32(r);
		m->bit_offset = get_u16(r);
		m->bit_size = get_u16(r);
		m->is_data_loc = get_bool(r);
	}
}

static void read_record(struct reader *r, struct raw_types *rt, struct raw_type *e, uint32_t self)
{
	e->rkind = get_u8(r);
	if (e->rkind > REC_RECORD) {
		reader_fail(r, "record kind %u unknown", e->rkind);
		return;
	}
	if (e->rkind == REC_TUPLE) {
		if (++rt->ntuples > DESC_MAX_TUPLES) {
			reader_fail(r, "more than %u tuple types", DESC_MAX_TUPLES);
			return;
		}
		e->n = get_count(r, 4, "tuple elements");
		e->first = rt->nelems;
		for (uint32_t i = 0; i < e->n && !r->failed; i++) {
			rt->elems = pool_push(rt->elems, &rt->nelems, sizeof(*rt->elems));
			rt->elems[rt->nelems - 1] = get_part_ref(r, rt->n, self);
		}
		return;
	}
	e->name = get_span(r, true);
	e->flags = get_u8(r);
	e->btf_id = get_i32(r);
	e->size = get_u32(r);
	e->align = get_u32(r);
	if (e->flags & ~(TF_PACKED | TF_INCOMPLETE))
		reader_fail(r, "record flags %#x unknown", e->flags);
	if (e->align == 0 || (e->align & (e->align - 1)))
		reader_fail(r, "record alignment %u is not a power of two", e->align);
	read_members(r, rt, e);
}

static bool is_int_size(uint32_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static void read_enum(struct reader *r, struct raw_types *rt, struct raw_type *e)
{
	e->name = get_span(r, true);
	e->size = get_u32(r);
	e->flags = get_u8(r);
	if (!r->failed && (!is_int_size(e->size) || (e->flags & ~TF_SIGNED)))
		reader_fail(r, "enum of %u bytes (flags %#x)", e->size, e->flags);
	e->n = get_count(r, 12, "enumerators");
	e->first = rt->nenumerators;
	for (uint32_t i = 0; i < e->n && !r->failed; i++) {
		rt->enumerators = pool_push(rt->enumerators, &rt->nenumerators, sizeof(*rt->enumerators));
		struct raw_enumerator *en = &rt->enumerators[rt->nenumerators - 1];
		en->name = get_span(r, false);
		en->value = get_i64(r);
	}
}

static void read_type(struct reader *r, struct raw_types *rt, uint32_t self)
{
	struct raw_type *e = &rt->t[self];
	memset(e, 0, sizeof(*e));
	e->kind = get_u8(r);
	switch (e->kind) {
	case TY_NONE:
	case TY_VOID:
	case TY_BOOL:
	case TY_AGG:
	case TY_KSYM:
		break;
	case TY_INT:
		e->size = get_u32(r);
		e->flags = get_u8(r);
		if (!r->failed && (!is_int_size(e->size) || (e->flags & ~(TF_SIGNED | TF_LITERAL)) ||
				   e->flags == TF_LITERAL))
			reader_fail(r, "integer of %u bytes (flags %#x)", e->size, e->flags);
		break;
	case TY_ENUM:
		read_enum(r, rt, e);
		break;
	case TY_PTR:
		e->as = get_u8(r);
		if (e->as > AS_USER)
			reader_fail(r, "address space %u unknown", e->as);
		e->elem = get_part_ref(r, rt->n, self);
		break;
	case TY_ARRAY:
		e->elem = get_part_ref(r, rt->n, self);
		e->count = get_u32(r);
		break;
	case TY_STR:
		e->size = get_u32(r);
		e->flags = get_u8(r); /* a C char array */
		break;
	case TY_BUF:
		e->count = get_u32(r);
		if (e->count > UINT32_MAX - 4)
			reader_fail(r, "buffer of %u bytes", e->count);
		break;
	case TY_STACK:
		e->as = get_u8(r);
		e->count = get_u32(r);
		e->flags = get_u8(r); /* the stack mode */
		if (!r->failed && (e->as == AS_NONE || e->as > AS_USER || e->count == 0 ||
				   e->count > DESC_MAX_STACK_FRAMES || e->flags > STACK_MODE_BUILD_ID))
			reader_fail(r, "stack of %u frames (space %u, mode %u)", e->count, e->as, e->flags);
		break;
	case TY_RECORD:
		read_record(r, rt, e, self);
		break;
	default:
		reader_fail(r, "type kind %u unknown", e->kind);
		break;
	}
}

/* ---- reading: the shape of the type graph ---------------------------------------------- */

/* Two recursions walk types: decoding a value follows what a value
 * contains (array elements, members), naming and comparing follow
 * pointees, elements and the members of unnamed records (a named record
 * stops them). Neither may meet a cycle or go deeper than
 * DESC_MAX_TYPE_DEPTH. */
enum type_graph { GRAPH_CONTAINS, GRAPH_SPELLS };

static bool is_named_record(const struct raw_type *e)
{
	return e->kind == TY_RECORD && e->rkind != REC_TUPLE && e->name.present;
}

/* Number of edges out of e in graph g, and the k-th. */
static uint32_t graph_nedges(const struct raw_type *e, enum type_graph g)
{
	switch (e->kind) {
	case TY_PTR:
		return g == GRAPH_SPELLS;
	case TY_ARRAY:
		return 1;
	case TY_RECORD:
		return g == GRAPH_SPELLS && is_named_record(e) ? 0 : e->n;
	default:
		return 0;
	}
}

static uint32_t graph_edge(const struct raw_types *rt, const struct raw_type *e, uint32_t k)
{
	if (e->kind != TY_RECORD)
		return e->elem;
	if (e->rkind == REC_TUPLE)
		return rt->elems[e->first + k];
	return rt->members[e->first + k].type;
}

/* The height of type i in graph g (1 for a leaf); -1 after a failure.
 * The recursion is as deep as the height, which is bounded. */
static int graph_height(struct reader *r, struct raw_types *rt, uint32_t i, enum type_graph g,
			int depth)
{
	if (rt->state[g][i] == 2)
		return rt->height[g][i];
	if (rt->state[g][i] == 1) {
		reader_fail(r, "type %u %s itself", i,
			    g == GRAPH_CONTAINS ? "contains" : "is spelled through");
		return -1;
	}
	if (depth >= DESC_MAX_TYPE_DEPTH) {
		reader_fail(r, "types nested more than %d deep", DESC_MAX_TYPE_DEPTH);
		return -1;
	}
	rt->state[g][i] = 1;
	int height = 0;
	const struct raw_type *e = &rt->t[i];
	for (uint32_t k = 0; k < graph_nedges(e, g); k++) {
		uint32_t to = graph_edge(rt, e, k);
		if (to == DESC_NULL)
			continue;
		int h = graph_height(r, rt, to, g, depth + 1);
		if (h < 0)
			return -1;
		if (h > height)
			height = h;
	}
	if (height + 1 > DESC_MAX_TYPE_DEPTH) {
		reader_fail(r, "types nested more than %d deep", DESC_MAX_TYPE_DEPTH);
		return -1;
	}
	rt->state[g][i] = 2;
	rt->height[g][i] = (uint16_t)(height + 1);
	return height + 1;
}

static void check_type_graph(struct reader *r, struct raw_types *rt)
{
	for (int g = 0; g < 2; g++) {
		rt->state[g] = xcalloc(rt->n ? rt->n : 1, sizeof(*rt->state[g]));
		rt->height[g] = xcalloc(rt->n ? rt->n : 1, sizeof(*rt->height[g]));
		for (uint32_t i = 0; i < rt->n && !r->failed; i++)
			graph_height(r, rt, i, (enum type_graph)g, 0);
	}
}

/* ---- reading: building the types ------------------------------------------------------- */

static const char *arena_span(struct type_arena *a, struct span sp)
{
	if (!sp.present)
		return NULL;
	char *tmp = span_dup(sp);
	const char *s = type_arena_strdup(a, tmp);
	free(tmp);
	return s;
}

static const struct type *scalar_of(const struct raw_type *e)
{
	switch (e->kind) {
	case TY_NONE: return type_none();
	case TY_VOID: return type_void();
	case TY_BOOL: return type_bool();
	case TY_AGG: return type_agg();
	case TY_KSYM: return type_ksym();
	default:
		break;
	}
	if (!(e->flags & TF_LITERAL))
		return type_int(e->size, e->flags & TF_SIGNED);
	/* the literal type of each size: its largest value */
	static const uint64_t largest[] = { 0, INT8_MAX, INT16_MAX, 0, INT32_MAX, 0, 0, 0, INT64_MAX };
	return type_int_literal(largest[e->size], false);
}

static const struct type *build_shell(struct type_arena *a, const struct raw_types *rt,
				      const struct raw_type *e)
{
	if (e->kind == TY_ENUM) {
		char *name = span_dup(e->name);
		struct type *t = type_enum_new(a, name, e->size, e->flags & TF_SIGNED);
		free(name);
		for (uint32_t k = 0; k < e->n; k++) {
			const struct raw_enumerator *en = &rt->enumerators[e->first + k];
			char *ename = span_dup(en->name);
			type_enum_add(a, t, ename, en->value);
			free(ename);
		}
		return t;
	}
	struct type *t = type_record_new(a, (enum record_kind)e->rkind, NULL);
	t->name = arena_span(a, e->name);
	t->size = e->size;
	t->align = e->align;
	t->btf_id = e->btf_id;
	t->is_packed = e->flags & TF_PACKED;
	t->incomplete = e->flags & TF_INCOMPLETE;
	return t;
}

static const struct type *build_array(struct reader *r, struct type_arena *a,
				      const struct raw_type *e, const struct type *elem)
{
	if ((uint64_t)elem->size * e->count > UINT32_MAX) {
		reader_fail(r, "array of %u elements of %u bytes", e->count, elem->size);
		return NULL;
	}
	if (elem->size == 0 && e->count > DESC_MAX_EMPTY_ELEMS) {
		reader_fail(r, "array of %u empty elements", e->count);
		return NULL;
	}
	return type_array(a, elem, e->count);
}

static void check_member(struct reader *r, const struct type *rec, const struct type_member *m);

/* Laid out by type_tuple, whose 32-bit offsets would wrap for elements of
 * gigabytes: checked like any record. */
static const struct type *build_tuple(struct reader *r, struct type_arena *a,
				      const struct raw_types *rt, const struct raw_type *e)
{
	const struct type **elems = xmalloc(sizeof(*elems) * (e->n ? e->n : 1));
	for (uint32_t k = 0; k < e->n; k++)
		elems[k] = rt->built[rt->elems[e->first + k]];
	const struct type *t = type_tuple(a, elems, (int)e->n);
	free(elems);
	for (int k = 0; k < t->nmembers && !r->failed; k++)
		check_member(r, t, &t->members[k]);
	return r->failed ? NULL : t;
}

/* Derived types and scalars, from parts already built. */
static const struct type *build_derived(struct reader *r, struct type_arena *a,
					const struct raw_types *rt, const struct raw_type *e)
{
	switch (e->kind) {
	case TY_PTR:
		return type_ptr(a, rt->built[e->elem], (enum addr_space)e->as);
	case TY_ARRAY:
		return build_array(r, a, e, rt->built[e->elem]);
	case TY_STR:
		return e->flags ? type_char_array_str(a, e->size) : type_str(a, e->size);
	case TY_BUF:
		return type_buf(a, e->count);
	case TY_STACK:
		return type_stack(a, (enum addr_space)e->as, e->count, (enum stack_mode)e->flags);
	case TY_RECORD:
		return build_tuple(r, a, rt, e);
	default:
		return scalar_of(e);
	}
}

/* Bytes from a member's offset that decoding a value of its record reads.
 * A __data_loc member's u32 is there; its type is too, because
 * runtime/value.c decodes the member's type in place. */
static uint64_t member_extent(const struct type_member *m)
{
	uint64_t size = m->type ? m->type->size : 0;
	if (m->is_data_loc)
		return size > 4 ? size : 4;
	if (m->bit_size)
		return ((uint64_t)m->bit_offset + m->bit_size + 7) / 8;
	return size;
}

static void check_member(struct reader *r, const struct type *rec, const struct type_member *m)
{
	if (m->bit_size > 64 || m->bit_offset >= 64 || (uint32_t)m->bit_offset + m->bit_size > 72 ||
	    (!m->bit_size && m->bit_offset))
		reader_fail(r, "member %s: bitfield of %u bits at bit %u", m->name ? m->name : "?",
			    m->bit_size, m->bit_offset);
	else if ((uint64_t)m->offset + member_extent(m) > rec->size)
		reader_fail(r, "member %s at byte %u is outside its %u-byte record",
			    m->name ? m->name : "?", m->offset, rec->size);
}

static void fill_record(struct reader *r, struct type_arena *a, const struct raw_types *rt,
			const struct raw_type *e, struct type *t)
{
	for (uint32_t k = 0; k < e->n && !r->failed; k++) {
		const struct raw_member *m = &rt->members[e->first + k];
		char *name = span_dup(m->name);
		const struct type *mt = m->type == DESC_NULL ? NULL : rt->built[m->type];
		type_record_add_at(a, t, name, mt, m->offset, m->bit_offset, m->bit_size);
		free(name);
		t->members[k].is_data_loc = m->is_data_loc;
		check_member(r, t, &t->members[k]);
	}
}

static void build_types(struct reader *r, struct raw_types *rt, struct type_arena *a)
{
	rt->built = xcalloc(rt->n ? rt->n : 1, sizeof(*rt->built));
	for (uint32_t i = 0; i < rt->n; i++)
		if (rt->t[i].kind == TY_ENUM || (rt->t[i].kind == TY_RECORD && rt->t[i].rkind != REC_TUPLE))
			rt->built[i] = build_shell(a, rt, &rt->t[i]);
	for (uint32_t i = 0; i < rt->n && !r->failed; i++)
		if (!rt->built[i])
			rt->built[i] = build_derived(r, a, rt, &rt->t[i]);
	for (uint32_t i = 0; i < rt->n && !r->failed; i++)
		if (rt->t[i].kind == TY_RECORD && rt->t[i].rkind != REC_TUPLE)
			fill_record(r, a, rt, &rt->t[i], (struct type *)rt->built[i]);
}

static void read_types(struct reader *r, struct raw_types *rt, struct type_arena *a)
{
	rt->n = get_count(r, 1, "types");
	if (rt->n > DESC_MAX_TYPES)
		reader_fail(r, "%u types, at most %u are read", rt->n, DESC_MAX_TYPES);
	if (r->failed)
		return;
	rt->t = xcalloc(rt->n ? rt->n : 1, sizeof(*rt->t));
	for (uint32_t i = 0; i < rt->n && !r->failed; i++)
		read_type(r, rt, i);
	if (!r->failed)
		check_type_graph(r, rt);
	if (!r->failed)
		build_types(r, rt, a);
}

/* Items a value of type i decodes into (saturating): bounds what decoding
 * one key, value or event allocates. The graph is acyclic by now. */
static uint64_t decoded_items(struct raw_types *rt, uint32_t i)
{
	if (i == DESC_NULL)
		return 1;
	if (rt->items[i])
		return rt->items[i];
	const struct raw_type *e = &rt->t[i];
	uint64_t n = 1;
	if (e->kind == TY_ARRAY) {
		uint64_t each = decoded_items(rt, e->elem);
		n += e->count && each > UINT64_MAX / 2 / e->count ? UINT64_MAX / 2 : each * e->count;
	} else if (e->kind == TY_RECORD) {
		for (uint32_t k = 0; k < e->n && n < UINT64_MAX / 2; k++)
			n += decoded_items(rt, graph_edge(rt, e, k));
	}
	rt->items[i] = n < UINT64_MAX / 2 ? n : UINT64_MAX / 2;
	return rt->items[i];
}

static const struct type *get_root(struct reader *r, struct raw_types *rt, bool nullable)
{
	uint32_t ref = get_ref(r, rt->n, nullable);
	if (r->failed || ref == DESC_NULL)
		return NULL;
	if (decoded_items(rt, ref) > DESC_MAX_VALUE_ITEMS) {
		reader_fail(r, "type %u decodes into more than %u items", ref, DESC_MAX_VALUE_ITEMS);
		return NULL;
	}
	return rt->built[ref];
}

/* ---- reading: the description ----------------------------------------------------------- */

static void read_probes(struct reader *r, struct desc *d)
{
	/* type, 4 lengths, period, frequency, location, flag */
	uint32_t n = get_count(r, 1 + 4 * 4 + 16 + 16 + 1, "probes");
	if (r->failed)
		return;
	d->probes = xcalloc(n ? n : 1, sizeof(*d->probes));
	for (uint32_t i = 0; i < n && !r->failed; i++) {
		struct desc_probe *p = &d->probes[i];
		d->nprobes++;
		uint8_t type = get_u8(r);
		if (type >= PT__COUNT)
			reader_fail(r, "probe type %u unknown", type);
		p->type = (enum probe_type)type;
		p->name = get_str(r, false);
		p->target = get_str(r, false);
		p->prog_name = get_str(r, false);
		p->loc = get_loc(r);
		p->params = get_str(r, true);
		p->deps = get_u32(r);
		if (p->deps & ~(DESC_DEP_KERNEL_LAYOUT | DESC_DEP_SYSCALL_ABI))
			reader_fail(r, "probe %u: unknown dependencies %#x", i, p->deps);
		p->shares_program = get_bool(r);
		p->nblocks = get_u32(r);
		if (p->nblocks > UINT16_MAX)
			reader_fail(r, "probe %u: %u blocks", i, p->nblocks);
	}
}

/* Parameters an aggregation's runtime hooks compute with; NULL: any. */
static bool lhist_args_ok(const int64_t *args)
{
	int64_t span;
	/* the bucket bounds min - 1 and min + k * step must not overflow */
	return args[0] > INT64_MIN && !__builtin_sub_overflow(args[1], args[0], &span) &&
	       span > 0 && args[2] > 0;
}

static bool (*const map_args_ok[MAP__KIND_COUNT])(const int64_t *args) = {
	[MAP_LHIST] = lhist_args_ok,
};

static uint32_t round_up8(uint32_t n) { return (n + 7u) & ~7u; }

/* The sizes the runtime allocates and decodes by must agree. */
static void check_map(struct reader *r, const struct desc_map *m)
{
	const struct agg_desc *agg = m->kind == MAP_PLAIN ? NULL : agg_find(m->kind);
	uint32_t user_key = m->key ? m->key->size : 0;
	if (m->kind != MAP_PLAIN && !agg)
		reader_fail(r, "map %s: kind %d has no aggregation", m->name, m->kind);
	else if (m->key_size == 0 || m->key_size > DESC_MAX_MAP_BYTES ||
		 m->value_size == 0 || m->value_size > DESC_MAX_MAP_BYTES)
		reader_fail(r, "map %s: key of %u bytes, value of %u", m->name, m->key_size,
			    m->value_size);
	else if (user_key > m->key_size || (agg && agg->bucketed && round_up8(user_key) + 8 > m->key_size))
		reader_fail(r, "map %s: key type of %u bytes in a %u-byte key", m->name, user_key,
			    m->key_size);
	else if (!agg && (!m->value || m->value->size > m->value_size))
		reader_fail(r, "map %s: value type does not fit its %u bytes", m->name, m->value_size);
	else if (map_args_ok[m->kind] && !map_args_ok[m->kind](m->args))
		reader_fail(r, "map %s: aggregation parameters out of range", m->name);
	else if (agg && agg->bucketed && agg->nbuckets(m) < 0)
		reader_fail(r, "map %s: bad bucket parameters", m->name);
	else if (m->max_entries > SONDE_MAX_DECLARED_ENTRIES)
		reader_fail(r, "map %s: %u entries", m->name, m->max_entries);
}

static void read_maps(struct reader *r, struct desc *d, struct raw_types *rt)
{
	/* 2 lengths, kind, 2 references, 2 sizes, 3 parameters, lru, max_entries, prealloc, array */
	uint32_t n = get_count(r, 8 + 1 + 8 + 8 + 24 + 1 + 4 + 1 + 1, "maps");
	if (r->failed)
		return;
	d->maps = xcalloc(n ? n : 1, sizeof(*d->maps));
	for (uint32_t i = 0; i < n && !r->failed; i++) {
		struct desc_map *m = &d->maps[i];
		d->nmaps++;
		m->name = get_str(r, false);
		m->bpf_name = get_str(r, false);
		uint8_t kind = get_u8(r);
		if (kind >= MAP__KIND_COUNT)
			reader_fail(r, "map kind %u unknown", kind);
		m->kind = (enum map_kind)kind;
		m->key = get_root(r, rt, true);
		m->value = get_root(r, rt, true);
		m->key_size = get_u32(r);
		m->value_size = get_u32(r);
		for (int k = 0; k < 3; k++)
			m->args[k] = get_i64(r);
		uint8_t lru = get_u8(r);
		if (lru > 1)
			reader_fail(r, "map lru flag %u", lru);
		m->lru = lru == 1;
		m->max_entries = get_u32(r);
		uint8_t prealloc = get_u8(r);
		if (prealloc > 1)
			reader_fail(r, "map prealloc flag %u", prealloc);
		m->prealloc = prealloc == 1;
		uint8_t array = get_u8(r);
		if (array > 1 || (array && (!agg_find(m->kind) || !agg_find(m->kind)->bucketed || m->key)))
			reader_fail(r, "map array flag %u", array);
		m->array = array == 1;
		if (!r->failed)
			check_map(r, m);
	}
}

static void read_printfs(struct reader *r, struct desc *d, struct raw_types *rt)
{
	uint32_t n = get_count(r, 4 + 4 + 16 + 1 + 1 + 4, "printfs");
	if (r->failed)
		return;
	d->printfs = xcalloc(n ? n : 1, sizeof(*d->printfs));
	for (uint32_t i = 0; i < n && !r->failed; i++) {
		struct desc_printf *p = &d->printfs[i];
		d->nprintfs++;
		p->fmt = get_str(r, false);
		p->args = get_root(r, rt, true);
		p->loc = get_loc(r);
		uint8_t action = get_u8(r);
		if (action >= PF__COUNT)
			reader_fail(r, "printf %u: action %u unknown", i, action);
		p->action = action < PF__COUNT ? (enum printf_action)action : PF_PRINTF;
		uint8_t nexp = get_u8(r);
		if (nexp > SRC_MAX_EXPANSIONS)
			reader_fail(r, "printf %u: %u macro uses, more than %d", i, nexp, SRC_MAX_EXPANSIONS);
		for (int k = 0; k < nexp && !r->failed; k++) {
			p->expanded[k] = get_loc(r);
			p->expanded_line[k] = get_str(r, false);
			p->nexpanded++;
		}
		p->line = get_str(r, true);
		if (p->args && !(p->args->kind == TY_RECORD && p->args->rkind == REC_TUPLE))
			reader_fail(r, "printf %u: its arguments are not a tuple", i);
	}
}

static void read_values(struct reader *r, struct desc *d, struct raw_types *rt)
{
	uint32_t n = get_count(r, 4, "values");
	if (r->failed)
		return;
	d->values = xcalloc(n ? n : 1, sizeof(*d->values));
	for (uint32_t i = 0; i < n && !r->failed; i++) {
		d->values[i] = get_root(r, rt, false);
		d->nvalues++;
	}
}

static void read_events(struct reader *r, struct desc *d)
{
	/* NULL: the object has no such map (no program needs it) */
	d->ringbuf_name = get_str(r, true);
	d->lost_name = get_str(r, true);
	d->dropped_name = get_str(r, true);
	d->ringbuf_size = get_u32(r);
	if (!r->failed && (d->ringbuf_size == 0 || (d->ringbuf_size & (d->ringbuf_size - 1))))
		reader_fail(r, "ring buffer of %u bytes is not a power of two", d->ringbuf_size);
	for (int k = 0; k < DESC_NCHANNELS && !r->failed; k++) {
		struct desc_channel *c = &d->channels[k];
		c->map_name = get_str(r, true);
		uint32_t n = get_count(r, 12, "output channel calls");
		if (r->failed)
			return;
		c->calls = xcalloc(n ? n : 1, sizeof(*c->calls));
		for (uint32_t i = 0; i < n && !r->failed; i++) {
			c->calls[i].text = get_str(r, false);
			c->calls[i].num = get_u64(r);
			c->ncalls++;
		}
	}
}

static void read_deps(struct reader *r, struct desc *d)
{
	char *build_id = get_str(r, false), *abi = get_str(r, false);
	if (build_id) {
		free(d->deps.kernel_build_id);
		d->deps.kernel_build_id = build_id;
	}
	if (abi) {
		free(d->deps.syscall_abi);
		d->deps.syscall_abi = abi;
	}
	d->deps.max_strlen = get_u32(r);
	d->deps.ncpus_pow2 = get_u32(r);
}

static void read_body(struct reader *r, struct desc *d)
{
	struct raw_types rt = { 0 };
	size_t body_end = r->end;
	section_enter(r, SEC_TYPES);
	read_types(r, &rt, d->types);
	section_leave(r, body_end);
	if (!r->failed)
		rt.items = xcalloc(rt.n ? rt.n : 1, sizeof(*rt.items));

	section_enter(r, SEC_PROBES);
	read_probes(r, d);
	section_leave(r, body_end);

	section_enter(r, SEC_MAPS);
	read_maps(r, d, &rt);
	section_leave(r, body_end);

	section_enter(r, SEC_PRINTFS);
	read_printfs(r, d, &rt);
	section_leave(r, body_end);

	section_enter(r, SEC_VALUES);
	read_values(r, d, &rt);
	section_leave(r, body_end);

	section_enter(r, SEC_EVENTS);
	read_events(r, d);
	section_leave(r, body_end);

	section_enter(r, SEC_DEPS);
	read_deps(r, d);
	section_leave(r, body_end);
	raw_types_free(&rt);

	r->section = NULL;
	if (!r->failed && r->at != r->end)
		reader_fail(r, "%zu bytes after the last section", r->end - r->at);
}

static bool read_header(struct reader *r, size_t size)
{
	if (size < DESC_HEADER_SIZE) {
		reader_fail(r, "truncated: %zu bytes, a description has at least %u", size,
			    DESC_HEADER_SIZE);
		return false;
	}
	if (memcmp(r->p, desc_magic, sizeof(desc_magic)) != 0) {
		reader_fail(r, "not a sonde description (no SONDEDSC magic)");
		return false;
	}
	r->at = sizeof(desc_magic);
	uint32_t version = get_u32(r);
	uint64_t body_len = get_u64(r), hash = get_u64(r);
	if (version != SONDE_DESC_VERSION)
		reader_fail(r, "description version %u, this sonde reads version %d", version,
			    SONDE_DESC_VERSION);
	else if (body_len != size - DESC_HEADER_SIZE)
		reader_fail(r, "%s: the header says %llu bytes follow, %zu do",
			    body_len > size - DESC_HEADER_SIZE ? "truncated" : "trailing bytes",
			    (unsigned long long)body_len, size - DESC_HEADER_SIZE);
	else if (util_fnv1a64(r->p + DESC_HEADER_SIZE, (size_t)body_len, UTIL_FNV_BASIS) != hash)
		reader_fail(r, "corrupted: the body does not match its hash");
	return !r->failed;
}

struct desc *desc_read(const void *data, size_t size, char *err, size_t errlen)
{
	struct reader r = { .p = data, .end = size, .err = err, .errlen = errlen };
	if (err && errlen)
		err[0] = '\0';
	if (!data) {
		reader_fail(&r, "no data");
		return NULL;
	}
	if (!read_header(&r, size))
		return NULL;
	struct desc *d = desc_new();
	read_body(&r, d);
	if (r.failed) {
		desc_free(d);
		return NULL;
	}
	return d;
}
