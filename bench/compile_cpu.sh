#!/usr/bin/env bash
# compile_cpu.sh - CPU time (user + system) and wall of compiling scripts,
# tools interleaved, medians. CPU is what a loaded machine disturbs least.
#
#   bench/compile_cpu.sh ROUNDS "SCRIPT..." TOOL...
#   e.g. bench/compile_cpu.sh 5 "/tmp/scale1000.bt" bpftrace build/sonde
#
# Each run: TOOL --emit-elf FILE SCRIPT (bpftrace 0.17's --emit-elf is a dry
# run; sonde writes the object and exits), without sonde's compile cache.
# bench/run.sh writes the scripts (OUT=DIR ... compile|scale: DIR/probesN.bt,
# DIR/scaleN.bt).
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,11p' "$0"; exit 2; }
rounds=$1 scripts=$2
shift 2
export SONDE_NO_CACHE=1 BPFTRACE_MAX_PROBES=${BPFTRACE_MAX_PROBES:-5000} BPFTRACE_MAX_BPF_PROGS=${BPFTRACE_MAX_BPF_PROGS:-5000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$rounds"); do
	for s in $scripts; do
		for t in "$@"; do
			/usr/bin/time -f "%U %S %e" -o "$tmp/t" "$t" --emit-elf "$tmp/x.o" "$s" >/dev/null 2>&1 || true
			read -r u sy e <"$tmp/t"
			echo "$t $s $(awk -v u="$u" -v s="$sy" 'BEGIN { print u + s }') $e" >>"$tmp/raw"
		done
	done
done
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-40s %-30s %8s %8s\n' script tool 'CPU s' 'wall s'
for s in $scripts; do
	for t in "$@"; do
		cpu=$(awk -v t="$t" -v s="$s" '$1 == t && $2 == s { print $3 }' "$tmp/raw" | median)
		wall=$(awk -v t="$t" -v s="$s" '$1 == t && $2 == s { print $4 }' "$tmp/raw" | median)
		printf '%-40s %-30s %8s %8s\n' "$(basename "$s")" "$t" "$cpu" "$wall"
	done
done
