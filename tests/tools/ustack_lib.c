/* ustack_lib.c - the shared library of ustack_libuser (see ustack_target.c):
 * two frames inside a library, so a user stack crosses from the program
 * into a mapping at a load address chosen at run time. */
__attribute__((noinline)) int ustack_lib_leaf(int x)
{
	return x * 3;
}

__attribute__((noinline)) int ustack_lib_entry(int x)
{
	return ustack_lib_leaf(x) + 1;
}
