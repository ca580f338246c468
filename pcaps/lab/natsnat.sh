#!/usr/bin/env bash
# natsnat.sh — builds the `natsnat` case (pcaps/natsnat-external.pcap): the
# lab's topology with a firewall that, for one inbound flow, rewrites the
# caller's source address to its own inside address (SNAT), the fault that
# keeps an A/V Edge behind NAT from reaching remote users (issue 8 §3).
#
#   pcaps/lab/natsnat.sh            (as root)
#   pcaps/lab/natsnat.sh --keep     keep the work directory
#
# Only the two peers the case needs are started (openssl s_server for
# PSOM, coturn for STUN), so the case needs no more than openssl, coturn,
# tcpdump, tshark and iptables. Two flows on the Edge's external NIC:
#   psom_443  client → 203.0.113.11 tcp/443, the 1:1 NAT as usual: the
#             source stays 198.51.100.20 (the control: no finding)
#   stun_in   client → 203.0.113.12 udp/3478 with, on fw, an extra
#             POSTROUTING rule SNAT --to-source 10.0.1.1 for this flow
#             only: the Edge sees 10.0.1.1 → 10.0.1.12 (the finding)
# The namespaces carry this run's own prefix (ealabnat<pid>-), so the case
# can be built while the full lab (build.sh) runs, and neither removes
# the other's namespaces. The committed capture is replaced only when
# flowcheck.py finds exactly the flows of pcaps/natsnat.expected; no other
# capture is touched.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/pcaps
keep=0
[ "${1:-}" = --keep ] && keep=1

[ "$(id -u)" -eq 0 ] || { echo "natsnat.sh: needs root (network namespaces)" >&2; exit 2; }
for tool in ip iptables ethtool tcpdump tshark openssl dropbearkey turnserver turnutils_stunclient socat python3; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
		{ echo "natsnat.sh: $tool missing; run scripts/install-deps.sh --lab" >&2; exit 2; }
done

# shellcheck source=/dev/null
for f in lib topo pki peers traffic; do . "$here/$f.sh"; done
LAB_NS_PREFIX=ealabnat$$-

WORK=$(mktemp -d /tmp/ealabnat.XXXXXX)
mkdir -p "$WORK/log" "$WORK/out" "$WORK/expected"
cleanup() {
	local rc=${1:-$?}
	if [ $keep -eq 1 ]; then
		log "work directory kept: $WORK"
		WORK=
	fi
	teardown "$rc"
}
trap cleanup EXIT
trap 'cleanup 130' INT
trap 'cleanup 143' TERM

log "topology"
build_topology
log "certificates"
build_pki
log "peers"
P=$WORK/pki R=$WORK/run
mkdir -p "$R"
s_server edge_psom edge $WEBCONF_PRIV 443 webconf -rev
turnserver_start edge_turn_udp edge "$AV_PRIV" 3478 udp $AV_PRIV "$AV_PUB/$AV_PRIV" 50000 54999
sleep 3

log "case natsnat"
capture_start natsnat edge ext0 "$WORK/out/natsnat-external.pcap"
log "  psom_443 (1:1 NAT only)"
step_psom_443
# The misconfiguration: the firewall hides the caller behind its own
# inside address, for this one flow (inserted before the 1:1 rules).
nsx fw iptables -t nat -I POSTROUTING 1 -o in0 -p udp -s "$(out_ip client)" -d $AV_PRIV --dport 3478 \
	-j SNAT --to-source $FW_IN
log "  stun_in (SNAT to $FW_IN)"
step_stun_in
sleep 1
capture_stop natsnat

log "checking the captured flows against pcaps/natsnat.expected"
cp "$out/natsnat.expected" "$WORK/expected/"
python3 "$here/flowcheck.py" --check "$WORK/expected" "$WORK/out"
install -m 0644 "$WORK/out/natsnat-external.pcap" "$out/natsnat-external.pcap"
log "done: natsnat-external.pcap"
