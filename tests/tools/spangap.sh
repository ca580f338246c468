#!/usr/bin/env bash
# spangap.sh — the gap between the two copies a port mirror delivers of
# one frame, measured on a real (software) mirror: a Linux bridge whose
# two ports mirror their ingress and their egress (tc mirred with a
# match-all u32 filter, what Linux
# offers as SPAN) into a sensor veth, captured with tcpdump while two
# hosts exchange UDP and a TCP bulk transfer through the bridge. Every
# frame crosses two mirrored ports, so it is captured twice; the gaps
# come from tests/tools/dupwindow (DUPWINDOW_VERBOSE).
#
# usage (root): tests/tools/spangap.sh build/tests/dupwindow [OUT.pcap]
# Prints the number of frames, the copies found, and the gap percentiles
# (µs). Everything lives in three network namespaces of its own, removed
# on exit. Not a test: a measurement for the README ("SPAN duplicates").
set -eu
dupwindow=${1:?usage: spangap.sh /path/to/dupwindow [OUT.pcap]}
tmp=$(mktemp -d)
out=${2:-$tmp/span.pcap}
sw=easw$$ ha=eaha$$ hb=eahb$$
cleanup() {
  [ -n "${dump:-}" ] && kill "$dump" 2>/dev/null; wait 2>/dev/null || true
  for n in $sw $ha $hb; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
for n in $sw $ha $hb; do ip netns add "$n"; done
S="ip netns exec $sw"
ip link add a0 netns $ha type veth peer name a1 netns $sw
ip link add b0 netns $hb type veth peer name b1 netns $sw
$S ip link add m0 type veth peer name m1
$S ip link add br0 type bridge
for l in a1 b1; do $S ip link set $l master br0; $S ip link set $l up; done
$S ip link set br0 up; $S ip link set m0 up; $S ip link set m1 up
ip -n $ha addr add 10.9.0.1/24 dev a0; ip -n $ha link set a0 up; ip -n $ha link set lo up
ip -n $hb addr add 10.9.0.2/24 dev b0; ip -n $hb link set b0 up; ip -n $hb link set lo up
# Mirror both directions of both ports to m0 (a SPAN of ingress and egress).
for l in a1 b1; do
  $S tc qdisc add dev $l clsact
  $S tc filter add dev $l ingress protocol all u32 match u32 0 0 action mirred egress mirror dev m0
  $S tc filter add dev $l egress protocol all u32 match u32 0 0 action mirred egress mirror dev m0
done
$S tcpdump -q -i m1 -w "$out" -s 0 --immediate-mode 2>/dev/null & dump=$!
sleep 1
# Traffic: 2,000 small UDP datagrams, then a 20 MB TCP transfer.
ip netns exec $hb python3 -c '
import socket, threading
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("10.9.0.2", 5000))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("10.9.0.2", 5001)); t.listen(1)
def udp():
    while True:
        d, a = u.recvfrom(2048); u.sendto(d, a)
threading.Thread(target=udp, daemon=True).start()
c, _ = t.accept()
while c.recv(65536): pass
' & srv=$!
sleep 0.5
ip netns exec $ha python3 -c '
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1)
for i in range(2000):
    u.sendto(b"x%05d" % i, ("10.9.0.2", 5000))
    try: u.recv(64)
    except socket.timeout: pass
t = socket.create_connection(("10.9.0.2", 5001))
buf = b"y" * 65536
for i in range(300): t.sendall(buf)
t.close()
'
wait $srv 2>/dev/null || true
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true; dump=
DUPWINDOW_VERBOSE=1 "$dupwindow" "$out" 2>"$tmp/gaps" >"$tmp/table"
frames=$(awk '$1 != "capture" && $1 != "total" {print $2}' "$tmp/table")
awk '{print $(NF-2)}' "$tmp/gaps" | sort -n > "$tmp/sorted"
n=$(wc -l < "$tmp/sorted")
pct() { sed -n "$(( ($1 * n + 99) / 100 ))p" "$tmp/sorted"; }
echo "frames $frames, copies found $n (within 10 s)"
[ "$n" -gt 0 ] && echo "gap us: min $(head -1 "$tmp/sorted") median $(pct 50) p99 $(pct 99) p99.9 $(sed -n "$(( (999 * n + 999) / 1000 ))p" "$tmp/sorted") max $(tail -1 "$tmp/sorted")"
cat "$tmp/table"
