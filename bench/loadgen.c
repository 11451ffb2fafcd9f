/* loadgen.c - the syscall load generator for bench/run.sh: a tight loop of one
 * cheap syscall, pinned to one CPU, timed over a fixed number of calls.
 *
 * Usage: loadgen [-w] [-n CALLS] MODE:CPU...
 *   MODE   getppid (syscall(SYS_getppid)) or read (1-byte read() from /dev/zero)
 *   -w     print "pid N", then wait for a line on stdin before measuring, so a
 *          tracer can be started with this pid in its filter before the load runs
 *   -n     calls per measurement (default 2000000)
 *   -s     slices (default 10, at most 1000): more, shorter slices find an
 *          undisturbed one on a busy host (a QEMU guest's vCPUs are preempted)
 * Prints two lines per MODE:CPU: "MODE.CPU=NS", nanoseconds per call in the
 * fastest of the equal slices of the calls, and "MODE.CPU.mean=NS" over all of
 * them. The fastest slice is the one least disturbed by other processes and
 * interrupts; a tracer's cost is paid on every call, so it is in every slice.
 * The process keeps its pid across all measurements, so one tracer session
 * with a `pid == N` filter covers every CPU and mode. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SLICES_MAX 1000

static int slices = 10;

enum load_mode { LOAD_GETPPID, LOAD_READ };

struct measurement {
	enum load_mode mode;
	int cpu;
	const char *mode_name;
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		fprintf(stderr, "loadgen: cannot pin to CPU %d: %m\n", cpu);
		return -1;
	}
	/* sched_setaffinity migrates before returning; yield once so the first
	 * timed slice does not start on the old CPU's tail. */
	sched_yield();
	return 0;
}

static void run_calls(enum load_mode mode, int zero_fd, long calls)
{
	char byte;
	if (mode == LOAD_GETPPID) {
		for (long i = 0; i < calls; i++)
			syscall(SYS_getppid);
	} else {
		for (long i = 0; i < calls; i++)
			if (read(zero_fd, &byte, 1) != 1)
				abort();
	}
}

struct result {
	double fastest, mean;
};

static struct result measure(const struct measurement *m, int zero_fd, long calls)
{
	double per_slice[SLICES_MAX], sum = 0;
	long slice_calls = calls / slices;
	run_calls(m->mode, zero_fd, calls / 50); /* warm caches and the CPU's frequency */
	for (int s = 0; s < slices; s++) {
		double t0 = now_ns();
		run_calls(m->mode, zero_fd, slice_calls);
		per_slice[s] = (now_ns() - t0) / (double)slice_calls;
		sum += per_slice[s];
	}
	qsort(per_slice, (size_t)slices, sizeof(per_slice[0]), cmp_double);
	return (struct result){ per_slice[0], sum / slices };
}

static int parse_measurement(const char *arg, struct measurement *m)
{
	const char *colon = strchr(arg, ':');
	if (!colon)
		return -1;
	size_t len = (size_t)(colon - arg);
	if (len == 7 && strncmp(arg, "getppid", len) == 0) {
		m->mode = LOAD_GETPPID;
		m->mode_name = "getppid";
	} else if (len == 4 && strncmp(arg, "read", len) == 0) {
		m->mode = LOAD_READ;
		m->mode_name = "read";
	} else {
		return -1;
	}
	char *end;
	long cpu = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || cpu < 0 || cpu >= CPU_SETSIZE)
		return -1;
	m->cpu = (int)cpu;
	return 0;
}

static void wait_for_go(void)
{
	char line[64];
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	/* read(), not stdio: the harness writes one newline and nothing else. */
	if (read(STDIN_FILENO, line, sizeof(line)) <= 0)
		exit(1); /* the harness went away: do not load the machine for nobody */
}

int main(int argc, char **argv)
{
	long calls = 2000000;
	int wait = 0, opt;
	while ((opt = getopt(argc, argv, "wn:s:")) != -1) {
		if (opt == 'w')
			wait = 1;
		else if (opt == 'n')
			calls = atol(optarg);
		else if (opt == 's' && atoi(optarg) >= 1 && atoi(optarg) <= SLICES_MAX)
			slices = atoi(optarg);
		else
			goto usage;
	}
	if (optind >= argc || calls < slices)
		goto usage;
	int count = argc - optind;
	struct measurement *ms = calloc((size_t)count, sizeof(*ms));
	if (!ms)
		return 1;
	for (int i = 0; i < count; i++)
		if (parse_measurement(argv[optind + i], &ms[i]) < 0) {
			fprintf(stderr, "loadgen: bad measurement '%s' (want getppid:CPU or read:CPU)\n",
				argv[optind + i]);
			free(ms);
			return 2;
		}
	int zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (zero_fd < 0) {
		perror("loadgen: /dev/zero");
		free(ms);
		return 1;
	}
	if (wait)
		wait_for_go();
	int rc = 0;
	for (int i = 0; i < count; i++) {
		if (pin_to_cpu(ms[i].cpu) < 0) {
			rc = 1;
			continue;
		}
		struct result res = measure(&ms[i], zero_fd, calls);
		printf("%s.%d=%.1f\n%s.%d.mean=%.1f\n", ms[i].mode_name, ms[i].cpu, res.fastest,
		       ms[i].mode_name, ms[i].cpu, res.mean);
	}
	fflush(stdout);
	close(zero_fd);
	free(ms);
	return rc;
usage:
	fprintf(stderr, "usage: loadgen [-w] [-n CALLS] [-s SLICES] getppid:CPU|read:CPU...\n");
	return 2;
}
