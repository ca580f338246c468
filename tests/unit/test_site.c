/* test_site.c — site files: the lab's example against the real matrix, and
 * every validation error with its line. */
#include "testutil.h"
#include "dataload.h"

#include <arpa/inet.h>

#include "rules/matrix.h"
#include "rules/site.h"

#define MATRIX_PATH EA_TOPDIR "/signatures/lync2013-edge.matrix"
#define SITE_PATH EA_TOPDIR "/pcaps/site.ini"

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

static bool in_role(const ea_matrix *m, const ea_site *s, const char *role, const char *text)
{
	int r = ea_matrix_role_index(m, role);
	assert_true(r >= 0);
	ea_addr a = addr(text);
	return ea_site_role_contains(s, (unsigned)r, &a);
}

static const ea_role_addrs *role(const ea_matrix *m, const ea_site *s, const char *name)
{
	int r = ea_matrix_role_index(m, name);
	assert_true(r >= 0);
	return &s->roles[r];
}

static void test_example_site(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	char err[4096];
	if (ea_test_load_path(EA_DATA_SITE, SITE_PATH, &s, m, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	assert_int_equal(s.n_roles, m->n_roles);

	assert_true(in_role(m, &s, "access_edge", "10.0.1.10"));
	assert_true(in_role(m, &s, "access_edge", "203.0.113.10"));
	assert_false(in_role(m, &s, "access_edge", "203.0.113.11"));
	assert_true(in_role(m, &s, "webconf_edge", "203.0.113.11"));
	assert_true(in_role(m, &s, "webconf_edge", "10.0.1.11"));
	assert_true(in_role(m, &s, "av_edge", "203.0.113.12"));
	assert_true(in_role(m, &s, "av_edge", "10.0.1.12"));
	assert_true(in_role(m, &s, "edge_internal", "172.16.0.10"));
	assert_true(in_role(m, &s, "edge_internal", "fd00:16::10"));
	assert_false(in_role(m, &s, "edge_internal", "fd00:16::11"));
	assert_false(in_role(m, &s, "edge_internal", "::ffff:172.16.0.11"));
	assert_true(in_role(m, &s, "edge_internal", "::ffff:172.16.0.10")); /* v4-mapped is v4 */
	/* A Standard Edition server plays three optional roles at once. */
	assert_true(in_role(m, &s, "director_pool", "172.16.0.20"));
	assert_true(in_role(m, &s, "front_end", "172.16.0.20"));
	assert_true(in_role(m, &s, "xmpp_gateway", "172.16.0.20"));
	assert_true(in_role(m, &s, "cms_pool", "172.16.0.21"));
	assert_false(in_role(m, &s, "front_end", "172.16.0.21"));

	static const char *unset[] = {"im_partner", "live_messenger", "client", "branch_appliance"};
	for (unsigned i = 0; i < 4; i++) {
		assert_false(role(m, &s, unset[i])->set);
		/* Unset contains nothing: "any" is the matcher's decision. */
		assert_false(in_role(m, &s, unset[i], "198.51.100.7"));
	}
	assert_true(role(m, &s, "access_edge")->set);
	assert_int_equal(role(m, &s, "access_edge")->n, 2);
	assert_true(role(m, &s, "access_edge")->line > 0);
	assert_false(ea_site_role_contains(&s, EA_MAX_ROLES + 3, &(ea_addr){{0}}));
	/* The lab's firewall: its inside address and the 1:1 NAT. */
	assert_true(s.nat.set);
	assert_int_equal(s.nat.n_inside, 1);
	assert_int_equal(s.nat.n_maps, 3);
	ea_addr av = addr("10.0.1.12"), av_pub = addr("203.0.113.12");
	const ea_nat_map *nm = ea_site_nat_map(&s, &av, false);
	assert_non_null(nm);
	assert_int_equal(ea_addr_cmp(&nm->public_addr, &av_pub), 0);
	ea_site_free(&s);
}

/* The four Edge roles, lines 1-5 (a test adds from line 6 on). */
#define EDGE "[roles]\n"                        \
	     "access_edge = 203.0.113.10\n"     \
	     "webconf_edge = 203.0.113.11\n"    \
	     "av_edge = 203.0.113.12\n"         \
	     "edge_internal = 172.16.0.10, fd00:16::10\n"

static ea_status load_text(const ea_matrix *m, const char *text, ea_site *s, char *err, size_t errlen)
{
	FILE *f = ea_test_memfile(text);
	ea_status st = ea_site_load(f, "s.ini", m, s, err, errlen);
	fclose(f);
	return st;
}

static void expect_errors(const ea_matrix *m, const char *text, const char *want)
{
	ea_site s;
	char err[4096];
	ea_status st = load_text(m, text, &s, err, sizeof err);
	if (st != EA_ERR_CONFIG)
		fail_msg("status %d: %s", st, err);
	assert_string_equal(err, want);
	for (unsigned i = 0; i < EA_MAX_ROLES; i++) {
		assert_false(s.roles[i].set);
		assert_null(s.roles[i].prefixes);
	}
}

static void test_minimal_and_overlapping_optionals(void **state)
{
	const ea_matrix *m = *state;
	ea_site s;
	char err[4096] = "";
	ea_status st = load_text(m, EDGE "director_pool = 172.16.1.0/24\nfront_end = 172.16.1.5, 2001:db8::/32\n",
				 &s, err, sizeof err);
	if (st != EA_OK)
		fail_msg("%s", err);
	assert_true(in_role(m, &s, "director_pool", "172.16.1.77"));
	assert_true(in_role(m, &s, "front_end", "2001:db8:ffff::1"));
	assert_false(in_role(m, &s, "front_end", "172.16.1.6"));
	assert_int_equal(role(m, &s, "front_end")->line, 7);
	ea_site_free(&s);
}

static void test_err_unknown_role(void **state)
{
	expect_errors(*state, EDGE "nobody = 10.9.9.9\nAccess_Edge = 10.9.9.8\n",
		      "s.ini:6: unknown role 'nobody' (the matrix does not declare it)\n"
		      "s.ini:7: unknown role 'Access_Edge' (the matrix does not declare it)");
}

/* Addresses no host has, and a line that is not text, are mistakes. */
static void test_err_not_hosts_and_control_characters(void **state)
{
	expect_errors(*state,
		      EDGE "front_end = 224.0.0.102\n"
			   "client = ff02::1, 2001:db8::1\n"
			   "im_partner = 255.255.255.255\n"
			   "cms_pool = 0.0.0.0\n"
			   "director_pool = 10.0.0.0/8, 239.1.0.0/16\n"
			   "live_messenger = 198.51.100.1 \x1b]0;owned\x07\n",
		      "s.ini:6: role 'front_end': '224.0.0.102' is a multicast, broadcast or unspecified address, not a host\n"
		      "s.ini:7: role 'client': 'ff02::1' is a multicast, broadcast or unspecified address, not a host\n"
		      "s.ini:8: role 'im_partner': '255.255.255.255' is a multicast, broadcast or unspecified address, not a host\n"
		      "s.ini:9: role 'cms_pool': '0.0.0.0' is a multicast, broadcast or unspecified address, not a host\n"
		      "s.ini:10: role 'director_pool': '239.1.0.0/16' is a multicast, broadcast or unspecified address, not a host\n"
		      "s.ini:11: line is not UTF-8 text (a control character or an invalid byte)");
}

static void test_err_bad_addresses(void **state)
{
	expect_errors(*state,
		      EDGE "front_end = 172.16.0.300\n"
			   "cms_pool = 172.16.1.1/24\n"
			   "client = 10.0.0.0/33\n"
			   "im_partner = 198.51.100.1, , 198.51.100.2\n"
			   "live_messenger =\n"
			   "director_pool = fe80::1%eth0\n",
		      "s.ini:6: role 'front_end': '172.16.0.300' is not an IP address\n"
		      "s.ini:7: role 'cms_pool': '172.16.1.1/24': address has bits set beyond the /24 prefix\n"
		      "s.ini:8: role 'client': '10.0.0.0/33': prefix length must be 0 to 32\n"
		      "s.ini:9: role 'im_partner': empty address in the list\n"
		      "s.ini:10: role 'live_messenger': no addresses\n"
		      "s.ini:11: role 'director_pool': 'fe80::1%eth0' is not an IP address");
}

/* An address given twice in one role's list is a mistake, as a protocol
 * or role given twice is in the other data files; compared as written,
 * case-insensitively (IPv6 hex digits). */
static void test_err_address_twice(void **state)
{
	expect_errors(*state,
		      EDGE "front_end = 172.16.1.5, 172.16.1.5\n"
			   "cms_pool = 2001:DB8::1, 172.16.2.0/24, 2001:db8::1\n"
			   "client = 10.9.0.0/16, bad, 10.9.0.0/16\n",
		      "s.ini:6: role 'front_end': address '172.16.1.5' is listed twice\n"
		      "s.ini:7: role 'cms_pool': address '2001:db8::1' is listed twice\n"
		      "s.ini:8: role 'client': 'bad' is not an IP address\n"
		      "s.ini:8: role 'client': address '10.9.0.0/16' is listed twice");
}

static void test_err_role_twice(void **state)
{
	expect_errors(*state, EDGE "front_end = 172.16.0.20\nfront_end = 172.16.0.21\n",
		      "s.ini:7: role 'front_end' is already set at line 6");
}

static void test_err_required_missing(void **state)
{
	expect_errors(*state, "[roles]\naccess_edge = 203.0.113.10\nav_edge = 203.0.113.12\n",
		      "s.ini: required role 'webconf_edge' is not set\n"
		      "s.ini: required role 'edge_internal' is not set");
	/* A required role with a bad address is reported once, for the address. */
	expect_errors(*state,
		      "[roles]\naccess_edge = 203.0.113.10\nwebconf_edge = 203.0.113.11\n"
		      "av_edge = x\nedge_internal = 172.16.0.10\n",
		      "s.ini:4: role 'av_edge': 'x' is not an IP address");
}

static void test_err_edge_overlaps(void **state)
{
	/* An Edge address inside another role's prefix, either way round;
	 * listed in line order (the later of the two lines). */
	expect_errors(*state, EDGE "front_end = 172.16.0.0/24\ncms_pool = 203.0.113.12\n",
		      "s.ini:6: Edge role 'edge_internal' (172.16.0.10/32, line 5) overlaps role "
		      "'front_end' (172.16.0.0/24, line 6)\n"
		      "s.ini:7: Edge role 'av_edge' (203.0.113.12/32, line 4) overlaps role "
		      "'cms_pool' (203.0.113.12/32, line 7)");
	/* Two Edge roles sharing an address: one message for the pair. */
	expect_errors(*state,
		      "[roles]\naccess_edge = 203.0.113.10\nwebconf_edge = 203.0.113.0/28\n"
		      "av_edge = 203.0.113.12\nedge_internal = fd00:16::10\n",
		      "s.ini:3: Edge role 'access_edge' (203.0.113.10/32, line 2) overlaps role "
		      "'webconf_edge' (203.0.113.0/28, line 3)\n"
		      "s.ini:4: Edge role 'webconf_edge' (203.0.113.0/28, line 3) overlaps role "
		      "'av_edge' (203.0.113.12/32, line 4)");
	/* IPv6 too. */
	expect_errors(*state, EDGE "director_pool = fd00:16::/64\n",
		      "s.ini:6: Edge role 'edge_internal' (fd00:16::10/128, line 5) overlaps role "
		      "'director_pool' (fd00:16::/64, line 6)");
}

static void test_err_sections(void **state)
{
	expect_errors(*state, "front_end = 172.16.0.20\n" EDGE "[hosts]\nclient = 1.2.3.4\n[roles x]\n",
		      "s.ini:1: 'front_end' is outside the [roles], [nat] and [deployment] sections\n"
		      "s.ini:7: unknown section [hosts] (expected [roles], [nat] or [deployment])\n"
		      "s.ini:9: unknown section [roles x] (expected [roles], [nat] or [deployment])");
}

/* The deployment profile: yes/no per feature, every one yes unless said;
 * an unknown key or value, or a key given twice, is an error at its line. */
static void test_deployment(void **state)
{
	ea_site s;
	char err[4096];
	assert_int_equal(load_text(*state, EDGE, &s, err, sizeof err), EA_OK);
	assert_int_equal(s.off, 0); /* every feature offered, as before profiles */
	ea_site_free(&s);
	assert_int_equal(load_text(*state, EDGE "[deployment]\nxmpp_federation = no\npublic_im = no\n"
					       "sip_federation = yes\n[roles]\nclient = 198.51.100.0/24\n",
				   &s, err, sizeof err),
			 EA_OK);
	assert_int_equal(s.off, (1u << EA_FEATURE_XMPP_FEDERATION) | (1u << EA_FEATURE_PUBLIC_IM));
	assert_int_equal(s.feature_line[EA_FEATURE_SIP_FEDERATION], 9);
	ea_site_free(&s);

	expect_errors(*state, EDGE "[deployment]\nxmpp_federation = no\nfax = no\npublic_im = maybe\n"
			      "xmpp_federation = yes\nxmpp-federation = no\n",
		      "s.ini:8: unknown deployment key 'fax' (known: sip_federation, ocs2007_federation, "
		      "xmpp_federation, public_im, remote_access, web_conferencing, audio_video)\n"
		      "s.ini:9: public_im must be yes or no, not 'maybe'\n"
		      "s.ini:10: 'xmpp_federation' is already set at line 7\n"
		      "s.ini:11: unknown deployment key 'xmpp-federation' (known: sip_federation, ocs2007_federation, "
		      "xmpp_federation, public_im, remote_access, web_conferencing, audio_video)");
}

static void test_err_too_many_addresses(void **state)
{
	char text[8192];
	size_t used = (size_t)snprintf(text, sizeof text, EDGE "client = 10.7.0.1");
	for (unsigned i = 2; i <= EA_MAX_PREFIXES_PER_ROLE + 1; i++)
		used += (size_t)snprintf(text + used, sizeof text - used, ",10.7.%u.%u", i / 250, i % 250);
	snprintf(text + used, sizeof text - used, "\n");
	char want[128];
	snprintf(want, sizeof want, "s.ini:6: role 'client': more than %d addresses", EA_MAX_PREFIXES_PER_ROLE);
	expect_errors(*state, text, want);
}

static void test_load_path_missing(void **state)
{
	ea_site s;
	char err[256];
	assert_int_equal(ea_test_load_path(EA_DATA_SITE, "/nonexistent/site.ini", &s, *state, err, sizeof err), EA_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent/site.ini: cannot open: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_site),
		cmocka_unit_test(test_minimal_and_overlapping_optionals),
		cmocka_unit_test(test_err_unknown_role),
		cmocka_unit_test(test_err_bad_addresses),
		cmocka_unit_test(test_err_not_hosts_and_control_characters),
		cmocka_unit_test(test_err_address_twice),
		cmocka_unit_test(test_err_role_twice),
		cmocka_unit_test(test_err_required_missing),
		cmocka_unit_test(test_err_edge_overlaps),
		cmocka_unit_test(test_err_sections),
		cmocka_unit_test(test_deployment),
		cmocka_unit_test(test_err_too_many_addresses),
		cmocka_unit_test(test_load_path_missing),
	};
	return cmocka_run_group_tests(tests, load_matrix, free_matrix);
}
