/* fuzz_config.c — libFuzzer harness for the data-file loaders: the port
 * matrix (src/rules/matrix.h), the port signatures (src/rules/portsig.h), the site
 * file (src/rules/site.h) and a site's local rules (ea_matrix_load_local,
 * appended to a copy of the real matrix), each given the input bytes
 * through fmemopen.
 *
 * Pipeline position: the configuration that [match] and [classify] read.
 * The site file is checked against the repository's real matrix, loaded
 * once, so role names resolve as they do in a run; the matrix and the
 * signatures are loaded with the cross-file checks (protocol names, the
 * matrix's ports against the real ports.sig). Built by `make fuzz`. */
#include "../unit/dataload.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/matrix.h"
#include "rules/portsig.h"
#include "rules/site.h"

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
		if (ea_test_load_path(EA_DATA_MATRIX, EA_TOPDIR "/signatures/lync2013-edge.matrix", &m, NULL, err, sizeof err) != EA_OK) {
			fprintf(stderr, "fuzz_config: %s\n", err);
			abort();
		}
		loaded = 1;
	}
	return &m;
}

/* The matrix local rules are appended to: reloaded after a load that
 * succeeded (a failed one leaves it as it was). */
static ea_matrix *local_base(bool reload)
{
	static ea_matrix m;
	static int loaded;
	if (reload && loaded) {
		ea_matrix_free(&m);
		loaded = 0;
	}
	if (!loaded) {
		char err[4096];
		if (ea_test_load_path(EA_DATA_MATRIX, EA_TOPDIR "/signatures/lync2013-edge.matrix", &m, NULL, err, sizeof err) != EA_OK) {
			fprintf(stderr, "fuzz_config: %s\n", err);
			abort();
		}
		loaded = 1;
	}
	return &m;
}

static const ea_portsigs *real_portsigs(void)
{
	static ea_portsigs ps;
	static int loaded;
	if (!loaded) {
		char err[4096];
		if (ea_test_load_path(EA_DATA_PORTSIGS, EA_TOPDIR "/signatures/ports.sig", &ps, NULL, err, sizeof err) != EA_OK) {
			fprintf(stderr, "fuzz_config: %s\n", err);
			abort();
		}
		loaded = 1;
	}
	return &ps;
}

/* The checks main gives the loaders, without nDPI: a name is "known"
 * when the real signatures list it, so both answers are reached. */
static bool known(void *arg, const char *name)
{
	const ea_portsigs *ps = arg;
	for (unsigned i = 0; i < ps->n; i++)
		if (ea_port_sig_has(&ps->sigs[i], name))
			return true;
	return false;
}

static bool covered(void *arg, uint8_t transport, uint16_t lo, uint16_t hi, const char *const *protocols,
		    unsigned n, char *why, size_t whylen)
{
	return ea_portsigs_cover(arg, transport, lo, hi, protocols, n, why, whylen);
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
	const ea_load_checks checks = {
		.protocol_known = known, .protocol_authority = "fuzz", .ports_covered = covered,
		.arg = (void *)real_portsigs(),
	};
	char err[4096];
	FILE *f;

	if ((f = open_bytes(data, size)) != NULL) {
		ea_matrix m;
		ea_matrix_load_checked(f, "fuzz.matrix", &checks, &m, err, sizeof err);
		ea_matrix_free(&m);
		fclose(f);
	}
	if ((f = open_bytes(data, size)) != NULL) {
		ea_portsigs ps;
		ea_portsigs_load_checked(f, "fuzz.sig", &checks, &ps, err, sizeof err);
		ea_portsigs_free(&ps);
		fclose(f);
	}
	if ((f = open_bytes(data, size)) != NULL) {
		ea_site s;
		ea_site_load(f, "fuzz.ini", real, &s, err, sizeof err);
		ea_site_free(&s);
		fclose(f);
	}
	if ((f = open_bytes(data, size)) != NULL) {
		ea_matrix *base = local_base(false);
		if (ea_matrix_load_local(f, "fuzz-local.matrix", "real.matrix", &checks, base, err, sizeof err) == EA_OK)
			local_base(true);
		fclose(f);
	}
	return 0;
}
