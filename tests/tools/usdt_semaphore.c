/* usdt_semaphore.c - a USDT probe guarded by its is-enabled semaphore.
 *
 *   usdt_semaphore [N]   N rounds (1; -1: every 10 ms until killed)
 *
 * sonde_test:guarded(round, semaphore) fires only while a tracer holds the
 * semaphore up (the kernel does, for a uprobe with ref_ctr_offset);
 * sonde_test:always(round) fires every round (its semaphore is not looked at). */
#define _SDT_HAS_SEMAPHORES 1
#include <stdlib.h>
#include <unistd.h>

#include <sys/sdt.h>

/* <sys/sdt.h> names a probe's semaphore PROVIDER_NAME_semaphore; with
 * _SDT_HAS_SEMAPHORES every probe has one, only the code decides whether
 * it looks at it */
__extension__ unsigned short sonde_test_guarded_semaphore __attribute__((unused))
__attribute__((section(".probes")));
__extension__ unsigned short sonde_test_always_semaphore __attribute__((unused))
__attribute__((section(".probes")));

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	for (int i = 0; n < 0 || i < n; i++) {
		if (sonde_test_guarded_semaphore)
			STAP_PROBE2(sonde_test, guarded, i, sonde_test_guarded_semaphore);
		STAP_PROBE1(sonde_test, always, i);
		if (n < 0)
			usleep(10000);
	}
	return 0;
}
