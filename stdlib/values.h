/* values.h - check hooks of the builtins and functions in values.c, for the
 * tables in vars.c and funcs.c (stdlib/ only). */
#ifndef SONDE_STDLIB_VALUES_H
#define SONDE_STDLIB_VALUES_H

#include "builtins.h"

/* builtin variables */
const struct type *stdlib_var_jiffies(struct sema *s, struct node *n);
const struct type *stdlib_var_numaid(struct sema *s, struct node *n);
const struct type *stdlib_var_ncpus(struct sema *s, struct node *n);
const struct type *stdlib_var_has_cpid(struct sema *s, struct node *n);
const struct type *stdlib_var_probetype(struct sema *s, struct node *n);
const struct type *stdlib_var_usermode(struct sema *s, struct node *n);
/* ppid, pcomm, leader_tid, leader_comm: members of the current task */
const struct type *stdlib_var_task_alias(struct sema *s, struct node *n);

/* functions */
const struct type *stdlib_check_task_alias(struct sema *s, struct node *n);
const struct type *stdlib_check_bswap(struct sema *s, struct node *n);
const struct type *stdlib_check_strncmp(struct sema *s, struct node *n);
const struct type *stdlib_check_strcontains(struct sema *s, struct node *n);
const struct type *stdlib_check_strstr(struct sema *s, struct node *n);
const struct type *stdlib_check_str_concat(struct sema *s, struct node *n);
const struct type *stdlib_check_strlen(struct sema *s, struct node *n);
const struct type *stdlib_check_addr_space(struct sema *s, struct node *n);
const struct type *stdlib_check_is_err(struct sema *s, struct node *n);
const struct type *stdlib_check_pton(struct sema *s, struct node *n);
const struct type *stdlib_check_cgroupid(struct sema *s, struct node *n);
const struct type *stdlib_check_type_test(struct sema *s, struct node *n);
const struct type *stdlib_check_static_assert(struct sema *s, struct node *n);
const struct type *stdlib_check_signal(struct sema *s, struct node *n);
const struct type *stdlib_check_signal_thread(struct sema *s, struct node *n);
const struct type *stdlib_check_pid_ns(struct sema *s, struct node *n);
const struct type *stdlib_check_comm(struct sema *s, struct node *n);
const struct type *stdlib_check_percpu_kaddr(struct sema *s, struct node *n);

#endif
