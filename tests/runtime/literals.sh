# Integer literals in every form bpftrace writes them (src/intlit.c): the
# values reach the BPF program and come back printed. bpftrace 0.17 is the
# oracle for the forms it knows (scientific, '_' separators, octal, hex, C
# suffixes); duration suffixes came later, and 0.17 refused exponents above
# 16 (the latest allows any that fits in 64 bits), so those are fixed here.
. "$(dirname "$0")/lib.bash"
snapshot_bpf

same_as_bpftrace "scientific, separators, octal, hex, C suffixes" -e 'BEGIN {
	printf("%ld %ld %ld %ld %ld\n", 1e6, 2e3, 9e16, 1e1_0, 5e0);
	printf("%ld %ld %ld %ld\n", 1_000_000, 0_777, 0777, 0x1f);
	printf("%ld %ld %ld %ld %ld %lu\n", 5u, 7UL, 3ll, 4L, 3e2u, 18446744073709551615);
	@m[1_0, 2e1] = 3e2;
	@neg = -1e3;
	exit();
}'

run_sonde -q -e 'BEGIN {
	printf("%lu %lu %lu %lu\n", 1ns, 2us, 3ms, 4s);
	printf("%lu %lu %lu\n", 5m, 6h, 7d);
	printf("%lu %lu %lu\n", 1e3ms, 1_500us, 0x1_F);
	printf("%lu %lu\n", 9e18, 1e19);
	@deadline = nsecs + 1s > nsecs;
	exit();
}'
expect_eq "duration suffixes are nanoseconds" "1 2000 3000000 4000000000
300000000000 21600000000000 604800000000000
1000000000 1500000 31
9000000000000000000 10000000000000000000


@deadline: true" "$OUT"

run_sonde -e 'BEGIN { @x = 1e20; }'
expect_eq "1e20 is out of range" "stdin:1:14: error: integer literal '1e20' is out of range (more than 64 bits)" \
	"$(printf '%s\n' "$ERR" | head -1)"
expect_eq "and exits 1" 1 "$RC"

expect_nothing_left "literals"
finish
