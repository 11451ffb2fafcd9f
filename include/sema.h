/* sema.h - semantic analysis (sema/).
 *
 * Resolves every name, decides every type, infers each map's key and value
 * types and kind from all its uses across probes (they must agree), expands
 * attach points into concrete targets and groups the probes that share one,
 * and builds the runtime description (maps, printf layouts, programs). After
 * a successful sema, codegen never guesses. */
#ifndef SONDE_SEMA_H
#define SONDE_SEMA_H

#include "ast.h"
#include "desc.h"
#include "probe.h"

/* One BPF program to generate: every script probe action attached to one
 * concrete target, in script order. groups[i] corresponds to desc->probes[i].
 * Exception: lowered groups (target.lower.kind != LOWER_NONE) with the same
 * prog_name are emitted together as one raw tracepoint program that
 * dispatches on the syscall number (codegen/lower.c). */
struct prog_group {
	struct probe_target target;           /* owned */
	const struct probe_provider *prov;
	struct probe **actions;               /* owned array; probes owned by the program */
	int nactions;
	char *prog_name;                      /* owned; == desc->probes[i].prog_name */
};

struct sema_options {
	char **positional;    /* $1..$N as given after the script */
	int npositional;
	int max_probes;       /* attach points allowed; 0 = SEMA_DEFAULT_MAX_PROBES */
	int max_programs;     /* BPF programs allowed; 0 = SEMA_DEFAULT_MAX_PROGRAMS */
};

/* Each program costs LLVM ~2 ms to compile and the kernel a load and an
 * attach; far beyond this a script is a wildcard that matched much more
 * than meant (tracepoint:*:* is ~2,000 events). bpftrace's defaults of
 * max_probes and max_bpf_progs, which BPFTRACE_MAX_PROBES and
 * BPFTRACE_MAX_BPF_PROGS change. */
#define SEMA_DEFAULT_MAX_PROBES 1024
#define SEMA_DEFAULT_MAX_PROGRAMS 1024

struct sema_result {
	struct prog_group *groups;
	int ngroups;
	struct desc *desc;    /* owned until handed to struct compiled */
};

/* Returns 0, or -1 after reporting every error found through d. */
int sema_analyze(struct program *p, const struct sema_options *opt, struct diag *d,
		 struct sema_result *out);
void sema_result_free(struct sema_result *r);

#endif
