#!/usr/bin/env bash
# The run lifecycle end to end: a run is complete or visibly not, and never
# counted twice. Real signals (SIGINT, SIGTERM, SIGKILL) on a generated
# capture big enough to be stopped in the middle, then a re-read and the
# report's totals; two reads of one capture at the same time; a report on
# a read-only mount; captures of a link type edgeaudit does not decode.
# Each check prints "ok <name>" or "FAIL <name>: why"; every wait is bounded.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
shared="$top/../shared/pcaps/external"
site="$top/pcaps/site.ini"
mkflows=${EA_MKFLOWS:-$top/build/tests/mkflows}
tmp=$(mktemp -d)
started=()
cleanup() {
  local p
  for p in "${started[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0

ok() { echo "ok runs/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL runs/$1: $2"; [ -s "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -5; fail=$((fail + 1)); }
check() { local name=$1 why=$2; shift 2; if "$@"; then ok "$name"; else bad "$name" "$why"; fi; }
q() { sqlite3 -readonly "$1" "$2" 2>/dev/null; }
# The report's total flows (the "total" line of the Verdicts section).
report_total() { "$bin" report --db "$1" 2>"$tmp/err" | awk '$1 == "total" { print $2; exit }'; }

# Waits (at most $3 seconds) until database $1 has at least $2 flows
# committed while process $4 still runs; false when it ended or time ran out.
wait_flows() {
  local db=$1 want=$2 secs=$3 pid=$4 n i
  for ((i = 0; i < secs * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -s "$db" ]; then
      n=$(q "$db" "select count(*) from flows")
      [ -n "$n" ] && [ "$n" -ge "$want" ] && return 0
    fi
    sleep 0.05
  done
  return 1
}
# Waits (at most $2 seconds) for process $1 to end; its exit code in $rc.
wait_exit() {
  local pid=$1 secs=$2 i
  for ((i = 0; i < secs * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  { wait "$pid"; rc=$?; } 2>/dev/null
}

if [ ! -x "$mkflows" ]; then
  echo "FAIL runs/mkflows: $mkflows missing (make builds it)"; echo "RESULT 0 1"; exit 0
fi
# 30,000 flows, each a SYN refused by a RST: stored steadily as it is read.
big=$tmp/big.pcap
"$mkflows" 30000 "$big" || { echo "FAIL runs/mkflows: cannot write $big"; echo "RESULT 0 1"; exit 0; }
# The stopped runs read it 40 times over (--force): long enough to be
# stopped after the first 20,000 flows are committed, whatever the machine.
many=()
for _ in $(seq 40); do many+=(--external "$big"); done

"$bin" --help >"$tmp/out" 2>&1
check help-exit-codes "--help does not document 130/143" grep -q '130 or 143' "$tmp/out"

# ---- A.1: SIGINT and SIGTERM stop the run cleanly --------------------------
# A script's background job starts with SIGINT ignored (and edgeaudit keeps
# it so, as programs should); env gives it back its default disposition, as
# an interactive shell would.
for sig in INT TERM; do
  db=$tmp/sig$sig.db
  env --default-signal=INT "$bin" read --quiet --force --site "$site" --db "$db" "${many[@]}" >"$tmp/out" 2>"$tmp/err" &
  pid=$!; started+=("$pid")
  if ! wait_flows "$db" 20000 120 "$pid"; then
    wait_exit "$pid" 1
    bad "sig$sig-in-time" "the run ended (exit $rc) or stored no 20,000 flows before it could be signalled"
    continue
  fi
  kill -"$sig" "$pid"
  wait_exit "$pid" 60
  want=$([ $sig = INT ] && echo 130 || echo 143)
  check "sig$sig-exit-code" "exit $rc, wanted $want" [ "$rc" -eq "$want" ]
  check "sig$sig-says-so" "stderr does not say it" grep -q "interrupted by SIG$sig" "$tmp/err"
  check "sig$sig-run-interrupted" "status $(q "$db" 'select status from runs')" \
    [ "$(q "$db" 'select status from runs where id = 1')" = "interrupted: SIG$sig" ]
  kept=$(q "$db" "select count(*) from flows where run_id = 1")
  check "sig$sig-keeps-decided-flows" "$kept flows kept" [ "$kept" -ge 20000 ]
  check "sig$sig-input-says-where" "no input row says where it stopped" \
    [ "$(q "$db" "select count(*) from inputs where run_id = 1 and error like 'interrupted after % record% by SIG$sig'")" = 1 ]
  check "sig$sig-unread-inputs-marked" "unread inputs not marked" \
    [ "$(q "$db" "select count(*) from inputs where run_id = 1 and error like 'not read to the end%'")" -ge 1 ]
  # The capture is read again without --force; the report counts it once.
  "$bin" read --quiet --site "$site" --db "$db" --external "$big" >"$tmp/out" 2>"$tmp/err"; rc=$?
  check "sig$sig-reread-without-force" "exit $rc" [ "$rc" -eq 0 ]
  total=$(report_total "$db")
  check "sig$sig-report-counts-once" "total $total flows, wanted 30000" [ "$total" = 30000 ]
  "$bin" report --db "$db" >"$tmp/out" 2>"$tmp/err"
  check "sig$sig-report-shows-it-apart" "no line for the interrupted run" \
    grep -qE "^  run 1: interrupted: SIG$sig" "$tmp/out"
  check "sig$sig-report-its-flows" "its flow count is not shown" grep -qE "^    $kept flows stored" "$tmp/out"
done

# ---- A.1: one SIGTERM stops a read blocked on a silent stream -----------------
# A FIFO with no writer (the open blocks) and one whose writer never writes
# (the read blocks): one SIGTERM, as a service manager sends, must end the
# run as interrupted, not leave it waiting for data that never comes.
for how in no-writer silent-writer; do
  fifo=$tmp/silent-$how.fifo db=$tmp/silent-$how.db
  mkfifo "$fifo"
  writer=""
  if [ $how = silent-writer ]; then
    sleep 30 >"$fifo" & writer=$!; started+=("$writer")
  fi
  "$bin" read --quiet --site "$site" --db "$db" --external "$fifo" >"$tmp/out" 2>"$tmp/err" &
  pid=$!; started+=("$pid")
  # The run is claimed before the capture is opened: wait for its row.
  for ((i = 0; i < 100; i++)); do
    [ "$(q "$db" "select count(*) from runs")" = 1 ] && break
    sleep 0.05
  done
  sleep 0.3
  kill -TERM "$pid"
  wait_exit "$pid" 10
  check "stream-$how-sigterm-exit" "exit $rc, wanted 143 (one SIGTERM)" [ "$rc" -eq 143 ]
  check "stream-$how-run-interrupted" "status $(q "$db" 'select status from runs')" \
    [ "$(q "$db" 'select status from runs where id = 1')" = "interrupted: SIGTERM" ]
  [ -n "$writer" ] && kill "$writer" 2>/dev/null
done

# ---- A.1: SIGKILL: the next read proves the writer gone ---------------------
db=$tmp/kill.db
"$bin" read --quiet --force --site "$site" --db "$db" "${many[@]}" >"$tmp/out" 2>"$tmp/err" &
pid=$!; started+=("$pid")
if wait_flows "$db" 20000 120 "$pid"; then
  kill -KILL "$pid"; wait_exit "$pid" 30 2>/dev/null
  kept=$(q "$db" "select count(*) from flows where run_id = 1")
  check kill-left-running "status $(q "$db" 'select status from runs')" \
    [ "$(q "$db" 'select status from runs where id = 1')" = running ]
  "$bin" report --db "$db" >"$tmp/out" 2>"$tmp/err"
  check kill-report-sees-dead-writer "report does not say the writer is gone" \
    grep -q "^  run 1: running (but its process has ended: interrupted)" "$tmp/out"
  total=$(report_total "$db")
  check kill-report-counts-nothing "total $total flows, wanted 0" [ "$total" = 0 ]
  # Kept for the read-only checks below: a database a killed writer left in WAL.
  mkdir -p "$tmp/killed" && cp "$db" "$db-wal" "$db-shm" "$tmp/killed/" 2>/dev/null
  "$bin" read --quiet --site "$site" --db "$db" --external "$big" >"$tmp/out" 2>"$tmp/err"; rc=$?
  check kill-reread-without-force "exit $rc" [ "$rc" -eq 0 ]
  check kill-run-marked-interrupted "status $(q "$db" 'select status from runs where id = 1')" \
    [ "$(q "$db" 'select status from runs where id = 1')" = "interrupted: its process ended without finishing the run" ]
  total=$(report_total "$db")
  check kill-report-counts-once "total $total flows, wanted 30000 (the killed run had $kept)" [ "$total" = 30000 ]
else
  wait_exit "$pid" 1
  bad kill-in-time "the run ended (exit $rc) before it could be killed"
fi

# ---- A.2: two reads of one capture at the same time -------------------------
# The first reads 30 copies of a filler capture, then the target (its flows
# start an hour later, so it is read last); the second starts once the
# first run is committed, long before the first reaches the target.
filler=$tmp/filler.pcap target=$tmp/target.pcap db=$tmp/conc.db
"$mkflows" -s 1 30000 "$filler" && "$mkflows" -s 2 -t 3600 30000 "$target"
fillers=()
for _ in $(seq 30); do fillers+=(--external "$filler"); done
"$bin" read --quiet --force --site "$site" --db "$db" "${fillers[@]}" --external "$target" >/dev/null 2>"$tmp/err-a" &
pid=$!; started+=("$pid")
for _ in $(seq 400); do
  [ -s "$db" ] && [ "$(q "$db" "select count(*) from runs where status = 'running'")" = 1 ] && break
  sleep 0.05
done
"$bin" read --quiet --site "$site" --db "$db" --external "$target" >"$tmp/out" 2>"$tmp/err"; rc=$?
if kill -0 "$pid" 2>/dev/null; then
  check concurrent-second-refused "exit $rc, wanted 1" [ "$rc" -eq 1 ]
  check concurrent-second-says-why "stderr does not name the running run" \
    grep -q "being read into .* by run 1, still running" "$tmp/err"
else
  bad concurrent-overlap "the first read ended before the second started: nothing was tested"
fi
wait_exit "$pid" 120
check concurrent-first-completes "first read exit $rc" [ "$rc" -eq 0 ]
check concurrent-stored-once "$(q "$db" 'select count(*) from runs') runs" \
  [ "$(q "$db" "select count(*) from runs")" = 1 ]
# Started together: exactly one of them stores the capture.
db=$tmp/race.db
"$bin" read --quiet --site "$site" --db "$db" --external "$target" >/dev/null 2>"$tmp/err-a" & p1=$!
"$bin" read --quiet --site "$site" --db "$db" --external "$target" >/dev/null 2>"$tmp/err-b" & p2=$!
started+=("$p1" "$p2")
wait_exit "$p1" 120; r1=$rc
wait_exit "$p2" 120; r2=$rc
check race-one-stores "exits $r1 and $r2, wanted 0 and 1" [ "$((r1 + r2))" -eq 1 ]
check race-one-run "$(q "$db" 'select count(*) from runs') runs" [ "$(q "$db" "select count(*) from runs")" = 1 ]
check race-flows-once "$(q "$db" 'select count(*) from flows') flows" [ "$(q "$db" "select count(*) from flows")" = 30000 ]

# ---- A.3: report on a read-only mount ---------------------------------------
ev=$tmp/evidence
mkdir -p "$ev"
"$bin" read --quiet --site "$site" --db "$ev/audit.db" --external "$shared/ndpi_sip.pcap" 2>"$tmp/err"
check run-leaves-one-file "the run left $(ls "$ev" | tr '\n' ' ')" [ ! -e "$ev/audit.db-wal" ] && [ ! -e "$ev/audit.db-shm" ]
# A database an older edgeaudit left in WAL mode, closed cleanly (no -wal).
cp "$ev/audit.db" "$ev/wal-mode.db" && sqlite3 "$ev/wal-mode.db" "pragma journal_mode = wal" >/dev/null
# A killed writer's database with its -wal and -shm; and its -wal alone.
if [ -e "$tmp/killed/kill.db-wal" ]; then
  mkdir -p "$ev/killed" "$ev/walonly"
  cp "$tmp/killed/kill.db" "$tmp/killed/kill.db-wal" "$tmp/killed/kill.db-shm" "$ev/killed/"
  cp "$tmp/killed/kill.db" "$tmp/killed/kill.db-wal" "$ev/walonly/"
fi
cat > "$tmp/ro.sh" <<'RO'
set -u
bin=$1 ev=$2 out=$3
mount --bind "$ev" "$ev" && mount -o remount,ro,bind "$ev" || exit 97
touch "$ev/probe" 2>/dev/null && exit 98
"$bin" report --db "$ev/audit.db" >"$out/plain.out" 2>&1; echo $? >"$out/plain.rc"
"$bin" report --db "$ev/wal-mode.db" >"$out/wal.out" 2>&1; echo $? >"$out/wal.rc"
if [ -d "$ev/killed" ]; then
  "$bin" report --db "$ev/killed/kill.db" >"$out/killed.out" 2>&1; echo $? >"$out/killed.rc"
  "$bin" report --db "$ev/walonly/kill.db" >"$out/walonly.out" 2>&1; echo $? >"$out/walonly.rc"
fi
exit 0
RO
mkdir -p "$tmp/ro-out"
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
  echo "skip runs/read-only-mount: mount namespaces are unavailable here (needs root and unshare -m)"
else
  unshare -m bash "$tmp/ro.sh" "$bin" "$ev" "$tmp/ro-out"; rc=$?
  if [ $rc -ne 0 ]; then
    bad read-only-mount "could not set up the read-only bind mount (exit $rc)"
  else
    check ro-report-finished-db "exit $(cat "$tmp/ro-out/plain.rc"): $(head -c 300 "$tmp/ro-out/plain.out")" \
      grep -q '^Verdicts' "$tmp/ro-out/plain.out"
    check ro-report-wal-mode-db "exit $(cat "$tmp/ro-out/wal.rc"): $(head -c 300 "$tmp/ro-out/wal.out")" \
      grep -q '^Verdicts' "$tmp/ro-out/wal.out"
    if [ -f "$tmp/ro-out/killed.rc" ]; then
      check ro-report-killed-writer "exit $(cat "$tmp/ro-out/killed.rc"): $(head -c 300 "$tmp/ro-out/killed.out")" \
        grep -q "^  run 1: running (but its process has ended" "$tmp/ro-out/killed.out"
      check ro-refuses-unreadable-wal "exit $(cat "$tmp/ro-out/walonly.rc"): $(head -c 300 "$tmp/ro-out/walonly.out")" \
        grep -q "write-ahead log .* holds commits" "$tmp/ro-out/walonly.out"
    fi
  fi
  # Nothing of the mount is left behind.
  touch "$ev/probe" 2>/dev/null && ok ro-mount-torn-down || bad ro-mount-torn-down "the evidence directory is still read-only"
fi

# ---- C.6: a link type edgeaudit does not decode -----------------------------
db=$tmp/link.db
"$bin" read --quiet --site "$site" --db "$db" --external "$shared/tcpdump_unsupported-link-type-160.pcap" >"$tmp/out" 2>"$tmp/err"; rc=$?
check link160-exit-1 "exit $rc" [ "$rc" -eq 1 ]
check link160-named "stderr does not name it" grep -q 'tcpdump_unsupported-link-type-160.pcap: no frame could be decoded: link type 160 (USER13)' "$tmp/err"
check link160-run-partial "status $(q "$db" 'select status from runs')" \
  [ "$(q "$db" "select count(*) from runs where status like 'partial%'")" = 1 ]
check link160-input-error "input has no error" \
  [ "$(q "$db" "select count(*) from inputs where error like '%link type 160 (USER13)%'")" = 1 ]
# Any capture relabelled to a link type we do not decode, beside a good one.
"$mkflows" -l 147 1000 "$tmp/relabelled.pcap"
db=$tmp/link2.db
"$bin" read --quiet --site "$site" --db "$db" --external "$shared/ndpi_sip.pcap" --internal "$tmp/relabelled.pcap" >"$tmp/out" 2>"$tmp/err"; rc=$?
check relabelled-exit-1 "exit $rc" [ "$rc" -eq 1 ]
check relabelled-named "stderr does not name it" grep -q 'relabelled.pcap: no frame could be decoded: link type 147 (USER0)' "$tmp/err"
check relabelled-keeps-others "flows of the good capture lost" [ "$(q "$db" "select count(*) from flows")" -gt 0 ]
# Nothing was taken from it: it can be read again without --force.
"$bin" read --quiet --site "$site" --db "$db" --internal "$tmp/relabelled.pcap" >"$tmp/out" 2>"$tmp/err"; rc=$?
check relabelled-not-held "exit $rc, wanted 1 (undecodable again, not a duplicate)" [ "$rc" -eq 1 ] && ! grep -q 'already in' "$tmp/err"

echo "RESULT $pass $fail"
