/* test_classify.c — nDPI is fed only until it decides and its state is
 * freed then; its guesses by port never confirm a protocol; our payload
 * checks and the port signature fill in, each recorded as such. */
#include "testutil.h"

#include "classify.h"
#include "decode.h"
#include "source.h"

static ea_portsigs sigs;
static ea_classifier *cls;

static int setup(void **state)
{
	char err[4096];
	assert_int_equal(ea_portsigs_load_path(EA_TOPDIR "/signatures/ports.sig", &sigs, err, sizeof err), EA_OK);
	assert_int_equal(ea_classifier_new(&sigs, &cls, err, sizeof err), EA_OK);
	return 0;
}

static int teardown(void **state)
{
	ea_classifier_free(cls);
	ea_portsigs_free(&sigs);
	return 0;
}

/* Feeds the first n decodable packets of a capture to one state, as if
 * they were one flow whose responder port is resp_port. Returns how many
 * packets were fed before the state was decided (n if never). */
static unsigned feed(const char *file, unsigned n, uint8_t transport, uint16_t resp_port, ea_class_state *s)
{
	char err[512];
	ea_source *src;
	ea_frame fr;
	ea_packet p;
	ea_anomaly note;
	unsigned fed = 0, decided_at = n;
	assert_int_equal(ea_source_open_file(file, &src, err, sizeof err), EA_OK);
	while (fed < n && ea_source_next(src, &fr, err, sizeof err) == EA_SOURCE_FRAME) {
		if (ea_decode(&fr, &p, &note) != EA_DECODE_OK || p.proto != transport)
			continue;
		ea_classify_packet(cls, s, &p, transport, resp_port);
		fed++;
		if (s->decided && decided_at == n)
			decided_at = fed;
	}
	ea_source_close(src);
	return decided_at;
}

static void dpi_decides_and_frees_its_state(void **state)
{
	ea_class_state s = {0};
	ea_flow_record rec = {0};
	unsigned at = feed(EA_SHARED_PCAPS "/ndpi_ssh.pcap", 20, 6, 22, &s);
	assert_true(at < 20);
	assert_true(s.decided);
	assert_null(s.dpi);   /* freed the moment it decided */
	assert_true(s.dpi_packets <= at); /* packets without payload are not shown to nDPI */
	ea_classify_finish(cls, &s, 6, 22, &rec);
	assert_string_equal(rec.app_proto, "SSH");
	assert_int_equal(rec.proto_source, EA_PROTO_SRC_DPI);
	assert_false(rec.proto_unexpected_on_port);
	ea_class_state_release(&s);
}

static void dpi_protocol_foreign_to_the_port_is_flagged(void **state)
{
	ea_class_state s = {0};
	ea_flow_record rec = {0};
	/* SSH bytes, judged as if they had gone to TCP 443. */
	feed(EA_SHARED_PCAPS "/ndpi_ssh.pcap", 20, 6, 443, &s);
	ea_classify_finish(cls, &s, 6, 443, &rec);
	assert_string_equal(rec.app_proto, "SSH");
	assert_true(rec.proto_unexpected_on_port);
	ea_class_state_release(&s);
}

static void no_payload_means_the_port_names_it(void **state)
{
	ea_class_state s = {0};
	ea_flow_record rec = {0};
	ea_classify_finish(cls, &s, 6, 5061, &rec);
	assert_int_equal(rec.proto_source, EA_PROTO_SRC_PORT);
	const ea_port_sig *sig = ea_portsigs_lookup(&sigs, 6, 5061);
	assert_non_null(sig);
	assert_string_equal(rec.app_proto, sig->protocols[0]);
	ea_class_state_release(&s);

	ea_class_state none = {0};
	ea_flow_record rec2 = {0};
	ea_classify_finish(cls, &none, 6, 40123, &rec2);
	assert_int_equal(rec2.proto_source, EA_PROTO_SRC_NONE);
	assert_string_equal(rec2.app_proto, "Unknown");
	ea_class_state_release(&none);
}

static void guess_by_port_is_not_a_confirmation(void **state)
{
	/* One ClientHello packet cut short: ndpiReader 4.2 counts this flow as
	 * guessed (EXPECTED-ndpi42.md). Whatever the name, it must not be DPI. */
	ea_class_state s = {0};
	ea_flow_record rec = {0};
	feed(EA_SHARED_PCAPS "/ndpi_443-chrome.pcap", 1, 6, 443, &s);
	ea_classify_finish(cls, &s, 6, 443, &rec);
	assert_int_not_equal(rec.proto_source, EA_PROTO_SRC_DPI);
	assert_null(s.dpi);
	ea_class_state_release(&s);
}

static void stun_over_tcp_is_confirmed_by_our_check(void **state)
{
	/* TURN over TCP in ndpi_stun_tcp_multiple_msgs_same_pkt.pcap: judged on
	 * TCP 443 where the signature expects STUN, our check confirms it even
	 * if nDPI 4.2 does not. */
	ea_class_state s = {0};
	ea_flow_record rec = {0};
	feed(EA_SHARED_PCAPS "/ndpi_stun_tcp_multiple_msgs_same_pkt.pcap", 30, 6, 443, &s);
	ea_classify_finish(cls, &s, 6, 443, &rec);
	assert_true(rec.proto_source == EA_PROTO_SRC_DPI || rec.proto_source == EA_PROTO_SRC_PAYLOAD);
	assert_true(!strcmp(rec.master_proto, "STUN") || !strcmp(rec.app_proto, "STUN"));
	ea_class_state_release(&s);
}

static void protocol_names_are_checked(void **state)
{
	assert_true(ea_classifier_knows(cls, "TLS"));
	assert_true(ea_classifier_knows(cls, "jabber"));
	assert_true(ea_classifier_knows(cls, "STUN"));
	assert_false(ea_classifier_knows(cls, "NoSuchProtocol"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dpi_decides_and_frees_its_state),
		cmocka_unit_test(dpi_protocol_foreign_to_the_port_is_flagged),
		cmocka_unit_test(no_payload_means_the_port_names_it),
		cmocka_unit_test(guess_by_port_is_not_a_confirmation),
		cmocka_unit_test(stun_over_tcp_is_confirmed_by_our_check),
		cmocka_unit_test(protocol_names_are_checked),
	};
	return cmocka_run_group_tests_name("classify", tests, setup, teardown);
}
