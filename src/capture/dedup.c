/* dedup.c — SPAN duplicate suppression (see dedup.h).
 *
 * The remembered frames form a FIFO twice over: entries in a ring of
 * EA_DEDUP_MAX_FRAMES, and their bytes in a circular arena of
 * EA_DEDUP_MAX_BYTES, both filled in arrival order, so evicting the
 * oldest entry frees the oldest bytes. A hash bucket holds the sequence
 * number of its newest entry and each entry that of the next older one in
 * its bucket; a sequence number older than the oldest live entry ends a
 * chain, so eviction never has to unlink anything. */
#include "capture/dedup.h"

#include <stdlib.h>
#include <string.h>

#include "util/cursor.h"
#include "util/ea_limits.h"
#include "util/mix64.h"

#define LINKTYPE_ETHERNET 1
#define BUCKETS (2u * EA_DEDUP_MAX_FRAMES) /* load at most 1/2: chains stay short */
#define MAC_BYTES 12                        /* destination and source MAC */
#define TAG_BYTES 4                         /* TPID and TCI */

typedef struct {
	uint64_t seq;       /* 0: never used */
	uint64_t next_seq;  /* next older entry of the same bucket; 0: none */
	uint64_t hash;
	uint64_t ts_us;
	uint32_t off, len;  /* its bytes (outer tag set aside) in the arena */
	uint32_t wirelen;   /* without the outer tag */
	int linktype;
} entry;

struct ea_dedup {
	uint64_t window_us;
	uint64_t seed;
	uint64_t oldest;    /* sequence number of the oldest live entry */
	uint64_t next;      /* the next entry's sequence number (from 1) */
	uint32_t head;      /* arena offset where the next frame's bytes go */
	uint64_t suppressed;
	entry entries[EA_DEDUP_MAX_FRAMES];
	uint64_t buckets[BUCKETS];
	uint8_t arena[];
};

/* A frame's bytes as compared: two pieces, the outer tag between them. */
typedef struct {
	const uint8_t *a, *b;
	uint32_t alen, blen;
	uint32_t wirelen;
} view;

/* The Ethernet TPIDs a SPAN session or a trunk puts first: 802.1Q,
 * 802.1ad, and the pre-standard 0x9100/0x9200 S-tags. */
static bool is_outer_tag(uint16_t tpid)
{
	return tpid == 0x8100 || tpid == 0x88a8 || tpid == 0x9100 || tpid == 0x9200;
}

static view make_view(const ea_frame *f)
{
	view v = {f->data, NULL, f->caplen, 0, f->wirelen};
	if (f->linktype != LINKTYPE_ETHERNET)
		return v;
	ea_cursor c = ea_cursor_make(f->data, f->caplen);
	ea_cursor_skip(&c, MAC_BYTES);
	uint16_t tpid = ea_cursor_be16(&c);
	ea_cursor_skip(&c, TAG_BYTES - 2);
	if (c.err || !is_outer_tag(tpid))
		return v;
	v.alen = MAC_BYTES;
	v.b = ea_cursor_here(&c);
	v.blen = (uint32_t)ea_cursor_remaining(&c);
	v.wirelen = f->wirelen >= TAG_BYTES ? f->wirelen - TAG_BYTES : 0;
	return v;
}

/* Seeded, over the first EA_DEDUP_HASH_BYTES of the view and its
 * lengths. Two lanes of multiply-xor (each step a bijection of the lane,
 * so frames that differ in one word always hash apart) keep the
 * dependency chain short; the finaliser mixes every bit into the bucket
 * index. A collision costs only a memcmp that stops at the first
 * differing byte, so a stronger hash would not pay for itself. */
static uint64_t view_hash(const ea_dedup *d, const view *v, int linktype)
{
	uint8_t buf[EA_DEDUP_HASH_BYTES] = {0};
	uint32_t n = v->alen < sizeof buf ? v->alen : (uint32_t)sizeof buf;
	memcpy(buf, v->a, n);
	uint32_t m = v->blen < sizeof buf - n ? v->blen : (uint32_t)sizeof buf - n;
	if (m)
		memcpy(buf + n, v->b, m);
	uint64_t h1 = d->seed ^ ((uint64_t)(v->alen + v->blen) << 32 | v->wirelen);
	uint64_t h2 = ~d->seed ^ (uint64_t)(uint32_t)linktype;
	for (uint32_t i = 0; i < n + m; i += 16) {
		uint64_t w1, w2;
		memcpy(&w1, buf + i, sizeof w1); /* buf is zero-padded to a multiple of 16 */
		memcpy(&w2, buf + i + 8, sizeof w2);
		h1 = (h1 ^ w1) * 0x9e3779b97f4a7c15ull;
		h2 = (h2 ^ w2) * 0xc2b2ae3d27d4eb4full;
		h1 = h1 << 31 | h1 >> 33;
		h2 = h2 << 29 | h2 >> 35;
	}
	return ea_mix64(h1 ^ (h2 << 32 | h2 >> 32));
}

static bool same_frame(const ea_dedup *d, const entry *e, const view *v, uint64_t h, int linktype)
{
	return e->hash == h && e->linktype == linktype && e->wirelen == v->wirelen &&
	       e->len == v->alen + v->blen && memcmp(d->arena + e->off, v->a, v->alen) == 0 &&
	       (v->blen == 0 || memcmp(d->arena + e->off + v->alen, v->b, v->blen) == 0);
}

static void evict_oldest(ea_dedup *d)
{
	d->oldest++;
	if (d->oldest == d->next)
		d->head = 0; /* empty: start the arena again */
}

/* Where len bytes can go, evicting the oldest entries until they fit and
 * a ring slot is free. The live bytes run circularly from the oldest
 * entry's offset to head; a frame never wraps (the arena's tail is left
 * unused instead). */
static uint32_t make_room(ea_dedup *d, uint32_t len)
{
	for (;;) {
		uint64_t live = d->next - d->oldest;
		if (live == 0)
			return 0;
		if (live < EA_DEDUP_MAX_FRAMES) {
			uint32_t tail = d->entries[d->oldest & (EA_DEDUP_MAX_FRAMES - 1)].off;
			if (tail < d->head) {
				if (EA_DEDUP_MAX_BYTES - d->head >= len)
					return d->head;
				if (tail >= len)
					return 0;
			} else if (tail - d->head >= len) {
				return d->head;
			}
		}
		evict_oldest(d);
	}
}

static void remember(ea_dedup *d, const view *v, uint64_t h, int linktype, uint64_t ts_us)
{
	uint32_t len = v->alen + v->blen;
	if (len == 0 || len > EA_DEDUP_MAX_BYTES)
		return;
	uint32_t off = make_room(d, len);
	uint64_t seq = d->next++;
	entry *e = &d->entries[seq & (EA_DEDUP_MAX_FRAMES - 1)];
	uint64_t *bucket = &d->buckets[h & (BUCKETS - 1)];
	*e = (entry){.seq = seq, .next_seq = *bucket, .hash = h, .ts_us = ts_us, .off = off, .len = len,
		     .wirelen = v->wirelen, .linktype = linktype};
	*bucket = seq;
	memcpy(d->arena + off, v->a, v->alen);
	if (v->blen)
		memcpy(d->arena + off + v->alen, v->b, v->blen);
	d->head = off + len;
}

bool ea_dedup_frame(ea_dedup *d, const ea_frame *frame, uint64_t *gap_us)
{
	if (!frame->ts_known || !frame->data || frame->caplen == 0)
		return false;
	view v = make_view(frame);
	uint64_t h = view_hash(d, &v, frame->linktype);
	uint64_t seq = d->buckets[h & (BUCKETS - 1)];
	for (unsigned probes = 0; seq != 0 && seq >= d->oldest && probes < EA_DEDUP_MAX_PROBES; probes++) {
		const entry *e = &d->entries[seq & (EA_DEDUP_MAX_FRAMES - 1)];
		uint64_t gap = frame->ts_us > e->ts_us ? frame->ts_us - e->ts_us : e->ts_us - frame->ts_us;
		if (gap <= d->window_us && same_frame(d, e, &v, h, frame->linktype)) {
			d->suppressed++;
			if (gap_us)
				*gap_us = gap;
			return true;
		}
		seq = e->next_seq;
	}
	remember(d, &v, h, frame->linktype, frame->ts_us);
	return false;
}

ea_status ea_dedup_new(uint64_t window_us, uint64_t seed, ea_dedup **out, char *errbuf, size_t errlen)
{
	/* calloc: every bucket and entry starts at sequence number 0 (none). */
	ea_dedup *d = calloc(1, sizeof *d + EA_DEDUP_MAX_BYTES);
	if (!d)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory for duplicate suppression");
	d->window_us = window_us ? window_us : EA_DEDUP_WINDOW_US;
	d->seed = seed;
	d->oldest = d->next = 1;
	*out = d;
	return EA_OK;
}

uint64_t ea_dedup_suppressed(const ea_dedup *d)
{
	return d->suppressed;
}

void ea_dedup_free(ea_dedup *d)
{
	free(d);
}
