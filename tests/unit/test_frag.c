/* test_frag.c — IP fragment reassembly against crafted fragments.
 *
 * Each test cuts a known datagram (its IP payload built byte by byte)
 * into fragments, decodes each with ea_decode as a raw-IP frame, hands it
 * to the table, and checks what comes out by decoding it again with
 * ea_decode_reassembled — the path audit.c drives. */
#include "testutil.h"

#include "decode/decode.h"
#include "util/ea_limits.h"
#include "decode/frag.h"

enum { LT_IPV4 = 228, LT_IPV6 = 229 };

static const uint8_t SRC4[4] = {192, 168, 1, 100}, DST4[4] = {10, 0, 0, 5};
static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

typedef struct {
	uint64_t a[EA_ANOMALY_COUNT];
} counters;

/* A TCP SYN with 20 bytes of options (a 40-byte header) and `extra`
 * payload bytes. */
static size_t tcp_syn(uint8_t *b, size_t extra)
{
	size_t n = 0;
	b[n++] = 0x30; b[n++] = 0x39; /* 12345 */
	b[n++] = 0x00; b[n++] = 0x50; /* 80 */
	memset(b + n, 0, 8);
	b[n + 3] = 1;
	n += 8;
	b[n++] = 10 << 4;             /* data offset: 40 bytes */
	b[n++] = 0x02;                /* SYN */
	b[n++] = 0x20; b[n++] = 0;    /* window */
	b[n++] = 0; b[n++] = 0;       /* checksum */
	b[n++] = 0; b[n++] = 0;       /* urgent */
	static const uint8_t opts[20] = {2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
	memcpy(b + n, opts, 20);
	n += 20;
	for (size_t i = 0; i < extra; i++)
		b[n++] = (uint8_t)('a' + i % 26);
	return n;
}

/* A UDP datagram of `len` bytes (header included) from 53 to 40000. */
static size_t udp_dgram(uint8_t *b, size_t len)
{
	b[0] = 0; b[1] = 53; b[2] = 0x9c; b[3] = 0x40;
	b[4] = (uint8_t)(len >> 8); b[5] = (uint8_t)len;
	b[6] = b[7] = 0;
	for (size_t i = 8; i < len; i++)
		b[i] = (uint8_t)(i * 7);
	return len;
}

/* An IPv4 fragment of data[off..off+len) of a datagram, as a raw-IP
 * frame: proto, id, MF. */
static size_t v4_frag(uint8_t *out, uint8_t proto, uint16_t id, const uint8_t *data, size_t off, size_t len, bool mf)
{
	size_t total = 20 + len;
	out[0] = 0x45; out[1] = 0;
	out[2] = (uint8_t)(total >> 8); out[3] = (uint8_t)total;
	out[4] = (uint8_t)(id >> 8); out[5] = (uint8_t)id;
	uint16_t fo = (uint16_t)(off / 8) | (mf ? 0x2000 : 0);
	out[6] = (uint8_t)(fo >> 8); out[7] = (uint8_t)fo;
	out[8] = 64; out[9] = proto; out[10] = out[11] = 0;
	memcpy(out + 12, SRC4, 4);
	memcpy(out + 16, DST4, 4);
	memcpy(out + 20, data + off, len);
	return total;
}

/* An IPv6 fragment behind a hop-by-hop header (8 bytes, unfragmentable). */
static size_t v6_frag(uint8_t *out, uint8_t next, uint32_t id, const uint8_t *data, size_t off, size_t len, bool m)
{
	size_t plen = 8 + 8 + len;
	memset(out, 0, 40);
	out[0] = 0x60;
	out[4] = (uint8_t)(plen >> 8); out[5] = (uint8_t)plen;
	out[6] = 0; /* hop-by-hop */
	out[7] = 64;
	memcpy(out + 8, SRC6, 16);
	memcpy(out + 24, DST6, 16);
	uint8_t *h = out + 40;
	memset(h, 0, 8);
	h[0] = 44; /* then the Fragment header */
	h[2] = 1; h[3] = 4; h[4] = h[5] = 0; /* PadN, 4 bytes */
	uint8_t *fh = out + 48;
	fh[0] = next; fh[1] = 0;
	uint16_t om = (uint16_t)((off / 8) << 3 | (m ? 1 : 0));
	fh[2] = (uint8_t)(om >> 8); fh[3] = (uint8_t)om;
	fh[4] = (uint8_t)(id >> 24); fh[5] = (uint8_t)(id >> 16); fh[6] = (uint8_t)(id >> 8); fh[7] = (uint8_t)id;
	memcpy(out + 56, data + off, len);
	return 56 + len;
}

/* Decodes buf[0..caplen) as a raw-IP frame of wire length `len` and adds
 * it to t. The frame is a heap copy of exactly caplen bytes, freed
 * straight after: the table must have copied what it keeps. */
static void add_frame(ea_frag_table *t, int lt, const uint8_t *buf, size_t caplen, uint64_t ts, counters *c)
{
	uint8_t *copy = malloc(caplen);
	assert_non_null(copy);
	memcpy(copy, buf, caplen);
	ea_frame fr = {.ts_us = ts, .caplen = (uint32_t)caplen, .wirelen = (uint32_t)caplen, .linktype = lt,
		       .data = copy, .number = 1};
	ea_packet p;
	ea_anomaly note;
	assert_int_equal(ea_decode(&fr, &p, &note), EA_DECODE_OK);
	assert_int_not_equal(p.frag, EA_FRAG_NONE);
	ea_frag_add(t, &p, c->a);
	free(copy);
}

static void add4(ea_frag_table *t, uint8_t proto, uint16_t id, const uint8_t *data, size_t off, size_t len, bool mf,
		 uint64_t ts, counters *c)
{
	uint8_t buf[70000];
	size_t n = v4_frag(buf, proto, id, data, off, len, mf);
	add_frame(t, LT_IPV4, buf, n, ts, c);
}

/* The next ready datagram, decoded; false when none. */
static bool take(ea_frag_table *t, ea_frag_datagram *dg, ea_packet *p, ea_anomaly *note, counters *c)
{
	if (!ea_frag_next(t, dg, c->a))
		return false;
	assert_true(dg->caplen >= 20);
	assert_int_equal(ea_decode_reassembled(dg->ip, dg->caplen, dg->last_us, p, note), EA_DECODE_OK);
	return true;
}

static uint64_t total_events(const counters *c)
{
	uint64_t n = 0;
	for (int i = 0; i < EA_ANOMALY_COUNT; i++)
		n += c->a[i];
	return n;
}

/* The shared case's shape: a SYN's 40-byte header over two fragments, the
 * first holding ports, flags and 4 option bytes. */
static void split_tcp_header_in_order(void **state)
{
	(void)state;
	uint8_t d[64];
	size_t n = tcp_syn(d, 0);
	counters c = {0};
	ea_frag_table *t = ea_frag_table_new(1);
	add4(t, 6, 1, d, 0, 24, true, 1000, &c);
	ea_frag_datagram dg;
	ea_packet p;
	ea_anomaly note;
	assert_false(take(t, &dg, &p, &note, &c));
	assert_int_equal(ea_frag_in_progress(t), 1);
	add4(t, 6, 1, d, 24, n - 24, false, 1500, &c);
	assert_int_equal(ea_frag_in_progress(t), 0);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_true(dg.complete);
	assert_int_equal(dg.caplen, 20 + n);
	assert_memory_equal(dg.ip + 20, d, n);
	assert_int_equal(dg.frames, 2);
	assert_int_equal(dg.wire_bytes, 44 + 36);
	assert_int_equal(dg.first_us, 1000);
	assert_int_equal(dg.last_us, 1500);
	assert_int_equal(p.frag, EA_FRAG_NONE);
	assert_int_equal(p.sport, 12345);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_flags, EA_TCP_SYN);
	assert_int_equal(p.ip_len, 20 + n);
	assert_int_equal(note, EA_ANOMALY_COUNT);
	assert_false(take(t, &dg, &p, &note, &c));
	assert_int_equal(total_events(&c), 0);
	assert_int_equal(ea_frag_bytes(t), 0);
	ea_frag_table_free(t);
}

static void out_of_order_and_duplicates(void **state)
{
	(void)state;
	uint8_t d[3000];
	size_t n = udp_dgram(d, 2000);
	counters c = {0};
	ea_frag_table *t = ea_frag_table_new(2);
	ea_frag_datagram dg;
	ea_packet p;
	ea_anomaly note;
	/* Last first, then the middle twice (a SPAN that saw it twice),
	 * then the first. */
	add4(t, 17, 9, d, 1600, n - 1600, false, 10, &c);
	add4(t, 17, 9, d, 800, 800, true, 11, &c);
	add4(t, 17, 9, d, 800, 800, true, 12, &c);
	assert_false(take(t, &dg, &p, &note, &c));
	add4(t, 17, 9, d, 0, 800, true, 13, &c);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_true(dg.complete);
	assert_int_equal(dg.frames, 4);
	assert_int_equal(dg.wire_bytes, 420 + 820 + 820 + 820);
	assert_memory_equal(dg.ip + 20, d, n);
	assert_int_equal(p.sport, 53);
	assert_int_equal(p.dport, 40000);
	assert_int_equal(p.payload_len, n - 8);
	/* Identical bytes again are not an overlap worth reporting. */
	assert_int_equal(total_events(&c), 0);

	/* Two datagrams interleaved, told apart by their identification. */
	add4(t, 17, 20, d, 0, 800, true, 20, &c);
	add4(t, 17, 21, d, 0, 800, true, 20, &c);
	add4(t, 17, 21, d, 800, n - 800, false, 21, &c);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_int_equal(dg.frames, 2);
	assert_false(take(t, &dg, &p, &note, &c));
	assert_int_equal(ea_frag_in_progress(t), 1);
	ea_frag_table_free(t); /* with one in progress: freed, not leaked */
}

/* "First" policy: bytes once received are kept; a fragment that says
 * otherwise, or a second end, is counted and loses. */
static void overlaps_keep_the_first_bytes(void **state)
{
	(void)state;
	uint8_t d[3000], evil[3000];
	size_t n = udp_dgram(d, 1600);
	memcpy(evil, d, n);
	memset(evil + 16, 0xee, 800); /* rewrites the first fragment's data and more */
	evil[0] = 0; evil[1] = 99;    /* and the source port */
	counters c = {0};
	ea_frag_table *t = ea_frag_table_new(3);
	ea_frag_datagram dg;
	ea_packet p;
	ea_anomaly note;
	add4(t, 17, 5, d, 0, 808, true, 1, &c);
	add4(t, 17, 5, evil, 0, 1200, true, 2, &c); /* overlaps all of it, reaches further */
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_OVERLAP], 1);
	add4(t, 17, 5, d, 1200, n - 1200, false, 3, &c);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_int_equal(p.sport, 53);                    /* the first copy's header */
	assert_memory_equal(dg.ip + 20, d, 808);          /* the first copy's bytes */
	assert_memory_equal(dg.ip + 20 + 808, evil + 808, 1200 - 808); /* the only copy there */
	assert_memory_equal(dg.ip + 20 + 1200, d + 1200, n - 1200);

	/* A second last fragment with another end; data past the end. */
	memset(&c, 0, sizeof c);
	add4(t, 17, 6, d, 800, 100, false, 1, &c);
	add4(t, 17, 6, d, 800, 200, false, 2, &c);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_OVERLAP], 1);
	add4(t, 17, 6, d, 0, 1000, true, 3, &c);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_OVERLAP], 2);
	assert_true(ea_frag_next(t, &dg, c.a)); /* its UDP length says 1600: not decoded */
	assert_true(dg.complete);
	assert_int_equal(dg.caplen, 20 + 900);
	assert_int_equal(dg.frames, 3);
	ea_frag_table_free(t);
}

/* RFC 1858: the TCP header split so that the flags are not in the first
 * fragment, or a later fragment starting inside it. Counted, then
 * reassembled as the host would. */
static void tiny_fragments_are_counted(void **state)
{
	(void)state;
	uint8_t d[64];
	size_t n = tcp_syn(d, 8);
	counters c = {0};
	ea_frag_table *t = ea_frag_table_new(4);
	ea_frag_datagram dg;
	ea_packet p;
	ea_anomaly note;
	add4(t, 6, 7, d, 0, 8, true, 1, &c);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_TINY], 1);
	add4(t, 6, 7, d, 8, n - 8, false, 2, &c);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_TINY], 2);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_int_equal(p.tcp_flags, EA_TCP_SYN);
	assert_int_equal(p.dport, 80);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_OVERLAP], 0);
	ea_frag_table_free(t);
}

static void given_up_syn_keeps_ports_and_flags(void **state)
{
	(void)state;
	/* A SYN whose options run into a second fragment that never comes
	 * (a firewall dropping non-first fragments): the first one still
	 * holds ports and flags, so its flow is an attempt, not lost to
	 * bad_tcp_offset. */
	uint8_t d[64];
	(void)tcp_syn(d, 0);
	counters c = {0};
	ea_frag_table *t = ea_frag_table_new(3);
	add4(t, 6, 1, d, 0, 16, true, 1000, &c);
	ea_frag_flush(t, c.a);
	ea_frag_datagram dg;
	ea_packet p;
	ea_anomaly note;
	assert_true(take(t, &dg, &p, &note, &c));
	assert_false(dg.complete);
	assert_int_equal(p.frag, EA_FRAG_FIRST);
	assert_int_equal(p.sport, 12345);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_flags, EA_TCP_SYN);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_INCOMPLETE], 1);
	ea_frag_table_free(t);
}

static void timeouts_and_end_of_input(void **state)
{
	(void)state;
	uint8_t d[3000];
	size_t n = udp_dgram(d, 2000);
	counters c = {0};
	ea_frag_table *t = ea_frag_table_new(5);
	ea_frag_datagram dg;
	ea_packet p;
	ea_anomaly note;
	uint64_t t0 = 1000000, timeout = EA_FRAGMENT_TIMEOUT_SEC * 1000000ull;

	/* Only the first fragment: at its timeout, its flow still gets it,
	 * its transport header read from what came. */
	add4(t, 17, 1, d, 0, 800, true, t0, &c);
	/* Only a later fragment: nothing says which flow it belongs to. */
	add4(t, 17, 2, d, 800, 800, true, t0 + 1, &c);
	/* A later ESP fragment: its flow is its addresses. */
	add4(t, 50, 3, d, 800, 800, true, t0 + 2, &c);
	ea_frag_expire(t, t0 + timeout, c.a);
	assert_false(take(t, &dg, &p, &note, &c));
	assert_int_equal(ea_frag_in_progress(t), 3);
	ea_frag_expire(t, t0 + timeout + 2, c.a); /* strictly later than the first two's timeout */
	assert_int_equal(ea_frag_in_progress(t), 1);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_false(dg.complete);
	assert_int_equal(p.frag, EA_FRAG_FIRST);
	assert_int_equal(p.sport, 53);
	assert_int_equal(p.dport, 40000);
	assert_int_equal(p.ip_len, 20 + 800);
	assert_int_equal(p.payload_len, 800 - 8);
	assert_false(take(t, &dg, &p, &note, &c));
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_INCOMPLETE], 1);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_UNATTRIBUTED], 1);

	ea_frag_flush(t, c.a);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_int_equal(p.proto, 50);
	assert_int_equal(p.frag, EA_FRAG_LATER);
	assert_int_equal(p.sport + p.dport, 0);
	assert_int_equal(dg.frames, 1);
	assert_int_equal(dg.wire_bytes, 820);
	assert_false(take(t, &dg, &p, &note, &c));
	assert_int_equal(ea_frag_in_progress(t), 0);
	(void)n;
	ea_frag_table_free(t);
}

static void invalid_fragments_are_refused(void **state)
{
	(void)state;
	uint8_t d[70000];
	memset(d, 1, sizeof d);
	counters c = {0};
	ea_frag_table *t = ea_frag_table_new(6);
	/* Past the largest datagram IPv4 can describe (ping of death). */
	add4(t, 17, 1, d, 65528, 16, false, 1, &c);
	/* More to come, but nothing here. */
	add4(t, 17, 2, d, 0, 0, true, 1, &c);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_INVALID], 2);
	assert_int_equal(ea_frag_in_progress(t), 0);
	/* Not a multiple of 8 with more to come: trimmed, like Linux. */
	add4(t, 17, 3, d, 0, 13, true, 1, &c);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_INVALID], 2);
	assert_int_equal(ea_frag_in_progress(t), 1);
	ea_frag_table_free(t);
}

static void caps_give_up_the_oldest(void **state)
{
	(void)state;
	static uint8_t d[65536];
	udp_dgram(d, 60000);
	counters c = {0};
	ea_frag_table *t = ea_frag_table_new(7);
	ea_frag_datagram dg;
	ea_packet p;
	ea_anomaly note;

	/* Datagrams in progress: one more than the cap gives up the oldest,
	 * which still reaches its flow (it had its first part). */
	for (unsigned i = 0; i <= EA_FRAG_MAX_DATAGRAMS; i++)
		add4(t, 17, (uint16_t)i, d, 0, 64, true, 1 + i, &c);
	assert_int_equal(ea_frag_in_progress(t), EA_FRAG_MAX_DATAGRAMS);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_LIMIT], 1);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_int_equal(dg.first_us, 1);
	assert_false(take(t, &dg, &p, &note, &c));
	ea_frag_flush(t, c.a);
	while (take(t, &dg, &p, &note, &c))
		;
	assert_int_equal(ea_frag_in_progress(t), 0);
	assert_int_equal(ea_frag_bytes(t), 0);

	/* Bytes held: large datagrams missing their last fragment. */
	memset(&c, 0, sizeof c);
	for (unsigned i = 0; i < 100; i++) {
		add4(t, 17, (uint16_t)i, d, 0, 32768, true, 1, &c);
		add4(t, 17, (uint16_t)i, d, 32768, 16384, true, 1, &c);
		assert_true(ea_frag_bytes(t) <= EA_FRAG_MAX_BYTES);
	}
	assert_true(c.a[EA_ANOMALY_FRAGMENT_LIMIT] > 0);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_LIMIT], c.a[EA_ANOMALY_FRAGMENT_INCOMPLETE]);
	unsigned out = 0;
	while (take(t, &dg, &p, &note, &c))
		out++;
	assert_int_equal(out, c.a[EA_ANOMALY_FRAGMENT_LIMIT]);
	ea_frag_flush(t, c.a);
	while (take(t, &dg, &p, &note, &c))
		;

	/* Fragments of one datagram: the same one over and over. */
	memset(&c, 0, sizeof c);
	for (unsigned i = 0; i <= EA_FRAG_MAX_FRAGMENTS; i++)
		add4(t, 17, 500, d, 64, 64, true, 1, &c);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_LIMIT], 1);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_UNATTRIBUTED], EA_FRAG_MAX_FRAGMENTS + 1);

	/* Disjoint pieces: every other 8-byte block. */
	memset(&c, 0, sizeof c);
	for (unsigned i = 0; i <= EA_FRAG_MAX_PIECES; i++)
		add4(t, 17, 600, d, 16 * i, 8, true, 1, &c);
	assert_int_equal(c.a[EA_ANOMALY_FRAGMENT_LIMIT], 1);
	assert_true(take(t, &dg, &p, &note, &c)); /* it had its first part */
	assert_int_equal(dg.frames, EA_FRAG_MAX_PIECES + 1);
	ea_frag_table_free(t);
}

static void ipv6_fragments(void **state)
{
	(void)state;
	uint8_t d[3000], buf[4000];
	size_t n = udp_dgram(d, 1500);
	counters c = {0};
	ea_frag_table *t = ea_frag_table_new(8);
	ea_frag_datagram dg;
	ea_packet p;
	ea_anomaly note;
	size_t k = v6_frag(buf, 17, 0xabcdef, d, 1232, n - 1232, false);
	add_frame(t, LT_IPV6, buf, k, 5, &c);
	k = v6_frag(buf, 17, 0xabcdef, d, 0, 1232, true);
	add_frame(t, LT_IPV6, buf, k, 6, &c);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_true(dg.complete);
	/* The hop-by-hop header stays, the Fragment header goes. */
	assert_int_equal(dg.caplen, 48 + n);
	assert_int_equal(dg.ip[6], 0);
	assert_int_equal(dg.ip[40], 17);
	assert_int_equal(dg.ip[4] << 8 | dg.ip[5], 8 + n);
	assert_memory_equal(dg.ip + 48, d, n);
	assert_int_equal(p.ip_version, 6);
	assert_int_equal(p.frag, EA_FRAG_NONE);
	assert_int_equal(p.sport, 53);
	assert_int_equal(p.payload_len, n - 8);

	/* The same with the last fragment lost: its first part, still a
	 * first fragment, at the end of input. */
	k = v6_frag(buf, 17, 7, d, 0, 1232, true);
	add_frame(t, LT_IPV6, buf, k, 7, &c);
	ea_frag_flush(t, c.a);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_false(dg.complete);
	assert_int_equal(p.frag, EA_FRAG_FIRST);
	assert_int_equal(p.dport, 40000);
	assert_int_equal(p.payload_len, 1232 - 8);

	/* IPv6 identity has no protocol: a later fragment naming another
	 * Next Header still joins (RFC 8200 uses the first one's). */
	k = v6_frag(buf, 17, 8, d, 0, 1232, true);
	add_frame(t, LT_IPV6, buf, k, 8, &c);
	k = v6_frag(buf, 60, 8, d, 1232, n - 1232, false);
	add_frame(t, LT_IPV6, buf, k, 9, &c);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_true(dg.complete);
	assert_int_equal(p.proto, 17);
	ea_frag_table_free(t);
}

/* Fragments cut by the snaplen: the datagram completes (every fragment
 * came) and is rebuilt as far as its data runs whole from the start. */
static void snaplen_cut_fragments(void **state)
{
	(void)state;
	uint8_t d[3000], buf[3000];
	size_t n = udp_dgram(d, 1600);
	counters c = {0};
	ea_frag_table *t = ea_frag_table_new(9);
	ea_frag_datagram dg;
	ea_packet p;
	ea_anomaly note;
	size_t k = v4_frag(buf, 17, 1, d, 0, 800, true);
	add_frame(t, LT_IPV4, buf, 96, 1, &c); /* 76 bytes of its 800 */
	k = v4_frag(buf, 17, 1, d, 800, n - 800, false);
	add_frame(t, LT_IPV4, buf, 96, 2, &c);
	assert_true(take(t, &dg, &p, &note, &c));
	assert_true(dg.complete);
	assert_int_equal(dg.caplen, 96);
	assert_int_equal(p.ip_len, 20 + n);
	assert_int_equal(p.sport, 53);
	assert_int_equal(note, EA_ANOMALY_SNAPLEN_PAYLOAD);
	assert_int_equal(dg.wire_bytes, 820 + 20 + n - 800);
	(void)k;
	ea_frag_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_tcp_header_in_order),
		cmocka_unit_test(out_of_order_and_duplicates),
		cmocka_unit_test(overlaps_keep_the_first_bytes),
		cmocka_unit_test(tiny_fragments_are_counted),
		cmocka_unit_test(given_up_syn_keeps_ports_and_flags),
		cmocka_unit_test(timeouts_and_end_of_input),
		cmocka_unit_test(invalid_fragments_are_refused),
		cmocka_unit_test(caps_give_up_the_oldest),
		cmocka_unit_test(ipv6_fragments),
		cmocka_unit_test(snaplen_cut_fragments),
	};
	return cmocka_run_group_tests_name("frag", tests, NULL, NULL);
}
