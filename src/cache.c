/* cache.c - compiled scripts on disk: the entry format, its checks, and
 * atomic writes (see include/cache.h for the layout).
 *
 * Owns: the entry's bytes and every check done before trusting them. The
 * key text is stored whole and compared byte for byte, so two keys that
 * share a file name (a hash collision) can only cost a recompile. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "btf.h"
#include "cache.h"
#include "preproc.h"
#include "probe.h"
#include "sonde.h"
#include "util.h"

static const char cache_magic[8] = { 'S', 'O', 'N', 'D', 'E', 'C', 'C', '\n' };
#define CACHE_HEADER_SIZE 32u /* magic, format, kind, body length, hash */
/* Bounds on what a file may claim before anything is allocated for it. */
#define CACHE_MAX_DEPS 4096u


void cache_entry_free(struct cache_entry *e)
{
	free(e->kernel);
	free(e->key);
	cache_deps_free(e);
	free(e->diag);
	config_free(&e->config);
	compiled_free(&e->compiled);
	memset(e, 0, sizeof(*e));
}

void cache_deps_free(struct cache_entry *e)
{
	for (int i = 0; i < e->ndeps; i++)
		free(e->deps[i].path);
	free(e->deps);
	e->deps = NULL;
	e->ndeps = 0;
}

/* ---- writing ------------------------------------------------------------------- */

static void cb_u64(struct util_strbuf *b, uint64_t v, unsigned nbytes)
{
	unsigned char le[8];
	for (unsigned i = 0; i < nbytes; i++)
		le[i] = (unsigned char)(v >> (8 * i));
	util_strbuf_add(b, le, nbytes);
}

static void cb_blob(struct util_strbuf *b, const void *data, size_t n)
{
	cb_u64(b, n, 4);
	util_strbuf_add(b, data, n);
}

static void cb_str(struct util_strbuf *b, const char *s)
{
	cb_blob(b, s ? s : "", s ? strlen(s) : 0);
}

static void put_config(struct util_strbuf *b, const struct sonde_config *c)
{
	cb_u64(b, CFG_COUNT, 4);
	for (int id = 0; id < CFG_COUNT; id++) {
		cb_u64(b, c->set[id], 1);
		cb_u64(b, c->from_env[id], 1);
		cb_u64(b, c->value[id], 8);
		cb_u64(b, c->text[id] != NULL, 1);
		cb_str(b, c->text[id]);
	}
}

unsigned char *cache_encode(const struct cache_entry *e, size_t *len)
{
	struct util_strbuf body = { 0 };
	cb_str(&body, e->kernel);
	cb_blob(&body, e->key, e->key_len);
	cb_u64(&body, (uint64_t)e->ndeps, 4);
	for (int i = 0; i < e->ndeps; i++) {
		const struct cache_dep *d = &e->deps[i];
		cb_str(&body, d->path);
		cb_u64(&body, d->content, 1);
		cb_u64(&body, d->dev, 8);
		cb_u64(&body, d->ino, 8);
		cb_u64(&body, d->size, 8);
		cb_u64(&body, d->mtime_ns, 8);
	}
	cb_blob(&body, e->diag, e->diag_len);
	put_config(&body, &e->config);
	cb_blob(&body, e->compiled.elf, e->compiled.elf_size);
	struct xtext desc_text = { 0 };
	FILE *f = xtext_open(&desc_text);
	bool ok = e->compiled.desc && desc_write(e->compiled.desc, f) == 0;
	size_t desc_len;
	char *desc_bytes = xtext_close(&desc_text, &desc_len);
	if (!ok) {
		free(desc_bytes);
		free(body.buf);
		return NULL;
	}
	cb_blob(&body, desc_bytes, desc_len);
	free(desc_bytes);

	struct util_strbuf out = { 0 };
	util_strbuf_add(&out, cache_magic, sizeof(cache_magic));
	cb_u64(&out, SONDE_CACHE_FORMAT, 4);
	cb_u64(&out, (uint64_t)e->kind, 4);
	cb_u64(&out, body.len, 8);
	cb_u64(&out, util_fnv1a64(body.buf, body.len, UTIL_FNV_BASIS), 8);
	util_strbuf_add(&out, body.buf, body.len);
	free(body.buf);
	*len = out.len;
	return (unsigned char *)out.buf;
}

/* ---- reading -------------------------------------------------------------------- */

/* A bounds-checked cursor; the first failure is sticky and every later read
 * yields zeros, so callers check `failed` once before using what they read. */
struct creader {
	const unsigned char *p;
	size_t at, end;
	bool failed;
};

static const unsigned char *cr_take(struct creader *r, size_t n)
{
	if (r->failed || n > r->end - r->at) {
		r->failed = true;
		return NULL;
	}
	const unsigned char *p = r->p + r->at;
	r->at += n;
	return p;
}

static uint64_t cr_u64(struct creader *r, unsigned nbytes)
{
	const unsigned char *p = cr_take(r, nbytes);
	uint64_t v = 0;
	for (unsigned i = 0; p && i < nbytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A blob as a fresh NUL-terminated copy (NULL after a failure). */
static char *cr_blob(struct creader *r, size_t *len)
{
	size_t n = (size_t)cr_u64(r, 4);
	const unsigned char *p = cr_take(r, n);
	if (!p)
		return NULL;
	if (len)
		*len = n;
	return xstrndup((const char *)p, n);
}

/* A blob as a fresh copy of its bytes, binary-safe. */
static void *cr_bytes(struct creader *r, size_t *len)
{
	size_t n = (size_t)cr_u64(r, 4);
	const unsigned char *p = cr_take(r, n);
	if (!p)
		return NULL;
	void *copy = xmalloc(n ? n : 1);
	memcpy(copy, p, n);
	*len = n;
	return copy;
}

static void get_config(struct creader *r, struct sonde_config *c)
{
	if (cr_u64(r, 4) != CFG_COUNT) {
		r->failed = true;
		return;
	}
	for (int id = 0; id < CFG_COUNT && !r->failed; id++) {
		c->set[id] = cr_u64(r, 1) != 0;
		c->from_env[id] = cr_u64(r, 1) != 0;
		c->value[id] = cr_u64(r, 8);
		bool has_text = cr_u64(r, 1) != 0;
		char *text = cr_blob(r, NULL);
		if (has_text)
			c->text[id] = text;
		else
			free(text);
	}
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int decode_header(struct creader *r, size_t len, struct cache_entry *out, char *err,
			 size_t errlen)
{
	if (len < CACHE_HEADER_SIZE)
		return fail(err, errlen, "truncated: %zu bytes, shorter than the header", len);
	if (memcmp(r->p, cache_magic, sizeof(cache_magic)) != 0)
		return fail(err, errlen, "not a compiled sonde script (bad magic)");
	r->at = sizeof(cache_magic);
	uint32_t format = (uint32_t)cr_u64(r, 4);
	uint32_t kind = (uint32_t)cr_u64(r, 4);
	uint64_t body_len = cr_u64(r, 8), hash = cr_u64(r, 8);
	if (format != SONDE_CACHE_FORMAT)
		return fail(err, errlen, "format version %u, this sonde reads version %u", format,
			    SONDE_CACHE_FORMAT);
	if (kind != CACHE_ENTRY && kind != CACHE_AOT)
		return fail(err, errlen, "unknown kind %u", kind);
	if (body_len != len - CACHE_HEADER_SIZE)
		return fail(err, errlen, "truncated or extended: the body has %zu bytes, the header says %llu",
			    len - CACHE_HEADER_SIZE, (unsigned long long)body_len);
	if (util_fnv1a64(r->p + CACHE_HEADER_SIZE, (size_t)body_len, UTIL_FNV_BASIS) != hash)
		return fail(err, errlen, "corrupted: the body does not match its checksum");
	out->kind = (enum cache_kind)kind;
	return 0;
}

static void decode_deps(struct creader *r, struct cache_entry *out)
{
	uint32_t n = (uint32_t)cr_u64(r, 4);
	if (n > CACHE_MAX_DEPS) {
		r->failed = true;
		return;
	}
	out->deps = xcalloc(n ? n : 1, sizeof(*out->deps));
	for (uint32_t i = 0; i < n && !r->failed; i++) {
		struct cache_dep *d = &out->deps[out->ndeps++];
		d->path = cr_blob(r, NULL);
		d->content = cr_u64(r, 1) != 0;
		d->dev = cr_u64(r, 8);
		d->ino = cr_u64(r, 8);
		d->size = cr_u64(r, 8);
		d->mtime_ns = cr_u64(r, 8);
	}
}

int cache_decode(const void *data, size_t len, struct cache_entry *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct creader r = { .p = data, .end = len };
	if (decode_header(&r, len, out, err, errlen) < 0)
		return -1;
	out->kernel = cr_blob(&r, NULL);
	out->key = cr_blob(&r, &out->key_len);
	decode_deps(&r, out);
	out->diag = cr_blob(&r, &out->diag_len);
	get_config(&r, &out->config);
	out->compiled.elf = cr_bytes(&r, &out->compiled.elf_size);
	size_t desc_len = 0;
	void *desc_bytes = cr_bytes(&r, &desc_len);
	if (r.failed || r.at != r.end) {
		free(desc_bytes);
		cache_entry_free(out);
		return fail(err, errlen, "malformed body");
	}
	char why[256] = "";
	out->compiled.desc = desc_read(desc_bytes, desc_len, why, sizeof(why));
	free(desc_bytes);
	if (!out->compiled.desc) {
		cache_entry_free(out);
		return fail(err, errlen, "its description: %s", why);
	}
	return 0;
}

/* ---- dependencies ------------------------------------------------------------------ */

static void dep_identity(const struct stat *st, struct cache_dep *d)
{
	d->dev = (uint64_t)st->st_dev;
	d->ino = (uint64_t)st->st_ino;
	d->size = (uint64_t)st->st_size;
	d->mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
}

int cache_add_dep(struct cache_entry *e, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	for (int i = 0; i < e->ndeps; i++)
		if (strcmp(e->deps[i].path, path) == 0)
			return 0;
	e->deps = xrealloc(e->deps, sizeof(*e->deps) * (size_t)(e->ndeps + 1));
	struct cache_dep *d = &e->deps[e->ndeps++];
	*d = (struct cache_dep){ .path = xstrdup(path) }; /* content: false, not realloc's garbage */
	dep_identity(&st, d);
	return 0;
}

static int read_file(const char *path, unsigned char **data, size_t *len);

/* A file's contents as a dependency (length and hash). */
static int dep_content(const char *path, struct cache_dep *d)
{
	unsigned char *data;
	size_t len;
	if (read_file(path, &data, &len) < 0)
		return -1;
	d->content = true;
	d->dev = d->ino = 0;
	d->size = len;
	d->mtime_ns = util_fnv1a64(data, len, UTIL_FNV_BASIS);
	free(data);
	return 0;
}

int cache_add_content_dep(struct cache_entry *e, const char *path)
{
	for (int i = 0; i < e->ndeps; i++)
		if (strcmp(e->deps[i].path, path) == 0)
			return 0;
	struct cache_dep d = { 0 };
	if (dep_content(path, &d) < 0)
		return -1;
	e->deps = xrealloc(e->deps, sizeof(*e->deps) * (size_t)(e->ndeps + 1));
	d.path = xstrdup(path);
	e->deps[e->ndeps++] = d;
	return 0;
}

int cache_check_deps(const struct cache_entry *e, char *err, size_t errlen)
{
	for (int i = 0; i < e->ndeps; i++) {
		struct stat st;
		struct cache_dep now = { 0 };
		if (e->deps[i].content ? dep_content(e->deps[i].path, &now) != 0 : stat(e->deps[i].path, &st) != 0)
			return fail(err, errlen, "stale: %s: %s", e->deps[i].path, strerror(errno));
		if (!e->deps[i].content)
			dep_identity(&st, &now);
		const struct cache_dep *was = &e->deps[i];
		if (now.dev != was->dev || now.ino != was->ino || now.size != was->size ||
		    now.mtime_ns != was->mtime_ns)
			return fail(err, errlen, "stale: %s changed since the compile", was->path);
	}
	return 0;
}

/* The file a probe's program was made for: "PATH:func" (uprobe), "PATH\n
 * notes" (USDT), the format file of a tracepoint "category:event" whose
 * record offsets were compiled in. NULL when it depends on no file. */
static char *probe_file(const struct desc_probe *p)
{
	const char *t = p->target ? p->target : "";
	const char *root;
	switch (p->type) {
	case PT_TRACEPOINT:
		if (!(p->deps & DESC_DEP_KERNEL_LAYOUT) || !strchr(t, ':') || !(root = tracefs_path()))
			return NULL;
		return xasprintf("%s/events/%.*s/%s/format", root, (int)strcspn(t, ":"), t, strchr(t, ':') + 1);
	case PT_UPROBE:
	case PT_URETPROBE:
		return xstrndup(t, strcspn(t, ":"));
	case PT_USDT:
		return xstrndup(t, strcspn(t, "\n"));
	default:
		return NULL;
	}
}

int cache_add_probe_deps(struct cache_entry *e, const struct desc *d)
{
	for (int i = 0; i < d->nprobes; i++) {
		const struct desc_probe *p = &d->probes[i];
		/* addresses of another process' memory: valid for that process alone */
		if (p->type == PT_WATCHPOINT || p->type == PT_ASYNCWATCHPOINT)
			return -1;
		/* fentry:bpf: the id of a BPF program running now */
		if ((p->type == PT_FENTRY || p->type == PT_FEXIT) && p->target && strncmp(p->target, "bpf:", 4) == 0)
			return -1;
		char *bin = probe_file(p);
		if (!bin)
			continue;
		int rc = bin[0] != '/' ? -1 : p->type == PT_TRACEPOINT ? cache_add_content_dep(e, bin)
								      : cache_add_dep(e, bin);
		free(bin);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- where entries live ------------------------------------------------------------- */

const char *cache_kernel_identity(void)
{
	static char id[1024];
	if (id[0])
		return id;
	struct utsname u;
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	snprintf(id, sizeof(id), "%s %s %s build-id %s", u.release, u.version, u.machine,
		 kbtf_kernel_build_id());
	return id;
}

char *cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/sonde", xdg);
	const char *home = getenv("HOME");
	if (home && home[0] == '/')
		return xasprintf("%s/.cache/sonde", home);
	return NULL;
}

char *cache_path(const char *dir, const char *key, size_t key_len)
{
	/* two differently seeded hashes: 128 bits of name */
	uint64_t a = util_fnv1a64(key, key_len, UTIL_FNV_BASIS);
	uint64_t b = util_fnv1a64(key, key_len, 0x84222325cbf29ce4ull);
	return xasprintf("%s/%016llx%016llx.sc", dir, (unsigned long long)a, (unsigned long long)b);
}

static int read_file(const char *path, unsigned char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int e = errno ? errno : EINVAL;
		close(fd);
		errno = e;
		return -1;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	unsigned char *buf = xmalloc(cap);
	for (;;) {
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	*data = buf;
	*len = n;
	return 0;
}

/* A compiled file made elsewhere runs where what its code assumes holds:
 * the kernel's types (by build id) and syscall numbers when it used them,
 * the same binaries (by size: their times differ from machine to machine). */
static int check_aot(const struct cache_entry *e, char *err, size_t errlen)
{
	const struct desc_deps *dd = &e->compiled.desc->deps;
	const char *build_id = kbtf_kernel_build_id();
	if (dd->kernel_build_id && dd->kernel_build_id[0] && strcmp(dd->kernel_build_id, build_id) != 0)
		return fail(err, errlen,
			    "it uses the kernel types of kernel build id %s (%s); this kernel's build id is %s (%s)",
			    dd->kernel_build_id, e->kernel, build_id[0] ? build_id : "unknown",
			    cache_kernel_identity());
	struct utsname u;
	if (dd->syscall_abi && dd->syscall_abi[0] && uname(&u) == 0 && strcmp(dd->syscall_abi, u.machine) != 0)
		return fail(err, errlen, "it has the syscall numbers of %s; this machine is %s", dd->syscall_abi,
			    u.machine);
	for (int i = 0; i < e->ndeps; i++) {
		const struct cache_dep *d = &e->deps[i];
		struct stat st;
		struct cache_dep now = { 0 };
		if (d->content ? dep_content(d->path, &now) != 0 : stat(d->path, &st) != 0)
			return fail(err, errlen, "%s: %s", d->path, strerror(errno));
		if (d->content && (now.size != d->size || now.mtime_ns != d->mtime_ns))
			return fail(err, errlen, "%s differs from the one it was compiled with", d->path);
		if (!d->content && (uint64_t)st.st_size != d->size)
			return fail(err, errlen, "%s is not the binary it was compiled for", d->path);
	}
	return 0;
}

int cache_load(const char *path, const char *key, size_t key_len, struct cache_entry *out,
	       char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	memset(out, 0, sizeof(*out));
	if (read_file(path, &data, &len) < 0) {
		int e = errno;
		fail(err, errlen, "%s", strerror(e));
		errno = e;
		return -1;
	}
	int rc = cache_decode(data, len, out, err, errlen);
	free(data);
	errno = EINVAL;
	if (rc < 0)
		return -1;
	if (!key && out->kind == CACHE_AOT)
		rc = check_aot(out, err, errlen);
	else if (key && (out->kind != CACHE_ENTRY || out->key_len != key_len ||
			 memcmp(out->key, key, key_len) != 0))
		rc = fail(err, errlen, "foreign: compiled for another script, options or kernel");
	else if (strcmp(out->kernel, cache_kernel_identity()) != 0)
		rc = fail(err, errlen, "compiled for kernel '%s', this is '%s'", out->kernel,
			  cache_kernel_identity());
	else
		rc = cache_check_deps(out, err, errlen);
	if (rc < 0) {
		cache_entry_free(out);
		errno = EINVAL;
	} else if (key) {
		/* the entry's time is its last use: eviction removes the least
		 * recently used first (a read-only cache just keeps its times) */
		utimensat(AT_FDCWD, path, NULL, 0);
	}
	return rc;
}

static int mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return rc;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int cache_store(const char *path, const struct cache_entry *e, bool make_dirs)
{
	size_t len;
	unsigned char *data = cache_encode(e, &len);
	if (!data) {
		errno = EINVAL;
		return -1;
	}
	if (make_dirs) {
		char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir)
			*slash = '\0';
		int rc = slash && slash != dir ? mkdirs(dir) : 0;
		free(dir);
		if (rc < 0) {
			free(data);
			return -1;
		}
	}
	/* a reader sees the old file or the whole new one, never a part */
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	int rc = fd < 0 ? -1 : write_all(fd, data, len);
	int e_saved = errno;
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		rc = -1;
		e_saved = errno;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -1;
		e_saved = errno;
	}
	if (rc < 0 && fd >= 0)
		unlink(tmp);
	free(tmp);
	free(data);
	errno = e_saved;
	return rc;
}

bool cache_is_compiled_file(const char *path)
{
	char head[sizeof(cache_magic)];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool is = read(fd, head, sizeof(head)) == (ssize_t)sizeof(head) &&
		  memcmp(head, cache_magic, sizeof(head)) == 0;
	close(fd);
	return is;
}

/* ---- the key ---------------------------------------------------------------------- */

static void key_field(FILE *f, const char *name, const char *value, size_t len)
{
	/* length-prefixed, so no value can pose as another field */
	fprintf(f, "%s %zu:", name, len);
	fwrite(value, 1, len, f);
	fputc('\n', f);
}

static void key_str(FILE *f, const char *name, const char *value)
{
	key_field(f, name, value ? value : "", value ? strlen(value) : 0);
}

static void key_file_identity(FILE *f, const char *name, const char *path)
{
	struct stat st;
	struct cache_dep d = { 0 };
	if (stat(path, &st) == 0)
		dep_identity(&st, &d);
	fprintf(f, "%s %llu %llu %llu %llu\n", name, (unsigned long long)d.dev, (unsigned long long)d.ino,
		(unsigned long long)d.size, (unsigned long long)d.mtime_ns);
}

static void key_file_text(FILE *f, const char *name, const char *path)
{
	char buf[512] = "";
	FILE *in = fopen(path, "re");
	size_t n = in ? fread(buf, 1, sizeof(buf) - 1, in) : 0;
	if (in)
		fclose(in);
	key_field(f, name, buf, n);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Variables that change no compile: the cache's own settings, and the
 * start-up profile (timing.h). */
static bool key_env_ignored(const char *var)
{
	static const char *const ignored[] = { "SONDE_NO_CACHE=", "SONDE_CACHE_MAX_SIZE=", "SONDE_TIMES=" };
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (strncmp(var, ignored[i], strlen(ignored[i])) == 0)
			return true;
	return false;
}

/* The settings compiles read from the environment (sorted: the order of
 * environ is not the user's choice). */
static void key_environment(FILE *f)
{
	extern char **environ;
	size_t n = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	char **vars = xcalloc(n + 1, sizeof(*vars));
	size_t k = 0;
	for (char **e = environ; e && *e; e++)
		if ((strncmp(*e, "BPFTRACE_", 9) == 0 || strncmp(*e, "SONDE_", 6) == 0 ||
		     strncmp(*e, "PATH=", 5) == 0) && !key_env_ignored(*e))
			vars[k++] = *e;
	util_sort(vars, k, sizeof(*vars), cmp_str);
	for (size_t i = 0; i < k; i++)
		key_str(f, "env", vars[i]);
	free(vars);
	const char *btf = getenv("BPFTRACE_BTF");
	if (btf)
		key_file_identity(f, "btf", btf);
}

/* The script's text as the compile will see it: preprocessed when it has
 * directives or --include files, so included files count. */
static int key_script(FILE *f, const struct source *src)
{
	key_str(f, "name", src->name);
	if (!src->nincludes && !preproc_needed(src->text, src->len)) {
		key_field(f, "text", src->text, src->len);
		return 0;
	}
	struct xtext sink = { 0 };
	struct diag d;
	diag_init(&d, src, xtext_open(&sink));
	size_t len;
	char *text = preproc_run(src, &d, &len);
	free(xtext_close(&sink, NULL));
	if (d.errors) {
		free(text);
		return -1; /* the compile reports them */
	}
	key_field(f, "preprocessed", text, len);
	free(text);
	return 0;
}

char *cache_key(const struct source *src, const struct cache_key_options *o, size_t *len)
{
	struct xtext t = { 0 };
	FILE *f = xtext_open(&t);
	fprintf(f, "sonde %s desc %d cache %d\n", SONDE_VERSION, SONDE_DESC_VERSION, SONDE_CACHE_FORMAT);
	/* a rebuilt sonde may compile differently under the same version */
	key_file_identity(f, "exe", o->compiler ? o->compiler : "/proc/self/exe");
	key_str(f, "kernel", cache_kernel_identity());
	struct stat ns;
	if (stat("/proc/self/ns/pid", &ns) != 0)
		memset(&ns, 0, sizeof(ns)); /* its times are not the namespace's */
	fprintf(f, "pidns %llu %llu\n", (unsigned long long)ns.st_dev, (unsigned long long)ns.st_ino);
	key_file_text(f, "cpus-online", "/sys/devices/system/cpu/online");
	key_file_text(f, "cpus-possible", "/sys/devices/system/cpu/possible");
	char cwd[4096];
	key_str(f, "cwd", getcwd(cwd, sizeof(cwd)) ? cwd : "");
	key_environment(f);
	const struct compile_options *co = o->co;
	fprintf(f, "helper-errors %d\n", co->helper_errors);
	fprintf(f, "unsafe %d no-warnings %d max-probes %u max-programs %u pid %lld\n", co->unsafe,
		co->no_warnings, co->max_probes, co->max_programs, (long long)o->pid);
	key_str(f, "probe-filter", o->probe_filter);
	key_str(f, "cmd", o->cmd);
	for (int i = 0; i < co->npositional; i++)
		key_str(f, "positional", co->positional[i]);
	for (int i = 0; i < co->nnamed; i++)
		key_str(f, "named", co->named[i]);
	int rc = key_script(f, src);
	char *key = xtext_close(&t, len);
	if (rc < 0) {
		free(key);
		return NULL;
	}
	return key;
}

/* ---- eviction ------------------------------------------------------------------------ */

uint64_t cache_max_size(char *err, size_t errlen)
{
	const char *v = getenv("SONDE_CACHE_MAX_SIZE");
	if (err && errlen)
		err[0] = '\0';
	if (!v || !*v)
		return CACHE_DEFAULT_MAX_SIZE;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	unsigned shift = 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (errno || end == v || *end || v[0] == '-' || (shift && n > (UINT64_MAX >> shift))) {
		fail(err, errlen, "SONDE_CACHE_MAX_SIZE='%s' is not a size (bytes, or with K, M or G); using %lluM",
		     v, (unsigned long long)(CACHE_DEFAULT_MAX_SIZE >> 20));
		return CACHE_DEFAULT_MAX_SIZE;
	}
	return (uint64_t)n << shift;
}

struct cache_file {
	char *name;
	uint64_t size;
	struct timespec mtime;
};

static int cmp_oldest(const void *a, const void *b)
{
	const struct cache_file *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Entries (NAME.sc) of the directory, and the size they take; temporary
 * files a writer left behind (it died between mkstemp and rename) are
 * removed once they are an hour old. */
static struct cache_file *list_entries(DIR *d, int *n, uint64_t *total)
{
	struct cache_file *files = NULL;
	int cap = 0;
	time_t now = time(NULL);
	*n = 0;
	*total = 0;
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		struct stat st;
		bool entry = has_suffix(de->d_name, ".sc"), tmp = strstr(de->d_name, ".sc.tmp.") != NULL;
		if ((!entry && !tmp) || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (tmp) {
			if (now - st.st_mtim.tv_sec > 3600)
				unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (*n == cap)
			files = xrealloc(files, sizeof(*files) * (size_t)(cap = cap ? 2 * cap : 64));
		files[(*n)++] = (struct cache_file){ xstrdup(de->d_name), (uint64_t)st.st_size, st.st_mtim };
		*total += (uint64_t)st.st_size;
	}
	return files;
}

int cache_evict(const char *dir, const char *keep, uint64_t max_size, struct cache_evicted *out)
{
	memset(out, 0, sizeof(*out));
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n;
	struct cache_file *files = list_entries(d, &n, &out->total);
	if (out->total > max_size && n > 0) {
		util_sort(files, (size_t)n, sizeof(*files), cmp_oldest);
		const char *keep_name = keep ? strrchr(keep, '/') : NULL;
		keep_name = keep_name ? keep_name + 1 : keep;
		for (int i = 0; i < n && out->total > max_size; i++) {
			if (keep_name && strcmp(files[i].name, keep_name) == 0)
				continue;
			/* a reader that has it open keeps reading it: unlink is safe */
			if (unlinkat(dirfd(d), files[i].name, 0) != 0)
				continue;
			out->total -= files[i].size;
			out->removed++;
			out->removed_bytes += files[i].size;
		}
	}
	for (int i = 0; i < n; i++)
		free(files[i].name);
	free(files);
	closedir(d);
	return 0;
}
