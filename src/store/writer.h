/* writer.h — the one thread that writes flows to the database during a run.
 *
 * Engines hand their flow records (with verdicts) to ea_writer_submit,
 * which copies them into a bounded queue and returns; one thread takes
 * them from the queue and writes them through the store, committing one
 * transaction per flush interval (or per batch of rows, whichever comes
 * first). So a slow disk, a report reading the database, or a database
 * that cannot be written for a while never holds up a capture loop.
 *
 * Two modes:
 *   - wait_when_full (read): the submitter waits for room, so a file never
 *     loses a flow; the first database failure stops the writing and is
 *     reported (the run then fails, as it always has);
 *   - otherwise (monitor): submit never blocks; a record that finds the
 *     queue full is dropped and counted per interface; a failed write
 *     (locked, read-only, disk full) is logged once, then counted, and
 *     retried with back-off, and nothing held is lost: every record not yet
 *     committed stays in the queue and is written again once the database
 *     works (an active-timeout update rewrites its flow's row, so writing
 *     one twice is harmless). A record the database refuses for good (a
 *     constraint, a value too big: ea_store_flow_refused) would fail every
 *     retry and hold up the rest: it alone is dropped, counted per
 *     interface (refused) and said once. A record of a flow (same uid)
 *     whose newest queued record the thread has not read yet replaces
 *     that record in place (coalesced): a flow's active-timeout updates
 *     and its end take one slot however long the database is away, so N
 *     long-lived flows fill N slots, not N per interval.
 *
 * While the thread runs it is the only user of the store's connection;
 * after ea_writer_sync returns (and until the next submit) the caller may
 * use the store itself (a run's input and run rows).
 * Pipeline position: engine → [writer] → store. */
#ifndef EA_WRITER_H
#define EA_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/packet.h"
#include "engine/flowrec.h"
#include "rules/match.h"
#include "store/store.h"
#include "util/error.h"
#include "util/log.h"

typedef struct {
	unsigned capacity;          /* records held at most; 0 = EA_WRITER_QUEUE_RECORDS */
	bool wait_when_full;        /* read: wait for room and stop at the first failure */
	uint64_t flush_interval_us; /* a transaction's longest life; 0 = EA_WRITER_FLUSH_US */
	unsigned batch_rows;        /* rows that commit at once; 0 = EA_DB_BATCH_ROWS */
	/* Retry mode's back-off between failed attempts (µs): from min,
	 * doubling up to max; 0 = EA_WRITER_RETRY_MIN_US / _MAX_US. */
	uint64_t retry_min_us, retry_max_us;
	/* How long ea_writer_close keeps retrying what is still held when the
	 * database does not work (µs); 0 = EA_WRITER_CLOSE_WAIT_US. */
	uint64_t close_wait_us;
	/* Where retry mode says that writing fails and when it works again;
	 * used only by the writer's thread (log.h is one thread's). NULL:
	 * silent. Borrowed until ea_writer_close returns. */
	ea_log *log;
} ea_writer_config;

typedef struct {
	uint64_t submitted;           /* records accepted into the queue (coalesced included) */
	uint64_t written;             /* records committed */
	uint64_t dropped[EA_IFACE_COUNT]; /* queue full (never in wait mode), per interface */
	uint64_t refused[EA_IFACE_COUNT]; /* retry mode: flow records the database refused
					     for good (a CHECK, a trigger, too big), dropped,
					     per interface; a transient failure is retried */
	uint64_t lost;                /* held but never written: a failure in wait mode, or
				         still unwritable when the close wait ran out */
	uint64_t failures;            /* write attempts that failed */
	uint64_t queued;              /* held now, not yet committed */
	uint64_t queued_peak;
	uint64_t jobs_dropped;        /* ea_writer_call refused: the queue was full */
	uint64_t coalesced;           /* retry mode: records that replaced their flow's
					 queued, unwritten record (in submitted too) */
	/* Retry mode, a close whose wait ran out: what was still held, per
	 * interface — flow records (an active-timeout update and its flow's
	 * end are two) and distinct flows (uids) among them. Store calls
	 * held (a statistics row, the run's end) are in lost, not here. */
	uint64_t stop_lost_records[EA_IFACE_COUNT];
	uint64_t stop_lost_flows[EA_IFACE_COUNT];
} ea_writer_stats;

typedef struct ea_writer ea_writer;

/* Starts the thread writing run_id's flows through st (borrowed: it must
 * outlive ea_writer_close). EA_ERR_NOMEM, EA_ERR_INTERNAL when the thread
 * cannot be started. */
ea_status ea_writer_new(ea_store *st, int64_t run_id, const ea_writer_config *cfg, ea_writer **out,
			char *errbuf, size_t errlen);
/* Copies rec and mr into the queue. Thread-safe (any number of
 * submitters). Returns false when the record was not taken: the queue was
 * full (not in wait mode; counted in dropped) or, in wait mode, writing
 * has failed (ea_writer_sync says why). */
bool ea_writer_submit(ea_writer *w, const ea_flow_record *rec, const ea_match_result *mr);
/* Waits until every record submitted before the call is committed. In
 * wait mode, returns the failure that stopped the writing (EA_ERR_DB with
 * the store's message) if any; in retry mode, waits as long as the
 * database does not work. */
ea_status ea_writer_sync(ea_writer *w, char *errbuf, size_t errlen);
/* A store call made by the writer thread in its turn, in order with the
 * flows submitted before and after it: job(st, run_id, arg) with arg the
 * writer's copy of the caller's bytes. What is pending is committed just
 * before the job and the job's own rows just after it, so a job runs once
 * when it succeeds. A job may set *run_id: flows after it then belong to
 * that run (a sensor's reload). In retry mode a failed job (EA_ERR_DB, a
 * locked or full database) is retried with back-off like a flow; one
 * that fails with EA_ERR_INTERNAL or EA_ERR_USAGE is dropped, logged and
 * counted as lost. */
typedef ea_status (*ea_writer_job_fn)(ea_store *st, int64_t *run_id, void *arg, char *errbuf, size_t errlen);
/* Queues job with a copy of len bytes of arg (at most EA_WRITER_JOB_BYTES,
 * suitably aligned for any type; strings must be copied into it, not
 * pointed at). Thread-safe. Never blocks in retry mode: false when the
 * queue is full (counted in jobs_dropped) or, in wait mode, writing has
 * failed. */
bool ea_writer_call(ea_writer *w, ea_writer_job_fn job, const void *arg, size_t len);
/* ea_writer_call for a job whose order with flow records does not matter
 * (a statistics row, an interface event, retention): a flow's newer
 * record may still replace (coalesce) one queued before the job, which
 * ea_writer_call forbids (a run change must split a flow's records). */
bool ea_writer_call_unordered(ea_writer *w, ea_writer_job_fn job, const void *arg, size_t len);
/* Retry mode, when capture has stopped (a sensor flushing its open flows
 * at SIGTERM): from now on a full queue makes ea_writer_submit and
 * ea_writer_call wait for room, for at most wait_us (µs) from this call —
 * a database that works drains the queue, one that does not cannot make
 * the sensor hang; past that, records are dropped and counted as before.
 * ea_writer_close then keeps the same deadline, so a stop lasts at most
 * wait_us in all. Thread-safe. */
void ea_writer_wait_for_room(ea_writer *w, uint64_t wait_us);
/* Flows submitted from now on belong to run_id (a sensor's reload that
 * begins a new run). Call it after ea_writer_sync, with no submit at the
 * same time: what was held before is written to the old run. */
void ea_writer_set_run(ea_writer *w, int64_t run_id);
/* Counters so far; thread-safe. */
ea_writer_stats ea_writer_get_stats(ea_writer *w);
/* Writes what is held (retry mode: for at most close_wait_us while the
 * database does not work; what is left then is counted as lost), stops and
 * joins the thread, frees. Returns the failure, if writing failed or
 * records were lost. NULL is fine. */
ea_status ea_writer_close(ea_writer *w, char *errbuf, size_t errlen);
/* ea_writer_close, giving the final counters in *final (when not NULL;
 * zeros for a NULL w). */
ea_status ea_writer_close_stats(ea_writer *w, ea_writer_stats *final, char *errbuf, size_t errlen);

#endif
