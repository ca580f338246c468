/* eve.c — EVE / ECS JSON lines with jansson; see eve.h. */
#include "report/eve.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/flowtext.h"
#include "util/addr.h"
#include "util/escape.h"
#include "util/ipproto.h"

struct ea_eve {
	char *path;
	char observer[256];
	int fd;
	ea_eve_stats stats;
	char last_error[320];
};

/* A string member; s from the wire may be any bytes: when jansson refuses
 * it (not UTF-8) its wire form goes in instead and *escaped is set. */
static void set_text(json_t *obj, const char *key, const char *s, bool *escaped)
{
	json_t *v = json_string(s);
	if (!v) {
		char wire[4 * EA_SERVER_NAME_MAX + 8];
		v = json_string(ea_escape(s, wire, sizeof wire));
		if (escaped)
			*escaped = true;
	}
	json_object_set_new(obj, key, v);
}

static void set_int(json_t *obj, const char *key, uint64_t v)
{
	json_object_set_new(obj, key, json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
}

/* obj[key], created as an empty object when absent. */
static json_t *child(json_t *obj, const char *key)
{
	json_t *c = json_object_get(obj, key);
	if (!c) {
		c = json_object();
		json_object_set_new(obj, key, c);
	}
	return c;
}

static void lower(const char *s, char *out, size_t size)
{
	size_t n = 0;
	for (; s[n] && n + 1 < size; n++)
		out[n] = (char)tolower((unsigned char)s[n]);
	out[n] = '\0';
}

static bool same(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* Where the name sits in ECS: the TLS/QUIC SNI and the HTTP Host name
 * the server (destination.domain); a DNS query name is the question's. */
static void set_server_name(json_t *root, const ea_flow_record *rec, json_t *ours)
{
	if (!rec->server_name[0])
		return;
	bool escaped = false;
	set_text(ours, "server_name", rec->server_name, &escaped);
	json_t *name = json_object_get(ours, "server_name");
	const char *m = rec->master_proto, *a = rec->app_proto;
	bool tls = same(m, "TLS") || same(m, "DTLS") || same(m, "QUIC") || same(a, "TLS") || same(a, "QUIC");
	bool http = same(m, "HTTP") || same(a, "HTTP");
	bool dns = same(m, "DNS") || same(a, "DNS") || same(m, "MDNS") || same(m, "LLMNR");
	if (tls)
		json_object_set(child(child(root, "tls"), "client"), "server_name", name);
	if (tls || http)
		json_object_set(child(root, "destination"), "domain", name);
	if (dns)
		json_object_set(child(child(root, "dns"), "question"), "name", name);
	if (escaped)
		json_object_set_new(ours, "server_name_escaped", json_true());
}

/* ICMP errors that quote the flow (engine/icmp_attach.h; counted in its
 * packets and bytes too), or the mark of an ICMP error flow whose quoted
 * flow was not open. Absent when neither, as in the database's 0/NULL. */
static void set_icmp_errors(json_t *ours, const ea_flow_record *rec)
{
	if (rec->icmp_errors) {
		set_int(ours, "icmp_errors", rec->icmp_errors);
		set_int(ours, "icmp_last_type", rec->icmp_last_type);
		set_int(ours, "icmp_last_code", rec->icmp_last_code);
	}
	if (rec->icmp_orphan)
		json_object_set_new(ours, "icmp_orphan", json_true());
}

static json_t *build(const ea_flow_record *rec, const ea_match_result *mr, const ea_matrix *m,
		     const char *observer)
{
	json_t *root = json_object();
	if (!root)
		return NULL;
	char start[EA_TIME_TEXT_MAX], end[EA_TIME_TEXT_MAX], tbuf[4], num[8];
	char init[EA_ADDR_STRLEN], resp[EA_ADDR_STRLEN], proto_lc[EA_PROTO_NAME_MAX];
	ea_time_text(rec->first_us, start);
	ea_time_text(rec->last_us, end);
	ea_finding finding = ea_finding_of(rec, mr);
	/* The engine's periodic update of an open flow ("active"): the flow
	 * goes on, so it is an "info" event, not a connection's end. */
	bool update = strcmp(ea_end_reason_name(rec->end_reason), "active") == 0;
	bool ports = ea_ipproto_has_ports(rec->transport);
	const char *app = rec->app_proto[0] ? rec->app_proto : rec->master_proto[0] ? rec->master_proto : "Unknown";
	bool known = !same(rec->master_proto[0] ? rec->master_proto : app, "Unknown");
	lower(rec->master_proto[0] ? rec->master_proto : app, proto_lc, sizeof proto_lc);

	set_text(root, "timestamp", end, NULL);
	set_text(root, "event_type", "flow", NULL);
	/* Suricata's flow_id: the same number on every update of a flow and
	 * on its end, so a SIEM joins them (unique within a run). */
	set_int(root, "flow_id", rec->uid);

	json_t *ev = child(root, "event");
	set_text(ev, "kind", finding || mr->nat != EA_NAT_NONE ? "alert" : "event", NULL);
	json_t *cat = json_array(), *type = json_array();
	json_array_append_new(cat, json_string("network"));
	json_array_append_new(type, json_string("connection"));
	json_array_append_new(type, json_string(update ? "info" : "end"));
	json_object_set_new(ev, "category", cat);
	json_object_set_new(ev, "type", type);
	set_text(ev, "action", ea_verdict_name(mr->verdict), NULL);
	set_text(ev, "dataset", "edgeaudit.flow", NULL);
	set_text(ev, "start", start, NULL);
	set_text(ev, "end", end, NULL);
	set_int(ev, "duration", rec->last_us >= rec->first_us ? (rec->last_us - rec->first_us) * 1000u : 0);

	ea_addr_str(&rec->init_addr, init);
	ea_addr_str(&rec->resp_addr, resp);
	json_t *src = child(root, "source"), *dst = child(root, "destination");
	set_text(src, "ip", init, NULL);
	set_text(dst, "ip", resp, NULL);
	if (ports) {
		set_int(src, "port", rec->init_port);
		set_int(dst, "port", rec->resp_port);
	}
	set_int(src, "bytes", rec->bytes[0]);
	set_int(src, "packets", rec->pkts[0]);
	set_int(dst, "bytes", rec->bytes[1]);
	set_int(dst, "packets", rec->pkts[1]);

	json_t *net = child(root, "network");
	set_text(net, "transport", ea_flow_transport_name(rec->transport, tbuf), NULL);
	snprintf(num, sizeof num, "%u", (unsigned)rec->transport);
	set_text(net, "iana_number", num, NULL);
	if (rec->community_id[0])
		set_text(net, "community_id", rec->community_id, NULL);
	if (known)
		set_text(net, "protocol", proto_lc, NULL);
	set_int(net, "bytes", rec->bytes[0] + rec->bytes[1]);
	set_int(net, "packets", rec->pkts[0] + rec->pkts[1]);

	json_t *obs = child(root, "observer");
	if (observer && observer[0])
		set_text(obs, "hostname", observer, NULL);
	set_text(obs, "product", "edgeaudit", NULL);
	set_text(obs, "type", "sensor", NULL);
	set_text(child(child(obs, "ingress"), "interface"), "name", ea_iface_name(rec->iface), NULL);

	if (mr->n_rules > 0 && m) {
		json_t *ids = json_array();
		for (unsigned i = 0; i < mr->n_rules; i++)
			if (mr->rules[i] < m->n_rules)
				json_array_append_new(ids, json_string(m->rules[mr->rules[i]].id));
		json_object_set_new(child(root, "rule"), "id", ids);
	}

	/* Suricata EVE's names for the same facts. */
	if (known)
		set_text(root, "app_proto", proto_lc, NULL);
	if (ea_ipproto_is_icmp(rec->transport))
		set_int(root, "icmp_type", rec->init_port);
	json_t *flow = child(root, "flow");
	set_int(flow, "pkts_toserver", rec->pkts[0]);
	set_int(flow, "pkts_toclient", rec->pkts[1]);
	set_int(flow, "bytes_toserver", rec->bytes[0]);
	set_int(flow, "bytes_toclient", rec->bytes[1]);
	set_text(flow, "start", start, NULL);
	set_text(flow, "end", end, NULL);
	set_text(flow, "reason", ea_end_reason_name(rec->end_reason), NULL);
	set_text(flow, "state", ea_conn_state(rec), NULL);

	json_t *ours = child(root, "edgeaudit");
	set_text(ours, "verdict", ea_verdict_name(mr->verdict), NULL);
	/* The site's policy: who decided (vendor row, local rule, profile)
	 * and why a verdict overrides the rows (not-applicable, denied). */
	if (mr->decided_by != EA_DECIDED_NONE)
		set_text(ours, "decided_by", ea_decided_by_name(mr->decided_by), NULL);
	char reason[EA_REASON_TEXT_MAX];
	if (*ea_match_reason(mr, reason, sizeof reason))
		set_text(ours, "reason", reason, NULL);
	if (finding)
		set_text(ours, "finding", ea_finding_name(finding), NULL);
	if (mr->nat != EA_NAT_NONE)
		set_text(ours, "nat_finding", ea_nat_kind_name(mr->nat), NULL);
	set_text(ours, "app_protocol", app, NULL);
	set_text(ours, "master_protocol", rec->master_proto[0] ? rec->master_proto : "Unknown", NULL);
	set_text(ours, "proto_source", ea_proto_source_name(rec->proto_source), NULL);
	if (rec->proto_unexpected_on_port)
		json_object_set_new(ours, "proto_unexpected_on_port", json_true());
	if (rec->category[0])
		set_text(ours, "category", rec->category, NULL);
	if (rec->confidence[0])
		set_text(ours, "confidence", rec->confidence, NULL);
	if (rec->risks[0]) {
		json_t *risks = json_array();
		char copy[EA_RISKS_TEXT_MAX], *save = NULL;
		snprintf(copy, sizeof copy, "%s", rec->risks);
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			json_t *v = json_string(t);
			if (v)
				json_array_append_new(risks, v);
		}
		json_object_set_new(ours, "risks", risks);
	}
	if (rec->handshake != EA_HS_NOT_TCP)
		set_text(ours, "handshake", ea_handshake_name(rec->handshake), NULL);
	json_object_set_new(ours, "attempt", json_boolean(rec->attempt));
	set_text(ours, "direction_source", ea_direction_source_name(rec->dir_source), NULL);
	set_icmp_errors(ours, rec);
	set_server_name(root, rec, ours);
	return root;
}

char *ea_eve_json(const ea_flow_record *rec, const ea_match_result *mr, const ea_matrix *m,
		  const char *observer)
{
	json_t *root = build(rec, mr, m, observer);
	if (!root)
		return NULL;
	char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}

static ea_status open_fd(const char *path, int *fd, char *errbuf, size_t errlen)
{
	*fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (*fd < 0) {
		char shown[512];
		return ea_fail(EA_ERR_IO, errbuf, errlen, "--eve %s: %s", ea_escape(path, shown, sizeof shown),
			       strerror(errno));
	}
	return EA_OK;
}

ea_status ea_eve_open(const char *path, const char *observer, ea_eve **out, char *errbuf, size_t errlen)
{
	ea_eve *e = calloc(1, sizeof *e);
	if (!e || !(e->path = strdup(path))) {
		free(e);
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	}
	if (observer)
		snprintf(e->observer, sizeof e->observer, "%s", observer);
	else if (gethostname(e->observer, sizeof e->observer) != 0)
		e->observer[0] = '\0';
	e->observer[sizeof e->observer - 1] = '\0';
	ea_status st = open_fd(path, &e->fd, errbuf, errlen);
	if (st != EA_OK) {
		free(e->path);
		free(e);
		return st;
	}
	*out = e;
	return EA_OK;
}

static void note_failure(ea_eve *e, int err)
{
	e->stats.failed++;
	if (e->last_error[0])
		return;
	char shown[256];
	snprintf(e->last_error, sizeof e->last_error, "%s: %s", ea_escape(e->path, shown, sizeof shown),
		 strerror(err));
}

bool ea_eve_write(ea_eve *e, const ea_flow_record *rec, const ea_match_result *mr, const ea_matrix *m)
{
	char *json = ea_eve_json(rec, mr, m, e->observer);
	if (!json) {
		note_failure(e, ENOMEM);
		return false;
	}
	size_t len = strlen(json);
	char *line = realloc(json, len + 2);
	if (!line) {
		free(json);
		note_failure(e, ENOMEM);
		return false;
	}
	line[len++] = '\n';
	line[len] = '\0';
	/* One write(2) per line: appends never interleave, and a reader
	 * never sees a line without its end unless the disk filled mid-way. */
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(e->fd, line + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			note_failure(e, w < 0 ? errno : EIO);
			free(line);
			return false;
		}
		done += (size_t)w;
	}
	free(line);
	e->stats.lines++;
	return true;
}

ea_status ea_eve_chown(ea_eve *e, uid_t uid, gid_t gid, char *errbuf, size_t errlen)
{
	if (fchown(e->fd, uid, gid) != 0) {
		char shown[512];
		return ea_fail(EA_ERR_IO, errbuf, errlen, "--eve %s: cannot give it to uid %lu: %s",
			       ea_escape(e->path, shown, sizeof shown), (unsigned long)uid, strerror(errno));
	}
	return EA_OK;
}

ea_status ea_eve_reopen(ea_eve *e, char *errbuf, size_t errlen)
{
	int fd;
	ea_status st = open_fd(e->path, &fd, errbuf, errlen);
	if (st != EA_OK)
		return st;
	close(e->fd);
	e->fd = fd;
	return EA_OK;
}

ea_eve_stats ea_eve_get_stats(const ea_eve *e)
{
	ea_eve_stats none = {0};
	return e ? e->stats : none;
}

const char *ea_eve_last_error(const ea_eve *e)
{
	return e ? e->last_error : "";
}

ea_status ea_eve_close(ea_eve *e, char *errbuf, size_t errlen)
{
	if (!e)
		return EA_OK;
	ea_status st = EA_OK;
	if (close(e->fd) != 0) {
		char shown[256];
		st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: %s", ea_escape(e->path, shown, sizeof shown),
			     strerror(errno));
	}
	free(e->path);
	free(e);
	return st;
}
