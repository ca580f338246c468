/* test_engine.c — one interface's engine fed crafted frames: records reach
 * the sink, the clock tick ends idle flows with no frame coming, the
 * active timeout updates a long flow under one uid, and a ruleset swap
 * judges later flows with its generation. */
#include "testutil.h"
#include "labconfig.h"

#include "engine/engine.h"

#define MAX_RECS 64
#define SEC 1000000ull
#define T0 (1700000000ull * SEC)

typedef struct {
	unsigned n;
	ea_flow_record recs[MAX_RECS];
} sink;

static void collect(void *ctx, const ea_flow_record *rec, const ea_match_result *mr)
{
	sink *s = ctx;
	(void)mr;
	if (s->n < MAX_RECS)
		s->recs[s->n] = *rec;
	s->n++;
}

/* A raw IPv4 (LINKTYPE_RAW) UDP datagram 10.0.0.1:sport → 10.0.0.2:3478
 * carrying 4 bytes, at ts_us. */
static void udp_frame(ea_engine *e, uint16_t sport, uint64_t ts_us)
{
	uint8_t b[32] = {0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
	b[20] = (uint8_t)(sport >> 8);
	b[21] = (uint8_t)sport;
	b[22] = 3478 >> 8;
	b[23] = 3478 & 0xff;
	b[25] = 12; /* UDP length */
	b[28] = 'a';
	ea_frame f = {.ts_us = ts_us, .ts_known = true, .caplen = sizeof b, .wirelen = sizeof b,
		      .linktype = 12, .data = b, .number = 1};
	ea_engine_frame(e, &f);
}

static ea_engine *new_engine(fixture *fx, uint64_t active_us, sink *s)
{
	char err[1024];
	ea_engine *e = NULL;
	ea_engine_config cfg = {.ruleset = fx->ruleset, .iface = EA_IFACE_EXTERNAL, .max_flows = 100,
				.hash_seed = 7, .active_timeout_us = active_us, .emit = collect, .ctx = s};
	memset(s, 0, sizeof *s);
	if (ea_engine_new(&cfg, &e, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	return e;
}

/* Idle expiry with no frame: before the tick existed a UDP flow ended only
 * when a later packet of its interface came, or at the end. */
static void tick_ends_idle_flows(void **state)
{
	sink s;
	ea_engine *e = new_engine(*state, 0, &s);
	udp_frame(e, 40000, T0);
	ea_engine_tick(e, T0 + 30 * SEC);
	assert_int_equal(s.n, 0);
	ea_engine_tick(e, T0 + (EA_UDP_IDLE_SEC + 2) * SEC);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.recs[0].end_reason, EA_END_IDLE);
	assert_int_equal(s.recs[0].pkts[0], 1);
	assert_true(s.recs[0].uid != 0);
	assert_false(s.recs[0].rewrite); /* never updated: the store inserts it */
	assert_int_equal(s.recs[0].generation, 1);
	assert_int_equal(ea_engine_totals(e)->flows, 1);
	assert_int_equal(ea_engine_open_flows(e), 0);
	ea_engine_free(e);
}

/* A flow that lives 35 s with a 10 s active timeout: three updates with
 * growing counts, then its end, all under one uid. */
static void active_timeout_updates_one_uid(void **state)
{
	sink s;
	ea_engine *e = new_engine(*state, 10 * SEC, &s);
	for (unsigned t = 0; t <= 35; t++)
		udp_frame(e, 40001, T0 + t * SEC);
	assert_int_equal(s.n, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(s.recs[i].end_reason, EA_END_ACTIVE);
		assert_true(s.recs[i].rewrite);
		assert_true(s.recs[i].uid == s.recs[0].uid);
		if (i)
			assert_true(s.recs[i].pkts[0] > s.recs[i - 1].pkts[0]);
	}
	assert_int_equal(ea_engine_totals(e)->flows, 0); /* updates are not flows */
	assert_int_equal(ea_engine_totals(e)->updates, 3);
	ea_engine_flush(e, EA_END_SHUTDOWN);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.recs[3].end_reason, EA_END_SHUTDOWN);
	assert_true(s.recs[3].rewrite); /* its row exists: rewritten */
	assert_true(s.recs[3].uid == s.recs[0].uid);
	assert_int_equal(s.recs[3].pkts[0], 36);
	assert_int_equal(ea_engine_totals(e)->flows, 1);
	ea_engine_free(e);
}

/* The tick drives active updates too, on a quiet wire. */
static void tick_drives_active_updates(void **state)
{
	sink s;
	ea_engine *e = new_engine(*state, 10 * SEC, &s);
	udp_frame(e, 40002, T0);
	udp_frame(e, 40002, T0 + 5 * SEC);
	ea_engine_tick(e, T0 + 11 * SEC);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.recs[0].end_reason, EA_END_ACTIVE);
	assert_int_equal(s.recs[0].pkts[0], 2);
	ea_engine_free(e);
}

/* An update with nothing new since the last one is not written: a quiet
 * flow's row already says all of it (it was rewritten every interval). */
static void unchanged_flow_no_update(void **state)
{
	sink s;
	ea_engine *e = new_engine(*state, 10 * SEC, &s);
	udp_frame(e, 40005, T0);
	udp_frame(e, 40005, T0 + 5 * SEC);
	ea_engine_tick(e, T0 + 11 * SEC);
	assert_int_equal(s.n, 1);
	ea_engine_tick(e, T0 + 22 * SEC); /* no packet since: nothing */
	assert_int_equal(s.n, 1);
	assert_int_equal(ea_engine_totals(e)->updates_unchanged, 1);
	udp_frame(e, 40005, T0 + 25 * SEC);
	ea_engine_tick(e, T0 + 33 * SEC); /* a packet since: written */
	assert_int_equal(s.n, 2);
	assert_int_equal(s.recs[1].end_reason, EA_END_ACTIVE);
	assert_int_equal(s.recs[1].pkts[0], 3);
	assert_true(s.recs[1].uid == s.recs[0].uid);
	ea_engine_tick(e, T0 + 44 * SEC);
	assert_int_equal(s.n, 2);
	assert_int_equal(ea_engine_totals(e)->updates, 2);
	/* Its end is written whatever changed. */
	ea_engine_flush(e, EA_END_SHUTDOWN);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.recs[2].end_reason, EA_END_SHUTDOWN);
	ea_engine_free(e);
}

/* Flows judged after a swap carry the new ruleset's generation; the
 * engine holds its own reference, so the caller may drop its own. */
static void set_ruleset_judges_later_flows(void **state)
{
	fixture *fx = *state;
	char err[4096];
	sink s;
	ea_engine *e = new_engine(fx, 0, &s);
	ea_ruleset_paths paths = {
		.matrix = EA_TOPDIR "/signatures/lync2013-edge.matrix",
		.portsigs = EA_TOPDIR "/signatures/ports.sig",
		.site = EA_TOPDIR "/pcaps/site.ini",
	};
	const ea_ruleset *next = NULL;
	if (ea_ruleset_load(&paths, fx->ruleset, &next, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	udp_frame(e, 40003, T0);
	ea_engine_tick(e, T0 + (EA_UDP_IDLE_SEC + 2) * SEC);
	udp_frame(e, 40004, T0 + 100 * SEC);
	ea_engine_set_ruleset(e, next);
	ea_ruleset_unref(next);
	ea_engine_flush(e, EA_END_EOF);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.recs[0].generation, 1);
	assert_int_equal(s.recs[1].generation, 2);
	assert_true(s.recs[0].uid != s.recs[1].uid);
	ea_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tick_ends_idle_flows),
		cmocka_unit_test(active_timeout_updates_one_uid),
		cmocka_unit_test(tick_drives_active_updates),
		cmocka_unit_test(unchanged_flow_no_update),
		cmocka_unit_test(set_ruleset_judges_later_flows),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
