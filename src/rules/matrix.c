/* matrix.c — loads the vendor's port matrix (signatures/NAME.matrix).
 *
 * The file is read once through the ini reader: [role NAME] sections
 * declare who the rows speak of, [rule ID] sections are the rows in
 * document order. Role names in rules are resolved after the whole file
 * is read, so roles may be declared anywhere. Every mistake is collected
 * and reported as "file:line: message"; one mistake fails the load, since
 * a half-loaded matrix would quietly call documented traffic unexpected.
 * A site's local rules (ea_matrix_load_local) go through the same reader
 * and are appended to the matrix, so every rule index stays one list.
 * Pipeline position: configuration loading; the matcher reads the result. */
#include "rules/matrix.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/ini.h"
#include "rules/textparse.h"

enum {
	K_TABLE = 1u << 0,
	K_IFACE = 1u << 1,
	K_TEXT = 1u << 2,
	K_TRANSPORT = 1u << 3,
	K_PORT = 1u << 4,
	K_SOURCE = 1u << 5,
	K_DEST = 1u << 6,
	K_PROTOCOLS = 1u << 7,
	K_NOTE_ZH = 1u << 8,
	K_NOTE_EN = 1u << 9,
	K_SOURCE_TEXT = 1u << 10,
	K_DEST_TEXT = 1u << 11,
	K_REQUIRED = 1u << 12,
	K_DESCRIPTION = 1u << 13,
	K_FEATURE = 1u << 14,
	K_ACTION = 1u << 15,
};

typedef struct {
	const char *name;
	unsigned bit;
} key_def;

static const key_def rule_keys[] = {
	{"table", K_TABLE},       {"interface", K_IFACE},         {"text", K_TEXT},
	{"transport", K_TRANSPORT}, {"port", K_PORT},           {"source", K_SOURCE},
	{"destination", K_DEST},  {"protocols", K_PROTOCOLS},     {"note.zh", K_NOTE_ZH},
	{"note.en", K_NOTE_EN},   {"source.text", K_SOURCE_TEXT}, {"destination.text", K_DEST_TEXT},
	{"feature", K_FEATURE},   {"action", K_ACTION},
};
/* The cells a row cannot be matched or shown without; notes and the
 * document's own source/destination wording are optional. */
static const unsigned rule_required = K_TABLE | K_IFACE | K_TEXT | K_TRANSPORT | K_PORT | K_SOURCE |
				      K_DEST | K_PROTOCOLS;

static const key_def role_keys[] = {{"required", K_REQUIRED}, {"description", K_DESCRIPTION}};
static const unsigned role_required = K_REQUIRED;

/* Role names of one side, resolved once every role is known. */
typedef struct {
	char names[EA_MAX_ROLES_PER_SIDE][EA_NAME_MAX];
	unsigned n;
	unsigned line;
} pending_side;

typedef struct {
	pending_side src, dst;
} pending_rule;

typedef enum { SEC_NONE, SEC_ROLE, SEC_RULE, SEC_SKIP } section_kind;

/* The document's five tables (the Lync 2013 Edge port summaries: the
 * external and internal interface firewall summaries, federation, public
 * IM connectivity, XMPP). A misspelt table would split one table's rows
 * into two in every report that groups by it, so the list is closed; a
 * new kind of document adds its tables here. */
static const char *const known_tables[] = {"external", "internal", "federation", "public-im", "xmpp"};

typedef struct {
	ea_ini *ini;
	const ea_load_checks *checks; /* may be NULL */
	ea_matrix *m;
	bool local;             /* a site's local rules, appended to m */
	const char *matrix_name; /* local: the matrix's file, for messages */
	unsigned first_rule;    /* local: m's rules before this file's */
	pending_rule *pending;  /* parallel to m->rules */
	unsigned cap;           /* allocated rules */
	section_kind kind;
	unsigned seen;          /* K_* bits given in the current section */
	unsigned section_line;
	bool nomem;
	bool too_many_rules, too_many_roles;
} loader;

static ea_rule *cur_rule(loader *ld)
{
	return &ld->m->rules[ld->m->n_rules - 1];
}

static ea_role *cur_role(loader *ld)
{
	return &ld->m->roles[ld->m->n_roles - 1];
}

static char *dup_value(loader *ld, const char *v)
{
	char *s = strdup(v);
	if (!s)
		ld->nomem = true;
	return s;
}

/* A finished rule against what its keys must agree on: the interface
 * tables name their interface, and the port signatures must cover the
 * row's ports with one of its protocols (else a flow on the row that
 * nothing confirms would be assumed to carry a protocol the row does not
 * accept, or the port would not count as well known). */
static void check_rule(loader *ld, const ea_rule *r)
{
	if (r->table[0] && r->iface_set &&
	    ((strcmp(r->table, "external") == 0 && r->iface != EA_IFACE_EXTERNAL) ||
	     (strcmp(r->table, "internal") == 0 && r->iface != EA_IFACE_INTERNAL)))
		ea_ini_error(ld->ini, r->iface_line, "rule %s: interface %s in the %s interface table",
			     r->id, ea_iface_name(r->iface), r->table);
	/* A site's own services are not the document's: their ports need
	 * no signature (an unconfirmed flow on one is judged by port only). */
	if (ld->local || !ld->checks || !ld->checks->ports_covered || !r->transport || !r->port_lo ||
	    !r->n_protocols)
		return;
	const char *names[EA_MAX_PROTOCOLS_PER_ENTRY];
	for (unsigned i = 0; i < r->n_protocols; i++)
		names[i] = r->protocols[i];
	char why[256];
	if (!ld->checks->ports_covered(ld->checks->arg, r->transport, r->port_lo, r->port_hi, names,
				       r->n_protocols, why, sizeof why))
		ea_ini_error(ld->ini, r->port_line, "rule %s: %s", r->id, why);
}

/* Checks the section just finished for keys it must have. */
static void end_section(loader *ld)
{
	const key_def *keys = NULL;
	size_t n_keys = 0;
	unsigned required = 0;
	const char *what = "", *name = "";
	if (ld->kind == SEC_RULE) {
		keys = rule_keys;
		n_keys = sizeof rule_keys / sizeof rule_keys[0];
		required = rule_required;
		if (ld->local) {
			/* Local rows are all in one table of their own; a deny
			 * without protocols forbids any protocol. */
			required &= ~K_TABLE;
			if (cur_rule(ld)->action == EA_ACTION_DENY)
				required &= ~K_PROTOCOLS;
		}
		what = "rule";
		name = cur_rule(ld)->id;
	} else if (ld->kind == SEC_ROLE) {
		keys = role_keys;
		n_keys = sizeof role_keys / sizeof role_keys[0];
		required = role_required;
		what = "role";
		name = cur_role(ld)->name;
	}
	for (size_t i = 0; i < n_keys; i++)
		if ((required & keys[i].bit) && !(ld->seen & keys[i].bit))
			ea_ini_error(ld->ini, ld->section_line, "%s %s: missing key '%s'", what, name,
				     keys[i].name);
	if (ld->kind == SEC_RULE)
		check_rule(ld, cur_rule(ld));
	ld->kind = SEC_NONE;
	ld->seen = 0;
}

static bool grow_rules(loader *ld)
{
	if (ld->m->n_rules < ld->cap)
		return true;
	unsigned cap = ld->cap ? ld->cap * 2 : 32;
	if (cap > EA_MAX_RULES)
		cap = EA_MAX_RULES;
	ea_rule *r = realloc(ld->m->rules, cap * sizeof *r);
	if (!r)
		goto nomem;
	ld->m->rules = r;
	pending_rule *p = realloc(ld->pending, cap * sizeof *p);
	if (!p)
		goto nomem;
	ld->pending = p;
	ld->cap = cap;
	return true;
nomem:
	ld->nomem = true;
	return false;
}

static void begin_section(loader *ld, const ea_ini_item *it)
{
	ld->kind = SEC_SKIP;
	ld->seen = 0;
	ld->section_line = it->line;
	bool is_rule = strcmp(it->section, "rule") == 0;
	bool is_role = strcmp(it->section, "role") == 0;
	if (!is_rule && !is_role) {
		ea_ini_error(ld->ini, it->line, "unknown section [%s] (expected [role NAME] or [rule ID])",
			     it->section);
		return;
	}
	if (!ea_is_name(it->name, EA_NAME_MAX)) {
		ea_ini_error(ld->ini, it->line,
			     "[%s] needs a name of 1-%d letters, digits, '_', '-' or '.'", it->section,
			     EA_NAME_MAX - 1);
		return;
	}
	ea_matrix *m = ld->m;
	if (is_role) {
		if (strcasecmp(it->name, "any") == 0) {
			/* A side "any" would then mean two things. */
			ea_ini_error(ld->ini, it->line, "a role cannot be called 'any'");
			return;
		}
		int known = ea_matrix_role_index(m, it->name);
		if (known >= 0) {
			if (m->roles[known].origin != (ld->local ? EA_ORIGIN_LOCAL : EA_ORIGIN_VENDOR))
				ea_ini_error(ld->ini, it->line, "role '%s' is already declared by %s", it->name,
					     ld->matrix_name ? ld->matrix_name : "the matrix");
			else
				ea_ini_error(ld->ini, it->line, "role '%s' is declared twice", it->name);
			return;
		}
		if (m->n_roles >= EA_MAX_ROLES) {
			if (!ld->too_many_roles)
				ea_ini_error(ld->ini, it->line, "more than %d roles", EA_MAX_ROLES);
			ld->too_many_roles = true;
			return;
		}
		ea_role *r = &m->roles[m->n_roles++];
		memset(r, 0, sizeof *r);
		snprintf(r->name, sizeof r->name, "%s", it->name);
		r->origin = ld->local ? EA_ORIGIN_LOCAL : EA_ORIGIN_VENDOR;
		ld->kind = SEC_ROLE;
		return;
	}
	/* Local ids are their own namespace, so a verdict's id says at once
	 * whether the vendor's row or the site's rule decided it. */
	bool local_id = strncmp(it->name, "local-", 6) == 0;
	/* At least two digits, as the document's own ids (ext-01): ids that
	 * sort and align the same way in every listing. */
	if (ld->local && (!local_id || strspn(it->name + 6, "0123456789") != strlen(it->name + 6) ||
			  strlen(it->name + 6) < 2)) {
		ea_ini_error(ld->ini, it->line, "local rule ids are local-NN (local-01, local-02, ...), not '%s'",
			     it->name);
		return;
	}
	if (!ld->local && local_id) {
		ea_ini_error(ld->ini, it->line, "rule ids local-NN are for local rules (--local), not the matrix");
		return;
	}
	int dup = ea_matrix_rule_index(m, it->name);
	if (dup >= 0 && (unsigned)dup < ld->first_rule) {
		ea_ini_error(ld->ini, it->line, "rule id '%s' is already used by %s:%u", it->name,
			     ld->matrix_name ? ld->matrix_name : "the matrix", m->rules[dup].line);
		return;
	}
	if (dup >= 0) {
		ea_ini_error(ld->ini, it->line, "rule id '%s' is already used at line %u", it->name,
			     m->rules[dup].line);
		return;
	}
	if (m->n_rules >= EA_MAX_RULES) {
		if (!ld->too_many_rules)
			ea_ini_error(ld->ini, it->line, "more than %d rules", EA_MAX_RULES);
		ld->too_many_rules = true;
		return;
	}
	if (!grow_rules(ld))
		return;
	ea_rule *r = &m->rules[m->n_rules];
	memset(r, 0, sizeof *r);
	memset(&ld->pending[m->n_rules], 0, sizeof ld->pending[0]);
	m->n_rules++;
	snprintf(r->id, sizeof r->id, "%s", it->name);
	r->order = m->n_rules - 1;
	r->line = it->line;
	if (ld->local) {
		r->origin = EA_ORIGIN_LOCAL;
		snprintf(r->table, sizeof r->table, "local");
	}
	ld->kind = SEC_RULE;
}

/* ea_list_check for a side: "any" stands alone or not at all. */
static bool check_not_any(void *arg, unsigned i, const char *item, char *why, size_t whylen)
{
	(void)arg;
	(void)i;
	if (strcasecmp(item, "any") != 0)
		return true;
	snprintf(why, whylen, "'%s' cannot be combined with roles", item);
	return false;
}

/* "any", or one or more role names; resolved later. */
static void parse_side(loader *ld, const ea_ini_item *it, pending_side *side)
{
	side->line = it->line;
	side->n = 0;
	if (strcasecmp(it->value, "any") == 0)
		return;
	const ea_list_spec spec = {
		.label = it->key, .one = "role", .many = "roles",
		.max = EA_MAX_ROLES_PER_SIDE, .name_max = EA_NAME_MAX, .check = check_not_any,
	};
	ea_name_list list;
	if (!ea_parse_name_list(ld->ini, it->line, it->value, &spec, &list))
		return;
	for (unsigned i = 0; i < list.n; i++)
		snprintf(side->names[i], EA_NAME_MAX, "%s", list.items[i]);
	side->n = list.n;
}

static void parse_protocols(loader *ld, const ea_ini_item *it, ea_rule *r)
{
	const ea_list_spec spec = {
		.label = it->key, .one = "protocol", .many = "protocols",
		.max = EA_MAX_PROTOCOLS_PER_ENTRY, .name_max = EA_NAME_MAX,
	};
	ea_name_list list;
	if (!ea_parse_name_list(ld->ini, it->line, it->value, &spec, &list))
		return;
	bool known = true;
	for (unsigned i = 0; i < list.n; i++) {
		if (ld->checks && ld->checks->protocol_known &&
		    !ld->checks->protocol_known(ld->checks->arg, list.items[i])) {
			ea_ini_error(ld->ini, it->line, "%s: protocol '%s' is unknown to %s", it->key,
				     list.items[i], ld->checks->protocol_authority ? ld->checks->protocol_authority : "the classifier");
			known = false;
		}
	}
	if (!known)
		return;
	for (unsigned i = 0; i < list.n; i++)
		snprintf(r->protocols[i], EA_NAME_MAX, "%s", list.items[i]);
	r->n_protocols = list.n;
	r->protocols_line = it->line;
}

/* ea_list_check for a feature list: one of feature.h's names. */
static bool check_feature(void *arg, unsigned i, const char *item, char *why, size_t whylen)
{
	(void)arg;
	(void)i;
	if (ea_feature_by_name(item) >= 0)
		return true;
	char all[256] = "";
	size_t used = 0;
	for (int f = 0; f < EA_FEATURE_COUNT && used < sizeof all; f++)
		used += (size_t)snprintf(all + used, sizeof all - used, "%s%s", f ? ", " : "",
					 ea_feature_name((ea_feature)f));
	snprintf(why, whylen, "unknown feature '%s' (known: %s)", item, all);
	return false;
}

/* The optional features a row serves; it is open when any is offered. */
static void parse_features(loader *ld, const ea_ini_item *it, ea_rule *r)
{
	const ea_list_spec spec = {
		.label = it->key, .one = "feature", .many = "features",
		.max = EA_FEATURE_COUNT, .name_max = EA_NAME_MAX, .check = check_feature,
	};
	ea_name_list list;
	if (!ea_parse_name_list(ld->ini, it->line, it->value, &spec, &list))
		return;
	for (unsigned i = 0; i < list.n; i++)
		r->features |= 1u << ea_feature_by_name(list.items[i]);
}

static void rule_key(loader *ld, const ea_ini_item *it, unsigned bit)
{
	ea_rule *r = cur_rule(ld);
	pending_rule *p = &ld->pending[ld->m->n_rules - 1];
	char why[160];
	switch (bit) {
	case K_TABLE: {
		if (ld->local) {
			if (strcmp(it->value, "local") != 0)
				ea_ini_error(ld->ini, it->line, "table '%s': local rules are all in table 'local'",
					     it->value);
			break;
		}
		bool known = false;
		for (size_t i = 0; i < sizeof known_tables / sizeof known_tables[0]; i++)
			known |= strcmp(it->value, known_tables[i]) == 0;
		if (!known)
			ea_ini_error(ld->ini, it->line,
				     "table '%s' is not one of external, internal, federation, public-im, xmpp",
				     it->value);
		else
			snprintf(r->table, sizeof r->table, "%s", it->value);
		break;
	}
	case K_IFACE:
		r->iface_set = true;
		r->iface_line = it->line;
		if (strcmp(it->value, "external") == 0)
			r->iface = EA_IFACE_EXTERNAL;
		else if (strcmp(it->value, "internal") == 0)
			r->iface = EA_IFACE_INTERNAL;
		else {
			r->iface_set = false;
			ea_ini_error(ld->ini, it->line, "interface '%s' is not external or internal",
				     it->value);
		}
		break;
	case K_TRANSPORT:
		if (!ea_parse_transport(it->value, &r->transport)) {
			ea_ini_error(ld->ini, it->line, "transport '%s' is not tcp or udp", it->value);
			r->transport = 0;
		}
		break;
	case K_PORT:
		r->port_line = it->line;
		if (!ea_parse_port_range(it->value, &r->port_lo, &r->port_hi, why, sizeof why)) {
			ea_ini_error(ld->ini, it->line, "%s", why);
			r->port_lo = r->port_hi = 0;
		}
		break;
	case K_SOURCE: parse_side(ld, it, &p->src); break;
	case K_DEST: parse_side(ld, it, &p->dst); break;
	case K_PROTOCOLS: parse_protocols(ld, it, r); break;
	case K_TEXT: r->text = dup_value(ld, it->value); break;
	case K_NOTE_ZH: r->note_zh = dup_value(ld, it->value); break;
	case K_NOTE_EN: r->note_en = dup_value(ld, it->value); break;
	case K_SOURCE_TEXT: r->source_text = dup_value(ld, it->value); break;
	case K_DEST_TEXT: r->destination_text = dup_value(ld, it->value); break;
	case K_FEATURE: parse_features(ld, it, r); break;
	case K_ACTION:
		if (!ld->local)
			ea_ini_error(ld->ini, it->line, "action is for local rules (--local); matrix rows only allow");
		else if (strcmp(it->value, "allow") == 0)
			r->action = EA_ACTION_ALLOW;
		else if (strcmp(it->value, "deny") == 0)
			r->action = EA_ACTION_DENY;
		else
			ea_ini_error(ld->ini, it->line, "action '%s' is not allow or deny", it->value);
		break;
	}
}

static void role_key(loader *ld, const ea_ini_item *it, unsigned bit)
{
	ea_role *r = cur_role(ld);
	if (bit == K_DESCRIPTION) {
		r->description = dup_value(ld, it->value);
	} else if (strcasecmp(it->value, "yes") == 0 || strcasecmp(it->value, "true") == 0) {
		r->required = true;
	} else if (strcasecmp(it->value, "no") == 0 || strcasecmp(it->value, "false") == 0) {
		r->required = false;
	} else {
		ea_ini_error(ld->ini, it->line, "required must be yes or no, not '%s'", it->value);
	}
}

static void key_value(loader *ld, const ea_ini_item *it)
{
	if (ld->kind == SEC_SKIP)
		return; /* the header was already reported */
	if (ld->kind == SEC_NONE) {
		ea_ini_error(ld->ini, it->line, "'%s' is outside any [role] or [rule] section", it->key);
		return;
	}
	const key_def *keys = ld->kind == SEC_RULE ? rule_keys : role_keys;
	size_t n_keys = ld->kind == SEC_RULE ? sizeof rule_keys / sizeof rule_keys[0]
					     : sizeof role_keys / sizeof role_keys[0];
	unsigned bit = 0;
	for (size_t i = 0; i < n_keys && !bit; i++)
		if (strcmp(it->key, keys[i].name) == 0)
			bit = keys[i].bit;
	if (!bit) {
		ea_ini_error(ld->ini, it->line, "unknown key '%s' in [%s]", it->key,
			     ld->kind == SEC_RULE ? "rule" : "role");
		return;
	}
	if (ld->seen & bit) {
		ea_ini_error(ld->ini, it->line, "key '%s' is given twice", it->key);
		return;
	}
	ld->seen |= bit;
	if (it->value[0] == '\0') {
		ea_ini_error(ld->ini, it->line, "key '%s' has no value", it->key);
		return;
	}
	if (ld->kind == SEC_RULE)
		rule_key(ld, it, bit);
	else
		role_key(ld, it, bit);
}

static void resolve_side(loader *ld, const pending_side *side, uint8_t *roles, uint8_t *n)
{
	*n = 0;
	for (unsigned i = 0; i < side->n; i++) {
		int idx = ea_matrix_role_index(ld->m, side->names[i]);
		if (idx < 0) {
			ea_ini_error(ld->ini, side->line, "unknown role '%s' (not declared by a [role] section)",
				     side->names[i]);
			continue;
		}
		roles[(*n)++] = (uint8_t)idx;
	}
}

ea_status ea_matrix_load(FILE *f, const char *file_name, ea_matrix *m, char *errbuf, size_t errlen)
{
	return ea_matrix_load_checked(f, file_name, NULL, m, errbuf, errlen);
}

/* Reads one file into m through ld (a matrix, or local rules appended to
 * it) and resolves its rows' role names. Returns the status; the
 * messages are in errbuf. */
static ea_status load_file(loader *ld, FILE *f, const char *file_name, char *errbuf, size_t errlen)
{
	ea_matrix *m = ld->m;
	ea_status st = EA_OK;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	ld->ini = ea_ini_open(f, file_name);
	if (!ld->ini)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", file_name);

	ea_ini_item it;
	while (ea_ini_next(ld->ini, &it) && !ld->nomem) {
		if (it.kind == EA_INI_SECTION) {
			end_section(ld);
			begin_section(ld, &it);
		} else {
			key_value(ld, &it);
		}
	}
	end_section(ld);
	for (unsigned i = ld->first_rule; i < m->n_rules && !ld->nomem; i++) {
		resolve_side(ld, &ld->pending[i].src, m->rules[i].src_roles, &m->rules[i].n_src);
		resolve_side(ld, &ld->pending[i].dst, m->rules[i].dst_roles, &m->rules[i].n_dst);
	}
	if (!ld->nomem && m->n_rules == ld->first_rule && ea_ini_error_count(ld->ini) == 0)
		ea_ini_error(ld->ini, 0, "no [rule] sections");

	if (ld->nomem)
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", file_name);
	else if (ea_ini_error_count(ld->ini)) {
		ea_ini_errors(ld->ini, errbuf, errlen);
		st = EA_ERR_CONFIG;
	}
	ea_ini_close(ld->ini);
	ld->ini = NULL;
	free(ld->pending);
	ld->pending = NULL;
	return st;
}

ea_status ea_matrix_load_checked(FILE *f, const char *file_name, const ea_load_checks *checks,
				 ea_matrix *m, char *errbuf, size_t errlen)
{
	memset(m, 0, sizeof *m);
	loader ld = {.m = m, .checks = checks};
	ea_status st = load_file(&ld, f, file_name, errbuf, errlen);
	m->n_vendor_rules = m->n_rules;
	m->n_vendor_roles = m->n_roles;
	if (st != EA_OK && !(st == EA_ERR_CONFIG && checks && checks->keep_on_error))
		ea_matrix_free(m);
	return st;
}

/* Frees what rules[n_rules..] and roles[n_roles..] own and forgets them. */
static void truncate_matrix(ea_matrix *m, unsigned n_rules, unsigned n_roles)
{
	for (unsigned i = n_roles; i < m->n_roles; i++)
		free(m->roles[i].description);
	for (unsigned i = n_rules; i < m->n_rules; i++) {
		ea_rule *r = &m->rules[i];
		free(r->text);
		free(r->source_text);
		free(r->destination_text);
		free(r->note_zh);
		free(r->note_en);
	}
	m->n_rules = n_rules;
	m->n_roles = n_roles;
}

ea_status ea_matrix_load_local(FILE *f, const char *file_name, const char *matrix_name,
			       const ea_load_checks *checks, ea_matrix *m, char *errbuf, size_t errlen)
{
	unsigned n_rules = m->n_rules, n_roles = m->n_roles;
	loader ld = {.m = m, .checks = checks, .local = true, .matrix_name = matrix_name,
		     .first_rule = n_rules, .cap = n_rules};
	/* pending is indexed like m->rules: room for the vendor rows too
	 * (never read), so the local rows' entries line up. */
	if (n_rules) {
		ld.pending = calloc(n_rules, sizeof *ld.pending);
		if (!ld.pending)
			return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", file_name);
	}
	ea_status st = load_file(&ld, f, file_name, errbuf, errlen);
	/* keep_on_error: the file's roles stay, so a site file that sets
	 * them is judged by them (`check` lists its own mistakes only). */
	if (st != EA_OK && !(st == EA_ERR_CONFIG && checks && checks->keep_on_error))
		truncate_matrix(m, n_rules, n_roles);
	return st;
}

const char *ea_origin_name(ea_origin o)
{
	return o == EA_ORIGIN_LOCAL ? "local" : "vendor";
}

const char *ea_action_name(ea_action a)
{
	return a == EA_ACTION_DENY ? "deny" : "allow";
}

void ea_matrix_free(ea_matrix *m)
{
	for (unsigned i = 0; i < m->n_roles; i++)
		free(m->roles[i].description);
	for (unsigned i = 0; i < m->n_rules; i++) {
		ea_rule *r = &m->rules[i];
		free(r->text);
		free(r->source_text);
		free(r->destination_text);
		free(r->note_zh);
		free(r->note_en);
	}
	free(m->rules);
	memset(m, 0, sizeof *m);
}

int ea_matrix_role_index(const ea_matrix *m, const char *name)
{
	for (unsigned i = 0; i < m->n_roles; i++)
		if (strcmp(m->roles[i].name, name) == 0)
			return (int)i;
	return -1;
}

int ea_matrix_rule_index(const ea_matrix *m, const char *id)
{
	for (unsigned i = 0; i < m->n_rules; i++)
		if (strcmp(m->rules[i].id, id) == 0)
			return (int)i;
	return -1;
}
