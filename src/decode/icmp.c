/* icmp.c — ICMP and ICMPv6 type names; see icmp.h. */
#include "decode/icmp.h"
#include "util/ipproto.h"

#include <stdbool.h>
#include <stdio.h>

const char *ea_icmp_type_name(uint8_t proto, unsigned type)
{
	if (proto == EA_IPPROTO_ICMP) {
		switch (type) {
		case 0: return "echo reply";
		case 3: return "destination unreachable";
		case 4: return "source quench";
		case 5: return "redirect";
		case 8: return "echo request";
		case 9: return "router advertisement";
		case 10: return "router solicitation";
		case 11: return "time exceeded";
		case 12: return "parameter problem";
		case 13: return "timestamp request";
		case 14: return "timestamp reply";
		case 15: return "information request";
		case 16: return "information reply";
		case 17: return "address mask request";
		case 18: return "address mask reply";
		case 30: return "traceroute";
		case 42: return "extended echo request";
		case 43: return "extended echo reply";
		}
		return NULL;
	}
	if (proto == EA_IPPROTO_ICMPV6) {
		switch (type) {
		case 1: return "destination unreachable";
		case 2: return "packet too big";
		case 3: return "time exceeded";
		case 4: return "parameter problem";
		case 128: return "echo request";
		case 129: return "echo reply";
		case 130: return "multicast listener query";
		case 131: return "multicast listener report";
		case 132: return "multicast listener done";
		case 133: return "router solicitation";
		case 134: return "router advertisement";
		case 135: return "neighbor solicitation";
		case 136: return "neighbor advertisement";
		case 137: return "redirect";
		case 138: return "router renumbering";
		case 139: return "node information query";
		case 140: return "node information reply";
		case 141: return "inverse neighbor discovery solicitation";
		case 142: return "inverse neighbor discovery advertisement";
		case 143: return "multicast listener report v2";
		case 144: return "home agent address discovery request";
		case 145: return "home agent address discovery reply";
		case 146: return "mobile prefix solicitation";
		case 147: return "mobile prefix advertisement";
		case 151: return "multicast router advertisement";
		case 152: return "multicast router solicitation";
		case 153: return "multicast router termination";
		case 155: return "RPL control message";
		case 160: return "extended echo request";
		case 161: return "extended echo reply";
		}
		return NULL;
	}
	return NULL;
}

/* The pairs of the Community ID reference implementations (community-id.py,
 * pycommunityid's icmp.py and icmp6.py), as the decoder uses them. */
int ea_icmp_counterpart(uint8_t proto, unsigned type)
{
	static const unsigned v4[][2] = {{0, 8}, {9, 10}, {13, 14}, {15, 16}, {17, 18}};
	static const unsigned v6[][2] = {{128, 129}, {130, 131}, {133, 134}, {135, 136}, {139, 140}, {144, 145}};
	const unsigned(*pairs)[2] = proto == EA_IPPROTO_ICMP ? v4 : proto == EA_IPPROTO_ICMPV6 ? v6 : NULL;
	size_t n = proto == EA_IPPROTO_ICMP ? sizeof v4 / sizeof v4[0] : sizeof v6 / sizeof v6[0];
	for (size_t i = 0; pairs && i < n; i++) {
		if (pairs[i][0] == type)
			return (int)pairs[i][1];
		if (pairs[i][1] == type)
			return (int)pairs[i][0];
	}
	return -1;
}

const char *ea_icmp_describe(uint8_t proto, unsigned init_port, unsigned resp_port, char *buf,
			     size_t len)
{
	const char *name = ea_icmp_type_name(proto, init_port);
	bool paired = ea_icmp_counterpart(proto, init_port) >= 0;
	if (name && paired)
		snprintf(buf, len, "%s (type %u)", name, init_port);
	else if (name)
		snprintf(buf, len, "%s (type %u, code %u)", name, init_port, resp_port);
	else
		snprintf(buf, len, "type %u (code %u)", init_port, resp_port);
	return buf;
}
