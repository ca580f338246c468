#!/usr/bin/env bash
# ICMP errors join the flows they quote (issue 8 §4), on the icmp lab
# captures (pcaps/lab/icmp.sh): port unreachable, fragmentation needed /
# packet too big and time exceeded, IPv4 and IPv6, each counted on the
# flow it quotes; one error whose quoted flow the Edge never had stays
# an ICMP flow of its own, marked orphan. Checked in the database, against
# tcpdump's own count of the errors, in the report and in EVE.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok icmp/$1"; pass=$((pass + 1)); }
bad() { echo "FAIL icmp/$1"; fail=$((fail + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi; }

ext=$top/pcaps/icmp-external.pcap int=$top/pcaps/icmp-internal.pcap
db=$tmp/icmp.db
if ! "$bin" read --quiet --site "$top/pcaps/site.ini" --db "$db" --eve "$tmp/eve.json" \
	--external "$ext" --internal "$int" 2>"$tmp/err"; then
	bad "read: $(cat "$tmp/err")"
	echo "RESULT $pass $fail"; exit 0
fi

# Each flow with its errors: iface transport initiator responder port
# icmp_errors last_type last_code orphan.
sqlite3 -separator ' ' "$db" "SELECT iface, transport_name, initiator_ip, responder_ip, responder_port,
	icmp_errors, COALESCE(icmp_last_type, '-'), COALESCE(icmp_last_code, '-'), icmp_orphan
	FROM flow_details" | sort >"$tmp/got"
sort >"$tmp/want" <<'EOF'
external udp 198.51.100.20 10.0.1.12 3478 0 - - 0
external udp 198.51.100.20 10.0.1.12 3478 1 3 3 0
external udp 10.0.1.12 198.51.100.31 50150 0 - - 0
external udp 198.51.100.20 10.0.1.10 5300 1 3 3 0
external tcp 198.51.100.20 10.0.1.10 443 1 3 4 0
external udp 10.0.1.10 192.0.2.53 53 1 11 0 0
external icmp 198.51.100.20 10.0.1.12 3 0 - - 1
internal udp fd00:17::99 fd00:16::10 5300 1 1 4 0
internal tcp fd00:17::99 fd00:16::10 5061 1 2 0 0
internal udp fd00:16::10 fd00:17::99 53 1 3 0 0
EOF
if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then ok "errors-on-the-quoted-flows"; else
	bad "errors-on-the-quoted-flows (- expected, + actual):"; sed 's/^/  /' "$tmp/diff"; fi

# No ICMP flow of its own but the orphan.
check no-icmp-flows-but-the-orphan \
	"$(sqlite3 "$db" "SELECT COUNT(*), SUM(icmp_orphan) FROM flows WHERE transport IN (1, 58)")" "1|1"

# tcpdump's count of the errors in the captures = what the flows hold
# (ICMPv6 right after the IPv6 header: these captures have no extension
# headers).
errors() { tcpdump -nn -r "$1" '(icmp and (icmp[icmptype] == 3 or icmp[icmptype] == 11 or
	icmp[icmptype] == 12)) or (ip6 and ip6[6] == 58 and ip6[40] >= 1 and ip6[40] <= 4)' 2>/dev/null | wc -l; }
want=$(( $(errors "$ext") + $(errors "$int") ))
[ "$want" -eq 8 ] || bad "tcpdump counts $want errors in the captures, the lab made 8"
check every-error-counted-once "$(sqlite3 "$db" "SELECT SUM(icmp_errors) + SUM(CASE WHEN icmp_orphan = 1 THEN packets ELSE 0 END) FROM flow_details")" "$want"
frames=$(( $(tcpdump -nn -r "$ext" 2>/dev/null | wc -l) + $(tcpdump -nn -r "$int" 2>/dev/null | wc -l) ))
check every-frame-in-one-flow "$(sqlite3 "$db" "SELECT SUM(packets) FROM flow_details")" "$frames"

# The error is counted towards the quoted sender: the Edge's STUN reply
# drew it, so it is in the client → Edge direction (pkts_out), and the
# fragmentation needed went to the Edge (the TLS responder) too.
check towards-the-quoted-sender "$(sqlite3 "$db" "SELECT pkts_out - pkts_in FROM flows WHERE icmp_errors > 0
	AND responder_port = 3478")" "1"
# A path-MTU message is no finding: the TLS flow stays documented.
check pmtu-keeps-the-tls-flow-documented "$(sqlite3 "$db" "SELECT verdict, rule_ids FROM flow_verdicts
	WHERE transport = 'tcp' AND responder_port = 443")" "documented|ext-05,pim-03"

"$bin" report --db "$db" >"$tmp/report.txt" 2>&1
grep -q '^  external  tcp/443  TLS  documented ext-05,pim-03  flows 1  errors 1  last: destination unreachable (type 3, code 4)$' \
	"$tmp/report.txt" && ok report-errors-on-flows || bad "report-errors-on-flows: $(sed -n '/ICMP errors counted/,/Orphan/p' "$tmp/report.txt")"
grep -q '^  internal  tcp/5061  TLS  unexpected  flows 1  errors 1  last: packet too big (type 2, code 0)$' \
	"$tmp/report.txt" && ok report-ipv6-errors || bad report-ipv6-errors
sed -n '/^Orphan ICMP errors/,/^$/p' "$tmp/report.txt" |
	grep -q '^  external  icmp destination unreachable (type 3, code 3)  flows 1  packets 1  first: 198.51.100.20 -> 10.0.1.12$' &&
	ok report-orphans || bad "report-orphans: $(sed -n '/^Orphan ICMP errors/,/^$/p' "$tmp/report.txt")"

check eve-errors "$(jq -r 'select(.edgeaudit.icmp_errors) | [.destination.port, .edgeaudit.icmp_errors,
	.edgeaudit.icmp_last_type, .edgeaudit.icmp_last_code] | @tsv' "$tmp/eve.json" | tr '\t' , | LC_ALL=C sort |
	paste -sd ' ')" "3478,1,3,3 443,1,3,4 5061,1,2,0 53,1,11,0 53,1,3,0 5300,1,1,4 5300,1,3,3"
check eve-orphan "$(jq -r 'select(.edgeaudit.icmp_orphan) | [.icmp_type, .edgeaudit.verdict] | @tsv' "$tmp/eve.json")" \
	"$(printf '3\tunexpected')"

echo "RESULT $pass $fail"
