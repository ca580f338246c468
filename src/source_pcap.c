/* source_pcap.c — what edgeaudit takes from libpcap: link-type names
 * today, live capture next. Capture files are read by capfile.c (libpcap
 * 1.10 cannot read a pcapng whose interfaces differ).
 * The only module that includes <pcap.h>. */
#include "source.h"

#include <pcap/pcap.h>

const char *ea_source_linktype_name(int linktype)
{
	/* LINKTYPE_USER0..15 (147-162, "reserved for private use" in the
	 * tcpdump.org link-layer header types list) have no entry in
	 * libpcap's name table. */
	static const char *const user[16] = {
		"USER0", "USER1", "USER2", "USER3", "USER4", "USER5", "USER6", "USER7",
		"USER8", "USER9", "USER10", "USER11", "USER12", "USER13", "USER14", "USER15",
	};
	/* ea_frame.linktype is the file's LINKTYPE_ value; libpcap names DLT_
	 * values, the same numbers except for these four (pcap-linktype(7)). */
	static const char *const low[4] = {"ATM_RFC1483", "RAW", "SLIP_BSDOS", "PPP_BSDOS"};
	if (linktype >= 100 && linktype <= 103)
		return low[linktype - 100];
	const char *name = pcap_datalink_val_to_name(linktype);
	if (!name && linktype >= DLT_USER0 && linktype <= DLT_USER15)
		name = user[linktype - DLT_USER0];
	return name;
}
