#!/bin/bash
# prog_time.sh - BPF program run time per event, from the kernel's BPF
# statistics (kernel.bpf_stats_enabled, turned on for the run and off after:
# it slows every BPF program on the machine a little while on), for the
# overhead scripts of run.sh: the reference, sonde with SONDE_BTF_LOADS=0
# (every kernel read through a helper) and sonde, attached at once to
# raw_syscalls:sys_enter while loadgen runs. Measures the programs alone,
# not the dispatch, and is little disturbed by other load.
#
# Usage (root): bench/prog_time.sh SONDE BIN
#   BIN: the bin directory of a bench/run.sh result ($OUT/bin: loader,
#   loadgen and the reference objects). SCRIPTS, CALLS as below.
NEW=${1:?usage: prog_time.sh SONDE BIN}; BIN=${2:?usage: prog_time.sh SONDE BIN}; CALLS=${CALLS:-2000000}
declare -A S=([comm]='tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
 [pid]='tracepoint:raw_syscalls:sys_enter { @[pid] = count(); }'
 [hist]='tracepoint:raw_syscalls:sys_enter /pid == PID/ { @ = hist(nsecs & 0xff); }'
 [chain]='tracepoint:raw_syscalls:sys_enter { @[curtask->real_parent->tgid] = count(); }')
declare -A R=([comm]=count_comm.bpf.o [pid]=count_pid.bpf.o [hist]=hist_pid.bpf.o [chain]=count_ppid_chain.bpf.o)
sysctl -qw kernel.bpf_stats_enabled=1
for s in ${SCRIPTS:-comm pid hist chain}; do
  coproc LG { $BIN/loadgen -w -n $CALLS getppid:0 getppid:1; }
  read -r _ LPID <&"${LG[0]}"
  prog=${S[$s]//PID/$LPID}
  arg=; [ $s = hist ] && arg=$LPID
  base=$(bpftool prog show -j | python3 -c "import json,sys; print(max([p['id'] for p in json.load(sys.stdin)]+[0]))")
  $BIN/loader $BIN/${R[$s]} $arg >/tmp/f13s.ref 2>&1 & P1=$!
  sleep 1.5
  env SONDE_BTF_LOADS=0 $NEW --no-cache -q -e "$prog" >/dev/null 2>&1 & P2=$!
  sleep 1.5
  $NEW --no-cache -q -e "$prog" >/dev/null 2>&1 & P3=$!
  sleep 2
  echo go >&"${LG[1]}"
  wait $LG_PID 2>/dev/null
  bpftool prog show -j > /tmp/f13s.json
  python3 - "$s" $base <<'PY'
import json,sys
name=sys.argv[1]; base=int(sys.argv[2])
out={}
ps=sorted([p for p in json.load(open('/tmp/f13s.json')) if p['id']>base and p.get('run_cnt',0)>0], key=lambda p:p['id'])
sonde=[p for p in ps if p['name'].startswith('raw_sys')]
refs=[p for p in ps if not p['name'].startswith('raw_sys')]
if refs: out['ref']=refs[0]['run_time_ns']/refs[0]['run_cnt']
if len(sonde)>=2:
    out['old']=sonde[0]['run_time_ns']/sonde[0]['run_cnt']; out['new']=sonde[1]['run_time_ns']/sonde[1]['run_cnt']
r=out.get('ref')
print(name, " ".join("%s %.1f ns (%.2fx)"%({"old":"sonde_helpers","new":"sonde"}.get(k,k),out[k],out[k]/r) for k in ["ref","old","new"] if k in out))
PY
  kill -INT $P1 $P2 $P3; wait $P1 $P2 $P3 2>/dev/null
done
sysctl -qw kernel.bpf_stats_enabled=0
