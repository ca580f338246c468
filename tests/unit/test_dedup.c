/* test_dedup.c — SPAN duplicate suppression against crafted frames:
 * copies in and out of the window, a VLAN-tagged copy, a TCP
 * retransmission (new IP id, new timestamp option), the two memory
 * bounds, and frames too short or odd to parse. */
#include "testutil.h"

#include "capture/dedup.h"
#include "util/ea_limits.h"

enum { LT_ETHERNET = 1, LT_RAW = 101 };

#define T0 1700000000000000ull /* µs: any time will do */

/* Ethernet + IPv4 + TCP with a timestamp option, then `payload` bytes.
 * ip_id and tsval are what a retransmission changes. */
static size_t tcp_frame(uint8_t *b, uint16_t ip_id, uint32_t tsval, size_t payload)
{
	size_t n = 0;
	static const uint8_t macs[12] = {0, 0x15, 0x5d, 1, 2, 3, 0, 0x15, 0x5d, 4, 5, 6};
	memcpy(b, macs, 12);
	n = 12;
	b[n++] = 0x08; b[n++] = 0x00;
	size_t ip_len = 20 + 32 + payload;
	b[n++] = 0x45; b[n++] = 0;
	b[n++] = (uint8_t)(ip_len >> 8); b[n++] = (uint8_t)ip_len;
	b[n++] = (uint8_t)(ip_id >> 8); b[n++] = (uint8_t)ip_id;
	b[n++] = 0x40; b[n++] = 0;          /* DF */
	b[n++] = 128; b[n++] = 6;           /* TTL, TCP */
	b[n++] = 0; b[n++] = 0;             /* checksum: not checked here */
	b[n++] = 10; b[n++] = 0; b[n++] = 1; b[n++] = 10;
	b[n++] = 192; b[n++] = 0; b[n++] = 2; b[n++] = 7;
	b[n++] = 0x01; b[n++] = 0xbb;       /* 443 */
	b[n++] = 0xc0; b[n++] = 0x01;
	memset(b + n, 0, 8);
	b[n + 3] = 7;                       /* seq */
	b[n + 7] = 9;                       /* ack */
	n += 8;
	b[n++] = 8 << 4; b[n++] = 0x18;     /* 32-byte header, PSH ACK */
	b[n++] = 0x20; b[n++] = 0;
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 0;
	b[n++] = 1; b[n++] = 1; b[n++] = 8; b[n++] = 10; /* NOP NOP TS */
	b[n++] = (uint8_t)(tsval >> 24); b[n++] = (uint8_t)(tsval >> 16);
	b[n++] = (uint8_t)(tsval >> 8); b[n++] = (uint8_t)tsval;
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = 1; /* TS echo */
	for (size_t i = 0; i < payload; i++)
		b[n++] = (uint8_t)('A' + i % 26);
	return n;
}

/* The same frame with an 802.1Q (or other) tag after the MACs. */
static size_t tagged(uint8_t *out, const uint8_t *in, size_t len, uint16_t tpid, uint16_t vid)
{
	memcpy(out, in, 12);
	out[12] = (uint8_t)(tpid >> 8); out[13] = (uint8_t)tpid;
	out[14] = (uint8_t)(vid >> 8); out[15] = (uint8_t)vid;
	memcpy(out + 16, in + 12, len - 12);
	return len + 4;
}

static ea_frame frame_at(const uint8_t *b, size_t len, uint64_t ts)
{
	return (ea_frame){.ts_us = ts, .ts_known = true, .caplen = (uint32_t)len, .wirelen = (uint32_t)len,
			  .linktype = LT_ETHERNET, .data = b, .number = 1};
}

static ea_dedup *make(uint64_t window)
{
	ea_dedup *d = NULL;
	char err[128];
	assert_int_equal(ea_dedup_new(window, 0x5eed, &d, err, sizeof err), EA_OK);
	return d;
}

static void copy_within_window_is_suppressed(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = tcp_frame(b, 100, 5000, 60);
	ea_dedup *d = make(0);
	ea_frame f = frame_at(b, n, T0);
	uint64_t gap = 99;
	assert_false(ea_dedup_frame(d, &f, &gap));
	assert_int_equal(gap, 99); /* untouched for a first copy */
	f.ts_us = T0 + 7;
	assert_true(ea_dedup_frame(d, &f, &gap));
	assert_int_equal(gap, 7);
	/* Out of order by a few µs (merged captures): still a copy. */
	f.ts_us = T0 - 3;
	assert_true(ea_dedup_frame(d, &f, &gap));
	assert_int_equal(gap, 3);
	/* Exactly at the window's edge is inside. */
	f.ts_us = T0 + EA_DEDUP_WINDOW_US;
	assert_true(ea_dedup_frame(d, &f, NULL));
	assert_int_equal(ea_dedup_suppressed(d), 3);
	ea_dedup_free(d);
}

static void copy_outside_window_is_kept(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = tcp_frame(b, 100, 5000, 60);
	ea_dedup *d = make(50);
	ea_frame f = frame_at(b, n, T0);
	assert_false(ea_dedup_frame(d, &f, NULL));
	f.ts_us = T0 + 51;
	assert_false(ea_dedup_frame(d, &f, NULL)); /* kept, and now the newest copy */
	f.ts_us = T0 + 51 + 50;
	assert_true(ea_dedup_frame(d, &f, NULL));  /* a copy of the one at T0+51 */
	assert_int_equal(ea_dedup_suppressed(d), 1);
	ea_dedup_free(d);
}

static void vlan_tagged_copy_is_suppressed(void **state)
{
	(void)state;
	uint8_t b[256], t[260], t2[260];
	size_t n = tcp_frame(b, 100, 5000, 60);
	ea_dedup *d = make(0);
	ea_frame f = frame_at(b, n, T0);
	assert_false(ea_dedup_frame(d, &f, NULL));
	/* The SPAN session tagged the egress copy. */
	size_t tn = tagged(t, b, n, 0x8100, 42);
	ea_frame g = frame_at(t, tn, T0 + 4);
	assert_true(ea_dedup_frame(d, &g, NULL));

	/* Tagged first, untagged second; and two copies tagged differently
	 * (802.1ad, and another VLAN). */
	uint8_t c[256];
	size_t cn = tcp_frame(c, 101, 5001, 60);
	tn = tagged(t, c, cn, 0x88a8, 7);
	g = frame_at(t, tn, T0 + 10);
	assert_false(ea_dedup_frame(d, &g, NULL));
	f = frame_at(c, cn, T0 + 12);
	assert_true(ea_dedup_frame(d, &f, NULL));
	size_t tn2 = tagged(t2, c, cn, 0x8100, 8);
	g = frame_at(t2, tn2, T0 + 14);
	assert_true(ea_dedup_frame(d, &g, NULL));

	/* Only the outer tag is set aside: a copy that keeps an inner tag
	 * the other lacks (an S-tag over the C-tag) is other bytes. */
	uint8_t q[264];
	size_t qn = tagged(q, t2, tn2, 0x88a8, 9);
	g = frame_at(q, qn, T0 + 16);
	assert_false(ea_dedup_frame(d, &g, NULL));

	/* The wire lengths must agree too (after the tag's 4 bytes). */
	uint8_t s[256];
	size_t sn = tcp_frame(s, 103, 5003, 60);
	f = frame_at(s, sn, T0 + 30);
	f.wirelen = (uint32_t)sn + 100; /* cut by a snap length */
	assert_false(ea_dedup_frame(d, &f, NULL));
	tn = tagged(t, s, sn, 0x8100, 42);
	g = frame_at(t, tn, T0 + 32);
	g.wirelen = (uint32_t)tn + 100;
	assert_true(ea_dedup_frame(d, &g, NULL));
	g.wirelen = (uint32_t)tn + 101;
	assert_false(ea_dedup_frame(d, &g, NULL));
	ea_dedup_free(d);
}

static void tcp_retransmission_is_kept(void **state)
{
	(void)state;
	uint8_t a[256], b[256], c[256];
	size_t n = tcp_frame(a, 100, 5000, 60);
	assert_int_equal(tcp_frame(b, 101, 5000, 60), n); /* new IP id */
	assert_int_equal(tcp_frame(c, 100, 5001, 60), n); /* new timestamp */
	ea_dedup *d = make(0);
	ea_frame f = frame_at(a, n, T0);
	assert_false(ea_dedup_frame(d, &f, NULL));
	f = frame_at(b, n, T0 + 5);
	assert_false(ea_dedup_frame(d, &f, NULL));
	f = frame_at(c, n, T0 + 10);
	assert_false(ea_dedup_frame(d, &f, NULL));
	/* The last payload byte alone differs, beyond the bytes hashed: the
	 * full comparison keeps it. */
	uint8_t e[400];
	size_t en = tcp_frame(e, 100, 5000, 300);
	ea_frame g = frame_at(e, en, T0 + 20);
	assert_false(ea_dedup_frame(d, &g, NULL));
	e[en - 1] ^= 1;
	g.ts_us = T0 + 21;
	assert_false(ea_dedup_frame(d, &g, NULL));
	e[en - 1] ^= 1;
	g.ts_us = T0 + 22;
	assert_true(ea_dedup_frame(d, &g, NULL));
	assert_int_equal(ea_dedup_suppressed(d), 1);
	ea_dedup_free(d);
}

/* A distinct frame of len bytes, numbered k. */
static void numbered(uint8_t *b, size_t len, uint32_t k)
{
	memset(b, 0x55, len);
	b[12] = 0x08; b[13] = 0x00;
	b[14] = (uint8_t)(k >> 24); b[15] = (uint8_t)(k >> 16);
	b[16] = (uint8_t)(k >> 8); b[17] = (uint8_t)k;
}

static void frame_count_bound_evicts_oldest(void **state)
{
	(void)state;
	uint8_t b[64];
	ea_dedup *d = make(10u * 1000000u);
	for (uint32_t k = 0; k <= EA_DEDUP_MAX_FRAMES; k++) {
		numbered(b, sizeof b, k);
		ea_frame f = frame_at(b, sizeof b, T0 + k);
		assert_false(ea_dedup_frame(d, &f, NULL));
	}
	/* Frames 1 … MAX are remembered; frame 0 gave way. */
	numbered(b, sizeof b, 1);
	ea_frame f = frame_at(b, sizeof b, T0 + 5000);
	assert_true(ea_dedup_frame(d, &f, NULL));
	numbered(b, sizeof b, EA_DEDUP_MAX_FRAMES);
	assert_true(ea_dedup_frame(d, &f, NULL));
	numbered(b, sizeof b, 0);
	assert_false(ea_dedup_frame(d, &f, NULL));
	ea_dedup_free(d);
}

static void byte_bound_evicts_oldest(void **state)
{
	(void)state;
	enum { JUMBO = 9000, COUNT = 1000 };
	static uint8_t b[JUMBO];
	/* 1 MiB holds 116 jumbo frames: the last 100 are there, the one
	 * 120 back is not. */
	assert_int_equal(EA_DEDUP_MAX_BYTES / JUMBO, 116);
	ea_dedup *d = make(10u * 1000000u);
	for (uint32_t k = 0; k < COUNT; k++) {
		numbered(b, JUMBO, k);
		ea_frame f = frame_at(b, JUMBO, T0 + k);
		assert_false(ea_dedup_frame(d, &f, NULL));
	}
	ea_frame f = frame_at(b, JUMBO, T0 + 2000);
	numbered(b, JUMBO, COUNT - 1);
	assert_true(ea_dedup_frame(d, &f, NULL));
	numbered(b, JUMBO, COUNT - 100);
	assert_true(ea_dedup_frame(d, &f, NULL));
	numbered(b, JUMBO, COUNT - 120);
	assert_false(ea_dedup_frame(d, &f, NULL));
	numbered(b, JUMBO, 0);
	assert_false(ea_dedup_frame(d, &f, NULL));

	/* Frames of the capture maximum still fit (4 of them), mixed
	 * with small ones, and every one is found again. */
	static uint8_t big[EA_CAPTURE_MAX_CAPLEN];
	for (uint32_t k = 0; k < 40; k++) {
		numbered(big, k % 3 ? 100 + k : EA_CAPTURE_MAX_CAPLEN, 5000 + k);
		ea_frame g = frame_at(big, k % 3 ? 100 + k : EA_CAPTURE_MAX_CAPLEN, T0 + 3000 + k);
		assert_false(ea_dedup_frame(d, &g, NULL));
		assert_true(ea_dedup_frame(d, &g, NULL));
	}
	ea_dedup_free(d);
}

static void probe_bound_keeps_newest_first(void **state)
{
	(void)state;
	uint8_t b[128];
	size_t n = tcp_frame(b, 1, 1, 20);
	ea_dedup *d = make(1000);
	/* The same frame every 2 ms (a hello): each is kept, and the newest
	 * copy is the one compared first however long its chain. */
	for (unsigned k = 0; k < 3 * EA_DEDUP_MAX_PROBES; k++) {
		ea_frame f = frame_at(b, n, T0 + 2000ull * k);
		assert_false(ea_dedup_frame(d, &f, NULL));
	}
	ea_frame f = frame_at(b, n, T0 + 2000ull * (3 * EA_DEDUP_MAX_PROBES - 1) + 5);
	assert_true(ea_dedup_frame(d, &f, NULL));
	ea_dedup_free(d);
}

static void garbage_and_short_frames(void **state)
{
	(void)state;
	ea_dedup *d = make(0);
	uint8_t b[32];
	memset(b, 0xab, sizeof b);
	/* No bytes, no data, no time: never a duplicate, never remembered. */
	ea_frame f = frame_at(b, 0, T0);
	assert_false(ea_dedup_frame(d, &f, NULL));
	assert_false(ea_dedup_frame(d, &f, NULL));
	f = frame_at(NULL, 10, T0);
	f.caplen = 10;
	assert_false(ea_dedup_frame(d, &f, NULL));
	assert_false(ea_dedup_frame(d, &f, NULL));
	f = frame_at(b, 20, 0);
	f.ts_known = false;
	assert_false(ea_dedup_frame(d, &f, NULL));
	assert_false(ea_dedup_frame(d, &f, NULL));
	/* Every length from 1 to 32, with a tag's TPID cut anywhere: copies
	 * are found, nothing is read past caplen (ASan). */
	b[12] = 0x81; b[13] = 0x00;
	for (uint32_t len = 1; len <= sizeof b; len++) {
		uint8_t *heap = malloc(len);
		assert_non_null(heap);
		memcpy(heap, b, len);
		heap[len - 1] = (uint8_t)len; /* each length its own frame */
		f = frame_at(heap, len, T0 + 100 + len);
		f.wirelen = 1500;
		assert_false(ea_dedup_frame(d, &f, NULL));
		assert_true(ea_dedup_frame(d, &f, NULL));
		free(heap);
	}
	ea_dedup_free(d);

	/* A frame that is a tag and nothing after it counts as the MACs
	 * alone (the tag and its wire bytes set aside); equal bytes of
	 * another link type are another frame; a wire length too short to
	 * hold the tag (corrupt) does not underflow. */
	d = make(0);
	f = frame_at(b, 16, T0);
	assert_false(ea_dedup_frame(d, &f, NULL));
	f = frame_at(b, 12, T0 + 1);
	f.wirelen = 12;
	assert_true(ea_dedup_frame(d, &f, NULL));
	f = frame_at(b, 16, T0 + 2);
	f.linktype = LT_RAW;
	assert_false(ea_dedup_frame(d, &f, NULL));
	f = frame_at(b, 16, T0 + 3);
	f.wirelen = 2;
	assert_false(ea_dedup_frame(d, &f, NULL));
	assert_true(ea_dedup_frame(d, &f, NULL));
	ea_dedup_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copy_within_window_is_suppressed),
		cmocka_unit_test(copy_outside_window_is_kept),
		cmocka_unit_test(vlan_tagged_copy_is_suppressed),
		cmocka_unit_test(tcp_retransmission_is_kept),
		cmocka_unit_test(frame_count_bound_evicts_oldest),
		cmocka_unit_test(byte_bound_evicts_oldest),
		cmocka_unit_test(probe_bound_keeps_newest_first),
		cmocka_unit_test(garbage_and_short_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
