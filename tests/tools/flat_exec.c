/* flat_exec.c - runs a flat binary (raw machine code, no ELF): maps the
 * file argv[1] executable and jumps to its first byte. For uprobes on a
 * file offset of a non-ELF file (--unsafe). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	void *code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (code == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	((void (*)(void))code)();
	return 3; /* the code exits itself */
}
