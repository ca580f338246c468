/* test_flow.c — flow table: both directions in one flow, initiator
 * inference, timeouts per class, the hard cap, port reuse, handshakes. */
#include "testutil.h"

#include "engine/direction.h"
#include "engine/flow.h"

typedef struct {
	unsigned ended;
	ea_end_reason reasons[64];
	ea_flow last;
} ended_log;

static void on_end(void *ctx, ea_flow *f, ea_end_reason why)
{
	ended_log *log = ctx;
	if (log->ended < 64)
		log->reasons[log->ended] = why;
	log->ended++;
	log->last = *f;
}

static ea_port_ranks *ranks_with(uint16_t tcp_port)
{
	static ea_port_ranks r;
	ea_port_ranks_build(&r, NULL, NULL);
	r.tcp[tcp_port] = 3;
	r.udp[3478] = 3;
	return &r;
}

static ea_packet pkt(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto,
		     uint8_t flags, uint64_t ts_us)
{
	ea_packet p;
	ea_prefix a, b;
	char err[64];
	memset(&p, 0, sizeof p);
	assert_true(ea_prefix_parse(src, &a, err, sizeof err));
	assert_true(ea_prefix_parse(dst, &b, err, sizeof err));
	p.src = a.addr;
	p.dst = b.addr;
	p.sport = sport;
	p.dport = dport;
	p.proto = proto;
	p.tcp_flags = flags;
	p.ts_us = ts_us;
	p.ip_len = 60;
	return p;
}

static void both_directions_one_flow(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(100, 42, ranks_with(5061), on_end, &log);
	bool fwd;
	ea_packet syn = pkt("198.51.100.30", 40000, "10.0.1.10", 5061, 6, EA_TCP_SYN, 1000);
	ea_packet synack = pkt("10.0.1.10", 5061, "198.51.100.30", 40000, 6, EA_TCP_SYN | EA_TCP_ACK, 2000);
	ea_packet ack = pkt("198.51.100.30", 40000, "10.0.1.10", 5061, 6, EA_TCP_ACK, 3000);
	ea_flow *f1 = ea_flow_table_packet(t, &syn, &fwd);
	assert_true(fwd);
	ea_flow *f2 = ea_flow_table_packet(t, &synack, &fwd);
	assert_ptr_equal(f1, f2);
	assert_false(fwd);
	ea_flow_table_packet(t, &ack, &fwd);
	assert_int_equal(ea_flow_table_active(t), 1);
	assert_int_equal(f1->pkts[0], 2);
	assert_int_equal(f1->pkts[1], 1);
	assert_int_equal(f1->port[1], 5061);
	assert_int_equal(f1->dir_source, EA_DIR_SYN);
	assert_int_equal(ea_flow_handshake(f1), EA_HS_ESTABLISHED);
	assert_int_equal(f1->first_us, 1000);
	assert_int_equal(f1->last_us, 3000);
	ea_flow_table_flush(t, EA_END_EOF);
	assert_int_equal(log.ended, 1);
	assert_int_equal(log.reasons[0], EA_END_EOF);
	ea_flow_table_free(t);
}

static void synack_first_names_receiver_initiator(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(100, 1, ranks_with(443), on_end, &log);
	bool fwd;
	ea_packet synack = pkt("10.0.1.10", 443, "198.51.100.20", 51000, 6, EA_TCP_SYN | EA_TCP_ACK, 1);
	ea_flow *f = ea_flow_table_packet(t, &synack, &fwd);
	assert_false(fwd);
	assert_int_equal(f->port[1], 443);
	assert_int_equal(f->dir_source, EA_DIR_SYN);
	ea_flow_table_flush(t, EA_END_EOF);
	ea_flow_table_free(t);
}

static void midstream_tcp_port_decides(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(100, 1, ranks_with(443), on_end, &log);
	bool fwd;
	/* The first packet seen is the server's answer: port 443 is the responder's,
	 * although 51000 sits in a documented range elsewhere. */
	ea_port_ranks *r = ranks_with(443);
	r->tcp[51000] = 1;
	ea_packet answer = pkt("10.0.1.12", 443, "198.51.100.20", 51000, 6, EA_TCP_ACK | EA_TCP_PSH, 1);
	ea_flow *f = ea_flow_table_packet(t, &answer, &fwd);
	assert_false(fwd);
	assert_int_equal(f->dir_source, EA_DIR_PORT);
	assert_int_equal(f->port[1], 443);
	assert_int_equal(ea_flow_handshake(f), EA_HS_MIDSTREAM);
	/* Client to server mid-flow: still the port that decided. */
	ea_packet req = pkt("198.51.100.21", 52000, "10.0.1.12", 443, 6, EA_TCP_ACK, 2);
	f = ea_flow_table_packet(t, &req, &fwd);
	assert_true(fwd);
	assert_int_equal(f->dir_source, EA_DIR_PORT);
	/* Two unknown ports: the first packet's sender. */
	ea_packet other = pkt("198.51.100.22", 40001, "10.0.1.12", 40002, 6, EA_TCP_ACK, 3);
	f = ea_flow_table_packet(t, &other, &fwd);
	assert_true(fwd);
	assert_int_equal(f->dir_source, EA_DIR_FIRST_PACKET);
	ea_flow_table_flush(t, EA_END_EOF);
	ea_flow_table_free(t);
}

static void udp_answer_first_is_reversed(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(100, 1, ranks_with(443), on_end, &log);
	bool fwd;
	ea_packet answer = pkt("192.0.2.53", 53, "10.0.1.10", 45000, 17, 0, 1);
	ea_flow *f = ea_flow_table_packet(t, &answer, &fwd);
	assert_false(fwd);
	assert_int_equal(f->dir_source, EA_DIR_PORT);
	ea_packet query = pkt("10.0.1.10", 45001, "192.0.2.53", 53, 17, 0, 2);
	f = ea_flow_table_packet(t, &query, &fwd);
	assert_true(fwd);
	assert_int_equal(f->dir_source, EA_DIR_PORT);
	/* Equal ranks: arrival order is all there is. */
	ea_packet peer = pkt("10.0.1.12", 40010, "198.51.100.20", 40020, 17, 0, 3);
	f = ea_flow_table_packet(t, &peer, &fwd);
	assert_true(fwd);
	assert_int_equal(f->dir_source, EA_DIR_FIRST_PACKET);
	assert_int_equal(ea_flow_handshake(f), EA_HS_NOT_TCP);
	ea_flow_table_flush(t, EA_END_EOF);
	ea_flow_table_free(t);
}

static void idle_timeouts_per_class(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(100, 1, ranks_with(443), on_end, &log);
	bool fwd;
	uint64_t s = 1000000;
	ea_packet udp = pkt("10.0.1.12", 50000, "198.51.100.20", 50002, 17, 0, 0);
	ea_packet tcp = pkt("198.51.100.20", 40000, "10.0.1.10", 443, 6, EA_TCP_SYN, 0);
	ea_flow_table_packet(t, &udp, &fwd);
	ea_flow_table_packet(t, &tcp, &fwd);
	ea_flow_table_expire(t, (EA_UDP_IDLE_SEC - 1) * s);
	assert_int_equal(log.ended, 0);
	ea_flow_table_expire(t, (EA_UDP_IDLE_SEC + 1) * s);
	assert_int_equal(log.ended, 1);
	assert_int_equal(log.last.transport, 17);
	assert_int_equal(log.reasons[0], EA_END_IDLE);
	ea_flow_table_expire(t, (EA_TCP_IDLE_SEC - 1) * s);
	assert_int_equal(log.ended, 1);
	ea_flow_table_expire(t, (EA_TCP_IDLE_SEC + 1) * s);
	assert_int_equal(log.ended, 2);
	/* The unanswered SYN ends as an attempt with no answer. */
	assert_int_equal(ea_flow_handshake(&log.last), EA_HS_NO_ANSWER);
	ea_flow_table_free(t);
}

static void closed_tcp_expires_sooner_and_reports_rst(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(100, 1, ranks_with(3389), on_end, &log);
	bool fwd;
	uint64_t s = 1000000;
	ea_packet syn = pkt("198.51.100.20", 40000, "10.0.1.10", 3389, 6, EA_TCP_SYN, 0);
	ea_packet rst = pkt("10.0.1.10", 3389, "198.51.100.20", 40000, 6, EA_TCP_RST | EA_TCP_ACK, 10);
	ea_flow_table_packet(t, &syn, &fwd);
	ea_flow_table_packet(t, &rst, &fwd);
	ea_flow_table_expire(t, (EA_TCP_CLOSED_IDLE_SEC + 1) * s);
	assert_int_equal(log.ended, 1);
	assert_int_equal(log.reasons[0], EA_END_RST);
	assert_int_equal(ea_flow_handshake(&log.last), EA_HS_REJECTED);
	ea_flow_table_free(t);
}

static void cap_evicts_least_recent(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(3, 1, ranks_with(443), on_end, &log);
	bool fwd;
	for (uint16_t i = 0; i < 5; i++) {
		ea_packet p = pkt("198.51.100.20", (uint16_t)(40000 + i), "10.0.1.10", 443, 6, EA_TCP_SYN, i);
		ea_flow_table_packet(t, &p, &fwd);
		assert_true(ea_flow_table_active(t) <= 3);
	}
	assert_int_equal(ea_flow_table_stats(t)->flows_evicted, 2);
	assert_int_equal(log.ended, 2);
	assert_int_equal(log.reasons[0], EA_END_EVICTED);
	assert_int_equal(log.last.port[0], 40001); /* oldest first: 40000 then 40001 */
	ea_flow_table_flush(t, EA_END_EOF);
	assert_int_equal(log.ended, 5);
	ea_flow_table_free(t);
}

static void new_syn_after_close_is_a_new_flow(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(10, 1, ranks_with(443), on_end, &log);
	bool fwd;
	ea_packet syn = pkt("198.51.100.20", 40000, "10.0.1.10", 443, 6, EA_TCP_SYN, 1);
	ea_packet rst = pkt("10.0.1.10", 443, "198.51.100.20", 40000, 6, EA_TCP_RST, 2);
	ea_flow_table_packet(t, &syn, &fwd);
	ea_flow_table_packet(t, &rst, &fwd);
	syn.ts_us = 3;
	ea_flow_table_packet(t, &syn, &fwd);
	assert_int_equal(log.ended, 1);
	assert_int_equal(ea_flow_table_stats(t)->port_reuse_splits, 1);
	assert_int_equal(ea_flow_table_active(t), 1);
	ea_flow_table_flush(t, EA_END_EOF);
	ea_flow_table_free(t);
}

static void many_flows_grow_the_table(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(100000, 7, ranks_with(443), on_end, &log);
	bool fwd;
	for (unsigned i = 0; i < 20000; i++) {
		char src[32];
		snprintf(src, sizeof src, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		ea_packet p = pkt(src, 40000, "10.0.1.10", 443, 6, EA_TCP_SYN, i);
		ea_flow_table_packet(t, &p, &fwd);
	}
	assert_int_equal(ea_flow_table_active(t), 20000);
	/* Every flow is still found from its reply. */
	for (unsigned i = 0; i < 20000; i += 997) {
		char src[32];
		snprintf(src, sizeof src, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		ea_packet r = pkt("10.0.1.10", 443, src, 40000, 6, EA_TCP_SYN | EA_TCP_ACK, 30000);
		ea_flow *f = ea_flow_table_packet(t, &r, &fwd);
		assert_false(fwd);
		assert_int_equal(f->pkts[1], 1);
	}
	assert_int_equal(ea_flow_table_active(t), 20000);
	ea_flow_table_flush(t, EA_END_EOF);
	assert_int_equal(log.ended, 20000);
	ea_flow_table_free(t);
}

static void lost_synack_is_not_an_unanswered_attempt(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(10, 1, ranks_with(443), on_end, &log);
	bool fwd;
	/* SYN, then data both ways: the SPAN port dropped the SYN-ACK. */
	ea_packet syn = pkt("198.51.100.20", 40000, "10.0.1.10", 443, 6, EA_TCP_SYN, 1);
	ea_packet data = pkt("198.51.100.20", 40000, "10.0.1.10", 443, 6, EA_TCP_ACK | EA_TCP_PSH, 2);
	ea_packet answer = pkt("10.0.1.10", 443, "198.51.100.20", 40000, 6, EA_TCP_ACK | EA_TCP_PSH, 3);
	ea_flow *f = ea_flow_table_packet(t, &syn, &fwd);
	ea_flow_table_packet(t, &data, &fwd);
	assert_int_equal(ea_flow_handshake(f), EA_HS_NO_ANSWER);
	ea_flow_table_packet(t, &answer, &fwd);
	assert_int_equal(ea_flow_handshake(f), EA_HS_ESTABLISHED);
	/* An ACK+RST answer alone is a refusal. */
	ea_packet syn2 = pkt("198.51.100.20", 40001, "10.0.1.10", 443, 6, EA_TCP_SYN, 4);
	ea_packet rst = pkt("10.0.1.10", 443, "198.51.100.20", 40001, 6, EA_TCP_RST | EA_TCP_ACK, 5);
	f = ea_flow_table_packet(t, &syn2, &fwd);
	ea_flow_table_packet(t, &rst, &fwd);
	assert_int_equal(ea_flow_handshake(f), EA_HS_REJECTED);
	ea_flow_table_flush(t, EA_END_EOF);
	ea_flow_table_free(t);
}

static void first_seen_is_the_earliest_packet(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = ea_flow_table_new(10, 1, ranks_with(443), on_end, &log);
	bool fwd;
	ea_packet late = pkt("198.51.100.20", 40000, "10.0.1.10", 443, 6, EA_TCP_ACK, 10000000);
	ea_packet early = pkt("10.0.1.10", 443, "198.51.100.20", 40000, 6, EA_TCP_ACK, 5000000);
	ea_flow *f = ea_flow_table_packet(t, &late, &fwd);
	ea_flow_table_packet(t, &early, &fwd);
	assert_int_equal(f->first_us, 5000000);
	assert_int_equal(f->last_us, 10000000);
	ea_flow_table_flush(t, EA_END_EOF);
	ea_flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_directions_one_flow),
		cmocka_unit_test(synack_first_names_receiver_initiator),
		cmocka_unit_test(midstream_tcp_port_decides),
		cmocka_unit_test(udp_answer_first_is_reversed),
		cmocka_unit_test(idle_timeouts_per_class),
		cmocka_unit_test(closed_tcp_expires_sooner_and_reports_rst),
		cmocka_unit_test(cap_evicts_least_recent),
		cmocka_unit_test(new_syn_after_close_is_a_new_flow),
		cmocka_unit_test(many_flows_grow_the_table),
		cmocka_unit_test(lost_synack_is_not_an_unanswered_attempt),
		cmocka_unit_test(first_seen_is_the_earliest_packet),
	};
	return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
