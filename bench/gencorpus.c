/* gencorpus.c — the benchmark's synthetic Edge corpus, built from real
 * payloads.
 *
 * Not part of the pipeline: a tool of `make bench` (bench/run.sh). It reads
 * real captures (nDPI and Zeek test traces, the lab's own Edge captures)
 * through the project's source and decoder, keeps every flow of a known
 * service as a template (each packet's direction, TCP flags and payload
 * bytes, in order), and replays the templates onto Edge addresses and ports
 * with many flows interleaved, writing a classic pcap (Ethernet, IPv4 and
 * some IPv6, correct lengths and checksums).
 *
 * Reproducible by construction: every random choice comes from one seeded
 * generator, time from a fixed epoch, templates are read in the order
 * given, so the same templates and options give the same bytes on every
 * run and machine. Summary figures go to stdout as key=value lines.
 *
 * usage: gencorpus [-s SEED] [-n PACKETS] [-d SECONDS] -o OUT.pcap TEMPLATE... */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "util/error.h"
#include "capture/source.h"

/* Bounds of what the generator accepts or produces. */
#define MAX_TEMPLATE_PACKETS 4000000u   /* far more than all the traces together */
#define MAX_ARENA_BYTES (512u << 20)    /* payload bytes kept from the templates */
#define MAX_TEMPLATE_PAYLOAD 65535u     /* an IP packet cannot carry more */
#define MAX_PACKETS 50000000ull         /* a corpus larger than this is a typo */
#define FRAME_MAX 1514                  /* Ethernet MTU 1500 + 14: what an Edge NIC sees */
#define TCP_MSS_V4 1460                 /* 1500 - 20 (IPv4) - 20 (TCP) */
#define TCP_MSS_V6 1440                 /* 1500 - 40 (IPv6) - 20 (TCP) */
#define UDP_MAX_V4 1472                 /* 1500 - 20 - 8: larger datagrams are cut, not fragmented */
#define UDP_MAX_V6 1452
#define GAP_MIN_US 20                   /* back-to-back packets on a 1 Gb/s link */
#define GAP_MAX_US 2000000              /* template pauses are capped: the corpus is minutes long */
#define RTP_PTIME_US 20000              /* 20 ms packetisation, the usual for voice */
#define KEEPALIVE_US 30000000           /* a registered client's TLS keepalive, about every 30 s */
#define EPOCH_SEC 1709542800u           /* 2024-03-04 09:00:00 UTC */

enum { P_TCP = 6, P_UDP = 17 };

/* ---- deterministic randomness ---------------------------------------- */

typedef struct {
	uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
	/* splitmix64: one 64-bit state, full period, no platform dependence */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. The modulo bias is below 2^-40 for our n. */
static uint32_t rng_below(rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

static uint32_t rng_range(rng *r, uint32_t lo, uint32_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

/* ---- templates ------------------------------------------------------- */

typedef enum {
	K_TLS, K_STUN, K_RTP, K_DNS, K_HTTP, K_XMPP, K_SSH, K_RDP, K_SMB, K_OTHER, K_COUNT
} tpl_kind;

static const char *const kind_name[K_COUNT] = {
	"tls", "stun", "rtp", "dns", "http", "xmpp", "ssh", "rdp", "smb", "other",
};

/* Which flows of which trace are templates of what, and which side is the
 * server: the side whose port is in [lo, hi] (the destination of the
 * first packet is tried first). The first matching rule wins, so a STUN
 * flow between a 3478 and a 50000+ port is STUN, not media. */
typedef struct {
	const char *file;   /* basename; a trailing '*' matches a prefix */
	uint8_t proto;
	uint16_t lo, hi;
	tpl_kind kind;
} tpl_rule;

static const tpl_rule rules[] = {
	{"ndpi_443-chrome.pcap", P_TCP, 443, 443, K_TLS},
	{"ndpi_tls_alert.pcap", P_TCP, 443, 443, K_TLS},
	{"ndpi_teams.pcap", P_TCP, 443, 443, K_TLS},
	{"ndpi_http_ipv6.pcap", P_TCP, 443, 443, K_TLS},
	{"ndpi_stun.pcap", P_UDP, 3478, 3478, K_STUN},
	{"ndpi_teams.pcap", P_UDP, 3478, 3478, K_STUN},
	{"zeek_webrtc-stun.pcap", P_UDP, 43044, 43044, K_STUN},
	{"ndpi_rtp.pcapng", P_UDP, 50003, 50003, K_RTP},
	{"ndpi_sip.pcap", P_UDP, 30000, 30001, K_RTP},
	{"ndpi_teams.pcap", P_UDP, 50000, 50100, K_RTP},
	{"ndpi_dns.pcap", P_UDP, 53, 53, K_DNS},
	{"ndpi_teams.pcap", P_UDP, 53, 53, K_DNS},
	{"ndpi_http.pcapng", P_TCP, 80, 80, K_HTTP},
	{"ndpi_ocsp.pcapng", P_TCP, 80, 80, K_HTTP},
	{"ndpi_jabber.pcap", P_TCP, 5222, 5222, K_XMPP},
	{"zeek_xmpp-starttls.pcap", P_TCP, 5222, 5222, K_XMPP},
	{"zeek_xmpp-dialback-starttls.pcap", P_TCP, 5269, 5269, K_XMPP},
	{"ndpi_ssh.pcap", P_TCP, 22, 22, K_SSH},
	{"ndpi_rdp.pcap", P_TCP, 3389, 3389, K_RDP},
	{"ndpi_smbv1.pcap", P_TCP, 445, 445, K_SMB},
	{"zeek_smb2readwrite.pcap", P_TCP, 445, 445, K_SMB},
	{"ndpi_telnet.pcap", P_TCP, 23, 23, K_OTHER},
	{"ndpi_ftp_failed.pcap", P_TCP, 21, 21, K_OTHER},
	{"ndpi_bittorrent_utp.pcap", P_UDP, 40959, 40959, K_OTHER},
	/* The lab's Edge captures, by the service port the Edge answers on. */
	{"lab-*", P_TCP, 443, 443, K_TLS},
	{"lab-*", P_TCP, 4443, 4443, K_TLS},
	{"lab-*", P_TCP, 5061, 5061, K_TLS},
	{"lab-*", P_UDP, 3478, 3478, K_STUN},
	{"lab-*", P_UDP, 50000, 59999, K_RTP},
	{"lab-*", P_UDP, 53, 53, K_DNS},
	{"lab-*", P_TCP, 80, 80, K_HTTP},
	{"lab-*", P_TCP, 5269, 5269, K_XMPP},
};

typedef struct {
	uint32_t gap_us;   /* since the previous packet of the flow */
	uint32_t off;      /* payload bytes at arena[off .. off+len) */
	uint32_t len;
	uint8_t dir;       /* 0: client to server */
	uint8_t flags;     /* TCP flags as captured */
} tpl_pkt;

typedef struct {
	tpl_kind kind;
	uint8_t proto;
	bool opens;        /* starts with a bare SYN from the client */
	bool closes;       /* a FIN or RST was seen */
	uint32_t first, n; /* packets at pkts[first .. first+n) */
	unsigned file;     /* index into the template file list */
} tpl_flow;

typedef struct {
	tpl_pkt *pkts;
	uint32_t npkts, cap_pkts;
	tpl_flow *flows;
	uint32_t nflows, cap_flows;
	uint8_t *arena;
	uint32_t arena_len, arena_cap;
	uint32_t by_kind_n[K_COUNT];
	uint32_t *by_kind[K_COUNT];  /* flow indices of each kind */
} tpl_set;

/* One flow of the trace being read, while it is being read. */
typedef struct {
	ea_addr addr[2];   /* [0] client, [1] server */
	uint16_t port[2];
	uint8_t proto;
	int rule;          /* -1: not a template */
	uint64_t last_us;
	uint32_t flow;     /* index into tpl_set.flows when rule >= 0 */
} open_flow;

typedef struct {
	uint32_t open;     /* index into the open_flow table */
	tpl_pkt pkt;
} raw_pkt;

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t elem, uint32_t max)
{
	if (need <= *cap)
		return true;
	if (need > max)
		return false;
	uint64_t ncap = *cap ? (uint64_t)*cap * 2 : 1024;
	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	void *np = realloc(*p, (size_t)ncap * elem);
	if (!np)
		return false;
	*p = np;
	*cap = (uint32_t)ncap;
	return true;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool rule_file_matches(const char *pattern, const char *base)
{
	size_t n = strlen(pattern);
	if (n && pattern[n - 1] == '*')
		return strncmp(pattern, base, n - 1) == 0;
	return strcmp(pattern, base) == 0;
}

/* The rule a new flow falls under, and whether its sender is the client. */
static int find_rule(const char *base, const ea_packet *p, bool *sender_is_client)
{
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		const tpl_rule *r = &rules[i];
		if (r->proto != p->proto || !rule_file_matches(r->file, base))
			continue;
		if (p->dport >= r->lo && p->dport <= r->hi) {
			*sender_is_client = true;
			return (int)i;
		}
		if (p->sport >= r->lo && p->sport <= r->hi) {
			*sender_is_client = false;
			return (int)i;
		}
	}
	return -1;
}

static int find_open(const open_flow *of, uint32_t n, const ea_packet *p, uint8_t *dir)
{
	/* Traces are small (a few thousand packets): a backwards scan finds
	 * the recent flow first and is plenty fast. */
	for (uint32_t i = n; i-- > 0;) {
		const open_flow *f = &of[i];
		if (f->proto != p->proto)
			continue;
		for (uint8_t d = 0; d < 2; d++) {
			if (f->port[d] == p->sport && f->port[1 - d] == p->dport &&
			    memcmp(&f->addr[d], &p->src, sizeof p->src) == 0 &&
			    memcmp(&f->addr[1 - d], &p->dst, sizeof p->dst) == 0) {
				*dir = d;
				return (int)i;
			}
		}
	}
	return -1;
}

/* Reads one trace and appends its template flows to ts. Packets of a flow
 * are stored contiguously, in capture order. */
static ea_status load_trace(tpl_set *ts, const char *path, unsigned file_index,
			    char *errbuf, size_t errlen)
{
	const char *base = base_name(path);
	ea_source *src = NULL;
	open_flow *of = NULL;
	raw_pkt *raw = NULL;
	uint32_t nof = 0, cap_of = 0, nraw = 0, cap_raw = 0;
	uint32_t *count = NULL;
	ea_status st = ea_source_open_file(path, &src, errbuf, errlen);
	if (st != EA_OK)
		return st;

	ea_frame fr;
	ea_source_result r;
	while ((r = ea_source_next(src, &fr, errbuf, errlen)) == EA_SOURCE_FRAME) {
		ea_packet p;
		ea_anomaly note;
		if (ea_decode(&fr, &p, &note) != EA_DECODE_OK)
			continue;
		if ((p.proto != P_TCP && p.proto != P_UDP) || p.frag != EA_FRAG_NONE)
			continue;
		uint8_t dir = 0;
		int i = find_open(of, nof, &p, &dir);
		if (i < 0) {
			bool sender_is_client = true;
			if (!grow((void **)&of, &cap_of, nof + 1, sizeof *of, MAX_TEMPLATE_PACKETS)) {
				st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: too many flows", path);
				goto out;
			}
			open_flow *f = &of[nof];
			memset(f, 0, sizeof *f);
			f->proto = p.proto;
			f->rule = find_rule(base, &p, &sender_is_client);
			uint8_t c = sender_is_client ? 0 : 1;
			f->addr[c] = p.src;
			f->port[c] = p.sport;
			f->addr[1 - c] = p.dst;
			f->port[1 - c] = p.dport;
			f->last_us = p.ts_us;
			dir = c;
			i = (int)nof++;
		}
		open_flow *f = &of[i];
		if (f->rule < 0)
			continue;
		uint32_t len = p.payload_len > MAX_TEMPLATE_PAYLOAD ? MAX_TEMPLATE_PAYLOAD : p.payload_len;
		if (!grow((void **)&raw, &cap_raw, nraw + 1, sizeof *raw, MAX_TEMPLATE_PACKETS) ||
		    !grow((void **)&ts->arena, &ts->arena_cap, ts->arena_len + len, 1, MAX_ARENA_BYTES)) {
			st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: templates exceed the generator's limits", path);
			goto out;
		}
		uint64_t gap = p.ts_us > f->last_us ? p.ts_us - f->last_us : 0;
		f->last_us = p.ts_us > f->last_us ? p.ts_us : f->last_us;
		raw_pkt *rp = &raw[nraw++];
		rp->open = (uint32_t)i;
		rp->pkt.gap_us = gap > GAP_MAX_US ? GAP_MAX_US : (uint32_t)gap;
		rp->pkt.off = ts->arena_len;
		rp->pkt.len = len;
		rp->pkt.dir = dir;
		rp->pkt.flags = p.proto == P_TCP ? p.tcp_flags : 0;
		if (len)
			memcpy(ts->arena + ts->arena_len, p.payload, len);
		ts->arena_len += len;
	}
	if (r == EA_SOURCE_ERROR) {
		st = EA_ERR_FORMAT;
		goto out;
	}

	/* Group the packets by flow (a counting sort keeps capture order
	 * within each flow), then normalise each flow's TCP opening. */
	count = calloc((size_t)nof + 1, sizeof *count);
	if (!count) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
		goto out;
	}
	for (uint32_t k = 0; k < nraw; k++)
		count[raw[k].open]++;
	for (uint32_t k = 0; k < nof; k++) {
		if (of[k].rule < 0 || count[k] == 0)
			continue;
		if (!grow((void **)&ts->flows, &ts->cap_flows, ts->nflows + 1, sizeof *ts->flows,
			  MAX_TEMPLATE_PACKETS)) {
			st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: too many template flows", path);
			goto out;
		}
		of[k].flow = ts->nflows;
		tpl_flow *tf = &ts->flows[ts->nflows++];
		memset(tf, 0, sizeof *tf);
		tf->kind = rules[of[k].rule].kind;
		tf->proto = of[k].proto;
		tf->file = file_index;
		tf->first = ts->npkts;  /* filled below; n counts what is kept */
	}
	if (!grow((void **)&ts->pkts, &ts->cap_pkts, ts->npkts + nraw, sizeof *ts->pkts, MAX_TEMPLATE_PACKETS)) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: too many template packets", path);
		goto out;
	}
	/* Slot each flow's packets: flows are laid out in order of their
	 * first packet. */
	uint32_t pos = ts->npkts;
	for (uint32_t k = 0; k < nof; k++) {
		if (of[k].rule < 0 || count[k] == 0)
			continue;
		ts->flows[of[k].flow].first = pos;
		pos += count[k];
	}
	for (uint32_t k = 0; k < nraw; k++) {
		tpl_flow *tf = &ts->flows[of[raw[k].open].flow];
		ts->pkts[tf->first + tf->n++] = raw[k].pkt;
	}
	ts->npkts = pos;
	for (uint32_t k = 0; k < nof; k++) {
		if (of[k].rule < 0 || count[k] == 0)
			continue;
		tpl_flow *tf = &ts->flows[of[k].flow];
		if (tf->proto != P_TCP)
			continue;
		const tpl_pkt *p0 = &ts->pkts[tf->first];
		tf->opens = p0->dir == 0 && (p0->flags & (EA_TCP_SYN | EA_TCP_ACK)) == EA_TCP_SYN;
		/* A flow caught mid-handshake gets a whole synthetic one, so its
		 * own SYN-ACK would be a duplicate: drop SYN packets. */
		uint32_t kept = 0;
		for (uint32_t j = 0; j < tf->n; j++) {
			tpl_pkt q = ts->pkts[tf->first + j];
			if (!tf->opens && (q.flags & EA_TCP_SYN))
				continue;
			if (q.flags & (EA_TCP_FIN | EA_TCP_RST))
				tf->closes = true;
			ts->pkts[tf->first + kept++] = q;
		}
		tf->n = kept;
	}
	/* A flow left with no packets is kept out of the draw below. */
out:
	free(count);
	free(raw);
	free(of);
	ea_source_close(src);
	return st;
}

static ea_status index_templates(tpl_set *ts, char *errbuf, size_t errlen)
{
	for (uint32_t i = 0; i < ts->nflows; i++)
		if (ts->flows[i].n)
			ts->by_kind_n[ts->flows[i].kind]++;
	for (int k = 0; k < K_COUNT; k++) {
		if (!ts->by_kind_n[k])
			return ea_fail(EA_ERR_CONFIG, errbuf, errlen,
				       "no template flow of kind '%s' among the traces given", kind_name[k]);
		ts->by_kind[k] = malloc(ts->by_kind_n[k] * sizeof *ts->by_kind[k]);
		if (!ts->by_kind[k])
			return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
		ts->by_kind_n[k] = 0;
	}
	for (uint32_t i = 0; i < ts->nflows; i++)
		if (ts->flows[i].n)
			ts->by_kind[ts->flows[i].kind][ts->by_kind_n[ts->flows[i].kind]++] = i;
	return EA_OK;
}

static void tpl_set_free(tpl_set *ts)
{
	for (int k = 0; k < K_COUNT; k++)
		free(ts->by_kind[k]);
	free(ts->pkts);
	free(ts->flows);
	free(ts->arena);
}

/* ---- the Edge-like mix ----------------------------------------------- */

/* Who is who on the Edge's external side (the lab's addresses). */
enum { EDGE_ACCESS, EDGE_WEBCONF, EDGE_AV, EDGE_COUNT };
static const uint8_t edge_v4[EDGE_COUNT][4] = {{10, 0, 1, 10}, {10, 0, 1, 11}, {10, 0, 1, 12}};
static const uint8_t edge_mac[6] = {0x00, 0x15, 0x5d, 0x01, 0x0a, 0x0a};
static const uint8_t gw_mac[6] = {0x00, 0x1c, 0x7f, 0x00, 0x00, 0x01};

typedef enum {
	PEER_CLIENT,    /* remote users: 198.51.100/24, 203.0.113/24, anywhere */
	PEER_PARTNER,   /* federated SIP/XMPP servers */
	PEER_RESOLVER,  /* DNS servers the Edge asks */
	PEER_WEB,       /* CRL/OCSP and other web servers the Edge fetches from */
} peer_kind;

typedef enum {
	EDGE_SERVES,    /* the remote peer connects to the Edge */
	EDGE_ASKS,      /* the Edge connects out */
	EDGE_EITHER,    /* federation: half one way, half the other */
} initiator;

typedef struct {
	const char *name;
	tpl_kind kind;
	unsigned weight;        /* share of flows, per mille (they sum to 1000) */
	int edge;               /* EDGE_*, or -1: any of the three */
	peer_kind peer;
	initiator who;
	uint16_t port_lo, port_hi;  /* the server's port; 0: keep none, pick a high one */
} mix_entry;

static const mix_entry mix[] = {
	{"tls-443", K_TLS, 300, -1, PEER_CLIENT, EDGE_SERVES, 443, 443},
	{"tls-5061", K_TLS, 60, EDGE_ACCESS, PEER_PARTNER, EDGE_EITHER, 5061, 5061},
	{"stun-3478", K_STUN, 200, EDGE_AV, PEER_CLIENT, EDGE_SERVES, 3478, 3478},
	{"rtp-50000-59999", K_RTP, 10, EDGE_AV, PEER_CLIENT, EDGE_SERVES, 50000, 59999},
	{"dns-53", K_DNS, 250, -1, PEER_RESOLVER, EDGE_ASKS, 53, 53},
	{"http-80", K_HTTP, 45, -1, PEER_WEB, EDGE_ASKS, 80, 80},
	{"xmpp-5269", K_XMPP, 15, EDGE_ACCESS, PEER_PARTNER, EDGE_EITHER, 5269, 5269},
	{"ssh-22", K_SSH, 3, -1, PEER_CLIENT, EDGE_SERVES, 22, 22},
	{"rdp-3389", K_RDP, 15, -1, PEER_CLIENT, EDGE_SERVES, 3389, 3389},
	{"smb-445", K_SMB, 15, -1, PEER_CLIENT, EDGE_SERVES, 445, 445},
	{"other-high", K_OTHER, 87, -1, PEER_CLIENT, EDGE_SERVES, 0, 0},
};
#define MIX_N (sizeof mix / sizeof mix[0])

/* Ports a "random high port" must avoid: Lync's own services. */
static bool port_is_lync(uint16_t p)
{
	return p == 3478 || p == 4443 || p == 5061 || p == 5062 || p == 5269 || p == 8057 ||
	       p == 8080 || p == 8443 || (p >= 50000 && p <= 59999);
}

/* A synthesized flow while it is being written. */
typedef struct {
	uint64_t next_us;
	uint32_t tpl;              /* index into tpl_set.flows */
	uint32_t step, nsteps;     /* handshake (pre), body, keepalives (hold), teardown (post) */
	uint32_t body, hold;
	uint32_t ka;               /* template packet repeated as the keepalive */
	uint32_t seg_off;          /* bytes of the current payload already sent */
	uint32_t rtt_us, ptime_us;
	uint32_t seq[2];
	uint32_t rtp_ts[2], rtp_ssrc[2];
	uint16_t rtp_seq[2];
	uint16_t ipid[2];
	uint16_t port[2];          /* [0] client, [1] server */
	uint8_t addr[2][16];       /* network order; IPv4 in the first 4 bytes */
	uint8_t pre, post;
	uint8_t proto, v6;
	uint8_t edge_side;         /* 0: the Edge is the client, 1: the server */
	uint8_t ttl[2];
	uint8_t mix;
	bool started;
} inst;

typedef struct {
	rng r;
	uint16_t next_eph[EDGE_COUNT];  /* the Edge's next ephemeral port */
} synth_ctx;

static void pick_v4_client(rng *r, uint8_t out[4])
{
	uint32_t pick = rng_below(r, 10);
	if (pick < 6) {
		static const uint8_t nets[2][3] = {{198, 51, 100}, {203, 0, 113}};
		memcpy(out, nets[pick & 1], 3);
		/* the lab's NAT maps the Edge to 203.0.113.10-12: stay clear */
		out[3] = (uint8_t)rng_range(r, 20, 254);
		return;
	}
	/* Anywhere on the public Internet: skip private, loopback, CGNAT,
	 * link-local, benchmarking and multicast space. */
	for (;;) {
		uint32_t a = (uint32_t)rng_next(r);
		out[0] = (uint8_t)(a >> 24);
		out[1] = (uint8_t)(a >> 16);
		out[2] = (uint8_t)(a >> 8);
		out[3] = (uint8_t)a;
		if (out[0] == 0 || out[0] == 10 || out[0] == 127 || out[0] >= 224)
			continue;
		if ((out[0] == 100 && (out[1] & 0xc0) == 64) || (out[0] == 169 && out[1] == 254) ||
		    (out[0] == 172 && (out[1] & 0xf0) == 16) || (out[0] == 192 && out[1] == 168) ||
		    (out[0] == 198 && (out[1] & 0xfe) == 18))
			continue;
		if (out[3] == 0 || out[3] == 255)
			continue;
		return;
	}
}

static void pick_peer(rng *r, peer_kind k, bool v6, uint8_t out[16])
{
	memset(out, 0, 16);
	if (v6) {
		/* 2001:db8::/32, the documentation prefix; a /48 per peer kind */
		out[0] = 0x20, out[1] = 0x01, out[2] = 0x0d, out[3] = 0xb8;
		out[4] = 0x80;
		out[5] = (uint8_t)k;
		if (k == PEER_CLIENT) {
			for (int i = 6; i < 16; i++)
				out[i] = (uint8_t)rng_next(r);
		} else {
			out[15] = (uint8_t)rng_range(r, 1, k == PEER_RESOLVER ? 2 : 100);
		}
		return;
	}
	switch (k) {
	case PEER_CLIENT: pick_v4_client(r, out); return;
	case PEER_PARTNER: out[0] = 192, out[1] = 0, out[2] = 2, out[3] = (uint8_t)rng_range(r, 100, 199); return;
	case PEER_RESOLVER: out[0] = 192, out[1] = 0, out[2] = 2, out[3] = (uint8_t)rng_range(r, 53, 54); return;
	case PEER_WEB: out[0] = 192, out[1] = 0, out[2] = 2, out[3] = (uint8_t)rng_range(r, 80, 95); return;
	}
}

static void edge_addr(int e, bool v6, uint8_t out[16])
{
	memset(out, 0, 16);
	if (v6) {
		/* 2001:db8:e::10, ::11, ::12 */
		out[0] = 0x20, out[1] = 0x01, out[2] = 0x0d, out[3] = 0xb8, out[5] = 0x0e;
		out[15] = edge_v4[e][3];
		return;
	}
	memcpy(out, edge_v4[e], 4);
}

static uint32_t segs_of(uint32_t len, uint32_t mss)
{
	return len <= mss ? 1 : (len + mss - 1) / mss;
}

/* Sets up instance `in` of mix entry m; returns the frames it will write. */
static uint64_t inst_init(synth_ctx *sc, const tpl_set *ts, inst *in, unsigned m)
{
	rng *r = &sc->r;
	const mix_entry *me = &mix[m];
	memset(in, 0, sizeof *in);
	in->mix = (uint8_t)m;
	in->tpl = ts->by_kind[me->kind][rng_below(r, ts->by_kind_n[me->kind])];
	const tpl_flow *tf = &ts->flows[in->tpl];
	in->proto = tf->proto;
	in->v6 = rng_below(r, 100) < 5;
	int e = me->edge >= 0 ? me->edge : (int)rng_below(r, EDGE_COUNT);
	if (me->kind == K_TLS && me->edge < 0)
		e = rng_below(r, 4) < 2 ? EDGE_ACCESS : (int)rng_range(r, EDGE_WEBCONF, EDGE_AV);
	bool edge_client = me->who == EDGE_ASKS || (me->who == EDGE_EITHER && rng_below(r, 2));
	in->edge_side = edge_client ? 0 : 1;
	uint8_t *ea = in->addr[in->edge_side], *pa = in->addr[1 - in->edge_side];
	edge_addr(e, in->v6, ea);
	pick_peer(r, me->peer, in->v6, pa);

	uint16_t sport;
	if (me->port_lo) {
		sport = (uint16_t)rng_range(r, me->port_lo, me->port_hi);
	} else {
		do
			sport = (uint16_t)rng_range(r, 1024, 49151);
		while (port_is_lync(sport));
	}
	uint16_t cport;
	if (edge_client) {
		/* Windows hands out ephemeral ports in sequence from 49152 */
		cport = sc->next_eph[e];
		sc->next_eph[e] = cport >= 65535 - 7 ? 49152 : (uint16_t)(cport + 1 + rng_below(r, 7));
	} else {
		cport = (uint16_t)rng_range(r, 1024, 65535);
	}
	in->port[0] = cport;
	in->port[1] = sport;
	in->ttl[in->edge_side] = 128;
	in->ttl[1 - in->edge_side] = (uint8_t)rng_range(r, 44, 120);
	in->rtt_us = rng_range(r, 8000, 120000);
	in->seq[0] = (uint32_t)rng_next(r);
	in->seq[1] = (uint32_t)rng_next(r);
	in->ipid[0] = (uint16_t)rng_next(r);
	in->ipid[1] = (uint16_t)rng_next(r);

	uint64_t frames = 0;
	if (me->kind == K_RTP) {
		/* A call's media: hundreds of packets, the template looped. */
		in->body = rng_range(r, 250, 1500);
		bool both = false;
		for (uint32_t j = 0; j < tf->n; j++)
			both |= ts->pkts[tf->first + j].dir != ts->pkts[tf->first].dir;
		in->ptime_us = both ? RTP_PTIME_US / 2 : RTP_PTIME_US;
		for (int d = 0; d < 2; d++) {
			in->rtp_seq[d] = (uint16_t)rng_next(r);
			in->rtp_ts[d] = (uint32_t)rng_next(r);
			in->rtp_ssrc[d] = (uint32_t)rng_next(r);
		}
		frames = in->body;
	} else {
		in->body = tf->n;
		uint32_t mss = in->v6 ? TCP_MSS_V6 : TCP_MSS_V4;
		for (uint32_t j = 0; j < tf->n; j++)
			frames += tf->proto == P_TCP ? segs_of(ts->pkts[tf->first + j].len, mss) : 1;
	}
	if (tf->proto == P_TCP) {
		in->pre = tf->opens ? 0 : 3;
		/* Most connections end cleanly; some stay open until the idle
		 * timeout, as a registered client's would. */
		in->post = tf->closes || rng_below(r, 100) < 15 ? 0 : 3;
	}
	if (me->kind == K_TLS && !tf->closes && rng_below(r, 2)) {
		/* A signed-in client holds its TLS connection for minutes and
		 * sends a keepalive record now and then: its last record of
		 * the template, answered by an ACK. */
		uint32_t mss = in->v6 ? TCP_MSS_V6 : TCP_MSS_V4;
		for (uint32_t j = tf->n; j-- > 0;) {
			const tpl_pkt *q = &ts->pkts[tf->first + j];
			if (q->dir == 0 && q->len && q->len <= mss) {
				in->ka = j;
				in->hold = 2 * rng_range(r, 2, 10);
				break;
			}
		}
	}
	in->nsteps = in->pre + in->body + in->hold + in->post;
	return frames + in->pre + in->hold + in->post;
}

/* ---- frame writing --------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

typedef struct {
	FILE *f;
	const char *path;
	uint64_t frames, bytes;
} pcap_out;

static ea_status pcap_open(pcap_out *o, const char *path, char *errbuf, size_t errlen)
{
	uint8_t h[24] = {0};
	o->path = path;
	o->f = fopen(path, "wb");
	if (!o->f)
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: %s", path, strerror(errno));
	le32(h, 0xa1b2c3d4);  /* microsecond timestamps */
	h[4] = 2;             /* version 2.4 */
	h[6] = 4;
	le32(h + 16, 65535);  /* snaplen */
	le32(h + 20, 1);      /* LINKTYPE_ETHERNET */
	if (fwrite(h, 1, sizeof h, o->f) != sizeof h)
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: %s", path, strerror(errno));
	return EA_OK;
}

static bool pcap_write(pcap_out *o, uint64_t ts_us, const uint8_t *frame, uint32_t len)
{
	uint8_t h[16];
	le32(h, (uint32_t)(ts_us / 1000000));
	le32(h + 4, (uint32_t)(ts_us % 1000000));
	le32(h + 8, len);
	le32(h + 12, len);
	o->frames++;
	o->bytes += len;
	return fwrite(h, 1, sizeof h, o->f) == sizeof h && fwrite(frame, 1, len, o->f) == len;
}

/* Builds one Ethernet frame of instance `in` sending from direction dir
 * into buf (FRAME_MAX bytes) and returns its length. */
static uint32_t build_frame(inst *in, uint8_t dir, uint8_t flags, const uint8_t *pl, uint32_t plen,
			    uint8_t *buf)
{
	const uint8_t *sa = in->addr[dir], *da = in->addr[1 - dir];
	uint16_t sp = in->port[dir], dp = in->port[1 - dir];
	bool syn = flags & EA_TCP_SYN;
	uint32_t l3h = in->v6 ? 40 : 20;
	uint32_t l4h = in->proto == P_TCP ? (syn ? 24 : 20) : 8;
	/* Callers cut payloads to the MSS; a SYN's option can still push one
	 * over the MTU, and then the payload's tail is dropped. */
	if (14 + l3h + l4h + plen > FRAME_MAX)
		plen = FRAME_MAX - 14 - l3h - l4h;
	uint32_t l4len = l4h + plen;

	uint8_t *eth = buf, *ip = buf + 14, *l4 = ip + l3h;
	bool from_edge = dir == in->edge_side;
	memcpy(eth, from_edge ? gw_mac : edge_mac, 6);
	memcpy(eth + 6, from_edge ? edge_mac : gw_mac, 6);
	put16(eth + 12, in->v6 ? 0x86dd : 0x0800);

	uint32_t pseudo = 0;
	if (in->v6) {
		put32(ip, 0x60000000u);
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = in->proto;
		ip[7] = in->ttl[dir] > 64 ? 64 : in->ttl[dir];
		memcpy(ip + 8, sa, 16);
		memcpy(ip + 24, da, 16);
		pseudo = sum16(sum16(0, sa, 16), da, 16);
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 4, in->ipid[dir]++);
		put16(ip + 6, in->proto == P_TCP ? 0x4000 : 0);  /* DF on TCP */
		ip[8] = in->ttl[dir];
		ip[9] = in->proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, sa, 4);
		memcpy(ip + 16, da, 4);
		put16(ip + 10, fold(sum16(0, ip, 20)));
		pseudo = sum16(sum16(0, sa, 4), da, 4);
	}
	pseudo += in->proto + l4len;

	put16(l4, sp);
	put16(l4 + 2, dp);
	if (in->proto == P_TCP) {
		put32(l4 + 4, in->seq[dir]);
		put32(l4 + 8, flags & EA_TCP_ACK ? in->seq[1 - dir] : 0);
		l4[12] = (uint8_t)((l4h / 4) << 4);
		l4[13] = flags;
		put16(l4 + 14, 64240);
		put16(l4 + 16, 0);
		put16(l4 + 18, 0);
		if (syn) {
			l4[20] = 2, l4[21] = 4;  /* MSS option */
			put16(l4 + 22, in->v6 ? TCP_MSS_V6 : TCP_MSS_V4);
		}
		in->seq[dir] += plen + (syn ? 1 : 0) + (flags & EA_TCP_FIN ? 1 : 0);
	} else {
		put16(l4 + 4, (uint16_t)l4len);
		put16(l4 + 6, 0);
	}
	if (plen)
		memcpy(l4 + l4h, pl, plen);
	uint16_t ck = fold(sum16(pseudo, l4, l4len));
	if (in->proto == P_UDP && ck == 0)
		ck = 0xffff;  /* RFC 768: zero means "no checksum" */
	put16(l4 + (in->proto == P_TCP ? 16 : 6), ck);
	return 14 + l3h + l4len;
}

/* RTP (RFC 3550) keeps moving in a looped template: sequence number,
 * timestamp and SSRC are rewritten per direction, the rest is real. */
static void patch_rtp(inst *in, uint8_t dir, uint8_t *pl, uint32_t len)
{
	if (len < 12 || (pl[0] & 0xc0) != 0x80)
		return;
	uint8_t pt = pl[1] & 0x7f;
	if (pt >= 72 && pt <= 76)
		return;  /* RTCP shares the version bits */
	put16(pl + 2, in->rtp_seq[dir]++);
	in->rtp_ts[dir] += 160;
	put32(pl + 4, in->rtp_ts[dir]);
	put32(pl + 8, in->rtp_ssrc[dir]);
}

/* Writes the instance's next frame and schedules the one after it.
 * Returns false when it has no more frames. */
static bool inst_emit(inst *in, const tpl_set *ts, rng *r, pcap_out *o, uint8_t *buf, uint8_t *scratch,
		      bool *io_ok)
{
	const tpl_flow *tf = &ts->flows[in->tpl];
	uint32_t s = in->step;
	uint8_t dir, flags = 0;
	const uint8_t *pl = NULL;
	uint32_t plen = 0;
	uint64_t gap;
	bool advance = true;

	if (s < in->pre) {
		static const uint8_t hs[3] = {EA_TCP_SYN, EA_TCP_SYN | EA_TCP_ACK, EA_TCP_ACK};
		dir = s == 1;
		flags = hs[s];
		/* Seen at the Edge: its own answers leave at once, the peer's
		 * arrive a round trip later. */
		gap = (s == 0) == (in->edge_side == 0) ? in->rtt_us : 60;
	} else if (s < in->pre + in->body) {
		uint32_t b = s - in->pre;
		const tpl_pkt *tp = &ts->pkts[tf->first + b % tf->n];
		dir = tp->dir;
		flags = tp->flags;
		pl = ts->arena + tp->off;
		plen = tp->len;
		if (tf->proto == P_TCP) {
			uint32_t mss = in->v6 ? TCP_MSS_V6 : TCP_MSS_V4;
			uint32_t left = plen - in->seg_off;
			pl += in->seg_off;
			if (left > mss) {
				/* a TSO-sized capture is put on the wire as MSS segments */
				plen = mss;
				flags &= (uint8_t)~(EA_TCP_PSH | EA_TCP_FIN);
				in->seg_off += mss;
				advance = false;
			} else {
				plen = left;
				in->seg_off = 0;
			}
		} else {
			uint32_t max = in->v6 ? UDP_MAX_V6 : UDP_MAX_V4;
			plen = plen > max ? max : plen;
		}
		if (tf->kind == K_RTP && tf->proto == P_UDP) {
			memcpy(scratch, pl, plen);
			patch_rtp(in, dir, scratch, plen);
			pl = scratch;
			gap = in->ptime_us - 1000 + rng_below(r, 2001);
		} else if (!advance || in->seg_off) {
			gap = GAP_MIN_US;
		} else {
			/* the template's own pause before the next packet */
			uint32_t nb = b + 1;
			gap = nb < in->body ? ts->pkts[tf->first + nb % tf->n].gap_us
			      : in->hold ? KEEPALIVE_US - 3000000 + rng_below(r, 6000001)
					 : in->rtt_us;
		}
	} else if (s < in->pre + in->body + in->hold) {
		uint32_t k = s - in->pre - in->body;
		dir = k & 1;
		flags = k & 1 ? EA_TCP_ACK : EA_TCP_ACK | EA_TCP_PSH;
		if (!(k & 1)) {
			const tpl_pkt *tp = &ts->pkts[tf->first + in->ka];
			pl = ts->arena + tp->off;
			plen = tp->len;
			gap = in->rtt_us;
		} else {
			gap = k + 1 < in->hold ? KEEPALIVE_US - 3000000 + rng_below(r, 6000001) : in->rtt_us;
		}
	} else {
		static const uint8_t td[3] = {EA_TCP_FIN | EA_TCP_ACK, EA_TCP_FIN | EA_TCP_ACK, EA_TCP_ACK};
		uint32_t k = s - in->pre - in->body - in->hold;
		dir = k == 1;
		flags = td[k];
		gap = in->rtt_us / 2 + 50;
	}
	uint32_t len = build_frame(in, dir, flags, pl, plen, buf);
	if (!pcap_write(o, in->next_us, buf, len))
		*io_ok = false;
	if (advance)
		in->step++;
	in->next_us += gap < GAP_MIN_US ? GAP_MIN_US : gap;
	return in->step < in->nsteps;
}

/* ---- scheduling ------------------------------------------------------ */

/* A binary min-heap of instance indices ordered by (next_us, index): ties
 * broken by index so the output never depends on heap history. */
typedef struct {
	uint32_t *h;
	uint32_t n;
	const inst *in;
} heap;

static bool heap_less(const heap *hp, uint32_t a, uint32_t b)
{
	const inst *x = &hp->in[a], *y = &hp->in[b];
	return x->next_us != y->next_us ? x->next_us < y->next_us : a < b;
}

static void heap_push(heap *hp, uint32_t v)
{
	uint32_t i = hp->n++;
	hp->h[i] = v;
	while (i && heap_less(hp, hp->h[i], hp->h[(i - 1) / 2])) {
		uint32_t p = (i - 1) / 2, t = hp->h[p];
		hp->h[p] = hp->h[i];
		hp->h[i] = t;
		i = p;
	}
}

static uint32_t heap_pop(heap *hp)
{
	uint32_t top = hp->h[0];
	hp->h[0] = hp->h[--hp->n];
	uint32_t i = 0;
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < hp->n && heap_less(hp, hp->h[l], hp->h[m]))
			m = l;
		if (r < hp->n && heap_less(hp, hp->h[r], hp->h[m]))
			m = r;
		if (m == i)
			break;
		uint32_t t = hp->h[m];
		hp->h[m] = hp->h[i];
		hp->h[i] = t;
		i = m;
	}
	return top;
}

/* ---- main ------------------------------------------------------------ */

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static const char usage[] =
	"usage: gencorpus [-s SEED] [-n PACKETS] [-d SECONDS] -o OUT.pcap TEMPLATE...\n"
	"  -s SEED      random seed (default 1)\n"
	"  -n PACKETS   packets to write, at least (default 1000000)\n"
	"  -d SECONDS   span over which flows start (default 600)\n"
	"  -o FILE      the corpus, a classic pcap (Ethernet)\n"
	"Templates are real captures; the flows of known services in them are\n"
	"replayed onto the Edge's addresses. Figures are printed as key=value.\n";

int main(int argc, char **argv)
{
	uint64_t seed = 1, target = 1000000, span_s = 600;
	const char *out_path = NULL;
	char errbuf[1024] = "";
	tpl_set ts = {0};
	inst *insts = NULL;
	heap hp = {0};
	pcap_out po = {0};
	uint8_t *buf = NULL, *scratch = NULL;
	int rc = 1;
	int opt;

	while ((opt = getopt(argc, argv, "s:n:d:o:h")) != -1) {
		switch (opt) {
		case 's':
			if (!parse_u64(optarg, UINT64_MAX, &seed)) {
				fputs("gencorpus: -s takes a number\n", stderr);
				return 2;
			}
			break;
		case 'n':
			if (!parse_u64(optarg, MAX_PACKETS, &target) || target == 0) {
				fprintf(stderr, "gencorpus: -n takes 1 to %llu\n", (unsigned long long)MAX_PACKETS);
				return 2;
			}
			break;
		case 'd':
			if (!parse_u64(optarg, 86400, &span_s) || span_s == 0) {
				fputs("gencorpus: -d takes 1 to 86400 seconds\n", stderr);
				return 2;
			}
			break;
		case 'o': out_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!out_path || optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}

	ea_status st = EA_OK;
	for (int i = optind; i < argc && st == EA_OK; i++)
		st = load_trace(&ts, argv[i], (unsigned)(i - optind), errbuf, sizeof errbuf);
	if (st == EA_OK)
		st = index_templates(&ts, errbuf, sizeof errbuf);
	if (st != EA_OK) {
		fprintf(stderr, "gencorpus: %s\n", errbuf);
		goto out;
	}

	/* Draw flows until the packet budget is met. */
	synth_ctx sc = {.r = {seed}};
	for (int e = 0; e < EDGE_COUNT; e++)
		sc.next_eph[e] = (uint16_t)rng_range(&sc.r, 49152, 65535 - 8);
	uint32_t ninst = 0, cap_inst = 0;
	uint64_t frames = 0, by_mix[MIX_N] = {0}, frames_by_mix[MIX_N] = {0}, v6_flows = 0;
	unsigned wsum = 0;
	for (size_t m = 0; m < MIX_N; m++)
		wsum += mix[m].weight;
	while (frames < target) {
		if (!grow((void **)&insts, &cap_inst, ninst + 1, sizeof *insts, UINT32_MAX / 2)) {
			fputs("gencorpus: out of memory\n", stderr);
			goto out;
		}
		unsigned w = rng_below(&sc.r, wsum), m = 0;
		while (w >= mix[m].weight)
			w -= mix[m++].weight;
		uint64_t f = inst_init(&sc, &ts, &insts[ninst], m);
		by_mix[m]++;
		frames_by_mix[m] += f;
		v6_flows += insts[ninst].v6;
		frames += f;
		ninst++;
	}
	/* Flows start evenly over the span, each jittered inside its slot. */
	uint64_t span_us = span_s * 1000000ull, slot = span_us / ninst ? span_us / ninst : 1;
	for (uint32_t i = 0; i < ninst; i++)
		insts[i].next_us = (uint64_t)EPOCH_SEC * 1000000ull + i * slot + rng_below(&sc.r, (uint32_t)slot);

	hp.h = malloc((size_t)ninst * sizeof *hp.h);
	buf = malloc(FRAME_MAX);
	scratch = malloc(MAX_TEMPLATE_PAYLOAD);
	if (!hp.h || !buf || !scratch) {
		fputs("gencorpus: out of memory\n", stderr);
		goto out;
	}
	hp.in = insts;
	for (uint32_t i = 0; i < ninst; i++)
		heap_push(&hp, i);
	if ((st = pcap_open(&po, out_path, errbuf, sizeof errbuf)) != EA_OK) {
		fprintf(stderr, "gencorpus: %s\n", errbuf);
		goto out;
	}
	bool io_ok = true;
	uint32_t active = 0, peak_active = 0;
	uint64_t first_us = 0, last_us = 0;
	while (hp.n && io_ok) {
		uint32_t i = heap_pop(&hp);
		inst *in = &insts[i];
		if (!in->started) {
			in->started = true;
			if (++active > peak_active)
				peak_active = active;
		}
		if (!first_us)
			first_us = in->next_us;
		last_us = in->next_us;
		if (inst_emit(in, &ts, &sc.r, &po, buf, scratch, &io_ok))
			heap_push(&hp, i);
		else
			active--;
	}
	if (!io_ok || fclose(po.f) != 0) {
		po.f = NULL;
		fprintf(stderr, "gencorpus: %s: write failed: %s\n", out_path, strerror(errno));
		goto out;
	}
	po.f = NULL;

	printf("packets=%llu\n", (unsigned long long)po.frames);
	printf("flows=%u\n", ninst);
	printf("ipv6_flows=%llu\n", (unsigned long long)v6_flows);
	printf("bytes=%llu\n", (unsigned long long)po.bytes);
	printf("duration_s=%.1f\n", (double)(last_us - first_us) / 1e6);
	printf("peak_active_flows=%u\n", peak_active);
	printf("template_flows=%u\n", ts.nflows);
	for (int k = 0; k < K_COUNT; k++)
		printf("templates_%s=%u\n", kind_name[k], ts.by_kind_n[k]);
	for (size_t m = 0; m < MIX_N; m++)
		printf("mix_%s=%llu flows %llu packets\n", mix[m].name, (unsigned long long)by_mix[m],
		       (unsigned long long)frames_by_mix[m]);
	rc = 0;
out:
	if (po.f)
		fclose(po.f);
	free(buf);
	free(scratch);
	free(hp.h);
	free(insts);
	tpl_set_free(&ts);
	return rc;
}
