/* source.h — where packets come from: a capture file today, a live
 * interface next. The pipeline reads frames through this interface only,
 * so continuous monitoring will reuse it unchanged.
 * Pipeline position: [source] → decode. */
#ifndef EA_SOURCE_H
#define EA_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "packet.h"

typedef enum {
	EA_SOURCE_FRAME = 0,   /* *frame filled; valid until the next call */
	EA_SOURCE_END,         /* no more frames (see ea_source_truncated) */
	EA_SOURCE_ERROR,       /* reading stopped; errbuf says why and where */
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
/* The next frame. Frames of a pcapng file carry their own interface's
 * link type; times are µs since the epoch within 0 … EA_MAX_TIME_US (see
 * ea_ts_fault in packet.h for records whose own time is unusable). A
 * file cut inside its last record ends with EA_SOURCE_END, a warning in
 * errbuf and ea_source_truncated() true; a malformed record ends it with
 * EA_SOURCE_ERROR and "path: record N: reason". */
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
 * for a value it does not know. Static storage, never freed. The one
 * function of source_pcap.c, the libpcap module (live capture next). */
const char *ea_source_linktype_name(int linktype);

#endif
