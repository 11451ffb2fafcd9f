/* syscaller.c - a test workload whose syscalls can be counted exactly.
 *
 *   syscaller [-n COUNT] [-k getppid|read] [-C CPU] [-m COMM] [-w]
 *             [-r READY_FILE] [-d DONE_FILE] [-P]
 *   syscaller go PID...     start waiting workers and wait until they exit
 *   syscaller nr getppid|read   print the syscall number
 *   syscaller negatives   make tracepoint fields hold negative and high-bit values
 *
 * A worker pins itself to CPU, renames itself to COMM (prctl), opens what
 * it needs and only then makes exactly COUNT calls of one kind: getppid()
 * or a 1-byte read() of /dev/zero. Nothing else it does after the rename
 * is one of those two calls, so a probe filtered on the comm or pid and on
 * the syscall sees exactly COUNT events.
 *
 * With -w it first waits for SIGUSR1 (blocked early, so a signal sent at
 * any time after READY_FILE appears is never lost). READY_FILE (written
 * atomically, holding the pid) says it is set up; DONE_FILE that the calls
 * are made. -P: pause after the calls until killed (a tracer keeps running).
 *
 * `go` is meant to be sonde's -c command: sonde releases it only after
 * every probe is attached, and the trace ends when it exits, i.e. after
 * every worker has exited. The count is exact by construction, with no
 * timing assumption. Workers exit with _exit(): no atexit work (e.g. a
 * sanitizer's leak check reading /proc) after the counted calls. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct worker {
	long count;
	const char *kind;
	int cpu;
	const char *comm;
	bool wait_start;
	const char *ready_file;
	const char *done_file;
	bool pause_after;
};

static void die(const char *what)
{
	fprintf(stderr, "syscaller: %s: %s\n", what, strerror(errno));
	_exit(2);
}

static long syscall_number(const char *kind)
{
	if (strcmp(kind, "getppid") == 0)
		return SYS_getppid;
	if (strcmp(kind, "read") == 0)
		return SYS_read;
	fprintf(stderr, "syscaller: unknown kind '%s' (getppid, read)\n", kind);
	_exit(2);
}

static void write_file_atomically(const char *path, long value)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		die(tmp);
	fprintf(f, "%ld\n", value);
	if (fclose(f) != 0)
		die(tmp);
	if (rename(tmp, path) != 0)
		die(path);
}

static int run_worker(const struct worker *w)
{
	long nr = syscall_number(w->kind);
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &usr1, NULL) != 0)
		die("sigprocmask");
	if (w->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			die("sched_setaffinity");
	}
	int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (zero < 0)
		die("/dev/zero");
	/* Unbuffered stderr: no hidden read or write later. */
	if (w->comm && prctl(PR_SET_NAME, w->comm, 0, 0, 0) != 0)
		die("prctl(PR_SET_NAME)");
	if (w->ready_file)
		write_file_atomically(w->ready_file, (long)getpid());
	if (w->wait_start) {
		int sig;
		if (sigwait(&usr1, &sig) != 0)
			die("sigwait");
	}
	char c;
	for (long i = 0; i < w->count; i++) {
		/* syscall(), not the libc wrappers: one kernel entry each, no caching. */
		if (nr == SYS_read) {
			if (syscall(SYS_read, zero, &c, 1) != 1)
				die("read");
		} else {
			syscall(SYS_getppid);
		}
	}
	if (w->done_file)
		write_file_atomically(w->done_file, w->count);
	while (w->pause_after)
		pause();
	_exit(0);
}

/* Signal every worker, then wait until each has exited. pidfds are opened
 * first so that a worker exiting early cannot be confused with a new
 * process reusing its pid. */
static int run_go(int n, char **pids)
{
	int *fds = calloc((size_t)n, sizeof(int));
	if (!fds)
		die("calloc");
	for (int i = 0; i < n; i++) {
		long pid = strtol(pids[i], NULL, 10);
		fds[i] = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (fds[i] < 0)
			die(pids[i]);
	}
	for (int i = 0; i < n; i++)
		if (syscall(SYS_pidfd_send_signal, fds[i], SIGUSR1, NULL, 0) != 0 && errno != ESRCH)
			die("pidfd_send_signal");
	for (int i = 0; i < n; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };
		while (poll(&p, 1, -1) < 0)
			if (errno != EINTR)
				die("poll");
		close(fds[i]);
	}
	free(fds);
	return 0;
}

/* ---- negatives: one event per field width and sign ----------------------
 *
 * Each step makes one tracepoint record a field whose value is negative
 * (or has its top bit set), so a tracer that reads it at the wrong width or
 * extends it the wrong way prints a different number. Syscall arguments go
 * through syscall() with explicit longs: `(long)(unsigned)x` leaves the
 * upper half of the register zero as glibc's wrappers do for an int, and
 * `(long)x` sign-extends it, so the 8-byte slot's contents are known. */

static void on_signal(int sig) { (void)sig; }

static void negative_syscalls(void)
{
	int fds[2];
	if (pipe(fds) != 0)
		die("pipe");
	/* sys_enter_wait4 upid: pid_t in an unsigned 8-byte slot, upper half 0 */
	syscall(SYS_wait4, (long)(unsigned)-1, 0L, (long)WNOHANG, 0L); /* -ECHILD */
	/* sys_enter_kill pid: the same slot with the sign extended */
	syscall(SYS_kill, -999999L, 0L);                                 /* -ESRCH */
	/* sys_enter_openat dfd = AT_FDCWD = -100 */
	syscall(SYS_openat, (long)(unsigned)AT_FDCWD, "/nonexistent-sonde-test", (long)O_RDONLY, 0L);
	/* sys_enter_lseek offset: off_t, an unsigned slot in the format */
	syscall(SYS_lseek, (long)fds[0], -5L, (long)SEEK_SET);         /* -ESPIPE */
	close(fds[0]);
	close(fds[1]);
}

/* signal:signal_generate / signal_deliver code = SI_TKILL (-6) */
static void negative_signal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR2, &sa, NULL) != 0)
		die("sigaction");
	if (syscall(SYS_tgkill, (long)getpid(), (long)syscall(SYS_gettid), (long)SIGUSR2) != 0)
		die("tgkill");
}

/* oom:oom_score_adj_update and task:task_rename oom_score_adj: a short.
 * Lowering it needs CAP_SYS_RESOURCE; without it the write fails (EACCES),
 * no oom event happens and task_rename records the unchanged value. */
static void negative_oom_score(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("/proc/self/oom_score_adj");
	if (write(fd, "-500\n", 5) != 5 && errno != EACCES && errno != EPERM)
		die("write oom_score_adj");
	close(fd);
	if (prctl(PR_SET_NAME, "negatives", 0, 0, 0) != 0)
		die("prctl(PR_SET_NAME)");
}

/* io_uring:io_uring_req_failed: one SQE with an invalid opcode. The event
 * copies u8 flags and ioprio, u16 buf_index and personality, u32 len and
 * file_index, u64 off from the SQE, and the int error -EINVAL. Where
 * io_uring is unavailable, nothing happens. */
static void failing_io_uring_request(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int ring = (int)syscall(SYS_io_uring_setup, 1L, &p);
	if (ring < 0 && (errno == ENOSYS || errno == EPERM))
		return; /* io_uring not built in, or kernel.io_uring_disabled */
	if (ring < 0)
		die("io_uring_setup");
	size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t sqes_size = p.sq_entries * sizeof(struct io_uring_sqe);
	char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
			IORING_OFF_SQ_RING);
	struct io_uring_sqe *sqes = mmap(NULL, sqes_size, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || sqes == MAP_FAILED)
		die("mmap io_uring");
	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = 0xff;
	sqes[0].flags = 0x80;
	sqes[0].ioprio = 0xffff;
	sqes[0].off = (uint64_t)-1;
	sqes[0].len = 0xffffffffu;
	sqes[0].buf_index = 0xffff;
	sqes[0].personality = 0xfffe;
	sqes[0].file_index = 0xfffffffdu;
	unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
	unsigned *mask = (unsigned *)(sq + p.sq_off.ring_mask);
	unsigned *array = (unsigned *)(sq + p.sq_off.array);
	array[*tail & *mask] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, (long)ring, 1L, 0L, 0L, NULL, 0L) != 1)
		die("io_uring_enter");
	munmap(sqes, sqes_size);
	munmap(sq, sq_size);
	close(ring);
}

static int run_negatives(void)
{
	negative_syscalls();
	negative_signal();
	negative_oom_score();
	failing_io_uring_request();
	return 0;
}

/* A loopback port nothing listens on: one just bound and closed. */
static struct sockaddr_in closed_port(int type)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int probe = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (probe < 0 || bind(probe, (struct sockaddr *)&addr, len) != 0 ||
	    getsockname(probe, (struct sockaddr *)&addr, &len) != 0)
		die("socket");
	close(probe);
	return addr;
}

/* sock:inet_sock_set_state: CLOSE -> SYN_SENT -> CLOSE, 127.0.0.1 both ways. */
static int run_tcp_closed(void)
{
	struct sockaddr_in addr = closed_port(SOCK_STREAM);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("tcp socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 || errno != ECONNREFUSED)
		die("connect to a closed port");
	close(fd);
	return 0;
}

/* skb:kfree_skb with reason SKB_DROP_REASON_NO_SOCKET: UDP datagrams to a
 * closed loopback port. */
static int run_udp_closed(long count)
{
	struct sockaddr_in addr = closed_port(SOCK_DGRAM);
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("udp socket");
	for (long i = 0; i < count; i++)
		if (sendto(fd, "x", 1, 0, (struct sockaddr *)&addr, len) != 1 && errno != ECONNREFUSED)
			die("sendto");
	close(fd);
	return 0;
}

static void usage(void)
{
	fputs("usage: syscaller [-n COUNT] [-k getppid|read] [-C CPU] [-m COMM] [-w]\n"
	      "                 [-r READY_FILE] [-d DONE_FILE] [-P]\n"
	      "       syscaller go PID...\n"
	      "       syscaller nr getppid|read\n"
	      "       syscaller negatives\n"
	      "       syscaller udp-closed COUNT\n"
	      "       syscaller tcp-closed\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "go") == 0)
		return run_go(argc - 2, argv + 2);
	if (argc == 2 && strcmp(argv[1], "negatives") == 0)
		return run_negatives();
	if (argc == 2 && strcmp(argv[1], "tcp-closed") == 0)
		return run_tcp_closed();
	if (argc == 3 && strcmp(argv[1], "udp-closed") == 0)
		return run_udp_closed(strtol(argv[2], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "nr") == 0) {
		printf("%ld\n", syscall_number(argv[2]));
		return 0;
	}
	struct worker w = { .count = 200000, .kind = "getppid", .cpu = -1 };
	int opt;
	while ((opt = getopt(argc, argv, "n:k:C:m:wr:d:P")) != -1) {
		switch (opt) {
		case 'n': w.count = strtol(optarg, NULL, 10); break;
		case 'k': w.kind = optarg; break;
		case 'C': w.cpu = (int)strtol(optarg, NULL, 10); break;
		case 'm': w.comm = optarg; break;
		case 'w': w.wait_start = true; break;
		case 'r': w.ready_file = optarg; break;
		case 'd': w.done_file = optarg; break;
		case 'P': w.pause_after = true; break;
		default: usage();
		}
	}
	if (optind != argc || w.count < 0)
		usage();
	return run_worker(&w);
}
