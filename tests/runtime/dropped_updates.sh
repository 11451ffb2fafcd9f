# Dropped map updates: a map that is full refuses new keys (the kernel's
# -E2BIG); sonde counts the refusals per map in BPF and reports each map's
# total once on stderr at exit (and, with -v, while running). The maps
# printed and the exit status are what they would be without the report.
#
# The workload makes exactly 150 getppid() calls; each one uses a new key
# @n = 0, 1, 2, ... in maps that hold 100 keys, so exactly 50 updates of each
# map are dropped: plain `=`, count(), `+=` and `++`.
. "$(dirname "$0")/lib.bash"
need_syscaller

SCRIPT='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
	@x[@n] = @n; @c[@n] = count(); @s[@n] += @n; @p[@n]++; @n++;
}'
full() { # MAP: the exit report of MAP with 50 updates refused by a 100-key map
	echo "sonde: $1: 50 updates dropped: Map full (100 entries); can't update element. Try increasing max_map_keys (BPFTRACE_MAX_MAP_KEYS)"
}

BPFTRACE_MAX_MAP_KEYS=100 run_sonde -q -c "$SYSCALLER -n 150 -k getppid" -e "$SCRIPT"
expect_eq "a full map: exit code unchanged" 0 "$RC"
expect_eq "a full map: each map's dropped updates, once" "$(full @x)
$(full @c)
$(full @s)
$(full @p)" "$ERR"
expect_eq "a full map keeps its first 100 keys" "100 100 100 100 150" \
	"$(for m in x c s p; do grep -c "^@$m\[" <<<"$OUT" | tr '\n' ' '; done; sed -n 's/^@n: //p' <<<"$OUT")"

# The same maps as bpftrace 0.17 (0.17 reads BPFTRACE_MAP_KEYS_MAX and says
# nothing). Sorted: bpftrace prints ties of the same value in hash order.
if command -v bpftrace >/dev/null; then
	want=$(BPFTRACE_MAP_KEYS_MAX=100 timeout -s INT 60 bpftrace -c "$SYSCALLER -n 150 -k getppid" -e "$SCRIPT" 2>/dev/null | sort)
	BPFTRACE_MAP_KEYS_MAX=100 run_sonde -c "$SYSCALLER -n 150 -k getppid" -e "$SCRIPT"
	expect_eq "a full map: the same maps as bpftrace (sorted)" "$want" "$(sort <<<"$OUT")"
else
	echo "SKIP: bpftrace not installed; cannot compare full maps"
fi

# Every aggregation inserts through the same path (avg() here). hist maps
# are not shrunk by the variable (a key takes one entry per bucket), so @h
# keeps all 150 keys.
AGGS='tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
	@a[@n] = avg(1); @h[@n] = hist(1); @n++;
}'
BPFTRACE_MAX_MAP_KEYS=100 run_sonde -q -c "$SYSCALLER -n 150 -k getppid" -e "$AGGS"
expect_eq "avg(): dropped inserts counted" "$(full @a)" "$ERR"

# Room for every key: nothing to report.
run_sonde -q -c "$SYSCALLER -n 150 -k getppid" -e "$SCRIPT"
expect_eq "no map full: stderr stays empty" "" "$ERR"

# -v: reported while running too (at the once-a-second check), and still
# once more at exit with the total.
BPFTRACE_MAX_MAP_KEYS=100 "$SONDE" -q -v -c "$SYSCALLER -n 150 -k getppid -d $TMP/done -P" \
	-e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @x[@n] = 1; @n++; }' \
	>"$TMP/out" 2>"$TMP/err" &
sonde=$!
if wait_until 60 file_has "$TMP/err" '^sonde: @x: 50 updates dropped so far: map full \(100 entries\)$'; then
	pass "-v: dropped updates reported while running"
else
	fail "-v: no report while running: $(cat "$TMP/err")"
fi
kill -INT "$sonde"
wait "$sonde"
expect_eq "-v: exit code" 0 "$?"
expect_eq "-v: the total at exit" "$(full @x)" "$(grep 'Map full' "$TMP/err")"

finish
