/* run.h — the life of a `read` run, from the data files to the closed
 * database: load the ruleset, hash and order the captures, open the store
 * and the run lock, claim the run (the duplicate check), read each capture
 * through the engines and the writer (engine/audit.h), record each input,
 * flush the flows still open, finish the run and close. Every message to
 * the operator and the exit code are decided here, as the commands'
 * documentation says; the command itself (cli/main.c) only parses options.
 *
 * It lives in cli/ because it is the top of the pipeline: it uses every
 * stage (rules, capture, engine, store) and owns the operator's messages
 * and exit codes, which no stage below may decide.
 * Pipeline position: cli/, on top of everything. */
#ifndef EA_RUN_H
#define EA_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "decode/packet.h"
#include "util/log.h"

typedef struct {
	const char *path;   /* a capture file, "-" or a pipe */
	ea_iface iface;
} ea_run_capture;

typedef struct {
	const char *site_path, *db_path, *matrix_path, *ports_path;
	const char *local_path;          /* --local rules; NULL: none */
	const ea_run_capture *captures;  /* in command-line order */
	unsigned n_captures;
	bool force;                      /* read captures already in the database */
	bool quiet;                      /* no progress, no summary */
	bool keep_duplicates;            /* audit SPAN copies too (engine.h) */
	/* The SIEM outputs (report/outputs.h): NULL when not wanted. */
	const char *eve_path, *syslog_target, *syslog_facility;
	unsigned max_flows;              /* per interface */
	uint64_t active_timeout_us;      /* 0: each flow written once, when it ends */
	/* A BPF expression (pcap-filter(7)): only the frames it passes are
	 * audited; checked before anything is written (exit 2), recorded as
	 * runs.filter. NULL or "": every frame. */
	const char *filter;
	const char *tool_version;
	const char *command_line;        /* recorded in the run row */
	ea_log *log;                     /* the program's; NULL: stderr */
	/* The number of the signal that asked the run to stop (SIGINT,
	 * SIGTERM), 0 until then; set by the caller's handler. */
	const volatile sig_atomic_t *stop;
	/* Called once the run is about to be claimed: from then on a signal
	 * must stop the run cleanly rather than kill the process. */
	void (*catch_signals)(void);
} ea_read_options;

/* Runs it; returns the exit code (README, `read --help`): 0, 1, 2, or 128
 * + the signal that stopped it. */
int ea_run_read(const ea_read_options *o);

#endif
