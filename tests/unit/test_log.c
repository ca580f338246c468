/* test_log.c — severities, escaping and per-key rate limits of log.c,
 * on a memory stream with an injected clock. */
#include "testutil.h"

#include <syslog.h>

#include "util/ea_limits.h"
#include "util/log.h"

typedef struct {
	char *buf;
	size_t len;
	FILE *f;
	uint64_t now;
	ea_log *lg;
} fixture;

static uint64_t fake_clock(void *arg)
{
	return ((fixture *)arg)->now;
}

static uint64_t fake_clock_u64(void *arg)
{
	return *(uint64_t *)arg;
}

static fixture *open_log(unsigned burst, uint64_t interval_us, ea_log_level max)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->f = open_memstream(&fx->buf, &fx->len);
	assert_non_null(fx->f);
	ea_log_options opt = {
		.stream = fx->f, .prefix = "edgeaudit", .max_level = max, .burst = burst,
		.interval_us = interval_us, .clock_us = fake_clock, .clock_arg = fx,
	};
	char err[128];
	assert_int_equal(ea_log_new(&opt, &fx->lg, err, sizeof err), EA_OK);
	return fx;
}

static const char *text(fixture *fx)
{
	fflush(fx->f);
	return fx->buf ? fx->buf : "";
}

static unsigned count_lines(const char *s, const char *needle)
{
	unsigned n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void close_log(fixture *fx)
{
	ea_log_free(fx->lg);
	fclose(fx->f);
	free(fx->buf);
	free(fx);
}

static void test_levels_and_prefix(void **state)
{
	fixture *fx = open_log(0, 0, EA_LOG_WARNING);
	assert_true(ea_log_msg(fx->lg, EA_LOG_ERROR, NULL, "db %s", "locked"));
	assert_true(ea_log_msg(fx->lg, EA_LOG_WARNING, NULL, "cut %d", 3));
	assert_false(ea_log_msg(fx->lg, EA_LOG_INFO, NULL, "chatter"));
	assert_string_equal(text(fx), "edgeaudit: db locked\nedgeaudit: warning: cut 3\n");
	close_log(fx);
}

static void test_escaping(void **state)
{
	fixture *fx = open_log(0, 0, 0);
	ea_log_msg(fx->lg, EA_LOG_ERROR, NULL, "%s: bad", "a\nFORGED\x1b[31m.pcap");
	const char *t = text(fx);
	assert_non_null(strstr(t, "a\\x0aFORGED\\x1b[31m.pcap: bad\n"));
	assert_int_equal(count_lines(t, "\n"), 1);
	close_log(fx);
}

static void test_rate_limit_per_key(void **state)
{
	fixture *fx = open_log(2, 1000000, 0);
	unsigned written = 0;
	for (int i = 0; i < 10; i++)
		written += ea_log_msg(fx->lg, EA_LOG_WARNING, "db-locked", "database locked, try %d", i);
	assert_int_equal(written, 2);
	assert_int_equal(ea_log_suppressed(fx->lg), 8);
	/* Another key is not held back by the first. */
	assert_true(ea_log_msg(fx->lg, EA_LOG_WARNING, "iface-gone", "eth1 went away"));
	/* Still inside the window: nothing more. */
	fx->now = 999999;
	assert_false(ea_log_msg(fx->lg, EA_LOG_WARNING, "db-locked", "database locked, try 10"));
	/* The next window says what was held back, then passes again. */
	fx->now = 1000000;
	assert_true(ea_log_msg(fx->lg, EA_LOG_WARNING, "db-locked", "database locked, try 11"));
	const char *t = text(fx);
	assert_int_equal(count_lines(t, "database locked, try"), 3);
	assert_non_null(strstr(t, "edgeaudit: warning: db-locked: 9 more like it suppressed in 1 s\n"));
	assert_true(strstr(t, "suppressed") < strstr(t, "try 11"));
	close_log(fx);
}

static void test_unkeyed_never_limited(void **state)
{
	fixture *fx = open_log(1, 1000000, 0);
	for (int i = 0; i < 20; i++)
		assert_true(ea_log_msg(fx->lg, EA_LOG_ERROR, NULL, "line %d", i));
	assert_int_equal(ea_log_suppressed(fx->lg), 0);
	close_log(fx);
}

static void test_flush_and_free_say_what_was_held(void **state)
{
	fixture *fx = open_log(1, 60000000, 0);
	for (int i = 0; i < 4; i++)
		ea_log_msg(fx->lg, EA_LOG_NOTICE, "unexpected udp/6081", "finding %d", i);
	fx->now = 5000000;
	ea_log_flush(fx->lg);
	assert_non_null(strstr(text(fx), "notice: unexpected udp/6081: 3 more like it suppressed in 5 s\n"));
	/* After a flush the window starts afresh: one passes again. */
	assert_true(ea_log_msg(fx->lg, EA_LOG_NOTICE, "unexpected udp/6081", "finding 4"));
	assert_false(ea_log_msg(fx->lg, EA_LOG_NOTICE, "unexpected udp/6081", "finding 5"));
	ea_log_free(fx->lg);
	fx->lg = NULL;
	assert_int_equal(count_lines(text(fx), "more like it suppressed"), 2);
	fclose(fx->f);
	free(fx->buf);
	free(fx);
}

static void test_key_table_full(void **state)
{
	fixture *fx = open_log(1, 60000000, 0);
	/* Key 0 is held back once, then more keys than the table holds
	 * arrive: when key 0 gives way, its count is written first. */
	ea_log_msg(fx->lg, EA_LOG_WARNING, "key-0", "first");
	ea_log_msg(fx->lg, EA_LOG_WARNING, "key-0", "second");
	for (unsigned i = 1; i <= EA_LOG_KEYS; i++) {
		fx->now = i;
		char key[32];
		snprintf(key, sizeof key, "key-%u", i);
		assert_true(ea_log_msg(fx->lg, EA_LOG_WARNING, key, "new key %u", i));
	}
	assert_non_null(strstr(text(fx), "key-0: 1 more like it suppressed"));
	close_log(fx);
}

static void test_long_message_cut(void **state)
{
	fixture *fx = open_log(0, 0, 0);
	char big[3 * EA_LOG_LINE_MAX];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ea_log_msg(fx->lg, EA_LOG_ERROR, NULL, "%s", big);
	const char *t = text(fx);
	assert_int_equal(count_lines(t, "\n"), 1);
	assert_true(strlen(t) < (size_t)EA_LOG_LINE_MAX + 32);
	close_log(fx);
}

static void test_syslog_sink_opens(void **state)
{
	/* The syslog sink is exercised end to end with a real rsyslogd by
	 * the monitor's tests; here: it opens, takes messages and closes. */
	ea_log_options opt = {.sink = EA_LOG_TO_SYSLOG, .ident = "edgeaudit-test", .facility = LOG_LOCAL0};
	ea_log *lg = NULL;
	char err[128];
	assert_int_equal(ea_log_new(&opt, &lg, err, sizeof err), EA_OK);
	assert_true(ea_log_msg(lg, EA_LOG_DEBUG - 1, NULL, "unit test message"));
	assert_false(ea_log_msg(lg, EA_LOG_DEBUG, NULL, "below the default level"));
	ea_log_free(lg);
}

/* The writer sink: each line with its key, and the held-back count on the
 * line that reports it (the findings log builds its RFC 5424 lines so). */
typedef struct {
	unsigned lines, summaries;
	uint64_t held;
	char last_key[EA_LOG_KEY_MAX + 1];
	char last_line[256];
} writer_seen;

static void writer(void *arg, ea_log_level level, const char *key, uint64_t suppressed, const char *line)
{
	writer_seen *w = arg;
	(void)level;
	w->lines++;
	if (suppressed) {
		w->summaries++;
		w->held += suppressed;
	}
	snprintf(w->last_key, sizeof w->last_key, "%s", key ? key : "");
	snprintf(w->last_line, sizeof w->last_line, "%s", line);
}

static void test_writer_sink_gets_keys_and_counts(void **state)
{
	(void)state;
	writer_seen w = {0};
	uint64_t now = 0;
	ea_log *lg = NULL;
	char err[128];
	ea_log_options bad = {.sink = EA_LOG_TO_WRITER};
	assert_int_equal(ea_log_new(&bad, &lg, err, sizeof err), EA_ERR_INTERNAL);
	ea_log_options opt = {.sink = EA_LOG_TO_WRITER, .writer = writer, .writer_arg = &w, .burst = 2,
			      .interval_us = 1000, .clock_us = fake_clock_u64, .clock_arg = &now};
	assert_int_equal(ea_log_new(&opt, &lg, err, sizeof err), EA_OK);
	for (int i = 0; i < 7; i++)
		ea_log_msg(lg, EA_LOG_WARNING, "grp", "finding %d", i);
	assert_int_equal(w.lines, 2);
	assert_string_equal(w.last_key, "grp");
	assert_string_equal(w.last_line, "finding 1");
	now = 5000;
	ea_log_msg(lg, EA_LOG_WARNING, "grp", "finding 7");
	assert_int_equal(w.summaries, 1);
	assert_int_equal(w.held, 5);
	assert_int_equal(w.lines, 4);
	assert_string_equal(w.last_line, "finding 7");
	ea_log_msg(lg, EA_LOG_ERROR, NULL, "no key");
	assert_string_equal(w.last_key, "");
	ea_log_free(lg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_and_prefix),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_rate_limit_per_key),
		cmocka_unit_test(test_unkeyed_never_limited),
		cmocka_unit_test(test_flush_and_free_say_what_was_held),
		cmocka_unit_test(test_key_table_full),
		cmocka_unit_test(test_long_message_cut),
		cmocka_unit_test(test_syslog_sink_opens),
		cmocka_unit_test(test_writer_sink_gets_keys_and_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
