# Maps the latest bpftrace's way: aggregations read as values (summed over
# the CPUs in BPF), map declarations (`let @m = hash(N);`), has_key(),
# len(). Compared with bpftrace 0.17 where it has the feature, with fixed
# expectations (the latest bpftrace's output) otherwise.
. "$(dirname "$0")/lib.bash"

# ---- aggregations read as values ----------------------------------------------

# bpftrace's runtime suite (basic: print_per_cpu_map_vals)
run_sonde -e 'BEGIN { @a = avg(5); @c = count(); @s = sum(5); @mn = min(1); @mx = max(-1);
	print((@a, @c, @s, @mn, @mx)); exit(); }'
expect_eq "aggregations read as a tuple" "Attaching 1 probe...
(5, 1, 5, 1, -1)" "$(head -2 <<<"$OUT")"

run_sonde -e 'BEGIN { @c = count(); @c = count(); @s = sum(-7); @s = sum(2); @a = avg(-7); @a = avg(2);
	@u = sum((uint64)3); @mx = max(-4); @mx = max(-9); @mn[1] = min(8); @mn[1] = min(3);
	if (@c > 1) { printf("%d %d %d %d %d %d %d %d\n", (int64)@c, @s, @a, @u, @mx, @mn[1], @mn[2], @absent[7]); }
	@absent[8] = count(); exit(); }'
expect_eq "aggregations in conditions, casts and printf; absent keys read 0" "Attaching 1 probe...
2 -5 -2 3 -4 3 0 0


@a: -2

@absent[8]: 1
@c: 2
@mn[1]: 3
@mx: -4
@s: -5
@u: 3" "$OUT"

# every CPU's share counts: profile fires on each busy CPU (a spinning
# shell pinned to each of the first CPUs), and the value read in BPF is the
# one printed at exit
ncpu=$(nproc)
spin=$((ncpu < 4 ? ncpu : 4))
spinners=()
for ((c = 0; c < spin; c++)); do
	taskset -c "$c" sh -c 'while :; do :; done' &
	spinners+=($!)
done
run_sonde -e 'profile:hz:199 { @c = count(); @cpus[cpu] = count(); }
	interval:ms:300 { @seen = @c; @n = len(@cpus); exit(); } END { clear(@cpus); }'
kill "${spinners[@]}" 2>/dev/null
wait "${spinners[@]}" 2>/dev/null
seen=$(sed -n 's/^@seen: //p' <<<"$OUT")
total=$(sed -n 's/^@c: //p' <<<"$OUT")
n=$(sed -n 's/^@n: //p' <<<"$OUT")
if [ -n "$seen" ] && [ -n "$total" ] && [ "$seen" -gt 0 ] && [ "$seen" -le "$total" ] && [ "${n:-0}" -ge "$spin" ] &&
	[ $((seen * 4)) -gt $((total * 3)) ]; then # one CPU's share alone would be about 1/n
	pass "count() read in BPF sums every CPU ($seen of $total on $n CPUs)"
else
	fail "count() read in BPF sums every CPU: seen=$seen total=$total cpus=$n (want >= $spin)"
	printf '%s\n' "$OUT" "$ERR" | sed 's/^/    /'
fi

# print(@m[k]) of an aggregation prints its value (latest bpftrace)
run_sonde -e 'BEGIN { @c[1] = count(); @c[1] = count(); print(@c[1]); @x[1] = 5; print(@x[1]); clear(@c); clear(@x); exit(); }'
expect_eq "print(@m[k])" "Attaching 1 probe...
2
5" "$OUT"

# ---- has_key(), len() ------------------------------------------------------------

run_sonde -e 'BEGIN { @[0] = 0; @[1] = 1; printf("map len: %d\n", len(@));
	@h[1, "a"] = 1; if (has_key(@h, (1, "a"))) { printf("yes\n"); } if (!has_key(@h, (2, "a"))) { printf("no\n"); }
	@c[3] = count(); @c[4] = count(); printf("%d %d %d\n", has_key(@c, 3), has_key(@c, 5), len(@c));
	print(has_key(@c, 4)); delete(@c, 4); print(has_key(@c, 4)); print(len(@c));
	$k = 1; @s[$k] = "x"; if (has_key(@s, $k) && len(@s) == 1) { printf("scratch key\n"); }
	clear(@); clear(@h); clear(@c); clear(@s); exit(); }'
expect_eq "has_key() and len() on plain and per-CPU maps" "Attaching 1 probe...
map len: 2
yes
no
1 0 2
true
false
1
scratch key" "$OUT"

# bpftrace's tests: has_key() in a condition, len() of an empty map
run_sonde -e 'BEGIN { @start[1] = 5; @e[1] = 1; delete(@e, 1); printf("%d\n", len(@e)); }
	interval:ms:10 /has_key(@start, 1)/ { printf("found %d\n", @start[1]); delete(@start, 1); exit(); }'
expect_eq "has_key() as a predicate" "Attaching 2 probes...
0
found 5" "$OUT"

# ---- declarations: let @m = hash(N); ------------------------------------------------

# the BPF map has the declared type and size
if command -v bpftool >/dev/null; then
	# a unique map name, so other scripts running now do not match
	name=m0_d$$
	timeout -s INT 3 "$SONDE" -e "let @d$$ = hash(3); let @l = lruhash(5); let @p = percpuhash(7);
		let @q = percpulruhash(9); BEGIN { @d$$[1] = 1; @l[1] = 1; @p[1] = count(); @q[1] = sum(2); }
		interval:s:10 { exit(); }" >/dev/null 2>&1 &
	spid=$!
	got=""
	for _ in $(seq 30); do
		sleep 0.1
		got=$(bpftool map show 2>/dev/null | grep -A1 -E "name ${name:0:15} " | sed -nE 's/^[0-9]+: ([a-z_]+) .*/\1/p; s/.*max_entries ([0-9]+) .*/\1/p' | tr '\n' ' ')
		[ -n "$got" ] && break
	done
	pids=$(pgrep -P "$spid" 2>/dev/null)
	kill -INT $spid $pids 2>/dev/null
	wait $spid 2>/dev/null
	expect_eq "hash(3) is a BPF hash of 3 entries" "hash 3 " "$got"
fi

# bpftrace's runtime suite (map): a declared size is the map's, not max_map_keys
run_sonde -e 'let @a = hash(1); BEGIN { @a[0] = 0; @a[0] = 1; exit(); }'
expect_eq "hash(1), one key rewritten" "Attaching 1 probe...


@a[0]: 1" "$OUT"
expect_eq "hash(1), one key rewritten: nothing dropped" "" "$ERR"
run_sonde -e 'let @a = hash(1); BEGIN { @a[1] = 1; @a[2] = 2; exit(); }'
expect_eq "hash(1) full" "Attaching 1 probe...


@a[1]: 1" "$OUT"
expect_match "hash(1) full: the dropped update is reported" "@a: 1 update dropped: Map full" "$ERR"
expect_match "hash(1) full: the fix is the declaration's size" "Try increasing the max entries in its declaration \\(let @a = hash\\(N\\)\\)" "$ERR"
run_sonde -e 'let @a = percpuhash(1); BEGIN { @a[1] = count(); @a[2] = count(); exit(); }'
expect_eq "percpuhash(1) full" "Attaching 1 probe...


@a[1]: 1" "$OUT"
expect_match "percpuhash(1) full: the dropped update is reported" "@a: 1 update dropped: Map full" "$ERR"
# LRU maps evict instead of refusing
run_sonde -e 'let @a = percpulruhash(1); BEGIN { @a[1] = count(); @a[2] = count(); exit(); }'
expect_eq "percpulruhash(1) evicts" "Attaching 1 probe...


@a[2]: 1" "$OUT"
expect_eq "percpulruhash(1): nothing dropped" "" "$ERR"
run_sonde -e 'let @a = lruhash(2); BEGIN { @a[0] = 0; @a[1] = 1; @a[2] = 2; printf("%d\n", len(@a)); exit(); }'
expect_match "lruhash(2) evicts" "^@a\[2\]: 2$" "$OUT"
expect_eq "lruhash(2): nothing dropped" "" "$ERR"
# BPFTRACE_MAX_MAP_KEYS sizes the others only
BPFTRACE_MAX_MAP_KEYS=1 run_sonde -e 'let @a = hash(3); BEGIN { @a[1] = 1; @a[2] = 2; @b[1] = 1; @b[2] = 2; exit(); }'
expect_eq "BPFTRACE_MAX_MAP_KEYS leaves declared maps alone" "Attaching 1 probe...


@a[1]: 1
@a[2]: 2
@b[1]: 1" "$OUT"
# declared and never used: a warning, and the script runs
run_sonde -e 'let @a = percpuhash(1); BEGIN { exit(); }'
expect_eq "unused declaration runs" "Attaching 1 probe..." "$OUT"
expect_match "unused declaration warns" "warning: map '@a' is declared but never used" "$ERR"
# a declared hist counts its buckets, as bpftrace's
run_sonde -e 'let @h = percpuhash(2); BEGIN { @h = hist(1); @h = hist(100); @h = hist(1000); exit(); }'
expect_match "declared hist: buckets are entries" "@h: 1 update dropped" "$ERR"

# ---- delete, clear, zero, print on every kind ----------------------------------------
# (bpftrace 0.17 leaves a deleted hist or stats key behind, zeroed, and has
# no ++ on count(): the latest bpftrace's behaviour, fixed)

run_sonde -e 'BEGIN { @x = 1; delete(@x); @y = 2;
	@h[1] = hist(5); @h[1] = hist(500); @h[2] = hist(5); delete(@h[1]);
	@l[1] = lhist(5, 0, 1000, 1); @l[1] = lhist(999, 0, 1000, 1); @l[2] = lhist(3, 0, 1000, 1); delete(@l, 1);
	@c[1] = count(); @c[2] = count(); delete(@c[2]); @s[1] = stats(3); @s[2] = stats(4); delete(@s, 1); exit(); }'
expect_eq "delete of every bucket of a hist/lhist key, of aggregations, of a scalar" "Attaching 1 probe...


@c[1]: 1
@h[2]:
[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@l[2]:
[3, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

@s[2]: { .count = 1, .average = 4, .total = 4 }


@y: 2" "$OUT"

run_sonde -e 'BEGIN { @c[1] = count(); @c[2] = count(); @c[2] = count();
	@a[1] = avg(10); @a[2] = avg(30); @m[1] = max(8); @m[2] = max(90); @p[1] = 7; @p[2] = 70;
	print(@c, 1); print(@a, 1, 10); print(@m, 2, 4); print(@p, 1, 7); exit(); }
	END { zero(@m); print(@m); clear(@p); @c[3]++; @c[3] += 4; }'
expect_eq "print top/div, zero, clear and ++ of aggregations" "Attaching 2 probes...
@c[2]: 2
@a[2]: 3

@m[1]: 2
@m[2]: 22
@p[2]: 10
@m[1]: 0
@m[2]: 0


@a[1]: 10
@a[2]: 30

@c[1]: 1
@c[2]: 2
@c[3]: 5
@m[1]: 0
@m[2]: 0" "$OUT"

# ---- tseries() ------------------------------------------------------------------------
# (the chart itself is checked byte for byte in test_print; here the map
# behind it: values per interval and agg, times masked)

run_sonde -e 'BEGIN { @ = tseries(5, 1s, 3); @k["a"] = tseries(-2, 1s, 3, "sum"); @k["a"] = tseries(-3, 1s, 3, "sum");
	@m = tseries((uint64)9, 1s, 4, "max"); @m = tseries((uint64)4, 1s, 4, "max");
	@v = tseries(10, 1s, 2, "avg"); @v = tseries(20, 1s, 2, "avg"); @l = tseries(1, 1s, 2); @l = tseries(8, 1s, 2); exit(); }'
got=$(sed -nE 's/^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9} \|? *[|*].* ([-0-9]+)$/\1/p; s/^(@.*):$/\1/p' <<<"$OUT" | tr '\n' ' ')
expect_eq "tseries: last, sum, max, avg of one interval" "@ 5 @k[a] -5 @l 8 @m 9 @v 15 " "$got"

# events 20 ms apart, intervals of 100 ms: a few intervals, each with the
# count of its events; JSON gives each interval's start and value
run_sonde -f json -e 'interval:ms:20 /@n < 20/ { @n++; @ = tseries(@n, 100ms, 50, "max"); @c = tseries(1, 100ms, 50, "sum"); if (@n == 20) { exit(); } }'
series=$(grep '"tseries"' <<<"$OUT" | grep '"@c"')
expect_match "tseries JSON: interval starts, 100 ms apart" '"interval_start": "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}\.[0-9]{2}0000000", "value": [1-9]' "$series"
total=$(grep -oE '"value": [0-9]+' <<<"$series" | awk '{ s += $2 } END { print s }')
expect_eq "tseries sum: every event in some interval" "20" "$total"

# ---- hist(n, k): 2^k buckets per power of 2 (latest bpftrace) ---------------------------
# bpftrace's runtime suite (json-output: histogram-finegrain) counts 0..1023
# with hist($i, 3) in a while loop; here dd's 1024 reads of /dev/zero do.
run_sonde -q -f json -c '/usr/bin/dd if=/dev/zero of=/dev/null bs=1 count=1024' \
	-e 't:syscalls:sys_enter_read /pid == cpid && args.fd == 0/ { @ = hist(@i, 3); @i++; } END { clear(@i); }'
want='{"type": "hist", "data": {"@": ['
for ((lo = 0; lo < 1024; )); do
	if ((lo < 16)); then width=1; else p=1; while ((p * 2 <= lo)); do p=$((p * 2)); done; width=$((p / 8)); fi
	want+="{\"min\": $lo, \"max\": $((lo + width - 1)), \"count\": $width}"
	lo=$((lo + width))
	((lo < 1024)) && want+=","
done
want+=']}}'
expect_eq "hist(n, 3) as bpftrace's histogram-finegrain" "$want" "$(grep '"hist"' <<<"$OUT")"
run_sonde -e 'BEGIN { @h = hist(0, 2); @h = hist(7, 2); @h = hist(8, 2); @h = hist(1500, 2); @h = hist(-3, 2); exit(); }'
expect_eq "hist(n, 2) text labels" "@h:
(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|" "$(sed -n '4,6p' <<<"$OUT")"
expect_match "hist(n, 2): [8, 10) and [1280, 1536)" "^\[8, 10\) +1 .*" "$OUT"
expect_match "hist(n, 2): [1280, 1536)" "^\[1280, 1536\) +1 " "$OUT"

# bpftrace's test hook: BPFTRACE_DUMMY_TS_MAP=@ts takes "now" from @ts, so
# the chart is exact (times in UTC here)
TZ=UTC BPFTRACE_DUMMY_TS_MAP=@ts run_sonde -e 'BEGIN { @ts = (uint64)1000000000; } i:ms:1 /@done == 0/ { @done = 1;
	$ms = (uint64)1000000; @a = tseries(1, 100ms, 5); @ts += 100 * $ms; @a = tseries(2, 100ms, 5); @ts += 200 * $ms;
	@a = tseries(3, 100ms, 5); @ts += 10 * $ms; @a = tseries(-4, 100ms, 5); clear(@ts); clear(@done); exit(); }'
expect_eq "tseries with a dummy clock: values, a gap, the zero line" "@a:
             -4                                                  2
hh:mm:ss.ms  |___________________________________________________|
00:00:01.000 |                                  .       *        | 1
00:00:01.100 |                                  .                * 2
00:00:01.200 |                                  .                | -
00:00:01.300 *                                  .                | -4
             v___________________________________________________v
             -4                                                  2" "$(sed -n '4,12p' <<<"$OUT")"

# A series written at time 0 (only a hand-set clock gets there): bpftrace
# takes a record with epoch 0 for one never written, so the point is there
# with value 0; every key's chart ends at the map's latest interval.
TZ=UTC BPFTRACE_DUMMY_TS_MAP=@ts run_sonde -q -f json -e 'BEGIN { @ts = (uint64)0; } i:ms:1 /@done == 0/ { @done = 1; $ms = (uint64)1000000;
	@a["one"] = tseries(5, 100ms, 4); @ts += 100 * $ms; @a["one"] = tseries(5, 100ms, 4); @ts += 100 * $ms;
	@a["two"] = tseries(4, 100ms, 4); @ts += 100 * $ms; @a["two"] = tseries(4, 100ms, 4); clear(@ts); clear(@done); exit(); }'
expect_eq "tseries at time 0: the point is 0" '{"type": "tseries", "data": {"@a": {"one": [{"interval_start": "1970-01-01 00:00:00.000000000", "value": 0},{"interval_start": "1970-01-01 00:00:00.100000000", "value": 5}], "two": [{"interval_start": "1970-01-01 00:00:00.200000000", "value": 4},{"interval_start": "1970-01-01 00:00:00.300000000", "value": 4}]}}}' \
	"$(grep tseries <<<"$OUT")"

# delete() is a bool: whether the entry was there (latest bpftrace)
run_sonde -q -e 'BEGIN { @m[1] = 1; @m[2] = 2; $a = delete(@m, 1); $b = delete(@m[1]); @s = 5; $c = delete(@s);
	printf("%d %d %d\n", $a, $b, $c); if (!delete(@m, 9)) { printf("none\n"); } delete(@m[2]); exit(); }'
expect_eq "delete() as a value" "1 0 1
none" "$(grep . <<<"$OUT")"
finish
