/* decode.h — link layer, tunnels, IP and L4 headers → ea_packet.
 *
 * Pipeline position: source → [decode] → flow. Stateless and pure: the
 * decoder reads only the frame it is given, through bounds-checked
 * cursors (cursor.h), and either fills an ea_packet or names the anomaly
 * that stopped it. A malformed frame is data to count, never an error.
 *
 * Link types: Ethernet (with any stack of 802.1Q/802.1ad/QinQ tags, Cisco
 * VN-Tag and IEEE 802.1BR E-Tag as a fabric extender mirrors them, and
 * MPLS stacks),
 * Linux cooked SLL and SLL2, raw IP (DLT_RAW, LINKTYPE_IPV4/IPV6), BSD
 * loopback (DLT_NULL, DLT_LOOP), PPPoE session frames.
 * Tunnels stripped so the inner traffic is audited: ERSPAN type II and III
 * (GRE protocol 0x88BE / 0x22EB), GRE transparent Ethernet bridging
 * (0x6558), GRE carrying IPv4/IPv6 directly is kept as a GRE flow of its
 * own (it is traffic between the tunnel endpoints). */
#ifndef EA_DECODE_H
#define EA_DECODE_H

#include "decode/packet.h"

/* Why a frame could not be decoded, or what was odd about it. Stored per
 * run and printed in reports: an auditor discloses what it did not parse. */
#define EA_ANOMALY_LIST(X)                                              \
	X(UNSUPPORTED_LINKTYPE, "unsupported link type")                \
	X(TRUNCATED_LINK, "truncated link-layer header")                \
	X(TOO_MANY_VLAN_TAGS, "too many VLAN, VN-Tag or E-Tag tags")   \
	X(TOO_MANY_MPLS_LABELS, "too many MPLS labels")                 \
	X(NON_IP, "not IP (ARP, LLDP, STP, ...)")                       \
	X(TRUNCATED_IP, "truncated IP header")                          \
	X(BAD_IP_VERSION, "IP version field does not match")            \
	X(BAD_IP_HEADER_LENGTH, "IP header length field invalid")       \
	X(BAD_IP_TOTAL_LENGTH, "IP total length shorter than header")   \
	X(TOO_MANY_EXT_HEADERS, "too many IPv6 extension headers")      \
	X(TRUNCATED_EXT_HEADER, "truncated IPv6 extension header")      \
	X(TRUNCATED_TCP, "truncated TCP header")                        \
	X(BAD_TCP_OFFSET, "TCP data offset invalid")                    \
	X(TRUNCATED_UDP, "truncated UDP header")                        \
	X(BAD_UDP_LENGTH, "UDP length field invalid")                   \
	X(TRUNCATED_ICMP, "truncated ICMP header")                      \
	X(TRUNCATED_TUNNEL, "truncated GRE/ERSPAN header")              \
	X(UNSUPPORTED_TUNNEL, "unsupported GRE/ERSPAN variant")         \
	X(TOO_DEEP_ENCAP, "tunnels nested too deeply")                  \
	X(SNAPLEN_PAYLOAD, "payload cut by the capture snaplen")        \
	X(FRAGMENT_UNATTRIBUTED, "IP fragment whose first fragment was not seen") \
	X(TRUNCATED_RECORD, "capture file ends inside a record")        \
	X(TS_BAD_FRACTION, "timestamp fraction of a second out of range (previous valid time used)") \
	X(TS_OUT_OF_RANGE, "timestamp before 1970 or after 9999 (previous valid time used)") \
	X(UNTIMED_FRAME, "frame with no valid time before it in its file (not decoded)") \
	X(TRUNCATED_SCTP, "truncated SCTP common header")               \
	X(FRAGMENT_INVALID, "IP fragment with an impossible offset or length") \
	X(FRAGMENT_OVERLAP, "overlapping IP fragments disagree (first kept)") \
	X(FRAGMENT_TINY, "fragment splits or overlaps the transport header") \
	X(FRAGMENT_INCOMPLETE, "fragmented datagram given up incomplete") \
	X(FRAGMENT_LIMIT, "fragment reassembly limit reached")

typedef enum {
#define EA_X(name, text) EA_ANOMALY_##name,
	EA_ANOMALY_LIST(EA_X)
#undef EA_X
	EA_ANOMALY_COUNT
} ea_anomaly;

const char *ea_anomaly_key(ea_anomaly a);  /* "truncated_tcp" */
const char *ea_anomaly_text(ea_anomaly a); /* "truncated TCP header" */

typedef enum {
	EA_DECODE_OK = 0,     /* pkt filled; *note may still name a soft anomaly */
	EA_DECODE_DROPPED,    /* *note names why; pkt undefined */
} ea_decode_result;

/* Anomalies counted as events beside a frame's fate: the frame was still
 * decoded, or is counted under another reason. Every other anomaly is the
 * one reason a frame (or the fragments of a datagram) was not decoded. */
bool ea_anomaly_is_event(ea_anomaly a);

/* Decodes one frame. On EA_DECODE_OK, pkt is filled and *note is
 * EA_ANOMALY_COUNT unless something soft was seen (e.g. SNAPLEN_PAYLOAD:
 * the headers are whole but the payload is cut). On EA_DECODE_DROPPED,
 * *note says why. Never reads outside frame->data[0..caplen).
 * An IP fragment (pkt->frag != EA_FRAG_NONE) is read up to its IP
 * headers only: pkt->frag_* say where its data (pkt->payload) lies in
 * its datagram, for the reassembler (frag.h); ports and flags stay 0. */
ea_decode_result ea_decode(const ea_frame *frame, ea_packet *pkt, ea_anomaly *note);

/* Decodes a datagram the reassembler rebuilt (ip[0..caplen) from its IP
 * header on), through the same layers as ea_decode. A header that still
 * says "first fragment" is the start of a datagram whose rest never came:
 * its transport header is read from what arrived. A fragment found inside
 * it (behind a tunnel) is a fragment again, for the reassembler. */
ea_decode_result ea_decode_reassembled(const uint8_t *ip, uint32_t caplen, uint64_t ts_us, ea_packet *pkt,
				       ea_anomaly *note);

#endif
