/* cmd_evidence.h — the `edgeaudit evidence` command: the packets of
 * chosen flows, copied out of the capture files their run read into one
 * pcap file. main.c dispatches to it; it parses its own options. */
#ifndef EA_CMD_EVIDENCE_H
#define EA_CMD_EVIDENCE_H

/* The command's --help text. */
extern const char ea_evidence_usage[];

/* Runs `evidence` with argv[0] = "evidence". Returns the exit code: 0 the
 * pcap written; 1 a runtime failure (no flow matched, a flow of a live
 * run, a capture missing, moved or changed, link types that one pcap
 * cannot hold, the database or the output); 2 a usage error. */
int ea_cmd_evidence(int argc, char **argv);

#endif
