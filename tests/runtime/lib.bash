# lib.bash - shared helpers for runtime tests (sourced, not run).
#
# Each test is `bash tests/runtime/NAME.sh SONDE_BINARY SOURCE_DIR`; it loads
# real BPF on this kernel and compares exact output. Exit 0 = pass,
# 1 = fail, 77 = skipped (the reason is printed).
set -u
SONDE=${1:?usage: test.sh SONDE_BINARY SOURCE_DIR}
SRCDIR=${2:?usage: test.sh SONDE_BINARY SOURCE_DIR}
TMP=$(mktemp -d /tmp/sonde-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
PASSES=0

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: runtime tests load BPF programs and need root"
	exit 77
fi
if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi

pass() { PASSES=$((PASSES + 1)); echo "ok - $1"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL - $1"; }

# expect_eq NAME EXPECTED ACTUAL: exact comparison with a diff on failure.
expect_eq() {
	if [ "$2" == "$3" ]; then
		pass "$1"
	else
		fail "$1"
		diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/    /'
	fi
}

# expect_match NAME REGEX ACTUAL (grep -E on the whole text)
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		pass "$1"
	else
		fail "$1: no line matches /$2/ in:"
		printf '%s\n' "$3" | sed 's/^/    /'
	fi
}

# run_sonde ARGS...: runs sonde, sets OUT (stdout), ERR (stderr), RC.
run_sonde() {
	OUT=$(timeout -s INT 60 "$SONDE" "$@" 2>"$TMP/stderr")
	RC=$?
	ERR=$(cat "$TMP/stderr")
}

# bpftrace 0.17 prints two things in an older format than the latest
# bpftrace, which sonde follows: the stats line and a trailing space after a
# histogram's "@name:" header. Rewrite those in bpftrace's output.
bpftrace_to_latest() {
	sed -E -e 's/^(@.*): count ([-0-9]+), average ([-0-9]+), total ([-0-9]+)$/\1: { .count = \2, .average = \3, .total = \4 }/' \
		-e 's/^(@.*:) $/\1/'
}

# same_as_bpftrace NAME ARGS...: runs the same arguments through bpftrace
# and sonde and compares stdout byte for byte.
same_as_bpftrace() {
	local name=$1
	shift
	if ! command -v bpftrace >/dev/null; then
		echo "SKIP: bpftrace not installed; cannot compare '$name'"
		return
	fi
	local want got
	want=$(timeout -s INT 60 bpftrace "$@" 2>/dev/null | bpftrace_to_latest)
	got=$(timeout -s INT 60 "$SONDE" "$@" 2>"$TMP/stderr")
	expect_eq "$name (same as bpftrace)" "$want" "$got"
}

# BPF program ids currently loaded, one per line.
prog_ids() { bpftool prog list 2>/dev/null | sed -nE 's/^([0-9]+): .*/\1/p' | sort -n; }
link_ids() { bpftool link list 2>/dev/null | sed -nE 's/^([0-9]+): .*/\1/p' | sort -n; }

# After a sonde run nothing of it may stay: compare with a snapshot.
snapshot_bpf() { prog_ids >"$TMP/progs.before"; link_ids >"$TMP/links.before"; }
# The kernel frees a program after an RCU grace period, a moment after the
# last fd is closed, so give it up to two seconds to disappear.
expect_nothing_left() {
	local progs links
	for _ in $(seq 20); do
		progs=$(comm -13 "$TMP/progs.before" <(prog_ids))
		links=$(comm -13 "$TMP/links.before" <(link_ids))
		[ -z "$progs$links" ] && break
		sleep 0.1
	done
	expect_eq "$1: no BPF program left" "" "$progs"
	expect_eq "$1: no BPF link left" "" "$links"
}

finish() {
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" = 0 ]
	exit $?
}
