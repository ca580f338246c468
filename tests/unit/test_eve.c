/* test_eve.c — the EVE/ECS JSON of a flow record: every field where a SIEM
 * looks for it, hostile server names (quotes, backslashes, control
 * characters, invalid UTF-8) that parse back with jansson and round-trip,
 * and the file: appended one line per flow, reopened after a rotation. */
#include "testutil.h"
#include "dataload.h"

#include <jansson.h>
#include <unistd.h>

#include "report/eve.h"
#include "rules/matrix.h"
#include "util/escape.h"

#define MATRIX_PATH EA_TOPDIR "/signatures/lync2013-edge.matrix"
#define T0 (1795971974ull * 1000000ull) /* 2026-11-29T17:06:14Z */

static ea_flow_record flow(const char *master, const char *app, const char *server_name)
{
	ea_flow_record r;
	memset(&r, 0, sizeof r);
	r.uid = 4242;
	r.iface = EA_IFACE_EXTERNAL;
	r.transport = 6;
	const uint8_t a[4] = {203, 0, 113, 5}, b[4] = {198, 51, 100, 10};
	ea_addr_from_v4(&r.init_addr, a);
	ea_addr_from_v4(&r.resp_addr, b);
	r.init_port = 51234;
	r.resp_port = 443;
	r.first_us = T0 - 2500000;
	r.last_us = T0 + 42;
	r.pkts[0] = 12;
	r.pkts[1] = 10;
	r.bytes[0] = 1800;
	r.bytes[1] = 9120;
	r.handshake = EA_HS_ESTABLISHED;
	r.end_reason = EA_END_FIN;
	r.dir_source = EA_DIR_SYN;
	snprintf(r.master_proto, sizeof r.master_proto, "%s", master);
	snprintf(r.app_proto, sizeof r.app_proto, "%s", app);
	r.proto_source = EA_PROTO_SRC_DPI;
	snprintf(r.risks, sizeof r.risks, "Known Proto on Non Std Port,TLS Self-signed Certificate");
	snprintf(r.server_name, sizeof r.server_name, "%s", server_name);
	snprintf(r.community_id, sizeof r.community_id, "1:abcdefghijklmnopqrstuvwxyz0=");
	return r;
}

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (!j)
		fail_msg("not JSON (%s at %d): %s", err.text, err.position, text);
	return j;
}

static const char *str_at(json_t *root, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(root, a);
	if (v && b)
		v = json_object_get(v, b);
	if (v && c)
		v = json_object_get(v, c);
	return v && json_is_string(v) ? json_string_value(v) : NULL;
}

static json_int_t int_at(json_t *root, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(root, a), b);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void test_fields_where_siems_look(void **state)
{
	(void)state;
	ea_matrix m;
	char err[4096];
	assert_int_equal(ea_test_load_path(EA_DATA_MATRIX, MATRIX_PATH, &m, NULL, err, sizeof err), EA_OK);
	assert_true(m.n_rules >= 2);
	ea_flow_record r = flow("TLS", "Skype_Teams", "sip.example.com");
	ea_match_result mr = {.verdict = EA_VERDICT_DOCUMENTED, .n_rules = 2, .rules = {0, 1}};
	char *text = ea_eve_json(&r, &mr, &m, "edge1");
	assert_non_null(text);
	assert_null(strchr(text, '\n'));
	json_t *j = parse(text);
	assert_string_equal(str_at(j, "timestamp", NULL, NULL), "2026-11-29T17:06:14.000042Z");
	assert_string_equal(str_at(j, "event_type", NULL, NULL), "flow");
	assert_int_equal(json_integer_value(json_object_get(j, "flow_id")), 4242);
	assert_string_equal(str_at(j, "event", "kind", NULL), "event");
	assert_string_equal(str_at(j, "event", "action", NULL), "documented");
	assert_string_equal(str_at(j, "event", "start", NULL), "2026-11-29T17:06:11.500000Z");
	assert_int_equal(int_at(j, "event", "duration"), 2500042000ll);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(j, "event"), "type"), 1)),
			    "end");
	assert_string_equal(str_at(j, "source", "ip", NULL), "203.0.113.5");
	assert_int_equal(int_at(j, "source", "port"), 51234);
	assert_int_equal(int_at(j, "source", "bytes"), 1800);
	assert_int_equal(int_at(j, "source", "packets"), 12);
	assert_string_equal(str_at(j, "destination", "ip", NULL), "198.51.100.10");
	assert_int_equal(int_at(j, "destination", "port"), 443);
	assert_int_equal(int_at(j, "destination", "bytes"), 9120);
	assert_int_equal(int_at(j, "destination", "packets"), 10);
	assert_string_equal(str_at(j, "destination", "domain", NULL), "sip.example.com");
	assert_string_equal(str_at(j, "network", "transport", NULL), "tcp");
	assert_string_equal(str_at(j, "network", "iana_number", NULL), "6");
	assert_string_equal(str_at(j, "network", "community_id", NULL), "1:abcdefghijklmnopqrstuvwxyz0=");
	assert_string_equal(str_at(j, "network", "protocol", NULL), "tls");
	assert_int_equal(int_at(j, "network", "bytes"), 10920);
	assert_string_equal(str_at(j, "observer", "hostname", NULL), "edge1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(
				    j, "observer"), "ingress"), "interface"), "name")),
			    "external");
	json_t *ids = json_object_get(json_object_get(j, "rule"), "id");
	assert_int_equal(json_array_size(ids), 2);
	assert_string_equal(json_string_value(json_array_get(ids, 0)), m.rules[0].id);
	assert_string_equal(json_string_value(json_array_get(ids, 1)), m.rules[1].id);
	assert_string_equal(str_at(j, "tls", "client", "server_name"), "sip.example.com");
	assert_string_equal(str_at(j, "app_proto", NULL, NULL), "tls");
	assert_string_equal(str_at(j, "flow", "reason", NULL), "fin");
	assert_string_equal(str_at(j, "flow", "state", NULL), "SF");
	assert_int_equal(int_at(j, "flow", "bytes_toclient"), 9120);
	assert_string_equal(str_at(j, "edgeaudit", "verdict", NULL), "documented");
	assert_string_equal(str_at(j, "edgeaudit", "app_protocol", NULL), "Skype_Teams");
	assert_string_equal(str_at(j, "edgeaudit", "handshake", NULL), "established");
	assert_null(json_object_get(json_object_get(j, "edgeaudit"), "finding"));
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "edgeaudit"), "risks")), 2);
	assert_null(json_object_get(json_object_get(j, "edgeaudit"), "icmp_errors"));
	assert_null(json_object_get(json_object_get(j, "edgeaudit"), "icmp_orphan"));
	json_decref(j);
	free(text);

	/* ICMP errors counted on the flow they quote (a path-MTU message on
	 * a documented TLS flow): the count and the last type/code. */
	r.icmp_errors = 2;
	r.icmp_last_type = 3;
	r.icmp_last_code = 4;
	text = ea_eve_json(&r, &mr, &m, "edge1");
	j = parse(text);
	assert_int_equal(int_at(j, "edgeaudit", "icmp_errors"), 2);
	assert_int_equal(int_at(j, "edgeaudit", "icmp_last_type"), 3);
	assert_int_equal(int_at(j, "edgeaudit", "icmp_last_code"), 4);
	assert_string_equal(str_at(j, "event", "kind", NULL), "event");
	json_decref(j);
	free(text);

	/* A finding is an alert; ICMP has no ports but its type. */
	r = flow("ICMP", "ICMP", "");
	r.transport = 1;
	r.init_port = 8;
	r.resp_port = 0;
	r.handshake = EA_HS_NOT_TCP;
	r.pkts[1] = 0;
	ea_match_result none = {.verdict = EA_VERDICT_UNEXPECTED};
	text = ea_eve_json(&r, &none, &m, NULL);
	j = parse(text);
	assert_string_equal(str_at(j, "event", "kind", NULL), "alert");
	assert_string_equal(str_at(j, "edgeaudit", "finding", NULL), "unexpected");
	assert_null(json_object_get(json_object_get(j, "source"), "port"));
	assert_null(json_object_get(j, "rule"));
	assert_null(json_object_get(json_object_get(j, "observer"), "hostname"));
	assert_int_equal(json_integer_value(json_object_get(j, "icmp_type")), 8);
	assert_string_equal(str_at(j, "flow", "state", NULL), "S0");
	assert_null(str_at(j, "edgeaudit", "nat_finding", NULL));
	assert_null(json_object_get(json_object_get(j, "edgeaudit"), "reason"));
	assert_null(json_object_get(json_object_get(j, "edgeaudit"), "decided_by"));
	json_decref(j);
	free(text);

	/* A NAT finding (rules/natcheck.h) makes a documented flow an alert. */
	ea_match_result nat = {.verdict = EA_VERDICT_DOCUMENTED, .nat = EA_NAT_SOURCE};
	text = ea_eve_json(&r, &nat, &m, NULL);
	j = parse(text);
	assert_string_equal(str_at(j, "event", "kind", NULL), "alert");
	assert_null(str_at(j, "edgeaudit", "finding", NULL));
	assert_string_equal(str_at(j, "edgeaudit", "nat_finding", NULL), "nat-source");
	json_decref(j);
	free(text);

	/* An orphan ICMP error: a port unreachable whose quoted flow was not open. */
	r.init_port = 3;
	r.resp_port = 3;
	r.icmp_orphan = true;
	text = ea_eve_json(&r, &none, &m, NULL);
	j = parse(text);
	assert_true(json_is_true(json_object_get(json_object_get(j, "edgeaudit"), "icmp_orphan")));
	assert_null(json_object_get(json_object_get(j, "edgeaudit"), "icmp_errors"));
	json_decref(j);
	free(text);

	/* The site's policy: a denied flow is an alert with the deny's id and
	 * the reason, and says a local rule decided it. */
	r = flow("TLS", "TLS", "");
	ea_match_result denied = {.verdict = EA_VERDICT_UNEXPECTED, .n_rules = 1, .rules = {2},
				  .reason = EA_REASON_DENIED, .decided_by = EA_DECIDED_LOCAL,
				  .denied_ids = "local-03"};
	text = ea_eve_json(&r, &denied, &m, NULL);
	j = parse(text);
	assert_string_equal(str_at(j, "event", "kind", NULL), "alert");
	assert_string_equal(str_at(j, "edgeaudit", "finding", NULL), "unexpected");
	assert_string_equal(str_at(j, "edgeaudit", "reason", NULL), "denied: local-03");
	assert_string_equal(str_at(j, "edgeaudit", "decided_by", NULL), "local");
	json_decref(j);
	free(text);
	ea_matrix_free(&m);
}

static void test_hostile_server_names_round_trip(void **state)
{
	(void)state;
	/* Valid UTF-8, however hostile, comes back byte for byte. */
	const char *exact[] = {
		"a\"b",                       /* a quote */
		"a\\b\\\\",                   /* backslashes */
		"\x01\x1b[2Jx\x7f\n\r\t",     /* control characters, DEL */
		"\"},\"event\":{\"kind\":\"event\"},\"x\":\"", /* an injection try */
		"caf\xc3\xa9.\xe4\xb8\xad\xe6\x96\x87",        /* UTF-8 */
		"\xe2\x80\xa8line\xe2\x80\xa9", /* U+2028/2029 */
	};
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
		ea_flow_record r = flow("TLS", "TLS", exact[i]);
		ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED};
		char *text = ea_eve_json(&r, &mr, NULL, NULL);
		assert_non_null(text);
		assert_null(strchr(text, '\n'));
		json_t *j = parse(text);
		assert_string_equal(str_at(j, "tls", "client", "server_name"), exact[i]);
		assert_string_equal(str_at(j, "edgeaudit", "server_name", NULL), exact[i]);
		assert_null(json_object_get(json_object_get(j, "edgeaudit"), "server_name_escaped"));
		/* The injected keys stayed inside the string. */
		assert_string_equal(str_at(j, "event", "kind", NULL), "alert");
		json_decref(j);
		free(text);
	}
	/* Not UTF-8: the wire form, flagged, still valid JSON. */
	const char *bad[] = {"\xff\xfe", "a\xc3", "\xc0\xaf", "\xed\xa0\x80surrogate", "x\"\\\xff"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ea_flow_record r = flow("HTTP", "HTTP", bad[i]);
		ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED};
		char *text = ea_eve_json(&r, &mr, NULL, NULL);
		json_t *j = parse(text);
		char wire[1100];
		ea_escape(bad[i], wire, sizeof wire);
		assert_string_equal(str_at(j, "edgeaudit", "server_name", NULL), wire);
		assert_string_equal(str_at(j, "destination", "domain", NULL), wire);
		assert_null(json_object_get(j, "tls"));
		assert_true(json_is_true(json_object_get(json_object_get(j, "edgeaudit"), "server_name_escaped")));
		json_decref(j);
		free(text);
	}
	/* A DNS query name is the question's, not the destination's. */
	ea_flow_record r = flow("DNS", "DNS", "evil.example");
	r.transport = 17;
	ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED};
	char *text = ea_eve_json(&r, &mr, NULL, NULL);
	json_t *j = parse(text);
	assert_string_equal(str_at(j, "dns", "question", "name"), "evil.example");
	assert_null(str_at(j, "destination", "domain", NULL));
	json_decref(j);
	free(text);
}

static unsigned lines_of(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	unsigned n = 0;
	char buf[8192];
	while (fgets(buf, sizeof buf, f)) {
		json_decref(parse(buf));
		n++;
	}
	fclose(f);
	return n;
}

static void test_file_appends_and_reopens(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_eve.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64], rotated[64];
	snprintf(path, sizeof path, "%s/eve.json", dir);
	snprintf(rotated, sizeof rotated, "%s/eve.json.1", dir);
	char err[512];
	ea_eve *e = NULL;
	assert_int_equal(ea_eve_open(path, "edge1", &e, err, sizeof err), EA_OK);
	ea_flow_record r = flow("TLS", "TLS", "a\"b\xff");
	ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED};
	assert_true(ea_eve_write(e, &r, &mr, NULL));
	assert_true(ea_eve_write(e, &r, &mr, NULL));
	/* Every line is there as soon as it is written (no buffer). */
	assert_int_equal(lines_of(path), 2);
	/* logrotate moves the file; the writer goes on in it until reopened. */
	assert_int_equal(rename(path, rotated), 0);
	assert_true(ea_eve_write(e, &r, &mr, NULL));
	assert_int_equal(ea_eve_reopen(e, err, sizeof err), EA_OK);
	assert_true(ea_eve_write(e, &r, &mr, NULL));
	assert_int_equal(lines_of(rotated), 3);
	assert_int_equal(lines_of(path), 1);
	assert_int_equal(ea_eve_get_stats(e).lines, 4);
	assert_int_equal(ea_eve_close(e, err, sizeof err), EA_OK);
	/* Opened again, it appends. */
	assert_int_equal(ea_eve_open(path, NULL, &e, err, sizeof err), EA_OK);
	assert_true(ea_eve_write(e, &r, &mr, NULL));
	assert_int_equal(ea_eve_close(e, err, sizeof err), EA_OK);
	assert_int_equal(lines_of(path), 2);
	/* A directory that does not exist: EA_ERR_IO naming the path. */
	char missing[80];
	snprintf(missing, sizeof missing, "%s/no/eve.json", dir);
	assert_int_equal(ea_eve_open(missing, NULL, &e, err, sizeof err), EA_ERR_IO);
	assert_non_null(strstr(err, "no/eve.json"));
	unlink(path);
	unlink(rotated);
	rmdir(dir);
}

static void test_write_failure_is_counted(void **state)
{
	(void)state;
	/* /dev/full: every write fails with ENOSPC, as a full disk does. */
	char err[512];
	ea_eve *e = NULL;
	if (ea_eve_open("/dev/full", NULL, &e, err, sizeof err) != EA_OK)
		skip();
	ea_flow_record r = flow("TLS", "TLS", "x");
	ea_match_result mr = {.verdict = EA_VERDICT_DOCUMENTED};
	assert_false(ea_eve_write(e, &r, &mr, NULL));
	assert_false(ea_eve_write(e, &r, &mr, NULL));
	assert_int_equal(ea_eve_get_stats(e).failed, 2);
	assert_int_equal(ea_eve_get_stats(e).lines, 0);
	assert_non_null(strstr(ea_eve_last_error(e), "No space left"));
	ea_eve_close(e, err, sizeof err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_where_siems_look),
		cmocka_unit_test(test_hostile_server_names_round_trip),
		cmocka_unit_test(test_file_appends_and_reopens),
		cmocka_unit_test(test_write_failure_is_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
