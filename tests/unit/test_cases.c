/* test_cases.c — the whole pipeline on the small real captures of
 * ../shared/cases/ that issue 6 names for direction and classification
 * (D.12-D.14), with the lab's matrix, signatures and site file. The right
 * values are those of ../shared/cases/README.md. */
#include "testutil.h"
#include "labconfig.h"

#include "engine/audit.h"

#define EA_SHARED_CASES EA_TOPDIR "/../shared/cases"

#define MAX_RECS 64

typedef struct {
	unsigned n;
	ea_flow_record recs[MAX_RECS];
	ea_match_result results[MAX_RECS];
} collected;

static void collect(void *ctx, const ea_flow_record *rec, const ea_match_result *mr)
{
	collected *c = ctx;
	if (c->n < MAX_RECS) {
		c->recs[c->n] = *rec;
		c->results[c->n] = *mr;
	}
	c->n++;
}

static void audit_case(fixture *fx, const char *name, collected *out)
{
	char err[1024], path[512];
	ea_audit *a = NULL;
	ea_source *src = NULL;
	ea_input_info info;
	ea_audit_config cfg = {
		.ruleset = fx->ruleset,
		.max_flows = 1000, .on_flow = collect, .hook_ctx = out,
	};
	memset(out, 0, sizeof *out);
	memset(&info, 0, sizeof info);
	snprintf(path, sizeof path, "%s/%s", EA_SHARED_CASES, name);
	assert_int_equal(ea_audit_new(&cfg, &a, err, sizeof err), EA_OK);
	if (ea_source_open_file(path, &src, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	assert_int_equal(ea_audit_read(a, src, EA_IFACE_EXTERNAL, &info, err, sizeof err), EA_OK);
	ea_source_close(src);
	assert_int_equal(ea_audit_finish(a, err, sizeof err), EA_OK);
	ea_audit_free(a);
	assert_true(out->n <= MAX_RECS);
}

static void assert_addr(const ea_addr *a, const char *want)
{
	char text[EA_ADDR_STRLEN];
	assert_string_equal(ea_addr_str(a, text), want);
}

/* D.12: Geneve from the A/V Edge's ephemeral port 50525 to 6081. */
static void geneve_from_a_media_range_port(void **state)
{
	collected *c = calloc(1, sizeof *c);
	assert_non_null(c);
	audit_case(*state, "geneve_src_port_5xxxx.pcap", c);
	assert_int_equal(c->n, 1);
	const ea_flow_record *r = &c->recs[0];
	assert_addr(&r->init_addr, "203.0.113.12");
	assert_int_equal(r->init_port, 50525);
	assert_addr(&r->resp_addr, "198.51.100.1");
	assert_int_equal(r->resp_port, 6081);
	assert_int_equal(r->dir_source, EA_DIR_FIRST_PACKET);
	assert_string_not_equal(r->app_proto, "RTP");
	assert_string_not_equal(r->master_proto, "RTP");
	assert_int_equal(c->results[0].verdict, EA_VERDICT_UNEXPECTED);
	free(c);
}

/* D.13: an unsolicited Router Advertisement to ff02::1. */
static void router_advertisement_initiated_by_the_router(void **state)
{
	collected *c = calloc(1, sizeof *c);
	assert_non_null(c);
	audit_case(*state, "icmp6_ra_multicast_initiator.pcap", c);
	assert_int_equal(c->n, 1);
	const ea_flow_record *r = &c->recs[0];
	assert_addr(&r->init_addr, "fe80::260:97ff:fe07:69ea");
	assert_int_equal(r->init_port, 134);
	assert_addr(&r->resp_addr, "ff02::1");
	assert_int_equal(r->resp_port, 133);
	assert_int_equal(r->pkts[0], 1);
	assert_int_equal(r->pkts[1], 0);
	/* The Community ID does not depend on who initiated (the spec's
	 * baseline for this very frame). */
	assert_string_equal(r->community_id, "1:pkvHqCL88/tg1k4cPigmZXUtL00=");
	free(c);
}

/* D.14: HSRPv2 hellos to 224.0.0.102 and 224.0.0.2 (UDP 1985, inside
 * ERSPAN II), which nDPI 4.2's Skype heuristic calls Skype_Teams. */
static void hsrp_is_never_skype_teams(void **state)
{
	collected *c = calloc(1, sizeof *c);
	assert_non_null(c);
	audit_case(*state, "hsrp2_as_skype_teams.pcap", c);
	assert_true(c->n >= 2);
	for (unsigned i = 0; i < c->n; i++) {
		const ea_flow_record *r = &c->recs[i];
		assert_string_not_equal(r->app_proto, "Skype_Teams");
		assert_string_not_equal(r->master_proto, "Skype_Teams");
		assert_int_not_equal(r->proto_source, EA_PROTO_SRC_DPI);
		assert_int_equal(r->resp_port, 1985);
		assert_false(ea_addr_is_unicast(&r->resp_addr)); /* the group is the responder */
		assert_int_equal(c->results[i].verdict, EA_VERDICT_UNEXPECTED);
	}
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(geneve_from_a_media_range_port),
		cmocka_unit_test(router_advertisement_initiated_by_the_router),
		cmocka_unit_test(hsrp_is_never_skype_teams),
	};
	return cmocka_run_group_tests_name("cases", tests, setup, teardown);
}
