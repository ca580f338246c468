/* packet.h — one captured frame, as the decoder leaves it for the flow table.
 *
 * Everything points into the capture buffer; nothing is copied or owned.
 * Lengths are what was captured, never what a header claims. */
#ifndef EA_PACKET_H
#define EA_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "util/addr.h"

typedef enum {
	EA_IFACE_EXTERNAL = 0,
	EA_IFACE_INTERNAL = 1,
	EA_IFACE_COUNT
} ea_iface;

const char *ea_iface_name(ea_iface i); /* "external", "internal" */

/* Why a frame's ts_us is not the time its record gives. The capture
 * reader then uses the last valid time before it in the same file, so a
 * bad record can never move a flow outside the span the file really
 * covers; with no valid time before it, the frame has none (ts_known). */
typedef enum {
	EA_TS_OWN = 0,        /* ts_us is the record's own time */
	EA_TS_BAD_FRACTION,   /* the fraction field held a second or more */
	EA_TS_OUT_OF_RANGE,   /* before the epoch or after EA_MAX_TIME_US */
	EA_TS_ABSENT,         /* the record has no time (pcapng Simple Packet Block) */
} ea_ts_fault;

/* What the capture layer hands to the decoder. */
typedef struct {
	uint64_t ts_us;        /* packet timestamp, microseconds since the epoch,
				  0 … EA_MAX_TIME_US; 0 when !ts_known */
	ea_ts_fault ts_fault;  /* EA_TS_OWN, or why ts_us was substituted */
	bool ts_known;         /* false: no valid time yet in this file */
	uint32_t caplen;       /* bytes present in data */
	uint32_t wirelen;      /* bytes on the wire */
	int linktype;          /* LINKTYPE_* value of this frame's interface */
	const uint8_t *data;
	uint64_t number;       /* 1-based record number within its file */
} ea_frame;

typedef enum {
	EA_FRAG_NONE = 0,  /* not a fragment */
	EA_FRAG_FIRST,     /* offset 0, more to come: holds the transport header */
	EA_FRAG_LATER,     /* offset > 0: no L4 header; ports unknown */
} ea_frag_kind;

/* The decoded packet. For TCP and UDP sport/dport are the ports. For
 * ICMP and ICMPv6 they follow Community ID: sport = type, dport = the
 * counterpart type for request/reply pairs (so both halves share one flow
 * key), else the code. For other protocols both are 0. */
typedef struct {
	uint64_t ts_us;
	ea_addr src, dst;
	uint8_t ip_version;   /* 4 or 6 */
	uint8_t proto;        /* IP protocol number, after IPv6 extension headers */
	uint16_t sport, dport;
	bool icmp_oneway;     /* ICMP type without a counterpart (Community ID) */
	uint8_t tcp_flags;    /* TCP only */
	ea_frag_kind frag;
	uint32_t frag_id;     /* IPv4 identification or IPv6 fragment id */
	/* A fragment is decoded up to its IP headers only; these say where
	 * its data (payload) lies in its datagram, for frag.h. */
	uint32_t frag_offset; /* bytes from the start of the fragmentable part */
	bool frag_more;       /* MF / M: more fragments follow */
	uint32_t frag_hdr_len; /* bytes of l3 before the data: IPv4 header with options,
	                          or IPv6 header, extension headers and Fragment header */
	uint32_t frag_nh_at;  /* IPv6: offset in l3 of the Next Header field naming
	                         the Fragment header */

	/* A datagram rebuilt from fragments stands for all of them: the flow
	 * counts its frames, their IP bytes as they crossed the wire, and the
	 * first one's time. frag_frames 0: an ordinary packet (one frame,
	 * ip_len bytes, at ts_us). */
	uint32_t frag_frames;
	uint32_t frag_wire_bytes;
	uint64_t frag_first_us;

	/* The innermost IP packet (after any tunnel we strip), for nDPI. */
	const uint8_t *l3;
	uint32_t l3_len;      /* captured bytes from l3 on */
	uint32_t ip_len;      /* length the IP header claims for the whole packet */

	const uint8_t *payload;   /* L4 payload (captured part) */
	uint32_t payload_len;
} ea_packet;

#define EA_TCP_FIN 0x01
#define EA_TCP_SYN 0x02
#define EA_TCP_RST 0x04
#define EA_TCP_PSH 0x08
#define EA_TCP_ACK 0x10

#endif
