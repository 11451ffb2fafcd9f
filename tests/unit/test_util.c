/* test_util.c - util_strbuf: the growable string every stage builds text
 * and ELF images in (src/util.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util.h"

/* Nothing added: buf stays NULL, take gives "" (a caller may print it). */
static void test_empty(void)
{
	struct util_strbuf b = { 0 };
	CHECK(b.buf == NULL && b.len == 0);
	char *t = util_strbuf_take(&b);
	CHECK(t && strcmp(t, "") == 0);
	CHECK(b.buf == NULL && b.len == 0 && b.cap == 0);
	free(t);
	/* adding nothing still makes it a string (sema/positional.c starts so) */
	util_strbuf_add(&b, "", 0);
	CHECK(b.buf && b.buf[0] == '\0' && b.len == 0);
	free(b.buf);
}

/* Appends across many growths keep every byte and the NUL after them. */
static void test_grow(void)
{
	struct util_strbuf b = { 0 };
	for (int i = 0; i < 1000; i++)
		util_strbuf_addstr(&b, i % 2 ? "ab" : "c");
	CHECKF(b.len == 1500, "len %zu", b.len);
	CHECK(b.buf[b.len] == '\0');
	CHECK(strncmp(b.buf, "cabcab", 6) == 0 && strcmp(b.buf + 1497, "cab") == 0);
	CHECK(b.cap > b.len);
	free(b.buf);
}

/* Binary data with NULs inside (codegen/clone.c writes ELF images). */
static void test_binary(void)
{
	struct util_strbuf b = { 0 };
	uint32_t words[3] = { 0, 0xdeadbeef, 7 };
	util_strbuf_add(&b, words, sizeof(words));
	util_strbuf_add(&b, "", 1);
	CHECK(b.len == sizeof(words) + 1);
	CHECK(memcmp(b.buf, words, sizeof(words)) == 0 && b.buf[sizeof(words)] == '\0');
	free(b.buf);
}

static void test_printf(void)
{
	struct util_strbuf b = { 0 };
	util_strbuf_addf(&b, "%s=%d", "x", 42);
	util_strbuf_addf(&b, "%s", "");
	util_strbuf_addf(&b, " %0300d|", 1);
	CHECKF(b.len == 4 + 302, "len %zu", b.len);
	CHECK(strncmp(b.buf, "x=42 000", 8) == 0 && strcmp(b.buf + b.len - 2, "1|") == 0);
	char *t = util_strbuf_take(&b);
	CHECK(strlen(t) == 306);
	free(t);
}

/* FNV-1a's published test vectors; cache and description files store it */
static void test_fnv(void)
{
	CHECK(util_fnv1a64("", 0, UTIL_FNV_BASIS) == 0xcbf29ce484222325ull);
	CHECK(util_fnv1a64("a", 1, UTIL_FNV_BASIS) == 0xaf63dc4c8601ec8cull);
	CHECK(util_fnv1a64("foobar", 6, UTIL_FNV_BASIS) == 0x85944171f73967e8ull);
	/* going on from a hash is hashing the concatenation */
	CHECK(util_fnv1a64("bar", 3, util_fnv1a64("foo", 3, UTIL_FNV_BASIS)) == 0x85944171f73967e8ull);
}

/* Elements 0..999 named "n<i>"; a hash of 8 values forces long probe runs,
 * growth rehashes, and a miss walks to an empty slot. */
static char names[1000][8];

static uint64_t weak_hash(const char *name)
{
	return util_fnv1a64(name, strlen(name), UTIL_FNV_BASIS) & 7;
}

static uint64_t name_hash_of(const void *ctx, int index)
{
	(void)ctx;
	return weak_hash(names[index]);
}

static bool named(const void *ctx, int index)
{
	return strcmp(names[index], ctx) == 0;
}

static void test_hash_index(void)
{
	struct util_hash_index t = { 0 };
	CHECK(util_hash_index_find(&t, 0, named, "n0") == -1);
	for (int i = 0; i < 1000; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i);
		util_hash_index_add(&t, i, name_hash_of, NULL);
	}
	CHECK(t.n == 1000 && t.cap >= 2000);
	int wrong = 0;
	for (int i = 0; i < 1000; i++)
		wrong += util_hash_index_find(&t, weak_hash(names[i]), named, names[i]) != i;
	CHECKF(wrong == 0, "%d elements not found at their index", wrong);
	CHECK(util_hash_index_find(&t, weak_hash("n1000"), named, "n1000") == -1);
	util_hash_index_free(&t);
	CHECK(t.slots == NULL && t.cap == 0 && t.n == 0);
}

int main(void)
{
	test_fnv();
	test_hash_index();
	test_empty();
	test_grow();
	test_binary();
	test_printf();
	return failures != 0;
}
