/* test_desc.c - the serialised description (desc_write / desc_read).
 *
 * Descriptions come from compiling real scripts (compile only, nothing is
 * loaded): each must survive write + read deeply equal, with its types
 * rebuilt interned in the new arena, and write the same bytes again. Then
 * corrupted forms of a rich description (every truncation, thousands of
 * deterministic random byte changes) must be refused with a reason, or
 * read into a description that is itself usable; run it under the ASan
 * build (cmake -DSONDE_SANITIZE=ON) to catch reads out of bounds.
 *
 * Scripts using kernel types run when BTF is readable, tracepoint scripts
 * when tracefs is (root). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "check.h"
#include "../fuzz/fuzz_util.h"
#include "output.h"
#include "probe.h"
#include "sonde.h"

/* Syscall tracepoints are lowered only on x86_64 (probes/syscalls.c). */
#if defined(__x86_64__)
#define DESC_TEST_ABI "x86_64"
#else
#define DESC_TEST_ABI ""
#endif

/* ---- serialising to memory ------------------------------------------------------- */

struct bytes {
	char *p;
	size_t n;
};

static struct bytes serialise(const struct desc *d)
{
	struct bytes b = { 0 };
	FILE *f = open_memstream(&b.p, &b.n);
	if (!f) {
		perror("open_memstream");
		exit(1);
	}
	CHECK(desc_write(d, f) == 0);
	CHECK(fclose(f) == 0);
	return b;
}

/* ---- comparing descriptions deeply ------------------------------------------------- */

/* Pairs of types already compared (or being compared: records may reach
 * themselves through pointers). */
struct pairs {
	const struct type **x, **y;
	size_t n, cap;
};

static bool pairs_seen(struct pairs *p, const struct type *x, const struct type *y)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->x[i] == x && p->y[i] == y)
			return true;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->x = realloc(p->x, p->cap * sizeof(*p->x));
		p->y = realloc(p->y, p->cap * sizeof(*p->y));
	}
	p->x[p->n] = x;
	p->y[p->n++] = y;
	return false;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_type(const struct type *x, const struct type *y, struct pairs *seen);

static bool same_members(const struct type *x, const struct type *y, struct pairs *seen)
{
	if (x->rkind != y->rkind || !same_str(x->name, y->name) || x->nmembers != y->nmembers ||
	    x->incomplete != y->incomplete || x->is_packed != y->is_packed || x->btf_id != y->btf_id)
		return false;
	for (int i = 0; i < x->nmembers; i++) {
		const struct type_member *a = &x->members[i], *b = &y->members[i];
		if (!same_str(a->name, b->name) || a->offset != b->offset ||
		    a->bit_offset != b->bit_offset || a->bit_size != b->bit_size ||
		    a->is_data_loc != b->is_data_loc || !same_type(a->type, b->type, seen))
			return false;
	}
	return true;
}

static bool same_enumerators(const struct type *x, const struct type *y)
{
	if (!same_str(x->name, y->name) || x->nenumerators != y->nenumerators)
		return false;
	for (int i = 0; i < x->nenumerators; i++)
		if (!same_str(x->enumerators[i].name, y->enumerators[i].name) ||
		    x->enumerators[i].value != y->enumerators[i].value)
			return false;
	return true;
}

static bool same_type(const struct type *x, const struct type *y, struct pairs *seen)
{
	if (!x || !y)
		return x == y;
	if (!type_equal(x, y) || x->kind != y->kind || x->size != y->size || x->align != y->align ||
	    x->is_signed != y->is_signed || x->is_literal != y->is_literal || x->as != y->as ||
	    x->count != y->count)
		return false;
	if (pairs_seen(seen, x, y))
		return true;
	switch (x->kind) {
	case TY_ENUM:
		return same_enumerators(x, y);
	case TY_PTR:
	case TY_ARRAY:
		return same_type(x->elem, y->elem, seen);
	case TY_RECORD:
		return same_members(x, y, seen);
	default:
		return true;
	}
}

static bool same_loc(srcloc a, srcloc b)
{
	return a.line == b.line && a.col == b.col && a.end_line == b.end_line && a.end_col == b.end_col;
}

static bool same_probe(const struct desc_probe *a, const struct desc_probe *b)
{
	return a->type == b->type && same_str(a->name, b->name) && same_str(a->target, b->target) &&
	       same_str(a->prog_name, b->prog_name) && same_loc(a->loc, b->loc) &&
	       same_str(a->params, b->params) && a->deps == b->deps &&
	       a->shares_program == b->shares_program;
}

static bool same_map(const struct desc_map *a, const struct desc_map *b, struct pairs *seen)
{
	return same_str(a->name, b->name) && same_str(a->bpf_name, b->bpf_name) &&
	       a->kind == b->kind && same_type(a->key, b->key, seen) &&
	       same_type(a->value, b->value, seen) && a->key_size == b->key_size &&
	       a->value_size == b->value_size && memcmp(a->args, b->args, sizeof(a->args)) == 0 &&
	       a->lru == b->lru && a->max_entries == b->max_entries;
}

static bool desc_equal(const struct desc *a, const struct desc *b)
{
	struct pairs seen = { 0 };
	bool same = a->nprobes == b->nprobes && a->nmaps == b->nmaps &&
		    a->nprintfs == b->nprintfs && a->nvalues == b->nvalues &&
		    same_str(a->ringbuf_name, b->ringbuf_name) && same_str(a->lost_name, b->lost_name) &&
		    same_str(a->dropped_name, b->dropped_name) && a->ringbuf_size == b->ringbuf_size &&
		    same_str(a->deps.kernel_build_id, b->deps.kernel_build_id) &&
		    same_str(a->deps.syscall_abi, b->deps.syscall_abi) &&
		    a->deps.max_strlen == b->deps.max_strlen && a->deps.ncpus_pow2 == b->deps.ncpus_pow2;
	for (int i = 0; same && i < a->nprobes; i++)
		same = same_probe(&a->probes[i], &b->probes[i]);
	for (int i = 0; same && i < a->nmaps; i++)
		same = same_map(&a->maps[i], &b->maps[i], &seen);
	for (int i = 0; same && i < a->nprintfs; i++)
		same = same_str(a->printfs[i].fmt, b->printfs[i].fmt) &&
		       same_loc(a->printfs[i].loc, b->printfs[i].loc) &&
		       same_type(a->printfs[i].args, b->printfs[i].args, &seen);
	for (int i = 0; same && i < a->nvalues; i++)
		same = same_type(a->values[i], b->values[i], &seen);
	free(seen.x);
	free(seen.y);
	return same;
}

/* ---- interning --------------------------------------------------------------------------- */

/* Every derived type reachable from t is the one the arena's interning
 * constructors return, so pointer equality still means type equality. */
static int count_not_interned(struct type_arena *a, const struct type *t, struct pairs *seen)
{
	if (!t || pairs_seen(seen, t, t))
		return 0;
	int bad = 0;
	switch (t->kind) {
	case TY_INT:
		if (!t->is_literal && t != type_int(t->size, t->is_signed))
			bad++;
		break;
	case TY_PTR:
		bad += t != type_ptr(a, t->elem, t->as);
		break;
	case TY_ARRAY:
		bad += t != type_array(a, t->elem, t->count);
		break;
	case TY_STR:
		bad += t != (type_str_is_char_array(t) ? type_char_array_str(a, t->size) : type_str(a, t->size));
		break;
	case TY_BUF:
		bad += t != type_buf(a, t->count);
		break;
	case TY_RECORD:
		if (t->rkind == REC_TUPLE) {
			const struct type *elems[64];
			if (t->nmembers <= 64) {
				for (int i = 0; i < t->nmembers; i++)
					elems[i] = t->members[i].type;
				bad += t != type_tuple(a, elems, t->nmembers);
			}
		}
		break;
	default:
		break;
	}
	if (t->kind == TY_PTR || t->kind == TY_ARRAY)
		bad += count_not_interned(a, t->elem, seen);
	if (t->kind == TY_RECORD)
		for (int i = 0; i < t->nmembers; i++)
			bad += count_not_interned(a, t->members[i].type, seen);
	return bad;
}

static int desc_not_interned(struct desc *d)
{
	struct pairs seen = { 0 };
	int bad = 0;
	for (int i = 0; i < d->nmaps; i++)
		bad += count_not_interned(d->types, d->maps[i].key, &seen) +
		       count_not_interned(d->types, d->maps[i].value, &seen);
	for (int i = 0; i < d->nprintfs; i++)
		bad += count_not_interned(d->types, d->printfs[i].args, &seen);
	for (int i = 0; i < d->nvalues; i++)
		bad += count_not_interned(d->types, d->values[i], &seen);
	free(seen.x);
	free(seen.y);
	return bad;
}

/* ---- compiling -------------------------------------------------------------------------- */

static struct compiled compile(const char *text)
{
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	struct source *src = source_from_string("test", text, strlen(text));
	struct compile_options o = { .dump_out = devnull };
	struct compiled c = { 0 };
	int rc = sonde_compile(src, &o, stderr, &c);
	CHECKF(rc == 0 && c.desc, "compiling: %s", text);
	source_free(src);
	return c;
}

/* Round trip: read(write(d)) equals d, its types are interned, and
 * writing it again gives the same bytes. Returns the bytes (caller frees). */
static struct bytes round_trip(const char *text, struct desc *d)
{
	struct bytes b = serialise(d);
	char err[256];
	struct desc *back = desc_read(b.p, b.n, err, sizeof(err));
	CHECKF(back != NULL, "%s: desc_read: %s", text, err);
	if (!back)
		return b;
	CHECKF(desc_equal(d, back), "%s: the description read back differs", text);
	CHECKF(desc_not_interned(d) == 0, "%s: the original has non-interned types", text);
	CHECKF(desc_not_interned(back) == 0, "%s: %d types read back are not interned", text,
	       desc_not_interned(back));
	struct bytes again = serialise(back);
	CHECKF(again.n == b.n && memcmp(again.p, b.p, b.n) == 0,
	       "%s: writing the description read back gives other bytes", text);
	free(again.p);
	desc_free(back);
	return b;
}

static void test_script(const char *text)
{
	struct compiled c = compile(text);
	if (!c.desc)
		return;
	desc_note_kernel(c.desc);
	struct bytes b = round_trip(text, c.desc);
	free(b.p);
	compiled_free(&c);
}

/* Every map kind, keys of several parts, strings, printf arguments of many
 * types, tuples and records in values, script structs with bitfields and
 * self-reference, interval and profile probes: no root needed. */
static const char *const always_scripts[] = {
	"BEGIN { @c = count(); @s = sum(5); @a = avg(3); @mi = min(1); @ma = max(2); "
	"@st = stats(4); @h = hist(7); @l = lhist(3, 0, 10, 1); @p = 1; exit(); }",
	"BEGIN { @m[1, \"a\"] = 2; @k[\"x\", 3, (uint8)4] = count(); @e[(int8)-1, true] = sum(3); "
	"@h[comm, pid] = hist(5); @l[\"k\"] = lhist(3, 0, 100, 10); exit(); }",
	"BEGIN { @s = \"hello\"; @c = comm; @z = str(0); @b = 1 == 2; exit(); }",
	"BEGIN { printf(\"%d %s %u %x %c %lld %p %d %s\\n\", 1, \"s\", (uint32)2, 3, 65, -5, "
	"(int8 *)0, (int16)-2, comm); printf(\"no arguments\\n\"); exit(); }",
	"BEGIN { @t = (1, \"x\"); @r = (a=1, b=\"y\"); print((1,2)); @n = ((1, \"a\"), 2); "
	"@a[1] = (a=1, b=(2, \"z\")); print((1, \"a\", (2, \"b\"))); exit(); }",
	"struct foo { int a; char b[8]; unsigned long long c:3; } "
	"BEGIN { $v = (uint64)0; @s = *(struct foo *)&$v; exit(); }",
	"struct node { struct node *next; int v; } "
	"BEGIN { $v = (uint64)0; @n = *(struct node *)&$v; @p = (struct node *)0; exit(); }",
	"interval:ms:100 { @x = nsecs; exit(); } profile:hz:99 { @y[cpu] = count(); }",
	"let @d = lruhash(7); let @q = percpuhash(9); "
	"BEGIN { @d[1] = 2; @q[\"a\"] = count(); @r = (int64)@q[\"a\"]; exit(); }",
	/* format records with actions, values shown by user space */
	"BEGIN { time(); time(\"%Y\\n\"); cat(\"/proc/%d/maps\", pid); errorf(\"e %d\", 1); "
	"warnf(\"w\"); join(0, \",\"); exit(); }",
	/* no events and no map updates: no ring buffer, lost or dropped counters (NULL names) */
	"BEGIN { $x = 1; }",
	"BEGIN { @t = strftime(\"%H:%M %f\", nsecs); @n[ntop(1), strerror(2)] = macaddr(\"abcdef\"); "
	"print(cgroup_path(cgroup, \"uni*\")); printf(\"%s %s\\n\", username, (1, ntop(2, 3))); exit(); }",
};

/* Kernel types from BTF: task_struct reaches itself through pointers. */
static const char *const btf_scripts[] = {
	"BEGIN { @t = curtask; @p = curtask->pid; print(curtask->comm); @w = curtask->se.load; exit(); }",
};

/* Tracepoints: tracefs formats, lowered syscall tracepoints, __data_loc. */
static const char *const tracefs_scripts[] = {
	"tracepoint:syscalls:sys_enter_read { @[args.fd] = count(); } "
	"tracepoint:sched:sched_switch { @s[args.prev_comm] = count(); "
	"printf(\"%s %d\\n\", args.next_comm, args.next_pid); }",
	"tracepoint:sched:sched_process_exec { printf(\"%s\\n\", str(args.filename)); }",
	"rawtracepoint:sched_switch { @x = count(); }",
};

static bool have_tracefs(void)
{
	return tracefs_path() != NULL && tp_format_get("syscalls", "sys_enter_read") != NULL;
}

static void test_round_trips(void)
{
	for (size_t i = 0; i < sizeof(always_scripts) / sizeof(always_scripts[0]); i++)
		test_script(always_scripts[i]);
	if (kbtf_available()) {
		for (size_t i = 0; i < sizeof(btf_scripts) / sizeof(btf_scripts[0]); i++)
			test_script(btf_scripts[i]);
	} else {
		fprintf(stderr, "test_desc: no kernel BTF (%s): kernel type scripts skipped\n",
			kbtf_error());
	}
	if (have_tracefs()) {
		for (size_t i = 0; i < sizeof(tracefs_scripts) / sizeof(tracefs_scripts[0]); i++)
			test_script(tracefs_scripts[i]);
	} else {
		fprintf(stderr, "test_desc: tracefs cannot be read (not root?): tracepoint scripts skipped\n");
	}
}

/* A record with a __data_loc member stored by value: runtime/value.c would
 * decode the member's string[] in place, past the record's end. Sema
 * refuses the script; a description holding one (written by another
 * version) is refused by desc_read: the value's type is rebuilt by hand. */
static void test_data_loc_by_value(void)
{
	static const char text[] = "tracepoint:sched:sched_process_exec { @p = args; }";
	if (!have_tracefs())
		return;
	FILE *devnull = fopen("/dev/null", "w");
	struct source *src = source_from_string("test", text, strlen(text));
	struct compile_options o = { .dump_out = devnull };
	struct compiled c = { 0 };
	CHECKF(sonde_compile(src, &o, devnull, &c) != 0, "sema refuses %s", text);
	compiled_free(&c);
	source_free(src);
	fclose(devnull);

	c = compile("BEGIN { @p = (1, \"x\"); exit(); }");
	if (!c.desc)
		return;
	/* the stored tuple's string member becomes a __data_loc string as
	 * tracepoint records have them: a 4-byte locator typed string[1024] */
	const struct type *v = c.desc->maps[0].value;
	struct type_member *m = (struct type_member *)&v->members[1];
	m->is_data_loc = true;
	m->type = type_str(c.desc->types, 1024);
	struct bytes b = serialise(c.desc);
	char err[256];
	CHECKF(desc_read(b.p, b.n, err, sizeof(err)) == NULL && err[0],
	       "a __data_loc record by value is refused: %s", err);
	free(b.p);
	compiled_free(&c);
}

/* ---- what a cache keys on ----------------------------------------------------------------- */

static void test_deps(void)
{
	/* nothing kernel-specific: no key on the kernel */
	kbtf_unload();
	struct compiled c = compile("BEGIN { @x = 1; exit(); }");
	if (c.desc) {
		desc_note_kernel(c.desc);
		CHECK(strcmp(c.desc->deps.kernel_build_id, "") == 0);
		CHECK(strcmp(c.desc->deps.syscall_abi, "") == 0);
	}
	compiled_free(&c);

	if (kbtf_available() && kbtf_kernel_build_id()[0]) {
		kbtf_unload();
		c = compile("BEGIN { @p = curtask->pid; exit(); }");
		if (c.desc) {
			desc_note_kernel(c.desc);
			CHECK(strcmp(c.desc->deps.kernel_build_id, kbtf_kernel_build_id()) == 0);
		}
		compiled_free(&c);
	}

	if (!have_tracefs())
		return;
	/* a syscall tracepoint lowered to the raw sys_enter tracepoint: the
	 * syscall numbers of this ABI are compiled in, no kernel layout */
	setenv("SONDE_RAW_LOWERING", "1", 1);
	kbtf_unload();
	c = compile("tracepoint:syscalls:sys_enter_read { @ = count(); } "
		    "tracepoint:syscalls:sys_enter_write { @w = count(); }");
	if (c.desc) {
		bool lowered = c.desc->nprobes > 1 && c.desc->probes[0].params &&
			       strcmp(c.desc->probes[0].params, "raw_tp=sys_enter") == 0 &&
			       c.desc->probes[0].deps == DESC_DEP_SYSCALL_ABI && c.desc->probes[1].shares_program;
		CHECK(lowered || !strcmp(DESC_TEST_ABI, ""));
		desc_note_kernel(c.desc);
		CHECK(strcmp(c.desc->deps.syscall_abi, lowered ? DESC_TEST_ABI : "") == 0);
		CHECK(strcmp(c.desc->deps.kernel_build_id, "") == 0 || kbtf_loaded());
		struct bytes b = round_trip("lowered syscall tracepoints", c.desc);
		free(b.p);
	}
	compiled_free(&c);

	/* the same kept as a tracepoint: its record offsets are this kernel's */
	setenv("SONDE_RAW_LOWERING", "0", 1);
	kbtf_unload();
	c = compile("tracepoint:syscalls:sys_enter_read { @ = count(); }");
	if (c.desc) {
		CHECK(c.desc->probes[0].params == NULL && c.desc->probes[0].deps == DESC_DEP_KERNEL_LAYOUT);
		desc_note_kernel(c.desc);
		CHECK(strcmp(c.desc->deps.syscall_abi, "") == 0);
		CHECK(strcmp(c.desc->deps.kernel_build_id, kbtf_kernel_build_id()) == 0);
	}
	compiled_free(&c);
	unsetenv("SONDE_RAW_LOWERING");
}

/* ---- corrupted descriptions ----------------------------------------------------------------- */

/* The format's own hash (FNV-1a, 64 bits) and header, so that changes
 * inside the body reach the parser instead of stopping at the hash. */
#define HEADER_SIZE 28

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A description desc_read accepted must be usable: its types decoded,
 * written and read again. */
static void check_usable(struct desc *d)
{
	fuzz_decode_types(d);
	struct bytes b = serialise(d);
	char err[256];
	struct desc *again = desc_read(b.p, b.n, err, sizeof(err));
	CHECKF(again && desc_equal(d, again), "an accepted description does not round-trip: %s",
	       again ? "differs" : err);
	desc_free(again);
	free(b.p);
}

/* Read a corrupted copy: a clean refusal with a reason, or a usable
 * description. Returns whether it was accepted. */
static bool read_corrupted(const unsigned char *p, size_t n)
{
	char err[256] = "unset";
	struct desc *d = desc_read(p, n, err, sizeof(err));
	if (!d) {
		CHECKF(err[0] && strcmp(err, "unset") != 0, "refused without a reason (%zu bytes)", n);
		return false;
	}
	check_usable(d);
	desc_free(d);
	return true;
}

static void test_truncations(const struct bytes *b)
{
	unsigned char *copy = malloc(b->n);
	for (size_t len = 0; len < b->n; len++) {
		memcpy(copy, b->p, len);
		CHECKF(!read_corrupted(copy, len), "truncated to %zu bytes, accepted", len);
		/* the same cut with a header that agrees: the sections are cut */
		if (len >= HEADER_SIZE) {
			fuzz_reseal(copy, len, HEADER_SIZE);
			CHECKF(!read_corrupted(copy, len), "cut to %zu bytes, accepted", len);
		}
	}
	free(copy);
}

static void test_random_changes(const struct bytes *b, int rounds)
{
	unsigned char *copy = malloc(b->n);
	int accepted = 0, unhashed_accepted = 0;
	for (int round = 0; round < rounds; round++) {
		memcpy(copy, b->p, b->n);
		int nchanges = 1 + (int)(rng() % 4);
		for (int k = 0; k < nchanges; k++) {
			size_t at = rng() % b->n;
			uint64_t how = rng();
			if (how % 3 == 0)
				copy[at] ^= (unsigned char)(1u << (how >> 8) % 8); /* one bit */
			else if (how % 3 == 1)
				copy[at] = (unsigned char)(how >> 16);            /* any byte */
			else
				copy[at] = (how >> 16) & 1 ? 0xff : 0;            /* extremes */
		}
		bool fixed = round % 8 != 0;
		if (fixed)
			fuzz_reseal(copy, b->n, HEADER_SIZE);
		bool ok = read_corrupted(copy, b->n);
		accepted += ok;
		if (!fixed && ok && memcmp(copy + HEADER_SIZE, b->p + HEADER_SIZE, b->n - HEADER_SIZE))
			unhashed_accepted++;
	}
	/* a changed body under the old hash is always refused */
	CHECKF(unhashed_accepted == 0, "%d changed bodies accepted under the old hash",
	       unhashed_accepted);
	fprintf(stderr, "test_desc: %d of %d corrupted descriptions read as valid ones\n", accepted,
		rounds);
	free(copy);
}

static void test_header(const struct bytes *b)
{
	char err[256];
	unsigned char *copy = malloc(b->n);
	memcpy(copy, b->p, b->n);
	copy[0] = 'X';
	CHECK(desc_read(copy, b->n, err, sizeof(err)) == NULL && strstr(err, "magic"));
	memcpy(copy, b->p, b->n);
	fuzz_store_le(copy + 8, SONDE_DESC_VERSION + 1, 4);
	CHECK(desc_read(copy, b->n, err, sizeof(err)) == NULL && strstr(err, "version"));
	memcpy(copy, b->p, b->n);
	copy[b->n - 1] ^= 1;
	CHECK(desc_read(copy, b->n, err, sizeof(err)) == NULL && strstr(err, "hash"));
	CHECK(desc_read(NULL, 0, err, sizeof(err)) == NULL && err[0]);
	struct desc *d = desc_read(b->p, b->n, NULL, 0); /* no room for a reason: fine */
	CHECK(d != NULL);
	desc_free(d);
	copy[0] = 'X';
	CHECK(desc_read(copy, b->n, NULL, 0) == NULL);
	free(copy);
}

/* A hand-made description whose record contains itself by value, or is
 * deeper than any real one, is refused (decoding would recurse forever). */
static void test_refused_shapes(void)
{
	struct desc *d = desc_new();
	struct type *rec = type_record_new(d->types, REC_STRUCT, "struct loop");
	type_record_add_at(d->types, rec, "self", rec, 0, 0, 0);
	rec->size = 8;
	rec->align = 8;
	d->values = calloc(1, sizeof(*d->values));
	d->values[0] = rec;
	d->nvalues = 1;
	d->ringbuf_name = strdup("events");
	d->lost_name = strdup("lost");
	d->dropped_name = strdup("dropped");
	d->ringbuf_size = 4096;
	struct bytes b = serialise(d);
	char err[256];
	CHECK(desc_read(b.p, b.n, err, sizeof(err)) == NULL && strstr(err, "contains itself"));
	free(b.p);

	/* 300 nested tuples */
	const struct type *t = type_int(8, true);
	for (int i = 0; i < 300; i++)
		t = type_tuple(d->types, &t, 1);
	d->values[0] = t;
	b = serialise(d);
	CHECK(desc_read(b.p, b.n, err, sizeof(err)) == NULL && strstr(err, "nested"));
	free(b.p);

	/* a member outside its record */
	struct type *out = type_record_new(d->types, REC_STRUCT, "struct out");
	type_record_add_at(d->types, out, "x", type_int(8, false), 4, 0, 0);
	out->size = 8;
	out->align = 4;
	d->values[0] = out;
	b = serialise(d);
	CHECK(desc_read(b.p, b.n, err, sizeof(err)) == NULL && strstr(err, "outside"));
	free(b.p);
	desc_free(d);
}

static void test_corruption(void)
{
	struct compiled c = compile(
		"struct foo { int a; char b[8]; unsigned long long c:3; struct foo *next; } "
		"BEGIN { $v = (uint64)0; @s = *(struct foo *)&$v; @m[1, \"a\"] = (2, \"b\"); "
		"@r = (a=1, b=\"y\"); @l[comm] = lhist(3, 0, 10, 1); @h = hist(1); @c = count(); "
		"printf(\"%d %s %p\\n\", 1, \"x\", (int8 *)0); print((1, 2)); exit(); } "
		"interval:s:1 { @e = 1 == 1; }");
	if (!c.desc)
		return;
	struct bytes b = round_trip("corruption seed", c.desc);
	test_header(&b);
	test_truncations(&b);
	test_random_changes(&b, 5000);
	free(b.p);
	compiled_free(&c);
}

/* Kernel types: hundreds of records, pointers back to them, bitfields. */
static void test_corruption_btf(void)
{
	if (!kbtf_available())
		return;
	struct compiled c = compile(btf_scripts[0]);
	if (!c.desc)
		return;
	struct bytes b = round_trip("kernel corruption seed", c.desc);
	test_truncations(&b);
	test_random_changes(&b, 3000);
	free(b.p);
	compiled_free(&c);
}

int main(void)
{
	test_round_trips();
	test_data_loc_by_value();
	test_deps();
	test_refused_shapes();
	test_corruption();
	test_corruption_btf();
	if (failures)
		fprintf(stderr, "test_desc: %d failures\n", failures);
	return failures != 0;
}
