/* maps.c - map kinds, key and value types inferred from every use.
 *
 * A map has one kind for the whole script: a plain value (`@m = expr`,
 * `@m += n`, `@m++`) or one aggregation (`@m = count()`...). The first use
 * that says something decides; every later use must agree, otherwise the
 * error points at the later use with a note at the deciding one. Keys: the
 * same number of parts everywhere; several parts make a tuple key
 * (@m[a, b] is @m[(a, b)]); each part's type merges across uses (integers
 * as 64 bits, strings as long as the longest). Layouts come from the type
 * graph (types.h) and go into the runtime description as explicit types. */
#include <stdint.h>
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
	case MAP_TSERIES: return "tseries()";
	default: return "a value";
	}
}

static const char *value_desc(const struct type *t, char *buf, size_t len)
{
	char name[128];
	if (t->kind == TY_INT)
		return "an integer";
	if (t->kind == TY_STR)
		return "a string";
	snprintf(buf, len, "a value of type %s", type_name(t, name, sizeof(name)));
	return buf;
}

static const char *map_desc(const struct map_info *m, char *buf, size_t len)
{
	if (m->kind != MAP_PLAIN)
		return map_kind_name(m->kind);
	return value_desc(m->value, buf, len);
}

static struct map_state *state_of(struct sema *s, const struct map_info *m)
{
	return &s->mstate[m->id];
}

static size_t map_name_hash(const char *name)
{
	uint64_t h = util_fnv1a64(name, strlen(name), UTIL_FNV_BASIS);
	return (size_t)(h ^ (h >> 32));
}

static void map_slot_put(struct sema *s, struct map_info *m)
{
	size_t mask = s->map_slots_cap - 1, i = map_name_hash(m->name) & mask;
	while (s->map_slots[i])
		i = (i + 1) & mask;
	s->map_slots[i] = m;
	s->map_slots_n++;
}

/* The index holds every map of the program, in room for twice as many. */
static void map_slots_sync(struct sema *s)
{
	if (s->map_slots_n == s->prog->nmaps && 2 * (size_t)(s->prog->nmaps + 1) <= s->map_slots_cap)
		return;
	size_t cap = 64;
	while (cap < 4 * (size_t)(s->prog->nmaps + 1))
		cap *= 2;
	free(s->map_slots);
	s->map_slots = xcalloc(cap, sizeof(*s->map_slots));
	s->map_slots_cap = cap;
	s->map_slots_n = 0;
	for (struct map_info *m = s->prog->maps; m; m = m->next)
		map_slot_put(s, m);
}

static struct map_info *map_slot_find(const struct sema *s, const char *name)
{
	size_t mask = s->map_slots_cap - 1;
	for (size_t i = map_name_hash(name) & mask; s->map_slots[i]; i = (i + 1) & mask)
		if (strcmp(s->map_slots[i]->name, name) == 0)
			return s->map_slots[i];
	return NULL;
}

struct map_info *sema_map_lookup(struct sema *s, struct node *n)
{
	map_slots_sync(s);
	struct map_info *found = map_slot_find(s, n->name);
	if (found) {
		n->map = found;
		return found;
	}
	struct map_info **tail = s->map_tail ? s->map_tail : &s->prog->maps;
	while (*tail)
		tail = &(*tail)->next;
	struct map_info *m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(n->name);
	for (const struct map_decl *md = s->prog->map_decls; md && !m->decl; md = md->next)
		if (strcmp(md->name, n->name) == 0)
			m->decl = md;
	m->id = s->prog->nmaps++;
	m->first_use = n->loc;
	m->kind = MAP_PLAIN;
	m->value = type_none();
	*tail = m;
	s->map_tail = &m->next;
	map_slot_put(s, m);
	if (m->id >= s->mstate_cap) {
		s->mstate_cap = s->mstate_cap ? s->mstate_cap * 2 : 8;
		s->mstate = xrealloc(s->mstate, sizeof(*s->mstate) * (size_t)s->mstate_cap);
	}
	memset(&s->mstate[m->id], 0, sizeof(s->mstate[m->id]));
	s->changes++;
	n->map = m;
	return m;
}

/* ---- keys ------------------------------------------------------------------------ */

static bool key_part_ok(struct sema *s, struct node *key)
{
	char buf[128];
	const struct type *t = key->type;
	if (type_is_none(t))
		return false;
	if (t->kind == TY_AGG || t->kind == TY_VOID) {
		sema_err(s, key->loc, "%s cannot be a map key", type_name(t, buf, sizeof(buf)));
		return false;
	}
	if (t->kind == TY_RECORD && t->incomplete) {
		sema_err(s, key->loc, "an incomplete type cannot be a map key");
		return false;
	}
	return true;
}

/* The part that makes two keys disagree, for the message. */
static void report_key_conflict(struct sema *s, struct map_info *m, struct node *n,
				const struct type *now)
{
	char a[128], b[128];
	const struct type *before = m->key;
	bool reported = false;
	if (m->nkeys > 1 && now->kind == TY_RECORD && before->kind == TY_RECORD &&
	    now->nmembers == before->nmembers) {
		/* @m[a, b] points at the part; @m[(a, b)] and has_key(@m, (a, b)) at the tuple */
		struct node *k = n->args;
		for (int i = 0; k && i < before->nmembers && !reported; i++) {
			if (!type_merge(sema_types(s), before->members[i].type, now->members[i].type)) {
				sema_err(s, k->loc, "map '%s' key %d is %s here but %s elsewhere", m->name,
					 i + 1, type_name(now->members[i].type, a, sizeof(a)),
					 type_name(before->members[i].type, b, sizeof(b)));
				reported = true;
			}
			if (k->next)
				k = k->next;
		}
	}
	if (!reported) {
		sema_err(s, n->args->loc, "map '%s' key is %s here but %s elsewhere", m->name,
			 type_name(now, a, sizeof(a)), type_name(before, b, sizeof(b)));
	}
	sema_note(s, state_of(s, m)->keys_loc, "map '%s' was used with key %s here", m->name,
		  type_name(before, b, sizeof(b)));
}

/* Types the key expressions of an N_MAP and unifies them with the map's. */
/* A single key that is a tuple of two or more: the map's keys. */
const struct type *sema_key_tuple(const struct node *key)
{
	const struct type *t = key ? key->type : NULL;
	return t && t->kind == TY_RECORD && t->rkind == REC_TUPLE && t->nmembers >= 2 && !key->next ? t : NULL;
}

void sema_map_keys(struct sema *s, struct map_info *m, struct node *n)
{
	int nkeys = 0;
	bool ok = true;
	for (struct node *k = n->args; k; k = k->next, nkeys++) {
		sema_expr(s, k);
		ok &= key_part_ok(s, k);
	}
	if (nkeys > SONDE_MAX_KEY_PARTS) {
		sema_err(s, n->loc, "a map key can have at most %d parts", SONDE_MAX_KEY_PARTS);
		return;
	}
	/* @m[$t] with $t = (a, b) is @m[a, b] (bpftrace: keys are a tuple) */
	const struct type *whole = ok && nkeys == 1 ? sema_key_tuple(n->args) : NULL;
	if (whole)
		nkeys = whole->nmembers;
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
	if (!ok || nkeys == 0)
		return;
	const struct type *parts[SONDE_MAX_KEY_PARTS];
	int i = 0;
	for (struct node *k = n->args; k; k = k->next, i++)
		parts[i] = sema_stored_type(k->type);
	const struct type *key = whole ? parts[0] : nkeys == 1 ? parts[0] : type_tuple(sema_types(s), parts, nkeys);
	if (!m->key) {
		m->key = key;
		s->changes++;
		return;
	}
	const struct type *merged = type_merge(sema_types(s), m->key, key);
	if (!merged) {
		report_key_conflict(s, m, n, key);
		return;
	}
	if (!type_equal(merged, m->key) || merged->is_literal != m->key->is_literal) {
		m->key = merged;
		s->changes++;
	}
}

/* ---- values ----------------------------------------------------------------------- */

const struct type *sema_map_read(struct sema *s, struct node *n)
{
	char buf[160];
	struct map_info *m = sema_map_lookup(s, n);
	sema_map_keys(s, m, n);
	struct map_state *st = state_of(s, m);
	if (!st->has_value)
		return type_none(); /* reported once by sema_map_check_assigned */
	const struct agg_desc *agg = m->kind == MAP_PLAIN ? NULL : agg_find(m->kind);
	if (agg && !agg->read) {
		sema_err(s, n->loc, "map '%s' holds %s and cannot be read as a value", m->name,
			 map_kind_name(m->kind));
		sema_note(s, st->value_loc, "map '%s' was used as %s here", m->name, map_desc(m, buf, sizeof(buf)));
		return type_none();
	}
	return m->value;
}

/* for ($kv : @m): $kv is (key, value), the key a tuple itself when the
 * map has several parts. Maps of plain values, count() and sum(). */
const struct type *sema_map_iterate(struct sema *s, struct node *n)
{
	char buf[160];
	struct map_info *m = sema_map_lookup(s, n);
	struct map_state *st = state_of(s, m);
	if (!st->has_value || !st->keys_known)
		return type_none(); /* unknown until assigned: reported once if never */
	if (m->nkeys == 0) {
		sema_err(s, n->loc, "map '%s' has no keys (a scalar map) and cannot be iterated", m->name);
		return type_none();
	}
	/* count(), sum(), avg(), min() and max() read as one integer (every
	 * CPU's share combined in the walk); the others are no value, and
	 * bpftrace refuses them in $kv's tuple too */
	const struct agg_desc *agg = m->kind == MAP_PLAIN ? NULL : agg_find(m->kind);
	if (agg && !agg->read) {
		sema_err(s, n->loc, "cannot iterate over map '%s': it holds %s, which is not a value $kv.1 "
			 "can hold (count(), sum(), avg(), min() and max() maps can be iterated)",
			 m->name, map_desc(m, buf, sizeof(buf)));
		return type_none();
	}
	if (!m->key || type_is_none(m->key) || type_is_none(m->value))
		return type_none();
	const struct type *parts[2] = { m->key, m->value };
	return type_tuple(sema_types(s), parts, 2);
}

static void report_conflict(struct sema *s, struct map_info *m, const char *now, srcloc loc)
{
	char buf[160];
	sema_err(s, loc, "map '%s' cannot be assigned %s: it already holds %s", m->name, now,
		 map_desc(m, buf, sizeof(buf)));
	sema_note(s, state_of(s, m)->value_loc, "map '%s' was used as %s here", m->name,
		  map_desc(m, buf, sizeof(buf)));
}

static void decide_plain(struct sema *s, struct map_info *m, srcloc loc)
{
	struct map_state *st = state_of(s, m);
	st->has_value = true;
	st->value_loc = loc;
	m->kind = MAP_PLAIN;
	s->changes++;
}

void sema_map_assign(struct sema *s, struct node *n, const struct type *value, srcloc loc)
{
	struct map_info *m = n->map;
	struct map_state *st = state_of(s, m);
	char buf[160];
	st->assign_seen = true;
	if (!type_is_none(value) && value->kind != TY_AGG) {
		if (value->kind == TY_VOID) {
			sema_err(s, loc, "cannot assign a value of type void to map '%s'", m->name);
		} else if (st->has_value && m->kind != MAP_PLAIN) {
			report_conflict(s, m, value_desc(value, buf, sizeof(buf)), loc);
		} else {
			if (!st->has_value)
				decide_plain(s, m, loc);
			bool changed = false;
			if (!sema_merge_stored(s, &m->value, value, loc, &changed))
				report_conflict(s, m, value_desc(value, buf, sizeof(buf)), loc);
			if (changed)
				s->changes++;
		}
	}
	n->type = st->has_value ? m->value : type_none();
}

void sema_map_assign_agg(struct sema *s, struct node *n, struct node *call)
{
	struct map_info *m = n->map;
	struct map_state *st = state_of(s, m);
	st->assign_seen = true;
	if (!call->func || type_is_none(call->type))
		return;
	const struct agg_desc *agg = call->func->agg;
	const struct type *arg = call->args ? call->args->type : NULL;
	if (!st->has_value) {
		st->has_value = true;
		st->value_loc = call->loc;
		m->kind = agg->kind;
		m->value = agg->value_type(arg);
		s->changes++;
	} else if (m->kind != agg->kind) {
		report_conflict(s, m, map_kind_name(agg->kind), call->loc);
		return;
	} else {
		/* sum() of a signed value anywhere makes the sum signed */
		const struct type *v = agg->value_type(arg);
		if (v->is_signed && !m->value->is_signed) {
			m->value = v;
			s->changes++;
		}
	}
	n->type = m->value;
}

/* Called by an aggregation's check hook with its constant parameters (the
 * bounds of lhist()): they must be the same wherever the map is assigned. */
bool sema_agg_params(struct sema *s, struct node *call, const int64_t *params, int n)
{
	struct map_info *m = s->agg_map;
	if (!m || n > 3)
		return false;
	struct map_state *st = state_of(s, m);
	if (!st->params_set) {
		st->params_set = true;
		st->params_loc = call->loc;
		memcpy(m->agg_args, params, sizeof(*params) * (size_t)n);
		s->changes++;
		return true;
	}
	if (memcmp(m->agg_args, params, sizeof(*params) * (size_t)n) == 0)
		return true;
	sema_err(s, call->loc, "%s() parameters of map '%s' differ from its other uses", call->func->name,
		 m->name);
	sema_note(s, st->params_loc, "map '%s' was used with %s(..., %lld, %lld, %lld) here", m->name,
		  call->func->name, (long long)m->agg_args[0], (long long)m->agg_args[1],
		  (long long)m->agg_args[2]);
	return false;
}

void sema_map_compound(struct sema *s, struct node *n, const struct type *rhs, int op, srcloc loc)
{
	struct map_info *m = n->map;
	struct map_state *st = state_of(s, m);
	char buf[160];
	st->assign_seen = true;
	if (type_is_none(rhs))
		return;
	if (!type_is_integer(rhs) && rhs->kind != TY_BOOL) {
		sema_err(s, loc, "cannot use '%s=' with an operand of type %s", binop_spelling(op),
			 type_name(rhs, buf, sizeof(buf)));
		return;
	}
	if (!st->has_value) {
		decide_plain(s, m, loc);
		m->value = type_int(8, rhs->is_literal ? true : rhs->is_signed);
	} else if (m->kind == MAP_COUNT || m->kind == MAP_SUM) {
		if (op != OP_ADD && op != OP_SUB) {
			sema_err(s, loc, "only += and -= can change map '%s': it holds %s", m->name,
				 map_kind_name(m->kind));
			return;
		}
	} else if (m->kind != MAP_PLAIN ||
		   (!type_is_integer(m->value) &&
		    !(m->value->kind == TY_PTR && (op == OP_ADD || op == OP_SUB)))) {
		sema_err(s, loc, "cannot use '%s=' on map '%s': it holds %s", binop_spelling(op),
			 m->name, map_desc(m, buf, sizeof(buf)));
		sema_note(s, st->value_loc, "map '%s' was used as %s here", m->name, map_desc(m, buf, sizeof(buf)));
		return;
	}
	n->type = m->value;
}

const struct type *sema_map_incdec(struct sema *s, struct node *n, srcloc loc, const char *spelling)
{
	struct map_info *m = n->map;
	struct map_state *st = state_of(s, m);
	char buf[160];
	st->assign_seen = true;
	if (!st->has_value) {
		decide_plain(s, m, loc);
		m->value = type_int(8, true);
	} else if (m->kind == MAP_COUNT || m->kind == MAP_SUM) {
		/* counts and sums change in place */
	} else if (m->kind != MAP_PLAIN || (!type_is_integer(m->value) && m->value->kind != TY_PTR)) {
		sema_err(s, loc, "cannot apply '%s' to map '%s': it holds %s", spelling, m->name,
			 map_desc(m, buf, sizeof(buf)));
		sema_note(s, st->value_loc, "map '%s' was used as %s here", m->name, map_desc(m, buf, sizeof(buf)));
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

/* ---- declarations: let @m = hash(N); -------------------------------------------- */

/* The kinds bpftrace declares (its BPF_MAP_TYPES). A per-CPU map holds an
 * aggregation, the others a value: bpftrace's rule, and sonde's layout. */
static const struct decl_kind {
	const char *name;
	bool percpu, lru;
} decl_kinds[] = {
	{ "hash", false, false },
	{ "lruhash", false, true },
	{ "percpuhash", true, false },
	{ "percpulruhash", true, true },
};
#define NDECL_KINDS (int)(sizeof(decl_kinds) / sizeof(decl_kinds[0]))

static const struct decl_kind *decl_kind_find(const char *name)
{
	for (int i = 0; i < NDECL_KINDS; i++)
		if (strcmp(decl_kinds[i].name, name) == 0)
			return &decl_kinds[i];
	return NULL;
}

static void report_bad_decl_kind(struct sema *s, const struct map_decl *md)
{
	struct suggestion near;
	suggestion_init(&near, md->kind);
	for (int i = 0; i < NDECL_KINDS; i++)
		suggestion_consider(&near, decl_kinds[i].name);
	if (near.best)
		sema_err(s, md->kind_loc, "invalid map type '%s'; did you mean '%s'?", md->kind, near.best);
	else
		sema_err(s, md->kind_loc, "invalid map type '%s': valid map types are hash, lruhash, "
			 "percpuhash and percpulruhash", md->kind);
	suggestion_free(&near);
}

/* The declaration itself: its kind, its size, declared once. */
static bool check_decl(struct sema *s, const struct map_decl *md)
{
	for (const struct map_decl *o = s->prog->map_decls; o != md; o = o->next) {
		if (strcmp(o->name, md->name) == 0) {
			sema_err(s, md->name_loc, "map '%s' is declared twice", md->name);
			sema_note(s, o->loc, "map '%s' was declared here", md->name);
			return false;
		}
	}
	if (!decl_kind_find(md->kind)) {
		report_bad_decl_kind(s, md);
		return false;
	}
	if (md->max_entries == 0 || md->max_entries > SONDE_MAX_DECLARED_ENTRIES) {
		sema_err(s, md->size_loc, "a map holds 1 to %u entries, not %llu", SONDE_MAX_DECLARED_ENTRIES,
			 (unsigned long long)md->max_entries);
		return false;
	}
	return true;
}

/* The map's use against its declaration: aggregations need a per-CPU
 * kind, values a plain one (bpftrace: "Incompatible map types"). */
static void check_decl_use(struct sema *s, const struct map_info *m)
{
	const struct decl_kind *k = decl_kind_find(m->decl->kind);
	bool agg = m->kind != MAP_PLAIN;
	if (!k || k->percpu == agg)
		return;
	char buf[160];
	if (agg)
		sema_err(s, state_of(s, m)->value_loc,
			 "map '%s' is declared %s, which holds values, but is assigned %s here; "
			 "declare it percpu%s", m->name, k->name, map_kind_name(m->kind), k->name);
	else
		sema_err(s, state_of(s, m)->value_loc,
			 "map '%s' is declared %s, which holds aggregations (count(), sum(), ...), "
			 "but is assigned %s here; declare it %s", m->name, k->name,
			 map_desc(m, buf, sizeof(buf)), k->lru ? "lruhash" : "hash");
	sema_note(s, m->decl->loc, "map '%s' is declared here", m->name);
}

/* After the loud run: every declaration checked, and checked against
 * its map's use; one no probe uses is a warning, as in bpftrace. */
static bool check_decls(struct sema *s)
{
	bool ok = true;
	for (const struct map_decl *md = s->prog->map_decls; md; md = md->next) {
		if (!check_decl(s, md)) {
			ok = false;
			continue;
		}
		const struct map_info *m = NULL;
		for (const struct map_info *o = s->prog->maps; o && !m; o = o->next)
			if (o->decl == md)
				m = o;
		if (!m)
			diag_warning(s->d, md->name_loc, "map '%s' is declared but never used", md->name);
		else if (state_of(s, m)->has_value)
			check_decl_use(s, m);
	}
	return ok;
}

/* After the loud run. A map assigned only from expressions that failed
 * already has its error; one assigned only from untyped maps (`@x = @x`,
 * `@a = @b; @b = @a;`) has none yet, and must not reach codegen untyped. */
void sema_map_check_assigned(struct sema *s, bool clean)
{
	clean &= check_decls(s);
	for (struct map_info *m = s->prog->maps; m; m = m->next) {
		struct map_state *st = state_of(s, m);
		if (!st->has_value && !st->assign_seen) {
			report_never_assigned(s, m);
			clean = false;
		}
	}
	for (struct map_info *m = s->prog->maps; clean && m; m = m->next) {
		struct map_state *st = state_of(s, m);
		if (!st->has_value || type_is_none(m->value))
			sema_err(s, m->first_use,
				 "cannot infer the type of map '%s': it is only assigned from maps without a type",
				 m->name);
		else if (m->nkeys && type_is_none(m->key))
			sema_err(s, m->first_use, "cannot infer the key type of map '%s'", m->name);
	}
}

/* ---- the description --------------------------------------------------------------------- */

static uint32_t round8(uint32_t n) { return (n + 7u) & ~7u; }

static uint32_t bpf_key_size(const struct map_info *m, const struct agg_desc *agg)
{
	uint32_t user = m->key ? m->key->size : 0;
	if (agg && agg->bucketed)
		return round8(user) + 8;
	return m->key ? (user ? user : 1) : 8;
}

static uint32_t bpf_value_size(const struct map_info *m, const struct agg_desc *agg)
{
	if (agg)
		return agg->value_size;
	return m->value->size ? m->value->size : 1;
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

/* Clears arrayable[id] for every map the subtree uses other than as the
 * target of its aggregation (`@ = hist(v)`) or as what print() reads
 * (print is told by its emit hook: it only reads the map). */
static void find_other_uses(const struct node *n, bool *arrayable, int nmaps)
{
	for (; n; n = n->next) {
		const struct node *skip = NULL;
		if (n->kind == N_ASSIGN && n->lhs && n->lhs->kind == N_MAP && n->rhs &&
		    sema_is_agg_call(n->rhs))
			skip = n->lhs;
		else if (n->kind == N_CALL && n->func && n->func->emit == cg_fn_print && n->args &&
			 n->args->kind == N_MAP)
			skip = n->args;
		else if (n->kind == N_CALL && n->map && n->map->id >= 0 && n->map->id < nmaps)
			arrayable[n->map->id] = false;
		if (n->kind == N_MAP && n->map && n->map->id >= 0 && n->map->id < nmaps)
			arrayable[n->map->id] = false;
		if (skip)
			find_other_uses(skip->args, arrayable, nmaps);
		const struct node *kids[] = { n->lhs == skip ? NULL : n->lhs, n->rhs, n->cond, n->then, n->els,
					      skip && n->args == skip ? skip->next : n->args, n->body };
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			find_other_uses(kids[i], arrayable, nmaps);
	}
}

/* desc_map's array: an unkeyed, undeclared hist/lhist (bucketed, one u64
 * count per bucket) that the script only updates and prints. */
static bool *arrayable_maps(const struct program *prog)
{
	bool *ok = xcalloc((size_t)(prog->nmaps ? prog->nmaps : 1), sizeof(*ok));
	for (const struct map_info *m = prog->maps; m; m = m->next) {
		const struct agg_desc *agg = m->kind == MAP_PLAIN ? NULL : agg_find(m->kind);
		ok[m->id] = agg && agg->bucketed && !agg->reduce_bucket && !m->nkeys && !m->decl &&
			    !getenv("SONDE_HIST_HASH");
	}
	for (const struct probe *p = prog->probes; p; p = p->next) {
		find_other_uses(p->pred, ok, prog->nmaps);
		find_other_uses(p->body, ok, prog->nmaps);
	}
	return ok;
}

void sema_fill_desc_maps(struct sema *s, struct desc *desc)
{
	bool *arrayable = arrayable_maps(s->prog);
	desc->nmaps = s->prog->nmaps;
	desc->maps = xcalloc((size_t)(desc->nmaps ? desc->nmaps : 1), sizeof(*desc->maps));
	for (struct map_info *m = s->prog->maps; m; m = m->next) {
		const struct agg_desc *agg = m->kind == MAP_PLAIN ? NULL : agg_find(m->kind);
		struct desc_map *dm = &desc->maps[m->id];
		dm->name = xstrdup(m->name);
		dm->bpf_name = bpf_map_name(m);
		dm->kind = m->kind;
		dm->key = m->nkeys ? type_copy(desc->types, m->key) : NULL;
		dm->value = type_copy(desc->types, m->value);
		dm->key_size = bpf_key_size(m, agg);
		dm->value_size = bpf_value_size(m, agg);
		memcpy(dm->args, m->agg_args, sizeof(dm->args));
		if (m->decl) {
			const struct decl_kind *k = decl_kind_find(m->decl->kind);
			dm->lru = k && k->lru;
			dm->max_entries = (uint32_t)m->decl->max_entries;
		}
		dm->array = arrayable[m->id] && agg->nbuckets(dm) > 0;
	}
	free(arrayable);
}
