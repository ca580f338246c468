/* evecheck.h — the --eve file must be a file of its own.
 *
 * --eve appends to its file: given the path of the database, a data file
 * or a capture, it would corrupt evidence (or lose every line). `read`
 * and `monitor` both refuse that as a usage error, through this one
 * check (the same file by device and inode, util/samefile.h, so a
 * symlink or another spelling of the path is caught too).
 * "-" is refused too: it would be a file named "-", where a user
 * expects standard output (which carries read's summary).
 * Position: cli/, option checking before anything is opened. */
#ifndef EA_EVECHECK_H
#define EA_EVECHECK_H

#include <stddef.h>

#include "cli/run.h"
#include "util/error.h"

/* What a command reads or writes besides the EVE file; NULL members and
 * n_captures 0 are fine (monitor has no captures). Borrowed. */
typedef struct {
	const char *db, *site, *matrix, *ports, *local;
	const ea_run_capture *captures;
	unsigned n_captures;
} ea_eve_inputs;

/* EA_OK when eve is none of in's files and not "-"; else EA_ERR_USAGE and errbuf
 * says which option names the same file ("--eve 'x' is also given as
 * --db: ..."; the path escaped, util/escape.h). */
ea_status ea_eve_check_not_input(const char *eve, const ea_eve_inputs *in, char *errbuf, size_t errlen);

#endif
