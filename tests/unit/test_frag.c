/* test_frag.c — later fragments find the ports of their first fragment. */
#include "testutil.h"

#include "ea_limits.h"
#include "frag.h"

static ea_packet frag(ea_frag_kind kind, uint32_t id, const char *src, uint16_t sport, uint16_t dport,
		      uint64_t ts_us)
{
	ea_packet p;
	ea_prefix a, b;
	char err[64];
	memset(&p, 0, sizeof p);
	assert_true(ea_prefix_parse(src, &a, err, sizeof err));
	assert_true(ea_prefix_parse("10.0.1.10", &b, err, sizeof err));
	p.src = a.addr;
	p.dst = b.addr;
	p.proto = 17;
	p.frag = kind;
	p.frag_id = id;
	p.sport = sport;
	p.dport = dport;
	p.ts_us = ts_us;
	return p;
}

static void later_fragment_gets_first_fragments_ports(void **state)
{
	ea_frag_cache *fc = ea_frag_cache_new();
	ea_packet first = frag(EA_FRAG_FIRST, 77, "192.0.2.53", 53, 40000, 1000);
	ea_packet later = frag(EA_FRAG_LATER, 77, "192.0.2.53", 0, 0, 2000);
	assert_true(ea_frag_attribute(fc, &first));
	assert_true(ea_frag_attribute(fc, &later));
	assert_int_equal(later.sport, 53);
	assert_int_equal(later.dport, 40000);
	ea_frag_cache_free(fc);
}

static void unknown_or_stale_fragments_are_not_attributed(void **state)
{
	ea_frag_cache *fc = ea_frag_cache_new();
	ea_packet alone = frag(EA_FRAG_LATER, 5, "192.0.2.53", 0, 0, 1);
	assert_false(ea_frag_attribute(fc, &alone));

	ea_packet first = frag(EA_FRAG_FIRST, 6, "192.0.2.53", 53, 40000, 1);
	assert_true(ea_frag_attribute(fc, &first));
	ea_packet other_id = frag(EA_FRAG_LATER, 7, "192.0.2.53", 0, 0, 2);
	assert_false(ea_frag_attribute(fc, &other_id));
	ea_packet other_src = frag(EA_FRAG_LATER, 6, "192.0.2.54", 0, 0, 2);
	assert_false(ea_frag_attribute(fc, &other_src));
	ea_packet stale = frag(EA_FRAG_LATER, 6, "192.0.2.53", 0, 0, 2 + EA_FRAGMENT_TIMEOUT_SEC * 1000000ull);
	assert_false(ea_frag_attribute(fc, &stale));
	assert_int_equal(stale.sport, 0);

	/* ESP keys its flow on addresses alone: nothing to look up. */
	ea_packet esp = frag(EA_FRAG_LATER, 8, "192.0.2.53", 0, 0, 2);
	esp.proto = 50;
	assert_true(ea_frag_attribute(fc, &esp));

	ea_packet whole = frag(EA_FRAG_NONE, 0, "192.0.2.53", 1, 2, 3);
	assert_true(ea_frag_attribute(fc, &whole));
	assert_int_equal(whole.sport, 1);
	ea_frag_cache_free(fc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(later_fragment_gets_first_fragments_ports),
		cmocka_unit_test(unknown_or_stale_fragments_are_not_attributed),
	};
	return cmocka_run_group_tests_name("frag", tests, NULL, NULL);
}
