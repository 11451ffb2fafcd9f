/* sonde.h - the whole pipeline on one screen.
 *
 *   source ──lexer/parser──▶ AST ──sema──▶ typed AST + desc ──codegen──▶ ELF
 *   ELF + desc ──runtime──▶ load, attach, event loop, maps printed on exit
 *
 * Each stage has its folder and its header:
 *   diag.h      src/diag.c       source text and file:line:col diagnostics
 *   ast.h       parser/ast.c     nodes, types, maps and variables
 *   frontend.h  lexer/ parser/   flex scanner and bison parser
 *   probe.h     probes/          one file per probe type
 *   builtins.h  stdlib/          builtins, functions, aggregations (tables)
 *   sema.h      sema/            names, types, map inference, grouping
 *   codegen.h   codegen/         LLVM C API lowering to a BPF object
 *   desc.h                       what travels with the object to the runtime
 *   runtime.h   runtime/         libbpf load/attach, ring buffer, printing
 */
#ifndef SONDE_SONDE_H
#define SONDE_SONDE_H

#include "ast.h"
#include "codegen.h"
#include "config.h"
#include "desc.h"
#include "diag.h"
#include "frontend.h"
#include "named_params.h"
#include "probe.h"
#include "runtime.h"
#include "sema.h"
#include "builtins.h"

#define SONDE_VERSION "0.1.0"

/* Which intermediate stages to print (-d). */
enum dump_stage {
	DUMP_AST = 1 << 0,
	DUMP_TYPES = 1 << 1,
	DUMP_LLVM = 1 << 2,
	DUMP_BPF = 1 << 3,
};

struct compile_options {
	unsigned dump;              /* enum dump_stage bits, printed to dump_out */
	FILE *dump_out;
	char **positional;
	int npositional;
	char **named;               /* "--name[=value]" after "--": getopt()'s */
	int nnamed;
	const char *emit_llvm_path;
	const char *emit_elf_path;
	/* bpftrace's settings (src/main.c reads them from the environment) */
	uint32_t max_probes;        /* BPFTRACE_MAX_PROBES, at most INT32_MAX; 0 = default (sema.h) */
	uint32_t max_programs;      /* BPFTRACE_MAX_BPF_PROGS, likewise */
	/* --probe-filter: only attach points whose full name matches (BEGIN and
	 * END always run); NULL = all */
	const regex_t *probe_filter;
	bool no_warnings;           /* --no-warnings */
	bool unsafe;                /* --unsafe: allow signal() */
	bool helper_errors;         /* -k (-kk): warn when a probe_read, a map lookup or delete fails */
	/* the settings from the environment (NULL: none); the script's config
	 * block is added to it, so the caller sees the run-time ones */
	struct sonde_config *config;
};

/* Parse, check and compile one script (src/compile.c). Errors are reported
 * on `diag_out` (stderr) and -1 returned; nothing is loaded. */
int sonde_compile(struct source *src, const struct compile_options *o, FILE *diag_out,
		  struct compiled *out);
/* The run-time settings of the environment and the config block (0: the
 * default, or what the object was compiled with), for rt_run(). */
void sonde_run_settings(const struct sonde_config *cfg, struct rt_options *rt);

#endif
