/* say.h — the commands' messages to the operator, through the program's
 * log (util/log.h): escaped, one log line per line of text.
 * Pipeline position: cli/, on top. */
#ifndef EA_SAY_H
#define EA_SAY_H

#include "util/error.h"
#include "util/log.h"

/* One line at level through lg (NULL: straight to stderr, escaped the
 * same way, "edgeaudit: [warning: ]line"). */
void say_line(ea_log *lg, ea_log_level level, const char *line);
/* A message of one or more lines (a data file's errors, one per line):
 * each line is a log line of its own. */
void say_lines(ea_log *lg, ea_log_level level, const char *msg);
/* Says msg (or the status's name when msg is empty) as an error, split
 * into lines, and returns st's exit code. */
int say_fail(ea_log *lg, ea_status st, const char *msg);
/* The same for a message about a capture or the run, kept as one line: a
 * capture's file name may hold a newline (it is the operator's evidence,
 * not ours to rename), and split there it would forge a second message
 * line; such a line prints wholly in wire form (escape.h). */
int say_fail_line(ea_log *lg, ea_status st, const char *msg);

#endif
