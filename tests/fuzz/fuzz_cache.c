/* fuzz_cache.c - libFuzzer target over cache_decode(), the reader of
 * compile-cache entries and --aot files (src/cache.c). Any crash, leak,
 * hang or sanitizer report is a bug; so is a file that is accepted but
 * does not survive being written and read again.
 *
 * The first input byte chooses how the rest is read: odd, as it is (the
 * header's magic, version, kind, length and checksum checks: truncated,
 * corrupted and foreign files); even, with the header rewritten to agree
 * with the body, so mutations reach the body's parser (dependencies,
 * settings, the ELF blob and the description, desc_read) instead of
 * stopping at the checksum.
 *
 * Build: cmake -DCMAKE_C_COMPILER=clang -DSONDE_FUZZ=ON -DSONDE_SANITIZE=ON
 * Run:   build/fuzz_cache WORKDIR tests/fuzz/corpus_cache
 * (the first directory receives new inputs: keep the seed corpus second;
 * the seeds are a cache entry and --aot files that sonde wrote, each with
 * a leading mode byte). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER_SIZE 32 /* magic, u32 format, u32 kind, u64 body length, u64 body hash */

/* An accepted file must encode and decode to the same bytes again. */
static void round_trip(const struct cache_entry *e)
{
	size_t len1, len2;
	unsigned char *first = cache_encode(e, &len1);
	if (!first)
		return;
	struct cache_entry again;
	char err[256];
	if (cache_decode(first, len1, &again, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_cache: an accepted file does not read back: %s\n", err);
		abort();
	}
	unsigned char *second = cache_encode(&again, &len2);
	if (!second || len1 != len2 || memcmp(first, second, len1) != 0) {
		fprintf(stderr, "fuzz_cache: an accepted file changes when written again\n");
		abort();
	}
	free(second);
	free(first);
	cache_entry_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool as_is = data[0] & 1;
	data++;
	size--;
	unsigned char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (!as_is && size >= HEADER_SIZE) {
		memcpy(copy, "SONDECC\n", 8);
		fuzz_store_le(copy + 8, SONDE_CACHE_FORMAT, 4);
		fuzz_store_le(copy + 12, copy[12] & 1 ? CACHE_AOT : CACHE_ENTRY, 4);
		fuzz_reseal(copy, size, HEADER_SIZE);
	}
	struct cache_entry e;
	char err[256];
	if (cache_decode(copy, size, &e, err, sizeof(err)) == 0) {
		round_trip(&e);
		cache_entry_free(&e);
	} else if (!err[0]) {
		fprintf(stderr, "fuzz_cache: a refused file has no reason\n");
		abort();
	}
	free(copy);
	return 0;
}
