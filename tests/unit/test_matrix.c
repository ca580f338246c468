/* test_matrix.c — the real Lync 2013 Edge matrix against the document, and
 * one test per loader error, each with its file:line. */
#include "testutil.h"
#include "dataload.h"

#include <errno.h>

#include "rules/matrix.h"

#define MATRIX_PATH EA_TOPDIR "/signatures/lync2013-edge.matrix"

/* ---- the real matrix ---------------------------------------------------- */

static int load_real(void **state)
{
	ea_matrix *m = calloc(1, sizeof *m);
	char err[4096];
	assert_non_null(m);
	ea_status st = ea_test_load_path(EA_DATA_MATRIX, MATRIX_PATH, m, NULL, err, sizeof err);
	if (st != EA_OK)
		fail_msg("%s", err);
	*state = m;
	return 0;
}

static int free_real(void **state)
{
	ea_matrix_free(*state);
	free(*state);
	return 0;
}

static const ea_rule *rule(const ea_matrix *m, const char *id)
{
	int i = ea_matrix_rule_index(m, id);
	if (i < 0)
		fail_msg("no rule %s", id);
	return &m->rules[i];
}

/* The document's order: five tables, 16 + 11 + 1 + 6 + 3 rows. */
static void test_ids_in_document_order(void **state)
{
	const ea_matrix *m = *state;
	static const struct {
		const char *prefix;
		unsigned count;
	} tables[] = {{"ext", 16}, {"int", 11}, {"fed", 1}, {"pim", 6}, {"xmpp", 3}};
	assert_int_equal(m->n_rules, 37);
	unsigned i = 0;
	for (unsigned t = 0; t < 5; t++) {
		for (unsigned k = 1; k <= tables[t].count; k++, i++) {
			char id[16];
			snprintf(id, sizeof id, "%s-%02u", tables[t].prefix, k);
			assert_string_equal(m->rules[i].id, id);
			assert_int_equal(m->rules[i].order, i);
			if (i > 0)
				assert_true(m->rules[i].line > m->rules[i - 1].line);
		}
	}
}

static void test_roles(void **state)
{
	const ea_matrix *m = *state;
	static const char *required[] = {"access_edge", "webconf_edge", "av_edge", "edge_internal"};
	static const char *optional[] = {"director_pool", "front_end", "branch_appliance", "xmpp_gateway",
					 "cms_pool", "im_partner", "live_messenger", "client"};
	assert_int_equal(m->n_roles, 12);
	for (unsigned i = 0; i < 4; i++) {
		int r = ea_matrix_role_index(m, required[i]);
		assert_true(r >= 0);
		assert_true(m->roles[r].required);
		assert_non_null(m->roles[r].description);
	}
	for (unsigned i = 0; i < 8; i++) {
		int r = ea_matrix_role_index(m, optional[i]);
		assert_true(r >= 0);
		assert_false(m->roles[r].required);
	}
	assert_int_equal(ea_matrix_role_index(m, "Access_Edge"), -1);
	assert_int_equal(ea_matrix_rule_index(m, "ext-17"), -1);
}

static void assert_side(const ea_matrix *m, const uint8_t *roles, unsigned n, const char *want)
{
	char got[128] = "";
	for (unsigned i = 0; i < n; i++) {
		size_t used = strlen(got);
		snprintf(got + used, sizeof got - used, "%s%s", i ? "," : "", m->roles[roles[i]].name);
	}
	assert_string_equal(n ? got : "any", want);
}

static void check_row(const ea_matrix *m, const char *id, const char *table, ea_iface iface,
		      uint8_t transport, uint16_t lo, uint16_t hi, const char *src, const char *dst)
{
	const ea_rule *r = rule(m, id);
	assert_string_equal(r->table, table);
	assert_int_equal(r->iface, iface);
	assert_int_equal(r->transport, transport);
	assert_int_equal(r->port_lo, lo);
	assert_int_equal(r->port_hi, hi);
	assert_side(m, r->src_roles, r->n_src, src);
	assert_side(m, r->dst_roles, r->n_dst, dst);
}

static bool has_protocol(const ea_rule *r, const char *name)
{
	for (unsigned i = 0; i < r->n_protocols; i++)
		if (strcmp(r->protocols[i], name) == 0)
			return true;
	return false;
}

/* Spot checks, read off the document by hand. */
static void test_rows_against_document(void **state)
{
	const ea_matrix *m = *state;
	const ea_iface X = EA_IFACE_EXTERNAL, I = EA_IFACE_INTERNAL;
	check_row(m, "ext-01", "external", X, 6, 5269, 5269, "any", "access_edge");
	check_row(m, "ext-02", "external", X, 6, 80, 80, "access_edge", "any");
	check_row(m, "ext-04", "external", X, 17, 53, 53, "access_edge", "any");
	check_row(m, "ext-08", "external", X, 6, 443, 443, "any", "webconf_edge");
	check_row(m, "ext-09", "external", X, 6, 50000, 59999, "av_edge", "any");
	check_row(m, "ext-12", "external", X, 17, 50000, 59999, "any", "av_edge");
	check_row(m, "ext-13", "external", X, 17, 3478, 3478, "av_edge", "any");
	check_row(m, "ext-16", "external", X, 6, 443, 443, "av_edge", "any");
	check_row(m, "int-01", "internal", I, 6, 23456, 23456, "xmpp_gateway,front_end", "edge_internal");
	check_row(m, "int-02", "internal", I, 6, 5061, 5061, "director_pool,front_end", "edge_internal");
	check_row(m, "int-03", "internal", I, 6, 5061, 5061, "edge_internal", "director_pool,front_end");
	check_row(m, "int-04", "internal", I, 6, 8057, 8057, "front_end", "edge_internal");
	check_row(m, "int-05", "internal", I, 6, 5062, 5062, "front_end,branch_appliance", "edge_internal");
	check_row(m, "int-06", "internal", I, 17, 3478, 3478, "any", "edge_internal");
	check_row(m, "int-08", "internal", I, 6, 4443, 4443, "front_end,cms_pool", "edge_internal");
	check_row(m, "int-11", "internal", I, 6, 50003, 50003, "any", "edge_internal");
	check_row(m, "fed-01", "federation", X, 6, 5061, 5061, "access_edge", "any");
	check_row(m, "pim-01", "public-im", X, 6, 5061, 5061, "im_partner", "access_edge");
	check_row(m, "pim-03", "public-im", X, 6, 443, 443, "client", "access_edge");
	check_row(m, "pim-04", "public-im", X, 6, 50000, 59999, "av_edge", "live_messenger");
	check_row(m, "pim-06", "public-im", X, 17, 3478, 3478, "live_messenger", "av_edge");
	check_row(m, "xmpp-02", "xmpp", X, 6, 5269, 5269, "access_edge", "any");
	check_row(m, "xmpp-03", "xmpp", I, 6, 23456, 23456, "any", "edge_internal");

	assert_string_equal(rule(m, "ext-02")->note_zh, "憑證撤銷/CRL 檢查與擷取");
	assert_string_equal(rule(m, "ext-09")->text, "A/V/RTP/TCP/50,000-59,999");
	assert_string_equal(rule(m, "fed-01")->source_text, "Access Edge Service 公用 IP 位址");
	assert_string_equal(rule(m, "pim-04")->destination_text, "Live Messenger 用戶端");
	assert_non_null(strstr(rule(m, "int-05")->source_text, "Survivable Branch Appliance"));
	assert_non_null(strstr(rule(m, "int-09")->note_en, "Centralized Logging"));

	assert_true(has_protocol(rule(m, "ext-01"), "Jabber"));
	assert_true(has_protocol(rule(m, "ext-02"), "HTTP"));
	assert_true(has_protocol(rule(m, "ext-03"), "DNS"));
	assert_true(has_protocol(rule(m, "ext-05"), "TLS"));
	assert_false(has_protocol(rule(m, "ext-05"), "SIP")); /* SIP(TLS): nDPI sees TLS */
	assert_true(has_protocol(rule(m, "ext-10"), "RTP"));
	assert_true(has_protocol(rule(m, "ext-14"), "STUN"));
	assert_true(has_protocol(rule(m, "ext-15"), "STUN"));
	assert_true(has_protocol(rule(m, "ext-15"), "TLS"));
	assert_false(has_protocol(rule(m, "ext-14"), "TLS")); /* no TLS over UDP 3478 */
	assert_true(has_protocol(rule(m, "int-08"), "TLS"));
}

/* Cross-check of every row with its own document cell: the cell ends in
 * .../TCP|UDP/PORT[-PORT] with thousands separators; the table decides
 * the interface. */
static void test_every_row_agrees_with_its_cell(void **state)
{
	const ea_matrix *m = *state;
	for (unsigned i = 0; i < m->n_rules; i++) {
		const ea_rule *r = &m->rules[i];
		assert_non_null(r->text);
		assert_non_null(r->source_text);
		assert_non_null(r->destination_text);
		assert_non_null(r->note_zh);
		assert_non_null(r->note_en);
		assert_true(r->n_protocols > 0);

		char cell[128];
		size_t n = 0;
		for (const char *p = r->text; *p && n + 1 < sizeof cell; p++)
			if (*p != ',')
				cell[n++] = *p;
		cell[n] = '\0';
		char *port = strrchr(cell, '/');
		assert_non_null(port);
		*port++ = '\0';
		char *transport = strrchr(cell, '/');
		assert_non_null(transport);
		transport++;
		char want[16];
		if (r->port_lo == r->port_hi)
			snprintf(want, sizeof want, "%u", r->port_lo);
		else
			snprintf(want, sizeof want, "%u-%u", r->port_lo, r->port_hi);
		assert_string_equal(port, want);
		assert_string_equal(transport, r->transport == 6 ? "TCP" : "UDP");

		bool internal = strncmp(r->id, "int-", 4) == 0 || strcmp(r->id, "xmpp-03") == 0;
		assert_int_equal(r->iface, internal ? EA_IFACE_INTERNAL : EA_IFACE_EXTERNAL);
		/* "any" in the document's source/destination cell is any or
		 * an optional role; an Edge cell is an Edge role. */
		if (strcmp(r->source_text, "任何一個") == 0)
			assert_int_equal(r->n_src, 0);
		if (strcmp(r->destination_text, "任何一個") == 0)
			assert_int_equal(r->n_dst, 0);
	}
}

static void test_load_path_missing(void **state)
{
	ea_matrix m;
	char err[256];
	assert_int_equal(ea_test_load_path(EA_DATA_MATRIX, "/nonexistent/x.matrix", &m, NULL, err, sizeof err), EA_ERR_IO);
	char want[256];
	snprintf(want, sizeof want, "/nonexistent/x.matrix: cannot open: %s", strerror(ENOENT));
	assert_string_equal(err, want);
	assert_int_equal(m.n_rules, 0);
	assert_null(m.rules);
	ea_matrix_free(&m); /* harmless on an empty matrix */
}

/* ---- loader errors ------------------------------------------------------- */

#define ROLES "[role edge]\nrequired = yes\n[role fe]\nrequired = no\n" /* lines 1-4 */
#define RULE_HEAD "[rule r-1]\ntable = external\ninterface = external\ntext = X/TCP/443\n" /* lines 5-8 */

/* A complete rule after ROLES, with one line replaceable. */
static char *rule_text(const char *transport, const char *port, const char *src, const char *dst,
		       const char *protocols)
{
	static char buf[8192];
	snprintf(buf, sizeof buf,
		 ROLES RULE_HEAD "transport = %s\nport = %s\nsource = %s\ndestination = %s\nprotocols = %s\n",
		 transport, port, src, dst, protocols);
	return buf;
}

/* Loads text; expects failure with exactly these messages. */
static void expect_errors(const char *text, const char *want)
{
	FILE *f = ea_test_memfile(text);
	ea_matrix m;
	char err[8192];
	ea_status st = ea_matrix_load(f, "m", &m, err, sizeof err);
	fclose(f);
	if (st != EA_ERR_CONFIG)
		fail_msg("status %d, errors: %s", st, err);
	assert_string_equal(err, want);
	assert_int_equal(m.n_rules, 0);
	assert_int_equal(m.n_roles, 0);
	assert_null(m.rules);
}

static void test_minimal_valid(void **state)
{
	FILE *f = ea_test_memfile(rule_text("udp", " 50000 - 50010 ", "fe, edge", "any", "RTP, MsSQL-TDS"));
	ea_matrix m;
	char err[1024] = "";
	assert_int_equal(ea_matrix_load(f, "m", &m, err, sizeof err), EA_OK);
	fclose(f);
	assert_int_equal(m.n_rules, 1);
	const ea_rule *r = &m.rules[0];
	assert_int_equal(r->line, 5);
	assert_int_equal(r->transport, 17);
	assert_int_equal(r->port_lo, 50000);
	assert_int_equal(r->port_hi, 50010);
	assert_int_equal(r->n_src, 2);
	assert_int_equal(r->src_roles[0], 1); /* fe */
	assert_int_equal(r->src_roles[1], 0); /* edge */
	assert_int_equal(r->n_dst, 0);
	assert_int_equal(r->n_protocols, 2);
	assert_string_equal(r->protocols[1], "MsSQL-TDS");
	assert_null(r->note_zh); /* optional */
	ea_matrix_free(&m);
}

static void test_roles_may_follow_rules(void **state)
{
	FILE *f = ea_test_memfile(RULE_HEAD "transport = tcp\nport = 1\nsource = any\n"
					    "destination = later\nprotocols = TLS\n"
					    "[role later]\nrequired = no\n");
	ea_matrix m;
	char err[1024] = "";
	assert_int_equal(ea_matrix_load(f, "m", &m, err, sizeof err), EA_OK);
	fclose(f);
	assert_int_equal(m.rules[0].n_dst, 1);
	assert_string_equal(m.roles[m.rules[0].dst_roles[0]].name, "later");
	ea_matrix_free(&m);
}

static void test_err_unknown_key(void **state)
{
	expect_errors(ROLES RULE_HEAD "transport = tcp\nport = 443\nsource = any\ndestination = edge\n"
				      "protocols = TLS\ncolour = blue\n",
		      "m:14: unknown key 'colour' in [rule]");
	expect_errors("[role x]\nrequired = no\nweight = 3\n[rule a]\n", /* and the rule is incomplete */
		      "m:3: unknown key 'weight' in [role]\n"
		      "m:4: rule a: missing key 'table'\n"
		      "m:4: rule a: missing key 'interface'\n"
		      "m:4: rule a: missing key 'text'\n"
		      "m:4: rule a: missing key 'transport'\n"
		      "m:4: rule a: missing key 'port'\n"
		      "m:4: rule a: missing key 'source'\n"
		      "m:4: rule a: missing key 'destination'\n"
		      "m:4: rule a: missing key 'protocols'");
}

static void test_err_missing_keys(void **state)
{
	expect_errors(ROLES RULE_HEAD "transport = tcp\nsource = any\ndestination = edge\nprotocols = TLS\n"
				      "[role r2]\n",
		      "m:5: rule r-1: missing key 'port'\n"
		      "m:13: role r2: missing key 'required'");
}

static void test_err_duplicate_id(void **state)
{
	char text[8192 + 16];
	snprintf(text, sizeof text, "%s[rule r-1]\n", rule_text("tcp", "443", "any", "edge", "TLS"));
	expect_errors(text, "m:14: rule id 'r-1' is already used at line 5");
}

static void test_err_transport(void **state)
{
	expect_errors(rule_text("sctp", "443", "any", "edge", "TLS"), "m:9: transport 'sctp' is not tcp or udp");
}

static void test_err_ports(void **state)
{
	expect_errors(rule_text("tcp", "0", "any", "edge", "TLS"),
		      "m:10: port '0' is not a number from 1 to 65535");
	expect_errors(rule_text("tcp", "65536", "any", "edge", "TLS"),
		      "m:10: port '65536' is not a number from 1 to 65535");
	expect_errors(rule_text("tcp", "99999999999999999999999", "any", "edge", "TLS"),
		      "m:10: port '99999999999999999999999' is not a number from 1 to 65535");
	expect_errors(rule_text("tcp", "-5", "any", "edge", "TLS"),
		      "m:10: port '-5' is not a number from 1 to 65535");
	expect_errors(rule_text("tcp", "44x", "any", "edge", "TLS"),
		      "m:10: port '44x' is not a port or a range lo-hi");
	expect_errors(rule_text("tcp", "600-500", "any", "edge", "TLS"),
		      "m:10: port range '600-500' is empty (600 > 500)");
	expect_errors(rule_text("tcp", "500-70000", "any", "edge", "TLS"),
		      "m:10: port range '500-70000': end is not a number from 1 to 65535");
}

static void test_err_roles(void **state)
{
	expect_errors(rule_text("tcp", "443", "nobody", "edge", "TLS"),
		      "m:11: unknown role 'nobody' (not declared by a [role] section)");
	expect_errors(rule_text("tcp", "443", "any", "edge, fe, edge2, fe2, x5", "TLS"),
		      "m:12: destination: more than 4 roles");
	expect_errors(rule_text("tcp", "443", "any, fe", "edge", "TLS"),
		      "m:11: source: 'any' cannot be combined with roles");
	expect_errors(rule_text("tcp", "443", "fe, fe", "edge", "TLS"),
		      "m:11: source: role 'fe' is listed twice");
	expect_errors(rule_text("tcp", "443", "fe, edge", "edge, FE, Edge", "TLS"),
		      "m:12: destination: role 'Edge' is listed twice");
	expect_errors(rule_text("tcp", "443", "fe, Any", "edge", "TLS"),
		      "m:11: source: 'Any' cannot be combined with roles");
	expect_errors(rule_text("tcp", "443", "fe,", "edge", "TLS"), "m:11: source: empty role in the list");
}

static void test_err_protocols(void **state)
{
	expect_errors(rule_text("tcp", "443", "any", "edge",
				"P1,P2,P3,P4,P5,P6,P7,P8,P9,P10,P11,P12,P13,P14,P15,P16,P17"),
		      "m:13: protocols: more than 16 protocols");
	expect_errors(rule_text("tcp", "443", "any", "edge", "TLS, Bad Name"),
		      "m:13: protocols: 'Bad Name' is not a protocol name");
	expect_errors(rule_text("tcp", "443", "any", "edge", "TLS, tls"), "m:13: protocols: protocol 'tls' is listed twice");
	/* Every bad item on the line is listed, as in the other data files. */
	expect_errors(rule_text("tcp", "443", "any", "edge", "TLS, , Bad Name, tls"),
		      "m:13: protocols: empty protocol in the list\n"
		      "m:13: protocols: 'Bad Name' is not a protocol name\n"
		      "m:13: protocols: protocol 'tls' is listed twice");
	/* Sixteen is fine. */
	FILE *f = ea_test_memfile(rule_text("tcp", "443", "any", "edge",
					    "P1,P2,P3,P4,P5,P6,P7,P8,P9,P10,P11,P12,P13,P14,P15,P16"));
	ea_matrix m;
	char err[1024];
	assert_int_equal(ea_matrix_load(f, "m", &m, err, sizeof err), EA_OK);
	fclose(f);
	assert_int_equal(m.rules[0].n_protocols, 16);
	ea_matrix_free(&m);
}

static void test_err_interface(void **state)
{
	expect_errors(ROLES "[rule r-1]\ntable = external\ninterface = dmz\ntext = X\ntransport = tcp\n"
			    "port = 1\nsource = any\ndestination = any\nprotocols = TLS\n",
		      "m:7: interface 'dmz' is not external or internal");
}

static void test_err_duplicate_role(void **state)
{
	expect_errors("[role edge]\nrequired = yes\n" ROLES RULE_HEAD
		      "transport = tcp\nport = 1\nsource = any\ndestination = any\nprotocols = TLS\n",
		      "m:3: role 'edge' is declared twice");
}

static void test_err_long_line(void **state)
{
	size_t cap = EA_MAX_LINE + 1024;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t n = (size_t)snprintf(text, cap, "%s", ROLES "# ");
	memset(text + n, 'x', EA_MAX_LINE);
	size_t rest = cap - n - EA_MAX_LINE;
	assert_true((size_t)snprintf(text + n + EA_MAX_LINE, rest, "%s",
				     "\n" RULE_HEAD "transport = tcp\nport = 1\nsource = any\n"
				     "destination = any\nprotocols = TLS\n") < rest);
	char want[64];
	snprintf(want, sizeof want, "m:5: line is longer than %d bytes", EA_MAX_LINE);
	expect_errors(text, want);
	free(text);
}

static void test_err_sections(void **state)
{
	expect_errors("[rules r-1]\ntable = external\n[role]\nrequired = no\n[rule bad/id]\nx = 1\n",
		      "m:1: unknown section [rules] (expected [role NAME] or [rule ID])\n"
		      "m:3: [role] needs a name of 1-31 letters, digits, '_', '-' or '.'\n"
		      "m:5: [rule] needs a name of 1-31 letters, digits, '_', '-' or '.'");
	expect_errors("table = t\n", "m:1: 'table' is outside any [role] or [rule] section");
	expect_errors("# nothing\n", "m: no [rule] sections");
}

static void test_err_values(void **state)
{
	expect_errors("[role e]\nrequired = maybe\nrequired = yes\ndescription =\n",
		      "m:2: required must be yes or no, not 'maybe'\n"
		      "m:3: key 'required' is given twice\n"
		      "m:4: key 'description' has no value");
	expect_errors(ROLES "[rule r-1]\ntable = two words\n",
		      "m:5: rule r-1: missing key 'interface'\n"
		      "m:5: rule r-1: missing key 'text'\n"
		      "m:5: rule r-1: missing key 'transport'\n"
		      "m:5: rule r-1: missing key 'port'\n"
		      "m:5: rule r-1: missing key 'source'\n"
		      "m:5: rule r-1: missing key 'destination'\n"
		      "m:5: rule r-1: missing key 'protocols'\n"
		      "m:6: table 'two words' is not one of external, internal, federation, public-im, xmpp");
}

/* Several mistakes: all of them are listed, in one go, in line order
 * (an unknown role is only known to be unknown once the file is read). */
static void test_err_all_listed(void **state)
{
	expect_errors(ROLES RULE_HEAD "transport = icmp\nport = 0\nsource = ghost\ndestination = edge\n"
				      "protocols = TLS\nbogus = 1\n[rule r-1]\n",
		      "m:9: transport 'icmp' is not tcp or udp\n"
		      "m:10: port '0' is not a number from 1 to 65535\n"
		      "m:11: unknown role 'ghost' (not declared by a [role] section)\n"
		      "m:14: unknown key 'bogus' in [rule]\n"
		      "m:15: rule id 'r-1' is already used at line 5");
}

/* The checks that need more than the file: a fake classifier that knows
 * TLS and DNS, and fake signatures that cover tcp/1-1000 only. */
static bool fake_known(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "TLS") == 0 || strcmp(name, "DNS") == 0;
}

static bool fake_covered(void *arg, uint8_t transport, uint16_t lo, uint16_t hi,
			 const char *const *protocols, unsigned n, char *why, size_t whylen)
{
	(void)arg;
	(void)protocols;
	(void)n;
	if (transport == 6 && hi <= 1000)
		return true;
	snprintf(why, whylen, "%s/%u has no port signature", transport == 6 ? "tcp" : "udp",
		 transport == 6 ? 1001 : lo);
	return false;
}

static const ea_load_checks fake_checks = {
	.protocol_known = fake_known, .protocol_authority = "nDPI test", .ports_covered = fake_covered,
};

static char *checked_errors(const char *text)
{
	FILE *f = ea_test_memfile(text);
	ea_matrix m;
	static char err[8192];
	ea_status st = ea_matrix_load_checked(f, "m", &fake_checks, &m, err, sizeof err);
	fclose(f);
	if (st != EA_ERR_CONFIG)
		fail_msg("status %d, errors: %s", st, err);
	assert_int_equal(m.n_rules, 0);
	return err;
}

/* An unknown protocol is reported at its protocols line (not the
 * [rule] line), also when the file has other mistakes, in line order;
 * a port the signatures do not cover at its port line. */
static void test_err_checked_protocols_and_ports(void **state)
{
	assert_string_equal(checked_errors(rule_text("tcp", "443", "any", "edge", "TLS, NoSuchProto")),
			    "m:13: protocols: protocol 'NoSuchProto' is unknown to nDPI test");
	assert_string_equal(checked_errors(ROLES RULE_HEAD "transport = icmp\nport = 443\nsource = any\n"
						      "destination = ghost\nprotocols = Bogus, DNS, Nope\n"
						      "[rule r-2]\ntable = bogus\ninterface = external\ntext = x\n"
						      "transport = tcp\nport = 999-1002\nsource = any\n"
						      "destination = edge\nprotocols = TLS\n"),
			    "m:9: transport 'icmp' is not tcp or udp\n"
			    "m:12: unknown role 'ghost' (not declared by a [role] section)\n"
			    "m:13: protocols: protocol 'Bogus' is unknown to nDPI test\n"
			    "m:13: protocols: protocol 'Nope' is unknown to nDPI test\n"
			    "m:15: table 'bogus' is not one of external, internal, federation, public-im, xmpp\n"
			    "m:19: rule r-2: tcp/1001 has no port signature");
	/* Without checks the same names load: the checks are the caller's. */
	FILE *f = ea_test_memfile(rule_text("udp", "5000", "any", "edge", "NoSuchProto"));
	ea_matrix m;
	char err[1024] = "";
	assert_int_equal(ea_matrix_load(f, "m", &m, err, sizeof err), EA_OK);
	fclose(f);
	ea_matrix_free(&m);
}

/* Enumerated values outside their set, and values that contradict each
 * other, are mistakes rather than silently kept. */
static void test_err_enumerations(void **state)
{
	expect_errors(ROLES "[rule r-1]\ntable = internal\ninterface = external\ntext = X\ntransport = tcp\n"
			    "port = 443\nsource = any\ndestination = edge\nprotocols = TLS\n",
		      "m:7: rule r-1: interface external in the internal interface table");
	expect_errors("[role any]\nrequired = no\n" ROLES RULE_HEAD
		      "transport = tcp\nport = 443\nsource = any\ndestination = edge\nprotocols = TLS\n",
		      "m:1: a role cannot be called 'any'");
	/* A terminal escape in a note is not text. */
	expect_errors(ROLES RULE_HEAD "transport = tcp\nport = 443\nsource = any\ndestination = edge\n"
				      "protocols = TLS\nnote.en = red \x1b[31m alert\n",
		      "m:14: line is not UTF-8 text (a control character or an invalid byte)");
}

static void test_too_many_rules(void **state)
{
	size_t cap = (EA_MAX_RULES + 2) * 160 + 256;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t used = 0;
	for (unsigned i = 0; i <= EA_MAX_RULES; i++)
		used += (size_t)snprintf(text + used, cap - used,
					 "[rule r%u]\ntable = internal\ninterface = internal\ntext = x\ntransport = udp\n"
					 "port = %u\nsource = any\ndestination = any\nprotocols = DNS\n",
					 i, i + 1);
	char want[64];
	snprintf(want, sizeof want, "m:%u: more than %d rules", EA_MAX_RULES * 9 + 1, EA_MAX_RULES);
	expect_errors(text, want);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_in_document_order, load_real, free_real),
		cmocka_unit_test_setup_teardown(test_roles, load_real, free_real),
		cmocka_unit_test_setup_teardown(test_rows_against_document, load_real, free_real),
		cmocka_unit_test_setup_teardown(test_every_row_agrees_with_its_cell, load_real, free_real),
		cmocka_unit_test(test_load_path_missing),
		cmocka_unit_test(test_minimal_valid),
		cmocka_unit_test(test_roles_may_follow_rules),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_missing_keys),
		cmocka_unit_test(test_err_duplicate_id),
		cmocka_unit_test(test_err_transport),
		cmocka_unit_test(test_err_ports),
		cmocka_unit_test(test_err_roles),
		cmocka_unit_test(test_err_protocols),
		cmocka_unit_test(test_err_interface),
		cmocka_unit_test(test_err_duplicate_role),
		cmocka_unit_test(test_err_long_line),
		cmocka_unit_test(test_err_sections),
		cmocka_unit_test(test_err_values),
		cmocka_unit_test(test_err_all_listed),
		cmocka_unit_test(test_too_many_rules),
		cmocka_unit_test(test_err_checked_protocols_and_ports),
		cmocka_unit_test(test_err_enumerations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
