/* report.h — compliance reports from the database.
 * Pipeline position: store → [report]. Reads only through ea_store_query. */
#ifndef EA_REPORT_H
#define EA_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "escape.h" /* ea_fputs_escaped: the report's escaping */
#include "store.h"

typedef struct {
	int64_t run_id;    /* 0: every run in the database */
	unsigned top_n;    /* talkers listed per finding group */
} ea_report_options;

/* Plain-text report: totals per verdict; every documented row with its
 * flows, bytes, first/last seen (rows never seen listed as candidates to
 * close); unexpected, mismatched and wrong-direction flows grouped by
 * interface, transport, responder port and protocol with counts and top
 * talkers; attempts on documented rows nobody answered; anomaly counters.
 * Strings that came off the wire are escaped. */
ea_status ea_report_text(ea_store *st, const ea_report_options *opt, FILE *out,
			 char *errbuf, size_t errlen);

#endif
