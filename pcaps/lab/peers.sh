# peers.sh — the lab's servers (sourced by build.sh).
#
# Real implementations from Debian packages, each in the namespace of the
# host it plays, configured from here into $WORK/run, kept in the
# foreground so that its PID is ours to stop:
#   edge    stunnel (SIP over TLS 443, SIP over MTLS 5061/5062) in front of
#           a sipp UAS; openssl s_server (PSOM 443/8057, XMPP gateway 23456,
#           replication HTTPS 4443, centralized logging 50001-50003);
#           prosody (XMPP proxy, 5269); coturn (STUN/TURN, UDP 3478 and
#           TCP 443, external and internal); dropbear (SSH 22, the unexpected case);
#           nginx (80, for the wrong-direction case); socat sinks for RTP,
#           RDP-like 3389 and SMB 445; a second sipp UAS on plain TCP 5060.
#   fedsip, pim   stunnel + sipp UAS (their Access Edge, SIP over MTLS 5061)
#   fedav   coturn (UDP 3478, TCP 443), turnutils_peer, RTP sinks
#   xmpp    prosody (5269)
#   dns     dnsmasq (53 UDP and TCP; a second one on 5300)
#   crl     nginx (the CRL over HTTP 80)
#   smtp    Python's smtpd (25)
#   rogue   dropbear (SSH) on 443
#   fe      stunnel + sipp UAS (5061), openssl s_server (8057, wrong direction)

sipp_uas() { # NAME NS ADDR PORT
	lab_bg "$1" "$2" sipp -sn uas -t t1 -i "$3" -p "$4" -nostdin -max_socket 64 \
		-trace_err -error_file "$R/$1.err"
	wait_listen "$2" tcp "$3" "$4"
}

# s_server NAME NS ADDR PORT CERT [options] — openssl's TLS server; with
# -rev it echoes each line reversed (so both sides send application data)
# and never reads its own stdin, whose EOF would end it.
s_server() {
	local name=$1 n=$2 addr=$3 port=$4 cert=$5; shift 5
	local a=$addr
	case $a in *:*) a="[$a]" ;; esac
	lab_bg "$name" "$n" env -C "${S_SERVER_CWD:-/}" openssl s_server -accept "$a:$port" -cert "$P/$cert.crt" -key "$P/$cert.key" \
		-CAfile "$P/ca.crt" -naccept 1000 "$@"
	wait_listen "$n" tcp "$addr" "$port"
}

stunnel_start() { # NAME NS — config in $R/NAME.conf
	lab_bg "$1" "$2" stunnel "$R/$1.conf"
}

turnserver_start() { # NAME NS LISTEN_IPS(comma) PORT udp|tcp RELAY_IP EXTERNAL MIN MAX
	local name=$1 n=$2 ips=$3 port=$4 proto=$5 relay=$6 ext=$7 min=$8 max=$9 ip
	{
		for ip in ${ips//,/ }; do echo "listening-ip=$ip"; done
		echo "listening-port=$port"
		echo "alt-listening-port=0"
		echo "relay-ip=$relay"
		[ "$ext" = - ] || echo "external-ip=$ext"
		echo "min-port=$min"
		echo "max-port=$max"
		if [ "$proto" = udp ]; then echo no-tcp; else echo no-udp; fi
		cat <<-CFG
		no-tls
		no-dtls
		no-tcp-relay
		lt-cred-mech
		user=lync:lab-secret
		realm=lab.example
		no-cli
		no-stun-backward-compatibility
		no-rfc5780
		response-origin-only-with-rfc5780
		pidfile=$R/$name.pid
		userdb=$R/$name.db
		log-file=stdout
		simple-log
		CFG
	} >"$R/$name.conf"
	lab_bg "$name" "$n" turnserver -c "$R/$name.conf"
	for ip in ${ips//,/ }; do wait_listen "$n" "$proto" "$ip" "$port"; done
}

# sshd_start NAME NS ADDR PORT — dropbear, from dropbear-bin: a real SSH
# server that comes without a service, so installing it starts nothing on
# the host. No password logins, no root logins, no user keys: every login
# fails after the key exchange and a public-key attempt.
sshd_start() {
	lab_bg "$1" "$2" dropbear -F -E -s -w -p "$3:$4" -r "$P/dropbear_ed25519_host_key" -P "$R/$1.pid"
	wait_listen "$2" tcp "$3" "$4"
}

nginx_start() { # NAME NS ADDR PORT ROOT
	mkdir -p "$R/$1"
	cat >"$R/$1.conf" <<-CFG
	daemon off;
	master_process off;
	user root;
	pid $R/$1/nginx.pid;
	error_log stderr;
	events { worker_connections 64; }
	http {
		access_log off;
		client_body_temp_path $R/$1/body;
		proxy_temp_path $R/$1/proxy;
		fastcgi_temp_path $R/$1/fastcgi;
		uwsgi_temp_path $R/$1/uwsgi;
		scgi_temp_path $R/$1/scgi;
		types { application/pkix-crl crl; text/html html; }
		server {
			listen $3:$4;
			root $5;
		}
	}
	CFG
	lab_bg "$1" "$2" nginx -c "$R/$1.conf" -e stderr
	wait_listen "$2" tcp "$3" "$4"
}

dnsmasq_start() { # NAME NS ADDR PORT
	lab_bg "$1" "$2" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
		--bind-interfaces --listen-address="$3" --except-interface=lo --port="$4" \
		--user=root --pid-file="$R/$1.pid" --log-facility=- \
		--host-record=crl.lab.example,192.0.2.80 \
		--host-record=sip.partner.example,"$(out_ip fedsip)" \
		--srv-host=_sipfederationtls._tcp.partner.example,sip.partner.example,5061 \
		--srv-host=_xmpp-server._tcp.partner.example,xmpp.partner.example,5269
	wait_listen "$2" udp "$3" "$4"
	wait_listen "$2" tcp "$3" "$4"
}

prosody_start() { # NAME NS ADDR DOMAIN CERT
	mkdir -p "$R/$1"
	cat >"$R/$1.cfg.lua" <<-CFG
	run_as_root = true
	daemonize = false
	pidfile = "$R/$1/prosody.pid"
	data_path = "$R/$1"
	plugin_paths = {}
	log = { { levels = { min = "info" }, to = "console" } }
	modules_enabled = { "tls", "dialback", "disco" }
	modules_disabled = { "c2s", "offline", "posix" }
	interfaces = { "$3" }
	s2s_interfaces = { "$3" }
	c2s_ports = {}
	s2s_ports = { 5269 }
	s2s_secure_auth = false
	s2s_require_encryption = false
	ssl = { certificate = "$P/$5.crt", key = "$P/$5.key", cafile = "$P/ca.crt" }
	VirtualHost "$4"
	CFG
	lab_bg "$1" "$2" prosody -F --config "$R/$1.cfg.lua"
	wait_listen "$2" tcp "$3" 5269
}

sink_tcp() { # NAME NS ADDR PORT — accept connections, read, never answer
	lab_bg "$1" "$2" socat -u "TCP-LISTEN:$4,bind=$3,reuseaddr,fork" OPEN:/dev/null
	wait_listen "$2" tcp "$3" "$4"
}

sink_udp() { # NAME NS ADDR PORT — a UDP receiver, so nothing is refused with ICMP
	lab_bg "$1" "$2" socat -u "UDP-RECV:$4,bind=$3" OPEN:/dev/null
	wait_listen "$2" udp "$3" "$4"
}

start_peers() {
	P=$WORK/pki R=$WORK/run
	mkdir -p "$R" "$WORK/www"
	cp "$P/lab-ca.crl" "$WORK/www/lab-ca.crl"
	printf '<replication pool="cms.lab.example" edge="edge-int.lab.example"/>\n' >"$WORK/www/replication.xml"
	printf '<html><body>not a web server</body></html>\n' >"$WORK/www/index.html"

	# ---- the Edge ----
	sipp_uas edge_uas edge 127.0.0.1 5060
	sipp_uas edge_uas_5060 edge $EDGE_INT 5060
	cat >"$R/edge_tls.conf" <<-CFG
	foreground = yes
	pid =
	debug = notice
	[sip-tls-443]
	accept = $ACCESS_PRIV:443
	connect = 127.0.0.1:5060
	cert = $P/access.crt
	key = $P/access.key
	[sip-mtls-5061]
	accept = $ACCESS_PRIV:5061
	connect = 127.0.0.1:5060
	cert = $P/access.crt
	key = $P/access.key
	CAfile = $P/ca.crt
	verifyChain = yes
	[sip-mtls-int-5061]
	accept = $EDGE_INT:5061
	connect = 127.0.0.1:5060
	cert = $P/edgeint.crt
	key = $P/edgeint.key
	CAfile = $P/ca.crt
	verifyChain = yes
	[sip-mtls-int6-5061]
	accept = $EDGE_INT6:5061
	connect = 127.0.0.1:5060
	cert = $P/edgeint.crt
	key = $P/edgeint.key
	CAfile = $P/ca.crt
	verifyChain = yes
	[avauth-mtls-5062]
	accept = $EDGE_INT:5062
	connect = 127.0.0.1:5060
	cert = $P/edgeint.crt
	key = $P/edgeint.key
	CAfile = $P/ca.crt
	verifyChain = yes
	[to-fedsip]
	client = yes
	accept = 127.0.0.1:15061
	connect = $(out_ip fedsip):5061
	local = $ACCESS_PRIV
	sni = sip.partner.example
	cert = $P/access.crt
	key = $P/access.key
	CAfile = $P/ca.crt
	verifyChain = yes
	[to-pim]
	client = yes
	accept = 127.0.0.1:15062
	connect = $(out_ip pim):5061
	local = $ACCESS_PRIV
	sni = sip.pim.example
	cert = $P/access.crt
	key = $P/access.key
	CAfile = $P/ca.crt
	verifyChain = yes
	[to-fe]
	client = yes
	accept = 127.0.0.1:15063
	connect = $(in_ip fe):5061
	local = $EDGE_INT
	sni = pool.lab.example
	cert = $P/edgeint.crt
	key = $P/edgeint.key
	CAfile = $P/ca.crt
	verifyChain = yes
	CFG
	stunnel_start edge_tls edge
	wait_listen edge tcp $ACCESS_PRIV 443
	wait_listen edge tcp $ACCESS_PRIV 5061
	wait_listen edge tcp $EDGE_INT 5061
	wait_listen edge tcp $EDGE_INT 5062
	wait_listen edge tcp 127.0.0.1 15063

	s_server edge_psom edge $WEBCONF_PRIV 443 webconf -rev
	s_server edge_xmppgw edge $EDGE_INT 23456 edgeint -rev -Verify 1 -verify_return_error
	s_server edge_psom_int edge $EDGE_INT 8057 edgeint -rev -Verify 1 -verify_return_error
	S_SERVER_CWD=$WORK/www s_server edge_repl edge $EDGE_INT 4443 edgeint -WWW
	s_server edge_cls1 edge $EDGE_INT 50001 edgeint -rev -Verify 1 -verify_return_error
	s_server edge_cls2 edge $EDGE_INT 50002 edgeint -rev -Verify 1 -verify_return_error
	s_server edge_cls3 edge $EDGE_INT 50003 edgeint -rev -Verify 1 -verify_return_error
	prosody_start edge_xmpp edge $ACCESS_PRIV lab.example access
	turnserver_start edge_turn_udp edge "$AV_PRIV,$EDGE_INT" 3478 udp $AV_PRIV "$AV_PUB/$AV_PRIV" 50000 54999
	turnserver_start edge_turn_tcp edge "$AV_PRIV,$EDGE_INT" 443 tcp $AV_PRIV "$AV_PUB/$AV_PRIV" 55000 59999
	sshd_start edge_sshd edge $ACCESS_PRIV 22
	nginx_start edge_http edge $ACCESS_PRIV 80 "$WORK/www"
	sink_tcp edge_rdp edge $ACCESS_PRIV 3389
	sink_tcp edge_smb edge $EDGE_INT 445
	sink_tcp edge_rtp_tcp edge $AV_PRIV 50040
	sink_udp edge_rtp_udp edge $AV_PRIV 50020
	sink_udp edge_rtp_udp_long edge $AV_PRIV 50060

	# ---- outside ----
	local who addr cert sni
	for who in fedsip pim; do
		addr=$(out_ip $who)
		sipp_uas ${who}_uas $who 127.0.0.1 5060
		cat >"$R/${who}_tls.conf" <<-CFG
		foreground = yes
		pid =
		debug = notice
		[sip-mtls-5061]
		accept = $addr:5061
		connect = 127.0.0.1:5060
		cert = $P/$who.crt
		key = $P/$who.key
		CAfile = $P/ca.crt
		verifyChain = yes
		[to-access-edge]
		client = yes
		accept = 127.0.0.1:15061
		connect = $ACCESS_PUB:5061
		local = $addr
		sni = sip.lab.example
		cert = $P/$who.crt
		key = $P/$who.key
		CAfile = $P/ca.crt
		verifyChain = yes
		CFG
		stunnel_start ${who}_tls $who
		wait_listen $who tcp "$addr" 5061
		wait_listen $who tcp 127.0.0.1 15061
	done
	cat >"$R/client_tls.conf" <<-CFG
	foreground = yes
	pid =
	debug = notice
	[to-access-edge-443]
	client = yes
	accept = 127.0.0.1:15443
	connect = $ACCESS_PUB:443
	local = $(out_ip client)
	sni = sip.lab.example
	CAfile = $P/ca.crt
	verifyChain = yes
	CFG
	stunnel_start client_tls client
	wait_listen client tcp 127.0.0.1 15443

	addr=$(out_ip fedav)
	turnserver_start fedav_turn_udp fedav "$addr" 3478 udp "$addr" - 50000 54999
	turnserver_start fedav_turn_tcp fedav "$addr" 443 tcp "$addr" - 55000 59999
	lab_bg fedav_peer1 fedav turnutils_peer -L "$addr" -p 50150
	lab_bg fedav_peer2 fedav turnutils_peer -L "$addr" -p 50160
	lab_bg fedav_peer3 fedav turnutils_peer -L "$addr" -p 50170
	lab_bg fedav_peer4 fedav turnutils_peer -L "$addr" -p 50180
	wait_listen fedav udp "$addr" 50150
	wait_listen fedav udp "$addr" 50160
	wait_listen fedav udp "$addr" 50170
	wait_listen fedav udp "$addr" 50180
	sink_udp fedav_rtp_udp fedav "$addr" 50110
	sink_tcp fedav_rtp_tcp fedav "$addr" 50130

	prosody_start xmpp_partner xmpp "$(out_ip xmpp)" partner.example xmpp
	dnsmasq_start dns53 dns "$(out_ip dns)" 53
	dnsmasq_start dns5300 dns "$(out_ip dns)" 5300
	nginx_start crl_http crl "$(out_ip crl)" 80 "$WORK/www"
	lab_bg smtp_server smtp /usr/bin/python3 -W ignore -m smtpd -n -c DebuggingServer "$(out_ip smtp):25"
	wait_listen smtp tcp "$(out_ip smtp)" 25
	sshd_start rogue_sshd rogue "$(out_ip rogue)" 443

	# ---- inside ----
	addr=$(in_ip fe)
	sipp_uas fe_uas fe 127.0.0.1 5060
	cat >"$R/fe_tls.conf" <<-CFG
	foreground = yes
	pid =
	debug = notice
	[sip-mtls-5061]
	accept = $addr:5061
	connect = 127.0.0.1:5060
	cert = $P/fe.crt
	key = $P/fe.key
	CAfile = $P/ca.crt
	verifyChain = yes
	[to-edge-5061]
	client = yes
	accept = 127.0.0.1:15061
	connect = $EDGE_INT:5061
	local = $addr
	sni = edge-int.lab.example
	cert = $P/fe.crt
	key = $P/fe.key
	CAfile = $P/ca.crt
	verifyChain = yes
	[to-edge-5062]
	client = yes
	accept = 127.0.0.1:15062
	connect = $EDGE_INT:5062
	local = $addr
	sni = edge-int.lab.example
	cert = $P/fe.crt
	key = $P/fe.key
	CAfile = $P/ca.crt
	verifyChain = yes
	CFG
	stunnel_start fe_tls fe
	wait_listen fe tcp "$addr" 5061
	wait_listen fe tcp 127.0.0.1 15062
	s_server fe_psom fe "$addr" 8057 fe -rev -Verify 1
}
