/* findings.c — one RFC 5424 line per finding, rate-limited per group;
 * see findings.h. */
#include "report/findings.h"

#include <stdlib.h>
#include <string.h>

#include "util/addr.h"
#include "util/ea_limits.h"
#include "util/escape.h"
#include "util/ipproto.h"
#include "util/log.h"

struct ea_findings {
	ea_syslog *out;
	ea_log *limiter;         /* per finding group */
	ea_log *overall;         /* all groups together, behind the first */
	ea_findings_stats stats;
	const char *msgid;       /* of the finding being logged */
	int severity;
	uint64_t interval_us;
	uint64_t (*clock_us)(void *arg);
	void *clock_arg;
};

/* escape.h's wire form in quotes, the quote itself as \x22: a value that
 * a key=value parser reads back whole, whatever bytes it had. */
static const char *quoted(const char *s, char *buf, size_t size)
{
	char wire[4 * EA_SERVER_NAME_MAX + 8];
	ea_escape(s, wire, sizeof wire);
	size_t n = 0;
	buf[n++] = '"';
	for (const char *p = wire; *p && n + 6 < size; p++) {
		if (*p == '"') {
			memcpy(buf + n, "\\x22", 4);
			n += 4;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

static const char *app_protocol(const ea_flow_record *rec)
{
	return rec->app_proto[0] ? rec->app_proto : rec->master_proto[0] ? rec->master_proto : "Unknown";
}

/* The MSG of a finding named finding (a verdict's finding or a NAT
 * finding, natcheck.h). */
static void flow_message(const ea_flow_record *rec, const ea_match_result *mr, const ea_matrix *m,
			 const char *finding, char *buf, size_t size)
{
	char tbuf[4], init[EA_ADDR_STRLEN], resp[EA_ADDR_STRLEN], start[EA_TIME_TEXT_MAX],
		end[EA_TIME_TEXT_MAX], rules[EA_MAX_RULES * 8], proto[4 * EA_PROTO_NAME_MAX];
	char reason[4 * EA_REASON_TEXT_MAX + 32] = "", text[EA_REASON_TEXT_MAX];
	if (*ea_match_reason(mr, text, sizeof text)) {
		/* The site's policy made it a finding: say which decision. */
		char q[4 * EA_REASON_TEXT_MAX + 16];
		snprintf(reason, sizeof reason, " reason=%s", quoted(text, q, sizeof q));
	}
	char sports[32] = "", dports[32] = "", icmp[24] = "", name[4 * EA_SERVER_NAME_MAX + 32] = "";
	const char *transport = ea_flow_transport_name(rec->transport, tbuf);
	ea_addr_str(&rec->init_addr, init);
	ea_addr_str(&rec->resp_addr, resp);
	ea_rule_ids_text(mr, m, rules, sizeof rules);
	ea_escape(app_protocol(rec), proto, sizeof proto);
	if (ea_ipproto_has_ports(rec->transport)) {
		snprintf(sports, sizeof sports, " source.port=%u", (unsigned)rec->init_port);
		snprintf(dports, sizeof dports, " destination.port=%u", (unsigned)rec->resp_port);
	} else if (ea_ipproto_is_icmp(rec->transport)) {
		snprintf(icmp, sizeof icmp, " icmp_type=%u", (unsigned)rec->init_port);
	}
	if (rec->server_name[0]) {
		char q[4 * EA_SERVER_NAME_MAX + 16];
		snprintf(name, sizeof name, " server_name=%s", quoted(rec->server_name, q, sizeof q));
	}
	snprintf(buf, size,
		 "finding=%s verdict=%s iface=%s transport=%s source.ip=%s%s destination.ip=%s%s%s"
		 " app_protocol=%s proto_source=%s rule.id=%s conn_state=%s end_reason=%s"
		 " source.bytes=%llu destination.bytes=%llu source.packets=%llu destination.packets=%llu"
		 " event.start=%s event.end=%s network.community_id=%s%s%s",
		 finding, ea_verdict_name(mr->verdict), ea_iface_name(rec->iface), transport, init,
		 sports, resp, dports, icmp, proto, ea_proto_source_name(rec->proto_source),
		 rules[0] ? rules : "-", ea_conn_state(rec), ea_end_reason_name(rec->end_reason),
		 (unsigned long long)rec->bytes[0], (unsigned long long)rec->bytes[1],
		 (unsigned long long)rec->pkts[0], (unsigned long long)rec->pkts[1],
		 ea_time_text(rec->first_us, start), ea_time_text(rec->last_us, end),
		 rec->community_id[0] ? rec->community_id : "-", name, reason);
	if (mr->decided_by != EA_DECIDED_NONE) {
		/* Whose decision it was (the vendor's row, a local rule, the
		 * profile), as EVE's edgeaudit.decided_by. */
		size_t n = strlen(buf);
		if (n < size)
			snprintf(buf + n, size - n, " decided_by=%s", ea_decided_by_name(mr->decided_by));
	}
	if (mr->nat != EA_NAT_NONE) {
		size_t n = strlen(buf);
		if (n < size)
			snprintf(buf + n, size - n, " nat_finding=%s", ea_nat_kind_name(mr->nat));
	}
}

void ea_findings_message(const ea_flow_record *rec, const ea_match_result *mr, const ea_matrix *m,
			 ea_finding kind, char *buf, size_t size, char *key, size_t key_size)
{
	char tbuf[4], proto[4 * EA_PROTO_NAME_MAX];
	const char *transport = ea_flow_transport_name(rec->transport, tbuf);
	ea_escape(app_protocol(rec), proto, sizeof proto);
	flow_message(rec, mr, m, ea_finding_name(kind), buf, size);
	/* The report's groups: a scan of one port is one group, whoever
	 * does it; an unanswered row is one group, whichever peer tried. */
	if (kind == EA_FINDING_ATTEMPT) {
		char first[EA_NAME_MAX] = "?";
		if (mr->n_rules > 0 && m && mr->rules[0] < m->n_rules)
			snprintf(first, sizeof first, "%s", m->rules[mr->rules[0]].id);
		snprintf(key, key_size, "attempt %s", first);
	} else {
		snprintf(key, key_size, "%s %s %s/%u %s%s", ea_finding_name(kind), ea_iface_name(rec->iface),
			 transport, (unsigned)rec->resp_port, proto,
			 rec->proto_source == EA_PROTO_SRC_PORT ? "(port)" : "");
	}
}

static void send_count(ea_findings *f, ea_log_level level, const char *group, uint64_t suppressed)
{
	char msg[EA_LOG_KEY_MAX * 4 + 128], q[EA_LOG_KEY_MAX * 4 + 16];
	snprintf(msg, sizeof msg, "finding_group=%s suppressed=%llu interval_s=%llu", quoted(group, q, sizeof q),
		 (unsigned long long)suppressed, (unsigned long long)(f->interval_us / 1000000u));
	f->stats.unsent += !ea_syslog_send(f->out, (int)level, "suppressed", msg);
}

/* The overall limiter's output: a finding's line goes out, or the count
 * of lines it held back. */
static void write_out(void *arg, ea_log_level level, const char *key, uint64_t suppressed, const char *line)
{
	ea_findings *f = arg;
	if (suppressed) {
		send_count(f, level, key ? key : "", suppressed);
		return;
	}
	f->stats.logged++;
	f->stats.unsent += !ea_syslog_send(f->out, f->severity, f->msgid, line);
}

/* The group limiter's output: a group's count goes out; a finding's line
 * goes on to the overall limit. */
static void write_group(void *arg, ea_log_level level, const char *key, uint64_t suppressed, const char *line)
{
	ea_findings *f = arg;
	if (suppressed)
		send_count(f, level, key ? key : "", suppressed);
	else
		ea_log_msg(f->overall, level, EA_FINDINGS_ALL_GROUPS, "%s", line);
}

ea_status ea_findings_open(const ea_findings_options *opt, ea_findings **out, char *errbuf, size_t errlen)
{
	ea_findings *f = calloc(1, sizeof *f);
	if (!f)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	f->interval_us = opt->interval_us ? opt->interval_us : EA_FINDINGS_INTERVAL_US;
	ea_syslog_options so = {.facility = opt->facility, .app_name = "edgeaudit", .hostname = opt->hostname,
				.stream = opt->stream, .clock_us = opt->wall_clock_us, .clock_arg = opt->clock_arg};
	ea_status st = ea_syslog_open(&opt->target, &so, &f->out, errbuf, errlen);
	if (st != EA_OK)
		goto fail;
	ea_log_options lo = {.sink = EA_LOG_TO_WRITER, .writer = write_group, .writer_arg = f,
			     .max_level = EA_LOG_DEBUG,
			     .burst = opt->burst ? opt->burst : EA_FINDINGS_BURST, .interval_us = f->interval_us,
			     .clock_us = opt->clock_us, .clock_arg = opt->clock_arg};
	st = ea_log_new(&lo, &f->limiter, errbuf, errlen);
	if (st != EA_OK)
		goto fail;
	/* A scan of many ports is many groups of one finding each: the
	 * overall limit bounds what it sends. */
	lo.writer = write_out;
	lo.burst = opt->overall_burst ? opt->overall_burst : EA_FINDINGS_OVERALL_BURST;
	st = ea_log_new(&lo, &f->overall, errbuf, errlen);
	if (st != EA_OK)
		goto fail;
	*out = f;
	return EA_OK;
fail:
	ea_findings_close(f);
	return st;
}

void ea_findings_nat_message(const ea_flow_record *rec, const ea_match_result *mr, const ea_matrix *m,
			     char *buf, size_t size, char *key, size_t key_size)
{
	char init[EA_ADDR_STRLEN], resp[EA_ADDR_STRLEN];
	flow_message(rec, mr, m, ea_nat_kind_name(mr->nat), buf, size);
	/* One group per rewritten source and Edge address: the NAT's one
	 * address stands for every caller it hid. */
	snprintf(key, key_size, "%s %s -> %s", ea_nat_kind_name(mr->nat), ea_addr_str(&rec->init_addr, init),
		 ea_addr_str(&rec->resp_addr, resp));
}

ea_finding ea_findings_flow(ea_findings *f, const ea_flow_record *rec, const ea_match_result *mr,
			    const ea_matrix *m)
{
	ea_finding kind = ea_finding_of(rec, mr);
	/* A NAT finding is a line of its own, beside the verdict's. */
	if (f && mr->nat != EA_NAT_NONE && !rec->reported_before) {
		char msg[EA_LOG_LINE_MAX], key[EA_LOG_KEY_MAX + 1];
		ea_findings_nat_message(rec, mr, m, msg, sizeof msg, key, sizeof key);
		f->stats.findings++;
		f->severity = EA_LOG_WARNING;
		f->msgid = ea_nat_kind_name(mr->nat);
		ea_log_msg(f->limiter, (ea_log_level)f->severity, key, "%s", msg);
	}
	/* Once per flow, on its first record: a flow updated every active
	 * timeout for days would otherwise repeat its finding each minute
	 * and drown the rate limits. */
	if (!f || kind == EA_FINDING_NONE || rec->reported_before)
		return kind;
	char msg[EA_LOG_LINE_MAX], key[EA_LOG_KEY_MAX + 1];
	ea_findings_message(rec, mr, m, kind, msg, sizeof msg, key, sizeof key);
	f->stats.findings++;
	/* A flow outside the documented matrix is a warning; a documented
	 * row nobody answers is a notice (a peer's problem as often as ours). */
	f->severity = kind == EA_FINDING_ATTEMPT ? EA_LOG_NOTICE : EA_LOG_WARNING;
	f->msgid = ea_finding_name(kind);
	ea_log_msg(f->limiter, (ea_log_level)f->severity, key, "%s", msg);
	return kind;
}

void ea_findings_flush(ea_findings *f)
{
	if (!f)
		return;
	ea_log_flush(f->limiter);
	ea_log_flush(f->overall);
}

ea_findings_stats ea_findings_get_stats(const ea_findings *f)
{
	ea_findings_stats s = {0};
	if (!f)
		return s;
	s = f->stats;
	s.suppressed = ea_log_suppressed(f->limiter) + ea_log_suppressed(f->overall);
	return s;
}

const char *ea_findings_warning(const ea_findings *f)
{
	return f && !ea_syslog_connected(f->out) ? ea_syslog_last_error(f->out) : "";
}

const char *ea_findings_last_error(const ea_findings *f)
{
	return f ? ea_syslog_last_error(f->out) : "";
}

void ea_findings_close(ea_findings *f)
{
	if (!f)
		return;
	/* Each flushes: the last counts go out first. */
	ea_log_free(f->limiter);
	ea_log_free(f->overall);
	ea_syslog_close(f->out);
	free(f);
}
