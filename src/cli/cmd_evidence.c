/* cmd_evidence.c — `edgeaudit evidence`: the chosen flows (store/flowsel.h),
 * their run's captures found by path or, with --captures, by content, each
 * checked against the SHA-256 the run recorded, their frames found again
 * (engine/extract.h) and written to one pcap (capture/pcapwrite.h), with
 * a summary on stderr. Offline runs only: a live run kept no frames. */
#include "cli/cmd_evidence.h"

#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/dedup.h"
#include "capture/pcapwrite.h"
#include "capture/source.h"
#include "engine/extract.h"
#include "store/flowsel.h"
#include "store/store.h"
#include "util/ea_limits.h"
#include "util/escape.h"
#include "util/filehash.h"
#include "util/samefile.h"

const char ea_evidence_usage[] =
	"usage: edgeaudit evidence --db FILE (--flow ID ... | --verdict V | --group G)\n"
	"                          [--run ID] [--since T] [--until T] [--captures DIR]\n"
	"                          --output FILE.pcap\n"
	"\n"
	"Writes the packets of the chosen flows, as they were captured (link layer,\n"
	"timestamps, lengths), to one pcap file, from the capture files their run read.\n"
	"Each capture is found at the path the run recorded and must still have the\n"
	"SHA-256 the run recorded.\n"
	"\n"
	"  --db FILE         the database ('edgeaudit read' wrote it)\n"
	"  --flow ID         a flow by its id (flow_verdicts.flow_id); repeatable\n"
	"  --verdict V       every flow of that verdict: documented, documented-port-only,\n"
	"                    mismatch, wrong-direction, unexpected\n"
	"  --group G         the flows of one finding group of the report:\n"
	"                    IFACE/TRANSPORT/PORT[/PROTOCOL], e.g. external/tcp/8080 or\n"
	"                    internal/udp/3478/STUN (PORT: the responder's port)\n"
	"  --run ID          only flows of that run\n"
	"  --since T         only flows that end at or after T, --until T: that start\n"
	"                    before T (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC)\n"
	"  --captures DIR    look in DIR for a capture that is no longer at its recorded\n"
	"                    path: a file of the same SHA-256, whatever its name\n"
	"  --output FILE     the pcap to write (classic pcap, microsecond timestamps)\n"
	"\n"
	"Conditions combine (a flow must pass each); several --flow select any of them;\n"
	"at most 10000 flows. Live runs (monitor) kept no packets: their flows have no\n"
	"evidence. A summary (flows, packets, captures) goes to stderr.\n"
	"Exit codes: 0 written; 1 no flow matched, a flow of a live run, a capture\n"
	"missing or changed (each is named), captures of different link types, the\n"
	"database or the output failed (no output is left); 2 a usage error.\n";

/* Where one recorded input was found, and its frames of the chosen flows. */
typedef struct {
	const ea_flowsel_input *in;
	char *found;               /* the path it was found at; owned */
	bool wanted;               /* some chosen flow is of its run and interface */
	ea_extract_result hits;
	size_t *flow_of;           /* extract's flow index → index into the selection */
} located;

typedef struct {
	ea_pcap_writer *w;
	const size_t *flow_of;
	uint64_t *packets;         /* per selected flow */
} copy_ctx;

static void say(const char *fmt, const char *arg, const char *tail)
{
	fputs("edgeaudit evidence: ", stderr);
	fputs(fmt, stderr);
	if (arg)
		ea_fputs_escaped(arg, stderr);
	if (tail)
		ea_fputs_message(tail, stderr); /* library messages quote file names */
	fputc('\n', stderr);
}

static int usage(const char *msg, const char *arg)
{
	say(msg, arg, NULL);
	fputs("\n", stderr);
	fputs(ea_evidence_usage, stderr);
	return EA_EXIT_USAGE;
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[Z]", UTC → µs since the epoch. */
static bool parse_time(const char *s, uint64_t *us)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end) {
		memset(&tm, 0, sizeof tm);
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || (*end && strcmp(end, "Z")))
		return false;
	time_t t = timegm(&tm);
	if (t < 0)
		return false;
	*us = (uint64_t)t * 1000000u;
	return true;
}

static bool parse_id(const char *s, int64_t *out)
{
	if (!s || *s < '1' || *s > '9')
		return false;
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (*end || v <= 0 || v >= (1ll << 62))
		return false;
	*out = v;
	return true;
}

/* True when path is a regular file of that SHA-256 (and size). */
static bool has_hash(const char *path, const ea_flowsel_input *in, char now[65])
{
	struct stat sb;
	now[0] = '\0';
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != in->size)
		return false;
	char err[256];
	uint64_t size = 0;
	return ea_sha256_file(path, now, &size, err, sizeof err) == EA_OK && !strcmp(now, in->sha256);
}

/* A file of DIR with the input's content: its own name first, then any. */
static char *search_dir(const char *dir, const ea_flowsel_input *in)
{
	char now[65];
	const char *base = strrchr(in->path, '/');
	base = base ? base + 1 : in->path;
	char *p = NULL;
	if (*base && asprintf(&p, "%s/%s", dir, base) >= 0) {
		if (has_hash(p, in, now))
			return p;
		free(p);
		p = NULL;
	}
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", dir, e->d_name) < 0) {
			p = NULL;
			break;
		}
		if (has_hash(p, in, now))
			break;
		free(p);
		p = NULL;
	}
	closedir(d);
	return p;
}

/* Finds in; on failure says why (naming the capture) and returns false. */
static bool locate(located *l, const char *captures_dir)
{
	const ea_flowsel_input *in = l->in;
	char now[65];
	struct stat sb;
	bool exists = stat(in->path, &sb) == 0;
	if (exists && has_hash(in->path, in, now)) {
		l->found = strdup(in->path);
		return l->found != NULL;
	}
	if (captures_dir && (l->found = search_dir(captures_dir, in)) != NULL)
		return true;
	char what[160];
	snprintf(what, sizeof what, " (run %" PRId64 ", %s, SHA-256 %.16s…): ", in->run_id,
		 ea_iface_name(in->iface), in->sha256);
	fputs("edgeaudit evidence: capture ", stderr);
	ea_fputs_escaped(in->path, stderr);
	fputs(what, stderr);
	if (!exists)
		fputs("not found: moved or deleted", stderr);
	else if (!S_ISREG(sb.st_mode))
		fputs("not a regular file", stderr);
	else if ((uint64_t)sb.st_size != in->size)
		fprintf(stderr, "changed: %" PRIu64 " bytes, the run read %" PRIu64, (uint64_t)sb.st_size, in->size);
	else
		fprintf(stderr, "changed: its SHA-256 is now %.16s…", now[0] ? now : "(unreadable)");
	fputs(captures_dir ? "; no file of its SHA-256 in --captures either\n"
			   : "; give --captures DIR to look for it by content\n",
	      stderr);
	return false;
}

static ea_status copy_frame(void *ctx, const ea_frame *frame, const ea_extract_hit *hit, char *errbuf,
			    size_t errlen)
{
	copy_ctx *c = ctx;
	c->packets[c->flow_of[hit->flow]]++;
	return ea_pcap_writer_frame(c->w, frame, errbuf, errlen);
}

static void print_flow(const ea_flowsel_flow *f, uint64_t written)
{
	char a[EA_ADDR_STRLEN], b[EA_ADDR_STRLEN];
	fprintf(stderr,
		"  flow %" PRId64 " (run %" PRId64 ", %s, %s) proto %u %s:%u -> %s:%u: %" PRIu64 " packets"
		" (%" PRIu64 " stored)\n",
		f->id, f->run_id, ea_iface_name(f->iface), f->verdict, (unsigned)f->transport,
		ea_addr_str(&f->initiator, a), (unsigned)f->initiator_port, ea_addr_str(&f->responder, b),
		(unsigned)f->responder_port, written, f->packets);
}

int ea_cmd_evidence(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},       {"flow", required_argument, 0, 'f'},
		{"verdict", required_argument, 0, 'v'},  {"group", required_argument, 0, 'g'},
		{"run", required_argument, 0, 'r'},      {"since", required_argument, 0, 's'},
		{"until", required_argument, 0, 'u'},    {"captures", required_argument, 0, 'c'},
		{"output", required_argument, 0, 'o'},   {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0}};
	static const char *const verdicts[] = {"documented", "documented-port-only", "mismatch", "wrong-direction",
					       "unexpected"};
	const char *db_path = NULL, *out_path = NULL, *captures = NULL;
	int64_t ids[EA_EVIDENCE_MAX_IDS];
	ea_flowsel_query q;
	memset(&q, 0, sizeof q);
	q.ids = ids;
	char errbuf[2048];
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *dup = NULL;
		switch (opt) {
		case 'd': dup = db_path ? "--db" : NULL; db_path = optarg; break;
		case 'o': dup = out_path ? "--output" : NULL; out_path = optarg; break;
		case 'c': dup = captures ? "--captures" : NULL; captures = optarg; break;
		case 'f':
			if (q.n_ids == EA_EVIDENCE_MAX_IDS)
				return usage("too many --flow (at most 1000)", NULL);
			if (!parse_id(optarg, &ids[q.n_ids]))
				return usage("--flow takes a flow id (flow_verdicts.flow_id), not ", optarg);
			q.n_ids++;
			break;
		case 'v': {
			dup = q.verdict ? "--verdict" : NULL;
			q.verdict = NULL;
			for (size_t i = 0; i < sizeof verdicts / sizeof *verdicts; i++)
				if (!strcmp(optarg, verdicts[i]))
					q.verdict = verdicts[i];
			if (!q.verdict)
				return usage("--verdict is one of documented, documented-port-only, mismatch,"
					     " wrong-direction, unexpected, not ", optarg);
			break;
		}
		case 'g':
			dup = q.group.set ? "--group" : NULL;
			if (!dup && ea_flowsel_parse_group(optarg, &q.group, errbuf, sizeof errbuf) != EA_OK)
				return usage(errbuf, NULL);
			break;
		case 'r':
			dup = q.run_id ? "--run" : NULL;
			if (!parse_id(optarg, &q.run_id))
				return usage("--run takes a run number, not ", optarg);
			break;
		case 's':
			dup = q.since_us ? "--since" : NULL;
			if (!parse_time(optarg, &q.since_us))
				return usage("--since takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC), not ", optarg);
			break;
		case 'u':
			dup = q.until_us ? "--until" : NULL;
			if (!parse_time(optarg, &q.until_us))
				return usage("--until takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC), not ", optarg);
			break;
		case 'h': fputs(ea_evidence_usage, stdout); return EA_EXIT_OK;
		default:
			return usage(optopt && !strncmp(argv[optind - 1], "--", 2) ? "this option needs a value: "
										  : "unknown option ",
				     argv[optind - 1]);
		}
		if (dup)
			return usage(dup, " is given twice; give it once");
	}
	if (optind < argc)
		return usage("unexpected argument ", argv[optind]);
	if (!db_path)
		return usage("--db is required", NULL);
	if (!out_path)
		return usage("--output is required", NULL);
	if (q.n_ids == 0 && !q.verdict && !q.group.set)
		return usage("choose flows with --flow, --verdict or --group", NULL);
	struct stat sb;
	if (captures && (stat(captures, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		return usage("--captures takes a directory: ", captures);
	if (stat(out_path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return usage("--output is a directory; give a file: ", out_path);
	if (ea_same_file(out_path, db_path))
		return usage("--output is the database: ", out_path);
	if (access(db_path, F_OK) != 0) {
		say("no such database: ", db_path, NULL);
		return EA_EXIT_RUNTIME;
	}

	int rc = EA_EXIT_RUNTIME;
	ea_store *store = NULL;
	ea_flowsel_result sel;
	memset(&sel, 0, sizeof sel);
	located *loc = NULL;
	ea_pcap_writer *w = NULL;
	uint64_t *packets = NULL;
	bool output_made = false;
	ea_status st = ea_store_open_readonly(db_path, &store, errbuf, sizeof errbuf);
	if (st == EA_OK)
		st = ea_flowsel_select(store, &q, &sel, errbuf, sizeof errbuf);
	ea_store_close(store, NULL, 0);
	if (st != EA_OK) {
		say("", NULL, errbuf);
		goto out;
	}
	if (sel.missing_id) {
		char m[96];
		snprintf(m, sizeof m, "no flow %" PRId64 " in the database%s", sel.missing_id,
			 q.verdict || q.group.set || q.run_id || q.since_us || q.until_us
				 ? " that passes the other conditions"
				 : "");
		say(m, NULL, NULL);
		goto out;
	}
	if (sel.n_flows == 0) {
		say("no flow matches; nothing written", NULL, NULL);
		goto out;
	}
	if (sel.n_flows > EA_EVIDENCE_MAX_FLOWS) {
		char m[160];
		snprintf(m, sizeof m, "%zu flows match, at most %d: narrow with --run, --since/--until or --group",
			 sel.n_flows, EA_EVIDENCE_MAX_FLOWS);
		say(m, NULL, NULL);
		goto out;
	}
	for (size_t i = 0; i < sel.n_flows; i++)
		if (sel.flows[i].live) {
			char m[200];
			snprintf(m, sizeof m,
				 "flow %" PRId64 " is of run %" PRId64 ", a live capture (monitor), which keeps no"
				 " packets: no evidence for it (choose offline runs with --run)",
				 sel.flows[i].id, sel.flows[i].run_id);
			say(m, NULL, NULL);
			goto out;
		}

	/* Every capture needed, found and checked before anything is read;
	 * every one missing or changed is named, then the command fails. */
	loc = calloc(sel.n_inputs ? sel.n_inputs : 1, sizeof *loc);
	packets = calloc(sel.n_flows, sizeof *packets);
	if (!loc || !packets) {
		say("out of memory", NULL, NULL);
		goto out;
	}
	bool all_found = true;
	for (size_t i = 0; i < sel.n_inputs; i++) {
		loc[i].in = &sel.inputs[i];
		for (size_t j = 0; j < sel.n_flows && !loc[i].wanted; j++)
			loc[i].wanted = sel.flows[j].run_id == sel.inputs[i].run_id && sel.flows[j].iface == sel.inputs[i].iface;
		if (loc[i].wanted && !locate(&loc[i], captures))
			all_found = false;
	}
	if (!all_found)
		goto out;
	for (size_t i = 0; i < sel.n_inputs; i++)
		if (loc[i].wanted && ea_same_file(out_path, loc[i].found)) {
			say("--output is one of the captures: ", out_path, NULL);
			rc = EA_EXIT_USAGE;
			goto out;
		}

	/* Pass one: the frames of each capture, with the run's filter and one
	 * duplicate table per run and interface, captures in the run's order. */
	int linktype = -1, other_linktype = -1;
	uint32_t snaplen = EA_EVIDENCE_SNAPLEN;
	size_t captures_used = 0;
	for (size_t i = 0; i < sel.n_inputs; i++) {
		if (!loc[i].wanted || loc[i].flow_of) /* scanned with its run and interface */
			continue;
		/* Inputs of one run and interface share a duplicate table: scan them together. */
		const ea_flowsel_flow *any = NULL;
		ea_extract_flow *fl = calloc(sel.n_flows, sizeof *fl);
		size_t *map = calloc(sel.n_flows, sizeof *map);
		size_t nf = 0;
		for (size_t j = 0; fl && map && j < sel.n_flows; j++) {
			const ea_flowsel_flow *f = &sel.flows[j];
			if (f->run_id != loc[i].in->run_id || f->iface != loc[i].in->iface)
				continue;
			any = f;
			fl[nf] = (ea_extract_flow){.transport = f->transport, .initiator = f->initiator,
						   .responder = f->responder, .initiator_port = f->initiator_port,
						   .responder_port = f->responder_port, .first_us = f->first_us,
						   .last_us = f->last_us};
			map[nf++] = j;
		}
		ea_filter *filter = NULL;
		ea_dedup *dedup = NULL;
		st = !fl || !map ? ea_fail(EA_ERR_NOMEM, errbuf, sizeof errbuf, "out of memory") : EA_OK;
		if (st == EA_OK && any && any->filter)
			st = ea_filter_new(any->filter, &filter, errbuf, sizeof errbuf);
		if (st == EA_OK && any && !any->duplicates_kept)
			st = ea_dedup_new(0, (uint64_t)(uintptr_t)loc ^ 0x9e3779b97f4a7c15ull, &dedup, errbuf,
					  sizeof errbuf);
		for (size_t k = i; st == EA_OK && k < sel.n_inputs; k++) {
			if (!loc[k].wanted || loc[k].in->run_id != loc[i].in->run_id || loc[k].in->iface != loc[i].in->iface)
				continue;
			st = ea_extract_scan(loc[k].found, fl, nf, filter, dedup, &loc[k].hits, errbuf, sizeof errbuf);
			if (st != EA_OK)
				break;
			loc[k].flow_of = map;
			map = NULL; /* the first input of the group owns it */
			if (k != i)
				loc[k].flow_of = loc[i].flow_of;
			if (loc[k].hits.n_hits)
				captures_used++;
			for (size_t h = 0; h < loc[k].hits.n_hits; h++) {
				const ea_extract_hit *hit = &loc[k].hits.hits[h];
				if (linktype < 0)
					linktype = hit->linktype;
				else if (hit->linktype != linktype && other_linktype < 0)
					other_linktype = hit->linktype;
				if (hit->caplen > snaplen)
					snaplen = hit->caplen;
			}
		}
		free(fl);
		free(map);
		ea_filter_free(filter);
		ea_dedup_free(dedup);
		if (st != EA_OK) {
			say("", NULL, errbuf);
			goto out;
		}
	}
	if (linktype < 0) {
		say("the captures hold no frame of the chosen flows; nothing written", NULL, NULL);
		goto out;
	}
	if (other_linktype >= 0) {
		const char *n1 = ea_source_linktype_name(linktype), *n2 = ea_source_linktype_name(other_linktype);
		fprintf(stderr,
			"edgeaudit evidence: the flows' frames are of link types %s (%d) and %s (%d); a pcap holds one:"
			" choose flows of one link type (e.g. with --group or --run); nothing written\n",
			n1 ? n1 : "?", linktype, n2 ? n2 : "?", other_linktype);
		goto out;
	}

	/* Pass two: copy. */
	st = ea_pcap_writer_open(out_path, linktype, snaplen, &w, errbuf, sizeof errbuf);
	output_made = st == EA_OK;
	uint64_t written = 0;
	for (size_t i = 0; st == EA_OK && i < sel.n_inputs; i++) {
		if (!loc[i].wanted || !loc[i].hits.n_hits)
			continue;
		copy_ctx cc = {.w = w, .flow_of = loc[i].flow_of, .packets = packets};
		st = ea_extract_copy(loc[i].found, &loc[i].hits, copy_frame, &cc, errbuf, sizeof errbuf);
		written += loc[i].hits.n_hits;
	}
	if (st == EA_OK)
		st = ea_pcap_writer_close(w, errbuf, sizeof errbuf);
	else
		ea_pcap_writer_close(w, NULL, 0);
	w = NULL;
	if (st != EA_OK) {
		say("", NULL, errbuf);
		goto out;
	}
	output_made = false; /* kept */
	fprintf(stderr, "edgeaudit evidence: wrote %" PRIu64 " packets of %zu flows from %zu captures to ", written,
		sel.n_flows, captures_used);
	ea_fputs_escaped(out_path, stderr);
	fputc('\n', stderr);
	size_t shown = 0;
	for (size_t i = 0; i < sel.n_flows; i++)
		if (shown < EA_EVIDENCE_LIST_FLOWS) {
			print_flow(&sel.flows[i], packets[i]);
			shown++;
		}
	if (sel.n_flows > shown)
		fprintf(stderr, "  and %zu more flows\n", sel.n_flows - shown);
	rc = EA_EXIT_OK;
out:
	if (w)
		ea_pcap_writer_close(w, NULL, 0);
	if (output_made)
		unlink(out_path);
	if (loc) {
		for (size_t i = 0; i < sel.n_inputs; i++) {
			free(loc[i].found);
			ea_extract_free(&loc[i].hits);
			bool owner = true;
			for (size_t k = 0; k < i && owner; k++)
				owner = loc[k].flow_of != loc[i].flow_of;
			if (owner)
				free(loc[i].flow_of);
		}
	}
	free(loc);
	free(packets);
	ea_flowsel_free(&sel);
	return rc;
}
