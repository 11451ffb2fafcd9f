/* run.c - rt_run(): from a compiled object to a finished trace.
 *
 *   fork -c child (held) -> open object, write rt_config -> load (verifier
 *   errors mapped to script lines) -> "Attaching N probes..." -> BEGIN once
 *   -> attach the rest -> release child -> event loop -> detach -> END once
 *   -> print maps -> close, reap child.
 *
 * Every way out goes through the same teardown, so nothing stays attached
 * and no child is left behind. No state survives a call: a REPL may call
 * rt_run() again and again. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ast.h"
#include "probe.h"
#include "run_internal.h"
#include "timing.h"
#include "runtime.h"

/* How often lost events (and with -v dropped map updates) are looked for:
 * often enough to see trouble as it happens, rarely enough to cost nothing. */
#define LOST_CHECK_MS 1000

struct run {
	const struct desc *desc;
	const struct rt_options *o;
	FILE *out;
	struct rt_output sink;   /* everything printed goes through it */
	char *printf_buf;        /* one printf's text, reused */
	size_t printf_cap;
	struct bpf_object *obj;
	struct ring_buffer *rb;
	struct rt_channels channels; /* output channels besides the ring buffer (channel.c) */
	int *map_fds;    /* per desc map, -1 if missing */
	int lost_fd;
	uint64_t lost_reported;
	struct rt_dropped dropped;
	int ncpus;
	struct rt_links links;
	volatile uint64_t *stop; /* SONDE_STOP_VAR in the loaded .bss, or NULL (desc.h) */
	void *stop_mem;          /* the mapping it is in */
	size_t stop_len;
	int detach_pipe;         /* its end: closing it lets the child go on, -1 = none */
	struct rt_child child;
	struct rt_target target; /* -p */
	struct rt_metrics *metrics; /* --metrics: serving the maps, or NULL */
	char *log_buf;
	bool exited;     /* exit() was called: later events are ignored */
	int64_t exit_code;
	bool output_broken;
	bool failed;     /* a call the run depends on failed (and said so): stop, exit 1 */
	/* In the event loop: a stop request or exit() ends the reading of
	 * the ring buffer at once. Probes that make events faster than they
	 * are handled (system() on every sched_switch) would otherwise keep
	 * ring_buffer__consume() from ever returning. */
	bool interruptible;
	/* An iterator's walk is in progress: as bpftrace's iterators write
	 * into the walk's own file, everything the walk prints is shown even
	 * after exit(), which ends the run once the walk is over. */
	bool walking;
};

/* ---- signals: a self-pipe wakes the event loop ------------------------- */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t usr1_pending; /* self:signal:SIGUSR1 is due */
static int wake_pipe[2] = { -1, -1 };

struct saved_signals {
	struct sigaction intr, term, chld, pipe, usr1;
};

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGINT || sig == SIGTERM)
		stop_requested = 1;
	if (sig == SIGUSR1)
		usr1_pending = 1;
	if (wake_pipe[1] >= 0) {
		ssize_t w = write(wake_pipe[1], "", 1);
		(void)w;
	}
	errno = saved;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGCHLD: return "SIGCHLD";
	case SIGPIPE: return "SIGPIPE";
	case SIGUSR1: return "SIGUSR1";
	default: return "a signal";
	}
}

/* sigaction() that says why it failed. */
static int set_signal(int sig, const struct sigaction *sa, struct sigaction *old)
{
	if (sigaction(sig, sa, old) == 0)
		return 0;
	fprintf(stderr, "sonde: cannot set the handler of %s: %s\n", signal_name(sig),
		strerror(errno));
	return -1;
}

static bool has_probe_type(const struct desc *d, enum probe_type type)
{
	for (int i = 0; i < d->nprobes; i++)
		if (d->probes[i].type == type)
			return true;
	return false;
}

static void close_wake_pipe(void)
{
	for (int i = 0; i < 2; i++) {
		if (wake_pipe[i] >= 0)
			close(wake_pipe[i]);
		wake_pipe[i] = -1;
	}
}

/* Without its handlers sonde cannot stop cleanly on Ctrl-C (the -c child
 * would be left running), so a failure here ends the run before it starts. */
static int signals_install(struct saved_signals *saved, bool with_child, bool with_usr1)
{
	stop_requested = 0;
	usr1_pending = 0;
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		fprintf(stderr, "sonde: pipe: %s\n", strerror(errno));
		wake_pipe[0] = wake_pipe[1] = -1;
		return -1;
	}
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	struct sigaction child_sa = sa;
	child_sa.sa_flags = SA_NOCLDSTOP;
	/* A closed output pipe must end the run cleanly, not kill sonde
	 * with the -c child still running. */
	struct sigaction ign = { 0 };
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	const struct {
		int sig;
		const struct sigaction *sa;
		struct sigaction *old;
	} handlers[] = {
		{ SIGINT, &sa, &saved->intr },
		{ SIGTERM, &sa, &saved->term },
		{ SIGCHLD, with_child ? &child_sa : NULL, &saved->chld },
		{ SIGPIPE, &ign, &saved->pipe },
		{ SIGUSR1, with_usr1 ? &sa : NULL, &saved->usr1 },
	};
	int n = (int)(sizeof(handlers) / sizeof(handlers[0]));
	for (int i = 0; i < n; i++) {
		if (set_signal(handlers[i].sig, handlers[i].sa, handlers[i].old) == 0)
			continue;
		while (i-- > 0) /* put back what was changed */
			set_signal(handlers[i].sig, handlers[i].old, NULL);
		close_wake_pipe();
		return -1;
	}
	return 0;
}

/* A failure is reported; the run is over anyway. */
static void signals_restore(const struct saved_signals *saved)
{
	set_signal(SIGINT, &saved->intr, NULL);
	set_signal(SIGTERM, &saved->term, NULL);
	set_signal(SIGCHLD, &saved->chld, NULL);
	set_signal(SIGPIPE, &saved->pipe, NULL);
	set_signal(SIGUSR1, &saved->usr1, NULL);
	close_wake_pipe();
}

static void drain_wake_pipe(void)
{
	char buf[64];
	while (wake_pipe[0] >= 0 && read(wake_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/* ---- loading -------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC); /* the clock of bpf_ktime_get_ns() */
}

/* nsecs(sw_tai) is boot time plus this offset: kernels before 6.1 have no
 * TAI helper. The TAI reading is taken between two boot-clock readings and
 * paired with their midpoint, so the offset is off by at most half the
 * (vDSO-fast) gap between them. */
static uint64_t tai_offset_ns(void)
{
	uint64_t before = clock_ns(CLOCK_BOOTTIME);
	uint64_t tai = clock_ns(CLOCK_TAI);
	uint64_t after = clock_ns(CLOCK_BOOTTIME);
	return tai - (before + (after - before) / 2);
}

/* Offset of variable `name` in the object's datasec `section`, from its
 * BTF; -1 when there is no such section, -2 when the section has no such
 * variable. */
static long datasec_var_offset(struct bpf_object *obj, const char *section, const char *name)
{
	struct btf *btf = bpf_object__btf(obj);
	int id = btf ? btf__find_by_name_kind(btf, section, BTF_KIND_DATASEC) : -1;
	if (id < 0)
		return -1;
	const struct btf_type *sec = btf__type_by_id(btf, (uint32_t)id);
	const struct btf_var_secinfo *v = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, v++) {
		const struct btf_type *var = btf__type_by_id(btf, v->type);
		if (var && strcmp(btf__name_by_offset(btf, var->name_off), name) == 0)
			return (long)v->offset;
	}
	return -2;
}

/* Offset of SONDE_CONFIG_VAR in .rodata; -1 when there is no .rodata
 * section in the BTF, -2 when the section has no config (no program reads
 * it: codegen leaves it out). */
static long config_offset(struct bpf_object *obj)
{
	return datasec_var_offset(obj, ".rodata", SONDE_CONFIG_VAR);
}

/* bpf_map__set_max_entries() that says why it failed. */
static int set_max_entries(struct bpf_map *map, const char *what, uint32_t n)
{
	int err = bpf_map__set_max_entries(map, n);
	if (err)
		fprintf(stderr, "sonde: internal error: cannot size %s to %u entries: %s\n", what, n,
			strerror(-err));
	return err ? -1 : 0;
}

/* bpftrace's max_map_keys (o->max_map_keys), applied before load so a
 * script can keep more than SONDE_MAX_MAP_KEYS keys. hist/lhist maps hold
 * a key per bucket and already have room for many; they only ever grow. */
static int apply_max_map_keys(struct run *r)
{
	uint32_t n = r->o->max_map_keys;
	for (int i = 0; n && i < r->desc->nmaps; i++) {
		const struct desc_map *m = &r->desc->maps[i];
		struct bpf_map *map = bpf_object__find_map_by_name(r->obj, m->bpf_name);
		if (!map || m->max_entries) /* declared: its own size */
			continue;
		bool hist = m->kind == MAP_HIST || m->kind == MAP_LHIST || m->kind == MAP_TSERIES;
		if ((!hist || n > bpf_map__max_entries(map)) && set_max_entries(map, m->name, n) < 0)
			return -1;
	}
	return rt_stacks_size(r->obj, n ? n : SONDE_MAX_MAP_KEYS);
}

/* The scratch map has an element per CPU: this machine's possible CPUs,
 * which may differ from those of the machine that compiled the program
 * (a cached object). No scratch map = no program needed one. */
static int apply_scratch_cpus(struct run *r)
{
	struct bpf_map *map = bpf_object__find_map_by_name(r->obj, SONDE_SCRATCH_MAP);
	int n = libbpf_num_possible_cpus();
	if (!map)
		return 0;
	if (n <= 0) {
		fprintf(stderr, "sonde: cannot count the possible CPUs: %s\n", strerror(-n));
		return -1;
	}
	return set_max_entries(map, "the scratch map", (uint32_t)n);
}

/* Linux 6.1's BPF memory allocator (bpf_mem_alloc) makes updates of a
 * hash map without preallocation safe from any tracing context. */
static bool kernel_allocates_safely(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;
	if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 1);
}

/* A preallocated hash map costs milliseconds to create (every entry of
 * every CPU is allocated up front: 3-8 ms for a 4,096-key per-CPU map), a
 * script with 20 maps 50-150 ms before its first event. Elements allocated
 * on first update cost that only for the keys used. A full or failed
 * update is counted as dropped either way (maps.c in codegen). Maps that a
 * program run from a perf event updates stay preallocated (desc_map's
 * prealloc: that program may run in NMI, where allocation is the least
 * reliable), and LRU maps always are. SONDE_PREALLOC_MAPS=1 preallocates
 * every map (bench/run.sh compares the two). */
static int choose_map_preallocation(struct run *r)
{
	if (getenv("SONDE_PREALLOC_MAPS") || !kernel_allocates_safely())
		return 0;
	for (int i = 0; i < r->desc->nmaps; i++) {
		const struct desc_map *m = &r->desc->maps[i];
		struct bpf_map *map = bpf_object__find_map_by_name(r->obj, m->bpf_name);
		if (!map || m->lru || m->prealloc || m->array)
			continue;
		int err = bpf_map__set_map_flags(map, bpf_map__map_flags(map) | BPF_F_NO_PREALLOC);
		if (err) {
			fprintf(stderr, "sonde: internal error: cannot set the flags of %s: %s\n", m->name,
				strerror(-err));
			return -1;
		}
	}
	return 0;
}

/* bpftrace's perf_rb_pages (o->ringbuf_pages): the ring buffer's size in
 * pages of this machine, a power of two (src/main.c checks it). */
static int apply_ringbuf_pages(struct run *r)
{
	if (!r->o->ringbuf_pages || !r->desc->ringbuf_name) /* no ring buffer: no events */
		return 0;
	struct bpf_map *map = bpf_object__find_map_by_name(r->obj, r->desc->ringbuf_name);
	long page = sysconf(_SC_PAGESIZE);
	if (!map || page <= 0) {
		fprintf(stderr, "sonde: internal error: cannot size the ring buffer\n");
		return -1;
	}
	uint64_t bytes = (uint64_t)r->o->ringbuf_pages * (uint64_t)page;
	if (bytes > RT_RINGBUF_MAX_BYTES) {
		fprintf(stderr, "sonde: BPFTRACE_PERF_RB_PAGES=%u is %llu bytes, more than the %u a "
				"ring buffer can have\n", r->o->ringbuf_pages, (unsigned long long)bytes,
			RT_RINGBUF_MAX_BYTES);
		return -1;
	}
	return set_max_entries(map, "the ring buffer", (uint32_t)bytes);
}

/* The config goes in before load so that the verifier sees constants and
 * prunes the filters that are off. No .rodata, or none with the config =
 * the script reads none. */
static int write_config(struct run *r)
{
	struct bpf_map *map = bpf_object__find_map_by_name(r->obj, ".rodata");
	if (!map)
		return 0;
	size_t size;
	/* const in libbpf 1.1, but it is the writable image loaded into the map */
	char *data = (char *)bpf_map__initial_value(map, &size);
	long offset = config_offset(r->obj);
	if (offset == -2)
		return 0; /* .rodata holds only other constants */
	if (offset < 0 && size == sizeof(struct rt_config))
		offset = 0;
	if (!data || offset < 0 || (size_t)offset + sizeof(struct rt_config) > size) {
		fprintf(stderr, "sonde: internal error: no '%s' in the object's .rodata\n",
			SONDE_CONFIG_VAR);
		return -1;
	}
	struct rt_config cfg = {
		.self_tgid = (uint64_t)getpid(),
		.filter_tgid = (uint64_t)(r->o->filter_pid > 0 ? r->o->filter_pid : 0),
		.cpid = (uint64_t)(r->child.pid > 0 ? r->child.pid : 0),
		.start_ns = monotonic_ns(),
		.tai_offset_ns = tai_offset_ns(),
	};
	memcpy(data + offset, &cfg, sizeof(cfg));
	return 0;
}

static struct bpf_program *program_of(struct run *r, const struct desc_probe *p)
{
	return p->prog_name ? bpf_object__find_program_by_name(r->obj, p->prog_name) : NULL;
}

static int map_fd(struct run *r, const char *name)
{
	struct bpf_map *m = name ? bpf_object__find_map_by_name(r->obj, name) : NULL;
	return m ? bpf_map__fd(m) : -1;
}

/* The probes sharing p's program (p first): one link serves them all. */
static int sharing_probes(struct run *r, int first, const struct desc_probe ***out)
{
	const struct desc_probe *p = &r->desc->probes[first];
	int n = 0;
	*out = xcalloc((size_t)(r->desc->nprobes - first), sizeof(**out));
	for (int i = first; i < r->desc->nprobes; i++)
		if (r->desc->probes[i].type == p->type && strcmp(r->desc->probes[i].prog_name, p->prog_name) == 0)
			(*out)[n++] = &r->desc->probes[i];
	return n;
}

static bool shared_by_provider(struct run *r, int i, const struct probe_provider **prov)
{
	const struct desc_probe *p = &r->desc->probes[i];
	*prov = probe_provider_of(p->type);
	if (p->shares_program || !*prov || !(*prov)->attach_shared)
		return false;
	for (int j = i + 1; j < r->desc->nprobes; j++)
		if (r->desc->probes[j].shares_program && strcmp(r->desc->probes[j].prog_name, p->prog_name) == 0)
			return true;
	return false;
}

static int prepare_shared(struct run *r)
{
	for (int i = 0; i < r->desc->nprobes; i++) {
		const struct probe_provider *prov;
		if (shared_by_provider(r, i, &prov) && prov->prepare_shared &&
		    prov->prepare_shared(program_of(r, &r->desc->probes[i])) < 0) {
			fprintf(stderr, "sonde: cannot prepare the program of %s\n", r->desc->probes[i].name);
			return -1;
		}
	}
	return 0;
}

/* The providers' prepare hooks, before loading (fentry:bpf: its target). */
static int prepare_programs(struct run *r)
{
	for (int i = 0; i < r->desc->nprobes; i++) {
		const struct desc_probe *p = &r->desc->probes[i];
		const struct probe_provider *prov = probe_provider_of(p->type);
		char reason[256] = "";
		if (!prov || !prov->prepare || p->shares_program ||
		    prov->prepare(p, program_of(r, p), reason, sizeof(reason)) == 0)
			continue;
		struct diag d;
		diag_init(&d, r->o->src, stderr);
		diag_error(&d, p->loc, "cannot prepare probe '%s': %s", p->name, reason);
		return -1;
	}
	return 0;
}

static int load(struct run *r, const struct compiled *c)
{
	uint32_t log_size = r->o->log_size ? r->o->log_size : RT_DEFAULT_LOG_SIZE;
	r->log_buf = xmalloc(log_size);
	r->log_buf[0] = '\0';
	/* Log level 0 with a buffer: libbpf loads without a log and retries
	 * with level 1 into this buffer only when a load fails. */
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "sonde",
		    .kernel_log_buf = r->log_buf, .kernel_log_size = log_size,
		    .kernel_log_level = 0);
	r->obj = bpf_object__open_mem(c->elf, c->elf_size, &opts);
	timing_mark("object-open");
	if (!r->obj) {
		int err = errno;
		fprintf(stderr, "sonde: internal error: cannot open the BPF object: %s\n", strerror(err));
		fputs(rt_libbpf_log_text(), stderr);
		return -1;
	}
	rt_stacks_open(r->obj, r->desc);
	for (int i = 0; i < r->desc->nprobes; i++)
		if (!program_of(r, &r->desc->probes[i])) {
			fprintf(stderr, "sonde: internal error: no program '%s' for probe '%s'\n",
				r->desc->probes[i].prog_name ? r->desc->probes[i].prog_name : "(null)",
				r->desc->probes[i].name);
			return -1;
		}
	if (write_config(r) < 0 || apply_max_map_keys(r) < 0 || apply_ringbuf_pages(r) < 0 ||
	    apply_scratch_cpus(r) < 0 || choose_map_preallocation(r) < 0 || prepare_shared(r) < 0 ||
	    prepare_programs(r) < 0)
		return -1;
	timing_mark("object-prepare");
	int loaded = bpf_object__load(r->obj);
	timing_mark("object-load");
	if (loaded < 0) {
		rt_report_load_failure(r->desc, r->o->src, r->log_buf, errno, r->o->verbose);
		return -1;
	}
	if (rt_libbpf_btf_dropped()) {
		fprintf(stderr, "sonde: internal error: the kernel rejected the object's BTF "
				"(verifier messages and map types would be lost)\n%s",
			rt_libbpf_log_text());
		return -1;
	}
	r->map_fds = xmalloc(sizeof(int) * (size_t)(r->desc->nmaps ? r->desc->nmaps : 1));
	for (int i = 0; i < r->desc->nmaps; i++)
		r->map_fds[i] = map_fd(r, r->desc->maps[i].bpf_name);
	r->lost_fd = map_fd(r, r->desc->lost_name);
	return rt_dropped_open(&r->dropped, r->desc, r->obj, r->ncpus);
}

/* ---- events --------------------------------------------------------------- */

/* on_event's answer that ends ring_buffer__consume() early (not an error) */
#define RUN_STOP_READING (-EINTR)

/* A reader that went away (EPIPE) ends the run quietly, as in bpftrace;
 * any other write error (a full disk under -o) is reported and ends it
 * with exit status 1. */
static void flush_output(struct run *r)
{
	errno = 0;
	if (fflush(r->out) == 0 && !ferror(r->out))
		return;
	int err = errno ? errno : EIO;
	if (!r->output_broken && err != EPIPE) {
		fprintf(stderr, "sonde: cannot write the output: %s\n", strerror(err));
		r->failed = true;
	}
	r->output_broken = true;
	clearerr(r->out);
}

/* print(), clear() and zero() are done here on the probe's request. One
 * that fails is reported and the run goes on: the map is still there for
 * the next request and for the print at exit. */
static void handle_map_event(struct run *r, const struct event_hdr *h, const char *payload,
			     size_t size)
{
	if (h->id >= (uint32_t)r->desc->nmaps || r->map_fds[h->id] < 0) {
		fprintf(stderr, "sonde: internal error: an event names map %u, which the object "
				"does not have\n", h->id);
		return;
	}
	const struct desc_map *m = &r->desc->maps[h->id];
	int fd = r->map_fds[h->id];
	int err;
	const char *what;
	if (h->kind == EV_CLEAR) {
		what = "clear";
		err = rt_map_clear(m, fd);
	} else if (h->kind == EV_ZERO) {
		what = "zero";
		err = rt_map_zero(m, fd, r->ncpus);
	} else {
		what = "print";
		int64_t args[2] = { 0, 0 }; /* top, div */
		memcpy(args, payload, size < sizeof(args) ? size : sizeof(args));
		struct rt_map_snapshot snap = { 0 };
		err = rt_map_read(m, fd, r->ncpus, &snap);
		if (err == 0) {
			rt_map_snapshot_zero_scalar(&snap);
			rt_map_print(&r->sink, &snap, args[0], args[1]);
		}
		rt_map_snapshot_free(&snap);
	}
	if (err) {
		flush_output(r); /* the report after what was printed before it */
		fprintf(stderr, "sonde: %s(%s) failed: %s\n", what, m->name, strerror(-err));
	}
}

/* printf: formatted into one string, then handed to the sink (the JSON
 * sink wraps it in a message). */
static void handle_printf(struct run *r, uint32_t id, const char *payload, size_t size)
{
	if (id >= (uint32_t)r->desc->nprintfs) {
		char msg[128];
		snprintf(msg, sizeof(msg), "internal error: an event names printf %u, which the object does not have", id);
		r->sink.ops->notice(&r->sink, RT_NOTICE_ERROR, msg);
		return;
	}
	const struct desc_printf *pf = &r->desc->printfs[id];
	if (pf->action == PF_SYSTEM && stop_requested)
		return; /* after Ctrl-C no more commands are started (each takes milliseconds) */
	if (pf->action != PF_PRINTF) {
		rt_printf_action(&r->sink, pf, payload, size, r->o->src, r->o->no_warnings);
		return;
	}
	FILE *f = open_memstream(&r->printf_buf, &r->printf_cap);
	if (!f) {
		r->sink.ops->notice(&r->sink, RT_NOTICE_ERROR, "cannot format printf: out of memory");
		return;
	}
	rt_format_printf(f, &r->desc->printfs[id], payload, size);
	if (fclose(f) == 0)
		r->sink.ops->printf(&r->sink, r->printf_buf, r->printf_cap);
	free(r->printf_buf);
	r->printf_buf = NULL;
	r->printf_cap = 0;
}

/* print(value): decoded by its type, printed by the sink. */
static void handle_value(struct run *r, uint32_t id, const char *payload, size_t size)
{
	if (id >= (uint32_t)r->desc->nvalues)
		return;
	const struct type *t = r->desc->values[id];
	if (size < t->size)
		return;
	struct rt_arena *a = rt_arena_new();
	r->sink.ops->value(&r->sink, rt_decode(a, t, payload));
	rt_arena_free(a);
}

static void handle_unwatch(const char *payload, size_t size)
{
	uint64_t addr;
	if (size < sizeof(addr))
		return;
	memcpy(&addr, payload, sizeof(addr));
	const struct probe_provider *prov;
	for (int i = 0; (prov = probe_provider_at(i)); i++)
		if (prov->unwatch)
			prov->unwatch(addr);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	if (r->interruptible && (stop_requested || r->exited))
		return RUN_STOP_READING;
	if ((r->exited && !r->walking) || size < sizeof(struct event_hdr))
		return 0;
	struct event_hdr h;
	memcpy(&h, data, sizeof(h));
	const char *payload = (const char *)data + sizeof(h);
	size_t psize = size - sizeof(h);
	switch (h.kind) {
	case EV_PRINTF:
		handle_printf(r, h.id, payload, psize);
		break;
	case EV_VALUE:
		handle_value(r, h.id, payload, psize);
		break;
	case EV_EXIT:
		if (r->exited)
			break; /* a walk's later exit(): the first one's code stands */
		r->exited = true;
		r->exit_code = 0;
		if (psize >= sizeof(int64_t))
			memcpy(&r->exit_code, payload, sizeof(int64_t));
		break;
	case EV_PRINT:
	case EV_CLEAR:
	case EV_ZERO:
		handle_map_event(r, &h, payload, psize);
		break;
	case EV_UNWATCH:
		handle_unwatch(payload, psize);
		break;
	default:
		fprintf(stderr, "sonde: internal error: an event of unknown kind %u\n", h.kind);
		break;
	}
	return 0;
}

/* A ring buffer that cannot be read any more ends the run: every later
 * event would be lost. */
static void drain_events(struct run *r)
{
	if (r->rb && !r->failed) {
		int n = ring_buffer__consume(r->rb);
		if (n < 0 && n != RUN_STOP_READING) {
			fprintf(stderr, "sonde: cannot read events from the ring buffer: %s\n",
				strerror(-n));
			r->failed = true;
		}
	}
	flush_output(r);
}

/* Events dropped because the ring buffer was full: never silent. */
static void check_lost(struct run *r)
{
	if (r->lost_fd < 0)
		return;
	uint64_t *values = xcalloc((size_t)r->ncpus, sizeof(uint64_t));
	uint32_t key = 0;
	if (bpf_map_lookup_elem(r->lost_fd, &key, values) == 0) {
		uint64_t total = 0;
		for (int i = 0; i < r->ncpus; i++)
			total += values[i];
		if (total > r->lost_reported) {
			r->sink.ops->lost_events(&r->sink, total - r->lost_reported);
			r->lost_reported = total;
		}
	}
	free(values);
}

/* The once-a-second look at what BPF could not do: lost events always,
 * dropped map updates with -v (the exit report has them anyway). */
static void check_counters(struct run *r)
{
	check_lost(r);
	if (r->o->verbose)
		rt_dropped_report(&r->dropped, r->desc, &r->sink, false);
}

/* Ring-buffer readiness, the signal self-pipe and the -p process' exit in
 * one epoll set: a signal that arrives just before the wait still wakes it.
 * Without the set the loop could neither see events nor stop on a signal:
 * the run ends. */
static int open_epoll_set(struct run *r)
{
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		fprintf(stderr, "sonde: epoll_create1: %s\n", strerror(errno));
		r->failed = true;
		return -1;
	}
	static const char *const what[3] = { "signal pipe", "ring buffer", "-p process" };
	int fds[3] = { wake_pipe[0], r->rb ? ring_buffer__epoll_fd(r->rb) : -1,
		       rt_target_fd(&r->target) };
	for (int i = 0; i < 3; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
		if (fds[i] >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
			fprintf(stderr, "sonde: epoll_ctl: cannot watch the %s: %s\n", what[i],
				strerror(errno));
			close(epfd);
			r->failed = true;
			return -1;
		}
	}
	if (rt_channels_watch(&r->channels, epfd) < 0) {
		close(epfd);
		r->failed = true;
		return -1;
	}
	/* providers that attach while the run goes on */
	const struct probe_provider *prov;
	for (int i = 0; (prov = probe_provider_at(i)); i++) {
		int fd = prov->poll_fd ? prov->poll_fd() : -1;
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		if (fd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			fprintf(stderr, "sonde: epoll_ctl: cannot watch the %s probes: %s\n", prov->name,
				strerror(errno));
			close(epfd);
			r->failed = true;
			return -1;
		}
	}
	return epfd;
}

/* Only BEGIN and END (and iter, whose walk ran when attached): nothing can
 * happen after BEGIN, so the run ends there (END, then the maps), as in
 * the latest bpftrace (0.17 waited for Ctrl-C). With -c or -p it lasts as
 * long as the process. */
static bool nothing_to_wait_for(const struct run *r)
{
	if (r->o->cmd || r->o->filter_pid)
		return false;
	for (int i = 0; i < r->desc->nprobes; i++) {
		const struct probe_provider *prov = probe_provider_of(r->desc->probes[i].type);
		if (r->desc->probes[i].type != PT_BEGIN && r->desc->probes[i].type != PT_END &&
		    !(prov && prov->run))
			return false;
	}
	return true;
}

static int run_once(struct run *r, enum probe_type type);

static void service_providers(struct run *r)
{
	const struct probe_provider *prov;
	for (int i = 0; (prov = probe_provider_at(i)); i++)
		if (prov->service && prov->poll_fd && prov->poll_fd() >= 0) {
			prov->service(&r->links, r->out);
			flush_output(r);
		}
}

static void event_loop(struct run *r)
{
	if (nothing_to_wait_for(r))
		return;
	int epfd = open_epoll_set(r);
	if (epfd < 0)
		return;
	uint64_t next_lost_check = monotonic_ns() + LOST_CHECK_MS * 1000000ull;
	r->interruptible = true;
	while (!stop_requested && !r->exited && !r->output_broken && !r->failed) {
		struct epoll_event events[4];
		int watch_ms = rt_stacks_watch(r->child.pid > 0 ? r->child.pid : r->target.pid);
		int n = epoll_wait(epfd, events, 4, watch_ms >= 0 && watch_ms < LOST_CHECK_MS ? watch_ms : LOST_CHECK_MS);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "sonde: epoll_wait: %s\n", strerror(errno));
			r->failed = true;
			break;
		}
		drain_wake_pipe();
		drain_events(r);
		rt_channels_drain(&r->channels);
		service_providers(r);
		if (usr1_pending) { /* self:signal:SIGUSR1 probes */
			usr1_pending = 0;
			if (run_once(r, PT_SELF) < 0)
				r->failed = true;
		}
		if (rt_child_poll_exit(&r->child) || rt_target_exited(&r->target))
			break;
		if (monotonic_ns() >= next_lost_check) {
			check_counters(r);
			next_lost_check = monotonic_ns() + LOST_CHECK_MS * 1000000ull;
		}
	}
	r->interruptible = false;
	close(epfd);
}

/* ---- running BEGIN / END and attaching ------------------------------------ */

/* BEGIN and END are raw tracepoint programs run once by the kernel on
 * request (bpf_prog_test_run); their events are read right after. */
static int run_once(struct run *r, enum probe_type type)
{
	for (int i = 0; i < r->desc->nprobes; i++) {
		const struct desc_probe *p = &r->desc->probes[i];
		if (p->type != type)
			continue;
		LIBBPF_OPTS(bpf_test_run_opts, topts);
		int err = bpf_prog_test_run_opts(bpf_program__fd(program_of(r, p)), &topts);
		if (err) {
			fprintf(stderr, "sonde: cannot run %s: %s\n", p->name, strerror(errno));
			return -1;
		}
		drain_events(r);
	}
	return 0;
}

static const char *attach_hint(const struct probe_provider *prov, int err)
{
	const char *hint = prov->attach_hint ? prov->attach_hint(err) : NULL;
	return hint ? hint : "this kernel may not support this probe type";
}

static void print_prog_id(const struct desc_probe *p, struct bpf_program *prog, const char *verb)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	/* a kprobe run through a BPF trampoline says so (probes/kprobe_fentry.c) */
	const char *as = (p->type == PT_KPROBE || p->type == PT_KRETPROBE) && kprobe_fentry_is_lowered(prog)
				 ? (p->type == PT_KPROBE ? ", as fentry" : ", as fexit") : "";
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0)
		fprintf(stderr, "sonde: %s %s (program id %u%s)\n", verb, p->name, info.id, as);
}

/* A provider's run hook empties the ring buffer through this. */
static void drain_for_provider(void *arg)
{
	drain_events(arg);
}

static int attach_all(struct run *r)
{
	probe_set_target_pid(r->child.pid > 0 ? r->child.pid : r->o->filter_pid);
	for (int i = 0; i < r->desc->nprobes && !stop_requested; i++) {
		const struct desc_probe *p = &r->desc->probes[i];
		const struct probe_provider *prov = probe_provider_of(p->type);
		struct bpf_program *prog = program_of(r, p);
		if (!prov || (!prov->attach && !prov->run)) {
			if (r->o->verbose && prov)
				print_prog_id(p, prog, "loaded");
			continue;
		}
		if (p->shares_program) { /* an earlier probe attached it */
			if (r->o->verbose)
				print_prog_id(p, prog, "attached");
			continue;
		}
		char reason[256] = "";
		const struct probe_provider *shared;
		int err;
		if (shared_by_provider(r, i, &shared)) {
			const struct desc_probe **all;
			int n = sharing_probes(r, i, &all);
			err = shared->attach_shared(all, n, prog, &r->links, reason, sizeof(reason));
			free(all);
		} else {
			r->walking = prov->run != NULL;
			err = prov->run ? prov->run(p, prog, &r->links, drain_for_provider, r, reason, sizeof(reason))
					: prov->attach(p, prog, &r->links, reason, sizeof(reason));
			r->walking = false;
		}
		if (err) {
			struct diag d;
			diag_init(&d, r->o->src, stderr);
			diag_error(&d, p->loc, "cannot attach probe '%s': %s", p->name,
				   reason[0] ? reason : strerror(-err));
			fprintf(stderr, "hint: %s\n", attach_hint(prov, err));
			return -1;
		}
		if (r->o->verbose)
			print_prog_id(p, prog, "attached");
	}
	return 0;
}

/* ---- teardown ------------------------------------------------------------- */

/* SONDE_DETACH_LATER=0: everything is detached and released in sonde's
 * own time, before the output (no sonde-detach child). */
static bool detach_later_allowed(void)
{
	const char *env = getenv("SONDE_DETACH_LATER");
	return !env || strcmp(env, "0") != 0;
}

/* Offset of SONDE_STOP_VAR in .bss; -1 = none. */
static long stop_offset(struct bpf_object *obj)
{
	long off = datasec_var_offset(obj, ".bss", SONDE_STOP_VAR);
	return off < 0 ? -1 : off;
}

/* After load: the stop flag of a script that detaches after its output
 * (desc.h's SONDE_STOP_VAR), mapped from the kernel's .bss map (libbpf
 * 1.1 maps global data into the process only for skeletons: its own
 * image of .bss is a copy); NULL when the script has none.
 * SONDE_DETACH_LATER=0 detaches first, as small scripts do. */
static volatile uint64_t *map_stop_flag(struct run *r)
{
	if (!detach_later_allowed())
		return NULL;
	struct bpf_map *map = bpf_object__find_map_by_name(r->obj, ".bss");
	long offset = stop_offset(r->obj);
	if (!map || offset < 0 || (size_t)offset + sizeof(uint64_t) > bpf_map__value_size(map) ||
	    !(bpf_map__map_flags(map) & BPF_F_MMAPABLE))
		return NULL;
	/* finish() waits for the programs running when it sets the flag */
	long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_GLOBAL))
		return NULL;
	long page = sysconf(_SC_PAGESIZE);
	size_t len = ((size_t)bpf_map__value_size(map) + (size_t)page - 1) / (size_t)page * (size_t)page;
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);
	if (mem == MAP_FAILED)
		return NULL;
	r->stop_mem = mem;
	r->stop_len = len;
	return (volatile uint64_t *)(void *)((char *)mem + offset);
}


/* ---- closing links -------------------------------------------------------
 *
 * What the kernel does when the last fd of a link goes (Linux 6.18, 2 CPUs,
 * bench/tp_teardown.c):
 *   - a raw tracepoint link: unregisters the probe (text patching under
 *     tracepoints_mutex), ~0.2-0.5 ms, one link after the other;
 *   - a perf-event link (a tracepoint whose actions read `args`): detaches
 *     the program and waits for an RCU Tasks Trace grace period (~38 ms)
 *     outside any lock, so the waits of links closed from many threads
 *     overlap: 40 links in 40 threads ~39 ms, in 8 threads ~170 ms;
 *   - the perf event itself: unregisters the trace event's perf callback
 *     and waits for an RCU Tasks Trace and an RCU grace period (~36-45 ms)
 *     under the kernel's event_mutex: one event after the other whatever
 *     the threads, ~36 s for 1,000.
 * So the links (programs) go first, in parallel, and the perf events
 * (rt_links' events: without a program, disabled) last, outside sonde's
 * time when a child can take them (detach_later). */

#define CLOSE_THREADS_MAX 64

struct close_slice {
	const int *fds;        /* fds[0..n) to close, or */
	struct rt_links *links; /* l->links[] then l->fds[] to destroy */
	int n, first, step;
};

/* The i-th link of l, counting the libbpf links and then the bare fds.
 * bpf_link__destroy of a perf link disables the event first. */
static void detach_one(struct rt_links *l, int i)
{
	if (i < l->n)
		bpf_link__destroy(l->links[i]);
	else
		close(l->fds[i - l->n]);
}

static void close_slice_fds(const struct close_slice *s)
{
	for (int i = s->first; i < s->n; i += s->step)
		if (s->links)
			detach_one(s->links, i);
		else
			close(s->fds[i]);
}

static void *close_slice_run(void *arg)
{
	close_slice_fds(arg);
	return NULL;
}

/* Detaches every program of l, keeping the events: the links from up to
 * CLOSE_THREADS_MAX threads when in_parallel (they only wait in the
 * kernel: their number need not follow the CPUs; with a child holding the
 * links, sonde's closes are not the last references and need none). What
 * a thread that did not start had is done here. */
static void destroy_link_list(struct rt_links *l, bool in_parallel)
{
	int total = l->n + l->nfds;
	int nthreads = in_parallel && total > 2 ? (total < CLOSE_THREADS_MAX ? total : CLOSE_THREADS_MAX) : 0;
	pthread_t threads[CLOSE_THREADS_MAX];
	struct close_slice slices[CLOSE_THREADS_MAX];
	pthread_attr_t attr;
	bool small = pthread_attr_init(&attr) == 0;
	if (small)
		pthread_attr_setstacksize(&attr, 64 * 1024);
	int started = 0;
	for (; started < nthreads; started++) {
		slices[started] = (struct close_slice){ NULL, l, total, started, nthreads };
		if (pthread_create(&threads[started], small ? &attr : NULL, close_slice_run, &slices[started]))
			break;
	}
	if (small)
		pthread_attr_destroy(&attr);
	for (int i = 0; i < total; i++)
		if (nthreads == 0 || i % nthreads >= started)
			detach_one(l, i);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(l->fds);
	free(l->links);
	l->links = NULL;
	l->fds = NULL;
	l->n = l->cap = l->nfds = l->fdcap = 0;
}

/* The fds of l's links (libbpf's and bare ones), in a new array of *n. */
static int *link_fds(const struct rt_links *l, int *n)
{
	int *fds = xmalloc(sizeof(int) * (size_t)(l->n + l->nfds + 1));
	*n = 0;
	for (int i = 0; i < l->n; i++)
		if (l->links[i] && bpf_link__fd(l->links[i]) >= 0)
			fds[(*n)++] = bpf_link__fd(l->links[i]);
	for (int i = 0; i < l->nfds; i++)
		fds[(*n)++] = l->fds[i];
	return fds;
}

/* Closes l's events, one after the other: the kernel serialises them. */
static void destroy_events(struct rt_links *l)
{
	for (int i = 0; i < l->nevents; i++)
		close(l->events[i]);
	free(l->events);
	l->events = NULL;
	l->nevents = l->evcap = 0;
}

static void destroy_links(struct rt_links *l, bool in_parallel)
{
	destroy_link_list(l, in_parallel);
	destroy_events(l);
}

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static void close_from(int first)
{
	if (syscall(SYS_close_range, (unsigned)first, ~0u, 0) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = first; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		close((int)fd);
}

/* ---- the detach child ------------------------------------------------------ */

#define CLONES_MAX 1024
#define CLONE_STACK (32 * 1024)

static int close_slice_clone(void *arg)
{
	close_slice_fds(arg);
	return 0;
}

/* destroy_link_list's threads for the detach child, a fork of a threaded process
 * where pthread_create is not allowed: tasks sharing its memory and fd
 * table (clone), each on a stack of its own with its slice at the stack's
 * low end. Up to CLONES_MAX of them: 1,000 perf links in ~1 grace period. */
static void close_in_clones(const int *fds, int n)
{
	int nclones = n < CLONES_MAX ? n : CLONES_MAX;
	char *mem = nclones > 1 ? mmap(NULL, (size_t)nclones * CLONE_STACK, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0)
				: MAP_FAILED;
	if (mem == MAP_FAILED) {
		struct close_slice all = { fds, NULL, n, 0, 1 };
		close_slice_fds(&all);
		return;
	}
	int started = 0;
	for (; started < nclones; started++) {
		struct close_slice *s = (struct close_slice *)(void *)(mem + (size_t)started * CLONE_STACK);
		*s = (struct close_slice){ fds, NULL, n, started, nclones };
		if (clone(close_slice_clone, mem + (size_t)(started + 1) * CLONE_STACK, CLONE_VM | CLONE_FILES | SIGCHLD,
			  s) < 0)
			break;
	}
	for (int i = 0; i < n; i++)
		if (i % nclones >= started)
			close(fds[i]);
	/* the clones are this process's only children */
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
	munmap(mem, (size_t)nclones * CLONE_STACK);
}

/* The child of detach_later: keeps only the fds in keep[] (sorted: the
 * links, the events and the pipe's read end), waits until sonde has closed
 * its own references (the pipe's end of file), closes the links in
 * parallel (links[]: every program detached), then exits, so that the
 * kernel closes the events (rt_links), one after the other. Async-signal-
 * safe calls only: it is the fork of a threaded process. */
static void detach_child(const int *keep, int nkeep, const int *links, int nlinks, int pipe_rd)
{
	prctl(PR_SET_NAME, "sonde-detach", 0, 0, 0);
	/* sonde's handlers only set flags: a signal kills this one as usual */
	static const int sigs[] = { SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGUSR1, SIGHUP };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		if (fd != null)
			dup2(null, fd);
	/* everything else goes: a pipe's reader must not wait for us */
	int next = 3;
	for (int i = 0; i < nkeep; i++) {
		for (int fd = next; fd < keep[i]; fd++)
			close(fd);
		if (keep[i] >= next)
			next = keep[i] + 1;
	}
	close_from(next);
	char c;
	while (read(pipe_rd, &c, 1) < 0 && errno == EINTR)
		;
	close_in_clones(links, nlinks);
	_exit(0);
}

/* Hands the links (with_links) and the events of a stopped run to a child
 * process: sonde closes its references (cheap: not the last) and goes on
 * or exits; the child then closes the last ones, which is where the kernel
 * detaches (see "closing links" above). If the child is killed, the kernel
 * closes its fds all the same: nothing stays attached. Returns false when
 * it cannot (the caller closes everything here). */
static bool detach_later(struct run *r, bool with_links)
{
	int nlinks = 0;
	int *links = with_links ? link_fds(&r->links, &nlinks) : xmalloc(sizeof(int));
	int nevents = r->links.nevents;
	int *keep = xmalloc(sizeof(int) * (size_t)(nlinks + nevents + 1));
	memcpy(keep, links, sizeof(int) * (size_t)nlinks);
	if (nevents)
		memcpy(keep + nlinks, r->links.events, sizeof(int) * (size_t)nevents);
	int n = nlinks + nevents;
	int p[2];
	if (n == 0 || pipe2(p, O_CLOEXEC) < 0) {
		free(links);
		free(keep);
		return false;
	}
	keep[n++] = p[0];
	util_sort(keep, (size_t)n, sizeof(int), compare_ints);
	/* A grandchild, so that no zombie waits for sonde (the shell's runs
	 * go on in the same process) and no SIGCHLD reaches it later. */
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		pid_t grandchild = fork();
		if (grandchild == 0)
			detach_child(keep, n, links, nlinks, p[0]);
		_exit(grandchild < 0 ? 1 : 0);
	}
	free(keep);
	free(links);
	close(p[0]);
	int status = 1;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		close(p[1]); /* a grandchild, if any, exits at once */
		return false;
	}
	r->detach_pipe = p[1];
	return true;
}

/* The normal end: detach, END, the last events, the maps. A script with
 * a stop flag (desc.h SONDE_DETACH_LATER_MIN) sets it instead: its
 * programs return at once from then on, as if detached, and the links
 * go to a child that closes them after the output (detach_later). */
static void *wait_for_programs(void *arg)
{
	(void)arg;
	/* synchronize_rcu(): every program is called under RCU, so the ones
	 * that read the flag before it was set have returned (~16 ms here) */
	syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	return NULL;
}

/* Stops the programs of a script with a stop flag and hands the links to
 * a child; the wait for the programs still running overlaps the fork. */
static void stop_programs(struct run *r)
{
	*r->stop = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_t waiter;
	bool threaded = pthread_create(&waiter, NULL, wait_for_programs, NULL) == 0;
	bool later = detach_later(r, true);
	destroy_links(&r->links, !later); /* with a child holding them: not the last references */
	if (threaded)
		pthread_join(waiter, NULL);
	else
		wait_for_programs(NULL);
}

/* A script without a stop flag: its programs are detached here, and the
 * perf events they ran on, if any, are left to a child (detach_later). */
static void detach_programs(struct run *r)
{
	destroy_link_list(&r->links, true);
	/* with the child holding them, ours are not the last references */
	if (r->links.nevents && detach_later_allowed())
		detach_later(r, false);
	destroy_events(&r->links);
}

static void finish(struct run *r)
{
	timing_mark("event-loop");
	r->stop = map_stop_flag(r);
	if (r->stop)
		stop_programs(r);
	else
		detach_programs(r);
	timing_mark("detach");
	drain_events(r); /* what the probes wrote before they were detached */
	r->exited = false;
	if (run_once(r, PT_END) == 0)
		drain_events(r);
	check_lost(r);
	if (!r->output_broken) {
		if (!r->o->no_maps_at_exit)
			rt_print_maps_at_exit(&r->sink, r->desc, r->obj, r->ncpus);
		flush_output(r);
	}
	timing_mark("END+maps");
	if (r->o->maps_copy) {
		struct rt_output copy;
		rt_output_text(&copy, r->o->maps_copy, stderr);
		rt_print_maps_at_exit(&copy, r->desc, r->obj, r->ncpus);
	}
	rt_dropped_report(&r->dropped, r->desc, &r->sink, true);
}

static void release_all(struct run *r)
{
	rt_metrics_stop(r->metrics); /* its thread reads the map fds closed below */
	r->metrics = NULL;
	destroy_links(&r->links, true);
	rt_channels_close(&r->channels); /* after the links: nothing comes later */
	const struct probe_provider *prov;
	for (int i = 0; (prov = probe_provider_at(i)); i++)
		if (prov->release)
			prov->release();
	ring_buffer__free(r->rb);
	rt_stacks_close();
	bpf_object__close(r->obj);
	rt_child_stop(&r->child);
	rt_target_close(&r->target);
	rt_dropped_close(&r->dropped);
	free(r->map_fds);
	free(r->log_buf);
	if (r->stop_mem)
		munmap(r->stop_mem, r->stop_len);
	if (r->detach_pipe >= 0)
		close(r->detach_pipe); /* the child closes the links now */
}

/* ---- the whole run -------------------------------------------------------- */

/* bpftrace's test hook: with __BPFTRACE_NOTIFY_PROBES_ATTACHED in the
 * environment, a line saying every probe is attached, so a test starts its
 * workload only then (the "Attaching" line comes before attaching). As in
 * bpftrace, what BEGIN printed comes after that line: it is held in memory
 * while the other probes attach. */
struct held_output {
	FILE *real, *mem;
	char *text;
	size_t len;
};

static void hold_output(struct run *r, struct held_output *h)
{
	memset(h, 0, sizeof(*h));
	if (!getenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED"))
		return;
	h->mem = open_memstream(&h->text, &h->len);
	if (!h->mem)
		return;
	h->real = r->out;
	r->out = r->sink.out = h->mem;
}

static void announce_attached(struct run *r, struct held_output *h, bool attached)
{
	if (!getenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED"))
		return;
	if (h->mem) {
		r->out = r->sink.out = h->real;
		fclose(h->mem); /* sets text and len */
	}
	if (attached)
		fputs("__BPFTRACE_NOTIFY_PROBES_ATTACHED\n", r->out);
	if (h->text)
		fwrite(h->text, 1, h->len, r->out);
	free(h->text);
	flush_output(r);
}

/* --metrics: served from the maps as soon as they exist, before any probe
 * is attached, so that a wrong address fails before tracing starts. */
static int start_metrics(struct run *r)
{
	if (!r->o->metrics || r->o->dry_run)
		return 0;
	struct rt_metrics_config cfg = {
		.listen = r->o->metrics,
		.max_series = r->o->metrics_max_series,
		.desc = r->desc,
		.map_fds = r->map_fds,
		.ncpus = r->ncpus,
		.quiet = r->o->quiet,
		.verbose = r->o->verbose,
	};
	return rt_metrics_start(&r->metrics, &cfg);
}

static int start(struct run *r, const struct compiled *c)
{
	if (load(r, c) < 0 || start_metrics(r) < 0)
		return -1;
	int rb_fd = map_fd(r, r->desc->ringbuf_name);
	if (rb_fd >= 0 && !(r->rb = ring_buffer__new(rb_fd, on_event, r, NULL))) {
		fprintf(stderr, "sonde: cannot read the ring buffer: %s\n", strerror(errno));
		return -1;
	}
	if (rt_channels_open(&r->channels, r->desc, r->o, r->obj) < 0)
		return -1;
	if (!r->o->quiet) {
		r->sink.ops->attached(&r->sink, desc_probe_blocks(r->desc));
		flush_output(r);
		if (r->failed)
			return -1;
	}
	struct held_output held;
	hold_output(r, &held);
	timing_mark("ringbuf+attaching");
	int rc = r->o->dry_run ? 0 : run_once(r, PT_BEGIN);
	timing_mark("BEGIN");
	/* BEGIN { exit(); }: nothing else to attach */
	if (rc == 0 && !r->exited)
		rc = attach_all(r);
	timing_mark("attach");
	announce_attached(r, &held, rc == 0);
	return rc;
}

int rt_run(const struct compiled *c, const struct rt_options *o)
{
	struct run r = {
		.desc = c->desc,
		.o = o,
		.out = o->out ? o->out : stdout,
		.lost_fd = -1,
		.detach_pipe = -1,
		.dropped = { .fd = -1 },
		.ncpus = libbpf_num_possible_cpus(),
	};
	r.child.release_fd = r.child.exec_err_fd = -1;
	rt_set_max_cat_bytes(o->max_cat_bytes);
	if (o->format == RT_FORMAT_JSON)
		rt_output_json(&r.sink, r.out, stderr);
	else
		rt_output_text(&r.sink, r.out, stderr);
	if (r.ncpus < 1)
		r.ncpus = 1;
	if (!rt_may_trace()) { /* before anything is forked or created */
		rt_report_no_privileges(EPERM);
		return 1;
	}
	if (rt_target_open(&r.target, o->filter_pid) < 0)
		return 1;
	rt_libbpf_log_begin(o->verbose);
	struct saved_signals saved;
	int rc = 1;
	if (o->cmd && !o->dry_run && rt_child_start(&r.child, o->cmd) < 0) {
		rt_target_close(&r.target);
		rt_libbpf_log_end();
		return 1;
	}
	if (signals_install(&saved, r.child.pid > 0, has_probe_type(r.desc, PT_SELF)) < 0) {
		rt_child_stop(&r.child);
		rt_target_close(&r.target);
		rt_libbpf_log_end();
		return 1;
	}
	if (start(&r, c) == 0) {
		if (o->dry_run) {
			rc = 0;
		} else if (!r.exited && rt_child_release(&r.child) < 0) {
			rc = 1;
		} else {
			event_loop(&r);
			finish(&r);
			rc = r.failed ? 1 : (int)r.exit_code;
		}
	}
	timing_mark("finish");
	release_all(&r);
	timing_mark("release");
	signals_restore(&saved);
	rt_libbpf_log_end();
	return rc;
}
