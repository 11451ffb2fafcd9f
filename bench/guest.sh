#!/usr/bin/env bash
# guest.sh - run bench parts inside Debian 12's stock kernel under QEMU
# (tests/guest/run-in-guest.sh), for what this machine's kernel cannot do:
# the `kprobe` part (kprobe vs fentry per-event overhead and attach time).
#
#   bench/guest.sh [SONDE_BINARY] [PART...]     # default: build/sonde kprobe
#
# Under TCG (software emulation) absolute times are meaningless: read the
# ratios, which compare tools in the same run. The summary goes to $OUT
# (default ./bench-guest.DATE, in the current directory because that is
# the one directory the guest writes through to the host).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
args=()
for arg in "$@"; do
	if [ -e "$arg" ]; then args+=("$(realpath "$arg")"); else args+=("$arg"); fi
done
[ ${#args[@]} -gt 0 ] || args=("$here/../build/sonde" kprobe)
[ -e "${args[0]}" ] || args=("$here/../build/sonde" "${args[@]}")
: "${OUT:=$PWD/bench-guest.$(date +%Y%m%d-%H%M%S)}"
export OUT
mkdir -p "$OUT"
SONDE_GUEST_ENV="${SONDE_GUEST_ENV:-} OUT KPROBE_ROUNDS KPROBE_CALLS KPROBE_SLICES ATTACH_ROUNDS TOOLS CPUS" \
	"$here/../tests/guest/run-in-guest.sh" --timeout "${BENCH_GUEST_TIMEOUT:-5400}" -- \
	bash "$here/run.sh" "${args[@]}"
