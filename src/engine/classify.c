/* classify.c — nDPI 4.2 behind a small interface, plus the fallbacks.
 *
 * Order of trust: a DPI verdict from nDPI (NDPI_CONFIDENCE_DPI only — its
 * guesses by port or by IP do not confirm anything, and neither do its
 * heuristic answers, below, unless our own check agrees); else one of our
 * payload checks for a protocol the port signature expects; else the port
 * signature's first protocol, recorded as coming from the port. */
#include "engine/classify.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ndpi/ndpi_api.h>

#include "util/cursor.h"
#include "util/ea_limits.h"
#include "util/ipproto.h"
#include "engine/payload_check.h"

/* nDPI 4.2 answers reached by a heuristic, yet reported with
 * NDPI_CONFIDENCE_DPI. Such an answer confirms its protocol only when
 * our own payload check for it (payload_check.h) agrees; with no check of
 * ours it confirms nothing, and the flow is classified as if nDPI had not
 * answered. Only an answer with no other master protocol under it
 * counts: Teams found in a TLS server name, or Skype_Teams inside STUN, is
 * the TLS or STUN dissector's work; but the heuristic's own pair,
 * SkypeCall over Skype_Teams (skype.c's 16-byte branch), is heuristic
 * all through.
 *  - Skype_Teams, SkypeCall (protocols/skype.c, UDP): among a flow's
 *    first few datagrams, one of 16 bytes or more whose third byte is 0x02
 *    (a few first bytes excepted: SNMP's 0x30, CAPWAP's 0x00), or a 3-byte
 *    one whose last nibble is 0xd. HSRPv2 hellos (01 28 02 ..., to
 *    224.0.0.102) pass: hsrp2_as_skype_teams.pcap; later nDPI releases
 *    exclude them by name, 4.2 does not (test_classify feeds it one).
 *  - Zoom: the same test when either port is 8801.
 *  - Teams: ndpi_main.c turns such a Skype answer into Teams for a host
 *    that spoke Teams over TLS in the last minute.
 *  - RTP (protocols/rtp.c): one datagram whose first two bytes say
 *    version 2 and an RTP payload type, about one random datagram in ten
 *    (test_classify feeds it one with a reserved type). Our RTP check
 *    agrees only after three headers that are most of the flow's
 *    payloads. */
static const char *const heuristic_protocols[] = {"Skype_Teams", "SkypeCall", "Zoom", "Teams", "RTP"};
#define N_HEURISTIC (sizeof heuristic_protocols / sizeof heuristic_protocols[0])

struct ea_classifier {
	struct ndpi_detection_module_struct *ndpi;
	const ea_portsigs *portsigs;
	uint16_t heuristic_ids[N_HEURISTIC]; /* nDPI ids of the names above; 0 when unknown */
	/* Our check for each (NULL: none), looked up once, not per packet. */
	const ea_payload_check *heuristic_checks[N_HEURISTIC];
	uint8_t view[EA_DPI_VIEW_MAX];       /* dpi_view's copy of a cut packet */
};

ea_status ea_classifier_new(const ea_portsigs *portsigs, ea_classifier **out,
			    char *errbuf, size_t errlen)
{
	ea_classifier *c = calloc(1, sizeof *c);
	if (!c)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (!c->ndpi) {
		free(c);
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "nDPI failed to initialise");
	}
	NDPI_PROTOCOL_BITMASK all;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
	ndpi_finalize_initialization(c->ndpi);
	c->portsigs = portsigs;
	for (size_t i = 0; i < N_HEURISTIC; i++) {
		int id = ndpi_get_proto_by_name(c->ndpi, heuristic_protocols[i]);
		c->heuristic_ids[i] = id > 0 && id <= UINT16_MAX ? (uint16_t)id : 0;
		c->heuristic_checks[i] = ea_payload_check_for(heuristic_protocols[i]);
	}
	*out = c;
	return EA_OK;
}

void ea_classifier_free(ea_classifier *c)
{
	if (!c)
		return;
	ndpi_exit_detection_module(c->ndpi);
	free(c);
}

const char *ea_classifier_ndpi_version(void)
{
	return ndpi_revision();
}

bool ea_classifier_knows(const ea_classifier *c, const char *name)
{
	if (strcasecmp(name, "Unknown") == 0 || ea_payload_check_for(name))
		return true;
	return ndpi_get_proto_by_name(c->ndpi, name) != NDPI_PROTOCOL_UNKNOWN;
}

static void release_dpi(ea_class_state *s)
{
	if (s->dpi) {
		ndpi_free_flow(s->dpi);
		s->dpi = NULL;
	}
}

void ea_class_state_release(ea_class_state *s)
{
	release_dpi(s);
	free(s->server_name);
	s->server_name = NULL;
}

/* Keeps what the report needs from nDPI's flow, then frees it. Decided
 * unless nDPI's answer is heuristic: then our check still has to see the
 * flow's next payloads. */
static void decide(ea_class_state *s, ndpi_protocol proto, bool by_dpi, uint8_t heuristic)
{
	struct ndpi_flow_struct *flow = s->dpi;
	s->decided = !heuristic;
	s->heuristic = heuristic;
	/* nDPI 4.2 leaves master at Unknown when there is only one protocol. */
	s->app = proto.app_protocol;
	s->master = proto.master_protocol != NDPI_PROTOCOL_UNKNOWN ? proto.master_protocol : proto.app_protocol;
	s->category = (uint16_t)proto.category;
	if (flow) {
		s->confidence = (uint8_t)flow->confidence;
		s->risk = flow->risk;
		if (flow->host_server_name[0] && !s->server_name) {
			size_t n = strnlen(flow->host_server_name, sizeof flow->host_server_name);
			s->server_name = strndup(flow->host_server_name, n);
		}
	}
	if (by_dpi && !heuristic)
		s->source = EA_PROTO_SRC_DPI;
	release_dpi(s);
}

/* 1 + the index of id in heuristic_protocols, 0 when it is not there. */
static uint8_t heuristic_index(const ea_classifier *c, uint16_t id)
{
	for (size_t i = 0; i < N_HEURISTIC; i++)
		if (c->heuristic_ids[i] && c->heuristic_ids[i] == id)
			return (uint8_t)(i + 1);
	return 0;
}

/* nDPI's answer is one of heuristic_protocols with nothing under it but
 * another of them: 1 + the app protocol's index there, else 0. */
static uint8_t is_heuristic(const ea_classifier *c, ndpi_protocol proto)
{
	if (proto.master_protocol != NDPI_PROTOCOL_UNKNOWN && proto.master_protocol != proto.app_protocol &&
	    !heuristic_index(c, proto.master_protocol))
		return 0;
	return heuristic_index(c, proto.app_protocol);
}

/* Shows one payload to our check for nDPI's heuristic answer, if we
 * have one for it. */
static void check_heuristic(ea_classifier *c, ea_class_state *s, const ea_packet *pkt, uint8_t transport)
{
	if (pkt->payload_len == 0 || s->agree_checked == UINT8_MAX)
		return;
	const ea_payload_check *chk = c->heuristic_checks[s->heuristic - 1];
	if (!chk)
		return;
	s->agree_checked++;
	if (chk->check(pkt->payload, pkt->payload_len, transport))
		s->agree_hits++;
}

/* Our check agrees with nDPI's heuristic answer, by the check's own
 * standard (payload_check.h: hits_needed, and most payloads above 1). */
static bool heuristic_agreed(ea_classifier *c, const ea_class_state *s)
{
	const ea_payload_check *chk = c->heuristic_checks[s->heuristic - 1];
	if (!chk || s->agree_hits < chk->hits_needed)
		return false;
	return chk->hits_needed <= 1 || 2u * s->agree_hits > s->agree_checked;
}

static bool detected_by_dpi(const struct ndpi_flow_struct *flow, ndpi_protocol proto)
{
	return (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN || proto.master_protocol != NDPI_PROTOCOL_UNKNOWN) &&
	       flow->confidence == NDPI_CONFIDENCE_DPI;
}

static void run_payload_checks(ea_classifier *c, ea_class_state *s, const ea_packet *pkt,
			       uint8_t transport, uint16_t resp_port)
{
	if (pkt->payload_len == 0 || s->payloads_checked == UINT8_MAX)
		return;
	const ea_port_sig *sig = ea_portsigs_lookup(c->portsigs, transport, resp_port);
	if (!sig)
		return;
	s->payloads_checked++;
	for (unsigned i = 0; i < sig->n_protocols && i < EA_CHECKED_PROTOCOLS; i++) {
		const ea_payload_check *chk = ea_payload_check_for(sig->protocols[i]);
		if (chk && chk->check(pkt->payload, pkt->payload_len, transport) && s->check_hits[i] < UINT8_MAX)
			s->check_hits[i]++;
	}
}

/* The signature protocol our checks confirmed, or -1. */
static int confirmed_by_checks(const ea_class_state *s, const ea_port_sig *sig)
{
	for (unsigned i = 0; sig && i < sig->n_protocols && i < EA_CHECKED_PROTOCOLS; i++) {
		const ea_payload_check *chk = ea_payload_check_for(sig->protocols[i]);
		if (!chk || s->check_hits[i] < chk->hits_needed)
			continue;
		if (chk->hits_needed > 1 && 2u * s->check_hits[i] <= s->payloads_checked)
			continue;
		return (int)i;
	}
	return -1;
}

/* The IP packet nDPI is shown, in *len bytes; NULL when there is nothing
 * it could read. A whole packet is shown as it is (without link-layer
 * padding). A packet the capture's snap length cut short is shown as the
 * prefix that was captured: nDPI 4.2 drops any packet shorter than its IP
 * header claims (ndpi_main.c, ndpi_iph_is_valid_and_not_fragmented for
 * IPv4, the payload-length test for IPv6) and takes the L4 length from
 * that header, so it gets a copy whose IPv4 total length or IPv6 payload
 * length, and UDP length, describe exactly the captured bytes. It then
 * sees the first bytes of the payload, where SSH's banner, an HTTP
 * request line or a TLS record header say what the flow is. */
static const uint8_t *dpi_view(ea_classifier *c, const ea_packet *pkt, uint16_t *len)
{
	if (pkt->l3_len >= pkt->ip_len) {
		if (pkt->ip_len > 0xffff)
			return NULL;
		*len = (uint16_t)pkt->ip_len;
		return pkt->l3;
	}
	/* Cut short. With no payload captured the cut may lie inside the
	 * TCP header (the decoder keeps ports and flags): nothing for nDPI.
	 * Otherwise the decoder reached the payload, so the IP and L4
	 * headers are all inside the captured bytes. */
	if (pkt->payload_len == 0)
		return NULL;
	uint32_t have = pkt->l3_len;
	if (!pkt->payload || pkt->payload < pkt->l3 || have > sizeof c->view)
		return NULL;
	size_t l4_end = (size_t)(pkt->payload - pkt->l3); /* where the L4 payload starts */
	if (l4_end > have || have < 20)
		return NULL;
	memcpy(c->view, pkt->l3, have);
	if (pkt->ip_version == 4) {
		ea_put_be16(c->view + 2, (uint16_t)have);
	} else if (pkt->ip_version == 6 && have >= 40) {
		ea_put_be16(c->view + 4, (uint16_t)(have - 40));
	} else {
		return NULL;
	}
	if (pkt->proto == EA_IPPROTO_UDP && l4_end >= 8)
		ea_put_be16(c->view + l4_end - 8 + 4, (uint16_t)(have - l4_end + 8));
	*len = (uint16_t)have;
	return c->view;
}

void ea_classify_packet(ea_classifier *c, ea_class_state *s, const ea_packet *pkt,
			uint8_t transport, uint16_t resp_port)
{
	if (s->decided || pkt->frag == EA_FRAG_LATER)
		return;
	run_payload_checks(c, s, pkt, transport, resp_port);
	if (s->heuristic) {
		/* nDPI has answered; our check watches the same budget of
		 * packets nDPI would have had. */
		check_heuristic(c, s, pkt, transport);
		if (pkt->payload_len > 0 && ++s->dpi_packets >= EA_DPI_PACKET_BUDGET)
			ea_classify_finish(c, s, transport, resp_port, NULL);
		return;
	}
	/* nDPI decides from payload; a flow that never carries any (a port
	 * scan's SYN, an unanswered attempt) costs no nDPI state at all. */
	if (!s->dpi && pkt->payload_len == 0)
		return;
	if (!s->dpi) {
		s->dpi = ndpi_flow_malloc(ndpi_detection_get_sizeof_ndpi_flow_struct());
		if (!s->dpi)
			return; /* retried on the next packet; the fallbacks still work */
		memset(s->dpi, 0, ndpi_detection_get_sizeof_ndpi_flow_struct());
	}
	uint16_t len;
	const uint8_t *view = dpi_view(c, pkt, &len);
	if (!view)
		return;
	ndpi_protocol proto = ndpi_detection_process_packet(c->ndpi, s->dpi, view, len, pkt->ts_us / 1000);
	s->dpi_packets++;
	if (detected_by_dpi(s->dpi, proto)) {
		uint8_t heuristic = is_heuristic(c, proto);
		decide(s, proto, true, heuristic);
		if (heuristic)
			check_heuristic(c, s, pkt, transport);
	} else if (s->dpi_packets >= EA_DPI_PACKET_BUDGET)
		ea_classify_finish(c, s, transport, resp_port, NULL);
}

static void set_name(char *dst, const char *src)
{
	snprintf(dst, EA_PROTO_NAME_MAX, "%s", src ? src : "Unknown");
}

static void fill_risks(const ea_class_state *s, char *out, size_t outlen)
{
	out[0] = '\0';
	size_t used = 0;
	for (unsigned i = 1; i < 64 && i < NDPI_MAX_RISK; i++) {
		if (!(s->risk & (1ull << i)))
			continue;
		int n = snprintf(out + used, outlen - used, "%s%s", used ? "," : "",
				 ndpi_risk2str((ndpi_risk_enum)i));
		if (n < 0 || (size_t)n >= outlen - used)
			break; /* truncated at a whole name */
		used += (size_t)n;
	}
	out[used] = '\0';
}

void ea_classify_finish(ea_classifier *c, ea_class_state *s, uint8_t transport,
			uint16_t resp_port, ea_flow_record *rec)
{
	if (!s->decided) {
		if (s->dpi) {
			uint8_t guessed = 0;
			ndpi_protocol proto = ndpi_detection_giveup(c->ndpi, s->dpi, 1, &guessed);
			bool by_dpi = !guessed && detected_by_dpi(s->dpi, proto);
			decide(s, proto, by_dpi, 0);
			if (by_dpi && is_heuristic(c, proto))
				s->source = EA_PROTO_SRC_NONE; /* nothing left for our check to see */
		}
		s->decided = 1;
		if (s->heuristic && heuristic_agreed(c, s))
			s->source = EA_PROTO_SRC_DPI;
		if (s->source != EA_PROTO_SRC_DPI && s->app != NDPI_PROTOCOL_UNKNOWN &&
		    (s->heuristic || s->confidence == NDPI_CONFIDENCE_DPI)) {
			/* An unconfirmed heuristic answer is no answer: not even
			 * a name to fall back on below. */
			s->app = s->master = NDPI_PROTOCOL_UNKNOWN;
		}
	}
	if (!rec)
		return;

	const ea_port_sig *sig = ea_portsigs_lookup(c->portsigs, transport, resp_port);
	int checked;
	if (s->source == EA_PROTO_SRC_DPI) {
		set_name(rec->master_proto, ndpi_get_proto_name(c->ndpi, s->master));
		set_name(rec->app_proto, ndpi_get_proto_name(c->ndpi, s->app ? s->app : s->master));
	} else if ((checked = confirmed_by_checks(s, sig)) >= 0) {
		s->source = EA_PROTO_SRC_PAYLOAD;
		set_name(rec->master_proto, sig->protocols[checked]);
		set_name(rec->app_proto, sig->protocols[checked]);
	} else if (sig && sig->n_protocols) {
		s->source = EA_PROTO_SRC_PORT;
		set_name(rec->master_proto, sig->protocols[0]);
		set_name(rec->app_proto, sig->protocols[0]);
	} else if (s->master != NDPI_PROTOCOL_UNKNOWN) {
		/* nDPI's own guess from the port: still only a port. */
		s->source = EA_PROTO_SRC_PORT;
		set_name(rec->master_proto, ndpi_get_proto_name(c->ndpi, s->master));
		set_name(rec->app_proto, ndpi_get_proto_name(c->ndpi, s->app ? s->app : s->master));
	} else {
		s->source = EA_PROTO_SRC_NONE;
		set_name(rec->master_proto, "Unknown");
		set_name(rec->app_proto, "Unknown");
	}
	rec->proto_source = (ea_proto_source)s->source;
	set_name(rec->category, ndpi_category_get_name(c->ndpi, (ndpi_protocol_category_t)s->category));
	/* nDPI's confidence describes nDPI's answer; when the protocol came
	 * from elsewhere it would only contradict proto_source. */
	if (s->source == EA_PROTO_SRC_DPI)
		set_name(rec->confidence, ndpi_confidence_get_name((ndpi_confidence_t)s->confidence));
	else
		rec->confidence[0] = '\0';
	fill_risks(s, rec->risks, sizeof rec->risks);
	snprintf(rec->server_name, sizeof rec->server_name, "%s", s->server_name ? s->server_name : "");

	bool confirmed = s->source == EA_PROTO_SRC_DPI || s->source == EA_PROTO_SRC_PAYLOAD;
	rec->proto_unexpected_on_port = confirmed && sig && !ea_port_sig_has(sig, rec->master_proto) &&
					!ea_port_sig_has(sig, rec->app_proto);
}

void ea_classify_peek(ea_classifier *c, const ea_class_state *s, uint8_t transport, uint16_t resp_port,
		      ea_flow_record *rec)
{
	/* A copy without the nDPI state: finishing it ends nothing of the
	 * flow's own detection. server_name stays the flow's (only read). */
	ea_class_state copy = *s;
	copy.dpi = NULL;
	ea_classify_finish(c, &copy, transport, resp_port, rec);
}

void ea_classifier_set_portsigs(ea_classifier *c, const ea_portsigs *portsigs)
{
	c->portsigs = portsigs;
}
