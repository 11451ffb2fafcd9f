/* stacks.c - stack ids to frames: the stack-trace maps of the loaded object
 * and kernel symbols from /proc/kallsyms.
 *
 * BPF code stores a stack as the id bpf_get_stackid() returned; the frames
 * stay in the kernel's stack-trace map until printed. Decoding a stack value
 * (runtime/value.c) asks the stack source the run registered: the object is
 * the run's, the symbol table is read on the first stack printed (a script
 * without stacks never reads kallsyms, ~120,000 lines). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "desc.h"
#include "output.h"
#include "run_internal.h"
#include "util.h"

struct ksym {
	uint64_t addr;
	char *name;
};

static struct {
	struct bpf_object *obj;
	struct ksym *syms;
	size_t nsyms;
	bool loaded;
} stacks;

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Text symbols only ("T", "t", "W", "w"): frames are return addresses. */
static void load_ksyms(void)
{
	stacks.loaded = true;
	FILE *f = fopen("/proc/kallsyms", "r");
	if (!f)
		return;
	size_t cap = 0;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char *end;
		uint64_t addr = strtoull(line, &end, 16);
		if (end == line || *end != ' ' || !strchr("TtWw", end[1]) || !end[1] || end[2] != ' ')
			continue;
		char *name = end + 3;
		name[strcspn(name, " \t\n")] = '\0';
		if (stacks.nsyms == cap) {
			cap = cap ? cap * 2 : 65536;
			stacks.syms = xrealloc(stacks.syms, sizeof(*stacks.syms) * cap);
		}
		stacks.syms[stacks.nsyms++] = (struct ksym){ addr, xstrdup(name) };
	}
	fclose(f);
	qsort(stacks.syms, stacks.nsyms, sizeof(*stacks.syms), ksym_cmp);
}

/* The symbol holding ip: the last one at or below it; NULL when none does
 * (or addresses are hidden: every one reads as zero). */
static const struct ksym *ksym_find(uint64_t ip)
{
	if (!stacks.loaded)
		load_ksyms();
	size_t lo = 0, hi = stacks.nsyms;
	while (lo < hi) { /* the first symbol above ip */
		size_t mid = lo + (hi - lo) / 2;
		if (stacks.syms[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 || stacks.syms[lo - 1].addr == 0 ? NULL : &stacks.syms[lo - 1];
}

/* "func+off", as bpftrace prints a kernel frame; the address when no
 * symbol holds it. */
static int ksym_format(uint64_t ip, char *buf, size_t len)
{
	const struct ksym *s = ksym_find(ip);
	if (!s)
		return snprintf(buf, len, "0x%" PRIx64, ip);
	return snprintf(buf, len, "%s+%" PRIu64, s->name, ip - s->addr);
}

/* bpftrace's ksym(): the name alone; an address no symbol holds in hex
 * (0 as "0", as C++'s showbase prints it). */
void rt_ksym_decode(struct rt_arena *a, struct rt_value *v, uint64_t addr)
{
	char text[256];
	int len;
	const struct ksym *s = addr ? ksym_find(addr) : NULL;
	if (s)
		len = snprintf(text, sizeof(text), "%s", s->name);
	else
		len = addr ? snprintf(text, sizeof(text), "0x%" PRIx64, addr) : snprintf(text, sizeof(text), "0");
	if (len < 0)
		len = 0;
	size_t n = (size_t)len < sizeof(text) ? (size_t)len : sizeof(text) - 1;
	char *str = rt_arena_alloc(a, n + 1);
	memcpy(str, text, n + 1);
	v->kind = RV_STR;
	v->str = str;
	v->len = n;
}

void rt_stacks_open(struct bpf_object *obj)
{
	stacks.obj = obj;
}

void rt_stacks_close(void)
{
	for (size_t i = 0; i < stacks.nsyms; i++)
		free(stacks.syms[i].name);
	free(stacks.syms);
	memset(&stacks, 0, sizeof(stacks));
}

/* The frames of stack `id` of type t, as RV_SYMBOL items (str the frame's
 * text, u its address). No frames when the id is an error or its map entry
 * is gone. */
void rt_stack_decode(struct rt_arena *a, struct rt_value *v, const struct type *t, int64_t id)
{
	v->kind = RV_STACK;
	v->u = t->stack_mode;
	v->n = 0;
	char name[32];
	snprintf(name, sizeof(name), SONDE_STACK_MAP_FMT, SONDE_STACK_MAP_KIND(t->as), (unsigned)t->count);
	struct bpf_map *m = stacks.obj ? bpf_object__find_map_by_name(stacks.obj, name) : NULL;
	if (!m || id < 0 || id > UINT32_MAX)
		return;
	uint64_t *ips = xcalloc(t->count, sizeof(*ips));
	uint32_t key = (uint32_t)id;
	if (bpf_map_lookup_elem(bpf_map__fd(m), &key, ips) == 0) {
		int n = 0;
		while (n < (int)t->count && ips[n])
			n++;
		v->items = rt_arena_alloc(a, sizeof(*v->items) * (size_t)(n ? n : 1));
		for (int i = 0; i < n; i++) {
			char frame[256];
			int len = ksym_format(ips[i], frame, sizeof(frame));
			struct rt_value *f = &v->items[i];
			memset(f, 0, sizeof(*f));
			f->kind = RV_SYMBOL;
			f->u = ips[i];
			f->len = (size_t)len < sizeof(frame) ? (size_t)len : sizeof(frame) - 1;
			char *s = rt_arena_alloc(a, f->len + 1);
			memcpy(s, frame, f->len + 1);
			f->str = s;
		}
		v->n = n;
	}
	free(ips);
}

/* bpftrace's layout: a newline, then one line per frame; "func+off"
 * indented by `indent` spaces, or perf's "\t<address> func+off". */
void rt_stack_text(FILE *out, const struct rt_value *v, int indent)
{
	fputc('\n', out);
	for (int i = 0; i < v->n; i++) {
		const struct rt_value *f = &v->items[i];
		if (v->u == STACK_MODE_PERF)
			fprintf(out, "\t%016" PRIx64 " ", f->u);
		else
			fprintf(out, "%*s", indent, "");
		fwrite(f->str, 1, f->len, out);
		fputc('\n', out);
	}
}
