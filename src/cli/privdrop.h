/* privdrop.h — giving up root and capabilities once the sensor holds
 * what needed them.
 *
 * Pipeline position: the command line, once, after the capture
 * interfaces and the database are open and before any thread starts
 * (the OpenBSD order of pflogd(8): open privileged resources first, then
 * drop). What needs privilege is opening a packet socket (CAP_NET_RAW,
 * packet(7)); a socket already open keeps working without it, so after
 * the open nothing is needed, except to reopen an interface that
 * disappeared and came back, which is why a caller may keep CAP_NET_RAW.
 *
 * Started as root (uid, euid or saved uid 0), the process becomes the
 * user named (its primary group, supplementary groups cleared: setgroups
 * (2), setresgid(2), setresuid(2)); every capability not kept leaves the
 * effective, permitted, inheritable, ambient and bounding sets
 * (capabilities(7)); no_new_privs is set, so no later exec can gain
 * privilege (prctl(2) PR_SET_NO_NEW_PRIVS). Started unprivileged with
 * capabilities (a systemd unit's User= and AmbientCapabilities=), the
 * user cannot change: the capabilities not kept leave every set but the
 * bounding set (which needs CAP_SETPCAP; the unit's CapabilityBoundingSet
 * bounds it). The drop is then checked: the ids read back, no
 * supplementary group, setuid(0) refused, the capability sets exactly
 * those kept.
 *
 * Capabilities are per thread in Linux, so a thread started before the
 * drop would keep them: the drop refuses to run with more than one
 * thread. libcap (libcap2, Debian's libcap-dev) reads and sets the sets;
 * this is the only file that includes <sys/capability.h>. */
#ifndef EA_PRIVDROP_H
#define EA_PRIVDROP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* Capabilities a caller may keep (a bit set). */
enum {
	EA_PRIVDROP_KEEP_NET_RAW = 1u << 0,   /* open a packet socket: reopen an interface that came back */
	EA_PRIVDROP_KEEP_NET_ADMIN = 1u << 1, /* interface settings (not needed by libpcap's capture) */
};

typedef struct {
	/* The user to become (--user NAME). NULL: EA_DEFAULT_USER, or
	 * EA_FALLBACK_USER when that user does not exist. "root" keeps
	 * root and every capability, and is the only way to stay root: a
	 * user whose uid is 0 by another name is refused. */
	const char *user;
	unsigned keep; /* EA_PRIVDROP_KEEP_*; 0: none (the usual case) */
} ea_privdrop_config;

typedef struct {
	char user[64];   /* the user the process runs as now */
	uid_t uid;
	gid_t gid;
	bool changed;    /* the user was changed (started as root) */
	bool root_kept;  /* --user root: nothing was dropped */
	uint64_t cap_effective; /* bit n = capability n (capabilities(7)), after the drop */
	uint64_t cap_permitted;
	/* One line for the log: "running as nobody (uid 65534, gid 65534),
	 * no capabilities" or "..., keeping cap_net_raw". */
	char summary[160];
} ea_privdrop_result;

/* Drops privileges as described above and fills *out (may be NULL);
 * cfg NULL is the default user, nothing kept.
 * Errors, with nothing changed unless said:
 *   EA_ERR_USAGE   the user named does not exist, has uid 0 but is not
 *                  "root", or differs from the current user when not
 *                  started as root (no right to change user);
 *   EA_ERR_CONFIG  neither EA_DEFAULT_USER nor EA_FALLBACK_USER exists
 *                  (the process would stay root);
 *   EA_ERR_INTERNAL more than one thread; a system call refused a step
 *                  or the check after it failed (the process may then be
 *                  partly dropped: the caller must exit).
 * errbuf names the user and the step. */
ea_status ea_privdrop(const ea_privdrop_config *cfg, ea_privdrop_result *out, char *errbuf, size_t errlen);
/* The user ea_privdrop would become, looked up now and nothing changed:
 * for the command line, so that a wrong --user is a usage error before
 * anything is opened or written. Errors as ea_privdrop's EA_ERR_USAGE and
 * EA_ERR_CONFIG. */
ea_status ea_privdrop_check(const ea_privdrop_config *cfg, char *errbuf, size_t errlen);
/* As ea_privdrop_check, and gives the user's uid and primary gid (what
 * ea_privdrop would become): files the process must reopen after the
 * drop are given to them first. */
ea_status ea_privdrop_target(const ea_privdrop_config *cfg, uid_t *uid, gid_t *gid, char *errbuf, size_t errlen);
/* Whether uid, with gid as its only group (as after ea_privdrop), may
 * create and remove files in the folder that holds path (write and
 * search permission by the mode bits, stat(2); ACLs are not read). For
 * the database: SQLite creates and removes its -wal, -shm and -journal
 * files there, and cannot once root is given up if it may not. true
 * when the folder cannot be looked at (missing): opening the database
 * then says what is wrong. */
bool ea_privdrop_user_can_write_dir_of(const char *path, uid_t uid, gid_t gid);

#endif
