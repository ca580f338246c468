/* direction.c — initiator inference; see direction.h for the reasoning. */
#include "direction.h"

#include <string.h>

enum { RANK_UNKNOWN = 0, RANK_IN_RANGE = 1, RANK_PRIVILEGED = 2, RANK_DOCUMENTED = 3 };

static void raise_rank(ea_port_ranks *r, uint8_t transport, uint16_t lo, uint16_t hi)
{
	uint8_t *t = transport == 6 ? r->tcp : transport == 17 ? r->udp : NULL;
	if (!t)
		return;
	uint8_t rank = lo == hi ? RANK_DOCUMENTED : RANK_IN_RANGE;
	for (uint32_t p = lo; p <= hi; p++)
		if (t[p] < rank)
			t[p] = rank;
}

void ea_port_ranks_build(ea_port_ranks *r, const ea_matrix *m, const ea_portsigs *ps)
{
	memset(r, 0, sizeof *r);
	for (uint32_t p = 1; p < 1024; p++)
		r->tcp[p] = r->udp[p] = RANK_PRIVILEGED;
	for (unsigned i = 0; m && i < m->n_rules; i++)
		raise_rank(r, m->rules[i].transport, m->rules[i].port_lo, m->rules[i].port_hi);
	for (unsigned i = 0; ps && i < ps->n; i++)
		raise_rank(r, ps->sigs[i].transport, ps->sigs[i].lo, ps->sigs[i].hi);
}

uint8_t ea_port_rank(const ea_port_ranks *r, uint8_t transport, uint16_t port)
{
	if (transport == 6)
		return r->tcp[port];
	if (transport == 17)
		return r->udp[port];
	return RANK_UNKNOWN;
}

/* ICMP types that answer another (Community ID's request/reply pairs): a
 * flow whose first packet is one of these started before the capture. */
static bool is_icmp_reply(uint8_t proto, uint16_t type)
{
	if (proto == 1)
		return type == 0 || type == 9 || type == 14 || type == 16 || type == 18;
	if (proto == 58)
		return type == 129 || type == 131 || type == 134 || type == 136 || type == 140 ||
		       type == 145;
	return false;
}

void ea_direction_infer(const ea_port_ranks *r, const ea_packet *first,
			bool *sender_is_initiator, ea_direction_source *how)
{
	*sender_is_initiator = true;
	*how = EA_DIR_FIRST_PACKET;

	if (first->proto == 6 && first->frag != EA_FRAG_LATER && (first->tcp_flags & EA_TCP_SYN)) {
		*sender_is_initiator = !(first->tcp_flags & EA_TCP_ACK);
		*how = EA_DIR_SYN;
		return;
	}
	if (!first->icmp_oneway && is_icmp_reply(first->proto, first->sport)) {
		/* An echo reply seen before its request: the ICMP type is the
		 * "port" (Community ID) that decides. */
		*sender_is_initiator = false;
		*how = EA_DIR_PORT;
		return;
	}
	/* Whenever the ports' ranks differ they decide, for TCP and UDP alike
	 * (even when they agree with the first packet): "port" then says
	 * the direction rests on the port, "first-packet" that nothing but
	 * arrival order was there to go on. */
	uint8_t src_rank = ea_port_rank(r, first->proto, first->sport);
	uint8_t dst_rank = ea_port_rank(r, first->proto, first->dport);
	if (src_rank != dst_rank) {
		*sender_is_initiator = dst_rank > src_rank;
		*how = EA_DIR_PORT;
	}
}
