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

/* Opens a pcap or pcapng file. EA_ERR_IO (cannot open) or EA_ERR_FORMAT
 * (not a capture libpcap can read) with "path: reason". */
ea_status ea_source_open_file(const char *path, ea_source **out, char *errbuf, size_t errlen);
ea_source_result ea_source_next(ea_source *s, ea_frame *frame, char *errbuf, size_t errlen);
/* True when the file ended inside a record (cut short). */
bool ea_source_truncated(const ea_source *s);
int ea_source_linktype(const ea_source *s);
/* Bytes of the file consumed so far (for progress), 0 when not known. */
uint64_t ea_source_position(const ea_source *s);
void ea_source_close(ea_source *s);

/* The name libpcap gives a LINKTYPE_/DLT_ value ("EN10MB", "USER13"),
 * NULL for a value it does not know. Static storage, never freed. */
const char *ea_source_linktype_name(int linktype);

#endif
