/* livepoll.c — the capture loop of `monitor`: one poll(2) over the live
 * sources of both interfaces, losses noted once, lost interfaces retried.
 * Pipeline position: [capture] → decode (through the caller's on_frame). */
#include "capture/livepoll.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/ea_limits.h"

typedef struct {
	const char *name;       /* NULL: not captured */
	ea_source *src;         /* NULL while lost */
	uint64_t retry_ms;      /* monotonic time of the next open attempt */
	ea_livepoll_stats stats;
	ea_source_stats_t base; /* pcap_stats of earlier opens, summed */
} side;

struct ea_livepoll {
	ea_livepoll_config cfg;
	side sides[EA_IFACE_COUNT];
	char err[512];
};

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static ea_status open_side(ea_livepoll *lp, ea_iface i, char *errbuf, size_t errlen)
{
	ea_live_options opt = lp->cfg.live;
	opt.ifname = lp->sides[i].name;
	/* The loop polls itself: a source must never wait in ea_source_next,
	 * or a quiet NIC would hold up the busy one. */
	opt.timeout_ms = -1;
	return ea_source_open_live(&opt, &lp->sides[i].src, errbuf, errlen);
}

/* The side's counters so far, this open's added to the earlier ones. */
static void read_counters(side *s)
{
	ea_source_stats_t now = {0};
	char err[256];
	if (s->src && ea_source_stats(s->src, &now, err, sizeof err) != EA_OK)
		memset(&now, 0, sizeof now);
	s->stats.received = s->base.received + now.received;
	s->stats.dropped = s->base.dropped + now.dropped;
	s->stats.if_dropped = s->base.if_dropped + now.if_dropped;
}

static void lose(ea_livepoll *lp, ea_iface i, const char *why)
{
	side *s = &lp->sides[i];
	read_counters(s);
	s->base.received = s->stats.received;
	s->base.dropped = s->stats.dropped;
	s->base.if_dropped = s->stats.if_dropped;
	ea_source_close(s->src);
	s->src = NULL;
	s->stats.up = false;
	s->stats.losses++;
	s->retry_ms = monotonic_ms() + EA_LIVE_RETRY_MS;
	if (lp->cfg.on_change)
		lp->cfg.on_change(lp->cfg.ctx, i, s->name, false, why);
}

ea_status ea_livepoll_open(const ea_livepoll_config *cfg, ea_livepoll **out, char *errbuf, size_t errlen)
{
	*out = NULL;
	ea_livepoll *lp = calloc(1, sizeof *lp);
	if (!lp)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	lp->cfg = *cfg;
	bool any = false;
	for (int i = 0; i < EA_IFACE_COUNT; i++) {
		lp->sides[i].name = cfg->ifname[i];
		lp->sides[i].stats.captured = cfg->ifname[i] != NULL;
		any = any || cfg->ifname[i];
	}
	ea_status st = EA_OK;
	if (!any)
		st = ea_fail(EA_ERR_USAGE, errbuf, errlen, "no interface to capture");
	for (int i = 0; i < EA_IFACE_COUNT && st == EA_OK; i++) {
		if (!lp->sides[i].name)
			continue;
		st = open_side(lp, (ea_iface)i, errbuf, errlen);
		lp->sides[i].stats.up = st == EA_OK;
	}
	if (st != EA_OK) {
		ea_livepoll_close(lp);
		return st;
	}
	*out = lp;
	return EA_OK;
}

/* Hands the frames ready on one side to the caller, at most a burst. */
static void drain(ea_livepoll *lp, ea_iface i)
{
	side *s = &lp->sides[i];
	ea_frame frame;
	for (unsigned n = 0; n < EA_LIVE_BURST_FRAMES; n++) {
		ea_source_result r = ea_source_next(s->src, &frame, lp->err, sizeof lp->err);
		if (r == EA_SOURCE_FRAME) {
			s->stats.frames++;
			lp->cfg.on_frame(lp->cfg.ctx, i, &frame);
			continue;
		}
		if (r == EA_SOURCE_GONE || r == EA_SOURCE_ERROR || r == EA_SOURCE_END)
			lose(lp, i, lp->err[0] ? lp->err : "capture ended");
		return;
	}
}

static void retry(ea_livepoll *lp, ea_iface i, uint64_t now_ms)
{
	side *s = &lp->sides[i];
	if (now_ms < s->retry_ms)
		return;
	if (open_side(lp, i, lp->err, sizeof lp->err) != EA_OK) {
		s->retry_ms = now_ms + EA_LIVE_RETRY_MS;
		return;
	}
	s->stats.up = true;
	if (lp->cfg.on_change)
		lp->cfg.on_change(lp->cfg.ctx, i, s->name, true, "capture resumed");
}

ea_status ea_livepoll_run(ea_livepoll *lp, int timeout_ms, char *errbuf, size_t errlen)
{
	struct pollfd pfd[EA_IFACE_COUNT];
	ea_iface which[EA_IFACE_COUNT];
	nfds_t n = 0;
	uint64_t now = monotonic_ms();
	for (int i = 0; i < EA_IFACE_COUNT; i++) {
		side *s = &lp->sides[i];
		if (s->src) {
			pfd[n] = (struct pollfd){.fd = ea_source_fd(s->src), .events = POLLIN};
			which[n++] = (ea_iface)i;
		} else if (s->name && s->retry_ms > now && s->retry_ms - now < (uint64_t)timeout_ms) {
			timeout_ms = (int)(s->retry_ms - now); /* wake for the retry */
		} else if (s->name && s->retry_ms <= now) {
			timeout_ms = 0;
		}
	}
	int ready = poll(n ? pfd : NULL, n, timeout_ms);
	if (ready < 0) {
		if (errno == EINTR)
			return EA_OK;
		return ea_fail(EA_ERR_IO, errbuf, errlen, "poll: %s", strerror(errno));
	}
	/* Every open side is read, ready or not: a quiet one's read is where
	 * a side set down is noticed (source_pcap.c checks the interface
	 * when nothing comes), and a non-blocking read costs one call. */
	for (nfds_t k = 0; k < n; k++)
		drain(lp, which[k]);
	now = monotonic_ms();
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		if (lp->sides[i].name && !lp->sides[i].src)
			retry(lp, (ea_iface)i, now);
	return EA_OK;
}

void ea_livepoll_get_stats(ea_livepoll *lp, ea_iface iface, ea_livepoll_stats *out)
{
	side *s = &lp->sides[iface];
	read_counters(s);
	*out = s->stats;
}

void ea_livepoll_close(ea_livepoll *lp)
{
	if (!lp)
		return;
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		ea_source_close(lp->sides[i].src);
	free(lp);
}
