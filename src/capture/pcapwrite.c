/* pcapwrite.c — classic pcap output (pcapwrite.h; pcap-savefile(5),
 * draft-ietf-opsawg-pcap). */
#include "capture/pcapwrite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"

struct ea_pcap_writer {
	FILE *f;
	int linktype;
	char path[512];  /* escaped, for messages */
};

static ea_status io_error(ea_pcap_writer *w, char *errbuf, size_t errlen)
{
	return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: %s", w->path, strerror(errno ? errno : EIO));
}

ea_status ea_pcap_writer_open(const char *path, int linktype, uint32_t snaplen, ea_pcap_writer **out,
			      char *errbuf, size_t errlen)
{
	*out = NULL;
	ea_pcap_writer *w = calloc(1, sizeof *w);
	if (!w)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	ea_escape(path, w->path, sizeof w->path);
	w->linktype = linktype;
	w->f = fopen(path, "wb");
	if (!w->f) {
		ea_status st = io_error(w, errbuf, errlen);
		free(w);
		return st;
	}
	/* Magic, version 2.4, thiszone and sigfigs 0, snaplen, link type:
	 * native order; the magic tells a reader which. */
	uint32_t magic = 0xa1b2c3d4u, lt = (uint32_t)linktype, zero = 0;
	uint16_t major = 2, minor = 4;
	bool ok = fwrite(&magic, 4, 1, w->f) == 1 && fwrite(&major, 2, 1, w->f) == 1 &&
		  fwrite(&minor, 2, 1, w->f) == 1 && fwrite(&zero, 4, 1, w->f) == 1 &&
		  fwrite(&zero, 4, 1, w->f) == 1 && fwrite(&snaplen, 4, 1, w->f) == 1 && fwrite(&lt, 4, 1, w->f) == 1;
	if (!ok) {
		ea_status st = io_error(w, errbuf, errlen);
		fclose(w->f);
		free(w);
		return st;
	}
	*out = w;
	return EA_OK;
}

ea_status ea_pcap_writer_frame(ea_pcap_writer *w, const ea_frame *frame, char *errbuf, size_t errlen)
{
	if (frame->linktype != w->linktype)
		return ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "%s: a frame of link type %d in a file of %d", w->path,
			       frame->linktype, w->linktype);
	uint32_t rec[4] = {(uint32_t)(frame->ts_us / 1000000u), (uint32_t)(frame->ts_us % 1000000u), frame->caplen,
			   frame->wirelen};
	if (fwrite(rec, sizeof rec, 1, w->f) != 1 ||
	    (frame->caplen && fwrite(frame->data, frame->caplen, 1, w->f) != 1))
		return io_error(w, errbuf, errlen);
	return EA_OK;
}

ea_status ea_pcap_writer_close(ea_pcap_writer *w, char *errbuf, size_t errlen)
{
	if (!w)
		return EA_OK;
	errno = 0;
	bool bad = ferror(w->f) != 0;
	bad |= fclose(w->f) != 0;
	ea_status st = bad ? io_error(w, errbuf, errlen) : EA_OK;
	free(w);
	return st;
}
