/* source_pcap.c — what edgeaudit takes from libpcap: live capture on an
 * interface (source.h's ea_source_open_live), BPF filters for frames
 * read from files, and link-type names. Capture files are read by
 * capfile.c (libpcap 1.10 cannot read a pcapng whose interfaces differ).
 * Pipeline position: [source] → decode.
 * The only module that includes <pcap.h>. */
#include "capture/source.h"
#include "capture/source_live.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "util/ea_limits.h"

/* ea_frame.linktype is a file's LINKTYPE_ value; libpcap's handles speak
 * DLT_ values, the same numbers except for these four (pcap-linktype(7)). */
static const struct {
	int linktype, dlt;
} low_linktypes[] = {
	{100, DLT_ATM_RFC1483}, {101, DLT_RAW}, {102, DLT_SLIP_BSDOS}, {103, DLT_PPP_BSDOS},
};

static int dlt_to_linktype(int dlt)
{
	for (size_t i = 0; i < sizeof low_linktypes / sizeof low_linktypes[0]; i++)
		if (low_linktypes[i].dlt == dlt)
			return low_linktypes[i].linktype;
	return dlt;
}

static int linktype_to_dlt(int linktype)
{
	for (size_t i = 0; i < sizeof low_linktypes / sizeof low_linktypes[0]; i++)
		if (low_linktypes[i].linktype == linktype)
			return low_linktypes[i].dlt;
	return linktype;
}

const char *ea_source_linktype_name(int linktype)
{
	/* LINKTYPE_USER0..15 (147-162, "reserved for private use" in the
	 * tcpdump.org link-layer header types list) have no entry in
	 * libpcap's name table. */
	static const char *const user[16] = {
		"USER0", "USER1", "USER2", "USER3", "USER4", "USER5", "USER6", "USER7",
		"USER8", "USER9", "USER10", "USER11", "USER12", "USER13", "USER14", "USER15",
	};
	static const char *const low[4] = {"ATM_RFC1483", "RAW", "SLIP_BSDOS", "PPP_BSDOS"};
	if (linktype >= 100 && linktype <= 103)
		return low[linktype - 100];
	const char *name = pcap_datalink_val_to_name(linktype);
	if (!name && linktype >= DLT_USER0 && linktype <= DLT_USER15)
		name = user[linktype - DLT_USER0];
	return name;
}

/* ---- live capture ---- */

struct ea_live {
	pcap_t *p;
	char *name;         /* the interface, for messages */
	int linktype;       /* LINKTYPE_ value */
	int fd;             /* pcap_get_selectable_fd, owned by p */
	int timeout_ms;     /* longest wait for a frame; < 0: none */
	uint64_t check_ms;  /* monotonic time of the next interface check */
	uint64_t number;    /* frames delivered */
	uint64_t last_us;   /* last valid time, for a frame whose own is unusable */
};

typedef enum { IFACE_UP, IFACE_DOWN, IFACE_MISSING, IFACE_UNKNOWN } iface_state;

/* The interface's state as the kernel sees it now. libpcap 1.10 on Linux
 * opens an interface that is down without complaint and, when one goes
 * away, gives a plain PCAP_ERROR; asking the kernel tells "gone, retry"
 * from a real failure. "any" and other pseudo-devices answer UNKNOWN. */
static iface_state iface_check(const char *name)
{
	struct ifreq ifr;
	if (strlen(name) >= sizeof ifr.ifr_name)
		return IFACE_MISSING;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return IFACE_UNKNOWN;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, name, strlen(name));
	iface_state st = IFACE_UNKNOWN;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		st = (ifr.ifr_flags & IFF_UP) ? IFACE_UP : IFACE_DOWN;
	else if (errno == ENODEV || errno == ENXIO)
		st = IFACE_MISSING;
	close(fd);
	return st;
}

void ea_live_close(ea_live *l)
{
	if (!l)
		return;
	if (l->p)
		pcap_close(l->p);
	free(l->name);
	free(l);
}

/* Checks the options against their limits and fills the defaults. */
static ea_status live_settings(const ea_live_options *opt, uint32_t *snaplen, uint32_t *buffer_mib,
			       int *timeout_ms, char *errbuf, size_t errlen)
{
	if (!opt || !opt->ifname || !opt->ifname[0])
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "live capture: no interface given");
	*snaplen = opt->snaplen ? opt->snaplen : EA_LIVE_SNAPLEN;
	if (*snaplen > EA_CAPTURE_MAX_CAPLEN)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "%s: snap length %u above the maximum %u",
			       opt->ifname, *snaplen, EA_CAPTURE_MAX_CAPLEN);
	*buffer_mib = opt->buffer_mib ? opt->buffer_mib : EA_LIVE_BUFFER_MIB;
	if (*buffer_mib > EA_LIVE_BUFFER_MIB_MAX)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "%s: buffer of %u MiB above the maximum %u MiB",
			       opt->ifname, *buffer_mib, EA_LIVE_BUFFER_MIB_MAX);
	*timeout_ms = opt->timeout_ms ? opt->timeout_ms : EA_LIVE_TIMEOUT_MS;
	if (*timeout_ms > EA_LIVE_TIMEOUT_MS_MAX)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen, "%s: timeout of %d ms above the maximum %d ms",
			       opt->ifname, *timeout_ms, EA_LIVE_TIMEOUT_MS_MAX);
	return EA_OK;
}

/* pcap_activate's failure as our status, naming the interface. */
static ea_status activate_error(pcap_t *p, int rc, const char *name, char *errbuf, size_t errlen)
{
	const char *why = pcap_geterr(p);
	if (!why || !why[0])
		why = pcap_statustostr(rc);
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return ea_fail(EA_ERR_NODEV, errbuf, errlen, "%s: no such interface (%s)", name, why);
	case PCAP_ERROR_IFACE_NOT_UP:
		return ea_fail(EA_ERR_NODEV, errbuf, errlen, "%s: interface is down (%s)", name, why);
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return ea_fail(EA_ERR_IO, errbuf, errlen,
			       "%s: permission denied: capture needs CAP_NET_RAW and CAP_NET_ADMIN (%s)", name,
			       why);
	default:
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot capture: %s", name, why);
	}
}

ea_status ea_source_open_live(const ea_live_options *opt, ea_source **out, char *errbuf, size_t errlen)
{
	*out = NULL;
	uint32_t snaplen = 0, buffer_mib = 0;
	int timeout_ms = 0;
	ea_status st = live_settings(opt, &snaplen, &buffer_mib, &timeout_ms, errbuf, errlen);
	if (st != EA_OK)
		return st;
	const char *name = opt->ifname;
	char pe[PCAP_ERRBUF_SIZE] = "";
	ea_live *l = calloc(1, sizeof *l);
	if (!l || !(l->name = strdup(name))) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", name);
		goto fail;
	}
	l->p = pcap_create(name, pe);
	if (!l->p) {
		st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot capture: %s", name, pe);
		goto fail;
	}
	/* pcap_set_* fail only on an activated handle: this one is not. */
	pcap_set_snaplen(l->p, (int)snaplen);
	pcap_set_promisc(l->p, opt->promiscuous);
	pcap_set_immediate_mode(l->p, opt->immediate);
	pcap_set_buffer_size(l->p, (int)(buffer_mib << 20));
	pcap_set_timeout(l->p, timeout_ms > 0 ? timeout_ms : EA_LIVE_TIMEOUT_MS);
	int rc = pcap_activate(l->p);
	if (rc < 0) {
		st = activate_error(l->p, rc, name, errbuf, errlen);
		goto fail;
	}
	/* Warnings (rc > 0: promiscuous mode not supported, time stamps
	 * not as asked) leave a working capture: kept. */
	switch (iface_check(name)) {
	case IFACE_MISSING:
		st = ea_fail(EA_ERR_NODEV, errbuf, errlen, "%s: no such interface", name);
		goto fail;
	case IFACE_DOWN:
		st = ea_fail(EA_ERR_NODEV, errbuf, errlen, "%s: interface is down", name);
		goto fail;
	default:
		break;
	}
	if (opt->filter && opt->filter[0]) {
		struct bpf_program prog;
		if (pcap_compile(l->p, &prog, opt->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
			st = ea_fail(EA_ERR_USAGE, errbuf, errlen, "%s: filter '%s': %s", name, opt->filter,
				     pcap_geterr(l->p));
			goto fail;
		}
		rc = pcap_setfilter(l->p, &prog);
		pcap_freecode(&prog);
		if (rc != 0) {
			st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: filter '%s' not installed: %s", name,
				     opt->filter, pcap_geterr(l->p));
			goto fail;
		}
	}
	/* libpcap 1.10's TPACKET_V3 reader polls again after its own timeout
	 * instead of returning (pcap_next_ex blocked on a quiet veth), so
	 * the handle never waits and ea_live_next polls with our timeout. */
	if (pcap_setnonblock(l->p, 1, pe) != 0) {
		st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot stop waiting: %s", name, pe);
		goto fail;
	}
	l->linktype = dlt_to_linktype(pcap_datalink(l->p));
	l->fd = pcap_get_selectable_fd(l->p);
	l->timeout_ms = timeout_ms;
	if (l->fd < 0) {
		st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: no descriptor to poll", name);
		goto fail;
	}
	*out = ea_source_adopt_live(l);
	if (!*out)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", name);
	return EA_OK;
fail:
	ea_live_close(l);
	return st;
}

/* When libpcap fails or the wire is quiet: is the interface gone? */
static ea_source_result live_gone(ea_live *l, const char *why, char *errbuf, size_t errlen)
{
	iface_state st = iface_check(l->name);
	if (st == IFACE_MISSING) {
		ea_fail(EA_ERR_NODEV, errbuf, errlen, "%s: interface disappeared%s%s", l->name,
			why ? ": " : "", why ? why : "");
		return EA_SOURCE_GONE;
	}
	if (st == IFACE_DOWN) {
		ea_fail(EA_ERR_NODEV, errbuf, errlen, "%s: interface went down%s%s", l->name,
			why ? ": " : "", why ? why : "");
		return EA_SOURCE_GONE;
	}
	return EA_SOURCE_AGAIN;
}

ea_source_result ea_live_next(ea_live *l, ea_frame *frame, char *errbuf, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(l->p, &h, &data);
	if (rc == 0 && l->timeout_ms > 0) {
		struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
		int n = poll(&pfd, 1, l->timeout_ms);
		if (n < 0 && errno != EINTR) {
			ea_fail(EA_ERR_IO, errbuf, errlen, "%s: poll: %s", l->name, strerror(errno));
			return EA_SOURCE_ERROR;
		}
		if (n > 0)
			rc = pcap_next_ex(l->p, &h, &data);
	}
	if (rc == 0 || rc == PCAP_ERROR_BREAK) {
		/* A deleted interface makes libpcap fail, but one set down
		 * leaves it waiting forever: a quiet wire is checked, at most
		 * once a timeout so a polling caller does not pay an ioctl per
		 * call. */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		uint64_t ms = (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
		if (ms < l->check_ms)
			return EA_SOURCE_AGAIN;
		l->check_ms = ms + EA_LIVE_TIMEOUT_MS;
		return live_gone(l, NULL, errbuf, errlen);
	}
	if (rc != 1) {
		const char *why = pcap_geterr(l->p);
		if (live_gone(l, why, errbuf, errlen) == EA_SOURCE_GONE)
			return EA_SOURCE_GONE;
		ea_fail(EA_ERR_IO, errbuf, errlen, "%s: capture failed after %llu frames: %s", l->name,
			(unsigned long long)l->number, why);
		return EA_SOURCE_ERROR;
	}
	l->number++;
	frame->number = l->number;
	frame->linktype = l->linktype;
	frame->data = data;
	frame->caplen = h->caplen > EA_CAPTURE_MAX_CAPLEN ? EA_CAPTURE_MAX_CAPLEN : h->caplen;
	frame->wirelen = h->len < frame->caplen ? frame->caplen : h->len;
	/* The kernel's clock: valid unless set before 1970 or past 9999. */
	if (h->ts.tv_sec >= 0 && h->ts.tv_usec >= 0 && h->ts.tv_usec < 1000000 &&
	    (uint64_t)h->ts.tv_sec <= EA_MAX_TIME_US / 1000000u - 1) {
		l->last_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		frame->ts_fault = EA_TS_OWN;
		frame->ts_known = true;
	} else {
		frame->ts_fault = EA_TS_OUT_OF_RANGE;
		frame->ts_known = l->last_us != 0;
	}
	frame->ts_us = l->last_us;
	return EA_SOURCE_FRAME;
}

int ea_live_linktype(const ea_live *l)
{
	return l->linktype;
}

int ea_live_fd(const ea_live *l)
{
	return l->fd;
}

ea_status ea_live_stats(ea_live *l, ea_source_stats_t *stats, char *errbuf, size_t errlen)
{
	struct pcap_stat ps;
	if (pcap_stats(l->p, &ps) != 0)
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: no capture counters: %s", l->name,
			       pcap_geterr(l->p));
	stats->received = ps.ps_recv;
	stats->dropped = ps.ps_drop;
	stats->if_dropped = ps.ps_ifdrop;
	return EA_OK;
}

/* ---- BPF filters for frames read from files ---- */

typedef struct {
	int linktype;
	bool ok;                  /* compiled; else err holds why not */
	struct bpf_program prog;
	char err[PCAP_ERRBUF_SIZE];
} filter_prog;

struct ea_filter {
	char *expr;
	filter_prog progs[EA_FILTER_MAX_LINKTYPES];
	unsigned n;
};

/* Compiles for a link type as a live capture with a full snap length
 * would: pcap_open_dead gives libpcap the link layer to generate for. */
static void compile_for(const char *expr, filter_prog *fp)
{
	pcap_t *d = pcap_open_dead(linktype_to_dlt(fp->linktype), (int)EA_LIVE_SNAPLEN);
	if (!d) {
		snprintf(fp->err, sizeof fp->err, "out of memory");
		return;
	}
	if (pcap_compile(d, &fp->prog, expr, 1, PCAP_NETMASK_UNKNOWN) == 0)
		fp->ok = true;
	else
		snprintf(fp->err, sizeof fp->err, "%s", pcap_geterr(d));
	pcap_close(d);
}

ea_status ea_filter_new(const char *expr, ea_filter **out, char *errbuf, size_t errlen)
{
	*out = NULL;
	ea_filter *f = calloc(1, sizeof *f);
	if (!f || !(f->expr = strdup(expr))) {
		ea_filter_free(f);
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "filter '%s': out of memory", expr);
	}
	f->progs[0].linktype = 1; /* LINKTYPE_ETHERNET: what the Edge's NICs carry */
	compile_for(expr, &f->progs[0]);
	f->n = 1;
	if (!f->progs[0].ok) {
		ea_status st = ea_fail(EA_ERR_USAGE, errbuf, errlen, "filter '%s': %s", expr, f->progs[0].err);
		ea_filter_free(f);
		return st;
	}
	*out = f;
	return EA_OK;
}

int ea_filter_test(ea_filter *f, const ea_frame *frame, char *errbuf, size_t errlen)
{
	filter_prog *fp = NULL;
	for (unsigned i = 0; i < f->n && !fp; i++)
		if (f->progs[i].linktype == frame->linktype)
			fp = &f->progs[i];
	if (!fp) {
		if (f->n == EA_FILTER_MAX_LINKTYPES) {
			ea_fail(EA_ERR_USAGE, errbuf, errlen, "filter '%s': more than %u link types", f->expr,
				EA_FILTER_MAX_LINKTYPES);
			return -1;
		}
		fp = &f->progs[f->n++];
		fp->linktype = frame->linktype;
		compile_for(f->expr, fp);
	}
	if (!fp->ok) {
		const char *lt = ea_source_linktype_name(frame->linktype);
		ea_fail(EA_ERR_USAGE, errbuf, errlen, "filter '%s': link type %s: %s", f->expr,
			lt ? lt : "unknown", fp->err);
		return -1;
	}
	struct pcap_pkthdr h = {
		.ts = {.tv_sec = (time_t)(frame->ts_us / 1000000u), .tv_usec = (suseconds_t)(frame->ts_us % 1000000u)},
		.caplen = frame->caplen,
		.len = frame->wirelen,
	};
	return pcap_offline_filter(&fp->prog, &h, frame->data) != 0;
}

void ea_filter_free(ea_filter *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->n; i++)
		if (f->progs[i].ok)
			pcap_freecode(&f->progs[i].prog);
	free(f->expr);
	free(f);
}
