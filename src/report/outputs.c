/* outputs.c — EVE file and findings log behind one flow hook; see outputs.h. */
#include "report/outputs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"

struct ea_outputs {
	pthread_mutex_t lock;        /* every call below holds it */
	const ea_ruleset *ruleset;   /* our reference */
	ea_eve *eve;
	ea_findings *findings;
	char eve_shown[256];
	char target_shown[300];
};

ea_status ea_outputs_open(const ea_outputs_config *cfg, ea_outputs **out, char *errbuf, size_t errlen)
{
	ea_status st = EA_OK;
	ea_outputs *o = calloc(1, sizeof *o);
	if (!o)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	pthread_mutex_init(&o->lock, NULL);
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
	*out = o;
	return EA_OK;
fail:
	ea_outputs_close(o, NULL, 0);
	return st;
}

void ea_outputs_flow(void *ctx, const ea_flow_record *rec, const ea_match_result *mr)
{
	ea_outputs *o = ctx;
	if (!o)
		return;
	pthread_mutex_lock(&o->lock);
	const ea_matrix *m = o->ruleset ? ea_ruleset_matrix(o->ruleset) : NULL;
	if (o->findings)
		ea_findings_flow(o->findings, rec, mr, m);
	if (o->eve)
		ea_eve_write(o->eve, rec, mr, m);
	pthread_mutex_unlock(&o->lock);
}

void ea_outputs_set_ruleset(ea_outputs *o, const ea_ruleset *rs)
{
	pthread_mutex_lock(&o->lock);
	const ea_ruleset *old = o->ruleset;
	o->ruleset = rs ? ea_ruleset_ref(rs) : NULL;
	pthread_mutex_unlock(&o->lock);
	ea_ruleset_unref(old);
}

ea_status ea_outputs_chown(ea_outputs *o, uid_t uid, gid_t gid, char *errbuf, size_t errlen)
{
	if (!o || !o->eve)
		return EA_OK;
	pthread_mutex_lock(&o->lock);
	ea_status st = ea_eve_chown(o->eve, uid, gid, errbuf, errlen);
	pthread_mutex_unlock(&o->lock);
	return st;
}

ea_status ea_outputs_reopen(ea_outputs *o, char *errbuf, size_t errlen)
{
	if (!o || !o->eve)
		return EA_OK;
	pthread_mutex_lock(&o->lock);
	ea_status st = ea_eve_reopen(o->eve, errbuf, errlen);
	pthread_mutex_unlock(&o->lock);
	return st;
}

void ea_outputs_flush(ea_outputs *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->lock);
	ea_findings_flush(o->findings);
	pthread_mutex_unlock(&o->lock);
}

const char *ea_outputs_warning(const ea_outputs *o)
{
	return o && o->findings ? ea_findings_warning(o->findings) : "";
}

/* The getters read counters that the emitting threads change. */
static void lock_const(const ea_outputs *o)
{
	pthread_mutex_lock((pthread_mutex_t *)&o->lock);
}

static void unlock_const(const ea_outputs *o)
{
	pthread_mutex_unlock((pthread_mutex_t *)&o->lock);
}

void ea_outputs_summary(const ea_outputs *o, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!o)
		return;
	lock_const(o);
	size_t n = 0;
	if (o->eve) {
		ea_eve_stats es = ea_eve_get_stats(o->eve);
		n += (size_t)snprintf(buf, size, "EVE: %llu lines to %s", (unsigned long long)es.lines,
				      o->eve_shown);
		if (es.failed && n < size)
			n += (size_t)snprintf(buf + n, size - n, " (%llu not written)", (unsigned long long)es.failed);
	}
	if (o->findings && n < size) {
		ea_findings_stats fs = ea_findings_get_stats(o->findings);
		/* "logged" would claim delivery: a line for an unreachable
		 * collector was made, counted and not sent. */
		snprintf(buf + n, size - n, "%sfindings: %llu (%llu lines for %s, %llu held back by the rate "
			 "limits); %llu syslog lines not sent", n ? "; " : "", (unsigned long long)fs.findings,
			 (unsigned long long)fs.logged, o->target_shown, (unsigned long long)fs.suppressed,
			 (unsigned long long)fs.unsent);
	}
	unlock_const(o);
}

uint64_t ea_outputs_eve_failed(const ea_outputs *o, const char **why)
{
	if (!o || !o->eve)
		return 0;
	lock_const(o);
	if (why)
		*why = ea_eve_last_error(o->eve);
	uint64_t n = ea_eve_get_stats(o->eve).failed;
	unlock_const(o);
	return n;
}

uint64_t ea_outputs_syslog_unsent(const ea_outputs *o, const char **why)
{
	if (!o || !o->findings)
		return 0;
	lock_const(o);
	if (why)
		*why = ea_findings_last_error(o->findings);
	uint64_t n = ea_findings_get_stats(o->findings).unsent;
	unlock_const(o);
	return n;
}

ea_status ea_outputs_close(ea_outputs *o, char *errbuf, size_t errlen)
{
	if (!o)
		return EA_OK;
	ea_findings_close(o->findings);
	ea_status st = ea_eve_close(o->eve, errbuf, errlen);
	ea_ruleset_unref(o->ruleset);
	pthread_mutex_destroy(&o->lock);
	free(o);
	return st;
}
