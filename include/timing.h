/* timing.h - where a start's time goes (src/timing.c). With SONDE_TIMES=1
 * in the environment, timing_mark(NAME) prints to stderr the CPU time the
 * process has used since it was started (fork and exec included) and the
 * wall time since main(), each with the step since the previous mark.
 * Without it, a mark costs one comparison; either way errno is kept. */
#ifndef SONDE_TIMING_H
#define SONDE_TIMING_H

void timing_start(void);
void timing_mark(const char *name);

#endif
