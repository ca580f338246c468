/* test_classify.c — nDPI is fed only until it decides and its state is
 * freed then; its guesses by port never confirm a protocol; our payload
 * checks and the port signature fill in, each recorded as such. */
#include "testutil.h"
#include "dataload.h"

#include "engine/classify.h"
#include "decode/decode.h"
#include "capture/source.h"

static ea_portsigs sigs;
static ea_classifier *cls;

static int setup(void **state)
{
	char err[4096];
	assert_int_equal(ea_test_load_path(EA_DATA_PORTSIGS, EA_TOPDIR "/signatures/ports.sig", &sigs, NULL, err, sizeof err), EA_OK);
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

/* feed(), with every frame cut to snaplen bytes as a capture taken with
 * that snap length would hold it (caplen shortened, wirelen kept). */
static void feed_cut(const char *file, unsigned n, uint32_t snaplen, uint8_t transport, uint16_t resp_port,
		     ea_class_state *s)
{
	char err[512];
	ea_source *src;
	ea_frame fr;
	ea_packet p;
	ea_anomaly note;
	unsigned fed = 0, cut = 0;
	assert_int_equal(ea_source_open_file(file, &src, err, sizeof err), EA_OK);
	while (fed < n && ea_source_next(src, &fr, err, sizeof err) == EA_SOURCE_FRAME) {
		if (fr.caplen > snaplen) {
			fr.caplen = snaplen;
			cut++;
		}
		if (ea_decode(&fr, &p, &note) != EA_DECODE_OK || p.proto != transport)
			continue;
		ea_classify_packet(cls, s, &p, transport, resp_port);
		fed++;
	}
	ea_source_close(src);
	assert_true(cut > 0); /* the test is about cut packets */
}

/* Issue 6, D.15: the first bytes of a cut packet still say what the flow
 * is — to nDPI (SSH banner, HTTP request line) and to our checks (a TLS
 * hello's record header). Judged as if on TCP 443. */
static void cut_packets_are_classified_from_their_prefix(void **state)
{
	ea_class_state s = {0};
	ea_flow_record rec = {0};
	feed_cut(EA_SHARED_PCAPS "/ndpi_ssh.pcap", 20, 96, 6, 443, &s);
	ea_classify_finish(cls, &s, 6, 443, &rec);
	assert_string_equal(rec.app_proto, "SSH");
	assert_int_equal(rec.proto_source, EA_PROTO_SRC_DPI);
	assert_true(rec.proto_unexpected_on_port);
	ea_class_state_release(&s);

	ea_class_state h = {0};
	ea_flow_record hrec = {0};
	feed_cut(EA_SHARED_PCAPS "/ndpi_http.pcapng", 10, 96, 6, 443, &h);
	ea_classify_finish(cls, &h, 6, 443, &hrec);
	assert_string_equal(hrec.master_proto, "HTTP");
	assert_int_equal(hrec.proto_source, EA_PROTO_SRC_DPI);
	assert_true(hrec.proto_unexpected_on_port);
	ea_class_state_release(&h);

	/* A ClientHello cut at 96 bytes: nDPI 4.2 cannot finish it, our
	 * check reads its record header. */
	ea_class_state t = {0};
	ea_flow_record trec = {0};
	feed_cut(EA_SHARED_PCAPS "/ndpi_tls_alert.pcap", 10, 96, 6, 443, &t);
	ea_classify_finish(cls, &t, 6, 443, &trec);
	assert_string_equal(trec.app_proto, "TLS");
	assert_true(trec.proto_source == EA_PROTO_SRC_DPI || trec.proto_source == EA_PROTO_SRC_PAYLOAD);
	assert_false(trec.proto_unexpected_on_port);
	ea_class_state_release(&t);

	/* IPv6 and UDP: the payload and UDP lengths are set to what was
	 * captured. 14 + 40 + 8 bytes of headers leave the 73-byte DNS query
	 * 34 bytes at a snap length of 96: its header and most of its name. */
	ea_class_state v6 = {0};
	ea_flow_record v6rec = {0};
	feed_cut(EA_SHARED_PCAPS "/zeek_ipv6-fragmented-dns.pcap", 1, 96, 17, 53, &v6);
	ea_classify_finish(cls, &v6, 17, 53, &v6rec);
	assert_string_equal(v6rec.master_proto, "DNS");
	assert_int_equal(v6rec.proto_source, EA_PROTO_SRC_DPI);
	ea_class_state_release(&v6);

	/* Cut inside the IP header's reach of the payload: nothing breaks. */
	for (uint32_t snap = 14; snap < 70; snap += 3) {
		ea_class_state z = {0};
		ea_flow_record zrec = {0};
		feed_cut(EA_SHARED_PCAPS "/ndpi_ssh.pcap", 20, snap, 6, 443, &z);
		ea_classify_finish(cls, &z, 6, 443, &zrec);
		ea_class_state_release(&z);
	}
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

/* One IPv4/UDP datagram 198.51.100.7:sport -> 203.0.113.12:dport with the
 * given payload, as the decoder would leave it. buf holds the bytes. */
static ea_packet udp_datagram(uint8_t *buf, size_t cap, uint16_t sport, uint16_t dport,
			      const uint8_t *payload, uint32_t len)
{
	static const uint8_t ip_udp[28] = {0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 198, 51, 100, 7,
					   203, 0, 113, 12};
	ea_packet p;
	assert_true(28 + len <= cap);
	memcpy(buf, ip_udp, 28);
	buf[2] = (uint8_t)((28 + len) >> 8);
	buf[3] = (uint8_t)(28 + len);
	buf[20] = (uint8_t)(sport >> 8);
	buf[21] = (uint8_t)sport;
	buf[22] = (uint8_t)(dport >> 8);
	buf[23] = (uint8_t)dport;
	buf[24] = (uint8_t)((8 + len) >> 8);
	buf[25] = (uint8_t)(8 + len);
	memcpy(buf + 28, payload, len);
	memset(&p, 0, sizeof p);
	p.ts_us = 1000000;
	p.ip_version = 4;
	p.proto = 17;
	p.sport = sport;
	p.dport = dport;
	p.l3 = buf;
	p.l3_len = p.ip_len = 28 + len;
	p.payload = buf + 28;
	p.payload_len = len;
	return p;
}

/* Feeds n copies of one payload (the second byte of the RTP sequence
 * number bumped each time) from sport to dport; returns the record. */
static ea_flow_record feed_datagrams(const uint8_t *payload, uint32_t len, unsigned n, uint16_t sport,
				     uint16_t dport, ea_class_state *s)
{
	uint8_t buf[256], pl[200];
	ea_flow_record rec;
	memset(&rec, 0, sizeof rec);
	assert_true(len <= sizeof pl);
	memcpy(pl, payload, len);
	for (unsigned i = 0; i < n; i++) {
		pl[3] = (uint8_t)(pl[3] + 1);
		ea_packet p = udp_datagram(buf, sizeof buf, sport, dport, pl, len);
		p.ts_us += i * 20000;
		ea_classify_packet(cls, s, &p, 17, dport);
	}
	ea_classify_finish(cls, s, 17, dport, &rec);
	return rec;
}

/* HSRPv2 hello (RFC-less, Cisco): group state TLV type 1, length 40,
 * version 2, ... — third byte 0x02, which nDPI 4.2's Skype UDP heuristic
 * takes for Skype_Teams (hsrp2_as_skype_teams.pcap). */
static const uint8_t hsrp2_hello[40] = {0x01, 0x28, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,
					0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00};

static void heuristic_skype_answer_confirms_nothing(void **state)
{
	ea_class_state s = {0};
	ea_flow_record rec = feed_datagrams(hsrp2_hello, sizeof hsrp2_hello, 4, 1985, 1985, &s);
	assert_true(s.heuristic); /* nDPI 4.2 did answer, by its heuristic */
	assert_string_not_equal(rec.app_proto, "Skype_Teams");
	assert_string_not_equal(rec.master_proto, "Skype_Teams");
	assert_string_equal(rec.app_proto, "Unknown");
	assert_int_equal(rec.proto_source, EA_PROTO_SRC_NONE);
	assert_string_equal(rec.confidence, "");
	ea_class_state_release(&s);

	/* On a port whose signature lists Skype_Teams (udp/3478): still not
	 * Skype_Teams; the port's first protocol, from the port only. */
	ea_class_state s2 = {0};
	rec = feed_datagrams(hsrp2_hello, sizeof hsrp2_hello, 4, 40000, 3478, &s2);
	assert_true(s2.heuristic);
	assert_string_not_equal(rec.app_proto, "Skype_Teams");
	assert_int_equal(rec.proto_source, EA_PROTO_SRC_PORT);
	assert_string_equal(rec.app_proto, "STUN");
	ea_class_state_release(&s2);
	ea_class_state s3 = {0};
	rec = feed_datagrams(hsrp2_hello, sizeof hsrp2_hello, 20, 40000, 50020, &s3);
	assert_string_not_equal(rec.app_proto, "Skype_Teams");
	assert_int_equal(rec.proto_source, EA_PROTO_SRC_PORT);
	ea_class_state_release(&s3);
}

static void heuristic_skypecall_answer_confirms_nothing(void **state)
{
	/* 16 bytes or more, first nibble 7, third byte 0x02: skype.c's other
	 * branch answers SkypeCall over Skype_Teams (a master protocol, but
	 * the heuristic's own), which is just as unconfirmed. */
	static const uint8_t junk[32] = {0x70, 0x11, 0x02, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};
	ea_class_state s = {0};
	ea_flow_record rec = feed_datagrams(junk, sizeof junk, 4, 50525, 50100, &s);
	assert_true(s.heuristic);
	assert_string_not_equal(rec.app_proto, "SkypeCall");
	assert_string_not_equal(rec.master_proto, "Skype_Teams");
	assert_int_equal(rec.proto_source, EA_PROTO_SRC_PORT);
	ea_class_state_release(&s);
}

static void heuristic_rtp_answer_needs_our_check(void **state)
{
	/* Version 2 and payload type 1, which RFC 3551 §6 leaves reserved
	 * (our check refuses it); nDPI 4.2 says RTP at once. */
	static const uint8_t rtpish[20] = {0x80, 0x01, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44,
					   0x55, 0x66, 0x77, 0x88, 0xff, 0xff, 0xff, 0xff};
	ea_class_state s = {0};
	ea_flow_record rec = feed_datagrams(rtpish, sizeof rtpish, 5, 40000, 6000, &s);
	assert_true(s.heuristic);
	assert_string_not_equal(rec.app_proto, "RTP");
	assert_int_not_equal(rec.proto_source, EA_PROTO_SRC_DPI);
	ea_class_state_release(&s);

	/* One real RTP header is not enough for our check either. */
	static const uint8_t rtp[172] = {0x80, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0,
					 0xde, 0xad, 0xbe, 0xef};
	ea_class_state s1 = {0};
	rec = feed_datagrams(rtp, sizeof rtp, 1, 40000, 6000, &s1);
	assert_int_not_equal(rec.proto_source, EA_PROTO_SRC_DPI);
	ea_class_state_release(&s1);

	/* A stream of real RTP: nDPI and our check agree, nDPI's answer stands. */
	ea_class_state s2 = {0};
	rec = feed_datagrams(rtp, sizeof rtp, 10, 40000, 6000, &s2);
	assert_string_equal(rec.app_proto, "RTP");
	assert_int_equal(rec.proto_source, EA_PROTO_SRC_DPI);
	assert_string_equal(rec.confidence, "DPI");
	assert_true(s2.decided);
	ea_class_state_release(&s2);
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
		cmocka_unit_test(cut_packets_are_classified_from_their_prefix),
		cmocka_unit_test(heuristic_skype_answer_confirms_nothing),
		cmocka_unit_test(heuristic_skypecall_answer_confirms_nothing),
		cmocka_unit_test(heuristic_rtp_answer_needs_our_check),
		cmocka_unit_test(protocol_names_are_checked),
	};
	return cmocka_run_group_tests_name("classify", tests, setup, teardown);
}
