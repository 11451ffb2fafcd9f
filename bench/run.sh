#!/usr/bin/env bash
# run.sh - sonde's benchmark suite, one entry point (see bench/README.md).
#
#   sudo bench/run.sh [SONDE_BINARY] [overhead|startup|probes|compile|print|symbols|cache|scale|kprobe ...]
#   (kprobe needs a kernel with kprobes and BPF trampolines: bench/guest.sh runs it in a guest)
#
# Tools are run interleaved (A B C A B C ...) and summarised by medians, so
# machine drift hits every tool alike. Every run is bounded by a timeout and
# every process is started by bench/harness, which kills its children when it
# exits. Raw per-run lines and the summary are kept in $OUT.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
sonde=$here/../build/sonde
parts=()
for arg in "$@"; do
	case $arg in
	overhead | startup | probes | compile | print | symbols | cache | scale | kprobe) parts+=("$arg") ;;
	all) parts+=(overhead startup probes compile print symbols cache scale) ;;
	-h | --help)
		sed -n '2,9p' "$0"
		exit 0
		;;
	*) sonde=$arg ;;
	esac
done
[ ${#parts[@]} -gt 0 ] || parts=(overhead startup probes compile print symbols cache scale)

: "${OVERHEAD_ROUNDS:=5}" "${OVERHEAD_SCRIPTS:=comm pid hist chain}" "${CALLS:=2000000}" "${STARTUP_ROUNDS:=10}" "${PROBES_ROUNDS:=5}"
: "${CACHE_ROUNDS:=10}" "${COMPILE_ROUNDS:=3}" "${COMPILE_SIZES:=1 100 1000}" "${PRINT_ROUNDS:=3}"
: "${SCALE_ROUNDS:=3}" "${SCALE_SIZES:=1 20 100 1000}" "${SCALE_BODIES:=count args}" "${SCALE_TIMEOUT:=300}"
: "${KPROBE_ROUNDS:=5}" "${KPROBE_CALLS:=300000}" "${KPROBE_SLICES:=200}" "${KPROBE_SETTLE_MS:=3000}" "${ATTACH_ROUNDS:=3}"
: "${PRINT_KEYS:=4000 100000}" "${TOOLS:=ref bpftrace sonde}" "${SYMBOL_ROUNDS:=3}" "${SYMBOL_STACKS:=10000}"
: "${CPUS:=$(seq -s ' ' 0 $(($(nproc) - 1)))}"
: "${OUT:=/tmp/sonde-bench.$(date +%Y%m%d-%H%M%S)}"

die() {
	echo "run.sh: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "run as root (BPF programs are loaded)"
command -v bpftrace >/dev/null || die "bpftrace is not installed (apt-get install bpftrace)"
[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing
trap 'exit 130' INT TERM
# Every part but `cache` measures sonde compiling each time, as before the
# compile cache existed; `cache` turns it on with a cache of its own.
export SONDE_NO_CACHE=1

bin=$OUT/bin
mkdir -p "$bin" "$OUT/tmp"
summary=$OUT/summary.txt
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }
progress() { printf '%s' "$*" >&2; }

# ---------------------------------------------------------------- building

cc -std=c11 -O2 -Wall -Wextra -o "$bin/loadgen" "$here/loadgen.c"
cc -std=c11 -O2 -Wall -Wextra -o "$bin/harness" "$here/harness.c"
# every call a frame (no inlining, no tail calls) and frame pointers to unwind by
cc -std=c11 -O0 -fno-omit-frame-pointer -Wall -Wextra -o "$bin/stackgen" "$here/stackgen.c"

have_ref=0
if command -v clang >/dev/null; then
	for obj in count_comm count_pid hist_pid count_ppid_chain kprobe_comm fentry_comm; do
		clang -O2 -g -target bpf -I"/usr/include/$(cc -dumpmachine)" \
			-c "$here/ref/$obj.bpf.c" -o "$bin/$obj.bpf.o"
	done
	cc -std=c11 -O2 -Wall -Wextra -o "$bin/loader" "$here/ref/loader.c" -lbpf
	cc -std=gnu11 -O2 -Wall -Wextra -o "$bin/attach_cost" "$here/attach_cost.c" -lbpf
	have_ref=1
else
	echo "run.sh: clang not found: no reference column (apt-get install clang)" >&2
fi

have_sonde=0
sonde_note="not found at $sonde"
if [ -x "$sonde" ]; then
	if timeout 20 "$sonde" -e 'BEGIN { exit(); }' >/dev/null 2>"$OUT/tmp/sonde-check.err"; then
		have_sonde=1
	else
		sonde_note="'$sonde -e \"BEGIN { exit(); }\"' failed: $(head -c 200 "$OUT/tmp/sonde-check.err")"
	fi
fi

tool_enabled() {
	case $1 in
	ref) [ $have_ref = 1 ] ;;
	sonde) [ $have_sonde = 1 ] ;;
	*) true ;;
	esac && [[ " $TOOLS " == *" $1 "* ]]
}

# ------------------------------------------------------------ run + record

# record FILE TAGS HARNESS-ARGS... : one harness run, appended to FILE as
# "TAGS <harness report>". A timeout or failure is recorded, never fatal.
record() {
	local file=$1 tags=$2 line
	shift 2
	# RECORD_PREFIX (unquoted: words) runs the harness under a command,
	# e.g. part_cache's CACHE_CHRT
	# shellcheck disable=SC2086
	line=$(${RECORD_PREFIX:-} "$bin/harness" -e "$OUT/tmp/stderr.log" "$@") || true
	[ -n "$line" ] || line="status=harness-failed"
	# A tracer stopped by the harness once it had written its ELF succeeded.
	if [ -n "${RECORD_OK_IF:-}" ] && [[ " $line " == *" $RECORD_OK_IF="[0-9]* ]]; then
		line=${line/ status=/ status=0 exit_status=}
	fi
	echo "$tags $line" >>"$file"
	progress .
}

# median FILE FIELD TAG... : median of FIELD over the successful lines
# (status=0) carrying every TAG ("-" when there are none).
median() {
	local file=$1 field=$2
	shift 2
	awk -v field="$field" -v tags="$* status=0" '
		/ sigints=([2-9]|[1-9][0-9])/ { next }
		BEGIN { ntags = split(tags, want, " ") }
		{
			for (i = 1; i <= ntags; i++)
				if (index(" " $0 " ", " " want[i] " ") == 0)
					next
			for (i = 1; i <= NF; i++) {
				eq = index($i, "=")
				if (substr($i, 1, eq - 1) == field && substr($i, eq + 1) != "-")
					print substr($i, eq + 1)
			}
		}' "$file" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}

# Runs that failed, timed out, or needed a second SIGINT (their SIGINT->exit
# time is meaningless, and they are left out of every median).
failures() {
	local bad repeated
	bad=$(grep -c -v -E ' status=0( |$)' "$1" || true)
	repeated=$(grep -c -E ' sigints=([2-9]|[1-9][0-9])' "$1" || true)
	printf '%s, needing a repeated SIGINT: %s' "$bad" "$repeated"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2fx", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f", a - b }'; }

# over_cell OVERHEAD [REF]: "+123.4 (1.50x)", or n/a when the tool did not run.
over_cell() {
	if [ "$1" = - ]; then
		echo n/a
	elif [ $# -gt 1 ]; then
		echo "+$1 ($(ratio "$1" "$2"))"
	else
		echo "+$1"
	fi
}

# Tracing programs loaded by someone else (another tracer running on the
# machine): they add their own cost to every syscall, untraced runs included.
foreign_tracing_progs() {
	command -v bpftool >/dev/null || { echo 0; return; }
	bpftool prog show 2>/dev/null | grep -c -E '^[0-9]+: (tracepoint|raw_tracepoint|perf_event|tracing|kprobe)' || true
}

# The kernel frees a program some time after its last link and fd are
# closed, so the tracer of the run before may still be listed: wait up to
# a second for the count to drop before calling anything foreign.
foreign_tracing_progs_settled() {
	local n i
	for i in $(seq 20); do
		n=$(foreign_tracing_progs)
		[ "$n" = 0 ] && break
		sleep 0.05
	done
	echo "$n"
}

# Sets CMD to the command line of TOOL running the program text PROG.
tracer_cmd() {
	case $1 in
	sonde) CMD=("$sonde" -e "$2") ;;
	bpftrace) CMD=(bpftrace -e "$2") ;;
	esac
}

# ------------------------------------------------------ 1. per-event overhead

part_overhead() {
	local raw=$OUT/overhead.raw specs=() cpu round script tool
	: >"$raw"
	for cpu in $CPUS; do specs+=("getppid:$cpu" "read:$cpu"); done
	local load="$bin/loadgen -w -n $CALLS ${specs[*]}"
	declare -A prog=(
		[comm]='tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
		[pid]='tracepoint:raw_syscalls:sys_enter { @[pid] = count(); }'
		[hist]='tracepoint:raw_syscalls:sys_enter /pid == @PID@/ { @ = hist(nsecs & 0xff); }'
		[chain]='tracepoint:raw_syscalls:sys_enter { @[curtask->real_parent->tgid] = count(); }'
	)
	declare -A ref_args=([comm]="count_comm.bpf.o" [pid]="count_pid.bpf.o" [hist]="hist_pid.bpf.o @PID@"
		[chain]="count_ppid_chain.bpf.o")
	progress "overhead: $OVERHEAD_ROUNDS rounds x $(wc -w <<<"$OVERHEAD_SCRIPTS") scripts x (untraced + tools), $CALLS calls per CPU and syscall "
	for round in $(seq "$OVERHEAD_ROUNDS"); do
		for script in $OVERHEAD_SCRIPTS; do
			# untraced right before the traced runs of the same round and script
			echo "tool=none script=$script round=$round foreign=$(foreign_tracing_progs_settled) status=0 $("$bin/loadgen" -n "$CALLS" "${specs[@]}" |
				sed 's/^/load:/' | tr '\n' ' ')" >>"$raw"
			for tool in ref bpftrace sonde; do
				tool_enabled "$tool" || continue
				if [ "$tool" = ref ]; then
					# shellcheck disable=SC2206  # the object and its pid argument
					CMD=("$bin/loader" ${ref_args[$script]/#/$bin/})
				else
					tracer_cmd "$tool" "${prog[$script]}"
				fi
				record "$raw" "tool=$tool script=$script round=$round" -T -S 100 -t 180 -L "$load" -- "${CMD[@]}"
			done
		done
	done
	echo >&2
	# Per round: traced - untraced of the same round and script; then medians.
	local diffs=$OUT/overhead.diffs
	awk '
		/ status=0/ {
			tool = script = round = ""
			for (i = 1; i <= NF; i++) {
				eq = index($i, "="); k = substr($i, 1, eq - 1); v = substr($i, eq + 1)
				if (k == "tool") tool = v; else if (k == "script") script = v
				else if (k == "round") round = v
				else if (k ~ /^load:/) val[tool, script, round, substr(k, 6)] = v
			}
			seen[tool, script, round] = 1
		}
		END {
			for (key in val) {
				split(key, p, SUBSEP)
				if (p[1] == "none") continue
				if (!(("none", p[2], p[3], p[4]) in val)) continue
				printf "tool=%s script=%s spec=%s status=0 base=%s over=%.1f\n", p[1], p[2], p[4],
					val["none", p[2], p[3], p[4]], val[key] - val["none", p[2], p[3], p[4]]
			}
		}' "$raw" >"$diffs"
	say ""
	say "== 1. per-event overhead: ns per syscall, traced - untraced (median of $OVERHEAD_ROUNDS rounds; ratio = tool / ref)"
	say "   load: bench/loadgen, $CALLS calls per CPU and syscall, pinned with sched_setaffinity,"
	say "     started paused and released 100 ms after the tracer's Attaching line (bpftrace prints"
	say "     it before attaching); ns per call of the fastest of 10 slices of the calls"
	local header
	header=$(printf '%-6s %-8s %4s %10s %10s %18s %18s' script syscall cpu untraced ref bpftrace sonde)
	say "$header"
	local spec base r b s
	for script in $OVERHEAD_SCRIPTS; do
		for spec in "${specs[@]}"; do
			spec=${spec/:/.}
			base=$(median "$diffs" base "script=$script" "spec=$spec")
			r=$(median "$diffs" over "tool=ref" "script=$script" "spec=$spec")
			b=$(median "$diffs" over "tool=bpftrace" "script=$script" "spec=$spec")
			s=$(median "$diffs" over "tool=sonde" "script=$script" "spec=$spec")
			say "$(printf '%-6s %-8s %4s %10s %10s %18s %18s' "$script" "${spec%.*}" "${spec#*.}" \
				"$base" "$(over_cell "$r")" "$(over_cell "$b" "$r")" "$(over_cell "$s" "$r")")"
		done
	done
	say "   failed or timed-out runs: $(failures "$raw") (raw: $raw)"
	local busy
	busy=$(grep -c -E '^tool=none .* foreign=[1-9]' "$raw" || true)
	[ "$busy" = 0 ] || say "   WARNING: in $busy of the untraced runs other tracing BPF programs were loaded on this
     machine (bpftool prog show): someone else is tracing, numbers are disturbed"
	say "   commands (@PID@ = the paused loadgen's pid):"
	for script in $OVERHEAD_SCRIPTS; do say "     $script: sonde|bpftrace -e '${prog[$script]}'"; done
	say "     ref:  bench/ref/loader <count_comm|count_pid|hist_pid|count_ppid_chain>.bpf.o [@PID@]  (clang -O2 -g -target bpf)"
	say "     load: $load"
	say "   goal: sonde <= 0.80x ref on every script and CPU"
}

# ------------------------------------------------- kprobe vs fentry (in a guest)

# kprobe_variant NAME: sets CMD (and CMD_ENV) for one way of counting
# vfs_read calls by comm: the hand-written references, bpftrace 0.17's
# kprobe and kfunc (its name for fentry), and sonde's kprobe with the
# automatic choice off (SONDE_KPROBE_FENTRY=0) and on, and its fentry.
kprobe_variant() {
	local kp='kprobe:vfs_read { @[comm] = count(); }' fe='fentry:vfs_read { @[comm] = count(); }'
	CMD_ENV=()
	case $1 in
	ref_kprobe) CMD=("$bin/loader" "$bin/kprobe_comm.bpf.o") ;;
	ref_fentry) CMD=("$bin/loader" "$bin/fentry_comm.bpf.o") ;;
	bpftrace_kprobe) CMD=(bpftrace -e "$kp") ;;
	bpftrace_kfunc) CMD=(bpftrace -e "${fe/fentry/kfunc}") ;;
	sonde_kprobe_forced) CMD=("$sonde" -e "$kp") CMD_ENV=(SONDE_KPROBE_FENTRY=0) ;;
	sonde_kprobe_auto) CMD=("$sonde" -e "$kp") ;;
	sonde_fentry) CMD=("$sonde" -e "$fe") ;;
	esac
}

kprobe_variant_enabled() {
	case $1 in
	ref_*) tool_enabled ref ;;
	bpftrace_*) tool_enabled bpftrace ;;
	sonde_*) tool_enabled sonde ;;
	esac
}

part_kprobe() {
	local raw=$OUT/kprobe.raw specs=() cpu round v
	local variants="ref_kprobe ref_fentry bpftrace_kprobe bpftrace_kfunc sonde_kprobe_forced sonde_kprobe_auto sonde_fentry"
	: >"$raw"
	for cpu in $CPUS; do specs+=("read:$cpu"); done
	local load="$bin/loadgen -w -n $KPROBE_CALLS -s $KPROBE_SLICES ${specs[*]}"
	progress "kprobe: $KPROBE_ROUNDS rounds x (untraced + 7 tracers), $KPROBE_CALLS 1-byte reads per CPU "
	for round in $(seq "$KPROBE_ROUNDS"); do
		echo "tool=none round=$round status=0 $("$bin/loadgen" -n "$KPROBE_CALLS" -s "$KPROBE_SLICES" "${specs[@]}" |
			sed 's/^/load:/' | tr '\n' ' ')" >>"$raw"
		for v in $variants; do
			kprobe_variant_enabled "$v" || continue
			kprobe_variant "$v"
			record "$raw" "tool=$v round=$round" -T -S "$KPROBE_SETTLE_MS" -t 300 -L "$load" -- env "${CMD_ENV[@]}" "${CMD[@]}"
		done
	done
	echo >&2
	local diffs=$OUT/kprobe.diffs
	awk '
		/ status=0/ {
			tool = round = ""
			for (i = 1; i <= NF; i++) {
				eq = index($i, "="); k = substr($i, 1, eq - 1); v = substr($i, eq + 1)
				if (k == "tool") tool = v; else if (k == "round") round = v
				else if (k ~ /^load:/) val[tool, round, substr(k, 6)] = v
			}
		}
		END {
			for (key in val) {
				split(key, p, SUBSEP)
				if (p[1] == "none" || !(("none", p[2], p[3]) in val)) continue
				printf "tool=%s spec=%s status=0 base=%s over=%.1f\n", p[1], p[3],
					val["none", p[2], p[3]], val[key] - val["none", p[2], p[3]]
			}
		}' "$raw" >"$diffs"
	say ""
	say "== kprobe vs fentry: ns per 1-byte read() of /dev/zero, traced - untraced (median of $KPROBE_ROUNDS rounds)"
	say "   $(uname -r); ratios are within this run only (under QEMU TCG the absolute ns mean nothing)"
	local spec base rk rf o
	for spec in "${specs[@]}"; do
		spec=${spec/:/.}
		base=$(median "$diffs" base "spec=$spec")
		rk=$(median "$diffs" over "tool=ref_kprobe" "spec=$spec")
		rf=$(median "$diffs" over "tool=ref_fentry" "spec=$spec")
		say "   cpu ${spec#*.}: untraced $base ns per read"
		say "$(printf '   %-22s %12s %12s %12s' variant 'overhead ns' '/ ref_kprobe' '/ ref_fentry')"
		for v in $variants; do
			o=$(median "$diffs" over "tool=$v" "spec=$spec")
			say "$(printf '   %-22s %12s %12s %12s' "$v" "$o" "$(ratio "$o" "$rk")" "$(ratio "$o" "$rf")")"
		done
	done
	say "   failed or timed-out runs: $(failures "$raw") (raw: $raw)"
	say "   scripts: kprobe:vfs_read { @[comm] = count(); } and fentry:vfs_read { ... } (bpftrace 0.17: kfunc:vfs_read);"
	say "     sonde_kprobe_forced = SONDE_KPROBE_FENTRY=0; ref = bench/ref/{kprobe,fentry}_comm.bpf.c via bench/ref/loader"
	say "     load: $load"

	# Attach + detach: launch -> exit of a script that attaches and exits.
	local attach_raw=$OUT/kprobe-attach.raw what
	: >"$attach_raw"
	declare -A attach_prog=(
		[one]='kprobe:vfs_read { @ = count(); } BEGIN { exit(); }'
		[wild]='kprobe:vfs_* { @ = count(); } BEGIN { exit(); }'
	)
	progress "kprobe attach: $ATTACH_ROUNDS rounds "
	for round in $(seq "$ATTACH_ROUNDS"); do
		for what in one wild; do
			for v in forced fentry; do
				local envs=(SONDE_KPROBE_FENTRY=1)
				[ $v = forced ] && envs=(SONDE_KPROBE_FENTRY=0)
				tool_enabled sonde &&
					record "$attach_raw" "what=$what tool=$v" -x -t 300 -- env "${envs[@]}" "$sonde" -e "${attach_prog[$what]}"
			done
		done
	done
	echo >&2
	say ""
	say "== kprobe vs fentry: attach + detach, launch -> exit of '... BEGIN { exit(); }' (sonde, median of $ATTACH_ROUNDS)"
	say "   (SONDE_KPROBE_FENTRY=0: kprobes; =1: trampolines for every function, wildcards too)"
	say "$(printf '   %-32s %8s %18s %18s' script probes 'kprobe (=0)' 'fentry (=1)')"
	local n f a
	for what in one wild; do
		n=$("$sonde" -e "${attach_prog[$what]}" 2>/dev/null | sed -n 's/^Attaching \([0-9]*\) probe.*/\1/p' | head -1)
		f=$(median "$attach_raw" exit_ms "what=$what" tool=forced)
		a=$(median "$attach_raw" exit_ms "what=$what" tool=fentry)
		say "$(printf '   %-32s %8s %15s ms %15s ms  (%s)' "${attach_prog[$what]%% \{*}" "$n" "$f" "$a" "$(ratio "$a" "$f")")"
	done
	say "   failed or timed-out runs: $(failures "$attach_raw") (raw: $attach_raw)"
	say "   (whole runs under emulation vary 2-5x from run to run; the kernel's own part, timed alone:)"
	if tool_enabled ref; then
		"$bin/attach_cost" 2>&1 | sed 's/^/   /' | tee -a "$summary"
	fi
}

# ------------------------------------------------------------ 2. start-up

part_startup() {
	local raw=$OUT/startup.raw round tool
	: >"$raw"
	local begin='BEGIN { exit(); }'
	local attach='tracepoint:syscalls:sys_enter_getppid { printf("seen\n"); exit(); }'
	progress "startup: $STARTUP_ROUNDS rounds "
	for round in $(seq "$STARTUP_ROUNDS"); do
		for tool in bpftrace sonde; do
			tool_enabled "$tool" || continue
			tracer_cmd "$tool" "$begin"
			record "$raw" "kind=begin tool=$tool" -T -x -t 30 -- "${CMD[@]}"
			tracer_cmd "$tool" "$attach"
			record "$raw" "kind=attach tool=$tool" -T -P seen -t 30 -- "${CMD[@]}"
		done
		if tool_enabled ref; then
			record "$raw" "kind=attach tool=ref" -T -t 30 -- "$bin/loader" "$bin/count_pid.bpf.o"
		fi
	done
	echo >&2
	say ""
	say "== 2. start-up (median of $STARTUP_ROUNDS runs; stdout is a pty, as when run by hand)"
	say "$(printf '%-9s %22s %15s %24s %24s' tool 'BEGIN{exit()} wall' 'peak RSS' 'launch->Attaching line' 'launch->first event')"
	local wall rss ready seen
	for tool in ref bpftrace sonde; do
		tool_enabled "$tool" || continue
		wall=$(median "$raw" exit_ms kind=begin "tool=$tool")
		rss=$(median "$raw" rss_kb kind=begin "tool=$tool")
		ready=$(median "$raw" ready_ms kind=attach "tool=$tool")
		seen=$(median "$raw" seen_ms kind=attach "tool=$tool")
		if [ "$tool" = ref ]; then
			say "$(printf '%-9s %22s %15s %21s ms %24s' "$tool" n/a n/a "$ready" n/a)"
		else
			say "$(printf '%-9s %19s ms %11s KiB %21s ms %21s ms' "$tool" "$wall" "$rss" "$ready" "$seen")"
		fi
	done
	say "   failed or timed-out runs: $(failures "$raw") (raw: $raw)"
	say "   BEGIN: sonde|bpftrace -e '$begin'  (launch -> process exit, peak RSS from wait4)"
	say "   attach: sonde|bpftrace -e '$attach'"
	say "     the harness calls getppid() every 200 us from launch; 'first event' = launch -> 'seen'"
	say "     on the tracer's stdout, i.e. the probe is provably attached (includes output latency)."
	say "     'Attaching line' alone is not proof: bpftrace prints it before attaching."
	say "     ref = bench/ref/loader count_pid.bpf.o: load + attach of a precompiled object (floor)"
	say "   goal: sonde BEGIN{exit()} <= 25 ms"
}

# ------------------------------------------------------------ 3. many probes

SYSCALLS20=(read write openat close newfstat lseek mmap mprotect munmap brk ioctl pread64 pwrite64
	readv writev access pipe sched_yield madvise dup)

part_probes() {
	local raw=$OUT/probes.raw script=$OUT/probes20.bt round tool name
	: >"$raw"
	: >"$script"
	for name in "${SYSCALLS20[@]}"; do
		[ -d "/sys/kernel/tracing/events/syscalls/sys_enter_$name" ] || die "no tracepoint sys_enter_$name"
		echo "tracepoint:syscalls:sys_enter_$name { @[probe] = count(); }" >>"$script"
	done
	printf '%s\n' 'interval:ms:100 { printf("exit-event\n"); exit(); }' >>"$script"
	# issue 13's script: the same 20 tracepoints with a map each, keyed by comm
	local maps=$OUT/probes20maps.bt
	: >"$maps"
	for name in "${SYSCALLS20[@]}"; do
		echo "tracepoint:syscalls:sys_enter_$name /pid != 0/ { @c_$name[comm] = count(); }" >>"$maps"
	done
	printf '%s\n' 'interval:ms:100 { printf("exit-event\n"); exit(); }' >>"$maps"
	# sonde-cached: the compile cache on, in a cache of this part's own
	# (warmed once), set in the harness's environment as part_cache does
	rm -rf "$OUT/cache-probes"
	SONDE_NO_CACHE= XDG_CACHE_HOME=$OUT/cache-probes timeout 30 "$sonde" "$maps" >/dev/null 2>&1 || true
	progress "probes: $PROBES_ROUNDS rounds "
	for round in $(seq "$PROBES_ROUNDS"); do
		for tool in bpftrace sonde; do
			tool_enabled "$tool" || continue
			local run=("$sonde")
			[ "$tool" = bpftrace ] && run=(bpftrace)
			record "$raw" "kind=counts tool=$tool" -T -x -m exit-event -t 120 -- "${run[@]}" "$script"
			record "$raw" "kind=maps tool=$tool" -T -x -m exit-event -t 120 -- "${run[@]}" "$maps"
			[ "$tool" = sonde ] || continue
			SONDE_NO_CACHE= XDG_CACHE_HOME=$OUT/cache-probes \
				record "$raw" "kind=maps tool=sonde-cached" -T -x -m exit-event -t 120 -- "$sonde" "$maps"
		done
	done
	echo >&2
	say ""
	say "== 3. 20 syscall tracepoints + interval:ms:100 { exit(); } (median of $PROBES_ROUNDS runs)"
	say "$(printf '%-9s %16s %12s %16s %20s %22s %18s %14s' tool launch-to-exit own 'own / bpftrace' 'launch->Attaching' 'launch->exit event' teardown 'peak RSS')"
	local total ready mark down rss own own_bpftrace
	own_bpftrace=$(minus "$(median "$raw" exit_ms kind=counts tool=bpftrace)" 100)
	for tool in bpftrace sonde; do
		tool_enabled "$tool" || continue
		total=$(median "$raw" exit_ms kind=counts "tool=$tool")
		own=$(minus "$total" 100)
		ready=$(median "$raw" ready_ms kind=counts "tool=$tool")
		mark=$(median "$raw" mark_ms kind=counts "tool=$tool")
		down=$(median "$raw" mark_to_exit_ms kind=counts "tool=$tool")
		rss=$(median "$raw" rss_kb kind=counts "tool=$tool")
		say "$(printf '%-9s %13s ms %9s ms %16s %17s ms %19s ms %15s ms %10s KiB' "$tool" "$total" "$own" \
			"$(ratio "$own" "$own_bpftrace")" "$ready" "$mark" "$down" "$rss")"
	done
	say "   failed or timed-out runs: $(failures "$raw") (raw: $raw)"
	say "   command: sonde|bpftrace $script"
	say "     20 x 'tracepoint:syscalls:sys_enter_NAME { @[probe] = count(); }' for NAME in"
	say "     ${SYSCALLS20[*]}, then 'interval:ms:100 { printf(\"exit-event\\n\"); exit(); }'"
	say "   teardown = 'exit-event' seen on the tracer's stdout (a pty, so it is not buffered) ->"
	say "     process exit: maps printed, probes detached, everything freed. (bpftrace detaches"
	say "     before printing, so 'last output -> exit' would miss its teardown.)"
	say "   own = launch-to-exit - the script's 100 ms; goal (issue 13): sonde's own cost <= 0.05x bpftrace's"
	say ""
	say "== 3b. the same 20 tracepoints with a map each (median of $PROBES_ROUNDS runs; own = launch-to-exit - 100 ms)"
	say "$(printf '%-13s %16s %12s %16s %14s %14s' tool launch-to-exit own 'own / bpftrace' teardown 'peak RSS')"
	own_bpftrace=$(minus "$(median "$raw" exit_ms kind=maps tool=bpftrace)" 100)
	for tool in bpftrace sonde sonde-cached; do
		tool_enabled "${tool%-cached}" || continue
		total=$(median "$raw" exit_ms kind=maps "tool=$tool")
		own=$(minus "$total" 100)
		down=$(median "$raw" mark_to_exit_ms kind=maps "tool=$tool")
		rss=$(median "$raw" rss_kb kind=maps "tool=$tool")
		say "$(printf '%-13s %13s ms %9s ms %16s %11s ms %10s KiB' "$tool" "$total" "$own" \
			"$(ratio "$own" "$own_bpftrace")" "$down" "$rss")"
	done
	say "   command: sonde|bpftrace $maps"
	say "     20 x 'tracepoint:syscalls:sys_enter_NAME /pid != 0/ { @c_NAME[comm] = count(); }', then the"
	say "     same interval probe; sonde compiles each run (SONDE_NO_CACHE=1), sonde-cached runs its entry"
	say "     from a compile cache of this part's own (XDG_CACHE_HOME=$OUT/cache-probes)"
	say "   goal (issue 13): sonde's own cost <= 0.05x bpftrace's"
}

# ------------------------------------------------------------ 4. compile scaling

# Writes a script with N distinct tracepoints (syscalls first, then the other
# categories) to FILE, each '{ @[probe] = count(); }': N separate programs.
write_n_probes() {
	local n=$1 file=$2 all=$OUT/tmp/tracepoints.txt
	if [ ! -s "$all" ]; then
		local events=/sys/kernel/tracing/events dir cat
		{
			find "$events/syscalls" -mindepth 1 -maxdepth 1 -type d -name 'sys_enter_*' -printf 'syscalls:%f\n' | sort
			find "$events/syscalls" -mindepth 1 -maxdepth 1 -type d -name 'sys_exit_*' -printf 'syscalls:%f\n' | sort
			for dir in "$events"/*/; do
				cat=$(basename "$dir")
				[ "$cat" = syscalls ] || [ "$cat" = ftrace ] && continue
				find "$dir" -mindepth 1 -maxdepth 1 -type d -printf "$cat:%f\n" | sort
			done
		} >"$all"
	fi
	# head reads a file, not a pipe: no SIGPIPE for pipefail to trip on
	head -n "$n" "$all" | sed 's/^\(.*\)$/tracepoint:\1 { @[probe] = count(); }/' >"$file"
	[ "$(wc -l <"$file")" -eq "$n" ] || die "fewer than $n tracepoints on this kernel"
}

part_compile() {
	local raw=$OUT/compile.raw round tool n sonde_mode=none
	: >"$raw"
	for n in $COMPILE_SIZES; do write_n_probes "$n" "$OUT/probes$n.bt"; done
	if tool_enabled sonde; then
		if timeout 20 "$sonde" --compile-only -e 'BEGIN { exit(); }' >/dev/null 2>&1; then
			sonde_mode=flag
		else
			sonde_mode=emit-elf
		fi
	fi
	progress "compile: $COMPILE_ROUNDS rounds x sizes $COMPILE_SIZES "
	for round in $(seq "$COMPILE_ROUNDS"); do
		for n in $COMPILE_SIZES; do
			BPFTRACE_MAX_PROBES=$((n + 16)) BPFTRACE_MAX_BPF_PROGS=$((n + 16)) \
				record "$raw" "tool=bpftrace n=$n" -x -t 900 -- \
				bpftrace --emit-elf "$OUT/tmp/bpftrace.elf" "$OUT/probes$n.bt"
			case $sonde_mode in
			flag)
				record "$raw" "tool=sonde n=$n" -x -t 900 -- "$sonde" --compile-only "$OUT/probes$n.bt" ;;
			emit-elf)
				rm -f "$OUT/tmp/sonde.elf"
				RECORD_OK_IF=compiled_ms record "$raw" "tool=sonde n=$n" -W "$OUT/tmp/sonde.elf" -t 900 -- \
					"$sonde" --emit-elf "$OUT/tmp/sonde.elf" "$OUT/probes$n.bt" ;;
			esac
		done
	done
	echo >&2
	say ""
	say "== 4. compile only: N distinct tracepoints, each '{ @[probe] = count(); }' (median of $COMPILE_ROUNDS runs)"
	say "$(printf '%-9s %6s %12s %14s %14s' tool probes time 'per probe' 'peak RSS')"
	local field ms rss per first="" last=""
	for tool in bpftrace sonde; do
		tool_enabled "$tool" || continue
		field=exit_ms
		[ "$tool" = sonde ] && [ "$sonde_mode" = emit-elf ] && field=compiled_ms
		for n in $COMPILE_SIZES; do
			ms=$(median "$raw" "$field" "tool=$tool" "n=$n")
			rss=$(median "$raw" rss_kb "tool=$tool" "n=$n")
			per=$(awk -v a="$ms" -v n="$n" 'BEGIN { if (a == "-") print "-"; else printf "%.2f", a / n }')
			say "$(printf '%-9s %6s %9s ms %11s ms %10s KiB' "$tool" "$n" "$ms" "$per" "$rss")"
		done
		first=$(median "$raw" "$field" "tool=$tool" "n=${COMPILE_SIZES%% *}")
		last=$(median "$raw" "$field" "tool=$tool" "n=${COMPILE_SIZES##* }")
		say "$(printf '%-9s marginal cost %s ms per probe between %s and %s probes' "$tool" \
			"$(awk -v a="$first" -v b="$last" -v n1="${COMPILE_SIZES%% *}" -v n2="${COMPILE_SIZES##* }" \
				'BEGIN { if (a == "-" || b == "-" || n2 == n1) print "-"; else printf "%.2f", (b - a) / (n2 - n1) }')" \
			"${COMPILE_SIZES%% *}" "${COMPILE_SIZES##* }")"
	done
	say "   failed or timed-out runs: $(failures "$raw") (raw: $raw)"
	say "   bpftrace: BPFTRACE_MAX_PROBES=N+16 BPFTRACE_MAX_BPF_PROGS=N+16 bpftrace --emit-elf FILE probesN.bt"
	say "     (0.17's --emit-elf is a dry run: parse, analyse, codegen, write the ELF; no load)"
	case $sonde_mode in
	flag) say "   sonde: sonde --compile-only probesN.bt" ;;
	emit-elf) say "   sonde: no --compile-only flag yet: sonde --emit-elf FILE probesN.bt, time = launch ->"
		say "     FILE closed after writing (inotify IN_CLOSE_WRITE), then SIGINT; RSS is the peak up to"
		say "     that SIGINT, so it may include the start of loading" ;;
	esac
	say "   scripts: $OUT/probesN.bt (syscalls:sys_enter_*, then sys_exit_*, then other categories)"
	say "   goal: compile time linear in the probe count (per-probe time flat as N grows)"
}

# ------------------------------------------------------------ 5. printing

part_print() {
	local raw=$OUT/print.raw round tool keys cpu=${CPUS##* }
	: >"$raw"
	local full='tracepoint:raw_syscalls:sys_enter /pid == @PID@/ { @[nsecs] = count(); }'
	local empty='tracepoint:raw_syscalls:sys_enter /pid == 0/ { @[nsecs] = count(); }'
	progress "print: $PRINT_ROUNDS rounds x keys $PRINT_KEYS "
	for round in $(seq "$PRINT_ROUNDS"); do
		for tool in bpftrace sonde; do
			tool_enabled "$tool" || continue
			tracer_cmd "$tool" "$empty"
			record "$raw" "tool=$tool keys=0" -S 100 -D 100 -t 60 -- "${CMD[@]}"
			for keys in $PRINT_KEYS; do
				tracer_cmd "$tool" "$full"
				BPFTRACE_MAP_KEYS_MAX=$((keys * 11 / 10 + 1000)) \
					record "$raw" "tool=$tool keys=$keys" -S 100 -t 600 -L "$bin/loadgen -w -n $keys getppid:$cpu" \
					-- "${CMD[@]}"
			done
		done
	done
	echo >&2
	say ""
	say "== 5. printing a map at exit: SIGINT -> exit, minus the same with an empty map (median of $PRINT_ROUNDS runs)"
	say "$(printf '%-9s %10s %13s %15s %15s %14s' tool 'keys asked' 'keys printed' 'SIGINT->exit' 'print time' 'per key')"
	local base full_ms printed print_ms
	for tool in bpftrace sonde; do
		tool_enabled "$tool" || continue
		base=$(median "$raw" sigint_to_exit_ms "tool=$tool" keys=0)
		say "$(printf '%-9s %10s %13s %12s ms %15s %14s' "$tool" 0 0 "$base" baseline '')"
		for keys in $PRINT_KEYS; do
			full_ms=$(median "$raw" sigint_to_exit_ms "tool=$tool" "keys=$keys")
			printed=$(median "$raw" at_lines "tool=$tool" "keys=$keys")
			print_ms=$(minus "$full_ms" "$base")
			say "$(printf '%-9s %10s %13s %12s ms %12s ms %11s us' "$tool" "$keys" "$printed" "$full_ms" "$print_ms" \
				"$(awk -v a="$print_ms" -v k="$printed" 'BEGIN { if (a == "-" || k + 0 == 0) print "-"; else printf "%.2f", a * 1000 / k }')")"
		done
	done
	say "   failed or timed-out runs: $(failures "$raw") (raw: $raw)"
	say "   keyed:  sonde|bpftrace -e '$full'"
	say "     with @PID@ = a paused 'loadgen -n KEYS getppid:$cpu' released 100 ms after the Attaching line: each of"
	say "     its ~1.02 x KEYS syscalls (it warms up with KEYS/50 calls) is a new key; SIGINT when it exits"
	say "   empty:  sonde|bpftrace -e '$empty'  (SIGINT 200 ms after the Attaching line)"
	say "   bpftrace runs with BPFTRACE_MAP_KEYS_MAX=1.1*KEYS+1000 (much larger and 0.17 attaches"
	say "     but silently records nothing); sonde caps maps at its"
	say "     SONDE_MAX_MAP_KEYS (4096 now): 'keys printed' shows what was actually printed"
	say "   stdout is a pipe read by the harness (no terminal cost)"
}

# ------------------------------------------------------------ 6. symbols

part_symbols() {
	local raw=$OUT/symbols.raw round tool n=$SYMBOL_STACKS
	: >"$raw"
	local done="uprobe:$bin/stackgen:stackgen_done { printf(\"stacks-made\\n\"); exit(); }"
	local full="uprobe:$bin/stackgen:stackgen_leaf { @[ustack] = count(); } $done"
	local empty="uprobe:$bin/stackgen:stackgen_leaf /pid == 0/ { @[ustack] = count(); } $done"
	local keys=$((n * 11 / 10 + 1000))
	progress "symbols: $SYMBOL_ROUNDS rounds x $n stacks "
	for round in $(seq "$SYMBOL_ROUNDS"); do
		for tool in bpftrace sonde; do
			tool_enabled "$tool" || continue
			for script in empty full; do
				tracer_cmd "$tool" "${!script}"
				BPFTRACE_MAP_KEYS_MAX=$keys BPFTRACE_MAX_MAP_KEYS=$keys \
					record "$raw" "tool=$tool map=$script" -S 1000 -x -m stacks-made -t 120 \
					-L "$bin/stackgen -w -n $n -l 300" -- "${CMD[@]}"
			done
		done
	done
	# the processes that made the stacks wait to be named; they are done now
	local pid
	for pid in $(grep -o 'worker=[0-9]*' "$raw" | cut -d= -f2); do
		grep -qs stackgen "/proc/$pid/cmdline" && kill "$pid" 2>/dev/null
	done
	echo >&2
	say ""
	say "== 6. symbolising user stacks at exit: exit() -> process exit, minus the same with an empty map (median of $SYMBOL_ROUNDS runs)"
	say "$(printf '%-9s %13s %15s %15s %15s %14s' tool 'stacks asked' 'stacks printed' 'exit()->exit' 'print time' 'per stack')"
	local base full_ms printed print_ms
	for tool in bpftrace sonde; do
		tool_enabled "$tool" || continue
		base=$(median "$raw" mark_to_exit_ms "tool=$tool" map=empty)
		full_ms=$(median "$raw" mark_to_exit_ms "tool=$tool" map=full)
		printed=$(median "$raw" at_lines "tool=$tool" map=full)
		print_ms=$(minus "$full_ms" "$base")
		say "$(printf '%-9s %13s %15s %12s ms %12s ms %11s us' "$tool" "$n" "$printed" "$full_ms" "$print_ms" \
			"$(awk -v a="$print_ms" -v k="$printed" 'BEGIN { if (a == "-" || k + 0 == 0) print "-"; else printf "%.1f", a * 1000 / k }')")"
	done
	say "   failed or timed-out runs: $(failures "$raw") (raw: $raw)"
	say "   full:   sonde|bpftrace -e '$full'"
	say "   empty:  the same with /pid == 0/ on stackgen_leaf"
	say "     stackgen -n $n makes $n distinct stacks ~$(awk -v n="$n" 'BEGIN { l = 1; while (2 ^ l < n) l++; print 2 * l + 4 }') frames deep (main, walk/walk_one/walk_zero"
	say "     pairs, stackgen_leaf; libc below main) in a child that stays alive, so every frame is named from"
	say "     its /proc/PID/maps and ELF symbols; the time is reading the stacks, naming every frame and printing."
	say "     Timed from the probe's printf (seen on stdout) to the tracer's exit. 'stacks printed' is below"
	say "     $n: a stack whose stack-map bucket another holds is not stored (both tools: 128 Ki buckets)"
	say "   both tools run with BPFTRACE_MAP_KEYS_MAX=BPFTRACE_MAX_MAP_KEYS=$keys"
}

# ------------------------------------------------------------ 7. the compile cache

part_cache() {
	local raw=$OUT/cache.raw script=$OUT/cache20.bt round mode name
	local begin='BEGIN { exit(); }' compiler
	compiler=$(dirname "$sonde")/sonde-compile
	: >"$raw"
	: >"$script"
	for name in "${SYSCALLS20[@]:0:19}"; do
		echo "tracepoint:syscalls:sys_enter_$name { @[probe] = count(); }" >>"$script"
	done
	echo 'tracepoint:syscalls:sys_enter_getppid { printf("seen\n"); exit(); }' >>"$script"
	local modes=(compiled cached)
	# sonde-compile from the cache: what a cached start cost while sonde
	# linked LLVM (sonde-compile is the whole of sonde, LLVM included)
	[ -x "$compiler" ] && modes+=(cached-llvm)
	tool_enabled bpftrace && modes=(bpftrace "${modes[@]}")
	command -v ply >/dev/null && modes+=(ply)
	# The floor a tool without LLVM starts from (ply's kind: C, libbpf): a
	# program that links libbpf, libelf and zlib as the sonde front does, and exits.
	printf '#include <bpf/libbpf.h>\nint main(void) { return libbpf_major_version() == 0; }\n' >"$OUT/tmp/floor.c"
	cc -std=c11 -O2 -o "$bin/libbpf-floor" "$OUT/tmp/floor.c" -Wl,--no-as-needed -lbpf -lelf -lz && modes+=(libbpf-floor)
	# cache_cmd MODE ARGS...: CMD for one way of running. The cache's
	# variables are set in the harness's environment (cache_env), not
	# with env(1), whose own exec would be timed with sonde.
	cache_cmd() {
		local mode=$1
		shift
		case $mode in
		bpftrace) CMD=(bpftrace "$@") ;;
		compiled) CMD=("$sonde" --no-cache "$@") ;;
		cached) CMD=("$sonde" "$@") ;;
		cached-llvm) CMD=("$compiler" "$@") ;;
		ply) CMD=(ply 'BEGIN { exit(0); }') ;;
		libbpf-floor) CMD=("$bin/libbpf-floor") ;;
		esac
	}
	# CACHE_CHRT=PRIO: every run (all tools alike) under the real-time
	# FIFO class at PRIO, so that on a shared, loaded machine a start of a
	# few ms is timed as on an idle one (the other load no longer preempts it)
	local prefix=
	[ -n "${CACHE_CHRT:-}" ] && prefix="chrt -f $CACHE_CHRT"
	cache_env() { SONDE_NO_CACHE= XDG_CACHE_HOME=$OUT/cache RECORD_PREFIX=$prefix "$@"; }
	rm -rf "$OUT/cache"
	# warm the cache (the runs below all find their entry)
	cache_env timeout 30 "$sonde" -e "$begin" >/dev/null 2>&1 || true
	cache_env timeout 30 "$sonde" "$script" >/dev/null 2>&1 &
	local warm=$!
	sleep 2
	kill -INT "$warm" 2>/dev/null || true
	wait "$warm" 2>/dev/null || true
	progress "cache: $CACHE_ROUNDS rounds "
	for round in $(seq "$CACHE_ROUNDS"); do
		for mode in "${modes[@]}"; do
			cache_cmd "$mode" -e "$begin"
			cache_env record "$raw" "kind=begin mode=$mode" -T -x -t 30 -- "${CMD[@]}"
			[ "$mode" = libbpf-floor ] || [ "$mode" = ply ] && continue
			cache_cmd "$mode" "$script"
			cache_env record "$raw" "kind=probes20 mode=$mode" -T -P seen -t 60 -- "${CMD[@]}"
		done
	done
	echo >&2
	say ""
	say "== 7. the compile cache (median of $CACHE_ROUNDS runs; stdout is a pty; load average $(cut -d' ' -f1-3 /proc/loadavg)${prefix:+; every run under $prefix})"
	say "$(printf '%-12s %20s %12s %14s %30s %16s' mode 'BEGIN{exit()} wall' 'CPU' 'peak RSS' '20 probes: launch->first event' 'peak RSS')"
	local wall cpu rss seen rss20 compiled_seen
	compiled_seen=$(median "$raw" seen_ms kind=probes20 mode=compiled)
	for mode in "${modes[@]}"; do
		wall=$(median "$raw" exit_ms kind=begin "mode=$mode")
		cpu=$(median "$raw" cpu_ms kind=begin "mode=$mode")
		rss=$(median "$raw" rss_kb kind=begin "mode=$mode")
		seen=$(median "$raw" seen_ms kind=probes20 "mode=$mode")
		rss20=$(median "$raw" rss_kb kind=probes20 "mode=$mode")
		say "$(printf '%-12s %17s ms %9s ms %10s KiB %27s ms %12s KiB  %s' "$mode" "$wall" "$cpu" "$rss" "$seen" "$rss20" \
			"$(case $mode in cached | cached-llvm) echo "$(ratio "$compiled_seen" "$seen") faster than compiled" ;; esac)")"
	done
	say "   failed or timed-out runs: $(failures "$raw") (raw: $raw)"
	say "   compiled:    sonde --no-cache ... (sonde execs sonde-compile, which compiles)"
	say "   cached:      sonde ... (its entry in \$XDG_CACHE_HOME/sonde; sonde links no LLVM)"
	say "   cached-llvm: sonde-compile ... from the same entry (LLVM linked: what a cached sonde cost before"
	say "     sonde became an LLVM-free front)"
	say "   ply:         ply 'BEGIN { exit(0); }' (when installed; Debian 12 has no ply package)"
	say "   libbpf-floor: a C program linking libbpf, libelf and zlib that exits at once (what a tool without"
	say "     LLVM, like ply, pays before it does anything)"
	say "   BEGIN: -e '$begin' (launch -> process exit; CPU (user + system) and peak RSS from wait4)"
	say "   20 probes: $script: 19 x 'tracepoint:syscalls:sys_enter_NAME { @[probe] = count(); }' and"
	say "     sys_enter_getppid { printf(\"seen\\n\"); exit(); }; the harness calls getppid() every 200 us:"
	say "     launch -> 'seen' on stdout = every probe attached (programs load in order)"
	say "   goals: cached BEGIN{exit()} <= 3 ms wall and <= 5 MiB peak RSS; 20 probes cached >= 3x faster than compiled"
}

# ------------------------------------------------------------ 8. scale

# Writes a script of N probes with a map each to FILE: N-1 distinct
# tracepoints outside syscalls (one program each in both tools: sonde
# lowers syscall tracepoints into shared programs) with BODY's action,
# and sys_enter_getppid '{ @seen = count(); printf("seen\n"); exit(); }',
# which the harness fires every 200 us: its output = every probe attached.
# BODY count: '{ @mK = count(); }' (sonde runs these as raw tracepoints);
# BODY args: '{ @mK[args->F] = count(); }' (bpftrace 0.17's syntax) with F the event's first integer
# field, so the program reads the trace event's record (a perf-event
# tracepoint in both tools); events without one are left out.
write_scale_script() {
	local n=$1 file=$2 body=${3:-count} all=$OUT/tmp/tracepoints.txt
	[ -s "$all" ] || write_n_probes 1 "$OUT/tmp/scale-warm.bt"
	# one awk, not grep | head: head -n 0 closing the pipe at once made
	# grep die of SIGPIPE, which pipefail turned into the bench's exit
	# irq_vectors:irq_work_exit refuses sampling perf events (x86's
	# TRACE_EVENT_PERF_PERM: irq_work would recurse), which bpftrace 0.17
	# opens for every tracepoint: its 1,000-probe run failed on it
	if [ "$body" = args ]; then
		scale_args_list "$all" | awk -v n=$((n - 1)) '$1 != "irq_vectors:irq_work_exit" && k < n { k++; printf "tracepoint:%s { @m%d[args->%s] = count(); }\n", $1, k, $2 }' >"$file"
	else
		awk -v n=$((n - 1)) '!/^syscalls:/ && $0 != "irq_vectors:irq_work_exit" && k < n { k++; printf "tracepoint:%s { @m%d = count(); }\n", $0, k }' \
			"$all" >"$file"
	fi
	[ "$(wc -l <"$file")" -eq $((n - 1)) ] || die "fewer than $n tracepoints${body:+ ($body)} on this kernel"
	echo 'tracepoint:syscalls:sys_enter_getppid { @seen = count(); printf("seen\n"); exit(); }' >>"$file"
}

# "CATEGORY:EVENT FIELD" for the events of LIST outside syscalls whose
# format has an integer field (not common_*, an array, a pointer or a
# __data_loc string), FIELD the first one; cached next to LIST.
scale_args_list() {
	local all=$1 out=$1.args line
	if [ ! -s "$out" ]; then
		while read -r line; do
			case $line in syscalls:*) continue ;; esac
			awk -v ev="$line" -F'\t' '
				$2 ~ /^field:/ && $2 !~ /common_|\[|\*|__data_loc|struct |char / {
					sub(/^field:/, "", $2); sub(/;$/, "", $2)
					nw = split($2, w, " "); print ev, w[nw]; exit
				}' "/sys/kernel/tracing/events/${line/://}/format" 2>/dev/null || true
		done <"$all" >"$out"
	fi
	cat "$out"
}

part_scale() {
	local raw=$OUT/scale.raw round tool n body
	: >"$raw"
	for body in $SCALE_BODIES; do
		for n in $SCALE_SIZES; do write_scale_script "$n" "$OUT/scale$n$(scale_suffix "$body").bt" "$body"; done
	done
	progress "scale: $SCALE_ROUNDS rounds x sizes $SCALE_SIZES x bodies $SCALE_BODIES "
	for round in $(seq "$SCALE_ROUNDS"); do
		for body in $SCALE_BODIES; do
			for n in $SCALE_SIZES; do
				for tool in bpftrace sonde; do
					tool_enabled "$tool" || continue
					scale_run "$raw" "$tool" "$n" "$body" "$OUT/scale$n$(scale_suffix "$body").bt"
				done
			done
		done
	done
	echo >&2
	say ""
	say "== 8. scale: N probes with a map each (median of $SCALE_ROUNDS runs; '-' = every run failed or timed out)"
	say "$(printf '%-9s %6s %11s %19s %21s %12s %13s %13s' tool probes compile 'launch->Attaching' 'launch->first event' teardown 'peak RSS' 'compile RSS')"
	local c ready seen down rss crss
	declare -A cell
	for n in $SCALE_SIZES; do
		for tool in bpftrace sonde; do
			tool_enabled "$tool" || continue
			c=$(median "$raw" exit_ms "tool=$tool" "n=$n" kind=compile body=count)
			ready=$(median "$raw" ready_ms "tool=$tool" "n=$n" kind=run body=count)
			seen=$(median "$raw" seen_ms "tool=$tool" "n=$n" kind=run body=count)
			down=$(median "$raw" mark_to_exit_ms "tool=$tool" "n=$n" kind=run body=count)
			rss=$(median "$raw" rss_kb "tool=$tool" "n=$n" kind=run body=count)
			crss=$(median "$raw" rss_kb "tool=$tool" "n=$n" kind=compile body=count)
			cell[$tool.$n]="$c $seen $down"
			say "$(printf '%-9s %6s %8s ms %16s ms %18s ms %9s ms %9s KiB %9s KiB' "$tool" "$n" "$c" "$ready" "$seen" "$down" "$rss" "$crss")"
		done
		if tool_enabled sonde && tool_enabled bpftrace; then
			read -r -a a <<<"${cell[sonde.$n]}"
			read -r -a b <<<"${cell[bpftrace.$n]}"
			say "$(printf '%-9s %6s %11s %19s %21s %12s' 'ratio' "$n" "$(ratio "${a[0]}" "${b[0]}")" '' \
				"$(ratio "${a[1]}" "${b[1]}")" "$(ratio "${a[2]}" "${b[2]}")")"
		fi
	done
	say ""
	say "   teardown, 'seen' -> ... (median of $SCALE_ROUNDS runs)"
	say "$(printf '%-9s %-6s %6s %12s %16s %14s %16s' tool body probes 'tool exits' 'programs gone' 'kernel clean' 'detach CPU')"
	local gone clean dcpu
	for body in $SCALE_BODIES; do
		for n in $SCALE_SIZES; do
			for tool in bpftrace sonde; do
				tool_enabled "$tool" || continue
				down=$(median "$raw" mark_to_exit_ms "tool=$tool" "n=$n" kind=run "body=$body")
				gone=$(median "$raw" mark_to_progs_gone_ms "tool=$tool" "n=$n" kind=run "body=$body")
				clean=$(median "$raw" mark_to_clean_ms "tool=$tool" "n=$n" kind=run "body=$body")
				dcpu=$(median "$raw" descendants_cpu_ms "tool=$tool" "n=$n" kind=run "body=$body")
				say "$(printf '%-9s %-6s %6s %9s ms %13s ms %11s ms %13s ms' "$tool" "$body" "$n" "$down" "$gone" "$clean" "$dcpu")"
			done
		done
	done
	say "   failed or timed-out runs ($SCALE_TIMEOUT s limit): $(failures "$raw") (raw: $raw)"
	say "   scripts: $OUT/scaleN.bt: N-1 distinct non-syscall tracepoints '{ @mK = count(); }' and"
	say "     sys_enter_getppid { @seen = count(); printf(\"seen\\n\"); exit(); } (the harness calls getppid() every 200 us);"
	say "     $OUT/scaleN-args.bt (body args): '{ @mK[args->FIELD] = count(); }', FIELD the event's first integer field"
	say "   compile: tool --emit-elf FILE scaleN.bt (launch -> exit; bpftrace 0.17's is a dry run)"
	say "   run: tool scaleN.bt, stdout a pty; first event = launch -> 'seen' (compiled, loaded, every"
	say "     probe attached); teardown = 'seen' -> process exit (maps printed, probes detached)"
	say "   programs gone: no tracepoint/raw tracepoint program loaded during the run is left (bpf(2)"
	say "     PROG_GET_NEXT_ID); kernel clean: every process the tool left (sonde-detach) has exited, so"
	say "     its perf events and links are released; detach CPU: those processes' user + system time"
	say "   both with BPFTRACE_MAX_PROBES=BPFTRACE_MAX_BPF_PROGS=N+16; ratio = sonde / bpftrace"
}

scale_suffix() { [ "$1" = count ] || echo "-$1"; }

# scale_run RAW TOOL N BODY SCRIPT: one compile and one run of SCRIPT
scale_run() {
	local raw=$1 tool=$2 n=$3 body=$4 script=$5
	local run=("$sonde") compile=("$sonde" --emit-elf "$OUT/tmp/scale.elf")
	if [ "$tool" = bpftrace ]; then
		run=(bpftrace)
		compile=(bpftrace --emit-elf "$OUT/tmp/scale.elf")
	fi
	export BPFTRACE_MAX_PROBES=$((n + 16)) BPFTRACE_MAX_BPF_PROGS=$((n + 16))
	# compile only: bpftrace 0.17's --emit-elf is a dry run; sonde's
	# --emit-elf writes the ELF and exits
	record "$raw" "tool=$tool n=$n kind=compile body=$body" -x -t "$SCALE_TIMEOUT" -- \
		"${compile[@]}" "$script"
	record "$raw" "tool=$tool n=$n kind=run body=$body" -T -x -K -P seen -m seen -t "$SCALE_TIMEOUT" -- \
		"${run[@]}" "$script"
	unset BPFTRACE_MAX_PROBES BPFTRACE_MAX_BPF_PROGS
}

say "sonde benchmark  $(date '+%F %T')  kernel $(uname -r), $(nproc) CPUs, bpftrace $(bpftrace --version | awk '{ print $2 }')"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
say "sonde: $sonde ($([ $have_sonde = 1 ] && echo ok || echo "skipped: $sonde_note"))"
[ $have_ref = 1 ] || say "ref: skipped (clang missing)"
for part in "${parts[@]}"; do "part_$part"; done
say ""
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (anything near 1 or more: the numbers are disturbed)"
say "raw results and this summary: $OUT"
