# Direct loads through BTF pointers: `comm`, `curtask->comm` and curtask
# member chains are plain loads from bpf_get_current_task_btf() where the
# kernel has it (codegen/refs.c; test_codegen checks which helpers are
# called). Their values must be exactly what the helpers read: the name a
# thread took with prctl(PR_SET_NAME) and the one exec gave it (NUL-padded
# map keys: one key per name), a parent's tgid two hops away, and 0 through
# a NULL pointer. Each script also runs with SONDE_BTF_LOADS=0 (every read
# through a helper, as before) and must print the same.
. "$(dirname "$0")/lib.bash"
need_syscaller

N=1000
NR_GETPPID=$("$SYSCALLER" nr getppid)
# exec names the task after the file, cut to 15 bytes
ln -s "$(realpath "$SYSCALLER")" "$TMP/sc_exec_long_name_x"

# Two blocked workers making N getppid calls each: A renamed with prctl to
# "ab" (from "syscaller": the tail of the old name must not show), B with
# the name exec gave it. Sets A and B.
start_workers() {
	rm -f "$TMP"/ready.*
	"$SYSCALLER" -w -n "$N" -k getppid -m ab -r "$TMP/ready.a" &
	A=$!
	"$TMP/sc_exec_long_name_x" -w -n "$N" -k getppid -r "$TMP/ready.b" &
	B=$!
	if ! wait_until 60 test -e "$TMP/ready.a" -a -e "$TMP/ready.b"; then
		fail "workers did not start"
		kill "$A" "$B"
		same_as_bpftrace "comm and curtask chains" -c "$SYSCALLER -n 5 -k getppid -m xy" -e \
	'tracepoint:syscalls:sys_enter_getppid /comm == "xy"/ {
		@[comm, curtask->comm, curtask->group_leader->comm, curtask->pi_blocked_on->task->pid] = count(); }'

finish
	fi
}

SCRIPT='tracepoint:raw_syscalls:sys_enter /(pid == $1 || pid == $2) && args.id == $3/ {
	@[comm] = count();
	@task[curtask->comm, pid == $1] = count();
	@parent[curtask->real_parent->tgid] = count();
	@leader[curtask->group_leader->comm, curtask->group_leader->real_parent->real_parent->pid != 0] = count();
	@null = max(curtask->pi_blocked_on->task->pid + 1);
	if (comm == "ab") { @eq_a = count(); }
	if (curtask->comm == "sc_exec_long_na") { @eq_b = count(); }
	@comm_pcomm[comm, pcomm] = count();
}'

EXPECT="@[ab]: $N
@[sc_exec_long_na]: $N
@comm_pcomm[ab, bash]: $N
@comm_pcomm[sc_exec_long_na, bash]: $N
@eq_a: $N
@eq_b: $N
@leader[ab, true]: $N
@leader[sc_exec_long_na, true]: $N
@null: 1
@parent[$$]: $((2 * N))
@task[ab, true]: $N
@task[sc_exec_long_na, false]: $N"

for mode in direct helpers; do
	[ "$mode" = helpers ] && export SONDE_BTF_LOADS=0
	start_workers
	run_sonde -q --no-cache -c "$SYSCALLER go $A $B" -e "$SCRIPT" "$A" "$B" "$NR_GETPPID"
	wait "$A" "$B"
	expect_eq "$mode: exit code" 0 "$RC"
	expect_eq "$mode: no error output" "" "$ERR"
	expect_eq "$mode: comm after prctl and exec, curtask chains, a NULL hop" "$EXPECT" "$(grep '^@' <<<"$OUT" | sort)"
	unset SONDE_BTF_LOADS
done

# comm in BEGIN and END (raw tracepoint programs the runtime runs)
run_sonde --no-cache -e 'BEGIN { printf("%s %s\n", comm, curtask->comm); exit(); } END { printf("%s\n", comm); }'
expect_eq "BEGIN and END" "Attaching 2 probes...
sonde sonde
sonde" "$OUT"

same_as_bpftrace "comm and curtask chains" -c "$SYSCALLER -n 5 -k getppid -m xy" -e \
	'tracepoint:syscalls:sys_enter_getppid /comm == "xy"/ {
		@[comm, curtask->comm, curtask->group_leader->comm, curtask->pi_blocked_on->task->pid] = count(); }'

finish
