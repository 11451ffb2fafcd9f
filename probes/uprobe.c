/* uprobe.c - `uprobe:BINARY:FUNCTION` (alias `u`) and
 * `uretprobe:BINARY:FUNCTION` (alias `ur`).
 *
 * FUNCTION is a name, a name with bpftrace's wildcards (`read*`: one probe
 * per matching function), NAME+OFFSET, or an address in the binary
 * (`0x401136`, inside a function). BINARY is a path (wildcards allowed), a
 * library ("libc": libc.so.6 in the linker's directories) or a program on
 * PATH ("bash"), as bpftrace finds them; with -p PID, names and wildcards
 * (`uprobe:*:malloc`) are looked up among the files that process maps.
 *
 * Everything is resolved while compiling (probes/uprobe_elf.c): a typo is a
 * positioned error with the closest name, and each target's file offset
 * goes into the description, so attaching reads no ELF file. Probes attach
 * for every process that maps the binary, or, with -p or -c, for that
 * process only (the pid in the link). The context is the user's registers
 * (struct pt_regs): argN are the calling convention's argument registers,
 * retval the return register, `args` the function's parameters from DWARF
 * (probes/uprobe_dwarf.c); pointers read from them point into user memory. */
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/syscall.h>

#include "usyms.h"
#include "ast.h"
#include "cg.h"
#include "probe.h"
#include "suggest.h"
#include "uprobe.h"
#include "uprobe_internal.h"

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
#define NARG_REGS (int)(sizeof(arg_regs) / sizeof(arg_regs[0]))

static bool has_wildcard(const char *s)
{
	return strchr(s, '*') != NULL;
}

/* ---- the function part: NAME, NAME+OFFSET, ADDRESS, wildcards --------------- */

enum ufunc_kind { UFUNC_NAME, UFUNC_OFFSET, UFUNC_ADDRESS, UFUNC_WILDCARD };

struct func_spec {
	enum ufunc_kind kind;
	char *name;       /* NAME (without +OFFSET) or the pattern */
	uint64_t number;  /* OFFSET or ADDRESS */
};

static bool parse_number(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return *s && !*end && errno == 0 && *s != '-';
}

static bool parse_func(const char *text, struct func_spec *f)
{
	memset(f, 0, sizeof(*f));
	if (text[0] >= '0' && text[0] <= '9') {
		f->kind = UFUNC_ADDRESS;
		return parse_number(text, &f->number);
	}
	const char *plus = strchr(text, '+');
	f->name = plus ? xstrndup(text, (size_t)(plus - text)) : xstrdup(text);
	if (plus) {
		f->kind = UFUNC_OFFSET;
		return *f->name && !has_wildcard(text) && parse_number(plus + 1, &f->number);
	}
	f->kind = has_wildcard(text) ? UFUNC_WILDCARD : UFUNC_NAME;
	return *f->name != '\0';
}

/* The file offset of FUNC (as in a target: NAME, NAME+OFFSET or an
 * address) in e, or a reason it has none in why. */
static bool func_offset(const struct uprobe_elf *e, const char *text, uint64_t *off, char *why,
			size_t whylen)
{
	struct func_spec f;
	bool ok = false;
	if (!parse_func(text, &f) || f.kind == UFUNC_WILDCARD) {
		snprintf(why, whylen, "'%s' is not a function name, NAME+OFFSET or an address", text);
	} else if (f.kind == UFUNC_ADDRESS) {
		const struct uprobe_func *fn = uprobe_elf_func_at(e, f.number);
		if (!fn)
			snprintf(why, whylen, "address 0x%" PRIx64 " is in no function of %s", f.number, e->path);
		else if (!uprobe_elf_offset(e, f.number, off))
			snprintf(why, whylen, "address 0x%" PRIx64 " is not loaded from %s", f.number, e->path);
		else
			ok = true;
	} else {
		const struct uprobe_func *fn = uprobe_elf_find(e, f.name);
		if (!fn)
			snprintf(why, whylen, "no function '%s' in %s", f.name, e->path);
		else if (f.kind == UFUNC_OFFSET && fn->size && f.number >= fn->size)
			snprintf(why, whylen, "offset %" PRIu64 " is outside function '%s'", f.number, f.name);
		else {
			*off = fn->off + f.number;
			ok = true;
		}
	}
	free(f.name);
	return ok;
}

/* ---- the binary part ----------------------------------------------------------- */

struct binaries {
	char **paths;
	int n;
};

static void binaries_add(struct binaries *b, const char *path)
{
	b->paths = xrealloc(b->paths, sizeof(*b->paths) * (size_t)(b->n + 1));
	b->paths[b->n++] = xstrdup(path);
}

static void binaries_free(struct binaries *b)
{
	for (int i = 0; i < b->n; i++)
		free(b->paths[i]);
	free(b->paths);
}

/* A path as given; with -p, through the process's root when the file is
 * only there (another mount namespace). */
static bool resolve_path(const char *path, int pid, char *real)
{
	if (realpath(path, real))
		return true;
	/* /proc/PID/root/x of a pivot_root'd process: readable, but its root
	 * has no name here, so realpath() fails; the path itself works */
	if (path[0] == '/' && strlen(path) < PATH_MAX && access(path, R_OK) == 0) {
		snprintf(real, PATH_MAX, "%s", path);
		return true;
	}
	if (pid <= 0)
		return false;
	char *viaroot = xasprintf("/proc/%d/root%s", pid, path);
	bool ok = path[0] == '/' && access(viaroot, R_OK) == 0;
	if (ok)
		snprintf(real, PATH_MAX, "%s", viaroot);
	free(viaroot);
	return ok;
}

/* The binaries an attach point names: a path, a wildcard over paths (or,
 * with -p, over the files the process maps), a library or a program.
 * Reports why there are none. */
static int find_binaries(const char *provider, const char *path, int pid, struct binaries *b,
			 srcloc loc, struct diag *d)
{
	char real[PATH_MAX];
	if (has_wildcard(path) && pid <= 0 && !strchr(path, '/')) {
		diag_error(d, loc, "%s: a binary named '%s' needs -p PID (it matches the files that process "
			   "maps), or a path", provider, path);
		return -1;
	}
	if (has_wildcard(path)) {
		if (pid > 0) {
			char **paths;
			int n = uprobe_mapped_files(pid, path, &paths);
			for (int i = 0; i < n; i++) {
				binaries_add(b, paths[i]);
				free(paths[i]);
			}
			free(paths);
		} else {
			glob_t g;
			if (glob(path, 0, NULL, &g) == 0)
				for (size_t i = 0; i < g.gl_pathc; i++)
					if (realpath(g.gl_pathv[i], real))
						binaries_add(b, real);
			globfree(&g);
		}
		if (b->n == 0)
			diag_error(d, loc, "%s: no binary matches '%s'%s", provider, path,
				   pid > 0 ? " among the files the process maps" : "");
		return b->n ? 0 : -1;
	}
	if (strchr(path, '/')) {
		if (resolve_path(path, pid, real)) {
			binaries_add(b, real);
			return 0;
		}
		diag_error(d, loc, "%s: cannot find '%s': %s", provider, path, strerror(errno));
		return -1;
	}
	bool lib = strncmp(path, "lib", 3) == 0;
	if (lib ? uprobe_find_library(path, pid, real) : uprobe_find_program(path, pid, real)) {
		binaries_add(b, real);
		return 0;
	}
	if (lib && pid > 0)
		diag_error(d, loc, "%s: process %d maps no library '%s' (%s.so*)", provider, pid, path, path);
	else if (lib)
		diag_error(d, loc, "%s: no library '%s' (%s.so*) in the linker's directories; give its path",
			   provider, path, path);
	else
		diag_error(d, loc, "%s: no program '%s' on PATH; give its path", provider, path);
	return -1;
}

bool uprobe_resolve_binary(const char *provider, const char *path, char *real, srcloc loc,
			   struct diag *d)
{
	if (strchr(path, '*')) {
		diag_error(d, loc, "%s: '%s' names more than one binary", provider, path);
		return false;
	}
	struct binaries b = { 0 };
	bool ok = find_binaries(provider, path, 0, &b, loc, d) == 0 && b.n == 1;
	if (ok)
		snprintf(real, PATH_MAX, "%s", b.paths[0]);
	binaries_free(&b);
	return ok;
}

/* ---- expansion -------------------------------------------------------------- */

/* `shown`: the binary as the probe's name says it (bpftrace keeps a path
 * as written: `probe` of uprobe:bin/prog:f is "uprobe:bin/prog:f"). */
static void push_target(enum probe_type type, const char *provider, const char *shown,
			const char *path, const char *func, struct probe_target **out, int *n)
{
	struct probe_target *t = probe_target_push(out, n);
	t->type = type;
	t->name = xasprintf("%s:%s:%s", provider, shown, func);
	t->target = xasprintf("%s:%s", path, func);
}

static int expand_wildcard(enum probe_type type, const char *provider, const char *shown,
			   const struct uprobe_elf *e, const char *pattern, struct probe_target **out, int *n)
{
	int found = 0;
	for (int i = 0; i < e->nfuncs; i++)
		if (probe_wildcard_match(pattern, e->funcs[i].name)) {
			push_target(type, provider, shown, e->path, e->funcs[i].name, out, n);
			found++;
		}
	return found;
}

/* The targets of func in the binary at path; with `quiet` (one of many
 * binaries a wildcard matched), a binary without it is no error. */
/* FUNC is an address (0x1f0, 496): true, and the number in *off. */
static bool raw_offset(const char *func, uint64_t *off)
{
	struct func_spec f;
	bool ok = parse_func(func, &f) && f.kind == UFUNC_ADDRESS;
	if (ok && off)
		*off = f.number;
	free(f.name);
	return ok;
}

/* FUNC is a function name (with or without +OFFSET) whose symbol has size 0 (_init). */
static bool zero_size_function(const struct uprobe_elf *e, const char *func)
{
	struct func_spec f;
	bool zero = false;
	if (parse_func(func, &f) && (f.kind == UFUNC_NAME || f.kind == UFUNC_OFFSET)) {
		const struct uprobe_func *fn = uprobe_elf_find(e, f.name);
		zero = fn && fn->size == 0;
	}
	free(f.name);
	return zero;
}

static int expand_one(enum probe_type type, const char *provider, const char *func, const char *shown,
		      const char *path, bool quiet, srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	const struct uprobe_elf *e = uprobe_elf_get(path);
	if (!e && probe_unsafe() && raw_offset(func, NULL) && access(path, R_OK) == 0) {
		/* --unsafe: an address in a file that is no ELF (a flat
		 * binary, code mapped by hand) is its offset in the file */
		push_target(type, provider, shown, path, func, out, n);
		return 1;
	}
	if (!e) {
		if (!quiet)
			diag_error(d, loc, "%s: '%s' is not an ELF file sonde can read%s", provider, path,
				   raw_offset(func, NULL) ? " (--unsafe probes an address in any file as its offset)" : "");
		return quiet ? 0 : -1;
	}
	if (has_wildcard(func))
		return expand_wildcard(type, provider, shown, e, func, out, n);
	uint64_t off;
	char why[PATH_MAX + 128];
	if (!func_offset(e, func, &off, why, sizeof(why))) {
		if (quiet)
			return 0;
		struct func_spec f;
		struct suggestion near;
		bool named = parse_func(func, &f) && f.kind != UFUNC_ADDRESS && !uprobe_elf_find(e, f.name);
		suggestion_init(&near, named ? f.name : "");
		for (int i = 0; named && i < e->nfuncs; i++)
			suggestion_consider(&near, e->funcs[i].name);
		if (near.best)
			diag_error(d, loc, "%s: %s; did you mean '%s'?", provider, why, near.best);
		else
			diag_error(d, loc, "%s: %s", provider, why);
		suggestion_free(&near);
		free(f.name);
		return -1;
	}
	if (zero_size_function(e, func) && !probe_unsafe()) {
		/* the symbol does not say where the function ends, so nothing
		 * says the address starts an instruction of it (bpftrace asks
		 * for --unsafe too) */
		if (quiet)
			return 0;
		diag_error(d, loc, "%s: cannot tell where '%s' ends (its symbol has size 0); --unsafe attaches "
			   "to it anyway, at the risk of corrupting the process", provider, func);
		return -1;
	}
	if (type == PT_URETPROBE && strchr(func, '+')) {
		diag_error(d, loc, "uretprobe: a return probe takes a function, not an offset in it ('%s')", func);
		return -1;
	}
	push_target(type, provider, shown, path, func, out, n);
	return 1;
}

/* "ns::Cls::method(int) const" -> "ns::Cls::method": bpftrace's cpp: names
 * leave out the parameters; a template's <...> stays. */
static char *demangled_name(const char *mangled)
{
	char *full = usyms_cxx_name(mangled); /* libstdc++'s demangler */
	if (!full)
		return NULL;
	int depth = 0;
	for (char *c = full; *c; c++) {
		if (*c == '<')
			depth++;
		else if (*c == '>' && depth > 0)
			depth--;
		else if (*c == '(' && depth == 0 && c != full) {
			*c = '\0';
			break;
		}
	}
	return full;
}

/* `cpp:NAME`: every function whose demangled name (without parameters)
 * NAME or its wildcards match, overloads included; the probe is on the
 * mangled symbol. */
static int expand_cpp(enum probe_type type, const char *provider, const char *pattern,
		      const char *shown, const char *path, struct probe_target **out, int *n)
{
	const struct uprobe_elf *e = uprobe_elf_get(path);
	int found = 0;
	for (int i = 0; e && i < e->nfuncs; i++) {
		char *name = demangled_name(e->funcs[i].name);
		if (name && probe_wildcard_match(pattern, name)) {
			push_target(type, provider, shown, e->path, e->funcs[i].name, out, n);
			found++;
		}
		free(name);
	}
	return found;
}

/* "name" -> name, "name"+OFF -> name+OFF: bpftrace lets a function (C++'s
 * "ns::f") be quoted */
static char *unquote(const char *s)
{
	size_t len = strlen(s);
	const char *close = len >= 2 && s[0] == '"' ? strchr(s + 1, '"') : NULL;
	if (close && (close[1] == '\0' || close[1] == '+'))
		return xasprintf("%.*s%s", (int)(close - s - 1), s + 1, close + 1);
	return xstrdup(s);
}

static int expand(enum probe_type type, const char *provider, const char *spec, srcloc loc,
		  struct diag *d, struct probe_target **out, int *n)
{
	const char *colon = strchr(spec, ':');
	if (!colon || colon == spec || !colon[1]) {
		diag_error(d, loc, "%s needs a binary and a function: %s:/path/to/binary:function", provider,
			   provider);
		return -1;
	}
	const char *rest = colon + 1;
	bool cpp = strncmp(rest, "cpp:", 4) == 0;
	if (cpp)
		rest += 4;
	else if (strncmp(rest, "c:", 2) == 0)
		rest += 2;
	char *func = unquote(rest);
	if (!*func || (!cpp && strchr(func, ':'))) {
		diag_error(d, loc, "%s: '%s' is not a function name, NAME+OFFSET or an address", provider, rest);
		free(func);
		return -1;
	}
	char *path = xstrndup(spec, (size_t)(colon - spec));
	struct binaries b = { 0 };
	int rc = find_binaries(provider, path, probe_target_pid(), &b, loc, d);
	int found = 0;
	bool as_written = strchr(path, '/') && !has_wildcard(path);
	for (int i = 0; rc == 0 && i < b.n; i++) {
		const char *shown = as_written ? path : b.paths[i];
		int k = cpp ? expand_cpp(type, provider, func, shown, b.paths[i], out, n)
			    : expand_one(type, provider, func, shown, b.paths[i], has_wildcard(path), loc, d, out, n);
		if (k < 0)
			rc = -1;
		found += k > 0 ? k : 0;
	}
	if (rc == 0 && found == 0) {
		if (b.n == 1)
			diag_error(d, loc, "%s: no %sfunction matches '%s' in %s", provider, cpp ? "C++ " : "",
				   func, b.paths[0]);
		else
			diag_error(d, loc, "%s: no %sfunction matches '%s' in the %d binaries matching '%s'",
				   provider, cpp ? "C++ " : "", func, b.n, path);
		rc = -1;
	}
	binaries_free(&b);
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

/* "PATH:FUNC" (a target) -> PATH, FUNC; PATH has no ':' */
static bool split_target(const char *target, char **path, const char **func)
{
	const char *colon = strrchr(target, ':');
	if (!colon)
		return false;
	*path = xstrndup(target, (size_t)(colon - target));
	*func = colon + 1;
	return true;
}

/* desc_probe.params: "off=0x..." the file offset, found while compiling. */
static char *uprobe_attach_params(const struct probe_target *t, unsigned *deps)
{
	(void)deps;
	char *path;
	const char *func;
	uint64_t off = 0;
	char why[PATH_MAX + 128];
	if (!split_target(t->target, &path, &func))
		return NULL;
	const struct uprobe_elf *e = uprobe_elf_get(path);
	bool ok = e ? func_offset(e, func, &off, why, sizeof(why)) : raw_offset(func, &off);
	free(path);
	return ok ? xasprintf("off=0x%" PRIx64, off) : NULL;
}

static int attach(const struct desc_probe *p, struct bpf_program *prog, bool retprobe,
		  struct rt_links *l, char *errbuf, size_t errlen)
{
	char *path;
	const char *func;
	uint64_t off;
	if (!split_target(p->target, &path, &func) || !p->params ||
	    sscanf(p->params, "off=%" SCNx64, &off) != 1) {
		snprintf(errbuf, errlen, "internal error: target '%s'", p->target);
		return -EINVAL;
	}
	int pid = probe_target_pid();
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe);
	struct bpf_link *link = bpf_program__attach_uprobe_opts(prog, pid > 0 ? pid : -1, path, (size_t)off, &opts);
	int err = link ? 0 : -errno;
	if (!link)
		snprintf(errbuf, errlen, "%s", strerror(-err));
	free(path);
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

/* ---- uprobe_multi: one link for many functions of one binary ------------------- */

/* The kernel's UAPI (Linux 6.6+) that this libbpf (1.1) and these headers
 * predate: attach type, flag, and the link_create part of union bpf_attr. */
#define SONDE_BPF_TRACE_UPROBE_MULTI 48
#define SONDE_BPF_F_UPROBE_MULTI_RETURN 1u
struct sonde_uprobe_multi_attr {
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint64_t path, offsets, ref_ctr_offsets, cookies;
	uint32_t cnt, multi_flags, pid, pad;
};

static int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets, uint32_t cnt,
			     bool retprobe, int pid)
{
	struct sonde_uprobe_multi_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (uint32_t)prog_fd;
	attr.attach_type = SONDE_BPF_TRACE_UPROBE_MULTI;
	attr.path = (uint64_t)(uintptr_t)path;
	attr.offsets = (uint64_t)(uintptr_t)offsets;
	attr.cnt = cnt;
	attr.multi_flags = retprobe ? SONDE_BPF_F_UPROBE_MULTI_RETURN : 0;
	attr.pid = pid > 0 ? (uint32_t)pid : 0;
	return (int)syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
}

/* As bpftrace probes it: a uprobe_multi link on "/" fails with EBADF (not
 * a regular file) where the kernel has them, EINVAL where it does not.
 * SONDE_UPROBE_MULTI=0 or 1 decides instead (tests, measurements). Needs
 * the privileges to load a program; without them, single uprobes. */
static bool have_uprobe_multi(void)
{
	static int known = -1;
	const char *env = getenv("SONDE_UPROBE_MULTI");
	if (env && (strcmp(env, "0") == 0 || strcmp(env, "1") == 0))
		return env[0] == '1';
	if (known >= 0)
		return known;
	static const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = SONDE_BPF_TRACE_UPROBE_MULTI);
	int prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "sonde_probe", "GPL", ret0, 2, &opts);
	known = 0;
	if (prog >= 0) {
		uint64_t off = 0;
		int link = uprobe_multi_link(prog, "/", &off, 1, false, 0);
		known = link < 0 && errno == EBADF;
		if (link >= 0)
			close(link);
		close(prog);
	}
	return known;
}

static bool uprobe_can_share(const struct probe_target *a, const struct probe_target *b)
{
	const char *ca = strrchr(a->target, ':'), *cb = strrchr(b->target, ':');
	return a->type == b->type && ca && cb && ca - a->target == cb - b->target &&
	       strncmp(a->target, b->target, (size_t)(ca - a->target)) == 0 && have_uprobe_multi();
}

static int uprobe_prepare_shared(struct bpf_program *prog)
{
	return bpf_program__set_expected_attach_type(prog, SONDE_BPF_TRACE_UPROBE_MULTI);
}

static int uprobe_attach_shared(const struct desc_probe *const *p, int n, struct bpf_program *prog,
				struct rt_links *l, char *errbuf, size_t errlen)
{
	char *path;
	const char *func;
	if (!split_target(p[0]->target, &path, &func)) {
		snprintf(errbuf, errlen, "internal error: target '%s'", p[0]->target);
		return -EINVAL;
	}
	uint64_t *offsets = xcalloc((size_t)n, sizeof(*offsets));
	int err = 0;
	for (int i = 0; i < n && !err; i++)
		if (!p[i]->params || sscanf(p[i]->params, "off=%" SCNx64, &offsets[i]) != 1) {
			snprintf(errbuf, errlen, "internal error: target '%s'", p[i]->target);
			err = -EINVAL;
		}
	int fd = err ? -1
		     : uprobe_multi_link(bpf_program__fd(prog), path, offsets, (uint32_t)n,
					 p[0]->type == PT_URETPROBE, probe_target_pid());
	if (!err && fd < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "uprobe_multi over %d functions: %s", n, strerror(errno));
	}
	free(offsets);
	free(path);
	return err ? err : rt_links_add_fd(l, fd);
}

/* ---- what the builtins mean ----------------------------------------------------- */

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

/* `args`: a record of the parameters that arrive in registers, member i at
 * offset 8 * (its register), so the member says where its value is. */
static const struct type *uprobe_args_type(const struct probe_target *t, struct type_arena *a,
					   struct diag *d, srcloc loc)
{
	char *path;
	const char *func;
	if (!split_target(t->target, &path, &func))
		return NULL;
	char *name = xstrndup(func, strcspn(func, "+"));
	struct uprobe_param *params;
	int n = uprobe_dwarf_params(path, name, a, &params);
	const struct type *rec = NULL;
	if (n < 0) {
		diag_error(d, loc, "args: %s has no DWARF debug info for '%s' (build it with -g)", path, name);
	} else {
		char *rname = xasprintf("struct _uprobe_args_%s", name);
		struct type *r = type_record_new(a, REC_STRUCT, rname);
		free(rname);
		int nregs = 0;
		for (int i = 0; i < n; i++)
			if (params[i].type && params[i].reg < NARG_REGS) {
				type_record_add_at(a, r, params[i].name, params[i].type, (uint32_t)params[i].reg * 8, 0, 0);
				nregs = params[i].reg + 1;
			}
		type_record_finish(r, (uint32_t)nregs * 8);
		rec = r;
	}
	uprobe_params_free(params, n > 0 ? n : 0);
	free(name);
	free(path);
	return rec;
}

static void uprobe_emit_args_member(struct cg *cg, const struct type_member *m, struct cg_ref *out)
{
	LLVMValueRef v = load_reg(cg, arg_regs[m->offset / 8]);
	*out = (struct cg_ref){ REF_VALUE, cg_normalize(cg, v, m->type) };
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

/* The address in the file (not the file offset) where target t's probe
 * sits: its function's st_value, plus OFFSET; false when the file is no
 * ELF file whose addresses move (ET_EXEC, a flat file: nothing to add). */
static bool relocated_probe_address(const struct probe_target *t, uint64_t *vaddr)
{
	char *path;
	const char *func;
	if (!t || !t->target || !split_target(t->target, &path, &func))
		return false;
	const struct uprobe_elf *e = uprobe_elf_get(path);
	free(path);
	struct func_spec f = { 0 };
	bool ok = e && e->relocated && parse_func(func, &f);
	if (ok && f.kind == UFUNC_ADDRESS) {
		*vaddr = f.number;
	} else if (ok && f.kind != UFUNC_WILDCARD) {
		const struct uprobe_func *fn = uprobe_elf_find(e, f.name);
		ok = fn != NULL;
		if (ok)
			*vaddr = fn->addr + (f.kind == UFUNC_OFFSET ? f.number : 0);
	} else {
		ok = false;
	}
	free(f.name);
	return ok;
}

/* The load bias of a PIE or a library is where the probe fired less where
 * it sits in the file: at a uprobe the instruction pointer is the probed
 * address (the kernel sets it back there before the program runs). bpftrace
 * finds the lowest mapping of the file instead (task_vma iterator, 6.7). */
static struct LLVMOpaqueValue *uprobe_emit_load_bias(struct cg *cg)
{
	uint64_t vaddr;
	if (!relocated_probe_address(cg->target, &vaddr))
		return cg_const(cg, 0);
	return LLVMBuildSub(cg->b, uprobe_emit_func_ip(cg), cg_const(cg, vaddr), "");
}

/* At a uretprobe the instruction pointer is in the caller: the function's
 * address is the kernel's (bpf_get_func_ip, Linux 6.6). Where the kernel
 * says 0, no bias (addresses in the file, as before 6.6). */
static struct LLVMOpaqueValue *uretprobe_emit_load_bias(struct cg *cg)
{
	uint64_t vaddr;
	if (!relocated_probe_address(cg->target, &vaddr))
		return cg_const(cg, 0);
	LLVMValueRef ip = uretprobe_emit_func_ip(cg);
	LLVMValueRef known = LLVMBuildICmp(cg->b, LLVMIntNE, ip, cg_const(cg, 0), "");
	return LLVMBuildSelect(cg->b, known, LLVMBuildSub(cg->b, ip, cg_const(cg, vaddr), ""), cg_const(cg, 0), "");
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
	return "is the binary still there, unchanged since the script was compiled, and does the kernel "
	       "have uprobes?";
}

/* ---- -l ----------------------------------------------------------------------- */

static void list_params(FILE *out, const char *path, const char *func, bool retprobe)
{
	struct uprobe_param *params;
	int n = uprobe_dwarf_params(path, func, NULL, &params);
	for (int i = 0; i < n && !retprobe; i++)
		fprintf(out, "    %s %s\n", params[i].ctype, params[i].name);
	uprobe_params_free(params, n > 0 ? n : 0);
}

/* bpftrace prints the binary as the pattern names it (a relative path
 * stays relative) and a library or program found by name by its path. */
static int list_binary(const struct probe_provider *self, const struct probe_list_request *req,
		       const char *shown, const char *path, const char *func_pattern)
{
	const struct uprobe_elf *e = uprobe_elf_get(path);
	int printed = 0;
	for (int i = 0; e && i < e->nfuncs; i++) {
		if (!probe_wildcard_match(func_pattern, e->funcs[i].name))
			continue;
		fprintf(req->out, "%s:%s:%s\n", self->name, shown, e->funcs[i].name);
		if (req->verbose)
			list_params(req->out, path, e->funcs[i].name, self->type == PT_URETPROBE);
		printed++;
	}
	return printed;
}

static int uprobe_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	/* "uprobe:PATTERN" alone is a function pattern in any binary, as in bpftrace */
	const char *colon = strchr(req->pattern, ':');
	char *bin = colon ? xstrndup(req->pattern, (size_t)(colon - req->pattern)) : xstrdup("*");
	const char *func = colon ? colon + 1 : req->pattern;
	int printed = 0;
	char real[PATH_MAX];
	if (req->pid > 0) {
		char **paths;
		int n = uprobe_mapped_files(req->pid, has_wildcard(bin) || !*bin ? (*bin ? bin : "*") : bin,
					    &paths);
		for (int i = 0; i < n; i++) {
			printed += list_binary(self, req, paths[i], paths[i], func);
			free(paths[i]);
		}
		free(paths);
	} else if (has_wildcard(bin)) {
		glob_t g;
		if (strcmp(bin, "*") != 0 && glob(bin, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				if (realpath(g.gl_pathv[i], real))
					printed += list_binary(self, req, g.gl_pathv[i], real, func);
			globfree(&g);
		}
	} else if (strchr(bin, '/') ? realpath(bin, real) != NULL
		   : strncmp(bin, "lib", 3) == 0 ? uprobe_find_library(bin, 0, real)
						 : uprobe_find_program(bin, 0, real)) {
		printed = list_binary(self, req, strchr(bin, '/') ? bin : real, real, func);
	}
	free(bin);
	return printed;
}

const struct probe_provider probe_uprobe = {
	.name = "uprobe",
	.aliases = { "u", NULL },
	.type = PT_UPROBE,
	.filter_self = true,
	.max_args = NARG_REGS,
	.args_type = uprobe_args_type,
	.args_as = user_pointers,
	.emit_args_member = uprobe_emit_args_member,
	.emit_argn = uprobe_emit_argn,
	.emit_func_ip = uprobe_emit_func_ip,
	.binary_of = uprobe_binary_of,
	.emit_load_bias = uprobe_emit_load_bias,
	.pointer_as = user_pointers,
	.expand = uprobe_expand,
	.section = uprobe_section,
	.attach = uprobe_attach,
	.attach_params = uprobe_attach_params,
	.attach_hint = uprobe_attach_hint,
	.list = uprobe_list,
	.can_share = uprobe_can_share,
	.prepare_shared = uprobe_prepare_shared,
	.attach_shared = uprobe_attach_shared,
};

const struct probe_provider probe_uretprobe = {
	.name = "uretprobe",
	.aliases = { "ur", NULL },
	.type = PT_URETPROBE,
	.filter_self = true,
	.emit_retval = uretprobe_emit_retval,
	.emit_func_ip = uretprobe_emit_func_ip,
	.binary_of = uprobe_binary_of,
	.emit_load_bias = uretprobe_emit_load_bias,
	.pointer_as = user_pointers,
	.expand = uretprobe_expand,
	.section = uprobe_section,
	.attach = uretprobe_attach,
	.attach_params = uprobe_attach_params,
	.attach_hint = uprobe_attach_hint,
	.list = uprobe_list,
	.can_share = uprobe_can_share,
	.prepare_shared = uprobe_prepare_shared,
	.attach_shared = uprobe_attach_shared,
};
