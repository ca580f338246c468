/* error.c — status names, exit codes and the errbuf helper. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *ea_status_name(ea_status st)
{
	switch (st) {
	case EA_OK: return "ok";
	case EA_ERR_USAGE: return "usage error";
	case EA_ERR_CONFIG: return "configuration error";
	case EA_ERR_IO: return "I/O error";
	case EA_ERR_FORMAT: return "unreadable input";
	case EA_ERR_DB: return "database error";
	case EA_ERR_DUPLICATE: return "already recorded";
	case EA_ERR_NOMEM: return "out of memory";
	case EA_ERR_INTERNAL: return "internal error";
	case EA_ERR_INTERRUPTED: return "interrupted";
	case EA_ERR_NODEV: return "interface missing or down";
	}
	return "unknown error";
}

int ea_status_exit_code(ea_status st)
{
	switch (st) {
	case EA_OK: return EA_EXIT_OK;
	case EA_ERR_USAGE:
	case EA_ERR_CONFIG:
	case EA_ERR_NODEV: return EA_EXIT_USAGE;
	default: return EA_EXIT_RUNTIME;
	}
}

ea_status ea_fail(ea_status st, char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (errbuf && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return st;
}
