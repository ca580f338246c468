/* direction.c — initiator inference; see direction.h for the reasoning. */
#include "engine/direction.h"

#include <string.h>

#include "util/addr.h"
#include "util/ipproto.h"
#include "engine/payload_check.h"

/* RFC 6335 §6: System Ports 0-1023, User (registered) Ports 1024-49151,
 * Dynamic and/or Private Ports 49152-65535. */
#define IANA_USER_PORT_LO 1024u
#define IANA_USER_PORT_HI 49151u

/* ICMPv6 Neighbor Advertisement flags (RFC 4861 §4.4): the first byte of
 * the message body; S ("solicited") marks an answer to a solicitation. */
#define ND_NA_TYPE 136u
#define ND_NA_FLAG_SOLICITED 0x40u

static void raise_rank(ea_port_ranks *r, uint8_t transport, uint16_t lo, uint16_t hi)
{
	uint8_t *t = transport == EA_IPPROTO_TCP ? r->tcp : transport == EA_IPPROTO_UDP ? r->udp : NULL;
	if (!t)
		return;
	uint8_t rank = lo == hi ? EA_PORT_DOCUMENTED : EA_PORT_IN_RANGE;
	for (uint32_t p = lo; p <= hi; p++)
		if (t[p] < rank)
			t[p] = rank;
}

void ea_port_ranks_build(ea_port_ranks *r, const ea_matrix *m, const ea_portsigs *ps)
{
	memset(r, 0, sizeof *r);
	for (uint32_t p = 1; p < IANA_USER_PORT_LO; p++)
		r->tcp[p] = r->udp[p] = EA_PORT_PRIVILEGED;
	for (uint32_t p = IANA_USER_PORT_LO; p <= IANA_USER_PORT_HI; p++)
		r->tcp[p] = r->udp[p] = EA_PORT_REGISTERED;
	for (unsigned i = 0; m && i < m->n_rules; i++)
		raise_rank(r, m->rules[i].transport, m->rules[i].port_lo, m->rules[i].port_hi);
	for (unsigned i = 0; ps && i < ps->n; i++)
		raise_rank(r, ps->sigs[i].transport, ps->sigs[i].lo, ps->sigs[i].hi);
	r->sigs = ps;
}

ea_port_kind ea_port_rank(const ea_port_ranks *r, uint8_t transport, uint16_t port)
{
	if (transport == EA_IPPROTO_TCP)
		return (ea_port_kind)r->tcp[port];
	if (transport == EA_IPPROTO_UDP)
		return (ea_port_kind)r->udp[port];
	return EA_PORT_UNKNOWN;
}

/* ICMP messages that only ever answer another: seen first, they name the
 * other side as the initiator. Community ID pairs more types than these
 * (decode.c), but a pair is not always a question and its answer: routers
 * advertise unasked (ICMP 9, RFC 1256; ICMPv6 134, RFC 4861 §6.2.4),
 * hosts report multicast listening unasked (131, RFC 2710 §4), and a
 * neighbour advertisement answers only when its S flag says so (136,
 * RFC 4861 §4.4 and §7.2.6). Those are sent by their initiator. */
static bool is_icmp_reply(const ea_packet *p)
{
	uint16_t type = p->sport;
	if (p->icmp_oneway)
		return false;
	if (p->proto == EA_IPPROTO_ICMP) /* echo, timestamp, information, address mask replies */
		return type == 0 || type == 14 || type == 16 || type == 18;
	if (p->proto != EA_IPPROTO_ICMPV6)
		return false;
	if (type == ND_NA_TYPE)
		return p->payload && p->payload_len >= 1 && (p->payload[0] & ND_NA_FLAG_SOLICITED);
	/* echo reply; node information reply (RFC 4620 §4); home agent
	 * address discovery reply (RFC 6275 §6.6) */
	return type == 129 || type == 140 || type == 145;
}

/* The first packet carries a payload that the range's expected protocols
 * do not: true when the signature of port lists protocols we can check and
 * none of those checks accepts it. No payload, or no checkable protocol,
 * leaves the range's weight alone. */
static bool payload_denies_range(const ea_port_ranks *r, const ea_packet *p, uint16_t port)
{
	if (!p->payload || p->payload_len == 0 || !r->sigs)
		return false;
	const ea_port_sig *sig = ea_portsigs_lookup(r->sigs, p->proto, port);
	bool checkable = false;
	for (unsigned i = 0; sig && i < sig->n_protocols; i++) {
		const ea_payload_check *chk = ea_payload_check_for(sig->protocols[i]);
		if (!chk)
			continue;
		if (chk->check(p->payload, p->payload_len, p->proto))
			return false;
		checkable = true;
	}
	return checkable;
}

/* A port's weight as responder evidence; see direction.h for the order. */
static unsigned weight(const ea_port_ranks *r, const ea_packet *p, uint16_t port)
{
	switch (ea_port_rank(r, p->proto, port)) {
	case EA_PORT_DOCUMENTED: return 4;
	case EA_PORT_PRIVILEGED: return 3;
	case EA_PORT_IN_RANGE: return payload_denies_range(r, p, port) ? 1 : 2;
	case EA_PORT_REGISTERED: return 1;
	case EA_PORT_UNKNOWN: break;
	}
	return 0;
}

void ea_direction_infer(const ea_port_ranks *r, const ea_packet *first,
			bool *sender_is_initiator, ea_direction_source *how)
{
	*sender_is_initiator = true;
	*how = EA_DIR_FIRST_PACKET;

	if (first->proto == EA_IPPROTO_TCP && first->frag != EA_FRAG_LATER && (first->tcp_flags & EA_TCP_SYN)) {
		*sender_is_initiator = !(first->tcp_flags & EA_TCP_ACK);
		*how = EA_DIR_SYN;
		return;
	}
	/* A multicast group or a broadcast address never sends (RFC 1112
	 * §4, RFC 4291 §2.7): whatever the ports say, the sender opened it. */
	if (!ea_addr_is_unicast(&first->dst))
		return;
	if (is_icmp_reply(first)) {
		/* An echo reply seen before its request: the ICMP type is the
		 * "port" (Community ID) that decides. */
		*sender_is_initiator = false;
		*how = EA_DIR_PORT;
		return;
	}
	/* Whenever the ports' weights differ they decide, for TCP and UDP
	 * alike (even when they agree with the first packet): "port" then
	 * says the direction rests on the port, "first-packet" that nothing
	 * but arrival order was there to go on. */
	unsigned src_w = weight(r, first, first->sport);
	unsigned dst_w = weight(r, first, first->dport);
	if (src_w != dst_w) {
		*sender_is_initiator = dst_w > src_w;
		*how = EA_DIR_PORT;
	}
}
