/* stacks.c - stack ids to frames: the stack-trace maps of the loaded object,
 * kernel symbols from /proc/kallsyms and user symbols (runtime/usyms.c).
 *
 * BPF code stores a stack as the id bpf_get_stackid() returned; the frames
 * stay in the kernel's stack-trace map until printed. Decoding a stack value
 * (runtime/value.c) asks the stack source the run registered: the object is
 * the run's, the symbol table is read on the first stack printed (a script
 * without stacks never reads kallsyms, ~120,000 lines). */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "desc.h"
#include "output.h"
#include "probe.h"
#include "run_internal.h"
#include "usyms.h"
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
	struct usyms *usyms;   /* user symbols: made on the first user frame */
	bool watch_checked, watching; /* rt_stacks_watch: the object has user stacks */
	uint64_t next_watch;   /* ms (CLOCK_MONOTONIC) */
} stacks;

/* How often a -c/-p process's maps are read while it runs. */
#define RT_STACKS_WATCH_MS 100

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
	util_sort(stacks.syms, stacks.nsyms, sizeof(*stacks.syms), ksym_cmp);
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
/* A frame's text, built without printf: a map of 10,000 stacks has some
 * 300,000 frames to name. Truncates at the buffer's end. */
struct frame_text {
	char *p;
	size_t len, cap; /* cap excludes the NUL */
};

static void text_str(struct frame_text *t, const char *s)
{
	size_t n = strlen(s);
	if (n > t->cap - t->len)
		n = t->cap - t->len;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void text_num(struct frame_text *t, uint64_t v, unsigned base)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n > 0 && t->len < t->cap)
		t->p[t->len++] = digits[--n];
	t->p[t->len] = '\0';
}

/* "0x..." for an address no symbol holds, as bpftrace prints it */
static void text_addr(struct frame_text *t, uint64_t ip)
{
	text_str(t, "0x");
	text_num(t, ip, 16);
}

static void ksym_format(uint64_t ip, struct frame_text *t)
{
	const struct ksym *s = ksym_find(ip);
	if (!s) {
		text_addr(t, ip);
		return;
	}
	text_str(t, s->name);
	text_str(t, "+");
	text_num(t, ip - s->addr, 10);
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

/* ---- user symbols ----------------------------------------------------------- */

static struct usyms *user_symbols(void)
{
	if (!stacks.usyms)
		stacks.usyms = usyms_new();
	return stacks.usyms;
}

/* A user frame as bpftrace shows it: "func+off", the address when no
 * symbol holds it; perf mode adds the file (or "[unknown]"). */
static void usym_format(uint64_t ip, int pid, bool perf, struct frame_text *t)
{
	struct usym sym;
	bool found = usyms_resolve(user_symbols(), pid, ip, &sym);
	if (found) {
		char *readable = usyms_demangle(sym.name);
		text_str(t, readable ? readable : sym.name);
		free(readable);
		text_str(t, "+");
		text_num(t, sym.offset, 10);
	} else {
		text_addr(t, ip);
	}
	if (perf) {
		text_str(t, " (");
		text_str(t, found && sym.module ? sym.module : "[unknown]");
		text_str(t, ")");
	}
}

void rt_usym_text(char *out, size_t size, uint64_t addr, int pid)
{
	struct usym sym;
	if (addr && usyms_resolve(user_symbols(), pid, addr, &sym)) {
		char *readable = usyms_demangle(sym.name);
		snprintf(out, size, "%s", readable ? readable : sym.name);
		free(readable);
	}
	else
		snprintf(out, size, addr ? "0x%" PRIx64 : "0", addr);
}

/* The object keeps user stacks (a "ustack_N" stack map). */
static bool has_user_stacks(void)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, stacks.obj)
		if (strncmp(bpf_map__name(m), "ustack_", 7) == 0)
			return true;
	return false;
}

/* The process runs its own program, not yet sonde's forked copy. */
static bool exec_done(int pid)
{
	char self[PATH_MAX], other[PATH_MAX], link[64];
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	ssize_t a = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ssize_t b = readlink(link, other, sizeof(other) - 1);
	return a > 0 && b > 0 && (a != b || memcmp(self, other, (size_t)a) != 0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int rt_stacks_watch(int pid)
{
	if (pid <= 0 || !stacks.obj)
		return -1;
	if (!stacks.watch_checked) {
		stacks.watch_checked = true;
		stacks.watching = has_user_stacks();
	}
	if (!stacks.watching)
		return -1;
	uint64_t now = now_ms();
	if (now < stacks.next_watch)
		return (int)(stacks.next_watch - now);
	if (exec_done(pid))
		usyms_snapshot(user_symbols(), pid);
	stacks.next_watch = now + RT_STACKS_WATCH_MS;
	return RT_STACKS_WATCH_MS;
}

/* A stack map is a hash table without chaining: a stack whose bucket is
 * taken by another is not stored (bpf_get_stackid() fails), and with as
 * many buckets as stacks a third of them would be lost. Give it 8 buckets
 * per key the script's maps may hold, at most bpftrace's 128 Ki (each
 * bucket holds a whole stack: 1 KiB at 127 frames). */
#define RT_STACK_BUCKETS_PER_KEY 8u
#define RT_STACK_BUCKETS_MAX (128u << 10)

int rt_stacks_size(struct bpf_object *obj, uint32_t keys)
{
	uint32_t n = keys > RT_STACK_BUCKETS_MAX / RT_STACK_BUCKETS_PER_KEY ? RT_STACK_BUCKETS_MAX
									       : keys * RT_STACK_BUCKETS_PER_KEY;
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__type(m) != BPF_MAP_TYPE_STACK_TRACE)
			continue;
		int err = bpf_map__set_max_entries(m, n);
		if (!err && bpf_map__name(m)[0] == 'b') /* SONDE_STACK_MAP_KIND: build ids */
			err = bpf_map__set_map_flags(m, BPF_F_STACK_BUILD_ID);
		if (err) {
			fprintf(stderr, "sonde: internal error: cannot size stack map %s to %u entries: %s\n",
				bpf_map__name(m), n, strerror(-err));
			return -1;
		}
	}
	return 0;
}

void rt_stacks_open(struct bpf_object *obj, const struct desc *d)
{
	stacks.obj = obj;
	for (int i = 0; d && i < d->nprobes; i++) {
		const struct probe_provider *prov = probe_provider_of(d->probes[i].type);
		struct probe_target t = { .type = d->probes[i].type, .target = d->probes[i].target };
		char *bin = prov && prov->binary_of ? prov->binary_of(&t) : NULL;
		if (bin)
			usyms_add_program(user_symbols(), bin);
		free(bin);
	}
}

void rt_stacks_close(void)
{
	for (size_t i = 0; i < stacks.nsyms; i++)
		free(stacks.syms[i].name);
	free(stacks.syms);
	usyms_free(stacks.usyms);
	memset(&stacks, 0, sizeof(stacks));
}

/* ---- stacks ---------------------------------------------------------------- */

/* f becomes a stack frame: u (its address or offset) and text (copied into arena a). */
static void symbol_frame(struct rt_arena *a, struct rt_value *f, uint64_t u, const struct frame_text *text)
{
	memset(f, 0, sizeof(*f));
	f->kind = RV_SYMBOL;
	f->u = u;
	f->len = text->len;
	char *s = rt_arena_alloc(a, f->len + 1);
	memcpy(s, text->p, f->len);
	s[f->len] = '\0';
	f->str = s;
}

static void frame_text(struct rt_arena *a, struct rt_value *f, const struct type *t, uint64_t ip, int pid)
{
	char frame[PATH_MAX + 512];
	struct frame_text text = { frame, 0, sizeof(frame) - 1 };
	frame[0] = '\0';
	if (t->stack_mode == STACK_MODE_RAW)
		text_num(&text, ip, 16);
	else if (t->as == AS_USER)
		usym_format(ip, pid, t->stack_mode == STACK_MODE_PERF, &text);
	else
		ksym_format(ip, &text);
	symbol_frame(a, f, ip, &text);
}

/* struct bpf_stack_build_id (uapi): s32 status, 20 bytes of build id, then
 * (at 24) the offset in the file (status VALID) or the address (IP). */
enum { BUILD_ID_EMPTY = 0, BUILD_ID_VALID = 1, BUILD_ID_IP = 2 };

static int32_t build_id_status(const unsigned char *frames, int i)
{
	int32_t status;
	memcpy(&status, frames + (size_t)i * SONDE_STACK_BUILD_ID_SIZE, sizeof(status));
	return status;
}

/* The latest bpftrace's text: "<40 hex digits> 0x<offset>" (at least two
 * digits), or the address in hex when the kernel had no build id for it. */
static void build_id_frame(struct rt_arena *a, struct rt_value *f, const unsigned char *e)
{
	char frame[96];
	struct frame_text text = { frame, 0, sizeof(frame) - 1 };
	int32_t status;
	uint64_t where;
	memcpy(&status, e, sizeof(status));
	memcpy(&where, e + 24, sizeof(where));
	frame[0] = '\0';
	if (status == BUILD_ID_VALID) {
		for (int i = 0; i < 20; i++) {
			text.p[text.len++] = "0123456789abcdef"[e[4 + i] >> 4];
			text.p[text.len++] = "0123456789abcdef"[e[4 + i] & 15];
		}
		text_str(&text, where < 16 ? " 0x0" : " 0x");
	}
	text_num(&text, where, 16);
	symbol_frame(a, f, where, &text);
}

/* The frames of stack `id` of type t, as RV_SYMBOL items (str the frame's
 * text, u its address). A user stack's id holds the process id in its high
 * 32 bits. When the kernel stored no stack (the id is an error: a kernel
 * thread has no user stack) or its entry is gone, v->i is 1 and the stack
 * prints as nothing at all, as in bpftrace. */
void rt_stack_decode(struct rt_arena *a, struct rt_value *v, const struct type *t, int64_t id)
{
	v->kind = RV_STACK;
	v->u = t->stack_mode;
	v->n = 0;
	v->i = 1;
	int pid = 0;
	if (t->as == AS_USER)
		pid = (int)(((uint64_t)id >> 32) & SONDE_STACK_PID_MASK);
	id = (int32_t)(uint32_t)id; /* without the pid and depth (desc.h) */
	char name[32];
	snprintf(name, sizeof(name), SONDE_STACK_MAP_FMT, SONDE_STACK_MAP_KIND(t), (unsigned)t->count);
	struct bpf_map *m = stacks.obj ? bpf_object__find_map_by_name(stacks.obj, name) : NULL;
	if (!m || id < 0 || id > UINT32_MAX)
		return;
	unsigned char *frames = xcalloc(t->count, SONDE_STACK_FRAME_SIZE(t));
	uint64_t *ips = (uint64_t *)frames;
	uint32_t key = (uint32_t)id;
	if (bpf_map_lookup_elem(bpf_map__fd(m), &key, frames) == 0) {
		int n = 0;
		if (t->stack_mode == STACK_MODE_BUILD_ID)
			while (n < (int)t->count && build_id_status(frames, n) != BUILD_ID_EMPTY)
				n++;
		else
			while (n < (int)t->count && ips[n])
				n++;
		v->items = rt_arena_alloc(a, sizeof(*v->items) * (size_t)(n ? n : 1));
		for (int i = 0; i < n; i++) {
			if (t->stack_mode == STACK_MODE_BUILD_ID)
				build_id_frame(a, &v->items[i], frames + (size_t)i * SONDE_STACK_BUILD_ID_SIZE);
			else
				frame_text(a, &v->items[i], t, ips[i], pid);
		}
		v->n = n;
		v->i = 0;
	}
	free(frames);
}

/* bpftrace's layout: a newline, then one line per frame; "func+off"
 * indented by `indent` spaces, perf's "\t<address> func+off", or raw's
 * "<address>". */
void rt_stack_text(FILE *out, const struct rt_value *v, int indent)
{
	static const char spaces[] = "                ";
	if (v->i)
		return;
	if (indent < 0 || indent > (int)sizeof(spaces) - 1)
		indent = (int)sizeof(spaces) - 1;
	fputc('\n', out);
	for (int i = 0; i < v->n; i++) {
		const struct rt_value *f = &v->items[i];
		if (v->u == STACK_MODE_PERF) {
			char addr[24];
			struct frame_text t = { addr, 0, sizeof(addr) - 1 };
			text_num(&t, f->u, 16);
			fputc('\t', out);
			fwrite(addr, 1, t.len, out);
			fputc(' ', out);
		} else if (v->u != STACK_MODE_RAW && v->u != STACK_MODE_BUILD_ID) {
			fwrite(spaces, 1, (size_t)indent, out);
		}
		fwrite(f->str, 1, f->len, out);
		fputc('\n', out);
	}
}
