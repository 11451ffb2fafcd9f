# Maps updated from tracepoints that run with interrupts off (sched:*,
# irq:*, timer:*, ...) keep their elements preallocated: without that, a
# burst of new keys while interrupts are off empties the kernel allocator's
# per-CPU cache and the next insert is refused ("update dropped"), which on
# this script happened in most half-second runs.
. "$(dirname "$0")/lib.bash"

SCHED='tracepoint:sched:sched* { @[probe, cpu] = count(); } interval:ms:500 { exit(); }'
dropped=0
for i in 1 2 3 4; do
	run_sonde -e "$SCHED"
	expect_eq "sched* run $i: exit code" 0 "$RC"
	grep -q 'dropped' <<<"$ERR" && dropped=$((dropped + 1))
done
expect_eq "sched* with a key per probe and CPU: no update dropped in 4 runs" 0 "$dropped"

# A preallocated map that is really full still reports what it refused.
BPFTRACE_MAX_MAP_KEYS=1 run_sonde -q -e 'tracepoint:sched:sched* { @[probe, cpu] = count(); } interval:ms:300 { exit(); }'
expect_match "sched*: a full map is still reported" \
	'^sonde: @: [0-9]+ updates? dropped: Map full \(1 entries\)' "$ERR"

finish
