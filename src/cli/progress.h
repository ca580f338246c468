/* progress.h — the one-line progress a terminal shows while `read` works:
 * how far through the captures (bytes read of their total size), the
 * share done, elapsed time and an estimate of the time left, beside the
 * packets and flows so far. Pure formatting, so it is unit-tested; main
 * decides when to print it (only to a terminal).
 * Pipeline position: output, beside the audit loop. */
#ifndef EA_PROGRESS_H
#define EA_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t done_bytes;   /* bytes of the captures consumed so far */
	uint64_t total_bytes;  /* their total size; 0 when unknown (a pipe) */
	double elapsed_s;      /* wall-clock seconds since reading began */
	uint64_t packets, flows;
} ea_progress;

/* Writes e.g. "12.5 MiB of 40.0 MiB (31%), 181234 packets, 2210 flows
 * finished, 0:04 elapsed, 0:09 left" into buf (truncated to len). The
 * time left, done_bytes/total_bytes extrapolated at the rate so far, is
 * "--" until there is a rate to go on (1% or a second in); without a
 * total only bytes, packets, flows and elapsed time are shown. */
void ea_progress_format(const ea_progress *p, char *buf, size_t len);

/* Seconds as "M:SS", or "H:MM:SS" from an hour on. */
void ea_progress_duration(double seconds, char *buf, size_t len);

#endif
