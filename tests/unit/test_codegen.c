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

static srcloc at(int line)
{
	return (srcloc){ line, 1, line, 2 };
}

static struct node *node(enum node_kind kind, int line, struct type t)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->loc = at(line);
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
	struct node *n = node(N_STR, 1, type_str((uint32_t)strlen(s) + 1));
	n->str = xstrdup(s);
	n->str_len = strlen(s);
	return n;
}

static struct node *builtin(const char *name)
{
	const struct stdlib_var *v = stdlib_find_var(name);
	struct node *n = node(N_BUILTIN, 1, v->type);
	n->name = xstrdup(name);
	n->builtin = v;
	return n;
}

static struct node *binary(int op, struct node *l, struct node *r, struct type t)
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

static struct node *cast(struct type t, struct node *e)
{
	struct node *n = node(N_CAST, 1, t);
	n->cast_type = t;
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

static struct node *call(const char *name, struct node *args, struct type t)
{
	struct node *n = node(N_CALL, 1, t);
	n->name = xstrdup(name);
	n->func = stdlib_find_func(name);
	n->args = args;
	return n;
}

static struct node *map_ref(struct map_info *m, struct node *keys, struct type t)
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

static struct node *field(const char *name, struct type t)
{
	struct node *n = node(N_FIELD, 1, t);
	n->name = xstrdup(name);
	n->lhs = builtin("args");
	n->is_arrow = true;
	return n;
}

/* What sema produces around the AST: maps with their desc entries,
 * printf layouts, groups. */
struct fixture {
	struct program *prog;
	struct sema_result r;
	struct desc *d;
};

static uint32_t part_size(struct type t)
{
	return t.kind == TY_STR ? (t.size + 7) / 8 * 8 : 8;
}

static struct map_info *add_map(struct fixture *f, const char *name, enum map_kind kind,
				struct type value, int nkeys, ...)
{
	struct map_info *m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(name);
	m->id = f->d->nmaps;
	m->kind = kind;
	m->value = value;
	m->nkeys = nkeys;
	va_list ap;
	va_start(ap, nkeys);
	uint32_t off = 0;
	for (int i = 0; i < nkeys; i++) {
		m->keys[i].type = va_arg(ap, struct type);
		m->keys[i].offset = off;
		off += part_size(m->keys[i].type);
	}
	va_end(ap);
	m->key_size = nkeys ? off : 8;
	m->next = f->prog->maps;
	f->prog->maps = m;
	f->prog->nmaps++;

	f->d->maps = xrealloc(f->d->maps, sizeof(*f->d->maps) * (size_t)(f->d->nmaps + 1));
	struct desc_map *dm = &f->d->maps[f->d->nmaps++];
	*dm = (struct desc_map){ .name = xstrdup(name), .kind = kind, .nkeys = nkeys,
				 .key_size = m->key_size, .value = value };
	dm->bpf_name = xasprintf("m_%s", name[1] ? name + 1 : "anon");
	memcpy(dm->keys, m->keys, sizeof(m->keys));
	bool pair = kind == MAP_AVG || kind == MAP_STATS || kind == MAP_MIN || kind == MAP_MAX;
	dm->value_size = kind == MAP_PLAIN ? part_size(value) : pair ? 16 : 8;
	return m;
}

static void set_lhist(struct fixture *f, struct map_info *m, int64_t min, int64_t max, int64_t step)
{
	m->lhist_min = f->d->maps[m->id].lhist_min = min;
	m->lhist_max = f->d->maps[m->id].lhist_max = max;
	m->lhist_step = f->d->maps[m->id].lhist_step = step;
}

static int add_printf(struct fixture *f, int nargs, ...)
{
	f->d->printfs = xrealloc(f->d->printfs, sizeof(*f->d->printfs) * (size_t)(f->d->nprintfs + 1));
	struct desc_printf *p = &f->d->printfs[f->d->nprintfs];
	*p = (struct desc_printf){ .fmt = xstrdup("fmt"), .nargs = nargs };
	p->args = xcalloc((size_t)nargs + 1, sizeof(*p->args));
	va_list ap;
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++) {
		p->args[i].type = va_arg(ap, struct type);
		p->args[i].offset = p->size;
		p->size += part_size(p->args[i].type);
	}
	va_end(ap);
	return f->d->nprintfs++;
}

static struct node *printf_call(struct fixture *f, int id, struct node *args)
{
	struct node *n = call("printf", chain(text(f->d->printfs[id].fmt), args, NULL), type_none());
	n->printf_id = id;
	return n;
}

static struct var_info *add_var(struct probe *p, const char *name, struct type t)
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
	f->r.ngroups++;
	return true;
}

static void fixture_init(struct fixture *f, const char *name, const char *script_text)
{
	memset(f, 0, sizeof(*f));
	f->prog = xcalloc(1, sizeof(*f->prog));
	f->prog->src = source_from_string(name, script_text, strlen(script_text));
	f->d = xcalloc(1, sizeof(*f->d));
	f->d->ringbuf_name = xstrdup("events");
	f->d->lost_name = xstrdup("lost");
	f->d->dropped_name = xstrdup("dropped");
	f->d->ringbuf_size = 1 << 16;
	f->r.desc = f->d;
}

static void free_desc(struct desc *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->nmaps; i++) {
		free(d->maps[i].name);
		free(d->maps[i].bpf_name);
	}
	for (int i = 0; i < d->nprintfs; i++) {
		free(d->printfs[i].fmt);
		free(d->printfs[i].args);
	}
	free(d->maps);
	free(d->printfs);
	free(d->ringbuf_name);
	free(d->lost_name);
	free(d->dropped_name);
	free(d);
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
	free_desc(f->d); /* whether or not it moved into struct compiled */
	source_free(f->prog->src);
	ast_free_program(f->prog);
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
 * division by zero gives 0; casts truncate then extend. */
static const int64_t expect_ints[] = { -3, -1, -3, 0, INT64_MAX, 64, -4, 44, -56,
				       1, 0, 0, 1, 1, 0, 42, 1, 0, 5 };

static struct node *int_expressions(void)
{
	struct node *all_ones = node(N_INT, 1, U64);
	all_ones->ival = UINT64_MAX;
	struct node *land = binary(OP_LAND, num(1), binary(OP_LOR, num(0), num(7), S64), S64);
	struct node *ternary = node(N_TERNARY, 1, S64);
	ternary->cond = binary(OP_GT, num(3), num(2), S64);
	ternary->then = num(5);
	ternary->els = num(6);
	return chain(binary(OP_DIV, neg(num(7)), num(2), S64), binary(OP_MOD, neg(num(7)), num(3), S64),
		     binary(OP_DIV, num(7), neg(num(2)), S64), binary(OP_DIV, num(5), num(0), S64),
		     binary(OP_DIV, all_ones, num(2), U64), binary(OP_SHL, num(1), num(70), S64),
		     binary(OP_SHR, neg(num(16)), num(2), S64), cast(type_int(1, false), num(300)),
		     cast(type_int(1, true), num(200)), binary(OP_EQ, text("abc"), text("abc"), S64),
		     binary(OP_EQ, text("abc"), text("abd"), S64),
		     binary(OP_EQ, text("ab"), text("abc"), S64),
		     binary(OP_NE, text("ab"), text("abc"), S64),
		     binary(OP_LT, neg(num(1)), num(1), S64),
		     binary(OP_LT, cast(U64, neg(num(1))), num(1), S64),
		     binary(OP_MUL, num(6), num(7), S64), land,
		     binary(OP_LAND, num(0), num(1), S64), ternary, NULL);
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
	struct map_info *sv = add_map(&f, "@sv", MAP_PLAIN, type_str(8), 1, type_str(8));
	struct map_info *pl = add_map(&f, "@pl", MAP_PLAIN, S64, 1, U64);
	struct map_info *ct = add_map(&f, "@ct", MAP_COUNT, U64, 1, type_str(16));
	int nints = (int)(sizeof(expect_ints) / sizeof(expect_ints[0]));
	int pf_ints = add_printf(&f, 0);
	struct desc_printf *pi = &f.d->printfs[pf_ints];
	pi->nargs = nints;
	pi->args = xrealloc(pi->args, sizeof(*pi->args) * (size_t)nints);
	for (int i = 0; i < nints; i++)
		pi->args[i] = (struct field_layout){ S64, (uint32_t)i * 8 };
	pi->size = (uint32_t)nints * 8;
	int pf_strs = add_printf(&f, 4, type_str(4), type_str(8), type_str(16), S64);

	struct probe *p = add_probe(&f, 1);
	struct var_info *s = add_var(p, "$s", type_str(16));
	struct var_info *x = add_var(p, "$x", S64);
	struct node *pick = node(N_TERNARY, 1, type_str(16));
	pick->cond = num(0);
	pick->then = text("a");
	pick->els = text("longer-string");
	struct node *inc = node(N_INCDEC, 8, S64);
	inc->op = '+';
	inc->lhs = map_ref(pl, num(9), S64);
	struct node *body = chain(
		stmt(2, printf_call(&f, pf_ints, int_expressions())),
		assign(3, var_ref(s), 0, pick),
		assign(4, map_ref(sv, text("key"), type_str(8)), 0, text("val")),
		assign(5, var_ref(x), 0, num(40)),
		assign(6, var_ref(x), OP_ADD, num(2)),
		assign(7, map_ref(pl, num(9), S64), 0, num(10)),
		stmt(8, inc),
		assign(9, map_ref(pl, num(9), S64), OP_MUL, num(3)),
		stmt(10, printf_call(&f, pf_strs,
				     chain(text("abcdefgh"), map_ref(sv, text("key"), type_str(8)),
					   var_ref(s), binary(OP_ADD, var_ref(x), map_ref(pl, num(9), S64), S64),
					   NULL))),
		assign(11, map_ref(ct, text("x"), U64), 0, call("count", NULL, U64)),
		assign(11, map_ref(ct, text("x"), U64), 0, call("count", NULL, U64)),
		NULL);
	for (int i = 0; i < NSAMPLES; i++) {
		chain(body,
		      assign(12, map_ref(h, NULL, U64), 0, call("hist", num(samples[i]), U64)),
		      assign(12, map_ref(lh, NULL, U64), 0,
			     call("lhist", chain(num(samples[i]), num(0), num(100), num(10), NULL), U64)),
		      assign(12, map_ref(mn, NULL, S64), 0, call("min", num(samples[i]), S64)),
		      assign(12, map_ref(mx, NULL, S64), 0, call("max", num(samples[i]), S64)),
		      assign(12, map_ref(av, NULL, S64), 0, call("avg", num(samples[i]), S64)), NULL);
	}
	chain(body, stmt(13, call("exit", num(3), type_none())),
	      stmt(14, printf_call(&f, pf_strs, chain(text("x"), text("y"), text("z"), num(0), NULL))),
	      NULL);
	p->body->body = body;
	if (!add_group(&f, "BEGIN", p)) {
		fixture_free(&f);
		return;
	}

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
		CHECK(r.size[0] == sizeof(struct event_hdr) + (size_t)nints * 8);
		for (int i = 0; i < nints; i++) {
			int64_t got = record_i64(&r, 0, 8 + (uint32_t)i * 8);
			if (got != expect_ints[i]) {
				fprintf(stderr, "int expression %d: got %lld, want %lld\n", i,
					(long long)got, (long long)expect_ints[i]);
				failures++;
			}
		}
		hdr = (const void *)r.data[1];
		CHECK(hdr->kind == EV_PRINTF && hdr->id == (uint32_t)pf_strs);
		CHECK(r.size[1] == 8 + 8 + 8 + 16 + 8);
		CHECK(memcmp(r.data[1] + 8, "abc\0\0\0\0\0", 8) == 0); /* truncated, zero padded */
		CHECK(memcmp(r.data[1] + 16, "val\0\0\0\0\0", 8) == 0);
		CHECK(memcmp(r.data[1] + 24, "longer-string\0\0\0", 16) == 0);
		CHECK(record_i64(&r, 1, 40) == 42 + 33); /* $x + (10 + 1) * 3 */
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

/* Every builtin, every aggregation, strings, tracepoint args (char[],
 * __data_loc, integers of several sizes), raw tracepoint args, and one
 * action compiled for two tracepoints with different field offsets. */
static void test_everything_loads(void)
{
	struct fixture f;
	fixture_init(&f, "all.bt", "line one\nline two\n");
	struct type comm = type_str(SONDE_COMM_LEN), str64 = type_str(SONDE_STRLEN);
	struct map_info *count = add_map(&f, "@count", MAP_COUNT, U64, 1, comm);
	struct map_info *sum = add_map(&f, "@sum", MAP_SUM, S64, 1, U64);
	struct map_info *avg = add_map(&f, "@avg", MAP_AVG, S64, 0);
	struct map_info *min = add_map(&f, "@min", MAP_MIN, S64, 0);
	struct map_info *max = add_map(&f, "@max", MAP_MAX, S64, 2, U64, comm);
	struct map_info *stats = add_map(&f, "@stats", MAP_STATS, S64, 0);
	struct map_info *hist = add_map(&f, "@hist", MAP_HIST, U64, 0);
	struct map_info *lhist = add_map(&f, "@lhist", MAP_LHIST, U64, 1, comm);
	set_lhist(&f, lhist, 0, 100, 10);
	struct map_info *plain = add_map(&f, "@plain", MAP_PLAIN, U64, 1, U64);
	struct map_info *strs = add_map(&f, "@strs", MAP_PLAIN, str64, 1, U64);
	struct map_info *anon = add_map(&f, "@", MAP_COUNT, U64, 0);
	int pf_all = add_printf(&f, 14, U64, U64, U64, U64, comm, U64, U64, U64, str64, U64, U64,
				U64, U64, str64);
	int pf_args = add_printf(&f, 4, S64, U64, U64, str64);

	struct probe *p1 = add_probe(&f, 1);
	struct var_info *s = add_var(p1, "$s", str64);
	p1->pred = binary(OP_NE, builtin("pid"), num(0), S64);
	struct node *is_bash = node(N_IF, 2, type_none());
	is_bash->cond = binary(OP_EQ, var_ref(s), text("bash"), S64);
	is_bash->then = node(N_BLOCK, 2, type_none());
	is_bash->then->body = assign(2, map_ref(plain, builtin("pid"), U64), 0, num(1));
	is_bash->els = node(N_BLOCK, 2, type_none());
	is_bash->els->body = assign(2, map_ref(plain, builtin("pid"), U64), OP_ADD, num(2));
	struct node *inc = node(N_INCDEC, 2, U64);
	inc->op = '+';
	inc->lhs = map_ref(anon, NULL, U64);
	p1->body->body = chain(
		assign(1, var_ref(s), 0, builtin("comm")),
		stmt(1, printf_call(&f, pf_all,
				    chain(builtin("pid"), builtin("tid"), builtin("uid"), builtin("gid"),
					  builtin("comm"), builtin("nsecs"), builtin("elapsed"),
					  builtin("cpu"), builtin("probe"), builtin("cpid"),
					  builtin("rand"), builtin("cgroup"), builtin("curtask"),
					  var_ref(s), NULL))),
		assign(2, map_ref(count, builtin("comm"), U64), 0, call("count", NULL, U64)),
		assign(2, map_ref(sum, builtin("pid"), S64), 0, call("sum", field("count", U64), S64)),
		assign(2, map_ref(avg, NULL, S64), 0, call("avg", field("count", U64), S64)),
		assign(2, map_ref(min, NULL, S64), 0, call("min", field("count", U64), S64)),
		assign(2, map_ref(max, chain(builtin("pid"), builtin("comm"), NULL), S64), 0,
		       call("max", field("count", U64), S64)),
		assign(2, map_ref(stats, NULL, S64), 0, call("stats", field("count", U64), S64)),
		assign(2, map_ref(hist, NULL, U64), 0, call("hist", field("count", U64), U64)),
		assign(2, map_ref(lhist, builtin("comm"), U64), 0,
		       call("lhist", chain(field("count", U64), num(0), num(100), num(10), NULL), U64)),
		is_bash,
		assign(2, map_ref(strs, builtin("tid"), str64), 0, call("str", field("buf", U64), str64)),
		stmt(2, printf_call(&f, pf_args,
				    chain(field("fd", S64), field("count", U64),
					  map_ref(plain, builtin("pid"), U64),
					  map_ref(strs, builtin("tid"), str64), NULL))),
		stmt(2, inc), NULL);

	struct probe *p2 = add_probe(&f, 2);
	struct node *a1 = builtin("arg1");
	p2->body->body = assign(2, map_ref(sum, builtin("tid"), S64), 0, call("sum", a1, S64));

	struct probe *p3 = add_probe(&f, 2);
	int pf_exec = add_printf(&f, 2, str64, S64);
	p3->body->body = stmt(2, printf_call(&f, pf_exec, chain(field("filename", str64),
								field("pid", S64), NULL)));

	struct probe *p4 = add_probe(&f, 2);
	int pf_switch = add_printf(&f, 3, comm, comm, S64);
	p4->body->body = chain(
		stmt(2, printf_call(&f, pf_switch, chain(field("prev_comm", comm), field("next_comm", comm),
							   field("prev_state", S64), NULL))),
		assign(2, map_ref(count, field("next_comm", comm), U64), 0, call("count", NULL, U64)),
		NULL);

	struct probe *p5 = add_probe(&f, 2);
	struct node *print = call("print", chain(map_ref(count, NULL, U64), num(10), num(2), NULL),
				  type_none());
	print->map = count;
	struct node *clear = call("clear", map_ref(plain, NULL, U64), type_none());
	clear->map = plain;
	struct node *zero = call("zero", map_ref(sum, NULL, S64), type_none());
	zero->map = sum;
	struct node *del = call("delete", map_ref(plain, num(42), U64), type_none());
	del->map = plain;
	p5->body->body = chain(stmt(2, print), stmt(2, clear), stmt(2, zero), stmt(2, del),
			       stmt(2, call("exit", NULL, type_none())), NULL);

	bool ok = add_group(&f, "tracepoint:syscalls:sys_enter_read", p1) &&
		  add_group(&f, "rawtracepoint:sys_enter", p2) &&
		  add_group(&f, "tracepoint:syscalls:sys_enter_pread64", p1) &&
		  add_group(&f, "tracepoint:sched:sched_process_exec", p3) &&
		  add_group(&f, "tracepoint:sched:sched_switch", p4) &&
		  add_group(&f, "BEGIN", p5) && add_group(&f, "interval:s:1", p5);
	struct compiled c;
	if (!ok || compile_fixture(&f, &c) != 0) {
		fixture_free(&f);
		return;
	}
	struct bpf_object *obj = load_object(&c, "everything", true);
	if (obj) {
		for (int i = 0; i < f.r.ngroups; i++)
			CHECK(bpf_object__find_program_by_name(obj, f.r.groups[i].prog_name) != NULL);
		for (int i = 0; i < f.d->nmaps; i++)
			CHECK(bpf_object__find_map_by_name(obj, f.d->maps[i].bpf_name) != NULL);
		struct bpf_map *m = bpf_object__find_map_by_name(obj, "m_hist");
		CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_HASH && bpf_map__key_size(m) == 8);
		m = bpf_object__find_map_by_name(obj, "m_plain");
		CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_HASH && bpf_map__max_entries(m) == SONDE_MAX_MAP_KEYS);
		m = bpf_object__find_map_by_name(obj, "m_max");
		CHECK(m && bpf_map__key_size(m) == 24 && bpf_map__value_size(m) == 16);
		m = bpf_object__find_map_by_name(obj, "events");
		CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF);
		m = bpf_object__find_map_by_name(obj, "lost");
		CHECK(m && bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY && bpf_map__value_size(m) == 8);
		/* the configuration is the only thing in .rodata */
		size_t rodata_size = 0;
		bpf_object__for_each_map(m, obj)
			if (strstr(bpf_map__name(m), ".rodata"))
				CHECK(bpf_map__initial_value(m, &rodata_size) != NULL);
		CHECK(rodata_size == sizeof(struct rt_config));
		/* line info: the verifier quotes the script's lines */
		CHECK(strstr(verifier_log, "@ all.bt:") != NULL);
		bpf_object__close(obj);
	}
	free(c.elf); /* the desc is the fixture's */
	fixture_free(&f);
}

/* Count the events of raw_syscalls:sys_enter while this process makes 100
 * syscalls, with the given runtime configuration in .rodata. */
static int64_t count_with_config(uint64_t self_tgid, uint64_t filter_tgid)
{
	struct fixture f;
	fixture_init(&f, "cfg.bt", "x\n");
	struct map_info *ct = add_map(&f, "@", MAP_COUNT, U64, 0);
	struct probe *p = add_probe(&f, 1);
	p->body->body = assign(1, map_ref(ct, NULL, U64), 0, call("count", NULL, U64));
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
	CHECK(rodata && bpf_map__initial_value(rodata, &size) && size == sizeof(struct rt_config));
	struct rt_config cfg = { .self_tgid = self_tgid, .filter_tgid = filter_tgid };
	if (rodata && bpf_map__set_initial_value(rodata, &cfg, sizeof(cfg)) == 0 &&
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
};

static void test_scripts(void)
{
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		struct compiled c = { 0 };
		if (compile_script("script.bt", scripts[i], NULL, &c) != 0) {
			failures++;
			continue;
		}
		struct bpf_object *obj = load_object(&c, scripts[i], false);
		if (obj)
			bpf_object__close(obj);
		compiled_free(&c);
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

int main(void)
{
	libbpf_set_print(capture_libbpf);
	if (geteuid() != 0) {
		printf("SKIP: test_codegen loads BPF programs and needs root\n");
		return 77;
	}
	test_semantics();
	test_everything_loads();
	test_config_filters();
	test_scripts();
	test_line_info();
	test_outputs();
	tp_format_cache_free();
	if (failures)
		fprintf(stderr, "test_codegen: %d failure(s)\n", failures);
	else
		printf("test_codegen: ok\n");
	return failures != 0;
}
