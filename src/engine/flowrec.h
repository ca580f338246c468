/* flowrec.h — a finished flow, as matched, stored and reported.
 *
 * The live flow table keeps a compact state per flow; when a flow ends
 * (FIN/RST, idle, evicted, end of input) the pipeline fills one of these on
 * the stack and hands it to the matcher and the store. Strings are either
 * static (protocol names from the classifier) or held inside the record. */
#ifndef EA_FLOWREC_H
#define EA_FLOWREC_H

#include <stdbool.h>
#include <stdint.h>

#include "util/ea_limits.h"
#include "decode/packet.h"

typedef enum {
	EA_DIR_SYN = 0,       /* the TCP handshake said who opened it */
	EA_DIR_FIRST_PACKET,  /* the sender of the first packet seen */
	EA_DIR_PORT,          /* the documented / well-known port is the responder's */
} ea_direction_source;

typedef enum {
	EA_HS_NOT_TCP = 0,
	EA_HS_ESTABLISHED,    /* the responder answered the SYN with SYN-ACK */
	EA_HS_REJECTED,       /* the SYN was answered by RST */
	EA_HS_NO_ANSWER,      /* SYNs and nothing back */
	EA_HS_MIDSTREAM,      /* no SYN seen: the capture started mid-flow */
} ea_handshake;

typedef enum {
	EA_END_FIN = 0,   /* both sides sent FIN */
	EA_END_RST,       /* a RST ended it */
	EA_END_IDLE,      /* idle timeout */
	EA_END_EOF,       /* flushed at the end of input */
	EA_END_EVICTED,   /* pushed out because the flow table was full */
	EA_END_ACTIVE,    /* not an end: the flow is still open, this is its
			     periodic active-timeout update */
	EA_END_SHUTDOWN,  /* flushed when the sensor stopped (SIGTERM, SIGINT) */
} ea_end_reason;

typedef enum {
	EA_PROTO_SRC_NONE = 0, /* nothing classified it and no signature covers the port */
	EA_PROTO_SRC_DPI,      /* nDPI recognised it from the payload */
	EA_PROTO_SRC_PAYLOAD,  /* one of our payload checks (payload_check.h) confirmed it */
	EA_PROTO_SRC_PORT,     /* only the port signature names it: not confirmed */
} ea_proto_source;

const char *ea_direction_source_name(ea_direction_source d); /* "syn", "first-packet", "port" */
const char *ea_handshake_name(ea_handshake h);  /* "", "established", "rejected", "no-answer", "midstream" */
/* "fin", "rst", "idle", "eof", "evicted", "active", "shutdown" */
const char *ea_end_reason_name(ea_end_reason e);
const char *ea_proto_source_name(ea_proto_source s); /* "none", "dpi", "payload", "port" */

/* Lengths of the text fields below, NUL included. */
#define EA_PROTO_NAME_MAX 32
#define EA_COMMUNITY_ID_MAX 40  /* "1:" + base64 of a SHA-1 = 30 characters */
#define EA_RISKS_TEXT_MAX 512

typedef struct {
	/* Unique within a run and stable for the life of the flow: an
	 * active-timeout update and the flow's end carry the same uid, so the
	 * store rewrites one row. 0: none (the store then always inserts). */
	uint64_t uid;
	uint32_t generation;             /* of the ruleset that judged it (ruleset.h) */
	/* An earlier record of this flow may be stored (it is an active-timeout
	 * update, or one came before it): the store rewrites by uid rather than
	 * insert. */
	bool rewrite;
	/* An earlier record of this flow was emitted (an active-timeout
	 * update): outputs that say something once per flow (a finding) say
	 * it on the record where this is false. */
	bool reported_before;
	ea_iface iface;
	uint8_t transport;               /* IP protocol number */
	ea_addr init_addr, resp_addr;
	uint16_t init_port, resp_port;   /* ICMP: see packet.h */
	uint64_t first_us, last_us;
	uint64_t pkts[2], bytes[2];      /* [0] initiator → responder, [1] back */
	ea_direction_source dir_source;
	ea_handshake handshake;
	ea_end_reason end_reason;
	bool attempt;                    /* TCP that never completed a handshake */

	char master_proto[EA_PROTO_NAME_MAX]; /* "TLS"; "Unknown" when none */
	char app_proto[EA_PROTO_NAME_MAX];    /* "Skype_Teams"; = master when no sub-protocol */
	char category[EA_PROTO_NAME_MAX];
	char confidence[EA_PROTO_NAME_MAX];   /* nDPI's confidence name, "" when not from nDPI */
	ea_proto_source proto_source;
	bool proto_unexpected_on_port;   /* confirmed protocol not in the port's signature */
	char risks[EA_RISKS_TEXT_MAX];   /* nDPI risk names, comma-separated */
	char server_name[EA_SERVER_NAME_MAX + 1]; /* raw bytes from the wire: escape on output */
	char community_id[EA_COMMUNITY_ID_MAX];

	/* ICMP (wt-icmp, engine/icmp_attach.h). ICMP/ICMPv6 errors that quote
	 * this flow: counted in pkts and bytes above (in the direction they
	 * travelled, towards the quoted packet's sender) and here; the type
	 * and code of the latest, meaningful only when icmp_errors > 0. */
	uint32_t icmp_errors;
	uint8_t icmp_last_type, icmp_last_code;
	/* This flow is ICMP errors whose quoted flow was not open (never
	 * seen, already ended, or the quote names none). */
	bool icmp_orphan;
} ea_flow_record;

#endif
