/* dropped.c - map updates that BPF could not make, counted and reported.
 *
 * Every map update in the BPF programs counts its failures in one per-CPU
 * array (desc.dropped_name, slots SONDE_DROPPED_FULL/OTHER per map). A map
 * that is full drops updates by design of the kernel; the user must hear
 * about it, once per map with the total at exit (and, with -v, as it
 * happens), rather than once per event as bpftrace's warnings do. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "run_internal.h"
#include "util.h"

int rt_dropped_open(struct rt_dropped *d, const struct desc *desc, struct bpf_object *obj,
		    int ncpus)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (!desc->dropped_name) /* no program updates a map (codegen left the counters out) */
		return 0;
	struct bpf_map *map = desc->dropped_name
				      ? bpf_object__find_map_by_name(obj, desc->dropped_name)
				      : NULL;
	if (!map || bpf_map__fd(map) < 0) {
		fprintf(stderr, "sonde: internal error: no map '%s' counting dropped updates\n",
			desc->dropped_name ? desc->dropped_name : "(null)");
		return -1;
	}
	d->fd = bpf_map__fd(map);
	d->ncpus = ncpus > 0 ? ncpus : 1;
	d->nslots = SONDE_DROPPED_SLOTS(desc->nmaps);
	d->reported = xcalloc(d->nslots, sizeof(*d->reported));
	d->capacity = xcalloc((size_t)(desc->nmaps > 0 ? desc->nmaps : 1), sizeof(*d->capacity));
	for (int i = 0; i < desc->nmaps; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, desc->maps[i].bpf_name);
		d->capacity[i] = m ? bpf_map__max_entries(m) : 0;
	}
	return 0;
}

void rt_dropped_close(struct rt_dropped *d)
{
	free(d->reported);
	free(d->capacity);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

/* The count in `slot` summed over CPUs; false (after saying why, once) if
 * the counters cannot be read. */
static bool read_slot(struct rt_dropped *d, uint32_t slot, uint64_t *total)
{
	uint64_t *values = xcalloc((size_t)d->ncpus, sizeof(*values));
	bool ok = bpf_map_lookup_elem(d->fd, &slot, values) == 0;
	if (!ok && !d->read_failed) {
		fprintf(stderr, "sonde: cannot read the counters of dropped map updates: %s\n",
			strerror(errno));
		d->read_failed = true;
	}
	*total = 0;
	for (int cpu = 0; ok && cpu < d->ncpus; cpu++)
		*total += values[cpu];
	free(values);
	return ok;
}

static void report_other(struct rt_output *o, const struct desc_map *m, uint64_t n, bool at_exit)
{
	char msg[400];
	snprintf(msg, sizeof(msg), "%s: %" PRIu64 " update%s dropped%s: the kernel refused %s (not for "
		 "lack of room: most likely a probe that fired inside another update of this map, or "
		 "new keys arriving faster than the kernel could allocate them; SONDE_PREALLOC_MAPS=1 "
		 "preallocates maps)",
		 m->name, n, n == 1 ? "" : "s", at_exit ? "" : " so far", n == 1 ? "it" : "them");
	o->ops->notice(o, RT_NOTICE_WARNING, msg);
}

void rt_dropped_report(struct rt_dropped *d, const struct desc *desc, struct rt_output *o,
		       bool at_exit)
{
	if (d->fd < 0)
		return;
	for (int i = 0; i < desc->nmaps; i++) {
		uint32_t slots[2] = { SONDE_DROPPED_FULL(i), SONDE_DROPPED_OTHER(i) };
		for (int k = 0; k < 2; k++) {
			uint64_t total;
			if (!read_slot(d, slots[k], &total))
				return;
			/* at exit every map that dropped anything, once; before,
			 * only what changed since the last report */
			if (at_exit ? total == 0 : total <= d->reported[slots[k]])
				continue;
			if (k == 0)
				o->ops->map_full(o, desc->maps[i].name, total, d->capacity[i], at_exit,
						 desc->maps[i].max_entries != 0);
			else
				report_other(o, &desc->maps[i], total, at_exit);
			d->reported[slots[k]] = total;
		}
	}
}
