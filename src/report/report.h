/* report.h — compliance reports from the database.
 * Pipeline position: store → [report]. Reads only through ea_store_query. */
#ifndef EA_REPORT_H
#define EA_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "util/escape.h" /* ea_fputs_escaped: the report's escaping */
#include "store/runlock.h"
#include "store/store.h"

typedef struct {
	int64_t run_id;    /* 0: the finished runs, each capture counted once */
	unsigned top_n;    /* talkers listed per finding group */
	/* Whether a run marked running is still being written (main asks
	 * the run lock); NULL: cannot tell. */
	ea_writer_state (*run_writer)(void *ctx, int64_t run_id);
	void *writer_ctx;
} ea_report_options;

/* Plain-text report of one run, or by default of the finished (complete
 * or partial) runs with each capture counted once — a capture read again
 * by a later finished run counts there — and, apart, every run not
 * counted (running, interrupted, failed, superseded) with its stored
 * flows. Then: totals per verdict; every documented row with its
 * flows, bytes, first/last seen (rows never seen listed as candidates to
 * close); unexpected, mismatched and wrong-direction flows grouped by
 * interface, transport, responder port and protocol with counts and top
 * talkers; attempts on documented rows nobody answered; anomaly counters.
 * Strings that came off the wire are escaped. */
ea_status ea_report_text(ea_store *st, const ea_report_options *opt, FILE *out,
			 char *errbuf, size_t errlen);

#endif
