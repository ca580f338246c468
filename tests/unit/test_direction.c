/* test_direction.c — port ranks from the shipped matrix and signatures,
 * and initiator inference without a handshake. */
#include "testutil.h"

#include "direction.h"

static ea_port_ranks ranks;

static int setup(void **state)
{
	ea_matrix m;
	ea_portsigs ps;
	char err[4096];
	assert_int_equal(ea_matrix_load_path(EA_TOPDIR "/signatures/lync2013-edge.matrix", &m, err, sizeof err), EA_OK);
	assert_int_equal(ea_portsigs_load_path(EA_TOPDIR "/signatures/ports.sig", &ps, err, sizeof err), EA_OK);
	ea_port_ranks_build(&ranks, &m, &ps);
	ea_portsigs_free(&ps);
	ea_matrix_free(&m);
	return 0;
}

static void ranks_follow_the_documents(void **state)
{
	assert_int_equal(ea_port_rank(&ranks, 6, 443), 3);
	assert_int_equal(ea_port_rank(&ranks, 6, 5061), 3);
	assert_int_equal(ea_port_rank(&ranks, 6, 50002), 3);   /* int-10: a port of its own */
	assert_int_equal(ea_port_rank(&ranks, 17, 3478), 3);
	assert_int_equal(ea_port_rank(&ranks, 17, 51234), 1);   /* inside the media range only */
	assert_int_equal(ea_port_rank(&ranks, 6, 1000), 2);     /* privileged, undocumented */
	assert_int_equal(ea_port_rank(&ranks, 6, 40000), 0);
	assert_int_equal(ea_port_rank(&ranks, 1, 8), 0);        /* ICMP has no ports to rank */
}

static ea_packet first(uint8_t proto, uint16_t sport, uint16_t dport, uint8_t flags)
{
	ea_packet p;
	memset(&p, 0, sizeof p);
	p.proto = proto;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
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
	check(first(6, 51234, 443, EA_TCP_SYN), true, EA_DIR_SYN);
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
	/* An echo reply (ICMP type 0, counterpart 8) seen before its request. */
	check(first(1, 0, 8, 0), false, EA_DIR_PORT);
	check(first(58, 129, 128, 0), false, EA_DIR_PORT);
	/* No ports at all. */
	check(first(1, 8, 0, 0), true, EA_DIR_FIRST_PACKET);
	check(first(50, 0, 0, 0), true, EA_DIR_FIRST_PACKET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranks_follow_the_documents),
		cmocka_unit_test(inference),
	};
	return cmocka_run_group_tests_name("direction", tests, setup, NULL);
}
