/* engine.h — the pipeline of one capture interface, up to the flow record:
 * decode → frag → flow → classify → match.
 *
 * One engine per interface (a NIC's frames, from a file or live). It owns
 * that interface's reassembler, flow table and classifier, and hands every
 * flow record it produces — a flow that ended, or an active-timeout update
 * of one still open — with its verdict to a sink. It does no I/O: no
 * SQLite (the store's writer thread takes the records from the sink), no
 * clock of its own (time is what the caller says: packet time for files,
 * the wall clock for a live sensor's tick), no global state. One thread
 * at a time per engine.
 * Pipeline position: capture → [engine] → store (store/writer.h). */
#ifndef EA_ENGINE_H
#define EA_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/source.h"
#include "decode/decode.h"
#include "engine/flowrec.h"
#include "rules/match.h"
#include "rules/ruleset.h"
#include "util/error.h"

/* What an engine has seen; also what a run adds up over its engines. */
typedef struct {
	uint64_t packets, bytes;      /* frames given, bytes on the wire */
	uint64_t decoded;             /* frames that became flow packets */
	uint64_t anomalies[EA_ANOMALY_COUNT];
	uint64_t flows;               /* flows ended (active-timeout updates not counted) */
	uint64_t verdicts[EA_VERDICT_COUNT];
	uint64_t attempts;
	uint64_t evicted;
	uint64_t updates;             /* active-timeout updates emitted */
	uint64_t updates_unchanged;   /* updates not emitted: no packet since the last one */
	uint64_t peak_flows;          /* most flows alive at once */
	/* SPAN copies suppressed (capture/dedup.h), at the engine's
	 * interface's index: counted in packets and bytes (frames given), in
	 * no flow and not in decoded. */
	uint64_t duplicates[EA_IFACE_COUNT];
} ea_totals;

/* Receives every record with its verdict, on the engine's thread, during
 * ea_engine_frame/tick/flush. Both are borrowed for the call: copy what
 * must outlive it. rec->end_reason is EA_END_ACTIVE for an update of a flow
 * still open; every other value ends the flow. */
typedef void (*ea_engine_emit_fn)(void *ctx, const ea_flow_record *rec, const ea_match_result *mr);

typedef struct {
	/* Matrix, signatures and site (a site file is required). The engine
	 * takes its own reference (ruleset.h). */
	const ea_ruleset *ruleset;
	ea_iface iface;
	unsigned max_flows;           /* flows alive at once; 0 = EA_DEFAULT_MAX_FLOWS */
	uint64_t hash_seed;
	/* µs between two updates of a flow still open (its first: that long
	 * after its first packet); 0 = none, a flow is emitted once, when it
	 * ends. */
	uint64_t active_timeout_us;
	/* false (the default): a frame that repeats one of the interface
	 * within EA_DEDUP_WINDOW_US (a SPAN session mirroring ingress and
	 * egress) is counted as a duplicate and goes no further; true: every
	 * frame is audited (--keep-duplicates). */
	bool keep_duplicates;
	ea_engine_emit_fn emit;
	void *ctx;
} ea_engine_config;

typedef struct ea_engine ea_engine;

/* EA_ERR_INTERNAL when the ruleset has no site file or emit is NULL;
 * EA_ERR_NOMEM; the classifier's errors. */
ea_status ea_engine_new(const ea_engine_config *cfg, ea_engine **out, char *errbuf, size_t errlen);
/* Frees the engine and every flow still open without emitting them
 * (ea_engine_flush first to record them). NULL is fine. */
void ea_engine_free(ea_engine *e);

/* One frame of the interface (its bytes borrowed for the call). A frame
 * with a replaced time is counted (ts_bad_fraction, ts_out_of_range);
 * one with no time (ts_known false) is counted as untimed_frame and not
 * decoded, since inventing a time would misplace its flow; a SPAN copy of
 * a frame just before is counted as a duplicate and goes no further. Time moving
 * forward in frames (µs) also runs idle expiry and the active timeout,
 * at most every EA_EXPIRY_SCAN_SEC. */
void ea_engine_frame(ea_engine *e, const ea_frame *frame);
/* The clock says now_us (µs since the epoch, the same clock as the
 * frames' times): fragments and flows idle past their timeouts end, and
 * flows due an active-timeout update get one, even when no frame comes.
 * A time earlier than the frames' ends nothing. */
void ea_engine_tick(ea_engine *e, uint64_t now_us);
/* Ends every open flow: incomplete datagrams first reach their flows,
 * then each flow is emitted with why (EA_END_EOF at a file's end,
 * EA_END_SHUTDOWN when a sensor stops), or FIN/RST when it closed so. */
void ea_engine_flush(ea_engine *e, ea_end_reason why);
/* Flows judged from now on (ended or updated) use rs (which must have a
 * site file; NULL or one without is ignored); its generation goes into
 * their records, and flows created from now on take their initiator from
 * its ports. The engine takes a reference to rs (the caller's own stays
 * the caller's) and drops its old one. */
void ea_engine_set_ruleset(ea_engine *e, const ea_ruleset *rs);
/* Counters so far; peak_flows is this engine's own peak. Valid until the
 * engine's next call. */
const ea_totals *ea_engine_totals(const ea_engine *e);
/* Counts an anomaly found before the engine saw a frame (the capture
 * reader's truncated_record), so the interface's totals hold it. */
void ea_engine_count_anomaly(ea_engine *e, ea_anomaly a);
/* Flows open now. */
unsigned ea_engine_open_flows(const ea_engine *e);

#endif
