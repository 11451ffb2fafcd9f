/* sw_faults.c - a workload with a known number of page faults and
 * context switches: maps N fresh anonymous pages (argv[1], default 100;
 * huge pages off) and writes one byte to each, which faults each page in
 * exactly once, then sleeps 1 ms S times (argv[2], default 0), each a
 * context switch. That happens between getppid() and getpid(), so a
 * script can count only those (everything else the program runs is
 * faulted in by a first, empty round). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void touch(volatile char *mem, long pages, long page, long sleeps)
{
	syscall(SYS_getppid); /* the window opens */
	for (long i = 0; i < pages; i++)
		mem[i * page] = 1;
	for (long i = 0; i < sleeps; i++)
		usleep(1000);
	syscall(SYS_getpid); /* and closes */
}

int main(int argc, char **argv)
{
	long pages = argc > 1 ? atol(argv[1]) : 100, page = sysconf(_SC_PAGESIZE);
	long sleeps = argc > 2 ? atol(argv[2]) : 0;
	char *mem = mmap(NULL, (size_t)(pages + 1) * (size_t)page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise(mem, (size_t)(pages + 1) * (size_t)page, MADV_NOHUGEPAGE);
	touch(mem, 0, page, 0);                 /* warm-up: code, stack, syscall() in place */
	touch(mem + page, pages, page, sleeps); /* the counted round */
	return 0;
}
