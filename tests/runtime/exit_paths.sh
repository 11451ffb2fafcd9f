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

# Only BEGIN and END: the run ends after BEGIN, as in the latest bpftrace
# (0.17 waited for Ctrl-C); the timeout would fail it otherwise.
snapshot_bpf
OUT=$(timeout -s KILL 20 "$SONDE" -q -e 'BEGIN { printf("begin\n"); @x = 1; } END { printf("end\n"); }' 2>"$TMP/stderr")
RC=$?
expect_eq "only BEGIN/END: exits by itself" 0 "$RC"
expect_eq "only BEGIN/END: BEGIN, END, the maps" "begin
end


@x: 1" "$OUT"
expect_nothing_left "only BEGIN/END"

# SIGINT and SIGTERM (the handlers are in place once "Attaching" is out)
for sig in INT TERM; do
	snapshot_bpf
	"$SONDE" -e "$PROG" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	wait_until 60 file_has "$TMP/out" '^Attaching'
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

# the -p process exiting ends the trace, as in bpftrace: END, maps, exit 0.
# The process (cat on a fifo) is held until the tracer has printed
# "Attaching" (it watches the pid by then), then let go: the result does
# not depend on how fast the tracer starts. `timeout` only catches a hang
# (exit 124).
P_PROG='BEGIN { @a = 1; } END { printf("end ran\n"); }'
trace_exiting_process() { # TRACER: sets OUT and RC
	rm -f "$TMP/hold" "$TMP/p.out"
	mkfifo "$TMP/hold"
	cat "$TMP/hold" &
	local held=$!
	timeout -s INT 60 "$1" -p "$held" -e "$P_PROG" >"$TMP/p.out" 2>"$TMP/err" &
	local tracer=$!
	wait_until 60 file_has "$TMP/p.out" '^Attaching'
	: >"$TMP/hold"
	wait "$held"
	wait "$tracer"
	RC=$?
	OUT=$(cat "$TMP/p.out")
}
snapshot_bpf
trace_exiting_process "$SONDE"
expect_eq "-p process exit: exit code" 0 "$RC"
expect_eq "-p process exit: END, then the maps" "Attaching 2 probes...
end ran


@a: 1" "$OUT"
expect_nothing_left "-p process exit"
if command -v bpftrace >/dev/null; then
	sonde_out=$OUT
	trace_exiting_process bpftrace
	expect_eq "-p process exit: bpftrace's exit code too" 0 "$RC"
	expect_eq "-p process exit (same as bpftrace)" "$OUT" "$sonde_out"
fi

# SIGINT while a -c child still runs: the child must not be left behind
snapshot_bpf
# (other tests on the machine may run "sleep 30": ours is told by its
# fraction, our pid)
nap="sleep 30.$$"
"$SONDE" -c "$nap" -e "$PROG" >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_until 60 file_has "$TMP/out" '^Attaching'
wait_until 60 pgrep -xf "$nap" >/dev/null # released: sleep runs
kill -INT "$pid"
wait "$pid"
expect_eq "SIGINT with -c: no sleep child left" "" "$(pgrep -xf "$nap")"
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

# ---- an attach failure half-way through a multi-probe script ---------------
# Probes attach in script order; the raw tracepoint has no 6th argument, so
# the kernel refuses it (EINVAL) after two tracepoints are attached.
# BEGIN has already run: sonde runs it before attaching the other probes so
# that its output comes first and its map writes precede every probe. The
# trace never starts, so as in bpftrace: END does not run, no maps are
# printed, the -c command never starts, exit code 1 (bpftrace: 255).
cat >"$TMP/halfway.bt" <<'BT'
BEGIN { printf("begin ran\n"); @b = 1; }
tracepoint:syscalls:sys_enter_getppid { @a = count(); }
tracepoint:syscalls:sys_enter_getpid { @c = count(); }
rawtracepoint:sys_enter { @ = arg5; }
tracepoint:syscalls:sys_enter_close { @d = count(); }
END { printf("end ran\n"); }
BT
snapshot_bpf
run_sonde -c "touch $TMP/halfway.started" "$TMP/halfway.bt"
expect_eq "attach failure half-way: exit code" 1 "$RC"
expect_eq "attach failure half-way: error on the probe's line" \
	"$TMP/halfway.bt:4:1: error: cannot attach probe 'rawtracepoint:sys_enter': Invalid argument
rawtracepoint:sys_enter { @ = arg5; }
^~~~~~~~~~~~~~~~~~~~~~~" "$(head -n 3 <<<"$ERR")"
expect_eq "attach failure half-way: BEGIN ran, END did not, no maps" "Attaching 6 probes...
begin ran" "$OUT"
expect_eq "attach failure half-way: -c command never started" no \
	"$([ -e "$TMP/halfway.started" ] && echo yes || echo no)"
# The held child is a fork of sonde: its command line is sonde's.
expect_eq "attach failure half-way: no child left" "" "$(pgrep -f "$TMP/halfway.started")"
expect_nothing_left "attach failure half-way"

# ---- every way out, with output to a pipe and to a file (-o) ---------------
# END runs once, the maps are printed once, after END, and the output is
# complete (flushed) when sonde has exited.

# start_bg MODE ARGS...: sonde in the background, its output in $TMP/out
# either through a pipe (MODE=pipe) or written by sonde (MODE=file).
start_bg() {
	local mode=$1
	shift
	rm -f "$TMP/out" "$TMP/out.done" "$TMP/err"
	if [ "$mode" = file ]; then
		"$SONDE" -o "$TMP/out" "$@" 2>"$TMP/err" &
	else
		"$SONDE" "$@" 2>"$TMP/err" > >(cat >"$TMP/out"; touch "$TMP/out.done") &
	fi
	BG=$!
	BG_MODE=$mode
}
wait_bg() {
	wait "$BG"
	RC=$?
	[ "$BG_MODE" = file ] && touch "$TMP/out.done"
	wait_until 60 test -e "$TMP/out.done" || fail "output reader did not finish"
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}
# check_way NAME EXPECTED_RC MAP_REGEX
check_way() {
	expect_eq "$1: exit code" "$2" "$RC"
	expect_eq "$1: starts with Attaching" "Attaching 2 probes..." "$(head -n 1 <<<"$OUT")"
	expect_eq "$1: END once" 1 "$(grep -c '^end ran$' <<<"$OUT")"
	expect_eq "$1: maps printed once" 1 "$(grep -c '^@' <<<"$OUT")"
	expect_match "$1: output complete, maps last" "$3" "$(tail -n 1 <<<"$OUT")"
	expect_eq "$1: END before the maps" "end ran||" "$(tail -n 4 <<<"$OUT" | head -n 3 | paste -sd'|')"
	expect_eq "$1: nothing on stderr" "" "$ERR"
}

if [ -x "$SYSCALLER" ]; then
	for mode in pipe file; do
		snapshot_bpf
		# exit() from every event on the -c command: many exit records, one END
		start_bg "$mode" -c "$SYSCALLER -n 1000" -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
			@n = count(); exit(); } END { printf("end ran\n"); }'
		wait_bg
		check_way "exit() many times, $mode" 0 '^@n: [0-9]+$'

		# the -c command ends the trace: an exact count
		start_bg "$mode" -c "$SYSCALLER -n 1000" -e 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ {
			@n = count(); } END { printf("end ran\n"); }'
		wait_bg
		check_way "-c exits, $mode" 0 '^@n: 1000$'
		expect_eq "-c exits, $mode: whole output" "Attaching 2 probes...
end ran


@n: 1000" "$OUT"

		for sig in INT TERM; do
			start_bg "$mode" -e 'tracepoint:raw_syscalls:sys_enter { @n = count(); } END { printf("end ran\n"); }'
			wait_until 60 file_has "$TMP/out" '^Attaching'
			kill -"$sig" "$BG"
			wait_bg
			check_way "SIG$sig, $mode" 0 '^@n: [0-9]+$'
		done
		expect_nothing_left "every way out, $mode"
	done
else
	echo "SKIP: $SYSCALLER not built: exit paths with pipes and -o not checked"
fi

# exit() in BEGIN: END still runs once, no probe is attached
start_bg file -e 'BEGIN { exit(); } tracepoint:raw_syscalls:sys_enter { @n = count(); } END { printf("end ran\n"); }'
wait_bg
expect_eq "exit() in BEGIN: whole output" "Attaching 3 probes...
end ran


@n: 0" "$OUT"

# A closed output pipe ends the run: the -c command does not keep it alive
snapshot_bpf
"$SONDE" -c 'sleep 31.5' -e 'interval:ms:10 { printf("tick\n"); } END { printf("end ran\n"); }' \
	2>"$TMP/err" | head -n 2 >"$TMP/out"
RC=${PIPESTATUS[0]}
expect_eq "closed output pipe: exit code" 0 "$RC"
expect_eq "closed output pipe: what was read" "Attaching 2 probes...
tick" "$(cat "$TMP/out")"
expect_eq "closed output pipe: no error" "" "$(cat "$TMP/err")"
expect_eq "closed output pipe: no child left" "" "$(pgrep -f '^sleep 31.5$')"
expect_nothing_left "closed output pipe"
finish
