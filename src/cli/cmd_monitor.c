/* cmd_monitor.c — `edgeaudit monitor`: captures the Edge's external and
 * internal SPAN ports (capture/livepoll.c), audits every frame through
 * the same engines as `read` (engine/audit.c, in its live mode) and
 * queues each flow record to the writer thread (store/writer.h, retry
 * mode), until SIGTERM or SIGINT. SIGHUP reloads the data files, SIGUSR1
 * logs the counters.
 *
 * The capture loop never waits on SQLite: every store call of a running
 * sensor (interface events, a reload's run change, the run's end) is a
 * job the writer thread makes in its turn, in order with the flows; only
 * the start (the run's claim) and the exit after capture has stopped use
 * the store directly.
 *
 * Which configuration judged which flows: a run row records the hashes of
 * the files it was started with. A reload that changes any of them ends
 * the current run (complete, with the flows that had ended) and begins a
 * new run with the new hashes and rules; flows still open carry on and
 * are stored in the new run, judged by the new files when they end. A
 * reload that changes nothing keeps the run.
 *
 * Position: cli/, on top of the pipeline; the only place monitor's exit
 * codes and messages are decided. */
#include "cli/cmd_monitor.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/datadir.h"
#include "cli/dbowner.h"
#include "cli/evecheck.h"
#include "cli/privdrop.h"
#include "capture/livepoll.h"
#include "capture/source.h"
#include "engine/audit.h"
#include "engine/classify.h"
#include "report/outputs.h"
#include "rules/ruleset.h"
#include "store/runlock.h"
#include "store/stoploss.h"
#include "store/store.h"
#include "util/ea_limits.h"
#include "util/error.h"
#include "util/escape.h"

#define MATRIX_FILE "lync2013-edge.matrix"
#define PORTS_FILE "ports.sig"
#define ERRBUF_SIZE 8192

const char ea_monitor_usage[] =
	"usage: edgeaudit monitor --site FILE --db FILE [--external IFACE] [--internal IFACE]\n"
	"                         [--matrix FILE] [--ports FILE] [--local FILE] [--filter EXPR]\n"
	"                         [--snaplen N] [--buffer-mib N] [--max-flows N] [--keep-duplicates]\n"
	"                         [--eve FILE] [--syslog TARGET] [--syslog-facility NAME]\n"
	"                         [--active-timeout SECONDS] [--stats-interval SECONDS]\n"
	"                         [--retain-days N] [--stop-timeout SECONDS] [--user NAME]\n"
	"\n"
	"Captures the Edge's SPAN ports live (promiscuous, frames in kernel blocks\n"
	"at least every 100 ms) and audits them as 'read' audits files: every flow\n"
	"is classified, matched against the port matrix and stored in the database\n"
	"when it ends (idle timeout, eviction, the sensor stopping; a TCP flow\n"
	"closed by FIN or RST 10 s later, for the packets still on their way), and\n"
	"every --active-timeout while it lives; a stored row reaches the database\n"
	"within about a second. Runs until SIGTERM or SIGINT.\n"
	"\n"
	"  --site FILE        who is who: addresses of the matrix's roles, and the\n"
	"                     deployment profile (required)\n"
	"  --local FILE       the site's own rules (local-NN, allow or deny), beside\n"
	"                     the matrix; reloaded with it on SIGHUP\n"
	"  --db FILE          SQLite database, created if absent (required); its\n"
	"                     folder must be writable by the --user (SQLite's -wal\n"
	"                     and -shm files), else exit 2\n"
	"  --external IFACE   the interface receiving the external NIC's mirror\n"
	"  --internal IFACE   the interface receiving the internal NIC's mirror\n"
	"                     (at least one of the two; both are captured in one loop)\n"
	"  --matrix FILE      port matrix (default " MATRIX_FILE ", found as 'read' finds it)\n"
	"  --ports FILE       port signatures (default " PORTS_FILE ", likewise)\n"
	"                     (--portsig is the same option)\n"
	"  --filter EXPR      BPF filter (pcap-filter(7)), checked at start\n"
	"  --snaplen N        bytes kept per frame (default and maximum 262144: whole frames)\n"
	"  --buffer-mib N     kernel capture buffer per interface, MiB (default 64:\n"
	"                     a quarter second of a 1 Gb/s burst; at most 1024)\n"
	"  --max-flows N      concurrent flows kept per interface before the least\n"
	"                     recently active is evicted (default 1000000)\n"
	"  --keep-duplicates  audit every frame: no suppression of SPAN duplicates\n"
	"  --active-timeout SECONDS  a flow still open is written (its row updated,\n"
	"                     never duplicated) every SECONDS while it lives, so\n"
	"                     flow_verdicts shows its current counts (default 60,\n"
	"                     1 to 86400)\n"
	"  --stats-interval SECONDS  how often losses are recorded per interface in\n"
	"                     capture_stats: libpcap's received, dropped and\n"
	"                     interface-dropped frames, flow records the write queue\n"
	"                     dropped, flows evicted, duplicates suppressed (default\n"
	"                     60, 1 to 3600; and at stop); 'report' shows them first\n"
	"  --retain-days N    delete flows older than N days (at start, then hourly,\n"
	"                     in small batches) after rolling their per-day totals up\n"
	"                     per rule and finding group (default: keep everything)\n"
	"  --stop-timeout SECONDS  at SIGTERM or SIGINT, how long a database that\n"
	"                     cannot be written (locked, read-only, full) is retried\n"
	"                     before the rows still held are given up (exit 1, with\n"
	"                     their count) (default 30, 1 to 3600; keep a service\n"
	"                     manager's stop timeout above it: the unit's\n"
	"                     TimeoutStopSec is 60)\n"
	"  --eve FILE         append one JSON line per flow to FILE, as for 'read';\n"
	"                     reopened on SIGHUP (logrotate)\n"
	"  --syslog TARGET    log each finding as it is decided, as for 'read'\n"
	"  --syslog-facility NAME  facility of those lines (default local0)\n"
	"  --user NAME        the user to become once the interfaces and the database\n"
	"                     are open (default edgeaudit, else nobody; a numeric uid\n"
	"                     is taken too); 'root' (or 0) is the only way to stay\n"
	"                     root. Only CAP_NET_RAW is kept, to reopen an interface\n"
	"                     that comes back after a loss.\n"
	"                     Started as root, the database's files (and -runlock)\n"
	"                     and the --eve file are given to that user; a start\n"
	"                     that cannot write them names their owner (exit 2).\n"
	"\n"
	"Interfaces: one missing or down at start is an error (exit 2). One that\n"
	"disappears or goes down while running is logged once and recorded in the\n"
	"table interface_events ('lost', then 'back'); the other interface keeps\n"
	"being captured, and the lost one is opened again every 2 s until it is back.\n"
	"\n"
	"Database: one writer thread makes every store call, so capture never waits\n"
	"on SQLite; while the database is locked, read-only or full, rows wait in\n"
	"memory (the failure is logged once, then retried) and are written when it\n"
	"works again; a row that finds the queue full is dropped and counted.\n"
	"\n"
	"Signals: SIGTERM or SIGINT ends every open flow (end reason 'shutdown'),\n"
	"writes it and every pending row, marks the run complete and exits 0. SIGHUP reloads the matrix, the port\n"
	"signatures and the site file: a file with errors is refused (each error\n"
	"logged as file:line), the configuration in use is kept and capture goes\n"
	"on; a good one replaces it without losing a flow or stopping capture: the\n"
	"current run ends (complete) and a new run with the new files' hashes\n"
	"begins, holding every flow that ends from then on. SIGHUP also reopens\n"
	"the --eve file, whatever becomes of the data files. SIGUSR1 logs the\n"
	"counters of each interface (frames, flows, duplicates, queue drops,\n"
	"libpcap's received and dropped). Messages go to standard error.\n"
	"\n"
	"Exit codes: 0 stopped by SIGTERM or SIGINT, every flow stored; 1 flows\n"
	"not written by the time it stopped (the database still failing after\n"
	"--stop-timeout seconds of retries), a database failure at start, or EVE lines that could not\n"
	"be written; 2 a bad option or filter, a data file missing or wrong, an\n"
	"--eve file that cannot be opened or a bad --syslog target, a --db folder\n"
	"the --user cannot write, a database file this process may not write\n"
	"(its owner named), or an interface missing or down at start.\n";

/* The signal flags of this command, and the only thing its handlers
 * touch (OpenBSD pflogd's way): the loop reads and clears them between
 * two rounds. Process-wide by nature, like main's stop flag for read. */
static volatile sig_atomic_t got_stop, got_hup, got_usr1;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_stop = sig;
}

/* No SA_RESTART: poll(2) returns at once with EINTR, so a signal is seen
 * without waiting for the next frame or timeout. Each handler runs with
 * the others blocked. */
static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

/* Running totals of one interface at the start of a capture-stats
 * interval. */
typedef struct {
	uint64_t start_us;            /* wall clock, µs */
	uint64_t received, dropped, if_dropped, queue_dropped, evicted, duplicates, refused, output_dropped;
} stats_base;

typedef struct {
	ea_log *log;
	const char *tool_version;
	const char *db_path;
	char cmdline[2048];
	ea_ruleset_paths paths;
	const ea_ruleset *ruleset;   /* the configuration in use (one reference) */
	ea_store *store;
	ea_runlock *runlock;
	ea_audit *audit;              /* the engines and the writer thread */
	ea_log *writer_log;           /* the writer thread's own (log.h is one thread's) */
	ea_livepoll *poll;
	ea_outputs *outputs;         /* --eve, --syslog; NULL when neither */
	/* The run that flows queued from now on go to; the writer's own run
	 * changes when it reaches the reload's job. Written by the writer
	 * thread (the reload's job), read by the capture loop's messages. */
	_Atomic int64_t run_id;
	ea_audit_totals run_start;   /* the audit's totals when the run began */
	uint64_t flows[EA_IFACE_COUNT]; /* flows ended per interface, since start */
	/* Running totals at the start of the current capture-stats interval,
	 * per interface: what the next row records is the difference. */
	stats_base base[EA_IFACE_COUNT];
	unsigned retain_days;         /* 0: keep everything */
	ea_status failed;            /* first database failure seen in a callback */
	char err[ERRBUF_SIZE];
} monitor;

static void say(monitor *m, ea_log_level level, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void say(monitor *m, ea_log_level level, const char *key, const char *fmt, ...)
{
	char line[EA_LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	ea_log_msg(m->log, level, key, "%s", line);
}

/* A message of several lines (a data file's errors): one log line each. */
static void say_lines(monitor *m, ea_log_level level, const char *prefix, const char *msg)
{
	const char *p = msg;
	do {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		say(m, level, NULL, "%s%.*s", prefix, n, p);
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- callbacks from the capture loop and the audit ---- */

static void on_frame(void *ctx, ea_iface iface, const ea_frame *frame)
{
	monitor *m = ctx;
	if (m->failed != EA_OK)
		return;
	char err[512];
	/* Live: queued to the writer, never waits; only a classifier that
	 * cannot start an interface's engine fails here. */
	ea_status st = ea_audit_frame(m->audit, iface, frame, err, sizeof err);
	if (st != EA_OK) {
		m->failed = st;
		snprintf(m->err, sizeof m->err, "%s", err);
	}
}

/* ---- store calls, made by the writer thread in its turn (writer.h) ----
 * The capture loop only queues them: a report reading, a locked,
 * read-only or full database never holds up capture. Each job's argument
 * is the writer's copy, so strings are copied into it. */

typedef struct {
	ea_iface iface;
	bool back;
	uint64_t at_us;
	char name[64];
	char reason[512];
} iface_event_job;

static ea_status write_iface_event(ea_store *st, int64_t *run_id, void *arg, char *errbuf, size_t errlen)
{
	iface_event_job *j = arg;
	ea_iface_event ev = {.iface = j->iface, .name = j->name, .at_us = j->at_us, .back = j->back,
			     .reason = j->reason[0] ? j->reason : NULL};
	return ea_store_add_iface_event(st, *run_id, &ev, errbuf, errlen);
}

static ea_status begin_run(monitor *m, const ea_ruleset *rs, int64_t *run_id, char *errbuf, size_t errlen);

static ea_status write_capture_stats(ea_store *st, int64_t *run_id, void *arg, char *errbuf, size_t errlen)
{
	return ea_store_add_capture_stats(st, *run_id, arg, errbuf, errlen);
}

typedef struct {
	unsigned days;
	uint64_t now_us;
	ea_log *log;                  /* the writer thread's (borrowed) */
} retain_job;

static ea_status retain(ea_store *st, int64_t *run_id, void *arg, char *errbuf, size_t errlen)
{
	retain_job *j = arg;
	ea_retain_result res = {0};
	ea_status s = ea_store_retain(st, j->days, j->now_us, 0, &res, errbuf, errlen);
	/* One line per pass (at start, then hourly): what an audit's
	 * evidence lost to retention is said, with the rollups that keep it. */
	if (j->log)
		ea_log_msg(j->log, s == EA_OK ? EA_LOG_NOTICE : EA_LOG_WARNING, NULL,
			   "retention (--retain-days %u): %llu flows deleted, %llu run-days rolled up%s", j->days,
			   (unsigned long long)res.flows, (unsigned long long)res.days,
			   s == EA_OK ? "" : " before a failure (retried at the next pass)");
	return s;
}

/* A reload's run change: the new run is claimed, then the old one
 * finished with its totals, then the flows after this job go to the new
 * run. Progress is kept in the job's own copy, so a retry after a
 * failure never claims twice. */
typedef struct {
	monitor *m;
	const ea_ruleset *next;       /* a reference, dropped once the job is done */
	int64_t new_run;              /* 0 until claimed */
	ea_run_totals old_totals;     /* status: a literal */
} switch_run_job;

static ea_status finish_run_totals(monitor *m, int64_t run_id, const ea_run_totals *rt, ea_store *st,
				   char *errbuf, size_t errlen)
{
	ea_status s = ea_store_finish_run(st, run_id, rt, errbuf, errlen);
	if (s == EA_OK)
		ea_runlock_release(m->runlock, run_id);
	return s;
}

static ea_status switch_run(ea_store *st, int64_t *run_id, void *arg, char *errbuf, size_t errlen)
{
	switch_run_job *j = arg;
	if (!j->new_run) {
		/* The writer's thread: its own message buffer, never m->err. */
		ea_status s = begin_run(j->m, j->next, &j->new_run, errbuf, errlen);
		if (s != EA_OK) {
			j->new_run = 0;
			return s;
		}
	}
	/* Flows open across the reload keep one row: it moves to the new run,
	 * which their next update or their end rewrites. */
	ea_status s = ea_store_move_open_flows(st, *run_id, j->new_run, errbuf, errlen);
	if (s == EA_OK)
		s = finish_run_totals(j->m, *run_id, &j->old_totals, st, errbuf, errlen);
	if (s != EA_OK)
		return s;
	*run_id = j->new_run;
	j->m->run_id = j->new_run;
	ea_ruleset_unref(j->next);
	j->next = NULL;
	return EA_OK;
}

typedef struct {
	monitor *m;
	ea_run_totals totals;         /* status: a literal */
} end_run_job;

static ea_status end_run_now(ea_store *st, int64_t *run_id, void *arg, char *errbuf, size_t errlen)
{
	end_run_job *j = arg;
	return finish_run_totals(j->m, *run_id, &j->totals, st, errbuf, errlen);
}

static void on_flow(void *ctx, const ea_flow_record *rec, const ea_match_result *mr)
{
	monitor *m = ctx;
	if (rec->end_reason != EA_END_ACTIVE)
		m->flows[rec->iface]++;
	if (m->outputs)
		ea_outputs_flow(m->outputs, rec, mr);
}

static void on_change(void *ctx, ea_iface iface, const char *name, bool up, const char *reason)
{
	monitor *m = ctx;
	char key[EA_LOG_KEY_MAX];
	snprintf(key, sizeof key, "iface %s", name);
	if (up)
		say(m, EA_LOG_NOTICE, key, "%s interface %s is back: capture resumed", ea_iface_name(iface), name);
	else
		say(m, EA_LOG_WARNING, key,
		    "%s interface lost: %s; capture goes on on the other interface, and this one is "
		    "opened again every %d s", ea_iface_name(iface), reason, EA_LIVE_RETRY_MS / 1000);
	iface_event_job j = {.iface = iface, .back = up, .at_us = wall_us()};
	snprintf(j.name, sizeof j.name, "%s", name);
	snprintf(j.reason, sizeof j.reason, "%s", reason ? reason : "");
	if (!m->audit || !ea_audit_store_call_unordered(m->audit, write_iface_event, &j, sizeof j))
		say(m, EA_LOG_ERROR, "queue-full", "%s interface %s %s: not recorded, the write queue is full",
		    ea_iface_name(iface), name, up ? "back" : "lost");
}

/* ---- runs ---- */

/* Starts a run with rs's files and rules (a claim without inputs). */
static ea_status begin_run(monitor *m, const ea_ruleset *rs, int64_t *run_id, char *errbuf, size_t errlen)
{
	const ea_ruleset_file_info *mf = ea_ruleset_file_get(rs, EA_RULESET_MATRIX),
				   *pf = ea_ruleset_file_get(rs, EA_RULESET_PORTSIGS),
				   *sf = ea_ruleset_file_get(rs, EA_RULESET_SITE),
				   *lf = ea_ruleset_file_get(rs, EA_RULESET_LOCAL);
	ea_run_info info = {
		.tool_version = m->tool_version, .ndpi_version = ea_classifier_ndpi_version(),
		.matrix_path = mf->path, .matrix_sha256 = mf->sha256,
		.portsig_path = pf->path, .portsig_sha256 = pf->sha256,
		.site_path = sf->path, .site_sha256 = sf->sha256,
		.local_path = lf->path, .local_sha256 = lf->sha256,
		.command_line = m->cmdline, .started_at = (int64_t)time(NULL),
		.live = true,
	};
	ea_run_liveness live = ea_runlock_liveness(m->runlock);
	ea_run_claim claim = {.info = &info, .matrix = ea_ruleset_matrix(rs), .liveness = &live};
	return ea_store_claim_run(m->store, &claim, run_id, NULL, NULL, errbuf, errlen);
}

/* What the audit counted since the current run began. */
static ea_run_totals run_totals(monitor *m, const char *status)
{
	const ea_audit_totals *t = m->audit ? ea_audit_get_totals(m->audit) : &m->run_start;
	const ea_audit_totals *s = &m->run_start;
	ea_run_totals rt = {
		.packets = t->packets - s->packets, .bytes = t->bytes - s->bytes,
		.flows = t->flows - s->flows, .decoded = t->decoded - s->decoded,
		.evicted = t->evicted - s->evicted, .peak_flows = t->peak_flows,
		.finished_at = (int64_t)time(NULL), .status = status,
	};
	for (int i = 0; i < EA_ANOMALY_COUNT; i++)
		rt.anomalies[i] = t->anomalies[i] - s->anomalies[i];
	return rt;
}

/* Finishes the current run directly: only once the writer is closed. */
static ea_status end_run(monitor *m, const char *status, char *errbuf, size_t errlen)
{
	ea_run_totals rt = run_totals(m, status);
	return ea_store_finish_run(m->store, m->run_id, &rt, errbuf, errlen);
}

static bool same_files(const ea_ruleset *a, const ea_ruleset *b)
{
	for (int f = 0; f < EA_RULESET_FILE_COUNT; f++)
		if (strcmp(ea_ruleset_file_get(a, (ea_ruleset_file)f)->sha256,
			   ea_ruleset_file_get(b, (ea_ruleset_file)f)->sha256) != 0)
			return false;
	return true;
}

/* SIGHUP: the files again, validated as one; kept only when all is well. */
static void reload(monitor *m)
{
	const ea_ruleset *next = NULL;
	char *err = malloc(ERRBUF_SIZE);
	/* logrotate's postrotate sends SIGHUP for the EVE file: it is
	 * reopened whatever becomes of the data files. */
	char rerr[512];
	if (m->outputs && ea_outputs_reopen(m->outputs, rerr, sizeof rerr) != EA_OK)
		say(m, EA_LOG_ERROR, NULL, "reload: %s; the EVE file in use is kept: lines go on to the file "
		    "opened before (renamed by the rotation), and the counters say so until a reopen works", rerr);
	if (!err) {
		say(m, EA_LOG_ERROR, NULL, "reload refused: out of memory; the configuration in use is kept");
		return;
	}
	ea_status st = ea_ruleset_load(&m->paths, m->ruleset, &next, err, ERRBUF_SIZE);
	if (st != EA_OK) {
		say(m, EA_LOG_ERROR, NULL, "reload refused: the configuration in use (generation %llu, run %lld) "
		    "is kept; the new files have these errors:",
		    (unsigned long long)ea_ruleset_generation(m->ruleset), (long long)m->run_id);
		say_lines(m, EA_LOG_ERROR, "reload: ", err);
		free(err);
		return;
	}
	if (same_files(next, m->ruleset)) {
		say(m, EA_LOG_NOTICE, NULL, "reload: matrix, port signatures and site file unchanged; run %lld goes on",
		    (long long)m->run_id);
		ea_ruleset_unref(next);
		free(err);
		return;
	}
	/* The run change is the writer's job, in order with the flows: those
	 * queued before it go to the old run, those after it (judged by the
	 * new files) to the new one, and the capture loop never waits for
	 * the database. Only a full queue refuses the reload. */
	switch_run_job j = {.m = m, .next = ea_ruleset_ref(next), .old_totals = run_totals(m, "complete")};
	if (!ea_audit_store_call(m->audit, switch_run, &j, sizeof j)) {
		say(m, EA_LOG_ERROR, NULL, "reload refused: the write queue is full; the configuration in use is kept");
		ea_ruleset_unref(next);
		ea_ruleset_unref(next);
		free(err);
		return;
	}
	ea_audit_set_ruleset(m->audit, next, 0);
	if (m->outputs)
		ea_outputs_set_ruleset(m->outputs, next);
	m->run_start = *ea_audit_get_totals(m->audit);
	ea_ruleset_unref(m->ruleset);
	m->ruleset = next;
	const ea_ruleset_file_info *sf = ea_ruleset_file_get(next, EA_RULESET_SITE),
				   *mf = ea_ruleset_file_get(next, EA_RULESET_MATRIX);
	say(m, EA_LOG_NOTICE, NULL, "reload: configuration generation %llu in use (matrix sha256 %.16s…, "
	    "site sha256 %.16s…); the current run is marked complete and a new run holds the flows that end "
	    "from now on", (unsigned long long)ea_ruleset_generation(next), mf->sha256, sf->sha256);
	/* Messages go to standard error, which the service manager holds:
	 * nothing of ours to reopen but the EVE file (above). */
	ea_log_flush(m->log);
	free(err);
}

/* One capture_stats row per interface captured: libpcap's counters and the
 * sensor's own drops since the last row (differences of running totals).
 * A row the queue has no room for is not lost: the next one covers its
 * interval too. */
static void record_capture_stats(monitor *m, uint64_t now_us)
{
	ea_writer_stats ws = ea_audit_writer_stats(m->audit);
	for (int i = 0; i < EA_IFACE_COUNT; i++) {
		ea_livepoll_stats s;
		ea_livepoll_get_stats(m->poll, (ea_iface)i, &s);
		if (!s.captured)
			continue;
		const ea_totals *t = ea_audit_iface_totals(m->audit, (ea_iface)i);
		uint64_t evicted = t ? t->evicted : 0, duplicates = t ? t->duplicates[i] : 0;
		uint64_t output_dropped = ea_outputs_dropped(m->outputs, (ea_iface)i);
		stats_base *b = &m->base[i];
		ea_capture_stats cs = {
			.iface = (ea_iface)i, .start_us = b->start_us, .end_us = now_us, .kernel = true,
			.kernel_received = s.received - b->received, .kernel_dropped = s.dropped - b->dropped,
			.if_dropped = s.if_dropped - b->if_dropped,
			.queue_dropped = ws.dropped[i] - b->queue_dropped,
			.evicted = evicted - b->evicted, .duplicates = duplicates - b->duplicates,
			.refused = ws.refused[i] - b->refused, .output_dropped = output_dropped - b->output_dropped,
		};
		if (cs.end_us < cs.start_us)
			cs.end_us = cs.start_us; /* the wall clock stepped back */
		if (!ea_audit_store_call_unordered(m->audit, write_capture_stats, &cs, sizeof cs)) {
			say(m, EA_LOG_ERROR, "queue-full", "%s: capture statistics not queued (the write queue is "
			    "full); the next row covers this interval too", ea_iface_name((ea_iface)i));
			continue;
		}
		*b = (stats_base){.start_us = cs.end_us, .received = s.received, .dropped = s.dropped,
				      .if_dropped = s.if_dropped, .queue_dropped = ws.dropped[i],
				      .evicted = evicted, .duplicates = duplicates, .refused = ws.refused[i],
				      .output_dropped = output_dropped};
	}
}

/* --retain-days: retention by the writer thread, in its batches. */
static void queue_retention(monitor *m)
{
	retain_job j = {.days = m->retain_days, .now_us = wall_us(), .log = m->writer_log};
	if (!ea_audit_store_call_unordered(m->audit, retain, &j, sizeof j))
		say(m, EA_LOG_WARNING, "queue-full", "retention postponed: the write queue is full");
}

/* SIGUSR1: one line per interface, one for the flows. */
static void log_counters(monitor *m)
{
	for (int i = 0; i < EA_IFACE_COUNT; i++) {
		ea_livepoll_stats s;
		ea_livepoll_get_stats(m->poll, (ea_iface)i, &s);
		if (!s.captured)
			continue;
		say(m, EA_LOG_INFO, NULL,
		    "counters: %s: %s, %llu frames, %llu flows ended, %llu duplicates suppressed, %llu flow "
		    "records dropped (write queue full), %llu not given to EVE/syslog (output queue full); "
		    "libpcap: %llu received, %llu dropped, "
		    "%llu dropped by the interface; lost %llu time%s",
		    ea_iface_name((ea_iface)i), s.up ? "capturing" : "lost", (unsigned long long)s.frames,
		    (unsigned long long)m->flows[i], (unsigned long long)ea_audit_get_totals(m->audit)->duplicates[i],
		    (unsigned long long)ea_audit_writer_stats(m->audit).dropped[i],
		    (unsigned long long)ea_outputs_dropped(m->outputs, (ea_iface)i), (unsigned long long)s.received,
		    (unsigned long long)s.dropped, (unsigned long long)s.if_dropped,
		    (unsigned long long)s.losses, s.losses == 1 ? "" : "s");
	}
	const ea_audit_totals *t = ea_audit_get_totals(m->audit);
	say(m, EA_LOG_INFO, NULL,
	    "counters: run %lld: %llu packets, %llu flows ended (%llu documented, %llu documented-port-only, "
	    "%llu mismatch, %llu wrong-direction, %llu unexpected), %llu evicted",
	    (long long)m->run_id, (unsigned long long)t->packets, (unsigned long long)t->flows,
	    (unsigned long long)t->verdicts[EA_VERDICT_DOCUMENTED],
	    (unsigned long long)t->verdicts[EA_VERDICT_PORT_ONLY],
	    (unsigned long long)t->verdicts[EA_VERDICT_MISMATCH],
	    (unsigned long long)t->verdicts[EA_VERDICT_WRONG_DIRECTION],
	    (unsigned long long)t->verdicts[EA_VERDICT_UNEXPECTED], (unsigned long long)t->evicted);
	if (m->outputs) {
		char line[1024];
		ea_outputs_flush(m->outputs);
		ea_outputs_summary(m->outputs, line, sizeof line);
		if (line[0])
			say(m, EA_LOG_INFO, NULL, "counters: %s", line);
	}
	ea_log_flush(m->log);
}

/* A stop gave up flow records (the database still failing at
 * --stop-timeout): the database cannot say so now, the file beside it
 * does until the next start records it (store/stoploss.h). */
static void note_stop_loss(monitor *m, const char *db)
{
	ea_writer_stats ws = ea_audit_writer_stats(m->audit);
	uint64_t records = 0;
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		records += ws.stop_lost_records[i];
	if (!records)
		return;
	char err[512], shown[512];
	if (ea_stoploss_write(db, m->run_id, wall_us(), ws.stop_lost_records, ws.stop_lost_flows, err,
			      sizeof err) == EA_OK)
		say(m, EA_LOG_ERROR, NULL, "monitor: the loss is kept in %s-stoploss; the next monitor start "
		    "records it in run %lld's capture_stats, for 'report'", ea_escape(db, shown, sizeof shown),
		    (long long)m->run_id);
	else
		say(m, EA_LOG_ERROR, NULL, "monitor: the loss could not be kept either: %s", err);
}

/* ---- options ---- */

static int usage_fail(monitor *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_fail(monitor *m, const char *fmt, ...)
{
	char line[EA_LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	say(m, EA_LOG_ERROR, NULL, "%s", line);
	ea_log_flush(m->log);
	/* GNU tools' way: the message stays the last thing on screen. */
	fputs("Try 'edgeaudit monitor --help'.\n", stderr);
	return EA_EXIT_USAGE;
}

static bool parse_number(const char *text, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	if (!text || *text < '0' || *text > '9')
		return false;
	unsigned long v = strtoul(text, &end, 10);
	if (*end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static uint64_t random_seed(void)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	return seed;
}

typedef struct {
	const char *site, *db, *matrix, *ports, *filter, *user, *local;
	const char *eve, *syslog_target, *syslog_facility;
	bool keep_duplicates;
	const char *ifname[EA_IFACE_COUNT];
	unsigned long snaplen, buffer_mib, max_flows, active_timeout, stats_interval, retain_days;
	unsigned long stop_timeout;
} monitor_options;

/* Parses argv; returns -1 to go on, else the exit code. */
static int parse_options(monitor *m, int argc, char **argv, monitor_options *o)
{
	static const struct option opts[] = {
		{"site", required_argument, 0, 's'},     {"db", required_argument, 0, 'd'},
		{"external", required_argument, 0, 'e'}, {"internal", required_argument, 0, 'i'},
		{"matrix", required_argument, 0, 'm'},   {"ports", required_argument, 0, 'p'},
		{"portsig", required_argument, 0, 'p'},  {"filter", required_argument, 0, 'f'},
		{"snaplen", required_argument, 0, 'S'},  {"buffer-mib", required_argument, 0, 'b'},
		{"max-flows", required_argument, 0, 'n'}, {"help", no_argument, 0, 'h'},
		{"keep-duplicates", no_argument, 0, 'k'}, {"user", required_argument, 0, 'u'},
		{"eve", required_argument, 0, 'E'},      {"syslog", required_argument, 0, 'L'},
		{"syslog-facility", required_argument, 0, 'F'},
		{"active-timeout", required_argument, 0, 'A'},
		{"stats-interval", required_argument, 0, 'I'},
		{"retain-days", required_argument, 0, 'R'},
		{"stop-timeout", required_argument, 0, 'T'},
		{"local", required_argument, 0, 'l'},
		{0, 0, 0, 0}};
	const char **slot = NULL;
	unsigned long *num = NULL;
	unsigned long lo = 1, hi = 0;
	char seen[128] = {0};
	int opt;
	*o = (monitor_options){.active_timeout = EA_ACTIVE_TIMEOUT_DEFAULT_SEC,
			       .stats_interval = EA_CAPTURE_STATS_SEC,
			       .stop_timeout = EA_WRITER_CLOSE_WAIT_US / 1000000u};
	optind = 1;
	opterr = 0;
	int idx = -1;
	while ((opt = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (opt == 'h') {
			fputs(ea_monitor_usage, stdout);
			return EA_EXIT_OK;
		}
		if (opt == '?' || opt == ':') {
			const char *arg = argv[optind - 1];
			if (optopt && strncmp(arg, "--", 2) == 0)
				return usage_fail(m, "monitor: option '%s' needs a value", arg);
			return usage_fail(m, "monitor: unknown option '%s'", arg);
		}
		const char *name = idx >= 0 ? opts[idx].name : "?";
		if (seen[opt & 127])
			return usage_fail(m, "monitor: --%s is given twice; give it once", name);
		seen[opt & 127] = 1;
		slot = NULL;
		num = NULL;
		switch (opt) {
		case 's': slot = &o->site; break;
		case 'd': slot = &o->db; break;
		case 'e': slot = &o->ifname[EA_IFACE_EXTERNAL]; break;
		case 'i': slot = &o->ifname[EA_IFACE_INTERNAL]; break;
		case 'm': slot = &o->matrix; break;
		case 'p': slot = &o->ports; break;
		case 'f': slot = &o->filter; break;
		case 'u': slot = &o->user; break;
		case 'l': slot = &o->local; break;
		case 'E': slot = &o->eve; break;
		case 'L': slot = &o->syslog_target; break;
		case 'F': slot = &o->syslog_facility; break;
		case 'k': o->keep_duplicates = true; break;
		case 'S': num = &o->snaplen; hi = EA_LIVE_SNAPLEN; break;
		case 'b': num = &o->buffer_mib; hi = EA_LIVE_BUFFER_MIB_MAX; break;
		case 'n': num = &o->max_flows; hi = 100000000ul; break;
		case 'A': num = &o->active_timeout; hi = EA_ACTIVE_TIMEOUT_MAX_SEC; break;
		case 'I': num = &o->stats_interval; hi = EA_CAPTURE_STATS_SEC_MAX; break;
		case 'R': num = &o->retain_days; hi = EA_RETAIN_DAYS_MAX; break;
		case 'T': num = &o->stop_timeout; hi = EA_STOP_TIMEOUT_MAX_SEC; break;
		}
		if (slot)
			*slot = optarg;
		if (num && !parse_number(optarg, lo, hi, num))
			return usage_fail(m, "monitor: --%s takes a number from %lu to %lu, not '%s'", name, lo, hi,
					  optarg);
		idx = -1;
	}
	if (optind < argc)
		return usage_fail(m, "monitor: unexpected argument '%s'", argv[optind]);
	if (!o->site)
		return usage_fail(m, "monitor: --site is required");
	if (!o->db)
		return usage_fail(m, "monitor: --db is required");
	if (!o->ifname[EA_IFACE_EXTERNAL] && !o->ifname[EA_IFACE_INTERNAL])
		return usage_fail(m, "monitor: give --external IFACE, --internal IFACE or both");
	if (o->ifname[EA_IFACE_EXTERNAL] && o->ifname[EA_IFACE_INTERNAL] &&
	    strcmp(o->ifname[EA_IFACE_EXTERNAL], o->ifname[EA_IFACE_INTERNAL]) == 0)
		return usage_fail(m, "monitor: '%s' is given as both the external and the internal interface",
				  o->ifname[EA_IFACE_EXTERNAL]);
	if (o->syslog_facility && !o->syslog_target)
		return usage_fail(m, "monitor: --syslog-facility needs --syslog");
	struct stat sb;
	if (stat(o->db, &sb) == 0 && S_ISDIR(sb.st_mode))
		return usage_fail(m, "monitor: --db '%s' is a directory; give a file", o->db);
	if (o->eve && stat(o->eve, &sb) == 0 && S_ISDIR(sb.st_mode))
		return usage_fail(m, "monitor: --eve '%s' is a directory; give a file", o->eve);
	char err[640];
	ea_eve_inputs used = {.db = o->db, .site = o->site, .matrix = o->matrix, .ports = o->ports,
			       .local = o->local};
	if (ea_eve_check_not_input(o->eve, &used, err, sizeof err) != EA_OK)
		return usage_fail(m, "monitor: %s", err);
	/* The user to become is looked up now: a wrong --user writes nothing. */
	ea_privdrop_config pd = {.user = o->user};
	uid_t uid;
	gid_t gid;
	if (ea_privdrop_target(&pd, &uid, &gid, err, sizeof err) != EA_OK)
		return usage_fail(m, "monitor: %s", err);
	/* SQLite creates and removes the database's -wal, -shm and -journal
	 * files beside it, as the user the sensor runs as once root is given
	 * up: a folder that user may not write would leave WAL files behind
	 * at every stop, keep the database from going back to a rollback
	 * journal, and fail whenever SQLite must create them again. Refused
	 * now, naming the folder, rather than a sensor that runs months in a
	 * degraded mode. */
	if (geteuid() != 0) {
		uid = geteuid();
		gid = getegid();
	}
	if (!ea_privdrop_user_can_write_dir_of(o->db, uid, gid)) {
		char shown[512], dir[512];
		ea_escape(o->db, shown, sizeof shown);
		const char *slash = strrchr(shown, '/');
		snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash == shown ? 1 : slash - shown) : 1,
			 slash ? shown : ".");
		return usage_fail(m, "monitor: --db %s: the folder %s is not writable by uid %lu, the user the "
				  "sensor runs as: SQLite must create its -wal and -shm files there; give the folder "
				  "to that user (as /var/lib/edgeaudit is) or choose another", shown, dir,
				  (unsigned long)uid);
	}
	return -1;
}

/* ---- the command ---- */

static void build_command_line(int argc, char **argv, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < argc && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? " " : "", argv[i]);
}

int ea_cmd_monitor(int argc, char **argv, ea_log *log, const char *tool_version)
{
	monitor *m = calloc(1, sizeof *m);
	ea_log *own_log = NULL;
	if (!m) {
		fputs("edgeaudit: out of memory\n", stderr);
		return EA_EXIT_RUNTIME;
	}
	if (!log) {
		ea_log_options lo = {.stream = stderr, .prefix = "edgeaudit", .max_level = EA_LOG_INFO};
		char lerr[128];
		if (ea_log_new(&lo, &own_log, lerr, sizeof lerr) != EA_OK) {
			fputs("edgeaudit: out of memory\n", stderr);
			free(m);
			return EA_EXIT_RUNTIME;
		}
		log = own_log;
	}
	m->log = log;
	m->tool_version = tool_version;
	m->failed = EA_OK;
	int rc = EA_EXIT_OK;
	bool run_finished = false;
	ea_status st;
	monitor_options o;

	rc = parse_options(m, argc, argv, &o);
	if (rc >= 0)
		goto out;
	rc = EA_EXIT_OK;
	m->db_path = o.db;
	build_command_line(argc + 1, argv - 1, m->cmdline, sizeof m->cmdline);

	/* The filter first: a typo is a usage error even when an interface
	 * is missing too. */
	if (o.filter) {
		ea_filter *f = NULL;
		st = ea_filter_new(o.filter, &f, m->err, sizeof m->err);
		ea_filter_free(f);
		if (st != EA_OK) {
			say(m, EA_LOG_ERROR, NULL, "monitor: bad --filter: %s", m->err);
			rc = EA_EXIT_USAGE;
			goto out;
		}
	}
	char matrix_found[4096], ports_found[4096];
	if (!o.matrix || !o.ports) {
		st = o.matrix ? EA_OK : ea_datadir_default(MATRIX_FILE, matrix_found, sizeof matrix_found, m->err, sizeof m->err);
		if (st == EA_OK && !o.ports)
			st = ea_datadir_default(PORTS_FILE, ports_found, sizeof ports_found, m->err, sizeof m->err);
		if (st != EA_OK) {
			say_lines(m, EA_LOG_ERROR, "", m->err);
			rc = ea_status_exit_code(st);
			goto out;
		}
		o.matrix = o.matrix ? o.matrix : matrix_found;
		o.ports = o.ports ? o.ports : ports_found;
	}
	m->paths = (ea_ruleset_paths){.matrix = o.matrix, .portsigs = o.ports, .site = o.site, .local = o.local};
	st = ea_ruleset_load(&m->paths, NULL, &m->ruleset, m->err, sizeof m->err);
	if (st != EA_OK) {
		say_lines(m, EA_LOG_ERROR, "", m->err);
		rc = ea_status_exit_code(st);
		goto out;
	}

	/* The SIEM outputs before anything is captured: a typo in a target is
	 * a usage error, not a sensor without its findings. */
	if (o.eve || o.syslog_target) {
		ea_outputs_config ocfg = {.eve_path = o.eve, .syslog_target = o.syslog_target,
					  .syslog_facility = o.syslog_facility, .ruleset = m->ruleset,
					  /* its own thread: a collector that does not
					   * answer never holds up capture */
					  .async = true};
		st = ea_outputs_open(&ocfg, &m->outputs, m->err, sizeof m->err);
		if (st != EA_OK) {
			say(m, EA_LOG_ERROR, NULL, "monitor: %s", m->err);
			rc = ea_status_exit_code(st == EA_ERR_IO ? EA_ERR_USAGE : st);
			goto out;
		}
		if (*ea_outputs_warning(m->outputs))
			say(m, EA_LOG_WARNING, NULL, "%s; findings are counted as not sent until it answers",
			    ea_outputs_warning(m->outputs));
	}

	/* Interfaces, then the database: both need privileges the sensor
	 * gives up once they are open. */
	ea_livepoll_config pc = {
		.live = {.promiscuous = true, .immediate = false, .snaplen = (uint32_t)o.snaplen,
			 .buffer_mib = (uint32_t)o.buffer_mib, .filter = o.filter},
		.ifname = {o.ifname[0], o.ifname[1]},
		.on_frame = on_frame, .on_change = on_change, .ctx = m,
	};
	st = ea_livepoll_open(&pc, &m->poll, m->err, sizeof m->err);
	if (st != EA_OK) {
		say(m, EA_LOG_ERROR, NULL, "monitor: %s", m->err);
		rc = ea_status_exit_code(st);
		goto out;
	}
	/* A database root left behind (a first run as root before its files
	 * were given away) is a configuration error, said with its owner:
	 * SQLite would only say "readonly database". */
	st = ea_dbowner_check(o.db, m->err, sizeof m->err);
	if (st == EA_OK)
		st = ea_store_open(o.db, &m->store, m->err, sizeof m->err);
	if (st == EA_OK)
		st = ea_store_set_cache(m->store, EA_DB_WRITE_CACHE_KIB, m->err, sizeof m->err);
	if (st == EA_OK)
		st = ea_runlock_open(o.db, true, &m->runlock, m->err, sizeof m->err);
	if (st != EA_OK) {
		say(m, EA_LOG_ERROR, NULL, "%s", m->err);
		rc = ea_status_exit_code(st);
		goto out;
	}

	/* A previous stop's loss, kept beside the database: into capture_stats
	 * now that the database works. Not fatal: the file waits. */
	{
		unsigned recorded = 0, skipped = 0;
		char lerr[512];
		if (ea_stoploss_record(m->store, o.db, &recorded, &skipped, lerr, sizeof lerr) != EA_OK)
			say(m, EA_LOG_WARNING, NULL, "monitor: a previous stop's loss not recorded yet: %s", lerr);
		else if (recorded || skipped)
			say(m, EA_LOG_NOTICE, NULL, "monitor: a previous stop's unwritten flows recorded in "
			    "capture_stats (%u row%s%s)", recorded, recorded == 1 ? "" : "s",
			    skipped ? "; lines that did not parse skipped" : "");
	}

	catch_signals();
	int64_t first_run = 0;
	st = begin_run(m, m->ruleset, &first_run, m->err, sizeof m->err);
	m->run_id = first_run;
	if (st != EA_OK) {
		m->run_id = 0;
		say(m, EA_LOG_ERROR, NULL, "%s", m->err);
		rc = ea_status_exit_code(st);
		goto out;
	}
	/* The interfaces and the database are open, the run begun (its
	 * journal files exist: SQLite could not create them in a directory
	 * only root may write) — pflogd's order: give up
	 * root and every capability but CAP_NET_RAW, which reopening a lost
	 * interface needs (a packet socket; promiscuous membership of a
	 * packet socket needs nothing more). One thread only, as the drop
	 * requires: nothing has started one. */
	ea_privdrop_config pd = {.user = o.user, .keep = EA_PRIVDROP_KEEP_NET_RAW};
	ea_privdrop_result pr;
	/* The EVE file, opened (and maybe created) as root, is reopened on
	 * SIGHUP as the run user: it is given to that user now, and
	 * logrotate's `create` gives the new file the same owner. */
	/* So are the database's files (and its runlock): the next start as
	 * that user (the unit's User=) must be able to write them. */
	uid_t run_uid;
	gid_t run_gid;
	if (geteuid() == 0 && ea_privdrop_target(&pd, &run_uid, &run_gid, m->err, sizeof m->err) == EA_OK &&
	    run_uid != 0) {
		st = ea_outputs_chown(m->outputs, run_uid, run_gid, m->err, sizeof m->err);
		if (st == EA_OK)
			st = ea_dbowner_give(o.db, run_uid, run_gid, m->err, sizeof m->err);
		if (st != EA_OK) {
			say(m, EA_LOG_ERROR, NULL, "monitor: %s", m->err);
			rc = EA_EXIT_RUNTIME;
			goto out;
		}
	}
	st = ea_privdrop(&pd, &pr, m->err, sizeof m->err);
	if (st != EA_OK) {
		say(m, EA_LOG_ERROR, NULL, "monitor: %s", m->err);
		rc = ea_status_exit_code(st);
		goto out;
	}
	say(m, EA_LOG_NOTICE, NULL, "monitor: %s", pr.summary);
	st = ea_outputs_start(m->outputs, m->err, sizeof m->err);
	if (st != EA_OK) {
		say(m, EA_LOG_ERROR, NULL, "monitor: %s", m->err);
		rc = ea_status_exit_code(st);
		goto out;
	}

	ea_log_options wlo = {.stream = stderr, .prefix = "edgeaudit", .max_level = EA_LOG_INFO};
	st = ea_log_new(&wlo, &m->writer_log, m->err, sizeof m->err);
	if (st != EA_OK) {
		say(m, EA_LOG_ERROR, NULL, "%s", m->err);
		rc = ea_status_exit_code(st);
		goto out;
	}
	ea_audit_config acfg = {
		.ruleset = m->ruleset, .store = m->store, .run_id = m->run_id,
		.max_flows = (unsigned)o.max_flows, .hash_seed = random_seed(),
		.active_timeout_us = (uint64_t)o.active_timeout * 1000000u,
		.on_flow = on_flow, .hook_ctx = m, .keep_duplicates = o.keep_duplicates,
		.live = true, .log = m->writer_log,
		.stop_wait_us = (uint64_t)o.stop_timeout * 1000000u,
	};
	st = ea_audit_new(&acfg, &m->audit, m->err, sizeof m->err);
	if (st != EA_OK) {
		say(m, EA_LOG_ERROR, NULL, "%s", m->err);
		rc = ea_status_exit_code(st);
		goto out;
	}
	say(m, EA_LOG_NOTICE, NULL, "monitor: capturing%s%s%s%s into %s as run %lld",
	    o.ifname[0] ? " external " : "", o.ifname[0] ? o.ifname[0] : "",
	    o.ifname[1] ? " internal " : "", o.ifname[1] ? o.ifname[1] : "", o.db, (long long)m->run_id);

	m->retain_days = (unsigned)o.retain_days;
	uint64_t stats_every_ms = (uint64_t)o.stats_interval * 1000u;
	uint64_t next_stats = mono_ms() + stats_every_ms, next_retain = 0;
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		m->base[i].start_us = wall_us();
	while (!got_stop && m->failed == EA_OK) {
		if (m->retain_days && mono_ms() >= next_retain) {
			queue_retention(m);
			next_retain = mono_ms() + EA_RETAIN_INTERVAL_SEC * 1000ull;
		}
		st = ea_livepoll_run(m->poll, EA_LIVE_TIMEOUT_MS, m->err, sizeof m->err);
		if (st != EA_OK) {
			m->failed = st;
			break;
		}
		if (m->failed != EA_OK)
			break;
		char err[512];
		/* Idle and active timeouts on a quiet wire; the writer commits
		 * on its own at its flush interval. */
		st = ea_audit_tick(m->audit, wall_us(), err, sizeof err);
		if (mono_ms() >= next_stats) {
			record_capture_stats(m, wall_us());
			next_stats = mono_ms() + stats_every_ms;
		}
		if (st != EA_OK) {
			m->failed = st;
			snprintf(m->err, sizeof m->err, "%s", err);
			break;
		}
		if (got_hup) {
			got_hup = 0;
			reload(m);
		}
		if (got_usr1) {
			got_usr1 = 0;
			log_counters(m);
		}
	}
	/* Stopped on request: the frames the kernel already took, in a block
	 * not yet handed over, are read first (EA_LIVE_STOP_DRAIN_MS). */
	for (uint64_t until = mono_ms() + EA_LIVE_STOP_DRAIN_MS; m->failed == EA_OK && mono_ms() < until;) {
		st = ea_livepoll_run(m->poll, EA_LIVE_TIMEOUT_MS, m->err, sizeof m->err);
		if (st != EA_OK)
			m->failed = st;
	}
	if (m->failed != EA_OK) {
		say(m, EA_LOG_ERROR, NULL, "monitor: %s", m->err);
		rc = ea_status_exit_code(m->failed);
		goto out;
	}
	/* Stopped on request: every open flow is ended (end reason
	 * 'shutdown') and queued, then the run's end behind them; closing the
	 * writer writes it all (retrying an unwritable database for at most
	 * --stop-timeout). */
	st = ea_audit_finish(m->audit, m->err, sizeof m->err);
	/* Capture has ended: the outputs' lines are made before the last
	 * counts are taken. */
	ea_outputs_drain(m->outputs);
	record_capture_stats(m, wall_us());
	end_run_job ej = {.m = m, .totals = run_totals(m, "complete")};
	if (st == EA_OK && !ea_audit_store_call(m->audit, end_run_now, &ej, sizeof ej)) {
		st = EA_ERR_DB;
		snprintf(m->err, sizeof m->err, "the run's end could not be queued: the write queue is full");
	}
	if (st == EA_OK) {
		st = ea_audit_close_writer(m->audit, m->err, sizeof m->err);
		run_finished = st == EA_OK;
	}
	/* The stop's deadline has passed: the run's failed end below is one
	 * quick try, not another wait for the lock (it stays 'running' if
	 * the lock is still held, and the next run marks it interrupted). */
	if (st != EA_OK)
		ea_store_set_busy_ms(m->store, 0);
	if (st != EA_OK) {
		say(m, EA_LOG_ERROR, NULL, "monitor: %s", m->err);
		note_stop_loss(m, o.db);
		rc = ea_status_exit_code(st);
		goto out;
	}
	log_counters(m);
	say(m, EA_LOG_NOTICE, NULL, "monitor: stopped by %s; run %lld in %s is complete",
	    got_stop == SIGINT ? "SIGINT" : "SIGTERM", (long long)m->run_id, o.db);
out:
	if (m->audit && !run_finished) {
		char ignored[256];
		ea_audit_close_writer(m->audit, ignored, sizeof ignored);
	}
	if (m->run_id && !run_finished) {
		char failed[600], ignored[256];
		snprintf(failed, sizeof failed, "failed: %.500s", m->err);
		end_run(m, failed, ignored, sizeof ignored);
	}
	ea_audit_free(m->audit);
	ea_log_free(m->writer_log);
	ea_livepoll_close(m->poll);
	if (m->outputs) {
		/* A SIEM's copy that lost lines is a failed output; a syslog
		 * collector away is not (its lines are counted). */
		const char *why = "";
		uint64_t lost = ea_outputs_eve_failed(m->outputs, &why);
		if (lost) {
			say(m, EA_LOG_ERROR, NULL, "%llu EVE lines could not be written: %s", (unsigned long long)lost, why);
			if (rc == EA_EXIT_OK)
				rc = EA_EXIT_RUNTIME;
		}
		uint64_t unsent = ea_outputs_syslog_unsent(m->outputs, &why);
		if (unsent)
			say(m, EA_LOG_WARNING, NULL, "%llu syslog lines not sent (last failure: %s)",
			    (unsigned long long)unsent, why);
		char close_err[512];
		if (ea_outputs_close(m->outputs, close_err, sizeof close_err) != EA_OK && rc == EA_EXIT_OK) {
			say(m, EA_LOG_ERROR, NULL, "%s", close_err);
			rc = EA_EXIT_RUNTIME;
		}
	}
	if (m->store) {
		char close_err[512];
		if (ea_store_close(m->store, close_err, sizeof close_err) != EA_OK && rc == EA_EXIT_OK) {
			say(m, EA_LOG_ERROR, NULL, "%s", close_err);
			rc = EA_EXIT_RUNTIME;
		}
	}
	ea_runlock_close(m->runlock);
	ea_ruleset_unref(m->ruleset);
	ea_log_free(own_log);
	free(m);
	return rc;
}
