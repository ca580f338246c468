/* error.h — the one error vocabulary of edgeaudit.
 *
 * Library code never exits: it returns an ea_status and, where a person must
 * be told what went wrong, writes one line into the caller's errbuf
 * ("file:line: what is wrong", "capture.pcap: packet 17: ..."). Only main()
 * turns a status into an exit code, with ea_status_exit_code(). */
#ifndef EA_ERROR_H
#define EA_ERROR_H

#include <stddef.h>

typedef enum {
	EA_OK = 0,
	EA_ERR_USAGE,     /* bad command-line arguments */
	EA_ERR_CONFIG,    /* a data file (matrix, signatures, site) is wrong */
	EA_ERR_IO,        /* a file cannot be opened, read or written */
	EA_ERR_FORMAT,    /* an input is not a capture we can read */
	EA_ERR_DB,        /* SQLite refused: locked, full, corrupt, wrong schema */
	EA_ERR_DUPLICATE, /* that capture is already in the database */
	EA_ERR_NOMEM,
	EA_ERR_INTERNAL,
	EA_ERR_INTERRUPTED, /* stopped on request (SIGINT, SIGTERM) before the end */
	EA_ERR_NODEV,     /* a capture interface is missing or down: may come back,
			     so a sensor retries; at start-up a usage error */
} ea_status;

/* Exit codes, documented in the README: 0 success, 1 runtime failure,
 * 2 usage or configuration error (a missing or down interface at start
 * included). */
enum { EA_EXIT_OK = 0, EA_EXIT_RUNTIME = 1, EA_EXIT_USAGE = 2 };

const char *ea_status_name(ea_status st);
int ea_status_exit_code(ea_status st);

/* Writes a formatted message into errbuf (always NUL-terminated, truncated
 * to errlen). errbuf may be NULL. Returns st, so a failing function can
 * `return ea_fail(EA_ERR_IO, errbuf, errlen, "...", ...);`. */
ea_status ea_fail(ea_status st, char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
