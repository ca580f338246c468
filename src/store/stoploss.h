/* stoploss.h — what a sensor's stop could not write, kept beside the
 * database until the database can take it.
 *
 * A stop whose database is still locked, read-only or full at
 * --stop-timeout gives up the flow records it holds; the database is
 * exactly what cannot record that. So the stopping sensor writes a small
 * text file, DB-stoploss (DB the database's path), one line per
 * interface:
 *     run=RUN iface=external|internal at_us=µs records=N flows=M
 * (appended: several stops may fail before one start succeeds), and the
 * next `monitor` start records each line as a capture_stats row of that
 * run (stop_lost_records, stop_lost_flows; start_us = end_us = at_us),
 * commits, then removes the file. `report` then shows the loss in its
 * "Capture loss" section. A line that does not parse is skipped and said.
 * Position: store/, beside runlock. */
#ifndef EA_STOPLOSS_H
#define EA_STOPLOSS_H

#include <stddef.h>
#include <stdint.h>

#include "decode/packet.h"
#include "store/store.h"
#include "util/error.h"

/* Appends run_id's loss (per interface; interfaces with no record lost
 * are left out) to db_path's stoploss file, flushed and fsync'd.
 * EA_ERR_IO. */
ea_status ea_stoploss_write(const char *db_path, int64_t run_id, uint64_t at_us,
			    const uint64_t records[EA_IFACE_COUNT], const uint64_t flows[EA_IFACE_COUNT],
			    char *errbuf, size_t errlen);

/* Records db_path's stoploss file, if any, into st (committed) and
 * removes it; *recorded gets the number of rows written (lines that do
 * not parse are counted in *skipped). EA_OK without a file; EA_ERR_DB
 * (the file is kept for the next start); EA_ERR_IO. */
ea_status ea_stoploss_record(ea_store *st, const char *db_path, unsigned *recorded, unsigned *skipped,
			     char *errbuf, size_t errlen);

#endif
