/* classify.h — what protocol a flow carries: nDPI 4.2 first (its
 * heuristic answers only when our payload check agrees), then our payload
 * checks, then the port signature.
 *
 * The only module that includes <ndpi_api.h>. nDPI is fed only while a flow
 * is undecided and for at most EA_DPI_PACKET_BUDGET packets; its per-flow
 * state (688 bytes in 4.2) is allocated at the flow's first payload and
 * freed the moment detection is decided or given up, so a long RTP or SIP
 * flow, or a scan's lone SYN, costs only its ea_class_state.
 * Pipeline position: flow → [classify] → match. */
#ifndef EA_CLASSIFY_H
#define EA_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "engine/flowrec.h"
#include "decode/packet.h"
#include "rules/portsig.h"

/* Payload checks run for the first few protocols a port signature lists. */
#define EA_CHECKED_PROTOCOLS 4

/* Per-flow classification state, embedded in the flow. No nDPI types
 * leak out: the nDPI flow is an opaque pointer. */
typedef struct {
	void *dpi;              /* struct ndpi_flow_struct *, NULL once decided */
	char *server_name;      /* owned; SNI / HTTP Host / DNS query name */
	uint64_t risk;          /* nDPI risk bitmask */
	uint16_t master, app;   /* nDPI protocol ids */
	uint16_t category;
	uint8_t confidence;     /* ndpi_confidence_t */
	uint8_t source;         /* ea_proto_source */
	uint8_t dpi_packets;    /* packets given to nDPI so far */
	uint8_t decided;
	uint8_t payloads_checked;           /* payloads shown to our checks */
	uint8_t check_hits[EA_CHECKED_PROTOCOLS]; /* per signature protocol */
	/* nDPI's answer is one it reaches by a heuristic (classify.c): it
	 * confirms nothing until our own check for that protocol agrees.
	 * 1 + its index in classify.c's table; 0 for any other answer. */
	uint8_t heuristic;
	uint8_t agree_checked, agree_hits;  /* payloads since, and passes */
} ea_class_state;

typedef struct ea_classifier ea_classifier;

/* Sets up nDPI with every protocol enabled. portsigs must outlive it. */
ea_status ea_classifier_new(const ea_portsigs *portsigs, ea_classifier **out,
			    char *errbuf, size_t errlen);
/* Flows classified from now on (and flows still open when they end) name
 * their port-only protocol from portsigs, which must outlive the
 * classifier or the next call (a configuration reload). */
void ea_classifier_set_portsigs(ea_classifier *c, const ea_portsigs *portsigs);
void ea_classifier_free(ea_classifier *c);
/* "4.2.0" — the nDPI library actually linked. */
const char *ea_classifier_ndpi_version(void);
/* True when name is a protocol nDPI knows or one of our payload checks
 * confirms (case-insensitive). Used to validate data files. */
bool ea_classifier_knows(const ea_classifier *c, const char *name);

/* Feeds one packet of an undecided flow (dir 0 = from the initiator).
 * Does nothing once decided. resp_port/transport locate the signature
 * whose payload checks may confirm the protocol when nDPI cannot. */
void ea_classify_packet(ea_classifier *c, ea_class_state *s, const ea_packet *pkt,
			uint8_t transport, uint16_t resp_port);
/* Ends detection (gives up if undecided) and fills the record's protocol
 * fields: names, category, confidence, risks, server name, source and
 * proto_unexpected_on_port. */
void ea_classify_finish(ea_classifier *c, ea_class_state *s, uint8_t transport,
			uint16_t resp_port, ea_flow_record *rec);
/* What ea_classify_finish would fill in now, for a flow still open (an
 * active-timeout update): the state is not changed and detection goes
 * on; an undecided flow shows what is known so far, without nDPI's
 * give-up guess. */
void ea_classify_peek(ea_classifier *c, const ea_class_state *s, uint8_t transport, uint16_t resp_port,
		      ea_flow_record *rec);
/* Frees whatever the state still owns. */
void ea_class_state_release(ea_class_state *s);

#endif
