/* tp_teardown.c - what tearing down perf-event tracepoints costs the kernel,
 * by strategy (issue 13: a script whose bodies read `args` keeps one perf
 * event per tracepoint).
 *
 *   tp_teardown STRATEGY N [THREADS] < EVENTS
 *
 * EVENTS: "category:event" lines; the first N that open are used. Each gets a
 * perf event (PERF_TYPE_TRACEPOINT, CPU 0, every task) running a trivial
 * tracepoint program through a BPF link, as sonde and libbpf attach them.
 * Then the strategy tears them down, timed:
 *   serial        link then perf fd, one tracepoint after the other
 *                 (what a tool that detaches in its own process does)
 *   threads       the same, tracepoint i in thread i % THREADS
 *   links-first   every link, then every perf fd
 *   links-threads every link, link i in thread i % THREADS, then every
 *                 perf fd in this thread
 *   all-threads   as links-threads, then the perf fds in THREADS threads too
 *   disable-first PERF_EVENT_IOC_DISABLE on every event, then as serial
 *   exit          a child holding the fds exits (what sonde-detach does)
 * Prints one line: strategy, N, ms until every program was detached (the
 * last link closed), ms until everything was released. Root only. */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 4096

static int perf_fds[MAX_EVENTS], link_fds[MAX_EVENTS], nevents;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static long event_id(const char *name)
{
	char path[1024];
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", name);
	char *colon = strchr(path + strlen("/sys/kernel/tracing/events/"), ':');
	if (!colon)
		return -1;
	*colon = '/';
	FILE *f = fopen(path, "r");
	long id = -1;
	if (f && fscanf(f, "%ld", &id) != 1)
		id = -1;
	if (f)
		fclose(f);
	return id;
}

static int open_events(int want, int prog)
{
	char line[512];
	while (nevents < want && fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n ")] = '\0';
		long id = event_id(line);
		if (id < 0)
			continue;
		struct perf_event_attr a;
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = PERF_TYPE_TRACEPOINT;
		a.config = (unsigned long long)id;
		int pfd = (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
		if (pfd < 0)
			continue;
		int lfd = bpf_link_create(prog, pfd, BPF_PERF_EVENT, NULL);
		if (lfd < 0) {
			close(pfd);
			continue;
		}
		perf_fds[nevents] = pfd;
		link_fds[nevents++] = lfd;
	}
	return nevents;
}

struct slice {
	int first, step;
};

static void *close_links(void *arg)
{
	const struct slice *s = arg;
	for (int i = s->first; i < nevents; i += s->step)
		close(link_fds[i]);
	return NULL;
}

static void *close_perf(void *arg)
{
	const struct slice *s = arg;
	for (int i = s->first; i < nevents; i += s->step)
		close(perf_fds[i]);
	return NULL;
}

static void in_threads(void *(*fn)(void *), int nthreads)
{
	pthread_t th[256];
	struct slice s[256];
	for (int i = 0; i < nthreads; i++) {
		s[i] = (struct slice){ i, nthreads };
		pthread_create(&th[i], NULL, fn, &s[i]);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
}

static void *close_slice(void *arg)
{
	const struct slice *s = arg;
	for (int i = s->first; i < nevents; i += s->step) {
		close(link_fds[i]);
		close(perf_fds[i]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: tp_teardown serial|threads|links-first|links-threads|all-threads|disable-first|exit N [THREADS] < EVENTS\n");
		return 2;
	}
	const char *how = argv[1];
	int want = atoi(argv[2]), nthreads = argc > 3 ? atoi(argv[3]) : 16;
	if (want <= 0 || want > MAX_EVENTS || nthreads <= 0 || nthreads > 256)
		return 2;
	struct bpf_insn ins[] = { { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
				  { .code = BPF_JMP | BPF_EXIT } };
	int prog = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "tp_teardown", "GPL", ins, 2, NULL);
	if (prog < 0) {
		perror("bpf_prog_load");
		return 1;
	}
	if (open_events(want, prog) < want)
		fprintf(stderr, "tp_teardown: only %d events opened\n", nevents);
	close(prog); /* the links hold it: detached = unloaded */
	double t0 = now_ms(), detached = -1;
	if (strcmp(how, "serial") == 0) {
		struct slice s = { 0, 1 };
		close_slice(&s);
	} else if (strcmp(how, "threads") == 0) {
		in_threads(close_slice, nthreads);
	} else if (strcmp(how, "links-first") == 0) {
		for (int i = 0; i < nevents; i++)
			close(link_fds[i]);
		detached = now_ms() - t0;
		for (int i = 0; i < nevents; i++)
			close(perf_fds[i]);
	} else if (strcmp(how, "links-threads") == 0 || strcmp(how, "all-threads") == 0) {
		in_threads(close_links, nthreads);
		detached = now_ms() - t0;
		if (how[0] == 'a')
			in_threads(close_perf, nthreads);
		else
			for (int i = 0; i < nevents; i++)
				close(perf_fds[i]);
	} else if (strcmp(how, "disable-first") == 0) {
		for (int i = 0; i < nevents; i++)
			ioctl(perf_fds[i], PERF_EVENT_IOC_DISABLE, 0);
		detached = now_ms() - t0; /* not detached: disabled */
		struct slice s = { 0, 1 };
		close_slice(&s);
	} else if (strcmp(how, "exit") == 0) {
		int p[2];
		if (pipe(p) < 0)
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(p[1]);
			while (read(p[0], &c, 1) > 0)
				;
			_exit(0);
		}
		close(p[0]);
		for (int i = 0; i < nevents; i++) {
			close(link_fds[i]);
			close(perf_fds[i]);
		}
		t0 = now_ms(); /* the child's copies are the last references */
		close(p[1]);
		waitpid(pid, NULL, 0);
	} else {
		fprintf(stderr, "tp_teardown: unknown strategy %s\n", how);
		return 2;
	}
	double total = now_ms() - t0;
	printf("%s n=%d threads=%d detached_ms=%.1f released_ms=%.1f per_event_ms=%.2f\n", how, nevents,
	       strncmp(how + strlen(how) - 7, "threads", 7) == 0 ? nthreads : 1, detached, total, total / (nevents ? nevents : 1));
	return 0;
}
