/* fuzz_source.c — libFuzzer harness for the capture-file reader alone
 * (capfile.c): pcap and pcapng headers, blocks, options and records in
 * any byte order, as `edgeaudit read` meets them in a file or a pipe.
 *
 * The input is written to a memfd and opened by its /proc/self/fd path;
 * inputs of odd length go through the stream path (hashed while read,
 * then ea_source_digest), even ones through the file path. Every frame's
 * bytes are touched, so a frame pointing outside the reader's buffer is
 * caught by ASan, and what the reader promises is checked: captured
 * length within the cap, time within 0 … EA_MAX_TIME_US, no time for a
 * frame that has none. Built and run by `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/ea_limits.h"
#include "capture/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024], path[64], hex[65];
	ea_source *src = NULL;
	int fd = memfd_create("fuzz_source", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	bool stream = size & 1;
	ea_status st = stream ? ea_source_open_stream(path, &src, err, sizeof err)
			      : ea_source_open_file(path, &src, err, sizeof err);
	if (st == EA_OK) {
		ea_frame fr;
		volatile uint8_t sink = 0;
		while (ea_source_next(src, &fr, err, sizeof err) == EA_SOURCE_FRAME) {
			if (fr.caplen > EA_CAPTURE_MAX_CAPLEN || fr.ts_us > EA_MAX_TIME_US ||
			    (!fr.ts_known && fr.ts_us != 0) || (fr.ts_fault == EA_TS_OWN && !fr.ts_known))
				abort();
			for (uint32_t i = 0; i < fr.caplen; i++)
				sink ^= fr.data[i];
		}
		(void)sink;
		if (stream) {
			uint64_t n = 0;
			if (ea_source_digest(src, hex, &n, err, sizeof err) != EA_OK || n != size)
				abort();
		}
	}
	ea_source_close(src);
	close(fd);
	return 0;
}
