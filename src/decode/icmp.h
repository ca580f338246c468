/* icmp.h — ICMP and ICMPv6 message types by name, for people.
 *
 * A flow's ports are not ports for ICMP: following Community ID (see
 * packet.h) the initiator's "port" is the type it sent and the
 * responder's is the counterpart type of a request/reply pair, else the
 * code. Reports name the flow by the initiator's type ("echo request"),
 * never "icmp/0". Names from RFC 792, 950, 1256 (ICMP) and RFC 4443,
 * 4861, 2710/3810, 6275 (ICMPv6); IANA's registries for the rest.
 * Pipeline position: beside decode (the pairing gives ICMP flows their
 * Community ID "ports") and report (the names). Pure. */
#ifndef EA_ICMP_H
#define EA_ICMP_H

#include <stddef.h>
#include <stdint.h>

/* proto 1 (ICMP) or 58 (ICMPv6): the message type's name, e.g. "echo
 * request", "neighbor solicitation"; NULL for a type without one (or
 * another protocol). Static strings. */
const char *ea_icmp_type_name(uint8_t proto, unsigned type);

/* Community ID's request/reply counterpart of type (echo request 8 ↔
 * echo reply 0, …), or -1 for a one-way message. The pairs are exactly
 * those of the reference implementations (community-id.py, pycommunityid's
 * icmp.py and icmp6.py), not every pair the RFCs define: an extra pair
 * (Inverse ND 141/142, say) would give IDs no other monitor produces. */
int ea_icmp_counterpart(uint8_t proto, unsigned type);

/* A flow of proto 1 or 58 in words, from its initiator's and responder's
 * "ports": "echo request (type 8)", "destination unreachable (type 3,
 * code 1)" — the code only for one-way messages, where the responder's
 * port is the code; "type 200 (code 0)" for a type without a name.
 * Writes into buf (truncated to len) and returns it. */
const char *ea_icmp_describe(uint8_t proto, unsigned init_port, unsigned resp_port, char *buf,
			     size_t len);

#endif
