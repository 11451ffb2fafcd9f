/* usdt_lib.c - libusdt_lib.so: a USDT probe in a shared library, for
 * usdt_libuser. sonde_lib:call(x, x * 2) on every usdt_lib_call(x). */
#include <sys/sdt.h>

__attribute__((visibility("default"))) long usdt_lib_call(long x)
{
	long twice = x * 2;
	DTRACE_PROBE2(sonde_lib, call, x, twice);
	return twice;
}
