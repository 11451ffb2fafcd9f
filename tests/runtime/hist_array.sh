# Unkeyed hist()/lhist() maps that the script only updates and prints are
# per-CPU arrays of their buckets (desc_map's array; an all-zero bucket is
# absent). Their output must be what the hash gave: bpftrace 0.17's for
# the values it buckets right, and byte for byte the hash's
# (SONDE_HIST_HASH=1) for the rest, in text and JSON, at exit and from print().
. "$(dirname "$0")/lib.bash"

HIST='BEGIN { @h = hist(0); @h = hist(1); @h = hist(3); @h = hist(3); @h = hist(-1); @h = hist(-100000);
	@h = hist(20); @h = hist(1500); @h = hist(1048576); @h = hist(123456789); exit(); }'
LHIST='BEGIN { @l = lhist(-1, 0, 100, 10); @l = lhist(-50, 0, 100, 10); @l = lhist(0, 0, 100, 10);
	@l = lhist(99, 0, 100, 10); @l = lhist(100, 0, 100, 10); @l = lhist(100000, 0, 100, 10);
	@l = lhist(55, 0, 100, 10); exit(); }'
# not in bpftrace 0.17: a negative lhist minimum, hist(n, k)
NEGMIN='BEGIN { @n = lhist(-7, -20, 20, 5); @n = lhist(-20, -20, 20, 5);
	@n = lhist(19, -20, 20, 5); @n = lhist(20, -20, 20, 5); @n = lhist(-21, -20, 20, 5); exit(); }'
PRINTS='BEGIN { @h = hist(5); @h = hist(6); print(@h); @l = lhist(3, 0, 10, 1); print(@l);
	@h = hist(700); print(@h); @e = hist(1); if (nsecs == 0) { @never = hist(1); } exit(); }'
BITS='BEGIN { @b = hist(0, 2); @b = hist(3, 2); @b = hist(5, 2); @b = hist(1000, 2); @b = hist(-3, 2); exit(); }'
BIG='BEGIN { @h = hist(0x7fffffffffffffff); @h = hist(5000000000); @h = hist(-0x7fffffffffffffff);
	@u = hist((uint64)0xffffffffffffffff); @l = lhist(0x7fffffffffffffff, 0, 1000000, 1000);
	@l = lhist(-0x7fffffffffffffff, 0, 1000000, 1000); exit(); }'

same_as_bpftrace "hist array: negative, zero, big" -e "$HIST"
same_as_bpftrace "lhist array: under and over the range" -e "$LHIST"
same_as_bpftrace "hist/lhist arrays printed by print()" -e "$PRINTS"
same_as_bpftrace "hist from a tracepoint" -c '/usr/bin/dd if=/dev/zero of=/dev/null bs=1 count=2000' \
	-e 'tracepoint:syscalls:sys_enter_read /pid == cpid/ { @size = hist(args->count); @l = lhist(args->count, 0, 4096, 512); }'

# the hash gives the same bytes, in text and JSON
for prog in "$HIST" "$LHIST" "$PRINTS" "$NEGMIN" "$BITS" "$BIG"; do
	for fmt in text json; do
		want=$(SONDE_HIST_HASH=1 timeout -s INT 60 "$SONDE" --no-cache -f $fmt -e "$prog" 2>&1)
		got=$(timeout -s INT 60 "$SONDE" --no-cache -f $fmt -e "$prog" 2>&1)
		expect_eq "array same as hash ($fmt): ${prog:8:40}" "$want" "$got"
	done
done

# the map really is an array, and one that clear() empties stays a hash
if command -v bpftool >/dev/null; then
	types() {
		"$SONDE" --no-cache -q -e "$1" >/dev/null 2>&1 &
		local pid=$! i
		for i in $(seq 50); do
			bpftool map show 2>/dev/null | grep -qE "name m[0-9]+_$2 " && break
			sleep 0.1
		done
		bpftool map show 2>/dev/null | grep -E "name m[0-9]+_$2 " | awk '{ print $2 }' | sort -u
		kill -INT $pid
		wait $pid 2>/dev/null
	}
	expect_eq "unkeyed hist is a percpu array" percpu_array \
		"$(types 'interval:ms:100 { @h13arr = hist(5); } interval:s:10 { exit(); }' h13arr)"
	expect_eq "a cleared hist stays a percpu hash" percpu_hash \
		"$(types 'interval:ms:100 { @h13clr = hist(5); } interval:ms:300 { clear(@h13clr); } interval:s:10 { exit(); }' h13clr)"
else
	skip "map types: bpftool not installed"
fi
finish
