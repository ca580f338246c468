/* frag.c — IP fragment reassembly; see frag.h for the contract and the
 * overlap policy. References: RFC 791 §3.2, RFC 815 (hole lists), RFC
 * 8200 §4.5, RFC 5722, RFC 1858 and RFC 3128 (tiny and overlapping
 * fragments), Novak's target-based reassembly policies as Suricata and
 * Snort name them.
 *
 * A datagram in progress keeps the header of its first fragment (offset
 * 0), its data at their offsets in one buffer that grows to the highest
 * byte received, and two sets of disjoint runs: the bytes fragments
 * claimed (for completeness) and the bytes actually captured (a snaplen
 * may cut a fragment; the datagram is then rebuilt as far as its data
 * runs contiguous from 0, like any cut packet). It sits in a hash table
 * for lookup and on a list in arrival order for timeouts and eviction. */
#include "decode/frag.h"

#include <stdlib.h>
#include <string.h>

#include "util/cursor.h"
#include "util/ea_limits.h"
#include "util/ipproto.h"
#include "util/mix64.h"

typedef struct {
	uint32_t lo, hi; /* [lo, hi) bytes of the fragmentable part */
} run;

typedef struct {
	run r[EA_FRAG_MAX_PIECES];
	unsigned n; /* sorted, disjoint, not adjacent */
} run_set;

typedef struct dgram {
	struct dgram *hnext;          /* hash chain */
	struct dgram *older, *newer;  /* arrival list; newer also links the ready list */
	uint32_t hash;
	ea_addr src, dst;
	uint32_t id;
	uint8_t version;
	uint8_t key_proto;            /* IPv4 only: part of the identity */
	uint8_t proto;                /* what the data is: the first fragment's */
	bool have_first;              /* the offset-0 fragment arrived; hdr is its header */
	bool have_last;               /* a fragment without MF arrived; total is known */
	bool complete;
	uint32_t total;               /* length of the fragmentable part, once have_last */
	uint32_t frames, wire_bytes;
	uint64_t first_us, last_us;
	uint8_t *hdr;                 /* IP header up to the data (Fragment header included) */
	uint32_t hdr_len, nh_at;
	uint8_t *data;
	uint32_t data_cap;
	run_set claimed, captured;
} dgram;

#define NBUCKETS 2048u /* twice EA_FRAG_MAX_DATAGRAMS: short chains */
_Static_assert(NBUCKETS >= EA_FRAG_MAX_DATAGRAMS, "fragment hash table too small");

struct ea_frag_table {
	dgram *buckets[NBUCKETS];
	dgram *oldest, *newest;        /* in progress, by arrival of their first fragment */
	dgram *ready_head, *ready_tail;
	unsigned n;                    /* in progress */
	uint64_t bytes;                /* held by datagrams in progress */
	uint64_t seed;
	uint8_t *out;                  /* the datagram last handed out */
	uint32_t out_cap;
};

ea_frag_table *ea_frag_table_new(uint64_t seed)
{
	ea_frag_table *t = calloc(1, sizeof *t);
	if (t)
		t->seed = seed;
	return t;
}

static void dgram_free(dgram *g)
{
	free(g->hdr);
	free(g->data);
	free(g);
}

void ea_frag_table_free(ea_frag_table *t)
{
	if (!t)
		return;
	for (dgram *g = t->oldest, *next; g; g = next) {
		next = g->newer;
		dgram_free(g);
	}
	for (dgram *g = t->ready_head, *next; g; g = next) {
		next = g->newer;
		dgram_free(g);
	}
	free(t->out);
	free(t);
}

unsigned ea_frag_in_progress(const ea_frag_table *t)
{
	return t->n;
}

uint64_t ea_frag_bytes(const ea_frag_table *t)
{
	return t->bytes;
}

static uint32_t key_hash(const ea_frag_table *t, const ea_packet *p, uint8_t key_proto)
{
	uint64_t h = t->seed ^ ((uint64_t)p->frag_id << 16 | (uint64_t)key_proto << 8 | p->ip_version);
	for (int i = 0; i < 16; i += 8) {
		uint64_t a, b;
		memcpy(&a, p->src.b + i, 8);
		memcpy(&b, p->dst.b + i, 8);
		h = ea_mix64(h ^ a) ^ b;
	}
	return (uint32_t)ea_mix64(h);
}

static size_t dgram_size(const dgram *g)
{
	return sizeof *g + g->hdr_len + g->data_cap;
}

/* ---- runs ---- */

/* Adds [lo, hi) to s, merging what touches it; false (s unchanged) when
 * the result would need more than EA_FRAG_MAX_PIECES runs. */
static bool runs_add(run_set *s, uint32_t lo, uint32_t hi)
{
	run r[EA_FRAG_MAX_PIECES + 1];
	unsigned n = 0, i = 0;
	while (i < s->n && s->r[i].hi < lo)
		r[n++] = s->r[i++];
	run m = {lo, hi};
	while (i < s->n && s->r[i].lo <= hi) {
		if (s->r[i].lo < m.lo)
			m.lo = s->r[i].lo;
		if (s->r[i].hi > m.hi)
			m.hi = s->r[i].hi;
		i++;
	}
	r[n++] = m;
	while (i < s->n)
		r[n++] = s->r[i++];
	if (n > EA_FRAG_MAX_PIECES)
		return false;
	memcpy(s->r, r, n * sizeof r[0]);
	s->n = n;
	return true;
}

static uint32_t runs_end(const run_set *s)
{
	return s->n ? s->r[s->n - 1].hi : 0;
}

/* Bytes held contiguous from offset 0. */
static uint32_t runs_prefix(const run_set *s)
{
	return s->n && s->r[0].lo == 0 ? s->r[0].hi : 0;
}

/* ---- lists ---- */

static void unlink_dgram(ea_frag_table *t, dgram *g)
{
	dgram **pp = &t->buckets[g->hash % NBUCKETS];
	while (*pp && *pp != g)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = g->hnext;
	if (g->older)
		g->older->newer = g->newer;
	else
		t->oldest = g->newer;
	if (g->newer)
		g->newer->older = g->older;
	else
		t->newest = g->older;
	g->hnext = g->older = g->newer = NULL;
	t->n--;
	t->bytes -= dgram_size(g);
}

static void make_ready(ea_frag_table *t, dgram *g)
{
	unlink_dgram(t, g);
	if (t->ready_tail)
		t->ready_tail->newer = g;
	else
		t->ready_head = g;
	t->ready_tail = g;
}

/* Ends a datagram before it is whole: its first part still goes to its
 * flow; without one, only a protocol keyed on addresses can. */
static void give_up(ea_frag_table *t, dgram *g, uint64_t *anomalies)
{
	if (g->have_first) {
		anomalies[EA_ANOMALY_FRAGMENT_INCOMPLETE]++;
		make_ready(t, g);
	} else if (g->hdr && !ea_ipproto_keyed_on_l4(g->proto)) {
		make_ready(t, g);
	} else {
		anomalies[EA_ANOMALY_FRAGMENT_UNATTRIBUTED] += g->frames;
		unlink_dgram(t, g);
		dgram_free(g);
	}
}

/* Makes room for `more` bytes by giving up the oldest datagrams other
 * than keep; false when even that is not enough. */
static bool make_room(ea_frag_table *t, dgram *keep, uint64_t more, uint64_t *anomalies)
{
	while (t->bytes + more > EA_FRAG_MAX_BYTES) {
		dgram *victim = t->oldest;
		if (victim && victim == keep)
			victim = victim->newer;
		if (!victim)
			return false;
		anomalies[EA_ANOMALY_FRAGMENT_LIMIT]++;
		give_up(t, victim, anomalies);
	}
	return true;
}

static dgram *lookup(ea_frag_table *t, const ea_packet *p, uint8_t key_proto, uint32_t hash)
{
	for (dgram *g = t->buckets[hash % NBUCKETS]; g; g = g->hnext)
		if (g->hash == hash && g->id == p->frag_id && g->version == p->ip_version &&
		    g->key_proto == key_proto && ea_addr_cmp(&g->src, &p->src) == 0 &&
		    ea_addr_cmp(&g->dst, &p->dst) == 0)
			return g;
	return NULL;
}

static dgram *create(ea_frag_table *t, const ea_packet *p, uint8_t key_proto, uint32_t hash, uint64_t *anomalies)
{
	if (t->n >= EA_FRAG_MAX_DATAGRAMS) {
		anomalies[EA_ANOMALY_FRAGMENT_LIMIT]++;
		give_up(t, t->oldest, anomalies);
	}
	if (!make_room(t, NULL, sizeof(dgram), anomalies))
		return NULL;
	dgram *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->hash = hash;
	g->src = p->src;
	g->dst = p->dst;
	g->id = p->frag_id;
	g->version = p->ip_version;
	g->key_proto = key_proto;
	g->proto = p->proto;
	g->first_us = g->last_us = p->ts_us;
	g->hnext = t->buckets[hash % NBUCKETS];
	t->buckets[hash % NBUCKETS] = g;
	g->older = t->newest;
	if (t->newest)
		t->newest->newer = g;
	else
		t->oldest = g;
	t->newest = g;
	t->n++;
	t->bytes += dgram_size(g);
	return g;
}

/* Keeps this fragment's IP header: the first fragment's wins (its options
 * and extension headers are the datagram's); any header serves until it
 * comes, for a protocol keyed on addresses. */
static bool keep_header(ea_frag_table *t, dgram *g, const ea_packet *p, uint64_t *anomalies)
{
	bool first = p->frag_offset == 0;
	if (g->have_first || (g->hdr && !first))
		return true;
	if (p->frag_hdr_len > g->hdr_len && !make_room(t, g, p->frag_hdr_len - g->hdr_len, anomalies))
		return false;
	uint8_t *h = realloc(g->hdr, p->frag_hdr_len);
	if (!h)
		return false;
	t->bytes = t->bytes - g->hdr_len + p->frag_hdr_len;
	memcpy(h, p->l3, p->frag_hdr_len);
	g->hdr = h;
	g->hdr_len = p->frag_hdr_len;
	g->nh_at = p->frag_nh_at;
	g->proto = p->proto;
	g->have_first = first;
	return true;
}

/* Room in g->data for bytes up to `end`. */
static bool grow_data(ea_frag_table *t, dgram *g, uint32_t end, uint64_t *anomalies)
{
	if (end <= g->data_cap)
		return true;
	uint32_t cap = g->data_cap ? g->data_cap : 2048;
	while (cap < end)
		cap *= 2;
	if (cap > EA_FRAG_MAX_DATAGRAM)
		cap = EA_FRAG_MAX_DATAGRAM;
	if (!make_room(t, g, cap - g->data_cap, anomalies))
		return false;
	uint8_t *d = realloc(g->data, cap);
	if (!d)
		return false;
	t->bytes += cap - g->data_cap;
	g->data = d;
	g->data_cap = cap;
	return true;
}

/* Copies [lo, hi) from src where nothing was captured yet; compares it
 * where something was ("first" policy). True when a byte differed. */
static bool place(dgram *g, uint32_t lo, uint32_t hi, const uint8_t *src)
{
	bool differs = false;
	uint32_t pos = lo;
	for (unsigned i = 0; i < g->captured.n && pos < hi; i++) {
		const run *e = &g->captured.r[i];
		if (e->hi <= pos)
			continue;
		if (e->lo >= hi)
			break;
		if (e->lo > pos) {
			memcpy(g->data + pos, src + (pos - lo), e->lo - pos);
			pos = e->lo;
		}
		uint32_t end = e->hi < hi ? e->hi : hi;
		if (memcmp(g->data + pos, src + (pos - lo), end - pos) != 0)
			differs = true;
		pos = end;
	}
	if (pos < hi)
		memcpy(g->data + pos, src + (pos - lo), hi - pos);
	return differs;
}

static bool is_complete(const dgram *g)
{
	return g->have_first && g->have_last && g->claimed.n == 1 && g->claimed.r[0].lo == 0 &&
	       g->claimed.r[0].hi == g->total;
}

void ea_frag_add(ea_frag_table *t, const ea_packet *p, uint64_t anomalies[EA_ANOMALY_COUNT])
{
	uint32_t frames = p->frag_frames ? p->frag_frames : 1;
	uint32_t hdr = p->frag_hdr_len;
	uint32_t claimed = p->ip_len > hdr ? p->ip_len - hdr : 0;
	/* Every fragment but the last carries a multiple of 8 bytes (RFC 791,
	 * RFC 8200); like Linux, trim one that does not rather than drop it:
	 * the next fragment's offset says where the data goes on. */
	if (p->frag_more)
		claimed &= ~7u;
	uint32_t have = p->payload_len < claimed ? p->payload_len : claimed;
	uint64_t lo = p->frag_offset, hi = lo + claimed;
	/* What the length fields could describe once rebuilt: IPv4 counts
	 * its header in the total, IPv6 its extension headers (not the
	 * Fragment header, which goes) in the payload length. */
	uint64_t overhead = p->ip_version == 4 ? hdr : (hdr >= 48 ? hdr - 48 : 0);
	if (p->frag == EA_FRAG_NONE || hdr > p->l3_len || (p->frag_more && claimed == 0) ||
	    hi + overhead > EA_FRAG_MAX_DATAGRAM) {
		anomalies[EA_ANOMALY_FRAGMENT_INVALID] += frames;
		return;
	}
	/* RFC 1858 / 3128: a first fragment too short for the transport
	 * header, or a later one starting inside it. */
	unsigned l4min = ea_ipproto_l4_header_min(p->proto);
	if ((lo == 0 && p->frag_more && claimed < l4min) || (lo > 0 && lo < l4min))
		anomalies[EA_ANOMALY_FRAGMENT_TINY]++;

	uint8_t key_proto = p->ip_version == 4 ? p->proto : 0;
	uint32_t hash = key_hash(t, p, key_proto);
	dgram *g = lookup(t, p, key_proto, hash);
	if (!g)
		g = create(t, p, key_proto, hash, anomalies);
	if (!g) {
		anomalies[EA_ANOMALY_FRAGMENT_LIMIT]++;
		anomalies[EA_ANOMALY_FRAGMENT_UNATTRIBUTED] += frames;
		return;
	}
	g->frames += frames;
	g->wire_bytes = p->ip_len > UINT32_MAX - g->wire_bytes ? UINT32_MAX : g->wire_bytes + p->ip_len;
	/* A fragment out of a rebuilt datagram dates from that one's first. */
	uint64_t first = p->frag_frames && p->frag_first_us < p->ts_us ? p->frag_first_us : p->ts_us;
	if (p->ts_us > g->last_us)
		g->last_us = p->ts_us;
	if (first < g->first_us)
		g->first_us = first;
	if (g->frames > EA_FRAG_MAX_FRAGMENTS || !keep_header(t, g, p, anomalies)) {
		anomalies[EA_ANOMALY_FRAGMENT_LIMIT]++;
		give_up(t, g, anomalies);
		return;
	}

	/* Where the datagram ends: the first fragment without MF says so;
	 * one that disagrees, or data past that end, is an overlap (counted
	 * once per fragment, whatever it disagrees about). */
	bool overlap = false;
	if (!p->frag_more) {
		if (g->have_last ? hi != g->total : runs_end(&g->claimed) > hi) {
			overlap = true;
		} else {
			g->have_last = true;
			g->total = (uint32_t)hi;
		}
	}
	if (g->have_last && hi > g->total) {
		overlap = true;
		hi = g->total;
	}
	if (lo < hi) {
		uint32_t cap_hi = (uint32_t)(lo + have < hi ? lo + have : hi);
		run_set c = g->claimed, k = g->captured;
		if (!runs_add(&c, (uint32_t)lo, (uint32_t)hi) ||
		    (cap_hi > lo && !runs_add(&k, (uint32_t)lo, cap_hi)) || !grow_data(t, g, cap_hi, anomalies)) {
			anomalies[EA_ANOMALY_FRAGMENT_LIMIT]++;
			give_up(t, g, anomalies);
			return;
		}
		if (cap_hi > lo && place(g, (uint32_t)lo, cap_hi, p->payload))
			overlap = true;
		g->claimed = c;
		g->captured = k;
	}
	if (overlap)
		anomalies[EA_ANOMALY_FRAGMENT_OVERLAP]++;
	if (is_complete(g)) {
		g->complete = true;
		make_ready(t, g);
	}
}

void ea_frag_expire(ea_frag_table *t, uint64_t now_us, uint64_t anomalies[EA_ANOMALY_COUNT])
{
	while (t->oldest && t->oldest->first_us + EA_FRAGMENT_TIMEOUT_SEC * 1000000ull < now_us)
		give_up(t, t->oldest, anomalies);
}

void ea_frag_flush(ea_frag_table *t, uint64_t anomalies[EA_ANOMALY_COUNT])
{
	while (t->oldest)
		give_up(t, t->oldest, anomalies);
}

/* Writes g as one IP datagram into t->out: header, then the data that
 * arrived contiguous from 0. Whole: the fragment fields go (IPv4 flags and
 * offset cleared; IPv6 Fragment header removed). Given up with its first
 * part: still "first fragment, more follow", the length what is known.
 * Without it: the header of a later fragment and no data. */
static bool render(ea_frag_table *t, const dgram *g, uint32_t *len)
{
	bool v4 = g->version == 4;
	uint32_t hdr = g->hdr_len;
	if (g->complete && !v4)
		hdr -= 8; /* the Fragment header, last of the kept headers */
	uint32_t data = 0, claim = 0;
	if (g->have_first) {
		claim = g->have_last ? g->total : runs_end(&g->claimed);
		data = runs_prefix(&g->captured);
		if (data > claim)
			data = claim;
	}
	uint32_t field = v4 ? hdr + claim : hdr - 40 + claim; /* total / payload length */
	if (field > 0xffff || hdr < (v4 ? 20u : 40u))
		return false;
	if (t->out_cap < hdr + data) {
		uint8_t *o = realloc(t->out, hdr + data);
		if (!o)
			return false;
		t->out = o;
		t->out_cap = hdr + data;
	}
	memcpy(t->out, g->hdr, hdr);
	if (data)
		memcpy(t->out + hdr, g->data, data);
	if (v4) {
		ea_put_be16(t->out + 2, (uint16_t)field);
		if (g->have_first) {
			uint32_t flags = (uint32_t)(t->out[6] & 0xc0) << 8; /* reserved, DF */
			ea_put_be16(t->out + 6, (uint16_t)(flags | (g->complete ? 0 : 0x2000)));
		}
	} else {
		ea_put_be16(t->out + 4, (uint16_t)field);
		if (g->complete)
			t->out[g->nh_at] = g->proto;
		else if (g->have_first)
			ea_put_be16(t->out + hdr - 8 + 2, 1); /* offset 0, M */
	}
	*len = hdr + data;
	return true;
}

bool ea_frag_next(ea_frag_table *t, ea_frag_datagram *out, uint64_t anomalies[EA_ANOMALY_COUNT])
{
	dgram *g;
	while ((g = t->ready_head)) {
		t->ready_head = g->newer;
		if (!t->ready_head)
			t->ready_tail = NULL;
		uint32_t len = 0;
		bool ok = render(t, g, &len);
		if (ok) {
			out->ip = t->out;
			out->caplen = len;
			out->first_us = g->first_us;
			out->last_us = g->last_us;
			out->frames = g->frames;
			out->wire_bytes = g->wire_bytes;
			out->complete = g->complete;
		} else {
			anomalies[EA_ANOMALY_FRAGMENT_INVALID] += g->frames;
		}
		dgram_free(g);
		if (ok)
			return true;
	}
	return false;
}
