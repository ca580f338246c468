/* source_live.h — the seam between capfile.c, which owns struct
 * ea_source, and source_pcap.c, the one module that speaks libpcap: a
 * live source is an ea_source whose frames come from an ea_live.
 * Internal to those two files; the pipeline sees source.h only. */
#ifndef EA_SOURCE_LIVE_H
#define EA_SOURCE_LIVE_H

#include "capture/source.h"

typedef struct ea_live ea_live;

/* capfile.c: wraps a live capture in an ea_source, taking ownership of
 * live (closed with the source, or here when out of memory: NULL). */
ea_source *ea_source_adopt_live(ea_live *live);

/* source_pcap.c: what ea_source_next and friends do for a live source. */
ea_source_result ea_live_next(ea_live *l, ea_frame *frame, char *errbuf, size_t errlen);
int ea_live_linktype(const ea_live *l);
int ea_live_fd(const ea_live *l);
ea_status ea_live_stats(ea_live *l, ea_source_stats_t *stats, char *errbuf, size_t errlen);
void ea_live_close(ea_live *l);

#endif
