/* audit.h — a run over capture files: one engine per interface
 * (engine.h) fed frame by frame from any ea_source, their flow records
 * handed to the store's writer thread (store/writer.h) and to a hook.
 *
 * Flows of the external and internal interfaces live in separate engines
 * with their own packet clocks (the two NICs' captures are read one after
 * the other, and each has its own timeline). A flow is classified while
 * its packets arrive and matched and stored when it ends (and, with an
 * active timeout, updated while it lives). */
#ifndef EA_AUDIT_H
#define EA_AUDIT_H

#include <signal.h>
#include <stdint.h>

#include "decode/decode.h"
#include "engine/engine.h"
#include "util/error.h"
#include "engine/flowrec.h"
#include "rules/match.h"
#include "rules/ruleset.h"
#include "capture/source.h"
#include "store/store.h"
#include "store/writer.h"
#include "util/log.h"

/* The interfaces' engines' totals summed; peak_flows is the sum of their
 * peaks (their captures are read one after the other). */
typedef ea_totals ea_audit_totals;

/* Called for every flow record (ended, or an active-timeout update), after
 * matching (tests, tools, outputs). */
typedef void (*ea_flow_hook)(void *ctx, const ea_flow_record *rec, const ea_match_result *mr);
/* Called every few tens of thousands of packets. */
typedef void (*ea_progress_hook)(void *ctx, const ea_audit_totals *t);

typedef struct {
	/* Matrix, signatures and site (it must have a site file). The audit
	 * takes its own reference for its lifetime (ruleset.h). */
	const ea_ruleset *ruleset;
	/* NULL: match and count only. Else the audit's writer thread owns the
	 * store's connection from ea_audit_new until ea_audit_read or
	 * ea_audit_finish returns, and again from the next ea_audit_read. */
	ea_store *store;
	int64_t run_id;
	unsigned max_flows;           /* per interface; 0 = EA_DEFAULT_MAX_FLOWS */
	uint64_t hash_seed;
	uint64_t active_timeout_us;   /* engine.h; 0 = a flow is recorded once, when it ends */
	bool keep_duplicates;         /* engine.h: false = SPAN copies suppressed */
	ea_flow_hook on_flow;
	ea_progress_hook on_progress;
	void *hook_ctx;
	/* NULL, or a flag a signal handler sets (main owns it): reading
	 * stops at the next frame once it is non-zero. */
	const volatile sig_atomic_t *stop;
	/* NULL, or a BPF filter (the caller owns it): a frame it does not
	 * pass is skipped before anything else, counted in the input's
	 * only, as if the capture had been written through it. */
	ea_filter *filter;
	/* A live capture (monitor): the writer never blocks the caller
	 * (writer.h retry mode: held, retried with back-off while the
	 * database cannot be written, dropped and counted when its queue is
	 * full); ea_audit_frame, _tick and _set_ruleset never wait for it;
	 * ea_audit_finish ends open flows as EA_END_SHUTDOWN. false: a file
	 * (read), which waits and stops at the first failure. */
	bool live;
	/* A live audit's write queue, in flow records; 0 =
	 * EA_WRITER_LIVE_QUEUE_RECORDS (tests make it small). */
	unsigned live_queue_records;
	/* A live audit's stop (ea_audit_finish, then ea_audit_close_writer):
	 * how long an unwritable database is retried before what is held is
	 * given up, µs; 0 = EA_WRITER_CLOSE_WAIT_US (monitor --stop-timeout). */
	uint64_t stop_wait_us;
	/* Where a live audit's writer says that writing fails and works
	 * again (borrowed; NULL: silent). */
	ea_log *log;
} ea_audit_config;

typedef struct ea_audit ea_audit;

/* EA_ERR_INTERNAL when the ruleset has no site file or the writer thread
 * cannot start; EA_ERR_NOMEM. An interface's engine is made at its first
 * ea_audit_read, which may then fail with the classifier's errors. */
ea_status ea_audit_new(const ea_audit_config *cfg, ea_audit **out, char *errbuf, size_t errlen);
/* Reads every frame of src as traffic of iface. info->packets, bytes,
 * first_us, last_us (µs, over the frames with a time), untimed,
 * truncated, decoded, duplicates and the unsupported link types are
 * filled in. A frame the configured filter does not pass is skipped
 * (counted in info->filtered_out only); a filter that cannot apply to a frame's
 * link type ends the file with EA_ERR_FORMAT, as tcpdump refuses such a
 * file. A
 * frame whose record time was replaced is counted (ts_bad_fraction,
 * ts_out_of_range); one with no time at all is counted (untimed_frame)
 * and not decoded. A source error ends the file with EA_ERR_FORMAT
 * (frames read so far are kept); a store error returns EA_ERR_DB;
 * *cfg.stop set returns EA_ERR_INTERRUPTED with the flows that ended so
 * far stored and the others still open (ea_audit_finish is then not
 * called: an interrupted run records only what was decided). On return
 * every flow that ended is committed (the writer is idle): the caller
 * may write its input row. */
ea_status ea_audit_read(ea_audit *a, ea_source *src, ea_iface iface, ea_input_info *info,
			char *errbuf, size_t errlen);
/* Live capture (monitor): one frame of iface, already read. Counted,
 * decoded and added to its flow as ea_audit_read does; the frame's time
 * (the kernel's, µs) drives idle expiry like a file's. A frame without a
 * usable time is counted (untimed_frame), not decoded. With cfg.live the
 * records it produced are queued to the writer and the call returns at
 * once (EA_OK always: the writer holds and retries). Without it (tests)
 * they are committed on return, EA_ERR_DB (with the store's message) once
 * a flow could not be stored. */
ea_status ea_audit_frame(ea_audit *a, ea_iface iface, const ea_frame *frame, char *errbuf, size_t errlen);
/* The clock tick of a live capture: now_us is the wall clock (µs since
 * the epoch, the time base of live frames). Ends the flows and fragments
 * idle longer than their timeout on every interface, so a quiet wire
 * still closes its flows; does nothing more often than
 * EA_EXPIRY_SCAN_SEC per interface. Waits, or not, as ea_audit_frame. */
ea_status ea_audit_tick(ea_audit *a, uint64_t now_us, char *errbuf, size_t errlen);
/* Reload: flows that end from now on are judged by rs (matrix, site,
 * port signatures and port ranks for new flows) and stored with run_id
 * (with cfg.live, a job queued by the caller switches the writer's run:
 * run_id is then only noted).
 * Flows open now stay open and keep their counters. The audit takes its
 * own reference to rs and drops the old ruleset's; call it between two
 * frames (the audit is not thread-safe). What the writer holds is
 * committed to the old run first. */
void ea_audit_set_ruleset(ea_audit *a, const ea_ruleset *rs, int64_t run_id);
/* Ends every flow still open (end of input: EA_END_EOF; a live audit:
 * EA_END_SHUTDOWN) and stores it; on return everything is committed
 * (live: as long as the database works; see ea_audit_close_writer). */
ea_status ea_audit_finish(ea_audit *a, char *errbuf, size_t errlen);
/* Queues a store call to the writer thread, in order with the flows
 * (writer.h ea_writer_call): a live capture's runs, interface events,
 * capture stats and retention never wait on SQLite. false without a store
 * or when the queue is full. */
bool ea_audit_store_call(ea_audit *a, ea_writer_job_fn job, const void *arg, size_t len);
/* The same, for a job whose order with flow records does not matter
 * (writer.h ea_writer_call_unordered). */
bool ea_audit_store_call_unordered(ea_audit *a, ea_writer_job_fn job, const void *arg, size_t len);
/* The writer's counters (queue drops per interface, failures); zeros
 * without a store; after ea_audit_close_writer, its final counters (what
 * a stop could not write: stop_lost_*). */
ea_writer_stats ea_audit_writer_stats(ea_audit *a);
/* Writes what the writer holds (a live one retries for at most
 * EA_WRITER_CLOSE_WAIT_US), stops its thread and returns its failure
 * (writer.h ea_writer_close); the caller may then use the store itself. */
ea_status ea_audit_close_writer(ea_audit *a, char *errbuf, size_t errlen);
/* One interface's engine's totals (evictions, duplicates …), NULL while it
 * has none (no frame yet); valid until that engine's next call. */
const ea_totals *ea_audit_iface_totals(ea_audit *a, ea_iface iface);
/* The engines' totals summed, as of now; valid until the next call. */
const ea_audit_totals *ea_audit_get_totals(ea_audit *a);
/* Stops the writer thread (after writing what it holds) and frees. */
void ea_audit_free(ea_audit *a);

#endif
