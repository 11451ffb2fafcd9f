/* fuzz_compile.c - libFuzzer target over the whole compile half: lexer,
 * parser, semantic analysis and code generation to an object (nothing is
 * loaded). Any crash, leak, hang or sanitizer report is a bug.
 *
 * Two positional parameters are given ($1 an integer, $2 a string) so that
 * their substitution is fuzzed too, and the AST and typed-AST dumps run
 * (into /dev/null) because -d ast / -d types walk every node.
 *
 * Build: cmake -DCMAKE_C_COMPILER=clang -DSONDE_FUZZ=ON -DSONDE_SANITIZE=ON
 * Run:   build/fuzz_compile -dict=tests/fuzz/sonde.dict WORKDIR tests/fuzz/corpus
 * (the first directory receives new inputs: keep the seed corpus second). */
#include <stdint.h>
#include <stdio.h>

#include "sonde.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	static char arg1[] = "42", arg2[] = "fuzz";
	static char *positional[] = { arg1, arg2 };
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	struct source *src = source_from_string("fuzz", (const char *)data, size);
	struct compile_options o = {
		.dump = DUMP_AST | DUMP_TYPES,
		.dump_out = devnull,
		.positional = positional,
		.npositional = 2,
	};
	struct compiled c = { 0 };
	if (sonde_compile(src, &o, devnull, &c) == 0)
		compiled_free(&c);
	source_free(src);
	return 0;
}
