#!/usr/bin/env bash
# skboutput()'s perf buffer (runtime/skboutput.c, an output channel) has as
# many pages a CPU as bpftrace's perf buffers: perf_rb_pages, from
# BPFTRACE_PERF_RB_PAGES or the config block, 64 when not set. The -c
# command, run once everything is attached, reads sonde's mappings: one
# perf_event mapping a CPU, of the pages plus the header page.
. "$(dirname "$0")/lib.bash"

PAGE=$(getconf PAGESIZE)
NCPU=$(grep -c '^processor' /proc/cpuinfo)
PROG='rawtracepoint:net_dev_queue { skboutput("'"$TMP/p.pcap"'", (struct sk_buff *)arg0, 64, 14); }'
MAPS="/bin/sh -c 'grep perf_event /proc/\$PPID/maps'"

# the sizes of sonde's perf_event mappings, in pages: "COUNT xPAGES" a size
perf_maps() {
	local range rest
	grep perf_event | while read -r range rest; do
		echo $(((0x${range#*-} - 0x${range%-*}) / PAGE))
	done | sort -n | uniq -c | while read -r count pages; do printf '%sx%s ' "$count" "$pages"; done
}

run_sonde -e "$PROG" -c "$MAPS"
expect_eq "no setting: 64 pages a CPU (bpftrace's default)" "0 ${NCPU}x65 " "$RC $(perf_maps <<<"$OUT")"

OUT=$(BPFTRACE_PERF_RB_PAGES=4 timeout -s INT 60 "$SONDE" -e "$PROG" -c "$MAPS" 2>"$TMP/stderr")
RC=$?
expect_eq "BPFTRACE_PERF_RB_PAGES=4: 4 pages a CPU" "0 ${NCPU}x5 " "$RC $(perf_maps <<<"$OUT")"

run_sonde -e "config = { perf_rb_pages = 16 } $PROG" -c "$MAPS"
expect_eq "config perf_rb_pages = 16: 16 pages a CPU" "0 ${NCPU}x17 " "$RC $(perf_maps <<<"$OUT")"

# without skboutput there is no perf buffer at all
run_sonde -e 'rawtracepoint:net_dev_queue { @ = count(); }' -c "$MAPS"
expect_eq "no skboutput: no perf buffer" "0 " "$RC $(perf_maps <<<"$OUT")"
finish
