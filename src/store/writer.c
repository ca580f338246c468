/* writer.c — bounded queue + one writer thread (writer.h).
 *
 * The queue is a ring of records addressed by counters that only grow:
 * slots [head, tail) are held, [next, tail) wait to be written, and every
 * record before done is committed. In retry mode (a sensor) a record
 * leaves the ring only when the transaction that holds it commits (head
 * follows done); a failed transaction is rolled back by the store, so
 * next goes back to head and the same records are written again on the
 * next attempt. In wait mode (a file) a record leaves once written (head
 * follows next): the first failure ends that run's writing anyway. The
 * thread reads the slots in [next, tail) without the lock: submitters only
 * ever fill slots from tail on, and only after checking that tail - head
 * leaves room. */
#include "store/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "util/ea_limits.h"
#include "util/mix64.h"

/* A slot holds a flow record, or a store call of the caller's (a job)
 * with its argument copied in. */
typedef struct {
	ea_writer_job_fn job;         /* NULL: a flow record */
	bool refused;                 /* retry mode: the database refused this record
					 for good; it is passed over, not retried */
	union {
		struct {
			ea_flow_record rec;
			ea_match_result mr;
		} flow;
		max_align_t align;
		unsigned char arg[EA_WRITER_JOB_BYTES];
	} u;
} entry;

struct ea_writer {
	ea_store *st;
	int64_t run_id;
	ea_writer_config cfg;
	entry *ring;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock;
	pthread_cond_t work;          /* the thread waits here: records, sync, stop */
	pthread_cond_t room;          /* submitters and syncs wait here */
	uint64_t head, next, tail;    /* see the file comment; slot = counter % capacity */
	uint64_t done;                /* records before it are committed */
	uint64_t sync_wanted;         /* a sync waits for done to reach this */
	bool stopping;
	uint64_t stop_deadline_us;    /* retry mode: when closing gives up */
	bool failed;                  /* wait mode: writing stopped at a failure */
	uint64_t room_until_us;       /* retry mode, after ea_writer_wait_for_room:
					 a full queue is waited on until then */
	uint64_t wake_records;        /* records waiting that wake the thread */
	/* Retry mode's coalescing: uid -> the counter (+1) of the newest slot
	 * holding that flow's record, for the slots in [head, tail); linear
	 * probing, deletion by backward shift (Knuth 6.4 Algorithm R). A slot
	 * at or after cursor has not been read by the thread in the current
	 * attempt, so a newer record of its flow may replace it in place. */
	struct uid_slot {
		uint64_t uid, at1;    /* at1 = counter + 1; 0: empty */
	} *uids;
	uint64_t uid_mask;            /* table size - 1 (a power of two) */
	uint64_t cursor;              /* the thread has read every slot before it */
	uint64_t after_job;           /* slots before it precede the newest job */
	ea_status status;
	char err[512];
	ea_writer_stats stats;
};

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000u;
}

/* Waits on c until the monotonic time deadline_us (the conds use
 * CLOCK_MONOTONIC: a wall-clock step must not stall the writer). */
static void wait_until(pthread_cond_t *c, pthread_mutex_t *m, uint64_t deadline_us)
{
	struct timespec ts = {.tv_sec = (time_t)(deadline_us / 1000000u),
			      .tv_nsec = (long)(deadline_us % 1000000u) * 1000};
	pthread_cond_timedwait(c, m, &ts);
}

static void *writer_main(void *arg);

ea_status ea_writer_new(ea_store *st, int64_t run_id, const ea_writer_config *cfg, ea_writer **out,
			char *errbuf, size_t errlen)
{
	ea_writer *w = calloc(1, sizeof *w);
	if (!w)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	w->st = st;
	w->run_id = run_id;
	w->cfg = *cfg;
	if (!w->cfg.capacity)
		w->cfg.capacity = EA_WRITER_QUEUE_RECORDS;
	if (!w->cfg.flush_interval_us)
		w->cfg.flush_interval_us = EA_WRITER_FLUSH_US;
	if (!w->cfg.batch_rows)
		w->cfg.batch_rows = EA_DB_BATCH_ROWS;
	if (!w->cfg.retry_min_us)
		w->cfg.retry_min_us = EA_WRITER_RETRY_MIN_US;
	if (!w->cfg.retry_max_us)
		w->cfg.retry_max_us = EA_WRITER_RETRY_MAX_US;
	if (!w->cfg.close_wait_us)
		w->cfg.close_wait_us = EA_WRITER_CLOSE_WAIT_US;
	w->wake_records = w->cfg.capacity / 8 ? w->cfg.capacity / 8 : 1;
	if (w->wake_records > EA_WRITER_WAKE_RECORDS)
		w->wake_records = EA_WRITER_WAKE_RECORDS;
	w->ring = calloc(w->cfg.capacity, sizeof *w->ring);
	if (!w->ring) {
		unsigned capacity = w->cfg.capacity;
		free(w);
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory for the write queue (%u records)",
			       capacity);
	}
	/* A sensor's queue is made resident now, not page by page as it first
	 * wraps: its memory is flat from the start of a months-long run, and a
	 * host short of it fails at start, not hours later. */
	if (!w->cfg.wait_when_full) {
		/* Through a volatile pointer: a compiler may drop a plain
		 * memset of calloc'd memory as a no-op. */
		volatile unsigned char *page = (volatile unsigned char *)w->ring;
		size_t bytes = (size_t)w->cfg.capacity * sizeof *w->ring, step = (size_t)sysconf(_SC_PAGESIZE);
		for (size_t i = 0; i < bytes; i += step ? step : 4096)
			page[i] = 0;
	}
	if (!w->cfg.wait_when_full) {
		uint64_t size = 1;
		while (size < 2ull * w->cfg.capacity)
			size <<= 1;
		w->uids = calloc(size, sizeof *w->uids);
		w->uid_mask = size - 1;
		if (!w->uids) {
			free(w->ring);
			free(w);
			return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory for the write queue's index");
		}
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, &ca);
	pthread_cond_init(&w->room, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc != 0) {
		ea_status e = ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "cannot start the writer thread: %s",
				      strerror(rc));
		ea_writer_close(w, NULL, 0);
		return e;
	}
	w->started = true;
	*out = w;
	return EA_OK;
}

/* A full queue (lock held): true once there is room (or in wait mode the
 * writer failed), false when the caller must not wait any longer. */
static bool wait_for_room(ea_writer *w)
{
	while (!w->failed && w->tail - w->head >= w->cfg.capacity) {
		if (w->cfg.wait_when_full) {
			pthread_cond_signal(&w->work);
			pthread_cond_wait(&w->room, &w->lock);
		} else if (w->room_until_us && mono_us() < w->room_until_us) {
			pthread_cond_signal(&w->work);
			wait_until(&w->room, &w->lock, w->room_until_us);
		} else {
			return false;
		}
	}
	return true;
}

void ea_writer_wait_for_room(ea_writer *w, uint64_t wait_us)
{
	pthread_mutex_lock(&w->lock);
	w->room_until_us = mono_us() + wait_us;
	pthread_mutex_unlock(&w->lock);
}

/* ---- the uid index (retry mode; lock held) ---- */

static uint64_t uid_home(const ea_writer *w, uint64_t uid)
{
	return ea_mix64(uid) & w->uid_mask;
}

/* The table slot of uid, or of the empty slot where it would go. */
static uint64_t uid_find(const ea_writer *w, uint64_t uid)
{
	uint64_t i = uid_home(w, uid);
	while (w->uids[i].at1 && w->uids[i].uid != uid)
		i = (i + 1) & w->uid_mask;
	return i;
}

/* The ring's slot at counter `at` now holds uid's newest record. The
 * table never fills: it has twice the ring's slots, and holds at most
 * one entry per held slot. */
static void uid_set(ea_writer *w, uint64_t uid, uint64_t at)
{
	uint64_t i = uid_find(w, uid);
	w->uids[i].uid = uid;
	w->uids[i].at1 = at + 1;
}

/* The ring's slot at `at` is freed: uid's entry goes if it names it. */
static void uid_forget(ea_writer *w, uint64_t uid, uint64_t at)
{
	uint64_t i = uid_find(w, uid);
	if (!w->uids[i].at1 || w->uids[i].at1 != at + 1)
		return;
	/* Backward shift: an entry after the hole that could live in it
	 * moves there, so no probe chain is cut. */
	uint64_t j = i;
	for (;;) {
		w->uids[i].at1 = 0;
		for (;;) {
			j = (j + 1) & w->uid_mask;
			if (!w->uids[j].at1)
				return;
			uint64_t k = uid_home(w, w->uids[j].uid);
			/* k cyclically in (i, j]: the entry stays */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		w->uids[i] = w->uids[j];
		i = j;
	}
}

/* Slots [from, to) leave the ring (lock held). */
static void uid_free_slots(ea_writer *w, uint64_t from, uint64_t to)
{
	if (!w->uids)
		return;
	for (uint64_t c = from; c < to; c++) {
		const entry *e = &w->ring[c % w->cfg.capacity];
		if (!e->job && e->u.flow.rec.uid)
			uid_forget(w, e->u.flow.rec.uid, c);
	}
}

/* Retry mode: a record of a flow whose newest queued record the thread
 * has not read yet (and no job queued since) replaces it in place: a
 * flow's active-timeout updates, and its end, take one slot however long
 * the database is away. true when rec was coalesced so (lock held). */
static bool coalesce(ea_writer *w, const ea_flow_record *rec, const ea_match_result *mr)
{
	if (!w->uids || !rec->uid)
		return false; /* uid 0: a record of its own, never rewritten */
	uint64_t i = uid_find(w, rec->uid);
	if (!w->uids[i].at1)
		return false;
	uint64_t at = w->uids[i].at1 - 1;
	if (at < w->cursor || at < w->after_job || at < w->head || at >= w->tail)
		return false;
	entry *slot = &w->ring[at % w->cfg.capacity];
	if (slot->job || slot->refused || slot->u.flow.rec.uid != rec->uid || slot->u.flow.rec.iface != rec->iface)
		return false;
	/* The queued record's rewrite stays: when it was the flow's first (an
	 * insert), nothing of the flow is stored yet. */
	bool rewrite = slot->u.flow.rec.rewrite;
	slot->u.flow.rec = *rec;
	slot->u.flow.rec.rewrite = rewrite;
	slot->u.flow.mr = *mr;
	w->stats.submitted++;
	w->stats.coalesced++;
	return true;
}

bool ea_writer_submit(ea_writer *w, const ea_flow_record *rec, const ea_match_result *mr)
{
	unsigned iface = (unsigned)rec->iface < EA_IFACE_COUNT ? (unsigned)rec->iface : 0;
	pthread_mutex_lock(&w->lock);
	if (coalesce(w, rec, mr)) {
		pthread_mutex_unlock(&w->lock);
		return true;
	}
	if (!wait_for_room(w)) {
		w->stats.dropped[iface]++;
		pthread_mutex_unlock(&w->lock);
		return false;
	}
	if (w->failed) {
		w->stats.lost++;
		pthread_mutex_unlock(&w->lock);
		return false;
	}
	entry *slot = &w->ring[w->tail % w->cfg.capacity];
	slot->job = NULL;
	slot->refused = false;
	slot->u.flow.rec = *rec;
	slot->u.flow.mr = *mr;
	if (w->uids && rec->uid)
		uid_set(w, rec->uid, w->tail);
	w->tail++;
	w->stats.submitted++;
	if (w->tail - w->head > w->stats.queued_peak)
		w->stats.queued_peak = w->tail - w->head;
	/* The thread is woken by a batch, not by each record (a wake-up per
	 * flow would cost more than writing it): by the first record it finds
	 * (then it waits at most a flush interval for more) and by a full
	 * batch. */
	bool wake = w->tail - w->next >= w->wake_records || w->tail - w->next == 1;
	pthread_mutex_unlock(&w->lock);
	if (wake)
		pthread_cond_signal(&w->work);
	return true;
}

static bool call_job(ea_writer *w, ea_writer_job_fn job, const void *arg, size_t len, bool barrier);

bool ea_writer_call(ea_writer *w, ea_writer_job_fn job, const void *arg, size_t len)
{
	return call_job(w, job, arg, len, true);
}

bool ea_writer_call_unordered(ea_writer *w, ea_writer_job_fn job, const void *arg, size_t len)
{
	return call_job(w, job, arg, len, false);
}

static bool call_job(ea_writer *w, ea_writer_job_fn job, const void *arg, size_t len, bool barrier)
{
	if (!job || len > EA_WRITER_JOB_BYTES)
		return false;
	pthread_mutex_lock(&w->lock);
	if (!wait_for_room(w)) {
		w->stats.jobs_dropped++;
		pthread_mutex_unlock(&w->lock);
		return false;
	}
	if (w->failed) {
		w->stats.jobs_dropped++;
		pthread_mutex_unlock(&w->lock);
		return false;
	}
	entry *slot = &w->ring[w->tail % w->cfg.capacity];
	slot->job = job;
	slot->refused = false;
	if (len)
		memcpy(slot->u.arg, arg, len);
	w->tail++;
	if (barrier)
		w->after_job = w->tail; /* no record before the job takes one after it */
	/* A job is rare and is often evidence (a gap, a run's end): it
	 * wakes the thread at once. */
	pthread_mutex_unlock(&w->lock);
	pthread_cond_signal(&w->work);
	return true;
}

/* ---- the thread -------------------------------------------------------- */

/* Runs the job in slot e: what is pending is committed first, so a job
 * that commits or fails on its own (a run claim, retention) never takes
 * flows with it, and the job's own rows are committed after it, so a
 * later failure never makes it run twice. run_id may be changed by the
 * job (a new run). */
static void committed(ea_writer *w, uint64_t upto);

static ea_status run_job(ea_writer *w, uint64_t at, int64_t *run_id, char *err, size_t errlen)
{
	entry *e = &w->ring[at % w->cfg.capacity];
	ea_status st = ea_store_flush(w->st, err, errlen);
	if (st != EA_OK)
		return st;
	committed(w, at);
	st = e->job(w->st, run_id, e->u.arg, err, errlen);
	if (st == EA_OK)
		st = ea_store_flush(w->st, err, errlen);
	return st;
}

/* Everything before upto is committed. Retry mode frees those slots only
 * now (a failure would have to write them again); wait mode freed them
 * once written, since its first failure ends the writing anyway. */
static void committed(ea_writer *w, uint64_t upto)
{
	pthread_mutex_lock(&w->lock);
	for (uint64_t i = w->done; i < upto; i++)
		if (!w->ring[i % w->cfg.capacity].refused)
			w->stats.written++;
	w->done = upto;
	if (!w->cfg.wait_when_full) {
		uid_free_slots(w, w->head, upto);
		w->head = upto;
	}
	pthread_mutex_unlock(&w->lock);
	pthread_cond_broadcast(&w->room);
}

/* A write or commit failed. Wait mode: writing ends here, everything not
 * committed is lost and the failure is kept for sync/close. Retry mode:
 * the store rolled the transaction back, so its records are written again
 * from the oldest held, after the back-off. */
static void failed_write(ea_writer *w, ea_status st, const char *msg, uint64_t *backoff_us, bool first)
{
	pthread_mutex_lock(&w->lock);
	w->stats.failures++;
	if (w->status == EA_OK) {
		w->status = st;
		snprintf(w->err, sizeof w->err, "%s", msg);
	}
	if (w->cfg.wait_when_full) {
		w->failed = true;
		w->stats.lost += w->tail - w->done;
		w->head = w->next = w->done = w->tail;
	} else {
		w->next = w->cursor = w->head;
	}
	uint64_t failures = w->stats.failures;
	pthread_mutex_unlock(&w->lock);
	pthread_cond_broadcast(&w->room);
	if (w->cfg.wait_when_full)
		return;
	/* Said once per outage; its end says how many attempts failed. */
	if (w->cfg.log && first)
		ea_log_msg(w->cfg.log, EA_LOG_ERROR, "db-write",
			   "cannot write flows (attempt %llu; retrying, flows are held in memory): %s",
			   (unsigned long long)failures, msg);
	/* Sleep, but no longer than a close's deadline. */
	pthread_mutex_lock(&w->lock);
	uint64_t until = mono_us() + *backoff_us;
	if (w->stopping && w->stop_deadline_us < until)
		until = w->stop_deadline_us;
	while (mono_us() < until && !(w->stopping && w->stop_deadline_us <= mono_us()))
		wait_until(&w->work, &w->lock, until);
	pthread_mutex_unlock(&w->lock);
	*backoff_us = *backoff_us * 2 > w->cfg.retry_max_us ? w->cfg.retry_max_us : *backoff_us * 2;
}

/* Retry mode: the database refused the flow record in slot at for good
 * (ea_store_flow_refused: a CHECK, a trigger, a value too big). Retrying
 * it would stall every record behind it for ever, so it is marked to be
 * passed over, counted per interface, and said once per writer (then
 * only counted). The store rolled the transaction back: the records
 * before it are written again from the oldest held, at once — the
 * database works, there is nothing to back off from. */
static void refuse_record(ea_writer *w, uint64_t at, const char *msg)
{
	entry *e = &w->ring[at % w->cfg.capacity];
	unsigned iface = (unsigned)e->u.flow.rec.iface < EA_IFACE_COUNT ? (unsigned)e->u.flow.rec.iface : 0;
	pthread_mutex_lock(&w->lock);
	e->refused = true;
	w->stats.refused[iface]++;
	uint64_t total = 0;
	for (unsigned k = 0; k < EA_IFACE_COUNT; k++)
		total += w->stats.refused[k];
	bool first = total == 1;
	w->next = w->cursor = w->head;
	pthread_mutex_unlock(&w->lock);
	if (w->cfg.log && first)
		ea_log_msg(w->cfg.log, EA_LOG_ERROR, "db-refused-flow",
			   "a flow record refused by the database is dropped and counted (capture_stats.refused), "
			   "the others are written: %s", msg);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* A close gives up (lock held): the flow records still held, and their
 * distinct flows, per interface (writer.h stop_lost_*). */
static void count_stop_loss(ea_writer *w)
{
	for (unsigned k = 0; k < EA_IFACE_COUNT; k++) {
		uint64_t n = 0;
		for (uint64_t i = w->done; i < w->tail; i++) {
			const entry *e = &w->ring[i % w->cfg.capacity];
			if (!e->job && !e->refused && (unsigned)e->u.flow.rec.iface == k)
				n++;
		}
		w->stats.stop_lost_records[k] += n;
		if (!n)
			continue;
		uint64_t *uids = malloc(n * sizeof *uids);
		if (!uids) {
			w->stats.stop_lost_flows[k] += n; /* at most that many */
			continue;
		}
		uint64_t m = 0;
		for (uint64_t i = w->done; i < w->tail; i++) {
			const entry *e = &w->ring[i % w->cfg.capacity];
			if (!e->job && !e->refused && (unsigned)e->u.flow.rec.iface == k)
				uids[m++] = e->u.flow.rec.uid;
		}
		qsort(uids, m, sizeof *uids, cmp_u64);
		uint64_t distinct = 0;
		for (uint64_t i = 0; i < m; i++)
			distinct += i == 0 || uids[i] != uids[i - 1];
		w->stats.stop_lost_flows[k] += distinct;
		free(uids);
	}
}

/* Whether the thread should end now (lock held): writing failed (wait
 * mode), or a close finds everything committed, or its wait ran out while
 * the database still fails (what is held is then lost, and said). */
static bool time_to_end(ea_writer *w, bool failing)
{
	if (w->failed)
		return true;
	if (!w->stopping)
		return false;
	if (w->done == w->tail)
		return true;
	if (!failing || mono_us() < w->stop_deadline_us)
		return false;
	uint64_t left = w->tail - w->done;
	w->stats.lost += left;
	if (w->status == EA_OK)
		w->status = EA_ERR_DB;
	count_stop_loss(w);
	uint64_t records = 0, flows = 0;
	for (unsigned k = 0; k < EA_IFACE_COUNT; k++) {
		records += w->stats.stop_lost_records[k];
		flows += w->stats.stop_lost_flows[k];
	}
	size_t used = strlen(w->err);
	snprintf(w->err + used, sizeof w->err - used, "%s%llu flow%s not written (%llu flow record%s, active-timeout "
		 "updates included)%s", used ? "; " : "", (unsigned long long)flows, flows == 1 ? "" : "s",
		 (unsigned long long)records, records == 1 ? "" : "s",
		 left > records ? " and other rows (statistics, the run's end)" : "");
	uid_free_slots(w, w->head, w->tail);
	w->head = w->next = w->done = w->cursor = w->tail;
	return true;
}

/* Whether to commit now rather than at the flush interval (lock held): a
 * sync or a close waits, or, in retry mode, the queue is half full (its
 * slots free only at a commit). Wait mode frees slots as it writes, so a
 * full queue there is no reason to commit: small transactions would only
 * rewrite the same index pages again and again. */
static bool must_hurry(const ea_writer *w)
{
	return w->sync_wanted > w->done || w->stopping ||
	       (!w->cfg.wait_when_full && w->tail - w->head >= w->cfg.capacity / 2);
}

static void *writer_main(void *arg)
{
	ea_writer *w = arg;
	char err[512];
	uint64_t backoff = w->cfg.retry_min_us;
	uint64_t tx_started = 0;      /* monotonic µs of the open transaction's first row */
	bool in_tx = false;
	bool failing = false;         /* retry mode: the last attempt failed */
	ea_flow_record rec_copy;      /* the slot being written, read under the lock */
	ea_match_result mr_copy;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		uint64_t wait_started = mono_us();
		bool hurry = false;
		for (;;) {
			if (time_to_end(w, failing))
				break;
			uint64_t waiting = w->tail - w->next;
			hurry = must_hurry(w);
			if (waiting >= w->wake_records || (hurry && (waiting || in_tx)))
				break;
			if (failing && w->done < w->tail)
				break; /* a retry is due: the back-off already waited */
			if (!waiting && !in_tx) {
				pthread_cond_wait(&w->work, &w->lock);
				continue;
			}
			uint64_t due = (in_tx ? tx_started : wait_started) + w->cfg.flush_interval_us;
			if (mono_us() >= due)
				break;
			wait_until(&w->work, &w->lock, due);
		}
		if (time_to_end(w, failing)) {
			pthread_mutex_unlock(&w->lock);
			pthread_cond_broadcast(&w->room);
			break;
		}
		uint64_t from = w->next, to = w->tail;
		int64_t run_id = w->run_id;
		/* A stop's attempts (from ea_writer_wait_for_room on) wait for
		 * a lock no longer than what is left of its deadline (at least
		 * 10 ms: one try), so a stop lasts the deadline, not the
		 * deadline plus a busy timeout. */
		uint64_t deadline = w->stopping ? w->stop_deadline_us : w->room_until_us;
		bool stopping = deadline && !w->cfg.wait_when_full;
		uint64_t left_ms = stopping && deadline > mono_us() ? (deadline - mono_us()) / 1000u : 0;
		pthread_mutex_unlock(&w->lock);
		if (stopping)
			ea_store_set_busy_ms(w->st, left_ms > 10 ? (unsigned)(left_ms > 100000 ? 100000 : left_ms) : 10);

		ea_status st = EA_OK;
		bool again = false; /* a record refused for good: start over from head */
		uint64_t i = from;
		for (; i < to && st == EA_OK && !again; i++) {
			entry *e = &w->ring[i % w->cfg.capacity];
			if (!in_tx) {
				in_tx = true;
				tx_started = mono_us();
			}
			if (e->job) {
				int64_t before = run_id;
				st = run_job(w, i, &run_id, err, sizeof err);
				if (st == EA_OK && run_id != before) {
					pthread_mutex_lock(&w->lock);
					w->run_id = run_id;
					pthread_mutex_unlock(&w->lock);
				}
			} else if (e->refused) {
				st = EA_OK; /* refused for good before: passed over */
			} else {
				/* Read under the lock, and marked read: a submitter
				 * replaces only slots after the cursor (coalesce). */
				pthread_mutex_lock(&w->lock);
				rec_copy = e->u.flow.rec;
				mr_copy = e->u.flow.mr;
				if (w->cursor < i + 1)
					w->cursor = i + 1;
				pthread_mutex_unlock(&w->lock);
				st = ea_store_add_flow(w->st, run_id, &rec_copy, &mr_copy, NULL, err, sizeof err);
				if (st == EA_ERR_DB && !w->cfg.wait_when_full && ea_store_flow_refused(w->st)) {
					refuse_record(w, i, err);
					in_tx = false;
					again = true;
					continue;
				}
			}
			if ((st == EA_ERR_INTERNAL || st == EA_ERR_USAGE) && !w->cfg.wait_when_full) {
				/* A record or call the store refuses (a bug upstream)
				 * would fail every retry: it alone is lost, and said. */
				if (w->cfg.log)
					ea_log_msg(w->cfg.log, EA_LOG_ERROR, "db-refused", "%s not written: %s",
						   e->job ? "a record" : "flow", err);
				pthread_mutex_lock(&w->lock);
				w->stats.lost++;
				pthread_mutex_unlock(&w->lock);
				st = EA_OK;
			}
			if (st == EA_OK && ea_store_pending(w->st) >= w->cfg.batch_rows)
				st = ea_store_flush(w->st, err, sizeof err);
			if (st == EA_OK && ea_store_pending(w->st) == 0) {
				/* committed here or by the store's own batch */
				committed(w, i + 1);
				in_tx = false;
			}
		}
		if (again)
			continue;
		if (st == EA_OK) {
			pthread_mutex_lock(&w->lock);
			w->next = i;
			if (w->cfg.wait_when_full)
				w->head = i;
			hurry = must_hurry(w);
			pthread_mutex_unlock(&w->lock);
			pthread_cond_broadcast(&w->room);
			if (in_tx && (hurry || mono_us() - tx_started >= w->cfg.flush_interval_us)) {
				st = ea_store_flush(w->st, err, sizeof err);
				if (st == EA_OK) {
					committed(w, i);
					in_tx = false;
				}
			}
		}
		if (st != EA_OK) {
			in_tx = false;
			bool first = !failing;
			failing = !w->cfg.wait_when_full;
			failed_write(w, st, err, &backoff, first);
			continue;
		}
		if (failing && !in_tx) {
			if (w->cfg.log)
				ea_log_msg(w->cfg.log, EA_LOG_NOTICE, NULL,
					   "flows are written again after %llu failed attempts",
					   (unsigned long long)ea_writer_get_stats(w).failures);
			failing = false;
			backoff = w->cfg.retry_min_us;
		}
	}
	return NULL;
}

/* ---- the caller's side -------------------------------------------------- */

ea_status ea_writer_sync(ea_writer *w, char *errbuf, size_t errlen)
{
	pthread_mutex_lock(&w->lock);
	uint64_t target = w->tail;
	if (target > w->sync_wanted)
		w->sync_wanted = target;
	pthread_cond_signal(&w->work);
	while (!w->failed && w->done < target)
		pthread_cond_wait(&w->room, &w->lock);
	ea_status st = w->failed ? w->status : EA_OK;
	if (st != EA_OK)
		ea_fail(st, errbuf, errlen, "%s", w->err);
	pthread_mutex_unlock(&w->lock);
	return st;
}

void ea_writer_set_run(ea_writer *w, int64_t run_id)
{
	/* The thread takes run_id with the records it writes, under the lock:
	 * after a sync nothing queued belongs to the old run. */
	pthread_mutex_lock(&w->lock);
	w->run_id = run_id;
	pthread_mutex_unlock(&w->lock);
}

ea_writer_stats ea_writer_get_stats(ea_writer *w)
{
	pthread_mutex_lock(&w->lock);
	ea_writer_stats s = w->stats;
	s.queued = w->tail - w->done;
	pthread_mutex_unlock(&w->lock);
	return s;
}

ea_status ea_writer_close(ea_writer *w, char *errbuf, size_t errlen)
{
	return ea_writer_close_stats(w, NULL, errbuf, errlen);
}

ea_status ea_writer_close_stats(ea_writer *w, ea_writer_stats *final, char *errbuf, size_t errlen)
{
	if (final)
		memset(final, 0, sizeof *final);
	if (!w)
		return EA_OK;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stopping = true;
		/* One deadline for the whole stop: a wait for room already
		 * granted (ea_writer_wait_for_room) is not granted twice. */
		w->stop_deadline_us = w->room_until_us ? w->room_until_us : mono_us() + w->cfg.close_wait_us;
		pthread_cond_signal(&w->work);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	if (final) {
		*final = w->stats;
		final->queued = w->tail - w->done;
	}
	ea_status st = w->status;
	if (w->stats.lost == 0 && !w->failed)
		st = EA_OK; /* failures that a retry made good */
	if (st != EA_OK && errbuf)
		ea_fail(st, errbuf, errlen, "%s", w->err);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->room);
	pthread_mutex_destroy(&w->lock);
	free(w->uids);
	free(w->ring);
	free(w);
	return st;
}
