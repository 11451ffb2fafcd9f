/* fentry_bpf.c - the functions of running BPF programs, for
 * `fentry:bpf[:ID]:NAME` / `fexit:bpf[:ID]:NAME` (see fentry_bpf.h).
 *
 * A program with BTF lists its functions in its func_info: the main
 * function first, then its subprograms. bpftrace offers all of them (to
 * attach and in -l), as "bpf:ID:NAME". A trampoline on one of them gets its
 * arguments as u64 slots, typed by the program's own BTF prototype (which
 * is what the kernel reads to build the trampoline, unless it finds the
 * prototype unreliable: then it passes 5), and in fexit the return value,
 * which codegen asks bpf_get_func_ret for. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fentry_bpf.h"
#include "util.h"

/* fn(prog id, the program's BTF, its FUNC type id, arg) for each function
 * of each loaded program with BTF (of program `only` when not 0). */
typedef void bpf_func_visit(uint32_t prog, const struct btf *btf, uint32_t func, void *arg);

static void visit_prog(uint32_t id, bpf_func_visit *fn, void *arg)
{
	int fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return; /* gone meanwhile, or not ours to see */
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || !info.btf_id || !info.nr_func_info ||
	    info.func_info_rec_size < sizeof(struct bpf_func_info)) {
		close(fd);
		return;
	}
	uint32_t nfuncs = info.nr_func_info, rec = info.func_info_rec_size, btf_id = info.btf_id;
	char *recs = xcalloc(nfuncs, rec);
	memset(&info, 0, sizeof(info));
	info.nr_func_info = nfuncs;
	info.func_info_rec_size = rec;
	info.func_info = (uint64_t)(uintptr_t)recs;
	len = sizeof(info);
	struct btf *btf = NULL;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		btf = btf__load_from_kernel_by_id(btf_id);
	close(fd);
	for (uint32_t i = 0; btf && i < nfuncs; i++) {
		const struct bpf_func_info *fi = (const void *)(recs + (size_t)i * rec);
		const struct btf_type *t = btf__type_by_id(btf, fi->type_id);
		if (t && btf_is_func(t))
			fn(id, btf, fi->type_id, arg);
	}
	btf__free(btf);
	free(recs);
}

static int each_bpf_func(uint32_t only, bpf_func_visit *fn, void *arg)
{
	uint32_t first;
	if (bpf_prog_get_next_id(0, &first) < 0 && errno != ENOENT)
		return -errno;
	if (only) {
		visit_prog(only, fn, arg);
		return 0;
	}
	for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;)
		visit_prog(id, fn, arg);
	return 0;
}

static const char *func_name(const struct btf *btf, uint32_t func)
{
	return btf__name_by_offset(btf, btf__type_by_id(btf, func)->name_off);
}

/* ---- expanding ------------------------------------------------------------------ */

struct expansion {
	enum probe_type type;
	const char *tname, *pattern;
	struct probe_target **out;
	int *n;
	int found;
};

static void expand_one(uint32_t prog, const struct btf *btf, uint32_t func, void *arg)
{
	struct expansion *e = arg;
	const char *name = func_name(btf, func);
	if (!probe_wildcard_match(e->pattern, name))
		return;
	struct probe_target *t = probe_target_push(e->out, e->n);
	t->type = e->type;
	t->name = xasprintf("%s:bpf:%u:%s", e->tname, prog, name);
	t->target = xasprintf("bpf:%u:%s", prog, name);
	e->found++;
}

int fentry_bpf_expand(enum probe_type type, const char *tname, const char *spec, srcloc loc,
		      struct diag *d, struct probe_target **out, int *n)
{
	const char *colon = strchr(spec, ':');
	const char *name = colon ? colon + 1 : spec;
	char *end = NULL;
	unsigned long want = colon ? strtoul(spec, &end, 10) : 0;
	if ((colon && (end != colon || want == 0 || want > UINT32_MAX)) || !*name || strchr(name, ':')) {
		diag_error(d, loc, "%s:bpf takes a program: %s:bpf[:ID]:NAME", tname, tname);
		return -1;
	}
	struct expansion e = { type, tname, name, out, n, 0 };
	int err = each_bpf_func((uint32_t)want, expand_one, &e);
	if (err < 0) {
		diag_error(d, loc, "%s:bpf: cannot list the running BPF programs: %s", tname, strerror(-err));
		return -1;
	}
	if (!e.found)
		diag_error(d, loc, "%s: no running BPF program with BTF matches '%s'", tname, spec);
	return e.found ? 0 : -1;
}

/* ---- -l ------------------------------------------------------------------------- */

struct listing {
	const char *pattern;
	char **labels; /* "bpf:ID:NAME" */
	int n, cap;
};

static void list_one(uint32_t prog, const struct btf *btf, uint32_t func, void *arg)
{
	struct listing *l = arg;
	const char *name = func_name(btf, func);
	char *idname = xasprintf("%u:%s", prog, name);
	bool match = probe_wildcard_match(l->pattern, idname) ||
		     (!strchr(l->pattern, ':') && probe_wildcard_match(l->pattern, name));
	if (match) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 32;
			l->labels = xrealloc(l->labels, sizeof(char *) * (size_t)l->cap);
		}
		l->labels[l->n++] = xasprintf("bpf:%s", idname);
	}
	free(idname);
}

static int compare_labels(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int fentry_bpf_list(const char *type_name, const char *pattern, FILE *out)
{
	struct listing l = { .pattern = pattern };
	if (each_bpf_func(0, list_one, &l) < 0)
		return 0; /* nothing to see (not root): an empty listing, as for modules */
	if (l.n > 1) /* qsort(NULL, 0) is undefined */
		qsort(l.labels, (size_t)l.n, sizeof(char *), compare_labels);
	int printed = 0;
	for (int i = 0; i < l.n; i++) {
		if (i == 0 || strcmp(l.labels[i], l.labels[i - 1]) != 0) {
			fprintf(out, "%s:%s\n", type_name, l.labels[i]);
			printed++;
		}
		free(l.labels[i]);
	}
	free(l.labels);
	return printed;
}

/* ---- the prototype of a target ------------------------------------------------------ */

struct proto {
	const char *name;
	bool found;
	bool is_void, is_signed;
	int64_t ret_size;
};

static void find_proto(uint32_t prog, const struct btf *btf, uint32_t func, void *arg)
{
	struct proto *p = arg;
	(void)prog;
	if (p->found || strcmp(func_name(btf, func), p->name) != 0)
		return;
	const struct btf_type *proto = btf__type_by_id(btf, btf__type_by_id(btf, func)->type);
	if (!proto || !btf_is_func_proto(proto))
		return;
	p->found = true;
	p->is_void = proto->type == 0;
	if (p->is_void)
		return;
	int ret = btf__resolve_type(btf, proto->type);
	const struct btf_type *rt = ret > 0 ? btf__type_by_id(btf, (uint32_t)ret) : NULL;
	p->ret_size = btf__resolve_size(btf, proto->type);
	p->is_signed = rt && ((btf_is_int(rt) && (btf_int_encoding(rt) & BTF_INT_SIGNED)) ||
			      (btf_is_any_enum(rt) && btf_kflag(rt)));
}

/* target "bpf:ID:NAME" */
static bool target_proto(const char *target, struct proto *p)
{
	memset(p, 0, sizeof(*p));
	if (strncmp(target, "bpf:", 4) != 0)
		return false;
	unsigned long id = strtoul(target + 4, NULL, 10);
	const char *name = strchr(target + 4, ':');
	if (!id || !name)
		return false;
	p->name = name + 1;
	return each_bpf_func((uint32_t)id, find_proto, p) == 0 && p->found;
}

const struct type *fentry_bpf_retval_type(const char *target, struct type_arena *a, char **why)
{
	(void)a;
	struct proto p;
	if (!target_proto(target, &p)) {
		*why = xasprintf("the BPF program of %s is gone, or has no BTF", target);
		return NULL;
	}
	if (p.is_void) {
		*why = xasprintf("%s returns void", p.name);
		return NULL;
	}
	/* what BPF functions return: integers (a pointer or struct read as a u64) */
	if (p.ret_size == 1 || p.ret_size == 2 || p.ret_size == 4 || p.ret_size == 8)
		return type_int((uint32_t)p.ret_size, p.is_signed);
	return type_int(8, false);
}
