/* ruleset.h — what judges traffic, as one object: the port matrix, the
 * port signatures, the site's local rules and the site file, with their paths, their SHA-256 and
 * a generation number, loaded and validated together.
 *
 * Pipeline position: loaded before a run (and, for a sensor, again on
 * reload); read by direction, classify and match, and recorded in the run
 * row. Each file is read into memory once: it is hashed and parsed from
 * those same bytes, so the hash in the database is that of the rules that
 * judged the flows even if the file changes on disk meanwhile.
 *
 * Ownership: a ruleset is immutable once loaded and is handed around as
 * `const ea_ruleset *`. It is reference-counted (C11 atomics), so several
 * threads may hold it and read it without locks:
 *   - ea_ruleset_load gives the caller one reference;
 *   - whoever stores the pointer beyond a call (an audit, an engine, a
 *     flow in flight) takes its own reference with ea_ruleset_ref and
 *     drops it with ea_ruleset_unref when done; borrowing for the length
 *     of a call needs no reference;
 *   - a reference is only ever taken from a reference one already holds
 *     (never from a shared pointer that another thread may drop at the
 *     same time): to swap the rules on reload, the reloading thread loads
 *     the new ruleset and hands each user its own reference, and each
 *     user drops its old one when it switches; flows judged by the old
 *     rules keep it alive until the last of them lets go;
 *   - the last ea_ruleset_unref frees it.
 * There is no global state: the generation comes from the ruleset it
 * replaces. */
#ifndef EA_RULESET_H
#define EA_RULESET_H

#include <stdint.h>
#include <stddef.h>

#include "util/error.h"
#include "rules/matrix.h"
#include "rules/portsig.h"
#include "rules/site.h"

typedef struct ea_ruleset ea_ruleset;

/* The data files of a ruleset. matrix is required. portsigs NULL: none
 * (the matrix's ports are then not checked against them, and
 * ea_ruleset_portsigs gives an empty set); site NULL: none (`rules`);
 * local NULL: no local rules (--local: the site's own rows, appended to
 * the matrix's, ea_matrix_load_local). */
typedef struct {
	const char *matrix;
	const char *portsigs;
	const char *site;
	const char *local;
} ea_ruleset_paths;

typedef enum {
	EA_RULESET_MATRIX,
	EA_RULESET_PORTSIGS,
	EA_RULESET_SITE,
	EA_RULESET_LOCAL,
	EA_RULESET_FILE_COUNT
} ea_ruleset_file;

/* One data file as loaded: NULL path when not given. */
typedef struct {
	const char *path;  /* as given, owned by the ruleset */
	char sha256[65];   /* 64 lowercase hex digits of the bytes parsed; "" when not given */
	uint64_t size;     /* bytes */
} ea_ruleset_file_info;

/* Loads and validates the files of paths as one. Checked beyond each
 * file: protocol names against the classifier (nDPI 4.2 and our payload
 * checks), every matrix row's ports covered by the signatures, the site
 * file against the matrix's roles (against the roles that loaded when the
 * matrix has errors, so the site's own mistakes are listed too), the
 * local rules against the matrix (ids, roles) and the site file against
 * both; the site's profile then closes the rows of the features it does
 * not offer (ea_site_apply_profile). On any problem nothing is kept and
 * errbuf lists every problem of every file, file by file (matrix,
 * signatures, local rules, site), each "file:line: message" in line order; returns EA_ERR_CONFIG for a file missing, unreadable, too
 * large (EA_MAX_DATA_FILE_BYTES) or wrong, EA_ERR_NOMEM, or the
 * classifier's error. A file that is not a regular file is refused
 * (ini.h, ea_open_data_file).
 *
 * previous: NULL, or the ruleset this one replaces (borrowed): the new
 * generation is previous's + 1, else 1. On EA_OK *out holds the
 * caller's one reference. */
ea_status ea_ruleset_load(const ea_ruleset_paths *paths, const ea_ruleset *previous, const ea_ruleset **out,
			  char *errbuf, size_t errlen);

/* Takes one more reference to rs (which the caller must hold) and
 * returns it. Thread-safe. */
const ea_ruleset *ea_ruleset_ref(const ea_ruleset *rs);
/* Drops one reference; the last frees the ruleset. NULL is fine.
 * Thread-safe. */
void ea_ruleset_unref(const ea_ruleset *rs);

/* The parts, valid while a reference is held. */
const ea_matrix *ea_ruleset_matrix(const ea_ruleset *rs);
const ea_portsigs *ea_ruleset_portsigs(const ea_ruleset *rs);
/* NULL when loaded without a site file. */
const ea_site *ea_ruleset_site(const ea_ruleset *rs);
const ea_ruleset_file_info *ea_ruleset_file_get(const ea_ruleset *rs, ea_ruleset_file which);
/* 1 for a first load, one more on each reload. */
uint64_t ea_ruleset_generation(const ea_ruleset *rs);

#endif
