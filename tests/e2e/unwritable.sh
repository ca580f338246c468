#!/usr/bin/env bash
# `edgeaudit monitor` while its database cannot be written at all (issue 7,
# section 6): another connection holds it exclusively for 10 s, then its
# file system is read-only for 10 s more (from half a second before the
# lock goes, so that the two make one outage), then writable again. The lab's
# external capture is replayed during the lock, its internal capture while
# read-only. Every flow of both then reaches the database (the same
# flow_verdicts as `read` of the two files), PRAGMA integrity_check is ok,
# the failure is logged once and its end with the count of failed
# attempts, and monitor exits 0 on SIGTERM.
#
# The read-only file system is tests/tools/rofs.c, a pass-through FUSE
# file system that answers EROFS to whatever would change something while
# it is told to: Linux refuses a read-only remount (EBUSY) while SQLite
# holds the database open for writing, and the one read-only switch it
# makes under open files (ext4 errors=remount-ro) lasts until an unmount
# that those files forbid (README, "When the database cannot be written").
# Needs root, network namespaces, /dev/fuse, tcpreplay and the rofs tool
# (EA_ROFS, built by `make check` where libfuse3 is installed); without
# one of them it says SKIP and why. Traffic stays in the test's own
# namespace; everything is torn down on exit, even on failure. Each check
# prints "ok unwritable/<name>" or "FAIL unwritable/<name>: why".
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
ext_pcap=$top/pcaps/lab-external.pcap
int_pcap=$top/pcaps/lab-internal.pcap
site=$top/pcaps/site.ini
rofs=${EA_ROFS:-}
pass=0 fail=0
skip() { echo "SKIP unwritable: $1"; echo "RESULT $pass $fail"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "not root: a FUSE mount and network namespaces need it"
[ -n "$rofs" ] && [ -x "$rofs" ] || skip "no rofs tool (EA_ROFS; make builds it where libfuse3 is installed)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v tcpreplay >/dev/null || skip "tcpreplay missing (scripts/install-deps.sh installs it)"
tmp=$(mktemp -d)
chmod 755 "$tmp"
ns=eaunw$$
id=$(( $$ % 100000 ))
xs=ux${id}s xr=ux${id}r is=ui${id}s ir=ui${id}r
started=()
rofs_pid=
cleanup() {
  local p
  for p in "${started[@]}"; do kill -9 "$p" 2>/dev/null; done
  [ -n "$rofs_pid" ] && kill -TERM "$rofs_pid" 2>/dev/null && sleep 0.3
  mountpoint -q "$tmp/mnt" 2>/dev/null && umount -l "$tmp/mnt"
  [ -n "$rofs_pid" ] && kill -9 "$rofs_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" 2>/dev/null || skip "cannot create a network namespace"
ok() { echo "ok unwritable/$1"; pass=$((pass + 1)); }
bad() {
  echo "FAIL unwritable/$1: $2"
  [ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/  stderr: /' "$3" | tail -8
  fail=$((fail + 1))
}
q() { sqlite3 -readonly "$1" "$2" 2>/dev/null; }
inns() { ip netns exec "$ns" "$@"; }
inns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
inns ip link set lo up &&
  inns ip link add "$xs" mtu 9000 type veth peer name "$xr" mtu 9000 &&
  inns ip link add "$is" mtu 9000 type veth peer name "$ir" mtu 9000 &&
  for l in "$xs" "$xr" "$is" "$ir"; do inns ip link set "$l" up || false; done ||
  { bad setup "cannot create the veth pairs"; echo "RESULT $pass $fail"; exit 0; }

mkdir -p "$tmp/back" "$tmp/mnt"
"$rofs" "$tmp/back" "$tmp/mnt" 2>"$tmp/rofs.err" &
rofs_pid=$!
for ((i = 0; i < 100; i++)); do mountpoint -q "$tmp/mnt" && break; sleep 0.05; done
mountpoint -q "$tmp/mnt" || skip "the FUSE file system could not be mounted: $(head -2 "$tmp/rofs.err")"

"$bin" read --quiet --site "$site" --db "$tmp/read.db" --external "$ext_pcap" --internal "$int_pcap" 2>"$tmp/err" \
  || bad read "read of the lab captures failed" "$tmp/err"

mon_pid=
db=$tmp/mnt/unwritable.db log=$tmp/monitor.log
# Waits (≤ 5 s) until libpcap has delivered $3 frames of $2 (external or
# internal), asking the sensor with SIGUSR1.
wait_frames() {
  local log=$1 side=$2 want=$3 i n
  for ((i = 0; i < 25; i++)); do
    kill -USR1 "$mon_pid" 2>/dev/null
    sleep 0.2
    n=$(grep "counters: $side:" "$log" | tail -1 | sed -n 's/.*, \([0-9]*\) frames,.*/\1/p')
    [ -n "$n" ] && [ "$n" -ge "$want" ] && return 0
  done
  return 1
}
cols="iface, transport, initiator_ip, initiator_port, responder_ip, responder_port, app_protocol,
      verdict, rule_ids, direction_source, packets, bytes, server_name, community_id"
rows() { q "$1" "SELECT $cols FROM flow_verdicts ORDER BY $cols"; }

# --active-timeout 1: records reach the writer all through both phases.
ip netns exec "$ns" "$bin" monitor --user root --site "$site" --db "$db" --external "$xr" --internal "$ir" \
  --active-timeout 1 2>"$log" &
mon_pid=$!
started+=("$mon_pid")
for ((i = 0; i < 200; i++)); do
  grep -q "capturing" "$log" 2>/dev/null && break
  kill -0 "$mon_pid" 2>/dev/null || break
  sleep 0.05
done
if ! grep -q "capturing" "$log"; then
  bad start "monitor did not start" "$log"
  echo "RESULT $pass $fail"; exit 0
fi

# ---- phase 1: another connection holds the database for 10 s --------------
{ echo "BEGIN EXCLUSIVE;"; echo "SELECT 'locked';"; sleep 10; echo "COMMIT;"; } \
  | sqlite3 "$db" >"$tmp/locker.out" 2>&1 &
locker=$!
started+=("$locker")
for ((i = 0; i < 100; i++)); do grep -q locked "$tmp/locker.out" 2>/dev/null && break; sleep 0.05; done
t_lock=$(date +%s%N)
inns tcpreplay -q --pps=500 -i "$xs" "$ext_pcap" >/dev/null 2>&1
if wait_frames "$log" external 692 && kill -0 "$locker" 2>/dev/null; then ok capture-goes-on-while-locked
else bad capture-goes-on-while-locked "the external frames were not all captured while the lock was held" "$log"; fi

# ---- phase 2: the file system read-only for 10 s -------------------------
# Turned read-only half a second before the lock goes: the writer waits in
# SQLite's busy handler and would otherwise commit in the moment between
# the two. What it held since the lock meets the read-only file system.
while (( ($(date +%s%N) - t_lock) < 9500000000 )); do sleep 0.1; done
kill -USR1 "$rofs_pid"
sleep 0.1
wait "$locker"
t_ro=$(date +%s%N)
if touch "$tmp/mnt/probe" 2>"$tmp/probe.err"; then bad file-system-read-only "a file could be created"
elif grep -q "Read-only file system" "$tmp/probe.err"; then ok file-system-read-only
else bad file-system-read-only "creating a file failed otherwise: $(cat "$tmp/probe.err")"; fi
inns tcpreplay -q --pps=500 -i "$is" "$int_pcap" >/dev/null 2>&1
wait_frames "$log" internal 351 && ok capture-goes-on-while-read-only \
  || bad capture-goes-on-while-read-only "the internal frames were not all captured while read-only" "$log"
ro_rows=$(q "$db" "SELECT count(*) FROM flows")
n=$(grep -c "cannot write flows" "$log")
[ "$n" = 1 ] && ok failure-logged-once || bad failure-logged-once "$n lines saying flows cannot be written" "$log"
kill -0 "$mon_pid" 2>/dev/null && ok alive-while-read-only || bad alive-while-read-only "monitor ended" "$log"
# 10 s read-only after the lock.
while (( ($(date +%s%N) - t_ro) < 10000000000 )); do sleep 0.2; done

# ---- phase 3: writable again ----------------------------------------------
kill -USR2 "$rofs_pid"
t_rw=$(date +%s%N)
for ((i = 0; i < 140; i++)); do grep -q "flows are written again" "$log" && break; sleep 0.05; done
if grep -q "flows are written again after [1-9][0-9]* failed attempts" "$log"; then ok recovery-logged-with-count
else bad recovery-logged-with-count "no 'flows are written again after N failed attempts'" "$log"; fi
n=$(grep -c "cannot write flows" "$log")
[ "$n" = 1 ] && ok failure-logged-once-in-all || bad failure-logged-once-in-all "$n lines" "$log"
kill -TERM "$mon_pid"
for ((i = 0; i < 1200; i++)); do kill -0 "$mon_pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$mon_pid" 2>/dev/null && kill -9 "$mon_pid" 2>/dev/null
{ wait "$mon_pid"; rc=$?; } 2>/dev/null
[ "$rc" -eq 0 ] && ok sigterm-exit-0 || bad sigterm-exit-0 "exit $rc" "$log"
rows "$tmp/read.db" >"$tmp/want"; rows "$db" >"$tmp/got"
if [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got"; then ok every-flow-arrives
else bad every-flow-arrives "flow_verdicts differ ($(wc -l <"$tmp/got") rows, want $(wc -l <"$tmp/want"); $ro_rows while read-only)" "$log"
     diff "$tmp/want" "$tmp/got" | head -6 | sed 's/^/  /'; fi
[ "$(q "$db" "PRAGMA integrity_check")" = ok ] && ok integrity-ok || bad integrity-ok "integrity_check failed"
[ "$(q "$db" "SELECT status FROM runs")" = complete ] && ok run-complete \
  || bad run-complete "run status $(q "$db" "SELECT status FROM runs")" "$log"
# The read-only file system did refuse the sensor's writes: they are not
# all the test's own probe.
kill -TERM "$rofs_pid"
for ((i = 0; i < 100; i++)); do kill -0 "$rofs_pid" 2>/dev/null || break; sleep 0.05; done
refused=$(sed -n 's/^rofs: \([0-9]*\) operations refused.*/\1/p' "$tmp/rofs.err")
[ "${refused:-0}" -gt 1 ] && ok writes-refused-while-read-only \
  || bad writes-refused-while-read-only "'$refused' operations refused (the probe is one)" "$tmp/rofs.err"
rofs_pid=
echo "  unwritable: lock $(( (t_ro - t_lock) / 1000000 )) ms, then read-only $(( (t_rw - t_ro) / 1000000 )) ms," \
     "$refused operations refused, $ro_rows flows in the database while read-only, $(wc -l <"$tmp/got") at the end"
echo "RESULT $pass $fail"
