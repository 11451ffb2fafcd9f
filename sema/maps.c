/* maps.c - map kinds, key and value types inferred from every use.
 *
 * A map has one kind for the whole script: a plain value (`@m = expr`,
 * `@m += n`, `@m++`) or one aggregation (`@m = count()`...). The first use
 * that says something decides; every later use must agree, otherwise the
 * error points at the later use with a note at the deciding one. Keys: the
 * same number of parts everywhere, each part int or string throughout
 * (strings as long as the longest). Layouts (offsets, sizes) are computed
 * once all types are settled, and copied into the runtime description. */
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"
#include "suggest.h"

const char *map_kind_name(enum map_kind k)
{
	switch (k) {
	case MAP_COUNT: return "count()";
	case MAP_SUM: return "sum()";
	case MAP_AVG: return "avg()";
	case MAP_MIN: return "min()";
	case MAP_MAX: return "max()";
	case MAP_STATS: return "stats()";
	case MAP_HIST: return "hist()";
	case MAP_LHIST: return "lhist()";
	default: return "a value";
	}
}

static const char *value_desc(struct type t)
{
	return t.kind == TY_STR ? "a string" : "an integer";
}

static const char *map_desc(const struct map_info *m)
{
	return m->kind == MAP_PLAIN ? value_desc(m->value) : map_kind_name(m->kind);
}

static struct map_state *state_of(struct sema *s, const struct map_info *m)
{
	return &s->mstate[m->id];
}

struct map_info *sema_map_lookup(struct sema *s, struct node *n)
{
	struct map_info **tail = &s->prog->maps;
	for (; *tail; tail = &(*tail)->next) {
		if (strcmp((*tail)->name, n->name) == 0) {
			n->map = *tail;
			return *tail;
		}
	}
	struct map_info *m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(n->name);
	m->id = s->prog->nmaps++;
	m->first_use = n->loc;
	m->kind = MAP_PLAIN;
	*tail = m;
	if (m->id >= s->mstate_cap) {
		s->mstate_cap = s->mstate_cap ? s->mstate_cap * 2 : 8;
		s->mstate = xrealloc(s->mstate, sizeof(*s->mstate) * (size_t)s->mstate_cap);
	}
	memset(&s->mstate[m->id], 0, sizeof(s->mstate[m->id]));
	s->changes++;
	n->map = m;
	return m;
}

static void check_key_part(struct sema *s, struct map_info *m, int i, struct node *key)
{
	struct type t = key->type;
	char now[32], before[32];
	if (t.kind == TY_NONE)
		return;
	if (t.kind != TY_INT && t.kind != TY_STR) {
		sema_err(s, key->loc, "a map key must be an integer or a string");
		return;
	}
	bool changed = false;
	struct type old = m->keys[i].type;
	if (!sema_merge_value(&m->keys[i].type, t, &changed)) {
		if (m->nkeys == 1)
			sema_err(s, key->loc, "map '%s' key is %s here but %s elsewhere", m->name,
				 type_name(t, now, sizeof(now)), type_name(old, before, sizeof(before)));
		else
			sema_err(s, key->loc, "map '%s' key %d is %s here but %s elsewhere", m->name, i + 1,
				 type_name(t, now, sizeof(now)), type_name(old, before, sizeof(before)));
		sema_note(s, state_of(s, m)->keys_loc, "map '%s' was used with %s key here", m->name,
			  value_desc(old));
	}
	if (changed)
		s->changes++;
}

/* Types the key expressions of an N_MAP and unifies them with the map's. */
void sema_map_keys(struct sema *s, struct map_info *m, struct node *n)
{
	int nkeys = 0;
	for (struct node *k = n->args; k; k = k->next, nkeys++)
		sema_expr(s, k);
	if (nkeys > SONDE_MAX_KEY_PARTS) {
		sema_err(s, n->loc, "a map key can have at most %d parts", SONDE_MAX_KEY_PARTS);
		return;
	}
	struct map_state *st = state_of(s, m);
	if (!st->keys_known) {
		st->keys_known = true;
		st->keys_loc = n->loc;
		m->nkeys = nkeys;
		s->changes++;
	} else if (m->nkeys != nkeys) {
		sema_err(s, n->loc, "map '%s' is used with %d %s here but with %d elsewhere", m->name,
			 nkeys, nkeys == 1 ? "key" : "keys", m->nkeys);
		sema_note(s, st->keys_loc, "map '%s' was used with %d %s here", m->name, m->nkeys,
			  m->nkeys == 1 ? "key" : "keys");
		return;
	}
	int i = 0;
	for (struct node *k = n->args; k; k = k->next, i++)
		check_key_part(s, m, i, k);
}

struct type sema_map_read(struct sema *s, struct node *n)
{
	struct map_info *m = sema_map_lookup(s, n);
	sema_map_keys(s, m, n);
	struct map_state *st = state_of(s, m);
	if (!st->has_value)
		return type_none(); /* reported once by sema_map_check_assigned */
	if (m->kind != MAP_PLAIN) {
		sema_err(s, n->loc, "map '%s' holds %s and cannot be read as a value", m->name,
			 map_kind_name(m->kind));
		sema_note(s, st->value_loc, "map '%s' was used as %s here", m->name, map_desc(m));
		return type_none();
	}
	return m->value;
}

static void report_conflict(struct sema *s, struct map_info *m, const char *now, srcloc loc)
{
	sema_err(s, loc, "map '%s' cannot be assigned %s: it already holds %s", m->name, now,
		 map_desc(m));
	sema_note(s, state_of(s, m)->value_loc, "map '%s' was used as %s here", m->name, map_desc(m));
}

static void decide_plain(struct sema *s, struct map_info *m, srcloc loc)
{
	struct map_state *st = state_of(s, m);
	st->has_value = true;
	st->value_loc = loc;
	m->kind = MAP_PLAIN;
	s->changes++;
}

void sema_map_assign(struct sema *s, struct node *n, struct type value, srcloc loc)
{
	struct map_info *m = n->map;
	struct map_state *st = state_of(s, m);
	st->assign_seen = true;
	if (value.kind == TY_INT || value.kind == TY_STR) {
		if (st->has_value && m->kind != MAP_PLAIN) {
			report_conflict(s, m, value_desc(value), loc);
		} else {
			if (!st->has_value)
				decide_plain(s, m, loc);
			bool changed = false;
			struct type old = m->value;
			if (!sema_merge_value(&m->value, value, &changed)) {
				m->value = old;
				report_conflict(s, m, value_desc(value), loc);
			}
			if (changed)
				s->changes++;
		}
	}
	n->type = st->has_value ? m->value : type_none();
}

static struct type agg_value_type(enum map_kind k)
{
	bool is_signed = !(k == MAP_COUNT || k == MAP_HIST || k == MAP_LHIST);
	return type_int(8, is_signed);
}

static void check_lhist_agreement(struct sema *s, struct map_info *m, struct node *call)
{
	int64_t min, max, step;
	struct map_state *st = state_of(s, m);
	if (!sema_lhist_params(call, &min, &max, &step))
		return;
	if (!st->lhist_set) {
		st->lhist_set = true;
		st->lhist_loc = call->loc;
		m->lhist_min = min;
		m->lhist_max = max;
		m->lhist_step = step;
		s->changes++;
	} else if (min != m->lhist_min || max != m->lhist_max || step != m->lhist_step) {
		sema_err(s, call->loc, "lhist() bounds of map '%s' differ from its other uses", m->name);
		sema_note(s, st->lhist_loc, "map '%s' was used with lhist(..., %lld, %lld, %lld) here",
			  m->name, (long long)m->lhist_min, (long long)m->lhist_max,
			  (long long)m->lhist_step);
	}
}

void sema_map_assign_agg(struct sema *s, struct node *n, struct node *call)
{
	struct map_info *m = n->map;
	struct map_state *st = state_of(s, m);
	st->assign_seen = true;
	if (!call->func)
		return;
	enum map_kind kind = call->func->agg;
	if (!st->has_value) {
		st->has_value = true;
		st->value_loc = call->loc;
		m->kind = kind;
		m->value = agg_value_type(kind);
		s->changes++;
	} else if (m->kind != kind) {
		report_conflict(s, m, map_kind_name(kind), call->loc);
		return;
	}
	n->type = m->value;
	if (kind == MAP_LHIST)
		check_lhist_agreement(s, m, call);
}

void sema_map_compound(struct sema *s, struct node *n, struct type rhs, int op, srcloc loc)
{
	struct map_info *m = n->map;
	struct map_state *st = state_of(s, m);
	st->assign_seen = true;
	if (rhs.kind == TY_NONE)
		return;
	if (rhs.kind != TY_INT) {
		sema_err(s, loc, "cannot use '%s=' with a string operand", binop_spelling(op));
		return;
	}
	if (!st->has_value) {
		decide_plain(s, m, loc);
		m->value = type_int(8, rhs.is_signed);
	} else if (m->kind != MAP_PLAIN || m->value.kind != TY_INT) {
		sema_err(s, loc, "cannot use '%s=' on map '%s': it holds %s", binop_spelling(op),
			 m->name, map_desc(m));
		sema_note(s, st->value_loc, "map '%s' was used as %s here", m->name, map_desc(m));
		return;
	}
	n->type = m->value;
}

struct type sema_map_incdec(struct sema *s, struct node *n, srcloc loc, const char *spelling)
{
	struct map_info *m = n->map;
	struct map_state *st = state_of(s, m);
	st->assign_seen = true;
	if (!st->has_value) {
		decide_plain(s, m, loc);
		m->value = type_int(8, true);
	} else if (m->kind != MAP_PLAIN || m->value.kind != TY_INT) {
		sema_err(s, loc, "cannot apply '%s' to map '%s': it holds %s", spelling, m->name,
			 map_desc(m));
		sema_note(s, st->value_loc, "map '%s' was used as %s here", m->name, map_desc(m));
		return type_none();
	}
	n->type = m->value;
	return m->value;
}

/* "did you mean '@count'?" among the maps that are assigned. */
static void report_never_assigned(struct sema *s, const struct map_info *m)
{
	struct suggestion near;
	suggestion_init(&near, m->name);
	for (struct map_info *o = s->prog->maps; o; o = o->next)
		if (state_of(s, o)->has_value || state_of(s, o)->assign_seen)
			suggestion_consider(&near, o->name);
	if (near.best)
		sema_err(s, m->first_use, "map '%s' is used but never assigned; did you mean '%s'?",
			 m->name, near.best);
	else
		sema_err(s, m->first_use, "map '%s' is used but never assigned", m->name);
	suggestion_free(&near);
}

/* After the loud run. A map assigned only from expressions that failed
 * already has its error; one assigned only from untyped maps (`@x = @x`,
 * `@a = @b; @b = @a;`) has none yet, and must not reach codegen untyped. */
void sema_map_check_assigned(struct sema *s, bool clean)
{
	for (struct map_info *m = s->prog->maps; m; m = m->next) {
		struct map_state *st = state_of(s, m);
		if (!st->has_value && !st->assign_seen) {
			report_never_assigned(s, m);
			clean = false;
		}
	}
	for (struct map_info *m = s->prog->maps; clean && m; m = m->next) {
		struct map_state *st = state_of(s, m);
		if (!st->has_value)
			sema_err(s, m->first_use,
				 "cannot infer the type of map '%s': it is only assigned from maps without a type",
				 m->name);
		for (int i = 0; st->has_value && i < m->nkeys; i++)
			if (m->keys[i].type.kind != TY_INT && m->keys[i].type.kind != TY_STR)
				sema_err(s, m->first_use, "cannot infer the type of key %d of map '%s'", i + 1,
					 m->name);
	}
}

/* Key parts at increasing offsets: ints as 8 bytes, strings padded to 8. */
void sema_map_layout(struct program *p)
{
	for (struct map_info *m = p->maps; m; m = m->next) {
		uint32_t offset = 0;
		for (int i = 0; i < m->nkeys; i++) {
			struct field_layout *k = &m->keys[i];
			k->offset = offset;
			offset += k->type.kind == TY_STR ? sema_round8(k->type.size) : 8;
		}
		m->key_size = m->nkeys ? offset : 8;
	}
}

static uint32_t value_size(const struct map_info *m)
{
	switch (m->kind) {
	case MAP_PLAIN:
		return m->value.kind == TY_STR ? sema_round8(m->value.size) : 8;
	case MAP_AVG:
	case MAP_STATS:
	case MAP_MIN:
	case MAP_MAX:
		return 16;
	default:
		return 8;
	}
}

/* "m3_bytes": a C identifier unique by its index ("@" gives "m0"). */
static char *bpf_map_name(const struct map_info *m)
{
	const char *base = m->name[0] == '@' ? m->name + 1 : m->name;
	char *name = *base ? xasprintf("m%d_%.40s", m->id, base) : xasprintf("m%d", m->id);
	for (char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
			*c = '_';
	return name;
}

void sema_fill_desc_maps(struct sema *s, struct desc *desc)
{
	desc->nmaps = s->prog->nmaps;
	desc->maps = xcalloc((size_t)desc->nmaps, sizeof(*desc->maps));
	for (struct map_info *m = s->prog->maps; m; m = m->next) {
		struct desc_map *dm = &desc->maps[m->id];
		dm->name = xstrdup(m->name);
		dm->bpf_name = bpf_map_name(m);
		dm->kind = m->kind;
		dm->nkeys = m->nkeys;
		memcpy(dm->keys, m->keys, sizeof(dm->keys));
		dm->key_size = m->key_size;
		dm->value_size = value_size(m);
		dm->value = m->value;
		dm->lhist_min = m->lhist_min;
		dm->lhist_max = m->lhist_max;
		dm->lhist_step = m->lhist_step;
	}
}
