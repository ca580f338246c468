/* audit.c — capture files through the interfaces' engines to the writer. */
#include "engine/audit.h"

#include <stdlib.h>
#include <string.h>

#include "store/writer.h"
#include "util/ea_limits.h"

struct ea_audit {
	ea_audit_config cfg;          /* cfg.ruleset: the audit's own reference */
	ea_engine *engines[EA_IFACE_COUNT];
	ea_writer *writer;            /* NULL without a store */
	ea_writer_stats closed_stats; /* the writer's last counters, once closed */
	ea_audit_totals totals;       /* summed from the engines when asked */
	/* The first store failure; later flows are still counted, not stored. */
	ea_status store_status;
	char store_err[512];
};

/* Every record of either engine: to the writer, then the hook. */
static void flow_record(void *ctx, const ea_flow_record *rec, const ea_match_result *mr)
{
	ea_audit *a = ctx;
	/* Live, a full queue drops this record only: the writer counts it
	 * (capture_stats.queue_dropped) and the next record is offered again.
	 * Reading files, only a failed writer refuses: its message says why,
	 * and nothing more is stored. */
	if (a->writer && a->store_status == EA_OK && !ea_writer_submit(a->writer, rec, mr) && !a->cfg.live) {
		a->store_status = ea_writer_sync(a->writer, a->store_err, sizeof a->store_err);
		if (a->store_status == EA_OK) {
			a->store_status = EA_ERR_DB;
			snprintf(a->store_err, sizeof a->store_err, "a flow could not be queued for the database");
		}
	}
	if (a->cfg.on_flow)
		a->cfg.on_flow(a->cfg.hook_ctx, rec, mr);
}

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
	if (cfg->store) {
		/* A file must never lose a flow: the reader waits for the
		 * writer, and the first database failure ends the run. A live
		 * capture must never wait: the writer holds, retries and, when
		 * full, drops and counts. */
		ea_writer_config wc = {.wait_when_full = !cfg->live, .log = cfg->log,
				       .close_wait_us = cfg->stop_wait_us,
				       .capacity = !cfg->live ? 0
						   : cfg->live_queue_records ? cfg->live_queue_records
						   : EA_WRITER_LIVE_QUEUE_RECORDS};
		st = ea_writer_new(cfg->store, cfg->run_id, &wc, &a->writer, errbuf, errlen);
		if (st != EA_OK)
			goto fail;
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
	ea_writer_close(a->writer, NULL, 0);
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		ea_engine_free(a->engines[i]);
	ea_ruleset_unref(a->cfg.ruleset);
	free(a);
}

/* An interface's engine is made when its first capture is read: a run of
 * one interface's captures does not pay for a second classifier (nDPI's
 * set-up is milliseconds and megabytes). */
static ea_status engine_for(ea_audit *a, ea_iface iface, ea_engine **out, char *errbuf, size_t errlen)
{
	unsigned i = (unsigned)iface < EA_IFACE_COUNT ? (unsigned)iface : 0;
	if (!a->engines[i]) {
		ea_engine_config ec = {
			.ruleset = a->cfg.ruleset, .iface = (ea_iface)i, .max_flows = a->cfg.max_flows,
			.hash_seed = a->cfg.hash_seed + i, .active_timeout_us = a->cfg.active_timeout_us,
			.keep_duplicates = a->cfg.keep_duplicates, .emit = flow_record, .ctx = a,
		};
		ea_status st = ea_engine_new(&ec, &a->engines[i], errbuf, errlen);
		if (st != EA_OK)
			return st;
	}
	*out = a->engines[i];
	return EA_OK;
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

/* Everything queued reaches the database before the caller writes its
 * own rows (the input's, the run's). */
static void sync_writer(ea_audit *a)
{
	if (a->writer && a->store_status == EA_OK)
		a->store_status = ea_writer_sync(a->writer, a->store_err, sizeof a->store_err);
}

ea_status ea_audit_read(ea_audit *a, ea_source *src, ea_iface iface, ea_input_info *info,
			char *errbuf, size_t errlen)
{
	ea_frame frame;
	ea_source_result r;
	ea_status st = EA_OK;
	bool interrupted = false;
	bool timed = false;
	ea_engine *e = NULL;
	st = engine_for(a, iface, &e, errbuf, errlen);
	if (st != EA_OK)
		return st;
	/* The engine's totals only grow: this file's share is the difference. */
	unsigned idx = (unsigned)iface < EA_IFACE_COUNT ? (unsigned)iface : 0;
	uint64_t decoded_before = ea_engine_totals(e)->decoded;
	uint64_t duplicates_before = ea_engine_totals(e)->duplicates[idx];
	uint64_t frames = 0;

	info->linktype = ea_source_linktype(src);
	while ((r = ea_source_next(src, &frame, errbuf, errlen)) == EA_SOURCE_FRAME) {
		if (a->cfg.filter) {
			/* Before anything else, as tcpdump -r applies it. */
			int pass = ea_filter_test(a->cfg.filter, &frame, errbuf, errlen);
			if (pass < 0) {
				r = EA_SOURCE_ERROR;
				break;
			}
			if (pass == 0) {
				info->filtered_out++;
				if (a->cfg.stop && *a->cfg.stop) {
					interrupted = true;
					break;
				}
				continue;
			}
		}
		info->packets++;
		info->bytes += frame.wirelen;
		if (frame.ts_known) {
			if (!timed || frame.ts_us < info->first_us)
				info->first_us = frame.ts_us;
			if (!timed || frame.ts_us > info->last_us)
				info->last_us = frame.ts_us;
			timed = true;
		}
		const uint64_t *anomalies = ea_engine_totals(e)->anomalies;
		uint64_t unsupported = anomalies[EA_ANOMALY_UNSUPPORTED_LINKTYPE];
		ea_engine_frame(e, &frame);
		if (frame.ts_known && anomalies[EA_ANOMALY_UNSUPPORTED_LINKTYPE] != unsupported)
			note_unsupported(info, frame.linktype);
		if (a->store_status != EA_OK)
			break;
		if (a->cfg.stop && *a->cfg.stop) {
			interrupted = true;
			break;
		}
		if ((++frames & 0xffff) == 0 && a->cfg.on_progress)
			a->cfg.on_progress(a->cfg.hook_ctx, ea_audit_get_totals(a));
	}
	info->decoded += ea_engine_totals(e)->decoded - decoded_before;
	info->duplicates += ea_engine_totals(e)->duplicates[idx] - duplicates_before;
	info->untimed = info->packets > 0 && !timed;
	info->truncated = ea_source_truncated(src);
	if (info->truncated)
		ea_engine_count_anomaly(e, EA_ANOMALY_TRUNCATED_RECORD);
	sync_writer(a);
	if (a->store_status != EA_OK)
		return ea_fail(a->store_status, errbuf, errlen, "%s", a->store_err);
	if (interrupted)
		return ea_fail(EA_ERR_INTERRUPTED, errbuf, errlen, "interrupted after %llu record%s",
			       (unsigned long long)info->packets, info->packets == 1 ? "" : "s");
	if (r == EA_SOURCE_ERROR)
		st = EA_ERR_FORMAT;
	return st;
}

/* Frame by frame without cfg.live (tests, tools), the store is left as
 * found: idle, every flow ended committed. A live audit never waits. */
static ea_status live_done(ea_audit *a, uint64_t submitted_before, char *errbuf, size_t errlen)
{
	if (!a->cfg.live && a->writer && a->store_status == EA_OK &&
	    ea_writer_get_stats(a->writer).submitted != submitted_before)
		sync_writer(a);
	if (a->store_status != EA_OK)
		return ea_fail(a->store_status, errbuf, errlen, "%s", a->store_err);
	return EA_OK;
}

static uint64_t submitted(ea_audit *a)
{
	return a->writer ? ea_writer_get_stats(a->writer).submitted : 0;
}

ea_status ea_audit_frame(ea_audit *a, ea_iface iface, const ea_frame *frame, char *errbuf, size_t errlen)
{
	uint64_t before = submitted(a);
	ea_engine *e = NULL;
	ea_status st = engine_for(a, iface, &e, errbuf, errlen);
	if (st != EA_OK)
		return st;
	ea_engine_frame(e, frame);
	return live_done(a, before, errbuf, errlen);
}

ea_status ea_audit_tick(ea_audit *a, uint64_t now_us, char *errbuf, size_t errlen)
{
	uint64_t before = submitted(a);
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		if (a->engines[i])
			ea_engine_tick(a->engines[i], now_us);
	return live_done(a, before, errbuf, errlen);
}

void ea_audit_set_ruleset(ea_audit *a, const ea_ruleset *rs, int64_t run_id)
{
	const ea_ruleset *old = a->cfg.ruleset;
	a->cfg.ruleset = ea_ruleset_ref(rs);
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		if (a->engines[i])
			ea_engine_set_ruleset(a->engines[i], rs);
	if (a->writer && run_id != a->cfg.run_id && !a->cfg.live) {
		sync_writer(a);
		ea_writer_set_run(a->writer, run_id);
	}
	a->cfg.run_id = run_id;
	ea_ruleset_unref(old);
}

ea_status ea_audit_finish(ea_audit *a, char *errbuf, size_t errlen)
{
	/* Capture has stopped: every open flow ends at once, more than the
	 * queue may hold, and nothing is left to protect by not waiting. */
	if (a->writer && a->cfg.live)
		ea_writer_wait_for_room(a->writer, a->cfg.stop_wait_us ? a->cfg.stop_wait_us
								       : EA_WRITER_CLOSE_WAIT_US);
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		if (a->engines[i])
			ea_engine_flush(a->engines[i], a->cfg.live ? EA_END_SHUTDOWN : EA_END_EOF);
	/* Live, the wait for the database is ea_audit_close_writer's, which
	 * gives up after EA_WRITER_CLOSE_WAIT_US: a sync here would wait as
	 * long as the database stays locked. */
	if (!a->cfg.live)
		sync_writer(a);
	if (a->store_status != EA_OK)
		return ea_fail(a->store_status, errbuf, errlen, "%s", a->store_err);
	return EA_OK;
}

bool ea_audit_store_call(ea_audit *a, ea_writer_job_fn job, const void *arg, size_t len)
{
	return a->writer && ea_writer_call(a->writer, job, arg, len);
}

bool ea_audit_store_call_unordered(ea_audit *a, ea_writer_job_fn job, const void *arg, size_t len)
{
	return a->writer && ea_writer_call_unordered(a->writer, job, arg, len);
}

ea_writer_stats ea_audit_writer_stats(ea_audit *a)
{
	return a->writer ? ea_writer_get_stats(a->writer) : a->closed_stats;
}

ea_status ea_audit_close_writer(ea_audit *a, char *errbuf, size_t errlen)
{
	ea_status st = ea_writer_close_stats(a->writer, &a->closed_stats, errbuf, errlen);
	a->writer = NULL;
	return st;
}

const ea_totals *ea_audit_iface_totals(ea_audit *a, ea_iface iface)
{
	unsigned i = (unsigned)iface;
	return i < EA_IFACE_COUNT && a->engines[i] ? ea_engine_totals(a->engines[i]) : NULL;
}

const ea_audit_totals *ea_audit_get_totals(ea_audit *a)
{
	memset(&a->totals, 0, sizeof a->totals);
	for (int i = 0; i < EA_IFACE_COUNT; i++) {
		if (!a->engines[i])
			continue;
		ea_totals t = *ea_engine_totals(a->engines[i]);
		a->totals.packets += t.packets;
		a->totals.bytes += t.bytes;
		a->totals.decoded += t.decoded;
		for (int k = 0; k < EA_ANOMALY_COUNT; k++)
			a->totals.anomalies[k] += t.anomalies[k];
		a->totals.flows += t.flows;
		for (int k = 0; k < EA_VERDICT_COUNT; k++)
			a->totals.verdicts[k] += t.verdicts[k];
		a->totals.attempts += t.attempts;
		a->totals.evicted += t.evicted;
		a->totals.updates += t.updates;
		a->totals.updates_unchanged += t.updates_unchanged;
		a->totals.peak_flows += t.peak_flows;
		for (int k = 0; k < EA_IFACE_COUNT; k++)
			a->totals.duplicates[k] += t.duplicates[k];
	}
	return &a->totals;
}
