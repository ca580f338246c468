/* cmd_monitor.h — the `edgeaudit monitor` command: live capture of the
 * Edge's SPAN ports into the database until stopped. main.c dispatches
 * to it; it parses its own options. */
#ifndef EA_CMD_MONITOR_H
#define EA_CMD_MONITOR_H

#include "util/log.h"

/* The command's --help text. */
extern const char ea_monitor_usage[];

/* Runs `monitor` with argv[0] = "monitor". log: the program's log
 * (borrowed; NULL writes to stderr). tool_version: recorded in each run
 * row. Returns the exit code: 0 stopped by SIGTERM or SIGINT with every
 * flow stored; 1 a runtime failure (the database, a capture failure that
 * is not an interface loss); 2 a bad option, a data file missing or
 * wrong, a bad filter, or an interface missing or down at start. */
int ea_cmd_monitor(int argc, char **argv, ea_log *log, const char *tool_version);

#endif
