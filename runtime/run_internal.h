/* run_internal.h - pieces of rt_run() shared between runtime/run.c,
 * runtime/child.c and runtime/verifier.c. Not part of the public runtime
 * interface (include/runtime.h). */
#ifndef SONDE_RUN_INTERNAL_H
#define SONDE_RUN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "desc.h"
#include "output.h"
#include "diag.h"

struct bpf_object;

/* ---- runtime/stacks.c: where stack values find their frames -------------- */

/* Stack values decoded from now on read the stack maps of obj; the
 * binaries d's probes are in name addresses of processes gone unread. */
void rt_stacks_open(struct bpf_object *obj, const struct desc *d);
/* Forget the object and the symbol table (before the object is closed). */
void rt_stacks_close(void);
/* Size obj's stack maps for maps of `keys` keys (before load); -1 after
 * saying why not. */
int rt_stacks_size(struct bpf_object *obj, uint32_t keys);
/* User stacks print at the end, when a -c command or -p process may have
 * exited: the event loop calls this for it (pid; 0 = none) and it reads
 * the process's maps every so often while it runs, so its frames keep
 * their names. Returns the ms until it wants to be called again, or -1
 * (the script has no user stacks). */
int rt_stacks_watch(int pid);

/* ---- runtime/child.c: the -c command ------------------------------------ */

/* The -c command, forked early and held before exec until probes are
 * attached, so that its pid is known when the BPF config is written. */
struct rt_child {
	pid_t pid;       /* 0 = none */
	int release_fd;  /* write end: one byte releases the child, EOF ends it */
	int exec_err_fd; /* read end: errno from a failed exec, EOF = exec done */
	bool exited;     /* reaped */
	int status;      /* wait status once exited */
};

/* Split `cmd` into argv (whitespace; '...' literal; "..." with \" \\ \$ \`
 * escapes; \x outside quotes). NULL + message in err on bad quoting. */
char **rt_split_command(const char *cmd, char *err, size_t errlen);
void rt_free_argv(char **argv);
/* Fork the held child. Returns 0, or -1 after printing why. */
int rt_child_start(struct rt_child *c, const char *cmd);
/* Let it exec. Returns 0, or -1 after printing why the exec failed. */
int rt_child_release(struct rt_child *c);
/* Non-blocking: true once the child has exited (and was reaped). */
bool rt_child_poll_exit(struct rt_child *c);
/* Make sure it is gone: never released -> it exits by itself; running ->
 * SIGTERM, then SIGKILL after a grace period; always reaped. */
void rt_child_stop(struct rt_child *c);

/* ---- runtime/target.c: the -p process ----------------------------------- */

struct rt_target {
	pid_t pid;  /* 0 = none */
	int pidfd;  /* readable once the process has exited; -1 = poll kill(pid, 0) */
};

/* pid 0 = no -p. Returns 0, or -1 after saying that there is no such process. */
int rt_target_open(struct rt_target *t, pid_t pid);
/* The fd for the event loop's epoll set, or -1 (then poll rt_target_exited()). */
int rt_target_fd(const struct rt_target *t);
/* Non-blocking: true once the process has exited. */
bool rt_target_exited(const struct rt_target *t);
void rt_target_close(struct rt_target *t);

/* ---- runtime/dropped.c: map updates BPF could not make ------------------- */

struct rt_dropped {
	int fd;              /* desc.dropped_name's map, -1 = none */
	uint32_t nslots;
	uint64_t *reported;  /* per slot: the total reported last */
	uint32_t *capacity;  /* per desc map: its max_entries */
	int ncpus;
	bool read_failed;    /* said so once already */
};
/* After load. Returns 0, or -1 after printing why. */
int rt_dropped_open(struct rt_dropped *d, const struct desc *desc, struct bpf_object *obj,
		    int ncpus);
/* Print on stderr, per map, the updates dropped: at_exit, every nonzero
 * total once; before that (-v), the totals that grew since the last call. */
void rt_dropped_report(struct rt_dropped *d, const struct desc *desc, struct rt_output *o,
		       bool at_exit);
void rt_dropped_close(struct rt_dropped *d);

/* ---- runtime/channel.c: output channels besides the ring buffer ---------- */

struct rt_options;

/* What a channel's reader is given when the script has calls to it. */
struct rt_channel_ctx {
	const struct desc *desc;
	const struct desc_channel *chan; /* its calls (index: the id in each record) */
	const struct rt_options *o;
	struct bpf_map *map;             /* its map in the loaded object */
};

/* A channel's reader: one file (skboutput.c) and a row of channel.c's
 * table. The event loop wakes on epoll_fd and then drains every channel,
 * so drain must be cheap when nothing arrived. */
struct rt_channel {
	const char *what;  /* for messages: "the skboutput perf buffer" */
	size_t state_size; /* zeroed for open */
	/* Before the probes attach; 0, or -1 after saying why (close follows). */
	int (*open)(void *state, const struct rt_channel_ctx *c);
	int (*epoll_fd)(const void *state); /* -1: nothing to watch */
	void (*drain)(void *state);
	/* After the probes are detached: drains, reports losses, frees. */
	void (*close)(void *state);
};
extern const struct rt_channel rt_channel_skboutput;

/* The channels the script writes to (state NULL: not used). */
struct rt_channels {
	void *state[DESC_NCHANNELS];
};
/* After load; 0, or -1 after saying why (everything opened is closed). */
int rt_channels_open(struct rt_channels *cs, const struct desc *d, const struct rt_options *o,
		     struct bpf_object *obj);
/* Adds the channels' fds to epfd; 0, or -1 after saying why. */
int rt_channels_watch(const struct rt_channels *cs, int epfd);
void rt_channels_drain(struct rt_channels *cs);
void rt_channels_close(struct rt_channels *cs);

/* ---- runtime/verifier.c: libbpf messages and load failures --------------- */

/* Installs a libbpf print callback for the duration of one run: quiet
 * unless verbose, but keeping the last warning lines for error messages. */
void rt_libbpf_log_begin(bool verbose);
void rt_libbpf_log_end(void);
/* The libbpf warnings kept since rt_libbpf_log_begin(), "" if none. */
const char *rt_libbpf_log_text(void);
/* True when libbpf dropped the object's BTF ("BTF is optional, ignoring"). */
bool rt_libbpf_btf_dropped(void);
/* The program whose load failed, from libbpf's messages, or NULL. */
const char *rt_libbpf_failed_prog(void);

/* Print the error for a failed bpf_object__load(): the script line the
 * verifier complained about (from the BTF line info in `log`), the
 * verifier's complaint and a hint. */
void rt_report_load_failure(const struct desc *desc, const struct source *src, const char *log,
			    int err, bool verbose);
/* The verifier part of it, for a known probe (stderr). */
void rt_report_verifier_log(const struct desc_probe *probe, const struct source *src,
			    const char *log, bool verbose);

/* ---- runtime/privileges.c ----------------------------------------------- */

/* False when this process lacks the capabilities to load tracing programs
 * (CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON). True when unsure. */
bool rt_may_trace(void);
/* "sonde: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): ..." */
void rt_report_no_privileges(int err);

/* ---- runtime/metrics.c: --metrics, the maps as Prometheus metrics ------- */

struct rt_metrics;
#define RT_METRICS_DEFAULT_MAX_SERIES 10000u
struct rt_metrics_config {
	const char *listen;       /* "[ADDR:]PORT" */
	uint32_t max_series;      /* per scrape; 0 = RT_METRICS_DEFAULT_MAX_SERIES */
	const struct desc *desc;  /* both must outlive the server */
	const int *map_fds;       /* per desc map, -1 = missing */
	int ncpus;
	bool quiet;               /* no "Serving metrics at ..." line */
	bool verbose;             /* libmicrohttpd's messages on stderr */
};
/* Listen and serve GET /metrics from libmicrohttpd's own thread. Returns
 * 0, or -1 after printing why (bad address, port in use). */
int rt_metrics_start(struct rt_metrics **out, const struct rt_metrics_config *cfg);
/* Stop serving and join the thread (before the map fds are closed). NULL: nothing. */
void rt_metrics_stop(struct rt_metrics *m);
/* "PORT", "ADDR:PORT", "[V6]:PORT" (ADDR defaults to 127.0.0.1). */
int rt_metrics_parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
			    char *err, size_t errlen);
/* "@bytes" -> "sonde_bytes" (owned). */
char *rt_metrics_name(const char *map_name);

#endif
