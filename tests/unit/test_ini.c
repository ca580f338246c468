/* test_ini.c — the data-file line reader: syntax, and errors as file:line. */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "rules/ini.h"
#include "util/ea_limits.h"

typedef struct {
	FILE *f;
	ea_ini *ini;
	char errs[8192];
} fixture;

static void open_text(fixture *fx, const char *text)
{
	fx->f = ea_test_memfile(text);
	fx->ini = ea_ini_open(fx->f, "t.ini");
	assert_non_null(fx->ini);
	fx->errs[0] = '\0';
}

static void close_fx(fixture *fx)
{
	ea_ini_close(fx->ini);
	fclose(fx->f);
}

static void errors(fixture *fx)
{
	ea_ini_errors(fx->ini, fx->errs, sizeof fx->errs);
}

static void expect_section(ea_ini *ini, unsigned line, const char *section, const char *name)
{
	ea_ini_item it;
	assert_true(ea_ini_next(ini, &it));
	assert_int_equal(it.kind, EA_INI_SECTION);
	assert_int_equal(it.line, line);
	assert_string_equal(it.section, section);
	assert_string_equal(it.name, name);
}

static void expect_kv(ea_ini *ini, unsigned line, const char *section, const char *name,
		      const char *key, const char *value)
{
	ea_ini_item it;
	assert_true(ea_ini_next(ini, &it));
	assert_int_equal(it.kind, EA_INI_KEYVALUE);
	assert_int_equal(it.line, line);
	assert_string_equal(it.section, section);
	assert_string_equal(it.name, name);
	assert_string_equal(it.key, key);
	assert_string_equal(it.value, value);
}

static void expect_end(ea_ini *ini)
{
	ea_ini_item it;
	assert_false(ea_ini_next(ini, &it));
	assert_int_equal(it.kind, EA_INI_END);
	assert_false(ea_ini_next(ini, &it)); /* stays at the end */
}

static void test_sections_and_keys(void **state)
{
	fixture fx;
	open_text(&fx, "top = 1\n"
		       "[ports]\n"
		       "tcp/443 = TLS, STUN\n"
		       "[rule ext-01]\n"
		       "port = 5269\n"
		       "[  role   access_edge  ]\n"
		       "required = yes\n");
	expect_kv(fx.ini, 1, "", "", "top", "1");
	expect_section(fx.ini, 2, "ports", "");
	expect_kv(fx.ini, 3, "ports", "", "tcp/443", "TLS, STUN");
	expect_section(fx.ini, 4, "rule", "ext-01");
	expect_kv(fx.ini, 5, "rule", "ext-01", "port", "5269");
	expect_section(fx.ini, 6, "role", "access_edge");
	expect_kv(fx.ini, 7, "role", "access_edge", "required", "yes");
	expect_end(fx.ini);
	assert_int_equal(ea_ini_error_count(fx.ini), 0);
	close_fx(&fx);
}

static void test_comments_and_whitespace(void **state)
{
	fixture fx;
	open_text(&fx, "# a comment\n"
		       "; another\n"
		       "   # indented comment\n"
		       "\n"
		       "\t \n"
		       "[s]\r\n"
		       "  key\t=\t  value with  inner  spaces \t\r\n"
		       "empty =\n"
		       "hash = a # not a comment\n"
		       "eq = a=b\n"
		       "last = no newline");
	expect_section(fx.ini, 6, "s", "");
	expect_kv(fx.ini, 7, "s", "", "key", "value with  inner  spaces");
	expect_kv(fx.ini, 8, "s", "", "empty", "");
	expect_kv(fx.ini, 9, "s", "", "hash", "a # not a comment");
	expect_kv(fx.ini, 10, "s", "", "eq", "a=b");
	expect_kv(fx.ini, 11, "s", "", "last", "no newline");
	expect_end(fx.ini);
	assert_int_equal(ea_ini_error_count(fx.ini), 0);
	close_fx(&fx);
}

static void test_bom_is_skipped(void **state)
{
	fixture fx;
	open_text(&fx, "\xef\xbb\xbf[roles]\nx = 1\n");
	expect_section(fx.ini, 1, "roles", "");
	expect_kv(fx.ini, 2, "roles", "", "x", "1");
	expect_end(fx.ini);
	close_fx(&fx);
}

static void test_missing_equals(void **state)
{
	fixture fx;
	open_text(&fx, "[s]\n"
		       "just words\n"
		       "= value\n"
		       "two words = x\n"
		       "ok = 1\n");
	expect_section(fx.ini, 1, "s", "");
	expect_kv(fx.ini, 5, "s", "", "ok", "1");
	expect_end(fx.ini);
	assert_int_equal(ea_ini_error_count(fx.ini), 3);
	errors(&fx);
	assert_string_equal(fx.errs, "t.ini:2: expected 'key = value'\n"
				     "t.ini:3: missing key before '='\n"
				     "t.ini:4: key 'two words' contains a space");
	close_fx(&fx);
}

static void test_bad_section_headers(void **state)
{
	fixture fx;
	open_text(&fx, "[good]\n"
		       "a = 1\n"
		       "[unterminated\n"
		       "skipped = 1\n"
		       "[]\n"
		       "[a b c]\n"
		       "[x] trailing\n"
		       "also_skipped = 2\n"
		       "[next one]\n"
		       "b = 2\n");
	expect_section(fx.ini, 1, "good", "");
	expect_kv(fx.ini, 2, "good", "", "a", "1");
	/* Keys under a broken header are not given to the loader under the
	 * previous section's name. */
	expect_section(fx.ini, 9, "next", "one");
	expect_kv(fx.ini, 10, "next", "one", "b", "2");
	expect_end(fx.ini);
	errors(&fx);
	assert_string_equal(fx.errs, "t.ini:3: unterminated section header (missing ']')\n"
				     "t.ini:5: empty section header\n"
				     "t.ini:6: section header has more than two words\n"
				     "t.ini:7: text after the section header");
	close_fx(&fx);
}

static void test_long_lines(void **state)
{
	size_t n = EA_MAX_LINE + 64;
	char *text = malloc(n * 3);
	assert_non_null(text);
	/* Line 1: exactly EA_MAX_LINE bytes, accepted. */
	size_t used = 0;
	memcpy(text, "k = ", 4);
	used = 4;
	while (used < EA_MAX_LINE)
		text[used++] = 'v';
	text[used++] = '\n';
	/* Line 2: one byte more, an error; it must not leak into line 3. */
	memcpy(text + used, "x = ", 4);
	used += 4;
	for (size_t i = 4; i < EA_MAX_LINE + 1; i++)
		text[used++] = 'w';
	text[used++] = '\n';
	memcpy(text + used, "after = 3\n", 11);

	fixture fx;
	open_text(&fx, text);
	ea_ini_item it;
	assert_true(ea_ini_next(fx.ini, &it));
	assert_int_equal(it.line, 1);
	assert_int_equal(strlen(it.value), EA_MAX_LINE - 4);
	expect_kv(fx.ini, 3, "", "", "after", "3");
	expect_end(fx.ini);
	errors(&fx);
	char want[64];
	snprintf(want, sizeof want, "t.ini:2: line is longer than %d bytes", EA_MAX_LINE);
	assert_string_equal(fx.errs, want);
	close_fx(&fx);
	free(text);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "a = x\0y\nb = 2\n";
	FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
	assert_non_null(f);
	ea_ini *ini = ea_ini_open(f, "n.ini");
	expect_kv(ini, 2, "", "", "b", "2");
	expect_end(ini);
	char errs[256];
	ea_ini_errors(ini, errs, sizeof errs);
	assert_string_equal(errs, "n.ini:1: NUL byte in line");
	ea_ini_close(ini);
	fclose(f);
}

static void test_error_listing(void **state)
{
	fixture fx;
	open_text(&fx, "");
	expect_end(fx.ini);
	ea_ini_error(fx.ini, 7, "role '%s' is bad", "x");
	ea_ini_error(fx.ini, 0, "required role '%s' is not set", "access_edge");
	assert_int_equal(ea_ini_error_count(fx.ini), 2);
	errors(&fx);
	assert_string_equal(fx.errs, "t.ini:7: role 'x' is bad\n"
				     "t.ini: required role 'access_edge' is not set");
	/* Truncated to the caller's buffer, still terminated. */
	char small[12];
	memset(small, 'Z', sizeof small);
	ea_ini_errors(fx.ini, small, sizeof small);
	assert_string_equal(small, "t.ini:7: ro");
	close_fx(&fx);
}

/* Errors found late (a role resolved, an overlap seen once the file is
 * read) are listed at their line all the same; whole-file ones last. */
static void test_errors_in_line_order(void **state)
{
	fixture fx;
	open_text(&fx, "");
	expect_end(fx.ini);
	ea_ini_error(fx.ini, 9, "nine");
	ea_ini_error(fx.ini, 0, "whole file");
	ea_ini_error(fx.ini, 3, "three");
	ea_ini_error(fx.ini, 9, "nine again");
	ea_ini_error(fx.ini, 1, "one");
	errors(&fx);
	assert_string_equal(fx.errs, "t.ini:1: one\nt.ini:3: three\nt.ini:9: nine\nt.ini:9: nine again\n"
				     "t.ini: whole file");
	close_fx(&fx);
}

/* Control characters (a terminal escape, C1) and bytes that are not
 * UTF-8 are not text; tabs and the other blanks are. */
static void test_control_characters(void **state)
{
	fixture fx;
	open_text(&fx, "a = \x1b[31mred\nb = ok\tthere\nc = \xc2\x9b\nd = \xff\ne = \xe6\x96\x87\n");
	expect_kv(fx.ini, 2, "", "", "b", "ok there");
	expect_kv(fx.ini, 5, "", "", "e", "\xe6\x96\x87");
	expect_end(fx.ini);
	errors(&fx);
	assert_string_equal(fx.errs, "t.ini:1: line is not UTF-8 text (a control character or an invalid byte)\n"
				     "t.ini:3: line is not UTF-8 text (a control character or an invalid byte)\n"
				     "t.ini:4: line is not UTF-8 text (a control character or an invalid byte)");
	close_fx(&fx);
	/* The file's name is quoted in wire form: it cannot forge a line. */
	FILE *f = ea_test_memfile("oops\n");
	ea_ini *ini = ea_ini_open(f, "x\x1b[31m\nfake.ini");
	ea_ini_item it;
	assert_false(ea_ini_next(ini, &it));
	char errs[256];
	ea_ini_errors(ini, errs, sizeof errs);
	assert_string_equal(errs, "x\\x1b[31m\\x0afake.ini:1: expected 'key = value'");
	ea_ini_close(ini);
	fclose(f);
}

static void test_error_cap(void **state)
{
	char text[2048];
	size_t used = 0;
	unsigned bad = EA_MAX_CONFIG_ERRORS + 10;
	for (unsigned i = 0; i < bad; i++) {
		used += (size_t)snprintf(text + used, sizeof text - used, "oops\n");
		assert_true(used < sizeof text);
	}
	fixture fx;
	open_text(&fx, text);
	expect_end(fx.ini);
	assert_int_equal(ea_ini_error_count(fx.ini), bad);
	errors(&fx);
	unsigned lines = 1;
	for (const char *p = fx.errs; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, EA_MAX_CONFIG_ERRORS + 1);
	char last[128];
	snprintf(last, sizeof last, "t.ini:%d: expected 'key = value'\nt.ini: 10 more errors not listed",
		 EA_MAX_CONFIG_ERRORS);
	assert_non_null(strstr(fx.errs, last));
	assert_int_equal(strncmp(fx.errs, "t.ini:1: expected", 17), 0);
	close_fx(&fx);
}

/* The one trim every data file shares: CR, VT and FF count as blanks,
 * inner blanks stay. */
static void test_trim(void **state)
{
	(void)state;
	char s[] = " \t\r\v\fa b\t \r\v\f";
	assert_string_equal(ea_trim(s), "a b");
	char blank[] = " \t ";
	assert_string_equal(ea_trim(blank), "");
	char none[] = "x";
	assert_ptr_equal(ea_trim(none), none);
	assert_true(ea_is_space('\f'));
	assert_false(ea_is_space('\n') || ea_is_space('_') || ea_is_space('\0'));
}

static void test_open_data_file(void **state)
{
	(void)state;
	FILE *f = (FILE *)1;
	char err[256] = "";
	assert_int_equal(ea_open_data_file("/nonexistent/dir/x.sig", &f, err, sizeof err), EA_ERR_IO);
	assert_null(f);
	assert_string_equal(err, "/nonexistent/dir/x.sig: cannot open: No such file or directory");
	/* A directory opens for reading; it is still no data file. */
	assert_int_equal(ea_open_data_file(EA_TOPDIR "/signatures", &f, err, sizeof err), EA_ERR_IO);
	assert_null(f);
	assert_non_null(strstr(err, "/signatures: is a directory, not a data file"));
	/* A device or a pipe is refused before it is opened: /dev/zero would
	 * be read for ever, a FIFO without a writer would block the open, and
	 * `read` hashes each data file after loading it, so a pipe's content
	 * could not be the one recorded. */
	assert_int_equal(ea_open_data_file("/dev/zero", &f, err, sizeof err), EA_ERR_IO);
	assert_null(f);
	assert_string_equal(err, "/dev/zero: not a regular file (a device or a pipe); give a data file");
	char dir[] = "/tmp/test_ini.XXXXXX", fifo[64];
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof fifo, "%s/site.ini", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(ea_open_data_file(fifo, &f, err, sizeof err), EA_ERR_IO);
	assert_null(f);
	assert_non_null(strstr(err, "site.ini: not a regular file"));
	unlink(fifo);
	rmdir(dir);
	assert_int_equal(ea_open_data_file(EA_TOPDIR "/signatures/ports.sig", &f, err, sizeof err), EA_OK);
	assert_non_null(f);
	ea_ini *ini = ea_ini_open(f, "ports.sig");
	assert_non_null(ini);
	ea_ini_item it;
	assert_true(ea_ini_next(ini, &it));
	assert_int_equal(it.kind, EA_INI_SECTION);
	assert_string_equal(it.section, "ports");
	ea_ini_close(ini);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_and_keys),
		cmocka_unit_test(test_comments_and_whitespace),
		cmocka_unit_test(test_bom_is_skipped),
		cmocka_unit_test(test_missing_equals),
		cmocka_unit_test(test_bad_section_headers),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_error_listing),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_errors_in_line_order),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_open_data_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
