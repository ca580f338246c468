/* frag.h — lets later IP fragments find their flow.
 *
 * Only the first fragment carries the TCP/UDP header. Its ports are
 * remembered under (src, dst, protocol, fragment id) in a fixed-size,
 * direct-mapped cache: bounded memory, no allocation, and an entry that
 * is overwritten or too old simply means the later fragment is counted as
 * unattributed instead of joining its flow.
 * Pipeline position: decode → [frag] → flow. */
#ifndef EA_FRAG_H
#define EA_FRAG_H

#include <stdbool.h>

#include "packet.h"

typedef struct ea_frag_cache ea_frag_cache;

ea_frag_cache *ea_frag_cache_new(void);
void ea_frag_cache_free(ea_frag_cache *fc);

/* For FIRST fragments: remember the ports. For LATER fragments: fill in
 * sport/dport and return true if the first fragment was seen, else false.
 * Non-fragments: true, untouched. */
bool ea_frag_attribute(ea_frag_cache *fc, ea_packet *p);

#endif
