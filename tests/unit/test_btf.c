/* test_btf.c - kernel types from this kernel's BTF (src/btf.c).
 *
 * Expected layouts are not written down: they come from walking the same
 * BTF with libbpf here, independently of btf.c, and from the tracefs
 * format files, so the test holds on any kernel with BTF. Names checked
 * by value (task_struct's pid and comm, sched_switch's fields, sk_buff's
 * next/dev) have been stable for many kernel releases. Skipped (77)
 * without /sys/kernel/btf/vmlinux. */
#include <bpf/btf.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btf.h"
#include "types.h"

#include "check.h"

static struct btf *ref; /* the same BTF, read by the test itself */

static const char *name_of(const struct type *t)
{
	static char buf[256];
	return type_name(t, buf, sizeof(buf));
}

#define CHECK_NAME(t, expected)                                                    \
	CHECKF(strcmp(name_of(t), expected) == 0, "got \"%s\", want \"%s\"", name_of(t), expected)

static int32_t ref_id(const char *name, int kind)
{
	return btf__find_by_name_kind(ref, name, kind);
}

/* ---- an independent flattening of a struct's members --------------------------- */

struct flat_member {
	char name[64];
	uint32_t bits, bit_size;
};

static int flatten(int32_t id, uint32_t base, struct flat_member *out, int n, int max)
{
	const struct btf_type *t = btf__type_by_id(ref, id);
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t) && n < max; i++) {
		const char *name = btf__name_by_offset(ref, m[i].name_off);
		uint32_t bits = base + btf_member_bit_offset(t, i);
		if (name && *name) {
			snprintf(out[n].name, sizeof(out[n].name), "%s", name);
			out[n].bits = bits;
			out[n].bit_size = btf_member_bitfield_size(t, i);
			n++;
			continue;
		}
		int32_t inner = btf__resolve_type(ref, m[i].type);
		if (inner > 0 && btf_is_composite(btf__type_by_id(ref, inner)))
			n = flatten(inner, bits, out, n, max);
	}
	return n;
}

/* The record kbtf made for `struct NAME` has exactly the members the
 * independent walk finds, at the same offsets and bits. */
static void check_layout(struct type_arena *a, const char *name)
{
	char spelled[128];
	snprintf(spelled, sizeof(spelled), "struct %s", name);
	const struct type *t = kbtf_type(a, spelled);
	CHECKF(t && kbtf_complete(a, t), "%s", spelled);
	if (!t || t->incomplete)
		return;
	static struct flat_member want[2048];
	int n = flatten(ref_id(name, BTF_KIND_STRUCT), 0, want, 0, 2048);
	CHECKF(t->nmembers == n, "%s: %d members, want %d", spelled, t->nmembers, n);
	CHECKF(t->size == (uint32_t)btf__resolve_size(ref, ref_id(name, BTF_KIND_STRUCT)), "%s size %u",
	       spelled, t->size);
	for (int i = 0; i < n && i < t->nmembers; i++) {
		const struct type_member *m = &t->members[i];
		uint32_t bits = m->offset * 8 + m->bit_offset;
		CHECKF(strcmp(m->name, want[i].name) == 0 && bits == want[i].bits &&
			       m->bit_size == want[i].bit_size,
		       "%s member %d: %s at bit %u size %u, want %s at bit %u size %u", spelled, i,
		       m->name, bits, m->bit_size, want[i].name, want[i].bits, want[i].bit_size);
		CHECKF(m->bit_size || m->bit_offset == 0, "%s.%s", spelled, m->name);
	}
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_lazy(struct type_arena *a)
{
	CHECK(!kbtf_loaded());
	const char *id = kbtf_kernel_build_id();
	size_t len = strlen(id);
	CHECKF(len == 0 || len == 40, "build id \"%s\"", id);
	for (size_t i = 0; i < len; i++)
		CHECKF(isxdigit((unsigned char)id[i]) && !isupper((unsigned char)id[i]), "build id \"%s\"", id);
	CHECK(kbtf_kernel_build_id() == id); /* cached */
	/* C's base types need no BTF */
	CHECK(kbtf_type(a, "unsigned long") == type_int(8, false));
	CHECK(kbtf_type(a, "long unsigned int") == type_int(8, false));
	CHECK(kbtf_type(a, "unsigned  long ") == type_int(8, false));
	CHECK(kbtf_type(a, "long long") == type_int(8, true));
	CHECK(kbtf_type(a, "unsigned") == type_int(4, false));
	CHECK(kbtf_type(a, "short") == type_int(2, true));
	CHECK(kbtf_type(a, "unsigned short") == type_int(2, false));
	CHECK(kbtf_type(a, "int") == type_int(4, true));
	CHECK(kbtf_type(a, "const int") == type_int(4, true));
	CHECK(kbtf_type(a, "char") == type_int(1, false)); /* the kernel's char is unsigned */
	CHECK(kbtf_type(a, "signed char") == type_int(1, true));
	CHECK(kbtf_type(a, "_Bool") == type_bool());
	CHECK(kbtf_type(a, "void") == type_void());
	const struct type *p = kbtf_type(a, "char *");
	CHECK(p && p->kind == TY_PTR && p->elem == type_int(1, false) && p->as == AS_KERNEL);
	CHECK(!kbtf_loaded());
	CHECK(strcmp(kbtf_error(), "") == 0);
	/* the first kernel type loads it */
	const struct type *ts = kbtf_type(a, "struct task_struct");
	CHECK(ts && kbtf_loaded() && kbtf_available());
}

static void test_task_struct(struct type_arena *a)
{
	const struct type *ts = kbtf_type(a, "struct task_struct");
	if (!ts) {
		CHECK(ts);
		return;
	}
	int32_t id = ref_id("task_struct", BTF_KIND_STRUCT);
	CHECK(ts->kind == TY_RECORD && ts->rkind == REC_STRUCT && ts->btf_id == id);
	CHECK_NAME(ts, "struct task_struct");
	/* incomplete, but sized: arrays of it and structs embedding it lay out */
	CHECK(ts->incomplete && ts->nmembers == 0);
	CHECK(ts->size == (uint32_t)btf__resolve_size(ref, id) && ts->align == (uint32_t)btf__align_of(ref, id));
	CHECK(kbtf_type(a, "struct task_struct") == ts);
	CHECK(kbtf_type(a, " struct   task_struct") == ts);
	CHECK(kbtf_type_by_id(a, id) == ts);

	CHECK(kbtf_complete(a, ts) && !ts->incomplete);
	CHECK(kbtf_complete(a, ts) && ts->nmembers > 100); /* again: nothing to do */
	check_layout(a, "task_struct");

	const struct type_member *pid = type_member_find(ts, "pid");
	CHECK(pid && pid->type == type_int(4, true));
	struct flat_member want[1024];
	int n = flatten(id, 0, want, 0, 1024);
	for (int i = 0; i < n && pid; i++)
		if (strcmp(want[i].name, "pid") == 0)
			CHECKF(pid->offset * 8 == want[i].bits, "pid at %u", pid->offset);
	const struct type_member *comm = type_member_find(ts, "comm");
	CHECK(comm && comm->type->kind == TY_STR && comm->type->size == 16);
	CHECK(comm && comm->type == type_char_array_str(a, 16));
	const struct type_member *parent = type_member_find(ts, "parent");
	CHECK(parent && parent->type->kind == TY_PTR && parent->type->elem == ts &&
	      parent->type->as == AS_KERNEL);
	CHECK(parent && parent->type == kbtf_type(a, "struct task_struct *"));
	if (parent)
		CHECK_NAME(parent->type, "struct task_struct *");
	/* a bitfield: byte offset, bit within it, width */
	const struct type_member *bf = NULL;
	for (int i = 0; i < ts->nmembers && !bf; i++)
		if (ts->members[i].bit_size)
			bf = &ts->members[i];
	CHECK(bf && bf->bit_offset < 8 && type_is_integer(bf->type));
	/* a struct embedded by value stays incomplete until needed */
	const struct type_member *se = type_member_find(ts, "se");
	CHECK(se && se->type->kind == TY_RECORD && se->type->incomplete && se->type->size > 0);

	/* another arena converts again, into its own types */
	struct type_arena *b = type_arena_new();
	const struct type *ts2 = kbtf_type(b, "struct task_struct");
	CHECK(ts2 && ts2 != ts && ts2->incomplete && ts2->size == ts->size);
	type_arena_free(b);
}

static void test_anonymous_members(struct type_arena *a)
{
	/* sk_buff starts with anonymous unions and structs: next, prev, dev... */
	const struct type *skb = kbtf_type(a, "struct sk_buff");
	CHECK(skb && kbtf_complete(a, skb));
	const struct type_member *next = type_member_find(skb, "next");
	const struct type_member *prev = type_member_find(skb, "prev");
	const struct type_member *dev = type_member_find(skb, "dev");
	CHECK(next && next->offset == 0 && prev && prev->offset == 8 && dev && dev->offset == 16);
	CHECK(next && next->type == type_ptr(a, skb, AS_KERNEL));
	CHECK(type_member_find(skb, "len"));
	check_layout(a, "sk_buff");
	check_layout(a, "page");
	check_layout(a, "file");
	check_layout(a, "inode");
	check_layout(a, "mm_struct");
}

static void test_names(struct type_arena *a)
{
	CHECK(kbtf_type(a, "pid_t") == type_int(4, true));
	CHECK(kbtf_type(a, "u64") == type_int(8, false));
	CHECK(kbtf_type(a, "s32") == type_int(4, true));
	CHECK(kbtf_type(a, "u8") == type_int(1, false));
	CHECK(kbtf_type(a, "size_t") == type_int(8, false));
	CHECK(kbtf_type(a, "uint64_t") == type_int(8, false));
	CHECK(kbtf_type(a, "bool") == type_bool());
	CHECK(kbtf_type(a, "struct no_such_struct_sonde") == NULL);
	CHECK(kbtf_type(a, "no_such_typedef_sonde") == NULL);
	CHECK(kbtf_type(a, "union task_struct") == NULL);
	CHECK(kbtf_type(a, "enum no_such_enum_sonde") == NULL);
	CHECK(kbtf_type(a, "struct no_such_struct_sonde *") == NULL);
	CHECK(kbtf_type(a, "") == NULL && kbtf_type(a, "struct ") == NULL);
	char longname[400] = "struct ";
	memset(longname + 7, 'a', 350);
	CHECK(kbtf_type(a, longname) == NULL && kbtf_type(a, NULL) == NULL);
	const struct type *pp = kbtf_type(a, "struct task_struct **");
	CHECK(pp && pp->elem && pp->elem->elem == kbtf_type(a, "struct task_struct"));

	/* BTF's own integer kinds, by id */
	CHECK(kbtf_type_by_id(a, ref_id("_Bool", BTF_KIND_INT)) == type_bool());
	CHECK(kbtf_type_by_id(a, ref_id("char", BTF_KIND_INT)) == type_int(1, false));
	CHECK(kbtf_type_by_id(a, ref_id("signed char", BTF_KIND_INT)) == type_int(1, true));
	CHECK(kbtf_type_by_id(a, ref_id("long int", BTF_KIND_INT)) == type_int(8, true));
	int32_t i128 = ref_id("__int128 unsigned", BTF_KIND_INT);
	if (i128 > 0) {
		const struct type *t = kbtf_type_by_id(a, i128);
		CHECK(t && t->kind == TY_ARRAY && t->size == 16 && t->elem == type_int(8, false));
	}
	int32_t dbl = ref_id("double", BTF_KIND_FLOAT);
	if (dbl > 0)
		CHECK(kbtf_type_by_id(a, dbl) == type_int(8, false));
	CHECK(kbtf_type_by_id(a, 0) == type_void());
	CHECK(kbtf_type_by_id(a, -1) == NULL && kbtf_type_by_id(a, 1 << 30) == NULL);
	/* a function is not a value's type */
	CHECK(kbtf_type_by_id(a, ref_id("schedule", BTF_KIND_FUNC)) == NULL);

	/* function pointers are void pointers */
	const struct type *fops = kbtf_type(a, "struct file_operations");
	CHECK(fops && kbtf_complete(a, fops));
	const struct type_member *read = type_member_find(fops, "read");
	CHECK(read && read->type == type_ptr(a, type_void(), AS_KERNEL));

	/* typedef'd anonymous structs are complete at once */
	const struct type *atomic = kbtf_type(a, "atomic_t");
	CHECK(atomic && atomic->kind == TY_RECORD && !atomic->incomplete && atomic->name == NULL);
	CHECK(atomic && type_member_find(atomic, "counter") &&
	      type_member_find(atomic, "counter")->type == type_int(4, true));
	if (atomic)
		CHECK_NAME(atomic, "struct {int32}");
}

static void test_enums(struct type_arena *a)
{
	const struct type *e = kbtf_type(a, "enum pid_type");
	CHECK(e && e->kind == TY_ENUM && e->size == 4 && e->nenumerators >= 3);
	CHECK_NAME(e, "enum pid_type");
	CHECK(e && strcmp(e->enumerators[0].name, "PIDTYPE_PID") == 0 && e->enumerators[0].value == 0);
	int64_t v = -1;
	const struct type *et = NULL;
	CHECK(kbtf_enum_value(a, "PIDTYPE_TGID", &v, &et) && v == 1 && et == e);
	CHECK(!kbtf_enum_value(a, "NO_SUCH_ENUMERATOR_SONDE", &v, &et));
	CHECK(kbtf_enum_value(a, "BPF_MAP_TYPE_HASH", &v, NULL) && v == 1);

	/* every enum kind of this BTF: 64-bit, signed, anonymous */
	int32_t first64 = -1, first_signed = -1, first_anon = -1;
	for (uint32_t id = 1; id < btf__type_cnt(ref); id++) {
		const struct btf_type *t = btf__type_by_id(ref, id);
		if (!btf_is_any_enum(t) || !btf_vlen(t))
			continue;
		if (btf_is_enum64(t) && t->name_off && first64 < 0)
			first64 = (int32_t)id;
		if (btf_kflag(t) && t->name_off && first_signed < 0)
			first_signed = (int32_t)id;
		if (!t->name_off && first_anon < 0)
			first_anon = (int32_t)id;
	}
	if (first64 > 0) {
		const struct btf_type *t = btf__type_by_id(ref, first64);
		const struct type *c = kbtf_type_by_id(a, first64);
		CHECK(c && c->kind == TY_ENUM && c->size == 8 && c->nenumerators == btf_vlen(t));
		CHECK(c && c->enumerators[btf_vlen(t) - 1].value ==
				   (int64_t)btf_enum64_value(&btf_enum64(t)[btf_vlen(t) - 1]));
	}
	if (first_signed > 0) {
		const struct btf_type *t = btf__type_by_id(ref, first_signed);
		const struct type *c = kbtf_type_by_id(a, first_signed);
		CHECK(c && c->is_signed);
		for (int i = 0; c && btf_is_enum(t) && i < btf_vlen(t); i++)
			CHECK(c->enumerators[i].value == btf_enum(t)[i].val);
	}
	if (first_anon > 0) {
		const struct btf_type *t = btf__type_by_id(ref, first_anon);
		CHECK(kbtf_type_by_id(a, first_anon) == type_int(t->size, btf_kflag(t)));
		const char *name = btf__name_by_offset(ref, btf_is_enum(t) ? btf_enum(t)[0].name_off
									  : btf_enum64(t)[0].name_off);
		CHECK(kbtf_enum_value(a, name, &v, &et) && et == type_int(t->size, btf_kflag(t)));
	}
}

static void test_forward_declarations(struct type_arena *a)
{
	/* a FWD with no definition anywhere: opaque */
	for (uint32_t id = 1; id < btf__type_cnt(ref); id++) {
		const struct btf_type *t = btf__type_by_id(ref, id);
		if (!btf_is_fwd(t) || btf_kflag(t))
			continue;
		const char *name = btf__name_by_offset(ref, t->name_off);
		if (ref_id(name, BTF_KIND_STRUCT) > 0)
			continue;
		char spelled[160];
		snprintf(spelled, sizeof(spelled), "struct %s", name);
		const struct type *o = kbtf_type(a, spelled);
		CHECKF(o && o->kind == TY_RECORD && o->incomplete, "%s", spelled);
		CHECKF(o && !kbtf_complete(a, o) && o->incomplete && o->size == 0, "%s", spelled);
		CHECKF(o == kbtf_type_by_id(a, (int32_t)id), "%s", spelled);
		break;
	}
	/* a FWD whose struct exists elsewhere: that struct */
	for (uint32_t id = 1; id < btf__type_cnt(ref); id++) {
		const struct btf_type *t = btf__type_by_id(ref, id);
		if (!btf_is_fwd(t) || btf_kflag(t))
			continue;
		int32_t full = ref_id(btf__name_by_offset(ref, t->name_off), BTF_KIND_STRUCT);
		if (full < 0)
			continue;
		CHECK(kbtf_type_by_id(a, (int32_t)id) == kbtf_type_by_id(a, full));
		break;
	}
}

static void test_closest_member(struct type_arena *a)
{
	const struct type *ts = kbtf_type(a, "struct task_struct");
	CHECK(ts && kbtf_complete(a, ts));
	const char *s = kbtf_closest_member(ts, "pidd");
	CHECKF(s && strcmp(s, "pid") == 0, "%s", s ? s : "(null)");
	s = kbtf_closest_member(ts, "comn");
	CHECKF(s && strcmp(s, "comm") == 0, "%s", s ? s : "(null)");
	s = kbtf_closest_member(ts, "real_prent");
	CHECKF(s && strcmp(s, "real_parent") == 0, "%s", s ? s : "(null)");
	s = kbtf_closest_member(ts, "tgdi"); /* a swap */
	CHECKF(s && strcmp(s, "tgid") == 0, "%s", s ? s : "(null)");
	CHECK(kbtf_closest_member(ts, "xyzzy_not_there_at_all") == NULL);
	CHECK(kbtf_closest_member(ts, "") == NULL && kbtf_closest_member(NULL, "pid") == NULL);
}

/* ---- tracepoints ------------------------------------------------------------------ */

static FILE *open_format(const char *category, const char *event)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	for (size_t i = 0; i < 2; i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/events/%s/%s/format", roots[i], category, event);
		FILE *f = fopen(path, "r");
		if (f)
			return f;
	}
	return NULL;
}

/* The args record agrees with the tracefs format: every non-common field,
 * at its offset, strings as strings, __data_loc fields as such. */
static void check_against_format(struct type_arena *a, const char *category, const char *event)
{
	char spec[128];
	snprintf(spec, sizeof(spec), "%s:%s", category, event);
	const struct type *args = kbtf_tracepoint_args(a, spec);
	FILE *f = open_format(category, event);
	if (!f || !args) {
		if (f)
			fclose(f);
		return;
	}
	char line[512];
	int fields = 0;
	while (fgets(line, sizeof(line), f)) {
		char decl[256];
		unsigned offset, size;
		if (sscanf(line, " field:%255[^;]; offset:%u; size:%u;", decl, &offset, &size) != 3)
			continue;
		char *name = strrchr(decl, ' ');
		if (!name || strncmp(name + 1, "common_", 7) == 0)
			continue;
		*name++ = '\0';
		char *bracket = strchr(name, '[');
		if (bracket)
			*bracket = '\0';
		fields++;
		const struct type_member *m = type_member_find(args, name);
		CHECKF(m && m->offset == offset, "%s: field %s at %u", spec, name, offset);
		if (!m)
			continue;
		if (strncmp(decl, "__data_loc", 10) == 0) {
			CHECKF(m->is_data_loc && m->type->kind == TY_STR, "%s.%s", spec, name);
		} else if (bracket && strcmp(decl, "char") == 0) {
			CHECKF(m->type->kind == TY_STR && m->type->size == size, "%s.%s", spec, name);
		} else if (!bracket) {
			CHECKF(m->type->size == size && !m->is_data_loc, "%s.%s: %u bytes, want %u", spec,
			       name, m->type->size, size);
		}
	}
	fclose(f);
	CHECKF(args->nmembers == fields, "%s: %d members, %d fields", spec, args->nmembers, fields);
}

static void test_tracepoints(struct type_arena *a)
{
	const struct type *sw = kbtf_tracepoint_args(a, "sched:sched_switch");
	CHECK(sw && sw->kind == TY_RECORD && !sw->incomplete);
	if (sw) {
		CHECK_NAME(sw, "struct _tracepoint_sched_sched_switch");
		CHECK(sw->size == 64);
		CHECK(type_member_find(sw, "ent") == NULL && type_member_find(sw, "__data") == NULL);
		const struct type_member *m = type_member_find(sw, "prev_comm");
		CHECK(m && m->offset == 8 && m->type == type_char_array_str(a, 16));
		m = type_member_find(sw, "prev_pid");
		CHECK(m && m->offset == 24 && m->type == type_int(4, true));
		m = type_member_find(sw, "prev_state");
		CHECK(m && m->offset == 32 && m->type == type_int(8, true));
		m = type_member_find(sw, "next_comm");
		CHECK(m && m->offset == 40);
		m = type_member_find(sw, "next_prio");
		CHECK(m && m->offset == 60 && m->type == type_int(4, true));
		CHECK(sw->nmembers == 7);
	}
	CHECK(kbtf_tracepoint_args(a, "sched:sched_switch") == sw);
	const struct type *bare = kbtf_tracepoint_args(a, "sched_switch");
	CHECK(bare && bare != sw && bare->nmembers == 7);
	if (bare)
		CHECK_NAME(bare, "struct _tracepoint_sched_switch");

	const struct type *exec = kbtf_tracepoint_args(a, "sched:sched_process_exec");
	const struct type_member *fn = exec ? type_member_find(exec, "filename") : NULL;
	CHECK(fn && fn->is_data_loc && fn->offset == 8 && fn->type == type_str(a, KBTF_DATA_LOC_STRLEN));
	CHECK(exec && type_member_find(exec, "__data_loc_filename") == NULL);
	const struct type_member *pid = exec ? type_member_find(exec, "pid") : NULL;
	CHECK(pid && pid->offset == 12 && !pid->is_data_loc);

	/* BTF names the struct after the event class, not the event */
	CHECK(kbtf_tracepoint_args(a, "block:block_rq_issue") == NULL);
	/* syscalls have no raw struct at all */
	CHECK(kbtf_tracepoint_args(a, "syscalls:sys_enter_openat") == NULL);
	CHECK(kbtf_tracepoint_args(a, "") == NULL && kbtf_tracepoint_args(a, "sched:") == NULL);

	CHECK(kbtf_has_tracepoint("sched_switch") && kbtf_has_tracepoint("sched:sched_switch"));
	CHECK(kbtf_has_tracepoint("block_rq_issue"));
	CHECK(!kbtf_has_tracepoint("no_such_tracepoint_sonde"));

	static const char *const sched[] = {
		"sched_switch", "sched_process_exec", "sched_process_fork", "sched_process_exit",
		"sched_process_wait", "sched_migrate_task", "sched_kthread_stop", "sched_pi_setprio",
		"sched_wakeup", "sched_stat_runtime", "sched_wake_idle_without_ipi",
	};
	for (size_t i = 0; i < sizeof(sched) / sizeof(sched[0]); i++)
		check_against_format(a, "sched", sched[i]);
	check_against_format(a, "raw_syscalls", "sys_enter");
	check_against_format(a, "task", "task_rename");
	check_against_format(a, "signal", "signal_generate");
}

/* Many lookups, misses among them, switch btf.c from libbpf's scans to its
 * own name index: the answers must not change (lowest id for duplicates). */
static void test_many_lookups(void)
{
	struct type_arena *before = type_arena_new(), *after = type_arena_new();
	static const char *const names[] = { "struct task_struct", "struct sk_buff", "pid_t",
					     "enum pid_type", "union bpf_attr", "__int128" };
	const size_t n = sizeof(names) / sizeof(names[0]);
	const struct type *first[sizeof(names) / sizeof(names[0])];
	for (size_t i = 0; i < n; i++)
		first[i] = kbtf_type(before, names[i]);
	/* a duplicated struct name: the lowest id */
	const char *dup = NULL;
	int32_t dup_id = -1;
	for (uint32_t id = 1; id < btf__type_cnt(ref) && !dup; id++) {
		const struct btf_type *t = btf__type_by_id(ref, id);
		if (!btf_is_struct(t) || !t->name_off)
			continue;
		const char *name = btf__name_by_offset(ref, t->name_off);
		if (ref_id(name, BTF_KIND_STRUCT) != (int32_t)id) {
			dup = name;
			dup_id = ref_id(name, BTF_KIND_STRUCT);
		}
	}
	char spelled[160] = "";
	if (dup) {
		snprintf(spelled, sizeof(spelled), "struct %s", dup);
		const struct type *d = kbtf_type(before, spelled);
		CHECK(d && d->btf_id == dup_id);
	}
	for (int i = 0; i < 12; i++) {
		char miss[64];
		snprintf(miss, sizeof(miss), "struct no_such_struct_sonde_%d", i);
		CHECK(kbtf_type(before, miss) == NULL);
	}
	for (size_t i = 0; i < n; i++) {
		const struct type *t = kbtf_type(after, names[i]);
		CHECKF(t && first[i] && t->kind == first[i]->kind && t->size == first[i]->size &&
			       t->btf_id == first[i]->btf_id,
		       "%s", names[i]);
	}
	if (dup) {
		const struct type *d = kbtf_type(after, spelled);
		CHECK(d && d->btf_id == dup_id);
	}
	CHECK(kbtf_type(after, "struct no_such_struct_sonde_0") == NULL);
	CHECK(kbtf_has_tracepoint("sched_switch") && !kbtf_has_tracepoint("no_such_tracepoint_sonde"));
	type_arena_free(before);
	type_arena_free(after);
}

/* BPFTRACE_BTF names the BTF file; a bad one is an error, not a crash. */
static void test_btf_file(void)
{
	kbtf_unload();
	CHECK(!kbtf_loaded());
	setenv("BPFTRACE_BTF", "/nonexistent/sonde.btf", 1);
	struct type_arena *a = type_arena_new();
	CHECK(!kbtf_available());
	CHECKF(strstr(kbtf_error(), "/nonexistent/sonde.btf") != NULL, "%s", kbtf_error());
	CHECK(kbtf_type(a, "struct task_struct") == NULL);
	CHECK(kbtf_type(a, "int") == type_int(4, true));
	CHECK(!kbtf_has_tracepoint("sched_switch") && kbtf_tracepoint_args(a, "sched_switch") == NULL);
	int64_t v;
	CHECK(!kbtf_enum_value(a, "PIDTYPE_PID", &v, NULL));

	kbtf_unload();
	setenv("BPFTRACE_BTF", "/sys/kernel/btf/vmlinux", 1);
	const struct type *ts = kbtf_type(a, "struct task_struct");
	CHECK(ts && kbtf_complete(a, ts) && type_member_find(ts, "pid"));
	CHECK(strcmp(kbtf_error(), "") == 0);
	unsetenv("BPFTRACE_BTF");
	type_arena_free(a);
	kbtf_unload();
}

/* A BTF file made here (BPFTRACE_BTF) has what this kernel's BTF lacks:
 * a `user` type tag, a signed 64-bit enum, an undefined union, bitfields
 * inside anonymous members, and loops no compiler emits. */
static bool write_custom_btf(const char *path)
{
	struct btf *b = btf__new_empty();
	if (!b)
		return false;
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);          /* 1 */
	int u32 = btf__add_int(b, "unsigned int", 4, 0);              /* 2 */
	int u8 = btf__add_int(b, "unsigned char", 1, 0);              /* 3 */
	int tag = btf__add_type_tag(b, "user", i32);                  /* 4 */
	int uptr = btf__add_ptr(b, tag);                              /* 5 */
	int self_ptr = btf__add_ptr(b, 6);                            /* 6: points to itself */
	int self_const = btf__add_const(b, 7);                        /* 7: qualifies itself */
	btf__add_float(b, "double", 8);                               /* 8 */
	btf__add_enum64(b, "big", 8, true);                           /* 9 */
	btf__add_enum64_value(b, "BIG_NEG", (uint64_t)-5);
	btf__add_enum64_value(b, "BIG_POS", 7);
	int fwd = btf__add_fwd(b, "opaque_u", BTF_FWD_UNION);         /* 10 */
	int bits = btf__add_struct(b, NULL, 4);                       /* 11 */
	btf__add_field(b, "x", u32, 0, 3);
	btf__add_field(b, "y", u32, 3, 5);
	int anon_union = btf__add_union(b, NULL, 4);                  /* 12 */
	btf__add_field(b, NULL, bits, 0, 0);
	btf__add_field(b, "z", i32, 0, 0);
	int bytes = btf__add_array(b, i32, u8, 6);                    /* 13 */
	btf__add_struct(b, "outer", 32);                              /* 14 */
	btf__add_field(b, "a", i32, 0, 0);
	btf__add_field(b, NULL, anon_union, 32, 0);
	btf__add_field(b, "p", uptr, 64, 0);
	btf__add_field(b, "name", bytes, 128, 0);
	btf__add_field(b, "loop", self_ptr, 192, 0);
	btf__add_struct(b, "dup", 4);                                 /* 15 */
	btf__add_field(b, "v", i32, 0, 0);
	btf__add_struct(b, "dup", 8);                                 /* 16 */
	btf__add_field(b, "v", i32, 0, 0);
	btf__add_field(b, "w", i32, 32, 0);
	btf__add_typedef(b, "loop_t", self_const);                    /* 17 */
	int last = btf__add_ptr(b, fwd);                              /* 18 */
	uint32_t size = 0;
	const void *data = btf__raw_data(b, &size);
	FILE *f = data && last == 18 ? fopen(path, "wb") : NULL;
	bool ok = f && fwrite(data, 1, size, f) == size;
	if (f)
		ok = fclose(f) == 0 && ok;
	btf__free(b);
	return ok;
}

static void test_custom_btf(void)
{
	char path[] = "/tmp/sonde-test-btf-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || !write_custom_btf(path)) {
		CHECK(!"cannot write a BTF file");
		return;
	}
	close(fd);
	kbtf_unload();
	setenv("BPFTRACE_BTF", path, 1);
	struct type_arena *a = type_arena_new();
	const struct type *outer = kbtf_type(a, "struct outer");
	CHECKF(outer && kbtf_complete(a, outer), "%s", kbtf_error());
	if (outer && !outer->incomplete) {
		CHECK(outer->size == 32 && outer->nmembers == 7);
		const struct type_member *x = type_member_find(outer, "x");
		const struct type_member *y = type_member_find(outer, "y");
		const struct type_member *z = type_member_find(outer, "z");
		CHECK(x && x->offset == 4 && x->bit_offset == 0 && x->bit_size == 3);
		CHECK(y && y->offset == 4 && y->bit_offset == 3 && y->bit_size == 5);
		CHECK(z && z->offset == 4 && z->bit_size == 0 && z->type == type_int(4, true));
		const struct type_member *p = type_member_find(outer, "p");
		CHECK(p && p->offset == 8 && p->type->as == AS_USER && p->type->elem == type_int(4, true));
		const struct type_member *name = type_member_find(outer, "name");
		CHECK(name && name->offset == 16 && name->type == type_char_array_str(a, 6)); /* u8[6] too */
		const struct type_member *loop = type_member_find(outer, "loop");
		CHECK(loop && loop->offset == 24 && loop->type->kind == TY_PTR);
		unsigned char rec[32] = { 0 };
		rec[4] = 0xb5; /* y = 0b10110, x = 0b101 */
		CHECK(x && type_load_bitfield(x, rec) == 5 && y && type_load_bitfield(y, rec) == 22);
	}
	/* loops end (as something) instead of recursing forever */
	kbtf_type(a, "loop_t");
	CHECK(kbtf_type_by_id(a, 6) && kbtf_type_by_id(a, 6)->kind == TY_PTR);
	CHECK(kbtf_type_by_id(a, 8) == type_int(8, false)); /* double: its bits */
	const struct type *big = kbtf_type(a, "enum big");
	CHECK(big && big->kind == TY_ENUM && big->size == 8 && big->is_signed && big->nenumerators == 2);
	CHECK(big && big->enumerators[0].value == -5 && big->enumerators[1].value == 7);
	int64_t v = 0;
	const struct type *et = NULL;
	CHECK(kbtf_enum_value(a, "BIG_NEG", &v, &et) && v == -5 && et == big);
	const struct type *u = kbtf_type(a, "union opaque_u");
	CHECK(u && u->rkind == REC_UNION && u->incomplete && !kbtf_complete(a, u));
	CHECK(kbtf_type_by_id(a, 18) && kbtf_type_by_id(a, 18)->elem == u);
	const struct type *dup = kbtf_type(a, "struct dup");
	CHECK(dup && dup->size == 4 && dup->btf_id == 15);
	CHECK(kbtf_type(a, "struct sk_buff") == NULL);
	type_arena_free(a);
	kbtf_unload();
	unsetenv("BPFTRACE_BTF");
	unlink(path);
}

/* The offset of member `name` of struct `sname` in ref (top level only). */
static int64_t member_offset(const char *sname, const char *name)
{
	int32_t id = btf__find_by_name_kind(ref, sname, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(ref, (uint32_t)id) : NULL;
	for (int i = 0; t && i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(ref, btf_members(t)[i].name_off), name) == 0)
			return btf_member_bit_offset(t, (uint32_t)i) / 8;
	return -1;
}

/* task_struct.comm found without loading BTF (the raw scan codegen's
 * `comm` uses) is the one libbpf finds; the verifier's view of loads
 * (kbtf_direct_load) on task_struct. */
static void test_direct_loads(void)
{
	kbtf_unload();
	int32_t task = 0;
	uint32_t comm = 0;
	bool scanned = kbtf_task_comm(&task, &comm);
	CHECK(!kbtf_loaded()); /* `comm` alone never loads BTF */
	if (!scanned) {
		printf("test_btf: no bpf_get_current_task_btf, direct loads not checked\n");
		return;
	}
	int32_t want = btf__find_by_name_kind(ref, "task_struct", BTF_KIND_STRUCT);
	CHECK(task == want);
	CHECK((int64_t)comm == member_offset("task_struct", "comm"));
	int32_t to = 0;
	uint32_t tgid = (uint32_t)member_offset("task_struct", "tgid");
	uint32_t parent = (uint32_t)member_offset("task_struct", "real_parent");
	CHECK(kbtf_direct_load(task, tgid, 4, &to) == KBTF_LOAD_SCALAR);
	CHECK(kbtf_direct_load(task, tgid, 2, &to) == KBTF_LOAD_SCALAR);
	CHECK(kbtf_direct_load(task, tgid, 8, &to) == KBTF_LOAD_NONE); /* past the member */
	CHECK(kbtf_direct_load(task, parent, 8, &to) == KBTF_LOAD_PTR && to == task);
	CHECK(kbtf_direct_load(task, parent, 4, &to) == KBTF_LOAD_NONE); /* half a pointer */
	CHECK(kbtf_direct_load(task, comm, 8, &to) == KBTF_LOAD_SCALAR);
	CHECK(kbtf_direct_load(task, comm + 8, 8, &to) == KBTF_LOAD_SCALAR);
	CHECK(kbtf_direct_load(task, comm + 12, 8, &to) == KBTF_LOAD_NONE); /* past the array */
	CHECK(kbtf_direct_load(task, 1u << 20, 8, &to) == KBTF_LOAD_NONE);
	CHECK(kbtf_direct_load(0, 0, 8, &to) == KBTF_LOAD_NONE);
	/* an embedded struct: se.vruntime */
	int64_t se = member_offset("task_struct", "se"), vr = member_offset("sched_entity", "vruntime");
	if (se >= 0 && vr >= 0)
		CHECK(kbtf_direct_load(task, (uint32_t)(se + vr), 8, &to) == KBTF_LOAD_SCALAR);
	/* with BTF loaded, libbpf's copy gives the same */
	CHECK(kbtf_available());
	int32_t task2 = 0;
	uint32_t comm2 = 0;
	CHECK(kbtf_task_comm(&task2, &comm2) && task2 == task && comm2 == comm);
	CHECK(kbtf_task_btf_loads());
}

int main(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		printf("skipped: /sys/kernel/btf/vmlinux is not readable\n");
		return 77;
	}
	unsetenv("BPFTRACE_BTF");
	struct type_arena *a = type_arena_new();
	test_lazy(a);
	ref = btf__load_vmlinux_btf();
	if (!ref) {
		printf("skipped: libbpf cannot read vmlinux BTF\n");
		return 77;
	}
	test_direct_loads();
	test_task_struct(a);
	test_anonymous_members(a);
	test_names(a);
	test_enums(a);
	test_forward_declarations(a);
	test_closest_member(a);
	test_tracepoints(a);
	type_arena_free(a);
	test_many_lookups();
	test_btf_file();
	test_custom_btf();
	btf__free(ref);
	return failures != 0;
}
