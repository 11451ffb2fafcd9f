/* iter.c - `iter:NAME` (alias `it`): BPF iterators (task, task_file,
 * task_vma, bpf_map, ...: every `struct bpf_iter__NAME` of kernel BTF).
 *
 * The program runs once per object the kernel walks (each task, each open
 * file of each task, ...) with `ctx` pointing to struct bpf_iter__NAME
 * (`ctx->task->comm`). Attaching runs the whole walk (reading the
 * iterator's file makes the kernel call the program), so a script of
 * iter plus BEGIN/END ends after it, as bpftrace's does. The kernel calls
 * the program once more at the end with the object NULL; like bpftrace the
 * program then does nothing. sonde's own pid is not filtered: the walk
 * runs in sonde's context. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ast.h"
#include "btf.h"
#include "cg.h"
#include "probe.h"
#include "suggest.h"
#include "util.h"

#define ITER_PREFIX "bpf_iter__"
#define ITER_SKIP_SUFFIX "__safe_trusted" /* the verifier's variant of bpf_iter__task */

/* The iterator named by struct bpf_iter__NAME at BTF id `id`, or NULL. */
static const char *iter_name(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	if (!t || !btf_is_struct(t))
		return NULL;
	const char *name = btf__name_by_offset(btf, t->name_off);
	size_t plen = strlen(ITER_PREFIX), slen = strlen(ITER_SKIP_SUFFIX);
	if (!name || strncmp(name, ITER_PREFIX, plen) != 0 || !name[plen])
		return NULL;
	size_t len = strlen(name);
	if (len > slen && strcmp(name + len - slen, ITER_SKIP_SUFFIX) == 0)
		return NULL;
	return name + plen;
}

static bool iter_exists(const char *name, struct suggestion *near)
{
	const struct btf *btf = kbtf_btf();
	if (!btf)
		return false;
	uint32_t n = btf__type_cnt(btf);
	for (uint32_t id = 1; id < n; id++) {
		const char *it = iter_name(btf, id);
		if (!it)
			continue;
		if (strcmp(it, name) == 0)
			return true;
		if (near)
			suggestion_consider(near, it);
	}
	return false;
}

static int iter_expand(const char *spec, srcloc loc, struct diag *d, struct probe_target **out, int *n)
{
	if (strpbrk(spec, "*?[")) {
		diag_error(d, loc, "iter probe type does not support wildcards");
		return -1;
	}
	if (!*spec) {
		diag_error(d, loc, "iter should specify a iterator's name");
		return -1;
	}
	if (strchr(spec, ':')) {
		/* bpftrace's pinned iterator prints with bpf_seq_printf into the
		 * file that reading the pin gives; sonde's printf goes to its
		 * ring buffer, which nobody reads once sonde has exited. */
		diag_error(d, loc, "pinning an iterator (iter:NAME:PIN) is not supported by sonde: its "
			   "output goes through sonde's ring buffer, not the pinned file");
		return -1;
	}
	if (!kbtf_available()) {
		diag_error(d, loc, "iter probes need kernel BTF: %s", kbtf_error());
		return -1;
	}
	struct suggestion near;
	suggestion_init(&near, spec);
	if (!iter_exists(spec, &near)) {
		if (near.best)
			diag_error(d, loc, "iter %s not available for your kernel version; did you mean '%s'?",
				   spec, near.best);
		else
			diag_error(d, loc, "iter %s not available for your kernel version.", spec);
		suggestion_free(&near);
		return -1;
	}
	suggestion_free(&near);
	struct probe_target *t = probe_target_push(out, n);
	t->type = PT_ITER;
	t->name = xasprintf("iter:%s", spec);
	t->target = xstrdup(spec);
	return 0;
}

static char *iter_section(const struct probe_target *t)
{
	return xasprintf("iter/%s", t->target);
}

/* ctx: a pointer to struct bpf_iter__NAME. */
static const struct type *iter_ctx_type(const struct probe_target *t, struct type_arena *a)
{
	char *name = xasprintf("struct " ITER_PREFIX "%s", t->target);
	const struct type *rec = kbtf_type(a, name);
	free(name);
	return rec;
}

/* Every bpf_iter__NAME has `struct bpf_iter_meta *meta` first and the
 * walked object's pointer next; the end-of-walk call has that NULL. */
static void iter_emit_prologue(struct cg *cg)
{
	LLVMValueRef obj = LLVMBuildLoad2(cg->b, cg->i64, cg_ptr_add(cg, cg->ctx_arg, 8), "");
	LLVMSetAlignment(obj, 8);
	LLVMValueRef null = LLVMBuildICmp(cg->b, LLVMIntEQ, obj, cg_const(cg, 0), "");
	LLVMBasicBlockRef done = cg_block(cg, "iter_end"), body = cg_block(cg, "iter_object");
	LLVMBuildCondBr(cg->b, null, done, body);
	LLVMPositionBuilderAtEnd(cg->b, done);
	LLVMBuildRet(cg->b, cg_const(cg, 0));
	LLVMPositionBuilderAtEnd(cg->b, body);
	/* One byte into the iterator's file per object: a read of the file
	 * then returns after a few objects, and the runtime empties the ring
	 * buffer between reads (one read would walk everything at once and
	 * overrun it). ctx->meta->seq is the file. */
	LLVMValueRef meta = LLVMBuildLoad2(cg->b, cg->ptr, cg->ctx_arg, "");
	LLVMSetAlignment(meta, 8);
	LLVMValueRef seq = LLVMBuildLoad2(cg->b, cg->ptr, meta, "");
	LLVMSetAlignment(seq, 8);
	LLVMValueRef byte = cg_temp_stack(cg, 8);
	LLVMBuildStore(cg->b, cg_const(cg, 0), byte);
	LLVMValueRef args[3] = { seq, byte, LLVMConstInt(cg->i32, 1, false) };
	cg_helper(cg, HELPER_SEQ_WRITE, cg->i64, args, 3);
}

/* Attach, then read the iterator's file to its end: that runs the program
 * on every object. Its events go to the ring buffer, emptied by `drain`
 * after each short read (ITER_READ objects). */
#define ITER_READ 64
static int iter_run(const struct desc_probe *p, struct bpf_program *prog, struct rt_links *l,
		    void (*drain)(void *arg), void *arg, char *errbuf, size_t errlen)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	if (!link) {
		int err = -errno;
		snprintf(errbuf, errlen, "%s", strerror(-err));
		return err;
	}
	rt_links_add(l, link);
	int fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		int err = -errno;
		snprintf(errbuf, errlen, "cannot start iterator %s: %s", p->target, strerror(-err));
		return err;
	}
	char buf[ITER_READ];
	ssize_t len;
	while ((len = read(fd, buf, sizeof(buf))) > 0 || (len < 0 && errno == EINTR))
		drain(arg);
	int err = len < 0 ? -errno : 0;
	close(fd);
	drain(arg);
	if (err)
		snprintf(errbuf, errlen, "reading iterator %s: %s", p->target, strerror(-err));
	return err;
}

static const char *iter_attach_hint(int err)
{
	(void)err;
	return "some iterators need a target this probe cannot give (bpf_map_elem, sockmap, "
	       "bpf_sk_storage_map: a map; cgroup: a cgroup)";
}

/* "struct task_struct *", "int", "u32": the spelling of BTF type `id`
 * bpftrace prints in -lv. */
static void type_text(const struct btf *btf, uint32_t id, char *out, size_t len)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int stars = 0;
	while (t && (btf_is_ptr(t) || btf_is_const(t) || btf_is_volatile(t))) {
		stars += btf_is_ptr(t);
		t = btf__type_by_id(btf, t->type);
	}
	const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;
	const char *kw = !t ? "" : btf_is_struct(t) ? "struct " : btf_is_union(t) ? "union " : btf_is_enum(t) ? "enum " : "";
	snprintf(out, len, "%s%s%s%.*s", kw, name && *name ? name : "void", stars ? " " : "", stars,
		 "********");
}

/* The fields of bpf_iter__NAME after meta. The kernel wraps pointers in
 * an anonymous union (__bpf_md_ptr): its one member is the field. */
static void list_fields(const struct btf *btf, uint32_t id, FILE *out)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m = btf_members(t);
	for (uint32_t i = 1; i < btf_vlen(t); i++) { /* meta left out */
		const struct btf_member *f = &m[i];
		const struct btf_type *ft = btf__type_by_id(btf, f->type);
		if (ft && btf_is_union(ft) && !ft->name_off && btf_vlen(ft) >= 1)
			f = btf_members(ft);
		char ty[256];
		type_text(btf, f->type, ty, sizeof(ty));
		fprintf(out, "    %s %s\n", ty, btf__name_by_offset(btf, f->name_off));
	}
}

static int cmp_id_name(const void *a, const void *b, void *btf)
{
	return strcmp(iter_name(btf, *(const uint32_t *)a), iter_name(btf, *(const uint32_t *)b));
}

static int iter_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	const struct btf *btf = kbtf_btf();
	if (!btf)
		return 0;
	uint32_t n = btf__type_cnt(btf), nids = 0;
	uint32_t *ids = xcalloc(n, sizeof(*ids));
	for (uint32_t id = 1; id < n; id++) {
		const char *it = iter_name(btf, id);
		if (it && probe_wildcard_match(req->pattern, it))
			ids[nids++] = id;
	}
	util_sort_r(ids, nids, sizeof(*ids), cmp_id_name, (void *)btf);
	for (uint32_t i = 0; i < nids; i++) {
		fprintf(req->out, "%s:%s\n", self->name, iter_name(btf, ids[i]));
		if (req->verbose)
			list_fields(btf, ids[i], req->out);
	}
	free(ids);
	return (int)nids;
}

const struct probe_provider probe_iter = {
	.name = "iter",
	.aliases = { "it", NULL },
	.type = PT_ITER,
	.filter_self = false,
	.expand = iter_expand,
	.section = iter_section,
	.run = iter_run,
	.attach_hint = iter_attach_hint,
	.list = iter_list,
	.ctx_type = iter_ctx_type,
	.emit_prologue = iter_emit_prologue,
};
