# Scripts of 64 probes or more detach after their output (include/desc.h
# SONDE_DETACH_LATER_MIN, runtime/run.c finish and detach_later): at the
# end the runtime sets the programs' stop flag, so they do nothing from
# then on, as if detached; END runs and the maps are printed; a child
# process ("sonde-detach") closes the links once sonde has let go of them.
# The output is exactly what detaching first prints (SONDE_DETACH_LATER=0),
# no probe counts anything after the end, and nothing stays attached.
. "$(dirname "$0")/lib.bash"

snapshot_bpf
# 71 tracepoints that count nothing (no process has that name)
many='t:writeback:*, t:block:*, t:kmem:* /comm == "nosuchcomm"/ { @none = count(); }'
"$SONDE" --dry-run -e "$many" >"$TMP/dry" 2>&1
if ! grep -Eq '^Attaching ([6-9][0-9]|[1-9][0-9][0-9]+) probes' "$TMP/dry"; then
	echo "SKIP: fewer than 64 tracepoints in writeback, block and kmem ($(head -1 "$TMP/dry"))"
	exit 77
fi

# ---- exact counts, both ways ------------------------------------------------

cp /bin/true "$TMP/detachtrue"
printf '#!/bin/sh\nfor i in 1 2 3 4 5; do %s; done\n' "$TMP/detachtrue" >"$TMP/five.sh"
chmod +x "$TMP/five.sh"
script="$many
t:sched:sched_process_exec, t:sched:sched_process_exit /comm == \"detachtrue\"/ { @[probe] = count(); }"
SONDE_DETACH_LATER=0 run_sonde -c "$TMP/five.sh" -e "$script"
first=$OUT
expect_match "detaching first: exact counts" '^@\[tracepoint:sched:sched_process_exec\]: 5$' "$OUT"
run_sonde -c "$TMP/five.sh" -e "$script"
expect_eq "detaching later prints the same" "$first" "$OUT"
expect_eq "detaching later: exit code" 0 "$RC"

# ---- stopped means stopped --------------------------------------------------

# kmalloc fires all the time (a loop starting processes makes sure): END's
# print(@n) and the @n printed after the big map @big agree only if no
# probe ran after the end (printing @big's keys takes milliseconds).
(while :; do /bin/true; done) &
busy=$!
for round in 1 2 3; do
	run_sonde -e "$many
t:kmem:kmalloc { @n = count(); @big[nsecs] = 1; } interval:ms:200 { exit(); } END { print(@n); }"
	counts=$(printf '%s\n' "$OUT" | sed -n 's/^@n: //p' | sort -u | wc -l)
	expect_eq "round $round: END and the exit maps agree on @n" 1 "$counts"
done
kill "$busy"
wait "$busy" 2>/dev/null

# ---- the programs have the stop flag; small scripts do not ------------------

has_stop_flag() { # SCRIPT: does the ELF define sonde_stop
	"$SONDE" --emit-elf "$TMP/x.elf" -e "$1" >/dev/null 2>&1 &&
		grep -aq sonde_stop "$TMP/x.elf"
}
check "a script of 64+ probes has the stop flag" has_stop_flag "$many"
check "a small script has none (no cost per event)" \
	eval '! has_stop_flag "t:sched:sched_switch { @n = count(); }"'

# ---- nothing stays attached -----------------------------------------------

# SIGINT during the run, then the child must have detached everything
# (expect_nothing_left waits up to two seconds for the kernel to free it).
"$SONDE" -e "$many" >"$TMP/int.out" 2>&1 &
tracer=$!
wait_until 60 file_has "$TMP/int.out" '^Attaching'
sleep 0.5
kill -INT "$tracer"
wait "$tracer"
expect_eq "SIGINT: exit code" 0 "$?"
expect_match "SIGINT: the maps are printed" '^@none: 0$' "$(cat "$TMP/int.out")"
expect_nothing_left "detach later"
finish
