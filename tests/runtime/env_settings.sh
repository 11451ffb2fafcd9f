# bpftrace's settings from the environment: each valid value takes effect,
# each invalid one is an error naming the variable and what it accepts
# (exit 1, nothing run), as in bpftrace.
. "$(dirname "$0")/lib.bash"

ONE='BEGIN { printf("ran\n"); exit(); }'
PAGE=$(getconf PAGESIZE)
MAX_RB_PAGES=$((2147483648 / PAGE))

# invalid VAR VALUE EXPECTED_RANGE
invalid() {
	env "$1=$2" timeout -s INT 60 "$SONDE" -e "$ONE" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	expect_eq "$1='$2': refused" "1 sonde: $1='$2': expected $3" "$rc $(cat "$TMP/err")"
	expect_eq "$1='$2': nothing ran" "" "$(cat "$TMP/out")"
}

invalid BPFTRACE_MAX_MAP_KEYS abc "a number from 1 to 16777216"
invalid BPFTRACE_MAX_MAP_KEYS 0 "a number from 1 to 16777216"
invalid BPFTRACE_MAP_KEYS_MAX 16777217 "a number from 1 to 16777216"
invalid BPFTRACE_PERF_RB_PAGES 3 "a power of two from 1 to $MAX_RB_PAGES"
invalid BPFTRACE_PERF_RB_PAGES 0 "a power of two from 1 to $MAX_RB_PAGES"
invalid BPFTRACE_PERF_RB_PAGES $((MAX_RB_PAGES * 2)) "a power of two from 1 to $MAX_RB_PAGES"
invalid BPFTRACE_PERF_RB_PAGES 64k "a power of two from 1 to $MAX_RB_PAGES"
invalid BPFTRACE_LOG_SIZE 127 "a number from 128 to 1073741823"
invalid BPFTRACE_LOG_SIZE '' "a number from 128 to 1073741823"
invalid BPFTRACE_MAX_PROBES -1 "a number from 1 to 2147483647"
invalid BPFTRACE_MAX_BPF_PROGS 1.5 "a number from 1 to 2147483647"

# BPFTRACE_PERF_RB_PAGES: the ring buffer has that many pages (the kernel
# shows a map's type and size in the fdinfo of sonde's fd on it).
ringbuf_bytes() { # PID: max_entries of its BPF_MAP_TYPE_RINGBUF (27)
	grep -sl '^map_type:[[:space:]]*27$' /proc/"$1"/fdinfo/* | head -n 1 |
		xargs -r sed -nE 's/^max_entries:[[:space:]]*([0-9]+)$/\1/p'
}
has_ringbuf() { [ -n "$(ringbuf_bytes "$1")" ]; }
ringbuf_of_run() { # ENV...: start sonde, read its ring buffer's size, stop it
	# (a script with no events has no ring buffer: objects_by_use.sh)
	env "$@" "$SONDE" -q -c "sleep 30" -e 'interval:ms:50 { @n = count(); } interval:s:60 { printf("x\n"); }' >/dev/null 2>"$TMP/rb.err" &
	local sonde=$! size=""
	wait_until 30 has_ringbuf "$sonde"
	size=$(ringbuf_bytes "$sonde")
	kill -INT "$sonde"
	wait "$sonde"
	echo "$size"
}
expect_eq "BPFTRACE_PERF_RB_PAGES=16: a ring buffer of 16 pages" $((16 * PAGE)) "$(ringbuf_of_run BPFTRACE_PERF_RB_PAGES=16)"
expect_eq "BPFTRACE_PERF_RB_PAGES=1: one page" "$PAGE" "$(ringbuf_of_run BPFTRACE_PERF_RB_PAGES=1)"
expect_eq "no BPFTRACE_PERF_RB_PAGES: 1 MiB" 1048576 "$(ringbuf_of_run NOTHING=1)"

# BPFTRACE_LOG_SIZE: the verifier log sonde keeps. A log of 128 bytes is
# too short to reach the line the verifier complained about, so the error
# falls back to the probe; the default names the line.
{
	echo 'BEGIN {'
	echo '  $x = nsecs;'
	printf '  '
	for i in $(seq 0 21); do printf 'if ($x & %d) { $a%d = %d; } else { $a%d = 0; } ' $((1 << i)) "$i" $((i + 1)) "$i"; done
	echo
	printf '  @s = $a0'
	for i in $(seq 1 21); do printf ' + $a%d' "$i"; done
	echo ';'
	echo '}'
} >"$TMP/paths.bt"
BPFTRACE_LOG_SIZE=128 run_sonde "$TMP/paths.bt"
expect_eq "BPFTRACE_LOG_SIZE=128: still a verifier error" "1 $TMP/paths.bt:1:1: error: the BPF verifier rejected probe 'BEGIN'" "$RC $(head -n 1 <<<"$ERR")"
BPFTRACE_LOG_SIZE=1000000 run_sonde "$TMP/paths.bt"
expect_match "BPFTRACE_LOG_SIZE=1000000: the line is found" "^$TMP/paths.bt:[0-9]+:3: error: the BPF verifier rejected probe 'BEGIN'" "$(head -n 1 <<<"$ERR")"

# BPFTRACE_MAX_PROBES / BPFTRACE_MAX_BPF_PROGS: lower and raise the caps
# (default 1024 each; bad_input.sh has a script over the default).
BPFTRACE_MAX_PROBES=1 run_sonde -e 'BEGIN { exit(); } interval:s:1 { exit(); }'
expect_eq "BPFTRACE_MAX_PROBES=1: two probes refused" "1 stdin:1:19: error: too many probes: this attaches 2, more than the limit of 1 (BPFTRACE_MAX_PROBES raises it)" "$RC $(head -n 1 <<<"$ERR")"
BPFTRACE_MAX_BPF_PROGS=1 run_sonde -e 'BEGIN { exit(); } interval:s:1 { exit(); }'
expect_eq "BPFTRACE_MAX_BPF_PROGS=1: two programs refused" "1 stdin:1:19: error: too many BPF programs: this needs 2, more than the limit of 1 (BPFTRACE_MAX_BPF_PROGS raises it)" "$RC $(head -n 1 <<<"$ERR")"
for ((i = 1; i <= 1030; i++)); do printf 'interval:ms:%d { @x = count(); }\n' "$i"; done >"$TMP/many.bt"
BPFTRACE_MAX_PROBES=2000 BPFTRACE_MAX_BPF_PROGS=2000 run_sonde --emit-elf "$TMP/many.o" "$TMP/many.bt"
expect_eq "raised limits: 1,030 probes compile" "0 " "$RC $ERR"

finish
