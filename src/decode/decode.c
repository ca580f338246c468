/* decode.c — one captured frame → ea_packet, or the name of what stopped it.
 *
 * Pipeline position: source → [decode] → flow. See decode.h for the
 * contract. Every layer reads through an ea_cursor (cursor.h): it reads its
 * header straight through, checks the sticky error once, then checks each
 * length field against its minimum and against what remains. Each layer
 * hands the next one a cursor bounded by its own length field, so padding
 * and trailers never leak inward (Ethernet padding is not payload).
 *
 * A layer returns DEC_OK or the anomaly that stops the frame; soft
 * anomalies (the payload cut by the snaplen) go into dec_state.note.
 *
 * Link-layer references: IEEE 802.3 / 802.1Q (VLAN, QinQ), IEEE 802.1BR
 * (E-Tag), Cisco VN-Tag (as Wireshark's packet-vntag.c reads it), RFC 3032
 * (MPLS), RFC 2516 (PPPoE), RFC 1661/1662 (PPP), pcap-linktype(7) for the
 * Linux cooked, raw and loopback headers. Tunnels: RFC 2784 and RFC 2890
 * (GRE), draft-foschiano-erspan-03 (ERSPAN types I, II and III), RFC 1701
 * (GRE transparent Ethernet bridging, protocol 0x6558). IP: RFC 791,
 * RFC 8200, RFC 4302 (AH), RFC 2675 (jumbograms), RFC 6946 (atomic
 * fragments). L4: RFC 9293 (TCP), RFC 768 (UDP), RFC 9260 (SCTP), RFC 792
 * (ICMP), RFC 4443 (ICMPv6). ICMP type/code → ports: the Community ID specification
 * (https://github.com/corelight/community-id-spec). */
#include "decode/decode.h"

#include <string.h>

#include "util/cursor.h"
#include "util/ea_limits.h"
#include "decode/icmp.h"
#include "util/ipproto.h"

/* Link types by number (pcap-linktype(7)), so that only the capture module
 * needs <pcap.h>. A pcap file stores LINKTYPE_* values; libpcap hands back
 * DLT_* values; both spellings are accepted where they differ. */
enum {
	LT_NULL = 0,         /* BSD loopback, AF in the capturing host's byte order */
	LT_EN10MB = 1,
	LT_PPP = 9,
	LT_RAW = 12,         /* DLT_RAW on most systems (DLT_LOOP on OpenBSD) */
	LT_RAW_OPENBSD = 14, /* DLT_RAW on OpenBSD */
	LT_LINKTYPE_RAW = 101,
	LT_LOOP = 108,       /* OpenBSD loopback, AF in network byte order */
	LT_LINUX_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_LINUX_SLL2 = 276,
};

enum {
	ARPHRD_NETLINK = 824,     /* Linux device type of netlink monitors */
	ET_IPV4 = 0x0800,
	ET_TEB = 0x6558,          /* transparent Ethernet bridging (RFC 1701) */
	ET_ERSPAN_3 = 0x22eb,
	ET_VLAN = 0x8100,         /* IEEE 802.1Q C-tag */
	ET_IPV6 = 0x86dd,
	ET_MPLS_UC = 0x8847,
	ET_MPLS_MC = 0x8848,
	ET_PPPOE_SESSION = 0x8864,
	ET_QINQ = 0x88a8,         /* IEEE 802.1ad S-tag */
	ET_ERSPAN_2 = 0x88be,     /* type I without a GRE sequence number */
	ET_QINQ_OLD1 = 0x9100,    /* pre-802.1ad vendor S-tags, still seen */
	ET_QINQ_OLD2 = 0x9200,
	ET_VNTAG = 0x8926,        /* Cisco VN-Tag (fabric extenders, FEX) */
	ET_ETAG = 0x893f,         /* IEEE 802.1BR E-Tag (port extenders) */
};

enum {
	PPP_IPV4 = 0x0021,
	PPP_IPV6 = 0x0057,
	PPP_MPLS_UC = 0x0281,
	PPP_MPLS_MC = 0x0283,
};

enum {
	PROTO_ICMP = EA_IPPROTO_ICMP,
	PROTO_TCP = EA_IPPROTO_TCP,
	PROTO_UDP = EA_IPPROTO_UDP,
	PROTO_GRE = EA_IPPROTO_GRE,
	PROTO_ICMPV6 = EA_IPPROTO_ICMPV6,
	PROTO_SCTP = EA_IPPROTO_SCTP,
	IP6_HOPOPTS = 0,
	IP6_ROUTING = 43,
	IP6_FRAGMENT = 44,
	IP6_AH = 51,
	IP6_DSTOPTS = 60,
};

#define DEC_OK EA_ANOMALY_COUNT

typedef struct {
	ea_packet *pkt;
	ea_anomaly note;   /* soft anomaly seen so far, DEC_OK when none */
	unsigned depth;    /* tunnels stripped so far */
	/* The next IP header is one the reassembler rebuilt: if it still says
	 * "first fragment", that is all that arrived of its datagram, and its
	 * transport header is read (ea_decode_reassembled). Cleared by the
	 * first IP header, so a fragment inside a tunnel is a new fragment. */
	bool reassembled;
} dec_state;

static ea_anomaly decode_ether(dec_state *d, ea_cursor c);
static ea_anomaly decode_ip(dec_state *d, ea_cursor c, unsigned want_version);

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* The bytes left in c, as a cursor of their own. */
static ea_cursor rest_of(const ea_cursor *c)
{
	return ea_cursor_make(ea_cursor_here(c), ea_cursor_remaining(c));
}

/* Bytes an L2 tag puts between its EtherType and the next one; 0 when
 * type is not a tag. 802.1Q/802.1ad: a 2-byte TCI. VN-Tag: 4 bytes
 * (d, p, destination VIF, l, r, version, source VIF). 802.1BR E-Tag: a
 * 6-byte E-TCI (E-PCP, E-DEI, ingress E-CID base, GRP, E-CID base, and
 * the two E-CID extensions). */
static size_t l2_tag_len(uint16_t type)
{
	switch (type) {
	case ET_VLAN:
	case ET_QINQ:
	case ET_QINQ_OLD1:
	case ET_QINQ_OLD2: return 2;
	case ET_VNTAG: return 4;
	case ET_ETAG: return 6;
	default: return 0;
	}
}

static ea_anomaly decode_mpls(dec_state *d, ea_cursor c)
{
	/* RFC 3032 §2.1: 4-byte label stack entries, S bit (0x100) on the
	 * last one. */
	for (unsigned n = 1;; n++) {
		if (n > EA_MAX_MPLS_LABELS)
			return EA_ANOMALY_TOO_MANY_MPLS_LABELS;
		uint32_t lse = ea_cursor_be32(&c);
		if (c.err)
			return EA_ANOMALY_TRUNCATED_LINK;
		if (lse & 0x100)
			break;
	}
	/* The payload type is bound to the label, which a passive observer
	 * does not know; like tcpdump and Zeek, trust the IP version nibble
	 * and treat anything else (pseudowires) as not IP. */
	const uint8_t *h = ea_cursor_here(&c);
	if (ea_cursor_remaining(&c) == 0)
		return EA_ANOMALY_TRUNCATED_IP;
	if (h[0] >> 4 != 4 && h[0] >> 4 != 6)
		return EA_ANOMALY_NON_IP;
	return decode_ip(d, c, 0);
}

/* A PPP frame from its protocol field on (RFC 1661 §2). */
static ea_anomaly decode_ppp(dec_state *d, ea_cursor c)
{
	/* Protocol-field compression (RFC 1661 §6.5) sends one byte when the
	 * value fits; full protocol numbers have an even first byte. */
	uint16_t proto = ea_cursor_u8(&c);
	if (!c.err && !(proto & 1))
		proto = (uint16_t)(proto << 8 | ea_cursor_u8(&c));
	if (c.err)
		return EA_ANOMALY_TRUNCATED_LINK;
	switch (proto) {
	case PPP_IPV4: return decode_ip(d, c, 4);
	case PPP_IPV6: return decode_ip(d, c, 6);
	case PPP_MPLS_UC:
	case PPP_MPLS_MC: return decode_mpls(d, c);
	default: return EA_ANOMALY_NON_IP; /* LCP, IPCP, CHAP, ... */
	}
}

static ea_anomaly decode_pppoe(dec_state *d, ea_cursor c)
{
	/* RFC 2516 §4: VER=1 TYPE=1, CODE 0 for session data, session id,
	 * LENGTH of the PPP payload. */
	uint8_t ver_type = ea_cursor_u8(&c);
	uint8_t code = ea_cursor_u8(&c);
	ea_cursor_skip(&c, 2);
	uint16_t len = ea_cursor_be16(&c);
	if (c.err)
		return EA_ANOMALY_TRUNCATED_LINK;
	if (ver_type != 0x11 || code != 0)
		return EA_ANOMALY_NON_IP;
	/* LENGTH bounds the PPP frame: what follows is Ethernet padding. */
	return decode_ppp(d, ea_cursor_sub(&c, len));
}

/* Everything after an EtherType: L2 tags, then the protocol. Shared by
 * Ethernet, Linux cooked headers and GRE-bridged frames. */
static ea_anomaly decode_ethertype(dec_state *d, uint16_t type, ea_cursor c)
{
	/* Tags stack in any order (a FEX's VN-Tag outside a customer's
	 * 802.1Q tag, QinQ inside an E-Tag); each is its control field then
	 * the next EtherType. A stack deeper than EA_MAX_L2_TAGS is garbage
	 * or a bridging loop, and is named as such rather than walked. */
	for (unsigned tags = 0; l2_tag_len(type) != 0;) {
		if (++tags > EA_MAX_L2_TAGS)
			return EA_ANOMALY_TOO_MANY_VLAN_TAGS;
		ea_cursor_skip(&c, l2_tag_len(type));
		type = ea_cursor_be16(&c);
		if (c.err)
			return EA_ANOMALY_TRUNCATED_LINK;
	}
	switch (type) {
	case ET_IPV4: return decode_ip(d, c, 4);
	case ET_IPV6: return decode_ip(d, c, 6);
	case ET_MPLS_UC:
	case ET_MPLS_MC: return decode_mpls(d, c);
	case ET_PPPOE_SESSION: return decode_pppoe(d, c);
	default:
		/* ARP, LLDP, PPPoE discovery, and values <= 1500, which are
		 * IEEE 802.3 lengths (LLC: STP, CDP, ...). */
		return EA_ANOMALY_NON_IP;
	}
}

static ea_anomaly decode_ether(dec_state *d, ea_cursor c)
{
	ea_cursor_skip(&c, 12); /* destination and source MAC */
	uint16_t type = ea_cursor_be16(&c);
	if (c.err)
		return EA_ANOMALY_TRUNCATED_LINK;
	return decode_ethertype(d, type, c);
}

/* LINKTYPE_LINUX_SLL: packet type, ARPHRD type, address length, 8 address
 * bytes, protocol (an EtherType for Ethernet-like devices). */
static ea_anomaly decode_sll(dec_state *d, ea_cursor c)
{
	ea_cursor_skip(&c, 2);
	uint16_t hatype = ea_cursor_be16(&c);
	ea_cursor_skip(&c, 2 + 8);
	uint16_t proto = ea_cursor_be16(&c);
	if (c.err)
		return EA_ANOMALY_TRUNCATED_LINK;
	/* ARPHRD_NETLINK: the protocol field is a netlink family, not an
	 * EtherType. Small values are Linux pseudo-protocols (802.3, 802.2
	 * LLC, CAN, ...), which decode_ethertype() turns away. */
	if (hatype == ARPHRD_NETLINK)
		return EA_ANOMALY_NON_IP;
	return decode_ethertype(d, proto, c);
}

/* LINKTYPE_LINUX_SLL2: protocol, reserved, interface index, ARPHRD type,
 * packet type, address length, 8 address bytes. */
static ea_anomaly decode_sll2(dec_state *d, ea_cursor c)
{
	uint16_t proto = ea_cursor_be16(&c);
	ea_cursor_skip(&c, 2 + 4);
	uint16_t hatype = ea_cursor_be16(&c);
	ea_cursor_skip(&c, 1 + 1 + 8);
	if (c.err)
		return EA_ANOMALY_TRUNCATED_LINK;
	if (hatype == ARPHRD_NETLINK)
		return EA_ANOMALY_NON_IP;
	return decode_ethertype(d, proto, c);
}

/* DLT_NULL / DLT_LOOP: a 4-byte address family. DLT_NULL writes it in the
 * capturing host's byte order, which the file does not record, so both
 * orders are accepted: a real AF value is small. */
static ea_anomaly decode_loopback(dec_state *d, ea_cursor c)
{
	uint32_t af = ea_cursor_be32(&c);
	if (c.err)
		return EA_ANOMALY_TRUNCATED_LINK;
	if (af > 0xffff)
		af = (af >> 24) | (af >> 8 & 0xff00) | (af << 8 & 0xff0000) | af << 24;
	switch (af) {
	case 2: /* AF_INET everywhere */
		return decode_ip(d, c, 4);
	case 10: /* AF_INET6: Linux */
	case 24: /* OpenBSD, NetBSD */
	case 28: /* FreeBSD, DragonFly */
	case 30: /* macOS */
		return decode_ip(d, c, 6);
	default:
		return EA_ANOMALY_NON_IP;
	}
}

/* DLT_PPP: PPP in HDLC-like framing (RFC 1662 §3: address 0xff, control
 * 0x03) or, without them, the bare PPP header. */
static ea_anomaly decode_ppp_link(dec_state *d, ea_cursor c)
{
	/* 0xff never starts a protocol number (its first byte is even), so
	 * it can only be the HDLC address. */
	const uint8_t *h = ea_cursor_here(&c);
	if (ea_cursor_remaining(&c) > 0 && h[0] == 0xff) {
		ea_cursor_skip(&c, 1);
		uint8_t control = ea_cursor_u8(&c);
		if (c.err)
			return EA_ANOMALY_TRUNCATED_LINK;
		if (control != 0x03)
			return EA_ANOMALY_NON_IP;
	}
	return decode_ppp(d, c);
}

/* ---- L4 ---- */

/* The captured bytes of c are the payload; flag them when the headers
 * claimed more. Usually that is the snaplen (or an ERSPAN session's own
 * truncation); in a frame captured whole it means a length field lies,
 * which the same note discloses. */
static ea_anomaly set_payload(dec_state *d, ea_cursor c, size_t claimed)
{
	d->pkt->payload = ea_cursor_here(&c);
	d->pkt->payload_len = (uint32_t)ea_cursor_remaining(&c);
	if (ea_cursor_remaining(&c) < claimed)
		d->note = EA_ANOMALY_SNAPLEN_PAYLOAD;
	return DEC_OK;
}

/* RFC 9293 §3.1. */
static ea_anomaly decode_tcp(dec_state *d, ea_cursor c, size_t claimed)
{
	ea_cursor t = c;
	uint16_t sport = ea_cursor_be16(&t);
	uint16_t dport = ea_cursor_be16(&t);
	ea_cursor_skip(&t, 8); /* sequence and acknowledgment numbers */
	uint8_t offset = ea_cursor_u8(&t);
	uint8_t flags = ea_cursor_u8(&t);
	bool first_fragment = d->pkt->frag == EA_FRAG_FIRST;
	if (t.err || (claimed < 20 && !first_fragment))
		return EA_ANOMALY_TRUNCATED_TCP;
	size_t hlen = (size_t)(offset >> 4) * 4;
	/* A first fragment's header may go on in the fragments after it
	 * (those of a given-up datagram never came). */
	if (hlen < 20 || (hlen > claimed && !first_fragment))
		return EA_ANOMALY_BAD_TCP_OFFSET;
	d->pkt->sport = sport;
	d->pkt->dport = dport;
	d->pkt->tcp_flags = flags;
	if (ea_cursor_remaining(&c) < hlen) {
		/* The IP length holds the header but the capture ends inside
		 * it: a snap length of 64 cuts a SYN's options (14 + 20 + 40
		 * bytes), and a given-up first fragment may stop there too
		 * (its loss is counted as fragment_incomplete).
		 * Ports and flags are what the flow needs; no payload is
		 * there, and the cut is disclosed like a cut payload. */
		ea_cursor_skip(&c, ea_cursor_remaining(&c));
		d->pkt->payload = ea_cursor_here(&c);
		d->pkt->payload_len = 0;
		d->note = EA_ANOMALY_SNAPLEN_PAYLOAD;
		return DEC_OK;
	}
	ea_cursor_skip(&c, hlen); /* options included */
	return set_payload(d, c, claimed - hlen);
}

/* RFC 768. */
static ea_anomaly decode_udp(dec_state *d, ea_cursor c, size_t claimed)
{
	ea_packet *p = d->pkt;
	uint16_t sport = ea_cursor_be16(&c);
	uint16_t dport = ea_cursor_be16(&c);
	size_t len = ea_cursor_be16(&c);
	ea_cursor_skip(&c, 2); /* checksum */
	if (c.err)
		return EA_ANOMALY_TRUNCATED_UDP;
	/* RFC 2675 §4: a jumbogram's UDP length is 0; the IP length rules. */
	if (len == 0 && p->ip_version == 6)
		len = claimed;
	if (len < 8)
		return EA_ANOMALY_BAD_UDP_LENGTH;
	if (p->frag == EA_FRAG_FIRST) {
		/* The length covers the whole datagram; this fragment holds
		 * only its start. */
		len = claimed;
	} else if (len > claimed) {
		return EA_ANOMALY_BAD_UDP_LENGTH;
	}
	p->sport = sport;
	p->dport = dport;
	/* Bytes after the UDP length, inside the IP packet, are not payload. */
	return set_payload(d, ea_cursor_sub(&c, len - 8), len - 8);
}

/* RFC 9260 §3.1: the common header — source port, destination port,
 * verification tag, checksum — then chunks, which are the payload. */
static ea_anomaly decode_sctp(dec_state *d, ea_cursor c, size_t claimed)
{
	uint16_t sport = ea_cursor_be16(&c);
	uint16_t dport = ea_cursor_be16(&c);
	ea_cursor_skip(&c, 4 + 4);
	if (c.err)
		return EA_ANOMALY_TRUNCATED_SCTP;
	d->pkt->sport = sport;
	d->pkt->dport = dport;
	return set_payload(d, c, claimed - 12);
}

static ea_anomaly decode_icmp(dec_state *d, ea_cursor c, size_t claimed, bool v6)
{
	/* RFC 792: every ICMP message starts with 8 bytes (type, code,
	 * checksum, 4 type-specific). RFC 4443 §2.1: ICMPv6 has 4 (type,
	 * code, checksum), the body depends on the type. */
	uint8_t type = ea_cursor_u8(&c);
	uint8_t code = ea_cursor_u8(&c);
	ea_cursor_skip(&c, v6 ? 2 : 6);
	if (c.err)
		return EA_ANOMALY_TRUNCATED_ICMP;
	int peer = ea_icmp_counterpart(v6 ? EA_IPPROTO_ICMPV6 : EA_IPPROTO_ICMP, type);
	d->pkt->sport = type;
	if (peer >= 0) {
		d->pkt->dport = (uint16_t)peer;
	} else {
		d->pkt->dport = code;
		d->pkt->icmp_oneway = true;
	}
	return set_payload(d, c, claimed - (v6 ? 4 : 8));
}

/* GRE (RFC 2784 §2, key and sequence from RFC 2890 §2). Returns true with
 * *inner set when the GRE payload is mirrored or bridged traffic to strip;
 * false (and DEC_OK in *why) when the packet stays a GRE flow. */
static bool gre_strip(ea_cursor c, ea_cursor *inner, bool *inner_is_ip, ea_anomaly *why)
{
	*why = DEC_OK;
	*inner_is_ip = false;
	uint16_t flags = ea_cursor_be16(&c);
	uint16_t ptype = ea_cursor_be16(&c);
	if (c.err) {
		*why = EA_ANOMALY_TRUNCATED_TUNNEL;
		return false;
	}
	/* Only version 0 (version 1 is PPTP, RFC 2637) and no RFC 1701
	 * routing field; IP in GRE is traffic between the endpoints. */
	if ((flags & 0x0007) != 0 || (flags & 0x4000) != 0)
		return false;
	if (ptype != ET_TEB && ptype != ET_ERSPAN_2 && ptype != ET_ERSPAN_3)
		return false;
	if (flags & 0x8000)
		ea_cursor_skip(&c, 4); /* checksum + reserved1 */
	if (flags & 0x2000)
		ea_cursor_skip(&c, 4); /* key */
	bool has_seq = flags & 0x1000;
	if (has_seq)
		ea_cursor_skip(&c, 4); /* sequence number */
	if (c.err) {
		*why = EA_ANOMALY_TRUNCATED_TUNNEL;
		return false;
	}

	if (ptype == ET_ERSPAN_2 && has_seq) {
		/* Type II: Ver(4)=1 VLAN(12) | COS En T Session(16) |
		 * Reserved(12) Index(20). */
		uint16_t w = ea_cursor_be16(&c);
		ea_cursor_skip(&c, 6);
		if (c.err)
			*why = EA_ANOMALY_TRUNCATED_TUNNEL;
		else if (w >> 12 != 1)
			*why = EA_ANOMALY_UNSUPPORTED_TUNNEL;
	} else if (ptype == ET_ERSPAN_3) {
		/* Type III: Ver(4)=2 VLAN(12) | COS BSO T Session(16) |
		 * Timestamp(32) | SGT(16) | P FT(5) HwID(6) D Gra(2) O, then
		 * an 8-byte platform-specific subheader when O is set. */
		uint16_t w = ea_cursor_be16(&c);
		ea_cursor_skip(&c, 2 + 4 + 2);
		uint16_t w2 = ea_cursor_be16(&c);
		if (!c.err && (w2 & 1))
			ea_cursor_skip(&c, 8);
		unsigned ft = (w2 >> 10) & 0x1f;
		if (c.err)
			*why = EA_ANOMALY_TRUNCATED_TUNNEL;
		else if (w >> 12 != 2 || (ft != 0 && ft != 2))
			*why = EA_ANOMALY_UNSUPPORTED_TUNNEL;
		*inner_is_ip = ft == 2; /* FT 0: Ethernet frame, 2: IP packet */
	}
	/* ERSPAN type I (0x88BE without a sequence number) and 0x6558 carry
	 * the Ethernet frame right after the GRE header. */
	if (*why != DEC_OK)
		return false;
	*inner = rest_of(&c);
	return true;
}

/* The transport layer. c holds the captured L4 bytes of this IP packet
 * (never beyond what the IP header claims); claimed is what it claims. */
static ea_anomaly decode_l4(dec_state *d, ea_cursor c, size_t claimed)
{
	ea_packet *p = d->pkt;
	if (p->frag == EA_FRAG_LATER)
		return set_payload(d, c, claimed); /* no L4 header here */
	switch (p->proto) {
	case PROTO_TCP: return decode_tcp(d, c, claimed);
	case PROTO_UDP: return decode_udp(d, c, claimed);
	case PROTO_SCTP: return decode_sctp(d, c, claimed);
	case PROTO_ICMP: return decode_icmp(d, c, claimed, false);
	case PROTO_ICMPV6: return decode_icmp(d, c, claimed, true);
	case PROTO_GRE:
		/* A first fragment holds only part of the tunnelled frame:
		 * keep it as GRE rather than decode half a frame. */
		if (p->frag == EA_FRAG_NONE) {
			ea_cursor inner;
			bool inner_is_ip;
			ea_anomaly why;
			if (gre_strip(c, &inner, &inner_is_ip, &why)) {
				if (d->depth >= EA_MAX_ENCAP_DEPTH)
					return EA_ANOMALY_TOO_DEEP_ENCAP;
				d->depth++;
				return inner_is_ip ? decode_ip(d, inner, 0) : decode_ether(d, inner);
			}
			if (why != DEC_OK)
				return why;
		}
		return set_payload(d, c, claimed);
	default:
		/* ESP, AH (IPv4), OSPF, 6in4, DCCP, ...: keyed on addresses,
		 * ports 0 (ipproto.h says why). */
		return set_payload(d, c, claimed);
	}
}

/* ---- IP ---- */

/* A fragment is not read past its IP headers: its data is handed to the
 * reassembler (frag.h) as captured, and the datagram it belongs to is
 * decoded when it is whole. No snaplen note here: the rebuilt datagram
 * gets one if it is still cut. */
static ea_anomaly fragment_data(dec_state *d, const uint8_t *l3, size_t have, size_t hdr_len)
{
	d->pkt->frag_hdr_len = (uint32_t)hdr_len;
	d->pkt->payload = l3 + hdr_len;
	d->pkt->payload_len = (uint32_t)(have - hdr_len);
	return DEC_OK;
}

/* Forget whatever an outer IP header (of a stripped tunnel) left. */
static void reset_ip_fields(ea_packet *p)
{
	uint64_t ts = p->ts_us;
	memset(p, 0, sizeof *p);
	p->ts_us = ts;
}

/* RFC 791 §3.1. */
static ea_anomaly decode_ipv4(dec_state *d, ea_cursor c)
{
	const uint8_t *l3 = ea_cursor_here(&c);
	size_t captured = ea_cursor_remaining(&c);
	uint8_t vihl = ea_cursor_u8(&c);
	ea_cursor_skip(&c, 1); /* DSCP/ECN */
	size_t total = ea_cursor_be16(&c);
	uint16_t id = ea_cursor_be16(&c);
	uint16_t frag = ea_cursor_be16(&c);
	ea_cursor_skip(&c, 1); /* TTL */
	uint8_t proto = ea_cursor_u8(&c);
	ea_cursor_skip(&c, 2); /* checksum */
	uint8_t src[4], dst[4];
	ea_cursor_copy(&c, src, 4);
	ea_cursor_copy(&c, dst, 4);
	if (c.err)
		return EA_ANOMALY_TRUNCATED_IP;
	if (vihl >> 4 != 4)
		return EA_ANOMALY_BAD_IP_VERSION;
	size_t hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < 20)
		return EA_ANOMALY_BAD_IP_HEADER_LENGTH;
	if (hlen > captured)
		return EA_ANOMALY_TRUNCATED_IP;
	/* A total length of 0 is what a host captures before TCP
	 * segmentation offload fills it in (Windows LSO, as Wireshark notes);
	 * the capture is then all there is to go by. */
	if (total == 0)
		total = captured;
	if (total < hlen)
		return EA_ANOMALY_BAD_IP_TOTAL_LENGTH;

	ea_packet *p = d->pkt;
	reset_ip_fields(p);
	p->ip_version = 4;
	p->proto = proto;
	ea_addr_from_v4(&p->src, src);
	ea_addr_from_v4(&p->dst, dst);
	size_t have = min_size(captured, total); /* Ethernet padding excluded */
	p->l3 = l3;
	p->l3_len = (uint32_t)have;
	p->ip_len = (uint32_t)total;
	/* Flags: reserved, DF, MF (0x2000); offset in 8-byte units. */
	bool whole_first = d->reassembled;
	d->reassembled = false;
	if (frag & 0x3fff) {
		p->frag = (frag & 0x1fff) ? EA_FRAG_LATER : EA_FRAG_FIRST;
		p->frag_id = id;
		p->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
		p->frag_more = (frag & 0x2000) != 0;
		if (!(whole_first && p->frag == EA_FRAG_FIRST))
			return fragment_data(d, l3, have, hlen);
	}
	return decode_l4(d, ea_cursor_make(l3 + hlen, have - hlen), total - hlen);
}

static bool is_ipv6_ext(uint8_t next)
{
	return next == IP6_HOPOPTS || next == IP6_ROUTING || next == IP6_FRAGMENT ||
	       next == IP6_DSTOPTS || next == IP6_AH;
}

/* RFC 8200 §3 and §4. */
static ea_anomaly decode_ipv6(dec_state *d, ea_cursor c)
{
	const uint8_t *l3 = ea_cursor_here(&c);
	size_t captured = ea_cursor_remaining(&c);
	uint32_t vtf = ea_cursor_be32(&c);
	size_t plen = ea_cursor_be16(&c);
	uint8_t next = ea_cursor_u8(&c);
	ea_cursor_skip(&c, 1); /* hop limit */
	uint8_t src[16], dst[16];
	ea_cursor_copy(&c, src, 16);
	ea_cursor_copy(&c, dst, 16);
	if (c.err)
		return EA_ANOMALY_TRUNCATED_IP;
	if (vtf >> 28 != 6)
		return EA_ANOMALY_BAD_IP_VERSION;
	/* Payload length 0: a jumbogram (RFC 2675) or a segmentation-offload
	 * capture; the captured bytes are all there is to go by. */
	size_t total = plen ? 40 + plen : captured;
	size_t have = min_size(captured, total);

	ea_packet *p = d->pkt;
	reset_ip_fields(p);
	p->ip_version = 6;
	ea_addr_from_v6(&p->src, src);
	ea_addr_from_v6(&p->dst, dst);
	p->l3 = l3;
	p->l3_len = (uint32_t)have;
	p->ip_len = (uint32_t)total;

	bool whole_first = d->reassembled;
	d->reassembled = false;
	ea_cursor x = ea_cursor_make(l3 + 40, have - 40);
	size_t nh_at = 6; /* where the Next Header field naming this header is */
	for (unsigned n = 1; is_ipv6_ext(next); n++) {
		if (n > EA_MAX_IPV6_EXT_HEADERS)
			return EA_ANOMALY_TOO_MANY_EXT_HEADERS;
		size_t start = x.off;
		uint8_t nh = ea_cursor_u8(&x);
		uint8_t hdr_len = ea_cursor_u8(&x);
		size_t len;
		bool stop = false;
		if (next == IP6_FRAGMENT) {
			/* §4.5: offset(13) res(2) M(1), identification. */
			uint16_t off_m = ea_cursor_be16(&x);
			uint32_t ident = ea_cursor_be32(&x);
			len = 8;
			/* Offset 0 without M is an atomic fragment (RFC 6946):
			 * a whole packet. Otherwise what follows is the
			 * fragmentable part, read only once reassembled. */
			if (!x.err && (off_m & 0xfff9) != 0) {
				p->frag = (off_m >> 3) != 0 ? EA_FRAG_LATER : EA_FRAG_FIRST;
				p->frag_id = ident;
				p->frag_offset = (uint32_t)(off_m >> 3) * 8;
				p->frag_more = (off_m & 1) != 0;
				p->frag_nh_at = (uint32_t)nh_at;
				stop = !(whole_first && p->frag == EA_FRAG_FIRST);
			}
		} else if (next == IP6_AH) {
			len = ((size_t)hdr_len + 2) * 4; /* RFC 4302 §2.2: 32-bit words, minus 2 */
		} else {
			len = ((size_t)hdr_len + 1) * 8; /* §4.3, 4.4, 4.6: 8-octet units, minus the first */
		}
		ea_cursor_skip(&x, len - (x.off - start));
		if (x.err)
			return EA_ANOMALY_TRUNCATED_EXT_HEADER;
		next = nh;
		nh_at = 40 + start;
		if (stop) {
			p->proto = next;
			return fragment_data(d, l3, have, 40 + x.off);
		}
	}
	p->proto = next;
	return decode_l4(d, rest_of(&x), total - 40 - x.off);
}

/* want_version 0: whatever the version nibble says (raw IP, MPLS). */
static ea_anomaly decode_ip(dec_state *d, ea_cursor c, unsigned want_version)
{
	const uint8_t *h = ea_cursor_here(&c);
	if (ea_cursor_remaining(&c) == 0)
		return EA_ANOMALY_TRUNCATED_IP;
	unsigned version = h[0] >> 4;
	if (want_version && version != want_version)
		return EA_ANOMALY_BAD_IP_VERSION;
	if (version == 4)
		return decode_ipv4(d, c);
	if (version == 6)
		return decode_ipv6(d, c);
	return EA_ANOMALY_BAD_IP_VERSION;
}

ea_decode_result ea_decode_reassembled(const uint8_t *ip, uint32_t caplen, uint64_t ts_us, ea_packet *pkt,
				       ea_anomaly *note)
{
	dec_state d = {.pkt = pkt, .note = DEC_OK, .depth = 0, .reassembled = true};
	memset(pkt, 0, sizeof *pkt);
	pkt->ts_us = ts_us;
	ea_anomaly a = decode_ip(&d, ea_cursor_make(ip, caplen), 0);
	if (note)
		*note = a != DEC_OK ? a : d.note;
	return a != DEC_OK ? EA_DECODE_DROPPED : EA_DECODE_OK;
}

ea_decode_result ea_decode(const ea_frame *frame, ea_packet *pkt, ea_anomaly *note)
{
	dec_state d = {.pkt = pkt, .note = DEC_OK, .depth = 0};
	memset(pkt, 0, sizeof *pkt);
	pkt->ts_us = frame->ts_us;
	ea_cursor c = ea_cursor_make(frame->data, frame->caplen);
	ea_anomaly a;
	switch (frame->linktype) {
	case LT_EN10MB: a = decode_ether(&d, c); break;
	case LT_LINUX_SLL: a = decode_sll(&d, c); break;
	case LT_LINUX_SLL2: a = decode_sll2(&d, c); break;
	case LT_RAW:
	case LT_RAW_OPENBSD:
	case LT_LINKTYPE_RAW: a = decode_ip(&d, c, 0); break;
	case LT_IPV4: a = decode_ip(&d, c, 4); break;
	case LT_IPV6: a = decode_ip(&d, c, 6); break;
	case LT_NULL:
	case LT_LOOP: a = decode_loopback(&d, c); break;
	case LT_PPP: a = decode_ppp_link(&d, c); break;
	default: a = EA_ANOMALY_UNSUPPORTED_LINKTYPE; break;
	}
	if (a != DEC_OK) {
		if (note)
			*note = a;
		return EA_DECODE_DROPPED;
	}
	if (note)
		*note = d.note;
	return EA_DECODE_OK;
}

/* ---- anomaly names ---- */

/* Keys are the enum names in lower case, made at compile time from the
 * X-macro list so the two can never drift apart: each name is padded with
 * NULs and lowered one character at a time. */
#define KEY_MAX 32
#define KEY_PAD "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
#define KEY_LC(s, i) ((char)((s KEY_PAD)[i] >= 'A' && (s KEY_PAD)[i] <= 'Z' \
				     ? (s KEY_PAD)[i] - 'A' + 'a' : (s KEY_PAD)[i]))
#define KEY_LC4(s, i) KEY_LC(s, i), KEY_LC(s, i + 1), KEY_LC(s, i + 2), KEY_LC(s, i + 3)
#define KEY_LC16(s, i) KEY_LC4(s, i), KEY_LC4(s, i + 4), KEY_LC4(s, i + 8), KEY_LC4(s, i + 12)

#define EA_X(name, text) _Static_assert(sizeof(#name) < KEY_MAX, "anomaly name too long: " #name);
EA_ANOMALY_LIST(EA_X)
#undef EA_X

static const char anomaly_keys[EA_ANOMALY_COUNT][KEY_MAX] = {
#define EA_X(name, text) {KEY_LC16(#name, 0), KEY_LC16(#name, 16)},
	EA_ANOMALY_LIST(EA_X)
#undef EA_X
};

static const char *const anomaly_texts[EA_ANOMALY_COUNT] = {
#define EA_X(name, text) text,
	EA_ANOMALY_LIST(EA_X)
#undef EA_X
};

const char *ea_anomaly_key(ea_anomaly a)
{
	return (unsigned)a < EA_ANOMALY_COUNT ? anomaly_keys[a] : "unknown";
}

bool ea_anomaly_is_event(ea_anomaly a)
{
	switch (a) {
	case EA_ANOMALY_SNAPLEN_PAYLOAD:
	case EA_ANOMALY_TRUNCATED_RECORD:
	case EA_ANOMALY_TS_BAD_FRACTION:
	case EA_ANOMALY_TS_OUT_OF_RANGE:
	case EA_ANOMALY_FRAGMENT_OVERLAP:
	case EA_ANOMALY_FRAGMENT_TINY:
	case EA_ANOMALY_FRAGMENT_INCOMPLETE:
	case EA_ANOMALY_FRAGMENT_LIMIT:
		return true;
	default:
		return false;
	}
}

const char *ea_anomaly_text(ea_anomaly a)
{
	return (unsigned)a < EA_ANOMALY_COUNT ? anomaly_texts[a] : "unknown anomaly";
}
