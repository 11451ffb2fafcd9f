# Runs every script in examples/ for a moment under a small workload and
# checks that it prints what its comment promises.
. "$(dirname "$0")/lib.bash"

# run_example FILE SECONDS [ARGS...]: run it, make some syscalls meanwhile, Ctrl-C.
run_example() {
	local file=$1 secs=$2
	shift 2
	"$SONDE" "$SRCDIR/examples/$file" "$@" >"$TMP/out" 2>"$TMP/err" &
	local pid=$!
	sleep 1
	for _ in 1 2 3 4 5; do
		cat /etc/hostname /etc/os-release >/dev/null
		dd if=/dev/zero of=/dev/null bs=8192 count=20 2>/dev/null
		sleep 0.1
	done
	sleep "$secs"
	kill -INT "$pid" 2>/dev/null # tasknames.bt ends by itself
	wait "$pid"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

for f in "$SRCDIR"/examples/*.bt; do
	head -1 "$f" | grep -q '^#!/usr/bin/env sonde$' && pass "$(basename "$f") has the sonde #! line" \
		|| fail "$(basename "$f") has no '#!/usr/bin/env sonde' line"
	sed -n 2p "$f" | grep -q '^// ' && pass "$(basename "$f") says what it shows" \
		|| fail "$(basename "$f") has no comment on line 2"
done

run_example syscount.bt 0
expect_eq "syscount exit code" 0 "$RC"
expect_match "syscount counts dd" '^@syscalls\[dd\]: [0-9]+$' "$OUT"

run_example readsize.bt 0
expect_match "readsize histogram per comm" '^@requested\[dd\]:$' "$OUT"
expect_match "readsize 8K bucket" '^\[8K, 16K\) +[1-9][0-9]* \|@* *\|$' "$OUT"
expect_match "readsize returned hist" '^@returned:$' "$OUT"

run_example syscall_rate.bt 1
expect_match "syscall_rate banner" '^Counting system calls per second' "$OUT"
expect_match "syscall_rate prints every second" '^@per_second: [0-9]+$' "$OUT"

run_example cpuprofile.bt 1
expect_match "cpuprofile per cpu" '^@samples_per_cpu\[[0-9]+\]: [0-9]+$' "$OUT"
expect_match "cpuprofile per process" '^@samples_per_process\[.+\]: [0-9]+$' "$OUT"

run_example opensnoop.bt 0
expect_match "opensnoop sees cat open /etc/hostname" '^[0-9]+ +cat +/etc/hostname$' "$OUT"

run_example syscall_latency.bt 0
expect_match "syscall_latency histogram" '^@latency_ns:$' "$OUT"
expect_match "syscall_latency rows" '^\[[0-9]+K?, [0-9]+[KM]?\) +[0-9]+ \|@* *\|$' "$OUT"

run_example bigreads.bt 0 4096
expect_match "bigreads counts dd" '^@reads\[dd\]: [0-9]+$' "$OUT"
expect_match "bigreads lhist 8K bucket" '^\[8K, 16K\) +[1-9][0-9]* \|@* *\|$' "$OUT"
run_example syscall_share.bt 0
expect_eq "syscall_share exit code" 0 "$RC"
expect_match "syscall_share header (for loops over a map in END)" '^COMM +SHARE$' "$OUT"
expect_match "syscall_share a command's share" '^[^ ]+ +[0-9]+%$' "$OUT"

run_example execsnoop.bt 0
expect_eq "execsnoop exit code" 0 "$RC"
expect_match "execsnoop header" '^TIME +PID +PARENT +ARGS$' "$OUT"
expect_match "execsnoop: time, pid, parent and the joined argv of dd" \
	'^[0-9]{2}:[0-9]{2}:[0-9]{2} +[0-9]+ +[^ ]+ +dd if=/dev/zero of=/dev/null bs=8192 count=20$' "$OUT"

run_example topsyscalls.bt 1.5
expect_eq "topsyscalls exit code" 0 "$RC"
expect_match "topsyscalls prints the time each second" '^[0-9]{2}:[0-9]{2}:[0-9]{2}$' "$OUT"
expect_match "topsyscalls: entries by command and pid" '^@calls\[[^,]+, [0-9]+\]: [0-9]+$' "$OUT"
expect_eq "topsyscalls: at most five entries a second" "" \
	"$(awk '/^[0-9][0-9]:/ { n = 0; next } /^@calls/ { if (++n > 5) print }' <<<"$OUT")"

run_example slowcalls.bt 0
expect_eq "slowcalls exit code" 0 "$RC"
expect_match "slowcalls header" '^SYSCALL +AVG_NS +MAX_NS$' "$OUT"
expect_match "slowcalls: read by name with its average and maximum (for over an avg() map)" '^read +[0-9]+ +[0-9]+$' "$OUT"

run_example tasknames.bt 0
expect_eq "tasknames exit code" 0 "$RC"
expect_match "tasknames: the imported BEGIN's banner" "^Counting processes by their parent's name" "$OUT"
expect_match "tasknames: kernel threads under kthreadd (comm(pid) of the parent)" '^@by_parent\[kthreadd\]: [0-9]+$' "$OUT"
expect_eq "tasknames: no warnings" "" "$ERR"

finish
