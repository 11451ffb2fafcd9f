/* tracepoint.c - `tracepoint:CATEGORY:EVENT` (alias `t`).
 *
 * Wildcards (`*`, `?`, `[...]`) in either part are expanded against the
 * tracefs events/ directory, in sorted order so that program order and
 * output are deterministic. The program's context is the tracepoint record
 * whose layout comes from the event's format file (tp_format_get). Attaching
 * opens the event through perf_event_open with the id from our own tracefs
 * path, so it works whichever of the two tracefs locations is mounted.
 * Syscall tracepoints are lowered to raw tracepoints where possible
 * (probes/syscalls.c); their programs attach through attach_lowered().
 * Other tracepoints whose actions never look at the record run as raw
 * tracepoint programs on the same tracepoint (tracepoint_choose_impl). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "ast.h"
#include "btf.h"
#include "cg.h"
#include "list.h"
#include "probe.h"
#include "suggest.h"
#include "util.h"

static bool has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dir(const char *parent, const struct dirent *e)
{
	if (e->d_type == DT_DIR)
		return true;
	if (e->d_type != DT_UNKNOWN)
		return false;
	char *path = xasprintf("%s/%s", parent, e->d_name);
	struct stat st;
	bool dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	free(path);
	return dir;
}

/* Sorted names of the subdirectories of `dir` matching `pattern`. */
static char **matching_subdirs(const char *dir, const char *pattern, int *n)
{
	*n = 0;
	char **names = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || fnmatch(pattern, e->d_name, 0) != 0 || !is_dir(dir, e))
			continue;
		names = xrealloc(names, sizeof(*names) * (size_t)(*n + 1));
		names[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	util_sort(names, (size_t)*n, sizeof(*names), compare_names);
	return names;
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool event_file_exists(const char *root, const char *category, const char *event,
			      const char *file)
{
	char *path = xasprintf("%s/events/%s/%s/%s", root, category, event, file);
	bool ok = access(path, R_OK) == 0;
	free(path);
	return ok;
}

static bool event_exists(const char *root, const char *category, const char *event)
{
	return event_file_exists(root, category, event, "format");
}

/* ftrace's own events (ftrace:function, ftrace:bprint...) have a format
 * but no id: perf cannot open them, so a wildcard must not pick them. */
static bool event_attachable(const char *root, const char *category, const char *event)
{
	return event_file_exists(root, category, event, "id");
}

static int add_target(const char *category, const char *event, srcloc loc, struct diag *d,
		      struct probe_target **out, int *n)
{
	const struct tp_format *fmt = tp_format_get(category, event);
	if (!fmt) {
		diag_error(d, loc, "cannot read the format of tracepoint '%s:%s'", category, event);
		return -1;
	}
	struct probe_target *t = probe_target_push(out, n);
	t->type = PT_TRACEPOINT;
	t->name = xasprintf("tracepoint:%s:%s", category, event);
	t->target = xasprintf("%s:%s", category, event);
	t->format = fmt;
	probe_lower_tracepoint(fmt, &t->lower);
	return 0;
}

/* Without tracefs (it is root's, mode 0700) an event named exactly still
 * compiles when kernel BTF, which anyone may read, has its record: so
 * --emit-elf needs no privileges. Attaching reads its id from tracefs, as
 * root. Wildcards, syscalls (no BTF record) and events that share their
 * class's record need tracefs. */
static int add_btf_target(const char *spec, struct probe_target **out, int *n)
{
	if (has_wildcard(spec) || strncmp(spec, "syscalls:", 9) == 0 || !kbtf_available() ||
	    !kbtf_has_tracepoint(spec) || !kbtf_has_tracepoint_record(spec))
		return -1;
	struct probe_target *t = probe_target_push(out, n);
	t->type = PT_TRACEPOINT;
	t->name = xasprintf("tracepoint:%s", spec);
	t->target = xstrdup(spec);
	return 0;
}

/* ---- suggestions for a tracepoint that does not exist ----------------- */

/* The closest name among the attachable subdirectories of dir (events of
 * a category when category is set, else categories), or NULL. */
static char *closest_subdir(const char *root, const char *dir, const char *category,
			    const char *word)
{
	int n;
	char **names = matching_subdirs(dir, "*", &n);
	struct suggestion s;
	suggestion_init(&s, word);
	for (int i = 0; i < n; i++)
		if (!category || event_attachable(root, category, names[i]))
			suggestion_consider(&s, names[i]);
	free_names(names, n);
	return s.best;
}

static char *category_with_event(const char *root, const char *event)
{
	char *events_dir = xasprintf("%s/events", root);
	int n;
	char **cats = matching_subdirs(events_dir, "*", &n);
	char *found = NULL;
	for (int i = 0; i < n && !found; i++)
		if (event_attachable(root, cats[i], event))
			found = xasprintf("%s:%s", cats[i], event);
	free_names(cats, n);
	free(events_dir);
	return found;
}

static bool category_exists(const char *root, const char *category)
{
	char *path = xasprintf("%s/events/%s", root, category);
	struct stat st;
	bool ok = !strchr(category, '/') && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	free(path);
	return ok;
}

/* An event pattern's wildcards are kept; only a category is corrected. */
static char *closest_in_category(const char *root, const char *category, const char *event)
{
	if (has_wildcard(event))
		return xasprintf("%s:%s", category, event);
	if (event_attachable(root, category, event))
		return xasprintf("%s:%s", category, event);
	char *cat_dir = xasprintf("%s/events/%s", root, category);
	char *best = closest_subdir(root, cat_dir, category, event);
	free(cat_dir);
	char *r = best ? xasprintf("%s:%s", category, best) : NULL;
	free(best);
	return r;
}

char *tracepoint_closest(const char *category, const char *event)
{
	const char *root = tracefs_path();
	if (!root || has_wildcard(category) || strchr(category, '/') || strchr(event, '/'))
		return NULL;
	char *found = NULL;
	if (!*category) {
		/* any category */
	} else if (category_exists(root, category)) {
		if (has_wildcard(event))
			return NULL; /* the pattern itself matched nothing */
		found = closest_in_category(root, category, event);
	} else {
		char *events_dir = xasprintf("%s/events", root);
		char *cat = closest_subdir(root, events_dir, NULL, category);
		free(events_dir);
		if (cat)
			found = closest_in_category(root, cat, event);
		free(cat);
	}
	if (!found && !has_wildcard(event))
		found = category_with_event(root, event);
	return found;
}

static void report_not_found(struct diag *d, srcloc loc, const char *category, const char *event)
{
	char *near = tracepoint_closest(category, event);
	if (near)
		diag_error(d, loc, "tracepoint '%s:%s' not found; did you mean '%s'?", category, event,
			   near);
	else
		diag_error(d, loc, "tracepoint '%s:%s' not found", category, event);
	free(near);
}

/* Every existing CATEGORY:EVENT matching the two patterns, sorted. */
static int expand_wildcards(const char *root, const char *cat_pat, const char *ev_pat, srcloc loc,
			    struct diag *d, struct probe_target **out, int *n)
{
	char *events_dir = xasprintf("%s/events", root);
	int ncats, found = 0, ret = 0;
	char **cats = matching_subdirs(events_dir, cat_pat, &ncats);
	for (int i = 0; i < ncats && ret == 0; i++) {
		char *cat_dir = xasprintf("%s/%s", events_dir, cats[i]);
		int nevents;
		char **events = matching_subdirs(cat_dir, ev_pat, &nevents);
		for (int j = 0; j < nevents && ret == 0; j++) {
			if (!event_attachable(root, cats[i], events[j]))
				continue;
			ret = add_target(cats[i], events[j], loc, d, out, n);
			found++;
		}
		free_names(events, nevents);
		free(cat_dir);
	}
	free_names(cats, ncats);
	free(events_dir);
	if (ret == 0 && found == 0) {
		report_not_found(d, loc, cat_pat, ev_pat);
		return -1;
	}
	return ret;
}

static int tracepoint_expand(const char *spec, srcloc loc, struct diag *d,
			     struct probe_target **out, int *n)
{
	const char *colon = strchr(spec, ':');
	if (!colon || colon == spec || !colon[1] || strchr(colon + 1, ':')) {
		diag_error(d, loc, "tracepoint needs a category and an event: tracepoint:CATEGORY:EVENT");
		return -1;
	}
	const char *root = tracefs_path();
	struct stat st;
	if (!root && stat("/sys/kernel/tracing/events", &st) != 0 && errno == EACCES) {
		/* tracefs is mode 0700: the formats are root's to read */
		if (add_btf_target(spec, out, n) == 0)
			return 0;
		diag_error(d, loc, "reading tracepoints from tracefs needs root: /sys/kernel/tracing: %s%s",
			   strerror(EACCES), has_wildcard(spec) ? "" :
			   " (without it, only events with their own record in kernel BTF compile)");
		return -1;
	}
	if (!root) {
		diag_error(d, loc, "cannot find tracefs (mount it: mount -t tracefs tracefs /sys/kernel/tracing)");
		return -1;
	}
	char *category = xstrndup(spec, (size_t)(colon - spec));
	const char *event = colon + 1;
	int ret;
	if (has_wildcard(category) || has_wildcard(event)) {
		ret = expand_wildcards(root, category, event, loc, d, out, n);
	} else if (!event_exists(root, category, event)) {
		report_not_found(d, loc, category, event);
		ret = -1;
	} else if (!event_attachable(root, category, event)) {
		diag_error(d, loc, "'%s:%s' is an ftrace event, not a tracepoint BPF can attach to",
			   category, event);
		ret = -1;
	} else {
		ret = add_target(category, event, loc, d, out, n);
	}
	free(category);
	return ret;
}

static const char *event_of(const char *target)
{
	const char *colon = strchr(target, ':');
	return colon ? colon + 1 : target;
}

static char *tracepoint_section(const struct probe_target *t)
{
	const char *raw_tp = probe_lowering_raw_tp(t->lower.kind);
	if (raw_tp)
		return xasprintf("raw_tracepoint/%s", raw_tp);
	if (t->via_raw_tp)
		return xasprintf("raw_tracepoint/%s", event_of(t->target));
	char *s = xasprintf("tracepoint/%s", t->target);
	char *colon = strchr(s, ':');
	if (colon)
		*colon = '/';
	return s;
}

static int read_event_id(const char *target, uint64_t *id)
{
	const char *root = tracefs_path();
	if (!root)
		return -ENOENT;
	char *path = xasprintf("%s/events/%s/id", root, target);
	char *colon = strchr(path + strlen(root) + 8, ':');
	if (colon)
		*colon = '/';
	FILE *f = fopen(path, "r");
	free(path);
	if (!f)
		return -errno;
	unsigned long long v;
	int ok = fscanf(f, "%llu", &v) == 1;
	fclose(f);
	if (!ok)
		return -EINVAL;
	*id = v;
	return 0;
}

/* A lowered probe: its program is shared by every probe lowered to the same
 * raw tracepoint and is attached once (desc_probe.shares_program). */
static int attach_lowered(const char *raw_tp, struct bpf_program *prog, struct rt_links *l,
			  char *errbuf, size_t errlen)
{
	struct bpf_link *link = bpf_program__attach_raw_tracepoint(prog, raw_tp);
	if (!link) {
		int err = -errno;
		snprintf(errbuf, errlen, "raw tracepoint %s: %s", raw_tp, strerror(-err));
		return err;
	}
	return rt_links_add(l, link);
}

/* A lowered target attaches to its raw tracepoint: "raw_tp=sys_enter". Its
 * code numbers syscalls as this build does; a perf-event tracepoint reads
 * its record at this kernel's offsets. */
static char *tracepoint_attach_params(const struct probe_target *t, unsigned *deps)
{
	const char *raw_tp = probe_lowering_raw_tp(t->lower.kind);
	if (t->via_raw_tp)
		return xasprintf("raw_event=%s", event_of(t->target));
	if (!raw_tp) {
		*deps |= DESC_DEP_KERNEL_LAYOUT;
		return NULL;
	}
	*deps |= DESC_DEP_SYSCALL_ABI;
	return xasprintf("raw_tp=%s", raw_tp);
}

static const char *tracepoint_attach_hint(int err)
{
	if (err == -E2BIG)
		return "the kernel allows 64 BPF programs per tracepoint; other tracers may be using them";
	return "is tracefs mounted, and does this kernel have the tracepoint?";
}

static bool is_syscall(const struct probe_target *t);

/* ---- running as a raw tracepoint -------------------------------------------------------
 *
 * A perf-event tracepoint program is attached through a perf event, and
 * detaching it waits for an RCU grace period under the kernel's
 * event_mutex, one event after the other: ~50 ms each here, 50 s for
 * 1,000 tracepoints. A raw tracepoint program is called by the tracepoint
 * itself with the tracepoint's arguments; attaching and detaching it costs
 * a text patch (~0.4 ms) and each event costs less (no record is built).
 * So a tracepoint runs as a raw tracepoint on the same tracepoint (the
 * trace event's name is its tracepoint's) when the user cannot tell:
 *   - its actions read nothing that is the perf-event program's context:
 *     `args` (the record), `ctx`, kstack/ustack (the stack is taken from
 *     the registers in the context; a raw tracepoint's start in the BPF
 *     program's own frames);
 *   - it is a kernel tracepoint: not a syscall event (syscalls.c lowers
 *     those), not ftrace's own, not a dynamic event (kprobe, uprobe,
 *     eprobe, synthetic and user events are trace events without a
 *     tracepoint), and tracefs is there to say so;
 *   - in a program shared by several tracepoints that reads `probe`, the
 *     kernel gives raw tracepoint links a BPF cookie (Linux 6.10: the
 *     link's cookie, read by bpf_get_attach_cookie; libbpf 1.1 has no API
 *     for it, so attach_raw_event() calls bpf(2) itself).
 * What stays the same: the tracepoint's condition (checked at the call
 * site, before any probe), preemption (both run inside the tracepoint's
 * call, preemption off), the -p/-c filter (the program's own code), names,
 * counts and output. What differs, invisibly to scripts: a perf-event
 * tracepoint program is skipped when another kprobe or perf-event BPF
 * program is running on the CPU (bpf_prog_active) or when perf is already
 * handling an event in the same context, and a tracepoint takes at most 64
 * of them; a raw tracepoint program is only kept from running inside
 * itself. SONDE_TRACEPOINT_RAW=0 never does this; =nocookie behaves as on
 * a kernel without raw tracepoint cookies (the fallback, for tests). */

static const char *raw_tp_mode(void)
{
	static const char *mode;
	if (!mode) {
		const char *env = getenv("SONDE_TRACEPOINT_RAW");
		mode = env ? env : "";
	}
	return mode;
}

/* The events of tracefs' dynamic_events ("p:GROUP/EVENT ...", "u:EVENT
 * ..." for user events), read once: trace events that no tracepoint
 * carries. "" when there are none or the file cannot be read (then
 * nothing is dynamic but the categories of is_dynamic_event). */
static const char *dynamic_events(void)
{
	static char *text;
	if (text)
		return text;
	const char *root = tracefs_path();
	char *path = root ? xasprintf("%s/dynamic_events", root) : NULL;
	FILE *f = path ? fopen(path, "r") : NULL;
	free(path);
	size_t len = 0, cap = 1;
	text = xcalloc(1, cap);
	char buf[4096];
	size_t got;
	while (f && (got = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (len + got + 1 > cap) {
			cap = (len + got + 1) * 2;
			text = xrealloc(text, cap);
		}
		memcpy(text + len, buf, got);
		text[len += got] = '\0';
	}
	if (f)
		fclose(f);
	return text;
}

static bool word_is(const char *word, size_t len, const char *s)
{
	return strlen(s) == len && strncmp(word, s, len) == 0;
}

/* Asked for every pair of targets compared for sharing: no allocation,
 * no system call after the first. */
static bool is_dynamic_event(const char *category, size_t catlen, const char *event)
{
	static const char *const not_tracepoints[] = { "syscalls", "ftrace", "kprobes", "uprobes", "eprobes",
						       "synthetic", "user_events" };
	for (size_t i = 0; i < sizeof(not_tracepoints) / sizeof(not_tracepoints[0]); i++)
		if (word_is(category, catlen, not_tracepoints[i]))
			return true;
	for (const char *line = dynamic_events(); *line;) {
		size_t len = strcspn(line, "\n");
		const char *colon = memchr(line, ':', len);
		if (colon) {
			const char *word = colon + 1;
			size_t wlen = strcspn(word, " \n");
			const char *slash = memchr(word, '/', wlen);
			if (slash ? (size_t)(slash - word) == catlen && strncmp(word, category, catlen) == 0 &&
					    word_is(slash + 1, wlen - (size_t)(slash + 1 - word), event)
				  : word_is(word, wlen, event))
				return true;
		}
		line += len + (line[len] == '\n');
	}
	return false;
}

/* What the target is, whatever its actions: a kernel tracepoint that may
 * run as a raw tracepoint (its format came from tracefs, which then also
 * says which events are dynamic). */
static bool raw_tp_possible(const struct probe_target *t)
{
	if (t->type != PT_TRACEPOINT || t->lower.kind != LOWER_NONE || !t->target || !t->format ||
	    strcmp(raw_tp_mode(), "0") == 0)
		return false;
	const char *colon = strchr(t->target, ':');
	return colon && !is_dynamic_event(t->target, (size_t)(colon - t->target), colon + 1);
}

/* Linux 6.10 gave raw tracepoint links a cookie (struct bpf_raw_tp_link's
 * `cookie`, which bpf_get_attach_cookie reads in raw tracepoint programs):
 * kernel BTF says whether this kernel has it. */
bool tracepoint_raw_cookies(void)
{
	static int known = -1;
	if (known >= 0)
		return known == 1;
	known = 0;
	if (strcmp(raw_tp_mode(), "nocookie") == 0)
		return false;
	const struct btf *btf = kbtf_btf();
	int id = btf ? btf__find_by_name_kind(btf, "bpf_raw_tp_link", BTF_KIND_STRUCT) : -1;
	if (id <= 0)
		return false;
	const struct btf_type *t = btf__type_by_id(btf, (uint32_t)id);
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t) && !known; i++)
		known = strcmp(btf__name_by_offset(btf, m[i].name_off), "cookie") == 0;
	return known == 1;
}

/* Why t must stay a perf-event tracepoint with actions using u, or NULL. */
const char *tracepoint_raw_refusal(const struct probe_target *t, const struct probe_uses *u)
{
	static const char *const reads_context[] = { "args", "ctx", "kstack", "ustack" };
	if (!raw_tp_possible(t))
		return "not a kernel tracepoint a raw tracepoint program can attach to";
	bool reads_probe = false;
	for (int i = 0; i < u->n; i++) {
		for (size_t k = 0; k < sizeof(reads_context) / sizeof(reads_context[0]); k++)
			if (strcmp(u->names[i], reads_context[k]) == 0)
				return "the actions read the tracepoint's context";
		reads_probe |= strcmp(u->names[i], "probe") == 0;
	}
	if (u->shared && reads_probe && !tracepoint_raw_cookies())
		return "a shared program reads `probe` and raw tracepoint links have no cookie here";
	return NULL;
}

static void tracepoint_choose_impl(struct probe_target *t, const struct probe_uses *u)
{
	t->via_raw_tp = tracepoint_raw_refusal(t, u) == NULL;
}

/* BPF_RAW_TRACEPOINT_OPEN's attribute with the cookie of Linux 6.10
 * (older uapi headers end it at prog_fd). */
struct raw_tp_open_attr {
	uint64_t name;
	uint32_t prog_fd;
	uint32_t pad;
	uint64_t cookie;
};

static int raw_tp_open(const char *name, int prog_fd, uint64_t cookie)
{
	struct raw_tp_open_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.name = (uint64_t)(uintptr_t)name;
	attr.prog_fd = (uint32_t)prog_fd;
	attr.cookie = cookie;
	int fd = (int)syscall(__NR_bpf, BPF_RAW_TRACEPOINT_OPEN, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* prog on raw tracepoint `event` with attach cookie `cookie` (which of the
 * probes sharing prog fired, for `probe`). A kernel without raw
 * tracepoint cookies refuses a non-zero one (EINVAL): then prog does not
 * read it (tracepoint_raw_refusal) and is attached without. */
static int attach_raw_event(const char *event, struct bpf_program *prog, uint64_t cookie,
			    struct rt_links *l, char *errbuf, size_t errlen)
{
	int fd = raw_tp_open(event, bpf_program__fd(prog), cookie);
	if (fd == -EINVAL && cookie != 0)
		fd = raw_tp_open(event, bpf_program__fd(prog), 0);
	if (fd < 0) {
		snprintf(errbuf, errlen, "raw tracepoint %s: %s", event, strerror(-fd));
		return fd;
	}
	return rt_links_add_fd(l, fd);
}

/* Keeps a second fd on the perf event pfd of a BPF link (rt_links'
 * events), so that closing the link only detaches the program: the
 * link's release waits for an RCU Tasks Trace grace period, and those
 * waits overlap when links are closed from several threads; the event's
 * own release (two grace periods under the kernel's event_mutex) comes
 * after every link, or in sonde's detach child. Not with a kernel older
 * than BPF perf links (5.15): libbpf then attaches with an ioctl and the
 * program stays on the event until its last fd is closed. */
static void hold_event(struct rt_links *l, struct bpf_link *link, int pfd)
{
	if (bpf_link__fd(link) == pfd)
		return;
	int hold = fcntl(pfd, F_DUPFD_CLOEXEC, 0);
	if (hold >= 0) /* without it, closing the link releases the event too */
		rt_links_add_event(l, hold);
}

/* One perf event on the tracepoint of p, running prog with `cookie` as its
 * attach cookie (which target fired, for `probe` in a shared program). */
static int attach_perf_tracepoint(const struct desc_probe *p, struct bpf_program *prog, uint64_t cookie,
				  struct rt_links *l, char *errbuf, size_t errlen)
{
	uint64_t id = 0;
	int err = read_event_id(p->target, &id);
	if (err) {
		snprintf(errbuf, errlen, "cannot read the tracepoint id from tracefs: %s", strerror(-err));
		return err;
	}
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = id,
	};
	/* One event on CPU 0 with pid -1 covers every task on every CPU for
	 * tracepoints: the BPF program runs from the tracepoint itself. */
	int pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "perf_event_open: %s", strerror(errno));
		return err;
	}
	LIBBPF_OPTS(bpf_perf_event_opts, opts, .bpf_cookie = cookie);
	struct bpf_link *link = bpf_program__attach_perf_event_opts(prog, pfd, &opts);
	if (!link) {
		err = -errno;
		close(pfd);
		snprintf(errbuf, errlen, "%s", strerror(-err));
		return err;
	}
	rt_links_add(l, link);
	hold_event(l, link, pfd);
	return 0;
}

/* What attach_params said for a tracepoint run as a raw tracepoint (the
 * event's name), or NULL. */
static const char *raw_event_param(const struct desc_probe *p)
{
	return p->params && strncmp(p->params, "raw_event=", 10) == 0 ? p->params + 10 : NULL;
}

static int tracepoint_attach(const struct desc_probe *p, struct bpf_program *prog,
			     struct rt_links *l, char *errbuf, size_t errlen)
{
	if (p->params && strncmp(p->params, "raw_tp=", 7) == 0)
		return attach_lowered(p->params + 7, prog, l, errbuf, errlen);
	if (raw_event_param(p))
		return attach_raw_event(raw_event_param(p), prog, 0, l, errbuf, errlen);
	return attach_perf_tracepoint(p, prog, 0, l, errbuf, errlen);
}

/* Tracepoints (not lowered, not syscalls: sema lowers those) whose actions
 * are the same code share one program, attached to each: a script of
 * 1,000 probes with one body compiles and verifies one program. */
static bool tracepoint_can_share(const struct probe_target *a, const struct probe_target *b)
{
	return a->type == b->type && a->lower.kind == LOWER_NONE && b->lower.kind == LOWER_NONE &&
	       !is_syscall(a) && !is_syscall(b) && raw_tp_possible(a) == raw_tp_possible(b);
}

/* p[k] is attached with cookie k: codegen's `probe` in a shared program
 * picks the k-th of the sharing probes' names (cg_var_probe). Lowered
 * probes share a program through their one raw tracepoint instead. */
static int tracepoint_attach_shared(const struct desc_probe *const *p, int n, struct bpf_program *prog,
				    struct rt_links *l, char *errbuf, size_t errlen)
{
	if (p[0]->params && strncmp(p[0]->params, "raw_tp=", 7) == 0)
		return attach_lowered(p[0]->params + 7, prog, l, errbuf, errlen);
	for (int k = 0; k < n; k++) {
		const char *raw = raw_event_param(p[k]);
		int err = raw ? attach_raw_event(raw, prog, (uint64_t)k, l, errbuf, errlen)
			      : attach_perf_tracepoint(p[k], prog, (uint64_t)k, l, errbuf, errlen);
		if (err)
			return err;
	}
	return 0;
}

/* ---- args ---------------------------------------------------------------------------- */

static bool is_syscall(const struct probe_target *t)
{
	return t->format && strcmp(t->format->category, "syscalls") == 0;
}

static bool has_non_string_data_loc(const struct tp_format *f)
{
	for (int i = 0; i < f->nfields; i++)
		if (f->fields[i].is_data_loc && !f->fields[i].is_string)
			return true;
	return false;
}

/* The record's layout from BTF's trace_event_raw_<event> where BTF has it
 * (typed as the kernel declares the fields: enums, structs); the format
 * file otherwise: syscalls have no such struct, many events share one
 * named after their class, and a __data_loc that is not a string needs
 * the format's element type. */
static const struct type *tracepoint_args_type(const struct probe_target *t, struct type_arena *a,
					       struct diag *d, srcloc loc)
{
	const struct tp_format *f = t->format;
	if (f && (is_syscall(t) || t->lower.kind != LOWER_NONE || has_non_string_data_loc(f)))
		return tp_format_args(f, a);
	const struct type *rec = kbtf_tracepoint_args(a, t->target);
	if (rec)
		return rec;
	if (f)
		return tp_format_args(f, a);
	diag_error(d, loc, "the fields of %s are not known: its tracefs format is unreadable and BTF has none",
		   t->name);
	return NULL;
}

/* Syscall tracepoints record the syscall's arguments: pointers in them
 * point to the calling process's memory. */
static enum addr_space tracepoint_args_as(const struct probe_target *t)
{
	return is_syscall(t) ? AS_USER : AS_KERNEL;
}

static enum addr_space kernel_pointers(const struct probe_target *t)
{
	(void)t;
	return AS_KERNEL;
}

/* `__data_loc T[] name`: a u32 in the record holds the data's offset from
 * the record's start (low 16 bits) and its length. */
static void data_loc_member(struct cg *cg, const struct type_member *m, struct cg_ref *out)
{
	LLVMValueRef loc = LLVMBuildLoad2(cg->b, cg->i32, cg_ptr_add(cg, cg->ctx_arg, m->offset), "");
	LLVMSetAlignment(loc, 4);
	LLVMValueRef off = LLVMBuildZExt(cg->b, LLVMBuildAnd(cg->b, loc, LLVMConstInt(cg->i32, 0xffff, false), ""),
					 cg->i64, "");
	LLVMValueRef src = cg_ptr_add_var(cg, cg->ctx_arg, off);
	if (m->type->kind != TY_STR) {
		*out = (struct cg_ref){ REF_VALUE, LLVMBuildPtrToInt(cg->b, src, cg->i64, "") };
		return;
	}
	uint32_t size = m->type->size;
	LLVMValueRef buf = cg_temp(cg, size);
	cg_zero(cg, buf, cg_round8(size));
	cg_probe_read_str(cg, buf, size, src, false);
	*out = (struct cg_ref){ REF_BPF, buf };
}

/* raw_syscalls' `unsigned long args[6]` in a lowered program: each
 * element rebuilt from its register into BPF memory. */
static LLVMValueRef lowered_array(struct cg *cg, const struct type_member *m)
{
	const struct type *elem = m->type->elem;
	LLVMValueRef buf = cg_temp(cg, cg_round8(m->type->size));
	cg_zero(cg, buf, cg_round8(m->type->size));
	for (uint32_t i = 0; i < m->type->count; i++) {
		LLVMValueRef v = cg_lowered_field(cg, m->offset + i * elem->size);
		cg_store(cg, cg_ptr_add(cg, buf, i * elem->size), elem, cg_normalize(cg, v, elem), elem);
	}
	return buf;
}

static void tracepoint_emit_args_member(struct cg *cg, const struct type_member *m, struct cg_ref *out)
{
	if (cg->target->lower.kind != LOWER_NONE) {
		/* a lowered syscall tracepoint: the record is rebuilt from registers */
		if (m->type->kind == TY_ARRAY) {
			*out = (struct cg_ref){ REF_BPF, lowered_array(cg, m) };
			return;
		}
		*out = (struct cg_ref){ REF_VALUE, cg_normalize(cg, cg_lowered_field(cg, m->offset), m->type) };
		return;
	}
	if (m->is_data_loc) {
		data_loc_member(cg, m, out);
		return;
	}
	/* tracepoint programs may load the record directly */
	*out = cg_ref_member(cg, cg_ctx_ref(cg), m);
}

/* ---- -l -------------------------------------------------------------------------------- */

/* Every "category:event" of available_events matching pattern: the
 * tracepoints bpftrace lists (ftrace's own events are not among them). */
static int read_available_events(const char *root, const char *pattern, struct list_names *out)
{
	char *path = xasprintf("%s/available_events", root);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "sonde: cannot list tracepoints: %s: %s\n", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strchr(line, ':') && probe_wildcard_match(pattern, line))
			list_names_add(out, xstrdup(line));
	}
	fclose(f);
	return 0;
}

/* -lv: the fields after the common ones as their format file declares
 * them, "    int dfd" (the text between "field:" and ';'). */
static void print_fields(FILE *out, const char *root, const char *name)
{
	char *path = xasprintf("%s/events/%s/format", root, name);
	char *colon = strchr(path + strlen(root) + 8, ':');
	if (colon)
		*colon = '/';
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "sonde: cannot read the format of tracepoint '%s': %s\n", name, strerror(errno));
		free(path);
		return;
	}
	free(path);
	char line[1024];
	bool common_done = false; /* the common fields end at the first empty line */
	while (fgets(line, sizeof(line), f)) {
		if (!common_done) {
			common_done = line[0] == '\n';
			continue;
		}
		if (strncmp(line, "\tfield:", 7) != 0)
			continue;
		const char *decl = line + 7;
		fprintf(out, "    %.*s\n", (int)strcspn(decl, ";"), decl);
	}
	fclose(f);
}

static int tracepoint_list(const struct probe_provider *self, const struct probe_list_request *req)
{
	const char *root = tracefs_path();
	if (!root) {
		struct stat st;
		if (stat("/sys/kernel/tracing/events", &st) != 0 && errno == EACCES)
			fprintf(stderr, "sonde: listing tracepoints needs root: /sys/kernel/tracing: %s\n",
				strerror(EACCES));
		else
			fprintf(stderr, "sonde: cannot list tracepoints: tracefs not found "
					"(mount it: mount -t tracefs tracefs /sys/kernel/tracing)\n");
		return -1;
	}
	char *pattern = list_two_part_pattern(req->pattern);
	struct list_names names = { 0 };
	int ret = read_available_events(root, pattern, &names);
	free(pattern);
	list_names_sort_unique(&names);
	for (int i = 0; ret == 0 && i < names.n; i++) {
		fprintf(req->out, "%s:%s\n", self->name, names.v[i]);
		if (req->verbose)
			print_fields(req->out, root, names.v[i]);
	}
	if (ret == 0)
		ret = names.n;
	list_names_free(&names);
	return ret;
}

const struct probe_provider probe_tracepoint = {
	.name = "tracepoint",
	.aliases = { "t", NULL },
	.type = PT_TRACEPOINT,
	.filter_self = true,
	.max_args = 0,
	.args_type = tracepoint_args_type,
	.args_as = tracepoint_args_as,
	.pointer_as = kernel_pointers,
	.emit_args_member = tracepoint_emit_args_member,
	.expand = tracepoint_expand,
	.section = tracepoint_section,
	.attach = tracepoint_attach,
	.can_share = tracepoint_can_share,
	.choose_impl = tracepoint_choose_impl,
	.probe_by_cookie = true,
	.attach_shared = tracepoint_attach_shared,
	.attach_hint = tracepoint_attach_hint,
	.attach_params = tracepoint_attach_params,
	.list = tracepoint_list,
};
