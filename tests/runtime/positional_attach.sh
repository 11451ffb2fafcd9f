# Positional parameters inside attach points: `$N` is replaced by the
# parameter's text before the probe is expanded, anywhere outside double
# quotes (interval:ms:$1, tracepoint:syscalls:sys_enter_$1, interval:$1:$2).
# Compared with bpftrace 0.17; a parameter that is missing, or not a number
# where the probe needs one, is an error at the $N (bpftrace substitutes ""
# and then says "stoull" or "tracepoint not found").
. "$(dirname "$0")/lib.bash"
need_syscaller
snapshot_bpf

same_as_bpftrace "interval:ms:\$1" -e 'interval:ms:$1 { printf("tick %s\n", probe); exit(); }' 20
same_as_bpftrace "interval:ms:\$1 written 1e2" -e 'interval:ms:$1 { printf("tick %s\n", probe); exit(); }' 1e2
same_as_bpftrace "interval:\$1:\$2" -e 'interval:$1:$2 { printf("tick %s\n", probe); exit(); }' ms 20
same_as_bpftrace "profile:hz:\$1" -e 'profile:hz:$1 { @ = 1; exit(); }' 997

WORKLOAD="$SYSCALLER -n 7 -k getppid"
same_as_bpftrace "tracepoint:syscalls:sys_enter_\$1" -c "$WORKLOAD" \
	-e 'tracepoint:syscalls:sys_enter_$1 /pid == cpid/ { @[probe] = count(); }' getppid
same_as_bpftrace "\$1 as the category, \$2 inside a wildcard" -c "$SYSCALLER -n 2 -k getppid" \
	-e 'tracepoint:$1:sys_*_$2 /pid == cpid/ { printf("%s\n", probe); }' syscalls getppid
run_sonde -q -c "$WORKLOAD" -e 'tracepoint:syscalls:sys_enter_$1 /pid == cpid/ { @[probe] = count(); }' getppid
expect_eq "the substituted tracepoint fires" "

@[tracepoint:syscalls:sys_enter_getppid]: 7" "$OUT"

# errors: at the $N, exit 1
run_sonde -e 'interval:ms:$1 { exit(); }'
expect_eq "unset: the error" "stdin:1:13: error: positional parameter \$1 is not set (no parameters follow the program)" \
	"$(printf '%s\n' "$ERR" | head -1)"
expect_eq "unset: the caret under \$1" "            ^~" "$(printf '%s\n' "$ERR" | sed -n 3p)"
expect_eq "unset: exit 1" 1 "$RC"
run_sonde -e 'tracepoint:syscalls:sys_enter_$2 { exit(); }' read
expect_eq "unset in a tracepoint name" "stdin:1:31: error: positional parameter \$2 is not set (1 given)" \
	"$(printf '%s\n' "$ERR" | head -1)"
run_sonde -e 'interval:ms:$1 { exit(); }' abc
expect_eq "not a number" "stdin:1:13: error: positional parameter \$1 is 'abc', not a number" \
	"$(printf '%s\n' "$ERR" | head -1)"
expect_eq "not a number: exit 1" 1 "$RC"
run_sonde -e 'profile:hz:1$1 { exit(); }' 0x
expect_eq "part of a number" "stdin:1:13: error: positional parameter \$1 is '0x', not a number" \
	"$(printf '%s\n' "$ERR" | head -1)"
run_sonde -e 'interval:ms:$# { exit(); }' 5
expect_eq "\$# is not substituted" \
	"stdin:1:13: error: '\$#' cannot be used in an attach point: only \$1, \$2, ... are substituted there" \
	"$(printf '%s\n' "$ERR" | head -1)"

expect_nothing_left "positional parameters in attach points"
finish
