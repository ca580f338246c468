/* test_report.c — the text report, over a database built through the
 * store: every verdict, a row nobody used, unanswered attempts, a hostile
 * server name, and byte-for-byte determinism. */
#include "testutil.h"

#include <unistd.h>

#include "decode/icmp.h"
#include "report/report.h"
#include "store/store.h"

typedef struct {
	char dir[64];
	char path[128];
	ea_matrix m;
	ea_store *st;
	int64_t run1, run2;
	/* What was put in, per verdict, to check the totals against. */
	uint64_t flows[EA_VERDICT_COUNT], packets[EA_VERDICT_COUNT], bytes[EA_VERDICT_COUNT];
	char err[512];
} fixture;

static const char evil_name[] = "evil\x1b[31m\nFAKE LINE";

/* ---- a small matrix by hand: four rows, one never used ----------------- */

static void add_rule(ea_matrix *m, const char *id, ea_iface iface, uint8_t transport,
		     uint16_t port, int src, int dst)
{
	ea_rule *r = &m->rules[m->n_rules];
	memset(r, 0, sizeof *r);
	snprintf(r->id, sizeof r->id, "%s", id);
	snprintf(r->table, sizeof r->table, "%s", iface == EA_IFACE_EXTERNAL ? "external" : "internal");
	r->order = m->n_rules;
	r->iface = iface;
	r->transport = transport;
	r->port_lo = r->port_hi = port;
	if (src >= 0)
		r->src_roles[r->n_src++] = (uint8_t)src;
	if (dst >= 0)
		r->dst_roles[r->n_dst++] = (uint8_t)dst;
	r->text = strdup(id);
	snprintf(r->protocols[r->n_protocols++], EA_NAME_MAX, "TLS");
	m->n_rules++;
}

static void build_matrix(ea_matrix *m)
{
	memset(m, 0, sizeof *m);
	snprintf(m->roles[0].name, EA_NAME_MAX, "access_edge");
	snprintf(m->roles[1].name, EA_NAME_MAX, "director_pool");
	m->n_roles = 2;
	m->rules = calloc(4, sizeof *m->rules);
	assert_non_null(m->rules);
	add_rule(m, "ext-01", EA_IFACE_EXTERNAL, 6, 443, -1, 0);
	add_rule(m, "ext-02", EA_IFACE_EXTERNAL, 6, 5061, -1, 0);
	add_rule(m, "int-01", EA_IFACE_INTERNAL, 6, 5061, 1, 0);
	add_rule(m, "ext-03", EA_IFACE_EXTERNAL, 17, 3478, -1, 0);
	/* Document cells: Chinese is printed as written; a C1 control
	 * (0x9b is CSI to some terminals) is escaped even from our files. */
	free(m->rules[3].text);
	m->rules[3].text = strdup("存取/STUN/UDP/3478");
	free(m->rules[1].text);
	m->rules[1].text = strdup("bad\xc2\x9b" "31m cell");
}

static void free_matrix(ea_matrix *m)
{
	for (unsigned i = 0; i < m->n_rules; i++)
		free(m->rules[i].text);
	free(m->rules);
}

/* ---- flows ------------------------------------------------------------- */

static void make_flow(ea_flow_record *f, ea_iface iface, const char *init, const char *resp,
		      uint16_t port, uint64_t first_us, uint64_t bytes_out, const char *proto)
{
	memset(f, 0, sizeof *f);
	ea_prefix p;
	char err[64];
	f->iface = iface;
	f->transport = 6;
	assert_true(ea_prefix_parse(init, &p, err, sizeof err));
	f->init_addr = p.addr;
	assert_true(ea_prefix_parse(resp, &p, err, sizeof err));
	f->resp_addr = p.addr;
	f->init_port = 40000;
	f->resp_port = port;
	f->first_us = first_us;
	f->last_us = first_us + 1000000;
	f->pkts[0] = 5;
	f->pkts[1] = 4;
	f->bytes[0] = bytes_out;
	f->bytes[1] = 100;
	f->handshake = EA_HS_ESTABLISHED;
	f->end_reason = EA_END_FIN;
	snprintf(f->master_proto, sizeof f->master_proto, "%s", proto);
	f->proto_source = EA_PROTO_SRC_DPI;
}

static void add(fixture *fx, int64_t run, const ea_flow_record *f, ea_verdict v, int rule)
{
	ea_match_result mr;
	memset(&mr, 0, sizeof mr);
	mr.verdict = v;
	if (rule >= 0) {
		mr.rules[0] = (uint16_t)rule;
		mr.n_rules = 1;
	}
	ea_status e = ea_store_add_flow(fx->st, run, f, &mr, &fx->m, fx->err, sizeof fx->err);
	if (e != EA_OK)
		fail_msg("add_flow: %s", fx->err);
	if (run == fx->run1) {
		fx->flows[v]++;
		fx->packets[v] += f->pkts[0] + f->pkts[1];
		fx->bytes[v] += f->bytes[0] + f->bytes[1];
	}
}

static int64_t begin_kind(fixture *fx, bool live)
{
	ea_run_info info = {
		.live = live,
		.tool_version = "0.1.0",
		.ndpi_version = "4.2.0",
		.matrix_path = "/x/lync.matrix",
		.matrix_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		.site_path = "/x/site.ini",
		.site_sha256 = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
		.command_line = "edgeaudit read --external /tmp/somewhere/captures/edge-ext.pcap",
		.started_at = 1234567890,
	};
	int64_t id = 0;
	if (ea_store_begin_run(fx->st, &info, &fx->m, &id, fx->err, sizeof fx->err) != EA_OK)
		fail_msg("begin_run: %s", fx->err);
	return id;
}

static int64_t begin(fixture *fx)
{
	return begin_kind(fx, false);
}

static void finish(fixture *fx, int64_t run, uint64_t truncated_tcp)
{
	ea_run_totals t = {.packets = 1000, .decoded = 990, .flows = 12, .evicted = 0,
			   .finished_at = 1234567999, .status = "complete"};
	t.anomalies[EA_ANOMALY_TRUNCATED_TCP] = truncated_tcp;
	if (ea_store_finish_run(fx->st, run, &t, fx->err, sizeof fx->err) != EA_OK)
		fail_msg("finish_run: %s", fx->err);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/ea_report_XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof fx->path, "%s/audit.db", fx->dir);
	build_matrix(&fx->m);
	if (ea_store_open(fx->path, &fx->st, fx->err, sizeof fx->err) != EA_OK)
		fail_msg("open: %s", fx->err);

	/* Run 1: every verdict. */
	fx->run1 = begin(fx);
	ea_input_info in = {
		.iface = EA_IFACE_EXTERNAL,
		.path = "/tmp/somewhere/captures/edge-ext.pcap",
		.sha256 = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
		.size = 1 << 20, .packets = 1000, .bytes = 500000,
		.first_us = 1700000000000001, .last_us = 1700000100000000, .linktype = 1,
	};
	assert_int_equal(ea_store_add_input(fx->st, fx->run1, &in, fx->err, sizeof fx->err), EA_OK);
	ea_input_info bad = in;
	bad.path = "/tmp/somewhere/captures/bad.pcap";
	bad.sha256 = "9999990123456789abcdef0123456789abcdef0123456789abcdef0123456789";
	bad.packets = 0;
	bad.error = "/tmp/somewhere/captures/bad.pcap: record 3: snaplen 0";
	assert_int_equal(ea_store_add_input(fx->st, fx->run1, &bad, fx->err, sizeof fx->err), EA_OK);

	ea_flow_record f;
	/* ext-01: three documented flows from two initiators. */
	make_flow(&f, EA_IFACE_EXTERNAL, "198.51.100.7", "203.0.113.10", 443, 1700000000000001, 1000, "TLS");
	add(fx, fx->run1, &f, EA_VERDICT_DOCUMENTED, 0);
	make_flow(&f, EA_IFACE_EXTERNAL, "198.51.100.8", "203.0.113.10", 443, 1700000005000000, 2000, "TLS");
	add(fx, fx->run1, &f, EA_VERDICT_DOCUMENTED, 0);
	make_flow(&f, EA_IFACE_EXTERNAL, "198.51.100.7", "203.0.113.10", 443, 1700000050000000, 3000, "TLS");
	add(fx, fx->run1, &f, EA_VERDICT_DOCUMENTED, 0);
	/* ext-01 checked, but HTTP: a mismatch, not a use of the row. */
	make_flow(&f, EA_IFACE_EXTERNAL, "198.51.100.9", "203.0.113.10", 443, 1700000060000000, 700, "HTTP");
	add(fx, fx->run1, &f, EA_VERDICT_MISMATCH, 0);
	/* ext-02: two attempts nobody answered (port-only: nothing confirmed). */
	make_flow(&f, EA_IFACE_EXTERNAL, "198.51.100.20", "203.0.113.10", 5061, 1700000070000000, 180, "Unknown");
	f.handshake = EA_HS_NO_ANSWER;
	f.attempt = true;
	f.pkts[1] = f.bytes[1] = 0;
	f.proto_source = EA_PROTO_SRC_PORT;
	add(fx, fx->run1, &f, EA_VERDICT_PORT_ONLY, 1);
	f.handshake = EA_HS_REJECTED;
	f.first_us += 1000;
	f.last_us += 1000;
	add(fx, fx->run1, &f, EA_VERDICT_PORT_ONLY, 1);
	/* int-01 used once. */
	make_flow(&f, EA_IFACE_INTERNAL, "10.1.0.5", "10.0.1.10", 5061, 1700000080000000, 4000, "TLS");
	add(fx, fx->run1, &f, EA_VERDICT_DOCUMENTED, 2);
	/* Wrong direction: the Edge's port 443 opened from the other side. */
	make_flow(&f, EA_IFACE_EXTERNAL, "203.0.113.10", "198.51.100.7", 443, 1700000090000000, 500, "TLS");
	add(fx, fx->run1, &f, EA_VERDICT_WRONG_DIRECTION, 0);
	/* Unexpected: tcp/8080, two talkers; one sends a hostile name. */
	make_flow(&f, EA_IFACE_EXTERNAL, "192.0.2.50", "203.0.113.10", 8080, 1700000095000000, 10, "HTTP");
	snprintf(f.server_name, sizeof f.server_name, "%s", evil_name);
	add(fx, fx->run1, &f, EA_VERDICT_UNEXPECTED, -1);
	f.server_name[0] = '\0';
	f.first_us += 5;
	add(fx, fx->run1, &f, EA_VERDICT_UNEXPECTED, -1);
	make_flow(&f, EA_IFACE_EXTERNAL, "192.0.2.51", "203.0.113.10", 8080, 1700000096000000, 20, "HTTP");
	add(fx, fx->run1, &f, EA_VERDICT_UNEXPECTED, -1);
	/* A second unexpected group, smaller: listed after the first. */
	make_flow(&f, EA_IFACE_EXTERNAL, "192.0.2.60", "203.0.113.10", 22, 1700000097000000, 30, "SSH");
	snprintf(f.server_name, sizeof f.server_name, "b.example");
	add(fx, fx->run1, &f, EA_VERDICT_UNEXPECTED, -1);
	snprintf(f.server_name, sizeof f.server_name, "a.example");
	f.first_us += 7;
	add(fx, fx->run1, &f, EA_VERDICT_UNEXPECTED, -1);
	/* A scan's SYN to 3389, refused: only the port names the protocol. */
	make_flow(&f, EA_IFACE_EXTERNAL, "192.0.2.70", "203.0.113.10", 3389, 1700000098000000, 60, "RDP");
	f.proto_source = EA_PROTO_SRC_PORT;
	f.handshake = EA_HS_REJECTED;
	f.attempt = true;
	add(fx, fx->run1, &f, EA_VERDICT_UNEXPECTED, -1);
	finish(fx, fx->run1, 4);

	/* Run 2: one documented flow only. */
	fx->run2 = begin(fx);
	make_flow(&f, EA_IFACE_EXTERNAL, "198.51.100.7", "203.0.113.10", 443, 1700001000000000, 999, "TLS");
	add(fx, fx->run2, &f, EA_VERDICT_DOCUMENTED, 0);
	finish(fx, fx->run2, 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	ea_store_close(fx->st, NULL, 0);
	free_matrix(&fx->m);
	static const char *const sfx[] = {"", "-wal", "-shm"};
	char p[160];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", fx->path, sfx[i]);
		unlink(p);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

static char *report_text(fixture *fx, int64_t run, unsigned top_n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	ea_report_options opt = {.run_id = run, .top_n = top_n};
	ea_status e = ea_report_text(fx->st, &opt, out, fx->err, sizeof fx->err);
	fclose(out);
	if (e != EA_OK)
		fail_msg("report: %s", fx->err);
	return buf;
}

/* The text of the section whose heading starts with title, up to the
 * blank line that ends it. */
static char *section(const char *text, const char *title)
{
	char key[128];
	snprintf(key, sizeof key, "\n%s", title);
	const char *start = strstr(text, key);
	if (!start)
		fail_msg("no section '%s' in:\n%s", title, text);
	start++;
	const char *end = strstr(start, "\n\n");
	return strndup(start, end ? (size_t)(end - start + 1) : strlen(start));
}

/* The line of sec that starts (after indentation) with word + space. */
static const char *line_of(const char *sec, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = sec; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *q = p + strspn(p, " ");
		if (strncmp(q, word, n) == 0 && q[n] == ' ')
			return q;
	}
	return NULL;
}

static void check_verdict(const char *sec, const char *name, uint64_t flows, uint64_t packets,
			  uint64_t bytes)
{
	const char *l = line_of(sec, name);
	if (!l)
		fail_msg("no line for verdict %s in:\n%s", name, sec);
	unsigned long long f, p, b;
	assert_int_equal(sscanf(l + strlen(name), "%llu %llu %llu", &f, &p, &b), 3);
	assert_int_equal(f, flows);
	assert_int_equal(p, packets);
	assert_int_equal(b, bytes);
}

static unsigned count_lines_with(const char *sec, const char *needle)
{
	unsigned n = 0;
	for (const char *p = sec; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* ---- tests ------------------------------------------------------------- */

static void test_totals_per_verdict(void **state)
{
	fixture *fx = *state;
	char *text = report_text(fx, fx->run1, 3);
	char *sec = section(text, "Verdicts");
	uint64_t tf = 0, tp = 0, tb = 0;
	for (int v = 0; v < EA_VERDICT_COUNT; v++) {
		assert_true(fx->flows[v] > 0); /* the fixture covers every verdict */
		check_verdict(sec, ea_verdict_name((ea_verdict)v), fx->flows[v], fx->packets[v],
			      fx->bytes[v]);
		tf += fx->flows[v];
		tp += fx->packets[v];
		tb += fx->bytes[v];
	}
	check_verdict(sec, "total", tf, tp, tb);
	assert_non_null(strstr(sec, "attempts (TCP without a completed handshake): 3 "
				    "(no answer 1, rejected 2)"));
	free(sec);

	/* Run 2 alone: one documented flow, the other verdicts still
	 * listed, at zero. */
	free(text);
	text = report_text(fx, fx->run2, 3);
	sec = section(text, "Verdicts");
	check_verdict(sec, "documented", 1, 9, 1099);
	for (int v = 1; v < EA_VERDICT_COUNT; v++)
		check_verdict(sec, ea_verdict_name((ea_verdict)v), 0, 0, 0);
	free(sec);
	free(text);
}

static void test_documented_rows_and_unused(void **state)
{
	fixture *fx = *state;
	char *text = report_text(fx, fx->run1, 3);
	char *rows = section(text, "Documented rows");
	/* ext-01: the three documented flows; the mismatch does not count. */
	const char *l = line_of(rows, "ext-01");
	assert_non_null(l);
	unsigned long long flows, port_only, bytes, inits;
	char svc[32], first[40], last[40];
	assert_int_equal(sscanf(l, "ext-01 external %31s %llu %llu %llu %llu %39s %39s", svc, &flows,
				&port_only, &bytes, &inits, first, last), 7);
	assert_string_equal(svc, "tcp/443");
	assert_int_equal(flows, 3);
	assert_int_equal(port_only, 0);
	assert_int_equal(bytes, 1000 + 2000 + 3000 + 3 * 100);
	assert_int_equal(inits, 2);
	assert_string_equal(first, "2023-11-14T22:13:20.000001Z");
	assert_string_equal(last, "2023-11-14T22:14:11.000000Z");

	l = line_of(rows, "ext-02");
	assert_non_null(l);
	assert_int_equal(sscanf(l, "ext-02 external %31s %llu %llu", svc, &flows, &port_only), 3);
	assert_int_equal(flows, 2);
	assert_int_equal(port_only, 2);
	/* Document order, whatever the traffic. */
	assert_true(strstr(rows, "ext-01") < strstr(rows, "ext-02"));
	assert_true(strstr(rows, "ext-02") < strstr(rows, "int-01"));
	assert_true(strstr(rows, "int-01") < strstr(rows, "ext-03"));
	l = line_of(rows, "ext-03");
	assert_non_null(l);
	assert_int_equal(sscanf(l, "ext-03 external %31s %llu", svc, &flows), 2);
	assert_string_equal(svc, "udp/3478");
	assert_int_equal(flows, 0);
	free(rows);

	char *unused = section(text, "Rows never used (candidates to close)");
	assert_non_null(line_of(unused, "ext-03"));
	assert_null(line_of(unused, "ext-01"));
	assert_null(line_of(unused, "ext-02"));
	assert_null(line_of(unused, "int-01"));
	free(unused);
	free(text);

	/* In run 2 only ext-01 carried traffic. */
	text = report_text(fx, fx->run2, 3);
	unused = section(text, "Rows never used (candidates to close)");
	assert_null(line_of(unused, "ext-01"));
	assert_non_null(line_of(unused, "ext-02"));
	assert_non_null(line_of(unused, "int-01"));
	assert_non_null(line_of(unused, "ext-03"));
	free(unused);
	free(text);

	/* Across all runs, the latest run's rows, counting both runs. */
	text = report_text(fx, 0, 3);
	assert_non_null(strstr(text, "Scope: live runs and finished runs, each capture counted once (2 of 2 runs)"));
	rows = section(text, "Documented rows");
	char want[64];
	snprintf(want, sizeof want, "rows as loaded by run %lld", (long long)fx->run2);
	assert_non_null(strstr(rows, want));
	l = line_of(rows, "ext-01");
	assert_int_equal(sscanf(l, "ext-01 external %31s %llu", svc, &flows), 2);
	assert_int_equal(flows, 4);
	free(rows);
	free(text);
}

static void test_findings_grouped_with_top_talkers(void **state)
{
	fixture *fx = *state;
	char *text = report_text(fx, fx->run1, 1);
	char *sec = section(text, "Findings: unexpected");
	const char *g8080 = strstr(sec, "external  tcp/8080  HTTP  flows 3  bytes 340\n");
	const char *g22 = strstr(sec, "external  tcp/22  SSH  flows 2  bytes 260\n"
				      "      192.0.2.60 -> 203.0.113.10  2 flows  name: a.example (and others)\n");
	assert_non_null(g8080);
	assert_non_null(g22);
	assert_true(g8080 < g22); /* more flows first */
	/* top_n = 1: only the busiest talker. */
	assert_non_null(strstr(sec, "      192.0.2.50 -> 203.0.113.10  2 flows  name: "));
	assert_null(strstr(sec, "192.0.2.51"));
	assert_int_equal(count_lines_with(sec, " -> "), 3); /* 8080, 22, 3389 */
	free(sec);

	sec = section(text, "Findings: mismatch");
	assert_non_null(strstr(sec, "external  tcp/443  HTTP  flows 1  bytes 800\n"
				    "      198.51.100.9 -> 203.0.113.10  1 flow\n"));
	free(sec);
	sec = section(text, "Findings: wrong-direction");
	assert_non_null(strstr(sec, "external  tcp/443  TLS  flows 1  bytes 600\n"
				    "      203.0.113.10 -> 198.51.100.7  1 flow\n"));
	free(sec);
	free(text);

	/* More talkers when asked, busiest first; none at all with 0, but the
	 * groups stay. */
	text = report_text(fx, fx->run1, 5);
	sec = section(text, "Findings: unexpected");
	const char *a = strstr(sec, "192.0.2.50 -> 203.0.113.10  2 flows");
	const char *b = strstr(sec, "192.0.2.51 -> 203.0.113.10  1 flow\n");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	free(sec);
	free(text);
	text = report_text(fx, fx->run1, 0);
	sec = section(text, "Findings: unexpected");
	assert_int_equal(count_lines_with(sec, " -> "), 0);
	assert_non_null(strstr(sec, "tcp/8080  HTTP  flows 3"));
	free(sec);
	free(text);

	/* Run 2 has no findings. */
	text = report_text(fx, fx->run2, 3);
	sec = section(text, "Findings: unexpected");
	assert_non_null(strstr(sec, "  (none)\n"));
	free(sec);
	free(text);
}

static void test_wire_strings_escaped(void **state)
{
	fixture *fx = *state;
	char *text = report_text(fx, fx->run1, 5);
	assert_null(strchr(text, '\x1b'));
	assert_non_null(strstr(text, "name: evil\\x1b[31m\\x0aFAKE LINE\n"));
	assert_null(strstr(text, "\nFAKE LINE"));
	/* No control character at all but the line ends, C1 included. */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		assert_true(*p == '\n' || *p >= 0x20);
		assert_int_not_equal(*p, 0x7f);
		if (*p == 0xc2)
			assert_false(p[1] >= 0x80 && p[1] <= 0x9f);
	}
	free(text);

	/* The matrix's own cells: Chinese as written, a C1 byte escaped. */
	text = report_text(fx, fx->run2, 5);
	char *unused = section(text, "Rows never used");
	assert_non_null(strstr(unused, "udp/3478        存取/STUN/UDP/3478\n"));
	assert_non_null(strstr(unused, "tcp/5061        bad\\xc2\\x9b31m cell\n"));
	free(unused);
	free(text);
}

static void test_attempts_and_anomalies(void **state)
{
	fixture *fx = *state;
	char *text = report_text(fx, fx->run1, 3);
	char *sec = section(text, "Unanswered attempts on documented rows");
	assert_non_null(strstr(sec, "a port the deployment needs may be blocked"));
	const char *l = line_of(sec, "ext-02");
	assert_non_null(l);
	assert_non_null(strstr(l, "no-answer 1  rejected 1  initiators 1\n"));
	assert_non_null(strstr(sec, "      -> 203.0.113.10:5061  2 attempts\n"));
	assert_null(line_of(sec, "ext-01"));
	free(sec);

	sec = section(text, "Anomalies");
	l = strstr(sec, ea_anomaly_text(EA_ANOMALY_TRUNCATED_TCP));
	assert_non_null(l);
	unsigned long long n = 0;
	assert_int_equal(sscanf(l + strlen(ea_anomaly_text(EA_ANOMALY_TRUNCATED_TCP)), " %llu", &n), 1);
	assert_int_equal(n, 4);
	char key[64];
	snprintf(key, sizeof key, "(%s)", ea_anomaly_key(EA_ANOMALY_TRUNCATED_TCP));
	assert_non_null(strstr(sec, key));
	assert_non_null(strstr(sec, "packets read: 1000, decoded: 990"));
	assert_non_null(strstr(sec, "flows evicted (flow table full): 0"));
	free(sec);
	free(text);

	text = report_text(fx, fx->run2, 3);
	sec = section(text, "Anomalies");
	assert_non_null(strstr(sec, "  (none)\n"));
	free(sec);
	sec = section(text, "Unanswered attempts on documented rows");
	assert_non_null(strstr(sec, "  (none)\n"));
	free(sec);
	free(text);
}

static void test_header_has_no_paths_or_wall_clock(void **state)
{
	fixture *fx = *state;
	char *text = report_text(fx, 0, 3);
	char *runs = section(text, "Runs");
	assert_non_null(strstr(runs, "Run 1: complete"));
	assert_non_null(strstr(runs, "Run 2: complete"));
	assert_non_null(strstr(runs, "lync.matrix  sha256 0123456789ab\n"));
	assert_non_null(strstr(runs, "site.ini  sha256 fedcba987654\n"));
	free(runs);
	char *inputs = section(text, "Inputs");
	assert_non_null(strstr(inputs, "edge-ext.pcap"));
	assert_non_null(strstr(inputs, "abcdef012345"));
	assert_non_null(strstr(inputs, "2023-11-14T22:13:20.000001Z .. 2023-11-14T22:15:00.000000Z"));
	assert_non_null(strstr(inputs, "999999012345  [stopped: bad.pcap: record 3: snaplen 0]\n"));
	free(inputs);
	assert_null(strstr(text, "/tmp/"));
	assert_null(strstr(text, "/x/"));
	assert_null(strstr(text, "1234567890")); /* started_at */
	assert_null(strstr(text, "1234567999")); /* finished_at */
	assert_null(strstr(text, "2009-02-13")); /* either, as a date */
	free(text);
}

static void test_deterministic(void **state)
{
	fixture *fx = *state;
	for (int64_t run = 0; run <= fx->run2; run++) {
		char *a = report_text(fx, run, 3);
		char *b = report_text(fx, run, 3);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
}

static void test_unknown_run_and_empty_database(void **state)
{
	fixture *fx = *state;
	FILE *out = fopen("/dev/null", "w");
	assert_non_null(out);
	ea_report_options opt = {.run_id = fx->run2 + 10, .top_n = 3};
	assert_int_equal(ea_report_text(fx->st, &opt, out, fx->err, sizeof fx->err), EA_ERR_USAGE);
	assert_non_null(strstr(fx->err, "is not in the database"));
	fclose(out);

	char path[160];
	snprintf(path, sizeof path, "%s/empty.db", fx->dir);
	ea_store *empty = NULL;
	assert_int_equal(ea_store_open(path, &empty, fx->err, sizeof fx->err), EA_OK);
	char *buf = NULL;
	size_t len = 0;
	out = open_memstream(&buf, &len);
	opt.run_id = 0;
	assert_int_equal(ea_report_text(empty, &opt, out, fx->err, sizeof fx->err), EA_OK);
	fclose(out);
	assert_non_null(strstr(buf, "No runs recorded"));
	free(buf);
	assert_int_equal(ea_store_close(empty, fx->err, sizeof fx->err), EA_OK);
	static const char *const sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[180];
		snprintf(p, sizeof p, "%s%s", path, sfx[i]);
		unlink(p);
	}
}

/* ---- issue 7: capture loss, retention, filters -------------------------- */

static void add_stats(fixture *fx, int64_t run, ea_iface iface, uint64_t start_s, uint64_t end_s, bool kernel,
		      uint64_t received, uint64_t dropped, uint64_t evicted)
{
	ea_capture_stats cs = {.iface = iface, .start_us = start_s * 1000000, .end_us = end_s * 1000000,
			       .kernel = kernel, .kernel_received = received, .kernel_dropped = dropped,
			       .evicted = evicted, .duplicates = 40};
	if (ea_store_add_capture_stats(fx->st, run, &cs, fx->err, sizeof fx->err) != EA_OK)
		fail_msg("add_capture_stats: %s", fx->err);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
}

/* An audit that missed packets says so first, with the period; one that
 * missed nothing says nothing about it. */
static void test_loss_section_only_when_lost(void **state)
{
	fixture *fx = *state;
	char *text = report_text(fx, 0, 3);
	assert_null(strstr(text, "Capture loss"));
	free(text);
	/* Intervals without loss (duplicates suppressed are not a loss). */
	add_stats(fx, fx->run1, EA_IFACE_EXTERNAL, 1700000000, 1700000060, true, 5000, 0, 0);
	add_stats(fx, fx->run1, EA_IFACE_INTERNAL, 1700000000, 1700000060, false, 0, 0, 0);
	text = report_text(fx, 0, 3);
	assert_null(strstr(text, "Capture loss"));
	free(text);

	/* The kernel lost packets on the external NIC in two intervals;
	 * the internal one evicted flows in one. */
	add_stats(fx, fx->run1, EA_IFACE_EXTERNAL, 1700000060, 1700000120, true, 9000, 12, 0);
	add_stats(fx, fx->run1, EA_IFACE_EXTERNAL, 1700000120, 1700000180, true, 1000, 0, 0);
	add_stats(fx, fx->run1, EA_IFACE_EXTERNAL, 1700000180, 1700000240, true, 4000, 30, 2);
	add_stats(fx, fx->run1, EA_IFACE_INTERNAL, 1700000300, 1700000360, false, 0, 0, 5);
	text = report_text(fx, 0, 3);
	const char *loss = strstr(text, "\nCapture loss: this audit did not see all the traffic\n");
	assert_non_null(loss);
	assert_true(loss < strstr(text, "\nRuns\n")); /* on the first page, before anything */
	char *sec = section(text, "Capture loss");
	assert_non_null(strstr(sec, "  run 1, external interface: between 2023-11-14T22:14:20.000000Z and "
				    "2023-11-14T22:17:20.000000Z: lost 42 of 13000 packets (kernel: capture ring "
				    "full), 2 flows evicted (flow table full: stored in pieces) (2 intervals with loss)\n"));
	assert_non_null(strstr(sec, "  run 1, internal interface: between 2023-11-14T22:18:20.000000Z and "
				    "2023-11-14T22:19:20.000000Z: 5 flows evicted (flow table full: stored in pieces) "
				    "(1 interval with loss)\n"));
	free(sec);
	free(text);
	/* Another run's report does not borrow the loss. */
	text = report_text(fx, fx->run2, 3);
	assert_null(strstr(text, "Capture loss"));
	free(text);
}

/* Retention deletes the flows of old days but the report's rule usage,
 * never-used rows and verdict totals stay as they were; the findings of
 * those days are listed from their daily totals. */
static void test_retention_keeps_rule_usage(void **state)
{
	fixture *fx = *state;
	char *before = report_text(fx, 0, 3);
	ea_retain_result res;
	uint64_t now = (1700001000ull + 40ull * 86400) * 1000000;
	assert_int_equal(ea_store_retain(fx->st, 30, now, 2, &res, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(res.flows, 15); /* every flow of both runs */
	char *after = report_text(fx, 0, 3);
	static const char *const same[] = {"Verdicts", "Documented rows", "Rows never used"};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		char *a = section(before, same[i]), *b = section(after, same[i]);
		assert_string_equal(b, a);
		free(a);
		free(b);
	}
	/* ext-01 is still used, int-01 too; ext-03 still never. */
	char *unused = section(after, "Rows never used");
	assert_null(strstr(unused, "ext-01"));
	assert_non_null(strstr(unused, "ext-03"));
	free(unused);
	char *rolled = section(after, "Findings on days rolled up by retention");
	assert_non_null(strstr(rolled, "unexpected       external  tcp/8080  HTTP  flows 3  bytes "));
	assert_non_null(strstr(rolled, "tcp/3389  RDP (by port, not confirmed)  flows 1"));
	free(rolled);
	/* Before retention there is no such section. */
	assert_null(strstr(before, "rolled up by retention"));
	free(before);
	free(after);
}

static void test_filter_shown_with_its_run(void **state)
{
	fixture *fx = *state;
	ea_run_info info = {.tool_version = "0.1.0", .started_at = 1, .filter = "tcp port 443\x1b[2J"};
	int64_t run = 0;
	assert_int_equal(ea_store_begin_run(fx->st, &info, &fx->m, &run, fx->err, sizeof fx->err), EA_OK);
	char *text = report_text(fx, run, 3);
	assert_non_null(strstr(text, "\n  filter   tcp port 443\\x1b[2J  (only frames matching it were audited)\n"));
	free(text);
	text = report_text(fx, fx->run1, 3);
	assert_null(strstr(text, "  filter "));
	free(text);
}

static void test_fputs_escaped(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	ea_fputs_escaped("a\\b\x01\x1f \x7e\x7f\x80\xff\tz", out);
	fclose(out);
	assert_string_equal(buf, "a\\\\b\\x01\\x1f ~\\x7f\\x80\\xff\\x09z");
	free(buf);
}

/* ICMP flows are named by the initiator's message type (Community ID puts
 * the type in the initiator's port), never "icmp/0" for an inbound ping. */
static void test_icmp_named_by_type(void **state)
{
	fixture *fx = *state;
	int64_t run = begin(fx);
	ea_flow_record f;
	make_flow(&f, EA_IFACE_EXTERNAL, "192.0.2.80", "203.0.113.10", 0, 1700002000000000, 84, "ICMP");
	f.transport = 1;
	f.init_port = 8; /* echo request; the responder's "port" is echo reply, 0 */
	f.handshake = EA_HS_NOT_TCP;
	add(fx, run, &f, EA_VERDICT_UNEXPECTED, -1);
	make_flow(&f, EA_IFACE_EXTERNAL, "203.0.113.10", "192.0.2.81", 1, 1700002001000000, 56, "ICMP");
	f.transport = 1;
	f.init_port = 3; /* destination unreachable, code 1: one-way */
	f.handshake = EA_HS_NOT_TCP;
	add(fx, run, &f, EA_VERDICT_UNEXPECTED, -1);
	make_flow(&f, EA_IFACE_EXTERNAL, "fe80::1", "ff02::1", 133, 1700002002000000, 64, "ICMPV6");
	f.transport = 58;
	f.init_port = 134; /* router advertisement */
	f.handshake = EA_HS_NOT_TCP;
	add(fx, run, &f, EA_VERDICT_UNEXPECTED, -1);
	finish(fx, run, 0);
	char *text = report_text(fx, run, 3);
	char *sec = section(text, "Findings: unexpected");
	assert_non_null(strstr(sec, "external  icmp echo request (type 8)  ICMP  flows 1"));
	assert_non_null(strstr(sec, "external  icmp destination unreachable (type 3, code 1)  ICMP  flows 1"));
	assert_non_null(strstr(sec, "external  icmpv6 router advertisement (type 134)  ICMPV6  flows 1"));
	assert_null(strstr(sec, "icmp/"));
	free(sec);
	free(text);
}

static void test_icmp_describe(void **state)
{
	char buf[96];
	assert_string_equal(ea_icmp_describe(1, 0, 8, buf, sizeof buf), "echo reply (type 0)");
	assert_string_equal(ea_icmp_describe(58, 135, 136, buf, sizeof buf), "neighbor solicitation (type 135)");
	assert_string_equal(ea_icmp_describe(58, 1, 4, buf, sizeof buf),
			    "destination unreachable (type 1, code 4)");
	assert_string_equal(ea_icmp_describe(1, 200, 7, buf, sizeof buf), "type 200 (code 7)");
	assert_int_equal(ea_icmp_counterpart(1, 8), 0);
	assert_int_equal(ea_icmp_counterpart(58, 134), 133);
	assert_int_equal(ea_icmp_counterpart(1, 3), -1);
	assert_int_equal(ea_icmp_counterpart(6, 8), -1);
}

static void port_only_protocols_and_attempts_are_marked(void **state)
{
	fixture *fx = *state;
	char *text = report_text(fx, fx->run1, 5);
	/* Confirmed SSH carries no mark; the port's guess at RDP does. */
	assert_non_null(strstr(text, "tcp/3389  RDP (by port, not confirmed)  flows 1  bytes 160  attempts 1\n"));
	assert_null(strstr(text, "SSH (by port"));
	assert_null(strstr(text, "tcp/22  SSH  flows 2  bytes 260  attempts"));
	free(text);
}


/* ---- the default scope: finished runs, each capture once ---------------- */

static ea_writer_state writer_of(void *ctx, int64_t run_id)
{
	const int64_t *alive = ctx;
	return run_id == *alive ? EA_WRITER_ALIVE : EA_WRITER_GONE;
}

static uint64_t total_flows(const char *text)
{
	char *sec = section(text, "Verdicts");
	const char *l = line_of(sec, "total");
	unsigned long long n = 0;
	assert_non_null(l);
	assert_int_equal(sscanf(l, "total %llu", &n), 1);
	free(sec);
	return n;
}

static void test_scope_counts_each_capture_once(void **state)
{
	fixture *fx = *state;
	/* run1 read edge-ext.pcap (and a bad capture); run2 read nothing
	 * and stored one flow. */
	uint64_t run1_flows = 0;
	for (int v = 0; v < EA_VERDICT_COUNT; v++)
		run1_flows += fx->flows[v];
	char *text = report_text(fx, 0, 3);
	assert_int_equal(total_flows(text), run1_flows + 1);
	free(text);

	ea_input_info in = {
		.iface = EA_IFACE_EXTERNAL, .path = "/cap/edge-ext.pcap",
		.sha256 = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
		.size = 1 << 20, .packets = 1000, .bytes = 500000,
		.first_us = 1700000000000001, .last_us = 1700000100000000, .linktype = 1,
	};
	ea_flow_record f;
	make_flow(&f, EA_IFACE_EXTERNAL, "198.51.100.7", "203.0.113.10", 443, 1700000000000001, 1000, "TLS");

	/* An interrupted run of the same capture, and one left running by a
	 * live writer: neither counts; both are listed apart with their flows. */
	int64_t stopped = begin(fx);
	assert_int_equal(ea_store_add_input(fx->st, stopped, &in, fx->err, sizeof fx->err), EA_OK);
	for (int i = 0; i < 7; i++)
		add(fx, stopped, &f, EA_VERDICT_DOCUMENTED, 0);
	ea_run_totals t = {.finished_at = 1234567999, .status = "interrupted: SIGINT"};
	assert_int_equal(ea_store_finish_run(fx->st, stopped, &t, fx->err, sizeof fx->err), EA_OK);
	int64_t live = begin(fx);
	add(fx, live, &f, EA_VERDICT_DOCUMENTED, 0);
	int64_t dead = begin(fx);
	add(fx, dead, &f, EA_VERDICT_DOCUMENTED, 0);
	add(fx, dead, &f, EA_VERDICT_DOCUMENTED, 0);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);

	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ea_report_options opt = {.top_n = 3, .run_writer = writer_of, .writer_ctx = &live};
	assert_int_equal(ea_report_text(fx->st, &opt, out, fx->err, sizeof fx->err), EA_OK);
	fclose(out);
	assert_int_equal(total_flows(buf), run1_flows + 1);
	assert_non_null(strstr(buf, "(2 of 5 runs)"));
	char *apart = section(buf, "Runs not counted");
	char want[128];
	snprintf(want, sizeof want, "  run %lld: interrupted: SIGINT\n    7 flows stored; captures: edge-ext.pcap\n",
		 (long long)stopped);
	assert_non_null(strstr(apart, want));
	snprintf(want, sizeof want, "  run %lld: running (being written now)\n    1 flow stored\n", (long long)live);
	assert_non_null(strstr(apart, want));
	snprintf(want, sizeof want, "  run %lld: running (but its process has ended: interrupted)\n    2 flows stored\n",
		 (long long)dead);
	assert_non_null(strstr(apart, want));
	free(apart);
	free(buf);

	/* The capture read again, completely (--force): the later run counts
	 * it, and run1 — all of whose good captures were read again — is
	 * superseded. */
	int64_t again = begin(fx);
	assert_int_equal(ea_store_add_input(fx->st, again, &in, fx->err, sizeof fx->err), EA_OK);
	for (int i = 0; i < 3; i++)
		add(fx, again, &f, EA_VERDICT_DOCUMENTED, 0);
	finish(fx, again, 0);
	text = report_text(fx, 0, 3);
	assert_int_equal(total_flows(text), 1 + 3);
	apart = section(text, "Runs not counted");
	snprintf(want, sizeof want, "  run %lld: superseded (every capture it read was read again by a later run)",
		 (long long)fx->run1);
	assert_non_null(strstr(apart, want));
	free(apart);
	free(text);

	/* The same capture twice in one finished run (--force): counted
	 * twice, and the report says so. */
	int64_t twice = begin(fx);
	assert_int_equal(ea_store_add_input(fx->st, twice, &in, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_add_input(fx->st, twice, &in, fx->err, sizeof fx->err), EA_OK);
	finish(fx, twice, 0);
	text = report_text(fx, 0, 3);
	snprintf(want, sizeof want, "warning: edge-ext.pcap was read 2 times (in run %lld)", (long long)twice);
	assert_non_null(strstr(text, want));
	free(text);

	/* --run shows any run, whatever its status. */
	text = report_text(fx, stopped, 3);
	assert_int_equal(total_flows(text), 7);
	free(text);
}

/* A live run (monitor) counts while it is being written, after it
 * stopped, and when its sensor was killed: its flows are the only record
 * of that traffic. A run of files in the same states does not. */
static void test_live_runs_always_count(void **state)
{
	fixture *fx = *state;
	uint64_t run1_flows = 0;
	for (int v = 0; v < EA_VERDICT_COUNT; v++)
		run1_flows += fx->flows[v];
	ea_flow_record f;
	make_flow(&f, EA_IFACE_EXTERNAL, "198.51.100.7", "203.0.113.10", 443, 1700000000000001, 1000, "TLS");

	int64_t running = begin_kind(fx, true);
	add(fx, running, &f, EA_VERDICT_DOCUMENTED, 0);
	int64_t killed = begin_kind(fx, true);
	for (int i = 0; i < 2; i++)
		add(fx, killed, &f, EA_VERDICT_DOCUMENTED, 0);
	int64_t stopped = begin_kind(fx, true);
	for (int i = 0; i < 4; i++)
		add(fx, stopped, &f, EA_VERDICT_DOCUMENTED, 0);
	ea_run_totals t = {.finished_at = 1234567999, .status = "complete"};
	assert_int_equal(ea_store_finish_run(fx->st, stopped, &t, fx->err, sizeof fx->err), EA_OK);
	int64_t files = begin_kind(fx, false);
	for (int i = 0; i < 8; i++)
		add(fx, files, &f, EA_VERDICT_DOCUMENTED, 0);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);

	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ea_report_options opt = {.top_n = 3, .run_writer = writer_of, .writer_ctx = &running};
	assert_int_equal(ea_report_text(fx->st, &opt, out, fx->err, sizeof fx->err), EA_OK);
	fclose(out);
	assert_int_equal(total_flows(buf), run1_flows + 1 + 1 + 2 + 4);
	char *apart = section(buf, "Runs not counted");
	char want[64];
	snprintf(want, sizeof want, "  run %lld: running", (long long)files);
	assert_non_null(strstr(apart, want));
	snprintf(want, sizeof want, "  run %lld:", (long long)killed);
	assert_null(strstr(apart, want));
	free(apart);
	free(buf);
}

/* A live run still running: its counters are written only when it ends,
 * so the Runs line showed 0 packets and 0 flows while the database held
 * its flows. It shows what is stored so far, and says it runs. */
static void test_running_run_shows_stored_totals(void **state)
{
	fixture *fx = *state;
	ea_flow_record f;
	make_flow(&f, EA_IFACE_EXTERNAL, "198.51.100.7", "203.0.113.10", 443, 1700000000000001, 1000, "TLS");
	int64_t running = begin_kind(fx, true);
	for (int i = 0; i < 3; i++)
		add(fx, running, &f, EA_VERDICT_DOCUMENTED, 0);
	assert_int_equal(ea_store_flush(fx->st, fx->err, sizeof fx->err), EA_OK);
	char *buf = report_text(fx, running, 3);
	char *runs = section(buf, "Runs");
	char want[160];
	snprintf(want, sizeof want, "  totals   running: 3 flows stored so far, %llu packets in them",
		 (unsigned long long)(3 * (f.pkts[0] + f.pkts[1])));
	if (!strstr(runs, want))
		fail_msg("want '%s' in:\n%s", want, runs);
	assert_null(strstr(runs, "totals   0 packets"));
	free(runs);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(port_only_protocols_and_attempts_are_marked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totals_per_verdict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_running_run_shows_stored_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_documented_rows_and_unused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_findings_grouped_with_top_talkers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wire_strings_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attempts_and_anomalies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_has_no_paths_or_wall_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_run_and_empty_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_named_by_type, setup, teardown),
		cmocka_unit_test(test_icmp_describe),
		cmocka_unit_test_setup_teardown(test_scope_counts_each_capture_once, setup, teardown),
		cmocka_unit_test(test_fputs_escaped),
		cmocka_unit_test_setup_teardown(test_loss_section_only_when_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_keeps_rule_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_shown_with_its_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_runs_always_count, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
