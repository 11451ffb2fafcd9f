/* loader.c - loads one reference BPF object (bench/ref/NAME.bpf.o), attaches its
 * programs the libbpf way (BPF link, return value 0), prints
 * "Attaching N probe..." like the tracers under test once everything is
 * attached, and waits for SIGINT/SIGTERM. On exit it prints the total of the
 * per-CPU "counts" map so a run can be checked for having seen events.
 *
 * Usage: loader OBJECT.bpf.o [PID]   (PID sets `target_pid` in .rodata) */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int set_target_pid(struct bpf_object *obj, const char *pid_text)
{
	struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
	if (!rodata) {
		fprintf(stderr, "loader: object has no .rodata to put the pid in\n");
		return -1;
	}
	size_t size;
	const __u32 *initial = bpf_map__initial_value(rodata, &size);
	if (!initial || size < sizeof(__u32))
		return -1;
	__u32 *copy = malloc(size);
	if (!copy)
		return -1;
	memcpy(copy, initial, size);
	copy[0] = (__u32)strtoul(pid_text, NULL, 10); /* target_pid is the only .rodata variable */
	int err = bpf_map__set_initial_value(rodata, copy, size);
	free(copy);
	return err;
}

static unsigned long long sum_counts(struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "counts");
	int ncpus = libbpf_num_possible_cpus();
	if (!map || ncpus <= 0)
		return 0;
	size_t key_size = bpf_map__key_size(map);
	unsigned char *key = calloc(2, key_size);
	__u64 *values = calloc((size_t)ncpus, sizeof(*values));
	unsigned long long total = 0;
	int fd = bpf_map__fd(map);
	void *prev = NULL;
	while (key && values && bpf_map_get_next_key(fd, prev, key) == 0) {
		if (bpf_map_lookup_elem(fd, key, values) == 0)
			for (int cpu = 0; cpu < ncpus; cpu++)
				total += values[cpu];
		memcpy(key + key_size, key, key_size);
		prev = key + key_size;
	}
	free(key);
	free(values);
	return total;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: loader OBJECT.bpf.o [PID]\n");
		return 2;
	}
	libbpf_set_print(quiet_libbpf);
	/* Block the stop signals until sigsuspend(), so one arriving between the
	 * check and the wait is not lost. */
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigset_t stop_set, wait_set;
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_set, &wait_set);

	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "loader: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	int rc = 1, nlinks = 0;
	struct bpf_link *links[16];
	struct bpf_program *prog;
	if (argc == 3 && set_target_pid(obj, argv[2]) < 0)
		goto out;
	if (bpf_object__load(obj) < 0) {
		fprintf(stderr, "loader: cannot load %s\n", argv[1]);
		goto out;
	}
	bpf_object__for_each_program(prog, obj) {
		if (nlinks == 16)
			break;
		struct bpf_link *link = bpf_program__attach(prog);
		if (!link) {
			fprintf(stderr, "loader: cannot attach %s: %s\n", bpf_program__name(prog),
				strerror(errno));
			goto out;
		}
		links[nlinks++] = link;
	}
	printf("Attaching %d probe%s...\n", nlinks, nlinks == 1 ? "" : "s");
	fflush(stdout);
	while (!stop_requested)
		sigsuspend(&wait_set);
	printf("events %llu\n", sum_counts(obj));
	rc = 0;
out:
	for (int i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return rc;
}
