/* fuzz_capture.c — libFuzzer harness for the whole pipeline on a capture
 * file's bytes: source → decode → frag → flow → classify → match (no
 * store), as `edgeaudit read` runs it.
 *
 * The input is written to a memfd and opened by its /proc/self/fd path,
 * so the capture module reads it exactly as it reads a file on disk. The
 * matrix, port signatures and site come from the repository and are
 * loaded once. Built and run by `make fuzz`.
 *
 * Creating an audit costs ~70 ms under ASan (nDPI's setup), which would
 * cap the fuzzer at ~15 inputs a second; so one audit reads AUDIT_REUSE
 * inputs, each ended with ea_audit_finish, as `edgeaudit read` reads
 * several captures with one audit. What survives between inputs (port
 * ranks, sweep clocks; ea_audit_finish empties the fragment reassembly
 * tables) is real cross-file state, but a crash
 * that needs it will not replay from its single input: set
 * EA_FUZZ_FRESH=1 to give every input a new audit. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/audit.h"

#ifndef EA_TOPDIR
#define EA_TOPDIR "."
#endif

/* Inputs one audit reads before it is freed and made anew. */
#define AUDIT_REUSE 200
/* Half the inputs (odd lengths) go to an audit whose flow tables hold
 * this few flows, so eviction at the cap is fuzzed too. */
#define SMALL_MAX_FLOWS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_capture: %s: %s\n", what, err);
	abort();
}

/* Loaded once and only read afterwards (a ruleset is immutable); the
 * process's one reference is never dropped. */
static const ea_ruleset *config(void)
{
	static const ea_ruleset *rs;
	char err[4096];
	if (rs)
		return rs;
	ea_ruleset_paths paths = {
		.matrix = EA_TOPDIR "/signatures/lync2013-edge.matrix",
		.portsigs = EA_TOPDIR "/signatures/ports.sig",
		.site = EA_TOPDIR "/pcaps/site.ini",
	};
	if (ea_ruleset_load(&paths, NULL, &rs, err, sizeof err) != EA_OK)
		die("ruleset", err);
	return rs;
}

/* The hook checks what the matcher promises for every flow it sees. */
static void on_flow(void *ctx, const ea_flow_record *rec, const ea_match_result *mr)
{
	(void)ctx;
	(void)rec;
	if ((unsigned)mr->verdict >= EA_VERDICT_COUNT)
		abort();
}

static ea_audit *new_audit(const ea_ruleset *rs, unsigned max_flows)
{
	char err[4096];
	ea_audit *a = NULL;
	ea_audit_config cfg = {
		.ruleset = rs,
		.store = NULL,
		.max_flows = max_flows,
		.hash_seed = 0x9e3779b97f4a7c15ULL, /* fixed: a crash must replay */
		.on_flow = on_flow,
	};
	if (ea_audit_new(&cfg, &a, err, sizeof err) != EA_OK)
		die("ea_audit_new", err);
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ea_audit *audits[2];
	static unsigned uses[2];
	static int fresh = -1;
	const ea_ruleset *rs = config();
	char err[4096], path[64];
	ea_source *src = NULL;

	if (fresh < 0) {
		const char *e = getenv("EA_FUZZ_FRESH");
		fresh = e && e[0] == '1';
	}
	unsigned k = size & 1;
	if (!audits[k])
		audits[k] = new_audit(rs, k ? SMALL_MAX_FLOWS : 0);
	ea_audit *a = audits[k];

	int fd = memfd_create("fuzz_capture", MFD_CLOEXEC);
	if (fd < 0)
		die("memfd_create", "failed");
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			die("write", "failed");
		off += (size_t)w;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

	if (ea_source_open_file(path, &src, err, sizeof err) == EA_OK) {
		ea_input_info info;
		memset(&info, 0, sizeof info);
		info.iface = EA_IFACE_EXTERNAL;
		info.path = path;
		ea_audit_read(a, src, EA_IFACE_EXTERNAL, &info, err, sizeof err);
		ea_source_close(src);
	}
	/* With no store, finishing can fail only if the code is wrong. */
	if (ea_audit_finish(a, err, sizeof err) != EA_OK)
		die("ea_audit_finish", err);
	if (fresh || ++uses[k] >= AUDIT_REUSE) {
		ea_audit_free(a);
		audits[k] = NULL;
		uses[k] = 0;
	}
	close(fd);
	return 0;
}
