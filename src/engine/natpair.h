/* natpair.h — the two sides of the Edge's 1:1 NAT, read together: which
 * public address each Edge private address really has (README, "The NAT
 * requirement").
 *
 * When one read holds a capture of the Edge's external NIC (private
 * addresses) and one of the NAT's public side (public addresses), the
 * same connection is in both, once with each address. A static 1:1 NAT
 * changes only the Edge's address, never the ports nor the remote end,
 * so a flow of private address P pairs with the public-side flow whose
 * Community ID is that of its tuple with P replaced by public address Q:
 * Q is what the NAT maps P to. Each P must map to its one Q, the one the
 * site's `[nat] map` names; any other is a finding ("differs").
 *
 * Candidates for Q are the site's own public Edge addresses (the host
 * addresses that are not private in the Edge roles): a NAT that maps to
 * an address the site file never names leaves P unpaired, which is
 * reported too. Pairing is done once, after a read has stored its flows
 * (`read` only: a sensor sees its two NICs, never the public side).
 *
 * Pipeline position: after the engine, on the run's stored flows;
 * results go to the store's nat_mappings table. */
#ifndef EA_NATPAIR_H
#define EA_NATPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/flowrec.h"
#include "rules/matrix.h"
#include "rules/site.h"
#include "store/store.h"
#include "util/addr.h"
#include "util/error.h"

/* One external flow as stored: its tuple and Community ID. */
typedef struct {
	uint8_t transport;
	ea_addr init_addr, resp_addr;
	uint16_t init_port, resp_port;
	char community_id[EA_COMMUNITY_ID_MAX];
} ea_natpair_flow;

typedef enum {
	EA_NATMAP_OK = 0,    /* paired with the public address the site maps it to */
	EA_NATMAP_DIFFERS,   /* paired with another public address than the site's map: a finding */
	EA_NATMAP_UNMAPPED,  /* paired; the site's [nat] map names nothing for it */
	EA_NATMAP_UNPAIRED,  /* none of its flows paired, though the public side was read */
} ea_natmap_status;

/* "ok", "differs", "unmapped", "unpaired" (nat_mappings.status) */
const char *ea_natmap_status_name(ea_natmap_status s);

/* One (private, public) pair seen, or one private address never paired. */
typedef struct {
	unsigned role;                 /* the Edge role of private_addr */
	ea_addr private_addr;
	bool has_public;               /* false: unpaired */
	ea_addr public_addr;
	bool has_expected;             /* the site maps private_addr */
	ea_addr expected_addr;
	ea_natmap_status status;
	uint64_t flows;                /* flows of private_addr paired with public_addr */
	uint64_t unpaired;             /* flows of private_addr that paired with nothing */
	char example_community_id[EA_COMMUNITY_ID_MAX]; /* one paired flow, external NIC's side */
} ea_natpair_mapping;

typedef struct {
	ea_natpair_mapping *maps;      /* owned; by private address, then public */
	unsigned n;
	bool public_side;              /* some flow had a public Edge address */
	uint64_t private_flows;        /* flows with a private Edge address */
	uint64_t paired;               /* of those, paired */
	bool truncated;                /* more than EA_NAT_PAIR_MAX_FLOWS flows: paired the first */
} ea_natpair_result;

/* Pairs flows[0..n) (the external NIC's flows of one read: both sides
 * when both were read) for site s, matrix m (which roles are the Edge's).
 * No rows when no flow has a public Edge address (only one side read).
 * out is owned by the caller (ea_natpair_result_free). EA_ERR_NOMEM. */
ea_status ea_natpair(const ea_matrix *m, const ea_site *s, const ea_natpair_flow *flows, size_t n,
		     ea_natpair_result *out, char *errbuf, size_t errlen);
void ea_natpair_result_free(ea_natpair_result *r);

/* Reads run run_id's external flows from st (at most EA_NAT_PAIR_MAX_FLOWS
 * with an Edge address), pairs them and adds one nat_mappings row per
 * result row to the store's open batch (the caller flushes). out as for
 * ea_natpair. EA_ERR_DB, EA_ERR_NOMEM. */
ea_status ea_natpair_run(ea_store *st, int64_t run_id, const ea_matrix *m, const ea_site *s,
			 ea_natpair_result *out, char *errbuf, size_t errlen);

/* One sentence for `read`'s summary ("NAT: 43 of 43 flows of the Edge's
 * private addresses paired with the public side; Edge addresses mapped as
 * the site says 3, otherwise 0 (findings), not in the site's map 0,
 * unpaired 0") into buf; "" when the public side was not read. */
void ea_natpair_summary(const ea_natpair_result *r, char *buf, size_t size);

#endif
