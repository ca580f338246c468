/* flow.c — flow table: symmetric hash, LRU lists per timeout class, cap. */
#include "engine/flow.h"

#include <stdlib.h>
#include <string.h>

#include "util/ea_limits.h"
#include "util/ipproto.h"
#include "util/mix64.h"

struct ea_flow_table {
	ea_flow **buckets;
	uint32_t nbuckets;            /* power of two */
	unsigned n, max;
	uint64_t seed;
	const ea_port_ranks *ranks;
	ea_flow_end_fn on_end;
	void *ctx;
	ea_flow *lru_head[EA_LRU_COUNT], *lru_tail[EA_LRU_COUNT];
	/* Every flow in order of its last active-timeout update: the ones
	 * due are at the head, so a sweep looks at no flow that is not due. */
	ea_flow *age_head, *age_tail;
	uint64_t next_uid;
	ea_flow_stats stats;
};

static const uint64_t lru_timeout_us[EA_LRU_COUNT] = {
	[EA_LRU_TCP_OPEN] = EA_TCP_IDLE_SEC * 1000000ull,
	[EA_LRU_TCP_CLOSED] = EA_TCP_CLOSED_IDLE_SEC * 1000000ull,
	[EA_LRU_UDP] = EA_UDP_IDLE_SEC * 1000000ull,
	[EA_LRU_OTHER] = EA_OTHER_IDLE_SEC * 1000000ull,
};

static uint64_t endpoint_hash(const ea_addr *a, uint16_t port)
{
	uint64_t hi, lo;
	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	return ea_mix64(hi ^ ea_mix64(lo ^ port));
}

/* Symmetric: the two endpoints are combined with + so either order gives
 * the same value, then mixed with the seed so crafted traffic cannot aim
 * at one bucket. */
static uint32_t flow_hash(uint64_t seed, const ea_packet *p)
{
	uint64_t h = endpoint_hash(&p->src, p->sport) + endpoint_hash(&p->dst, p->dport);
	return (uint32_t)ea_mix64(h ^ seed ^ ((uint64_t)p->proto << 56));
}

ea_flow_table *ea_flow_table_new(unsigned max_flows, uint64_t seed, const ea_port_ranks *ranks,
				 ea_flow_end_fn on_end, void *ctx)
{
	ea_flow_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->max = max_flows ? max_flows : 1;
	t->seed = seed;
	t->ranks = ranks;
	t->on_end = on_end;
	t->ctx = ctx;
	return t;
}

static void lru_unlink(ea_flow_table *t, ea_flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		t->lru_head[f->lru] = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		t->lru_tail[f->lru] = f->prev;
	f->prev = f->next = NULL;
}

static void lru_append(ea_flow_table *t, ea_flow *f, ea_lru_class c)
{
	f->lru = (uint8_t)c;
	f->next = NULL;
	f->prev = t->lru_tail[c];
	if (f->prev)
		f->prev->next = f;
	else
		t->lru_head[c] = f;
	t->lru_tail[c] = f;
}

static void age_unlink(ea_flow_table *t, ea_flow *f)
{
	if (f->aprev)
		f->aprev->anext = f->anext;
	else
		t->age_head = f->anext;
	if (f->anext)
		f->anext->aprev = f->aprev;
	else
		t->age_tail = f->aprev;
	f->aprev = f->anext = NULL;
}

static void age_append(ea_flow_table *t, ea_flow *f)
{
	f->anext = NULL;
	f->aprev = t->age_tail;
	if (f->aprev)
		f->aprev->anext = f;
	else
		t->age_head = f;
	t->age_tail = f;
}

static void hash_unlink(ea_flow_table *t, ea_flow *f)
{
	ea_flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
}

static void end_flow(ea_flow_table *t, ea_flow *f, ea_end_reason why)
{
	hash_unlink(t, f);
	lru_unlink(t, f);
	age_unlink(t, f);
	t->n--;
	if (t->on_end)
		t->on_end(t->ctx, f, why);
	ea_class_state_release(&f->cls);
	free(f);
}

void ea_flow_table_free(ea_flow_table *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->nbuckets; i++) {
		ea_flow *f = t->buckets[i];
		while (f) {
			ea_flow *next = f->hnext;
			ea_class_state_release(&f->cls);
			free(f);
			f = next;
		}
	}
	free(t->buckets);
	free(t);
}

/* Doubles the bucket array when the load passes 1; chains stay short
 * without sizing for the cap up front (a small capture stays small). */
static void maybe_grow(ea_flow_table *t)
{
	if (t->n < t->nbuckets || t->nbuckets >= (1u << 30))
		return;
	uint32_t nb = t->nbuckets * 2;
	ea_flow **b = calloc(nb, sizeof *b);
	if (!b)
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i < t->nbuckets; i++) {
		ea_flow *f = t->buckets[i];
		while (f) {
			ea_flow *next = f->hnext;
			f->hnext = b[f->hash & (nb - 1)];
			b[f->hash & (nb - 1)] = f;
			f = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

static ea_lru_class class_of(const ea_flow *f)
{
	if (f->transport == EA_IPPROTO_TCP) {
		bool closed = (f->tcp_flags[0] | f->tcp_flags[1]) & EA_TCP_RST || f->fin_seen == 3;
		return closed ? EA_LRU_TCP_CLOSED : EA_LRU_TCP_OPEN;
	}
	return f->transport == EA_IPPROTO_UDP ? EA_LRU_UDP : EA_LRU_OTHER;
}

/* Moves f to the tail of its LRU list: most recently active. */
static void touch(ea_flow_table *t, ea_flow *f)
{
	ea_lru_class c = class_of(f);
	if (f->next || c != f->lru) {
		lru_unlink(t, f);
		lru_append(t, f, c);
	}
}

static void evict_one(ea_flow_table *t)
{
	ea_flow *oldest = NULL;
	for (int c = 0; c < EA_LRU_COUNT; c++) {
		ea_flow *h = t->lru_head[c];
		if (h && (!oldest || h->last_us < oldest->last_us))
			oldest = h;
	}
	if (oldest) {
		t->stats.flows_evicted++;
		end_flow(t, oldest, EA_END_EVICTED);
	}
}

static ea_flow *create_flow(ea_flow_table *t, const ea_packet *p, uint32_t hash, bool *from_initiator)
{
	if (t->n >= t->max)
		evict_one(t);
	ea_flow *f = calloc(1, sizeof *f);
	if (!f) {
		t->stats.alloc_failures++;
		return NULL;
	}
	bool sender_is_init;
	ea_direction_source how;
	ea_direction_infer(t->ranks, p, &sender_is_init, &how);
	const ea_addr *a = &p->src, *b = &p->dst;
	uint16_t pa = p->sport, pb = p->dport;
	if (!sender_is_init) {
		a = &p->dst;
		b = &p->src;
		pa = p->dport;
		pb = p->sport;
	}
	f->addr[0] = *a;
	f->addr[1] = *b;
	f->port[0] = pa;
	f->port[1] = pb;
	f->transport = p->proto;
	f->dir_source = (uint8_t)how;
	f->icmp_oneway = p->icmp_oneway;
	f->hash = hash;
	f->first_us = p->ts_us;
	f->last_us = p->ts_us;
	f->reported_us = p->ts_us;
	f->uid = ++t->next_uid;
	*from_initiator = sender_is_init;

	ea_flow **bucket = &t->buckets[hash & (t->nbuckets - 1)];
	f->hnext = *bucket;
	*bucket = f;
	lru_append(t, f, class_of(f));
	age_append(t, f);
	t->n++;
	t->stats.flows_created++;
	if (t->n > t->stats.flows_active_peak)
		t->stats.flows_active_peak = t->n;
	maybe_grow(t);
	return f;
}

static ea_flow *find(ea_flow_table *t, const ea_packet *p, uint32_t hash, bool *from_initiator)
{
	for (ea_flow *f = t->buckets[hash & (t->nbuckets - 1)]; f; f = f->hnext) {
		if (f->hash != hash || f->transport != p->proto)
			continue;
		if (f->port[0] == p->sport && f->port[1] == p->dport &&
		    ea_addr_cmp(&f->addr[0], &p->src) == 0 && ea_addr_cmp(&f->addr[1], &p->dst) == 0) {
			*from_initiator = true;
			return f;
		}
		if (f->port[0] == p->dport && f->port[1] == p->sport &&
		    ea_addr_cmp(&f->addr[0], &p->dst) == 0 && ea_addr_cmp(&f->addr[1], &p->src) == 0) {
			*from_initiator = false;
			return f;
		}
	}
	return NULL;
}

ea_flow *ea_flow_table_packet(ea_flow_table *t, const ea_packet *p, bool *from_initiator)
{
	uint32_t hash = flow_hash(t->seed, p);
	ea_flow *f = find(t, p, hash, from_initiator);

	/* A fresh SYN on a 5-tuple whose connection already closed is a new
	 * connection (port reuse), not more of the old one. */
	if (f && f->lru == EA_LRU_TCP_CLOSED && (p->tcp_flags & (EA_TCP_SYN | EA_TCP_ACK)) == EA_TCP_SYN) {
		t->stats.port_reuse_splits++;
		end_flow(t, f, ea_flow_end_reason(f, EA_END_IDLE));
		f = NULL;
	}
	if (!f) {
		f = create_flow(t, p, hash, from_initiator);
		if (!f)
			return NULL;
	}

	/* A rebuilt datagram counts every fragment that crossed the wire. */
	int d = *from_initiator ? 0 : 1;
	f->pkts[d] += p->frag_frames ? p->frag_frames : 1;
	f->bytes[d] += p->frag_frames ? p->frag_wire_bytes : p->ip_len;
	uint64_t first = p->frag_frames && p->frag_first_us < p->ts_us ? p->frag_first_us : p->ts_us;
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	if (first < f->first_us)
		f->first_us = first;
	if (p->proto == EA_IPPROTO_TCP && p->frag != EA_FRAG_LATER) {
		f->tcp_flags[d] |= p->tcp_flags;
		if (p->tcp_flags & EA_TCP_FIN)
			f->fin_seen |= (uint8_t)(1u << d);
	}
	touch(t, f);
	return f;
}

ea_flow *ea_flow_table_lookup(ea_flow_table *t, uint8_t proto, const ea_addr *src, uint16_t sport,
			      const ea_addr *dst, uint16_t dport, bool *src_is_initiator)
{
	ea_packet key;
	memset(&key, 0, sizeof key);
	key.proto = proto;
	key.src = *src;
	key.dst = *dst;
	key.sport = sport;
	key.dport = dport;
	return find(t, &key, flow_hash(t->seed, &key), src_is_initiator);
}

void ea_flow_table_count_icmp_error(ea_flow_table *t, ea_flow *f, const ea_packet *p, int dir)
{
	dir = dir ? 1 : 0;
	f->pkts[dir] += p->frag_frames ? p->frag_frames : 1;
	f->bytes[dir] += p->frag_frames ? p->frag_wire_bytes : p->ip_len;
	f->icmp_errors[dir]++;
	f->icmp_last_type = (uint8_t)p->sport;
	f->icmp_last_code = (uint8_t)p->dport;
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	touch(t, f);
}

void ea_flow_table_expire(ea_flow_table *t, uint64_t now_us)
{
	for (int c = 0; c < EA_LRU_COUNT; c++) {
		ea_flow *f;
		while ((f = t->lru_head[c]) && f->last_us + lru_timeout_us[c] < now_us)
			end_flow(t, f, ea_flow_end_reason(f, EA_END_IDLE));
	}
}

void ea_flow_table_report_due(ea_flow_table *t, uint64_t now_us, uint64_t interval_us, ea_flow_update_fn fn,
			      void *ctx)
{
	/* Each flow reported moves to the tail with now_us, so the walk ends
	 * at the first flow not due, or at the first one it already moved. */
	ea_flow *stop = NULL;
	ea_flow *f;
	while ((f = t->age_head) && f != stop && now_us >= f->reported_us &&
	       now_us - f->reported_us >= interval_us) {
		fn(ctx, f);
		f->reported = true;
		f->reported_us = now_us;
		age_unlink(t, f);
		age_append(t, f);
		if (!stop)
			stop = f;
	}
}

void ea_flow_table_flush(ea_flow_table *t, ea_end_reason why)
{
	for (int c = 0; c < EA_LRU_COUNT; c++) {
		ea_flow *f;
		while ((f = t->lru_head[c]))
			end_flow(t, f, ea_flow_end_reason(f, why));
	}
}

unsigned ea_flow_table_active(const ea_flow_table *t)
{
	return t->n;
}

const ea_flow_stats *ea_flow_table_stats(const ea_flow_table *t)
{
	return &t->stats;
}

ea_handshake ea_flow_handshake(const ea_flow *f)
{
	if (f->transport != 6)
		return EA_HS_NOT_TCP;
	uint8_t init = f->tcp_flags[0], resp = f->tcp_flags[1];
	bool syn = (init & EA_TCP_SYN) != 0;
	bool synack = (resp & (EA_TCP_SYN | EA_TCP_ACK)) == (EA_TCP_SYN | EA_TCP_ACK);
	if (synack)
		return EA_HS_ESTABLISHED;
	if (!syn)
		return EA_HS_MIDSTREAM;
	/* ICMP errors about the SYN (a port or host unreachable) are no
	 * answer from the responder's TCP. */
	if (f->pkts[1] == f->icmp_errors[1])
		return EA_HS_NO_ANSWER;
	/* The responder spoke. Only RSTs (with or without ACK) refuse; anything
	 * else means it answered and the capture missed the SYN-ACK, as a
	 * SPAN port under load does: not a blocked port. */
	if ((resp & EA_TCP_RST) && !(resp & (EA_TCP_PSH | EA_TCP_FIN)))
		return EA_HS_REJECTED;
	return EA_HS_ESTABLISHED;
}

ea_end_reason ea_flow_end_reason(const ea_flow *f, ea_end_reason otherwise)
{
	if (f->transport == EA_IPPROTO_TCP) {
		if ((f->tcp_flags[0] | f->tcp_flags[1]) & EA_TCP_RST)
			return EA_END_RST;
		if (f->fin_seen == 3)
			return EA_END_FIN;
	}
	return otherwise;
}
