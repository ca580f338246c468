/* site.c — loads a site file: addresses for the matrix's roles; see site.h.
 *
 * Validated against the matrix it will be matched with, so a role name
 * the matrix does not know is caught here rather than silently matching
 * nothing. The Edge's own roles (the vendor's required ones) must not overlap any
 * other role: an address that is both the A/V Edge and, say, a Front End
 * would make every verdict about it ambiguous. The [deployment] section
 * is the site's profile: which optional features it offers.
 * Pipeline position: configuration loading; the matcher reads the result. */
#include "rules/site.h"

#include <stdlib.h>
#include <string.h>

#include "rules/ini.h"
#include "rules/textparse.h"

/* Addresses that never belong to a host: a role is the address of a
 * party that opens or accepts flows, so a multicast group, the broadcast
 * or the unspecified address set as a role is a mistake (it would make
 * traffic to a group look like traffic to that party). */
static bool not_a_host(const ea_prefix *p)
{
	static const char *const groups[] = {"224.0.0.0/4", "255.255.255.255/32", "0.0.0.0/32", "ff00::/8",
					     "::/128"};
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		ea_prefix g;
		char why[64];
		if (ea_prefix_parse(groups[i], &g, why, sizeof why) && p->bits >= g.bits &&
		    ea_prefix_contains(&g, &p->addr))
			return true;
	}
	return false;
}

/* ea_list_check for an address list: parses item into prefixes[i]. */
static bool check_prefix(void *arg, unsigned i, const char *item, char *why, size_t whylen)
{
	ea_prefix *prefixes = arg;
	if (!ea_prefix_parse(item, &prefixes[i], why, whylen))
		return false;
	if (not_a_host(&prefixes[i])) {
		snprintf(why, whylen, "'%s' is a multicast, broadcast or unspecified address, not a host", item);
		return false;
	}
	return true;
}

static ea_status add_role(ea_ini *ini, const ea_matrix *m, ea_site *s, const ea_ini_item *it)
{
	int idx = ea_matrix_role_index(m, it->key);
	if (idx < 0) {
		ea_ini_error(ini, it->line, "unknown role '%s' (the matrix does not declare it)", it->key);
		return EA_OK;
	}
	ea_role_addrs *ra = &s->roles[idx];
	if (ra->set) {
		ea_ini_error(ini, it->line, "role '%s' is already set at line %u", it->key, ra->line);
		return EA_OK;
	}
	/* Marked set even when an address is bad, so a missing-role error
	 * does not pile on top of the real one. */
	ra->set = true;
	ra->line = it->line;

	char label[EA_NAME_MAX + 8];
	snprintf(label, sizeof label, "role '%s'", it->key);
	ea_prefix parsed[EA_MAX_PREFIXES_PER_ROLE];
	const ea_list_spec spec = {
		.label = label, .one = "address", .many = "addresses",
		.max = EA_MAX_PREFIXES_PER_ROLE, .check = check_prefix, .arg = parsed,
	};
	ea_name_list list;
	if (!ea_parse_name_list(ini, it->line, it->value, &spec, &list))
		return EA_OK;
	ea_prefix *p = calloc(list.n, sizeof *p);
	if (!p)
		return EA_ERR_NOMEM;
	memcpy(p, parsed, list.n * sizeof *p);
	ra->prefixes = p;
	ra->n = list.n;
	return EA_OK;
}

/* One `feature_key = yes|no` line of [deployment]. */
static void set_feature(ea_ini *ini, ea_site *s, const ea_ini_item *it)
{
	int f = ea_feature_by_site_key(it->key);
	if (f < 0) {
		char all[256] = "";
		size_t used = 0;
		for (int i = 0; i < EA_FEATURE_COUNT && used < sizeof all; i++)
			used += (size_t)snprintf(all + used, sizeof all - used, "%s%s", i ? ", " : "",
						 ea_feature_site_key((ea_feature)i));
		ea_ini_error(ini, it->line, "unknown deployment key '%s' (known: %s)", it->key, all);
		return;
	}
	if (s->feature_line[f]) {
		ea_ini_error(ini, it->line, "'%s' is already set at line %u", it->key, s->feature_line[f]);
		return;
	}
	s->feature_line[f] = it->line;
	if (strcmp(it->value, "yes") == 0)
		s->off &= ~(1u << f);
	else if (strcmp(it->value, "no") == 0)
		s->off |= 1u << f;
	else
		ea_ini_error(ini, it->line, "%s must be yes or no, not '%s'", it->key, it->value);
}

bool ea_site_is_edge_role(const ea_matrix *m, unsigned r)
{
	/* A local file's required role (a jump host, the site's syslog or
	 * DNS server) must be set, but is a party the Edge talks to, not the
	 * Edge: it may share a network with the others, and the NAT check
	 * and pairing must not take its address for the Edge's. */
	return m && r < m->n_roles && m->roles[r].required && m->roles[r].origin == EA_ORIGIN_VENDOR;
}

static void check_overlaps(ea_ini *ini, const ea_matrix *m, const ea_site *s)
{
	for (unsigned a = 0; a < m->n_roles; a++) {
		if (!ea_site_is_edge_role(m, a))
			continue;
		for (unsigned b = 0; b < m->n_roles; b++) {
			/* Two Edge roles: report the pair once. */
			if (b == a || (ea_site_is_edge_role(m, b) && b < a))
				continue;
			const ea_role_addrs *ra = &s->roles[a], *rb = &s->roles[b];
			for (unsigned i = 0; i < ra->n; i++) {
				for (unsigned k = 0; k < rb->n; k++) {
					if (!ea_prefix_overlaps(&ra->prefixes[i], &rb->prefixes[k]))
						continue;
					char pa[EA_ADDR_STRLEN + 4], pb[EA_ADDR_STRLEN + 4];
					unsigned line = ra->line > rb->line ? ra->line : rb->line;
					ea_ini_error(ini, line,
						     "Edge role '%s' (%s, line %u) overlaps role '%s' (%s, line %u)",
						     m->roles[a].name, ea_prefix_str(&ra->prefixes[i], pa), ra->line,
						     m->roles[b].name, ea_prefix_str(&rb->prefixes[k], pb), rb->line);
				}
			}
		}
	}
}

/* ---- [nat] (README, "The NAT requirement") ------------------------------ */

/* What [nat] gave, as parsed; checked against the roles once the whole
 * file is read (the roles may come after the section). */
typedef struct {
	ea_prefix priv[EA_MAX_NAT_MAPS], pub[EA_MAX_NAT_MAPS];
	unsigned n_maps, map_line, inside_line;
} nat_pending;

/* Copies text[0..n) trimmed into out (size bytes); false when it does not fit. */
static bool copy_trimmed(const char *text, size_t n, char *out, size_t size)
{
	if (n >= size)
		return false;
	memcpy(out, text, n);
	out[n] = '\0';
	char *t = ea_trim(out);
	memmove(out, t, strlen(t) + 1);
	return true;
}

/* ea_list_check for "PRIVATE -> PUBLIC": two single addresses, not equal. */
static bool check_map(void *arg, unsigned i, const char *item, char *why, size_t whylen)
{
	nat_pending *np = arg;
	const char *arrow = strstr(item, "->");
	char left[EA_ADDR_STRLEN + 8], right[EA_ADDR_STRLEN + 8];
	if (!arrow || !copy_trimmed(item, (size_t)(arrow - item), left, sizeof left) ||
	    !copy_trimmed(arrow + 2, strlen(arrow + 2), right, sizeof right)) {
		snprintf(why, whylen, "'%s' is not 'PRIVATE -> PUBLIC'", item);
		return false;
	}
	if (!ea_prefix_parse(left, &np->priv[i], why, whylen) || !ea_prefix_parse(right, &np->pub[i], why, whylen))
		return false;
	if (np->priv[i].bits != 128 || np->pub[i].bits != 128) {
		snprintf(why, whylen, "'%s': a 1:1 mapping names one address on each side, not a prefix", item);
		return false;
	}
	if (ea_addr_cmp(&np->priv[i].addr, &np->pub[i].addr) == 0) {
		snprintf(why, whylen, "'%s' maps an address to itself", item);
		return false;
	}
	/* Reversed, the map would pair each address with itself in the
	 * check (the public side is looked up as a private one). */
	if (!ea_addr_is_private(&np->priv[i].addr)) {
		snprintf(why, whylen, "'%s': the left side %s is not a private address (PRIVATE -> PUBLIC)", item,
			 left);
		return false;
	}
	if (ea_addr_is_private(&np->pub[i].addr)) {
		snprintf(why, whylen,
			 "'%s': the right side %s is a private address, not a public one (PRIVATE -> PUBLIC)", item,
			 right);
		return false;
	}
	return true;
}

static void add_nat_item(ea_ini *ini, ea_site *s, nat_pending *np, const ea_ini_item *it)
{
	bool is_map = strcmp(it->key, "map") == 0;
	if (!is_map && strcmp(it->key, "inside") != 0) {
		ea_ini_error(ini, it->line, "unknown key '%s' in [nat] (expected inside, map)", it->key);
		return;
	}
	unsigned *line = is_map ? &np->map_line : &np->inside_line;
	if (*line) {
		ea_ini_error(ini, it->line, "[nat] %s is already set at line %u", it->key, *line);
		return;
	}
	*line = it->line;
	ea_name_list list;
	if (is_map) {
		const ea_list_spec spec = {.label = "[nat] map", .one = "mapping", .many = "mappings",
					   .max = EA_MAX_NAT_MAPS, .check = check_map, .arg = np};
		if (ea_parse_name_list(ini, it->line, it->value, &spec, &list))
			np->n_maps = list.n;
		return;
	}
	const ea_list_spec spec = {.label = "[nat] inside", .one = "address", .many = "addresses",
				   .max = EA_MAX_NAT_INSIDE, .check = check_prefix, .arg = s->nat.inside};
	if (ea_parse_name_list(ini, it->line, it->value, &spec, &list))
		s->nat.n_inside = list.n;
}

/* The NAT device is not the Edge; each mapping joins a private and a
 * public address of one Edge role, one to one. */
static void check_nat(ea_ini *ini, const ea_matrix *m, ea_site *s, const nat_pending *np)
{
	char a[EA_ADDR_STRLEN + 4], b[EA_ADDR_STRLEN + 4];
	for (unsigned i = 0; i < s->nat.n_inside; i++)
		for (unsigned r = 0; r < m->n_roles; r++)
			for (unsigned k = 0; ea_site_is_edge_role(m, r) && k < s->roles[r].n; k++)
				if (ea_prefix_overlaps(&s->nat.inside[i], &s->roles[r].prefixes[k]))
					ea_ini_error(ini, np->inside_line,
						     "[nat] inside %s overlaps Edge role '%s' (%s): the NAT device is "
						     "not the Edge", ea_prefix_str(&s->nat.inside[i], a),
						     m->roles[r].name, ea_prefix_str(&s->roles[r].prefixes[k], b));
	for (unsigned i = 0; i < np->n_maps; i++) {
		ea_addr_str(&np->priv[i].addr, a);
		ea_addr_str(&np->pub[i].addr, b);
		int role = ea_site_edge_role(s, m, &np->priv[i].addr);
		if (role < 0) {
			ea_ini_error(ini, np->map_line, "[nat] map: %s is in no Edge role", a);
			continue;
		}
		if (!ea_site_role_contains(s, (unsigned)role, &np->pub[i].addr)) {
			ea_ini_error(ini, np->map_line,
				     "[nat] map: %s is not in role '%s' beside %s (list both addresses in the role)",
				     b, m->roles[role].name, a);
			continue;
		}
		/* A 1:1 NAT: each address on each side once. */
		bool dup_priv = false, dup_pub = false;
		for (unsigned k = 0; k < i; k++) {
			dup_priv |= ea_addr_cmp(&np->priv[k].addr, &np->priv[i].addr) == 0;
			dup_pub |= ea_addr_cmp(&np->pub[k].addr, &np->pub[i].addr) == 0;
		}
		if (dup_priv)
			ea_ini_error(ini, np->map_line, "[nat] map: %s is mapped twice (a 1:1 NAT)", a);
		else if (dup_pub)
			ea_ini_error(ini, np->map_line, "[nat] map: %s is the public side of two mappings (a 1:1 NAT)",
				     b);
		if (dup_priv || dup_pub)
			continue;
		ea_nat_map *nm = &s->nat.maps[s->nat.n_maps++];
		nm->private_addr = np->priv[i].addr;
		nm->public_addr = np->pub[i].addr;
		nm->role = (unsigned)role;
	}
}

int ea_site_edge_role(const ea_site *s, const ea_matrix *m, const ea_addr *addr)
{
	for (unsigned r = 0; s && m && r < m->n_roles && r < s->n_roles; r++)
		if (ea_site_is_edge_role(m, r) && ea_site_role_contains(s, r, addr))
			return (int)r;
	return -1;
}

bool ea_site_any_role_contains(const ea_site *s, const ea_addr *addr)
{
	for (unsigned r = 0; s && r < s->n_roles; r++)
		if (ea_site_role_contains(s, r, addr))
			return true;
	return false;
}

const ea_nat_map *ea_site_nat_map(const ea_site *s, const ea_addr *addr, bool public_side)
{
	for (unsigned i = 0; s && i < s->nat.n_maps; i++) {
		const ea_nat_map *nm = &s->nat.maps[i];
		if (ea_addr_cmp(public_side ? &nm->public_addr : &nm->private_addr, addr) == 0)
			return nm;
	}
	return NULL;
}

ea_status ea_site_load(FILE *f, const char *file_name, const ea_matrix *m, ea_site *s,
		       char *errbuf, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->n_roles = m->n_roles;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	ea_status st = EA_OK;
	ea_ini *ini = ea_ini_open(f, file_name);
	nat_pending *nat = calloc(1, sizeof *nat);
	if (!ini || !nat) {
		st = EA_ERR_NOMEM;
		goto out;
	}

	ea_ini_item it;
	enum { IN_NONE, IN_ROLES, IN_NAT, IN_DEPLOYMENT, IN_UNKNOWN } in = IN_NONE;
	while (st == EA_OK && ea_ini_next(ini, &it)) {
		if (it.kind == EA_INI_SECTION) {
			in = it.name[0] != '\0' ? IN_UNKNOWN
			     : strcmp(it.section, "roles") == 0 ? IN_ROLES
			     : strcmp(it.section, "nat") == 0 ? IN_NAT
			     : strcmp(it.section, "deployment") == 0 ? IN_DEPLOYMENT : IN_UNKNOWN;
			if (in == IN_NAT && s->nat.set)
				ea_ini_error(ini, it.line, "[nat] is already given at line %u", s->nat.line);
			else if (in == IN_NAT) {
				s->nat.set = true;
				s->nat.line = it.line;
			}
			if (in == IN_UNKNOWN)
				ea_ini_error(ini, it.line,
					     "unknown section [%s%s%s] (expected [roles], [nat] or [deployment])",
					     it.section, it.name[0] ? " " : "", it.name);
			continue;
		}
		if (in == IN_ROLES)
			st = add_role(ini, m, s, &it);
		else if (in == IN_NAT)
			add_nat_item(ini, s, nat, &it);
		else if (in == IN_DEPLOYMENT)
			set_feature(ini, s, &it);
		else if (in == IN_NONE)
			ea_ini_error(ini, it.line, "'%s' is outside the [roles], [nat] and [deployment] sections",
				     it.key);
	}
	if (st != EA_OK)
		goto out;

	for (unsigned i = 0; i < m->n_roles; i++)
		if (m->roles[i].required && !s->roles[i].set)
			ea_ini_error(ini, 0, "required role '%s' is not set", m->roles[i].name);
	check_overlaps(ini, m, s);
	check_nat(ini, m, s, nat);
	if (ea_ini_error_count(ini)) {
		ea_ini_errors(ini, errbuf, errlen);
		st = EA_ERR_CONFIG;
	}
out:
	if (st == EA_ERR_NOMEM)
		ea_fail(st, errbuf, errlen, "%s: out of memory", file_name);
	ea_ini_close(ini);
	free(nat);
	if (st != EA_OK)
		ea_site_free(s);
	return st;
}

void ea_site_free(ea_site *s)
{
	for (unsigned i = 0; i < EA_MAX_ROLES; i++)
		free(s->roles[i].prefixes);
	memset(s, 0, sizeof *s);
}

bool ea_site_role_contains(const ea_site *s, unsigned role, const ea_addr *addr)
{
	if (!s || role >= s->n_roles)
		return false;
	const ea_role_addrs *ra = &s->roles[role];
	for (unsigned i = 0; i < ra->n; i++)
		if (ea_prefix_contains(&ra->prefixes[i], addr))
			return true;
	return false;
}

void ea_site_apply_profile(const ea_site *s, ea_matrix *m)
{
	for (unsigned i = 0; i < m->n_rules; i++)
		m->rules[i].closed_by = s ? ea_features_closing(m->rules[i].features, s->off) : 0;
}
