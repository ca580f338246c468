#!/usr/bin/env bash
# Findings reach a real syslog collector: the test makes a network
# namespace of its own with an address on its loopback, starts rsyslogd
# there (its own configuration, pid file and work directory in a temp
# folder: imudp and imtcp on that address, each input writing to a file
# of its own), runs `read --syslog udp:…` and `read --syslog tcp:…`
# inside the namespace, and checks that rsyslog parsed one RFC 5424
# message per finding (protocol version 1, facility, severity, MSGID) for
# each transport. A collector that is not there is counted, not waited
# for. Everything is torn down on exit, failure included.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp" # rsyslogd, root here, writes its files itself
ns=ea-syslog-$$
addr=192.0.2.1 # TEST-NET-1 (RFC 5737), only inside the namespace
rspid=
cleanup() {
  if [ -n "$rspid" ]; then kill "$rspid" 2>/dev/null; wait "$rspid" 2>/dev/null; fi
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok syslog/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL syslog/$1: $2"; fail=$((fail + 1)); }

rsyslogd=/usr/sbin/rsyslogd
if [ ! -x "$rsyslogd" ]; then
  bad rsyslogd "rsyslogd is missing: run scripts/install-deps.sh"
  echo "RESULT $pass $fail"; exit 0
fi
if [ "$(id -u)" != 0 ] || ! ip netns add "$ns" 2>/dev/null; then
  echo "skip syslog/*: network namespaces are unavailable here (needs root and ip netns)"
  echo "RESULT $pass $fail"; exit 0
fi
ip -n "$ns" link set lo up && ip -n "$ns" addr add "$addr/32" dev lo \
  || { bad netns "cannot set up $ns"; echo "RESULT $pass $fail"; exit 0; }

mkdir -p "$tmp/work"
# What rsyslog parsed, one line per message: protocol-version is 1 only
# for a message it read as RFC 5424.
cat > "$tmp/rsyslog.conf" <<EOF
global(workDirectory="$tmp/work")
module(load="imudp")
module(load="imtcp")
template(name="parsed" type="string"
         string="%protocol-version% %syslogfacility-text%.%syslogseverity-text% %app-name% %msgid% %msg%\n")
ruleset(name="udp") { action(type="omfile" file="$tmp/udp.log" template="parsed" asyncWriting="off") }
ruleset(name="tcp") { action(type="omfile" file="$tmp/tcp.log" template="parsed" asyncWriting="off") }
input(type="imudp" address="$addr" port="5514" ruleset="udp")
input(type="imtcp" address="$addr" port="5514" ruleset="tcp")
EOF
ip netns exec "$ns" "$rsyslogd" -n -f "$tmp/rsyslog.conf" -i "$tmp/rsyslogd.pid" >"$tmp/rsyslogd.out" 2>&1 &
rspid=$! # ip netns exec execs rsyslogd: this is its pid
listening=0
for _ in $(seq 50); do
  if ip netns exec "$ns" ss -Hltn "sport = :5514" | grep -q . && ip netns exec "$ns" ss -Hlun "sport = :5514" | grep -q .; then
    listening=1; break
  fi
  sleep 0.1
done
[ $listening = 1 ] && ok rsyslogd-listens || bad rsyslogd-listens "$(head -3 "$tmp/rsyslogd.out")"

site=$top/pcaps/site.ini
finding_sql="select community_id || ' ' || case when verdict in ('unexpected', 'mismatch', 'wrong-direction')
  then verdict else 'attempt' end from flow_details
  where verdict in ('unexpected', 'mismatch', 'wrong-direction')
     or (attempt and verdict in ('documented', 'documented-port-only'))"
# Waits until file has n lines (rsyslog writes as it receives), 10 s at most.
wait_lines() {
  for _ in $(seq 100); do
    [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
for proto in udp tcp; do
  facility=local0; [ $proto = tcp ] && facility=local4
  ip netns exec "$ns" "$bin" read --quiet --site "$site" --db "$tmp/$proto.db" \
    --external "$top/pcaps/lab-external.pcap" --internal "$top/pcaps/lab-internal.pcap" \
    --syslog "$proto:$addr:5514" --syslog-facility $facility 2>"$tmp/$proto.err"
  rc=$?
  [ $rc = 0 ] && [ ! -s "$tmp/$proto.err" ] && ok "$proto-read-quiet" \
    || bad "$proto-read-quiet" "exit $rc: $(head -2 "$tmp/$proto.err")"
  sqlite3 "$tmp/$proto.db" "$finding_sql" | sort > "$tmp/$proto.want"
  n=$(wc -l < "$tmp/$proto.want")
  wait_lines "$tmp/$proto.log" "$n"
  sleep 0.3 # and nothing more comes
  got=$(wc -l < "$tmp/$proto.log" 2>/dev/null || echo 0)
  [ "$n" -gt 0 ] && [ "$got" = "$n" ] && ok "$proto-one-line-per-finding" \
    || bad "$proto-one-line-per-finding" "$n findings, rsyslog wrote $got lines"
  sed -n "s/^1 $facility\.warning edgeaudit \([a-z-]*\) finding=.* network\.community_id=\([^ ]*\).*\$/\2 \1/p" \
    "$tmp/$proto.log" 2>/dev/null | sort > "$tmp/$proto.got"
  cmp -s "$tmp/$proto.want" "$tmp/$proto.got" && ok "$proto-parsed-as-rfc5424" \
    || { bad "$proto-parsed-as-rfc5424" "rsyslog did not parse each finding (version 1, $facility.warning, MSGID)"
         head -2 "$tmp/$proto.log" 2>/dev/null | cut -c1-160 | sed 's/^/  /'; }
done

# No collector on a port: the read goes on at once, its lines counted.
start=$(date +%s)
ip netns exec "$ns" "$bin" read --quiet --site "$site" --db "$tmp/away.db" \
  --external "$top/pcaps/lab-external.pcap" --syslog "tcp:$addr:5599" 2>"$tmp/away.err"
rc=$?
secs=$(( $(date +%s) - start ))
[ $rc = 0 ] && [ $secs -lt 10 ] && grep -q "syslog lines not sent (last failure: tcp:$addr:5599: cannot connect: Connection refused)" "$tmp/away.err" \
  && ok collector-away-counted || bad collector-away-counted "exit $rc after ${secs}s: $(tail -1 "$tmp/away.err")"
echo "RESULT $pass $fail"
