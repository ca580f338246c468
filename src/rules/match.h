/* match.h — the verdict: which documented rows allow a flow.
 *
 * A pure function of (matrix, site, flow record): no I/O, no state.
 * Pipeline position: flow → classify → [match] → store. */
#ifndef EA_MATCH_H
#define EA_MATCH_H

#include "engine/flowrec.h"
#include "rules/matrix.h"
#include "rules/natcheck.h"
#include "rules/site.h"

typedef enum {
	EA_VERDICT_DOCUMENTED = 0,   /* a row allows it and its protocol is confirmed acceptable */
	EA_VERDICT_PORT_ONLY,        /* a row allows it but the protocol could not be confirmed */
	EA_VERDICT_MISMATCH,         /* port and hosts match a row, the confirmed protocol does not belong */
	EA_VERDICT_WRONG_DIRECTION,  /* only the reverse direction is documented */
	EA_VERDICT_UNEXPECTED,       /* nothing documents it */
	EA_VERDICT_COUNT
} ea_verdict;

/* "documented", "documented-port-only", "mismatch", "wrong-direction", "unexpected" */
const char *ea_verdict_name(ea_verdict v);

typedef struct {
	ea_verdict verdict;
	/* Rule indexes (into ea_matrix.rules) in document order: the rows that
	 * allow the flow (documented, port-only), that it was checked against
	 * (mismatch), or that allow its reverse (wrong-direction). */
	uint16_t rules[EA_MAX_RULES];
	unsigned n_rules;
	/* The NAT check (natcheck.h): a finding of its own beside the
	 * verdict, whatever the verdict is. */
	ea_nat_kind nat;
} ea_match_result;

/* Rules:
 *  - both ends must be unicast hosts: a multicast, broadcast (limited, or
 *    directed for an IPv4 prefix of the site file) or unspecified address
 *    fits no row's side, not even "any" → unexpected;
 *  - a row "fits" when iface, transport and the responder port match and
 *    the initiator is in the row's source, the responder in its destination;
 *  - protocol confirmed (dpi or payload) and acceptable on a fitting row
 *    → documented, listing the fitting rows that accept it;
 *  - confirmed but acceptable on no fitting row → mismatch, listing them;
 *  - not confirmed (port or none) and some row fits → documented-port-only;
 *  - no row fits, but one would if initiator and responder swapped roles
 *    (the initiator in the row's destination, the responder in its
 *    source, same interface, transport and responder port: e.g. a remote
 *    host opening TCP 80 on the Access Edge, where the document only has
 *    the Edge fetching CRLs outward) → wrong-direction;
 *  - else unexpected.
 * Beside the verdict, out->nat is ea_nat_check's answer. */
void ea_match(const ea_matrix *m, const ea_site *s, const ea_flow_record *flow,
	      ea_match_result *out);

#endif
