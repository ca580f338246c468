/* test_portsig.c — port signatures: the real file, lookups at range
 * boundaries, and loader errors with their lines. */
#include "testutil.h"
#include "dataload.h"

#include "rules/matrix.h"
#include "rules/portsig.h"

#define PORTS_PATH EA_TOPDIR "/signatures/ports.sig"
#define MATRIX_PATH EA_TOPDIR "/signatures/lync2013-edge.matrix"

static int load_real(void **state)
{
	ea_portsigs *ps = calloc(1, sizeof *ps);
	char err[4096];
	assert_non_null(ps);
	if (ea_test_load_path(EA_DATA_PORTSIGS, PORTS_PATH, ps, NULL, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	*state = ps;
	return 0;
}

static int free_real(void **state)
{
	ea_portsigs_free(*state);
	free(*state);
	return 0;
}

static const char *first(const ea_portsigs *ps, uint8_t transport, uint16_t port)
{
	const ea_port_sig *s = ea_portsigs_lookup(ps, transport, port);
	return s ? s->protocols[0] : "-";
}

static void test_real_file(void **state)
{
	const ea_portsigs *ps = *state;
	assert_true(ps->n > 40);
	for (unsigned i = 1; i < ps->n; i++) {
		const ea_port_sig *a = &ps->sigs[i - 1], *b = &ps->sigs[i];
		assert_true(a->transport < b->transport || (a->transport == b->transport && a->hi < b->lo));
	}
	assert_string_equal(first(ps, 6, 443), "TLS");
	assert_true(ea_port_sig_has(ea_portsigs_lookup(ps, 6, 443), "stun"));
	assert_string_equal(first(ps, 6, 80), "HTTP");
	assert_string_equal(first(ps, 6, 5269), "Jabber");
	assert_string_equal(first(ps, 17, 3478), "STUN");
	assert_string_equal(first(ps, 17, 53), "DNS");
	assert_string_equal(first(ps, 6, 53), "DNS");
	assert_string_equal(first(ps, 6, 22), "SSH");
	assert_string_equal(first(ps, 6, 3389), "RDP");
	assert_string_equal(first(ps, 6, 445), "SMBv23");
	assert_string_equal(first(ps, 6, 5060), "SIP");
	assert_false(ea_port_sig_has(ea_portsigs_lookup(ps, 6, 5061), "SSH"));
	/* The Centralized Logging ports cut the TCP media range in three. */
	assert_string_equal(first(ps, 6, 49999), "-");
	assert_string_equal(first(ps, 6, 50000), "RTP");
	assert_string_equal(first(ps, 6, 50001), "TLS");
	assert_string_equal(first(ps, 6, 50003), "TLS");
	assert_string_equal(first(ps, 6, 50004), "RTP");
	assert_string_equal(first(ps, 6, 59999), "RTP");
	assert_string_equal(first(ps, 6, 60000), "-");
	assert_string_equal(first(ps, 17, 50001), "RTP");
	assert_string_equal(first(ps, 17, 59999), "RTP");
	assert_string_equal(first(ps, 17, 60000), "-");
	assert_string_equal(first(ps, 132, 443), "-"); /* SCTP: no signatures */
}

/* Every port the matrix documents has a signature that accepts at least
 * one of the row's protocols, so an unconfirmed flow is assumed to be
 * something the row could carry. */
static void test_covers_matrix(void **state)
{
	const ea_portsigs *ps = *state;
	ea_matrix m;
	char err[4096];
	if (ea_test_load_path(EA_DATA_MATRIX, MATRIX_PATH, &m, NULL, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	for (unsigned i = 0; i < m.n_rules; i++) {
		const ea_rule *r = &m.rules[i];
		for (uint32_t p = r->port_lo; p <= r->port_hi; p++) {
			const ea_port_sig *s = ea_portsigs_lookup(ps, r->transport, (uint16_t)p);
			if (!s)
				fail_msg("%s: no signature for port %u", r->id, p);
			bool shared = false;
			for (unsigned k = 0; k < r->n_protocols; k++)
				shared |= ea_port_sig_has(s, r->protocols[k]);
			if (!shared)
				fail_msg("%s: port %u signature shares no protocol with the row", r->id, p);
		}
	}
	ea_matrix_free(&m);
}

static ea_status load_text(const char *text, ea_portsigs *ps, char *err, size_t errlen)
{
	FILE *f = ea_test_memfile(text);
	ea_status st = ea_portsigs_load(f, "p.sig", ps, err, errlen);
	fclose(f);
	return st;
}

static void test_lookup_boundaries(void **state)
{
	ea_portsigs ps;
	char err[1024] = "";
	assert_int_equal(load_text("[ports]\n"
				   "udp/100-200 = B\n"
				   "tcp/100-200 = A1, A2\n"
				   "tcp/201 = C\n"
				   "tcp/65535 = MAX\n"
				   "udp/1 = MIN\n"
				   "tcp/300-400 = D\n",
				   &ps, err, sizeof err),
			 EA_OK);
	assert_int_equal(ps.n, 6);
	assert_string_equal(first(&ps, 6, 99), "-");
	assert_string_equal(first(&ps, 6, 100), "A1");
	assert_string_equal(first(&ps, 6, 150), "A1");
	assert_string_equal(first(&ps, 6, 200), "A1");
	assert_string_equal(first(&ps, 6, 201), "C");
	assert_string_equal(first(&ps, 6, 202), "-");
	assert_string_equal(first(&ps, 6, 299), "-");
	assert_string_equal(first(&ps, 6, 300), "D");
	assert_string_equal(first(&ps, 6, 400), "D");
	assert_string_equal(first(&ps, 6, 401), "-");
	assert_string_equal(first(&ps, 6, 65535), "MAX");
	assert_string_equal(first(&ps, 6, 0), "-");
	assert_string_equal(first(&ps, 17, 0), "-");
	assert_string_equal(first(&ps, 17, 1), "MIN");
	assert_string_equal(first(&ps, 17, 2), "-");
	assert_string_equal(first(&ps, 17, 100), "B");
	assert_string_equal(first(&ps, 17, 201), "-");
	const ea_port_sig *s = ea_portsigs_lookup(&ps, 6, 150);
	assert_int_equal(s->line, 3);
	assert_int_equal(s->n_protocols, 2);
	assert_true(ea_port_sig_has(s, "a2"));
	assert_false(ea_port_sig_has(s, "A"));
	assert_false(ea_port_sig_has(NULL, "A1"));
	ea_portsigs_free(&ps);
	assert_null(ea_portsigs_lookup(&ps, 6, 150)); /* empty after free */
}

static void expect_errors(const char *text, const char *want)
{
	ea_portsigs ps;
	char err[4096];
	ea_status st = load_text(text, &ps, err, sizeof err);
	if (st != EA_ERR_CONFIG)
		fail_msg("status %d: %s", st, err);
	assert_string_equal(err, want);
	assert_int_equal(ps.n, 0);
	assert_null(ps.sigs);
}

static void test_err_overlap(void **state)
{
	expect_errors("[ports]\n"
		      "tcp/50000-59999 = RTP\n"
		      "tcp/50001 = TLS\n"
		      "udp/50001 = STUN\n" /* other transport: fine */
		      "tcp/59999-60001 = X\n",
		      "p.sig:3: tcp/50001-50001 overlaps tcp/50000-59999 at line 2\n"
		      "p.sig:5: tcp/59999-60001 overlaps tcp/50000-59999 at line 2");
	/* A wide entry overlapping an entry that is not its neighbour. */
	expect_errors("[ports]\ntcp/1-100 = A\ntcp/10-20 = B\ntcp/50-60 = C\n",
		      "p.sig:3: tcp/10-20 overlaps tcp/1-100 at line 2\n"
		      "p.sig:4: tcp/50-60 overlaps tcp/1-100 at line 2");
	expect_errors("[ports]\ntcp/443 = TLS\ntcp/443 = STUN\n", "p.sig:3: tcp/443-443 overlaps tcp/443-443 at line 2");
}

static void test_err_ranges_and_syntax(void **state)
{
	expect_errors("[ports]\n"
		      "tcp/200-100 = A\n"
		      "tcp/0 = A\n"
		      "tcp/65536 = A\n"
		      "sctp/5 = A\n"
		      "tcp443 = A\n"
		      "tcp/5 =\n"
		      "tcp/6 = A, not a name\n"
		      "tcp/7 = A,,B\n"
		      "tcp/8 = P1,P2,P3,P4,P5,P6,P7,P8,P9,P10,P11,P12,P13,P14,P15,P16,P17\n"
		      "garbage line\n",
		      "p.sig:2: port range '200-100' is empty (200 > 100)\n"
		      "p.sig:3: port '0' is not a number from 1 to 65535\n"
		      "p.sig:4: port '65536' is not a number from 1 to 65535\n"
		      "p.sig:5: transport 'sctp' is not tcp or udp\n"
		      "p.sig:6: 'tcp443' is not TRANSPORT/PORT (e.g. tcp/443)\n"
		      "p.sig:7: tcp/5: no protocols\n"
		      "p.sig:8: tcp/6: 'not a name' is not a protocol name\n"
		      "p.sig:9: tcp/7: empty protocol in the list\n"
		      "p.sig:10: tcp/8: more than 16 protocols\n"
		      "p.sig:11: expected 'key = value'");
	expect_errors("tcp/1 = A\n[ports extra]\ntcp/2 = B\n[signatures]\ntcp/3 = C\n[ports]\ntcp/4 = D\ntcp/4 = E\n",
		      "p.sig:1: 'tcp/1' is outside the [ports] section\n"
		      "p.sig:2: unknown section [ports extra] (expected [ports])\n"
		      "p.sig:4: unknown section [signatures] (expected [ports])\n"
		      "p.sig:8: tcp/4-4 overlaps tcp/4-4 at line 7");
}

/* The same list rules as the matrix: a protocol given twice on a line is
 * a mistake (case-insensitive), and every bad item is listed. */
static void test_err_duplicate_protocol(void **state)
{
	expect_errors("[ports]\n"
		      "tcp/443 = TLS, TLS\n"
		      "tcp/444 = TLS, stun, Stun\n"
		      "udp/53 = DNS, , x y, dns\n"
		      "udp/54 = DNS, MDNS, LLMNR\n", /* fine */
		      "p.sig:2: tcp/443: protocol 'TLS' is listed twice\n"
		      "p.sig:3: tcp/444: protocol 'Stun' is listed twice\n"
		      "p.sig:4: udp/53: empty protocol in the list\n"
		      "p.sig:4: udp/53: 'x y' is not a protocol name\n"
		      "p.sig:4: udp/53: protocol 'dns' is listed twice");
}

static bool fake_known(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "TLS") == 0 || strcmp(name, "DNS") == 0;
}

/* An unknown protocol is reported at its own line among the file's other
 * mistakes, in line order; an empty file is a mistake too. */
static void test_err_checked_protocols(void **state)
{
	const ea_load_checks checks = {.protocol_known = fake_known, .protocol_authority = "nDPI test"};
	FILE *f = ea_test_memfile("[ports]\ntcp/443 = TLS\ntcp/400-500 = DNS\nudp/9 = NoSuchProto\n"
				  "sctp/1 = Other\n");
	ea_portsigs ps;
	char err[1024];
	assert_int_equal(ea_portsigs_load_checked(f, "p.sig", &checks, &ps, err, sizeof err), EA_ERR_CONFIG);
	fclose(f);
	assert_string_equal(err, "p.sig:3: tcp/400-500 overlaps tcp/443-443 at line 2\n"
				 "p.sig:4: udp/9: protocol 'NoSuchProto' is unknown to nDPI test\n"
				 "p.sig:5: transport 'sctp' is not tcp or udp\n"
				 "p.sig:5: sctp/1: protocol 'Other' is unknown to nDPI test");
	expect_errors("# nothing\n[ports]\n", "p.sig: no port signatures (expected [ports] and "
						  "TRANSPORT/PORT = PROTOCOL lines)");
}

/* Coverage of a matrix row's ports: every port, with a shared protocol. */
static void test_cover(void **state)
{
	ea_portsigs ps;
	char err[1024] = "", why[256] = "";
	assert_int_equal(load_text("[ports]\ntcp/100-199 = A, B\ntcp/200 = C\ntcp/202 = A\n", &ps, err, sizeof err),
			 EA_OK);
	const char *a[] = {"a"}, *c[] = {"X", "C"};
	assert_true(ea_portsigs_cover(&ps, 6, 100, 199, a, 1, why, sizeof why));
	assert_true(ea_portsigs_cover(&ps, 6, 200, 200, c, 2, why, sizeof why));
	assert_false(ea_portsigs_cover(&ps, 6, 150, 202, a, 1, why, sizeof why));
	assert_string_equal(why, "tcp/200: its port signature (line 3) lists none of the row's protocols");
	assert_false(ea_portsigs_cover(&ps, 6, 200, 202, c, 2, why, sizeof why));
	assert_string_equal(why, "tcp/201 has no port signature");
	assert_false(ea_portsigs_cover(&ps, 17, 100, 100, a, 1, why, sizeof why));
	assert_string_equal(why, "udp/100 has no port signature");
	ea_portsigs_free(&ps);
}

static void test_load_path_missing(void **state)
{
	ea_portsigs ps;
	char err[256];
	assert_int_equal(ea_test_load_path(EA_DATA_PORTSIGS, "/nonexistent.sig", &ps, NULL, err, sizeof err), EA_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent.sig: cannot open: "));
	assert_int_equal(ps.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_real_file, load_real, free_real),
		cmocka_unit_test_setup_teardown(test_covers_matrix, load_real, free_real),
		cmocka_unit_test(test_lookup_boundaries),
		cmocka_unit_test(test_err_overlap),
		cmocka_unit_test(test_err_ranges_and_syntax),
		cmocka_unit_test(test_err_duplicate_protocol),
		cmocka_unit_test(test_load_path_missing),
		cmocka_unit_test(test_err_checked_protocols),
		cmocka_unit_test(test_cover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
