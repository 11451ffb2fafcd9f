# lib.bash - shared helpers for runtime tests (sourced, not run).
#
# Each test is `bash tests/runtime/NAME.sh SONDE_BINARY SOURCE_DIR`; it loads
# real BPF on this kernel and compares exact output. Exit 0 = pass,
# 1 = fail, 77 = skipped (the reason is printed).
#
# Without root a test is skipped here, unless it sets RUNS_WITHOUT_ROOT=1
# before sourcing this file: its checks mostly need no privileges, and it
# skips the others itself (IS_ROOT).
set -u
SONDE=${1:?usage: test.sh SONDE_BINARY SOURCE_DIR}
SRCDIR=${2:?usage: test.sh SONDE_BINARY SOURCE_DIR}
TMP=$(mktemp -d /tmp/sonde-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# The compile cache (src/cache.c) is on, in a directory of this test's own:
# a test never reads the user's cache or an entry left by another build,
# and a script a test runs twice runs from the cache the second time.
export XDG_CACHE_HOME=$TMP/cache
unset SONDE_NO_CACHE
FAILS=0
PASSES=0

# Tests count a command's syscalls exactly (e.g. dd's reads), and glibc
# reads locale files at start-up under a UTF-8 locale: pin the locale the
# expected counts are taken with, whatever the caller's environment (a
# fresh machine may set none).
export LANG=C.UTF-8
for var in $(compgen -e); do
	[[ $var == LC_* || $var == LANGUAGE ]] && unset "$var"
done
unset var

IS_ROOT=false
[ "$(id -u)" = 0 ] && IS_ROOT=true
if ! $IS_ROOT && [ "${RUNS_WITHOUT_ROOT:-0}" != 1 ]; then
	echo "SKIP: runtime tests load BPF programs and need root"
	exit 77
fi
# Sanitizer builds (-DSONDE_SANITIZE=ON): every report goes to a file and
# fails the test in finish(), whatever the exit code checks say. Harmless
# for normal builds.
SAN_DIR=$TMP/sanitizer
mkdir -p "$SAN_DIR"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$SAN_DIR/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$SAN_DIR/ubsan:print_stacktrace=1"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lsan.supp:print_suppressions=0"

if $IS_ROOT && [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi

pass() { PASSES=$((PASSES + 1)); echo "ok - $1"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL - $1"; }
skip() { SKIPS=$((SKIPS + 1)); echo "skip - $1"; }
SKIPS=0

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

# check NAME COMMAND...: pass NAME if COMMAND succeeds, else fail it.
check() { if "${@:2}"; then pass "$1"; else fail "$1"; fi; }

# run_sonde ARGS...: runs sonde, sets OUT (stdout), ERR (stderr), RC.
run_sonde() {
	OUT=$(timeout -s INT 60 "$SONDE" "$@" 2>"$TMP/stderr")
	RC=$?
	ERR=$(cat "$TMP/stderr")
}

# bpftrace 0.17 prints two things in an older format than the latest
# bpftrace, which sonde follows: the stats line and a trailing space after a
# histogram's "@name:" header (the header is the line before the first
# bucket, "[" or "("; with a stack key it is the key's closing "]: ").
# Rewrite those in bpftrace's output.
bpftrace_to_latest() {
	sed -E -e 's/^(@.*): count ([-0-9]+), average ([-0-9]+), total ([-0-9]+)$/\1: { .count = \2, .average = \3, .total = \4 }/' |
		awk 'NR > 1 { if ($0 ~ /^[[(]/ && prev ~ /^[@\]].*: $/) sub(/ $/, "", prev); print prev }
		     { prev = $0 } END { if (NR) print prev }'
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

# Other tracers may run at the same time as the tests (other sonde or
# bpftrace processes on a shared machine). What they hold open is theirs:
# an id that appeared since the snapshot is ours unless every process with
# an fd on it is a live sonde or bpftrace (ours have exited by the time
# this is checked). A leaked -c child holding an fd still counts as ours.
held_by_other_tracer() { # KIND(prog_id|link_id) ID
	local holders pid comm
	holders=$(grep -sHE "^$1:[[:space:]]+$2\$" /proc/[0-9]*/fdinfo/* |
		sed -nE 's|^/proc/([0-9]+)/.*|\1|p' | sort -u)
	[ -n "$holders" ] || return 1
	for pid in $holders; do
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		case $comm in sonde|bpftrace) ;; *) return 1 ;; esac
	done
	return 0
}
new_ids() { # KIND(prog_id|link_id) BEFORE_FILE CURRENT_IDS
	local id
	for id in $(comm -13 "$2" <(printf '%s\n' "$3")); do
		held_by_other_tracer "$1" "$id" || echo "$id"
	done
}

# The kernel frees a program after an RCU grace period, a moment after the
# last fd is closed, so give it up to two seconds to disappear. Listing
# BPF programs needs root; without it nothing could have been loaded.
expect_nothing_left() {
	local progs links
	if ! $IS_ROOT; then
		skip "$1: nothing left (listing BPF programs needs root)"
		return
	fi
	for _ in $(seq 20); do
		progs=$(new_ids prog_id "$TMP/progs.before" "$(prog_ids)")
		links=$(new_ids link_id "$TMP/links.before" "$(link_ids)")
		[ -z "$progs$links" ] && break
		sleep 0.1
	done
	expect_eq "$1: no BPF program left" "" "$progs"
	expect_eq "$1: no BPF link left" "" "$links"
}

finish() {
	local report
	for report in "$SAN_DIR"/*; do
		[ -e "$report" ] || continue
		fail "sanitizer report $(basename "$report"):"
		sed 's/^/    /' "$report"
	done
	local skipped=""
	[ "$SKIPS" = 0 ] || skipped=", $SKIPS skipped"
	echo "$PASSES passed, $FAILS failed$skipped"
	[ "$FAILS" = 0 ]
	exit $?
}

# ---- running things unprivileged ------------------------------------------

# "nobody" is uid 65534 with every capability dropped (setpriv, util-linux).
NOBODY=(setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all
	--reuid=65534 --regid=65534 --clear-groups)

# need_nobody: skip the test unless nobody can run $SONDE (made absolute);
# let nobody into $TMP and write sanitizer reports to $SAN_DIR.
need_nobody() {
	if ! command -v setpriv >/dev/null; then
		echo "SKIP: setpriv (util-linux) not installed"
		exit 77
	fi
	SONDE=$(realpath "$SONDE")
	if ! "${NOBODY[@]}" "$SONDE" -V >/dev/null 2>&1; then
		echo "SKIP: uid 65534 cannot run $SONDE (a parent directory is private)"
		exit 77
	fi
	chmod 755 "$TMP"
	chmod 1777 "$SAN_DIR"
}

# ---- helpers for tests that drive their own workloads ----------------------

# tests/tools/ programs are built next to the sonde binary.
TOOLS_DIR=$(dirname "$SONDE")
SYSCALLER=$TOOLS_DIR/syscaller
need_syscaller() {
	if [ ! -x "$SYSCALLER" ]; then
		echo "SKIP: $SYSCALLER not built (make syscaller)"
		exit 77
	fi
}
# need_tools PROGRAM...: skip the test unless each tests/tools/ program is built.
need_tools() {
	local t
	for t in "$@"; do
		if [ ! -x "$t" ]; then
			echo "SKIP: $t not built"
			exit 77
		fi
	done
}

# wait_until SECONDS COMMAND...: poll COMMAND until it succeeds. The bound
# only stops a hung test; nothing depends on how fast it happens.
wait_until() {
	local limit=$(($1 * 20))
	shift
	for _ in $(seq "$limit"); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

# file_has FILE REGEX: grep -E on a file that may not exist yet.
file_has() { [ -e "$1" ] && grep -Eq -- "$2" "$1"; }

# A process is gone (reaped or never existed) or a zombie nobody waits for.
process_gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# ---- sonde's interactive shell in a real terminal (tmux) --------------------

# shell_in_tmux NAME ROWS: skip the test without tmux, else set up a tmux
# server of the test's own (whatever else runs) where start_shell opens
# sonde's shell in a 160xROWS terminal with its history in $TMP; it is
# stopped at exit.
shell_in_tmux() {
	if ! command -v tmux >/dev/null; then
		echo "SKIP: tmux is not installed"
		exit 77
	fi
	export XDG_STATE_HOME=$TMP/state
	export TMUX_TMPDIR=$TMP
	# tmux runs the command with $SHELL, else the user's login shell (nologin
	# for some users); CI's environment may have no SHELL. bash, not dash: the
	# Ctrl-C sent to sonde reaches the shell too, and only bash outlives it
	# when its child handled the signal.
	export SHELL=/bin/bash
	SESSION=sonde-$1-$$
	SHELL_ROWS=$2
	PROMPT='sonde> '
	trap 'stop_shell; rm -rf "$TMP"' EXIT
}

start_shell() {
	# a server still exiting (the last session was killed) refuses the
	# new session ("server exited unexpectedly"): try again
	local try
	for try in 1 2 3; do
		tmux new-session -d -s "$SESSION" -x 160 -y "$SHELL_ROWS" \
			"env XDG_STATE_HOME='$XDG_STATE_HOME' '$SONDE'; echo SHELL-EXITED=\$?; sleep 30" && break
		sleep 0.5
	done
	wait_for 'sonde> $' "the prompt at start"
}
stop_shell() {
	tmux kill-server 2>/dev/null
	local deadline=$((SECONDS + 5))
	while tmux list-sessions >/dev/null 2>&1 && ((SECONDS < deadline)); do sleep 0.1; done
}

screen() { tmux capture-pane -p -J -S -200 -t "$SESSION"; } # with what scrolled away
visible() { tmux capture-pane -p -J -t "$SESSION"; }         # what is on the screen now

# wait_for REGEX WHAT: poll the screen (its last non-empty line) until it
# matches, for at most 20 s; false (with the screen shown) otherwise.
wait_for() {
	local deadline=$((SECONDS + 20))
	while ((SECONDS < deadline)); do
		screen | sed '/^$/d' | tail -1 | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	shell_timed_out "$2"
}
# wait_screen REGEX WHAT: poll until some line of the screen matches.
wait_screen() {
	local deadline=$((SECONDS + 20))
	while ((SECONDS < deadline)); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	shell_timed_out "$2"
}
shell_timed_out() {
	echo "    timed out waiting for $1; the screen:"
	screen | sed '/^$/d' | tail -15 | sed 's/^/    | /'
	return 1
}

# type_line TEXT / type_tab TEXT: type TEXT, then Enter / Tab.
type_line() { tmux send-keys -t "$SESSION" -l -- "$1"; tmux send-keys -t "$SESSION" Enter; }
type_tab() { tmux send-keys -t "$SESSION" -l -- "$1"; tmux send-keys -t "$SESSION" Tab; }
clear_screen() { tmux clear-history -t "$SESSION"; tmux send-keys -t "$SESSION" C-l; sleep 0.2; }
