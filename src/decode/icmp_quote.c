/* icmp_quote.c — reading the packet an ICMP/ICMPv6 error quotes; see
 * icmp_quote.h. IPv4 header: RFC 791 §3.1; IPv6 and its extension
 * headers: RFC 8200 §3-4, AH RFC 4302 §2.2; ports: RFC 9293, RFC 768,
 * RFC 9260 (each starts with source and destination port). */
#include "decode/icmp_quote.h"

#include <string.h>

#include "decode/icmp.h"
#include "util/cursor.h"
#include "util/ea_limits.h"
#include "util/ipproto.h"

bool ea_icmp_is_error(uint8_t proto, unsigned type)
{
	if (proto == EA_IPPROTO_ICMP)
		return type == 3 || type == 11 || type == 12;
	if (proto == EA_IPPROTO_ICMPV6)
		return type >= 1 && type <= 4;
	return false;
}

/* The quoted transport header: ports where the protocol has them, the
 * Community ID "ports" of a quoted ICMP query, nothing for the rest. */
static ea_quote_result quoted_l4(ea_cursor c, ea_icmp_quote *q)
{
	switch (q->proto) {
	case EA_IPPROTO_TCP:
	case EA_IPPROTO_UDP:
	case EA_IPPROTO_SCTP:
		q->sport = ea_cursor_be16(&c);
		q->dport = ea_cursor_be16(&c);
		return c.err ? EA_QUOTE_TRUNCATED : EA_QUOTE_OK;
	case EA_IPPROTO_ICMP:
	case EA_IPPROTO_ICMPV6: {
		uint8_t type = ea_cursor_u8(&c);
		uint8_t code = ea_cursor_u8(&c);
		if (c.err)
			return EA_QUOTE_TRUNCATED;
		if (ea_icmp_is_error(q->proto, type))
			return EA_QUOTE_ICMP_ERROR;
		int peer = ea_icmp_counterpart(q->proto, type);
		q->sport = type;
		q->dport = peer >= 0 ? (uint16_t)peer : code;
		q->icmp_oneway = peer < 0;
		return EA_QUOTE_OK;
	}
	default:
		return EA_QUOTE_OK; /* keyed on addresses alone, as decode.c does */
	}
}

static ea_quote_result quoted_ipv4(ea_cursor c, ea_icmp_quote *q)
{
	const uint8_t *start = ea_cursor_here(&c);
	size_t have = ea_cursor_remaining(&c);
	uint8_t vihl = ea_cursor_u8(&c);
	ea_cursor_skip(&c, 5); /* DSCP/ECN, total length, identification */
	uint16_t frag = ea_cursor_be16(&c);
	ea_cursor_skip(&c, 1); /* TTL */
	uint8_t proto = ea_cursor_u8(&c);
	ea_cursor_skip(&c, 2); /* checksum */
	uint8_t src[4], dst[4];
	ea_cursor_copy(&c, src, 4);
	ea_cursor_copy(&c, dst, 4);
	if (c.err)
		return have > 0 && start[0] >> 4 != 4 ? EA_QUOTE_BAD_VERSION : EA_QUOTE_TRUNCATED;
	if (vihl >> 4 != 4)
		return EA_QUOTE_BAD_VERSION;
	size_t hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < 20)
		return EA_QUOTE_MALFORMED;
	if (hlen > have)
		return EA_QUOTE_TRUNCATED;
	q->ip_version = 4;
	q->proto = proto;
	ea_addr_from_v4(&q->src, src);
	ea_addr_from_v4(&q->dst, dst);
	/* The total length is not checked: the quote is cut by design. */
	if (frag & 0x1fff)
		return EA_QUOTE_FRAGMENT;
	return quoted_l4(ea_cursor_make(start + hlen, have - hlen), q);
}

static ea_quote_result quoted_ipv6(ea_cursor c, ea_icmp_quote *q)
{
	const uint8_t *start = ea_cursor_here(&c);
	size_t have = ea_cursor_remaining(&c);
	uint32_t vtf = ea_cursor_be32(&c);
	ea_cursor_skip(&c, 2); /* payload length */
	uint8_t next = ea_cursor_u8(&c);
	ea_cursor_skip(&c, 1); /* hop limit */
	uint8_t src[16], dst[16];
	ea_cursor_copy(&c, src, 16);
	ea_cursor_copy(&c, dst, 16);
	if (c.err)
		return have > 0 && start[0] >> 4 != 6 ? EA_QUOTE_BAD_VERSION : EA_QUOTE_TRUNCATED;
	if (vtf >> 28 != 6)
		return EA_QUOTE_BAD_VERSION;
	q->ip_version = 6;
	ea_addr_from_v6(&q->src, src);
	ea_addr_from_v6(&q->dst, dst);
	for (unsigned n = 0;; n++) {
		size_t len;
		if (next == 0 || next == 43 || next == 60) { /* hop-by-hop, routing, destination */
			if (n >= EA_MAX_IPV6_EXT_HEADERS)
				return EA_QUOTE_MALFORMED;
			uint8_t nh = ea_cursor_u8(&c);
			len = ((size_t)ea_cursor_u8(&c) + 1) * 8;
			ea_cursor_skip(&c, len - 2);
			next = nh;
		} else if (next == 51) { /* AH: 32-bit words, minus 2 */
			if (n >= EA_MAX_IPV6_EXT_HEADERS)
				return EA_QUOTE_MALFORMED;
			uint8_t nh = ea_cursor_u8(&c);
			len = ((size_t)ea_cursor_u8(&c) + 2) * 4;
			ea_cursor_skip(&c, len - 2);
			next = nh;
		} else if (next == 44) { /* Fragment: offset(13) res(2) M(1), id */
			if (n >= EA_MAX_IPV6_EXT_HEADERS)
				return EA_QUOTE_MALFORMED;
			uint8_t nh = ea_cursor_u8(&c);
			ea_cursor_skip(&c, 1);
			uint16_t off_m = ea_cursor_be16(&c);
			ea_cursor_skip(&c, 4);
			if (c.err)
				return EA_QUOTE_TRUNCATED;
			q->proto = nh;
			if (off_m >> 3)
				return EA_QUOTE_FRAGMENT;
			next = nh;
		} else {
			break;
		}
		if (c.err)
			return EA_QUOTE_TRUNCATED;
	}
	q->proto = next;
	return quoted_l4(ea_cursor_make(ea_cursor_here(&c), ea_cursor_remaining(&c)), q);
}

ea_quote_result ea_icmp_quote_parse(uint8_t proto, uint8_t type, uint8_t code, const uint8_t *body,
				    size_t len, ea_icmp_quote *q)
{
	memset(q, 0, sizeof *q);
	q->type = type;
	q->code = code;
	if (!ea_icmp_is_error(proto, type))
		return EA_QUOTE_NOT_ERROR;
	ea_cursor c = ea_cursor_make(body, len);
	return proto == EA_IPPROTO_ICMP ? quoted_ipv4(c, q) : quoted_ipv6(c, q);
}

ea_quote_result ea_icmp_quote_of_packet(const ea_packet *p, ea_icmp_quote *q)
{
	memset(q, 0, sizeof *q);
	if (!ea_ipproto_is_icmp(p->proto) || p->frag == EA_FRAG_LATER || !p->icmp_oneway ||
	    !ea_icmp_is_error(p->proto, p->sport))
		return EA_QUOTE_NOT_ERROR;
	/* The decoder left ICMP's whole 8-byte header behind it, and ICMPv6's
	 * first 4: the 4 bytes of unused / MTU / pointer remain. */
	ea_cursor c = ea_cursor_make(p->payload, p->payload_len);
	if (p->proto == EA_IPPROTO_ICMPV6)
		ea_cursor_skip(&c, 4);
	if (c.err) {
		q->type = (uint8_t)p->sport;
		q->code = (uint8_t)p->dport;
		return EA_QUOTE_TRUNCATED;
	}
	return ea_icmp_quote_parse(p->proto, (uint8_t)p->sport, (uint8_t)p->dport, ea_cursor_here(&c),
				   ea_cursor_remaining(&c), q);
}

const char *ea_quote_result_name(ea_quote_result r)
{
	switch (r) {
	case EA_QUOTE_OK: return "ok";
	case EA_QUOTE_NOT_ERROR: return "not-error";
	case EA_QUOTE_TRUNCATED: return "truncated";
	case EA_QUOTE_BAD_VERSION: return "bad-version";
	case EA_QUOTE_MALFORMED: return "malformed";
	case EA_QUOTE_FRAGMENT: return "fragment";
	case EA_QUOTE_ICMP_ERROR: return "icmp-error";
	}
	return "unknown";
}
