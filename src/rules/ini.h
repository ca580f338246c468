/* ini.h — the line reader behind every data file (matrix, port
 * signatures, site). One tokenizer so every file has the same syntax and
 * the same error format:
 *
 *   # comment            (also ';'; only at the start of a line)
 *   [section]            or [kind name], e.g. [rule ext-01]
 *   key = value          value runs to the end of the line, trimmed
 *
 * Errors are collected, never fatal one by one: a loader reports every
 * mistake in a file as "file:line: message" and then fails as a whole. */
#ifndef EA_INI_H
#define EA_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/error.h"

typedef enum { EA_INI_SECTION, EA_INI_KEYVALUE, EA_INI_END } ea_ini_kind;

typedef struct {
	ea_ini_kind kind;
	unsigned line;
	const char *section;  /* [section]: the first word; key/value: current section's */
	const char *name;     /* [kind name]: the second word, else "" */
	const char *key, *value; /* key/value lines */
} ea_ini_item;

typedef struct ea_ini ea_ini;

/* Reads from f (not closed). file_name is used in messages only. */
ea_ini *ea_ini_open(FILE *f, const char *file_name);
void ea_ini_close(ea_ini *ini);

/* Next item; syntax errors are recorded with ea_ini_error and skipped.
 * The strings stay valid until the next call. */
bool ea_ini_next(ea_ini *ini, ea_ini_item *item);

/* Records "file:line: message". Capped at EA_MAX_CONFIG_ERRORS listed. */
void ea_ini_error(ea_ini *ini, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
unsigned ea_ini_error_count(const ea_ini *ini);
/* All messages, one per line, into errbuf (truncated to errlen). */
void ea_ini_errors(const ea_ini *ini, char *errbuf, size_t errlen);

/* Opens a data file for reading (the ruleset's loader; tests).
 * On failure *f is NULL and errbuf says "path: cannot open: reason";
 * returns EA_ERR_IO. The caller closes *f. */
ea_status ea_open_data_file(const char *path, FILE **f, char *errbuf, size_t errlen);

/* The blanks every data file ignores around keys, values and list items:
 * space, tab, and CR, VT, FF (editors leave them). */
bool ea_is_space(char c);
/* Trims s in place; returns its first non-blank character. */
char *ea_trim(char *s);

#endif
