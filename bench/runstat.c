/* runstat.c - run a command N times, print its median wall time and peak RSS.
 * Usage: runstat N cmd args...   (output: "median_ms=... min_ms=... max_rss_kb=...")
 * wait4() gives the child's own peak RSS, which /usr/bin/time rounds less
 * precisely and `time` builtins do not report. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: runstat N cmd args...\n");
		return 2;
	}
	int n = atoi(argv[1]);
	if (n < 1)
		n = 1;
	double *ms = calloc((size_t)n, sizeof(*ms));
	long max_rss = 0;
	for (int i = 0; i < n; i++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		pid_t pid = fork();
		if (pid == 0) {
			freopen("/dev/null", "w", stdout);
			freopen("/dev/null", "w", stderr);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		int status;
		struct rusage ru;
		wait4(pid, &status, 0, &ru);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (ru.ru_maxrss > max_rss)
			max_rss = ru.ru_maxrss;
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
	printf("median_ms=%.1f min_ms=%.1f max_rss_kb=%ld\n", ms[n / 2], ms[0], max_rss);
	free(ms);
	return 0;
}
