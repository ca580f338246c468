/* capfile.c — capture files read by our own bounded reader: classic pcap
 * (microsecond and nanosecond, both byte orders) and pcapng.
 * Pipeline position: [source] → decode; implements source.h for files.
 *
 * Why not libpcap: libpcap 1.10 (Debian 12) refuses a pcapng file at its
 * second Interface Description Block when the interfaces differ in link
 * type or snap length — exactly what dumpcap and Wireshark write for a
 * multi-interface capture — and it stores classic pcap seconds through a
 * signed 32-bit field, so captures after 2038 go negative. Here every
 * interface keeps its own link type, snap length and time base.
 *
 * Formats: pcap-savefile(5) and draft-ietf-opsawg-pcap (with libpcap's
 * two old variants: Kuznetzov's longer record headers, and pcap ≤ 2.3's
 * swapped lengths); pcapng per
 * draft-ietf-opsawg-pcapng (Section Header, Interface Description,
 * Enhanced, Simple and the obsolete Packet Block; if_tsresol, if_tsoffset).
 * Every other block is skipped unread. A new Section Header restarts the
 * interface numbering and may change the byte order.
 *
 * Every length from the file is checked against a fixed cap
 * (EA_CAPTURE_MAX_*, ea_limits.h) before memory is used for it, and every
 * field is read through an ea_cursor. Where the two formats leave room,
 * records read as libpcap reads them: a record longer than its snap
 * length is cut to it, a file cut inside its last record ends there.
 *
 * Times: a record's time becomes µs since the epoch. A time that cannot
 * be right (a fraction of a second ≥ 1 s) or cannot be stored (before
 * 1970, after EA_MAX_TIME_US) is replaced by the last valid time read
 * before it in the same file, so it never moves a flow outside the span
 * the file covers; see ea_ts_fault in packet.h. */
#include "capture/source.h"
#include "capture/source_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cursor.h"
#include "util/ea_limits.h"
#include "util/filehash.h"

enum {
	PCAP_MAGIC_US = 0xa1b2c3d4u,
	PCAP_MAGIC_NS = 0xa1b23c4du,
	PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34u, /* Alexey Kuznetzov's patched libpcap */
	PCAP_HEADER_LEN = 24,
	PCAP_RECORD_HEADER_LEN = 16,
	PCAP_KUZNETZOV_EXTRA = 8,           /* ifindex, protocol, pkt_type, pad */

	PCAPNG_SHB = 0x0a0d0d0au,       /* a palindrome: same in both byte orders */
	PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4du,
	PCAPNG_IDB = 1,
	PCAPNG_PB = 2,                  /* obsolete Packet Block */
	PCAPNG_SPB = 3,
	PCAPNG_EPB = 6,
	PCAPNG_BLOCK_MIN = 12,          /* type, length, trailing length */
	PCAPNG_SHB_MIN = 28,
	PCAPNG_OPT_END = 0,
	PCAPNG_OPT_TSRESOL = 9,
	PCAPNG_OPT_TSOFFSET = 14,
	PCAPNG_DEFAULT_TSRESOL = 6,     /* 10^-6 s when the option is absent */

	SKIP_CHUNK = 4096,
};

typedef enum { FMT_PCAP, FMT_PCAPNG } file_format;
enum { LENGTHS_AS_IS, LENGTHS_SWAPPED, LENGTHS_MAYBE_SWAPPED };

/* One pcapng interface: what its packets need to be read. */
typedef struct {
	int linktype;
	uint32_t snaplen;     /* effective: 0 or oversized means EA_CAPTURE_MAX_CAPLEN */
	uint8_t tsresol;      /* if_tsresol byte: bit 7 set = 2^-n, else 10^-n */
	int64_t tsoffset;     /* if_tsoffset, seconds */
} iface;

struct ea_source {
	ea_live *live;        /* a live capture (source_pcap.c): nothing below is used */
	FILE *f;
	bool is_stdin;
	char *name;           /* for messages */
	ea_sha256 *hash;      /* streams only */
	bool hash_failed;
	uint64_t bytes_read;

	file_format fmt;
	bool big_endian;      /* byte order of the current section / file */
	/* classic pcap */
	bool nsec;
	bool kuznetzov;       /* 8 more bytes after each record header */
	uint8_t lengths_swapped; /* pcap ≤ 2.3 wrote caplen and len the other way */
	uint32_t snaplen;
	int linktype;         /* file header, or first pcapng interface */
	/* pcapng */
	iface *ifaces;
	uint32_t n_ifaces, cap_ifaces;

	uint8_t *buf;         /* the block or record being parsed */
	size_t buf_cap;
	uint64_t number;      /* packet records delivered */
	uint64_t last_us;     /* last valid time of this file */
	bool have_time;
	bool truncated;
};

/* ---- bytes in -------------------------------------------------------- */

/* Reads up to n bytes, hashing them for a stream. Returns the count; a
 * short count is the end of the input unless ferror says otherwise. */
static size_t read_in(ea_source *s, void *dst, size_t n)
{
	size_t got = n ? fread(dst, 1, n, s->f) : 0;
	s->bytes_read += got;
	if (s->hash && got && !ea_sha256_update(s->hash, dst, got))
		s->hash_failed = true;
	return got;
}

/* Reads and discards n bytes (read, not seeked, so a stream is hashed
 * and a pipe works). Returns the count actually skipped. */
static uint64_t skip_in(ea_source *s, uint64_t n)
{
	uint8_t chunk[SKIP_CHUNK];
	uint64_t done = 0;
	while (done < n) {
		size_t want = n - done < sizeof chunk ? (size_t)(n - done) : sizeof chunk;
		size_t got = read_in(s, chunk, want);
		done += got;
		if (got < want)
			break;
	}
	return done;
}

static bool grow_buf(ea_source *s, size_t need)
{
	if (need <= s->buf_cap)
		return true;
	size_t cap = s->buf_cap ? s->buf_cap : 4096;
	while (cap < need)
		cap *= 2;
	uint8_t *b = realloc(s->buf, cap);
	if (!b)
		return false;
	s->buf = b;
	s->buf_cap = cap;
	return true;
}

/* Fields in the file's byte order, through the bounded cursor. */
/* ---- time ------------------------------------------------------------ */

static const uint64_t pow10_u64[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

/* A pcapng time: ts units of 10^-n or 2^-n s (any n the byte allows)
 * plus tsoffset seconds, to µs (fraction truncated, as libpcap does).
 * 128-bit arithmetic holds every input exactly (2^64 · 10^6 < 2^84).
 * False when the result is outside 0 … EA_MAX_TIME_US. */
static bool pcapng_time_us(uint64_t ts, uint8_t tsresol, int64_t tsoffset, uint64_t *us)
{
	unsigned n = tsresol & 0x7fu;
	unsigned __int128 v;
	if (tsresol & 0x80u)
		v = ((unsigned __int128)ts * 1000000u) >> n;
	else if (n <= 6)
		v = (unsigned __int128)ts * pow10_u64[6 - n];
	else if (n - 6 < 20)
		v = ts / pow10_u64[n - 6];
	else
		v = 0; /* a unit below 10^-25 s: any 64-bit count is under 1 µs */
	__int128 t = (__int128)v + (__int128)tsoffset * 1000000;
	if (t < 0 || t > (__int128)EA_MAX_TIME_US)
		return false;
	*us = (uint64_t)t;
	return true;
}

/* Gives the frame its time: the record's own when valid, else the last
 * valid one of this file (or none yet). */
static void set_time(ea_source *s, ea_frame *fr, bool valid, uint64_t us, ea_ts_fault fault)
{
	if (valid) {
		fr->ts_us = us;
		fr->ts_fault = EA_TS_OWN;
		fr->ts_known = true;
		s->last_us = us;
		s->have_time = true;
		return;
	}
	fr->ts_fault = fault;
	fr->ts_known = s->have_time;
	fr->ts_us = s->have_time ? s->last_us : 0;
}

/* ---- endings ---------------------------------------------------------- */

/* The input ended after `got` of `want` bytes of the next record: if
 * nothing of it was there the file simply ended; a read error is an I/O
 * error; else the file was cut inside the record, which is the end of
 * it, with a warning (captures copied while still being written end so). */
static ea_source_result ended(ea_source *s, size_t got, size_t want, char *errbuf, size_t errlen)
{
	if (ferror(s->f)) {
		ea_fail(EA_ERR_IO, errbuf, errlen, "%s: read error after record %llu: %s", s->name,
			(unsigned long long)s->number, strerror(errno));
		return EA_SOURCE_ERROR;
	}
	if (got == 0)
		return EA_SOURCE_END;
	s->truncated = true;
	ea_fail(EA_OK, errbuf, errlen,
		"%s: file ends inside record %llu (%zu of %zu bytes present); %llu records read", s->name,
		(unsigned long long)s->number + 1, got, want, (unsigned long long)s->number);
	return EA_SOURCE_END;
}

static ea_source_result bad_record(ea_source *s, char *errbuf, size_t errlen, const char *what)
{
	ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s: record %llu: %s", s->name,
		(unsigned long long)s->number + 1, what);
	return EA_SOURCE_ERROR;
}

static uint32_t effective_snaplen(uint32_t snaplen)
{
	return snaplen == 0 || snaplen > EA_CAPTURE_MAX_CAPLEN ? EA_CAPTURE_MAX_CAPLEN : snaplen;
}

/* ---- classic pcap ------------------------------------------------------ */

static ea_source_result pcap_next(ea_source *s, ea_frame *fr, char *errbuf, size_t errlen)
{
	uint8_t h[PCAP_RECORD_HEADER_LEN];
	size_t got = read_in(s, h, sizeof h);
	if (got < sizeof h)
		return ended(s, got, sizeof h, errbuf, errlen);
	ea_cursor c = ea_cursor_make(h, sizeof h);
	uint32_t sec = ea_cursor_u32_order(&c, s->big_endian), frac = ea_cursor_u32_order(&c, s->big_endian);
	uint32_t caplen = ea_cursor_u32_order(&c, s->big_endian), wirelen = ea_cursor_u32_order(&c, s->big_endian);
	if (s->kuznetzov) {
		uint8_t extra[PCAP_KUZNETZOV_EXTRA];
		got = read_in(s, extra, sizeof extra);
		if (got < sizeof extra)
			return ended(s, sizeof h + got, sizeof h + sizeof extra, errbuf, errlen);
	}
	/* As libpcap: before 2.3 the two lengths were always swapped, in 2.3
	 * only by some writers (a captured length above the wire length). */
	if (s->lengths_swapped == LENGTHS_SWAPPED ||
	    (s->lengths_swapped == LENGTHS_MAYBE_SWAPPED && caplen > wirelen)) {
		uint32_t t = caplen;
		caplen = wirelen;
		wirelen = t;
	}
	if (caplen > EA_CAPTURE_MAX_CAPLEN) {
		char what[128];
		snprintf(what, sizeof what, "captured length %u is more than any capture keeps (%u)", caplen,
			 EA_CAPTURE_MAX_CAPLEN);
		return bad_record(s, errbuf, errlen, what);
	}
	if (!grow_buf(s, caplen ? caplen : 1)) {
		ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", s->name);
		return EA_SOURCE_ERROR;
	}
	size_t hlen = sizeof h + (s->kuznetzov ? PCAP_KUZNETZOV_EXTRA : 0);
	got = read_in(s, s->buf, caplen);
	if (got < caplen)
		return ended(s, hlen + got, hlen + caplen, errbuf, errlen);

	/* The seconds field is unsigned (pcap-savefile(5)): up to 2106. */
	uint32_t per_sec = s->nsec ? 1000000000u : 1000000u;
	uint64_t us = (uint64_t)sec * 1000000u + (s->nsec ? frac / 1000u : frac);
	set_time(s, fr, frac < per_sec, us, EA_TS_BAD_FRACTION);
	s->number++;
	/* A record longer than the file's snap length is cut to it, as
	 * libpcap does (old writers put a wrong snap length in the header). */
	fr->caplen = caplen < effective_snaplen(s->snaplen) ? caplen : effective_snaplen(s->snaplen);
	fr->wirelen = wirelen;
	fr->linktype = s->linktype;
	fr->data = s->buf;
	fr->number = s->number;
	return EA_SOURCE_FRAME;
}

static ea_status pcap_open(ea_source *s, const uint8_t magic[4], char *errbuf, size_t errlen)
{
	uint8_t h[PCAP_HEADER_LEN];
	memcpy(h, magic, 4);
	size_t got = read_in(s, h + 4, sizeof h - 4);
	if (got < sizeof h - 4)
		return ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s: pcap file header cut short (%zu of %d bytes)",
			       s->name, got + 4, PCAP_HEADER_LEN);
	ea_cursor c = ea_cursor_make(h, sizeof h);
	uint32_t m = ea_cursor_u32_order(&c, true);
	s->big_endian = m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS || m == PCAP_MAGIC_KUZNETZOV;
	c = ea_cursor_make(h, sizeof h);
	m = ea_cursor_u32_order(&c, s->big_endian);
	s->nsec = m == PCAP_MAGIC_NS;
	s->kuznetzov = m == PCAP_MAGIC_KUZNETZOV;
	uint16_t major = ea_cursor_u16_order(&c, s->big_endian), minor = ea_cursor_u16_order(&c, s->big_endian);
	ea_cursor_skip(&c, 8); /* thiszone, sigfigs: always 0 in practice, unused */
	s->snaplen = ea_cursor_u32_order(&c, s->big_endian);
	uint32_t lt = ea_cursor_u32_order(&c, s->big_endian);
	if (major != 2)
		return ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s: pcap version %u.%u is not 2.x", s->name,
			       major, minor);
	s->lengths_swapped = minor < 3 ? LENGTHS_SWAPPED : minor == 3 ? LENGTHS_MAYBE_SWAPPED : LENGTHS_AS_IS;
	/* The upper 16 bits carry FCS length flags (pcap-savefile(5)). */
	s->linktype = (int)(lt & 0xffffu);
	s->fmt = FMT_PCAP;
	return EA_OK;
}

/* ---- pcapng ------------------------------------------------------------ */

/* pcapng options: code, length, value padded to 4 bytes; walked for
 * the two an interface needs. A malformed list is a malformed block. */
static bool idb_options(ea_cursor *c, bool be, iface *ifc)
{
	while (ea_cursor_remaining(c) >= 4) {
		uint16_t code = ea_cursor_u16_order(c, be), len = ea_cursor_u16_order(c, be);
		if (code == PCAPNG_OPT_END)
			break;
		ea_cursor v = ea_cursor_sub(c, len);
		ea_cursor_skip(c, ((size_t)len + 3u) & ~(size_t)3u);
		if (c->err)
			return false;
		if (code == PCAPNG_OPT_TSRESOL && len >= 1)
			ifc->tsresol = ea_cursor_u8(&v);
		else if (code == PCAPNG_OPT_TSOFFSET && len >= 8)
			ifc->tsoffset = (int64_t)ea_cursor_u64_order(&v, be);
	}
	return true;
}

static ea_source_result parse_idb(ea_source *s, ea_cursor *body, char *errbuf, size_t errlen)
{
	iface ifc = {.tsresol = PCAPNG_DEFAULT_TSRESOL};
	ifc.linktype = ea_cursor_u16_order(body, s->big_endian);
	ea_cursor_skip(body, 2);
	ifc.snaplen = effective_snaplen(ea_cursor_u32_order(body, s->big_endian));
	if (body->err)
		return bad_record(s, errbuf, errlen, "interface description shorter than 8 bytes");
	if (!idb_options(body, s->big_endian, &ifc))
		return bad_record(s, errbuf, errlen, "interface description option runs past its block");
	if (s->n_ifaces >= EA_CAPTURE_MAX_INTERFACES)
		return bad_record(s, errbuf, errlen, "more interfaces in one section than any capture has");
	if (s->n_ifaces == s->cap_ifaces) {
		uint32_t cap = s->cap_ifaces ? s->cap_ifaces * 2 : 4;
		iface *n = realloc(s->ifaces, cap * sizeof *n);
		if (!n) {
			ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", s->name);
			return EA_SOURCE_ERROR;
		}
		s->ifaces = n;
		s->cap_ifaces = cap;
	}
	if (s->linktype < 0)
		s->linktype = ifc.linktype;
	s->ifaces[s->n_ifaces++] = ifc;
	return EA_SOURCE_FRAME;
}

/* EPB, PB and SPB → frame. */
static ea_source_result parse_packet(ea_source *s, uint32_t type, ea_cursor *body, ea_frame *fr,
				     char *errbuf, size_t errlen)
{
	bool be = s->big_endian;
	uint32_t id = 0, caplen, wirelen;
	uint64_t ts = 0;
	if (type == PCAPNG_SPB) {
		wirelen = ea_cursor_u32_order(body, be);
		caplen = wirelen;
	} else {
		id = type == PCAPNG_PB ? ea_cursor_u16_order(body, be) : ea_cursor_u32_order(body, be);
		if (type == PCAPNG_PB)
			ea_cursor_skip(body, 2); /* drops count */
		uint64_t hi = ea_cursor_u32_order(body, be), lo = ea_cursor_u32_order(body, be);
		ts = hi << 32 | lo;
		caplen = ea_cursor_u32_order(body, be);
		wirelen = ea_cursor_u32_order(body, be);
	}
	if (body->err)
		return bad_record(s, errbuf, errlen, "packet block shorter than its fixed fields");
	if (id >= s->n_ifaces)
		return bad_record(s, errbuf, errlen, "packet of an interface that was never described");
	const iface *ifc = &s->ifaces[id];
	if (type == PCAPNG_SPB) {
		/* Its captured length is what the block holds, at most the
		 * snap length (pcapng's Simple Packet Block). */
		size_t room = ea_cursor_remaining(body);
		if (caplen > room)
			caplen = (uint32_t)room;
	} else if (caplen > ea_cursor_remaining(body)) {
		return bad_record(s, errbuf, errlen, "captured length runs past its block");
	}
	if (caplen > ifc->snaplen)
		caplen = ifc->snaplen;
	const uint8_t *data = ea_cursor_ptr(body, caplen);
	if (!data)
		return bad_record(s, errbuf, errlen, "captured length runs past its block");

	uint64_t us = 0;
	if (type == PCAPNG_SPB) {
		set_time(s, fr, false, 0, EA_TS_ABSENT);
	} else {
		bool valid = pcapng_time_us(ts, ifc->tsresol, ifc->tsoffset, &us);
		set_time(s, fr, valid, us, EA_TS_OUT_OF_RANGE);
	}
	s->number++;
	fr->caplen = caplen;
	fr->wirelen = wirelen;
	fr->linktype = ifc->linktype;
	fr->data = data;
	fr->number = s->number;
	return EA_SOURCE_FRAME;
}

/* The body of a Section Header after its byte-order magic. */
static ea_source_result parse_shb(ea_source *s, ea_cursor *body, char *errbuf, size_t errlen)
{
	uint16_t major = ea_cursor_u16_order(body, s->big_endian);
	if (body->err || major != 1)
		return bad_record(s, errbuf, errlen, "section header of a pcapng version other than 1.x");
	/* A new section: its interfaces are numbered from 0 again. */
	s->n_ifaces = 0;
	return EA_SOURCE_FRAME;
}

/* Reads one block. Blocks the reader parses are returned whole in s->buf
 * (the body, without type and lengths, in *body); others are skipped.
 * Returns EA_SOURCE_FRAME for a block to parse. */
static ea_source_result next_block(ea_source *s, uint32_t *type, ea_cursor *body, char *errbuf,
				   size_t errlen)
{
	for (;;) {
		uint8_t h[12];
		size_t got = read_in(s, h, 8);
		if (got < 8)
			return ended(s, got, 8, errbuf, errlen);
		ea_cursor c = ea_cursor_make(h, 8);
		uint32_t t = ea_cursor_u32_order(&c, s->big_endian);
		size_t hlen = 8;
		if (t == PCAPNG_SHB) {
			/* The byte order is the section's own: learn it first. */
			got = read_in(s, h + 8, 4);
			if (got < 4)
				return ended(s, 8 + got, 12, errbuf, errlen);
			ea_cursor m = ea_cursor_make(h + 8, 4);
			uint32_t bom = ea_cursor_u32_order(&m, true);
			if (bom == PCAPNG_BYTE_ORDER_MAGIC)
				s->big_endian = true;
			else if (bom == 0x4d3c2b1au)
				s->big_endian = false;
			else
				return bad_record(s, errbuf, errlen, "section header without the byte-order magic");
			hlen = 12;
		}
		c = ea_cursor_make(h + 4, 4);
		uint32_t len = ea_cursor_u32_order(&c, s->big_endian);
		if (len < (t == PCAPNG_SHB ? PCAPNG_SHB_MIN : PCAPNG_BLOCK_MIN) || len % 4) {
			char what[96];
			snprintf(what, sizeof what, "block length %u is not a valid pcapng block length", len);
			return bad_record(s, errbuf, errlen, what);
		}
		bool parsed = t == PCAPNG_SHB || t == PCAPNG_IDB || t == PCAPNG_EPB || t == PCAPNG_PB ||
			      t == PCAPNG_SPB;
		size_t rest = len - hlen; /* body and trailing length */
		if (!parsed) {
			uint64_t skipped = skip_in(s, rest - 4);
			uint8_t tl[4];
			got = skipped == rest - 4 ? read_in(s, tl, 4) : 0;
			if (skipped < rest - 4 || got < 4)
				return ended(s, hlen + (size_t)skipped + got, len, errbuf, errlen);
			c = ea_cursor_make(tl, 4);
			if (ea_cursor_u32_order(&c, s->big_endian) != len)
				return bad_record(s, errbuf, errlen, "block's trailing length differs from its length");
			continue;
		}
		if (len > EA_CAPTURE_MAX_BLOCK) {
			char what[96];
			snprintf(what, sizeof what, "block of %u bytes, more than the %u a capture needs", len,
				 EA_CAPTURE_MAX_BLOCK);
			return bad_record(s, errbuf, errlen, what);
		}
		if (!grow_buf(s, rest)) {
			ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", s->name);
			return EA_SOURCE_ERROR;
		}
		got = read_in(s, s->buf, rest);
		if (got < rest)
			return ended(s, hlen + got, len, errbuf, errlen);
		c = ea_cursor_make(s->buf + rest - 4, 4);
		if (ea_cursor_u32_order(&c, s->big_endian) != len)
			return bad_record(s, errbuf, errlen, "block's trailing length differs from its length");
		*type = t;
		*body = ea_cursor_make(s->buf, rest - 4);
		return EA_SOURCE_FRAME;
	}
}

/* Reads blocks until a packet (or, when opening, the first interface). */
static ea_source_result pcapng_next(ea_source *s, ea_frame *fr, bool until_interface, char *errbuf,
				    size_t errlen)
{
	for (;;) {
		uint32_t type = 0;
		ea_cursor body = {0}; /* filled by next_block when it returns a block */
		ea_source_result r = next_block(s, &type, &body, errbuf, errlen);
		if (r != EA_SOURCE_FRAME)
			return r;
		if (type == PCAPNG_SHB)
			r = parse_shb(s, &body, errbuf, errlen);
		else if (type == PCAPNG_IDB)
			r = parse_idb(s, &body, errbuf, errlen);
		else
			return parse_packet(s, type, &body, fr, errbuf, errlen);
		if (r != EA_SOURCE_FRAME)
			return r;
		if (until_interface && type == PCAPNG_IDB)
			return EA_SOURCE_FRAME;
	}
}

static ea_status pcapng_open(ea_source *s, char *errbuf, size_t errlen)
{
	/* The first block is the Section Header whose type we read already:
	 * read its byte-order magic and length, then its body. */
	uint8_t h[8];
	size_t got = read_in(s, h, sizeof h);
	if (got < sizeof h)
		return ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s: pcapng section header cut short", s->name);
	ea_cursor c = ea_cursor_make(h + 4, 4);
	uint32_t bom = ea_cursor_u32_order(&c, true);
	if (bom != PCAPNG_BYTE_ORDER_MAGIC && bom != 0x4d3c2b1au)
		return ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s: pcapng section header without its byte-order magic",
			       s->name);
	s->big_endian = bom == PCAPNG_BYTE_ORDER_MAGIC;
	c = ea_cursor_make(h, 4);
	uint32_t len = ea_cursor_u32_order(&c, s->big_endian);
	if (len < PCAPNG_SHB_MIN || len % 4 || len > EA_CAPTURE_MAX_BLOCK)
		return ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s: pcapng section header of invalid length %u",
			       s->name, len);
	size_t rest = len - 12;
	if (!grow_buf(s, rest))
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", s->name);
	got = read_in(s, s->buf, rest);
	if (got < rest)
		return ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s: pcapng section header cut short", s->name);
	c = ea_cursor_make(s->buf + rest - 4, 4);
	if (ea_cursor_u32_order(&c, s->big_endian) != len)
		return ea_fail(EA_ERR_FORMAT, errbuf, errlen,
			       "%s: pcapng section header's trailing length differs from its length", s->name);
	s->fmt = FMT_PCAPNG;
	s->linktype = -1;
	ea_cursor body = ea_cursor_make(s->buf, rest - 4);
	char why[512] = "";
	ea_frame unused;
	if (parse_shb(s, &body, why, sizeof why) != EA_SOURCE_FRAME ||
	    pcapng_next(s, &unused, true, why, sizeof why) != EA_SOURCE_FRAME || s->n_ifaces == 0) {
		/* As libpcap: a pcapng file must describe an interface before
		 * anything else can be read from it. */
		if (s->n_ifaces == 0 && !s->truncated && why[0] == '\0')
			snprintf(why, sizeof why, "%s: no interface description before the end of the file", s->name);
		else if (s->truncated)
			snprintf(why, sizeof why, "%s: file ends before its first interface description", s->name);
		return ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s", why);
	}
	return EA_OK;
}

/* ---- the source interface ---------------------------------------------- */

static ea_status open_common(const char *path, bool stream, ea_source **out, char *errbuf, size_t errlen)
{
	ea_status st = EA_OK;
	*out = NULL;
	ea_source *s = calloc(1, sizeof *s);
	if (!s)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	s->is_stdin = stream && strcmp(path, "-") == 0;
	s->name = strdup(s->is_stdin ? "standard input" : path);
	if (!s->name || (stream && !(s->hash = ea_sha256_new()))) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
		goto fail;
	}
	s->f = s->is_stdin ? stdin : fopen(path, "rb");
	if (!s->f) {
		st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	uint8_t magic[4];
	size_t got = read_in(s, magic, 4);
	if (got < 4) {
		if (ferror(s->f))
			st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot read: %s", s->name, strerror(errno));
		else
			st = ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s: not a capture: %s", s->name,
				     got ? "shorter than any capture header" : "empty file");
		goto fail;
	}
	ea_cursor c = ea_cursor_make(magic, 4);
	uint32_t m = ea_cursor_u32_order(&c, true);
	c = ea_cursor_make(magic, 4);
	uint32_t mle = ea_cursor_u32_order(&c, false);
	if (m == PCAPNG_SHB)
		st = pcapng_open(s, errbuf, errlen);
	else if (m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS || m == PCAP_MAGIC_KUZNETZOV || mle == PCAP_MAGIC_US ||
		 mle == PCAP_MAGIC_NS || mle == PCAP_MAGIC_KUZNETZOV)
		st = pcap_open(s, magic, errbuf, errlen);
	else
		st = ea_fail(EA_ERR_FORMAT, errbuf, errlen,
			     "%s: not a capture: neither pcap nor pcapng (first bytes %02x %02x %02x %02x)", s->name,
			     magic[0], magic[1], magic[2], magic[3]);
	if (st != EA_OK)
		goto fail;
	s->truncated = false;
	*out = s;
	return EA_OK;
fail:
	ea_source_close(s);
	return st;
}

ea_status ea_source_open_file(const char *path, ea_source **out, char *errbuf, size_t errlen)
{
	return open_common(path, false, out, errbuf, errlen);
}

ea_status ea_source_open_stream(const char *path, ea_source **out, char *errbuf, size_t errlen)
{
	return open_common(path, true, out, errbuf, errlen);
}

ea_source *ea_source_adopt_live(ea_live *live)
{
	ea_source *s = calloc(1, sizeof *s);
	if (!s) {
		ea_live_close(live);
		return NULL;
	}
	s->live = live;
	return s;
}

ea_source_result ea_source_next(ea_source *s, ea_frame *frame, char *errbuf, size_t errlen)
{
	memset(frame, 0, sizeof *frame);
	if (s->live)
		return ea_live_next(s->live, frame, errbuf, errlen);
	if (s->truncated)
		return EA_SOURCE_END;
	if (s->fmt == FMT_PCAP)
		return pcap_next(s, frame, errbuf, errlen);
	return pcapng_next(s, frame, false, errbuf, errlen);
}

bool ea_source_truncated(const ea_source *s)
{
	return s->truncated;
}

int ea_source_linktype(const ea_source *s)
{
	return s->live ? ea_live_linktype(s->live) : s->linktype;
}

int ea_source_fd(const ea_source *s)
{
	return s->live ? ea_live_fd(s->live) : -1;
}

ea_status ea_source_stats(ea_source *s, ea_source_stats_t *stats, char *errbuf, size_t errlen)
{
	memset(stats, 0, sizeof *stats);
	if (!s->live)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "%s: a file has no capture counters", s->name);
	return ea_live_stats(s->live, stats, errbuf, errlen);
}

uint64_t ea_source_position(const ea_source *s)
{
	return s ? s->bytes_read : 0;
}

ea_status ea_source_digest(ea_source *s, char hex[65], uint64_t *size, char *errbuf, size_t errlen)
{
	hex[0] = '\0';
	if (!s->hash)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "%s: not opened as a stream",
			       s->live ? "live capture" : s->name);
	while (skip_in(s, SKIP_CHUNK) == SKIP_CHUNK)
		;
	if (ferror(s->f))
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: read error: %s", s->name, strerror(errno));
	if (s->hash_failed || !ea_sha256_final(s->hash, hex))
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "%s: SHA-256 failed in libcrypto", s->name);
	ea_sha256_free(s->hash);
	s->hash = NULL;
	if (size)
		*size = s->bytes_read;
	return EA_OK;
}

void ea_source_close(ea_source *s)
{
	if (!s)
		return;
	ea_live_close(s->live);
	if (s->f && !s->is_stdin)
		fclose(s->f);
	ea_sha256_free(s->hash);
	free(s->ifaces);
	free(s->buf);
	free(s->name);
	free(s);
}
