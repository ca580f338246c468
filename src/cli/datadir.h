/* datadir.h — where the program finds its default data files (the port
 * matrix and the port signatures) when no --matrix or --ports names one.
 *
 * Pipeline position: the command line, before a ruleset is loaded. The
 * search follows the Filesystem Hierarchy Standard 3.0 (§4.11, /usr/share:
 * architecture-independent data under PREFIX/share/PACKAGE). The places,
 * in order:
 *   1. $EDGEAUDIT_DATADIR, when set: the only place searched, so an
 *      override never falls through to files the operator did not mean;
 *   2. the directory relative to the running binary (an installed build:
 *      BINDIR/../share/edgeaudit), so a tree staged with DESTDIR or moved
 *      elsewhere as a whole finds its own files, not an older install's;
 *   3. the directory baked in at build time (EA_DATADIR: the source tree's
 *      signatures/ for a build, PREFIX/share/edgeaudit for `make install`).
 * Which places a binary has is chosen by the Makefile per build; the
 * search itself takes them as arguments, so it has no hidden inputs. */
#ifndef EA_DATADIR_H
#define EA_DATADIR_H

#include <stddef.h>

#include "util/error.h"

/* The environment variable that overrides the search. */
#define EA_DATADIR_ENV "EDGEAUDIT_DATADIR"

typedef struct {
	const char *override; /* $EDGEAUDIT_DATADIR, or NULL/"" when unset */
	const char *exe_path; /* the running binary (/proc/self/exe resolved), or NULL */
	const char *from_bin; /* data dir relative to exe_path's directory, or NULL */
	const char *baked;    /* EA_DATADIR, or NULL */
} ea_datadir_places;

/* Fills places for this process: override from the environment, exe_path
 * from /proc/self/exe into exebuf (exelen bytes; left NULL when it cannot
 * be read), from_bin and baked as given (the build's choice). Borrowed
 * pointers; no errors. */
void ea_datadir_places_init(ea_datadir_places *places, const char *from_bin, const char *baked, char *exebuf,
			    size_t exelen);

/* Finds the data file called name in the places, in the order above:
 * the first place holding an entry of that name wins (a wrong file there
 * is then refused by its loader with its own message, never skipped).
 * Writes its path into out (outlen bytes). Returns EA_ERR_CONFIG when no
 * place has it, with errbuf naming every path tried and how to point
 * edgeaudit at its files; EA_ERR_USAGE when a path does not fit out. */
ea_status ea_datadir_find(const ea_datadir_places *places, const char *name, char *out, size_t outlen,
			  char *errbuf, size_t errlen);

/* The default data file called name for this binary: the places of this
 * process (ea_datadir_places_init) with the directories this build was
 * compiled for (EA_DATADIR, and EA_DATADIR_FROM_BIN for an installed
 * build: the Makefile compiles src/cli/ once per kind of binary), then
 * ea_datadir_find. What a command calls when --matrix or --ports is not
 * given. Errors as ea_datadir_find. */
ea_status ea_datadir_default(const char *name, char *out, size_t outlen, char *errbuf, size_t errlen);

#endif
