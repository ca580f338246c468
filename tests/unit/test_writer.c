/* test_writer.c — the writer thread: what is submitted reaches the
 * database, in wait mode with more records than the queue holds; updates
 * are visible while a flow lives; a locked, full or read-only database
 * loses nothing held. Tests may include <sqlite3.h>: a second, raw
 * connection is how we look at the file from outside and hold locks on
 * it, and a VFS of the test's own makes its file system read-only. */
#include "testutil.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/writer.h"
#include "util/ea_limits.h"
#include "util/log.h"

typedef struct {
	char dir[64];
	char path[128];
	ea_store *st;
	int64_t run;
	char err[512];
} fixture;

static int setup(void **state)
{
	static fixture fx;
	memset(&fx, 0, sizeof fx);
	snprintf(fx.dir, sizeof fx.dir, "/tmp/ea_writer_XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	snprintf(fx.path, sizeof fx.path, "%s/w.db", fx.dir);
	if (ea_store_open(fx.path, &fx.st, fx.err, sizeof fx.err) != EA_OK)
		return -1;
	ea_run_info info = {.tool_version = "test", .ndpi_version = "4.2", .matrix_path = "m",
			    .matrix_sha256 = "0", .command_line = "test", .started_at = 1700000000};
	if (ea_store_begin_run(fx.st, &info, NULL, &fx.run, fx.err, sizeof fx.err) != EA_OK)
		return -1;
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	char cmd[128];
	ea_store_close(fx->st, fx->err, sizeof fx->err);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void make_flow(ea_flow_record *f, ea_match_result *mr, uint64_t uid, uint64_t pkts, ea_end_reason why)
{
	memset(f, 0, sizeof *f);
	memset(mr, 0, sizeof *mr);
	f->uid = uid;
	f->generation = 1;
	f->iface = EA_IFACE_EXTERNAL;
	f->transport = 17;
	f->init_addr.b[10] = f->init_addr.b[11] = 0xff;
	f->init_addr.b[12] = 10;
	f->init_addr.b[15] = 1;
	f->resp_addr = f->init_addr;
	f->resp_addr.b[15] = 2;
	f->init_port = (uint16_t)(1024 + uid % 60000);
	f->resp_port = 3478;
	f->first_us = 1700000000000000ull;
	f->last_us = f->first_us + pkts;
	f->pkts[0] = pkts;
	f->bytes[0] = pkts * 100;
	f->end_reason = why;
	f->rewrite = uid && why != EA_END_IDLE; /* these tests end updated flows by FIN */
	snprintf(f->master_proto, sizeof f->master_proto, "STUN");
	snprintf(f->app_proto, sizeof f->app_proto, "STUN");
	mr->verdict = EA_VERDICT_UNEXPECTED;
}

/* A number from a second connection, as another process sees the file. */
static long long outside_count(const fixture *fx, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long n = -1;
	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* Wait mode (read): ten times the queue's records, none lost, all
 * committed when sync returns. */
static void wait_mode_writes_everything(void **state)
{
	fixture *fx = *state;
	ea_writer *w = NULL;
	ea_writer_config cfg = {.capacity = 64, .wait_when_full = true};
	ea_flow_record f;
	ea_match_result mr;
	long long before = outside_count(fx, "SELECT count(*) FROM flows");
	assert_int_equal(ea_writer_new(fx->st, fx->run, &cfg, &w, fx->err, sizeof fx->err), EA_OK);
	for (uint64_t i = 1; i <= 640; i++) {
		make_flow(&f, &mr, 0, i, EA_END_IDLE);
		assert_true(ea_writer_submit(w, &f, &mr));
	}
	assert_int_equal(ea_writer_sync(w, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(outside_count(fx, "SELECT count(*) FROM flows") - before, 640);
	ea_writer_stats s = ea_writer_get_stats(w);
	assert_int_equal(s.written, 640);
	assert_int_equal(s.queued, 0);
	assert_true(s.queued_peak <= 64);
	assert_int_equal(ea_writer_close(w, fx->err, sizeof fx->err), EA_OK);
}

/* Active timeout through the writer (monitor mode): each update of a
 * flow still open is visible from outside, with growing counts, in one
 * row, within a flush interval; the end rewrites that row. */
static void updates_visible_with_growing_counts(void **state)
{
	fixture *fx = *state;
	ea_writer *w = NULL;
	ea_writer_config cfg = {.capacity = 64, .flush_interval_us = 50000};
	ea_flow_record f;
	ea_match_result mr;
	assert_int_equal(ea_writer_new(fx->st, fx->run, &cfg, &w, fx->err, sizeof fx->err), EA_OK);
	long long last = 0;
	for (uint64_t pkts = 5; pkts <= 25; pkts += 10) {
		make_flow(&f, &mr, 77, pkts, EA_END_ACTIVE);
		assert_true(ea_writer_submit(w, &f, &mr));
		/* No sync: the writer commits on its own within its interval. */
		long long seen = -1;
		for (int i = 0; i < 200 && seen != (long long)pkts; i++) {
			usleep(10000);
			seen = outside_count(fx, "SELECT coalesce(max(pkts_out), -1) FROM flows WHERE uid = 77"
						 " AND end_reason = 'active'");
		}
		assert_int_equal(seen, (long long)pkts);
		assert_true(seen > last);
		last = seen;
		assert_int_equal(outside_count(fx, "SELECT count(*) FROM flows WHERE uid = 77"), 1);
	}
	make_flow(&f, &mr, 77, 30, EA_END_FIN);
	assert_true(ea_writer_submit(w, &f, &mr));
	assert_int_equal(ea_writer_close(w, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(outside_count(fx, "SELECT count(*) FROM flows WHERE uid = 77"), 1);
	assert_int_equal(outside_count(fx, "SELECT pkts_out FROM flows WHERE uid = 77 AND end_reason = 'fin'"), 30);
}

/* Monitor mode while another connection holds the database exclusively
 * for longer than the busy timeout: submit never blocks; what exceeds the
 * queue is dropped and counted; the failure is logged once; once the lock
 * goes, everything held is written and the database is sound. */
static void locked_database_loses_nothing_held(void **state)
{
	fixture *fx = *state;
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *logf = open_memstream(&logbuf, &loglen);
	assert_non_null(logf);
	ea_log *lg = NULL;
	ea_log_options lo = {.stream = logf, .prefix = "test"};
	assert_int_equal(ea_log_new(&lo, &lg, fx->err, sizeof fx->err), EA_OK);

	sqlite3 *other = NULL;
	assert_int_equal(sqlite3_open(fx->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);

	ea_writer *w = NULL;
	ea_writer_config cfg = {.capacity = 300, .flush_interval_us = 50000, .retry_min_us = 20000,
				.retry_max_us = 200000, .log = lg};
	assert_int_equal(ea_writer_new(fx->st, fx->run, &cfg, &w, fx->err, sizeof fx->err), EA_OK);
	ea_flow_record f;
	ea_match_result mr;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned taken = 0;
	for (uint64_t i = 1; i <= 350; i++) {
		make_flow(&f, &mr, 1000 + i, i, EA_END_IDLE);
		snprintf(f.server_name, sizeof f.server_name, "locked");
		taken += ea_writer_submit(w, &f, &mr);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Never waits on the database: well under the busy timeout. */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
	assert_int_equal(taken, 300);
	ea_writer_stats st = ea_writer_get_stats(w);
	assert_int_equal(st.dropped[EA_IFACE_EXTERNAL], 50);
	assert_int_equal(st.written, 0);

	/* Past the busy timeout (5 s): at least one attempt failed. */
	usleep((EA_DB_BUSY_TIMEOUT_MS + 1500) * 1000);
	assert_true(ea_writer_get_stats(w).failures >= 1);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);

	assert_int_equal(ea_writer_sync(w, fx->err, sizeof fx->err), EA_OK);
	st = ea_writer_get_stats(w);
	assert_int_equal(st.written, 300);
	assert_int_equal(st.lost, 0);
	assert_int_equal(ea_writer_close(w, fx->err, sizeof fx->err), EA_OK);
	/* uid is kept only for rewritten rows: these flows are told apart by
	 * their packet counts (1 … 350, the first 300 taken). */
	assert_int_equal(outside_count(fx, "SELECT count(DISTINCT pkts_out) FROM flows WHERE server_name = 'locked'"),
			 300);
	assert_int_equal(outside_count(fx, "SELECT max(pkts_out) FROM flows WHERE server_name = 'locked'"), 300);

	sqlite3 *check = NULL;
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_open(fx->path, &check), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(check, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	sqlite3_close(check);

	ea_log_free(lg);
	fclose(logf);
	/* Said once per failed attempt (rate-limited per key), then that it
	 * works again. */
	assert_non_null(strstr(logbuf, "cannot write flows (attempt 1;"));
	assert_non_null(strstr(logbuf, "flows are written again after"));
	free(logbuf);
}

/* A store call through the writer: an interface event, and a switch to a
 * second run, as a sensor's reload queues it. */
typedef struct {
	int64_t next_run;
	char name[16];
} switch_job;

static ea_status event_and_switch(ea_store *st, int64_t *run_id, void *arg, char *errbuf, size_t errlen)
{
	switch_job *j = arg;
	ea_iface_event ev = {.iface = EA_IFACE_INTERNAL, .name = j->name, .at_us = 1700000000000000ull,
			     .reason = "test"};
	ea_status s = ea_store_add_iface_event(st, *run_id, &ev, errbuf, errlen);
	if (s == EA_OK)
		*run_id = j->next_run;
	return s;
}

/* Jobs run once, in order with the flows: flows queued before the job
 * belong to the first run, those after it to the run the job set. */
static void jobs_run_in_order_with_flows(void **state)
{
	fixture *fx = *state;
	ea_run_info info = {.tool_version = "test", .ndpi_version = "4.2", .matrix_path = "m",
			    .matrix_sha256 = "0", .command_line = "test", .started_at = 1700000000};
	int64_t second = 0;
	assert_int_equal(ea_store_begin_run(fx->st, &info, NULL, &second, fx->err, sizeof fx->err), EA_OK);
	ea_writer *w = NULL;
	ea_writer_config cfg = {.capacity = 64, .flush_interval_us = 20000};
	assert_int_equal(ea_writer_new(fx->st, fx->run, &cfg, &w, fx->err, sizeof fx->err), EA_OK);
	ea_flow_record f;
	ea_match_result mr;
	for (uint64_t i = 1; i <= 10; i++) {
		make_flow(&f, &mr, 0, i, EA_END_IDLE);
		snprintf(f.server_name, sizeof f.server_name, "jobs");
		assert_true(ea_writer_submit(w, &f, &mr));
	}
	switch_job j = {.next_run = second};
	snprintf(j.name, sizeof j.name, "veth-job");
	assert_true(ea_writer_call(w, event_and_switch, &j, sizeof j));
	for (uint64_t i = 11; i <= 15; i++) {
		make_flow(&f, &mr, 0, i, EA_END_IDLE);
		snprintf(f.server_name, sizeof f.server_name, "jobs");
		assert_true(ea_writer_submit(w, &f, &mr));
	}
	assert_int_equal(ea_writer_close(w, fx->err, sizeof fx->err), EA_OK);
	char q[160];
	snprintf(q, sizeof q, "SELECT count(*) FROM flows WHERE run_id = %lld AND pkts_out <= 10 AND server_name = 'jobs'", (long long)fx->run);
	assert_int_equal(outside_count(fx, q), 10);
	snprintf(q, sizeof q, "SELECT count(*) FROM flows WHERE run_id = %lld AND pkts_out > 10 AND server_name = 'jobs'", (long long)second);
	assert_int_equal(outside_count(fx, q), 5);
	snprintf(q, sizeof q, "SELECT count(*) FROM interface_events WHERE run_id = %lld AND name = 'veth-job'",
		 (long long)fx->run);
	assert_int_equal(outside_count(fx, q), 1);
}

static int ignore_row(void *ctx, int ncols, const char *const *cols)
{
	(void)ctx;
	(void)ncols;
	(void)cols;
	return 0;
}

/* A full disk (SQLite's max_page_count reached: SQLITE_FULL, as when the
 * file system is full): the writer keeps every record, retries, and
 * writes them all once there is room again. */
static void full_database_writes_everything_later(void **state)
{
	fixture *fx = *state;
	char err[256];
	/* The test's own thread sets the limit: the connection is SQLite's
	 * serialized kind, and the writer is idle before the first submit. */
	assert_int_equal(ea_store_query(fx->st, "PRAGMA max_page_count = 1", NULL, 0, ignore_row, NULL, err,
					sizeof err), EA_OK);
	ea_writer *w = NULL;
	ea_writer_config cfg = {.capacity = 400, .flush_interval_us = 20000, .retry_min_us = 20000,
				.retry_max_us = 50000};
	assert_int_equal(ea_writer_new(fx->st, fx->run, &cfg, &w, fx->err, sizeof fx->err), EA_OK);
	ea_flow_record f;
	ea_match_result mr;
	for (uint64_t i = 1; i <= 300; i++) {
		make_flow(&f, &mr, 5000 + i, i, EA_END_IDLE);
		memset(f.server_name, 'x', 200); /* rows big enough to need new pages */
		assert_true(ea_writer_submit(w, &f, &mr));
	}
	for (int i = 0; i < 300 && ea_writer_get_stats(w).failures < 2; i++)
		usleep(10000);
	assert_true(ea_writer_get_stats(w).failures >= 2);
	assert_int_equal(ea_writer_get_stats(w).written, 0);
	assert_int_equal(ea_store_query(fx->st, "PRAGMA max_page_count = 1000000", NULL, 0, ignore_row, NULL,
					err, sizeof err), EA_OK);
	assert_int_equal(ea_writer_sync(w, fx->err, sizeof fx->err), EA_OK);
	ea_writer_stats st = ea_writer_get_stats(w);
	assert_int_equal(st.written, 300);
	assert_int_equal(st.lost, 0);
	assert_int_equal(ea_writer_close(w, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(outside_count(fx, "SELECT count(*) FROM flows WHERE length(server_name) = 200"), 300);
}

/* ---- a read-only file system, as SQLite sees one ----------------------
 * A VFS over the default one that, while read_only is set, refuses what a
 * read-only file system refuses with EROFS, with the codes SQLite's unix
 * VFS gives for it: write, truncate, sync, delete (SQLITE_IOERR_*), and an
 * open that would create a file (SQLITE_CANTOPEN). Files stay open, as the
 * sensor's do when its file system turns read-only. */
typedef struct {
	sqlite3_vfs vfs;
	sqlite3_vfs *real;
	atomic_bool read_only;
	atomic_uint refused;
} ro_vfs;

typedef struct {
	sqlite3_file base;
	ro_vfs *owner;
	/* the real VFS's file follows */
} ro_file;

static sqlite3_file *real_file(sqlite3_file *f)
{
	return (sqlite3_file *)((char *)f + sizeof(ro_file));
}

static bool ro_refuses(sqlite3_file *f)
{
	ro_vfs *v = ((ro_file *)f)->owner;
	if (!atomic_load(&v->read_only))
		return false;
	atomic_fetch_add(&v->refused, 1);
	return true;
}

static int ro_close(sqlite3_file *f)
{
	return real_file(f)->pMethods->xClose(real_file(f));
}

static int ro_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return real_file(f)->pMethods->xRead(real_file(f), buf, n, off);
}

static int ro_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (ro_refuses(f))
		return SQLITE_IOERR_WRITE;
	return real_file(f)->pMethods->xWrite(real_file(f), buf, n, off);
}

static int ro_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	if (ro_refuses(f))
		return SQLITE_IOERR_TRUNCATE;
	return real_file(f)->pMethods->xTruncate(real_file(f), size);
}

static int ro_sync(sqlite3_file *f, int flags)
{
	if (ro_refuses(f))
		return SQLITE_IOERR_FSYNC;
	return real_file(f)->pMethods->xSync(real_file(f), flags);
}

static int ro_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return real_file(f)->pMethods->xFileSize(real_file(f), size);
}

static int ro_lock(sqlite3_file *f, int level)
{
	return real_file(f)->pMethods->xLock(real_file(f), level);
}

static int ro_unlock(sqlite3_file *f, int level)
{
	return real_file(f)->pMethods->xUnlock(real_file(f), level);
}

static int ro_check_reserved(sqlite3_file *f, int *out)
{
	return real_file(f)->pMethods->xCheckReservedLock(real_file(f), out);
}

static int ro_file_control(sqlite3_file *f, int op, void *arg)
{
	return real_file(f)->pMethods->xFileControl(real_file(f), op, arg);
}

static int ro_sector_size(sqlite3_file *f)
{
	return real_file(f)->pMethods->xSectorSize(real_file(f));
}

static int ro_device(sqlite3_file *f)
{
	return real_file(f)->pMethods->xDeviceCharacteristics(real_file(f));
}

static int ro_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
	return real_file(f)->pMethods->xShmMap(real_file(f), page, size, extend, out);
}

static int ro_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return real_file(f)->pMethods->xShmLock(real_file(f), offset, n, flags);
}

static void ro_shm_barrier(sqlite3_file *f)
{
	real_file(f)->pMethods->xShmBarrier(real_file(f));
}

static int ro_shm_unmap(sqlite3_file *f, int del)
{
	return real_file(f)->pMethods->xShmUnmap(real_file(f), del);
}

static int ro_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
	return real_file(f)->pMethods->xFetch(real_file(f), off, n, out);
}

static int ro_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return real_file(f)->pMethods->xUnfetch(real_file(f), off, p);
}

static const sqlite3_io_methods ro_io = {
	3, ro_close, ro_read, ro_write, ro_truncate, ro_sync, ro_file_size, ro_lock, ro_unlock, ro_check_reserved,
	ro_file_control, ro_sector_size, ro_device, ro_shm_map, ro_shm_lock, ro_shm_barrier, ro_shm_unmap,
	ro_fetch, ro_unfetch,
};

static int ro_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out)
{
	ro_vfs *v = vfs->pAppData;
	ro_file *p = (ro_file *)f;
	p->owner = v;
	p->base.pMethods = NULL;
	if ((flags & SQLITE_OPEN_CREATE) && atomic_load(&v->read_only)) {
		atomic_fetch_add(&v->refused, 1);
		return SQLITE_CANTOPEN;
	}
	int rc = v->real->xOpen(v->real, name, real_file(f), flags, out);
	if (real_file(f)->pMethods)
		p->base.pMethods = &ro_io;
	return rc;
}

static int ro_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	ro_vfs *v = vfs->pAppData;
	if (atomic_load(&v->read_only)) {
		atomic_fetch_add(&v->refused, 1);
		return SQLITE_IOERR_DELETE;
	}
	return v->real->xDelete(v->real, name, sync_dir);
}

/* Makes v the default VFS (ea_store_open uses the default); the caller
 * unregisters it. The other calls (access, full path, randomness, time)
 * are the real VFS's own, which do not use the VFS they are called on. */
static void ro_vfs_register(ro_vfs *v)
{
	memset(v, 0, sizeof *v);
	v->real = sqlite3_vfs_find(NULL);
	assert_non_null(v->real);
	assert_true(v->real->iVersion >= 3);
	v->vfs = *v->real;
	v->vfs.szOsFile = (int)sizeof(ro_file) + v->real->szOsFile;
	v->vfs.zName = "ea-test-readonly";
	v->vfs.pAppData = v;
	v->vfs.xOpen = ro_open;
	v->vfs.xDelete = ro_delete;
	v->vfs.pNext = NULL;
	assert_int_equal(sqlite3_vfs_register(&v->vfs, 1), SQLITE_OK);
}

/* The database's file system read-only under a running sensor (its
 * files open; writes and syncs refused as EROFS makes them): the writer
 * keeps every record, retries, and writes them all once it is writable
 * again; what was committed before stays, and the file is sound. */
static void read_only_file_system_loses_nothing_held(void **state)
{
	fixture *fx = *state;
	ro_vfs v;
	ro_vfs_register(&v);
	char path[160], err[256];
	snprintf(path, sizeof path, "%s/ro.db", fx->dir);
	ea_store *st = NULL;
	int64_t run = 0;
	assert_int_equal(ea_store_open(path, &st, err, sizeof err), EA_OK);
	ea_run_info info = {.tool_version = "test", .ndpi_version = "4.2", .matrix_path = "m",
			    .matrix_sha256 = "0", .command_line = "test", .started_at = 1700000000};
	assert_int_equal(ea_store_begin_run(st, &info, NULL, &run, err, sizeof err), EA_OK);
	ea_writer *w = NULL;
	ea_writer_config cfg = {.capacity = 400, .flush_interval_us = 20000, .retry_min_us = 20000,
				.retry_max_us = 50000};
	assert_int_equal(ea_writer_new(st, run, &cfg, &w, err, sizeof err), EA_OK);
	ea_flow_record f;
	ea_match_result mr;
	for (uint64_t i = 1; i <= 50; i++) {
		make_flow(&f, &mr, 7000 + i, i, EA_END_IDLE);
		assert_true(ea_writer_submit(w, &f, &mr));
	}
	assert_int_equal(ea_writer_sync(w, err, sizeof err), EA_OK);
	assert_int_equal(ea_writer_get_stats(w).written, 50);

	atomic_store(&v.read_only, true);
	for (uint64_t i = 51; i <= 300; i++) {
		make_flow(&f, &mr, 7000 + i, i, EA_END_IDLE);
		assert_true(ea_writer_submit(w, &f, &mr));
	}
	for (int i = 0; i < 300 && ea_writer_get_stats(w).failures < 3; i++)
		usleep(10000);
	ea_writer_stats s = ea_writer_get_stats(w);
	assert_true(s.failures >= 3);
	assert_int_equal(s.written, 50);
	assert_int_equal(s.queued, 250);
	assert_true(atomic_load(&v.refused) >= 3);

	atomic_store(&v.read_only, false);
	assert_int_equal(ea_writer_sync(w, err, sizeof err), EA_OK);
	s = ea_writer_get_stats(w);
	assert_int_equal(s.written, 300);
	assert_int_equal(s.lost, 0);
	assert_int_equal(ea_writer_close(w, err, sizeof err), EA_OK);
	assert_int_equal(ea_store_close(st, err, sizeof err), EA_OK);
	assert_int_equal(sqlite3_vfs_unregister(&v.vfs), SQLITE_OK);

	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM flows) || ' ' || "
						"(SELECT integrity_check FROM pragma_integrity_check)",
					    -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "300 ok");
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* A poisoned record: a trigger refuses one uid for good (RAISE(ABORT):
 * SQLITE_CONSTRAINT). The writer used to retry it for ever and write
 * nothing behind it; now it drops that one, counts it on its interface,
 * writes every other record, and a transient failure is still retried. */
static void refused_record_dropped_others_written(void **state)
{
	fixture *fx = *state;
	char err[256];
	assert_int_equal(ea_store_query(fx->st,
					"CREATE TEMP TRIGGER poison BEFORE INSERT ON main.flows WHEN NEW.uid = 9005 "
					"BEGIN SELECT RAISE(ABORT, 'poisoned record'); END",
					NULL, 0, ignore_row, NULL, err, sizeof err), EA_OK);
	ea_writer *w = NULL;
	ea_writer_config cfg = {.capacity = 64, .flush_interval_us = 20000, .retry_min_us = 20000,
				.retry_max_us = 50000};
	assert_int_equal(ea_writer_new(fx->st, fx->run, &cfg, &w, fx->err, sizeof fx->err), EA_OK);
	ea_flow_record f;
	ea_match_result mr;
	for (uint64_t i = 1; i <= 10; i++) {
		make_flow(&f, &mr, 9000 + i, i, EA_END_ACTIVE);
		if (i == 5)
			f.iface = EA_IFACE_INTERNAL;
		assert_true(ea_writer_submit(w, &f, &mr));
	}
	long long seen = 0;
	for (int i = 0; i < 300 && seen != 9; i++) {
		usleep(10000);
		seen = outside_count(fx, "SELECT count(*) FROM flows WHERE uid BETWEEN 9001 AND 9010");
	}
	assert_int_equal(seen, 9);
	ea_writer_stats st = ea_writer_get_stats(w);
	assert_int_equal(st.refused[EA_IFACE_INTERNAL], 1);
	assert_int_equal(st.refused[EA_IFACE_EXTERNAL], 0);
	assert_int_equal(st.written, 9);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.failures, 0); /* a refusal is not an outage: no back-off */
	/* Records after it go on being written. */
	make_flow(&f, &mr, 9011, 1, EA_END_ACTIVE);
	assert_true(ea_writer_submit(w, &f, &mr));
	assert_int_equal(ea_writer_sync(w, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(outside_count(fx, "SELECT count(*) FROM flows WHERE uid = 9011"), 1);
	assert_int_equal(outside_count(fx, "SELECT count(*) FROM flows WHERE uid = 9005"), 0);
	assert_int_equal(ea_writer_close(w, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(ea_store_query(fx->st, "DROP TRIGGER temp.poison", NULL, 0, ignore_row, NULL, err,
					sizeof err), EA_OK);
}

/* Monitor mode during an outage: N long-lived flows, each updated many
 * times (active timeout) and then ended, never fill the queue: a flow's
 * newer record replaces its queued, unwritten one (coalesced), so the
 * queue holds about one slot per flow. Before, 8 flows x 30 updates
 * (240 records) overflowed a 32-record queue and the final records were
 * dropped. Every flow ends as one row with its final counts. */
static void outage_updates_coalesce_per_flow(void **state)
{
	fixture *fx = *state;
	sqlite3 *other = NULL;
	assert_int_equal(sqlite3_open(fx->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	ea_writer *w = NULL;
	ea_writer_config cfg = {.capacity = 32, .flush_interval_us = 20000, .retry_min_us = 20000,
				.retry_max_us = 100000};
	assert_int_equal(ea_writer_new(fx->st, fx->run, &cfg, &w, fx->err, sizeof fx->err), EA_OK);
	ea_flow_record f;
	ea_match_result mr;
	for (uint64_t round = 1; round <= 30; round++) {
		for (uint64_t uid = 500; uid < 508; uid++) {
			make_flow(&f, &mr, uid, round, EA_END_ACTIVE);
			snprintf(f.server_name, sizeof f.server_name, "coalesce");
			assert_true(ea_writer_submit(w, &f, &mr));
		}
		/* A statistics row each interval, as a sensor queues one: it
		 * does not stop the next round from coalescing. */
		if (round % 10 == 0) {
			switch_job j = {.next_run = fx->run};
			snprintf(j.name, sizeof j.name, "stats-%llu", (unsigned long long)round);
			assert_true(ea_writer_call_unordered(w, event_and_switch, &j, sizeof j));
		}
	}
	for (uint64_t uid = 500; uid < 508; uid++) {
		make_flow(&f, &mr, uid, 100, EA_END_FIN);
		snprintf(f.server_name, sizeof f.server_name, "coalesce");
		assert_true(ea_writer_submit(w, &f, &mr));
	}
	ea_writer_stats st = ea_writer_get_stats(w);
	assert_int_equal(st.dropped[EA_IFACE_EXTERNAL], 0);
	assert_true(st.coalesced >= 248 - 32);
	assert_true(st.queued <= 32);
	assert_int_equal(st.jobs_dropped, 0);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(ea_writer_close(w, fx->err, sizeof fx->err), EA_OK);
	assert_int_equal(outside_count(fx, "SELECT count(*) FROM flows WHERE server_name = 'coalesce'"), 8);
	assert_int_equal(outside_count(fx, "SELECT count(*) FROM flows WHERE server_name = 'coalesce'"
				       " AND pkts_out = 100 AND end_reason = 'fin'"), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wait_mode_writes_everything),
		cmocka_unit_test(jobs_run_in_order_with_flows),
		cmocka_unit_test(updates_visible_with_growing_counts),
		cmocka_unit_test(locked_database_loses_nothing_held),
		cmocka_unit_test(full_database_writes_everything_later),
		cmocka_unit_test(read_only_file_system_loses_nothing_held),
		cmocka_unit_test(refused_record_dropped_others_written),
		cmocka_unit_test(outage_updates_coalesce_per_flow),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
