/* site.h — who is who at one site: addresses for the matrix's roles.
 *
 *   [roles]
 *   access_edge = 10.0.1.10, 203.0.113.10
 *   director_pool = 10.1.0.0/24, 2001:db8:1::/64
 *   [nat]
 *   inside = 10.0.1.1
 *   map = 10.0.1.10 -> 203.0.113.10
 *   [deployment]
 *   xmpp_federation = no
 *
 * Required roles (the Edge's own) must be set; optional roles left unset
 * mean any address. [deployment] says which optional features (feature.h)
 * the site offers: yes or no per feature, every one yes unless said.
 * Pipeline position: loaded once; read by the matcher. */
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

/* [nat] (README, "The NAT requirement"): one 1:1 mapping of an Edge
 * address, private → public, both hosts of the same Edge role. */
typedef struct {
	ea_addr private_addr, public_addr;
	unsigned role;       /* index into ea_matrix.roles */
} ea_nat_map;

/* [nat]: the NAT device in front of the Edge's external NIC.
 *   inside = 10.0.1.1                 its own address(es) on the Edge's side
 *   map = 10.0.1.10 -> 203.0.113.10, 10.0.1.11 -> 203.0.113.11
 * Both keys optional; a site file without [nat] is as before. */
typedef struct {
	bool set;                               /* a [nat] section was given */
	ea_prefix inside[EA_MAX_NAT_INSIDE];
	unsigned n_inside;
	ea_nat_map maps[EA_MAX_NAT_MAPS];
	unsigned n_maps;
	unsigned line;                          /* of the [nat] header */
} ea_site_nat;

typedef struct {
	ea_role_addrs roles[EA_MAX_ROLES]; /* same index as ea_matrix.roles */
	unsigned n_roles;
	ea_site_nat nat;
	ea_feature_set off;                /* features the [deployment] section turned off */
	unsigned feature_line[EA_FEATURE_COUNT]; /* where each was set; 0: not set */
} ea_site;

/* Loads and validates a site file against the matrix's roles: unknown
 * role names, bad addresses, required roles missing, an Edge role
 * overlapping another role. Every error is listed as "file:line: message";
 * returns EA_ERR_CONFIG on any. */
ea_status ea_site_load(FILE *f, const char *file_name, const ea_matrix *m, ea_site *s,
		       char *errbuf, size_t errlen);
void ea_site_free(ea_site *s);

/* Marks every rule of m that the site's profile closes (ea_rule.closed_by,
 * feature.h's ea_features_closing); s NULL: every rule open. Called once
 * the site file is loaded, before the matrix is shared. */
void ea_site_apply_profile(const ea_site *s, ea_matrix *m);

/* True when addr belongs to the role (an unset role contains nothing:
 * "any" is decided by the matcher, which knows the row's other roles). */
bool ea_site_role_contains(const ea_site *s, unsigned role, const ea_addr *addr);

/* True when role r of m is one of the Edge's own roles: a required role
 * of the vendor's matrix (EA_ORIGIN_VENDOR). A local file's required
 * roles are other parties. The one definition of "Edge role" for the
 * site's overlap and [nat] checks, the NAT check and the NAT pairing. */
bool ea_site_is_edge_role(const ea_matrix *m, unsigned r);
/* The role index of the Edge role (ea_site_is_edge_role) holding addr;
 * -1 when none. */
int ea_site_edge_role(const ea_site *s, const ea_matrix *m, const ea_addr *addr);
/* True when addr is in any role the site sets. */
bool ea_site_any_role_contains(const ea_site *s, const ea_addr *addr);
/* The [nat] mapping whose private (public: false) or public (true) side
 * is addr; NULL when none. */
const ea_nat_map *ea_site_nat_map(const ea_site *s, const ea_addr *addr, bool public_side);

#endif
