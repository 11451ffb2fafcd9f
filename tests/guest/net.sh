#!/usr/bin/env bash
# socket_cookie() and skboutput() in fentry and fexit probes, which this
# machine's kernel refuses (the host tests them in tp_btf raw tracepoints:
# tests/runtime/lang_late.sh). In the guest: UDP datagrams over its
# loopback from one python3 socket whose cookie (SO_COOKIE) it prints.
. "$(dirname "$0")/lib.bash"
. "$GUEST_DIR/../runtime/net.bash"
if ! command -v python3 >/dev/null; then
	echo "SKIP: python3 (the traffic and the pcap reader) is not installed"
	exit 77
fi
ip link set lo up 2>/dev/null || busybox ip link set lo up
udp_count_script
N=5
SEND="python3 $TMP/udp_count.py $N"
PY='/comm == "python3"/'

snapshot_bpf

# ---- socket_cookie: the socket's own cookie, at entry and at exit -------------
run_sonde -e "fentry:udp_sendmsg $PY { @in[socket_cookie(args.sk)] = count(); }
	fexit:udp_sendmsg $PY { @out[socket_cookie(args.sk)] = count(); }" -c "$SEND"
cookie=$(sed -n 's/^cookie=//p' <<<"$OUT")
expect_match "the sender printed its SO_COOKIE" '^[1-9][0-9]*$' "$cookie"
expect_match "fentry: socket_cookie(args.sk) is SO_COOKIE, once a datagram" "^@in\\[$cookie\\]: $N\$" "$OUT"
expect_match "fexit: socket_cookie(args.sk) is SO_COOKIE, once a datagram" "^@out\\[$cookie\\]: $N\$" "$OUT"

# ---- skboutput: the datagrams in pcap files -----------------------------------
# __dev_queue_xmit sees each packet with lo's 14-byte link header (offset
# 14 leaves the IP packet); when eth_type_trans returns, the header has been
# pulled off the data (offset 0). Both run in the sender's context on lo.
run_sonde -e "fentry:__dev_queue_xmit $PY {
		if (skboutput(\"$TMP/in.pcap\", args.skb, args.skb->len, 14) == 0) { @in = count(); } }
	fexit:eth_type_trans $PY {
		if (skboutput(\"$TMP/out.pcap\", args.skb, args.skb->len, 0) == 0) { @out = count(); } }" -c "$SEND"
expect_match "fentry: skboutput() sent every datagram" "^@in: $N\$" "$OUT"
expect_match "fexit: skboutput() sent every datagram" "^@out: $N\$" "$OUT"
expect_eq "stderr is empty (no lost packets)" "" "$ERR"
for f in in out; do
	expect_eq "$f.pcap: RAW link type, our datagram as an IPv4 packet" "a1b2c3d4 2.4 0 0 65535 101
ipv4=4 udp=17 dport=9 recent whole" "$(pcap_check "$TMP/$f.pcap" 2>&1)"
	expect_eq "$f.pcap: one record a datagram" "$N" "$(pcap_ours "$TMP/$f.pcap" 2>&1)"
done

expect_nothing_left "socket_cookie and skboutput in fentry and fexit"
finish
