/* audit.c — the per-packet path and the end of each flow. */
#include "engine/audit.h"

#include <stdlib.h>
#include <string.h>

#include "engine/classify.h"
#include "engine/community_id.h"
#include "engine/direction.h"
#include "engine/flow.h"
#include "capture/dedup.h"
#include "decode/frag.h"
#include "util/ea_limits.h"
#include "util/mix64.h"

/* Each table's end-of-flow callback needs to know its interface. */
typedef struct {
	ea_audit *audit;
	ea_iface iface;
} table_ctx;

struct ea_audit {
	ea_audit_config cfg;          /* cfg.ruleset: the audit's own reference */
	const ea_matrix *matrix;      /* the ruleset's parts, for the hot path */
	const ea_site *site;
	ea_classifier *classifier;
	ea_port_ranks *ranks;
	ea_frag_table *frags[EA_IFACE_COUNT];
	ea_flow_table *tables[EA_IFACE_COUNT];
	ea_dedup *dedup[EA_IFACE_COUNT]; /* NULL with cfg.keep_duplicates */
	table_ctx tctx[EA_IFACE_COUNT];
	uint64_t last_scan_us[EA_IFACE_COUNT]; /* packet time of the last idle sweep */
	ea_audit_totals totals;
	/* The first store failure; later flows are still counted, not stored. */
	ea_status store_status;
	char store_err[512];
};

static void flow_ended(void *ctx, ea_flow *f, ea_end_reason why);

ea_status ea_audit_new(const ea_audit_config *cfg, ea_audit **out, char *errbuf, size_t errlen)
{
	ea_status st = EA_OK;
	if (!ea_ruleset_site(cfg->ruleset))
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "an audit needs a ruleset with a site file");
	ea_audit *a = calloc(1, sizeof *a);
	if (!a)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	a->cfg = *cfg;
	a->cfg.ruleset = ea_ruleset_ref(cfg->ruleset);
	a->matrix = ea_ruleset_matrix(cfg->ruleset);
	a->site = ea_ruleset_site(cfg->ruleset);
	const ea_portsigs *portsigs = ea_ruleset_portsigs(cfg->ruleset);
	unsigned max = cfg->max_flows ? cfg->max_flows : EA_DEFAULT_MAX_FLOWS;

	st = ea_classifier_new(portsigs, &a->classifier, errbuf, errlen);
	if (st != EA_OK)
		goto fail;
	a->ranks = malloc(sizeof *a->ranks);
	if (!a->ranks) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
		goto fail;
	}
	ea_port_ranks_build(a->ranks, a->matrix, portsigs);
	for (int i = 0; i < EA_IFACE_COUNT; i++) {
		a->tctx[i].audit = a;
		a->tctx[i].iface = (ea_iface)i;
		a->tables[i] = ea_flow_table_new(max, cfg->hash_seed + (uint64_t)i, a->ranks, flow_ended, &a->tctx[i]);
		a->frags[i] = ea_frag_table_new(cfg->hash_seed + (uint64_t)i);
		if (!a->tables[i] || !a->frags[i]) {
			st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
			goto fail;
		}
		if (!cfg->keep_duplicates) {
			st = ea_dedup_new(0, ea_mix64(cfg->hash_seed ^ (uint64_t)i), &a->dedup[i], errbuf, errlen);
			if (st != EA_OK)
				goto fail;
		}
	}
	*out = a;
	return EA_OK;
fail:
	ea_audit_free(a);
	return st;
}

void ea_audit_free(ea_audit *a)
{
	if (!a)
		return;
	for (int i = 0; i < EA_IFACE_COUNT; i++) {
		ea_flow_table_free(a->tables[i]);
		ea_frag_table_free(a->frags[i]);
		ea_dedup_free(a->dedup[i]);
	}
	free(a->ranks);
	ea_classifier_free(a->classifier);
	ea_ruleset_unref(a->cfg.ruleset);
	free(a);
}

static void fill_record(const ea_flow *f, ea_iface iface, ea_end_reason why, ea_flow_record *rec)
{
	rec->iface = iface;
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
}

static void flow_ended(void *ctx, ea_flow *f, ea_end_reason why)
{
	table_ctx *tc = ctx;
	ea_audit *a = tc->audit;
	ea_flow_record rec;
	ea_match_result mr;

	memset(&rec, 0, sizeof rec);
	fill_record(f, tc->iface, why, &rec);
	ea_classify_finish(a->classifier, &f->cls, f->transport, f->port[1], &rec);
	ea_match(a->matrix, a->site, &rec, &mr);

	a->totals.flows++;
	a->totals.verdicts[mr.verdict]++;
	a->totals.attempts += rec.attempt;
	if (why == EA_END_EVICTED)
		a->totals.evicted++;
	if (a->cfg.store && a->store_status == EA_OK)
		a->store_status = ea_store_add_flow(a->cfg.store, a->cfg.run_id, &rec, &mr, a->matrix,
						    a->store_err, sizeof a->store_err);
	if (a->cfg.on_flow)
		a->cfg.on_flow(a->cfg.hook_ctx, &rec, &mr);
}

/* Each interface's table knows its own peak exactly; the interfaces'
 * captures are read one after the other, so their peaks add up. */
static void note_peak(ea_audit *a)
{
	uint64_t peak = 0;
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		peak += ea_flow_table_stats(a->tables[i])->flows_active_peak;
	a->totals.peak_flows = peak;
}

/* A decoded packet (a captured frame, or a datagram rebuilt from its
 * fragments) joins its flow: one hash lookup, nDPI only while the flow is
 * undecided, no allocation unless the flow is new. */
static void flow_packet(ea_audit *a, ea_iface iface, const ea_packet *pkt)
{
	/* Idle flows are swept against this packet's time, not the newest
	 * seen: one record with a bogus future timestamp must not switch
	 * expiry off for the rest of the capture. A sweep at an earlier time
	 * ends nothing, so time running backwards is harmless. */
	uint64_t since = pkt->ts_us > a->last_scan_us[iface] ? pkt->ts_us - a->last_scan_us[iface]
							       : a->last_scan_us[iface] - pkt->ts_us;
	if (since >= EA_EXPIRY_SCAN_SEC * 1000000ull) {
		ea_flow_table_expire(a->tables[iface], pkt->ts_us);
		a->last_scan_us[iface] = pkt->ts_us;
	}

	bool from_initiator;
	ea_flow *f = ea_flow_table_packet(a->tables[iface], pkt, &from_initiator);
	if (!f)
		return;
	if (!f->cls.decided)
		ea_classify_packet(a->classifier, &f->cls, pkt, f->transport, f->port[1]);
}

/* Decodes every datagram the interface's reassembler has ready and sends
 * it down the same path as a captured frame. Each stands for all its
 * fragments: they are decoded, or dropped under one reason, together. A
 * fragment found inside one (behind a tunnel) goes back to the
 * reassembler; each round strips a tunnel and shrinks, so this ends. */
static void drain_fragments(ea_audit *a, ea_iface iface)
{
	ea_frag_table *ft = a->frags[iface];
	ea_frag_datagram dg;
	while (ea_frag_next(ft, &dg, a->totals.anomalies)) {
		ea_packet pkt;
		ea_anomaly note = EA_ANOMALY_COUNT;
		if (ea_decode_reassembled(dg.ip, dg.caplen, dg.last_us, &pkt, &note) != EA_DECODE_OK) {
			a->totals.anomalies[note < EA_ANOMALY_COUNT ? note : EA_ANOMALY_NON_IP] += dg.frames;
			continue;
		}
		if (note < EA_ANOMALY_COUNT)
			a->totals.anomalies[note]++;
		pkt.frag_frames = dg.frames;
		pkt.frag_first_us = dg.first_us;
		if (pkt.l3 != dg.ip && pkt.frag != EA_FRAG_NONE) {
			ea_frag_add(ft, &pkt, a->totals.anomalies); /* copies pkt's bytes out of dg */
			continue;
		}
		/* Bytes as they crossed the wire when the flow's own IP level
		 * was fragmented; the inner packet's when a tunnel's was. */
		pkt.frag_wire_bytes = pkt.l3 == dg.ip ? dg.wire_bytes : pkt.ip_len;
		a->totals.decoded += dg.frames;
		flow_packet(a, iface, &pkt);
	}
}

/* The per-frame path: a SPAN copy of a frame just seen stops here;
 * decode; a fragment waits in the reassembler, a whole packet goes to its
 * flow. */
static void handle_frame(ea_audit *a, ea_iface iface, const ea_frame *frame)
{
	ea_packet pkt;
	ea_anomaly note = EA_ANOMALY_COUNT;

	if (a->dedup[iface] && ea_dedup_frame(a->dedup[iface], frame, NULL)) {
		a->totals.duplicates[iface]++;
		return;
	}

	/* Fragments time out on packet time, like flows. */
	ea_frag_expire(a->frags[iface], frame->ts_us, a->totals.anomalies);
	drain_fragments(a, iface);

	if (ea_decode(frame, &pkt, &note) != EA_DECODE_OK) {
		a->totals.anomalies[note < EA_ANOMALY_COUNT ? note : EA_ANOMALY_NON_IP]++;
		return;
	}
	if (note < EA_ANOMALY_COUNT)
		a->totals.anomalies[note]++;
	if (pkt.frag != EA_FRAG_NONE) {
		ea_frag_add(a->frags[iface], &pkt, a->totals.anomalies);
		drain_fragments(a, iface);
		return;
	}
	a->totals.decoded++;
	flow_packet(a, iface, &pkt);
}

/* Counts a frame the decoder refused for its link type, per link type (a
 * pcapng file has one per interface), so the caller can name them. */
static void note_unsupported(ea_input_info *info, int linktype)
{
	info->unsupported_frames++;
	for (unsigned i = 0; i < info->n_unsupported; i++) {
		if (info->unsupported[i].linktype == linktype) {
			info->unsupported[i].frames++;
			return;
		}
	}
	if (info->n_unsupported < EA_MAX_UNSUPPORTED_LINKTYPES) {
		info->unsupported[info->n_unsupported].linktype = linktype;
		info->unsupported[info->n_unsupported].frames = 1;
		info->n_unsupported++;
	}
}

ea_status ea_audit_read(ea_audit *a, ea_source *src, ea_iface iface, ea_input_info *info,
			char *errbuf, size_t errlen)
{
	ea_frame frame;
	ea_source_result r;
	ea_status st = EA_OK;
	bool interrupted = false;
	bool timed = false;

	info->linktype = ea_source_linktype(src);
	while ((r = ea_source_next(src, &frame, errbuf, errlen)) == EA_SOURCE_FRAME) {
		a->totals.packets++;
		a->totals.bytes += frame.wirelen;
		info->packets++;
		info->bytes += frame.wirelen;
		if (frame.ts_fault == EA_TS_BAD_FRACTION)
			a->totals.anomalies[EA_ANOMALY_TS_BAD_FRACTION]++;
		else if (frame.ts_fault == EA_TS_OUT_OF_RANGE)
			a->totals.anomalies[EA_ANOMALY_TS_OUT_OF_RANGE]++;
		if (frame.ts_known) {
			if (!timed || frame.ts_us < info->first_us)
				info->first_us = frame.ts_us;
			if (!timed || frame.ts_us > info->last_us)
				info->last_us = frame.ts_us;
			timed = true;
			uint64_t decoded = a->totals.decoded;
			uint64_t duplicates = a->totals.duplicates[iface];
			uint64_t unsupported = a->totals.anomalies[EA_ANOMALY_UNSUPPORTED_LINKTYPE];
			handle_frame(a, iface, &frame);
			info->decoded += a->totals.decoded - decoded;
			info->duplicates += a->totals.duplicates[iface] - duplicates;
			if (a->totals.anomalies[EA_ANOMALY_UNSUPPORTED_LINKTYPE] != unsupported)
				note_unsupported(info, frame.linktype);
		} else {
			/* No time to give it: inventing one would misplace its
			 * flow and its idle expiry, so it is counted, not decoded. */
			a->totals.anomalies[EA_ANOMALY_UNTIMED_FRAME]++;
		}
		if (a->store_status != EA_OK)
			break;
		if (a->cfg.stop && *a->cfg.stop) {
			interrupted = true;
			break;
		}
		if ((a->totals.packets & 0xffff) == 0) {
			if (a->cfg.on_progress)
				a->cfg.on_progress(a->cfg.hook_ctx, &a->totals);
		}
	}
	note_peak(a);
	info->untimed = info->packets > 0 && !timed;
	info->truncated = ea_source_truncated(src);
	if (info->truncated)
		a->totals.anomalies[EA_ANOMALY_TRUNCATED_RECORD]++;
	if (a->store_status != EA_OK)
		return ea_fail(a->store_status, errbuf, errlen, "%s", a->store_err);
	if (interrupted)
		return ea_fail(EA_ERR_INTERRUPTED, errbuf, errlen, "interrupted after %llu record%s",
			       (unsigned long long)info->packets, info->packets == 1 ? "" : "s");
	if (r == EA_SOURCE_ERROR)
		st = EA_ERR_FORMAT;
	return st;
}

ea_status ea_audit_frame(ea_audit *a, ea_iface iface, const ea_frame *frame, char *errbuf, size_t errlen)
{
	a->totals.packets++;
	a->totals.bytes += frame->wirelen;
	if (frame->ts_fault == EA_TS_OUT_OF_RANGE)
		a->totals.anomalies[EA_ANOMALY_TS_OUT_OF_RANGE]++;
	if (frame->ts_known)
		handle_frame(a, iface, frame);
	else
		a->totals.anomalies[EA_ANOMALY_UNTIMED_FRAME]++;
	if (a->store_status != EA_OK)
		return ea_fail(a->store_status, errbuf, errlen, "%s", a->store_err);
	return EA_OK;
}

ea_status ea_audit_tick(ea_audit *a, uint64_t now_us, char *errbuf, size_t errlen)
{
	for (int i = 0; i < EA_IFACE_COUNT; i++) {
		/* As flow_packet does, at most once a scan interval: a tick
		 * every poll timeout must not walk the LRU heads each time. */
		if (now_us >= a->last_scan_us[i] && now_us - a->last_scan_us[i] < EA_EXPIRY_SCAN_SEC * 1000000ull)
			continue;
		ea_frag_expire(a->frags[i], now_us, a->totals.anomalies);
		drain_fragments(a, (ea_iface)i);
		ea_flow_table_expire(a->tables[i], now_us);
		a->last_scan_us[i] = now_us;
	}
	note_peak(a);
	if (a->store_status != EA_OK)
		return ea_fail(a->store_status, errbuf, errlen, "%s", a->store_err);
	return EA_OK;
}

void ea_audit_set_ruleset(ea_audit *a, const ea_ruleset *rs, int64_t run_id)
{
	const ea_ruleset *old = a->cfg.ruleset;
	a->cfg.ruleset = ea_ruleset_ref(rs);
	a->matrix = ea_ruleset_matrix(rs);
	a->site = ea_ruleset_site(rs);
	/* The flow tables and the classifier borrow these: replaced in place,
	 * between two packets, so no flow sees half of each. */
	ea_port_ranks_build(a->ranks, a->matrix, ea_ruleset_portsigs(rs));
	ea_classifier_set_portsigs(a->classifier, ea_ruleset_portsigs(rs));
	a->cfg.run_id = run_id;
	ea_ruleset_unref(old);
}

ea_status ea_audit_finish(ea_audit *a, char *errbuf, size_t errlen)
{
	/* Datagrams still incomplete reach their flows before flows end.
	 * Draining may add fragments found inside them (behind a tunnel):
	 * each round is a tunnel level down, so the loop ends. */
	for (int i = 0; i < EA_IFACE_COUNT; i++) {
		do {
			ea_frag_flush(a->frags[i], a->totals.anomalies);
			drain_fragments(a, (ea_iface)i);
		} while (ea_frag_in_progress(a->frags[i]) > 0);
	}
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		ea_flow_table_flush(a->tables[i], EA_END_EOF);
	if (a->store_status != EA_OK)
		return ea_fail(a->store_status, errbuf, errlen, "%s", a->store_err);
	return EA_OK;
}

const ea_audit_totals *ea_audit_get_totals(const ea_audit *a)
{
	return &a->totals;
}
