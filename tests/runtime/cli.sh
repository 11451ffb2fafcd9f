# The command line: program sources, output options, stages, positionals, -p.
. "$(dirname "$0")/lib.bash"

run_sonde -V
expect_match "-V prints the version" '^sonde [0-9]+\.[0-9]+\.[0-9]+ \(bpftrace v0\.17\.0 language' "$OUT"
run_sonde -h
expect_eq "-h exit code" 0 "$RC"
expect_match "-h shows usage" '^USAGE:' "$OUT"
run_sonde
expect_eq "no program: exit code" 1 "$RC"

run_sonde -e 'BEGIN { printf("hello %s %d\n", "world", 6 * 7); exit(); }'
expect_eq "-e hello" "Attaching 1 probe...
hello world 42" "$OUT"
expect_eq "-e hello exit code" 0 "$RC"

run_sonde -q -e 'BEGIN { printf("quiet\n"); exit(); }'
expect_eq "-q drops the Attaching line" "quiet" "$OUT"

printf 'BEGIN { printf("from stdin\\n"); exit(); }' | { OUT=$("$SONDE" -q - 2>&1); echo "$OUT" >"$TMP/stdin.out"; }
expect_eq "- reads stdin" "from stdin" "$(cat "$TMP/stdin.out")"

cat >"$TMP/script.bt" <<'BT'
#!/usr/bin/env sonde
// a script file with a #! line
BEGIN { printf("args %d %s %d\n", $#, $2, $1 + 1); exit(); }
BT
run_sonde -q "$TMP/script.bt" 41 two
expect_eq "script file with positionals" "args 2 two 42" "$OUT"
run_sonde "$TMP/script.bt" 41 -q two
expect_eq "options may follow the script (as in bpftrace)" "args 2 two 42" "$OUT"
run_sonde -q -e 'BEGIN { printf("%d %d\n", $1, $#); exit(); }' -- -5
expect_eq "-- then a negative positional" "-5 1" "$OUT"

run_sonde -q -o "$TMP/out.txt" -e 'BEGIN { printf("to file\n"); @x = 1; exit(); }'
expect_eq "-o leaves stdout empty" "" "$OUT"
expect_eq "-o writes the output" "to file


@x: 1" "$(cat "$TMP/out.txt")"

# A write error on the output (here a full disk) is reported and fails the
# run; a reader that goes away (EPIPE) is not an error (exit_paths.sh).
run_sonde -o /dev/full -e 'BEGIN { printf("x\n"); @x = 1; exit(); }'
expect_eq "-o on a full disk: exit code" 1 "$RC"
expect_eq "-o on a full disk: reported" "sonde: cannot write the output: No space left on device" "$ERR"
OUT=$(timeout -s INT 60 "$SONDE" -q -e 'BEGIN { printf("x\n"); exit(); }' 2>"$TMP/stderr" >/dev/full)
expect_eq "stdout on a full disk: exit code" 1 "$?"
expect_eq "stdout on a full disk: reported" "sonde: cannot write the output: No space left on device" "$(cat "$TMP/stderr")"

snapshot_bpf
run_sonde --emit-elf "$TMP/x.o" --emit-llvm "$TMP/x.ll" -e 'BEGIN { printf("ran\n"); exit(); }'
expect_eq "--emit-elf compiles only: nothing runs" "" "$OUT"
expect_nothing_left "--emit-elf"
# ELF magic, then e_machine (offset 18, little endian) = 247 (EM_BPF)
expect_eq "--emit-elf writes a BPF ELF" "7f 45 4c 46 247" "$(od -An -tx1 -N4 "$TMP/x.o" | xargs) $(od -An -tu2 -j18 -N2 "$TMP/x.o" | xargs)"
expect_match "--emit-llvm writes IR" 'define .*i64 @' "$(cat "$TMP/x.ll")"

# BPF has no unwinding: no .eh_frame that libbpf would skip (and say so under -v)
UNWIND='BEGIN { @x = 1; } tracepoint:syscalls:sys_enter_read { @r = count(); } interval:ms:10 { exit(); }'
run_sonde --emit-elf "$TMP/unwind.o" -e "$UNWIND"
expect_eq "--emit-elf: no .eh_frame section" 0 "$(grep -ac 'eh_frame' "$TMP/unwind.o")"
run_sonde -v -q -e "$UNWIND"
expect_eq "-v: libbpf skips no section" "" "$(grep 'skipping' <<<"$ERR")"

run_sonde -d ast -q -e 'BEGIN { @x = 1 + 2; exit(); }'
expect_match "-d ast dumps the tree" 'BEGIN' "$OUT"
run_sonde -d llvm -q -e 'BEGIN { @x = 1 + 2; exit(); }'
expect_match "-d llvm dumps IR" 'define .*i64 @' "$OUT"
run_sonde -d bpf -q -e 'BEGIN { @x = 1 + 2; exit(); }'
expect_match "-d bpf dumps BPF instructions" 'exit' "$OUT"

# -p: only events of that process are seen
sleep 30 &
victim=$!
run_sonde -q -p "$victim" -e 'tracepoint:raw_syscalls:sys_enter { @[pid] = count(); } interval:ms:300 { exit(); }'
kill "$victim"; wait "$victim" 2>/dev/null
others=$(grep -E '^@\[' <<<"$OUT" | grep -v "^@\[$victim\]" || true)
expect_eq "-p filters out other processes" "" "$others"

# -p of a process that does not exist: an error at once, as in bpftrace.
# No pid reaches pid_max (the largest is pid_max - 1). `timeout` only
# catches a hang (exit 124).
nopid=$(cat /proc/sys/kernel/pid_max)
snapshot_bpf
run_sonde -p "$nopid" -e 'BEGIN { printf("began\n"); }'
expect_eq "-p no such process: exit code" 1 "$RC"
expect_eq "-p no such process: the error" "sonde: -p: there is no process $nopid" "$ERR"
expect_eq "-p no such process: nothing runs" "" "$OUT"
expect_nothing_left "-p no such process"
if command -v bpftrace >/dev/null; then
	timeout -s INT 60 bpftrace -p "$nopid" -e 'BEGIN { printf("began\n"); }' >/dev/null 2>&1
	expect_eq "-p no such process: bpftrace's exit code too" 1 "$?"
fi

# cpid and -c
run_sonde -q -c 'dd if=/dev/zero of=/dev/null bs=1 count=100 status=none' -e 'tracepoint:syscalls:sys_enter_write /pid == cpid/ { @writes = count(); }'
expect_eq "-c with cpid counts the child's writes" "

@writes: 100" "$OUT"

# sonde does not see itself (other sonde processes may run: key by pid)
"$SONDE" -q -e 'tracepoint:raw_syscalls:sys_enter /comm == "sonde"/ { @self[pid] = count(); } interval:ms:300 { exit(); }' >"$TMP/self.out" 2>&1 &
self=$!
wait "$self"
expect_eq "sonde's own syscalls are filtered" "" "$(grep -F "@self[$self]" "$TMP/self.out")"
# bpftrace's long options
run_sonde --quiet --output "$TMP/long.txt" -e 'BEGIN { printf("long\n"); exit(); }'
expect_eq "--quiet --output write the file" "long" "$(head -1 "$TMP/long.txt")"
run_sonde --quiet --cmd 'dd if=/dev/zero of=/dev/null bs=1 count=7 status=none' -e 'tracepoint:syscalls:sys_enter_write /pid == cpid/ { @w = count(); }'
expect_eq "--cmd runs the child" "@w: 7" "$(grep '^@w' <<<"$OUT")"

# --probe-filter: a subset of the probes; BEGIN and END always run
run_sonde -q --probe-filter ':200$' -e 'BEGIN { printf("begin\n"); } interval:ms:100 { printf("bad\n"); exit(); }
	interval:ms:200 { printf("hit\n"); exit(); } END { printf("end\n"); }'
expect_eq "--probe-filter keeps the matching probe, BEGIN and END" "begin
hit
end" "$(grep . <<<"$OUT")"
# The 300 ms probe exits on its third firing, so the 200 ms one has fired by then even on a
# loaded machine (a first-firing exit lost "a" once under CI load).
run_sonde -q --probe-filter 'interval:ms:(200|300)' -e 'interval:ms:100 { printf("bad\n"); exit(); }
	interval:ms:200 { printf("a\n"); }
	interval:ms:300 { @n300++; if (@n300 == 3) { printf("b\n"); exit(); } }'
expect_eq "--probe-filter is an extended regex" "a
b" "$(grep -xE 'a|b|bad' <<<"$OUT" | uniq)"
run_sonde --probe-filter 'nothing_matches' -e 'interval:ms:100 { exit(); }'
expect_eq "--probe-filter matching nothing: exit code" 1 "$RC"
expect_match "--probe-filter matching nothing: the error" "no probes to attach: --probe-filter matches none" "$ERR"
run_sonde --probe-filter '[unclosed' -e 'interval:ms:100 { exit(); }'
expect_eq "--probe-filter bad regex: exit code" 1 "$RC"
expect_match "--probe-filter bad regex: the error" "^sonde: invalid --probe-filter regex '\[unclosed'" "$ERR"
# --no-warnings: compile-time warnings and warnf() say nothing
run_sonde -e '#warning careful
BEGIN { warnf("w %d", 1); exit(); }'
expect_match "warnings are shown" "warning: #warning careful" "$ERR"
expect_match "warnf is shown" "WARNING: w 1" "$ERR"
run_sonde --no-warnings -e '#warning careful
BEGIN { warnf("w %d", 1); exit(); }'
expect_eq "--no-warnings: no warning at all" "" "$ERR"
# bpftrace's test hook: a line once every probe is attached
__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 run_sonde -e 'BEGIN { printf("begin\n"); } interval:ms:50 { printf("tick\n"); exit(); }'
expect_eq "__BPFTRACE_NOTIFY_PROBES_ATTACHED: the line after attaching, BEGIN's output after it" "Attaching 2 probes...
__BPFTRACE_NOTIFY_PROBES_ATTACHED
begin
tick" "$(grep . <<<"$OUT")"
run_sonde -e 'interval:ms:50 { exit(); }'
expect_eq "no such line without the variable" "Attaching 1 probe..." "$(grep . <<<"$OUT")"
finish
