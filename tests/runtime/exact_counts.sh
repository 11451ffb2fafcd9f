# Exact counts under concurrency: two workers pinned to two different CPUs
# each make 200,000 known syscalls at the same time; every one must be
# counted, no more and no fewer.
#
# Exact by construction: the workers are set up (pinned, renamed, files
# open) and then blocked before sonde starts; sonde's -c command is
# `syscaller go A B`, which sonde releases only after every probe is
# attached, which starts both workers and which exits only after both
# have exited. A probe runs inside the syscall it counts, so when the -c
# command ends every event is already in the per-CPU maps. The filters
# (comm or pid, and the syscall) keep other system activity out.
. "$(dirname "$0")/lib.bash"
need_syscaller

N=200000
CPU_A=0
CPU_B=$(($(nproc) - 1))
NR_GETPPID=$("$SYSCALLER" nr getppid)
NR_READ=$("$SYSCALLER" nr read)

# start_workers KIND: two blocked workers, comms sc_cpuA / sc_cpuB; sets A, B.
start_workers() {
	rm -f "$TMP"/ready.*
	"$SYSCALLER" -w -n "$N" -k "$1" -C "$CPU_A" -m sc_cpuA -r "$TMP/ready.a" &
	A=$!
	"$SYSCALLER" -w -n "$N" -k "$1" -C "$CPU_B" -m sc_cpuB -r "$TMP/ready.b" &
	B=$!
	if ! wait_until 60 test -e "$TMP/ready.a" -a -e "$TMP/ready.b"; then
		fail "workers did not start"
		kill "$A" "$B"
		finish
	fi
}

# counted NAME ARGS...: runs sonde on the workers start_workers started.
# (ARGS are expanded by the caller: start_workers first, for $A and $B.)
counted() {
	local name=$1
	shift
	run_sonde -q -c "$SYSCALLER go $A $B" "$@"
	expect_eq "$name: exit code" 0 "$RC"
	wait "$A" "$B"
	expect_eq "$name: no error output" "" "$ERR"
}

# Map lines sorted, so that equal counts may come in any order.
map_lines() { grep '^@' <<<"$OUT" | sort; }

snapshot_bpf
start_workers getppid
counted "@[comm] = count()" -e 'tracepoint:syscalls:sys_enter_getppid
	/comm == "sc_cpuA" || comm == "sc_cpuB"/ { @[comm] = count(); @cpu[comm, cpu] = count(); }'
expect_eq "@[comm] = count(): 2 x $N getppid, each on its own CPU" "@[sc_cpuA]: $N
@[sc_cpuB]: $N
@cpu[sc_cpuA, $CPU_A]: $N
@cpu[sc_cpuB, $CPU_B]: $N" "$(map_lines)"

start_workers read
counted "@ = sum(1)" -e 'tracepoint:syscalls:sys_enter_read
	/comm == "sc_cpuA" || comm == "sc_cpuB"/ { @ = sum(1); @bytes = sum(args.count); }'
expect_eq "@ = sum(1): 2 x $N 1-byte reads" "@: $((2 * N))
@bytes: $((2 * N))" "$(map_lines)"

start_workers getppid
counted "pid filter, raw_syscalls" -e 'tracepoint:raw_syscalls:sys_enter
	/(pid == $1 || pid == $2) && args.id == $3/ { @[pid] = count(); }' "$A" "$B" "$NR_GETPPID"
expect_eq "pid filter, raw_syscalls: per pid" "$(printf '@[%s]: %s\n' "$A" "$N" "$B" "$N" | sort)" "$(map_lines)"

start_workers read
counted "pid filter, rawtracepoint" -e 'rawtracepoint:sys_enter
	/(pid == $1 || pid == $2) && arg1 == $3/ { @[comm] = count(); @all = count(); }' "$A" "$B" "$NR_READ"
expect_eq "pid filter, rawtracepoint: per comm" "@[sc_cpuA]: $N
@[sc_cpuB]: $N
@all: $((2 * N))" "$(map_lines)"

# -p: only worker A, while B makes the same calls on the other CPU
start_workers getppid
counted "-p PID" -p "$A" -e 'tracepoint:syscalls:sys_enter_getppid { @ = count(); }'
expect_eq "-p PID: only that worker's calls" "@: $N" "$(map_lines)"

expect_nothing_left "exact counts"
finish
