/* kfunc.c - kernel functions from BTF (see kfunc.h). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>

#include "btf.h"
#include "cg.h"
#include "kfunc.h"
#include "probe.h"
#include "suggest.h"
#include "util.h"

/* ---- the BTF objects --------------------------------------------------------- */

static struct {
	bool modules_loaded;
	const struct btf *base; /* the vmlinux BTF the modules were loaded on */
	struct btf **mods;    /* split BTF on top of vmlinux's; owned */
	char **modnames;
	int nmods;
	/* available_filter_functions as an open-addressing set of names */
	bool traceable_read;
	char *traceable_text; /* the file, its lines cut into the names */
	const char **traceable;
	uint32_t traceable_mask;
} kf;

static const struct btf *vmlinux(void)
{
	return kbtf_btf();
}

/* Loaded modules' BTF, once per process. With BPFTRACE_BTF set, vmlinux's
 * BTF is not the running kernel's and modules are not read. */
static void free_modules(void)
{
	for (int i = 0; i < kf.nmods; i++) {
		btf__free(kf.mods[i]);
		free(kf.modnames[i]);
	}
	free(kf.mods);
	free(kf.modnames);
	kf.mods = NULL;
	kf.modnames = NULL;
	kf.nmods = 0;
}

static void load_modules(void)
{
	if (kf.modules_loaded && kf.base == vmlinux())
		return;
	free_modules(); /* kbtf_unload() freed their base: start over */
	kf.modules_loaded = true;
	kf.base = vmlinux();
	const char *path = getenv("BPFTRACE_BTF");
	if ((path && *path) || !vmlinux())
		return;
	DIR *dir = opendir("/sys/kernel/btf");
	if (!dir)
		return;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "vmlinux") == 0)
			continue;
		/* libbpf only reads the base; its API has no const */
		struct btf *btf = btf__load_module_btf(e->d_name, (struct btf *)vmlinux());
		if (!btf)
			continue; /* unloaded meanwhile: nothing there */
		kf.mods = xrealloc(kf.mods, sizeof(*kf.mods) * (size_t)(kf.nmods + 1));
		kf.modnames = xrealloc(kf.modnames, sizeof(*kf.modnames) * (size_t)(kf.nmods + 1));
		kf.mods[kf.nmods] = btf;
		kf.modnames[kf.nmods++] = xstrdup(e->d_name);
	}
	closedir(dir);
}

/* The first type id that belongs to btf itself (not to its base). */
static uint32_t own_start(const struct btf *btf)
{
	return btf == vmlinux() ? 1 : btf__type_cnt(vmlinux());
}

static bool fill(const struct btf *btf, const char *module, uint32_t id, struct kfunc *out)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	if (!t || !btf_is_func(t))
		return false;
	const struct btf_type *proto = btf__type_by_id(btf, t->type);
	if (!proto || !btf_is_func_proto(proto))
		return false;
	*out = (struct kfunc){ module, btf__name_by_offset(btf, t->name_off), btf, id, t->type };
	return true;
}

static bool find_in(const struct btf *btf, const char *module, const char *name, struct kfunc *out)
{
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t id = own_start(btf); id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (btf_is_func(t) && strcmp(btf__name_by_offset(btf, t->name_off), name) == 0)
			return fill(btf, module, id, out);
	}
	return false;
}

bool kfunc_find(const char *module, const char *name, struct kfunc *out)
{
	if (!vmlinux())
		return false;
	if ((!module || strcmp(module, "vmlinux") == 0)) {
		int32_t id = btf__find_by_name_kind(vmlinux(), name, BTF_KIND_FUNC);
		if (id > 0 && fill(vmlinux(), "vmlinux", (uint32_t)id, out))
			return true;
		if (module)
			return false;
	}
	load_modules();
	for (int i = 0; i < kf.nmods; i++)
		if ((!module || strcmp(module, kf.modnames[i]) == 0) &&
		    find_in(kf.mods[i], kf.modnames[i], name, out))
			return true;
	return false;
}

static int each_in(const struct btf *btf, const char *module, const char *name_pattern,
		   bool traceable, kfunc_visit *fn, void *arg)
{
	int count = 0;
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t id = own_start(btf); id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		struct kfunc f;
		if (!btf_is_func(t) || !probe_wildcard_match(name_pattern, btf__name_by_offset(btf, t->name_off)) ||
		    !fill(btf, module, id, &f) || (traceable && !kfunc_traceable(&f)))
			continue;
		fn(&f, arg);
		count++;
	}
	return count;
}

int kfunc_each(const char *module_pattern, const char *name_pattern, bool traceable,
	       kfunc_visit *fn, void *arg)
{
	if (!vmlinux())
		return 0;
	int count = 0;
	if (probe_wildcard_match(module_pattern, "vmlinux"))
		count += each_in(vmlinux(), "vmlinux", name_pattern, traceable, fn, arg);
	if (strcmp(module_pattern, "vmlinux") == 0)
		return count;
	load_modules();
	for (int i = 0; i < kf.nmods; i++)
		if (probe_wildcard_match(module_pattern, kf.modnames[i]))
			count += each_in(kf.mods[i], kf.modnames[i], name_pattern, traceable, fn, arg);
	return count;
}

/* ---- what the kernel lets be traced ------------------------------------------ */

static uint32_t hash_name(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void traceable_add(const char *name)
{
	size_t len = strlen(name);
	uint32_t i = hash_name(name, len) & kf.traceable_mask;
	while (kf.traceable[i]) {
		if (strcmp(kf.traceable[i], name) == 0)
			return;
		i = (i + 1) & kf.traceable_mask;
	}
	kf.traceable[i] = name;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	struct xtext t;
	FILE *mem = xtext_open(&t);
	char buf[65536];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, got, mem);
	bool failed = ferror(f);
	fclose(f);
	char *text = xtext_close(&t, NULL);
	if (failed) {
		free(text);
		return NULL;
	}
	return text;
}

/* "name" or "name [module]" per line; the same name may appear twice
 * (static functions of two files). */
static void read_traceable(void)
{
	if (kf.traceable_read)
		return;
	kf.traceable_read = true;
	const char *root = tracefs_path();
	char *path = root ? xasprintf("%s/available_filter_functions", root) : NULL;
	char *text = path ? read_all(path) : NULL;
	free(path);
	if (!text)
		return;
	size_t lines = 1;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	uint32_t size = 1024;
	while (size < lines * 2)
		size *= 2;
	kf.traceable = xcalloc(size, sizeof(*kf.traceable));
	kf.traceable_mask = size - 1;
	kf.traceable_text = text;
	for (char *line = text; *line;) {
		char *end = strchr(line, '\n');
		char *next = end ? end + 1 : line + strlen(line);
		line[strcspn(line, " \t\n")] = '\0';
		if (*line)
			traceable_add(line);
		line = next;
	}
}

bool kfunc_traceable(const struct kfunc *f)
{
	read_traceable();
	if (!kf.traceable)
		return true;
	uint32_t i = hash_name(f->name, strlen(f->name)) & kf.traceable_mask;
	for (; kf.traceable[i]; i = (i + 1) & kf.traceable_mask)
		if (strcmp(kf.traceable[i], f->name) == 0)
			return true;
	return false;
}

/* ---- parameters ---------------------------------------------------------------- */

static const struct btf_type *skip_mods(const struct btf *btf, uint32_t *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);
	for (int n = 0; n < 32 && t && (btf_is_mod(t) || btf_is_typedef(t)); n++) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

/* How many u64 slots a parameter of type `id` takes. */
static int param_slots(const struct btf *btf, uint32_t id)
{
	int64_t size = btf__resolve_size(btf, id);
	return size > 8 ? (int)((size + 7) / 8) : 1;
}

char *kfunc_unsupported(const struct kfunc *f)
{
	const struct btf_type *proto = btf__type_by_id(f->btf, f->proto);
	const struct btf_param *p = btf_params(proto);
	int n = btf_vlen(proto), slots = 0;
	if (n > 0 && p[n - 1].type == 0)
		return xasprintf("%s takes a variable number of arguments, which a BPF trampoline cannot pass",
				 f->name);
	for (int i = 0; i < n; i++) {
		uint32_t id = p[i].type;
		const struct btf_type *t = skip_mods(f->btf, &id);
		if (t && btf_is_composite(t) && btf__resolve_size(f->btf, id) > 16)
			return xasprintf("%s takes a struct of more than 16 bytes by value, which a BPF "
					 "trampoline cannot pass", f->name);
		slots += param_slots(f->btf, p[i].type);
	}
	if (n > KFUNC_MAX_ARGS || slots > KFUNC_MAX_ARGS)
		return xasprintf("%s has %d parameters; a BPF trampoline passes at most %d", f->name, n,
				 KFUNC_MAX_ARGS);
	uint32_t ret = proto->type;
	const struct btf_type *rt = ret ? skip_mods(f->btf, &ret) : NULL;
	if (rt && btf_is_composite(rt))
		return xasprintf("%s returns a struct by value, which a BPF trampoline cannot pass", f->name);
	return NULL;
}

int kfunc_nslots(const struct kfunc *f)
{
	const struct btf_type *proto = btf__type_by_id(f->btf, f->proto);
	const struct btf_param *p = btf_params(proto);
	int slots = 0;
	for (int i = 0; i < btf_vlen(proto); i++)
		slots += param_slots(f->btf, p[i].type);
	return slots;
}

/* A type of a module's own BTF (ids past vmlinux's): vmlinux cannot
 * convert it, so integers and enums become integers of their size,
 * pointers to a struct vmlinux also has point to that one, other pointers
 * are void *, anything else a u64. */
static const struct type *module_type(struct type_arena *a, const struct btf *btf, uint32_t id)
{
	uint32_t base = btf__type_cnt(vmlinux());
	const struct btf_type *t = skip_mods(btf, &id);
	if (id < base)
		return kbtf_type_by_id(a, (int32_t)id);
	if (!t)
		return NULL;
	if (btf_is_int(t))
		return btf_int_encoding(t) & BTF_INT_BOOL ? type_bool()
			: t->size <= 8 ? type_int(t->size, btf_int_encoding(t) & BTF_INT_SIGNED) : NULL;
	if (btf_is_any_enum(t))
		return type_int(t->size, btf_kflag(t));
	if (!btf_is_ptr(t))
		return NULL;
	uint32_t to = t->type;
	const struct btf_type *pt = skip_mods(btf, &to);
	if (to && to < base)
		return type_ptr(a, kbtf_type_by_id(a, (int32_t)to), AS_KERNEL);
	if (pt && (btf_is_composite(pt) || btf_is_fwd(pt)) && pt->name_off) {
		bool is_union = btf_is_union(pt) || (btf_is_fwd(pt) && btf_kflag(pt));
		char *name = xasprintf("%s %s", is_union ? "union" : "struct", btf__name_by_offset(btf, pt->name_off));
		const struct type *named = kbtf_type(a, name);
		free(name);
		if (named)
			return type_ptr(a, named, AS_KERNEL);
	}
	return type_ptr(a, type_void(), AS_KERNEL);
}

static const struct type *btf_value_type(struct type_arena *a, const struct kfunc *f, uint32_t id)
{
	const struct type *t = f->btf == vmlinux() || id < btf__type_cnt(vmlinux())
				       ? kbtf_type_by_id(a, (int32_t)id)
				       : module_type(a, f->btf, id);
	/* one slot holds a scalar; records and arrays by value are read as
	 * their first 8 bytes */
	if (!t || t->size == 0 || t->size > 8 || t->kind == TY_RECORD || t->kind == TY_ARRAY ||
	    t->kind == TY_STR)
		return type_int(8, false);
	return t;
}

const struct type *kfunc_args(struct type_arena *a, const struct kfunc *f, const char *rec_name)
{
	const struct btf_type *proto = btf__type_by_id(f->btf, f->proto);
	const struct btf_param *p = btf_params(proto);
	struct type *rec = type_record_new(a, REC_STRUCT, rec_name);
	int slot = 0;
	for (int i = 0; i < btf_vlen(proto); i++) {
		const char *pname = btf__name_by_offset(f->btf, p[i].name_off);
		char fallback[16];
		if (!pname || !*pname) {
			snprintf(fallback, sizeof(fallback), "arg%d", i);
			pname = fallback;
		}
		type_record_add_at(a, rec, pname, btf_value_type(a, f, p[i].type), (uint32_t)slot * 8, 0, 0);
		slot += param_slots(f->btf, p[i].type);
	}
	type_record_finish(rec, (uint32_t)slot * 8);
	return rec;
}

const struct type *kfunc_return_type(struct type_arena *a, const struct kfunc *f)
{
	const struct btf_type *proto = btf__type_by_id(f->btf, f->proto);
	return proto->type ? btf_value_type(a, f, proto->type) : type_void();
}

bool kfunc_returns_void(const struct kfunc *f)
{
	return btf__type_by_id(f->btf, f->proto)->type == 0;
}

void kfunc_emit_args_member(struct cg *cg, const struct type_member *m, struct cg_ref *out)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, m->offset), "");
	LLVMSetAlignment(v, 8);
	*out = (struct cg_ref){ REF_VALUE, cg_normalize(cg, v, m->type) };
}

struct closest {
	struct suggestion s;
	size_t skip;
};

static void consider(const struct kfunc *f, void *arg)
{
	struct closest *c = arg;
	suggestion_consider(&c->s, f->name + c->skip);
}

char *kfunc_closest(const char *prefix, const char *name)
{
	struct closest c = { .skip = strlen(prefix) };
	suggestion_init(&c.s, name);
	char *pattern = xasprintf("%s*", prefix);
	kfunc_each("vmlinux", pattern, false, consider, &c);
	free(pattern);
	return c.s.best;
}

/* ---- -lv ------------------------------------------------------------------------ */

struct kfunc_printer {
	const struct btf **btfs;
	struct btf_dump **dumps;
	int n;
	struct util_line text;
};

struct kfunc_printer *kfunc_printer_new(void)
{
	return xcalloc(1, sizeof(struct kfunc_printer));
}

void kfunc_printer_free(struct kfunc_printer *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		btf_dump__free(p->dumps[i]);
	free(p->dumps);
	free(p->btfs);
	free(p);
}

/* One btf_dump per BTF object: making one costs ~1.5 ms. */
static struct btf_dump *dump_for(struct kfunc_printer *p, const struct btf *btf)
{
	for (int i = 0; i < p->n; i++)
		if (p->btfs[i] == btf)
			return p->dumps[i];
	struct btf_dump *d = btf_dump__new(btf, util_line_vprintf, &p->text, NULL);
	if (!d)
		return NULL;
	p->btfs = xrealloc(p->btfs, sizeof(*p->btfs) * (size_t)(p->n + 1));
	p->dumps = xrealloc(p->dumps, sizeof(*p->dumps) * (size_t)(p->n + 1));
	p->btfs[p->n] = btf;
	p->dumps[p->n++] = d;
	return d;
}

/* "struct file *": the type as C declares it without a name. */
static bool decl(struct kfunc_printer *p, struct btf_dump *d, uint32_t id)
{
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts, .field_name = "");
	p->text.len = 0;
	p->text.buf[0] = '\0';
	return btf_dump__emit_type_decl(d, id, &opts) == 0;
}

void kfunc_print_params(struct kfunc_printer *p, FILE *out, const struct kfunc *f, bool retval)
{
	struct btf_dump *d = dump_for(p, f->btf);
	if (!d)
		return;
	const struct btf_type *proto = btf__type_by_id(f->btf, f->proto);
	const struct btf_param *prm = btf_params(proto);
	for (int i = 0; i < btf_vlen(proto); i++) {
		if (!decl(p, d, prm[i].type))
			return;
		fprintf(out, "    %.*s %s\n", (int)p->text.len, p->text.buf,
			btf__name_by_offset(f->btf, prm[i].name_off));
	}
	if (retval && proto->type && decl(p, d, proto->type))
		fprintf(out, "    %.*s retval\n", (int)p->text.len, p->text.buf);
}

/* ---- -l ------------------------------------------------------------------------- */

struct listed {
	char *label;
	struct kfunc f;
};

struct listing {
	const struct kfunc_listing *l;
	struct listed *v;
	int n, cap;
};

static void collect(const struct kfunc *f, void *arg)
{
	struct listing *ls = arg;
	char *why = kfunc_unsupported(f); /* bpftrace lists only what it can attach */
	bool unsupported = why != NULL;
	free(why);
	if (unsupported)
		return;
	char *label = ls->l->label ? ls->l->label(f) : xasprintf("%s:%s", f->module, f->name);
	if (!label)
		return;
	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 1024;
		ls->v = xrealloc(ls->v, sizeof(*ls->v) * (size_t)ls->cap);
	}
	ls->v[ls->n++] = (struct listed){ label, *f };
}

static int compare_listed(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->label, ((const struct listed *)b)->label);
}

int kfunc_list(FILE *out, const struct kfunc_listing *l)
{
	struct listing ls = { .l = l };
	kfunc_each(l->module_pattern, l->name_pattern, l->traceable, collect, &ls);
	if (ls.n > 1) /* qsort(NULL, 0) is undefined: nothing listed */
		qsort(ls.v, (size_t)ls.n, sizeof(*ls.v), compare_listed);
	struct kfunc_printer *p = l->verbose ? kfunc_printer_new() : NULL;
	int printed = 0;
	for (int i = 0; i < ls.n; i++) {
		bool dup = i > 0 && strcmp(ls.v[i].label, ls.v[i - 1].label) == 0;
		if (!dup) {
			fprintf(out, "%s:%s\n", l->type_name, ls.v[i].label);
			if (p)
				kfunc_print_params(p, out, &ls.v[i].f, l->retval);
			printed++;
		}
	}
	for (int i = 0; i < ls.n; i++)
		free(ls.v[i].label);
	free(ls.v);
	kfunc_printer_free(p);
	return printed;
}

/* ---- when the kernel refuses ---------------------------------------------------- */

#define ENOTSUPP_ERRNO 524 /* the kernel's internal ENOTSUPP, which bpf() lets out */

/* Where the implementations of syscall X are named after it. */
static const char *const syscall_impl_prefixes[] = {
	"__x64_sys_", "__ia32_sys_", "__se_sys_", "__do_sys_", "do_sys_", "ksys_", "__sys_", "sys_",
	"vfs_", "do_",
};

char *kfunc_tracepoint_for(const char *func, bool at_exit)
{
	for (size_t i = 0; i < sizeof(syscall_impl_prefixes) / sizeof(syscall_impl_prefixes[0]); i++) {
		size_t len = strlen(syscall_impl_prefixes[i]);
		if (strncmp(func, syscall_impl_prefixes[i], len) != 0 || !func[len])
			continue;
		char *event = xasprintf("sys_%s_%s", at_exit ? "exit" : "enter", func + len);
		bool found = tp_format_get("syscalls", event) != NULL;
		char *tp = found ? xasprintf("tracepoint:syscalls:%s", event) : NULL;
		free(event);
		if (tp)
			return tp;
	}
	return NULL;
}

/* The kernel's lockdown mode ("integrity") from securityfs, mounted where
 * the kernel documents it when it is not (as tracefs is); "" if unknown. */
static void lockdown_mode(char *out, size_t len)
{
	static const char *const dir = "/sys/kernel/security";
	out[0] = '\0';
	char path[64];
	snprintf(path, sizeof(path), "%s/lockdown", dir);
	FILE *f = fopen(path, "r");
	if (!f && errno == ENOENT && mount("securityfs", dir, "securityfs", 0, NULL) == 0)
		f = fopen(path, "r");
	if (!f)
		return;
	char line[128];
	if (fgets(line, sizeof(line), f)) {
		const char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
		if (close)
			snprintf(out, len, "%.*s", (int)(close - open - 1), open + 1);
	}
	fclose(f);
}

void kfunc_report_refused(const char *type_name, int err, const char *instead, FILE *out)
{
	if (err == EPERM || err == EACCES) {
		char mode[32];
		lockdown_mode(mode, sizeof(mode));
		fprintf(out, "hint: the kernel refused it without a verifier log: a policy of this kernel does not "
			     "allow %s programs (BPF trampolines: fentry, fexit, lsm)%s%s%s\n",
			type_name, mode[0] ? "; its lockdown mode is '" : "", mode, mode[0] ? "'" : "");
	} else if (err == ENOTSUPP_ERRNO || err == EOPNOTSUPP) {
		fprintf(out, "hint: this kernel has no BPF trampolines for this architecture or function "
			     "(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)\n");
	}
	if (instead)
		fprintf(out, "hint: %s covers the same event: use it instead\n", instead);
	else
		fprintf(out, "hint: use a tracepoint: or rawtracepoint: probe where one fits "
			     "(sonde -l 'tracepoint:*'), or a kernel that allows %s\n", type_name);
}

/* `return 0`, attached nowhere: loading alone shows whether trampolines are
 * allowed (the kernel checks the target when loading). */
int probe_trampoline_load(bool lsm)
{
	struct kfunc f;
	if (!kfunc_find("vmlinux", lsm ? "bpf_lsm_file_open" : "vfs_read", &f))
		return -ENOENT;
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .attach_btf_id = f.id,
		    .expected_attach_type = lsm ? BPF_LSM_MAC : BPF_TRACE_FENTRY);
	int fd = bpf_prog_load(lsm ? BPF_PROG_TYPE_LSM : BPF_PROG_TYPE_TRACING, "sonde_probe", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), &opts);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}
