/* dbowner.c — the database's files and the run user; see dbowner.h. */
#include "cli/dbowner.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/escape.h"

static const char *const suffixes[] = {"", "-wal", "-shm", "-runlock"};
#define N_SUFFIXES (sizeof suffixes / sizeof suffixes[0])

ea_status ea_dbowner_give(const char *db_path, uid_t uid, gid_t gid, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < N_SUFFIXES; i++) {
		char path[4096], shown[512];
		if (snprintf(path, sizeof path, "%s%s", db_path, suffixes[i]) >= (int)sizeof path)
			return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: path too long",
				       ea_escape(db_path, shown, sizeof shown));
		int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* -wal/-shm exist only while open in WAL mode */
			return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot open it to give it to uid %u: %s",
				       ea_escape(path, shown, sizeof shown), (unsigned)uid, strerror(errno));
		}
		int rc = fchown(fd, uid, gid);
		int e = errno;
		close(fd);
		if (rc != 0)
			return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot give it to uid %u gid %u: %s",
				       ea_escape(path, shown, sizeof shown), (unsigned)uid, (unsigned)gid, strerror(e));
	}
	return EA_OK;
}

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];
	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res)
		ea_escape(res->pw_name, buf, len);
	else
		snprintf(buf, len, "?");
	return buf;
}

ea_status ea_dbowner_check(const char *db_path, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < N_SUFFIXES; i++) {
		char path[4096], shown[512], owner[64], me[64];
		if (snprintf(path, sizeof path, "%s%s", db_path, suffixes[i]) >= (int)sizeof path)
			continue; /* opening it says so */
		struct stat sb;
		if (lstat(path, &sb) != 0 || access(path, R_OK | W_OK) == 0 || errno != EACCES)
			continue; /* absent, fine, or a failure that opening it explains better */
		uid_t self = geteuid();
		return ea_fail(EA_ERR_CONFIG, errbuf, errlen,
			       "%s is owned by uid %u (%s), mode %04o, and this process runs as uid %u (%s): it "
			       "cannot write the database. Give the database's files to that user (chown %u "
			       "'%s'*) or start once as root with --user %s, which gives them",
			       ea_escape(path, shown, sizeof shown), (unsigned)sb.st_uid,
			       user_name(sb.st_uid, owner, sizeof owner), (unsigned)(sb.st_mode & 07777),
			       (unsigned)self, user_name(self, me, sizeof me), (unsigned)self,
			       ea_escape(db_path, shown, sizeof shown), me);
	}
	return EA_OK;
}
