/* outputs.h — the per-flow outputs for a SIEM, as one sink for the
 * pipeline's flow hook (ea_audit_config.on_flow, the engine's emit): the
 * EVE JSON file (eve.h) and the findings log (findings.h), both given
 * the matrix of the ruleset that judged the flow, for its rule ids.
 * `read` and `monitor` open it from their options alike.
 * Thread-safe, in two modes:
 *   - direct (read): the hook makes the lines in the caller's thread, so
 *     a file's run never loses a line (it may wait on a slow collector);
 *   - async (monitor): the hook copies the record into a bounded queue
 *     (cfg.queue_records) and returns at once; a thread of the outputs'
 *     own makes the lines. A collector that does not answer (a TCP
 *     connect waits up to EA_SYSLOG_CONNECT_TIMEOUT_MS, a send up to
 *     EA_SYSLOG_SEND_TIMEOUT_MS) then never holds up capture; a record
 *     that finds the queue full is dropped and counted per interface
 *     (ea_outputs_dropped). The getters never wait on a sink either.
 * Pipeline position: output, after match. */
#ifndef EA_OUTPUTS_H
#define EA_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "decode/packet.h"
#include "engine/flowrec.h"
#include "report/eve.h"
#include "report/findings.h"
#include "rules/match.h"
#include "rules/ruleset.h"
#include "util/error.h"

typedef struct {
	const char *eve_path;        /* --eve FILE; NULL: none */
	const char *syslog_target;   /* --syslog TARGET; NULL: no findings log */
	const char *syslog_facility; /* --syslog-facility NAME; NULL: local0 */
	const ea_ruleset *ruleset;   /* borrowed for the call; the outputs take a reference */
	bool async;                  /* monitor: a queue and a thread (see above) */
	unsigned queue_records;      /* async queue's size; 0 = EA_OUTPUT_QUEUE_RECORDS */
} ea_outputs_config;

typedef struct ea_outputs ea_outputs;

/* Opens what cfg names (nothing: a sink that does nothing). EA_ERR_USAGE
 * for a bad target or facility, or a host that does not resolve;
 * EA_ERR_IO for an EVE file that cannot be opened; EA_ERR_NOMEM. */
ea_status ea_outputs_open(const ea_outputs_config *cfg, ea_outputs **out, char *errbuf, size_t errlen);

/* Async: starts the thread (after a privilege drop, which wants one
 * thread only). Before it, the hook must not be called. EA_OK in direct
 * mode; EA_ERR_INTERNAL. */
ea_status ea_outputs_start(ea_outputs *o, char *errbuf, size_t errlen);

/* The flow hook: ctx is the ea_outputs. Async: never waits on a sink. */
void ea_outputs_flow(void *ctx, const ea_flow_record *rec, const ea_match_result *mr);

/* Flows judged from now on were judged by rs (a reload). */
void ea_outputs_set_ruleset(ea_outputs *o, const ea_ruleset *rs);

/* Gives the EVE file (the only file the outputs reopen) to uid:gid
 * (eve.h ea_eve_chown), before a privilege drop. EA_OK when there is no
 * EVE file; EA_ERR_IO. */
ea_status ea_outputs_chown(ea_outputs *o, uid_t uid, gid_t gid, char *errbuf, size_t errlen);

/* Reopens the EVE file (SIGHUP, after logrotate). EA_ERR_IO: the old one
 * stays in use, and the summary says so (the lines go to the file opened
 * before, no longer at its path) until a reopen succeeds. */
ea_status ea_outputs_reopen(ea_outputs *o, char *errbuf, size_t errlen);

/* Writes the findings' pending suppressed counts (end of run, SIGUSR1);
 * async: asks the thread to, after what is queued. */
void ea_outputs_flush(ea_outputs *o);

/* Async: waits until everything queued is written and the findings'
 * counts flushed (a stop, once capture has ended: its summary then
 * counts every line). Direct mode: returns at once. */
void ea_outputs_drain(ea_outputs *o);

/* Why the syslog collector is not reached now; "" when it is, or none.
 * The strings these getters give stay valid until the next flow. */
const char *ea_outputs_warning(const ea_outputs *o);

/* One line for the run's summary, e.g. "EVE: 61 lines to eve.json;
 * findings: 22 (22 lines for udp:10.0.0.5:514, 0 held back by the rate
 * limits); 0 syslog lines not sent"; "" when no output was asked for. */
void ea_outputs_summary(const ea_outputs *o, char *buf, size_t size);

/* Async: flow records of iface the full queue dropped (never given to
 * the sinks); 0 in direct mode. */
uint64_t ea_outputs_dropped(const ea_outputs *o, ea_iface iface);

/* EVE lines that could not be written (with the first reason in
 * *why, owned by o), 0 when all were. */
uint64_t ea_outputs_eve_failed(const ea_outputs *o, const char **why);

/* Syslog lines the collector did not take (with the last transport
 * failure in *why, owned by o), 0 when all were sent. */
uint64_t ea_outputs_syslog_unsent(const ea_outputs *o, const char **why);

/* Async: writes everything queued first (the thread drains, then ends).
 * Flushes, closes, frees. EA_ERR_IO when the EVE file's close failed.
 * NULL is fine. */
ea_status ea_outputs_close(ea_outputs *o, char *errbuf, size_t errlen);

#endif
