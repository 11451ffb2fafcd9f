# usdt:*:PROVIDER:PROBE and usdt::PROBE with -c CMD: the probes of the
# program CMD runs (its libraries are not mapped before it starts). The
# latest bpftrace does the same; 0.17 globbed '*' in the current directory.
. "$(dirname "$0")/lib.bash"

T=$TOOLS_DIR/usdt_target_O0
if [ ! -x "$T" ]; then
	echo "SKIP: $T not built (needs <sys/sdt.h>, Debian's systemtap-sdt-dev)"
	exit 77
fi
T=$(realpath "$T")
snapshot_bpf

run_sonde -q -c "$T 2" -e 'usdt:*:sonde_test:loop { printf("%s %d %s\n", probe, arg0, str(arg1)); }'
expect_eq "usdt:*:provider:probe -c: exit status" 0 "$RC"
expect_eq "usdt:*:provider:probe -c: the child's probe fires" \
	"$(printf 'usdt:%s:sonde_test:loop 0 word\nusdt:%s:sonde_test:loop 1 word' "$T" "$T")" "$OUT"

run_sonde -q -c "$T 2" -e 'usdt::sonde_test:loop { @ = count(); }'
expect_eq "usdt::provider:probe -c" "$(printf '\n\n@: 2')" "$OUT"

run_sonde -q -c "$T 1" -e 'usdt:*:sonde_test:* { @[probe] = count(); }'
expect_match "usdt:*:provider:* -c: every probe of the child" "^@\\[usdt:$T:sonde_test:noargs\\]: 1\$" "$OUT"

# a -c program without such a probe: the error names no match
run_sonde -c "/bin/true" -e 'usdt:*:sonde_test:loop { @ = count(); }'
expect_match "usdt:*:probe -c of a program without it" "error: usdt: no probe matches" "$ERR"

expect_nothing_left "usdt -c"
finish
