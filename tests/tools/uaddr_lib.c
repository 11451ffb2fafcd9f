/* uaddr_lib.c - libuaddr_lib.so for tests/runtime/uaddr.sh: a variable of
 * a shared library, which the dynamic loader maps where it likes. */
volatile int uaddr_lib_var = 0x2468ace0;
static volatile int uaddr_both = 0x2222; /* uaddr_pie.c has one of 0x1111 */

__attribute__((noinline)) int uaddr_lib_func(int x)
{
	return x + uaddr_lib_var + uaddr_both;
}
