/* test_store.c — the SQLite store: schema versions, round trips, the
 * flow_verdicts view, batching and every way a database can be refused.
 * Tests may include <sqlite3.h>: a second, raw connection is how we look
 * at the file from outside and hold locks on it. */
#include "testutil.h"
#include "dataload.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/ea_limits.h"
#include "store/store.h"

extern const char ea_schema_sql[];

/* ---- fixtures ---------------------------------------------------------- */

typedef struct {
	char dir[64];
	char path[128];
	ea_matrix m;
	ea_store *st;
	char err[512];
} fixture;

/* A small matrix built by hand, so the store is tested without the
 * matrix loader: four rows over three roles. */
static void add_rule(ea_matrix *m, const char *id, const char *table, ea_iface iface,
		     uint8_t transport, uint16_t lo, uint16_t hi, int src, int dst,
		     const char *p1, const char *p2)
{
	ea_rule *r = &m->rules[m->n_rules];
	memset(r, 0, sizeof *r);
	snprintf(r->id, sizeof r->id, "%s", id);
	snprintf(r->table, sizeof r->table, "%s", table);
	r->order = m->n_rules;
	r->line = 10 + m->n_rules;
	r->iface = iface;
	r->transport = transport;
	r->port_lo = lo;
	r->port_hi = hi;
	if (src >= 0)
		r->src_roles[r->n_src++] = (uint8_t)src;
	if (dst >= 0)
		r->dst_roles[r->n_dst++] = (uint8_t)dst;
	r->text = strdup("document cell");
	r->source_text = strdup("source cell");
	r->destination_text = strdup("destination cell");
	r->note_zh = strdup("說明");
	r->note_en = strdup("note");
	if (p1)
		snprintf(r->protocols[r->n_protocols++], EA_NAME_MAX, "%s", p1);
	if (p2)
		snprintf(r->protocols[r->n_protocols++], EA_NAME_MAX, "%s", p2);
	m->n_rules++;
}

static void build_matrix(ea_matrix *m)
{
	memset(m, 0, sizeof *m);
	static const char *const roles[] = {"access_edge", "remote_user", "director_pool"};
	for (unsigned i = 0; i < 3; i++) {
		snprintf(m->roles[i].name, EA_NAME_MAX, "%s", roles[i]);
		m->roles[i].required = i == 0;
		m->roles[i].description = strdup("a role");
	}
	m->n_roles = 3;
	m->rules = calloc(4, sizeof *m->rules);
	assert_non_null(m->rules);
	add_rule(m, "ext-01", "external", EA_IFACE_EXTERNAL, 6, 443, 443, 1, 0, "TLS", "STUN");
	add_rule(m, "ext-02", "external", EA_IFACE_EXTERNAL, 17, 50000, 59999, -1, 0, "RTP", NULL);
	m->rules[1].src_roles[m->rules[1].n_src++] = 1; /* two roles on one side */
	m->rules[1].src_roles[m->rules[1].n_src++] = 2;
	add_rule(m, "int-01", "internal", EA_IFACE_INTERNAL, 6, 5061, 5061, 2, 0, "TLS", NULL);
	add_rule(m, "ext-03", "federation", EA_IFACE_EXTERNAL, 6, 5061, 5061, -1, -1, "TLS", NULL);
}

static void free_matrix(ea_matrix *m)
{
	for (unsigned i = 0; i < m->n_roles; i++)
		free(m->roles[i].description);
	for (unsigned i = 0; i < m->n_rules; i++) {
		ea_rule *r = &m->rules[i];
		free(r->text);
		free(r->source_text);
		free(r->destination_text);
		free(r->note_zh);
		free(r->note_en);
	}
	free(m->rules);
	memset(m, 0, sizeof *m);
}

static void v4(ea_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	const uint8_t b[4] = {x, y, z, w};
	ea_addr_from_v4(a, b);
}

static void make_flow(ea_flow_record *f, uint8_t transport, uint16_t resp_port, uint64_t first_us)
{
	memset(f, 0, sizeof *f);
	f->iface = EA_IFACE_EXTERNAL;
	f->transport = transport;
	v4(&f->init_addr, 198, 51, 100, 7);
	v4(&f->resp_addr, 203, 0, 113, 10);
	f->init_port = 50123;
	f->resp_port = resp_port;
	f->first_us = first_us;
	f->last_us = first_us + 2500000;
	f->pkts[0] = 10;
	f->pkts[1] = 8;
	f->bytes[0] = 1500;
	f->bytes[1] = 9000;
	f->dir_source = EA_DIR_SYN;
	f->handshake = transport == 6 ? EA_HS_ESTABLISHED : EA_HS_NOT_TCP;
	f->end_reason = EA_END_FIN;
	snprintf(f->master_proto, sizeof f->master_proto, "TLS");
	snprintf(f->app_proto, sizeof f->app_proto, "Skype_Teams");
	snprintf(f->category, sizeof f->category, "Collaborative");
	snprintf(f->confidence, sizeof f->confidence, "DPI");
	f->proto_source = EA_PROTO_SRC_DPI;
	snprintf(f->community_id, sizeof f->community_id, "1:abcdefghijklmnopqrstuvwxyz0=");
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/ea_store_XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/audit.db", fx->dir);
	build_matrix(&fx->m);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	ea_store_close(fx->st, NULL, 0);
	free_matrix(&fx->m);
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[160];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", fx->path, sfx[i]);
		unlink(p);
	}
	snprintf(p, sizeof p, "%s/not-a-db.txt", fx->dir);
	unlink(p);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void open_store(fixture *fx)
{
	ea_status e = ea_store_open(fx->path, &fx->st, fx->err, sizeof fx->err);
	if (e != EA_OK)
		fail_msg("open: %s", fx->err);
}

static void close_store(fixture *fx)
{
	assert_int_equal(ea_store_close(fx->st, fx->err, sizeof fx->err), EA_OK);
	fx->st = NULL;
}

static int64_t begin_run(fixture *fx)
{
	ea_run_info info = {
		.tool_version = "0.1.0",
		.ndpi_version = "4.2.0",
		.matrix_path = "/x/lync.matrix",
		.matrix_sha256 = "aa11",
		.site_path = "/x/site.ini",
		.site_sha256 = "bb22",
		.command_line = "edgeaudit read",
		.started_at = 1700000000,
	};
	int64_t id = -1;
	ea_status e = ea_store_begin_run(fx->st, &info, &fx->m, &id, fx->err, sizeof fx->err);
	if (e != EA_OK)
		fail_msg("begin_run: %s", fx->err);
	assert_true(id > 0);
	return id;
}

static void add_flow(fixture *fx, int64_t run, const ea_flow_record *f, ea_verdict v,
		     const uint16_t *rules, unsigned n)
{
	ea_match_result mr;
	memset(&mr, 0, sizeof mr);
	mr.verdict = v;
	for (unsigned i = 0; i < n; i++)
		mr.rules[i] = rules[i];
	mr.n_rules = n;
	ea_status e = ea_store_add_flow(fx->st, run, f, &mr, &fx->m, fx->err, sizeof fx->err);
	if (e != EA_OK)
		fail_msg("add_flow: %s", fx->err);
}

/* Collects a query's rows as "a|b|c\n" lines; SQL NULL prints as NULL. */
typedef struct {
	char *buf;
	size_t len;
	FILE *f;
} rows;

static int collect(void *ctx, int ncols, const char *const *cols)
{
	rows *r = ctx;
	for (int i = 0; i < ncols; i++)
		fprintf(r->f, "%s%s", i ? "|" : "", cols[i] ? cols[i] : "NULL");
	fputc('\n', r->f);
	return 0;
}

static char *query(ea_store *st, const char *sql, const char *const *params, int n)
{
	rows r = {0};
	r.f = open_memstream(&r.buf, &r.len);
	assert_non_null(r.f);
	char err[256];
	ea_status e = ea_store_query(st, sql, params, n, collect, &r, err, sizeof err);
	fclose(r.f);
	if (e != EA_OK)
		fail_msg("query %s: %s", sql, err);
	return r.buf;
}

static void assert_query(ea_store *st, const char *sql, const char *expected)
{
	char *got = query(st, sql, NULL, 0);
	assert_string_equal(got, expected);
	free(got);
}

static long long count_raw(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	long long n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static int count_markers(void)
{
	int n = 0;
	for (const char *p = ea_schema_sql; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, "-- version ", 11) == 0)
			n++;
	}
	return n;
}

/* ---- opening and schema ------------------------------------------------ */

static void test_open_creates_schema(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	struct stat sb;
	assert_int_equal(stat(fx->path, &sb), 0);

	int last = ea_store_schema_version();
	assert_true(last >= 2);
	assert_int_equal(last, count_markers());
	char want[32];
	snprintf(want, sizeof want, "%d\n", last);
	assert_query(fx->st, "PRAGMA user_version", want);
	assert_query(fx->st, "PRAGMA journal_mode", "wal\n");
	assert_query(fx->st, "PRAGMA foreign_keys", "1\n");
	assert_query(fx->st,
		     "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
		     " ORDER BY name",
		     "anomalies\ncapture_stats\nflow_details\nflow_rules\nflow_verdicts\nflows\ninputs\n"
		     "interface_events\nnat_mappings\nrollup_days\nrollup_groups\nrollup_peers\nrollup_rules\n"
		     "rules\nruns\n");
	close_store(fx);

	/* Opening again changes nothing. */
	open_store(fx);
	assert_query(fx->st, "PRAGMA user_version", want);
	close_store(fx);
}

static void test_view_columns(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	assert_query(fx->st, "SELECT name FROM pragma_table_info('flow_verdicts') ORDER BY cid",
		     "run_id\niface\ntransport\ninitiator_ip\ninitiator_port\nresponder_ip\n"
		     "responder_port\napp_protocol\nverdict\nrule_ids\ndirection_source\n"
		     "packets\nbytes\nfirst_seen\nlast_seen\nserver_name\ncommunity_id\nreason\nflow_id\n");
}

/* ---- round trip -------------------------------------------------------- */

static void test_run_and_rules_round_trip(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	char rid[24];
	snprintf(rid, sizeof rid, "%lld", (long long)run);
	const char *p[] = {rid};

	char *got = query(fx->st,
			  "SELECT status, started_at, finished_at, tool_version, ndpi_version,"
			  " matrix_path, matrix_sha256, portsig_path, site_sha256, command_line"
			  " FROM runs WHERE id = ?", p, 1);
	assert_string_equal(got, "running|1700000000|NULL|0.1.0|4.2.0|/x/lync.matrix|aa11|NULL|"
				 "bb22|edgeaudit read\n");
	free(got);

	got = query(fx->st,
		    "SELECT ord, rule_id, table_name, iface, transport, port_lo, port_hi,"
		    " source, destination, protocols, note_zh, source_text"
		    " FROM rules WHERE run_id = ? ORDER BY ord", p, 1);
	assert_string_equal(got,
		"0|ext-01|external|external|6|443|443|remote_user|access_edge|TLS,STUN|說明|source cell\n"
		"1|ext-02|external|external|17|50000|59999|remote_user,director_pool|access_edge|RTP|說明|source cell\n"
		"2|int-01|internal|internal|6|5061|5061|director_pool|access_edge|TLS|說明|source cell\n"
		"3|ext-03|federation|external|6|5061|5061|any|any|TLS|說明|source cell\n");
	free(got);

	ea_input_info in = {
		.iface = EA_IFACE_INTERNAL,
		.path = "/captures/day1/edge-int.pcapng",
		.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		.size = 4096,
		.packets = 12,
		.bytes = 3456,
		.first_us = 1700000000000001,
		.last_us = 1700000009000000,
		.truncated = true,
		.error = "packet 13: cut short",
		.linktype = 1,
		.duplicates = 5,
	};
	assert_int_equal(ea_store_add_input(fx->st, run, &in, fx->err, sizeof fx->err), EA_OK);
	ea_input_info empty = in;
	empty.iface = EA_IFACE_EXTERNAL;
	empty.path = "edge-ext.pcap";
	empty.packets = 0;
	empty.bytes = 0;
	empty.duplicates = 0;
	empty.truncated = false;
	empty.error = NULL;
	assert_int_equal(ea_store_add_input(fx->st, run, &empty, fx->err, sizeof fx->err), EA_OK);
	got = query(fx->st,
		    "SELECT iface, path, file_name, size, packets, bytes, first_seen, last_seen,"
		    " linktype, truncated, error, duplicates FROM inputs WHERE run_id = ? ORDER BY id", p, 1);
	assert_string_equal(got,
		"internal|/captures/day1/edge-int.pcapng|edge-int.pcapng|4096|12|3456|"
		"1700000000000001|1700000009000000|1|1|packet 13: cut short|5\n"
		"external|edge-ext.pcap|edge-ext.pcap|4096|0|0|NULL|NULL|1|0|NULL|0\n");
	free(got);

	ea_flow_record f;
	make_flow(&f, 6, 443, 1700000000000000);
	const uint16_t r0[] = {0};
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);

	ea_run_totals t = {
		.packets = 100, .bytes = 20000, .flows = 1, .decoded = 97, .evicted = 2,
		.finished_at = 1700000100, .status = "complete",
	};
	t.anomalies[EA_ANOMALY_TRUNCATED_TCP] = 3;
	t.anomalies[EA_ANOMALY_NON_IP] = 5;
	assert_int_equal(ea_store_finish_run(fx->st, run, &t, fx->err, sizeof fx->err), EA_OK);
	got = query(fx->st,
		    "SELECT status, finished_at, packets, bytes, flows, decoded, evicted"
		    " FROM runs WHERE id = ?", p, 1);
	assert_string_equal(got, "complete|1700000100|100|20000|1|97|2\n");
	free(got);

	/* Only the non-zero counters, under the decoder's own names. */
	char want[256];
	const char *a = ea_anomaly_key(EA_ANOMALY_NON_IP), *b = ea_anomaly_key(EA_ANOMALY_TRUNCATED_TCP);
	bool a_first = strcmp(a, b) < 0;
	snprintf(want, sizeof want, "%s|%s|%d\n%s|%s|%d\n",
		 a_first ? a : b, ea_anomaly_text(a_first ? EA_ANOMALY_NON_IP : EA_ANOMALY_TRUNCATED_TCP),
		 a_first ? 5 : 3,
		 a_first ? b : a, ea_anomaly_text(a_first ? EA_ANOMALY_TRUNCATED_TCP : EA_ANOMALY_NON_IP),
		 a_first ? 3 : 5);
	got = query(fx->st, "SELECT reason, description, count FROM anomalies WHERE run_id = ?"
			    " ORDER BY reason", p, 1);
	assert_string_equal(got, want);
	free(got);

	/* Finishing again replaces the counters rather than adding. */
	assert_int_equal(ea_store_finish_run(fx->st, run, &t, fx->err, sizeof fx->err), EA_OK);
	got = query(fx->st, "SELECT SUM(count) FROM anomalies WHERE run_id = ?", p, 1);
	assert_string_equal(got, "8\n");
	free(got);

	/* A run that does not exist is an error, not a silent no-op. */
	assert_int_equal(ea_store_finish_run(fx->st, run + 100, &t, fx->err, sizeof fx->err),
			 EA_ERR_INTERNAL);

	close_store(fx);
	/* Everything survived the close. */
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM flows"), 1);
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM inputs"), 2);
}

static void test_flow_round_trip_and_view(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);

	ea_flow_record f;
	make_flow(&f, 6, 443, 1700000000123456);
	f.iface = EA_IFACE_INTERNAL;
	f.attempt = false;
	f.dir_source = EA_DIR_PORT;
	f.proto_unexpected_on_port = true;
	snprintf(f.risks, sizeof f.risks, "Known_Protocol_on_Non_Standard_Port,Self-signed_Cert");
	snprintf(f.server_name, sizeof f.server_name, "sip.example.com");
	/* Given out of document order: the view must still list them in
	 * document order. */
	const uint16_t rules[] = {3, 0};
	add_flow(fx, run, &f, EA_VERDICT_MISMATCH, rules, 2);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);

	assert_query(fx->st,
		     "SELECT iface, transport, initiator_ip, initiator_port, responder_ip,"
		     " responder_port, first_us, last_us, pkts_out, pkts_in, bytes_out, bytes_in,"
		     " direction_source, handshake, end_reason, attempt, master_proto, app_proto,"
		     " category, confidence, proto_source, proto_unexpected_on_port, risks,"
		     " server_name, community_id, verdict FROM flows",
		     "internal|6|198.51.100.7|50123|203.0.113.10|443|1700000000123456|"
		     "1700000002623456|10|8|1500|9000|port|established|fin|0|TLS|Skype_Teams|"
		     "Collaborative|DPI|dpi|1|Known_Protocol_on_Non_Standard_Port,Self-signed_Cert|"
		     "sip.example.com|1:abcdefghijklmnopqrstuvwxyz0=|mismatch\n");
	assert_query(fx->st, "SELECT flow_id, ord FROM flow_rules ORDER BY ord", "1|0\n1|3\n");
	assert_query(fx->st, "SELECT * FROM flow_verdicts",
		     "1|internal|tcp|198.51.100.7|50123|203.0.113.10|443|Skype_Teams|mismatch|"
		     "ext-01,ext-03|port|18|10500|2023-11-14T22:13:20.123456Z|"
		     "2023-11-14T22:13:22.623456Z|sip.example.com|1:abcdefghijklmnopqrstuvwxyz0=|NULL|1\n");
}

/* The site's policy as stored (schema version 4): each rule's origin,
 * action, features and whether the profile closed it; each flow's reason
 * and who decided it. */
static void test_policy_round_trip(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	/* ext-02 serves two features and is closed; int-01 is a local deny. */
	fx->m.rules[1].features = (1u << EA_FEATURE_SIP_FEDERATION) | (1u << EA_FEATURE_PUBLIC_IM);
	fx->m.rules[1].closed_by = fx->m.rules[1].features;
	fx->m.rules[2].origin = EA_ORIGIN_LOCAL;
	fx->m.rules[2].action = EA_ACTION_DENY;
	int64_t run = begin_run(fx);
	assert_query(fx->st, "SELECT rule_id, origin, action, feature, closed_by FROM rules ORDER BY ord",
		     "ext-01|vendor|allow|NULL|NULL\n"
		     "ext-02|vendor|allow|sip-federation, public-im|sip-federation, public-im\n"
		     "int-01|local|deny|NULL|NULL\n"
		     "ext-03|vendor|allow|NULL|NULL\n");
	ea_flow_record f;
	ea_match_result mr;
	memset(&mr, 0, sizeof mr);
	make_flow(&f, 6, 5061, 1700000000000000ull);
	mr.verdict = EA_VERDICT_UNEXPECTED;
	mr.rules[0] = 2;
	mr.n_rules = 1;
	mr.reason = EA_REASON_DENIED;
	mr.decided_by = EA_DECIDED_LOCAL;
	snprintf(mr.denied_ids, sizeof mr.denied_ids, "int-01");
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err), EA_OK);
	make_flow(&f, 6, 443, 1700000000000000ull);
	memset(&mr, 0, sizeof mr);
	mr.verdict = EA_VERDICT_DOCUMENTED;
	mr.rules[0] = 0;
	mr.n_rules = 1;
	mr.decided_by = EA_DECIDED_VENDOR;
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err), EA_OK);
	/* An unterminated reason is cut at the field, never read beyond. */
	make_flow(&f, 17, 50000, 1700000000000000ull);
	memset(&mr, 0, sizeof mr);
	mr.verdict = EA_VERDICT_UNEXPECTED;
	mr.rules[0] = 1;
	mr.n_rules = 1;
	mr.reason = EA_REASON_NOT_APPLICABLE;
	mr.decided_by = EA_DECIDED_PROFILE;
	mr.reason = EA_REASON_DENIED;
	memset(mr.denied_ids, 'x', sizeof mr.denied_ids);
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	char want[64];
	snprintf(want, sizeof want, "%d|profile\n", (int)strlen("denied: ") + EA_DENIED_IDS_MAX);
	assert_query(fx->st, "SELECT responder_port, verdict, rule_ids, reason, decided_by FROM flow_details"
			     " WHERE responder_port <> 50000 ORDER BY responder_port",
		     "443|documented|ext-01|NULL|vendor\n5061|unexpected|int-01|denied: int-01|local\n");
	assert_query(fx->st, "SELECT length(reason), decided_by FROM flows WHERE responder_port = 50000", want);
	assert_query(fx->st, "SELECT reason FROM flow_verdicts WHERE responder_port = 5061", "denied: int-01\n");
}

static void test_view_derived_columns(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	static const struct {
		uint8_t proto;
		const char *name;
	} t[] = {
		{6, "tcp"}, {17, "udp"}, {1, "icmp"}, {58, "icmpv6"}, {47, "gre"},
		{50, "esp"}, {51, "ah"}, {132, "sctp"}, {89, "89"}, {0, "0"},
	};
	ea_flow_record f;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		/* Microseconds 0..9 and seconds 0 exercise the zero padding. */
		make_flow(&f, t[i].proto, (uint16_t)i, 1700000000000000 + i);
		f.last_us = f.first_us;
		/* Protocol: app, else master, else Unknown. */
		if (i % 3 == 1)
			f.app_proto[0] = '\0';
		if (i % 3 == 2)
			f.app_proto[0] = f.master_proto[0] = '\0';
		add_flow(fx, run, &f, EA_VERDICT_UNEXPECTED, NULL, 0);
	}
	char *got = query(fx->st, "SELECT transport, app_protocol, rule_ids, first_seen, last_seen"
				  " FROM flow_verdicts ORDER BY responder_port", NULL, 0);
	char *line = got;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char want[160];
		const char *proto = i % 3 == 0 ? "Skype_Teams" : i % 3 == 1 ? "TLS" : "Unknown";
		snprintf(want, sizeof want, "%s|%s||2023-11-14T22:13:20.%06zuZ|2023-11-14T22:13:20.%06zuZ\n",
			 t[i].name, proto, i, i);
		assert_non_null(line);
		assert_memory_equal(line, want, strlen(want));
		line = strchr(line, '\n') + 1;
	}
	assert_string_equal(line, "");
	free(got);

	/* A time right on a second, and one at the epoch's first microsecond. */
	make_flow(&f, 6, 1000, 0);
	f.last_us = 1000000;
	add_flow(fx, run, &f, EA_VERDICT_UNEXPECTED, NULL, 0);
	assert_query(fx->st,
		     "SELECT first_seen, last_seen FROM flow_verdicts WHERE responder_port = 1000",
		     "1970-01-01T00:00:00.000000Z|1970-01-01T00:00:01.000000Z\n");

	/* IPv6 addresses are stored in their RFC 5952 text form. */
	const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	make_flow(&f, 17, 2000, 1);
	ea_addr_from_v6(&f.init_addr, a6);
	add_flow(fx, run, &f, EA_VERDICT_UNEXPECTED, NULL, 0);
	assert_query(fx->st, "SELECT initiator_ip FROM flow_verdicts WHERE responder_port = 2000",
		     "2001:db8::1\n");
}

static void test_server_name_verbatim(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	static const char nasty[] = "a'; DROP TABLE flows; --\"%s?\x01\x1b[31m\n\xff\xfe z";
	ea_flow_record f;
	make_flow(&f, 6, 443, 1700000000000000);
	memcpy(f.server_name, nasty, sizeof nasty);
	add_flow(fx, run, &f, EA_VERDICT_UNEXPECTED, NULL, 0);
	/* A name that fills the field without a terminator is cut at the
	 * field's end, not read past it. */
	make_flow(&f, 6, 444, 1700000000000000);
	memset(f.server_name, 'x', sizeof f.server_name);
	add_flow(fx, run, &f, EA_VERDICT_UNEXPECTED, NULL, 0);
	close_store(fx);

	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT f.server_name, v.server_name FROM flows f,"
					    " flow_verdicts v WHERE v.responder_port = f.responder_port"
					    " ORDER BY f.responder_port", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	for (int c = 0; c < 2; c++) {
		assert_int_equal(sqlite3_column_bytes(s, c), (int)strlen(nasty));
		assert_memory_equal(sqlite3_column_text(s, c), nasty, strlen(nasty));
	}
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(s, 0), (int)sizeof f.server_name);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* The vendor's matrix as shipped: every row stored in document order,
 * with the roles and protocols the loader read. */
static void test_real_matrix_rules(void **state)
{
	fixture *fx = *state;
	ea_matrix real;
	memset(&real, 0, sizeof real);
	if (ea_test_load_path(EA_DATA_MATRIX, EA_TOPDIR "/signatures/lync2013-edge.matrix", &real, NULL, fx->err,
				sizeof fx->err) != EA_OK)
		fail_msg("matrix: %s", fx->err);
	assert_true(real.n_rules > 0);
	open_store(fx);
	ea_run_info info = {.tool_version = "t", .started_at = 1};
	int64_t run = 0;
	assert_int_equal(ea_store_begin_run(fx->st, &info, &real, &run, fx->err, sizeof fx->err),
			 EA_OK);

	/* The expected rows, written out from the loaded matrix. */
	char *want = NULL;
	size_t len = 0;
	FILE *w = open_memstream(&want, &len);
	assert_non_null(w);
	for (unsigned i = 0; i < real.n_rules; i++) {
		const ea_rule *r = &real.rules[i];
		fprintf(w, "%u|%s|%s|%u|%u|%u|", i, r->id, ea_iface_name(r->iface), r->transport,
			r->port_lo, r->port_hi);
		for (unsigned k = 0; k < r->n_src; k++)
			fprintf(w, "%s%s", k ? "," : "", real.roles[r->src_roles[k]].name);
		fputs(r->n_src ? "|" : "any|", w);
		for (unsigned k = 0; k < r->n_dst; k++)
			fprintf(w, "%s%s", k ? "," : "", real.roles[r->dst_roles[k]].name);
		fputs(r->n_dst ? "|" : "any|", w);
		for (unsigned k = 0; k < r->n_protocols; k++)
			fprintf(w, "%s%s", k ? "," : "", r->protocols[k]);
		fprintf(w, "|%s\n", r->note_zh ? r->note_zh : "NULL");
	}
	fclose(w);
	assert_query(fx->st,
		     "SELECT ord, rule_id, iface, transport, port_lo, port_hi, source, destination,"
		     " protocols, COALESCE(note_zh, 'NULL') FROM rules ORDER BY ord", want);
	free(want);
	ea_matrix_free(&real);
}

/* ---- batching and failures -------------------------------------------- */

static void test_batches_commit_every_batch_rows(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	ea_flow_record f;
	const uint16_t r0[] = {0};
	for (unsigned i = 0; i < EA_DB_BATCH_ROWS + 5; i++) {
		make_flow(&f, 6, 443, 1700000000000000 + i);
		add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	}
	/* Another connection sees exactly the committed batch: the rest is
	 * still in the open transaction. */
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM flows"), EA_DB_BATCH_ROWS);
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM flow_rules"), EA_DB_BATCH_ROWS);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM flows"), EA_DB_BATCH_ROWS + 5);

	/* Close commits what is pending. */
	make_flow(&f, 6, 443, 1);
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM flows"), EA_DB_BATCH_ROWS + 5);
	close_store(fx);
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM flows"), EA_DB_BATCH_ROWS + 6);
}

static void test_failure_keeps_committed_rows(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	ea_flow_record f;
	const uint16_t r0[] = {0};
	for (unsigned i = 0; i < 10; i++) {
		make_flow(&f, 6, 443, 1700000000000000 + i);
		add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	}
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);

	/* Cap the file at its current size: the next pages cannot be had,
	 * as on a full disk. */
	char *pages = query(fx->st, "PRAGMA page_count", NULL, 0);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA max_page_count = %ld", strtol(pages, NULL, 10));
	free(pages);
	free(query(fx->st, sql, NULL, 0));

	ea_status e = EA_OK;
	unsigned written = 0;
	while (written < EA_DB_BATCH_ROWS / 2) {
		make_flow(&f, 6, 443, 1700000100000000 + written);
		snprintf(f.server_name, sizeof f.server_name, "%0200u", written);
		ea_match_result mr = {.verdict = EA_VERDICT_DOCUMENTED, .rules = {0}, .n_rules = 1};
		e = ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err);
		if (e != EA_OK)
			break;
		written++;
	}
	assert_int_equal(e, EA_ERR_DB);
	assert_true(written > 0);
	assert_non_null(strstr(fx->err, "database is full (disk or quota)"));
	assert_non_null(strstr(fx->err, "writing a flow"));
	assert_non_null(strstr(fx->err, fx->path));

	close_store(fx);
	/* The ten flushed flows are there; the failed batch is not. */
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM flows"), 10);
	open_store(fx);
	assert_query(fx->st, "SELECT COUNT(*) FROM flow_verdicts WHERE rule_ids = 'ext-01'", "10\n");
}

static void test_add_flow_checks_match_result(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	ea_flow_record f;
	make_flow(&f, 6, 443, 1);
	const uint16_t r0[] = {0};
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);

	ea_match_result mr = {.verdict = EA_VERDICT_DOCUMENTED, .rules = {1, 4}, .n_rules = 2};
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err),
			 EA_ERR_INTERNAL);
	mr.n_rules = 0;
	mr.verdict = EA_VERDICT_COUNT;
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err),
			 EA_ERR_INTERNAL);
	/* A time outside 0 … EA_MAX_TIME_US would reach the view as an empty
	 * first_seen: refused. */
	mr.verdict = EA_VERDICT_DOCUMENTED;
	make_flow(&f, 6, 443, EA_MAX_TIME_US);
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err),
			 EA_ERR_INTERNAL);
	make_flow(&f, 6, 443, 5);
	f.first_us = UINT64_MAX;
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err),
			 EA_ERR_INTERNAL);
	/* The refused flows cost nothing already queued. */
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st, "SELECT COUNT(*) FROM flows", "1\n");
}

/* Every time the capture reader can give reads back as ISO-8601: the
 * epoch, 2106 (beyond classic pcap's signed misreading) and the last µs. */
static void test_times_across_the_whole_range(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	ea_flow_record f;
	const uint16_t r0[] = {0};
	make_flow(&f, 6, 443, 0);
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	make_flow(&f, 6, 444, 4291747200000000ull);
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	make_flow(&f, 6, 445, EA_MAX_TIME_US);
	f.first_us = EA_MAX_TIME_US - 1;
	f.last_us = EA_MAX_TIME_US;
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st, "SELECT first_seen, last_seen FROM flow_verdicts ORDER BY responder_port",
		     "1970-01-01T00:00:00.000000Z|1970-01-01T00:00:02.500000Z\n"
		     "2106-01-01T00:00:00.000000Z|2106-01-01T00:00:02.500000Z\n"
		     "9999-12-31T23:59:59.999998Z|9999-12-31T23:59:59.999999Z\n");
}

/* ---- interface events (monitor) ------------------------------------------ */

/* A lost interface and its return are committed at once, in order, with
 * the run they belong to; a time the store cannot hold is refused. */
static void test_interface_events(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	ea_iface_event lost = {.iface = EA_IFACE_INTERNAL, .name = "veth-in", .at_us = 1700000000000001ull,
			       .back = false, .reason = "veth-in: interface disappeared"};
	ea_iface_event back = {.iface = EA_IFACE_INTERNAL, .name = "veth-in", .at_us = 1700000005000000ull,
			       .back = true, .reason = NULL};
	assert_int_equal(ea_store_add_iface_event(fx->st, run, &lost, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_add_iface_event(fx->st, run, &back, fx->err, sizeof fx->err), EA_OK);
	/* Committed: another connection sees both without a flush. */
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM interface_events"), 2);
	char want[256];
	snprintf(want, sizeof want,
		 "%lld|internal|veth-in|1700000000000001|lost|veth-in: interface disappeared\n"
		 "%lld|internal|veth-in|1700000005000000|back|\n",
		 (long long)run, (long long)run);
	assert_query(fx->st, "SELECT run_id, iface, name, at_us, event, reason FROM interface_events ORDER BY id",
		     want);
	ea_iface_event bad = lost;
	bad.at_us = EA_MAX_TIME_US + 1;
	assert_int_equal(ea_store_add_iface_event(fx->st, run, &bad, fx->err, sizeof fx->err), EA_ERR_INTERNAL);
	close_store(fx);
}

/* ---- duplicate inputs -------------------------------------------------- */

static void test_find_input(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	static const char sha_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char sha_b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	bool found = true;
	int64_t run_id = -1;
	assert_int_equal(ea_store_find_input(fx->st, sha_a, &found, &run_id, fx->err, sizeof fx->err),
			 EA_OK);
	assert_false(found);

	int64_t run1 = begin_run(fx);
	ea_input_info in = {.iface = EA_IFACE_EXTERNAL, .path = "a.pcap", .sha256 = sha_a,
			    .size = 100, .packets = 1, .bytes = 60, .first_us = 5, .last_us = 5,
			    .linktype = 1};
	assert_int_equal(ea_store_add_input(fx->st, run1, &in, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	/* A run still running holds its captures (its writer will store
	 * them); ea_store_claim_run frees those of a run whose writer died. */
	assert_int_equal(ea_store_find_input(fx->st, sha_a, &found, &run_id, fx->err, sizeof fx->err),
			 EA_OK);
	assert_true(found);
	ea_run_totals done = {.finished_at = 1700000100, .status = "complete"};
	assert_int_equal(ea_store_finish_run(fx->st, run1, &done, fx->err, sizeof fx->err), EA_OK);
	close_store(fx);

	open_store(fx);
	/* A failed or interrupted run does not hold its captures, nor does a
	 * capture recorded with an error. */
	int64_t failed_run = begin_run(fx);
	ea_input_info in_b = in;
	in_b.sha256 = sha_b;
	assert_int_equal(ea_store_add_input(fx->st, failed_run, &in_b, fx->err, sizeof fx->err), EA_OK);
	ea_run_totals failed = {.finished_at = 1700000200, .status = "failed: database is full"};
	assert_int_equal(ea_store_finish_run(fx->st, failed_run, &failed, fx->err, sizeof fx->err), EA_OK);
	int64_t errored_run = begin_run(fx);
	in_b.error = "b.pcap: record 3: bad record";
	assert_int_equal(ea_store_add_input(fx->st, errored_run, &in_b, fx->err, sizeof fx->err), EA_OK);
	ea_run_totals partial = {.finished_at = 1700000300, .status = "partial: 1 of 1 captures unreadable"};
	assert_int_equal(ea_store_finish_run(fx->st, errored_run, &partial, fx->err, sizeof fx->err), EA_OK);
	int64_t stopped_run = begin_run(fx);
	in_b.error = "interrupted after 7 records by SIGINT";
	assert_int_equal(ea_store_add_input(fx->st, stopped_run, &in_b, fx->err, sizeof fx->err), EA_OK);
	ea_run_totals stopped = {.finished_at = 1700000300, .status = "interrupted: SIGINT"};
	assert_int_equal(ea_store_finish_run(fx->st, stopped_run, &stopped, fx->err, sizeof fx->err), EA_OK);
	in_b.error = NULL;

	int64_t run2 = begin_run(fx);
	assert_true(run2 > run1);
	assert_int_equal(ea_store_find_input(fx->st, sha_a, &found, &run_id, fx->err, sizeof fx->err),
			 EA_OK);
	assert_true(found);
	assert_int_equal(run_id, run1);
	assert_int_equal(ea_store_find_input(fx->st, sha_b, &found, &run_id, fx->err, sizeof fx->err),
			 EA_OK);
	assert_false(found);

	/* A second copy in the new run does not hide the first. */
	in.path = "copy-of-a.pcap";
	assert_int_equal(ea_store_add_input(fx->st, run2, &in, fx->err, sizeof fx->err), EA_OK);
	run_id = -1;
	assert_int_equal(ea_store_find_input(fx->st, sha_a, &found, &run_id, fx->err, sizeof fx->err),
			 EA_OK);
	assert_int_equal(run_id, run1);
}

/* ---- claims: the duplicate check and the claim are one transaction ---- */

/* A liveness stand-in: runs listed in dead[] have no writer any more. */
typedef struct {
	int64_t dead[4];
	unsigned n_dead;
	int64_t held;
	unsigned holds, releases;
	ea_status hold_result;
} fake_liveness;

static bool fake_alive(void *ctx, int64_t run_id)
{
	fake_liveness *fl = ctx;
	for (unsigned i = 0; i < fl->n_dead; i++)
		if (fl->dead[i] == run_id)
			return false;
	return true;
}

static ea_status fake_hold(void *ctx, int64_t run_id, char *errbuf, size_t errlen)
{
	fake_liveness *fl = ctx;
	fl->holds++;
	fl->held = run_id;
	return fl->hold_result == EA_OK ? EA_OK : ea_fail(fl->hold_result, errbuf, errlen, "no lock");
}

static void fake_release(void *ctx, int64_t run_id)
{
	fake_liveness *fl = ctx;
	fl->releases++;
}

static const ea_run_info claim_info = {
	.tool_version = "0.1.0", .command_line = "edgeaudit read", .started_at = 1700000000,
};

static ea_status claim(fixture *fx, fake_liveness *fl, const ea_input_info *in, unsigned n, bool force,
		       int64_t *run, int64_t *ids, ea_duplicate *dup)
{
	ea_run_liveness live = {.writer_alive = fake_alive, .hold = fake_hold, .release = fake_release, .ctx = fl};
	ea_run_claim c = {.info = &claim_info, .matrix = &fx->m, .inputs = in, .n_inputs = n,
			  .force = force, .liveness = &live};
	return ea_store_claim_run(fx->st, &c, run, ids, dup, fx->err, sizeof fx->err);
}

static void test_claim_run(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	static const char sha_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char sha_b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	ea_input_info in[2] = {
		{.iface = EA_IFACE_EXTERNAL, .path = "/c/a.pcap", .sha256 = sha_a, .size = 100},
		{.iface = EA_IFACE_INTERNAL, .path = "/c/b.pcap", .sha256 = sha_b, .size = 200},
	};
	fake_liveness fl = {0};
	int64_t run1 = 0, ids[2] = {0, 0};
	ea_duplicate dup = {0};
	assert_int_equal(claim(fx, &fl, in, 2, false, &run1, ids, &dup), EA_OK);
	assert_true(run1 > 0);
	/* The lock was taken for the run, before the claim was committed. */
	assert_int_equal(fl.holds, 1);
	assert_int_equal(fl.held, run1);
	/* Claimed inputs say they were not read until their end is recorded. */
	assert_query(fx->st, "SELECT file_name, iface, size, packets, linktype, error FROM inputs ORDER BY id",
		     "a.pcap|external|100|0|-1|not read to the end: the run did not finish\n"
		     "b.pcap|internal|200|0|-1|not read to the end: the run did not finish\n");
	assert_query(fx->st, "SELECT COUNT(*) FROM rules", "4\n");

	/* A second process claiming b while run 1 is alive: refused, nothing
	 * written. */
	int64_t run2 = 0;
	assert_int_equal(claim(fx, &fl, &in[1], 1, false, &run2, NULL, &dup), EA_ERR_DUPLICATE);
	assert_int_equal(dup.input, 0);
	assert_int_equal(dup.run_id, run1);
	assert_true(dup.running);
	assert_int_equal(fl.holds, 1);
	assert_query(fx->st, "SELECT COUNT(*) FROM runs", "1\n");
	/* --force claims it anyway. */
	assert_int_equal(claim(fx, &fl, &in[1], 1, true, &run2, NULL, NULL), EA_OK);
	assert_true(run2 > run1);

	/* Run 1 ends: a's reading is recorded. */
	ea_input_info done = in[0];
	done.packets = 3;
	done.bytes = 180;
	done.first_us = 5;
	done.last_us = 9;
	done.linktype = 1;
	done.duplicates = 2;
	assert_int_equal(ea_store_finish_input(fx->st, ids[0], &done, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_finish_input(fx->st, 9999, &done, fx->err, sizeof fx->err), EA_ERR_INTERNAL);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st,
		     "SELECT packets, first_seen, last_seen, linktype, error IS NULL, duplicates FROM inputs WHERE id = 1",
		     "3|5|9|1|1|2\n");

	/* Both writers die without finishing: the next claim marks them
	 * interrupted, and their captures are free again. */
	fl.dead[fl.n_dead++] = run1;
	fl.dead[fl.n_dead++] = run2;
	int64_t run3 = 0;
	assert_int_equal(claim(fx, &fl, in, 2, false, &run3, ids, &dup), EA_OK);
	char want[256];
	snprintf(want, sizeof want, "%lld|" EA_RUN_STATUS_ABANDONED "\n%lld|" EA_RUN_STATUS_ABANDONED "\n%lld|running\n",
		 (long long)run1, (long long)run2, (long long)run3);
	assert_query(fx->st, "SELECT id, status FROM runs ORDER BY id", want);

	/* A finished run holds its captures; the claim's sweep leaves
	 * finished runs alone even when their writer has gone. */
	ea_run_totals t = {.finished_at = 1700000100, .status = "complete"};
	ea_input_info done_b = in[1];
	assert_int_equal(ea_store_finish_input(fx->st, ids[0], &done, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_finish_input(fx->st, ids[1], &done_b, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_finish_run(fx->st, run3, &t, fx->err, sizeof fx->err), EA_OK);
	fl.dead[fl.n_dead++] = run3;
	assert_int_equal(claim(fx, &fl, &in[1], 1, false, &run2, NULL, &dup), EA_ERR_DUPLICATE);
	assert_int_equal(dup.run_id, run3);
	assert_false(dup.running);
	assert_query(fx->st, "SELECT status FROM runs WHERE id = 3", "complete\n");

	/* A lock that cannot be taken: nothing is committed, and nothing
	 * stays held. */
	fl.hold_result = EA_ERR_IO;
	unsigned holds = fl.holds;
	assert_int_equal(claim(fx, &fl, in, 2, true, &run2, NULL, NULL), EA_ERR_IO);
	assert_int_equal(fl.holds, holds + 1);
	assert_int_equal(fl.releases, 0); /* it was never taken */
	assert_query(fx->st, "SELECT COUNT(*) FROM runs", "3\n");
}

/* A database written by a run is left in rollback-journal mode, readable
 * without a WAL shared-memory file (evidence on read-only storage). */
static void test_close_leaves_rollback_journal(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	assert_query(fx->st, "PRAGMA journal_mode", "wal\n");
	begin_run(fx);
	/* Another connection open at that moment: the switch waits for the
	 * last one and does not block. */
	sqlite3 *other = NULL;
	assert_int_equal(sqlite3_open(fx->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "SELECT COUNT(*) FROM runs", NULL, NULL, NULL), SQLITE_OK);
	close_store(fx);
	char *mode = NULL;
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(other, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	mode = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	assert_string_equal(mode, "wal");
	free(mode);
	sqlite3_close(other);

	open_store(fx);
	close_store(fx);
	char wal[160], shm[160];
	snprintf(wal, sizeof wal, "%s-wal", fx->path);
	snprintf(shm, sizeof shm, "%s-shm", fx->path);
	assert_int_equal(access(wal, F_OK), -1);
	assert_int_equal(access(shm, F_OK), -1);
	ea_store *ro = NULL;
	assert_int_equal(ea_store_open_readonly(fx->path, &ro, fx->err, sizeof fx->err), EA_OK);
	assert_query(ro, "PRAGMA journal_mode", "delete\n");
	assert_query(ro, "SELECT COUNT(*) FROM runs", "1\n");
	ea_store_close(ro, NULL, 0);
}

/* ---- upgrades and refusals --------------------------------------------- */

static void exec_raw(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static void test_upgrade_from_version_1(void **state)
{
	fixture *fx = *state;
	/* Section 1 alone, as an older edgeaudit would have left it. */
	const char *v1 = strstr(ea_schema_sql, "\n-- version 1\n");
	const char *v2 = strstr(ea_schema_sql, "\n-- version 2\n");
	assert_non_null(v1);
	assert_non_null(v2);
	assert_true(v2 > v1);
	char *section = strndup(v1, (size_t)(v2 - v1));
	assert_non_null(section);

	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	exec_raw(db, section);
	free(section);
	exec_raw(db, "PRAGMA user_version = 1");
	exec_raw(db, "INSERT INTO runs (id, started_at, tool_version) VALUES (1, 1, 'old')");
	exec_raw(db, "INSERT INTO rules (run_id, ord, rule_id, table_name, iface, transport,"
		     " port_lo, port_hi, source, destination, protocols)"
		     " VALUES (1, 0, 'ext-01', 'external', 'external', 6, 443, 443, 'any', 'any', 'TLS')");
	exec_raw(db, "INSERT INTO flows VALUES (1, 1, 'external', 17, '192.0.2.1', 1000,"
		     " '192.0.2.2', 443, 2000000, 3000000, 1, 2, 3, 4, 'syn', '', 'idle', 0,"
		     " 'TLS', '', '', '', 'dpi', 0, '', 'old.example', '1:x', 'documented')");
	exec_raw(db, "INSERT INTO flow_rules VALUES (1, 1, 0)");
	/* No view yet: that is what version 2 adds. */
	sqlite3_stmt *s = NULL;
	assert_int_not_equal(sqlite3_prepare_v2(db, "SELECT * FROM flow_verdicts", -1, &s, NULL),
			     SQLITE_OK);
	sqlite3_close(db);

	open_store(fx);
	char want[16];
	snprintf(want, sizeof want, "%d\n", ea_store_schema_version());
	assert_query(fx->st, "PRAGMA user_version", want);
	assert_query(fx->st, "SELECT transport, app_protocol, rule_ids, packets, bytes, first_seen,"
			     " server_name FROM flow_verdicts",
		     "udp|TLS|ext-01|3|7|1970-01-01T00:00:02.000000Z|old.example\n");
	/* Version 4: the flow's stable id, its row id, kept through every rebuild. */
	assert_query(fx->st, "SELECT flow_id FROM flow_verdicts", "1\n");
	assert_query(fx->st, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'flows_verdict_run'",
		     "1\n");
	/* Version 3 rebuilt flows: the old row keeps its id and rules, with
	 * no uid or generation, never rewritten. */
	assert_query(fx->st, "SELECT id, uid IS NULL, generation IS NULL, updates FROM flows", "1|1|1|0\n");
	/* And the upgraded database takes new runs. */
	int64_t run = begin_run(fx);
	assert_int_equal(run, 2);
}

/* An active-timeout update and the flow's end share a uid: the end
 * rewrites the row (counts, end reason, verdict and rules), never adds
 * one; another uid, or none, is a row of its own. */
/* A version-3 database (the last before the site's policy) upgrades: its
 * rules are the vendor's, allowing and open, its flows have no reason,
 * flow_verdicts keeps its columns and gains reason at the end. */
static void test_upgrade_from_version_3(void **state)
{
	fixture *fx = *state;
	const char *v4s = strstr(ea_schema_sql, "\n-- version 4\n");
	assert_non_null(v4s);
	char *upto3 = strndup(ea_schema_sql, (size_t)(v4s - ea_schema_sql));
	assert_non_null(upto3);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	exec_raw(db, upto3);
	free(upto3);
	exec_raw(db, "PRAGMA user_version = 3");
	exec_raw(db, "INSERT INTO runs (id, started_at, tool_version) VALUES (1, 1, 'old')");
	exec_raw(db, "INSERT INTO rules (run_id, ord, rule_id, table_name, iface, transport,"
		     " port_lo, port_hi, source, destination, protocols)"
		     " VALUES (1, 0, 'ext-01', 'external', 'external', 6, 443, 443, 'any', 'any', 'TLS')");
	exec_raw(db, "INSERT INTO flows (id, run_id, iface, transport, initiator_ip, initiator_port,"
		     " responder_ip, responder_port, first_us, last_us, pkts_out, pkts_in, bytes_out, bytes_in,"
		     " direction_source, handshake, end_reason, attempt, master_proto, app_proto, category,"
		     " confidence, proto_source, proto_unexpected_on_port, risks, server_name, community_id,"
		     " verdict) VALUES (1, 1, 'external', 6, '192.0.2.1', 1000, '192.0.2.2', 443, 2000000,"
		     " 3000000, 1, 2, 3, 4, 'syn', '', 'idle', 0, 'TLS', '', '', '', 'dpi', 0, '', '', '1:x',"
		     " 'documented')");
	exec_raw(db, "INSERT INTO flow_rules VALUES (1, 1, 0)");
	sqlite3_close(db);

	open_store(fx);
	char want[16];
	snprintf(want, sizeof want, "%d\n", ea_store_schema_version());
	assert_query(fx->st, "PRAGMA user_version", want);
	assert_query(fx->st, "SELECT origin, action, feature, closed_by FROM rules", "vendor|allow|NULL|NULL\n");
	assert_query(fx->st, "SELECT verdict, rule_ids, reason FROM flow_verdicts", "documented|ext-01|NULL\n");
	assert_query(fx->st, "SELECT reason, decided_by FROM flow_details", "NULL|NULL\n");
	assert_query(fx->st, "SELECT local_path, local_sha256 FROM runs", "NULL|NULL\n");
	int64_t run = begin_run(fx);
	assert_int_equal(run, 2);
}

static void test_same_uid_rewrites_row(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	ea_flow_record f;
	make_flow(&f, 6, 443, 1700000000000000ull);
	f.uid = 42;
	f.generation = 1;
	f.end_reason = EA_END_ACTIVE;
	f.rewrite = true;
	f.pkts[0] = 3;
	uint16_t first[] = {0, 3};
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, first, 2);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st, "SELECT end_reason, packets, rule_ids FROM flow_details", "active|11|ext-01,ext-03\n");
	f.end_reason = EA_END_FIN;
	f.pkts[0] = 30;
	f.last_us += 60000000;
	f.generation = 2;
	uint16_t last[] = {3};
	add_flow(fx, run, &f, EA_VERDICT_MISMATCH, last, 1);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st, "SELECT uid, generation, updates, end_reason, packets, verdict, rule_ids FROM flow_details",
		     "42|2|1|fin|38|mismatch|ext-03\n");
	f.uid = 43;
	f.rewrite = false; /* a flow never updated: a plain insert */
	add_flow(fx, run, &f, EA_VERDICT_MISMATCH, last, 1);
	f.uid = 0;
	add_flow(fx, run, &f, EA_VERDICT_MISMATCH, last, 1);
	add_flow(fx, run, &f, EA_VERDICT_MISMATCH, last, 1);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	/* Only the rewritten flow keeps its uid. */
	assert_query(fx->st, "SELECT COUNT(*), COUNT(uid) FROM flows", "4|1\n");
}

/* A reload begins a new run while a flow is open: its row moves to the
 * new run with its matched rows, and its end rewrites it there — one row
 * for the flow, not one in each run. An ended flow stays where it was. */
static void test_open_flow_moves_to_new_run(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run1 = begin_run(fx);
	ea_flow_record f, done;
	make_flow(&f, 6, 443, 1700000000000000ull);
	f.uid = 7;
	f.end_reason = EA_END_ACTIVE;
	f.rewrite = true;
	uint16_t rules[] = {0, 3};
	add_flow(fx, run1, &f, EA_VERDICT_DOCUMENTED, rules, 2);
	make_flow(&done, 6, 443, 1700000000000000ull);
	done.end_reason = EA_END_FIN;
	add_flow(fx, run1, &done, EA_VERDICT_DOCUMENTED, rules, 1);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);

	int64_t run2 = begin_run(fx);
	assert_int_equal(ea_store_move_open_flows(fx->st, run1, run2, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	char want[64];
	snprintf(want, sizeof want, "%lld|active|ext-01,ext-03\n%lld|fin|ext-01\n", (long long)run2, (long long)run1);
	assert_query(fx->st, "SELECT run_id, end_reason, rule_ids FROM flow_details ORDER BY id", want);

	f.end_reason = EA_END_FIN;
	f.pkts[0] = 50;
	add_flow(fx, run2, &f, EA_VERDICT_DOCUMENTED, rules, 2);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	snprintf(want, sizeof want, "%lld|fin|1\n%lld|fin|0\n", (long long)run2, (long long)run1);
	assert_query(fx->st, "SELECT run_id, end_reason, updates FROM flows ORDER BY id", want);
	assert_query(fx->st, "PRAGMA foreign_key_check", "");
}

/* ---- issue 7: read filters, capture loss, retention -------------------- */

static int64_t begin_filtered_run(fixture *fx, const char *filter, const char *sha, bool force,
				  ea_status want)
{
	ea_run_info info = {.tool_version = "t", .started_at = 1, .filter = filter};
	ea_input_info in = {.iface = EA_IFACE_EXTERNAL, .path = "lab.pcap", .sha256 = sha, .size = 10};
	ea_run_claim claim = {.info = &info, .matrix = &fx->m, .inputs = &in, .n_inputs = 1, .force = force};
	int64_t run = 0, input = 0;
	ea_status e = ea_store_claim_run(fx->st, &claim, &run, &input, NULL, fx->err, sizeof fx->err);
	if (e != want)
		fail_msg("claim with filter %s: %s (%s)", filter ? filter : "(none)", ea_status_name(e), fx->err);
	if (e != EA_OK)
		return 0;
	in.packets = 1;
	assert_int_equal(ea_store_finish_input(fx->st, input, &in, fx->err, sizeof fx->err), EA_OK);
	ea_run_totals done = {.finished_at = 2, .status = "complete"};
	assert_int_equal(ea_store_finish_run(fx->st, run, &done, fx->err, sizeof fx->err), EA_OK);
	return run;
}

/* A capture read through a filter holds it only against the same filter;
 * a whole read holds it against every filter. */
static void test_filter_holds_only_its_own_read(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	static const char sha[] = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
	int64_t r1 = begin_filtered_run(fx, "tcp port 443", sha, false, EA_OK);
	assert_query(fx->st, "SELECT filter FROM runs", "tcp port 443\n");
	bool found = false;
	int64_t by = 0;
	assert_int_equal(ea_store_find_capture(fx->st, sha, "tcp port 443", &found, &by, fx->err, sizeof fx->err),
			 EA_OK);
	assert_true(found);
	assert_int_equal(by, r1);
	assert_int_equal(ea_store_find_capture(fx->st, sha, NULL, &found, &by, fx->err, sizeof fx->err), EA_OK);
	assert_false(found);
	/* The same filter again: a duplicate; another filter, or none: not. */
	begin_filtered_run(fx, "tcp port 443", sha, false, EA_ERR_DUPLICATE);
	begin_filtered_run(fx, "udp", sha, false, EA_OK);
	begin_filtered_run(fx, "", sha, false, EA_OK); /* "" is no filter */
	assert_query(fx->st, "SELECT id, COALESCE(filter, 'NULL') FROM runs ORDER BY id",
		     "1|tcp port 443\n2|udp\n3|NULL\n");
	/* After a whole read, any filter's read is a duplicate. */
	begin_filtered_run(fx, "tcp port 443", sha, false, EA_ERR_DUPLICATE);
	begin_filtered_run(fx, "icmp", sha, false, EA_ERR_DUPLICATE);
	begin_filtered_run(fx, NULL, sha, false, EA_ERR_DUPLICATE);
	begin_filtered_run(fx, "icmp", sha, true, EA_OK);
}

static sqlite3 *schema_upto(const char *path, int version);

/* A version-3 database (monitor's first release) is upgraded in place:
 * its capture_stats rows stay, with refused 0, and a refused count of a
 * new row is stored. */
static void test_upgrade_from_version_3_refused(void **state)
{
	fixture *fx = *state;
	sqlite3 *db = schema_upto(fx->path, 3);
	exec_raw(db, "INSERT INTO runs (id, started_at, status, tool_version) VALUES (1, 1, 'complete', 'old')");
	exec_raw(db, "INSERT INTO capture_stats (run_id, iface, start_us, end_us, queue_dropped, evicted, duplicates)"
		     " VALUES (1, 'external', 1, 2, 3, 0, 0)");
	sqlite3_close(db);
	open_store(fx);
	assert_query(fx->st, "SELECT queue_dropped, refused FROM capture_stats", "3|0\n");
	ea_capture_stats cs = {.iface = EA_IFACE_INTERNAL, .start_us = 5, .end_us = 9, .kernel = true, .refused = 4};
	assert_int_equal(ea_store_add_capture_stats(fx->st, 1, &cs, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st, "SELECT refused FROM capture_stats WHERE iface = 'internal'", "4\n");
}

static void test_capture_stats_round_trip(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	ea_capture_stats live = {.iface = EA_IFACE_INTERNAL, .start_us = 1700000000000000,
				 .end_us = 1700000060000000, .kernel = true, .kernel_received = 1000000,
				 .kernel_dropped = 1234, .if_dropped = 5, .queue_dropped = 7, .evicted = 3,
				 .duplicates = 999};
	assert_int_equal(ea_store_add_capture_stats(fx->st, run, &live, fx->err, sizeof fx->err), EA_OK);
	ea_input_info in = {.iface = EA_IFACE_EXTERNAL, .path = "a.pcap",
			    .sha256 = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"};
	assert_int_equal(ea_store_add_input(fx->st, run, &in, fx->err, sizeof fx->err), EA_OK);
	ea_capture_stats file = {.iface = EA_IFACE_EXTERNAL, .input_id = 1, .start_us = 5, .end_us = 9,
				 .evicted = 2};
	assert_int_equal(ea_store_add_capture_stats(fx->st, run, &file, fx->err, sizeof fx->err), EA_OK);
	/* An interval ending before it starts is a caller's bug. */
	ea_capture_stats bad = {.start_us = 10, .end_us = 9};
	assert_int_equal(ea_store_add_capture_stats(fx->st, run, &bad, fx->err, sizeof fx->err),
			 EA_ERR_INTERNAL);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	close_store(fx);
	open_store(fx);
	assert_query(fx->st,
		     "SELECT run_id, iface, COALESCE(input_id, 'NULL'), start_us, end_us,"
		     " COALESCE(kernel_received, 'NULL'), COALESCE(kernel_dropped, 'NULL'),"
		     " COALESCE(if_dropped, 'NULL'), queue_dropped, evicted, duplicates"
		     " FROM capture_stats ORDER BY id",
		     "1|internal|NULL|1700000000000000|1700000060000000|1000000|1234|5|7|3|999\n"
		     "1|external|1|5|9|NULL|NULL|NULL|0|2|0\n");
}

/* A version-2 database (as the previous release left it) is upgraded in
 * place: its runs, inputs and flows stay, and it takes the new tables. */
/* Writes at path a version-2 database, as the previous release left
 * it: one run, one capture, one rule, one flow. */
/* A raw connection to a new database at path holding the schema up to
 * and including section version, as the release that stopped there left
 * it. */
static sqlite3 *schema_upto(const char *path, int version)
{
	char next[32], pragma[48];
	snprintf(next, sizeof next, "\n-- version %d\n", version + 1);
	const char *end = strstr(ea_schema_sql, next);
	assert_non_null(end);
	char *upto = strndup(ea_schema_sql, (size_t)(end - ea_schema_sql));
	assert_non_null(upto);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_raw(db, upto);
	free(upto);
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version);
	exec_raw(db, pragma);
	return db;
}

static void make_version_2_db(const char *path)
{
	sqlite3 *db = schema_upto(path, 2);
	exec_raw(db, "INSERT INTO runs (id, started_at, status, tool_version) VALUES (1, 1, 'complete', 'old')");
	exec_raw(db, "INSERT INTO inputs VALUES (1, 1, 'external', '/x/a.pcap', 'a.pcap',"
		     " 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', 10, 1, 60, 5, 5, 1, 0, NULL)");
	exec_raw(db, "INSERT INTO rules (run_id, ord, rule_id, table_name, iface, transport,"
		     " port_lo, port_hi, source, destination, protocols)"
		     " VALUES (1, 0, 'ext-01', 'external', 'external', 6, 443, 443, 'any', 'any', 'TLS')");
	exec_raw(db, "INSERT INTO flows VALUES (1, 1, 'external', 6, '192.0.2.1', 1000,"
		     " '192.0.2.2', 443, 2000000, 3000000, 1, 2, 3, 4, 'syn', '', 'fin', 0,"
		     " 'TLS', '', '', '', 'dpi', 0, '', 'old.example', '1:x', 'documented')");
	exec_raw(db, "INSERT INTO flow_rules VALUES (1, 1, 0)");
	sqlite3_close(db);
}

static void test_upgrade_from_version_2(void **state)
{
	fixture *fx = *state;
	make_version_2_db(fx->path);

	open_store(fx);
	char want[16];
	snprintf(want, sizeof want, "%d\n", ea_store_schema_version());
	assert_query(fx->st, "PRAGMA user_version", want);
	assert_query(fx->st, "SELECT run_id, transport, rule_ids, packets, bytes, server_name FROM flow_verdicts",
		     "1|tcp|ext-01|3|7|old.example\n");
	assert_query(fx->st, "SELECT id, status, COALESCE(filter, 'NULL') FROM runs", "1|complete|NULL\n");
	assert_query(fx->st, "SELECT file_name, packets FROM inputs", "a.pcap|1\n");
	assert_query(fx->st, "SELECT COUNT(*) FROM capture_stats", "0\n");
	/* The old whole read still holds its capture. */
	bool found = false;
	int64_t by = 0;
	assert_int_equal(ea_store_find_input(fx->st, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
					     &found, &by, fx->err, sizeof fx->err), EA_OK);
	assert_true(found);
	close_store(fx);
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM flows"), 1);
}

/* A reader (report) given a version-2 database: it reads it, through
 * the schema upgrade made in a private copy; the file stays version 2,
 * byte for byte. */
static void test_reader_reads_older_schema_unchanged(void **state)
{
	fixture *fx = *state;
	make_version_2_db(fx->path);
	struct stat before, after;
	assert_int_equal(stat(fx->path, &before), 0);
	ea_store *ro = NULL;
	assert_int_equal(ea_store_open_readonly(fx->path, &ro, fx->err, sizeof fx->err), EA_OK);
	assert_query(ro, "SELECT run_id, transport, rule_ids, packets, bytes, server_name FROM flow_verdicts",
		     "1|tcp|ext-01|3|7|old.example\n");
	assert_int_equal(ea_store_close(ro, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(stat(fx->path, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	assert_int_equal(count_raw(fx->path, "PRAGMA user_version"), 2);
}

/* ---- wt-nat: the NAT requirement (schema version 4) --------------------- */

/* Writes at path a version-3 database, as issue 7's release left it: one
 * run with one flow. */
static void nat_make_version_3_db(const char *path)
{
	const char *v4 = strstr(ea_schema_sql, "\n-- version 4\n");
	assert_non_null(v4);
	char *upto3 = strndup(ea_schema_sql, (size_t)(v4 - ea_schema_sql));
	assert_non_null(upto3);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_raw(db, upto3);
	free(upto3);
	exec_raw(db, "PRAGMA user_version = 3");
	exec_raw(db, "INSERT INTO runs (id, started_at, status, tool_version) VALUES (1, 1, 'complete', 'v3')");
	exec_raw(db, "INSERT INTO flows (id, run_id, iface, transport, initiator_ip, initiator_port, responder_ip,"
		     " responder_port, first_us, last_us, pkts_out, pkts_in, bytes_out, bytes_in, direction_source,"
		     " handshake, end_reason, attempt, master_proto, app_proto, category, confidence, proto_source,"
		     " proto_unexpected_on_port, risks, server_name, community_id, verdict)"
		     " VALUES (1, 1, 'external', 17, '10.0.1.1', 40000, '10.0.1.12', 3478, 5, 6, 1, 1, 48, 84,"
		     " 'first-packet', '', 'eof', 0, 'STUN', 'STUN', '', '', 'payload', 0, '', '', '1:x', 'documented')");
	sqlite3_close(db);
}

/* A version-3 database takes the NAT columns and table: its flows have no
 * NAT finding (NULL), new flows record theirs, a rewrite clears one that
 * no longer holds, and nat_mappings takes rows and refuses a status it
 * does not know. */
static void test_nat_upgrade_from_version_3(void **state)
{
	fixture *fx = *state;
	nat_make_version_3_db(fx->path);
	open_store(fx);
	char want[16];
	snprintf(want, sizeof want, "%d\n", ea_store_schema_version());
	assert_query(fx->st, "PRAGMA user_version", want);
	assert_query(fx->st, "SELECT id, COALESCE(nat_finding, 'NULL') FROM flow_details", "1|NULL\n");
	assert_query(fx->st, "SELECT COUNT(*) FROM nat_mappings", "0\n");

	int64_t run = begin_run(fx);
	ea_flow_record f;
	make_flow(&f, 17, 3478, 1700000000000000ull);
	f.uid = 7;
	f.rewrite = true;
	ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED, .nat = EA_NAT_SOURCE};
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err), EA_OK);
	make_flow(&f, 6, 443, 1700000000000000ull);
	mr.nat = EA_NAT_PRIVATE_SOURCE;
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st, "SELECT id, COALESCE(nat_finding, 'NULL') FROM flows ORDER BY id",
		     "1|NULL\n2|nat-source\n3|private-source\n");
	/* The same flow rewritten (a reload changed the site): no finding now. */
	make_flow(&f, 17, 3478, 1700000000000000ull);
	f.uid = 7;
	f.rewrite = true;
	mr.nat = EA_NAT_NONE;
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st, "SELECT id, updates, COALESCE(nat_finding, 'NULL') FROM flows WHERE id = 2", "2|1|NULL\n");

	ea_store_nat_mapping nm = {.role = "av_edge", .private_ip = "10.0.1.12", .public_ip = "203.0.113.12",
				   .expected_ip = "203.0.113.12", .status = "ok", .flows = 16,
				   .example_community_id = "1:y"};
	assert_int_equal(ea_store_add_nat_mapping(fx->st, run, &nm, fx->err, sizeof fx->err), EA_OK);
	nm.private_ip = "10.0.1.11";
	nm.public_ip = NULL;
	nm.expected_ip = NULL;
	nm.status = "unpaired";
	nm.flows = 0;
	nm.unpaired = 2;
	nm.example_community_id = NULL;
	assert_int_equal(ea_store_add_nat_mapping(fx->st, run, &nm, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st,
		     "SELECT run_id, role, private_ip, COALESCE(public_ip, 'NULL'), COALESCE(expected_ip, 'NULL'),"
		     " status, flows, unpaired, COALESCE(example_community_id, 'NULL') FROM nat_mappings ORDER BY id",
		     "2|av_edge|10.0.1.12|203.0.113.12|203.0.113.12|ok|16|0|1:y\n"
		     "2|av_edge|10.0.1.11|NULL|NULL|unpaired|0|2|NULL\n");
	nm.status = "fine";
	assert_int_equal(ea_store_add_nat_mapping(fx->st, run, &nm, fx->err, sizeof fx->err), EA_ERR_DB);
	close_store(fx);
}

/* ---- ICMP errors on flows (wt-icmp) ------------------------------------ */

/* A flow's ICMP errors and an orphan's mark are stored; a flow without
 * either keeps 0 and NULL; a rewrite by uid carries the grown count. */
static void test_icmp_fields_round_trip(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	const uint16_t r0[] = {0};
	ea_flow_record f;
	make_flow(&f, 6, 443, 1000000);
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	make_flow(&f, 6, 443, 2000000);
	f.icmp_errors = 2;
	f.icmp_last_type = 3;
	f.icmp_last_code = 4;
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	make_flow(&f, 1, 3, 3000000);
	f.init_port = 3;
	f.icmp_orphan = true;
	add_flow(fx, run, &f, EA_VERDICT_UNEXPECTED, NULL, 0);
	/* An open flow's update, then its end with one more error. */
	make_flow(&f, 17, 3478, 4000000);
	f.uid = 9;
	f.rewrite = true;
	f.end_reason = EA_END_ACTIVE;
	f.icmp_errors = 1;
	f.icmp_last_type = 3;
	f.icmp_last_code = 3;
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	f.end_reason = EA_END_IDLE;
	f.icmp_errors = 2;
	f.icmp_last_type = 11;
	f.icmp_last_code = 0;
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st,
		     "SELECT transport_name, first_us, icmp_errors, COALESCE(icmp_last_type, 'NULL'),"
		     " COALESCE(icmp_last_code, 'NULL'), icmp_orphan, updates FROM flow_details ORDER BY first_us",
		     "tcp|1000000|0|NULL|NULL|0|0\n"
		     "tcp|2000000|2|3|4|0|0\n"
		     "icmp|3000000|0|NULL|NULL|1|0\n"
		     "udp|4000000|2|11|0|0|1\n");
}

/* A version-3 database (as issue 7 left it; nat_make_version_3_db)
 * upgrades: its flow stays, with no ICMP errors and no orphan mark, and
 * it takes flows that have them. */
static void test_icmp_upgrade_from_version_3(void **state)
{
	fixture *fx = *state;
	nat_make_version_3_db(fx->path);
	open_store(fx);
	char want[16];
	snprintf(want, sizeof want, "%d\n", ea_store_schema_version());
	assert_query(fx->st, "PRAGMA user_version", want);
	assert_query(fx->st,
		     "SELECT id, verdict, icmp_errors, COALESCE(icmp_last_type, 'NULL'),"
		     " COALESCE(icmp_last_code, 'NULL'), icmp_orphan FROM flow_details",
		     "1|documented|0|NULL|NULL|0\n");
	assert_query(fx->st, "SELECT run_id, transport, verdict FROM flow_verdicts", "1|udp|documented\n");
	int64_t run = begin_run(fx);
	ea_flow_record f;
	make_flow(&f, 17, 3478, 7);
	f.icmp_errors = 1;
	f.icmp_last_type = 3;
	f.icmp_last_code = 3;
	add_flow(fx, run, &f, EA_VERDICT_UNEXPECTED, NULL, 0);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_query(fx->st, "SELECT id, icmp_errors, icmp_last_type, icmp_last_code FROM flows ORDER BY id",
		     "1|0|NULL|NULL\n2|1|3|3\n");
	close_store(fx);
}

#define DAY_US 86400000000ull
/* 2026-01-01T00:00:00Z: day 20454 since the epoch. */
#define T0_US (20454ull * DAY_US)

/* Per row: flows, port-only, bytes, first and last seen over the stored
 * flows and the rolled-up days together — what the report shows. */
static const char usage_sql[] =
	"SELECT rule_id, SUM(n), SUM(po), SUM(b), MIN(fu), MAX(lu) FROM"
	" (SELECT r.rule_id, COUNT(*) AS n, SUM(f.verdict = 'documented-port-only') AS po,"
	"  SUM(f.bytes_out + f.bytes_in) AS b, MIN(f.first_us) AS fu, MAX(f.last_us) AS lu"
	"  FROM flows f JOIN flow_rules fr ON fr.flow_id = f.id"
	"  JOIN rules r ON r.run_id = fr.run_id AND r.ord = fr.ord"
	"  WHERE f.verdict IN ('documented', 'documented-port-only') GROUP BY r.rule_id"
	"  UNION ALL SELECT rule_id, SUM(flows), SUM(port_only), SUM(bytes), MIN(first_us), MAX(last_us)"
	"  FROM rollup_rules GROUP BY rule_id)"
	" GROUP BY rule_id ORDER BY rule_id";
static const char verdicts_sql[] =
	"SELECT verdict, SUM(n), SUM(b) FROM"
	" (SELECT verdict, COUNT(*) AS n, SUM(bytes_out + bytes_in) AS b FROM flows GROUP BY verdict"
	"  UNION ALL SELECT verdict, SUM(flows), SUM(bytes) FROM rollup_groups GROUP BY verdict)"
	" GROUP BY verdict ORDER BY verdict";

/* Flows over 40 days: every day ext-01 (documented, three clients),
 * every third day ext-02 (port-only), an unexpected flow per day; int-01
 * only on day 2 (a row used long ago must stay used). */
static void fill_forty_days(fixture *fx, int64_t run)
{
	static const uint16_t r0[] = {0}, r1[] = {1}, r2[] = {2};
	ea_flow_record f;
	for (unsigned d = 0; d < 40; d++) {
		uint64_t t = T0_US + d * DAY_US + 3600000000ull;
		for (unsigned k = 0; k < 6; k++) {
			make_flow(&f, 6, 443, t + k * 60000000ull);
			v4(&f.init_addr, 198, 51, 100, (uint8_t)(1 + k % 3));
			f.bytes[0] = 1000 + d * 10 + k;
			add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
		}
		if (d % 3 == 0) {
			make_flow(&f, 17, 50000 + (uint16_t)d, t);
			add_flow(fx, run, &f, EA_VERDICT_PORT_ONLY, r1, 1);
		}
		make_flow(&f, 6, 8080, t + 7200000000ull);
		f.handshake = EA_HS_NO_ANSWER;
		f.attempt = true;
		add_flow(fx, run, &f, EA_VERDICT_UNEXPECTED, NULL, 0);
		if (d == 2) {
			make_flow(&f, 6, 5061, t);
			f.iface = EA_IFACE_INTERNAL;
			add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r2, 1);
		}
	}
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
}

static void test_retention_rolls_up_then_deletes(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	fill_forty_days(fx, run);
	char *usage_before = query(fx->st, usage_sql, NULL, 0);
	char *verdicts_before = query(fx->st, verdicts_sql, NULL, 0);
	/* int-01 was used (on day 2 only); ext-03 never. */
	assert_non_null(strstr(usage_before, "int-01|1|"));
	assert_null(strstr(usage_before, "ext-03"));

	/* Now: day 40, noon. Keep 30 days: days 0-9 go (each ended before
	 * day 10's midnight), day 10 onwards stays. */
	uint64_t now = T0_US + 40 * DAY_US + DAY_US / 2;
	ea_retain_result res;
	/* Small batches: several transactions per day. */
	assert_int_equal(ea_store_retain(fx->st, 30, now, 3, &res, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(res.cut_us, T0_US + 10 * DAY_US);
	assert_int_equal(res.days, 10);
	/* 6 ext-01 + 1 unexpected a day, ext-02 on days 0, 3, 6, 9, int-01 on day 2. */
	assert_int_equal(res.flows, 10 * 7 + 4 + 1);
	char cut[32];
	snprintf(cut, sizeof cut, "%llu", (unsigned long long)res.cut_us);
	const char *pc[] = {cut};
	char *left = query(fx->st, "SELECT COUNT(*), MIN(last_us) >= CAST(?1 AS INTEGER) FROM flows", pc, 1);
	assert_string_equal(left, "220|1\n"); /* days 10-39: 30 × 7, and ext-02 on days 12, 15 … 39 */
	free(left);
	assert_query(fx->st, "SELECT COUNT(*) FROM flow_rules WHERE flow_id NOT IN (SELECT id FROM flows)", "0\n");
	assert_query(fx->st, "SELECT COUNT(DISTINCT day), MIN(day), MAX(day) FROM rollup_groups",
		     "10|20454|20463\n");
	assert_query(fx->st, "SELECT day, flows, initiators, responders, port_only FROM rollup_rules"
			     " WHERE rule_id = 'ext-01' AND day = 20455",
		     "20455|6|3|1|0\n");
	assert_query(fx->st, "SELECT flows, no_answer FROM rollup_groups WHERE verdict = 'unexpected' AND day = 20454",
		     "1|1\n");
	/* The initiators as a set: distinct over any span of days stays exact. */
	assert_query(fx->st, "SELECT rule_id, COUNT(*) FROM rollup_peers GROUP BY rule_id ORDER BY rule_id",
		     "ext-01|3\next-02|1\nint-01|1\n");

	/* Rule usage and verdict totals are what they were. */
	char *usage_after = query(fx->st, usage_sql, NULL, 0);
	char *verdicts_after = query(fx->st, verdicts_sql, NULL, 0);
	assert_string_equal(usage_after, usage_before);
	assert_string_equal(verdicts_after, verdicts_before);
	char *rollups = query(fx->st, "SELECT * FROM rollup_rules ORDER BY run_id, day, rule_id", NULL, 0);
	char *groups = query(fx->st, "SELECT * FROM rollup_groups ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9", NULL, 0);

	/* Again: nothing to do, nothing changes. */
	assert_int_equal(ea_store_retain(fx->st, 30, now, 0, &res, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(res.flows, 0);
	assert_int_equal(res.days, 0);
	char *rollups2 = query(fx->st, "SELECT * FROM rollup_rules ORDER BY run_id, day, rule_id", NULL, 0);
	char *groups2 = query(fx->st, "SELECT * FROM rollup_groups ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9", NULL, 0);
	assert_string_equal(rollups2, rollups);
	assert_string_equal(groups2, groups);
	char *usage_again = query(fx->st, usage_sql, NULL, 0);
	assert_string_equal(usage_again, usage_before);

	/* A flow of a day already rolled up, stored later (a late capture
	 * read into the same run), is added once, on its own. */
	static const uint16_t r0[] = {0};
	ea_flow_record f;
	make_flow(&f, 6, 443, T0_US + 4 * DAY_US);
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_retain(fx->st, 30, now, 0, &res, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(res.flows, 1);
	assert_query(fx->st, "SELECT flows FROM rollup_rules WHERE rule_id = 'ext-01' AND day = 20458", "7\n");

	assert_query(fx->st, "PRAGMA integrity_check", "ok\n");
	assert_query(fx->st, "PRAGMA foreign_key_check", "");
	assert_int_equal(ea_store_retain(fx->st, 0, now, 0, &res, fx->err, sizeof fx->err), EA_ERR_USAGE);
	free(usage_before);
	free(verdicts_before);
	free(usage_after);
	free(verdicts_after);
	free(rollups);
	free(groups);
	free(rollups2);
	free(groups2);
	free(usage_again);
}

/* Retention stopped half way through a day (here by a trigger that
 * refuses deletes once 40 flows are left of the old days, standing in
 * for a crash or a full disk) keeps what it committed; run again, it
 * deletes the rest without counting the day twice. */
static void test_retention_stopped_then_resumed(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	fill_forty_days(fx, run);
	char *usage_before = query(fx->st, usage_sql, NULL, 0);
	char *verdicts_before = query(fx->st, verdicts_sql, NULL, 0);
	close_store(fx);
	char trig[256];
	snprintf(trig, sizeof trig,
		 "CREATE TRIGGER stop_half BEFORE DELETE ON flows"
		 " WHEN (SELECT COUNT(*) FROM flows WHERE last_us < %llu) <= 40"
		 " BEGIN SELECT RAISE(ABORT, 'stopped'); END",
		 (unsigned long long)(T0_US + 10 * DAY_US));
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	exec_raw(db, trig);
	sqlite3_close(db);

	open_store(fx);
	uint64_t now = T0_US + 40 * DAY_US + DAY_US / 2;
	ea_retain_result res;
	assert_int_not_equal(ea_store_retain(fx->st, 30, now, 4, &res, fx->err, sizeof fx->err), EA_OK);
	assert_non_null(strstr(fx->err, "stopped"));
	close_store(fx);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	exec_raw(db, "DROP TRIGGER stop_half");
	sqlite3_close(db);

	open_store(fx);
	char cut[32];
	snprintf(cut, sizeof cut, "%llu", (unsigned long long)(T0_US + 10 * DAY_US));
	const char *pc[] = {cut};
	char *mid = query(fx->st, "SELECT COUNT(*) > 0 FROM flows WHERE last_us < CAST(?1 AS INTEGER)", pc, 1);
	assert_string_equal(mid, "1\n"); /* some of the old days' flows were left */
	free(mid);
	assert_int_equal(ea_store_retain(fx->st, 30, now, 4, &res, fx->err, sizeof fx->err), EA_OK);
	assert_true(res.flows > 0 && res.flows <= 40);
	char *usage_after = query(fx->st, usage_sql, NULL, 0);
	char *verdicts_after = query(fx->st, verdicts_sql, NULL, 0);
	assert_string_equal(usage_after, usage_before);
	assert_string_equal(verdicts_after, verdicts_before);
	assert_query(fx->st, "SELECT COUNT(*) FROM flows", "220\n");
	assert_query(fx->st, "PRAGMA integrity_check", "ok\n");
	free(usage_before);
	free(verdicts_before);
	free(usage_after);
	free(verdicts_after);
}

static void test_refuses_newer_schema(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	close_store(fx);
	int newer = ea_store_schema_version() + 1;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", newer);
	exec_raw(db, sql);
	sqlite3_close(db);

	assert_int_equal(ea_store_open(fx->path, &fx->st, fx->err, sizeof fx->err), EA_ERR_DB);
	assert_null(fx->st);
	char want[256];
	snprintf(want, sizeof want, "%s: database schema version %d is newer than this program (%d)",
		 fx->path, newer, newer - 1);
	assert_string_equal(fx->err, want);
}

static void test_refuses_foreign_database(void **state)
{
	fixture *fx = *state;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	exec_raw(db, "CREATE TABLE contacts (name TEXT)");
	sqlite3_close(db);
	assert_int_equal(ea_store_open(fx->path, &fx->st, fx->err, sizeof fx->err), EA_ERR_DB);
	assert_non_null(strstr(fx->err, "not an edgeaudit one"));
	/* Left untouched. */
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM sqlite_master"), 1);
	assert_int_equal(count_raw(fx->path, "PRAGMA user_version"), 0);

	/* A schema version with someone else's application id, likewise. */
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	exec_raw(db, "PRAGMA user_version = 1");
	sqlite3_close(db);
	assert_int_equal(ea_store_open(fx->path, &fx->st, fx->err, sizeof fx->err), EA_ERR_DB);
	assert_non_null(strstr(fx->err, "not an edgeaudit one"));
}

static void test_refuses_non_database(void **state)
{
	fixture *fx = *state;
	char path[128];
	snprintf(path, sizeof path, "%s/not-a-db.txt", fx->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fprintf(f, "line %d of a plain text file, not a database\n", i);
	fclose(f);
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);

	assert_int_equal(ea_store_open(path, &fx->st, fx->err, sizeof fx->err), EA_ERR_DB);
	assert_null(fx->st);
	char want[200];
	snprintf(want, sizeof want, "%s: not a SQLite database", path);
	assert_string_equal(fx->err, want);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_size, after.st_size);

	/* A directory cannot be a database either. */
	assert_int_equal(ea_store_open(fx->dir, &fx->st, fx->err, sizeof fx->err), EA_ERR_DB);
	assert_non_null(strstr(fx->err, fx->dir));
}

static void test_locked_database(void **state)
{
	fixture *fx = *state;
	/* A rollback-journal database held exclusively: not even readable. */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	exec_raw(db, "CREATE TABLE t (x)");
	exec_raw(db, "BEGIN EXCLUSIVE");
	exec_raw(db, "INSERT INTO t VALUES (1)");
	assert_int_equal(ea_store_open(fx->path, &fx->st, fx->err, sizeof fx->err), EA_ERR_DB);
	assert_null(fx->st);
	assert_non_null(strstr(fx->err, "locked by another process"));
	exec_raw(db, "ROLLBACK");
	sqlite3_close(db);
}

static void test_locked_for_writing(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	int64_t run = begin_run(fx);
	ea_flow_record f;
	make_flow(&f, 6, 443, 1);
	const uint16_t r0[] = {0};
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);

	/* Another writer holds the WAL write lock. */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	exec_raw(db, "BEGIN IMMEDIATE");
	ea_match_result mr = {.verdict = EA_VERDICT_DOCUMENTED, .rules = {0}, .n_rules = 1};
	assert_int_equal(ea_store_add_flow(fx->st, run, &f, &mr, &fx->m, fx->err, sizeof fx->err),
			 EA_ERR_DB);
	assert_non_null(strstr(fx->err, "locked by another process"));
	/* Reading still works in WAL while the other writer holds on. */
	assert_query(fx->st, "SELECT COUNT(*) FROM flows", "1\n");
	exec_raw(db, "ROLLBACK");
	sqlite3_close(db);

	/* Once it is gone, writing resumes. */
	add_flow(fx, run, &f, EA_VERDICT_DOCUMENTED, r0, 1);
	close_store(fx);
	assert_int_equal(count_raw(fx->path, "SELECT COUNT(*) FROM flows"), 2);
}

/* ---- the query interface ----------------------------------------------- */

static int stop_after_one(void *ctx, int ncols, const char *const *cols)
{
	(*(int *)ctx)++;
	return 1;
}

static void test_query_interface(void **state)
{
	fixture *fx = *state;
	open_store(fx);
	/* Parameters are bound, never spliced: a quote is just a character. */
	const char *p[] = {"it's", NULL};
	char *got = query(fx->st, "SELECT ?, ? IS NULL, length(?1)", p, 2);
	assert_string_equal(got, "it's|1|4\n");
	free(got);

	int calls = 0;
	assert_int_equal(ea_store_query(fx->st, "SELECT 1 UNION ALL SELECT 2", NULL, 0,
					stop_after_one, &calls, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(calls, 1);

	assert_int_equal(ea_store_query(fx->st, "SELECT 1; SELECT 2", NULL, 0, NULL, NULL,
					fx->err, sizeof fx->err), EA_ERR_INTERNAL);
	assert_int_equal(ea_store_query(fx->st, "SELECT ?", NULL, 0, NULL, NULL,
					fx->err, sizeof fx->err), EA_ERR_INTERNAL);
	assert_int_equal(ea_store_query(fx->st, "SELECT nope FROM nowhere", NULL, 0, NULL, NULL,
					fx->err, sizeof fx->err), EA_ERR_DB);
	assert_non_null(strstr(fx->err, "nowhere"));
	/* A trailing semicolon is still one statement. */
	assert_int_equal(ea_store_query(fx->st, "SELECT 1;  \n", NULL, 0, NULL, NULL,
					fx->err, sizeof fx->err), EA_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_and_rules_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_round_trip_and_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view_derived_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_name_verbatim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_matrix_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches_commit_every_batch_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_keeps_committed_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_flow_checks_match_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_times_across_the_whole_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interface_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_leaves_rollback_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_version_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_version_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_uid_rewrites_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_flow_moves_to_new_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_foreign_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_non_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_for_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_interface, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_holds_only_its_own_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_version_3_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capture_stats_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_version_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_fields_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_upgrade_from_version_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_reads_older_schema_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_rolls_up_then_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_stopped_then_resumed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_upgrade_from_version_3, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
