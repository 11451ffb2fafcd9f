/* fuzz_compile.c - libFuzzer target over the whole compile half: lexer,
 * parser, semantic analysis and code generation to an object (nothing is
 * loaded). Any crash, leak or sanitizer report is a bug. */
#include <stdint.h>
#include <stdio.h>

#include "sonde.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	struct source *src = source_from_string("fuzz", (const char *)data, size);
	struct compile_options o = { .dump_out = devnull };
	struct compiled c = { 0 };
	if (sonde_compile(src, &o, devnull, &c) == 0)
		compiled_free(&c);
	source_free(src);
	return 0;
}
