/* compile.c - the compile half of the pipeline: source to ELF + description.
 * Kept apart from main.c so an interactive mode can compile one script
 * after another in the same process. */
#include "sonde.h"

int sonde_compile(struct source *src, const struct compile_options *o, FILE *diag_out,
		  struct compiled *out)
{
	struct diag d;
	diag_init(&d, src, diag_out);
	d.no_warnings = o->no_warnings;
	struct program *prog = parse_program(src, &d);
	if (d.errors) {
		ast_free_program(prog);
		return -1;
	}
	if (o->dump & DUMP_AST)
		ast_dump(o->dump_out, prog, false);

	if (named_params_resolve(prog, o->named, o->nnamed, &d) < 0) {
		ast_free_program(prog);
		return -1;
	}

	/* without the caller's settings, the environment's */
	struct sonde_config local = { 0 };
	struct sonde_config *cfg = o->config ? o->config : &local;
	if ((!o->config && config_read_env(&local, diag_out) < 0) ||
	    config_apply_script(cfg, prog->config, &d) < 0) {
		config_free(&local);
		ast_free_program(prog);
		return -1;
	}
	uint64_t max_probes = config_get(cfg, CFG_MAX_PROBES);
	uint64_t max_programs = config_get(cfg, CFG_MAX_BPF_PROGS);
	struct sema_options so = { .positional = o->positional, .npositional = o->npositional,
				   .max_probes = (int)(max_probes ? max_probes : o->max_probes),
				   .max_programs = (int)(max_programs ? max_programs : o->max_programs),
				   .max_strlen = (uint32_t)config_get(cfg, CFG_MAX_STRLEN),
				   .stack_mode = (unsigned)config_get(cfg, CFG_STACK_MODE),
				   .missing_probes = (unsigned)config_get(cfg, CFG_MISSING_PROBES),
				   .probe_filter = o->probe_filter,
				   .config = cfg,
				   .unsafe = o->unsafe };
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
			.license = cfg->text[CFG_LICENSE],
			.stack_limit_set = cfg->set[CFG_ON_STACK_LIMIT],
			.on_stack_limit = (uint32_t)config_get(cfg, CFG_ON_STACK_LIMIT),
			.helper_errors = o->helper_errors,
		};
		rc = cg_compile(prog, &sr, &co, &d, out);
		/* after codegen: anything that loaded kernel BTF has done so */
		if (rc == 0)
			desc_note_kernel(out->desc);
	}
	config_free(&local); /* after codegen: it holds the license text */
	sema_result_free(&sr);
	ast_free_program(prog);
	return rc == 0 && d.errors == 0 ? 0 : -1;
}

void sonde_run_settings(const struct sonde_config *cfg, struct rt_options *rt)
{
	rt->max_map_keys = (uint32_t)config_get(cfg, CFG_MAX_MAP_KEYS);
	rt->ringbuf_pages = (uint32_t)config_get(cfg, CFG_PERF_RB_PAGES);
	rt->log_size = (uint32_t)config_get(cfg, CFG_LOG_SIZE);
	rt->no_maps_at_exit = cfg->set[CFG_PRINT_MAPS_ON_EXIT] && !config_get(cfg, CFG_PRINT_MAPS_ON_EXIT);
	rt->max_cat_bytes = (uint32_t)config_get(cfg, CFG_MAX_CAT_BYTES);
	if (cfg->set[CFG_STR_TRUNC_TRAILER])
		rt_set_str_trunc_trailer(cfg->text[CFG_STR_TRUNC_TRAILER]);
}
