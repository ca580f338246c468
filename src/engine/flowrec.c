/* flowrec.c — names for the flow record's enumerations. These strings are
 * stored in the database and are part of its public vocabulary. */
#include "engine/flowrec.h"

#include <string.h>

const char *ea_iface_name(ea_iface i)
{
	return i == EA_IFACE_INTERNAL ? "internal" : "external";
}

const char *ea_direction_source_name(ea_direction_source d)
{
	switch (d) {
	case EA_DIR_SYN: return "syn";
	case EA_DIR_FIRST_PACKET: return "first-packet";
	case EA_DIR_PORT: return "port";
	}
	return "?";
}

const char *ea_handshake_name(ea_handshake h)
{
	switch (h) {
	case EA_HS_NOT_TCP: return "";
	case EA_HS_ESTABLISHED: return "established";
	case EA_HS_REJECTED: return "rejected";
	case EA_HS_NO_ANSWER: return "no-answer";
	case EA_HS_MIDSTREAM: return "midstream";
	}
	return "?";
}

const char *ea_end_reason_name(ea_end_reason e)
{
	switch (e) {
	case EA_END_FIN: return "fin";
	case EA_END_RST: return "rst";
	case EA_END_IDLE: return "idle";
	case EA_END_EOF: return "eof";
	case EA_END_EVICTED: return "evicted";
	case EA_END_ACTIVE: return "active";
	case EA_END_SHUTDOWN: return "shutdown";
	}
	return "?";
}

const char *ea_proto_source_name(ea_proto_source s)
{
	switch (s) {
	case EA_PROTO_SRC_NONE: return "none";
	case EA_PROTO_SRC_DPI: return "dpi";
	case EA_PROTO_SRC_PAYLOAD: return "payload";
	case EA_PROTO_SRC_PORT: return "port";
	}
	return "?";
}
