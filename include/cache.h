/* cache.h - compiled scripts kept on disk (src/cache.c).
 *
 * The compile cache keeps, per script, the BPF ELF and its description
 * (desc_write()), so a script run twice starts the second time without
 * parsing, checking or calling LLVM. An entry is looked up by its key: the
 * text of everything a compile depends on that is cheap to read before it
 * (the preprocessed script, the options and settings that shape the code,
 * sonde's version, the kernel's identity). What the compile found out on
 * its way (the binaries of uprobes and USDT probes) is kept in the entry as
 * dependencies, each with the identity of its file, and checked on load.
 *
 * File format (little-endian), one file per entry:
 *   header   magic "SONDECC\n", u32 format version, u32 kind (entry or
 *            AOT file), u64 body length, u64 FNV-1a-64 of the body
 *   body     str kernel identity, blob key, u32 ndeps + per dep (str path,
 *            u8 content, u64 dev, ino, size, mtime ns or hash), blob diagnostics to replay,
 *            settings (u32 count, per setting u8 set, u8 from_env,
 *            u64 value, str text), blob ELF, blob description
 * (str and blob: u32 length + bytes). Anything malformed, truncated, of
 * another version or for another key is refused with a reason, and the
 * caller compiles instead: a cache entry never gives a wrong program. */
#ifndef SONDE_CACHE_H
#define SONDE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "desc.h"
#include "diag.h"

#define SONDE_CACHE_FORMAT 1

enum cache_kind {
	CACHE_ENTRY = 1, /* in the user's cache directory, looked up by key */
	CACHE_AOT = 2,   /* sonde --aot OUT: one file to run elsewhere */
};

/* A file the compile read, and what it was then: its identity, or for
 * files whose times mean nothing (tracefs format files) its contents'
 * length (size) and FNV-1a-64 hash (mtime_ns). */
struct cache_dep {
	char *path;
	bool content;
	uint64_t dev, ino, size, mtime_ns;
};

struct cache_entry {
	enum cache_kind kind;
	char *kernel;                /* cache_kernel_identity() when written */
	char *key;                   /* the key text (NUL-terminated) */
	size_t key_len;
	struct cache_dep *deps;
	int ndeps;
	char *diag;                  /* what the compile printed (warnings) */
	size_t diag_len;
	struct sonde_config config;  /* the settings after the script's config block */
	struct compiled compiled;
};

void cache_entry_free(struct cache_entry *e);
/* Frees only the dependencies (an entry whose other fields are borrowed). */
void cache_deps_free(struct cache_entry *e);

/* The serialised entry (malloc'd; *len its size). */
unsigned char *cache_encode(const struct cache_entry *e, size_t *len);
/* Decodes and checks data: header, checksum, version, kind. Returns 0, or
 * -1 with the reason in err. Dependencies and key are not checked here. */
int cache_decode(const void *data, size_t len, struct cache_entry *out, char *err, size_t errlen);
/* A dependency whose file is not what it was: 0 when all are unchanged,
 * else -1 with the reason in err. */
int cache_check_deps(const struct cache_entry *e, char *err, size_t errlen);
/* Records the identity of the file at path; -1 when it cannot be stat'ed. */
int cache_add_dep(struct cache_entry *e, const char *path);
/* Records the contents of the file at path; -1 when it cannot be read. */
int cache_add_content_dep(struct cache_entry *e, const char *path);
/* Adds the files the compiled probes depend on (the binaries of uprobe and
 * USDT probes, the format files of tracepoints whose record layout was
 * compiled in); -1 when a
 * probe's code depends on something the cache cannot check (the entry
 * must then not be written). */
int cache_add_probe_deps(struct cache_entry *e, const struct desc *d);

/* This machine's kernel: release, version, machine and build id (static
 * storage). */
const char *cache_kernel_identity(void);
/* The cache directory ($XDG_CACHE_HOME/sonde or ~/.cache/sonde; malloc'd),
 * or NULL when there is none. */
char *cache_dir(void);
/* The entry's path for a key (malloc'd). */
char *cache_path(const char *dir, const char *key, size_t key_len);

/* Reads and checks the file at path: decodes it; with a key, the file must
 * be a CACHE_ENTRY for that key and this kernel, with its dependencies
 * unchanged. Without one (a compiled file run by name), a CACHE_AOT file
 * must fit this machine where its code depends on it (kernel build id,
 * syscall ABI, binaries), with a reason that says how it does not.
 * 0 on success; -1 with the reason in err (errno ENOENT when the file does
 * not exist). */
int cache_load(const char *path, const char *key, size_t key_len, struct cache_entry *out,
	       char *err, size_t errlen);
/* Writes the entry to path atomically (a temporary file renamed over it),
 * creating the directory when mkdirs; 0 or -1 with errno. */
int cache_store(const char *path, const struct cache_entry *e, bool mkdirs);

/* The key of a compile (malloc'd text, *len its length), or NULL when the
 * script cannot be cached (its preprocessing fails: the compile says why). */
struct compile_options;
struct cache_key_options {
	const struct compile_options *co;
	const char *probe_filter; /* --probe-filter's text, or NULL */
	const char *cmd;          /* -c */
	long long pid;            /* -p */
	const char *compiler;     /* the binary that compiles (its identity is part of the key) */
};
char *cache_key(const struct source *src, const struct cache_key_options *o, size_t *len);

/* ---- eviction: the cache directory stays under a size ----
 * SONDE_CACHE_MAX_SIZE (bytes, or with K, M, G), default 256M. After an
 * entry is written, the least recently used entries (by file time: a hit
 * touches its entry) are removed until the directory's entries fit. */
#define CACHE_DEFAULT_MAX_SIZE (256ull << 20)
/* The limit; a value that is not a size gives the default and a reason in err. */
uint64_t cache_max_size(char *err, size_t errlen);
struct cache_evicted {
	int removed;
	uint64_t removed_bytes, total; /* total: what the entries take afterwards */
};
/* Removes the oldest entries of dir (never keep, a path or name) until they
 * take at most max_size bytes; 0, or -1 with errno when dir cannot be read. */
int cache_evict(const char *dir, const char *keep, uint64_t max_size, struct cache_evicted *out);

/* Whether the file starts with the magic of a compiled script. */
bool cache_is_compiled_file(const char *path);

#endif
