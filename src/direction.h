/* direction.h — who opened a flow, decided from its first packet.
 *
 * The sender of a TCP SYN is the initiator (the receiver of a SYN-ACK).
 * Without a handshake (the capture started mid-flow, or UDP), the side
 * whose port is better known is the responder: a port documented on its
 * own by the matrix or a port signature beats a privileged port, which
 * beats a port inside a documented range (Linux's ephemeral ports fall in
 * Lync's 50000-59999 media range, so a range is weak evidence). On a tie
 * the first packet's sender is the initiator. An ICMP reply (echo reply,
 * neighbour advertisement, ...) seen first names the other side.
 * Pipeline position: a helper of the flow table. Pure after setup. */
#ifndef EA_DIRECTION_H
#define EA_DIRECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "flowrec.h"
#include "matrix.h"
#include "packet.h"
#include "portsig.h"

typedef struct {
	uint8_t tcp[65536];  /* port rank, 0 (unknown) to 3 (documented single port) */
	uint8_t udp[65536];
} ea_port_ranks;

/* Fills ranks from the matrix's rows and the port signatures. */
void ea_port_ranks_build(ea_port_ranks *r, const ea_matrix *m, const ea_portsigs *ps);
uint8_t ea_port_rank(const ea_port_ranks *r, uint8_t transport, uint16_t port);

/* Decides from the first packet of a flow: *sender_is_initiator and how. */
void ea_direction_infer(const ea_port_ranks *r, const ea_packet *first,
			bool *sender_is_initiator, ea_direction_source *how);

#endif
