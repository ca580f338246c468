/* ini.c — the line reader behind every data file; see ini.h.
 *
 * Lines are read byte by byte into a fixed buffer of EA_MAX_LINE bytes, so
 * a file can never make the reader allocate: an over-long line is an error
 * and the rest of it is skipped. Pipeline position: configuration loading,
 * before any packet is read. */
#include "rules/ini.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/ea_limits.h"
#include "util/escape.h"

struct ea_ini {
	FILE *f;
	char *file_name;
	unsigned line;          /* number of the line in buf */
	bool eof;
	char buf[EA_MAX_LINE + 1];
	/* The current section outlives the line it came from: "kind\0name\0". */
	char section[EA_MAX_LINE + 2];
	const char *section_name;
	bool skipping;          /* below a broken section header */
	char *errors[EA_MAX_CONFIG_ERRORS];
	unsigned error_lines[EA_MAX_CONFIG_ERRORS]; /* 0: the whole file */
	unsigned n_errors;      /* all of them, listed or not */
};

ea_ini *ea_ini_open(FILE *f, const char *file_name)
{
	ea_ini *ini = calloc(1, sizeof *ini);
	if (!ini)
		return NULL;
	/* The name is quoted in every message: in wire form, so a file name
	 * with a newline or a terminal escape cannot forge one. */
	char name[1024];
	ini->file_name = strdup(ea_escape(file_name ? file_name : "(input)", name, sizeof name));
	if (!ini->file_name) {
		free(ini);
		return NULL;
	}
	ini->f = f;
	ini->section_name = ini->section;
	return ini;
}

void ea_ini_close(ea_ini *ini)
{
	if (!ini)
		return;
	for (unsigned i = 0; i < ini->n_errors && i < EA_MAX_CONFIG_ERRORS; i++)
		free(ini->errors[i]);
	free(ini->file_name);
	free(ini);
}

void ea_ini_error(ea_ini *ini, unsigned line, const char *fmt, ...)
{
	unsigned slot = ini->n_errors++;
	if (slot >= EA_MAX_CONFIG_ERRORS)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	/* Line 0 is a whole-file problem (a required entry is missing). */
	char where[32] = "";
	if (line)
		snprintf(where, sizeof where, ":%u", line);
	size_t n = strlen(ini->file_name) + strlen(where) + strlen(msg) + 3;
	char *e = malloc(n);
	if (e)
		snprintf(e, n, "%s%s: %s", ini->file_name, where, msg);
	ini->errors[slot] = e; /* NULL if out of memory: still counted */
	ini->error_lines[slot] = line;
}

unsigned ea_ini_error_count(const ea_ini *ini)
{
	return ini->n_errors;
}

void ea_ini_errors(const ea_ini *ini, char *errbuf, size_t errlen)
{
	if (!errbuf || !errlen)
		return;
	errbuf[0] = '\0';
	size_t used = 0;
	unsigned listed = ini->n_errors < EA_MAX_CONFIG_ERRORS ? ini->n_errors : EA_MAX_CONFIG_ERRORS;
	/* In line order, whatever order they were found in (a role is
	 * resolved, an overlap seen, only once the file is read); whole-file
	 * problems last. Stable: two on one line keep their order. */
	unsigned order[EA_MAX_CONFIG_ERRORS];
	for (unsigned i = 0; i < listed; i++) {
		unsigned k = i, key = ini->error_lines[i] ? ini->error_lines[i] : ~0u;
		while (k > 0 && (ini->error_lines[order[k - 1]] ? ini->error_lines[order[k - 1]] : ~0u) > key) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = i;
	}
	for (unsigned j = 0; j < listed && used < errlen; j++) {
		unsigned i = order[j];
		int n = snprintf(errbuf + used, errlen - used, "%s%s", used ? "\n" : "",
				 ini->errors[i] ? ini->errors[i] : "(out of memory)");
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (ini->n_errors > listed && used < errlen)
		snprintf(errbuf + used, errlen - used, "%s%s: %u more errors not listed",
			 used ? "\n" : "", ini->file_name, ini->n_errors - listed);
}

ea_status ea_open_data_file(const char *path, FILE **f, char *errbuf, size_t errlen)
{
	char name[1024];
	*f = NULL;
	/* Only a regular file (or a directory, refused below with its own
	 * message) is opened: a device such as /dev/zero never ends (it
	 * would be refused only at the size bound, as a file too large), and
	 * opening a FIFO without a writer blocks. */
	struct stat sb;
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: not a regular file (a device or a pipe); give a data file",
			       ea_escape(path, name, sizeof name));
	*f = fopen(path, "r");
	if (!*f)
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot open: %s",
			       ea_escape(path, name, sizeof name), strerror(errno));
	/* fopen() opens a directory for reading; the first read would fail
	 * with a message that names no file. */
	if (fstat(fileno(*f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fclose(*f);
		*f = NULL;
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: is a directory, not a data file",
			       ea_escape(path, name, sizeof name));
	}
	return EA_OK;
}

/* UTF-8 text without control characters but the blanks ea_is_space
 * ignores (tab, CR, VT, FF), which become plain spaces here so that no
 * value keeps one. */
static bool printable_line(char *s)
{
	for (char *p = s; *p; p++)
		if (ea_is_space(*p))
			*p = ' ';
	return ea_utf8_printable(s);
}

/* Reads one line into buf without its end of line. Returns false at the
 * end of the file. A line longer than EA_MAX_LINE is reported and
 * truncated; a NUL byte is reported (it would silently cut the text). */
static bool read_line(ea_ini *ini)
{
	if (ini->eof)
		return false;
	size_t n = 0;
	bool any = false, too_long = false, nul = false;
	int c;
	while ((c = getc(ini->f)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = true;
		if (n < EA_MAX_LINE)
			ini->buf[n++] = (char)c;
		else
			too_long = true;
	}
	if (c == EOF) {
		ini->eof = true;
		if (ferror(ini->f))
			ea_ini_error(ini, ini->line + 1, "read error: %s", strerror(errno));
		if (!any)
			return false;
	}
	ini->line++;
	/* A file written on Windows: CR LF ends the line just as well. */
	if (!too_long && n > 0 && ini->buf[n - 1] == '\r')
		n--;
	ini->buf[n] = '\0';
	if (too_long) {
		ea_ini_error(ini, ini->line, "line is longer than %d bytes", EA_MAX_LINE);
		ini->buf[0] = '\0'; /* a cut line would be read as something else */
	} else if (nul) {
		ea_ini_error(ini, ini->line, "NUL byte in line");
		ini->buf[0] = '\0';
	} else if (!printable_line(ini->buf)) {
		/* A terminal escape or a stray byte would be printed by 'rules'
		 * and the report, or silently make a value differ from what the
		 * editor shows. */
		ea_ini_error(ini, ini->line, "line is not UTF-8 text (a control character or an invalid byte)");
		ini->buf[0] = '\0';
	}
	return true;
}

bool ea_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

char *ea_trim(char *s)
{
	while (ea_is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && ea_is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* "[kind]" or "[kind name]"; false (reported) on anything else. */
static bool parse_section(ea_ini *ini, char *s)
{
	char *end = strchr(s, ']');
	if (!end) {
		ea_ini_error(ini, ini->line, "unterminated section header (missing ']')");
		return false;
	}
	if (*ea_trim(end + 1) != '\0') {
		ea_ini_error(ini, ini->line, "text after the section header");
		return false;
	}
	*end = '\0';
	char *kind = ea_trim(s + 1);
	if (*kind == '\0') {
		ea_ini_error(ini, ini->line, "empty section header");
		return false;
	}
	char *name = kind;
	while (*name && !ea_is_space(*name))
		name++;
	if (*name) {
		*name++ = '\0';
		name = ea_trim(name);
		for (const char *p = name; *p; p++) {
			if (ea_is_space(*p)) {
				ea_ini_error(ini, ini->line, "section header has more than two words");
				return false;
			}
		}
	}
	size_t kl = strlen(kind), nl = strlen(name);
	memcpy(ini->section, kind, kl + 1);
	memcpy(ini->section + kl + 1, name, nl + 1);
	ini->section_name = ini->section + kl + 1;
	return true;
}

bool ea_ini_next(ea_ini *ini, ea_ini_item *item)
{
	while (read_line(ini)) {
		char *s = ea_trim(ini->buf);
		/* A BOM from a Windows editor is not part of the first line. */
		if (ini->line == 1 && (unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbb &&
		    (unsigned char)s[2] == 0xbf)
			s = ea_trim(s + 3);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;

		memset(item, 0, sizeof *item);
		item->line = ini->line;
		if (*s == '[') {
			/* Keys below a broken header belong to no section we
			 * know: skipped, rather than taken for the previous
			 * section's or reported once more each. */
			ini->skipping = !parse_section(ini, s);
			if (ini->skipping)
				continue;
			item->kind = EA_INI_SECTION;
			item->section = ini->section;
			item->name = ini->section_name;
			return true;
		}

		if (ini->skipping)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			ea_ini_error(ini, ini->line, "expected 'key = value'");
			continue;
		}
		*eq = '\0';
		char *key = ea_trim(s);
		if (*key == '\0') {
			ea_ini_error(ini, ini->line, "missing key before '='");
			continue;
		}
		bool blank = false;
		for (const char *p = key; *p; p++)
			blank |= ea_is_space(*p);
		if (blank) {
			ea_ini_error(ini, ini->line, "key '%s' contains a space", key);
			continue;
		}
		item->kind = EA_INI_KEYVALUE;
		item->section = ini->section;
		item->name = ini->section_name;
		item->key = key;
		item->value = ea_trim(eq + 1);
		return true;
	}
	memset(item, 0, sizeof *item);
	item->kind = EA_INI_END;
	item->line = ini->line;
	item->section = item->name = item->key = item->value = "";
	return false;
}
