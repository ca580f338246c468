/* icmp_attach.c — joining an ICMP error to its quoted flow; see
 * icmp_attach.h. */
#include "engine/icmp_attach.h"

ea_icmp_attach_result ea_icmp_attach(ea_flow_table *t, const ea_packet *p, ea_flow **into)
{
	ea_icmp_quote q;
	ea_quote_result r = ea_icmp_quote_of_packet(p, &q);
	if (into)
		*into = NULL;
	if (r == EA_QUOTE_NOT_ERROR)
		return EA_ICMP_NOT_ERROR;
	if (r != EA_QUOTE_OK)
		return EA_ICMP_ORPHAN;
	/* An ICMP error about an IPv6 packet in an IPv4 one (or the reverse)
	 * was refused by the parser; the addresses here are comparable. */
	bool src_is_init;
	ea_flow *f = NULL;
	if (ea_addr_cmp(&q.src, &p->dst) == 0) {
		f = ea_flow_table_lookup(t, q.proto, &q.src, q.sport, &q.dst, q.dport, &src_is_init);
	} else if (q.ip_version == p->ip_version) {
		/* NAT that left the quote untranslated: the error's destination
		 * stands for the quoted sender. */
		f = ea_flow_table_lookup(t, q.proto, &p->dst, q.sport, &q.dst, q.dport, &src_is_init);
	}
	if (!f)
		return EA_ICMP_ORPHAN;
	/* The error goes to the quoted sender: from the other end. */
	ea_flow_table_count_icmp_error(t, f, p, src_is_init ? 1 : 0);
	if (into)
		*into = f;
	return EA_ICMP_ATTACHED;
}
