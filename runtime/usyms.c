/* usyms.c - user-space symboliser (see usyms.h).
 *
 * Two caches, both for the symboliser's life: ELF files by (path, inode)
 * with their symbols sorted by address, and processes by pid with their
 * file mappings sorted by address. Resolving an address is two binary
 * searches. Symbols may nest (a local label inside a function): each
 * symbol remembers the furthest end of any symbol at or before it, so the
 * walk back to the innermost holder stops as soon as nothing earlier can
 * reach the address. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debugfile.h"
#include "usyms.h"
#include "util.h"


struct usyms_sym {
	uint64_t addr, size;
	uint64_t reach;      /* the furthest addr + size of this and every earlier symbol */
	uint32_t name;       /* offset in the file's name pool */
	uint8_t type;        /* STT_FUNC, STT_OBJECT... */
};

struct usyms_segment {
	uint64_t offset, vaddr, filesz;
	bool exec;
};

struct usyms_file {
	char *path;
	uint64_t inode;
	struct usyms_sym *syms;
	size_t nsyms;
	char *names;         /* every symbol name, NUL-separated */
	size_t names_len, names_cap;
	struct usyms_segment *segs;
	int nsegs;
	bool fixed;          /* ET_EXEC: loaded at its own addresses */
};

struct usyms_mapping {
	uint64_t start, end, offset, inode;
	char *path;
	struct usyms_file *file; /* loaded on first use */
};

struct usyms_proc {
	int pid;
	bool read;           /* maps were read (possibly empty: the process is gone) */
	struct usyms_mapping *maps;
	int nmaps;
};

struct usyms {
	struct usyms_file **files;
	int nfiles, cap_files;
	struct usyms_proc *procs;
	int nprocs, cap_procs;
	char **programs;     /* usyms_add_program */
	int nprograms;
};

struct usyms *usyms_new(void)
{
	return xcalloc(1, sizeof(struct usyms));
}

static void file_free(struct usyms_file *f)
{
	free(f->path);
	free(f->syms);
	free(f->names);
	free(f->segs);
	free(f);
}

static void proc_clear(struct usyms_proc *p)
{
	for (int i = 0; i < p->nmaps; i++)
		free(p->maps[i].path);
	free(p->maps);
	p->maps = NULL;
	p->nmaps = 0;
}

void usyms_free(struct usyms *u)
{
	if (!u)
		return;
	for (int i = 0; i < u->nfiles; i++)
		file_free(u->files[i]);
	free(u->files);
	for (int i = 0; i < u->nprocs; i++)
		proc_clear(&u->procs[i]);
	free(u->procs);
	for (int i = 0; i < u->nprograms; i++)
		free(u->programs[i]);
	free(u->programs);
	free(u);
}

/* ---- ELF files ------------------------------------------------------------- */

static Elf *elf_open(const char *path, int *fd)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(*fd);
		*fd = -1;
		return NULL;
	}
	return e;
}

static void elf_close(Elf *e, int fd)
{
	elf_end(e);
	close(fd);
}

static Elf_Scn *find_section(Elf *e, const char *name, uint32_t type)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return NULL;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (type && sh.sh_type != type))
			continue;
		const char *n = elf_strptr(e, shstrndx, sh.sh_name);
		if (n && (!name || strcmp(n, name) == 0))
			return scn;
	}
	return NULL;
}

static bool has_symtab(Elf *e)
{
	return find_section(e, NULL, SHT_SYMTAB) != NULL;
}

/* Symbols a frame or a pointer can land in: functions and variables with a
 * size, defined here (files, sections and TLS offsets are no addresses). */
static bool symbol_counts(const GElf_Sym *s)
{
	int type = GELF_ST_TYPE(s->st_info);
	return s->st_shndx != SHN_UNDEF && s->st_size > 0 && type != STT_SECTION && type != STT_FILE &&
	       type != STT_TLS;
}

static void add_symbols(struct usyms_file *f, Elf *e, uint32_t type)
{
	size_t cap = f->nsyms;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t count = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; data && i < count; i++) {
			GElf_Sym sym;
			const char *name;
			if (!gelf_getsym(data, (int)i, &sym) || !symbol_counts(&sym) ||
			    !(name = elf_strptr(e, sh.sh_link, sym.st_name)) || !*name)
				continue;
			size_t len = strlen(name) + 1;
			if (f->names_len + len > UINT32_MAX)
				return;
			if (f->nsyms == cap) {
				cap = cap ? cap * 2 : 256;
				f->syms = xrealloc(f->syms, sizeof(*f->syms) * cap);
			}
			if (f->names_len + len > f->names_cap) {
				f->names_cap = (f->names_len + len) * 2;
				f->names = xrealloc(f->names, f->names_cap);
			}
			memcpy(f->names + f->names_len, name, len);
			f->syms[f->nsyms++] = (struct usyms_sym){ sym.st_value, sym.st_size, 0,
								  (uint32_t)f->names_len,
								  (uint8_t)GELF_ST_TYPE(sym.st_info) };
			f->names_len += len;
		}
	}
}

/* Reserve the name pool at once from the string tables' sizes (a libc
 * .symtab has ~10,000 names). */
static void reserve_names(struct usyms_file *f, Elf *e, uint32_t type)
{
	size_t total = f->names_len;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh, strsh;
		Elf_Scn *str;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type && (str = elf_getscn(e, sh.sh_link)) &&
		    gelf_getshdr(str, &strsh))
			total += strsh.sh_size;
	}
	if (total > f->names_cap) {
		f->names_cap = total;
		f->names = xrealloc(f->names, total);
	}
}

static void add_segments(struct usyms_file *f, Elf *e)
{
	size_t n;
	if (elf_getphdrnum(e, &n) != 0)
		return;
	f->segs = xcalloc(n ? n : 1, sizeof(*f->segs));
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
			f->segs[f->nsegs++] = (struct usyms_segment){ ph.p_offset, ph.p_vaddr, ph.p_memsz,
								      (ph.p_flags & PF_X) != 0 };
	}
}

static int sym_cmp(const void *a, const void *b)
{
	const struct usyms_sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address, the larger first: the innermost holder is found last */
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name; /* file order: stable */
}

static void finish_symbols(struct usyms_file *f)
{
	util_sort(f->syms, f->nsyms, sizeof(*f->syms), sym_cmp);
	uint64_t reach = 0;
	for (size_t i = 0; i < f->nsyms; i++) {
		uint64_t end = f->syms[i].addr + f->syms[i].size;
		reach = end > reach ? end : reach;
		f->syms[i].reach = reach;
	}
}

/* Read path's segments and symbols (from its debug file when it has no
 * .symtab). A file that cannot be read still gets an entry: it is not
 * tried again. */
static struct usyms_file *file_load(const char *path, uint64_t inode)
{
	struct usyms_file *f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->inode = inode;
	int fd;
	Elf *e = elf_open(path, &fd);
	if (!e)
		return f;
	add_segments(f, e);
	GElf_Ehdr eh;
	f->fixed = gelf_getehdr(e, &eh) && eh.e_type == ET_EXEC;
	char *debug = has_symtab(e) ? NULL : elf_debug_file(e, path);
	int dfd = -1;
	Elf *de = debug ? elf_open(debug, &dfd) : NULL;
	Elf *src = de && has_symtab(de) ? de : e;
	reserve_names(f, src, SHT_SYMTAB);
	reserve_names(f, e, SHT_DYNSYM);
	add_symbols(f, src, SHT_SYMTAB);
	/* .dynsym holds the exported subset of .symtab: only needed without one */
	if (!has_symtab(src))
		add_symbols(f, e, SHT_DYNSYM);
	finish_symbols(f);
	if (de)
		elf_close(de, dfd);
	free(debug);
	elf_close(e, fd);
	return f;
}

static struct usyms_file *file_get(struct usyms *u, const char *path, uint64_t inode)
{
	for (int i = 0; i < u->nfiles; i++)
		if (u->files[i]->inode == inode && strcmp(u->files[i]->path, path) == 0)
			return u->files[i];
	if (u->nfiles == u->cap_files) {
		u->cap_files = u->cap_files ? u->cap_files * 2 : 16;
		u->files = xrealloc(u->files, sizeof(*u->files) * (size_t)u->cap_files);
	}
	return u->files[u->nfiles++] = file_load(path, inode);
}

/* The innermost symbol holding vaddr, or NULL. */
static const struct usyms_sym *file_find(const struct usyms_file *f, uint64_t vaddr)
{
	size_t lo = 0, hi = f->nsyms;
	while (lo < hi) { /* the first symbol starting above vaddr */
		size_t mid = lo + (hi - lo) / 2;
		if (f->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && f->syms[i].reach > vaddr;)
		if (vaddr < f->syms[i].addr + f->syms[i].size)
			return &f->syms[i];
	return NULL;
}

/* A file offset in the mapping's file to the ELF's virtual address. */
static uint64_t file_vaddr(const struct usyms_file *f, uint64_t file_off)
{
	for (int i = 0; i < f->nsegs; i++)
		if (file_off >= f->segs[i].offset && file_off - f->segs[i].offset < f->segs[i].filesz)
			return file_off - f->segs[i].offset + f->segs[i].vaddr;
	return file_off;
}

/* ---- processes --------------------------------------------------------------- */

static int mapping_cmp(const void *a, const void *b)
{
	const struct usyms_mapping *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* "start-end perms offset dev inode path": the executable mappings of
 * files. Code is where frames and functions are; a variable's address is
 * shown as a number, as bpftrace (bcc) shows it. */
/* Reads the maps into p, keeping what p had when the process is gone (no
 * file, or an exited process's empty one): what was read while it lived
 * still names its addresses. */
static void proc_read(struct usyms_proc *p)
{
	p->read = true;
	char name[64];
	snprintf(name, sizeof(name), "/proc/%d/maps", p->pid);
	FILE *f = fopen(name, "re");
	if (!f)
		return;
	struct usyms_proc fresh = { .pid = p->pid, .read = true };
	char line[PATH_MAX + 256];
	int cap = 0;
	while (fgets(line, sizeof(line), f)) {
		uint64_t start, end, offset, inode;
		char perms[8];
		int path_at = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %" SCNu64 " %n", &start, &end, perms,
			   &offset, &inode, &path_at) != 5 || path_at == 0 || line[path_at] != '/' ||
		    perms[2] != 'x')
			continue;
		char *path = line + path_at;
		path[strcspn(path, "\n")] = '\0';
		size_t len = strlen(path);
		if (len > 10 && strcmp(path + len - 10, " (deleted)") == 0)
			path[len - 10] = '\0';
		if (fresh.nmaps == cap) {
			cap = cap ? cap * 2 : 32;
			fresh.maps = xrealloc(fresh.maps, sizeof(*fresh.maps) * (size_t)cap);
		}
		fresh.maps[fresh.nmaps++] = (struct usyms_mapping){ start, end, offset, inode, xstrdup(path), NULL };
	}
	fclose(f);
	if (fresh.nmaps == 0)
		return;
	util_sort(fresh.maps, (size_t)fresh.nmaps, sizeof(*fresh.maps), mapping_cmp);
	proc_clear(p);
	*p = fresh;
}

static struct usyms_proc *proc_get(struct usyms *u, int pid)
{
	for (int i = 0; i < u->nprocs; i++)
		if (u->procs[i].pid == pid)
			return &u->procs[i];
	if (u->nprocs == u->cap_procs) {
		u->cap_procs = u->cap_procs ? u->cap_procs * 2 : 16;
		u->procs = xrealloc(u->procs, sizeof(*u->procs) * (size_t)u->cap_procs);
	}
	struct usyms_proc *p = &u->procs[u->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

void usyms_snapshot(struct usyms *u, int pid)
{
	proc_read(proc_get(u, pid));
}

static struct usyms_mapping *proc_find(struct usyms_proc *p, uint64_t addr)
{
	int lo = 0, hi = p->nmaps;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (p->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && addr < p->maps[lo - 1].end ? &p->maps[lo - 1] : NULL;
}

/* The file of a mapping: by its path, or through /proc/PID/root when the
 * process sees another mount namespace. */
static struct usyms_file *mapping_file(struct usyms *u, int pid, struct usyms_mapping *m)
{
	if (m->file)
		return m->file;
	struct stat st;
	if (stat(m->path, &st) == 0 && (uint64_t)st.st_ino == m->inode) {
		m->file = file_get(u, m->path, m->inode);
	} else {
		char *alt = xasprintf("/proc/%d/root%s", pid, m->path);
		m->file = file_get(u, stat(alt, &st) == 0 ? alt : m->path, m->inode);
		free(alt);
	}
	return m->file;
}

void usyms_add_program(struct usyms *u, const char *path)
{
	for (int i = 0; i < u->nprograms; i++)
		if (strcmp(u->programs[i], path) == 0)
			return;
	u->programs = xrealloc(u->programs, sizeof(*u->programs) * (size_t)(u->nprograms + 1));
	u->programs[u->nprograms++] = xstrdup(path);
}

/* A gone process's address in a probed non-PIE program's code. */
static bool program_resolve(struct usyms *u, uint64_t addr, struct usym *sym)
{
	for (int i = 0; i < u->nprograms; i++) {
		struct stat st;
		if (stat(u->programs[i], &st) != 0)
			continue;
		struct usyms_file *f = file_get(u, u->programs[i], (uint64_t)st.st_ino);
		for (int s = 0; f->fixed && s < f->nsegs; s++) {
			if (!f->segs[s].exec || addr < f->segs[s].vaddr || addr - f->segs[s].vaddr >= f->segs[s].filesz)
				continue;
			const struct usyms_sym *found = file_find(f, addr);
			if (!found)
				return false;
			sym->module = f->path;
			sym->name = f->names + found->name;
			sym->offset = addr - found->addr;
			return true;
		}
	}
	return false;
}

bool usyms_resolve(struct usyms *u, int pid, uint64_t addr, struct usym *sym)
{
	memset(sym, 0, sizeof(*sym));
	struct usyms_proc *p = proc_get(u, pid);
	if (!p->read)
		proc_read(p);
	if (p->nmaps == 0)
		return program_resolve(u, addr, sym);
	struct usyms_mapping *m = proc_find(p, addr);
	if (!m)
		return false;
	sym->module = m->path;
	struct usyms_file *f = mapping_file(u, pid, m);
	uint64_t vaddr = file_vaddr(f, addr - m->start + m->offset);
	const struct usyms_sym *s = file_find(f, vaddr);
	if (!s)
		return false;
	sym->name = f->names + s->name;
	sym->offset = vaddr - s->addr;
	return true;
}

/* ---- C++ names ------------------------------------------------------------------ */

/* libstdc++'s demangler, when the program links libstdc++ (a weak
 * reference: sonde still links and runs without it). sonde-compile links
 * it for LLVM; the sonde front does not (one library less to load at every
 * start) and opens it the first time a C++ name needs it. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status)
	__attribute__((weak));
typedef char *(*usyms_demangle_fn)(const char *, char *, size_t *, int *);

static usyms_demangle_fn usyms_demangler(void)
{
	static bool tried;
	static usyms_demangle_fn fn;
	if (__cxa_demangle)
		return __cxa_demangle;
	if (!tried) {
		tried = true;
		void *lib = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
		void *sym = lib ? dlsym(lib, "__cxa_demangle") : NULL;
		if (sym)
			memcpy(&fn, &sym, sizeof(fn)); /* POSIX: a function's address */
	}
	return fn;
}

static bool demangle_names = true;

void usyms_set_demangle(bool on)
{
	demangle_names = on;
}

char *usyms_demangle(const char *name)
{
	return demangle_names ? usyms_cxx_name(name) : NULL;
}

char *usyms_cxx_name(const char *name)
{
	usyms_demangle_fn demangle = strncmp(name, "_Z", 2) == 0 ? usyms_demangler() : NULL;
	if (!demangle)
		return NULL;
	int status = -1;
	char *out = demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- by name, for uaddr() ---------------------------------------------------- */

int usyms_elf_lookup(const char *path, const char *name, uint64_t *addr, uint64_t *size,
		     bool objects_only)
{
	struct usyms_file *f = file_load(path, 0);
	int rc = f->segs ? -ENOENT : -EIO;
	for (size_t i = 0; i < f->nsyms; i++)
		if ((!objects_only || f->syms[i].type == STT_OBJECT) &&
		    strcmp(f->names + f->syms[i].name, name) == 0) {
			*addr = f->syms[i].addr;
			*size = f->syms[i].size;
			rc = 0;
			break;
		}
	file_free(f);
	return rc;
}
