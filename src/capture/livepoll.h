/* livepoll.h — live capture on the Edge's two interfaces in one loop.
 *
 * One thread, one poll(2) over the interfaces' descriptors (libpcap's
 * pcap_get_selectable_fd, as its testprogs/selpolltest.c does), frames
 * handed to the caller as they come. Chosen over a thread per interface
 * by measurement (README, "monitor"): the pipeline behind it is one
 * single-threaded engine, and one loop kept up with both NICs at the
 * injector's ceiling on this machine.
 *
 * An interface that goes away while captured (deleted, set down, a USB
 * NIC unplugged) is closed and reported once through on_change; the
 * other keeps being captured; every EA_LIVE_RETRY_MS the lost one is
 * opened again and, once it is back, reported and captured as before.
 * Counters (pcap_stats) survive a loss: they are summed over every open.
 *
 * Pipeline position: [capture] → decode; knows nothing of what the
 * caller does with a frame. Not thread-safe: one owner. */
#ifndef EA_LIVEPOLL_H
#define EA_LIVEPOLL_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/source.h"
#include "decode/packet.h"
#include "util/error.h"

typedef struct ea_livepoll ea_livepoll;

typedef struct {
	/* Options of every interface (promiscuous, immediate, snap length,
	 * buffer, filter); ifname and timeout_ms are set per interface here. */
	ea_live_options live;
	const char *ifname[EA_IFACE_COUNT];  /* NULL: that interface is not captured */
	/* Each frame, valid during the call only. */
	void (*on_frame)(void *ctx, ea_iface iface, const ea_frame *frame);
	/* An interface lost (up false; reason: why, one line) or back (up
	 * true). Called once per change, from ea_livepoll_run. May be NULL. */
	void (*on_change)(void *ctx, ea_iface iface, const char *ifname, bool up, const char *reason);
	void *ctx;
} ea_livepoll_config;

typedef struct {
	bool captured;        /* an interface was given for this side */
	bool up;              /* being captured now */
	uint64_t frames;      /* frames handed to on_frame */
	uint64_t received;    /* pcap_stats (source.h), summed over each open */
	uint64_t dropped;
	uint64_t if_dropped;
	uint64_t losses;      /* times the interface was lost */
} ea_livepoll_stats;

/* Opens every interface named in cfg (strings borrowed for the loop's
 * life). Any failure closes what was opened and returns that interface's
 * error from ea_source_open_live, naming it: EA_ERR_NODEV (missing or
 * down), EA_ERR_USAGE (bad options or filter), EA_ERR_IO (permission or
 * libpcap), EA_ERR_NOMEM; EA_ERR_USAGE when no interface is named. */
ea_status ea_livepoll_open(const ea_livepoll_config *cfg, ea_livepoll **out, char *errbuf, size_t errlen);

/* One round: waits at most timeout_ms (ms, ≥ 0) for frames, hands every
 * frame ready to on_frame (at most EA_LIVE_BURST_FRAMES per interface, so
 * neither starves the other), notes lost interfaces and retries them when
 * due. Returns early, EA_OK, when a signal interrupts the wait, so the
 * caller sees its flags at once. EA_ERR_IO only when poll(2) itself
 * fails; a failing interface is treated as lost, never as fatal (a
 * sensor keeps running). */
ea_status ea_livepoll_run(ea_livepoll *lp, int timeout_ms, char *errbuf, size_t errlen);

/* Counters of one side now (reads pcap_stats of an open interface). */
void ea_livepoll_get_stats(ea_livepoll *lp, ea_iface iface, ea_livepoll_stats *out);

/* Closes every interface. NULL is fine. */
void ea_livepoll_close(ea_livepoll *lp);

#endif
