/* usdt.c - `usdt:BINARY:[PROVIDER:]PROBE` (alias `U`): statically defined
 * user-space probes, the markers <sys/sdt.h> (systemtap) leaves in a
 * program or library.
 *
 * Each marker is a nop at some pc with an ELF note in `.note.stapsdt`
 * naming its provider and probe, the address of its is-enabled semaphore
 * (0 = none) and where its arguments are at that pc, in assembler syntax
 * ("-4@%edi 8@-16(%rbp) 4@$5"). The notes are read with libelf while
 * compiling; a probe is every marker of one provider:name, so a probe that
 * the compiler inlined or repeated has several locations, all attached with
 * one program (bpftrace counts it as one probe). argN is decoded in BPF from
 * the user's registers (struct pt_regs) as the note describes it at that
 * location; when the locations describe an argument differently, each link
 * carries its location's index as the attach cookie and the program picks
 * the decoding by it. A semaphore is given to the kernel as the uprobe's
 * ref_ctr_offset: it counts it up in every process that maps the binary
 * while the probe is attached, so code guarded by it runs.
 *
 * BINARY is a path (wildcards: glob), a library or program name (as
 * uprobe finds them, include/uprobe.h), or, with -p PID, empty or a
 * wildcard: the files that process maps. `*` without -p searches what every
 * process maps. PROVIDER left out (or empty) is any provider.
 *
 * What travels to the runtime (probe_target.target, desc_probe.target) is
 * self-contained, so attaching and codegen never read the binary again:
 *   line 1:   the file to attach to
 *   line 2..: one location each: "PC_OFF SEM_OFF PC_VADDR ARG ARG ..."
 * with file offsets (hex) and each ARG decoded (see arg_format). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cg.h"
#include "probe.h"
#include "suggest.h"
#include "uprobe.h"
#include "uprobe_internal.h"
#include "util.h"

/* <sys/sdt.h> allows at most 12 arguments. */
#define USDT_MAX_ARGS 12
#define NT_STAPSDT 3

/* ---- registers -------------------------------------------------------- */

struct usdt_reg {
	const char *name;
	int offset; /* in struct pt_regs */
	int shift;  /* %ah..%dh: bits 8..15 */
};

#if defined(__x86_64__)
/* struct pt_regs (x86_64): r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss */
#define REG_IP 128
static const struct usdt_reg usdt_regs[] = {
	{ "rax", 80, 0 }, { "eax", 80, 0 }, { "ax", 80, 0 }, { "al", 80, 0 }, { "ah", 80, 8 },
	{ "rbx", 40, 0 }, { "ebx", 40, 0 }, { "bx", 40, 0 }, { "bl", 40, 0 }, { "bh", 40, 8 },
	{ "rcx", 88, 0 }, { "ecx", 88, 0 }, { "cx", 88, 0 }, { "cl", 88, 0 }, { "ch", 88, 8 },
	{ "rdx", 96, 0 }, { "edx", 96, 0 }, { "dx", 96, 0 }, { "dl", 96, 0 }, { "dh", 96, 8 },
	{ "rsi", 104, 0 }, { "esi", 104, 0 }, { "si", 104, 0 }, { "sil", 104, 0 },
	{ "rdi", 112, 0 }, { "edi", 112, 0 }, { "di", 112, 0 }, { "dil", 112, 0 },
	{ "rbp", 32, 0 }, { "ebp", 32, 0 }, { "bp", 32, 0 }, { "bpl", 32, 0 },
	{ "rsp", 152, 0 }, { "esp", 152, 0 }, { "sp", 152, 0 }, { "spl", 152, 0 },
	{ "r8", 72, 0 }, { "r8d", 72, 0 }, { "r8w", 72, 0 }, { "r8b", 72, 0 },
	{ "r9", 64, 0 }, { "r9d", 64, 0 }, { "r9w", 64, 0 }, { "r9b", 64, 0 },
	{ "r10", 56, 0 }, { "r10d", 56, 0 }, { "r10w", 56, 0 }, { "r10b", 56, 0 },
	{ "r11", 48, 0 }, { "r11d", 48, 0 }, { "r11w", 48, 0 }, { "r11b", 48, 0 },
	{ "r12", 24, 0 }, { "r12d", 24, 0 }, { "r12w", 24, 0 }, { "r12b", 24, 0 },
	{ "r13", 16, 0 }, { "r13d", 16, 0 }, { "r13w", 16, 0 }, { "r13b", 16, 0 },
	{ "r14", 8, 0 }, { "r14d", 8, 0 }, { "r14w", 8, 0 }, { "r14b", 8, 0 },
	{ "r15", 0, 0 }, { "r15d", 0, 0 }, { "r15w", 0, 0 }, { "r15b", 0, 0 },
	{ "rip", REG_IP, 0 },
};
#elif defined(__aarch64__)
/* struct user_pt_regs: x0..x30, sp, pc */
#define REG_IP 256
static const struct usdt_reg usdt_regs[] = {
	{ "x0", 0, 0 }, { "x1", 8, 0 }, { "x2", 16, 0 }, { "x3", 24, 0 }, { "x4", 32, 0 },
	{ "x5", 40, 0 }, { "x6", 48, 0 }, { "x7", 56, 0 }, { "x8", 64, 0 }, { "x9", 72, 0 },
	{ "x10", 80, 0 }, { "x11", 88, 0 }, { "x12", 96, 0 }, { "x13", 104, 0 }, { "x14", 112, 0 },
	{ "x15", 120, 0 }, { "x16", 128, 0 }, { "x17", 136, 0 }, { "x18", 144, 0 },
	{ "x19", 152, 0 }, { "x20", 160, 0 }, { "x21", 168, 0 }, { "x22", 176, 0 },
	{ "x23", 184, 0 }, { "x24", 192, 0 }, { "x25", 200, 0 }, { "x26", 208, 0 },
	{ "x27", 216, 0 }, { "x28", 224, 0 }, { "x29", 232, 0 }, { "x30", 240, 0 },
	{ "sp", 248, 0 },
};
#else
#error "USDT argument registers are not known for this architecture"
#endif

static const struct usdt_reg *reg_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(usdt_regs) / sizeof(usdt_regs[0]); i++)
		if (strlen(usdt_regs[i].name) == len && strncmp(usdt_regs[i].name, name, len) == 0)
			return &usdt_regs[i];
	return NULL;
}

/* ---- arguments -------------------------------------------------------- */

enum usdt_arg_kind {
	UA_CONST = 'c', /* disp is the value */
	UA_REG = 'r',   /* a register (base), shifted right by shift */
	UA_MEM = 'm',   /* memory at base + index * scale + disp */
	UA_SYM = 's',   /* memory at disp, a link-time address: + the load bias */
	UA_BAD = '?',   /* a form sonde cannot decode */
};

struct usdt_arg {
	enum usdt_arg_kind kind;
	int size;        /* bytes: 1, 2, 4, 8 */
	bool is_signed;
	int base, index; /* pt_regs offsets; -1 = none */
	int scale, shift;
	int64_t disp;
};

/* A decoded argument as one token: "KIND,SIZE,BASE,INDEX,SCALE,SHIFT,DISP"
 * with SIZE negative for a signed one; "?" for one sonde cannot decode. */
static void arg_format(FILE *f, const struct usdt_arg *a)
{
	if (a->kind == UA_BAD) {
		fputs("?", f);
		return;
	}
	fprintf(f, "%c,%d,%d,%d,%d,%d,%" PRId64, (char)a->kind, a->is_signed ? -a->size : a->size,
		a->base, a->index, a->scale, a->shift, a->disp);
}

static bool arg_scan(const char *tok, struct usdt_arg *a)
{
	char kind;
	int size;
	memset(a, 0, sizeof(*a));
	a->kind = UA_BAD;
	if (sscanf(tok, "%c,%d,%d,%d,%d,%d,%" SCNd64, &kind, &size, &a->base, &a->index, &a->scale,
		   &a->shift, &a->disp) != 7)
		return tok[0] == '?';
	a->kind = (enum usdt_arg_kind)kind;
	a->is_signed = size < 0;
	a->size = size < 0 ? -size : size;
	return true;
}

static bool arg_equal(const struct usdt_arg *a, const struct usdt_arg *b)
{
	return a->kind == b->kind && a->size == b->size && a->is_signed == b->is_signed &&
	       a->base == b->base && a->index == b->index && a->scale == b->scale &&
	       a->shift == b->shift && a->disp == b->disp;
}

struct symbol_query {
	const char *name;
	size_t len;
	uint64_t value;
};

static bool symbol_is(const char *name, const GElf_Sym *sym, void *arg)
{
	struct symbol_query *q = arg;
	if (strlen(name) != q->len || strncmp(name, q->name, q->len) != 0)
		return false;
	q->value = sym->st_value;
	return true;
}

/* A symbol's value (link-time address) in e's symbol tables. */
static bool elf_symbol(Elf *e, const char *name, size_t len, uint64_t *value)
{
	struct symbol_query q = { name, len, 0 };
	if (!uprobe_elf_each_symbol(e, symbol_is, &q))
		return false;
	*value = q.value;
	return true;
}

/* A displacement: empty, a number, SYMBOL, or SYMBOL+N / SYMBOL-N.
 * *is_sym tells whether a symbol was in it. */
static bool parse_disp(Elf *e, const char *s, size_t len, int64_t *disp, bool *is_sym)
{
	*disp = 0;
	*is_sym = false;
	if (len == 0)
		return true;
	char *text = xstrndup(s, len), *end;
	bool ok = true;
	if (isdigit((unsigned char)text[0]) || text[0] == '-' || text[0] == '+') {
		*disp = (int64_t)strtoll(text, &end, 0);
		ok = *end == '\0';
	} else {
		size_t n = strcspn(text, "+-");
		uint64_t value = 0;
		ok = elf_symbol(e, text, n, &value);
		*disp = (int64_t)value;
		*is_sym = true;
		if (ok && text[n]) {
			*disp += (int64_t)strtoll(text + n, &end, 0);
			ok = *end == '\0';
		}
	}
	free(text);
	return ok;
}

/* "%reg" at s (len bytes) */
static const struct usdt_reg *parse_reg(const char *s, size_t len)
{
	return len > 1 && s[0] == '%' ? reg_find(s + 1, len - 1) : NULL;
}

/* OPERAND of "SIZE@OPERAND" in AT&T syntax: $imm, %reg, disp(%base),
 * disp(%base,%index,scale), sym(%rip), or a bare symbol or address. */
static bool parse_operand(Elf *e, const char *op, struct usdt_arg *a)
{
	size_t len = strlen(op);
	const struct usdt_reg *r;
	bool is_sym;
	a->base = a->index = -1;
	if (op[0] == '$') {
		char *end;
		a->kind = UA_CONST;
		a->disp = (int64_t)strtoull(op + 1, &end, 0);
		if (op[1] == '-')
			a->disp = (int64_t)strtoll(op + 1, &end, 0);
		return end != op + 1 && *end == '\0';
	}
	if ((r = parse_reg(op, len))) {
		a->kind = r->offset == REG_IP ? UA_BAD : UA_REG;
		a->base = r->offset;
		a->shift = r->shift;
		return a->kind == UA_REG;
	}
	const char *paren = strchr(op, '(');
	if (!paren) { /* an absolute address or symbol */
		a->kind = UA_SYM;
		return parse_disp(e, op, len, &a->disp, &is_sym);
	}
	if (op[len - 1] != ')' || !parse_disp(e, op, (size_t)(paren - op), &a->disp, &is_sym))
		return false;
	char *inner = xstrndup(paren + 1, len - (size_t)(paren - op) - 2);
	char *parts[3] = { inner, NULL, NULL };
	for (int i = 1; i < 3; i++) {
		char *comma = parts[i - 1] ? strchr(parts[i - 1], ',') : NULL;
		if (comma) {
			*comma = '\0';
			parts[i] = comma + 1;
		}
	}
	const struct usdt_reg *base = parse_reg(parts[0], strlen(parts[0]));
	const struct usdt_reg *index = parts[1] ? parse_reg(parts[1], strlen(parts[1])) : NULL;
	a->scale = parts[2] ? atoi(parts[2]) : 1;
	bool ok = base && (!parts[1] || index) && (a->scale == 1 || a->scale == 2 || a->scale == 4 ||
						   a->scale == 8);
	if (ok && base->offset == REG_IP) {
		/* sym(%rip) is the symbol's own address; a number has no meaning
		 * without the instruction's length */
		a->kind = UA_SYM;
		ok = is_sym && !index;
	} else if (ok) {
		a->kind = UA_MEM;
		a->base = base->offset;
		a->index = index ? index->offset : -1;
		ok = !is_sym;
	}
	free(inner);
	return ok;
}

/* One "SIZE@OPERAND" token of a note's argument string (old notes leave
 * the size out: 8 bytes, unsigned). */
static void parse_arg(Elf *e, const char *tok, struct usdt_arg *a)
{
	memset(a, 0, sizeof(*a));
	a->size = 8;
	const char *at = strchr(tok, '@');
	const char *op = tok;
	if (at) {
		char *end;
		long size = strtol(tok, &end, 10);
		if (end != at || size == 0 || labs(size) > 8 || (labs(size) & (labs(size) - 1))) {
			a->kind = UA_BAD;
			return;
		}
		a->is_signed = size < 0;
		a->size = (int)labs(size);
		op = at + 1;
	}
	if (!parse_operand(e, op, a))
		a->kind = UA_BAD;
}

/* ---- notes ------------------------------------------------------------ */

struct usdt_note {
	char *provider, *name;
	uint64_t pc, pc_off, sem_off; /* pc: link-time address; offsets in the file; sem_off 0 = none */
	struct usdt_arg args[USDT_MAX_ARGS];
	int nargs;
};

struct usdt_notes {
	struct usdt_note *v;
	int n;
};

static void notes_free(struct usdt_notes *ns)
{
	for (int i = 0; i < ns->n; i++) {
		free(ns->v[i].provider);
		free(ns->v[i].name);
	}
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

/* The file offset of link-time address addr: in a PT_LOAD segment (an
 * executable one for code). 0 if none holds it. */
static uint64_t vaddr_to_offset(Elf *e, uint64_t addr, bool code)
{
	size_t nph;
	if (elf_getphdrnum(e, &nph) != 0)
		return 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || (code && !(ph.p_flags & PF_X)))
			continue;
		if (addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_filesz)
			return addr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

static Elf_Scn *section_named(Elf *e, const char *want, GElf_Shdr *sh)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return NULL;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;
		if (gelf_getshdr(scn, sh) && (name = elf_strptr(e, shstrndx, sh->sh_name)) &&
		    strcmp(name, want) == 0)
			return scn;
	}
	return NULL;
}

static uint64_t read_addr(const unsigned char *p, bool is64)
{
	if (is64) {
		uint64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* One stapsdt note's description: pc, base, semaphore, then provider,
 * name and arguments as strings. `base_adjust` moves addresses from where
 * the note says `.stapsdt.base` was to where it is (prelink). */
static void add_note(Elf *e, const unsigned char *desc, size_t size, bool is64, int64_t have_base,
		     struct usdt_notes *out)
{
	size_t w = is64 ? 8 : 4;
	if (size < 3 * w + 3 || desc[size - 1] != '\0')
		return;
	uint64_t pc = read_addr(desc, is64), base = read_addr(desc + w, is64);
	uint64_t sem = read_addr(desc + 2 * w, is64);
	if (have_base >= 0 && base) {
		pc += (uint64_t)have_base - base;
		if (sem)
			sem += (uint64_t)have_base - base;
	}
	const char *provider = (const char *)desc + 3 * w;
	const char *name = provider + strlen(provider) + 1;
	if (name >= (const char *)desc + size)
		return;
	const char *args = name + strlen(name) + 1;
	if (args >= (const char *)desc + size)
		args = "";
	uint64_t pc_off = vaddr_to_offset(e, pc, true);
	if (!pc_off)
		return; /* not in the file's code (a debug-only file): nothing to attach to */
	out->v = xrealloc(out->v, sizeof(*out->v) * (size_t)(out->n + 1));
	struct usdt_note *n = &out->v[out->n++];
	memset(n, 0, sizeof(*n));
	n->provider = xstrdup(provider);
	n->name = xstrdup(name);
	n->pc = pc;
	n->pc_off = pc_off;
	n->sem_off = sem ? vaddr_to_offset(e, sem, false) : 0;
	char *copy = xstrdup(args);
	for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok && n->nargs < USDT_MAX_ARGS;
	     tok = strtok_r(NULL, " ", &save))
		parse_arg(e, tok, &n->args[n->nargs++]);
	free(copy);
}

enum usdt_read { USDT_OK, USDT_NO_NOTES, USDT_UNREADABLE };

/* Every stapsdt note of the ELF file at path, in file order. */
static enum usdt_read read_notes(const char *path, struct usdt_notes *out)
{
	memset(out, 0, sizeof(*out));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return USDT_UNREADABLE;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	enum usdt_read r = USDT_UNREADABLE;
	GElf_Shdr sh;
	if (e && elf_kind(e) == ELF_K_ELF) {
		bool is64 = gelf_getclass(e) == ELFCLASS64;
		int64_t have_base = section_named(e, ".stapsdt.base", &sh) ? (int64_t)sh.sh_addr : -1;
		Elf_Scn *scn = section_named(e, ".note.stapsdt", &sh);
		Elf_Data *data = scn && sh.sh_type == SHT_NOTE ? elf_getdata(scn, NULL) : NULL;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_STAPSDT && nh.n_namesz == 8 &&
			    memcmp((char *)data->d_buf + name_off, "stapsdt", 8) == 0)
				add_note(e, (unsigned char *)data->d_buf + desc_off, nh.n_descsz, is64,
					 have_base, out);
		}
		r = out->n ? USDT_OK : USDT_NO_NOTES;
	}
	if (e)
		elf_end(e);
	close(fd);
	return r;
}

/* ---- binaries --------------------------------------------------------- */

/* A binary to search: the name it is shown under (in the probe's name) and
 * the file to open, which differ for a process in another mount namespace
 * (/proc/PID/root/...). */
struct usdt_bin {
	char *shown, *open;
	dev_t dev;
	ino_t ino;
};

struct usdt_bins {
	struct usdt_bin *v;
	int n;
};

static void bins_free(struct usdt_bins *b)
{
	for (int i = 0; i < b->n; i++) {
		free(b->v[i].shown);
		free(b->v[i].open);
	}
	free(b->v);
}

/* Adds the file unless it is there already (as another name too). Takes
 * ownership of both strings. */
static void bins_add(struct usdt_bins *b, char *shown, char *open)
{
	struct stat st;
	if (stat(open, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(shown);
		free(open);
		return;
	}
	for (int i = 0; i < b->n; i++)
		if (b->v[i].dev == st.st_dev && b->v[i].ino == st.st_ino) {
			free(shown);
			free(open);
			return;
		}
	b->v = xrealloc(b->v, sizeof(*b->v) * (size_t)(b->n + 1));
	b->v[b->n++] = (struct usdt_bin){ shown, open, st.st_dev, st.st_ino };
}

/* The file `path` of process pid's mount namespace, as this process can
 * open it: the path itself when it is the same file, else through
 * /proc/PID/root. */
static char *path_in_process(int pid, const char *path)
{
	char *via = xasprintf("/proc/%d/root%s", pid, path);
	struct stat a, b;
	if (stat(path, &a) == 0 && stat(via, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		free(via);
		return xstrdup(path);
	}
	return via;
}

/* The files process pid maps (its program and libraries) whose path
 * matches pattern ("" or "*" = all). Returns false if it cannot be read. */
static bool process_bins(int pid, const char *pattern, struct usdt_bins *out)
{
	char **paths;
	int n = uprobe_maps_paths(pid, &paths);
	for (int i = 0; i < n; i++)
		if (!*pattern || strcmp(pattern, "*") == 0 || probe_wildcard_match(pattern, paths[i]))
			bins_add(out, xstrdup(paths[i]), path_in_process(pid, paths[i]));
	uprobe_paths_free(paths, n > 0 ? n : 0);
	return n >= 0;
}

/* What every process maps (`usdt:*:...` without -p). */
static void all_process_bins(struct usdt_bins *out)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]))
			process_bins(atoi(e->d_name), "*", out);
	if (d)
		closedir(d);
}

/* bpftrace's one wildcard (probe_wildcard_match) */
static bool has_wildcard(const char *s)
{
	return strchr(s, '*') != NULL;
}

/* The binaries the BINARY field names (see the top of the file); reports
 * why there are none. */
static bool find_bins(const char *path, srcloc loc, struct diag *d, struct usdt_bins *out)
{
	int pid = probe_target_pid();
	const char *cmd = probe_target_cmd();
	if (pid <= 0 && cmd && (!*path || strcmp(path, "*") == 0)) {
		/* -c CMD: the program it runs (its libraries are not mapped yet) */
		char real[PATH_MAX];
		if (!(strchr(cmd, '/') ? realpath(cmd, real) != NULL : uprobe_find_program(cmd, 0, real))) {
			diag_error(d, loc, "usdt: cannot find the program of -c '%s'", cmd);
			return false;
		}
		bins_add(out, xstrdup(real), xstrdup(real));
		return true;
	}
	if (pid > 0 && (!*path || has_wildcard(path))) {
		if (!process_bins(pid, path, out)) {
			diag_error(d, loc, "usdt: cannot read the mappings of process %d: %s", pid,
				   strerror(errno));
			return false;
		}
	} else if (!*path) {
		diag_error(d, loc, "usdt probe needs a binary (usdt:/path/to/binary:probe), or -p PID to search "
			   "the binaries that process maps");
		return false;
	} else if (strcmp(path, "*") == 0) {
		all_process_bins(out);
	} else if (has_wildcard(path)) {
		glob_t g;
		if (glob(path, 0, NULL, &g) == 0)
			for (size_t i = 0; i < g.gl_pathc; i++)
				bins_add(out, xstrdup(g.gl_pathv[i]), xstrdup(g.gl_pathv[i]));
		globfree(&g);
	} else {
		char real[PATH_MAX];
		if (pid > 0 && path[0] == '/' && access(path, F_OK) != 0) {
			/* a path in the process's own mount namespace */
			bins_add(out, xstrdup(path), path_in_process(pid, path));
			if (out->n)
				return true;
		}
		if (!uprobe_resolve_binary("usdt", path, real, loc, d))
			return false;
		bins_add(out, xstrdup(strchr(path, '/') ? path : real), xstrdup(real));
		if (!out->n) {
			diag_error(d, loc, "usdt: '%s' is not a file", path);
			return false;
		}
		return true;
	}
	if (!out->n)
		diag_error(d, loc, "usdt: no binary matches '%s'", path);
	return out->n > 0;
}

/* ---- expansion -------------------------------------------------------- */

/* BINARY:[PROVIDER:]PROBE split in three (provider "*" when left out). */
struct usdt_spec {
	char *path, *provider, *name;
};

/* The ':'-separated fields of spec, a quoted one ("\"probe1\"", where a
 * name holds characters an attach point cannot) unquoted with its escapes
 * decoded. Returns how many (at most max; max + 1 = too many). */
static int split_fields(const char *spec, char **fields, int max)
{
	int n = 0;
	const char *p = spec;
	for (;;) {
		char *out = xmalloc(strlen(p) + 1), *o = out;
		bool quoted = *p == '"';
		p += quoted;
		for (; *p && (quoted ? *p != '"' : *p != ':'); p++) {
			if (quoted && *p == '\\' && p[1]) {
				p++;
				*o++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
			} else {
				*o++ = *p;
			}
		}
		*o = '\0';
		if (quoted && *p == '"')
			p++;
		if (n < max)
			fields[n] = out;
		else
			free(out);
		n++;
		if (*p != ':' || n > max)
			return n;
		p++;
	}
}

static bool split_spec(const char *spec, struct usdt_spec *s)
{
	char *f[3] = { NULL, NULL, NULL };
	int n = split_fields(spec, f, 3);
	if (n < 2 || n > 3) {
		for (int i = 0; i < 3; i++)
			free(f[i]);
		return false;
	}
	s->path = f[0];
	s->provider = n == 3 && *f[1] ? f[1] : xstrdup("*");
	s->name = f[n - 1];
	if (n == 3 && !*f[1])
		free(f[1]);
	return true;
}

static void spec_free(struct usdt_spec *s)
{
	free(s->path);
	free(s->provider);
	free(s->name);
}

static bool note_matches(const struct usdt_note *n, const struct usdt_spec *s)
{
	return probe_wildcard_match(s->provider, n->provider) && probe_wildcard_match(s->name, n->name);
}

/* Is note i the first of its provider:name in ns? */
static bool first_of_probe(const struct usdt_notes *ns, int i)
{
	for (int j = 0; j < i; j++)
		if (strcmp(ns->v[j].provider, ns->v[i].provider) == 0 &&
		    strcmp(ns->v[j].name, ns->v[i].name) == 0)
			return false;
	return true;
}

/* The target string (see the top of the file) of probe provider:name. */
static char *encode_target(const char *open_path, const struct usdt_notes *ns, const struct usdt_note *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return xstrdup(open_path);
	fputs(open_path, f);
	for (int i = 0; i < ns->n; i++) {
		const struct usdt_note *n = &ns->v[i];
		if (strcmp(n->provider, p->provider) != 0 || strcmp(n->name, p->name) != 0)
			continue;
		fprintf(f, "\n%" PRIx64 " %" PRIx64 " %" PRIx64, n->pc_off, n->sem_off, n->pc);
		for (int a = 0; a < n->nargs; a++) {
			fputc(' ', f);
			arg_format(f, &n->args[a]);
		}
	}
	fclose(f);
	return text;
}

static void push_probe(const struct usdt_bin *b, const struct usdt_notes *ns, const struct usdt_note *p,
		       struct probe_target **out, int *n)
{
	struct probe_target *t = probe_target_push(out, n);
	t->type = PT_USDT;
	t->name = xasprintf("usdt:%s:%s:%s", b->shown, p->provider, p->name);
	t->target = encode_target(b->open, ns, p);
}

/* No probe matched in one named binary: say what is there instead. */
static void report_no_probe(const struct usdt_bin *b, const struct usdt_notes *ns,
			    const struct usdt_spec *s, srcloc loc, struct diag *d)
{
	bool any_provider = strcmp(s->provider, "*") == 0;
	char *want = any_provider ? xstrdup(s->name) : xasprintf("%s:%s", s->provider, s->name);
	struct suggestion near;
	suggestion_init(&near, want);
	for (int i = 0; i < ns->n; i++) {
		char *have = any_provider ? xstrdup(ns->v[i].name)
					  : xasprintf("%s:%s", ns->v[i].provider, ns->v[i].name);
		suggestion_consider(&near, have);
		free(have);
	}
	if (near.best)
		diag_error(d, loc, "usdt: no probe '%s' in %s; did you mean '%s'?", want, b->shown, near.best);
	else
		diag_error(d, loc, "usdt: no probe '%s' in %s", want, b->shown);
	suggestion_free(&near);
	free(want);
}

/* Appends the probes of b matching s; returns how many. */
static int expand_bin(const struct usdt_bin *b, const struct usdt_spec *s, bool alone, srcloc loc,
		      struct diag *d, struct probe_target **out, int *n)
{
	struct usdt_notes ns;
	enum usdt_read r = read_notes(b->open, &ns);
	int found = 0;
	if (r != USDT_OK && alone) {
		if (r == USDT_UNREADABLE)
			diag_error(d, loc, "usdt: '%s' is not an ELF file sonde can read", b->shown);
		else
			diag_error(d, loc, "usdt: %s has no USDT probes (no .note.stapsdt notes)", b->shown);
		return -1;
	}
	for (int i = 0; i < ns.n; i++)
		if (note_matches(&ns.v[i], s) && first_of_probe(&ns, i)) {
			push_probe(b, &ns, &ns.v[i], out, n);
			found++;
		}
	if (!found && alone && !has_wildcard(s->provider + (strcmp(s->provider, "*") == 0)) &&
	    !has_wildcard(s->name)) {
		report_no_probe(b, &ns, s, loc, d);
		found = -1;
	}
	notes_free(&ns);
	return found;
}

static int usdt_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	struct usdt_spec s = { 0 };
	if (!split_spec(spec, &s)) {
		diag_error(d, loc, "usdt needs a binary and a probe: usdt:/path/to/binary:[provider:]probe");
		return -1;
	}
	struct usdt_bins bins = { 0 };
	int rc = -1;
	if (!*s.name)
		diag_error(d, loc, "usdt probe must have a probe name or wildcard");
	else if (find_bins(s.path, loc, d, &bins)) {
		int found = 0;
		bool alone = bins.n == 1 && !has_wildcard(s.path) && *s.path;
		for (int i = 0; i < bins.n && found >= 0; i++) {
			int k = expand_bin(&bins.v[i], &s, alone, loc, d, out, n);
			found = k < 0 ? -1 : found + k;
		}
		if (found == 0)
			diag_error(d, loc, "usdt: no probe matches '%s'", spec);
		rc = found > 0 ? 0 : -1;
	}
	bins_free(&bins);
	spec_free(&s);
	return rc;
}

/* ---- what expansion made, read back --------------------------------------- */

struct usdt_loc {
	uint64_t pc_off, sem_off, pc;
	struct usdt_arg args[USDT_MAX_ARGS];
	int nargs;
};

struct usdt_probe {
	char *path;
	struct usdt_loc *locs;
	int nlocs;
};

static void probe_free(struct usdt_probe *p)
{
	free(p->path);
	free(p->locs);
}

static bool decode_target(const char *target, struct usdt_probe *p)
{
	memset(p, 0, sizeof(*p));
	char *copy = xstrdup(target), *save = NULL;
	char *line = strtok_r(copy, "\n", &save);
	bool ok = line != NULL;
	if (ok)
		p->path = xstrdup(line);
	while (ok && (line = strtok_r(NULL, "\n", &save))) {
		p->locs = xrealloc(p->locs, sizeof(*p->locs) * (size_t)(p->nlocs + 1));
		struct usdt_loc *l = &p->locs[p->nlocs++];
		memset(l, 0, sizeof(*l));
		char *tsave = NULL, *tok[3];
		for (int i = 0; i < 3; i++)
			tok[i] = strtok_r(i ? NULL : line, " ", &tsave);
		ok = tok[2] != NULL;
		if (ok) {
			l->pc_off = strtoull(tok[0], NULL, 16);
			l->sem_off = strtoull(tok[1], NULL, 16);
			l->pc = strtoull(tok[2], NULL, 16);
		}
		for (char *a; ok && (a = strtok_r(NULL, " ", &tsave)) && l->nargs < USDT_MAX_ARGS;)
			ok = arg_scan(a, &l->args[l->nargs++]);
	}
	free(copy);
	ok = ok && p->nlocs > 0;
	if (!ok)
		probe_free(p);
	return ok;
}

static char *usdt_argn_unavailable(const struct probe_target *t, int n)
{
	struct usdt_probe p;
	if (!decode_target(t->target, &p))
		return xstrdup("internal error: its locations are lost");
	char *why = NULL;
	for (int i = 0; i < p.nlocs && !why; i++) {
		if (n >= p.locs[i].nargs && p.locs[i].nargs == 0)
			why = xstrdup("the probe has no arguments");
		else if (n >= p.locs[i].nargs)
			why = xasprintf("the probe has %d argument%s (arg0..arg%d)", p.locs[i].nargs,
					p.locs[i].nargs == 1 ? "" : "s", p.locs[i].nargs - 1);
		else if (p.locs[i].args[n].kind == UA_BAD)
			why = xstrdup("sonde cannot decode where the probe's note says it is");
	}
	probe_free(&p);
	return why;
}

/* ---- codegen ------------------------------------------------------------ */

static LLVMValueRef load_reg(struct cg *cg, int offset)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, (uint64_t)offset), "");
	LLVMSetAlignment(v, 8);
	return v;
}

/* The low `size` bytes of v, sign- or zero-extended to 64 bits. */
static LLVMValueRef extend(struct cg *cg, LLVMValueRef v, int size, bool is_signed)
{
	if (size >= 8)
		return v;
	LLVMTypeRef narrow = LLVMIntTypeInContext(cg->ctx, (unsigned)size * 8);
	LLVMValueRef t = LLVMBuildTrunc(cg->b, v, narrow, "");
	return is_signed ? LLVMBuildSExt(cg->b, t, cg->i64, "") : LLVMBuildZExt(cg->b, t, cg->i64, "");
}

/* Argument a at location l, as the process sees it now. */
static LLVMValueRef emit_arg(struct cg *cg, const struct usdt_arg *a, const struct usdt_loc *l)
{
	LLVMValueRef v, addr;
	switch (a->kind) {
	case UA_CONST:
		return extend(cg, cg_const(cg, (uint64_t)a->disp), a->size, a->is_signed);
	case UA_REG:
		v = load_reg(cg, a->base);
		if (a->shift)
			v = LLVMBuildLShr(cg->b, v, cg_const(cg, (uint64_t)a->shift), "");
		return extend(cg, v, a->size, a->is_signed);
	case UA_MEM:
		addr = LLVMBuildAdd(cg->b, load_reg(cg, a->base), cg_const(cg, (uint64_t)a->disp), "");
		if (a->index >= 0)
			addr = LLVMBuildAdd(cg->b, addr,
					    LLVMBuildMul(cg->b, load_reg(cg, a->index),
							 cg_const(cg, (uint64_t)a->scale), ""), "");
		break;
	case UA_SYM:
		/* the load bias is where the probe is now minus where it was linked */
		addr = LLVMBuildAdd(cg->b, LLVMBuildSub(cg->b, load_reg(cg, REG_IP), cg_const(cg, l->pc), ""),
				    cg_const(cg, (uint64_t)a->disp), "");
		break;
	default:
		return cg_const(cg, 0); /* sema refused it (usdt_argn_unavailable) */
	}
	LLVMValueRef buf = cg_temp(cg, 8);
	cg_zero(cg, buf, 8);
	cg_probe_read(cg, buf, (uint32_t)a->size, addr, true);
	v = LLVMBuildLoad2(cg->b, cg->i64, buf, "");
	LLVMSetAlignment(v, 8);
	return extend(cg, v, a->size, a->is_signed);
}

/* Do all locations decode argument n the same way? (A symbol's address
 * depends on the location's pc.) */
static bool same_everywhere(const struct usdt_probe *p, int n)
{
	for (int i = 1; i < p->nlocs; i++)
		if (!arg_equal(&p->locs[i].args[n], &p->locs[0].args[n]) || p->locs[0].args[n].kind == UA_SYM)
			return false;
	return true;
}

/* argN where locations differ: switch on the attach cookie (the location's
 * index, set by usdt_attach). */
static LLVMValueRef emit_by_location(struct cg *cg, const struct usdt_probe *p, int n)
{
	LLVMValueRef slot = cg_temp(cg, 8);
	cg_zero(cg, slot, 8);
	LLVMValueRef ctx = cg->ctx_arg;
	LLVMValueRef cookie = cg_helper(cg, HELPER_GET_ATTACH_COOKIE, cg->i64, &ctx, 1);
	LLVMBasicBlockRef done = cg_block(cg, "usdt_arg_done");
	LLVMValueRef sw = LLVMBuildSwitch(cg->b, cookie, done, (unsigned)p->nlocs);
	for (int i = 0; i < p->nlocs; i++) {
		LLVMBasicBlockRef bb = cg_block(cg, "usdt_arg_loc");
		LLVMAddCase(sw, cg_const(cg, (uint64_t)i), bb);
		LLVMPositionBuilderAtEnd(cg->b, bb);
		LLVMValueRef v = emit_arg(cg, &p->locs[i].args[n], &p->locs[i]);
		LLVMValueRef st = LLVMBuildStore(cg->b, v, slot);
		LLVMSetAlignment(st, 8);
		LLVMBuildBr(cg->b, done);
	}
	LLVMPositionBuilderAtEnd(cg->b, done);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, slot, "");
	LLVMSetAlignment(v, 8);
	return v;
}

static struct LLVMOpaqueValue *usdt_emit_argn(struct cg *cg, int n)
{
	struct usdt_probe p;
	if (!cg->target || !decode_target(cg->target->target, &p))
		return cg_const(cg, 0);
	LLVMValueRef v;
	for (int i = 0; i < p.nlocs; i++)
		if (n >= p.locs[i].nargs) /* sema refused it */
			p.locs[i].args[n].kind = UA_BAD;
	if (same_everywhere(&p, n))
		v = emit_arg(cg, &p.locs[0].args[n], &p.locs[0]);
	else
		v = emit_by_location(cg, &p, n);
	probe_free(&p);
	return v;
}

/* ---- attaching ------------------------------------------------------------ */

static char *usdt_section(const struct probe_target *t)
{
	(void)t;
	return xstrdup("uprobe");
}

/* One uprobe per location, each with its index as the cookie and its
 * semaphore as the reference counter the kernel keeps up. */
static int usdt_attach(const struct desc_probe *dp, struct bpf_program *prog, struct rt_links *l,
		       char *errbuf, size_t errlen)
{
	struct usdt_probe p;
	if (!decode_target(dp->target, &p)) {
		snprintf(errbuf, errlen, "internal error: target of %s", dp->name);
		return -EINVAL;
	}
	int err = 0;
	for (int i = 0; i < p.nlocs && !err; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .ref_ctr_offset = (size_t)p.locs[i].sem_off,
			    .bpf_cookie = (uint64_t)i);
		struct bpf_link *link =
			bpf_program__attach_uprobe_opts(prog, -1, p.path, (size_t)p.locs[i].pc_off, &opts);
		if (!link) {
			err = -errno;
			snprintf(errbuf, errlen, "%s", strerror(-err));
		} else {
			rt_links_add(l, link);
		}
	}
	probe_free(&p);
	return err;
}

static const char *usdt_attach_hint(int err)
{
	(void)err;
	return "is the binary still there, unchanged since compiling, and does the kernel have uprobes?";
}

static enum addr_space user_pointers(const struct probe_target *t)
{
	(void)t;
	return AS_USER;
}

/* ---- -l ------------------------------------------------------------------- */

/* Collects the probes of b matching s as "usdt:PATH:PROVIDER:NAME". */
static void list_bin(const struct usdt_bin *b, const struct usdt_spec *s, char ***names, int *n)
{
	struct usdt_notes ns;
	if (read_notes(b->open, &ns) != USDT_OK)
		return;
	for (int i = 0; i < ns.n; i++)
		if (note_matches(&ns.v[i], s) && first_of_probe(&ns, i)) {
			*names = xrealloc(*names, sizeof(**names) * (size_t)(*n + 1));
			(*names)[(*n)++] = xasprintf("usdt:%s:%s:%s", b->shown, ns.v[i].provider, ns.v[i].name);
		}
	notes_free(&ns);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* bpftrace prints a type's matches as a sorted set (byte order). */
static int print_sorted(char **names, int n, FILE *out)
{
	util_sort(names, (size_t)n, sizeof(*names), compare_names);
	int printed = 0;
	for (int i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0) {
			fprintf(out, "%s\n", names[i]);
			printed++;
		}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return printed;
}

static int usdt_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	(void)self;
	struct usdt_spec s = { 0 };
	const char *pattern = req->pattern && *req->pattern ? req->pattern : "*";
	if (!strchr(pattern, ':')) { /* "usdt:*": every probe of the binaries */
		s.path = xstrdup(pattern);
		s.provider = xstrdup("*");
		s.name = xstrdup("*");
	} else if (!split_spec(pattern, &s)) {
		fprintf(stderr, "sonde: usdt: '%s' is not BINARY:[PROVIDER:]PROBE\n", pattern);
		return -1;
	}
	int old_pid = probe_target_pid();
	probe_set_target_pid(req->pid);
	struct usdt_bins bins = { 0 };
	struct diag quiet;
	FILE *devnull = fopen("/dev/null", "we");
	char **names = NULL;
	int n = 0, printed = -1;
	if (devnull) {
		diag_init(&quiet, NULL, devnull);
		/* bpftrace lists USDT only for a binary or a process; one that is
		 * not there lists nothing */
		if (req->pid > 0 || strcmp(s.path, "*") != 0)
			find_bins(s.path, (srcloc){ 0 }, &quiet, &bins);
		for (int i = 0; i < bins.n; i++)
			list_bin(&bins.v[i], &s, &names, &n);
		printed = print_sorted(names, n, req->out);
		fclose(devnull);
	}
	probe_set_target_pid(old_pid);
	bins_free(&bins);
	spec_free(&s);
	return printed;
}

const struct probe_provider probe_usdt = {
	.name = "usdt",
	.aliases = { "U", NULL },
	.type = PT_USDT,
	.filter_self = true,
	.max_args = USDT_MAX_ARGS,
	.emit_argn = usdt_emit_argn,
	.argn_unavailable = usdt_argn_unavailable,
	.pointer_as = user_pointers,
	.expand = usdt_expand,
	.section = usdt_section,
	.attach = usdt_attach,
	.attach_hint = usdt_attach_hint,
	.list = usdt_list,
};
