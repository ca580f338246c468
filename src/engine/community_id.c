/* community_id.c — Community ID v1: SHA-1 over the ordered flow tuple.
 *
 * Hash input, all in network byte order and 32-bit aligned:
 *   seed (2) | src addr (4 or 16) | dst addr (4 or 16) | proto (1) | 0 (1)
 *   | sport (2) | dport (2)          — ports only for port-bearing protocols
 * The endpoints are first put in order, the smaller (address, then port)
 * first, so both directions of a flow hash alike; one-way ICMP messages
 * are hashed as sent, as Zeek does. The digest is base64-encoded behind a
 * "1:" version tag. */
#include "engine/community_id.h"

#include <string.h>

#include <openssl/evp.h>

#include "util/ipproto.h"
#include "util/cursor.h"

#define SHA1_LEN 20
#define BASE64_SHA1_LEN 28  /* 4 * ceil(20 / 3) */
/* seed + two IPv6 addresses + proto + pad + two ports */
#define CID_MAX_INPUT (2 + 16 + 16 + 1 + 1 + 2 + 2)

_Static_assert(2 + BASE64_SHA1_LEN + 1 <= EA_COMMUNITY_ID_MAX, "EA_COMMUNITY_ID_MAX too small");

/* IPv4 is hashed as its 4 bytes, not our v4-mapped 16: the ID must match
 * what other monitors compute. Mixed families cannot form a flow; should a
 * caller pass one anyway, both go in whole so nothing is lost. */
static size_t put_addr(uint8_t *b, const ea_addr *a, bool v4)
{
	size_t n = v4 ? 4 : 16;
	memcpy(b, a->b + (16 - n), n);
	return n;
}

void ea_community_id(uint16_t seed, uint8_t proto, const ea_addr *src, const ea_addr *dst,
		     uint16_t sport, uint16_t dport, bool one_way, char out[EA_COMMUNITY_ID_MAX])
{
	bool ports = ea_ipproto_keyed_on_l4(proto);
	if (!ports) {
		/* Port-less protocols order by address alone. */
		sport = dport = 0;
		one_way = false;
	}

	/* v4-mapped addresses compare in the same order as their last 4
	 * bytes, so one memcmp over 16 serves both families. */
	int c = ea_addr_cmp(src, dst);
	bool keep = one_way || c < 0 || (c == 0 && sport < dport);
	const ea_addr *a = keep ? src : dst, *b = keep ? dst : src;
	uint16_t pa = keep ? sport : dport, pb = keep ? dport : sport;
	bool v4 = ea_addr_is_v4(a) && ea_addr_is_v4(b);

	uint8_t in[CID_MAX_INPUT];
	size_t n = 0;
	ea_put_be16(in + n, seed);
	n += 2;
	n += put_addr(in + n, a, v4);
	n += put_addr(in + n, b, v4);
	in[n++] = proto;
	in[n++] = 0;
	if (ports) {
		ea_put_be16(in + n, pa);
		n += 2;
		ea_put_be16(in + n, pb);
		n += 2;
	}

	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	out[0] = '\0';
	/* EVP_Digest fails only when libcrypto cannot allocate or SHA-1 is
	 * disabled; the spec allows an empty ID for what cannot be hashed. */
	if (!EVP_Digest(in, n, md, &mdlen, EVP_sha1(), NULL) || mdlen != SHA1_LEN)
		return;
	out[0] = '1';
	out[1] = ':';
	EVP_EncodeBlock((unsigned char *)out + 2, md, SHA1_LEN);
}
