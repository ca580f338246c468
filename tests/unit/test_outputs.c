/* test_outputs.c — the SIEM outputs behind the flow hook: rule ids from
 * the ruleset's matrix, and four threads emitting at once (the engines of
 * both NICs may): every EVE line whole and valid, the rate limit's counts
 * exact, nothing lost. */
#include "testutil.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/outputs.h"

#define MATRIX_PATH EA_TOPDIR "/signatures/lync2013-edge.matrix"
#define THREADS 4
#define FLOWS_EACH 1000
#define GROUPS 20

typedef struct {
	ea_outputs *o;
	int id;
} worker_arg;

static ea_flow_record flow(int thread, int i)
{
	ea_flow_record r;
	memset(&r, 0, sizeof r);
	r.iface = (ea_iface)(i & 1);
	r.transport = 6;
	const uint8_t a[4] = {198, 51, 100, (uint8_t)thread}, b[4] = {10, 0, 1, 10};
	ea_addr_from_v4(&r.init_addr, a);
	ea_addr_from_v4(&r.resp_addr, b);
	r.init_port = (uint16_t)(20000 + i);
	/* GROUPS groups per interface pair: (iface, port) with port's
	 * parity fixed by the interface. */
	r.resp_port = (uint16_t)(1000 + i % GROUPS);
	r.first_us = 1000000;
	r.last_us = 2000000;
	r.pkts[0] = 1;
	r.bytes[0] = 60;
	r.handshake = EA_HS_NO_ANSWER;
	snprintf(r.server_name, sizeof r.server_name, "t%d-\"%d\"\\\xff", thread, i);
	return r;
}

static void *worker(void *p)
{
	worker_arg *w = p;
	ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED};
	for (int i = 0; i < FLOWS_EACH; i++) {
		ea_flow_record r = flow(w->id, i);
		ea_outputs_flow(w->o, &r, &mr);
	}
	return NULL;
}

static unsigned count_lines(const char *path, bool json)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	unsigned n = 0;
	char buf[8192];
	while (fgets(buf, sizeof buf, f)) {
		assert_non_null(strchr(buf, '\n'));
		if (json) {
			json_error_t err;
			json_t *j = json_loads(buf, 0, &err);
			if (!j)
				fail_msg("line %u is not JSON: %s", n + 1, err.text);
			json_decref(j);
		}
		n++;
	}
	fclose(f);
	return n;
}

static void test_threads_emit_at_once(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_outputs.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char eve[64], log[64];
	snprintf(eve, sizeof eve, "%s/eve.json", dir);
	snprintf(log, sizeof log, "%s/syslog.txt", dir);
	/* The findings go to stderr: into a file for the test's length. */
	int saved = dup(STDERR_FILENO);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);

	char err[4096];
	ea_outputs *o = NULL;
	ea_outputs_config cfg = {.eve_path = eve, .syslog_target = "stderr", .syslog_facility = "local1"};
	assert_int_equal(ea_outputs_open(&cfg, &o, err, sizeof err), EA_OK);
	pthread_t t[THREADS];
	worker_arg args[THREADS];
	for (int i = 0; i < THREADS; i++) {
		args[i] = (worker_arg){.o = o, .id = i};
		assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	ea_outputs_flush(o);
	char summary[1024];
	ea_outputs_summary(o, summary, sizeof summary);
	assert_int_equal(ea_outputs_close(o, err, sizeof err), EA_OK);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	/* 4 threads x 1000 flows in 100 groups, 10 lines a group. */
	char want[512];
	snprintf(want, sizeof want, "EVE: %d lines to %s; findings: %d (%d lines for stderr, %d held back by "
		 "the rate limits); 0 syslog lines not sent", THREADS * FLOWS_EACH, eve, THREADS * FLOWS_EACH,
		 GROUPS * 10, THREADS * FLOWS_EACH - GROUPS * 10);
	assert_string_equal(summary, want);
	assert_int_equal(count_lines(eve, true), THREADS * FLOWS_EACH);
	/* Each finding line, then one count per group. */
	assert_int_equal(count_lines(log, false), GROUPS * 10 + GROUPS);
	unlink(eve);
	unlink(log);
	rmdir(dir);
}

/* Findings only, most of them held back: the quick path, where unlocked
 * threads would lose counts or corrupt the limiter's key table. */
static void test_threads_findings_counts_exact(void **state)
{
	(void)state;
	int saved = dup(STDERR_FILENO);
	int fd = open("/dev/null", O_WRONLY);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	char err[4096];
	ea_outputs *o = NULL;
	ea_outputs_config cfg = {.syslog_target = "stderr"};
	assert_int_equal(ea_outputs_open(&cfg, &o, err, sizeof err), EA_OK);
	pthread_t t[THREADS];
	worker_arg args[THREADS];
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < THREADS; i++) {
			args[i] = (worker_arg){.o = o, .id = i};
			assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
	}
	char summary[1024], want[512];
	ea_outputs_summary(o, summary, sizeof summary);
	assert_int_equal(ea_outputs_close(o, err, sizeof err), EA_OK);
	dup2(saved, STDERR_FILENO);
	close(saved);
	snprintf(want, sizeof want, "findings: %d (%d lines for stderr, %d held back by the rate limits); "
		 "0 syslog lines not sent", 10 * THREADS * FLOWS_EACH, GROUPS * 10,
		 10 * THREADS * FLOWS_EACH - GROUPS * 10);
	assert_string_equal(summary, want);
}

static void test_rule_ids_from_the_ruleset(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_outputs.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char eve[64];
	snprintf(eve, sizeof eve, "%s/eve.json", dir);
	char err[4096];
	const ea_ruleset *rs = NULL;
	ea_ruleset_paths paths = {.matrix = MATRIX_PATH};
	assert_int_equal(ea_ruleset_load(&paths, NULL, &rs, err, sizeof err), EA_OK);
	ea_outputs *o = NULL;
	ea_outputs_config cfg = {.eve_path = eve, .ruleset = rs};
	assert_int_equal(ea_outputs_open(&cfg, &o, err, sizeof err), EA_OK);
	ea_ruleset_unref(rs); /* the outputs hold their own reference */
	ea_flow_record r = flow(0, 0);
	ea_match_result mr = {.verdict = EA_VERDICT_DOCUMENTED, .n_rules = 1, .rules = {2}};
	ea_outputs_flow(o, &r, &mr);
	ea_outputs_set_ruleset(o, NULL);
	ea_outputs_flow(o, &r, &mr);
	assert_int_equal(ea_outputs_close(o, err, sizeof err), EA_OK);

	json_error_t jerr;
	FILE *f = fopen(eve, "r");
	json_t *j = json_loadf(f, JSON_DISABLE_EOF_CHECK, &jerr);
	assert_non_null(j);
	json_t *ids = json_object_get(json_object_get(j, "rule"), "id");
	assert_int_equal(json_array_size(ids), 1);
	assert_string_equal(json_string_value(json_array_get(ids, 0)), "ext-03");
	json_decref(j);
	fclose(f);
	unlink(eve);
	rmdir(dir);
}

/* A failed reopen (SIGHUP after logrotate moved the file; the path is
 * now a directory) keeps the old file: the summary says the lines go to
 * the file opened before, naming the failure, not "N lines to PATH".
 * A reopen that works again makes it say PATH again. */
static void test_failed_reopen_summary_tells_the_truth(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_outputs.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char eve[64], rotated[64];
	snprintf(eve, sizeof eve, "%s/e.json", dir);
	snprintf(rotated, sizeof rotated, "%s/e.json.1", dir);
	char err[4096], summary[1024], want[1024];
	ea_outputs *o = NULL;
	ea_outputs_config cfg = {.eve_path = eve};
	assert_int_equal(ea_outputs_open(&cfg, &o, err, sizeof err), EA_OK);
	ea_flow_record r = flow(0, 0);
	ea_match_result mr = {.verdict = EA_VERDICT_DOCUMENTED};
	ea_outputs_flow(o, &r, &mr);
	assert_int_equal(rename(eve, rotated), 0);
	assert_int_equal(mkdir(eve, 0700), 0);
	assert_int_not_equal(ea_outputs_reopen(o, err, sizeof err), EA_OK);
	ea_outputs_flow(o, &r, &mr);
	ea_outputs_summary(o, summary, sizeof summary);
	snprintf(want, sizeof want, "EVE: 2 lines, to the file opened before the last reopen (reopening %s failed: ",
		 eve);
	assert_memory_equal(summary, want, strlen(want));
	assert_int_equal(count_lines(rotated, true), 2);
	assert_int_equal(rmdir(eve), 0);
	assert_int_equal(ea_outputs_reopen(o, err, sizeof err), EA_OK);
	ea_outputs_flow(o, &r, &mr);
	ea_outputs_summary(o, summary, sizeof summary);
	snprintf(want, sizeof want, "EVE: 3 lines to %s", eve);
	assert_string_equal(summary, want);
	assert_int_equal(ea_outputs_close(o, err, sizeof err), EA_OK);
	assert_int_equal(count_lines(eve, true), 1);
	unlink(eve);
	unlink(rotated);
	rmdir(dir);
}

typedef struct {
	int fd;
	unsigned long lines;
} fifo_reader;

static void *read_lines(void *p)
{
	fifo_reader *fr = p;
	char buf[65536];
	ssize_t got;
	while ((got = read(fr->fd, buf, sizeof buf)) > 0)
		for (ssize_t k = 0; k < got; k++)
			fr->lines += buf[k] == '\n';
	return NULL;
}

/* Async mode (monitor): an EVE reader that stops reading (a FIFO whose
 * reader never reads: the pipe fills, write(2) blocks, as a stalled
 * syslog collector blocks a send) never holds up the hook. Records that
 * find the small queue full are dropped and counted per interface; what
 * was queued is written once the sink moves again, and the summary says
 * so. Before async mode the third hook call blocked for ever (alarm). */
static void test_async_never_waits_on_a_stalled_sink(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_outputs.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char fifo[64];
	snprintf(fifo, sizeof fifo, "%s/eve.fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	int rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	char err[4096];
	ea_outputs *o = NULL;
	ea_outputs_config cfg = {.eve_path = fifo, .async = true, .queue_records = 4};
	assert_int_equal(ea_outputs_open(&cfg, &o, err, sizeof err), EA_OK);
	assert_int_equal(ea_outputs_start(o, err, sizeof err), EA_OK);
	alarm(20); /* a hook that blocks fails the test instead of hanging it */
	ea_match_result mr = {.verdict = EA_VERDICT_UNEXPECTED};
	/* ~0.5 KB a line: 2000 lines are far more than the pipe's 64 KiB. */
	const int n = 2000;
	for (int i = 0; i < n; i++) {
		ea_flow_record r = flow(0, i);
		r.iface = EA_IFACE_INTERNAL;
		ea_outputs_flow(o, &r, &mr);
	}
	alarm(0);
	uint64_t dropped = ea_outputs_dropped(o, EA_IFACE_INTERNAL);
	assert_true(dropped > 0);
	assert_true(dropped < (uint64_t)n);
	assert_int_equal(ea_outputs_dropped(o, EA_IFACE_EXTERNAL), 0);
	/* The reader reads again: the queue drains, every taken line arrives. */
	int fl = fcntl(rd, F_GETFL);
	fcntl(rd, F_SETFL, fl & ~O_NONBLOCK);
	pthread_t reader;
	fifo_reader fr = {.fd = rd};
	assert_int_equal(pthread_create(&reader, NULL, read_lines, &fr), 0);
	ea_outputs_drain(o);
	char summary[1024], want[256];
	ea_outputs_summary(o, summary, sizeof summary);
	snprintf(want, sizeof want, "EVE: %llu lines to %s; %llu flow records not given to the outputs "
		 "(output queue full)", (unsigned long long)(n - dropped), fifo, (unsigned long long)dropped);
	assert_string_equal(summary, want);
	assert_int_equal(ea_outputs_close(o, err, sizeof err), EA_OK);
	pthread_join(reader, NULL); /* EOF: the outputs closed the FIFO */
	close(rd);
	assert_int_equal(fr.lines, (unsigned long)n - dropped);
	unlink(fifo);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_emit_at_once),
		cmocka_unit_test(test_threads_findings_counts_exact),
		cmocka_unit_test(test_rule_ids_from_the_ruleset),
		cmocka_unit_test(test_async_never_waits_on_a_stalled_sink),
		cmocka_unit_test(test_failed_reopen_summary_tells_the_truth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
