/* source.h — where packets come from: a capture file (capfile.c) or a
 * live interface (source_pcap.c). The pipeline reads frames through this
 * interface only, so `read` and continuous monitoring share it.
 * Pipeline position: [source] → decode. */
#ifndef EA_SOURCE_H
#define EA_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "decode/packet.h"

typedef enum {
	EA_SOURCE_FRAME = 0,   /* *frame filled; valid until the next call */
	EA_SOURCE_END,         /* no more frames (see ea_source_truncated) */
	EA_SOURCE_ERROR,       /* reading stopped; errbuf says why and where */
	EA_SOURCE_AGAIN,       /* live only: no frame within the poll timeout. Not an
				  error: run the clock tick, then call again */
	EA_SOURCE_GONE,        /* live only: the interface went down or disappeared
				  (errbuf names it). The source is dead: close it and
				  retry ea_source_open_live until the interface is back */
} ea_source_result;

typedef struct ea_source ea_source;

/* Opens a pcap (microsecond or nanosecond, either byte order) or pcapng
 * capture file and reads its header (for pcapng, up to the first
 * interface description). EA_ERR_IO (cannot open or read) or
 * EA_ERR_FORMAT (not a capture we can read) with "path: reason". The
 * source owns the open file until ea_source_close. */
ea_status ea_source_open_file(const char *path, ea_source **out, char *errbuf, size_t errlen);
/* The same for a capture that can be read only once: a pipe, a device,
 * or "-" for standard input. Every byte read is hashed on the way, so
 * ea_source_digest can fingerprint it afterwards without a second read.
 * Errors as ea_source_open_file. */
ea_status ea_source_open_stream(const char *path, ea_source **out, char *errbuf, size_t errlen);
/* What a live capture is opened with (ea_source_open_live). Zero means
 * the default for every number. */
typedef struct {
	const char *ifname;    /* interface name, as `ip link` shows it */
	bool promiscuous;      /* frames for any MAC: what a SPAN port delivers */
	bool immediate;        /* each frame as it arrives, not in kernel blocks */
	uint32_t snaplen;      /* bytes kept per frame; 0 = EA_LIVE_SNAPLEN (whole frame) */
	uint32_t buffer_mib;   /* kernel ring, MiB; 0 = EA_LIVE_BUFFER_MIB, at most
				  EA_LIVE_BUFFER_MIB_MAX */
	const char *filter;    /* BPF expression (pcap-filter(7)); NULL or "" = all */
	int timeout_ms;        /* longest wait in ea_source_next, ms; 0 =
				  EA_LIVE_TIMEOUT_MS; < 0 = never wait (for a caller
				  that polls ea_source_fd itself) */
} ea_live_options;

/* Counters of a live capture since it was opened (pcap_stats(3PCAP);
 * Linux: received counts frames the filter passed, dropped those lost
 * because the ring was full, if_dropped the interface's own drops). */
typedef struct {
	uint64_t received;
	uint64_t dropped;
	uint64_t if_dropped;
} ea_source_stats_t;

/* Opens a live capture on opt->ifname through libpcap (needs
 * CAP_NET_RAW, and CAP_NET_ADMIN for promiscuous mode). The filter is
 * compiled and installed here, so a bad one fails now. Errors, each
 * naming the interface:
 *   EA_ERR_NODEV  no such interface, or it is down (retry later);
 *   EA_ERR_USAGE  bad options, or a filter libpcap rejects
 *                 ("filter 'EXPR': libpcap's message");
 *   EA_ERR_IO     permission denied or any other libpcap failure;
 *   EA_ERR_NOMEM.
 * The source owns the pcap handle until ea_source_close. */
ea_status ea_source_open_live(const ea_live_options *opt, ea_source **out, char *errbuf, size_t errlen);
/* Counters of a live source; EA_ERR_INTERNAL for a file, EA_ERR_IO when
 * libpcap cannot read them. */
ea_status ea_source_stats(ea_source *s, ea_source_stats_t *stats, char *errbuf, size_t errlen);
/* A descriptor that poll(2) reports readable when a live source may have
 * frames (pcap_get_selectable_fd), so one loop can serve several
 * interfaces; -1 for a file. Owned by the source. */
int ea_source_fd(const ea_source *s);

/* The next frame. Frames of a pcapng file carry their own interface's
 * link type; times are µs since the epoch within 0 … EA_MAX_TIME_US (see
 * ea_ts_fault in packet.h for records whose own time is unusable). A
 * file cut inside its last record ends with EA_SOURCE_END, a warning in
 * errbuf and ea_source_truncated() true; a malformed record ends it with
 * EA_SOURCE_ERROR and "path: record N: reason". A live source never
 * ends: it gives frames (time from the kernel, µs; link type, caplen and
 * wirelen as libpcap reports them; number counts from 1), EA_SOURCE_AGAIN
 * when none came within its timeout, EA_SOURCE_GONE when the interface
 * went away, EA_SOURCE_ERROR for any other failure. */
ea_source_result ea_source_next(ea_source *s, ea_frame *frame, char *errbuf, size_t errlen);
/* True when the file ended inside a record (cut short). */
bool ea_source_truncated(const ea_source *s);
/* The LINKTYPE_* value of the file's header (pcap) or of its first
 * interface (pcapng); frames may differ (ea_frame.linktype). */
int ea_source_linktype(const ea_source *s);
/* Bytes of the input consumed so far (for progress), 0 when not known. */
uint64_t ea_source_position(const ea_source *s);
/* For a source opened with ea_source_open_stream: reads whatever is left
 * of the input (still hashing) and gives the SHA-256 of every byte the
 * source read, as 64 lowercase hex characters, and their count in *size.
 * Call it once, after the last ea_source_next. EA_ERR_IO when reading
 * fails, EA_ERR_INTERNAL when the source does not hash or libcrypto
 * failed. */
ea_status ea_source_digest(ea_source *s, char hex[65], uint64_t *size, char *errbuf, size_t errlen);
/* Closes the file (standard input is left open). NULL is fine. */
void ea_source_close(ea_source *s);

/* The name libpcap gives a LINKTYPE_ value ("EN10MB", "USER13"), NULL
 * for a value it does not know. Static storage, never freed. */
const char *ea_source_linktype_name(int linktype);

/* A BPF filter (pcap-filter(7)) for frames read from a file, as
 * tcpdump -r applies it: compiled by libpcap for each link type the
 * frames carry (a pcapng may have several), run on the captured bytes. */
typedef struct ea_filter ea_filter;
/* Compiles expr for Ethernet, so a wrong expression fails before any
 * frame is read. EA_ERR_USAGE "filter 'EXPR': libpcap's message",
 * EA_ERR_NOMEM. The caller owns *out (ea_filter_free). */
ea_status ea_filter_new(const char *expr, ea_filter **out, char *errbuf, size_t errlen);
/* 1 when the frame passes, 0 when it does not, -1 when the expression
 * cannot apply to the frame's link type (errbuf: "filter 'EXPR': link
 * type NAME: libpcap's message") — tcpdump refuses such a file too. */
int ea_filter_test(ea_filter *f, const ea_frame *frame, char *errbuf, size_t errlen);
void ea_filter_free(ea_filter *f);

#endif
