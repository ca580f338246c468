/* log.c — stderr or syslog, severities, per-key rate limits; see log.h. */
#include "util/log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "util/ea_limits.h"
#include "util/escape.h"

typedef struct {
	char key[EA_LOG_KEY_MAX + 1];
	bool used;
	ea_log_level level;      /* of the last message: the summary line's */
	uint64_t window_start;   /* µs, the log's clock */
	uint64_t last_used;      /* µs: the least recently used key gives way */
	unsigned passed;         /* messages written in this window */
	uint64_t suppressed;     /* messages counted, not written, in this window */
} key_state;

struct ea_log {
	ea_log_options opt;
	bool syslog_open;
	uint64_t suppressed_total;
	key_state keys[EA_LOG_KEYS];
};

static uint64_t monotonic_us(void *arg)
{
	(void)arg;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

ea_status ea_log_new(const ea_log_options *opt, ea_log **out, char *errbuf, size_t errlen)
{
	ea_log *lg = calloc(1, sizeof *lg);
	if (!lg)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	lg->opt = *opt;
	if (!lg->opt.max_level)
		lg->opt.max_level = EA_LOG_INFO;
	if (!lg->opt.burst)
		lg->opt.burst = EA_LOG_DEFAULT_BURST;
	if (!lg->opt.interval_us)
		lg->opt.interval_us = EA_LOG_DEFAULT_INTERVAL_US;
	if (!lg->opt.clock_us)
		lg->opt.clock_us = monotonic_us;
	if (lg->opt.sink == EA_LOG_TO_WRITER && !lg->opt.writer) {
		free(lg);
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "a writer log needs its writer");
	}
	if (!lg->opt.facility)
		lg->opt.facility = LOG_DAEMON;
	if (lg->opt.sink == EA_LOG_TO_SYSLOG) {
		/* LOG_NDELAY: connect now, while the program may still open
		 * /dev/log (before it drops privileges or chroots). */
		openlog(lg->opt.ident ? lg->opt.ident : "edgeaudit", LOG_PID | LOG_NDELAY, lg->opt.facility);
		lg->syslog_open = true;
	}
	*out = lg;
	return EA_OK;
}

static const char *level_word(ea_log_level level)
{
	switch (level) {
	case EA_LOG_ERROR: return "";
	case EA_LOG_WARNING: return "warning: ";
	case EA_LOG_NOTICE: return "notice: ";
	case EA_LOG_INFO: return "";
	case EA_LOG_DEBUG: return "debug: ";
	}
	return "";
}

/* One line out, escaped: a newline or an escape in the text prints in
 * wire form, so nothing from a file or the wire shapes the log. */
static void emit(ea_log *lg, ea_log_level level, const char *key, uint64_t suppressed, const char *text)
{
	char line[4 * EA_LOG_LINE_MAX + 1];
	const char *safe = ea_doc_text(text, line, sizeof line);
	if (lg->opt.sink == EA_LOG_TO_WRITER) {
		lg->opt.writer(lg->opt.writer_arg, level, key, suppressed, safe);
		return;
	}
	if (lg->opt.sink == EA_LOG_TO_SYSLOG) {
		syslog(level, "%s%s", level_word(level), safe);
		return;
	}
	FILE *out = lg->opt.stream ? lg->opt.stream : stderr;
	fprintf(out, "%s%s%s%s\n", lg->opt.prefix ? lg->opt.prefix : "", lg->opt.prefix ? ": " : "",
		level_word(level), safe);
	fflush(out);
}

static void emit_suppressed(ea_log *lg, key_state *k, uint64_t now)
{
	if (!k->suppressed)
		return;
	char text[EA_LOG_KEY_MAX + 128];
	double secs = (double)(now - k->window_start) / 1e6;
	snprintf(text, sizeof text, "%s: %llu more like it suppressed in %.0f s", k->key,
		 (unsigned long long)k->suppressed, secs);
	emit(lg, k->level, k->key, k->suppressed, text);
	k->suppressed = 0;
}

static key_state *find_key(ea_log *lg, const char *key, uint64_t now)
{
	key_state *free_slot = NULL, *oldest = NULL;
	for (unsigned i = 0; i < EA_LOG_KEYS; i++) {
		key_state *k = &lg->keys[i];
		if (!k->used) {
			if (!free_slot)
				free_slot = k;
			continue;
		}
		if (strncmp(k->key, key, EA_LOG_KEY_MAX) == 0)
			return k;
		if (!oldest || k->last_used < oldest->last_used)
			oldest = k;
	}
	key_state *k = free_slot;
	if (!k) {
		/* Full: the key unheard of longest gives way, after its
		 * count is written so nothing suppressed goes unsaid. */
		k = oldest;
		emit_suppressed(lg, k, now);
	}
	memset(k, 0, sizeof *k);
	k->used = true;
	snprintf(k->key, sizeof k->key, "%s", key);
	k->window_start = now;
	return k;
}

bool ea_log_msg(ea_log *lg, ea_log_level level, const char *key, const char *fmt, ...)
{
	if (!lg || level > lg->opt.max_level)
		return false;
	char text[EA_LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (!key) {
		emit(lg, level, NULL, 0, text);
		return true;
	}
	uint64_t now = lg->opt.clock_us(lg->opt.clock_arg);
	key_state *k = find_key(lg, key, now);
	k->last_used = now;
	k->level = level;
	if (now - k->window_start >= lg->opt.interval_us) {
		emit_suppressed(lg, k, now);
		k->window_start = now;
		k->passed = 0;
	}
	if (k->passed >= lg->opt.burst) {
		k->suppressed++;
		lg->suppressed_total++;
		return false;
	}
	k->passed++;
	emit(lg, level, key, 0, text);
	return true;
}

void ea_log_flush(ea_log *lg)
{
	if (!lg)
		return;
	uint64_t now = lg->opt.clock_us(lg->opt.clock_arg);
	for (unsigned i = 0; i < EA_LOG_KEYS; i++) {
		key_state *k = &lg->keys[i];
		if (!k->used)
			continue;
		emit_suppressed(lg, k, now);
		k->window_start = now;
		k->passed = 0;
	}
}

uint64_t ea_log_suppressed(const ea_log *lg)
{
	return lg ? lg->suppressed_total : 0;
}

void ea_log_free(ea_log *lg)
{
	if (!lg)
		return;
	ea_log_flush(lg);
	if (lg->syslog_open)
		closelog();
	free(lg);
}
