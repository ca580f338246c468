#!/usr/bin/env bash
# SPAN duplicates: a SPAN session mirroring ingress and egress delivers
# every frame twice, microseconds apart. The lab's captures are doubled
# with real tools — each frame copied once, shifted by 0, 10, 20, 30, 40
# or 50 µs (editcap -r -t, one shift per sixth of the frames) and merged
# in time order (mergecap) — and `read` of the doubled captures must give
# the very flow_verdicts rows of the originals (flows, verdicts, packets,
# bytes, times), count one duplicate per original frame in
# inputs.duplicates, say so in its summary and the report; with
# --keep-duplicates every flow's packets and bytes double instead.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok duplicates/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL duplicates/$1: $2"; fail=$((fail + 1)); }

if ! command -v editcap >/dev/null || ! command -v mergecap >/dev/null; then
  bad tools "editcap or mergecap (wireshark-common) is missing: run scripts/install-deps.sh"
  echo "RESULT $pass $fail"; exit 0
fi
site="$top/pcaps/site.ini"
ext="$top/pcaps/lab-external.pcap"
int="$top/pcaps/lab-internal.pcap"

# The frames of a capture, from edgeaudit's own reader.
frames() { sqlite3 "$1" "select packets from inputs where file_name = '$2'"; }

# double IN OUT: every frame of IN twice, the copy 0-50 µs later.
double() {
  local in=$1 out=$2 n k parts=()
  n=$(capinfos -M -c -T -r "$in" | awk -F'\t' '{print $2}')
  for k in 0 1 2 3 4 5; do
    # Frames k+1, k+7, k+13, ... shifted by 10k µs.
    seq $((k + 1)) 6 "$n" > "$tmp/sel.$k"
    [ -s "$tmp/sel.$k" ] || continue
    editcap -F pcap -r -t "0.0000$((k * 10))" "$in" "$tmp/copy.$k.pcap" $(cat "$tmp/sel.$k") >/dev/null 2>&1 \
      || { bad "editcap" "editcap -r -t failed on $in"; return 1; }
    parts+=("$tmp/copy.$k.pcap")
  done
  mergecap -F pcap -w "$out" "$in" "${parts[@]}" 2>/dev/null || { bad mergecap "mergecap failed on $in"; return 1; }
}
mkdir -p "$tmp/twice"
double "$ext" "$tmp/twice/lab-external.pcap" && double "$int" "$tmp/twice/lab-internal.pcap" || {
  echo "RESULT $pass $fail"; exit 0; }

rows="select iface, transport, initiator_ip, initiator_port, responder_ip, responder_port, app_protocol,
      verdict, rule_ids, direction_source, packets, bytes, first_seen, last_seen, server_name, community_id
      from flow_verdicts"
read_into() { # DB LOG [options] EXT INT
  local db=$1 log=$2; shift 2
  "$bin" read --site "$site" --db "$db" "$@" >"$log" 2>&1
}
read_into "$tmp/once.db" "$tmp/once.log" --external "$ext" --internal "$int" \
  || { bad read-once "exit $?"; sed 's/^/  /' "$tmp/once.log"; }
read_into "$tmp/twice.db" "$tmp/twice.log" --external "$tmp/twice/lab-external.pcap" \
  --internal "$tmp/twice/lab-internal.pcap" || { bad read-twice "exit $?"; sed 's/^/  /' "$tmp/twice.log"; }
read_into "$tmp/kept.db" "$tmp/kept.log" --keep-duplicates --external "$tmp/twice/lab-external.pcap" \
  --internal "$tmp/twice/lab-internal.pcap" || { bad read-kept "exit $?"; sed 's/^/  /' "$tmp/kept.log"; }

# The doubled captures really hold every frame twice.
for c in external internal; do
  n1=$(frames "$tmp/once.db" "lab-$c.pcap") n2=$(frames "$tmp/twice.db" "lab-$c.pcap")
  [ -n "$n1" ] && [ "$n1" -gt 0 ] && [ "$n2" = $((n1 * 2)) ] && ok "doubled-$c ($n1 frames, $n2 doubled)" \
    || bad "doubled-$c" "the doubled capture has $n2 frames, the original $n1"
done

sqlite3 -separator ' ' "$tmp/once.db" "$rows" | sort > "$tmp/once.rows"
sqlite3 -separator ' ' "$tmp/twice.db" "$rows" | sort > "$tmp/twice.rows"
if [ -s "$tmp/once.rows" ] && diff -u "$tmp/once.rows" "$tmp/twice.rows" > "$tmp/rows.diff"; then
  ok "same-flows-as-the-original ($(wc -l < "$tmp/once.rows") flows, packets, bytes, times)"
else
  bad same-flows-as-the-original "flow_verdicts differ (- original, + doubled):"; head -20 "$tmp/rows.diff" | sed 's/^/  /'
fi

for c in external internal; do
  n1=$(frames "$tmp/once.db" "lab-$c.pcap")
  d=$(sqlite3 "$tmp/twice.db" "select duplicates from inputs where file_name = 'lab-$c.pcap'")
  [ "$d" = "$n1" ] && ok "duplicates-counted-$c ($d)" || bad "duplicates-counted-$c" "inputs.duplicates $d, want $n1"
  d=$(sqlite3 "$tmp/once.db" "select duplicates from inputs where file_name = 'lab-$c.pcap'")
  [ "$d" = 0 ] && ok "original-has-none-$c" || bad "original-has-none-$c" "inputs.duplicates $d in the original"
done

# The summary says what was suppressed, per interface.
ne=$(frames "$tmp/once.db" lab-external.pcap) ni=$(frames "$tmp/once.db" lab-internal.pcap)
grep -q "$((ne + ni)) duplicate frames suppressed (external $ne, internal $ni)" "$tmp/twice.log" \
  && ok summary || { bad summary "no duplicate count in the summary:"; sed 's/^/  /' "$tmp/twice.log"; }
grep -q "duplicate frames suppressed" "$tmp/kept.log" \
  && bad summary-kept "--keep-duplicates still reports suppression" || ok summary-kept

# The report names them too.
"$bin" report --db "$tmp/twice.db" > "$tmp/report.txt" 2>&1
grep -Eq "SPAN duplicates suppressed: $((ne + ni)) \(external $ne, internal $ni\)" "$tmp/report.txt" \
  && ok report || { bad report "no duplicate count in the report:"; grep -i dup "$tmp/report.txt" | sed 's/^/  /'; }
grep -q "lab-external.pcap .*\[$ne SPAN duplicates suppressed\]" "$tmp/report.txt" \
  && ok report-per-capture || bad report-per-capture "the Inputs section does not name the external capture's $ne duplicates"

# --keep-duplicates: nothing suppressed, every packet and byte counted twice.
sum="select sum(packets) || ' ' || sum(bytes) from flow_verdicts"
once=$(sqlite3 "$tmp/once.db" "$sum") kept=$(sqlite3 "$tmp/kept.db" "$sum")
[ -n "$once" ] && [ "$kept" = "$(echo "$once" | awk '{print $1 * 2, $2 * 2}')" ] \
  && ok "keep-duplicates-doubles ($once -> $kept)" || bad keep-duplicates-doubles "packets bytes $once once, $kept kept"
d=$(sqlite3 "$tmp/kept.db" "select sum(duplicates) from inputs")
[ "$d" = 0 ] && ok keep-duplicates-counts-none || bad keep-duplicates-counts-none "inputs.duplicates sum $d"
# A 0 from a run that did not look is not "no duplicates": recorded, said.
[ "$(sqlite3 "$tmp/kept.db" "select duplicates_kept from runs")" = 1 ] \
  && [ "$(sqlite3 "$tmp/once.db" "select duplicates_kept from runs")" = 0 ] \
  && ok keep-duplicates-recorded || bad keep-duplicates-recorded "runs.duplicates_kept not set as given"
"$bin" report --db "$tmp/kept.db" > "$tmp/kept-report.txt" 2>&1
grep -q "1 run kept every frame, --keep-duplicates" "$tmp/kept-report.txt" \
  && ! grep -q "kept every frame" "$tmp/report.txt" \
  && ok keep-duplicates-reported || bad keep-duplicates-reported "the report does not say suppression was off"
echo "RESULT $pass $fail"
