/* syslog5424.h — messages to a syslog collector, in RFC 5424's format,
 * over the transport the operator names (--syslog TARGET).
 *
 * glibc's syslog(3) writes the old BSD format (RFC 3164: no year, no
 * time zone, no sub-second time) and only to the local socket; Debian has
 * no maintained C library that formats RFC 5424 (liblogging-stdlog is not
 * packaged in Debian 12), so this small module does, for findings that
 * must reach a SIEM with an exact time.
 *
 * Targets:
 *   stderr             one message per line on the stream;
 *   unix:PATH          a local datagram socket (/dev/log: rsyslog's
 *                      imuxsock; note that journald's /dev/log files the
 *                      whole RFC 5424 line as the message text);
 *   udp:HOST[:PORT]    one message per datagram (RFC 5426);
 *   tcp:HOST[:PORT]    octet-counting framing, "LEN SP MSG" (RFC 6587
 *                      §3.4.1), which any byte of the message survives.
 * HOST may be a name or an address, an IPv6 one in brackets
 * ("udp:[2001:db8::1]:514"); PORT defaults to 514.
 *
 * A collector that is away never stalls the caller for long: a TCP
 * connect waits at most EA_SYSLOG_CONNECT_TIMEOUT_MS, a send at most
 * EA_SYSLOG_SEND_TIMEOUT_MS; after a failure the next connect is tried
 * after a back-off (EA_SYSLOG_RETRY_MIN_MS doubling to _MAX_MS) and every
 * message that could not be sent meanwhile is counted (ea_syslog_stats),
 * not queued. Not thread-safe: one sender per thread, or the caller's
 * lock. Pipeline position: output, beside report; fed by findings.h. */
#ifndef EA_SYSLOG5424_H
#define EA_SYSLOG5424_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

typedef enum { EA_SYSLOG_STDERR = 0, EA_SYSLOG_UNIX, EA_SYSLOG_UDP, EA_SYSLOG_TCP } ea_syslog_transport;

typedef struct {
	ea_syslog_transport transport;
	char path[108];  /* unix: the socket's path (sun_path's size) */
	char host[256];  /* udp, tcp: name or address, without brackets */
	char port[8];    /* udp, tcp: service, "514" when not given */
} ea_syslog_target;

/* Parses "stderr", "unix:PATH", "udp:HOST[:PORT]", "tcp:HOST[:PORT]".
 * EA_ERR_USAGE with the reason in errbuf. */
ea_status ea_syslog_target_parse(const char *text, ea_syslog_target *out, char *errbuf, size_t errlen);

/* The facility code (RFC 5424 §6.2.1, table 1) of a name as syslog.conf
 * spells it: "kern" 0, "user" 1, … "daemon" 3, "auth" 4, … "local0" 16 …
 * "local7" 23. False for an unknown name. */
bool ea_syslog_facility_parse(const char *name, int *code);

/* Formats one RFC 5424 message into buf (size bytes, NUL included):
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG
 * PRI = facility * 8 + severity; TIMESTAMP from time_us (µs since the
 * epoch) in UTC with six fraction digits; header fields cut to their RFC
 * lengths, bytes outside printable US-ASCII replaced by '_', empty ones
 * as the NILVALUE "-"; no structured data ("-": SD-IDs of our own would
 * need a private enterprise number). MSG as given when printable ASCII;
 * printable UTF-8 gets the BOM §6.4 asks for; anything else is written
 * in escape.h's wire form. A message longer than size is cut. Returns
 * the length written (without the NUL). */
size_t ea_syslog_format(char *buf, size_t size, int facility, int severity, uint64_t time_us,
			const char *hostname, const char *app_name, long procid, const char *msgid,
			const char *msg);

typedef struct {
	int facility;              /* code; e.g. 16 = local0 */
	const char *app_name;      /* "edgeaudit"; copied */
	const char *hostname;      /* NULL: gethostname(); copied */
	long procid;               /* 0: getpid() */
	FILE *stream;              /* EA_SYSLOG_STDERR: borrowed; NULL = stderr */
	/* Wall clock in µs since the epoch for TIMESTAMP; NULL = CLOCK_REALTIME. */
	uint64_t (*clock_us)(void *arg);
	void *clock_arg;
} ea_syslog_options;

typedef struct {
	uint64_t sent;             /* messages handed to the transport whole */
	uint64_t unsent;           /* messages dropped: no connection, refused, stalled */
	uint64_t connects;         /* connections made (TCP, unix), the first included */
	uint64_t connect_failures;
} ea_syslog_stats;

typedef struct ea_syslog ea_syslog;

/* Opens a sender. Names are resolved here, once (getaddrinfo may block;
 * a sensor opens before it captures). The first connect is tried too; its
 * failure is not an error (the collector may come later): the sender
 * retries with back-off, and ea_syslog_last_error says why.
 * EA_ERR_USAGE for a name that does not resolve; EA_ERR_IO for a socket
 * that cannot be made; EA_ERR_NOMEM. */
ea_status ea_syslog_open(const ea_syslog_target *t, const ea_syslog_options *opt, ea_syslog **out,
			 char *errbuf, size_t errlen);

/* Formats and sends one message (severity 0-7, msgid e.g. "unexpected").
 * True when it was handed to the transport whole; false when it was
 * counted as unsent. Waits at most the bounds above. */
bool ea_syslog_send(ea_syslog *s, int severity, const char *msgid, const char *msg);

/* True while a connection is up (always for stderr and UDP). */
bool ea_syslog_connected(const ea_syslog *s);
/* The last transport failure ("tcp:127.0.0.1:514: Connection refused"),
 * "" when none. Owned by s. */
const char *ea_syslog_last_error(const ea_syslog *s);
const ea_syslog_stats *ea_syslog_get_stats(const ea_syslog *s);
/* Closes the socket and frees. NULL is fine. */
void ea_syslog_close(ea_syslog *s);

#endif
