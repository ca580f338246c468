/* test_extract.c — finding a flow's frames again (engine/extract.h): both
 * directions, flows of one 5-tuple told apart by time, both fragments of
 * a fragmented SYN, the run's filter, and the copy in file order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine/extract.h"
#include "testutil.h"

#define LAB EA_TOPDIR "/pcaps/lab-external.pcap"
#define FRAG EA_TOPDIR "/../shared/cases/frag_syn_tcp_options.pcap"

static ea_extract_flow flow(const char *a, uint16_t ap, const char *b, uint16_t bp, uint8_t transport)
{
	ea_extract_flow f = {.transport = transport, .initiator_port = ap, .responder_port = bp,
			     .first_us = 0, .last_us = UINT64_MAX};
	ea_prefix p;
	char err[128];
	assert_true(ea_prefix_parse(a, &p, err, sizeof err));
	f.initiator = p.addr;
	assert_true(ea_prefix_parse(b, &p, err, sizeof err));
	f.responder = p.addr;
	return f;
}

typedef struct {
	uint64_t ts[64];
	uint64_t numbers[64];
	size_t n;
} seen;

static ea_status keep(void *ctx, const ea_frame *frame, const ea_extract_hit *hit, char *errbuf, size_t errlen)
{
	seen *s = ctx;
	assert_int_equal(frame->number, hit->number);
	assert_true(s->n < 64);
	s->ts[s->n] = frame->ts_us;
	s->numbers[s->n++] = frame->number;
	return EA_OK;
}

static void both_directions_in_file_order(void **state)
{
	(void)state;
	char err[512];
	/* The lab's DNS-over-TCP flow: 10 frames, 5 each way (tshark agrees). */
	ea_extract_flow f = flow("10.0.1.10", 41995, "192.0.2.53", 53, 6);
	ea_extract_result r;
	assert_int_equal(ea_extract_scan(LAB, &f, 1, NULL, NULL, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n_hits, 10);
	assert_int_equal(r.frames, 692);
	for (size_t i = 1; i < r.n_hits; i++)
		assert_true(r.hits[i].number > r.hits[i - 1].number);
	assert_int_equal(r.hits[0].linktype, 1);
	seen s = {.n = 0};
	assert_int_equal(ea_extract_copy(LAB, &r, keep, &s, err, sizeof err), EA_OK);
	assert_int_equal(s.n, 10);
	ea_extract_free(&r);
	/* The reversed key is not another flow: the same frames. */
	ea_extract_flow rev = flow("192.0.2.53", 53, "10.0.1.10", 41995, 6);
	assert_int_equal(ea_extract_scan(LAB, &rev, 1, NULL, NULL, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n_hits, 10);
	ea_extract_free(&r);
	/* Another transport with the same endpoints: nothing. */
	ea_extract_flow udp = flow("10.0.1.10", 41995, "192.0.2.53", 53, 17);
	assert_int_equal(ea_extract_scan(LAB, &udp, 1, NULL, NULL, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n_hits, 0);
	ea_extract_free(&r);
}

static void one_tuple_split_by_time(void **state)
{
	(void)state;
	char err[512];
	ea_extract_flow f = flow("10.0.1.10", 41995, "192.0.2.53", 53, 6);
	ea_extract_result r;
	assert_int_equal(ea_extract_scan(LAB, &f, 1, NULL, NULL, &r, err, sizeof err), EA_OK);
	seen s = {.n = 0};
	assert_int_equal(ea_extract_copy(LAB, &r, keep, &s, err, sizeof err), EA_OK);
	ea_extract_free(&r);
	assert_int_equal(s.n, 10);
	/* Two flows of that tuple: the first ends at the 4th frame, the
	 * second starts at the 5th: each gets its own frames only. */
	ea_extract_flow two[2] = {f, f};
	two[0].first_us = s.ts[0];
	two[0].last_us = s.ts[3];
	two[1].first_us = s.ts[4];
	two[1].last_us = s.ts[9];
	assert_true(s.ts[3] < s.ts[4]);
	assert_int_equal(ea_extract_scan(LAB, two, 2, NULL, NULL, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n_hits, 10);
	for (size_t i = 0; i < r.n_hits; i++) {
		assert_int_equal(r.hits[i].number, s.numbers[i]);
		assert_int_equal(r.hits[i].flow, i < 4 ? 0 : 1);
	}
	ea_extract_free(&r);
	/* A flow whose time holds none of the frames has none. */
	two[0].first_us = s.ts[9] + 1;
	two[0].last_us = s.ts[9] + 2;
	assert_int_equal(ea_extract_scan(LAB, two, 1, NULL, NULL, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n_hits, 0);
	ea_extract_free(&r);
}

static void fragmented_syn_both_fragments(void **state)
{
	(void)state;
	char err[512];
	ea_extract_flow f = flow("192.168.1.100", 12345, "10.0.0.5", 80, 6);
	ea_extract_result r;
	assert_int_equal(ea_extract_scan(FRAG, &f, 1, NULL, NULL, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n_hits, 2);
	assert_int_equal(r.hits[0].number, 1);
	assert_int_equal(r.hits[1].number, 2);
	ea_extract_free(&r);
	/* Another port: the datagram is not that flow's, so no fragment is. */
	f.responder_port = 81;
	assert_int_equal(ea_extract_scan(FRAG, &f, 1, NULL, NULL, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n_hits, 0);
	ea_extract_free(&r);
}

static void the_runs_filter_applies(void **state)
{
	(void)state;
	char err[512];
	ea_filter *udp_only = NULL, *syn_only = NULL;
	assert_int_equal(ea_filter_new("udp", &udp_only, err, sizeof err), EA_OK);
	assert_int_equal(ea_filter_new("tcp[tcpflags] & tcp-syn != 0", &syn_only, err, sizeof err), EA_OK);
	ea_extract_flow f = flow("10.0.1.10", 41995, "192.0.2.53", 53, 6);
	ea_extract_result r;
	assert_int_equal(ea_extract_scan(LAB, &f, 1, udp_only, NULL, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n_hits, 0);
	ea_extract_free(&r);
	assert_int_equal(ea_extract_scan(LAB, &f, 1, syn_only, NULL, &r, err, sizeof err), EA_OK);
	assert_int_equal(r.n_hits, 2); /* SYN and SYN-ACK */
	ea_extract_free(&r);
	ea_filter_free(udp_only);
	ea_filter_free(syn_only);
}

static void missing_capture_is_an_error(void **state)
{
	(void)state;
	char err[512];
	ea_extract_flow f = flow("10.0.1.10", 41995, "192.0.2.53", 53, 6);
	ea_extract_result r;
	assert_int_equal(ea_extract_scan("/nonexistent/x.pcap", &f, 1, NULL, NULL, &r, err, sizeof err), EA_ERR_IO);
	assert_non_null(strstr(err, "x.pcap"));
	assert_null(r.hits);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_directions_in_file_order),
		cmocka_unit_test(one_tuple_split_by_time),
		cmocka_unit_test(fragmented_syn_both_fragments),
		cmocka_unit_test(the_runs_filter_applies),
		cmocka_unit_test(missing_capture_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
