/* flow.h — the bidirectional flow table of one capture interface.
 *
 * One hash lookup per packet: the hash is symmetric (both directions of a
 * flow land in the same bucket) and seeded; the bucket's chain is compared
 * against both orientations. Flows sit on one LRU list per timeout class,
 * so idle expiry only ever looks at list heads. The table has a hard cap:
 * a new flow beyond it evicts the least recently active one (counted, and
 * the evicted flow is still ended and recorded, never lost).
 * Time is packet time only, so runs are deterministic.
 * Pipeline position: decode → [flow] → classify. */
#ifndef EA_FLOW_H
#define EA_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/classify.h"
#include "engine/direction.h"
#include "engine/flowrec.h"
#include "decode/packet.h"

typedef enum {
	EA_LRU_TCP_OPEN = 0,
	EA_LRU_TCP_CLOSED,  /* FIN both ways or RST: only stragglers remain */
	EA_LRU_UDP,
	EA_LRU_OTHER,
	EA_LRU_COUNT
} ea_lru_class;

typedef struct ea_flow {
	struct ea_flow *hnext;          /* hash chain */
	struct ea_flow *prev, *next;    /* LRU list of its class */
	ea_addr addr[2];                /* [0] initiator, [1] responder */
	uint16_t port[2];
	uint8_t transport;
	uint8_t lru;                    /* ea_lru_class */
	uint8_t dir_source;             /* ea_direction_source */
	uint8_t tcp_flags[2];           /* TCP flags seen, per direction */
	uint8_t fin_seen;               /* bit d: a FIN from direction d */
	bool icmp_oneway;
	bool reported;                  /* an active-timeout update was emitted */
	uint32_t hash;
	uint64_t uid;                   /* 1, 2, … in order of creation within the table */
	uint64_t reported_us;           /* packet/clock time of its last active-timeout
					   update (first_us until the first) */
	uint64_t reported_pkts;         /* packets (both ways) at the last update written:
					   an update with no packet since is not written */
	uint32_t reported_generation;   /* ruleset generation that judged that update */
	struct ea_flow *aprev, *anext;  /* the table's list in order of reported_us */
	uint64_t first_us, last_us;
	uint64_t pkts[2], bytes[2];     /* [0] from the initiator */
	ea_class_state cls;
	/* ICMP errors that quote this flow (engine/icmp_attach.h), by the
	 * direction they travelled; they are in pkts and bytes too. */
	uint32_t icmp_errors[2];
	uint8_t icmp_last_type, icmp_last_code; /* of the latest one */
	/* This flow is itself ICMP errors whose quoted flow was not found. */
	bool icmp_orphan;
} ea_flow;

typedef void (*ea_flow_end_fn)(void *ctx, ea_flow *f, ea_end_reason why);

typedef struct {
	uint64_t flows_created;
	uint64_t flows_evicted;
	uint64_t flows_active_peak;
	uint64_t port_reuse_splits;    /* a SYN reopened a closed flow's 5-tuple */
	uint64_t alloc_failures;
} ea_flow_stats;

typedef struct ea_flow_table ea_flow_table;

/* ranks decide the initiator of new flows; on_end receives every flow as
 * it ends (idle, evicted, closed and reopened, flushed) just before it is
 * freed. Returns NULL when out of memory. */
ea_flow_table *ea_flow_table_new(unsigned max_flows, uint64_t seed, const ea_port_ranks *ranks,
				 ea_flow_end_fn on_end, void *ctx);
/* Frees all flows without ending them: flush first to record them. */
void ea_flow_table_free(ea_flow_table *t);

/* The packet's flow, created when new; *from_initiator tells the packet's
 * direction. Counters and TCP state are updated. NULL only when out of
 * memory (counted). */
ea_flow *ea_flow_table_packet(ea_flow_table *t, const ea_packet *p, bool *from_initiator);

/* The open flow of the tuple src:sport → dst:dport (either orientation),
 * without creating one; *src_is_initiator says which end src is. NULL
 * when the table has no such flow. */
ea_flow *ea_flow_table_lookup(ea_flow_table *t, uint8_t proto, const ea_addr *src, uint16_t sport,
			      const ea_addr *dst, uint16_t dport, bool *src_is_initiator);
/* Counts the ICMP error p on f, which it quotes: a packet and p's bytes
 * in direction dir (0: from the initiator), its type and code, and the
 * flow's activity (last_us, LRU), as any packet of f. Not classified. */
void ea_flow_table_count_icmp_error(ea_flow_table *t, ea_flow *f, const ea_packet *p, int dir);

/* Ends flows idle longer than their class's timeout at packet time now. */
void ea_flow_table_expire(ea_flow_table *t, uint64_t now_us);
/* Active timeout: calls fn for every flow whose last update (or start)
 * is interval_us or more before now_us (µs, the clock that drives the
 * table), oldest first, and marks it reported at now_us. The flow stays
 * open. fn must not end flows. */
typedef void (*ea_flow_update_fn)(void *ctx, ea_flow *f);
void ea_flow_table_report_due(ea_flow_table *t, uint64_t now_us, uint64_t interval_us, ea_flow_update_fn fn,
			      void *ctx);
/* Ends every flow with the given reason (end of input). */
void ea_flow_table_flush(ea_flow_table *t, ea_end_reason why);

unsigned ea_flow_table_active(const ea_flow_table *t);
const ea_flow_stats *ea_flow_table_stats(const ea_flow_table *t);

/* The finished flow's handshake outcome and end reason from its flags. */
ea_handshake ea_flow_handshake(const ea_flow *f);
ea_end_reason ea_flow_end_reason(const ea_flow *f, ea_end_reason otherwise);

#endif
