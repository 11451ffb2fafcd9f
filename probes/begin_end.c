/* begin_end.c - the BEGIN and END probes (also spelled begin / end).
 *
 * They have no kernel event: each is a raw tracepoint program that the
 * runtime runs exactly once with bpf_prog_test_run_opts(), BEGIN before the
 * other probes are attached and END after they are detached. Raw tracepoint
 * is the type because tracepoint programs cannot be test-run. The bare
 * "raw_tp" section makes libbpf load the program as
 * BPF_PROG_TYPE_RAW_TRACEPOINT without any attach target. */
#include <string.h>

#include "ast.h"
#include "probe.h"

static int expand_once(const char *name, enum probe_type type, const char *spec, srcloc loc,
		       struct diag *d, struct probe_target **out, int *n)
{
	if (*spec) {
		diag_error(d, loc, "%s takes no arguments", name);
		return -1;
	}
	struct probe_target *t = probe_target_push(out, n);
	t->type = type;
	t->name = xstrdup(name);
	t->target = xstrdup("");
	return 0;
}

static int begin_expand(const char *spec, srcloc loc, struct diag *d,
			struct probe_target **out, int *n)
{
	return expand_once("BEGIN", PT_BEGIN, spec, loc, d, out, n);
}

static int end_expand(const char *spec, srcloc loc, struct diag *d,
		      struct probe_target **out, int *n)
{
	return expand_once("END", PT_END, spec, loc, d, out, n);
}

static char *run_once_section(const struct probe_target *t)
{
	(void)t;
	return xstrdup("raw_tp");
}

const struct probe_provider probe_begin = {
	.name = "BEGIN",
	.aliases = { "begin", NULL },
	.type = PT_BEGIN,
	.filter_self = false,
	.max_args = 0,
	.expand = begin_expand,
	.section = run_once_section,
	.attach = NULL,
};

const struct probe_provider probe_end = {
	.name = "END",
	.aliases = { "end", NULL },
	.type = PT_END,
	.filter_self = false,
	.max_args = 0,
	.expand = end_expand,
	.section = run_once_section,
	.attach = NULL,
};
