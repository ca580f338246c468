# pki.sh — the lab's certificates (sourced by build.sh).
#
# A throw-away CA and one certificate per TLS endpoint, made fresh on every
# run in $WORK/pki and deleted with it: nothing secret is committed. The
# CA also signs a real (empty) CRL, which the Edge downloads over HTTP.

# leaf NAME CN SAN — a P-256 key and a certificate signed by the lab CA,
# usable as server and as client (mutual TLS).
leaf() {
	local d=$WORK/pki
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$1.key" -subj "/O=edgeaudit lab/CN=$2" -out "$d/$1.csr" 2>/dev/null
	openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 30 -sha256 -out "$d/$1.crt" -extfile <(printf '%s\n' \
		"basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth,clientAuth" \
		"subjectAltName=$3" \
		"crlDistributionPoints=URI:http://crl.lab.example/lab-ca.crl") 2>/dev/null
	cat "$d/$1.crt" "$d/$1.key" >"$d/$1.pem"
}

build_pki() {
	local d=$WORK/pki
	mkdir -p "$d/ca"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$d/ca.key" -out "$d/ca.crt" -subj "/O=edgeaudit lab/CN=edgeaudit lab root CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	leaf access  sip.lab.example      "DNS:sip.lab.example,DNS:access.lab.example,DNS:lab.example,IP:$ACCESS_PRIV,IP:$ACCESS_PUB"
	leaf webconf webcon.lab.example   "DNS:webcon.lab.example,IP:$WEBCONF_PRIV,IP:$WEBCONF_PUB"
	leaf edgeint edge-int.lab.example "DNS:edge-int.lab.example,IP:$EDGE_INT,IP:$EDGE_INT6"
	leaf fedsip  sip.partner.example  "DNS:sip.partner.example,IP:$(out_ip fedsip)"
	leaf pim     sip.pim.example      "DNS:sip.pim.example,IP:$(out_ip pim)"
	leaf xmpp    partner.example      "DNS:partner.example,IP:$(out_ip xmpp)"
	leaf fe      pool.lab.example     "DNS:pool.lab.example,IP:$(in_ip fe),IP:$(in_ip6 fe)"
	leaf cms     cms.lab.example      "DNS:cms.lab.example,IP:$(in_ip cms)"

	# An empty CRL, signed by the CA, for the Edge's revocation check.
	: >"$d/ca/index.txt"
	echo 01 >"$d/ca/crlnumber"
	cat >"$d/ca/ca.cnf" <<-CNF
	[ca]
	default_ca = lab
	[lab]
	database = $d/ca/index.txt
	crlnumber = $d/ca/crlnumber
	certificate = $d/ca.crt
	private_key = $d/ca.key
	default_md = sha256
	default_crl_days = 7
	CNF
	openssl ca -batch -config "$d/ca/ca.cnf" -gencrl -out "$d/lab-ca.crl.pem" 2>/dev/null
	openssl crl -in "$d/lab-ca.crl.pem" -outform DER -out "$d/lab-ca.crl"

	# SSH: a host key for the two dropbear servers, a key for the client
	# (which the servers reject: the sessions end at authentication).
	dropbearkey -t ed25519 -f "$d/dropbear_ed25519_host_key" >/dev/null 2>&1
	ssh-keygen -q -t ed25519 -N '' -f "$d/ssh_client"
}
