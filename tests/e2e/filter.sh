#!/usr/bin/env bash
# read --filter: a BPF expression applied to file frames before decoding,
# as tcpdump -r applies it; recorded on the run; a filtered read holds the
# capture only against the same filter. Each check prints "ok <name>" or
# "FAIL <name>: why".
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
site="$top/pcaps/site.ini"
cap="$top/pcaps/lab-external.pcap"
expr='tcp port 443'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok filter/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL filter/$1: $2"; [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" | head -5; fail=$((fail + 1)); }
rows() { sqlite3 "$1" "$2"; }
# What a flow is, without the run id: equal rows mean equal audits.
flows_sql="SELECT iface, transport, initiator_ip, initiator_port, responder_ip, responder_port,
 app_protocol, verdict, rule_ids, direction_source, packets, bytes, first_seen, last_seen,
 server_name, community_id FROM flow_verdicts WHERE run_id = (SELECT MAX(id) FROM runs) ORDER BY 1,2,3,4,5,6,13"

if ! command -v tcpdump >/dev/null; then
  echo "FAIL filter/tcpdump: not installed (scripts/install-deps.sh installs it)"; echo "RESULT 0 1"; exit 0
fi

# The filtered read and tcpdump's filtered copy read whole: the same flows.
"$bin" read --site "$site" --db "$tmp/f.db" --external "$cap" --filter "$expr" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && ok read-exit-0 || bad read-exit-0 "exit $rc"
tcpdump -r "$cap" -w "$tmp/cut.pcap" "$expr" 2>/dev/null
"$bin" read --quiet --site "$site" --db "$tmp/t.db" --external "$tmp/cut.pcap" 2>"$tmp/err" || bad tcpdump-read "exit $?"
rows "$tmp/f.db" "$flows_sql" >"$tmp/f.rows"
rows "$tmp/t.db" "$flows_sql" >"$tmp/t.rows"
if [ -s "$tmp/f.rows" ] && cmp -s "$tmp/f.rows" "$tmp/t.rows"; then ok same-flows-as-tcpdump
else bad same-flows-as-tcpdump "$(diff "$tmp/t.rows" "$tmp/f.rows" | head -5)"; fi
# Only those flows: every one on port 443 over TCP, fewer than the whole capture's.
n443=$(rows "$tmp/f.db" "SELECT COUNT(*) FROM flow_verdicts WHERE transport = 'tcp' AND 443 IN (initiator_port, responder_port)")
nall=$(rows "$tmp/f.db" "SELECT COUNT(*) FROM flow_verdicts")
[ "$nall" -gt 0 ] && [ "$n443" = "$nall" ] && ok only-matching-flows || bad only-matching-flows "$n443 of $nall on tcp/443"
# Packet counts as tcpdump counts them, in the run and in the capture's row.
want=$(tcpdump -r "$cap" "$expr" 2>/dev/null | wc -l)
got=$(rows "$tmp/f.db" "SELECT packets FROM runs WHERE id = 1")
got_in=$(rows "$tmp/f.db" "SELECT packets FROM inputs WHERE run_id = 1")
[ "$got" = "$want" ] && [ "$got_in" = "$want" ] && ok packets-as-tcpdump || bad packets-as-tcpdump "run $got, input $got_in, tcpdump $want"
all=$(tcpdump -r "$cap" 2>/dev/null | wc -l)
grep -q "^$((all - want)) frames did not pass the filter 'tcp port 443'" "$tmp/out" && ok summary-skipped \
  || bad summary-skipped "$(tail -1 "$tmp/out")"
[ "$(rows "$tmp/f.db" "SELECT filter FROM runs WHERE id = 1")" = "$expr" ] && ok run-records-filter \
  || bad run-records-filter "runs.filter is not '$expr'"
"$bin" report --db "$tmp/f.db" >"$tmp/report" 2>"$tmp/err"
grep -q "^  filter   tcp port 443  (only frames matching it were audited)$" "$tmp/report" && ok report-shows-filter \
  || bad report-shows-filter "no filter line in the report"

# The same filter again is a duplicate; a whole read of the same file is not.
"$bin" read --quiet --site "$site" --db "$tmp/f.db" --external "$cap" --filter "$expr" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "already in .*through the same filter" "$tmp/err" && ok same-filter-duplicate \
  || bad same-filter-duplicate "exit $rc"
"$bin" read --quiet --site "$site" --db "$tmp/f.db" --external "$cap" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && ok unfiltered-after-filtered-accepted || bad unfiltered-after-filtered-accepted "exit $rc"
# The whole read supersedes the filtered one in the report: counted once.
"$bin" report --db "$tmp/f.db" >"$tmp/report" 2>/dev/null
whole=$(rows "$tmp/f.db" "SELECT COUNT(*) FROM flows WHERE run_id = 2")
grep -qE "^  total +$whole " "$tmp/report" && grep -q "run 1: superseded" "$tmp/report" && ok whole-read-supersedes \
  || bad whole-read-supersedes "report total is not run 2's $whole flows"
# After a whole read, a filtered read holds nothing new: a duplicate.
"$bin" read --quiet --site "$site" --db "$tmp/f.db" --external "$cap" --filter "udp" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && ok filtered-after-whole-duplicate || bad filtered-after-whole-duplicate "exit $rc"

# A bad filter: exit 2, named, nothing written.
"$bin" read --site "$site" --db "$tmp/bad.db" --external "$cap" --filter 'tcp port 443 and' >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "filter 'tcp port 443 and'" "$tmp/err" && ok bad-filter-exit-2 || bad bad-filter-exit-2 "exit $rc"
[ ! -e "$tmp/bad.db" ] && ok bad-filter-writes-nothing || bad bad-filter-writes-nothing "database created"
"$bin" read --site "$site" --db "$tmp/bad.db" --external "$cap" --filter a --filter b >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && ok filter-twice-exit-2 || bad filter-twice-exit-2 "accepted twice"

# A filter that cannot apply to a capture's link type (Ethernet addresses
# on raw IP): that capture is unreadable, named, the others are read.
raw="$top/../shared/pcaps/external/tcpdump_LINKTYPE_RAW_ipv4.pcap"
"$bin" read --quiet --site "$site" --db "$tmp/raw.db" --external "$raw" --external "$cap" \
  --filter 'ether host 02:00:00:00:00:01' >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "tcpdump_LINKTYPE_RAW_ipv4.pcap: filter 'ether host 02:00:00:00:00:01': link type RAW" "$tmp/err" \
  && [ "$(rows "$tmp/raw.db" "SELECT status FROM runs")" = "partial: 1 of 2 captures unreadable or undecodable" ] \
  && ok filter-not-for-link-type || bad filter-not-for-link-type "exit $rc"

echo "RESULT $pass $fail"
