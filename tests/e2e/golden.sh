#!/usr/bin/env bash
# Golden verdict tests. A case is pcaps/<case>.expected with its captures
# pcaps/<case>-external.* and pcaps/<case>-internal.*; the flow_verdicts view
# after `edgeaudit read` must equal the expected lines (as a multiset).
# Expected line: iface transport initiator_ip responder_ip responder_port verdict rule_ids|-
# A capture without an expected file is a failure: results are never
# blessed silently. To review a difference, run the printed command.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

query="select iface, transport, initiator_ip, responder_ip, responder_port, verdict,
       case when rule_ids = '' then '-' else rule_ids end from flow_verdicts"

cases=$(ls "$top"/pcaps/ 2>/dev/null | sed -n 's/^\(.*\)-\(external\|internal\)\.pcap\(ng\)\{0,1\}$/\1/p' | sort -u)
for c in $(ls "$top"/pcaps/*.expected 2>/dev/null | xargs -r -n1 basename | sed 's/\.expected$//'); do
  cases=$(printf '%s\n%s\n' "$cases" "$c")
done
cases=$(printf '%s\n' "$cases" | sed '/^$/d' | sort -u)

for c in $cases; do
  exp="$top/pcaps/$c.expected"
  if [ ! -f "$exp" ]; then
    echo "FAIL golden/$c: captures without pcaps/$c.expected"
    fail=$((fail + 1)); continue
  fi
  args=()
  for f in "$top"/pcaps/"$c"-external.pcap "$top"/pcaps/"$c"-external.pcapng; do [ -e "$f" ] && args+=(--external "$f"); done
  for f in "$top"/pcaps/"$c"-internal.pcap "$top"/pcaps/"$c"-internal.pcapng; do [ -e "$f" ] && args+=(--internal "$f"); done
  if [ ${#args[@]} -eq 0 ]; then
    echo "FAIL golden/$c: pcaps/$c.expected has no captures"
    fail=$((fail + 1)); continue
  fi
  db="$tmp/$c.db"
  "$bin" read --quiet --site "$top/pcaps/site.ini" --db "$db" "${args[@]}" 2>"$tmp/$c.err"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL golden/$c: edgeaudit read exited $rc"; sed 's/^/  /' "$tmp/$c.err"
    fail=$((fail + 1)); continue
  fi
  sqlite3 -separator ' ' "$db" "$query" | sort > "$tmp/$c.actual"
  sed 's/#.*//; s/[[:space:]][[:space:]]*/ /g; s/^ //; s/ $//' "$exp" | sed '/^$/d' | sort > "$tmp/$c.want"
  if diff -u --label "pcaps/$c.expected" --label "flow_verdicts" "$tmp/$c.want" "$tmp/$c.actual" > "$tmp/$c.diff"; then
    echo "ok golden/$c ($(wc -l < "$tmp/$c.want") flows)"
    pass=$((pass + 1))
  else
    echo "FAIL golden/$c: verdicts differ (- expected, + actual):"
    sed 's/^/  /' "$tmp/$c.diff"
    echo "  reproduce: $bin read --site pcaps/site.ini --db /tmp/$c.db ${args[*]//$top\//}"
    fail=$((fail + 1))
  fi
done
echo "RESULT $pass $fail"
