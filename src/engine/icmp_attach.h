/* icmp_attach.h — an ICMP error joins the flow it quotes.
 *
 * A port unreachable, a packet too big, a time exceeded or a parameter
 * problem is about one packet of a flow (icmp_quote.h). Counted as an
 * ICMP flow of its own it would be an "unexpected ICMP" finding on every
 * Edge that ever sent a datagram to a closed port; it is instead counted
 * on the flow it quotes (packets, bytes, icmp_errors, last type/code).
 * An error whose quoted flow is not in the table (never seen, or already
 * ended and written: see README, "ICMP errors") stays a flow of its own,
 * marked as an orphan.
 *
 * Who the quote names: the quoted packet went from its sender to the
 * quoted destination, so the error travels to the quoted source. The
 * quoted tuple is looked up as is (a NAT that translates ICMP errors, as
 * Linux conntrack does, rewrites the quote too). When it is not found and
 * the quoted source is not the error's destination, the quote carries the
 * sender's address from the other side of a NAT that left the quote
 * alone; it is looked up again with the error's destination in its
 * place. An error is never joined to a flow it does not reach: the
 * flow's endpoint on the error's destination side must be the quoted
 * sender (or stand for it, in the NAT case).
 * Pipeline position: decode → [icmp_attach] → flow table (engine.c). */
#ifndef EA_ICMP_ATTACH_H
#define EA_ICMP_ATTACH_H

#include <stdbool.h>

#include "decode/icmp_quote.h"
#include "decode/packet.h"
#include "engine/flow.h"

typedef enum {
	EA_ICMP_NOT_ERROR = 0, /* not an ICMP error: an ordinary packet */
	EA_ICMP_ATTACHED,      /* counted on the flow it quotes */
	EA_ICMP_ORPHAN,        /* an error no open flow matches: it needs a flow of its own */
} ea_icmp_attach_result;

/* If p is an ICMP/ICMPv6 error whose quote names an open flow of t,
 * counts it there (ea_flow_table_count_icmp_error) and returns
 * EA_ICMP_ATTACHED; *into (may be NULL) gets that flow. An error that
 * names none (unknown flow, unreadable quote, an error about an error)
 * is EA_ICMP_ORPHAN and left for the caller; anything else
 * EA_ICMP_NOT_ERROR. */
ea_icmp_attach_result ea_icmp_attach(ea_flow_table *t, const ea_packet *p, ea_flow **into);

#endif
