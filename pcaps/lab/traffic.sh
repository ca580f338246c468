# traffic.sh — the lab's client steps (sourced by build.sh).
#
# One function per step; each makes one flow (or a stated few) with a real
# client. The step names appear as comments in the expected files. Steps run
# one after another, each bounded by a timeout.

SIPP_UAC=(sipp -sn uac -t t1 -m 1 -timeout 10 -timeout_error -nostdin -max_socket 8)
TLS_FEED="sleep 0.4; printf 'edgeaudit lab\n'; sleep 0.6"

s_client() { # NAME NS FEED ARGS... — openssl s_client trusting the lab CA
	local name=$1 n=$2 feed=$3; shift 3
	run_fed "$name" "$n" 10 "$feed" openssl s_client -CAfile "$P/ca.crt" "$@"
}
mtls() { # CERT — the client-certificate options for s_client
	printf -- '-cert\n%s\n-key\n%s\n' "$P/$1.crt" "$P/$1.key"
}

rtp_udp() { # NAME NS SRC_ADDR SRC_PORT DST_ADDR DST_PORT PACKETS
	run "$1" "$2" 20 gst-launch-1.0 -q audiotestsrc wave=ticks num-buffers="$7" samplesperbuffer=160 \
		! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay \
		! udpsink host="$5" port="$6" bind-address="$3" bind-port="$4" sync=true
}
rtp_tcp() { # NAME NS DST_ADDR DST_PORT PACKETS — RTP framed per RFC 4571
	run "$1" "$2" 20 gst-launch-1.0 -q audiotestsrc wave=ticks num-buffers="$5" samplesperbuffer=160 \
		! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay ! rtpstreampay \
		! tcpclientsink host="$3" port="$4" sync=true
}
uclient() { # NAME NS SECONDS ARGS... — a TURN client with the lab's credentials
	local name=$1 n=$2 secs=$3; shift 3
	run "$name" "$n" "$secs" turnutils_uclient -c -m 1 -n 5 -z 40 -u lync -w lab-secret "$@"
}
ssh_client() { # NAME NS ARGS...
	local name=$1 n=$2; shift 2
	run "$name" "$n" 15 ssh -F /dev/null -i "$P/ssh_client" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 "$@"
}

# ---- documented traffic, external interface ----
step_dns_udp()  { run dns_udp edge 10 dig +tries=1 +time=3 -b $ACCESS_PRIV @"$(out_ip dns)" crl.lab.example A; }
step_dns_tcp()  { run dns_tcp edge 10 dig +tcp +tries=1 +time=3 -b $ACCESS_PRIV @"$(out_ip dns)" _sipfederationtls._tcp.partner.example SRV; }
step_crl_http() { run crl_http edge 10 curl -sS -m 5 -o /dev/null --interface $ACCESS_PRIV --resolve crl.lab.example:80:"$(out_ip crl)" http://crl.lab.example/lab-ca.crl; }
step_sip_tls_443()     { run sip_tls_443 client 15 "${SIPP_UAC[@]}" -i 127.0.0.1 127.0.0.1:15443; }
step_psom_443()        { s_client psom_443 client "$TLS_FEED" -connect $WEBCONF_PUB:443 -servername webcon.lab.example; }
step_sip_mtls_in_fed() { run sip_mtls_in_fed fedsip 15 "${SIPP_UAC[@]}" -i 127.0.0.1 127.0.0.1:15061; }
step_sip_mtls_in_pim() { run sip_mtls_in_pim pim 15 "${SIPP_UAC[@]}" -i 127.0.0.1 127.0.0.1:15061; }
step_sip_mtls_out_fed() { run sip_mtls_out_fed edge 15 "${SIPP_UAC[@]}" -i 127.0.0.1 127.0.0.1:15061; }
step_sip_mtls_out_pim() { run sip_mtls_out_pim edge 15 "${SIPP_UAC[@]}" -i 127.0.0.1 127.0.0.1:15062; }
step_xmpp_in()  { s_client xmpp_in xmpp "$TLS_FEED" $(mtls xmpp) -starttls xmpp-server -xmpphost lab.example -connect $ACCESS_PUB:5269; }
step_xmpp_out() { s_client xmpp_out edge "$TLS_FEED" $(mtls access) -starttls xmpp-server -xmpphost partner.example -connect "$(out_ip xmpp)":5269; }
step_stun_out() { run stun_out edge 10 turnutils_stunclient -L $AV_PRIV "$(out_ip fedav)"; }
step_stun_in()  { run stun_in client 10 turnutils_stunclient -L "$(out_ip client)" $AV_PUB; }
step_turn_udp_in()  { uclient turn_udp_in client 15 -L "$(out_ip client)" -e "$(out_ip fedav)" -r 50150 $AV_PUB; }
step_turn_tcp_in()  { uclient turn_tcp_in client 15 -t -p 443 -L "$(out_ip client)" -e "$(out_ip fedav)" -r 50160 $AV_PUB; }
step_turn_tcp_out() { uclient turn_tcp_out edge 15 -t -p 443 -L $AV_PRIV -e "$(out_ip fedav)" -r 50170 "$(out_ip fedav)"; }
step_rtp_udp_out() { rtp_udp rtp_udp_out edge $AV_PRIV 50010 "$(out_ip fedav)" 50110 25; }
step_rtp_udp_in()  { rtp_udp rtp_udp_in fedav "$(out_ip fedav)" 50120 $AV_PUB 50020 25; }
step_rtp_tcp_out() { rtp_tcp rtp_tcp_out edge "$(out_ip fedav)" 50130 25; }
step_rtp_tcp_in()  { rtp_tcp rtp_tcp_in fedav $AV_PUB 50040 25; }

# ---- documented traffic, internal interface ----
step_xmpp_gw_23456() { s_client xmpp_gw_23456 fe "$TLS_FEED" $(mtls fe) -connect $EDGE_INT:23456; }
step_sip_mtls_in_int()  { run sip_mtls_in_int fe 15 "${SIPP_UAC[@]}" -i 127.0.0.1 127.0.0.1:15061; }
step_sip_mtls_out_int() { run sip_mtls_out_int edge 15 "${SIPP_UAC[@]}" -i 127.0.0.1 127.0.0.1:15063; }
step_psom_8057()     { s_client psom_8057 fe "$TLS_FEED" $(mtls fe) -connect $EDGE_INT:8057; }
step_avauth_5062()   { run avauth_5062 fe 15 "${SIPP_UAC[@]}" -i 127.0.0.1 127.0.0.1:15062; }
step_stun_int()      { run stun_int fe 10 turnutils_stunclient -L "$(in_ip fe)" $EDGE_INT; }
step_turn_tcp_int()  { uclient turn_tcp_int fe 15 -t -p 443 -L "$(in_ip fe)" -e "$(out_ip fedav)" -r 50180 $EDGE_INT; }
step_repl_4443() { run repl_4443 cms 10 curl -sS -m 5 -o /dev/null --interface "$(in_ip cms)" --cacert "$P/ca.crt" \
	--resolve edge-int.lab.example:4443:$EDGE_INT https://edge-int.lab.example:4443/replication.xml; }
step_cls_50001() { s_client cls_50001 fe "$TLS_FEED" $(mtls fe) -connect $EDGE_INT:50001; }
step_cls_50002() { s_client cls_50002 fe "$TLS_FEED" $(mtls fe) -connect $EDGE_INT:50002; }
step_cls_50003() { s_client cls_50003 fe "$TLS_FEED" $(mtls fe) -connect $EDGE_INT:50003; }

# ---- traffic the document does not allow ----
step_ssh_in() { ssh_client ssh_in client -b "$(out_ip client)" lab@$ACCESS_PUB true; }
# No RDP client runs without a display; nc sends an X.224 Connection
# Request as mstsc would (hand-made bytes: the one such case in the lab).
step_rdp_3389() { run_fed rdp_3389 client 10 \
	"printf '\x03\x00\x00\x2b\x26\xe0\x00\x00\x00\x00\x00Cookie: mstshash=lab\r\n\x01\x00\x08\x00\x0b\x00\x00\x00'; sleep 0.5" \
	nc -N -w 2 -s "$(out_ip client)" $ACCESS_PUB 3389; }
step_smb_445()  { run smb_445 ws 4 smbclient -N -p 445 -t 2 -L //$EDGE_INT; }
step_http_on_443() { run http_on_443 client 10 curl -sS -m 3 -o /dev/null --interface "$(out_ip client)" http://$ACCESS_PUB:443/; }
step_ssh_on_443()  { ssh_client ssh_on_443 edge -b $AV_PRIV -p 443 lab@"$(out_ip rogue)" true; }
step_dns_5300() { run dns_5300 edge 10 dig +tries=1 +time=3 -p 5300 -b $ACCESS_PRIV @"$(out_ip dns)" crl.lab.example A; }
step_sip_5060_int() { run sip_5060_int fe 15 "${SIPP_UAC[@]}" -i "$(in_ip fe)" $EDGE_INT:5060; }
step_smtp_out() { run smtp_out edge 10 curl -sS -m 5 --interface $ACCESS_PRIV smtp://"$(out_ip smtp)" \
	--mail-from edge@lab.example --mail-rcpt admin@example.net -T "$WORK/www/index.html"; }
step_http_80_in() { run http_80_in client 10 curl -sS -m 3 -o /dev/null --interface "$(out_ip client)" http://$ACCESS_PUB/; }
step_icmp_in()    { run icmp_in client 10 ping -c 2 -i 0.2 -W 1 -I "$(out_ip client)" $ACCESS_PUB; }
step_icmp6_int()  { run icmp6_int ws 10 ping -6 -c 2 -i 0.2 -W 1 $EDGE_INT6; }
step_sip_mtls_v6_int() { s_client sip_mtls_v6_int fe "$TLS_FEED" $(mtls fe) -connect "[$EDGE_INT6]:5061"; }
step_ws_sip_5061() { s_client ws_sip_5061 ws "$TLS_FEED" -connect $EDGE_INT:5061; }
step_psom_8057_out() { s_client psom_8057_out edge "$TLS_FEED" $(mtls edgeint) -connect "$(in_ip fe)":8057; }
SCAN_PORTS=21,23,25,110,135,139,1433,5269,8080
step_port_scan() { run port_scan scan 30 nmap -sS -Pn -n --max-retries 0 -p $SCAN_PORTS $ACCESS_PUB; }
