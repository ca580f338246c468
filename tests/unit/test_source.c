/* test_source.c — the capture-file reader (capfile.c).
 *
 * Crafted files, built here byte by byte in both byte orders, for every
 * length check and every time rule; and every real capture of the
 * repository and ../shared read frame by frame against libpcap, the
 * reader it replaced (where libpcap can read the file at all). */
#include "testutil.h"

#include <dirent.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "util/ea_limits.h"
#include "util/filehash.h"
#include "capture/source.h"

/* ---- building files ---------------------------------------------------- */

typedef struct {
	uint8_t b[1 << 20];
	size_t n;
	bool be;
} buf;

static void put8(buf *f, uint8_t v)
{
	assert_true(f->n < sizeof f->b);
	f->b[f->n++] = v;
}

static void put16(buf *f, uint16_t v)
{
	put8(f, f->be ? v >> 8 : v & 0xff);
	put8(f, f->be ? v & 0xff : v >> 8);
}

static void put32(buf *f, uint32_t v)
{
	put16(f, f->be ? v >> 16 : v & 0xffff);
	put16(f, f->be ? v & 0xffff : v >> 16);
}

static void put64(buf *f, uint64_t v)
{
	put32(f, f->be ? (uint32_t)(v >> 32) : (uint32_t)v);
	put32(f, f->be ? (uint32_t)v : (uint32_t)(v >> 32));
}

static void put_bytes(buf *f, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(f, ((const uint8_t *)p)[i]);
}

static void pad4(buf *f)
{
	while (f->n % 4)
		put8(f, 0);
}

/* Patches a 32-bit value at offset off in the buffer's byte order. */
static void patch32(buf *f, size_t off, uint32_t v)
{
	size_t save = f->n;
	f->n = off;
	put32(f, v);
	f->n = save;
}

static void pcap_header(buf *f, uint32_t magic, uint32_t snaplen, uint32_t linktype)
{
	put32(f, magic);
	put16(f, 2);
	put16(f, 4);
	put32(f, 0);
	put32(f, 0);
	put32(f, snaplen);
	put32(f, linktype);
}

static void pcap_record(buf *f, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t wirelen, uint8_t fill)
{
	put32(f, sec);
	put32(f, frac);
	put32(f, caplen);
	put32(f, wirelen);
	for (uint32_t i = 0; i < caplen; i++)
		put8(f, fill);
}

/* A pcapng block around body bytes already appended since start: writes
 * the header placeholder first (block_begin), then the lengths. */
static size_t block_begin(buf *f, uint32_t type)
{
	size_t start = f->n;
	put32(f, type);
	put32(f, 0);
	return start;
}

static void block_end(buf *f, size_t start)
{
	pad4(f);
	uint32_t len = (uint32_t)(f->n - start + 4);
	put32(f, len);
	patch32(f, start + 4, len);
}

static void shb(buf *f)
{
	size_t s = block_begin(f, 0x0a0d0d0a);
	put32(f, 0x1a2b3c4d);
	put16(f, 1);
	put16(f, 0);
	put64(f, UINT64_MAX);
	block_end(f, s);
}

/* tsresol < 0: no option. tsoffset_set: write if_tsoffset. */
static void idb(buf *f, uint16_t linktype, uint32_t snaplen, int tsresol, bool tsoffset_set, int64_t tsoffset)
{
	size_t s = block_begin(f, 1);
	put16(f, linktype);
	put16(f, 0);
	put32(f, snaplen);
	put16(f, 2); /* if_name, an option the reader skips */
	put16(f, 3);
	put_bytes(f, "et0", 3);
	pad4(f);
	if (tsresol >= 0) {
		put16(f, 9);
		put16(f, 1);
		put8(f, (uint8_t)tsresol);
		pad4(f);
	}
	if (tsoffset_set) {
		put16(f, 14);
		put16(f, 8);
		put64(f, (uint64_t)tsoffset);
	}
	put16(f, 0);
	put16(f, 0);
	block_end(f, s);
}

static void epb(buf *f, uint32_t iface, uint64_t ts, uint32_t caplen, uint32_t wirelen, uint8_t fill)
{
	size_t s = block_begin(f, 6);
	put32(f, iface);
	put32(f, (uint32_t)(ts >> 32));
	put32(f, (uint32_t)ts);
	put32(f, caplen);
	put32(f, wirelen);
	for (uint32_t i = 0; i < caplen; i++)
		put8(f, fill);
	block_end(f, s);
}

/* ---- reading them -------------------------------------------------------- */

typedef struct {
	int fd;
	char path[64];
	ea_source *src;
	char err[1024];
} opened;

static ea_status open_buf(const buf *f, opened *o, bool stream)
{
	o->fd = memfd_create("test_source", 0);
	assert_true(o->fd >= 0);
	assert_int_equal(write(o->fd, f->b, f->n), (ssize_t)f->n);
	snprintf(o->path, sizeof o->path, "/proc/self/fd/%d", o->fd);
	o->src = NULL;
	o->err[0] = '\0';
	return stream ? ea_source_open_stream(o->path, &o->src, o->err, sizeof o->err)
		      : ea_source_open_file(o->path, &o->src, o->err, sizeof o->err);
}

static void close_buf(opened *o)
{
	ea_source_close(o->src);
	close(o->fd);
}

static void expect_open_error(const buf *f, const char *why)
{
	opened o;
	assert_int_equal(open_buf(f, &o, false), EA_ERR_FORMAT);
	assert_null(o.src);
	if (!strstr(o.err, why))
		fail_msg("open error '%s' lacks '%s'", o.err, why);
	close_buf(&o);
}

/* A frame's bytes live until the next read: read_all keeps the first
 * and last byte of each here. */
static uint8_t first_byte[8], last_byte[8];

/* Reads every frame; returns how it ended. */
static ea_source_result read_all(opened *o, ea_frame *frames, unsigned max, unsigned *n)
{
	ea_frame fr;
	ea_source_result r;
	*n = 0;
	while ((r = ea_source_next(o->src, &fr, o->err, sizeof o->err)) == EA_SOURCE_FRAME) {
		if (*n < max) {
			frames[*n] = fr;
			if (*n < 8 && fr.caplen) {
				first_byte[*n] = fr.data[0];
				last_byte[*n] = fr.data[fr.caplen - 1];
			}
		}
		(*n)++;
	}
	return r;
}

static void expect_record_error(const buf *f, unsigned frames_before, const char *why)
{
	opened o;
	ea_frame fr[8];
	unsigned n;
	assert_int_equal(open_buf(f, &o, false), EA_OK);
	assert_int_equal(read_all(&o, fr, 8, &n), EA_SOURCE_ERROR);
	assert_int_equal(n, frames_before);
	if (!strstr(o.err, why))
		fail_msg("record error '%s' lacks '%s'", o.err, why);
	close_buf(&o);
}

static void expect_truncated(const buf *f, unsigned frames_before)
{
	opened o;
	ea_frame fr[8];
	unsigned n;
	assert_int_equal(open_buf(f, &o, false), EA_OK);
	assert_int_equal(read_all(&o, fr, 8, &n), EA_SOURCE_END);
	assert_int_equal(n, frames_before);
	assert_true(ea_source_truncated(o.src));
	assert_non_null(strstr(o.err, "ends inside record"));
	close_buf(&o);
}

/* ---- classic pcap -------------------------------------------------------- */

static void pcap_both_byte_orders_and_precisions(void **state)
{
	(void)state;
	static buf f;
	for (int be = 0; be < 2; be++) {
		for (int ns = 0; ns < 2; ns++) {
			memset(&f, 0, sizeof f);
			f.be = be;
			pcap_header(&f, ns ? 0xa1b23c4d : 0xa1b2c3d4, 65535, 1);
			pcap_record(&f, 1418145369, ns ? 999999999 : 999999, 60, 70, 0xaa);
			/* 2106-01-01: the seconds field is unsigned. */
			pcap_record(&f, 4291747200u, ns ? 1500 : 1, 20, 20, 0xbb);
			opened o;
			ea_frame fr[4];
			unsigned n;
			assert_int_equal(open_buf(&f, &o, false), EA_OK);
			assert_int_equal(ea_source_linktype(o.src), 1);
			assert_int_equal(read_all(&o, fr, 4, &n), EA_SOURCE_END);
			assert_int_equal(n, 2);
			assert_false(ea_source_truncated(o.src));
			assert_int_equal(fr[0].ts_us, 1418145369999999ull);
			assert_int_equal(fr[0].ts_fault, EA_TS_OWN);
			assert_true(fr[0].ts_known);
			assert_int_equal(fr[0].caplen, 60);
			assert_int_equal(fr[0].wirelen, 70);
			assert_int_equal(fr[0].linktype, 1);
			assert_int_equal(fr[0].number, 1);
			assert_int_equal(fr[1].ts_us, 4291747200000001ull);
			assert_int_equal(fr[1].number, 2);
			close_buf(&o);
		}
	}
}

static void pcap_bad_fraction_takes_previous_valid_time(void **state)
{
	(void)state;
	static buf f;
	for (int be = 0; be < 2; be++) {
		memset(&f, 0, sizeof f);
		f.be = be;
		pcap_header(&f, 0xa1b2c3d4, 65535, 1);
		pcap_record(&f, 1000, 1000000, 4, 4, 1);   /* no valid time yet */
		pcap_record(&f, 2000, 5, 4, 4, 1);         /* valid */
		pcap_record(&f, 1, 0x80000000u, 4, 4, 1);  /* would be 35 minutes off */
		pcap_record(&f, 2000, 6, 4, 4, 1);
		opened o;
		ea_frame fr[4];
		unsigned n;
		assert_int_equal(open_buf(&f, &o, false), EA_OK);
		assert_int_equal(read_all(&o, fr, 4, &n), EA_SOURCE_END);
		assert_int_equal(n, 4);
		assert_false(fr[0].ts_known);
		assert_int_equal(fr[0].ts_us, 0);
		assert_int_equal(fr[0].ts_fault, EA_TS_BAD_FRACTION);
		assert_int_equal(fr[1].ts_us, 2000000005ull);
		assert_true(fr[2].ts_known);
		assert_int_equal(fr[2].ts_fault, EA_TS_BAD_FRACTION);
		assert_int_equal(fr[2].ts_us, 2000000005ull);
		assert_int_equal(fr[3].ts_us, 2000000006ull);
		close_buf(&o);
	}
	/* Nanosecond files: a billion nanoseconds is a bad fraction. */
	memset(&f, 0, sizeof f);
	pcap_header(&f, 0xa1b23c4d, 65535, 1);
	pcap_record(&f, 5, 7000, 4, 4, 1);
	pcap_record(&f, 5, 1000000000u, 4, 4, 1);
	opened o;
	ea_frame fr[2];
	unsigned n;
	assert_int_equal(open_buf(&f, &o, false), EA_OK);
	assert_int_equal(read_all(&o, fr, 2, &n), EA_SOURCE_END);
	assert_int_equal(fr[1].ts_fault, EA_TS_BAD_FRACTION);
	assert_int_equal(fr[1].ts_us, 5000007ull);
	close_buf(&o);
}

static void pcap_length_checks(void **state)
{
	(void)state;
	static buf f;
	/* Header: empty, short, unknown magic, wrong version. */
	memset(&f, 0, sizeof f);
	expect_open_error(&f, "empty file");
	put8(&f, 0xd4);
	put8(&f, 0xc3);
	expect_open_error(&f, "shorter than any capture header");
	memset(&f, 0, sizeof f);
	pcap_header(&f, 0xa1b2c3d4, 65535, 1);
	f.n = 23;
	expect_open_error(&f, "pcap file header cut short");
	memset(&f, 0, sizeof f);
	pcap_header(&f, 0x12345678, 65535, 1);
	expect_open_error(&f, "neither pcap nor pcapng");
	memset(&f, 0, sizeof f);
	put32(&f, 0xa1b2c3d4);
	put16(&f, 1);
	put16(&f, 0);
	put_bytes(&f, "\0\0\0\0\0\0\0\0\xff\xff\0\0\1\0\0\0", 16);
	expect_open_error(&f, "version 1.0");

	for (int be = 0; be < 2; be++) {
		/* Record header cut, record data cut: the end, with a warning. */
		memset(&f, 0, sizeof f);
		f.be = be;
		pcap_header(&f, 0xa1b2c3d4, 65535, 1);
		pcap_record(&f, 1, 0, 10, 10, 0);
		size_t one = f.n;
		pcap_record(&f, 2, 0, 10, 10, 0);
		f.n = one + 7;
		expect_truncated(&f, 1);
		f.n = one + 16 + 9;
		expect_truncated(&f, 1);
		/* A captured length beyond any capture: an error. */
		memset(&f, 0, sizeof f);
		f.be = be;
		pcap_header(&f, 0xa1b2c3d4, 0, 1);
		pcap_record(&f, 1, 0, 4, 4, 0);
		put32(&f, 1);
		put32(&f, 0);
		put32(&f, EA_CAPTURE_MAX_CAPLEN + 1);
		put32(&f, 60);
		expect_record_error(&f, 1, "captured length");
	}
	/* Longer than the snap length: cut to it, as libpcap does. */
	memset(&f, 0, sizeof f);
	pcap_header(&f, 0xa1b2c3d4, 8, 1);
	pcap_record(&f, 1, 0, 12, 12, 0x11);
	pcap_record(&f, 2, 0, 4, 4, 0x22);
	opened o;
	ea_frame fr[2];
	unsigned n;
	assert_int_equal(open_buf(&f, &o, false), EA_OK);
	assert_int_equal(read_all(&o, fr, 2, &n), EA_SOURCE_END);
	assert_int_equal(n, 2);
	assert_int_equal(fr[0].caplen, 8);
	assert_int_equal(fr[0].wirelen, 12);
	assert_int_equal(fr[1].caplen, 4);
	close_buf(&o);
}

/* libpcap's two old variants: Kuznetzov's 24-byte record headers, and
 * pcap 2.2 (lengths always swapped) and 2.3 (swapped when caplen > len). */
static void pcap_old_variants(void **state)
{
	(void)state;
	static buf f;
	for (int be = 0; be < 2; be++) {
		memset(&f, 0, sizeof f);
		f.be = be;
		pcap_header(&f, 0xa1b2cd34, 65535, 1);
		for (int i = 0; i < 2; i++) {
			put32(&f, 10 + i);
			put32(&f, 0);
			put32(&f, 6);
			put32(&f, 60);
			put_bytes(&f, "\1\0\0\0\x08\0\0\0", 8);
			put_bytes(&f, "\x5a\x5a\x5a\x5a\x5a\x5b", 6);
		}
		opened o;
		ea_frame fr[2];
		unsigned n;
		assert_int_equal(open_buf(&f, &o, false), EA_OK);
		assert_int_equal(read_all(&o, fr, 2, &n), EA_SOURCE_END);
		assert_int_equal(n, 2);
		assert_int_equal(fr[1].ts_us, 11000000ull);
		assert_int_equal(fr[1].caplen, 6);
		assert_int_equal(first_byte[1], 0x5a);
		assert_int_equal(last_byte[1], 0x5b);
		close_buf(&o);
		/* Cut inside the extra bytes: the end, with a warning. */
		f.n -= 14 + 3;
		expect_truncated(&f, 1);
	}
	for (int minor = 2; minor <= 4; minor++) {
		memset(&f, 0, sizeof f);
		pcap_header(&f, 0xa1b2c3d4, 65535, 1);
		f.b[6] = (uint8_t)minor;
		put32(&f, 1);
		put32(&f, 0);
		put32(&f, 60); /* caplen and len as a 2.2 writer put them */
		put32(&f, 4);
		put32(&f, 0);
		opened o;
		ea_frame fr[1];
		unsigned n;
		assert_int_equal(open_buf(&f, &o, false), EA_OK);
		ea_source_result r = read_all(&o, fr, 1, &n);
		if (minor < 4) {
			assert_int_equal(r, EA_SOURCE_END);
			assert_int_equal(n, 1);
			assert_int_equal(fr[0].caplen, 4);
			assert_int_equal(fr[0].wirelen, 60);
		} else {
			assert_true(ea_source_truncated(o.src)); /* 60 bytes claimed, 4 there */
		}
		close_buf(&o);
	}
}

/* ---- pcapng ------------------------------------------------------------ */

static void pcapng_interfaces_keep_their_own_link_type(void **state)
{
	(void)state;
	static buf f;
	for (int be = 0; be < 2; be++) {
		memset(&f, 0, sizeof f);
		f.be = be;
		shb(&f);
		idb(&f, 1, 96, -1, false, 0);          /* Ethernet, µs */
		idb(&f, 101, 128, 9, false, 0);        /* raw IP, ns */
		size_t s = block_begin(&f, 0x0bad);     /* unknown: skipped */
		put32(&f, 42);
		block_end(&f, s);
		epb(&f, 0, 1340954905298858ull, 120, 300, 0x01);  /* cut to 96 */
		epb(&f, 1, 1340954905298858123ull, 60, 60, 0x02);
		s = block_begin(&f, 3);                 /* SPB: interface 0, no time */
		put32(&f, 20);
		for (int i = 0; i < 20; i++)
			put8(&f, 3);
		block_end(&f, s);
		s = block_begin(&f, 2);                 /* obsolete Packet Block */
		put16(&f, 1);
		put16(&f, 0);
		put32(&f, 0);
		put32(&f, 5000);
		put32(&f, 8);
		put32(&f, 8);
		for (int i = 0; i < 8; i++)
			put8(&f, 4);
		block_end(&f, s);
		/* A new section, the other byte order: interfaces from 0 again. */
		f.be = !be;
		shb(&f);
		idb(&f, 113, 0, -1, false, 0);
		epb(&f, 0, 1340954906000000ull, 16, 16, 0x05);

		opened o;
		ea_frame fr[8];
		unsigned n;
		assert_int_equal(open_buf(&f, &o, false), EA_OK);
		assert_int_equal(ea_source_linktype(o.src), 1);
		assert_int_equal(read_all(&o, fr, 8, &n), EA_SOURCE_END);
		assert_int_equal(n, 5);
		assert_int_equal(fr[0].linktype, 1);
		assert_int_equal(fr[0].caplen, 96);
		assert_int_equal(fr[0].wirelen, 300);
		assert_int_equal(fr[0].ts_us, 1340954905298858ull);
		assert_int_equal(first_byte[0], 0x01);
		assert_int_equal(fr[1].linktype, 101);
		assert_int_equal(fr[1].ts_us, 1340954905298858ull);
		assert_int_equal(last_byte[1], 0x02);
		assert_int_equal(fr[2].linktype, 1);
		assert_int_equal(fr[2].caplen, 20);
		assert_int_equal(fr[2].ts_fault, EA_TS_ABSENT);
		assert_int_equal(fr[2].ts_us, 1340954905298858ull);
		assert_int_equal(fr[3].linktype, 101);
		assert_int_equal(fr[3].ts_us, 5ull); /* 5000 ns */
		assert_int_equal(fr[4].linktype, 113);
		assert_int_equal(fr[4].ts_us, 1340954906000000ull);
		assert_int_equal(fr[4].number, 5);
		close_buf(&o);
	}
}

/* One EPB at ts on an interface with tsresol/tsoffset; returns its frame. */
static ea_frame one_time(int tsresol, bool off_set, int64_t off, uint64_t ts)
{
	static buf f;
	memset(&f, 0, sizeof f);
	shb(&f);
	idb(&f, 1, 0, tsresol, off_set, off);
	epb(&f, 0, ts, 4, 4, 0);
	opened o;
	ea_frame fr[1];
	unsigned n;
	assert_int_equal(open_buf(&f, &o, false), EA_OK);
	assert_int_equal(read_all(&o, fr, 1, &n), EA_SOURCE_END);
	assert_int_equal(n, 1);
	close_buf(&o);
	return fr[0];
}

static void pcapng_any_resolution_and_offset(void **state)
{
	(void)state;
	ea_frame fr;
	fr = one_time(0, false, 0, 4291747200ull);            /* seconds */
	assert_int_equal(fr.ts_us, 4291747200000000ull);
	fr = one_time(3, false, 0, 4291747200123ull);         /* ms */
	assert_int_equal(fr.ts_us, 4291747200123000ull);
	fr = one_time(19, false, 0, UINT64_MAX);              /* 10^-19 s */
	assert_int_equal(fr.ts_us, 1844674ull);
	fr = one_time(127, false, 0, UINT64_MAX);             /* 10^-127 s: under 1 µs */
	assert_int_equal(fr.ts_us, 0);
	assert_int_equal(fr.ts_fault, EA_TS_OWN);
	fr = one_time(0x80 | 20, false, 0, 3ull << 20);       /* 2^-20 s */
	assert_int_equal(fr.ts_us, 3000000ull);
	fr = one_time(0x80 | 127, false, 0, UINT64_MAX);      /* 2^-127 s */
	assert_int_equal(fr.ts_us, 0);
	fr = one_time(0x80, false, 0, 1418145369ull);         /* 2^0 = seconds */
	assert_int_equal(fr.ts_us, 1418145369000000ull);
	fr = one_time(-1, true, 1000, 5);                     /* offset in seconds */
	assert_int_equal(fr.ts_us, 1000000005ull);
	/* The last representable µs, and one past it. */
	fr = one_time(-1, false, 0, EA_MAX_TIME_US);
	assert_int_equal(fr.ts_us, EA_MAX_TIME_US);
	assert_int_equal(fr.ts_fault, EA_TS_OWN);
	fr = one_time(-1, false, 0, EA_MAX_TIME_US + 1);
	assert_int_equal(fr.ts_fault, EA_TS_OUT_OF_RANGE);
	assert_false(fr.ts_known);
	/* Seconds for 2^64 - 1: far beyond 9999; before the epoch by offset. */
	fr = one_time(0, false, 0, UINT64_MAX);
	assert_int_equal(fr.ts_fault, EA_TS_OUT_OF_RANGE);
	fr = one_time(-1, true, -1, 999999);
	assert_int_equal(fr.ts_fault, EA_TS_OUT_OF_RANGE);
	fr = one_time(-1, true, INT64_MIN, UINT64_MAX);
	assert_int_equal(fr.ts_fault, EA_TS_OUT_OF_RANGE);
	fr = one_time(-1, true, INT64_MAX, UINT64_MAX);
	assert_int_equal(fr.ts_fault, EA_TS_OUT_OF_RANGE);

	/* Out of range after a valid time: the previous valid time. */
	static buf f;
	memset(&f, 0, sizeof f);
	shb(&f);
	idb(&f, 1, 0, -1, false, 0);
	epb(&f, 0, 7000000, 4, 4, 0);
	epb(&f, 0, UINT64_MAX, 4, 4, 0);
	opened o;
	ea_frame frs[2];
	unsigned n;
	assert_int_equal(open_buf(&f, &o, false), EA_OK);
	assert_int_equal(read_all(&o, frs, 2, &n), EA_SOURCE_END);
	assert_int_equal(frs[1].ts_fault, EA_TS_OUT_OF_RANGE);
	assert_true(frs[1].ts_known);
	assert_int_equal(frs[1].ts_us, 7000000ull);
	close_buf(&o);
}

static void pcapng_length_checks(void **state)
{
	(void)state;
	static buf f;
	for (int be = 0; be < 2; be++) {
		/* Section header: cut short, no byte-order magic, bad length,
		 * trailing length wrong, wrong version. */
		memset(&f, 0, sizeof f);
		f.be = be;
		shb(&f);
		f.n = 10;
		expect_open_error(&f, "section header cut short");
		f.n = 0;
		shb(&f);
		f.n = 20;
		expect_open_error(&f, "section header cut short");
		memset(&f, 0, sizeof f);
		f.be = be;
		shb(&f);
		patch32(&f, 8, 0x11223344);
		expect_open_error(&f, "byte-order magic");
		memset(&f, 0, sizeof f);
		f.be = be;
		shb(&f);
		patch32(&f, 4, 26);
		expect_open_error(&f, "invalid length");
		memset(&f, 0, sizeof f);
		f.be = be;
		shb(&f);
		patch32(&f, f.n - 4, 32);
		expect_open_error(&f, "trailing length");
		memset(&f, 0, sizeof f);
		f.be = be;
		shb(&f);
		f.b[be ? 12 : 13] = 2; /* major version 2 */
		f.b[be ? 13 : 12] = 0;
		expect_open_error(&f, "version");

		/* No interface, or a packet before one. */
		memset(&f, 0, sizeof f);
		f.be = be;
		shb(&f);
		expect_open_error(&f, "no interface description");
		epb(&f, 0, 1, 4, 4, 0);
		expect_open_error(&f, "never described");

		/* Interface description: too short, option past its end. */
		memset(&f, 0, sizeof f);
		f.be = be;
		shb(&f);
		size_t s = block_begin(&f, 1);
		put16(&f, 1);
		put16(&f, 0);
		block_end(&f, s);
		expect_open_error(&f, "shorter than 8 bytes");
		memset(&f, 0, sizeof f);
		f.be = be;
		shb(&f);
		s = block_begin(&f, 1);
		put16(&f, 1);
		put16(&f, 0);
		put32(&f, 0);
		put16(&f, 9);
		put16(&f, 40);
		put32(&f, 0);
		block_end(&f, s);
		expect_open_error(&f, "option runs past");

		/* Blocks: bad length, not a multiple of 4, trailing length,
		 * too large, cut short (parsed or skipped). */
		memset(&f, 0, sizeof f);
		f.be = be;
		shb(&f);
		idb(&f, 1, 0, -1, false, 0);
		size_t base = f.n;
		epb(&f, 0, 1, 4, 4, 0);
		patch32(&f, base + 4, 8);
		expect_record_error(&f, 0, "block length 8");
		patch32(&f, base + 4, 34);
		expect_record_error(&f, 0, "block length 34");
		patch32(&f, base + 4, (uint32_t)(f.n - base));
		patch32(&f, f.n - 4, 40);
		expect_record_error(&f, 0, "trailing length");
		f.n = base;
		s = block_begin(&f, 0x0bad);
		put32(&f, 0);
		block_end(&f, s);
		patch32(&f, f.n - 4, 99);
		expect_record_error(&f, 0, "trailing length");
		f.n = base;
		epb(&f, 0, 1, 4, 4, 0);
		patch32(&f, base + 4, EA_CAPTURE_MAX_BLOCK + 4);
		expect_record_error(&f, 0, "more than the");
		f.n = base;
		epb(&f, 0, 1, 4, 4, 0);
		size_t one = f.n;
		epb(&f, 0, 2, 40, 40, 0);
		f.n = one + 5;
		expect_truncated(&f, 1);
		f.n = one + 30;
		expect_truncated(&f, 1);
		f.n = one;
		s = block_begin(&f, 0x0bad);
		for (int i = 0; i < 100; i++)
			put8(&f, 0);
		block_end(&f, s);
		f.n = one + 50;
		expect_truncated(&f, 1);

		/* Packet blocks: fixed fields, captured length, interface. */
		f.n = base;
		s = block_begin(&f, 6);
		put32(&f, 0);
		put32(&f, 0);
		block_end(&f, s);
		expect_record_error(&f, 0, "shorter than its fixed fields");
		f.n = base;
		epb(&f, 0, 1, 8, 8, 0);
		patch32(&f, base + 20, 64);
		expect_record_error(&f, 0, "runs past its block");
		f.n = base;
		epb(&f, 3, 1, 8, 8, 0);
		expect_record_error(&f, 0, "never described");
		f.n = base;
		s = block_begin(&f, 3); /* SPB before any interface 0? there is one */
		put32(&f, 100);
		put32(&f, 0);
		block_end(&f, s);
		opened o;
		ea_frame fr[1];
		unsigned n;
		assert_int_equal(open_buf(&f, &o, false), EA_OK);
		assert_int_equal(read_all(&o, fr, 1, &n), EA_SOURCE_END);
		assert_int_equal(fr[0].caplen, 4); /* what the block holds */
		assert_int_equal(fr[0].wirelen, 100);
		close_buf(&o);
	}
	/* Too many interfaces in one section. */
	memset(&f, 0, sizeof f);
	shb(&f);
	for (unsigned i = 0; i <= EA_CAPTURE_MAX_INTERFACES; i++)
		idb(&f, 1, 0, -1, false, 0);
	expect_record_error(&f, 0, "more interfaces");
}

/* ---- streams --------------------------------------------------------- */

static void stream_hashes_every_byte_read(void **state)
{
	(void)state;
	static buf f;
	pcap_header(&f, 0xa1b2c3d4, 65535, 1);
	pcap_record(&f, 1, 0, 10, 10, 0x33);
	put_bytes(&f, "trailing junk", 13); /* read as a cut record, still hashed */
	char want[65], hex[65], err[256];
	ea_sha256 *h = ea_sha256_new();
	assert_non_null(h);
	assert_true(ea_sha256_update(h, f.b, f.n));
	assert_true(ea_sha256_final(h, want));
	ea_sha256_free(h);

	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], f.b, f.n), (ssize_t)f.n);
	close(p[1]);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
	ea_source *src = NULL;
	assert_int_equal(ea_source_open_stream(path, &src, err, sizeof err), EA_OK);
	ea_frame fr;
	assert_int_equal(ea_source_next(src, &fr, err, sizeof err), EA_SOURCE_FRAME);
	assert_int_equal(ea_source_next(src, &fr, err, sizeof err), EA_SOURCE_END);
	assert_true(ea_source_truncated(src));
	uint64_t size = 0;
	assert_int_equal(ea_source_digest(src, hex, &size, err, sizeof err), EA_OK);
	assert_string_equal(hex, want);
	assert_int_equal(size, f.n);
	ea_source_close(src);
	close(p[0]);

	/* A file source does not hash. */
	opened o;
	assert_int_equal(open_buf(&f, &o, false), EA_OK);
	assert_int_equal(ea_source_digest(o.src, hex, &size, err, sizeof err), EA_ERR_INTERNAL);
	close_buf(&o);
	/* Stopped early by an error: the rest is still hashed. */
	assert_int_equal(open_buf(&f, &o, true), EA_OK);
	assert_int_equal(ea_source_digest(o.src, hex, &size, err, sizeof err), EA_OK);
	assert_string_equal(hex, want);
	close_buf(&o);
}

/* ---- against libpcap --------------------------------------------------- */

/* libpcap hands back DLT_* values; the file holds LINKTYPE_* ones. */
static int linktype_of_dlt(int dlt)
{
	return dlt == DLT_RAW ? 101 : dlt;
}

/* Every frame as libpcap reads it (µs precision). Returns the frame
 * count, or -1 when libpcap cannot open the file. */
static long compare_with_libpcap(const char *path)
{
	char perr[PCAP_ERRBUF_SIZE], err[1024];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p)
		return -1;
	ea_source *src = NULL;
	if (ea_source_open_file(path, &src, err, sizeof err) != EA_OK)
		fail_msg("%s: libpcap opens it, we do not: %s", path, err);
	assert_int_equal(ea_source_linktype(src), linktype_of_dlt(pcap_datalink(p)));
	struct pcap_pkthdr *h;
	const u_char *d;
	ea_frame fr;
	long n = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1 || (rc == PCAP_ERROR && n == 0 &&
							 strstr(pcap_geterr(p), "first interface"))) {
		if (rc != 1) {
			/* libpcap 1.10 refuses a second interface unlike the
			 * first: nothing to compare. */
			ea_source_close(src);
			pcap_close(p);
			return -1;
		}
		ea_source_result r = ea_source_next(src, &fr, err, sizeof err);
		if (r != EA_SOURCE_FRAME)
			fail_msg("%s: frame %ld: libpcap reads it, we end (%s)", path, n + 1, err);
		n++;
		assert_int_equal(fr.caplen, h->caplen);
		assert_int_equal(fr.wirelen, h->len);
		assert_int_equal(fr.linktype, linktype_of_dlt(pcap_datalink(p)));
		assert_memory_equal(fr.data, d, h->caplen);
		/* Where libpcap's time is right, ours is the same. */
		if (h->ts.tv_sec >= 0 && h->ts.tv_usec >= 0 && h->ts.tv_usec < 1000000) {
			uint64_t us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
			if (fr.ts_us != us)
				fail_msg("%s: frame %ld: time %llu, libpcap %llu", path, n,
					 (unsigned long long)fr.ts_us, (unsigned long long)us);
		}
	}
	ea_source_result r = ea_source_next(src, &fr, err, sizeof err);
	if (r == EA_SOURCE_FRAME)
		fail_msg("%s: we read more frames than libpcap's %ld", path, n);
	/* A cut file is the end for both; libpcap says so as an error. */
	bool pcap_truncated = rc == PCAP_ERROR && strstr(pcap_geterr(p), "truncated");
	assert_int_equal(ea_source_truncated(src), pcap_truncated);
	if (rc == PCAP_ERROR && !pcap_truncated)
		assert_int_equal(r, EA_SOURCE_ERROR);
	ea_source_close(src);
	pcap_close(p);
	return n;
}

static unsigned compare_dir(const char *dir, unsigned *refused)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	unsigned compared = 0;
	while ((e = readdir(d))) {
		const char *dot = strrchr(e->d_name, '.');
		if (!dot || (strcmp(dot, ".pcap") && strcmp(dot, ".pcapng")))
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (compare_with_libpcap(path) >= 0)
			compared++;
		else
			(*refused)++;
	}
	closedir(d);
	return compared;
}

static void every_capture_reads_as_libpcap_reads_it(void **state)
{
	(void)state;
	unsigned refused = 0;
	unsigned n = compare_dir(EA_SHARED_PCAPS, &refused) + compare_dir(EA_TOPDIR "/pcaps", &refused) +
		     compare_dir(EA_TOPDIR "/../shared/cases", &refused);
	assert_true(n >= 70);
	/* libpcap refuses the two multi-interface pcapng files outright. */
	assert_int_equal(refused, 2);
}

/* What libpcap refuses, we read: per-interface snap lengths. */
static void pcapng_snaplen_differs(void **state)
{
	(void)state;
	char err[1024];
	ea_source *src = NULL;
	ea_frame fr;
	unsigned n = 0;
	assert_int_equal(ea_source_open_file(EA_TOPDIR "/../shared/cases/pcapng_idb_snaplen_differs.pcapng", &src,
					     err, sizeof err), EA_OK);
	while (ea_source_next(src, &fr, err, sizeof err) == EA_SOURCE_FRAME) {
		n++;
		assert_int_equal(fr.linktype, 1);
		assert_true(fr.caplen <= 128);
	}
	assert_int_equal(n, 4);
	ea_source_close(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pcap_both_byte_orders_and_precisions),
		cmocka_unit_test(pcap_bad_fraction_takes_previous_valid_time),
		cmocka_unit_test(pcap_length_checks),
		cmocka_unit_test(pcap_old_variants),
		cmocka_unit_test(pcapng_interfaces_keep_their_own_link_type),
		cmocka_unit_test(pcapng_any_resolution_and_offset),
		cmocka_unit_test(pcapng_length_checks),
		cmocka_unit_test(stream_hashes_every_byte_read),
		cmocka_unit_test(every_capture_reads_as_libpcap_reads_it),
		cmocka_unit_test(pcapng_snaplen_differs),
	};
	return cmocka_run_group_tests_name("source", tests, NULL, NULL);
}
