/* textparse.h — the small value parsers the data-file loaders share
 * (matrix, port signatures, site): transports, ports and port ranges,
 * names, comma-separated lists. Every number is range-checked; nothing
 * here allocates. Lists report their mistakes through the ini reader, so
 * all three files word them alike. Pipeline position: configuration
 * loading. */
#ifndef EA_TEXTPARSE_H
#define EA_TEXTPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ea_limits.h"
#include "rules/ini.h"

/* "tcp" → 6, "udp" → 17 (case-insensitive). */
bool ea_parse_transport(const char *s, uint8_t *out);
/* "tcp" / "udp" for 6 / 17, "?" otherwise. */
const char *ea_transport_name(uint8_t transport);

/* "443" or "50000-59999" (blanks allowed around '-'): ports 1-65535,
 * lo <= hi. On failure why says what is wrong. */
bool ea_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi, char *why, size_t whylen);

/* A name as data files use them for ids, roles and protocols: one or
 * more of A-Z a-z 0-9 _ - . and shorter than max (max counts the NUL). */
bool ea_is_name(const char *s, size_t max);

/* The longest list any data file may give (a role's addresses). */
#define EA_LIST_MAX_ITEMS EA_MAX_PREFIXES_PER_ROLE

/* Checks one item of a list beyond the name rules. i is its position, so
 * a checker may keep what it parsed. On false, why names the item and
 * says what is wrong with it. */
typedef bool (*ea_list_check)(void *arg, unsigned i, const char *item, char *why, size_t whylen);

/* How one list value is read. Every data file goes through this, so a
 * protocol, role or address list obeys the same rules everywhere. */
typedef struct {
	const char *label;      /* starts each message: the key, or "role 'x'" */
	const char *one, *many; /* what an item is, for messages: "protocol", "protocols" */
	unsigned max;           /* most items allowed, at most EA_LIST_MAX_ITEMS */
	size_t name_max;        /* > 0: each item must pass ea_is_name(item, name_max) */
	ea_list_check check;    /* NULL, or a further check of each item */
	void *arg;              /* passed to check */
} ea_list_spec;

typedef struct {
	char buf[EA_MAX_LINE + 1];
	const char *items[EA_LIST_MAX_ITEMS]; /* trimmed, point into buf */
	unsigned n;
} ea_name_list;

/* Splits value at commas into trimmed items. Rejects an empty value, more
 * than spec->max items, an empty item, an item failing the name rules or
 * spec->check, and an item given twice (case-insensitive). Every problem
 * on the line is reported with ea_ini_error as "LABEL: message" at line;
 * returns false if there was any, and out->n is then 0. */
bool ea_parse_name_list(ea_ini *ini, unsigned line, const char *value, const ea_list_spec *spec,
			ea_name_list *out);

/* What a loader checks beyond its own file, each part optional (NULL):
 * whether an application protocol is one the classifier can report, and
 * (matrix rows only) whether the port signatures cover a row's ports
 * with one of its protocols. The answers are reported with the file's
 * other mistakes, at the line that names the protocol or the port, so a
 * file with several kinds of mistakes lists every one in line order. */
typedef struct {
	/* True when name is a protocol the classifier knows. */
	bool (*protocol_known)(void *arg, const char *name);
	const char *protocol_authority; /* named in messages: "nDPI 4.2.0" */
	/* True when every port lo..hi of transport has a signature that lists
	 * one of protocols[0..n); else false with why ("port 5270 has no
	 * signature in ports.sig"). */
	bool (*ports_covered)(void *arg, uint8_t transport, uint16_t lo, uint16_t hi,
			      const char *const *protocols, unsigned n, char *why, size_t whylen);
	void *arg;
	/* Matrix only: on a configuration error (EA_ERR_CONFIG) leave the
	 * matrix as far as it loaded — its roles, for `check` to judge a site
	 * file by — instead of freeing it; the caller then frees it. */
	bool keep_on_error;
} ea_load_checks;

#endif
