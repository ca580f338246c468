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

#include "decode/decode.h"
#include "util/ea_limits.h"
#include "util/error.h"
#include "engine/flowrec.h"
#include "rules/match.h"
#include "rules/matrix.h"

typedef struct ea_store ea_store;

/* Opens (creating if absent) and brings the schema to the current
 * version. A database newer than this program, a locked or unreadable one
 * → EA_ERR_DB with the reason. */
ea_status ea_store_open(const char *path, ea_store **out, char *errbuf, size_t errlen);
/* For reading only (reports): changes nothing in the file, not even the
 * journal mode. A database of an older schema is upgraded in a private
 * temporary copy (on disk, removed at close: as large as the database)
 * and read from there. Works on evidence the user may only read, on a read-only
 * mount included: a WAL database whose shared-memory file cannot be
 * created there is read as an immutable file, unless its -wal file holds
 * commits (EA_ERR_DB saying so rather than a report without them). */
ea_status ea_store_open_readonly(const char *path, ea_store **out, char *errbuf, size_t errlen);
/* Commits anything pending and closes. A database opened for writing is
 * left in rollback-journal mode when no other connection has it open (a
 * reader on read-only storage cannot use a WAL database's shared memory).
 * NULL is fine. */
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
	const char *local_path, *local_sha256; /* --local rules; NULL: none */
	const char *command_line;
	int64_t started_at;           /* wall clock, seconds since the epoch */
	const char *filter;           /* BPF expression the captures were read
					 through (runs.filter); NULL or "" = none */
	bool live;                    /* a live capture (monitor), runs.live */
	bool duplicates_kept;         /* --keep-duplicates: no SPAN duplicate
					 suppression (runs.duplicates_kept) */
} ea_run_info;

typedef struct {
	uint64_t packets, bytes, flows, decoded, evicted;
	uint64_t peak_flows;           /* most flows alive at once */
	uint64_t anomalies[EA_ANOMALY_COUNT];
	int64_t finished_at;
	const char *status;           /* see the run statuses below */
} ea_run_totals;

typedef struct {
	ea_iface iface;
	const char *path;
	const char *sha256;           /* of the whole file */
	uint64_t size;
	uint64_t packets, bytes;
	uint64_t first_us, last_us;   /* µs, 0 … EA_MAX_TIME_US; 0 when no packet */
	bool untimed;                 /* packets, but none with a usable time:
					 first/last stored as NULL */
	bool truncated;               /* ended inside a record */
	const char *error;            /* NULL, or why reading stopped */
	int linktype;
	uint64_t duplicates;          /* SPAN copies suppressed (capture/dedup.h), counted
					 in packets but in no flow */
	/* Filled by ea_audit_read, not stored: frames that became flow
	 * packets, and frames of link types the decoder does not know,
	 * counted for the first few such link types. */
	uint64_t decoded;
	uint64_t filtered_out;        /* frames the read's filter did not pass */
	uint64_t unsupported_frames;
	struct {
		int linktype;
		uint64_t frames;
	} unsupported[EA_MAX_UNSUPPORTED_LINKTYPES];
	unsigned n_unsupported;
} ea_input_info;

/* A run's status (runs.status) is one of:
 *   'running'              being written (or its writer died: see below)
 *   'complete'             every capture read to its end
 *   'partial: <why>'       finished, but some capture could not be read or
 *                          nothing of it could be decoded
 *   'interrupted: <why>'   stopped before the end (a signal, or its process
 *                          ended without recording how: EA_RUN_STATUS_ABANDONED)
 *   'failed: <why>'        stopped by an error (the database, memory)
 * Only complete and partial runs count in reports and hold their
 * captures against a second reading. */
#define EA_RUN_STATUS_ABANDONED "interrupted: its process ended without finishing the run"

/* How the store learns whether a 'running' run's writer is still alive,
 * and gives a new run its own proof of life, without knowing how (main
 * uses runlock.h). Callbacks may be NULL. */
typedef struct {
	/* false only when run_id's writer is provably gone */
	bool (*writer_alive)(void *ctx, int64_t run_id);
	/* makes run_id provably alive; called before the claim commits */
	ea_status (*hold)(void *ctx, int64_t run_id, char *errbuf, size_t errlen);
	/* undoes hold when the claim does not commit */
	void (*release)(void *ctx, int64_t run_id);
	void *ctx;
} ea_run_liveness;

/* The sha256 of a claimed stream until it has been read (all zeros: no
 * SHA-256 is known to have it); stays if the stream was never read whole. */
#define EA_SHA256_PENDING "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct {
	const ea_run_info *info;
	const ea_matrix *matrix;       /* its rules are stored with the run; may be NULL */
	const ea_input_info *inputs;   /* iface, path, sha256, size of each capture;
					  sha256 NULL for a stream, whose hash is
					  known only once read: no duplicate check,
					  EA_SHA256_PENDING until finish_input */
	unsigned n_inputs;
	bool force;                    /* claim captures already in the database */
	const ea_run_liveness *liveness; /* NULL: no sweep, no proof of life */
} ea_run_claim;

typedef struct {
	unsigned input;      /* index into the claim's inputs */
	int64_t run_id;      /* the run that holds it */
	bool running;        /* that run is still being written */
} ea_duplicate;

/* Starts a run in one IMMEDIATE transaction (so two processes cannot both
 * pass the duplicate check): first every run left 'running' whose writer
 * liveness says is gone is marked EA_RUN_STATUS_ABANDONED; then, unless
 * force, a capture already held (ea_store_find_input, or claimed by a
 * run still running) refuses the claim with EA_ERR_DUPLICATE, *dup saying
 * which (dup may be NULL) and nothing written; else the run, its rules and
 * one row per input — marked as not read until ea_store_finish_input — are
 * inserted, liveness->hold is called, and all is committed. input_ids
 * (n_inputs entries, may be NULL) receives the rows' ids. */
ea_status ea_store_claim_run(ea_store *st, const ea_run_claim *claim, int64_t *run_id, int64_t *input_ids,
			     ea_duplicate *dup, char *errbuf, size_t errlen);
/* A claim without inputs, liveness or duplicate check: creates a run and
 * stores the rules as loaded for it. */
ea_status ea_store_begin_run(ea_store *st, const ea_run_info *info, const ea_matrix *m,
			     int64_t *run_id, char *errbuf, size_t errlen);
/* Whether a capture with that SHA-256 is held: read without error by a
 * finished run (complete or partial), or claimed by a run still
 * 'running'; if so *run_id names the first such run. A run that failed or
 * was interrupted does not hold its captures, so they can be read again
 * without --force. */
ea_status ea_store_find_input(ea_store *st, const char *sha256, bool *found, int64_t *run_id,
			      char *errbuf, size_t errlen);
/* ea_store_find_input for a read through filter (NULL or "": none): a
 * capture is held by a run that read it whole or through the same
 * filter, compared as written (ea_store_claim_run applies the same rule
 * with its info->filter). */
ea_status ea_store_find_capture(ea_store *st, const char *sha256, const char *filter, bool *found,
				int64_t *run_id, char *errbuf, size_t errlen);
/* Records how the reading of a claimed input ended (packets, bytes,
 * times, linktype, truncated, error, size, duplicates, and sha256 unless
 * NULL); joins
 * the batch of its flows. */
ea_status ea_store_finish_input(ea_store *st, int64_t input_id, const ea_input_info *in,
				char *errbuf, size_t errlen);
/* Records an input that was not claimed (tools, tests). */
ea_status ea_store_add_input(ea_store *st, int64_t run_id, const ea_input_info *in,
			     char *errbuf, size_t errlen);
/* Queues one flow with its verdict; written in batches. A record marked
 * rewrite whose uid (non-zero) run_id already has rewrites that row (an
 * active-timeout update, then the flow's end): one row per flow, which
 * keeps the uid. Without rewrite the row is inserted, its uid not stored
 * (flows.uid NULL: nothing will rewrite it). */
ea_status ea_store_add_flow(ea_store *st, int64_t run_id, const ea_flow_record *f,
			    const ea_match_result *mr, const ea_matrix *m,
			    char *errbuf, size_t errlen);
/* A sensor's reload begins run to_run while flows are open: the rows of
 * from_run's flows still open (written by an active-timeout update, end
 * reason 'active') move to to_run, so their next update or their end
 * rewrites them there (one row per flow, never one in each run); their
 * matched rows are carried over by rule id (a row the new matrix lacks is
 * dropped until the flow's next rewrite matches it again). Joins the
 * pending transaction. EA_ERR_DB. */
ea_status ea_store_move_open_flows(ea_store *st, int64_t from_run, int64_t to_run, char *errbuf, size_t errlen);
/* Writes totals and anomaly counters and commits everything. */
ea_status ea_store_finish_run(ea_store *st, int64_t run_id, const ea_run_totals *t,
			      char *errbuf, size_t errlen);
/* Commits the pending batch (called at the end of each input file, so a
 * later failure keeps every flow that had ended by then; flows still open
 * are stored when the run finishes). */
ea_status ea_store_flush(ea_store *st, char *errbuf, size_t errlen);

/* An interface of a live capture lost or back (table interface_events,
 * schema version 3). */
typedef struct {
	ea_iface iface;
	const char *name;     /* the interface's name (`ip link`) */
	uint64_t at_us;       /* wall clock, µs since the epoch, ≤ EA_MAX_TIME_US */
	bool back;            /* false: lost; true: capture resumed */
	const char *reason;   /* why, one line (libpcap's or the kernel's words); may be NULL */
} ea_iface_event;

/* Records one interface event of run_id and commits it with whatever is
 * pending (an event is rare and is evidence of a gap: it is not held back
 * in a batch). EA_ERR_DB when SQLite refuses; EA_ERR_INTERNAL for a time
 * out of range. */
ea_status ea_store_add_iface_event(ea_store *st, int64_t run_id, const ea_iface_event *ev,
				   char *errbuf, size_t errlen);

/* Whether the last ea_store_add_flow failed because SQLite refused that
 * record for good (SQLITE_CONSTRAINT — a CHECK or a trigger's RAISE —,
 * SQLITE_TOOBIG, SQLITE_MISMATCH, SQLITE_RANGE): writing it again would
 * fail again. false for a failure that may pass (BUSY, LOCKED, FULL,
 * IOERR, READONLY) and after a success. The transaction was rolled back
 * either way. */
bool ea_store_flow_refused(const ea_store *st);

/* How long (ms) a statement waits for another connection's lock before
 * failing with "locked" (default EA_DB_BUSY_TIMEOUT_MS): the writer
 * shortens it when a stop's deadline is nearer, so that no attempt
 * outlives the deadline. */
void ea_store_set_busy_ms(ea_store *st, unsigned ms);

/* Flows written in the open transaction, not yet committed (0 when none
 * is open: a failure rolled it back, or it committed). */
unsigned ea_store_pending(const ea_store *st);

/* Losses and the sensor's own drops over one interval of one interface
 * (table capture_stats). Counts are for the interval alone (a caller
 * holding libpcap's running totals passes the difference). */
typedef struct {
	ea_iface iface;
	int64_t input_id;             /* the capture `read` read (its row), 0 for live */
	uint64_t start_us, end_us;    /* µs since the epoch: wall clock for a live
					 interval, first/last frame time for a file */
	bool kernel;                  /* kernel_* are known (a live capture) */
	uint64_t kernel_received;     /* pcap_stats ps_recv: frames the filter passed */
	uint64_t kernel_dropped;      /* ps_drop: lost, the ring was full */
	uint64_t if_dropped;          /* ps_ifdrop: dropped by the interface/driver */
	uint64_t queue_dropped;       /* flow records the writer queue had no room for */
	uint64_t evicted;             /* flows ended early: the flow table was full */
	uint64_t duplicates;          /* SPAN duplicate frames suppressed (not a loss) */
	uint64_t refused;             /* flow records the database refused for good, dropped
					 (writer.h; schema version 4) */
	uint64_t output_dropped;      /* flow records the EVE/syslog queue had no room for
					 (report/outputs.h; schema version 4) */
	uint64_t stop_lost_records;   /* a stop's unwritten flow records, and the */
	uint64_t stop_lost_flows;     /* distinct flows among them (store/stoploss.h; v4) */
} ea_capture_stats;

/* Records cs for run_id; joins the pending batch (committed with it by
 * ea_store_flush or the next commit). EA_ERR_INTERNAL for an interval
 * outside 0 … EA_MAX_TIME_US or ending before it starts; EA_ERR_DB. */
ea_status ea_store_add_capture_stats(ea_store *st, int64_t run_id, const ea_capture_stats *cs,
				     char *errbuf, size_t errlen);

typedef struct {
	uint64_t cut_us;              /* flows that ended before this were retired
					 (µs, a UTC midnight) */
	uint64_t days;                /* (run, day) slices rolled up by this call */
	uint64_t flows;               /* flows deleted by this call */
} ea_retain_result;

/* Retention: deletes every flow (and its flow_rules) that ended
 * (last_us) before the UTC midnight at or before now_us - days × 24 h,
 * a whole UTC day of one run at a time, after adding that day's totals
 * to rollup_rules (per matrix row: flows, port-only, packets, bytes,
 * unanswered, distinct initiators/responders, first/last seen) and
 * rollup_groups (per verdict and finding group), so rule usage over a
 * year stays reportable. now_us: wall clock, µs since the epoch. Each
 * day's rollup is one transaction; deletion runs in transactions of
 * batch flows (0 = EA_RETAIN_BATCH_FLOWS), so the write lock is never
 * held long. Safe to stop at any point and to run again: rollup_days
 * records what was counted, so nothing is counted twice (re-running
 * changes nothing). days: 1 … EA_RETAIN_DAYS_MAX, else EA_ERR_USAGE;
 * EA_ERR_DB (what was committed stays). res may be NULL. */
ea_status ea_store_retain(ea_store *st, unsigned days, uint64_t now_us, unsigned batch, ea_retain_result *res,
			  char *errbuf, size_t errlen);

/* One row of nat_mappings (db/schema.sql, engine/natpair.h): what pairing
 * the two sides of the NAT found for one Edge private address. Strings
 * borrowed; public_ip, expected_ip and example_community_id may be NULL. */
typedef struct {
	const char *role, *private_ip, *public_ip, *expected_ip;
	const char *status;          /* "ok", "differs", "unmapped", "unpaired" */
	uint64_t flows, unpaired;
	const char *example_community_id;
} ea_store_nat_mapping;

/* Joins the open batch (committed by the next flush). EA_ERR_DB (a
 * status the schema refuses included). */
ea_status ea_store_add_nat_mapping(ea_store *st, int64_t run_id, const ea_store_nat_mapping *nm,
				   char *errbuf, size_t errlen);

/* Read side, for report.c and tests: runs sql (one statement, '?'
 * parameters bound from params as text, NULL for SQL NULL), calling row()
 * with each result row's columns as text (NULL for SQL NULL). row()
 * returning non-zero stops the iteration. */
typedef int (*ea_store_row_fn)(void *ctx, int ncols, const char *const *cols);
ea_status ea_store_query(ea_store *st, const char *sql, const char *const *params,
			 int nparams, ea_store_row_fn row, void *ctx,
			 char *errbuf, size_t errlen);

#endif
