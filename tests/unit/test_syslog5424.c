/* test_syslog5424.c — RFC 5424 lines, target syntax, and the transports
 * against real sockets on loopback: UDP datagrams (RFC 5426), TCP octet
 * counting (RFC 6587), a unix datagram socket, a collector that restarts
 * and one that is gone (counted, bounded wait). */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "report/syslog5424.h"
#include "util/ea_limits.h"

/* 2026-11-29T17:06:14.000042Z */
#define T0 (1795971974ull * 1000000ull + 42ull)

static uint64_t fixed_clock(void *arg)
{
	(void)arg;
	return T0;
}

static void test_format_header_and_pri(void **state)
{
	(void)state;
	char buf[512];
	size_t n = ea_syslog_format(buf, sizeof buf, 16, 4, T0, "edge1.example", "edgeaudit", 4242,
				    "unexpected", "finding=unexpected iface=external");
	assert_string_equal(buf, "<132>1 2026-11-29T17:06:14.000042Z edge1.example edgeaudit 4242 unexpected - "
				 "finding=unexpected iface=external");
	assert_int_equal(n, strlen(buf));
	/* daemon.notice = 3*8+5 = 29; empty fields are the NILVALUE; a space
	 * or a control byte in a header field cannot shift the fields. */
	ea_syslog_format(buf, sizeof buf, 3, 5, 0, "", "edge audit\n", 1, NULL, "x");
	assert_string_equal(buf, "<29>1 1970-01-01T00:00:00.000000Z - edge_audit_ 1 - - x");
	/* No message: the line ends with the structured data. */
	ea_syslog_format(buf, sizeof buf, 16, 6, 0, "h", "a", 1, "m", "");
	assert_string_equal(buf, "<134>1 1970-01-01T00:00:00.000000Z h a 1 m -");
	/* Header fields are cut at their RFC lengths: MSGID 32, APP-NAME 48. */
	char longid[64];
	memset(longid, 'm', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	ea_syslog_format(buf, sizeof buf, 16, 6, 0, "h", longid, 1, longid, "x");
	char want[256];
	snprintf(want, sizeof want, "<134>1 1970-01-01T00:00:00.000000Z h %.48s 1 %.32s - x", longid, longid);
	assert_string_equal(buf, want);
}

static void test_format_message_bytes(void **state)
{
	(void)state;
	char buf[512];
	/* Printable UTF-8: the BOM of RFC 5424 §6.4 before it. */
	ea_syslog_format(buf, sizeof buf, 16, 4, 0, "h", "a", 1, "m", "caf\xc3\xa9");
	assert_string_equal(buf, "<132>1 1970-01-01T00:00:00.000000Z h a 1 m - \xef\xbb\xbf"
				 "caf\xc3\xa9");
	/* A newline or invalid UTF-8 cannot forge a second line: wire form. */
	ea_syslog_format(buf, sizeof buf, 16, 4, 0, "h", "a", 1, "m", "a\nb\xff\\");
	assert_string_equal(buf, "<132>1 1970-01-01T00:00:00.000000Z h a 1 m - a\\x0ab\\xff\\\\");
	/* Cut, still NUL-terminated. */
	size_t n = ea_syslog_format(buf, 20, 16, 4, 0, "h", "a", 1, "m", "long message");
	assert_int_equal(n, 19);
	assert_int_equal(strlen(buf), 19);
}

static void test_targets_and_facilities(void **state)
{
	(void)state;
	ea_syslog_target t;
	char err[256];
	assert_int_equal(ea_syslog_target_parse("stderr", &t, err, sizeof err), EA_OK);
	assert_int_equal(t.transport, EA_SYSLOG_STDERR);
	assert_int_equal(ea_syslog_target_parse("unix:/dev/log", &t, err, sizeof err), EA_OK);
	assert_int_equal(t.transport, EA_SYSLOG_UNIX);
	assert_string_equal(t.path, "/dev/log");
	assert_int_equal(ea_syslog_target_parse("udp:10.0.0.1:5514", &t, err, sizeof err), EA_OK);
	assert_int_equal(t.transport, EA_SYSLOG_UDP);
	assert_string_equal(t.host, "10.0.0.1");
	assert_string_equal(t.port, "5514");
	assert_int_equal(ea_syslog_target_parse("tcp:siem.example", &t, err, sizeof err), EA_OK);
	assert_int_equal(t.transport, EA_SYSLOG_TCP);
	assert_string_equal(t.host, "siem.example");
	assert_string_equal(t.port, "514");
	assert_int_equal(ea_syslog_target_parse("tcp:[2001:db8::1]:601", &t, err, sizeof err), EA_OK);
	assert_string_equal(t.host, "2001:db8::1");
	assert_string_equal(t.port, "601");
	const char *bad[] = {"", "syslog", "udp:", "udp::514", "tcp:h:0", "tcp:h:65536", "tcp:h:x",
			     "tcp:h:", "udp:2001:db8::1", "tcp:[2001:db8::1", "tcp:[::1]x", "unix:", "tcp:h:+5"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(ea_syslog_target_parse(bad[i], &t, err, sizeof err), EA_ERR_USAGE);
		assert_non_null(strstr(err, "--syslog"));
	}
	int code = -1;
	assert_true(ea_syslog_facility_parse("local0", &code));
	assert_int_equal(code, 16);
	assert_true(ea_syslog_facility_parse("daemon", &code));
	assert_int_equal(code, 3);
	assert_true(ea_syslog_facility_parse("local7", &code));
	assert_int_equal(code, 23);
	assert_false(ea_syslog_facility_parse("local8", &code));
	assert_false(ea_syslog_facility_parse("LOCAL0", &code));
}

static void test_stderr_stream(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ea_syslog_target t;
	char err[256];
	assert_int_equal(ea_syslog_target_parse("stderr", &t, err, sizeof err), EA_OK);
	ea_syslog_options opt = {.facility = 16, .hostname = "h", .procid = 7, .stream = f,
				 .clock_us = fixed_clock};
	ea_syslog *s = NULL;
	assert_int_equal(ea_syslog_open(&t, &opt, &s, err, sizeof err), EA_OK);
	assert_true(ea_syslog_send(s, 4, "unexpected", "one"));
	assert_true(ea_syslog_send(s, 5, "attempt", "two"));
	fflush(f);
	assert_string_equal(buf, "<132>1 2026-11-29T17:06:14.000042Z h edgeaudit 7 unexpected - one\n"
				 "<133>1 2026-11-29T17:06:14.000042Z h edgeaudit 7 attempt - two\n");
	assert_int_equal(ea_syslog_get_stats(s)->sent, 2);
	ea_syslog_close(s);
	fclose(f);
	free(buf);
}

/* A loopback socket of type on an ephemeral port; its port in *port. */
static int listen_loopback(int type, unsigned *port)
{
	int fd = socket(AF_INET, type, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	socklen_t sl = sizeof sin;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static ea_syslog *open_target(const char *text)
{
	ea_syslog_target t;
	char err[256];
	assert_int_equal(ea_syslog_target_parse(text, &t, err, sizeof err), EA_OK);
	ea_syslog_options opt = {.facility = 16, .hostname = "h", .procid = 7, .clock_us = fixed_clock};
	ea_syslog *s = NULL;
	assert_int_equal(ea_syslog_open(&t, &opt, &s, err, sizeof err), EA_OK);
	return s;
}

/* Reads what fd has within a second, up to size - 1 bytes, NUL-terminated. */
static size_t read_some(int fd, char *buf, size_t size)
{
	size_t n = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (n + 1 < size && poll(&p, 1, n ? 50 : 1000) > 0) {
		ssize_t r = recv(fd, buf + n, size - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return n;
}

static void test_udp_one_message_per_datagram(void **state)
{
	(void)state;
	unsigned port;
	int rx = listen_loopback(SOCK_DGRAM, &port);
	char target[64];
	snprintf(target, sizeof target, "udp:127.0.0.1:%u", port);
	ea_syslog *s = open_target(target);
	assert_true(ea_syslog_connected(s));
	assert_true(ea_syslog_send(s, 4, "unexpected", "first"));
	assert_true(ea_syslog_send(s, 4, "mismatch", "second"));
	char buf[512];
	ssize_t r = recv(rx, buf, sizeof buf - 1, 0);
	assert_true(r > 0);
	buf[r] = '\0';
	assert_string_equal(buf, "<132>1 2026-11-29T17:06:14.000042Z h edgeaudit 7 unexpected - first");
	r = recv(rx, buf, sizeof buf - 1, 0);
	assert_true(r > 0);
	buf[r] = '\0';
	assert_string_equal(buf, "<132>1 2026-11-29T17:06:14.000042Z h edgeaudit 7 mismatch - second");
	assert_int_equal(ea_syslog_get_stats(s)->sent, 2);
	ea_syslog_close(s);
	close(rx);
}

static void test_tcp_octet_counting_and_reconnect(void **state)
{
	(void)state;
	unsigned port;
	int lfd = listen_loopback(SOCK_STREAM, &port);
	char target[64];
	snprintf(target, sizeof target, "tcp:127.0.0.1:%u", port);
	ea_syslog *s = open_target(target);
	assert_true(ea_syslog_connected(s));
	int c = accept(lfd, NULL, NULL);
	assert_true(c >= 0);
	assert_true(ea_syslog_send(s, 4, "unexpected", "one"));
	assert_true(ea_syslog_send(s, 4, "unexpected", "a\nb"));
	char buf[1024];
	read_some(c, buf, sizeof buf);
	/* RFC 6587 §3.4.1: "LEN SP MSG", no trailer; the newline inside a
	 * message is escaped anyway. */
	assert_string_equal(buf, "65 <132>1 2026-11-29T17:06:14.000042Z h edgeaudit 7 unexpected - one"
				 "68 <132>1 2026-11-29T17:06:14.000042Z h edgeaudit 7 unexpected - a\\x0ab");
	/* The collector restarts: the sender sees the close before its next
	 * message and sends it on a new connection; nothing is lost. */
	close(c);
	struct timespec pause = {0, 20 * 1000 * 1000};
	nanosleep(&pause, NULL);
	assert_true(ea_syslog_send(s, 4, "unexpected", "after"));
	c = accept(lfd, NULL, NULL);
	assert_true(c >= 0);
	read_some(c, buf, sizeof buf);
	assert_string_equal(buf, "67 <132>1 2026-11-29T17:06:14.000042Z h edgeaudit 7 unexpected - after");
	assert_int_equal(ea_syslog_get_stats(s)->connects, 2);
	assert_int_equal(ea_syslog_get_stats(s)->unsent, 0);
	/* The collector is gone: messages are counted, each send returns at
	 * once (no connect until the back-off has passed). */
	close(c);
	close(lfd);
	nanosleep(&pause, NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned failed = 0;
	for (int i = 0; i < 100; i++)
		failed += !ea_syslog_send(s, 4, "unexpected", "lost");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(failed >= 99); /* the first may still land in the dead socket's buffer */
	assert_true(ea_syslog_get_stats(s)->unsent >= 99);
	assert_true(secs < 2.0 * EA_SYSLOG_CONNECT_TIMEOUT_MS / 1000.0);
	assert_false(ea_syslog_connected(s));
	assert_non_null(strstr(ea_syslog_last_error(s), "tcp:127.0.0.1:"));
	ea_syslog_close(s);
}

static void test_tcp_collector_absent_at_start(void **state)
{
	(void)state;
	unsigned port;
	int lfd = listen_loopback(SOCK_STREAM, &port);
	close(lfd); /* the port is now free: connecting to it is refused */
	char target[64];
	snprintf(target, sizeof target, "tcp:127.0.0.1:%u", port);
	ea_syslog *s = open_target(target);
	assert_false(ea_syslog_connected(s));
	assert_non_null(strstr(ea_syslog_last_error(s), "cannot connect"));
	assert_false(ea_syslog_send(s, 4, "unexpected", "x"));
	assert_int_equal(ea_syslog_get_stats(s)->unsent, 1);
	assert_int_equal(ea_syslog_get_stats(s)->connect_failures, 1);
	ea_syslog_close(s);
}

static void test_unix_datagram(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_syslog5424.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[96], target[160];
	snprintf(path, sizeof path, "%s/log", dir);
	snprintf(target, sizeof target, "unix:%s", path);
	int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	assert_int_equal(bind(rx, (struct sockaddr *)&sun, sizeof sun), 0);
	ea_syslog *s = open_target(target);
	assert_true(ea_syslog_send(s, 3, "x", "hello"));
	char buf[256];
	ssize_t r = recv(rx, buf, sizeof buf - 1, 0);
	assert_true(r > 0);
	buf[r] = '\0';
	assert_string_equal(buf, "<131>1 2026-11-29T17:06:14.000042Z h edgeaudit 7 x - hello");
	ea_syslog_close(s);
	close(rx);
	unlink(path);
	rmdir(dir);
}

static void test_unresolvable_host_is_a_usage_error(void **state)
{
	(void)state;
	ea_syslog_target t;
	char err[256];
	assert_int_equal(ea_syslog_target_parse("udp:no-such-host.invalid:514", &t, err, sizeof err), EA_OK);
	ea_syslog_options opt = {.facility = 16};
	ea_syslog *s = NULL;
	assert_int_equal(ea_syslog_open(&t, &opt, &s, err, sizeof err), EA_ERR_USAGE);
	assert_null(s);
	assert_non_null(strstr(err, "no-such-host.invalid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_header_and_pri),
		cmocka_unit_test(test_format_message_bytes),
		cmocka_unit_test(test_targets_and_facilities),
		cmocka_unit_test(test_stderr_stream),
		cmocka_unit_test(test_udp_one_message_per_datagram),
		cmocka_unit_test(test_tcp_octet_counting_and_reconnect),
		cmocka_unit_test(test_tcp_collector_absent_at_start),
		cmocka_unit_test(test_unix_datagram),
		cmocka_unit_test(test_unresolvable_host_is_a_usage_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
