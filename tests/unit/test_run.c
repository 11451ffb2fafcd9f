/* test_run.c - pieces of the runtime core: the -c command splitter, the
 * held child's life cycle, noticing the -p process' exit, how a verifier
 * log is turned into a message on the script's line, and (as root)
 * failures of runtime map operations that no script can provoke, which
 * must be reported rather than skipped. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../runtime/run_internal.h"
#include "ast.h"
#include "sonde.h"

#include "check.h"

static void check_split(const char *cmd, const char *const *want)
{
	char err[128] = "";
	char **argv = rt_split_command(cmd, err, sizeof(err));
	int i = 0;
	for (; argv && argv[i] && want[i]; i++)
		if (strcmp(argv[i], want[i]) != 0)
			break;
	if (!argv || argv[i] || want[i]) {
		fprintf(stderr, "split '%s': word %d differs (%s)\n", cmd, i, argv ? "" : err);
		failures++;
	}
	rt_free_argv(argv);
}

static void check_split_error(const char *cmd, const char *message)
{
	char err[128] = "";
	char **argv = rt_split_command(cmd, err, sizeof(err));
	CHECK(argv == NULL);
	if (strcmp(err, message) != 0) {
		fprintf(stderr, "split '%s': error '%s', expected '%s'\n", cmd, err, message);
		failures++;
	}
	rt_free_argv(argv);
}

static void test_split(void)
{
	check_split("ls", (const char *const[]){ "ls", NULL });
	check_split("  ls   -l\t/tmp ", (const char *const[]){ "ls", "-l", "/tmp", NULL });
	check_split("echo \"a b\" 'c  d' e\\ f \"\" ''",
		    (const char *const[]){ "echo", "a b", "c  d", "e f", "", "", NULL });
	check_split("echo \"x\\\"y\\\\z\" 'it\\s'",
		    (const char *const[]){ "echo", "x\"y\\z", "it\\s", NULL });
	check_split("sh -c 'echo $HOME'", (const char *const[]){ "sh", "-c", "echo $HOME", NULL });
	check_split("a\"b c\"d", (const char *const[]){ "ab cd", NULL });
	check_split_error("", "empty command");
	check_split_error("   ", "empty command");
	check_split_error("echo 'abc", "unterminated ' quote in 'echo 'abc'");
	check_split_error("echo \"abc", "unterminated \" quote in 'echo \"abc'");
}

static bool wait_exit(struct rt_child *c, int ms)
{
	for (int i = 0; i < ms && !rt_child_poll_exit(c); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	return c->exited;
}

static void test_child(void)
{
	struct rt_child c;
	CHECK(rt_child_start(&c, "true") == 0 && c.pid > 0);
	CHECK(!rt_child_poll_exit(&c)); /* held until released */
	CHECK(rt_child_release(&c) == 0);
	CHECK(wait_exit(&c, 5000) && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
	rt_child_stop(&c);
	CHECK(c.pid == 0);

	/* Running when sonde stops: terminated and reaped. */
	CHECK(rt_child_start(&c, "sleep 30") == 0);
	pid_t pid = c.pid;
	CHECK(rt_child_release(&c) == 0);
	rt_child_stop(&c);
	CHECK(c.exited && WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGTERM);
	CHECK(kill(pid, 0) < 0 && errno == ESRCH);

	/* Never released: it ends without running the command. */
	CHECK(rt_child_start(&c, "sleep 30") == 0);
	pid = c.pid;
	rt_child_stop(&c);
	CHECK(c.exited && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 127);
	CHECK(kill(pid, 0) < 0 && errno == ESRCH);

	/* Exit status of the command itself, quoting through to argv. */
	CHECK(rt_child_start(&c, "sh -c 'exit 3'") == 0);
	CHECK(rt_child_release(&c) == 0);
	CHECK(wait_exit(&c, 5000) && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 3);
	rt_child_stop(&c);

	CHECK(rt_child_start(&c, "sonde-no-such-command --x") == -1 && c.pid == 0);
	CHECK(rt_child_start(&c, "'unterminated") == -1 && c.pid == 0);
	rt_child_stop(&c); /* harmless with no child */
}

/* The -p process: its exit is seen through the pidfd at once, and by the
 * kill(pid, 0) fallback once it is reaped. */
static void test_target(void)
{
	int hold[2];
	CHECK(pipe(hold) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		char b;
		close(hold[1]);
		_exit(read(hold[0], &b, 1) < 0); /* EOF: the test lets it go */
	}
	close(hold[0]);
	struct rt_target t;
	CHECK(rt_target_open(&t, pid) == 0 && rt_target_fd(&t) >= 0);
	struct rt_target polled = { .pid = pid, .pidfd = -1 };
	CHECK(!rt_target_exited(&t) && !rt_target_exited(&polled));

	close(hold[1]);
	struct pollfd p = { .fd = rt_target_fd(&t), .events = POLLIN };
	CHECK(poll(&p, 1, 10000) == 1); /* a bound, not a timing assumption */
	CHECK(rt_target_exited(&t));
	CHECK(!rt_target_exited(&polled)); /* a zombie still answers kill() */
	CHECK(waitpid(pid, NULL, 0) == pid);
	CHECK(rt_target_exited(&t) && rt_target_exited(&polled));
	rt_target_close(&t);
	CHECK(t.pidfd == -1 && !rt_target_exited(&t));

	CHECK(rt_target_open(&t, 0) == 0 && rt_target_fd(&t) == -1 && !rt_target_exited(&t));
}

static void open_missing_target(void *arg)
{
	struct rt_target t;
	CHECK(rt_target_open(&t, *(pid_t *)arg) == -1 && rt_target_fd(&t) == -1);
}

/* Runs fn with stderr captured; returns what it printed (caller frees). */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
	fflush(stderr);
	FILE *tmp = tmpfile();
	int saved = dup(2);
	dup2(fileno(tmp), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	long len = ftell(tmp);
	if (len < 0)
		len = lseek(fileno(tmp), 0, SEEK_END);
	char *text = xcalloc(1, (size_t)len + 1);
	lseek(fileno(tmp), 0, SEEK_SET);
	size_t got = fread(text, 1, (size_t)len, tmp);
	text[got] = '\0';
	fclose(tmp);
	return text;
}

struct verifier_case {
	const struct desc_probe *probe;
	const struct source *src;
	const char *log;
};

static void run_verifier_case(void *arg)
{
	struct verifier_case *v = arg;
	rt_report_verifier_log(v->probe, v->src, v->log, false);
}

static void check_contains(const char *text, const char *want)
{
	if (!strstr(text, want)) {
		fprintf(stderr, "expected to find:\n%s\nin:\n%s\n", want, text);
		failures++;
	}
}

static void test_verifier_report(void)
{
	const char *script = "BEGIN {\n\t@x = *(uint64 *)0;\n}\n";
	struct source *src = source_from_string("t.bt", script, strlen(script));
	struct desc_probe probe = { .type = PT_BEGIN, .name = "BEGIN", .target = "",
				    .prog_name = "BEGIN", .loc = { 1, 1, 1, 6 } };
	struct verifier_case v = {
		&probe, src,
		"func#0 @0\n"
		"0: R1=ctx() R10=fp0\n"
		"; BEGIN { @ t.bt:1\n"
		"0: (b7) r1 = 0                        ; R1_w=0\n"
		";  @x = *(uint64 *)0; @ t.bt:2\n"
		"1: (79) r0 = *(u64 *)(r1 +0)\n"
		"R1 invalid mem access 'scalar'\n"
		"processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0\n",
	};
	char *out = capture_stderr(run_verifier_case, &v);
	check_contains(out, "t.bt:2:2: error: the BPF verifier rejected probe 'BEGIN'\n"
			    "\t@x = *(uint64 *)0;\n"
			    "\t^~~~~~~~~~~~~~~~~~\n"
			    "  verifier: R1 invalid mem access 'scalar'\n"
			    "hint: the program reads memory through a value");
	CHECK(!strstr(out, "processed"));
	free(out);

	/* No line info: the attach point is the place. */
	v.log = "0: (85) call bpf_nope#999\nunknown func bpf_nope#999\n";
	out = capture_stderr(run_verifier_case, &v);
	check_contains(out, "t.bt:1:1: error: the BPF verifier rejected probe 'BEGIN'\nBEGIN {\n^~~~~\n"
			    "  verifier: unknown func bpf_nope#999\n"
			    "hint: this kernel does not offer that helper");
	free(out);

	/* A line the script does not have (code sonde added): the attach point. */
	v.log = "; x @ t.bt:40\n0: (95) exit\nsomething new\n";
	out = capture_stderr(run_verifier_case, &v);
	check_contains(out, "t.bt:1:1: error: the BPF verifier rejected probe 'BEGIN'\n");
	check_contains(out, "  verifier: something new\nhint: this is probably a sonde code generation bug");
	free(out);
	source_free(src);
}

/* No process can have this pid (pid_max is at most 2^22). */
static void test_missing_target(void)
{
	pid_t missing = 0x7fffffff;
	char *out = capture_stderr(open_missing_target, &missing);
	check_contains(out, "sonde: -p: there is no process 2147483647\n");
	free(out);
}

struct run_case {
	const struct compiled *c;
	const struct rt_options *o;
	int rc;
};

static void run_script(void *arg)
{
	struct run_case *rc = arg;
	rc->rc = rt_run(rc->c, rc->o);
}

/* print(), clear() and zero() of a map the kernel cannot read as the
 * description says (here: a wrong key size) each say so on stderr, and
 * the run goes on to its end. */
static void test_map_event_failures(void)
{
	if (geteuid() != 0) {
		printf("test_run: not root, map event failures not tested\n");
		return;
	}
	const char *script = "BEGIN { @x[1] = 1; print(@x); clear(@x); zero(@x); printf(\"end\\n\"); exit(); }";
	struct source *src = source_from_string("m.bt", script, strlen(script));
	struct compile_options co = { 0 };
	struct compiled c = { 0 };
	CHECK(sonde_compile(src, &co, stderr, &c) == 0);
	if (!c.desc) {
		source_free(src);
		return;
	}
	c.desc->maps[0].key_size += 8;
	char *out_text = NULL;
	size_t out_len = 0;
	FILE *out = open_memstream(&out_text, &out_len);
	struct rt_options o = { .out = out, .quiet = true, .src = src };
	struct run_case rc = { &c, &o, -1 };
	char *err = capture_stderr(run_script, &rc);
	fclose(out);
	CHECKF(rc.rc == 0, "exit code %d", rc.rc);
	CHECKF(strcmp(out_text, "end\n\n\n") == 0, "output '%s'", out_text);
	CHECKF(strcmp(err, "sonde: print(@x) failed: Invalid argument\n"
			   "sonde: clear(@x) failed: Invalid argument\n"
			   "sonde: zero(@x) failed: Invalid argument\n"
			   "sonde: cannot read map @x: Invalid argument\n") == 0,
	       "stderr:\n%s", err);
	free(err);
	free(out_text);
	compiled_free(&c);
	source_free(src);
}

int main(void)
{
	test_split();
	test_child();
	test_target();
	test_verifier_report();
	test_missing_target();
	test_map_event_failures();
	if (failures) {
		fprintf(stderr, "test_run: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_run: ok\n");
	return 0;
}
