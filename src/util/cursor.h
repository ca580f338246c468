/* cursor.h — a bounded read cursor over wire bytes, with a sticky error.
 *
 * Pipeline position: used by the capture reader (capfile.c) for every byte
 * of a capture file's records and blocks, and by the decoder (decode.c)
 * for every byte of a captured frame. The idea is tcpdump's ND_TTEST / Suricata's
 * length-then-read discipline folded into the reader itself: a header is
 * read field by field straight through, and the caller checks `err` once at
 * the end. A read past the end returns 0, sets `err` and leaves the offset
 * where it was, so every later read fails too and nothing outside
 * p[0..len) is ever touched. Multi-byte fields are assembled byte by byte:
 * no struct overlays and no unaligned casts on packet memory. */
#ifndef EA_CURSOR_H
#define EA_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
	const uint8_t *p;  /* first byte of the region; never dereferenced past len */
	size_t len;        /* bytes in the region */
	size_t off;        /* next byte to read */
	bool err;          /* sticky: set by the first read that did not fit */
} ea_cursor;

static inline ea_cursor ea_cursor_make(const uint8_t *p, size_t len)
{
	/* An empty region still gets a real address, so pointer arithmetic
	 * never starts from NULL. */
	static const uint8_t empty = 0;
	ea_cursor c = {p ? p : &empty, p ? len : 0, 0, false};
	return c;
}

static inline size_t ea_cursor_remaining(const ea_cursor *c)
{
	return c->err ? 0 : c->len - c->off;
}

/* True when n more bytes can be read; otherwise sets err. */
static inline bool ea_cursor_need(ea_cursor *c, size_t n)
{
	if (c->err || n > c->len - c->off) {
		c->err = true;
		return false;
	}
	return true;
}

/* The current position, without advancing (NULL after an error). */
static inline const uint8_t *ea_cursor_here(const ea_cursor *c)
{
	return c->err ? NULL : c->p + c->off;
}

/* Returns a pointer to the next n bytes and advances past them, or NULL
 * (and sets err) when fewer than n remain. */
static inline const uint8_t *ea_cursor_ptr(ea_cursor *c, size_t n)
{
	if (!ea_cursor_need(c, n))
		return NULL;
	const uint8_t *q = c->p + c->off;
	c->off += n;
	return q;
}

static inline void ea_cursor_skip(ea_cursor *c, size_t n)
{
	(void)ea_cursor_ptr(c, n);
}

static inline uint8_t ea_cursor_u8(ea_cursor *c)
{
	const uint8_t *q = ea_cursor_ptr(c, 1);
	return q ? q[0] : 0;
}

static inline uint16_t ea_cursor_be16(ea_cursor *c)
{
	const uint8_t *q = ea_cursor_ptr(c, 2);
	return q ? (uint16_t)((unsigned)q[0] << 8 | q[1]) : 0;
}

static inline uint32_t ea_cursor_be32(ea_cursor *c)
{
	const uint8_t *q = ea_cursor_ptr(c, 4);
	return q ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3] : 0;
}

/* Little-endian, for the few headers written in the capturing host's
 * byte order (BSD loopback). */
static inline uint32_t ea_cursor_le32(ea_cursor *c)
{
	const uint8_t *q = ea_cursor_ptr(c, 4);
	return q ? (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 | q[0] : 0;
}

static inline uint16_t ea_cursor_le16(ea_cursor *c)
{
	const uint8_t *q = ea_cursor_ptr(c, 2);
	return q ? (uint16_t)((unsigned)q[1] << 8 | q[0]) : 0;
}

/* In the byte order the data itself declares (a pcap or pcapng section's
 * magic): big-endian when be, else little-endian. */
static inline uint16_t ea_cursor_u16_order(ea_cursor *c, bool be)
{
	return be ? ea_cursor_be16(c) : ea_cursor_le16(c);
}

static inline uint32_t ea_cursor_u32_order(ea_cursor *c, bool be)
{
	return be ? ea_cursor_be32(c) : ea_cursor_le32(c);
}

/* A 64-bit value in the given byte order (pcapng's if_tsoffset). */
static inline uint64_t ea_cursor_u64_order(ea_cursor *c, bool be)
{
	uint64_t a = ea_cursor_u32_order(c, be), b = ea_cursor_u32_order(c, be);
	return be ? a << 32 | b : b << 32 | a;
}

/* Writes a 16-bit field in network order: the one field edgeaudit ever
 * writes into packet bytes (a length rewritten in a copy it owns). */
static inline void ea_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Copies n bytes out (zeros on error, so the destination is never left
 * half-written with stale data). */
static inline void ea_cursor_copy(ea_cursor *c, void *dst, size_t n)
{
	const uint8_t *q = ea_cursor_ptr(c, n);
	if (q)
		memcpy(dst, q, n);
	else
		memset(dst, 0, n);
}

/* A cursor over the next n bytes (or fewer, if fewer remain), for a layer
 * whose length field bounds what follows; the parent is not advanced. */
static inline ea_cursor ea_cursor_sub(const ea_cursor *c, size_t n)
{
	size_t r = ea_cursor_remaining(c);
	return ea_cursor_make(ea_cursor_here(c), n < r ? n : r);
}

#endif
