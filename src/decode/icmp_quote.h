/* icmp_quote.h — the packet an ICMP or ICMPv6 error quotes.
 *
 * An error (destination unreachable, packet too big, time exceeded,
 * parameter problem) carries the start of the packet that caused it: the
 * IP header and at least the first 8 bytes of its transport header
 * (RFC 792; RFC 1812 §4.3.2.3 lets a router quote more, RFC 4443 §2.4(c)
 * as much as fits in 1280 bytes). That quote names the flow the error
 * belongs to. It is read as hostile bytes: it may be cut short, claim
 * lengths it does not have, be a fragment, or quote another error.
 * Pipeline position: beside decode (it reads an ea_packet's payload);
 * engine/icmp_attach.c uses it to join an error to its flow. Pure. */
#ifndef EA_ICMP_QUOTE_H
#define EA_ICMP_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/packet.h"
#include "util/addr.h"

typedef enum {
	EA_QUOTE_OK = 0,       /* the quoted flow's tuple is in the ea_icmp_quote */
	EA_QUOTE_NOT_ERROR,    /* not an ICMP/ICMPv6 error message: it quotes nothing */
	EA_QUOTE_TRUNCATED,    /* too short for the quoted IP header or the 4 bytes of ports */
	EA_QUOTE_BAD_VERSION,  /* ICMP quoting other than IPv4, ICMPv6 other than IPv6 */
	EA_QUOTE_MALFORMED,    /* an IPv4 header length under 20, too many IPv6 extension headers */
	EA_QUOTE_FRAGMENT,     /* quotes a fragment after the first: no transport header, no ports */
	/* quotes an ICMP error: no host sends an error about an error
	 * (RFC 1122 §3.2.2, RFC 4443 §2.4(e)), so this one is forged or
	 * broken, and is never joined to anything (no recursion either) */
	EA_QUOTE_ICMP_ERROR,
} ea_quote_result;

/* The quoted packet as its sender sent it: src → dst, with ports (or,
 * for a quoted ICMP query, the Community ID "ports" of packet.h). */
typedef struct {
	uint8_t type, code;    /* of the error message itself */
	uint8_t ip_version;    /* of the quoted packet: 4 or 6 */
	uint8_t proto;         /* quoted IP protocol, after IPv6 extension headers */
	ea_addr src, dst;
	uint16_t sport, dport; /* 0 for protocols without ports (as decode.c) */
	bool icmp_oneway;      /* a quoted one-way ICMP message (packet.h) */
} ea_icmp_quote;

/* True for the error types that quote a packet: ICMP 3, 11, 12 (RFC 792)
 * and ICMPv6 1, 2, 3, 4 (RFC 4443 §3). proto is 1 or 58; anything else
 * is false. */
bool ea_icmp_is_error(uint8_t proto, unsigned type);

/* Reads the quote of one error message. body is the message after its
 * 8-byte header (type, code, checksum and the 4 bytes of unused / MTU /
 * pointer, RFC 792 and RFC 4443 §3), len its captured bytes; proto is the
 * carrying protocol (1 or 58), type and code the error's. Fills q and
 * returns EA_QUOTE_OK, or says why the quote names no flow (q then holds
 * what was read). Reads nothing outside body[0..len). */
ea_quote_result ea_icmp_quote_parse(uint8_t proto, uint8_t type, uint8_t code, const uint8_t *body,
				    size_t len, ea_icmp_quote *q);

/* The same for a decoded packet (decode.h: for ICMP sport is the type,
 * dport the code of a one-way message; payload follows the first 8
 * bytes of ICMP, the first 4 of ICMPv6). EA_QUOTE_NOT_ERROR for anything
 * but an ICMP/ICMPv6 error. */
ea_quote_result ea_icmp_quote_of_packet(const ea_packet *p, ea_icmp_quote *q);

/* "ok", "not-error", "truncated", "bad-version", "malformed", "fragment",
 * "icmp-error": for tests and logs. */
const char *ea_quote_result_name(ea_quote_result r);

#endif
