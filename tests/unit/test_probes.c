/* test_probes.c - probe providers: names, expansion of every attach-point
 * form, wildcards against the real tracefs, record formats, and the text
 * of every error. Runs as root (tracefs may need mounting); where tracefs
 * cannot be read (not root), the cases that need it are skipped with a
 * message and the rest still run. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "language.h"
#include "btf.h"
#include "probe.h"

#include "check.h"

#define CHECK_STR(a, b)                                                              \
	do {                                                                         \
		const char *a_ = (a), *b_ = (b);                                     \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                             \
			fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__, __LINE__,  \
				a_ ? a_ : "(null)", b_ ? b_ : "(null)");             \
			failures++;                                                  \
		}                                                                    \
	} while (0)

/* Result of expanding one attach point: targets, or the diagnostics text. */
struct expansion {
	int ret;
	struct probe_target *t;
	int n;
	char *errors; /* everything diag printed */
};

static struct expansion expand(const char *text)
{
	struct source *src = source_from_string("test", text, strlen(text));
	struct attach_point ap = {
		.text = (char *)text,
		.loc = { 1, 1, 1, (int)strlen(text) + 1 },
	};
	struct expansion e = { 0 };
	size_t len;
	FILE *out = open_memstream(&e.errors, &len);
	struct diag d;
	diag_init(&d, src, out);
	e.ret = probe_expand(&ap, &d, &e.t, &e.n);
	fclose(out);
	if (e.ret == 0 && d.errors)
		e.ret = -2; /* success must not report errors */
	source_free(src);
	return e;
}

static bool have_tracefs(void)
{
	static int known = -1;
	if (known < 0) {
		known = tracefs_path() != NULL && tp_format_get("syscalls", "sys_enter_read") != NULL;
		if (!known)
			fprintf(stderr, "test_probes: tracefs cannot be read (not root?): "
					"tracepoint expansion and format cases skipped\n");
	}
	return known;
}

static void expansion_free(struct expansion *e)
{
	probe_targets_free(e->t, e->n);
	free(e->errors);
}

static char *section_of(const struct probe_target *t)
{
	return probe_provider_of(t->type)->section(t);
}

/* Expands to exactly one target with this name, target and section. */
static void check_single(const char *text, enum probe_type type, const char *name,
			 const char *target, const char *section)
{
	struct expansion e = expand(text);
	if (e.ret != 0 || e.n != 1) {
		fprintf(stderr, "expanding '%s': ret %d, %d targets, errors: %s\n", text, e.ret, e.n,
			e.errors);
		failures++;
	} else {
		CHECK(e.t[0].type == type);
		CHECK_STR(e.t[0].name, name);
		CHECK_STR(e.t[0].target, target);
		char *s = section_of(&e.t[0]);
		CHECK_STR(s, section);
		free(s);
	}
	expansion_free(&e);
}

/* Fails with exactly this error (and the caret line under the attach point). */
static void check_error(const char *text, const char *message)
{
	struct expansion e = expand(text);
	char *expected = xasprintf("test:1:1: error: %s\n%s\n^", message, text);
	if (e.ret != -1 || e.n != 0 || strncmp(e.errors, expected, strlen(expected)) != 0) {
		fprintf(stderr, "expanding '%s': ret %d, %d targets\n  got:      %s\n  expected: %s\n",
			text, e.ret, e.n, e.errors, expected);
		failures++;
	}
	free(expected);
	expansion_free(&e);
}

static void test_registry(void)
{
	CHECK_STR(probe_provider_find("tracepoint")->name, "tracepoint");
	CHECK_STR(probe_provider_find("t")->name, "tracepoint");
	CHECK_STR(probe_provider_find("rt")->name, "rawtracepoint");
	CHECK_STR(probe_provider_find("i")->name, "interval");
	CHECK_STR(probe_provider_find("p")->name, "profile");
	CHECK_STR(probe_provider_find("begin")->name, "BEGIN");
	CHECK_STR(probe_provider_find("END")->name, "END");
	CHECK(probe_provider_find("k")->type == PT_KPROBE);
	CHECK(probe_provider_find("kr")->type == PT_KRETPROBE);
	CHECK(probe_provider_find("") == NULL);
	for (int t = 0; t < PT__COUNT; t++)
		CHECK(probe_provider_of((enum probe_type)t)->type == (enum probe_type)t);

	/* What args/argN mean: tracepoints have the `args` record, raw
	 * tracepoints arg0..arg5, the others neither. */
	const struct probe_provider *tp = probe_provider_of(PT_TRACEPOINT);
	CHECK(tp->args_type && tp->emit_args_member && !tp->emit_argn && tp->filter_self && tp->attach);
	const struct probe_provider *rt = probe_provider_of(PT_RAWTRACEPOINT);
	CHECK(rt->args_type && rt->emit_args_member && rt->emit_argn && rt->max_args == 6 && rt->filter_self);
	const struct probe_provider *begin = probe_provider_of(PT_BEGIN);
	CHECK(!begin->args_type && !begin->emit_argn && begin->max_args == 0 && !begin->attach);
	CHECK(!probe_provider_of(PT_END)->filter_self);
	const struct probe_provider *interval = probe_provider_of(PT_INTERVAL);
	CHECK(!interval->args_type && !interval->emit_argn && !interval->filter_self);
	const struct probe_provider *profile = probe_provider_of(PT_PROFILE);
	CHECK(!profile->args_type && !profile->emit_argn && profile->filter_self);

	struct rt_links l = { 0 };
	for (int i = 0; i < 20; i++)
		rt_links_add(&l, (struct bpf_link *)(uintptr_t)(i + 1));
	CHECK(l.n == 20 && l.links[19] == (struct bpf_link *)(uintptr_t)20);
	free(l.links);
}

static void test_begin_end(void)
{
	check_single("BEGIN", PT_BEGIN, "BEGIN", "", "raw_tp");
	check_single("begin", PT_BEGIN, "begin", "", "raw_tp"); /* named as written: probe prints it */
	check_single("END", PT_END, "END", "", "raw_tp");
	check_single("end", PT_END, "end", "", "raw_tp");
	check_error("BEGIN:x", "BEGIN takes no arguments");
}


/* Malformed tracepoint specs are rejected before tracefs is read. */
static void test_tracepoint_syntax(void)
{
	check_error("tracepoint:syscalls", "tracepoint needs a category and an event: tracepoint:CATEGORY:EVENT");
	check_error("tracepoint", "tracepoint needs a category and an event: tracepoint:CATEGORY:EVENT");
	check_error("tracepoint:a:b:c", "tracepoint needs a category and an event: tracepoint:CATEGORY:EVENT");
	check_error("t::x", "tracepoint needs a category and an event: tracepoint:CATEGORY:EVENT");
}

static void test_tracepoint(void)
{
	if (!have_tracefs())
		return;
	/* syscall tracepoints keep their names but are lowered to raw ones */
	check_single("tracepoint:syscalls:sys_enter_read", PT_TRACEPOINT,
		     "tracepoint:syscalls:sys_enter_read", "syscalls:sys_enter_read",
		     "raw_tracepoint/sys_enter");
	check_single("t:sched:sched_switch", PT_TRACEPOINT, "tracepoint:sched:sched_switch",
		     "sched:sched_switch", "tracepoint/sched/sched_switch");
	check_single("t:sche?:sched_switc[h]", PT_TRACEPOINT, "tracepoint:sched:sched_switch",
		     "sched:sched_switch", "tracepoint/sched/sched_switch");

	struct expansion e = expand("t:sched:sched_switch");
	CHECK(e.ret == 0 && e.n == 1 && e.t[0].format &&
	      tp_format_field(e.t[0].format, "prev_comm") != NULL);
	expansion_free(&e);

	/* The wildcard result is exactly the sorted directory listing. */
	const char *root = tracefs_path();
	CHECK(root != NULL);
	if (!root)
		return;
	char *pattern = xasprintf("%s/events/syscalls/sys_enter_read*", root);
	glob_t g;
	CHECK(glob(pattern, 0, NULL, &g) == 0);
	e = expand("tracepoint:syscalls:sys_enter_read*");
	CHECK(e.ret == 0);
	CHECK(e.n == (int)g.gl_pathc && e.n >= 3);
	for (int i = 0; i < e.n && i < (int)g.gl_pathc; i++) {
		char *want = xasprintf("syscalls:%s", strrchr(g.gl_pathv[i], '/') + 1);
		CHECK_STR(e.t[i].target, want);
		free(want);
		CHECK(e.t[i].format != NULL);
	}
	CHECK(e.n >= 1 && strcmp(e.t[0].target, "syscalls:sys_enter_read") == 0);
	globfree(&g);
	free(pattern);
	expansion_free(&e);

	/* Category wildcards: every CATEGORY:EVENT in sorted order. */
	e = expand("tracepoint:*:sys_exit_rea?");
	CHECK(e.ret == 0 && e.n == 1 && strcmp(e.t[0].name, "tracepoint:syscalls:sys_exit_read") == 0);
	expansion_free(&e);
	e = expand("tracepoint:sched*:*");
	CHECK(e.ret == 0 && e.n > 10);
	for (int i = 1; i < e.n; i++)
		CHECK(strcmp(e.t[i - 1].target, e.t[i].target) < 0);
	expansion_free(&e);

	check_error("tracepoint:nope:nope", "tracepoint 'nope:nope' not found");
	check_error("tracepoint:syscalls:nope*", "tracepoint 'syscalls:nope*' not found");
	check_error("tracepoint:../..:x", "tracepoint '../..:x' not found");
}

/* Which syscall tracepoints become raw tracepoint programs (syscalls.c). */
static void test_lowering(void)
{
	CHECK(probe_syscall_nr("read") == 0);
	CHECK(probe_syscall_nr("write") == 1);
	CHECK(probe_syscall_nr("getppid") == 110);
	CHECK(probe_syscall_nr("newstat") == -1);
	CHECK(probe_syscall_nr("") == -1);
	CHECK(probe_syscall_nr("zzz") == -1);
	if (!have_tracefs())
		return;

	struct { const char *spec; enum lower_kind kind; int nr; const char *section; } cases[] = {
		{ "t:syscalls:sys_enter_read", LOWER_SYS_ENTER, 0, "raw_tracepoint/sys_enter" },
		{ "t:syscalls:sys_exit_write", LOWER_SYS_EXIT, 1, "raw_tracepoint/sys_exit" },
		{ "t:syscalls:sys_enter_getppid", LOWER_SYS_ENTER, 110, "raw_tracepoint/sys_enter" },
		{ "t:raw_syscalls:sys_enter", LOWER_SYS_ENTER, -1, "raw_tracepoint/sys_enter" },
		{ "t:raw_syscalls:sys_exit", LOWER_SYS_EXIT, -1, "raw_tracepoint/sys_exit" },
		/* named after the function: __NR_stat's is sys_newstat */
		{ "t:syscalls:sys_enter_newstat", LOWER_SYS_ENTER, 4, "raw_tracepoint/sys_enter" },
		{ "t:syscalls:sys_exit_umount", LOWER_SYS_EXIT, 166, "raw_tracepoint/sys_exit" },
		{ "t:sched:sched_switch", LOWER_NONE, 0, "tracepoint/sched/sched_switch" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct expansion e = expand(cases[i].spec);
		CHECK(e.ret == 0 && e.n == 1);
		if (e.ret == 0 && e.n == 1) {
			CHECK(e.t[0].lower.kind == cases[i].kind);
			if (cases[i].kind != LOWER_NONE)
				CHECK(e.t[0].lower.nr == cases[i].nr);
			char *s = section_of(&e.t[0]);
			CHECK_STR(s, cases[i].section);
			free(s);
		}
		expansion_free(&e);
	}

	/* the syscall tracepoints of this kernel map to distinct numbers */
	struct expansion e = expand("t:syscalls:sys_enter_*");
	CHECK(e.ret == 0 && e.n > 300);
	int lowered = 0;
	for (int i = 0; i < e.n; i++) {
		if (e.t[i].lower.kind == LOWER_NONE)
			continue;
		lowered++;
		for (int j = 0; j < i; j++)
			if (e.t[j].lower.kind != LOWER_NONE && e.t[j].lower.nr == e.t[i].lower.nr) {
				fprintf(stderr, "%s and %s both lowered to syscall %d\n", e.t[i].name,
					e.t[j].name, e.t[i].lower.nr);
				failures++;
			}
	}
	CHECK(lowered > 300);
	expansion_free(&e);

	setenv("SONDE_RAW_LOWERING", "0", 1);
	e = expand("t:syscalls:sys_enter_read");
	CHECK(e.ret == 0 && e.n == 1 && e.t[0].lower.kind == LOWER_NONE);
	expansion_free(&e);
	e = expand("t:raw_syscalls:sys_enter");
	CHECK(e.ret == 0 && e.n == 1 && e.t[0].lower.kind == LOWER_NONE);
	expansion_free(&e);
	unsetenv("SONDE_RAW_LOWERING");
}


static void test_rawtracepoint(void)
{
	check_single("rawtracepoint:sys_enter", PT_RAWTRACEPOINT, "rawtracepoint:sys_enter",
		     "sys_enter", "raw_tracepoint/sys_enter");
	check_single("rt:sched_switch", PT_RAWTRACEPOINT, "rawtracepoint:sched_switch",
		     "sched_switch", "raw_tracepoint/sched_switch");
	check_single("rawtracepoint:vmlinux:sys_exit", PT_RAWTRACEPOINT, "rawtracepoint:sys_exit",
		     "sys_exit", "raw_tracepoint/sys_exit");
	/* A tracepoint with no trace event, known only from BTF. */
	check_single("rt:sched_update_nr_running_tp", PT_RAWTRACEPOINT,
		     "rawtracepoint:sched_update_nr_running_tp", "sched_update_nr_running_tp",
		     "raw_tracepoint/sched_update_nr_running_tp");
	check_error("rawtracepoint:nope_nope", "raw tracepoint 'nope_nope' not found");
	if (!have_tracefs())
		return; /* raw tracepoints and their suggestions come from tracefs */
	/* Syscall events are synthesised from sys_enter: not raw tracepoints. */
	check_error("rawtracepoint:sys_enter_read",
		    "raw tracepoint 'sys_enter_read' not found; did you mean 'tracepoint:syscalls:sys_enter_read'?");
	check_error("rawtracepoint:sched_swich",
		    "raw tracepoint 'sched_swich' not found; did you mean 'sched_switch'?");
	check_error("rawtracepoint:nosuch_*", "no raw tracepoint matches 'nosuch_*'");
	check_error("rawtracepoint", "rawtracepoint needs a tracepoint name: rawtracepoint[:MODULE]:NAME");
	check_error("rt:a-b", "rawtracepoint needs a tracepoint name: rawtracepoint[:MODULE]:NAME");
	check_error("rt:nosuchmod:sys_enter",
		    "kernel module 'nosuchmod' not found (it has no BTF in /sys/kernel/btf)");
}

static void check_timer(const char *text, enum probe_type type, const char *name,
			uint64_t period_ns, uint64_t freq_hz)
{
	check_single(text, type, name, strchr(name, ':') + 1, "perf_event");
	struct expansion e = expand(text);
	CHECK(e.n == 1 && e.t[0].period_ns == period_ns && e.t[0].freq_hz == freq_hz);
	expansion_free(&e);
}

static void test_timers(void)
{
	check_timer("interval:s:1", PT_INTERVAL, "interval:s:1", 1000000000ull, 0);
	check_timer("i:ms:100", PT_INTERVAL, "interval:ms:100", 100000000ull, 0);
	check_timer("interval:us:50", PT_INTERVAL, "interval:us:50", 50000ull, 0);
	check_timer("interval:ns:2500", PT_INTERVAL, "interval:ns:2500", 2500ull, 0);
	check_timer("interval:hz:99", PT_INTERVAL, "interval:hz:99", 0, 99);
	check_timer("interval:1s", PT_INTERVAL, "interval:s:1", 1000000000ull, 0);
	check_timer("interval:100ms", PT_INTERVAL, "interval:ms:100", 100000000ull, 0);
	check_timer("i:50us", PT_INTERVAL, "interval:us:50", 50000ull, 0);
	check_timer("profile:hz:99", PT_PROFILE, "profile:hz:99", 0, 99);
	check_timer("p:s:2", PT_PROFILE, "profile:s:2", 2000000000ull, 0);
	check_timer("profile:ms:10", PT_PROFILE, "profile:ms:10", 10000000ull, 0);
	check_timer("profile:us:500", PT_PROFILE, "profile:us:500", 500000ull, 0);
	check_timer("profile:10ms", PT_PROFILE, "profile:ms:10", 10000000ull, 0);
	check_timer("p:99hz", PT_PROFILE, "profile:hz:99", 0, 99);
	/* counts are integer literals as in expressions (and bpftrace) */
	check_timer("interval:s:1e3", PT_INTERVAL, "interval:s:1000", 1000000000000ull, 0);
	check_timer("interval:ms:1_500", PT_INTERVAL, "interval:ms:1500", 1500000000ull, 0);
	check_timer("interval:2e3ms", PT_INTERVAL, "interval:ms:2000", 2000000000ull, 0);
	check_timer("profile:1_000hz", PT_PROFILE, "profile:hz:1000", 0, 1000);

	const char *need_unit =
		"interval needs a unit: interval:s:N, interval:ms:N, interval:us:N, interval:hz:N";
	check_error("interval", need_unit);
	check_error("interval:1", need_unit);
	check_error("profile:99",
		    "profile needs a unit: profile:s:N, profile:ms:N, profile:us:N, profile:hz:N");
	check_error("interval:s:0", "invalid rate '0' (expected a positive integer)");
	check_error("interval:s:x", "invalid rate 'x' (expected a positive integer)");
	check_error("interval:s:", "invalid rate '' (expected a positive integer)");
	check_error("interval:s:-1", "invalid rate '-1' (expected a positive integer)");
	check_error("interval:s:1:2", "invalid rate '1:2' (expected a positive integer)");
	check_error("interval:ms", "invalid rate 'ms' (expected a positive integer)");
	check_error("interval:m:1", "unknown unit 'm' in interval probe (expected s, ms, us, ns or hz)");
	check_error("profile:10min", "unknown unit 'min' in profile probe (expected s, ms, us, ns or hz)");
	check_error("interval:s:99999999999999", "rate '99999999999999' is too large");
	check_error("interval:s:1e20", "rate '1e20' is too large");
	check_error("interval:s:1_", "invalid rate '1_' (expected a positive integer)");
	check_error("interval:s:5s", "invalid rate '5s' (expected a positive integer)");
}

/* "0-3,5\n" -> 0 1 2 3 5 (as text, for the message), or "error". */
static void check_cpu_list(const char *list, const char *want)
{
	int *cpus;
	int n = probe_parse_cpu_list(list, &cpus);
	char got[8192] = "";
	if (n < 0)
		snprintf(got, sizeof(got), "error");
	for (int i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%d", i ? " " : "", cpus[i]);
	CHECKF(strcmp(got, want) == 0, "cpu list '%s': got '%s', want '%s'", list, got, want);
	free(cpus);
}

/* profile attaches on every online CPU: however many the list names, with
 * no fixed cap (it was 4,096). */
static void test_cpu_lists(void)
{
	check_cpu_list("0\n", "0");
	check_cpu_list("0-3,5\n", "0 1 2 3 5");
	check_cpu_list("2,4-5", "2 4 5");
	check_cpu_list("", "error");
	check_cpu_list("x", "error");
	check_cpu_list("3-1", "error");
	check_cpu_list("0-", "error");
	check_cpu_list("1;2", "error");
	int *cpus;
	CHECK(probe_parse_cpu_list("0-8191\n", &cpus) == 8192 && cpus[8191] == 8191);
	free(cpus);
}

static void test_unknown_type(void)
{
	check_error("foo:bar", "unknown probe type 'foo'");
	check_error("Begin", "unknown probe type 'Begin'; did you mean 'BEGIN'?");
	check_error("kprob:do_sys_open", "unknown probe type 'kprob'; did you mean 'kprobe'?");
	check_error("tracepiont:syscalls:sys_enter_read",
		    "unknown probe type 'tracepiont'; did you mean 'tracepoint'?");
	check_error("bench:one", "probe type 'bench' is not supported by sonde yet");
	CHECK_STR(probe_provider_find("U")->name, "usdt");
	check_error("ur:/no/such/binary:f", "uretprobe: cannot find '/no/such/binary': No such file or directory");
	/* "tracepoint:" left out, with or without a typo in the category:
	 * the suggestion comes from tracefs */
	if (!have_tracefs())
		return;
	check_error("syscalls:sys_enter_read",
		    "unknown probe type 'syscalls'; did you mean 'tracepoint:syscalls:sys_enter_read'?");
	check_error("syscals:sys_enter_read",
		    "unknown probe type 'syscals'; did you mean 'tracepoint:syscalls:sys_enter_read'?");
	check_error("sched:sched_swich",
		    "unknown probe type 'sched'; did you mean 'tracepoint:sched:sched_switch'?");
}

/* software/hardware: name as written, the event's canonical name as the
 * target, the sample period in period_ns (the count, or bpftrace's
 * default for the event). */
static void check_period(const char *text, const char *name, const char *target, uint64_t period)
{
	struct expansion e = expand(text);
	CHECKF(e.ret == 0 && e.n == 1, "%s: %s", text, e.errors);
	if (e.ret == 0 && e.n == 1) {
		CHECK_STR(e.t[0].name, name);
		CHECK_STR(e.t[0].target, target);
		CHECKF(e.t[0].period_ns == period, "%s: period %llu", text,
		       (unsigned long long)e.t[0].period_ns);
	}
	expansion_free(&e);
}

static void test_perf_events(void)
{
	check_period("software:page-faults:1", "software:page-faults:1", "page-faults", 1);
	check_period("s:faults", "software:faults", "page-faults", 100);
	check_period("software:cs", "software:cs", "context-switches", 1000);
	check_period("software:cpu:5", "software:cpu:5", "cpu-clock", 5);
	check_period("software:cpu-clock", "software:cpu-clock", "cpu-clock", 1000000);
	check_period("software:major-faults", "software:major-faults", "major-faults", 1);
	check_period("software:minor-faults:0", "software:minor-faults", "minor-faults", 100);
	check_period("software:bpf-output", "software:bpf-output", "bpf-output", 1);
	check_period("h:cycles", "hardware:cycles", "cpu-cycles", 1000000);
	check_period("hardware:branches:1000", "hardware:branches:1000", "branch-instructions", 1000);
	check_period("hardware:bus-cycles", "hardware:bus-cycles", "bus-cycles", 100000);
	check_error("software:page-fault", "page-fault is not a software probe; did you mean 'page-faults'?");
	check_error("software:faults:-1",
		    "invalid count for software probe: '-1' (expected a positive integer)");
	check_error("hardware:*", "wildcards are not allowed for hardware probe type");

	check_single("watchpoint:0x1000:8:wr", PT_WATCHPOINT, "watchpoint:4096:8:rw",
		     "addr=4096 len=8 mode=rw", "perf_event");
	check_single("aw:4096:4:x", PT_ASYNCWATCHPOINT, "asyncwatchpoint:4096:4:x",
		     "addr=4096 len=4 mode=x", "perf_event");
	check_error("w:0x1000:8:rwx", "invalid watchpoint mode: rwx (supported modes on x86-64: rw, w, x)");
	check_error("w:0x1000:16:w", "watchpoint length must be one of (1,2,4,8)");
	check_error("w:0x1000:8:q", "watchpoint mode must be combination of (r,w,x)");

	if (!kbtf_available())
		return;
	check_single("iter:task", PT_ITER, "iter:task", "task", "iter/task");
	check_single("it:task_file", PT_ITER, "iter:task_file", "task_file", "iter/task_file");
	check_error("iter:tsak", "iter tsak not available for your kernel version; did you mean 'task'?");
	/* bpf_iter__task__safe_trusted is the verifier's, not an iterator */
	check_error("iter:task__safe_trusted",
		    "iter task__safe_trusted not available for your kernel version.");
}

/* What provider `name`'s -l hook prints for pattern. */
static char *listed(const char *name, const char *pattern, bool verbose, int *count)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct probe_list_request req = { .pattern = pattern, .verbose = verbose, .out = out };
	const struct probe_provider *p = probe_provider_find(name);
	*count = p && p->list ? p->list(p, &req) : -2;
	fclose(out);
	return text;
}

static void check_list(const char *name, const char *pattern, const char *expected)
{
	int n;
	char *text = listed(name, pattern, false, &n);
	CHECK_STR(text, expected);
	int lines = 0;
	for (const char *c = expected; *c; c++)
		lines += *c == '\n';
	CHECKF(n == lines, "%s -l %s: returned %d", name, pattern, n);
	free(text);
}

static void test_lists(void)
{
	check_list("software", "*",
		   "software:alignment-faults:\nsoftware:bpf-output:\nsoftware:context-switches:\n"
		   "software:cpu-clock:\nsoftware:cpu-migrations:\nsoftware:cpu:\nsoftware:cs:\n"
		   "software:dummy:\nsoftware:emulation-faults:\nsoftware:faults:\n"
		   "software:major-faults:\nsoftware:minor-faults:\nsoftware:page-faults:\n"
		   "software:task-clock:\n");
	check_list("s", "*faults", "software:alignment-faults:\nsoftware:emulation-faults:\nsoftware:faults:\n"
				   "software:major-faults:\nsoftware:minor-faults:\nsoftware:page-faults:\n");
	check_list("hardware", "c*",
		   "hardware:cache-misses:\nhardware:cache-references:\nhardware:cpu-cycles:\nhardware:cycles:\n");
	check_list("self", "*", "self:signal:SIGUSR1\n");
	check_list("self", "timer*", "");
	if (!kbtf_available())
		return;
	check_list("iter", "task*", "iter:task\niter:task_file\niter:task_vma\n");
	int n;
	char *text = listed("iter", "task_file", true, &n);
	CHECK_STR(text, "iter:task_file\n    struct task_struct * task\n    u32 fd\n    struct file * file\n");
	free(text);
}

static int count_errors(const char *text)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, ": error: ")); p++)
		n++;
	return n;
}

/* Every probe type bpftrace documents, by name and by alias, is either
 * one sonde implements or says it is not supported yet: never "unknown".
 * Holds as sonde gains probe types and as the language table grows. */
static void test_every_bpftrace_probe_type(void)
{
	for (int i = 0; i < lang_nprobe_types; i++) {
		const struct lang_probe_type *t = &lang_probe_types[i];
		const char *names[4] = { t->name, t->aliases[0], t->aliases[1], t->aliases[2] };
		for (int k = 0; k < 4 && names[k]; k++) {
			if (probe_provider_find(names[k]))
				continue;
			char *text = xasprintf("%s:x", names[k]);
			struct expansion e = expand(text);
			CHECKF(e.ret == -1 && count_errors(e.errors) == 1 &&
				       strstr(e.errors, "is not supported by sonde yet"),
			       "%s: %s", text, e.errors);
			expansion_free(&e);
			free(text);
		}
	}
}

/* Tracepoint typos: the closest real tracepoint is suggested. */
static void test_tracepoint_suggestions(void)
{
	if (!have_tracefs())
		return;
	check_error("tracepoint:syscals:sys_enter_read",
		    "tracepoint 'syscals:sys_enter_read' not found; did you mean 'syscalls:sys_enter_read'?");
	check_error("tracepoint:syscalls:sys_enter_opnat",
		    "tracepoint 'syscalls:sys_enter_opnat' not found; did you mean 'syscalls:sys_enter_openat'?");
	check_error("t:syscalls:sys_enter_oepnat",
		    "tracepoint 'syscalls:sys_enter_oepnat' not found; did you mean 'syscalls:sys_enter_openat'?");
	/* the event exists, under another category */
	check_error("tracepoint:sched:sys_enter_read",
		    "tracepoint 'sched:sys_enter_read' not found; did you mean 'syscalls:sys_enter_read'?");
	/* a wildcard event keeps its pattern; only the category is corrected */
	check_error("tracepoint:syscals:sys_enter_*",
		    "tracepoint 'syscals:sys_enter_*' not found; did you mean 'syscalls:sys_enter_*'?");
	char *near = tracepoint_closest("syscalls", "sys_enter_read");
	CHECK_STR(near, "syscalls:sys_enter_read"); /* an existing one is itself */
	free(near);
	CHECK(tracepoint_closest("syscalls", "xyzzy_nothing_like_it") == NULL);
	CHECK(tracepoint_closest("sys*", "sys_enter_read") == NULL);
}

static void test_formats(void)
{
	if (!have_tracefs())
		return;
	const struct tp_format *f = tp_format_get("syscalls", "sys_exit_read");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(tp_format_get("syscalls", "sys_exit_read") == f); /* cached */
	CHECK_STR(f->category, "syscalls");
	CHECK_STR(f->event, "sys_exit_read");
	CHECK(tp_format_field(f, "common_pid") == NULL);
	const struct tp_field *ret = tp_format_field(f, "ret");
	CHECK(ret && ret->offset == 16 && ret->size == 8 && ret->is_signed && !ret->is_string &&
	      !ret->is_pointer && ret->array_len == 0);
	const struct tp_field *nr = tp_format_field(f, "__syscall_nr");
	CHECK(nr && nr->offset == 8 && nr->size == 4 && nr->is_signed);
	CHECK(f->nfields == 2);

	f = tp_format_get("sched", "sched_switch");
	CHECK(f != NULL);
	const struct tp_field *comm = tp_format_field(f, "prev_comm");
	CHECK(comm && comm->is_string && comm->size == 16 && comm->array_len == 16 &&
	      comm->offset == 8 && !comm->is_signed);
	const struct tp_field *pid = tp_format_field(f, "next_pid");
	CHECK(pid && pid->offset == 56 && pid->size == 4 && pid->is_signed && !pid->is_string);
	CHECK(tp_format_field(f, "nope") == NULL);

	f = tp_format_get("syscalls", "sys_enter_openat");
	const struct tp_field *filename = tp_format_field(f, "filename");
	CHECK(filename && filename->is_pointer && filename->size == 8 && !filename->is_signed &&
	      !filename->is_string);
	f = tp_format_get("raw_syscalls", "sys_enter");
	const struct tp_field *args = tp_format_field(f, "args");
	CHECK(args && args->array_len == 6 && args->size == 48 && !args->is_string);

	f = tp_format_get("sched", "sched_process_exec");
	const struct tp_field *dl = tp_format_field(f, "filename");
	CHECK(dl && dl->is_data_loc && dl->is_string && dl->size == 4);

	CHECK(tp_format_get("nope", "nope") == NULL);
	CHECK(tp_format_get("..", "sched") == NULL);
	tp_format_cache_free();
	f = tp_format_get("syscalls", "sys_exit_read");
	CHECK(f && tp_format_field(f, "ret") != NULL);
	tp_format_cache_free();
	tp_format_cache_free(); /* twice is harmless */
}

/* fentry/fexit (kfunc/kretfunc, f/fr) and lsm: functions and hooks from
 * kernel BTF; names carry the module as latest bpftrace prints them. */
static void test_fentry_lsm(void)
{
	if (!kbtf_available())
		return;
	check_single("f:vfs_read", PT_FENTRY, "fentry:vmlinux:vfs_read", "vmlinux:vfs_read", "fentry/vfs_read");
	check_single("kfunc:vmlinux:vfs_read", PT_FENTRY, "fentry:vmlinux:vfs_read", "vmlinux:vfs_read",
		     "fentry/vfs_read");
	check_single("kretfunc:vfs_write", PT_FEXIT, "fexit:vmlinux:vfs_write", "vmlinux:vfs_write",
		     "fexit/vfs_write");
	check_single("fr:vfs_read", PT_FEXIT, "fexit:vmlinux:vfs_read", "vmlinux:vfs_read", "fexit/vfs_read");
	check_single("lsm:file_open", PT_LSM, "lsm:file_open", "file_open", "lsm/file_open");
	check_error("fentry:vfs_reed", "fentry: no function 'vfs_reed' in the kernel's BTF; did you mean 'vfs_read'?");
	check_error("fexit:no_such_module_xyz:vfs_read",
		    "kernel module 'no_such_module_xyz' not found (it has no BTF in /sys/kernel/btf)");
	check_error("fentry:a:b:c", "fentry takes 1 or 2 arguments: fentry[:MODULE]:FUNCTION");
	check_error("fentry:vmlinux:no_such_fn_*", "fentry: no kernel function matches 'vmlinux:no_such_fn_*'");
	check_error("lsm:file_opn", "unknown LSM hook 'file_opn'; did you mean 'file_open'?");
	check_error("lsm:a:b", "lsm takes 1 argument: lsm:HOOK (e.g. lsm:file_open)");
	/* wildcards: one target per function, in BTF order, none twice */
	struct expansion e = expand("fentry:vfs_rea*");
	CHECKF(e.ret == 0 && e.n >= 2, "fentry:vfs_rea*: %d targets %s", e.n, e.errors);
	bool read = false;
	for (int i = 0; i < e.n; i++) {
		read |= strcmp(e.t[i].name, "fentry:vmlinux:vfs_read") == 0;
		for (int j = 0; j < i; j++)
			CHECKF(strcmp(e.t[i].name, e.t[j].name) != 0, "%s twice", e.t[i].name);
	}
	CHECK(read);
	expansion_free(&e);
	e = expand("lsm:file_*");
	CHECKF(e.ret == 0 && e.n >= 5, "lsm:file_*: %d targets %s", e.n, e.errors);
	expansion_free(&e);
}

int main(void)
{
	test_registry();
	test_begin_end();
	test_tracepoint_syntax();
	test_tracepoint();
	test_lowering();
	test_rawtracepoint();
	test_timers();
	test_perf_events();
	test_lists();
	test_cpu_lists();
	test_unknown_type();
	test_every_bpftrace_probe_type();
	test_tracepoint_suggestions();
	test_formats();
	test_fentry_lsm();
	tp_format_cache_free();
	if (failures) {
		fprintf(stderr, "test_probes: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_probes: ok\n");
	return 0;
}
