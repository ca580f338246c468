/* log.h — messages to the operator: stderr or syslog, with severities and
 * rate limiting.
 *
 * A sensor that runs for months must not flood its log when one fault
 * repeats for every packet or every retry: each message may carry a key
 * (a finding group, "db-locked", an interface name), and per key at most
 * `burst` messages pass in each `interval_us` window; the rest are counted
 * and reported as one line ("… N more suppressed") when the key speaks
 * again after its window, or at ea_log_flush(). Messages without a key are
 * never limited.
 *
 * Text is escaped as escape.h says: a message is one line; a file name or
 * wire text in it can neither forge a second line nor send a terminal
 * escape (the whole line prints in wire form then).
 *
 * Severities are RFC 5424's (§6.2.1): error 3, warning 4, notice 5, info 6,
 * debug 7. The syslog sink goes through syslog(3) with the configured
 * facility; the writer sink hands each line to the caller (the findings
 * log formats RFC 5424 itself and sends it where --syslog says, and so
 * shares this rate limiter). Not thread-safe: one ea_log per thread, or the caller's lock.
 * Pipeline position: beside every stage, owned by the program's entry. */
#ifndef EA_LOG_H
#define EA_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

typedef enum {
	EA_LOG_ERROR = 3,
	EA_LOG_WARNING = 4,
	EA_LOG_NOTICE = 5,
	EA_LOG_INFO = 6,
	EA_LOG_DEBUG = 7,
} ea_log_level;

typedef enum { EA_LOG_TO_STREAM = 0, EA_LOG_TO_SYSLOG, EA_LOG_TO_WRITER } ea_log_sink;

/* EA_LOG_TO_WRITER's output: one escaped line. key is the message's key
 * (NULL for unkeyed messages); suppressed is 0 for a message, N for the
 * line that reports N messages of that key held back. */
typedef void (*ea_log_writer)(void *arg, ea_log_level level, const char *key, uint64_t suppressed,
			      const char *line);

typedef struct {
	ea_log_sink sink;
	FILE *stream;           /* EA_LOG_TO_STREAM: borrowed; NULL = stderr */
	const char *prefix;     /* stream lines start "prefix: " ("edgeaudit"); borrowed */
	const char *ident;      /* syslog ident; borrowed for the log's life */
	int facility;           /* syslog facility (LOG_DAEMON, LOG_LOCAL0, …); 0 = LOG_DAEMON */
	ea_log_level max_level; /* messages above it (less severe) are dropped; 0 = info */
	unsigned burst;         /* per key and window; 0 = EA_LOG_DEFAULT_BURST */
	uint64_t interval_us;   /* the window; 0 = EA_LOG_DEFAULT_INTERVAL_US */
	/* Monotonic clock in µs; NULL = CLOCK_MONOTONIC (tests inject one). */
	uint64_t (*clock_us)(void *arg);
	void *clock_arg;
	ea_log_writer writer;   /* EA_LOG_TO_WRITER: required */
	void *writer_arg;
} ea_log_options;

typedef struct ea_log ea_log;

/* EA_ERR_NOMEM; EA_ERR_INTERNAL for a writer sink without a writer. opt is copied; its strings and stream are borrowed. */
ea_status ea_log_new(const ea_log_options *opt, ea_log **out, char *errbuf, size_t errlen);

/* Logs one message at level. key NULL: never rate-limited; else limited
 * per key (the key is copied, at most EA_LOG_KEY_MAX bytes are compared).
 * Returns true when the line was written, false when it was dropped by
 * level or suppressed by the limit. */
bool ea_log_msg(ea_log *lg, ea_log_level level, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes the pending "N suppressed" lines of every key (at exit, on
 * SIGUSR1) and starts their windows afresh. */
void ea_log_flush(ea_log *lg);

/* Messages suppressed so far, all keys (for run summaries and tests). */
uint64_t ea_log_suppressed(const ea_log *lg);

/* Flushes, closes syslog if opened, frees. NULL is fine. */
void ea_log_free(ea_log *lg);

#endif
