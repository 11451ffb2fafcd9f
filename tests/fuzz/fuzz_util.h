/* fuzz_util.h - helpers for the fuzz targets (tests/fuzz) and the unit
 * tests that feed sonde's file readers changed copies of what sonde wrote.
 * Header-only: each user is one C file built on its own.
 *
 * Both sonde's description format (src/desc.c) and its cache format
 * (src/cache.c) end their header with the body's length and FNV-1a hash
 * (u64 each, little-endian). fuzz_reseal() makes a changed copy's header
 * agree with its body again, so that a change reaches the body's parser
 * instead of stopping at the hash. The hash is written out here, not taken
 * from src/: the tests read the format as an outsider would. */
#ifndef SONDE_FUZZ_UTIL_H
#define SONDE_FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>

#include "sonde.h"

static inline void fuzz_store_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t fuzz_fnv1a64(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* P is N bytes, N >= HEADER_SIZE: the body's length and hash go in the
 * header's last 16 bytes. */
static inline void fuzz_reseal(unsigned char *p, size_t n, size_t header_size)
{
	fuzz_store_le(p + header_size - 16, n - header_size, 8);
	fuzz_store_le(p + header_size - 8, fuzz_fnv1a64(p + header_size, n - header_size), 8);
}

/* A type an accepted description hands the runtime must be usable: named,
 * and a zeroed value of it decoded (ASan watches the decoder stay inside
 * the type's size). */
static inline void fuzz_decode_zero(const struct type *t)
{
	if (!t || t->size > (1u << 20))
		return;
	void *zero = calloc(1, t->size ? t->size : 1);
	if (!zero)
		abort();
	struct rt_arena *a = rt_arena_new();
	rt_decode(a, t, zero);
	rt_arena_free(a);
	free(zero);
	char name[256];
	type_name(t, name, sizeof(name));
}

/* Every type of D as fuzz_decode_zero() uses it: the maps' keys and values,
 * the printf arguments and the other values events carry. */
static inline void fuzz_decode_types(const struct desc *d)
{
	for (int i = 0; i < d->nmaps; i++) {
		fuzz_decode_zero(d->maps[i].key);
		fuzz_decode_zero(d->maps[i].value);
	}
	for (int i = 0; i < d->nprintfs; i++)
		fuzz_decode_zero(d->printfs[i].args);
	for (int i = 0; i < d->nvalues; i++)
		fuzz_decode_zero(d->values[i]);
}

#endif
