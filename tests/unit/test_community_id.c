/* test_community_id.c — Community ID v1 against the published vectors.
 *
 * Expected IDs come from corelight/community-id-spec (baseline/README.md
 * tables and baseline/baseline_{deflt,seed1}.json) and from
 * corelight/pycommunityid's tests/communityid_test.py, except the
 * Inverse ND ones (marked): those were computed outside this code base by
 * a SHA-1 over community-id.py's byte layout, a computation that
 * reproduces every published ICMPv6 vector above them. Ports for ICMP are
 * given as the caller passes them (packet.h): sport = type, dport = the
 * counterpart type, or the code for one-way types. */
#include "testutil.h"

#include <arpa/inet.h>

#include "engine/community_id.h"

typedef struct {
	uint16_t seed;
	uint8_t proto;
	const char *src, *dst;
	uint16_t sport, dport;
	bool one_way;
	const char *id;
} vector;

static const vector vectors[] = {
	/* TCP over IPv4 */
	{0, 6, "128.232.110.120", "66.35.250.204", 34855, 80, false, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
	{0, 6, "66.35.250.204", "128.232.110.120", 80, 34855, false, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
	{0, 6, "1.2.3.4", "5.6.7.8", 1122, 3344, false, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
	{0, 6, "10.0.0.1", "10.0.0.2", 10, 11569, false, "1:SXBGMX1lBOwhhoDrZynfROxnhnM="},
	/* UDP over IPv4 */
	{0, 17, "192.168.1.52", "8.8.8.8", 54585, 53, false, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
	{0, 17, "8.8.8.8", "192.168.1.52", 53, 54585, false, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
	{0, 17, "1.2.3.4", "5.6.7.8", 1122, 3344, false, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
	/* SCTP */
	{0, 132, "1.2.3.4", "5.6.7.8", 1122, 3344, false, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
	{0, 132, "192.168.170.8", "192.168.170.56", 7, 7, false, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
	{0, 132, "192.168.170.56", "192.168.170.8", 7, 7, false, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
	/* ICMP echo request and its reply share one ID */
	{0, 1, "192.168.0.89", "192.168.0.1", 8, 0, false, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
	{0, 1, "192.168.0.1", "192.168.0.89", 0, 8, false, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
	{0, 1, "1.2.3.4", "5.6.7.8", 8, 0, false, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
	{0, 1, "5.6.7.8", "1.2.3.4", 0, 8, false, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
	/* One-way ICMP: hashed as sent, never reordered. The type 20 cases
	 * have the larger address first, so a reordering would show. */
	{0, 1, "10.0.0.1", "10.0.0.2", 11, 0, true, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
	{0, 1, "1.2.3.4", "5.6.7.8", 11, 0, true, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk="},
	{0, 1, "192.168.0.89", "192.168.0.1", 20, 0, true, "1:3o2RFccXzUgjl7zDpqmY7yJi8rI="},
	{0, 1, "192.168.0.89", "192.168.0.1", 20, 1, true, "1:tz/fHIDUHs19NkixVVoOZywde+I="},
	/* ICMPv6: echo, neighbour discovery, one-way time exceeded */
	{0, 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	 128, 129, false, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
	{0, 58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
	 129, 128, false, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
	{0, 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, false, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
	{0, 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, false, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
	{0, 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, false, "1:zavyT/cezQr1fmImYCwYnMXbgck="},
	{0, 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	 146, 0, true, "1:fYC8+pz24E+EhANP1EZhpX0Dw10="},
	/* Computed: Inverse ND (141, 142) is one-way in the reference, so
	 * port 2 is the code and the larger address may come first. */
	{0, 58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
	 141, 0, true, "1:n9iaqVNPj+Cn0Y8pob17bVcrQ80="},
	{0, 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	 141, 0, true, "1:0blGdlI91RM7PBsvVOs0Ta7YoAw="},
	{0, 58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
	 142, 0, true, "1:aZ/ikzmAy9q+3VBObg0Q8+qSHCQ="},
	{0, 58, "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, true, "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w="},
	{0, 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0, true, "1:/OGBt9BN1ofenrmSPWYicpij2Vc="},
	{0, 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, true, "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
	/* TCP over IPv6 */
	{0, 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, false,
	 "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
	{0, 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, false,
	 "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
	/* A protocol without ports (RSVP): addresses only */
	{0, 46, "10.1.12.1", "10.1.12.2", 0, 0, false, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
	{0, 46, "10.1.12.2", "10.1.12.1", 0, 0, false, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
	{0, 46, "10.1.24.4", "10.1.12.1", 0, 0, false, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4="},
	{0, 46, "1.2.3.4", "5.6.7.8", 0, 0, false, "1:ikv3kmf89luf73WPz1jOs49S768="},
	{0, 46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	 0, 0, false, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},
	/* Seed 1 */
	{1, 6, "1.2.3.4", "5.6.7.8", 1122, 3344, false, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
	{1, 6, "128.232.110.120", "66.35.250.204", 34855, 80, false, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
	{1, 17, "192.168.1.52", "8.8.8.8", 54585, 53, false, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
	{1, 1, "1.2.3.4", "5.6.7.8", 8, 0, false, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
	{1, 1, "1.2.3.4", "5.6.7.8", 11, 0, true, "1:1DD7cWGC/Yg91YGsQeni8du3pIA="},
	{1, 58, "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, true, "1:OlOWx9psIbBFi7lOCw/4MhlKR9M="},
	{1, 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, false,
	 "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
	{1, 46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	 0, 0, false, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="},
	{1, 46, "10.1.12.2", "10.1.12.1", 0, 0, false, "1:rYir8gphR31noO9iDRQmF/BteEI="},
};

static ea_addr addr(const char *text)
{
	ea_addr a;
	uint8_t raw[16];
	if (inet_pton(AF_INET, text, raw) == 1) {
		ea_addr_from_v4(&a, raw);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, raw), 1);
		ea_addr_from_v6(&a, raw);
	}
	return a;
}

static void compute(const vector *v, bool reversed, char out[EA_COMMUNITY_ID_MAX])
{
	ea_addr s = addr(v->src), d = addr(v->dst);
	/* Poison the buffer so a function that leaves it alone cannot pass. */
	memset(out, 'X', EA_COMMUNITY_ID_MAX);
	if (reversed)
		ea_community_id(v->seed, v->proto, &d, &s, v->dport, v->sport, v->one_way, out);
	else
		ea_community_id(v->seed, v->proto, &s, &d, v->sport, v->dport, v->one_way, out);
}

static void test_published_vectors(void **state)
{
	(void)state;
	char out[EA_COMMUNITY_ID_MAX];
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		compute(&vectors[i], false, out);
		if (strcmp(out, vectors[i].id) != 0)
			fail_msg("vector %zu (%s -> %s proto %u): got %s, want %s", i, vectors[i].src,
				 vectors[i].dst, vectors[i].proto, out, vectors[i].id);
		assert_int_equal(strlen(out), 30);
	}
}

/* Swapping the endpoints must not change a two-way ID, and must change a
 * one-way one (the spec keeps one-way ICMP directional). */
static void test_direction(void **state)
{
	(void)state;
	char fwd[EA_COMMUNITY_ID_MAX], rev[EA_COMMUNITY_ID_MAX];
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		compute(&vectors[i], false, fwd);
		compute(&vectors[i], true, rev);
		if (vectors[i].one_way)
			assert_string_not_equal(fwd, rev);
		else
			assert_string_equal(fwd, rev);
	}
}

/* Same address on both sides (a host talking to itself): the ports decide
 * the order, so both directions still agree. */
static void test_same_address_ordered_by_port(void **state)
{
	(void)state;
	ea_addr a = addr("127.0.0.1");
	char x[EA_COMMUNITY_ID_MAX], y[EA_COMMUNITY_ID_MAX], z[EA_COMMUNITY_ID_MAX];
	ea_community_id(0, 6, &a, &a, 40000, 443, false, x);
	ea_community_id(0, 6, &a, &a, 443, 40000, false, y);
	ea_community_id(0, 6, &a, &a, 40000, 444, false, z);
	assert_string_equal(x, y);
	assert_string_not_equal(x, z);
}

/* For a port-less protocol whatever ports the caller passes are ignored. */
static void test_portless_ignores_ports(void **state)
{
	(void)state;
	ea_addr a = addr("10.1.12.1"), b = addr("10.1.12.2");
	char out[EA_COMMUNITY_ID_MAX];
	ea_community_id(0, 46, &a, &b, 1234, 5678, true, out);
	assert_string_equal(out, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
	/* ESP and GRE are hashed the same way, with their own protocol
	 * number: different from each other and from RSVP. */
	char esp[EA_COMMUNITY_ID_MAX], gre[EA_COMMUNITY_ID_MAX];
	ea_community_id(0, 50, &a, &b, 0, 0, false, esp);
	ea_community_id(0, 47, &b, &a, 0, 0, false, gre);
	assert_string_not_equal(esp, out);
	assert_string_not_equal(gre, out);
	assert_string_not_equal(esp, gre);
	char gre_rev[EA_COMMUNITY_ID_MAX];
	ea_community_id(0, 47, &a, &b, 0, 0, false, gre_rev);
	assert_string_equal(gre, gre_rev);
}

/* The seed changes every ID. */
static void test_seed_matters(void **state)
{
	(void)state;
	ea_addr a = addr("1.2.3.4"), b = addr("5.6.7.8");
	char s0[EA_COMMUNITY_ID_MAX], s1[EA_COMMUNITY_ID_MAX], s2[EA_COMMUNITY_ID_MAX];
	ea_community_id(0, 17, &a, &b, 5060, 5061, false, s0);
	ea_community_id(1, 17, &a, &b, 5060, 5061, false, s1);
	ea_community_id(0xffff, 17, &a, &b, 5060, 5061, false, s2);
	assert_string_not_equal(s0, s1);
	assert_string_not_equal(s1, s2);
	assert_string_not_equal(s0, s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_vectors),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_same_address_ordered_by_port),
		cmocka_unit_test(test_portless_ignores_ports),
		cmocka_unit_test(test_seed_matters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
