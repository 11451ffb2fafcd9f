# tracepoint:CAT:EVENT probes whose actions never read the record run as
# raw tracepoint programs on the same tracepoint (probes/tracepoint.c,
# tracepoint_choose_impl): the program type and link say so, while counts,
# `probe` names (a program shared by several tracepoints picks its name by
# the link's cookie, Linux 6.10) and output are exactly what the
# perf-event path prints (SONDE_TRACEPOINT_RAW=0). Actions that read
# `args` or a stack keep the perf-event program; =nocookie is the
# fallback of kernels whose raw tracepoint links have no cookie.
. "$(dirname "$0")/lib.bash"

if ! command -v bpftool >/dev/null; then
	echo "SKIP: bpftool not installed"
	exit 77
fi
snapshot_bpf

# prog_of SCRIPT PROBE [ENV...]: "TYPE ID" of the program PROBE is attached with.
prog_of() {
	local script=$1 probe=$2 id type
	shift 2
	env "$@" "$SONDE" -v -e "$script interval:s:120 { exit(); }" >/dev/null 2>"$TMP/type.err" &
	local tracer=$!
	wait_until 100 file_has "$TMP/type.err" "attached $probe "
	id=$(sed -nE "s/^sonde: attached $probe \\(program id ([0-9]+)\\)$/\\1/p" "$TMP/type.err")
	type=$(bpftool prog show id "${id:-0}" 2>/dev/null | sed -nE 's/^[0-9]+: ([a-z_]+) .*/\1/p' | head -1)
	bpftool link list >"$TMP/links" 2>/dev/null
	kill -INT "$tracer"
	wait "$tracer"
	echo "$type $id"
}

# ---- which program type ---------------------------------------------------

got=$(prog_of 't:sched:sched_switch { @ = count(); }' tracepoint:sched:sched_switch)
expect_eq "a body without args runs as a raw tracepoint" raw_tracepoint "${got% *}"
expect_match "its link is on the tracepoint sched_switch" "tp 'sched_switch'" \
	"$(grep -A1 -E "prog ${got#* } *\$" "$TMP/links")"
got=$(prog_of 't:sched:sched_switch { @ = count(); }' tracepoint:sched:sched_switch SONDE_TRACEPOINT_RAW=0)
expect_eq "SONDE_TRACEPOINT_RAW=0 keeps the perf-event tracepoint" tracepoint "${got% *}"
got=$(prog_of 't:sched:sched_switch { @[args.prev_pid > 0] = count(); }' tracepoint:sched:sched_switch)
expect_eq "reading args keeps the perf-event tracepoint" tracepoint "${got% *}"
got=$(prog_of 't:sched:sched_switch { @[kstack] = count(); }' tracepoint:sched:sched_switch)
expect_eq "kstack keeps the perf-event tracepoint" tracepoint "${got% *}"
got=$(prog_of 't:sched:sched_switch { @[ustack] = count(); }' tracepoint:sched:sched_switch)
expect_eq "ustack keeps the perf-event tracepoint" tracepoint "${got% *}"
both='t:sched:sched_process_exec, t:sched:sched_process_exit { @[probe] = count(); }'
got=$(prog_of "$both" tracepoint:sched:sched_process_exit)
exit_id=${got#* }
expect_eq "a shared program reading probe runs as a raw tracepoint" raw_tracepoint "${got% *}"
links=$(grep -A1 -E "prog $exit_id *\$" "$TMP/links")
expect_match "one link on sched_process_exec" "tp 'sched_process_exec'" "$links"
expect_match "one link on sched_process_exit" "tp 'sched_process_exit'" "$links"
got=$(prog_of "$both" tracepoint:sched:sched_process_exit SONDE_TRACEPOINT_RAW=nocookie)
expect_eq "without raw tracepoint cookies it stays a perf-event tracepoint" tracepoint "${got% *}"

# ---- the same counts and names every way -----------------------------------

# A program of its own name runs 5 times under -c: 5 execs and 5 exits
# whose comm is that name, whichever way the probes are attached.
cp /bin/true "$TMP/rawtptrue"
printf '#!/bin/sh\nfor i in 1 2 3 4 5; do %s; done\n' "$TMP/rawtptrue" >"$TMP/five.sh"
chmod +x "$TMP/five.sh"
script='t:sched:sched_process_exec, t:sched:sched_process_exit /comm == "rawtptrue"/ { @[probe] = count(); }
t:sched:sched_process_fork /pid == cpid/ { @forks = count(); }
t:signal:signal_deliver /comm == "nosuchcomm"/ { @none = count(); }'
expected='Attaching 4 probes...


@[tracepoint:sched:sched_process_exec]: 5
@[tracepoint:sched:sched_process_exit]: 5
@forks: 5
@none: 0'
for mode in 1 0 nocookie; do
	SONDE_TRACEPOINT_RAW=$mode run_sonde -c "$TMP/five.sh" -e "$script"
	expect_eq "SONDE_TRACEPOINT_RAW=$mode: exact counts and probe names" "$expected" "$OUT"
	expect_eq "SONDE_TRACEPOINT_RAW=$mode: exit code" 0 "$RC"
done

# A wildcard over a category: one program per tracepoint, named as before,
# listed as before.
run_sonde -e 't:sched:sched_process_f* { @[probe] = count(); } interval:ms:50 { exit(); }'
expect_match "a wildcard's probes keep their names" '^Attaching 3 probes\.\.\.$' "$OUT"
expect_eq "-l is unchanged" "$(SONDE_TRACEPOINT_RAW=0 "$SONDE" -l 'tracepoint:sched:sched_process_f*')" \
	"$("$SONDE" -l 'tracepoint:sched:sched_process_f*')"

expect_nothing_left "raw tracepoints"
finish
