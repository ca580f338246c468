/* datadir.c — the search for the default data files (datadir.h). */
#include "cli/datadir.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/escape.h"

/* The build's directories (Makefile: DATA_DEFS). */
#ifndef EA_DATADIR
#define EA_DATADIR NULL
#endif
#ifndef EA_DATADIR_FROM_BIN
#define EA_DATADIR_FROM_BIN NULL
#endif

void ea_datadir_places_init(ea_datadir_places *places, const char *from_bin, const char *baked, char *exebuf,
			    size_t exelen)
{
	*places = (ea_datadir_places){.override = getenv(EA_DATADIR_ENV), .from_bin = from_bin, .baked = baked};
	if (from_bin && exebuf && exelen > 1) {
		/* readlink does not terminate; a path that fills the buffer
		 * may be cut, so it is not used. */
		ssize_t n = readlink("/proc/self/exe", exebuf, exelen - 1);
		if (n > 0 && (size_t)n < exelen - 1) {
			exebuf[n] = '\0';
			places->exe_path = exebuf;
		}
	}
}

/* dir "/" name into out; false when it does not fit. */
static bool join(char *out, size_t outlen, const char *dir, size_t dirlen, const char *name)
{
	int n = snprintf(out, outlen, "%.*s/%s", (int)dirlen, dir, name);
	return n > 0 && (size_t)n < outlen;
}

ea_status ea_datadir_find(const ea_datadir_places *places, const char *name, char *out, size_t outlen,
			  char *errbuf, size_t errlen)
{
	/* The candidates, in search order; at most three. */
	char cand[3][4096];
	unsigned n = 0;
	if (places->override && places->override[0]) {
		if (!join(cand[n++], sizeof cand[0], places->override, strlen(places->override), name))
			return ea_fail(EA_ERR_USAGE, errbuf, errlen, "$%s is too long", EA_DATADIR_ENV);
	} else {
		const char *slash = places->exe_path ? strrchr(places->exe_path, '/') : NULL;
		if (slash && places->from_bin) {
			/* The binary's directory, one level up for each
			 * leading "../", so the path recorded and shown is
			 * /usr/share/edgeaudit/…, not /usr/bin/../share/…
			 * (/proc/self/exe has no symbolic link left to
			 * make ".." mean anything else). */
			size_t len = (size_t)(slash - places->exe_path);
			const char *rel = places->from_bin;
			while (strncmp(rel, "../", 3) == 0 && len > 0) {
				while (len > 0 && places->exe_path[len - 1] != '/')
					len--;
				if (len > 0)
					len--; /* the slash */
				rel += 3;
			}
			char dir[4096];
			if (join(dir, sizeof dir, places->exe_path, len, rel) &&
			    join(cand[n], sizeof cand[0], dir, strlen(dir), name))
				n++;
		}
		if (places->baked && places->baked[0] &&
		    join(cand[n], sizeof cand[0], places->baked, strlen(places->baked), name))
			n++;
	}
	for (unsigned i = 0; i < n; i++) {
		struct stat sb;
		/* An entry of that name decides: its loader says what is
		 * wrong with it (a directory, unreadable) rather than the
		 * search silently taking another place's file. */
		if (stat(cand[i], &sb) == 0 || errno != ENOENT) {
			if (strlen(cand[i]) >= outlen)
				return ea_fail(EA_ERR_USAGE, errbuf, errlen, "data file path too long");
			memcpy(out, cand[i], strlen(cand[i]) + 1);
			return EA_OK;
		}
	}
	/* Nothing found: name every place tried, so the operator sees where
	 * the files were expected. */
	char tried[4 * 4096] = "", esc[1024];
	size_t used = 0;
	for (unsigned i = 0; i < n && used < sizeof tried; i++) {
		int w = snprintf(tried + used, sizeof tried - used, "%s%s", i ? ", " : "",
				 ea_escape(cand[i], esc, sizeof esc));
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return ea_fail(EA_ERR_CONFIG, errbuf, errlen,
		       "data file %s not found (tried %s); install edgeaudit's data files (make install), "
		       "set %s to their directory, or give the file's path as an option",
		       name, n ? tried : "no place: this build knows no data directory", EA_DATADIR_ENV);
}

ea_status ea_datadir_default(const char *name, char *out, size_t outlen, char *errbuf, size_t errlen)
{
	char exe[4096];
	ea_datadir_places places;
	ea_datadir_places_init(&places, EA_DATADIR_FROM_BIN, EA_DATADIR, exe, sizeof exe);
	return ea_datadir_find(&places, name, out, outlen, errbuf, errlen);
}
