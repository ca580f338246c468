/* dupwindow.c — how many frames of each capture SPAN duplicate
 * suppression (capture/dedup.h) would drop at a range of windows, and
 * the shortest gap between two identical frames: the measurement behind
 * EA_DEDUP_WINDOW_US (README, "SPAN duplicates").
 *
 * usage: dupwindow CAPTURE...
 * One line per capture: frames, then the frames suppressed at each
 * window, then the smallest gap (µs) between a frame and an earlier
 * identical one among the last EA_DEDUP_MAX_FRAMES, within 10 s ("-":
 * none). The last lines sum the columns, and count among the frames
 * dropped those that decode (IP packets, which flows count). With DUPWINDOW_VERBOSE set, each
 * frame found a copy (within 10 s) is named on stderr with its gap. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/dedup.h"
#include "capture/source.h"
#include "decode/decode.h"

static const uint64_t windows[] = {10, 50, 100, 1000, 10000, 100000, 1000000};
#define NW (sizeof windows / sizeof windows[0])
#define WIDEST 10000000ull /* 10 s: for the smallest gap */

/* Frames of path, and for each window the duplicates; *min_gap the
 * smallest gap seen with the widest window (UINT64_MAX: none). */
static int measure(const char *path, bool verbose, uint64_t *frames, uint64_t dups[NW], uint64_t in_flow[NW],
		   uint64_t *min_gap)
{
	char err[512];
	ea_dedup *d[NW + 1];
	ea_source *src = NULL;
	ea_frame f;
	int rc = 0;
	*frames = 0;
	*min_gap = UINT64_MAX;
	memset(in_flow, 0, NW * sizeof *in_flow);
	for (size_t i = 0; i <= NW; i++)
		if (ea_dedup_new(i < NW ? windows[i] : WIDEST, 1, &d[i], err, sizeof err) != EA_OK)
			return -1;
	if (ea_source_open_file(path, &src, err, sizeof err) != EA_OK) {
		fprintf(stderr, "dupwindow: %s\n", err);
		rc = -1;
		goto out;
	}
	while (ea_source_next(src, &f, err, sizeof err) == EA_SOURCE_FRAME) {
		uint64_t gap;
		(*frames)++;
		ea_packet pkt;
		ea_anomaly note;
		bool decodes = f.ts_known && ea_decode(&f, &pkt, &note) == EA_DECODE_OK;
		for (size_t i = 0; i < NW; i++)
			if (ea_dedup_frame(d[i], &f, NULL) && decodes)
				in_flow[i]++;
		if (ea_dedup_frame(d[NW], &f, &gap)) {
			if (gap < *min_gap)
				*min_gap = gap;
			if (verbose)
				fprintf(stderr, "%s: frame %" PRIu64 ": copy of a frame %" PRIu64 " us before\n",
					path, f.number, gap);
		}
	}
	for (size_t i = 0; i < NW; i++)
		dups[i] = ea_dedup_suppressed(d[i]);
out:
	ea_source_close(src);
	for (size_t i = 0; i <= NW; i++)
		ea_dedup_free(d[i]);
	return rc;
}

int main(int argc, char **argv)
{
	bool verbose = getenv("DUPWINDOW_VERBOSE") != NULL;
	uint64_t total = 0, total_dups[NW] = {0}, total_in_flow[NW] = {0}, min_all = UINT64_MAX;
	printf("%-48s %8s", "capture", "frames");
	for (size_t i = 0; i < NW; i++)
		printf(" %7" PRIu64 "us", windows[i]);
	printf(" %10s\n", "min_gap_us");
	for (int a = 1; a < argc; a++) {
		uint64_t frames, dups[NW], in_flow[NW], min_gap;
		if (measure(argv[a], verbose, &frames, dups, in_flow, &min_gap) != 0)
			continue;
		const char *base = argv[a];
		for (const char *p = argv[a]; *p; p++)
			if (*p == '/')
				base = p + 1;
		printf("%-48.48s %8" PRIu64, base, frames);
		for (size_t i = 0; i < NW; i++) {
			printf(" %9" PRIu64, dups[i]);
			total_dups[i] += dups[i];
			total_in_flow[i] += in_flow[i];
		}
		if (min_gap == UINT64_MAX)
			printf(" %10s\n", "-");
		else
			printf(" %10" PRIu64 "\n", min_gap);
		total += frames;
		if (min_gap < min_all)
			min_all = min_gap;
	}
	printf("%-48s %8" PRIu64, "total", total);
	for (size_t i = 0; i < NW; i++)
		printf(" %9" PRIu64, total_dups[i]);
	if (min_all == UINT64_MAX)
		printf(" %10s\n", "-");
	else
		printf(" %10" PRIu64 "\n", min_all);
	printf("%-48s %8s", "of them decoded (IP: in a flow)", "");
	for (size_t i = 0; i < NW; i++)
		printf(" %9" PRIu64, total_in_flow[i]);
	printf("\n");
	return 0;
}
