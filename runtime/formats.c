/* formats.c - the text of values user space shows for BPF: strftime()'s
 * timestamps, ntop()'s addresses, macaddr(), strerror() (records made by
 * stdlib/format.c user_value, found here by their type's name). */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <ftw.h>
#include <pwd.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "output.h"
#include "probe.h"
#include "usyms.h"

typedef int (*user_format_fn)(char *out, size_t size, const struct type_member *m,
			      const unsigned char *p);

/* Wall-clock time minus time since boot: what turns a BPF timestamp into a
 * date (bpftrace: the boot time, read when first needed). */
static int64_t boot_wall_ns(void)
{
	static int64_t cached;
	static int known;
	if (!known) {
		struct timespec rt, bt;
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_BOOTTIME, &bt);
		cached = ((int64_t)rt.tv_sec - (int64_t)bt.tv_sec) * 1000000000 +
			 ((int64_t)rt.tv_nsec - (int64_t)bt.tv_nsec);
		known = 1;
	}
	return cached;
}

/* strftime(3) with bpftrace's extensions, replaced before strftime sees
 * the format (%%f stays as written): %f the microseconds (6 digits), %k
 * the nanoseconds (9), %l the milliseconds (3). wall_ns is ns since the
 * epoch. */
static int format_wall_time(char *out, size_t size, const char *fmt, int64_t wall)
{
	time_t secs = (time_t)(wall / 1000000000);
	int64_t frac = wall % 1000000000;
	char us[24], ns[24], ms[24];
	snprintf(us, sizeof(us), "%06" PRId64, frac / 1000);
	snprintf(ns, sizeof(ns), "%09" PRId64, frac);
	snprintf(ms, sizeof(ms), "%03" PRId64, frac / 1000000);
	size_t flen = strlen(fmt);
	char *f = malloc(flen * 5 + 1);
	if (!f)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < flen; i++) {
		const char *ext = NULL;
		if (fmt[i] == '%')
			ext = fmt[i + 1] == 'f' ? us : fmt[i + 1] == 'k' ? ns : fmt[i + 1] == 'l' ? ms : NULL;
		if (ext) {
			size_t el = strlen(ext);
			memcpy(f + k, ext, el);
			k += el;
			i++;
		} else if (fmt[i] == '%' && fmt[i + 1]) {
			f[k++] = fmt[i++];
			f[k++] = fmt[i];
		} else {
			f[k++] = fmt[i];
		}
	}
	f[k] = '\0';
	struct tm tm;
	size_t n = localtime_r(&secs, &tm) ? strftime(out, size, f, &tm) : 0;
	free(f);
	out[n] = '\0';
	return 0;
}

/* strftime(fmt, ns) of ns since boot (nsecs, nsecs(boot), any integer):
 * the boot time is added, as bpftrace does */
static int format_timestamp(char *out, size_t size, const struct type_member *m,
			    const unsigned char *p)
{
	uint64_t ns;
	memcpy(&ns, p, sizeof(ns));
	return format_wall_time(out, size, m->name ? m->name : "", boot_wall_ns() + (int64_t)ns);
}

/* strftime(fmt, nsecs(tai | sw_tai)): already a time since the epoch;
 * bpftrace adds nothing (TAI runs 37 s ahead of UTC, and so does the text) */
static int format_timestamp_epoch(char *out, size_t size, const struct type_member *m,
				  const unsigned char *p)
{
	uint64_t ns;
	memcpy(&ns, p, sizeof(ns));
	return format_wall_time(out, size, m->name ? m->name : "", (int64_t)ns);
}

static int format_strerror(char *out, size_t size, const struct type_member *m,
			   const unsigned char *p)
{
	(void)m;
	int64_t e;
	memcpy(&e, p, sizeof(e));
	snprintf(out, size, "%s", strerror((int)e));
	return 0;
}

/* bpftrace's table is strsignal(3)'s for 0..64 (glibc: "Unknown signal 32",
 * "Real-time signal 0" for 34...) and "N/A" beyond */
static int format_signal_name(char *out, size_t size, const struct type_member *m,
			      const unsigned char *p)
{
	(void)m;
	int64_t sig;
	memcpy(&sig, p, sizeof(sig));
	snprintf(out, size, "%s", sig >= 0 && sig <= 64 ? strsignal((int)sig) : "N/A");
	return 0;
}

/* syscall_name(nr): the x86_64 name of the number taken as an int32, as
 * bpftrace's table (which ends at 1023) */
static int format_syscall_name(char *out, size_t size, const struct type_member *m,
			       const unsigned char *p)
{
	(void)m;
	int64_t nr;
	memcpy(&nr, p, sizeof(nr));
	int32_t n = (int32_t)nr;
	const char *name = n >= 0 && n < 0x3ff ? probe_syscall_name(n) : NULL;
	snprintf(out, size, "%s", name ? name : "Unknown syscall");
	return 0;
}

static int format_inet(char *out, size_t size, const struct type_member *m, const unsigned char *p)
{
	(void)m;
	uint64_t af;
	memcpy(&af, p, sizeof(af));
	int family = af == AF_INET ? AF_INET : af == AF_INET6 ? AF_INET6 : -1;
	if (family < 0 || !inet_ntop(family, p + 8, out, (socklen_t)size))
		out[0] = '\0';
	return 0;
}

static int format_mac(char *out, size_t size, const struct type_member *m, const unsigned char *p)
{
	(void)m;
	snprintf(out, size, "%02X:%02X:%02X:%02X:%02X:%02X", p[0], p[1], p[2], p[3], p[4], p[5]);
	return 0;
}

/* cgroup_path(): ---------------------------------------------------------- */

struct cgroup_root {
	char name[256]; /* "unified" for cgroup2, the mount's directory name for v1 */
	char path[4096];
};

/* The cgroup (v1 and v2) mounts, v2 first, then v1 by name (bpftrace's order). */
static int cgroup_roots(struct cgroup_root *roots, int max)
{
	FILE *f = fopen("/proc/mounts", "r");
	if (!f)
		return 0;
	char line[8192];
	int n = 0, nv2 = 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char dev[256], dir[4096], type[64];
		if (sscanf(line, "%255s %4095s %63s", dev, dir, type) != 3)
			continue;
		bool v2 = strcmp(type, "cgroup2") == 0;
		if (!v2 && strcmp(type, "cgroup") != 0)
			continue;
		struct cgroup_root r;
		const char *base = strrchr(dir, '/');
		snprintf(r.name, sizeof(r.name), "%.255s", v2 ? "unified" : base ? base + 1 : dir);
		snprintf(r.path, sizeof(r.path), "%s", dir);
		if (v2) { /* v2 roots go before the v1 ones */
			memmove(&roots[nv2 + 1], &roots[nv2], sizeof(*roots) * (size_t)(n - nv2));
			roots[nv2++] = r;
		} else {
			int at = n;
			while (at > nv2 && strcmp(roots[at - 1].name, r.name) > 0)
				at--;
			memmove(&roots[at + 1], &roots[at], sizeof(*roots) * (size_t)(n - at));
			roots[at] = r;
		}
		n++;
	}
	fclose(f);
	return n;
}

/* nftw(3) passes no user data to its callback: the search's inode and
 * result live here (the event loop is one thread). */
static uint64_t cgroup_wanted;
static char cgroup_found[4096];

static int cgroup_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D || (uint64_t)st->st_ino != cgroup_wanted)
		return 0;
	snprintf(cgroup_found, sizeof(cgroup_found), "%s", path);
	return 1;
}

/* The path of cgroup id under root ("/" for the root itself), "" if none. */
static void cgroup_path_in(const char *root, uint64_t id, char *out, size_t size)
{
	out[0] = '\0';
	cgroup_wanted = id;
	cgroup_found[0] = '\0';
	if (nftw(root, cgroup_visit, 32, FTW_PHYS | FTW_MOUNT) != 1)
		return;
	size_t rl = strlen(root);
	const char *rest = cgroup_found + rl;
	snprintf(out, size, "%s", *rest ? rest : "/");
}

/* "unified:/user.slice/...,cpu:/..." for the hierarchies the filter keeps */
static int format_cgroup_path(char *out, size_t size, const struct type_member *m,
			      const unsigned char *p)
{
	uint64_t id;
	memcpy(&id, p, sizeof(id));
	struct cgroup_root roots[32];
	int n = cgroup_roots(roots, 32);
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < n && len < size; i++) {
		if (fnmatch(m->name ? m->name : "*", roots[i].name, 0) != 0)
			continue;
		char path[4096];
		cgroup_path_in(roots[i].path, id, path, sizeof(path));
		if (!path[0])
			continue;
		int w = snprintf(out + len, size - len, "%s%s:%s", len ? "," : "", roots[i].name, path);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	return 0;
}

static int format_username(char *out, size_t size, const struct type_member *m,
			   const unsigned char *p)
{
	(void)m;
	uint64_t uid;
	memcpy(&uid, p, sizeof(uid));
	struct passwd pw, *found = NULL;
	char buf[4096];
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &found) == 0 && found)
		snprintf(out, size, "%s", found->pw_name);
	else
		snprintf(out, size, "%" PRIu64, uid);
	return 0;
}

/* usym(), func in user-space probes: the address, then the process id */
static int format_usym(char *out, size_t size, const struct type_member *m, const unsigned char *p)
{
	(void)m;
	uint64_t addr, pid;
	memcpy(&addr, p, sizeof(addr));
	memcpy(&pid, p + 8, sizeof(pid));
	rt_usym_text(out, size, addr, (int)pid);
	return 0;
}

static const struct {
	const char *name;
	uint32_t size; /* of the member's data */
	user_format_fn format;
} user_formats[] = {
	{ "timestamp", 8, format_timestamp },
	{ "timestamp_epoch", 8, format_timestamp_epoch },
	{ "strerror_t", 8, format_strerror },
	{ "signal_name_t", 8, format_signal_name },
	{ "syscall_name_t", 8, format_syscall_name },
	{ "inet", 24, format_inet },
	{ "mac_address", 6, format_mac },
	{ "cgroup_path_t", 8, format_cgroup_path },
	{ "username", 8, format_username },
	{ SONDE_USYM_TYPE, 16, format_usym },
};

bool rt_user_value(struct rt_arena *a, const struct type *t, const void *bytes, struct rt_value *v)
{
	if (t->kind != TY_RECORD || t->rkind != REC_STRUCT || !t->name || t->nmembers != 1)
		return false;
	for (size_t i = 0; i < sizeof(user_formats) / sizeof(user_formats[0]); i++) {
		const struct type_member *m = &t->members[0];
		if (strcmp(user_formats[i].name, t->name) != 0 || m->type->size != user_formats[i].size)
			continue;
		char text[1024];
		text[0] = '\0';
		if (user_formats[i].format(text, sizeof(text), m, (const unsigned char *)bytes + m->offset) < 0)
			return false;
		size_t len = strlen(text);
		char *s = rt_arena_alloc(a, len + 1);
		memcpy(s, text, len + 1);
		v->kind = RV_STR;
		v->str = s;
		v->len = len;
		return true;
	}
	return false;
}
