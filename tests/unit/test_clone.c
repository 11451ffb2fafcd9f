/* test_clone.c - which programs codegen compiles once and clones
 * (codegen/clone.c), and that the object with clones opens in libbpf.
 *
 * Bodies the same up to their maps are cloned; a body that differs in
 * one literal, in its map's key or value type, or in an operation is
 * compiled on its own. Each script compiles as one module and as chunks
 * (SONDE_CG_CHUNK=1: every program its own module, linked), and with
 * SONDE_CG_CLONE=0 nothing is cloned. Needs tracefs (tracepoints). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "check.h"
#include "sonde.h"

static const char *const tps[] = { "sched:sched_process_exec", "sched:sched_process_exit",
				   "sched:sched_process_fork", "sched:sched_switch" };

/* A script of one block per body, each on its own tracepoint. */
static char *script(const char *const *bodies, int n)
{
	size_t cap = 256;
	for (int i = 0; i < n; i++)
		cap += strlen(bodies[i]) + 64;
	char *s = calloc(1, cap), *o = s;
	for (int i = 0; i < n; i++)
		o += sprintf(o, "tracepoint:%s { %s }\n", tps[i], bodies[i]);
	return s;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Programs cloned in the object of bodies; -1 if it does not compile or
 * libbpf cannot open it with all its programs. */
static int cloned(const char *const *bodies, int n)
{
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	char *text = script(bodies, n);
	struct source *src = source_from_string("clone.bt", text, strlen(text));
	struct compile_options o = { .dump_out = devnull };
	struct compiled c = { 0 };
	int rc = sonde_compile(src, &o, stderr, &c) == 0 ? c.cloned : -1;
	if (rc >= 0) {
		struct bpf_object *obj = bpf_object__open_mem(c.elf, c.elf_size, NULL);
		int progs = 0;
		struct bpf_program *p;
		if (obj)
			bpf_object__for_each_program(p, obj)
				progs++;
		CHECKF(obj && progs == n, "%s: libbpf opens the object with %d programs (%d)", text, n, progs);
		if (!obj || progs != n)
			rc = -1;
		bpf_object__close(obj);
	}
	compiled_free(&c);
	source_free(src);
	free(text);
	return rc;
}

struct pair_case {
	const char *what;
	const char *a, *b;
	int expect; /* programs cloned */
};

static const struct pair_case cases[] = {
	{ "the same body on another map", "@a = count();", "@b = count();", 1 },
	{ "keyed maps of one key type", "@a[pid] = count();", "@b[tid] = count();", 0 }, /* pid vs tid: other code */
	{ "keyed maps, same keys", "@a[pid, comm] = sum(2);", "@b[pid, comm] = sum(2);", 1 },
	{ "one literal differs", "@a = sum(1);", "@b = sum(2);", 0 },
	{ "the map's value type differs", "@a = 1;", "@b = \"one\";", 0 },
	{ "the map's value type differs (int widths)", "@a = (int8)1;", "@b = (uint64)1;", 0 },
	{ "the map's key type differs", "@a[1] = count();", "@b[\"x\"] = count();", 0 },
	{ "another aggregation", "@a = count();", "@b = sum(1);", 0 },
	{ "another aggregation on the same value", "@a = min(5);", "@b = max(5);", 0 },
	{ "a histogram's parameters", "@a = lhist(pid, 0, 100, 10);", "@b = lhist(pid, 0, 100, 20);", 0 },
	{ "a predicate's literal", "if (pid > 1) { @a = count(); }", "if (pid > 2) { @b = count(); }", 0 },
};

static void test_pairs(const char *mode)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pair_case *t = &cases[i];
		const char *bodies[2] = { t->a, t->b };
		int got = cloned(bodies, 2);
		CHECKF(got == t->expect, "%s (%s): %d cloned, expected %d", t->what, mode, got, t->expect);
	}
	/* four bodies, two classes: each class compiled once */
	const char *four[4] = { "@a = count();", "@b = sum(3);", "@c = count();", "@d = sum(3);" };
	int got = cloned(four, 4);
	CHECKF(got == 2, "two classes of two (%s): %d cloned", mode, got);
}

int main(void)
{
	if (access("/sys/kernel/tracing/events/sched/sched_process_exec", R_OK) != 0 &&
	    access("/sys/kernel/debug/tracing/events/sched/sched_process_exec", R_OK) != 0) {
		fprintf(stderr, "test_clone: skipped (needs tracefs: run as root)\n");
		return 77;
	}
	libbpf_set_print(libbpf_quiet);
	test_pairs("one module");
	setenv("SONDE_CG_CHUNK", "1", 1);
	test_pairs("linked chunks");
	setenv("SONDE_CG_CLONE", "0", 1);
	const char *same[2] = { "@a = count();", "@b = count();" };
	CHECKF(cloned(same, 2) == 0, "SONDE_CG_CLONE=0 clones nothing");
	unsetenv("SONDE_CG_CLONE");
	unsetenv("SONDE_CG_CHUNK");
	if (failures)
		fprintf(stderr, "test_clone: %d failures\n", failures);
	else
		fprintf(stderr, "test_clone: ok\n");
	return failures != 0;
}
