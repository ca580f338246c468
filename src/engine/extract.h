/* extract.h — finds the frames of given flows in a capture file again,
 * for `edgeaudit evidence`.
 *
 * Pipeline position: capture → [extract] → capture/pcapwrite.h, beside
 * the engine: the frames go through what `read` put them through (the
 * run's BPF filter, SPAN duplicate suppression, decode, IP fragment
 * reassembly), so the frames found are those the flow counted:
 *   - a frame whose decoded packet has the flow's transport and its
 *     endpoints in either direction (ICMP: type and counterpart as the
 *     flow key holds them), timed within the flow's first and last
 *     packet (µs, inclusive): flows of one 5-tuple in one capture are
 *     told apart by time, as the flow table ended one and began the next;
 *   - every fragment of an IP datagram whose reassembled packet is such
 *     a packet (frag.h), the fragments that came before the first one
 *     included; a datagram fragmented inside a tunnel is not followed
 *     into its outer frames;
 *   - never a frame without a usable time, a SPAN duplicate the run
 *     suppressed (the run's duplicates_kept off), or a frame its filter
 *     did not pass: the audit did not count them either.
 * Two passes over the file: ea_extract_scan finds the frames,
 * ea_extract_copy reads the file again and hands them over in file
 * order, so nothing but a frame number and a flow index is held per
 * frame. */
#ifndef EA_EXTRACT_H
#define EA_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/dedup.h"
#include "capture/source.h"
#include "decode/packet.h"
#include "util/addr.h"
#include "util/error.h"

/* A flow as stored: its key and the time of its first and last packet. */
typedef struct {
	uint8_t transport;
	ea_addr initiator, responder;
	uint16_t initiator_port, responder_port;
	uint64_t first_us, last_us;
} ea_extract_flow;

/* One frame found: its record number in the file (1-based), the flow it
 * belongs to (index into the flows given), its link type and length. */
typedef struct {
	uint64_t number;
	size_t flow;
	int linktype;
	uint32_t caplen;
} ea_extract_hit;

typedef struct {
	ea_extract_hit *hits;  /* ordered by number; owned (ea_extract_free) */
	size_t n_hits;
	uint64_t frames;       /* records read */
} ea_extract_result;

/* Reads the capture at path and finds the frames of flows[0..n_flows).
 * filter: the run's (NULL = none); dedup: the suppression table of the
 * run's interface, shared by its captures in the order it read them (NULL
 * when the run kept duplicates). Errors: those of ea_source_open_file and
 * of reading ("path: record N: reason"; a file cut inside its last
 * record is read to there, as `read` did), EA_ERR_NOMEM. The caller owns
 * res (ea_extract_free), filled on EA_OK only. */
ea_status ea_extract_scan(const char *path, const ea_extract_flow *flows, size_t n_flows, ea_filter *filter,
			  ea_dedup *dedup, ea_extract_result *res, char *errbuf, size_t errlen);

/* Reads the capture at path again and calls sink with each frame of res,
 * in file order (frame valid during the call only). A sink's error
 * stops the copy and is returned; EA_ERR_FORMAT when the file no longer
 * holds a frame res names (it changed between the passes). */
typedef ea_status (*ea_extract_sink)(void *ctx, const ea_frame *frame, const ea_extract_hit *hit, char *errbuf,
				     size_t errlen);
ea_status ea_extract_copy(const char *path, const ea_extract_result *res, ea_extract_sink sink, void *ctx,
			  char *errbuf, size_t errlen);

void ea_extract_free(ea_extract_result *res);

#endif
