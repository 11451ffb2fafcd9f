/* uprobe_lib.c - a shared library (libuprobe_lib.so) for uprobe tests:
 * probes in a library are attached at its file offsets, whatever address
 * each process maps it at. */
__attribute__((noinline)) int ulib_scale(int x, int factor)
{
	return x * factor;
}
