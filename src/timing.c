/* timing.c - SONDE_TIMES=1: a profile of the start-up path (timing.h). */
#include "timing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int timing_on = -1; /* -1: not yet looked at */
static double wall0, wall_prev, cpu_prev;

static double now_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void timing_start(void)
{
	const char *env = getenv("SONDE_TIMES");
	timing_on = env && env[0] && env[0] != '0';
	if (timing_on) {
		wall0 = wall_prev = now_ms(CLOCK_MONOTONIC);
		timing_mark("main");
	}
}

/* errno is kept: marks sit between a call and the check of its errno */
void timing_mark(const char *name)
{
	if (timing_on <= 0)
		return;
	int saved = errno;
	double wall = now_ms(CLOCK_MONOTONIC), cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID);
	fprintf(stderr, "sonde: time: %-24s cpu %7.3f ms (+%6.3f)  wall since main %7.3f ms (+%6.3f)\n", name,
		cpu, cpu - cpu_prev, wall - wall0, wall - wall_prev);
	wall_prev = wall;
	cpu_prev = cpu;
	errno = saved;
}
