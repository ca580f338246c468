/* addr.c — address parsing, printing and prefix tests. */
#include "util/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void ea_addr_from_v4(ea_addr *a, const uint8_t v4[4])
{
	memcpy(a->b, v4_mapped, 12);
	memcpy(a->b + 12, v4, 4);
}

void ea_addr_from_v6(ea_addr *a, const uint8_t v6[16])
{
	memcpy(a->b, v6, 16);
}

bool ea_addr_is_v4(const ea_addr *a)
{
	return memcmp(a->b, v4_mapped, 12) == 0;
}

int ea_addr_cmp(const ea_addr *a, const ea_addr *b)
{
	return memcmp(a->b, b->b, 16);
}

bool ea_addr_is_unicast(const ea_addr *a)
{
	static const uint8_t zero[16];
	if (ea_addr_is_v4(a)) {
		const uint8_t *v4 = a->b + 12;
		bool broadcast = v4[0] == 255 && v4[1] == 255 && v4[2] == 255 && v4[3] == 255;
		bool unspecified = (v4[0] | v4[1] | v4[2] | v4[3]) == 0;
		return (v4[0] & 0xf0) != 0xe0 && !broadcast && !unspecified;
	}
	return a->b[0] != 0xff && memcmp(a->b, zero, 16) != 0;
}

bool ea_addr_is_private(const ea_addr *a)
{
	if (ea_addr_is_v4(a)) {
		const uint8_t *v4 = a->b + 12;
		return v4[0] == 10 || (v4[0] == 172 && (v4[1] & 0xf0) == 16) || (v4[0] == 192 && v4[1] == 168) ||
		       (v4[0] == 100 && (v4[1] & 0xc0) == 64) || (v4[0] == 169 && v4[1] == 254);
	}
	return (a->b[0] & 0xfe) == 0xfc || (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80);
}

const char *ea_addr_str(const ea_addr *a, char out[EA_ADDR_STRLEN])
{
	if (ea_addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, out, EA_ADDR_STRLEN);
	else
		inet_ntop(AF_INET6, a->b, out, EA_ADDR_STRLEN);
	return out;
}

static void mask_host_bits(ea_addr *a, unsigned bits, bool *had_host_bits)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = bits >= (i + 1) * 8 ? 8 : bits > i * 8 ? bits - i * 8 : 0;
		uint8_t mask = keep == 8 ? 0xff : (uint8_t)(0xff << (8 - keep));
		if (a->b[i] & (uint8_t)~mask)
			*had_host_bits = true;
		a->b[i] &= mask;
	}
}

bool ea_prefix_parse(const char *text, ea_prefix *out, char *errbuf, size_t errlen)
{
	char host[EA_ADDR_STRLEN];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	if (hlen == 0 || hlen >= sizeof host) {
		snprintf(errbuf, errlen, "'%s' is not an IP address", text);
		return false;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';

	uint8_t raw[16];
	unsigned max_bits, offset;
	if (inet_pton(AF_INET, host, raw) == 1) {
		ea_addr_from_v4(&out->addr, raw);
		max_bits = 32;
		offset = 96;
	} else if (inet_pton(AF_INET6, host, raw) == 1) {
		ea_addr_from_v6(&out->addr, raw);
		max_bits = 128;
		offset = 0;
	} else {
		snprintf(errbuf, errlen, "'%s' is not an IP address", host);
		return false;
	}

	unsigned bits = max_bits;
	if (slash) {
		const char *p = slash + 1;
		char *end;
		if (*p < '0' || *p > '9') {
			snprintf(errbuf, errlen, "'%s': prefix length is not a number", text);
			return false;
		}
		unsigned long v = strtoul(p, &end, 10);
		if (*end != '\0' || v > max_bits) {
			snprintf(errbuf, errlen, "'%s': prefix length must be 0 to %u", text, max_bits);
			return false;
		}
		bits = (unsigned)v;
	}
	out->bits = (uint8_t)(bits + offset);
	bool had_host_bits = false;
	mask_host_bits(&out->addr, out->bits, &had_host_bits);
	if (had_host_bits) {
		snprintf(errbuf, errlen, "'%s': address has bits set beyond the /%u prefix", text, bits);
		return false;
	}
	return true;
}

bool ea_prefix_contains(const ea_prefix *p, const ea_addr *a)
{
	unsigned full = p->bits / 8, rest = p->bits % 8;
	if (memcmp(p->addr.b, a->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->b[full] & mask) == p->addr.b[full];
}

bool ea_prefix_overlaps(const ea_prefix *a, const ea_prefix *b)
{
	/* Two prefixes overlap exactly when the shorter contains the other's base. */
	return a->bits <= b->bits ? ea_prefix_contains(a, &b->addr) : ea_prefix_contains(b, &a->addr);
}

bool ea_prefix_is_broadcast(const ea_prefix *p, const ea_addr *a)
{
	/* In the mapped space an IPv4 /30 is /126. */
	if (!ea_addr_is_v4(&p->addr) || p->bits < 96 || p->bits > 126 || !ea_prefix_contains(p, a))
		return false;
	for (unsigned bit = p->bits; bit < 128; bit++)
		if (!(a->b[bit / 8] & (0x80u >> (bit % 8))))
			return false;
	return true;
}

const char *ea_prefix_str(const ea_prefix *p, char out[EA_ADDR_STRLEN + 4])
{
	char host[EA_ADDR_STRLEN];
	ea_addr_str(&p->addr, host);
	unsigned bits = ea_addr_is_v4(&p->addr) && p->bits >= 96 ? p->bits - 96u : p->bits;
	snprintf(out, EA_ADDR_STRLEN + 4, "%s/%u", host, bits);
	return out;
}
