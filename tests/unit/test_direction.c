/* test_direction.c — port ranks from the shipped matrix and signatures,
 * and initiator inference without a handshake. */
#include "testutil.h"
#include "dataload.h"

#include <arpa/inet.h>

#include "engine/direction.h"

static ea_port_ranks ranks;
static ea_portsigs sigs; /* the ranks' payload checks read it */

static int setup(void **state)
{
	ea_matrix m;
	char err[4096];
	assert_int_equal(ea_test_load_path(EA_DATA_MATRIX, EA_TOPDIR "/signatures/lync2013-edge.matrix", &m, NULL, err, sizeof err), EA_OK);
	assert_int_equal(ea_test_load_path(EA_DATA_PORTSIGS, EA_TOPDIR "/signatures/ports.sig", &sigs, NULL, err, sizeof err), EA_OK);
	ea_port_ranks_build(&ranks, &m, &sigs);
	ea_matrix_free(&m);
	return 0;
}

static int teardown(void **state)
{
	ea_portsigs_free(&sigs);
	return 0;
}

static void ranks_follow_the_documents(void **state)
{
	assert_int_equal(ea_port_rank(&ranks, 6, 443), EA_PORT_DOCUMENTED);
	assert_int_equal(ea_port_rank(&ranks, 6, 5061), EA_PORT_DOCUMENTED);
	assert_int_equal(ea_port_rank(&ranks, 6, 50002), EA_PORT_DOCUMENTED); /* int-10: a port of its own */
	assert_int_equal(ea_port_rank(&ranks, 17, 3478), EA_PORT_DOCUMENTED);
	assert_int_equal(ea_port_rank(&ranks, 17, 51234), EA_PORT_IN_RANGE);   /* inside the media range only */
	assert_int_equal(ea_port_rank(&ranks, 6, 1000), EA_PORT_PRIVILEGED);   /* privileged, undocumented */
	/* RFC 6335 §6: user ports end at 49151, dynamic ports begin at 49152. */
	assert_int_equal(ea_port_rank(&ranks, 17, 1024), EA_PORT_REGISTERED);
	assert_int_equal(ea_port_rank(&ranks, 17, 6081), EA_PORT_REGISTERED);  /* Geneve: in no document of ours */
	assert_int_equal(ea_port_rank(&ranks, 6, 40000), EA_PORT_REGISTERED);
	assert_int_equal(ea_port_rank(&ranks, 6, 49151), EA_PORT_REGISTERED);
	assert_int_equal(ea_port_rank(&ranks, 6, 49152), EA_PORT_UNKNOWN);
	assert_int_equal(ea_port_rank(&ranks, 17, 60000), EA_PORT_UNKNOWN);
	assert_int_equal(ea_port_rank(&ranks, 17, 0), EA_PORT_UNKNOWN);
	assert_int_equal(ea_port_rank(&ranks, 1, 8), EA_PORT_UNKNOWN);        /* ICMP has no ports to rank */
}

static ea_packet first(uint8_t proto, uint16_t sport, uint16_t dport, uint8_t flags)
{
	ea_packet p;
	memset(&p, 0, sizeof p);
	p.proto = proto;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	uint8_t unicast[4] = {192, 0, 2, 1};
	ea_addr_from_v4(&p.dst, unicast);
	return p;
}

static ea_packet with_payload(ea_packet p, const uint8_t *payload, uint32_t len)
{
	p.payload = payload;
	p.payload_len = len;
	return p;
}

static ea_packet to(ea_packet p, const char *dst)
{
	uint8_t raw[16];
	if (inet_pton(AF_INET, dst, raw) == 1)
		ea_addr_from_v4(&p.dst, raw);
	else if (inet_pton(AF_INET6, dst, raw) == 1)
		ea_addr_from_v6(&p.dst, raw);
	else
		fail_msg("bad test address %s", dst);
	return p;
}

static void check(ea_packet p, bool want_sender, ea_direction_source want_how)
{
	bool sender;
	ea_direction_source how;
	ea_direction_infer(&ranks, &p, &sender, &how);
	assert_int_equal(sender, want_sender);
	assert_int_equal(how, want_how);
}

static void inference(void **state)
{
	check(to(first(6, 51234, 443, EA_TCP_SYN), "10.0.1.10"), true, EA_DIR_SYN);
	check(first(6, 443, 51234, EA_TCP_SYN | EA_TCP_ACK), false, EA_DIR_SYN);
	/* Mid-flow: an ephemeral port inside the media range still loses to 443. */
	check(first(6, 443, 51234, EA_TCP_ACK), false, EA_DIR_PORT);
	check(first(6, 51234, 443, EA_TCP_ACK), true, EA_DIR_PORT);
	/* Two media-range ports: nothing to go on but the first packet. */
	check(first(17, 50010, 50020, 0), true, EA_DIR_FIRST_PACKET);
	/* A DNS answer seen before its query. */
	check(first(17, 53, 40000, 0), false, EA_DIR_PORT);
	/* A UDP query: the first packet and the port agree; the port is recorded. */
	check(first(17, 40000, 53, 0), true, EA_DIR_PORT);
	/* A registered port outweighs a dynamic one, whichever spoke first. */
	check(first(17, 6081, 60000, 0), false, EA_DIR_PORT);
	check(first(17, 60000, 6081, 0), true, EA_DIR_PORT);
	/* No ports at all. */
	check(first(1, 8, 0, 0), true, EA_DIR_FIRST_PACKET);
	check(first(50, 0, 0, 0), true, EA_DIR_FIRST_PACKET);
}

/* A documented range inside the ephemeral range weighs against the first
 * packet, a registered port and the payload (issue 6, D.12). */
static void media_range_is_weak_evidence(void **state)
{
	/* geneve_src_port_5xxxx.pcap: the A/V Edge sends Geneve (version 0,
	 * protocol 0x6558) from 50525 to 6081. Not RTP, not STUN: the range
	 * weighs no more than the registered port, the first packet decides. */
	static const uint8_t geneve[] = {0x00, 0x00, 0x65, 0x58, 0x00, 0x00, 0x0a, 0x00,
					 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	check(with_payload(first(17, 50525, 6081, 0), geneve, sizeof geneve), true, EA_DIR_FIRST_PACKET);
	/* Before: the media range made 6081 the initiator. The same packet
	 * the other way (the Geneve peer speaking first) opens it too. */
	check(with_payload(first(17, 6081, 50525, 0), geneve, sizeof geneve), true, EA_DIR_FIRST_PACKET);
	/* Two media-range ports and no media: the first packet, as ever. */
	check(with_payload(first(17, 50265, 50150, 0), geneve, sizeof geneve), true, EA_DIR_FIRST_PACKET);
	/* Real RTP (version 2, PCMA) from the Edge's media port to a client's
	 * ephemeral port seen first: the range's protocol is there, the Edge
	 * serves. */
	static const uint8_t rtp[] = {0x80, 0x08, 0x12, 0x34, 0x00, 0x00, 0x10, 0x00,
				      0xde, 0xad, 0xbe, 0xef, 0xd5, 0xd5, 0xd5, 0xd5};
	check(with_payload(first(17, 50020, 40000, 0), rtp, sizeof rtp), false, EA_DIR_PORT);
	check(with_payload(first(17, 40000, 50020, 0), rtp, sizeof rtp), true, EA_DIR_PORT);
	/* A STUN binding request from the media port (ICE connectivity check). */
	static const uint8_t stun[] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4,
				       5, 6, 7, 8, 9, 10, 11, 12};
	check(with_payload(first(17, 50020, 40000, 0), stun, sizeof stun), false, EA_DIR_PORT);
	/* The media range's other protocols: an SRTCP receiver report, a
	 * DTLS ClientHello record. */
	static const uint8_t rtcp_rr[46] = {0x81, 201, 0x00, 0x07, 0xde, 0xad, 0xbe, 0xef};
	check(with_payload(first(17, 50020, 40000, 0), rtcp_rr, sizeof rtcp_rr), false, EA_DIR_PORT);
	static const uint8_t dtls_hello[16] = {22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 0};
	check(with_payload(first(17, 50020, 40000, 0), dtls_hello, sizeof dtls_hello), false, EA_DIR_PORT);
	/* No payload to judge (a bare ACK mid-flow): the range still counts. */
	check(first(6, 50040, 47998, EA_TCP_ACK), false, EA_DIR_PORT);
	check(first(17, 50020, 40000, 0), false, EA_DIR_PORT);
	/* Against a dynamic port the range wins even when the payload is not
	 * media: both are ephemeral-looking, but only one is documented. */
	check(with_payload(first(17, 50525, 60000, 0), geneve, sizeof geneve), false, EA_DIR_PORT);
	/* A privileged or documented port is never weighed down. */
	check(with_payload(first(17, 53, 40000, 0), geneve, sizeof geneve), false, EA_DIR_PORT);
	check(with_payload(first(17, 3478, 40000, 0), geneve, sizeof geneve), false, EA_DIR_PORT);
}

/* Replies seen first name the other side; unsolicited messages do not
 * (issue 6, D.13). ICMP "ports" follow Community ID: type, counterpart. */
static void icmp_replies_and_unsolicited_messages(void **state)
{
	/* An echo reply (ICMP type 0, counterpart 8) seen before its request. */
	check(first(1, 0, 8, 0), false, EA_DIR_PORT);
	check(first(58, 129, 128, 0), false, EA_DIR_PORT);
	check(first(1, 14, 13, 0), false, EA_DIR_PORT);   /* timestamp reply */
	check(first(58, 140, 139, 0), false, EA_DIR_PORT); /* node information reply */
	/* icmp6_ra_multicast_initiator.pcap: an unsolicited Router
	 * Advertisement to ff02::1. The router opened it. */
	check(to(first(58, 134, 133, 0), "ff02::1"), true, EA_DIR_FIRST_PACKET);
	/* A router advertisement unicast to one host is still the router's. */
	check(to(first(58, 134, 133, 0), "fe80::1"), true, EA_DIR_FIRST_PACKET);
	check(to(first(1, 9, 10, 0), "224.0.0.1"), true, EA_DIR_FIRST_PACKET); /* RFC 1256 */
	check(first(1, 9, 10, 0), true, EA_DIR_FIRST_PACKET);
	/* Neighbor Advertisement: a reply only with the S flag (RFC 4861 §4.4). */
	static const uint8_t na_solicited[] = {0x60, 0, 0, 0}; /* R=0 S=1 O=1 */
	static const uint8_t na_unsolicited[] = {0x20, 0, 0, 0}; /* O=1 only */
	check(with_payload(to(first(58, 136, 135, 0), "fe80::1"), na_solicited, 4), false, EA_DIR_PORT);
	check(with_payload(to(first(58, 136, 135, 0), "fe80::1"), na_unsolicited, 4), true,
	      EA_DIR_FIRST_PACKET);
	check(with_payload(to(first(58, 136, 135, 0), "ff02::1"), na_unsolicited, 4), true,
	      EA_DIR_FIRST_PACKET);
	check(to(first(58, 136, 135, 0), "fe80::1"), true, EA_DIR_FIRST_PACKET); /* no body captured */
	/* A multicast listener report (MLDv1) is sent unasked as often as asked. */
	check(to(first(58, 131, 130, 0), "ff02::1:3"), true, EA_DIR_FIRST_PACKET);
	/* A redirect has no counterpart: one-way (decode.c sets the flag). */
	ea_packet redirect = to(first(58, 137, 0, 0), "fe80::1");
	redirect.icmp_oneway = true;
	check(redirect, true, EA_DIR_FIRST_PACKET);
}

/* A group address never sends: its flows are opened by the sender,
 * whatever the ports say. */
static void group_destinations_never_initiate(void **state)
{
	check(to(first(17, 53, 40000, 0), "224.0.0.251"), true, EA_DIR_FIRST_PACKET);
	check(to(first(17, 1985, 1985, 0), "224.0.0.102"), true, EA_DIR_FIRST_PACKET);
	check(to(first(17, 67, 68, 0), "255.255.255.255"), true, EA_DIR_FIRST_PACKET);
	check(to(first(17, 547, 546, 0), "ff02::1:2"), true, EA_DIR_FIRST_PACKET);
	/* A unicast destination: the ports decide as before. */
	check(to(first(17, 53, 40000, 0), "192.0.2.1"), false, EA_DIR_PORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranks_follow_the_documents),
		cmocka_unit_test(inference),
		cmocka_unit_test(media_range_is_weak_evidence),
		cmocka_unit_test(icmp_replies_and_unsolicited_messages),
		cmocka_unit_test(group_destinations_never_initiate),
	};
	return cmocka_run_group_tests_name("direction", tests, setup, teardown);
}
