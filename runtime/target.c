/* target.c - the -p process: it must exist when the run starts, and its
 * exit ends the run (as in bpftrace: END runs, maps are printed, exit 0),
 * since nothing would be traced any more.
 *
 * A pidfd (Linux 5.3+) becomes readable when the process exits, so the
 * event loop wakes at once; it needs no permission over the process. Where
 * pidfd_open is missing (or filtered), kill(pid, 0) is polled instead at
 * the event loop's tick. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "run_internal.h"

static int pidfd_open_syscall(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* kill(pid, 0) fails with ESRCH only when there is no such process; EPERM
 * means it exists but belongs to someone else. */
static bool process_missing(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

int rt_target_open(struct rt_target *t, pid_t pid)
{
	t->pid = pid;
	t->pidfd = -1;
	if (pid <= 0)
		return 0;
	t->pidfd = pidfd_open_syscall(pid);
	int err = errno;
	if (t->pidfd >= 0)
		return 0;
	if (err == ESRCH || process_missing(pid)) {
		fprintf(stderr, "sonde: -p: there is no process %d\n", (int)pid);
		return -1;
	}
	return 0; /* no pidfd: rt_target_exited() polls */
}

int rt_target_fd(const struct rt_target *t)
{
	return t->pidfd;
}

bool rt_target_exited(const struct rt_target *t)
{
	if (t->pid <= 0)
		return false;
	if (t->pidfd < 0)
		return process_missing(t->pid);
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

void rt_target_close(struct rt_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
	t->pid = 0;
}
