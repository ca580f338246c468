#!/usr/bin/env bash
# edgeaudit evidence: the frames it writes for a flow are exactly those
# tshark's conversation filter finds for that flow's endpoints (compared
# as tcpdump prints them: time, lengths and every byte), for every TCP
# and UDP flow of both lab captures, the ICMP and ICMPv6 echo flows and a
# fragmented SYN; SPAN duplicates
# the run suppressed stay out; a moved capture, a changed one and a live
# run give a clear error (exit 1, nothing written); --captures finds a
# moved capture by its SHA-256.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok evidence/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL evidence/$1: $2"; fail=$((fail + 1)); }
q() { sqlite3 -separator ' ' "$1" "$2"; }
dump() { tcpdump -nn -tt -xx -r "$1" 2>/dev/null; }

for t in tshark tcpdump mergecap; do
  if ! command -v $t >/dev/null; then
    bad $t "$t is missing: run scripts/install-deps.sh"; echo "RESULT $pass $fail"; exit 0
  fi
done
ext="$top/pcaps/lab-external.pcap" int="$top/pcaps/lab-internal.pcap"
db=$tmp/lab.db
"$bin" read --quiet --site "$top/pcaps/site.ini" --db "$db" --external "$ext" --internal "$int" 2>"$tmp/read.err" \
  || { bad read "edgeaudit read failed"; sed 's/^/  /' "$tmp/read.err"; }

# Every TCP and UDP flow, each interface: evidence against tshark.
same=0 differ=0 first_diff=
while read -r id iface tr a ap b bp; do
  cap=$ext; [ "$iface" = internal ] && cap=$int
  ipf=ip; case $a in *:*) ipf=ipv6;; esac
  filter="$ipf.addr==$a && $ipf.addr==$b && $tr.port==$ap && $tr.port==$bp"
  tshark -r "$cap" -Y "$filter" -w "$tmp/want.pcap" 2>/dev/null
  if "$bin" evidence --db "$db" --flow "$id" --output "$tmp/got.pcap" 2>"$tmp/ev.err" \
     && [ "$(dump "$tmp/got.pcap")" = "$(dump "$tmp/want.pcap")" ] && [ -n "$(dump "$tmp/got.pcap")" ]; then
    same=$((same + 1))
  else
    differ=$((differ + 1)); [ -z "$first_diff" ] && first_diff="flow $id ($iface $tr $a:$ap $b:$bp)"
  fi
done < <(q "$db" "select flow_id, iface, transport, initiator_ip, initiator_port, responder_ip, responder_port
                  from flow_verdicts where transport in ('tcp', 'udp') order by flow_id")
n_ext=$(q "$db" "select count(*) from flow_verdicts where transport in ('tcp','udp') and iface = 'external'")
n_int=$(q "$db" "select count(*) from flow_verdicts where transport in ('tcp','udp') and iface = 'internal'")
n_udp=$(q "$db" "select count(*) from flow_verdicts where transport = 'udp'")
if [ "$differ" -eq 0 ] && [ "$n_ext" -gt 0 ] && [ "$n_int" -gt 0 ] && [ "$n_udp" -gt 0 ]; then
  ok "every-tcp-udp-flow-as-tshark ($same flows: $n_ext external, $n_int internal, $n_udp udp)"
else
  bad every-tcp-udp-flow-as-tshark "$differ of $((same + differ)) flows differ from tshark's, first $first_diff"
fi

# The echo flows (ICMP external, ICMPv6 internal): request and reply.
for v in icmp icmpv6; do
  read -r id iface a b < <(q "$db" "select flow_id, iface, initiator_ip, responder_ip from flow_verdicts
                                    where transport = '$v' order by flow_id limit 1")
  cap=$ext; [ "$iface" = internal ] && cap=$int
  if [ $v = icmp ]; then f="(icmp.type==0 || icmp.type==8) && ip.addr==$a && ip.addr==$b"
  else f="(icmpv6.type==128 || icmpv6.type==129) && ipv6.addr==$a && ipv6.addr==$b"; fi
  tshark -r "$cap" -Y "$f" -w "$tmp/want.pcap" 2>/dev/null
  "$bin" evidence --db "$db" --flow "${id:-0}" --output "$tmp/got.pcap" 2>/dev/null
  [ -n "${id:-}" ] && [ -n "$(dump "$tmp/want.pcap")" ] && [ "$(dump "$tmp/got.pcap")" = "$(dump "$tmp/want.pcap")" ] \
    && ok "$v-echo-as-tshark ($iface)" || bad "$v-echo-as-tshark" "flow ${id:-none} differs from tshark's"
done

# The written packets are the flow's stored packet count, flow by flow.
"$bin" evidence --db "$db" --verdict unexpected --output "$tmp/unexp.pcap" 2>"$tmp/unexp.err"
want=$(q "$db" "select sum(packets) from flow_verdicts where verdict = 'unexpected'")
got=$(capinfos -c -M "$tmp/unexp.pcap" 2>/dev/null | awk '/Number of packets/ {print $NF}')
[ "$got" = "$want" ] && grep -q "wrote $want packets of" "$tmp/unexp.err" \
  && ok "verdict-all-its-packets ($want)" || bad verdict-all-its-packets "wrote $got packets, the flows hold $want"

# --group as the report groups findings: iface/transport/port.
g=$(q "$db" "select iface || '/' || transport || '/' || responder_port from flow_verdicts where verdict = 'unexpected'
             and transport = 'tcp' group by 1 order by count(*) desc limit 1")
gn=$(q "$db" "select count(*) from flow_verdicts where iface || '/' || transport || '/' || responder_port = '$g'")
"$bin" evidence --db "$db" --group "$g" --output "$tmp/g.pcap" 2>"$tmp/g.err" \
  && grep -q "packets of $gn flows" "$tmp/g.err" && ok "group-selects-its-flows ($g: $gn)" \
  || bad group-selects-its-flows "$(head -1 "$tmp/g.err")"

# A fragmented SYN: both fragments (tshark: the pair's TCP packets).
frag="$top/../shared/cases/frag_syn_tcp_options.pcap"
"$bin" read --quiet --site "$top/pcaps/site.ini" --db "$tmp/frag.db" --external "$frag" 2>/dev/null
"$bin" evidence --db "$tmp/frag.db" --flow 1 --output "$tmp/frag.pcap" 2>/dev/null
tshark -r "$frag" -Y "ip.addr==192.168.1.100 && ip.addr==10.0.0.5 && ip.proto==6" -w "$tmp/frag-want.pcap" 2>/dev/null
[ "$(dump "$tmp/frag.pcap" | grep -c '^[0-9]')" = 2 ] && [ "$(dump "$tmp/frag.pcap")" = "$(dump "$tmp/frag-want.pcap")" ] \
  && ok fragmented-flow-both-fragments || bad fragmented-flow-both-fragments "$(dump "$tmp/frag.pcap" | grep -c '^[0-9]') frames"

# SPAN duplicates the run suppressed are not evidence of the flow.
mergecap -w "$tmp/dup.pcap" "$ext" "$ext"
"$bin" read --quiet --site "$top/pcaps/site.ini" --db "$tmp/dup.db" --external "$tmp/dup.pcap" 2>/dev/null
"$bin" evidence --db "$tmp/dup.db" --flow 1 --output "$tmp/dup-1.pcap" 2>/dev/null
"$bin" evidence --db "$db" --flow 1 --output "$tmp/lab-1.pcap" 2>/dev/null
[ -s "$tmp/lab-1.pcap" ] && [ "$(dump "$tmp/dup-1.pcap")" = "$(dump "$tmp/lab-1.pcap")" ] \
  && ok duplicates-left-out || bad duplicates-left-out "the flow's frames differ from the capture without duplicates"

# A moved capture: exit 1 naming it, nothing written; --captures finds it.
mkdir -p "$tmp/a" "$tmp/b"
cp "$ext" "$tmp/a/ext.pcap"
"$bin" read --quiet --site "$top/pcaps/site.ini" --db "$tmp/m.db" --external "$tmp/a/ext.pcap" 2>/dev/null
mv "$tmp/a/ext.pcap" "$tmp/b/renamed.pcap"
"$bin" evidence --db "$tmp/m.db" --flow 1 --output "$tmp/m.pcap" 2>"$tmp/m.err"; rc=$?
[ $rc = 1 ] && grep -q "capture .*a/ext.pcap (run 1, external, SHA-256 .*not found: moved" "$tmp/m.err" && [ ! -e "$tmp/m.pcap" ] \
  && ok moved-capture-exit-1 || bad moved-capture-exit-1 "rc $rc: $(cat "$tmp/m.err")"
"$bin" evidence --db "$tmp/m.db" --flow 1 --captures "$tmp/b" --output "$tmp/m.pcap" 2>"$tmp/m.err"; rc=$?
[ $rc = 0 ] && [ "$(dump "$tmp/m.pcap")" = "$(dump "$tmp/lab-1.pcap")" ] \
  && ok moved-capture-found-by-hash || bad moved-capture-found-by-hash "rc $rc: $(cat "$tmp/m.err")"

# A changed capture (same path, same size, one byte other): exit 1.
cp "$tmp/b/renamed.pcap" "$tmp/a/ext.pcap"
printf '\377' | dd of="$tmp/a/ext.pcap" bs=1 seek=200 conv=notrunc 2>/dev/null
"$bin" evidence --db "$tmp/m.db" --flow 1 --output "$tmp/c.pcap" 2>"$tmp/c.err"; rc=$?
[ $rc = 1 ] && grep -q "changed: its SHA-256 is now" "$tmp/c.err" && [ ! -e "$tmp/c.pcap" ] \
  && ok changed-capture-exit-1 || bad changed-capture-exit-1 "rc $rc: $(cat "$tmp/c.err")"

# A live run kept no packets.
cp "$db" "$tmp/live.db"; q "$tmp/live.db" "update runs set live = 1"
"$bin" evidence --db "$tmp/live.db" --flow 1 --output "$tmp/l.pcap" 2>"$tmp/l.err"; rc=$?
[ $rc = 1 ] && grep -q "a live capture (monitor), which keeps no packets" "$tmp/l.err" \
  && ok live-run-exit-1 || bad live-run-exit-1 "rc $rc: $(cat "$tmp/l.err")"

# Selection mistakes are usage errors; an id with no flow is exit 1.
"$bin" evidence --db "$db" --output "$tmp/x.pcap" 2>/dev/null; r1=$?
"$bin" evidence --db "$db" --group external/tcp --output "$tmp/x.pcap" 2>/dev/null; r2=$?
"$bin" evidence --db "$db" --flow 99999 --output "$tmp/x.pcap" 2>"$tmp/x.err"; r3=$?
[ "$r1 $r2 $r3" = "2 2 1" ] && grep -q "no flow 99999" "$tmp/x.err" && [ ! -e "$tmp/x.pcap" ] \
  && ok selection-errors || bad selection-errors "exit codes $r1 $r2 $r3"
echo "RESULT $pass $fail"
