# Every way out runs END once, prints the maps once, detaches everything and
# leaves no child process behind.
. "$(dirname "$0")/lib.bash"

PROG='tracepoint:raw_syscalls:sys_enter { @n = count(); } END { printf("end ran\n"); }'

# exit() from a probe
snapshot_bpf
run_sonde -e 'tracepoint:raw_syscalls:sys_enter { @n = count(); } interval:ms:100 { exit(); } END { printf("end ran\n"); }'
expect_eq "exit(): exit code" 0 "$RC"
expect_eq "exit(): END once" 1 "$(grep -c '^end ran$' <<<"$OUT")"
expect_eq "exit(): map printed once" 1 "$(grep -Ec '^@n: [0-9]+$' <<<"$OUT")"
expect_nothing_left "exit()"

# exit(code)
run_sonde -e 'BEGIN { exit(3); }'
expect_eq "exit(3): exit code" 3 "$RC"

# SIGINT and SIGTERM
for sig in INT TERM; do
	snapshot_bpf
	"$SONDE" -e "$PROG" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	sleep 1
	kill -"$sig" "$pid"
	wait "$pid"
	RC=$?
	OUT=$(cat "$TMP/out")
	expect_eq "SIG$sig: exit code" 0 "$RC"
	expect_eq "SIG$sig: END once" 1 "$(grep -c '^end ran$' <<<"$OUT")"
	expect_eq "SIG$sig: map printed once" 1 "$(grep -Ec '^@n: [0-9]+$' <<<"$OUT")"
	expect_nothing_left "SIG$sig"
done

# the -c child exiting ends the trace
snapshot_bpf
run_sonde -c 'sleep 0.3' -e "$PROG"
expect_eq "-c child exit: exit code" 0 "$RC"
expect_eq "-c child exit: END once" 1 "$(grep -c '^end ran$' <<<"$OUT")"
expect_eq "-c child exit: map printed once" 1 "$(grep -Ec '^@n: [0-9]+$' <<<"$OUT")"
expect_nothing_left "-c child exit"

# SIGINT while a -c child still runs: the child must not be left behind
snapshot_bpf
"$SONDE" -c "sleep 30" -e "$PROG" >"$TMP/out" 2>"$TMP/err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
sleep 0.2
expect_eq "SIGINT with -c: no sleep 30 child left" "" "$(pgrep -f '^sleep 30$')"
expect_nothing_left "SIGINT with -c"

# a compile error never starts the -c command and loads nothing
snapshot_bpf
run_sonde -c "touch $TMP/started" -e 'BEGIN { @x = ; }'
expect_eq "compile error: exit code" 1 "$RC"
expect_eq "compile error: -c command never started" "no" "$([ -e "$TMP/started" ] && echo yes || echo no)"
expect_nothing_left "compile error"

# --dry-run loads and attaches, then leaves
snapshot_bpf
run_sonde --dry-run -e "$PROG"
expect_eq "--dry-run: exit code" 0 "$RC"
expect_nothing_left "--dry-run"
finish
