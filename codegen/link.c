/* link.c - a chunked compile's back half: each chunk's module optimised and
 * turned into a BPF object on its own thread (every chunk has its own LLVM
 * context and target machine, which is what LLVM needs to run them at once),
 * then the objects linked into one by libbpf's BPF linker, which merges the
 * sections, BTF and line info and keeps one of each weak global (map, config).
 *
 * libbpf 1.1's linker reads and writes files only: the objects go through
 * memfds, named by their /proc/self/fd path. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <llvm/Config/llvm-config.h>

#include "cg.h"
#include "util.h"

/* The most threads a compile starts: beyond the CPUs it only costs memory. */
#define LINK_MAX_THREADS 16

struct job_queue {
	struct cg_job *jobs;
	int n, next;
	pthread_mutex_t lock;
};

static char *job_message(const char *what, const char *msg)
{
	size_t len = strlen(what) + strlen(msg ? msg : "?") + 3;
	char *s = xmalloc(len);
	snprintf(s, len, "%s: %s", what, msg ? msg : "?");
	return s;
}

/* Chunks of small programs (cg.h, CG_LIGHT_PASSES_MAX) get the IR passes that matter for
 * sonde's code (SROA turns the temporaries into registers; CSE, InstCombine
 * and SimplifyCFG clean up after it) instead of the whole O2 pipeline,
 * whose inliner, GVN, loop and interprocedural passes found little to do in
 * such programs and cost twice the rest (callgrind, 100 tracepoints with a
 * map each: 4.2 M instructions per program in the O2 passes, 0.75 M in
 * these; 5% more BPF instructions, the same hot path). Code generation,
 * ~4.9 M per program, is what remains. Named in a pipeline, InstCombine
 * checks by default (LLVM 19) that one iteration reached its fixpoint and
 * aborts the process if not: the O2 pipeline turns that off too. */
#if LLVM_VERSION_MAJOR >= 18
#define LINK_CHUNK_PASSES "function(sroa,early-cse,instcombine<no-verify-fixpoint>,simplifycfg)"
#else
#define LINK_CHUNK_PASSES "function(sroa,early-cse,instcombine,simplifycfg)"
#endif

static void run_job(struct cg_job *j)
{
	char passes[32];
	snprintf(passes, sizeof(passes), "default<O%d>", j->opt_level < 0 ? 0 : j->opt_level > 3 ? 3 : j->opt_level);
	LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
	LLVMErrorRef err = LLVMRunPasses(j->mod, j->light && j->opt_level > 0 ? LINK_CHUNK_PASSES : passes,
					 j->tm, opts);
	LLVMDisposePassBuilderOptions(opts);
	if (err) {
		char *msg = LLVMGetErrorMessage(err);
		j->error = job_message("LLVM passes failed", msg);
		LLVMDisposeErrorMessage(msg);
		return;
	}
	char *msg = NULL;
	if (LLVMTargetMachineEmitToMemoryBuffer(j->tm, j->mod, LLVMObjectFile, &msg, &j->obj)) {
		j->error = job_message("code generation failed", msg);
		j->obj = NULL;
	}
	LLVMDisposeMessage(msg);
}

static void *job_worker(void *arg)
{
	struct job_queue *q = arg;
	for (;;) {
		pthread_mutex_lock(&q->lock);
		int i = q->next++;
		pthread_mutex_unlock(&q->lock);
		if (i >= q->n)
			return NULL;
		run_job(&q->jobs[i]);
	}
}

void cg_run_jobs(struct cg_job *jobs, int n)
{
	struct job_queue q = { .jobs = jobs, .n = n };
	pthread_mutex_init(&q.lock, NULL);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nthreads = cpus < 1 ? 1 : cpus > LINK_MAX_THREADS ? LINK_MAX_THREADS : (int)cpus;
	if (nthreads > n)
		nthreads = n;
	pthread_t threads[LINK_MAX_THREADS];
	int started = 0;
	/* this thread is one of the workers; a thread that cannot start
	 * only means fewer of them */
	while (started < nthreads - 1 && pthread_create(&threads[started], NULL, job_worker, &q) == 0)
		started++;
	job_worker(&q);
	for (int t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	pthread_mutex_destroy(&q.lock);
}

static int memfd_path(int fd, char *path, size_t size)
{
	int len = snprintf(path, size, "/proc/self/fd/%d", fd);
	return len > 0 && (size_t)len < size ? 0 : -1;
}

static int write_all(int fd, const char *data, size_t size)
{
	while (size) {
		ssize_t w = write(fd, data, size);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		data += w;
		size -= (size_t)w;
	}
	return 0;
}

static int add_object(struct bpf_linker *linker, LLVMMemoryBufferRef obj)
{
	char path[64];
	int fd = memfd_create("sonde-chunk", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = -1;
	if (write_all(fd, LLVMGetBufferStart(obj), LLVMGetBufferSize(obj)) == 0 &&
	    memfd_path(fd, path, sizeof(path)) == 0)
		rc = bpf_linker__add_file(linker, path, NULL) == 0 ? 0 : -1;
	close(fd);
	return rc;
}

static int read_all(int fd, void **data, size_t *size)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size <= 0)
		return -1;
	char *buf = xmalloc((size_t)st.st_size);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return -1;
		}
		got += (size_t)r;
	}
	*data = buf;
	*size = got;
	return 0;
}

int cg_link_objects(const struct cg_job *jobs, int n, void **elf, size_t *size)
{
	char path[64];
	int out = memfd_create("sonde-linked", MFD_CLOEXEC);
	if (out < 0 || memfd_path(out, path, sizeof(path)) < 0) {
		if (out >= 0)
			close(out);
		return -1;
	}
	struct bpf_linker *linker = bpf_linker__new(path, NULL);
	int rc = linker ? 0 : -1;
	for (int i = 0; i < n && rc == 0; i++)
		rc = add_object(linker, jobs[i].obj);
	if (rc == 0)
		rc = bpf_linker__finalize(linker) == 0 ? 0 : -1;
	bpf_linker__free(linker);
	if (rc == 0)
		rc = read_all(out, elf, size);
	close(out);
	return rc;
}
