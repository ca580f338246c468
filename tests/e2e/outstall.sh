#!/usr/bin/env bash
# A SIEM collector that does not answer never holds up capture (issue 7,
# the outputs' own thread, report/outputs.h): the sensor's --syslog is a
# TCP collector whose address has a static ARP entry and no host behind
# it (every connect waits its full EA_SYSLOG_CONNECT_TIMEOUT_MS), while
# the lab capture is replayed at a rate where each of those waits in the
# capture loop made libpcap drop frames (8 MiB kernel buffer, flows
# updated every second). Checks: libpcap dropped 0 frames, the findings
# were counted as not sent, and every flow is stored. Needs root, network
# namespaces and tcpreplay; everything is torn down on exit.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
pcap=$top/pcaps/lab-external.pcap
site=$top/pcaps/site.ini
. "$top/tests/e2e/lib/netns.sh"
e2e_frame outstall eastall
xs=ys${id} xr=yr${id}
e2e_netns
command -v tcpreplay >/dev/null || { bad tools "tcpreplay missing (scripts/install-deps.sh)"; echo "RESULT $pass $fail"; exit 0; }
ip -n "$ns" link set lo up &&
  ip -n "$ns" link add "$xs" mtu 9000 type veth peer name "$xr" mtu 9000 &&
  ip -n "$ns" link set "$xs" up && ip -n "$ns" link set "$xr" up &&
  ip -n "$ns" addr add 10.201.0.1/24 dev "$xr" &&
  ip -n "$ns" neigh replace 10.201.0.2 lladdr 02:00:00:00:00:02 dev "$xr" ||
  { bad setup "cannot set up $ns"; echo "RESULT $pass $fail"; exit 0; }

mon_ns=$ns mon_args=(--user root) mon_stop_s=60
. "$top/tests/e2e/lib/monitor.sh"
db=$tmp/s.db log=$tmp/s.log
if ! start_monitor "$log" --site "$site" --db "$db" --external "$xr" --buffer-mib 8 --active-timeout 1 \
     --syslog tcp:10.201.0.2:514; then
  bad start "monitor did not start" "$log"; echo "RESULT $pass $fail"; exit 0
fi
loops=${EA_OUTSTALL_LOOPS:-300}
ip netns exec "$ns" tcpreplay -q -i "$xs" --pps 100000 --loop "$loops" "$pcap" >"$tmp/replay.out" 2>&1 ||
  bad replay "tcpreplay failed" "$tmp/replay.out"
sleep 1
stop_monitor
[ "$rc" -eq 0 ] || bad exit "monitor exited $rc" "$log"
line=$(grep "counters: external:" "$log" | tail -1)
recv=$(printf '%s' "$line" | sed -n 's/.*libpcap: \([0-9]*\) received.*/\1/p')
drop=$(printf '%s' "$line" | sed -n 's/.*received, \([0-9]*\) dropped,.*/\1/p')
sent=$(( $(capinfos -c -M "$pcap" 2>/dev/null | sed -n 's/^Number of packets: *//p') * loops ))
if [ -n "$drop" ] && [ "$drop" -eq 0 ] && [ "${recv:-0}" -ge "$sent" ]; then
  ok no-drops
else
  bad no-drops "libpcap: ${recv:-?} received of $sent sent, ${drop:-?} dropped (capture waited on the collector)" "$log"
fi
grep -q "syslog lines not sent" "$log" && ! grep -q " 0 syslog lines not sent" "$log" \
  && ok unsent-counted || bad unsent-counted "findings not counted as not sent" "$log"
echo "RESULT $pass $fail"
