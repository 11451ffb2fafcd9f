# nsecs(clock): each kernel clock against the same clock read in user space.
. "$(dirname "$0")/lib.bash"

# boot >= monotonic (suspend only widens the gap); both agree with the
# clocks `date` cannot read, so compare with /proc/uptime (CLOCK_BOOTTIME).
run_sonde -q -e 'BEGIN { printf("%llu %llu %llu\n", nsecs(monotonic), nsecs(boot), nsecs); exit(); }'
read -r mono boot plain <<<"$(grep . <<<"$OUT")"
expect_eq "nsecs(boot) >= nsecs(monotonic)" 1 "$(( boot >= mono ))"
expect_eq "plain nsecs is the monotonic clock" 1 "$(( plain >= mono && plain - mono < 1000000000 ))"
up=$(cut -d' ' -f1 /proc/uptime | tr -d .)  # centiseconds since boot
expect_eq "nsecs(boot) is within 2 s of /proc/uptime" 1 "$(( boot / 10000000 - up < 200 && up - boot / 10000000 < 200 ))"

# TAI is UTC plus the kernel's TAI offset: 37 s when NTP has set it, 0 when
# nothing has (as on most VMs). Compare whole seconds.
run_sonde -q -e 'BEGIN { printf("%llu %llu\n", nsecs(tai), nsecs(sw_tai)); exit(); }'
now=$(date +%s)
read -r tai sw <<<"$(grep . <<<"$OUT")"
if [ "$tai" = "" ]; then
	fail "nsecs(tai): no output ($ERR)"
else
	d=$(( tai / 1000000000 - now ))
	expect_eq "nsecs(tai) is UTC plus 0..40 s" 1 "$(( d >= 0 && d <= 40 ))"
	gap=$(( sw > tai ? sw - tai : tai - sw ))
	expect_eq "nsecs(sw_tai) is within 1 ms of nsecs(tai)" 1 "$(( gap < 1000000 ))"
fi
finish
