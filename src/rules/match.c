/* match.c — the verdict for one finished flow; see match.h for the rules.
 *
 * A linear scan over the matrix's rows (at most EA_MAX_RULES), once per
 * flow: a few hundred comparisons, cheaper than the flow's hash lookups.
 * Pipeline position: flow → classify → [match] → store. */
#include "rules/match.h"

#include <string.h>
#include <strings.h>

const char *ea_verdict_name(ea_verdict v)
{
	switch (v) {
	case EA_VERDICT_DOCUMENTED: return "documented";
	case EA_VERDICT_PORT_ONLY: return "documented-port-only";
	case EA_VERDICT_MISMATCH: return "mismatch";
	case EA_VERDICT_WRONG_DIRECTION: return "wrong-direction";
	case EA_VERDICT_UNEXPECTED: return "unexpected";
	case EA_VERDICT_COUNT: break;
	}
	return "?";
}

/* One side of a row: no roles is any address; otherwise the union of the
 * listed roles the site sets, and any address when it sets none of them
 * (an unset optional role means the operator did not narrow it down). */
static bool side_contains(const ea_site *s, const uint8_t *roles, unsigned n, const ea_addr *a)
{
	bool any_set = false;
	for (unsigned i = 0; i < n; i++) {
		if (!s || roles[i] >= s->n_roles || !s->roles[roles[i]].set)
			continue;
		any_set = true;
		if (ea_site_role_contains(s, roles[i], a))
			return true;
	}
	return !any_set;
}

/* The document's parties are hosts: "any" means any unicast host, and no
 * role is a group. A multicast or broadcast address (limited, or the
 * directed broadcast of an IPv4 prefix the site file gives) and the
 * unspecified address stand for no single host, so they fit no row's
 * side, whichever way round. */
static bool unicast_host(const ea_site *s, const ea_addr *a)
{
	if (!ea_addr_is_unicast(a))
		return false;
	for (unsigned r = 0; s && r < s->n_roles; r++)
		for (unsigned i = 0; i < s->roles[r].n; i++)
			if (ea_prefix_is_broadcast(&s->roles[r].prefixes[i], a))
				return false;
	return true;
}

static bool service_fits(const ea_rule *r, const ea_flow_record *f)
{
	return r->iface == f->iface && r->transport == f->transport && f->resp_port >= r->port_lo &&
	       f->resp_port <= r->port_hi;
}

static bool accepts(const ea_rule *r, const ea_flow_record *f)
{
	for (unsigned i = 0; i < r->n_protocols; i++)
		if (strcasecmp(r->protocols[i], f->master_proto) == 0 ||
		    strcasecmp(r->protocols[i], f->app_proto) == 0)
			return true;
	return false;
}

/* Which rows a pass of judge() looks at. */
typedef enum { OPEN_ALLOW, ANY_ALLOW } row_filter;

static bool row_in(const ea_rule *r, row_filter which)
{
	if (r->action != EA_ACTION_ALLOW)
		return false;
	return which == ANY_ALLOW || r->closed_by == 0;
}

static bool fits(const ea_site *s, const ea_rule *r, const ea_flow_record *f)
{
	return side_contains(s, r->src_roles, r->n_src, &f->init_addr) &&
	       side_contains(s, r->dst_roles, r->n_dst, &f->resp_addr);
}

/* The verdict of the allow rows that filter keeps (match.h's first five
 * rules), n rows looked at. */
static void judge(const ea_matrix *m, const ea_site *s, const ea_flow_record *flow, unsigned n,
		  row_filter which, ea_match_result *out)
{
	bool confirmed = flow->proto_source == EA_PROTO_SRC_DPI || flow->proto_source == EA_PROTO_SRC_PAYLOAD;
	unsigned n_fit = 0, n_accepting = 0, n_reverse = 0;
	/* Three lists in index order, filled in one pass: the fitting
	 * rows, those of them that accept the protocol, and the rows that fit
	 * only with the roles swapped. Only one of them is reported. */
	uint16_t fit[EA_MAX_RULES], accepting[EA_MAX_RULES], reverse[EA_MAX_RULES];

	for (unsigned i = 0; i < n; i++) {
		const ea_rule *r = &m->rules[i];
		if (!row_in(r, which) || !service_fits(r, flow))
			continue;
		if (fits(s, r, flow)) {
			fit[n_fit++] = (uint16_t)i;
			if (confirmed && accepts(r, flow))
				accepting[n_accepting++] = (uint16_t)i;
		} else if (n_fit == 0 && side_contains(s, r->src_roles, r->n_src, &flow->resp_addr) &&
			   side_contains(s, r->dst_roles, r->n_dst, &flow->init_addr)) {
			reverse[n_reverse++] = (uint16_t)i;
		}
	}

	const uint16_t *list;
	out->n_rules = 0;
	if (n_fit && confirmed && n_accepting) {
		out->verdict = EA_VERDICT_DOCUMENTED;
		list = accepting;
		out->n_rules = n_accepting;
	} else if (n_fit && confirmed) {
		out->verdict = EA_VERDICT_MISMATCH;
		list = fit;
		out->n_rules = n_fit;
	} else if (n_fit) {
		out->verdict = EA_VERDICT_PORT_ONLY;
		list = fit;
		out->n_rules = n_fit;
	} else if (n_reverse) {
		out->verdict = EA_VERDICT_WRONG_DIRECTION;
		list = reverse;
		out->n_rules = n_reverse;
	} else {
		out->verdict = EA_VERDICT_UNEXPECTED;
		return;
	}
	memcpy(out->rules, list, out->n_rules * sizeof list[0]);
}

static void denied_ids(ea_match_result *r, const ea_matrix *m);

static bool allowed(ea_verdict v)
{
	return v == EA_VERDICT_DOCUMENTED || v == EA_VERDICT_PORT_ONLY;
}

void ea_match(const ea_matrix *m, const ea_site *s, const ea_flow_record *flow, ea_match_result *out)
{
	out->n_rules = 0;
	out->verdict = EA_VERDICT_UNEXPECTED;
	out->reason = EA_REASON_NONE;
	out->closed_by = 0;
	out->decided_by = EA_DECIDED_NONE;
	out->denied_ids[0] = '\0';
	/* The NAT check (natcheck.h): beside the verdict, whatever it is. */
	out->nat = ea_nat_check(m, s, flow);
	unsigned n = m->n_rules < EA_MAX_RULES ? m->n_rules : EA_MAX_RULES;
	if (!unicast_host(s, &flow->init_addr) || !unicast_host(s, &flow->resp_addr))
		return; /* nothing documents traffic to or from a group */

	/* A site's deny is its last word: it overrides whatever allows. */
	for (unsigned i = 0; i < n; i++) {
		const ea_rule *r = &m->rules[i];
		if (r->action == EA_ACTION_DENY && r->closed_by == 0 && service_fits(r, flow) && fits(s, r, flow) &&
		    (r->n_protocols == 0 || accepts(r, flow)))
			out->rules[out->n_rules++] = (uint16_t)i;
	}
	if (out->n_rules) {
		out->reason = EA_REASON_DENIED;
		out->decided_by = EA_DECIDED_LOCAL;
		denied_ids(out, m);
		return;
	}

	judge(m, s, flow, n, OPEN_ALLOW, out);
	if (!allowed(out->verdict)) {
		ea_match_result with_closed;
		judge(m, s, flow, n, ANY_ALLOW, &with_closed);
		if (allowed(with_closed.verdict)) {
			/* Every row listed is closed: an open one would have
			 * allowed the flow in the first pass. */
			out->verdict = EA_VERDICT_UNEXPECTED;
			out->reason = EA_REASON_NOT_APPLICABLE;
			out->decided_by = EA_DECIDED_PROFILE;
			out->n_rules = with_closed.n_rules;
			memcpy(out->rules, with_closed.rules, with_closed.n_rules * sizeof out->rules[0]);
			for (unsigned i = 0; i < out->n_rules; i++)
				out->closed_by |= m->rules[out->rules[i]].closed_by;
			return;
		}
	}
	if (out->n_rules)
		out->decided_by = m->rules[out->rules[0]].origin == EA_ORIGIN_VENDOR ? EA_DECIDED_VENDOR
										    : EA_DECIDED_LOCAL;
}

const char *ea_decided_by_name(ea_decided_by d)
{
	switch (d) {
	case EA_DECIDED_VENDOR: return "vendor";
	case EA_DECIDED_LOCAL: return "local";
	case EA_DECIDED_PROFILE: return "profile";
	case EA_DECIDED_NONE: break;
	}
	return "";
}

/* r's denied_ids from its deny rows (match.h). */
static void denied_ids(ea_match_result *r, const ea_matrix *m)
{
	char *buf = r->denied_ids;
	size_t size = sizeof r->denied_ids, used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < r->n_rules; i++) {
		const char *id = m->rules[r->rules[i]].id;
		/* Room for this id and, if more follow, for ", ...". */
		size_t need = (i ? 2 : 0) + strlen(id) + (i + 1 < r->n_rules ? 5 : 0);
		if (used + need >= size) {
			snprintf(buf + used, size - used, "%s...", i ? ", " : "");
			break;
		}
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", id);
	}
}

const char *ea_match_reason(const ea_match_result *r, char *buf, size_t size)
{
	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (r->reason == EA_REASON_NOT_APPLICABLE) {
		char names[EA_REASON_TEXT_MAX];
		snprintf(buf, size, "not-applicable: %s disabled", ea_features_text(r->closed_by, names, sizeof names));
	} else if (r->reason == EA_REASON_DENIED) {
		snprintf(buf, size, "denied: %.*s", (int)strnlen(r->denied_ids, sizeof r->denied_ids), r->denied_ids);
	}
	return buf;
}
