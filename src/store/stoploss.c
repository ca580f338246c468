/* stoploss.c — a stop's unwritten records, beside the database; see
 * stoploss.h. */
#include "store/stoploss.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/escape.h"

#define SUFFIX "-stoploss"

static bool iface_from_name(const char *name, ea_iface *out)
{
	for (int i = 0; i < EA_IFACE_COUNT; i++)
		if (strcmp(name, ea_iface_name((ea_iface)i)) == 0) {
			*out = (ea_iface)i;
			return true;
		}
	return false;
}

static bool loss_path(const char *db_path, char *out, size_t len)
{
	int n = snprintf(out, len, "%s" SUFFIX, db_path);
	return n > 0 && (size_t)n < len;
}

ea_status ea_stoploss_write(const char *db_path, int64_t run_id, uint64_t at_us,
			    const uint64_t records[EA_IFACE_COUNT], const uint64_t flows[EA_IFACE_COUNT],
			    char *errbuf, size_t errlen)
{
	char path[4096], shown[512];
	if (!loss_path(db_path, path, sizeof path))
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: path too long", ea_escape(db_path, shown, sizeof shown));
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0)
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: %s", ea_escape(path, shown, sizeof shown),
			       strerror(errno));
	char buf[512];
	size_t n = 0;
	for (int i = 0; i < EA_IFACE_COUNT; i++) {
		if (!records[i])
			continue;
		int k = snprintf(buf + n, sizeof buf - n, "run=%" PRId64 " iface=%s at_us=%" PRIu64 " records=%" PRIu64
				 " flows=%" PRIu64 "\n", run_id, ea_iface_name((ea_iface)i), at_us, records[i], flows[i]);
		if (k > 0 && (size_t)k < sizeof buf - n)
			n += (size_t)k;
	}
	/* One write(2): a crash leaves whole lines. */
	ssize_t w = write(fd, buf, n);
	int e = errno;
	bool synced = fsync(fd) == 0;
	close(fd);
	if (w != (ssize_t)n || !synced)
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: %s", ea_escape(path, shown, sizeof shown),
			       w != (ssize_t)n ? strerror(e) : "fsync failed");
	return EA_OK;
}

ea_status ea_stoploss_record(ea_store *st, const char *db_path, unsigned *recorded, unsigned *skipped,
			     char *errbuf, size_t errlen)
{
	*recorded = *skipped = 0;
	char path[4096], shown[512];
	if (!loss_path(db_path, path, sizeof path))
		return EA_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? EA_OK
				       : ea_fail(EA_ERR_IO, errbuf, errlen, "%s: %s", ea_escape(path, shown, sizeof shown),
						 strerror(errno));
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	}
	char line[256];
	ea_status s = EA_OK;
	while (s == EA_OK && fgets(line, sizeof line, f)) {
		int64_t run;
		char iface[16];
		uint64_t at, records, flows;
		int used = 0;
		ea_capture_stats cs = {0};
		if (sscanf(line, "run=%" SCNd64 " iface=%15s at_us=%" SCNu64 " records=%" SCNu64 " flows=%" SCNu64 "%n",
			   &run, iface, &at, &records, &flows, &used) != 5 || used <= 0 || (line[used] != '\n' && line[used]) ||
		    run <= 0 || !iface_from_name(iface, &cs.iface) || flows > records) {
			(*skipped)++;
			continue;
		}
		cs.start_us = cs.end_us = at;
		cs.stop_lost_records = records;
		cs.stop_lost_flows = flows;
		s = ea_store_add_capture_stats(st, run, &cs, errbuf, errlen);
		if (s == EA_OK)
			(*recorded)++;
	}
	fclose(f);
	if (s == EA_OK)
		s = ea_store_flush(st, errbuf, errlen);
	if (s != EA_OK) {
		*recorded = 0;
		return s;
	}
	if (unlink(path) != 0)
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s recorded, but not removed: %s",
			       ea_escape(path, shown, sizeof shown), strerror(errno));
	return EA_OK;
}
