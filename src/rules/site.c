/* site.c — loads a site file: addresses for the matrix's roles; see site.h.
 *
 * Validated against the matrix it will be matched with, so a role name
 * the matrix does not know is caught here rather than silently matching
 * nothing. The Edge's own roles (the required ones) must not overlap any
 * other role: an address that is both the A/V Edge and, say, a Front End
 * would make every verdict about it ambiguous.
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

static void check_overlaps(ea_ini *ini, const ea_matrix *m, const ea_site *s)
{
	for (unsigned a = 0; a < m->n_roles; a++) {
		if (!m->roles[a].required)
			continue;
		for (unsigned b = 0; b < m->n_roles; b++) {
			/* Two Edge roles: report the pair once. */
			if (b == a || (m->roles[b].required && b < a))
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

ea_status ea_site_load(FILE *f, const char *file_name, const ea_matrix *m, ea_site *s,
		       char *errbuf, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->n_roles = m->n_roles;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	ea_status st = EA_OK;
	ea_ini *ini = ea_ini_open(f, file_name);
	if (!ini) {
		st = EA_ERR_NOMEM;
		goto out;
	}

	ea_ini_item it;
	bool in_roles = false;
	while (st == EA_OK && ea_ini_next(ini, &it)) {
		if (it.kind == EA_INI_SECTION) {
			in_roles = strcmp(it.section, "roles") == 0 && it.name[0] == '\0';
			if (!in_roles)
				ea_ini_error(ini, it.line, "unknown section [%s%s%s] (expected [roles])",
					     it.section, it.name[0] ? " " : "", it.name);
			continue;
		}
		if (in_roles)
			st = add_role(ini, m, s, &it);
		else if (it.section[0] == '\0')
			ea_ini_error(ini, it.line, "'%s' is outside the [roles] section", it.key);
	}
	if (st != EA_OK)
		goto out;

	for (unsigned i = 0; i < m->n_roles; i++)
		if (m->roles[i].required && !s->roles[i].set)
			ea_ini_error(ini, 0, "required role '%s' is not set", m->roles[i].name);
	check_overlaps(ini, m, s);
	if (ea_ini_error_count(ini)) {
		ea_ini_errors(ini, errbuf, errlen);
		st = EA_ERR_CONFIG;
	}
out:
	if (st == EA_ERR_NOMEM)
		ea_fail(st, errbuf, errlen, "%s: out of memory", file_name);
	ea_ini_close(ini);
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
