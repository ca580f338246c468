/* eve.h — one JSON object per line per flow record (--eve FILE), in the
 * field names SIEM pipelines already parse: Elastic Common Schema
 * (source.ip, destination.port, network.community_id,
 * observer.ingress.interface.name, event.kind …) and Suricata's EVE
 * (timestamp, event_type "flow", app_proto, flow.*). The README's "EVE
 * JSON" section lists every field with an example line.
 *
 * Each finished flow gives one line; so does each periodic update of a
 * flow still open (end_reason "active", once the engine sends those).
 * event.kind is "alert" for a finding (flowtext.h: unexpected,
 * mismatch, wrong-direction, an unanswered attempt on a documented row),
 * "event" for every other flow.
 *
 * JSON is written by jansson, which escapes every string and refuses
 * bytes that are not UTF-8: a server name that is valid UTF-8 is given
 * exactly (quotes, backslashes and control characters escaped as JSON
 * says); one that is not is given in escape.h's wire form ("\xff" as
 * four characters) with edgeaudit.server_name_escaped true. So every line
 * is valid JSON (RFC 8259) whatever came off the wire.
 *
 * The file is opened for appending; each line goes out in one write(2)
 * as its flow is decided, so a reader (Filebeat) never sees half a line
 * and a crash loses nothing already written. ea_eve_reopen opens the path
 * again (after logrotate moved the file: SIGHUP). Not thread-safe: one
 * writer, or the caller's lock. Pipeline position: output, after match;
 * fed through ea_audit_config.on_flow. The only file that includes
 * <jansson.h>. */
#ifndef EA_EVE_H
#define EA_EVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/flowrec.h"
#include "rules/match.h"
#include "rules/matrix.h"
#include "util/error.h"

typedef struct ea_eve ea_eve;

typedef struct {
	uint64_t lines;       /* lines written whole */
	uint64_t failed;      /* lines that could not be written (disk full, …) */
} ea_eve_stats;

/* Opens path for appending (created 0640, less the umask). observer:
 * observer.hostname (NULL: gethostname()); copied. EA_ERR_IO with the
 * reason; EA_ERR_NOMEM. */
ea_status ea_eve_open(const char *path, const char *observer, ea_eve **out, char *errbuf, size_t errlen);

/* The JSON object of one flow record, without the newline, in a string
 * the caller frees with free(). m (borrowed) gives the rule ids;
 * observer may be NULL (no observer.hostname). NULL when out of memory. */
char *ea_eve_json(const ea_flow_record *rec, const ea_match_result *mr, const ea_matrix *m,
		  const char *observer);

/* Appends rec's line. False when it could not be written whole (counted;
 * the first failure's reason is kept for ea_eve_last_error). */
bool ea_eve_write(ea_eve *e, const ea_flow_record *rec, const ea_match_result *mr, const ea_matrix *m);

/* Gives the open file to uid:gid (fchown(2): the file opened, whatever
 * its path names now): a sensor started as root that then runs as an
 * unprivileged user must be able to open it again on SIGHUP, and
 * logrotate's `create` copies a rotated file's owner to the new one.
 * EA_ERR_IO when the kernel refuses (not root). */
ea_status ea_eve_chown(ea_eve *e, uid_t uid, gid_t gid, char *errbuf, size_t errlen);

/* Closes the file and opens its path again (logrotate has moved it).
 * On failure the old file stays open and EA_ERR_IO says why. */
ea_status ea_eve_reopen(ea_eve *e, char *errbuf, size_t errlen);

ea_eve_stats ea_eve_get_stats(const ea_eve *e);
/* The first write failure ("FILE: No space left on device"), "" when none. */
const char *ea_eve_last_error(const ea_eve *e);

/* Closes and frees. EA_ERR_IO when close(2) reports a late write error.
 * NULL is fine. */
ea_status ea_eve_close(ea_eve *e, char *errbuf, size_t errlen);

#endif
