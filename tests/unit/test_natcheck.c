/* test_natcheck.c — the NAT requirement (README, "The NAT requirement"):
 * private addresses, the site file's [nat] section and its errors, the
 * NAT finding of a flow (natcheck.h, through the matcher too), and the
 * pairing of the NAT's two sides by Community ID (natpair.h). */
#include "testutil.h"
#include "dataload.h"

#include <arpa/inet.h>

#include "engine/community_id.h"
#include "engine/natpair.h"
#include "rules/match.h"
#include "rules/matrix.h"
#include "rules/natcheck.h"
#include "rules/site.h"

#define MATRIX_PATH EA_TOPDIR "/signatures/lync2013-edge.matrix"

static int load_matrix(void **state)
{
	ea_matrix *m = calloc(1, sizeof *m);
	char err[4096];
	assert_non_null(m);
	if (ea_test_load_path(EA_DATA_MATRIX, MATRIX_PATH, m, NULL, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	*state = m;
	return 0;
}

static int free_matrix(void **state)
{
	ea_matrix_free(*state);
	free(*state);
	return 0;
}

static ea_addr addr(const char *text)
{
	ea_addr a;
	uint8_t raw[16];
	if (inet_pton(AF_INET, text, raw) == 1)
		ea_addr_from_v4(&a, raw);
	else if (inet_pton(AF_INET6, text, raw) == 1)
		ea_addr_from_v6(&a, raw);
	else
		fail_msg("bad test address %s", text);
	return a;
}

/* The lab's Edge roles, lines 1-5: each role its private and public
 * address (a test adds from line 6 on). */
#define LAB_ROLES "[roles]\n"                                   \
		  "access_edge = 10.0.1.10, 203.0.113.10\n"     \
		  "webconf_edge = 10.0.1.11, 203.0.113.11\n"    \
		  "av_edge = 10.0.1.12, 203.0.113.12\n"         \
		  "edge_internal = 172.16.0.10, fd00:16::10\n"
#define LAB_NAT "[nat]\n"                                                       \
		"inside = 10.0.1.1\n"                                           \
		"map = 10.0.1.10 -> 203.0.113.10, 10.0.1.11 -> 203.0.113.11, "  \
		"10.0.1.12 -> 203.0.113.12\n"

static ea_status load_text(const ea_matrix *m, const char *text, ea_site *s, char *err, size_t errlen)
{
	FILE *f = ea_test_memfile(text);
	ea_status st = ea_site_load(f, "s.ini", m, s, err, errlen);
	fclose(f);
	return st;
}

static void load_ok(const ea_matrix *m, const char *text, ea_site *s)
{
	char err[4096];
	if (load_text(m, text, s, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
}

static void expect_errors(const ea_matrix *m, const char *text, const char *want)
{
	ea_site s;
	char err[4096];
	ea_status st = load_text(m, text, &s, err, sizeof err);
	if (st != EA_ERR_CONFIG)
		fail_msg("status %d: %s", st, err);
	assert_string_equal(err, want);
}

/* ---- private addresses ------------------------------------------------- */

static void test_private_ranges(void **state)
{
	(void)state;
	static const char *const yes[] = {"10.0.0.0", "10.255.255.255", "172.16.0.0", "172.31.255.255",
					  "192.168.0.1", "100.64.0.0", "100.127.255.255", "169.254.1.1",
					  "fd00:16::10", "fc00::1", "fe80::1", "febf::1", "::ffff:10.1.2.3"};
	static const char *const no[] = {"9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0",
					 "192.167.255.255", "192.169.0.0", "100.63.255.255", "100.128.0.0",
					 "169.253.0.1", "203.0.113.10", "198.51.100.20", "2001:db8::1",
					 "fec0::1", "fbff::1", "::1"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		ea_addr a = addr(yes[i]);
		if (!ea_addr_is_private(&a))
			fail_msg("%s should be private", yes[i]);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		ea_addr a = addr(no[i]);
		if (ea_addr_is_private(&a))
			fail_msg("%s should not be private", no[i]);
	}
}

/* ---- the site file's [nat] --------------------------------------------- */

static void test_site_nat_parsed(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m, LAB_ROLES LAB_NAT, &s);
	assert_true(s.nat.set);
	assert_int_equal(s.nat.line, 6);
	assert_int_equal(s.nat.n_inside, 1);
	ea_addr fw = addr("10.0.1.1"), other = addr("10.0.1.2");
	assert_true(ea_prefix_contains(&s.nat.inside[0], &fw));
	assert_false(ea_prefix_contains(&s.nat.inside[0], &other));
	assert_int_equal(s.nat.n_maps, 3);
	ea_addr p = addr("10.0.1.12"), q = addr("203.0.113.12");
	const ea_nat_map *nm = ea_site_nat_map(&s, &p, false);
	assert_non_null(nm);
	assert_int_equal(ea_addr_cmp(&nm->public_addr, &q), 0);
	assert_int_equal(nm->role, (unsigned)ea_matrix_role_index(m, "av_edge"));
	assert_ptr_equal(ea_site_nat_map(&s, &q, true), nm);
	assert_null(ea_site_nat_map(&s, &q, false));
	assert_null(ea_site_nat_map(&s, &fw, false));
	ea_site_free(&s);

	/* An IPv6 mapping, spaces anywhere around the arrow, [nat] before
	 * the roles it names, and a site file as before (no [nat]). */
	load_ok(m,
		"[nat]\nmap =  10.0.1.10   ->203.0.113.10 ,fd00:1::12 ->  2001:db8::12\n"
		"[roles]\naccess_edge = 10.0.1.10, 203.0.113.10\nwebconf_edge = 10.0.1.11\n"
		"av_edge = fd00:1::12, 2001:db8::12\nedge_internal = 172.16.0.10\n",
		&s);
	assert_int_equal(s.nat.n_maps, 2);
	assert_int_equal(s.nat.n_inside, 0);
	ea_addr v6 = addr("fd00:1::12"), v6pub = addr("2001:db8::12");
	nm = ea_site_nat_map(&s, &v6, false);
	assert_non_null(nm);
	assert_int_equal(ea_addr_cmp(&nm->public_addr, &v6pub), 0);
	ea_site_free(&s);

	load_ok(m, LAB_ROLES, &s);
	assert_false(s.nat.set);
	assert_int_equal(s.nat.n_maps, 0);
	assert_int_equal(s.nat.n_inside, 0);
	ea_site_free(&s);
}

static void test_site_nat_errors(void **state)
{
	const ea_matrix *m = *state;
	expect_errors(m, LAB_ROLES "[nat]\ninside = 10.0.1.1\ninside = 10.0.1.2\nport = 1\n[nat]\n",
		      "s.ini:8: [nat] inside is already set at line 7\n"
		      "s.ini:9: unknown key 'port' in [nat] (expected inside, map)\n"
		      "s.ini:10: [nat] is already given at line 6");
	expect_errors(m, LAB_ROLES "[nat]\nmap = 10.0.1.10 203.0.113.10, 10.0.1.11 -> 10.0.1.0/24, "
				   "10.0.1.12 -> 10.0.1.12, x -> 203.0.113.12\n",
		      "s.ini:7: [nat] map: '10.0.1.10 203.0.113.10' is not 'PRIVATE -> PUBLIC'\n"
		      "s.ini:7: [nat] map: '10.0.1.11 -> 10.0.1.0/24': a 1:1 mapping names one address on each "
		      "side, not a prefix\n"
		      "s.ini:7: [nat] map: '10.0.1.12 -> 10.0.1.12' maps an address to itself\n"
		      "s.ini:7: [nat] map: 'x' is not an IP address");
	/* Reversed (PUBLIC -> PRIVATE) or both sides public/private: the left
	 * side is the Edge's private address, the right side its public one. */
	expect_errors(m, LAB_ROLES "[nat]\nmap = 203.0.113.10 -> 10.0.1.10, 203.0.113.11 -> 198.51.100.1, "
				   "10.0.1.12 -> 10.0.1.99\n",
		      "s.ini:7: [nat] map: '203.0.113.10 -> 10.0.1.10': the left side 203.0.113.10 is not a private "
		      "address (PRIVATE -> PUBLIC)\n"
		      "s.ini:7: [nat] map: '203.0.113.11 -> 198.51.100.1': the left side 203.0.113.11 is not a "
		      "private address (PRIVATE -> PUBLIC)\n"
		      "s.ini:7: [nat] map: '10.0.1.12 -> 10.0.1.99': the right side 10.0.1.99 is a private address, "
		      "not a public one (PRIVATE -> PUBLIC)");
	/* Checked against the roles: a private side in no Edge role, a public
	 * side in another role than its private side (a typo), 1:1. */
	expect_errors(m, LAB_ROLES "[nat]\nmap = 10.0.1.99 -> 203.0.113.99, 10.0.1.10 -> 203.0.113.11\n",
		      "s.ini:7: [nat] map: 10.0.1.99 is in no Edge role\n"
		      "s.ini:7: [nat] map: 203.0.113.11 is not in role 'access_edge' beside 10.0.1.10 (list both "
		      "addresses in the role)");
	expect_errors(m,
		      "[roles]\naccess_edge = 10.0.1.10, 10.0.1.20, 203.0.113.10\nwebconf_edge = 10.0.1.11\n"
		      "av_edge = 10.0.1.12\nedge_internal = 172.16.0.10\n"
		      "[nat]\nmap = 10.0.1.10 -> 203.0.113.10, 10.0.1.20 -> 203.0.113.10\n",
		      "s.ini:7: [nat] map: 203.0.113.10 is the public side of two mappings (a 1:1 NAT)");
	/* The NAT device is not the Edge; inside addresses are hosts. */
	expect_errors(m, LAB_ROLES "[nat]\ninside = 10.0.1.0/24\n",
		      "s.ini:7: [nat] inside 10.0.1.0/24 overlaps Edge role 'access_edge' (10.0.1.10/32): the NAT "
		      "device is not the Edge\n"
		      "s.ini:7: [nat] inside 10.0.1.0/24 overlaps Edge role 'webconf_edge' (10.0.1.11/32): the NAT "
		      "device is not the Edge\n"
		      "s.ini:7: [nat] inside 10.0.1.0/24 overlaps Edge role 'av_edge' (10.0.1.12/32): the NAT "
		      "device is not the Edge");
	expect_errors(m, LAB_ROLES "[nat]\ninside = 224.0.0.1\n",
		      "s.ini:7: [nat] inside: '224.0.0.1' is a multicast, broadcast or unspecified address, not a "
		      "host");
}

/* ---- the NAT finding of a flow ----------------------------------------- */

static ea_flow_record flow(ea_iface iface, uint8_t transport, const char *init, uint16_t sport, const char *resp,
			   uint16_t dport)
{
	ea_flow_record f;
	memset(&f, 0, sizeof f);
	f.iface = iface;
	f.transport = transport;
	f.init_addr = addr(init);
	f.resp_addr = addr(resp);
	f.init_port = sport;
	f.resp_port = dport;
	f.proto_source = EA_PROTO_SRC_PAYLOAD;
	snprintf(f.master_proto, sizeof f.master_proto, "STUN");
	snprintf(f.app_proto, sizeof f.app_proto, "STUN");
	return f;
}

static ea_nat_kind check(const ea_matrix *m, const ea_site *s, ea_iface iface, const char *init, const char *resp)
{
	ea_flow_record f = flow(iface, 17, init, 40000, resp, 3478);
	return ea_nat_check(m, s, &f);
}

static void test_check_with_nat_inside(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m, LAB_ROLES "client = 10.9.0.0/16\n" LAB_NAT, &s);
	const ea_iface ext = EA_IFACE_EXTERNAL, in = EA_IFACE_INTERNAL;
	/* The NAT's own address to any Edge address, private or public. */
	assert_int_equal(check(m, &s, ext, "10.0.1.1", "10.0.1.12"), EA_NAT_SOURCE);
	assert_int_equal(check(m, &s, ext, "10.0.1.1", "203.0.113.10"), EA_NAT_SOURCE);
	/* Another private source no role holds: the same fault. */
	assert_int_equal(check(m, &s, ext, "10.0.1.254", "10.0.1.12"), EA_NAT_PRIVATE_SOURCE);
	assert_int_equal(check(m, &s, ext, "192.168.7.7", "10.0.1.10"), EA_NAT_PRIVATE_SOURCE);
	assert_int_equal(check(m, &s, ext, "100.64.1.1", "10.0.1.11"), EA_NAT_PRIVATE_SOURCE);
	/* No finding: a public caller (what a 1:1 NAT gives), a private
	 * caller the site declares (client = 10.9.0.0/16), a private caller
	 * to a public Edge address (not through this NAT), the Edge opening
	 * a flow to the NAT, a responder that is no Edge address, and the
	 * internal NIC. */
	assert_int_equal(check(m, &s, ext, "198.51.100.20", "10.0.1.12"), EA_NAT_NONE);
	assert_int_equal(check(m, &s, ext, "10.9.3.4", "10.0.1.12"), EA_NAT_NONE);
	assert_int_equal(check(m, &s, ext, "10.0.1.254", "203.0.113.12"), EA_NAT_NONE);
	assert_int_equal(check(m, &s, ext, "10.0.1.12", "10.0.1.1"), EA_NAT_NONE);
	assert_int_equal(check(m, &s, ext, "10.0.1.1", "10.0.1.99"), EA_NAT_NONE);
	assert_int_equal(check(m, &s, in, "10.0.1.1", "10.0.1.12"), EA_NAT_NONE);
	assert_int_equal(check(m, &s, in, "172.16.0.99", "172.16.0.10"), EA_NAT_NONE);
	/* The Edge's own other address is declared too. */
	assert_int_equal(check(m, &s, ext, "10.0.1.11", "10.0.1.12"), EA_NAT_NONE);
	assert_int_equal(check(m, NULL, ext, "10.0.1.1", "10.0.1.12"), EA_NAT_NONE);
	assert_string_equal(ea_nat_kind_name(EA_NAT_SOURCE), "nat-source");
	assert_string_equal(ea_nat_kind_name(EA_NAT_PRIVATE_SOURCE), "private-source");
	assert_string_equal(ea_nat_kind_name(EA_NAT_NONE), "");
	ea_site_free(&s);
}

static void test_check_without_nat_section(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m, LAB_ROLES, &s);
	assert_int_equal(check(m, &s, EA_IFACE_EXTERNAL, "10.0.1.1", "10.0.1.12"), EA_NAT_PRIVATE_SOURCE);
	assert_int_equal(check(m, &s, EA_IFACE_EXTERNAL, "fd00:99::1", "10.0.1.12"), EA_NAT_PRIVATE_SOURCE);
	assert_int_equal(check(m, &s, EA_IFACE_EXTERNAL, "198.51.100.20", "10.0.1.12"), EA_NAT_NONE);
	ea_site_free(&s);
}

/* The matcher carries the NAT finding beside a verdict that knows
 * nothing of it: the SNATed STUN request is still documented (ext-14:
 * any caller). */
static void test_match_carries_nat(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m, LAB_ROLES LAB_NAT, &s);
	ea_flow_record f = flow(EA_IFACE_EXTERNAL, 17, "10.0.1.1", 42429, "10.0.1.12", 3478);
	ea_match_result mr;
	memset(&mr, 0xff, sizeof mr);
	ea_match(m, &s, &f, &mr);
	assert_int_equal(mr.verdict, EA_VERDICT_DOCUMENTED);
	assert_int_equal(mr.nat, EA_NAT_SOURCE);
	f = flow(EA_IFACE_EXTERNAL, 6, "10.0.1.1", 40000, "10.0.1.10", 22);
	memset(&mr, 0xff, sizeof mr);
	ea_match(m, &s, &f, &mr);
	assert_int_equal(mr.verdict, EA_VERDICT_UNEXPECTED);
	assert_int_equal(mr.nat, EA_NAT_SOURCE);
	f = flow(EA_IFACE_EXTERNAL, 17, "198.51.100.20", 42429, "10.0.1.12", 3478);
	ea_match(m, &s, &f, &mr);
	assert_int_equal(mr.nat, EA_NAT_NONE);
	ea_site_free(&s);
}

/* ---- pairing the two sides --------------------------------------------- */

static ea_natpair_flow pflow(uint8_t transport, const char *init, uint16_t sport, const char *resp, uint16_t dport,
			     bool one_way)
{
	ea_natpair_flow f;
	memset(&f, 0, sizeof f);
	f.transport = transport;
	f.init_addr = addr(init);
	f.resp_addr = addr(resp);
	f.init_port = sport;
	f.resp_port = dport;
	ea_community_id(0, transport, &f.init_addr, &f.resp_addr, sport, dport, one_way, f.community_id);
	return f;
}

/* The lab's flows on both sides: one inbound and one outbound flow per
 * Edge address, and an ICMP echo. */
static size_t lab_flows(ea_natpair_flow *out)
{
	static const struct {
		uint8_t t;
		const char *init, *init_pub;
		uint16_t sport;
		const char *resp, *resp_pub;
		uint16_t dport;
	} rows[] = {
		{6, "198.51.100.20", "198.51.100.20", 40001, "10.0.1.10", "203.0.113.10", 443},
		{6, "10.0.1.10", "203.0.113.10", 40002, "198.51.100.30", "198.51.100.30", 5061},
		{6, "198.51.100.20", "198.51.100.20", 40003, "10.0.1.11", "203.0.113.11", 443},
		{17, "198.51.100.20", "198.51.100.20", 40004, "10.0.1.12", "203.0.113.12", 3478},
		{17, "10.0.1.12", "203.0.113.12", 50010, "198.51.100.31", "198.51.100.31", 50110},
		{1, "198.51.100.20", "198.51.100.20", 8, "10.0.1.10", "203.0.113.10", 0},
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		out[n++] = pflow(rows[i].t, rows[i].init, rows[i].sport, rows[i].resp, rows[i].dport, false);
		out[n++] = pflow(rows[i].t, rows[i].init_pub, rows[i].sport, rows[i].resp_pub, rows[i].dport, false);
	}
	return n;
}

static const ea_natpair_mapping *row_of(const ea_natpair_result *r, const char *priv)
{
	ea_addr p = addr(priv);
	for (unsigned i = 0; i < r->n; i++)
		if (ea_addr_cmp(&r->maps[i].private_addr, &p) == 0)
			return &r->maps[i];
	fail_msg("no row for %s", priv);
	return NULL;
}

static void expect_row(const ea_natpair_result *r, const char *priv, const char *pub, ea_natmap_status st,
		       uint64_t flows, uint64_t unpaired)
{
	const ea_natpair_mapping *row = row_of(r, priv);
	char got[EA_ADDR_STRLEN];
	if (pub) {
		assert_true(row->has_public);
		assert_string_equal(ea_addr_str(&row->public_addr, got), pub);
		assert_non_null(strstr(row->example_community_id, "1:"));
	} else {
		assert_false(row->has_public);
	}
	assert_string_equal(ea_natmap_status_name(row->status), ea_natmap_status_name(st));
	assert_int_equal(row->flows, flows);
	assert_int_equal(row->unpaired, unpaired);
}

static void test_pair_as_mapped(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m, LAB_ROLES LAB_NAT, &s);
	ea_natpair_flow flows[16];
	size_t n = lab_flows(flows);
	ea_natpair_result r;
	char err[256];
	assert_int_equal(ea_natpair(m, &s, flows, n, &r, err, sizeof err), EA_OK);
	assert_true(r.public_side);
	assert_int_equal(r.private_flows, 6);
	assert_int_equal(r.paired, 6);
	assert_int_equal(r.n, 3);
	/* In address order. */
	char a[EA_ADDR_STRLEN];
	assert_string_equal(ea_addr_str(&r.maps[0].private_addr, a), "10.0.1.10");
	assert_string_equal(ea_addr_str(&r.maps[2].private_addr, a), "10.0.1.12");
	expect_row(&r, "10.0.1.10", "203.0.113.10", EA_NATMAP_OK, 3, 0);
	expect_row(&r, "10.0.1.11", "203.0.113.11", EA_NATMAP_OK, 1, 0);
	expect_row(&r, "10.0.1.12", "203.0.113.12", EA_NATMAP_OK, 2, 0);
	assert_int_equal(r.maps[0].role, (unsigned)ea_matrix_role_index(m, "access_edge"));
	char line[512];
	ea_natpair_summary(&r, line, sizeof line);
	assert_string_equal(line, "NAT: 6 of 6 flows of the Edge's private addresses paired with the public side; "
				  "Edge addresses mapped as the site says 3, otherwise 0 (findings), not in the "
				  "site's map 0, unpaired 0");
	ea_natpair_result_free(&r);
	ea_site_free(&s);
}

/* The NAT maps 10.0.1.10 and 10.0.1.11 the other way round from what the
 * site file says (roles and map agree with each other, not with the
 * NAT): both are findings, the A/V Edge is fine. */
static void test_pair_differs(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m,
		"[roles]\naccess_edge = 10.0.1.10, 203.0.113.11\nwebconf_edge = 10.0.1.11, 203.0.113.10\n"
		"av_edge = 10.0.1.12, 203.0.113.12\nedge_internal = 172.16.0.10\n"
		"[nat]\nmap = 10.0.1.10 -> 203.0.113.11, 10.0.1.11 -> 203.0.113.10, 10.0.1.12 -> 203.0.113.12\n",
		&s);
	ea_natpair_flow flows[16];
	size_t n = lab_flows(flows);
	ea_natpair_result r;
	char err[256];
	assert_int_equal(ea_natpair(m, &s, flows, n, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n, 3);
	expect_row(&r, "10.0.1.10", "203.0.113.10", EA_NATMAP_DIFFERS, 3, 0);
	expect_row(&r, "10.0.1.11", "203.0.113.11", EA_NATMAP_DIFFERS, 1, 0);
	expect_row(&r, "10.0.1.12", "203.0.113.12", EA_NATMAP_OK, 2, 0);
	char want[EA_ADDR_STRLEN];
	assert_true(row_of(&r, "10.0.1.10")->has_expected);
	assert_string_equal(ea_addr_str(&row_of(&r, "10.0.1.10")->expected_addr, want), "203.0.113.11");
	ea_natpair_result_free(&r);
	ea_site_free(&s);
}

/* An old site file (no [nat]): pairs all the same, nothing to compare. */
static void test_pair_unmapped(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m, LAB_ROLES, &s);
	ea_natpair_flow flows[16];
	size_t n = lab_flows(flows);
	ea_natpair_result r;
	char err[256];
	assert_int_equal(ea_natpair(m, &s, flows, n, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n, 3);
	expect_row(&r, "10.0.1.10", "203.0.113.10", EA_NATMAP_UNMAPPED, 3, 0);
	assert_false(row_of(&r, "10.0.1.10")->has_expected);
	ea_natpair_result_free(&r);
	ea_site_free(&s);
}

/* Flows with no partner on the public side: counted on the address's
 * paired row, or, when none of its flows paired, a row of their own. */
static void test_pair_unpaired(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m, LAB_ROLES LAB_NAT, &s);
	ea_natpair_flow flows[32];
	size_t n = lab_flows(flows);
	/* Only on the external NIC: another flow of the Access Edge, and the
	 * Web Conferencing Edge's public-side flow dropped. */
	flows[n++] = pflow(6, "198.51.100.21", 40100, "10.0.1.10", 443, false);
	for (size_t i = 0; i < n; i++) {
		char a[EA_ADDR_STRLEN];
		if (strcmp(ea_addr_str(&flows[i].resp_addr, a), "203.0.113.11") == 0) {
			flows[i] = flows[--n];
			break;
		}
	}
	ea_natpair_result r;
	char err[256];
	assert_int_equal(ea_natpair(m, &s, flows, n, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.private_flows, 7);
	assert_int_equal(r.paired, 5);
	expect_row(&r, "10.0.1.10", "203.0.113.10", EA_NATMAP_OK, 3, 1);
	expect_row(&r, "10.0.1.11", NULL, EA_NATMAP_UNPAIRED, 0, 1);
	expect_row(&r, "10.0.1.12", "203.0.113.12", EA_NATMAP_OK, 2, 0);
	ea_natpair_result_free(&r);
	ea_site_free(&s);
}

/* Only the external NIC read (no public Edge address anywhere): nothing
 * to pair, no rows, no summary; and no site at all. */
static void test_pair_one_side_only(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m, LAB_ROLES LAB_NAT, &s);
	ea_natpair_flow all[16], inside[8];
	size_t n = lab_flows(all), k = 0;
	for (size_t i = 0; i < n; i += 2)
		inside[k++] = all[i];
	ea_natpair_result r;
	char err[256], line[256];
	assert_int_equal(ea_natpair(m, &s, inside, k, &r, err, sizeof err), EA_OK);
	assert_false(r.public_side);
	assert_int_equal(r.n, 0);
	ea_natpair_summary(&r, line, sizeof line);
	assert_string_equal(line, "");
	ea_natpair_result_free(&r);
	assert_int_equal(ea_natpair(m, NULL, all, n, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n, 0);
	assert_int_equal(ea_natpair(m, &s, NULL, 0, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n, 0);
	ea_site_free(&s);
}

/* A one-way ICMP message (hashed in the order given) pairs too. */
static void test_pair_icmp_one_way(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m, LAB_ROLES LAB_NAT, &s);
	ea_natpair_flow flows[2] = {
		pflow(1, "198.51.100.20", 3, "10.0.1.12", 3, true),
		pflow(1, "198.51.100.20", 3, "203.0.113.12", 3, true),
	};
	ea_natpair_result r;
	char err[256];
	assert_int_equal(ea_natpair(m, &s, flows, 2, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n, 1);
	expect_row(&r, "10.0.1.12", "203.0.113.12", EA_NATMAP_OK, 1, 0);
	ea_natpair_result_free(&r);
	ea_site_free(&s);
}

/* A firewall sends PMTU errors (3/4) and pings from its inside address:
 * ICMP and ICMPv6 flows get no NAT finding (README, "The NAT requirement"). */
static void test_check_icmp_exempt(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	load_ok(m, LAB_ROLES LAB_NAT, &s);
	ea_flow_record f = flow(EA_IFACE_EXTERNAL, 1, "10.0.1.1", 3, "10.0.1.12", 4);
	assert_int_equal(ea_nat_check(m, &s, &f), EA_NAT_NONE);
	f = flow(EA_IFACE_EXTERNAL, 1, "10.0.1.1", 8, "203.0.113.10", 0);
	assert_int_equal(ea_nat_check(m, &s, &f), EA_NAT_NONE);
	f = flow(EA_IFACE_EXTERNAL, 1, "10.0.1.254", 8, "10.0.1.10", 0);
	assert_int_equal(ea_nat_check(m, &s, &f), EA_NAT_NONE);
	f = flow(EA_IFACE_EXTERNAL, 58, "fd00:99::1", 128, "10.0.1.12", 0);
	assert_int_equal(ea_nat_check(m, &s, &f), EA_NAT_NONE);
	/* The same addresses over UDP and TCP still are findings. */
	f = flow(EA_IFACE_EXTERNAL, 6, "10.0.1.1", 40000, "10.0.1.10", 443);
	assert_int_equal(ea_nat_check(m, &s, &f), EA_NAT_SOURCE);
	f = flow(EA_IFACE_EXTERNAL, 17, "10.0.1.254", 40000, "10.0.1.12", 3478);
	assert_int_equal(ea_nat_check(m, &s, &f), EA_NAT_PRIVATE_SOURCE);
	ea_site_free(&s);
}

/* ---- a local file's required roles are not Edge roles ------------------ */

#define LOCAL_ROLES "[role ext_syslog]\nrequired = yes\ndescription = syslog collector\n"    \
		    "[role dns_resolver]\nrequired = yes\ndescription = DNS resolvers\n"            \
		    "[rule local-01]\ninterface = external\ntext = syslog\ntransport = udp\nport = 514\n" \
		    "source = av_edge\ndestination = ext_syslog\nprotocols = Syslog\n"

static void load_local(ea_matrix *m)
{
	char err[4096];
	FILE *f = ea_test_memfile(LOCAL_ROLES);
	if (ea_matrix_load_local(f, "local.matrix", MATRIX_PATH, NULL, m, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	fclose(f);
}

static void test_local_roles_not_edge(void **state)
{
	(void)state;
	ea_matrix m;
	memset(&m, 0, sizeof m);
	char err[4096];
	if (ea_test_load_path(EA_DATA_MATRIX, MATRIX_PATH, &m, NULL, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	load_local(&m);
	int syslog = ea_matrix_role_index(&m, "ext_syslog"), dns = ea_matrix_role_index(&m, "dns_resolver");
	assert_true(syslog >= 0 && dns >= 0);
	assert_true(m.roles[syslog].required);
	assert_false(ea_site_is_edge_role(&m, (unsigned)syslog));
	assert_true(ea_site_is_edge_role(&m, (unsigned)ea_matrix_role_index(&m, "av_edge")));

	/* [nat] inside may be a local role's address (site.c). */
	ea_site s;
	load_ok(&m, LAB_ROLES "ext_syslog = 10.0.1.50\ndns_resolver = 192.0.2.53\n"
			      "[nat]\ninside = 10.0.1.50\nmap = 10.0.1.10 -> 203.0.113.10\n", &s);
	ea_addr a = addr("10.0.1.50"), d = addr("192.0.2.53");
	assert_int_equal(ea_site_edge_role(&s, &m, &a), -1);
	assert_int_equal(ea_site_edge_role(&s, &m, &d), -1);
	ea_site_free(&s);
	/* A map whose private side is a local role's address. */
	expect_errors(&m, LAB_ROLES "ext_syslog = 10.0.1.50\ndns_resolver = 192.0.2.53\n"
				    "[nat]\nmap = 10.0.1.50 -> 203.0.113.50\n",
		      "s.ini:9: [nat] map: 10.0.1.50 is in no Edge role");

	/* natcheck.c: flows to a local role's address are no NAT finding. */
	load_ok(&m, LAB_ROLES "ext_syslog = 10.0.1.50\ndns_resolver = 192.0.2.53\n" LAB_NAT, &s);
	assert_int_equal(check(&m, &s, EA_IFACE_EXTERNAL, "10.0.1.1", "10.0.1.50"), EA_NAT_NONE);
	assert_int_equal(check(&m, &s, EA_IFACE_EXTERNAL, "10.0.1.254", "10.0.1.50"), EA_NAT_NONE);
	assert_int_equal(check(&m, &s, EA_IFACE_EXTERNAL, "10.0.1.1", "10.0.1.12"), EA_NAT_SOURCE);

	/* natpair.c: a local role's public address is no public Edge side,
	 * and a local role's private address is no private Edge end. */
	ea_natpair_flow flows[3] = {
		pflow(17, "10.0.1.10", 40000, "192.0.2.53", 53, false),
		pflow(17, "10.0.1.12", 514, "10.0.1.50", 514, false),
		pflow(6, "198.51.100.20", 40001, "10.0.1.10", 443, false),
	};
	ea_natpair_result r;
	assert_int_equal(ea_natpair(&m, &s, flows, 3, &r, err, sizeof err), EA_OK);
	assert_false(r.public_side);
	assert_int_equal(r.n, 0);
	ea_natpair_result_free(&r);
	ea_site_free(&s);
	ea_matrix_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_ranges),
		cmocka_unit_test(test_site_nat_parsed),
		cmocka_unit_test(test_site_nat_errors),
		cmocka_unit_test(test_check_with_nat_inside),
		cmocka_unit_test(test_check_without_nat_section),
		cmocka_unit_test(test_match_carries_nat),
		cmocka_unit_test(test_pair_as_mapped),
		cmocka_unit_test(test_pair_differs),
		cmocka_unit_test(test_pair_unmapped),
		cmocka_unit_test(test_pair_unpaired),
		cmocka_unit_test(test_pair_one_side_only),
		cmocka_unit_test(test_pair_icmp_one_way),
		cmocka_unit_test(test_check_icmp_exempt),
		cmocka_unit_test(test_local_roles_not_edge),
	};
	return cmocka_run_group_tests(tests, load_matrix, free_matrix);
}
