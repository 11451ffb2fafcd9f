# Lost events: when printf records come faster than they are read, the
# ring buffer (1 MiB) fills, the kernel drops records, and sonde must say
# so ("Lost N events" on stderr), keep running, and still end cleanly.
#
# Overflow by construction, not by speed: sonde's stdout is a pipe nobody
# reads until the workload is done, so sonde blocks writing after ~64 KiB
# of output while the -c workload makes N_CALLS calls whose records
# (~100 bytes each, N_CALLS x 100 bytes >> 1 MiB) cannot all fit.
# Every record is either printed or counted as lost, and the count() map
# (no ring buffer involved) sees every call: printed + lost = N_CALLS.
. "$(dirname "$0")/lib.bash"
need_syscaller

N_CALLS=100000
SCRIPT='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
	@calls = count();
	printf("flood %s %d: a long line of text to fill the ring buffer quickly\n", comm, pid);
}
END { printf("end ran\n"); }'

snapshot_bpf
# -P: the workload stays alive after its calls, so sonde keeps running.
"$SONDE" -q -c "$SYSCALLER -n $N_CALLS -m flood -d $TMP/done -P" -e "$SCRIPT" \
	2>"$TMP/err" > >(wait_until 120 test -e "$TMP/go"; cat >"$TMP/out"; touch "$TMP/reader.done") &
sonde=$!

if wait_until 120 test -e "$TMP/done"; then
	pass "the workload made its calls while the output was blocked"
else
	fail "the workload did not finish"
fi
touch "$TMP/go" # now read the output: sonde drains the ring buffer
if wait_until 120 file_has "$TMP/err" '^Lost [0-9]+ events$'; then
	pass "\"Lost N events\" is reported while running"
else
	fail "no \"Lost N events\" on stderr: $(cat "$TMP/err")"
fi
expect_eq "sonde keeps running after losing events" yes "$(kill -0 "$sonde" 2>/dev/null && echo yes || echo no)"
workload=$(pgrep -f "^$SYSCALLER -n $N_CALLS -m flood -d $TMP/done -P\$" || true)
expect_eq "the workload is still running" yes "$([ -n "$workload" ] && echo yes || echo no)"

kill -INT "$sonde"
wait "$sonde"
expect_eq "SIGINT after lost events: exit code" 0 "$?"
wait_until 60 test -e "$TMP/reader.done" || fail "the output reader did not finish"
OUT=$(cat "$TMP/out")
ERR=$(cat "$TMP/err")

lost=$(awk '/^Lost [0-9]+ events$/ { n += $2 } END { print n + 0 }' <<<"$ERR")
printed=$(grep -c '^flood flood [0-9]*: a long line' <<<"$OUT")
expect_eq "lost events are more than none" yes "$([ "$lost" -gt 0 ] && echo yes || echo no)"
expect_eq "printed + lost = every call" "$N_CALLS" "$((printed + $lost))"
expect_eq "stderr has only Lost lines" "" "$(grep -vE '^Lost [0-9]+ events$' <<<"$ERR")"
expect_eq "END ran once" 1 "$(grep -c '^end ran$' <<<"$OUT")"
expect_eq "the count map saw every call, printed once" "@calls: $N_CALLS" "$(grep '^@' <<<"$OUT")"
expect_eq "the output ends with the maps" "@calls: $N_CALLS" "$(tail -n 1 <<<"$OUT")"
expect_eq "the workload was stopped" yes "$(wait_until 10 process_gone "${workload:-0}" && echo yes || echo no)"
expect_nothing_left "lost events"
finish
