/* frag.h — IP fragment reassembly (IPv4 and IPv6), one table per interface.
 *
 * Pipeline position: decode → [frag] → decode again → flow. The decoder
 * reads a fragment up to its IP headers only (decode.h); its data is
 * copied here until its datagram is whole, and the rebuilt datagram is
 * handed back as bytes from its IP header on, for ea_decode_reassembled()
 * — the same layers as a captured frame — so the flow key, the TCP flags
 * and the first payload are those the receiving host saw, however the
 * sender cut the headers (RFC 791 §3.2, RFC 8200 §4.5, RFC 815).
 *
 * Identity: IPv4 (source, destination, protocol, identification), IPv6
 * (source, destination, identification), per interface. Time is packet
 * time only.
 *
 * Overlaps follow the "first" policy of Suricata's and Snort's target-based
 * defragmentation: a byte once received is kept, later copies of it are
 * compared and a difference is counted (fragment_overlap), as is a second
 * "last fragment" that disagrees about where the datagram ends. The Edge
 * runs Windows Server, which like Linux since 4.19 and every IPv6 stack
 * (RFC 5722) now discards such a datagram altogether; no keep-policy can
 * model that, and an auditor that discarded it would let overlapping
 * fragments hide traffic that did cross the wire. "First" also means a
 * later fragment can never rewrite a transport header already received;
 * fragments that split or overlap that header (RFC 1858, RFC 3128) are
 * counted as fragment_tiny.
 *
 * Bounded memory (ea_limits.h): datagrams in progress, bytes held in all,
 * fragments per datagram, disjoint pieces per datagram. A cap reached
 * gives up the oldest datagram early (fragment_limit); a datagram is also
 * given up EA_FRAGMENT_TIMEOUT_SEC after its first fragment arrived. A
 * datagram given up with its first part still reaches its flow as that
 * part (fragment_incomplete), as a truncated capture would; one without
 * it is counted per fragment as fragment_unattributed, unless its
 * protocol is keyed on addresses alone (ESP, GRE, ...), which any
 * fragment carries.
 *
 * Every function that takes `anomalies` adds to the caller's counters
 * (decode.h): the reason for each fragment the table does not keep
 * (fragment_invalid, fragment_unattributed), and the events above. */
#ifndef EA_FRAG_H
#define EA_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "decode/packet.h"

typedef struct ea_frag_table ea_frag_table;

/* A datagram ready to be decoded. ip points into the table: it stays
 * valid until the next call of any ea_frag_* function on that table. */
typedef struct {
	const uint8_t *ip;       /* from the IP header on */
	uint32_t caplen;         /* header and the data that arrived contiguous from offset 0 */
	uint64_t first_us;       /* arrival of its first and last fragment (packet time, µs) */
	uint64_t last_us;
	uint32_t frames;         /* captured frames it was built from, duplicates included */
	uint32_t wire_bytes;     /* their IP lengths summed */
	bool complete;           /* false: given up; the header still says "fragment" */
} ea_frag_datagram;

/* seed: the flow table's, so crafted fragments cannot aim at one bucket.
 * NULL when out of memory. */
ea_frag_table *ea_frag_table_new(uint64_t seed);
/* Frees every datagram in progress without counting it: flush first. */
void ea_frag_table_free(ea_frag_table *t);

/* Takes one fragment (p->frag != EA_FRAG_NONE, as ea_decode left it); its
 * bytes are copied. A packet that stands for several frames already (a
 * rebuilt datagram carrying an inner fragment) counts as p->frag_frames.
 * Datagrams that become ready (complete, or given up to make room) are
 * then taken with ea_frag_next. */
void ea_frag_add(ea_frag_table *t, const ea_packet *p, uint64_t anomalies[EA_ANOMALY_COUNT]);

/* Gives up datagrams whose first fragment arrived more than
 * EA_FRAGMENT_TIMEOUT_SEC before now_us (packet time). */
void ea_frag_expire(ea_frag_table *t, uint64_t now_us, uint64_t anomalies[EA_ANOMALY_COUNT]);
/* Gives up every datagram in progress (end of input). */
void ea_frag_flush(ea_frag_table *t, uint64_t anomalies[EA_ANOMALY_COUNT]);

/* The next ready datagram, oldest first; false when there is none. A
 * datagram too long for its IP length field is counted as
 * fragment_invalid (per frame) and skipped. */
bool ea_frag_next(ea_frag_table *t, ea_frag_datagram *out, uint64_t anomalies[EA_ANOMALY_COUNT]);

/* Datagrams in progress, and the bytes they hold (structures included). */
unsigned ea_frag_in_progress(const ea_frag_table *t);
uint64_t ea_frag_bytes(const ea_frag_table *t);

#endif
