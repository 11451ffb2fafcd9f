#!/usr/bin/env bash
# --metrics: the running script's maps at /metrics in Prometheus's text
# format. A known workload (a copy of dd under its own name, reading
# blocks of known sizes from stdin) gives exact counters and histogram
# buckets; the output passes `promtool check metrics`; garbage requests and
# slow clients neither stop the trace nor change what it counts; a real
# Prometheus server (Debian's prometheus, when installed) scrapes sonde and
# a PromQL query returns the workload's count.
. "$(dirname "$0")/lib.bash"

if ! command -v curl >/dev/null; then
	echo "SKIP: curl not installed"
	exit 77
fi

# dd under a name nothing else on the machine has: comm filters it exactly.
DD=$TMP/smetrics_dd
cp "$(command -v dd)" "$DD"
workload() { # BS COUNT: COUNT reads of BS bytes on fd 0
	"$DD" bs="$1" count="$2" </dev/zero >/dev/null 2>&1
}

PROG='tracepoint:syscalls:sys_enter_read /comm == "smetrics_dd" && args.fd == 0/ {
	@reads = count(); @sz = hist(args.count); @bytes = sum(args.count);
	@by_size[args.count] = count(); @big = max(args.count);
	@l[comm, 7] = lhist(args.count, 0, 4000, 1000); @last = comm; @st = stats(args.count);
}'

PID=""
# start_sonde ARGS...: sonde in the background; waits until its probes are
# attached and sets PORT from its "Serving metrics at" line.
start_sonde() {
	snapshot_bpf
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "$SONDE" "$@" >"$TMP/out" 2>"$TMP/err" &
	PID=$!
	PORT=""
	for _ in $(seq 300); do
		if grep -q __BPFTRACE_NOTIFY_PROBES_ATTACHED "$TMP/out" 2>/dev/null; then
			PORT=$(sed -nE 's|^Serving metrics at http://[^ ]*:([0-9]+)/metrics$|\1|p' "$TMP/err")
			break
		fi
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$PORT" ]
}
stop_sonde() { # sets RC
	kill -INT "$PID" 2>/dev/null
	RC=0
	wait "$PID" || RC=$?
}
scrape() { curl -s --max-time 5 "http://127.0.0.1:$PORT${1:-/metrics}"; }
# the samples of some families (no HELP/TYPE lines)
samples() { grep -E "^($1)[{ ]" <<<"$2"; }

if ! start_sonde --metrics 0 -e "$PROG"; then
	fail "sonde serves metrics"
	cat "$TMP/err"
	finish
fi
pass "sonde serves metrics (port $PORT)"

# ---- before the workload ---------------------------------------------------
M=$(scrape)
expect_eq "before any event: scalar counters are 0, nothing else has a value" \
	"sonde_bytes_total 0
sonde_reads_total 0" "$(samples 'sonde_reads_total|sonde_sz_bucket|sonde_bytes_total|sonde_big' "$M")"

# ---- a known workload ------------------------------------------------------
workload 512 5
workload 3000 2
M=$(scrape)
expect_eq "counters, gauges and keys as labels" \
'sonde_big 3000
sonde_by_size_total{key="512"} 5
sonde_by_size_total{key="3000"} 2
sonde_bytes_total 8560
sonde_last{value="smetrics_dd"} 1
sonde_reads_total 7
sonde_st_samples 7
sonde_st_average 1222
sonde_st_total_value 8560' \
	"$(samples 'sonde_big|sonde_by_size_total|sonde_bytes_total|sonde_last|sonde_reads_total|sonde_st_[a-z_]+' "$M")"
expect_eq "hist(): cumulative le buckets, +Inf and _count" \
'sonde_sz_bucket{le="1023"} 5
sonde_sz_bucket{le="2047"} 5
sonde_sz_bucket{le="4095"} 7
sonde_sz_bucket{le="+Inf"} 7
sonde_sz_count 7' "$(samples 'sonde_sz_bucket|sonde_sz_count' "$M")"
expect_eq "lhist() of a tuple key: key0, key1" \
'sonde_l_bucket{key0="smetrics_dd",key1="7",le="999"} 5
sonde_l_bucket{key0="smetrics_dd",key1="7",le="1999"} 5
sonde_l_bucket{key0="smetrics_dd",key1="7",le="2999"} 5
sonde_l_bucket{key0="smetrics_dd",key1="7",le="3999"} 7
sonde_l_bucket{key0="smetrics_dd",key1="7",le="+Inf"} 7
sonde_l_count{key0="smetrics_dd",key1="7"} 7' "$(samples 'sonde_l_bucket|sonde_l_count' "$M")"
expect_eq "HELP and TYPE lines" \
'# HELP sonde_reads_total @reads = count()
# TYPE sonde_reads_total counter
# HELP sonde_sz @sz = hist()
# TYPE sonde_sz histogram
# HELP sonde_big @big = max()
# TYPE sonde_big gauge' "$(grep -E '^# (HELP|TYPE) (sonde_reads_total|sonde_sz|sonde_big) ' <<<"$M" |
	sort -k3,3 -s | awk '{ k = $3 } k == "sonde_reads_total" { a = a $0 "\n" } k == "sonde_sz" { b = b $0 "\n" } k == "sonde_big" { c = c $0 "\n" } END { printf "%s%s%s", a, b, c }')"
expect_eq "the dropped-series counter" "sonde_metrics_dropped_series_total 0" \
	"$(samples sonde_metrics_dropped_series_total "$M")"

if command -v promtool >/dev/null; then
	CHECK=$(promtool check metrics <<<"$M" 2>&1)
	expect_eq "promtool check metrics: no problem" "0:" "$?:$CHECK"
else
	# the format's rules, checked by hand: every sample line is
	# name{labels} value, every family has one TYPE line
	bad=$(grep -vE '^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.e+Inf]+)$' <<<"$M")
	expect_eq "exposition lines well formed (promtool not installed)" "" "$bad"
fi

# ---- bad clients -------------------------------------------------------------
expect_eq "unknown path: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope")"
expect_eq "POST: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -d x "http://127.0.0.1:$PORT/metrics")"
# garbage, an endless header line, binary noise: each on its own connection
printf 'GARBAGE\r\n\r\n' | timeout 5 bash -c "cat >/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
head -c 200000 /dev/zero | tr '\0' 'A' | timeout 5 bash -c "cat >/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
head -c 65536 /dev/urandom | timeout 5 bash -c "cat >/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
# slow clients: half a request each, held open
for fd in 5 6 7; do
	eval "exec $fd<>/dev/tcp/127.0.0.1/$PORT" && printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' >&"$fd"
done
# a client that asks and never reads
exec 8<>/dev/tcp/127.0.0.1/$PORT
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >&8
workload 512 3
M=$(scrape)
expect_eq "after garbage and with slow clients connected: still serving, still counting" \
	"sonde_reads_total 10" "$(samples sonde_reads_total "$M")"
kill -0 "$PID" 2>/dev/null && pass "sonde still runs" || fail "sonde still runs"

# SIGINT with the slow clients still connected: a prompt, normal end
start=$(date +%s%N)
stop_sonde
ms=$(( ($(date +%s%N) - start) / 1000000 ))
exec 5>&- 6>&- 7>&- 8>&-
expect_eq "exit status with slow clients connected" 0 "$RC"
[ "$ms" -lt 3000 ] && pass "stops in ${ms} ms (< 3 s)" || fail "stops in ${ms} ms (< 3 s)"
expect_match "the maps are printed at exit as usual" '^@reads: 10$' "$(cat "$TMP/out")"
expect_nothing_left "after the metrics run"

# ---- where it listens --------------------------------------------------------
if start_sonde --metrics 0 -e 'BEGIN { @x = 1 } interval:s:100 { exit(); }'; then
	listen=$(ss -ltnH "sport = :$PORT" 2>/dev/null | awk '{ print $4 }')
	expect_eq "binds 127.0.0.1 unless told otherwise" "127.0.0.1:$PORT" "$listen"
	# a second sonde on the same port fails before it attaches anything
	run_sonde --metrics "$PORT" -e 'tracepoint:syscalls:sys_enter_read { @ = count(); }'
	expect_eq "port in use: exit 1" 1 "$RC"
	expect_match "port in use: said so" "^sonde: --metrics '$PORT': cannot listen there" "$ERR"
	stop_sonde
else
	fail "second run serves metrics"
fi
run_sonde --metrics nope -e 'BEGIN { exit(); }'
expect_eq "a bad --metrics: exit 1 and why" \
	"1 sonde: --metrics 'nope': expected [ADDR:]PORT with a port from 0 to 65535" "$RC $ERR"
run_sonde --metrics 70000 -e 'BEGIN { exit(); }'
expect_eq "port out of range: exit 1" 1 "$RC"

# ---- the config block, and the bound on series --------------------------------
if start_sonde -e 'config = { metrics = "127.0.0.1:0"; metrics_max_series = 3 }
		BEGIN { @k[1] = 1; @k[2] = 2; @k[3] = 3; @k[4] = 4; @k[5] = 5; }
		interval:s:100 { exit(); }'; then
	M=$(scrape)
	expect_eq "config: metrics = \"ADDR:PORT\"; series bound: 3 kept" \
'sonde_k{key="1"} 1
sonde_k{key="2"} 2
sonde_k{key="3"} 3' "$(samples sonde_k "$M")"
	expect_eq "series bound: 2 dropped, counted" "sonde_metrics_dropped_series_total 2" \
		"$(samples sonde_metrics_dropped_series_total "$M")"
	stop_sonde
else
	fail "config block metrics key serves"
	cat "$TMP/err"
fi

# ---- label names the script gives: a record as the key ------------------------
if start_sonde --metrics 0 -e 'tracepoint:syscalls:sys_enter_read /comm == "smetrics_dd" && args.fd == 0/ {
		@reads[(comm=comm, size=args.count)] = count(); @sz[(op="read")] = hist(args.count);
		@odd[(le=1, value=2, __x=3)] = count(); @t[(1, "a")] = count(); }'; then
	workload 512 3
	M=$(scrape)
	expect_eq "a record's members are the labels; a tuple's parts key0, key1; reserved names get key_" \
'sonde_odd_total{key_le="1",key_value="2",key___x="3"} 3
sonde_reads_total{comm="smetrics_dd",size="512"} 3
sonde_sz_bucket{op="read",le="1023"} 3
sonde_sz_bucket{op="read",le="+Inf"} 3
sonde_sz_count{op="read"} 3
sonde_t_total{key0="1",key1="a"} 3' "$(samples 'sonde_(odd|reads|sz|t)[a-z_]*' "$M")"
	if command -v promtool >/dev/null; then
		CHECK=$(promtool check metrics <<<"$M" 2>&1)
		expect_eq "promtool: record labels well formed" "0:" "$?:$CHECK"
	fi
	stop_sonde
else
	fail "record-keyed maps serve metrics"
	cat "$TMP/err"
fi

# ---- a real Prometheus scraping sonde ----------------------------------------
if command -v prometheus >/dev/null && start_sonde --metrics 0 -e "$PROG"; then
	workload 512 4
	PPORT=$(( 20000 + RANDOM % 20000 ))
	cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: sonde
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
	prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
		--web.listen-address="127.0.0.1:$PPORT" >"$TMP/prom.log" 2>&1 &
	PROM=$!
	answer=""
	for _ in $(seq 100); do
		answer=$(curl -s --max-time 2 "http://127.0.0.1:$PPORT/api/v1/query" \
			--data-urlencode 'query=sonde_reads_total{job="sonde"}' 2>/dev/null)
		grep -q '"value":\[[0-9.]*,"4"\]' <<<"$answer" && break
		sleep 0.2
	done
	expect_match "Prometheus scraped sonde: PromQL sonde_reads_total = 4" '"value":\[[0-9.]*,"4"\]' "$answer"
	bucket=$(curl -s --max-time 2 "http://127.0.0.1:$PPORT/api/v1/query" \
		--data-urlencode 'query=sonde_sz_bucket{le="1023"}' 2>/dev/null)
	expect_match "PromQL: the le=\"1023\" bucket holds 4" '"value":\[[0-9.]*,"4"\]' "$bucket"
	kill "$PROM"
	wait "$PROM" 2>/dev/null
	stop_sonde
else
	skip "a real Prometheus (prometheus not installed)"
fi

finish
