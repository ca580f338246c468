/* source_pcap.c — capture files through libpcap (pcap and pcapng).
 * The only module that includes <pcap.h>. */
#include "source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

struct ea_source {
	pcap_t *pcap;
	char *path;
	uint64_t number;
	bool truncated;
	int linktype;
};

ea_status ea_source_open_file(const char *path, ea_source **out, char *errbuf, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	FILE *f = fopen(path, "rb");
	if (!f)
		return ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
	/* Microsecond timestamps whatever the file's precision: the whole
	 * pipeline counts in microseconds. */
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p) {
		fclose(f);
		return ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s: not a capture libpcap can read: %s", path, perr);
	}
	ea_source *s = calloc(1, sizeof *s);
	if (!s || !(s->path = strdup(path))) {
		free(s);
		pcap_close(p);
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	}
	s->pcap = p;
	s->linktype = pcap_datalink(p);
	*out = s;
	return EA_OK;
}

ea_source_result ea_source_next(ea_source *s, ea_frame *frame, char *errbuf, size_t errlen)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int rc = pcap_next_ex(s->pcap, &hdr, &data);
	if (rc == 1) {
		s->number++;
		frame->ts_us = (uint64_t)hdr->ts.tv_sec * 1000000u + (uint64_t)hdr->ts.tv_usec;
		frame->caplen = hdr->caplen;
		frame->wirelen = hdr->len;
		frame->linktype = s->linktype;
		frame->data = data;
		frame->number = s->number;
		return EA_SOURCE_FRAME;
	}
	if (rc == PCAP_ERROR_BREAK)
		return EA_SOURCE_END;
	const char *why = pcap_geterr(s->pcap);
	/* libpcap reports a record cut short at the end of the file as an
	 * error; for an auditor it is the end of that file, with a warning. */
	if (strstr(why, "truncated")) {
		s->truncated = true;
		ea_fail(EA_OK, errbuf, errlen, "%s: file ends inside record %llu (%s); %llu records read",
			s->path, (unsigned long long)s->number + 1, why, (unsigned long long)s->number);
		return EA_SOURCE_END;
	}
	ea_fail(EA_ERR_FORMAT, errbuf, errlen, "%s: record %llu: %s", s->path,
		(unsigned long long)s->number + 1, why);
	return EA_SOURCE_ERROR;
}

bool ea_source_truncated(const ea_source *s)
{
	return s->truncated;
}

int ea_source_linktype(const ea_source *s)
{
	return s->linktype;
}

uint64_t ea_source_position(const ea_source *s)
{
	FILE *f = s ? pcap_file(s->pcap) : NULL;
	off_t pos = f ? ftello(f) : -1;
	return pos > 0 ? (uint64_t)pos : 0;
}

void ea_source_close(ea_source *s)
{
	if (!s)
		return;
	pcap_close(s->pcap);
	free(s->path);
	free(s);
}

const char *ea_source_linktype_name(int linktype)
{
	/* LINKTYPE_USER0..15 (147-162, "reserved for private use" in the
	 * tcpdump.org link-layer header types list) have no entry in
	 * libpcap's name table. */
	static const char *const user[16] = {
		"USER0", "USER1", "USER2", "USER3", "USER4", "USER5", "USER6", "USER7",
		"USER8", "USER9", "USER10", "USER11", "USER12", "USER13", "USER14", "USER15",
	};
	/* ea_frame.linktype is what pcap_datalink gives: already a DLT_. */
	const char *name = pcap_datalink_val_to_name(linktype);
	if (!name && linktype >= DLT_USER0 && linktype <= DLT_USER15)
		name = user[linktype - DLT_USER0];
	return name;
}
