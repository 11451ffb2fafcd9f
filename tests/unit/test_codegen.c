/* test_codegen.c - codegen: the emitted object opens in libbpf, carries BTF
 * and line info, passes the kernel verifier, and computes the right values.
 *
 * Part 1 builds typed ASTs by hand (exactly what sema hands to codegen) so
 * that the arithmetic, string and aggregation semantics are checked on their
 * own: a BEGIN program is run with BPF_PROG_TEST_RUN and its ring-buffer
 * records and maps are compared with values computed here. Part 2 compiles
 * real scripts through the parser and sema and loads them.
 * Needs root (loads BPF) and tracefs (mounted on demand by probes/); exits
 * 77 (ctest: skipped) without root. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ast.h"
#include "btf.h"
#include "codegen.h"
#include "desc.h"
#include "frontend.h"
#include "probe.h"
#include "sema.h"
#include "builtins.h"

#include "check.h"

/* ---- libbpf messages: "BTF is optional, ignoring" is a failure ----------- */

static char libbpf_log[1 << 16];
static size_t libbpf_log_len;

static int capture_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	size_t room = sizeof(libbpf_log) - libbpf_log_len;
	int n = vsnprintf(libbpf_log + libbpf_log_len, room, fmt, ap);
	if (n > 0)
		libbpf_log_len += (size_t)n < room ? (size_t)n : room - 1;
	return 0;
}

static char verifier_log[1 << 22];

/* Open and load; returns the object or NULL (after printing why). With
 * `verbose`, the verifier log of the last program stays in verifier_log. */
static struct bpf_object *load_object(const struct compiled *c, const char *what, bool verbose)
{
	libbpf_log_len = 0;
	libbpf_log[0] = '\0';
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "sonde_test");
	struct bpf_object *obj = bpf_object__open_mem(c->elf, c->elf_size, &opts);
	if (!obj) {
		fprintf(stderr, "%s: bpf_object__open_mem failed:\n%s", what, libbpf_log);
		failures++;
		return NULL;
	}
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		verifier_log[0] = '\0';
		bpf_program__set_log_buf(prog, verifier_log, sizeof(verifier_log));
		bpf_program__set_log_level(prog, verbose ? 2 : 1);
	}
	if (bpf_object__load(obj) != 0) {
		fprintf(stderr, "%s: bpf_object__load failed:\n%s\n%s", what, libbpf_log,
			verifier_log);
		failures++;
		bpf_object__close(obj);
		return NULL;
	}
	if (strstr(libbpf_log, "BTF is optional")) {
		fprintf(stderr, "%s: the kernel rejected the BTF:\n%s", what, libbpf_log);
		failures++;
	}
	return obj;
}

/* ---- part 1: hand-built typed ASTs ---------------------------------------- */

#define U64 type_int(8, false)
#define S64 type_int(8, true)
#define BOOL type_bool()

/* The types of the fixture being built (the program's arena, as sema's). */
static struct type_arena *types;

static const struct type *str_type(uint32_t size)
{
	return type_str(types, size);
}

static srcloc at(int line)
{
	return (srcloc){ line, 1, line, 2 };
}

static struct node *node(enum node_kind kind, int line, const struct type *t)
{
	struct node *n = ast_new(kind, at(line));
	n->type = t;
	return n;
}

static struct node *num(int64_t v)
{
	struct node *n = node(N_INT, 1, S64);
	n->ival = (uint64_t)v;
	return n;
}

static struct node *text(const char *s)
{
	struct node *n = node(N_STR, 1, str_type((uint32_t)strlen(s) + 1));
	n->str = xstrdup(s);
	n->str_len = strlen(s);
	return n;
}

static struct node *binary(int op, struct node *l, struct node *r, const struct type *t)
{
	struct node *n = node(N_BINARY, 1, t);
	n->op = op;
	n->lhs = l;
	n->rhs = r;
	return n;
}

static struct node *neg(struct node *e)
{
	struct node *n = node(N_UNARY, 1, S64);
	n->op = '-';
	n->lhs = e;
	return n;
}

/* (name)e, the spec as the parser writes it and the type sema resolves. */
static struct node *cast(const char *name, const struct type *t, struct node *e)
{
	struct node *n = node(N_CAST, 1, t);
	n->spec = ast_new_spec(SPEC_NAME, xstrdup(name), at(1));
	n->lhs = e;
	return n;
}

/* Link nodes through `next`; the list ends at the first NULL. */
static struct node *chain(struct node *first, ...)
{
	va_list ap;
	va_start(ap, first);
	struct node *cur = first;
	for (struct node *x; (x = va_arg(ap, struct node *));) {
		while (cur->next)
			cur = cur->next;
		cur->next = x;
		cur = x;
	}
	va_end(ap);
	return first;
}

static struct node *call(const char *name, struct node *args, const struct type *t)
{
	struct node *n = node(N_CALL, 1, t);
	n->name = xstrdup(name);
	n->func = stdlib_find_func(name);
	n->args = args;
	return n;
}

static struct node *map_ref(struct map_info *m, struct node *keys, const struct type *t)
{
	struct node *n = node(N_MAP, 1, t);
	n->name = xstrdup(m->name);
	n->map = m;
	n->args = keys;
	return n;
}

static struct node *assign(int line, struct node *lhs, int op, struct node *rhs)
{
	struct node *n = node(N_ASSIGN, line, type_none());
	n->lhs = lhs;
	n->op = op;
	n->rhs = rhs;
	return n;
}

static struct node *stmt(int line, struct node *e)
{
	struct node *n = node(N_EXPR_STMT, line, type_none());
	n->lhs = e;
	return n;
}

static struct node *var_ref(struct var_info *v)
{
	struct node *n = node(N_VAR, 1, v->type);
	n->name = xstrdup(v->name);
	n->var = v;
	return n;
}

/* What sema produces around the AST: maps with their desc entries,
 * printf layouts, groups. */
struct fixture {
	struct program *prog;
	struct sema_result r;
	struct desc *d;
};

/* A map as sema describes it: the key is the part's type for one part and
 * a tuple of the parts for several (integers stored as 64 bits); the BPF
 * key and value sizes follow sema/maps.c (a scalar map has the u64 key 0,
 * bucketed aggregations append a u64 bucket to the user key rounded to 8). */
static struct map_info *add_map(struct fixture *f, const char *name, enum map_kind kind,
				const struct type *value, int nkeys, ...)
{
	struct map_info *m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(name);
	m->id = f->d->nmaps;
	m->kind = kind;
	m->value = value;
	m->nkeys = nkeys;
	const struct type *parts[SONDE_MAX_KEY_PARTS];
	va_list ap;
	va_start(ap, nkeys);
	for (int i = 0; i < nkeys; i++)
		parts[i] = type_storage(va_arg(ap, const struct type *));
	va_end(ap);
	m->key = nkeys == 0 ? NULL : nkeys == 1 ? parts[0] : type_tuple(types, parts, nkeys);
	m->next = f->prog->maps;
	f->prog->maps = m;
	f->prog->nmaps++;

	const struct agg_desc *agg = kind == MAP_PLAIN ? NULL : agg_find(kind);
	uint32_t user = m->key ? m->key->size : 0;
	f->d->maps = xrealloc(f->d->maps, sizeof(*f->d->maps) * (size_t)(f->d->nmaps + 1));
	struct desc_map *dm = &f->d->maps[f->d->nmaps++];
	*dm = (struct desc_map){ .name = xstrdup(name), .kind = kind, .key = m->key, .value = value };
	dm->bpf_name = xasprintf("m_%s", name[1] ? name + 1 : "anon");
	dm->key_size = agg && agg->bucketed ? (user + 7) / 8 * 8 + 8 : m->key ? user : 8;
	dm->value_size = agg ? agg->value_size : value->size;
	return m;
}

static void set_lhist(struct fixture *f, struct map_info *m, int64_t min, int64_t max, int64_t step)
{
	int64_t args[3] = { min, max, step };
	memcpy(m->agg_args, args, sizeof(args));
	memcpy(f->d->maps[m->id].args, args, sizeof(args));
}

/* A printf site whose arguments travel as the tuple of `elems`, laid out
 * as sema lays records out. */
static int add_printf_tuple(struct fixture *f, const struct type *const *elems, int n)
{
	f->d->printfs = xrealloc(f->d->printfs, sizeof(*f->d->printfs) * (size_t)(f->d->nprintfs + 1));
	f->d->printfs[f->d->nprintfs] = (struct desc_printf){
		.fmt = xstrdup("fmt"), .args = n ? type_tuple(types, elems, n) : NULL };
	return f->d->nprintfs++;
}

/* Arguments of the given types (values of other types are converted into
 * them: strings truncated or padded). */
static int add_printf(struct fixture *f, int nargs, ...)
{
	const struct type *elems[64];
	va_list ap;
	va_start(ap, nargs);
	for (int i = 0; i < nargs && i < 64; i++)
		elems[i] = va_arg(ap, const struct type *);
	va_end(ap);
	return add_printf_tuple(f, elems, nargs);
}

/* Arguments of the stored types of `args`, as sema decides them. */
static int add_printf_for(struct fixture *f, struct node *args)
{
	const struct type *elems[64];
	int n = 0;
	for (struct node *a = args; a && n < 64; a = a->next)
		elems[n++] = type_storage(a->type);
	return add_printf_tuple(f, elems, n);
}

static struct node *printf_call(struct fixture *f, int id, struct node *args)
{
	struct node *n = call("printf", chain(text(f->d->printfs[id].fmt), args, NULL), type_none());
	n->index = id;
	return n;
}

static struct var_info *add_var(struct probe *p, const char *name, const struct type *t)
{
	struct var_info *v = xcalloc(1, sizeof(*v));
	v->name = xstrdup(name);
	v->type = t;
	v->index = p->nvars++;
	v->next = p->vars;
	p->vars = v;
	return v;
}

static struct probe *add_probe(struct fixture *f, int line)
{
	struct probe *p = xcalloc(1, sizeof(*p));
	p->loc = at(line);
	p->body = node(N_BLOCK, line, type_none());
	p->index = 0;
	struct probe **tail = &f->prog->probes;
	while (*tail) {
		p->index++;
		tail = &(*tail)->next;
	}
	*tail = p;
	return p;
}

static bool add_group(struct fixture *f, const char *spec, struct probe *action)
{
	struct attach_point ap = { .text = (char *)spec, .loc = at(1) };
	struct probe_target *t = NULL;
	int nt = 0;
	struct diag d;
	diag_init(&d, NULL, stderr);
	if (probe_expand(&ap, &d, &t, &nt) < 0 || nt != 1) {
		fprintf(stderr, "cannot expand %s\n", spec);
		probe_targets_free(t, nt);
		failures++;
		return false;
	}
	f->r.groups = xrealloc(f->r.groups, sizeof(*f->r.groups) * (size_t)(f->r.ngroups + 1));
	struct prog_group *g = &f->r.groups[f->r.ngroups];
	*g = (struct prog_group){ .target = t[0], .nactions = 1 };
	free(t);
	g->prov = probe_provider_of(g->target.type);
	g->actions = xcalloc(1, sizeof(*g->actions));
	g->actions[0] = action;
	g->prog_name = xasprintf("prog%d", f->r.ngroups);
	action->targets = xrealloc(action->targets, sizeof(int) * (size_t)(action->ntargets + 1));
	action->targets[action->ntargets++] = f->r.ngroups;
	f->r.ngroups++;
	return true;
}

static void fixture_init(struct fixture *f, const char *name, const char *script_text)
{
	memset(f, 0, sizeof(*f));
	f->prog = xcalloc(1, sizeof(*f->prog));
	f->prog->src = source_from_string(name, script_text, strlen(script_text));
	f->prog->types = type_arena_new();
	types = f->prog->types;
	f->d = desc_new();
	f->d->ringbuf_name = xstrdup("events");
	f->d->lost_name = xstrdup("lost");
	f->d->dropped_name = xstrdup("dropped");
	f->d->ringbuf_size = 1 << 16;
	f->r.desc = f->d;
	f->r.max_strlen = SONDE_DEFAULT_MAX_STRLEN;
}

static void fixture_free(struct fixture *f)
{
	for (int i = 0; i < f->r.ngroups; i++) {
		free(f->r.groups[i].target.name);
		free(f->r.groups[i].target.target);
		free(f->r.groups[i].actions);
		free(f->r.groups[i].prog_name);
	}
	free(f->r.groups);
	desc_free(f->d); /* whether or not it moved into struct compiled */
	source_free(f->prog->src);
	ast_free_program(f->prog);
	types = NULL;
}

static int compile_fixture(struct fixture *f, struct compiled *c)
{
	struct diag d;
	diag_init(&d, f->prog->src, stderr);
	struct cg_options o = { .opt_level = 2 };
	int rc = cg_compile(f->prog, &f->r, &o, &d, c);
	CHECK(rc == 0);
	CHECK(rc != 0 || (c->desc == f->d && f->r.desc == NULL && c->elf && c->elf_size > 0));
	return rc;
}

/* Records from the ring buffer of a test run. */
struct records {
	int n;
	size_t size[16];
	unsigned char data[16][512];
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct records *r = ctx;
	if (r->n < 16) {
		memcpy(r->data[r->n], data, size < 512 ? size : 512);
		r->size[r->n++] = size;
	}
	return 0;
}

static int run_program(struct bpf_object *obj, const char *name, struct records *out)
{
	memset(out, 0, sizeof(*out));
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	struct bpf_map *events = bpf_object__find_map_by_name(obj, "events");
	if (!p || !events)
		return -1;
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	if (bpf_prog_test_run_opts(bpf_program__fd(p), &topts) != 0)
		return -1;
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(events), on_record, out, NULL);
	if (!rb)
		return -1;
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return 0;
}

static int64_t record_i64(const struct records *r, int rec, uint32_t offset)
{
	int64_t v;
	memcpy(&v, r->data[rec] + offset, 8);
	return v;
}

/* Sum of a per-CPU u64 / {s64, u64} value over every CPU; 0 when absent. */
static int64_t percpu_sum(struct bpf_object *obj, const char *map, const void *key, int word)
{
	int ncpus = libbpf_num_possible_cpus();
	int64_t *vals = xcalloc((size_t)ncpus * 2, sizeof(*vals));
	int64_t sum = 0;
	struct bpf_map *m = bpf_object__find_map_by_name(obj, map);
	int words = m && bpf_map__value_size(m) == 16 ? 2 : 1;
	if (m && bpf_map_lookup_elem(bpf_map__fd(m), key, vals) == 0)
		for (int i = 0; i < ncpus; i++)
			sum += vals[i * words + word];
	free(vals);
	return sum;
}

static const int64_t samples[] = { -5, 0, 1, 2, 3, 4, 1000, 1024, (int64_t)1 << 62, 150, 55 };
#define NSAMPLES ((int)(sizeof(samples) / sizeof(samples[0])))

static int hist_bucket(int64_t v)
{
	return v < 0 ? 0 : v == 0 ? 1 : 2 + (63 - __builtin_clzll((uint64_t)v));
}

static int lhist_bucket(int64_t v)
{
	return v < 0 ? 0 : v >= 100 ? 11 : 1 + (int)(v / 10);
}

/* Integer semantics: C on 64-bit values; signed division without sdiv;
 * division by zero gives 1 (the latest bpftrace); casts truncate then extend; comparisons and
 * logical operators are bools. */
static const int64_t expect_ints[] = { -3, -1, -3, 1, INT64_MAX, 64, -4, 44, -56,
				       1, 0, 0, 1, 1, 0, 42, 1, 0, 5 };

static struct node *int_expressions(void)
{
	struct node *all_ones = node(N_INT, 1, U64);
	all_ones->ival = UINT64_MAX;
	all_ones->is_unsigned = true;
	struct node *land = binary(OP_LAND, num(1), binary(OP_LOR, num(0), num(7), BOOL), BOOL);
	struct node *ternary = node(N_TERNARY, 1, S64);
	ternary->cond = binary(OP_GT, num(3), num(2), BOOL);
	ternary->then = num(5);
	ternary->els = num(6);
	return chain(binary(OP_DIV, neg(num(7)), num(2), S64), binary(OP_MOD, neg(num(7)), num(3), S64),
		     binary(OP_DIV, num(7), neg(num(2)), S64), binary(OP_DIV, num(5), num(0), S64),
		     binary(OP_DIV, all_ones, num(2), U64), binary(OP_SHL, num(1), num(70), S64),
		     binary(OP_SHR, neg(num(16)), num(2), S64),
		     cast("uint8", type_int(1, false), num(300)),
		     cast("int8", type_int(1, true), num(200)),
		     binary(OP_EQ, text("abc"), text("abc"), BOOL),
		     binary(OP_EQ, text("abc"), text("abd"), BOOL),
		     binary(OP_EQ, text("ab"), text("abc"), BOOL),
		     binary(OP_NE, text("ab"), text("abc"), BOOL),
		     binary(OP_LT, neg(num(1)), num(1), BOOL),
		     binary(OP_LT, cast("uint64", U64, neg(num(1))), num(1), BOOL),
		     binary(OP_MUL, num(6), num(7), S64), land,
		     binary(OP_LAND, num(0), num(1), BOOL), ternary, NULL);
}

/* Argument i of printf record `rec` (after the header), read by its type
 * in the record's tuple. */
static int64_t record_arg(const struct records *r, int rec, const struct type *args, int i)
{
	const struct type_member *m = &args->members[i];
	return type_load_int(m->type, r->data[rec] + sizeof(struct event_hdr) + m->offset);
}

static void test_semantics(void)
{
	struct fixture f;
	fixture_init(&f, "sem.bt", "BEGIN {\n  ...\n}\n");
	struct map_info *h = add_map(&f, "@h", MAP_HIST, U64, 0);
	struct map_info *lh = add_map(&f, "@lh", MAP_LHIST, U64, 0);
	set_lhist(&f, lh, 0, 100, 10);
	struct map_info *mn = add_map(&f, "@mn", MAP_MIN, S64, 0);
	struct map_info *mx = add_map(&f, "@mx", MAP_MAX, S64, 0);
	struct map_info *av = add_map(&f, "@av", MAP_AVG, S64, 0);
	struct map_info *sv = add_map(&f, "@sv", MAP_PLAIN, str_type(8), 1, str_type(8));
	struct map_info *pl = add_map(&f, "@pl", MAP_PLAIN, S64, 1, U64);
	struct map_info *ct = add_map(&f, "@ct", MAP_COUNT, U64, 1, str_type(16));

	struct probe *p = add_probe(&f, 1);
	struct var_info *s = add_var(p, "$s", str_type(16));
	struct var_info *x = add_var(p, "$x", S64);
	struct node *ints = int_expressions();
	int pf_ints = add_printf_for(&f, ints);
	int nints = (int)(sizeof(expect_ints) / sizeof(expect_ints[0]));
	/* a string truncated to its slot, a map's string, a variable's string,
	 * an integer after them (aligned to 8) */
	int pf_strs = add_printf(&f, 4, str_type(4), str_type(8), str_type(16), S64);
	struct node *pick = node(N_TERNARY, 1, str_type(16));
	pick->cond = num(0);
	pick->then = text("a");
	pick->els = text("longer-string");
	struct node *inc = node(N_INCDEC, 8, S64);
	inc->op = '+';
	inc->lhs = map_ref(pl, num(9), S64);
	struct node *body = chain(
		stmt(2, printf_call(&f, pf_ints, ints)),
		assign(3, var_ref(s), 0, pick),
		assign(4, map_ref(sv, text("key"), str_type(8)), 0, text("val")),
		assign(5, var_ref(x), 0, num(40)),
		assign(6, var_ref(x), OP_ADD, num(2)),
		assign(7, map_ref(pl, num(9), S64), 0, num(10)),
		stmt(8, inc),
		assign(9, map_ref(pl, num(9), S64), OP_MUL, num(3)),
		stmt(10, printf_call(&f, pf_strs,
				     chain(text("abcdefgh"), map_ref(sv, text("key"), str_type(8)),
					   var_ref(s), binary(OP_ADD, var_ref(x), map_ref(pl, num(9), S64), S64),
					   NULL))),
		assign(11, map_ref(ct, text("x"), U64), 0, call("count", NULL, type_agg())),
		assign(11, map_ref(ct, text("x"), U64), 0, call("count", NULL, type_agg())),
		NULL);
	for (int i = 0; i < NSAMPLES; i++) {
		chain(body,
		      assign(12, map_ref(h, NULL, U64), 0, call("hist", num(samples[i]), type_agg())),
		      assign(12, map_ref(lh, NULL, U64), 0,
			     call("lhist", chain(num(samples[i]), num(0), num(100), num(10), NULL), type_agg())),
		      assign(12, map_ref(mn, NULL, S64), 0, call("min", num(samples[i]), type_agg())),
		      assign(12, map_ref(mx, NULL, S64), 0, call("max", num(samples[i]), type_agg())),
		      assign(12, map_ref(av, NULL, S64), 0, call("avg", num(samples[i]), type_agg())), NULL);
	}
	chain(body, stmt(13, call("exit", num(3), type_none())),
	      stmt(14, printf_call(&f, pf_strs, chain(text("x"), text("y"), text("z"), num(0), NULL))),
	      NULL);
	p->body->body = body;
	if (!add_group(&f, "BEGIN", p)) {
		fixture_free(&f);
		return;
	}

	const struct type *int_args = f.d->printfs[pf_ints].args;
	const struct type *str_args = f.d->printfs[pf_strs].args;
	/* the layouts the records are read with: bools take one byte */
	CHECK(int_args->nmembers == nints && int_args->members[9].type == type_bool() &&
	      int_args->members[10].offset == int_args->members[9].offset + 1);
	CHECK(str_args->members[0].offset == 0 && str_args->members[1].offset == 4 &&
	      str_args->members[2].offset == 12 && str_args->members[3].offset == 32 && str_args->size == 40);
	struct compiled c;
	if (compile_fixture(&f, &c) != 0) {
		fixture_free(&f);
		return;
	}
	struct bpf_object *obj = load_object(&c, "semantics", false);
	struct records r;
	if (obj && run_program(obj, "prog0", &r) == 0) {
		/* printf ints, printf strings, exit; nothing after exit() */
		CHECK(r.n == 3);
		const struct event_hdr *hdr = (const void *)r.data[0];
		CHECK(hdr->kind == EV_PRINTF && hdr->id == (uint32_t)pf_ints);
		CHECK(r.size[0] == sizeof(struct event_hdr) + int_args->size);
		for (int i = 0; i < nints; i++) {
			int64_t got = record_arg(&r, 0, int_args, i);
			if (got != expect_ints[i]) {
				fprintf(stderr, "int expression %d: got %lld, want %lld\n", i,
					(long long)got, (long long)expect_ints[i]);
				failures++;
			}
		}
		hdr = (const void *)r.data[1];
		CHECK(hdr->kind == EV_PRINTF && hdr->id == (uint32_t)pf_strs);
		CHECK(r.size[1] == sizeof(struct event_hdr) + 40);
		const unsigned char *rec = r.data[1] + sizeof(struct event_hdr);
		CHECK(memcmp(rec, "abc\0", 4) == 0); /* truncated, NUL-terminated */
		CHECK(memcmp(rec + 4, "val\0\0\0\0\0", 8) == 0);
		CHECK(memcmp(rec + 12, "longer-string\0\0\0", 16) == 0);
		CHECK(memcmp(rec + 28, "\0\0\0\0", 4) == 0); /* padding zeroed */
		CHECK(record_arg(&r, 1, str_args, 3) == 42 + 33); /* $x + (10 + 1) * 3 */
		hdr = (const void *)r.data[2];
		CHECK(hdr->kind == EV_EXIT && r.size[2] == 16 && record_i64(&r, 2, 8) == 3);

		int64_t want_hist[SONDE_HIST_BUCKETS] = { 0 }, want_lhist[12] = { 0 };
		for (int i = 0; i < NSAMPLES; i++) {
			want_hist[hist_bucket(samples[i])]++;
			want_lhist[lhist_bucket(samples[i])]++;
		}
		/* scalar hist maps are keyed by the bucket alone (desc.h) */
		for (uint64_t b = 0; b < SONDE_HIST_BUCKETS; b++) {
			uint64_t key[1] = { b };
			if (percpu_sum(obj, "m_h", key, 0) != want_hist[b]) {
				fprintf(stderr, "hist bucket %d wrong\n", (int)b);
				failures++;
			}
		}
		for (uint64_t b = 0; b < 12; b++) {
			uint64_t key[1] = { b };
			if (percpu_sum(obj, "m_lh", key, 0) != want_lhist[b]) {
				fprintf(stderr, "lhist bucket %d wrong\n", (int)b);
				failures++;
			}
		}
		uint64_t zero = 0;
		/* one CPU ran the program: its {value, is_set} is the sum */
		CHECK(percpu_sum(obj, "m_mn", &zero, 0) == -5 && percpu_sum(obj, "m_mn", &zero, 1) == 1);
		CHECK(percpu_sum(obj, "m_mx", &zero, 0) == (int64_t)1 << 62);
		int64_t total = 0;
		for (int i = 0; i < NSAMPLES; i++)
			total += samples[i];
		CHECK(percpu_sum(obj, "m_av", &zero, 0) == total);
		CHECK(percpu_sum(obj, "m_av", &zero, 1) == NSAMPLES);
		char ckey[16] = "x";
		CHECK(percpu_sum(obj, "m_ct", ckey, 0) == 2);
	} else {
		CHECK(!"BEGIN program did not run");
	}
	if (obj)
		bpf_object__close(obj);
	free(c.elf); /* the desc is the fixture's */
	fixture_free(&f);
}

static int compile_script(const char *name, const char *script, struct cg_options *o,
			  struct compiled *out);

/* A map of the compiled object by its script name ("@hist"). */
static struct bpf_map *object_map(struct bpf_object *obj, const struct desc *d, const char *name)
{
	for (int i = 0; i < d->nmaps; i++)
		if (strcmp(d->maps[i].name, name) == 0)
			return bpf_object__find_map_by_name(obj, d->maps[i].bpf_name);
	return NULL;
}

/* Every builtin, every aggregation, strings, tracepoint args (char[],
 * __data_loc, pointers, integers of several sizes), raw tracepoint args,
 * and actions compiled for several tracepoints whose fields sit at
 * different offsets. Through sema: the args members per target are
 * sema's to resolve. */
static const char everything_script[] =
	"tracepoint:syscalls:sys_enter_read, tracepoint:syscalls:sys_enter_pread64 /pid != 0/ {\n"
	"  $s = comm;\n"
	"  printf(\"%d %d %d %d %s %d %d %d %s %d %d %d %d %s\\n\", pid, tid, uid, gid, comm, nsecs,\n"
	"         elapsed, cpu, probe, cpid, rand, cgroup, curtask, $s);\n"
	"  @count[comm] = count(); @sum[pid] = sum(args->count); @avg = avg(args->count);\n"
	"  @min = min(args->count); @max[pid, comm] = max(args->count); @stats = stats(args->count);\n"
	"  @hist = hist(args->count); @lhist[comm] = lhist(args->count, 0, 100, 10);\n"
	"  if ($s == \"bash\") { @plain[pid] = 1; } else { @plain[pid] += 2; }\n"
	"  @strs[tid] = str(args->buf);\n"
	"  printf(\"%d %d %d %s\\n\", args->fd, args->count, @plain[pid], @strs[tid]);\n"
	"  @++;\n"
	"}\n"
	"rawtracepoint:sys_enter { @sum[tid] = sum(arg1); }\n"
	"tracepoint:sched:sched_process_exec { printf(\"%d %s\\n\", args->pid, str(args->filename)); }\n"
	"tracepoint:sched:sched_process_exec, tracepoint:sched:sched_wakeup { @pids[args->pid] = count(); }\n"
	"tracepoint:sched:sched_switch { printf(\"%s %s %d\\n\", args->prev_comm, args->next_comm, args->prev_state);\n"
	"  @count[args->next_comm] = count(); }\n"
	"BEGIN, interval:s:1 { print(@count, 10, 2); clear(@plain); zero(@sum); delete(@plain[42]); exit(); }\n";

static void test_everything_loads(void)
{
	/* `pid` is at different offsets in these two records */
	const struct tp_field *exec_pid = tp_format_field(tp_format_get("sched", "sched_process_exec"), "pid");
	const struct tp_field *wakeup_pid = tp_format_field(tp_format_get("sched", "sched_wakeup"), "pid");
	CHECK(exec_pid && wakeup_pid && exec_pid->offset != wakeup_pid->offset);
	struct compiled c = { 0 };
	if (compile_script("all.bt", everything_script, NULL, &c) != 0) {
		failures++;
		return;
	}
	struct bpf_object *obj = load_object(&c, "everything", true);
	if (obj) {
		for (int i = 0; i < c.desc->nprobes; i++)
			CHECK(bpf_object__find_program_by_name(obj, c.desc->probes[i].prog_name) != NULL);
		for (int i = 0; i < c.desc->nmaps; i++)
			CHECK(bpf_object__find_map_by_name(obj, c.desc->maps[i].bpf_name) != NULL);
		/* unkeyed, only updated: an array of the buckets (desc_map's array) */
		struct bpf_map *m = object_map(obj, c.desc, "@hist");
		CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY && bpf_map__key_size(m) == 4 &&
		      bpf_map__max_entries(m) == SONDE_HIST_BUCKETS);
		m = object_map(obj, c.desc, "@plain");
		CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_HASH && bpf_map__max_entries(m) == SONDE_MAX_MAP_KEYS);
		/* (uint64, string[16]): 24 bytes; max: {value, is_set} */
		m = object_map(obj, c.desc, "@max");
		CHECK(m && bpf_map__key_size(m) == 24 && bpf_map__value_size(m) == 16);
		m = object_map(obj, c.desc, "@lhist");
		CHECK(m && bpf_map__key_size(m) == 16 + 8);
		m = bpf_object__find_map_by_name(obj, c.desc->ringbuf_name);
		CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF);
		m = bpf_object__find_map_by_name(obj, c.desc->lost_name);
		CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY && bpf_map__value_size(m) == 8);
		/* .rodata holds the configuration, then the dropped-counter
		 * index of each map that counts failed updates (a u32 each) */
		size_t rodata_size = 0;
		bpf_object__for_each_map(m, obj)
			if (strstr(bpf_map__name(m), ".rodata"))
				CHECK(bpf_map__initial_value(m, &rodata_size) != NULL);
		CHECK(rodata_size >= sizeof(struct rt_config) &&
		      rodata_size <= sizeof(struct rt_config) + 4 * (size_t)c.desc->nmaps);
		/* line info: the verifier quotes the script's lines */
		CHECK(strstr(verifier_log, "@ all.bt:") != NULL);
		bpf_object__close(obj);
	}
	compiled_free(&c);
}

/* An unkeyed hist/lhist that the script only updates and prints is a
 * per-CPU array of its buckets; any other use of it keeps the hash (len(),
 * has_key() and for need keys: an unkeyed map there is a compile error). */
static const char hist_maps_script[] =
	"BEGIN { @h = hist(1); @l = lhist(5, 0, 100, 10); @k = hist(3, 2); print(@h); print(@l, 3);\n"
	"  @c = hist(1); clear(@c); @z = hist(1); zero(@z); @d = lhist(1, 0, 10, 1); delete(@d);\n"
	"  @e = hist(1); print(@e); clear(@e);\n"
	"  @keyed[1] = hist(1); exit(); }\n"
	"END { @h = hist(2); print(@k); }\n";

static void test_hist_arrays(void)
{
	struct compiled c = { 0 };
	if (compile_script("hist.bt", hist_maps_script, NULL, &c) != 0) {
		failures++;
		return;
	}
	struct bpf_object *obj = load_object(&c, "hist arrays", true);
	if (obj) {
		static const struct { const char *name; unsigned type; uint32_t entries; } want[] = {
			{ "@h", BPF_MAP_TYPE_PERCPU_ARRAY, SONDE_HIST_BUCKETS },
			{ "@l", BPF_MAP_TYPE_PERCPU_ARRAY, 12 },
			{ "@k", BPF_MAP_TYPE_PERCPU_ARRAY, ((64 - 2) << 2) + (1 << 2) + 1 },
			{ "@c", BPF_MAP_TYPE_PERCPU_HASH, 0 }, { "@z", BPF_MAP_TYPE_PERCPU_HASH, 0 },
			{ "@d", BPF_MAP_TYPE_PERCPU_HASH, 0 }, { "@e", BPF_MAP_TYPE_PERCPU_HASH, 0 },
			{ "@keyed", BPF_MAP_TYPE_PERCPU_HASH, 0 },
		};
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			struct bpf_map *m = object_map(obj, c.desc, want[i].name);
			bool array = want[i].type == BPF_MAP_TYPE_PERCPU_ARRAY;
			if (!m || bpf_map__type(m) != want[i].type || (array && bpf_map__key_size(m) != 4) ||
			    (array && bpf_map__max_entries(m) != want[i].entries)) {
				fprintf(stderr, "map %s: type %d, %u entries\n", want[i].name,
					m ? (int)bpf_map__type(m) : -1, m ? bpf_map__max_entries(m) : 0);
				failures++;
			}
		}
		bpf_object__close(obj);
	}
	compiled_free(&c);
}

/* Count the events of raw_syscalls:sys_enter while this process makes 100
 * syscalls, with the given runtime configuration in .rodata. */
static int64_t count_with_config(uint64_t self_tgid, uint64_t filter_tgid)
{
	struct fixture f;
	fixture_init(&f, "cfg.bt", "x\n");
	struct map_info *ct = add_map(&f, "@", MAP_COUNT, U64, 0);
	struct probe *p = add_probe(&f, 1);
	p->body->body = assign(1, map_ref(ct, NULL, U64), 0, call("count", NULL, type_agg()));
	add_group(&f, "tracepoint:raw_syscalls:sys_enter", p);
	struct compiled c;
	int64_t n = -1;
	if (compile_fixture(&f, &c) != 0) {
		fixture_free(&f);
		return -1;
	}
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "cfg");
	struct bpf_object *obj = bpf_object__open_mem(c.elf, c.elf_size, &opts);
	struct bpf_map *m, *rodata = NULL;
	size_t size = 0;
	if (obj)
		bpf_object__for_each_map(m, obj)
			if (strstr(bpf_map__name(m), ".rodata"))
				rodata = m;
	/* the configuration alone: nothing is cloned, so the map's
	 * dropped-counter index is an immediate, not a .rodata global */
	const void *init = rodata ? bpf_map__initial_value(rodata, &size) : NULL;
	CHECK(init && size == sizeof(struct rt_config));
	char data[sizeof(struct rt_config)] = { 0 };
	struct rt_config cfg = { .self_tgid = self_tgid, .filter_tgid = filter_tgid };
	if (init && size == sizeof(data)) {
		memcpy(data, init, size);
		memcpy(data, &cfg, sizeof(cfg));
	}
	if (rodata && bpf_map__set_initial_value(rodata, data, sizeof(data)) == 0 &&
	    bpf_object__load(obj) == 0) {
		struct bpf_link *link = bpf_program__attach(bpf_object__find_program_by_name(obj, "prog0"));
		CHECK(link != NULL);
		for (int i = 0; i < 100; i++)
			getppid();
		bpf_link__destroy(link);
		uint64_t zero = 0;
		n = percpu_sum(obj, "m_anon", &zero, 0);
	}
	bpf_object__close(obj);
	free(c.elf);
	fixture_free(&f);
	return n;
}

/* The self and -p filters read the configuration the runtime fills in. */
static void test_config_filters(void)
{
	CHECK(count_with_config(0, 0x7ffffff0) == 0);            /* -p of a process that does not exist */
	CHECK(count_with_config(0, (uint64_t)getpid()) >= 100);  /* -p of this process */
	CHECK(count_with_config((uint64_t)getpid(), (uint64_t)getpid()) == 0); /* sonde itself */
}

/* ---- part 2: scripts through the parser and sema ------------------------- */

static int compile_script(const char *name, const char *script, struct cg_options *o,
			  struct compiled *out)
{
	struct source *src = source_from_string(name, script, strlen(script));
	struct diag d;
	diag_init(&d, src, stderr);
	struct program *prog = parse_program(src, &d);
	int rc = -1;
	if (!d.errors) {
		struct sema_options so = { 0 };
		struct sema_result r = { 0 };
		if (sema_analyze(prog, &so, &d, &r) == 0) {
			struct cg_options def = { .opt_level = 2 };
			rc = cg_compile(prog, &r, o ? o : &def, &d, out);
		}
		sema_result_free(&r);
	}
	ast_free_program(prog);
	source_free(src);
	if (rc != 0)
		fprintf(stderr, "cannot compile:\n%s\n", script);
	return rc;
}

static const char *const scripts[] = {
	"BEGIN { printf(\"hello %d %s\\n\", 42, \"x\"); exit(); }",
	"tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }",
	"tracepoint:syscalls:sys_enter_read /pid != 0/ { @bytes[comm, pid] = sum(args->count); "
	"@h = hist(args->count); @l = lhist(args->count, 0, 1000, 100); @mn = min(args->count); "
	"@mx = max(args->count); @a = avg(args->count); @s = stats(args->count); }",
	"tracepoint:syscalls:sys_enter_openat { printf(\"%s %s\\n\", comm, str(args->filename)); }",
	"tracepoint:syscalls:sys_exit_read /args->ret > 0/ { @r[tid] = args->ret; $x = @r[tid]; "
	"if ($x > 10) { @big++; } else { @small += 1; } }",
	"rawtracepoint:sys_enter { @[arg1] = count(); }",
	"tracepoint:syscalls:sys_enter_* { @[probe] = count(); }",
	"BEGIN { $s = \"abc\"; if ($s == \"abc\") { printf(\"%s %d %d\\n\", $s, 7 / 2, -7 % 3); } "
	"@x = 1; @x += 2; @y[\"k\"] = \"v\"; print(@x); clear(@x); zero(@y); delete(@y[\"k\"]); exit(); }",
	"BEGIN { printf(\"%d %d %d %d %d %s %d %d %d %d %d %d\\n\", pid, tid, uid, gid, nsecs, comm, "
	"elapsed, cpu, cpid, rand, cgroup, curtask); exit(); }",
	"interval:s:1 { print(@); exit(); } tracepoint:sched:sched_switch { @[args->next_comm] = count(); }",
	/* the type graph: tuples, records, bools, arrays, casts, pointers */
	"BEGIN { $t = (1, \"ab\", (int16)-3); @t = $t; @r = (a=1, b=comm); @k[$t] = count();"
	" printf(\"%d %s %d\\n\", $t.0, $t.1, $t[2]); print($t); print(@r); print(()); exit(); }",
	"BEGIN { $b = 1 < 2; @b = $b; @n[$b, pid > 0] = count(); printf(\"%d %d\\n\", $b, !$b); exit(); }",
	"BEGIN { $a = (uint8[4])cpu; @a = $a; @e = $a[1]; $i = 2; @f = $a[$i]; exit(); }",
	"struct s { int a; char name[8]; unsigned int x:3; unsigned int y:5; short z; struct s *next; };\n"
	"BEGIN { $p = (struct s *)0; if ($p != 0) { @a = $p->a; @x = $p->next->y; @n = $p->name;"
	" @v = *$p; @z = (*$p).z; } @sz = sizeof(struct s); exit(); }",
	"tracepoint:sched:sched_switch { @s = args; @c[args.prev_comm, args->prev_pid] = count(); }",
};

/* Scripts that need kernel BTF. */
static const char *const btf_scripts[] = {
	"BEGIN { @p = curtask->parent->pid; @c = curtask->comm; @m = curtask->mm;"
	" $t = curtask; printf(\"%d %s\\n\", $t->real_parent->tgid, $t->comm); exit(); }",
	"tracepoint:sched:sched_switch { @[((struct task_struct *)curtask)->pid] = count(); @o = offsetof(struct task_struct, pid); }",
};

/* Records that hold a string of the default max_strlen (1024) and more:
 * LLVM merges cg_zero()'s memsets into one of more than 1024 bytes, which
 * the BPF backend refuses ("A call to built-in function 'memset' is not
 * supported"). Reported. */
static const char *const big_record_scripts[] = {
	"BEGIN { printf(\"%s %d\\n\", str(0), 1); exit(); }",
	"BEGIN { printf(\"%s %s\\n\", str(0), \"a\"); exit(); }",
	"BEGIN { @[str(0), 1] = count(); exit(); }",
	"BEGIN { $t = (str(0), 1); exit(); }",
};

static void compile_and_load(const char *script)
{
	struct compiled c = { 0 };
	if (compile_script("script.bt", script, NULL, &c) != 0) {
		failures++;
		return;
	}
	struct bpf_object *obj = load_object(&c, script, false);
	if (obj)
		bpf_object__close(obj);
	compiled_free(&c);
}

static void test_scripts(void)
{
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
		compile_and_load(scripts[i]);
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		for (size_t i = 0; i < sizeof(btf_scripts) / sizeof(btf_scripts[0]); i++)
			compile_and_load(btf_scripts[i]);
	for (size_t i = 0; i < sizeof(big_record_scripts) / sizeof(big_record_scripts[0]); i++) {
		struct source *src = source_from_string("big.bt", big_record_scripts[i],
							strlen(big_record_scripts[i]));
		char *errors = NULL;
		size_t len = 0;
		FILE *err = open_memstream(&errors, &len);
		struct diag d;
		diag_init(&d, src, err);
		struct program *prog = parse_program(src, &d);
		struct sema_options so = { 0 };
		struct sema_result r = { 0 };
		struct compiled c = { 0 };
		struct cg_options o = { .opt_level = 2 };
		int rc = d.errors || sema_analyze(prog, &so, &d, &r) != 0 ? -1 : cg_compile(prog, &r, &o, &d, &c);
		fclose(err);
		CHECKF(rc == 0, "%s\n%s", big_record_scripts[i], errors);
		free(errors);
		compiled_free(&c);
		sema_result_free(&r);
		ast_free_program(prog);
		source_free(src);
	}
}

/* Verifier messages must be mapped to the script's own lines and text. */
static void test_line_info(void)
{
	const char *script = "BEGIN\n{\n  @x = 1;\n  printf(\"%d\\n\", @x);\n}\n";
	struct compiled c = { 0 };
	if (compile_script("lines.bt", script, NULL, &c) != 0) {
		failures++;
		return;
	}
	struct bpf_object *obj = load_object(&c, "line info", true);
	if (obj) {
		CHECK(strstr(verifier_log, "@x = 1; @ lines.bt:3") != NULL);
		CHECK(strstr(verifier_log, "@ lines.bt:4") != NULL);
		bpf_object__close(obj);
	}
	compiled_free(&c);
}

static void test_outputs(void)
{
	char ir_path[] = "/tmp/sonde_cg_XXXXXX";
	int fd = mkstemp(ir_path);
	CHECK(fd >= 0);
	close(fd);
	char elf_path[] = "/tmp/sonde_cg_XXXXXX";
	fd = mkstemp(elf_path);
	CHECK(fd >= 0);
	close(fd);
	char *ir = NULL, *as = NULL;
	size_t ir_len = 0, as_len = 0;
	FILE *ir_out = open_memstream(&ir, &ir_len), *as_out = open_memstream(&as, &as_len);
	struct cg_options o = { .opt_level = 2, .dump_ir = ir_out, .dump_asm = as_out,
				.emit_llvm_path = ir_path, .emit_elf_path = elf_path };
	struct compiled c = { 0 };
	int rc = compile_script("out.bt", "BEGIN { @n = count(); exit(); }", &o, &c);
	fclose(ir_out);
	fclose(as_out);
	CHECK(rc == 0);
	if (rc == 0) {
		CHECK(ir && strstr(ir, "define") && strstr(ir, "section \".maps\""));
		CHECK(as && strstr(as, "call 1") && strstr(as, "exit"));
		FILE *f = fopen(elf_path, "rb");
		CHECK(f != NULL);
		if (f) {
			char magic[4] = { 0 };
			CHECK(fread(magic, 1, 4, f) == 4 && memcmp(magic, "\177ELF", 4) == 0);
			fseek(f, 0, SEEK_END);
			CHECK((size_t)ftell(f) == c.elf_size);
			fclose(f);
		}
		f = fopen(ir_path, "r");
		char line[256] = "";
		CHECK(f && fgets(line, sizeof(line), f) && strstr(line, "ModuleID"));
		if (f)
			fclose(f);
	}
	free(ir);
	free(as);
	unlink(ir_path);
	unlink(elf_path);
	compiled_free(&c);
}

/* ---- direct loads through BTF pointers ------------------------------------ */

/* Calls of helper `id` in every program of script, after the object loads
 * (the verifier accepts the loads); -1 when it does not compile or load. */
static int helper_calls(const char *script, bool helper_errors, int id)
{
	struct cg_options o = { .opt_level = 2, .helper_errors = helper_errors };
	struct compiled c = { 0 };
	if (compile_script("btf.bt", script, &o, &c) != 0)
		return -1;
	int n = -1;
	struct bpf_object *obj = load_object(&c, script, false);
	if (obj) {
		n = 0;
		struct bpf_program *prog;
		bpf_object__for_each_program(prog, obj) {
			const struct bpf_insn *insn = bpf_program__insns(prog);
			for (size_t i = 0; i < bpf_program__insn_cnt(prog); i++)
				n += insn[i].code == (BPF_JMP | BPF_CALL) && insn[i].src_reg == 0 && insn[i].imm == id;
		}
		bpf_object__close(obj);
	}
	compiled_free(&c);
	return n;
}

enum {
	CALL_COMM = 16,       /* bpf_get_current_comm */
	CALL_TASK = 35,       /* bpf_get_current_task */
	CALL_READ = 113,      /* bpf_probe_read_kernel */
	CALL_READ_STR = 115,  /* bpf_probe_read_kernel_str */
	CALL_TASK_BTF = 158,  /* bpf_get_current_task_btf */
};

/* comm and curtask member chains are plain loads from
 * bpf_get_current_task_btf(), no helper per read; what the verifier would
 * not take keeps the helpers. */
static void test_btf_loads(void)
{
	if (!kbtf_task_btf_loads()) {
		printf("test_codegen: no bpf_get_current_task_btf on this kernel, direct loads not checked\n");
		return;
	}
	const char *comm_key = "tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }";
	CHECK(helper_calls(comm_key, false, CALL_COMM) == 0);
	CHECK(helper_calls(comm_key, false, CALL_TASK_BTF) == 1);
	const char *comm_value = "BEGIN { printf(\"%s\\n\", comm); @[pid, comm] = count(); $c = comm; }";
	CHECK(helper_calls(comm_value, false, CALL_COMM) == 0);
	CHECK(helper_calls("profile:hz:99 { @[comm] = count(); }", false, CALL_COMM) == 0);
	CHECK(helper_calls("tracepoint:sched:sched_switch { @[comm] = count(); }", false, CALL_COMM) == 0);
	const char *chain = "tracepoint:raw_syscalls:sys_enter { @[curtask->real_parent->tgid] = count(); }";
	CHECK(helper_calls(chain, false, CALL_READ) == 0);
	CHECK(helper_calls(chain, false, CALL_TASK) == 0);
	CHECK(helper_calls(chain, false, CALL_TASK_BTF) == 1);
	const char *strs = "BEGIN { @[curtask->comm, curtask->real_parent->real_parent->comm, pcomm] = count(); }";
	CHECK(helper_calls(strs, false, CALL_READ_STR) == 0);
	CHECK(helper_calls(strs, false, CALL_READ) == 0);
	/* a NULL hop (no rt-mutex wait in BEGIN): tested for NULL before the load */
	CHECK(helper_calls("BEGIN { @ = curtask->pi_blocked_on->task->pid; }", false, CALL_READ) == 0);
	/* a struct pointer as a value stays a plain number: read by the helper */
	CHECK(helper_calls("BEGIN { @ = (uint64)curtask->real_parent; }", false, CALL_READ) == 1);
	CHECK(helper_calls("BEGIN { printf(\"%p\\n\", curtask); }", false, CALL_TASK_BTF) == 0);
	/* a bitfield: the helper */
	CHECK(helper_calls("BEGIN { @ = curtask->sched_reset_on_fork; }", false, CALL_READ) == 1);
	/* -k reports failed reads: helpers only */
	CHECK(helper_calls(comm_key, true, CALL_COMM) == 1);
	CHECK(helper_calls(chain, true, CALL_READ) == 2);
	CHECK(helper_calls(chain, true, CALL_TASK_BTF) == 0);
	/* SONDE_BTF_LOADS=0: helpers only */
	setenv("SONDE_BTF_LOADS", "0", 1);
	CHECK(helper_calls(comm_key, false, CALL_COMM) == 1);
	CHECK(helper_calls(chain, false, CALL_READ) == 2);
	unsetenv("SONDE_BTF_LOADS");
}

/* ---- kernel objects by use ------------------------------------------------ */

struct internals {
	bool compiled;
	uint32_t ringbuf;          /* max_entries of the ring buffer; 0 = none */
	bool lost, dropped, rodata;
	bool names_match;          /* desc names NULL exactly where the object has no map */
};

static struct internals internals_of(const char *script)
{
	struct internals in = { 0 };
	struct compiled c = { 0 };
	if (compile_script("maps.bt", script, NULL, &c) != 0)
		return in;
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "sonde_test");
	struct bpf_object *obj = bpf_object__open_mem(c.elf, c.elf_size, &opts);
	if (obj) {
		in.compiled = true;
		struct bpf_map *m;
		bpf_object__for_each_map(m, obj) {
			const char *name = bpf_map__name(m);
			if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
				in.ringbuf = bpf_map__max_entries(m);
			in.lost |= strcmp(name, "lost") == 0;
			in.dropped |= strcmp(name, "dropped") == 0;
			in.rodata |= strstr(name, ".rodata") != NULL;
		}
		in.names_match = !c.desc->ringbuf_name == !in.ringbuf && !c.desc->lost_name == !in.lost &&
				 !c.desc->dropped_name == !in.dropped &&
				 (!in.ringbuf || c.desc->ringbuf_size == in.ringbuf);
		bpf_object__close(obj);
	}
	compiled_free(&c);
	return in;
}

/* Every map and .rodata is a kernel object created at each start: a
 * script gets only those its programs use, and a ring buffer as big as
 * its BEGIN/END events when those are its only ones. */
static void test_internal_maps(void)
{
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE);
	struct internals in = internals_of("BEGIN { exit(); }");
	CHECK(in.compiled && in.names_match && in.ringbuf == page && in.lost && !in.dropped &&
	      !in.rodata);
	in = internals_of("BEGIN { printf(\"a %d\\n\", 1); } END { printf(\"b\\n\"); }");
	CHECK(in.compiled && in.names_match && in.ringbuf == page && !in.dropped && !in.rodata);
	/* nothing to output, nothing to count */
	in = internals_of("BEGIN { $x = 1; }");
	CHECK(in.compiled && in.names_match && !in.ringbuf && !in.lost && !in.dropped && !in.rodata);
	in = internals_of("BEGIN { @x = 1; exit(); }");
	CHECK(in.compiled && in.names_match && in.ringbuf == page && in.dropped);
	/* a loop's events have no bound: the default */
	in = internals_of("BEGIN { $i = 0; while ($i < 3) { printf(\"x\\n\"); $i++; } exit(); }");
	CHECK(in.compiled && in.names_match && in.ringbuf == (1u << 20));
	in = internals_of("BEGIN { for ($i : 0..3) { printf(\"x\\n\"); } exit(); }");
	CHECK(in.compiled && in.names_match && in.ringbuf == (1u << 20));
	/* a probe that fires any number of times: the default, and the config (its pid filter) */
	in = internals_of("BEGIN { exit(); } tracepoint:syscalls:sys_enter_read { printf(\"r\\n\"); }");
	CHECK(in.compiled && in.names_match && in.ringbuf == (1u << 20) && in.rodata);
	/* more than a page of events from BEGIN: the next power of two */
	char script[8192] = "BEGIN {";
	for (int i = 0; i < 60; i++)
		strcat(script, " printf(\"%d %d %d %d %d %d %d %d\\n\", 1, 2, 3, 4, 5, 6, 7, 8);");
	strcat(script, " }");
	in = internals_of(script);
	CHECK(in.compiled && in.names_match && in.ringbuf == (page >= 8192 ? page : 8192u));
	/* chunks agree */
	setenv("SONDE_CG_CHUNK", "1", 1);
	in = internals_of("BEGIN { printf(\"a\\n\"); } END { printf(\"b\\n\"); exit(); }");
	CHECK(in.compiled && in.names_match && in.ringbuf == page && !in.dropped && !in.rodata);
	in = internals_of("BEGIN { printf(\"a\\n\"); } tracepoint:syscalls:sys_enter_read { @ = count(); }");
	CHECK(in.compiled && in.names_match && in.ringbuf == page && in.dropped && in.rodata);
	unsetenv("SONDE_CG_CHUNK");
}

int main(void)
{
	libbpf_set_print(capture_libbpf);
	if (geteuid() != 0) {
		printf("SKIP: test_codegen loads BPF programs and needs root\n");
		return 77;
	}
	test_semantics();
	test_everything_loads();
	test_hist_arrays();
	test_config_filters();
	test_scripts();
	test_line_info();
	test_outputs();
	test_internal_maps();
	test_btf_loads();
	tp_format_cache_free();
	if (failures)
		fprintf(stderr, "test_codegen: %d failure(s)\n", failures);
	else
		printf("test_codegen: ok\n");
	return failures != 0;
}
