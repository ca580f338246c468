#!/usr/bin/env bash
# A capture taken with a short snap length still shows what a flow is:
# the lab's external capture cut to 96 bytes a frame (editcap -s 96, as a
# SPAN sensor's tcpdump -s 96 would write it) is read beside the whole
# one; every flow that is `mismatch` in the whole capture (plain HTTP, SSH
# on TLS ports) must be `mismatch` in the cut one too, and the cut must
# not invent a mismatch the whole capture does not have.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok snaplen/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL snaplen/$1: $2"; fail=$((fail + 1)); }

if ! command -v editcap >/dev/null; then
  bad editcap "editcap (wireshark-common) is missing: run scripts/install-deps.sh"
  echo "RESULT $pass $fail"; exit 0
fi
lab="$top/pcaps/lab-external.pcap"
editcap -s 96 "$lab" "$tmp/lab96.pcap" >/dev/null 2>&1 || bad editcap "editcap -s 96 failed"
query="select transport, initiator_ip, responder_ip, responder_port, verdict from flow_verdicts"
for c in whole cut; do
  f=$lab; [ $c = cut ] && f=$tmp/lab96.pcap
  if ! "$bin" read --quiet --site "$top/pcaps/site.ini" --db "$tmp/$c.db" --external "$f" 2>"$tmp/$c.err"; then
    bad "read-$c" "edgeaudit read exited non-zero"; sed 's/^/  /' "$tmp/$c.err"
  fi
  sqlite3 -separator ' ' "$tmp/$c.db" "$query" | sort > "$tmp/$c.txt"
done
# The cut capture really is cut.
[ "$(sqlite3 "$tmp/cut.db" "select count(*) from anomalies where reason = 'snaplen_payload' and count > 0")" = 1 ] \
  && ok cut-is-cut || bad cut-is-cut "no packet of the cut capture was counted as cut by the snap length"

grep ' mismatch$' "$tmp/whole.txt" > "$tmp/whole.mismatch"
grep ' mismatch$' "$tmp/cut.txt" > "$tmp/cut.mismatch"
n=$(wc -l < "$tmp/whole.mismatch")
[ "$n" -ge 2 ] && ok whole-has-mismatches || bad whole-has-mismatches "$n mismatch flows in the whole capture, the lab has 2"
missing=$(comm -23 "$tmp/whole.mismatch" "$tmp/cut.mismatch")
[ -z "$missing" ] && ok mismatch-survives-the-cut \
  || bad mismatch-survives-the-cut "no longer mismatch when cut: $(printf '%s' "$missing" | tr '\n' ';')"
invented=$(comm -13 "$tmp/whole.mismatch" "$tmp/cut.mismatch")
[ -z "$invented" ] && ok cut-invents-no-mismatch || bad cut-invents-no-mismatch "mismatch only when cut: $(printf '%s' "$invented" | tr '\n' ';')"
echo "RESULT $pass $fail"
