/* debugfile.c - separate debug files (include/debugfile.h). */
#include <fcntl.h>
#include <gelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "debugfile.h"
#include "util.h"

#define DEBUG_DIR "/usr/lib/debug"

bool elf_build_id_hex(Elf *e, char *hex, size_t len)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)data->d_buf + name_off, "GNU", 4) != 0 || nh.n_descsz * 2 + 1 > len)
				continue;
			const unsigned char *id = (const unsigned char *)data->d_buf + desc_off;
			for (size_t i = 0; i < nh.n_descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", id[i]);
			return nh.n_descsz > 1;
		}
	}
	return false;
}

static Elf_Data *section_data(Elf *e, const char *name)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return NULL;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		const char *n;
		if (gelf_getshdr(scn, &sh) && (n = elf_strptr(e, shstrndx, sh.sh_name)) && strcmp(n, name) == 0)
			return elf_getdata(scn, NULL);
	}
	return NULL;
}

static bool crc_matches(const char *path, uint32_t want)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	uLong crc = crc32(0L, Z_NULL, 0);
	unsigned char buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = crc32(crc, buf, (uInt)n);
	close(fd);
	return n == 0 && (uint32_t)crc == want;
}

/* .gnu_debuglink: a NUL-terminated file name, padded to 4 bytes, then the
 * debug file's CRC-32. */
static char *debuglink_file(Elf *e, const char *path)
{
	Elf_Data *data = section_data(e, ".gnu_debuglink");
	if (!data || data->d_size < 8)
		return NULL;
	const char *name = data->d_buf;
	size_t len = strnlen(name, data->d_size);
	size_t crc_at = (len + 4) & ~(size_t)3;
	if (len == 0 || crc_at + 4 > data->d_size)
		return NULL;
	uint32_t crc;
	memcpy(&crc, (const char *)data->d_buf + crc_at, 4);
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	const char *fmts[] = { "%s/%.*s", "%s/.debug/%.*s", DEBUG_DIR "%s/%.*s" };
	char *found = NULL;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]) && !found; i++) {
		char *cand = xasprintf(fmts[i], slash ? dir : ".", (int)len, name);
		if (strcmp(cand, path) != 0 && crc_matches(cand, crc))
			found = cand;
		else
			free(cand);
	}
	free(dir);
	return found;
}

char *elf_debug_file(Elf *e, const char *path)
{
	char id[128];
	if (elf_build_id_hex(e, id, sizeof(id))) {
		char *cand = xasprintf(DEBUG_DIR "/.build-id/%.2s/%s.debug", id, id + 2);
		if (strcmp(cand, path) != 0 && access(cand, R_OK) == 0)
			return cand;
		free(cand);
	}
	return debuglink_file(e, path);
}
