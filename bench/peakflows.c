/* peakflows.c — how many flows edgeaudit holds at once on a capture.
 *
 * Not part of the pipeline: a tool of `make bench` (bench/run.sh). The
 * benchmark divides edgeaudit's memory by the flows alive at its peak, and
 * `edgeaudit read` does not print that figure, so this runs the very same
 * pipeline (ea_audit: decode, flow table, classifier, matcher) over the
 * capture with no database and prints the audit's own totals as key=value
 * lines. Flow timeouts run on packet time, so the figure is the one the
 * real run reaches.
 *
 * usage: peakflows --site FILE --matrix FILE --ports FILE CAPTURE */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/audit.h"
#include "util/error.h"
#include "rules/ruleset.h"
#include "capture/source.h"

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"site", required_argument, 0, 's'}, {"matrix", required_argument, 0, 'm'},
		{"ports", required_argument, 0, 'p'}, {0, 0, 0, 0}};
	const char *site_path = NULL, *matrix_path = NULL, *ports_path = NULL;
	char errbuf[4096] = "";
	const ea_ruleset *ruleset = NULL;
	ea_audit *audit = NULL;
	ea_source *src = NULL;
	ea_status st;
	int rc = 1, opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's': site_path = optarg; break;
		case 'm': matrix_path = optarg; break;
		case 'p': ports_path = optarg; break;
		default: goto usage;
		}
	}
	if (!site_path || !matrix_path || !ports_path || optind + 1 != argc)
		goto usage;

	ea_ruleset_paths paths = {.matrix = matrix_path, .portsigs = ports_path, .site = site_path};
	if ((st = ea_ruleset_load(&paths, NULL, &ruleset, errbuf, sizeof errbuf)) != EA_OK)
		goto fail;

	ea_audit_config cfg = {
		.ruleset = ruleset,
		.store = NULL, .hash_seed = 0x9e3779b97f4a7c15ull,
	};
	if ((st = ea_audit_new(&cfg, &audit, errbuf, sizeof errbuf)) != EA_OK)
		goto fail;
	if ((st = ea_source_open_file(argv[optind], &src, errbuf, sizeof errbuf)) != EA_OK)
		goto fail;
	ea_input_info info = {.iface = EA_IFACE_EXTERNAL, .path = argv[optind]};
	if ((st = ea_audit_read(audit, src, EA_IFACE_EXTERNAL, &info, errbuf, sizeof errbuf)) != EA_OK)
		goto fail;
	if ((st = ea_audit_finish(audit, errbuf, sizeof errbuf)) != EA_OK)
		goto fail;

	const ea_audit_totals *t = ea_audit_get_totals(audit);
	printf("packets=%llu\n", (unsigned long long)t->packets);
	printf("decoded=%llu\n", (unsigned long long)t->decoded);
	printf("flows=%llu\n", (unsigned long long)t->flows);
	printf("peak_flows=%llu\n", (unsigned long long)t->peak_flows);
	printf("evicted=%llu\n", (unsigned long long)t->evicted);
	for (int v = 0; v < EA_VERDICT_COUNT; v++)
		printf("verdict_%s=%llu\n", ea_verdict_name((ea_verdict)v), (unsigned long long)t->verdicts[v]);
	rc = 0;
	goto out;
usage:
	fputs("usage: peakflows --site FILE --matrix FILE --ports FILE CAPTURE\n", stderr);
	rc = 2;
	goto out;
fail:
	fprintf(stderr, "peakflows: %s\n", errbuf[0] ? errbuf : ea_status_name(st));
out:
	if (src)
		ea_source_close(src);
	ea_audit_free(audit);
	ea_ruleset_unref(ruleset);
	return rc;
}
