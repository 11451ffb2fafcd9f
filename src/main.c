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
#include <unistd.h>

#include "sonde.h"

struct cli {
	const char *program_text;  /* -e */
	const char *script_path;   /* FILE or - */
	const char *output_path;   /* -o */
	struct rt_options rt;
	struct compile_options co;
	char **positional;
	int npositional;
};

static void usage(FILE *out)
{
	fputs("USAGE:\n"
	      "    sonde [options] filename [args...]\n"
	      "    sonde [options] - [args...]          (program from standard input)\n"
	      "    sonde [options] -e 'program' [args...]\n"
	      "\n"
	      "OPTIONS:\n"
	      "    -e 'program'     execute this program\n"
	      "    -c 'CMD'         run CMD and trace until it exits (cpid is its pid)\n"
	      "    -p PID           trace only events of process PID, until it exits\n"
	      "    -o FILE          write the program's output to FILE\n"
	      "    -f FORMAT        output format: text (the default) or json (one JSON\n"
	      "                     object per line, as bpftrace's -f json)\n"
	      "    -q               quiet: no \"Attaching N probes...\" line\n"
	      "    -v               verbose: what is loaded and attached\n"
	      "    -d STAGE         print a compiler stage: ast, types, llvm, bpf, all\n"
	      "    --emit-llvm FILE write the LLVM IR to FILE\n"
	      "    --emit-elf FILE  write the BPF object to FILE and exit (nothing is loaded)\n"
	      "    --dry-run        compile, load and attach, then exit\n"
	      "    --unsafe         allow actions with side effects (system())\n"
	      "    --no-warnings    do not print warnf() messages\n"
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

/* ---- bpftrace's settings from the environment --------------------------- */

/* Read at start, like bpftrace; a value that is not valid is an error. */
struct env_setting {
	const char *name;     /* the latest bpftrace's name */
	const char *old_name; /* bpftrace 0.17's name, or NULL */
	uint64_t min, max;
	bool power_of_two;
	bool max_in_bytes;    /* max is in bytes; the value counts pages */
	uint32_t *(*field)(struct cli *cli);
};

static uint32_t *field_max_map_keys(struct cli *cli) { return &cli->rt.max_map_keys; }
static uint32_t *field_ringbuf_pages(struct cli *cli) { return &cli->rt.ringbuf_pages; }
static uint32_t *field_log_size(struct cli *cli) { return &cli->rt.log_size; }
static uint32_t *field_max_probes(struct cli *cli) { return &cli->co.max_probes; }
static uint32_t *field_max_programs(struct cli *cli) { return &cli->co.max_programs; }

static const struct env_setting env_settings[] = {
	{ "BPFTRACE_MAX_MAP_KEYS", "BPFTRACE_MAP_KEYS_MAX", 1, RT_MAX_MAP_KEYS_LIMIT, false, false,
	  field_max_map_keys },
	{ "BPFTRACE_PERF_RB_PAGES", NULL, 1, RT_RINGBUF_MAX_BYTES, true, true, field_ringbuf_pages },
	{ "BPFTRACE_LOG_SIZE", NULL, RT_LOG_SIZE_MIN, RT_LOG_SIZE_MAX, false, false, field_log_size },
	{ "BPFTRACE_MAX_PROBES", NULL, 1, INT32_MAX, false, false, field_max_probes },
	{ "BPFTRACE_MAX_BPF_PROGS", NULL, 1, INT32_MAX, false, false, field_max_programs },
};

static int read_env_setting(const struct env_setting *e, struct cli *cli)
{
	const char *name = e->name;
	const char *v = getenv(name);
	if (!v && e->old_name && (v = getenv(e->old_name)))
		name = e->old_name;
	if (!v)
		return 0;
	uint64_t max = e->max;
	if (e->max_in_bytes) {
		long page = sysconf(_SC_PAGESIZE);
		max = page > 0 ? max / (uint64_t)page : 1;
	}
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	bool ok = !errno && end != v && !*end && v[0] != '-' && n >= e->min && n <= max &&
		  (!e->power_of_two || (n & (n - 1)) == 0);
	if (!ok) {
		fprintf(stderr, "sonde: %s='%s': expected %s from %llu to %llu\n", name, v,
			e->power_of_two ? "a power of two" : "a number", (unsigned long long)e->min,
			(unsigned long long)max);
		return -1;
	}
	*e->field(cli) = (uint32_t)n;
	return 0;
}

static int read_env_settings(struct cli *cli)
{
	for (size_t i = 0; i < sizeof(env_settings) / sizeof(env_settings[0]); i++)
		if (read_env_setting(&env_settings[i], cli) < 0)
			return -1;
	return 0;
}

/* ---- the command line ------------------------------------------------------ */

enum { OPT_EMIT_LLVM = 256, OPT_EMIT_ELF, OPT_DRY_RUN, OPT_UNSAFE, OPT_NO_WARNINGS };

/* Returns -1 to continue, else an exit code. */
static int parse_args(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "emit-llvm", required_argument, NULL, OPT_EMIT_LLVM },
		{ "emit-elf", required_argument, NULL, OPT_EMIT_ELF },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "unsafe", no_argument, NULL, OPT_UNSAFE },
		{ "no-warnings", no_argument, NULL, OPT_NO_WARNINGS },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	/* '+' stops at the first non-option: what follows the script is its arguments. */
	while ((c = getopt_long(argc, argv, "+e:c:p:o:f:qvd:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': cli->program_text = optarg; break;
		case 'c': cli->rt.cmd = optarg; break;
		case 'p':
			if (parse_pid(optarg, &cli->rt.filter_pid) < 0) {
				fprintf(stderr, "sonde: -p needs a process id, not '%s'\n", optarg);
				return 1;
			}
			break;
		case 'o': cli->output_path = optarg; break;
		case 'f':
			if (parse_format(optarg, &cli->rt.format) < 0) {
				report_bad_format(optarg);
				return 1;
			}
			break;
		case 'q': cli->rt.quiet = true; break;
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
		case OPT_UNSAFE: cli->co.unsafe = true; break;
		case OPT_NO_WARNINGS: cli->rt.no_warnings = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sonde v%s\n", SONDE_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	int rest = optind;
	if (!cli->program_text) {
		if (rest >= argc) {
			usage(stderr);
			return 1;
		}
		cli->script_path = argv[rest++];
	}
	if (rest < argc && strcmp(argv[rest], "--") == 0)
		rest++;
	cli->positional = argv + rest;
	cli->npositional = argc - rest;
	return -1;
}

static struct source *load_source(const struct cli *cli)
{
	if (cli->program_text)
		return source_from_string("stdin", cli->program_text, strlen(cli->program_text));
	struct source *src = source_from_file(cli->script_path);
	if (!src)
		fprintf(stderr, "sonde: cannot read '%s': %s\n", cli->script_path, strerror(errno));
	return src;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	int rc = parse_args(argc, argv, &cli);
	if (rc >= 0)
		return rc;
	if (read_env_settings(&cli) < 0)
		return 1;

	struct source *src = load_source(&cli);
	if (!src)
		return 1;
	cli.co.dump_out = stdout;
	cli.co.positional = cli.positional;
	cli.co.npositional = cli.npositional;

	struct compiled compiled = { 0 };
	if (sonde_compile(src, &cli.co, stderr, &compiled) < 0) {
		source_free(src);
		return 1;
	}

	/* As in bpftrace, --emit-elf is a dry run: compile, write, stop. */
	if (cli.co.emit_elf_path) {
		compiled_free(&compiled);
		source_free(src);
		return 0;
	}

	FILE *out = stdout;
	if (cli.output_path && !(out = fopen(cli.output_path, "w"))) {
		fprintf(stderr, "sonde: cannot write '%s': %s\n", cli.output_path, strerror(errno));
		compiled_free(&compiled);
		source_free(src);
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
	return rc;
}
