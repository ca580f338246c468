/* flowtext.h — how a flow record's fields are spelled in the outputs
 * that leave the database behind (the EVE JSON lines, the findings'
 * syslog lines): the same words as the flow_verdicts view, so a SIEM and
 * a report query never disagree about a flow.
 *
 * Also what makes a flow a finding, decided once for every output.
 * Pure functions, no allocation. Pipeline position: output, after match. */
#ifndef EA_FLOWTEXT_H
#define EA_FLOWTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/flowrec.h"
#include "rules/match.h"
#include "rules/matrix.h"

/* Transport names as flow_verdicts.transport gives them: "tcp", "udp",
 * "icmp", "icmpv6", "gre", "esp", "ah", "sctp", else the number. */
const char *ea_flow_transport_name(uint8_t proto, char buf[4]);

/* Longest ea_time_text result, NUL included. */
#define EA_TIME_TEXT_MAX 32
/* µs since the epoch as RFC 3339 in UTC with six fraction digits
 * ("2026-11-29T17:06:14.000042Z", as flow_verdicts.first_seen); years
 * past 9999 cannot be stored (store.h) and print as "". Returns out. */
const char *ea_time_text(uint64_t us, char out[EA_TIME_TEXT_MAX]);

typedef enum {
	EA_FINDING_NONE = 0,
	EA_FINDING_UNEXPECTED,       /* nothing documents it */
	EA_FINDING_MISMATCH,         /* a documented port, another protocol */
	EA_FINDING_WRONG_DIRECTION,  /* only the reverse is documented */
	EA_FINDING_ATTEMPT,          /* a documented row's TCP attempt that was
					never answered or was refused (the report's
					"unanswered attempts on documented rows") */
} ea_finding;

/* What the report lists as a finding, for one flow. */
ea_finding ea_finding_of(const ea_flow_record *rec, const ea_match_result *mr);
/* "", "unexpected", "mismatch", "wrong-direction", "attempt" */
const char *ea_finding_name(ea_finding f);

/* Zeek's conn_state for the little we know of a TCP handshake: S0 (SYN,
 * no answer), REJ (refused), SF (established, ended by FIN), RSTO
 * (established, reset), S1 (established, not closed: idle, end of input,
 * evicted, or still open), OTH (no SYN seen); for other transports SF
 * when the responder answered, S0 when not. */
const char *ea_conn_state(const ea_flow_record *rec);

/* The ids of mr's rules ("ext-01,ext-02") in document order into buf
 * (size bytes, cut at a whole id); "" when none. Returns buf. */
const char *ea_rule_ids_text(const ea_match_result *mr, const ea_matrix *m, char *buf, size_t size);

#endif
