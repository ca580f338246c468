/* say.c — the commands' messages to the operator (say.h). */
#include "cli/say.h"

#include <stdio.h>
#include <string.h>

#include "util/ea_limits.h"
#include "util/escape.h"

void say_line(ea_log *lg, ea_log_level level, const char *line)
{
	if (lg) {
		ea_log_msg(lg, level, NULL, "%s", line);
		return;
	}
	char esc[4 * EA_LOG_LINE_MAX + 1];
	fprintf(stderr, "edgeaudit: %s%s\n", level == EA_LOG_WARNING ? "warning: " : "",
		ea_doc_text(line, esc, sizeof esc));
}

void say_lines(ea_log *lg, ea_log_level level, const char *msg)
{
	char line[EA_LOG_LINE_MAX];
	const char *p = msg;
	do {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
		say_line(lg, level, line);
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
}

int say_fail(ea_log *lg, ea_status st, const char *msg)
{
	say_lines(lg, EA_LOG_ERROR, msg[0] ? msg : ea_status_name(st));
	return ea_status_exit_code(st);
}

int say_fail_line(ea_log *lg, ea_status st, const char *msg)
{
	say_line(lg, EA_LOG_ERROR, msg[0] ? msg : ea_status_name(st));
	return ea_status_exit_code(st);
}
