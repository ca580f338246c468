/* progress.c — the progress line; see progress.h. */
#include "cli/progress.h"

#include <stdio.h>

void ea_progress_duration(double seconds, char *buf, size_t len)
{
	if (!(seconds >= 0)) /* NaN too */
		seconds = 0;
	if (seconds > 359999999.0) /* 99,999 hours: a bogus estimate, not a time */
		seconds = 359999999.0;
	unsigned long s = (unsigned long)(seconds + 0.5);
	if (s >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

/* Bytes in the largest binary unit that keeps the number readable. */
static void size_text(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	unsigned u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
}

void ea_progress_format(const ea_progress *p, char *buf, size_t len)
{
	char done[32], total[32], elapsed[32], left[32] = "--";
	size_text(p->done_bytes, done, sizeof done);
	ea_progress_duration(p->elapsed_s, elapsed, sizeof elapsed);
	if (p->total_bytes == 0) {
		snprintf(buf, len, "%s read, %llu packets, %llu flows finished, %s elapsed", done,
			 (unsigned long long)p->packets, (unsigned long long)p->flows, elapsed);
		return;
	}
	uint64_t d = p->done_bytes > p->total_bytes ? p->total_bytes : p->done_bytes;
	size_text(p->total_bytes, total, sizeof total);
	unsigned pct = (unsigned)(d * 100 / p->total_bytes);
	/* Too early, the rate is noise: wait for 1% or a second. */
	if (d > 0 && (d * 100 >= p->total_bytes || p->elapsed_s >= 1.0))
		ea_progress_duration(p->elapsed_s * (double)(p->total_bytes - d) / (double)d, left, sizeof left);
	snprintf(buf, len, "%s of %s (%u%%), %llu packets, %llu flows finished, %s elapsed, %s left", done,
		 total, pct, (unsigned long long)p->packets, (unsigned long long)p->flows, elapsed, left);
}
