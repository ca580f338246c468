/* report.c — the plain-text compliance report.
 *
 * Reads the database only through ea_store_query. The output is meant to
 * be diffed and kept with an audit: every query has an explicit ORDER BY
 * with a total order, no wall-clock time or absolute path is printed
 * (only the captures' own timestamps and file base names), and every
 * string from the database goes through the escaper, because host names
 * and protocol strings came off the wire and must not be able to forge a
 * report line or a terminal escape. The one exception is the matrix's
 * document cells, printed as written when they are clean UTF-8 (see
 * put_doc), so the Chinese of the vendor's document stays readable.
 * Pipeline position: store → [report]. */
#include "report/report.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/ea_limits.h"
#include "util/escape.h"
#include "decode/icmp.h"
#include "util/ipproto.h"
#include "rules/match.h"
#include "util/pathname.h"
#include "rules/textparse.h"

/* A run finished: every capture read to its end (complete), or some
 * unreadable or undecodable (partial); its flows are all it will have. */
#define FINISHED(status) "(" status " = 'complete' OR " status " LIKE 'partial%')"


/* The runs the default report counts: live runs, and finished runs of
 * capture files, each capture once.
 * A live run counts whatever its status — running now, stopped, or its
 * sensor killed: what it stored is the only record of traffic that can
 * never be read again, and no other run can hold the same frames.
 * A capture read again (with --force) by a later finished run belongs to
 * the later one — when that run read it whole or through the same BPF
 * filter (a read through another filter holds other flows) — so a run
 * all of whose captures were read again is superseded. Runs of files
 * still running, interrupted or failed never count: their flows are a
 * part of what their captures hold, and the captures can be read again.
 * A finished run none of whose captures could be read still counts (it
 * has no flows, but its anomalies and errors are facts). */
#define COUNTED_RUNS                                                                   \
	"SELECT cr.id FROM runs cr WHERE cr.live = 1 OR (" FINISHED("cr.status")  \
	" AND (NOT EXISTS (SELECT 1 FROM inputs ci WHERE ci.run_id = cr.id AND ci.error IS NULL)" \
	"  OR EXISTS (SELECT 1 FROM inputs ci WHERE ci.run_id = cr.id AND ci.error IS NULL" \
	"   AND NOT EXISTS (SELECT 1 FROM inputs cj JOIN runs cs ON cs.id = cj.run_id"    \
	"    WHERE cj.sha256 = ci.sha256 AND cj.run_id > cr.id AND cj.error IS NULL"       \
	"    AND " FINISHED("cs.status")                                                   \
	"    AND (cs.filter IS NULL OR cs.filter IS cr.filter)))))"

/* The run scope: parameter ?1 is the run id, "0" for the counted runs.
 * Text parameters must be cast: '0' = 0 is false in SQLite. The subquery
 * does not depend on the row, so SQLite evaluates it once per query. */
#define IN_SCOPE(col)                                                                  \
	"(" col " IN (SELECT id FROM runs WHERE CASE WHEN CAST(?1 AS INTEGER) <> 0"     \
	" THEN id = CAST(?1 AS INTEGER) ELSE id IN (" COUNTED_RUNS ") END))"

/* Microseconds → "YYYY-MM-DDTHH:MM:SS.ffffffZ", as in the flow_verdicts
 * view; NULL stays NULL. */
#define ISO(x)                                                                 \
	"(strftime('%Y-%m-%dT%H:%M:%S', (" x ") / 1000000, 'unixepoch') || '.' || " \
	"substr('000000' || ((" x ") % 1000000), -6) || 'Z')"

/* Widest cell we print; longer values are cut with "..." (the full value
 * is in the database). */
#define CELL_MAX 256

typedef struct {
	ea_store *st;
	FILE *out;
	const ea_report_options *opt;
	char run[24];         /* ?1: the run scope as text */
	unsigned rows;        /* rows seen by the current query */
} report;

/* ---- escaping (escape.h) ---------------------------------------------- */

static const char *escape(const char *s, char *buf, size_t size)
{
	return ea_escape(s, buf, size);
}

/* A left- or right-aligned, escaped cell; NULL prints as dflt. */
static void cell(FILE *out, const char *s, int width, const char *dflt)
{
	char buf[CELL_MAX];
	fprintf(out, "%*s", width, escape(s ? s : dflt, buf, sizeof buf));
}

static void put(FILE *out, const char *s)
{
	ea_fputs_escaped(s ? s : "", out);
}

/* Text from our own data files (the matrix's document cells are
 * Traditional Chinese): as written when clean UTF-8, else escaped. */
static void put_doc(FILE *out, const char *s)
{
	if (s && ea_utf8_printable(s))
		fputs(s, out);
	else
		ea_fputs_escaped(s ? s : "", out);
}

static uint64_t num(const char *s)
{
	if (!s)
		return 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	return end != s ? (uint64_t)v : 0;
}

/* "tcp/443", "udp/50000-59999": how the rows name a service. Rows are
 * TCP or UDP; anything else prints as its protocol number. */
static void service(FILE *out, const char *transport, const char *lo, const char *hi, int width)
{
	const char *name = transport ? transport : "?";
	char *end = NULL;
	unsigned long number = transport ? strtoul(transport, &end, 10) : 0;
	if (transport && end != transport && *end == '\0' &&
	    (number == EA_IPPROTO_TCP || number == EA_IPPROTO_UDP))
		name = ea_transport_name((uint8_t)number);
	char esc_name[32], esc_lo[16], esc_hi[16], buf[80];
	escape(name, esc_name, sizeof esc_name);
	escape(lo ? lo : "?", esc_lo, sizeof esc_lo);
	escape(hi ? hi : "?", esc_hi, sizeof esc_hi);
	if (!hi || (lo && strcmp(lo, hi) == 0))
		snprintf(buf, sizeof buf, "%s/%s", esc_name, esc_lo);
	else
		snprintf(buf, sizeof buf, "%s/%s-%s", esc_name, esc_lo, esc_hi);
	fprintf(out, "%-*s", width, buf);
}

static ea_status query(report *r, const char *sql, const char *const *params, int n,
		       ea_store_row_fn fn, void *ctx, char *errbuf, size_t errlen)
{
	r->rows = 0;
	return ea_store_query(r->st, sql, params, n, fn, ctx, errbuf, errlen);
}

static void heading(FILE *out, const char *title)
{
	fprintf(out, "\n%s\n", title);
	for (size_t i = 0; title[i]; i++)
		fputc('-', out);
	fputc('\n', out);
}

/* ---- 1. runs and inputs ------------------------------------------------ */

static int first_int_row(void *ctx, int ncols, const char *const *cols)
{
	int64_t *v = ctx;
	*v = ncols > 0 && cols[0] ? (int64_t)num(cols[0]) : 0;
	return 1;
}

/* A SHA-256 shortened to its first 12 hex digits: enough to tell files apart in a report. */
static void put_short_hash(FILE *out, const char *hash)
{
	char sha[13];
	snprintf(sha, sizeof sha, "%s", hash ? hash : "");
	put(out, sha);
}

/* A run's status; for a run still marked running, whether its writer is
 * alive (the report never changes the database: a run whose writer is
 * gone is marked interrupted by the next read). */
static void put_status(report *r, const char *id, const char *status)
{
	put(r->out, status);
	if (!status || strcmp(status, "running") != 0)
		return;
	ea_writer_state w = EA_WRITER_UNKNOWN;
	if (r->opt->run_writer)
		w = r->opt->run_writer(r->opt->writer_ctx, (int64_t)num(id));
	if (w == EA_WRITER_ALIVE)
		fputs(" (being written now)", r->out);
	else if (w == EA_WRITER_GONE)
		fputs(" (but its process has ended: interrupted)", r->out);
	else
		fputs(" (cannot tell whether its process is still alive)", r->out);
}

static int run_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	FILE *out = r->out;
	r->rows++;
	fprintf(out, "Run %s: ", c[0]);
	put_status(r, c[0], c[1]);
	fputc('\n', out);
	fputs("  tool     edgeaudit ", out);
	put(out, c[2]);
	fputs(", nDPI ", out);
	put(out, c[3] ? c[3] : "?");
	fputc('\n', out);
	static const char *const label[] = {"matrix", "ports", "site"};
	for (int i = 0; i < 3; i++) {
		const char *path = c[4 + 2 * i], *hash = c[5 + 2 * i];
		fprintf(out, "  %-8s ", label[i]);
		put(out, path ? ea_base_name(path) : "-");
		if (hash) {
			fputs("  sha256 ", out);
			put_short_hash(out, hash);
		}
		fputc('\n', out);
	}
	if (c[17]) {
		/* The site's own rules judged with the matrix (--local). */
		fputs("  local    ", out);
		put(out, ea_base_name(c[17]));
		if (c[18]) {
			fputs("  sha256 ", out);
			put_short_hash(out, c[18]);
		}
		fputc('\n', out);
	}
	if (c[14]) {
		fputs("  filter   ", out);
		put(out, c[14]);
		fputs("  (only frames matching it were audited)\n", out);
	}
	if (c[1] && strcmp(c[1], "running") == 0) {
		/* The run's counters are written when it ends: until then
		 * what its flows' rows hold is what is known (an open flow at
		 * its last active-timeout update). */
		fputs("  totals   running: ", out);
		put(out, c[15]);
		fputs(num(c[15]) == 1 ? " flow stored so far, " : " flows stored so far, ", out);
		put(out, c[16]);
		fputs(" packets in them (the run's own counters are written when it ends)\n", out);
		return 0;
	}
	fprintf(out, "  totals   ");
	put(out, c[10]);
	fputs(" packets, ", out);
	put(out, c[11]);
	fputs(" decoded, ", out);
	put(out, c[12]);
	fputs(" flows, ", out);
	put(out, c[13]);
	fputs(" evicted\n", out);
	return 0;
}

static int input_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	FILE *out = r->out;
	r->rows++;
	fputs("  ", out);
	cell(out, c[0], 4, "?");
	fputs("  ", out);
	cell(out, c[1], -9, "?");
	fputc(' ', out);
	cell(out, c[2], -28, "?");
	fputc(' ', out);
	cell(out, c[3], 10, "0");
	fputc(' ', out);
	cell(out, c[4], 13, "0");
	fputs("  ", out);
	put_short_hash(out, c[5]);
	if (c[6]) {
		fputs("  ", out);
		put(out, c[6]);
		fputs(" .. ", out);
		put(out, c[7]);
	}
	if (c[8] && strcmp(c[8], "1") == 0)
		fputs("  [truncated]", out);
	if (c[9]) {
		/* The reader's message names the file by the path it was
		 * given; the report names it by its base name only. */
		const char *err = c[9], *at = c[10] && *c[10] ? strstr(err, c[10]) : NULL;
		fputs("  [stopped: ", out);
		if (at) {
			char *head = strndup(err, (size_t)(at - err));
			put(out, head ? head : "");
			free(head);
			put(out, c[2]);
			put(out, at + strlen(c[10]));
		} else {
			put(out, err);
		}
		fputc(']', out);
	}
	if (c[11] && num(c[11]) > 0) {
		fputs("  [", out);
		put(out, c[11]);
		fputs(" SPAN duplicates suppressed]", out);
	}
	fputc('\n', out);
	return 0;
}

/* A capture read more than once in the scope (--force): its flows are
 * in the totals more than once. */
static int twice_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	fputs("  warning: ", r->out);
	put(r->out, c[0]);
	fputs(" was read ", r->out);
	put(r->out, c[2]);
	fputs(c[1] && strchr(c[1], ',') ? " times (in runs " : " times (in run ", r->out);
	put(r->out, c[1]);
	fputs("): its flows are counted that many times; use --run to see one run\n", r->out);
	return 0;
}

static ea_status section_runs(report *r, char *errbuf, size_t errlen)
{
	const char *p[] = {r->run};
	ea_status e = query(r,
		"SELECT id, status, tool_version, ndpi_version, matrix_path, matrix_sha256,"
		" portsig_path, portsig_sha256, site_path, site_sha256, packets, decoded,"
		" flows, evicted, filter,"
		" CASE WHEN status = 'running' THEN (SELECT COUNT(*) FROM flows WHERE run_id = runs.id) END,"
		" CASE WHEN status = 'running' THEN (SELECT COALESCE(SUM(pkts_out + pkts_in), 0) FROM flows"
		"  WHERE run_id = runs.id) END,"
		" local_path, local_sha256"
		" FROM runs WHERE " IN_SCOPE("id") " ORDER BY id",
		p, 1, run_row, r, errbuf, errlen);
	if (e != EA_OK)
		return e;

	heading(r->out, "Inputs");
	fprintf(r->out, "  %4s  %-9s %-28s %10s %13s  %-12s  %s\n", "run", "iface", "file",
		"packets", "bytes", "sha256", "capture time (UTC)");
	e = query(r,
		"SELECT run_id, iface, file_name, packets, bytes, sha256, " ISO("first_seen")
		", " ISO("last_seen") ", truncated, error, path, duplicates"
		" FROM inputs WHERE " IN_SCOPE("run_id") " ORDER BY run_id, id",
		p, 1, input_row, r, errbuf, errlen);
	if (e == EA_OK && r->rows == 0)
		fputs("  (none)\n", r->out);
	if (e == EA_OK)
		e = query(r,
			"SELECT MIN(file_name), group_concat(DISTINCT run_id), COUNT(*) FROM"
			" (SELECT file_name, run_id, sha256, id FROM inputs"
			"  WHERE error IS NULL AND " IN_SCOPE("run_id") " ORDER BY id)"
			" GROUP BY sha256 HAVING COUNT(*) > 1 ORDER BY MIN(id)",
			p, 1, twice_row, r, errbuf, errlen);
	return e;
}

/* Runs left out of the default scope, with what they hold. */
static int not_counted_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	FILE *out = r->out;
	r->rows++;
	fputs("  run ", out);
	put(out, c[0]);
	fputs(": ", out);
	if (c[4] && strcmp(c[4], "1") == 0)
		fputs("superseded (every capture it read was read again by a later run)", out);
	else
		put_status(r, c[0], c[1]);
	fputs("\n    ", out);
	put(out, c[2]);
	fputs(num(c[2]) == 1 ? " flow stored" : " flows stored", out);
	if (c[3]) {
		fputs("; captures: ", out);
		put(out, c[3]);
	}
	fputc('\n', out);
	return 0;
}

static ea_status section_not_counted(report *r, char *errbuf, size_t errlen)
{
	heading(r->out, "Runs not counted (incomplete or superseded)");
	ea_status e = query(r,
		"SELECT r.id, r.status, (SELECT COUNT(*) FROM flows f WHERE f.run_id = r.id),"
		" (SELECT group_concat(file_name, ', ') FROM (SELECT file_name FROM inputs i"
		"  WHERE i.run_id = r.id ORDER BY i.id)), " FINISHED("r.status")
		" FROM runs r WHERE r.id NOT IN (" COUNTED_RUNS ") ORDER BY r.id",
		NULL, 0, not_counted_row, r, errbuf, errlen);
	if (e == EA_OK && r->rows == 0)
		fputs("  (none)\n", r->out);
	return e;
}

/* ---- 1b. capture loss --------------------------------------------------- */

/* One line per run and interface that lost something: the period from
 * the first to the last interval with a loss, and what was lost. */
static int loss_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	FILE *out = r->out;
	if (r->rows++ == 0)
		heading(out, "Capture loss: this audit did not see all the traffic");
	fputs("  run ", out);
	put(out, c[0]);
	fputs(", ", out);
	put(out, c[1]);
	fputs(" interface: between ", out);
	put(out, c[2]);
	fputs(" and ", out);
	put(out, c[3]);
	const char *sep = ": ";
	if (c[4]) { /* a live capture: the kernel's figures */
		fputs(": lost ", out);
		put(out, c[5]);
		fputs(" of ", out);
		put(out, c[4]);
		fputs(" packets (kernel: capture ring full)", out);
		sep = ", ";
		if (num(c[6]) > 0) {
			fputs(", ", out);
			put(out, c[6]);
			fputs(" dropped by the interface", out);
		}
	}
	if (num(c[7]) > 0) {
		fputs(sep, out);
		put(out, c[7]);
		fputs(" flow records dropped (database writer queue full)", out);
		sep = ", ";
	}
	if (num(c[10]) > 0) {
		fputs(sep, out);
		put(out, c[10]);
		fputs(" flow records refused by the database (dropped, the others written)", out);
		sep = ", ";
	}
	if (num(c[11]) > 0) {
		fputs(sep, out);
		put(out, c[11]);
		fputs(" flow records not sent to the EVE file or syslog (output queue full)", out);
		sep = ", ";
	}
	if (num(c[12]) > 0) {
		fputs(sep, out);
		put(out, c[13]);
		fputs(" flows (", out);
		put(out, c[12]);
		fputs(" flow records) not written at stop (the database could not be written)", out);
		sep = ", ";
	}
	if (num(c[8]) > 0) {
		fputs(sep, out);
		put(out, c[8]);
		fputs(num(c[8]) == 1 ? " flow evicted" : " flows evicted", out);
		fputs(" (flow table full: stored in pieces)", out);
	}
	fputs(" (", out);
	put(out, c[9]);
	fputs(num(c[9]) == 1 ? " interval with loss)\n" : " intervals with loss)\n", out);
	return 0;
}

static ea_status section_loss(report *r, char *errbuf, size_t errlen)
{
	const char *p[] = {r->run};
	return query(r,
		"SELECT run_id, iface, " ISO("MIN(start_us)") ", " ISO("MAX(end_us)") ","
		" SUM(kernel_received), SUM(kernel_dropped), SUM(if_dropped), SUM(queue_dropped),"
		" SUM(evicted), COUNT(*), SUM(refused), SUM(output_dropped),"
		" SUM(stop_lost_records), SUM(stop_lost_flows) FROM capture_stats WHERE " IN_SCOPE("run_id")
		" AND COALESCE(kernel_dropped, 0) + COALESCE(if_dropped, 0) + queue_dropped + evicted + refused"
		" + output_dropped + stop_lost_records > 0"
		" GROUP BY run_id, iface ORDER BY run_id, iface",
		p, 1, loss_row, r, errbuf, errlen);
}

/* ---- 2. totals per verdict --------------------------------------------- */

typedef struct {
	uint64_t flows[EA_VERDICT_COUNT], packets[EA_VERDICT_COUNT], bytes[EA_VERDICT_COUNT];
} verdict_totals;

static int verdict_row(void *ctx, int ncols, const char *const *c)
{
	verdict_totals *t = ctx;
	for (int v = 0; v < EA_VERDICT_COUNT; v++) {
		if (c[0] && strcmp(c[0], ea_verdict_name((ea_verdict)v)) == 0) {
			t->flows[v] = num(c[1]);
			t->packets[v] = num(c[2]);
			t->bytes[v] = num(c[3]);
		}
	}
	return 0;
}

/* The first row's columns as numbers, at most n of them. */
typedef struct {
	uint64_t *v;
	int n;
} numbers;

static int numbers_row(void *ctx, int ncols, const char *const *c)
{
	numbers *nb = ctx;
	for (int i = 0; i < ncols && i < nb->n; i++)
		nb->v[i] = num(c[i]);
	return 1;
}

static ea_status section_totals(report *r, char *errbuf, size_t errlen)
{
	const char *p[] = {r->run};
	verdict_totals t;
	memset(&t, 0, sizeof t);
	/* Rolled-up days (retention) count with the stored flows. */
	ea_status e = query(r,
		"SELECT verdict, SUM(n), SUM(p), SUM(b) FROM"
		" (SELECT verdict, COUNT(*) AS n, SUM(pkts_out + pkts_in) AS p,"
		"  SUM(bytes_out + bytes_in) AS b FROM flows WHERE " IN_SCOPE("run_id")
		"  GROUP BY verdict"
		"  UNION ALL SELECT verdict, SUM(flows), SUM(packets), SUM(bytes) FROM rollup_groups"
		"  WHERE " IN_SCOPE("run_id") " GROUP BY verdict)"
		" GROUP BY verdict ORDER BY verdict",
		p, 1, verdict_row, &t, errbuf, errlen);
	if (e != EA_OK)
		return e;
	uint64_t att[3] = {0, 0, 0};
	e = query(r,
		"SELECT SUM(n), SUM(na), SUM(rj) FROM"
		" (SELECT COUNT(*) AS n, COALESCE(SUM(handshake = 'no-answer'), 0) AS na,"
		"  COALESCE(SUM(handshake = 'rejected'), 0) AS rj"
		"  FROM flows WHERE " IN_SCOPE("run_id") " AND attempt = 1"
		"  UNION ALL SELECT COALESCE(SUM(attempts), 0), COALESCE(SUM(no_answer), 0),"
		"  COALESCE(SUM(rejected), 0) FROM rollup_groups WHERE " IN_SCOPE("run_id") ")",
		p, 1, numbers_row, &(numbers){att, 3}, errbuf, errlen);
	if (e != EA_OK)
		return e;

	FILE *out = r->out;
	heading(out, "Verdicts");
	fprintf(out, "  %-22s %10s %14s %16s\n", "verdict", "flows", "packets", "bytes");
	uint64_t tf = 0, tp = 0, tb = 0;
	for (int v = 0; v < EA_VERDICT_COUNT; v++) {
		fprintf(out, "  %-22s %10" PRIu64 " %14" PRIu64 " %16" PRIu64 "\n",
			ea_verdict_name((ea_verdict)v), t.flows[v], t.packets[v], t.bytes[v]);
		tf += t.flows[v];
		tp += t.packets[v];
		tb += t.bytes[v];
	}
	fprintf(out, "  %-22s %10" PRIu64 " %14" PRIu64 " %16" PRIu64 "\n", "total", tf, tp, tb);
	fprintf(out, "  attempts (TCP without a completed handshake): %" PRIu64
		" (no answer %" PRIu64 ", rejected %" PRIu64 ")\n", att[0], att[1], att[2]);
	return EA_OK;
}

/* ---- 3. documented rows ------------------------------------------------ */

/* Usage per row of the rules run, counted across the scope by rule id
 * (a row keeps its id when the matrix file is edited). A row is used by
 * the flows it allowed: documented and port-only verdicts. The flows are
 * aggregated first, in one pass over the verdict index, then joined to
 * the rows, so that a row without flows still gets its line. */
/* Days that retention rolled up count with the flows still stored: a
 * row used a year ago stays used. Their totals come from rollup_rules,
 * their initiators from rollup_peers, so the distinct count stays exact
 * across stored and rolled-up days. */
static const char rule_usage_sql[] =
	/* Each flow counts for a row by what decided it, under its own
	 * run's rules: allowed by the row (no reason: documented), denied by
	 * it (a local deny rule), or refused because its run's profile closed
	 * the row (rules.closed_by of that run). A row open in one run and
	 * closed in another thus shows its use and its refusals apart. */
	"WITH s AS (SELECT r.rule_id AS rule_id,"
	"  CASE WHEN f.reason IS NULL OR r.action = 'deny' THEN f.initiator_ip END AS ip,"
	"  SUM(f.reason IS NULL OR r.action = 'deny') AS flows,"
	"  SUM(f.reason IS NULL AND f.verdict = 'documented-port-only') AS port_only,"
	"  SUM(CASE WHEN f.reason IS NULL OR r.action = 'deny' THEN f.bytes_out + f.bytes_in END) AS bytes,"
	"  MIN(CASE WHEN f.reason IS NULL OR r.action = 'deny' THEN f.first_us END) AS first_us,"
	"  MAX(CASE WHEN f.reason IS NULL OR r.action = 'deny' THEN f.last_us END) AS last_us,"
	"  SUM(f.reason IS NOT NULL AND r.action <> 'deny' AND r.closed_by IS NOT NULL) AS refused"
	"  FROM flows f JOIN flow_rules fr ON fr.flow_id = f.id"
	"  JOIN rules r ON r.run_id = fr.run_id AND r.ord = fr.ord"
	"  WHERE ((f.reason IS NULL AND f.verdict IN ('documented', 'documented-port-only'))"
	"  OR (f.reason IS NOT NULL AND (r.action = 'deny' OR r.closed_by IS NOT NULL)))"
	"  AND " IN_SCOPE("f.run_id") " GROUP BY r.rule_id, 2"
	"  UNION ALL SELECT rule_id, NULL, SUM(flows), SUM(port_only), SUM(bytes), MIN(first_us),"
	"  MAX(last_us), 0 FROM rollup_rules WHERE " IN_SCOPE("run_id") " GROUP BY rule_id"
	"  UNION ALL SELECT rule_id, ip, 0, 0, 0, NULL, NULL, 0 FROM rollup_peers"
	"  WHERE " IN_SCOPE("run_id") "),"
	" u AS (SELECT rule_id, SUM(flows) AS flows, SUM(port_only) AS port_only,"
	"  SUM(bytes) AS bytes, MIN(first_us) AS first_us, MAX(last_us) AS last_us,"
	"  COUNT(DISTINCT ip) AS initiators, SUM(refused) AS refused FROM s GROUP BY rule_id),"
	/* The rows of the rules run, then those only other runs in scope
	 * loaded (a local rule given to an earlier run only), each as its
	 * latest such run loaded it, so no row's use or denial goes unseen. */
	" lr AS (SELECT *, 0 AS other FROM rules WHERE run_id = CAST(?2 AS INTEGER)"
	"  UNION ALL SELECT o.*, 1 FROM rules o WHERE " IN_SCOPE("o.run_id")
	"  AND o.run_id = (SELECT MAX(x.run_id) FROM rules x WHERE x.rule_id = o.rule_id AND "
	IN_SCOPE("x.run_id") ")"
	"  AND o.rule_id NOT IN (SELECT rule_id FROM rules WHERE run_id = CAST(?2 AS INTEGER)))"
	" SELECT lr.rule_id, lr.iface, lr.transport, lr.port_lo, lr.port_hi,"
	"  COALESCE(u.flows, 0), COALESCE(u.port_only, 0), COALESCE(u.bytes, 0),"
	"  " ISO("u.first_us") ", " ISO("u.last_us") ", COALESCE(u.initiators, 0), lr.text,"
	"  lr.origin, lr.closed_by, lr.action, COALESCE(u.refused, 0),"
	"  CASE WHEN lr.other THEN lr.run_id END"
	" FROM lr LEFT JOIN u ON u.rule_id = lr.rule_id ORDER BY lr.other, lr.run_id, lr.ord";

typedef struct {
	report *r;
	FILE *unused;   /* the "never used" lines, printed after the table */
	unsigned n_unused;
	FILE *unused_local; /* the site's own rules never used, apart */
	unsigned n_unused_local;
	FILE *local;    /* the site's local rules, a table of their own */
	unsigned n_local;
	FILE *closed;   /* the rows the site's profile closes */
	unsigned n_closed;
} rules_ctx;

static void rule_key(FILE *out, const char *const *c)
{
	fputs("  ", out);
	cell(out, c[0], -10, "?");
	fputc(' ', out);
	cell(out, c[1], -9, "?");
	fputc(' ', out);
	service(out, c[2], c[3], c[4], 16);
}

/* A row the rules run did not load (another run in scope did): says
 * whose it is. */
static void rule_from(FILE *out, const char *run)
{
	if (run) {
		fputs("  (rules of run ", out);
		put(out, run);
		fputc(')', out);
	}
}

static int rule_row(void *ctx, int ncols, const char *const *c)
{
	rules_ctx *rc = ctx;
	FILE *out = rc->r->out;
	rc->r->rows++;
	bool local = c[12] && strcmp(c[12], "local") == 0;
	if (c[13]) {
		/* Closed on purpose: listed apart, neither used nor unused nor
		 * a candidate to close; its flows are those the profile refused. */
		rc->r->rows--;
		rc->n_closed++;
		rule_key(rc->closed, c);
		fputs("closed: ", rc->closed);
		put(rc->closed, c[13]);
		fputs(" disabled; flows refused ", rc->closed);
		put(rc->closed, c[15] ? c[15] : "0");
		if (num(c[5]) != 0) {
			/* Open in another run of the scope, and used there. */
			fputs("; flows allowed while open ", rc->closed);
			put(rc->closed, c[5]);
		}
		rule_from(rc->closed, c[16]);
		fputc('\n', rc->closed);
		return 0;
	}
	if (local) {
		out = rc->local;
		rc->n_local++;
	}
	rule_key(out, c);
	cell(out, c[5], 8, "0");
	cell(out, c[6], 10, "0");
	cell(out, c[7], 14, "0");
	cell(out, c[10], 11, "0");
	fputs("  ", out);
	cell(out, c[8], -27, "-");
	fputc(' ', out);
	cell(out, c[9], 0, "-");
	if (local)
		fprintf(out, "  %s", c[14] && strcmp(c[14], "deny") == 0 ? "deny" : "allow");
	if (num(c[15]) != 0) {
		/* Closed by another run's profile: its refusals, apart. */
		fputs("  refused while closed ", out);
		put(out, c[15]);
	}
	rule_from(out, c[16]);
	fputc('\n', out);
	if (num(c[5]) == 0 && !(c[14] && strcmp(c[14], "deny") == 0)) {
		/* The vendor's rows and the site's rules apart: closing a port
		 * the vendor documents and dropping a rule of one's own are
		 * different decisions. */
		FILE *u = local ? rc->unused_local : rc->unused;
		if (local)
			rc->n_unused_local++;
		else
			rc->n_unused++;
		rule_key(u, c);
		put_doc(u, c[11]);
		if (num(c[15]) != 0) {
			fputs(" (refused ", u);
			put(u, c[15]);
			fputs(" while closed by another run's profile)", u);
		}
		fputc('\n', rc->unused);
	}
	return 0;
}

/* The site's policy beside the vendor's rows: its local rules (a group
 * of their own, so an auditor sees at once what the site added) and the
 * rows its deployment profile closes (on purpose, so never listed as
 * unused). Printed only when the run has either. */
static void section_policy(report *r, const rules_ctx *rc, const char *local, const char *closed)
{
	FILE *out = r->out;
	if (rc->n_local) {
		heading(out, "Local rules (the site's own, beside the vendor's)");
		fprintf(out, "  %-10s %-9s %-16s%8s%10s%14s%11s  %-27s %-27s %s\n", "id", "iface", "service",
			"flows", "port-only", "bytes", "initiators", "first seen", "last seen", "action");
		fputs(local, out);
	}
	if (rc->n_closed) {
		heading(out, "Rows closed by profile (features the site does not offer)");
		fputs(closed, out);
	}
}

static ea_status section_rules(report *r, int64_t rules_run, char *errbuf, size_t errlen)
{
	char rr[24];
	snprintf(rr, sizeof rr, "%" PRId64, rules_run);
	const char *p[] = {r->run, rr};
	FILE *out = r->out;
	char *unused = NULL;
	size_t unused_len = 0;
	char *local = NULL, *closed = NULL, *unused_local = NULL;
	size_t local_len = 0, closed_len = 0, unused_local_len = 0;
	rules_ctx rc = {.r = r, .unused = open_memstream(&unused, &unused_len),
			.unused_local = open_memstream(&unused_local, &unused_local_len),
			.local = open_memstream(&local, &local_len), .closed = open_memstream(&closed, &closed_len)};
	if (!rc.unused || !rc.unused_local || !rc.local || !rc.closed) {
		if (rc.unused)
			fclose(rc.unused);
		if (rc.unused_local)
			fclose(rc.unused_local);
		if (rc.local)
			fclose(rc.local);
		if (rc.closed)
			fclose(rc.closed);
		free(unused);
		free(unused_local);
		free(local);
		free(closed);
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	}

	heading(out, "Documented rows (document order)");
	fprintf(out, "  rows as loaded by run %" PRId64 "\n", rules_run);
	fprintf(out, "  %-10s %-9s %-16s%8s%10s%14s%11s  %-27s %s\n", "id", "iface", "service",
		"flows", "port-only", "bytes", "initiators", "first seen", "last seen");
	ea_status e = query(r, rule_usage_sql, p, 2, rule_row, &rc, errbuf, errlen);
	bool mem_ok = fclose(rc.unused) == 0;
	mem_ok &= fclose(rc.unused_local) == 0;
	mem_ok &= fclose(rc.local) == 0;
	mem_ok &= fclose(rc.closed) == 0;
	if (e == EA_OK && !mem_ok)
		e = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	if (e == EA_OK) {
		if (r->rows == 0)
			fputs("  (no rows recorded for this run)\n", out);
		section_policy(r, &rc, local, closed);
		heading(out, "Rows never used (candidates to close)");
		if (rc.n_unused)
			fputs(unused, out);
		else
			fputs("  (none: every row carried traffic)\n", out);
		if (rc.n_unused_local) {
			heading(out, "Local rules never used (the site's own: candidates to drop)");
			fputs(unused_local, out);
		}
	}
	free(unused);
	free(unused_local);
	free(local);
	free(closed);
	return e;
}

/* ---- 4. findings ------------------------------------------------------- */

/* Groups by (iface, transport, responder port, protocol — marked when only
 * the port names it) with their top
 * talkers, in one pass: talker pairs are aggregated once, and window
 * functions give each pair its rank and its group's totals. The first
 * pair of every group is kept even when top_n is 0, since it carries the
 * group's line; ranks follow a total order, so ties print the same way
 * every time. Only the view columns needed are named, so its per-row
 * rule list is never computed. */
static const char findings_sql[] =
	"WITH d AS (SELECT iface, transport_name AS transport, responder_port,"
	"  app_protocol || CASE WHEN proto_source = 'port'"
	"   THEN ' (by port, not confirmed)' ELSE '' END"
	"   || COALESCE(' [' || reason || ']', '') AS protocol,"
	"  initiator_ip, responder_ip, bytes, attempt, server_name,"
	/* ICMP: the initiator's "port" is the message type (icmp.h). */
	"  CASE WHEN transport_name IN ('icmp', 'icmpv6') THEN initiator_port END AS icmp_type"
	"  FROM flow_details WHERE verdict = ?2 AND " IN_SCOPE("run_id") "),"
	" t AS (SELECT iface, transport, responder_port, icmp_type, protocol, initiator_ip,"
	"  responder_ip, COUNT(*) AS n, SUM(bytes) AS bytes, SUM(attempt) AS attempts,"
	"  MIN(NULLIF(server_name, '')) AS name, MAX(NULLIF(server_name, '')) AS name_hi"
	"  FROM d GROUP BY iface, transport, responder_port, icmp_type, protocol, initiator_ip,"
	"  responder_ip),"
	" w AS (SELECT *, ROW_NUMBER() OVER g AS rk, SUM(n) OVER g AS g_flows,"
	"  SUM(bytes) OVER g AS g_bytes, SUM(attempts) OVER g AS g_attempts FROM t"
	"  WINDOW g AS (PARTITION BY iface, transport, responder_port, icmp_type, protocol"
	"   ORDER BY n DESC, initiator_ip, responder_ip"
	"   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))"
	" SELECT iface, transport, responder_port, protocol, g_flows, g_bytes,"
	"  initiator_ip, responder_ip, n, name, name_hi, rk, g_attempts, icmp_type"
	" FROM w WHERE rk <= MAX(CAST(?3 AS INTEGER), 1)"
	" ORDER BY g_flows DESC, iface, transport, responder_port, icmp_type, protocol, rk";

typedef struct {
	report *r;
	uint64_t top_n;
} findings_ctx;

static int finding_row(void *ctx, int ncols, const char *const *c)
{
	findings_ctx *fc = ctx;
	report *r = fc->r;
	FILE *out = r->out;
	uint64_t rank = num(c[11]);
	if (rank == 1) {
		r->rows++;
		fputs("  ", out);
		cell(out, c[0], -9, "?");
		fputc(' ', out);
		put(out, c[1]);
		if (c[13]) {
			/* "icmp echo request (type 8)", not "icmp/0". */
			char what[96];
			fputc(' ', out);
			put(out, ea_icmp_describe(strcmp(c[1] ? c[1] : "", "icmpv6") == 0 ? 58 : 1,
						  (unsigned)num(c[13]), (unsigned)num(c[2]), what, sizeof what));
		} else {
			fputc('/', out);
			put(out, c[2]);
		}
		fputs("  ", out);
		put(out, c[3]);
		fputs("  flows ", out);
		put(out, c[4]);
		fputs("  bytes ", out);
		put(out, c[5]);
		if (num(c[12]) > 0) {
			fputs("  attempts ", out);
			put(out, c[12]);
		}
		fputc('\n', out);
	}
	if (rank > fc->top_n)
		return 0;
	fputs("      ", out);
	put(out, c[6]);
	fputs(" -> ", out);
	put(out, c[7]);
	fputs("  ", out);
	put(out, c[8]);
	fputs(num(c[8]) == 1 ? " flow" : " flows", out);
	if (c[9]) {
		fputs("  name: ", out);
		put(out, c[9]);
		/* One name per line keeps it short; the rest are in the
		 * database (flow_verdicts.server_name). */
		if (c[10] && strcmp(c[9], c[10]) != 0)
			fputs(" (and others)", out);
	}
	fputc('\n', out);
	return 0;
}

static ea_status section_findings(report *r, unsigned top_n, char *errbuf, size_t errlen)
{
	static const struct {
		ea_verdict v;
		const char *title;
	} kinds[] = {
		{EA_VERDICT_UNEXPECTED, "Findings: unexpected (nothing documents them, or the site's policy refuses them)"},
		{EA_VERDICT_MISMATCH, "Findings: mismatch (documented port, other protocol)"},
		{EA_VERDICT_WRONG_DIRECTION, "Findings: wrong-direction (only the reverse is documented)"},
	};
	char topn[16];
	snprintf(topn, sizeof topn, "%u", top_n);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		const char *p[] = {r->run, ea_verdict_name(kinds[k].v), topn};
		heading(r->out, kinds[k].title);
		findings_ctx fc = {.r = r, .top_n = top_n};
		ea_status e = query(r, findings_sql, p, 3, finding_row, &fc, errbuf, errlen);
		if (e != EA_OK)
			return e;
		if (r->rows == 0)
			fputs("  (none)\n", r->out);
	}
	return EA_OK;
}

/* Findings on days whose flows retention deleted: their groups' daily
 * totals (talkers are not kept), so a finding of last year is still
 * shown. Printed only when there are such days in the scope. */
static int rolled_finding_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	FILE *out = r->out;
	if (r->rows++ == 0) {
		heading(out, "Findings on days rolled up by retention (daily totals; their flows were deleted)");
		fputs("  (the flows and talkers of these days are no longer stored)\n", out);
	}
	fputs("  ", out);
	cell(out, c[0], -16, "?");
	fputc(' ', out);
	cell(out, c[1], -9, "?");
	fputc(' ', out);
	put(out, c[2]);
	if (c[3] && strcmp(c[3], "-1") != 0) {
		char what[96];
		fputc(' ', out);
		put(out, ea_icmp_describe(strcmp(c[2] ? c[2] : "", "icmpv6") == 0 ? 58 : 1, (unsigned)num(c[3]),
					  (unsigned)num(c[4]), what, sizeof what));
	} else {
		fputc('/', out);
		put(out, c[4]);
	}
	fputs("  ", out);
	put(out, c[5]);
	if (c[6] && strcmp(c[6], "1") == 0)
		fputs(" (by port, not confirmed)", out);
	fputs("  flows ", out);
	put(out, c[7]);
	fputs("  bytes ", out);
	put(out, c[8]);
	fputs("  days ", out);
	put(out, c[9]);
	fputs("  ", out);
	put(out, c[10]);
	fputs(" .. ", out);
	put(out, c[11]);
	fputc('\n', out);
	return 0;
}

static ea_status section_rolled_findings(report *r, char *errbuf, size_t errlen)
{
	const char *p[] = {r->run};
	return query(r,
		"SELECT verdict, iface, CASE transport WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp'"
		"  WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmpv6' WHEN 132 THEN 'sctp'"
		"  ELSE CAST(transport AS TEXT) END, icmp_type, responder_port, app_protocol, by_port,"
		" SUM(flows), SUM(bytes), COUNT(DISTINCT day), " ISO("MIN(first_us)") ", " ISO("MAX(last_us)")
		" FROM rollup_groups WHERE verdict NOT IN ('documented', 'documented-port-only')"
		" AND " IN_SCOPE("run_id")
		" GROUP BY verdict, iface, transport, icmp_type, responder_port, app_protocol, by_port"
		" ORDER BY verdict, SUM(flows) DESC, iface, transport, responder_port, icmp_type,"
		" app_protocol, by_port",
		p, 1, rolled_finding_row, r, errbuf, errlen);
}

/* ---- 5. unanswered attempts on documented rows ------------------------- */

static const char attempts_sql[] =
	"WITH a AS (SELECT r.rule_id, r.ord, r.iface, r.transport, r.port_lo, r.port_hi,"
	"  f.handshake, f.initiator_ip, f.responder_ip, f.responder_port"
	"  FROM flows f JOIN flow_rules fr ON fr.flow_id = f.id"
	"  JOIN rules r ON r.run_id = fr.run_id AND r.ord = fr.ord"
	"  WHERE " IN_SCOPE("f.run_id")
	"  AND f.verdict IN ('documented', 'documented-port-only')"
	"  AND f.handshake IN ('no-answer', 'rejected')),"
	" g0 AS (SELECT rule_id, MIN(ord) AS ord, MIN(iface) AS iface, MIN(transport) AS transport,"
	"  MIN(port_lo) AS lo, MAX(port_hi) AS hi, SUM(handshake = 'no-answer') AS noans,"
	"  SUM(handshake = 'rejected') AS rej, COUNT(DISTINCT initiator_ip) AS inits"
	"  FROM a GROUP BY rule_id"
	/* Days rolled up by retention add their counts (not their
	 * initiators or responders, which are no longer stored). */
	"  UNION ALL SELECT rr.rule_id, r.ord, r.iface, r.transport, r.port_lo, r.port_hi,"
	"  rr.no_answer, rr.rejected, NULL FROM rollup_rules rr"
	"  JOIN rules r ON r.run_id = rr.run_id AND r.rule_id = rr.rule_id"
	"  WHERE rr.no_answer + rr.rejected > 0 AND " IN_SCOPE("rr.run_id") "),"
	" g AS (SELECT rule_id, MIN(ord) AS ord, MIN(iface) AS iface, MIN(transport) AS transport,"
	"  MIN(lo) AS lo, MAX(hi) AS hi, SUM(noans) AS noans, SUM(rej) AS rej, MAX(inits) AS inits"
	"  FROM g0 GROUP BY rule_id),"
	" t AS (SELECT rule_id, responder_ip, responder_port, COUNT(*) AS n,"
	"  ROW_NUMBER() OVER (PARTITION BY rule_id"
	"   ORDER BY COUNT(*) DESC, responder_ip, responder_port) AS rk"
	"  FROM a GROUP BY rule_id, responder_ip, responder_port)"
	" SELECT g.rule_id, g.iface, g.transport, g.lo, g.hi, g.noans, g.rej, g.inits,"
	"  t.responder_ip, t.responder_port, t.n, t.rk"
	" FROM g LEFT JOIN t ON t.rule_id = g.rule_id AND t.rk <= CAST(?2 AS INTEGER)"
	" ORDER BY g.ord, g.rule_id, t.rk";

static int attempt_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	FILE *out = r->out;
	if (!c[11] || strcmp(c[11], "1") == 0) {
		r->rows++;
		fputs("  ", out);
		cell(out, c[0], -10, "?");
		fputc(' ', out);
		cell(out, c[1], -9, "?");
		fputc(' ', out);
		service(out, c[2], c[3], c[4], 16);
		fputs("no-answer ", out);
		put(out, c[5]);
		fputs("  rejected ", out);
		put(out, c[6]);
		fputs("  initiators ", out);
		put(out, c[7] ? c[7] : "- (rolled up: not stored)");
		fputc('\n', out);
	}
	if (!c[11])
		return 0;
	/* address:port, IPv6 in brackets (RFC 5952 section 6). */
	bool v6 = c[8] && strchr(c[8], ':');
	fputs(v6 ? "      -> [" : "      -> ", out);
	put(out, c[8]);
	fputs(v6 ? "]:" : ":", out);
	put(out, c[9]);
	fputs("  ", out);
	put(out, c[10]);
	fputs(num(c[10]) == 1 ? " attempt\n" : " attempts\n", out);
	return 0;
}

static ea_status section_attempts(report *r, unsigned top_n, char *errbuf, size_t errlen)
{
	char topn[16];
	snprintf(topn, sizeof topn, "%u", top_n);
	const char *p[] = {r->run, topn};
	heading(r->out, "Unanswered attempts on documented rows");
	fputs("  (a port the deployment needs may be blocked)\n", r->out);
	ea_status e = query(r, attempts_sql, p, 2, attempt_row, r, errbuf, errlen);
	if (e == EA_OK && r->rows == 0)
		fputs("  (none)\n", r->out);
	return e;
}

/* ---- the NAT requirement (wt-nat; README, "The NAT requirement") ------- */

/* Each NAT finding group (kind, source, Edge address) with its flow count
 * and its first EA_NAT_REPORT_EXAMPLES flows, in time order. */
static const char nat_findings_sql[] =
	"WITH d AS (SELECT id, nat_finding, initiator_ip, responder_ip, transport_name, responder_port,"
	"  first_us, first_seen, verdict, community_id FROM flow_details"
	"  WHERE nat_finding IS NOT NULL AND " IN_SCOPE("run_id") "),"
	" e AS (SELECT *, COUNT(*) OVER g AS n, ROW_NUMBER() OVER g2 AS rk FROM d"
	"  WINDOW g AS (PARTITION BY nat_finding, initiator_ip, responder_ip),"
	"  g2 AS (PARTITION BY nat_finding, initiator_ip, responder_ip ORDER BY first_us, id))"
	" SELECT nat_finding, initiator_ip, responder_ip, n, transport_name, responder_port, first_seen,"
	"  verdict, community_id, rk FROM e WHERE rk <= CAST(?2 AS INTEGER)"
	" ORDER BY nat_finding, n DESC, initiator_ip, responder_ip, rk";

static int nat_finding_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	FILE *out = r->out;
	if (num(c[9]) == 1) {
		r->rows++;
		fputs("  ", out);
		cell(out, c[0], -15, "?");
		fputc(' ', out);
		put(out, c[1]);
		fputs(" -> ", out);
		put(out, c[2]);
		fputs("  flows ", out);
		put(out, c[3]);
		fputs(strcmp(c[0] ? c[0] : "", "nat-source") == 0
			      ? "  (the NAT device's own address: it rewrote the callers' source)\n"
			      : "  (a private source no role holds: a NAT rewrote it)\n",
		      out);
	}
	fputs("      ", out);
	put(out, c[4]);
	fputc('/', out);
	put(out, c[5]);
	fputs("  ", out);
	put(out, c[6]);
	fputs("  ", out);
	put(out, c[7]);
	fputs("  ", out);
	put(out, c[8]);
	fputc('\n', out);
	return 0;
}

static const char nat_mappings_sql[] =
	"SELECT run_id, role, private_ip, public_ip, expected_ip, status, flows, unpaired, example_community_id"
	" FROM nat_mappings WHERE " IN_SCOPE("run_id") " ORDER BY run_id, id";

static int nat_mapping_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	FILE *out = r->out;
	r->rows++;
	fputs("  run ", out);
	put(out, c[0]);
	fputs("  ", out);
	cell(out, c[1], -13, "?");
	fputc(' ', out);
	put(out, c[2]);
	fputs(" -> ", out);
	put(out, c[3] ? c[3] : "(nothing paired)");
	fputs("  ", out);
	put(out, c[5]);
	if (c[5] && strcmp(c[5], "differs") == 0) {
		fputs(" (the site maps it to ", out);
		put(out, c[4]);
		fputs(")", out);
	}
	fputs("  flows ", out);
	put(out, c[6]);
	if (num(c[7]) > 0) {
		fputs("  unpaired ", out);
		put(out, c[7]);
	}
	if (c[8]) {
		fputs("  e.g. ", out);
		put(out, c[8]);
	}
	fputc('\n', out);
	return 0;
}

static ea_status section_nat(report *r, char *errbuf, size_t errlen)
{
	char examples[16];
	snprintf(examples, sizeof examples, "%u", (unsigned)EA_NAT_REPORT_EXAMPLES);
	const char *p[] = {r->run, examples};
	heading(r->out, "Findings: NAT rewrote the caller's source (external NIC)");
	fputs("  (remote users' A/V fails when the Edge sees the NAT instead of the caller)\n", r->out);
	ea_status e = query(r, nat_findings_sql, p, 2, nat_finding_row, r, errbuf, errlen);
	if (e != EA_OK)
		return e;
	if (r->rows == 0)
		fputs("  (none)\n", r->out);
	heading(r->out, "NAT mappings: each Edge private address and its public address");
	e = query(r, nat_mappings_sql, p, 1, nat_mapping_row, r, errbuf, errlen);
	if (e == EA_OK && r->rows == 0)
		fputs("  (not checked: no run read the NAT's public side with the external NIC)\n", r->out);
	return e;
}

/* ---- 5b. ICMP errors (wt-icmp) ----------------------------------------- */

/* Errors counted on the flows they quote (engine/icmp_attach.h), grouped
 * like the findings: by interface, service, protocol, verdict and rows,
 * and the latest error's type and code. Then the orphans: ICMP error
 * flows whose quoted flow was not open, with the first one's endpoints. */
static const char icmp_on_flows_sql[] =
	"SELECT iface, transport_name, responder_port, app_protocol, verdict, rule_ids,"
	"  icmp_last_type, icmp_last_code, instr(initiator_ip, ':') > 0 AS v6,"
	"  COUNT(*), SUM(icmp_errors)"
	" FROM flow_details WHERE icmp_errors > 0 AND " IN_SCOPE("run_id")
	" GROUP BY iface, transport_name, responder_port, app_protocol, verdict, rule_ids,"
	"  icmp_last_type, icmp_last_code, v6"
	" ORDER BY SUM(icmp_errors) DESC, iface, transport_name, responder_port, app_protocol, verdict,"
	"  rule_ids, icmp_last_type, icmp_last_code, v6";

static const char icmp_orphans_sql[] =
	"SELECT iface, transport_name, initiator_port, responder_port, COUNT(*), SUM(packets),"
	"  (SELECT o.initiator_ip || ' -> ' || o.responder_ip FROM flows o"
	"   WHERE o.icmp_orphan = 1 AND o.iface = d.iface AND o.transport = d.transport"
	"   AND o.initiator_port = d.initiator_port AND o.responder_port = d.responder_port"
	"   AND " IN_SCOPE("o.run_id") " ORDER BY o.first_us, o.id LIMIT 1)"
	" FROM flow_details d WHERE icmp_orphan = 1 AND " IN_SCOPE("run_id")
	" GROUP BY iface, transport_name, initiator_port, responder_port"
	" ORDER BY COUNT(*) DESC, iface, transport_name, initiator_port, responder_port";

static int icmp_on_flow_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	FILE *out = r->out;
	char what[96];
	r->rows++;
	fputs("  ", out);
	cell(out, c[0], -9, "?");
	fputc(' ', out);
	put(out, c[1]);
	fputc('/', out);
	put(out, c[2]);
	fputs("  ", out);
	put(out, c[3]);
	fputs("  ", out);
	put(out, c[4]);
	if (c[5] && c[5][0]) {
		fputc(' ', out);
		put(out, c[5]);
	}
	fputs("  flows ", out);
	put(out, c[9]);
	fputs("  errors ", out);
	put(out, c[10]);
	fputs("  last: ", out);
	put(out, ea_icmp_describe(num(c[8]) ? 58 : 1, (unsigned)num(c[6]), (unsigned)num(c[7]), what,
				  sizeof what));
	fputc('\n', out);
	return 0;
}

static int icmp_orphan_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	FILE *out = r->out;
	char what[96];
	r->rows++;
	fputs("  ", out);
	cell(out, c[0], -9, "?");
	fputc(' ', out);
	put(out, c[1]);
	fputc(' ', out);
	put(out, ea_icmp_describe(strcmp(c[1] ? c[1] : "", "icmpv6") == 0 ? 58 : 1, (unsigned)num(c[2]),
				  (unsigned)num(c[3]), what, sizeof what));
	fputs("  flows ", out);
	put(out, c[4]);
	fputs("  packets ", out);
	put(out, c[5]);
	fputs("  first: ", out);
	put(out, c[6]);
	fputc('\n', out);
	return 0;
}

static ea_status section_icmp(report *r, char *errbuf, size_t errlen)
{
	const char *p[] = {r->run};
	heading(r->out, "ICMP errors counted on the flows they quote");
	fputs("  (in those flows' packets and bytes; path-MTU messages on a documented flow are its health)\n",
	      r->out);
	ea_status e = query(r, icmp_on_flows_sql, p, 1, icmp_on_flow_row, r, errbuf, errlen);
	if (e == EA_OK && r->rows == 0)
		fputs("  (none)\n", r->out);
	if (e != EA_OK)
		return e;
	heading(r->out, "Orphan ICMP errors (the flow they quote was not open)");
	e = query(r, icmp_orphans_sql, p, 1, icmp_orphan_row, r, errbuf, errlen);
	if (e == EA_OK && r->rows == 0)
		fputs("  (none)\n", r->out);
	return e;
}

/* ---- 6. anomalies ------------------------------------------------------ */

static int anomaly_row(void *ctx, int ncols, const char *const *c)
{
	report *r = ctx;
	r->rows++;
	fputs("  ", r->out);
	cell(r->out, c[1], -48, "?");
	fputc(' ', r->out);
	cell(r->out, c[2], 10, "0");
	fputs("  (", r->out);
	put(r->out, c[0]);
	fputs(")\n", r->out);
	return 0;
}

static ea_status section_anomalies(report *r, char *errbuf, size_t errlen)
{
	const char *p[] = {r->run};
	FILE *out = r->out;
	heading(out, "Anomalies (what could not be parsed)");
	ea_status e = query(r,
		"SELECT reason, MIN(description), SUM(count) FROM anomalies"
		" WHERE " IN_SCOPE("run_id") " GROUP BY reason ORDER BY SUM(count) DESC, reason",
		p, 1, anomaly_row, r, errbuf, errlen);
	if (e != EA_OK)
		return e;
	if (r->rows == 0)
		fputs("  (none)\n", out);

	uint64_t v[4] = {0, 0, 0, 0};
	e = query(r,
		"SELECT COALESCE(SUM(packets), 0), COALESCE(SUM(decoded), 0),"
		" COALESCE(SUM(evicted), 0),"
		" (SELECT COUNT(*) FROM flows WHERE " IN_SCOPE("run_id")
		"  AND end_reason = 'evicted')"
		" FROM runs WHERE " IN_SCOPE("id"),
		p, 1, numbers_row, &(numbers){v, 4}, errbuf, errlen);
	if (e != EA_OK)
		return e;
	fprintf(out, "  packets read: %" PRIu64 ", decoded: %" PRIu64 "\n", v[0], v[1]);
	fprintf(out, "  flows evicted (flow table full): %" PRIu64 "\n", v[2] > v[3] ? v[2] : v[3]);

	/* Counted in packets read, in no flow: the second copy a SPAN
	 * session delivers of a frame (capture/dedup.h). */
	uint64_t d[2] = {0, 0};
	e = query(r,
		"SELECT COALESCE(SUM(CASE WHEN iface = 'external' THEN duplicates END), 0),"
		" COALESCE(SUM(CASE WHEN iface = 'internal' THEN duplicates END), 0)"
		" FROM inputs WHERE " IN_SCOPE("run_id"),
		p, 1, numbers_row, &(numbers){d, 2}, errbuf, errlen);
	if (e != EA_OK)
		return e;
	uint64_t kept = 0;
	e = query(r, "SELECT COUNT(*) FROM runs WHERE duplicates_kept = 1 AND " IN_SCOPE("id"),
		  p, 1, numbers_row, &(numbers){&kept, 1}, errbuf, errlen);
	if (e != EA_OK)
		return e;
	fprintf(out, "  SPAN duplicates suppressed: %" PRIu64 " (external %" PRIu64 ", internal %" PRIu64 ")\n",
		d[0] + d[1], d[0], d[1]);
	/* A run with suppression off counts every copy as traffic: its 0
	 * is not "no duplicates". */
	if (kept > 0)
		fprintf(out, "    (%" PRIu64 " run%s kept every frame, --keep-duplicates: copies were not looked for)\n",
			kept, kept == 1 ? "" : "s");
	return EA_OK;
}

/* ---- the report -------------------------------------------------------- */

ea_status ea_report_text(ea_store *st, const ea_report_options *opt, FILE *out,
			 char *errbuf, size_t errlen)
{
	report r = {.st = st, .out = out, .opt = opt};
	snprintf(r.run, sizeof r.run, "%" PRId64, opt->run_id);

	/* The rows of the chosen run, or of the latest one counted (else the
	 * latest of all): the current matrix is the one to hold traffic
	 * against. */
	int64_t rules_run = 0, nruns = 0, all_runs = 0;
	const char *p[] = {r.run};
	ea_status e = ea_store_query(st,
		"SELECT COALESCE(MAX(id), 0) FROM runs WHERE " IN_SCOPE("id"),
		p, 1, first_int_row, &rules_run, errbuf, errlen);
	if (e == EA_OK)
		e = ea_store_query(st, "SELECT COUNT(*) FROM runs WHERE " IN_SCOPE("id"),
				   p, 1, first_int_row, &nruns, errbuf, errlen);
	if (e == EA_OK)
		e = ea_store_query(st, "SELECT COUNT(*) FROM runs", NULL, 0, first_int_row, &all_runs,
				   errbuf, errlen);
	if (e == EA_OK && rules_run == 0 && opt->run_id == 0)
		e = ea_store_query(st, "SELECT COALESCE(MAX(id), 0) FROM runs", NULL, 0, first_int_row,
				   &rules_run, errbuf, errlen);
	if (e != EA_OK)
		return e;
	if (opt->run_id != 0 && rules_run == 0)
		return ea_fail(EA_ERR_USAGE, errbuf, errlen,
			       "run %" PRId64 " is not in the database", opt->run_id);

	fputs("edgeaudit report\n================\n", out);
	if (opt->run_id != 0)
		fprintf(out, "Scope: run %" PRId64 "\n", opt->run_id);
	else
		fprintf(out, "Scope: live runs and finished runs, each capture counted once (%" PRId64 " of %" PRId64
			" runs)\n", nruns, all_runs);
	if (all_runs == 0) {
		fputs("\nNo runs recorded in this database.\n", out);
		goto done;
	}

	/* First: an audit that missed traffic says so before anything else. */
	e = section_loss(&r, errbuf, errlen);
	if (e != EA_OK)
		return e;
	heading(out, "Runs");
	if (nruns == 0)
		fputs("(no finished run)\n", out);
	e = section_runs(&r, errbuf, errlen);
	if (e == EA_OK && opt->run_id == 0)
		e = section_not_counted(&r, errbuf, errlen);
	if (e == EA_OK)
		e = section_totals(&r, errbuf, errlen);
	if (e == EA_OK)
		e = section_rules(&r, rules_run, errbuf, errlen);
	if (e == EA_OK)
		e = section_findings(&r, opt->top_n, errbuf, errlen);
	if (e == EA_OK)
		e = section_rolled_findings(&r, errbuf, errlen);
	if (e == EA_OK)
		e = section_attempts(&r, opt->top_n, errbuf, errlen);
	if (e == EA_OK)
		e = section_nat(&r, errbuf, errlen);
	if (e == EA_OK)
		e = section_icmp(&r, errbuf, errlen);
	if (e == EA_OK)
		e = section_anomalies(&r, errbuf, errlen);
	if (e != EA_OK)
		return e;
done:
	if (fflush(out) != 0 || ferror(out))
		return ea_fail(EA_ERR_IO, errbuf, errlen, "writing the report failed");
	return EA_OK;
}
