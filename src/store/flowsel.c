/* flowsel.c — selects the flows `evidence` extracts (flowsel.h). One
 * statement per selected id (ids are few, typed by a person) or one for
 * a verdict or group; then the inputs of the runs found. */
#include "store/flowsel.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool iface_of(const char *s, ea_iface *out)
{
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		if (s && !strcmp(s, ea_iface_name((ea_iface)i))) {
			*out = (ea_iface)i;
			return true;
		}
	return false;
}

ea_status ea_flowsel_parse_group(const char *text, ea_flowsel_group *out, char *errbuf, size_t errlen)
{
	static const char form[] = "IFACE/TRANSPORT/PORT[/PROTOCOL], e.g. external/tcp/8080";
	char buf[160];
	memset(out, 0, sizeof *out);
	if (!text || strlen(text) >= sizeof buf)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--group takes %s", form);
	memcpy(buf, text, strlen(text) + 1);
	int slashes = 0;
	for (const char *t = text; *t; t++)
		slashes += *t == '/';
	if (slashes < 2 || slashes > 3)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--group takes %s", form);
	char *part[4] = {0};
	int n = 0;
	char *p = buf;
	while (n < 4) {
		part[n++] = p;
		char *slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	if (n < 3)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--group takes %s", form);
	if (!iface_of(part[0], &out->iface))
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--group: the interface is external or internal (%s)",
			       form);
	size_t tl = strlen(part[1]);
	bool name_ok = tl > 0 && tl < sizeof out->transport;
	for (size_t i = 0; name_ok && i < tl; i++)
		name_ok = (part[1][i] >= 'a' && part[1][i] <= 'z') || (part[1][i] >= '0' && part[1][i] <= '9');
	if (!name_ok)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen,
			       "--group: the transport is a name such as tcp, udp, icmp or a protocol number (%s)", form);
	memcpy(out->transport, part[1], tl + 1);
	uint64_t port = 0;
	if (!parse_u64(part[2], 65535, &port))
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--group: the port is a number from 0 to 65535 (%s)", form);
	out->port = (uint16_t)port;
	if (n == 4) {
		size_t pl = strlen(part[3]);
		if (pl == 0 || pl >= sizeof out->protocol)
			return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--group: the protocol is empty or too long (%s)",
				       form);
		memcpy(out->protocol, part[3], pl + 1);
	}
	out->set = true;
	return EA_OK;
}

typedef struct {
	ea_flowsel_result *res;
	ea_status st;
	char *errbuf;
	size_t errlen;
} sel_ctx;

static int stop(sel_ctx *c, ea_status st, const char *what)
{
	c->st = ea_fail(st, c->errbuf, c->errlen, "evidence: %s", what);
	return 1;
}

static bool parse_addr(const char *s, ea_addr *a)
{
	ea_prefix p;
	char ignored[64];
	if (!s || !ea_prefix_parse(s, &p, ignored, sizeof ignored) || p.bits != 128)
		return false;
	*a = p.addr;
	return true;
}

/* Columns: id, run_id, iface, transport, initiator_ip, initiator_port,
 * responder_ip, responder_port, first_us, last_us, packets, verdict,
 * live, duplicates_kept, filter. */
static int flow_row(void *ctx, int ncols, const char *const *c)
{
	sel_ctx *sc = ctx;
	ea_flowsel_result *r = sc->res;
	if (ncols != 15)
		return stop(sc, EA_ERR_INTERNAL, "flow query shape");
	for (size_t i = 0; i < r->n_flows; i++) /* a flow named twice */
		if (c[0] && r->flows[i].id == strtoll(c[0], NULL, 10))
			return 0;
	ea_flowsel_flow *grown = realloc(r->flows, (r->n_flows + 1) * sizeof *grown);
	if (!grown)
		return stop(sc, EA_ERR_NOMEM, "out of memory");
	r->flows = grown;
	ea_flowsel_flow *f = &r->flows[r->n_flows];
	memset(f, 0, sizeof *f);
	uint64_t id, run, tr, ip, rp, first, last, pk, live, dk;
	bool ok = parse_u64(c[0], INT64_MAX, &id) && parse_u64(c[1], INT64_MAX, &run) && iface_of(c[2], &f->iface) &&
		  parse_u64(c[3], 255, &tr) && parse_addr(c[4], &f->initiator) && parse_u64(c[5], 65535, &ip) &&
		  parse_addr(c[6], &f->responder) && parse_u64(c[7], 65535, &rp) &&
		  parse_u64(c[8], UINT64_MAX, &first) && parse_u64(c[9], UINT64_MAX, &last) &&
		  parse_u64(c[10], UINT64_MAX, &pk) && c[11] && strlen(c[11]) < sizeof f->verdict &&
		  parse_u64(c[12], 1, &live) && parse_u64(c[13], 1, &dk);
	if (!ok)
		return stop(sc, EA_ERR_DB, "a flow row the schema should not allow (addresses or numbers)");
	f->id = (int64_t)id;
	f->run_id = (int64_t)run;
	f->transport = (uint8_t)tr;
	f->initiator_port = (uint16_t)ip;
	f->responder_port = (uint16_t)rp;
	f->first_us = first;
	f->last_us = last;
	f->packets = pk;
	memcpy(f->verdict, c[11], strlen(c[11]) + 1);
	f->live = live != 0;
	f->duplicates_kept = dk != 0;
	if (c[14] && *c[14] && !(f->filter = strdup(c[14])))
		return stop(sc, EA_ERR_NOMEM, "out of memory");
	r->n_flows++;
	return 0;
}

/* Columns: id, run_id, iface, path, sha256, size, linktype. */
static int input_row(void *ctx, int ncols, const char *const *c)
{
	sel_ctx *sc = ctx;
	ea_flowsel_result *r = sc->res;
	if (ncols != 7)
		return stop(sc, EA_ERR_INTERNAL, "input query shape");
	ea_flowsel_input *grown = realloc(r->inputs, (r->n_inputs + 1) * sizeof *grown);
	if (!grown)
		return stop(sc, EA_ERR_NOMEM, "out of memory");
	r->inputs = grown;
	ea_flowsel_input *in = &r->inputs[r->n_inputs];
	memset(in, 0, sizeof *in);
	uint64_t id, run, size, lt;
	bool ok = parse_u64(c[0], INT64_MAX, &id) && parse_u64(c[1], INT64_MAX, &run) && iface_of(c[2], &in->iface) &&
		  c[3] && c[4] && strlen(c[4]) == 64 && parse_u64(c[5], UINT64_MAX, &size) &&
		  parse_u64(c[6], INT32_MAX, &lt);
	if (!ok)
		return stop(sc, EA_ERR_DB, "an inputs row the schema should not allow");
	if (!(in->path = strdup(c[3])))
		return stop(sc, EA_ERR_NOMEM, "out of memory");
	in->id = (int64_t)id;
	in->run_id = (int64_t)run;
	memcpy(in->sha256, c[4], 65);
	in->size = size;
	in->linktype = (int)lt;
	r->n_inputs++;
	return 0;
}

/* ?1 id, ?2 verdict, ?3 run, ?4 since, ?5 until, ?6 iface, ?7 transport,
 * ?8 port, ?9 protocol: NULL = any. The group's protocol is the report's
 * app_protocol (flow_details). */
static const char flows_sql[] =
	"SELECT f.id, f.run_id, f.iface, f.transport, f.initiator_ip, f.initiator_port, f.responder_ip,"
	" f.responder_port, f.first_us, f.last_us, f.pkts_out + f.pkts_in, f.verdict, r.live,"
	" r.duplicates_kept, r.filter"
	" FROM flow_details f JOIN runs r ON r.id = f.run_id"
	" WHERE (?1 IS NULL OR f.id = CAST(?1 AS INTEGER)) AND (?2 IS NULL OR f.verdict = ?2)"
	" AND (?3 IS NULL OR f.run_id = CAST(?3 AS INTEGER)) AND (?4 IS NULL OR f.last_us >= CAST(?4 AS INTEGER))"
	" AND (?5 IS NULL OR f.first_us < CAST(?5 AS INTEGER)) AND (?6 IS NULL OR f.iface = ?6)"
	" AND (?7 IS NULL OR f.transport_name = ?7) AND (?8 IS NULL OR f.responder_port = CAST(?8 AS INTEGER))"
	" AND (?9 IS NULL OR f.app_protocol = ?9)"
	" ORDER BY f.id";

ea_status ea_flowsel_select(ea_store *st, const ea_flowsel_query *q, ea_flowsel_result *res, char *errbuf,
			    size_t errlen)
{
	memset(res, 0, sizeof *res);
	if (q->n_ids == 0 && !q->verdict && !q->group.set)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "evidence: choose flows with --flow, --verdict or --group");
	char id_s[24] = "", run_s[24] = "", since_s[24] = "", until_s[24] = "", port_s[8] = "";
	const char *p[9] = {NULL, q->verdict, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
	if (q->run_id > 0) {
		snprintf(run_s, sizeof run_s, "%" PRId64, q->run_id);
		p[2] = run_s;
	}
	if (q->since_us) {
		snprintf(since_s, sizeof since_s, "%" PRIu64, q->since_us);
		p[3] = since_s;
	}
	if (q->until_us) {
		snprintf(until_s, sizeof until_s, "%" PRIu64, q->until_us);
		p[4] = until_s;
	}
	if (q->group.set) {
		p[5] = ea_iface_name(q->group.iface);
		p[6] = q->group.transport;
		snprintf(port_s, sizeof port_s, "%u", (unsigned)q->group.port);
		p[7] = port_s;
		p[8] = q->group.protocol[0] ? q->group.protocol : NULL;
	}
	sel_ctx sc = {.res = res, .st = EA_OK, .errbuf = errbuf, .errlen = errlen};
	ea_status e = EA_OK;
	if (q->n_ids == 0) {
		e = ea_store_query(st, flows_sql, p, 9, flow_row, &sc, errbuf, errlen);
	} else {
		for (unsigned i = 0; i < q->n_ids && e == EA_OK && sc.st == EA_OK; i++) {
			size_t before = res->n_flows;
			snprintf(id_s, sizeof id_s, "%" PRId64, q->ids[i]);
			p[0] = id_s;
			e = ea_store_query(st, flows_sql, p, 9, flow_row, &sc, errbuf, errlen);
			bool named_before = false;
			for (unsigned j = 0; j < i; j++)
				named_before |= q->ids[j] == q->ids[i];
			if (e == EA_OK && res->n_flows == before && !named_before && !res->missing_id)
				res->missing_id = q->ids[i];
		}
	}
	if (e == EA_OK)
		e = sc.st;
	/* The inputs of each run once, runs in the order their flows came. */
	for (size_t i = 0; e == EA_OK && i < res->n_flows; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = res->flows[j].run_id == res->flows[i].run_id;
		if (seen)
			continue;
		snprintf(run_s, sizeof run_s, "%" PRId64, res->flows[i].run_id);
		const char *ip[1] = {run_s};
		e = ea_store_query(st,
				   "SELECT id, run_id, iface, path, sha256, size, linktype FROM inputs"
				   " WHERE run_id = CAST(?1 AS INTEGER) ORDER BY id",
				   ip, 1, input_row, &sc, errbuf, errlen);
		if (e == EA_OK)
			e = sc.st;
	}
	if (e != EA_OK)
		ea_flowsel_free(res);
	return e;
}

void ea_flowsel_free(ea_flowsel_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n_flows; i++)
		free(res->flows[i].filter);
	for (size_t i = 0; i < res->n_inputs; i++)
		free(res->inputs[i].path);
	free(res->flows);
	free(res->inputs);
	memset(res, 0, sizeof *res);
}
