/* timer.c - what interval and profile share: the "UNIT:N" / "Nunit" spec
 * and attaching to the cpu-clock software perf event.
 *
 * Attached the libbpf way (a BPF link on the perf event); the event's own
 * sampling only decides when the program runs. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "ast.h"
#include "btf.h"
#include "intlit.h"
#include "list.h"
#include "probe.h"

struct timer_unit {
	const char *name;
	uint64_t ns; /* 0 = a frequency (hz) */
};

static const struct timer_unit timer_units[] = {
	{ "s", 1000000000ull },
	{ "ms", 1000000ull },
	{ "us", 1000ull },
	{ "ns", 1ull },
	{ "hz", 0 },
};

static const struct timer_unit *find_unit(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(timer_units) / sizeof(timer_units[0]); i++)
		if (strlen(timer_units[i].name) == len && strncmp(timer_units[i].name, name, len) == 0)
			return &timer_units[i];
	return NULL;
}

/* N in "UNIT:N" / "Nunit": an integer literal without suffix (1000, 1_000,
 * 1e3), as bpftrace reads it. */
static enum intlit_status parse_count(const char *s, size_t len, uint64_t *v)
{
	struct intlit lit;
	enum intlit_status st = intlit_parse(s, len, false, &lit, NULL, 0);
	*v = lit.value;
	return st == INTLIT_OK && lit.value == 0 ? INTLIT_INVALID : st;
}

/* The count that starts "Nunit": digits and '_', and an exponent. */
static size_t count_prefix(const char *spec)
{
	size_t len = strspn(spec, "0123456789_");
	if (len && (spec[len] == 'e' || spec[len] == 'E') && isdigit((unsigned char)spec[len + 1]))
		len += 1 + strspn(spec + len + 1, "0123456789_");
	return len;
}

static int parse_timer(const char *provider, const char *spec, srcloc loc, struct diag *d,
		       uint64_t *period_ns, uint64_t *freq_hz, char **canonical)
{
	const char *unit_text, *count_text;
	size_t unit_len, count_len;
	const char *colon = strchr(spec, ':');
	if (colon) { /* UNIT:N */
		unit_text = spec;
		unit_len = (size_t)(colon - spec);
		count_text = colon + 1;
		count_len = strlen(count_text);
	} else { /* Nunit, e.g. 100ms */
		count_text = spec;
		count_len = count_prefix(spec);
		unit_text = spec + count_len;
		unit_len = strlen(unit_text);
	}
	if (unit_len == 0) {
		diag_error(d, loc, "%s needs a unit: %s:s:N, %s:ms:N, %s:us:N, %s:hz:N",
			   provider, provider, provider, provider, provider);
		return -1;
	}
	const struct timer_unit *unit = find_unit(unit_text, unit_len);
	if (!unit) {
		diag_error(d, loc, "unknown unit '%.*s' in %s probe (expected s, ms, us, ns or hz)",
			   (int)unit_len, unit_text, provider);
		return -1;
	}
	uint64_t count;
	enum intlit_status st = parse_count(count_text, count_len, &count);
	if (st == INTLIT_RANGE) {
		diag_error(d, loc, "rate '%.*s' is too large", (int)count_len, count_text);
		return -1;
	}
	if (st != INTLIT_OK || strchr(count_text, ':')) {
		diag_error(d, loc, "invalid rate '%s' (expected a positive integer)",
			   colon ? count_text : spec);
		return -1;
	}
	*period_ns = 0;
	*freq_hz = 0;
	if (unit->ns == 0) {
		*freq_hz = count;
	} else if (count > UINT64_MAX / unit->ns) {
		diag_error(d, loc, "rate '%.*s' is too large", (int)count_len, count_text);
		return -1;
	} else {
		*period_ns = count * unit->ns;
	}
	*canonical = xasprintf("%s:%llu", unit->name, (unsigned long long)count);
	return 0;
}

int probe_expand_timer(enum probe_type type, const char *provider, const char *spec, srcloc loc,
		       struct diag *d, struct probe_target **out, int *n)
{
	uint64_t period_ns, freq_hz;
	char *canonical;
	if (parse_timer(provider, spec, loc, d, &period_ns, &freq_hz, &canonical))
		return -1;
	struct probe_target *t = probe_target_push(out, n);
	t->type = type;
	t->name = xasprintf("%s:%s", provider, canonical);
	t->target = canonical;
	t->period_ns = period_ns;
	t->freq_hz = freq_hz;
	return 0;
}

/* -l: a line per unit, "interval:hz:", the number left out as bpftrace
 * lists them. A pattern "UNIT:N" (what a script's target gives) lists its
 * unit: the number picks no other probe. */
int probe_timer_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	size_t first = strcspn(req->pattern, ":");
	char *unit_pattern = req->pattern[first] ? xasprintf("%.*s:", (int)first, req->pattern) : NULL;
	struct list_names names = { 0 };
	for (size_t i = 0; i < sizeof(timer_units) / sizeof(timer_units[0]); i++) {
		char *line = xasprintf("%s:", timer_units[i].name);
		if (probe_wildcard_match(req->pattern, line) ||
		    (unit_pattern && probe_wildcard_match(unit_pattern, line)))
			list_names_add(&names, line);
		else
			free(line);
	}
	free(unit_pattern);
	list_names_sort_unique(&names);
	for (int i = 0; i < names.n; i++)
		fprintf(req->out, "%s:%s\n", self->name, names.v[i]);
	int n = names.n;
	list_names_free(&names);
	return n;
}

/* ctx of a perf event program: the kernel passes its
 * struct bpf_perf_event_data_kern (regs, sample data, event), which is
 * what a read through the pointer finds (ctx->regs->ip). */
const struct type *probe_perf_ctx_type(const struct probe_target *t, struct type_arena *a)
{
	(void)t;
	return kbtf_type(a, "struct bpf_perf_event_data_kern");
}

char *probe_timer_section(const struct probe_target *t)
{
	(void)t;
	return xstrdup("perf_event");
}

/* The CPUs in a kernel CPU list ("0-3,5"), in a new array; -EINVAL if the
 * text is not such a list. Sized by the list itself: no CPU count is
 * assumed. A CPU number above INT_MAX cannot be a CPU. */
int probe_parse_cpu_list(const char *text, int **cpus)
{
	int n = 0, cap = 0;
	*cpus = NULL;
	for (const char *p = text; *p && *p != '\n';) {
		char *end;
		errno = 0;
		long lo = strtol(p, &end, 10), hi = lo;
		if (end == p || errno || lo < 0)
			goto bad;
		if (*end == '-') {
			const char *from = end + 1;
			hi = strtol(from, &end, 10);
			if (end == from || errno || hi < lo || hi > INT_MAX)
				goto bad;
		}
		if (*end != ',' && *end != '\n' && *end)
			goto bad;
		for (long c = lo; c <= hi; c++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				*cpus = xrealloc(*cpus, (size_t)cap * sizeof(**cpus));
			}
			(*cpus)[n++] = (int)c;
		}
		p = *end == ',' ? end + 1 : end;
	}
	if (n)
		return n;
bad:
	free(*cpus);
	*cpus = NULL;
	return -EINVAL;
}

/* The online CPUs (/sys/devices/system/cpu/online), in a new array. */
int probe_online_cpus(int **cpus)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len = getline(&line, &cap, f);
	int err = len < 0 ? (ferror(f) ? -errno : -ENOENT) : 0;
	fclose(f);
	int n = err ? err : probe_parse_cpu_list(line, cpus);
	free(line);
	return n;
}

/* The cpu-clock event p->params asks for: period_ns=N or freq_hz=N. */
static int cpu_clock_attr(const struct desc_probe *p, struct perf_event_attr *attr, char *errbuf,
			  size_t errlen)
{
	*attr = (struct perf_event_attr){
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(*attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
	};
	unsigned long long n = 0;
	if (p->params && sscanf(p->params, "freq_hz=%llu", &n) == 1) {
		attr->freq = 1;
		attr->sample_freq = n;
	} else if (p->params && sscanf(p->params, "period_ns=%llu", &n) == 1) {
		attr->sample_period = n;
	}
	if (n == 0) {
		snprintf(errbuf, errlen, "no rate in the probe's parameters '%s'", p->params ? p->params : "");
		return -EINVAL;
	}
	return 0;
}

int probe_attach_perf_fd(struct bpf_program *prog, int pfd, struct rt_links *l, char *errbuf,
			 size_t errlen)
{
	struct bpf_link *link = bpf_program__attach_perf_event(prog, pfd);
	if (!link) {
		int err = -errno;
		close(pfd);
		snprintf(errbuf, errlen, "%s", strerror(-err));
		return err;
	}
	return rt_links_add(l, link);
}

int probe_attach_perf_event(struct perf_event_attr *attr, int pid, int cpu, const char *what,
			    struct bpf_program *prog, struct rt_links *l, char *errbuf, size_t errlen)
{
	int pfd = (int)syscall(SYS_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		int err = -errno;
		snprintf(errbuf, errlen, "perf_event_open%s%s%s on %s %d: %s", what ? " (" : "",
			 what ? what : "", what ? ")" : "", cpu >= 0 ? "CPU" : "thread", cpu >= 0 ? cpu : pid,
			 strerror(-err));
		return err;
	}
	return probe_attach_perf_fd(prog, pfd, l, errbuf, errlen);
}

int probe_attach_perf_every_cpu(struct perf_event_attr *attr, int pid, const char *what,
				struct bpf_program *prog, struct rt_links *l, char *errbuf, size_t errlen)
{
	int *cpus;
	int n = probe_online_cpus(&cpus);
	if (n < 0) {
		snprintf(errbuf, errlen, "cannot list online CPUs: %s", strerror(-n));
		return n;
	}
	int err = 0;
	for (int i = 0; i < n && !err; i++)
		err = probe_attach_perf_event(attr, pid, cpus[i], what, prog, l, errbuf, errlen);
	free(cpus);
	return err;
}

int probe_attach_cpu_clock(const struct desc_probe *p, struct bpf_program *prog, bool every_cpu,
			   struct rt_links *l, char *errbuf, size_t errlen)
{
	struct perf_event_attr attr;
	int err = cpu_clock_attr(p, &attr, errbuf, errlen);
	if (err)
		return err;
	if (!every_cpu)
		return probe_attach_perf_event(&attr, -1, 0, NULL, prog, l, errbuf, errlen);
	return probe_attach_perf_every_cpu(&attr, -1, NULL, prog, l, errbuf, errlen);
}

const char *probe_timer_attach_hint(int err)
{
	(void)err;
	return "the rate may be above kernel.perf_event_max_sample_rate";
}

char *probe_timer_attach_params(const struct probe_target *t, unsigned *deps)
{
	(void)deps;
	if (t->freq_hz)
		return xasprintf("freq_hz=%llu", (unsigned long long)t->freq_hz);
	return xasprintf("period_ns=%llu", (unsigned long long)t->period_ns);
}
