/* test_match.c — the verdict, row by row of the real matrix with the lab's
 * site file, and the matcher's rules on a small synthetic matrix.
 *
 * Every expected outcome below was worked out by hand from the document's
 * tables (signatures/lync2013-edge.matrix) and pcaps/site.ini, not taken
 * from the code's output. The reasoning for the less obvious ones is in
 * the comments next to them. */
#include "testutil.h"
#include "dataload.h"

#include <arpa/inet.h>
#include <strings.h>

#include "rules/match.h"

#define MATRIX_PATH EA_TOPDIR "/signatures/lync2013-edge.matrix"
#define SITE_PATH EA_TOPDIR "/pcaps/site.ini"

/* The lab's addresses (pcaps/site.ini) and two kinds of strangers. */
#define AE "203.0.113.10"      /* access_edge (NAT public) */
#define WC "203.0.113.11"      /* webconf_edge */
#define AV "203.0.113.12"      /* av_edge */
#define EI "172.16.0.10"       /* edge_internal */
#define FE "172.16.0.20"       /* front_end = director_pool = xmpp_gateway */
#define CMS "172.16.0.21"      /* cms_pool */
#define REMOTE "198.51.100.7"  /* somebody on the internet: "any" */
#define OTHER "203.0.113.50"   /* an outside address in no role */
#define INT_ANY "172.16.0.99"  /* an inside host in no role: "any" */
#define OTHER_INT "172.16.0.50" /* another inside host in no role */

typedef struct {
	ea_matrix m;
	ea_site s;
} world;

static int load_world(void **state)
{
	world *w = calloc(1, sizeof *w);
	char err[4096];
	assert_non_null(w);
	if (ea_test_load_path(EA_DATA_MATRIX, MATRIX_PATH, &w->m, NULL, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	if (ea_test_load_path(EA_DATA_SITE, SITE_PATH, &w->s, &w->m, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	*state = w;
	return 0;
}

static int free_world(void **state)
{
	world *w = *state;
	ea_site_free(&w->s);
	ea_matrix_free(&w->m);
	free(w);
	return 0;
}

static ea_addr addr(const char *text)
{
	ea_addr a;
	uint8_t raw[16];
	if (inet_pton(AF_INET, text, raw) == 1)
		ea_addr_from_v4(&a, raw);
	else if (inet_pton(AF_INET6, text, raw) == 1)
		ea_addr_from_v6(&a, raw);
	else
		fail_msg("bad test address %s", text);
	return a;
}

static ea_flow_record flow(ea_iface iface, uint8_t transport, const char *init, const char *resp,
			   uint16_t port, const char *proto, ea_proto_source src)
{
	ea_flow_record r;
	memset(&r, 0, sizeof r);
	r.iface = iface;
	r.transport = transport;
	r.init_addr = addr(init);
	r.resp_addr = addr(resp);
	r.init_port = 51515; /* an ephemeral port: must play no part */
	r.resp_port = port;
	snprintf(r.master_proto, sizeof r.master_proto, "%s", proto);
	snprintf(r.app_proto, sizeof r.app_proto, "%s", proto);
	r.proto_source = src;
	return r;
}

/* The test's own names for verdicts, so a wrong ea_verdict_name cannot
 * hide a wrong verdict. */
static ea_verdict verdict_of(const char *word)
{
	static const char *names[] = {"documented", "documented-port-only", "mismatch", "wrong-direction",
				      "unexpected"};
	for (unsigned i = 0; i < 5; i++)
		if (strcmp(word, names[i]) == 0)
			return (ea_verdict)i;
	fail_msg("bad expectation '%s'", word);
	return EA_VERDICT_COUNT;
}

/* want: "VERDICT [rule-id ...]", rule ids in document order. */
static void expect(const ea_matrix *m, const ea_site *s, const ea_flow_record *f, const char *want,
		   const char *what)
{
	ea_match_result res;
	memset(&res, 0xa5, sizeof res);
	ea_match(m, s, f, &res);

	char got[512];
	size_t used = (size_t)snprintf(got, sizeof got, "%s", ea_verdict_name(res.verdict));
	for (unsigned i = 0; i < res.n_rules && i < EA_MAX_RULES; i++) {
		assert_true(res.rules[i] < m->n_rules);
		used += (size_t)snprintf(got + used, sizeof got - used, " %s", m->rules[res.rules[i]].id);
	}
	char word[32];
	size_t wl = strcspn(want, " ");
	snprintf(word, sizeof word, "%.*s", (int)wl, want);
	if (res.verdict != verdict_of(word) || strcmp(got, want) != 0)
		fail_msg("%s: expected '%s', got '%s'", what, want, got);
}

/* The verdict as "VERDICT id id", and the result. */
static void verdict_text(const ea_matrix *m, const ea_flow_record *f, const ea_site *s, ea_match_result *res,
			 char *got, size_t size)
{
	memset(res, 0xa5, sizeof *res);
	ea_match(m, s, f, res);
	size_t used = (size_t)snprintf(got, size, "%s", ea_verdict_name(res->verdict));
	for (unsigned i = 0; i < res->n_rules && i < EA_MAX_RULES; i++) {
		assert_true(res->rules[i] < m->n_rules);
		used += (size_t)snprintf(got + used, size - used, " %s", m->rules[res->rules[i]].id);
	}
}

/* want under the profile applied to m (rules' closed_by), from want
 * without a profile — match.h's rules for the site's policy:
 *  - rows the profile closes drop out of every list;
 *  - documented or port-only with no open row left: unexpected, listing
 *    the closed rows, reason "not-applicable: F disabled";
 *  - wrong-direction with none left: unexpected;
 *  - mismatch with none left: the reverse rows decide, which the base
 *    expectation does not say: only "no allowing verdict, no reason" is
 *    checked (*loose). */
static void under_profile(const ea_matrix *m, const char *want, char *out, size_t size, char *reason,
			  size_t rsize, bool *loose)
{
	char verdict[32], open_ids[512] = "", closed_ids[512] = "";
	size_t wl = strcspn(want, " ");
	snprintf(verdict, sizeof verdict, "%.*s", (int)wl, want);
	ea_feature_set closing = 0;
	char copy[512];
	snprintf(copy, sizeof copy, "%s", want + wl);
	char *save = NULL;
	for (char *id = strtok_r(copy, " ", &save); id; id = strtok_r(NULL, " ", &save)) {
		int r = ea_matrix_rule_index(m, id);
		assert_true(r >= 0);
		char *list = m->rules[r].closed_by ? closed_ids : open_ids;
		size_t used = strlen(list);
		snprintf(list + used, 512 - used, " %s", id);
		closing |= m->rules[r].closed_by;
	}
	*loose = false;
	reason[0] = '\0';
	bool allowing = !strcmp(verdict, "documented") || !strcmp(verdict, "documented-port-only");
	if (!closed_ids[0] || open_ids[0]) {
		snprintf(out, size, "%s%s", verdict, open_ids);
	} else if (allowing) {
		char names[256];
		snprintf(out, size, "unexpected%s", closed_ids);
		snprintf(reason, rsize, "not-applicable: %s disabled", ea_features_text(closing, names, sizeof names));
	} else if (!strcmp(verdict, "wrong-direction")) {
		snprintf(out, size, "unexpected");
	} else {
		snprintf(out, size, "%s", verdict);
		*loose = true;
	}
}

/* expect() under m's profile (under_profile), with the reason. */
static void expect_profile(const ea_matrix *m, const ea_site *s, const ea_flow_record *f, const char *base,
			   const char *what)
{
	char want[512], reason[256], got[512];
	bool loose;
	ea_match_result res;
	under_profile(m, base, want, sizeof want, reason, sizeof reason, &loose);
	verdict_text(m, f, s, &res, got, sizeof got);
	if (loose) {
		if (res.verdict != EA_VERDICT_UNEXPECTED && res.verdict != EA_VERDICT_WRONG_DIRECTION)
			fail_msg("%s: expected no allowing verdict (was '%s'), got '%s'", what, base, got);
		for (unsigned i = 0; i < res.n_rules; i++)
			assert_int_equal(m->rules[res.rules[i]].closed_by, 0);
	} else if (strcmp(got, want) != 0) {
		fail_msg("%s: expected '%s', got '%s'", what, want, got);
	}
	char rt[EA_REASON_TEXT_MAX];
	if (strcmp(ea_match_reason(&res, rt, sizeof rt), reason) != 0)
		fail_msg("%s: expected reason '%s', got '%s'", what, reason, rt);
	assert_int_equal(res.reason, reason[0] ? EA_REASON_NOT_APPLICABLE : EA_REASON_NONE);
	if (reason[0])
		assert_int_equal(res.decided_by, EA_DECIDED_PROFILE);
	else if (res.n_rules)
		assert_int_equal(res.decided_by, EA_DECIDED_VENDOR);
}

/* ---- every row of the document -------------------------------------------- */

#define U "unexpected"

typedef struct {
	const char *id;
	const char *init, *resp; /* a flow the row documents */
	uint16_t port;           /* inside the row's range */
	const char *proto;       /* confirmed and acceptable on the row */
	const char *fit;         /* verdict of that flow */
	const char *below;       /* responder port lo - 1 */
	const char *above;       /* responder port hi + 1 */
	const char *reversed;    /* responder opens to the initiator, same port */
	const char *src_miss;    /* initiator replaced by a stranger; NULL: the row says any */
	const char *dst_miss;    /* responder replaced by a stranger; NULL: the row says any */
	const char *other_iface; /* same flow seen on the other NIC */
	const char *other_transport;
} row_case;

static const row_case rows[] = {
	/* ---- external interface ---- */
	/* XMPP 5269 in: the XMPP table has the same row (xmpp-01) and the
	 * opposite one (xmpp-02), so reversed is documented too. */
	{"ext-01", REMOTE, AE, 5269, "Jabber", "documented ext-01 xmpp-01", U, U, "documented xmpp-02",
	 NULL, U, U, U},
	/* CRL fetch out of the Access Edge only: inbound 80 is the reverse. */
	{"ext-02", AE, REMOTE, 80, "HTTP", "documented ext-02", U, U, "wrong-direction ext-02", U, NULL, U, U},
	{"ext-03", AE, REMOTE, 53, "DNS", "documented ext-03", U, U, "wrong-direction ext-03", U, NULL, U,
	 "documented ext-04"},
	{"ext-04", AE, REMOTE, 53, "DNS", "documented ext-04", U, U, "wrong-direction ext-04", U, NULL, U,
	 "documented ext-03"},
	/* 443 into the Access Edge: pim-03's "client" is unset, so any. */
	{"ext-05", REMOTE, AE, 443, "TLS", "documented ext-05 pim-03", U, U, "wrong-direction ext-05 pim-03",
	 NULL, U, U, U},
	/* 5061 is documented both ways: in (ext-06, pim-01), out (ext-07,
	 * fed-01, pim-02; im_partner unset). */
	{"ext-06", REMOTE, AE, 5061, "TLS", "documented ext-06 pim-01", U, U,
	 "documented ext-07 fed-01 pim-02", NULL, U, U, U},
	{"ext-07", AE, REMOTE, 5061, "TLS", "documented ext-07 fed-01 pim-02", U, U,
	 "documented ext-06 pim-01", U, NULL, U, U},
	/* Web Conferencing Edge out on 443: ext-16 is A/V Edge only. */
	{"ext-08", REMOTE, WC, 443, "TLS", "documented ext-08", U, U, "wrong-direction ext-08", NULL, U, U, U},
	/* Media range: each direction has its own row; TCP and UDP both. */
	{"ext-09", AV, REMOTE, 50000, "RTP", "documented ext-09 pim-04", U, U, "documented ext-11", U, NULL,
	 U, "documented ext-10"},
	{"ext-10", AV, REMOTE, 50000, "RTP", "documented ext-10", U, U, "documented ext-12", U, NULL, U,
	 "documented ext-09 pim-04"},
	{"ext-11", REMOTE, AV, 50000, "RTP", "documented ext-11", U, U, "documented ext-09 pim-04", NULL, U,
	 U, "documented ext-12"},
	{"ext-12", REMOTE, AV, 59999, "RTP", "documented ext-12", U, U, "documented ext-10", NULL, U, U,
	 "documented ext-11"},
	{"ext-13", AV, REMOTE, 3478, "STUN", "documented ext-13 pim-05", U, U, "documented ext-14 pim-06", U,
	 NULL, U, U},
	{"ext-14", REMOTE, AV, 3478, "STUN", "documented ext-14 pim-06", U, U, "documented ext-13 pim-05",
	 NULL, U, U, U},
	{"ext-15", REMOTE, AV, 443, "STUN", "documented ext-15", U, U, "documented ext-16", NULL, U, U, U},
	{"ext-16", AV, REMOTE, 443, "TLS", "documented ext-16", U, U, "documented ext-15", U, NULL, U, U},

	/* ---- internal interface ---- */
	/* The Standard Edition server is the XMPP gateway; xmpp-03 takes
	 * anyone, so a stranger's 23456 is still documented, by xmpp-03. */
	{"int-01", FE, EI, 23456, "TLS", "documented int-01 xmpp-03", U, U,
	 "wrong-direction int-01 xmpp-03", "documented xmpp-03", U, U, U},
	/* 5062 from the Front End is int-05's A/V authentication. */
	{"int-02", FE, EI, 5061, "TLS", "documented int-02", U, "documented int-05", "documented int-03", U, U,
	 U, U},
	/* The Edge opening 5062 on the Front End is int-05 reversed. */
	{"int-03", EI, FE, 5061, "TLS", "documented int-03", U, "wrong-direction int-05", "documented int-02",
	 U, U, U, U},
	{"int-04", FE, EI, 8057, "TLS", "documented int-04", U, U, "wrong-direction int-04", U, U, U, U},
	/* branch_appliance is unset but front_end is set: the source is the
	 * Front End only, so a stranger does not fit. */
	{"int-05", FE, EI, 5062, "TLS", "documented int-05", "documented int-02", U, "wrong-direction int-05",
	 U, U, U, U},
	{"int-06", INT_ANY, EI, 3478, "STUN", "documented int-06", U, U, "wrong-direction int-06", NULL, U, U,
	 U},
	{"int-07", INT_ANY, EI, 443, "STUN", "documented int-07", U, U, "wrong-direction int-07", NULL, U, U,
	 U},
	{"int-08", CMS, EI, 4443, "TLS", "documented int-08", U, U, "wrong-direction int-08", U, U, U, U},
	/* The three logging ports are neighbours; 50000 is media on the
	 * external side only. */
	{"int-09", INT_ANY, EI, 50001, "TLS", "documented int-09", U, "documented int-10",
	 "wrong-direction int-09", NULL, U, U, U},
	{"int-10", INT_ANY, EI, 50002, "TLS", "documented int-10", "documented int-09", "documented int-11",
	 "wrong-direction int-10", NULL, U, U, U},
	{"int-11", INT_ANY, EI, 50003, "TLS", "documented int-11", "documented int-10", U,
	 "wrong-direction int-11", NULL, U, U, U},

	/* ---- federation ---- */
	{"fed-01", AE, REMOTE, 5061, "TLS", "documented ext-07 fed-01 pim-02", U, U,
	 "documented ext-06 pim-01", U, NULL, U, U},

	/* ---- public IM: partner, client and Live Messenger are unset ---- */
	/* An unset role is any: a "stranger" is as good as anyone there. */
	{"pim-01", REMOTE, AE, 5061, "TLS", "documented ext-06 pim-01", U, U,
	 "documented ext-07 fed-01 pim-02", "documented ext-06 pim-01", U, U, U},
	{"pim-02", AE, REMOTE, 5061, "TLS", "documented ext-07 fed-01 pim-02", U, U,
	 "documented ext-06 pim-01", U, "documented ext-07 fed-01 pim-02", U, U},
	{"pim-03", REMOTE, AE, 443, "TLS", "documented ext-05 pim-03", U, U, "wrong-direction ext-05 pim-03",
	 "documented ext-05 pim-03", U, U, U},
	{"pim-04", AV, REMOTE, 50000, "RTP", "documented ext-09 pim-04", U, U, "documented ext-11", U,
	 "documented ext-09 pim-04", U, "documented ext-10"},
	{"pim-05", AV, REMOTE, 3478, "STUN", "documented ext-13 pim-05", U, U, "documented ext-14 pim-06", U,
	 "documented ext-13 pim-05", U, U},
	{"pim-06", REMOTE, AV, 3478, "STUN", "documented ext-14 pim-06", U, U, "documented ext-13 pim-05",
	 "documented ext-14 pim-06", U, U, U},

	/* ---- XMPP ---- */
	{"xmpp-01", REMOTE, AE, 5269, "Jabber", "documented ext-01 xmpp-01", U, U, "documented xmpp-02", NULL,
	 U, U, U},
	{"xmpp-02", AE, REMOTE, 5269, "TLS", "documented xmpp-02", U, U, "documented ext-01 xmpp-01", U, NULL,
	 U, U},
	/* From anyone inside; int-01 only from the gateway. */
	{"xmpp-03", INT_ANY, EI, 23456, "TLS", "documented xmpp-03", U, U, "wrong-direction xmpp-03", NULL, U,
	 U, U},
};

/* "documented a b" → "VERDICT a b" */
static const char *same_rows(const char *fit, const char *verdict, char *buf, size_t len)
{
	const char *ids = strchr(fit, ' ');
	snprintf(buf, len, "%s%s", verdict, ids ? ids : "");
	return buf;
}

/* Every row with its near misses, under the profile applied to m (none:
 * the expectations as written). */
static void run_every_row(const ea_matrix *m, const ea_site *s)
{
	const unsigned n_cases = sizeof rows / sizeof rows[0];
	assert_int_equal(n_cases, 37);
	assert_int_equal(m->n_rules, 37);

	for (unsigned i = 0; i < n_cases; i++) {
		const row_case *c = &rows[i];
		/* The table is in document order, one case per row. */
		assert_string_equal(c->id, m->rules[i].id);
		const ea_rule *r = &m->rules[i];
		assert_true(c->port >= r->port_lo && c->port <= r->port_hi);
		ea_iface other_if = r->iface == EA_IFACE_EXTERNAL ? EA_IFACE_INTERNAL : EA_IFACE_EXTERNAL;
		uint8_t other_tr = r->transport == 6 ? 17 : 6;
		const char *stranger = r->iface == EA_IFACE_EXTERNAL ? OTHER : OTHER_INT;
		const ea_proto_source DPI = EA_PROTO_SRC_DPI;
		char what[64], buf[128];
		ea_flow_record f;

#define CHECK(label, flow_expr, want)                                              \
	do {                                                                       \
		snprintf(what, sizeof what, "%s %s", c->id, label);                \
		f = flow_expr;                                                     \
		expect_profile(m, s, &f, want, what);                              \
	} while (0)

		CHECK("fits", flow(r->iface, r->transport, c->init, c->resp, c->port, c->proto, DPI), c->fit);
		/* The row itself must be among those that document it. */
		char own[40];
		snprintf(own, sizeof own, " %s", c->id);
		assert_non_null(strstr(c->fit, own));
		if (r->closed_by) {
			/* A closed row never documents anything: its flow is
			 * documented by an open row, or unexpected with the
			 * reason naming the row's feature. */
			ea_match_result res;
			char got[512];
			verdict_text(m, &f, s, &res, got, sizeof got);
			char padded[520];
			snprintf(padded, sizeof padded, "%s ", got);
			snprintf(own, sizeof own, " %s ", c->id);
			if (res.verdict == EA_VERDICT_UNEXPECTED) {
				assert_non_null(strstr(padded, own));
				char names[256];
				char rt[EA_REASON_TEXT_MAX];
				assert_non_null(strstr(ea_match_reason(&res, rt, sizeof rt),
						       ea_features_text(r->closed_by, names, sizeof names)));
			} else {
				assert_null(strstr(padded, own));
			}
		}

		CHECK("payload-confirmed",
		      flow(r->iface, r->transport, c->init, c->resp, c->port, c->proto, EA_PROTO_SRC_PAYLOAD), c->fit);
		CHECK("ssh", flow(r->iface, r->transport, c->init, c->resp, c->port, "SSH", DPI),
		      same_rows(c->fit, "mismatch", buf, sizeof buf));
		CHECK("port-only",
		      flow(r->iface, r->transport, c->init, c->resp, c->port, c->proto, EA_PROTO_SRC_PORT),
		      same_rows(c->fit, "documented-port-only", buf, sizeof buf));
		CHECK("unclassified",
		      flow(r->iface, r->transport, c->init, c->resp, c->port, "Unknown", EA_PROTO_SRC_NONE),
		      same_rows(c->fit, "documented-port-only", buf, sizeof buf));
		/* Unconfirmed SSH is only a port guess: still port-only. */
		CHECK("ssh-by-port", flow(r->iface, r->transport, c->init, c->resp, c->port, "SSH", EA_PROTO_SRC_PORT),
		      same_rows(c->fit, "documented-port-only", buf, sizeof buf));

		CHECK("below", flow(r->iface, r->transport, c->init, c->resp, (uint16_t)(r->port_lo - 1), c->proto, DPI),
		      c->below);
		CHECK("above", flow(r->iface, r->transport, c->init, c->resp, (uint16_t)(r->port_hi + 1), c->proto, DPI),
		      c->above);
		CHECK("reversed", flow(r->iface, r->transport, c->resp, c->init, c->port, c->proto, DPI), c->reversed);
		if (c->src_miss)
			CHECK("src-miss", flow(r->iface, r->transport, stranger, c->resp, c->port, c->proto, DPI),
			      c->src_miss);
		else
			assert_int_equal(r->n_src, 0); /* no case is skipped for a role side */
		if (c->dst_miss)
			CHECK("dst-miss", flow(r->iface, r->transport, c->init, stranger, c->port, c->proto, DPI),
			      c->dst_miss);
		else
			assert_int_equal(r->n_dst, 0);
		CHECK("other-iface", flow(other_if, r->transport, c->init, c->resp, c->port, c->proto, DPI),
		      c->other_iface);
		CHECK("other-transport", flow(r->iface, other_tr, c->init, c->resp, c->port, c->proto, DPI),
		      c->other_transport);
#undef CHECK
	}
}

static void test_every_row(void **state)
{
	const world *w = *state;
	run_every_row(&w->m, &w->s);
}

/* The lab's site file with a [deployment] section. */
static void load_profile(const ea_matrix *m, const char *deployment, ea_site *s)
{
	char text[8192], err[4096];
	FILE *f = fopen(SITE_PATH, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	snprintf(text + n, sizeof text - n, "\n[deployment]\n%s", deployment);
	f = ea_test_memfile(text);
	if (ea_site_load(f, "profile.ini", m, s, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	fclose(f);
}

/* Each feature turned off alone, two combinations and all of them: every
 * row of a disabled feature is closed and its flows are unexpected with
 * the reason, the other rows' verdicts stay as they were (minus the
 * closed rows in their lists), near misses included. */
static void test_every_row_under_profiles(void **state)
{
	world *w = *state;
	static const char *const profiles[] = {
		"sip_federation = no\n", "ocs2007_federation = no\n", "xmpp_federation = no\n",
		"public_im = no\n", "remote_access = no\n", "web_conferencing = no\n", "audio_video = no\n",
		/* the README's typical Edge: federation on, XMPP and public IM off */
		"sip_federation = yes\nxmpp_federation = no\npublic_im = no\n",
		"sip_federation = no\npublic_im = no\naudio_video = no\n",
		"sip_federation = no\nocs2007_federation = no\nxmpp_federation = no\npublic_im = no\n"
		"remote_access = no\nweb_conferencing = no\naudio_video = no\n",
	};
	unsigned closed_seen[EA_FEATURE_COUNT] = {0};
	for (size_t p = 0; p < sizeof profiles / sizeof profiles[0]; p++) {
		ea_site s;
		load_profile(&w->m, profiles[p], &s);
		ea_site_apply_profile(&s, &w->m);
		unsigned closed = 0;
		for (unsigned i = 0; i < w->m.n_rules; i++) {
			const ea_rule *r = &w->m.rules[i];
			/* closed exactly when none of its features is offered */
			bool open = r->features == 0 || (r->features & ~ea_features_effective_off(s.off));
			assert_int_equal(r->closed_by != 0, !open);
			closed += !open;
			for (int f = 0; f < EA_FEATURE_COUNT && p < EA_FEATURE_COUNT; f++)
				if (r->closed_by & (1u << f))
					closed_seen[f]++;
		}
		assert_true(closed > 0);
		run_every_row(&w->m, &s);
		ea_site_free(&s);
	}
	ea_site_apply_profile(NULL, &w->m);
	/* Every feature closes rows when turned off alone. */
	for (int f = 0; f < EA_FEATURE_COUNT; f++)
		assert_true(closed_seen[f] > 0);
}

/* The rows of each feature, as read from the document (the matrix's
 * comments say why): a change to the matrix's feature keys must be
 * deliberate. */
static void test_features_of_rows(void **state)
{
	const world *w = *state;
	static const char *const want[][2] = {
		{"ext-01", "xmpp-federation"}, {"ext-02", ""}, {"ext-03", ""}, {"ext-04", ""},
		{"ext-05", "remote-access"}, {"ext-06", "sip-federation, public-im"},
		{"ext-07", "sip-federation, public-im"}, {"ext-08", "web-conferencing"},
		{"ext-09", "sip-federation"}, {"ext-10", "ocs2007-federation"}, {"ext-11", "ocs2007-federation"},
		{"ext-12", "ocs2007-federation"}, {"ext-13", ""}, {"ext-14", ""},
		{"ext-15", ""}, {"ext-16", ""}, {"int-01", "xmpp-federation"},
		{"int-02", ""}, {"int-03", ""}, {"int-04", "web-conferencing"}, {"int-05", "audio-video"},
		{"int-06", "audio-video"}, {"int-07", "audio-video"}, {"int-08", ""}, {"int-09", ""},
		{"int-10", ""}, {"int-11", ""}, {"fed-01", "sip-federation, public-im"},
		{"pim-01", "sip-federation, public-im"}, {"pim-02", "sip-federation, public-im"},
		{"pim-03", "public-im, remote-access"}, {"pim-04", "public-im"}, {"pim-05", "public-im"},
		{"pim-06", "public-im"}, {"xmpp-01", "xmpp-federation"}, {"xmpp-02", "xmpp-federation"},
		{"xmpp-03", "xmpp-federation"},
	};
	assert_int_equal(sizeof want / sizeof want[0], w->m.n_rules);
	for (unsigned i = 0; i < w->m.n_rules; i++) {
		char names[256];
		assert_string_equal(w->m.rules[i].id, want[i][0]);
		assert_string_equal(ea_features_text(w->m.rules[i].features, names, sizeof names), want[i][1]);
	}
}

/* OCS 2007 federation is part of SIP federation: without it, its rows
 * close too, and the reason names the feature turned off. */
static void test_ocs2007_needs_sip_federation(void **state)
{
	world *w = *state;
	ea_site s;
	load_profile(&w->m, "sip_federation = no\npublic_im = no\n", &s);
	ea_site_apply_profile(&s, &w->m);
	ea_flow_record f = flow(EA_IFACE_EXTERNAL, 17, AV, REMOTE, 50000, "RTP", EA_PROTO_SRC_DPI);
	ea_match_result res;
	char got[256];
	verdict_text(&w->m, &f, &s, &res, got, sizeof got);
	assert_string_equal(got, "unexpected ext-10");
	char rt[EA_REASON_TEXT_MAX];
	assert_string_equal(ea_match_reason(&res, rt, sizeof rt), "not-applicable: sip-federation disabled");
	ea_site_free(&s);
	ea_site_apply_profile(NULL, &w->m);
}

/* ---- local rules ---------------------------------------------------------- */

#define LOCAL_RULES                                                                                   \
	"[role jump]\nrequired = yes\n"                                                               \
	"[rule local-01]\ninterface = internal\ntext = rdp\ntransport = tcp\nport = 3389\n"           \
	"source = jump\ndestination = edge_internal\nprotocols = RDP\n"                               \
	/* overlaps ext-04 (Access Edge DNS to any) */                                                \
	"[rule local-02]\ninterface = external\ntext = dns\ntransport = udp\nport = 53\n"             \
	"source = access_edge\ndestination = any\nprotocols = DNS\n"                                  \
	/* forbids what ext-11 allows */                                                              \
	"[rule local-03]\naction = deny\ninterface = external\ntext = no tcp media\ntransport = tcp\n" \
	"port = 50000-59999\nsource = any\ndestination = av_edge\n"                                   \
	/* allows, then forbids SSH only: the deny wins */                                            \
	"[rule local-04]\ninterface = external\ntext = ssh\ntransport = tcp\nport = 22\n"             \
	"source = any\ndestination = access_edge\nprotocols = SSH, TLS\n"                             \
	"[rule local-05]\naction = deny\ninterface = external\ntext = no ssh\ntransport = tcp\n"      \
	"port = 22\nsource = any\ndestination = access_edge\nprotocols = SSH\n"                       \
	/* allows what only closed XMPP rows would */                                                 \
	"[rule local-06]\ninterface = external\ntext = xmpp\ntransport = tcp\nport = 5269\n"          \
	"source = any\ndestination = access_edge\nprotocols = Jabber\n"                               \
	/* a second deny over local-03's range */                                                     \
	"[rule local-07]\naction = deny\ninterface = external\ntext = no 50000\ntransport = tcp\n"    \
	"port = 50000\nsource = any\ndestination = av_edge\n"

static void expect_local(const ea_matrix *m, const ea_site *s, const ea_flow_record *f, const char *want,
			 const char *reason, ea_decided_by by, const char *what)
{
	ea_match_result res;
	char got[512];
	verdict_text(m, f, s, &res, got, sizeof got);
	char rt[EA_REASON_TEXT_MAX];
	ea_match_reason(&res, rt, sizeof rt);
	if (strcmp(got, want) != 0 || strcmp(rt, reason) != 0 || res.decided_by != by)
		fail_msg("%s: expected '%s' [%s] by %s, got '%s' [%s] by %s", what, want, reason,
			 ea_decided_by_name(by), got, rt, ea_decided_by_name(res.decided_by));
}

/* Precedence (match.h): a local deny first, whatever allows the flow;
 * then the open allow rows, vendor and local together in index order
 * (vendor rows first), decided by the first listed; then the closed rows. */
static void test_local_rules(void **state)
{
	world *w = *state;
	char err[4096];
	FILE *f = ea_test_memfile(LOCAL_RULES);
	if (ea_matrix_load_local(f, "local.matrix", MATRIX_PATH, NULL, &w->m, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	fclose(f);
	assert_int_equal(w->m.n_rules, 44);
	assert_int_equal(w->m.n_vendor_rules, 37);
	assert_int_equal(w->m.rules[37].origin, EA_ORIGIN_LOCAL);
	assert_string_equal(w->m.rules[37].table, "local");
	assert_int_equal(w->m.rules[39].action, EA_ACTION_DENY);
	assert_int_equal(w->m.rules[39].n_protocols, 0);

	ea_site s;
	load_profile(&w->m, "xmpp_federation = no\n[roles]\njump = 172.16.0.30\n", &s);
	ea_site_apply_profile(&s, &w->m);
	const ea_iface X = EA_IFACE_EXTERNAL, I = EA_IFACE_INTERNAL;
	const ea_proto_source DPI = EA_PROTO_SRC_DPI;
	ea_flow_record fl;

	fl = flow(I, 6, "172.16.0.30", EI, 3389, "RDP", DPI);
	expect_local(&w->m, &s, &fl, "documented local-01", "", EA_DECIDED_LOCAL, "local allow alone");
	fl = flow(I, 6, INT_ANY, EI, 3389, "RDP", DPI);
	expect_local(&w->m, &s, &fl, "unexpected", "", EA_DECIDED_NONE, "not the jump host");
	fl = flow(I, 6, "172.16.0.30", EI, 3389, "SSH", DPI);
	expect_local(&w->m, &s, &fl, "mismatch local-01", "", EA_DECIDED_LOCAL, "local row, other protocol");
	fl = flow(I, 6, EI, "172.16.0.30", 3389, "RDP", DPI);
	expect_local(&w->m, &s, &fl, "wrong-direction local-01", "", EA_DECIDED_LOCAL, "local row reversed");
	fl = flow(X, 17, AE, REMOTE, 53, "DNS", DPI);
	expect_local(&w->m, &s, &fl, "documented ext-04 local-02", "", EA_DECIDED_VENDOR, "overlap: vendor first");
	fl = flow(X, 6, REMOTE, AV, 50000, "RTP", DPI);
	expect_local(&w->m, &s, &fl, "unexpected local-03 local-07", "denied: local-03, local-07", EA_DECIDED_LOCAL,
		     "two denies over ext-11");
	fl = flow(X, 6, REMOTE, AV, 50001, "RTP", EA_PROTO_SRC_PORT);
	expect_local(&w->m, &s, &fl, "unexpected local-03", "denied: local-03", EA_DECIDED_LOCAL,
		     "a deny without protocols, unconfirmed");
	fl = flow(X, 6, AV, REMOTE, 50001, "RTP", DPI);
	expect_local(&w->m, &s, &fl, "documented ext-09 pim-04", "", EA_DECIDED_VENDOR, "the deny's reverse");
	fl = flow(X, 6, REMOTE, AE, 22, "SSH", DPI);
	expect_local(&w->m, &s, &fl, "unexpected local-05", "denied: local-05", EA_DECIDED_LOCAL,
		     "deny beats a local allow");
	fl = flow(X, 6, REMOTE, AE, 22, "TLS", DPI);
	expect_local(&w->m, &s, &fl, "documented local-04", "", EA_DECIDED_LOCAL, "a deny of SSH only");
	fl = flow(X, 6, REMOTE, AE, 5269, "Jabber", DPI);
	expect_local(&w->m, &s, &fl, "documented local-06", "", EA_DECIDED_LOCAL, "local allow over closed rows");
	fl = flow(X, 6, AE, REMOTE, 5269, "Jabber", DPI);
	expect_local(&w->m, &s, &fl, "unexpected xmpp-02", "not-applicable: xmpp-federation disabled",
		     EA_DECIDED_PROFILE, "closed rows only");
	ea_site_free(&s);
	ea_site_apply_profile(NULL, &w->m);
}

/* Many deny rows on one flow: every one is a rule id of the flow, the
 * reason names those that fit in EA_DENIED_IDS_MAX and says more follow. */
static void test_many_denies(void **state)
{
	world *w = *state;
	char text[4096], err[4096];
	size_t used = 0;
	for (int i = 1; i <= 5; i++)
		used += (size_t)snprintf(text + used, sizeof text - used,
					 "[rule local-%020d]\naction = deny\ninterface = external\ntext = no\n"
					 "transport = tcp\nport = 443\nsource = any\ndestination = access_edge\n", i);
	FILE *f = ea_test_memfile(text);
	if (ea_matrix_load_local(f, "many.matrix", MATRIX_PATH, NULL, &w->m, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	fclose(f);
	ea_flow_record fl = flow(EA_IFACE_EXTERNAL, 6, REMOTE, AE, 443, "TLS", EA_PROTO_SRC_DPI);
	ea_match_result res;
	char got[1024], rt[EA_REASON_TEXT_MAX];
	verdict_text(&w->m, &fl, &w->s, &res, got, sizeof got);
	assert_int_equal(res.n_rules, 5);
	assert_int_equal(res.reason, EA_REASON_DENIED);
	assert_string_equal(ea_match_reason(&res, rt, sizeof rt), "denied: local-00000000000000000001, ...");
	assert_true(strnlen(res.denied_ids, sizeof res.denied_ids) < sizeof res.denied_ids);
}

/* A local file's mistakes, each at its line, and the matrix untouched. */
/* local-NN: at least two digits, as the vendor's ids; local-1 is refused. */
static void test_local_id_two_digits(void **state)
{
	world *w = *state;
	char err[1024];
	FILE *f = ea_test_memfile("[rule local-1]\ninterface = internal\ntext = x\ntransport = tcp\nport = 1\n"
				  "source = any\ndestination = any\nprotocols = TLS\n");
	assert_int_equal(ea_matrix_load_local(f, "l.matrix", "m.matrix", NULL, &w->m, err, sizeof err),
			 EA_ERR_CONFIG);
	fclose(f);
	assert_string_equal(err, "l.matrix:1: local rule ids are local-NN (local-01, local-02, ...), not 'local-1'");
	assert_int_equal(w->m.n_rules, 37);
}

static void test_local_rules_errors(void **state)
{
	world *w = *state;
	char err[4096];
	FILE *f = ea_test_memfile("[role access_edge]\nrequired = no\n"
				  "[rule ext-99]\ninterface = internal\ntext = x\ntransport = tcp\nport = 1\n"
				  "source = any\ndestination = any\nprotocols = TLS\n"
				  "[rule local-01]\ntable = external\naction = maybe\ninterface = internal\ntext = x\n"
				  "transport = tcp\nport = 1\nsource = nobody\ndestination = any\n"
				  "[rule local-01]\ninterface = internal\ntext = x\ntransport = tcp\nport = 2\n"
				  "source = any\ndestination = any\nprotocols = TLS\nfeature = fax\n");
	assert_int_equal(ea_matrix_load_local(f, "l.matrix", "m.matrix", NULL, &w->m, err, sizeof err),
			 EA_ERR_CONFIG);
	fclose(f);
	assert_string_equal(err,
			    "l.matrix:1: role 'access_edge' is already declared by m.matrix\n"
			    "l.matrix:3: local rule ids are local-NN (local-01, local-02, ...), not 'ext-99'\n"
			    "l.matrix:11: rule local-01: missing key 'protocols'\n"
			    "l.matrix:12: table 'external': local rules are all in table 'local'\n"
			    "l.matrix:13: action 'maybe' is not allow or deny\n"
			    "l.matrix:18: unknown role 'nobody' (not declared by a [role] section)\n"
			    "l.matrix:20: rule id 'local-01' is already used at line 11");
	assert_int_equal(w->m.n_rules, 37);
	assert_int_equal(w->m.n_roles, 12);
	/* The vendor's matrix may neither use local ids nor deny. */
	ea_matrix m;
	f = ea_test_memfile("[role a]\nrequired = yes\n[rule local-01]\ntable = external\ninterface = external\n"
			    "text = x\ntransport = tcp\nport = 1\nsource = any\ndestination = a\nprotocols = TLS\n"
			    "[rule ext-01]\ntable = external\ninterface = external\ntext = x\ntransport = tcp\n"
			    "port = 1\nsource = any\ndestination = a\nprotocols = TLS\naction = deny\n"
			    "feature = xmpp-federation, fax\n");
	assert_int_equal(ea_matrix_load(f, "v.matrix", &m, err, sizeof err), EA_ERR_CONFIG);
	fclose(f);
	assert_string_equal(err,
			    "v.matrix:3: rule ids local-NN are for local rules (--local), not the matrix\n"
			    "v.matrix:21: action is for local rules (--local); matrix rows only allow\n"
			    "v.matrix:22: feature: unknown feature 'fax' (known: sip-federation, ocs2007-federation, "
			    "xmpp-federation, public-im, remote-access, web-conferencing, audio-video)");
}

/* ---- particular cases on the real data ------------------------------------- */

static void test_particular_cases(void **state)
{
	const world *w = *state;
	const ea_matrix *m = &w->m;
	const ea_site *s = &w->s;
	const ea_iface X = EA_IFACE_EXTERNAL, I = EA_IFACE_INTERNAL;
	const ea_proto_source DPI = EA_PROTO_SRC_DPI;
	ea_flow_record f;

	/* The Access Edge's private address (the NIC behind the NAT). */
	f = flow(X, 6, REMOTE, "10.0.1.10", 443, "TLS", DPI);
	expect(m, s, &f, "documented ext-05 pim-03", "private Access Edge address");
	/* The internal NIC's IPv6 address. */
	f = flow(I, 6, "fd00:16::99", "fd00:16::10", 443, "STUN", DPI);
	expect(m, s, &f, "documented int-07", "IPv6 edge_internal");
	f = flow(I, 6, FE, "fd00:16::10", 5061, "TLS", DPI);
	expect(m, s, &f, "documented int-02", "IPv4 Front End to the IPv6 internal NIC");

	/* The application protocol alone is enough, any letter case. */
	f = flow(X, 6, REMOTE, AE, 443, "TLS", DPI);
	snprintf(f.master_proto, sizeof f.master_proto, "Unknown");
	snprintf(f.app_proto, sizeof f.app_proto, "skype_teams");
	expect(m, s, &f, "documented ext-05 pim-03", "app protocol only");
	/* ... and so is the master protocol. */
	snprintf(f.master_proto, sizeof f.master_proto, "tls");
	snprintf(f.app_proto, sizeof f.app_proto, "Google");
	expect(m, s, &f, "documented ext-05 pim-03", "master protocol only");

	/* HTTP is acceptable on ext-02 but not on 443: a mismatch there. */
	f = flow(X, 6, REMOTE, AE, 443, "HTTP", DPI);
	expect(m, s, &f, "mismatch ext-05 pim-03", "cleartext HTTP on 443");
	/* Cleartext SIP on 5061 is not what the document allows (MTLS). */
	f = flow(X, 6, REMOTE, AE, 5061, "SIP", DPI);
	expect(m, s, &f, "mismatch ext-06 pim-01", "cleartext SIP on 5061");
	/* TLS where the row wants DNS. */
	f = flow(X, 17, AE, REMOTE, 53, "TLS", DPI);
	expect(m, s, &f, "mismatch ext-04", "TLS on udp/53");

	/* The Web Conferencing Edge making an outbound 443 connection is
	 * ext-08 reversed (ext-16 is the A/V Edge's). */
	f = flow(X, 6, WC, REMOTE, 443, "TLS", DPI);
	expect(m, s, &f, "wrong-direction ext-08", "webconf outbound 443");
	/* Between two Edge services on the external side: 443 to the A/V
	 * Edge from the Access Edge is "any" → av_edge. */
	f = flow(X, 6, AE, AV, 443, "STUN", DPI);
	expect(m, s, &f, "documented ext-15", "Access Edge to A/V Edge 443");
	/* Something with no row at all. */
	f = flow(X, 6, REMOTE, AE, 22, "SSH", DPI);
	expect(m, s, &f, "unexpected", "ssh to the Edge");
	f = flow(I, 6, FE, EI, 3389, "RDP", DPI);
	expect(m, s, &f, "unexpected", "rdp to the Edge");
	/* ICMP: transport 1 is in no row. */
	f = flow(X, 1, REMOTE, AE, 0, "ICMP", DPI);
	expect(m, s, &f, "unexpected", "icmp");
	/* The initiator's port plays no part: a flow from port 443 to an
	 * ephemeral port is not a 443 flow. */
	f = flow(X, 6, AE, REMOTE, 40000, "TLS", DPI);
	f.init_port = 443;
	expect(m, s, &f, "unexpected", "source port 443");
}

/* "any" means any unicast host (issue 6, D.14): a multicast group, a
 * broadcast address or the unspecified address satisfies no row's side,
 * in either direction, whatever the protocol. */
static void test_group_addresses_fit_no_row(void **state)
{
	const world *w = *state;
	const ea_matrix *m = &w->m;
	const ea_site *s = &w->s;
	const ea_iface X = EA_IFACE_EXTERNAL, I = EA_IFACE_INTERNAL;
	const ea_proto_source DPI = EA_PROTO_SRC_DPI;
	ea_flow_record f;

	/* The same flows to a unicast host are documented: the control. */
	f = flow(X, 17, AV, REMOTE, 3478, "Skype_Teams", DPI);
	expect(m, s, &f, "documented ext-13 pim-05", "A/V Edge to a host on 3478");
	f = flow(X, 17, AV, REMOTE, 50000, "Skype_Teams", DPI);
	expect(m, s, &f, "documented ext-10", "A/V Edge to a host on 50000");

	/* hsrp2_as_skype_teams.pcap's destination, and its kin. */
	const char *groups[] = {"224.0.0.102", "224.0.0.1", "239.255.255.250", "255.255.255.255",
				"ff02::1", "ff05::1:3", "0.0.0.0"};
	for (unsigned i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		f = flow(X, 17, AV, groups[i], 3478, "Skype_Teams", DPI);
		expect(m, s, &f, "unexpected", groups[i]);
		f = flow(X, 17, AV, groups[i], 50000, "RTP", EA_PROTO_SRC_PORT);
		expect(m, s, &f, "unexpected", groups[i]);
		/* As the initiator (a forged source): neither a fit (any → av_edge)... */
		f = flow(X, 17, groups[i], AV, 3478, "STUN", DPI);
		expect(m, s, &f, "unexpected", groups[i]);
		/* ... nor the reverse of a row (ext-02 is the Edge fetching CRLs). */
		f = flow(X, 6, groups[i], AE, 80, "HTTP", DPI);
		expect(m, s, &f, "unexpected", groups[i]);
	}
	/* Internal side: "any" source on 3478 (int-06). */
	f = flow(I, 17, "224.0.0.9", EI, 3478, "STUN", DPI);
	expect(m, s, &f, "unexpected", "a group to the internal NIC");
	f = flow(I, 17, INT_ANY, EI, 3478, "STUN", DPI);
	expect(m, s, &f, "documented int-06", "a host to the internal NIC");
	/* The edges of the ranges: 223.255.255.255 and 240.0.0.1 are not
	 * multicast; fe80::1 is not IPv6 multicast. */
	f = flow(X, 17, AV, "223.255.255.255", 3478, "STUN", DPI);
	expect(m, s, &f, "documented ext-13 pim-05", "last address below 224/4");
	f = flow(X, 17, AV, "240.0.0.1", 3478, "STUN", DPI);
	expect(m, s, &f, "documented ext-13 pim-05", "first address above 224/4");
	f = flow(X, 17, AV, "2001:db8::ff", 3478, "STUN", DPI);
	expect(m, s, &f, "documented ext-13 pim-05", "IPv6 unicast");
}

static void test_verdict_names(void **state)
{
	assert_string_equal(ea_verdict_name(EA_VERDICT_DOCUMENTED), "documented");
	assert_string_equal(ea_verdict_name(EA_VERDICT_PORT_ONLY), "documented-port-only");
	assert_string_equal(ea_verdict_name(EA_VERDICT_MISMATCH), "mismatch");
	assert_string_equal(ea_verdict_name(EA_VERDICT_WRONG_DIRECTION), "wrong-direction");
	assert_string_equal(ea_verdict_name(EA_VERDICT_UNEXPECTED), "unexpected");
	assert_string_equal(ea_verdict_name(EA_VERDICT_COUNT), "?");
}

/* ---- the rules on a small matrix ------------------------------------------ */

static const char synth_matrix[] = "[role edge]\nrequired = yes\n"
				   "[role a]\nrequired = no\n"
				   "[role b]\nrequired = no\n"
				   "[rule r1]\ntable = external\ninterface = external\ntext = x\ntransport = tcp\n"
				   "port = 100\nsource = any\ndestination = edge\nprotocols = TLS\n"
				   "[rule r2]\ntable = external\ninterface = external\ntext = x\ntransport = tcp\n"
				   "port = 100\nsource = a, b\ndestination = edge\nprotocols = HTTP, OCSP\n"
				   "[rule r3]\ntable = external\ninterface = external\ntext = x\ntransport = tcp\n"
				   "port = 200-300\nsource = b\ndestination = edge\nprotocols = DNS\n"
				   "[rule r4]\ntable = external\ninterface = external\ntext = x\ntransport = tcp\n"
				   "port = 250\nsource = edge\ndestination = a\nprotocols = DNS\n";

static void test_synthetic_rules(void **state)
{
	ea_matrix m;
	ea_site s;
	char err[2048];
	FILE *f = ea_test_memfile(synth_matrix);
	if (ea_matrix_load(f, "synth", &m, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	fclose(f);
	f = ea_test_memfile("[roles]\nedge = 10.0.0.1\na = 10.0.0.2\n"); /* b unset */
	if (ea_site_load(f, "synth-site", &m, &s, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	fclose(f);

	const ea_iface X = EA_IFACE_EXTERNAL;
	const ea_proto_source DPI = EA_PROTO_SRC_DPI;
	ea_flow_record fl;
	/* Both r1 and r2 fit; only r2 accepts HTTP: only r2 is listed. */
	fl = flow(X, 6, "10.0.0.2", "10.0.0.1", 100, "HTTP", DPI);
	expect(&m, &s, &fl, "documented r2", "accepting rows only");
	fl = flow(X, 6, "10.0.0.2", "10.0.0.1", 100, "TLS", DPI);
	expect(&m, &s, &fl, "documented r1", "the other one");
	/* a is set, b is not: r2's source is a alone, not any. */
	fl = flow(X, 6, "10.0.0.9", "10.0.0.1", 100, "HTTP", DPI);
	expect(&m, &s, &fl, "mismatch r1", "union of the set roles");
	fl = flow(X, 6, "10.0.0.9", "10.0.0.1", 100, "HTTP", EA_PROTO_SRC_PORT);
	expect(&m, &s, &fl, "documented-port-only r1", "port only, fitting rows");
	/* r3's only role is unset: any address. */
	fl = flow(X, 6, "10.0.0.9", "10.0.0.1", 300, "DNS", DPI);
	expect(&m, &s, &fl, "documented r3", "all roles unset");
	/* 250: r3 fits for anyone → edge; edge → a fits r4. */
	fl = flow(X, 6, "10.0.0.1", "10.0.0.2", 250, "DNS", DPI);
	expect(&m, &s, &fl, "documented r4", "r4");
	/* a → edge on 250: r3 fits (b unset = any source), so it is
	 * documented although it is also r4 reversed. */
	fl = flow(X, 6, "10.0.0.2", "10.0.0.1", 250, "DNS", DPI);
	expect(&m, &s, &fl, "documented r3", "a fit beats a reverse");
	/* edge → stranger on 250: r4's destination is a, so nothing fits;
	 * but stranger → edge on 250 is r3 (any → edge): reversed. */
	fl = flow(X, 6, "10.0.0.1", "10.0.0.9", 250, "DNS", DPI);
	expect(&m, &s, &fl, "wrong-direction r3", "wrong destination, reverse documented");
	/* a stranger → a on 250: no row has a as source or destination
	 * together with a stranger. */
	fl = flow(X, 6, "10.0.0.9", "10.0.0.2", 250, "DNS", DPI);
	expect(&m, &s, &fl, "unexpected", "nothing either way");
	/* edge → a on 100: r1 and r2 reversed, both listed. */
	fl = flow(X, 6, "10.0.0.1", "10.0.0.2", 100, "TLS", DPI);
	expect(&m, &s, &fl, "wrong-direction r1 r2", "two reverse rows");
	/* The other interface matches nothing. */
	fl = flow(EA_IFACE_INTERNAL, 6, "10.0.0.2", "10.0.0.1", 100, "HTTP", DPI);
	expect(&m, &s, &fl, "unexpected", "internal");
	ea_site_free(&s);

	/* A role given as a prefix: its directed broadcast is no host. */
	f = ea_test_memfile("[roles]\nedge = 10.0.0.1\na = 10.0.5.0/24, 10.0.6.0/31, 10.0.7.4/30, 2001:db8:5::/64\n");
	if (ea_site_load(f, "synth-site-2", &m, &s, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	fclose(f);
	fl = flow(X, 6, "10.0.0.1", "10.0.5.254", 250, "DNS", DPI);
	expect(&m, &s, &fl, "documented r4", "a host of a /24 role");
	fl = flow(X, 6, "10.0.0.1", "10.0.5.255", 250, "DNS", DPI);
	expect(&m, &s, &fl, "unexpected", "the /24's directed broadcast");
	fl = flow(X, 6, "10.0.0.1", "10.0.7.7", 250, "DNS", DPI);
	expect(&m, &s, &fl, "unexpected", "the /30's directed broadcast");
	fl = flow(X, 6, "10.0.0.1", "10.0.7.6", 250, "DNS", DPI);
	expect(&m, &s, &fl, "documented r4", "a host of a /30 role");
	/* A /31 has no broadcast (RFC 3021): both addresses are hosts. */
	fl = flow(X, 6, "10.0.0.1", "10.0.6.1", 250, "DNS", DPI);
	expect(&m, &s, &fl, "documented r4", "the /31's upper address");
	fl = flow(X, 6, "10.0.0.1", "2001:db8:5::ffff:ffff:ffff:ffff", 250, "DNS", DPI);
	expect(&m, &s, &fl, "documented r4", "IPv6 has no broadcast");
	/* A directed broadcast known from the site is no host for "any" either. */
	fl = flow(X, 6, "10.0.5.255", "10.0.0.1", 100, "TLS", DPI);
	expect(&m, &s, &fl, "unexpected", "directed broadcast as any");
	fl = flow(X, 6, "10.0.5.7", "10.0.0.1", 100, "TLS", DPI);
	expect(&m, &s, &fl, "documented r1", "a host as any");

	ea_site_free(&s);
	ea_matrix_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_row, load_world, free_world),
		cmocka_unit_test_setup_teardown(test_every_row_under_profiles, load_world, free_world),
		cmocka_unit_test_setup_teardown(test_features_of_rows, load_world, free_world),
		cmocka_unit_test_setup_teardown(test_ocs2007_needs_sip_federation, load_world, free_world),
		cmocka_unit_test_setup_teardown(test_local_rules, load_world, free_world),
		cmocka_unit_test_setup_teardown(test_local_rules_errors, load_world, free_world),
		cmocka_unit_test_setup_teardown(test_local_id_two_digits, load_world, free_world),
		cmocka_unit_test_setup_teardown(test_many_denies, load_world, free_world),
		cmocka_unit_test_setup_teardown(test_particular_cases, load_world, free_world),
		cmocka_unit_test_setup_teardown(test_group_addresses_fit_no_row, load_world, free_world),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_synthetic_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
