/* rawtracepoint_list.c - `-l` for rawtracepoint: the kernel's raw
 * tracepoints from BTF, "rawtracepoint:MODULE:NAME", as latest bpftrace
 * lists them (0.17 lists none).
 *
 * Every tracepoint has the BTF functions __probestub_NAME and
 * __traceiter_NAME (vmlinux's, or its module's in /sys/kernel/btf), whose
 * parameters are the tracepoint's arguments after a leading `void *__data`;
 * -lv prints those arguments. Like bpftrace, a tracepoint whose function
 * takes more than 6 parameters is left out (a BPF program on it could not
 * read them all as arguments). BPFTRACE_BTF replaces vmlinux's BTF (and
 * then modules are not read), as for scripts. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "list.h"
#include "probe.h"
#include "util.h"

#define RAWTP_MAX_PARAMS 6

static const char *const rawtp_prefixes[] = { "__probestub_", "__traceiter_" };

struct rawtp {
	char *name;             /* "vmlinux:sched_switch" */
	const struct btf *btf;
	uint32_t proto;         /* the FUNC_PROTO's type id */
	int order;              /* discovery order: the first of duplicates is kept */
};

struct rawtp_set {
	struct rawtp *v;
	int n, cap;
	struct btf **btfs;      /* owned; btfs[0] is vmlinux's, the base of the others */
	int nbtfs;
};

static void rawtp_add(struct rawtp_set *s, char *name, const struct btf *btf, uint32_t proto)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = xrealloc(s->v, sizeof(*s->v) * (size_t)s->cap);
	}
	s->v[s->n] = (struct rawtp){ name, btf, proto, s->n };
	s->n++;
}

static const char *strip_prefix(const char *name)
{
	for (size_t i = 0; i < sizeof(rawtp_prefixes) / sizeof(rawtp_prefixes[0]); i++) {
		size_t len = strlen(rawtp_prefixes[i]);
		if (strncmp(name, rawtp_prefixes[i], len) == 0)
			return name + len;
	}
	return NULL;
}

/* The raw tracepoints of one BTF object matching pattern ("MODULE:NAME"). */
static void scan_btf(struct rawtp_set *s, const struct btf *btf, const char *module,
		     const char *pattern)
{
	uint32_t first = s->nbtfs > 1 ? btf__type_cnt(s->btfs[0]) : 1;
	uint32_t count = btf__type_cnt(btf);
	for (uint32_t id = first; id < count; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!t || !btf_is_func(t))
			continue;
		const char *name = strip_prefix(btf__name_by_offset(btf, t->name_off));
		const struct btf_type *proto = name ? btf__type_by_id(btf, t->type) : NULL;
		if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) > RAWTP_MAX_PARAMS)
			continue;
		char *full = xasprintf("%s:%s", module, name);
		if (probe_wildcard_match(pattern, full))
			rawtp_add(s, full, btf, t->type);
		else
			free(full);
	}
}

static void add_btf(struct rawtp_set *s, struct btf *btf)
{
	s->btfs = xrealloc(s->btfs, sizeof(*s->btfs) * (size_t)(s->nbtfs + 1));
	s->btfs[s->nbtfs++] = btf;
}

/* Modules' BTF is split BTF on top of vmlinux's. */
static void scan_modules(struct rawtp_set *s, const char *pattern)
{
	DIR *dir = opendir("/sys/kernel/btf");
	if (!dir)
		return;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || strcmp(e->d_name, "vmlinux") == 0)
			continue;
		struct btf *btf = btf__load_module_btf(e->d_name, s->btfs[0]);
		if (!btf)
			continue; /* unloaded meanwhile, or not BTF: nothing to list */
		add_btf(s, btf);
		scan_btf(s, btf, e->d_name, pattern);
	}
	closedir(dir);
}

static int load_and_scan(struct rawtp_set *s, const char *pattern)
{
	const char *path = getenv("BPFTRACE_BTF");
	if (path && !*path)
		path = NULL;
	errno = 0;
	struct btf *vmlinux = list_vmlinux_btf();
	if (!vmlinux) {
		fprintf(stderr, "sonde: cannot list raw tracepoints: cannot read kernel BTF from %s: %s\n",
			path ? path : "/sys/kernel/btf/vmlinux", strerror(errno ? errno : ENOENT));
		return -1;
	}
	add_btf(s, vmlinux);
	scan_btf(s, vmlinux, "vmlinux", pattern);
	if (!path)
		scan_modules(s, pattern);
	return 0;
}

static int compare_rawtps(const void *a, const void *b)
{
	const struct rawtp *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : x->order - y->order;
}

/* Sorted by name; of two with one name (__probestub_ and __traceiter_),
 * the first found stays. */
static void sort_unique(struct rawtp_set *s)
{
	if (s->n < 2)
		return;
	util_sort(s->v, (size_t)s->n, sizeof(*s->v), compare_rawtps);
	int out = 1;
	for (int i = 1; i < s->n; i++) {
		if (strcmp(s->v[i].name, s->v[out - 1].name) == 0)
			free(s->v[i].name);
		else
			s->v[out++] = s->v[i];
	}
	s->n = out;
}

static void rawtp_set_free(struct rawtp_set *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	for (int i = s->nbtfs - 1; i >= 0; i--)
		btf__free(s->btfs[i]); /* modules before the vmlinux they are split from */
	free(s->btfs);
}

/* ---- -lv: the arguments as C declarations ---------------------------------------- */

/* "    struct task_struct * prev": the type as C declares it without a
 * name, then the name (bpftrace's spacing). The leading __data is left out.
 * One btf_dump per BTF object serves every tracepoint in it (making one
 * costs ~1.5 ms: per tracepoint, -lv took seconds). */
static void print_args(FILE *out, const struct rawtp *r, struct btf_dump *dump,
		       struct util_line *text)
{
	const struct btf_type *proto = btf__type_by_id(r->btf, r->proto);
	const struct btf_param *p = btf_params(proto);
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts, .field_name = "");
	for (int i = 1; i < btf_vlen(proto); i++) {
		util_line_reset(text);
		if (btf_dump__emit_type_decl(dump, p[i].type, &opts) < 0)
			break;
		fprintf(out, "    %.*s %s\n", (int)text->len, text->buf,
			btf__name_by_offset(r->btf, p[i].name_off));
	}
}

static void print_all(FILE *out, const char *type_name, const struct rawtp_set *s, bool verbose)
{
	struct util_line text = { 0 };
	struct btf_dump **dumps = xcalloc((size_t)s->nbtfs, sizeof(*dumps));
	for (int i = 0; i < s->n; i++) {
		const struct rawtp *r = &s->v[i];
		fprintf(out, "%s:%s\n", type_name, r->name);
		if (!verbose)
			continue;
		int b = 0;
		while (s->btfs[b] != r->btf)
			b++;
		if (!dumps[b])
			dumps[b] = btf_dump__new(r->btf, util_line_vprintf, &text, NULL);
		if (dumps[b])
			print_args(out, r, dumps[b], &text);
	}
	for (int b = 0; b < s->nbtfs; b++)
		btf_dump__free(dumps[b]);
	free(dumps);
}

int rawtracepoint_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	char *pattern = list_two_part_pattern(req->pattern);
	struct rawtp_set s = { 0 };
	int ret = load_and_scan(&s, pattern);
	free(pattern);
	if (ret == 0) {
		sort_unique(&s);
		print_all(req->out, self->name, &s, req->verbose);
		ret = s.n;
	}
	rawtp_set_free(&s);
	return ret;
}
