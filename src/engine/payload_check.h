/* payload_check.h — our own small payload checks, for traffic nDPI misses.
 *
 * Pipeline position: classify → here. When nDPI 4.2 has no DPI verdict for
 * a flow and the port signature expects a protocol we have a check for,
 * the classifier asks the check about each payload; enough hits (see
 * hits_needed) confirm the protocol (EA_PROTO_SRC_PAYLOAD). The checks exist for rows of the Lync
 * port matrix that nDPI 4.2 does not recognise: STUN/MS-TURN framed over
 * TCP 443 and RTP over TCP with RFC 4571 framing; and for TLS hellos that
 * a capture's snap length cut, which nDPI cannot finish parsing.
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
	/* Payloads that must pass before the protocol counts as confirmed;
	 * above 1, they must also be most of the payloads checked. */
	uint8_t hits_needed;
} ea_payload_check;

/* The check for that protocol name (case-insensitive), or NULL when we
 * have none. The result points to static constant data. */
const ea_payload_check *ea_payload_check_for(const char *protocol);

/* STUN (RFC 8489/5389), classic STUN (RFC 3489) and MS-TURN, TURN
 * ChannelData (RFC 8656) and MS-TURN multiplexed messages; on TCP bare,
 * behind an RFC 4571 length prefix, or inside an [MS-TURN] 2.1.4 frame.
 * Agrees with Wireshark on every shared capture. */
bool ea_payload_is_stun(const uint8_t *p, uint32_t len, uint8_t transport);

/* RTP (RFC 3550): on UDP bare or MS-TURN multiplexed; on TCP only inside
 * an RFC 4571 frame or an [MS-TURN] end-to-end data frame. On UDP this is
 * a plausibility check of one 12-byte header and nothing more: about one
 * random datagram in ten passes, and so does a DNS message whose id
 * starts with binary 10 (DNS over TCP likewise, its length prefix being
 * RFC 4571's). Rely on it only where the port already says RTP. */
bool ea_payload_is_rtp(const uint8_t *p, uint32_t len, uint8_t transport);

/* RTCP (RFC 3550 §6.4): the first packet of a compound, SRTCP included
 * (only its clear first eight bytes and length are read); on TCP inside an
 * RFC 4571 frame. The media range's other protocol besides RTP and STUN,
 * so that direction.c can tell media from something else there. */
bool ea_payload_is_rtcp(const uint8_t *p, uint32_t len, uint8_t transport);

/* DTLS 1.0/1.2 (RFC 6347 §4.1): a UDP datagram of whole records. */
bool ea_payload_is_dtls(const uint8_t *p, uint32_t len, uint8_t transport);

/* TLS (RFC 8446 §5.1, RFC 5246 §6.2.1): a TCP segment opening with a
 * handshake record whose first message is a ClientHello or ServerHello;
 * only the first 11 bytes are read, so a packet cut by a snap length still
 * shows it. Tells TLS from plaintext on a TLS port when nDPI, which needs
 * the whole hello, cannot. Never on UDP (DTLS differs). */
bool ea_payload_is_tls(const uint8_t *p, uint32_t len, uint8_t transport);

#endif
