/* outputs.c — EVE file and findings log behind one flow hook; see outputs.h.
 *
 * Async mode (a sensor): the hook copies the record into a bounded ring
 * and returns; one thread takes records from it and makes the lines. The
 * sinks have a lock each (findings, EVE), so a reopen of the EVE file
 * never waits for a syslog send. Counters for the getters are a snapshot
 * the processing side refreshes after each record, under the queue's
 * lock: a getter never waits on a sink either. */
#include "report/outputs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ea_limits.h"
#include "util/escape.h"

typedef struct {
	ea_flow_record rec;
	ea_match_result mr;
	const ea_ruleset *ruleset;   /* a reference taken when queued */
} item;

struct ea_outputs {
	pthread_mutex_t findings_lock; /* around findings (a send may take EA_SYSLOG_SEND_TIMEOUT_MS) */
	pthread_mutex_t eve_lock;      /* around eve */
	ea_eve *eve;
	ea_findings *findings;
	char eve_shown[256];
	char target_shown[300];

	pthread_mutex_t qlock;       /* the ring, ruleset and snapshot below */
	const ea_ruleset *ruleset;   /* our reference: judges what is queued from now on */
	bool async;
	pthread_t thread;
	bool started;
	pthread_cond_t work;         /* the thread waits here */
	pthread_cond_t idle;         /* ea_outputs_drain waits here */
	item *ring;
	unsigned capacity;
	uint64_t head, tail;         /* [head, tail) queued; slot = counter % capacity */
	bool stopping, flush_wanted;
	uint64_t dropped[EA_IFACE_COUNT];
	/* Snapshot of the sinks' counters and messages. */
	ea_eve_stats eve_stats;
	ea_findings_stats findings_stats;
	char warning[512], syslog_error[512], eve_error[512];
	char reopen_error[512];      /* the last failed reopen's reason; "" after a good one */
};

/* Copies the sinks' counters for the getters (qlock taken here). Called
 * by whoever just used the sinks, holding neither sink lock. */
static void snapshot(ea_outputs *o)
{
	ea_eve_stats es = {0};
	char eve_error[512] = "";
	if (o->eve) {
		pthread_mutex_lock(&o->eve_lock);
		es = ea_eve_get_stats(o->eve);
		snprintf(eve_error, sizeof eve_error, "%s", ea_eve_last_error(o->eve));
		pthread_mutex_unlock(&o->eve_lock);
	}
	ea_findings_stats fs = {0};
	char warning[512] = "", syslog_error[512] = "";
	if (o->findings) {
		pthread_mutex_lock(&o->findings_lock);
		fs = ea_findings_get_stats(o->findings);
		snprintf(warning, sizeof warning, "%s", ea_findings_warning(o->findings));
		snprintf(syslog_error, sizeof syslog_error, "%s", ea_findings_last_error(o->findings));
		pthread_mutex_unlock(&o->findings_lock);
	}
	pthread_mutex_lock(&o->qlock);
	o->eve_stats = es;
	o->findings_stats = fs;
	memcpy(o->eve_error, eve_error, sizeof eve_error);
	memcpy(o->warning, warning, sizeof warning);
	memcpy(o->syslog_error, syslog_error, sizeof syslog_error);
	pthread_mutex_unlock(&o->qlock);
}

/* One record through both sinks, judged by rs's matrix. */
static void emit(ea_outputs *o, const ea_flow_record *rec, const ea_match_result *mr, const ea_ruleset *rs)
{
	const ea_matrix *m = rs ? ea_ruleset_matrix(rs) : NULL;
	if (o->findings) {
		pthread_mutex_lock(&o->findings_lock);
		ea_findings_flow(o->findings, rec, mr, m);
		pthread_mutex_unlock(&o->findings_lock);
	}
	if (o->eve) {
		pthread_mutex_lock(&o->eve_lock);
		ea_eve_write(o->eve, rec, mr, m);
		pthread_mutex_unlock(&o->eve_lock);
	}
}

static void flush_findings(ea_outputs *o)
{
	if (!o->findings)
		return;
	pthread_mutex_lock(&o->findings_lock);
	ea_findings_flush(o->findings);
	pthread_mutex_unlock(&o->findings_lock);
}

static void *outputs_main(void *arg)
{
	ea_outputs *o = arg;
	pthread_mutex_lock(&o->qlock);
	for (;;) {
		while (o->head == o->tail && !o->flush_wanted && !o->stopping) {
			pthread_cond_broadcast(&o->idle);
			pthread_cond_wait(&o->work, &o->qlock);
		}
		if (o->head != o->tail) {
			/* The slot is ours until head moves: the hook only fills
			 * slots from tail on, with room checked against head. */
			item *it = &o->ring[o->head % o->capacity];
			pthread_mutex_unlock(&o->qlock);
			emit(o, &it->rec, &it->mr, it->ruleset);
			ea_ruleset_unref(it->ruleset);
			snapshot(o);
			pthread_mutex_lock(&o->qlock);
			o->head++;
			continue;
		}
		if (o->flush_wanted) {
			o->flush_wanted = false;
			pthread_mutex_unlock(&o->qlock);
			flush_findings(o);
			snapshot(o);
			pthread_mutex_lock(&o->qlock);
			continue;
		}
		break; /* stopping, and everything queued is written */
	}
	pthread_cond_broadcast(&o->idle);
	pthread_mutex_unlock(&o->qlock);
	return NULL;
}

ea_status ea_outputs_open(const ea_outputs_config *cfg, ea_outputs **out, char *errbuf, size_t errlen)
{
	ea_status st = EA_OK;
	ea_outputs *o = calloc(1, sizeof *o);
	if (!o)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	pthread_mutex_init(&o->findings_lock, NULL);
	pthread_mutex_init(&o->eve_lock, NULL);
	pthread_mutex_init(&o->qlock, NULL);
	pthread_cond_init(&o->work, NULL);
	pthread_cond_init(&o->idle, NULL);
	o->ruleset = cfg->ruleset ? ea_ruleset_ref(cfg->ruleset) : NULL;
	if (cfg->syslog_target) {
		ea_findings_options fo = {0};
		const char *facility = cfg->syslog_facility ? cfg->syslog_facility : "local0";
		if (!ea_syslog_facility_parse(facility, &fo.facility)) {
			char shown[64];
			st = ea_fail(EA_ERR_USAGE, errbuf, errlen, "--syslog-facility %s: expected kern, user, "
				     "mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp or "
				     "local0 to local7", ea_escape(facility, shown, sizeof shown));
			goto fail;
		}
		st = ea_syslog_target_parse(cfg->syslog_target, &fo.target, errbuf, errlen);
		if (st == EA_OK)
			st = ea_findings_open(&fo, &o->findings, errbuf, errlen);
		if (st != EA_OK)
			goto fail;
		ea_escape(cfg->syslog_target, o->target_shown, sizeof o->target_shown);
	}
	if (cfg->eve_path) {
		st = ea_eve_open(cfg->eve_path, NULL, &o->eve, errbuf, errlen);
		if (st != EA_OK)
			goto fail;
		ea_escape(cfg->eve_path, o->eve_shown, sizeof o->eve_shown);
	}
	snapshot(o);
	if (cfg->async && (o->eve || o->findings)) {
		o->capacity = cfg->queue_records ? cfg->queue_records : EA_OUTPUT_QUEUE_RECORDS;
		o->ring = calloc(o->capacity, sizeof *o->ring);
		if (!o->ring) {
			st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory for the output queue (%u records)",
				     o->capacity);
			goto fail;
		}
		o->async = true; /* the thread starts at ea_outputs_start */
	}
	*out = o;
	return EA_OK;
fail:
	ea_outputs_close(o, NULL, 0);
	return st;
}

ea_status ea_outputs_start(ea_outputs *o, char *errbuf, size_t errlen)
{
	if (!o || !o->async || o->started)
		return EA_OK;
	int rc = pthread_create(&o->thread, NULL, outputs_main, o);
	if (rc != 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "cannot start the output thread: %s", strerror(rc));
	o->started = true;
	return EA_OK;
}

void ea_outputs_flow(void *ctx, const ea_flow_record *rec, const ea_match_result *mr)
{
	ea_outputs *o = ctx;
	if (!o)
		return;
	pthread_mutex_lock(&o->qlock);
	if (!o->async) {
		const ea_ruleset *rs = o->ruleset ? ea_ruleset_ref(o->ruleset) : NULL;
		pthread_mutex_unlock(&o->qlock);
		emit(o, rec, mr, rs);
		ea_ruleset_unref(rs);
		snapshot(o);
		return;
	}
	if (o->tail - o->head >= o->capacity) {
		o->dropped[(unsigned)rec->iface < EA_IFACE_COUNT ? (unsigned)rec->iface : 0]++;
		pthread_mutex_unlock(&o->qlock);
		return;
	}
	item *it = &o->ring[o->tail % o->capacity];
	it->rec = *rec;
	it->mr = *mr;
	it->ruleset = o->ruleset ? ea_ruleset_ref(o->ruleset) : NULL;
	bool wake = o->tail == o->head;
	o->tail++;
	pthread_mutex_unlock(&o->qlock);
	if (wake)
		pthread_cond_signal(&o->work);
}

void ea_outputs_set_ruleset(ea_outputs *o, const ea_ruleset *rs)
{
	pthread_mutex_lock(&o->qlock);
	const ea_ruleset *old = o->ruleset;
	o->ruleset = rs ? ea_ruleset_ref(rs) : NULL;
	pthread_mutex_unlock(&o->qlock);
	ea_ruleset_unref(old);
}

ea_status ea_outputs_chown(ea_outputs *o, uid_t uid, gid_t gid, char *errbuf, size_t errlen)
{
	if (!o || !o->eve)
		return EA_OK;
	pthread_mutex_lock(&o->eve_lock);
	ea_status st = ea_eve_chown(o->eve, uid, gid, errbuf, errlen);
	pthread_mutex_unlock(&o->eve_lock);
	return st;
}

ea_status ea_outputs_reopen(ea_outputs *o, char *errbuf, size_t errlen)
{
	if (!o || !o->eve)
		return EA_OK;
	char why[512] = "";
	pthread_mutex_lock(&o->eve_lock);
	ea_status st = ea_eve_reopen(o->eve, why, sizeof why);
	pthread_mutex_unlock(&o->eve_lock);
	pthread_mutex_lock(&o->qlock);
	snprintf(o->reopen_error, sizeof o->reopen_error, "%s", st == EA_OK ? "" : why);
	pthread_mutex_unlock(&o->qlock);
	if (st != EA_OK)
		ea_fail(st, errbuf, errlen, "%s", why);
	return st;
}

void ea_outputs_flush(ea_outputs *o)
{
	if (!o)
		return;
	if (o->started) {
		pthread_mutex_lock(&o->qlock);
		o->flush_wanted = true;
		pthread_mutex_unlock(&o->qlock);
		pthread_cond_signal(&o->work);
		return;
	}
	flush_findings(o);
	snapshot(o);
}

void ea_outputs_drain(ea_outputs *o)
{
	if (!o || !o->started)
		return;
	pthread_mutex_lock(&o->qlock);
	o->flush_wanted = true;
	pthread_cond_signal(&o->work);
	while (o->head != o->tail || o->flush_wanted)
		pthread_cond_wait(&o->idle, &o->qlock);
	pthread_mutex_unlock(&o->qlock);
}

const char *ea_outputs_warning(const ea_outputs *o)
{
	return o && o->findings ? o->warning : "";
}

/* The getters read the snapshot, which the processing side changes. */
static void lock_const(const ea_outputs *o)
{
	pthread_mutex_lock((pthread_mutex_t *)&o->qlock);
}

static void unlock_const(const ea_outputs *o)
{
	pthread_mutex_unlock((pthread_mutex_t *)&o->qlock);
}

void ea_outputs_summary(const ea_outputs *o, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!o)
		return;
	lock_const(o);
	size_t n = 0;
	if (o->eve) {
		ea_eve_stats es = o->eve_stats;
		if (o->reopen_error[0])
			/* The lines still go to the file opened before the
			 * failed reopen (logrotate renamed it), not to the
			 * path given. */
			n += (size_t)snprintf(buf, size, "EVE: %llu lines, to the file opened before the last "
					      "reopen (reopening %s failed: %s)", (unsigned long long)es.lines,
					      o->eve_shown, o->reopen_error);
		else
			n += (size_t)snprintf(buf, size, "EVE: %llu lines to %s", (unsigned long long)es.lines,
					      o->eve_shown);
		if (es.failed && n < size)
			n += (size_t)snprintf(buf + n, size - n, " (%llu not written)", (unsigned long long)es.failed);
	}
	if (o->findings && n < size) {
		ea_findings_stats fs = o->findings_stats;
		/* "logged" would claim delivery: a line for an unreachable
		 * collector was made, counted and not sent. */
		n += (size_t)snprintf(buf + n, size - n, "%sfindings: %llu (%llu lines for %s, %llu held back by "
				      "the rate limits); %llu syslog lines not sent", n ? "; " : "",
				      (unsigned long long)fs.findings, (unsigned long long)fs.logged, o->target_shown,
				      (unsigned long long)fs.suppressed, (unsigned long long)fs.unsent);
	}
	if (o->async && n < size) {
		uint64_t d = 0;
		for (int i = 0; i < EA_IFACE_COUNT; i++)
			d += o->dropped[i];
		snprintf(buf + n, size - n, "; %llu flow records not given to the outputs (output queue full)",
			 (unsigned long long)d);
	}
	unlock_const(o);
}

uint64_t ea_outputs_dropped(const ea_outputs *o, ea_iface iface)
{
	if (!o || (unsigned)iface >= EA_IFACE_COUNT)
		return 0;
	lock_const(o);
	uint64_t n = o->dropped[iface];
	unlock_const(o);
	return n;
}

uint64_t ea_outputs_eve_failed(const ea_outputs *o, const char **why)
{
	if (!o || !o->eve)
		return 0;
	lock_const(o);
	if (why)
		*why = o->eve_error;
	uint64_t n = o->eve_stats.failed;
	unlock_const(o);
	return n;
}

uint64_t ea_outputs_syslog_unsent(const ea_outputs *o, const char **why)
{
	if (!o || !o->findings)
		return 0;
	lock_const(o);
	if (why)
		*why = o->syslog_error;
	uint64_t n = o->findings_stats.unsent;
	unlock_const(o);
	return n;
}

ea_status ea_outputs_close(ea_outputs *o, char *errbuf, size_t errlen)
{
	if (!o)
		return EA_OK;
	if (o->started) {
		/* What is queued is written first: the outputs never lose a
		 * record they took. */
		pthread_mutex_lock(&o->qlock);
		o->stopping = true;
		o->flush_wanted = true;
		pthread_mutex_unlock(&o->qlock);
		pthread_cond_signal(&o->work);
		pthread_join(o->thread, NULL);
	}
	for (uint64_t i = o->head; i < o->tail; i++)
		ea_ruleset_unref(o->ring[i % o->capacity].ruleset);
	free(o->ring);
	ea_findings_close(o->findings);
	ea_status st = ea_eve_close(o->eve, errbuf, errlen);
	ea_ruleset_unref(o->ruleset);
	pthread_cond_destroy(&o->work);
	pthread_cond_destroy(&o->idle);
	pthread_mutex_destroy(&o->qlock);
	pthread_mutex_destroy(&o->eve_lock);
	pthread_mutex_destroy(&o->findings_lock);
	free(o);
	return st;
}
