/* addr.h — IP addresses and prefixes, IPv4 and IPv6 alike.
 *
 * An IPv4 address is held as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so
 * every comparison, hash and prefix test is one 16-byte operation and a
 * flow key never depends on the family. */
#ifndef EA_ADDR_H
#define EA_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint8_t b[16];
} ea_addr;

typedef struct {
	ea_addr addr;    /* host bits already cleared */
	uint8_t bits;    /* prefix length in the 128-bit space (v4 /24 = 120) */
} ea_prefix;

/* Longest text form of an address, NUL included (INET6_ADDRSTRLEN). */
#define EA_ADDR_STRLEN 46

void ea_addr_from_v4(ea_addr *a, const uint8_t v4[4]);
void ea_addr_from_v6(ea_addr *a, const uint8_t v6[16]);
bool ea_addr_is_v4(const ea_addr *a);
int ea_addr_cmp(const ea_addr *a, const ea_addr *b);
/* False for an address that names no single host: IPv4 multicast
 * 224.0.0.0/4 (RFC 5771) and the limited broadcast 255.255.255.255
 * (RFC 919), IPv6 multicast ff00::/8 (RFC 4291 §2.7), and the
 * unspecified 0.0.0.0 / :: (RFC 1122 §3.2.1.3, RFC 4291 §2.5.2), which
 * only a host that has no address yet sends from. Such an address never
 * opens or serves a flow; a directed broadcast needs the prefix, see
 * ea_prefix_is_broadcast. */
bool ea_addr_is_unicast(const ea_addr *a);

/* True for an address that is not routed on the internet and so cannot
 * be a remote caller's own: IPv4 private networks (RFC 1918: 10/8,
 * 172.16/12, 192.168/16), shared address space behind a carrier-grade
 * NAT (RFC 6598: 100.64/10), link-local (RFC 3927: 169.254/16); IPv6
 * unique local (RFC 4193: fc00::/7) and link-local (RFC 4291 §2.5.6:
 * fe80::/10). A flow from such an address into an Edge's public service
 * was readdressed by a NAT on the way (the NAT check, rules/natcheck.h). */
bool ea_addr_is_private(const ea_addr *a);

/* Text form (dotted quad for IPv4, RFC 5952 for IPv6) into out. */
const char *ea_addr_str(const ea_addr *a, char out[EA_ADDR_STRLEN]);

/* Parses "192.0.2.1", "2001:db8::1", or with a "/len" prefix suffix.
 * A bare address is a host prefix. Host bits set under the mask are an
 * error (a likely typo in a site file). Returns false with a reason in
 * errbuf. */
bool ea_prefix_parse(const char *text, ea_prefix *out, char *errbuf, size_t errlen);
bool ea_prefix_contains(const ea_prefix *p, const ea_addr *a);
/* True when the two prefixes share at least one address. */
bool ea_prefix_overlaps(const ea_prefix *a, const ea_prefix *b);
/* True when a is the directed broadcast of p (RFC 919, RFC 922): its
 * all-ones host address, for an IPv4 prefix of /30 or shorter (a /31
 * has no broadcast, RFC 3021; IPv6 has none at all). */
bool ea_prefix_is_broadcast(const ea_prefix *p, const ea_addr *a);
const char *ea_prefix_str(const ea_prefix *p, char out[EA_ADDR_STRLEN + 4]);

#endif
