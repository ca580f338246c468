/* test_ruleset.c — the matrix, port signatures and site file as one
 * ruleset: the shipped files load, the problems of all three files are
 * listed at once, the hashes are sha256sum's of the files, generations
 * increase, and a reference keeps a ruleset alive after its loader (and
 * an audit) let go. Run under `make asan` for leaks and use after free. */
#include "testutil.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/audit.h"
#include "rules/ruleset.h"

#define MATRIX EA_TOPDIR "/signatures/lync2013-edge.matrix"
#define PORTS EA_TOPDIR "/signatures/ports.sig"
#define SITE EA_TOPDIR "/pcaps/site.ini"
/* The example site file of a typical Edge and its local rules. */
#define LOCAL EA_TOPDIR "/examples/local.matrix"
#define SITE_LOCAL EA_TOPDIR "/examples/site-typical-edge.ini"

typedef struct {
	char dir[64];
} tmpdir;

static int make_dir(void **state)
{
	tmpdir *t = calloc(1, sizeof *t);
	assert_non_null(t);
	snprintf(t->dir, sizeof t->dir, "/tmp/ea_ruleset_XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	*state = t;
	return 0;
}

static int remove_dir(void **state)
{
	tmpdir *t = *state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* Writes src with the first occurrence of from replaced by to. */
static void write_modified(const char *src, const char *from, const char *to, const char *dst)
{
	size_t len;
	char *text = read_whole(src, &len);
	char *at = strstr(text, from);
	assert_non_null(at);
	FILE *f = fopen(dst, "w");
	assert_non_null(f);
	fwrite(text, 1, (size_t)(at - text), f);
	fputs(to, f);
	fputs(at + strlen(from), f);
	assert_int_equal(fclose(f), 0);
	free(text);
}

/* The 1-based line of the first line of path starting with prefix. */
static unsigned line_of(const char *path, const char *prefix)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	unsigned n = 0;
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		n++;
		if (!strncmp(line, prefix, strlen(prefix))) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	fail_msg("%s: no line starting with %s", path, prefix);
	return 0;
}

/* sha256sum's answer for path (coreutils, not our code). */
static void sha256sum(const char *path, char hex[65])
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "sha256sum < '%s'", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%64s", hex), 1);
	assert_int_equal(pclose(p), 0);
}

static const ea_ruleset *load_shipped(const ea_ruleset *previous)
{
	ea_ruleset_paths paths = {.matrix = MATRIX, .portsigs = PORTS, .site = SITE};
	const ea_ruleset *rs = NULL;
	char err[8192];
	if (ea_ruleset_load(&paths, previous, &rs, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	assert_non_null(rs);
	return rs;
}

static void shipped_files_load_as_one(void **state)
{
	(void)state;
	const ea_ruleset *rs = load_shipped(NULL);
	assert_int_equal(ea_ruleset_matrix(rs)->n_rules, 37);
	assert_int_equal(ea_ruleset_matrix(rs)->n_roles, 12);
	assert_int_equal(ea_ruleset_portsigs(rs)->n, 71);
	const ea_site *site = ea_ruleset_site(rs);
	assert_non_null(site);
	assert_int_equal(site->n_roles, 12);
	assert_string_equal(ea_ruleset_file_get(rs, EA_RULESET_MATRIX)->path, MATRIX);
	assert_string_equal(ea_ruleset_file_get(rs, EA_RULESET_PORTSIGS)->path, PORTS);
	assert_string_equal(ea_ruleset_file_get(rs, EA_RULESET_SITE)->path, SITE);
	assert_int_equal(ea_ruleset_generation(rs), 1);
	ea_ruleset_unref(rs);
}

/* The hash recorded for each file is that of the file's bytes. */
static void hashes_are_sha256sum_of_the_files(void **state)
{
	(void)state;
	ea_ruleset_paths rp = {.matrix = MATRIX, .portsigs = PORTS, .site = SITE_LOCAL, .local = LOCAL};
	const ea_ruleset *rs = NULL;
	char err[8192];
	if (ea_ruleset_load(&rp, NULL, &rs, err, sizeof err) != EA_OK)
		fail_msg("%s", err);
	/* the local rules follow the vendor's, the profile closes rows */
	assert_int_equal(ea_ruleset_matrix(rs)->n_rules, 40);
	assert_int_equal(ea_ruleset_matrix(rs)->n_vendor_rules, 37);
	assert_true(ea_ruleset_matrix(rs)->rules[0].closed_by != 0); /* ext-01: XMPP is off */
	static const char *const paths[EA_RULESET_FILE_COUNT] = {MATRIX, PORTS, SITE_LOCAL, LOCAL};
	for (int i = 0; i < EA_RULESET_FILE_COUNT; i++) {
		char want[65];
		struct stat sb;
		sha256sum(paths[i], want);
		assert_int_equal(stat(paths[i], &sb), 0);
		const ea_ruleset_file_info *fi = ea_ruleset_file_get(rs, (ea_ruleset_file)i);
		assert_string_equal(fi->sha256, want);
		assert_int_equal(fi->size, (uint64_t)sb.st_size);
	}
	ea_ruleset_unref(rs);
}

/* `rules` loads the matrix alone: no signatures, no site, no hashes of them. */
static void matrix_alone(void **state)
{
	(void)state;
	ea_ruleset_paths paths = {.matrix = MATRIX};
	const ea_ruleset *rs = NULL;
	char err[8192];
	assert_int_equal(ea_ruleset_load(&paths, NULL, &rs, err, sizeof err), EA_OK);
	assert_int_equal(ea_ruleset_matrix(rs)->n_rules, 37);
	assert_int_equal(ea_ruleset_portsigs(rs)->n, 0);
	assert_null(ea_ruleset_site(rs));
	assert_null(ea_ruleset_file_get(rs, EA_RULESET_SITE)->path);
	assert_string_equal(ea_ruleset_file_get(rs, EA_RULESET_SITE)->sha256, "");
	ea_ruleset_unref(rs);
}

/* A mistake in each file: every one is listed, file by file, and the
 * site is still judged by the roles of the matrix that has errors. */
static void errors_of_all_three_files_at_once(void **state)
{
	tmpdir *t = *state;
	char matrix[128], ports[128], site[128], err[16384];
	snprintf(matrix, sizeof matrix, "%s/bad.matrix", t->dir);
	snprintf(ports, sizeof ports, "%s/bad.sig", t->dir);
	snprintf(site, sizeof site, "%s/bad-site.ini", t->dir);
	write_modified(MATRIX, "protocols = Jabber, TLS\n", "protocols = Jabber, NoSuchProto\n", matrix);
	static const char sig[] = "[ports]\ntcp/443 = TLS\ntcp/400-500 = HTTP\n";
	write_file(ports, sig, sizeof sig - 1);
	static const char bad_site[] = "[roles]\naccess_edge = 10.0.1.10\nno_such_role = 192.0.2.1\n";
	write_file(site, bad_site, sizeof bad_site - 1);

	ea_ruleset_paths paths = {.matrix = matrix, .portsigs = ports, .site = site};
	const ea_ruleset *rs = (const ea_ruleset *)1;
	assert_int_equal(ea_ruleset_load(&paths, NULL, &rs, err, sizeof err), EA_ERR_CONFIG);
	assert_null(rs);

	char want[512];
	snprintf(want, sizeof want, "%s:%u: protocols: protocol 'NoSuchProto' is unknown to nDPI", matrix,
		 line_of(matrix, "protocols = Jabber, NoSuchProto"));
	const char *m = strstr(err, want);
	snprintf(want, sizeof want, "%s:3:", ports);
	const char *p = strstr(err, want);
	snprintf(want, sizeof want, "%s:3:", site);
	const char *s = strstr(err, want);
	if (!m || !p || !s)
		fail_msg("missing a file's errors in:\n%s", err);
	assert_true(m < p && p < s);
	assert_non_null(strstr(err, "(checked against the roles that loaded from"));

	/* A missing matrix: the site cannot be checked, and says so. */
	snprintf(matrix, sizeof matrix, "%s/none.matrix", t->dir);
	assert_int_equal(ea_ruleset_load(&paths, NULL, &rs, err, sizeof err), EA_ERR_CONFIG);
	assert_non_null(strstr(err, "none.matrix: cannot open"));
	assert_non_null(strstr(err, "bad-site.ini: not checked: the matrix did not load"));
	assert_non_null(strstr(err, "bad.sig:3:"));
}

/* A file too large to be a data file is refused before it is parsed. */
static void oversized_file_refused(void **state)
{
	tmpdir *t = *state;
	char site[128], err[8192];
	snprintf(site, sizeof site, "%s/huge.ini", t->dir);
	write_file(site, "[roles]\n", 8);
	assert_int_equal(truncate(site, (off_t)EA_MAX_DATA_FILE_BYTES + 1), 0);
	ea_ruleset_paths paths = {.matrix = MATRIX, .portsigs = PORTS, .site = site};
	const ea_ruleset *rs = NULL;
	assert_int_equal(ea_ruleset_load(&paths, NULL, &rs, err, sizeof err), EA_ERR_CONFIG);
	assert_null(rs);
	assert_non_null(strstr(err, "huge.ini: larger than 16777216 bytes"));
}

/* Each load from a previous ruleset is one generation later. */
static void generations_increase(void **state)
{
	(void)state;
	const ea_ruleset *a = load_shipped(NULL);
	const ea_ruleset *b = load_shipped(a);
	const ea_ruleset *c = load_shipped(b);
	assert_int_equal(ea_ruleset_generation(a), 1);
	assert_int_equal(ea_ruleset_generation(b), 2);
	assert_int_equal(ea_ruleset_generation(c), 3);
	/* The same files, the same hashes: a reload of unchanged files is
	 * recognisable as such. */
	assert_string_equal(ea_ruleset_file_get(a, EA_RULESET_SITE)->sha256,
			    ea_ruleset_file_get(c, EA_RULESET_SITE)->sha256);
	ea_ruleset_unref(a);
	ea_ruleset_unref(b);
	ea_ruleset_unref(c);
}

/* A holder's reference keeps the ruleset alive after the loader drops
 * its own (ASan would report a use after free, or a leak if the last
 * unref did not free). */
static void reference_outlives_loader(void **state)
{
	(void)state;
	const ea_ruleset *loaded = load_shipped(NULL);
	const ea_ruleset *held = ea_ruleset_ref(loaded);
	assert_ptr_equal(held, loaded);
	ea_ruleset_unref(loaded);
	assert_int_equal(ea_ruleset_matrix(held)->n_rules, 37);
	assert_string_equal(ea_ruleset_matrix(held)->rules[0].id, "ext-01");
	assert_non_null(ea_ruleset_site(held));
	ea_ruleset_unref(held);
	ea_ruleset_unref(NULL);
}

/* Holders on several threads take and drop references at once (engines
 * and the writer will): no count is lost, so the ruleset is neither freed
 * early (ASan: use after free) nor kept for ever (leak). */
#define REF_THREADS 4
#define REF_ROUNDS 1000000

typedef struct {
	const ea_ruleset *mine; /* a reference the main thread took for this thread */
	pthread_barrier_t *start;
} ref_job;

static void *ref_unref_loop(void *arg)
{
	const ref_job *job = arg;
	const ea_ruleset *mine = job->mine;
	/* All start at once, so their counts contend. */
	pthread_barrier_wait(job->start);
	for (int i = 0; i < REF_ROUNDS; i++) {
		const ea_ruleset *r = ea_ruleset_ref(mine);
		if (ea_ruleset_matrix(r)->n_rules != 37)
			return (void *)1;
		ea_ruleset_unref(r);
	}
	ea_ruleset_unref(mine);
	return NULL;
}

static void references_from_many_threads(void **state)
{
	(void)state;
	const ea_ruleset *rs = load_shipped(NULL);
	pthread_t th[REF_THREADS];
	ref_job jobs[REF_THREADS];
	pthread_barrier_t start;
	assert_int_equal(pthread_barrier_init(&start, NULL, REF_THREADS), 0);
	for (int i = 0; i < REF_THREADS; i++) {
		jobs[i] = (ref_job){.mine = ea_ruleset_ref(rs), .start = &start};
		assert_int_equal(pthread_create(&th[i], NULL, ref_unref_loop, &jobs[i]), 0);
	}
	for (int i = 0; i < REF_THREADS; i++) {
		void *ret;
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	pthread_barrier_destroy(&start);
	assert_int_equal(ea_ruleset_matrix(rs)->n_rules, 37);
	ea_ruleset_unref(rs);
}

/* An audit takes its own reference: the loader may drop the ruleset as
 * soon as the audit exists (a reload does so while flows are in flight). */
static void audit_holds_its_own_reference(void **state)
{
	(void)state;
	char err[1024];
	const ea_ruleset *rs = load_shipped(NULL);
	ea_audit *a = NULL;
	ea_audit_config cfg = {.ruleset = rs, .max_flows = 100};
	assert_int_equal(ea_audit_new(&cfg, &a, err, sizeof err), EA_OK);
	ea_ruleset_unref(rs);
	ea_source *src = NULL;
	ea_input_info info;
	memset(&info, 0, sizeof info);
	assert_int_equal(ea_source_open_file(EA_SHARED_PCAPS "/ndpi_sip.pcap", &src, err, sizeof err), EA_OK);
	assert_int_equal(ea_audit_read(a, src, EA_IFACE_EXTERNAL, &info, err, sizeof err), EA_OK);
	ea_source_close(src);
	assert_int_equal(ea_audit_finish(a, err, sizeof err), EA_OK);
	assert_true(ea_audit_get_totals(a)->flows > 0);
	ea_audit_free(a);
}

/* An audit needs a site file to judge anything. */
static void audit_refuses_a_ruleset_without_site(void **state)
{
	(void)state;
	char err[1024];
	ea_ruleset_paths paths = {.matrix = MATRIX, .portsigs = PORTS};
	const ea_ruleset *rs = NULL;
	assert_int_equal(ea_ruleset_load(&paths, NULL, &rs, err, sizeof err), EA_OK);
	ea_audit *a = NULL;
	ea_audit_config cfg = {.ruleset = rs};
	assert_int_equal(ea_audit_new(&cfg, &a, err, sizeof err), EA_ERR_INTERNAL);
	assert_null(a);
	ea_ruleset_unref(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shipped_files_load_as_one),
		cmocka_unit_test(hashes_are_sha256sum_of_the_files),
		cmocka_unit_test(matrix_alone),
		cmocka_unit_test(errors_of_all_three_files_at_once),
		cmocka_unit_test(oversized_file_refused),
		cmocka_unit_test(generations_increase),
		cmocka_unit_test(reference_outlives_loader),
		cmocka_unit_test(references_from_many_threads),
		cmocka_unit_test(audit_holds_its_own_reference),
		cmocka_unit_test(audit_refuses_a_ruleset_without_site),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
