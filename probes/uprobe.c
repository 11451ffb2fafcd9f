/* uprobe.c - `uprobe:BINARY:FUNCTION` (alias `u`) and
 * `uretprobe:BINARY:FUNCTION` (alias `ur`), also `FUNCTION+OFFSET`.
 *
 * The function is looked up in the binary's symbol tables (libelf) while
 * compiling, so a typo is a positioned error with the closest name; libbpf
 * finds it again when attaching (bpf_program__attach_uprobe_opts with
 * func_name) and attaches for every process that maps the binary. The
 * context is the user's registers (struct pt_regs): argN are the calling
 * convention's argument registers, retval the return register; pointers
 * read from them point into user memory.
 *
 * A binary without a path is a library ("libc": libc.so.6 in the linker's
 * directories) or a program on PATH ("bash"), as bpftrace finds them.
 *
 * Not yet: wildcards, addresses, -p's
 * per-process attach, args from DWARF, USDT (issue "user-space probes"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "ast.h"
#include "cg.h"
#include "probe.h"
#include "suggest.h"

/* Offsets in the kernel's struct pt_regs (x86_64) of the argument registers
 * (System V: rdi, rsi, rdx, rcx, r8, r9) and of rax, the return value. */
#if defined(__x86_64__)
static const uint32_t arg_regs[] = { 112, 104, 96, 88, 72, 64 };
#define RETVAL_REG 80u
#define IP_REG 128u /* rip: where the probe hit (func) */
#elif defined(__aarch64__)
static const uint32_t arg_regs[] = { 0, 8, 16, 24, 32, 40, 48, 56 }; /* x0..x7 */
#define RETVAL_REG 0u
#define IP_REG 256u /* pc */
#else
#error "uprobe argument registers are not known for this architecture"
#endif

#if defined(__x86_64__)
#define SONDE_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define SONDE_MULTIARCH "aarch64-linux-gnu"
#endif
#define NARG_REGS (int)(sizeof(arg_regs) / sizeof(arg_regs[0]))

enum elf_lookup { ELF_FOUND, ELF_NO_SYMBOL, ELF_UNREADABLE };

/* Is `func` a function symbol of the ELF file at path? Considers every
 * function name for *near otherwise. */
static enum elf_lookup elf_has_function(const char *path, const char *func, struct suggestion *near)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ELF_UNREADABLE;
	enum elf_lookup r = ELF_UNREADABLE;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_ELF) {
		r = ELF_NO_SYMBOL;
		Elf_Scn *scn = NULL;
		while (r != ELF_FOUND && (scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
				continue;
			Elf_Data *data = elf_getdata(scn, NULL);
			size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
			for (size_t i = 0; data && i < count; i++) {
				GElf_Sym sym;
				if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
				    sym.st_shndx == SHN_UNDEF)
					continue;
				const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
				if (!name)
					continue;
				if (strcmp(name, func) == 0) {
					r = ELF_FOUND;
					break;
				}
				suggestion_consider(near, name);
			}
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return r;
}

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

/* "libc" -> /lib/x86_64-linux-gnu/libc.so.6, as bpftrace resolves
 * uprobe:libc:malloc: NAME.so.N (the runtime soname) before NAME.so.N.M and
 * NAME.so, which for libc is a linker script; only ELF files count. */
static bool find_library(const char *name, char *out)
{
	size_t len = strlen(name), best_dots = SIZE_MAX;
	for (size_t d = 0; d < sizeof(lib_dirs) / sizeof(lib_dirs[0]); d++) {
		DIR *dir = opendir(lib_dirs[d]);
		struct dirent *e;
		while (dir && (e = readdir(dir))) {
			if (strncmp(e->d_name, name, len) != 0 || strncmp(e->d_name + len, ".so", 3) != 0 ||
			    (e->d_name[len + 3] && e->d_name[len + 3] != '.'))
				continue;
			size_t dots = 0;
			for (const char *c = e->d_name + len + 3; *c; c++)
				dots += *c == '.';
			/* NAME.so.N (one dot) first, then NAME.so.N.M..., NAME.so last */
			size_t rank = dots == 0 ? SIZE_MAX - 1 : dots;
			char *path = xasprintf("%s/%s", lib_dirs[d], e->d_name);
			if (rank < best_dots && is_elf_file(path) && realpath(path, out))
				best_dots = rank;
			free(path);
		}
		if (dir)
			closedir(dir);
		if (best_dots != SIZE_MAX)
			return true;
	}
	return false;
}

/* A program name without a path: the first executable of that name on PATH. */
static bool find_program(const char *name, char *out)
{
	const char *env = getenv("PATH");
	char *paths = xstrdup(env ? env : "/usr/local/bin:/usr/bin:/bin");
	bool found = false;
	for (char *save = NULL, *dir = strtok_r(paths, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *path = xasprintf("%s/%s", dir, name);
		found = access(path, X_OK) == 0 && realpath(path, out);
		free(path);
	}
	free(paths);
	return found;
}

/* The binary of an attach point, as an absolute path in `real`: a path as
 * given, else a library ("libc") or a program ("bash") found the way
 * bpftrace finds them. Reports why not. */
static bool resolve_binary(const char *provider, const char *path, char *real, srcloc loc,
			   struct diag *d)
{
	if (strchr(path, '/')) {
		if (realpath(path, real))
			return true;
		diag_error(d, loc, "%s: cannot find '%s': %s", provider, path, strerror(errno));
		return false;
	}
	if (strncmp(path, "lib", 3) == 0 ? find_library(path, real) : find_program(path, real))
		return true;
	if (strncmp(path, "lib", 3) == 0)
		diag_error(d, loc, "%s: no library '%s' (%s.so*) in the linker's directories; give its path",
			   provider, path, path);
	else
		diag_error(d, loc, "%s: no program '%s' on PATH; give its path", provider, path);
	return false;
}

/* FUNCTION or FUNCTION+OFFSET */
static bool split_offset(char *func, unsigned long *offset)
{
	*offset = 0;
	char *plus = strchr(func, '+');
	if (!plus)
		return true;
	char *end;
	*plus = '\0';
	*offset = strtoul(plus + 1, &end, 0);
	return end != plus + 1 && !*end;
}

static int check_function(const char *provider, const char *path, const char *func, srcloc loc,
			  struct diag *d)
{
	struct suggestion near;
	suggestion_init(&near, func);
	enum elf_lookup r = elf_has_function(path, func, &near);
	if (r == ELF_UNREADABLE)
		diag_error(d, loc, "%s: '%s' is not an ELF file sonde can read", provider, path);
	else if (r == ELF_NO_SYMBOL && near.best)
		diag_error(d, loc, "%s: no function '%s' in %s; did you mean '%s'?", provider, func, path,
			   near.best);
	else if (r == ELF_NO_SYMBOL)
		diag_error(d, loc, "%s: no function '%s' in %s", provider, func, path);
	suggestion_free(&near);
	return r == ELF_FOUND ? 0 : -1;
}

static int expand(enum probe_type type, const char *provider, const char *spec, srcloc loc,
		  struct diag *d, struct probe_target **out, int *n)
{
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || !colon[1]) {
		diag_error(d, loc, "%s needs a binary and a function: %s:/path/to/binary:function", provider,
			   provider);
		return -1;
	}
	char *path = xstrndup(spec, (size_t)(colon - spec));
	char *func = xstrdup(colon + 1);
	char real[PATH_MAX];
	unsigned long offset;
	int rc = -1;
	if (strpbrk(func, "*?[") || strpbrk(path, "*?["))
		diag_error(d, loc, "wildcards in %s are not supported by sonde yet", provider);
	else if (!resolve_binary(provider, path, real, loc, d))
		;
	else if (!split_offset(func, &offset) || func[0] == '0')
		diag_error(d, loc, "%s: '%s' is not a function name (or FUNCTION+OFFSET)", provider, colon + 1);
	else if (check_function(provider, real, func, loc, d) == 0)
		rc = 0;
	if (rc == 0) {
		struct probe_target *t = probe_target_push(out, n);
		t->type = type;
		t->name = xasprintf("%s:%s:%s", provider, real, colon + 1);
		t->target = xasprintf("%s:%s", real, colon + 1);
	}
	free(path);
	free(func);
	return rc;
}

static int uprobe_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	return expand(PT_UPROBE, "uprobe", spec, loc, d, out, n);
}

static int uretprobe_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out,
			    int *n)
{
	return expand(PT_URETPROBE, "uretprobe", spec, loc, d, out, n);
}

static char *uprobe_section(const struct probe_target *t)
{
	return xstrdup(t->type == PT_URETPROBE ? "uretprobe" : "uprobe");
}

/* desc_probe.target is "PATH:FUNCTION[+OFFSET]" */
static int attach(const struct desc_probe *p, struct bpf_program *prog, bool retprobe,
		  struct rt_links *l, char *errbuf, size_t errlen)
{
	const char *colon = strrchr(p->target, ':');
	if (!colon) {
		snprintf(errbuf, errlen, "internal error: target '%s'", p->target);
		return -EINVAL;
	}
	char *path = xstrndup(p->target, (size_t)(colon - p->target));
	char *func = xstrdup(colon + 1);
	unsigned long offset = 0;
	split_offset(func, &offset);
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = func, .retprobe = retprobe);
	struct bpf_link *link = bpf_program__attach_uprobe_opts(prog, -1, path, offset, &opts);
	int err = link ? 0 : -errno;
	if (!link)
		snprintf(errbuf, errlen, "%s", strerror(-err));
	free(path);
	free(func);
	return link ? rt_links_add(l, link) : err;
}

static int uprobe_attach(const struct desc_probe *p, struct bpf_program *prog, struct rt_links *l,
			 char *errbuf, size_t errlen)
{
	return attach(p, prog, false, l, errbuf, errlen);
}

static int uretprobe_attach(const struct desc_probe *p, struct bpf_program *prog, struct rt_links *l,
			    char *errbuf, size_t errlen)
{
	return attach(p, prog, true, l, errbuf, errlen);
}

static LLVMValueRef load_reg(struct cg *cg, uint32_t offset)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, offset), "");
	LLVMSetAlignment(v, 8);
	return v;
}

static struct LLVMOpaqueValue *uprobe_emit_argn(struct cg *cg, int n)
{
	return load_reg(cg, arg_regs[n]);
}

static struct LLVMOpaqueValue *uretprobe_emit_retval(struct cg *cg)
{
	return load_reg(cg, RETVAL_REG);
}

/* func: the probed function. At a uprobe the instruction pointer is in it;
 * at a uretprobe it is already in the caller (bpftrace 0.17 named that), so
 * ask the kernel, as the latest bpftrace does (bpf_get_func_ip: 0 on
 * kernels 5.15 to 6.5, which have it for uprobes but not uretprobes). */
static struct LLVMOpaqueValue *uprobe_emit_func_ip(struct cg *cg)
{
	return load_reg(cg, IP_REG);
}

static struct LLVMOpaqueValue *uretprobe_emit_func_ip(struct cg *cg)
{
	LLVMValueRef ctx = cg->ctx_arg;
	return cg_helper(cg, HELPER_GET_FUNC_IP, cg->i64, &ctx, 1);
}

/* desc target "PATH:FUNCTION": the binary, for uaddr() */
static char *uprobe_binary_of(const struct probe_target *t)
{
	const char *colon = t->target ? strrchr(t->target, ':') : NULL;
	return colon ? xstrndup(t->target, (size_t)(colon - t->target)) : NULL;
}

static enum addr_space user_pointers(const struct probe_target *t)
{
	(void)t;
	return AS_USER;
}

static const char *uprobe_attach_hint(int err)
{
	(void)err;
	return "is the function in the binary's symbol table, and does the kernel have uprobes?";
}

const struct probe_provider probe_uprobe = {
	.name = "uprobe",
	.aliases = { "u", NULL },
	.type = PT_UPROBE,
	.filter_self = true,
	.max_args = NARG_REGS,
	.emit_argn = uprobe_emit_argn,
	.emit_func_ip = uprobe_emit_func_ip,
	.binary_of = uprobe_binary_of,
	.pointer_as = user_pointers,
	.expand = uprobe_expand,
	.section = uprobe_section,
	.attach = uprobe_attach,
	.attach_hint = uprobe_attach_hint,
};

const struct probe_provider probe_uretprobe = {
	.name = "uretprobe",
	.aliases = { "ur", NULL },
	.type = PT_URETPROBE,
	.filter_self = true,
	.emit_retval = uretprobe_emit_retval,
	.emit_func_ip = uretprobe_emit_func_ip,
	.binary_of = uprobe_binary_of,
	.pointer_as = user_pointers,
	.expand = uretprobe_expand,
	.section = uprobe_section,
	.attach = uretprobe_attach,
	.attach_hint = uprobe_attach_hint,
};
