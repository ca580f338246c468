/* flowtext.c — the outputs' words for a flow record; see flowtext.h. */
#include "report/flowtext.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/ipproto.h"

const char *ea_flow_transport_name(uint8_t proto, char buf[4])
{
	switch (proto) {
	case EA_IPPROTO_TCP: return "tcp";
	case EA_IPPROTO_UDP: return "udp";
	case EA_IPPROTO_ICMP: return "icmp";
	case EA_IPPROTO_ICMPV6: return "icmpv6";
	case EA_IPPROTO_GRE: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case EA_IPPROTO_SCTP: return "sctp";
	}
	snprintf(buf, 4, "%u", (unsigned)proto);
	return buf;
}

const char *ea_time_text(uint64_t us, char out[EA_TIME_TEXT_MAX])
{
	time_t secs = (time_t)(us / 1000000u);
	struct tm tm;
	out[0] = '\0';
	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999)
		return out;
	/* The compiler cannot see the year's bound: format wide, copy. */
	char wide[80];
	snprintf(wide, sizeof wide, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000u));
	size_t n = strlen(wide);
	n = n < EA_TIME_TEXT_MAX ? n : EA_TIME_TEXT_MAX - 1;
	memcpy(out, wide, n);
	out[n] = '\0';
	return out;
}

ea_finding ea_finding_of(const ea_flow_record *rec, const ea_match_result *mr)
{
	switch (mr->verdict) {
	case EA_VERDICT_UNEXPECTED: return EA_FINDING_UNEXPECTED;
	case EA_VERDICT_MISMATCH: return EA_FINDING_MISMATCH;
	case EA_VERDICT_WRONG_DIRECTION: return EA_FINDING_WRONG_DIRECTION;
	case EA_VERDICT_DOCUMENTED:
	case EA_VERDICT_PORT_ONLY: return rec->attempt ? EA_FINDING_ATTEMPT : EA_FINDING_NONE;
	case EA_VERDICT_COUNT: break;
	}
	return EA_FINDING_NONE;
}

const char *ea_finding_name(ea_finding f)
{
	switch (f) {
	case EA_FINDING_NONE: return "";
	case EA_FINDING_UNEXPECTED: return "unexpected";
	case EA_FINDING_MISMATCH: return "mismatch";
	case EA_FINDING_WRONG_DIRECTION: return "wrong-direction";
	case EA_FINDING_ATTEMPT: return "attempt";
	}
	return "";
}

const char *ea_conn_state(const ea_flow_record *rec)
{
	switch (rec->handshake) {
	case EA_HS_NOT_TCP: return rec->pkts[1] > 0 ? "SF" : "S0";
	case EA_HS_NO_ANSWER: return "S0";
	case EA_HS_REJECTED: return "REJ";
	case EA_HS_MIDSTREAM: return "OTH";
	case EA_HS_ESTABLISHED:
		return rec->end_reason == EA_END_FIN ? "SF" : rec->end_reason == EA_END_RST ? "RSTO" : "S1";
	}
	return "OTH";
}

const char *ea_rule_ids_text(const ea_match_result *mr, const ea_matrix *m, char *buf, size_t size)
{
	size_t n = 0;
	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (unsigned i = 0; m && i < mr->n_rules; i++) {
		if (mr->rules[i] >= m->n_rules)
			continue;
		const char *id = m->rules[mr->rules[i]].id;
		size_t len = strlen(id), need = len + (n ? 1 : 0);
		if (n + need + 1 > size)
			break;
		if (n)
			buf[n++] = ',';
		memcpy(buf + n, id, len + 1);
		n += len;
	}
	return buf;
}
