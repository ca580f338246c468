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

#define EA_NAME_MAX 32
#define EA_MAX_ROLES_PER_SIDE 4

typedef struct {
	char name[EA_NAME_MAX];  /* "access_edge" */
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
	unsigned n_protocols;
} ea_rule;

typedef struct {
	ea_role roles[EA_MAX_ROLES];
	unsigned n_roles;
	ea_rule *rules;              /* owned, document order */
	unsigned n_rules;
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
void ea_matrix_free(ea_matrix *m);

/* Index of the role called name, or -1. */
int ea_matrix_role_index(const ea_matrix *m, const char *name);
/* Index of the rule with that id, or -1. */
int ea_matrix_rule_index(const ea_matrix *m, const char *id);

#endif
