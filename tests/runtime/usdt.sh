# usdt: probes from <sys/sdt.h> markers (tests/tools/usdt_*.c): exact
# counts and argument values of every size and sign, in registers,
# constants and memory; a probe inlined at two locations that describe its
# argument differently; a probe guarded by its semaphore; a probe in a
# shared library; wildcards in the provider, the probe and the path; -c and
# -p (usdt::PROBE searches what the process maps).
. "$(dirname "$0")/lib.bash"

B=$(realpath "$TOOLS_DIR")
for t in usdt_target_O2 usdt_target_O0 usdt_semaphore usdt_libuser libusdt_lib.so; do
	if [ ! -e "$B/$t" ]; then
		echo "SKIP: $B/$t not built"
		exit 77
	fi
done
snapshot_bpf
SIZES='-5 250 -1234 60000 -100000 4000000000 -5000000000 18364758544493064720'

for v in O2 O0; do
	T=$B/usdt_target_$v
	run_sonde -q -c "$T 3" -e "usdt:$T:sonde_test:loop { printf(\"loop %d %s\n\", arg0, str(arg1)); }
		U:$T:sizes { printf(\"%ld %lu %ld %lu %ld %lu %ld %lu\n\", (int64)arg0, arg1, (int64)arg2, arg3,
			(int64)arg4, arg5, (int64)arg6, arg7); }
		usdt:$T:sonde_test:constant { @c[(int64)arg0, (int64)arg1] = count(); }
		usdt:$T:noargs { @noargs = count(); }
		usdt:$T:inlined { @inlined[(int64)arg0] = count(); }"
	expect_eq "-$v: arguments (int, string, 8 sizes and signs, constants), counts, two locations" \
		"loop 0 word
$SIZES
loop 1 word
$SIZES
loop 2 word
$SIZES
@c[42, -7]: 3
@inlined[0]: 1
@inlined[1]: 1
@inlined[2]: 1
@inlined[1000]: 3
@noargs: 3" "$(grep -v '^$' <<<"$OUT")"
done

T=$B/usdt_target_O2
run_sonde -c "$T 2" -e "usdt:$T:sonde_test:* { @[probe] = count(); }"
expect_eq "usdt:BIN:PROVIDER:* (each probe once, its locations together)" "@[usdt:$T:sonde_test:constant]: 2
@[usdt:$T:sonde_test:inlined]: 4
@[usdt:$T:sonde_test:loop]: 2
@[usdt:$T:sonde_test:noargs]: 2
@[usdt:$T:sonde_test:sizes]: 2
Attaching 5 probes..." "$(grep -v '^$' <<<"$OUT" | sort)"
run_sonde -q -c "$T 2" -e "usdt:$T:*:l*p, usdt:$T::noarg* { @[probe] = count(); }"
expect_eq "wildcards in provider and probe, an empty provider" "@[usdt:$T:sonde_test:loop]: 2
@[usdt:$T:sonde_test:noargs]: 2" "$(grep '^@' <<<"$OUT" | sort)"
run_sonde -q -c "$T 2" -e "usdt:$B/usdt_target_O*:loop { @[probe] = count(); }"
expect_eq "a wildcard in the path" "@[usdt:$T:sonde_test:loop]: 2" "$(grep '^@' <<<"$OUT")"

# semaphores: the kernel holds them up while attached, so guarded code runs
S=$B/usdt_semaphore
run_sonde -q -c "$S 4" -e "usdt:$S:sonde_test:guarded { printf(\"guarded %d semaphore %d\n\", arg0, arg1); }
	usdt:$S:always { @always = count(); }"
expect_eq "a probe guarded by its semaphore fires (semaphore 1 while attached)" "guarded 0 semaphore 1
guarded 1 semaphore 1
guarded 2 semaphore 1
guarded 3 semaphore 1
@always: 4" "$(grep -v '^$' <<<"$OUT")"

# a probe in a shared library
L=$B/libusdt_lib.so
run_sonde -q -c "$B/usdt_libuser 3" -e "usdt:$L:sonde_lib:call { printf(\"call %d %d\n\", arg0, arg1); }
	usdt:$L:globals { printf(\"globals %ld %ld\n\", (int64)arg0, (int64)arg1); }"
expect_eq "a probe in a shared library; static variables as symbol(%rip) operands" "call 0 0
globals 5 -3
call 1 2
globals 6 -3
call 2 4
globals 8 -3" "$(grep -v '^$' <<<"$OUT")"

run_sonde -q -c "$B/usdt_libuser 2" -e "usdt:$B/usdt_libuser:sonde_user:\"\\\"quoted\\\"\" { printf(\"%s %d\n\", probe, arg0); }"
expect_eq "a quoted probe name (quotes in the name itself)" "usdt:$B/usdt_libuser:sonde_user:\"quoted\" 0
usdt:$B/usdt_libuser:sonde_user:\"quoted\" 1" "$(grep -v '^$' <<<"$OUT")"

# -p: the process's binaries, its libraries included
"$T" -1 &
TP=$!
"$B/usdt_libuser" -1 &
LP=$!
wait_until 10 file_has /proc/$LP/maps libusdt_lib.so
run_sonde -q -p $TP -e 'usdt::sonde_test:loop { printf("%s %d\n", probe, arg0 >= 0); exit(); }'
expect_eq "-p PID: usdt::PROVIDER:PROBE in the process's program" "usdt:$T:sonde_test:loop 1" "$(grep -v '^$' <<<"$OUT")"
run_sonde -q -p $LP -e 'usdt:*:call { printf("%s %d\n", probe, arg1 == arg0 * 2); exit(); }'
expect_eq "-p PID: usdt:*:PROBE finds a library it maps" "usdt:$L:sonde_lib:call 1" "$(grep -v '^$' <<<"$OUT")"
run_sonde -q -e 'usdt:*:sonde_lib:call { printf("%s\n", probe); exit(); }'
expect_eq "usdt:*:PROVIDER:PROBE without -p: what every process maps" "usdt:$L:sonde_lib:call" "$(grep -v '^$' <<<"$OUT")"
kill $TP $LP
wait $TP $LP 2>/dev/null

# errors
run_sonde -e "usdt:$T:sonde_test:lop { }"
expect_match "a misspelled probe: the closest name" "error: usdt: no probe 'sonde_test:lop' in $T; did you mean 'sonde_test:loop'\\?" "$ERR"
run_sonde -e "usdt:$T:loop { @ = arg2; }"
expect_match "argN beyond the probe's arguments" "error: builtin 'arg2' is not available in usdt:$T:sonde_test:loop: the probe has 2 arguments \\(arg0..arg1\\)" "$ERR"

if command -v bpftrace >/dev/null; then
	same_as_bpftrace "usdt arguments and counts" -c "$T 3" -e "usdt:$T:sonde_test:loop { printf(\"%d %s\n\", arg0, str(arg1)); @[arg0 * 10] = sum(arg0 + 1); }
		usdt:$T:constant { @c = sum((int64)arg0 + (int64)arg1); }"
	# -p: 0.17 raises the semaphore itself through /proc/PID/mem
	"$S" -1 &
	SP=$!
	same_as_bpftrace "a semaphore-guarded probe with -p" -p $SP -e "usdt:$S:sonde_test:guarded { printf(\"%d\n\", arg1); exit(); }"
	kill $SP
	wait $SP 2>/dev/null
	# (not a library probe with -c: 0.17 attaches to the child before it
	# maps the library and never fires; sonde attaches to the file)
	same_as_bpftrace "memory operands of several sizes" -c "$B/usdt_target_O0 2" -e "usdt:$B/usdt_target_O0:sizes { printf(\"%d %d %d %d %d %d\n\", (int64)arg0, arg1, (int64)arg2, arg3, (int64)arg4, arg5); }"
fi
expect_nothing_left "usdt"
finish
