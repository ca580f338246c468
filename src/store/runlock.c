/* runlock.c — one locked byte per running run, in a file beside the
 * database (see runlock.h for why open file description locks). */
#include "store/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ea_runlock {
	int fd;            /* -1: no lock file (reader) */
	bool unreadable;   /* it exists but could not be opened */
	char *path;
};

bool ea_runlock_path(const char *db_path, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s-runlock", db_path);
	return n > 0 && (size_t)n < outlen;
}

ea_status ea_runlock_open(const char *db_path, bool create, ea_runlock **out, char *errbuf, size_t errlen)
{
	*out = NULL;
	ea_runlock *l = calloc(1, sizeof *l);
	size_t len = strlen(db_path) + sizeof "-runlock";
	if (!l || !(l->path = malloc(len))) {
		free(l);
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	}
	ea_runlock_path(db_path, l->path, len);
	/* CLOEXEC: a child (none today) must not inherit the proof.
	 * NONBLOCK: a FIFO in its place (evidence is not ours) would block a
	 * read-only open for ever; it is refused below, and on a regular file
	 * the flag changes nothing. */
	l->fd = create ? open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644)
		       : open(l->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat sb;
	if (l->fd >= 0 && (fstat(l->fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
		close(l->fd);
		l->fd = -1;
		if (create) {
			ea_status st = ea_fail(EA_ERR_IO, errbuf, errlen,
					       "%s: the run lock file is not a regular file", l->path);
			ea_runlock_close(l);
			return st;
		}
		l->unreadable = true;
	} else if (l->fd < 0) {
		int err = errno;
		if (create) {
			ea_status st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot open the run lock file: %s",
					       l->path, strerror(err));
			ea_runlock_close(l);
			return st;
		}
		l->unreadable = err != ENOENT;
	}
	*out = l;
	return EA_OK;
}

static struct flock byte_of(int64_t run_id, short type)
{
	/* l_pid must be 0 for open file description locks. */
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = (off_t)run_id, .l_len = 1};
	return fl;
}

ea_status ea_runlock_hold(ea_runlock *l, int64_t run_id, char *errbuf, size_t errlen)
{
	if (run_id <= 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "run lock: invalid run id %lld", (long long)run_id);
	struct flock fl = byte_of(run_id, F_WRLCK);
	if (fcntl(l->fd, F_OFD_SETLK, &fl) == 0)
		return EA_OK;
	if (errno == EAGAIN || errno == EACCES)
		return ea_fail(EA_ERR_DB, errbuf, errlen, "%s: run %lld is held by another process",
			       l->path, (long long)run_id);
	return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot lock: %s", l->path, strerror(errno));
}

void ea_runlock_release(ea_runlock *l, int64_t run_id)
{
	if (!l || l->fd < 0 || run_id <= 0)
		return;
	struct flock fl = byte_of(run_id, F_UNLCK);
	fcntl(l->fd, F_OFD_SETLK, &fl);
}

ea_writer_state ea_runlock_writer(const ea_runlock *l, int64_t run_id)
{
	if (l->unreadable)
		return EA_WRITER_UNKNOWN;
	if (l->fd < 0)
		return EA_WRITER_GONE;
	if (run_id <= 0)
		return EA_WRITER_GONE;
	struct flock fl = byte_of(run_id, F_WRLCK);
	if (fcntl(l->fd, F_OFD_GETLK, &fl) != 0)
		return EA_WRITER_UNKNOWN;
	return fl.l_type == F_UNLCK ? EA_WRITER_GONE : EA_WRITER_ALIVE;
}

void ea_runlock_close(ea_runlock *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l);
}

/* ---- the store's liveness callbacks ------------------------------------- */

static bool liveness_writer_alive(void *ctx, int64_t run_id)
{
	/* Only a proof of death frees a run: when we cannot tell, it stays. */
	return ea_runlock_writer(ctx, run_id) != EA_WRITER_GONE;
}

static ea_status liveness_hold(void *ctx, int64_t run_id, char *errbuf, size_t errlen)
{
	return ea_runlock_hold(ctx, run_id, errbuf, errlen);
}

static void liveness_release(void *ctx, int64_t run_id)
{
	ea_runlock_release(ctx, run_id);
}

ea_run_liveness ea_runlock_liveness(ea_runlock *l)
{
	return (ea_run_liveness){.writer_alive = liveness_writer_alive, .hold = liveness_hold,
				 .release = liveness_release, .ctx = l};
}
