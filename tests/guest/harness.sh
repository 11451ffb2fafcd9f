#!/usr/bin/env bash
# The guest harness itself (run-in-guest.sh), in one boot: the command's exit
# status and output come back exactly, it runs as root in the caller's cwd
# (shared read-write), the host's / is there read-only with a throw-away
# overlay, and the file systems the tracers need are mounted. Then the
# guest kernel really has what the guest tests are for: kprobes, BTF.
set -u
RUN=$(cd "$(dirname "$0")" && pwd)/run-in-guest.sh
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: guest tests boot a QEMU guest and need root"
	exit 77
fi
if ! why=$("$RUN" --check 2>&1); then
	if [ "${SONDE_GUEST_REQUIRE:-0}" = 1 ]; then
		echo "FAIL: no guest, and SONDE_GUEST_REQUIRE=1: $why"
		exit 1
	fi
	echo "SKIP: no guest kernel: $why"
	exit 77
fi

FAILS=0
ok() { echo "ok - $1"; }
bad() { FAILS=$((FAILS + 1)); echo "FAIL - $1"; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/guest-harness.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
# A host file under /tmp outside the cwd (CI may clone and build under
# /tmp): the guest must see it.
VISIBLE=$(mktemp "${TMPDIR:-/tmp}/guest-visible.XXXXXX")
trap 'rm -rf "$WORK" "$VISIBLE"' EXIT
echo "from the host" >"$VISIBLE"
export VISIBLE

# Everything inside one boot prints key=value lines; the host compares.
out=$(SONDE_GUEST_ENV=VISIBLE "$RUN" --timeout 300 -- bash -c '
	echo "argv=$#:$0|$1|$2"
	echo "uid=$(id -u)"
	echo "cwd=$PWD"
	echo "written" >from-guest.txt
	touch /etc/sonde-guest-probe && echo "etc=writable"
	for fs in /sys/kernel/tracing:tracefs /sys/kernel/debug:debugfs /sys/fs/bpf:bpf /run:tmpfs; do
		grep -q " ${fs%%:*} ${fs#*:} " /proc/mounts && echo "mount=${fs#*:}"
	done
	echo "visible=$(cat "$VISIBLE")"
	[ -e /sys/kernel/debug/kprobes/blacklist ] && echo "kprobes=yes"
	[ -e /sys/kernel/btf/vmlinux ] && echo "btf=yes"
	printf "last line without newline"
	exit 3
' guest-arg 'a b' "it's \$HOME")
rc=$?
[ "$rc" = 3 ] && ok "exit status comes back" || bad "exit status: want 3, got $rc"
expect_line() {
	if grep -qxF -- "$1" <<<"$out"; then ok "$2"; else bad "$2: no line '$1' in:"; sed 's/^/    /' <<<"$out"; fi
}
expect_line "argv=2:guest-arg|a b|it's \$HOME" "argv round-trips exactly"
expect_line "uid=0" "runs as root"
expect_line "cwd=$WORK" "runs in the caller's cwd"
expect_line "etc=writable" "the root is writable (overlay)"
for fs in tracefs debugfs bpf tmpfs; do expect_line "mount=$fs" "$fs is mounted"; done
expect_line "visible=from the host" "a host file under /tmp is visible in the guest"
expect_line "kprobes=yes" "the guest kernel has kprobes"
expect_line "btf=yes" "the guest kernel has BTF"
[[ $out == *"last line without newline" ]] && ok "a last line without newline is kept" || bad "last line: $(tail -c 60 <<<"$out")"
[ "$(cat from-guest.txt 2>/dev/null)" = written ] && ok "cwd is shared read-write" || bad "from-guest.txt did not reach the host"
[ ! -e /etc/sonde-guest-probe ] && ok "the overlay does not leak to the host" || bad "/etc/sonde-guest-probe leaked to the host"

# A command that outlives --timeout is killed: 124.
start=$(date +%s)
"$RUN" --timeout 45 -- sleep 1000 >/dev/null 2>&1
rc=$?
[ "$rc" = 124 ] && ok "timeout gives 124 (after $(($(date +%s) - start)) s)" || bad "timeout: want 124, got $rc"

[ "$FAILS" = 0 ] && echo "all passed" || echo "$FAILS failed"
[ "$FAILS" = 0 ]
