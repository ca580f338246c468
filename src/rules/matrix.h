/* matrix.h — the vendor's port matrix as data (signatures/NAME.matrix).
 *
 * A matrix declares the roles its rows speak of and the rows themselves,
 * in document order, each with a stable id. See signatures/README.md for
 * the file format. Pipeline position: loaded once; read by the matcher. */
#ifndef EA_MATRIX_H
#define EA_MATRIX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "util/ea_limits.h"
#include "decode/packet.h"
#include "rules/textparse.h"
#include "rules/feature.h"

#define EA_NAME_MAX 32
#define EA_MAX_ROLES_PER_SIDE 4

/* Who wrote a row or role: the vendor's document (the matrix file) or
 * the site (a local rules file, --local). */
typedef enum { EA_ORIGIN_VENDOR = 0, EA_ORIGIN_LOCAL } ea_origin;
/* What a row does to the flows it fits. Vendor rows only allow. */
typedef enum { EA_ACTION_ALLOW = 0, EA_ACTION_DENY } ea_action;

/* "vendor" / "local", "allow" / "deny". */
const char *ea_origin_name(ea_origin o);
const char *ea_action_name(ea_action a);

typedef struct {
	char name[EA_NAME_MAX];  /* "access_edge" */
	ea_origin origin;        /* declared by the matrix or a local file */
	bool required;           /* must be given addresses in the site file */
	char *description;       /* owned */
} ea_role;

typedef struct {
	char id[EA_NAME_MAX];        /* "ext-01" */
	unsigned order;              /* 0-based document order */
	unsigned line;               /* where it starts in the file */
	unsigned port_line, protocols_line, iface_line; /* where those keys are, for messages */
	bool iface_set;
	char table[EA_NAME_MAX];     /* "external", "internal", "federation", "public-im", "xmpp" */
	ea_iface iface;
	char *text;                  /* the document's role/protocol/transport/port cell, owned */
	uint8_t transport;           /* 6 or 17 */
	uint16_t port_lo, port_hi;   /* responder port range */
	/* Role indexes into ea_matrix.roles; 0 roles means "any". A side with
	 * several roles matches the union of those that the site sets; when
	 * the site sets none of them the side means any address. */
	uint8_t src_roles[EA_MAX_ROLES_PER_SIDE], n_src;
	uint8_t dst_roles[EA_MAX_ROLES_PER_SIDE], n_dst;
	char *source_text, *destination_text; /* the document's cells, owned */
	char *note_zh, *note_en;              /* owned */
	/* Application protocols acceptable on the row, nDPI 4.2 names
	 * (compared case-insensitively with a flow's master or app protocol). */
	char protocols[EA_MAX_PROTOCOLS_PER_ENTRY][EA_NAME_MAX];
	unsigned n_protocols;        /* 0 only on a local deny row: any protocol */
	ea_origin origin;
	ea_action action;
	/* The optional features the row serves (`feature = …`): it is open
	 * when the site offers any of them; 0: always open. */
	ea_feature_set features;
	/* Set once the site file is known (ea_matrix_apply_profile): the
	 * features the site does not offer that close this row; 0: open. */
	ea_feature_set closed_by;
} ea_rule;

typedef struct {
	ea_role roles[EA_MAX_ROLES];
	unsigned n_roles;
	ea_rule *rules;              /* owned, document order; local rows after the vendor's */
	unsigned n_rules;
	unsigned n_vendor_rules;     /* rules[0..n_vendor_rules) are the matrix file's */
	unsigned n_vendor_roles;     /* roles[0..n_vendor_roles) likewise */
} ea_matrix;

/* Loads a matrix from f. file_name is for messages. On error every problem
 * found is listed in errbuf as "file:line: message" lines and
 * EA_ERR_CONFIG is returned; *m is left empty. */
ea_status ea_matrix_load(FILE *f, const char *file_name, ea_matrix *m,
			 char *errbuf, size_t errlen);
/* ea_matrix_load, with the checks that need more than the file
 * (textparse.h); checks may be NULL. */
ea_status ea_matrix_load_checked(FILE *f, const char *file_name, const ea_load_checks *checks,
				 ea_matrix *m, char *errbuf, size_t errlen);
/* Appends a site's local rules (signatures/README.md, "Local rules") to
 * the loaded matrix m: the same format, with ids local-NN unique across
 * both files, `action = allow|deny`, `table` optional (always "local"),
 * `protocols` optional on a deny row (any protocol), and [role] sections
 * for the site's own parties. Role names resolve against the matrix's
 * roles and the file's own. matrix_name names m's file in messages about
 * a clash with it. On error every problem is listed as "file:line:
 * message", EA_ERR_CONFIG is returned and m is left as it was (its local
 * part removed) — unless checks->keep_on_error, which leaves the local
 * part as far as it loaded, for a site file to be checked against its
 * roles; such a matrix is only for freeing. Ports need no signature (a site's own services are not
 * the document's); protocol names are checked as in the matrix. */
ea_status ea_matrix_load_local(FILE *f, const char *file_name, const char *matrix_name,
			       const ea_load_checks *checks, ea_matrix *m, char *errbuf, size_t errlen);
void ea_matrix_free(ea_matrix *m);

/* Index of the role called name, or -1. */
int ea_matrix_role_index(const ea_matrix *m, const char *name);
/* Index of the rule with that id, or -1. */
int ea_matrix_rule_index(const ea_matrix *m, const char *id);

#endif
