/* dedup.h — suppression of SPAN duplicates: the same frame delivered twice.
 *
 * Pipeline position: capture → [dedup, one per interface] → decode.
 *
 * A switch's SPAN session that mirrors both the ingress and the egress of
 * a port (or of the two ports a frame crosses) hands the sensor each frame
 * twice, microseconds apart; one copy often carries a VLAN tag the session
 * added. Counted twice, every flow's packets and bytes double. A frame is
 * a duplicate here when an earlier frame of the same interface, among the
 * last EA_DEDUP_MAX_FRAMES kept ones and within the window (µs, either
 * side: merged captures may be out of order by a few µs), has the same
 * link type, the same wire length and the same captured bytes once the
 * outermost 802.1Q/802.1ad tag of an Ethernet frame is set aside (the tag
 * and its 4 bytes of wire length). Candidates are found by a seeded hash
 * and confirmed by comparing every captured byte, so a frame is never
 * dropped on a hash collision. A TCP retransmission differs in its IPv4
 * identification or TCP timestamp option, and a repeat outside the window
 * is kept: both are traffic, not mirroring.
 *
 * Memory is fixed when the table is made: EA_DEDUP_MAX_FRAMES entries and
 * EA_DEDUP_MAX_BYTES of frame copies (ea_limits.h); the oldest kept frame
 * gives way first, whichever bound is reached. No allocation per frame. */
#ifndef EA_DEDUP_H
#define EA_DEDUP_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/packet.h"
#include "util/error.h"

typedef struct ea_dedup ea_dedup;

/* window_us: the longest gap (µs) between two copies of a frame that
 * still makes the later one a duplicate; 0 = EA_DEDUP_WINDOW_US. seed:
 * the hash seed (unpredictable, so crafted frames cannot pile into one
 * bucket). EA_ERR_NOMEM. The caller owns *out (ea_dedup_free). */
ea_status ea_dedup_new(uint64_t window_us, uint64_t seed, ea_dedup **out, char *errbuf, size_t errlen);

/* True when frame is a copy of an earlier one (see above): the caller
 * drops it. Otherwise the frame is remembered (its bytes copied; the
 * caller keeps ownership of frame) and false is returned. *gap_us (may be
 * NULL) receives the time between the two copies when true. A frame
 * without a known time (ts_known false) or without bytes is never a
 * duplicate and is not remembered. */
bool ea_dedup_frame(ea_dedup *d, const ea_frame *frame, uint64_t *gap_us);

/* Frames found to be duplicates since the table was made. */
uint64_t ea_dedup_suppressed(const ea_dedup *d);

void ea_dedup_free(ea_dedup *d);

#endif
