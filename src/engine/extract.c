/* extract.c — the frames of given flows, found again (extract.h). */
#include "engine/extract.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "decode/decode.h"
#include "decode/frag.h"
#include "util/ea_limits.h"

/* The frames of one IP datagram in reassembly, until the reassembler
 * hands the datagram out: then its packet says whose they are. Keyed as
 * frag.h keys datagrams (IPv6: no protocol). */
typedef struct {
	ea_addr src, dst;
	uint8_t proto;
	uint32_t id;
	uint64_t first_us;
	uint64_t *numbers;
	int *linktypes;
	uint32_t *caplens;
	size_t n;
} pending;

typedef struct {
	const ea_extract_flow *flows;
	size_t n_flows;
	ea_extract_result *res;
	size_t cap_hits;
	pending *pend;
	size_t n_pend, cap_pend;
	ea_frag_table *frags;
	uint64_t anomalies[EA_ANOMALY_COUNT]; /* counted by `read`; not needed here */
	bool nomem;
} scan;

static bool add_hit(scan *s, uint64_t number, size_t flow, int linktype, uint32_t caplen)
{
	if (s->res->n_hits == s->cap_hits) {
		size_t cap = s->cap_hits ? s->cap_hits * 2 : 64;
		ea_extract_hit *h = realloc(s->res->hits, cap * sizeof *h);
		if (!h)
			return false;
		s->res->hits = h;
		s->cap_hits = cap;
	}
	s->res->hits[s->res->n_hits++] = (ea_extract_hit){.number = number, .flow = flow, .linktype = linktype,
							   .caplen = caplen};
	return true;
}

/* The flow a decoded packet belongs to, n_flows for none. */
static size_t flow_of(const scan *s, const ea_packet *p, uint64_t from_us, uint64_t to_us)
{
	for (size_t i = 0; i < s->n_flows; i++) {
		const ea_extract_flow *f = &s->flows[i];
		if (f->transport != p->proto || to_us < f->first_us || from_us > f->last_us)
			continue;
		bool out = !ea_addr_cmp(&p->src, &f->initiator) && !ea_addr_cmp(&p->dst, &f->responder) &&
			   p->sport == f->initiator_port && p->dport == f->responder_port;
		bool in = !ea_addr_cmp(&p->src, &f->responder) && !ea_addr_cmp(&p->dst, &f->initiator) &&
			  p->sport == f->responder_port && p->dport == f->initiator_port;
		if (out || in)
			return i;
	}
	return s->n_flows;
}

static void pending_key(const ea_packet *p, pending *k)
{
	k->src = p->src;
	k->dst = p->dst;
	k->proto = p->ip_version == 4 ? p->proto : 0;
	k->id = p->frag_id;
}

static pending *pending_find(scan *s, const pending *k)
{
	for (size_t i = 0; i < s->n_pend; i++) {
		pending *e = &s->pend[i];
		if (e->id == k->id && e->proto == k->proto && !ea_addr_cmp(&e->src, &k->src) &&
		    !ea_addr_cmp(&e->dst, &k->dst))
			return e;
	}
	return NULL;
}

static void pending_drop(scan *s, pending *e)
{
	free(e->numbers);
	free(e->linktypes);
	free(e->caplens);
	*e = s->pend[--s->n_pend];
}

/* Notes a fragment frame under its datagram's key; *key receives it. */
static bool pending_add(scan *s, const ea_packet *p, const ea_frame *fr, pending *key)
{
	pending_key(p, key);
	pending *e = pending_find(s, key);
	if (!e) {
		if (s->n_pend == s->cap_pend) {
			size_t cap = s->cap_pend ? s->cap_pend * 2 : 16;
			pending *g = realloc(s->pend, cap * sizeof *g);
			if (!g)
				return false;
			s->pend = g;
			s->cap_pend = cap;
		}
		e = &s->pend[s->n_pend++];
		*e = *key;
		e->first_us = fr->ts_us;
		e->numbers = NULL;
		e->linktypes = NULL;
		e->caplens = NULL;
		e->n = 0;
	}
	uint64_t *nu = realloc(e->numbers, (e->n + 1) * sizeof *nu);
	if (nu)
		e->numbers = nu;
	int *lt = realloc(e->linktypes, (e->n + 1) * sizeof *lt);
	if (lt)
		e->linktypes = lt;
	uint32_t *cl = realloc(e->caplens, (e->n + 1) * sizeof *cl);
	if (cl)
		e->caplens = cl;
	if (!nu || !lt || !cl)
		return false;
	e->numbers[e->n] = fr->number;
	e->linktypes[e->n] = fr->linktype;
	e->caplens[e->n] = fr->caplen;
	e->n++;
	return true;
}

/* Datagrams the reassembler has ready: a complete one is that of the
 * fragment just added (only an added fragment completes one: just_added);
 * one given up still carries its fragment header, which names it. */
static void drain(scan *s, const pending *just_added)
{
	ea_frag_datagram dg;
	while (ea_frag_next(s->frags, &dg, s->anomalies)) {
		ea_packet pkt;
		ea_anomaly note = EA_ANOMALY_COUNT;
		if (ea_decode_reassembled(dg.ip, dg.caplen, dg.last_us, &pkt, &note) != EA_DECODE_OK)
			continue;
		if (pkt.l3 != dg.ip && pkt.frag != EA_FRAG_NONE) {
			ea_frag_add(s->frags, &pkt, s->anomalies); /* inside a tunnel: not followed */
			continue;
		}
		pending key;
		pending *e = NULL;
		if (pkt.frag != EA_FRAG_NONE) {
			pending_key(&pkt, &key);
			e = pending_find(s, &key);
		} else if (dg.complete && just_added) {
			e = pending_find(s, just_added);
		}
		if (!e)
			continue;
		size_t flow = flow_of(s, &pkt, dg.first_us, dg.last_us);
		for (size_t i = 0; flow < s->n_flows && i < e->n; i++)
			if (!add_hit(s, e->numbers[i], flow, e->linktypes[i], e->caplens[i]))
				s->nomem = true;
		pending_drop(s, e);
	}
}

/* Fragments whose datagram the reassembler gave up without its first
 * part never come out: forget them once the reassembler has. */
static void forget_old(scan *s, uint64_t now_us)
{
	const uint64_t keep_us = 2ull * EA_FRAGMENT_TIMEOUT_SEC * 1000000ull;
	for (size_t i = 0; i < s->n_pend;) {
		if (now_us > s->pend[i].first_us && now_us - s->pend[i].first_us > keep_us)
			pending_drop(s, &s->pend[i]);
		else
			i++;
	}
}

static int by_number(const void *a, const void *b)
{
	const ea_extract_hit *x = a, *y = b;
	return x->number < y->number ? -1 : x->number > y->number;
}

ea_status ea_extract_scan(const char *path, const ea_extract_flow *flows, size_t n_flows, ea_filter *filter,
			  ea_dedup *dedup, ea_extract_result *res, char *errbuf, size_t errlen)
{
	memset(res, 0, sizeof *res);
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
		seed = (uint64_t)(uintptr_t)res; /* unpredictable enough for a bucket seed */
	scan s = {.flows = flows, .n_flows = n_flows, .res = res, .frags = ea_frag_table_new(seed)};
	ea_source *src = NULL;
	ea_status st = EA_OK;
	if (!s.frags) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
		goto out;
	}
	st = ea_source_open_file(path, &src, errbuf, errlen);
	if (st != EA_OK)
		goto out;
	ea_frame fr;
	ea_source_result r;
	while (!s.nomem && (r = ea_source_next(src, &fr, errbuf, errlen)) == EA_SOURCE_FRAME) {
		res->frames++;
		if (filter) {
			int pass = ea_filter_test(filter, &fr, errbuf, errlen);
			if (pass < 0) {
				st = EA_ERR_FORMAT;
				goto out;
			}
			if (pass == 0)
				continue;
		}
		if (!fr.ts_known || (dedup && ea_dedup_frame(dedup, &fr, NULL)))
			continue;
		ea_frag_expire(s.frags, fr.ts_us, s.anomalies);
		drain(&s, NULL);
		forget_old(&s, fr.ts_us);
		ea_packet pkt;
		ea_anomaly note = EA_ANOMALY_COUNT;
		if (ea_decode(&fr, &pkt, &note) != EA_DECODE_OK)
			continue;
		if (pkt.frag != EA_FRAG_NONE) {
			pending key;
			if (!pending_add(&s, &pkt, &fr, &key)) {
				s.nomem = true;
				break;
			}
			ea_frag_add(s.frags, &pkt, s.anomalies);
			drain(&s, &key);
			continue;
		}
		size_t flow = flow_of(&s, &pkt, fr.ts_us, fr.ts_us);
		if (flow < n_flows && !add_hit(&s, fr.number, flow, fr.linktype, fr.caplen))
			s.nomem = true;
	}
	if (!s.nomem && r == EA_SOURCE_ERROR) {
		st = EA_ERR_FORMAT;
		goto out;
	}
	do {
		ea_frag_flush(s.frags, s.anomalies);
		drain(&s, NULL);
	} while (!s.nomem && ea_frag_in_progress(s.frags) > 0);
	if (s.nomem) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
		goto out;
	}
	/* Fragments join when their datagram is whole, after later frames. */
	if (res->n_hits > 1)
		qsort(res->hits, res->n_hits, sizeof *res->hits, by_number);
	if (errbuf && errlen)
		errbuf[0] = '\0'; /* a cut last record's warning is not an error */
out:
	while (s.n_pend)
		pending_drop(&s, &s.pend[0]);
	free(s.pend);
	if (s.frags)
		ea_frag_table_free(s.frags);
	ea_source_close(src);
	if (st != EA_OK)
		ea_extract_free(res);
	return st;
}

ea_status ea_extract_copy(const char *path, const ea_extract_result *res, ea_extract_sink sink, void *ctx,
			  char *errbuf, size_t errlen)
{
	ea_source *src = NULL;
	ea_status st = ea_source_open_file(path, &src, errbuf, errlen);
	if (st != EA_OK)
		return st;
	size_t next = 0;
	ea_frame fr;
	ea_source_result r = EA_SOURCE_END;
	while (next < res->n_hits && (r = ea_source_next(src, &fr, errbuf, errlen)) == EA_SOURCE_FRAME) {
		if (fr.number != res->hits[next].number)
			continue;
		st = sink(ctx, &fr, &res->hits[next], errbuf, errlen);
		if (st != EA_OK)
			goto out;
		next++;
	}
	if (next < res->n_hits) {
		if (r != EA_SOURCE_ERROR)
			ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s", "the capture changed while it was read: a frame is gone");
		st = EA_ERR_FORMAT;
	}
out:
	ea_source_close(src);
	return st;
}

void ea_extract_free(ea_extract_result *res)
{
	if (!res)
		return;
	free(res->hits);
	memset(res, 0, sizeof *res);
}
