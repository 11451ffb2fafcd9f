# Without the privileges to trace, sonde says what it needs, exits 1 and
# leaves nothing behind; what only compiles still works.
#
# "nobody" (NOBODY in lib.bash) has no capabilities at all. The tests
# themselves run as root (lib.bash).
. "$(dirname "$0")/lib.bash"

need_nobody
# nobody reads the scripts and its -c command would write here.
PUB=$TMP/pub
mkdir -m 1777 "$PUB"

NEEDS='sonde: loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): Operation not permitted'

# as_nobody ARGS...: like run_sonde, unprivileged
as_nobody() {
	OUT=$(cd "$PUB" && timeout -s INT 60 "${NOBODY[@]}" "$SONDE" "$@" 2>"$TMP/stderr")
	RC=$?
	ERR=$(cat "$TMP/stderr")
}

snapshot_bpf
as_nobody -e 'BEGIN { printf("hi\n"); exit(); }'
expect_eq "nobody: exit code" 1 "$RC"
expect_eq "nobody: says what it needs" "$NEEDS" "$ERR"
expect_eq "nobody: no output" "" "$OUT"

as_nobody -c "touch $PUB/started" -e 'interval:ms:10 { exit(); } END { printf("end\n"); }'
expect_eq "nobody with -c: exit code" 1 "$RC"
expect_eq "nobody with -c: says what it needs" "$NEEDS" "$ERR"
expect_eq "nobody with -c: the command never ran" no "$([ -e "$PUB/started" ] && echo yes || echo no)"
expect_eq "nobody with -c: no child left" "" "$(pgrep -f "$PUB/started")"

# tracepoint formats come from tracefs, which only root may read
as_nobody -e 'tracepoint:syscalls:sys_enter_read { @[comm] = count(); }'
expect_eq "nobody, tracepoint: exit code" 1 "$RC"
expect_eq "nobody, tracepoint: tracefs needs root" "stdin:1:1: error: reading tracepoints from tracefs needs root: /sys/kernel/tracing: Permission denied (without it, only events with their own record in kernel BTF compile)
tracepoint:syscalls:sys_enter_read { @[comm] = count(); }
^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~" "$ERR"
as_nobody -e 't:syscalls:sys_enter_read* { @ = count(); }'
expect_match "nobody, tracepoint wildcard: tracefs needs root" '^stdin:1:1: error: reading tracepoints from tracefs needs root' "$ERR"

# root, but without the capabilities (dropped from the bounding set, so the
# exec'd sonde does not get them)
OUT=$(setpriv --bounding-set=-bpf,-perfmon,-sys_admin "$SONDE" -e 'BEGIN { printf("hi\n"); exit(); }' 2>"$TMP/stderr")
RC=$?
expect_eq "root without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN: exit code" 1 "$RC"
expect_eq "root without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN: message" "$NEEDS" "$(cat "$TMP/stderr")"

# CAP_BPF and CAP_PERFMON are enough (no CAP_SYS_ADMIN)
if [ -x "$SYSCALLER" ]; then
	OUT=$(setpriv --bounding-set=-sys_admin "$SONDE" -q -c "$SYSCALLER -n 7" -e 'BEGIN { printf("hi\n"); }
		tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @calls = count(); }' 2>"$TMP/stderr")
	expect_eq "CAP_BPF + CAP_PERFMON without CAP_SYS_ADMIN: works" "hi


@calls: 7" "$OUT"
fi

# In a user namespace the capabilities look complete but the kernel
# refuses bpf(): the same message, from the load failure.
if unshare -Ur true 2>/dev/null; then
	OUT=$(unshare -Ur "$SONDE" -c "touch $PUB/userns" -e 'BEGIN { printf("hi\n"); exit(); }' 2>"$TMP/stderr")
	RC=$?
	expect_eq "user namespace: exit code" 1 "$RC"
	expect_eq "user namespace: says what it needs" "$NEEDS" "$(cat "$TMP/stderr")"
	expect_eq "user namespace: the -c command never ran" no "$([ -e "$PUB/userns" ] && echo yes || echo no)"
else
	echo "SKIP: no user namespaces here"
fi
expect_nothing_left "without privileges"

# Compiling needs no privileges.
as_nobody -e 'BEGIN { @x = ; }'
expect_eq "nobody, syntax error: exit code" 1 "$RC"
expect_eq "nobody, syntax error: the error, nothing about privileges" "stdin:1:14: error: syntax error, unexpected ';', expecting an expression
BEGIN { @x = ; }
             ^" "$ERR"
as_nobody --emit-elf "$PUB/x.o" -e 'BEGIN { @x = 1; exit(); } interval:s:1 { @y = count(); }'
expect_eq "nobody, --emit-elf: exit code" 0 "$RC"
expect_eq "nobody, --emit-elf: object written" yes "$([ -s "$PUB/x.o" ] && echo yes || echo no)"
# kernel BTF is world-readable: an event with its own record compiles from it
if [ -r /sys/kernel/btf/vmlinux ]; then
	as_nobody --emit-elf "$PUB/tp.o" -e 'tracepoint:sched:sched_switch { @[args.prev_comm, args.next_pid > 0] = count(); }
		tracepoint:sched:sched_process_exec { printf("%s\n", str(args.filename)); }'
	expect_eq "nobody, tracepoints from BTF: exit code" 0 "$RC"
	expect_eq "nobody, tracepoints from BTF: no error" "" "$ERR"
fi
# kaddr() resolves while compiling; nobody sees /proc/kallsyms without addresses
as_nobody --emit-elf "$PUB/k.o" -e 'BEGIN { printf("%lx\n", kaddr("vfs_read")); }'
expect_eq "nobody, kaddr(): exit code" 1 "$RC"
expect_match "nobody, kaddr(): says to run as root" 'kaddr\("vfs_read"\): /proc/kallsyms shows no addresses: run as root' "$ERR"
# -d prints the stage and then runs the script (as the latest bpftrace does;
# --dry-run is the separate flag), which needs the privileges.
as_nobody -d ast -e 'BEGIN { @x = 1 + 2; exit(); }'
expect_match "nobody, -d ast: the tree is printed" '^probe 0: BEGIN' "$OUT"
expect_eq "nobody, -d ast: then what running needs" "$NEEDS" "$ERR"
finish
