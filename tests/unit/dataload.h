/* dataload.h — loads a data file by path for a test or a fuzzer, as the
 * program opens it (ini.h, ea_open_data_file), then the kind's loader on
 * the FILE: the one helper that replaces the three *_load_path wrappers
 * the library kept only for tests (a run loads its files as one ruleset,
 * rules/ruleset.h). */
#ifndef EA_TEST_DATALOAD_H
#define EA_TEST_DATALOAD_H

#include <stdio.h>
#include <string.h>

#include "rules/ini.h"
#include "rules/matrix.h"
#include "rules/portsig.h"
#include "rules/site.h"

typedef enum { EA_DATA_MATRIX, EA_DATA_PORTSIGS, EA_DATA_SITE } ea_data_kind;

/* out: an ea_matrix *, ea_portsigs * or ea_site * by kind (zeroed first);
 * m: the matrix a site file is checked against (else unused). Returns the
 * loader's status, or EA_ERR_IO when the file cannot be opened. */
static inline ea_status ea_test_load_path(ea_data_kind kind, const char *path, void *out, const ea_matrix *m,
					  char *errbuf, size_t errlen)
{
	FILE *f;
	size_t size = kind == EA_DATA_MATRIX ? sizeof(ea_matrix)
		      : kind == EA_DATA_PORTSIGS ? sizeof(ea_portsigs) : sizeof(ea_site);
	memset(out, 0, size);
	ea_status st = ea_open_data_file(path, &f, errbuf, errlen);
	if (st != EA_OK)
		return st;
	switch (kind) {
	case EA_DATA_MATRIX: st = ea_matrix_load(f, path, out, errbuf, errlen); break;
	case EA_DATA_PORTSIGS: st = ea_portsigs_load(f, path, out, errbuf, errlen); break;
	case EA_DATA_SITE: st = ea_site_load(f, path, m, out, errbuf, errlen); break;
	}
	fclose(f);
	return st;
}

#endif
