# ports.sig — what each port is expected to carry, as nDPI 4.2 protocol
# names. Format: signatures/README.md.
#
# TRANSPORT/PORT or TRANSPORT/LO-HI = PROTOCOL, PROTOCOL, ...
# The first protocol is the one assumed when neither nDPI nor a payload
# check confirms any; a confirmed protocol not listed is reported as not
# expected on that port. Entries of one transport must not overlap.
# Every port also ranks as "well known" for direction inference.

[ports]
# ---- the ports of the Lync 2013 Edge matrix (lync2013-edge.matrix) ----
tcp/53 = DNS
udp/53 = DNS
tcp/80 = HTTP, OCSP
# SIP over TLS (Access Edge), PSOM over TLS (Web Conferencing Edge) and
# MS-TURN over TCP (A/V Edge, internal interface) all meet on 443.
tcp/443 = TLS, STUN, Skype_Teams, SkypeCall, Microsoft, Microsoft365, Teams
tcp/4443 = TLS
tcp/5061 = TLS, Skype_Teams, Microsoft, Microsoft365, Teams
tcp/5062 = TLS
tcp/5269 = Jabber, TLS
tcp/8057 = TLS
tcp/23456 = TLS
udp/3478 = STUN, SkypeCall, Skype_Teams, Teams
# The A/V media range on TCP is split around the Centralized Logging
# Service ports 50001-50003 (MTLS) of the internal interface. Signatures
# do not know the interface, so those three ports still accept media, as
# the external interface's range does.
tcp/50000 = RTP, RTCP, STUN, DTLS, SkypeCall, Skype_Teams, Teams
tcp/50001-50003 = TLS, RTP, RTCP, STUN, DTLS, SkypeCall, Skype_Teams, Teams
tcp/50004-59999 = RTP, RTCP, STUN, DTLS, SkypeCall, Skype_Teams, Teams
udp/50000-59999 = RTP, RTCP, STUN, DTLS, SkypeCall, Skype_Teams, Teams

# ---- well-known services: direction inference, and what does not belong ----
tcp/20 = FTP_DATA
tcp/21 = FTP_CONTROL
tcp/22 = SSH
tcp/23 = Telnet
tcp/25 = SMTP
udp/67-68 = DHCP
udp/69 = TFTP
tcp/88 = Kerberos
udp/88 = Kerberos
tcp/110 = POP3
udp/123 = NTP
tcp/135 = DCE_RPC
udp/137-138 = NetBIOS
tcp/139 = NetBIOS, SMBv1, SMBv23
tcp/143 = IMAP
udp/161-162 = SNMP
tcp/179 = BGP
tcp/389 = LDAP
udp/389 = LDAP
tcp/445 = SMBv23, SMBv1
tcp/465 = SMTPS
udp/443 = QUIC
udp/500 = IPsec
udp/514 = Syslog
udp/546-547 = DHCPV6
tcp/587 = SMTP
tcp/636 = TLS
tcp/853 = TLS
tcp/993 = IMAPS
tcp/995 = POPS
tcp/1080 = SOCKS
tcp/1194 = OpenVPN
udp/1194 = OpenVPN
tcp/1433 = MsSQL-TDS
tcp/1723 = PPTP
udp/1812-1813 = Radius
tcp/1883 = MQTT
udp/1900 = SSDP
tcp/3268 = LDAP
tcp/3269 = TLS
tcp/3306 = MySQL
tcp/3389 = RDP
udp/3389 = RDP
udp/4500 = IPsec
tcp/5060 = SIP
udp/5060 = SIP
tcp/5222 = Jabber, TLS
udp/5353 = MDNS
udp/5355 = LLMNR
tcp/5432 = PostgreSQL
tcp/5900 = VNC
tcp/6379 = Redis
tcp/8080 = HTTP, HTTP_Proxy
tcp/8443 = TLS
tcp/11211 = Memcached
tcp/27017 = MongoDB
