#!/usr/bin/env bash
# The NAT requirement (README, "The NAT requirement"), on lab traffic:
#  - natsnat-external.pcap (pcaps/lab/natsnat.sh: the firewall SNATs the
#    stun_in flow to its inside address 10.0.1.1) gives the nat-source
#    finding with site.ini's [nat] inside, private-source without [nat];
#    the flow through the plain 1:1 NAT gives none; database, report,
#    EVE and syslog all say it;
#  - every other capture of pcaps/ (the lab's 1:1 NAT) gives none;
#  - lab-external + public-external read together pair up: each Edge
#    private address with its public address, as site.ini maps it; a site
#    file whose map (and roles) differ from the NAT's gives "differs"; one
#    without [nat] pairs all the same ("unmapped"); one side alone is not
#    checked;
#  - a local file's required roles are no Edge roles: with
#    examples/local.matrix (dns_resolver = 192.0.2.53 looks public) one
#    side alone is still not checked;
#  - a mistaken [nat] is a configuration error (exit 2, file:line), a
#    reversed map too.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok nat/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL nat/$1: $2"; fail=$((fail + 1)); }
check() { # NAME GOT WANT
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi
}
q() { sqlite3 -separator ' ' "$1" "$2"; }

site=$top/pcaps/site.ini
p=$top/pcaps
# site.ini without its [nat] section: a site file as before issue 8.
sed '/^# The firewall in front/,$d' "$site" > "$tmp/old-site.ini"
# The NAT maps 10.0.1.10 and 10.0.1.11 the other way round from this
# file (its roles and map agree with each other, not with the firewall).
sed -e 's/^access_edge = 10.0.1.10, 203.0.113.10$/access_edge = 10.0.1.10, 203.0.113.11/' \
    -e 's/^webconf_edge = 10.0.1.11, 203.0.113.11$/webconf_edge = 10.0.1.11, 203.0.113.10/' \
    -e 's/^map = .*/map = 10.0.1.10 -> 203.0.113.11, 10.0.1.11 -> 203.0.113.10, 10.0.1.12 -> 203.0.113.12/' \
    "$site" > "$tmp/swapped-site.ini"
grep -q '^\[nat\]' "$site" && ! grep -q '^\[nat\]' "$tmp/old-site.ini" && \
  grep -q '^access_edge = 10.0.1.10, 203.0.113.11$' "$tmp/swapped-site.ini" && \
  grep -q '^map = 10.0.1.10 -> 203.0.113.11' "$tmp/swapped-site.ini" \
  && ok site-variants || bad site-variants "site.ini changed: the sed lines above no longer apply"

# ---- natsnat: the SNATed flow -------------------------------------------
"$bin" read --quiet --site "$site" --db "$tmp/snat.db" --external "$p/natsnat-external.pcap" \
  --eve "$tmp/snat.eve" --syslog stderr 2>"$tmp/snat.syslog"
check snat-exit "$?" 0
check snat-finding "$(q "$tmp/snat.db" "select initiator_ip, responder_ip, responder_port, verdict,
  coalesce(nat_finding, '-') from flow_details order by first_us")" \
  "198.51.100.20 10.0.1.11 443 documented -
10.0.1.1 10.0.1.12 3478 documented nat-source"
check snat-syslog "$(grep -c ' nat-source - finding=nat-source verdict=documented iface=external transport=udp source.ip=10.0.1.1 ' "$tmp/snat.syslog")" 1
check snat-syslog-only-it "$(wc -l < "$tmp/snat.syslog")" 1
check snat-eve "$(jq -r 'select(.edgeaudit.nat_finding) | [.source.ip, .destination.ip, .event.kind, .edgeaudit.nat_finding] | join(" ")' "$tmp/snat.eve")" \
  "10.0.1.1 10.0.1.12 alert nat-source"
"$bin" report --db "$tmp/snat.db" > "$tmp/snat.report"
sec=$(sed -n '/^Findings: NAT rewrote/,/^$/p' "$tmp/snat.report")
if printf '%s\n' "$sec" | grep -q '^  nat-source      10.0.1.1 -> 10.0.1.12  flows 1  (the NAT device' &&
   printf '%s\n' "$sec" | grep -Eq '^      udp/3478  [0-9T:.-]+Z  documented  1:' &&
   [ "$(printf '%s\n' "$sec" | grep -c -- ' -> ')" = 1 ]; then
  ok snat-report
else
  bad snat-report "$sec"
fi

# Without [nat]: the same fault, found as a private source no role holds.
"$bin" read --quiet --site "$tmp/old-site.ini" --db "$tmp/snat-old.db" --external "$p/natsnat-external.pcap"
check private-source "$(q "$tmp/snat-old.db" "select initiator_ip, coalesce(nat_finding, '-') from flow_details order by first_us")" \
  "198.51.100.20 -
10.0.1.1 private-source"

# ---- the lab's 1:1 NAT: no finding in any other capture -----------------
for f in "$p"/*-external.pcap "$p"/*-external.pcapng "$p"/*-internal.pcap; do
  [ -e "$f" ] || continue
  case $(basename "$f") in natsnat-*) continue ;; esac
  iface=external; case $f in *-internal.pcap) iface=internal ;; esac
  db=$tmp/none-$(basename "$f").db
  "$bin" read --quiet --site "$site" --db "$db" --"$iface" "$f" 2>/dev/null
  n=$(q "$db" "select count(*) from flows where nat_finding is not null")
  all=$(q "$db" "select count(*) from flows")
  [ "$n" = 0 ] && [ "$all" -gt 0 ] && ok "none/$(basename "$f")" \
    || bad "none/$(basename "$f")" "$n NAT findings in $all flows"
done

# ---- both sides of the NAT read together ---------------------------------
"$bin" read --site "$site" --db "$tmp/pair.db" --external "$p/lab-external.pcap" \
  --internal "$p/lab-internal.pcap" --external "$p/public-external.pcap" > "$tmp/pair.out"
check pair-exit "$?" 0
check pair-rows "$(q "$tmp/pair.db" "select role, private_ip, public_ip, expected_ip, status, flows, unpaired
  from nat_mappings order by id")" \
  "access_edge 10.0.1.10 203.0.113.10 203.0.113.10 ok 26 0
webconf_edge 10.0.1.11 203.0.113.11 203.0.113.11 ok 1 0
av_edge 10.0.1.12 203.0.113.12 203.0.113.12 ok 16 0"
# Every external flow of an Edge private address paired.
check pair-all "$(q "$tmp/pair.db" "select count(*) from flows where iface = 'external'
  and (initiator_ip like '10.0.1.1_' or responder_ip like '10.0.1.1_')")" 43
grep -q "^NAT: 43 of 43 flows of the Edge's private addresses paired with the public side; Edge addresses mapped as the site says 3, otherwise 0 (findings)" "$tmp/pair.out" \
  && ok pair-summary || bad pair-summary "$(grep '^NAT' "$tmp/pair.out")"
check pair-no-finding "$(q "$tmp/pair.db" "select count(*) from flows where nat_finding is not null")" 0

"$bin" read --quiet --site "$tmp/swapped-site.ini" --db "$tmp/swap.db" --external "$p/lab-external.pcap" \
  --external "$p/public-external.pcap"
check differs "$(q "$tmp/swap.db" "select private_ip, public_ip, expected_ip, status from nat_mappings order by id")" \
  "10.0.1.10 203.0.113.10 203.0.113.11 differs
10.0.1.11 203.0.113.11 203.0.113.10 differs
10.0.1.12 203.0.113.12 203.0.113.12 ok"
"$bin" report --db "$tmp/swap.db" > "$tmp/swap.report"
grep -q '^  run 1  access_edge   10.0.1.10 -> 203.0.113.10  differs (the site maps it to 203.0.113.11)  flows 26  e.g. 1:' "$tmp/swap.report" \
  && ok differs-report || bad differs-report "$(sed -n '/^NAT mappings/,/^$/p' "$tmp/swap.report")"

"$bin" read --quiet --site "$tmp/old-site.ini" --db "$tmp/old.db" --external "$p/lab-external.pcap" \
  --external "$p/public-external.pcap"
check unmapped "$(q "$tmp/old.db" "select private_ip, public_ip, coalesce(expected_ip, '-'), status from nat_mappings order by id")" \
  "10.0.1.10 203.0.113.10 - unmapped
10.0.1.11 203.0.113.11 - unmapped
10.0.1.12 203.0.113.12 - unmapped"

# One side alone: nothing to pair, and the report says so.
"$bin" read --site "$site" --db "$tmp/one.db" --external "$p/lab-external.pcap" > "$tmp/one.out"
check one-side-rows "$(q "$tmp/one.db" "select count(*) from nat_mappings")" 0
grep -q '^NAT' "$tmp/one.out" && bad one-side-summary "$(grep '^NAT' "$tmp/one.out")" || ok one-side-summary
"$bin" report --db "$tmp/one.db" | grep -q '^  (not checked: no run read the NAT' \
  && ok one-side-report || bad one-side-report "no 'not checked' line"

# A local role is no Edge role: the public-looking dns_resolver of the
# example site does not make the public side "read".
"$bin" read --site "$top/examples/site-typical-edge.ini" --local "$top/examples/local.matrix" --db "$tmp/local.db" \
  --external "$p/lab-external.pcap" > "$tmp/local.out"
check local-one-side-rows "$(q "$tmp/local.db" "select count(*) from nat_mappings")" 0
grep -q '^NAT' "$tmp/local.out" && bad local-one-side-summary "$(grep '^NAT' "$tmp/local.out")" \
  || ok local-one-side-summary

# ---- check: the [nat] loaded, and a mistaken one --------------------------
"$bin" check --site "$site" > "$tmp/check.out"
check check-nat "$(sed -n 2p "$tmp/check.out")" 'NAT: 1 inside addresses or prefixes, 3 mappings (README, "The NAT requirement")'

sed 's/^map = 10.0.1.10 -> 203.0.113.10/map = 10.0.1.10 -> 203.0.113.99/' "$site" > "$tmp/typo-site.ini"
"$bin" check --site "$tmp/typo-site.ini" 2>"$tmp/typo.err"
check typo-exit "$?" 2
line=$(grep -n '^map = ' "$tmp/typo-site.ini" | cut -d: -f1)
grep -q "typo-site.ini:$line: \[nat\] map: 203.0.113.99 is not in role 'access_edge' beside 10.0.1.10" "$tmp/typo.err" \
  && ok typo-message || bad typo-message "$(cat "$tmp/typo.err")"

# Reversed (PUBLIC -> PRIVATE): not accepted.
sed 's/^map = 10.0.1.10 -> 203.0.113.10/map = 203.0.113.10 -> 10.0.1.10/' "$site" > "$tmp/rev-site.ini"
"$bin" check --site "$tmp/rev-site.ini" 2>"$tmp/rev.err"
check reversed-exit "$?" 2
grep -q "rev-site.ini:$line: \[nat\] map: '203.0.113.10 -> 10.0.1.10': the left side 203.0.113.10 is not a private address" \
  "$tmp/rev.err" && ok reversed-message || bad reversed-message "$(cat "$tmp/rev.err")"

echo "RESULT $pass $fail"
