/* stackgen.c - the load of bench/run.sh's "symbols" part: N distinct user
 * stacks, each ending in stackgen_leaf(), for a tracer's
 * `uprobe:stackgen:stackgen_leaf { @[ustack] = count(); }`.
 *
 * Usage: stackgen [-w] [-n N] [-l SECONDS]
 *   -w   print "pid N" and wait for a line on stdin first (bench/harness -L)
 *   -n   how many distinct stacks (10000)
 *   -l   how long the process that made them stays alive (30 s)
 *
 * stackgen_done() is called after the last one.
 *
 * Stack i is the path of i's bits through walk(): each level calls
 * walk_one() or walk_zero(), which call walk() again, so the return
 * addresses spell the bits and no two stacks are alike. The stacks are made
 * by a child, which prints "worker=PID stacks=N" through its parent and then
 * lives on, detached from the harness's pipes: the tracer names the frames
 * at exit from the child's /proc/PID/maps, so it must still be there. The
 * parent exits as soon as the stacks are made (the harness's "load done").
 * Build with -O0 -fno-omit-frame-pointer: every call stays a frame. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long sink;

__attribute__((noinline)) void stackgen_leaf(void)
{
	sink++;
}

/* after the last stack: a tracer's cue to exit (and print) */
__attribute__((noinline)) void stackgen_done(void)
{
	sink++;
}

static void walk(int level, unsigned long bits);

__attribute__((noinline)) static void walk_one(int level, unsigned long bits)
{
	walk(level, bits);
	sink++;
}

__attribute__((noinline)) static void walk_zero(int level, unsigned long bits)
{
	walk(level, bits);
	sink++;
}

__attribute__((noinline)) static void walk(int level, unsigned long bits)
{
	if (level == 0)
		stackgen_leaf();
	else if (bits & 1)
		walk_one(level - 1, bits >> 1);
	else
		walk_zero(level - 1, bits >> 1);
	sink++;
}

static void wait_for_go(void)
{
	char line[64];
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	if (read(STDIN_FILENO, line, sizeof(line)) <= 0)
		exit(1);
}

/* Leave the harness's pipes: it sees the load end when the parent exits. */
static void detach(void)
{
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		return;
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);
}

int main(int argc, char **argv)
{
	long n = 10000, linger = 30;
	int wait = 0, opt;
	while ((opt = getopt(argc, argv, "wn:l:")) != -1) {
		if (opt == 'w')
			wait = 1;
		else if (opt == 'n')
			n = atol(optarg);
		else if (opt == 'l')
			linger = atol(optarg);
		else
			return 2;
	}
	int levels = 1;
	while (levels < 62 && (1l << levels) < n)
		levels++;
	if (wait)
		wait_for_go();
	int done[2];
	if (pipe(done) < 0)
		return 1;
	fflush(stdout);
	pid_t worker = fork();
	if (worker < 0)
		return 1;
	if (worker == 0) {
		close(done[0]);
		for (long i = 0; i < n; i++)
			walk(levels, (unsigned long)i);
		stackgen_done();
		char c = 1;
		if (write(done[1], &c, 1) != 1)
			_exit(1);
		close(done[1]);
		detach();
		sleep((unsigned)linger);
		_exit(0);
	}
	close(done[1]);
	char c;
	int ok = read(done[0], &c, 1) == 1;
	printf("worker=%d stacks=%ld\n", (int)worker, ok ? n : 0);
	return ok ? 0 : 1;
}
