/* labconfig.h — the shipped matrix, port signatures and the lab's site
 * file as one cmocka fixture, for the tests that run the whole pipeline. */
#ifndef EA_TEST_LABCONFIG_H
#define EA_TEST_LABCONFIG_H

#include "testutil.h"

#include "rules/ruleset.h"

typedef struct {
	const ea_ruleset *ruleset;
} fixture;

/* cmocka setup: loads the three files once per group, as one ruleset
 * (static storage, so *state stays valid for the whole group). */
static int setup(void **state)
{
	static fixture fx;
	char err[4096];
	ea_ruleset_paths paths = {
		.matrix = EA_TOPDIR "/signatures/lync2013-edge.matrix",
		.portsigs = EA_TOPDIR "/signatures/ports.sig",
		.site = EA_TOPDIR "/pcaps/site.ini",
	};
	if (ea_ruleset_load(&paths, NULL, &fx.ruleset, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	ea_ruleset_unref(fx->ruleset);
	fx->ruleset = NULL;
	return 0;
}

#endif
