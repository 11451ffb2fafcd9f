/* harness.c - runs one tracer under bench/run.sh and times its life from the
 * outside: launch, the "ready" line on its stdout, the first event it reports,
 * when the load ran, SIGINT, its last output and its exit, plus its peak RSS.
 *
 * Usage: harness [options] -- TRACER ARGS...
 *   -t SEC    kill everything after SEC seconds (default 60); exit status 3
 *   -r STR    the ready string on the tracer's stdout (default "Attaching")
 *   -L CMD    a load command (split on spaces) started *before* the tracer; it
 *             must print "pid N" and wait for a line on stdin (loadgen -w).
 *             "@PID@" in the tracer's arguments becomes N. The load is
 *             released once the tracer is ready; SIGINT follows its exit.
 *   -P STR    poke: call getppid() every 200 us from launch until STR shows
 *             up on the tracer's stdout (a probe on getppid printed it), then
 *             SIGINT. Measures launch -> first event actually traced.
 *   -W FILE   wait until FILE is closed after writing (inotify), then SIGINT
 *             (compile time for tracers that write an ELF and go on running)
 *   -m STR    note when STR appears on the tracer's stdout (mark_ms), e.g. a
 *             printf in the probe that calls exit()
 *   -x        let the tracer exit by itself (no SIGINT)
 *   -T        give the tracer a pseudo-terminal as stdout (as when run by hand,
 *             so stdio line-buffers and every printf is seen when it happens);
 *             the default is a pipe
 *   -D MS     wait MS milliseconds before the SIGINT (default 0)
 *   -S MS     settle: release the load (or start the -D wait) only MS after
 *             the ready line, because bpftrace prints "Attaching" *before* it
 *             attaches and enters its event loop (default 0)
 * SIGINT is repeated every second until the tracer exits: bpftrace 0.17 can
 * lose one that lands just before it blocks in epoll_wait(). The report's
 * sigints=N shows it; a run with N > 1 has a useless SIGINT->exit time.
 *   -K        after the tracer's exit, also wait for what it leaves behind in the
 *             kernel: the harness is a child subreaper, so processes the tracer
 *             left (sonde's "sonde-detach") become its children; reports
 *             progs_gone_ms (none of the BPF programs the tracer held at the
 *             ready line or at the -P string is loaded any more: their ids are
 *             read from /proc/PID/fdinfo in a thread, so that the tracer's exit
 *             is seen when it happens), clean_ms (the last descendant has exited:
 *             its fds, perf events and links, are released before it becomes
 *             a zombie) and their CPU time (descendants_cpu_ms)
 *   -o FILE   copy the tracer's stdout to FILE;  -e FILE  its stderr (default /dev/null)
 * Prints one line of key=value (times in ms since launch; "-" if it did not
 * happen), then the load command's output lines, e.g.
 *   ready_ms=41.2 seen_ms=- ... exit_ms=180.3 rss_kb=90123 status=0 load: getppid.0=230.1
 * Times are taken with CLOCK_MONOTONIC by this process, so they include the
 * pipe latency (microseconds) but no shell or fork-of-`date` noise. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define NOT_YET (-1.0)
#define MAX_LOAD_ARGS 32
#define SEARCH_TAIL 256

struct options {
	double timeout_s;
	const char *ready_str;
	char *load_cmd;
	const char *poke_str;
	const char *watch_path;
	const char *mark_str;
	bool self_exit;
	bool use_pty;
	bool kernel_clean;
	double sigint_delay_ms;
	double settle_ms;
	const char *stdout_copy;
	const char *stderr_path;
	char **tracer_argv;
};

struct timeline {
	double ready, seen, mark, compiled, load_start, load_done, sigint, first_out, last_out, exit;
	double progs_gone, clean;
};

struct run {
	struct options opt;
	struct timeline t;
	double t0_ns;
	pid_t tracer, load;
	int tracer_out, tracer_pidfd, load_in, load_out, inotify_fd;
	FILE *copy;
	char tail[SEARCH_TAIL * 2 + 1];
	size_t tail_len;
	bool at_line_start;
	long out_lines, at_lines, out_bytes;
	char load_output[4096];
	size_t load_output_len;
	double sigint_due;
	double release_due; /* when the settle after the ready line ends */
	int sigints;
	int status;
	long rss_kb;
	double cpu_ms; /* user + system time: what a loaded machine disturbs least */
	double descendants_cpu_ms;
	pthread_t scans[2]; /* -K: reading the tracer's program ids, at ready and at seen */
	int nscans;
};

/* -K: the ids of the BPF programs the tracer holds (fdinfo "prog_id:"
 * lines: program fds and links), filled by the scan threads. */
#define MAX_PROG_IDS 65536
static uint32_t prog_ids[MAX_PROG_IDS];
static int nprog_ids;
static pthread_mutex_t prog_ids_lock = PTHREAD_MUTEX_INITIALIZER;

static volatile sig_atomic_t harness_stopped;

static void on_harness_signal(int sig)
{
	(void)sig;
	harness_stopped = 1;
}

static double mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double elapsed_ms(const struct run *r)
{
	return (mono_ns() - r->t0_ns) / 1e6;
}

static void usage(void)
{
	fprintf(stderr, "usage: harness [-t SEC] [-r STR] [-L CMD] [-P STR] [-W FILE] [-m STR] [-x] [-T] [-K] [-D MS] [-S MS]"
			" [-o FILE] [-e FILE] -- TRACER ARGS...\n");
	exit(2);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .timeout_s = 60, .ready_str = "Attaching", .stderr_path = "/dev/null" };
	int c;
	while ((c = getopt(argc, argv, "+t:r:L:P:W:m:xTKD:S:o:e:")) != -1) {
		switch (c) {
		case 't': o->timeout_s = atof(optarg); break;
		case 'r': o->ready_str = optarg; break;
		case 'L': o->load_cmd = optarg; break;
		case 'P': o->poke_str = optarg; break;
		case 'W': o->watch_path = optarg; break;
		case 'm': o->mark_str = optarg; break;
		case 'x': o->self_exit = true; break;
		case 'T': o->use_pty = true; break;
		case 'K': o->kernel_clean = true; break;
		case 'D': o->sigint_delay_ms = atof(optarg); break;
		case 'S': o->settle_ms = atof(optarg); break;
		case 'o': o->stdout_copy = optarg; break;
		case 'e': o->stderr_path = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	o->tracer_argv = argv + optind;
}

/* Child side of a spawn: the pipes become stdin/stdout, and the child dies
 * with the harness so an interrupted benchmark leaves no tracer attached. */
static void exec_child(char **argv, int in_fd, int out_fd, const char *err_path, int death_sig)
{
	prctl(PR_SET_PDEATHSIG, death_sig);
	dup2(in_fd, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	int err_fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (err_fd >= 0)
		dup2(err_fd, STDERR_FILENO);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	execvp(argv[0], argv);
	fprintf(stderr, "harness: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static pid_t spawn(char **argv, int *to_child, int *from_child, const char *err_path, int death_sig)
{
	int in[2] = { -1, -1 }, out[2];
	if (to_child && pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0)
		return -1;
	if (!to_child && (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0)
		exec_child(argv, in[0], out[1], err_path, death_sig);
	close(in[0]);
	close(out[1]);
	if (to_child)
		*to_child = in[1];
	*from_child = out[0];
	return pid;
}

/* A raw-mode pseudo-terminal: the tracer sees a tty (isatty() is true, so
 * stdio line-buffers) and its bytes arrive unchanged (no \n -> \r\n). */
static int open_pty(int *master, int *slave)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) < 0 || unlockpt(*master) < 0)
		return -1;
	*slave = open(ptsname(*master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		return -1;
	struct termios tio;
	if (tcgetattr(*slave, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(*slave, TCSANOW, &tio);
	}
	return 0;
}

static pid_t spawn_on_pty(char **argv, int *from_child, const char *err_path, int death_sig)
{
	int master, slave, null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || open_pty(&master, &slave) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0)
		exec_child(argv, null_fd, slave, err_path, death_sig);
	close(slave);
	close(null_fd);
	*from_child = master;
	return pid;
}

/* Starts the load paused and reads its "pid N" line. */
static int start_load(struct run *r)
{
	char *argv[MAX_LOAD_ARGS + 1];
	int argc = 0;
	for (char *tok = strtok(r->opt.load_cmd, " "); tok && argc < MAX_LOAD_ARGS; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (argc == 0)
		return -1;
	r->load = spawn(argv, &r->load_in, &r->load_out, r->opt.stderr_path, SIGKILL);
	if (r->load < 0)
		return -1;
	char line[64];
	size_t len = 0;
	while (len < sizeof(line) - 1) {
		ssize_t n = read(r->load_out, line + len, 1);
		if (n <= 0)
			return -1;
		if (line[len++] == '\n')
			break;
	}
	line[len] = '\0';
	int pid;
	if (sscanf(line, "pid %d", &pid) != 1 || pid != r->load) {
		fprintf(stderr, "harness: load printed '%s', not its pid\n", line);
		return -1;
	}
	return 0;
}

/* Replaces "@PID@" in the tracer's arguments with the load's pid. */
static void substitute_pid(char **argv, pid_t pid)
{
	for (; *argv; argv++) {
		char *at = strstr(*argv, "@PID@");
		if (!at)
			continue;
		size_t need = strlen(*argv) + 16;
		char *s = malloc(need); /* lives until exit, like argv */
		snprintf(s, need, "%.*s%d%s", (int)(at - *argv), *argv, (int)pid, at + 5);
		*argv = s;
	}
}

static int start_watch(struct run *r)
{
	char *copy = strdup(r->opt.watch_path);
	r->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	int wd = inotify_add_watch(r->inotify_fd, dirname(copy), IN_CLOSE_WRITE);
	free(copy);
	return wd < 0 ? -1 : 0;
}

static bool watched_file_closed(struct run *r)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char *copy = strdup(r->opt.watch_path);
	const char *name = basename(copy);
	bool found = false;
	ssize_t n;
	while ((n = read(r->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->len && strcmp(ev->name, name) == 0)
				found = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	free(copy);
	return found;
}

static void schedule_sigint(struct run *r, double from_ms)
{
	if (r->sigint_due < 0 && r->t.sigint < 0 && !r->opt.self_exit)
		r->sigint_due = from_ms + r->opt.sigint_delay_ms;
}

static void start_prog_scan(struct run *r);

static void on_ready(struct run *r, double now)
{
	r->t.ready = now;
	start_prog_scan(r);
	r->release_due = now + r->opt.settle_ms;
}

/* The settle time after the ready line is over: start the load, or the
 * countdown to SIGINT when there is no load. */
static void release(struct run *r, double now)
{
	r->release_due = -1;
	if (r->load > 0) {
		r->t.load_start = now;
		if (write(r->load_in, "\n", 1) != 1)
			fprintf(stderr, "harness: cannot release the load\n");
	} else if (!r->opt.poke_str && !r->opt.watch_path) {
		schedule_sigint(r, now);
	}
}

/* Counts lines and lines starting with '@' (one per printed map key for
 * scalar-valued maps), and searches a short tail for the marker strings. */
static void scan_output(struct run *r, const char *buf, size_t n, double now)
{
	if (r->t.first_out < 0)
		r->t.first_out = now;
	r->t.last_out = now;
	r->out_bytes += (long)n;
	for (size_t i = 0; i < n; i++) {
		if (r->at_line_start && buf[i] == '@')
			r->at_lines++;
		r->at_line_start = buf[i] == '\n';
		if (buf[i] == '\n')
			r->out_lines++;
	}
	if (r->copy)
		fwrite(buf, 1, n, r->copy);
	for (size_t off = 0; off < n;) {
		size_t take = n - off < SEARCH_TAIL ? n - off : SEARCH_TAIL;
		memcpy(r->tail + r->tail_len, buf + off, take);
		r->tail_len += take;
		r->tail[r->tail_len] = '\0';
		off += take;
		if (r->t.ready < 0 && strstr(r->tail, r->opt.ready_str))
			on_ready(r, now);
		if (r->opt.mark_str && r->t.mark < 0 && strstr(r->tail, r->opt.mark_str))
			r->t.mark = now;
		if (r->opt.poke_str && r->t.seen < 0 && strstr(r->tail, r->opt.poke_str)) {
			r->t.seen = now;
			start_prog_scan(r);
			schedule_sigint(r, now);
		}
		if (r->tail_len > SEARCH_TAIL) {
			memmove(r->tail, r->tail + r->tail_len - SEARCH_TAIL, SEARCH_TAIL);
			r->tail_len = SEARCH_TAIL;
		}
	}
}

static void read_load_output(struct run *r)
{
	char *dst = r->load_output + r->load_output_len;
	size_t room = sizeof(r->load_output) - 1 - r->load_output_len;
	ssize_t n = read(r->load_out, dst, room ? room : 1);
	if (n > 0 && room) {
		r->load_output_len += (size_t)n;
		return;
	}
	if (n > 0)
		return;
	close(r->load_out);
	r->load_out = -1;
	waitpid(r->load, NULL, 0);
	r->load = 0;
	r->t.load_done = elapsed_ms(r);
	schedule_sigint(r, r->t.load_done);
}

static void reap_tracer(struct run *r)
{
	struct rusage ru;
	r->t.exit = elapsed_ms(r);
	wait4(r->tracer, &r->status, 0, &ru);
	r->rss_kb = ru.ru_maxrss;
	r->cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	r->tracer = 0;
	close(r->tracer_pidfd);
	r->tracer_pidfd = -1;
}

static int poll_timeout_ms(const struct run *r, double now, double deadline)
{
	double wait = deadline - now;
	if (r->opt.poke_str && r->t.seen < 0)
		wait = 0.2;
	if (r->release_due >= 0 && r->release_due - now < wait)
		wait = r->release_due - now;
	if (r->tracer > 0 && r->sigint_due >= 0 && r->sigint_due - now < wait)
		wait = r->sigint_due - now;
	return wait <= 0 ? 0 : wait < 1 ? 1 : (int)wait;
}

/* One pass of the event loop; returns false once the tracer has exited and
 * its stdout is drained (or the deadline passed). */
static bool step(struct run *r, double deadline)
{
	struct pollfd fds[4] = {
		{ .fd = r->tracer_out, .events = POLLIN },
		{ .fd = r->tracer_pidfd, .events = POLLIN },
		{ .fd = r->load_out, .events = POLLIN },
		{ .fd = r->inotify_fd, .events = POLLIN },
	};
	double now = elapsed_ms(r);
	if (now >= deadline || harness_stopped)
		return false;
	if (r->opt.poke_str && r->t.seen < 0) {
		syscall(SYS_getppid);
		struct timespec ts = { 0, 200000 };
		ppoll(fds, 4, &ts, NULL);
	} else {
		poll(fds, 4, poll_timeout_ms(r, now, deadline));
	}
	now = elapsed_ms(r);
	if (fds[0].revents) {
		char buf[65536];
		ssize_t n = read(r->tracer_out, buf, sizeof(buf));
		if (n > 0) {
			scan_output(r, buf, (size_t)n, now);
		} else {
			close(r->tracer_out);
			r->tracer_out = -1;
		}
	}
	if (fds[1].revents)
		reap_tracer(r);
	if (fds[2].revents)
		read_load_output(r);
	if (fds[3].revents && r->t.compiled < 0 && watched_file_closed(r)) {
		r->t.compiled = now;
		schedule_sigint(r, now);
	}
	if (r->release_due >= 0 && elapsed_ms(r) >= r->release_due)
		release(r, elapsed_ms(r));
	if (r->tracer > 0 && r->sigint_due >= 0 && elapsed_ms(r) >= r->sigint_due) {
		if (r->t.sigint < 0)
			r->t.sigint = elapsed_ms(r);
		kill(r->tracer, SIGINT);
		r->sigints++;
		r->sigint_due = elapsed_ms(r) + 1000;
	}
	/* A tracer that died before it was ready never releases the load. */
	if (r->tracer == 0 && r->load > 0 && r->t.load_start < 0) {
		close(r->load_in);
		r->load_in = -1;
		kill(r->load, SIGKILL);
	}
	return r->tracer > 0 || r->tracer_out >= 0 || r->load > 0;
}

/* ---- -K: what the tracer leaves in the kernel ---------------------------- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static void add_prog_id(uint32_t id)
{
	pthread_mutex_lock(&prog_ids_lock);
	bool known = false;
	for (int i = 0; i < nprog_ids && !known; i++)
		known = prog_ids[i] == id;
	if (!known && nprog_ids < MAX_PROG_IDS)
		prog_ids[nprog_ids++] = id;
	pthread_mutex_unlock(&prog_ids_lock);
}

static void *scan_prog_ids(void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char file[384], line[256];
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		FILE *f = e->d_name[0] != '.' ? fopen(file, "r") : NULL;
		unsigned id;
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &id) == 1)
				add_prog_id(id);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return NULL;
}

static void start_prog_scan(struct run *r)
{
	if (r->opt.kernel_clean && r->tracer > 0 && r->nscans < 2 &&
	    pthread_create(&r->scans[r->nscans], NULL, scan_prog_ids, (void *)(intptr_t)r->tracer) == 0)
		r->nscans++;
}

/* Is any of the programs the tracer held still loaded? */
static bool run_progs_left(void)
{
	for (int i = 0; i < nprog_ids; i++) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_id = prog_ids[i];
		int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (fd >= 0) {
			close(fd);
			return true;
		}
	}
	return false;
}

/* Reaps the descendants the tracer left (reparented to us, the subreaper)
 * and notes when its programs are gone; false when everything is. */
static bool step_clean(struct run *r, double deadline)
{
	if (elapsed_ms(r) >= deadline || harness_stopped)
		return false;
	if (r->t.progs_gone == NOT_YET && !run_progs_left())
		r->t.progs_gone = elapsed_ms(r);
	struct rusage ru;
	pid_t pid;
	while ((pid = wait4(-1, NULL, WNOHANG, &ru)) > 0)
		r->descendants_cpu_ms += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
					 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	if (pid < 0 && errno == ECHILD && r->t.clean < 0)
		r->t.clean = elapsed_ms(r);
	if (r->t.clean >= 0 && r->t.progs_gone != NOT_YET)
		return false;
	struct timespec ts = { 0, 2000000 };
	nanosleep(&ts, NULL);
	return true;
}

static void print_time(const char *name, double ms)
{
	if (ms < 0)
		printf("%s=- ", name);
	else
		printf("%s=%.2f ", name, ms);
}

static void print_report(const struct run *r, bool timed_out)
{
	const struct timeline *t = &r->t;
	print_time("ready_ms", t->ready);
	print_time("seen_ms", t->seen);
	print_time("mark_ms", t->mark);
	print_time("compiled_ms", t->compiled);
	print_time("load_start_ms", t->load_start);
	print_time("load_done_ms", t->load_done);
	print_time("sigint_ms", t->sigint);
	print_time("first_out_ms", t->first_out);
	print_time("last_out_ms", t->last_out);
	print_time("exit_ms", t->exit);
	print_time("sigint_to_exit_ms", t->sigint >= 0 && t->exit >= 0 ? t->exit - t->sigint : -1);
	print_time("mark_to_exit_ms", t->mark >= 0 && t->exit >= 0 ? t->exit - t->mark : -1);
	print_time("last_out_to_exit_ms", t->last_out >= 0 && t->exit >= 0 ? t->exit - t->last_out : -1);
	if (r->opt.kernel_clean) {
		print_time("progs_gone_ms", t->progs_gone);
		print_time("clean_ms", t->clean);
		print_time("mark_to_progs_gone_ms", t->mark >= 0 && t->progs_gone >= 0 ? t->progs_gone - t->mark : -1);
		print_time("mark_to_clean_ms", t->mark >= 0 && t->clean >= 0 ? t->clean - t->mark : -1);
		printf("descendants_cpu_ms=%.2f ", r->descendants_cpu_ms);
	}
	printf("cpu_ms=%.2f ", r->cpu_ms);
	printf("sigints=%d rss_kb=%ld out_lines=%ld at_lines=%ld out_bytes=%ld ", r->sigints, r->rss_kb, r->out_lines,
	       r->at_lines, r->out_bytes);
	if (timed_out)
		printf("status=timeout");
	else if (WIFEXITED(r->status))
		printf("status=%d", WEXITSTATUS(r->status));
	else
		printf("status=sig%d", WTERMSIG(r->status));
	for (char *line = strtok((char *)r->load_output, "\n"); line; line = strtok(NULL, "\n"))
		printf(" load:%s", line);
	printf("\n");
}

static void kill_everything(struct run *r)
{
	if (r->tracer > 0) {
		kill(r->tracer, SIGKILL);
		waitpid(r->tracer, &r->status, 0);
	}
	if (r->load > 0) {
		kill(r->load, SIGKILL);
		waitpid(r->load, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	struct run r = { .tracer_out = -1, .tracer_pidfd = -1, .load_in = -1, .load_out = -1,
			 .inotify_fd = -1, .sigint_due = -1, .release_due = -1, .at_line_start = true };
	r.t = (struct timeline){ NOT_YET, NOT_YET, NOT_YET, NOT_YET, NOT_YET, NOT_YET, NOT_YET,
				 NOT_YET, NOT_YET, NOT_YET, NOT_YET, NOT_YET };
	parse_options(argc, argv, &r.opt);
	struct sigaction sa = { .sa_handler = on_harness_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (r.opt.stdout_copy && !(r.copy = fopen(r.opt.stdout_copy, "w")))
		return 1;
	if (r.opt.load_cmd && start_load(&r) < 0) {
		kill_everything(&r);
		return 1;
	}
	if (r.load > 0)
		substitute_pid(r.opt.tracer_argv, r.load);
	if (r.opt.watch_path && start_watch(&r) < 0) {
		perror("harness: inotify");
		kill_everything(&r);
		return 1;
	}
	if (r.opt.kernel_clean) /* orphans of the tracer come to us, so that we see them exit */
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	r.t0_ns = mono_ns();
	if (r.opt.use_pty)
		r.tracer = spawn_on_pty(r.opt.tracer_argv, &r.tracer_out, r.opt.stderr_path, SIGTERM);
	else
		r.tracer = spawn(r.opt.tracer_argv, NULL, &r.tracer_out, r.opt.stderr_path, SIGTERM);
	r.tracer_pidfd = (int)syscall(SYS_pidfd_open, r.tracer, 0);
	if (r.tracer < 0 || r.tracer_pidfd < 0) {
		perror("harness: cannot start the tracer");
		kill_everything(&r);
		return 1;
	}
	double deadline = r.opt.timeout_s * 1e3;
	while (step(&r, deadline))
		;
	for (int i = 0; i < r.nscans; i++)
		pthread_join(r.scans[i], NULL);
	if (r.opt.kernel_clean && nprog_ids == 0)
		r.t.progs_gone = NOT_YET - 1; /* unknown: printed as "-" */
	while (r.opt.kernel_clean && r.tracer == 0 && step_clean(&r, deadline))
		;
	bool timed_out = r.tracer > 0 || r.load > 0 || (r.opt.kernel_clean && r.t.clean < 0);
	kill_everything(&r);
	print_report(&r, timed_out);
	if (r.copy)
		fclose(r.copy);
	return timed_out ? 3 : 0;
}
