/* natpair.c — pairing the two sides of the Edge's 1:1 NAT; see natpair.h.
 *
 * The Community IDs of the run's external flows are sorted once; each
 * flow with a private Edge address then costs one Community ID (a SHA-1)
 * and one binary search per candidate public address — a few per flow.
 * Pipeline position: after the engine, on stored flows. */
#include "engine/natpair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/community_id.h"
#include "util/ea_limits.h"
#include "util/ipproto.h"

const char *ea_natmap_status_name(ea_natmap_status s)
{
	switch (s) {
	case EA_NATMAP_OK: return "ok";
	case EA_NATMAP_DIFFERS: return "differs";
	case EA_NATMAP_UNMAPPED: return "unmapped";
	case EA_NATMAP_UNPAIRED: return "unpaired";
	}
	return "?";
}

void ea_natpair_result_free(ea_natpair_result *r)
{
	if (!r)
		return;
	free(r->maps);
	memset(r, 0, sizeof *r);
}

static int cmp_cid(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The public Edge addresses the site names: candidates for Q. */
typedef struct {
	ea_addr addr[EA_NAT_PAIR_MAX_CANDIDATES];
	unsigned n;
} candidates;

static void add_candidate(candidates *c, const ea_addr *a)
{
	for (unsigned i = 0; i < c->n; i++)
		if (ea_addr_cmp(&c->addr[i], a) == 0)
			return;
	if (c->n < sizeof c->addr / sizeof c->addr[0])
		c->addr[c->n++] = *a;
}

static void collect_candidates(const ea_matrix *m, const ea_site *s, candidates *c)
{
	c->n = 0;
	/* The map's own targets first: the expected answer is tried first. */
	for (unsigned i = 0; i < s->nat.n_maps; i++)
		add_candidate(c, &s->nat.maps[i].public_addr);
	for (unsigned r = 0; r < m->n_roles && r < s->n_roles; r++) {
		if (!ea_site_is_edge_role(m, r))
			continue;
		for (unsigned k = 0; k < s->roles[r].n; k++) {
			const ea_prefix *p = &s->roles[r].prefixes[k];
			if (p->bits == 128 && !ea_addr_is_private(&p->addr))
				add_candidate(c, &p->addr);
		}
	}
}

/* The Edge's private address in f, and which end it is; false when f has
 * none (or two: the Edge talking to itself says nothing about the NAT). */
static bool private_edge_end(const ea_matrix *m, const ea_site *s, const ea_natpair_flow *f, bool *is_init,
			     unsigned *role)
{
	int ri = ea_addr_is_private(&f->init_addr) ? ea_site_edge_role(s, m, &f->init_addr) : -1;
	int rr = ea_addr_is_private(&f->resp_addr) ? ea_site_edge_role(s, m, &f->resp_addr) : -1;
	if ((ri < 0) == (rr < 0))
		return false;
	*is_init = ri >= 0;
	*role = (unsigned)(ri >= 0 ? ri : rr);
	return true;
}

static bool public_edge_end(const ea_matrix *m, const ea_site *s, const ea_natpair_flow *f)
{
	return (!ea_addr_is_private(&f->init_addr) && ea_site_edge_role(s, m, &f->init_addr) >= 0) ||
	       (!ea_addr_is_private(&f->resp_addr) && ea_site_edge_role(s, m, &f->resp_addr) >= 0);
}

/* Whether the tuple of f with its Edge end replaced by q is a flow of the
 * run. ICMP: the stored record does not say whether the message type was
 * one-way (hashed in the order given), so every form is tried. */
static bool translated_exists(const ea_natpair_flow *f, bool edge_is_init, const ea_addr *q,
			      const char *const *sorted, size_t n)
{
	ea_addr a = edge_is_init ? *q : f->init_addr, b = edge_is_init ? f->resp_addr : *q;
	/* Both ends must be one family for Community ID (community_id.h). */
	if (ea_addr_is_v4(&a) != ea_addr_is_v4(&b))
		return false;
	char cid[EA_COMMUNITY_ID_MAX];
	const char *key = cid;
	unsigned forms = ea_ipproto_is_icmp(f->transport) ? 3 : 1;
	for (unsigned i = 0; i < forms; i++) {
		if (i < 2)
			ea_community_id(0, f->transport, &a, &b, f->init_port, f->resp_port, i == 1, cid);
		else
			ea_community_id(0, f->transport, &b, &a, f->resp_port, f->init_port, true, cid);
		if (bsearch(&key, sorted, n, sizeof *sorted, cmp_cid))
			return true;
	}
	return false;
}

/* The result row for (p, q) (q NULL: the unpaired row), added if new. */
static ea_natpair_mapping *row_for(ea_natpair_result *out, size_t *cap, unsigned role, const ea_addr *p,
				   const ea_addr *q)
{
	for (unsigned i = 0; i < out->n; i++) {
		ea_natpair_mapping *r = &out->maps[i];
		if (ea_addr_cmp(&r->private_addr, p) == 0 && r->has_public == (q != NULL) &&
		    (!q || ea_addr_cmp(&r->public_addr, q) == 0))
			return r;
	}
	if (out->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		ea_natpair_mapping *nm = realloc(out->maps, ncap * sizeof *nm);
		if (!nm)
			return NULL;
		out->maps = nm;
		*cap = ncap;
	}
	ea_natpair_mapping *r = &out->maps[out->n++];
	memset(r, 0, sizeof *r);
	r->role = role;
	r->private_addr = *p;
	if (q) {
		r->has_public = true;
		r->public_addr = *q;
	}
	return r;
}

static int cmp_rows(const void *pa, const void *pb)
{
	const ea_natpair_mapping *a = pa, *b = pb;
	int c = ea_addr_cmp(&a->private_addr, &b->private_addr);
	if (c)
		return c;
	if (a->has_public != b->has_public)
		return a->has_public ? -1 : 1;
	return ea_addr_cmp(&a->public_addr, &b->public_addr);
}

ea_status ea_natpair(const ea_matrix *m, const ea_site *s, const ea_natpair_flow *flows, size_t n,
		     ea_natpair_result *out, char *errbuf, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!m || !s)
		return EA_OK;
	for (size_t i = 0; i < n && !out->public_side; i++)
		out->public_side = public_edge_end(m, s, &flows[i]);
	if (!out->public_side)
		return EA_OK;

	const char **sorted = malloc((n ? n : 1) * sizeof *sorted);
	candidates *cand = malloc(sizeof *cand);
	if (!sorted || !cand) {
		free(sorted);
		free(cand);
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "pairing the NAT's two sides: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = flows[i].community_id;
	qsort(sorted, n, sizeof *sorted, cmp_cid);
	collect_candidates(m, s, cand);

	ea_status st = EA_OK;
	size_t cap = 0;
	for (size_t i = 0; i < n && st == EA_OK; i++) {
		const ea_natpair_flow *f = &flows[i];
		bool edge_is_init;
		unsigned role;
		if (!private_edge_end(m, s, f, &edge_is_init, &role))
			continue;
		const ea_addr *p = edge_is_init ? &f->init_addr : &f->resp_addr;
		out->private_flows++;
		const ea_addr *q = NULL;
		for (unsigned c = 0; c < cand->n && !q; c++)
			if (translated_exists(f, edge_is_init, &cand->addr[c], sorted, n))
				q = &cand->addr[c];
		ea_natpair_mapping *r = row_for(out, &cap, role, p, q);
		if (!r) {
			st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "pairing the NAT's two sides: out of memory");
			break;
		}
		if (q) {
			out->paired++;
			r->flows++;
			if (!r->example_community_id[0])
				snprintf(r->example_community_id, sizeof r->example_community_id, "%s",
					 f->community_id);
		} else {
			r->unpaired++;
		}
	}
	free(sorted);
	free(cand);
	if (st != EA_OK) {
		ea_natpair_result_free(out);
		return st;
	}

	/* A private address that paired: its unpaired flows are counted on
	 * its paired rows and its own unpaired row goes. Decided for every
	 * row first, then the rows are compacted. */
	bool *drop = calloc(out->n ? out->n : 1, sizeof *drop);
	if (!drop) {
		ea_natpair_result_free(out);
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "pairing the NAT's two sides: out of memory");
	}
	for (unsigned i = 0; i < out->n; i++) {
		ea_natpair_mapping *r = &out->maps[i];
		for (unsigned k = 0; k < out->n; k++) {
			const ea_natpair_mapping *o = &out->maps[k];
			if (k == i || ea_addr_cmp(&o->private_addr, &r->private_addr) != 0)
				continue;
			if (r->has_public && !o->has_public)
				r->unpaired = o->unpaired;
			else if (!r->has_public && o->has_public)
				drop[i] = true;
		}
		const ea_nat_map *nm = ea_site_nat_map(s, &r->private_addr, false);
		if (nm) {
			r->has_expected = true;
			r->expected_addr = nm->public_addr;
		}
		r->status = !r->has_public ? EA_NATMAP_UNPAIRED
			    : !nm ? EA_NATMAP_UNMAPPED
			    : ea_addr_cmp(&nm->public_addr, &r->public_addr) == 0 ? EA_NATMAP_OK
			    : EA_NATMAP_DIFFERS;
	}
	unsigned kept = 0;
	for (unsigned i = 0; i < out->n; i++)
		if (!drop[i])
			out->maps[kept++] = out->maps[i];
	free(drop);
	out->n = kept;
	if (out->n > 1)
		qsort(out->maps, out->n, sizeof *out->maps, cmp_rows);
	return EA_OK;
}

/* ---- on a run's stored flows ------------------------------------------ */

typedef struct {
	const ea_matrix *m;
	const ea_site *s;
	ea_natpair_flow *flows;
	size_t n, cap;
	bool truncated, nomem;
} collect_ctx;

static bool parse_addr(const char *text, ea_addr *out)
{
	ea_prefix p;
	char why[128];
	if (!text || !ea_prefix_parse(text, &p, why, sizeof why) || p.bits != 128)
		return false;
	*out = p.addr;
	return true;
}

static bool parse_port(const char *text, uint16_t *out)
{
	char *end;
	if (!text)
		return false;
	unsigned long v = strtoul(text, &end, 10);
	if (*end != '\0' || end == text || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static int collect_row(void *arg, int ncols, const char *const *c)
{
	collect_ctx *cx = arg;
	ea_natpair_flow f;
	memset(&f, 0, sizeof f);
	uint16_t transport;
	/* Rows the store wrote itself; one that does not parse is skipped
	 * rather than trusted. */
	if (ncols != 6 || !parse_port(c[0], &transport) || transport > 255 || !parse_addr(c[1], &f.init_addr) ||
	    !parse_port(c[2], &f.init_port) || !parse_addr(c[3], &f.resp_addr) || !parse_port(c[4], &f.resp_port) ||
	    !c[5])
		return 0;
	f.transport = (uint8_t)transport;
	snprintf(f.community_id, sizeof f.community_id, "%s", c[5]);
	/* Only flows with an Edge address can pair or be paired. */
	if (ea_site_edge_role(cx->s, cx->m, &f.init_addr) < 0 && ea_site_edge_role(cx->s, cx->m, &f.resp_addr) < 0)
		return 0;
	if (cx->n == EA_NAT_PAIR_MAX_FLOWS) {
		cx->truncated = true;
		return 1;
	}
	if (cx->n == cx->cap) {
		size_t ncap = cx->cap ? cx->cap * 2 : 256;
		ea_natpair_flow *nf = realloc(cx->flows, ncap * sizeof *nf);
		if (!nf) {
			cx->nomem = true;
			return 1;
		}
		cx->flows = nf;
		cx->cap = ncap;
	}
	cx->flows[cx->n++] = f;
	return 0;
}

ea_status ea_natpair_run(ea_store *st, int64_t run_id, const ea_matrix *m, const ea_site *s,
			 ea_natpair_result *out, char *errbuf, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!m || !s)
		return EA_OK;
	collect_ctx cx = {.m = m, .s = s};
	char run[24];
	snprintf(run, sizeof run, "%lld", (long long)run_id);
	const char *params[] = {run};
	ea_status e = ea_store_query(st,
				     "SELECT transport, initiator_ip, initiator_port, responder_ip, responder_port,"
				     " community_id FROM flows WHERE run_id = CAST(?1 AS INTEGER)"
				     " AND iface = 'external' ORDER BY id",
				     params, 1, collect_row, &cx, errbuf, errlen);
	if (e == EA_OK && cx.nomem)
		e = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "pairing the NAT's two sides: out of memory");
	if (e == EA_OK)
		e = ea_natpair(m, s, cx.flows, cx.n, out, errbuf, errlen);
	free(cx.flows);
	if (e != EA_OK)
		return e;
	out->truncated = cx.truncated;
	for (unsigned i = 0; i < out->n && e == EA_OK; i++) {
		const ea_natpair_mapping *r = &out->maps[i];
		char priv[EA_ADDR_STRLEN], pub[EA_ADDR_STRLEN], exp[EA_ADDR_STRLEN];
		ea_store_nat_mapping row = {
			.role = r->role < m->n_roles ? m->roles[r->role].name : "?",
			.private_ip = ea_addr_str(&r->private_addr, priv),
			.public_ip = r->has_public ? ea_addr_str(&r->public_addr, pub) : NULL,
			.expected_ip = r->has_expected ? ea_addr_str(&r->expected_addr, exp) : NULL,
			.status = ea_natmap_status_name(r->status),
			.flows = r->flows,
			.unpaired = r->unpaired,
			.example_community_id = r->example_community_id,
		};
		e = ea_store_add_nat_mapping(st, run_id, &row, errbuf, errlen);
	}
	if (e != EA_OK)
		ea_natpair_result_free(out);
	return e;
}

void ea_natpair_summary(const ea_natpair_result *r, char *buf, size_t size)
{
	if (size == 0)
		return;
	buf[0] = '\0';
	if (!r->public_side)
		return;
	unsigned count[4] = {0};
	for (unsigned i = 0; i < r->n; i++)
		count[r->maps[i].status]++;
	snprintf(buf, size,
		 "NAT: %llu of %llu flows of the Edge's private addresses paired with the public side; Edge "
		 "addresses mapped as the site says %u, otherwise %u (findings), not in the site's map %u, "
		 "unpaired %u%s",
		 (unsigned long long)r->paired, (unsigned long long)r->private_flows, count[EA_NATMAP_OK],
		 count[EA_NATMAP_DIFFERS], count[EA_NATMAP_UNMAPPED], count[EA_NATMAP_UNPAIRED],
		 r->truncated ? " (only the first flows were paired: too many)" : "");
}
