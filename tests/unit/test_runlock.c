/* test_runlock.c — a run's lock is seen by others while its holder lives,
 * and is gone as soon as the holder ends, however it ends (SIGKILL). */
#include "testutil.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/runlock.h"

typedef struct {
	char dir[64];
	char db[128];
	char err[512];
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/ea_runlock_XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->db, sizeof fx->db, "%s/audit.db", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	char lock[160];
	assert_true(ea_runlock_path(fx->db, lock, sizeof lock));
	unlink(lock);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void path_is_beside_the_database(void **state)
{
	char out[32];
	assert_true(ea_runlock_path("/x/audit.db", out, sizeof out));
	assert_string_equal(out, "/x/audit.db-runlock");
	assert_false(ea_runlock_path("/a/very/long/path/audit.db", out, 16));
}

static void held_by_one_open_seen_by_another(void **state)
{
	fixture *fx = *state;
	ea_runlock *writer = NULL, *other = NULL, *reader = NULL;
	assert_int_equal(ea_runlock_open(fx->db, true, &writer, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_runlock_open(fx->db, true, &other, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_runlock_hold(writer, 7, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_runlock_writer(other, 7), EA_WRITER_ALIVE);
	assert_int_equal(ea_runlock_writer(other, 8), EA_WRITER_GONE);
	/* A second writer cannot take a run that is held. */
	assert_int_equal(ea_runlock_hold(other, 7, fx->err, sizeof fx->err), EA_ERR_DB);
	assert_non_null(strstr(fx->err, "held by another process"));
	/* Read-only access is enough to see it (evidence on read-only storage). */
	char lock[160];
	assert_true(ea_runlock_path(fx->db, lock, sizeof lock));
	assert_int_equal(chmod(lock, 0444), 0);
	assert_int_equal(ea_runlock_open(fx->db, false, &reader, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_runlock_writer(reader, 7), EA_WRITER_ALIVE);
	ea_runlock_release(writer, 7);
	assert_int_equal(ea_runlock_writer(reader, 7), EA_WRITER_GONE);
	assert_int_equal(ea_runlock_hold(other, 7, fx->err, sizeof fx->err), EA_OK);
	ea_runlock_close(other);
	assert_int_equal(ea_runlock_writer(reader, 7), EA_WRITER_GONE);
	ea_runlock_close(reader);
	ea_runlock_close(writer);
}

static void killed_holder_is_gone(void **state)
{
	fixture *fx = *state;
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		ea_runlock *l = NULL;
		char err[256];
		if (ea_runlock_open(fx->db, true, &l, err, sizeof err) != EA_OK ||
		    ea_runlock_hold(l, 3, err, sizeof err) != EA_OK)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	ea_runlock *l = NULL;
	assert_int_equal(ea_runlock_open(fx->db, false, &l, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_runlock_writer(l, 3), EA_WRITER_ALIVE);
	assert_int_equal(kill(child, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(ea_runlock_writer(l, 3), EA_WRITER_GONE);
	ea_runlock_close(l);
}

static void missing_file_means_no_writer(void **state)
{
	fixture *fx = *state;
	ea_runlock *l = NULL;
	char lock[160];
	assert_true(ea_runlock_path(fx->db, lock, sizeof lock));
	unlink(lock);
	assert_int_equal(ea_runlock_open(fx->db, false, &l, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_runlock_writer(l, 1), EA_WRITER_GONE);
	ea_runlock_close(l);
	/* A writer must be able to create it. */
	assert_int_equal(ea_runlock_open("/nonexistent-dir/x.db", true, &l, fx->err, sizeof fx->err), EA_ERR_IO);
	assert_non_null(strstr(fx->err, "x.db-runlock"));
}

/* A lock file that is not a regular file (a FIFO in evidence received,
 * say) must not block the reader: a FIFO opened read-only waits for a
 * writer for ever. The alarm turns such a hang into a failure. */
static void fifo_lock_file_does_not_block(void **state)
{
	fixture *fx = *state;
	ea_runlock *l = NULL;
	char lock[160];
	assert_true(ea_runlock_path(fx->db, lock, sizeof lock));
	assert_int_equal(mkfifo(lock, 0644), 0);
	alarm(10);
	assert_int_equal(ea_runlock_open(fx->db, false, &l, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_runlock_writer(l, 1), EA_WRITER_UNKNOWN);
	ea_runlock_close(l);
	assert_int_equal(ea_runlock_open(fx->db, true, &l, fx->err, sizeof fx->err), EA_ERR_IO);
	alarm(0);
	assert_non_null(strstr(fx->err, "audit.db-runlock: the run lock file is not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_is_beside_the_database),
		cmocka_unit_test_setup_teardown(held_by_one_open_seen_by_another, setup, teardown),
		cmocka_unit_test_setup_teardown(killed_holder_is_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_file_means_no_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(fifo_lock_file_does_not_block, setup, teardown),
	};
	return cmocka_run_group_tests_name("runlock", tests, NULL, NULL);
}
