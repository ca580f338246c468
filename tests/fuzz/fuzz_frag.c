/* fuzz_frag.c — libFuzzer harness for IP fragment reassembly (src/decode/frag.h).
 *
 * Pipeline position: decode → [frag] → decode again, as audit.c drives
 * it. The input is a script of fragments, so that the fuzzer spends its
 * time on offsets, lengths, overlaps, identities and timing rather than
 * on getting checksums and headers past the decoder. Each record:
 *
 *   byte 0  bit 0 IPv6, bit 1 MF, bits 2-3 protocol (UDP, TCP, ESP,
 *           GRE), bit 4 IPv4 options / an IPv6 hop-by-hop header,
 *           bit 5 expire after it, bit 6 flush after it, bit 7 capture
 *           only half of it (a snaplen)
 *   byte 1  identification (few values, so datagrams collide)
 *   byte 2-3 offset in 8-byte units (big-endian, 13 bits)
 *   byte 4-5 data length (big-endian; clipped to what input remains)
 *   byte 6  time step in seconds
 *   then    the data
 *
 * Each fragment is built as a raw IP frame, decoded with ea_decode, added
 * to the table, and every datagram that becomes ready is decoded with
 * ea_decode_reassembled; an inner fragment goes back to the table. The
 * caps of ea_limits.h are checked after every step. Built and run by
 * `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "util/ea_limits.h"
#include "decode/frag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t protos[4] = {17, 6, 50, 47};

static void check_caps(const ea_frag_table *t)
{
	if (ea_frag_in_progress(t) > EA_FRAG_MAX_DATAGRAMS || ea_frag_bytes(t) > EA_FRAG_MAX_BYTES)
		abort();
}

static void drain(ea_frag_table *t, uint64_t *anomalies)
{
	ea_frag_datagram dg;
	while (ea_frag_next(t, &dg, anomalies)) {
		if (dg.caplen < 20 || dg.frames == 0)
			abort();
		ea_packet p;
		ea_anomaly note = EA_ANOMALY_COUNT;
		if (ea_decode_reassembled(dg.ip, dg.caplen, dg.last_us, &p, &note) != EA_DECODE_OK) {
			if (note >= EA_ANOMALY_COUNT)
				abort();
			continue;
		}
		if (p.payload && (p.payload < dg.ip || p.payload + p.payload_len > dg.ip + dg.caplen))
			abort();
		if (p.l3 != dg.ip && p.frag != EA_FRAG_NONE) {
			p.frag_frames = dg.frames;
			ea_frag_add(t, &p, anomalies);
		}
		check_caps(t);
	}
}

/* Builds one fragment as a raw IP frame into out; returns its length. */
static size_t build(uint8_t *out, uint8_t flags, uint8_t id, uint16_t off_units, const uint8_t *d, size_t len)
{
	bool v6 = flags & 1, mf = flags & 2, extra = flags & 16;
	uint8_t proto = protos[(flags >> 2) & 3];
	size_t n = 0;
	if (!v6) {
		size_t hlen = extra ? 24 : 20;
		size_t total = hlen + len;
		out[n++] = (uint8_t)(0x40 | hlen / 4);
		out[n++] = 0;
		out[n++] = (uint8_t)(total >> 8);
		out[n++] = (uint8_t)total;
		out[n++] = 0;
		out[n++] = id;
		uint16_t fo = (uint16_t)((off_units & 0x1fff) | (mf ? 0x2000 : 0));
		out[n++] = (uint8_t)(fo >> 8);
		out[n++] = (uint8_t)fo;
		out[n++] = 64;
		out[n++] = proto;
		out[n++] = 0;
		out[n++] = 0;
		static const uint8_t a[8] = {192, 0, 2, 1, 198, 51, 100, 2};
		memcpy(out + n, a, 8);
		n += 8;
		if (extra) {
			memset(out + n, 1, 4); /* NOPs */
			n += 4;
		}
	} else {
		size_t plen = (extra ? 8 : 0) + 8 + len;
		memset(out, 0, 40);
		out[0] = 0x60;
		out[4] = (uint8_t)(plen >> 8);
		out[5] = (uint8_t)plen;
		out[6] = extra ? 0 : 44;
		out[7] = 64;
		out[8] = 0x20; out[9] = 0x01; out[23] = 1;
		out[24] = 0x20; out[25] = 0x01; out[39] = 2;
		n = 40;
		if (extra) {
			memset(out + n, 0, 8);
			out[n] = 44;
			n += 8;
		}
		out[n++] = proto;
		out[n++] = 0;
		uint16_t om = (uint16_t)((off_units & 0x1fff) << 3 | (mf ? 1 : 0));
		out[n++] = (uint8_t)(om >> 8);
		out[n++] = (uint8_t)om;
		out[n++] = 0;
		out[n++] = 0;
		out[n++] = 0;
		out[n++] = id;
	}
	memcpy(out + n, d, len);
	return n + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ea_frag_table *t = ea_frag_table_new(size);
	if (!t)
		return 0;
	uint64_t anomalies[EA_ANOMALY_COUNT] = {0};
	static uint8_t frame[65536 + 128];
	uint64_t now = 1000000;
	size_t pos = 0;
	while (pos + 7 <= size) {
		uint8_t flags = data[pos];
		uint8_t id = data[pos + 1] & 7;
		uint16_t off = (uint16_t)(data[pos + 2] << 8 | data[pos + 3]);
		size_t len = (size_t)(data[pos + 4] << 8 | data[pos + 5]);
		now += (uint64_t)data[pos + 6] * 1000000;
		pos += 7;
		if (len > size - pos)
			len = size - pos;
		if (len > 65535 - 64)
			len = 65535 - 64;
		size_t n = build(frame, flags, id, off, data + pos, len);
		pos += len;

		/* Exactly the captured bytes on the heap, so ASan sees any
		 * read past them. */
		size_t caplen = flags & 128 ? n / 2 : n;
		uint8_t *copy = malloc(caplen ? caplen : 1);
		if (!copy)
			break;
		memcpy(copy, frame, caplen);
		ea_frame fr = {.ts_us = now, .caplen = (uint32_t)caplen, .wirelen = (uint32_t)n,
			       .linktype = flags & 1 ? 229 : 228, .data = copy, .number = 1};
		ea_packet p;
		ea_anomaly note = EA_ANOMALY_COUNT;
		ea_frag_expire(t, now, anomalies);
		drain(t, anomalies);
		if (ea_decode(&fr, &p, &note) == EA_DECODE_OK && p.frag != EA_FRAG_NONE)
			ea_frag_add(t, &p, anomalies);
		free(copy);
		check_caps(t);
		drain(t, anomalies);
		if (flags & 32) {
			ea_frag_expire(t, now + EA_FRAGMENT_TIMEOUT_SEC * 1000000ull, anomalies);
			drain(t, anomalies);
		}
		if (flags & 64) {
			ea_frag_flush(t, anomalies);
			drain(t, anomalies);
		}
	}
	/* Inner fragments found while draining are added again: each round
	 * strips a tunnel, so a few rounds end it. */
	for (int round = 0; round < 16 && (round == 0 || ea_frag_in_progress(t)); round++) {
		ea_frag_flush(t, anomalies);
		drain(t, anomalies);
	}
	if (ea_frag_in_progress(t) != 0 || ea_frag_bytes(t) != 0)
		abort();
	ea_frag_table_free(t);
	return 0;
}
