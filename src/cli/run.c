/* run.c — the life of a `read` run (run.h). */
#include "cli/run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/progress.h"
#include "cli/say.h"
#include "engine/audit.h"
#include "engine/classify.h"
#include "engine/natpair.h"
#include "report/outputs.h"
#include "rules/ruleset.h"
#include "store/runlock.h"
#include "store/store.h"
#include "util/ea_limits.h"
#include "util/escape.h"
#include "util/filehash.h"

#define ERRBUF_SIZE 8192
/* SHA-256 of no bytes (FIPS 180-2). */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const char *stop_signal_name(int sig)
{
	return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- read ---------------------------------------------------------- */

typedef struct {
	const char *path;
	ea_iface iface;
	char sha256[65];
	uint64_t size;
	uint64_t first_us;   /* first record's time; 0 when unreadable or empty */
	unsigned given;      /* position on the command line */
	bool stream;         /* "-" or a pipe: read once, hashed while read */
} input_file;

/* Standard input, a FIFO, a device: anything that cannot be read twice.
 * (stat does not block on a FIFO; opening it would.) A directory or a
 * missing file is left to the regular path, which says what is wrong. */
static bool is_stream(const char *path)
{
	struct stat sb;
	if (strcmp(path, "-") == 0)
		return true;
	return stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode);
}

/* Whether two stream arguments name the same stream: a second read would
 * find it drained, or (a FIFO with its writer gone) wait for ever. */
static bool same_stream(const char *a, const char *b)
{
	struct stat sa, sb;
	if ((strcmp(a, "-") ? stat(a, &sa) : fstat(STDIN_FILENO, &sa)) != 0 ||
	    (strcmp(b, "-") ? stat(b, &sb) : fstat(STDIN_FILENO, &sb)) != 0)
		return strcmp(a, b) == 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* A stream's content is known only once read: if it matches an input
 * already read or one in the database, the user is told, and its flows
 * stay (they cannot be taken back without losing the run). */
static void warn_stream_duplicate(ea_log *lg, ea_store *store, const input_file *inputs, unsigned n, unsigned i,
				  const char *filter)
{
	char err[256], msg[ERRBUF_SIZE];
	bool found = false;
	int64_t prev = 0;
	for (unsigned k = 0; k < n; k++) {
		if (k != i && inputs[k].sha256[0] && strcmp(inputs[k].sha256, inputs[i].sha256) == 0) {
			snprintf(msg, sizeof msg, "%s has the same content as %s (sha256 %.16s…); "
				 "its flows are counted twice", inputs[i].path, inputs[k].path, inputs[i].sha256);
			say_line(lg, EA_LOG_WARNING, msg);
			return;
		}
	}
	if (ea_store_find_capture(store, inputs[i].sha256, filter, &found, &prev, err, sizeof err) == EA_OK && found) {
		snprintf(msg, sizeof msg, "%s is already in the database (run %lld, sha256 %.16s…); "
			 "its flows are counted again", inputs[i].path, (long long)prev, inputs[i].sha256);
		say_line(lg, EA_LOG_WARNING, msg);
	}
}

/* After a stream was read: its SHA-256 and size are those of what was
 * read (nothing, when it could not be opened: the empty input's hash),
 * for its input row, and a repeated content is warned about. Not after a
 * signal: draining a live pipe could take for ever, and an interrupted
 * run counts nowhere; its row keeps the store's "not yet known" hash, as
 * when the rest cannot be read (that makes the capture unreadable). */
static void finish_stream(ea_log *lg, ea_store *store, ea_source *src, input_file *inputs, unsigned n, unsigned i,
			  bool force, const char *filter, ea_input_info *in, ea_status *st, char *errbuf,
			  size_t errlen)
{
	char herr[512];
	in->sha256 = NULL;
	if (*st == EA_ERR_INTERRUPTED)
		return;
	if (!src) {
		snprintf(inputs[i].sha256, sizeof inputs[i].sha256, "%s", EMPTY_SHA256);
		inputs[i].size = 0;
	} else if (ea_source_digest(src, inputs[i].sha256, &inputs[i].size, herr, sizeof herr) != EA_OK) {
		if (*st == EA_OK) {
			*st = EA_ERR_IO;
			snprintf(errbuf, errlen, "%s", herr);
		}
		return;
	}
	in->sha256 = inputs[i].sha256;
	in->size = inputs[i].size;
	if (!force)
		warn_stream_duplicate(lg, store, inputs, n, i, filter);
}

static uint64_t first_record_time(const char *path)
{
	char err[256];
	ea_source *src = NULL;
	ea_frame frame;
	uint64_t ts = 0;
	if (ea_source_open_file(path, &src, err, sizeof err) != EA_OK)
		return 0;
	if (ea_source_next(src, &frame, err, sizeof err) == EA_SOURCE_FRAME)
		ts = frame.ts_us;
	ea_source_close(src);
	return ts;
}

/* Captures of one interface are read oldest first, whatever the order on
 * the command line (a shell glob puts cap_10 before cap_9): flows continue
 * across rotated files and idle expiry sees time move forward. */
static int input_order(const void *pa, const void *pb)
{
	const input_file *a = pa, *b = pb;
	if (a->iface != b->iface)
		return a->iface < b->iface ? -1 : 1;
	if (a->first_us != b->first_us)
		return a->first_us < b->first_us ? -1 : 1;
	return a->given < b->given ? -1 : a->given > b->given;
}

typedef struct {
	double started;
	bool tty;
	uint64_t total_bytes;        /* every capture's size, summed */
	uint64_t done_bytes;         /* sizes of the captures already read */
	const ea_source *current;    /* the capture being read, or NULL */
	ea_outputs *outputs;         /* --eve, --syslog; NULL when neither */
} progress_ctx;

/* The flow hook shares the progress hook's context. */
static void flow_to_outputs(void *ctx, const ea_flow_record *rec, const ea_match_result *mr)
{
	ea_outputs_flow(((progress_ctx *)ctx)->outputs, rec, mr);
}

static void show_progress(void *ctx, const ea_audit_totals *t)
{
	progress_ctx *p = ctx;
	if (!p->tty)
		return;
	ea_progress pr = {
		.done_bytes = p->done_bytes + (p->current ? ea_source_position(p->current) : 0),
		.total_bytes = p->total_bytes, .elapsed_s = now_seconds() - p->started,
		.packets = t->packets, .flows = t->flows,
	};
	char line[256];
	ea_progress_format(&pr, line, sizeof line);
	/* Erase to the end of the line: the new text may be shorter. */
	fprintf(stderr, "\r%s\033[K", line);
}

static void print_summary(const ea_audit_totals *t, bool keep_duplicates, unsigned n_inputs,
			  unsigned n_failed, double secs, const char *db, int64_t run_id)
{
	uint64_t anomalies = 0;
	char esc_db[1024];
	for (int i = 0; i < EA_ANOMALY_COUNT; i++)
		anomalies += t->anomalies[i];
	/* SPAN copies: said only when suppression was on. */
	char dups[160] = "";
	if (!keep_duplicates)
		snprintf(dups, sizeof dups, "%llu duplicate frames suppressed (external %llu, internal %llu). ",
			 (unsigned long long)(t->duplicates[EA_IFACE_EXTERNAL] + t->duplicates[EA_IFACE_INTERNAL]),
			 (unsigned long long)t->duplicates[EA_IFACE_EXTERNAL],
			 (unsigned long long)t->duplicates[EA_IFACE_INTERNAL]);
	printf("Read %llu packets (%llu bytes) from %u capture%s in %.2f s (%.0f packets/s)%s. "
	       "%llu flows: %llu documented, %llu documented-port-only, %llu mismatch, "
	       "%llu wrong-direction, %llu unexpected; %llu TCP attempts never answered or refused. "
	       "%llu frames not decoded or counted as anomalies; at most %llu flows open at once, %llu evicted. "
	       "%s"
	       "Recorded in %s as run %lld.\n",
	       (unsigned long long)t->packets, (unsigned long long)t->bytes, n_inputs,
	       n_inputs == 1 ? "" : "s", secs, secs > 0 ? (double)t->packets / secs : 0.0,
	       n_failed ? " (some captures could not be read: see above)" : "",
	       (unsigned long long)t->flows,
	       (unsigned long long)t->verdicts[EA_VERDICT_DOCUMENTED],
	       (unsigned long long)t->verdicts[EA_VERDICT_PORT_ONLY],
	       (unsigned long long)t->verdicts[EA_VERDICT_MISMATCH],
	       (unsigned long long)t->verdicts[EA_VERDICT_WRONG_DIRECTION],
	       (unsigned long long)t->verdicts[EA_VERDICT_UNEXPECTED],
	       (unsigned long long)t->attempts, (unsigned long long)anomalies,
	       (unsigned long long)t->peak_flows, (unsigned long long)t->evicted, dups,
	       ea_escape(db, esc_db, sizeof esc_db), (long long)run_id);
}

static ea_status finish_run(ea_store *store, int64_t run_id, const ea_audit_totals *t, const char *status,
			    char *errbuf, size_t errlen)
{
	ea_run_totals totals = {
		.packets = t->packets, .bytes = t->bytes, .flows = t->flows, .decoded = t->decoded,
		.evicted = t->evicted, .peak_flows = t->peak_flows, .finished_at = (int64_t)time(NULL),
		.status = status,
	};
	memcpy(totals.anomalies, t->anomalies, sizeof totals.anomalies);
	return ea_store_finish_run(store, run_id, &totals, errbuf, errlen);
}

/* The flow hash seed: unpredictable, so crafted traffic cannot aim at one
 * bucket. Results never depend on it (nothing is reported in hash order). */
static uint64_t random_seed(void)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	return seed;
}

/* "path: no frame could be decoded: link type 160 (USER13) ..." */
static void describe_unsupported(const ea_input_info *in, bool nothing, char *out, size_t outlen)
{
	size_t used;
	if (nothing)
		used = (size_t)snprintf(out, outlen, "%s: no frame could be decoded: link type", in->path);
	else
		used = (size_t)snprintf(out, outlen, "%s: %llu of %llu frames not decoded: link type", in->path,
					(unsigned long long)in->unsupported_frames,
					(unsigned long long)in->packets);
	for (unsigned i = 0; i < in->n_unsupported && used < outlen; i++) {
		const char *name = ea_source_linktype_name(in->unsupported[i].linktype);
		used += (size_t)snprintf(out + used, outlen - used, "%s %d (%s)", i ? "," : "",
					 in->unsupported[i].linktype, name ? name : "no name known to libpcap");
	}
	if (used < outlen)
		snprintf(out + used, outlen - used, " %s not decoded by edgeaudit",
			 in->n_unsupported > 1 ? "are" : "is");
}

int ea_run_read(const ea_read_options *o)
{
	ea_log *lg = o->log;
	const char *site_path = o->site_path, *db_path = o->db_path;
	const char *matrix_path = o->matrix_path, *ports_path = o->ports_path;
	bool force = o->force, quiet = o->quiet, keep_duplicates = o->keep_duplicates;
	const char *eve_path = o->eve_path, *syslog_target = o->syslog_target;
	const char *syslog_facility = o->syslog_facility;
	ea_outputs *outputs = NULL;
	unsigned n_inputs = o->n_captures, n_failed = 0;
	size_t n_alloc = n_inputs ? n_inputs : 1;
	input_file *inputs = calloc(n_alloc, sizeof *inputs);
	ea_input_info *claimed = calloc(n_alloc, sizeof *claimed);
	int64_t *input_ids = calloc(n_alloc, sizeof *input_ids);
	char *errbuf = calloc(1, ERRBUF_SIZE);
	const ea_ruleset *ruleset = NULL;
	/* "" is no filter, as for the store. */
	const char *filter_expr = o->filter && *o->filter ? o->filter : NULL;
	ea_filter *filter = NULL;
	ea_store *store = NULL;
	ea_runlock *runlock = NULL;
	ea_audit *audit = NULL;
	int64_t run_id = 0;
	bool run_finished = false;
	ea_natpair_result nat_pairs = {0};
	int rc = EA_EXIT_OK;

	if (!inputs || !claimed || !input_ids || !errbuf) {
		say_line(lg, EA_LOG_ERROR, "out of memory");
		free(inputs);
		free(claimed);
		free(input_ids);
		free(errbuf);
		return EA_EXIT_RUNTIME;
	}
	for (unsigned i = 0; i < n_inputs; i++) {
		inputs[i].path = o->captures[i].path;
		inputs[i].iface = o->captures[i].iface;
	}

	ea_ruleset_paths rpaths = {.matrix = matrix_path, .portsigs = ports_path, .site = site_path,
				   .local = o->local_path};
	ea_status st = ea_ruleset_load(&rpaths, NULL, &ruleset, errbuf, ERRBUF_SIZE);
	/* A wrong filter is a usage error found before anything is opened
	 * or written (exit 2), as a wrong data file is. */
	if (st == EA_OK && filter_expr)
		st = ea_filter_new(filter_expr, &filter, errbuf, ERRBUF_SIZE);
	if (st != EA_OK) {
		rc = say_fail(lg, st, errbuf);
		goto out;
	}
	/* Hash every capture before anything is written: a duplicate or a
	 * missing file stops the run before it starts. A stream can be read
	 * only once: it is hashed while read, after its interface's files. */
	for (unsigned i = 0; i < n_inputs; i++) {
		inputs[i].given = i;
		inputs[i].stream = is_stream(inputs[i].path);
		if (inputs[i].stream) {
			inputs[i].first_us = UINT64_MAX;
			for (unsigned k = 0; k < i; k++) {
				if (inputs[k].stream && same_stream(inputs[k].path, inputs[i].path)) {
					snprintf(errbuf, ERRBUF_SIZE, "%s and %s are the same stream, which can be read "
						 "only once", inputs[k].path, inputs[i].path);
					rc = say_fail_line(lg, EA_ERR_USAGE, errbuf);
					goto out;
				}
			}
			continue;
		}
		st = ea_sha256_file(inputs[i].path, inputs[i].sha256, &inputs[i].size, errbuf, ERRBUF_SIZE);
		if (st != EA_OK) {
			rc = say_fail_line(lg, st, errbuf);
			goto out;
		}
		inputs[i].first_us = first_record_time(inputs[i].path);
		for (unsigned k = 0; k < i && !force; k++) {
			if (!inputs[k].stream && strcmp(inputs[k].sha256, inputs[i].sha256) == 0) {
				snprintf(errbuf, ERRBUF_SIZE, "%s and %s are the same capture (sha256 %.16s…); "
					 "give it once, or use --force", inputs[k].path, inputs[i].path, inputs[i].sha256);
				rc = say_fail_line(lg, EA_ERR_DUPLICATE, errbuf);
				goto out;
			}
		}
	}

	qsort(inputs, n_inputs, sizeof *inputs, input_order);

	/* The SIEM outputs are checked before anything is written: a typo in
	 * a target is a usage error, not a run without its findings. They
	 * come after the captures are known to exist: a missing capture must
	 * not leave an empty EVE file behind. */
	if (eve_path || syslog_target) {
		ea_outputs_config ocfg = {.eve_path = eve_path, .syslog_target = syslog_target,
					  .syslog_facility = syslog_facility, .ruleset = ruleset};
		st = ea_outputs_open(&ocfg, &outputs, errbuf, ERRBUF_SIZE);
		if (st != EA_OK) {
			rc = say_fail(lg, st == EA_ERR_IO ? EA_ERR_USAGE : st, errbuf);
			goto out;
		}
		if (*ea_outputs_warning(outputs)) {
			char warn[1024];
			snprintf(warn, sizeof warn, "%s; findings are counted as not sent until it answers",
				 ea_outputs_warning(outputs));
			say_line(lg, EA_LOG_WARNING, warn);
		}
	}

	st = ea_store_open(db_path, &store, errbuf, ERRBUF_SIZE);
	if (st == EA_OK)
		st = ea_store_set_cache(store, EA_DB_WRITE_CACHE_KIB, errbuf, ERRBUF_SIZE);
	if (st == EA_OK)
		st = ea_runlock_open(db_path, true, &runlock, errbuf, ERRBUF_SIZE);
	if (st != EA_OK) {
		rc = say_fail_line(lg, st, errbuf);
		goto out;
	}

	/* The data files' hashes are those of the bytes the ruleset parsed. */
	const ea_ruleset_file_info *mf = ea_ruleset_file_get(ruleset, EA_RULESET_MATRIX),
				   *pf = ea_ruleset_file_get(ruleset, EA_RULESET_PORTSIGS),
				   *sf = ea_ruleset_file_get(ruleset, EA_RULESET_SITE),
				   *lf = ea_ruleset_file_get(ruleset, EA_RULESET_LOCAL);
	ea_run_info info = {
		.tool_version = o->tool_version, .ndpi_version = ea_classifier_ndpi_version(),
		.matrix_path = mf->path, .matrix_sha256 = mf->sha256,
		.portsig_path = pf->path, .portsig_sha256 = pf->sha256,
		.site_path = sf->path, .site_sha256 = sf->sha256,
		.local_path = lf->path, .local_sha256 = lf->sha256,
		.command_line = o->command_line, .started_at = (int64_t)time(NULL),
		.filter = filter_expr, .duplicates_kept = keep_duplicates,
	};
	/* A stream's hash is known only once it is read (NULL: claimed
	 * without the duplicate check, recorded by ea_store_finish_input). */
	for (unsigned i = 0; i < n_inputs; i++)
		claimed[i] = (ea_input_info){.iface = inputs[i].iface, .path = inputs[i].path,
					     .sha256 = inputs[i].stream ? NULL : inputs[i].sha256,
					     .size = inputs[i].size};
	/* From the claim on, a signal stops the run cleanly instead of
	 * killing the process mid-write. */
	if (o->catch_signals)
		o->catch_signals();
	ea_run_liveness live = ea_runlock_liveness(runlock);
	ea_run_claim claim = {.info = &info, .matrix = ea_ruleset_matrix(ruleset), .inputs = claimed,
			      .n_inputs = n_inputs, .force = force, .liveness = &live};
	ea_duplicate dup = {0};
	st = ea_store_claim_run(store, &claim, &run_id, input_ids, &dup, errbuf, ERRBUF_SIZE);
	if (st == EA_ERR_DUPLICATE && dup.input < n_inputs) {
		const input_file *d = &inputs[dup.input];
		if (dup.running)
			snprintf(errbuf, ERRBUF_SIZE, "%s is being read into %s by run %lld, still running "
				 "(sha256 %.16s…); wait for it to finish, or use --force", d->path, db_path,
				 (long long)dup.run_id, d->sha256);
		else
			snprintf(errbuf, ERRBUF_SIZE, "%s is already in %s (run %lld, sha256 %.16s…%s); "
				 "use --force to read it again", d->path, db_path, (long long)dup.run_id,
				 d->sha256, filter ? ", read whole or through the same filter" : "");
	}
	if (st != EA_OK) {
		run_id = 0;
		rc = say_fail_line(lg, st, errbuf);
		goto out;
	}

	progress_ctx progress = {.started = now_seconds(), .tty = !quiet && isatty(STDERR_FILENO),
				 .outputs = outputs};
	/* A stream's size is known only once it has been read: with one among
	 * the inputs there is no total to show a share or a time left of. */
	bool size_known = true;
	for (unsigned i = 0; i < n_inputs; i++) {
		progress.total_bytes += inputs[i].size;
		size_known = size_known && !inputs[i].stream;
	}
	if (!size_known)
		progress.total_bytes = 0;
	ea_audit_config acfg = {
		.ruleset = ruleset,
		.store = store, .run_id = run_id, .max_flows = o->max_flows, .active_timeout_us = o->active_timeout_us,
		.hash_seed = random_seed(), .keep_duplicates = keep_duplicates,
		.on_progress = show_progress, .on_flow = outputs ? flow_to_outputs : NULL,
		.hook_ctx = &progress,
		.stop = o->stop, .filter = filter,
	};
	st = ea_audit_new(&acfg, &audit, errbuf, ERRBUF_SIZE);
	if (st != EA_OK) {
		rc = say_fail_line(lg, st, errbuf);
		goto out;
	}

	int stopped_by = 0;
	uint64_t filtered_out = 0;
	for (unsigned i = 0; i < n_inputs && !stopped_by; i++) {
		ea_input_info in = claimed[i];
		ea_source *src = NULL;
		char why[512];
		errbuf[0] = '\0';
		if (*o->stop) {
			/* Stopped between two files: the run says where — this
			 * one, before its first record. */
			stopped_by = *o->stop;
			snprintf(why, sizeof why, "interrupted after 0 records by %s", stop_signal_name(stopped_by));
			in.error = why;
			st = ea_store_finish_input(store, input_ids[i], &in, errbuf, ERRBUF_SIZE);
			if (st == EA_OK)
				st = ea_store_flush(store, errbuf, ERRBUF_SIZE);
			if (st != EA_OK) {
				rc = say_fail_line(lg, st, errbuf);
				goto out;
			}
			break;
		}
		uint64_t planned = inputs[i].size; /* 0 for a stream: not in the total */
		if (inputs[i].stream)
			st = ea_source_open_stream(inputs[i].path, &src, errbuf, ERRBUF_SIZE);
		else
			st = ea_source_open_file(inputs[i].path, &src, errbuf, ERRBUF_SIZE);
		uint64_t untimed_before = ea_audit_get_totals(audit)->anomalies[EA_ANOMALY_UNTIMED_FRAME];
		uint64_t evicted_before = ea_audit_get_totals(audit)->evicted;
		if (st == EA_OK) {
			progress.current = src;
			st = ea_audit_read(audit, src, inputs[i].iface, &in, errbuf, ERRBUF_SIZE);
			progress.current = NULL;
		}
		if (st != EA_OK && st != EA_ERR_INTERRUPTED && *o->stop) {
			/* The signal cut a blocked open or read of a stream
			 * (EINTR): that is the interruption, not a bad capture. */
			snprintf(errbuf, ERRBUF_SIZE, "%s: interrupted while waiting for data", inputs[i].path);
			st = EA_ERR_INTERRUPTED;
		}
		if (inputs[i].stream)
			finish_stream(lg, store, src, inputs, n_inputs, i, force, filter_expr, &in, &st, errbuf,
				      ERRBUF_SIZE);
		filtered_out += in.filtered_out;
		ea_source_close(src);
		progress.done_bytes += planned;
		if (progress.tty)
			fputs("\r\033[K", stderr);
		if (st == EA_ERR_INTERRUPTED) {
			stopped_by = *o->stop ? *o->stop : SIGINT;
			snprintf(why, sizeof why, "%s by %s", errbuf, stop_signal_name(stopped_by));
			in.error = why;
		} else if (st != EA_OK && st != EA_ERR_FORMAT && st != EA_ERR_IO) {
			/* A capture we cannot read is that capture's problem;
			 * anything else (the database, memory) ends the run. */
			rc = say_fail_line(lg, st, errbuf);
			goto out;
		} else if (st != EA_OK) {
			if (filter && strncmp(errbuf, "filter '", 8) == 0) {
				/* The filter's message does not know the capture. */
				snprintf(why, sizeof why, "%s: %s", inputs[i].path, errbuf);
				snprintf(errbuf, ERRBUF_SIZE, "%s", why);
			}
			say_line(lg, EA_LOG_ERROR, errbuf);
			in.error = errbuf;
			n_failed++;
		} else {
			if (in.truncated)
				say_line(lg, EA_LOG_WARNING, errbuf);
			/* Frames of a link type we do not decode are named; a
			 * capture of which nothing could be decoded for that
			 * reason is as lost as an unreadable one. */
			if (in.unsupported_frames > 0) {
				bool nothing = in.decoded == 0 && in.unsupported_frames == in.packets;
				describe_unsupported(&in, nothing, why, sizeof why);
				if (nothing) {
					say_line(lg, EA_LOG_ERROR, why);
					in.error = why;
					n_failed++;
				} else {
					say_line(lg, EA_LOG_WARNING, why);
				}
			}
			/* Frames with no usable time are not decoded (README,
			 * Times): say so, and a capture none of whose frames
			 * had one is as lost as an unreadable one. */
			uint64_t untimed = ea_audit_get_totals(audit)->anomalies[EA_ANOMALY_UNTIMED_FRAME] -
					   untimed_before;
			if (untimed > 0 && in.error == NULL) {
				snprintf(why, sizeof why,
					 "%s: %llu of %llu frames not decoded: no valid time before them in the file "
					 "(untimed_frame)",
					 in.path, (unsigned long long)untimed, (unsigned long long)in.packets);
				if (in.untimed) {
					say_lines(lg, EA_LOG_ERROR, why);
					in.error = why;
					n_failed++;
				} else {
					say_lines(lg, EA_LOG_WARNING, why);
				}
			}
		}
		st = ea_store_finish_input(store, input_ids[i], &in, errbuf, ERRBUF_SIZE);
		if (st == EA_OK && in.packets > 0 && !in.untimed) {
			/* The capture's own loss (capture_stats): flows the full
			 * flow table evicted while it was read, over its time. */
			ea_capture_stats cs = {.iface = inputs[i].iface, .input_id = input_ids[i],
					       .start_us = in.first_us, .end_us = in.last_us,
					       .evicted = ea_audit_get_totals(audit)->evicted - evicted_before};
			st = ea_store_add_capture_stats(store, run_id, &cs, errbuf, ERRBUF_SIZE);
		}
		if (st == EA_OK)
			st = ea_store_flush(store, errbuf, ERRBUF_SIZE);
		if (st != EA_OK) {
			rc = say_fail_line(lg, st, errbuf);
			goto out;
		}
	}

	char status[96];
	if (stopped_by) {
		/* What was decided (the flows that ended) is stored; flows
		 * still open are not: their verdict was never reached. */
		snprintf(status, sizeof status, "interrupted: %s", stop_signal_name(stopped_by));
		st = finish_run(store, run_id, ea_audit_get_totals(audit), status, errbuf, ERRBUF_SIZE);
		if (st != EA_OK) {
			rc = say_fail_line(lg, st, errbuf);
			goto out;
		}
		run_finished = true;
		snprintf(errbuf, ERRBUF_SIZE, "interrupted by %s: run %lld in %s is marked interrupted, with the "
			 "%llu flows that had ended; read the captures again (no --force needed) for a "
			 "complete run", stop_signal_name(stopped_by), (long long)run_id, db_path,
			 (unsigned long long)ea_audit_get_totals(audit)->flows);
		say_line(lg, EA_LOG_ERROR, errbuf);
		rc = 128 + stopped_by;
		goto out;
	}
	st = ea_audit_finish(audit, errbuf, ERRBUF_SIZE);
	/* Both sides of the NAT read together: which public address each
	 * Edge private address has (engine/natpair.h). */
	if (st == EA_OK)
		st = ea_natpair_run(store, run_id, ea_ruleset_matrix(ruleset), ea_ruleset_site(ruleset), &nat_pairs,
				    errbuf, ERRBUF_SIZE);
	if (st == EA_OK)
		st = ea_store_flush(store, errbuf, ERRBUF_SIZE);
	if (st != EA_OK) {
		rc = say_fail_line(lg, st, errbuf);
		goto out;
	}
	if (n_failed)
		snprintf(status, sizeof status, "partial: %u of %u captures unreadable or undecodable",
			 n_failed, n_inputs);
	else
		snprintf(status, sizeof status, "complete");
	st = finish_run(store, run_id, ea_audit_get_totals(audit), status, errbuf, ERRBUF_SIZE);
	if (st != EA_OK) {
		rc = say_fail_line(lg, st, errbuf);
		goto out;
	}
	run_finished = true;
	ea_outputs_flush(outputs);
	if (!quiet) {
		print_summary(ea_audit_get_totals(audit), keep_duplicates, n_inputs, n_failed, now_seconds() - progress.started,
			      db_path, run_id);
		char line[1024];
		ea_outputs_summary(outputs, line, sizeof line);
		if (line[0])
			printf("%s.\n", line);
		ea_natpair_summary(&nat_pairs, line, sizeof line);
		if (line[0])
			printf("%s.\n", line);
		if (filter) {
			char esc[1024];
			printf("%llu frames did not pass the filter '%s' and were skipped.\n",
			       (unsigned long long)filtered_out, ea_escape(filter_expr, esc, sizeof esc));
		}
	}
	rc = n_failed ? EA_EXIT_RUNTIME : EA_EXIT_OK;
out:
	if (run_id && !run_finished) {
		/* Best effort: the run says it failed and why, so a report does not
		 * show it as running and its captures can be read again. */
		static const ea_audit_totals none;
		char failed[512], ignored_err[256];
		snprintf(failed, sizeof failed, "failed: %s", errbuf);
		finish_run(store, run_id, audit ? ea_audit_get_totals(audit) : &none, failed, ignored_err,
			   sizeof ignored_err);
	}
	ea_audit_free(audit);
	ea_natpair_result_free(&nat_pairs);
	if (outputs) {
		/* A SIEM's copy that lost lines is a failed output; a syslog
		 * collector away is not (its lines are counted, above). */
		const char *why = "";
		uint64_t lost = ea_outputs_eve_failed(outputs, &why);
		char close_err[512];
		if (lost) {
			snprintf(close_err, sizeof close_err, "%llu EVE lines could not be written: %s",
				 (unsigned long long)lost, why);
			say_line(lg, EA_LOG_ERROR, close_err);
			if (rc == EA_EXIT_OK)
				rc = EA_EXIT_RUNTIME;
		}
		uint64_t unsent = ea_outputs_syslog_unsent(outputs, &why);
		if (unsent) {
			snprintf(close_err, sizeof close_err, "%llu syslog lines not sent (last failure: %s)",
				 (unsigned long long)unsent, why);
			say_line(lg, EA_LOG_WARNING, close_err);
		}
		if (ea_outputs_close(outputs, close_err, sizeof close_err) != EA_OK && rc == EA_EXIT_OK)
			rc = say_fail_line(lg, EA_ERR_IO, close_err);
	}
	if (store) {
		char close_err[512];
		if (ea_store_close(store, close_err, sizeof close_err) != EA_OK && rc == EA_EXIT_OK)
			rc = say_fail_line(lg, EA_ERR_DB, close_err);
	}
	/* Only now: the run's status is committed, so nobody may take it for
	 * abandoned while it is still being finished. */
	ea_runlock_close(runlock);
	ea_ruleset_unref(ruleset);
	ea_filter_free(filter);
	free(inputs);
	free(claimed);
	free(input_ids);
	free(errbuf);
	return rc;
}
