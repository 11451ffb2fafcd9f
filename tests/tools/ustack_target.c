/* ustack_target.c - a known call chain for user-stack tests.
 *
 *   ustack_target [N [MS [-w]]]  main -> ustack_outer -> ustack_middle ->
 *                            ustack_inner -> ustack_leaf -> getppid(), N
 *                            times (3; 0 = until killed), MS milliseconds
 *                            apart (0); -w: wait for SIGUSR1 before the
 *                            first call, then call ustack_done() (getpgid)
 *                            and wait to be killed (the tracer exits there and
 *                            names the frames while the process lives)
 *
 * Built four ways (tests/tools/ustack.cmake): PIE, non-PIE, stripped with a
 * .gnu_debuglink to a separate debug file, and against a shared library
 * (ustack_lib.c, -DUSTACK_WITH_LIB: the leaf is then the library's).
 * Frame pointers and no optimisation keep every frame in the kernel's
 * frame-pointer unwind and every function out of line. ustack_counter is a
 * 4-byte variable for uaddr(). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef USTACK_WITH_LIB
int ustack_lib_entry(int x);
#define LEAF(x) ustack_lib_entry(x)
#else
#define LEAF(x) ustack_leaf(x)
#endif

int ustack_counter;

/* getppid(): a syscall whose tracepoint sees this chain from the kernel
 * side too (the stripped build is traced there: its functions are in no
 * symbol table the uprobe can attach by) */
__attribute__((noinline)) int ustack_leaf(int x)
{
	ustack_counter += x + (getppid() == 0);
	return ustack_counter;
}

__attribute__((noinline)) int ustack_inner(int x)
{
	return LEAF(x + 1) + 1;
}

__attribute__((noinline)) int ustack_middle(int x)
{
	return ustack_inner(x * 2) + 1;
}

__attribute__((noinline)) int ustack_outer(int x)
{
	return ustack_middle(x) + 1;
}

/* the end of the calls, seen by a tracepoint whatever the symbols:
 * getpgid() is made nowhere else */
__attribute__((noinline)) void ustack_done(void)
{
	getpgid(0);
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	int wait = argc > 3 && strcmp(argv[3], "-w") == 0;
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (wait) {
		/* blocked before the handler is set: whoever waits for the
		 * handler (SigCgt in /proc/PID/status) may signal at once */
		sigprocmask(SIG_BLOCK, &usr1, &old);
		signal(SIGUSR1, on_usr1);
		sigsuspend(&old);
	}
	int n = argc > 1 ? atoi(argv[1]) : 3;
	long ms = argc > 2 ? atol(argv[2]) : 0;
	struct timespec gap = { ms / 1000, (ms % 1000) * 1000000 };
	int sum = 0;
	for (int i = 0; n == 0 || i < n; i++) {
		sum += ustack_outer(i);
		if (ms)
			nanosleep(&gap, NULL);
	}
	if (wait) {
		ustack_done();
		for (;;)
			pause();
	}
	return sum == -1;
}
