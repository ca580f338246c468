/* dbowner.h — the database's files (the file, its -wal and -shm, the
 * -runlock beside it) and the user the sensor runs as. A database first
 * created by a root run stays root's unless it is given away: the next
 * start as the run user (the systemd unit's User=) could not write it.
 * So monitor gives them to the run user before it drops root, and a start
 * that cannot write them says whose they are, as a configuration error.
 * Position: cli/, monitor's start. */
#ifndef EA_DBOWNER_H
#define EA_DBOWNER_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Gives db_path and those of its -wal, -shm and -runlock files that exist
 * to uid:gid (open with O_NOFOLLOW, then fchown(2): a symbolic link put
 * in their place is refused, not followed). EA_ERR_IO naming the file. */
ea_status ea_dbowner_give(const char *db_path, uid_t uid, gid_t gid, char *errbuf, size_t errlen);

/* EA_OK when this process may read and write each of those files that
 * exists (access(2) with the real ids, which are the effective ones
 * here); EA_ERR_CONFIG naming the first it may not, its owner and mode
 * and the uid this process runs as, with the fix. */
ea_status ea_dbowner_check(const char *db_path, char *errbuf, size_t errlen);

#endif
