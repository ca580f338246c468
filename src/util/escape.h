/* escape.h — how text that came from a file, a file name or the wire is
 * printed: the report, the command line's messages and `rules` all go
 * through here, so a host name, a site-file line or a file name with a
 * terminal escape in it prints as \x1b, never as an escape.
 *
 * Two forms. Wire form: every byte outside printable ASCII as \xNN and the
 * backslash as \\ (traffic and file names: nothing can forge a line or a
 * terminal sequence). Document form: our own data files' text (the vendor
 * document's Traditional Chinese) printed as written when it is
 * well-formed UTF-8 with no control character (C0, DEL, C1, the bidi
 * controls of UAX #9 such as U+202E, the separators U+2028/2029), else in
 * wire form. Nothing here allocates. Pipeline position: output, beside report. */
#ifndef EA_ESCAPE_H
#define EA_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes s in wire form. s NULL prints nothing. */
void ea_fputs_escaped(const char *s, FILE *out);

/* Writes a message of one or more lines (the command line's errors,
 * which quote file names and data-file text): each line in document
 * form, so a terminal escape prints as \x1b while a UTF-8 file name or
 * the matrix's Chinese stays readable; the '\n' between lines is kept
 * (it is ours: the loaders escape file names they put in messages). */
void ea_fputs_message(const char *msg, FILE *out);

/* The wire form of s in buf (size bytes, NUL included), cut with "..."
 * when it does not fit. Returns buf. */
const char *ea_escape(const char *s, char *buf, size_t size);

/* True when s is well-formed UTF-8 (RFC 3629: no overlong form, no
 * surrogate, nothing above U+10FFFF) without C0, DEL or C1 controls,
 * bidi controls (U+061C, U+200E/F, U+202A-E, U+2066-9) or the line and
 * paragraph separators (U+2028/9). */
bool ea_utf8_printable(const char *s);

/* The document form of s: s itself when ea_utf8_printable, else its wire
 * form in buf (cut as ea_escape does). */
const char *ea_doc_text(const char *s, char *buf, size_t size);

/* Terminal columns a printable UTF-8 string takes: 2 for East Asian Wide
 * and Fullwidth characters (Unicode UAX #11, the ranges wcwidth() gives
 * 2 in glibc's UTF-8 locales), 0 for combining marks, 1 otherwise.
 * Computed here rather than with wcwidth() so it does not depend on the
 * locale the tool runs under (LC_ALL=C in tests). */
size_t ea_text_columns(const char *s);

/* Writes s (already printable) and pads it with blanks to width columns. */
void ea_fput_padded(const char *s, size_t width, FILE *out);

#endif
