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

/* Why a verdict is not what the rows alone would give: the site's policy
 * overrode them. Both leave the verdict unexpected (a finding), so every
 * consumer of findings treats them as findings; the reason says which
 * site decision made it one. */
typedef enum {
	EA_REASON_NONE = 0,
	EA_REASON_NOT_APPLICABLE, /* only rows closed by the profile fit: "not-applicable: F disabled" */
	EA_REASON_DENIED,         /* a local deny row fits: "denied: local-NN" */
} ea_reason;

/* Who decided a verdict: a vendor row, a local rule, the site's profile
 * (closed rows), or nobody (unexpected with no row at all). */
typedef enum { EA_DECIDED_NONE = 0, EA_DECIDED_VENDOR, EA_DECIDED_LOCAL, EA_DECIDED_PROFILE } ea_decided_by;

/* "", "vendor", "local", "profile" */
const char *ea_decided_by_name(ea_decided_by d);

typedef struct {
	ea_verdict verdict;
	/* Rule indexes (into ea_matrix.rules) in index order — the vendor's
	 * rows in document order, then the local rules in file order: the
	 * rows that allow the flow (documented, port-only), that it was
	 * checked against (mismatch), that allow its reverse
	 * (wrong-direction), the closed rows that alone would allow it
	 * (not-applicable), or the deny rows that forbid it (denied). */
	uint16_t rules[EA_MAX_RULES];
	unsigned n_rules;
	/* The NAT check (natcheck.h): a finding of its own beside the
	 * verdict, whatever the verdict is. */
	ea_nat_kind nat;
	ea_reason reason;
	/* not-applicable: the features turned off that closed those rows. */
	ea_feature_set closed_by;
	ea_decided_by decided_by;
	/* denied: the deny rules' ids, "local-03, local-07" (EA_DENIED_IDS_MAX). */
	char denied_ids[EA_DENIED_IDS_MAX];
} ea_match_result;

/* The reason as stored and shown, into buf (size bytes, at most
 * EA_REASON_TEXT_MAX needed): "" (none), "not-applicable: F[, G]
 * disabled", "denied: local-NN[, local-MM]". Reads no further than the
 * result's fields, whoever filled them. Returns buf. */
const char *ea_match_reason(const ea_match_result *r, char *buf, size_t size);

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
 * Beside the verdict, out->nat is ea_nat_check's answer.
 * The site's policy then, in this order (signatures/README.md):
 *  - a local deny row that fits (interface, transport, port, sides and,
 *    if it names protocols, one of them as master or app protocol)
 *    makes the flow unexpected, reason denied, listing the deny rows,
 *    whatever the other rows say;
 *  - otherwise the rules above are applied to the open allow rows, the
 *    vendor's and the local ones together (a flow several rows allow
 *    lists them all, vendor rows first); decided_by is vendor when a
 *    vendor row is listed, else local;
 *  - when that gives no documented or port-only verdict but the rows
 *    closed by the profile would (ea_site_apply_profile), the flow is
 *    unexpected, reason not-applicable, listing those closed rows. */
void ea_match(const ea_matrix *m, const ea_site *s, const ea_flow_record *flow,
	      ea_match_result *out);

#endif
