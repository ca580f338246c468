/* direction.h — who opened a flow, decided from its first packet.
 *
 * The sender of a TCP SYN is the initiator (the receiver of a SYN-ACK).
 * A packet to a multicast or broadcast address comes from the initiator:
 * a group never sends. Without a handshake (the capture started mid-flow,
 * or UDP), the side whose port weighs more is the responder:
 *   documented on its own by the matrix or a port signature
 *   > privileged (1-1023)
 *   > inside a documented range
 *   > an IANA registered port (1024-49151, RFC 6335 §6)
 *   > anything else (the dynamic range 49152-65535).
 * Lync's media range 50000-59999 lies inside every common ephemeral range
 * (Linux 32768-60999, Windows 49152-65535), so a port in a documented
 * range is weak evidence: when the first packet carries a payload that
 * none of the range's expected protocols' payload checks accept (Geneve
 * from an ephemeral port that happens to be 50525), the range's port
 * weighs no more than a registered port. On a tie the first packet's
 * sender is the initiator. An ICMP reply (echo reply, a solicited
 * neighbour advertisement, ...) seen first names the other side; an
 * unsolicited message (router advertisement, unsolicited neighbour
 * advertisement, listener report, redirect) is sent by its initiator.
 * Pipeline position: a helper of the flow table. Pure after setup. */
#ifndef EA_DIRECTION_H
#define EA_DIRECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/flowrec.h"
#include "rules/matrix.h"
#include "decode/packet.h"
#include "rules/portsig.h"

/* What a port is known as, weakest first (see above for the order). */
typedef enum {
	EA_PORT_UNKNOWN = 0,    /* 0 and the dynamic range, documented nowhere */
	EA_PORT_REGISTERED,     /* IANA user port 1024-49151, documented nowhere */
	EA_PORT_IN_RANGE,       /* inside a documented range */
	EA_PORT_PRIVILEGED,     /* 1-1023, not documented on its own */
	EA_PORT_DOCUMENTED,     /* documented on its own */
} ea_port_kind;

typedef struct {
	uint8_t tcp[65536];  /* ea_port_kind per port */
	uint8_t udp[65536];
	const ea_portsigs *sigs; /* for the payload checks of a range; not owned */
} ea_port_ranks;

/* Fills ranks from the matrix's rows and the port signatures; ps (may be
 * NULL) must outlive r. */
void ea_port_ranks_build(ea_port_ranks *r, const ea_matrix *m, const ea_portsigs *ps);
ea_port_kind ea_port_rank(const ea_port_ranks *r, uint8_t transport, uint16_t port);

/* Decides from the first packet of a flow: *sender_is_initiator and how.
 * Reads only first's fields and first->payload[0..payload_len). */
void ea_direction_infer(const ea_port_ranks *r, const ea_packet *first,
			bool *sender_is_initiator, ea_direction_source *how);

#endif
