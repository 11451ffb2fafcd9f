/* usdt_libuser.c - calls usdt_lib_call() of libusdt_lib.so (usdt_lib.c)
 * with 0..N-1 (N = argv[1], 1; -1: every 10 ms until killed). */
#include <stdlib.h>
#include <unistd.h>

long usdt_lib_call(long x);

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	long sum = 0;
	for (int i = 0; n < 0 || i < n; i++) {
		sum += usdt_lib_call(i);
		if (n < 0)
			usleep(10000);
	}
	return sum < 0;
}
