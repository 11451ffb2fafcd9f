# User stacks and symbols: ustack from uprobes and tracepoints in a PIE, a
# non-PIE, a program calling into a shared library and a stripped program
# whose symbols are in a separate file (.gnu_debuglink); usym(), uaddr(),
# func; stacks as map keys (with kstack) byte for byte as bpftrace 0.17
# prints them; folded stacks for flame graphs.
#
# The targets (tests/tools/ustack_target.c) wait for SIGUSR1, make three
# calls down main -> ustack_outer -> ustack_middle -> ustack_inner ->
# ustack_leaf, call getpgid() and wait to be killed: the tracer attaches
# first, exits at getpgid() and names the frames while the process still
# lives. ASLR is off for them (setarch -R), so addresses are the same in
# every run and perf mode can be compared too.
. "$(dirname "$0")/lib.bash"

PIE=$(realpath "$TOOLS_DIR/ustack_pie" 2>/dev/null)
NOPIE=$(realpath "$TOOLS_DIR/ustack_nopie" 2>/dev/null)
LIBUSER=$(realpath "$TOOLS_DIR/ustack_libuser" 2>/dev/null)
LIB=$(realpath "$TOOLS_DIR/libustack_lib.so" 2>/dev/null)
STRIPPED=$(realpath "$TOOLS_DIR/ustack_stripped" 2>/dev/null)
for t in "$PIE" "$NOPIE" "$LIBUSER" "$LIB" "$STRIPPED"; do
	if [ ! -e "$t" ]; then
		echo "SKIP: the ustack test programs are not built ($TOOLS_DIR/ustack_*)"
		exit 77
	fi
done
NORAND=()
setarch "$(uname -m)" -R true 2>/dev/null && NORAND=(setarch "$(uname -m)" -R)

# The target set its SIGUSR1 handler (bit 10 of SigCgt): it waits for it.
usr1_caught() { (( 0x$(sed -n 's/^SigCgt:\t//p' "/proc/$1/status" 2>/dev/null || echo 0) & 0x200 )); }

# traced TOOL TARGET SCRIPT [ARGS...]: runs a fresh TARGET and TOOL (sonde
# or bpftrace) with SCRIPT, $1 = the target's pid; starts the target's calls
# once every probe is attached (both print __BPFTRACE_NOTIFY_PROBES_ATTACHED:
# sonde on stdout, bpftrace 0.17 on stderr); sets OUT, ERR, RC.
traced() {
	local tool=$1 target=$2 script=$3
	shift 3
	"${NORAND[@]}" "$target" 3 0 -w &
	local tpid=$!
	wait_until 30 usr1_caught "$tpid"
	# emptied here, not by the redirection below: that runs in the
	# background job, maybe after attached() has seen the last run's token
	: >"$TMP/out"
	: >"$TMP/err"
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 timeout -s INT 60 "$tool" "$@" -e "
		tracepoint:syscalls:sys_enter_getpgid /pid == \$1/ { exit(); } $script" "$tpid" >"$TMP/out" 2>"$TMP/err" &
	local pid=$!
	wait_until 30 attached
	kill -USR1 "$tpid"
	wait "$pid"
	RC=$?
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	OUT=$(grep -v '^__BPFTRACE_NOTIFY_PROBES_ATTACHED$' "$TMP/out")
	ERR=$(grep -v '^__BPFTRACE_NOTIFY_PROBES_ATTACHED$' "$TMP/err")
}
attached() { grep -qs '^__BPFTRACE_NOTIFY_PROBES_ATTACHED$' "$TMP/out" "$TMP/err"; }

# The frames of the first stack in OUT, names only ("main+214" -> "main").
frames() { sed -n '/^@.*\[$/,/^\]/p' <<<"$OUT" | sed -nE 's/^ +([A-Za-z_][A-Za-z0-9_.]*)\+[0-9]+$/\1/p'; }

# ---- frames in order, each kind of binary -------------------------------

traced "$SONDE" "$PIE" "uprobe:$PIE:ustack_leaf /pid == \$1/ { @[ustack] = count(); }"
expect_eq "PIE: ustack from a uprobe, the program's functions in order" "ustack_leaf
ustack_inner
ustack_middle
ustack_outer
main" "$(frames | head -5)"
expect_match "PIE: three calls, one stack" '^\]: 3$' "$OUT"

traced "$SONDE" "$NOPIE" "uprobe:$NOPIE:ustack_leaf /pid == \$1/ { @[ustack] = count(); }"
expect_eq "non-PIE: ustack from a uprobe" "ustack_leaf
ustack_inner
ustack_middle
ustack_outer
main" "$(frames | head -5)"

traced "$SONDE" "$LIBUSER" "uprobe:$LIB:ustack_lib_leaf /pid == \$1/ { @[ustack] = count(); }"
expect_eq "shared library: its frames, then the program's" "ustack_lib_leaf
ustack_lib_entry
ustack_inner
ustack_middle
ustack_outer
main" "$(frames | head -6)"

# Stripped: no .symtab, its functions only in ustack_stripped.debug. The
# tracepoint in ustack_leaf's getppid() sees the chain from its caller up.
if readelf -S "$STRIPPED" 2>/dev/null | grep -q '\.symtab'; then
	fail "ustack_stripped still has a .symtab"
fi
traced "$SONDE" "$STRIPPED" "tracepoint:syscalls:sys_enter_getppid /pid == \$1/ { @[ustack] = count(); }"
expect_eq "stripped + .gnu_debuglink: names from the debug file" "ustack_inner
ustack_middle
ustack_outer
main" "$(frames | grep -A3 '^ustack_inner$')"

# ---- kstack from a tracepoint ----------------------------------------------

traced "$SONDE" "$NOPIE" "tracepoint:syscalls:sys_enter_getppid /pid == \$1/ { @[kstack] = count(); }"
expect_match "kstack from a tracepoint: the syscall entry" '^    (do_syscall_64|el0_svc_common[a-z_.]*)\+[0-9]+$' "$OUT"

# ---- usym, uaddr, func -------------------------------------------------------

counter=$(nm "$NOPIE" | awk '$3 == "ustack_counter" { print $1 }' | sed 's/^0*//')
traced "$SONDE" "$NOPIE" "uprobe:$NOPIE:ustack_leaf /pid == \$1/ { printf(\"%s %lx %d %d\\n\", func, uaddr(\"ustack_counter\"),
	sizeof(*uaddr(\"ustack_counter\")), *uaddr(\"ustack_counter\") >= 0); @f[func] = count(); }
	uretprobe:$NOPIE:ustack_leaf /pid == \$1/ { @r[func] = count(); }"
expect_eq "func (uprobe), uaddr() (non-PIE: the run-time address; int32 for a 4-byte variable)" \
	"ustack_leaf $counter 4 1" "$(grep '^ustack_leaf' <<<"$OUT" | sort -u)"
expect_match "func in a map key" '^@f\[ustack_leaf\]: 3$' "$OUT"
# (bpftrace 0.17 named the caller, where the uretprobe returns to; the
# latest names the probed function, with bpf_get_func_ip)
expect_match "func in a uretprobe: the probed function" '^@r\[ustack_leaf\]: 3$' "$OUT"

run_sonde -e "uprobe:$NOPIE:ustack_leaf { @ = uaddr(\"ustack_countr\"); }"
expect_match "uaddr() of a symbol that is not there" "error: uaddr\\(\\): no variable 'ustack_countr' in $NOPIE" "$ERR"
run_sonde -e 'tracepoint:syscalls:sys_enter_getppid { @ = func; }'
expect_match "func in a tracepoint" "builtin 'func' is not available in tracepoint probes" "$ERR"

# ---- the same as bpftrace 0.17 ----------------------------------------------

compare() { # NAME TARGET SCRIPT
	if ! command -v bpftrace >/dev/null; then
		skip "$1: bpftrace not installed"
		return
	fi
	traced bpftrace "$2" "$3"
	local want=$OUT
	traced "$SONDE" "$2" "$3"
	expect_eq "$1 (same as bpftrace)" "$want" "$OUT"
}
compare "@[ustack], ustack(N), printf" "$PIE" "uprobe:$PIE:ustack_leaf /pid == \$1/ {
	@[ustack] = count(); @three[ustack(3)] = count(); printf(\"%s|\\n\", ustack(2)); @v = ustack(2); }"
compare "ustack(perf, N), a value and a key" "$NOPIE" "uprobe:$NOPIE:ustack_leaf /pid == \$1/ {
	@[ustack(perf, 4)] = count(); @v = ustack(perf, 2); }"
compare "a shared library, perf mode" "$LIBUSER" "uprobe:$LIB:ustack_lib_leaf /pid == \$1/ {
	@[ustack(perf)] = count(); @b[ustack] = count(); }"
compare "@[ustack, kstack] from a tracepoint, a stripped program" "$STRIPPED" \
	"tracepoint:syscalls:sys_enter_getppid /pid == \$1/ { @[ustack, kstack(1)] = count(); @p[ustack(perf), kstack(perf, 1)] = count(); }"
compare "func, usym of a variable (a number), kstack in a uprobe (none)" "$NOPIE" \
	"uprobe:$NOPIE:ustack_leaf /pid == \$1/ { @[func, usym(uaddr(\"ustack_counter\"))] = count(); @k[ustack(1), kstack] = count(); @u = func; }"

# ---- build_id mode (latest bpftrace): build id and file offset per frame ----------

id=$(readelf -n "$NOPIE" | sed -n 's/.*Build ID: //p')
traced "$SONDE" "$NOPIE" "uprobe:$NOPIE:ustack_leaf /pid == \$1/ { @[ustack(build_id, 2)] = count(); }"
leaf=$(nm "$NOPIE" | awk '$3 == "ustack_leaf" { print $1 }')
off=$(printf '0x%x' $((0x$leaf - 0x400000))) # the non-PIE text is loaded at 0x400000 + its offset
expect_eq "ustack(build_id, 2): build id and file offset" "@[
$id $off
$id 0x" "$(grep -v -e '^$' -e '^Attaching' <<<"$OUT" | head -3 | sed -E '3s/0x[0-9a-f]+$/0x/')"

# ---- C++ names, demangled as bpftrace does by default -------------------------

if command -v g++ >/dev/null; then
	cat >"$TMP/cxx.cc" <<'CXX'
#include <unistd.h>
namespace ustack_ns {
__attribute__((noinline)) int leaf(int x) { return x + (getppid() == 0); }
__attribute__((noinline)) int outer(int x) { return leaf(x) + 1; }
}
int main() { return ustack_ns::outer(1) == 0; }
CXX
	if g++ -O0 -fno-omit-frame-pointer -no-pie -o "$TMP/cxx" "$TMP/cxx.cc" 2>/dev/null; then
		run_sonde -q -c "$TMP/cxx" -e "uprobe:$TMP/cxx:_ZN9ustack_ns4leafEi { @[ustack(2)] = count(); printf(\"%s\n\", func); }"
		expect_eq "C++: frames and func demangled" "ustack_ns::leaf(int)
@[
    ustack_ns::leaf(int)+0
    ustack_ns::outer(int)+N
]: 1" "$(grep -v '^$' <<<"$OUT" | sed -E 's/\+[1-9][0-9]*$/+N/')"
	else
		skip "C++ names: g++ could not build the test program"
	fi
else
	skip "C++ names: no g++"
fi

# ---- folded stacks --------------------------------------------------------------

# What stackcollapse-bpftrace.pl does: each @[...]: N block, frames leaf
# first, becomes "root;...;leaf N" without offsets.
fold() {
	awk '/^@\[/ { n = 0; next }
	     /^\]: [0-9]+$/ || /^, / { if (/^\]/) { s = ""; for (i = n; i >= 1; i--) s = s (s == "" ? "" : ";") f[i]; print s, $2 }; next }
	     { sub(/^[ \t]+/, ""); sub(/^[0-9a-f]+ /, ""); sub(/\+[0-9]+( \(.*\))?$/, ""); if ($0 != "") f[++n] = $0 }'
}
traced "$SONDE" "$NOPIE" "uprobe:$NOPIE:ustack_leaf /pid == \$1/ { @[ustack(perf, 5)] = count(); }"
expect_eq "folded: a perf-mode stack map folds into one line" "main;ustack_outer;ustack_middle;ustack_inner;ustack_leaf 3" "$(fold <<<"$OUT")"

# ---- a process gone before its stacks print ---------------------------------------

# -c: the command has exited when the maps print at the end; sonde read its
# maps while it ran, so its frames are still named.
run_sonde -q -c "$NOPIE 30 20" -e "uprobe:$NOPIE:ustack_leaf /pid == cpid/ { @[ustack(2)] = count(); }"
expect_eq "a process that exited: frames named from the maps read while it lived" "    ustack_leaf+0
    ustack_inner+24" "$(grep '^    ' <<<"$OUT")"
# Not -c: a process gone before it was ever read. Its addresses in the
# probed non-PIE program are still named from that program's symbols (the
# latest bpftrace's per-program cache); print(func) is handled after it
# exited.
__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 timeout -s INT 30 "$SONDE" -q \
	-e "uprobe:$NOPIE:ustack_leaf { print(func); @[ustack(3)] = count(); exit(); }" >"$TMP/gone" 2>&1 &
bg=$!
wait_until 30 file_has "$TMP/gone" '^__BPFTRACE_NOTIFY_PROBES_ATTACHED$'
"$NOPIE" 1
wait $bg
expect_eq "a process gone before it was read: named from the probed program" "ustack_leaf
@[
    ustack_leaf+0
    ustack_inner+24
    ustack_middle+23
]: 1" "$(grep -v -e '^$' -e '^__BPFTRACE' "$TMP/gone")"
finish
