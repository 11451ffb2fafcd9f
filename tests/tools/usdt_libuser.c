/* usdt_libuser.c - calls usdt_lib_call() of libusdt_lib.so (usdt_lib.c)
 * with 0..N-1 (N = argv[1], 1; -1: every 10 ms until killed). Its own
 * probe sonde_user:"quoted"(i) has quotes in its name (a string literal
 * where <sys/sdt.h> expects a word), as attach points write
 * usdt:BIN:sonde_user:"\"quoted\"". */
#include <stdlib.h>
#include <unistd.h>

#include <sys/sdt.h>

long usdt_lib_call(long x);

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	long sum = 0;
	for (int i = 0; n < 0 || i < n; i++) {
		sum += usdt_lib_call(i);
		DTRACE_PROBE1(sonde_user, "quoted", i);
		if (n < 0)
			usleep(10000);
	}
	return sum < 0;
}
