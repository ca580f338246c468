/* test_icmp_quote.c — the packet an ICMP/ICMPv6 error quotes: whole,
 * truncated at every length, the wrong IP version, a fragment, an error
 * quoting an error, and the same read from decoded frames. */
#include "testutil.h"

#include "decode/decode.h"
#include "decode/icmp_quote.h"
#include "util/ipproto.h"

#define LT_RAW 101 /* LINKTYPE_RAW: frames start at the IP header */

/* An IPv4 header (20 bytes, no options) from src to dst carrying proto. */
static size_t put_ipv4(uint8_t *b, uint8_t proto, const uint8_t src[4], const uint8_t dst[4],
		       uint16_t total, uint16_t frag)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, src, 4);
	memcpy(b + 16, dst, 4);
	return 20;
}

/* An IPv6 header (40 bytes) whose Next Header is next. */
static size_t put_ipv6(uint8_t *b, uint8_t next, const uint8_t src[16], const uint8_t dst[16], uint16_t plen)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[4] = (uint8_t)(plen >> 8);
	b[5] = (uint8_t)plen;
	b[6] = next;
	b[7] = 64;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
	return 40;
}

static size_t put_ports(uint8_t *b, uint16_t sport, uint16_t dport)
{
	b[0] = (uint8_t)(sport >> 8);
	b[1] = (uint8_t)sport;
	b[2] = (uint8_t)(dport >> 8);
	b[3] = (uint8_t)dport;
	b[4] = 0;
	b[5] = 8;
	b[6] = b[7] = 0;
	return 8;
}

static const uint8_t AV[4] = {10, 0, 1, 12}, CLIENT[4] = {198, 51, 100, 20};
static const uint8_t EDGE6[16] = {0xfd, 0, 0, 0x16, [15] = 0x10}, HOST6[16] = {0xfd, 0, 0, 0x17, [15] = 0x99};

static void v4_port_unreachable_names_the_udp_flow(void **state)
{
	uint8_t q[64];
	size_t n = put_ipv4(q, EA_IPPROTO_UDP, AV, CLIENT, 1500, 0x4000); /* DF; the total lies: cut quote */
	n += put_ports(q + n, 3478, 48993);
	ea_icmp_quote r;
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 3, 3, q, n, &r), EA_QUOTE_OK);
	assert_int_equal(r.type, 3);
	assert_int_equal(r.code, 3);
	assert_int_equal(r.ip_version, 4);
	assert_int_equal(r.proto, EA_IPPROTO_UDP);
	assert_int_equal(r.sport, 3478);
	assert_int_equal(r.dport, 48993);
	assert_memory_equal(r.src.b + 12, AV, 4);
	assert_memory_equal(r.dst.b + 12, CLIENT, 4);
	/* Four bytes of transport are enough for the ports (RFC 792 promises 8). */
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 11, 0, q, 24, &r), EA_QUOTE_OK);
	assert_int_equal(r.dport, 48993);
}

static void truncated_at_every_length(void **state)
{
	uint8_t q[64];
	size_t n = put_ipv4(q, EA_IPPROTO_TCP, AV, CLIENT, 60, 0);
	n += put_ports(q + n, 443, 49302);
	ea_icmp_quote r;
	for (size_t len = 0; len < 24; len++)
		assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 3, 4, q, len, &r), EA_QUOTE_TRUNCATED);
	/* A header length (options) past the quote's end. */
	q[0] = 0x46;
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 3, 4, q, 22, &r), EA_QUOTE_TRUNCATED);

	uint8_t q6[64];
	size_t n6 = put_ipv6(q6, EA_IPPROTO_UDP, EDGE6, HOST6, 22);
	n6 += put_ports(q6 + n6, 53, 46889);
	for (size_t len = 0; len < 44; len++)
		assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 3, 0, q6, len, &r), EA_QUOTE_TRUNCATED);
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 3, 0, q6, 44, &r), EA_QUOTE_OK);
	/* NULL with no bytes is an empty quote, not a crash. */
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 1, 4, NULL, 0, &r), EA_QUOTE_TRUNCATED);
}

static void wrong_version_and_bad_header(void **state)
{
	uint8_t q6[64];
	size_t n6 = put_ipv6(q6, EA_IPPROTO_UDP, EDGE6, HOST6, 8);
	n6 += put_ports(q6 + n6, 53, 1);
	ea_icmp_quote r;
	/* ICMP (IPv4) quoting IPv6, ICMPv6 quoting IPv4: not the packet it answers. */
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 3, 3, q6, n6, &r), EA_QUOTE_BAD_VERSION);
	uint8_t q[64];
	size_t n = put_ipv4(q, EA_IPPROTO_UDP, AV, CLIENT, 28, 0);
	n += put_ports(q + n, 1, 2);
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 1, 4, q, n, &r), EA_QUOTE_BAD_VERSION);
	/* Even a cut one says which version it is. */
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 3, 3, q6, 10, &r), EA_QUOTE_BAD_VERSION);
	q[0] = 0x44; /* IHL 4: shorter than an IPv4 header */
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 3, 3, q, n, &r), EA_QUOTE_MALFORMED);
}

static void an_error_quoting_an_error_is_never_attributed(void **state)
{
	uint8_t q[64];
	size_t n = put_ipv4(q, EA_IPPROTO_ICMP, CLIENT, AV, 56, 0);
	q[n] = 3; /* the quoted packet is itself a port unreachable */
	q[n + 1] = 3;
	memset(q + n + 2, 0, 6);
	n += 8;
	ea_icmp_quote r;
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 11, 0, q, n, &r), EA_QUOTE_ICMP_ERROR);
	uint8_t q6[64];
	size_t n6 = put_ipv6(q6, EA_IPPROTO_ICMPV6, HOST6, EDGE6, 8);
	q6[n6] = 2; /* packet too big quoted in a time exceeded */
	memset(q6 + n6 + 1, 0, 7);
	n6 += 8;
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 3, 0, q6, n6, &r), EA_QUOTE_ICMP_ERROR);
	/* A quoted echo request is a query: its flow's Community ID ports. */
	q[20] = 8;
	q[21] = 0;
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 11, 0, q, n, &r), EA_QUOTE_OK);
	assert_int_equal(r.proto, EA_IPPROTO_ICMP);
	assert_int_equal(r.sport, 8);
	assert_int_equal(r.dport, 0);
	assert_false(r.icmp_oneway);
}

static void a_quoted_fragment(void **state)
{
	uint8_t q[64];
	ea_icmp_quote r;
	/* A later fragment has no transport header: no ports to name a flow. */
	size_t n = put_ipv4(q, EA_IPPROTO_UDP, AV, CLIENT, 1500, 185); /* offset 1480 */
	memset(q + n, 0xab, 8);
	n += 8;
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 11, 1, q, n, &r), EA_QUOTE_FRAGMENT);
	/* The first fragment (MF, offset 0) holds the ports. */
	n = put_ipv4(q, EA_IPPROTO_UDP, AV, CLIENT, 1500, 0x2000);
	n += put_ports(q + n, 3478, 48993);
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 11, 1, q, n, &r), EA_QUOTE_OK);
	assert_int_equal(r.sport, 3478);

	/* IPv6: hop-by-hop options, then a Fragment header. */
	uint8_t q6[96];
	size_t n6 = put_ipv6(q6, 0, EDGE6, HOST6, 1400);
	memset(q6 + n6, 0, 8);
	q6[n6] = 44; /* hop-by-hop: next is Fragment, length 0 (8 bytes) */
	n6 += 8;
	size_t frag_at = n6;
	memset(q6 + n6, 0, 8);
	q6[n6] = EA_IPPROTO_UDP;
	q6[n6 + 2] = 0x05; /* offset 0x05c8 >> 3 = 185 units */
	q6[n6 + 3] = 0xc8;
	n6 += 8;
	n6 += put_ports(q6 + n6, 5061, 47954);
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 2, 0, q6, n6, &r), EA_QUOTE_FRAGMENT);
	q6[frag_at + 2] = 0;
	q6[frag_at + 3] = 1; /* offset 0, M set: the first fragment */
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 2, 0, q6, n6, &r), EA_QUOTE_OK);
	assert_int_equal(r.proto, EA_IPPROTO_UDP);
	assert_int_equal(r.sport, 5061);
	assert_int_equal(r.dport, 47954);
	/* Cut inside the Fragment header. */
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 2, 0, q6, frag_at + 5, &r), EA_QUOTE_TRUNCATED);
}

static void endless_extension_headers_stop(void **state)
{
	uint8_t q6[40 + 8 * 12 + 8];
	size_t n6 = put_ipv6(q6, 60, EDGE6, HOST6, 200);
	for (int i = 0; i < 12; i++, n6 += 8) {
		memset(q6 + n6, 0, 8);
		q6[n6] = 60; /* destination options, again and again */
	}
	ea_icmp_quote r;
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 4, 1, q6, n6, &r), EA_QUOTE_MALFORMED);
}

static void only_errors_quote(void **state)
{
	uint8_t q[28] = {0};
	ea_icmp_quote r;
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 8, 0, q, sizeof q, &r), EA_QUOTE_NOT_ERROR);
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMP, 5, 1, q, sizeof q, &r), EA_QUOTE_NOT_ERROR);
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 128, 0, q, sizeof q, &r), EA_QUOTE_NOT_ERROR);
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_ICMPV6, 135, 0, q, sizeof q, &r), EA_QUOTE_NOT_ERROR);
	assert_int_equal(ea_icmp_quote_parse(EA_IPPROTO_UDP, 3, 3, q, sizeof q, &r), EA_QUOTE_NOT_ERROR);
	assert_true(ea_icmp_is_error(EA_IPPROTO_ICMP, 12));
	assert_true(ea_icmp_is_error(EA_IPPROTO_ICMPV6, 2));
	assert_false(ea_icmp_is_error(EA_IPPROTO_ICMPV6, 5));
	assert_string_equal(ea_quote_result_name(EA_QUOTE_ICMP_ERROR), "icmp-error");
}

static ea_quote_result decode_and_quote(const uint8_t *frame, size_t len, ea_icmp_quote *r)
{
	ea_frame f = {.ts_us = 1, .ts_known = true, .caplen = (uint32_t)len, .wirelen = (uint32_t)len,
		      .linktype = LT_RAW, .data = frame, .number = 1};
	ea_packet p;
	assert_int_equal(ea_decode(&f, &p, NULL), EA_DECODE_OK);
	return ea_icmp_quote_of_packet(&p, r);
}

/* Whole frames through the decoder: ICMPv6 keeps 4 bytes of its header
 * in the payload (the MTU of a packet too big), ICMP none. */
static void from_decoded_frames(void **state)
{
	uint8_t f[200];
	ea_icmp_quote r;
	/* packet too big from the router to the Edge, quoting its TLS segment */
	size_t n = put_ipv6(f, EA_IPPROTO_ICMPV6, (const uint8_t[16]){0xfd, 0, 0, 0x16, [15] = 1}, EDGE6, 8 + 40 + 8);
	memset(f + n, 0, 8);
	f[n] = 2;
	f[n + 6] = 0x05; /* MTU 1280 */
	n += 8;
	n += put_ipv6(f + n, EA_IPPROTO_TCP, EDGE6, HOST6, 1440);
	n += put_ports(f + n, 5061, 47954);
	assert_int_equal(decode_and_quote(f, n, &r), EA_QUOTE_OK);
	assert_int_equal(r.type, 2);
	assert_int_equal(r.proto, EA_IPPROTO_TCP);
	assert_int_equal(r.sport, 5061);
	assert_memory_equal(r.src.b, EDGE6, 16);

	/* fragmentation needed from a router, quoting the Edge's segment */
	n = put_ipv4(f, EA_IPPROTO_ICMP, (const uint8_t[4]){10, 0, 1, 1}, (const uint8_t[4]){10, 0, 1, 10}, 56, 0);
	memset(f + n, 0, 8);
	f[n] = 3;
	f[n + 1] = 4;
	n += 8;
	n += put_ipv4(f + n, EA_IPPROTO_TCP, (const uint8_t[4]){10, 0, 1, 10}, CLIENT, 1500, 0x4000);
	n += put_ports(f + n, 443, 49302);
	assert_int_equal(decode_and_quote(f, n, &r), EA_QUOTE_OK);
	assert_int_equal(r.code, 4);
	assert_int_equal(r.dport, 49302);

	/* an ICMPv6 error cut before its 4-byte field ends */
	n = put_ipv6(f, EA_IPPROTO_ICMPV6, HOST6, EDGE6, 6);
	memset(f + n, 0, 6);
	f[n] = 1;
	f[n + 1] = 4;
	n += 6;
	assert_int_equal(decode_and_quote(f, n, &r), EA_QUOTE_TRUNCATED);
	assert_int_equal(r.type, 1);
	assert_int_equal(r.code, 4);

	/* an echo request is no error */
	n = put_ipv4(f, EA_IPPROTO_ICMP, CLIENT, AV, 28, 0);
	memset(f + n, 0, 8);
	f[n] = 8;
	n += 8;
	assert_int_equal(decode_and_quote(f, n, &r), EA_QUOTE_NOT_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v4_port_unreachable_names_the_udp_flow),
		cmocka_unit_test(truncated_at_every_length),
		cmocka_unit_test(wrong_version_and_bad_header),
		cmocka_unit_test(an_error_quoting_an_error_is_never_attributed),
		cmocka_unit_test(a_quoted_fragment),
		cmocka_unit_test(endless_extension_headers_stop),
		cmocka_unit_test(only_errors_quote),
		cmocka_unit_test(from_decoded_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
