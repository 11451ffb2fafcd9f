/* groupidx.c - indexes over program groups, so that grouping and sharing
 * stay n log n for scripts of thousands of probes.
 *
 * probes.c used to compare every pair of groups: to find a target's group,
 * to tell which groups run the same program, to find groups whose actions
 * are the same code. At 1,000 distinct tracepoints those pairwise passes
 * were about a third of sonde's compile time. Here the target names are in
 * a hash table, program names are sorted once, and candidates for sharing
 * are bucketed by a hash of what the exact comparison looks at; the exact
 * comparison still decides within a bucket, so the result is the one the
 * pairwise passes gave. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

static uint64_t mix(uint64_t h, uint64_t v)
{
	/* FNV-1a over the value's bytes, one 64-bit step */
	h ^= v;
	h *= 1099511628211ull;
	return h ^ (h >> 29);
}

uint64_t sema_hash_start(void)
{
	return UTIL_FNV_BASIS;
}

uint64_t sema_hash_add(uint64_t h, uint64_t v)
{
	return mix(h, v);
}

/* ---- target names --------------------------------------------------------- */

static uint64_t name_hash(const char *name)
{
	return util_fnv1a64(name, strlen(name), UTIL_FNV_BASIS);
}

static uint64_t group_name_hash(const void *groups, int index)
{
	return name_hash(((const struct prog_group *)groups)[index].target.name);
}

struct name_query {
	const struct prog_group *groups;
	const char *name;
};

static bool group_named(const void *query, int index)
{
	const struct name_query *q = query;
	return strcmp(q->groups[index].target.name, q->name) == 0;
}

int sema_name_table_find(const struct util_hash_index *t, const struct prog_group *groups, const char *name)
{
	struct name_query q = { groups, name };
	return util_hash_index_find(t, name_hash(name), group_named, &q);
}

void sema_name_table_add(struct util_hash_index *t, const struct prog_group *groups, int index)
{
	util_hash_index_add(t, index, group_name_hash, groups);
}

/* ---- program names ------------------------------------------------------- */

int *sema_first_of_program(const struct sema *s, const bool *in)
{
	int *first = xcalloc((size_t)s->ngroups + 1, sizeof(*first));
	struct util_name_index *v = xcalloc((size_t)s->ngroups + 1, sizeof(*v));
	int n = 0;
	for (int i = 0; i < s->ngroups; i++) {
		first[i] = -1;
		if (!in || in[i])
			v[n++] = (struct util_name_index){ s->groups[i].prog_name, i };
	}
	util_sort(v, (size_t)n, sizeof(*v), util_name_index_cmp);
	for (int i = 0; i < n; i++)
		first[v[i].index] = i > 0 && strcmp(v[i - 1].name, v[i].name) == 0 ? first[v[i - 1].index]
									      : v[i].index;
	free(v);
	return first;
}

/* ---- merging groups ------------------------------------------------------- */

struct hashed {
	uint64_t hash;
	int index;
};

static int hashed_cmp(const void *a, const void *b)
{
	const struct hashed *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* One run of equal hashes, in group order: each group that may join goes
 * to the first lead before it that matches; one that joins none and may
 * lead becomes a lead. That is what comparing every later group with each
 * lead in turn gives, since a group's fate depends only on earlier ones. */
static void merge_run(const struct sema_merge *m, const struct hashed *run, int n, int *into, int *leads)
{
	int nleads = 0;
	for (int k = 0; k < n; k++) {
		int g = run[k].index;
		if (m->may_join[g])
			for (int l = 0; l < nleads && into[g] < 0; l++)
				if (m->match(m->s, leads[l], g))
					into[g] = leads[l];
		if (into[g] < 0 && m->may_lead[g])
			leads[nleads++] = g;
	}
}

int *sema_merge_groups(const struct sema_merge *m)
{
	int n = m->s->ngroups;
	int *into = xcalloc((size_t)n + 1, sizeof(*into));
	struct hashed *v = xcalloc((size_t)n + 1, sizeof(*v));
	int nv = 0;
	for (int i = 0; i < n; i++) {
		into[i] = -1;
		if (m->may_lead[i] || m->may_join[i])
			v[nv++] = (struct hashed){ m->hash[i], i };
	}
	util_sort(v, (size_t)nv, sizeof(*v), hashed_cmp);
	int *leads = xcalloc((size_t)nv + 1, sizeof(*leads));
	for (int start = 0, end; start < nv; start = end) {
		for (end = start + 1; end < nv && v[end].hash == v[start].hash; end++)
			;
		merge_run(m, v + start, end - start, into, leads);
	}
	free(leads);
	free(v);
	return into;
}

/* ---- the shape of typed code ---------------------------------------------- */

static uint64_t type_hash(const struct type *t)
{
	/* type_equal() types have one kind; finer would have to follow it */
	return t ? (uint64_t)t->kind + 1 : 0;
}

uint64_t sema_tree_hash(uint64_t h, const struct node *n)
{
	for (; n; n = n->next) {
		uint64_t flags = (uint64_t)n->is_prefix | (uint64_t)n->is_arrow << 1 | (uint64_t)n->is_unsigned << 2 |
				 (uint64_t)n->is_negative << 3 | (uint64_t)n->no_semicolon << 4 |
				 (uint64_t)n->is_discard << 5;
		h = mix(h, (uint64_t)n->kind << 32 | (uint32_t)n->op);
		h = mix(h, flags << 32 | (uint32_t)n->as);
		h = mix(h, n->ival);
		h = mix(h, (uint64_t)(uint32_t)n->index);
		h = mix(h, (uint64_t)(uintptr_t)n->builtin ^ (uint64_t)(uintptr_t)n->func << 1 ^
				   (uint64_t)(uintptr_t)n->member << 2);
		if (n->name)
			h = util_fnv1a64(n->name, strlen(n->name) + 1, h);
		h = mix(h, n->str_len);
		if (n->str_len)
			h = util_fnv1a64(n->str, n->str_len, h);
		h = mix(h, n->map ? (uint64_t)n->map->id + 1 : 0);
		h = mix(h, n->var ? ((uint64_t)n->var->index + 1) << 8 | type_hash(n->var->type) : 0);
		h = mix(h, type_hash(n->type));
		const struct node *kids[] = { n->lhs, n->rhs, n->cond, n->then, n->els, n->args, n->body };
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			h = sema_tree_hash(mix(h, i), kids[i]);
	}
	return mix(h, 0xe0d);
}
