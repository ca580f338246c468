#!/usr/bin/env bash
# `edgeaudit monitor` end to end, on real interfaces: a network namespace
# of this test's own with two veth pairs; monitor captures the receiving
# ends, tcpreplay writes the lab captures into the sending ends at a fixed
# rate, and the stored flow_verdicts are compared with `read` of the same
# files. Also: a bad filter, a missing interface, an interface deleted and
# recreated while running, SIGHUP with a broken and with a changed site
# file, SIGTERM.
# Needs root, network namespaces and tcpreplay (scripts/install-deps.sh);
# without root or namespaces it says so and checks nothing live. Traffic
# stays in the namespace; everything is torn down on exit, even on failure.
# Each check prints "ok monitor/<name>" or "FAIL monitor/<name>: why";
# every wait is bounded.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
ext_pcap=$top/pcaps/lab-external.pcap
int_pcap=$top/pcaps/lab-internal.pcap
site=$top/pcaps/site.ini
. "$top/tests/e2e/lib/netns.sh"
e2e_frame monitor eamon
# The sensor gives up root once its interfaces and database are open
# (default user edgeaudit, else nobody): the site file it reloads on
# SIGHUP must stay readable to it, and the databases' folder writable
# (SQLite's -wal and -shm files; monitor refuses a folder it cannot write).
chmod 1777 "$tmp"
# EVE files are reopened on SIGHUP by then: a folder it may write.
mkdir -m 1777 "$tmp/eve"
# Interface names unique to this run (IFNAMSIZ: at most 15 characters).
xs=ex${id}s xr=ex${id}r is=in${id}s ir=in${id}r
q() { sqlite3 -readonly "$1" "$2" 2>/dev/null; }

# The columns that must agree between live capture and the file. Left
# out: run_id (a different run), first_seen and last_seen (tcpreplay
# keeps every frame but not their times: it sends at a fixed rate).
cols="iface, transport, initiator_ip, initiator_port, responder_ip, responder_port, app_protocol,
      verdict, rule_ids, direction_source, packets, bytes, server_name, community_id"
rows() { q "$1" "SELECT $cols FROM flow_verdicts ${2:-} ORDER BY $cols"; }

# Options that need no interface: checked anywhere.
"$bin" monitor --site "$site" --db "$tmp/f.db" --external lo --filter 'tcp port' 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "filter 'tcp port'" "$tmp/err"; then ok bad-filter-exit-2
else bad bad-filter-exit-2 "exit $rc, want 2 with a message naming the filter" "$tmp/err"; fi
[ ! -e "$tmp/f.db" ] && ok bad-filter-writes-nothing || bad bad-filter-writes-nothing "a database was created"
# A user that does not exist, and an EVE file that is the database: usage
# errors found before anything is opened or written.
"$bin" monitor --site "$site" --db "$tmp/u.db" --external lo --user nosuchuser$$ 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "nosuchuser$$: no such user" "$tmp/err" && [ ! -e "$tmp/u.db" ]; then ok bad-user-writes-nothing
else bad bad-user-writes-nothing "exit $rc, want 2 naming the user and no database" "$tmp/err"; fi
"$bin" monitor --site "$site" --db "$tmp/e.db" --external lo --eve "$tmp/e.db" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "also given as --db" "$tmp/err" && [ ! -e "$tmp/e.db" ]; then ok eve-is-the-db
else bad eve-is-the-db "exit $rc, want 2 and no database" "$tmp/err"; fi

# A database in a folder the user it becomes cannot write: SQLite could
# not create or remove its -wal and -shm files there once root is given
# up. Refused at start (exit 2), naming the folder; nothing written.
if [ "$(id -u)" -eq 0 ]; then
  mkdir -m 755 "$tmp/rootonly"
  timeout 10 "$bin" monitor --site "$site" --db "$tmp/rootonly/x.db" --external nosuch${id} --user nobody 2>"$tmp/err"
  rc=$?
  if [ "$rc" -eq 2 ] && grep -q "the folder $tmp/rootonly is not writable" "$tmp/err" && [ ! -e "$tmp/rootonly/x.db" ]; then
    ok db-folder-not-writable-exit-2
  else bad db-folder-not-writable-exit-2 "exit $rc, want 2 naming $tmp/rootonly and no database" "$tmp/err"; fi
fi

# The service manager must let a stop run its course: the unit's
# TimeoutStopSec above --stop-timeout's default (from --help).
unit_stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$top/dist/edgeaudit-monitor.service.in")
help_stop=$("$bin" monitor --help | tr '\n' ' ' | sed -n 's/.*--stop-timeout SECONDS .*(default \([0-9]*\),.*/\1/p')
[ -n "$unit_stop" ] && [ -n "$help_stop" ] && [ "$unit_stop" -gt "$help_stop" ] && ok unit-stop-timeout-above-default \
  || bad unit-stop-timeout-above-default "TimeoutStopSec '$unit_stop', --stop-timeout default '$help_stop'"

if [ "$(id -u)" -ne 0 ] || ! ip netns add "$ns" 2>/dev/null; then
  echo "ok monitor/live-skipped: not root or no network namespaces; live capture not tested here"
  echo "RESULT $pass $fail"; exit 0
fi
if ! command -v tcpreplay >/dev/null; then
  bad tcpreplay "tcpreplay missing (scripts/install-deps.sh installs it)"; echo "RESULT $pass $fail"; exit 0
fi
nsx() { ip netns exec "$ns" "$@"; }
# Router solicitations and MLD reports of a new link would be traffic
# the captures do not have.
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
pair() { # sending end, receiving end
  nsx ip link add "$1" mtu 9000 type veth peer name "$2" mtu 9000 && nsx ip link set "$1" up && nsx ip link set "$2" up
}
pair "$xs" "$xr" && pair "$is" "$ir" || { bad setup "cannot create veth pairs"; echo "RESULT $pass $fail"; exit 0; }

# A missing interface at start: exit 2, named.
nsx "$bin" monitor --site "$site" --db "$tmp/m.db" --external "$xr" --internal nosuch${id} 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "nosuch${id}" "$tmp/err"; then ok missing-interface-exit-2
else bad missing-interface-exit-2 "exit $rc, want 2 naming nosuch${id}" "$tmp/err"; fi
# One that is down: the same.
nsx ip link set "$ir" down
nsx "$bin" monitor --site "$site" --db "$tmp/m.db" --internal "$ir" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "$ir.*down" "$tmp/err"; then ok down-interface-exit-2
else bad down-interface-exit-2 "exit $rc, want 2 saying $ir is down" "$tmp/err"; fi
nsx ip link set "$ir" up

# The reference: read of the same files.
"$bin" read --quiet --site "$site" --db "$tmp/read.db" --external "$ext_pcap" --internal "$int_pcap" \
  2>"$tmp/err" || bad read "read failed" "$tmp/err"

# start_monitor, wait_log, stop_monitor, wait_frames.
mon_ns=$ns mon_args=() mon_stop_s=20
. "$top/tests/e2e/lib/monitor.sh"
# 500 frames a second: the external capture's 692 frames in under 2 s.
# Its longest gap (54 s of capture) shrinks, never grows, so no idle
# timeout can split a flow that the file keeps whole; and no 5-tuple
# repeats in the lab captures, so none can merge either.
replay() { nsx tcpreplay -q --pps=500 -i "$1" "$2" >/dev/null 2>&1; }

# ---- 1. equivalence: both interfaces at once, SIGTERM -------------------
db=$tmp/live.db log=$tmp/live.log
if start_monitor "$log" --site "$site" --db "$db" --external "$xr" --internal "$ir" --eve "$tmp/eve/live.json"; then
  uid_seen=$(awk '$1 == "Uid:" { print $3 }' /proc/"$mon_pid"/status 2>/dev/null)
  capeff_seen=$(awk '$1 == "CapEff:" { print $2 }' /proc/"$mon_pid"/status 2>/dev/null)
  replay "$xs" "$ext_pcap" & r1=$!
  replay "$is" "$int_pcap" & r2=$!
  wait $r1 $r2
  wait_frames "$log" external 692 && wait_frames "$log" internal 351 \
    || bad frames-delivered "not every replayed frame was captured" "$log"
  stop_monitor
  [ "$rc" -eq 0 ] && ok sigterm-exit-0 || bad sigterm-exit-0 "exit $rc" "$log"
  rows "$tmp/read.db" >"$tmp/want"
  rows "$db" >"$tmp/got"
  if [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got"; then ok live-equals-read
  else bad live-equals-read "flow_verdicts differ from read's ($(wc -l <"$tmp/got") rows, want $(wc -l <"$tmp/want"))" "$log"
       diff "$tmp/want" "$tmp/got" | head -10 | sed 's/^/  /'; fi
  # The EVE output (report/outputs.c) fed from the same flows: one JSON
  # object per stored flow.
  if [ "$(wc -l <"$tmp/eve/live.json")" = "$(q "$db" "SELECT count(*) FROM flows")" ] &&
     jq -e . "$tmp/eve/live.json" >/dev/null 2>&1; then ok eve-line-per-flow
  else bad eve-line-per-flow "$(wc -l <"$tmp/eve/live.json") EVE lines for $(q "$db" "SELECT count(*) FROM flows") flows"; fi
  [ "$(q "$db" "SELECT status FROM runs")" = complete ] && ok run-complete \
    || bad run-complete "run status $(q "$db" "SELECT status FROM runs")"
  # Flows still open at SIGTERM end as 'shutdown' (eof is a file's end).
  [ "$(q "$db" "SELECT count(*) FROM flows WHERE end_reason = 'shutdown'")" -gt 0 ] && ok open-flows-stored-at-stop \
    || bad open-flows-stored-at-stop "no flow was flushed at SIGTERM"
  # Privileges given up, as /proc says: not root, CAP_NET_RAW (bit 13)
  # the only capability left (to reopen an interface that comes back).
  if [ -n "$uid_seen" ] && [ "$uid_seen" != 0 ] && [ "$capeff_seen" = 0000000000002000 ]; then ok privileges-dropped
  else bad privileges-dropped "Uid '$uid_seen', CapEff '$capeff_seen'" "$log"; fi
  [ "$(q "$db" "SELECT command_line LIKE '%monitor%' AND site_sha256 = '$(sha256sum "$site" | cut -c1-64)' FROM runs")" = 1 ] \
    && ok run-records-configuration || bad run-records-configuration "command line or site hash not recorded"
else
  bad start "monitor did not start" "$log"
fi

# ---- 2. an interface deleted while running, then recreated --------------
db=$tmp/gone.db log=$tmp/gone.log
if start_monitor "$log" --site "$site" --db "$db" --external "$xr" --internal "$ir"; then
  nsx ip link del "$is"
  wait_log "$log" "internal interface lost" 5 && ok lost-logged || bad lost-logged "no message" "$log"
  replay "$xs" "$ext_pcap"
  wait_frames "$log" external 692 && ok other-keeps-capturing \
    || bad other-keeps-capturing "external frames not all captured while internal was lost" "$log"
  pair "$is" "$ir"
  wait_log "$log" "is back" 10 && ok back-logged || bad back-logged "no message" "$log"
  replay "$is" "$int_pcap"
  wait_frames "$log" internal 351 && ok capture-resumes || bad capture-resumes "internal frames not captured" "$log"
  sleep 1
  kill -0 "$mon_pid" 2>/dev/null && [ "$(grep -c "internal interface lost" "$log")" -eq 1 ] && ok lost-logged-once \
    || bad lost-logged-once "$(grep -c "internal interface lost" "$log") messages" "$log"
  stop_monitor
  [ "$rc" -eq 0 ] || bad gone-exit "exit $rc" "$log"
  ev=$(q "$db" "SELECT group_concat(iface || ' ' || name || ' ' || event, ', ') FROM (SELECT * FROM interface_events ORDER BY id)")
  [ "$ev" = "internal $ir lost, internal $ir back" ] && ok events-recorded || bad events-recorded "got '$ev'"
  if [ "$(rows "$db")" = "$(rows "$tmp/read.db")" ]; then ok flows-after-loss-equal-read
  else bad flows-after-loss-equal-read "flow_verdicts differ from read's" "$log"; fi
else
  bad start-gone "monitor did not start" "$log"
fi

# ---- 3. SIGHUP: a broken site file, then a changed one -------------------
db=$tmp/hup.db log=$tmp/hup.log
cp "$site" "$tmp/site.ini"
# The changed site: the front end, director and XMPP gateway move to an
# address the captures do not have, so flows to 172.16.0.20 change verdict.
sed 's/172\.16\.0\.20$/172.16.0.98/' "$site" >"$tmp/site-moved.ini"
"$bin" read --quiet --site "$tmp/site-moved.ini" --db "$tmp/read-moved.db" --internal "$int_pcap" 2>/dev/null
if [ "$(rows "$tmp/read-moved.db")" = "$(rows "$tmp/read.db" "WHERE iface = 'internal'")" ]; then
  bad moved-site "the changed site file changes no verdict: the test would prove nothing"
fi
# Every data file is read again on SIGHUP, by then as the unprivileged
# user: copies it can read wherever the clone lives.
cp "$top/signatures/lync2013-edge.matrix" "$top/signatures/ports.sig" "$tmp/"
if start_monitor "$log" --site "$tmp/site.ini" --matrix "$tmp/lync2013-edge.matrix" --ports "$tmp/ports.sig" \
     --db "$db" --external "$xr" --internal "$ir" --eve "$tmp/eve/hup.json"; then
  replay "$xs" "$ext_pcap"
  wait_frames "$log" external 692 || bad hup-frames "external frames not captured" "$log"
  printf '[roles]\nfront_end = 172.16.0.300\n' >"$tmp/site.ini"
  mv "$tmp/eve/hup.json" "$tmp/eve/hup.json.1"   # as logrotate does, then SIGHUP
  kill -HUP "$mon_pid"
  wait_log "$log" "reload refused" 5 && grep -q "site.ini:2:" "$log" && ok broken-reload-refused-with-line \
    || bad broken-reload-refused-with-line "no refusal naming site.ini:2" "$log"
  sleep 0.3
  [ -f "$tmp/eve/hup.json" ] && ok sighup-reopens-eve || bad sighup-reopens-eve "no new EVE file after SIGHUP" "$log"
  kill -0 "$mon_pid" 2>/dev/null && ok broken-reload-keeps-running || bad broken-reload-keeps-running "monitor ended" "$log"
  [ "$(q "$db" "SELECT count(*) FROM runs")" = 1 ] && ok broken-reload-keeps-run || bad broken-reload-keeps-run "a new run began"
  cp "$tmp/site-moved.ini" "$tmp/site.ini"
  kill -HUP "$mon_pid"
  wait_log "$log" "generation 2 in use" 5 && ok reload-applied || bad reload-applied "no reload message" "$log"
  replay "$is" "$int_pcap"
  wait_frames "$log" internal 351 || bad hup-frames "internal frames not captured" "$log"
  stop_monitor
  [ "$rc" -eq 0 ] || bad hup-exit "exit $rc" "$log"
  runs=$(q "$db" "SELECT group_concat(status || ' ' || substr(site_sha256, 1, 64), ',') FROM (SELECT * FROM runs ORDER BY id)")
  want_runs="complete $(sha256sum "$site" | cut -c1-64),complete $(sha256sum "$tmp/site-moved.ini" | cut -c1-64)"
  [ "$runs" = "$want_runs" ] && ok reload-new-run-with-new-hash || bad reload-new-run-with-new-hash "runs: $runs"
  if [ "$(rows "$db" "WHERE iface = 'internal'")" = "$(rows "$tmp/read-moved.db")" ]; then ok verdicts-follow-new-site
  else bad verdicts-follow-new-site "internal verdicts differ from read with the new site" "$log"; fi
  last=$(q "$db" "SELECT max(id) FROM runs")
  [ "$(q "$db" "SELECT count(*) FROM flows WHERE iface = 'internal' AND run_id <> $last")" = 0 ] \
    && ok flows-in-the-new-run || bad flows-in-the-new-run "internal flows stored in the old run"
  [ "$(cat "$tmp/eve/hup.json.1" "$tmp/eve/hup.json" | wc -l)" = "$(q "$db" "SELECT count(*) FROM flows")" ] \
    && ok eve-rotation-loses-no-line || bad eve-rotation-loses-no-line "EVE lines and flows differ"
  [ "$(q "$db" "SELECT count(*) FROM flows")" = "$(q "$tmp/read.db" "SELECT count(*) FROM flows")" ] \
    && ok reload-loses-no-flow \
    || bad reload-loses-no-flow "$(q "$db" "SELECT count(*) FROM flows") flows, read has $(q "$tmp/read.db" "SELECT count(*) FROM flows")"
else
  bad start-hup "monitor did not start" "$log"
fi

# ---- 4. SIGINT ends it as SIGTERM does; SIGUSR1 logs the counters -----------
db=$tmp/int.db log=$tmp/int.log
if start_monitor "$log" --site "$site" --db "$db" --internal "$ir"; then
  replay "$is" "$int_pcap"
  wait_frames "$log" internal 351 && grep -q "counters: internal: capturing, 351 frames.*0 dropped" "$log" \
    && ok sigusr1-counters || bad sigusr1-counters "no counters line with 351 frames" "$log"
  kill -INT "$mon_pid"
  for ((i = 0; i < 200; i++)); do kill -0 "$mon_pid" 2>/dev/null || break; sleep 0.05; done
  { wait "$mon_pid"; rc=$?; } 2>/dev/null
  [ "$rc" -eq 0 ] && grep -q "stopped by SIGINT" "$log" && ok sigint-exit-0 || bad sigint-exit-0 "exit $rc" "$log"
  [ "$(rows "$db")" = "$(rows "$tmp/read.db" "WHERE iface = 'internal'")" ] && ok sigint-every-flow-stored \
    || bad sigint-every-flow-stored "flow_verdicts differ from read's" "$log"
else
  bad start-int "monitor did not start" "$log"
fi

# ---- 5. SIGTERM right after the last frame (systemctl stop after a burst) ---
# The kernel hands a partly filled block over only when its timer retires
# it: the frames it had already counted must still reach the run.
db=$tmp/quick.db log=$tmp/quick.log
if start_monitor "$log" --site "$site" --db "$db" --internal "$ir"; then
  replay "$is" "$int_pcap"
  stop_monitor
  [ "$rc" -eq 0 ] && [ "$(q "$db" "SELECT packets FROM runs")" = 351 ] &&
    [ "$(rows "$db")" = "$(rows "$tmp/read.db" "WHERE iface = 'internal'")" ] && ok stop-reads-the-last-block \
    || bad stop-reads-the-last-block "exit $rc, $(q "$db" "SELECT packets FROM runs") of 351 frames" "$log"
else
  bad start-quick "monitor did not start" "$log"
fi

# ---- 6. --stop-timeout: a stop with the database locked ------------------
# Another connection holds the write lock across the SIGTERM. Locked for
# longer than the deadline: exit 1 within it (plus a small margin), naming
# what was not written. Freed within the deadline: exit 0, every flow.
# $1 db, $2 log, $3 --stop-timeout, $4 seconds the lock is held.
stop_locked() {
  local t0 t1 i
  start_monitor "$2" --site "$site" --db "$1" --internal "$ir" --stop-timeout "$3" || return 1
  replay "$is" "$int_pcap"
  wait_frames "$2" internal 351 || return 1
  # .timeout: the sensor may be committing just then; the locker waits
  # for it instead of failing (and the stop then finding no lock).
  { echo ".timeout 5000"; echo "BEGIN EXCLUSIVE;"; sleep "$4"; echo "COMMIT;"; } | sqlite3 "$1" & locker=$!
  started+=("$locker")
  # The lock is held once a writer cannot get it.
  for ((i = 0; i < 50; i++)); do
    sqlite3 -cmd ".timeout 0" "$1" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null || break
    sleep 0.05
  done
  t0=$(date +%s%N)
  kill -TERM "$mon_pid"
  for ((i = 0; i < 600; i++)); do kill -0 "$mon_pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$mon_pid" 2>/dev/null && kill -9 "$mon_pid" 2>/dev/null
  { wait "$mon_pid"; rc=$?; } 2>/dev/null
  t1=$(date +%s%N)
  stop_ms=$(( (t1 - t0) / 1000000 ))
  wait "$locker" 2>/dev/null
  return 0
}
if stop_locked "$tmp/lock1.db" "$tmp/lock1.log" 2 8; then
  echo "  (stop with the lock held: $stop_ms ms for --stop-timeout 2)"
  if [ "$rc" -eq 1 ] && [ "$stop_ms" -ge 1900 ] && [ "$stop_ms" -le 3500 ] && grep -q "flows not written" "$tmp/lock1.log"; then
    ok stop-timeout-locked-exit-1
  else bad stop-timeout-locked-exit-1 "exit $rc after $stop_ms ms (want 1 within 2 s + 1.5 s, saying what was not written)" "$tmp/lock1.log"; fi
  # The loss reaches the database: kept beside it, recorded by the next
  # start in that run's capture_stats, shown by report; flows and records
  # counted apart (the message's figures are the row's).
  lost=$(sed -n 's/.* \([0-9]*\) flows\{0,1\} not written (\([0-9]*\) flow records\{0,1\},.*/\1 \2/p' "$tmp/lock1.log" | head -1)
  if [ -s "$tmp/lock1.db-stoploss" ] && start_monitor "$tmp/lock1b.log" --site "$site" --db "$tmp/lock1.db" --internal "$ir"; then
    stop_monitor
    row=$(q "$tmp/lock1.db" "SELECT sum(stop_lost_flows) || ' ' || sum(stop_lost_records) FROM capture_stats WHERE run_id = 1")
    "$bin" report --db "$tmp/lock1.db" --run 1 >"$tmp/lock1.report" 2>&1
    if [ -n "$lost" ] && [ "$row" = "$lost" ] && [ ! -e "$tmp/lock1.db-stoploss" ] \
       && grep -q "flows (${lost#* } flow records) not written at stop" "$tmp/lock1.report"; then
      ok stop-loss-recorded-and-reported
    else bad stop-loss-recorded-and-reported "message '$lost', row '$row'; $(grep -i 'stop' "$tmp/lock1.report" | head -2)" "$tmp/lock1b.log"; fi
  else
    bad stop-loss-recorded-and-reported "no $tmp/lock1.db-stoploss, or the next start failed" "$tmp/lock1.log"
  fi
else
  bad stop-timeout-locked-exit-1 "monitor did not start or capture" "$tmp/lock1.log"
fi
if stop_locked "$tmp/lock2.db" "$tmp/lock2.log" 6 2; then
  if [ "$rc" -eq 0 ] && [ "$stop_ms" -lt 6000 ] && [ "$(rows "$tmp/lock2.db")" = "$(rows "$tmp/read.db" "WHERE iface = 'internal'")" ]; then
    ok stop-timeout-lock-freed-every-flow
  else bad stop-timeout-lock-freed-every-flow "exit $rc after $stop_ms ms, $(q "$tmp/lock2.db" "SELECT count(*) FROM flows") flows" "$tmp/lock2.log"; fi
else
  bad stop-timeout-lock-freed-every-flow "monitor did not start or capture" "$tmp/lock2.log"
fi

# ---- 7. logrotate's `create` with --user nobody -------------------------
# The EVE file is created as root, in a folder only root may write (as
# /var/log/edgeaudit). logrotate moves it and creates the new one with the
# old one's owner and mode; SIGHUP reopens it as nobody. It was root's, so
# the reopen was refused and every later line went to the rotated file.
mkdir -m 755 "$tmp/rot"
cp "$site" "$top/signatures/lync2013-edge.matrix" "$top/signatures/ports.sig" "$tmp/rot/"
db=$tmp/rot.db log=$tmp/rot.log eve=$tmp/rot/eve.json
if start_monitor "$log" --site "$tmp/rot/site.ini" --matrix "$tmp/rot/lync2013-edge.matrix" \
     --ports "$tmp/rot/ports.sig" --db "$db" --internal "$ir" --user nobody --eve "$eve"; then
  mv "$eve" "$eve.1"
  install -m "$(stat -c %a "$eve.1")" -o "$(stat -c %u "$eve.1")" -g "$(stat -c %g "$eve.1")" /dev/null "$eve"
  kill -HUP "$mon_pid"
  wait_log "$log" "unchanged" 5 || bad rotate-reload "no reload message" "$log"
  replay "$is" "$int_pcap"
  wait_frames "$log" internal 351 || bad rotate-frames "internal frames not captured" "$log"
  stop_monitor
  flows=$(q "$db" "SELECT count(*) FROM flows")
  if [ "$rc" -eq 0 ] && [ "$flows" -gt 0 ] && [ "$(wc -l <"$eve")" = "$flows" ] && [ ! -s "$eve.1" ] \
     && ! grep -q "EVE file in use is kept" "$log"; then ok eve-reopened-as-nobody-after-rotation
  else bad eve-reopened-as-nobody-after-rotation "exit $rc; $(wc -l <"$eve") lines in the new file, $(wc -l <"$eve.1") in the rotated one, $flows flows" "$log"; fi
else
  bad eve-reopened-as-nobody-after-rotation "monitor did not start" "$log"
fi

echo "RESULT $pass $fail"
