/* site.h — who is who at one site: addresses for the matrix's roles.
 *
 *   [roles]
 *   access_edge = 10.0.1.10, 203.0.113.10
 *   director_pool = 10.1.0.0/24, 2001:db8:1::/64
 *
 * Required roles (the Edge's own) must be set; optional roles left unset
 * mean any address. Pipeline position: loaded once; read by the matcher. */
#ifndef EA_SITE_H
#define EA_SITE_H

#include <stdbool.h>
#include <stdio.h>

#include "util/addr.h"
#include "util/error.h"
#include "rules/matrix.h"

typedef struct {
	ea_prefix *prefixes;  /* owned */
	unsigned n;
	bool set;
	unsigned line;        /* where it was set */
} ea_role_addrs;

typedef struct {
	ea_role_addrs roles[EA_MAX_ROLES]; /* same index as ea_matrix.roles */
	unsigned n_roles;
} ea_site;

/* Loads and validates a site file against the matrix's roles: unknown
 * role names, bad addresses, required roles missing, an Edge role
 * overlapping another role. Every error is listed as "file:line: message";
 * returns EA_ERR_CONFIG on any. */
ea_status ea_site_load(FILE *f, const char *file_name, const ea_matrix *m, ea_site *s,
		       char *errbuf, size_t errlen);
void ea_site_free(ea_site *s);

/* True when addr belongs to the role (an unset role contains nothing:
 * "any" is decided by the matcher, which knows the row's other roles). */
bool ea_site_role_contains(const ea_site *s, unsigned role, const ea_addr *addr);

#endif
