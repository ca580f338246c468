/* flowsel.h — which stored flows `edgeaudit evidence` extracts, and where
 * their packets are: the flows chosen by id, verdict, finding group, run
 * and period, each with its run's capture files (path and SHA-256 as the
 * run recorded them).
 *
 * Pipeline position: store → [flowsel] → the evidence extractor
 * (engine/extract.h). The SQL stays here, in the store layer; the caller
 * gets typed rows. */
#ifndef EA_FLOWSEL_H
#define EA_FLOWSEL_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/packet.h"
#include "store/store.h"
#include "util/addr.h"
#include "util/error.h"

/* A finding group as the report groups findings: interface, transport,
 * responder port and, optionally, the protocol the report names (its
 * app_protocol, without "(by port, not confirmed)"). */
typedef struct {
	bool set;
	ea_iface iface;
	char transport[16];   /* as flow_verdicts.transport: "tcp", "udp", "icmp", "47" … */
	uint16_t port;        /* responder port (ICMP: the counterpart type, as stored) */
	char protocol[64];    /* "" = any */
} ea_flowsel_group;

/* Parses "IFACE/TRANSPORT/PORT[/PROTOCOL]" (e.g. "external/tcp/8080",
 * "internal/udp/3478/STUN"): IFACE external or internal, TRANSPORT a name
 * of flow_verdicts.transport or a protocol number, PORT 0 to 65535.
 * EA_ERR_USAGE with what is wrong. */
ea_status ea_flowsel_parse_group(const char *text, ea_flowsel_group *out, char *errbuf, size_t errlen);

/* What to select. Flows match when they pass every condition given;
 * several ids select any of them. At least one of ids, verdict, group. */
typedef struct {
	const int64_t *ids;       /* flows.id, as flow_verdicts.flow_id */
	unsigned n_ids;
	const char *verdict;      /* NULL = any */
	ea_flowsel_group group;   /* .set false = any */
	int64_t run_id;           /* 0 = any */
	uint64_t since_us;        /* flows that end at or after; 0 = any */
	uint64_t until_us;        /* flows that start before; 0 = any */
} ea_flowsel_query;

/* One selected flow, its key as the engine made it. */
typedef struct {
	int64_t id, run_id;
	ea_iface iface;
	uint8_t transport;
	ea_addr initiator, responder;
	uint16_t initiator_port, responder_port;
	uint64_t first_us, last_us;   /* first and last packet, µs */
	uint64_t packets;             /* pkts_out + pkts_in as stored */
	char verdict[24];
	bool live;                    /* its run was a live capture (monitor) */
	bool duplicates_kept;         /* its run kept SPAN duplicates */
	char *filter;                 /* its run's BPF filter, NULL = none; owned */
} ea_flowsel_flow;

/* One capture file of a run, as recorded in inputs. */
typedef struct {
	int64_t id, run_id;
	ea_iface iface;
	char *path;                   /* as given to read; owned */
	char sha256[65];
	uint64_t size;
	int linktype;
} ea_flowsel_input;

typedef struct {
	ea_flowsel_flow *flows;       /* ordered by id */
	size_t n_flows;
	ea_flowsel_input *inputs;     /* the inputs of the runs of those flows, by id */
	size_t n_inputs;
	int64_t missing_id;           /* first --flow id with no row (or not passing
					 the other conditions); 0 = none */
} ea_flowsel_result;

/* Runs q against st. On EA_OK *res holds the flows (possibly none) and
 * the caller frees it with ea_flowsel_free. EA_ERR_USAGE for a query
 * without ids, verdict or group; EA_ERR_DB, EA_ERR_NOMEM. */
ea_status ea_flowsel_select(ea_store *st, const ea_flowsel_query *q, ea_flowsel_result *res, char *errbuf,
			    size_t errlen);
void ea_flowsel_free(ea_flowsel_result *res);

#endif
