/* test_datadir.c — the search for the default data files: the override
 * alone when set, then beside the binary, then the baked directory, and
 * an error naming every path tried. */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "cli/datadir.h"

/* A scratch tree: T/bin/edgeaudit (a name only), T/share/edgeaudit/,
 * T/baked/, T/override/. */
typedef struct {
	char top[64];
	char exe[128], share[128], baked[128], override[128];
} tree;

static void touch(const char *dir, const char *name)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

static void tree_make(tree *t)
{
	snprintf(t->top, sizeof t->top, "/tmp/ea-datadir-XXXXXX");
	assert_non_null(mkdtemp(t->top));
	char p[256];
	snprintf(p, sizeof p, "%s/bin", t->top);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/share", t->top);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(t->exe, sizeof t->exe, "%s/bin/edgeaudit", t->top);
	snprintf(t->share, sizeof t->share, "%s/share/edgeaudit", t->top);
	snprintf(t->baked, sizeof t->baked, "%s/baked", t->top);
	snprintf(t->override, sizeof t->override, "%s/override", t->top);
	assert_int_equal(mkdir(t->share, 0755), 0);
	assert_int_equal(mkdir(t->baked, 0755), 0);
	assert_int_equal(mkdir(t->override, 0755), 0);
}

static void tree_free(tree *t)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->top);
	assert_int_equal(system(cmd), 0);
}

static void test_search_order(void **state)
{
	tree t;
	tree_make(&t);
	ea_datadir_places pl = {.exe_path = t.exe, .from_bin = "../share/edgeaudit", .baked = t.baked};
	char out[512], err[1024], want[512];

	/* Only in the baked directory: found there. */
	touch(t.baked, "m.matrix");
	assert_int_equal(ea_datadir_find(&pl, "m.matrix", out, sizeof out, err, sizeof err), EA_OK);
	snprintf(want, sizeof want, "%s/m.matrix", t.baked);
	assert_string_equal(out, want);

	/* Also beside the binary: that one wins (a staged or moved tree
	 * uses its own files, not an older installation's). */
	touch(t.share, "m.matrix");
	assert_int_equal(ea_datadir_find(&pl, "m.matrix", out, sizeof out, err, sizeof err), EA_OK);
	snprintf(want, sizeof want, "%s/share/edgeaudit/m.matrix", t.top);
	assert_string_equal(out, want);

	/* The override is the only place: set but without the file, the
	 * others are not tried, and the error names it alone. */
	pl.override = t.override;
	assert_int_equal(ea_datadir_find(&pl, "m.matrix", out, sizeof out, err, sizeof err), EA_ERR_CONFIG);
	snprintf(want, sizeof want, "tried %s/m.matrix)", t.override);
	assert_non_null(strstr(err, want));
	assert_null(strstr(err, t.baked));
	touch(t.override, "m.matrix");
	assert_int_equal(ea_datadir_find(&pl, "m.matrix", out, sizeof out, err, sizeof err), EA_OK);
	snprintf(want, sizeof want, "%s/m.matrix", t.override);
	assert_string_equal(out, want);

	/* An empty override is no override. */
	pl.override = "";
	assert_int_equal(ea_datadir_find(&pl, "m.matrix", out, sizeof out, err, sizeof err), EA_OK);
	assert_null(strstr(out, "override"));
	tree_free(&t);
}

static void test_missing_names_every_path_tried(void **state)
{
	tree t;
	tree_make(&t);
	ea_datadir_places pl = {.exe_path = t.exe, .from_bin = "../share/edgeaudit", .baked = t.baked};
	char out[512], err[1024], want[512];
	assert_int_equal(ea_datadir_find(&pl, "ports.sig", out, sizeof out, err, sizeof err), EA_ERR_CONFIG);
	snprintf(want, sizeof want, "tried %s/share/edgeaudit/ports.sig, %s/ports.sig)", t.top, t.baked);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "ports.sig not found"));
	assert_non_null(strstr(err, EA_DATADIR_ENV));

	/* A relative place that is not "../": joined as it is. */
	pl.from_bin = "data";
	assert_int_equal(ea_datadir_find(&pl, "ports.sig", out, sizeof out, err, sizeof err), EA_ERR_CONFIG);
	snprintf(want, sizeof want, "tried %s/bin/data/ports.sig, ", t.top);
	assert_non_null(strstr(err, want));

	/* A build without the binary-relative place (the tree's build) tries
	 * the baked directory alone. */
	pl.from_bin = NULL;
	assert_int_equal(ea_datadir_find(&pl, "ports.sig", out, sizeof out, err, sizeof err), EA_ERR_CONFIG);
	assert_null(strstr(err, "share"));

	/* An entry of that name that is not a file is still the one found:
	 * its loader says what is wrong with it. */
	char d[256];
	snprintf(d, sizeof d, "%s/ports.sig", t.baked);
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(ea_datadir_find(&pl, "ports.sig", out, sizeof out, err, sizeof err), EA_OK);
	assert_string_equal(out, d);
	tree_free(&t);
}

/* The process's own places: the override from the environment and the
 * binary from /proc/self/exe. */
static void test_places_of_this_process(void **state)
{
	char exe[4096];
	ea_datadir_places pl;
	assert_int_equal(setenv(EA_DATADIR_ENV, "/some/where", 1), 0);
	ea_datadir_places_init(&pl, "../share/edgeaudit", "/baked", exe, sizeof exe);
	assert_string_equal(pl.override, "/some/where");
	assert_non_null(pl.exe_path);
	assert_non_null(strstr(pl.exe_path, "test_datadir"));
	assert_string_equal(pl.baked, "/baked");
	assert_int_equal(unsetenv(EA_DATADIR_ENV), 0);
	ea_datadir_places_init(&pl, NULL, "/baked", exe, sizeof exe);
	assert_null(pl.override);
	assert_null(pl.exe_path); /* no binary-relative place: not looked up */
}

/* This build's own default: the library is compiled for the tree, so
 * the matrix is the tree's; the override still rules. */
static void test_default_of_this_build(void **state)
{
	char out[4096], err[1024];
	assert_int_equal(ea_datadir_default("lync2013-edge.matrix", out, sizeof out, err, sizeof err), EA_OK);
	assert_string_equal(out, EA_TOPDIR "/signatures/lync2013-edge.matrix");
	assert_int_equal(setenv(EA_DATADIR_ENV, "/nonexistent-ea", 1), 0);
	assert_int_equal(ea_datadir_default("lync2013-edge.matrix", out, sizeof out, err, sizeof err), EA_ERR_CONFIG);
	assert_non_null(strstr(err, "/nonexistent-ea/lync2013-edge.matrix"));
	assert_int_equal(unsetenv(EA_DATADIR_ENV), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_order),
		cmocka_unit_test(test_missing_names_every_path_tried),
		cmocka_unit_test(test_places_of_this_process),
		cmocka_unit_test(test_default_of_this_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
