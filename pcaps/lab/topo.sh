# topo.sh — the lab's network (sourced by build.sh).
#
#  outside hosts ── inet (router, bridge) ── fw (1:1 NAT) ── edge ── lan (bridge) ── inside hosts
#
# Every address and MAC is fixed, every neighbour entry static: no ARP, no
# NDP, no router solicitations, so a capture holds only the lab's flows.
# No namespace has a default route: nothing can leave the lab.

# name address — outside hosts (behind the "internet" router)
OUTSIDE_HOSTS="
client  198.51.100.20
fedsip  198.51.100.30
fedav   198.51.100.31
xmpp    198.51.100.40
pim     198.51.100.50
rogue   198.51.100.70
scan    198.51.100.99
smtp    192.0.2.25
dns     192.0.2.53
crl     192.0.2.80
"
# name IPv4 IPv6|- — inside hosts (the Edge's internal LAN)
INSIDE_HOSTS="
fe   172.16.0.20 fd00:16::20
cms  172.16.0.21 -
ws   172.16.0.99 fd00:16::99
"

ACCESS_PRIV=10.0.1.10  ACCESS_PUB=203.0.113.10
WEBCONF_PRIV=10.0.1.11 WEBCONF_PUB=203.0.113.11
AV_PRIV=10.0.1.12      AV_PUB=203.0.113.12
EDGE_INT=172.16.0.10   EDGE_INT6=fd00:16::10
FW_IN=10.0.1.1 FW_PUB=203.0.113.2 INET_FW=203.0.113.1

# A MAC derived from an IPv4 address, locally administered: 02:ea:a:b:c:d.
mac_of() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	printf '02:ea:%02x:%02x:%02x:%02x' "$1" "$2" "$3" "$4"
}

host_ip() { # NAME LIST — an address from one of the host tables
	printf '%s\n' "$2" | awk -v n="$1" '$1 == n { print $2 }'
}
out_ip() { host_ip "$1" "$OUTSIDE_HOSTS"; }
in_ip() { host_ip "$1" "$INSIDE_HOSTS"; }
in_ip6() { printf '%s\n' "$INSIDE_HOSTS" | awk -v n="$1" '$1 == n { print $3 }'; }

neigh() { # NS ADDR MAC DEV
	ip -n "$(ns "$1")" neigh replace "$2" lladdr "$3" dev "$4" nud permanent
}

build_topology() {
	local name addr addr6 gw n
	for n in edge fw inet lan mon; do ns_add "$n"; done
	for n in fw inet; do nsx "$n" sysctl -qw net.ipv4.ip_forward=1; done

	# Edge external NIC — firewall inside leg.
	veth edge ext0 "$(mac_of $ACCESS_PRIV)" fw in0 "$(mac_of $FW_IN)"
	ip -n "$(ns edge)" addr add $ACCESS_PRIV/24 dev ext0
	ip -n "$(ns edge)" addr add $WEBCONF_PRIV/24 dev ext0
	ip -n "$(ns edge)" addr add $AV_PRIV/24 dev ext0
	ip -n "$(ns fw)" addr add $FW_IN/24 dev in0
	for addr in $ACCESS_PRIV $WEBCONF_PRIV $AV_PRIV; do
		neigh fw "$addr" "$(mac_of $ACCESS_PRIV)" in0
	done
	neigh edge $FW_IN "$(mac_of $FW_IN)" ext0

	# Firewall public leg — internet router.
	veth fw pub0 "$(mac_of $FW_PUB)" inet fw0 "$(mac_of $INET_FW)"
	ip -n "$(ns fw)" addr add $FW_PUB/24 dev pub0
	ip -n "$(ns inet)" addr add $INET_FW/24 dev fw0
	neigh fw $INET_FW "$(mac_of $INET_FW)" pub0
	for addr in $FW_PUB $ACCESS_PUB $WEBCONF_PUB $AV_PUB; do
		neigh inet "$addr" "$(mac_of $FW_PUB)" fw0
	done

	# 1:1 NAT: each private service address has its own public address.
	local pair
	for pair in $ACCESS_PRIV:$ACCESS_PUB $WEBCONF_PRIV:$WEBCONF_PUB $AV_PRIV:$AV_PUB; do
		nsx fw iptables -t nat -A PREROUTING -i pub0 -d "${pair#*:}" -j DNAT --to-destination "${pair%%:*}"
		nsx fw iptables -t nat -A POSTROUTING -o pub0 -s "${pair%%:*}" -j SNAT --to-source "${pair#*:}"
	done

	# The internet: one bridge, gateway .1 of both documentation ranges.
	ip -n "$(ns inet)" link add br0 address "$(mac_of 198.51.100.1)" type bridge stp_state 0
	ip -n "$(ns inet)" addr add 198.51.100.1/24 dev br0
	ip -n "$(ns inet)" addr add 192.0.2.1/24 dev br0
	while read -r name addr; do
		[ -n "$name" ] || continue
		case $addr in 198.51.100.*) gw=198.51.100.1 ;; *) gw=192.0.2.1 ;; esac
		ns_add "$name"
		veth "$name" eth0 "$(mac_of "$addr")" inet "o-$name" "02:eb:00:00:00:$(printf %02x "${addr##*.}")"
		ip -n "$(ns inet)" link set "o-$name" master br0 up
		ip -n "$(ns "$name")" addr add "$addr/24" dev eth0
		ip -n "$(ns "$name")" link set eth0 up
		neigh "$name" "$gw" "$(mac_of 198.51.100.1)" eth0
		neigh inet "$addr" "$(mac_of "$addr")" br0
	done <<<"$OUTSIDE_HOSTS"

	# Internal LAN: one bridge without addresses; IPv6 only on the Edge's
	# internal NIC and the hosts that have an IPv6 address.
	ip -n "$(ns lan)" link add br0 address 02:ec:00:00:00:01 type bridge stp_state 0 mcast_snooping 0
	veth edge int0 "$(mac_of $EDGE_INT)" lan i-edge 02:ec:00:00:00:0a
	ip -n "$(ns lan)" link set i-edge master br0 up
	v6_on edge int0
	ip -n "$(ns edge)" addr add $EDGE_INT/24 dev int0
	ip -n "$(ns edge)" addr add $EDGE_INT6/64 dev int0 nodad
	while read -r name addr addr6; do
		[ -n "$name" ] || continue
		ns_add "$name"
		veth "$name" eth0 "$(mac_of "$addr")" lan "i-$name" "02:ec:00:00:00:$(printf %02x "${addr##*.}")"
		ip -n "$(ns lan)" link set "i-$name" master br0 up
		ip -n "$(ns "$name")" addr add "$addr/24" dev eth0
		neigh "$name" $EDGE_INT "$(mac_of $EDGE_INT)" eth0
		neigh edge "$addr" "$(mac_of "$addr")" int0
		if [ "$addr6" != - ]; then
			v6_on "$name" eth0
			ip -n "$(ns "$name")" addr add "$addr6/64" dev eth0 nodad
			neigh "$name" $EDGE_INT6 "$(mac_of $EDGE_INT)" eth0
			neigh edge "$addr6" "$(mac_of "$addr")" int0
		fi
		ip -n "$(ns "$name")" link set eth0 up
	done <<<"$INSIDE_HOSTS"

	# The 802.1Q case: this kernel has no 802.1Q support (no VLAN devices,
	# no tc vlan action), so the tagged copy is replayed onto its own cable
	# in the sink namespace and captured on the far end (see build.sh).
	veth mon mon0 02:ed:00:00:00:01 mon mon1 02:ed:00:00:00:02

	for n in lan inet; do ip -n "$(ns "$n")" link set br0 up; done
	ip -n "$(ns edge)" link set ext0 up
	ip -n "$(ns edge)" link set int0 up
	ip -n "$(ns mon)" link set mon0 up
	ip -n "$(ns mon)" link set mon1 up
	ip -n "$(ns fw)" link set in0 up
	ip -n "$(ns fw)" link set pub0 up
	ip -n "$(ns inet)" link set fw0 up

	ip -n "$(ns fw)" route add 198.51.100.0/24 via $INET_FW
	ip -n "$(ns fw)" route add 192.0.2.0/24 via $INET_FW
	# The remote user's host firewall drops its own ICMP port unreachables,
	# as Windows Firewall does: turnutils_uclient exits without waiting for
	# the answer to its last Refresh, and that answer must not draw a reply.
	nsx client iptables -A OUTPUT -p icmp --icmp-type port-unreachable -j DROP

	# Edge routes: documentation ranges via the firewall, from the Access
	# Edge address; the partner's A/V Edge and the rogue SSH host are
	# reached from the A/V Edge address (tools that cannot bind a source,
	# like openssl s_client or tcpclientsink, follow the route's src).
	ip -n "$(ns edge)" route add 198.51.100.0/24 via $FW_IN src $ACCESS_PRIV
	ip -n "$(ns edge)" route add 192.0.2.0/24 via $FW_IN src $ACCESS_PRIV
	ip -n "$(ns edge)" route add "$(out_ip fedav)/32" via $FW_IN src $AV_PRIV
	ip -n "$(ns edge)" route add "$(out_ip rogue)/32" via $FW_IN src $AV_PRIV

	while read -r name addr; do
		[ -n "$name" ] || continue
		case $addr in 198.51.100.*) gw=198.51.100.1 ;; *) gw=192.0.2.1 ;; esac
		ip -n "$(ns "$name")" route add 203.0.113.0/24 via "$gw"
	done <<<"$OUTSIDE_HOSTS"
}

# v6_on NS DEV — IPv6 on one interface, and nothing automatic with it: no
# link-local address, no DAD, no router solicitation, no RA processing.
v6_on() {
	local d=net.ipv6.conf.$2
	nsx "$1" sysctl -qw "$d.addr_gen_mode=1" "$d.accept_ra=0" "$d.router_solicitations=0" \
		"$d.dad_transmits=0" "$d.accept_dad=0" "$d.disable_ipv6=0"
}
