/* codegen.h - lowering a checked program to a BPF ELF object with the LLVM C API.
 *
 * One LLVM module per script: BTF-defined maps in ".maps", the rt_config
 * global in ".rodata", one function per prog_group in its libbpf section, full
 * debug info so that the object carries BTF and line info (verifier messages
 * then name script lines). The object is emitted to memory. */
#ifndef SONDE_CODEGEN_H
#define SONDE_CODEGEN_H

#include <stdio.h>

#include "ast.h"
#include "desc.h"
#include "sema.h"

struct cg_options {
	int opt_level;      /* 0..3, default 2 */
	FILE *dump_ir;      /* -d llvm: optimised IR */
	FILE *dump_asm;     /* -d bpf: BPF assembly */
	const char *emit_llvm_path; /* --emit-llvm FILE */
	const char *emit_elf_path;  /* --emit-elf FILE */
	/* bpftrace's settings (config block, BPFTRACE_*) */
	const char *license;        /* the programs' license; NULL = "GPL" */
	bool stack_limit_set;       /* on_stack_limit given: */
	uint32_t on_stack_limit;    /* values larger than this go to scratch memory */
	/* -k: a failed probe_read helper sends a warning with its location */
	bool helper_errors;
};

/* Compile; on success moves r->desc into out->desc (r->desc becomes NULL)
 * and returns 0. On failure reports through d and returns -1. */
int cg_compile(struct program *p, struct sema_result *r, const struct cg_options *o,
	       struct diag *d, struct compiled *out);

#endif
