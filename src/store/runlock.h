/* runlock.h — proof that the process writing a run is still alive.
 *
 * A run is 'running' in the database from its start until its process
 * records how it ended. A process that dies first (SIGKILL, the OOM
 * killer, a power cut, a full disk that refuses the last update) leaves
 * it 'running' for ever. To tell such a run from one still being written,
 * each writer holds a lock on one byte of the file PATH-runlock beside the
 * database PATH, at the offset of its run id, for as long as the run
 * lasts. The kernel drops a lock when its process ends, however it ends,
 * so anyone who finds the byte unlocked has proof the writer is gone.
 *
 * Open file description locks (fcntl F_OFD_SETLK, Linux 3.15+, the same
 * byte-range locks as POSIX fcntl locks but owned by the open file):
 * - no pid to compare, so neither pid reuse nor a pid namespace (a
 *   container reading a database another container writes) can fool it;
 * - they work wherever SQLite's own locking works (it uses fcntl locks on
 *   the same directory), NFS included, so every file system that can hold
 *   the database safely can hold this proof;
 * - unlike classic POSIX locks, closing some other descriptor of the file
 *   does not drop them, and two descriptors in one process do conflict,
 *   so the proof is testable in one process;
 * - testing a lock (F_OFD_GETLK) needs only read access: a report on
 *   read-only evidence can still tell a dead run from a live one. Where
 *   the lock file is absent no writer of this version holds a run.
 * The file is created empty (locks may lie beyond its end) and left in
 * place, like SQLite's own -wal and -shm: removing it while a writer
 * holds it would let the next writer lock a different file.
 * Pipeline position: beside the store, used by main for the run lifecycle. */
#ifndef EA_RUNLOCK_H
#define EA_RUNLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/error.h"

typedef struct ea_runlock ea_runlock;

typedef enum {
	EA_WRITER_GONE = 0,   /* nobody holds the run: its process has ended */
	EA_WRITER_ALIVE,      /* a process holds it */
	EA_WRITER_UNKNOWN,    /* cannot tell (the lock file is unreadable) */
} ea_writer_state;

/* The lock file's path for a database path: db_path + "-runlock".
 * Returns false when out is too small. */
bool ea_runlock_path(const char *db_path, char *out, size_t outlen);

/* For a writer (create = true): opens, creating it if absent, the lock
 * file beside db_path for reading and writing; EA_ERR_IO with
 * "path: reason" when it cannot. For a reader (create = false): opens it
 * read-only if it exists; a missing file is not an error (every run's
 * writer is then gone) and an unreadable one makes every answer
 * EA_WRITER_UNKNOWN. The caller owns *out (ea_runlock_close). */
ea_status ea_runlock_open(const char *db_path, bool create, ea_runlock **out, char *errbuf, size_t errlen);

/* Takes the lock of run_id without waiting. EA_ERR_DB when another
 * process holds it (two writers would claim the same run: the database
 * itself is wrong), EA_ERR_IO when the file system refuses locks. */
ea_status ea_runlock_hold(ea_runlock *l, int64_t run_id, char *errbuf, size_t errlen);
/* Drops the lock of run_id (a claim that did not commit). */
void ea_runlock_release(ea_runlock *l, int64_t run_id);

/* Whether some open file other than l holds run_id's lock. */
ea_writer_state ea_runlock_writer(const ea_runlock *l, int64_t run_id);

/* The store's liveness callbacks (store.h ea_run_liveness) over l, which
 * must outlive the claim: a run is proved gone only by its lock being
 * free; when that cannot be told, it counts as alive. */
ea_run_liveness ea_runlock_liveness(ea_runlock *l);

/* Closes the file, dropping every lock it holds. NULL is fine. */
void ea_runlock_close(ea_runlock *l);

#endif
