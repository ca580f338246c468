/* natcheck.h — the NAT requirement of an Edge with private addresses
 * (README, "The NAT requirement"): the NAT in front of the external NIC
 * must translate only the Edge's own address (1:1, destination NAT
 * inbound) and leave the caller's source address alone. A NAT that also
 * rewrites the source hides every remote caller behind one address: the
 * A/V Edge then answers the NAT instead of the client, and media to
 * remote users fails. The vendor's topology implies it (the Edge's
 * external addresses are public or 1:1 NATed); its port tables cannot
 * say it.
 *
 * A pure function of (matrix, site, flow record), called by the matcher
 * for every flow, beside the verdict and independent of it: a rewritten
 * source still fits every row whose caller is "any".
 * Pipeline position: flow → classify → match [natcheck] → store. */
#ifndef EA_NATCHECK_H
#define EA_NATCHECK_H

#include "engine/flowrec.h"
#include "rules/matrix.h"
#include "rules/site.h"

typedef enum {
	EA_NAT_NONE = 0,
	/* External NIC: from an address of the site's `[nat] inside` (the NAT
	 * device's own) to an address of an Edge role. */
	EA_NAT_SOURCE,
	/* External NIC: from a private address (util/addr.h,
	 * ea_addr_is_private) that no role of the site holds to a private
	 * address of an Edge role: the same fault, found without [nat]. */
	EA_NAT_PRIVATE_SOURCE,
	EA_NAT_KIND_COUNT
} ea_nat_kind;

/* "", "nat-source", "private-source": the finding's name in the
 * database (flows.nat_finding), EVE (edgeaudit.nat_finding), syslog
 * (MSGID and finding=) and the report. */
const char *ea_nat_kind_name(ea_nat_kind k);

/* The NAT finding of one flow: EA_NAT_NONE on the internal NIC, without
 * a site, or when the responder is no Edge address (site.h,
 * ea_site_is_edge_role). A flow the Edge opens toward the NAT device is no
 * finding (the NAT did not rewrite it), nor is ICMP/ICMPv6: the firewall
 * sends PMTU errors (RFC 1191, RFC 8201) and pings from its own address. */
ea_nat_kind ea_nat_check(const ea_matrix *m, const ea_site *s, const ea_flow_record *flow);

#endif
