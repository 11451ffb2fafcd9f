/* lazy_mhd.c - libmicrohttpd, loaded when --metrics first starts a server.
 *
 * Linking libmicrohttpd brings GnuTLS and eight more libraries into every
 * process: the dynamic loader maps and relocates them at each start, which
 * cost a cached `BEGIN { exit(); }` ~2 ms and ~2.5 MiB of its ~5 ms. Only
 * --metrics needs them, so sonde links none of them and defines here the
 * few MHD functions runtime/metrics.c calls, each forwarding to the library
 * opened with dlopen the first time a server starts. metrics.c is written
 * against <microhttpd.h> as usual.
 *
 * Every pointer is resolved by MHD_start_daemon, on the main thread before
 * the server's thread exists; the other functions are only reachable
 * through a daemon that started, so they read the table without locking. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>

#ifndef SONDE_MHD_SONAME
#define SONDE_MHD_SONAME "libmicrohttpd.so.12"
#endif

static struct {
	struct MHD_Daemon *(*start_daemon_va)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
					      MHD_AccessHandlerCallback, void *, va_list);
	void (*stop_daemon)(struct MHD_Daemon *);
	const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *, enum MHD_DaemonInfoType, ...);
	struct MHD_Response *(*create_response_from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
	enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
	void (*destroy_response)(struct MHD_Response *);
} mhd;
static int mhd_state; /* 0 not tried, 1 loaded, -1 failed (said once) */

/* ISO C does not convert void * to a function pointer; POSIX's dlsym
 * guarantees the representation, so copy the bytes. */
static int mhd_bind(void *lib, const char *name, void *slot, size_t size)
{
	void *sym = dlsym(lib, name);
	if (!sym) {
		fprintf(stderr, "sonde: --metrics: %s has no %s\n", SONDE_MHD_SONAME, name);
		return -1;
	}
	memcpy(slot, &sym, size);
	return 0;
}
#define MHD_BIND(lib, field, name) mhd_bind(lib, name, &mhd.field, sizeof(mhd.field))

static int mhd_load(void)
{
	if (mhd_state)
		return mhd_state;
	mhd_state = -1;
	void *lib = dlopen(SONDE_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "sonde: --metrics needs libmicrohttpd (Debian: libmicrohttpd12): %s\n", dlerror());
		return -1;
	}
	if (MHD_BIND(lib, start_daemon_va, "MHD_start_daemon_va") || MHD_BIND(lib, stop_daemon, "MHD_stop_daemon") ||
	    MHD_BIND(lib, get_daemon_info, "MHD_get_daemon_info") ||
	    MHD_BIND(lib, create_response_from_buffer, "MHD_create_response_from_buffer") ||
	    MHD_BIND(lib, add_response_header, "MHD_add_response_header") ||
	    MHD_BIND(lib, queue_response, "MHD_queue_response") ||
	    MHD_BIND(lib, destroy_response, "MHD_destroy_response")) {
		dlclose(lib);
		return -1;
	}
	mhd_state = 1; /* kept open for the life of the process */
	return 1;
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
				    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	if (mhd_load() < 0)
		return NULL;
	va_list ap;
	va_start(ap, dh_cls);
	struct MHD_Daemon *d = mhd.start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	mhd.stop_daemon(daemon);
}

/* metrics.c asks only for MHD_DAEMON_INFO_BIND_PORT, which takes no more
 * arguments. */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...)
{
	return mhd.get_daemon_info(daemon, info_type);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	return mhd.create_response_from_buffer(size, buffer, mode);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
	return mhd.add_response_header(response, header, content);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
				   struct MHD_Response *response)
{
	return mhd.queue_response(connection, status_code, response);
}

void MHD_destroy_response(struct MHD_Response *response)
{
	mhd.destroy_response(response);
}
