/* test_privdrop.c — the privilege drop, as the kernel sees it afterwards.
 *
 * Each case forks a child (root, as in CI) that calls ea_privdrop and
 * then reports what /proc/self/status says (Uid, Gid, Groups, CapEff,
 * CapPrm, CapInh, CapBnd, CapAmb, NoNewPrivs), whether it can still open
 * a packet socket (what CAP_NET_RAW gives) and whether setuid(0) works;
 * the parent checks the report. Without root these cases print why and
 * pass. */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "capture/source.h"
#include "cli/privdrop.h"
#include "util/ea_limits.h"

typedef struct {
	int status;
	char err[512];
	ea_privdrop_result res;
	char proc[8192];  /* /proc/self/status after the call */
	int packet_errno; /* socket(AF_PACKET) after: 0 opened */
	int setuid0;      /* setuid(0) after: 0 succeeded */
	int live_frames;  /* PRE_LIVE_CAPTURE: frames the capture opened before gave after */
	int reopen_status; /* PRE_LIVE_CAPTURE: ea_source_open_live after the drop */
	char reopen_err[256];
} report;

static bool not_root(void)
{
	if (geteuid() == 0)
		return false;
	print_message("test_privdrop: privilege drop not tested here: not root\n");
	return true;
}

static void *sleeper(void *arg)
{
	pause();
	return arg;
}

/* What the child does before the call. */
typedef enum {
	PRE_NONE,
	PRE_GROUPS_AND_AMBIENT, /* supplementary groups and an ambient capability to be cleared */
	PRE_THREAD,             /* a second thread running */
	PRE_UNPRIVILEGED,       /* already uid 65534, with root's capabilities permitted (systemd User=) */
	PRE_LIVE_CAPTURE,       /* a capture on lo opened in a network namespace of its own */
} pre_step;

/* A network namespace of the child's own with lo up: nothing it sends
 * leaves it. */
static bool own_loopback(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		return false;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	bool ok = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags |= IFF_UP, 1) &&
		  ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

/* Runs the call in a child and returns its report (shared memory). */
static report *run_child(pre_step pre, const char *user, unsigned keep)
{
	report *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(r != MAP_FAILED);
	memset(r, 0, sizeof *r);
	r->status = -1;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t t;
		ea_source *live = NULL;
		ea_live_options lo = {.ifname = "lo", .promiscuous = true, .immediate = true, .timeout_ms = 100};
		char lerr[256];
		switch (pre) {
		case PRE_NONE: break;
		case PRE_GROUPS_AND_AMBIENT: {
			gid_t groups[2] = {4, 27};
			if (setgroups(2, groups) != 0)
				_exit(10);
			/* An ambient capability needs it inheritable first. */
			struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
			struct __user_cap_data_struct d[2];
			if (syscall(SYS_capget, &h, d) != 0)
				_exit(11);
			d[0].inheritable |= 1u << CAP_NET_RAW;
			if (syscall(SYS_capset, &h, d) != 0 ||
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0L, 0L) != 0)
				_exit(12);
			break;
		}
		case PRE_THREAD:
			if (pthread_create(&t, NULL, sleeper, NULL) != 0)
				_exit(13);
			break;
		case PRE_UNPRIVILEGED:
			if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0 || setgroups(0, NULL) != 0 ||
			    setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
				_exit(14);
			break;
		case PRE_LIVE_CAPTURE:
			if (!own_loopback())
				_exit(15);
			if (ea_source_open_live(&lo, &live, lerr, sizeof lerr) != EA_OK)
				_exit(16);
			break;
		}
		ea_privdrop_config cfg = {.user = user, .keep = keep};
		/* No user and nothing kept: the defaults, as a NULL config. */
		r->status = (int)ea_privdrop(user || keep ? &cfg : NULL, &r->res, r->err, sizeof r->err);
		FILE *f = fopen("/proc/self/status", "r");
		if (f) {
			size_t n = fread(r->proc, 1, sizeof r->proc - 1, f);
			r->proc[n] = '\0';
			fclose(f);
		}
		int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
		r->packet_errno = s >= 0 ? 0 : errno;
		if (s >= 0)
			close(s);
		r->setuid0 = setuid(0);
		if (live) {
			/* The capture opened before the drop goes on: a
			 * datagram sent now is seen. */
			int u = socket(AF_INET, SOCK_DGRAM, 0);
			struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9),
						 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
			for (int i = 0; i < 20 && r->live_frames == 0; i++) {
				sendto(u, "x", 1, 0, (struct sockaddr *)&to, sizeof to);
				ea_frame fr;
				while (ea_source_next(live, &fr, lerr, sizeof lerr) == EA_SOURCE_FRAME)
					r->live_frames++;
			}
			close(u);
			ea_source_close(live);
			/* Opening a capture again is what needs the capability. */
			ea_source *again = NULL;
			r->reopen_status = (int)ea_source_open_live(&lo, &again, r->reopen_err, sizeof r->reopen_err);
			if (again)
				ea_source_close(again);
		}
		_exit(0);
	}
	int wst;
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 0);
	return r;
}

static void done(report *r)
{
	munmap(r, sizeof *r);
}

/* The value of a /proc/self/status field, tabs made spaces, trimmed. */
static const char *field(const report *r, const char *name)
{
	static char val[256];
	char key[64];
	snprintf(key, sizeof key, "\n%s:", name);
	const char *p = strstr(r->proc, key);
	assert_non_null(p);
	p += strlen(key);
	while (*p == '\t' || *p == ' ')
		p++;
	size_t n = strcspn(p, "\n");
	if (n >= sizeof val)
		n = sizeof val - 1;
	memcpy(val, p, n);
	val[n] = '\0';
	for (char *c = val; *c; c++)
		if (*c == '\t')
			*c = ' ';
	while (n && val[n - 1] == ' ')
		val[--n] = '\0';
	return val;
}

static void assert_ids(const report *r, uid_t uid, gid_t gid)
{
	char want[64];
	snprintf(want, sizeof want, "%u %u %u %u", (unsigned)uid, (unsigned)uid, (unsigned)uid, (unsigned)uid);
	assert_string_equal(field(r, "Uid"), want);
	snprintf(want, sizeof want, "%u %u %u %u", (unsigned)gid, (unsigned)gid, (unsigned)gid, (unsigned)gid);
	assert_string_equal(field(r, "Gid"), want);
}

static void test_named_user_keeps_nothing(void **state)
{
	if (not_root())
		return;
	struct passwd *pw = getpwnam("nobody");
	assert_non_null(pw);
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	report *r = run_child(PRE_GROUPS_AND_AMBIENT, "nobody", 0);
	assert_int_equal(r->status, EA_OK);
	assert_ids(r, uid, gid);
	assert_string_equal(field(r, "Groups"), "");
	assert_string_equal(field(r, "CapEff"), "0000000000000000");
	assert_string_equal(field(r, "CapPrm"), "0000000000000000");
	assert_string_equal(field(r, "CapInh"), "0000000000000000");
	assert_string_equal(field(r, "CapAmb"), "0000000000000000");
	assert_string_equal(field(r, "CapBnd"), "0000000000000000");
	assert_string_equal(field(r, "NoNewPrivs"), "1");
	assert_int_equal(r->packet_errno, EPERM); /* an interface can no longer be opened */
	assert_int_not_equal(r->setuid0, 0);
	assert_true(r->res.changed);
	assert_false(r->res.root_kept);
	assert_int_equal(r->res.uid, uid);
	assert_string_equal(r->res.user, "nobody");
	assert_non_null(strstr(r->res.summary, "running as nobody"));
	assert_non_null(strstr(r->res.summary, "no capabilities"));
	done(r);
}

/* No --user: the sensor's own user when it exists, else nobody. */
static void test_default_user(void **state)
{
	if (not_root())
		return;
	struct passwd *pw = getpwnam(EA_DEFAULT_USER);
	if (!pw)
		pw = getpwnam(EA_FALLBACK_USER);
	assert_non_null(pw);
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	report *r = run_child(PRE_NONE, NULL, 0);
	assert_int_equal(r->status, EA_OK);
	assert_ids(r, uid, gid);
	assert_string_equal(field(r, "CapEff"), "0000000000000000");
	assert_string_equal(field(r, "CapPrm"), "0000000000000000");
	done(r);
}

/* Keeping CAP_NET_RAW (to reopen an interface that came back): that
 * one capability, in every set that matters, and a packet socket opens. */
static void test_keep_net_raw(void **state)
{
	if (not_root())
		return;
	report *r = run_child(PRE_NONE, "nobody", EA_PRIVDROP_KEEP_NET_RAW);
	assert_int_equal(r->status, EA_OK);
	assert_int_equal(r->res.uid, 65534);
	assert_string_equal(field(r, "CapEff"), "0000000000002000");
	assert_string_equal(field(r, "CapPrm"), "0000000000002000");
	assert_string_equal(field(r, "CapBnd"), "0000000000002000");
	assert_string_equal(field(r, "CapInh"), "0000000000000000");
	assert_int_equal(r->packet_errno, 0);
	assert_int_not_equal(r->setuid0, 0);
	assert_non_null(strstr(r->res.summary, "keeping cap_net_raw"));
	done(r);
}

/* --user root: root stays, with what it had. */
static void test_user_root_keeps_root(void **state)
{
	if (not_root())
		return;
	report *before = run_child(PRE_NONE, "root", 0);
	assert_int_equal(before->status, EA_OK);
	assert_ids(before, 0, getgid());
	assert_true(before->res.root_kept);
	assert_false(before->res.changed);
	assert_int_equal(before->packet_errno, 0);
	assert_int_not_equal(strcmp(field(before, "CapEff"), "0000000000000000"), 0);
	assert_string_equal(field(before, "NoNewPrivs"), "0");
	assert_non_null(strstr(before->res.summary, "--user root"));
	done(before);
}

/* Numeric ids, as setpriv and chown take them: --user 65534 is nobody
 * (dropped to), --user 0 is root said explicitly (kept). */
static void test_numeric_user(void **state)
{
	if (not_root())
		return;
	struct passwd *pw = getpwnam("nobody");
	assert_non_null(pw);
	char id[16];
	snprintf(id, sizeof id, "%u", (unsigned)pw->pw_uid);
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	report *r = run_child(PRE_NONE, id, 0);
	assert_int_equal(r->status, EA_OK);
	assert_ids(r, uid, gid);
	assert_string_equal(r->res.user, "nobody");
	done(r);
	r = run_child(PRE_NONE, "0", 0);
	assert_int_equal(r->status, EA_OK);
	assert_true(r->res.root_kept);
	assert_ids(r, 0, getgid());
	done(r);
}

/* A user that does not exist: a clear error naming it, nothing changed. */
static void test_missing_user(void **state)
{
	if (not_root())
		return;
	report *r = run_child(PRE_NONE, "no-such-user-ea7", 0);
	assert_int_equal(r->status, EA_ERR_USAGE);
	assert_non_null(strstr(r->err, "--user no-such-user-ea7: no such user"));
	assert_string_equal(field(r, "Uid"), "0 0 0 0");
	assert_int_equal(r->packet_errno, 0);
	done(r);
}

/* A second thread would keep its capabilities: refused, nothing changed. */
static void test_threads_refused(void **state)
{
	if (not_root())
		return;
	report *r = run_child(PRE_THREAD, "nobody", 0);
	assert_int_equal(r->status, EA_ERR_INTERNAL);
	assert_non_null(strstr(r->err, "before any thread starts (2 threads)"));
	assert_string_equal(field(r, "Uid"), "0 0 0 0");
	done(r);
}

/* Started unprivileged with capabilities (a unit's User= and
 * AmbientCapabilities=): the user stays, the capabilities go; another
 * user cannot be had. */
static void test_unprivileged_start(void **state)
{
	if (not_root())
		return;
	report *r = run_child(PRE_UNPRIVILEGED, NULL, 0);
	assert_int_equal(r->status, EA_OK);
	assert_ids(r, 65534, 65534);
	assert_false(r->res.changed);
	assert_string_equal(field(r, "CapEff"), "0000000000000000");
	assert_string_equal(field(r, "CapPrm"), "0000000000000000");
	assert_string_equal(field(r, "NoNewPrivs"), "1");
	done(r);

	r = run_child(PRE_UNPRIVILEGED, "root", 0);
	assert_int_equal(r->status, EA_ERR_USAGE);
	assert_non_null(strstr(r->err, "no right to change user"));
	done(r);
}

/* What the drop leaves the sensor: an interface opened before goes on
 * delivering frames with no capability at all; opening one again (an
 * interface that disappeared and came back) needs CAP_NET_RAW, which a
 * caller keeps with EA_PRIVDROP_KEEP_NET_RAW. */
static void test_open_capture_survives_the_drop(void **state)
{
	if (not_root())
		return;
	report *r = run_child(PRE_LIVE_CAPTURE, "nobody", 0);
	assert_int_equal(r->status, EA_OK);
	assert_string_equal(field(r, "CapEff"), "0000000000000000");
	assert_true(r->live_frames > 0);
	print_message("test_privdrop: reopening without CAP_NET_RAW: %s\n", r->reopen_err);
	assert_int_equal(r->reopen_status, EA_ERR_IO);
	assert_non_null(strstr(r->reopen_err, "lo"));
	done(r);

	r = run_child(PRE_LIVE_CAPTURE, "nobody", EA_PRIVDROP_KEEP_NET_RAW);
	assert_int_equal(r->status, EA_OK);
	assert_true(r->live_frames > 0);
	assert_int_equal(r->reopen_status, EA_OK);
	done(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named_user_keeps_nothing),
		cmocka_unit_test(test_default_user),
		cmocka_unit_test(test_keep_net_raw),
		cmocka_unit_test(test_user_root_keeps_root),
		cmocka_unit_test(test_numeric_user),
		cmocka_unit_test(test_missing_user),
		cmocka_unit_test(test_threads_refused),
		cmocka_unit_test(test_unprivileged_start),
		cmocka_unit_test(test_open_capture_survives_the_drop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
