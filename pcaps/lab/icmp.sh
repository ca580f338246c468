#!/usr/bin/env bash
# icmp.sh — builds the `icmp` case (pcaps/icmp-external.pcap,
# pcaps/icmp-internal.pcap): ICMP and ICMPv6 errors that quote flows of
# the Edge, made by real stacks in network namespaces (run as root).
#
#   pcaps/lab/icmp.sh            build, check, and replace the two captures
#   pcaps/lab/icmp.sh --keep     keep the work directory (logs, raw files)
#
# A lab of its own, smaller than build.sh's and with its own namespace
# prefix (eaicmp-), so it never touches the main lab's captures or
# namespaces. The Edge (10.0.1.10 Access, 10.0.1.12 A/V, fd00:16::10
# internal) sits behind two routers, one per side; each router's leg
# towards the far hosts has a small MTU, and no one drops ICMP:
#
#  client 198.51.100.20 ─┐
#  peer   198.51.100.31 ─┤ (rtr: legs c0/p0/s0/d0, c0 MTU 1000) ── ext0 [edge] int0 ── (lrt: h0 MTU 1280) ── host fd00:17::99
#  scan   198.51.100.99 ─┤
#  dns    192.0.2.53    ─┘
#
# Steps (each an error quoting a flow the Edge's NIC saw, unless noted):
#   stun_refresh  turnutils_uclient to the Edge's coturn: it exits before
#                 the answer to its last Refresh, and its host answers that
#                 STUN reply with a port unreachable (the case the main lab
#                 hides by dropping those on the client, topo.sh)
#   udp_closed    a datagram to the Access Edge's closed UDP 5300: port unreachable
#   tls_pmtu      TLS 443 to the Access Edge; its certificate flight meets
#                 the router's MTU 1000 with DF: fragmentation needed
#   ttl_expired   a DNS query from the Edge with TTL 1: time exceeded at the router
#   orphan        a datagram forged with the A/V Edge's address (scan →
#                 client, never on the Edge's NIC); the client's port
#                 unreachable comes back to the Edge: backscatter, an
#                 error whose quoted flow the Edge never had
#   udp6_closed   ICMPv6 port unreachable from the Edge for its closed UDP 5300
#   tls6_pmtu     TLS 5061 over IPv6 to the Edge; packet too big at the router
#   hop6_expired  a datagram from the Edge with hop limit 1: time exceeded
# Expected flows: pcaps/icmp.expected; counts: tests/e2e/icmp.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/pcaps
keep=0
[ "${1:-}" = --keep ] && keep=1

[ "$(id -u)" -eq 0 ] || { echo "icmp.sh: needs root (network namespaces)" >&2; exit 2; }
for tool in ip ethtool tcpdump mergecap openssl turnserver turnutils_uclient turnutils_peer socat python3; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
		{ echo "icmp.sh: $tool missing; run scripts/install-deps.sh --lab" >&2; exit 2; }
done

# shellcheck source=/dev/null
for f in lib topo peers; do . "$here/$f.sh"; done
LAB_NS_PREFIX=eaicmp-

WORK=$(mktemp -d /tmp/eaicmp.XXXXXX)
R=$WORK/run
mkdir -p "$WORK/log" "$WORK/out" "$R"
cleanup() {
	local rc=${1:-$?}
	if [ $keep -eq 1 ]; then
		log "work directory kept: $WORK"
		WORK=
	fi
	teardown $rc
}
trap cleanup EXIT
trap 'cleanup 130' INT
trap 'cleanup 143' TERM

destroy_stale_namespaces

RTR_IN=10.0.1.1 RTR_OUT=198.51.100.1 RTR_DNS=192.0.2.1
LRT_IN6=fd00:16::1 LRT_OUT6=fd00:17::1 HOST6=fd00:17::99
CLIENT=198.51.100.20 PEER=198.51.100.31 SCAN=198.51.100.99 DNS=192.0.2.53

# No ICMP rate limits: every error the kernel owes is sent.
no_icmp_limits() {
	nsx "$1" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

log "topology"
for n in edge rtr lrt client peer scan dns host; do ns_add "$n"; no_icmp_limits "$n"; done
for n in rtr lrt; do nsx "$n" sysctl -qw net.ipv4.ip_forward=1; done

# Edge external NIC — router.
veth edge ext0 "$(mac_of $ACCESS_PRIV)" rtr in0 "$(mac_of $RTR_IN)"
ip -n "$(ns edge)" addr add $ACCESS_PRIV/24 dev ext0
ip -n "$(ns edge)" addr add $AV_PRIV/24 dev ext0
ip -n "$(ns rtr)" addr add $RTR_IN/24 dev in0
for a in $ACCESS_PRIV $AV_PRIV; do neigh rtr "$a" "$(mac_of $ACCESS_PRIV)" in0; done
neigh edge $RTR_IN "$(mac_of $RTR_IN)" ext0
ip -n "$(ns edge)" link set ext0 up
ip -n "$(ns rtr)" link set in0 up
ip -n "$(ns edge)" route add 198.51.100.0/24 via $RTR_IN
ip -n "$(ns edge)" route add 192.0.2.0/24 via $RTR_IN

# Outside hosts, one leg each (a /32 on both ends): the router's leg
# to the client has MTU 1000, the client's own NIC 1500, so the client's
# MSS lets the Edge send segments the router cannot forward.
leg() { # NAME ADDR ROUTER_LEG ROUTER_ADDR MTU
	local name=$1 addr=$2 dev=$3 gw=$4 mtu=$5
	veth "$name" eth0 "$(mac_of "$addr")" rtr "$dev" "$(mac_of "$gw")"
	ip -n "$(ns "$name")" addr add "$addr/32" dev eth0
	ip -n "$(ns rtr)" addr add "$gw/32" dev "$dev"
	ip -n "$(ns rtr)" link set "$dev" mtu "$mtu" up
	ip -n "$(ns "$name")" link set eth0 up
	ip -n "$(ns "$name")" route add "$gw/32" dev eth0
	ip -n "$(ns "$name")" route add 10.0.1.0/24 via "$gw"
	ip -n "$(ns rtr)" route add "$addr/32" dev "$dev"
	neigh "$name" "$gw" "$(mac_of "$gw")" eth0
	neigh rtr "$addr" "$(mac_of "$addr")" "$dev"
}
leg client $CLIENT c0 $RTR_OUT 1000
leg peer $PEER p0 198.51.100.2 1500
leg scan $SCAN s0 198.51.100.3 1500
leg dns $DNS d0 $RTR_DNS 1500
# The forged datagram goes scan → client directly through the router.
ip -n "$(ns scan)" route add $CLIENT/32 via 198.51.100.3
ip -n "$(ns client)" route add $SCAN/32 via $RTR_OUT

# Edge internal NIC — a router to another IPv6 prefix (leg MTU 1280).
veth edge int0 02:ec:00:00:00:10 lrt in0 02:ec:00:00:00:01
v6_on edge int0
v6_on lrt in0
ip -n "$(ns edge)" addr add $EDGE_INT6/64 dev int0 nodad
ip -n "$(ns lrt)" addr add $LRT_IN6/64 dev in0 nodad
neigh edge $LRT_IN6 02:ec:00:00:00:01 int0
neigh lrt $EDGE_INT6 02:ec:00:00:00:10 in0
ip -n "$(ns edge)" link set int0 up
ip -n "$(ns lrt)" link set in0 up
sleep 0.2
ip -n "$(ns edge)" -6 route add fd00:17::/64 via $LRT_IN6
veth host eth0 02:ed:00:00:00:99 lrt h0 02:ed:00:00:00:01
v6_on host eth0
v6_on lrt h0
nsx lrt sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$(ns host)" addr add $HOST6/64 dev eth0 nodad
ip -n "$(ns lrt)" addr add $LRT_OUT6/64 dev h0 nodad
ip -n "$(ns lrt)" link set h0 mtu 1280 up
ip -n "$(ns host)" link set eth0 up
ip -n "$(ns host)" -6 route add fd00:16::/64 via $LRT_OUT6
neigh host $LRT_OUT6 02:ed:00:00:00:01 eth0
neigh lrt $HOST6 02:ed:00:00:00:99 h0
for n in edge lrt host; do nsx "$n" sysctl -qw net.ipv6.icmp.ratelimit=0; done

log "peers"
openssl req -x509 -newkey rsa:4096 -nodes -days 2 -subj /CN=access.lab.example \
	-keyout "$R/edge.key" -out "$R/edge.crt" 2>/dev/null
lab_bg edge_tls edge openssl s_server -quiet -rev -accept $ACCESS_PRIV:443 -cert "$R/edge.crt" -key "$R/edge.key"
lab_bg edge_tls6 edge openssl s_server -quiet -rev -accept "[$EDGE_INT6]:5061" -cert "$R/edge.crt" -key "$R/edge.key"
wait_listen edge tcp $ACCESS_PRIV 443
wait_listen edge tcp "[$EDGE_INT6]" 5061
turnserver_start edge_turn edge $AV_PRIV 3478 udp $AV_PRIV - 50000 54999
lab_bg peer_relay peer turnutils_peer -L $PEER -p 50150
# Let the kernel's one-off start-up traffic (IPv6 multicast reports) pass.
sleep 3

# A datagram with TTL / hop limit 1 (python: the tools at hand cannot set it).
send_ttl1() { # NAME NS FAMILY SRC DST PORT
	run "$1" "$2" 10 python3 -c '
import socket, sys
fam, src, dst, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
f = socket.AF_INET6 if fam == "6" else socket.AF_INET
s = socket.socket(f, socket.SOCK_DGRAM)
if f == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 1)
else:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
s.bind((src, 0))
# A DNS query for crl.lab.example A (RFC 1035 §4.1), id 0x1ea7, RD set.
q = bytes.fromhex("1ea701000001000000000000") + b"\x03crl\x03lab\x07example\x00" + b"\x00\x01\x00\x01"
s.sendto(q, (dst, port))
' "$3" "$4" "$5" "$6"
}

# The forged datagram: UDP from the A/V Edge's STUN port, sent by scan.
forge() {
	run orphan scan 10 python3 -c '
import socket, struct, sys
src, dst = sys.argv[1], sys.argv[2]
payload = b"edgeaudit lab: forged source"
udp = struct.pack("!HHHH", 3478, 9, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1ea7, 0x4000, 64, 17, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp, (dst, 0))
' $AV_PRIV $CLIENT
}

log "case icmp"
capture_start icmp_int edge int0 "$WORK/out/icmp-internal.pcap"
# stun_refresh races: the client's exit against the Edge's last reply
# (a third of a millisecond here; this kernel has no netem to slow it).
# Each try is captured on its own; the first whose reply drew the port
# unreachable is kept, and the other steps' capture is appended to it.
for try in 1 2 3 4 5 6 7 8; do
	log "  stun_refresh (try $try)"
	capture_start icmp_stun edge ext0 "$WORK/stun-$try.pcap"
	run stun_refresh client 15 turnutils_uclient -c -m 1 -n 5 -z 40 -u lync -w lab-secret \
		-L $CLIENT -e $PEER -r 50150 $AV_PRIV
	capture_stop icmp_stun
	[ "$(tcpdump -nn -r "$WORK/stun-$try.pcap" 'icmp[icmptype] == 3' 2>/dev/null | wc -l)" -eq 1 ] && break
	[ "$try" -lt 8 ] || die "the client never answered the last STUN reply with a port unreachable"
done
capture_start icmp_ext edge ext0 "$WORK/rest-external.pcap"
log "  udp_closed"
run_fed udp_closed client 5 "printf 'edgeaudit lab\n'; sleep 1" \
	socat -u - UDP4-SENDTO:$ACCESS_PRIV:5300,bind=$CLIENT
log "  tls_pmtu"
run_fed tls_pmtu client 10 "sleep 0.5; printf 'edgeaudit lab\n'; sleep 0.5" \
	openssl s_client -connect $ACCESS_PRIV:443 -servername access.lab.example
log "  ttl_expired"
send_ttl1 ttl_expired edge 4 $ACCESS_PRIV $DNS 53
log "  orphan"
forge
log "  udp6_closed"
run_fed udp6_closed host 5 "printf 'edgeaudit lab\n'; sleep 1" \
	socat -u - "UDP6-SENDTO:[$EDGE_INT6]:5300,bind=[$HOST6]"
log "  tls6_pmtu"
run_fed tls6_pmtu host 10 "sleep 0.5; printf 'edgeaudit lab\n'; sleep 0.5" \
	openssl s_client -connect "[$EDGE_INT6]:5061" -servername access.lab.example
log "  hop6_expired"
send_ttl1 hop6_expired edge 6 $EDGE_INT6 $HOST6 53
sleep 1
capture_stop icmp_ext
capture_stop icmp_int
mergecap -F pcap -w "$WORK/out/icmp-external.pcap" "$WORK/stun-$try.pcap" "$WORK/rest-external.pcap"

# Each step makes exactly one error; anything else (a missed or an extra
# one) is not a golden file. ICMPv6 right after the IPv6 header: no
# extension headers here.
errors=$(for f in "$WORK"/out/icmp-*.pcap; do
	tcpdump -nn -r "$f" '(icmp and (icmp[icmptype] == 3 or icmp[icmptype] == 11 or icmp[icmptype] == 12))
		or (ip6 and ip6[6] == 58 and ip6[40] >= 1 and ip6[40] <= 4)' 2>/dev/null; done | wc -l)
[ "$errors" -eq 8 ] || die "the captures hold $errors ICMP errors, not the 8 the steps make (see $WORK/log)"

for f in "$WORK"/out/*; do
	install -m 0644 "$f" "$out/$(basename "$f")"
done
log "done: $(cd "$WORK/out" && ls | tr '\n' ' ') (check: tests/e2e/icmp.sh)"
