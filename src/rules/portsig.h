/* portsig.h — port signatures: transport + port or range → the application
 * protocols expected there (signatures/ports.sig).
 *
 *   [ports]
 *   tcp/443 = TLS, STUN
 *   udp/50000-59999 = RTP, RTCP, STUN, DTLS
 *
 * The first protocol is the one assumed when nothing confirms any; a
 * confirmed protocol not listed is "not expected on that port". Entries of
 * one transport must not overlap. Also tells which ports are well known,
 * for direction inference. */
#ifndef EA_PORTSIG_H
#define EA_PORTSIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "util/ea_limits.h"
#include "rules/matrix.h"

typedef struct {
	uint8_t transport;
	uint16_t lo, hi;
	char protocols[EA_MAX_PROTOCOLS_PER_ENTRY][EA_NAME_MAX];
	unsigned n_protocols;
	unsigned line;
} ea_port_sig;

typedef struct {
	ea_port_sig *sigs;  /* owned, sorted by (transport, lo) */
	unsigned n;
} ea_portsigs;

ea_status ea_portsigs_load(FILE *f, const char *file_name, ea_portsigs *ps,
			   char *errbuf, size_t errlen);
/* ea_portsigs_load, with protocol names checked (textparse.h); checks may
 * be NULL. */
ea_status ea_portsigs_load_checked(FILE *f, const char *file_name, const ea_load_checks *checks,
				   ea_portsigs *ps, char *errbuf, size_t errlen);
void ea_portsigs_free(ea_portsigs *ps);

/* The signature covering transport/port, or NULL. O(log n). */
const ea_port_sig *ea_portsigs_lookup(const ea_portsigs *ps, uint8_t transport, uint16_t port);
/* True when every port lo..hi of transport has a signature listing one
 * of protocols[0..n) (case-insensitive); else false and why names the
 * first port that has none, or whose signature shares no protocol. The
 * shape of ea_load_checks.ports_covered. */
bool ea_portsigs_cover(const ea_portsigs *ps, uint8_t transport, uint16_t lo, uint16_t hi,
		       const char *const *protocols, unsigned n, char *why, size_t whylen);
/* True when name (case-insensitive) is among sig's protocols. */
bool ea_port_sig_has(const ea_port_sig *sig, const char *name);

#endif
