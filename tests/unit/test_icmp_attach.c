/* test_icmp_attach.c — an ICMP error joins the flow it quotes: the
 * direction it is counted in, a TCP attempt stays unanswered, NAT that
 * left the quote alone, and what stays an orphan (unknown, ended, lying,
 * an error about an error). */
#include "testutil.h"

#include "engine/direction.h"
#include "engine/flow.h"
#include "engine/icmp_attach.h"
#include "util/ipproto.h"

typedef struct {
	unsigned ended;
	ea_flow last;
} ended_log;

static void on_end(void *ctx, ea_flow *f, ea_end_reason why)
{
	ended_log *log = ctx;
	(void)why;
	log->ended++;
	log->last = *f;
}

static ea_flow_table *table(ended_log *log)
{
	static ea_port_ranks r;
	ea_port_ranks_build(&r, NULL, NULL);
	r.udp[3478] = 3;
	r.tcp[443] = 3;
	return ea_flow_table_new(100, 7, &r, on_end, log);
}

static ea_addr addr(const char *s)
{
	ea_prefix p;
	char err[64];
	assert_true(ea_prefix_parse(s, &p, err, sizeof err));
	return p.addr;
}

static ea_packet pkt(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto,
		     uint8_t flags, uint64_t ts_us)
{
	ea_packet p;
	memset(&p, 0, sizeof p);
	p.src = addr(src);
	p.dst = addr(dst);
	p.ip_version = p.src.b[0] == 0 ? 4 : 6;
	p.sport = sport;
	p.dport = dport;
	p.proto = proto;
	p.tcp_flags = flags;
	p.ts_us = ts_us;
	p.ip_len = 100;
	return p;
}

/* An ICMP (IPv4) error from src to dst quoting an IPv4 packet
 * qsrc:qsport → qdst:qdport of qproto; buf holds the quote. */
static ea_packet v4_error(uint8_t *buf, const char *src, const char *dst, uint8_t type, uint8_t code,
			  const char *qsrc, uint16_t qsport, const char *qdst, uint16_t qdport, uint8_t qproto,
			  uint64_t ts_us)
{
	ea_packet p = pkt(src, type, dst, code, EA_IPPROTO_ICMP, 0, ts_us);
	p.icmp_oneway = true;
	ea_addr a = addr(qsrc), b = addr(qdst);
	memset(buf, 0, 28);
	buf[0] = 0x45;
	buf[9] = qproto;
	memcpy(buf + 12, a.b + 12, 4);
	memcpy(buf + 16, b.b + 12, 4);
	buf[20] = (uint8_t)(qsport >> 8);
	buf[21] = (uint8_t)qsport;
	buf[22] = (uint8_t)(qdport >> 8);
	buf[23] = (uint8_t)qdport;
	p.payload = buf;
	p.payload_len = 28;
	p.ip_len = 56;
	return p;
}

static void port_unreachable_counts_on_the_stun_flow(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = table(&log);
	bool fwd;
	ea_packet req = pkt("198.51.100.20", 48993, "10.0.1.12", 3478, EA_IPPROTO_UDP, 0, 1000);
	ea_packet rsp = pkt("10.0.1.12", 3478, "198.51.100.20", 48993, EA_IPPROTO_UDP, 0, 2000);
	ea_flow *f = ea_flow_table_packet(t, &req, &fwd);
	ea_flow_table_packet(t, &rsp, &fwd);
	/* The client's port unreachable answers the Edge's last reply. */
	uint8_t q[28];
	ea_packet err = v4_error(q, "198.51.100.20", "10.0.1.12", 3, 3, "10.0.1.12", 3478, "198.51.100.20",
				 48993, EA_IPPROTO_UDP, 3000);
	ea_flow *into = NULL;
	assert_int_equal(ea_icmp_attach(t, &err, &into), EA_ICMP_ATTACHED);
	assert_ptr_equal(into, f);
	assert_int_equal(ea_flow_table_active(t), 1); /* no ICMP flow */
	/* Counted towards the quoted sender (the Edge, the responder). */
	assert_int_equal(f->pkts[0], 2);
	assert_int_equal(f->pkts[1], 1);
	assert_int_equal(f->bytes[0], 100 + 56);
	assert_int_equal(f->icmp_errors[0], 1);
	assert_int_equal(f->icmp_errors[1], 0);
	assert_int_equal(f->icmp_last_type, 3);
	assert_int_equal(f->icmp_last_code, 3);
	assert_int_equal(f->last_us, 3000);
	assert_false(f->icmp_orphan);
	/* A second one, a time exceeded: the count grows, the last changes. */
	err.sport = 11;
	err.dport = 0;
	err.ts_us = 4000;
	assert_int_equal(ea_icmp_attach(t, &err, NULL), EA_ICMP_ATTACHED);
	assert_int_equal(f->icmp_errors[0], 2);
	assert_int_equal(f->icmp_last_type, 11);
	ea_flow_table_free(t);
}

static void an_unreachable_syn_stays_unanswered(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = table(&log);
	bool fwd;
	ea_packet syn = pkt("10.0.1.12", 40000, "198.51.100.31", 443, EA_IPPROTO_TCP, EA_TCP_SYN, 1000);
	ea_flow *f = ea_flow_table_packet(t, &syn, &fwd);
	uint8_t q[28];
	ea_packet err = v4_error(q, "198.51.100.1", "10.0.1.12", 3, 13, "10.0.1.12", 40000, "198.51.100.31",
				 443, EA_IPPROTO_TCP, 2000);
	assert_int_equal(ea_icmp_attach(t, &err, NULL), EA_ICMP_ATTACHED);
	/* Towards the initiator, who sent the SYN; still no answer from TCP. */
	assert_int_equal(f->pkts[1], 1);
	assert_int_equal(f->icmp_errors[1], 1);
	assert_int_equal(ea_flow_handshake(f), EA_HS_NO_ANSWER);
	ea_flow_table_free(t);
}

static void unknown_and_ended_flows_leave_orphans(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = table(&log);
	bool fwd;
	uint8_t q[28];
	/* Never seen: backscatter of a datagram forged with the Edge's address. */
	ea_packet err = v4_error(q, "198.51.100.20", "10.0.1.12", 3, 3, "10.0.1.12", 3478, "198.51.100.20", 9,
				 EA_IPPROTO_UDP, 1000);
	assert_int_equal(ea_icmp_attach(t, &err, NULL), EA_ICMP_ORPHAN);
	assert_int_equal(ea_flow_table_active(t), 0);

	/* Ended and written before the error came (idle timeout): the error
	 * does not reopen it. */
	ea_packet rsp = pkt("10.0.1.12", 3478, "198.51.100.20", 48993, EA_IPPROTO_UDP, 0, 1000);
	ea_flow_table_packet(t, &rsp, &fwd);
	ea_flow_table_expire(t, 1000 + 61 * 1000000ull);
	assert_int_equal(log.ended, 1);
	err = v4_error(q, "198.51.100.20", "10.0.1.12", 3, 3, "10.0.1.12", 3478, "198.51.100.20", 48993,
		       EA_IPPROTO_UDP, 62 * 1000000ull);
	assert_int_equal(ea_icmp_attach(t, &err, NULL), EA_ICMP_ORPHAN);
	assert_int_equal(log.last.icmp_errors[0] + log.last.icmp_errors[1], 0);
	ea_flow_table_free(t);
}

static void nat_that_left_the_quote_alone(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = table(&log);
	bool fwd;
	ea_packet rsp = pkt("10.0.1.12", 3478, "198.51.100.20", 48993, EA_IPPROTO_UDP, 0, 1000);
	ea_flow *f = ea_flow_table_packet(t, &rsp, &fwd);
	/* The client answered the public address; the NAT rewrote the
	 * outer destination only. */
	uint8_t q[28];
	ea_packet err = v4_error(q, "198.51.100.20", "10.0.1.12", 3, 3, "203.0.113.12", 3478, "198.51.100.20",
				 48993, EA_IPPROTO_UDP, 2000);
	assert_int_equal(ea_icmp_attach(t, &err, NULL), EA_ICMP_ATTACHED);
	assert_int_equal(f->icmp_errors[0] + f->icmp_errors[1], 1);
	/* A quote that lies: sent to a third host, naming the Edge's flow. */
	err = v4_error(q, "198.51.100.20", "10.0.1.99", 3, 3, "10.0.1.12", 3478, "198.51.100.20", 48993,
		       EA_IPPROTO_UDP, 3000);
	assert_int_equal(ea_icmp_attach(t, &err, NULL), EA_ICMP_ORPHAN);
	assert_int_equal(f->icmp_errors[0] + f->icmp_errors[1], 1);
	ea_flow_table_free(t);
}

static void an_error_about_an_error_joins_nothing(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = table(&log);
	bool fwd;
	/* An ICMP flow of a port unreachable 10.0.1.12 → 198.51.100.20 ... */
	ea_packet first = pkt("10.0.1.12", 3, "198.51.100.20", 3, EA_IPPROTO_ICMP, 0, 1000);
	first.icmp_oneway = true;
	ea_flow *f = ea_flow_table_packet(t, &first, &fwd);
	/* ... and a time exceeded quoting that error: not attributed to it,
	 * nor to the flow the inner error quotes. */
	uint8_t q[28];
	ea_packet err = v4_error(q, "198.51.100.1", "10.0.1.12", 11, 0, "10.0.1.12", 0, "198.51.100.20", 0,
				 EA_IPPROTO_ICMP, 2000);
	q[20] = 3; /* quoted type, code: a port unreachable */
	q[21] = 3;
	assert_int_equal(ea_icmp_attach(t, &err, NULL), EA_ICMP_ORPHAN);
	assert_int_equal(f->pkts[0] + f->pkts[1], 1);
	assert_int_equal(f->icmp_errors[0] + f->icmp_errors[1], 0);
	ea_flow_table_free(t);
}

static void a_time_exceeded_joins_the_ping(void **state)
{
	ended_log log = {0};
	ea_flow_table *t = table(&log);
	bool fwd;
	ea_packet echo = pkt("10.0.1.10", 8, "192.0.2.53", 0, EA_IPPROTO_ICMP, 0, 1000);
	ea_flow *f = ea_flow_table_packet(t, &echo, &fwd);
	uint8_t q[28];
	ea_packet err = v4_error(q, "10.0.1.1", "10.0.1.10", 11, 0, "10.0.1.10", 0, "192.0.2.53", 0,
				 EA_IPPROTO_ICMP, 2000);
	q[20] = 8; /* the quoted echo request */
	assert_int_equal(ea_icmp_attach(t, &err, NULL), EA_ICMP_ATTACHED);
	assert_int_equal(f->icmp_errors[1], 1);
	/* The echo request itself is no error. */
	assert_int_equal(ea_icmp_attach(t, &echo, NULL), EA_ICMP_NOT_ERROR);
	ea_flow_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(port_unreachable_counts_on_the_stun_flow),
		cmocka_unit_test(an_unreachable_syn_stays_unanswered),
		cmocka_unit_test(unknown_and_ended_flows_leave_orphans),
		cmocka_unit_test(nat_that_left_the_quote_alone),
		cmocka_unit_test(an_error_about_an_error_joins_nothing),
		cmocka_unit_test(a_time_exceeded_joins_the_ping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
