#!/usr/bin/env bash
# bench/uprobe_multi.sh - attaching a wildcard uprobe over many functions:
# one uprobe_multi link (sonde's default where the kernel has them) against
# one perf-event uprobe per function (SONDE_UPROBE_MULTI=0), and bpftrace
# 0.17 (single uprobes; 100 functions at most: it takes minutes). Run by hand as root:
#   bench/uprobe_multi.sh [SONDE] [N_FUNCTIONS...]     (build/sonde; 100 1000)
# Each number is the median wall time of ROUNDS (5) `--dry-run`s: compile,
# load, attach every function, detach, exit. No process runs the binary.
set -euo pipefail
SONDE=${1:-build/sonde}
shift || true
SIZES=${*:-100 1000}
ROUNDS=${ROUNDS:-5}
DIR=$(mktemp -d /tmp/sonde-umulti.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

median_ms() { # command...: the median wall time of ROUNDS runs, in ms
	local times=()
	for _ in $(seq "$ROUNDS"); do
		local t0 t1
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; echo "-"; return; }
		t1=$(date +%s%N)
		times+=($(((t1 - t0) / 1000000)))
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p"
}

printf '%-10s %16s %16s %16s\n' functions "uprobe_multi ms" "single ms" "bpftrace ms"
for n in $SIZES; do
	src=$DIR/f$n.c
	{
		for i in $(seq "$n"); do echo "__attribute__((noinline)) int f_$i(int x) { return x + $i; }"; done
		echo "int main(void) { return 0; }"
	} >"$src"
	cc -O0 -o "$DIR/f$n" "$src"
	prog="uprobe:$DIR/f$n:f_* { @ = count(); }"
	multi=$(SONDE_UPROBE_MULTI=1 median_ms "$SONDE" --dry-run -e "$prog")
	single=$(SONDE_UPROBE_MULTI=0 BPFTRACE_MAX_PROBES=100000 BPFTRACE_MAX_BPF_PROGS=100000 \
		median_ms "$SONDE" --dry-run -e "$prog")
	bt=-
	if command -v bpftrace >/dev/null && [ "$n" -le 100 ]; then
		bt=$(BPFTRACE_MAX_PROBES=100000 median_ms timeout 300 bpftrace -e "$prog BEGIN { exit(); }")
	fi
	printf '%-10s %16s %16s %16s\n' "$n" "$multi" "$single" "$bt"
done
