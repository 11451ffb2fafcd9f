#!/usr/bin/env bash
# The container image (Containerfile, container/entrypoint.sh) runs sonde as
# kubectl-trace runs bpftrace: the script as the only argument, SIGINT (or
# SIGTERM, a pod's deletion) to stop and print the maps. Building the image
# needs a base image this machine cannot fetch, so this runs the same
# command lines outside a container: the image's entry point and its
# /bin/bpftrace name (what kubectl-trace's trace-runner executes), each with
# a script file, no terminal, and the image's stop signal.
. "$(dirname "$0")/lib.bash"

CONTAINERFILE=$SRCDIR/Containerfile
ENTRY=$SRCDIR/container/entrypoint.sh
SONDE=$(realpath "$SONDE")

# ---- the image's definition ----------------------------------------------------
expect_match "Containerfile: the entry point is container/entrypoint.sh" \
	'^ENTRYPOINT \["/usr/local/bin/entrypoint.sh"\]$' "$(cat "$CONTAINERFILE")"
expect_match "Containerfile: it installs the entry point next to sonde" \
	'install .*/build/sonde .*/src/container/entrypoint.sh -t /out/usr/local/bin' "$(cat "$CONTAINERFILE")"
expect_match "Containerfile: /bin/bpftrace is sonde" 'ln -s /usr/local/bin/sonde /bin/bpftrace' "$(cat "$CONTAINERFILE")"
STOP=$(sed -nE 's/^STOPSIGNAL (SIG[A-Z]+)$/\1/p' "$CONTAINERFILE")
expect_eq "Containerfile: the stop signal is SIGINT" SIGINT "$STOP"

# ---- the image's layout, outside a container -------------------------------------
ROOT=$TMP/image/usr/local/bin
mkdir -p "$ROOT" "$TMP/image/bin"
cp "$ENTRY" "$ROOT/entrypoint.sh"
ln -s "$SONDE" "$ROOT/sonde"
ln -s "$ROOT/sonde" "$TMP/image/bin/bpftrace"

# dd under a name nothing else on the machine has: comm filters it exactly.
DD=$TMP/scontainer_dd
cp "$(command -v dd)" "$DD"
cat >"$TMP/program.bt" <<'EOF'
BEGIN { printf("tracing\n"); }
tracepoint:syscalls:sys_enter_read /comm == "scontainer_dd" && args->fd == 0/ { @reads = count(); @bytes = sum(args->count); }
EOF

# trace NAME SIGNAL COMMAND...: COMMAND program.bt in the background (stdin
# not a terminal, as in a pod), a known workload once it traces, then
# SIGNAL; checks the exit status and the maps it printed.
trace() {
	local name=$1 sig=$2
	shift 2
	snapshot_bpf
	# (BEGIN runs before the other probes are attached: the test waits for
	# bpftrace's test hook, which says when they are, and drops its line)
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "$@" "$TMP/program.bt" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
	local pid=$!
	if ! wait_until 60 file_has "$TMP/$name.out" '^__BPFTRACE_NOTIFY_PROBES_ATTACHED$'; then
		fail "$name: starts tracing"
		cat "$TMP/$name.err"
		kill -KILL "$pid" 2>/dev/null
		return
	fi
	"$DD" bs=100 count=4 </dev/zero >/dev/null 2>&1
	kill "-${sig#SIG}" "$pid"
	local rc=0
	wait "$pid" || rc=$?
	expect_eq "$name: $sig stops it, exit 0" 0 "$rc"
	expect_eq "$name: the maps are printed at exit" "Attaching 2 probes...
tracing


@bytes: 400
@reads: 4" "$(grep -v '^__BPFTRACE_NOTIFY_PROBES_ATTACHED$' "$TMP/$name.out")"
	expect_nothing_left "$name"
}

trace entrypoint "$STOP" "$ROOT/entrypoint.sh"
trace bpftrace-name "$STOP" "$TMP/image/bin/bpftrace"
trace pod-deletion SIGTERM "$ROOT/entrypoint.sh"
finish
