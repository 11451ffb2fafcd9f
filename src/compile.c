/* compile.c - the compile half of the pipeline: source to ELF + description.
 * Kept apart from main.c so an interactive mode can compile one script
 * after another in the same process. */
#include "sonde.h"

int sonde_compile(struct source *src, const struct compile_options *o, FILE *diag_out,
		  struct compiled *out)
{
	struct diag d;
	diag_init(&d, src, diag_out);
	struct program *prog = parse_program(src, &d);
	if (d.errors) {
		ast_free_program(prog);
		return -1;
	}
	if (o->dump & DUMP_AST)
		ast_dump(o->dump_out, prog, false);

	struct sema_options so = { .positional = o->positional, .npositional = o->npositional,
				   .max_probes = (int)o->max_probes,
				   .max_programs = (int)o->max_programs, .unsafe = o->unsafe };
	struct sema_result sr = { 0 };
	int rc = sema_analyze(prog, &so, &d, &sr);
	if (rc == 0 && (o->dump & DUMP_TYPES))
		ast_dump(o->dump_out, prog, true);
	if (rc == 0) {
		struct cg_options co = {
			.opt_level = 2,
			.dump_ir = (o->dump & DUMP_LLVM) ? o->dump_out : NULL,
			.dump_asm = (o->dump & DUMP_BPF) ? o->dump_out : NULL,
			.emit_llvm_path = o->emit_llvm_path,
			.emit_elf_path = o->emit_elf_path,
		};
		rc = cg_compile(prog, &sr, &co, &d, out);
		/* after codegen: anything that loaded kernel BTF has done so */
		if (rc == 0)
			desc_note_kernel(out->desc);
	}
	sema_result_free(&sr);
	ast_free_program(prog);
	return rc == 0 && d.errors == 0 ? 0 : -1;
}
