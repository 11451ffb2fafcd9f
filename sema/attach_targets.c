/* attach_targets.c - the targets of a script's attach points alone, for
 * `-l` with a script: what it would attach, even when its actions do not
 * type-check (bpftrace lists those too). */
#include "sema_internal.h"

int sema_attach_targets(struct program *p, const struct sema_options *opt, struct diag *d,
			sema_targets_fn fn, void *arg)
{
	static const struct sema_options no_options;
	int errors_before = d->errors;
	struct sema s = { .prog = p, .d = d, .opt = opt ? opt : &no_options };
	sema_substitute_positionals(&s);
	for (struct probe *pr = p->probes; pr; pr = pr->next) {
		for (struct attach_point *ap = pr->points; ap; ap = ap->next) {
			struct probe_target *targets = NULL;
			int n = 0;
			if (ap->unusable)
				continue;
			if (probe_expand(ap, d, &targets, &n) == 0)
				fn(targets, n, arg);
			probe_targets_free(targets, n);
		}
	}
	sema_said_free(&s);
	return d->errors == errors_before ? 0 : -1;
}
