/* shell_tour.c - `.tour`: the classic one-liner lessons, run live in the
 * shell (see shell.h).
 *
 * Each lesson is one row of the table below: a title, two or three lines
 * of explanation, up to three ways of writing it (the classic one first,
 * then the nearest alternatives) and what to try next. The probe types a
 * way needs are read from its own attach points, and whether they work
 * here from the verdicts `sonde --info` prints (info_probe_type_works):
 * the first way that works is offered, and when it is not the classic one
 * the lesson says why the classic one does not run on this machine.
 *
 * On a terminal the program offered is pushed into the line editor, as if
 * typed: the learner reads it at the prompt, may edit it, and presses
 * Enter to run it like any other entry (Ctrl-C stops it; Ctrl-C at the
 * prompt drops it). Read from a pipe, it is printed, and an empty line
 * runs it. After the run, the lesson's "try next" and how to go on are
 * printed. */
#include <histedit.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"
#include "info.h"
#include "language.h"
#include "shell.h"

#define TOUR_WAYS 3

struct tour_way {
	const char *program; /* one line: pushed to the prompt */
	const char *note;    /* what this way uses, said when it stands in for the classic one */
};

struct tour_lesson {
	const char *title;
	const char *about;   /* two or three lines */
	struct tour_way ways[TOUR_WAYS];
	const char *next;    /* what to try next */
};

static const struct tour_lesson tour_lessons[] = {
	{ "Hello world",
	  "BEGIN is a probe that fires once, when the program starts. printf() prints as in C;\n"
	  "exit() ends the run (without it, a program runs until you press Ctrl-C).",
	  { { "BEGIN { printf(\"hello world\\n\"); exit(); }", NULL } },
	  "Change the message; add END { printf(\"bye\\n\"); }: END runs when the program ends." },
	{ "File opens",
	  "tracepoint:syscalls:sys_enter_openat fires each time a process calls openat(2). comm is\n"
	  "the process's name; args.filename is the syscall's argument, a user pointer that str()\n"
	  "reads as a string. Open a file somewhere, then press Ctrl-C here.",
	  { { "tracepoint:syscalls:sys_enter_openat { printf(\"%s %s\\n\", comm, str(args.filename)); }",
	      NULL } },
	  ".fields tracepoint:syscalls:sys_enter_openat shows the other args (Tab after args. completes\n"
	  "them); .list 'tracepoint:syscalls:sys_enter_*' lists the other syscalls." },
	{ "Syscall counts by process",
	  "tracepoint:raw_syscalls:sys_enter fires on every syscall. @[comm] = count() keeps a map in\n"
	  "the kernel, one counter per process name; maps are printed when the program ends (Ctrl-C).",
	  { { "tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }", NULL } },
	  "Key by process id too: @[pid, comm]; or by syscall number: @[args.id]. Type .watch, then\n"
	  "run it again: the map is redrawn every second while it runs." },
	{ "Distribution of read sizes",
	  "sys_exit_read fires when read(2) returns; args.ret is the bytes read (negative: an error),\n"
	  "and the /predicate/ keeps the reads that got data. hist() counts them in power-of-two buckets.",
	  { { "tracepoint:syscalls:sys_exit_read /args.ret > 0/ { @bytes = hist(args.ret); }", NULL } },
	  "Per process: @bytes[comm] = hist(args.ret); linear buckets: lhist(args.ret, 0, 4096, 512);\n"
	  "count, average and total: stats(args.ret)." },
	{ "Timing a syscall",
	  "Two probes share a map keyed by the thread id: at entry it stores a timestamp (nsecs), at\n"
	  "return the elapsed nanoseconds go into a histogram and the entry is deleted.",
	  { { "kprobe:vfs_read { @start[tid] = nsecs; } kretprobe:vfs_read /@start[tid]/ "
	      "{ @ns[comm] = hist(nsecs - @start[tid]); delete(@start[tid]); }",
	      NULL },
	    { "fentry:vfs_read { @start[tid] = nsecs; } fexit:vfs_read /@start[tid]/ "
	      "{ @ns[comm] = hist(nsecs - @start[tid]); delete(@start[tid]); }",
	      "fentry/fexit, the BPF trampolines on the same kernel function" },
	    { "tracepoint:syscalls:sys_enter_read { @start[tid] = nsecs; } "
	      "tracepoint:syscalls:sys_exit_read /@start[tid]/ { @ns = hist(nsecs - @start[tid]); "
	      "delete(@start[tid]); }",
	      "the read(2) syscall's entry and exit tracepoints, which bracket the same work\n"
	      "from the process's side" } },
	  "Time another syscall the same way (sys_enter_openat/sys_exit_openat); key the histogram\n"
	  "by process: @ns[comm]." },
	{ "Scheduler events",
	  "A wildcard attaches to many tracepoints at once; probe is the name of the one that fired.\n"
	  "These are the scheduler's events (forks, execs, exits, wakeups, switches), counted for 5 s.",
	  { { "tracepoint:sched:sched* { @[probe] = count(); } interval:s:5 { exit(); }", NULL } },
	  "Who gets the CPU: tracepoint:sched:sched_switch { @[args.next_comm] = count(); };\n"
	  "new processes: tracepoint:sched:sched_process_exec { printf(\"%s\\n\", comm); }." },
	{ "On-CPU profiling with stacks",
	  "profile:hz:99 fires 99 times a second on every CPU, interrupting whatever runs there. kstack\n"
	  "is the kernel's stack at that moment: counting stacks shows where the kernel spends CPU\n"
	  "time. Let it run a few seconds, then Ctrl-C; the most frequent stacks are printed last.",
	  { { "profile:hz:99 { @[kstack] = count(); }", NULL } },
	  "User-space stacks of one program: profile:hz:99 /comm == \"bash\"/ { @[ustack] = count(); };\n"
	  "the top frames only: kstack(3)." },
	{ "Block I/O latency",
	  "A disk request is timed from its issue to its completion, keyed by the request, and the\n"
	  "latencies go into a histogram in microseconds. Write to a disk meanwhile (sync helps).",
	  { { "kprobe:blk_mq_start_request { @start[arg0] = nsecs; } kprobe:blk_mq_end_request "
	      "/@start[arg0]/ { @usecs = hist((nsecs - @start[arg0]) / 1000); delete(@start[arg0]); }",
	      NULL },
	    { "tracepoint:block:block_rq_issue { @start[args.dev, args.sector] = nsecs; } "
	      "tracepoint:block:block_rq_complete /@start[args.dev, args.sector]/ "
	      "{ @usecs = hist((nsecs - @start[args.dev, args.sector]) / 1000); "
	      "delete(@start[args.dev, args.sector]); }",
	      "the block layer's tracepoints block_rq_issue and block_rq_complete, with the\n"
	      "request named by its device and sector" } },
	  "Request sizes by process: tracepoint:block:block_rq_issue { @[comm] = hist(args.bytes); };\n"
	  ".fields tracepoint:block:block_rq_issue shows what else a request says." },
	{ "Kernel structs",
	  "Kernel functions and variables are typed (BTF): -> follows a pointer to a struct member as\n"
	  "in C, and sonde knows every struct's members without headers.",
	  { { "kprobe:vfs_open { printf(\"open path: %s\\n\", "
	      "str(((struct path *)arg0)->dentry->d_name.name)); }",
	      NULL },
	    { "fentry:vfs_open { printf(\"open path: %s\\n\", str(args.path->dentry->d_name.name)); }",
	      "fentry, whose args are typed from BTF" },
	    { "tracepoint:sched:sched_process_exec { printf(\"%s (pid %d), started by %s\\n\", comm, pid, "
	      "curtask->real_parent->comm); }",
	      "curtask (the running task's struct task_struct), walked the same way\n"
	      "to show who started each new program" } },
	  "Tab after curtask-> lists task_struct's members; try curtask->mm->..., or\n"
	  "curtask->real_parent->real_parent->comm; .help curtask." },
};

#define TOUR_NLESSONS ((int)(sizeof(tour_lessons) / sizeof(tour_lessons[0])))

int shell_tour_nlessons(void)
{
	return TOUR_NLESSONS;
}

const char *shell_tour_program(int lesson, int way)
{
	if (lesson < 0 || lesson >= TOUR_NLESSONS || way < 0 || way >= TOUR_WAYS)
		return NULL;
	return tour_lessons[lesson].ways[way].program;
}

/* ---- which probe types a way needs ------------------------------------------------ */

/* The probe type of an attach point: what comes before its first ':'
 * ("BEGIN", "kprobe", "t"); owned. */
static char *attach_type(const char *point)
{
	return xstrndup(point, strcspn(point, ":"));
}

/* True when every probe type of PROGRAM works here; else false, with the
 * first type that does not and why, what to do. */
static bool way_works(const char *program, char *type, size_t tsize, char *why, size_t wsize, char *fix,
		      size_t fsize)
{
	struct source *src = source_from_string("tour", program, strlen(program));
	FILE *null = fopen("/dev/null", "w");
	struct diag d;
	diag_init(&d, src, null ? null : stderr);
	d.max_errors = 1;
	struct program *prog = parse_program(src, &d);
	bool works = true;
	for (struct probe *p = prog->probes; p && works; p = p->next)
		for (struct attach_point *ap = p->points; ap && works; ap = ap->next) {
			char *t = attach_type(ap->text);
			if (!info_probe_type_works(t, why, wsize, fix, fsize)) {
				snprintf(type, tsize, "%s", t);
				works = false;
			}
			free(t);
		}
	ast_free_program(prog);
	if (null)
		fclose(null);
	source_free(src);
	return works;
}

/* ---- showing a lesson ------------------------------------------------------------- */

static void print_indented(const char *text, const char *indent)
{
	for (const char *s = text; *s;) {
		size_t n = strcspn(s, "\n");
		printf("%s%.*s\n", indent, (int)n, s);
		s += n + (s[n] == '\n');
	}
}

static void tour_show(struct shell_tour *t, struct editline *el, int i)
{
	const struct tour_lesson *l = &tour_lessons[i];
	t->current = i;
	t->pending = false;
	char title[128];
	int n = snprintf(title, sizeof(title), "Lesson %d of %d: %s", i + 1, TOUR_NLESSONS, l->title);
	printf("\n%s\n%.*s\n", title, n, "-----------------------------------------------------------------"
		"---------------------------------------------------------------");
	print_indented(l->about, "");
	char type[64], why[256], fix[256], first_type[64] = "", first_why[256] = "", first_fix[256] = "";
	int w;
	for (w = 0; w < TOUR_WAYS && l->ways[w].program; w++) {
		if (way_works(l->ways[w].program, type, sizeof(type), why, sizeof(why), fix, sizeof(fix)))
			break;
		if (w == 0) {
			snprintf(first_type, sizeof(first_type), "%s", type);
			snprintf(first_why, sizeof(first_why), "%s", why);
			snprintf(first_fix, sizeof(first_fix), "%s", fix);
		}
	}
	bool found = w < TOUR_WAYS && l->ways[w].program;
	if (w > 0) {
		printf("\nThe classic one-liner is\n    %s\nbut %s does not work on this machine: %s.\n",
		       l->ways[0].program, first_type, first_why);
		if (found)
			printf("The nearest that works here uses %s:\n", l->ways[w].note);
		else {
			printf("Nothing in this lesson can run here. What to do: %s.\n", first_fix);
		}
	}
	if (!found) {
		printf("\n.tour goes on to the next lesson.\n");
		t->current = i;
		return;
	}
	printf("\nPress Enter to run it (Ctrl-C stops it); edit it first if you like.\n"
	       ".tour next skips it, .tour list shows every lesson.\n\n");
	t->pending = true;
	t->program = l->ways[w].program;
	/* on a terminal the program waits at the prompt, editable; read from
	 * a pipe, an empty line runs it (shell_tour_pending) */
	if (isatty(STDIN_FILENO))
		el_push((EditLine *)el, l->ways[w].program);
	else
		printf("    %s\n\n", l->ways[w].program);
	fflush(stdout);
}

const char *shell_tour_pending(const struct shell_tour *t)
{
	return t->pending ? t->program : NULL;
}

void shell_tour_drop(struct shell_tour *t)
{
	t->pending = false;
}

static void tour_list(const struct shell_tour *t)
{
	for (int i = 0; i < TOUR_NLESSONS; i++)
		printf("  %c %d. %s\n", (t->ran >> i) & 1 ? '*' : ' ', i + 1, tour_lessons[i].title);
	puts("(* ran) .tour N goes to lesson N; .tour, to the next one.");
}

void shell_tour_command(struct shell_tour *t, struct editline *el, const char *arg)
{
	if (strcmp(arg, "list") == 0) {
		tour_list(t);
		return;
	}
	int next = t->started ? t->current + 1 : 0;
	if (arg[0] && strcmp(arg, "next") != 0) {
		char *end;
		long n = strtol(arg, &end, 10);
		if (*end || n < 1 || n > TOUR_NLESSONS) {
			fprintf(stderr, "sonde: .tour takes next, list or a lesson number from 1 to %d\n",
				TOUR_NLESSONS);
			return;
		}
		next = (int)n - 1;
	}
	if (next >= TOUR_NLESSONS) {
		printf("That was the last lesson. .tour 1 starts again; .help lists the commands and every\n"
		       "builtin and function; .list 'tracepoint:*' lists what there is to trace.\n");
		t->started = false;
		return;
	}
	if (!t->started)
		printf("A tour of kernel tracing in %d lessons, each run live on this machine.\n", TOUR_NLESSONS);
	t->started = true;
	tour_show(t, el, next);
}

void shell_tour_ran(struct shell_tour *t)
{
	if (!t->pending)
		return;
	t->pending = false;
	t->ran |= 1u << t->current;
	const struct tour_lesson *l = &tour_lessons[t->current];
	printf("\nTry next:\n");
	print_indented(l->next, "  ");
	if (t->current + 1 < TOUR_NLESSONS)
		printf("Go on: .tour (lesson %d: %s)\n", t->current + 2, tour_lessons[t->current + 1].title);
	else
		printf("That was the last lesson: .tour list shows them all.\n");
}
