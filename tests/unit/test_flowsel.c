/* test_flowsel.c — the evidence selection (store/flowsel.h): --group
 * parsing, and which flows and inputs --flow, --verdict, --group, --run
 * and --since/--until select from a database of known flows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/flowsel.h"
#include "store/store.h"

typedef struct {
	char dir[64], path[96];
	ea_store *st;
	char err[512];
} fixture;

static void exec_raw(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* Two runs: run 1 offline with two captures, run 2 live. Flows (id):
 * 1 ext tcp 8080 unexpected HTTP, t 10..20 s; 2 ext tcp 8080 unexpected
 * Unknown, 30..40 s; 3 int udp 3478 documented STUN, 50..60 s; 4 ext tcp
 * 443 mismatch, run 2. */
static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/ea_flowsel_XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/a.db", fx->dir);
	assert_int_equal(ea_store_open(fx->path, &fx->st, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_close(fx->st, fx->err, sizeof fx->err), EA_OK);
	fx->st = NULL;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	exec_raw(db, "INSERT INTO runs (id, started_at, status, tool_version, live, filter) VALUES"
		     " (1, 1, 'complete', 't', 0, 'tcp or udp'), (2, 1, 'running', 't', 1, NULL)");
	exec_raw(db, "INSERT INTO inputs (id, run_id, iface, path, file_name, sha256, size, packets, bytes,"
		     " linktype, truncated) VALUES"
		     " (1, 1, 'external', 'cap/ext.pcap', 'ext.pcap', printf('%064d', 1), 100, 1, 1, 1, 0),"
		     " (2, 1, 'internal', 'cap/int.pcap', 'int.pcap', printf('%064d', 2), 200, 1, 1, 1, 0)");
	const char *cols = "INSERT INTO flows (id, run_id, iface, transport, initiator_ip, initiator_port,"
			   " responder_ip, responder_port, first_us, last_us, pkts_out, pkts_in, bytes_out, bytes_in,"
			   " direction_source, handshake, end_reason, attempt, master_proto, app_proto, category,"
			   " confidence, proto_source, proto_unexpected_on_port, risks, server_name, community_id,"
			   " verdict) VALUES ";
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "%s (1, 1, 'external', 6, '198.51.100.9', 40000, '10.0.1.10', 8080, 10000000, 20000000, 3, 2,"
		 " 1, 1, 'syn', 'established', 'fin', 0, 'HTTP', '', '', '', 'dpi', 0, '', '', '', 'unexpected'),"
		 " (2, 1, 'external', 6, '2001:db8::9', 40001, '2001:db8::10', 8080, 30000000, 40000000, 1, 0,"
		 " 1, 0, 'syn', 'no-answer', 'idle', 1, '', '', '', '', 'none', 0, '', '', '', 'unexpected'),"
		 " (3, 1, 'internal', 17, '10.0.2.5', 50000, '10.0.2.10', 3478, 50000000, 60000000, 4, 4,"
		 " 1, 1, 'port', '', 'idle', 0, 'STUN', '', '', '', 'dpi', 0, '', '', '', 'documented'),"
		 " (4, 2, 'external', 6, '198.51.100.9', 40002, '10.0.1.10', 443, 70000000, 80000000, 1, 1,"
		 " 1, 1, 'syn', 'established', 'fin', 0, 'SSH', '', '', '', 'dpi', 0, '', '', '', 'mismatch')",
		 cols);
	exec_raw(db, sql);
	sqlite3_close(db);
	assert_int_equal(ea_store_open_readonly(fx->path, &fx->st, fx->err, sizeof fx->err), EA_OK);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	ea_store_close(fx->st, NULL, 0);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fx->dir);
	free(fx);
	return 0;
}

/* The ids selected, as "1,3". */
static const char *ids_of(fixture *fx, const ea_flowsel_query *q, char *buf, size_t len)
{
	ea_flowsel_result r;
	assert_int_equal(ea_flowsel_select(fx->st, q, &r, fx->err, sizeof fx->err), EA_OK);
	buf[0] = '\0';
	for (size_t i = 0; i < r.n_flows; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%lld", i ? "," : "", (long long)r.flows[i].id);
	if (r.missing_id)
		snprintf(buf + strlen(buf), len - strlen(buf), " missing %lld", (long long)r.missing_id);
	ea_flowsel_free(&r);
	return buf;
}

static void test_group_parse(void **state)
{
	(void)state;
	ea_flowsel_group g;
	char err[256];
	assert_int_equal(ea_flowsel_parse_group("external/tcp/8080", &g, err, sizeof err), EA_OK);
	assert_true(g.set);
	assert_int_equal(g.iface, EA_IFACE_EXTERNAL);
	assert_string_equal(g.transport, "tcp");
	assert_int_equal(g.port, 8080);
	assert_string_equal(g.protocol, "");
	assert_int_equal(ea_flowsel_parse_group("internal/udp/3478/STUN", &g, err, sizeof err), EA_OK);
	assert_int_equal(g.iface, EA_IFACE_INTERNAL);
	assert_string_equal(g.protocol, "STUN");
	assert_int_equal(ea_flowsel_parse_group("external/47/0", &g, err, sizeof err), EA_OK);
	const char *bad[] = {"external/tcp", "dmz/tcp/80", "external/TCP/80", "external/tcp/65536",
			     "external/tcp/-1", "external/tcp/80/", "external/tcp/80/a/b", "", "external//80",
			     "external/tcp/8o"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(ea_flowsel_parse_group(bad[i], &g, err, sizeof err), EA_ERR_USAGE);
		assert_non_null(strstr(err, "--group"));
	}
}

static void test_select_by_verdict_group_run_time(void **state)
{
	fixture *fx = *state;
	char buf[128];
	ea_flowsel_query q = {.verdict = "unexpected"};
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "1,2");
	q = (ea_flowsel_query){.verdict = "mismatch"};
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "4");
	assert_int_equal(ea_flowsel_parse_group("external/tcp/8080", &q.group, fx->err, sizeof fx->err), EA_OK);
	q.verdict = NULL;
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "1,2");
	/* The protocol is the report's app_protocol: '' becomes Unknown. */
	assert_int_equal(ea_flowsel_parse_group("external/tcp/8080/Unknown", &q.group, fx->err, sizeof fx->err),
			 EA_OK);
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "2");
	assert_int_equal(ea_flowsel_parse_group("internal/udp/3478", &q.group, fx->err, sizeof fx->err), EA_OK);
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "3");
	/* Periods: flows that end at or after since, start before until. */
	q = (ea_flowsel_query){.verdict = "unexpected", .since_us = 20000000};
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "1,2");
	q.since_us = 20000001;
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "2");
	q = (ea_flowsel_query){.verdict = "unexpected", .until_us = 30000000};
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "1");
	q = (ea_flowsel_query){.verdict = "mismatch", .run_id = 1};
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "");
	/* Nothing chosen is a usage error. */
	q = (ea_flowsel_query){.run_id = 1};
	ea_flowsel_result r;
	assert_int_equal(ea_flowsel_select(fx->st, &q, &r, fx->err, sizeof fx->err), EA_ERR_USAGE);
}

static void test_select_by_id(void **state)
{
	fixture *fx = *state;
	char buf[128];
	int64_t ids[] = {3, 1, 3};
	ea_flowsel_query q = {.ids = ids, .n_ids = 3};
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "3,1");
	int64_t ids2[] = {1, 9};
	q = (ea_flowsel_query){.ids = ids2, .n_ids = 2};
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), "1 missing 9");
	/* An id that fails another condition is missing too. */
	int64_t ids3[] = {3};
	q = (ea_flowsel_query){.ids = ids3, .n_ids = 1, .verdict = "unexpected"};
	assert_string_equal(ids_of(fx, &q, buf, sizeof buf), " missing 3");
}

static void test_flow_fields_and_inputs(void **state)
{
	fixture *fx = *state;
	int64_t ids[] = {2, 4};
	ea_flowsel_query q = {.ids = ids, .n_ids = 2};
	ea_flowsel_result r;
	assert_int_equal(ea_flowsel_select(fx->st, &q, &r, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(r.n_flows, 2);
	const ea_flowsel_flow *f = &r.flows[0];
	char a[EA_ADDR_STRLEN];
	assert_string_equal(ea_addr_str(&f->initiator, a), "2001:db8::9");
	assert_int_equal(f->initiator_port, 40001);
	assert_int_equal(f->responder_port, 8080);
	assert_int_equal(f->transport, 6);
	assert_int_equal(f->first_us, 30000000);
	assert_int_equal(f->last_us, 40000000);
	assert_int_equal(f->packets, 1);
	assert_false(f->live);
	assert_string_equal(f->filter, "tcp or udp");
	assert_true(r.flows[1].live);
	assert_null(r.flows[1].filter);
	/* Run 1's inputs once (run 2 has none), in their order. */
	assert_int_equal(r.n_inputs, 2);
	assert_string_equal(r.inputs[0].path, "cap/ext.pcap");
	assert_int_equal(r.inputs[0].iface, EA_IFACE_EXTERNAL);
	assert_int_equal(r.inputs[1].size, 200);
	assert_int_equal(strlen(r.inputs[1].sha256), 64);
	ea_flowsel_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_parse),
		cmocka_unit_test_setup_teardown(test_select_by_verdict_group_run_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_by_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_fields_and_inputs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
