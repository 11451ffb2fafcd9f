/* child.c - the -c command: split, forked, held, released, reaped.
 *
 * The command is forked before the BPF object is loaded so that its pid can
 * go into the config (`cpid`), but it must not run before the probes are
 * attached or its first events would be missed. So the child waits on a
 * pipe before exec; one byte releases it, EOF (sonde gave up) ends it.
 * No shell is involved: cpid is the command's own pid. A second pipe,
 * closed by a successful exec (O_CLOEXEC), carries errno when exec fails. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ast.h"
#include "run_internal.h"

/* ---- splitting ---------------------------------------------------------- */

static void argv_push(char ***argv, int *argc, char *word)
{
	*argv = xrealloc(*argv, sizeof(**argv) * (size_t)(*argc + 2));
	(*argv)[(*argc)++] = word;
	(*argv)[*argc] = NULL;
}

char **rt_split_command(const char *cmd, char *err, size_t errlen)
{
	char **argv = NULL;
	int argc = 0;
	const char *p = cmd;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		/* Allocated up front: a quoted empty word ("") is still a word. */
		struct util_strbuf w = { 0 };
		util_strbuf_add(&w, "", 0);
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			char quote = *p;
			if (quote == '\'' || quote == '"') {
				const char *close = p + 1;
				for (; *close && *close != quote; close++) {
					if (quote == '"' && *close == '\\' && close[1] &&
					    strchr("\"\\$`", close[1]))
						close++;
					util_strbuf_add(&w, close, 1);
				}
				if (!*close) {
					snprintf(err, errlen, "unterminated %c quote in '%s'", quote, cmd);
					free(w.buf);
					rt_free_argv(argv);
					return NULL;
				}
				p = close + 1;
			} else if (quote == '\\' && p[1]) {
				util_strbuf_add(&w, &p[1], 1);
				p += 2;
			} else {
				util_strbuf_add(&w, p++, 1);
			}
		}
		argv_push(&argv, &argc, w.buf);
	}
	if (argc == 0) {
		snprintf(err, errlen, "empty command");
		return NULL;
	}
	return argv;
}

void rt_free_argv(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

/* ---- the process -------------------------------------------------------- */

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Checked before forking so that a typo fails before anything is loaded;
 * exec can still fail later, which rt_child_release() reports. */
static bool command_exists(const char *name)
{
	if (strchr(name, '/'))
		return is_executable_file(name);
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *dir = path;; dir++) {
		const char *end = strchr(dir, ':');
		size_t len = end ? (size_t)(end - dir) : strlen(dir);
		char *full = xasprintf("%.*s/%s", (int)len, len ? dir : ".", name);
		bool ok = is_executable_file(full);
		free(full);
		if (ok)
			return true;
		if (!end)
			return false;
		dir = end;
	}
}

/* Ignored signals stay ignored across exec, and so does the signal mask:
 * give the command the defaults. 0 or an errno. */
static int reset_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGPIPE, SIGCHLD };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (signal(sigs[i], SIG_DFL) == SIG_ERR)
			return errno;
	sigset_t none;
	if (sigemptyset(&none) < 0 || sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return errno;
	return 0;
}

/* A failure before the exec is reported like a failed exec, through
 * exec_err_fd once sonde releases the child ("cannot run the command"). */
static void child_wait_and_exec(char **argv, int release_fd, int exec_err_fd)
{
	int e = reset_signals();
	char go;
	ssize_t n;
	do
		n = read(release_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127);
	if (e == 0) {
		execvp(argv[0], argv);
		e = errno;
	}
	/* nobody to tell if even this fails: sonde then sees only the exit */
	ssize_t w = write(exec_err_fd, &e, sizeof(e));
	(void)w;
	_exit(127);
}

/* The child's read() on the release pipe must have begun before any probe
 * is attached: it is a syscall of cpid, and whether a probe saw it enter
 * must not depend on how soon the child was scheduled after fork. A task
 * blocked in a syscall shows its number and first argument in
 * /proc/PID/syscall. Without that file (permissions, kernel config) the
 * wait is skipped: only that one syscall's visibility is at stake. */
static bool child_parked(pid_t pid, int fd, bool *unknowable)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f) {
		*unknowable = true;
		return false;
	}
	long nr;
	unsigned long arg0;
	bool parked = fscanf(f, "%ld %lx", &nr, &arg0) == 2 && nr == SYS_read &&
		      arg0 == (unsigned long)fd;
	fclose(f);
	return parked;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void wait_until_parked(pid_t pid, int fd)
{
	bool unknowable = false;
	for (int i = 0; i < 2000 && !unknowable; i++) { /* a bound, not a timing assumption */
		if (child_parked(pid, fd, &unknowable))
			return;
		sleep_ms(1);
	}
}

int rt_child_start(struct rt_child *c, const char *cmd)
{
	memset(c, 0, sizeof(*c));
	c->release_fd = c->exec_err_fd = -1;
	char err[256];
	char **argv = rt_split_command(cmd, err, sizeof(err));
	if (!argv) {
		fprintf(stderr, "sonde: -c: %s\n", err);
		return -1;
	}
	if (!command_exists(argv[0])) {
		fprintf(stderr, "sonde: -c: cannot run '%s': command not found\n", argv[0]);
		rt_free_argv(argv);
		return -1;
	}
	int release[2], exec_err[2];
	if (pipe2(release, O_CLOEXEC) < 0) {
		fprintf(stderr, "sonde: -c: pipe: %s\n", strerror(errno));
		rt_free_argv(argv);
		return -1;
	}
	if (pipe2(exec_err, O_CLOEXEC) < 0) {
		fprintf(stderr, "sonde: -c: pipe: %s\n", strerror(errno));
		close(release[0]);
		close(release[1]);
		rt_free_argv(argv);
		return -1;
	}
	fflush(NULL); /* buffered output must not be written twice */
	pid_t pid = fork();
	if (pid == 0) {
		close(release[1]);
		close(exec_err[0]);
		child_wait_and_exec(argv, release[0], exec_err[1]);
	}
	int fork_errno = errno;
	int child_release_fd = release[0]; /* the same number in the child */
	close(release[0]);
	close(exec_err[1]);
	rt_free_argv(argv);
	if (pid < 0) {
		close(release[1]);
		close(exec_err[0]);
		fprintf(stderr, "sonde: -c: fork: %s\n", strerror(fork_errno));
		return -1;
	}
	wait_until_parked(pid, child_release_fd);
	c->pid = pid;
	c->release_fd = release[1];
	c->exec_err_fd = exec_err[0];
	return 0;
}

int rt_child_release(struct rt_child *c)
{
	if (!c->pid || c->release_fd < 0)
		return 0;
	ssize_t w = write(c->release_fd, "g", 1);
	close(c->release_fd);
	c->release_fd = -1;
	if (w != 1) {
		fprintf(stderr, "sonde: -c: cannot start the command: %s\n", strerror(errno));
		return -1;
	}
	int e;
	ssize_t n;
	do
		n = read(c->exec_err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(c->exec_err_fd);
	c->exec_err_fd = -1;
	if (n == (ssize_t)sizeof(e)) {
		fprintf(stderr, "sonde: -c: cannot run the command: %s\n", strerror(e));
		return -1;
	}
	return 0;
}

bool rt_child_poll_exit(struct rt_child *c)
{
	if (!c->pid || c->exited)
		return c->exited;
	if (waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->exited = true;
	return c->exited;
}

/* ESRCH: it exited on its own meanwhile; anything else leaves it running,
 * and the wait that follows waits for it to end by itself. */
static void signal_child(const struct rt_child *c, int sig)
{
	if (kill(c->pid, sig) < 0 && errno != ESRCH)
		fprintf(stderr, "sonde: -c: cannot stop the command (pid %d): %s\n", (int)c->pid,
			strerror(errno));
}

void rt_child_stop(struct rt_child *c)
{
	if (!c->pid)
		return;
	if (c->release_fd >= 0) { /* never released: EOF makes it exit */
		close(c->release_fd);
		c->release_fd = -1;
	} else if (!rt_child_poll_exit(c)) {
		signal_child(c, SIGTERM);
		/* a second to clean up after SIGTERM, as a shell's user would wait */
		for (int i = 0; i < 100 && !rt_child_poll_exit(c); i++)
			sleep_ms(10);
		if (!c->exited)
			signal_child(c, SIGKILL);
	}
	while (!c->exited) {
		if (waitpid(c->pid, &c->status, 0) == c->pid || errno == ECHILD)
			c->exited = true;
	}
	if (c->exec_err_fd >= 0)
		close(c->exec_err_fd);
	c->exec_err_fd = -1;
	c->pid = 0;
}
