/* fuzz_config.c — libFuzzer harness for the data-file loaders: the port
 * matrix (src/matrix.h), the port signatures (src/portsig.h) and the site
 * file (src/site.h), each given the input bytes through fmemopen.
 *
 * Pipeline position: the configuration that [match] and [classify] read.
 * The site file is checked against the repository's real matrix, loaded
 * once, so role names resolve as they do in a run. Built by `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "portsig.h"
#include "site.h"

#ifndef EA_TOPDIR
#define EA_TOPDIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Loaded once for the process and never changed: the fuzzer is one
 * process, and the site loader only reads the matrix. */
static ea_matrix *real_matrix(void)
{
	static ea_matrix m;
	static int loaded;
	if (!loaded) {
		char err[4096];
		if (ea_matrix_load_path(EA_TOPDIR "/signatures/lync2013-edge.matrix", &m, err, sizeof err) != EA_OK) {
			fprintf(stderr, "fuzz_config: %s\n", err);
			abort();
		}
		loaded = 1;
	}
	return &m;
}

static FILE *open_bytes(const uint8_t *data, size_t size)
{
	/* fmemopen of a zero-length buffer fails on older glibc. */
	static const char empty[1];
	return size ? fmemopen((void *)data, size, "r") : fmemopen((void *)empty, 0, "r");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ea_matrix *real = real_matrix();
	char err[4096];
	FILE *f;

	if ((f = open_bytes(data, size)) != NULL) {
		ea_matrix m;
		ea_matrix_load(f, "fuzz.matrix", &m, err, sizeof err);
		ea_matrix_free(&m);
		fclose(f);
	}
	if ((f = open_bytes(data, size)) != NULL) {
		ea_portsigs ps;
		ea_portsigs_load(f, "fuzz.sig", &ps, err, sizeof err);
		ea_portsigs_free(&ps);
		fclose(f);
	}
	if ((f = open_bytes(data, size)) != NULL) {
		ea_site s;
		ea_site_load(f, "fuzz.ini", real, &s, err, sizeof err);
		ea_site_free(&s);
		fclose(f);
	}
	return 0;
}
