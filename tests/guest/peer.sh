#!/usr/bin/env bash
# peer.sh - bpftrace's own runtime tests that need kprobes or fentry, run
# against sonde inside Debian 12's stock kernel (one QEMU boot).
#
#   tests/guest/peer.sh [options] [SONDE]
#     --harness PATH  the peer harness: its m2-suite.sh, or the directory
#                     holding it (or $SONDE_PEER_HARNESS)
#     --mirror DIR    a bpftrace git dir, bare is fine (or $SONDE_PEER_MIRROR,
#                     or $MIRROR)
#     --suites 'a b'  only these suite files of tests/runtime/ (default: all)
#     --filter REGEX  the engine's own filter instead of the kprobe/fentry
#                     selection (SUITE.NAME regexes, ':'-separated, '-' negates)
#     --all           every test of the chosen suites, not only kprobe/fentry ones
#     --rev REV       bpftrace's tests at REV (default HEAD)
#     --out DIR       where the engine's log and the table are kept
#                     (default: a new directory under build/ or /tmp)
#     --timeout S     bound on the whole boot (default 5400)
#     --list          print the selected tests (SUITE.NAME) and boot nothing
#   SONDE defaults to build/sonde of this checkout.
#
# Why: the peer harness counts the tests whose programs use kprobe,
# kretprobe, fentry or fexit (its `kp*` column) as failures it cannot help on
# a kernel without them. Debian 12's kernel has them: this runs exactly
# those tests there. A test is selected when its RUN/PROG text names one of
# those probe types (the harness's own rule, without hardware probes, which
# the emulated CPU has no PMU for).
#
# Prints the harness's per-suite table and its last line (`N passed, M
# failed, K skipped`); the engine's log (each test's output) is copied to
# the output directory. Exit status: 0 when the harness ran (whatever the
# tests did), 2 on a usage error, 77 if no guest can be had, else the
# harness's or the guest's failure status.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)

usage() { sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 2; }

# ---- inside the guest: run the harness, keep its log in the shared dir --------
if [ "${SONDE_IN_GUEST:-0}" = 1 ] && [ "${1:-}" = --in-guest ]; then
	shift
	out=$1
	shift
	# The harness's work dir (testprogs it builds, the engine's scratch
	# files) lives on the guest's tmpfs: the shared dir is 9p, where
	# sockets, fifos and the like do not all work.
	mkdir -p /run/peer && export TMPDIR=/run/peer
	"$@" >"$out/table.txt" 2>&1 &
	harness=$!
	# each test's result as the engine gives it (a run takes long), then the table
	engine_log() { sed -n 's/^engine log: \([^ ]*\).*/\1/p' "$out/table.txt" | head -n 1; }
	(
		while [ -z "$(engine_log)" ] && kill -0 "$harness" 2>/dev/null; do sleep 2; done
		log=$(engine_log)
		[ -n "$log" ] && tail -n +1 -f --pid="$harness" "$log" 2>/dev/null |
			grep --line-buffered -E '^\[ *(OK|FAILED|SKIP|TIMEOUT) *\] '
	) &
	watcher=$!
	wait "$harness"
	rc=$?
	wait "$watcher"
	cat "$out/table.txt"
	log=$(engine_log)
	[ -n "$log" ] && [ -f "$log" ] && cp "$log" "$out/engine.log"
	exit "$rc"
fi

HARNESS=${SONDE_PEER_HARNESS:-}
MIRROR_DIR=${SONDE_PEER_MIRROR:-${MIRROR:-}}
LIST=false SUITES='' FILTER='' ALL=false REV=HEAD OUT='' TIMEOUT=5400 SONDE=''
while [ $# -gt 0 ]; do
	case $1 in
	--harness) HARNESS=${2:?}; shift 2 ;;
	--mirror) MIRROR_DIR=${2:?}; shift 2 ;;
	--suites) SUITES=${2?}; shift 2 ;;
	--filter) FILTER=${2?}; shift 2 ;;
	--all) ALL=true; shift ;;
	--list) LIST=true; shift ;;
	--rev) REV=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "peer.sh: unknown option $1" >&2; usage ;;
	*) SONDE=$1; shift ;;
	esac
done
die() { echo "peer.sh: $*" >&2; exit 2; }

if ! $LIST; then
	[ -n "$HARNESS" ] || die "no peer harness: give --harness PATH or set SONDE_PEER_HARNESS (its m2-suite.sh)"
	[ -d "$HARNESS" ] && HARNESS=$HARNESS/m2-suite.sh
	[ -f "$HARNESS" ] || die "no harness script at $HARNESS"
	HARNESS=$(realpath "$HARNESS")
fi
[ -n "$MIRROR_DIR" ] || die "no bpftrace git dir: give --mirror DIR or set SONDE_PEER_MIRROR"
git --git-dir="$MIRROR_DIR" rev-parse -q --verify "$REV^{commit}" >/dev/null 2>&1 ||
	die "no $REV in git dir $MIRROR_DIR"
MIRROR_DIR=$(realpath "$MIRROR_DIR")
[ -n "$SONDE" ] || SONDE=$SRC/build/sonde
$LIST || [ -x "$SONDE" ] || die "sonde not found at $SONDE (build it, or name it)"
$LIST || SONDE=$(realpath "$SONDE")

# ---- which tests: those whose programs use kprobe/fentry probes ----------------
# The suite files at REV, read on the host (quick) rather than in the guest.
if [ -z "$FILTER" ] && ! $ALL; then
	FILTER=$(git --git-dir="$MIRROR_DIR" archive "$REV" tests/runtime | python3 -c '
import io, re, sys, tarfile
want = sys.argv[1].split()
# the peer harness'"'"'s kp* rule, hardware probes left out
probe = re.compile(r"(?<![\w./-])(kprobe|kretprobe|kfunc|kretfunc|fentry|fexit|k|kr|f|fr)[:*]")
pats = []
with tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read())) as tar:
    for m in sorted(tar.getmembers(), key=lambda m: m.name):
        parts = m.name.split("/")
        if not m.isfile() or len(parts) != 3 or parts[2].startswith("."):
            continue
        suite = parts[2]
        if want and suite not in want:
            continue
        text = tar.extractfile(m).read().decode(errors="replace")
        for block in re.split(r"\n\s*\n", text):
            name = re.search(r"^NAME (.*)$", block, re.M)
            code = "\n".join(l for l in block.splitlines() if l.startswith(("RUN", "PROG", " ")))
            if name and probe.search(code):
                # ":" separates the engine'"'"'s patterns: match it as any character
                pats.append("^" + re.escape(suite + "." + name[1].strip()).replace(":", ".") + "$")
print(":".join(pats))
' "$SUITES") || die "cannot read bpftrace's tests at $REV"
	[ -n "$FILTER" ] || die "no test of ${SUITES:-any suite} uses kprobe or fentry probes"
	if $LIST; then
		tr ':' '\n' <<<"$FILTER" | sed 's/^\^//; s/\$$//; s/\\\(.\)/\1/g'
		exit 0
	fi
	echo "peer.sh: $(tr ':' '\n' <<<"$FILTER" | grep -c .) tests use kprobe/fentry probes"
fi

if [ -z "$OUT" ]; then
	base=$SRC/build
	[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
	OUT=$(mktemp -d "$base/peer-guest.XXXXXX") || die "cannot create an output directory"
fi
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(realpath "$OUT")

# The harness's command; run in the guest from OUT (shared read-write).
cmd=(bash "$HARNESS" "$MIRROR_DIR" --tool "$SONDE" --rev "$REV")
[ -n "$SUITES" ] && cmd+=(--suites "$SUITES")
[ -n "$FILTER" ] && cmd+=(--filter "$FILTER")
echo "peer.sh: output in $OUT"
cd "$OUT" || exit 2
SECONDS=0
"$HERE/run-in-guest.sh" --timeout "$TIMEOUT" -- bash "$HERE/peer.sh" --in-guest "$OUT" "${cmd[@]}"
rc=$?
echo "peer.sh: guest run took ${SECONDS}s; engine log: $OUT/engine.log"
exit "$rc"
