/* test_cache.c - the compile cache's file format (src/cache.c): round
 * trip, every truncation and every flipped byte refused, another format
 * version, another key, another kernel, a changed dependency. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "check.h"
#include "sonde.h"
#include "util.h"

static struct compiled compile(const char *text)
{
	static FILE *devnull;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	struct source *src = source_from_string("test", text, strlen(text));
	struct compile_options o = { .dump_out = devnull };
	struct compiled c = { 0 };
	CHECKF(sonde_compile(src, &o, stderr, &c) == 0 && c.desc, "compiling: %s", text);
	source_free(src);
	return c;
}

/* An entry owning everything it points to (cache_entry_free frees it). */
static void make_entry(struct cache_entry *e, const char *key, const char *dep)
{
	memset(e, 0, sizeof(*e));
	e->kind = CACHE_ENTRY;
	e->kernel = xstrdup(cache_kernel_identity());
	e->key = xstrdup(key);
	e->key_len = strlen(key);
	e->diag = xstrdup("test:1:1: warning: something\n");
	e->diag_len = strlen(e->diag);
	e->config.set[CFG_MAX_MAP_KEYS] = true;
	e->config.value[CFG_MAX_MAP_KEYS] = 1234;
	e->config.set[CFG_LICENSE] = true;
	e->config.text[CFG_LICENSE] = xstrdup("Dual BSD/GPL");
	e->compiled = compile("BEGIN { @x[1] = count(); printf(\"%d\\n\", 5); exit(); }");
	if (dep)
		CHECK(cache_add_dep(e, dep) == 0);
}

static void test_round_trip(void)
{
	struct cache_entry e, back;
	make_entry(&e, "key one", "/proc/self/exe");
	size_t len;
	unsigned char *data = cache_encode(&e, &len);
	char err[512] = "";
	CHECK(data != NULL);
	CHECKF(cache_decode(data, len, &back, err, sizeof(err)) == 0, "%s", err);
	CHECK(back.kind == CACHE_ENTRY);
	CHECK(strcmp(back.kernel, e.kernel) == 0);
	CHECK(back.key_len == e.key_len && memcmp(back.key, e.key, e.key_len) == 0);
	CHECK(back.diag_len == e.diag_len && memcmp(back.diag, e.diag, e.diag_len) == 0);
	CHECK(back.ndeps == 1 && strcmp(back.deps[0].path, "/proc/self/exe") == 0);
	CHECK(back.deps[0].ino == e.deps[0].ino && back.deps[0].mtime_ns == e.deps[0].mtime_ns);
	CHECK(back.config.set[CFG_MAX_MAP_KEYS] && back.config.value[CFG_MAX_MAP_KEYS] == 1234);
	CHECK(back.config.text[CFG_LICENSE] && strcmp(back.config.text[CFG_LICENSE], "Dual BSD/GPL") == 0);
	CHECK(!back.config.text[CFG_MAX_MAP_KEYS]);
	CHECK(back.compiled.elf_size == e.compiled.elf_size &&
	      memcmp(back.compiled.elf, e.compiled.elf, e.compiled.elf_size) == 0);
	CHECK(back.compiled.desc && back.compiled.desc->nprobes == e.compiled.desc->nprobes &&
	      back.compiled.desc->nmaps == e.compiled.desc->nmaps);
	CHECK(cache_check_deps(&back, err, sizeof(err)) == 0);

	/* writing what was read gives the same bytes */
	size_t len2;
	unsigned char *again = cache_encode(&back, &len2);
	CHECK(again && len2 == len && memcmp(again, data, len) == 0);
	free(again);
	cache_entry_free(&back);
	cache_entry_free(&e);
	free(data);
}

/* Every prefix, and every byte flipped, is refused (never a crash). */
static void test_damage(void)
{
	struct cache_entry e, back;
	make_entry(&e, "key", NULL);
	size_t len;
	unsigned char *data = cache_encode(&e, &len);
	char err[512];
	int accepted = 0;
	for (size_t n = 0; n < len; n++)
		if (cache_decode(data, n, &back, err, sizeof(err)) == 0) {
			accepted++;
			cache_entry_free(&back);
		}
	CHECKF(accepted == 0, "%d truncated copies accepted", accepted);
	CHECK(cache_decode(data, 10, &back, err, sizeof(err)) < 0 && strstr(err, "truncated"));
	for (size_t i = 0; i < len; i++) {
		data[i] ^= 0x20;
		if (cache_decode(data, len, &back, err, sizeof(err)) == 0) {
			accepted++;
			cache_entry_free(&back);
		}
		data[i] ^= 0x20;
	}
	CHECKF(accepted == 0, "%d copies with a flipped byte accepted", accepted);
	data[len / 2] ^= 1;
	CHECK(cache_decode(data, len, &back, err, sizeof(err)) < 0 && strstr(err, "corrupted"));
	data[len / 2] ^= 1;
	data[8] = SONDE_CACHE_FORMAT + 1; /* the format version */
	CHECK(cache_decode(data, len, &back, err, sizeof(err)) < 0 && strstr(err, "format version"));
	data[8] = SONDE_CACHE_FORMAT;
	memcpy(data, "SONDEDSC", 8);
	CHECK(cache_decode(data, len, &back, err, sizeof(err)) < 0 && strstr(err, "bad magic"));
	free(data);
	cache_entry_free(&e);
}

/* cache_load: the key, the kernel and the dependencies decide. */
static void test_load(void)
{
	char dir[] = "/tmp/sonde-test-cache.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *dep = xasprintf("%s/binary", dir);
	FILE *f = fopen(dep, "w");
	CHECK(f && fputs("v1", f) >= 0 && fclose(f) == 0);
	const char *key = "script text and options";
	char *path = cache_path(dir, key, strlen(key));
	char *other = cache_path(dir, "another", 7);
	CHECK(strcmp(path, other) != 0);
	char *again = cache_path(dir, key, strlen(key));
	CHECK(strcmp(path, again) == 0);

	struct cache_entry e, got;
	char err[512] = "";
	CHECK(cache_load(path, key, strlen(key), &got, err, sizeof(err)) < 0 && errno == ENOENT);
	make_entry(&e, key, dep);
	char *sub = xasprintf("%s/a/b/entry.sc", dir);
	CHECKF(cache_store(sub, &e, true) == 0, "store: %s", strerror(errno));
	CHECK(cache_store(path, &e, false) == 0);
	CHECKF(cache_load(path, key, strlen(key), &got, err, sizeof(err)) == 0, "%s", err);
	cache_entry_free(&got);
	CHECK(cache_load(path, "another key", 11, &got, err, sizeof(err)) < 0 && strstr(err, "foreign"));

	/* the kernel identity field of the entry */
	free(e.kernel);
	e.kernel = xstrdup("5.10.0-other #1 SMP x86_64 build-id 00");
	CHECK(cache_store(path, &e, false) == 0);
	CHECK(cache_load(path, key, strlen(key), &got, err, sizeof(err)) < 0 && strstr(err, "kernel"));
	free(e.kernel);
	e.kernel = xstrdup(cache_kernel_identity());

	/* a dependency rewritten after the compile */
	CHECK(cache_store(path, &e, false) == 0);
	f = fopen(dep, "w");
	CHECK(f && fputs("version 2", f) >= 0 && fclose(f) == 0);
	CHECK(cache_load(path, key, strlen(key), &got, err, sizeof(err)) < 0 && strstr(err, "stale"));
	unlink(dep);
	CHECK(cache_load(path, key, strlen(key), &got, err, sizeof(err)) < 0 && strstr(err, "stale"));

	/* a file checked by its contents (tracefs format files have no times) */
	cache_deps_free(&e);
	char *fmt = xasprintf("%s/format", dir);
	f = fopen(fmt, "w");
	CHECK(f && fputs("field:int a; offset:8;", f) >= 0 && fclose(f) == 0);
	CHECK(cache_add_content_dep(&e, fmt) == 0 && e.ndeps == 1 && e.deps[0].content);
	CHECK(cache_store(path, &e, false) == 0);
	CHECKF(cache_load(path, key, strlen(key), &got, err, sizeof(err)) == 0, "%s", err);
	CHECK(got.ndeps == 1 && got.deps[0].content);
	cache_entry_free(&got);
	f = fopen(fmt, "w");
	CHECK(f && fputs("field:int a; offset:16;", f) >= 0 && fclose(f) == 0);
	CHECK(cache_load(path, key, strlen(key), &got, err, sizeof(err)) < 0 && strstr(err, "stale"));
	free(fmt);

	/* an --aot file is not a cache entry */
	cache_deps_free(&e);
	e.kind = CACHE_AOT;
	CHECK(cache_store(path, &e, false) == 0);
	CHECK(cache_load(path, key, strlen(key), &got, err, sizeof(err)) < 0 && strstr(err, "foreign"));
	CHECKF(cache_load(path, NULL, 0, &got, err, sizeof(err)) == 0, "%s", err);
	cache_entry_free(&got);
	CHECK(cache_is_compiled_file(path));
	CHECK(!cache_is_compiled_file("/proc/self/exe"));

	cache_entry_free(&e);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	free(cmd);
	free(sub);
	free(again);
	free(other);
	free(path);
	free(dep);
}

int main(void)
{
	test_round_trip();
	test_damage();
	test_load();
	return failures != 0;
}
