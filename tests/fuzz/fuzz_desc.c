/* fuzz_desc.c - libFuzzer target over desc_read(), the reader of cached
 * compiled-script descriptions. Any crash, leak, hang or sanitizer report
 * is a bug; so is a description that is accepted but does not survive
 * being written and read again.
 *
 * The input is a serialised description whose header is rewritten to
 * agree with its body (magic, version, length, FNV-1a hash, as in
 * src/desc.c), so mutations reach the body's parser instead of stopping
 * at the hash; the unit test (tests/unit/test_desc.c) covers the header.
 * An accepted description is also decoded: zeroed values of every type it
 * hands the runtime go through rt_decode(), as events and maps would.
 *
 * Build: cmake -DCMAKE_C_COMPILER=clang -DSONDE_FUZZ=ON -DSONDE_SANITIZE=ON
 * Run:   build/fuzz_desc WORKDIR tests/fuzz/corpus_desc
 * (the first directory receives new inputs: keep the seed corpus second;
 * the seeds are descriptions of a few scripts, written by desc_write). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "sonde.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER_SIZE 28 /* magic, u32 version, u64 body length, u64 body hash */

static void use(const struct desc *d)
{
	fuzz_decode_types(d);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f || desc_write(d, f) != 0 || fclose(f) != 0)
		abort();
	char err[256];
	struct desc *again = desc_read(buf, len, err, sizeof(err));
	if (!again) {
		fprintf(stderr, "an accepted description does not read back: %s\n", err);
		abort();
	}
	desc_free(again);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (size >= HEADER_SIZE) {
		memcpy(copy, "SONDEDSC", 8);
		fuzz_store_le(copy + 8, SONDE_DESC_VERSION, 4);
		fuzz_reseal(copy, size, HEADER_SIZE);
	}
	char err[256];
	struct desc *d = desc_read(copy, size, err, sizeof(err));
	if (d) {
		use(d);
		desc_free(d);
	}
	free(copy);
	return 0;
}
