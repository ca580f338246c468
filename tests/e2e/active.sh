#!/usr/bin/env bash
# The active timeout end to end: long flows (tests/tools/mkflows -L) read
# with --active-timeout are written while they live and rewritten at their
# end — one row per flow with its final counts, never a duplicate — and
# read without it are written once. Each check prints "ok <name>" or
# "FAIL <name>: why".
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
site="$top/pcaps/site.ini"
mkflows=${EA_MKFLOWS:-$top/build/tests/mkflows}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { echo "ok active/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL active/$1: $2"; [ -s "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -5; fail=$((fail + 1)); }
check() { local name=$1 why=$2; shift 2; if "$@"; then ok "$name"; else bad "$name" "$why"; fi; }
q() { sqlite3 -readonly "$1" "$2" 2>/dev/null; }

if [ ! -x "$mkflows" ]; then
  echo "FAIL active/mkflows: $mkflows missing (make builds it)"; echo "RESULT 0 1"; exit 0
fi
# Three TCP flows of ten minutes each (an ACK every 10 s), 66 packets each.
long=$tmp/long.pcap
"$mkflows" -L 600 3 "$long" || { echo "FAIL active/mkflows: cannot write $long"; echo "RESULT 0 1"; exit 0; }

db=$tmp/a.db
"$bin" read --quiet --site "$site" --db "$db" --external "$long" --active-timeout 60 >"$tmp/out" 2>"$tmp/err"; rc=$?
check read-exit "exit $rc" [ "$rc" -eq 0 ]
rows=$(q "$db" "select count(*) from flow_verdicts")
check one-row-per-flow "$rows rows, wanted 3" [ "$rows" = 3 ]
final=$(q "$db" "select group_concat(packets || '/' || last_seen, ' ') from (select * from flow_verdicts order by initiator_port)")
check final-counts "$final" [ "$final" = "66/2024-03-04T09:10:10.000200Z 66/2024-03-04T09:10:10.001200Z 66/2024-03-04T09:10:10.002200Z" ]
ends=$(q "$db" "select group_concat(end_reason || ':' || updates, ' ') from flows order by id")
check rewritten-while-alive "end_reason:updates $ends, wanted fin after 10 updates each" \
  [ "$ends" = "fin:10 fin:10 fin:10" ]

db=$tmp/b.db
"$bin" read --quiet --site "$site" --db "$db" --external "$long" >"$tmp/out" 2>"$tmp/err"; rc=$?
ends=$(q "$db" "select group_concat(end_reason || ':' || updates || ':' || (pkts_out + pkts_in), ' ') from flows order by id")
check off-by-default "exit $rc, $ends" [ "$rc" -eq 0 ] && [ "$ends" = "fin:0:66 fin:0:66 fin:0:66" ]

"$bin" read --quiet --site "$site" --db "$tmp/c.db" --external "$long" --active-timeout 0 >"$tmp/out" 2>"$tmp/err"; rc=$?
check zero-refused "exit $rc, wanted 2" [ "$rc" -eq 2 ]
"$bin" read --quiet --site "$site" --db "$tmp/c.db" --external "$long" --active-timeout 60 --active-timeout 30 \
  >"$tmp/out" 2>"$tmp/err"; rc=$?
check twice-refused "exit $rc, wanted 2" [ "$rc" -eq 2 ]
: >"$tmp/err"

echo "RESULT $pass $fail"
