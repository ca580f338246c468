/* store.c — the SQLite database: runs, inputs, rules, flows, verdicts.
 *
 * The only file that includes <sqlite3.h>. Opening a database checks that
 * it is one (and ours), switches it to WAL and applies the sections of
 * db/schema.sql it does not have yet. Every statement is prepared once
 * when the database is opened and reused; values, in particular the host
 * names that came off the wire, are only ever bound, never spliced into
 * SQL. Flows are written inside a transaction opened on the first write
 * and committed every EA_DB_BATCH_ROWS flows and on flush/finish/close,
 * so a failure loses at most the batch in progress.
 * Pipeline position: match → [store] → report. */
#include "store/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "util/addr.h"
#include "util/pathname.h"

/* The db/schema.sql text, generated into the build by the Makefile. */
extern const char ea_schema_sql[];

/* PRAGMA application_id set by schema section 1 ("EdAu"): a database with
 * a schema version but another id belongs to some other program. */
#define EA_APPLICATION_ID 1164198261

enum {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_INSERT_RUN,
	S_INSERT_RULE,
	S_FIND_INPUT,
	S_INSERT_INPUT,
	S_INSERT_FLOW,
	S_UPSERT_FLOW,
	S_INSERT_FLOW_RULE,
	S_DELETE_FLOW_RULES,
	S_FINISH_RUN,
	S_INSERT_ANOMALY,
	S_LIST_RUNNING,
	S_MARK_INTERRUPTED,
	S_CLAIM_INPUT,
	S_FINISH_INPUT,
	S_INSERT_IFACE_EVENT,
	S_INSERT_CAPTURE_STATS,
	S_SET_FLOW_NAT,
	S_INSERT_NAT_MAPPING,
	S_SET_FLOW_ICMP,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	/* IMMEDIATE takes the write lock up front: a second writer is then
	 * told at once that the database is busy, instead of failing half
	 * way through a batch when a read lock cannot be upgraded. */
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_INSERT_RUN] =
		"INSERT INTO runs (started_at, status, tool_version, ndpi_version,"
		" matrix_path, matrix_sha256, portsig_path, portsig_sha256,"
		" site_path, site_sha256, command_line, filter, live, duplicates_kept,"
		" local_path, local_sha256)"
		" VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[S_INSERT_RULE] =
		"INSERT INTO rules (run_id, ord, rule_id, table_name, iface, text,"
		" transport, port_lo, port_hi, source, destination, source_text,"
		" destination_text, protocols, note_zh, note_en, origin, action, feature, closed_by)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
	/* A capture is in the database when a finished run (complete or
	 * partial) read it without error, or when a run that is still being
	 * written claimed it: its writer will store it. Failed and interrupted
	 * runs do not hold their captures, so those can be read again.
	 * A capture read through a filter (?2, NULL for none) is held by a
	 * run that read it whole or through the very same filter: the first
	 * has every flow the new read would store, the second the same ones.
	 * A filtered read holds nothing against a whole one, nor against
	 * another filter (their flows differ). */
	[S_FIND_INPUT] =
		"SELECT i.run_id, r.status = 'running' FROM inputs i JOIN runs r ON r.id = i.run_id"
		" WHERE i.sha256 = ?1 AND (r.status = 'running' OR (i.error IS NULL"
		"  AND (r.status = 'complete' OR r.status LIKE 'partial%')))"
		" AND (r.filter IS NULL OR r.filter IS ?2)"
		" ORDER BY i.run_id, i.id LIMIT 1",
	[S_INSERT_INPUT] =
		"INSERT INTO inputs (run_id, iface, path, file_name, sha256, size,"
		" packets, bytes, first_seen, last_seen, linktype, truncated, error, duplicates)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	[S_INSERT_FLOW] =
		"INSERT INTO flows (run_id, iface, transport, initiator_ip,"
		" initiator_port, responder_ip, responder_port, first_us, last_us,"
		" pkts_out, pkts_in, bytes_out, bytes_in, direction_source,"
		" handshake, end_reason, attempt, master_proto, app_proto, category,"
		" confidence, proto_source, proto_unexpected_on_port, risks,"
		" server_name, community_id, verdict, uid, generation, reason, decided_by)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26,"
		" ?27, ?28, ?29, ?30, ?31)",
	/* A record whose uid this run may already have (an active-timeout
	 * update, or the end of a flow that had some: rec->rewrite) rewrites
	 * that row: one row per flow, never a duplicate. updates says whether
	 * it was a rewrite, so only then are the row's old rules deleted.
	 * Every other flow takes the plain INSERT above, without its uid. */
	[S_UPSERT_FLOW] =
		"INSERT INTO flows (run_id, iface, transport, initiator_ip,"
		" initiator_port, responder_ip, responder_port, first_us, last_us,"
		" pkts_out, pkts_in, bytes_out, bytes_in, direction_source,"
		" handshake, end_reason, attempt, master_proto, app_proto, category,"
		" confidence, proto_source, proto_unexpected_on_port, risks,"
		" server_name, community_id, verdict, uid, generation, reason, decided_by)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26,"
		" ?27, ?28, ?29, ?30, ?31)"
		" ON CONFLICT (run_id, uid) WHERE uid IS NOT NULL DO UPDATE SET"
		" first_us = excluded.first_us, last_us = excluded.last_us,"
		" pkts_out = excluded.pkts_out, pkts_in = excluded.pkts_in,"
		" bytes_out = excluded.bytes_out, bytes_in = excluded.bytes_in,"
		" direction_source = excluded.direction_source, handshake = excluded.handshake,"
		" end_reason = excluded.end_reason, attempt = excluded.attempt,"
		" master_proto = excluded.master_proto, app_proto = excluded.app_proto,"
		" category = excluded.category, confidence = excluded.confidence,"
		" proto_source = excluded.proto_source,"
		" proto_unexpected_on_port = excluded.proto_unexpected_on_port,"
		" risks = excluded.risks, server_name = excluded.server_name,"
		" community_id = excluded.community_id, verdict = excluded.verdict,"
		" generation = excluded.generation, reason = excluded.reason,"
		" decided_by = excluded.decided_by, updates = updates + 1"
		" RETURNING id, updates",
	[S_DELETE_FLOW_RULES] = "DELETE FROM flow_rules WHERE flow_id = ?1",
	/* ICMP errors joined to the flow (wt-icmp): a statement of its own,
	 * run only for the few flows that have any, so the common insert is
	 * unchanged and costs nothing more. */
	[S_SET_FLOW_ICMP] =
		"UPDATE flows SET icmp_errors = ?2, icmp_last_type = ?3, icmp_last_code = ?4,"
		" icmp_orphan = ?5 WHERE id = ?1",
	[S_INSERT_FLOW_RULE] =
		"INSERT INTO flow_rules (flow_id, run_id, ord) VALUES (?1, ?2, ?3)",
	[S_FINISH_RUN] =
		"UPDATE runs SET finished_at = ?2, status = ?3, packets = ?4,"
		" bytes = ?5, flows = ?6, decoded = ?7, evicted = ?8, peak_flows = ?9 WHERE id = ?1",
	/* finish_run may be called again for the same run (a retry after a
	 * failed commit): the counters then replace, never add. */
	[S_INSERT_ANOMALY] =
		"INSERT INTO anomalies (run_id, reason, description, count)"
		" VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (run_id, reason) DO UPDATE SET count = excluded.count,"
		" description = excluded.description",
	[S_LIST_RUNNING] = "SELECT id FROM runs WHERE status = 'running' ORDER BY id",
	[S_MARK_INTERRUPTED] = "UPDATE runs SET status = ?2 WHERE id = ?1 AND status = 'running'",
	/* A claimed capture says it was not read until its end is recorded:
	 * if the run never gets there, the row already tells the truth.
	 * linktype -1: not known yet. */
	[S_CLAIM_INPUT] =
		"INSERT INTO inputs (run_id, iface, path, file_name, sha256, size,"
		" packets, bytes, linktype, truncated, error)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, -1, 0, ?7)",
	[S_FINISH_INPUT] =
		"UPDATE inputs SET packets = ?2, bytes = ?3, first_seen = ?4, last_seen = ?5,"
		" linktype = ?6, truncated = ?7, error = ?8, sha256 = COALESCE(?9, sha256),"
		" size = ?10, duplicates = ?11 WHERE id = ?1",
	[S_INSERT_IFACE_EVENT] =
		"INSERT INTO interface_events (run_id, iface, name, at_us, event, reason)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_INSERT_CAPTURE_STATS] =
		"INSERT INTO capture_stats (run_id, iface, input_id, start_us, end_us,"
		" kernel_received, kernel_dropped, if_dropped, queue_dropped, evicted, duplicates, refused,"
		" output_dropped, stop_lost_records, stop_lost_flows)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	/* The NAT finding is rare: set by its own statement, only on the
	 * flows that have one (and on a rewrite, which may clear it). */
	[S_SET_FLOW_NAT] = "UPDATE flows SET nat_finding = ?2 WHERE id = ?1",
	[S_INSERT_NAT_MAPPING] =
		"INSERT INTO nat_mappings (run_id, role, private_ip, public_ip, expected_ip, status,"
		" flows, unpaired, example_community_id)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
};

/* The error of a claimed capture until its reading ends. */
static const char input_pending[] = "not read to the end: the run did not finish";

struct ea_store {
	sqlite3 *db;
	char *path;          /* for messages */
	bool readonly;
	unsigned pending;    /* flows written in the open transaction */
	bool refused;        /* the last ea_store_add_flow failed for good (refused_for_good) */
	sqlite3_stmt *stmt[S_COUNT];
};

/* ---- errors ---------------------------------------------------------- */

/* One message per failure: "<db>: <what kind of failure>: <what we were
 * doing> (<SQLite's words>)". The kind comes first because it is what the
 * person has to act on (free space, stop the other process, ...). */
static ea_status db_fail(const ea_store *st, int rc, const char *what, char *errbuf, size_t errlen)
{
	const char *why;
	switch (rc & 0xff) {
	case SQLITE_FULL: why = "database is full (disk or quota)"; break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: why = "database is locked by another process"; break;
	case SQLITE_NOTADB:
		return ea_fail(EA_ERR_DB, errbuf, errlen, "%s: not a SQLite database", st->path);
	case SQLITE_CORRUPT: why = "database file is corrupt"; break;
	case SQLITE_READONLY: why = "database is read-only"; break;
	case SQLITE_IOERR: why = "I/O error on the database"; break;
	case SQLITE_CANTOPEN: why = "cannot open the database file"; break;
	case SQLITE_PERM:
	case SQLITE_AUTH: why = "permission denied"; break;
	case SQLITE_NOMEM:
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory: %s", st->path, what);
	case SQLITE_CONSTRAINT: why = "a value was refused by the schema"; break;
	default: why = "database error"; break;
	}
	/* errmsg describes the last failing call; when the handle is gone
	 * (open failed) only the code is left. */
	const char *detail = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	return ea_fail(EA_ERR_DB, errbuf, errlen, "%s: %s: %s (%s)", st->path, why, what, detail);
}

/* Whether SQLite refused a statement for a reason that writing the same
 * values again can never cure: the schema rejects them (a CHECK, a
 * trigger's RAISE(ABORT)), a value too big for the limits, a type
 * mismatch or a parameter out of range. BUSY, LOCKED, FULL, IOERR and
 * READONLY pass, and are retried. */
static bool refused_for_good(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
	case SQLITE_TOOBIG:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE: return true;
	default: return false;
	}
}

/* ---- statements and transactions ------------------------------------- */

/* Steps a prepared statement that returns no row and resets it. */
static int run_stmt(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? SQLITE_MISUSE : rc;
}

/* Sticky binders: the first failing bind is kept in *rc and the rest are
 * skipped, so a statement's bindings are checked once. Text is bound
 * without a copy: every caller keeps it alive until the step. */
static void bind_text(sqlite3_stmt *s, int i, const char *v, int *rc)
{
	if (*rc != SQLITE_OK)
		return;
	*rc = v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

/* A fixed-size field of the flow record: never read past its end even if
 * a producer forgot the terminator. */
static void bind_field(sqlite3_stmt *s, int i, const char *v, size_t size, int *rc)
{
	if (*rc != SQLITE_OK)
		return;
	*rc = sqlite3_bind_text(s, i, v, (int)strnlen(v, size), SQLITE_STATIC);
}

static void bind_i64(sqlite3_stmt *s, int i, int64_t v, int *rc)
{
	if (*rc != SQLITE_OK)
		return;
	*rc = sqlite3_bind_int64(s, i, v);
}

/* SQLite integers are signed 64-bit; 2^63 bytes or packets is beyond any
 * capture, so clamping only guards against a corrupted counter. */
static void bind_u64(sqlite3_stmt *s, int i, uint64_t v, int *rc)
{
	bind_i64(s, i, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v, rc);
}

static void bind_null(sqlite3_stmt *s, int i, int *rc)
{
	if (*rc != SQLITE_OK)
		return;
	*rc = sqlite3_bind_null(s, i);
}

static bool in_transaction(const ea_store *st)
{
	return !sqlite3_get_autocommit(st->db);
}

static ea_status tx_begin(ea_store *st, char *errbuf, size_t errlen)
{
	if (in_transaction(st))
		return EA_OK;
	int rc = run_stmt(st->stmt[S_BEGIN]);
	if (rc != SQLITE_DONE)
		return db_fail(st, rc, "starting a transaction", errbuf, errlen);
	st->pending = 0;
	return EA_OK;
}

/* Drops the open transaction after a failure. SQLite may already have
 * rolled it back itself (SQLITE_FULL, SQLITE_IOERR do); either way what
 * was committed before stays. */
static void tx_abort(ea_store *st)
{
	if (in_transaction(st))
		run_stmt(st->stmt[S_ROLLBACK]);
	st->pending = 0;
}

static ea_status tx_commit(ea_store *st, char *errbuf, size_t errlen)
{
	if (!in_transaction(st))
		return EA_OK;
	int rc = run_stmt(st->stmt[S_COMMIT]);
	if (rc != SQLITE_DONE) {
		ea_status e = db_fail(st, rc, "committing", errbuf, errlen);
		tx_abort(st);
		return e;
	}
	st->pending = 0;
	return EA_OK;
}

/* ---- the compiled-in schema ------------------------------------------ */

/* Finds the next "-- version N" line at or after p. Returns the start of
 * that line (NULL when there is none) with N in *version and the first
 * byte after the line in *body. */
static const char *next_marker(const char *p, int *version, const char **body)
{
	static const char tag[] = "-- version ";
	while (*p) {
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);
		const char *next = eol ? eol + 1 : end;
		if ((size_t)(end - p) > sizeof tag - 1 && memcmp(p, tag, sizeof tag - 1) == 0) {
			const char *q = p + sizeof tag - 1;
			long v = 0;
			bool digits = false;
			/* The cap keeps v far from overflow; no schema gets
			 * near a million versions. */
			while (q < end && isdigit((unsigned char)*q) && v < 1000000) {
				v = v * 10 + (*q++ - '0');
				digits = true;
			}
			while (q < end && isspace((unsigned char)*q))
				q++;
			if (digits && q == end) {
				*version = (int)v;
				*body = next;
				return p;
			}
		}
		p = next;
	}
	return NULL;
}

typedef struct {
	const char *marker; /* current section's marker line, NULL at the end */
	int version;
	const char *body;
	size_t len;
	int next_version;
	const char *next_body, *next_marker;
} schema_iter;

static void schema_first(schema_iter *it)
{
	memset(it, 0, sizeof *it);
	it->next_marker = next_marker(ea_schema_sql, &it->next_version, &it->next_body);
}

/* Advances to the next section; false when there is none. */
static bool schema_next(schema_iter *it)
{
	it->marker = it->next_marker;
	if (!it->marker)
		return false;
	it->version = it->next_version;
	it->body = it->next_body;
	it->next_marker = next_marker(it->body, &it->next_version, &it->next_body);
	const char *end = it->next_marker ? it->next_marker : it->body + strlen(it->body);
	it->len = (size_t)(end - it->body);
	return true;
}

/* The last version, or -1 when the sections are not numbered 1, 2, 3, ...
 * (a broken build, not a user error). */
static int schema_last_version(void)
{
	schema_iter it;
	int last = 0;
	schema_first(&it);
	while (schema_next(&it)) {
		if (it.version != last + 1)
			return -1;
		last = it.version;
	}
	return last;
}

int ea_store_schema_version(void)
{
	int v = schema_last_version();
	return v < 0 ? 0 : v;
}

/* Reads one integer from a statement such as "PRAGMA user_version". */
static int query_int(ea_store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_MISUSE;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* Applies one schema section and records its version, atomically. */
static ea_status apply_section(ea_store *st, const schema_iter *it, char *errbuf, size_t errlen)
{
	char what[64];
	snprintf(what, sizeof what, "upgrading the schema to version %d", it->version);
	char *sql = malloc(it->len + 1);
	if (!sql)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", st->path);
	memcpy(sql, it->body, it->len);
	sql[it->len] = '\0';

	ea_status e = EA_OK;
	int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		e = db_fail(st, rc, what, errbuf, errlen);
		goto out;
	}
	/* Another process may have upgraded while we waited for the lock. */
	int64_t have = 0;
	rc = query_int(st, "PRAGMA user_version", &have);
	if (rc == SQLITE_OK && have < it->version) {
		rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			/* PRAGMA takes no parameters; the value is our own integer. */
			char pragma[48];
			snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", it->version);
			rc = sqlite3_exec(st->db, pragma, NULL, NULL, NULL);
		}
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		e = db_fail(st, rc, what, errbuf, errlen);
		if (in_transaction(st))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
out:
	free(sql);
	return e;
}

/* Replaces st->db by a private temporary copy of it (SQLite's "" file:
 * on disk, removed at close, so a large database does not have to fit in
 * memory) that the schema can be upgraded in without touching the
 * original. For readers of databases written by an older edgeaudit. */
static ea_status copy_to_private(ea_store *st, char *errbuf, size_t errlen)
{
	sqlite3 *copy = NULL;
	int rc = sqlite3_open_v2("", &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(copy, "main", st->db, "main") : NULL;
	if (!b) {
		ea_status e = ea_fail(EA_ERR_DB, errbuf, errlen,
				      "%s: cannot make a private copy to read an older schema in: %s",
				      st->path, copy ? sqlite3_errmsg(copy) : "out of memory");
		sqlite3_close(copy);
		return e;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		ea_status e = ea_fail(EA_ERR_DB, errbuf, errlen,
				      "%s: copying it to read an older schema: %s", st->path,
				      sqlite3_errstr(rc));
		sqlite3_close(copy);
		return e;
	}
	sqlite3_close(st->db);
	st->db = copy;
	sqlite3_busy_timeout(st->db, EA_DB_BUSY_TIMEOUT_MS);
	return EA_OK;
}

/* Checks that the file is a SQLite database and either empty or ours,
 * then brings it to the last schema version. */
static ea_status check_and_upgrade(ea_store *st, char *errbuf, size_t errlen)
{
	int last = schema_last_version();
	if (last < 1)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen,
			       "the built-in schema is malformed (sections must be numbered 1, 2, ...)");

	/* The first read of the file: a text file fails here with NOTADB,
	 * a database held by another writer with BUSY. */
	int64_t objects = 0, version = 0, app_id = 0;
	int rc = query_int(st, "SELECT count(*) FROM sqlite_master", &objects);
	if (rc == SQLITE_OK)
		rc = query_int(st, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK)
		rc = query_int(st, "PRAGMA application_id", &app_id);
	if (rc != SQLITE_OK)
		return db_fail(st, rc, "reading the database header", errbuf, errlen);

	if ((version == 0 && objects > 0) || (version > 0 && app_id != EA_APPLICATION_ID))
		return ea_fail(EA_ERR_DB, errbuf, errlen,
			       "%s: a SQLite database, but not an edgeaudit one", st->path);
	if (version > last)
		return ea_fail(EA_ERR_DB, errbuf, errlen,
			       "%s: database schema version %lld is newer than this program (%d)",
			       st->path, (long long)version, last);
	if (version == last)
		return EA_OK;
	/* Empty (a zero-length file, or a database with nothing in it) and
	 * read-only: there is nothing to report, and "needs an upgrade from
	 * version 0" would send the user the wrong way. */
	if (version == 0 && objects == 0 && sqlite3_db_readonly(st->db, "main") == 1)
		return ea_fail(EA_ERR_DB, errbuf, errlen,
			       "%s: an empty file, not an edgeaudit database (nothing was ever recorded in it)",
			       st->path);
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		/* A reader never changes the file, but an older database is
		 * still evidence to report: it is upgraded in a private copy. */
		ea_status e = copy_to_private(st, errbuf, errlen);
		if (e != EA_OK)
			return e;
	}

	schema_iter it;
	schema_first(&it);
	while (schema_next(&it)) {
		if (it.version <= version)
			continue;
		ea_status e = apply_section(st, &it, errbuf, errlen);
		if (e != EA_OK)
			return e;
	}
	return EA_OK;
}

/* ---- open / close ------------------------------------------------------ */

static void store_free(ea_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

ea_status ea_store_set_cache(ea_store *st, unsigned kib, char *errbuf, size_t errlen)
{
	/* A negative cache_size is in KiB; the value is a number, not text from anywhere. */
	char cache[48];
	snprintf(cache, sizeof cache, "PRAGMA cache_size = -%u", kib);
	int rc = sqlite3_exec(st->db, cache, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_fail(st, rc, cache, errbuf, errlen);
	return EA_OK;
}

/* Opens st->path as file:PATH?immutable=1, the path percent-encoded. */
static ea_status reopen_immutable(ea_store *st, char *errbuf, size_t errlen)
{
	size_t n = strlen(st->path);
	char *uri = malloc(n * 3 + 32);
	if (!uri)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", st->path);
	size_t o = (size_t)snprintf(uri, 8, "file:");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)st->path[i];
		if (isalnum(ch) || strchr("/-._~", ch))
			uri[o++] = (char)ch;
		else
			o += (size_t)snprintf(uri + o, 4, "%%%02X", ch);
	}
	snprintf(uri + o, 16, "?immutable=1");
	int rc = sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	if (rc != SQLITE_OK)
		return db_fail(st, rc, "opening", errbuf, errlen);
	return EA_OK;
}

/* EA_OK when the database has no write-ahead log with content beside it
 * (a run that ended leaves none: see ea_store_close). */
static ea_status wal_pending(const ea_store *st, char *errbuf, size_t errlen)
{
	size_t n = strlen(st->path) + sizeof "-wal";
	char *wal = malloc(n);
	if (!wal)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", st->path);
	snprintf(wal, n, "%s-wal", st->path);
	struct stat sb;
	ea_status e = EA_OK;
	if (stat(wal, &sb) == 0 && sb.st_size > 0)
		e = ea_fail(EA_ERR_DB, errbuf, errlen,
			    "%s: cannot read the database here: its write-ahead log %s (%lld bytes) "
			    "holds commits that SQLite reads only with the shared-memory file %s-shm, "
			    "which cannot be created on this storage; copy the database with its -wal "
			    "file to writable storage and run 'edgeaudit report' there",
			    st->path, wal, (long long)sb.st_size, st->path);
	free(wal);
	return e;
}

static ea_status store_open(const char *path, bool readonly, ea_store **out, char *errbuf, size_t errlen)
{
	*out = NULL;
	ea_status e = EA_OK;
	ea_store *st = calloc(1, sizeof *st);
	if (!st || !(st->path = strdup(path))) {
		free(st);
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", path);
	}
	st->readonly = readonly;

	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &st->db, flags, NULL);
	if (rc != SQLITE_OK) {
		e = db_fail(st, rc, "opening", errbuf, errlen);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, EA_DB_BUSY_TIMEOUT_MS);

	e = check_and_upgrade(st, errbuf, errlen);
	int why = st->db ? sqlite3_errcode(st->db) & 0xff : SQLITE_OK;
	if (e != EA_OK && readonly && (why == SQLITE_READONLY || why == SQLITE_CANTOPEN)) {
		/* A WAL database on storage we may not write (a read-only mount,
		 * a directory of someone else's): SQLite cannot create the
		 * shared-memory file a WAL reader needs (CANTOPEN when it is
		 * absent, READONLY when it cannot be written). Nobody can be
		 * writing the database there either (a writer needs that file
		 * too), so it can be read as an immutable file — unless its
		 * write-ahead log holds commits, which an immutable open would
		 * silently leave out. */
		e = wal_pending(st, errbuf, errlen);
		if (e == EA_OK) {
			sqlite3_close(st->db);
			st->db = NULL;
			e = reopen_immutable(st, errbuf, errlen);
		}
		if (e == EA_OK)
			e = check_and_upgrade(st, errbuf, errlen);
	}
	if (e != EA_OK)
		goto fail;

	/* WAL lets a report read while a run writes; NORMAL sync is safe
	 * in WAL (a power cut loses the last commits, never the file).
	 * journal_mode answers with the mode it got; a file system without
	 * shared memory keeps the old one, which is still correct. */
	static const char *const pragmas[] = {
		"PRAGMA journal_mode = WAL",
		"PRAGMA synchronous = NORMAL",
		"PRAGMA foreign_keys = ON",
	};
	/* A reader changes nothing, not even the journal mode. */
	for (size_t i = readonly ? 1 : 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
		rc = sqlite3_exec(st->db, pragmas[i], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			e = db_fail(st, rc, pragmas[i], errbuf, errlen);
			goto fail;
		}
	}
	e = ea_store_set_cache(st, EA_DB_CACHE_KIB, errbuf, errlen);
	if (e != EA_OK)
		goto fail;

	for (int i = 0; i < S_COUNT; i++) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&st->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			e = db_fail(st, rc, "preparing statements", errbuf, errlen);
			goto fail;
		}
	}
	*out = st;
	return EA_OK;
fail:
	store_free(st);
	return e;
}

ea_status ea_store_open(const char *path, ea_store **out, char *errbuf, size_t errlen)
{
	return store_open(path, false, out, errbuf, errlen);
}

ea_status ea_store_open_readonly(const char *path, ea_store **out, char *errbuf, size_t errlen)
{
	return store_open(path, true, out, errbuf, errlen);
}

ea_status ea_store_close(ea_store *st, char *errbuf, size_t errlen)
{
	if (!st)
		return EA_OK;
	ea_status e = tx_commit(st, errbuf, errlen);
	for (int i = 0; i < S_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	if (!st->readonly && e == EA_OK) {
		/* Leave a plain rollback-journal file: WAL needs a shared-memory
		 * file beside the database that a reader on read-only storage
		 * (evidence on a read-only mount) cannot create, and after this
		 * the database is one self-contained file to copy. Switching
		 * back needs the database to ourselves; when another process
		 * has it open (a report, a second run) it stays WAL, without
		 * waiting, and the last one to close switches it. The next run
		 * switches to WAL again when it opens. */
		sqlite3_busy_timeout(st->db, 0);
		sqlite3_exec(st->db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	}
	int rc = sqlite3_close(st->db);
	if (rc != SQLITE_OK && e == EA_OK)
		e = db_fail(st, rc, "closing", errbuf, errlen);
	if (rc != SQLITE_OK)
		sqlite3_close_v2(st->db); /* let SQLite finish it when it can */
	st->db = NULL;
	store_free(st);
	return e;
}

ea_status ea_store_flush(ea_store *st, char *errbuf, size_t errlen)
{
	return tx_commit(st, errbuf, errlen);
}

/* ---- runs -------------------------------------------------------------- */

/* Appends names to buf joined by ','. buf is sized by the caller for the
 * worst case; snprintf truncates rather than overflows if it is not. */
static void join_append(char *buf, size_t size, const char *name)
{
	size_t used = strlen(buf);
	if (used < size)
		snprintf(buf + used, size - used, "%s%s", used ? "," : "", name);
}

static void join_roles(const ea_matrix *m, const uint8_t *roles, unsigned n, char *buf, size_t size)
{
	buf[0] = '\0';
	if (n > EA_MAX_ROLES_PER_SIDE)
		n = EA_MAX_ROLES_PER_SIDE;
	for (unsigned i = 0; i < n; i++)
		join_append(buf, size, roles[i] < m->n_roles ? m->roles[roles[i]].name : "?");
	if (n == 0)
		snprintf(buf, size, "any");
}

static ea_status insert_rules(ea_store *st, int64_t run_id, const ea_matrix *m,
			      char *errbuf, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_INSERT_RULE];
	char src[EA_MAX_ROLES_PER_SIDE * (EA_NAME_MAX + 1) + 4];
	char dst[sizeof src];
	char protos[EA_MAX_PROTOCOLS_PER_ENTRY * (EA_NAME_MAX + 1)];

	for (unsigned i = 0; i < m->n_rules; i++) {
		const ea_rule *r = &m->rules[i];
		join_roles(m, r->src_roles, r->n_src, src, sizeof src);
		join_roles(m, r->dst_roles, r->n_dst, dst, sizeof dst);
		protos[0] = '\0';
		for (unsigned k = 0; k < r->n_protocols && k < EA_MAX_PROTOCOLS_PER_ENTRY; k++)
			join_append(protos, sizeof protos, r->protocols[k]);

		int rc = SQLITE_OK;
		bind_i64(s, 1, run_id, &rc);
		/* ord is the index the matcher reports, so flow_rules can
		 * point at it; the file's own order field should agree. */
		bind_i64(s, 2, i, &rc);
		bind_field(s, 3, r->id, sizeof r->id, &rc);
		bind_field(s, 4, r->table, sizeof r->table, &rc);
		bind_text(s, 5, ea_iface_name(r->iface), &rc);
		bind_text(s, 6, r->text, &rc);
		bind_i64(s, 7, r->transport, &rc);
		bind_i64(s, 8, r->port_lo, &rc);
		bind_i64(s, 9, r->port_hi, &rc);
		bind_text(s, 10, src, &rc);
		bind_text(s, 11, dst, &rc);
		bind_text(s, 12, r->source_text, &rc);
		bind_text(s, 13, r->destination_text, &rc);
		bind_text(s, 14, protos, &rc);
		bind_text(s, 15, r->note_zh, &rc);
		bind_text(s, 16, r->note_en, &rc);
		bind_text(s, 17, ea_origin_name(r->origin), &rc);
		bind_text(s, 18, ea_action_name(r->action), &rc);
		char feats[256], closed[256];
		bind_text(s, 19, r->features ? ea_features_text(r->features, feats, sizeof feats) : NULL, &rc);
		bind_text(s, 20, r->closed_by ? ea_features_text(r->closed_by, closed, sizeof closed) : NULL, &rc);
		if (rc == SQLITE_OK)
			rc = run_stmt(s);
		if (rc != SQLITE_DONE) {
			char what[EA_NAME_MAX + 32];
			snprintf(what, sizeof what, "storing rule %.*s", EA_NAME_MAX, r->id);
			return db_fail(st, rc, what, errbuf, errlen);
		}
	}
	return EA_OK;
}

/* Inserts the run and its rules inside the open transaction. */
static ea_status insert_run(ea_store *st, const ea_run_info *info, const ea_matrix *m, int64_t *run_id,
			    char *errbuf, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_INSERT_RUN];
	int rc = SQLITE_OK;
	bind_i64(s, 1, info->started_at, &rc);
	bind_text(s, 2, info->tool_version, &rc);
	bind_text(s, 3, info->ndpi_version, &rc);
	bind_text(s, 4, info->matrix_path, &rc);
	bind_text(s, 5, info->matrix_sha256, &rc);
	bind_text(s, 6, info->portsig_path, &rc);
	bind_text(s, 7, info->portsig_sha256, &rc);
	bind_text(s, 8, info->site_path, &rc);
	bind_text(s, 9, info->site_sha256, &rc);
	bind_text(s, 10, info->command_line, &rc);
	bind_text(s, 11, info->filter && *info->filter ? info->filter : NULL, &rc);
	bind_i64(s, 12, info->live, &rc);
	bind_i64(s, 13, info->duplicates_kept, &rc);
	bind_text(s, 14, info->local_path, &rc);
	bind_text(s, 15, info->local_sha256 && *info->local_sha256 ? info->local_sha256 : NULL, &rc);
	if (rc == SQLITE_OK)
		rc = run_stmt(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, rc, "creating the run", errbuf, errlen);
	*run_id = sqlite3_last_insert_rowid(st->db);
	return m ? insert_rules(st, *run_id, m, errbuf, errlen) : EA_OK;
}

ea_status ea_store_begin_run(ea_store *st, const ea_run_info *info, const ea_matrix *m,
			     int64_t *run_id, char *errbuf, size_t errlen)
{
	ea_run_claim claim = {.info = info, .matrix = m};
	return ea_store_claim_run(st, &claim, run_id, NULL, NULL, errbuf, errlen);
}

/* Marks interrupted every run left 'running' whose writer is provably
 * gone (the claim's transaction is open). */
static ea_status sweep_running(ea_store *st, const ea_run_liveness *live, char *errbuf, size_t errlen)
{
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	ea_status e = EA_OK;
	sqlite3_stmt *s = st->stmt[S_LIST_RUNNING];
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			int64_t *nids = realloc(ids, ncap * sizeof *ids);
			if (!nids) {
				sqlite3_reset(s);
				free(ids);
				return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
			}
			ids = nids;
			cap = ncap;
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(ids);
		return db_fail(st, rc, "looking for unfinished runs", errbuf, errlen);
	}
	for (size_t i = 0; i < n && e == EA_OK; i++) {
		if (live->writer_alive(live->ctx, ids[i]))
			continue;
		s = st->stmt[S_MARK_INTERRUPTED];
		rc = SQLITE_OK;
		bind_i64(s, 1, ids[i], &rc);
		bind_text(s, 2, EA_RUN_STATUS_ABANDONED, &rc);
		if (rc == SQLITE_OK)
			rc = run_stmt(s);
		if (rc != SQLITE_DONE)
			e = db_fail(st, rc, "marking an abandoned run interrupted", errbuf, errlen);
	}
	free(ids);
	return e;
}

static ea_status find_input(ea_store *st, const char *sha256, const char *filter, bool *found, int64_t *run_id,
			    bool *running, char *errbuf, size_t errlen)
{
	sqlite3_stmt *s = st->stmt[S_FIND_INPUT];
	int rc = SQLITE_OK;
	*found = false;
	bind_text(s, 1, sha256, &rc);
	bind_text(s, 2, filter && *filter ? filter : NULL, &rc);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*found = true;
		if (run_id)
			*run_id = sqlite3_column_int64(s, 0);
		if (running)
			*running = sqlite3_column_int(s, 1) != 0;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, rc, "looking up earlier captures", errbuf, errlen);
	return EA_OK;
}

/* EA_ERR_DUPLICATE (with *dup and the message) when a capture of c is
 * already in the database, unless c->force. */
static ea_status check_duplicates(ea_store *st, const ea_run_claim *c, ea_duplicate *dup, char *errbuf,
				  size_t errlen)
{
	for (unsigned i = 0; i < c->n_inputs && !c->force; i++) {
		bool found = false, running = false;
		int64_t prev = 0;
		if (!c->inputs[i].sha256)
			continue; /* a stream: its hash is known only once read */
		ea_status e = find_input(st, c->inputs[i].sha256, c->info->filter, &found, &prev, &running,
					 errbuf, errlen);
		if (e != EA_OK)
			return e;
		if (found) {
			if (dup)
				*dup = (ea_duplicate){.input = i, .run_id = prev, .running = running};
			return ea_fail(EA_ERR_DUPLICATE, errbuf, errlen, "%s is already in run %lld",
				       c->inputs[i].path, (long long)prev);
		}
	}
	return EA_OK;
}

ea_status ea_store_claim_run(ea_store *st, const ea_run_claim *c, int64_t *run_id, int64_t *input_ids,
			     ea_duplicate *dup, char *errbuf, size_t errlen)
{
	/* A run starts on its own commit: anything pending belongs to
	 * whatever came before. Then one IMMEDIATE transaction: the write
	 * lock is taken before the first read, so between the duplicate
	 * check and the claim no other process can claim the same capture. */
	ea_status e = tx_commit(st, errbuf, errlen);
	if (e != EA_OK)
		return e;
	e = tx_begin(st, errbuf, errlen);
	if (e != EA_OK) {
		/* Another writer kept the database past the busy timeout (a
		 * run committing a large batch on a slow disk). What it has
		 * committed can still be read: a capture of ours already
		 * there, or being read by that run, is the answer the user
		 * needs — a duplicate — rather than "locked". */
		if (sqlite3_errcode(st->db) == SQLITE_BUSY) {
			char derr[512];
			if (check_duplicates(st, c, dup, derr, sizeof derr) == EA_ERR_DUPLICATE)
				return ea_fail(EA_ERR_DUPLICATE, errbuf, errlen, "%s", derr);
		}
		return e;
	}
	int64_t id = 0;
	bool held = false;

	if (c->liveness && c->liveness->writer_alive) {
		e = sweep_running(st, c->liveness, errbuf, errlen);
		if (e != EA_OK)
			goto fail;
	}
	e = check_duplicates(st, c, dup, errbuf, errlen);
	if (e != EA_OK)
		goto fail;
	e = insert_run(st, c->info, c->matrix, &id, errbuf, errlen);
	if (e != EA_OK)
		goto fail;
	for (unsigned i = 0; i < c->n_inputs; i++) {
		const ea_input_info *in = &c->inputs[i];
		sqlite3_stmt *s = st->stmt[S_CLAIM_INPUT];
		int rc = SQLITE_OK;
		bind_i64(s, 1, id, &rc);
		bind_text(s, 2, ea_iface_name(in->iface), &rc);
		bind_text(s, 3, in->path, &rc);
		bind_text(s, 4, in->path ? ea_base_name(in->path) : NULL, &rc);
		bind_text(s, 5, in->sha256 ? in->sha256 : EA_SHA256_PENDING, &rc);
		bind_u64(s, 6, in->size, &rc);
		bind_text(s, 7, input_pending, &rc);
		if (rc == SQLITE_OK)
			rc = run_stmt(s);
		if (rc != SQLITE_DONE) {
			e = db_fail(st, rc, "claiming an input file", errbuf, errlen);
			goto fail;
		}
		if (input_ids)
			input_ids[i] = sqlite3_last_insert_rowid(st->db);
	}
	/* The proof of life is taken before the run becomes visible, so no
	 * other process ever sees this run 'running' without it. */
	if (c->liveness && c->liveness->hold) {
		e = c->liveness->hold(c->liveness->ctx, id, errbuf, errlen);
		if (e != EA_OK)
			goto fail;
		held = true;
	}
	e = tx_commit(st, errbuf, errlen);
	if (e != EA_OK) {
		if (held && c->liveness->release)
			c->liveness->release(c->liveness->ctx, id);
		return e;
	}
	*run_id = id;
	return EA_OK;
fail:
	tx_abort(st);
	if (held && c->liveness->release)
		c->liveness->release(c->liveness->ctx, id);
	return e;
}

ea_status ea_store_move_open_flows(ea_store *st, int64_t from_run, int64_t to_run, char *errbuf, size_t errlen)
{
	ea_status e = tx_begin(st, errbuf, errlen);
	if (e != EA_OK)
		return e;
	/* The matched rows are mapped by rule id into the new run's rules
	 * (through a temporary table: the same ord may stand in both runs),
	 * then the flows move. Numbers only, printed into fixed SQL. */
	char sql[1536];
	snprintf(sql, sizeof sql,
		 "CREATE TEMP TABLE IF NOT EXISTS moved_rules (flow_id INTEGER, ord INTEGER);"
		 "DELETE FROM moved_rules;"
		 "INSERT INTO moved_rules SELECT fr.flow_id, nr.ord FROM flow_rules fr"
		 " JOIN flows f ON f.id = fr.flow_id AND f.run_id = %lld AND f.end_reason = 'active'"
		 " JOIN rules o ON o.run_id = fr.run_id AND o.ord = fr.ord"
		 " JOIN rules nr ON nr.run_id = %lld AND nr.rule_id = o.rule_id;"
		 "DELETE FROM flow_rules WHERE flow_id IN"
		 " (SELECT id FROM flows WHERE run_id = %lld AND end_reason = 'active');"
		 "UPDATE flows SET run_id = %lld WHERE run_id = %lld AND end_reason = 'active';"
		 "INSERT INTO flow_rules (flow_id, run_id, ord) SELECT flow_id, %lld, ord FROM moved_rules;"
		 "DELETE FROM moved_rules;",
		 (long long)from_run, (long long)to_run, (long long)from_run, (long long)to_run,
		 (long long)from_run, (long long)to_run);
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		/* exec stops at the failing statement, the earlier ones done:
		 * undone with the batch, as every other write's failure is, so
		 * the writer's retry starts from the whole batch again. */
		e = db_fail(st, rc, "moving open flows to the new run", errbuf, errlen);
		tx_abort(st);
		return e;
	}
	return EA_OK;
}

ea_status ea_store_finish_run(ea_store *st, int64_t run_id, const ea_run_totals *t,
			      char *errbuf, size_t errlen)
{
	ea_status e = tx_begin(st, errbuf, errlen);
	if (e != EA_OK)
		return e;

	sqlite3_stmt *s = st->stmt[S_FINISH_RUN];
	int rc = SQLITE_OK;
	bind_i64(s, 1, run_id, &rc);
	bind_i64(s, 2, t->finished_at, &rc);
	bind_text(s, 3, t->status ? t->status : "complete", &rc);
	bind_u64(s, 4, t->packets, &rc);
	bind_u64(s, 5, t->bytes, &rc);
	bind_u64(s, 6, t->flows, &rc);
	bind_u64(s, 7, t->decoded, &rc);
	bind_u64(s, 8, t->evicted, &rc);
	bind_u64(s, 9, t->peak_flows, &rc);
	if (rc == SQLITE_OK)
		rc = run_stmt(s);
	if (rc != SQLITE_DONE) {
		e = db_fail(st, rc, "recording the run's totals", errbuf, errlen);
		goto fail;
	}
	if (sqlite3_changes(st->db) != 1) {
		e = ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "%s: run %lld does not exist",
			    st->path, (long long)run_id);
		goto fail;
	}

	s = st->stmt[S_INSERT_ANOMALY];
	for (int a = 0; a < EA_ANOMALY_COUNT; a++) {
		if (t->anomalies[a] == 0)
			continue;
		rc = SQLITE_OK;
		bind_i64(s, 1, run_id, &rc);
		bind_text(s, 2, ea_anomaly_key((ea_anomaly)a), &rc);
		bind_text(s, 3, ea_anomaly_text((ea_anomaly)a), &rc);
		bind_u64(s, 4, t->anomalies[a], &rc);
		if (rc == SQLITE_OK)
			rc = run_stmt(s);
		if (rc != SQLITE_DONE) {
			e = db_fail(st, rc, "recording anomaly counters", errbuf, errlen);
			goto fail;
		}
	}
	return tx_commit(st, errbuf, errlen);
fail:
	tx_abort(st);
	return e;
}

/* ---- inputs ------------------------------------------------------------ */

ea_status ea_store_find_input(ea_store *st, const char *sha256, bool *found, int64_t *run_id,
			      char *errbuf, size_t errlen)
{
	return find_input(st, sha256, NULL, found, run_id, NULL, errbuf, errlen);
}

ea_status ea_store_find_capture(ea_store *st, const char *sha256, const char *filter, bool *found,
				int64_t *run_id, char *errbuf, size_t errlen)
{
	return find_input(st, sha256, filter, found, run_id, NULL, errbuf, errlen);
}

ea_status ea_store_add_input(ea_store *st, int64_t run_id, const ea_input_info *in,
			     char *errbuf, size_t errlen)
{
	/* Joins the batch of its flows, so a file's flows and its input row
	 * are committed together by the flush that ends the file. */
	ea_status e = tx_begin(st, errbuf, errlen);
	if (e != EA_OK)
		return e;

	sqlite3_stmt *s = st->stmt[S_INSERT_INPUT];
	int rc = SQLITE_OK;
	bind_i64(s, 1, run_id, &rc);
	bind_text(s, 2, ea_iface_name(in->iface), &rc);
	bind_text(s, 3, in->path, &rc);
	bind_text(s, 4, in->path ? ea_base_name(in->path) : NULL, &rc);
	bind_text(s, 5, in->sha256, &rc);
	bind_u64(s, 6, in->size, &rc);
	bind_u64(s, 7, in->packets, &rc);
	bind_u64(s, 8, in->bytes, &rc);
	if (in->packets == 0 || in->untimed) {
		bind_null(s, 9, &rc);
		bind_null(s, 10, &rc);
	} else {
		bind_u64(s, 9, in->first_us, &rc);
		bind_u64(s, 10, in->last_us, &rc);
	}
	bind_i64(s, 11, in->linktype, &rc);
	bind_i64(s, 12, in->truncated ? 1 : 0, &rc);
	bind_text(s, 13, in->error, &rc);
	bind_u64(s, 14, in->duplicates, &rc);
	if (rc == SQLITE_OK)
		rc = run_stmt(s);
	if (rc != SQLITE_DONE) {
		e = db_fail(st, rc, "recording an input file", errbuf, errlen);
		tx_abort(st);
		return e;
	}
	return EA_OK;
}

ea_status ea_store_finish_input(ea_store *st, int64_t input_id, const ea_input_info *in,
				char *errbuf, size_t errlen)
{
	/* Joins the batch of the file's flows, as ea_store_add_input does. */
	ea_status e = tx_begin(st, errbuf, errlen);
	if (e != EA_OK)
		return e;
	sqlite3_stmt *s = st->stmt[S_FINISH_INPUT];
	int rc = SQLITE_OK;
	bind_i64(s, 1, input_id, &rc);
	bind_u64(s, 2, in->packets, &rc);
	bind_u64(s, 3, in->bytes, &rc);
	if (in->packets == 0 || in->untimed) {
		bind_null(s, 4, &rc);
		bind_null(s, 5, &rc);
	} else {
		bind_u64(s, 4, in->first_us, &rc);
		bind_u64(s, 5, in->last_us, &rc);
	}
	bind_i64(s, 6, in->linktype, &rc);
	bind_i64(s, 7, in->truncated ? 1 : 0, &rc);
	bind_text(s, 8, in->error, &rc);
	bind_text(s, 9, in->sha256, &rc);
	bind_u64(s, 10, in->size, &rc);
	bind_u64(s, 11, in->duplicates, &rc);
	if (rc == SQLITE_OK)
		rc = run_stmt(s);
	/* Nothing was changed: the batch queued before stays. */
	if (rc == SQLITE_DONE && sqlite3_changes(st->db) != 1)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "%s: input %lld was never claimed",
			       st->path, (long long)input_id);
	if (rc != SQLITE_DONE) {
		e = db_fail(st, rc, "recording an input file", errbuf, errlen);
		tx_abort(st);
		return e;
	}
	return EA_OK;
}

/* ---- capture statistics (losses) -------------------------------------- */

ea_status ea_store_add_capture_stats(ea_store *st, int64_t run_id, const ea_capture_stats *cs,
				     char *errbuf, size_t errlen)
{
	if (cs->start_us > EA_MAX_TIME_US || cs->end_us > EA_MAX_TIME_US || cs->start_us > cs->end_us)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "capture interval %llu..%llu µs outside 0..%llu",
			       (unsigned long long)cs->start_us, (unsigned long long)cs->end_us,
			       (unsigned long long)EA_MAX_TIME_US);
	/* Joins the open batch, like an input row: a sensor's interval
	 * figures are committed with the flows of that interval. */
	ea_status e = tx_begin(st, errbuf, errlen);
	if (e != EA_OK)
		return e;
	sqlite3_stmt *s = st->stmt[S_INSERT_CAPTURE_STATS];
	int rc = SQLITE_OK;
	bind_i64(s, 1, run_id, &rc);
	bind_text(s, 2, ea_iface_name(cs->iface), &rc);
	if (cs->input_id > 0)
		bind_i64(s, 3, cs->input_id, &rc);
	else
		bind_null(s, 3, &rc);
	bind_u64(s, 4, cs->start_us, &rc);
	bind_u64(s, 5, cs->end_us, &rc);
	if (cs->kernel) {
		bind_u64(s, 6, cs->kernel_received, &rc);
		bind_u64(s, 7, cs->kernel_dropped, &rc);
		bind_u64(s, 8, cs->if_dropped, &rc);
	} else {
		bind_null(s, 6, &rc);
		bind_null(s, 7, &rc);
		bind_null(s, 8, &rc);
	}
	bind_u64(s, 9, cs->queue_dropped, &rc);
	bind_u64(s, 10, cs->evicted, &rc);
	bind_u64(s, 11, cs->duplicates, &rc);
	bind_u64(s, 12, cs->refused, &rc);
	bind_u64(s, 13, cs->output_dropped, &rc);
	bind_u64(s, 14, cs->stop_lost_records, &rc);
	bind_u64(s, 15, cs->stop_lost_flows, &rc);
	if (rc == SQLITE_OK)
		rc = run_stmt(s);
	if (rc != SQLITE_DONE) {
		e = db_fail(st, rc, "recording capture statistics", errbuf, errlen);
		tx_abort(st);
		return e;
	}
	return EA_OK;
}

/* ---- flows ------------------------------------------------------------- */

ea_status ea_store_add_flow(ea_store *st, int64_t run_id, const ea_flow_record *f,
			    const ea_match_result *mr, const ea_matrix *m,
			    char *errbuf, size_t errlen)
{
	/* Checked before anything is written: a bad result from the matcher
	 * must not cost the batch already queued. */
	if ((unsigned)mr->verdict >= EA_VERDICT_COUNT || mr->n_rules > EA_MAX_RULES)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "invalid match result");
	for (unsigned i = 0; i < mr->n_rules; i++)
		if (m && mr->rules[i] >= m->n_rules)
			return ea_fail(EA_ERR_INTERNAL, errbuf, errlen,
				       "match result names rule %u of %u", (unsigned)mr->rules[i],
				       m->n_rules);
	/* The capture reader keeps every time within 0 … EA_MAX_TIME_US; a
	 * time outside would reach the database as a sentinel (an empty
	 * first_seen), so it is refused as the bug it is. */
	if (f->first_us > EA_MAX_TIME_US || f->last_us > EA_MAX_TIME_US || f->first_us > f->last_us)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "flow time %llu..%llu µs outside 0..%llu",
			       (unsigned long long)f->first_us, (unsigned long long)f->last_us,
			       (unsigned long long)EA_MAX_TIME_US);

	st->refused = false;
	ea_status e = tx_begin(st, errbuf, errlen);
	if (e != EA_OK)
		return e;

	char init[EA_ADDR_STRLEN], resp[EA_ADDR_STRLEN];
	ea_addr_str(&f->init_addr, init);
	ea_addr_str(&f->resp_addr, resp);

	sqlite3_stmt *s = st->stmt[f->rewrite && f->uid ? S_UPSERT_FLOW : S_INSERT_FLOW];
	int rc = SQLITE_OK;
	bind_i64(s, 1, run_id, &rc);
	bind_text(s, 2, ea_iface_name(f->iface), &rc);
	bind_i64(s, 3, f->transport, &rc);
	bind_text(s, 4, init, &rc);
	bind_i64(s, 5, f->init_port, &rc);
	bind_text(s, 6, resp, &rc);
	bind_i64(s, 7, f->resp_port, &rc);
	bind_u64(s, 8, f->first_us, &rc);
	bind_u64(s, 9, f->last_us, &rc);
	bind_u64(s, 10, f->pkts[0], &rc);
	bind_u64(s, 11, f->pkts[1], &rc);
	bind_u64(s, 12, f->bytes[0], &rc);
	bind_u64(s, 13, f->bytes[1], &rc);
	bind_text(s, 14, ea_direction_source_name(f->dir_source), &rc);
	bind_text(s, 15, ea_handshake_name(f->handshake), &rc);
	bind_text(s, 16, ea_end_reason_name(f->end_reason), &rc);
	bind_i64(s, 17, f->attempt ? 1 : 0, &rc);
	bind_field(s, 18, f->master_proto, sizeof f->master_proto, &rc);
	bind_field(s, 19, f->app_proto, sizeof f->app_proto, &rc);
	bind_field(s, 20, f->category, sizeof f->category, &rc);
	bind_field(s, 21, f->confidence, sizeof f->confidence, &rc);
	bind_text(s, 22, ea_proto_source_name(f->proto_source), &rc);
	bind_i64(s, 23, f->proto_unexpected_on_port ? 1 : 0, &rc);
	bind_field(s, 24, f->risks, sizeof f->risks, &rc);
	bind_field(s, 25, f->server_name, sizeof f->server_name, &rc);
	bind_field(s, 26, f->community_id, sizeof f->community_id, &rc);
	bind_text(s, 27, ea_verdict_name(mr->verdict), &rc);
	/* Only a row that may be rewritten keeps its uid: the unique index
	 * over (run_id, uid) then holds only flows written while they lived,
	 * and a flow written once costs no index entry (measured: a third of
	 * the CPU of writing a short flow). */
	if (f->uid && f->rewrite)
		bind_u64(s, 28, f->uid, &rc);
	else
		bind_null(s, 28, &rc);
	if (f->generation)
		bind_i64(s, 29, f->generation, &rc);
	else
		bind_null(s, 29, &rc);
	char reason[EA_REASON_TEXT_MAX];
	bind_text(s, 30, *ea_match_reason(mr, reason, sizeof reason) ? reason : NULL, &rc);
	bind_text(s, 31, mr->decided_by != EA_DECIDED_NONE ? ea_decided_by_name(mr->decided_by) : NULL, &rc);
	int64_t flow_id = 0, updates = 0;
	if (rc == SQLITE_OK && s == st->stmt[S_INSERT_FLOW]) {
		rc = run_stmt(s);
		flow_id = sqlite3_last_insert_rowid(st->db);
	} else if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			flow_id = sqlite3_column_int64(s, 0);
			updates = sqlite3_column_int64(s, 1);
			rc = sqlite3_step(s);
		}
		int rrc = sqlite3_reset(s);
		if (rc == SQLITE_DONE && rrc != SQLITE_OK)
			rc = rrc;
	}
	if (rc != SQLITE_DONE || flow_id == 0) {
		e = db_fail(st, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "writing a flow", errbuf, errlen);
		goto fail;
	}
	if (updates > 0) {
		/* A rewrite: the rules it was matched against may have changed. */
		rc = SQLITE_OK;
		bind_i64(st->stmt[S_DELETE_FLOW_RULES], 1, flow_id, &rc);
		if (rc == SQLITE_OK)
			rc = run_stmt(st->stmt[S_DELETE_FLOW_RULES]);
		if (rc != SQLITE_DONE) {
			e = db_fail(st, rc, "rewriting a flow's rules", errbuf, errlen);
			goto fail;
		}
	}

	if (f->icmp_errors || f->icmp_orphan) {
		/* Counts only grow over a flow's records, so a row rewritten
		 * without ICMP errors never had any to clear. */
		s = st->stmt[S_SET_FLOW_ICMP];
		rc = SQLITE_OK;
		bind_i64(s, 1, flow_id, &rc);
		bind_u64(s, 2, f->icmp_errors, &rc);
		if (f->icmp_errors) {
			bind_i64(s, 3, f->icmp_last_type, &rc);
			bind_i64(s, 4, f->icmp_last_code, &rc);
		} else {
			bind_null(s, 3, &rc);
			bind_null(s, 4, &rc);
		}
		bind_i64(s, 5, f->icmp_orphan ? 1 : 0, &rc);
		if (rc == SQLITE_OK)
			rc = run_stmt(s);
		if (rc != SQLITE_DONE) {
			e = db_fail(st, rc, "writing a flow's ICMP errors", errbuf, errlen);
			goto fail;
		}
	}

	s = st->stmt[S_INSERT_FLOW_RULE];
	for (unsigned i = 0; i < mr->n_rules; i++) {
		rc = SQLITE_OK;
		bind_i64(s, 1, flow_id, &rc);
		bind_i64(s, 2, run_id, &rc);
		bind_i64(s, 3, mr->rules[i], &rc);
		if (rc == SQLITE_OK)
			rc = run_stmt(s);
		if (rc != SQLITE_DONE) {
			e = db_fail(st, rc, "writing a flow's rules", errbuf, errlen);
			goto fail;
		}
	}

	if (mr->nat != EA_NAT_NONE || updates > 0) {
		rc = SQLITE_OK;
		s = st->stmt[S_SET_FLOW_NAT];
		bind_i64(s, 1, flow_id, &rc);
		if (mr->nat != EA_NAT_NONE)
			bind_text(s, 2, ea_nat_kind_name(mr->nat), &rc);
		else
			bind_null(s, 2, &rc);
		if (rc == SQLITE_OK)
			rc = run_stmt(s);
		if (rc != SQLITE_DONE) {
			e = db_fail(st, rc, "writing a flow's NAT finding", errbuf, errlen);
			goto fail;
		}
	}

	if (++st->pending >= EA_DB_BATCH_ROWS)
		return tx_commit(st, errbuf, errlen);
	return EA_OK;
fail:
	st->refused = refused_for_good(rc);
	tx_abort(st);
	return e;
}

/* ---- NAT mappings (wt-nat) --------------------------------------------- */

ea_status ea_store_add_nat_mapping(ea_store *st, int64_t run_id, const ea_store_nat_mapping *nm,
				   char *errbuf, size_t errlen)
{
	ea_status e = tx_begin(st, errbuf, errlen);
	if (e != EA_OK)
		return e;
	sqlite3_stmt *s = st->stmt[S_INSERT_NAT_MAPPING];
	int rc = SQLITE_OK;
	bind_i64(s, 1, run_id, &rc);
	bind_text(s, 2, nm->role, &rc);
	bind_text(s, 3, nm->private_ip, &rc);
	if (nm->public_ip)
		bind_text(s, 4, nm->public_ip, &rc);
	else
		bind_null(s, 4, &rc);
	if (nm->expected_ip)
		bind_text(s, 5, nm->expected_ip, &rc);
	else
		bind_null(s, 5, &rc);
	bind_text(s, 6, nm->status, &rc);
	bind_u64(s, 7, nm->flows, &rc);
	bind_u64(s, 8, nm->unpaired, &rc);
	if (nm->example_community_id && nm->example_community_id[0])
		bind_text(s, 9, nm->example_community_id, &rc);
	else
		bind_null(s, 9, &rc);
	if (rc == SQLITE_OK)
		rc = run_stmt(s);
	if (rc != SQLITE_DONE) {
		e = db_fail(st, rc, "recording a NAT mapping", errbuf, errlen);
		tx_abort(st);
		return e;
	}
	return EA_OK;
}

void ea_store_set_busy_ms(ea_store *st, unsigned ms)
{
	sqlite3_busy_timeout(st->db, (int)(ms > EA_DB_BUSY_TIMEOUT_MS ? EA_DB_BUSY_TIMEOUT_MS : ms));
}

bool ea_store_flow_refused(const ea_store *st)
{
	return st->refused;
}

/* ---- interface events -------------------------------------------------- */

ea_status ea_store_add_iface_event(ea_store *st, int64_t run_id, const ea_iface_event *ev,
				   char *errbuf, size_t errlen)
{
	if (ev->at_us > EA_MAX_TIME_US)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "interface event time %llu µs outside 0..%llu",
			       (unsigned long long)ev->at_us, (unsigned long long)EA_MAX_TIME_US);
	ea_status e = tx_begin(st, errbuf, errlen);
	if (e != EA_OK)
		return e;
	sqlite3_stmt *s = st->stmt[S_INSERT_IFACE_EVENT];
	int rc = SQLITE_OK;
	bind_i64(s, 1, run_id, &rc);
	bind_text(s, 2, ea_iface_name(ev->iface), &rc);
	bind_text(s, 3, ev->name, &rc);
	bind_u64(s, 4, ev->at_us, &rc);
	bind_text(s, 5, ev->back ? "back" : "lost", &rc);
	bind_text(s, 6, ev->reason ? ev->reason : "", &rc);
	if (rc == SQLITE_OK)
		rc = run_stmt(s);
	if (rc != SQLITE_DONE) {
		e = db_fail(st, rc, "recording an interface event", errbuf, errlen);
		tx_abort(st);
		return e;
	}
	/* Rare and part of the evidence: committed at once, not batched. */
	return tx_commit(st, errbuf, errlen);
}

unsigned ea_store_pending(const ea_store *st)
{
	return in_transaction(st) ? st->pending : 0;
}

/* ---- retention ---------------------------------------------------------- */

#define DAY_US 86400000000ull

/* Rule usage of one (run, day)'s flows with ids in (?4, ?5]: the flows
 * each row allowed, merged into what an earlier pass kept. A distinct
 * count cannot be merged exactly; the larger one is kept (a lower bound,
 * and exact for the usual single pass of a day). */
static const char retain_rules_sql[] =
	"INSERT INTO rollup_rules (run_id, day, rule_id, flows, port_only, packets, bytes,"
	" no_answer, rejected, initiators, responders, first_us, last_us)"
	" SELECT f.run_id, ?6, r.rule_id, COUNT(*), SUM(f.verdict = 'documented-port-only'),"
	"  SUM(f.pkts_out + f.pkts_in), SUM(f.bytes_out + f.bytes_in),"
	"  SUM(f.handshake = 'no-answer'), SUM(f.handshake = 'rejected'),"
	"  COUNT(DISTINCT f.initiator_ip), COUNT(DISTINCT f.responder_ip),"
	"  MIN(f.first_us), MAX(f.last_us)"
	" FROM flows f JOIN flow_rules fr ON fr.flow_id = f.id"
	" JOIN rules r ON r.run_id = fr.run_id AND r.ord = fr.ord"
	" WHERE f.run_id = ?1 AND f.last_us >= ?2 AND f.last_us < ?3 AND f.id > ?4 AND f.id <= ?5"
	" AND f.verdict IN ('documented', 'documented-port-only')"
	" GROUP BY f.run_id, r.rule_id"
	" ON CONFLICT (run_id, day, rule_id) DO UPDATE SET"
	" flows = flows + excluded.flows, port_only = port_only + excluded.port_only,"
	" packets = packets + excluded.packets, bytes = bytes + excluded.bytes,"
	" no_answer = no_answer + excluded.no_answer, rejected = rejected + excluded.rejected,"
	" initiators = MAX(initiators, excluded.initiators),"
	" responders = MAX(responders, excluded.responders),"
	" first_us = MIN(first_us, excluded.first_us), last_us = MAX(last_us, excluded.last_us)";

/* Every flow of the same slice by report group (flow_details' protocol
 * name; the ICMP type is the initiator's "port", icmp.h). */
static const char retain_groups_sql[] =
	"INSERT INTO rollup_groups (run_id, day, iface, verdict, transport, responder_port,"
	" icmp_type, app_protocol, by_port, flows, packets, bytes, attempts, no_answer, rejected,"
	" initiators, responders, first_us, last_us)"
	" SELECT run_id, ?6, iface, verdict, transport, responder_port,"
	"  CASE WHEN transport IN (1, 58) THEN initiator_port ELSE -1 END,"
	"  COALESCE(NULLIF(app_proto, ''), NULLIF(master_proto, ''), 'Unknown'),"
	"  proto_source = 'port', COUNT(*), SUM(pkts_out + pkts_in), SUM(bytes_out + bytes_in),"
	"  SUM(attempt), SUM(handshake = 'no-answer'), SUM(handshake = 'rejected'),"
	"  COUNT(DISTINCT initiator_ip), COUNT(DISTINCT responder_ip), MIN(first_us), MAX(last_us)"
	" FROM flows"
	" WHERE run_id = ?1 AND last_us >= ?2 AND last_us < ?3 AND id > ?4 AND id <= ?5"
	" GROUP BY run_id, iface, verdict, transport, responder_port, 7, 8, 9"
	" ON CONFLICT (run_id, day, iface, verdict, transport, responder_port, icmp_type,"
	"  app_protocol, by_port) DO UPDATE SET"
	" flows = flows + excluded.flows, packets = packets + excluded.packets,"
	" bytes = bytes + excluded.bytes, attempts = attempts + excluded.attempts,"
	" no_answer = no_answer + excluded.no_answer, rejected = rejected + excluded.rejected,"
	" initiators = MAX(initiators, excluded.initiators),"
	" responders = MAX(responders, excluded.responders),"
	" first_us = MIN(first_us, excluded.first_us), last_us = MAX(last_us, excluded.last_us)";

/* The initiators of the same slice's rule usage, kept as a set so the
 * report's distinct count over any span of days stays exact. */
static const char retain_peers_sql[] =
	"INSERT OR IGNORE INTO rollup_peers (run_id, rule_id, ip)"
	" SELECT DISTINCT f.run_id, r.rule_id, f.initiator_ip"
	" FROM flows f JOIN flow_rules fr ON fr.flow_id = f.id"
	" JOIN rules r ON r.run_id = fr.run_id AND r.ord = fr.ord"
	" WHERE f.run_id = ?1 AND f.last_us >= ?2 AND f.last_us < ?3 AND f.id > ?4 AND f.id <= ?5"
	" AND f.verdict IN ('documented', 'documented-port-only')";

enum { R_OLDEST, R_UPTO, R_MAXID, R_RULES, R_GROUPS, R_PEERS, R_MARK, R_DELETE, R_COUNT };

static const char *const retain_sql[R_COUNT] = {
	/* The oldest flow ending before the cut: the next (run, day) to do. */
	[R_OLDEST] = "SELECT run_id, last_us FROM flows WHERE last_us < ?1 ORDER BY last_us LIMIT 1",
	[R_UPTO] = "SELECT upto_id FROM rollup_days WHERE run_id = ?1 AND day = ?2",
	[R_MAXID] = "SELECT COALESCE(MAX(id), 0) FROM flows WHERE run_id = ?1 AND last_us >= ?2 AND last_us < ?3",
	[R_RULES] = retain_rules_sql,
	[R_GROUPS] = retain_groups_sql,
	[R_PEERS] = retain_peers_sql,
	[R_MARK] =
		"INSERT INTO rollup_days (run_id, day, upto_id) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (run_id, day) DO UPDATE SET upto_id = MAX(upto_id, excluded.upto_id)",
	/* flow_rules go with their flows (ON DELETE CASCADE). */
	[R_DELETE] =
		"DELETE FROM flows WHERE id IN (SELECT id FROM flows WHERE run_id = ?1"
		" AND last_us >= ?2 AND last_us < ?3 AND id <= ?4 LIMIT ?5)",
};

/* Steps s for one integer (0 when there is no row). */
static int step_int(sqlite3_stmt *s, int64_t *out)
{
	int rc = sqlite3_step(s);
	*out = 0;
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(s);
	return rc;
}

/* Rolls up what is new of (run, day) in one transaction: returns the
 * highest flow id it covers in *upto. */
static ea_status retain_rollup(ea_store *st, sqlite3_stmt **q, int64_t run, int64_t day, int64_t *upto,
			       bool *rolled, char *errbuf, size_t errlen)
{
	ea_status e = tx_begin(st, errbuf, errlen);
	if (e != EA_OK)
		return e;
	int64_t lo = day * (int64_t)DAY_US, hi = lo + (int64_t)DAY_US, done = 0, max = 0;
	int rc = SQLITE_OK;
	bind_i64(q[R_UPTO], 1, run, &rc);
	bind_i64(q[R_UPTO], 2, day, &rc);
	if (rc == SQLITE_OK)
		rc = step_int(q[R_UPTO], &done);
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	bind_i64(q[R_MAXID], 1, run, &rc);
	bind_i64(q[R_MAXID], 2, lo, &rc);
	bind_i64(q[R_MAXID], 3, hi, &rc);
	if (rc == SQLITE_OK)
		rc = step_int(q[R_MAXID], &max);
	*rolled = false;
	for (int k = R_RULES; k <= R_PEERS && rc == SQLITE_DONE && max > done; k++) {
		rc = SQLITE_OK;
		bind_i64(q[k], 1, run, &rc);
		bind_i64(q[k], 2, lo, &rc);
		bind_i64(q[k], 3, hi, &rc);
		bind_i64(q[k], 4, done, &rc);
		bind_i64(q[k], 5, max, &rc);
		if (sqlite3_bind_parameter_count(q[k]) >= 6)
			bind_i64(q[k], 6, day, &rc);
		if (rc == SQLITE_OK)
			rc = run_stmt(q[k]);
		*rolled = true;
	}
	if (rc == SQLITE_DONE && max > done) {
		rc = SQLITE_OK;
		bind_i64(q[R_MARK], 1, run, &rc);
		bind_i64(q[R_MARK], 2, day, &rc);
		bind_i64(q[R_MARK], 3, max, &rc);
		if (rc == SQLITE_OK)
			rc = run_stmt(q[R_MARK]);
	}
	if (rc != SQLITE_DONE) {
		e = db_fail(st, rc, "rolling up a day of flows", errbuf, errlen);
		tx_abort(st);
		return e;
	}
	*upto = max > done ? max : done;
	return tx_commit(st, errbuf, errlen);
}

ea_status ea_store_retain(ea_store *st, unsigned days, uint64_t now_us, unsigned batch, ea_retain_result *res,
			  char *errbuf, size_t errlen)
{
	sqlite3_stmt *q[R_COUNT] = {0};
	ea_retain_result r = {0};
	if (days == 0 || days > EA_RETAIN_DAYS_MAX || now_us > EA_MAX_TIME_US)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "retention takes 1 to %u days", EA_RETAIN_DAYS_MAX);
	if (batch == 0)
		batch = EA_RETAIN_BATCH_FLOWS;
	/* Whole UTC days only, so a day's totals are one row: a day is
	 * rolled up once every flow of it ended more than `days` days ago. */
	uint64_t keep_us = (uint64_t)days * DAY_US;
	int64_t cut_day = now_us > keep_us ? (int64_t)((now_us - keep_us) / DAY_US) : 0;
	r.cut_us = (uint64_t)cut_day * DAY_US;
	/* Whatever was pending is someone else's batch: commit it first. */
	ea_status e = tx_commit(st, errbuf, errlen);
	for (int i = 0; i < R_COUNT && e == EA_OK; i++) {
		int rc = sqlite3_prepare_v2(st->db, retain_sql[i], -1, &q[i], NULL);
		if (rc != SQLITE_OK)
			e = db_fail(st, rc, "preparing retention", errbuf, errlen);
	}
	while (e == EA_OK) {
		int rc = SQLITE_OK;
		bind_i64(q[R_OLDEST], 1, (int64_t)r.cut_us, &rc);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(q[R_OLDEST]);
		if (rc == SQLITE_DONE) {
			sqlite3_reset(q[R_OLDEST]);
			break;
		}
		if (rc != SQLITE_ROW) {
			sqlite3_reset(q[R_OLDEST]);
			e = db_fail(st, rc, "finding flows to retire", errbuf, errlen);
			break;
		}
		int64_t run = sqlite3_column_int64(q[R_OLDEST], 0);
		int64_t day = sqlite3_column_int64(q[R_OLDEST], 1) / (int64_t)DAY_US;
		sqlite3_reset(q[R_OLDEST]);

		int64_t upto = 0;
		bool rolled = false;
		e = retain_rollup(st, q, run, day, &upto, &rolled, errbuf, errlen);
		if (e != EA_OK)
			break;
		r.days += rolled;
		/* Deleted a batch per transaction: the write lock is held
		 * briefly, so a sensor's writer (and, outside WAL, a reader)
		 * waits at most one batch. */
		for (;;) {
			e = tx_begin(st, errbuf, errlen);
			if (e != EA_OK)
				break;
			rc = SQLITE_OK;
			bind_i64(q[R_DELETE], 1, run, &rc);
			bind_i64(q[R_DELETE], 2, day * (int64_t)DAY_US, &rc);
			bind_i64(q[R_DELETE], 3, (day + 1) * (int64_t)DAY_US, &rc);
			bind_i64(q[R_DELETE], 4, upto, &rc);
			bind_i64(q[R_DELETE], 5, batch, &rc);
			if (rc == SQLITE_OK)
				rc = run_stmt(q[R_DELETE]);
			if (rc != SQLITE_DONE) {
				e = db_fail(st, rc, "deleting retired flows", errbuf, errlen);
				tx_abort(st);
				break;
			}
			int n = sqlite3_changes(st->db);
			e = tx_commit(st, errbuf, errlen);
			if (e != EA_OK || n == 0)
				break;
			r.flows += (uint64_t)n;
		}
	}
	for (int i = 0; i < R_COUNT; i++)
		sqlite3_finalize(q[i]);
	if (res)
		*res = r;
	return e;
}

/* ---- read side --------------------------------------------------------- */

ea_status ea_store_query(ea_store *st, const char *sql, const char *const *params,
			 int nparams, ea_store_row_fn row, void *ctx,
			 char *errbuf, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const char **cols = NULL;
	const char *tail = NULL;
	ea_status e = EA_OK;

	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, &tail);
	if (rc != SQLITE_OK) {
		e = db_fail(st, rc, "preparing a query", errbuf, errlen);
		goto out;
	}
	while (tail && (isspace((unsigned char)*tail) || *tail == ';'))
		tail++;
	if (!s || (tail && *tail)) {
		e = ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "query must be exactly one statement");
		goto out;
	}
	if (sqlite3_bind_parameter_count(s) != nparams) {
		e = ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "query takes %d parameters, %d given",
			    sqlite3_bind_parameter_count(s), nparams);
		goto out;
	}
	rc = SQLITE_OK;
	for (int i = 0; i < nparams; i++)
		bind_text(s, i + 1, params[i], &rc);
	if (rc != SQLITE_OK) {
		e = db_fail(st, rc, "binding query parameters", errbuf, errlen);
		goto out;
	}

	int ncols = sqlite3_column_count(s);
	cols = calloc(ncols > 0 ? (size_t)ncols : 1, sizeof *cols);
	if (!cols) {
		e = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < ncols; i++)
			cols[i] = (const char *)sqlite3_column_text(s, i);
		if (row && row(ctx, ncols, cols) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		e = db_fail(st, rc, "running a query", errbuf, errlen);
out:
	free(cols);
	sqlite3_finalize(s);
	return e;
}
