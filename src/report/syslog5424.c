/* syslog5424.c — RFC 5424 messages over stderr, a unix socket, UDP
 * (RFC 5426) or TCP (RFC 6587 octet counting); see syslog5424.h. */
#include "report/syslog5424.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/ea_limits.h"
#include "util/escape.h"

struct ea_syslog {
	ea_syslog_target target;
	ea_syslog_options opt;
	char app_name[49];   /* RFC 5424 §6.2.5: at most 48 */
	char hostname[256];  /* §6.2.4: at most 255 */
	struct addrinfo *addrs; /* udp, tcp: resolved once */
	int fd;              /* -1: not connected */
	uint64_t retry_at;   /* monotonic µs: no connect before */
	uint64_t backoff_ms;
	ea_syslog_stats stats;
	char last_error[320];
};

static uint64_t realtime_us(void *arg)
{
	(void)arg;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the target and the facility ------------------------------------- */

ea_status ea_syslog_target_parse(const char *text, ea_syslog_target *out, char *errbuf, size_t errlen)
{
	memset(out, 0, sizeof *out);
	char shown[96];
	ea_escape(text, shown, sizeof shown);
	if (strcmp(text, "stderr") == 0) {
		out->transport = EA_SYSLOG_STDERR;
		return EA_OK;
	}
	if (strncmp(text, "unix:", 5) == 0) {
		const char *path = text + 5;
		if (!*path || strlen(path) >= sizeof out->path)
			return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--syslog %s: a socket path of 1 to %zu bytes "
				       "is needed after unix:", shown, sizeof out->path - 1);
		out->transport = EA_SYSLOG_UNIX;
		memcpy(out->path, path, strlen(path) + 1);
		return EA_OK;
	}
	bool udp = strncmp(text, "udp:", 4) == 0, tcp = strncmp(text, "tcp:", 4) == 0;
	if (!udp && !tcp)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--syslog %s: expected stderr, unix:PATH, "
			       "udp:HOST[:PORT] or tcp:HOST[:PORT]", shown);
	out->transport = udp ? EA_SYSLOG_UDP : EA_SYSLOG_TCP;
	const char *h = text + 4, *host_end, *port = NULL;
	if (*h == '[') {
		/* RFC 3986's bracketed IPv6 literal: its colons are not the port's. */
		h++;
		host_end = strchr(h, ']');
		if (!host_end || (host_end[1] && host_end[1] != ':'))
			return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--syslog %s: an IPv6 address goes in "
				       "brackets, e.g. udp:[2001:db8::1]:514", shown);
		if (host_end[1] == ':')
			port = host_end + 2;
	} else {
		host_end = strrchr(h, ':');
		if (host_end && memchr(h, ':', (size_t)(host_end - h)))
			return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--syslog %s: put an IPv6 address in "
				       "brackets, e.g. udp:[2001:db8::1]:514", shown);
		if (host_end)
			port = host_end + 1;
		else
			host_end = h + strlen(h);
	}
	size_t hl = (size_t)(host_end - h);
	if (hl == 0 || hl >= sizeof out->host)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--syslog %s: a host is needed", shown);
	memcpy(out->host, h, hl);
	out->host[hl] = '\0';
	if (!port) {
		snprintf(out->port, sizeof out->port, "%s", EA_SYSLOG_DEFAULT_PORT);
		return EA_OK;
	}
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(port, &end, 10);
	if (!*port || *end || errno || n == 0 || n > 65535 || port[0] < '0' || port[0] > '9')
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--syslog %s: the port must be a number from 1 "
			       "to 65535", shown);
	snprintf(out->port, sizeof out->port, "%lu", n);
	return EA_OK;
}

bool ea_syslog_facility_parse(const char *name, int *code)
{
	/* RFC 5424 table 1, with the names of syslog.conf(5). */
	static const struct {
		const char *name;
		int code;
	} names[] = {
		{"kern", 0},    {"user", 1},    {"mail", 2},    {"daemon", 3},  {"auth", 4},
		{"syslog", 5},  {"lpr", 6},     {"news", 7},    {"uucp", 8},    {"cron", 9},
		{"authpriv", 10}, {"ftp", 11},  {"local0", 16}, {"local1", 17}, {"local2", 18},
		{"local3", 19}, {"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(name, names[i].name) == 0) {
			*code = names[i].code;
			return true;
		}
	}
	return false;
}

/* ---- the format -------------------------------------------------------- */

/* A header field: PRINTUSASCII (33-126) only, at most max bytes, "-" when
 * empty (RFC 5424 §6: NILVALUE). */
static size_t put_field(char *dst, const char *src, size_t max)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)(src ? src : ""); *p && n < max; p++)
		dst[n++] = *p >= 33 && *p <= 126 ? (char)*p : '_';
	if (n == 0)
		dst[n++] = '-';
	dst[n] = '\0';
	return n;
}

static bool printable_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

size_t ea_syslog_format(char *buf, size_t size, int facility, int severity, uint64_t time_us,
			const char *hostname, const char *app_name, long procid, const char *msgid,
			const char *msg)
{
	if (!buf || size == 0)
		return 0;
	char host[256], app[49], proc[24], id[33];
	put_field(host, hostname, 255);
	put_field(app, app_name, 48);
	snprintf(proc, sizeof proc, "%ld", procid);
	put_field(id, msgid, 32);

	time_t secs = (time_t)(time_us / 1000000u);
	struct tm tm;
	char stamp[80];
	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999)
		snprintf(stamp, sizeof stamp, "-");
	else
		snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (unsigned)(time_us % 1000000u));

	const char *text = msg ? msg : "";
	const char *bom = "";
	char wire[4 * EA_SYSLOG_MSG_MAX + 1];
	if (!printable_ascii(text)) {
		if (ea_utf8_printable(text))
			bom = "\xef\xbb\xbf"; /* §6.4: MSG-UTF8 starts with the BOM */
		else
			text = ea_escape(text, wire, sizeof wire);
	}
	unsigned pri = (unsigned)(facility & 0x1f) * 8u + (unsigned)(severity & 7);
	int n = snprintf(buf, size, "<%u>1 %s %s %s %s %s -%s%s%s", pri, stamp, host, app, proc, id,
			 *text ? " " : "", *text ? bom : "", text);
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* ---- the transports ---------------------------------------------------- */

static void set_error(ea_syslog *s, const char *what, int err)
{
	const ea_syslog_target *t = &s->target;
	char shown[280];
	if (t->transport == EA_SYSLOG_UNIX)
		ea_escape(t->path, shown, sizeof shown);
	else
		ea_escape(t->host, shown, sizeof shown);
	snprintf(s->last_error, sizeof s->last_error, "%s:%s%s%s: %s%s%s",
		 t->transport == EA_SYSLOG_UNIX ? "unix" : t->transport == EA_SYSLOG_UDP ? "udp" : "tcp",
		 shown, t->transport == EA_SYSLOG_UNIX ? "" : ":",
		 t->transport == EA_SYSLOG_UNIX ? "" : t->port, what, err ? ": " : "", err ? strerror(err) : "");
}

static void drop_connection(ea_syslog *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	uint64_t now = monotonic_us();
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : EA_SYSLOG_RETRY_MIN_MS;
	if (s->backoff_ms > EA_SYSLOG_RETRY_MAX_MS)
		s->backoff_ms = EA_SYSLOG_RETRY_MAX_MS;
	s->retry_at = now + s->backoff_ms * 1000u;
}

/* connect(2) on a non-blocking socket, waiting at most timeout_ms. */
static int connect_bounded(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return errno;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int r;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return ETIMEDOUT;
	if (r < 0)
		return errno;
	int err = 0;
	socklen_t el = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		return errno;
	return err;
}

static bool try_connect(ea_syslog *s)
{
	int err = 0;
	if (s->target.transport == EA_SYSLOG_UNIX) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		memcpy(sun.sun_path, s->target.path, strlen(s->target.path) + 1);
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			err = errno;
		} else if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
			err = errno;
			close(fd);
		} else {
			s->fd = fd;
		}
	} else {
		int type = s->target.transport == EA_SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM;
		for (const struct addrinfo *ai = s->addrs; ai && s->fd < 0; ai = ai->ai_next) {
			int fd = socket(ai->ai_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd < 0) {
				err = errno;
				continue;
			}
			/* UDP too is connected: a collector's ICMP port
			 * unreachable then shows as ECONNREFUSED on a send,
			 * and is counted. */
			err = connect_bounded(fd, ai->ai_addr, ai->ai_addrlen, EA_SYSLOG_CONNECT_TIMEOUT_MS);
			if (err) {
				close(fd);
				continue;
			}
			s->fd = fd;
		}
	}
	if (s->fd < 0) {
		s->stats.connect_failures++;
		set_error(s, "cannot connect", err);
		drop_connection(s);
		return false;
	}
	s->stats.connects++;
	s->backoff_ms = 0;
	return true;
}

/* A stream collector that went away (restarted) shows as end-of-file:
 * seen before a send, the message goes to a new connection instead of
 * being lost in the old one's buffer. */
static void notice_peer_close(ea_syslog *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	if (poll(&p, 1, 0) <= 0)
		return;
	char junk[256];
	ssize_t r = recv(s->fd, junk, sizeof junk, MSG_DONTWAIT);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		set_error(s, "the collector closed the connection", r < 0 ? errno : 0);
		close(s->fd);
		s->fd = -1;
		s->retry_at = 0; /* reconnect at once: it may be back already */
	}
}

/* Sends len bytes whole within EA_SYSLOG_SEND_TIMEOUT_MS. */
static bool send_all(ea_syslog *s, const char *p, size_t len)
{
	uint64_t deadline = monotonic_us() + EA_SYSLOG_SEND_TIMEOUT_MS * 1000ull;
	while (len > 0) {
		ssize_t w = send(s->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			uint64_t now = monotonic_us();
			if (now < deadline) {
				struct pollfd pf = {.fd = s->fd, .events = POLLOUT};
				int ms = (int)((deadline - now + 999) / 1000);
				if (poll(&pf, 1, ms) > 0)
					continue;
			}
			set_error(s, "the collector does not take messages in time", 0);
			return false;
		}
		set_error(s, "cannot send", w < 0 ? errno : EIO);
		return false;
	}
	return true;
}

ea_status ea_syslog_open(const ea_syslog_target *t, const ea_syslog_options *opt, ea_syslog **out,
			 char *errbuf, size_t errlen)
{
	ea_syslog *s = calloc(1, sizeof *s);
	if (!s)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	s->target = *t;
	s->opt = *opt;
	s->fd = -1;
	snprintf(s->app_name, sizeof s->app_name, "%s", opt->app_name ? opt->app_name : "edgeaudit");
	s->opt.app_name = s->app_name;
	if (opt->hostname)
		snprintf(s->hostname, sizeof s->hostname, "%s", opt->hostname);
	else if (gethostname(s->hostname, sizeof s->hostname) != 0)
		s->hostname[0] = '\0';
	s->hostname[sizeof s->hostname - 1] = '\0';
	s->opt.hostname = s->hostname;
	if (!s->opt.procid)
		s->opt.procid = (long)getpid();
	if (!s->opt.clock_us)
		s->opt.clock_us = realtime_us;
	if (t->transport == EA_SYSLOG_UDP || t->transport == EA_SYSLOG_TCP) {
		struct addrinfo hints = {.ai_family = AF_UNSPEC,
					 .ai_socktype = t->transport == EA_SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM};
		int r = getaddrinfo(t->host, t->port, &hints, &s->addrs);
		if (r != 0) {
			char shown[280];
			ea_escape(t->host, shown, sizeof shown);
			ea_syslog_close(s);
			return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--syslog: %s: %s", shown, gai_strerror(r));
		}
	}
	if (t->transport != EA_SYSLOG_STDERR)
		try_connect(s);
	*out = s;
	return EA_OK;
}

bool ea_syslog_send(ea_syslog *s, int severity, const char *msgid, const char *msg)
{
	if (!s)
		return false;
	/* Room for RFC 6587's "LEN " in front of the message. */
	char frame[16 + EA_SYSLOG_MSG_MAX + 2];
	char *m = frame + 16;
	size_t len = ea_syslog_format(m, EA_SYSLOG_MSG_MAX + 1, s->opt.facility, severity,
				      s->opt.clock_us(s->opt.clock_arg), s->hostname, s->app_name,
				      s->opt.procid, msgid, msg);
	if (s->target.transport == EA_SYSLOG_STDERR) {
		FILE *out = s->opt.stream ? s->opt.stream : stderr;
		m[len] = '\n';
		bool ok = fwrite(m, 1, len + 1, out) == len + 1 && fflush(out) == 0;
		s->stats.sent += ok;
		s->stats.unsent += !ok;
		return ok;
	}
	if (s->fd >= 0 && s->target.transport == EA_SYSLOG_TCP)
		notice_peer_close(s);
	if (s->fd < 0 && (monotonic_us() < s->retry_at || !try_connect(s))) {
		s->stats.unsent++;
		return false;
	}
	char *p = m;
	if (s->target.transport == EA_SYSLOG_TCP) {
		char head[16];
		int hl = snprintf(head, sizeof head, "%zu ", len);
		p = m - hl;
		memcpy(p, head, (size_t)hl);
		len += (size_t)hl;
	}
	bool ok;
	if (s->target.transport == EA_SYSLOG_TCP) {
		ok = send_all(s, p, len);
	} else {
		/* A datagram goes whole or not at all. */
		ssize_t w;
		do
			w = send(s->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		ok = w == (ssize_t)len;
		if (!ok)
			set_error(s, "cannot send", w < 0 ? errno : EMSGSIZE);
	}
	if (!ok) {
		s->stats.unsent++;
		/* A stream cut mid-frame cannot go on; a datagram socket can,
		 * but a unix one whose reader went away must reconnect. */
		if (s->target.transport != EA_SYSLOG_UDP)
			drop_connection(s);
		return false;
	}
	s->stats.sent++;
	return true;
}

bool ea_syslog_connected(const ea_syslog *s)
{
	return s && (s->target.transport == EA_SYSLOG_STDERR || s->fd >= 0);
}

const char *ea_syslog_last_error(const ea_syslog *s)
{
	return s ? s->last_error : "";
}

const ea_syslog_stats *ea_syslog_get_stats(const ea_syslog *s)
{
	return &s->stats;
}

void ea_syslog_close(ea_syslog *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->addrs)
		freeaddrinfo(s->addrs);
	free(s);
}
