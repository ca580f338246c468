/* test_payload_check.c — the STUN/TURN and RTP payload checks, against real
 * captures and crafted edge cases.
 *
 * Real traffic comes from the shared captures, read through the project's
 * own source and decoder. The expected counts are Wireshark's, not ours:
 * tshark 4.0.17 on each capture,
 *   STUN:    tshark -r F -Y '(stun || classicstun) && !icmp' | wc -l
 *   RTP/UDP: tshark -r F -o rtp.heuristic_rtp:TRUE \
 *              -Y 'udp && rtp && !rtcp && !stun && !dtls && !classicstun' | wc -l
 * (ICMP is left out because an ICMP error quoting a STUN datagram is not a
 * STUN payload.)
 *
 * Every check runs on a heap copy of exactly the payload's length, so
 * AddressSanitizer reports any read past the end. */
#include "testutil.h"

#include <dirent.h>

#include "decode/decode.h"
#include "engine/payload_check.h"
#include "capture/source.h"

enum { TCP = 6, UDP = 17 };

/* ---- running a check on an exact-size copy ---- */

static bool run(ea_payload_check_fn fn, const uint8_t *p, size_t len, uint8_t transport)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, p, len);
	bool r = fn(copy, (uint32_t)len, transport);
	free(copy);
	return r;
}

static bool stun(const uint8_t *p, size_t len, uint8_t transport)
{
	return run(ea_payload_is_stun, p, len, transport);
}

static bool rtp(const uint8_t *p, size_t len, uint8_t transport)
{
	return run(ea_payload_is_rtp, p, len, transport);
}

/* ---- walking a shared capture ---- */

typedef void (*visit_fn)(const ea_packet *pkt, void *ctx);

/* Calls fn for every decoded TCP or UDP packet with a payload. Returns how
 * many there were, or -1 when the file is not a capture we can open. */
static long each_payload(const char *name, visit_fn fn, void *ctx)
{
	char path[1024], err[512];
	snprintf(path, sizeof path, "%s/%s", EA_SHARED_PCAPS, name);
	ea_source *src;
	if (ea_source_open_file(path, &src, err, sizeof err) != EA_OK)
		return -1;
	long n = 0;
	ea_frame frame;
	while (ea_source_next(src, &frame, err, sizeof err) == EA_SOURCE_FRAME) {
		ea_packet pkt;
		ea_anomaly note;
		if (ea_decode(&frame, &pkt, &note) != EA_DECODE_OK)
			continue;
		if ((pkt.proto != TCP && pkt.proto != UDP) || pkt.payload_len == 0)
			continue;
		fn(&pkt, ctx);
		n++;
	}
	ea_source_close(src);
	return n;
}

static long must_walk(const char *name, visit_fn fn, void *ctx)
{
	long n = each_payload(name, fn, ctx);
	if (n <= 0)
		fail_msg("%s: no TCP/UDP payloads read (missing capture or decoder failure)", name);
	return n;
}

static bool has_port(const ea_packet *pkt, uint16_t port)
{
	return pkt->sport == port || pkt->dport == port;
}

/* ---- real traffic: agreement with Wireshark ---- */

typedef struct {
	const char *file;
	long stun;
} stun_expect;

/* Captures in which Wireshark finds STUN; every other shared capture has
 * none, and neither must we. */
static const stun_expect stun_captures[] = {
	{"ndpi_stun.pcap", 171},                          /* RFC 5389/5766 on UDP, RFC 4571 and bare TCP, ChannelData */
	{"ndpi_stun_dtls_rtp.pcapng", 43},                /* TURN over TCP: Data indications */
	{"ndpi_stun_msteams_unidir.pcapng", 4},
	{"ndpi_stun_tcp_multiple_msgs_same_pkt.pcap", 4}, /* several messages per segment */
	{"zeek_webrtc-stun.pcap", 10},
	{"ndpi_teams.pcap", 63},                          /* MS-TURN: unaligned lengths, no cookie, multiplexed */
	{"ndpi_skype-conference-call.pcap", 14},
};

typedef struct {
	long stun, rtp_udp;
} counts;

static void count_visit(const ea_packet *pkt, void *ctx)
{
	counts *c = ctx;
	if (stun(pkt->payload, pkt->payload_len, pkt->proto))
		c->stun++;
	if (pkt->proto == UDP && rtp(pkt->payload, pkt->payload_len, UDP))
		c->rtp_udp++;
}

static long expected_stun(const char *file)
{
	for (size_t i = 0; i < sizeof stun_captures / sizeof stun_captures[0]; i++)
		if (strcmp(stun_captures[i].file, file) == 0)
			return stun_captures[i].stun;
	return 0;
}

/* Every shared capture: our STUN count is Wireshark's, which is zero for
 * TLS, HTTP, SSH, DNS, SIP, DHCP, BitTorrent, SMB, RDP and the rest. */
static void test_stun_agrees_with_wireshark_on_every_capture(void **state)
{
	(void)state;
	DIR *d = opendir(EA_SHARED_PCAPS);
	assert_non_null(d);
	int files = 0, positives = 0;
	long payloads = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (!(n > 5 && strcmp(e->d_name + n - 5, ".pcap") == 0) &&
		    !(n > 7 && strcmp(e->d_name + n - 7, ".pcapng") == 0))
			continue;
		counts c = {0, 0};
		long seen = each_payload(e->d_name, count_visit, &c);
		if (seen < 0)
			continue; /* the corpus holds deliberately broken files */
		files++;
		payloads += seen;
		long want = expected_stun(e->d_name);
		if (want > 0)
			positives++;
		if (c.stun != want)
			fail_msg("%s: %ld STUN payloads, Wireshark finds %ld", e->d_name, c.stun, want);
	}
	closedir(d);
	assert_int_equal(positives, sizeof stun_captures / sizeof stun_captures[0]);
	assert_true(files >= 50);
	assert_true(payloads >= 5000);
}

static void test_rtp_on_udp_agrees_with_wireshark(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		long rtp;
	} expect[] = {
		{"ndpi_rtp.pcapng", 69},
		{"ndpi_sip.pcap", 9},
		{"ndpi_skype-conference-call.pcap", 31}, /* and 155 RTCP packets that are not RTP */
		{"ndpi_stun.pcap", 6},                   /* SRTP beside STUN, DTLS and SRTCP */
		{"ndpi_stun_dtls_rtp.pcapng", 11},
		{"ndpi_teams.pcap", 18},
		{"ndpi_rtcp_multiple_pkts.pcap", 0},
		{"ndpi_stun_msteams_unidir.pcapng", 0}, /* STUN and RTCP only */
		{"zeek_webrtc-stun.pcap", 0},
		{"zeek_sip_wireshark.pcap", 0},
		{"ndpi_bittorrent_utp.pcap", 0},
		{"zeek_rdpeudp-handshake-success.pcap", 0},
		{"ndpi_teredo.pcap", 0},
	};
	for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
		counts c = {0, 0};
		must_walk(expect[i].file, count_visit, &c);
		if (c.rtp_udp != expect[i].rtp)
			fail_msg("%s: %ld RTP payloads on UDP, Wireshark finds %ld", expect[i].file, c.rtp_udp,
				 expect[i].rtp);
	}
}

/* ---- real traffic: each framing ---- */

typedef struct {
	long n, pass, pass_as_udp, multi;
} framing_tally;

static void rfc4571_stun_visit(const ea_packet *pkt, void *ctx)
{
	framing_tally *t = ctx;
	if (pkt->proto != TCP || !has_port(pkt, 42000))
		return;
	t->n++;
	t->pass += stun(pkt->payload, pkt->payload_len, TCP);
	t->pass_as_udp += stun(pkt->payload, pkt->payload_len, UDP);
}

/* ICE-TCP between 10.77.110.51:41588 and 10.206.50.239:42000: every
 * segment is an RFC 4571-framed STUN message. The framing is a TCP thing:
 * the same bytes in a datagram are not STUN. */
static void test_stun_rfc4571_framed_tcp(void **state)
{
	(void)state;
	framing_tally t = {0};
	must_walk("ndpi_stun.pcap", rfc4571_stun_visit, &t);
	assert_int_equal(t.n, 12);
	assert_int_equal(t.pass, t.n);
	assert_int_equal(t.pass_as_udp, 0);
}

static void bare_tcp_visit(const ea_packet *pkt, void *ctx)
{
	framing_tally *t = ctx;
	if (pkt->proto != TCP)
		return;
	t->n++;
	t->pass += stun(pkt->payload, pkt->payload_len, TCP);
	/* More than one message in the segment? */
	if (pkt->payload_len >= 4) {
		uint32_t first = 20u + (uint32_t)(pkt->payload[2] << 8 | pkt->payload[3]);
		if (first < pkt->payload_len)
			t->multi++;
	}
}

/* TURN over TCP without framing: messages back to back, several per
 * segment. */
static void test_stun_bare_tcp_streams(void **state)
{
	(void)state;
	framing_tally t = {0};
	must_walk("ndpi_stun_tcp_multiple_msgs_same_pkt.pcap", bare_tcp_visit, &t);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.pass, 4);
	assert_true(t.multi >= 1);

	framing_tally d = {0};
	must_walk("ndpi_stun_dtls_rtp.pcapng", bare_tcp_visit, &d);
	assert_int_equal(d.n, 39);
	assert_int_equal(d.pass, 39);
}

typedef struct {
	long cookie, cookie_pass, unaligned, mux, mux_pass, channel, channel_pass;
} turn_tally;

static void turn_visit(const ea_packet *pkt, void *ctx)
{
	turn_tally *t = ctx;
	const uint8_t *p = pkt->payload;
	uint32_t len = pkt->payload_len;
	if (pkt->proto != UDP || len < 4)
		return;
	bool ok = stun(p, len, UDP);
	if (len >= 20 && p[4] == 0x21 && p[5] == 0x12 && p[6] == 0xa4 && p[7] == 0x42) {
		t->cookie++;
		t->cookie_pass += ok;
		if ((len - 20) % 4 != 0)
			t->unaligned++;
	}
	if (p[0] == 0xff && p[1] == 0x10) {
		t->mux++;
		t->mux_pass += ok;
	}
	if (p[0] >= 0x40 && p[0] <= 0x7f) {
		t->channel++;
		t->channel_pass += ok;
	}
}

/* Teams' TURN servers speak MS-TURN: lengths that are not a multiple of 4
 * and multiplexed (0xFF10) messages. All of it is STUN. */
static void test_msturn_in_teams(void **state)
{
	(void)state;
	turn_tally t = {0};
	must_walk("ndpi_teams.pcap", turn_visit, &t);
	assert_true(t.cookie >= 50);
	assert_int_equal(t.cookie_pass, t.cookie);
	assert_true(t.unaligned >= 10);
	assert_int_equal(t.mux, 2);
	assert_int_equal(t.mux_pass, 2);
}

/* TURN ChannelData on the Facebook relay flow (UDP 40003). */
static void test_channel_data_udp(void **state)
{
	(void)state;
	turn_tally t = {0};
	must_walk("ndpi_stun.pcap", turn_visit, &t);
	assert_int_equal(t.channel, 19);
	assert_int_equal(t.channel_pass, 19);
}

typedef struct {
	long n, pass, pass_as_udp, stun;
} rtp_tally;

static void rtp_tcp_visit(const ea_packet *pkt, void *ctx)
{
	rtp_tally *t = ctx;
	if (pkt->proto != TCP || !has_port(pkt, 5000))
		return;
	t->n++;
	t->pass += rtp(pkt->payload, pkt->payload_len, TCP);
	t->pass_as_udp += rtp(pkt->payload, pkt->payload_len, UDP);
	t->stun += stun(pkt->payload, pkt->payload_len, TCP);
}

/* RTP over TCP with RFC 4571 framing (PCMA to port 5000). Wireshark has
 * no dissector for it, so the oracle is the flow itself: every segment. */
static void test_rtp_rfc4571_framed_tcp(void **state)
{
	(void)state;
	rtp_tally t = {0};
	must_walk("ndpi_rtp.pcapng", rtp_tcp_visit, &t);
	assert_int_equal(t.n, 17);
	assert_int_equal(t.pass, 17);
	assert_int_equal(t.pass_as_udp, 0);
	assert_int_equal(t.stun, 0);
}

/* ---- real traffic: what must never pass ---- */

typedef struct {
	long demux_other, demux_other_stun; /* RFC 7983: DTLS and RTP/RTCP first bytes */
	long rtcp, rtcp_as_rtp;
} demux_tally;

static void demux_visit(const ea_packet *pkt, void *ctx)
{
	demux_tally *t = ctx;
	const uint8_t *p = pkt->payload;
	if (pkt->proto != UDP)
		return;
	if ((p[0] >= 20 && p[0] <= 63) || (p[0] >= 128 && p[0] <= 191)) {
		t->demux_other++;
		t->demux_other_stun += stun(p, pkt->payload_len, UDP);
	}
	/* RTCP SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR (RFC 3550, 4585, 3611). */
	if (pkt->payload_len >= 2 && p[0] >> 6 == 2 && p[1] >= 200 && p[1] <= 207) {
		t->rtcp++;
		t->rtcp_as_rtp += rtp(p, pkt->payload_len, UDP);
	}
}

/* WebRTC and Teams multiplex STUN, DTLS, RTP and RTCP on one port and
 * tell them apart by the first byte (RFC 7983 §7): nothing in the DTLS or
 * RTP/RTCP ranges is STUN, and no RTCP packet is RTP. */
static void test_demultiplexed_media_is_not_misread(void **state)
{
	(void)state;
	static const char *const files[] = {
		"ndpi_stun.pcap", "zeek_webrtc-stun.pcap", "ndpi_stun_dtls_rtp.pcapng",
		"ndpi_stun_msteams_unidir.pcapng", "ndpi_teams.pcap", "ndpi_skype-conference-call.pcap",
		"ndpi_rtcp_multiple_pkts.pcap", "ndpi_rtp.pcapng",
	};
	demux_tally t = {0};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		must_walk(files[i], demux_visit, &t);
	assert_true(t.demux_other >= 300);
	assert_int_equal(t.demux_other_stun, 0);
	assert_true(t.rtcp >= 150);
	assert_int_equal(t.rtcp_as_rtp, 0);
}

typedef struct {
	long tcp, passed, tls, http, ssh;
} negative_tally;

static bool starts_with(const ea_packet *pkt, const char *s)
{
	size_t n = strlen(s);
	return pkt->payload_len >= n && memcmp(pkt->payload, s, n) == 0;
}

static void negative_visit(const ea_packet *pkt, void *ctx)
{
	negative_tally *t = ctx;
	if (pkt->proto != TCP)
		return;
	const uint8_t *p = pkt->payload;
	t->tcp++;
	if (stun(p, pkt->payload_len, TCP) || rtp(p, pkt->payload_len, TCP)) {
		t->passed++;
		print_error("passed: %u -> %u, %u bytes\n", pkt->sport, pkt->dport, pkt->payload_len);
	}
	if (pkt->payload_len >= 3 && p[0] >= 20 && p[0] <= 23 && p[1] == 3 && p[2] <= 4)
		t->tls++;
	if (starts_with(pkt, "GET ") || starts_with(pkt, "POST ") || starts_with(pkt, "HTTP/"))
		t->http++;
	if (starts_with(pkt, "SSH-"))
		t->ssh++;
}

/* TLS records (first segments and the middle of records), HTTP text and
 * SSH banners and binary packets: none is STUN or RTP on TCP. */
static void test_tls_http_ssh_never_pass(void **state)
{
	(void)state;
	static const char *const files[] = {
		"ndpi_443-chrome.pcap", "ndpi_tls_alert.pcap", "ndpi_tls_port_80.pcapng",
		"ndpi_teams.pcap", "ndpi_skype.pcap", "zeek_xmpp-starttls.pcap",
		"zeek_xmpp-dialback-starttls.pcap", "ndpi_ocsp.pcapng",
		"ndpi_http.pcapng", "ndpi_http_ipv6.pcap", "zeek_http-vlan-0.pcap",
		"ndpi_ssh.pcap", "zeek_ssh-on-port-80.pcap",
		"ndpi_jabber.pcap", "ndpi_rdp.pcap", "ndpi_telnet.pcap", "zeek_smb2readwrite.pcap",
		"ndpi_sip.pcap", "zeek_sip_wireshark.pcap",
	};
	negative_tally t = {0};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		must_walk(files[i], negative_visit, &t);
	assert_int_equal(t.passed, 0);
	assert_true(t.tcp >= 1500);
	assert_true(t.tls >= 500);
	assert_true(t.http >= 10);
	assert_true(t.ssh >= 2);
}

/* ---- crafted messages ---- */

/* RFC 5769 §2.1 sample Binding request (software, priority, ice-controlled,
 * username, message-integrity and fingerprint attributes). */
static const uint8_t rfc5769_request[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
	0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
	0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
	0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* A scratch message builder. */
typedef struct {
	uint8_t b[512];
	size_t n;
} msg;

static void put(msg *m, const uint8_t *p, size_t n)
{
	assert_true(m->n + n <= sizeof m->b);
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(msg *m, unsigned v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(m, b, 2);
}

static void put_zeros(msg *m, size_t n)
{
	assert_true(m->n + n <= sizeof m->b);
	memset(m->b + m->n, 0, n);
	m->n += n;
}

/* A cookie-less STUN/MS-TURN header: type, length, 16-byte id. */
static void put_legacy_header(msg *m, unsigned type, unsigned len)
{
	static const uint8_t id[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	put16(m, type);
	put16(m, len);
	put(m, id, sizeof id);
}

static void test_stun_crafted_standard(void **state)
{
	(void)state;
	const uint8_t *r = rfc5769_request;
	size_t n = sizeof rfc5769_request;
	assert_true(stun(r, n, UDP));
	assert_true(stun(r, n, TCP));
	/* Other transports never match. */
	assert_false(stun(r, n, 1));
	assert_false(stun(r, n, 132));
	assert_false(ea_payload_is_stun(NULL, 0, UDP));

	/* Truncated at every length: the header, or the length field
	 * pointing past the end. */
	for (size_t k = 0; k < n; k++) {
		if (stun(r, k, UDP) || stun(r, k, TCP))
			fail_msg("STUN truncated to %zu of %zu bytes passed", k, n);
	}

	msg m = {0};
	/* A trailing byte: a datagram holds one message, a stream may hold
	 * more after it. */
	put(&m, r, n);
	put_zeros(&m, 1);
	assert_false(stun(m.b, m.n, UDP));
	assert_true(stun(m.b, m.n, TCP));

	/* Without the cookie a Binding request is classic RFC 3489 STUN,
	 * which must fill its payload exactly, even on TCP. */
	memcpy(m.b, r, n);
	m.b[7] ^= 0x01;
	assert_true(stun(m.b, n, UDP));
	assert_false(stun(m.b, n + 1, TCP));
	/* ... and only for the types the old documents define. */
	m.b[1] = 0x08; /* CreatePermission, an RFC 5766 method */
	assert_false(stun(m.b, n, UDP));
	m.b[7] ^= 0x01; /* with the cookie back it is standard STUN */
	assert_true(stun(m.b, n, UDP));

	/* The top two bits set, and it is not STUN. */
	memcpy(m.b, r, n);
	m.b[0] |= 0x40;
	assert_false(stun(m.b, n, UDP));
	m.b[0] = (uint8_t)(r[0] | 0x80);
	assert_false(stun(m.b, n, UDP));

	/* An unaligned length with the cookie, for a type MS-TURN does not
	 * define (0x0008 CreatePermission): not STUN. */
	m.n = 0;
	put16(&m, 0x0008);
	put16(&m, 6);
	put(&m, r + 4, 16);
	put_zeros(&m, 6);
	assert_false(stun(m.b, m.n, UDP));
	/* ... and for MS-TURN's Allocate request it is, when exact. */
	m.b[1] = 0x03;
	assert_true(stun(m.b, m.n, UDP));
	assert_false(stun(m.b, m.n - 1, UDP));
}

static void test_stun_crafted_legacy(void **state)
{
	(void)state;
	msg m = {0};
	/* RFC 3489 Binding request with a CHANGE-REQUEST attribute. */
	put_legacy_header(&m, 0x0001, 8);
	put16(&m, 0x0003);
	put16(&m, 4);
	put_zeros(&m, 4);
	assert_true(stun(m.b, m.n, UDP));
	assert_true(stun(m.b, m.n, TCP));
	for (size_t k = 0; k < m.n; k++)
		assert_false(stun(m.b, k, UDP) || stun(m.b, k, TCP));

	/* Without the cookie the length must fill the payload exactly, even
	 * on TCP. */
	put_zeros(&m, 4);
	assert_false(stun(m.b, m.n, UDP));
	assert_false(stun(m.b, m.n, TCP));

	/* Every type MS-TURN and RFC 3489 define passes; neighbours do not. */
	static const unsigned known[] = {0x0001, 0x0101, 0x0111, 0x0003, 0x0103, 0x0113,
					 0x0004, 0x0115, 0x0006, 0x0106, 0x0116};
	static const unsigned unknown[] = {0x0000, 0x0002, 0x0102, 0x0005, 0x0009, 0x0104,
					   0x0114, 0x0117, 0x1603, 0x0301};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		m.n = 0;
		put_legacy_header(&m, known[i], 0);
		assert_true(stun(m.b, m.n, UDP));
	}
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		m.n = 0;
		put_legacy_header(&m, unknown[i], 0);
		assert_false(stun(m.b, m.n, UDP));
		assert_false(stun(m.b, m.n, TCP));
	}
}

static void test_stun_crafted_tcp_framings(void **state)
{
	(void)state;
	const uint8_t *r = rfc5769_request;
	size_t n = sizeof rfc5769_request;
	msg m = {0};

	/* RFC 4571: a 2-byte length, then the message. */
	put16(&m, (unsigned)n);
	put(&m, r, n);
	assert_true(stun(m.b, m.n, TCP));
	assert_false(stun(m.b, m.n, UDP));
	for (size_t k = 0; k < m.n; k++)
		assert_false(stun(m.b, k, TCP));
	/* The prefix must match the message: longer points past the end,
	 * shorter cuts the message. */
	m.b[1] = (uint8_t)(n + 4);
	assert_false(stun(m.b, m.n, TCP));
	m.b[1] = (uint8_t)(n - 4);
	assert_false(stun(m.b, m.n, TCP));

	/* [MS-TURN] 2.1.4: type, zero, length, then the message. */
	for (unsigned type = 0; type < 8; type++) {
		m.n = 0;
		put16(&m, type << 8);
		put16(&m, (unsigned)n);
		put(&m, r, n);
		bool want = type == 2 || type == 3;
		assert_int_equal(stun(m.b, m.n, TCP), want);
		assert_false(stun(m.b, m.n, UDP));
	}
	m.b[0] = 0x02;
	m.b[1] = 0x01; /* reserved byte must be zero */
	assert_false(stun(m.b, m.n, TCP));
	m.b[1] = 0x00;
	for (size_t k = 0; k < m.n; k++)
		assert_false(stun(m.b, k, TCP));
	m.b[3] = (uint8_t)(n + 1); /* one past the end */
	assert_false(stun(m.b, m.n, TCP));

	/* A legacy MS-TURN Allocate request inside the MS-TURN frame. */
	m.n = 0;
	put16(&m, 0x0200);
	put16(&m, 20 + 5);
	put_legacy_header(&m, 0x0003, 5);
	put_zeros(&m, 5);
	assert_true(stun(m.b, m.n, TCP));
}

static void test_channel_data_crafted(void **state)
{
	(void)state;
	msg m = {0};
	put16(&m, 0x4001);
	put16(&m, 5);
	put(&m, (const uint8_t *)"hello", 5);
	/* UDP: padding optional. */
	assert_true(stun(m.b, m.n, UDP));
	put_zeros(&m, 3);
	assert_true(stun(m.b, m.n, UDP));
	/* More than the padding after it: not one ChannelData datagram. */
	put_zeros(&m, 4);
	assert_false(stun(m.b, m.n, UDP));
	/* Length past the end. */
	assert_false(stun(m.b, 8, UDP));
	for (size_t k = 0; k < 9; k++)
		assert_false(stun(m.b, k, UDP));

	/* Channel numbers outside 0x4000-0x7FFF. */
	static const unsigned bad_channels[] = {0x3fff, 0x8000, 0xfffe, 0x0000};
	for (size_t i = 0; i < sizeof bad_channels / sizeof bad_channels[0]; i++) {
		m.n = 0;
		put16(&m, bad_channels[i]);
		put16(&m, 4);
		put_zeros(&m, 4);
		assert_false(stun(m.b, m.n, UDP));
	}
	m.n = 0;
	put16(&m, 0x7fff);
	put16(&m, 4);
	put_zeros(&m, 4);
	assert_true(stun(m.b, m.n, UDP));

	/* TCP: padded to 4, back to back with STUN, covering the segment. */
	m.n = 0;
	put16(&m, 0x4001);
	put16(&m, 5);
	put(&m, (const uint8_t *)"hello", 5);
	assert_false(stun(m.b, m.n, TCP)); /* unpadded on TCP */
	put_zeros(&m, 3);
	assert_true(stun(m.b, m.n, TCP));
	put(&m, rfc5769_request, sizeof rfc5769_request);
	assert_true(stun(m.b, m.n, TCP));
	/* The same followed by a partial message or stray bytes: a segment
	 * opening with ChannelData must parse to its end. */
	assert_false(stun(m.b, m.n - 1, TCP));
	put_zeros(&m, 2);
	assert_false(stun(m.b, m.n, TCP));
}

static void test_msturn_multiplexed_crafted(void **state)
{
	(void)state;
	static const uint8_t session[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t rtp_hdr[12] = {0x80, 0x00, 0x12, 0x34, 0, 0, 0, 1, 0xca, 0xfe, 0xba, 0xbe};
	msg m = {0};
	put16(&m, 0xff10);
	put16(&m, 8 + sizeof rfc5769_request);
	put(&m, session, 8);
	put(&m, rfc5769_request, sizeof rfc5769_request);
	assert_true(stun(m.b, m.n, UDP));
	assert_false(rtp(m.b, m.n, UDP));
	m.b[3]++; /* length one past the end */
	assert_false(stun(m.b, m.n, UDP));

	m.n = 0;
	put16(&m, 0xff10);
	put16(&m, 8 + sizeof rtp_hdr);
	put(&m, session, 8);
	put(&m, rtp_hdr, sizeof rtp_hdr);
	assert_true(rtp(m.b, m.n, UDP));
	assert_false(stun(m.b, m.n, UDP));
	for (size_t k = 0; k < m.n; k++)
		assert_false(rtp(m.b, k, UDP) || stun(m.b, k, UDP));
}

/* ---- RTP ---- */

static void rtp_header(msg *m, unsigned b0, unsigned b1)
{
	m->n = 0;
	uint8_t h[12] = {(uint8_t)b0, (uint8_t)b1, 0x12, 0x34, 0x00, 0x01, 0xe2, 0x40,
			 0xde, 0xad, 0xbe, 0xef};
	put(m, h, sizeof h);
}

static void test_rtp_crafted_header(void **state)
{
	(void)state;
	msg m;
	rtp_header(&m, 0x80, 0); /* PCMU */
	put_zeros(&m, 20);
	assert_true(rtp(m.b, m.n, UDP));
	assert_false(rtp(m.b, m.n, 1));
	assert_false(ea_payload_is_rtp(NULL, 0, UDP));
	/* The 12-byte header is enough; anything shorter is not RTP. */
	assert_true(rtp(m.b, 12, UDP));
	for (size_t k = 0; k < 12; k++)
		assert_false(rtp(m.b, k, UDP));

	/* Versions 0, 1 and 3. */
	for (unsigned v = 0; v < 4; v++) {
		m.b[0] = (uint8_t)(v << 6);
		assert_int_equal(rtp(m.b, m.n, UDP), v == 2);
	}

	/* Two CSRCs need 20 bytes. */
	rtp_header(&m, 0x82, 8);
	put_zeros(&m, 8);
	assert_true(rtp(m.b, 20, UDP));
	assert_false(rtp(m.b, 19, UDP));

	/* A header extension: 4 bytes plus its length in words. */
	rtp_header(&m, 0x90, 111);
	put16(&m, 0xbede);
	put16(&m, 2);
	put_zeros(&m, 8);
	assert_true(rtp(m.b, m.n, UDP));
	assert_false(rtp(m.b, m.n - 1, UDP));
	assert_false(rtp(m.b, 15, UDP)); /* extension header itself cut */
	m.b[15] = 0xff;                  /* extension length past the end */
	assert_false(rtp(m.b, m.n, UDP));
}

static void test_rtp_payload_types(void **state)
{
	(void)state;
	msg m;
	int passed = 0;
	for (unsigned b1 = 0; b1 < 256; b1++) {
		rtp_header(&m, 0x80, b1);
		bool ok = rtp(m.b, m.n, UDP);
		unsigned pt = b1 & 0x7f;
		/* RTCP SR, RR, SDES, BYE, APP (200-204) and the rest of
		 * 192-223 are never RTP; nor are the reserved types 72-76
		 * with or without the marker bit. */
		if (b1 >= 192 && b1 <= 223)
			assert_false(ok);
		if (pt >= 72 && pt <= 76)
			assert_false(ok);
		if (pt >= 96 || pt == 0 || pt == 8 || pt == 9 || pt == 13 || pt == 18 || pt == 34)
			assert_true(ok);
		if (pt == 1 || pt == 2 || pt == 19 || pt == 35 || pt == 95)
			assert_false(ok);
		passed += ok;
	}
	/* 24 types RFC 3551 assigns and 32 dynamic ones, each with and
	 * without the marker bit. */
	assert_int_equal(passed, 2 * (24 + 32));
}

static void test_rtp_crafted_tcp(void **state)
{
	(void)state;
	msg pkt;
	rtp_header(&pkt, 0x80, 8);
	put_zeros(&pkt, 160);

	/* Bare RTP on TCP has no boundary to trust. */
	assert_false(rtp(pkt.b, pkt.n, TCP));

	msg m = {0};
	put16(&m, (unsigned)pkt.n);
	put(&m, pkt.b, pkt.n);
	assert_true(rtp(m.b, m.n, TCP));
	assert_false(rtp(m.b, m.n, UDP));
	for (size_t k = 0; k < m.n; k++)
		assert_false(rtp(m.b, k, TCP));
	/* A frame shorter than an RTP header, or longer than the segment. */
	m.b[0] = 0;
	m.b[1] = 11;
	assert_false(rtp(m.b, m.n, TCP));
	m.b[1] = 12;
	assert_true(rtp(m.b, m.n, TCP)); /* frames may follow one another */
	put16(&m, 0);
	m.b[0] = (uint8_t)((pkt.n + 3) >> 8);
	m.b[1] = (uint8_t)(pkt.n + 3);
	assert_false(rtp(m.b, m.n, TCP));

	/* MS-TURN end-to-end data frames carry media; control frames do not. */
	m.n = 0;
	put16(&m, 0x0300);
	put16(&m, (unsigned)pkt.n);
	put(&m, pkt.b, pkt.n);
	assert_true(rtp(m.b, m.n, TCP));
	assert_false(stun(m.b, m.n, TCP));
	m.b[0] = 0x02;
	assert_false(rtp(m.b, m.n, TCP));
}

/* Hand-made openings of what shares a port with media in real life. */
static void test_text_and_tls_never_pass(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"GET / HTTP/1.1\r\nHost: edge.example.com\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
		"INVITE sip:alice@example.com SIP/2.0\r\n",
		"<?xml version='1.0'?><stream:stream to='example.com'>",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		const uint8_t *p = (const uint8_t *)texts[i];
		size_t n = strlen(texts[i]);
		for (size_t k = 0; k <= n; k++) {
			assert_false(stun(p, k, TCP) || stun(p, k, UDP));
			assert_false(rtp(p, k, TCP) || rtp(p, k, UDP));
		}
	}
	/* TLS record headers of every content type, with lengths that fit. */
	for (unsigned ct = 20; ct <= 23; ct++) {
		for (unsigned minor = 0; minor <= 4; minor++) {
			msg m = {0};
			uint8_t h[5] = {(uint8_t)ct, 3, (uint8_t)minor, 0x00, 0x30};
			put(&m, h, sizeof h);
			put_zeros(&m, 0x30);
			assert_false(stun(m.b, m.n, TCP) || stun(m.b, m.n, UDP));
			assert_false(rtp(m.b, m.n, TCP) || rtp(m.b, m.n, UDP));
		}
	}
}

/* ---- TLS hellos ---- */

static bool tls(const uint8_t *p, size_t len, uint8_t transport)
{
	return run(ea_payload_is_tls, p, len, transport);
}

typedef struct {
	long hits, tcp;
} tls_tally;

static void tls_visit(const ea_packet *pkt, void *ctx)
{
	tls_tally *t = ctx;
	if (pkt->proto == TCP)
		t->tcp++;
	if (tls(pkt->payload, pkt->payload_len, pkt->proto))
		t->hits++;
}

/* Segments that open with a ClientHello or ServerHello record, as
 * Wireshark 4.0.17 dissects them without reassembly:
 *   tshark -r F -o tcp.desegment_tcp_streams:FALSE \
 *     -Y 'tls.handshake.type == 1 || tls.handshake.type == 2' | wc -l
 * and nothing in captures without TLS. */
static void test_tls_hellos_agree_with_wireshark(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		long hellos;
	} want[] = {
		{"ndpi_tls_alert.pcap", 1},         /* a ClientHello the server refuses */
		{"zeek_xmpp-starttls.pcap", 2},     /* after STARTTLS: ClientHello, ServerHello */
		{"zeek_xmpp-dialback-starttls.pcap", 2},
		{"ndpi_443-chrome.pcap", 0},        /* one continuation segment */
		{"ndpi_ssh.pcap", 0},
		{"ndpi_http.pcapng", 0},
		{"zeek_ssh-on-port-80.pcap", 0},
		{"ndpi_stun_tcp_multiple_msgs_same_pkt.pcap", 0},
		{"ndpi_jabber.pcap", 0},
		{"ndpi_rdp.pcap", 2},              /* RDP's TLS upgrade; tshark needs -d tcp.port==3389,tls */
		{"zeek_smb2readwrite.pcap", 0},
		{"ndpi_sip.pcap", 0},
		{"ndpi_stun.pcap", 0},             /* DTLS on UDP is not TLS */
		{"ndpi_stun_dtls_rtp.pcapng", 0},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		tls_tally t = {0};
		must_walk(want[i].file, tls_visit, &t);
		if (t.hits != want[i].hellos)
			fail_msg("%s: %ld TLS hellos, Wireshark %ld", want[i].file, t.hits, want[i].hellos);
	}
}

static void test_tls_crafted(void **state)
{
	(void)state;
	/* A TLS 1.2 ClientHello's first bytes: record 22 3.1 len 0x00c4,
	 * handshake 1 len 0x0000c0, client_version 3.3, then the random. */
	static const uint8_t client_hello[] = {0x16, 0x03, 0x01, 0x00, 0xc4, 0x01, 0x00, 0x00, 0xc0, 0x03, 0x03,
					       0x5f, 0x2a, 0x91, 0x07};
	static const uint8_t server_hello[] = {0x16, 0x03, 0x03, 0x00, 0x5a, 0x02, 0x00, 0x00, 0x56, 0x03, 0x03};
	assert_true(tls(client_hello, sizeof client_hello, TCP));
	assert_true(tls(server_hello, sizeof server_hello, TCP));
	/* What a 96-byte snap length leaves of it is enough... */
	assert_true(tls(client_hello, 11, TCP));
	/* ... but not fewer than the eleven bytes the check reads. */
	for (size_t n = 0; n < 11; n++)
		assert_false(tls(client_hello, n, TCP));
	assert_false(ea_payload_is_tls(NULL, 11, TCP));
	assert_false(tls(client_hello, sizeof client_hello, UDP));
	/* Each field out of its range. */
	uint8_t b[sizeof client_hello];
	static const struct {
		size_t at;
		uint8_t value;
	} wrong[] = {
		{0, 0x17}, /* application data */
		{0, 0x15}, /* alert */
		{1, 0x02}, /* SSL 2 record version */
		{2, 0x05}, /* 3.5: no such version */
		{3, 0x48}, /* record longer than 2^14 + 2048 */
		{5, 0x0b}, /* Certificate, not a hello */
		{5, 0x00}, /* HelloRequest */
		{9, 0x02}, /* hello version 2.x */
		{10, 0x05},
	};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		memcpy(b, client_hello, sizeof b);
		b[wrong[i].at] = wrong[i].value;
		if (tls(b, sizeof b, TCP))
			fail_msg("byte %zu = 0x%02x passed", wrong[i].at, wrong[i].value);
	}
	/* Record and hello lengths too short for a hello. */
	memcpy(b, client_hello, sizeof b);
	b[3] = 0x00;
	b[4] = 0x10;
	assert_false(tls(b, sizeof b, TCP));
	memcpy(b, client_hello, sizeof b);
	b[8] = 0x10;
	assert_false(tls(b, sizeof b, TCP));
	/* Plain text on a TLS port: what a mismatch on 443 looks like. */
	static const char *const text[] = {"GET / HTTP/1.1\r\nHost: x\r\n", "SSH-2.0-OpenSSH_9.2p1\r\n",
					   "<?xml version='1.0'?><stream:stream", "OPTIONS sip:x SIP/2.0\r\n"};
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		assert_false(tls((const uint8_t *)text[i], strlen(text[i]), TCP));
}

/* ---- RTCP and DTLS ---- */

typedef struct {
	long rtcp, dtls, udp;
} media_tally;

static bool rtcp(const uint8_t *p, size_t len, uint8_t transport)
{
	return run(ea_payload_is_rtcp, p, len, transport);
}

static bool dtls(const uint8_t *p, size_t len, uint8_t transport)
{
	return run(ea_payload_is_dtls, p, len, transport);
}

static void media_visit(const ea_packet *pkt, void *ctx)
{
	media_tally *t = ctx;
	if (pkt->proto == UDP)
		t->udp++;
	t->rtcp += rtcp(pkt->payload, pkt->payload_len, pkt->proto);
	t->dtls += dtls(pkt->payload, pkt->payload_len, pkt->proto);
}

/* Wireshark 4.0.17 on every shared capture:
 *   RTCP: tshark -r F -o rtcp.heuristic_rtcp:TRUE -Y 'udp && rtcp && !stun && !classicstun' | wc -l
 *   DTLS: tshark -r F -Y 'udp && dtls && !icmp' | wc -l
 * DTLS agrees everywhere. Wireshark's RTCP heuristic does not take SRTCP
 * (RFC 3711 §3.4: index and tag after the compound), which Skype, Teams
 * and WebRTC send: those counts are ours, each packet an RTPFB, PSFB, SR
 * or RR whose length word ends inside the datagram, the rest the SRTCP
 * trailer. It does take ndpi_skype.pcap's frame 262 (9b cc 02 7d ...: an
 * APP packet claiming 2,552 bytes in a 40-byte datagram), which is not. */
static void test_rtcp_dtls_agree_with_wireshark(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		long rtcp, dtls;
	} want[] = {
		{"ndpi_rtcp_multiple_pkts.pcap", 5, 0},   /* Wireshark: 5 */
		{"ndpi_sip.pcap", 1, 0},                  /* Wireshark: 1 */
		{"ndpi_skype.pcap", 0, 0},                /* Wireshark: 1, see above */
		{"ndpi_rtp.pcapng", 3, 0},                /* SRTCP RTPFB; Wireshark: 0 */
		{"ndpi_teams.pcap", 12, 0},               /* SRTCP; Wireshark: 0 */
		{"ndpi_stun_msteams_unidir.pcapng", 8, 0}, /* SRTCP; Wireshark: 0 */
		{"ndpi_skype-conference-call.pcap", 155, 0}, /* SRTCP; Wireshark: 0 */
		{"ndpi_stun.pcap", 3, 15},                /* SRTCP; Wireshark: 0 and 15 */
		{"ndpi_stun_dtls_rtp.pcapng", 1, 23},     /* SRTCP; Wireshark: 0 and 23 */
		{"zeek_webrtc-stun.pcap", 0, 4},          /* Wireshark: 0 and 4 */
	};
	DIR *d = opendir(EA_SHARED_PCAPS);
	assert_non_null(d);
	struct dirent *e;
	unsigned seen = 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || (strcmp(e->d_name + n - 5, ".pcap") && (n < 8 || strcmp(e->d_name + n - 7, ".pcapng"))))
			continue;
		media_tally t = {0};
		if (each_payload(e->d_name, media_visit, &t) < 0)
			continue;
		long rtcp_want = 0, dtls_want = 0;
		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
			if (!strcmp(want[i].file, e->d_name)) {
				rtcp_want = want[i].rtcp;
				dtls_want = want[i].dtls;
				seen++;
			}
		if (t.rtcp != rtcp_want || t.dtls != dtls_want)
			fail_msg("%s: RTCP %ld (want %ld), DTLS %ld (want %ld)", e->d_name, t.rtcp, rtcp_want,
				 t.dtls, dtls_want);
	}
	closedir(d);
	assert_int_equal(seen, sizeof want / sizeof want[0]);
}

static void test_rtcp_dtls_crafted(void **state)
{
	(void)state;
	/* An RR with one report block: 8 + 24 bytes, length word 7. */
	uint8_t rr[32] = {0x81, 201, 0x00, 0x07, 0xde, 0xad, 0xbe, 0xef};
	assert_true(rtcp(rr, sizeof rr, UDP));
	/* SRTCP: the same with a 4-byte index and a 10-byte tag after it. */
	uint8_t srtcp[46] = {0x81, 201, 0x00, 0x07, 0xde, 0xad, 0xbe, 0xef};
	assert_true(rtcp(srtcp, sizeof srtcp, UDP));
	/* Too short for its report count, or its length past the datagram. */
	assert_false(rtcp(rr, 31, UDP));
	rr[0] = 0x82;
	assert_false(rtcp(rr, sizeof rr, UDP));
	rr[0] = 0x81;
	for (size_t n = 0; n < 8; n++)
		assert_false(rtcp(rr, n, UDP));
	/* An SR with no report block: 28 bytes. */
	uint8_t sr[28] = {0x80, 200, 0x00, 0x06};
	assert_true(rtcp(sr, sizeof sr, UDP));
	sr[3] = 0x05; /* 24 bytes: no room for the sender info */
	assert_false(rtcp(sr, sizeof sr, UDP));
	/* RTP is not RTCP: PT 8 (PCMA). */
	uint8_t pcma[32] = {0x80, 0x08, 0x00, 0x07};
	assert_false(rtcp(pcma, sizeof pcma, UDP));
	/* Version 1, and a packet type past XR. */
	uint8_t v1[32] = {0x41, 201, 0x00, 0x07};
	assert_false(rtcp(v1, sizeof v1, UDP));
	uint8_t pt208[32] = {0x81, 208, 0x00, 0x07};
	assert_false(rtcp(pt208, sizeof pt208, UDP));
	/* On TCP only inside an RFC 4571 frame. */
	uint8_t framed[34] = {0x00, 0x20, 0x81, 201, 0x00, 0x07};
	assert_true(rtcp(framed, sizeof framed, TCP));
	assert_false(rtcp(rr, sizeof rr, TCP));
	assert_false(rtcp(rr, sizeof rr, 1));

	/* A DTLS 1.2 ClientHello record and a change_cipher_spec after it. */
	uint8_t two[13 + 3 + 13 + 1] = {22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 0,
					20, 254, 253, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1};
	assert_true(dtls(two, sizeof two, UDP));
	assert_true(dtls(two, 16, UDP));         /* the first record alone */
	assert_false(dtls(two, 17, UDP));        /* a stray byte after it */
	assert_false(dtls(two, sizeof two - 1, UDP)); /* the last record cut */
	for (size_t n = 0; n < 13; n++)
		assert_false(dtls(two, n, UDP));
	assert_false(dtls(two, sizeof two, TCP));
	uint8_t b[sizeof two];
	static const struct {
		size_t at;
		uint8_t value;
	} wrong[] = {{0, 19}, {0, 26}, {1, 3}, {2, 254}, {2, 252}};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		memcpy(b, two, sizeof b);
		b[wrong[i].at] = wrong[i].value;
		if (dtls(b, sizeof b, UDP))
			fail_msg("byte %zu = %u passed", wrong[i].at, wrong[i].value);
	}
	/* DTLS 1.0's version passes too. */
	memcpy(b, two, sizeof b);
	b[2] = b[18] = 255;
	assert_true(dtls(b, sizeof b, UDP));
	/* A zero-length record is none. */
	uint8_t empty[13] = {23, 254, 253};
	assert_false(dtls(empty, sizeof empty, UDP));
}

static void test_lookup(void **state)
{
	(void)state;
	const ea_payload_check *c = ea_payload_check_for("STUN");
	assert_non_null(c);
	assert_string_equal(c->protocol, "STUN");
	assert_ptr_equal(c->check, ea_payload_is_stun);
	assert_ptr_equal(ea_payload_check_for("stun"), c);

	c = ea_payload_check_for("Rtp");
	assert_non_null(c);
	assert_string_equal(c->protocol, "RTP");
	assert_ptr_equal(c->check, ea_payload_is_rtp);

	c = ea_payload_check_for("tls");
	assert_non_null(c);
	assert_ptr_equal(c->check, ea_payload_is_tls);
	assert_int_equal(c->hits_needed, 1);
	assert_ptr_equal(ea_payload_check_for("RTCP")->check, ea_payload_is_rtcp);
	assert_ptr_equal(ea_payload_check_for("dtls")->check, ea_payload_is_dtls);
	assert_null(ea_payload_check_for("SkypeCall"));
	assert_null(ea_payload_check_for("STUNx"));
	assert_null(ea_payload_check_for(""));
	assert_null(ea_payload_check_for(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stun_agrees_with_wireshark_on_every_capture),
		cmocka_unit_test(test_rtp_on_udp_agrees_with_wireshark),
		cmocka_unit_test(test_stun_rfc4571_framed_tcp),
		cmocka_unit_test(test_stun_bare_tcp_streams),
		cmocka_unit_test(test_msturn_in_teams),
		cmocka_unit_test(test_channel_data_udp),
		cmocka_unit_test(test_rtp_rfc4571_framed_tcp),
		cmocka_unit_test(test_demultiplexed_media_is_not_misread),
		cmocka_unit_test(test_tls_http_ssh_never_pass),
		cmocka_unit_test(test_stun_crafted_standard),
		cmocka_unit_test(test_stun_crafted_legacy),
		cmocka_unit_test(test_stun_crafted_tcp_framings),
		cmocka_unit_test(test_channel_data_crafted),
		cmocka_unit_test(test_msturn_multiplexed_crafted),
		cmocka_unit_test(test_rtp_crafted_header),
		cmocka_unit_test(test_rtp_payload_types),
		cmocka_unit_test(test_rtp_crafted_tcp),
		cmocka_unit_test(test_text_and_tls_never_pass),
		cmocka_unit_test(test_tls_hellos_agree_with_wireshark),
		cmocka_unit_test(test_tls_crafted),
		cmocka_unit_test(test_rtcp_dtls_agree_with_wireshark),
		cmocka_unit_test(test_rtcp_dtls_crafted),
		cmocka_unit_test(test_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
