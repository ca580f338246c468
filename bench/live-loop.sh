#!/usr/bin/env bash
# One poll loop or a thread per interface? Replays the lab captures in a
# loop onto two veth pairs at once (a network namespace of its own, torn
# down on exit) at a given tcpreplay rate, into `edgeaudit monitor` on
# both receiving ends, then into two `tcpdump -w /dev/null` (one process
# per interface, doing nothing with the frames), and prints libpcap's
# drop counters of each and monitor's CPU time. Root; tcpreplay, tcpdump.
# usage: bench/live-loop.sh /path/to/edgeaudit [RATE] [LOOPS]
#   RATE: a tcpreplay rate option, e.g. --pps=100000 (default) or -t
set -u
bin=${1:?usage: live-loop.sh /path/to/edgeaudit [RATE] [LOOPS]}
rate=${2:---pps=100000}
loops=${3:-100}
top=$(cd "$(dirname "$0")/.." && pwd)
ns=eabench$$
tmp=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" || exit 1
nsx() { ip netns exec "$ns" "$@"; }
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for s in x i; do
  nsx ip link add eab${s}s mtu 9000 type veth peer name eab${s}r mtu 9000
  nsx ip link set eab${s}s up && nsx ip link set eab${s}r up
done
inject() {
  nsx tcpreplay $rate -l "$loops" -i eabxs "$top/pcaps/lab-external.pcap" >"$tmp/x.out" 2>&1 & local r1=$!
  nsx tcpreplay $rate -l $((loops * 2)) -i eabis "$top/pcaps/lab-internal.pcap" >"$tmp/i.out" 2>&1 & local r2=$!
  wait $r1 $r2
  grep -h "Rated:" "$tmp/x.out" "$tmp/i.out" | sed 's/^ */  injected: /'
}

echo "== edgeaudit monitor, one loop over both interfaces ($rate, $loops loops)"
ip netns exec "$ns" "$bin" monitor --site "$top/pcaps/site.ini" --db "$tmp/b.db" \
  --external eabxr --internal eabir 2>"$tmp/log" &
p=$!; pids+=("$p")
sleep 1
t0=$(awk '{print $14 + $15}' /proc/$p/stat)
inject
sleep 1
t1=$(awk '{print $14 + $15}' /proc/$p/stat)
kill -USR1 "$p"; sleep 0.5
grep "counters: e\|counters: i" "$tmp/log" | sed 's/^edgeaudit: /  /'
echo "  monitor CPU: $(( (t1 - t0) * 10 )) ms"
kill "$p"; wait "$p" 2>/dev/null

echo "== two tcpdump -w /dev/null, one per interface"
for s in x i; do
  ip netns exec "$ns" tcpdump -B 65536 --immediate-mode -s 0 -i eab${s}r -w /dev/null 2>"$tmp/td$s.log" &
  pids+=("$!")
done
sleep 1
inject
sleep 1
kill "${pids[@]:1}" 2>/dev/null; wait "${pids[@]:1}" 2>/dev/null
for s in x i; do echo "  eab${s}r: $(grep -h "captured\|dropped by kernel" "$tmp/td$s.log" | tr '\n' ' ')"; done
