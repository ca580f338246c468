/* test_live.c — live capture (source_pcap.c's ea_source_open_live) and
 * BPF filters for frames read from files (ea_filter).
 *
 * The live tests need root: the process moves itself into a network
 * namespace of its own (unshare(CLONE_NEWNET)), creates veth pairs there
 * and writes crafted frames into one end with a packet socket, so no
 * traffic leaves the namespace, and the namespace with every interface in
 * it disappears when the process exits, even when a test fails or
 * crashes. Without root or network namespaces the live tests say so and
 * pass (the filter tests still run). */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/ea_limits.h"
#include "capture/source.h"
#include "capture/livepoll.h"

/* ---- the namespace ------------------------------------------------------ */

static char skip_why[160]; /* empty: live tests run */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Interface names unique to this process (IFNAMSIZ: 15 characters). */
static void ifname(char out[IFNAMSIZ], const char *tag)
{
	snprintf(out, IFNAMSIZ, "ea%s%ld", tag, (long)getpid() % 10000000L);
}

/* A veth pair, both ends up unless down. */
static void veth_pair(const char *a, const char *b, bool up)
{
	assert_int_equal(run("ip link add %s type veth peer name %s", a, b), 0);
	if (up)
		assert_int_equal(run("ip link set %s up && ip link set %s up", a, b), 0);
}

static int group_setup(void **state)
{
	if (geteuid() != 0) {
		snprintf(skip_why, sizeof skip_why, "not root");
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		snprintf(skip_why, sizeof skip_why, "no network namespace: %s", strerror(errno));
		return 0;
	}
	if (run("ip link set lo up") != 0) {
		snprintf(skip_why, sizeof skip_why, "the ip command (iproute2) failed");
		return 0;
	}
	/* Router solicitations and MLD reports on a new link would be
	 * frames the tests did not send. */
	FILE *f = fopen("/proc/sys/net/ipv6/conf/default/disable_ipv6", "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	return 0;
}

static bool live_skipped(void)
{
	if (skip_why[0])
		print_message("test_live: live capture not tested here: %s\n", skip_why);
	return skip_why[0] != 0;
}

/* ---- frames ------------------------------------------------------------- */

/* An Ethernet + IPv4 + UDP frame, 10.9.0.2:40000 → 10.9.0.1:dport, with
 * a payload of plen bytes. Returns its length. */
static size_t udp_frame(uint8_t *f, uint16_t dport, size_t plen)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 1}, src[6] = {0x02, 0, 0, 0, 0, 2};
	size_t n = 14 + 20 + 8 + plen;
	memset(f, 0, n);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((n - 14) >> 8);
	ip[3] = (uint8_t)(n - 14);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){10, 9, 0, 2, 10, 9, 0, 1}, 8);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	uint8_t *udp = ip + 20;
	udp[0] = 40000 >> 8;
	udp[1] = 40000 & 0xff;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + plen) >> 8);
	udp[5] = (uint8_t)(8 + plen);
	for (size_t i = 0; i < plen; i++)
		udp[8 + i] = (uint8_t)i;
	return n;
}

/* Writes count frames to dport into interface ifn (they arrive on its peer). */
static void send_frames(const char *ifn, uint16_t dport, size_t plen, int count)
{
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	assert_true(fd >= 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifn), .sll_halen = 6};
	assert_true(sll.sll_ifindex > 0);
	uint8_t f[2048];
	size_t n = udp_frame(f, dport, plen);
	for (int i = 0; i < count; i++)
		assert_int_equal(sendto(fd, f, n, 0, (struct sockaddr *)&sll, sizeof sll), (ssize_t)n);
	close(fd);
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- live capture ------------------------------------------------------- */

/* Frames arrive whole with their link type, lengths and time; the filter
 * keeps only what it names; a quiet wire is EA_SOURCE_AGAIN, not an
 * error; the counters count. */
static void live_frames_arrive(void **state)
{
	if (live_skipped())
		return;
	char a[IFNAMSIZ], b[IFNAMSIZ], err[512] = "";
	ifname(a, "fa");
	ifname(b, "fb");
	veth_pair(a, b, true);
	ea_live_options opt = {.ifname = a, .promiscuous = true, .immediate = true, .filter = "udp port 5061"};
	ea_source *src = NULL;
	assert_int_equal(ea_source_open_live(&opt, &src, err, sizeof err), EA_OK);
	assert_int_equal(ea_source_linktype(src), 1);
	assert_true(ea_source_fd(src) >= 0);

	uint64_t before = now_us();
	send_frames(b, 5062, 10, 3); /* not 5061: the filter drops them */
	send_frames(b, 5061, 1400, 5);
	ea_frame fr;
	int frames = 0, calls = 0;
	ea_source_result r;
	while (frames < 5 && calls++ < 50) {
		r = ea_source_next(src, &fr, err, sizeof err);
		if (r == EA_SOURCE_AGAIN)
			continue;
		assert_int_equal(r, EA_SOURCE_FRAME);
		frames++;
		assert_int_equal(fr.number, (uint64_t)frames);
		assert_int_equal(fr.linktype, 1);
		assert_int_equal(fr.caplen, 14 + 20 + 8 + 1400);
		assert_int_equal(fr.wirelen, fr.caplen);
		assert_int_equal(fr.data[14 + 20 + 3], 5061 & 0xff); /* the dport byte */
		assert_true(fr.ts_known);
		assert_int_equal(fr.ts_fault, EA_TS_OWN);
		assert_true(fr.ts_us + 1000000u >= before && fr.ts_us <= now_us() + 1000000u);
	}
	assert_int_equal(frames, 5);
	/* Idle: one poll timeout (100 ms), then AGAIN. */
	uint64_t t0 = mono_ms();
	assert_int_equal(ea_source_next(src, &fr, err, sizeof err), EA_SOURCE_AGAIN);
	uint64_t waited = mono_ms() - t0;
	assert_true(waited >= EA_LIVE_TIMEOUT_MS / 2 && waited < 20 * EA_LIVE_TIMEOUT_MS);

	ea_source_stats_t st;
	assert_int_equal(ea_source_stats(src, &st, err, sizeof err), EA_OK);
	assert_int_equal(st.received, 5);
	assert_int_equal(st.dropped, 0);
	ea_source_close(src);
	run("ip link del %s", a);
}

/* A source that never waits, served by poll(2) on its descriptor, as a
 * loop over two NICs would; the snap length cuts frames as asked. */
static void live_poll_fd(void **state)
{
	if (live_skipped())
		return;
	char a[IFNAMSIZ], b[IFNAMSIZ], err[512] = "";
	ifname(a, "pa");
	ifname(b, "pb");
	veth_pair(a, b, true);
	ea_live_options opt = {.ifname = a, .immediate = true, .timeout_ms = -1, .snaplen = 64};
	ea_source *src = NULL;
	assert_int_equal(ea_source_open_live(&opt, &src, err, sizeof err), EA_OK);
	ea_frame fr;
	/* 20 calls in less than 10 waits: none of them waited (a loaded
	 * machine may still be slow). */
	uint64_t t0 = mono_ms();
	for (int i = 0; i < 20; i++)
		assert_int_equal(ea_source_next(src, &fr, err, sizeof err), EA_SOURCE_AGAIN);
	assert_true(mono_ms() - t0 < 10 * EA_LIVE_TIMEOUT_MS);
	send_frames(b, 5061, 500, 1);
	struct pollfd pfd = {.fd = ea_source_fd(src), .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	ea_source_result r;
	int calls = 0;
	while ((r = ea_source_next(src, &fr, err, sizeof err)) == EA_SOURCE_AGAIN && calls++ < 100)
		poll(&pfd, 1, 20);
	assert_int_equal(r, EA_SOURCE_FRAME);
	assert_int_equal(fr.caplen, 64);
	assert_int_equal(fr.wirelen, 14 + 20 + 8 + 500);
	ea_source_close(src);
	run("ip link del %s", a);
}

/* A filter libpcap rejects fails at open, naming interface and filter. */
static void live_bad_filter(void **state)
{
	if (live_skipped())
		return;
	char a[IFNAMSIZ], b[IFNAMSIZ], err[512] = "";
	ifname(a, "ba");
	ifname(b, "bb");
	veth_pair(a, b, true);
	ea_live_options opt = {.ifname = a, .filter = "udp port nonsense"};
	ea_source *src = (ea_source *)&opt;
	assert_int_equal(ea_source_open_live(&opt, &src, err, sizeof err), EA_ERR_USAGE);
	assert_null(src);
	assert_non_null(strstr(err, a));
	assert_non_null(strstr(err, "filter 'udp port nonsense'"));
	run("ip link del %s", a);
}

/* Missing and down interfaces: EA_ERR_NODEV naming them (exit 2 at
 * start); other option errors are usage errors. */
static void live_missing_or_down(void **state)
{
	if (live_skipped())
		return;
	char a[IFNAMSIZ], b[IFNAMSIZ], none[IFNAMSIZ], err[512] = "";
	ea_source *src = NULL;
	ifname(none, "no");
	ea_live_options opt = {.ifname = none};
	assert_int_equal(ea_source_open_live(&opt, &src, err, sizeof err), EA_ERR_NODEV);
	assert_null(src);
	assert_non_null(strstr(err, none));
	assert_non_null(strstr(err, "no such interface"));
	assert_int_equal(ea_status_exit_code(EA_ERR_NODEV), EA_EXIT_USAGE);

	ifname(a, "da");
	ifname(b, "db");
	veth_pair(a, b, false);
	opt.ifname = a;
	assert_int_equal(ea_source_open_live(&opt, &src, err, sizeof err), EA_ERR_NODEV);
	assert_null(src);
	assert_non_null(strstr(err, a));
	assert_non_null(strstr(err, "down"));
	run("ip link del %s", a);

	opt.ifname = "lo";
	opt.buffer_mib = EA_LIVE_BUFFER_MIB_MAX + 1;
	assert_int_equal(ea_source_open_live(&opt, &src, err, sizeof err), EA_ERR_USAGE);
	opt.buffer_mib = 0;
	opt.snaplen = EA_CAPTURE_MAX_CAPLEN + 1;
	assert_int_equal(ea_source_open_live(&opt, &src, err, sizeof err), EA_ERR_USAGE);
	assert_null(src);
}

/* An interface deleted (or set down) while capturing: EA_SOURCE_GONE,
 * naming it, within a few timeouts; frames before it were delivered. */
static void live_interface_gone(void **state)
{
	if (live_skipped())
		return;
	for (size_t k = 0; k < 2; k++) {
		char a[IFNAMSIZ], b[IFNAMSIZ], err[512] = "";
		ifname(a, k ? "ga" : "ra");
		ifname(b, k ? "gb" : "rb");
		veth_pair(a, b, true);
		ea_live_options opt = {.ifname = a, .immediate = true};
		ea_source *src = NULL;
		assert_int_equal(ea_source_open_live(&opt, &src, err, sizeof err), EA_OK);
		send_frames(b, 5061, 100, 1);
		ea_frame fr;
		ea_source_result r;
		int calls = 0;
		while ((r = ea_source_next(src, &fr, err, sizeof err)) == EA_SOURCE_AGAIN && calls++ < 50)
			;
		assert_int_equal(r, EA_SOURCE_FRAME);
		assert_int_equal(k ? run("ip link set %s down", a) : run("ip link del %s", a), 0);
		calls = 0;
		while ((r = ea_source_next(src, &fr, err, sizeof err)) == EA_SOURCE_AGAIN && calls++ < 30)
			;
		assert_int_equal(r, EA_SOURCE_GONE);
		assert_non_null(strstr(err, a));
		assert_non_null(strstr(err, k ? "went down" : "disappeared"));
		ea_source_close(src);
		run("ip link del %s 2>/dev/null", a);
	}
}

/* ---- the poll loop over both interfaces (livepoll.c) -------------------- */

typedef struct {
	unsigned frames[EA_IFACE_COUNT];
	unsigned lost[EA_IFACE_COUNT], back[EA_IFACE_COUNT];
	char reason[256];
} poll_seen;

static void seen_frame(void *ctx, ea_iface iface, const ea_frame *frame)
{
	poll_seen *p = ctx;
	p->frames[iface]++;
}

static void seen_change(void *ctx, ea_iface iface, const char *name, bool up, const char *reason)
{
	poll_seen *p = ctx;
	if (up) {
		p->back[iface]++;
	} else {
		p->lost[iface]++;
		snprintf(p->reason, sizeof p->reason, "%s", reason);
	}
}

/* Runs rounds (at most secs seconds) until cond holds. */
#define POLL_UNTIL(lp, secs, cond)                                                             \
	do {                                                                                   \
		uint64_t until_ = mono_ms() + (secs) * 1000u;                                  \
		while (!(cond) && mono_ms() < until_)                                          \
			assert_int_equal(ea_livepoll_run((lp), 50, err, sizeof err), EA_OK);   \
	} while (0)

/* Both interfaces in one loop; one deleted while running is reported
 * once, the other keeps being captured, and once the interface is back
 * (recreated) it is captured again; its counters survive the loss. A
 * missing interface at the start fails the open, naming it. */
static void poll_loop_survives_a_lost_interface(void **state)
{
	if (live_skipped())
		return;
	char xa[IFNAMSIZ], xb[IFNAMSIZ], ia[IFNAMSIZ], ib[IFNAMSIZ], err[512] = "";
	ifname(xa, "px");
	ifname(xb, "qx");
	ifname(ia, "pi");
	ifname(ib, "qi");
	veth_pair(xa, xb, true);
	veth_pair(ia, ib, true);
	poll_seen seen;
	memset(&seen, 0, sizeof seen);
	ea_livepoll_config cfg = {.live = {.promiscuous = true, .immediate = true},
				  .ifname = {[EA_IFACE_EXTERNAL] = xa, [EA_IFACE_INTERNAL] = "eanosuchif0"},
				  .on_frame = seen_frame, .on_change = seen_change, .ctx = &seen};
	ea_livepoll *lp = NULL;
	assert_int_equal(ea_livepoll_open(&cfg, &lp, err, sizeof err), EA_ERR_NODEV);
	assert_non_null(strstr(err, "eanosuchif0"));
	assert_null(lp);

	cfg.ifname[EA_IFACE_INTERNAL] = ia;
	assert_int_equal(ea_livepoll_open(&cfg, &lp, err, sizeof err), EA_OK);
	send_frames(xb, 5061, 100, 3);
	send_frames(ib, 5062, 100, 2);
	POLL_UNTIL(lp, 5, seen.frames[0] >= 3 && seen.frames[1] >= 2);
	assert_int_equal(seen.frames[EA_IFACE_EXTERNAL], 3);
	assert_int_equal(seen.frames[EA_IFACE_INTERNAL], 2);

	assert_int_equal(run("ip link del %s", ia), 0);
	POLL_UNTIL(lp, 5, seen.lost[EA_IFACE_INTERNAL] > 0);
	assert_int_equal(seen.lost[EA_IFACE_INTERNAL], 1);
	assert_non_null(strstr(seen.reason, ia));
	send_frames(xb, 5061, 100, 4);
	POLL_UNTIL(lp, 5, seen.frames[0] >= 7);
	assert_int_equal(seen.frames[EA_IFACE_EXTERNAL], 7);
	ea_livepoll_stats st;
	ea_livepoll_get_stats(lp, EA_IFACE_INTERNAL, &st);
	assert_false(st.up);
	assert_int_equal(st.losses, 1);
	assert_int_equal(st.frames, 2);

	/* A few retries while it is missing: still one loss, no return. */
	POLL_UNTIL(lp, 3, false);
	assert_int_equal(seen.lost[EA_IFACE_INTERNAL], 1);
	assert_int_equal(seen.back[EA_IFACE_INTERNAL], 0);
	veth_pair(ia, ib, true);
	POLL_UNTIL(lp, 3 * EA_LIVE_RETRY_MS / 1000 + 2, seen.back[EA_IFACE_INTERNAL] > 0);
	assert_int_equal(seen.back[EA_IFACE_INTERNAL], 1);
	send_frames(ib, 5062, 100, 5);
	POLL_UNTIL(lp, 5, seen.frames[1] >= 7);
	assert_int_equal(seen.frames[EA_IFACE_INTERNAL], 7);
	ea_livepoll_get_stats(lp, EA_IFACE_INTERNAL, &st);
	assert_true(st.up);
	assert_int_equal(st.frames, 7);
	assert_true(st.received >= 7);
	ea_livepoll_close(lp);
	run("ip link del %s 2>/dev/null", xa);
	run("ip link del %s 2>/dev/null", ia);
}

/* ---- filters for files (no root needed) --------------------------------- */

static int count_passing(const char *path, const char *expr, int *total)
{
	char err[512] = "";
	ea_source *src = NULL;
	ea_filter *f = NULL;
	assert_int_equal(ea_source_open_file(path, &src, err, sizeof err), EA_OK);
	assert_int_equal(ea_filter_new(expr, &f, err, sizeof err), EA_OK);
	ea_frame fr;
	int n = 0;
	*total = 0;
	while (ea_source_next(src, &fr, err, sizeof err) == EA_SOURCE_FRAME) {
		int r = ea_filter_test(f, &fr, err, sizeof err);
		assert_true(r == 0 || r == 1);
		n += r;
		(*total)++;
	}
	ea_filter_free(f);
	ea_source_close(src);
	return n;
}

/* A filter and its negation split a capture exactly, and the counts are
 * those of `tcpdump -r pcaps/lab-external.pcap EXPR | wc -l` (libpcap
 * 1.10.3): udp 126, not udp 566, tcp 562, tcp port 5061 104 of 692. */
static void filter_splits_a_file(void **state)
{
	const char *lab = EA_TOPDIR "/pcaps/lab-external.pcap";
	int total, t2;
	assert_int_equal(count_passing(lab, "udp", &total), 126);
	assert_int_equal(total, 692);
	assert_int_equal(count_passing(lab, "not udp", &t2), 566);
	assert_int_equal(count_passing(lab, "tcp", &t2), 562);
	assert_int_equal(count_passing(lab, "tcp port 5061", &t2), 104);
}

/* Frames of another link type get their own program; an expression
 * that cannot apply to a link type is reported, not guessed. */
static void filter_per_linktype(void **state)
{
	char err[512] = "";
	uint8_t f[256];
	size_t n = udp_frame(f, 5061, 4);
	ea_frame eth = {.caplen = (uint32_t)n, .wirelen = (uint32_t)n, .linktype = 1, .data = f};
	ea_frame raw = {.caplen = (uint32_t)n - 14, .wirelen = (uint32_t)n - 14, .linktype = 101, .data = f + 14};
	ea_filter *flt = NULL;
	assert_int_equal(ea_filter_new("udp dst port 5061", &flt, err, sizeof err), EA_OK);
	assert_int_equal(ea_filter_test(flt, &eth, err, sizeof err), 1);
	assert_int_equal(ea_filter_test(flt, &raw, err, sizeof err), 1);
	f[14 + 20 + 3] ^= 1; /* dport 5060 */
	assert_int_equal(ea_filter_test(flt, &eth, err, sizeof err), 0);
	assert_int_equal(ea_filter_test(flt, &raw, err, sizeof err), 0);
	ea_filter_free(flt);

	assert_int_equal(ea_filter_new("ether host 02:00:00:00:00:01", &flt, err, sizeof err), EA_OK);
	assert_int_equal(ea_filter_test(flt, &eth, err, sizeof err), 1);
	assert_int_equal(ea_filter_test(flt, &raw, err, sizeof err), -1);
	assert_non_null(strstr(err, "filter 'ether host 02:00:00:00:00:01': link type RAW"));
	ea_filter_free(flt);
}

static void filter_bad_expression(void **state)
{
	char err[512] = "";
	ea_filter *flt = (ea_filter *)err;
	assert_int_equal(ea_filter_new("tcp port 99999", &flt, err, sizeof err), EA_ERR_USAGE);
	assert_null(flt);
	assert_non_null(strstr(err, "filter 'tcp port 99999': "));
	assert_true(strlen(err) > strlen("filter 'tcp port 99999': "));
	assert_int_equal(ea_filter_new("udp and", &flt, err, sizeof err), EA_ERR_USAGE);
	assert_null(flt);
}

/* A file has no capture counters and no descriptor to poll. */
static void file_is_not_live(void **state)
{
	char err[512] = "";
	ea_source *src = NULL;
	assert_int_equal(ea_source_open_file(EA_TOPDIR "/pcaps/lab-external.pcap", &src, err, sizeof err), EA_OK);
	assert_int_equal(ea_source_fd(src), -1);
	ea_source_stats_t st;
	assert_int_equal(ea_source_stats(src, &st, err, sizeof err), EA_ERR_INTERNAL);
	ea_source_close(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(live_frames_arrive),
		cmocka_unit_test(live_poll_fd),
		cmocka_unit_test(live_bad_filter),
		cmocka_unit_test(live_missing_or_down),
		cmocka_unit_test(live_interface_gone),
		cmocka_unit_test(poll_loop_survives_a_lost_interface),
		cmocka_unit_test(filter_splits_a_file),
		cmocka_unit_test(filter_per_linktype),
		cmocka_unit_test(filter_bad_expression),
		cmocka_unit_test(file_is_not_live),
	};
	return cmocka_run_group_tests_name("live", tests, group_setup, NULL);
}
