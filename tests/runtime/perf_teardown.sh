# perf_teardown.sh - the end of scripts whose tracepoints run as perf-event
# tracepoints (actions that read `args` or kstack; issue 13). The kernel
# releases a tracepoint's perf event one after the other (two RCU grace
# periods under its event_mutex, ~40 ms each), so sonde detaches every
# program first (the links, closed in parallel) and leaves the perf events,
# disabled and without a program, to its "sonde-detach" child: sonde's exit
# does not wait for them, and nothing runs once sonde has exited.
# No timings here: bench/run.sh scale (body args) measures them.
. "$(dirname "$0")/lib.bash"

if ! command -v pgrep >/dev/null; then
	echo "SKIP: pgrep (procps) is not installed"
	exit 77
fi

# A script sonde runs in a process group of its own (job control): its
# sonde-detach child keeps that group, which /proc shows until the child
# is reaped, even while it exits (when its environment and fds are gone).
start_sonde() { # OUTFILE ARGS...: sets PID
	local out=$1
	shift
	set -m
	"$SONDE" "$@" >"$out" 2>"$TMP/stderr" &
	PID=$!
	set +m
}
our_child() { pgrep -x -g "$PID" sonde-detach; }
no_child() { [ -z "$(our_child)" ]; }

# programs_gone_while_child_runs NAME: right after sonde's exit, nothing of
# it is attached or loaded, while its child still releases the perf events.
programs_gone_while_child_runs() {
	check "$1: a sonde-detach child releases the perf events after sonde's exit" [ -n "$(our_child)" ]
	expect_nothing_left "$1"
	check "$1: its programs were gone while the child still ran" [ -n "$(our_child)" ]
	wait_until 300 no_child
	check "$1: the child ends" no_child
	expect_nothing_left "$1, after the child"
}

# the scripts: actions that read kstack or args are perf-event tracepoints;
# no process has the name, so only exec's probe counts (the -c command)
cp /bin/true "$TMP/teardowntrue"
printf '#!/bin/sh\nfor i in 1 2 3; do %s; done\n' "$TMP/teardowntrue" >"$TMP/three.sh"
chmod +x "$TMP/three.sh"
exec_probe='t:sched:sched_process_exec /comm == "teardowntrue"/ { @execs[args.pid > 0] = count(); }'
small="t:block:*, t:writeback:* /comm == \"nosuchcomm\"/ { @none[kstack] = count(); }
$exec_probe"
big="t:block:*, t:writeback:*, t:kmem:* /comm == \"nosuchcomm\"/ { @none[kstack] = count(); }
$exec_probe"

has_stop_flag() { # SCRIPT: does the ELF define sonde_stop (64 probes or more)
	"$SONDE" --emit-elf "$TMP/x.elf" -e "$1" >/dev/null 2>&1 && grep -aq sonde_stop "$TMP/x.elf"
}
probes_of() { "$SONDE" --dry-run -e "$1" 2>&1 | sed -nE 's/^Attaching ([0-9]+) probes.*/\1/p'; }
if [ "$(probes_of "$small")" -lt 20 ] 2>/dev/null || has_stop_flag "$small" || ! has_stop_flag "$big"; then
	echo "SKIP: block, writeback and kmem do not make a small (20-63 probes) and a big (64+) script here"
	exit 77
fi

# ---- the output is the same, programs go at once, the perf events later -----

# SONDE_DETACH_LATER=0: everything is released before sonde exits
snapshot_bpf
SONDE_DETACH_LATER=0 start_sonde "$TMP/first.out" -c "$TMP/three.sh" -e "$small"
wait "$PID"
expect_match "SONDE_DETACH_LATER=0: exact counts" '^@execs\[true\]: 3$' "$(cat "$TMP/first.out")"
check "SONDE_DETACH_LATER=0: no child" no_child
expect_nothing_left "SONDE_DETACH_LATER=0"

# small: no stop flag, the links are closed before END; big: the programs
# are stopped by the flag and the child closes the links too
for size in small big; do
	snapshot_bpf
	start_sonde "$TMP/$size.out" -c "$TMP/three.sh" -e "${!size}"
	wait "$PID"
	expect_eq "$size: exit code" 0 "$?"
	expect_eq "$size: the output of SONDE_DETACH_LATER=0" "$(sed 1d "$TMP/first.out")" "$(sed 1d "$TMP/$size.out")"
	programs_gone_while_child_runs "$size"
done

# ---- SIGINT and SIGTERM -----------------------------------------------------

for sig in INT TERM; do
	snapshot_bpf
	start_sonde "$TMP/sig.out" -e "$([ $sig = INT ] && echo "$small" || echo "$big")"
	wait_until 60 file_has "$TMP/sig.out" '^Attaching'
	sleep 0.3
	kill -"$sig" "$PID"
	wait "$PID"
	expect_eq "SIG$sig: exit code" 0 "$?"
	programs_gone_while_child_runs "SIG$sig"
done

# A child killed at once still leaves nothing: the kernel closes its fds.
snapshot_bpf
start_sonde "$TMP/kill.out" -e "$big"
wait_until 60 file_has "$TMP/kill.out" '^Attaching'
kill -INT "$PID"
wait "$PID"
child=$(our_child)
[ -n "$child" ] && kill -KILL $child 2>/dev/null
wait_until 300 no_child
expect_nothing_left "sonde-detach killed"
finish
