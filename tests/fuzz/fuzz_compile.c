/* fuzz_compile.c - libFuzzer target over the whole compile half: imports,
 * lexer, parser, semantic analysis and code generation to an object
 * (nothing is loaded). Any crash, leak, hang or sanitizer report is a bug.
 *
 * Two positional parameters are given ($1 an integer, $2 a string) so that
 * their substitution is fuzzed too, and the AST and typed-AST dumps run
 * (into /dev/null) because -d ast / -d types walk every node.
 *
 * `import "…";` is fuzzed against a small fixed tree of files (below) that
 * the target writes once into a private temporary directory; the input is
 * named as a script in that directory, so relative imports find them.
 * Inputs importing an absolute path or one with ".." are compiled without
 * their imports expanded: the fuzzer must not wander the file system
 * (`import "/usr/include";` reads thousands of headers).
 *
 * Build: cmake -DCMAKE_C_COMPILER=clang -DSONDE_FUZZ=ON -DSONDE_SANITIZE=ON
 * Run:   build/fuzz_compile -dict=tests/fuzz/sonde.dict WORKDIR tests/fuzz/corpus
 * (the first directory receives new inputs: keep the seed corpus second). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "sonde.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The importable tree: scripts with macros, probes and map declarations, a
 * header, a directory of both, a nested import and a cycle. */
static const struct {
	const char *path, *text;
} fuzz_imports[] = {
	{ "lib.bt", "macro twice(x) { x * 2 }\nmacro add(a, b) { a + b }\n"
		    "BEGIN { @imported = count(); }\n" },
	{ "types.h", "struct point { int x; int y; };\nenum color { RED, GREEN = 5 };\n" },
	{ "nested.bt", "import \"lib.bt\";\nmacro quad(x) { twice(twice(x)) }\n" },
	{ "cycle.bt", "import \"cycle.bt\";\nimport \"nested.bt\";\nmacro cyc() { 7 }\n" },
	{ "maps.bt", "let @declared = hash(8);\nmacro inc(@m) { @m[1]++ }\n" },
	{ "dir/one.bt", "macro one() { 1 }\n" },
	{ "dir/two.h", "struct pair { long a; long b; };\n" },
	{ "dir/skipped.txt", "not imported: neither .bt nor .h\n" },
	{ "other.txt", "an unknown import type\n" },
};

static char fuzz_dir[] = "/tmp/sonde-fuzz-imports-XXXXXX";
static char *fuzz_script; /* the input's name: a script in fuzz_dir */

static void fuzz_remove_imports(void)
{
	char path[sizeof(fuzz_dir) + 64];
	for (size_t i = 0; i < sizeof(fuzz_imports) / sizeof(fuzz_imports[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, fuzz_imports[i].path);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/dir", fuzz_dir);
	rmdir(path);
	rmdir(fuzz_dir);
	free(fuzz_script);
}

/* Writes the tree once; aborts when it cannot (the run would not test
 * what it claims to). */
static void fuzz_write_imports(void)
{
	char path[sizeof(fuzz_dir) + 64];
	if (!mkdtemp(fuzz_dir))
		abort();
	snprintf(path, sizeof(path), "%s/dir", fuzz_dir);
	if (mkdir(path, 0700) != 0)
		abort();
	for (size_t i = 0; i < sizeof(fuzz_imports) / sizeof(fuzz_imports[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, fuzz_imports[i].path);
		FILE *f = fopen(path, "w");
		if (!f || fputs(fuzz_imports[i].text, f) == EOF || fclose(f) != 0)
			abort();
	}
	size_t n = sizeof(fuzz_dir) + sizeof("/fuzz.bt");
	fuzz_script = malloc(n);
	if (!fuzz_script)
		abort();
	snprintf(fuzz_script, n, "%s/fuzz.bt", fuzz_dir);
	atexit(fuzz_remove_imports);
}

/* Whether every `import "path"` in the text names a file of the tree's
 * kind: relative, without "..". A rough scan (comments and strings count
 * too): it only decides whether imports are expanded at all. */
static bool fuzz_imports_stay_inside(const char *text, size_t len)
{
	for (const char *p = text; (p = memmem(p, len - (size_t)(p - text), "import", 6)) != NULL; p += 6) {
		const char *q = p + 6;
		const char *end = text + len;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= end || *q != '"')
			continue;
		const char *close = memchr(q + 1, '"', (size_t)(end - q - 1));
		size_t plen = close ? (size_t)(close - q - 1) : (size_t)(end - q - 1);
		if ((plen && q[1] == '/') || memmem(q + 1, plen, "..", 2))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	static char arg1[] = "42", arg2[] = "fuzz";
	static char *positional[] = { arg1, arg2 };
	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		fuzz_write_imports();
	}
	struct source *src = source_from_string(fuzz_script, (const char *)data, size);
	struct compile_options o = {
		.dump = DUMP_AST | DUMP_TYPES,
		.dump_out = devnull,
		.positional = positional,
		.npositional = 2,
	};
	struct compiled c = { 0 };
	bool expand = fuzz_imports_stay_inside(src->text, src->len);
	if ((!expand || import_expand(src, devnull) == 0) && sonde_compile(src, &o, devnull, &c) == 0)
		compiled_free(&c);
	source_free(src);
	return 0;
}
