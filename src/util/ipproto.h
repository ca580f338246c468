/* ipproto.h — IP protocol numbers and what each puts in a flow key.
 *
 * One place decides which transports carry ports, so the decoder, the
 * fragment reassembler and the Community ID can never disagree about a
 * flow's key. The list is Community ID v1's
 * (https://github.com/corelight/community-id-spec): TCP, UDP and SCTP
 * are keyed on their ports; ICMP and ICMPv6 on type and code in the
 * ports' place; every other protocol on the addresses alone. DCCP (33)
 * has ports too, but the specification hashes it without them, so a
 * flow key with DCCP ports would give an ID no other monitor computes. */
#ifndef EA_IPPROTO_H
#define EA_IPPROTO_H

#include <stdbool.h>
#include <stdint.h>

enum {
	EA_IPPROTO_ICMP = 1,
	EA_IPPROTO_TCP = 6,
	EA_IPPROTO_UDP = 17,
	EA_IPPROTO_GRE = 47,
	EA_IPPROTO_ICMPV6 = 58,
	EA_IPPROTO_SCTP = 132,
};

/* Transports whose flow key has a source and a destination port. */
static inline bool ea_ipproto_has_ports(uint8_t proto)
{
	return proto == EA_IPPROTO_TCP || proto == EA_IPPROTO_UDP || proto == EA_IPPROTO_SCTP;
}

static inline bool ea_ipproto_is_icmp(uint8_t proto)
{
	return proto == EA_IPPROTO_ICMP || proto == EA_IPPROTO_ICMPV6;
}

/* True when the flow key needs bytes of the transport header (ports, or
 * ICMP type and code): a packet of such a protocol without that header
 * (an IP fragment other than the first) cannot be given its flow. */
static inline bool ea_ipproto_keyed_on_l4(uint8_t proto)
{
	return ea_ipproto_has_ports(proto) || ea_ipproto_is_icmp(proto);
}

/* Bytes of the transport's fixed header, which the decoder needs whole
 * (RFC 9293 TCP 20, RFC 768 UDP 8, RFC 9260 SCTP common header 12,
 * RFC 792 ICMP 8, RFC 4443 ICMPv6 4); 0 for the others. A first fragment
 * shorter than this splits the header: RFC 1858's tiny fragment. */
static inline unsigned ea_ipproto_l4_header_min(uint8_t proto)
{
	switch (proto) {
	case EA_IPPROTO_TCP: return 20;
	case EA_IPPROTO_UDP: return 8;
	case EA_IPPROTO_SCTP: return 12;
	case EA_IPPROTO_ICMP: return 8;
	case EA_IPPROTO_ICMPV6: return 4;
	default: return 0;
	}
}

#endif
