/* community_id.h — the Community ID v1 flow hash (Corelight's spec).
 *
 * Pipeline position: computed once per finished flow, just before it is
 * stored, so a row in our database can be joined with Zeek's conn.log,
 * Suricata's eve.json or Arkime on a plain string. Spec and reference
 * vectors: github.com/corelight/community-id-spec. */
#ifndef EA_COMMUNITY_ID_H
#define EA_COMMUNITY_ID_H

#include <stdbool.h>
#include <stdint.h>

#include "util/addr.h"
#include "engine/flowrec.h"

/* Writes "1:<base64 of the SHA-1>" into out. Either endpoint order gives
 * the same ID. Ports are hashed for TCP, UDP, SCTP, ICMP and ICMPv6 only;
 * for ICMP/ICMPv6 the caller already passes sport = type, dport = the
 * counterpart type or the code, and one_way for types without a
 * counterpart (src/decode/packet.h), which are hashed in the order given.
 * src and dst must be the same family (both v4-mapped or both IPv6).
 * Never fails; out is always NUL-terminated. */
void ea_community_id(uint16_t seed, uint8_t proto, const ea_addr *src, const ea_addr *dst,
		     uint16_t sport, uint16_t dport, bool one_way, char out[EA_COMMUNITY_ID_MAX]);

#endif
