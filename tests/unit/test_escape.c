/* test_escape.c — the wire and document forms of printed text, display
 * widths for aligned columns, and the progress line's formatting. */
#include "testutil.h"

#include "util/escape.h"
#include "cli/progress.h"

static char *captured(void (*fn)(const char *, FILE *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	fn(s, out);
	fclose(out);
	return buf;
}

static void test_wire_form(void **state)
{
	char *b = captured(ea_fputs_escaped, "a\\b\x01\x1b[31m \x7e\x7f\x80\xff\tz");
	assert_string_equal(b, "a\\\\b\\x01\\x1b[31m ~\\x7f\\x80\\xff\\x09z");
	free(b);
	char buf[12];
	assert_string_equal(ea_escape("\x1b[31mred", buf, sizeof buf), "\\x1b[31m...");
	assert_string_equal(ea_escape("short", buf, sizeof buf), "short");
	assert_string_equal(ea_escape(NULL, buf, sizeof buf), "");
}

/* Messages: a clean line (UTF-8 included) as written, a line with a
 * control character escaped whole; our own newlines kept. */
static void test_message_form(void **state)
{
	char *b = captured(ea_fputs_message, "f.ini:3: 外部 ok\n\x1b]0;x\x07.ini:1: bad\nlast \xff");
	assert_string_equal(b, "f.ini:3: 外部 ok\n\\x1b]0;x\\x07.ini:1: bad\nlast \\xff");
	free(b);
}

static void test_utf8_printable(void **state)
{
	assert_true(ea_utf8_printable("存取/STUN、MSTURN/UDP/3478"));
	assert_true(ea_utf8_printable(""));
	assert_false(ea_utf8_printable("a\tb"));
	assert_false(ea_utf8_printable("\xc2\x9b" "31m"));     /* C1 CSI */
	assert_false(ea_utf8_printable("\xc0\xaf"));           /* overlong '/' */
	assert_false(ea_utf8_printable("\xed\xa0\x80"));       /* surrogate */
	assert_false(ea_utf8_printable("\xe5\xad"));           /* cut short */
	assert_false(ea_utf8_printable("ok \xe2\x80\xae" "txt.exe")); /* U+202E RLO */
	assert_false(ea_utf8_printable("a\xe2\x81\xa6" "b"));   /* U+2066 LRI */
	assert_false(ea_utf8_printable("a\xe2\x80\xa8" "b"));   /* U+2028 line separator */
	assert_false(ea_utf8_printable("a\xe2\x80\xa9" "b"));   /* U+2029 paragraph separator */
	assert_true(ea_utf8_printable("a\xe2\x80\x94" "b"));    /* U+2014 em dash stays */
	char buf[64];
	assert_string_equal(ea_doc_text("\xe5\xad", buf, sizeof buf), "\\xe5\\xad");
}

/* Terminal columns: CJK and full-width forms are two, combining marks
 * none, everything else one; text that is not printable counts as its
 * escaped form. */
static void test_columns(void **state)
{
	assert_int_equal(ea_text_columns("abc"), 3);
	assert_int_equal(ea_text_columns("存取/DNS"), 8);
	assert_int_equal(ea_text_columns("STUN、MS"), 8);
	assert_int_equal(ea_text_columns("ＡＢ"), 4);
	assert_int_equal(ea_text_columns("e\xcc\x81"), 1);
	assert_int_equal(ea_text_columns("caf\xc3\xa9"), 4);
	assert_int_equal(ea_text_columns("\xff"), 4);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ea_fput_padded("存取", 6, out);
	fputc('|', out);
	ea_fput_padded("toolong", 3, out);
	fclose(out);
	assert_string_equal(buf, "存取  |toolong");
	free(buf);
}

static void test_progress_line(void **state)
{
	char line[256];
	ea_progress p = {.done_bytes = 25u << 20, .total_bytes = 100u << 20, .elapsed_s = 10,
			 .packets = 123456, .flows = 789};
	ea_progress_format(&p, line, sizeof line);
	assert_string_equal(line, "25.0 MiB of 100.0 MiB (25%), 123456 packets, 789 flows finished, "
				  "0:10 elapsed, 0:30 left");
	/* Too early for a rate: no estimate. */
	p = (ea_progress){.done_bytes = 1000, .total_bytes = 1u << 30, .elapsed_s = 0.2};
	ea_progress_format(&p, line, sizeof line);
	assert_string_equal(line, "1000 B of 1.0 GiB (0%), 0 packets, 0 flows finished, 0:00 elapsed, -- left");
	/* A file that grew while read: never past 100%. */
	p = (ea_progress){.done_bytes = 3000, .total_bytes = 2048, .elapsed_s = 4000};
	ea_progress_format(&p, line, sizeof line);
	assert_string_equal(line, "2.9 KiB of 2.0 KiB (100%), 0 packets, 0 flows finished, 1:06:40 elapsed, 0:00 left");
	/* No total (a pipe): no share, no estimate. */
	p = (ea_progress){.done_bytes = 5u << 20, .elapsed_s = 61, .packets = 7, .flows = 1};
	ea_progress_format(&p, line, sizeof line);
	assert_string_equal(line, "5.0 MiB read, 7 packets, 1 flows finished, 1:01 elapsed");
	ea_progress_duration(-1, line, sizeof line);
	assert_string_equal(line, "0:00");
	ea_progress_duration(1e30, line, sizeof line);
	assert_string_equal(line, "99999:59:59");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_form),
		cmocka_unit_test(test_message_form),
		cmocka_unit_test(test_utf8_printable),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_progress_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
