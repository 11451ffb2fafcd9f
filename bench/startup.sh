#!/usr/bin/env bash
# startup.sh - wall time and peak RSS of `BEGIN { exit(); }`, sonde vs bpftrace,
# interleaved (A B A B ...) so machine drift hits both alike. Run as root.
# Usage: bench/startup.sh [SONDE_BINARY] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sonde=${1:-$here/../build/sonde}
rounds=${2:-10}
runstat=$(mktemp /tmp/runstat.XXXXXX)
trap 'rm -f "$runstat"' EXIT
cc -O2 -o "$runstat" "$here/runstat.c"

prog='BEGIN { exit(); }'
: >/tmp/startup.sonde; : >/tmp/startup.bpftrace
for _ in $(seq "$rounds"); do
	"$runstat" 1 "$sonde" -e "$prog" >>/tmp/startup.sonde
	"$runstat" 1 bpftrace -e "$prog" >>/tmp/startup.bpftrace
done
summarise() {
	local ms rss
	ms=$(sed -E 's/.*median_ms=([0-9.]+).*/\1/' "$2" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	rss=$(sed -E 's/.*max_rss_kb=([0-9]+).*/\1/' "$2" | sort -n | tail -1)
	printf '%-10s %10s ms %10s KiB\n' "$1" "$ms" "$rss"
	eval "$3_ms=$ms; $3_rss=$rss"
}
printf '%-10s %13s %14s\n' tool "median wall" "peak RSS"
summarise sonde /tmp/startup.sonde s
summarise bpftrace /tmp/startup.bpftrace b
awk -v a="$s_ms" -v b="$b_ms" -v c="$s_rss" -v d="$b_rss" \
	'BEGIN { printf "ratio      %10.3f x  %10.3f x   (sonde / bpftrace)\n", a / b, c / d }'
