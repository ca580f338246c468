/* fuzz_decode.c — libFuzzer harness for the decoder (src/decode/decode.h).
 *
 * Pipeline position: what a capture hands to [decode]. The first input
 * byte picks a link type the decoder supports; the rest is the frame,
 * copied into a heap buffer of exactly its size so that AddressSanitizer
 * sees any read past caplen. Built and run by `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

/* Every link type ea_decode() has a case for, plus one it does not
 * (147, a user DLT) so the unsupported path stays covered. */
static const int linktypes[] = {0, 1, 9, 12, 14, 101, 108, 113, 228, 229, 276, 147};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = size - 1;
	/* malloc(0) may return NULL; keep one byte allocated but caplen 0. */
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return 0;
	if (n)
		memcpy(buf, data + 1, n);

	ea_frame fr = {
		.ts_us = 1,
		.caplen = (uint32_t)n,
		/* Vary wirelen too: the snaplen anomaly compares the two. */
		.wirelen = (uint32_t)n + (data[0] >> 4 & 1 ? 100 : 0),
		.linktype = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])],
		.data = buf,
		.number = 1,
	};
	ea_packet pkt;
	ea_anomaly note = EA_ANOMALY_COUNT;
	ea_decode_result r = ea_decode(&fr, &pkt, &note);
	/* The contract: DROPPED always names a reason within the list. */
	if (r == EA_DECODE_DROPPED && note >= EA_ANOMALY_COUNT)
		abort();
	if (note > EA_ANOMALY_COUNT)
		abort();
	free(buf);
	return 0;
}
