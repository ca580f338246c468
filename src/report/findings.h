/* findings.h — each finding, as it is decided, one line to syslog (RFC
 * 5424) or stderr, for a SIEM.
 *
 * A finding is what the report lists as one (flowtext.h, ea_finding_of):
 * an unexpected, mismatched or wrong-direction flow, or an unanswered
 * attempt on a documented row. Each is one message: MSGID the finding's
 * kind, MSG key=value pairs in the EVE file's field names (README,
 * "Findings to syslog"), every string from the wire in escape.h's wire
 * form and quoted, so a host name can neither forge a field nor a line.
 *
 * Rate limit: per finding group, the report's grouping (kind, interface,
 * transport, responder port, protocol; an attempt by its first row), at
 * most burst lines per interval; then one "suppressed" line per group
 * with the count, when the group speaks again after its window or at
 * ea_findings_flush (log.h's limiter, which this shares). Behind it, all
 * groups together pass at most overall_burst lines per interval (a scan
 * of the Edge's external address is one group per port), counted the
 * same way under the group name EA_FINDINGS_ALL_GROUPS.
 *
 * Fed through ea_audit_config.on_flow. Not thread-safe: one per sink
 * thread. Pipeline position: output, after match. */
#ifndef EA_FINDINGS_H
#define EA_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/flowrec.h"
#include "report/flowtext.h"
#include "report/syslog5424.h"
#include "rules/match.h"
#include "rules/matrix.h"
#include "util/error.h"

typedef struct {
	ea_syslog_target target;
	int facility;                 /* RFC 5424 code; local0 (16) is the README's default */
	unsigned burst;               /* per group and window; 0 = EA_FINDINGS_BURST */
	unsigned overall_burst;       /* all groups, per window; 0 = EA_FINDINGS_OVERALL_BURST */
	uint64_t interval_us;         /* 0 = EA_FINDINGS_INTERVAL_US */
	/* Tests: the stream for stderr (NULL = stderr), a fixed host name,
	 * a wall clock (syslog TIMESTAMP) and a monotonic one (the limiter);
	 * NULL = the system's. */
	FILE *stream;
	const char *hostname;
	uint64_t (*wall_clock_us)(void *arg);
	uint64_t (*clock_us)(void *arg);
	void *clock_arg;
} ea_findings_options;

typedef struct {
	uint64_t findings;    /* findings decided: a flow's verdict finding and its NAT finding count one each */
	uint64_t logged;      /* finding lines written or sent */
	uint64_t suppressed;  /* finding lines held back by the rate limits */
	uint64_t unsent;      /* lines (findings and counts) the transport could not take */
} ea_findings_stats;

typedef struct ea_findings ea_findings;

/* The group name of the overall limit's count line. */
#define EA_FINDINGS_ALL_GROUPS "all groups"

/* Opens the sender (syslog5424.h: a name that does not resolve is
 * EA_ERR_USAGE; a collector not answering yet is not an error, see
 * ea_findings_warning). EA_ERR_NOMEM. */
ea_status ea_findings_open(const ea_findings_options *opt, ea_findings **out, char *errbuf, size_t errlen);

/* Logs rec when it is a finding, and its NAT finding (mr->nat) as a line
 * of its own; m (borrowed) gives the rule ids. Returns the verdict's
 * finding (EA_FINDING_NONE: no verdict line logged). */
ea_finding ea_findings_flow(ea_findings *f, const ea_flow_record *rec, const ea_match_result *mr,
			    const ea_matrix *m);

/* Writes every group's pending "suppressed" line (at the end of a run, on
 * SIGUSR1). */
void ea_findings_flush(ea_findings *f);

ea_findings_stats ea_findings_get_stats(const ea_findings *f);
/* Why the collector is not reached now ("" when it is). Owned by f. */
const char *ea_findings_warning(const ea_findings *f);

/* The last transport failure, "" when none. Owned by f. */
const char *ea_findings_last_error(const ea_findings *f);

/* Builds the MSG of one finding into buf (size bytes); its group key
 * into key (EA_LOG_KEY_MAX + 1 bytes). For tests and the limiter. */
void ea_findings_message(const ea_flow_record *rec, const ea_match_result *mr, const ea_matrix *m,
			 ea_finding kind, char *buf, size_t size, char *key, size_t key_size);

/* The same for mr's NAT finding (rules/natcheck.h), which is logged as a
 * line of its own (MSGID "nat-source" or "private-source") whatever the
 * verdict; its group is the finding, the source and the Edge address. */
void ea_findings_nat_message(const ea_flow_record *rec, const ea_match_result *mr, const ea_matrix *m,
			     char *buf, size_t size, char *key, size_t key_size);

/* Flushes, closes, frees. NULL is fine. */
void ea_findings_close(ea_findings *f);

#endif
