/* frag.c — the first-fragment cache; see frag.h. */
#include "frag.h"

#include <stdlib.h>
#include <string.h>

#include "ea_limits.h"
#include "ipproto.h"

typedef struct {
	ea_addr src, dst;
	uint32_t id;
	uint8_t proto, used;
	uint16_t sport, dport;
	uint64_t ts_us;
} frag_entry;

struct ea_frag_cache {
	frag_entry slots[EA_MAX_FRAGMENTS];
};

ea_frag_cache *ea_frag_cache_new(void)
{
	return calloc(1, sizeof(ea_frag_cache));
}

void ea_frag_cache_free(ea_frag_cache *fc)
{
	free(fc);
}

static uint32_t slot_of(const ea_packet *p)
{
	uint32_t h = p->frag_id * 2654435761u ^ p->proto;
	for (int i = 0; i < 16; i++)
		h = (h ^ p->src.b[i] ^ (uint32_t)p->dst.b[i] << 8) * 16777619u;
	return h % EA_MAX_FRAGMENTS;
}

bool ea_frag_attribute(ea_frag_cache *fc, ea_packet *p)
{
	/* ESP, GRE and the like key their flow on addresses alone: a later
	 * fragment belongs to it whether or not the first was seen. */
	if (p->frag == EA_FRAG_NONE || !ea_ipproto_keyed_on_l4(p->proto))
		return true;
	frag_entry *e = &fc->slots[slot_of(p)];
	if (p->frag == EA_FRAG_FIRST) {
		e->src = p->src;
		e->dst = p->dst;
		e->id = p->frag_id;
		e->proto = p->proto;
		e->sport = p->sport;
		e->dport = p->dport;
		e->ts_us = p->ts_us;
		e->used = 1;
		return true;
	}
	if (!e->used || e->id != p->frag_id || e->proto != p->proto ||
	    ea_addr_cmp(&e->src, &p->src) != 0 || ea_addr_cmp(&e->dst, &p->dst) != 0 ||
	    p->ts_us > e->ts_us + EA_FRAGMENT_TIMEOUT_SEC * 1000000ull)
		return false;
	p->sport = e->sport;
	p->dport = e->dport;
	return true;
}
