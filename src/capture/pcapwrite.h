/* pcapwrite.h — writes frames to a classic pcap file (the libpcap format
 * of pcap-savefile(5), microsecond timestamps, this machine's byte order),
 * which Wireshark, tcpdump and every capture tool read.
 *
 * Pipeline position: beside the pipeline: `evidence` copies chosen frames
 * of capture files out through it. Each record keeps the frame's own
 * captured and wire lengths, so a frame cut by the original snap length
 * stays cut, and shows so. One link type per file (the format holds one). */
#ifndef EA_PCAPWRITE_H
#define EA_PCAPWRITE_H

#include <stdint.h>

#include "decode/packet.h"
#include "util/error.h"

typedef struct ea_pcap_writer ea_pcap_writer;

/* Creates (or truncates) path and writes the file header for linktype
 * (a LINKTYPE_* value) and snaplen (bytes). EA_ERR_IO "path: reason",
 * EA_ERR_NOMEM. The caller owns *out (ea_pcap_writer_close). */
ea_status ea_pcap_writer_open(const char *path, int linktype, uint32_t snaplen, ea_pcap_writer **out,
			      char *errbuf, size_t errlen);
/* Appends one record: frame->ts_us, caplen, wirelen and data. A frame of
 * another link type than the file's is EA_ERR_INTERNAL (the caller checks
 * first); a failed write EA_ERR_IO. */
ea_status ea_pcap_writer_frame(ea_pcap_writer *w, const ea_frame *frame, char *errbuf, size_t errlen);
/* Flushes and closes; EA_ERR_IO when the data could not all be written.
 * NULL is fine. */
ea_status ea_pcap_writer_close(ea_pcap_writer *w, char *errbuf, size_t errlen);

#endif
