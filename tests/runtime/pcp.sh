#!/usr/bin/env bash
# PCP: sonde as the bpftrace that Performance Co-Pilot's bpftrace agent
# (pmdabpftrace, Debian's pcp) runs. The test starts its own pmcd (a private
# configuration, port and socket: the machine's PCP setup is not touched)
# with pmdabpftrace configured to run sonde, registers one script from the
# agent's autostart directory and one with pmstore, runs a known workload
# and reads the counts back with pminfo and pmval. The agent checks
# `bpftrace --version`, lists tracepoints with `bpftrace -l`, feeds the
# script on stdin to `bpftrace -f json -`, parses the JSON stream (maps,
# hists, printf) and stops a script with SIGINT.
. "$(dirname "$0")/lib.bash"

PCP_BIN=/usr/lib/pcp/bin
AGENT=/usr/lib/pcp/pmdas/bpftrace
# The agent is Python; PCP's bindings are in Debian's python3, whatever
# python3 comes first on PATH.
PYTHON=/usr/bin/python3
if [ ! -x "$PCP_BIN/pmcd" ] || [ ! -e "$AGENT/pmdabpftrace.python" ] || ! command -v pmstore >/dev/null; then
	echo "SKIP: PCP with its bpftrace agent is not installed (Debian package pcp)"
	exit 77
fi
if ! "$PYTHON" -c 'from pcp import pmda' 2>/dev/null; then
	echo "SKIP: $PYTHON cannot import PCP's Python bindings (python3-pcp)"
	exit 77
fi
SONDE=$(realpath "$SONDE")

# ---- a private PCP: its own agent directory, configuration, port, socket ----
# libpcp takes these from the environment before /etc/pcp.conf.
P=$TMP/pcp
mkdir -p "$P/pmdas/bpftrace/autostart" "$P/etc/bpftrace/autostart" "$P/run" "$P/log" "$P/tmp"
chmod 755 "$TMP" "$P" "$P/pmdas" "$P/pmdas/bpftrace" "$P/pmdas/bpftrace/autostart" \
	"$P/etc" "$P/etc/bpftrace" "$P/etc/bpftrace/autostart"
ln -s "$AGENT/pmdabpftrace.python" "$AGENT/bpftrace" "$P/pmdas/bpftrace/"
cat >"$P/pmdas/bpftrace/bpftrace.conf" <<EOF
[bpftrace]
bpftrace_path = $SONDE
script_expiry_time = 600
max_throughput = 2097152

[dynamic_scripts]
enabled = true
auth_enabled = false
EOF
echo "bpftrace 151 pipe binary $PYTHON $P/pmdas/bpftrace/pmdabpftrace.python" >"$P/pmcd.conf"
printf 'root {\n    bpftrace 151:*:*\n}\n' >"$P/root.pmns"
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PCP_PMDAS_DIR=$P/pmdas PCP_SYSCONF_DIR=$P/etc PCP_RUN_DIR=$P/run PCP_LOG_DIR=$P/log \
	PCP_TMP_DIR=$P/tmp PCP_PYTHON_PROG=$PYTHON PMCD_PORT=$PORT PMCD_SOCKET=$P/run/pmcd.socket
H=(-h local:) # clients talk to this pmcd over its unix socket

# dd under a name nothing else on the machine has: comm filters it exactly.
DD=$TMP/spcp_dd
cp "$(command -v dd)" "$DD"
workload() { "$DD" bs="$1" count="$2" </dev/zero >/dev/null 2>&1; }

# A script written for bpftrace 0.17 (args->), as pmdabpftrace users have them.
cat >"$P/pmdas/bpftrace/autostart/auto.bt" <<'EOF'
tracepoint:syscalls:sys_enter_read /comm == "spcp_dd" && args->fd == 0/ { @reads = count(); }
EOF
chmod 644 "$P/pmdas/bpftrace/autostart/auto.bt"
DYN='// name: dyn
BEGIN { printf("sonde under pmdabpftrace\n"); }
tracepoint:syscalls:sys_enter_read /comm == "spcp_dd" && args->fd == 0/ {
	@reads = count(); @by_size[args->count] = count(); @sz = hist(args->count);
}'

snapshot_bpf
# -U root: pmcd would switch to the pcp user, which cannot enter $TMP;
# -i: listen on loopback only.
(cd "$P/log" && exec "$PCP_BIN/pmcd" -f -U root -c "$P/pmcd.conf" -n "$P/root.pmns" -i 127.0.0.1 \
	-p "$PORT" -s "$PMCD_SOCKET" -l "$P/log/pmcd.log" </dev/null >"$P/log/pmcd.out" 2>&1) &
PMCD=$!
stop_pmcd() {
	kill -TERM "$PMCD" 2>/dev/null
	wait "$PMCD" 2>/dev/null
}
trap 'stop_pmcd; rm -rf "$TMP"' EXIT
show_logs() { tail -n 30 "$P/log/pmcd.log" "$P/log/bpftrace.log" 2>/dev/null | sed 's/^/    /'; }

# value METRIC [INSTANCE]: the metric's value (of one instance) from pminfo -f
value() {
	pminfo "${H[@]}" -f "$1" 2>/dev/null | awk -v inst="${2-}" '
		inst == "" && $1 == "value" { sub(/^ *value /, ""); print; exit }
		inst != "" && index($0, "or \"" inst "\"]") { sub(/.* value /, ""); print; exit }'
}
value_is() { [ "$(value "$1" "${3-}")" = "$2" ]; }

if ! wait_until 30 value_is bpftrace.control.register '"{}"'; then
	fail "pmcd starts pmdabpftrace with sonde as its bpftrace"
	show_logs
	finish
fi
pass "pmcd starts pmdabpftrace with sonde as its bpftrace"
expect_match "the agent reads sonde's --version as the latest bpftrace" \
	"unrecognized bpftrace version [0-9.]+ \\(bpftrace v0\\.17\\.0 language.*\\), assuming latest" \
	"$(cat "$P/log/bpftrace.log")"
expect_match "bpftrace.info.tracepoints comes from sonde -l" \
	'tracepoint:syscalls:sys_enter_read' "$(value bpftrace.info.tracepoints)"

OUT=$(pmstore "${H[@]}" bpftrace.control.register "$DYN" 2>&1)
expect_match "pmstore registers a script" 'new value="// name: dyn' "$OUT"

for script in auto:2 dyn:3; do
	name=${script%:*}
	if ! wait_until 30 value_is "bpftrace.scripts.$name.probes" "${script#*:}"; then
		fail "script $name started (probes: '$(value "bpftrace.scripts.$name.probes")')"
		pminfo "${H[@]}" -f "bpftrace.scripts.$name" | sed 's/^/    /'
		show_logs
		finish
	fi
	pass "script $name: sonde attached its ${script#*:} probes (with the agent's interval probe)"
	expect_eq "script $name: status" '"started"' "$(value "bpftrace.scripts.$name.status")"
done
expect_eq "printf output" '    value "sonde under pmdabpftrace
"' "$(pminfo "${H[@]}" -f bpftrace.scripts.dyn.data.output | grep -A1 value)"

workload 512 5
workload 3000 2
# The agent appends print() of every map each second; wait for one after the workload.
if wait_until 15 value_is bpftrace.scripts.dyn.data.reads 7; then
	pass "pminfo: bpftrace.scripts.dyn.data.reads is 7"
else
	fail "pminfo: bpftrace.scripts.dyn.data.reads is 7 (got '$(value bpftrace.scripts.dyn.data.reads)')"
fi
wait_until 15 value_is bpftrace.scripts.auto.data.reads 7
expect_eq "autostart script: reads" 7 "$(value bpftrace.scripts.auto.data.reads)"
expect_eq "keyed map as instances" "5 2" \
	"$(value bpftrace.scripts.dyn.data.by_size 512) $(value bpftrace.scripts.dyn.data.by_size 3000)"
expect_eq "hist buckets as instances" "5 2 0" \
	"$(value bpftrace.scripts.dyn.data.sz 512-1023) $(value bpftrace.scripts.dyn.data.sz 2048-4095) $(value bpftrace.scripts.dyn.data.sz 1024-2047)"
OUT=$(pmval "${H[@]}" -r -s 2 -t 0.5 bpftrace.scripts.dyn.data.reads 2>&1)
expect_match "pmval reads the counter" 'metric: +bpftrace\.scripts\.dyn\.data\.reads' "$OUT"
expect_eq "pmval -r: the count twice" "7
7" "$(grep -E '^ +[0-9]+ *$' <<<"$OUT" | tr -d ' ')"
echo "$OUT" | sed 's/^/    pmval: /'
pminfo "${H[@]}" -f bpftrace.scripts.dyn.data.reads bpftrace.scripts.dyn.data.by_size | sed 's/^/    pminfo: /'

# Deregistering stops the script with SIGINT; sonde prints its maps and exits.
# (Debian 12's agent then raises in its own stop code under Python 3.11,
# after the signal was sent: see the bpftrace.log; sonde has exited anyway.)
SPID=$(value bpftrace.scripts.dyn.pid)
pmstore "${H[@]}" bpftrace.control.deregister dyn >/dev/null 2>&1
if wait_until 10 process_gone "$SPID"; then
	pass "deregister: sonde (pid $SPID) stopped on SIGINT"
else
	fail "deregister: sonde (pid $SPID) stopped on SIGINT"
fi
APID=$(value bpftrace.scripts.auto.pid)
stop_pmcd
if wait_until 10 process_gone "$APID"; then
	pass "pmcd stopped: the autostart script's sonde (pid $APID) is gone"
else
	fail "pmcd stopped: the autostart script's sonde (pid $APID) is gone"
	show_logs
fi
expect_nothing_left "pmcd stopped"
finish
