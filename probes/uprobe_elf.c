/* uprobe_elf.c - a binary's functions (libelf) and where binaries are.
 *
 * A uprobe is attached at a file offset. The offset of a function is its
 * symbol's address moved by the loadable segment holding it, which is the
 * same rule for a non-PIE executable (addresses from 0x400000), a PIE and
 * a shared library (from 0), so every binary takes one path. Each file's
 * table is read once and cached: a wildcard expands over it, and every
 * target's offset comes from it while compiling, so attaching opens no ELF
 * file at all. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"
#include "uprobe_internal.h"

static struct uprobe_elf *cache;

static int by_name(const void *a, const void *b)
{
	const struct uprobe_func *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int by_addr(const void *a, const void *b)
{
	const struct uprobe_func *x = *(struct uprobe_func *const *)a, *y = *(struct uprobe_func *const *)b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

bool uprobe_elf_each_symbol(Elf *e, uprobe_elf_symbol_fn fn, void *arg)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; data && i < count; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name && *name && fn(name, &sym, arg))
				return true;
		}
	}
	return false;
}

struct func_reader {
	struct uprobe_elf *u;
	int cap;
};

/* Functions (and GNU indirect functions, as libbpf counts them) that are
 * defined here, from .symtab and .dynsym. */
static bool add_func(const char *name, const GElf_Sym *sym, void *arg)
{
	struct func_reader *r = arg;
	struct uprobe_elf *u = r->u;
	if (sym->st_value == 0 ||
	    (GELF_ST_TYPE(sym->st_info) != STT_FUNC && GELF_ST_TYPE(sym->st_info) != STT_GNU_IFUNC))
		return false;
	if (u->nfuncs == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		u->funcs = xrealloc(u->funcs, sizeof(*u->funcs) * (size_t)r->cap);
	}
	u->funcs[u->nfuncs++] = (struct uprobe_func){ xstrdup(name), sym->st_value, sym->st_size, 0 };
	return false;
}

static void read_symbols(Elf *e, struct uprobe_elf *u)
{
	struct func_reader r = { u, 0 };
	uprobe_elf_each_symbol(e, add_func, &r);
}

static void read_segments(Elf *e, struct uprobe_elf *u)
{
	size_t n;
	if (elf_getphdrnum(e, &n) != 0)
		return;
	u->segs = xcalloc(n + 1, sizeof(*u->segs));
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
			u->segs[u->nsegs++] = (struct uprobe_seg){ ph.p_vaddr, ph.p_memsz, ph.p_offset };
	}
}

/* Sorted by name, one entry per name (the first address: .symtab and
 * .dynsym name most functions twice), with file offsets. */
static void index_funcs(struct uprobe_elf *u)
{
	util_sort(u->funcs, (size_t)u->nfuncs, sizeof(*u->funcs), by_name);
	int kept = 0;
	for (int i = 0; i < u->nfuncs; i++) {
		if (kept > 0 && strcmp(u->funcs[kept - 1].name, u->funcs[i].name) == 0) {
			struct uprobe_func *k = &u->funcs[kept - 1];
			if (!k->size)
				k->size = u->funcs[i].size;
			free(u->funcs[i].name);
			continue;
		}
		u->funcs[kept] = u->funcs[i];
		if (!uprobe_elf_offset(u, u->funcs[kept].addr, &u->funcs[kept].off))
			u->funcs[kept].off = u->funcs[kept].addr;
		kept++;
	}
	u->nfuncs = kept;
	u->by_addr = xcalloc((size_t)kept + 1, sizeof(*u->by_addr));
	for (int i = 0; i < kept; i++)
		u->by_addr[i] = &u->funcs[i];
	util_sort(u->by_addr, (size_t)kept, sizeof(*u->by_addr), by_addr);
}

static struct uprobe_elf *elf_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	struct uprobe_elf *u = NULL;
	if (e && elf_kind(e) == ELF_K_ELF) {
		u = xcalloc(1, sizeof(*u));
		u->path = xstrdup(path);
		GElf_Ehdr eh;
		u->relocated = gelf_getehdr(e, &eh) && eh.e_type == ET_DYN;
		read_segments(e, u);
		read_symbols(e, u);
		index_funcs(u);
	}
	if (e)
		elf_end(e);
	close(fd);
	return u;
}

const struct uprobe_elf *uprobe_elf_get(const char *path)
{
	for (struct uprobe_elf *u = cache; u; u = u->next)
		if (strcmp(u->path, path) == 0)
			return u;
	struct uprobe_elf *u = elf_read(path);
	if (u) {
		u->next = cache;
		cache = u;
	}
	return u;
}

const struct uprobe_func *uprobe_elf_find(const struct uprobe_elf *e, const char *name)
{
	int lo = 0, hi = e->nfuncs - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strcmp(name, e->funcs[mid].name);
		if (c == 0)
			return &e->funcs[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct uprobe_func *uprobe_elf_func_at(const struct uprobe_elf *e, uint64_t addr)
{
	int lo = 0, hi = e->nfuncs - 1, best = -1;
	while (lo <= hi) { /* the last function starting at or before addr */
		int mid = lo + (hi - lo) / 2;
		if (e->by_addr[mid]->addr <= addr) {
			best = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (best < 0)
		return NULL;
	const struct uprobe_func *f = e->by_addr[best];
	return addr < f->addr + (f->size ? f->size : 1) ? f : NULL;
}

bool uprobe_elf_offset(const struct uprobe_elf *e, uint64_t addr, uint64_t *off)
{
	for (int i = 0; i < e->nsegs; i++) {
		const struct uprobe_seg *s = &e->segs[i];
		if (addr >= s->vaddr && addr < s->vaddr + s->memsz) {
			*off = addr - s->vaddr + s->off;
			return true;
		}
	}
	return false;
}

void uprobe_elf_cache_free(void)
{
	while (cache) {
		struct uprobe_elf *u = cache;
		cache = u->next;
		for (int i = 0; i < u->nfuncs; i++)
			free(u->funcs[i].name);
		free(u->funcs);
		free(u->by_addr);
		free(u->segs);
		free(u->path);
		free(u);
	}
}

/* ---- finding binaries ------------------------------------------------------ */

#if defined(__x86_64__)
#define SONDE_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define SONDE_MULTIARCH "aarch64-linux-gnu"
#else
#define SONDE_MULTIARCH "unknown"
#endif

/* The directories the dynamic linker searches by default (Debian's
 * multiarch ones first), for library names given without a path. */
static const char *const lib_dirs[] = {
	"/lib/" SONDE_MULTIARCH, "/usr/lib/" SONDE_MULTIARCH, "/usr/local/lib",
	"/lib64", "/usr/lib64", "/lib", "/usr/lib",
};

static bool is_elf_file(const char *path)
{
	unsigned char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool elf = read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
	close(fd);
	return elf;
}

/* NAME.so, NAME.so.N...: how many version dots follow ".so" (SIZE_MAX: no
 * match), and NAME.so.N (the runtime soname) ranks first, as bpftrace picks
 * libc.so.6 for "libc" (libc.so is a linker script). */
static size_t library_rank(const char *file, const char *name)
{
	size_t len = strlen(name);
	if (strncmp(file, name, len) != 0 || strncmp(file + len, ".so", 3) != 0 ||
	    (file[len + 3] && file[len + 3] != '.'))
		return SIZE_MAX;
	size_t dots = 0;
	for (const char *c = file + len + 3; *c; c++)
		dots += *c == '.';
	return dots == 0 ? SIZE_MAX - 1 : dots;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int uprobe_maps_paths(int pid, char ***out)
{
	char mpath[64];
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", pid);
	FILE *f = fopen(mpath, "re");
	*out = NULL;
	if (!f)
		return -1;
	int n = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char *path = strchr(line, '/');
		if (!path)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strstr(path, " (deleted)"))
			continue;
		bool seen = false;
		for (int i = 0; i < n && !seen; i++)
			seen = strcmp((*out)[i], path) == 0;
		if (seen)
			continue;
		*out = xrealloc(*out, sizeof(**out) * (size_t)(n + 1));
		(*out)[n++] = xstrdup(path);
	}
	free(line);
	fclose(f);
	return n;
}

void uprobe_paths_free(char **p, int n)
{
	for (int i = 0; i < n; i++)
		free(p[i]);
	free(p);
}

/* The path of a file process pid maps, as seen from here: through its root
 * when it lives in another mount namespace. */
static bool mapped_path(int pid, const char *path, char *out)
{
	char *viaroot = xasprintf("/proc/%d/root%s", pid, path);
	bool ok = access(viaroot, R_OK) == 0 && access(path, R_OK) != 0;
	if (ok)
		snprintf(out, PATH_MAX, "%s", viaroot);
	else
		ok = realpath(path, out) != NULL;
	free(viaroot);
	return ok;
}

static bool mapped_library(const char *name, int pid, char *out)
{
	char **paths;
	int n = uprobe_maps_paths(pid, &paths);
	size_t best = SIZE_MAX;
	for (int i = 0; i < n; i++) {
		size_t rank = library_rank(base_name(paths[i]), name);
		if (rank < best && mapped_path(pid, paths[i], out))
			best = rank;
	}
	uprobe_paths_free(paths, n > 0 ? n : 0);
	return best != SIZE_MAX;
}

/* Without the process's maps (it is gone: the runtime says so), names
 * resolve as without -p. */
static bool maps_readable(int pid)
{
	char mpath[64];
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", pid);
	return access(mpath, R_OK) == 0;
}

bool uprobe_find_library(const char *name, int pid, char *out)
{
	if (pid > 0 && maps_readable(pid))
		return mapped_library(name, pid, out);
	size_t best = SIZE_MAX;
	for (size_t d = 0; d < sizeof(lib_dirs) / sizeof(lib_dirs[0]); d++) {
		DIR *dir = opendir(lib_dirs[d]);
		struct dirent *e;
		while (dir && (e = readdir(dir))) {
			size_t rank = library_rank(e->d_name, name);
			if (rank >= best)
				continue;
			char *path = xasprintf("%s/%s", lib_dirs[d], e->d_name);
			if (is_elf_file(path) && realpath(path, out))
				best = rank;
			free(path);
		}
		if (dir)
			closedir(dir);
		if (best != SIZE_MAX)
			return true;
	}
	return false;
}

bool uprobe_find_program(const char *name, int pid, char *out)
{
	if (pid > 0) {
		char **paths;
		int n = uprobe_maps_paths(pid, &paths);
		bool found = false;
		for (int i = 0; i < n && !found; i++)
			found = strcmp(base_name(paths[i]), name) == 0 && mapped_path(pid, paths[i], out);
		uprobe_paths_free(paths, n > 0 ? n : 0);
		if (found)
			return true;
	}
	const char *env = getenv("PATH");
	char *dirs = xstrdup(env ? env : "/usr/local/bin:/usr/bin:/bin");
	bool found = false;
	for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *path = xasprintf("%s/%s", dir, name);
		found = access(path, X_OK) == 0 && realpath(path, out);
		free(path);
	}
	free(dirs);
	return found;
}

int uprobe_mapped_files(int pid, const char *pattern, char ***out)
{
	char **paths;
	int n = uprobe_maps_paths(pid, &paths), kept = 0;
	*out = NULL;
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char real[PATH_MAX];
		if (!probe_wildcard_match(pattern, paths[i]) || !mapped_path(pid, paths[i], real) ||
		    !is_elf_file(real))
			continue;
		*out = xrealloc(*out, sizeof(**out) * (size_t)(kept + 1));
		(*out)[kept++] = xstrdup(real);
	}
	uprobe_paths_free(paths, n);
	return kept;
}
