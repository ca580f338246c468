/* natcheck.c — the NAT finding of one flow; see natcheck.h for why.
 *
 * At most a few dozen prefix tests per flow (the Edge roles, the NAT's
 * inside addresses, and for a private caller every role), on the external
 * NIC only. Pipeline position: match. */
#include "rules/natcheck.h"

#include "util/ipproto.h"

const char *ea_nat_kind_name(ea_nat_kind k)
{
	switch (k) {
	case EA_NAT_NONE: return "";
	case EA_NAT_SOURCE: return "nat-source";
	case EA_NAT_PRIVATE_SOURCE: return "private-source";
	case EA_NAT_KIND_COUNT: break;
	}
	return "";
}

ea_nat_kind ea_nat_check(const ea_matrix *m, const ea_site *s, const ea_flow_record *flow)
{
	if (!m || !s || flow->iface != EA_IFACE_EXTERNAL)
		return EA_NAT_NONE;
	/* The NAT device itself sends ICMP (PMTU errors such as 3/4, RFC
	 * 1191; pings) from its inside address: that is no rewritten source. */
	if (ea_ipproto_is_icmp(flow->transport))
		return EA_NAT_NONE;
	if (ea_site_edge_role(s, m, &flow->resp_addr) < 0)
		return EA_NAT_NONE;
	for (unsigned i = 0; i < s->nat.n_inside; i++)
		if (ea_prefix_contains(&s->nat.inside[i], &flow->init_addr))
			return EA_NAT_SOURCE;
	/* A private caller the site declares (a role set to a private
	 * address: a partner over a private link, the Edge's own other
	 * address) is expected there; the lab's remote hosts and a 1:1
	 * NAT's callers keep their public addresses. */
	if (ea_addr_is_private(&flow->resp_addr) && ea_addr_is_private(&flow->init_addr) &&
	    !ea_site_any_role_contains(s, &flow->init_addr))
		return EA_NAT_PRIVATE_SOURCE;
	return EA_NAT_NONE;
}
