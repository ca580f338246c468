/* test_findings.c — which flows are findings, their RFC 5424 lines
 * (hostile server names escaped), and the per-group rate limit with its
 * counts, on a memory stream with injected clocks. */
#include "testutil.h"
#include "dataload.h"

#include "report/findings.h"
#include "util/ea_limits.h"

#define MATRIX_PATH EA_TOPDIR "/signatures/lync2013-edge.matrix"
#define T0 (1795971974ull * 1000000ull) /* 2026-11-29T17:06:14Z */

typedef struct {
	char *buf;
	size_t len;
	FILE *f;
	uint64_t mono;
	ea_findings *fs;
	ea_matrix m;
} fixture;

static uint64_t wall(void *arg)
{
	(void)arg;
	return T0;
}

static uint64_t mono(void *arg)
{
	return ((fixture *)arg)->mono;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	char err[4096];
	assert_int_equal(ea_test_load_path(EA_DATA_MATRIX, MATRIX_PATH, &fx->m, NULL, err, sizeof err), EA_OK);
	fx->f = open_memstream(&fx->buf, &fx->len);
	ea_findings_options opt = {.facility = 16, .burst = 3, .overall_burst = 12, .interval_us = 60000000,
				   .stream = fx->f,
				   .hostname = "edge1", .wall_clock_us = wall, .clock_us = mono,
				   .clock_arg = fx};
	assert_int_equal(ea_syslog_target_parse("stderr", &opt.target, err, sizeof err), EA_OK);
	assert_int_equal(ea_findings_open(&opt, &fx->fs, err, sizeof err), EA_OK);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	ea_findings_close(fx->fs);
	fclose(fx->f);
	free(fx->buf);
	ea_matrix_free(&fx->m);
	free(fx);
	return 0;
}

static const char *text(fixture *fx)
{
	fflush(fx->f);
	return fx->buf ? fx->buf : "";
}

static unsigned count(const char *s, const char *needle)
{
	unsigned n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static ea_flow_record flow(uint16_t resp_port, const char *server_name)
{
	ea_flow_record r;
	memset(&r, 0, sizeof r);
	r.iface = EA_IFACE_EXTERNAL;
	r.transport = 6;
	const uint8_t a[4] = {203, 0, 113, 5}, b[4] = {198, 51, 100, 10};
	ea_addr_from_v4(&r.init_addr, a);
	ea_addr_from_v4(&r.resp_addr, b);
	r.init_port = 51234;
	r.resp_port = resp_port;
	r.first_us = T0 - 2500000;
	r.last_us = T0 - 1;
	r.pkts[0] = 3;
	r.pkts[1] = 2;
	r.bytes[0] = 180;
	r.bytes[1] = 120;
	r.handshake = EA_HS_ESTABLISHED;
	r.end_reason = EA_END_FIN;
	snprintf(r.app_proto, sizeof r.app_proto, "HTTP");
	snprintf(r.master_proto, sizeof r.master_proto, "HTTP");
	r.proto_source = EA_PROTO_SRC_DPI;
	snprintf(r.server_name, sizeof r.server_name, "%s", server_name);
	snprintf(r.community_id, sizeof r.community_id, "1:abcdefghijklmnopqrstuvwxyz0=");
	return r;
}

static void test_finding_kinds(void **state)
{
	(void)state;
	ea_flow_record r = flow(8080, "");
	ea_match_result mr = {.verdict = EA_VERDICT_DOCUMENTED, .n_rules = 1};
	assert_int_equal(ea_finding_of(&r, &mr), EA_FINDING_NONE);
	r.attempt = true;
	assert_int_equal(ea_finding_of(&r, &mr), EA_FINDING_ATTEMPT);
	mr.verdict = EA_VERDICT_PORT_ONLY;
	assert_int_equal(ea_finding_of(&r, &mr), EA_FINDING_ATTEMPT);
	r.attempt = false;
	assert_int_equal(ea_finding_of(&r, &mr), EA_FINDING_NONE);
	mr.verdict = EA_VERDICT_UNEXPECTED;
	assert_int_equal(ea_finding_of(&r, &mr), EA_FINDING_UNEXPECTED);
	mr.verdict = EA_VERDICT_MISMATCH;
	assert_int_equal(ea_finding_of(&r, &mr), EA_FINDING_MISMATCH);
	mr.verdict = EA_VERDICT_WRONG_DIRECTION;
	assert_int_equal(ea_finding_of(&r, &mr), EA_FINDING_WRONG_DIRECTION);
}

/* The line after the PROCID (the test's pid). */
static const char *after_procid(const char *line)
{
	const char *p = line;
	for (int spaces = 0; *p && spaces < 5; p++)
		spaces += *p == ' ';
	return p;
}

/* A finding the site's policy made says which decision: reason="…". */
static void test_line_with_policy_reason(void **state)
{
	fixture *fx = *state;
	ea_flow_record r = flow(8080, "");
	ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED, .reason = EA_REASON_NOT_APPLICABLE,
			      .decided_by = EA_DECIDED_PROFILE,
			      .closed_by = 1u << EA_FEATURE_XMPP_FEDERATION};
	char msg[4096], key[256];
	ea_findings_message(&r, &mr, &fx->m, EA_FINDING_UNEXPECTED, msg, sizeof msg, key, sizeof key);
	assert_non_null(strstr(msg, " reason=\"not-applicable: xmpp-federation disabled\" decided_by=profile"));
	mr.reason = EA_REASON_NONE;
	mr.closed_by = 0;
	ea_findings_message(&r, &mr, &fx->m, EA_FINDING_UNEXPECTED, msg, sizeof msg, key, sizeof key);
	assert_null(strstr(msg, " reason="));
}

static void test_line_with_hostile_server_name(void **state)
{
	fixture *fx = *state;
	/* A quote, a backslash, a newline, an escape and invalid UTF-8. */
	ea_flow_record r = flow(8080, "evil\" x=1\\\n\x1b[2J\xff.example");
	ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED};
	assert_int_equal(ea_findings_flow(fx->fs, &r, &mr, &fx->m), EA_FINDING_UNEXPECTED);
	const char *out = text(fx);
	assert_int_equal(strncmp(out, "<132>1 2026-11-29T17:06:14.000000Z edge1 edgeaudit ", 51), 0);
	/* One line: the newline from the wire is \x0a, the quote \x22, so
	 * the value cannot end early nor a field be forged. */
	assert_int_equal(count(out, "\n"), 1);
	assert_string_equal(after_procid(out),
			    "unexpected - finding=unexpected verdict=unexpected iface=external transport=tcp "
			    "source.ip=203.0.113.5 source.port=51234 destination.ip=198.51.100.10 "
			    "destination.port=8080 app_protocol=HTTP proto_source=dpi rule.id=- conn_state=SF "
			    "end_reason=fin source.bytes=180 destination.bytes=120 source.packets=3 "
			    "destination.packets=2 event.start=2026-11-29T17:06:11.500000Z "
			    "event.end=2026-11-29T17:06:13.999999Z "
			    "network.community_id=1:abcdefghijklmnopqrstuvwxyz0= "
			    "server_name=\"evil\\x22 x=1\\\\\\x0a\\x1b[2J\\xff.example\"\n");
	ea_findings_stats st = ea_findings_get_stats(fx->fs);
	assert_int_equal(st.findings, 1);
	assert_int_equal(st.logged, 1);
}

/* A flow's later records (active-timeout updates, its end after them)
 * repeat no finding: it is logged once per flow, on its first record. */
static void test_finding_once_per_flow(void **state)
{
	fixture *fx = *state;
	ea_flow_record r = flow(8080, "");
	ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED};
	r.end_reason = EA_END_ACTIVE;
	assert_int_equal(ea_findings_flow(fx->fs, &r, &mr, &fx->m), EA_FINDING_UNEXPECTED);
	r.reported_before = true;
	assert_int_equal(ea_findings_flow(fx->fs, &r, &mr, &fx->m), EA_FINDING_UNEXPECTED);
	r.end_reason = EA_END_FIN;
	assert_int_equal(ea_findings_flow(fx->fs, &r, &mr, &fx->m), EA_FINDING_UNEXPECTED);
	assert_int_equal(count(text(fx), "\n"), 1);
	ea_findings_stats st = ea_findings_get_stats(fx->fs);
	assert_int_equal(st.findings, 1);
	assert_int_equal(st.logged, 1);
}

static void test_documented_is_silent_attempt_is_a_notice(void **state)
{
	fixture *fx = *state;
	int row = ea_matrix_rule_index(&fx->m, fx->m.rules[0].id);
	assert_true(row >= 0);
	ea_flow_record r = flow(443, "");
	ea_match_result mr = {.verdict = EA_VERDICT_DOCUMENTED, .n_rules = 1, .rules = {(uint16_t)row}};
	assert_int_equal(ea_findings_flow(fx->fs, &r, &mr, &fx->m), EA_FINDING_NONE);
	assert_string_equal(text(fx), "");
	r.attempt = true;
	r.handshake = EA_HS_NO_ANSWER;
	r.pkts[1] = r.bytes[1] = 0;
	assert_int_equal(ea_findings_flow(fx->fs, &r, &mr, &fx->m), EA_FINDING_ATTEMPT);
	const char *out = text(fx);
	/* local0.notice = 16*8+5 */
	assert_int_equal(strncmp(out, "<133>1 ", 7), 0);
	assert_int_equal(strncmp(after_procid(out), "attempt - finding=attempt verdict=documented ", 45), 0);
	char want[64];
	snprintf(want, sizeof want, " rule.id=%s conn_state=S0 ", fx->m.rules[row].id);
	assert_non_null(strstr(out, want));
	/* Its group is the row. */
	char msg[EA_LOG_LINE_MAX], key[EA_LOG_KEY_MAX + 1];
	ea_findings_message(&r, &mr, &fx->m, EA_FINDING_ATTEMPT, msg, sizeof msg, key, sizeof key);
	snprintf(want, sizeof want, "attempt %s", fx->m.rules[row].id);
	assert_string_equal(key, want);
}

/* A NAT finding (rules/natcheck.h) is a warning line of its own, beside
 * the verdict's line or alone when the verdict is no finding; once per
 * flow like any finding. */
static void test_nat_finding_is_a_line_of_its_own(void **state)
{
	fixture *fx = *state;
	ea_flow_record r = flow(3478, "");
	r.transport = 17;
	ea_match_result mr = {.verdict = EA_VERDICT_DOCUMENTED, .nat = EA_NAT_SOURCE};
	assert_int_equal(ea_findings_flow(fx->fs, &r, &mr, &fx->m), EA_FINDING_NONE);
	const char *out = text(fx);
	/* local0.warning = 16*8+4 */
	assert_int_equal(strncmp(out, "<132>1 ", 7), 0);
	assert_int_equal(strncmp(after_procid(out), "nat-source - finding=nat-source verdict=documented ", 51), 0);
	assert_non_null(strstr(out, " nat_finding=nat-source\n"));
	assert_int_equal(count(out, "\n"), 1);
	char msg[EA_LOG_LINE_MAX], key[EA_LOG_KEY_MAX + 1];
	ea_findings_nat_message(&r, &mr, &fx->m, msg, sizeof msg, key, sizeof key);
	assert_string_equal(key, "nat-source 203.0.113.5 -> 198.51.100.10");

	mr.verdict = EA_VERDICT_UNEXPECTED;
	mr.nat = EA_NAT_PRIVATE_SOURCE;
	assert_int_equal(ea_findings_flow(fx->fs, &r, &mr, &fx->m), EA_FINDING_UNEXPECTED);
	out = text(fx);
	assert_int_equal(count(out, "\n"), 3);
	assert_int_equal(count(out, " private-source - finding=private-source verdict=unexpected "), 1);
	assert_int_equal(count(out, " unexpected - finding=unexpected verdict=unexpected "), 1);
	assert_int_equal(count(out, " nat_finding=private-source\n"), 2);
	r.reported_before = true;
	assert_int_equal(ea_findings_flow(fx->fs, &r, &mr, &fx->m), EA_FINDING_UNEXPECTED);
	assert_int_equal(count(text(fx), "\n"), 3);
	assert_int_equal(ea_findings_get_stats(fx->fs).findings, 3);
}

static void test_rate_limit_per_group_with_counts(void **state)
{
	fixture *fx = *state;
	ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED};
	/* burst 3 a minute: 8 findings of one group, 2 of another. */
	for (int i = 0; i < 8; i++) {
		ea_flow_record r = flow(8080, "");
		r.init_port = (uint16_t)(40000 + i);
		ea_findings_flow(fx->fs, &r, &mr, &fx->m);
	}
	for (int i = 0; i < 2; i++) {
		ea_flow_record r = flow(23, "");
		ea_findings_flow(fx->fs, &r, &mr, &fx->m);
	}
	const char *out = text(fx);
	assert_int_equal(count(out, "destination.port=8080 "), 3);
	assert_int_equal(count(out, "destination.port=23 "), 2);
	assert_int_equal(count(out, " suppressed - "), 0);
	ea_findings_stats st = ea_findings_get_stats(fx->fs);
	assert_int_equal(st.findings, 10);
	assert_int_equal(st.logged, 5);
	assert_int_equal(st.suppressed, 5);
	/* A minute later the group speaks again: first its count, then the
	 * finding. */
	fx->mono += 61000000;
	ea_flow_record r = flow(8080, "");
	ea_findings_flow(fx->fs, &r, &mr, &fx->m);
	out = text(fx);
	assert_int_equal(count(out, "\n"), 7);
	const char *sup = strstr(out, " suppressed - ");
	assert_non_null(sup);
	assert_int_equal(strncmp(sup, " suppressed - finding_group=\"unexpected external tcp/8080 HTTP\" "
				      "suppressed=5 interval_s=60\n", 82), 0);
	assert_true(strstr(out, "source.port=51234 destination.ip=198.51.100.10 destination.port=8080") > sup);
	/* At the end, a group's pending count is written too. */
	for (int i = 0; i < 4; i++)
		ea_findings_flow(fx->fs, &r, &mr, &fx->m);
	ea_findings_flush(fx->fs);
	out = text(fx);
	assert_non_null(strstr(out, "finding_group=\"unexpected external tcp/8080 HTTP\" suppressed=2 "));
	st = ea_findings_get_stats(fx->fs);
	assert_int_equal(st.findings, 15);
	assert_int_equal(st.logged, 8);
	assert_int_equal(st.suppressed, 7);
	assert_int_equal(st.unsent, 0);
}

/* A scan: every port its own group of one finding; the overall limit
 * (12 here) bounds the lines and counts the rest under "all groups". */
static void test_overall_limit_bounds_a_scan(void **state)
{
	fixture *fx = *state;
	ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED};
	for (int port = 1; port <= 1000; port++) {
		ea_flow_record r = flow((uint16_t)port, "");
		ea_findings_flow(fx->fs, &r, &mr, &fx->m);
	}
	ea_findings_stats st = ea_findings_get_stats(fx->fs);
	assert_int_equal(st.findings, 1000);
	assert_int_equal(st.logged, 12);
	assert_int_equal(st.suppressed, 988);
	assert_int_equal(count(text(fx), "\n"), 12);
	ea_findings_flush(fx->fs);
	const char *out = text(fx);
	assert_int_equal(count(out, "\n"), 13);
	assert_non_null(strstr(out, " suppressed - finding_group=\"all groups\" suppressed=988 interval_s=60\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finding_kinds),
		cmocka_unit_test_setup_teardown(test_line_with_hostile_server_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_with_policy_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_documented_is_silent_attempt_is_a_notice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finding_once_per_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_finding_is_a_line_of_its_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_per_group_with_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overall_limit_bounds_a_scan, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
