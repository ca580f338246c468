/* labconfig.h — the shipped matrix, port signatures and the lab's site
 * file as one cmocka fixture, for the tests that run the whole pipeline. */
#ifndef EA_TEST_LABCONFIG_H
#define EA_TEST_LABCONFIG_H

#include "testutil.h"

#include "matrix.h"
#include "portsig.h"
#include "site.h"

typedef struct {
	ea_matrix matrix;
	ea_portsigs portsigs;
	ea_site site;
} fixture;

/* cmocka setup: loads the three files once per group (static storage, so
 * *state stays valid for the whole group). */
static int setup(void **state)
{
	static fixture fx;
	char err[4096];
	assert_int_equal(ea_matrix_load_path(EA_TOPDIR "/signatures/lync2013-edge.matrix", &fx.matrix, err, sizeof err), EA_OK);
	assert_int_equal(ea_portsigs_load_path(EA_TOPDIR "/signatures/ports.sig", &fx.portsigs, err, sizeof err), EA_OK);
	assert_int_equal(ea_site_load_path(EA_TOPDIR "/pcaps/site.ini", &fx.matrix, &fx.site, err, sizeof err), EA_OK);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	ea_site_free(&fx->site);
	ea_portsigs_free(&fx->portsigs);
	ea_matrix_free(&fx->matrix);
	return 0;
}

#endif
