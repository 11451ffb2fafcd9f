/* test_metrics.c - --metrics's listening address and metric names
 * (runtime/metrics.c); serving and the exposition format are tested with
 * real maps in tests/runtime/metrics.sh. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/run_internal.h"

#include "check.h"

static void check_listen(const char *spec, int family, const char *host, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256] = "";
	char text[INET6_ADDRSTRLEN] = "";
	if (rt_metrics_parse_listen(spec, &ss, &len, err, sizeof(err)) != 0) {
		CHECKF(0, "'%s': %s", spec, err);
		return;
	}
	CHECKF(ss.ss_family == family, "'%s': family %d", spec, ss.ss_family);
	unsigned got;
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, text, sizeof(text));
		got = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, text, sizeof(text));
		got = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	CHECKF(strcmp(text, host) == 0 && got == port, "'%s': %s port %u", spec, text, got);
}

static void check_bad_listen(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256] = "";
	CHECKF(rt_metrics_parse_listen(spec, &ss, &len, err, sizeof(err)) != 0 && err[0],
	       "'%s' accepted", spec);
}

static void check_name(const char *map, const char *want)
{
	char *got = rt_metrics_name(map);
	CHECKF(strcmp(got, want) == 0, "%s -> %s, want %s", map, got, want);
	free(got);
}

int main(void)
{
	check_listen("9100", AF_INET, "127.0.0.1", 9100); /* localhost unless told otherwise */
	check_listen("0", AF_INET, "127.0.0.1", 0);
	check_listen("0.0.0.0:80", AF_INET, "0.0.0.0", 80);
	check_listen("[::1]:9100", AF_INET6, "::1", 9100);
	check_listen("::1:9100", AF_INET6, "::1", 9100);
	check_bad_listen("");
	check_bad_listen("nope");
	check_bad_listen("65536");
	check_bad_listen("-1");
	check_bad_listen("127.0.0.1:");
	check_bad_listen(":9100");
	check_bad_listen("127.0.0.1:9x");
	check_name("@bytes", "sonde_bytes");
	check_name("@", "sonde_map");
	check_name("@a1_b", "sonde_a1_b");
	check_name("@a.b-c", "sonde_a_b_c");
	return failures != 0;
}
