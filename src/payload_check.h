/* payload_check.h — our own small payload checks, for traffic nDPI misses.
 *
 * Pipeline position: classify → here. When nDPI 4.2 has no DPI verdict for
 * a flow and the port signature expects a protocol we have a check for,
 * the classifier asks the check about each payload; one hit confirms the
 * protocol (EA_PROTO_SRC_PAYLOAD). The checks exist for rows of the Lync
 * port matrix that nDPI 4.2 does not recognise: STUN/MS-TURN framed over
 * TCP 443 and RTP over TCP with RFC 4571 framing.
 *
 * Every check is a pure function of one packet's L4 payload and reads only
 * p[0..len). They are deliberately strict: a false "confirmed" in an audit
 * is worse than an honest "port only". */
#ifndef EA_PAYLOAD_CHECK_H
#define EA_PAYLOAD_CHECK_H

#include <stdbool.h>
#include <stdint.h>

/* A check confirms one protocol from one packet's L4 payload. transport is
 * the IP protocol number: 6 (TCP) or 17 (UDP); anything else never
 * matches. */
typedef bool (*ea_payload_check_fn)(const uint8_t *payload, uint32_t len, uint8_t transport);

typedef struct {
	const char *protocol;      /* the nDPI name it confirms: "STUN", "RTP" */
	ea_payload_check_fn check;
} ea_payload_check;

/* The check for that protocol name (case-insensitive), or NULL when we
 * have none. The result points to static constant data. */
const ea_payload_check *ea_payload_check_for(const char *protocol);

/* STUN (RFC 5389/8489), classic STUN / MS-TURN (RFC 3489), TURN
 * ChannelData (RFC 8656), and on TCP also RFC 4571 length-prefixed STUN. */
bool ea_payload_is_stun(const uint8_t *p, uint32_t len, uint8_t transport);

/* RTP (RFC 3550) on UDP; on TCP only with RFC 4571 length framing. */
bool ea_payload_is_rtp(const uint8_t *p, uint32_t len, uint8_t transport);

#endif
