/* store.h — the SQLite database: runs, inputs, rules, flows, verdicts.
 *
 * The only module that includes <sqlite3.h>. The schema lives in
 * db/schema.sql (compiled in as ea_schema_sql), versioned with
 * PRAGMA user_version and upgraded in place when an older database is
 * opened. WAL journal, prepared statements only, flows written in
 * transactions of EA_DB_BATCH_ROWS rows.
 * Pipeline position: match → [store] → report. */
#ifndef EA_STORE_H
#define EA_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "error.h"
#include "flowrec.h"
#include "match.h"
#include "matrix.h"

typedef struct ea_store ea_store;

/* Opens (creating if absent) and brings the schema to the current
 * version. A database newer than this program, a locked or unreadable one
 * → EA_ERR_DB with the reason. */
ea_status ea_store_open(const char *path, ea_store **out, char *errbuf, size_t errlen);
/* For reading only (reports): changes nothing in the file, not even the
 * journal mode, and refuses a database whose schema would need an
 * upgrade. Works on evidence the user may only read. */
ea_status ea_store_open_readonly(const char *path, ea_store **out, char *errbuf, size_t errlen);
/* Commits anything pending and closes. NULL is fine. */
ea_status ea_store_close(ea_store *st, char *errbuf, size_t errlen);
/* Page cache of this connection in KiB (EA_DB_CACHE_KIB after open, for
 * reports; a run that only appends wants far less). */
ea_status ea_store_set_cache(ea_store *st, unsigned kib, char *errbuf, size_t errlen);
/* The schema version this program writes (the last in db/schema.sql). */
int ea_store_schema_version(void);

typedef struct {
	const char *tool_version;
	const char *ndpi_version;
	const char *matrix_path, *matrix_sha256;
	const char *portsig_path, *portsig_sha256;
	const char *site_path, *site_sha256;
	const char *command_line;
	int64_t started_at;           /* wall clock, seconds since the epoch */
} ea_run_info;

typedef struct {
	uint64_t packets, bytes, flows, decoded, evicted;
	uint64_t peak_flows;           /* most flows alive at once */
	uint64_t anomalies[EA_ANOMALY_COUNT];
	int64_t finished_at;
	const char *status;           /* "complete", "failed: <why>" */
} ea_run_totals;

typedef struct {
	ea_iface iface;
	const char *path;
	const char *sha256;           /* of the whole file */
	uint64_t size;
	uint64_t packets, bytes;
	uint64_t first_us, last_us;   /* 0 when no packet */
	bool truncated;               /* ended inside a record */
	const char *error;            /* NULL, or why reading stopped */
	int linktype;
} ea_input_info;

/* Creates a run and stores the rules as loaded for it. */
ea_status ea_store_begin_run(ea_store *st, const ea_run_info *info, const ea_matrix *m,
			     int64_t *run_id, char *errbuf, size_t errlen);
/* Whether a capture with that SHA-256 was read, without error, by an
 * earlier run that finished (complete or partial); if so *run_id names it.
 * A run that failed or never finished does not count, so it can be
 * retried without --force. */
ea_status ea_store_find_input(ea_store *st, const char *sha256, bool *found, int64_t *run_id,
			      char *errbuf, size_t errlen);
ea_status ea_store_add_input(ea_store *st, int64_t run_id, const ea_input_info *in,
			     char *errbuf, size_t errlen);
/* Queues one flow with its verdict; written in batches. */
ea_status ea_store_add_flow(ea_store *st, int64_t run_id, const ea_flow_record *f,
			    const ea_match_result *mr, const ea_matrix *m,
			    char *errbuf, size_t errlen);
/* Writes totals and anomaly counters and commits everything. */
ea_status ea_store_finish_run(ea_store *st, int64_t run_id, const ea_run_totals *t,
			      char *errbuf, size_t errlen);
/* Commits the pending batch (called at the end of each input file, so a
 * later failure keeps every flow that had ended by then; flows still open
 * are stored when the run finishes). */
ea_status ea_store_flush(ea_store *st, char *errbuf, size_t errlen);

/* Read side, for report.c and tests: runs sql (one statement, '?'
 * parameters bound from params as text, NULL for SQL NULL), calling row()
 * with each result row's columns as text (NULL for SQL NULL). row()
 * returning non-zero stops the iteration. */
typedef int (*ea_store_row_fn)(void *ctx, int ncols, const char *const *cols);
ea_status ea_store_query(ea_store *st, const char *sql, const char *const *params,
			 int nparams, ea_store_row_fn row, void *ctx,
			 char *errbuf, size_t errlen);

#endif
