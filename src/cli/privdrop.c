/* privdrop.c — giving up root and capabilities (privdrop.h). */
#include "cli/privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ea_limits.h"
#include "util/escape.h"

/* getpwnam_r's buffer: glibc asks for 1 KiB (_SC_GETPW_R_SIZE_MAX); a
 * user from LDAP with a long GECOS field may need more. */
#define PW_BUF 16384

typedef struct {
	struct passwd pw;
	char buf[PW_BUF];
} user_entry;

/* Whether name is all decimal digits (a uid), at most 10 of them. */
static bool numeric_id(const char *name)
{
	size_t n = strspn(name, "0123456789");
	return n > 0 && n <= 10 && name[n] == '\0';
}

/* The user called name (or whose uid name spells), or false when there is none (errno 0) or the
 * lookup failed (errno set). */
static bool lookup_user(const char *name, user_entry *u)
{
	struct passwd *res = NULL;
	int rc = getpwnam_r(name, &u->pw, u->buf, sizeof u->buf, &res);
	if (rc == 0 && !res && numeric_id(name)) {
		/* A numeric id (--user 65534), as setpriv and chown take it: a
		 * name first, since a user may be called "1000". */
		char *end;
		unsigned long id = strtoul(name, &end, 10);
		if (id <= (uid_t)-2)
			rc = getpwuid_r((uid_t)id, &u->pw, u->buf, sizeof u->buf, &res);
	}
	errno = rc;
	return rc == 0 && res != NULL;
}

/* Threads of this process (entries of /proc/self/task); 0 when unknown. */
static unsigned count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return 0;
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The capability numbers a keep set stands for. */
static unsigned keep_list(unsigned keep, cap_value_t list[2])
{
	unsigned n = 0;
	if (keep & EA_PRIVDROP_KEEP_NET_RAW)
		list[n++] = CAP_NET_RAW;
	if (keep & EA_PRIVDROP_KEEP_NET_ADMIN)
		list[n++] = CAP_NET_ADMIN;
	return n;
}

static uint64_t keep_bits(unsigned keep)
{
	cap_value_t list[2];
	uint64_t bits = 0;
	for (unsigned i = 0, n = keep_list(keep, list); i < n; i++)
		bits |= 1ull << list[i];
	return bits;
}

/* One flag set of this thread's capabilities as bits. */
static uint64_t cap_bits(cap_t caps, cap_flag_t flag)
{
	uint64_t bits = 0;
	for (cap_value_t c = 0; c < 64 && CAP_IS_SUPPORTED(c); c++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(caps, c, flag, &v) == 0 && v == CAP_SET)
			bits |= 1ull << c;
	}
	return bits;
}

/* Sets effective and permitted to exactly the kept capabilities that are
 * permitted now, inheritable and ambient to none. */
static ea_status set_caps(unsigned keep, uint64_t permitted_now, char *errbuf, size_t errlen)
{
	cap_value_t list[2];
	unsigned n = 0, k = keep_list(keep, list);
	for (unsigned i = 0; i < k; i++)
		if (permitted_now & (1ull << list[i]))
			list[n++] = list[i];
	cap_t caps = cap_init(); /* every set empty */
	if (!caps)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "dropping capabilities: out of memory");
	int rc = 0;
	if (n)
		rc = cap_set_flag(caps, CAP_PERMITTED, (int)n, list, CAP_SET) |
		     cap_set_flag(caps, CAP_EFFECTIVE, (int)n, list, CAP_SET);
	if (rc == 0)
		rc = cap_set_proc(caps);
	int err = errno;
	cap_free(caps);
	if (rc != 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "dropping capabilities: %s", strerror(err));
	/* The ambient set would hand capabilities to a program we exec;
	 * clearing it needs no privilege. */
	if (cap_reset_ambient() != 0 && errno != EINVAL)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "clearing the ambient capabilities: %s",
			       strerror(errno));
	return EA_OK;
}

/* The check after the drop: ids, groups, setuid(0), capabilities. */
static ea_status verify(uid_t uid, gid_t gid, bool groups_cleared, uint64_t want, ea_privdrop_result *r,
			char *errbuf, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != uid || eu != uid ||
	    su != uid || rg != gid || eg != gid || sg != gid)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "privilege drop check: user or group ids not all %u/%u",
			       (unsigned)uid, (unsigned)gid);
	if (groups_cleared && getgroups(0, NULL) != 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "privilege drop check: supplementary groups remain");
	if (uid != 0 && setuid(0) == 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "privilege drop check: setuid(0) succeeded");
	cap_t caps = cap_get_proc();
	if (!caps)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "privilege drop check: %s", strerror(errno));
	r->cap_effective = cap_bits(caps, CAP_EFFECTIVE);
	r->cap_permitted = cap_bits(caps, CAP_PERMITTED);
	uint64_t inheritable = cap_bits(caps, CAP_INHERITABLE);
	cap_free(caps);
	if ((r->cap_permitted & ~want) || (r->cap_effective & ~want) || inheritable)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen,
			       "privilege drop check: capabilities remain (permitted %#llx, effective %#llx)",
			       (unsigned long long)r->cap_permitted, (unsigned long long)r->cap_effective);
	return EA_OK;
}

static void summarise(ea_privdrop_result *r)
{
	int n = snprintf(r->summary, sizeof r->summary, "running as %s (uid %u, gid %u), ", r->user, (unsigned)r->uid,
			 (unsigned)r->gid);
	if (n < 0 || (size_t)n >= sizeof r->summary)
		return;
	if (r->root_kept) {
		snprintf(r->summary + n, sizeof r->summary - (size_t)n, "every capability kept (--user root)");
		return;
	}
	if (!r->cap_effective) {
		snprintf(r->summary + n, sizeof r->summary - (size_t)n, "no capabilities");
		return;
	}
	snprintf(r->summary + n, sizeof r->summary - (size_t)n, "keeping%s%s",
		 r->cap_effective & (1ull << CAP_NET_RAW) ? " cap_net_raw" : "",
		 r->cap_effective & (1ull << CAP_NET_ADMIN) ? " cap_net_admin" : "");
}

/* Started as root: become u, keeping only what keep names. */
static ea_status drop_root(const struct passwd *pw, unsigned keep, ea_privdrop_result *r, char *errbuf,
			   size_t errlen)
{
	char name[128];
	ea_escape(pw->pw_name, name, sizeof name);
	uint64_t want = keep_bits(keep);
	/* The bounding set first, while CAP_SETPCAP is ours: no later exec
	 * (of a file with capabilities) can regain what it no longer holds. */
	for (cap_value_t c = 0; c < 64 && CAP_IS_SUPPORTED(c); c++)
		if (!(want & (1ull << c)) && cap_drop_bound(c) != 0)
			return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "dropping capability %d from the bounding set: %s",
				       (int)c, strerror(errno));
	/* Changing uid from 0 clears the permitted set unless keepcaps is
	 * on; it is on only for the moment of the change, and only when
	 * something is kept. */
	if (want && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "keeping capabilities across the user change: %s",
			       strerror(errno));
	/* Groups before the user: once the uid is not 0 they cannot change. */
	if (setgroups(0, NULL) != 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "clearing supplementary groups: %s", strerror(errno));
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "becoming group %u of user %s: %s", (unsigned)pw->pw_gid,
			       name, strerror(errno));
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "becoming user %s: %s", name, strerror(errno));
	if (want && prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) != 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "keepcaps off: %s", strerror(errno));
	ea_status st = set_caps(keep, want, errbuf, errlen);
	if (st != EA_OK)
		return st;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "setting no_new_privs: %s", strerror(errno));
	r->changed = true;
	return verify(pw->pw_uid, pw->pw_gid, true, want, r, errbuf, errlen);
}

/* Started unprivileged: stay who we are, drop capabilities not kept. */
static ea_status drop_caps_only(unsigned keep, ea_privdrop_result *r, char *errbuf, size_t errlen)
{
	cap_t now = cap_get_proc();
	if (!now)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "reading capabilities: %s", strerror(errno));
	uint64_t permitted = cap_bits(now, CAP_PERMITTED);
	cap_free(now);
	uint64_t want = keep_bits(keep) & permitted;
	ea_status st = set_caps(keep, permitted, errbuf, errlen);
	if (st != EA_OK)
		return st;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "setting no_new_privs: %s", strerror(errno));
	return verify(getuid(), getgid(), false, want, r, errbuf, errlen);
}

/* Who to become: the user named, or the default, or the fallback, in *u;
 * *chosen its name, name its escaped form. A user with uid 0 only by the
 * name "root" or the id "0" (both say root explicitly). */
static ea_status choose_user(const char *want_user, user_entry *u, const char **chosen, char *name,
			     size_t namelen, char *errbuf, size_t errlen)
{
	if (want_user) {
		if (!lookup_user(want_user, u))
			return ea_fail(EA_ERR_USAGE, errbuf, errlen, "--user %s: no such user%s%s",
				       ea_escape(want_user, name, namelen), errno ? ": " : "",
				       errno ? strerror(errno) : "");
	} else if (lookup_user(EA_DEFAULT_USER, u)) {
		want_user = EA_DEFAULT_USER;
	} else if (lookup_user(EA_FALLBACK_USER, u)) {
		want_user = EA_FALLBACK_USER;
	} else {
		return ea_fail(EA_ERR_CONFIG, errbuf, errlen,
			       "neither user %s nor %s exists: create one (make install creates %s) or give --user",
			       EA_DEFAULT_USER, EA_FALLBACK_USER, EA_DEFAULT_USER);
	}
	ea_escape(u->pw.pw_name, name, namelen);
	if (u->pw.pw_uid == 0 && strcmp(want_user, "0") == 0)
		want_user = "root";
	if (u->pw.pw_uid == 0 && strcmp(want_user, "root") != 0)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen,
			       "user %s has uid 0: edgeaudit runs as root only when given --user root", name);
	*chosen = want_user;
	return EA_OK;
}

ea_status ea_privdrop_target(const ea_privdrop_config *cfg, uid_t *uid, gid_t *gid, char *errbuf, size_t errlen)
{
	user_entry *u = malloc(sizeof *u);
	if (!u)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	const char *chosen = NULL;
	char name[128];
	ea_status st = choose_user(cfg ? cfg->user : NULL, u, &chosen, name, sizeof name, errbuf, errlen);
	if (st == EA_OK && uid)
		*uid = u->pw.pw_uid;
	if (st == EA_OK && gid)
		*gid = u->pw.pw_gid;
	free(u);
	return st;
}

bool ea_privdrop_user_can_write_dir_of(const char *path, uid_t uid, gid_t gid)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	struct stat sb;
	if (stat(dir, &sb) != 0)
		return true; /* missing: opening the database says so, in its own words */
	if (uid == 0)
		return true;
	mode_t need = sb.st_uid == uid ? (S_IWUSR | S_IXUSR)
		      : sb.st_gid == gid ? (S_IWGRP | S_IXGRP) : (S_IWOTH | S_IXOTH);
	return (sb.st_mode & need) == need;
}

ea_status ea_privdrop_check(const ea_privdrop_config *cfg, char *errbuf, size_t errlen)
{
	return ea_privdrop_target(cfg, NULL, NULL, errbuf, errlen);
}

ea_status ea_privdrop(const ea_privdrop_config *cfg, ea_privdrop_result *out, char *errbuf, size_t errlen)
{
	ea_privdrop_result local;
	ea_privdrop_result *r = out ? out : &local;
	memset(r, 0, sizeof *r);
	user_entry *u = malloc(sizeof *u);
	if (!u)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	char name[128];
	ea_status st = EA_OK;
	const char *want_user = cfg ? cfg->user : NULL;
	unsigned keep = cfg ? cfg->keep : 0;

	st = choose_user(want_user, u, &want_user, name, sizeof name, errbuf, errlen);
	if (st != EA_OK)
		goto done;
	bool root_named = strcmp(want_user, "root") == 0;

	uid_t ru, eu, su;
	if (getresuid(&ru, &eu, &su) != 0) {
		st = ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "getresuid: %s", strerror(errno));
		goto done;
	}
	bool started_root = ru == 0 || eu == 0 || su == 0;
	if (started_root && root_named) {
		/* The operator's explicit choice: nothing is dropped. */
		r->root_kept = true;
		r->uid = 0;
		r->gid = getgid();
		cap_t caps = cap_get_proc();
		if (caps) {
			r->cap_effective = cap_bits(caps, CAP_EFFECTIVE);
			r->cap_permitted = cap_bits(caps, CAP_PERMITTED);
			cap_free(caps);
		}
		snprintf(r->user, sizeof r->user, "root");
		goto done;
	}
	if (!started_root && cfg && cfg->user && u->pw.pw_uid != ru) {
		st = ea_fail(EA_ERR_USAGE, errbuf, errlen,
			     "--user %s: edgeaudit runs as uid %u and has no right to change user; start it as root "
			     "or as %s",
			     name, (unsigned)ru, name);
		goto done;
	}
	unsigned threads = count_threads();
	if (threads != 1) {
		st = ea_fail(EA_ERR_INTERNAL, errbuf, errlen,
			     "privileges must be dropped before any thread starts (%u threads): capabilities are "
			     "per thread",
			     threads);
		goto done;
	}
	if (started_root) {
		st = drop_root(&u->pw, keep, r, errbuf, errlen);
		if (st == EA_OK)
			ea_escape(u->pw.pw_name, r->user, sizeof r->user);
	} else {
		st = drop_caps_only(keep, r, errbuf, errlen);
		if (st == EA_OK) {
			/* Not started as root, the default user is not ours
			 * to become: say who we are. */
			struct passwd *res = NULL;
			if (getpwuid_r(ru, &u->pw, u->buf, sizeof u->buf, &res) == 0 && res)
				ea_escape(res->pw_name, r->user, sizeof r->user);
			else
				snprintf(r->user, sizeof r->user, "uid %u", (unsigned)ru);
		}
	}
	if (st == EA_OK) {
		r->uid = getuid();
		r->gid = getgid();
	}
done:
	if (st == EA_OK)
		summarise(r);
	free(u);
	return st;
}
