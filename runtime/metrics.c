/* metrics.c - the script's maps as Prometheus metrics (--metrics [ADDR:]PORT).
 *
 * libmicrohttpd serves GET /metrics from its own thread. Each scrape reads
 * the BPF maps there and then (runtime/maps.c), decodes keys with the
 * runtime's decoder (runtime/value.c) and writes the Prometheus text
 * exposition format (0.0.4): count/sum as counters, plain values and
 * avg/min/max/stats/tseries as gauges, hist/lhist as histograms with
 * cumulative `le` buckets. Map keys become labels: `key`, or `key0`,
 * `key1`... for the parts of a tuple, or a record's member names.
 *
 * What the HTTP thread shares with the event loop, and why that is safe:
 * - the map fds and the description: the fds stay open and the description
 *   unchanged until rt_metrics_stop() has joined the thread (the run stops
 *   the server before it closes the object); BPF map syscalls on one fd
 *   from two threads are fine, and a clear() or zero() racing a scrape
 *   only changes which values the scrape sees;
 * - the decoder's process-wide state (stack maps, kernel symbols, user
 *   formats' caches): rt_decode() serialises itself, one value at a time,
 *   so the event loop waits at most for one key's decoding, never for a
 *   client;
 * - nothing else: the scrape's counters are the HTTP thread's own, and it
 *   never prints (libmicrohttpd's messages are discarded unless -v).
 * A slow or broken client costs the HTTP thread a connection slot until
 * its timeout; the event loop never waits on the HTTP thread. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "builtins.h"
#include "run_internal.h"
#include "runtime.h"
#include "util.h"

/* Connections: Prometheus keeps one; a few more for people with curl. */
#define METRICS_CONNECTION_LIMIT 16
#define METRICS_PER_IP_LIMIT 8
/* A client that sends or reads nothing for this long is dropped. */
#define METRICS_TIMEOUT_S 10
/* Request headers a connection may buffer. */
#define METRICS_CONNECTION_MEMORY (32 * 1024)

/* How each kind of map is exported (indexed by enum map_kind). */
enum prom_kind { PROM_GAUGE, PROM_COUNTER, PROM_HISTOGRAM, PROM_STATS, PROM_SERIES_LAST };
static const struct {
	enum prom_kind kind;
	const char *what; /* for HELP */
} map_kinds[MAP__KIND_COUNT] = {
	[MAP_PLAIN] = { PROM_GAUGE, "the value stored" },
	[MAP_COUNT] = { PROM_COUNTER, "count()" },
	[MAP_SUM] = { PROM_COUNTER, "sum()" },
	[MAP_AVG] = { PROM_GAUGE, "avg()" },
	[MAP_MIN] = { PROM_GAUGE, "min()" },
	[MAP_MAX] = { PROM_GAUGE, "max()" },
	[MAP_STATS] = { PROM_STATS, "stats()" },
	[MAP_HIST] = { PROM_HISTOGRAM, "hist()" },
	[MAP_LHIST] = { PROM_HISTOGRAM, "lhist()" },
	[MAP_TSERIES] = { PROM_SERIES_LAST, "tseries(), its latest interval" },
};

struct rt_metrics {
	struct MHD_Daemon *daemon;
	const struct desc *desc;
	const int *map_fds;
	int ncpus;
	uint32_t max_series;
	char **names;              /* per desc map: its metric family name */
	/* the HTTP thread's own (one thread: no lock) */
	uint64_t dropped_series;   /* over max_series, since the start */
	uint64_t read_errors;      /* maps that could not be read */
	uint64_t scrapes;
};

/* ---- the listening address ------------------------------------------------- */

/* "PORT", "ADDR:PORT" or "[V6ADDR]:PORT"; ADDR numeric or a host name. */
int rt_metrics_parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
			    char *err, size_t errlen)
{
	char host[256] = "127.0.0.1";
	const char *port = spec;
	const char *colon = strrchr(spec, ':');
	if (colon) {
		const char *h = spec;
		size_t hl = (size_t)(colon - spec);
		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		if (hl == 0 || hl >= sizeof(host)) {
			snprintf(err, errlen, "expected [ADDR:]PORT");
			return -1;
		}
		memcpy(host, h, hl);
		host[hl] = '\0';
		port = colon + 1;
	}
	char *end;
	errno = 0;
	unsigned long p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p > 65535 || port[0] == '-' || port[0] == '+') {
		snprintf(err, errlen, "expected [ADDR:]PORT with a port from 0 to 65535");
		return -1;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)p);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)p);
	return 0;
}

/* ---- names and label values ------------------------------------------------ */

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/* "@bytes" -> "sonde_bytes"; anything a metric name cannot hold -> '_';
 * the anonymous map "@" -> "sonde_map". */
char *rt_metrics_name(const char *map_name)
{
	const char *n = map_name[0] == '@' ? map_name + 1 : map_name;
	char *s = xasprintf("sonde_%s", *n ? n : "map");
	for (char *p = s + 6; *p; p++)
		if (!name_char(*p, false))
			*p = '_';
	return s;
}

static bool name_taken(char **names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Two maps whose names sanitise alike (@a_b, and a name with other
 * characters) keep their families apart by the map's index. */
static char **family_names(const struct desc *d)
{
	char **names = xcalloc((size_t)(d->nmaps ? d->nmaps : 1), sizeof(*names));
	for (int i = 0; i < d->nmaps; i++) {
		names[i] = rt_metrics_name(d->maps[i].name);
		if (name_taken(names, i, names[i])) {
			char *alt = xasprintf("%s_m%d", names[i], i);
			free(names[i]);
			names[i] = alt;
		}
	}
	return names;
}

/* A label value: \, " and newline escaped (the format's rules); bytes
 * outside printable ASCII as \xNN text, so the value is valid UTF-8. */
static void put_label_value(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\')
			fputs("\\\\", out);
		else if (c == '"')
			fputs("\\\"", out);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c >= 32 && c <= 126)
			fputc(c, out);
		else
			fprintf(out, "\\\\x%02x", c);
	}
}

/* HELP text: no newline, backslash escaped. */
static void put_help_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void put_value_text(FILE *out, const struct rt_value *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return;
	rt_value_text(mem, v);
	fclose(mem);
	put_label_value(out, text ? text : "", text ? len : 0);
	free(text);
}

/* A record member's name as a label name: characters a label cannot hold
 * become '_', and a name Prometheus reserves (__...), that the exporter
 * uses itself (le, value) or that starts with a digit gets a "key_" prefix. */
static void put_label_name(FILE *out, const char *name)
{
	bool reserved = !name[0] || (name[0] >= '0' && name[0] <= '9') || strncmp(name, "__", 2) == 0 ||
			strcmp(name, "le") == 0 || strcmp(name, "value") == 0;
	if (reserved)
		fputs("key_", out);
	for (const char *c = name; *c; c++)
		fputc(isalnum((unsigned char)*c) || *c == '_' ? *c : '_', out);
}

/* The labels of one key, "" for a scalar map; `extra` adds a label
 * (le="...", or the value of a map of strings) after them. A tuple's parts
 * are key0, key1, ...; a record's members are labels of their own names
 * (@reads[(comm=comm, fd=args.fd)] gives comm="...",fd="..."): the way a
 * script names its labels. */
static void put_labels(FILE *out, const struct rt_value *key, const char *extra)
{
	if (!key && !extra)
		return;
	fputc('{', out);
	bool any = false;
	if (key && key->kind == RV_RECORD && key->names && key->n > 0) {
		for (int i = 0; i < key->n; i++) {
			fputs(i ? "," : "", out);
			put_label_name(out, key->names[i] ? key->names[i] : "");
			fputs("=\"", out);
			put_value_text(out, &key->items[i]);
			fputc('"', out);
		}
		any = true;
	} else if (key && key->kind == RV_TUPLE) {
		for (int i = 0; i < key->n; i++) {
			fprintf(out, "%skey%d=\"", i ? "," : "", i);
			put_value_text(out, &key->items[i]);
			fputc('"', out);
		}
		any = key->n > 0;
	} else if (key) {
		fputs("key=\"", out);
		put_value_text(out, key);
		fputc('"', out);
		any = true;
	}
	if (extra)
		fprintf(out, "%s%s", any ? "," : "", extra);
	fputc('}', out);
}

/* ---- one map ---------------------------------------------------------------- */

struct scrape {
	struct rt_metrics *m;
	FILE *out;
	uint32_t series;   /* emitted so far */
};

/* Room for n more series; when there is none they are counted as dropped. */
static bool take_series(struct scrape *s, uint32_t n)
{
	if (s->series + (uint64_t)n > s->m->max_series) {
		s->m->dropped_series += n;
		return false;
	}
	s->series += n;
	return true;
}

struct keyed {
	struct rt_map_entry *e;
	struct rt_value *key;
	uint32_t key_size;
};

static int keyed_cmp(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;
	if (a->key && b->key) {
		int c = rt_value_cmp(a->key, b->key);
		if (c)
			return c;
	}
	return memcmp(a->e->key, b->e->key, a->key_size);
}

static void put_int(FILE *out, bool is_unsigned, int64_t v)
{
	if (is_unsigned)
		fprintf(out, "%" PRIu64, (uint64_t)v);
	else
		fprintf(out, "%" PRId64, v);
}

static void header(FILE *out, const char *family, const char *suffix, const char *type,
		   const struct desc_map *dm, const char *what)
{
	fprintf(out, "# HELP %s%s ", family, suffix);
	put_help_text(out, dm->name);
	fprintf(out, " = %s\n# TYPE %s%s %s\n", what, family, suffix, type);
}

/* A plain map's value: numbers as they are, anything else (strings,
 * tuples) as a `value` label on a sample of 1, Prometheus's info idiom. */
static void plain_sample(struct scrape *s, const char *family, const struct desc_map *dm,
			 struct keyed *k, struct rt_arena *a)
{
	struct rt_value *v = rt_decode(a, dm->value, k->e->value);
	if (!take_series(s, 1))
		return;
	fputs(family, s->out);
	switch (v->kind) {
	case RV_INT:
		put_labels(s->out, k->key, NULL);
		fprintf(s->out, " %" PRId64 "\n", v->i);
		return;
	case RV_UINT:
	case RV_BOOL:
		put_labels(s->out, k->key, NULL);
		fprintf(s->out, " %" PRIu64 "\n", v->u);
		return;
	default: {
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);
		if (mem) {
			fputs("value=\"", mem);
			put_value_text(mem, v);
			fputc('"', mem);
			fclose(mem);
		}
		put_labels(s->out, k->key, text ? text : "value=\"\"");
		fputs(" 1\n", s->out);
		free(text);
		return;
	}
	}
}

/* A bucket with an upper bound of its own; the top one (open, or up to the
 * largest integer, where hist(n, k)'s bound wraps) is +Inf's. */
static bool finite_bucket(const struct rt_value *h, int i)
{
	const struct rt_hist_row *row = &h->rows[i];
	if (!row->has_max || row->max == INT64_MAX)
		return false;
	return i == 0 || !h->rows[i - 1].has_max || row->max > h->rows[i - 1].max;
}

/* Cumulative buckets from the decoder's rows (first to last bucket in
 * use), each `le` the bucket's largest value; +Inf holds the total. */
static void histogram_samples(struct scrape *s, const char *family, const struct desc_map *dm,
			      struct keyed *k, struct rt_arena *a)
{
	const struct agg_desc *agg = agg_find(dm->kind);
	const struct rt_value *h = agg->decode(a, dm, &k->e->agg, 1);
	uint64_t total = 0;
	for (int i = 0; i < k->e->agg.nbuckets; i++)
		total += k->e->agg.buckets[i];
	uint32_t finite = 0;
	for (int i = 0; i < h->n; i++)
		finite += finite_bucket(h, i);
	if (!take_series(s, finite + 2))
		return;
	uint64_t cumulative = 0;
	for (int i = 0; i < h->n; i++) {
		const struct rt_hist_row *row = &h->rows[i];
		cumulative += row->raw;
		if (!finite_bucket(h, i))
			continue;
		char le[40];
		snprintf(le, sizeof(le), "le=\"%" PRId64 "\"", row->max);
		fprintf(s->out, "%s_bucket", family);
		put_labels(s->out, k->key, le);
		fprintf(s->out, " %" PRIu64 "\n", cumulative);
	}
	fprintf(s->out, "%s_bucket", family);
	put_labels(s->out, k->key, "le=\"+Inf\"");
	fprintf(s->out, " %" PRIu64 "\n%s_count", total, family);
	put_labels(s->out, k->key, NULL);
	fprintf(s->out, " %" PRIu64 "\n", total);
}

/* The latest interval of a time series, if it has a value. */
static void series_sample(struct scrape *s, const char *family, const struct desc_map *dm,
			  struct keyed *k, struct rt_arena *a)
{
	const struct rt_value *v = agg_find(dm->kind)->decode(a, dm, &k->e->agg, 1);
	if (v->n == 0 || !v->points[v->n - 1].present || !take_series(s, 1))
		return;
	fputs(family, s->out);
	put_labels(s->out, k->key, NULL);
	fputc(' ', s->out);
	put_int(s->out, v->u != 0, v->points[v->n - 1].value);
	fputc('\n', s->out);
}

static void scalar_sample(struct scrape *s, const char *family, const char *suffix,
			  const struct rt_value *key, bool is_unsigned, int64_t v)
{
	fprintf(s->out, "%s%s", family, suffix);
	put_labels(s->out, key, NULL);
	fputc(' ', s->out);
	put_int(s->out, is_unsigned, v);
	fputc('\n', s->out);
}

/* Every entry of the map's kind that has a value. */
static void map_samples(struct scrape *s, const char *family, const char *suffix,
			const struct desc_map *dm, struct keyed *keys, int n, struct rt_arena *a)
{
	enum prom_kind kind = map_kinds[dm->kind].kind;
	for (int i = 0; i < n; i++) {
		const struct agg_result *r = &keys[i].e->agg;
		const struct rt_value *key = keys[i].key;
		if (dm->kind == MAP_PLAIN) {
			plain_sample(s, family, dm, &keys[i], a);
		} else if (kind == PROM_HISTOGRAM) {
			histogram_samples(s, family, dm, &keys[i], a);
		} else if (kind == PROM_SERIES_LAST) {
			series_sample(s, family, dm, &keys[i], a);
		} else if (dm->kind == MAP_AVG) {
			/* avg of nothing has no value; else exact, not bpftrace's truncated one */
			if (r->count && take_series(s, 1)) {
				fprintf(s->out, "%s", family);
				put_labels(s->out, key, NULL);
				double avg = r->is_unsigned ? (double)(uint64_t)r->total / (double)r->count
							    : (double)r->total / (double)r->count;
				fprintf(s->out, " %.17g\n", avg);
			}
		} else if ((dm->kind == MAP_MIN || dm->kind == MAP_MAX) && !r->is_set) {
			continue; /* no value seen yet */
		} else if (take_series(s, 1)) {
			scalar_sample(s, family, suffix, key, r->is_unsigned, r->value);
		}
	}
}

/* stats(): three gauge families, _samples, _average and _total_value
 * (not _count and _sum: those suffixes belong to histograms and summaries). */
static void stats_families(struct scrape *s, const char *family, const struct desc_map *dm,
			   struct keyed *keys, int n)
{
	static const char *const suffixes[] = { "_samples", "_average", "_total_value" };
	for (int part = 0; part < 3; part++) {
		char what[64];
		snprintf(what, sizeof(what), "stats(), its %s", part == 0 ? "count" : part == 1 ? "average" : "total");
		header(s->out, family, suffixes[part], "gauge", dm, what);
		for (int i = 0; i < n; i++) {
			const struct agg_result *r = &keys[i].e->agg;
			if (!take_series(s, 1))
				continue;
			if (part == 0)
				scalar_sample(s, family, suffixes[part], keys[i].key, true, (int64_t)r->count);
			else
				scalar_sample(s, family, suffixes[part], keys[i].key, r->is_unsigned,
					      part == 1 ? r->value : r->total);
		}
	}
}

static void export_map(struct scrape *s, int index)
{
	struct rt_metrics *m = s->m;
	const struct desc_map *dm = &m->desc->maps[index];
	const char *family = m->names[index];
	if (dm->kind >= MAP__KIND_COUNT || m->map_fds[index] < 0)
		return;
	struct rt_map_snapshot snap;
	if (rt_map_read(dm, m->map_fds[index], m->ncpus, &snap) != 0) {
		m->read_errors++;
		return;
	}
	rt_map_snapshot_zero_scalar(&snap); /* a scalar count is 0 before its first event */
	struct rt_arena *a = rt_arena_new();
	struct keyed *keys = xcalloc((size_t)(snap.n ? snap.n : 1), sizeof(*keys));
	for (int i = 0; i < snap.n; i++) {
		keys[i].e = &snap.entries[i];
		keys[i].key = dm->key ? rt_decode(a, dm->key, snap.entries[i].key) : NULL;
		keys[i].key_size = dm->key ? dm->key->size : 0;
	}
	util_sort(keys, (size_t)snap.n, sizeof(*keys), keyed_cmp);
	enum prom_kind kind = map_kinds[dm->kind].kind;
	const char *what = map_kinds[dm->kind].what;
	if (kind == PROM_STATS) {
		stats_families(s, family, dm, keys, snap.n);
	} else {
		static const char *const types[] = { [PROM_GAUGE] = "gauge", [PROM_COUNTER] = "counter",
						     [PROM_HISTOGRAM] = "histogram",
						     [PROM_SERIES_LAST] = "gauge" };
		/* counters end in _total (unless the map's name does already) */
		size_t fl = strlen(family);
		const char *suffix = kind == PROM_COUNTER && !(fl >= 6 && strcmp(family + fl - 6, "_total") == 0)
					     ? "_total" : "";
		header(s->out, family, suffix, types[kind], dm, what);
		map_samples(s, family, suffix, dm, keys, snap.n, a);
	}
	free(keys);
	rt_arena_free(a);
	rt_map_snapshot_free(&snap);
}

static int desc_index_cmp(const void *a, const void *b, void *ctx)
{
	const struct desc *d = ctx;
	return strcmp(d->maps[*(const int *)a].name, d->maps[*(const int *)b].name);
}

/* The whole exposition: the maps by name, then sonde's own counters. */
static char *render(struct rt_metrics *m, size_t *len)
{
	char *text = NULL;
	*len = 0;
	FILE *out = open_memstream(&text, len);
	if (!out)
		return NULL;
	struct scrape s = { .m = m, .out = out };
	int n = m->desc->nmaps > 0 ? m->desc->nmaps : 0;
	int *order = xcalloc((size_t)(n ? n : 1), sizeof(*order));
	for (int i = 0; i < n; i++)
		order[i] = i;
	util_sort_r(order, (size_t)n, sizeof(*order), desc_index_cmp, (void *)m->desc);
	m->scrapes++;
	for (int i = 0; i < n; i++)
		export_map(&s, order[i]);
	free(order);
	fprintf(out,
		"# HELP sonde_metrics_dropped_series_total Series left out of scrapes: more than the %" PRIu32 " a scrape may hold\n"
		"# TYPE sonde_metrics_dropped_series_total counter\n"
		"sonde_metrics_dropped_series_total %" PRIu64 "\n"
		"# HELP sonde_metrics_map_read_errors_total Maps a scrape could not read\n"
		"# TYPE sonde_metrics_map_read_errors_total counter\n"
		"sonde_metrics_map_read_errors_total %" PRIu64 "\n"
		"# HELP sonde_metrics_scrapes_total Requests for /metrics\n"
		"# TYPE sonde_metrics_scrapes_total counter\n"
		"sonde_metrics_scrapes_total %" PRIu64 "\n",
		m->max_series, m->dropped_series, m->read_errors, m->scrapes);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- HTTP ------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     char *body, size_t len, bool owned)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return reply(c, status, "text/plain; charset=utf-8", (char *)text, strlen(text), false);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	static int headers_seen;
	if (!*con_cls) { /* first call: headers only; answer once the request is whole */
		*con_cls = &headers_seen;
		return MHD_YES;
	}
	if (*upload_data_size) { /* a body nobody asked for: read and ignored */
		*upload_data_size = 0;
		return MHD_YES;
	}
	bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
	if (strcmp(url, "/") == 0)
		return reply_text(c, MHD_HTTP_OK, "sonde: the script's maps are at /metrics\n");
	if (strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
	size_t len;
	char *body = render(cls, &len);
	if (!body)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the metrics\n");
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len, true);
}

static void quiet_logger(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

static void verbose_logger(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("sonde: metrics: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static void address_text(const struct sockaddr_storage *ss, uint16_t port, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, port);
	}
}

int rt_metrics_start(struct rt_metrics **out, const struct rt_metrics_config *cfg)
{
	*out = NULL;
	struct sockaddr_storage ss;
	socklen_t sl;
	char why[256];
	if (rt_metrics_parse_listen(cfg->listen, &ss, &sl, why, sizeof(why)) < 0) {
		fprintf(stderr, "sonde: --metrics '%s': %s\n", cfg->listen, why);
		return -1;
	}
	struct rt_metrics *m = xcalloc(1, sizeof(*m));
	m->desc = cfg->desc;
	m->map_fds = cfg->map_fds;
	m->ncpus = cfg->ncpus > 0 ? cfg->ncpus : 1;
	m->max_series = cfg->max_series ? cfg->max_series : RT_METRICS_DEFAULT_MAX_SERIES;
	m->names = family_names(cfg->desc);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The server's thread inherits a mask blocking every signal: SIGINT
	 * and the others stay the event loop's. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	m->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, m,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONNECTION_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_PER_IP_LIMIT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_CONNECTION_MEMORY,
		MHD_OPTION_EXTERNAL_LOGGER, cfg->verbose ? verbose_logger : quiet_logger, NULL,
		MHD_OPTION_END);
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!m->daemon) {
		fprintf(stderr, "sonde: --metrics '%s': cannot listen there%s%s\n", cfg->listen,
			saved ? ": " : "", saved ? strerror(saved) : "");
		rt_metrics_stop(m);
		return -1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
	uint16_t port = info ? info->port : 0;
	if (!cfg->quiet) {
		char where[INET6_ADDRSTRLEN + 16];
		address_text(&ss, port, where, sizeof(where));
		fprintf(stderr, "Serving metrics at http://%s/metrics\n", where);
	}
	*out = m;
	return 0;
}

void rt_metrics_stop(struct rt_metrics *m)
{
	if (!m)
		return;
	if (m->daemon)
		MHD_stop_daemon(m->daemon); /* joins the thread: no scrape runs after this */
	for (int i = 0; m->names && i < m->desc->nmaps; i++)
		free(m->names[i]);
	free(m->names);
	free(m);
}
