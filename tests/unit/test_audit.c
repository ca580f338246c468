/* test_audit.c — the whole pipeline in-process on real captures: every
 * capture in ../shared/pcaps/external is read without a crash, its frame
 * count agrees with capinfos (EXPECTED-ndpi42.md), and classification,
 * direction and verdicts come out as the traffic says. */
#include "testutil.h"
#include "labconfig.h"

#include <dirent.h>
#include <sqlite3.h>
#include <unistd.h>

#include "engine/audit.h"
#include "engine/classify.h"
#include "util/filehash.h"
#include "store/store.h"

typedef struct {
	unsigned n;
	ea_flow_record recs[4096];
	ea_match_result results[64];
} collected;

static void collect(void *ctx, const ea_flow_record *rec, const ea_match_result *mr)
{
	collected *c = ctx;
	if (c->n < 64)
		c->results[c->n] = *mr;
	if (c->n < 4096)
		c->recs[c->n] = *rec;
	c->n++;
}

/* Runs one capture through the pipeline; returns the read status. */
static ea_status audit_file(fixture *fx, const char *path, ea_iface iface, collected *out,
			    ea_input_info *info, ea_audit_totals *totals)
{
	char err[1024];
	ea_audit *a = NULL;
	ea_source *src = NULL;
	ea_audit_config cfg = {
		.ruleset = fx->ruleset,
		.max_flows = 10000, .on_flow = collect, .hook_ctx = out,
	};
	memset(info, 0, sizeof *info);
	assert_int_equal(ea_audit_new(&cfg, &a, err, sizeof err), EA_OK);
	ea_status st = ea_source_open_file(path, &src, err, sizeof err);
	if (st == EA_OK) {
		st = ea_audit_read(a, src, iface, info, err, sizeof err);
		ea_source_close(src);
	}
	assert_int_equal(ea_audit_finish(a, err, sizeof err), EA_OK);
	*totals = *ea_audit_get_totals(a);
	ea_audit_free(a);
	return st;
}

/* capinfos' packet count for a file, from EXPECTED-ndpi42.md; -1 if none. */
static long expected_packets(const char *name)
{
	FILE *f = fopen(EA_SHARED_PCAPS "/EXPECTED-ndpi42.md", "r");
	char line[2048], head[512];
	long n = -1;
	bool in_section = false;
	assert_non_null(f);
	snprintf(head, sizeof head, "### %s", name);
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "### ", 4)) {
			line[strcspn(line, "\n")] = '\0';
			in_section = strcmp(line, head) == 0;
			continue;
		}
		const char *p;
		if (in_section && !strncmp(line, "- capinfos:", 11) && (p = strstr(line, "packets=")) &&
		    p[8] >= '0' && p[8] <= '9') {
			n = strtol(p + 8, NULL, 10);
			break;
		}
	}
	fclose(f);
	return n;
}

static void every_shared_capture_reads_cleanly(void **state)
{
	fixture *fx = *state;
	DIR *d = opendir(EA_SHARED_PCAPS);
	assert_non_null(d);
	struct dirent *e;
	unsigned files = 0, compared = 0;
	collected *c = calloc(1, sizeof *c);
	assert_non_null(c);
	while ((e = readdir(d))) {
		const char *dot = strrchr(e->d_name, '.');
		if (!dot || (strcmp(dot, ".pcap") && strcmp(dot, ".pcapng")))
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", EA_SHARED_PCAPS, e->d_name);
		ea_input_info info;
		ea_audit_totals t;
		c->n = 0;
		ea_status st = audit_file(fx, path, EA_IFACE_EXTERNAL, c, &info, &t);
		files++;
		/* Each frame is either decoded (alone, or as a fragment of a
		 * rebuilt datagram), a SPAN duplicate of one just before, or
		 * counted under one named reason. */
		uint64_t anomalies = 0;
		for (int i = 0; i < EA_ANOMALY_COUNT; i++)
			/* Events: noted beside the frame's own fate. */
			if (!ea_anomaly_is_event((ea_anomaly)i))
				anomalies += t.anomalies[i];
		assert_int_equal(t.decoded + anomalies + t.duplicates[EA_IFACE_EXTERNAL], t.packets);
		assert_int_equal(info.duplicates, t.duplicates[EA_IFACE_EXTERNAL]);
		assert_int_equal(t.duplicates[EA_IFACE_INTERNAL], 0);
		assert_int_equal(t.flows, c->n);
		long want = expected_packets(e->d_name);
		if (st == EA_OK && want >= 0) {
			if ((long)info.packets != want)
				fail_msg("%s: read %llu frames, capinfos counts %ld", e->d_name,
					 (unsigned long long)info.packets, want);
			compared++;
		}
	}
	closedir(d);
	free(c);
	assert_true(files >= 60);
	assert_true(compared >= 50);
}

static const ea_flow_record *find_proto(const collected *c, const char *proto)
{
	for (unsigned i = 0; i < c->n && i < 4096; i++)
		if (!strcmp(c->recs[i].app_proto, proto) || !strcmp(c->recs[i].master_proto, proto))
			return &c->recs[i];
	return NULL;
}

static void dpi_names_and_server_names(void **state)
{
	fixture *fx = *state;
	collected *c = calloc(1, sizeof *c);
	ea_input_info info;
	ea_audit_totals t;
	assert_int_equal(audit_file(fx, EA_SHARED_PCAPS "/ndpi_ssh.pcap", EA_IFACE_EXTERNAL, c, &info, &t), EA_OK);
	const ea_flow_record *r = find_proto(c, "SSH");
	assert_non_null(r);
	assert_int_equal(r->proto_source, EA_PROTO_SRC_DPI);
	assert_int_equal(r->resp_port, 22);
	assert_int_equal(r->handshake, EA_HS_ESTABLISHED);
	/* Nothing documents SSH towards anyone. */
	assert_int_equal(t.verdicts[EA_VERDICT_DOCUMENTED], 0);

	c->n = 0;
	assert_int_equal(audit_file(fx, EA_SHARED_PCAPS "/ndpi_http.pcapng", EA_IFACE_EXTERNAL, c, &info, &t), EA_OK);
	r = find_proto(c, "HTTP");
	assert_non_null(r);
	assert_int_equal(r->proto_source, EA_PROTO_SRC_DPI);
	assert_true(r->server_name[0] != '\0');
	assert_int_equal(strncmp(r->community_id, "1:", 2), 0);

	c->n = 0;
	assert_int_equal(audit_file(fx, EA_SHARED_PCAPS "/ndpi_dns.pcap", EA_IFACE_EXTERNAL, c, &info, &t), EA_OK);
	assert_true(c->n >= 1);
	assert_int_equal(c->recs[0].resp_port, 53);
	assert_true(c->recs[0].server_name[0] != '\0');
	free(c);
}

static void erspan_inner_traffic_is_audited(void **state)
{
	fixture *fx = *state;
	collected *c = calloc(1, sizeof *c);
	ea_input_info info;
	ea_audit_totals t;
	const char *files[] = {EA_SHARED_PCAPS "/zeek_erspanII.pcap", EA_SHARED_PCAPS "/zeek_erspanIII.pcap"};
	for (unsigned k = 0; k < 2; k++) {
		c->n = 0;
		assert_int_equal(audit_file(fx, files[k], EA_IFACE_EXTERNAL, c, &info, &t), EA_OK);
		unsigned gre = 0, inner = 0;
		for (unsigned i = 0; i < c->n; i++) {
			if (c->recs[i].transport == 47)
				gre++;
			else
				inner++;
		}
		assert_true(inner > 0);
		assert_int_equal(gre, 0);
	}
	free(c);
}

/* Small real captures of faults fixed in the decoder (../shared/cases,
 * whose README gives each one's source and right value). */
#define EA_SHARED_CASES EA_TOPDIR "/../shared/cases"

static void addr_is(const ea_addr *a, const char *text)
{
	char buf[EA_ADDR_STRLEN];
	assert_string_equal(ea_addr_str(a, buf), text);
}

/* vntag_frames.pcap: behind a Cisco VN-Tag and an 802.1Q tag, three
 * IPv4 packets 1.1.1.1 -> 1.1.2.1 of 100 bytes each (IP protocol 253). */
static void vntag_frames_are_one_flow(void **state)
{
	fixture *fx = *state;
	collected *c = calloc(1, sizeof *c);
	ea_input_info info;
	ea_audit_totals t;
	assert_int_equal(audit_file(fx, EA_SHARED_CASES "/vntag_frames.pcap", EA_IFACE_EXTERNAL, c, &info, &t), EA_OK);
	assert_int_equal(c->n, 1);
	assert_int_equal(t.anomalies[EA_ANOMALY_NON_IP], 0);
	assert_int_equal(c->recs[0].transport, 253);
	addr_is(&c->recs[0].init_addr, "1.1.1.1");
	addr_is(&c->recs[0].resp_addr, "1.1.2.1");
	assert_int_equal(c->recs[0].pkts[0] + c->recs[0].pkts[1], 3);
	assert_int_equal(c->recs[0].bytes[0] + c->recs[0].bytes[1], 300);
	free(c);
}

/* sctp_ports_missing.pcap: one SCTP association 192.168.170.8:7 <->
 * 192.168.170.56:7; the Community ID is the spec's own baseline. */
static void sctp_association_has_ports(void **state)
{
	fixture *fx = *state;
	collected *c = calloc(1, sizeof *c);
	ea_input_info info;
	ea_audit_totals t;
	assert_int_equal(audit_file(fx, EA_SHARED_CASES "/sctp_ports_missing.pcap", EA_IFACE_EXTERNAL, c, &info, &t),
			 EA_OK);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->recs[0].transport, 132);
	assert_int_equal(c->recs[0].init_port, 7);
	assert_int_equal(c->recs[0].resp_port, 7);
	assert_string_equal(c->recs[0].community_id, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
	assert_int_equal(c->recs[0].pkts[0] + c->recs[0].pkts[1], info.packets);
	free(c);
}

/* frag_syn_tcp_options.pcap: a SYN whose 40-byte TCP header is split
 * over two IPv4 fragments (the first holds ports, flags and 4 option
 * bytes). Reassembled, it is an unanswered attempt 192.168.1.100:12345 ->
 * 10.0.0.5:80, its direction from the SYN, both frames counted. */
static void fragmented_syn_is_an_attempt(void **state)
{
	fixture *fx = *state;
	collected *c = calloc(1, sizeof *c);
	ea_input_info info;
	ea_audit_totals t;
	assert_int_equal(audit_file(fx, EA_SHARED_CASES "/frag_syn_tcp_options.pcap", EA_IFACE_EXTERNAL, c, &info, &t),
			 EA_OK);
	assert_int_equal(c->n, 1);
	const ea_flow_record *r = &c->recs[0];
	assert_int_equal(r->transport, 6);
	addr_is(&r->init_addr, "192.168.1.100");
	addr_is(&r->resp_addr, "10.0.0.5");
	assert_int_equal(r->init_port, 12345);
	assert_int_equal(r->resp_port, 80);
	assert_int_equal(r->dir_source, EA_DIR_SYN);
	assert_int_equal(r->handshake, EA_HS_NO_ANSWER);
	assert_true(r->attempt);
	assert_int_equal(r->pkts[0], 2);
	assert_int_equal(r->pkts[1], 0);
	assert_int_equal(r->bytes[0], 44 + 36);
	assert_int_equal(r->first_us, info.first_us);
	assert_int_equal(r->last_us, info.last_us);
	assert_int_equal(t.decoded, 2);
	assert_int_equal(t.anomalies[EA_ANOMALY_BAD_TCP_OFFSET], 0);
	assert_int_equal(t.anomalies[EA_ANOMALY_FRAGMENT_UNATTRIBUTED], 0);
	free(c);
}

/* ---- a capture written by the test: fragments inside fragments ---- */

typedef struct {
	uint8_t b[4096];
	size_t n;
} buf;

static void put(buf *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof f->b);
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put16(buf *f, unsigned v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(f, b, 2);
}

static void put_ether(buf *f)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	put(f, macs, 12);
	put16(f, 0x0800);
}

/* An IPv4 header for `len` data bytes at byte offset `off`. */
static void put_ip4(buf *f, const uint8_t src[4], const uint8_t dst[4], unsigned proto, unsigned id, size_t off,
		    bool mf, size_t len)
{
	uint8_t h[12] = {0x45, 0, (uint8_t)((20 + len) >> 8), (uint8_t)(20 + len), (uint8_t)(id >> 8), (uint8_t)id,
			 (uint8_t)((off / 8 | (mf ? 0x2000 : 0)) >> 8), (uint8_t)(off / 8), 64, (uint8_t)proto, 0, 0};
	put(f, h, 12);
	put(f, src, 4);
	put(f, dst, 4);
}

static void write_record(FILE *out, uint32_t sec, const buf *f)
{
	uint32_t rec[4] = {sec, 0, (uint32_t)f->n, (uint32_t)f->n};
	assert_int_equal(fwrite(rec, sizeof rec, 1, out), 1);
	assert_int_equal(fwrite(f->b, f->n, 1, out), 1);
}

/* A UDP datagram fragmented in two (inner), each fragment mirrored in GRE
 * transparent Ethernet bridging, and the first of those GRE packets
 * fragmented in two again (outer): three frames, one UDP flow. */
static void fragments_inside_fragments(void **state)
{
	fixture *fx = *state;
	static const uint8_t in_src[4] = {198, 51, 100, 20}, in_dst[4] = {203, 0, 113, 10};
	static const uint8_t out_src[4] = {10, 9, 9, 1}, out_dst[4] = {10, 9, 9, 2};
	uint8_t udp[608] = {0x9c, 0x40, 0x13, 0xc4, 0x02, 0x60, 0, 0}; /* 40000 -> 5060, length 608 */
	for (size_t i = 8; i < sizeof udp; i++)
		udp[i] = (uint8_t)('A' + i % 26);

	buf inner[2] = {{.n = 0}, {.n = 0}}; /* GRE payloads: Ethernet + inner fragment */
	for (int k = 0; k < 2; k++) {
		size_t off = k ? 296 : 0, len = k ? sizeof udp - 296 : 296;
		put16(&inner[k], 0);
		put16(&inner[k], 0x6558);
		put_ether(&inner[k]);
		put_ip4(&inner[k], in_src, in_dst, 17, 0x77, off, k == 0, len);
		put(&inner[k], udp + off, len);
	}

	char path[64];
	snprintf(path, sizeof path, "/tmp/ea_nested_frag_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *out = fdopen(fd, "wb");
	assert_non_null(out);
	uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
	assert_int_equal(fwrite(hdr, sizeof hdr, 1, out), 1);
	/* The outer GRE packet of inner fragment 1, in two pieces. */
	for (int k = 0; k < 2; k++) {
		size_t off = k ? 200 : 0, len = k ? inner[0].n - 200 : 200;
		buf f = {.n = 0};
		put_ether(&f);
		put_ip4(&f, out_src, out_dst, 47, 0x55, off, k == 0, len);
		put(&f, inner[0].b + off, len);
		write_record(out, 100 + (uint32_t)k, &f);
	}
	/* Inner fragment 2, in a whole GRE packet. */
	buf f = {.n = 0};
	put_ether(&f);
	put_ip4(&f, out_src, out_dst, 47, 0x56, 0, false, inner[1].n);
	put(&f, inner[1].b, inner[1].n);
	write_record(out, 102, &f);
	assert_int_equal(fclose(out), 0);

	collected *c = calloc(1, sizeof *c);
	ea_input_info info;
	ea_audit_totals t;
	ea_status st = audit_file(fx, path, EA_IFACE_EXTERNAL, c, &info, &t);
	unlink(path);
	assert_int_equal(st, EA_OK);
	assert_int_equal(t.packets, 3);
	assert_int_equal(t.decoded, 3);
	assert_int_equal(c->n, 1);
	const ea_flow_record *r = &c->recs[0];
	assert_int_equal(r->transport, 17);
	addr_is(&r->init_addr, "198.51.100.20");
	assert_int_equal(r->init_port, 40000);
	assert_int_equal(r->resp_port, 5060);
	assert_int_equal(r->pkts[0] + r->pkts[1], 3);
	/* The inner fragments' IP bytes: the flow's own level was split. */
	assert_int_equal(r->bytes[0] + r->bytes[1], 20 + 296 + 20 + 312);
	assert_int_equal(r->first_us, 100 * 1000000ull);
	assert_int_equal(r->last_us, 102 * 1000000ull);
	free(c);
}

static void unsupported_files_fail_with_a_reason(void **state)
{
	fixture *fx = *state;
	collected *c = calloc(1, sizeof *c);
	ea_input_info info;
	ea_audit_totals t;
	/* A link type we do not decode: read, every frame counted, no flow. */
	assert_int_equal(audit_file(fx, EA_SHARED_PCAPS "/tcpdump_unsupported-link-type-160.pcap", EA_IFACE_EXTERNAL,
				    c, &info, &t), EA_OK);
	assert_int_equal(t.flows, 0);
	assert_int_equal(t.anomalies[EA_ANOMALY_UNSUPPORTED_LINKTYPE], t.packets);
	/* The capture's own counts say nothing of it could be decoded, and
	 * name the link type (main makes that a partial run). */
	assert_true(info.packets > 0);
	assert_int_equal(info.decoded, 0);
	assert_int_equal(info.unsupported_frames, info.packets);
	assert_int_equal(info.n_unsupported, 1);
	assert_int_equal(info.unsupported[0].linktype, 160);
	assert_int_equal(info.unsupported[0].frames, info.packets);
	assert_string_equal(ea_source_linktype_name(160), "USER13");
	assert_string_equal(ea_source_linktype_name(1), "EN10MB");
	/* A decodable capture: every frame counted, none refused. */
	assert_int_equal(audit_file(fx, EA_SHARED_PCAPS "/ndpi_sip.pcap", EA_IFACE_EXTERNAL, c, &info, &t), EA_OK);
	assert_int_equal(info.decoded, t.decoded);
	assert_true(info.decoded > 0);
	assert_int_equal(info.unsupported_frames, 0);
	assert_int_equal(info.n_unsupported, 0);
	/* Empty captures are fine and empty. */
	assert_int_equal(audit_file(fx, EA_SHARED_PCAPS "/tcpdump_empty.pcapng", EA_IFACE_EXTERNAL, c, &info, &t), EA_OK);
	assert_int_equal(t.packets, 0);
	free(c);
}

/* A stop flag set (by a signal handler in main) ends the read at the next
 * frame with EA_ERR_INTERRUPTED; flows still open are left alone. */
static void stop_flag_interrupts_reading(void **state)
{
	fixture *fx = *state;
	char err[1024];
	ea_audit *a = NULL;
	ea_source *src = NULL;
	volatile sig_atomic_t stop = 0;
	collected *c = calloc(1, sizeof *c);
	ea_audit_config cfg = {
		.ruleset = fx->ruleset,
		.max_flows = 10000, .on_flow = collect, .hook_ctx = c, .stop = &stop,
	};
	ea_input_info info;
	memset(&info, 0, sizeof info);
	assert_int_equal(ea_audit_new(&cfg, &a, err, sizeof err), EA_OK);
	assert_int_equal(ea_source_open_file(EA_SHARED_PCAPS "/ndpi_sip.pcap", &src, err, sizeof err), EA_OK);
	stop = SIGINT;
	assert_int_equal(ea_audit_read(a, src, EA_IFACE_EXTERNAL, &info, err, sizeof err), EA_ERR_INTERRUPTED);
	assert_string_equal(err, "interrupted after 1 record");
	assert_int_equal(info.packets, 1);
	ea_source_close(src);
	assert_int_equal(c->n, 0);
	ea_audit_free(a);
	free(c);
}

/* Times: a record whose fraction field holds a second or more is counted
 * and takes its file's previous valid time; with none before it, it is
 * counted and not decoded; 2106 survives. */
static void record_times_that_cannot_be_right(void **state)
{
	fixture *fx = *state;
	collected *c = calloc(1, sizeof *c);
	ea_input_info info;
	ea_audit_totals t;
	assert_int_equal(audit_file(fx, EA_TOPDIR "/../shared/cases/ts_invalid_usec.pcap", EA_IFACE_EXTERNAL, c,
				    &info, &t), EA_OK);
	assert_int_equal(t.packets, 3);
	assert_int_equal(t.decoded, 3);
	assert_int_equal(t.anomalies[EA_ANOMALY_TS_BAD_FRACTION], 2);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->recs[0].first_us, 1418145369999999ull);
	assert_int_equal(c->recs[0].last_us, 1418145369999999ull);
	assert_int_equal(info.first_us, 1418145369999999ull);
	assert_false(info.untimed);

	c->n = 0;
	assert_int_equal(audit_file(fx, EA_SHARED_PCAPS "/ndpi_fuzz-2021-06-07-c6c72a0a56.pcap", EA_IFACE_EXTERNAL, c,
				    &info, &t), EA_OK);
	assert_int_equal(t.packets, 1);
	assert_int_equal(t.decoded, 0);
	assert_int_equal(t.anomalies[EA_ANOMALY_TS_BAD_FRACTION], 1);
	assert_int_equal(t.anomalies[EA_ANOMALY_UNTIMED_FRAME], 1);
	assert_true(info.untimed);

	c->n = 0;
	assert_int_equal(audit_file(fx, EA_TOPDIR "/../shared/cases/ts_sec_2106.pcap", EA_IFACE_EXTERNAL, c,
				    &info, &t), EA_OK);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->recs[0].first_us, 4291747200000000ull);
	free(c);
}

/* Feeds a capture frame by frame as monitor does (ea_audit_frame); returns
 * the time of its last frame. */
static int count_row(void *ctx, int ncols, const char *const *cols)
{
	*(int64_t *)ctx = ncols > 0 && cols[0] ? strtoll(cols[0], NULL, 10) : -1;
	return 0;
}

static uint64_t feed_frames(ea_audit *a, const char *path, ea_iface iface)
{
	char err[1024];
	ea_source *src = NULL;
	ea_frame frame;
	uint64_t last = 0;
	assert_int_equal(ea_source_open_file(path, &src, err, sizeof err), EA_OK);
	while (ea_source_next(src, &frame, err, sizeof err) == EA_SOURCE_FRAME) {
		assert_int_equal(ea_audit_frame(a, iface, &frame, err, sizeof err), EA_OK);
		last = frame.ts_us > last ? frame.ts_us : last;
	}
	ea_source_close(src);
	return last;
}

/* Live path: frames one at a time, then the clock alone (no packet) ends
 * every flow once its idle timeout has passed — the same flows and
 * verdicts as reading the file, with nothing left for the end. A tick
 * before the timeouts ends nothing that is still fresh. */
static void clock_tick_ends_flows_on_a_quiet_wire(void **state)
{
	fixture *fx = *state;
	collected *byfile = calloc(1, sizeof *byfile), *live = calloc(1, sizeof *live);
	assert_non_null(byfile);
	assert_non_null(live);
	ea_input_info info;
	ea_audit_totals t;
	assert_int_equal(audit_file(fx, EA_TOPDIR "/pcaps/lab-external.pcap", EA_IFACE_EXTERNAL, byfile, &info, &t),
			 EA_OK);

	char err[1024];
	ea_audit *a = NULL;
	ea_audit_config cfg = {.ruleset = fx->ruleset, .max_flows = 10000, .on_flow = collect, .hook_ctx = live};
	assert_int_equal(ea_audit_new(&cfg, &a, err, sizeof err), EA_OK);
	uint64_t last = feed_frames(a, EA_TOPDIR "/pcaps/lab-external.pcap", EA_IFACE_EXTERNAL);
	unsigned before = live->n;
	assert_int_equal(ea_audit_tick(a, last + 1000000, err, sizeof err), EA_OK);
	assert_true(live->n < byfile->n);
	assert_true(live->n >= before);
	assert_int_equal(ea_audit_tick(a, last + (EA_TCP_IDLE_SEC + 1) * 1000000ull, err, sizeof err), EA_OK);
	assert_int_equal(live->n, byfile->n);
	const ea_audit_totals *lt = ea_audit_get_totals(a);
	assert_int_equal(lt->packets, t.packets);
	for (int v = 0; v < EA_VERDICT_COUNT; v++)
		assert_int_equal(lt->verdicts[v], t.verdicts[v]);
	unsigned ended = live->n;
	assert_int_equal(ea_audit_finish(a, err, sizeof err), EA_OK);
	assert_int_equal(live->n, ended);
	ea_audit_free(a);
	free(byfile);
	free(live);
}

/* A live audit whose write queue overflows drops those records only:
 * the flows that end later are stored, and at stop every open flow is
 * stored, however many end at once (the writer is waited for then). */
static void live_queue_overflow_loses_only_what_overflowed(void **state)
{
	fixture *fx = *state;
	char dir[] = "/tmp/ea_liveq_XXXXXX", db[64], err[1024];
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof db, "%s/q.db", dir);
	ea_store *st = NULL;
	assert_int_equal(ea_store_open(db, &st, err, sizeof err), EA_OK);
	ea_run_info info = {.tool_version = "test", .command_line = "test", .started_at = 1700000000, .live = true};
	int64_t run = 0;
	assert_int_equal(ea_store_begin_run(st, &info, ea_ruleset_matrix(fx->ruleset), &run, err, sizeof err), EA_OK);

	ea_audit *a = NULL;
	ea_audit_config cfg = {.ruleset = fx->ruleset, .max_flows = 10000, .store = st, .run_id = run,
			       .live = true, .live_queue_records = 4};
	assert_int_equal(ea_audit_new(&cfg, &a, err, sizeof err), EA_OK);
	/* Every external flow ends in one tick: more than 4 at once. Another
	 * connection holds the write lock meanwhile, so the writer cannot
	 * free a slot by committing (on a loaded machine it sometimes kept
	 * up with the tick, and nothing overflowed). */
	uint64_t last = feed_frames(a, EA_TOPDIR "/pcaps/lab-external.pcap", EA_IFACE_EXTERNAL);
	sqlite3 *locker = NULL;
	assert_int_equal(sqlite3_open(db, &locker), SQLITE_OK);
	/* The writer may be committing the flows that feed_frames ended. */
	assert_int_equal(sqlite3_busy_timeout(locker, 10000), SQLITE_OK);
	assert_int_equal(sqlite3_exec(locker, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(ea_audit_tick(a, last + (EA_TCP_IDLE_SEC + 1) * 1000000ull, err, sizeof err), EA_OK);
	uint64_t ext_flows = ea_audit_get_totals(a)->flows;
	uint64_t dropped = ea_audit_writer_stats(a).dropped[EA_IFACE_EXTERNAL];
	assert_int_equal(sqlite3_exec(locker, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(locker), SQLITE_OK);
	assert_true(dropped > 0);
	assert_true(dropped < ext_flows);
	usleep(1500 * 1000); /* past the writer's flush interval: the queue drains */
	/* Internal flows: those still open at stop are all stored. */
	feed_frames(a, EA_TOPDIR "/pcaps/lab-internal.pcap", EA_IFACE_INTERNAL);
	uint64_t open_at_stop = ea_audit_get_totals(a)->flows;
	uint64_t int_dropped = ea_audit_writer_stats(a).dropped[EA_IFACE_INTERNAL];
	assert_int_equal(ea_audit_finish(a, err, sizeof err), EA_OK);
	uint64_t all_flows = ea_audit_get_totals(a)->flows;
	open_at_stop = all_flows - open_at_stop;
	assert_true(open_at_stop > 4); /* more than the queue holds */
	assert_int_equal(ea_audit_writer_stats(a).dropped[EA_IFACE_INTERNAL], int_dropped);
	dropped += int_dropped;
	assert_int_equal(ea_audit_close_writer(a, err, sizeof err), EA_OK);
	ea_audit_free(a);

	int64_t stored = -1;
	assert_int_equal(ea_store_query(st, "SELECT COUNT(*) FROM flows", NULL, 0, count_row, &stored, err, sizeof err),
			 EA_OK);
	assert_int_equal(stored, (int64_t)(all_flows - dropped));
	int64_t internal = -1;
	assert_int_equal(ea_store_query(st, "SELECT COUNT(*) FROM flows WHERE iface = 'internal'", NULL, 0, count_row,
					&internal, err, sizeof err),
			 EA_OK);
	assert_int_equal(internal, (int64_t)(all_flows - ext_flows - int_dropped));
	assert_int_equal(ea_store_close(st, err, sizeof err), EA_OK);
	unlink(db);
	char side[96];
	snprintf(side, sizeof side, "%s-runlock", db);
	unlink(side);
	rmdir(dir);
}

/* Reload: flows still open when the ruleset is swapped are judged, when
 * they end, by the new one (here a site file that moves the front end to
 * an address not in the capture, so its flows become unexpected); none is lost. */
static void reload_judges_open_flows_by_the_new_rules(void **state)
{
	fixture *fx = *state;
	char dir[] = "/tmp/ea_audit_XXXXXX", site[64], err[4096];
	assert_non_null(mkdtemp(dir));
	snprintf(site, sizeof site, "%s/site.ini", dir);
	FILE *f = fopen(site, "w");
	assert_non_null(f);
	fputs("[roles]\naccess_edge = 10.0.1.10, 203.0.113.10\nwebconf_edge = 10.0.1.11, 203.0.113.11\n"
	      "av_edge = 10.0.1.12, 203.0.113.12\nedge_internal = 172.16.0.10, fd00:16::10\n"
	      "director_pool = 172.16.0.98\nfront_end = 172.16.0.98\nxmpp_gateway = 172.16.0.98\n"
	      "cms_pool = 172.16.0.21\n", f);
	fclose(f);
	ea_ruleset_paths paths = {.matrix = EA_TOPDIR "/signatures/lync2013-edge.matrix",
				  .portsigs = EA_TOPDIR "/signatures/ports.sig", .site = site};
	const ea_ruleset *moved = NULL;
	assert_int_equal(ea_ruleset_load(&paths, fx->ruleset, &moved, err, sizeof err), EA_OK);

	collected *before = calloc(1, sizeof *before), *after = calloc(1, sizeof *after);
	assert_non_null(before);
	assert_non_null(after);
	ea_audit *a = NULL;
	ea_audit_config cfg = {.ruleset = fx->ruleset, .max_flows = 10000, .on_flow = collect, .hook_ctx = before};
	assert_int_equal(ea_audit_new(&cfg, &a, err, sizeof err), EA_OK);
	feed_frames(a, EA_TOPDIR "/pcaps/lab-internal.pcap", EA_IFACE_INTERNAL);
	unsigned ended_before = before->n;
	ea_audit_set_ruleset(a, moved, 7);
	ea_ruleset_unref(moved); /* the audit holds its own reference */
	assert_int_equal(ea_audit_finish(a, err, sizeof err), EA_OK);
	ea_audit_totals reloaded = *ea_audit_get_totals(a);
	const ea_audit_totals *t = &reloaded;
	ea_audit_free(a);

	/* The same capture judged by the old rules throughout. */
	ea_input_info info;
	ea_audit_totals old;
	assert_int_equal(audit_file(fx, EA_TOPDIR "/pcaps/lab-internal.pcap", EA_IFACE_INTERNAL, after, &info, &old),
			 EA_OK);
	assert_int_equal(t->flows, old.flows);
	assert_true(t->verdicts[EA_VERDICT_WRONG_DIRECTION] < old.verdicts[EA_VERDICT_WRONG_DIRECTION]);
	assert_true(t->verdicts[EA_VERDICT_UNEXPECTED] > old.verdicts[EA_VERDICT_UNEXPECTED]);
	assert_true(ended_before < old.flows);
	free(before);
	free(after);
	unlink(site);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_shared_capture_reads_cleanly),
		cmocka_unit_test(dpi_names_and_server_names),
		cmocka_unit_test(erspan_inner_traffic_is_audited),
		cmocka_unit_test(unsupported_files_fail_with_a_reason),
		cmocka_unit_test(stop_flag_interrupts_reading),
		cmocka_unit_test(record_times_that_cannot_be_right),
		cmocka_unit_test(vntag_frames_are_one_flow),
		cmocka_unit_test(sctp_association_has_ports),
		cmocka_unit_test(fragmented_syn_is_an_attempt),
		cmocka_unit_test(fragments_inside_fragments),
		cmocka_unit_test(clock_tick_ends_flows_on_a_quiet_wire),
		cmocka_unit_test(reload_judges_open_flows_by_the_new_rules),
		cmocka_unit_test(live_queue_overflow_loses_only_what_overflowed),
	};
	return cmocka_run_group_tests_name("audit", tests, setup, teardown);
}
