/* desc.c - the runtime description: creation, freeing and serialisation.
 *
 * sema builds struct desc; codegen moves it into struct compiled, which the
 * driver frees when the script ends. Everything inside is heap-owned, the
 * types by the description's own arena. */
#include <stdlib.h>

#include "desc.h"
#include "util.h"

struct desc *desc_new(void)
{
	struct desc *d = xcalloc(1, sizeof(*d));
	d->types = type_arena_new();
	d->deps.kernel_build_id = xstrdup("");
	d->deps.syscall_abi = xstrdup("");
	return d;
}

void desc_free(struct desc *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->nprobes; i++) {
		free(d->probes[i].name);
		free(d->probes[i].target);
		free(d->probes[i].prog_name);
		free(d->probes[i].raw_tp);
	}
	free(d->probes);
	for (int i = 0; i < d->nmaps; i++) {
		free(d->maps[i].name);
		free(d->maps[i].bpf_name);
	}
	free(d->maps);
	for (int i = 0; i < d->nprintfs; i++)
		free(d->printfs[i].fmt);
	free(d->printfs);
	free(d->values);
	free(d->ringbuf_name);
	free(d->lost_name);
	free(d->dropped_name);
	free(d->deps.kernel_build_id);
	free(d->deps.syscall_abi);
	type_arena_free(d->types);
	free(d);
}

void compiled_free(struct compiled *c)
{
	if (!c)
		return;
	free(c->elf);
	desc_free(c->desc);
	c->elf = NULL;
	c->elf_size = 0;
	c->desc = NULL;
}
