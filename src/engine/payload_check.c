/* payload_check.c — STUN/TURN and RTP recognised from one packet's payload.
 *
 * Pipeline position: called by the classifier (classify.c) for flows nDPI
 * 4.2 leaves unconfirmed. See payload_check.h for why these exist.
 *
 * Formats:
 *  - STUN, RFC 8489 (was RFC 5389): a 20-byte header whose first two bits
 *    are zero, a length that is a multiple of 4, the magic cookie
 *    0x2112A442 at offset 4.
 *  - Classic STUN (RFC 3489) has no cookie, and Microsoft's TURN
 *    ([MS-TURN] 2.2.1, built on a STUN draft that did not pad attributes)
 *    may send lengths that are not a multiple of 4, cookie or not. Those
 *    are accepted only for the message types the two documents define and
 *    only when the message fills its datagram or frame exactly.
 *  - TURN ChannelData, RFC 8656 §12.4: channel 0x4000-0x7FFF (the
 *    RFC 5766 range, which older servers still use), a length, the data.
 *  - [MS-TURN] multiplexed TURN: channel 0xFF10, a length, an 8-byte
 *    session id, then the relayed STUN or RTP packet.
 *  - RTP, RFC 3550 §5.1, with the payload types of RFC 3551 §6.
 *  - RTCP, RFC 3550 §6.4: the first packet of a compound (SRTCP too).
 *  - DTLS, RFC 6347 §4.1: whole records filling a datagram.
 *  - TLS, RFC 8446 §5.1: the header of a record carrying a ClientHello or
 *    ServerHello, which a capture's snap length leaves.
 *
 * TCP framings:
 *  - bare STUN and ChannelData back to back, each self-delimiting
 *    (RFC 8656 §12.5; ChannelData is padded to 4 bytes on TCP);
 *  - the RFC 4571 2-byte length prefix (ICE-TCP, RFC 6544);
 *  - the [MS-TURN] 2.1.4 header Lync uses on TCP 443: type (0x02 TURN
 *    control, 0x03 end-to-end data), a zero byte, a 2-byte length.
 * A TCP segment is judged by the message or frame it starts with, which
 * must be whole in the segment; a segment that starts mid-message cannot
 * be told from noise and simply does not confirm anything.
 *
 * Every byte is read through an ea_cursor (cursor.h): a header is read
 * straight through and the sticky error checked once, so nothing outside
 * p[0..len) is ever touched, whatever the length fields claim. */
#include "engine/payload_check.h"

#include <stddef.h>
#include <strings.h>

#include "util/cursor.h"
#include "util/ipproto.h"


#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_TRANSACTION_REST 12u /* the transaction id after the cookie's 4 bytes */
#define CHANNEL_HEADER_LEN 4u
#define CHANNEL_MIN 0x4000u
#define CHANNEL_MAX 0x7FFFu
#define MSTURN_MUX_CHANNEL 0xFF10u
#define MSTURN_MUX_SESSION_LEN 8u
#define MSTURN_CONTROL 0x02u
#define MSTURN_DATA 0x03u
#define RTP_FIXED_REST 10u /* sequence, timestamp, SSRC after the first two bytes */
#define RTP_VERSION 2u

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

/* The message types RFC 3489 §11.1 (Binding; Shared Secret is never seen
 * on the wire we audit) and [MS-TURN] 2.2.1 define. Without the cookie,
 * or with an unaligned length, the type is what separates STUN from
 * noise, so nothing else counts. */
static bool legacy_stun_type(uint16_t type)
{
	switch (type) {
	case 0x0001: /* Binding request */
	case 0x0101: /* Binding response */
	case 0x0111: /* Binding error response */
	case 0x0003: /* Allocate request */
	case 0x0103: /* Allocate response */
	case 0x0113: /* Allocate error response */
	case 0x0004: /* Send request */
	case 0x0115: /* Data indication */
	case 0x0006: /* Set Active Destination request */
	case 0x0106: /* Set Active Destination response */
	case 0x0116: /* Set Active Destination error response */
		return true;
	default:
		return false;
	}
}

/* The length of the STUN message that starts p[0..len), or 0 when none
 * does. A standard message (cookie, aligned length) may be followed by
 * more bytes; a legacy one must end exactly at len. */
static uint32_t stun_message_len(const uint8_t *p, uint32_t len)
{
	ea_cursor c = ea_cursor_make(p, len);
	uint16_t type = ea_cursor_be16(&c);
	uint16_t mlen = ea_cursor_be16(&c);
	uint32_t cookie = ea_cursor_be32(&c); /* the id's first word, before RFC 5389 */
	ea_cursor_skip(&c, STUN_TRANSACTION_REST);
	ea_cursor_skip(&c, mlen); /* the attributes must all be here */
	if (c.err || (type & 0xC000u) != 0)
		return 0;
	uint32_t total = (uint32_t)c.off;
	if (cookie == STUN_MAGIC_COOKIE && mlen % 4 == 0)
		return total;
	return total == len && legacy_stun_type(type) ? total : 0;
}

/* p[0..len) is exactly one STUN message. */
static bool stun_fills(const uint8_t *p, uint32_t len)
{
	return len > 0 && stun_message_len(p, len) == len;
}

/* The length of the ChannelData message that starts p[0..len), padding
 * included when padded is set (TCP), or 0. */
static uint32_t channel_data_len(const uint8_t *p, uint32_t len, bool padded)
{
	ea_cursor c = ea_cursor_make(p, len);
	uint16_t channel = ea_cursor_be16(&c);
	uint16_t dlen = ea_cursor_be16(&c);
	ea_cursor_skip(&c, padded ? pad4(dlen) : dlen);
	if (c.err || channel < CHANNEL_MIN || channel > CHANNEL_MAX)
		return 0;
	return (uint32_t)c.off;
}

/* A datagram that is one ChannelData message; the padding to 4 bytes is
 * optional on UDP (RFC 8656 §12.5). */
static bool channel_datagram(const uint8_t *p, uint32_t len)
{
	uint32_t total = channel_data_len(p, len, false);
	return total > 0 && (len == total || len == pad4(total));
}

/* A datagram that is one [MS-TURN] multiplexed message; *inner gets the
 * relayed packet. */
static bool msturn_mux_datagram(const uint8_t *p, uint32_t len, const uint8_t **inner, uint32_t *inner_len)
{
	ea_cursor c = ea_cursor_make(p, len);
	uint16_t channel = ea_cursor_be16(&c);
	uint16_t flen = ea_cursor_be16(&c);
	ea_cursor_skip(&c, MSTURN_MUX_SESSION_LEN);
	if (c.err || channel != MSTURN_MUX_CHANNEL || flen != len - CHANNEL_HEADER_LEN)
		return false;
	*inner = ea_cursor_here(&c);
	*inner_len = (uint32_t)ea_cursor_remaining(&c);
	return true;
}

/* A TCP segment that is nothing but whole STUN and ChannelData messages,
 * back to back, ending exactly at len. A segment that opens with a
 * standard STUN message needs no more than that; one that opens with
 * ChannelData has only a channel number and a length to show, which the
 * middle of a TLS record matches often enough, so then the whole segment
 * must parse. Each step consumes at least 4 bytes, so the walk ends. */
static bool turn_stream(const uint8_t *p, uint32_t len)
{
	if (stun_message_len(p, len) > 0)
		return true;
	ea_cursor c = ea_cursor_make(p, len);
	while (ea_cursor_remaining(&c) > 0) {
		const uint8_t *q = ea_cursor_here(&c);
		uint32_t rest = (uint32_t)ea_cursor_remaining(&c);
		uint32_t n = channel_data_len(q, rest, true);
		if (n == 0)
			n = stun_message_len(q, rest);
		if (n == 0)
			return false;
		ea_cursor_skip(&c, n);
	}
	return len > 0 && !c.err;
}

/* The region an RFC 4571 length prefix announces, when the whole frame
 * is in this segment. */
static bool rfc4571_frame(const uint8_t *p, uint32_t len, const uint8_t **inner, uint32_t *inner_len)
{
	ea_cursor c = ea_cursor_make(p, len);
	uint16_t flen = ea_cursor_be16(&c);
	const uint8_t *body = ea_cursor_ptr(&c, flen);
	if (!body)
		return false;
	*inner = body;
	*inner_len = flen;
	return true;
}

/* The region an [MS-TURN] 2.1.4 framing header announces, when the whole
 * frame is in this segment; *type gets the frame type. */
static bool msturn_frame(const uint8_t *p, uint32_t len, uint8_t *type, const uint8_t **inner,
			 uint32_t *inner_len)
{
	ea_cursor c = ea_cursor_make(p, len);
	uint8_t ftype = ea_cursor_u8(&c);
	uint8_t reserved = ea_cursor_u8(&c);
	uint16_t flen = ea_cursor_be16(&c);
	const uint8_t *body = ea_cursor_ptr(&c, flen);
	if (!body || (ftype != MSTURN_CONTROL && ftype != MSTURN_DATA) || reserved != 0)
		return false;
	*type = ftype;
	*inner = body;
	*inner_len = flen;
	return true;
}

bool ea_payload_is_stun(const uint8_t *p, uint32_t len, uint8_t transport)
{
	const uint8_t *in;
	uint32_t in_len;
	uint8_t type;

	if (!p)
		return false;
	if (transport == EA_IPPROTO_UDP)
		return stun_fills(p, len) || channel_datagram(p, len) ||
		       (msturn_mux_datagram(p, len, &in, &in_len) && stun_fills(in, in_len));
	if (transport != EA_IPPROTO_TCP)
		return false;

	if (turn_stream(p, len))
		return true;
	if (rfc4571_frame(p, len, &in, &in_len) && stun_fills(in, in_len))
		return true;
	/* Both MS-TURN frame types may carry STUN: control frames the TURN
	 * messages, data frames the peers' own connectivity checks. */
	return msturn_frame(p, len, &type, &in, &in_len) && stun_fills(in, in_len);
}

/* Payload types RFC 3551 §6 assigns, plus the dynamic range 96-127.
 * Reserved and unassigned values (1, 2, 19-24, 27, 29, 30, 35-95) do not
 * occur in real media. Leaving out 64-95 is also what keeps RTCP out:
 * its packet types 192-223 (SR 200, RR 201, ...) sit in the second byte
 * exactly where an RTP marker bit and payload type 64-95 would
 * (RFC 5761 §4). */
static bool rtp_payload_type(unsigned pt)
{
	if (pt >= 96 && pt <= 127)
		return true;
	switch (pt) {
	case 0:
	case 3: case 4: case 5: case 6: case 7: case 8: case 9: case 10:
	case 11: case 12: case 13: case 14: case 15: case 16: case 17: case 18:
	case 25: case 26: case 28:
	case 31: case 32: case 33: case 34:
		return true;
	default:
		return false;
	}
}

/* An RTP packet occupying p[0..len): version 2, a payload type in use,
 * and the CSRC list and any header extension inside len. The padding bit
 * is not checked: in SRTP the authentication tag follows the padding, so
 * the last byte is not the padding count. */
static bool rtp_packet(const uint8_t *p, uint32_t len)
{
	ea_cursor c = ea_cursor_make(p, len);
	uint8_t b0 = ea_cursor_u8(&c);
	uint8_t b1 = ea_cursor_u8(&c);
	ea_cursor_skip(&c, RTP_FIXED_REST);
	ea_cursor_skip(&c, 4u * (b0 & 0x0Fu)); /* CSRC list */
	if (b0 & 0x10u) {                       /* header extension */
		ea_cursor_skip(&c, 2);          /* profile-defined */
		uint16_t words = ea_cursor_be16(&c);
		ea_cursor_skip(&c, 4u * words);
	}
	return !c.err && (b0 >> 6) == RTP_VERSION && rtp_payload_type(b1 & 0x7Fu);
}

bool ea_payload_is_rtp(const uint8_t *p, uint32_t len, uint8_t transport)
{
	const uint8_t *in;
	uint32_t in_len;
	uint8_t type;

	if (!p)
		return false;
	if (transport == EA_IPPROTO_UDP)
		return rtp_packet(p, len) ||
		       (msturn_mux_datagram(p, len, &in, &in_len) && rtp_packet(in, in_len));
	if (transport != EA_IPPROTO_TCP)
		return false;

	/* A TCP stream has no packet boundaries of its own, so RTP on TCP is
	 * recognised only inside a frame that says where the packet ends. */
	if (rfc4571_frame(p, len, &in, &in_len) && rtp_packet(in, in_len))
		return true;
	return msturn_frame(p, len, &type, &in, &in_len) && type == MSTURN_DATA &&
	       rtp_packet(in, in_len);
}

/* RTCP (RFC 3550 §6.4-6.7, RFC 4585 §6.1, RFC 3611 §2): the first packet
 * of a compound — version 2, a packet type from SR (200) to XR (207), a
 * report count that fits SR's and RR's sizes, and a length field that
 * stays inside the datagram or frame. Only the first packet is read: in
 * SRTCP (RFC 3711 §3.4) everything after its first eight bytes is
 * encrypted and an index and tag follow. */
#define RTCP_PT_SR 200u
#define RTCP_PT_RR 201u
#define RTCP_PT_LAST 207u      /* XR */
#define RTCP_HEADER_LEN 8u     /* first word and the sender's SSRC */
#define RTCP_SR_INFO 20u       /* NTP and RTP timestamps, packet and octet counts */
#define RTCP_REPORT_BLOCK 24u

static bool rtcp_packet(const uint8_t *p, uint32_t len)
{
	ea_cursor c = ea_cursor_make(p, len);
	uint8_t b0 = ea_cursor_u8(&c);
	uint8_t pt = ea_cursor_u8(&c);
	uint16_t words = ea_cursor_be16(&c);
	ea_cursor_skip(&c, 4); /* SSRC */
	if (c.err || (b0 >> 6) != RTP_VERSION || pt < RTCP_PT_SR || pt > RTCP_PT_LAST)
		return false;
	uint32_t plen = 4u * ((uint32_t)words + 1u);
	uint32_t count = b0 & 0x1Fu;
	uint32_t need = RTCP_HEADER_LEN;
	if (pt == RTCP_PT_SR)
		need += RTCP_SR_INFO + count * RTCP_REPORT_BLOCK;
	else if (pt == RTCP_PT_RR)
		need += count * RTCP_REPORT_BLOCK;
	return plen >= need && plen <= len;
}

bool ea_payload_is_rtcp(const uint8_t *p, uint32_t len, uint8_t transport)
{
	const uint8_t *in;
	uint32_t in_len;

	if (!p)
		return false;
	if (transport == EA_IPPROTO_UDP)
		return rtcp_packet(p, len);
	/* On TCP only inside an RFC 4571 frame, like RTP. */
	return transport == EA_IPPROTO_TCP && rfc4571_frame(p, len, &in, &in_len) && rtcp_packet(in, in_len);
}

/* DTLS 1.0 and 1.2 (RFC 6347 §4.1; DTLS 1.3 keeps this header for its
 * plaintext records, RFC 9147 §4): a datagram of whole records, each a
 * content type from change_cipher_spec (20) to tls12_cid (25), version
 * 254.255 or 254.253, epoch, 48-bit sequence number and a length, back to
 * back up to the datagram's end. Each record is at least its 13-byte
 * header, so the walk ends. */
#define DTLS_TYPE_FIRST 20u
#define DTLS_TYPE_LAST 25u
#define DTLS_MAJOR 254u
#define DTLS_MINOR_1_0 255u
#define DTLS_MINOR_1_2 253u
#define DTLS_EPOCH_SEQ_LEN 8u

bool ea_payload_is_dtls(const uint8_t *p, uint32_t len, uint8_t transport)
{
	if (!p || transport != EA_IPPROTO_UDP || len == 0)
		return false;
	ea_cursor c = ea_cursor_make(p, len);
	while (ea_cursor_remaining(&c) > 0) {
		uint8_t type = ea_cursor_u8(&c);
		uint8_t major = ea_cursor_u8(&c);
		uint8_t minor = ea_cursor_u8(&c);
		ea_cursor_skip(&c, DTLS_EPOCH_SEQ_LEN);
		uint16_t rlen = ea_cursor_be16(&c);
		ea_cursor_skip(&c, rlen);
		if (c.err || type < DTLS_TYPE_FIRST || type > DTLS_TYPE_LAST || major != DTLS_MAJOR ||
		    (minor != DTLS_MINOR_1_0 && minor != DTLS_MINOR_1_2) || rlen == 0)
			return false;
	}
	return true;
}

/* TLS (RFC 8446 §5.1 and §4, RFC 5246 §6.2.1 and §7.4; SSL 3.0 and TLS
 * 1.0-1.3 share the layout): a segment that opens with a handshake record
 * (content type 22, version 3.x, a length a record may have) whose first
 * message is a ClientHello or ServerHello with a 3.x version of its own.
 * Eleven bytes, so the first bytes of a packet a snap length cut still
 * show it; application data records are left to nDPI, as their header
 * alone (5 bytes) is too little to tell from noise. */
#define TLS_CONTENT_HANDSHAKE 22u
#define TLS_MAJOR 3u
#define TLS_MINOR_MAX 4u           /* 3.4 is the highest a TLS 1.3 stack sends */
#define TLS_RECORD_MAX (16384u + 2048u) /* RFC 5246 §6.2.3: a TLSCiphertext's limit */
#define TLS_CLIENT_HELLO 1u
#define TLS_SERVER_HELLO 2u
#define TLS_HELLO_MIN 38u          /* version, random, and the shortest session id and rest */

bool ea_payload_is_tls(const uint8_t *p, uint32_t len, uint8_t transport)
{
	if (!p || transport != EA_IPPROTO_TCP)
		return false;
	ea_cursor c = ea_cursor_make(p, len);
	uint8_t type = ea_cursor_u8(&c);
	uint8_t major = ea_cursor_u8(&c);
	uint8_t minor = ea_cursor_u8(&c);
	uint16_t rlen = ea_cursor_be16(&c);
	uint8_t hs_type = ea_cursor_u8(&c);
	uint8_t hl_hi = ea_cursor_u8(&c);
	uint16_t hl_lo = ea_cursor_be16(&c);
	uint8_t hs_major = ea_cursor_u8(&c);
	uint8_t hs_minor = ea_cursor_u8(&c);
	uint32_t hs_len = ((uint32_t)hl_hi << 16) | hl_lo;
	return !c.err && type == TLS_CONTENT_HANDSHAKE && major == TLS_MAJOR && minor <= TLS_MINOR_MAX &&
	       rlen >= 4 + TLS_HELLO_MIN && rlen <= TLS_RECORD_MAX &&
	       (hs_type == TLS_CLIENT_HELLO || hs_type == TLS_SERVER_HELLO) && hs_len >= TLS_HELLO_MIN &&
	       hs_major == TLS_MAJOR && hs_minor <= TLS_MINOR_MAX;
}

static const ea_payload_check checks[] = {
	/* The magic cookie or an exact length makes one STUN message enough;
	 * one RTP header is weak evidence (see payload_check.h), so RTP needs
	 * several, and most of what the flow carried. */
	{"STUN", ea_payload_is_stun, 1},
	{"RTP", ea_payload_is_rtp, 3},
	/* Eleven structured bytes: one hello is enough. */
	{"TLS", ea_payload_is_tls, 1},
	/* A packet type among eight of 256 with a consistent length, and
	 * whole DTLS records to the datagram's last byte: one is enough. */
	{"RTCP", ea_payload_is_rtcp, 1},
	{"DTLS", ea_payload_is_dtls, 1},
};

const ea_payload_check *ea_payload_check_for(const char *protocol)
{
	if (!protocol)
		return NULL;
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
		if (strcasecmp(protocol, checks[i].protocol) == 0)
			return &checks[i];
	return NULL;
}
