# net.bash - loopback traffic and a pcap reader for the tests of
# skboutput() and socket_cookie() (sourced by tests/runtime/lang_late.sh
# and tests/guest/net.sh; needs python3).

# udp_send PID: a UDP datagram "sonde-skboutput-probe" to 127.0.0.1:9
# every 10 ms while process PID lives (10 s at most).
udp_send() {
	python3 -c 'import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 10
while os.path.exists("/proc/" + sys.argv[1]) and time.time() < end:
    s.sendto(b"sonde-skboutput-probe", ("127.0.0.1", 9)); time.sleep(0.01)' "$1"
}
# pcap_check FILE: the file header, then "ipv4 udp payload" for the first
# record holding our datagram, and whether every record's timestamp is
# within a minute of now
pcap_check() {
	python3 -c 'import struct, sys, time
d = open(sys.argv[1], "rb").read()
magic, vmaj, vmin, zone, sigfigs, snap, link = struct.unpack("<IHHiIII", d[:24])
print("%x %d.%d %d %d %d %d" % (magic, vmaj, vmin, zone, sigfigs, snap, link))
at, found, recent = 24, "none", True
while at + 16 <= len(d):
    sec, usec, cap, length = struct.unpack("<IIII", d[at:at + 16])
    pkt = d[at + 16:at + 16 + cap]
    recent = recent and abs(sec + usec / 1e6 - time.time()) < 60 and cap == length
    if found == "none" and b"sonde-skboutput-probe" in pkt:
        found = "ipv4=%d udp=%d dport=%d" % (pkt[0] >> 4, pkt[9], struct.unpack(">H", pkt[22:24])[0])
    at += 16 + cap
print(found, "recent" if recent else "OLD", "whole" if at == len(d) else "TRUNCATED")' "$1"
}

# pcap_ours FILE: how many records hold our datagram.
pcap_ours() {
	python3 -c 'import struct, sys
d, at, n = open(sys.argv[1], "rb").read(), 24, 0
while at + 16 <= len(d):
    cap = struct.unpack("<I", d[at + 8:at + 12])[0]
    n += b"sonde-skboutput-probe" in d[at + 16:at + 16 + cap]
    at += 16 + cap
print(n)' "$1"
}

# udp_count_script: writes $TMP/udp_count.py, for -c "python3 $TMP/udp_count.py N":
# it prints its socket's cookie (SO_COOKIE) as "cookie=C", then sends N
# datagrams "sonde-skboutput-probe" to 127.0.0.1:9 from that socket. It
# listens on port 9 itself (root: the guest's tests), so that no ICMP
# port-unreachable reply, which quotes the datagram, crosses lo too.
udp_count_script() {
	cat >"$TMP/udp_count.py" <<'PY'
import socket, struct, sys
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("127.0.0.1", 9))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
SO_COOKIE = 57
print("cookie=%d" % struct.unpack("<Q", s.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0], flush=True)
for _ in range(int(sys.argv[1])):
    s.sendto(b"sonde-skboutput-probe", ("127.0.0.1", 9))
PY
}
