/* engine.c — one interface's frames to flow records: the per-packet path,
 * the clock tick and the end of each flow. */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

#include "capture/dedup.h"
#include "decode/frag.h"
#include "engine/classify.h"
#include "engine/community_id.h"
#include "engine/direction.h"
#include "engine/flow.h"
#include "engine/icmp_attach.h"
#include "util/ea_limits.h"
#include "util/mix64.h"

struct ea_engine {
	ea_engine_config cfg;         /* cfg.ruleset: the engine's own reference */
	const ea_matrix *matrix;      /* the ruleset's parts, for the hot path */
	const ea_site *site;
	uint32_t generation;
	ea_classifier *classifier;
	ea_port_ranks *ranks;         /* the flow table reads it: rebuilt in place on a swap */
	ea_frag_table *frags;
	ea_flow_table *table;
	ea_dedup *dedup;              /* NULL with cfg.keep_duplicates */
	uint64_t last_scan_us;        /* time of the last idle sweep */
	ea_totals totals;
};

static void flow_ended(void *ctx, ea_flow *f, ea_end_reason why);

static void use_ruleset(ea_engine *e, const ea_ruleset *rs)
{
	e->matrix = ea_ruleset_matrix(rs);
	e->site = ea_ruleset_site(rs);
	e->generation = (uint32_t)ea_ruleset_generation(rs);
}

ea_status ea_engine_new(const ea_engine_config *cfg, ea_engine **out, char *errbuf, size_t errlen)
{
	ea_status st = EA_OK;
	if (!cfg->ruleset || !ea_ruleset_site(cfg->ruleset))
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "an engine needs a ruleset with a site file");
	if (!cfg->emit)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "an engine needs a sink for its flows");
	ea_engine *e = calloc(1, sizeof *e);
	if (!e)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	e->cfg = *cfg;
	e->cfg.ruleset = ea_ruleset_ref(cfg->ruleset);
	use_ruleset(e, cfg->ruleset);
	const ea_portsigs *portsigs = ea_ruleset_portsigs(cfg->ruleset);
	unsigned max = cfg->max_flows ? cfg->max_flows : EA_DEFAULT_MAX_FLOWS;

	st = ea_classifier_new(portsigs, &e->classifier, errbuf, errlen);
	if (st != EA_OK)
		goto fail;
	e->ranks = malloc(sizeof *e->ranks);
	if (!e->ranks) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
		goto fail;
	}
	ea_port_ranks_build(e->ranks, e->matrix, portsigs);
	e->table = ea_flow_table_new(max, cfg->hash_seed, e->ranks, flow_ended, e);
	e->frags = ea_frag_table_new(cfg->hash_seed);
	if (!e->table || !e->frags) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
		goto fail;
	}
	if (!cfg->keep_duplicates) {
		st = ea_dedup_new(0, ea_mix64(cfg->hash_seed), &e->dedup, errbuf, errlen);
		if (st != EA_OK)
			goto fail;
	}
	*out = e;
	return EA_OK;
fail:
	ea_engine_free(e);
	return st;
}

void ea_engine_free(ea_engine *e)
{
	if (!e)
		return;
	ea_flow_table_free(e->table);
	ea_frag_table_free(e->frags);
	ea_dedup_free(e->dedup);
	free(e->ranks);
	ea_classifier_free(e->classifier);
	ea_ruleset_unref(e->cfg.ruleset);
	free(e);
}

void ea_engine_set_ruleset(ea_engine *e, const ea_ruleset *rs)
{
	if (!rs || !ea_ruleset_site(rs))
		return;
	const ea_ruleset *old = e->cfg.ruleset;
	e->cfg.ruleset = ea_ruleset_ref(rs);
	use_ruleset(e, rs);
	ea_classifier_set_portsigs(e->classifier, ea_ruleset_portsigs(rs));
	ea_port_ranks_build(e->ranks, e->matrix, ea_ruleset_portsigs(rs));
	ea_ruleset_unref(old);
}

static void fill_record(const ea_engine *e, const ea_flow *f, ea_end_reason why, ea_flow_record *rec)
{
	rec->uid = f->uid * EA_IFACE_COUNT + (uint64_t)e->cfg.iface;
	rec->generation = e->generation;
	rec->rewrite = why == EA_END_ACTIVE || f->reported;
	rec->reported_before = f->reported;
	rec->iface = e->cfg.iface;
	rec->transport = f->transport;
	rec->init_addr = f->addr[0];
	rec->resp_addr = f->addr[1];
	rec->init_port = f->port[0];
	rec->resp_port = f->port[1];
	rec->first_us = f->first_us;
	rec->last_us = f->last_us;
	memcpy(rec->pkts, f->pkts, sizeof rec->pkts);
	memcpy(rec->bytes, f->bytes, sizeof rec->bytes);
	rec->dir_source = (ea_direction_source)f->dir_source;
	rec->handshake = ea_flow_handshake(f);
	rec->end_reason = why;
	rec->attempt = rec->handshake == EA_HS_REJECTED || rec->handshake == EA_HS_NO_ANSWER;
	ea_community_id(0, f->transport, &f->addr[0], &f->addr[1], f->port[0], f->port[1],
			f->icmp_oneway, rec->community_id);
	rec->icmp_errors = f->icmp_errors[0] + f->icmp_errors[1];
	rec->icmp_last_type = f->icmp_last_type;
	rec->icmp_last_code = f->icmp_last_code;
	rec->icmp_orphan = f->icmp_orphan;
}

static void flow_ended(void *ctx, ea_flow *f, ea_end_reason why)
{
	ea_engine *e = ctx;
	ea_flow_record rec;
	ea_match_result mr;

	memset(&rec, 0, sizeof rec);
	fill_record(e, f, why, &rec);
	ea_classify_finish(e->classifier, &f->cls, f->transport, f->port[1], &rec);
	ea_match(e->matrix, e->site, &rec, &mr);

	e->totals.flows++;
	e->totals.verdicts[mr.verdict]++;
	e->totals.attempts += rec.attempt;
	if (why == EA_END_EVICTED)
		e->totals.evicted++;
	e->cfg.emit(e->cfg.ctx, &rec, &mr);
}

/* An active-timeout update: the flow as it stands, judged as if it ended
 * now, without ending its detection. Not counted as a flow: its end is. */
static void flow_update(void *ctx, ea_flow *f)
{
	ea_engine *e = ctx;
	ea_flow_record rec;
	ea_match_result mr;

	/* Nothing changed since the last update written (no packet, so no
	 * byte, flag or classification either, and the same ruleset): its row
	 * already says all of it, and a quiet flow that lives for days would
	 * otherwise be rewritten every interval for nothing. */
	uint64_t pkts = f->pkts[0] + f->pkts[1];
	if (f->reported && pkts == f->reported_pkts && f->reported_generation == e->generation) {
		e->totals.updates_unchanged++;
		return;
	}
	f->reported_pkts = pkts;
	f->reported_generation = e->generation;
	memset(&rec, 0, sizeof rec);
	fill_record(e, f, EA_END_ACTIVE, &rec);
	ea_classify_peek(e->classifier, &f->cls, f->transport, f->port[1], &rec);
	ea_match(e->matrix, e->site, &rec, &mr);
	e->totals.updates++;
	e->cfg.emit(e->cfg.ctx, &rec, &mr);
}

/* Idle expiry and active updates at time now_us, at most once per
 * EA_EXPIRY_SCAN_SEC of it. The sweep runs against the time given, not the
 * newest seen: one record with a bogus future timestamp must not switch
 * expiry off for the rest of the capture. A sweep at an earlier time ends
 * nothing, so time running backwards is harmless. */
static void sweep(ea_engine *e, uint64_t now_us)
{
	uint64_t since = now_us > e->last_scan_us ? now_us - e->last_scan_us : e->last_scan_us - now_us;
	if (since < EA_EXPIRY_SCAN_SEC * 1000000ull)
		return;
	ea_flow_table_expire(e->table, now_us);
	if (e->cfg.active_timeout_us)
		ea_flow_table_report_due(e->table, now_us, e->cfg.active_timeout_us, flow_update, e);
	e->last_scan_us = now_us;
}

/* A decoded packet (a captured frame, or a datagram rebuilt from its
 * fragments) joins its flow: one hash lookup, nDPI only while the flow is
 * undecided, no allocation unless the flow is new. */
static void flow_packet(ea_engine *e, const ea_packet *pkt)
{
	sweep(e, pkt->ts_us);
	/* An ICMP error is counted on the flow it quotes; only one that
	 * names no open flow becomes a flow (an orphan) of its own. */
	ea_icmp_attach_result icmp = ea_icmp_attach(e->table, pkt, NULL);
	if (icmp == EA_ICMP_ATTACHED)
		return;
	bool from_initiator;
	ea_flow *f = ea_flow_table_packet(e->table, pkt, &from_initiator);
	e->totals.peak_flows = ea_flow_table_stats(e->table)->flows_active_peak; /* the table's, exact */
	if (!f)
		return;
	if (icmp == EA_ICMP_ORPHAN)
		f->icmp_orphan = true;
	if (!f->cls.decided)
		ea_classify_packet(e->classifier, &f->cls, pkt, f->transport, f->port[1]);
}

/* Decodes every datagram the reassembler has ready and sends it down the
 * same path as a captured frame. Each stands for all its fragments: they
 * are decoded, or dropped under one reason, together. A fragment found
 * inside one (behind a tunnel) goes back to the reassembler; each round
 * strips a tunnel and shrinks, so this ends. */
static void drain_fragments(ea_engine *e)
{
	ea_frag_datagram dg;
	while (ea_frag_next(e->frags, &dg, e->totals.anomalies)) {
		ea_packet pkt;
		ea_anomaly note = EA_ANOMALY_COUNT;
		if (ea_decode_reassembled(dg.ip, dg.caplen, dg.last_us, &pkt, &note) != EA_DECODE_OK) {
			e->totals.anomalies[note < EA_ANOMALY_COUNT ? note : EA_ANOMALY_NON_IP] += dg.frames;
			continue;
		}
		if (note < EA_ANOMALY_COUNT)
			e->totals.anomalies[note]++;
		pkt.frag_frames = dg.frames;
		pkt.frag_first_us = dg.first_us;
		if (pkt.l3 != dg.ip && pkt.frag != EA_FRAG_NONE) {
			ea_frag_add(e->frags, &pkt, e->totals.anomalies); /* copies pkt's bytes out of dg */
			continue;
		}
		/* Bytes as they crossed the wire when the flow's own IP level
		 * was fragmented; the inner packet's when a tunnel's was. */
		pkt.frag_wire_bytes = pkt.l3 == dg.ip ? dg.wire_bytes : pkt.ip_len;
		e->totals.decoded += dg.frames;
		flow_packet(e, &pkt);
	}
}

void ea_engine_frame(ea_engine *e, const ea_frame *frame)
{
	ea_packet pkt;
	ea_anomaly note = EA_ANOMALY_COUNT;

	e->totals.packets++;
	e->totals.bytes += frame->wirelen;
	if (frame->ts_fault == EA_TS_BAD_FRACTION)
		e->totals.anomalies[EA_ANOMALY_TS_BAD_FRACTION]++;
	else if (frame->ts_fault == EA_TS_OUT_OF_RANGE)
		e->totals.anomalies[EA_ANOMALY_TS_OUT_OF_RANGE]++;
	if (!frame->ts_known) {
		e->totals.anomalies[EA_ANOMALY_UNTIMED_FRAME]++;
		return;
	}
	if (e->dedup && ea_dedup_frame(e->dedup, frame, NULL)) {
		e->totals.duplicates[e->cfg.iface]++;
		return;
	}

	/* Fragments time out on the frames' time, like flows. */
	ea_frag_expire(e->frags, frame->ts_us, e->totals.anomalies);
	drain_fragments(e);

	if (ea_decode(frame, &pkt, &note) != EA_DECODE_OK) {
		e->totals.anomalies[note < EA_ANOMALY_COUNT ? note : EA_ANOMALY_NON_IP]++;
		return;
	}
	if (note < EA_ANOMALY_COUNT)
		e->totals.anomalies[note]++;
	if (pkt.frag != EA_FRAG_NONE) {
		ea_frag_add(e->frags, &pkt, e->totals.anomalies);
		drain_fragments(e);
		return;
	}
	e->totals.decoded++;
	flow_packet(e, &pkt);
}

void ea_engine_tick(ea_engine *e, uint64_t now_us)
{
	ea_frag_expire(e->frags, now_us, e->totals.anomalies);
	drain_fragments(e);
	sweep(e, now_us);
}

void ea_engine_flush(ea_engine *e, ea_end_reason why)
{
	/* Datagrams still incomplete reach their flows before flows end.
	 * Draining may add fragments found inside them (behind a tunnel):
	 * each round is a tunnel level down, so the loop ends. */
	do {
		ea_frag_flush(e->frags, e->totals.anomalies);
		drain_fragments(e);
	} while (ea_frag_in_progress(e->frags) > 0);
	ea_flow_table_flush(e->table, why);
}

const ea_totals *ea_engine_totals(const ea_engine *e)
{
	return &e->totals;
}

void ea_engine_count_anomaly(ea_engine *e, ea_anomaly a)
{
	if ((unsigned)a < EA_ANOMALY_COUNT)
		e->totals.anomalies[a]++;
}

unsigned ea_engine_open_flows(const ea_engine *e)
{
	return ea_flow_table_active(e->table);
}
