#!/usr/bin/env bash
# edgeaudit retain: old flows rolled up and deleted, the report's rule
# usage unchanged, idempotent, the database intact; and the loss section
# of a read whose flow table overflowed. Each check prints "ok <name>" or
# "FAIL <name>: why".
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
site="$top/pcaps/site.ini"
mkflows=${EA_MKFLOWS:-$top/build/tests/mkflows}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok retain/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL retain/$1: $2"; [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -5; fail=$((fail + 1)); }
rows() { sqlite3 "$1" "$2"; }
# The text of a report section: from its title to the blank line after it.
section() { awk -v t="$2" '$0 == t {p = 1} p && /^$/ {exit} p' "$1"; }

if [ ! -x "$mkflows" ]; then
  echo "FAIL retain/mkflows: $mkflows missing (make builds it)"; echo "RESULT 0 1"; exit 0
fi
# Two captures (mkflows: 2024-03-04 09:00 UTC, the second 20 days later),
# 2,000 flows each, into one database.
"$mkflows" -s 1 2000 "$tmp/old.pcap" && "$mkflows" -s 2 -t $((20 * 86400)) 2000 "$tmp/new.pcap" \
  || { echo "FAIL retain/mkflows: cannot write"; echo "RESULT 0 1"; exit 0; }
db="$tmp/r.db"
"$bin" read --quiet --site "$site" --db "$db" --external "$tmp/old.pcap" --external "$tmp/new.pcap" 2>"$tmp/err" \
  || bad read "exit $?"
"$bin" report --db "$db" >"$tmp/before" 2>"$tmp/err"

# Keep the days from 2024-03-14 on: the first capture's flows go.
days=$(( ($(date -u +%s) - $(date -u -d 2024-03-14 +%s)) / 86400 ))
"$bin" retain --db "$db" --days "$days" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && ok exit-0 || bad exit-0 "exit $rc"
grep -q ": 2000 deleted, their totals kept for 1 run-day\.$" "$tmp/out" && ok says-what-it-did || bad says-what-it-did "$(cat "$tmp/out")"
left=$(rows "$db" "SELECT COUNT(*), MIN(first_us) >= 1711238400000000 FROM flows")
[ "$left" = "2000|1" ] && ok old-flows-gone || bad old-flows-gone "flows left: $left"
[ "$(rows "$db" "SELECT COUNT(*) FROM flow_rules WHERE flow_id NOT IN (SELECT id FROM flows)")" = 0 ] \
  && ok flow-rules-gone || bad flow-rules-gone "orphan flow_rules"
[ "$(rows "$db" "SELECT SUM(flows) FROM rollup_groups")" = 2000 ] && ok rollups-present || bad rollups-present "no rollup"
"$bin" report --db "$db" >"$tmp/after" 2>"$tmp/err"
for s in "Verdicts" "Documented rows (document order)" "Rows never used (candidates to close)"; do
  section "$tmp/before" "$s" >"$tmp/s1"; section "$tmp/after" "$s" >"$tmp/s2"
  if [ -s "$tmp/s1" ] && cmp -s "$tmp/s1" "$tmp/s2"; then ok "report-unchanged: $s"
  else bad "report-unchanged: $s" "$(diff "$tmp/s1" "$tmp/s2" | head -4)"; fi
done
cp "$db" "$tmp/once.db"
"$bin" retain --db "$db" --days "$days" >"$tmp/out" 2>"$tmp/err"
grep -q ": 0 deleted" "$tmp/out" && [ "$(rows "$db" "SELECT * FROM rollup_rules; SELECT * FROM rollup_groups")" = \
  "$(rows "$tmp/once.db" "SELECT * FROM rollup_rules; SELECT * FROM rollup_groups")" ] && ok idempotent \
  || bad idempotent "$(cat "$tmp/out")"
[ "$(rows "$db" "PRAGMA integrity_check")" = ok ] && ok integrity-check || bad integrity-check "not ok"

"$bin" retain --db "$db" --days 0 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && ok days-0-exit-2 || bad days-0-exit-2 "accepted"
"$bin" retain --db "$tmp/none.db" --days 30 >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && [ ! -e "$tmp/none.db" ] && ok missing-db-exit-1 || bad missing-db-exit-1 "wrong exit or created"

# A read whose flow table overflowed says so first in the report, with
# the capture's period; one that lost nothing has no such section.
"$bin" read --quiet --site "$site" --db "$tmp/e.db" --external "$top/pcaps/lab-external.pcap" --max-flows 2 2>"$tmp/err"
"$bin" report --db "$tmp/e.db" >"$tmp/report" 2>"$tmp/err"
ev=$(rows "$tmp/e.db" "SELECT evicted FROM runs")
head -8 "$tmp/report" | grep -qE "^  run 1, external interface: between 2026-11-24T08:30:33\.636956Z and 2026-11-24T08:31:28\.009791Z: $ev flows evicted" \
  && [ "$ev" -gt 0 ] && ok loss-on-first-page || bad loss-on-first-page "$(head -8 "$tmp/report")"
grep -q "Capture loss" "$tmp/before" && bad no-loss-no-section "section shown" || ok no-loss-no-section

echo "RESULT $pass $fail"
