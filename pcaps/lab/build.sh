#!/usr/bin/env bash
# build.sh — rebuilds every capture in pcaps/ from scratch in a namespace
# lab (run as root; `make pcaps` installs the packages first).
#
#   pcaps/lab/build.sh            all cases
#   pcaps/lab/build.sh --keep     keep the work directory (logs, raw files)
#
# The topology, the peers and the flows are described in pcaps/lab/README.md.
# Each case is one or two captures plus pcaps/<case>.expected, which is
# written by hand from the document and the lab's design; this script
# checks that the flows it captured are exactly the flows those files list
# (flowcheck.py, from tshark's view) and only then replaces the committed
# captures. Everything the lab starts is stopped, and every namespace
# deleted, on any exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/pcaps
keep=0
[ "${1:-}" = --keep ] && keep=1

[ "$(id -u)" -eq 0 ] || { echo "build.sh: needs root (network namespaces)" >&2; exit 2; }
for tool in ip iptables ethtool tcpdump dumpcap tshark tcprewrite tcpreplay openssl sipp stunnel4 \
	turnserver turnutils_uclient turnutils_stunclient turnutils_peer prosody dnsmasq nginx dropbear \
	dropbearkey ssh ssh-keygen socat nc dig curl smbclient nmap ping gst-launch-1.0 python3; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
		{ echo "build.sh: $tool missing; run scripts/install-deps.sh --lab" >&2; exit 2; }
done
command -v stunnel >/dev/null 2>&1 || { echo "build.sh: stunnel missing" >&2; exit 2; }

# shellcheck source=/dev/null
for f in lib topo pki peers traffic; do . "$here/$f.sh"; done

WORK=$(mktemp -d /tmp/ealab.XXXXXX)
mkdir -p "$WORK/log" "$WORK/out"
cleanup() {
	local rc=${1:-$?}
	if [ $keep -eq 1 ]; then
		log "work directory kept: $WORK"
		WORK=
	fi
	teardown $rc
}
# A signal's trap sees the status of the last command, not the signal:
# give the conventional 128+N so that an interrupted run counts as failed.
trap cleanup EXIT
trap 'cleanup 130' INT
trap 'cleanup 143' TERM

destroy_stale_namespaces

log "topology"
build_topology
log "certificates"
build_pki
log "peers"
start_peers
# Let anything the kernel does once at start-up (IPv6 multicast reports on
# the internal LAN) pass before the first capture starts.
sleep 3

steps() { local s; for s in "$@"; do log "  $s"; "step_$s"; done; }

# ---- case lab (+ public): every row and every unexpected case ----
log "case lab, public"
capture_start lab_ext edge ext0 "$WORK/out/lab-external.pcap"
capture_start lab_int edge int0 "$WORK/out/lab-internal.pcap"
capture_start public fw pub0 "$WORK/out/public-external.pcap"
steps dns_udp dns_tcp crl_http sip_tls_443 psom_443 sip_mtls_in_fed sip_mtls_in_pim \
	sip_mtls_out_fed sip_mtls_out_pim xmpp_in xmpp_out stun_out stun_in turn_udp_in \
	turn_tcp_in turn_tcp_out rtp_udp_out rtp_udp_in rtp_tcp_out rtp_tcp_in
steps xmpp_gw_23456 sip_mtls_in_int sip_mtls_out_int psom_8057 avauth_5062 stun_int \
	turn_tcp_int repl_4443 cls_50001 cls_50002 cls_50003
steps ssh_in rdp_3389 smb_445 http_on_443 ssh_on_443 dns_5300 sip_5060_int smtp_out \
	http_80_in icmp_in icmp6_int sip_mtls_v6_int ws_sip_5061 psom_8057_out port_scan
sleep 1
capture_stop lab_ext
capture_stop lab_int
capture_stop public

# ---- case vlan: an 802.1Q-tagged copy of part of the external traffic ----
# This kernel has neither 802.1Q devices nor the tc vlan action, so the
# tag is added the way a tagging SPAN port would: the frames captured on
# ext0 get VLAN 100 (tcprewrite), are sent down a cable (tcpreplay) and
# captured again at its far end.
log "case vlan"
capture_start vlan_src edge ext0 "$WORK/vlan-untagged.pcap"
steps dns_udp sip_tls_443 icmp_in
capture_stop vlan_src
tcprewrite --enet-vlan=add --enet-vlan-tag=100 --enet-vlan-pri=0 --enet-vlan-cfi=0 \
	-i "$WORK/vlan-untagged.pcap" -o "$WORK/vlan-tagged.pcap"
capture_start vlan mon mon1 "$WORK/out/vlan-external.pcap"
run vlan_replay mon 30 tcpreplay -q -i mon0 "$WORK/vlan-tagged.pcap"
capture_stop vlan

# ---- case snaplen96: the same kinds of flows, 96 bytes of each frame ----
log "case snaplen96"
capture_start snaplen96 edge ext0 "$WORK/out/snaplen96-external.pcap" -s 96
steps dns_udp sip_tls_443 xmpp_in stun_in rtp_udp_in ssh_in http_80_in
capture_stop snaplen96

# ---- case midflow: the capture starts after the flows did ----
log "case midflow"
# A PSOM-style TLS session kept busy by a slow feeder, RTP over UDP and
# RTP over TCP (RFC 4571), each running about seven seconds.
lab_bg_fed midflow_tls client \
	"for i in \$(seq 24); do printf 'psom keepalive %02d\\n' \$i; sleep 0.3; done" \
	timeout 12 openssl s_client -CAfile "$WORK/pki/ca.crt" -connect $WEBCONF_PUB:443 \
	-servername webcon.lab.example
lab_bg midflow_rtp_udp fedav timeout 12 gst-launch-1.0 -q audiotestsrc wave=ticks num-buffers=350 \
	samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay \
	! udpsink host=$AV_PUB port=50060 bind-address="$(out_ip fedav)" bind-port=50260 sync=true
lab_bg midflow_rtp_tcp fedav timeout 12 gst-launch-1.0 -q audiotestsrc wave=ticks num-buffers=350 \
	samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay ! rtpstreampay \
	! tcpclientsink host=$AV_PUB port=50040 sync=true
sleep 2.5
capture_start midflow edge ext0 "$WORK/out/midflow-external.pcap"
sleep 2
capture_stop midflow --live
for p in midflow_tls midflow_rtp_udp midflow_rtp_tcp; do wait "$(pid_of $p)" 2>/dev/null || true; done
sleep 0.5

# ---- case cut: a capture whose last record is cut in half ----
log "case cut"
capture_start cut edge ext0 "$WORK/cut-whole.pcap"
steps dns_udp crl_http xmpp_out
capture_stop cut
python3 "$here/flowcheck.py" --cut-last-record "$WORK/cut-whole.pcap" "$WORK/out/cut-external.pcap"

# ---- case pcapng: dumpcap writes pcapng ----
log "case pcapng"
lab_bg cap_pcapng edge dumpcap -q -i ext0 -w "$WORK/out/pcapng-external.pcapng"
for i in $(seq 100); do [ -s "$WORK/out/pcapng-external.pcapng" ] && break; sleep 0.1; done
sleep 1
steps xmpp_in stun_in http_80_in ssh_on_443
sleep 1.5
stop_bg cap_pcapng INT
grep -q '^Packets received/dropped on interface .*: [0-9]*/0 ' "$WORK/log/cap_pcapng.log" ||
	die "dumpcap lost packets: $(cat "$WORK/log/cap_pcapng.log")"

# ---- the flows captured must be the flows the expected files list ----
log "checking the captured flows against the expected files"
python3 "$here/flowcheck.py" --check "$out" "$WORK/out"

for f in "$WORK"/out/*; do
	install -m 0644 "$f" "$out/$(basename "$f")"
done
log "done: $(cd "$WORK/out" && ls | tr '\n' ' ')"
