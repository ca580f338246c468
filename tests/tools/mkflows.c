/* mkflows.c — writes a classic pcap of N short TCP flows, for the
 * end-to-end tests of the run lifecycle (tests/e2e/runs.sh): a capture
 * large enough that `read` can be signalled or killed in the middle of it.
 *
 * Flow i: a SYN from 100.64.S.x:p to 203.0.113.10:443 and the RST+ACK that
 * refuses it 100 µs later, flows 1 ms apart; S (the seed, 0-63) makes
 * distinct files. Each flow ends at its RST, so `read` stores flows
 * steadily as it goes. -l LINKTYPE writes another link type in the file
 * header (the frames stay Ethernet): a capture edgeaudit cannot decode.
 * -t SECONDS starts the capture that much later (files of one interface
 * are read oldest first).
 * -L SECONDS writes N long flows instead, for the active timeout: each a
 * TCP handshake, then one ACK from the client every 10 s of packet time
 * for SECONDS, then FIN, FIN, ACK; flow i's packets i ms after the tick.
 * Each flow has 3 + SECONDS/10 + 3 packets, 2 + SECONDS/10 + 2 of them
 * from the client.
 *
 * usage: mkflows [-s SEED] [-l LINKTYPE] [-t SECONDS] [-L SECONDS] N OUT.pcap */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FRAME_LEN 54u   /* Ethernet 14 + IPv4 20 + TCP 20 */
#define MAX_FLOWS 10000000ul

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* RFC 1071 one's complement sum. */
static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void frame(uint8_t *f, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags,
		  uint32_t seq, uint32_t ack, uint16_t ipid)
{
	static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 1}, mac_b[6] = {0x02, 0, 0, 0, 0, 2};
	memset(f, 0, FRAME_LEN);
	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *tcp = ip + 20;
	ip[0] = 0x45;
	put16(ip + 2, 40);
	put16(ip + 4, ipid);
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, csum(ip, 20, 0));
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	uint8_t pseudo[12];
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, 20);
	uint32_t sum = 0;
	for (int i = 0; i < 12; i += 2)
		sum += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
	put16(tcp + 16, csum(tcp, 20, sum));
}

static int record(FILE *out, uint64_t ts_us, const uint8_t *f)
{
	uint8_t h[16];
	uint32_t sec = (uint32_t)(ts_us / 1000000), usec = (uint32_t)(ts_us % 1000000);
	/* Little-endian header, as the magic below says. */
	for (int i = 0; i < 4; i++) {
		h[i] = (uint8_t)(sec >> (8 * i));
		h[4 + i] = (uint8_t)(usec >> (8 * i));
		h[8 + i] = h[12 + i] = (uint8_t)(FRAME_LEN >> (8 * i));
	}
	return fwrite(h, 1, 16, out) == 16 && fwrite(f, 1, FRAME_LEN, out) == FRAME_LEN ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long seed = 0, linktype = 1, later = 0, n, longer = 0;
	int opt;
	char *end;
	while ((opt = getopt(argc, argv, "s:l:t:L:")) != -1) {
		switch (opt) {
		case 's': seed = strtoul(optarg, &end, 10); if (*end || seed > 63) goto usage; break;
		case 't': later = strtoul(optarg, &end, 10); if (*end || later > 86400ul * 365) goto usage; break;
		case 'l': linktype = strtoul(optarg, &end, 10); if (*end || linktype > 65535) goto usage; break;
		case 'L': longer = strtoul(optarg, &end, 10); if (*end || longer > 86400ul * 30) goto usage; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	n = strtoul(argv[optind], &end, 10);
	if (*end || n == 0 || n > MAX_FLOWS)
		goto usage;
	FILE *out = fopen(argv[optind + 1], "wb");
	if (!out) {
		perror(argv[optind + 1]);
		return 1;
	}
	static const uint8_t ghdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
					 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0};
	uint8_t g[24];
	memcpy(g, ghdr, sizeof g);
	g[20] = (uint8_t)linktype;
	g[21] = (uint8_t)(linktype >> 8);
	int bad = fwrite(g, 1, sizeof g, out) != sizeof g;
	const uint32_t server = 0xcb00710a; /* 203.0.113.10 */
	const uint64_t t0 = (1709542800ull + later) * 1000000; /* 2024-03-04 09:00:00 UTC */
	uint8_t f[FRAME_LEN];
	if (longer) {
		/* n long flows, interleaved in time: step k is at k * 10 s,
		 * flow i's packet of that step i ms later. */
		unsigned long ticks = longer / 10;
		for (unsigned long k = 0; k <= ticks + 1 && !bad; k++) {
			for (unsigned long i = 0; i < n && !bad; i++) {
				uint32_t client = 0x64400000u | (uint32_t)seed << 16 | (uint32_t)(i / 60000 + 1);
				uint16_t port = (uint16_t)(1024 + i % 60000);
				uint32_t cs = (uint32_t)i * 7919u, ss = 1000u;
				uint64_t ts = t0 + k * 10000000ull + i * 1000;
				if (k == 0) {
					frame(f, client, server, port, 443, 0x02, cs, 0, 1);
					bad |= record(out, ts, f);
					frame(f, server, client, 443, port, 0x12, ss, cs + 1, 1);
					bad |= record(out, ts + 100, f);
					frame(f, client, server, port, 443, 0x10, cs + 1, ss + 1, 2);
					bad |= record(out, ts + 200, f);
				} else if (k <= ticks) {
					frame(f, client, server, port, 443, 0x10, cs + 1, ss + 1, (uint16_t)(k + 2));
					bad |= record(out, ts, f);
				} else {
					frame(f, client, server, port, 443, 0x11, cs + 1, ss + 1, 0);
					bad |= record(out, ts, f);
					frame(f, server, client, 443, port, 0x11, ss + 1, cs + 2, 0);
					bad |= record(out, ts + 100, f);
					frame(f, client, server, port, 443, 0x10, cs + 2, ss + 2, 1);
					bad |= record(out, ts + 200, f);
				}
			}
		}
		n = 0;
	}
	for (unsigned long i = 0; i < n && !bad; i++) {
		uint32_t client = 0x64400000u | (uint32_t)seed << 16 | (uint32_t)(i / 60000 + 1);
		uint16_t port = (uint16_t)(1024 + i % 60000);
		uint32_t isn = (uint32_t)i * 7919u;
		uint64_t ts = t0 + (uint64_t)i * 1000;
		frame(f, client, server, port, 443, 0x02, isn, 0, (uint16_t)i);
		bad |= record(out, ts, f);
		frame(f, server, client, 443, port, 0x14, 0, isn + 1, (uint16_t)i);
		bad |= record(out, ts + 100, f);
	}
	if (fclose(out) != 0 || bad) {
		fprintf(stderr, "mkflows: cannot write %s\n", argv[optind + 1]);
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: mkflows [-s SEED 0-63] [-l LINKTYPE] [-t SECONDS] [-L SECONDS] N OUT.pcap\n");
	return 2;
}
