/* test_sema.c - the semantic pass (sema/): for each rule, a script that
 * passes (with the types, map kinds, key layouts, printf layouts and probe
 * groups it must produce) and scripts that fail with their exact first error
 * line. Tracepoint cases need tracefs and are skipped (with a message)
 * without it. */
#include <bpf/btf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtins.h"
#include "frontend.h"
#include "language.h"
#include "probe.h"
#include "sema.h"

#include "check.h"

struct analyzed {
	struct source *src;
	struct program *prog;
	struct sema_result r;
	char *diag;   /* everything reported */
	int rc;
	int errors;
	const char *script;
};

static struct analyzed analyze_args(const char *text, char **pos, int npos)
{
	struct analyzed a = { .script = text };
	size_t len;
	FILE *out = open_memstream(&a.diag, &len);
	a.src = source_from_string("stdin", text, strlen(text));
	struct diag d;
	diag_init(&d, a.src, out);
	d.max_errors = 0;
	a.prog = parse_program(a.src, &d);
	if (d.errors) {
		fclose(out);
		a.rc = -2; /* a syntax error: the test itself is wrong */
		a.errors = d.errors;
		return a;
	}
	struct sema_options opt = { .positional = pos, .npositional = npos };
	a.rc = sema_analyze(a.prog, &opt, &d, &a.r);
	fclose(out);
	a.errors = d.errors;
	return a;
}

static struct analyzed analyze(const char *text)
{
	return analyze_args(text, NULL, 0);
}

static void analyzed_free(struct analyzed *a)
{
	sema_result_free(&a->r);
	ast_free_program(a->prog);
	source_free(a->src);
	free(a->diag);
}

static char *first_line(const char *s)
{
	const char *nl = strchr(s, '\n');
	return nl ? strndup(s, (size_t)(nl - s)) : strdup(s);
}

/* The script must pass. */
#define PASSES(a)                                                                       \
	CHECKF((a).rc == 0 && (a).errors == 0, "script %s\nfailed with:\n%s", (a).script, \
	      (a).diag)

static void expect_error(const char *script, const char *want)
{
	struct analyzed a = analyze(script);
	char *line = first_line(a.diag ? a.diag : "");
	CHECKF(a.rc == -1, "script %s: rc %d (expected a semantic error)\n%s", script, a.rc, a.diag);
	CHECKF(strcmp(line, want) == 0, "script %s\n  want: %s\n  got:  %s", script, want, line);
	free(line);
	analyzed_free(&a);
}

static int count_errors(const char *script)
{
	struct analyzed a = analyze(script);
	int n = a.errors;
	analyzed_free(&a);
	return n;
}

/* ---- helpers over the results ---------------------------------------- */

static struct var_info *var(struct probe *p, const char *name)
{
	for (struct var_info *v = p->vars; v; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static const struct desc_map *dmap(const struct desc *d, const char *name)
{
	for (int i = 0; i < d->nmaps; i++)
		if (strcmp(d->maps[i].name, name) == 0)
			return &d->maps[i];
	return NULL;
}

static bool is_type(const struct type *t, enum type_kind kind, uint32_t size, bool is_signed)
{
	return t && t->kind == kind && t->size == size && (kind != TY_INT || t->is_signed == is_signed);
}

/* type_name() of t, in a buffer that lives until the next call. */
static const char *tn(const struct type *t)
{
	static char buf[4][160];
	static int next;
	next = (next + 1) % 4;
	return type_name(t, buf[next], sizeof(buf[next]));
}

static struct node *stmt(struct probe *p, int index)
{
	struct node *n = p->body->body;
	while (n && index--)
		n = n->next;
	return n;
}

static bool have_tracefs(void)
{
	static int known = -1;
	if (known < 0) {
		known = tracefs_path() != NULL && tp_format_get("syscalls", "sys_enter_read") != NULL;
		if (!known)
			fprintf(stderr, "test_sema: no tracefs, tracepoint cases skipped\n");
	}
	return known;
}

/* ---- passing scripts --------------------------------------------------- */

static void test_expression_types(void)
{
	struct analyzed a = analyze(
		"BEGIN { $a = 1; $b = 1u; $c = $a + $b; $d = -$b; $e = ~$b; $f = $a < 2;"
		" $g = \"ab\"; $g = \"abcdef\"; $h = (uint16)$a; $i = $a ? \"x\" : \"yyy\";"
		" $j = !$g; $k = comm == \"sh\"; $l = $a * 2 + $a; $m = cpu; $n = $a && $b; }");
	/* !$g is an error; check the rest in a script without it */
	CHECKF(a.rc == -1, "!string must fail");
	analyzed_free(&a);

	a = analyze("BEGIN { $a = 1; $b = 1u; $c = $a + $b; $d = -$b; $e = ~$b; $f = $a < 2;"
		    " $g = \"ab\"; $g = \"abcdef\"; $h = (uint16)$a; $i = $a ? \"x\" : \"yyy\";"
		    " $k = comm == \"sh\"; $l = $a * 2 + $a; $m = cpu; $n = $a && $b; $o = $b >> 1;"
		    " $p = $m; $p++; $p += 2; }");
	PASSES(a);
	if (a.rc == 0) {
		struct probe *p = a.prog->probes;
		/* variables hold integers as 64 bits (type_storage) */
		CHECKF(is_type(var(p, "$a")->type, TY_INT, 8, true), "$a int64");
		CHECKF(is_type(var(p, "$b")->type, TY_INT, 8, false), "$b uint64");
		CHECKF(is_type(var(p, "$c")->type, TY_INT, 8, false), "$c: unsigned wins");
		CHECKF(is_type(var(p, "$d")->type, TY_INT, 8, true), "$d: unary - is int64");
		CHECKF(is_type(var(p, "$e")->type, TY_INT, 8, false), "$e: ~ keeps signedness");
		CHECKF(is_type(var(p, "$f")->type, TY_BOOL, 1, false), "$f: comparison is bool: %s",
		       tn(var(p, "$f")->type));
		CHECKF(is_type(var(p, "$g")->type, TY_STR, 7, false), "$g: largest string, %s",
		      tn(var(p, "$g")->type));
		CHECKF(is_type(var(p, "$h")->type, TY_INT, 8, false), "$h: vars hold 8 bytes");
		CHECKF(is_type(var(p, "$i")->type, TY_STR, 4, false), "$i: ternary of strings");
		CHECKF(is_type(var(p, "$k")->type, TY_BOOL, 1, false), "$k: string == is bool");
		CHECKF(is_type(var(p, "$m")->type, TY_INT, 8, false), "$m: from uint32 cpu");
		CHECKF(is_type(var(p, "$n")->type, TY_BOOL, 1, false), "$n: && is bool");
		CHECKF(is_type(var(p, "$o")->type, TY_INT, 8, false), "$o: >> keeps lhs sign");
		CHECKF(p->nvars == 15, "nvars %d", p->nvars);
		CHECKF(var(p, "$a")->index == 0 && var(p, "$p")->index == 14, "var indices");
		/* the nodes carry their own types */
		struct node *one = stmt(p, 0)->rhs;
		CHECKF(one->kind == N_INT && is_type(one->type, TY_INT, 1, true) && one->type->is_literal,
		       "literal 1 is a sign-flexible int8: %s", tn(one->type));
		CHECKF(is_type(stmt(p, 1)->rhs->type, TY_INT, 8, false), "1u is uint64: %s",
		       tn(stmt(p, 1)->rhs->type));
		struct node *cast = stmt(p, 8)->rhs;
		CHECKF(cast->kind == N_CAST && is_type(cast->type, TY_INT, 2, false), "cast node uint16");
		struct node *cpu = stmt(p, 12)->rhs;
		CHECKF(is_type(cpu->type, TY_INT, 4, false) && cpu->builtin, "cpu builtin uint32");
		struct node *lit = stmt(p, 6)->rhs;
		CHECKF(is_type(lit->type, TY_STR, 3, false), "literal \"ab\" is string[3]");
		struct node *g2 = stmt(p, 7)->lhs;
		CHECKF(g2->var == var(p, "$g") && is_type(g2->type, TY_STR, 7, false), "lhs var resolved");
		struct node *cmp = stmt(p, 5)->rhs;
		CHECKF(strcmp(tn(cmp->type), "bool") == 0 && strcmp(tn(stmt(p, 5)->rhs->rhs->type), "int8") == 0,
		       "type names: %s %s", tn(cmp->type), tn(stmt(p, 5)->rhs->rhs->type));
	}
	analyzed_free(&a);
}

static void test_scratch_vars_are_per_probe(void)
{
	struct analyzed a = analyze("BEGIN { $x = 1; } END { $x = \"s\"; $y = $x; }");
	PASSES(a);
	if (a.rc == 0) {
		struct probe *p0 = a.prog->probes, *p1 = p0->next;
		CHECKF(p0->nvars == 1 && is_type(var(p0, "$x")->type, TY_INT, 8, true), "BEGIN $x int");
		CHECKF(p1->nvars == 2 && is_type(var(p1, "$x")->type, TY_STR, 2, false), "END $x string");
	}
	analyzed_free(&a);
}

static void test_map_kinds_and_layouts(void)
{
	struct analyzed a = analyze(
		"BEGIN { @c[comm, 1] = count(); @s[\"a\"] = sum(5); @h = hist(1);"
		" @l = lhist(5, 0, 100, 10); @a = avg(1); @st = stats(2); @mn = min(1); @mx = max(-2);"
		" @p = 5; @q = \"abc\"; @q = comm; @i++; @j += 3; @u = 1u; @ = 1; @k[1, \"xy\", 2] = 1;"
		" @s[\"abcdefghij\"] = sum(1); delete(@c[\"x\", 2]); print(@h); clear(@l); zero(@a);"
		" print(@c, 10, 2); exit(); }");
	PASSES(a);
	if (a.rc == 0) {
		const struct desc *d = a.r.desc;
		CHECKF(d->nmaps == 15 && a.prog->nmaps == 15, "nmaps %d", d->nmaps);
		const struct desc_map *m = dmap(d, "@c");
		CHECKF(m && m == &d->maps[0], "@c first, id 0");
		/* several key parts: a tuple of their stored types, in C layout */
		const struct type *k = m ? m->key : NULL;
		CHECKF(m && m->kind == MAP_COUNT && type_is(k, TY_RECORD) && k->rkind == REC_TUPLE &&
		       k->nmembers == 2, "@c count with 2 keys: %s", tn(k));
		if (type_is(k, TY_RECORD) && k->nmembers == 2) {
			CHECKF(is_type(k->members[0].type, TY_STR, 16, false) && k->members[0].offset == 0,
			      "@c key 0 string[16] at 0");
			CHECKF(is_type(k->members[1].type, TY_INT, 8, true) && k->members[1].offset == 16,
			      "@c key 1 int64 at 16");
			CHECKF(strcmp(tn(k), "(string[16],int64)") == 0, "@c key %s", tn(k));
		}
		CHECKF(m && m->key_size == 24 && m->value_size == 8, "@c sizes %u %u", m->key_size,
		      m->value_size);
		CHECKF(m && is_type(m->value, TY_INT, 8, false), "@c value uint64");
		CHECKF(m && strcmp(m->bpf_name, "m0_c") == 0, "bpf_name %s", m ? m->bpf_name : "");
		/* one key part: its own type; strings take the longest size seen */
		m = dmap(d, "@s");
		CHECKF(m && m->kind == MAP_SUM && is_type(m->key, TY_STR, 11, false) &&
		      m->key_size == 11 && is_type(m->value, TY_INT, 8, true), "@s sum, key string[11]");
		m = dmap(d, "@h");
		CHECKF(m && m->kind == MAP_HIST && !m->key && m->key_size == 8 &&
		      m->value_size == 8 && is_type(m->value, TY_INT, 8, false), "@h hist scalar");
		m = dmap(d, "@l");
		CHECKF(m && m->kind == MAP_LHIST && m->args[0] == 0 && m->args[1] == 100 &&
		      m->args[2] == 10 && !m->key && m->key_size == 8, "@l lhist params");
		m = dmap(d, "@a");
		CHECKF(m && m->kind == MAP_AVG && m->value_size == 16 && is_type(m->value, TY_INT, 8, true),
		      "@a avg");
		m = dmap(d, "@st");
		CHECKF(m && m->kind == MAP_STATS && m->value_size == 16, "@st stats");
		m = dmap(d, "@mn");
		CHECKF(m && m->kind == MAP_MIN && m->value_size == 16, "@mn min");
		m = dmap(d, "@mx");
		CHECKF(m && m->kind == MAP_MAX && m->value_size == 16, "@mx max");
		m = dmap(d, "@p");
		CHECKF(m && m->kind == MAP_PLAIN && is_type(m->value, TY_INT, 8, true) && m->value_size == 8,
		      "@p plain int64");
		m = dmap(d, "@q");
		CHECKF(m && m->kind == MAP_PLAIN && is_type(m->value, TY_STR, 16, false) &&
		      m->value_size == 16 && !m->key && m->key_size == 8, "@q plain string[16]");
		m = dmap(d, "@i");
		CHECKF(m && m->kind == MAP_PLAIN && is_type(m->value, TY_INT, 8, true), "@i++ int64");
		m = dmap(d, "@j");
		CHECKF(m && m->kind == MAP_PLAIN && is_type(m->value, TY_INT, 8, true), "@j += int64");
		m = dmap(d, "@u");
		CHECKF(m && is_type(m->value, TY_INT, 8, false), "@u uint64");
		m = dmap(d, "@");
		CHECKF(m && strcmp(m->bpf_name, "m13") == 0, "anonymous map bpf_name %s",
		      m ? m->bpf_name : "");
		m = dmap(d, "@k");
		k = m ? m->key : NULL;
		CHECKF(type_is(k, TY_RECORD) && k->nmembers == 3 && k->members[0].offset == 0 &&
		      k->members[1].offset == 8 && is_type(k->members[1].type, TY_STR, 3, false) &&
		      k->members[2].offset == 16 && m->key_size == 24 && k->size == 24,
		      "@k layout int, string[3] padded to 8, int: %s", tn(k));
		/* map nodes and map calls are resolved */
		struct probe *p = a.prog->probes;
		struct node *del = stmt(p, 17)->lhs;
		CHECKF(del->kind == N_CALL && del->map && strcmp(del->map->name, "@c") == 0, "delete map");
		struct node *pr = stmt(p, 21)->lhs;
		CHECKF(pr->map && pr->map->id == 0, "print(@c, ...) map");
		CHECKF(stmt(p, 0)->lhs->map == pr->map, "@c node map");
		CHECKF(d->ringbuf_name && strcmp(d->ringbuf_name, "events") == 0 &&
		      strcmp(d->lost_name, "lost") == 0 && d->ringbuf_size == (1u << 20), "ring buffer");
	}
	analyzed_free(&a);
}

/* A map read in one probe and assigned in a later one gets its type. */
static void test_map_types_flow_across_probes(void)
{
	struct analyzed a = analyze("BEGIN { printf(\"%s\\n\", @x); @y = @x; @n = @m + 1; }"
				    " END { @x = comm; @m = 2; }");
	PASSES(a);
	if (a.rc == 0) {
		const struct desc *d = a.r.desc;
		CHECKF(is_type(dmap(d, "@y")->value, TY_STR, 16, false), "@y string[16]");
		CHECKF(is_type(dmap(d, "@n")->value, TY_INT, 8, true), "@n int64");
		const struct type *args = d->printfs[0].args;
		CHECKF(type_is(args, TY_RECORD) && args->nmembers == 1 &&
		       is_type(args->members[0].type, TY_STR, 16, false), "printf arg string[16]: %s",
		       tn(args));
		CHECKF(dmap(d, "@x")->kind == MAP_PLAIN && d->maps[0].name[1] == 'x', "@x id 0");
	}
	analyzed_free(&a);
}

static void test_printf_layout(void)
{
	struct analyzed a = analyze(
		"BEGIN { printf(\"%d %s %-5x %c %% %lld\\n\", 1, comm, pid, 65, -1);"
		" printf(\"plain\\n\"); printf(\"%s|%s\\n\", \"abcdefghi\", str(0)); }");
	PASSES(a);
	if (a.rc == 0) {
		const struct desc *d = a.r.desc;
		CHECKF(d->nprintfs == 3, "nprintfs %d", d->nprintfs);
		const struct desc_printf *pf = &d->printfs[0];
		CHECKF(strcmp(pf->fmt, "%d %s %-5x %c %% %lld\n") == 0, "fmt %s", pf->fmt);
		/* the arguments travel as a tuple of their stored types */
		const struct type *t = pf->args;
		CHECKF(type_is(t, TY_RECORD) && t->rkind == REC_TUPLE && t->nmembers == 5 && t->size == 48,
		       "args %s size %u", tn(t), t ? t->size : 0);
		if (type_is(t, TY_RECORD) && t->nmembers == 5) {
			CHECKF(t->members[0].offset == 0 && is_type(t->members[0].type, TY_INT, 8, true), "arg 0");
			CHECKF(t->members[1].offset == 8 && is_type(t->members[1].type, TY_STR, 16, false), "arg 1");
			CHECKF(t->members[2].offset == 24 && is_type(t->members[2].type, TY_INT, 8, false), "arg 2");
			CHECKF(t->members[3].offset == 32 && t->members[4].offset == 40, "args 3, 4");
		}
		CHECKF(d->printfs[1].args == NULL, "no-arg printf");
		/* strings align to 1: the second starts right after the first */
		t = d->printfs[2].args;
		CHECKF(type_is(t, TY_RECORD) && t->nmembers == 2 && t->members[1].offset == 10 &&
		       t->size == 10 + SONDE_DEFAULT_MAX_STRLEN &&
		       is_type(t->members[1].type, TY_STR, SONDE_DEFAULT_MAX_STRLEN, false),
		       "string args: %s size %u", tn(t), t ? t->size : 0);
		struct node *call = stmt(a.prog->probes, 2)->lhs;
		CHECKF(call->index == 2 && stmt(a.prog->probes, 0)->lhs->index == 0, "printf ids");
	}
	analyzed_free(&a);
}

static void test_positionals(void)
{
	char *pos[] = { "42", "hello", "0x10", "-7" };
	struct analyzed a = analyze_args(
		"BEGIN { @a = $1; @b = $2; @c = $3; @d = $#; @e = $5; @f = str($6); @g = str($1);"
		" @h = $4; @i = str($2 + 2); @l = lhist(1, $4, $1, 1); }", pos, 4);
	PASSES(a);
	if (a.rc == 0) {
		struct probe *p = a.prog->probes;
		struct node *n = stmt(p, 0)->rhs;
		CHECKF(n->kind == N_INT && n->ival == 42 && is_type(n->type, TY_INT, 1, true), "$1 = 42: %s",
		       tn(n->type));
		n = stmt(p, 1)->rhs;
		CHECKF(n->kind == N_STR && strcmp(n->str, "hello") == 0 && is_type(n->type, TY_STR, 6, false),
		      "$2 = \"hello\"");
		n = stmt(p, 2)->rhs;
		CHECKF(n->kind == N_INT && n->ival == 16, "$3 = 0x10");
		n = stmt(p, 3)->rhs;
		CHECKF(n->kind == N_INT && n->ival == 4, "$# = 4");
		n = stmt(p, 4)->rhs;
		CHECKF(n->kind == N_INT && n->ival == 0, "unset $5 = 0");
		n = stmt(p, 5)->rhs;
		CHECKF(n->kind == N_STR && n->str_len == 0, "str(unset $6) = \"\"");
		n = stmt(p, 6)->rhs;
		CHECKF(n->kind == N_STR && strcmp(n->str, "42") == 0, "str($1) = \"42\"");
		n = stmt(p, 7)->rhs;
		CHECKF(n->kind == N_INT && (int64_t)n->ival == -7, "$4 = -7");
		n = stmt(p, 8)->rhs;
		CHECKF(n->kind == N_STR && strcmp(n->str, "llo") == 0, "str($2 + 2) = \"llo\"");
		const struct desc_map *m = dmap(a.r.desc, "@l");
		CHECKF(m->args[0] == -7 && m->args[1] == 42 && m->args[2] == 1, "positionals as lhist constants");
	}
	analyzed_free(&a);
}

/* $N in attach points is text substituted before the probes are expanded. */
static void test_positionals_in_attach_points(void)
{
	if (geteuid() != 0) {
		printf("test_sema: not root (tracefs), positionals in attach points not tested\n");
		return;
	}
	char *pos[] = { "100", "read", "abc", "" };
	struct analyzed a = analyze_args("interval:ms:$1, tracepoint:syscalls:sys_enter_$2$4 { @ = 1; }", pos, 4);
	PASSES(a);
	if (a.rc == 0) {
		const struct desc *d = a.r.desc;
		CHECKF(d->nprobes == 2 && strcmp(d->probes[0].name, "interval:ms:100") == 0 &&
			       strcmp(d->probes[1].name, "tracepoint:syscalls:sys_enter_read") == 0,
		       "substituted attach points");
		CHECKF(strcmp(a.prog->probes->points->text, "interval:ms:100") == 0, "the text is replaced");
	}
	analyzed_free(&a);

	struct {
		const char *script, *want;
	} bad[] = {
		{ "interval:ms:$3 { }", "stdin:1:13: error: positional parameter $3 is 'abc', not a number" },
		{ "interval:$3:5 { }", "stdin:1:1: error: unknown unit 'abc' in interval probe (expected s, ms, us, ns or hz)" },
		{ "interval:ms:$5 { }", "stdin:1:13: error: positional parameter $5 is not set (4 given)" },
		{ "interval:ms:\"$1\" { }", "stdin:1:1: error: invalid rate '\"$1\"' (expected a positive integer)" },
		{ "BEGIN { } interval:s:$99999999999999999999 { }",
		  "stdin:1:22: error: positional parameter $99999999999999999999 is not set (4 given)" },
		{ "interval:s:1$ { }", "stdin:1:13: error: '$' in an attach point is not a positional parameter ($1, $2, ...)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = analyze_args(bad[i].script, pos, 4);
		char *line = first_line(a.diag ? a.diag : "");
		CHECKF(a.rc == -1 && a.errors == 1, "%s: rc %d, %d errors\n%s", bad[i].script, a.rc, a.errors, a.diag);
		CHECKF(strcmp(line, bad[i].want) == 0, "%s\n  want: %s\n  got:  %s", bad[i].script, bad[i].want, line);
		free(line);
		analyzed_free(&a);
	}
}

static void test_groups(void)
{
	struct analyzed a = analyze("BEGIN { @a = 1; } interval:s:1, END, interval:s:1 { @b = 1; }"
				    " BEGIN { @c = 1; }");
	PASSES(a);
	if (a.rc == 0) {
		const struct sema_result *r = &a.r;
		struct probe *p0 = a.prog->probes, *p1 = p0->next, *p2 = p1->next;
		CHECKF(r->ngroups == 3 && r->desc->nprobes == 3, "ngroups %d", r->ngroups);
		CHECKF(strcmp(r->groups[0].target.name, "BEGIN") == 0 && r->groups[0].nactions == 2 &&
		      r->groups[0].actions[0] == p0 && r->groups[0].actions[1] == p2, "BEGIN group");
		CHECKF(r->groups[1].target.type == PT_INTERVAL && r->groups[1].nactions == 1 &&
		      r->groups[1].actions[0] == p1, "interval listed twice attached once");
		CHECKF(r->groups[2].target.type == PT_END, "END group third");
		for (int i = 0; i < r->ngroups; i++) {
			const struct desc_probe *dp = &r->desc->probes[i];
			CHECKF(dp->type == r->groups[i].target.type &&
			      strcmp(dp->name, r->groups[i].target.name) == 0 &&
			      strcmp(dp->prog_name, r->groups[i].prog_name) == 0, "desc probe %d", i);
		}
		CHECKF(strcmp(r->groups[0].prog_name, "p0_BEGIN") == 0, "prog name %s",
		      r->groups[0].prog_name);
		CHECKF(r->desc->probes[1].params && strcmp(r->desc->probes[1].params, "period_ns=1000000000") == 0,
		       "interval period: %s", r->desc->probes[1].params);
		CHECKF(r->desc->probes[1].loc.line == 1 && r->desc->probes[1].loc.col == 19,
		      "loc of the attach point %d:%d", r->desc->probes[1].loc.line,
		      r->desc->probes[1].loc.col);
	}
	analyzed_free(&a);
}

/* A probe of several attach-point types that asks comptime about
 * probetype is one probe per type, each group running its own copy; a
 * probe that does not ask stays one. */
static void test_split_by_probetype(void)
{
	struct analyzed a = analyze("BEGIN, interval:s:1, END { if comptime (probetype == \"interval\") { @i = 1; } "
				    "else { @s = 1; } } interval:s:2, END { @o = probetype; }");
	PASSES(a);
	if (a.rc == 0) {
		const struct sema_result *r = &a.r;
		struct probe *p0 = a.prog->probes, *p1 = p0 ? p0->next : NULL, *p2 = p1 ? p1->next : NULL;
		CHECKF(p0 && p1 && p2 && !p2->next, "three probes after the split");
		CHECKF(r->ngroups == 4, "ngroups %d", r->ngroups);
		if (p0 && p1 && p2 && r->ngroups == 4) {
			CHECKF(p0->index == 0 && p1->index == 1 && p2->index == 2, "renumbered");
			CHECKF(p0->ntargets == 2 && p1->ntargets == 1, "targets %d %d", p0->ntargets, p1->ntargets);
			CHECKF(r->groups[0].actions[0] == p0 && r->groups[1].actions[0] == p1 &&
			       r->groups[2].actions[0] == p0, "BEGIN and END run the original, interval the copy");
			/* the if became the block of the branch taken */
			const struct node *b0 = p0->body->body, *b1 = p1->body->body;
			CHECKF(b0 && b0->kind == N_BLOCK && b0->body && b0->body->kind == N_ASSIGN &&
			       strcmp(b0->body->lhs->name, "@s") == 0, "the original kept the special branch");
			CHECKF(b1 && b1->kind == N_BLOCK && b1->body && b1->body->kind == N_ASSIGN &&
			       strcmp(b1->body->lhs->name, "@i") == 0, "the copy kept the interval branch");
			CHECKF(p2->ntargets == 2, "a probe that does not ask is not split");
		}
	}
	analyzed_free(&a);
	CHECKF(count_errors("BEGIN, interval:s:1 { if comptime (probetype == \"special\") { $x = 1; } "
			    "else { $x = 2; } $y = $x + \"s\"; }") == 1, "a shared error is said once");
}

static void test_tracepoints(void)
{
	if (!have_tracefs())
		return;
	/* the same tracepoint in two probes, one of them a wildcard: one program */
	struct analyzed a = analyze("tracepoint:syscalls:sys_enter_rea* { @a = count(); }"
				    " tracepoint:syscalls:sys_enter_read { @b[args.fd] = sum(args->count);"
				    " @p = args.buf; }");
	PASSES(a);
	if (a.rc == 0) {
		const struct sema_result *r = &a.r;
		int found = 0;
		for (int i = 0; i < r->ngroups; i++) {
			const struct prog_group *g = &r->groups[i];
			for (int j = i + 1; j < r->ngroups; j++)
				CHECKF(strcmp(g->target.name, r->groups[j].target.name) != 0, "unique groups");
			CHECKF(strlen(g->prog_name) <= 60, "prog name length");
			if (strcmp(g->target.name, "tracepoint:syscalls:sys_enter_read") == 0) {
				found++;
				CHECKF(g->nactions == 2 && g->actions[0] == a.prog->probes &&
				      g->actions[1] == a.prog->probes->next, "two actions in script order");
				CHECKF(g->target.format != NULL, "format");
			} else {
				CHECKF(g->nactions == 1, "other targets: one action");
			}
		}
		CHECKF(found == 1 && r->ngroups >= 2, "sys_enter_read grouped once of %d", r->ngroups);
		const struct tp_field *fd = tp_format_field(tp_format_get("syscalls", "sys_enter_read"), "fd");
		struct node *key = stmt(a.prog->probes->next, 0)->lhs->args;
		CHECKF(key->kind == N_FIELD && fd && is_type(key->type, TY_INT, fd->size, fd->is_signed),
		      "args.fd typed from the format");
		/* char *buf: a pointer to user memory (syscall arguments) */
		struct node *buf = stmt(a.prog->probes->next, 1)->rhs;
		CHECKF(type_is(buf->type, TY_PTR) && is_type(buf->type->elem, TY_INT, 1, true) &&
		       buf->type->as == AS_USER, "pointer field: %s", tn(buf->type));
		CHECKF(strcmp(tn(buf->type), "int8 __user *") == 0, "pointer field: %s", tn(buf->type));
	}
	analyzed_free(&a);

	/* a field must exist in every tracepoint of the action */
	expect_error("tracepoint:syscalls:sys_enter_read* { @ = args.fd; }",
		     "stdin:1:43: error: tracepoint syscalls:sys_enter_readlink has no field 'fd'");
	expect_error("tracepoint:syscalls:sys_enter_read { @ = args->nonexistent; }",
		     "stdin:1:42: error: tracepoint syscalls:sys_enter_read has no field 'nonexistent'");
	expect_error("tracepoint:syscalls:sys_enter_read { @ = arg0; }",
		     "stdin:1:42: error: builtin 'arg0' is not available in tracepoint probes"
		     " (only in kprobe, uprobe, usdt and rawtracepoint probes)");
	expect_error("tracepoint:syscalls:sys_enter_openat { @ = args.filenam; }",
		     "stdin:1:44: error: tracepoint syscalls:sys_enter_openat has no field 'filenam';"
		     " did you mean 'filename'?");
	CHECKF(count_errors("tracepoint:syscalls:sys_enter_openat { @ = args.filenam; }") == 1,
	       "a close field: no list of all fields");
	expect_error("tracepoint:syscalls:sys_enter_read { @ = retval; }",
		     "stdin:1:42: error: builtin 'retval' is not available in tracepoint probes"
		     " (only in kretprobe, uretprobe and fexit probes)");
	/* args as a whole is a record value (latest bpftrace): the format's fields */
	a = analyze("tracepoint:syscalls:sys_enter_read { @ = args; }");
	PASSES(a);
	if (a.rc == 0) {
		const struct type *v = a.r.desc->maps[0].value;
		CHECKF(type_is(v, TY_RECORD) && type_member_find(v, "fd") && type_member_find(v, "buf") &&
		       type_member_find(v, "count") && !type_member_find(v, "common_pid"),
		       "args record: %s", tn(v));
	}
	analyzed_free(&a);
	/* a data_loc string reads as a string */
	a = analyze("tracepoint:sched:sched_process_exec { @[str(args.filename)] = count(); }");
	PASSES(a);
	if (a.rc == 0)
		CHECKF(is_type(a.r.desc->maps[0].key, TY_STR, SONDE_DEFAULT_MAX_STRLEN, false),
		      "__data_loc char[] is a string");
	analyzed_free(&a);
}

static void test_builtins_per_probe_type(void)
{
	struct analyzed a = analyze("rawtracepoint:sys_enter { @[arg1] = count(); }");
	PASSES(a);
	if (a.rc == 0)
		CHECKF(is_type(a.r.desc->maps[0].key, TY_INT, 8, false), "arg1 uint64");
	analyzed_free(&a);
	expect_error("rawtracepoint:sys_enter { @ = arg6; }",
		     "stdin:1:31: error: builtin 'arg6' is not available in rawtracepoint probes (they have arg0..arg5)");
	expect_error("BEGIN { @ = arg0; }",
		     "stdin:1:13: error: builtin 'arg0' is not available in BEGIN probes"
		     " (only in kprobe, uprobe, usdt and rawtracepoint probes)");
	/* an action on two probe types is checked against both */
	expect_error("rawtracepoint:sys_enter, BEGIN { @ = arg0; }",
		     "stdin:1:38: error: builtin 'arg0' is not available in BEGIN probes"
		     " (only in kprobe, uprobe, usdt and rawtracepoint probes)");
	expect_error("BEGIN { @ = args.x; }",
		     "stdin:1:13: error: builtin 'args' is not available in BEGIN probes"
		     " (only in uprobe, tracepoint, rawtracepoint, fentry and fexit probes)");
	/* raw tracepoints' args come from BTF, named as the kernel names them */
	expect_error("rawtracepoint:sys_enter { @ = args.reg; }",
		     "stdin:1:31: error: rawtracepoint sys_enter has no field 'reg'; did you mean 'regs'?");
}

/* ---- the type graph: members, casts, tuples, records, script structs ------ */

static bool have_btf(void)
{
	static int known = -1;
	if (known < 0) {
		known = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
		if (!known)
			fprintf(stderr, "test_sema: /sys/kernel/btf/vmlinux unreadable, BTF cases skipped\n");
	}
	return known;
}

/* The byte offset of `member` in `struct name`, read from vmlinux BTF with
 * libbpf, independently of src/btf.c (anonymous members searched too);
 * -1 when not found. */
static long btf_member_offset(struct btf *btf, int32_t id, const char *member)
{
	const struct btf_type *t = btf__type_by_id(btf, (uint32_t)id);
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		long bits = (long)btf_member_bit_offset(t, (uint32_t)i);
		if (name && strcmp(name, member) == 0)
			return bits / 8;
		if (!name || !*name) {
			int32_t inner = btf__resolve_type(btf, m->type);
			long off = inner > 0 ? btf_member_offset(btf, inner, member) : -1;
			if (off >= 0)
				return bits / 8 + off;
		}
	}
	return -1;
}

static long kernel_offset(const char *struct_name, const char *member)
{
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf)
		return -1;
	int32_t id = btf__find_by_name_kind(btf, struct_name, BTF_KIND_STRUCT);
	long off = id > 0 ? btf_member_offset(btf, id, member) : -1;
	btf__free(btf);
	return off;
}

/* A chain of members through curtask: each field is typed from BTF and
 * resolved to its member, pointers are kernel pointers. */
static void test_struct_members(void)
{
	if (!have_btf())
		return;
	struct analyzed a = analyze("BEGIN { @p = curtask->parent->pid; @c = curtask->comm; $t = curtask;"
				    " @m = $t->mm; @o = offsetof(struct task_struct, pid); @z = sizeof(*curtask);"
				    " @d = (*curtask).tgid; exit(); }");
	PASSES(a);
	if (a.rc == 0) {
		struct probe *p = a.prog->probes;
		struct node *pid = stmt(p, 0)->rhs, *parent = pid->lhs, *cur = parent->lhs;
		CHECKF(strcmp(tn(cur->type), "struct task_struct *") == 0 && cur->type->as == AS_KERNEL,
		       "curtask: %s", tn(cur->type));
		CHECKF(parent->kind == N_FIELD && parent->member && strcmp(parent->member->name, "parent") == 0 &&
		       strcmp(tn(parent->type), "struct task_struct *") == 0 && parent->type->as == AS_KERNEL,
		       "->parent: %s", tn(parent->type));
		CHECKF(pid->member && strcmp(pid->member->name, "pid") == 0 && is_type(pid->type, TY_INT, 4, true),
		       "->pid: %s", tn(pid->type));
		long want = kernel_offset("task_struct", "pid");
		CHECKF(pid->member && want >= 0 && pid->member->offset == (uint32_t)want,
		       "pid at %u, BTF says %ld", pid->member ? pid->member->offset : 0, want);
		CHECKF(stmt(p, 4)->rhs->kind == N_INT && (long)stmt(p, 4)->rhs->ival == want,
		       "offsetof(struct task_struct, pid) = %llu", (unsigned long long)stmt(p, 4)->rhs->ival);
		CHECKF(stmt(p, 5)->rhs->kind == N_INT && stmt(p, 5)->rhs->ival > (uint64_t)want,
		       "sizeof(*curtask) = %llu", (unsigned long long)stmt(p, 5)->rhs->ival);
		/* the map stores what it reads: an int32 field widens to int64 */
		CHECKF(is_type(dmap(a.r.desc, "@p")->value, TY_INT, 8, true), "@p: %s", tn(dmap(a.r.desc, "@p")->value));
		/* a char array of a C struct is a string */
		CHECKF(is_type(stmt(p, 1)->rhs->type, TY_STR, 16, false), "->comm: %s", tn(stmt(p, 1)->rhs->type));
		CHECKF(is_type(dmap(a.r.desc, "@c")->value, TY_STR, 16, false), "@c string[16]");
		CHECKF(strcmp(tn(var(p, "$t")->type), "struct task_struct *") == 0, "$t: %s", tn(var(p, "$t")->type));
		CHECKF(strcmp(tn(dmap(a.r.desc, "@m")->value), "struct mm_struct *") == 0, "@m: %s",
		       tn(dmap(a.r.desc, "@m")->value));
		CHECKF(is_type(stmt(p, 6)->rhs->type, TY_INT, 4, true), "(*curtask).tgid: %s",
		       tn(stmt(p, 6)->rhs->type));
	}
	analyzed_free(&a);
	expect_error("BEGIN { @ = curtask->piid; }",
		     "stdin:1:13: error: 'struct task_struct' has no member 'piid'; did you mean 'pid'?");
	expect_error("BEGIN { $t = curtask; @ = $t->parent->piid; }",
		     "stdin:1:27: error: 'struct task_struct' has no member 'piid'; did you mean 'pid'?");
	expect_error("BEGIN { @ = *curtask + 1; }",
		     "stdin:1:13: error: invalid operands to '+': struct task_struct and int8");
	expect_error("BEGIN { @ = curtask->pid.x; }",
		     "stdin:1:13: error: 'int32' is not a struct, union, tuple or record: it has no member 'x'");
}

static void test_casts(void)
{
	struct analyzed a = analyze("BEGIN { $a = (uint16)-1; $b = (uint8[4])cpu; $c = (bool)2; $d = (int8 *)0;"
				    " $e = (uint32 *)$d; $f = (int64)$d; $g = (uint8[])\"abcd\"; @ = 1; }");
	PASSES(a);
	if (a.rc == 0) {
		struct probe *p = a.prog->probes;
		CHECKF(is_type(stmt(p, 0)->rhs->type, TY_INT, 2, false), "(uint16): %s", tn(stmt(p, 0)->rhs->type));
		const struct type *arr = stmt(p, 1)->rhs->type;
		CHECKF(type_is(arr, TY_ARRAY) && arr->count == 4 && is_type(arr->elem, TY_INT, 1, false) &&
		       arr->size == 4 && strcmp(tn(arr), "uint8[4]") == 0, "(uint8[4]): %s", tn(arr));
		CHECKF(strcmp(tn(var(p, "$b")->type), "uint8[4]") == 0, "$b: %s", tn(var(p, "$b")->type));
		CHECKF(is_type(stmt(p, 2)->rhs->type, TY_BOOL, 1, false), "(bool): %s", tn(stmt(p, 2)->rhs->type));
		const struct type *ptr = stmt(p, 3)->rhs->type;
		CHECKF(type_is(ptr, TY_PTR) && is_type(ptr->elem, TY_INT, 1, true) && ptr->size == 8,
		       "(int8 *): %s", tn(ptr));
		const struct type *ptr2 = stmt(p, 4)->rhs->type;
		CHECKF(type_is(ptr2, TY_PTR) && is_type(ptr2->elem, TY_INT, 4, false) && ptr2->as == ptr->as,
		       "pointer to pointer keeps where it points: %s", tn(ptr2));
		CHECKF(is_type(stmt(p, 5)->rhs->type, TY_INT, 8, true), "(int64)ptr");
		/* T[]: the count comes from the value */
		const struct type *g = stmt(p, 6)->rhs->type;
		CHECKF(type_is(g, TY_ARRAY) && g->count == 5, "(uint8[])\"abcd\": %s", tn(g));
		CHECKF(stmt(p, 0)->rhs->spec && stmt(p, 0)->rhs->spec->kind == SPEC_NAME, "the spec is kept");
	}
	analyzed_free(&a);
	if (have_btf()) {
		/* a typedef from BTF */
		a = analyze("BEGIN { @ = (pid_t)1; @s = sizeof(pid_t); }");
		PASSES(a);
		if (a.rc == 0) {
			CHECKF(is_type(stmt(a.prog->probes, 0)->rhs->type, TY_INT, 4, true), "(pid_t): %s",
			       tn(stmt(a.prog->probes, 0)->rhs->type));
			CHECKF(stmt(a.prog->probes, 1)->rhs->ival == 4, "sizeof(pid_t)");
		}
		analyzed_free(&a);
		expect_error("BEGIN { @ = (struct task_struct)0; }",
			     "stdin:1:13: error: cannot cast int8 to struct task_struct");
	}
	expect_error("BEGIN { @ = (uint8[3])cpu; }",
		     "stdin:1:13: error: cannot cast uint32 to uint8[3]: an array cast takes an integer of the same size");
	if (have_btf())
		expect_error("BEGIN { @ = (struct nosuch_sonde_test *)0; }",
			     "stdin:1:14: error: unknown type 'struct nosuch_sonde_test': not defined in the script nor in the kernel's BTF");
	expect_error("BEGIN { @ = (nosuch_sonde_t)0; }", "stdin:1:14: error: unknown type 'nosuch_sonde_t'");
}

/* Tuples: the natural C layout of their element types, seen through sizeof. */
static void test_tuples(void)
{
	struct analyzed a = analyze("BEGIN { $t = (1, \"ab\", (int16)3); @a = sizeof($t); @b = sizeof(((int8)1, (int64)2));"
				    " @c = sizeof((\"a\", \"bc\")); @d = $t.1; @e = $t[0]; @f = (1,); @g = ();"
				    " @h = sizeof(((int8)1, (int32)2, (int8)3)); @k[(1, \"a\")] = 1; @m = ($t, 1); }");
	PASSES(a);
	if (a.rc == 0) {
		struct probe *p = a.prog->probes;
		const struct type *t = var(p, "$t")->type;
		CHECKF(type_is(t, TY_RECORD) && t->rkind == REC_TUPLE && t->nmembers == 3 &&
		       strcmp(tn(t), "(int8,string[3],int16)") == 0, "$t: %s", tn(t));
		if (type_is(t, TY_RECORD) && t->nmembers == 3) {
			CHECKF(t->members[0].offset == 0 && t->members[1].offset == 1 && t->members[2].offset == 4 &&
			       t->size == 6 && t->align == 2, "(int8,string[3],int16) at 0, 1, 4; size %u align %u",
			       t->size, t->align);
			CHECKF(strcmp(t->members[2].name, "2") == 0, "tuple members are named by position");
		}
		CHECKF(stmt(p, 1)->rhs->kind == N_INT && stmt(p, 1)->rhs->ival == 6, "sizeof($t)");
		CHECKF(stmt(p, 2)->rhs->ival == 16, "sizeof((int8, int64)) = %llu", (unsigned long long)stmt(p, 2)->rhs->ival);
		CHECKF(stmt(p, 3)->rhs->ival == 5, "strings align 1: %llu", (unsigned long long)stmt(p, 3)->rhs->ival);
		CHECKF(stmt(p, 8)->rhs->ival == 12, "(int8, int32, int8): %llu", (unsigned long long)stmt(p, 8)->rhs->ival);
		struct node *d = stmt(p, 4)->rhs, *e = stmt(p, 5)->rhs;
		CHECKF(d->kind == N_FIELD && is_type(d->type, TY_STR, 3, false) && d->member &&
		       strcmp(d->member->name, "1") == 0 && d->member->offset == 1, "$t.1: %s", tn(d->type));
		CHECKF(e->kind == N_INDEX && is_type(e->type, TY_INT, 1, true) && e->index == 0, "$t[0]: %s", tn(e->type));
		CHECKF(is_type(dmap(a.r.desc, "@e")->value, TY_INT, 8, true), "@e stores int64");
		const struct type *f = dmap(a.r.desc, "@f")->value, *g = dmap(a.r.desc, "@g")->value;
		CHECKF(type_is(f, TY_RECORD) && f->nmembers == 1 && strcmp(tn(f), "(int8)") == 0, "(1,): %s", tn(f));
		CHECKF(type_is(g, TY_RECORD) && g->nmembers == 0 && g->size == 0 && strcmp(tn(g), "()") == 0,
		       "(): %s", tn(g));
		const struct desc_map *k = dmap(a.r.desc, "@k");
		CHECKF(type_is(k->key, TY_RECORD) && k->key->rkind == REC_TUPLE && k->key->nmembers == 2 &&
		       k->key_size == k->key->size, "a tuple key: %s", tn(k->key));
		const struct type *m = dmap(a.r.desc, "@m")->value;
		CHECKF(type_is(m, TY_RECORD) && m->nmembers == 2 && type_equal(m->members[0].type, t) &&
		       m->members[1].offset == 6 && m->size == 8, "nested tuple: %s", tn(m));
	}
	analyzed_free(&a);
	expect_error("BEGIN { $t = (1, \"a\"); @ = $t.2; }",
		     "stdin:1:28: error: tuple index 2 is out of range: (int8,string[2]) has 2 elements");
	expect_error("BEGIN { $t = (1, \"a\"); @ = $t[2]; }",
		     "stdin:1:31: error: tuple index 2 is out of range: (int8,string[2]) has 2 elements");
	expect_error("BEGIN { $t = (1, 2); @ = $t[$t.0]; }", "stdin:1:29: error: a tuple index must be a constant");
	expect_error("BEGIN { $t = (1, 2); @ = $t + 1; }",
		     "stdin:1:26: error: invalid operands to '+': (int8,int8) and int8");
	expect_error("BEGIN { $t = (1, 2); $t = (1, \"a\"); }",
		     "stdin:1:22: error: type mismatch for '$t': cannot assign (int8,string[2]) to a variable holding (int8,int8)");
}

static void test_records(void)
{
	struct analyzed a = analyze("BEGIN { $r = (a=1, b=\"xy\"); @a = $r.a; @b = $r.b; @s = sizeof($r); @r = $r; }");
	PASSES(a);
	if (a.rc == 0) {
		struct probe *p = a.prog->probes;
		const struct type *r = var(p, "$r")->type;
		CHECKF(type_is(r, TY_RECORD) && r->rkind == REC_RECORD && r->nmembers == 2 &&
		       type_member_find(r, "a") && type_member_find(r, "b") &&
		       type_member_find(r, "b")->offset == 1 && r->size == 4, "$r: %s", tn(r));
		struct node *fa = stmt(p, 1)->rhs;
		CHECKF(fa->kind == N_FIELD && fa->member && strcmp(fa->member->name, "a") == 0 &&
		       is_type(fa->type, TY_INT, 1, true), "$r.a: %s", tn(fa->type));
		CHECKF(is_type(dmap(a.r.desc, "@b")->value, TY_STR, 3, false), "@b: %s", tn(dmap(a.r.desc, "@b")->value));
		CHECKF(stmt(p, 3)->rhs->ival == 4, "sizeof($r) = %llu", (unsigned long long)stmt(p, 3)->rhs->ival);
		CHECKF(dmap(a.r.desc, "@r")->value == r || type_equal(dmap(a.r.desc, "@r")->value, r), "@r holds the record");
	}
	analyzed_free(&a);
	expect_error("BEGIN { $r = (a=1, b=\"x\"); @ = $r.c; }",
		     "stdin:1:32: error: 'record { .a = int8, .b = string[2] }' has no member 'c'");
	expect_error("BEGIN { $x = 1; @y = $x.a; }",
		     "stdin:1:22: error: 'int64' is not a struct, union, tuple or record: it has no member 'a'");
}

/* The member of script struct `d` named `name`. */
static const struct type_member *cdef_member(const struct cdef *d, const char *name)
{
	return d && d->type ? type_member_find(d->type, name) : NULL;
}

static bool member_at(const struct cdef *d, const char *name, uint32_t offset, uint16_t bit_offset,
		      uint16_t bit_size)
{
	const struct type_member *m = cdef_member(d, name);
	return m && m->offset == offset && m->bit_offset == bit_offset && m->bit_size == bit_size;
}

/* Structs the script defines are laid out by C's rules (checked against
 * what gcc gives the same definitions on x86-64). */
static void test_script_structs(void)
{
	struct analyzed a = analyze(
		"struct s { char c; int i; short h; long long q; };\n"
		"struct b { unsigned int a:3; unsigned int b:5; unsigned int c:30; char d; };\n"
		"struct p { char c; int i; unsigned long long x:1; } __attribute__((packed));\n"
		"union u { char c[3]; int i; };\n"
		"struct n { int a; union { int b; char c; }; int d; struct s in; struct s *ps; };\n"
		"BEGIN { @s = sizeof(struct s); @b = sizeof(struct b); @p = sizeof(struct p); @u = sizeof(union u);"
		" @n = sizeof(struct n); @o = offsetof(struct n, in.q); $p = (struct n *)0; @r = $p->ps->h;"
		" @x = $p->c; }");
	PASSES(a);
	if (a.rc == 0) {
		const struct cdef *s = a.prog->cdefs, *b = s->next, *p = b->next, *u = p->next, *n = u->next;
		struct probe *pr = a.prog->probes;
		CHECKF(strcmp(tn(s->type), "struct s") == 0 && s->type->rkind == REC_STRUCT, "%s", tn(s->type));
		CHECKF(member_at(s, "c", 0, 0, 0) && member_at(s, "i", 4, 0, 0) && member_at(s, "h", 8, 0, 0) &&
		       member_at(s, "q", 16, 0, 0) && s->type->size == 24 && s->type->align == 8, "struct s layout");
		CHECKF(is_type(cdef_member(s, "h")->type, TY_INT, 2, true) &&
		       is_type(cdef_member(s, "q")->type, TY_INT, 8, true), "C names: short, long long");
		CHECKF(stmt(pr, 0)->rhs->ival == 24, "sizeof(struct s)");
		/* a bitfield that does not fit in what is left of its unit starts a new one */
		CHECKF(member_at(b, "a", 0, 0, 3) && member_at(b, "b", 0, 3, 5) && member_at(b, "c", 4, 0, 30) &&
		       member_at(b, "d", 8, 0, 0) && b->type->size == 12, "struct b bitfields");
		CHECKF(is_type(cdef_member(b, "c")->type, TY_INT, 4, false), "bitfield type");
		CHECKF(stmt(pr, 1)->rhs->ival == 12, "sizeof(struct b)");
		/* packed: no padding, alignment 1; bitfields pack across units */
		CHECKF(p->type->is_packed && member_at(p, "i", 1, 0, 0) && member_at(p, "x", 5, 0, 1) &&
		       p->type->size == 6 && p->type->align == 1, "struct p packed: size %u", p->type->size);
		CHECKF(stmt(pr, 2)->rhs->ival == 6, "sizeof(struct p)");
		CHECKF(u->type->rkind == REC_UNION && member_at(u, "c", 0, 0, 0) && member_at(u, "i", 0, 0, 0) &&
		       u->type->size == 4 && is_type(cdef_member(u, "c")->type, TY_STR, 3, false),
		       "union u: size %u, c %s", u->type->size, tn(cdef_member(u, "c")->type));
		CHECKF(stmt(pr, 3)->rhs->ival == 4, "sizeof(union u)");
		/* an anonymous union's members join the parent at its offset */
		CHECKF(member_at(n, "a", 0, 0, 0) && member_at(n, "b", 4, 0, 0) && member_at(n, "c", 4, 0, 0) &&
		       member_at(n, "d", 8, 0, 0) && member_at(n, "in", 16, 0, 0) && member_at(n, "ps", 40, 0, 0) &&
		       n->type->size == 48, "struct n layout");
		CHECKF(cdef_member(n, "in") && cdef_member(n, "in")->type == s->type, "struct s by value");
		CHECKF(stmt(pr, 4)->rhs->ival == 48 && stmt(pr, 5)->rhs->ival == 32, "sizeof/offsetof struct n");
		struct node *h = stmt(pr, 7)->rhs;
		CHECKF(h->kind == N_FIELD && h->member == cdef_member(s, "h") && is_type(h->type, TY_INT, 2, true),
		       "$p->ps->h: %s", tn(h->type));
		/* a script's char is signed (x86-64 C, as bpftrace's clang has it) */
		CHECKF(is_type(stmt(pr, 8)->rhs->type, TY_INT, 1, true), "$p->c: %s", tn(stmt(pr, 8)->rhs->type));
	}
	analyzed_free(&a);
	expect_error("struct s { char *a : 3; };\nBEGIN { }",
		     "stdin:1:12: error: bitfield 'a' must have an integer type, not int8 *");
	expect_error("struct s { int a:33; };\nBEGIN { }",
		     "stdin:1:12: error: bitfield 'a' is 33 bits wide, more than its type int32 holds");
	expect_error("struct s { int a; int a; };\nBEGIN { }", "stdin:1:19: error: member 'a' is declared twice");
	expect_error("struct s { int a; };\nstruct s { int b; };\nBEGIN { }", "stdin:2:1: error: struct s is defined twice");
	expect_error("struct s { struct t x; };\nstruct t { int a; };\nBEGIN { }",
		     "stdin:1:12: error: member 'x' has incomplete type struct t (only a pointer to it can be a member)");
	expect_error("struct s { int count; };\nBEGIN { $p = (struct s *)0; @ = $p->cuont; }",
		     "stdin:2:33: error: 'struct s' has no member 'cuont'; did you mean 'count'?");
	expect_error("struct s { int a; };\nBEGIN { $p = (struct s *)0; @ = *$p + 1; }",
		     "stdin:2:33: error: invalid operands to '+': struct s and int8");
	expect_error("struct s { int a:3; };\nBEGIN { @ = offsetof(struct s, a); }",
		     "stdin:2:32: error: offsetof a bitfield ('a') has no byte offset");
	expect_error("struct s { int a; };\nBEGIN { @ = offsetof(struct s, b); }",
		     "stdin:2:32: error: 'struct s' has no member 'b'");
}

static void test_pointer_errors(void)
{
	expect_error("BEGIN { $x = true; @ = *$x; }", "stdin:1:24: error: cannot dereference bool: it is not a pointer");
	expect_error("BEGIN { @ = *comm; }", "stdin:1:13: error: cannot dereference string[16]: it is not a pointer");
	expect_error("BEGIN { @ = &1; }", "stdin:1:13: error: '&' takes the address of a $variable");
	expect_error("BEGIN { @ = sizeof(void); }", "stdin:1:13: error: void has no size");
}

/* Deliberate differences from bpftrace 0.17, as the latest bpftrace does. */
static void test_latest_semantics(void)
{
	/* counts and sums change in place; print() of one element sends its value */
	struct analyzed a = analyze("BEGIN { @c = count(); @c++; @s = sum(1); @s += 2; @x[1] = 5; print(@x[1]); }");
	PASSES(a);
	if (a.rc == 0) {
		CHECK(dmap(a.r.desc, "@c")->kind == MAP_COUNT && dmap(a.r.desc, "@s")->kind == MAP_SUM);
		CHECKF(a.r.desc->nvalues == 1 && is_type(a.r.desc->values[0], TY_INT, 8, true),
		       "print(@x[1]) sends an int64: %d values", a.r.desc->nvalues);
		CHECK(stmt(a.prog->probes, 5)->lhs->index == 0);
	}
	analyzed_free(&a);
}

/* ---- failing scripts --------------------------------------------------- */

static void test_map_errors(void)
{
	expect_error("BEGIN { @x = 1; } END { @x = \"a\"; }",
		     "stdin:1:25: error: map '@x' cannot be assigned a string: it already holds an integer");
	expect_error("BEGIN { @x = count(); } END { @x = sum(1); }",
		     "stdin:1:36: error: map '@x' cannot be assigned sum(): it already holds count()");
	expect_error("BEGIN { @x = 1; @x = hist(2); }",
		     "stdin:1:22: error: map '@x' cannot be assigned hist(): it already holds an integer");
	expect_error("BEGIN { @x = count(); @x = 1; }",
		     "stdin:1:23: error: map '@x' cannot be assigned an integer: it already holds count()");
	expect_error("BEGIN { @x[1] = 1; @x[1, 2] = 1; }",
		     "stdin:1:20: error: map '@x' is used with 2 keys here but with 1 elsewhere");
	expect_error("BEGIN { @x = 1; @x[1] = 1; }",
		     "stdin:1:17: error: map '@x' is used with 1 key here but with 0 elsewhere");
	expect_error("BEGIN { @x[\"a\"] = 1; @x[1] = 1; }",
		     "stdin:1:25: error: map '@x' key is int64 here but string[2] elsewhere");
	expect_error("BEGIN { @x[1, \"a\"] = 1; } END { @x[1, 2] = 1; }",
		     "stdin:1:39: error: map '@x' key 2 is int64 here but string[2] elsewhere");
	expect_error("BEGIN { @x = stats(1); @y = @x + 1; }",
		     "stdin:1:29: error: map '@x' holds stats() and cannot be read as a value");
	expect_error("BEGIN { @x = lhist(1, 0, 10, 1); printf(\"%d\\n\", @x); }",
		     "stdin:1:49: error: map '@x' holds lhist() and cannot be read as a value");
	expect_error("BEGIN { print(@y); }", "stdin:1:15: error: map '@y' is used but never assigned");
	expect_error("BEGIN { @x = @y; }", "stdin:1:14: error: map '@y' is used but never assigned");
	/* never silently untyped: assigned only from itself or from each other */
	expect_error("BEGIN { @x = @x; }",
		     "stdin:1:9: error: cannot infer the type of map '@x': it is only assigned from maps without a type");
	expect_error("BEGIN { @x = @y; } END { @y = @x; }",
		     "stdin:1:9: error: cannot infer the type of map '@x': it is only assigned from maps without a type");
	expect_error("BEGIN { @x = hist(1); @x++; }",
		     "stdin:1:23: error: cannot apply '++' to map '@x': it holds hist()");
	expect_error("BEGIN { @x = \"s\"; @x += 1; }",
		     "stdin:1:19: error: cannot use '+=' on map '@x': it holds a string");
	expect_error("BEGIN { @x += count(); }", "stdin:1:15: error: count() can only be assigned to a map");
	expect_error("BEGIN { @x[1] = 1; delete(@x); }",
		     "stdin:1:27: error: delete() expects a map element, as delete(@name[key])");
	expect_error("BEGIN { @x = 1; delete(1); }",
		     "stdin:1:24: error: delete() expects a map element, as delete(@name[key])");
	expect_error("BEGIN { $x = 1; @x = 1; print(@x, $x); }",
		     "stdin:1:35: error: print(): argument 2 must be an integer literal");
}

static void test_lhist_errors(void)
{
	expect_error("BEGIN { @x = lhist(1, 0, 10, 0); }",
		     "stdin:1:14: error: lhist(): step must be at least 1 (got 0)");
	expect_error("BEGIN { @x = lhist(1, 10, 10, 1); }",
		     "stdin:1:14: error: lhist(): max (10) must be greater than min (10)");
	expect_error("BEGIN { @x = lhist(1, 0, 100000, 1); }",
		     "stdin:1:14: error: lhist(): (max - min) / step must be at most 1000 (got 100000)");
	expect_error("BEGIN { @x = lhist(1, 0, 10, 1); } END { @x = lhist(2, 0, 20, 1); }",
		     "stdin:1:47: error: lhist() parameters of map '@x' differ from its other uses");
	expect_error("BEGIN { $m = 1; @x = lhist(1, $m, 10, 1); }",
		     "stdin:1:31: error: lhist(): argument 2 must be an integer literal");
}

static void test_call_errors(void)
{
	expect_error("BEGIN { @x = foo(1); }", "stdin:1:14: error: unknown function 'foo'");
	expect_error("BEGIN { @x = bar; }", "stdin:1:14: error: unknown identifier 'bar'");
	expect_error("BEGIN { exit(1, 2); }",
		     "stdin:1:9: error: exit() takes at most 1 argument but 2 were given");
	expect_error("BEGIN { @x = count(1); }",
		     "stdin:1:14: error: count() takes no arguments but 1 was given");
	expect_error("BEGIN { @x = sum(); }", "stdin:1:14: error: sum() takes 1 argument but 0 were given");
	expect_error("BEGIN { @x = lhist(1); }",
		     "stdin:1:14: error: lhist() takes 4 arguments but 1 was given");
	expect_error("BEGIN { @x = print(1, 2, 3, 4); }",
		     "stdin:1:14: error: print() cannot be used as a value");
	expect_error("BEGIN { print(@x, 1, 2, 3); }",
		     "stdin:1:9: error: print() takes 1 to 3 arguments but 4 were given");
	expect_error("BEGIN { @x = printf(\"a\"); }", "stdin:1:14: error: printf() cannot be used as a value");
	expect_error("BEGIN { count(); }", "stdin:1:9: error: count() can only be assigned to a map");
	expect_error("BEGIN { $x = count(); }", "stdin:1:14: error: count() can only be assigned to a map");
	expect_error("BEGIN { @x = sum(comm); }",
		     "stdin:1:18: error: sum() expects an integer as argument 1, got string[16]");
	expect_error("BEGIN { @x = str(1, \"a\"); }",
		     "stdin:1:21: error: str() expects an integer as argument 2, got string[2]");
	expect_error("BEGIN { exit(\"a\"); }", "stdin:1:14: error: exit() expects an integer as argument 1, got string[2]");
}

/* Functions computed in BPF or at compile time (stdlib/values.c): result
 * types, and the compile-time ones folded into literals. */
static void test_value_functions(void)
{
	struct analyzed a = analyze(
		"BEGIN { $a = bswap((uint16)1); $b = bswap((int32)1); $c = bswap(1);"
		" $d = strncmp(\"a\", \"b\", 1); $e = strcontains(comm, \"x\"); $f = strstr(comm, \"x\");"
		" $g = uptr(curtask); $h = pton(\"1.2.3.4\"); $i = pton(\"::1\"); $j = is_integer(1);"
		" $k = is_str(1); $l = ppid; $m = pcomm; $n = numaid; $o = kptr(5); }");
	PASSES(a);
	if (a.rc == 0) {
		struct probe *p = a.prog->probes;
		const struct type *rhs[15];
		for (int i = 0; i < 15; i++)
			rhs[i] = stmt(p, i)->rhs->type;
		CHECKF(is_type(rhs[0], TY_INT, 2, false), "bswap(uint16): %s", tn(rhs[0]));
		CHECKF(is_type(rhs[1], TY_INT, 4, false), "bswap(int32) is uint32: %s", tn(rhs[1]));
		CHECKF(is_type(rhs[2], TY_INT, 8, false), "bswap(literal) is uint64: %s", tn(rhs[2]));
		CHECKF(is_type(rhs[3], TY_INT, 8, false), "strncmp: %s", tn(rhs[3]));
		CHECKF(is_type(rhs[4], TY_BOOL, 1, false), "strcontains: %s", tn(rhs[4]));
		CHECKF(is_type(rhs[5], TY_INT, 8, true), "strstr: %s", tn(rhs[5]));
		CHECKF(rhs[6]->kind == TY_PTR && rhs[6]->as == AS_USER, "uptr(p): a user pointer");
		CHECKF(strcmp(tn(rhs[7]), "uint8[4]") == 0, "pton v4: %s", tn(rhs[7]));
		CHECKF(strcmp(tn(rhs[8]), "uint8[16]") == 0, "pton v6: %s", tn(rhs[8]));
		CHECKF(stmt(p, 9)->rhs->kind == N_BOOL && stmt(p, 9)->rhs->ival == 1, "is_integer(1) folds to true");
		CHECKF(stmt(p, 10)->rhs->kind == N_BOOL && stmt(p, 10)->rhs->ival == 0, "is_str(1) folds to false");
		CHECKF(stmt(p, 11)->rhs->kind == N_CAST && is_type(rhs[11], TY_INT, 4, false),
		       "ppid is (uint32)curtask->real_parent->pid: %s", tn(rhs[11]));
		CHECKF(stmt(p, 12)->rhs->kind == N_FIELD && rhs[12]->kind == TY_STR, "pcomm: %s", tn(rhs[12]));
		CHECKF(is_type(rhs[13], TY_INT, 4, false), "numaid: %s", tn(rhs[13]));
		CHECKF(type_is_integer(rhs[14]) && stmt(p, 14)->rhs->as == AS_KERNEL, "kptr(int) marks the node");
	}
	analyzed_free(&a);
	expect_error("BEGIN { @x = bswap(\"a\"); }", "stdin:1:20: error: bswap() expects an integer, got string[2]");
	expect_error("BEGIN { @x = strncmp(\"a\", \"b\", pid); }",
		     "stdin:1:32: error: strncmp() expects a non-negative integer literal as argument 3");
	expect_error("interval:s:1 { signal(9); }",
		     "stdin:1:16: error: signal() is an unsafe function being used in safe mode: run sonde with --unsafe to allow it");
	expect_error("BEGIN { static_assert(1 == 2, \"no\"); }", "stdin:1:9: error: static assertion failed: no");
}

static void test_printf_errors(void)
{
	expect_error("BEGIN { printf(\"%d %d\\n\", 1); }",
		     "stdin:1:9: error: printf: 2 conversions but 1 argument");
	expect_error("BEGIN { printf(\"%d\\n\"); }",
		     "stdin:1:9: error: printf: 1 conversion but 0 arguments");
	CHECKF(count_errors("BEGIN { printf(\"%s %s\\n\", 1, (1, \"a\")); }") == 0, "%%s of any value");
	expect_error("BEGIN { printf(\"%r\\n\", 1); }",
		     "stdin:1:24: error: printf: %r expects a buffer (buf()) or a string, but argument 1 is int8");
	expect_error("BEGIN { printf(\"%s %5d\\n\", comm, comm); }",
		     "stdin:1:34: error: printf: %5d expects an integer, but argument 2 is string[16]");
	expect_error("BEGIN { printf(\"%f\\n\", 1); }", "stdin:1:16: error: printf: unknown conversion '%f'");
	expect_error("BEGIN { printf(\"%*d\\n\", 1, 2); }",
		     "stdin:1:16: error: printf: '*' widths and precisions are not supported");
	expect_error("BEGIN { printf(\"abc %\"); }",
		     "stdin:1:16: error: printf: incomplete conversion '%' at the end of the format");
	expect_error("BEGIN { printf(comm); }", "stdin:1:16: error: printf: the format must be a string literal");
	expect_error("BEGIN { printf(); }", "stdin:1:9: error: printf() takes at least 1 argument but 0 were given");
	/* 65 strings of max_strlen (1024) bytes: more than one event carries */
	char fmt[65 * 2 + 1], *script = NULL;
	size_t script_len;
	FILE *sf = open_memstream(&script, &script_len);
	for (int i = 0; i < 65; i++)
		memcpy(fmt + 2 * i, "%s", 2);
	fmt[130] = '\0';
	fprintf(sf, "BEGIN { printf(\"%s\"", fmt);
	for (int i = 0; i < 65; i++)
		fputs(", str(0)", sf);
	fputs("); }", sf);
	fclose(sf);
	expect_error(script, "stdin:1:9: error: printf: the arguments take 66560 bytes, more than the 65536 one event can carry");
	free(script);
	/* every mismatching argument is reported */
	CHECKF(count_errors("BEGIN { printf(\"%r %d\\n\", 1, \"a\"); }") == 2, "two printf errors");
}

static void test_expression_errors(void)
{
	expect_error("BEGIN { @x = \"a\" + 1; }", "stdin:1:14: error: invalid operands to '+': string[2] and int8");
	expect_error("BEGIN { @x = \"a\" == 1; }", "stdin:1:14: error: cannot compare string[2] with int8");
	expect_error("BEGIN { @x = comm < \"a\"; }",
		     "stdin:1:14: error: invalid operands to '<': string[16] and string[2]");
	expect_error("BEGIN { @x = -comm; }", "stdin:1:14: error: invalid operand to unary '-': string[16]");
	expect_error("BEGIN { @x = 5 / 0; }", "stdin:1:18: error: division by zero");
	expect_error("BEGIN { @x = 5; @x %= 0; }", "stdin:1:23: error: division by zero");
	expect_error("BEGIN { @x = (uint32)comm; }", "stdin:1:14: error: cannot cast string[16] to uint32");
	expect_error("BEGIN { @x = 1 ? 2 : \"a\"; }",
		     "stdin:1:14: error: the two branches of '?:' have different types: int8 and string[2]");
	expect_error("BEGIN /comm/ { exit(); }", "stdin:1:8: error: the predicate must be an integer, a bool or a pointer, not string[16]");
	expect_error("BEGIN { if (comm) { exit(); } }", "stdin:1:13: error: an if condition must be an integer, a bool or a pointer, not string[16]");
}

static void test_variable_errors(void)
{
	expect_error("BEGIN { printf(\"%d\\n\", $x); }",
		     "stdin:1:24: error: variable '$x' is used before it is assigned");
	expect_error("BEGIN { $y = $x; $x = 1; }",
		     "stdin:1:14: error: variable '$x' is used before it is assigned");
	expect_error("BEGIN { $x = 1; } END { @ = $x; }",
		     "stdin:1:29: error: variable '$x' is used before it is assigned");
	expect_error("BEGIN { $x = 1; $x = \"a\"; }",
		     "stdin:1:17: error: type mismatch for '$x': cannot assign string[2] to a variable holding int64");
	expect_error("BEGIN { $x += 1; }", "stdin:1:9: error: variable '$x' is used before it is assigned");
	expect_error("BEGIN { $s = comm; $s++; }",
		     "stdin:1:20: error: cannot apply '++' to variable '$s' of type string[16]");
}

/* One mistake, one error; several mistakes, all reported. */
static void test_error_counts(void)
{
	CHECKF(count_errors("BEGIN { @x = foo(1) + 1; printf(\"%d\\n\", foo(2)); }") == 2,
	      "no cascade from unknown functions");
	CHECKF(count_errors("BEGIN { $y = $x + 1; @z = $y * 2; printf(\"%d\\n\", $y); }") == 1,
	      "one undefined variable, one error");
	CHECKF(count_errors("BEGIN { @a = bar; @b = baz; @c = 1 / 0; }") == 3, "three errors");
	CHECKF(count_errors("BEGIN { @x = nope; @y = @x; }") == 1, "failed assignment is not 'never assigned'");
	/* a failed expression is not reported again by what contains it */
	static const char *const one_mistake[] = {
		"BEGIN { printf(\"%d\\n\", curtask->parent->pidd + 1); }",
		"BEGIN { $x = 1; @y = $x.a.b + 1; }",
		"BEGIN { @x = nosuch.a.b; }",
		"BEGIN { printf(nosuch); }",
		"BEGIN { printf(\"%d\\n\", str(nosuch)); }",
		"BEGIN { @x = str(nosuch); @y = @x + 1; }",
		"BEGIN { @a = dw_ustack; @b = dw_ustack(); @c[dw_ustack] = count(); }",
		/* an action whose probe failed: its probe-specific names are not judged */
		"iter:tsk { printf(\"%s\\n\", ctx->task->comm); }",
		"kretprobe:vfs_read { @ = retval; }",
		"kretprobe:vfs_read { @x = retval; printf(\"%d %s\\n\", @x, str(retval)); }",
		"kprobe:vfs_read { @[kstack, func, arg0, args.x, reg(\"ip\")] = count(); }",
		"tracepoint:syscalls:sys_enter_opnat { @[args.filename] = count(); @y = args.fd + 1; }",
		"kprobe:f { $x = arg0; @[$x] = count(); printf(\"%d\\n\", $x + 1); }",
	};
	for (size_t i = 0; i < sizeof(one_mistake) / sizeof(one_mistake[0]); i++)
		CHECKF(count_errors(one_mistake[i]) == 1, "one error for: %s", one_mistake[i]);
	/* an unknown name in a failed probe is still a mistake of its own */
	CHECKF(count_errors("kprobe:f { @ = pidd; }") == 2, "typo in a failed probe");
}

/* The closest real name is suggested for a misspelled one. */
static void test_suggestions(void)
{
	expect_error("BEGIN { @x = pidd; }", "stdin:1:14: error: unknown identifier 'pidd'; did you mean 'pid'?");
	expect_error("BEGIN { @x = kstak; }", "stdin:1:14: error: unknown identifier 'kstak'; did you mean 'kstack'?");
	expect_error("BEGIN { @x = cuont(); }", "stdin:1:14: error: unknown function 'cuont'; did you mean 'count'?");
	expect_error("BEGIN { printff(\"a\"); }", "stdin:1:9: error: unknown function 'printff'; did you mean 'printf'?");
	expect_error("BEGIN { @x = nosuch; }", "stdin:1:14: error: unknown identifier 'nosuch'");
	expect_error("BEGIN { $x = 1; @ = x; }", "stdin:1:21: error: unknown identifier 'x'; did you mean '$x'?");
	expect_error("BEGIN { @count = 1; } END { @ = @cont; }",
		     "stdin:1:33: error: map '@cont' is used but never assigned; did you mean '@count'?");
	expect_error("BEGIN { $count = 1; @ = $cont; }",
		     "stdin:1:25: error: variable '$cont' is used before it is assigned; did you mean '$count'?");
	/* assigned later in the probe: an order problem, not a typo */
	expect_error("BEGIN { @ = $count; $count = 1; }",
		     "stdin:1:13: error: variable '$count' is used before it is assigned");
}

/* bpftrace's names sonde lacks, or misused: what the user needs to know. */
static void test_bpftrace_names(void)
{
	expect_error("BEGIN { @[dw_ustack] = count(); }",
		     "stdin:1:11: error: 'dw_ustack' is not supported by sonde yet");
	expect_error("BEGIN { @ = comm(1); }",
		     "stdin:1:13: error: comm(pid) is not supported in BEGIN probes: the kernel lets only some program types call the bpf_task_from_pid kfunc (fentry, fexit and iter probes can)");
	expect_error("BEGIN { @ = str; }", "stdin:1:13: error: 'str' is a function: call it as str(...)");
	expect_error("BEGIN { @ = count; }", "stdin:1:13: error: 'count' is a function: call it as count()");
	expect_error("BEGIN { @ = args(); }",
		     "stdin:1:13: error: 'args' is not a function: use it without parentheses");
	expect_error("BEGIN { @ = reg(\"ip\"); }",
		     "stdin:1:13: error: function 'reg' is not available in BEGIN probes (only in kprobe and uprobe probes)");
	expect_error("BEGIN { @ = config.max_strlenn; }",
		     "stdin:1:13: error: 'record { .cpp_demangle = bool, .lazy_symbolication = bool, .print_maps_on_exit = bool, .use_blazesym = bool, .show_debug_info =' has no member 'max_strlenn'; did you mean 'max_strlen'?");
	/* a type where a value goes: the grammar has no place for it */
	struct analyzed t = analyze("BEGIN { @ = str(uint32); }");
	CHECKF(t.rc == -2 && t.errors == 1 &&
	       strncmp(t.diag, "stdin:1:17: error: a type ('uint32') cannot be used as a value here; a cast is written (uint32)value\n",
		       strlen("stdin:1:17: error: a type ('uint32') cannot be used as a value here; a cast is written (uint32)value\n")) == 0,
	       "a type as a value: %s", t.diag);
	analyzed_free(&t);
	/* pid() is pid (bpftrace 0.25+): builtins may be called without arguments */
	struct analyzed a = analyze("BEGIN { @a = pid(); @b = comm(); @c = nsecs(); }");
	PASSES(a);
	if (a.rc == 0) {
		CHECK(stmt(a.prog->probes, 0)->rhs->kind == N_BUILTIN);
		CHECK(is_type(stmt(a.prog->probes, 1)->rhs->type, TY_STR, 16, false));
	}
	analyzed_free(&a);
}

/* ---- bpftrace's whole language ----------------------------------------- */

/* The outcome of parsing and checking a script: passes, or exactly one
 * error whose first line contains `want`. */
static bool one_error_with(const char *script, const char *want, char **first)
{
	struct analyzed a = analyze(script);
	*first = first_line(a.diag ? a.diag : "");
	bool ok = a.errors == 1 && strstr(*first, want) != NULL;
	analyzed_free(&a);
	return ok;
}

static bool passes(const char *script)
{
	struct analyzed a = analyze(script);
	bool ok = a.rc == 0 && a.errors == 0;
	analyzed_free(&a);
	return ok;
}

/* A probe of each type sonde implements, to try a name in. */
static const char *const sonde_probes[] = {
	"BEGIN", "END", "tracepoint:syscalls:sys_enter_read", "rawtracepoint:sys_enter",
	"interval:s:1", "profile:hz:99",
};
#define NSONDE_PROBES (sizeof(sonde_probes) / sizeof(sonde_probes[0]))

static enum lang_probe lang_probe_of(const char *attach)
{
	char *type = strndup(attach, strcspn(attach, ":"));
	const struct lang_probe_type *t = lang_probe_type_find(type);
	free(type);
	return t ? t->id : LP__COUNT;
}

/* "arg0" for the numbered "arg", else the name. */
static char *spelled(const struct lang_name *l)
{
	return l->flags & LANG_NUMBERED ? xasprintf("%s0", l->name) : xstrdup(l->name);
}

/* NAME (or NAME()) in a probe where bpftrace allows it is either what
 * sonde implements or "not supported by sonde yet"; where bpftrace does
 * not allow it, the error says where it is available; in a probe whose
 * type sonde lacks, only the probe type is reported. */
static void check_bpftrace_name(const struct lang_name *l, bool as_call)
{
	char *name = spelled(l);
	char *use = as_call ? xasprintf("%s()", name) : xstrdup(name);
	bool tried_valid = false;
	for (size_t i = 0; i < NSONDE_PROBES; i++) {
		bool valid = lang_valid_in(l, lang_probe_of(sonde_probes[i]));
		if (valid && tried_valid)
			continue; /* one probe where it is valid is enough */
		tried_valid |= valid;
		char *script = xasprintf("%s { @x = %s; }", sonde_probes[i], use);
		char *first = NULL;
		if (valid) {
			CHECKF(passes(script) || one_error_with(script, "not supported by sonde yet", &first),
			       "bpftrace's '%s' is neither implemented nor 'not supported by sonde yet':\n"
			       "  %s\n  %s", use, script, first ? first : "");
		} else {
			CHECKF(one_error_with(script, "probes (only in ", &first),
			       "'%s' outside its probe types must say where it is available:\n  %s\n  %s",
			       use, script, first);
		}
		free(first);
		free(script);
	}
	char *script = xasprintf("kprobe:f { @x = %s; }", use);
	char *first = NULL;
	/* f is no kernel function (and this kernel may have no kprobes at all) */
	CHECKF(one_error_with(script, "error: kprobe: ", &first),
	       "only the probe type is reported:\n  %s\n  %s", script, first);
	free(first);
	free(script);
	free(use);
	free(name);
}

/* Every builtin and function bpftrace documents (language.h), as an
 * identifier and as a call where bpftrace allows each: never "unknown".
 * The test walks the table, so it covers names added to it later, and
 * still holds when sonde implements one. Functions sonde implements have
 * argument rules of their own and are skipped. */
static void test_every_bpftrace_name(void)
{
	if (!have_tracefs())
		return;
	for (int i = 0; i < lang_nnames; i++) {
		const struct lang_name *l = &lang_names[i];
		if (l->flags & LANG_BARE)
			check_bpftrace_name(l, false);
		/* sizeof and offsetof are keywords of the grammar (see keyword_uses);
		 * typeof is one of sonde's: a type, never a value (tests/bad) */
		if ((l->flags & LANG_CALL) && !stdlib_find_func(l->name) && !lang_is_keyword(l->name) &&
		    strcmp(l->name, "typeof") != 0)
			check_bpftrace_name(l, true);
	}
}

/* One use of each bpftrace keyword. */
static const struct { const char *keyword, *script; } keyword_uses[] = {
	{ "break", "BEGIN { while (1) { break; } }" },
	{ "config", "config = { max_strlen = 128 } BEGIN { exit(); }" },
	{ "continue", "BEGIN { unroll(2) { continue; } }" },
	{ "else", "BEGIN { if (pid) { exit(); } else { exit(); } }" },
	{ "for", "BEGIN { @m[1] = 2; for ($kv : @m) { print($kv.0); } for ($i : 0..10) { } }" },
	{ "if", "BEGIN { if (pid) { exit(); } }" },
	{ "import", "import \"lib.bt\"; BEGIN { exit(); }" },
	{ "let", "BEGIN { let $x: uint16 = 1; let $y; }" },
	{ "macro", "macro add_one(x) { x + 1 } BEGIN { @ = add_one(1); }" },
	{ "offsetof", "BEGIN { @ = offsetof(struct task_struct, pid); }" },
	{ "return", "BEGIN { if (pid) { return; } }" },
	{ "sizeof", "BEGIN { @ = sizeof(uint32) + sizeof(struct task_struct); }" },
	{ "unroll", "BEGIN { unroll(3) { @x++; } }" },
	{ "while", "BEGIN { while (1) { } }" },
};

/* Every keyword: accepted, or one "not supported by sonde yet" error. */
static void test_every_bpftrace_keyword(void)
{
	for (int i = 0; i < lang_nkeywords; i++) {
		const char *script = NULL;
		for (size_t k = 0; k < sizeof(keyword_uses) / sizeof(keyword_uses[0]); k++)
			if (strcmp(keyword_uses[k].keyword, lang_keywords[i]) == 0)
				script = keyword_uses[k].script;
		CHECKF(script, "keyword '%s' has no use in keyword_uses[]", lang_keywords[i]);
		if (!script)
			continue;
		char *first = NULL;
		CHECKF(passes(script) || one_error_with(script, "not supported by sonde yet", &first),
		       "keyword '%s':\n  %s\n  %s", lang_keywords[i], script, first ? first : "");
		free(first);
	}
}

static void test_no_probes(void)
{
	struct program empty = { 0 };
	struct source *src = source_from_string("stdin", "", 0);
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);
	struct diag d;
	diag_init(&d, src, out);
	struct sema_result r;
	int rc = sema_analyze(&empty, NULL, &d, &r);
	fclose(out);
	CHECKF(rc == -1 && strncmp(text, "stdin: error: no probes", 23) == 0, "no probes: %s", text);
	sema_result_free(&r);
	free(text);
	source_free(src);
}

/* let @m = kind(N); and the maps' own functions (has_key, len), and
 * count/sum/avg/min/max read as values. */
static void test_map_declarations(void)
{
	struct analyzed a = analyze(
		"let @h = hash(10); let @l = lruhash(20); let @p = percpuhash(30);"
		" let @q = percpulruhash(40);"
		" BEGIN { @h[1] = 1; @l = \"x\"; @p[comm] = count(); @q = hist(5);"
		" $n = len(@h) + (int64)@p[\"a\"]; if (has_key(@p, \"b\")) { @r = @p[\"b\"] * 2; } }");
	PASSES(a);
	if (a.rc == 0) {
		const struct desc *d = a.r.desc;
		const struct desc_map *m = dmap(d, "@h");
		CHECKF(m && !m->lru && m->max_entries == 10 && m->kind == MAP_PLAIN, "@h hash(10)");
		m = dmap(d, "@l");
		CHECKF(m && m->lru && m->max_entries == 20, "@l lruhash(20)");
		m = dmap(d, "@p");
		CHECKF(m && !m->lru && m->max_entries == 30 && m->kind == MAP_COUNT, "@p percpuhash(30)");
		m = dmap(d, "@q");
		CHECKF(m && m->lru && m->max_entries == 40 && m->kind == MAP_HIST, "@q percpulruhash(40)");
		m = dmap(d, "@r");
		CHECKF(m && m->max_entries == 0 && is_type(m->value, TY_INT, 8, false),
		       "@r undeclared, uint64 from count()");
	}
	analyzed_free(&a);
	expect_error("let @a = percpuhash(1); BEGIN { @a[1] = 1; }",
		     "stdin:1:33: error: map '@a' is declared percpuhash, which holds aggregations (count(), "
		     "sum(), ...), but is assigned an integer here; declare it hash");
	expect_error("let @a = lruhash(1); BEGIN { @a = sum(1); }",
		     "stdin:1:35: error: map '@a' is declared lruhash, which holds values, but is assigned "
		     "sum() here; declare it percpulruhash");
	expect_error("let @a = lruhsh(1); BEGIN { @a = 1; }",
		     "stdin:1:10: error: invalid map type 'lruhsh'; did you mean 'lruhash'?");
	expect_error("let @a = hash(5); let @a = hash(6); BEGIN { @a = 1; }",
		     "stdin:1:23: error: map '@a' is declared twice");
	expect_error("let @a = hash(0); BEGIN { @a = 1; }",
		     "stdin:1:15: error: a map holds 1 to 16777216 entries, not 0");
	expect_error("BEGIN { @s = 1; $x = len(@s); }",
		     "stdin:1:26: error: call to len() expects a map with explicit keys (non-scalar map)");
	expect_error("BEGIN { @s[1] = 1; $x = has_key(@s, \"a\"); }",
		     "stdin:1:37: error: map '@s' key is string[2] here but int64 elsewhere");
	/* unused: a warning, and the script runs */
	a = analyze("let @u = hash(3); BEGIN { @x = 1; }");
	PASSES(a);
	CHECKF(a.diag && strstr(a.diag, "warning: map '@u' is declared but never used"), "unused warning: %s",
	       a.diag ? a.diag : "");
	analyzed_free(&a);
}

/* let and for variables: one slot per declaration, typed as declared or
 * from their values; plain assignments stay probe-wide. */
static void test_scopes_and_loops(void)
{
	struct analyzed a = analyze("BEGIN { if (1) { let $x = \"str\"; } if (1) { let $x: uint16 = 1; }"
				    " $y = 1; if (1) { $y = 2; $z = 3; } @z = $z;"
				    " @m[1, \"a\"] = 2; for ($kv : @m) { } for ($i : 0..(uint8)4) { } let $n; }");
	PASSES(a);
	if (a.rc == 0) {
		struct probe *p = a.prog->probes;
		int nx = 0;
		for (struct var_info *v = p->vars; v; v = v->next)
			if (strcmp(v->name, "$x") == 0) {
				nx++;
				CHECKF(v->scoped, "let $x is scoped");
			}
		CHECKF(nx == 2, "two declarations of $x, two slots: %d", nx);
		CHECKF(!var(p, "$z")->scoped, "$z assigned in a block is probe-wide");
		CHECKF(strcmp(tn(var(p, "$kv")->type), "((int64,string[2]),int64)") == 0,
		       "$kv is ((key parts), value): %s", tn(var(p, "$kv")->type));
		CHECKF(is_type(var(p, "$i")->type, TY_INT, 8, false), "$i uint64 (0 takes the sign of uint8): %s", tn(var(p, "$i")->type));
		CHECKF(is_type(var(p, "$n")->type, TY_INT, 8, true), "let $n; is an int64 0");
	}
	analyzed_free(&a);
	a = analyze("BEGIN { let $t: uint16 = 1; }");
	PASSES(a);
	if (a.rc == 0)
		CHECKF(is_type(var(a.prog->probes, "$t")->type, TY_INT, 2, false), "typed let keeps uint16: %s",
		       tn(var(a.prog->probes, "$t")->type));
	analyzed_free(&a);

	expect_error("BEGIN { break; }", "stdin:1:9: error: 'break' outside of a loop");
	expect_error("BEGIN { let $x; let $x; }",
		     "stdin:1:21: error: variable '$x' is already declared; shadowing is not allowed");
	expect_error("BEGIN { { let $x = 1; } @a = $x; }",
		     "stdin:1:30: error: variable '$x' is not in scope here: the block it was declared in has ended");
	expect_error("BEGIN { for ($i : \"a\"..3) { } }",
		     "stdin:1:19: error: the start of a loop range must be an integer, not string[2]");
	expect_error("BEGIN { unroll(200) { } }",
		     "stdin:1:16: error: unroll count must be at most 100 (bpftrace's limit)");
	CHECKF(count_errors("BEGIN { break; continue; let $a; let $a; }") == 3, "one error per mistake");
}

int main(void)
{
	test_expression_types();
	test_scopes_and_loops();
	test_scratch_vars_are_per_probe();
	test_map_kinds_and_layouts();
	test_map_types_flow_across_probes();
	test_map_declarations();
	test_printf_layout();
	test_positionals();
	test_positionals_in_attach_points();
	test_groups();
	test_split_by_probetype();
	test_tracepoints();
	test_builtins_per_probe_type();
	test_struct_members();
	test_casts();
	test_tuples();
	test_records();
	test_script_structs();
	test_pointer_errors();
	test_latest_semantics();
	test_map_errors();
	test_lhist_errors();
	test_call_errors();
	test_value_functions();
	test_printf_errors();
	test_expression_errors();
	test_variable_errors();
	test_error_counts();
	test_suggestions();
	test_bpftrace_names();
	test_every_bpftrace_name();
	test_every_bpftrace_keyword();
	test_no_probes();
	tp_format_cache_free();
	if (failures) {
		fprintf(stderr, "test_sema: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_sema: all passed\n");
	return 0;
}
