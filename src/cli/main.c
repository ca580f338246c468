/* main.c — the command line: read, report, rules, check.
 *
 * The only place that prints usage, decides exit codes and calls exit().
 * Everything below it returns ea_status with a message. */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/audit.h"
#include "engine/classify.h"
#include "util/error.h"
#include "util/escape.h"
#include "util/filehash.h"
#include "util/ea_limits.h"
#include "util/log.h"
#include "rules/matrix.h"
#include "rules/portsig.h"
#include "cli/datadir.h"
#include "cli/evecheck.h"
#include "cli/cmd_evidence.h"
#include "cli/cmd_monitor.h"
#include "cli/progress.h"
#include "cli/run.h"
#include "cli/say.h"
#include "report/outputs.h"
#include "report/report.h"
#include "rules/ruleset.h"
#include "store/runlock.h"
#include "rules/site.h"
#include "store/store.h"
#include "rules/textparse.h"

#define EA_VERSION "0.1.0"
/* The default data files, searched for by name (cli/datadir.h) in the
 * places this build knows: the Makefile bakes EA_DATADIR (the tree's
 * signatures/ for a build, PREFIX/share/edgeaudit for an installed
 * binary, which also looks relative to itself: EA_DATADIR_FROM_BIN). */
#define MATRIX_FILE "lync2013-edge.matrix"
#define PORTS_FILE "ports.sig"
#ifdef EA_DATADIR_FROM_BIN
#define DATADIR_WHERE "$" EA_DATADIR_ENV " if set, else " EA_DATADIR_FROM_BIN " from the binary's\n" \
	"directory, else " EA_DATADIR
#else
#define DATADIR_WHERE "$" EA_DATADIR_ENV " if set, else " EA_DATADIR
#endif
#define DATADIR_HELP "Data files: --matrix and --ports default to " MATRIX_FILE " and\n" PORTS_FILE " in " \
	DATADIR_WHERE ".\n"
#define MATRIX_DATADIR_HELP "The matrix: --matrix defaults to " MATRIX_FILE " in\n" DATADIR_WHERE ".\n"
#define ERRBUF_SIZE 8192
/* SHA-256 of no bytes (FIPS 180-2). */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const char usage_main[] =
	"usage: edgeaudit <command> [options]\n"
	"\n"
	"Audits the traffic of a Lync Server 2013 Edge against the vendor's port matrix.\n"
	"\n"
	"commands:\n"
	"  read     audit capture files into a SQLite database\n"
	"  monitor  audit the Edge's SPAN ports live into a SQLite database\n"
	"  report   print the compliance report of a database\n"
	"  rules    list the rows of the port matrix\n"
	"  check    validate the matrix, the port signatures and a site file\n"
	"  retain   roll up and delete flows older than N days in a database\n"
	"  evidence write the packets of chosen flows to a pcap, from their captures\n"
	"\n"
	"'edgeaudit <command> --help' describes each command.\n"
	"Exit codes: 0 success, 1 runtime failure (a capture or the database),\n"
	"2 usage or configuration error (an option, a data file missing or wrong),\n"
	"130 or 143 'read' stopped by SIGINT or SIGTERM (its run is marked interrupted).\n";

static const char usage_read[] =
	"usage: edgeaudit read --site FILE --db FILE [--external PCAP]... [--internal PCAP]...\n"
	"                      [--matrix FILE] [--ports FILE] [--local FILE] [--filter EXPR]\n"
	"                      [--force]\n"
	"                      [--max-flows N] [--quiet] [--keep-duplicates]\n"
	"                      [--active-timeout SECONDS]\n"
	"                      [--eve FILE] [--syslog TARGET] [--syslog-facility NAME]\n"
	"\n"
	"Reads pcap/pcapng captures of the Edge's external and internal NICs, builds\n"
	"flows, classifies them (nDPI, payload checks, port signatures), matches each\n"
	"against the port matrix and records flows and verdicts in the database.\n"
	"\n"
	"  --site FILE       who is who: addresses of the matrix's roles, and the\n"
	"                    NAT in front of the Edge ([nat]) and the deployment\n"
	"                    profile: the features the site offers ([deployment];\n"
	"                    rows of the others are closed) (required)\n"
	"  --db FILE         SQLite database, created if absent (required)\n"
	"  --external PCAP   a capture of the external interface (repeatable); a\n"
	"                    capture of the NAT's public side read with one of\n"
	"                    the external NIC is paired with it to check the NAT's\n"
	"                    mappings (README, \"The NAT requirement\")\n"
	"  --internal PCAP   a capture of the internal interface (repeatable)\n"
	"                    PCAP may be - (standard input, once) or a pipe\n"
	"  --matrix FILE     port matrix (default " MATRIX_FILE ", see below)\n"
	"  --ports FILE      port signatures (default " PORTS_FILE ", see below)\n"
	"  --local FILE      the site's own rules in the matrix format (local-NN,\n"
	"                    action allow or deny), judged beside the vendor's rows\n"
	"  --filter EXPR     audit only the frames this BPF expression passes\n"
	"                    (pcap-filter(7), as tcpdump -r applies it); a\n"
	"                    capture read through a filter is held against a\n"
	"                    later read with the same filter only: a read with\n"
	"                    no filter (or another one) is still accepted\n"
	"  --force           read captures even if the database already has them\n"
	"  --max-flows N     concurrent flows kept per interface before the least\n"
	"                    recently active is evicted (default 1000000)\n"
	"  --quiet           no progress and no summary\n"
	"  --keep-duplicates audit every frame; by default a frame that repeats one\n"
	"                    of its interface within 1 ms, byte for byte (the outer\n"
	"                    VLAN tag aside), is a SPAN copy: counted per capture\n"
	"                    as a duplicate, in no flow\n"
	"  --eve FILE        also append one JSON line per flow to FILE, in Suricata\n"
	"                    EVE / Elastic Common Schema names (the README's section\n"
	"                    \"Findings and flows for a SIEM\" lists them); '-' is\n"
	"                    refused (standard output carries the summary)\n"
	"  --syslog TARGET   log each finding as it is decided, one RFC 5424 line, to\n"
	"                    stderr, unix:PATH (e.g. unix:/dev/log), udp:HOST[:PORT]\n"
	"                    (RFC 5426) or tcp:HOST[:PORT] (RFC 6587 octet counting);\n"
	"                    at most 10 lines per finding group a minute (300 for all\n"
	"                    groups together), then a count of what was held back\n"
	"  --syslog-facility NAME  facility of those lines (default local0)\n"
	"  --active-timeout SECONDS\n"
	"                    write a flow still open every SECONDS of packet time\n"
	"                    (its row is rewritten, never duplicated: end_reason\n"
	"                    'active' until it ends); default off: written once\n"
	"\n"
	"Files of one interface are read oldest first (by their first record);\n"
	"flows continue across them. Every capture is opened and hashed before\n"
	"anything is written: a missing one, or one already in the database, stops\n"
	"the run there (exit 1). Standard input (-) and pipes are read once, hashed\n"
	"while read, after the files of their interface; one whose content was read\n"
	"before gets a warning (its flows are then counted twice).\n"
	"A file that turns out not to be a readable capture\n"
	"is reported and recorded with its error, the others are still read, and the\n"
	"exit code is 1; so is one of which no frame could be decoded (a link type\n"
	"edgeaudit does not decode: named in a warning). A database failure ends\n"
	"the run, marked failed, keeping every flow stored so far; its captures may\n"
	"then be read again.\n"
	"\n"
	"SIGINT (Ctrl-C) or SIGTERM stops reading: the flows that had ended are\n"
	"stored, flows still open are not, the run is marked interrupted and the\n"
	"exit code is 130 (SIGINT) or 143 (SIGTERM). A run whose process was killed\n"
	"outright is marked interrupted by the next 'read' of the database. The\n"
	"captures of an interrupted run may be read again without --force, and\n"
	"'report' never counts an interrupted run with the complete ones.\n"
	"\n"
	DATADIR_HELP
	"\n"
	"Exit codes: 0 every capture read; 1 a capture missing, unreadable, of which\n"
	"nothing could be decoded, or already recorded, a database failure, or EVE\n"
	"lines that could not be written (a syslog collector that cannot be reached\n"
	"is a warning: its lines are counted); 2 a bad option, a filter libpcap\n"
	"rejects, an EVE file that cannot be opened or is also an input, a syslog\n"
	"host that does not resolve, or a data file (matrix, signatures, site)\n"
	"missing or wrong:\n"
	"nothing is written; 130 or 143 stopped by SIGINT or SIGTERM.\n";

static const char usage_report[] =
	"usage: edgeaudit report --db FILE [--run ID] [--top N]\n"
	"\n"
	"Prints the plain-text compliance report: first any capture loss (per run and\n"
	"interface, with its period), then totals per verdict, every documented\n"
	"row with its use (and the rows never used), findings grouped by interface,\n"
	"transport, port and protocol with their top talkers, unanswered attempts on\n"
	"documented rows, ICMP errors counted on the flows they quote and orphan ICMP\n"
	"errors, and what could not be decoded. Days whose flows 'retain'\n"
	"deleted count from their daily totals.\n"
	"\n"
	"  --db FILE   the database written by 'edgeaudit read' (required)\n"
	"  --run ID    one run only, whatever its status (default: the finished runs,\n"
	"              each capture counted once: a capture read again with --force\n"
	"              counts in the later run; runs still running, interrupted or\n"
	"              failed are listed apart with the flows they stored)\n"
	"  --top N     talkers listed per finding (default 5)\n"
	"\n"
	"Exit codes: 0 report printed; 1 no such database, or it cannot be read;\n"
	"2 a bad option.\n";

static const char usage_retain[] =
	"usage: edgeaudit retain --db FILE --days N [--batch N]\n"
	"\n"
	"Retention: deletes the flows that ended before the UTC midnight N days ago\n"
	"(a whole day of a run at a time), after adding that day's totals per matrix\n"
	"row and per finding group to the rollup tables, so 'report' still counts\n"
	"them in rule usage and verdict totals. Deletes in small transactions, so a\n"
	"sensor writing the database waits at most one batch; stopped at any point\n"
	"and run again, it counts nothing twice. Runs, captures and losses stay.\n"
	"\n"
	"  --db FILE    the database (required; it must exist)\n"
	"  --days N     keep the flows of the last N days (1 to 36500; required)\n"
	"  --batch N    flows deleted per transaction (default 2000)\n"
	"\n"
	"Exit codes: 0 done (also when there was nothing to delete); 1 no such\n"
	"database, or it is locked, read-only or not an edgeaudit database;\n"
	"2 a bad option.\n";

static const char usage_rules[] =
	"usage: edgeaudit rules [--matrix FILE] [--local FILE]\n"
	"\n"
	"Lists the rows of the port matrix in document order: interface, table,\n"
	"transport and port, the document's cell, source and destination roles and\n"
	"the accepted protocols; under each row the optional features it serves\n"
	"and the document's note in English and as the original has it\n"
	"(Traditional Chinese). With --local, the site's local rules follow in a\n"
	"group of their own, each with its action (allow or deny).\n"
	"\n"
	"  --matrix FILE   port matrix (default " MATRIX_FILE ", see below)\n"
	"  --local FILE    the site's local rules (checked against the matrix)\n"
	"\n"
	MATRIX_DATADIR_HELP
	"\n"
	"Exit codes: 0 listed; 2 a bad option, or the matrix or the local rules\n"
	"missing or wrong.\n";

static const char usage_check[] =
	"usage: edgeaudit check --site FILE [--matrix FILE] [--ports FILE] [--local FILE]\n"
	"\n"
	"Validates the port matrix, the port signatures, local rules and a site file\n"
	"together: syntax, unknown roles, tables, features and protocols, matrix\n"
	"ports the signatures do not cover, overlapping or empty port ranges, bad or\n"
	"overlapping addresses, local rule ids (local-NN, unique across the files),\n"
	"unknown [deployment] keys or values. Every problem of every file is listed\n"
	"as file:line: message, in line order. On success it says which features\n"
	"the profile turns off and which rows that closes.\n"
	"\n"
	"  --site FILE     the site file to check (required)\n"
	"  --local FILE    the site's local rules to check with it\n"
	"  --matrix FILE   port matrix (default " MATRIX_FILE ", see below)\n"
	"  --ports FILE    port signatures (default " PORTS_FILE ", see below)\n"
	"\n"
	DATADIR_HELP
	"\n"
	"Exit codes: 0 all is well; 2 a problem in a file, a file missing or not a\n"
	"file, or a bad option; 1 only when the check itself cannot run (memory).\n";

/* The program's log (log.h), owned by main(): every message to the
 * operator goes through it, escaped, so no file name or text from a data
 * file or a capture can send a terminal escape or forge a line. State of
 * the program's entry, like the stop flag below; NULL before main()
 * creates it (then messages go to stderr the same way). */
static ea_log *program_log;

static int fail_exit(ea_status st, const char *msg)
{
	return say_fail(program_log, st, msg);
}

/* A usage mistake: "edgeaudit CMD: BEFORE'ARG'AFTER", the argument
 * from argv escaped; returns exit code 2. */
static int usage_error(const char *cmd, const char *before, const char *arg, const char *after)
{
	fprintf(stderr, "edgeaudit%s%s: %s", *cmd ? " " : "", cmd, before);
	if (arg) {
		fputc('\'', stderr);
		ea_fputs_escaped(arg, stderr);
		fputc('\'', stderr);
	}
	fprintf(stderr, "%s\n", after);
	return EA_EXIT_USAGE;
}

/* After a usage mistake, where the help is (GNU tools' way): the
 * message stays the last thing on screen, not ~90 lines of --help. */
static void try_help(const char *cmd)
{
	fprintf(stderr, "Try 'edgeaudit %s --help'.\n", cmd);
}

/* getopt's own messages would print the argument raw: they are off
 * (opterr = 0) and this says what was wrong. */
static int bad_option(const char *cmd, char **argv)
{
	const char *arg = argv[optind - 1];
	if (optopt && strncmp(arg, "--", 2) == 0)
		usage_error(cmd, "option ", arg, " needs a value");
	else
		usage_error(cmd, "unknown option ", arg, "");
	try_help(cmd);
	return EA_EXIT_USAGE;
}

/* A single-valued option given twice is a mistake, not "the last wins":
 * 'read --db a.db ... --db b.db' would silently write to only one. */
static bool set_once(const char **slot, bool *given, const char *value, const char *cmd,
		     const char *option)
{
	if (*given) {
		char before[64];
		snprintf(before, sizeof before, "--%s is given twice (first ", option);
		usage_error(cmd, before, *slot, "); give it once");
		return false;
	}
	*slot = value;
	*given = true;
	return true;
}

/* A path option naming a directory (a tab-completed folder) is refused
 * up front with the option's name, rather than failing later with a
 * library's message about "unable to open". */
static bool not_a_directory(const char *path, const char *cmd, const char *option)
{
	struct stat sb;
	if (!path || stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return true;
	char before[64];
	snprintf(before, sizeof before, "--%s ", option);
	usage_error(cmd, before, path, " is a directory; give a file");
	return false;
}

/* The default data file called name into buf (len bytes), searched for
 * in the places of this build (cli/datadir.h). Returns 0, or the exit
 * code after saying which paths were tried. */
static int find_data_file(const char *name, char *buf, size_t len)
{
	char err[8192];
	ea_status st = ea_datadir_default(name, buf, len, err, sizeof err);
	return st == EA_OK ? EA_EXIT_OK : fail_exit(st, err);
}

static bool parse_uint(const char *text, unsigned long max, unsigned long *out)
{
	char *end;
	if (!text || *text < '0' || *text > '9')
		return false;
	unsigned long v = strtoul(text, &end, 10);
	if (*end || v > max)
		return false;
	*out = v;
	return true;
}

static void build_command_line(int argc, char **argv, char *out, size_t outlen)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < argc && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? " " : "", argv[i]);
}

/* The one piece of global state, and the only thing a signal handler
 * touches: the number of the signal (SIGINT, SIGTERM) that asked `read`
 * to stop, 0 until then. The packet loop sees it through the pointer in
 * ea_audit_config. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a read blocked on a silent pipe or FIFO (or its
	 * open, waiting for a writer) fails with EINTR, so a service
	 * manager's one SIGTERM stops a sensor fed by a stream; SQLite's unix
	 * VFS retries EINTR itself, and the loop sees the flag at the next
	 * frame of a file. SA_RESETHAND: a second Ctrl-C ends the process at
	 * once; its run lock then lets the next run mark it interrupted. */
	sa.sa_flags = SA_RESETHAND;
	/* A SIGINT ignored on entry stays ignored: a shell script's
	 * background jobs are started so, that Ctrl-C at the terminal stops
	 * only what runs in the foreground. */
	struct sigaction old;
	if (sigaction(SIGINT, NULL, &old) != 0 || old.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int cmd_read(int argc, char **argv)
{
	static const struct option opts[] = {
		{"site", required_argument, 0, 's'},   {"db", required_argument, 0, 'd'},
		{"external", required_argument, 0, 'e'}, {"internal", required_argument, 0, 'i'},
		{"matrix", required_argument, 0, 'm'}, {"ports", required_argument, 0, 'p'},
		{"force", no_argument, 0, 'f'},        {"max-flows", required_argument, 0, 'n'},
		{"quiet", no_argument, 0, 'q'},        {"help", no_argument, 0, 'h'},
		{"keep-duplicates", no_argument, 0, 'K'},
		{"eve", required_argument, 0, 'E'},    {"syslog", required_argument, 0, 'S'},
		{"syslog-facility", required_argument, 0, 'F'},
		{"active-timeout", required_argument, 0, 'A'},
		{"filter", required_argument, 0, 'X'},
		{"local", required_argument, 0, 'l'},
		{0, 0, 0, 0}};
	const char *site_path = NULL, *db_path = NULL, *filter_expr = NULL, *local_path = NULL;
	bool given_local = false;
	const char *matrix_path = NULL, *ports_path = NULL;
	char matrix_found[4096], ports_found[4096];
	bool force = false, quiet = false, keep_duplicates = false;
	const char *eve_path = NULL, *syslog_target = NULL, *syslog_facility = NULL;
	bool given_eve = false, given_syslog = false, given_facility = false;
	unsigned long max_flows = EA_DEFAULT_MAX_FLOWS;
	ea_run_capture *inputs = calloc((size_t)argc, sizeof *inputs);
	unsigned n_inputs = 0;
	int rc = EA_EXIT_OK;
	int opt;

	if (!inputs) {
		fputs("edgeaudit: out of memory\n", stderr);
		return EA_EXIT_RUNTIME;
	}
	bool given_site = false, given_db = false, given_matrix = false, given_ports = false;
	bool given_max = false, given_active = false, given_filter = false;
	unsigned long active_s = 0;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		bool once = true;
		switch (opt) {
		case 's': once = set_once(&site_path, &given_site, optarg, "read", "site"); break;
		case 'd': once = set_once(&db_path, &given_db, optarg, "read", "db"); break;
		case 'e':
		case 'i':
			inputs[n_inputs].path = optarg;
			inputs[n_inputs].iface = opt == 'e' ? EA_IFACE_EXTERNAL : EA_IFACE_INTERNAL;
			n_inputs++;
			break;
		case 'm': once = set_once(&matrix_path, &given_matrix, optarg, "read", "matrix"); break;
		case 'p': once = set_once(&ports_path, &given_ports, optarg, "read", "ports"); break;
		case 'f': force = true; break;
		case 'q': quiet = true; break;
		case 'K': keep_duplicates = true; break;
		case 'X': once = set_once(&filter_expr, &given_filter, optarg, "read", "filter"); break;
		case 'l': once = set_once(&local_path, &given_local, optarg, "read", "local"); break;
		case 'E': once = set_once(&eve_path, &given_eve, optarg, "read", "eve"); break;
		case 'S': once = set_once(&syslog_target, &given_syslog, optarg, "read", "syslog"); break;
		case 'F': once = set_once(&syslog_facility, &given_facility, optarg, "read", "syslog-facility"); break;
		case 'n':
			if (given_max) {
				rc = usage_error("read", "--max-flows is given twice; give it once", NULL, "");
				goto out;
			}
			given_max = true;
			if (!parse_uint(optarg, 100000000ul, &max_flows) || max_flows == 0) {
				rc = fail_exit(EA_ERR_USAGE, "--max-flows takes a number from 1 to 100000000");
				goto out;
			}
			break;
		case 'A':
			if (given_active) {
				rc = usage_error("read", "--active-timeout is given twice; give it once", NULL, "");
				goto out;
			}
			given_active = true;
			if (!parse_uint(optarg, EA_ACTIVE_TIMEOUT_MAX_SEC, &active_s) || active_s == 0) {
				rc = fail_exit(EA_ERR_USAGE, "--active-timeout takes seconds from 1 to 86400");
				goto out;
			}
			break;
		case 'h': fputs(usage_read, stdout); goto out;
		default: rc = bad_option("read", argv); goto out;
		}
		if (!once) {
			rc = EA_EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc) {
		rc = usage_error("read", "unexpected argument ", argv[optind],
				 " (captures go after --external or --internal)");
		goto out;
	}
	if (!site_path || !db_path || n_inputs == 0) {
		fprintf(stderr, "edgeaudit read: %s\n",
			!site_path ? "--site is required" : !db_path ? "--db is required"
								     : "give at least one --external or --internal capture");
		try_help("read");
		rc = EA_EXIT_USAGE;
		goto out;
	}
	if (syslog_facility && !syslog_target) {
		rc = usage_error("read", "--syslog-facility needs --syslog", NULL, "");
		goto out;
	}
	if ((!matrix_path && (rc = find_data_file(MATRIX_FILE, matrix_found, sizeof matrix_found)) != 0) ||
	    (!ports_path && (rc = find_data_file(PORTS_FILE, ports_found, sizeof ports_found)) != 0))
		goto out;
	matrix_path = matrix_path ? matrix_path : matrix_found;
	ports_path = ports_path ? ports_path : ports_found;
	bool paths_ok = not_a_directory(site_path, "read", "site") && not_a_directory(db_path, "read", "db") &&
			(!eve_path || not_a_directory(eve_path, "read", "eve")) &&
			not_a_directory(matrix_path, "read", "matrix") && not_a_directory(ports_path, "read", "ports") &&
			(!local_path || not_a_directory(local_path, "read", "local"));
	for (unsigned i = 0; i < n_inputs && paths_ok; i++)
		paths_ok = not_a_directory(inputs[i].path, "read",
					   inputs[i].iface == EA_IFACE_EXTERNAL ? "external" : "internal");
	if (paths_ok && eve_path) {
		char err[640];
		ea_eve_inputs used = {.db = db_path, .site = site_path, .matrix = matrix_path, .ports = ports_path,
				      .local = local_path, .captures = inputs, .n_captures = n_inputs};
		if (ea_eve_check_not_input(eve_path, &used, err, sizeof err) != EA_OK)
			paths_ok = !usage_error("read", err, NULL, "");
	}
	if (!paths_ok) {
		rc = EA_EXIT_USAGE;
		goto out;
	}
	char cmdline[2048];
	build_command_line(argc + 1, argv - 1, cmdline, sizeof cmdline);
	ea_read_options ro = {
		.site_path = site_path, .db_path = db_path, .matrix_path = matrix_path, .ports_path = ports_path,
		.local_path = local_path, .captures = inputs, .n_captures = n_inputs, .force = force, .quiet = quiet,
		.keep_duplicates = keep_duplicates, .max_flows = (unsigned)max_flows,
		.eve_path = eve_path, .syslog_target = syslog_target, .syslog_facility = syslog_facility,
		.active_timeout_us = (uint64_t)active_s * 1000000u, .filter = filter_expr,
		.tool_version = EA_VERSION, .command_line = cmdline,
		.log = program_log, .stop = &stop_signal, .catch_signals = catch_stop_signals,
	};
	rc = ea_run_read(&ro);
out:
	free(inputs);
	return rc;
}

/* ---- report -------------------------------------------------------- */

static ea_writer_state report_run_writer(void *ctx, int64_t run_id)
{
	return ea_runlock_writer(ctx, run_id);
}

static int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'}, {"run", required_argument, 0, 'r'},
		{"top", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *db_path = NULL;
	unsigned long run = 0, top = 5;
	char errbuf[2048];
	int opt;
	bool given_db = false, given_run = false, given_top = false;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((opt == 'r' && given_run) || (opt == 't' && given_top))
			return usage_error("report", opt == 'r' ? "--run" : "--top", NULL, " is given twice; give it once");
		switch (opt) {
		case 'd':
			if (!set_once(&db_path, &given_db, optarg, "report", "db"))
				return EA_EXIT_USAGE;
			break;
		case 'r':
			given_run = true;
			if (!parse_uint(optarg, 1ul << 62, &run) || run == 0)
				return fail_exit(EA_ERR_USAGE, "--run takes a run number (see the report's header)");
			break;
		case 't':
			given_top = true;
			if (!parse_uint(optarg, 1000, &top))
				return fail_exit(EA_ERR_USAGE, "--top takes a number from 0 to 1000");
			break;
		case 'h': fputs(usage_report, stdout); return EA_EXIT_OK;
		default: return bad_option("report", argv);
		}
	}
	if (!db_path || optind < argc) {
		fprintf(stderr, "edgeaudit report: %s\n", db_path ? "unexpected argument" : "--db is required");
		try_help("report");
		return EA_EXIT_USAGE;
	}
	if (!not_a_directory(db_path, "report", "db"))
		return EA_EXIT_USAGE;
	if (access(db_path, F_OK) != 0) {
		char esc[1024];
		snprintf(errbuf, sizeof errbuf, "%s: no such database (create it with 'edgeaudit read')",
			 ea_escape(db_path, esc, sizeof esc));
		return fail_exit(EA_ERR_IO, errbuf);
	}
	ea_store *store = NULL;
	ea_runlock *runlock = NULL;
	ea_status st = ea_store_open_readonly(db_path, &store, errbuf, sizeof errbuf);
	if (st != EA_OK)
		return fail_exit(st, errbuf);
	/* Read-only: only tells a run being written from an abandoned one. */
	if (ea_runlock_open(db_path, false, &runlock, errbuf, sizeof errbuf) != EA_OK)
		runlock = NULL;
	ea_report_options ro = {.run_id = (int64_t)run, .top_n = (unsigned)top,
				.run_writer = runlock ? report_run_writer : NULL, .writer_ctx = runlock};
	st = ea_report_text(store, &ro, stdout, errbuf, sizeof errbuf);
	char close_err[512];
	ea_store_close(store, close_err, sizeof close_err);
	ea_runlock_close(runlock);
	if (st != EA_OK)
		return fail_exit(st, errbuf);
	return fflush(stdout) == 0 ? EA_EXIT_OK : fail_exit(EA_ERR_IO, "cannot write the report");
}

/* ---- retain ---------------------------------------------------------- */

static int cmd_retain(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'}, {"days", required_argument, 0, 'n'},
		{"batch", required_argument, 0, 'b'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *db_path = NULL, *days_text = NULL, *batch_text = NULL;
	bool given_db = false, given_days = false, given_batch = false, once = true;
	unsigned long days = 0, batch = EA_RETAIN_BATCH_FLOWS;
	char errbuf[2048];
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': once = set_once(&db_path, &given_db, optarg, "retain", "db"); break;
		case 'n': once = set_once(&days_text, &given_days, optarg, "retain", "days"); break;
		case 'b': once = set_once(&batch_text, &given_batch, optarg, "retain", "batch"); break;
		case 'h': fputs(usage_retain, stdout); return EA_EXIT_OK;
		default: return bad_option("retain", argv);
		}
		if (!once)
			return EA_EXIT_USAGE;
	}
	if (optind < argc)
		return usage_error("retain", "unexpected argument ", argv[optind], "");
	if (!db_path || !days_text) {
		fprintf(stderr, "edgeaudit retain: %s\n", db_path ? "--days is required" : "--db is required");
		try_help("retain");
		return EA_EXIT_USAGE;
	}
	if (!parse_uint(days_text, EA_RETAIN_DAYS_MAX, &days) || days == 0)
		return usage_error("retain", "--days ", days_text, " is not a number of days from 1 to 36500");
	if (batch_text && (!parse_uint(batch_text, 1000000, &batch) || batch == 0))
		return usage_error("retain", "--batch ", batch_text, " is not a number from 1 to 1000000");
	if (!not_a_directory(db_path, "retain", "db"))
		return EA_EXIT_USAGE;
	if (access(db_path, F_OK) != 0) {
		char esc[1024];
		snprintf(errbuf, sizeof errbuf, "%s: no such database", ea_escape(db_path, esc, sizeof esc));
		return fail_exit(EA_ERR_IO, errbuf);
	}
	ea_store *store = NULL;
	ea_retain_result res = {0};
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	ea_status st = ea_store_open(db_path, &store, errbuf, sizeof errbuf);
	if (st == EA_OK)
		st = ea_store_retain(store, (unsigned)days,
				     (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u,
				     (unsigned)batch, &res, errbuf, sizeof errbuf);
	char close_err[512];
	if (ea_store_close(store, close_err, sizeof close_err) != EA_OK && st == EA_OK) {
		st = EA_ERR_DB;
		snprintf(errbuf, sizeof errbuf, "%s", close_err);
	}
	if (st != EA_OK)
		return fail_exit(st, errbuf);
	time_t cut = (time_t)(res.cut_us / 1000000u);
	struct tm tm;
	char when[32];
	gmtime_r(&cut, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("Flows that ended before %s: %llu deleted, their totals kept for %llu run-day%s.\n", when,
	       (unsigned long long)res.flows, (unsigned long long)res.days, res.days == 1 ? "" : "s");
	return EA_EXIT_OK;
}

/* ---- rules and check ------------------------------------------------ */

static void format_roles(const ea_matrix *m, const uint8_t *roles, unsigned n, char *out, size_t outlen)
{
	size_t used = (size_t)snprintf(out, outlen, "%s", n ? "" : "any");
	for (unsigned i = 0; i < n && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? "," : "", m->roles[roles[i]].name);
}

/* The columns of 'rules'; the widths follow the widest cell (a row whose
 * side names several roles, the document's Chinese cell counted in
 * terminal columns), so every row lines up. */
enum { COL_ID, COL_IFACE, COL_TABLE, COL_PROTO, COL_PORT, COL_DOC, COL_SIDES, COL_ACCEPTED, N_COLS };
#define RULES_CELL 512

static void rule_cells(const ea_matrix *m, const ea_rule *r, char cells[N_COLS][RULES_CELL])
{
	char src[200], dst[200], tmp[RULES_CELL];
	snprintf(cells[COL_ID], RULES_CELL, "%s", r->id);
	snprintf(cells[COL_IFACE], RULES_CELL, "%s", ea_iface_name(r->iface));
	snprintf(cells[COL_TABLE], RULES_CELL, "%s", r->table);
	snprintf(cells[COL_PROTO], RULES_CELL, "%s", ea_transport_name(r->transport));
	if (r->port_lo == r->port_hi)
		snprintf(cells[COL_PORT], RULES_CELL, "%u", r->port_lo);
	else
		snprintf(cells[COL_PORT], RULES_CELL, "%u-%u", r->port_lo, r->port_hi);
	snprintf(cells[COL_DOC], RULES_CELL, "%s", ea_doc_text(r->text, tmp, sizeof tmp));
	format_roles(m, r->src_roles, r->n_src, src, sizeof src);
	format_roles(m, r->dst_roles, r->n_dst, dst, sizeof dst);
	snprintf(cells[COL_SIDES], RULES_CELL, "%s -> %s", src, dst);
	size_t used = 0;
	cells[COL_ACCEPTED][0] = '\0';
	if (r->n_protocols == 0)
		snprintf(cells[COL_ACCEPTED], RULES_CELL, "any"); /* a local deny of every protocol */
	for (unsigned k = 0; k < r->n_protocols && used < RULES_CELL; k++)
		used += (size_t)snprintf(cells[COL_ACCEPTED] + used, RULES_CELL - used, "%s%s", k ? "," : "",
					 r->protocols[k]);
}

static void print_cells(char cells[N_COLS][RULES_CELL], const size_t *width)
{
	for (int c = 0; c < N_COLS; c++) {
		if (c == N_COLS - 1)
			fputs(cells[c], stdout);
		else
			ea_fput_padded(cells[c], width[c] + 2, stdout);
	}
	fputc('\n', stdout);
}

static int cmd_rules(int argc, char **argv)
{
	static const struct option opts[] = {
		{"matrix", required_argument, 0, 'm'}, {"help", no_argument, 0, 'h'},
		{"local", required_argument, 0, 'l'}, {0, 0, 0, 0}};
	const char *matrix_path = NULL, *local_path = NULL;
	char matrix_found[4096];
	bool given_matrix = false, given_local = false;
	int opt, rc = EA_EXIT_OK;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (!set_once(&matrix_path, &given_matrix, optarg, "rules", "matrix"))
				return EA_EXIT_USAGE;
			break;
		case 'l':
			if (!set_once(&local_path, &given_local, optarg, "rules", "local"))
				return EA_EXIT_USAGE;
			break;
		case 'h': fputs(usage_rules, stdout); return EA_EXIT_OK;
		default: return bad_option("rules", argv);
		}
	}
	if (optind < argc)
		return usage_error("rules", "unexpected argument ", argv[optind], "");
	if (!matrix_path && (rc = find_data_file(MATRIX_FILE, matrix_found, sizeof matrix_found)) != 0)
		return rc;
	matrix_path = matrix_path ? matrix_path : matrix_found;
	if (!not_a_directory(matrix_path, "rules", "matrix") ||
	    (local_path && !not_a_directory(local_path, "rules", "local")))
		return EA_EXIT_USAGE;
	char *errbuf = calloc(1, ERRBUF_SIZE);
	if (!errbuf)
		return EA_EXIT_RUNTIME;
	/* The matrix alone: no signatures or site file to check it against. */
	const ea_ruleset *ruleset = NULL;
	ea_ruleset_paths rpaths = {.matrix = matrix_path, .local = local_path};
	ea_status st = ea_ruleset_load(&rpaths, NULL, &ruleset, errbuf, ERRBUF_SIZE);
	if (st != EA_OK) {
		rc = fail_exit(st, errbuf);
		free(errbuf);
		return rc;
	}
	const ea_matrix *m = ea_ruleset_matrix(ruleset);
	char(*cells)[N_COLS][RULES_CELL] = calloc(m->n_rules + 1, sizeof *cells);
	if (!cells) {
		ea_ruleset_unref(ruleset);
		free(errbuf);
		return fail_exit(EA_ERR_NOMEM, "out of memory");
	}
	static const char *const heads[N_COLS] = {"ID", "IFACE", "TABLE", "PROTO", "PORT", "DOCUMENT",
						  "SOURCE -> DESTINATION", "ACCEPTED PROTOCOLS"};
	size_t width[N_COLS] = {0};
	for (int c = 0; c < N_COLS; c++)
		snprintf(cells[0][c], RULES_CELL, "%s", heads[c]);
	for (unsigned i = 0; i < m->n_rules; i++)
		rule_cells(m, &m->rules[i], cells[i + 1]);
	for (unsigned i = 0; i <= m->n_rules; i++)
		for (int c = 0; c < N_COLS; c++) {
			size_t w = ea_text_columns(cells[i][c]);
			if (w > width[c])
				width[c] = w;
		}
	print_cells(cells[0], width);
	/* Under each row the document's note: the English rendering and the
	 * original (Traditional Chinese) as the document has it. */
	char note[RULES_CELL * 4];
	for (unsigned i = 0; i < m->n_rules; i++) {
		const ea_rule *r = &m->rules[i];
		if (i == m->n_vendor_rules) {
			/* The site's rows apart, so the vendor's stay recognisable. */
			char el[512];
			printf("\nlocal rules (%s):\n", ea_escape(local_path, el, sizeof el));
			print_cells(cells[0], width);
		}
		print_cells(cells[i + 1], width);
		if (r->origin == EA_ORIGIN_LOCAL)
			printf("%*saction: %s\n", (int)width[COL_ID] + 2, "", ea_action_name(r->action));
		if (r->features) {
			char feats[256];
			printf("%*sfeature: %s\n", (int)width[COL_ID] + 2, "",
			       ea_features_text(r->features, feats, sizeof feats));
		}
		if (r->note_en)
			printf("%*snote: %s\n", (int)width[COL_ID] + 2, "", ea_doc_text(r->note_en, note, sizeof note));
		if (r->note_zh)
			printf("%*soriginal: %s\n", (int)width[COL_ID] + 2, "",
			       ea_doc_text(r->note_zh, note, sizeof note));
	}
	if (m->n_rules > m->n_vendor_rules)
		printf("%u rules (%u local), %u roles (%u local)\n", m->n_rules, m->n_rules - m->n_vendor_rules,
		       m->n_roles, m->n_roles - m->n_vendor_roles);
	else
		printf("%u rules, %u roles\n", m->n_rules, m->n_roles);
	free(cells);
	ea_ruleset_unref(ruleset);
	free(errbuf);
	return rc;
}

/* What check says of the site's policy besides "OK": the local rules, the
 * features the profile turns off and the rows they close. */
static void print_policy(const ea_ruleset *rs)
{
	const ea_matrix *m = ea_ruleset_matrix(rs);
	const ea_site *site = ea_ruleset_site(rs);
	const ea_ruleset_file_info *lf = ea_ruleset_file_get(rs, EA_RULESET_LOCAL);
	char buf[512];
	if (lf->path) {
		unsigned deny = 0;
		for (unsigned i = m->n_vendor_rules; i < m->n_rules; i++)
			deny += m->rules[i].action == EA_ACTION_DENY;
		printf("local rules: %u in %s (%u allow, %u deny)\n", m->n_rules - m->n_vendor_rules,
		       ea_escape(lf->path, buf, sizeof buf), m->n_rules - m->n_vendor_rules - deny, deny);
	}
	if (!site || !site->off) {
		printf("deployment: every feature offered; no row closed\n");
		return;
	}
	printf("deployment: not offered: %s\n", ea_features_text(site->off, buf, sizeof buf));
	/* OCS 2007 federation is part of SIP federation: a "yes" that the
	 * other "no" overrides is a contradiction the site should see. */
	if ((site->off & (1u << EA_FEATURE_SIP_FEDERATION)) && site->feature_line[EA_FEATURE_OCS2007_FEDERATION] &&
	    !(site->off & (1u << EA_FEATURE_OCS2007_FEDERATION))) {
		const ea_ruleset_file_info *sf = ea_ruleset_file_get(rs, EA_RULESET_SITE);
		fprintf(stderr, "warning: %s:%u: ocs2007_federation = yes has no effect: sip_federation = no"
			" (at line %u) closes OCS 2007 federation too\n",
			ea_escape(sf->path ? sf->path : "site file", buf, sizeof buf),
			site->feature_line[EA_FEATURE_OCS2007_FEDERATION],
			site->feature_line[EA_FEATURE_SIP_FEDERATION]);
	}
	printf("closed by profile:");
	unsigned n = 0;
	for (unsigned i = 0; i < m->n_rules; i++)
		if (m->rules[i].closed_by)
			printf("%s%s", n++ ? ", " : " ", m->rules[i].id);
	printf("%s\n", n ? "" : " none");
}

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"site", required_argument, 0, 's'}, {"matrix", required_argument, 0, 'm'},
		{"ports", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'},
		{"local", required_argument, 0, 'l'}, {0, 0, 0, 0}};
	const char *site_path = NULL, *matrix_path = NULL, *ports_path = NULL, *local_path = NULL;
	bool given_local = false;
	char matrix_found[4096], ports_found[4096];
	bool given_site = false, given_matrix = false, given_ports = false, once = true;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': once = set_once(&site_path, &given_site, optarg, "check", "site"); break;
		case 'm': once = set_once(&matrix_path, &given_matrix, optarg, "check", "matrix"); break;
		case 'p': once = set_once(&ports_path, &given_ports, optarg, "check", "ports"); break;
		case 'l': once = set_once(&local_path, &given_local, optarg, "check", "local"); break;
		case 'h': fputs(usage_check, stdout); return EA_EXIT_OK;
		default: return bad_option("check", argv);
		}
		if (!once)
			return EA_EXIT_USAGE;
	}
	if (optind < argc)
		return usage_error("check", "unexpected argument ", argv[optind], "");
	if (!site_path) {
		fprintf(stderr, "edgeaudit check: --site is required\n");
		try_help("check");
		return EA_EXIT_USAGE;
	}
	int found;
	if ((!matrix_path && (found = find_data_file(MATRIX_FILE, matrix_found, sizeof matrix_found)) != 0) ||
	    (!ports_path && (found = find_data_file(PORTS_FILE, ports_found, sizeof ports_found)) != 0))
		return found;
	matrix_path = matrix_path ? matrix_path : matrix_found;
	ports_path = ports_path ? ports_path : ports_found;
	char *errbuf = calloc(1, ERRBUF_SIZE);
	const ea_ruleset *ruleset = NULL;
	int rc;
	if (!errbuf)
		return EA_EXIT_RUNTIME;
	ea_ruleset_paths rpaths = {.matrix = matrix_path, .portsigs = ports_path, .site = site_path,
				   .local = local_path};
	ea_status st = ea_ruleset_load(&rpaths, NULL, &ruleset, errbuf, ERRBUF_SIZE);
	if (st != EA_OK) {
		rc = fail_exit(st, errbuf);
	} else {
		const ea_matrix *m = ea_ruleset_matrix(ruleset);
		const ea_site *site = ea_ruleset_site(ruleset);
		unsigned set = 0;
		for (unsigned i = 0; i < site->n_roles; i++)
			set += site->roles[i].set;
		char em[512], es[512], ep[512];
		/* The matrix file's own counts; the local file's follow apart
		 * (print_policy), so neither is credited with the other's. */
		printf("OK: %s: %u rules, %u roles", ea_escape(matrix_path, em, sizeof em), m->n_vendor_rules,
		       m->n_vendor_roles);
		if (m->n_rules != m->n_vendor_rules || m->n_roles != m->n_vendor_roles)
			printf(" (+ %u local rules, %u local roles)", m->n_rules - m->n_vendor_rules,
			       m->n_roles - m->n_vendor_roles);
		printf(" (%u set in %s), %u port signatures in %s\n", set, ea_escape(site_path, es, sizeof es),
		       ea_ruleset_portsigs(ruleset)->n, ea_escape(ports_path, ep, sizeof ep));
		if (site->nat.set)
			printf("NAT: %u inside addresses or prefixes, %u mappings (README, \"The NAT requirement\")\n",
			       site->nat.n_inside, site->nat.n_maps);
		print_policy(ruleset);
		rc = EA_EXIT_OK;
	}
	ea_ruleset_unref(ruleset);
	free(errbuf);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EA_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return EA_EXIT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		printf("edgeaudit %s (nDPI %s)\n", EA_VERSION, ea_classifier_ndpi_version());
		return EA_EXIT_OK;
	}
	/* Messages to stderr; a line about a capture or the database can
	 * repeat, but an offline run says each once (no rate limit keys). */
	ea_log_options log_opt = {.stream = stderr, .prefix = "edgeaudit", .max_level = EA_LOG_INFO};
	char log_err[128];
	if (ea_log_new(&log_opt, &program_log, log_err, sizeof log_err) != EA_OK)
		program_log = NULL; /* log_line() writes to stderr itself */
	int rc;
	/* Each command parses its own options, argv[0] being the command. */
	if (!strcmp(cmd, "read"))
		rc = cmd_read(argc - 1, argv + 1);
	else if (!strcmp(cmd, "monitor"))
		rc = ea_cmd_monitor(argc - 1, argv + 1, program_log, EA_VERSION);
	else if (!strcmp(cmd, "report"))
		rc = cmd_report(argc - 1, argv + 1);
	else if (!strcmp(cmd, "rules"))
		rc = cmd_rules(argc - 1, argv + 1);
	else if (!strcmp(cmd, "check"))
		rc = cmd_check(argc - 1, argv + 1);
	else if (!strcmp(cmd, "retain"))
		rc = cmd_retain(argc - 1, argv + 1);
	else if (!strcmp(cmd, "evidence"))
		rc = ea_cmd_evidence(argc - 1, argv + 1);
	else {
		usage_error("", "unknown command ", cmd, "\n");
		fputs(usage_main, stderr);
		rc = EA_EXIT_USAGE;
	}
	ea_log_free(program_log);
	return rc;
}
