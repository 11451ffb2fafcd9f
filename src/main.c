/* main.c - the sonde command line (bpftrace's flags and behaviour).
 *
 *   sonde [options] FILE [args...]      sonde [options] - [args...]
 *   sonde [options] -e 'program' [args...]
 *
 * Compiles the script (src/compile.c) and hands the object to the runtime. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "help.h"
#include "import.h"
#include "info.h"
#include "list.h"
#include "shell.h"
#include "probe.h"
#include "sonde.h"
#include "timing.h"
#include "usyms.h"

struct cli {
	const char *program_text;  /* -e */
	const char *script_path;   /* FILE or - */
	const char *output_path;   /* -o */
	bool listing;              /* -l */
	bool interactive;          /* -i, or no program on a terminal: the shell */
	const char *list_pattern;  /* -l PATTERN */
	regex_t probe_filter;      /* --probe-filter, compiled when co.probe_filter is set */
	const char *probe_filter_text;
	bool no_cache;             /* --no-cache (or SONDE_NO_CACHE) */
	const char *aot_path;      /* --aot OUT */
	struct rt_options rt;
	struct compile_options co;
	struct sonde_config config;
	char **positional;
	int npositional;
	char **named;  /* "--name[=value]" after "--" (owned array, borrowed strings) */
	int nnamed;
	char **includes; /* --include NAME (owned array, borrowed strings) */
	int nincludes;
	char *metrics_owned; /* the config block's `metrics` (the config is freed before the run) */
};

static void usage(FILE *out)
{
	fputs("USAGE:\n"
	      "    sonde [options] filename [args...]\n"
	      "    sonde [options] - [args...]          (program from standard input)\n"
	      "    sonde [options] -e 'program' [args...]\n"
	      "    sonde [-i]                           (the interactive shell, on a terminal)\n"
	      "    sonde -l [-v] ['pattern']            (list probes; with -e or a file:\n"
	      "                                          the probes of that program)\n"
	      "\n"
	      "OPTIONS:\n"
	      "    -e 'program'     execute this program\n"
	      "    -i, --interactive\n"
	      "                     the shell: type probes, run them until Ctrl-C, again\n"
	      "    -c, --cmd 'CMD'  run CMD and trace until it exits (cpid is its pid)\n"
	      "    -p, --pid PID    trace only events of process PID, until it exits\n"
	      "    -l, --list       list probes matching a pattern (TYPE:...; * is a\n"
	      "                     wildcard), or those the program would attach;\n"
	      "                     with -v, their arguments too\n"
	      "    -o, --output FILE\n"
	      "                     write the program's output to FILE\n"
	      "    -f FORMAT        output format: text (the default) or json (one JSON\n"
	      "                     object per line, as bpftrace's -f json)\n"
	      "    -q, --quiet      quiet: no \"Attaching N probes...\" line\n"
	      "    -v, --verbose    verbose: what is loaded and attached\n"
	      "    --no-warnings    do not print warnings\n"
	      "    --probe-filter REGEX\n"
	      "                     attach only the probes whose full name matches REGEX\n"
	      "                     (an extended regular expression; BEGIN and END always run)\n"
	      "    -d STAGE         print a compiler stage: ast, types, llvm, bpf, all\n"
	      "    --emit-llvm FILE write the LLVM IR to FILE\n"
	      "    --emit-elf FILE  write the BPF object to FILE and exit (nothing is loaded)\n"
	      "    --dry-run        compile, load and attach, then exit\n"
	      "    --no-cache       compile even when the script's compiled form is cached\n"
	      "                     (also SONDE_NO_CACHE=1; SONDE_CACHE_MAX_SIZE bounds the\n"
	      "                     cache, default 256M, least recently used entries go first)\n"
	      "    --aot OUT        write the compiled script to OUT and exit; `sonde OUT`\n"
	      "                     runs it without compiling\n"
	      "    --unsafe         allow functions that act on the system (signal)\n"
	      "    -k               warn, with the script's location, when a probe_read\n"
	      "                     helper fails, a map read finds no key or delete()\n"
	      "                     finds nothing (-kk, bpftrace 0.17's spelling, too)\n"
	      "    --usdt-file-activation\n"
	      "                     accepted for bpftrace's sake: USDT semaphores are always\n"
	      "                     set, by the kernel, in every process that maps the binary\n"
	      "    --include FILE   read header FILE before the script (#include <FILE>; a path\n"
	      "                     that exists, as #include \"FILE\")\n"
	      "    --metrics [ADDR:]PORT\n"
	      "                     serve the maps at http://ADDR:PORT/metrics for Prometheus\n"
	      "                     while the script runs (ADDR: 127.0.0.1 unless given)\n"
	      "    --help-topic NAME\n"
	      "                     help on a builtin, function, aggregation or probe type\n"
	      "                     (no NAME: the list of topics); man sonde has them all\n"
	      "    --info           the system, build and kernel features, and which probe\n"
	      "                     types work on this machine (and why not)\n"
	      "    -h, --help       show this help\n"
	      "    -V, --version    show the version\n"
	      "    --               end of options; what follows are positional\n"
	      "                     parameters ($1, $2, ...)\n"
	      "\n"
	      "EXAMPLES:\n"
	      "    sonde -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'\n"
	      "    sonde -e 'tracepoint:syscalls:sys_exit_read /pid == 1234/ { @bytes = hist(args.ret); }'\n"
	      "    sonde -c 'ls' -e 'tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @ = count(); }'\n",
	      out);
}

static int parse_dump_stage(const char *s, unsigned *bits)
{
	static const struct { const char *name; unsigned bits; } stages[] = {
		{ "ast", DUMP_AST }, { "types", DUMP_TYPES }, { "llvm", DUMP_LLVM },
		{ "codegen", DUMP_LLVM }, { "bpf", DUMP_BPF },
		{ "all", DUMP_AST | DUMP_TYPES | DUMP_LLVM | DUMP_BPF },
	};
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if (strcmp(s, stages[i].name) == 0) {
			*bits |= stages[i].bits;
			return 0;
		}
	return -1;
}

/* -f: the output formats, as bpftrace names them */
static const struct { const char *name; enum rt_format format; } output_formats[] = {
	{ "text", RT_FORMAT_TEXT },
	{ "json", RT_FORMAT_JSON },
};

static int parse_format(const char *s, enum rt_format *format)
{
	for (size_t i = 0; i < sizeof(output_formats) / sizeof(output_formats[0]); i++)
		if (strcmp(s, output_formats[i].name) == 0) {
			*format = output_formats[i].format;
			return 0;
		}
	return -1;
}

static void report_bad_format(const char *s)
{
	fprintf(stderr, "sonde: unknown output format '%s' for -f (", s);
	for (size_t i = 0; i < sizeof(output_formats) / sizeof(output_formats[0]); i++)
		fprintf(stderr, "%s%s", i ? ", " : "", output_formats[i].name);
	fputs(")\n", stderr);
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 0x7fffffff)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* ---- bpftrace's settings (src/config.c) --------------------------------- */

/* The run-time settings, from the environment or the script's config
 * block (0: the default, or what the object was compiled with). */
static void apply_run_settings(struct cli *cli)
{
	cli->rt.max_map_keys = (uint32_t)config_get(&cli->config, CFG_MAX_MAP_KEYS);
	cli->rt.ringbuf_pages = (uint32_t)config_get(&cli->config, CFG_PERF_RB_PAGES);
	cli->rt.log_size = (uint32_t)config_get(&cli->config, CFG_LOG_SIZE);
	cli->rt.no_maps_at_exit = cli->config.set[CFG_PRINT_MAPS_ON_EXIT] &&
				  !config_get(&cli->config, CFG_PRINT_MAPS_ON_EXIT);
	cli->rt.max_cat_bytes = (uint32_t)config_get(&cli->config, CFG_MAX_CAT_BYTES);
	if (!cli->rt.metrics && cli->config.set[CFG_METRICS]) /* --metrics wins */
		cli->rt.metrics = cli->metrics_owned = xstrdup(cli->config.text[CFG_METRICS]);
	cli->rt.metrics_max_series = (uint32_t)config_get(&cli->config, CFG_METRICS_MAX_SERIES);
	if (cli->config.set[CFG_STR_TRUNC_TRAILER])
		rt_set_str_trunc_trailer(cli->config.text[CFG_STR_TRUNC_TRAILER]);
	/* bpftrace 0.17 named it the other way round: BPFTRACE_NO_CPP_DEMANGLE=1 */
	const char *no_demangle = getenv("BPFTRACE_NO_CPP_DEMANGLE");
	bool demangle = cli->config.set[CFG_CPP_DEMANGLE] ? config_get(&cli->config, CFG_CPP_DEMANGLE) != 0
							  : !(no_demangle && strcmp(no_demangle, "1") == 0);
	usyms_set_demangle(demangle);
}

/* ---- the command line ------------------------------------------------------ */

enum { OPT_EMIT_LLVM = 256, OPT_EMIT_ELF, OPT_DRY_RUN, OPT_NO_WARNINGS, OPT_PROBE_FILTER, OPT_UNSAFE,
       OPT_USDT_FILE_ACTIVATION, OPT_INCLUDE, OPT_METRICS, OPT_NO_CACHE, OPT_AOT,
       OPT_HELP_TOPIC, OPT_INFO, OPT_MAN };

static int compile_probe_filter(struct cli *cli, const char *pattern)
{
	if (cli->co.probe_filter) {
		fprintf(stderr, "sonde: --probe-filter given twice\n");
		return -1;
	}
	int rc = regcomp(&cli->probe_filter, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char why[256];
		regerror(rc, &cli->probe_filter, why, sizeof(why));
		fprintf(stderr, "sonde: invalid --probe-filter regex '%s': %s\n", pattern, why);
		return -1;
	}
	cli->co.probe_filter = &cli->probe_filter;
	cli->probe_filter_text = pattern;
	return 0;
}

/* --man: sonde(8) in roff, its OPTIONS from the --help text above (run at
 * build time; CMakeLists.txt installs the result). */
static int print_man(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m) {
		perror("sonde: --man");
		return 1;
	}
	usage(m);
	if (fclose(m) != 0) {
		perror("sonde: --man");
		free(text);
		return 1;
	}
	help_print_man(stdout, text);
	free(text);
	return 0;
}

/* -l ARG: ARG is a script when such a file exists (as in bpftrace) or is
 * "-" (standard input), else a pattern. */
static bool is_script_file(const char *arg)
{
	struct stat st;
	return strcmp(arg, "-") == 0 || (stat(arg, &st) == 0 && !S_ISDIR(st.st_mode));
}

/* Returns -1 to continue, else an exit code. */
static int parse_args(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "emit-llvm", required_argument, NULL, OPT_EMIT_LLVM },
		{ "emit-elf", required_argument, NULL, OPT_EMIT_ELF },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "cmd", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "list", no_argument, NULL, 'l' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-warnings", no_argument, NULL, OPT_NO_WARNINGS },
		{ "probe-filter", required_argument, NULL, OPT_PROBE_FILTER },
		{ "unsafe", no_argument, NULL, OPT_UNSAFE },
		{ "usdt-file-activation", no_argument, NULL, OPT_USDT_FILE_ACTIVATION },
		{ "include", required_argument, NULL, OPT_INCLUDE },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ "aot", required_argument, NULL, OPT_AOT },
		{ "help-topic", optional_argument, NULL, OPT_HELP_TOPIC },
		{ "info", no_argument, NULL, OPT_INFO },
		{ "man", no_argument, NULL, OPT_MAN },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	/* Options may follow the script (`script.bt -c CMD 5`), as in bpftrace:
	 * getopt permutes; a positional parameter that starts with '-' goes
	 * after "--". */
	while ((c = getopt_long(argc, argv, "e:c:p:ilo:f:qvkd:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': cli->program_text = optarg; break;
		case 'c': cli->rt.cmd = optarg; break;
		case 'p':
			if (parse_pid(optarg, &cli->rt.filter_pid) < 0) {
				fprintf(stderr, "sonde: -p needs a process id, not '%s'\n", optarg);
				return 1;
			}
			break;
		case 'l': cli->listing = true; break;
		case 'i': cli->interactive = true; break;
		case 'o': cli->output_path = optarg; break;
		case 'f':
			if (parse_format(optarg, &cli->rt.format) < 0) {
				report_bad_format(optarg);
				return 1;
			}
			break;
		case 'q': cli->rt.quiet = true; break;
		case 'k': cli->co.helper_errors = true; break; /* -kk: 0.17's "also probe_read", the same */
		case 'v': cli->rt.verbose = true; break;
		case 'd':
			if (parse_dump_stage(optarg, &cli->co.dump) < 0) {
				fprintf(stderr, "sonde: unknown stage '%s' for -d (ast, types, llvm, bpf, all)\n", optarg);
				return 1;
			}
			break;
		case OPT_EMIT_LLVM: cli->co.emit_llvm_path = optarg; break;
		case OPT_EMIT_ELF: cli->co.emit_elf_path = optarg; break;
		case OPT_DRY_RUN: cli->rt.dry_run = true; break;
		case OPT_NO_WARNINGS: cli->co.no_warnings = cli->rt.no_warnings = true; break;
		case OPT_PROBE_FILTER:
			if (compile_probe_filter(cli, optarg) < 0)
				return 1;
			break;
		case OPT_UNSAFE: cli->co.unsafe = true; break;
		case OPT_NO_CACHE: cli->no_cache = true; break;
		case OPT_AOT: cli->aot_path = optarg; break;
		case OPT_USDT_FILE_ACTIVATION: break; /* probes/usdt.c: ref_ctr_offset does it */
		case OPT_METRICS: cli->rt.metrics = optarg; break;
		case OPT_INCLUDE:
			cli->includes = xrealloc(cli->includes, sizeof(*cli->includes) * (size_t)(cli->nincludes + 1));
			cli->includes[cli->nincludes++] = optarg;
			break;
		case OPT_HELP_TOPIC:
			/* `--help-topic hist` as well as `--help-topic=hist` */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			return help_print(stdout, optarg) == 0 ? 0 : 1;
		case OPT_INFO: return info_print(stdout) == 0 ? 0 : 1;
		case OPT_MAN: return print_man();
		case 'h': usage(stdout); return 0;
		case 'V':
			/* Tools that run bpftrace (pmdabpftrace) read the word after the
			 * name as bpftrace's version: "v0.1.0" would be a bpftrace too old
			 * to use, so sonde's own has no "v" and reads as "unknown, assume
			 * the latest", which its output formats are. */
			printf("sonde %s (bpftrace v0.17.0 language, latest bpftrace output)\n", SONDE_VERSION);
			return 0;
		default: usage(stderr); return 1;
		}
	}
	int rest = optind;
	/* getopt_long() itself takes a "--" that directly follows the options
	 * (and moves a script file's name after it): named parameters follow */
	bool after_dashes = rest > 1 && strcmp(argv[rest - 1], "--") == 0 &&
			    !(rest > 2 && strcmp(argv[rest - 2], "-e") == 0);
	if (cli->interactive && (cli->program_text || cli->listing || rest < argc)) {
		fprintf(stderr, "sonde: -i opens the shell: it takes no program, file or -l\n");
		return 1;
	}
	/* No program: the shell on a terminal, bpftrace's usage otherwise
	 * (scripts and pipes see what they always saw). */
	if (!cli->program_text && !cli->listing && rest >= argc && isatty(STDIN_FILENO))
		cli->interactive = true;
	if (cli->interactive)
		return -1;
	if (cli->listing && cli->rt.cmd) {
		fprintf(stderr, "sonde: -c cannot be used with -l\n");
		return 1;
	}
	if (cli->listing && !cli->program_text && rest < argc && !is_script_file(argv[rest])) {
		/* one pattern (or a comma-separated list), nothing after it */
		cli->list_pattern = argv[rest++];
		if (rest < argc) {
			fprintf(stderr, "sonde: -l takes one pattern (several are separated by ','), "
					"not also '%s'\n", argv[rest]);
			return 1;
		}
	} else if (!cli->program_text && cli->listing && rest >= argc) {
		/* -l alone: everything */
	} else if (!cli->program_text) {
		if (rest >= argc) {
			usage(stderr);
			return 1;
		}
		cli->script_path = argv[rest++];
	}
	/* After "--", "--name[=value]" is a named parameter (getopt()); the
	 * rest, before or after it, are positional ($1, $2, ...). */
	cli->positional = xcalloc((size_t)(argc - rest) + 1, sizeof(char *));
	cli->named = xcalloc((size_t)(argc - rest) + 1, sizeof(char *));
	for (int i = rest; i < argc; i++) {
		if (!after_dashes && strcmp(argv[i], "--") == 0)
			after_dashes = true;
		else if (after_dashes && strncmp(argv[i], "--", 2) == 0 && argv[i][2])
			cli->named[cli->nnamed++] = argv[i];
		else
			cli->positional[cli->npositional++] = argv[i];
	}
	return -1;
}

static struct source *load_source(const struct cli *cli)
{
	struct source *src;
	if (cli->program_text) {
		src = source_from_string("stdin", cli->program_text, strlen(cli->program_text));
	} else {
		src = source_from_file(cli->script_path);
		if (!src)
			fprintf(stderr, "sonde: cannot read '%s': %s\n", cli->script_path, strerror(errno));
	}
	if (src && import_expand(src, stderr) != 0) { /* import "file.bt"; (src/import.c) */
		source_free(src);
		return NULL;
	}
	if (src && cli->nincludes) {
		src->includes = xmalloc(sizeof(*src->includes) * (size_t)cli->nincludes);
		for (int i = 0; i < cli->nincludes; i++)
			src->includes[src->nincludes++] = xstrdup(cli->includes[i]);
	}
	return src;
}

/* -i, or no program on a terminal: the shell (src/shell.c) */
static int run_shell(struct cli *cli)
{
	struct shell_options so = { .rt = cli->rt, .co = cli->co };
	FILE *out = stdout;
	if (cli->output_path && !(out = fopen(cli->output_path, "w"))) {
		fprintf(stderr, "sonde: cannot write '%s': %s\n", cli->output_path, strerror(errno));
		return 1;
	}
	so.rt.out = out;
	so.co.positional = cli->positional;
	so.co.npositional = cli->npositional;
	int rc = shell_run(&so);
	if (out != stdout && fclose(out) != 0) {
		fprintf(stderr, "sonde: cannot write '%s': %s\n", cli->output_path, strerror(errno));
		rc = 1;
	}
	return rc;
}

static int compile_and_run(struct cli *c);
static int list_probes(struct cli *c);
static bool cache_wanted(const struct cli *cli);

/* ---- the front: the same command line without LLVM ---------------------------------- */

/* With SONDE_FRONT this is `sonde`, linked without LLVM (stubs stand in,
 * cmake/llvm_stubs.sh): it runs scripts from the compile cache and --aot
 * files itself, and hands every run that needs a compile to sonde-compile
 * with exec (same pid, same argv). Without it, this is sonde-compile (or,
 * in builds without the front, `sonde`): the binary that compiles. */
#ifdef SONDE_FRONT
#define SONDE_IS_FRONT 1
#else
#define SONDE_IS_FRONT 0
#endif

#ifdef SONDE_FRONT
/* Where sonde-compile is, from the directory of `sonde`: next to it (the
 * build tree), or the install's libexec directory relative to bindir. */
static const char *const compiler_dirs[] = { "", SONDE_LIBEXEC_REL "/" };

static char *compiler_candidate(const char *selfdir, size_t i)
{
	return xasprintf("%s/%ssonde-compile", selfdir, compiler_dirs[i]);
}

static char *self_dir(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	return xstrdup(self);
}
#endif

/* The binary that compiles: this one, or for the front sonde-compile
 * (SONDE_COMPILER overrides); NULL when the front finds none. Cache keys
 * name it, so entries written by one build are never used by another. */
static char *compiler_path(void)
{
#ifdef SONDE_FRONT
	const char *env = getenv("SONDE_COMPILER");
	if (env && env[0])
		return xstrdup(env);
	char *dir = self_dir();
	for (size_t i = 0; dir && i < sizeof(compiler_dirs) / sizeof(compiler_dirs[0]); i++) {
		char *path = compiler_candidate(dir, i);
		if (access(path, X_OK) == 0) {
			free(dir);
			return path;
		}
		free(path);
	}
	free(dir);
	return NULL;
#else
	return xstrdup("/proc/self/exe");
#endif
}

#ifndef SONDE_FRONT
/* exec keeps the front's argv but names the process after the file run
 * (sonde-compile): the name goes back to the front's, which BEGIN's comm,
 * ps and pgrep show, as they would for a run from the cache. */
static void keep_front_name(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	const char *name = slash ? slash + 1 : argv0;
	if (name && name[0])
		prctl(PR_SET_NAME, name, 0, 0, 0); /* a name it cannot set costs nothing */
}
#endif

#ifdef SONDE_FRONT
static char **saved_argv; /* the command line as given (getopt permutes argv) */

/* Says what is missing: where sonde-compile was looked for. */
static void report_no_compiler(void)
{
	fprintf(stderr, "sonde: this run needs the compiler, which is not installed: no sonde-compile");
	char *dir = self_dir();
	for (size_t i = 0; dir && i < sizeof(compiler_dirs) / sizeof(compiler_dirs[0]); i++) {
		char *path = compiler_candidate(dir, i);
		fprintf(stderr, "%s%s", i ? " or " : " at ", path);
		free(path);
	}
	free(dir);
	fprintf(stderr, " (SONDE_COMPILER names another); without it, sonde runs scripts from the compile "
			"cache and files written by --aot\n");
}

/* A run that needs a compile is sonde-compile's. */
static int exec_compiler(void)
{
	char *path = compiler_path();
	if (!path) {
		report_no_compiler();
		return 1;
	}
	fflush(NULL);
	execv(path, saved_argv);
	fprintf(stderr, "sonde: cannot run the compiler '%s': %s\n", path, strerror(errno));
	free(path);
	return 1;
}
#endif

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	timing_start();
#ifdef SONDE_FRONT
	saved_argv = xcalloc((size_t)argc + 1, sizeof(*saved_argv));
	memcpy(saved_argv, argv, sizeof(*argv) * (size_t)argc);
#else
	keep_front_name(argv[0]);
#endif
	int rc = parse_args(argc, argv, &cli);
	timing_mark("arguments");
#ifdef SONDE_FRONT
	/* what the front cannot do without a compile; a script from standard
	 * input is read once, by whoever compiles it */
	if (rc < 0 && (cli.listing || cli.interactive || (cli.script_path && strcmp(cli.script_path, "-") == 0) ||
		       (!cache_wanted(&cli) && !(cli.script_path && cache_is_compiled_file(cli.script_path)))))
		rc = exec_compiler();
#endif
	if (rc < 0)
		rc = cli.interactive ? run_shell(&cli)
		     : cli.listing ? list_probes(&cli)
				   : compile_and_run(&cli);
#ifdef SONDE_FRONT
	free(saved_argv);
#endif
	free(cli.positional);
	free(cli.named);
	free(cli.includes);
	if (cli.co.probe_filter)
		regfree(&cli.probe_filter);
	timing_mark("exit");
	return rc;
}

/* -l: a pattern, or the probes of the -e program or script file. */
static int list_probes(struct cli *cli)
{
	struct source *src = NULL;
	if ((cli->program_text || cli->script_path) && !(src = load_source(cli)))
		return 1;
	struct list_options o = {
		.pattern = cli->list_pattern,
		.script = src,
		.positional = cli->positional,
		.npositional = cli->npositional,
		.verbose = cli->rt.verbose,
		.pid = cli->rt.filter_pid,
		.no_warnings = cli->co.no_warnings,
		.out = stdout,
		.err = stderr,
	};
	/* a program's uprobe:*:fn and usdt:*:... match the files -p's process maps */
	probe_set_target_pid(cli->rt.filter_pid);
	int rc = list_run(&o);
	source_free(src);
	return rc;
}

/* ---- the compile cache (src/cache.c) ----------------------------------------- */

static bool cache_wanted(const struct cli *cli)
{
	const char *env = getenv("SONDE_NO_CACHE");
	if (cli->no_cache || (env && env[0] && strcmp(env, "0") != 0))
		return false;
	/* printing or writing a stage needs the stages to run */
	return !cli->co.dump && !cli->co.emit_llvm_path && !cli->co.emit_elf_path && !cli->aot_path;
}

struct cache_use {
	char *key;  /* NULL: not cached */
	size_t key_len;
	char *path;
};

static void cache_use_free(struct cache_use *cu)
{
	free(cu->key);
	free(cu->path);
}

/* Looks the script up; on a hit, *out and cli->config are the compile's
 * and its warnings are printed again. */
static bool cache_lookup(struct cli *cli, const struct source *src, struct cache_use *cu,
			 struct compiled *out)
{
	char *compiler = compiler_path();
	if (!compiler)
		return false; /* the front without a compiler: no entry can be its */
	struct cache_key_options ko = { .co = &cli->co, .probe_filter = cli->probe_filter_text,
					.cmd = cli->rt.cmd, .pid = cli->rt.filter_pid, .compiler = compiler };
	char *dir = cache_dir();
	cu->key = dir ? cache_key(src, &ko, &cu->key_len) : NULL;
	free(compiler);
	if (!cu->key) {
		free(dir);
		return false;
	}
	cu->path = cache_path(dir, cu->key, cu->key_len);
	free(dir);
	struct cache_entry e;
	char why[1024];
	timing_mark("cache-key");
	int loaded = cache_load(cu->path, cu->key, cu->key_len, &e, why, sizeof(why));
	timing_mark("cache-read");
	if (loaded < 0) {
		/* (the front hands the compile over: sonde-compile says it) */
		if (errno != ENOENT && cli->rt.verbose && !SONDE_IS_FRONT)
			fprintf(stderr, "sonde: cache: %s ignored (%s); compiling\n", cu->path, why);
		return false;
	}
	if (cli->rt.verbose)
		fprintf(stderr, "sonde: cache: compiled script from %s\n", cu->path);
	fwrite(e.diag, 1, e.diag_len, stderr);
	*out = e.compiled;
	e.compiled = (struct compiled){ 0 };
	config_free(&cli->config);
	cli->config = e.config;
	memset(&e.config, 0, sizeof(e.config));
	cache_entry_free(&e);
	return true;
}

/* Writes the compiled script to path (a cache entry or an --aot file);
 * -1 with why when the compile cannot be kept. */
static int cache_save(const struct cli *cli, const struct cache_use *cu, const struct compiled *c,
		      const struct xtext *diag, enum cache_kind kind, const char *path, char *why,
		      size_t whylen)
{
	struct cache_entry e = { .kind = kind, .kernel = (char *)cache_kernel_identity(),
				 .key = cu ? cu->key : NULL, .key_len = cu ? cu->key_len : 0,
				 .diag = diag->buf, .diag_len = diag->len,
				 .config = cli->config, .compiled = *c };
	int rc = 0;
	if (cache_add_probe_deps(&e, c->desc) < 0) {
		snprintf(why, whylen, "a probe depends on a process or on a binary named by a relative path");
		rc = -1;
	} else if (cache_store(path, &e, kind == CACHE_ENTRY) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		rc = -1;
	}
	cache_deps_free(&e);
	return rc;
}

/* After an entry is written: the cache's oldest entries go until the rest
 * fit SONDE_CACHE_MAX_SIZE (the new one stays). */
static void cache_trim(const struct cli *cli, const char *entry)
{
	char why[256];
	uint64_t max = cache_max_size(why, sizeof(why));
	if (why[0])
		fprintf(stderr, "sonde: cache: %s\n", why);
	char *dir = xstrdup(entry);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	struct cache_evicted ev;
	if (slash && cache_evict(dir, entry, max, &ev) == 0 && ev.removed && cli->rt.verbose)
		fprintf(stderr, "sonde: cache: removed %d least recently used entries (%llu bytes); %llu bytes kept, at most %llu\n",
			ev.removed, (unsigned long long)ev.removed_bytes, (unsigned long long)ev.total,
			(unsigned long long)max);
	free(dir);
}

/* Compiles; what it prints is kept (in diag) to be printed again when the
 * cached script runs. */
static int compile_keeping_diag(struct cli *cli, struct source *src, struct compiled *out,
				struct xtext *diag)
{
	int rc = sonde_compile(src, &cli->co, xtext_open(diag), out);
	xtext_close(diag, NULL);
	fwrite(diag->buf, 1, diag->len, stderr);
	return rc;
}

/* sonde FILE where FILE was written by --aot: run it without compiling. */
static int load_compiled_file(struct cli *cli, struct compiled *out)
{
	if (cli->npositional || cli->nnamed) {
		fprintf(stderr, "sonde: '%s' is a compiled script: its parameters were fixed by --aot\n",
			cli->script_path);
		return -1;
	}
	struct cache_entry e;
	char why[1024];
	if (cache_load(cli->script_path, NULL, 0, &e, why, sizeof(why)) < 0) {
		fprintf(stderr, "sonde: cannot run the compiled script '%s': %s\n", cli->script_path, why);
		return -1;
	}
	if (cli->rt.verbose)
		fprintf(stderr, "sonde: running the compiled script %s (compiled on %s)\n", cli->script_path,
			e.kernel);
	*out = e.compiled;
	e.compiled = (struct compiled){ 0 };
	config_free(&cli->config);
	cli->config = e.config;
	memset(&e.config, 0, sizeof(e.config));
	cache_entry_free(&e);
	return 0;
}

/* The compiled script: from --aot's file, the cache, or a compile (then
 * kept in the cache, or written to --aot's file). */
static int get_compiled(struct cli *cli, struct source *src, struct compiled *out)
{
	struct cache_use cu = { 0 };
	bool use_cache = cache_wanted(cli);
	if (use_cache && cache_lookup(cli, src, &cu, out)) {
		cache_use_free(&cu);
		return 0;
	}
#ifdef SONDE_FRONT
	cache_use_free(&cu);
	return exec_compiler() ? -1 : 0;
#endif
	struct xtext diag = { 0 };
	int rc = compile_keeping_diag(cli, src, out, &diag);
	timing_mark("compile");
	char why[256];
	if (rc == 0 && cli->aot_path &&
	    cache_save(cli, NULL, out, &diag, CACHE_AOT, cli->aot_path, why, sizeof(why)) < 0) {
		fprintf(stderr, "sonde: cannot write the compiled script to '%s': %s\n", cli->aot_path, why);
		rc = -1;
	} else if (rc == 0 && cu.key) {
		/* a cache that cannot be written only costs the next start a compile */
		bool saved = cache_save(cli, &cu, out, &diag, CACHE_ENTRY, cu.path, why, sizeof(why)) == 0;
		if (cli->rt.verbose)
			fprintf(stderr, saved ? "sonde: cache: compiled script kept in %s\n"
					      : "sonde: cache: not kept in %s: %s\n", cu.path, why);
		if (saved)
			cache_trim(cli, cu.path);
		timing_mark("cache-write");
	}
	free(diag.buf);
	cache_use_free(&cu);
	return rc;
}

static int compile_and_run(struct cli *c)
{
	struct cli cli = *c;
	int rc;
	if (config_read_env(&cli.config, stderr) < 0)
		return 1;
	cli.co.config = &cli.config;

	bool compiled_file = cli.script_path && strcmp(cli.script_path, "-") != 0 &&
			     cache_is_compiled_file(cli.script_path);
	struct source *src = compiled_file ? NULL : load_source(&cli);
	if (!compiled_file && !src) {
		config_free(&cli.config);
		return 1;
	}
	cli.co.dump_out = stdout;
	cli.co.positional = cli.positional;
	cli.co.npositional = cli.npositional;
	cli.co.named = cli.named;
	cli.co.nnamed = cli.nnamed;

	struct compiled compiled = { 0 };
	probe_set_target_pid(cli.rt.filter_pid); /* usdt::probe searches its binaries */
	probe_set_target_cmd(cli.rt.cmd);        /* usdt:*:probe and watchpoint:f+argN: its program */
	if ((compiled_file ? load_compiled_file(&cli, &compiled) : get_compiled(&cli, src, &compiled)) < 0) {
		config_free(&cli.config);
		source_free(src);
		return 1;
	}
	apply_run_settings(&cli);
	config_free(&cli.config);

	/* As in bpftrace, --emit-elf is a dry run: compile, write, stop; so is --aot. */
	if (cli.co.emit_elf_path || cli.aot_path) {
		compiled_free(&compiled);
		source_free(src);
		free(cli.metrics_owned);
		return 0;
	}
	FILE *out = stdout;
	if (cli.output_path && !(out = fopen(cli.output_path, "w"))) {
		fprintf(stderr, "sonde: cannot write '%s': %s\n", cli.output_path, strerror(errno));
		compiled_free(&compiled);
		source_free(src);
		free(cli.metrics_owned);
		return 1;
	}
	cli.rt.out = out;
	cli.rt.src = src;
	rc = rt_run(&compiled, &cli.rt);

	if (out != stdout && fclose(out) != 0) {
		fprintf(stderr, "sonde: cannot write '%s': %s\n", cli.output_path, strerror(errno));
		rc = 1;
	}
	compiled_free(&compiled);
	source_free(src);
	free(cli.metrics_owned);
	return rc;
}
