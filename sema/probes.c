/* probes.c - attach points to BPF programs.
 *
 * Every attach point is expanded by its provider into concrete targets
 * (wildcards resolved). All script probes that land on the same target are
 * merged into one program, one prog_group, because the kernel allows only 64
 * BPF programs per tracepoint system-wide and because one program per event
 * is cheaper than several. Groups keep the order in which targets first
 * appear; the actions in a group keep script order. Targets lowered to a
 * raw tracepoint (probe_lowering) keep their own group, so sema checks
 * `args` and `probe` against the tracepoint as written, but all groups
 * lowered to one raw tracepoint share one program name: codegen emits them
 * as one program, the runtime attaches it once. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "sema_internal.h"

/* "p3_tracepoint_syscalls_sys_enter_read": unique by its index, a C
 * identifier, short enough for any symbol table. */
static char *make_prog_name(int index, const char *name)
{
	char *out = xasprintf("p%d_%s", index, name);
	size_t len = strlen(out);
	if (len > SEMA_PROG_NAME_MAX)
		out[len = SEMA_PROG_NAME_MAX] = '\0';
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)out[i]))
			out[i] = '_';
	return out;
}

static void probe_add_group(struct probe *p, int g, bool new_group)
{
	for (int i = 0; i < p->ntargets && !new_group; i++)
		if (p->targets[i] == g)
			return;
	p->targets = xrealloc(p->targets, sizeof(int) * (size_t)(p->ntargets + 1));
	p->targets[p->ntargets++] = g;
}

static void group_add_action(struct prog_group *g, struct probe *p, bool new_group)
{
	for (int i = 0; i < g->nactions && !new_group; i++)
		if (g->actions[i] == p)
			return; /* listed twice on one target: attached once */
	g->actions = xrealloc(g->actions, sizeof(*g->actions) * (size_t)(g->nactions + 1));
	g->actions[g->nactions++] = p;
}

/* Takes ownership of *t (its strings) unless the target is already grouped
 * (by_name finds it). */
static int group_target(struct sema *s, struct util_hash_index *by_name, struct probe_target *t)
{
	int g = sema_name_table_find(by_name, s->groups, t->name);
	if (g >= 0) {
		free(t->name);
		free(t->target);
		return g;
	}
	s->groups = xrealloc(s->groups, sizeof(*s->groups) * (size_t)(s->ngroups + 1));
	struct prog_group *grp = &s->groups[s->ngroups];
	memset(grp, 0, sizeof(*grp));
	grp->target = *t;
	grp->prov = probe_provider_of(t->type);
	const char *raw_tp = probe_lowering_raw_tp(t->lower.kind);
	/* lowered targets share one program per raw tracepoint; no "p<N>_"
	 * name starts with "raw_", so this one cannot collide */
	grp->prog_name = raw_tp ? xasprintf("raw_%s", raw_tp) : make_prog_name(s->ngroups, t->name);
	sema_name_table_add(by_name, s->groups, s->ngroups);
	return s->ngroups++;
}

/* --probe-filter runs a subset of a script's probes; BEGIN and END set up
 * and report, so they always run (as in bpftrace). */
static bool filtered_out(const struct sema *s, const struct probe_target *t)
{
	if (!s->opt->probe_filter || t->type == PT_BEGIN || t->type == PT_END)
		return false;
	return regexec(s->opt->probe_filter, t->name, 0, NULL, 0) != 0;
}

/* Expand one attach point. With missing_probes = warn or ignore (the
 * config), one that cannot be expanded (a function or tracepoint that is
 * not there) is skipped, with a warning giving the reason for warn; its
 * probe runs on its other attach points, if any. */
static int expand_point(struct sema *s, const struct attach_point *ap, struct probe_target **targets,
			int *n)
{
	probe_set_unsafe(s->opt->unsafe);
	if (!s->opt->missing_probes)
		return probe_expand(ap, s->d, targets, n);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return probe_expand(ap, s->d, targets, n);
	struct diag quiet;
	diag_init(&quiet, s->d->src, mem);
	int rc = probe_expand(ap, &quiet, targets, n);
	fclose(mem);
	if (rc != 0 && s->opt->missing_probes == 1) {
		/* the first line: "file:l:c: error: why" */
		const char *why = text ? strstr(text, "error: ") : NULL;
		size_t wlen = why ? strcspn(why + 7, "\n") : 0;
		diag_warning(s->d, ap->loc, "attach point '%s' skipped (missing_probes = warn): %.*s",
			     ap->text, (int)wlen, why ? why + 7 : "");
	}
	free(text);
	if (rc != 0) {
		probe_targets_free(*targets, *n);
		*targets = NULL;
		*n = 0;
		return 1; /* skipped */
	}
	return 0;
}

/* The attach point each group was first created from, for desc_probe.loc. */
static void group_probe(struct sema *s, struct util_hash_index *by_name, struct probe *p, srcloc **locs)
{
	struct probe_state *ps = &s->pstate[p->index];
	for (struct attach_point *ap = p->points; ap; ap = ap->next) {
		struct probe_target *targets = NULL;
		int n = 0;
		if (ap->unusable)
			continue;
		int rc = expand_point(s, ap, &targets, &n);
		if (rc == 1)
			continue;
		if (rc != 0) {
			probe_targets_free(targets, n);
			ps->expand_failed = true;
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (filtered_out(s, &targets[i])) {
				free(targets[i].name);
				free(targets[i].target);
				continue;
			}
			int before = s->ngroups;
			int g = group_target(s, by_name, &targets[i]);
			if (g == before) {
				*locs = xrealloc(*locs, sizeof(**locs) * (size_t)s->ngroups);
				(*locs)[g] = ap->loc;
			}
			/* a new group is in no list yet: no need to look */
			group_add_action(&s->groups[g], p, g == before);
			probe_add_group(p, g, g == before);
		}
		free(targets); /* the strings now belong to groups or were freed */
	}
}

/* Lowering a syscalls:* tracepoint makes every syscall on the system run
 * the raw program (about +45 ns each on syscalls nobody traces, see
 * probes/syscalls.c) to save ~40 ms of detach per probe at exit. That pays
 * when a raw_syscalls probe already runs on every syscall of that raw
 * tracepoint, or when there are enough syscall probes that detaching them
 * one by one would take a noticeable time; a long session with one or two
 * syscall probes is cheaper on the perf-event path. */
#define SEMA_LOWER_MIN_SYSCALL_PROBES 3

static bool lowering_pays(const struct sema *s, enum lower_kind kind)
{
	int nsyscall = 0;
	for (int i = 0; i < s->ngroups; i++) {
		const struct probe_lowering *l = &s->groups[i].target.lower;
		if (l->kind == kind && l->nr < 0)
			return true; /* raw_syscalls: runs on every syscall anyway */
		if (l->kind != LOWER_NONE && l->nr >= 0)
			nsyscall++;
	}
	return nsyscall >= SEMA_LOWER_MIN_SYSCALL_PROBES;
}

static void unlower_where_it_does_not_pay(struct sema *s)
{
	if (probe_lowering_mode() != LOWERING_WHEN_IT_PAYS)
		return;
	bool pays[] = { false, lowering_pays(s, LOWER_SYS_ENTER), lowering_pays(s, LOWER_SYS_EXIT) };
	for (int i = 0; i < s->ngroups; i++) {
		struct prog_group *g = &s->groups[i];
		if (g->target.lower.kind == LOWER_NONE || pays[g->target.lower.kind])
			continue;
		memset(&g->target.lower, 0, sizeof(g->target.lower));
		free(g->prog_name);
		g->prog_name = make_prog_name(i, g->target.name);
	}
}

/* LLVM's work on one function grows faster than its size: a lowered
 * program holding 720 separate probes compiled at 3 ms a probe where 100
 * probes took 1.3 ms. So a raw program holds at most this many distinct
 * actions; more probes make more programs on the same raw tracepoint, each
 * syscall then running one more program per this many probes. */
#define SEMA_LOWERED_ACTIONS_MAX 64

/* chunk_of[probe index]: its chunk, -1 before its first group; *nseen
 * counts the probes placed so far. */
static int action_chunk(int *chunk_of, int *nseen, const struct probe *p)
{
	if (chunk_of[p->index] < 0)
		chunk_of[p->index] = (*nseen)++ / SEMA_LOWERED_ACTIONS_MAX;
	return chunk_of[p->index];
}

/* Name each lowered group's program "raw_<tp>_<chunk>": a group goes where
 * its first action already is, so a wildcard's targets stay together. */
static void chunk_lowered_programs(struct sema *s)
{
	int *chunk_of = xcalloc((size_t)s->nprobes + 1, sizeof(*chunk_of));
	for (int kind = LOWER_SYS_ENTER; kind <= LOWER_SYS_EXIT; kind++) {
		for (int i = 0; i < s->nprobes; i++)
			chunk_of[i] = -1;
		int nseen = 0;
		for (int i = 0; i < s->ngroups; i++) {
			struct prog_group *g = &s->groups[i];
			if ((int)g->target.lower.kind != kind || g->nactions == 0)
				continue;
			int chunk = action_chunk(chunk_of, &nseen, g->actions[0]);
			for (int a = 1; a < g->nactions; a++)
				action_chunk(chunk_of, &nseen, g->actions[a]);
			free(g->prog_name);
			g->prog_name = xasprintf("raw_%s_%d", probe_lowering_raw_tp(g->target.lower.kind), chunk);
		}
	}
	free(chunk_of);
}

/* bpftrace's two limits: attach points (max_probes) and BPF programs
 * (max_bpf_progs; lowered syscall probes share programs, so there may be
 * fewer programs than probes). The error is on the first probe over. */
static void check_program_count(struct sema *s)
{
	int max_probes = s->opt->max_probes > 0 ? s->opt->max_probes : SEMA_DEFAULT_MAX_PROBES;
	int max_programs = s->opt->max_programs > 0 ? s->opt->max_programs
						     : SEMA_DEFAULT_MAX_PROGRAMS;
	if (s->ngroups > max_probes) {
		diag_error(s->d, s->group_locs[max_probes],
			   "too many probes: this attaches %d, more than the limit of %d "
			   "(BPFTRACE_MAX_PROBES raises it)", s->ngroups, max_probes);
		return;
	}
	int programs = 0, first_over = -1;
	bool *may_share = xcalloc((size_t)s->ngroups + 1, sizeof(*may_share));
	for (int i = 0; i < s->ngroups; i++)
		may_share[i] = s->groups[i].target.lower.kind != LOWER_NONE ||
			       (s->groups[i].prov && s->groups[i].prov->can_share);
	int *first = sema_first_of_program(s, may_share);
	for (int i = 0; i < s->ngroups; i++) {
		if (may_share[i] && first[i] != i)
			continue; /* lowered and shared groups share their program */
		if (++programs > max_programs && first_over < 0)
			first_over = i;
	}
	free(first);
	free(may_share);
	if (first_over >= 0)
		diag_error(s->d, s->group_locs[first_over],
			   "too many BPF programs: this needs %d, more than the limit of %d "
			   "(BPFTRACE_MAX_BPF_PROGS raises it)", programs, max_programs);
}

/* Whether a node of `kind` (N_BUILTIN, N_CALL) named `name` is in n's tree. */
static bool node_uses(const struct node *n, int kind, const char *name)
{
	for (; n; n = n->next) {
		if ((int)n->kind == kind && n->name && strcmp(n->name, name) == 0)
			return true;
		const struct node *kids[] = { n->lhs, n->rhs, n->cond, n->then, n->els, n->args, n->body };
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			if (node_uses(kids[i], kind, name))
				return true;
	}
	return false;
}

static bool node_uses_builtin(const struct node *n, const char *name)
{
	return node_uses(n, N_BUILTIN, name);
}

static bool node_uses_call(const struct node *n, const char *name)
{
	return node_uses(n, N_CALL, name);
}

static bool node_uses_args(const struct node *n)
{
	return node_uses_builtin(n, "args");
}

/* The builtins whose code differs from target to target: a program
 * shared by several targets cannot hold them. */
static bool action_is_target_independent(const struct probe *p)
{
	static const char *const per_target[] = { "probe", "args", "func" };
	for (size_t i = 0; i < sizeof(per_target) / sizeof(per_target[0]); i++)
		if (node_uses_builtin(p->pred, per_target[i]) || node_uses_builtin(p->body, per_target[i]))
			return false;
	/* uaddr() in a PIE: where the probe sits in the file (uprobe.c) */
	return !node_uses_call(p->pred, "uaddr") && !node_uses_call(p->body, "uaddr");
}

/* Whether every action of g is target-independent (memo: by probe index,
 * 0 unknown, 1 yes, 2 no). */
static bool actions_target_independent(const struct prog_group *g, signed char *memo)
{
	for (int i = 0; i < g->nactions; i++) {
		const struct probe *p = g->actions[i];
		if (!memo[p->index])
			memo[p->index] = action_is_target_independent(p) ? 1 : 2;
		if (memo[p->index] != 1)
			return false;
	}
	return true;
}

static bool same_action_list(const struct prog_group *a, const struct prog_group *b)
{
	if (a->nactions != b->nactions)
		return false;
	for (int i = 0; i < a->nactions; i++)
		if (a->actions[i] != b->actions[i])
			return false;
	return true;
}

/* Both run only target-independent actions (share_programs). */
static bool same_program_targets(const struct sema *s, int lead, int g)
{
	const struct prog_group *a = &s->groups[lead], *b = &s->groups[g];
	return b->prov == a->prov && same_action_list(a, b) && a->prov->can_share(&a->target, &b->target);
}

/* Groups whose provider can serve several targets with one program and one
 * link (uprobe_multi) share the first one's program when they run the same
 * target-independent actions: a wildcard over 1,000 functions is then one
 * program to compile and load, and one attach. */
static void share_programs(struct sema *s)
{
	size_t n = (size_t)s->ngroups + 1;
	bool *may_join = xcalloc(n, sizeof(bool)), *may_lead = xcalloc(n, sizeof(bool));
	uint64_t *hash = xcalloc(n, sizeof(*hash));
	signed char *memo = xcalloc((size_t)s->nprobes + 1, 1);
	for (int i = 0; i < s->ngroups; i++) {
		const struct prog_group *g = &s->groups[i];
		may_join[i] = g->prov && g->prov->can_share && actions_target_independent(g, memo);
		may_lead[i] = may_join[i] && g->target.lower.kind == LOWER_NONE;
		uint64_t h = sema_hash_add(sema_hash_start(), (uint64_t)(uintptr_t)g->prov);
		h = sema_hash_add(h, (uint64_t)g->nactions);
		for (int a = 0; a < g->nactions; a++)
			h = sema_hash_add(h, (uint64_t)g->actions[a]->index);
		hash[i] = h;
	}
	struct sema_merge m = { s, hash, may_lead, may_join, same_program_targets };
	int *into = sema_merge_groups(&m);
	for (int j = 0; j < s->ngroups; j++) {
		if (into[j] < 0)
			continue;
		free(s->groups[j].prog_name);
		s->groups[j].prog_name = xstrdup(s->groups[into[j]].prog_name);
	}
	free(into);
	free(memo);
	free(hash);
	free(may_lead);
	free(may_join);
}

/* ---- sharing separate probes with the same code ---- */

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Two typed subtrees of different probes that generate the same code:
 * the same syntax and types, maps, variable slots and builtins. Anything
 * the comparison cannot vouch for (a cast's written type, a printf's own
 * description entry) makes them different. */
static bool same_tree(const struct node *a, const struct node *b)
{
	for (; a || b; a = a->next, b = b->next) {
		if (!a || !b || a->kind != b->kind || a->op != b->op || a->is_prefix != b->is_prefix ||
		    a->is_arrow != b->is_arrow || a->is_unsigned != b->is_unsigned ||
		    a->is_negative != b->is_negative || a->no_semicolon != b->no_semicolon ||
		    a->is_discard != b->is_discard || a->as != b->as || a->ival != b->ival ||
		    a->index != b->index || a->spec || b->spec || a->members || b->members ||
		    a->builtin != b->builtin || a->func != b->func || a->member != b->member ||
		    !same_str(a->name, b->name) || a->str_len != b->str_len ||
		    (a->str_len && memcmp(a->str, b->str, a->str_len) != 0) ||
		    (a->map ? !b->map || a->map->id != b->map->id : b->map != NULL) ||
		    (a->var ? !b->var || a->var->index != b->var->index || !type_equal(a->var->type, b->var->type)
			    : b->var != NULL) ||
		    (a->type != b->type && (!a->type || !b->type || !type_equal(a->type, b->type))))
			return false;
		if (!same_tree(a->lhs, b->lhs) || !same_tree(a->rhs, b->rhs) || !same_tree(a->cond, b->cond) ||
		    !same_tree(a->then, b->then) || !same_tree(a->els, b->els) || !same_tree(a->args, b->args) ||
		    !same_tree(a->body, b->body))
			return false;
	}
	return true;
}

/* bpf_get_attach_cookie() in perf-event programs: Linux 5.15. */
static bool kernel_has_attach_cookie(void)
{
	static int known = -1; /* asked for every group */
	if (known < 0) {
		struct utsname u;
		unsigned major = 0, minor = 0;
		known = uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
			(major > 5 || (major == 5 && minor >= 15));
	}
	return known == 1;
}

static bool shareable_action(const struct probe *p, bool probe_ok)
{
	static const char *const per_target[] = { "args", "func", "ctx" };
	for (size_t i = 0; i < sizeof(per_target) / sizeof(per_target[0]); i++)
		if (node_uses_builtin(p->pred, per_target[i]) || node_uses_builtin(p->body, per_target[i]))
			return false;
	return probe_ok || (!node_uses_builtin(p->pred, "probe") && !node_uses_builtin(p->body, "probe"));
}

static bool shareable_group(const struct prog_group *g)
{
	bool probe_ok = g->prov->probe_by_cookie && kernel_has_attach_cookie();
	for (int i = 0; i < g->nactions; i++)
		if (!shareable_action(g->actions[i], probe_ok))
			return false;
	return true;
}

bool sema_same_action_code(const struct probe *p, const struct probe *q)
{
	return p == q || (shareable_action(p, true) && shareable_action(q, true) && p->nvars == q->nvars &&
			  same_tree(p->pred, q->pred) && same_tree(p->body, q->body));
}

/* Both groups are shareable_group()s. */
static bool same_code(const struct prog_group *a, const struct prog_group *b)
{
	if (a->nactions != b->nactions || a->prov != b->prov)
		return false;
	for (int i = 0; i < a->nactions; i++) {
		const struct probe *p = a->actions[i], *q = b->actions[i];
		if (p->nvars != q->nvars || !same_tree(p->pred, q->pred) || !same_tree(p->body, q->body))
			return false;
	}
	return true;
}

/* What same_code() compares, hashed. */
static uint64_t code_hash(const struct prog_group *g)
{
	uint64_t h = sema_hash_add(sema_hash_start(), (uint64_t)(uintptr_t)g->prov);
	h = sema_hash_add(h, (uint64_t)g->nactions);
	for (int i = 0; i < g->nactions; i++) {
		const struct probe *p = g->actions[i];
		h = sema_hash_add(h, (uint64_t)p->nvars);
		h = sema_tree_hash(sema_tree_hash(h, p->pred), p->body);
	}
	return h;
}

static bool same_program_code(const struct sema *s, int lead, int g)
{
	const struct prog_group *a = &s->groups[lead], *b = &s->groups[g];
	return b->prov == a->prov && a->prov->can_share(&a->target, &b->target) && same_code(a, b);
}

void sema_share_identical_programs(struct sema *s)
{
	size_t n = (size_t)s->ngroups + 1;
	/* leads[i]: group i holds its program's actions (the program's first
	 * group) and may share it */
	bool *leads = xcalloc(n, sizeof(*leads));
	uint64_t *hash = xcalloc(n, sizeof(*hash));
	int *first = sema_first_of_program(s, NULL);
	for (int i = 0; i < s->ngroups; i++) {
		const struct prog_group *g = &s->groups[i];
		leads[i] = first[i] == i && g->prov && g->prov->can_share && g->prov->probe_by_cookie &&
			   g->target.lower.kind == LOWER_NONE && shareable_group(g);
		if (leads[i])
			hash[i] = code_hash(g);
	}
	struct sema_merge m = { s, hash, leads, leads, same_program_code };
	int *into = sema_merge_groups(&m);
	/* the groups that ran a merged group's program run its lead's now;
	 * a lead that stays is never renamed, so its name is final */
	for (int k = 0; k < s->ngroups; k++) {
		int lead = into[first[k]];
		if (lead < 0)
			continue;
		free(s->groups[k].prog_name);
		s->groups[k].prog_name = xstrdup(s->groups[lead].prog_name);
	}
	free(into);
	free(first);
	free(hash);
	free(leads);
}

/* The names of the builtins and functions read by n (and its siblings). */
static void collect_uses(const struct node *n, const char ***names, int *count)
{
	for (; n; n = n->next) {
		if ((n->kind == N_BUILTIN || n->kind == N_CALL) && n->name) {
			*names = xrealloc(*names, sizeof(**names) * (size_t)(*count + 1));
			(*names)[(*count)++] = n->name;
		}
		const struct node *kids[] = { n->lhs, n->rhs, n->cond, n->then, n->els, n->args, n->body };
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			collect_uses(kids[i], names, count);
	}
}

/* Let providers implement a target another way now that its actions are
 * known (kprobe -> fentry). Groups whose program is shared keep theirs. */
void sema_choose_implementations(struct sema *s)
{
	/* users[first group of a program]: the groups running it */
	int *first = sema_first_of_program(s, NULL);
	int *users = xcalloc((size_t)s->ngroups + 1, sizeof(*users));
	for (int i = 0; i < s->ngroups; i++)
		users[first[i]]++;
	for (int i = 0; i < s->ngroups; i++) {
		struct prog_group *g = &s->groups[i];
		if (!g->prov || !g->prov->choose_impl)
			continue;
		const char **names = NULL;
		int count = 0;
		for (int a = 0; a < g->nactions; a++) {
			collect_uses(g->actions[a]->pred, &names, &count);
			collect_uses(g->actions[a]->body, &names, &count);
		}
		bool shared = users[first[i]] > 1;
		struct probe_uses u = { names, count, shared };
		g->prov->choose_impl(&g->target, &u);
		free(names);
	}
	free(users);
	free(first);
}

/* What `args` is in each program: the provider says (tracepoint records
 * from BTF or the format file). Asked only for actions that read `args`,
 * so a script that never does loads no BTF for it. */
static void type_group_args(struct sema *s)
{
	for (int i = 0; i < s->ngroups; i++) {
		struct prog_group *g = &s->groups[i];
		bool used = false;
		for (int a = 0; a < g->nactions && !used; a++)
			used = node_uses_args(g->actions[a]->pred) || node_uses_args(g->actions[a]->body);
		if (used && g->prov && g->prov->args_type)
			g->args = g->prov->args_type(&g->target, s->prog->types, s->d, s->group_locs[i]);
	}
}

int sema_group_probes(struct sema *s)
{
	int errors = s->d->errors;
	struct util_hash_index by_name = { 0 };
	for (struct probe *p = s->prog->probes; p; p = p->next)
		group_probe(s, &by_name, p, &s->group_locs);
	util_hash_index_free(&by_name);
	if (s->opt->probe_filter && s->ngroups == 0 && s->d->errors == errors)
		diag_error(s->d, (srcloc){ 0 }, "no probes to attach: --probe-filter matches none of the script's probes");
	else if (s->opt->missing_probes && s->ngroups == 0 && s->d->errors == errors)
		diag_error(s->d, (srcloc){ 0 }, "no probes to attach: every attach point is missing");
	unlower_where_it_does_not_pay(s);
	chunk_lowered_programs(s);
	share_programs(s);
	check_program_count(s);
	type_group_args(s);
	return s->d->errors > errors ? -1 : 0;
}

void sema_fill_desc_probes(struct sema *s, struct desc *desc)
{
	desc->nprobes = s->ngroups;
	desc->probes = xcalloc((size_t)s->ngroups, sizeof(*desc->probes));
	int *first = sema_first_of_program(s, NULL);
	for (int i = 0; i < s->ngroups; i++) {
		const struct probe_target *t = &s->groups[i].target;
		struct desc_probe *dp = &desc->probes[i];
		dp->type = t->type;
		dp->name = xstrdup(t->name);
		dp->target = xstrdup(t->target ? t->target : "");
		dp->prog_name = xstrdup(s->groups[i].prog_name);
		dp->loc = s->group_locs[i];
		dp->nblocks = (uint32_t)s->groups[i].nactions;
		const struct probe_provider *prov = s->groups[i].prov;
		if (prov && prov->attach_params)
			dp->params = prov->attach_params(t, &dp->deps);
		dp->shares_program = first[i] != i;
	}
	free(first);
}

void sema_groups_free(struct prog_group *g, int n)
{
	for (int i = 0; i < n; i++) {
		free(g[i].target.name);
		free(g[i].target.target);
		free(g[i].actions);
		free(g[i].prog_name);
	}
	free(g);
}
