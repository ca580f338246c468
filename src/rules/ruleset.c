/* ruleset.c — matrix + port signatures + site loaded, checked and hashed
 * as one immutable, reference-counted object (ruleset.h). */
#include "rules/ruleset.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/classify.h"
#include "util/ea_limits.h"
#include "util/escape.h"
#include "util/filehash.h"
#include "rules/ini.h"
#include "rules/textparse.h"

/* Each file's messages are gathered apart and joined file by file. */
#define FILE_MSG_SIZE 8192

struct ea_ruleset {
	/* The only field that changes after load: atomic, so references
	 * can be taken and dropped from any thread. */
	atomic_uint refs;
	uint64_t generation;
	ea_matrix matrix;
	ea_portsigs portsigs;
	ea_site site;
	bool have_site;
	ea_ruleset_file_info files[EA_RULESET_FILE_COUNT];
	char *paths[EA_RULESET_FILE_COUNT]; /* owned copies, files[i].path points here */
};

/* One data file's bytes, read once. */
typedef struct {
	char *data;
	size_t len;
} file_bytes;

/* A data file that cannot be read is a configuration problem like a
 * wrong line in it: exit 2, as for every other configuration error. */
static ea_status data_file_status(ea_status st)
{
	return st == EA_ERR_IO ? EA_ERR_CONFIG : st;
}

/* Reads the whole file at path into fb and hashes those bytes into info. */
static ea_status read_file(const char *path, file_bytes *fb, ea_ruleset_file_info *info, char *errbuf,
			   size_t errlen)
{
	char name[1024];
	FILE *f;
	ea_status st = ea_open_data_file(path, &f, errbuf, errlen);
	if (st != EA_OK)
		return st;
	size_t cap = 0;
	fb->data = NULL;
	fb->len = 0;
	for (;;) {
		if (fb->len == cap) {
			size_t ncap = cap ? 2 * cap : 64 * 1024;
			if (ncap > EA_MAX_DATA_FILE_BYTES + 1)
				ncap = EA_MAX_DATA_FILE_BYTES + 1;
			if (ncap == cap) {
				st = ea_fail(EA_ERR_CONFIG, errbuf, errlen,
					     "%s: larger than %u bytes: not a data file", ea_escape(path, name, sizeof name),
					     EA_MAX_DATA_FILE_BYTES);
				goto fail;
			}
			char *p = realloc(fb->data, ncap);
			if (!p) {
				st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
				goto fail;
			}
			fb->data = p;
			cap = ncap;
		}
		size_t n = fread(fb->data + fb->len, 1, cap - fb->len, f);
		fb->len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: cannot read: %s", ea_escape(path, name, sizeof name),
			     strerror(errno));
		goto fail;
	}
	fclose(f);
	ea_sha256 *h = ea_sha256_new();
	bool hashed = h && ea_sha256_update(h, fb->data, fb->len) && ea_sha256_final(h, info->sha256);
	ea_sha256_free(h);
	if (!hashed) {
		free(fb->data);
		fb->data = NULL;
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: cannot hash: libcrypto failed",
			       ea_escape(path, name, sizeof name));
	}
	info->size = fb->len;
	return EA_OK;
fail:
	fclose(f);
	free(fb->data);
	fb->data = NULL;
	return st;
}

/* A FILE over the bytes read, for the loaders (which take a FILE *). */
static ea_status open_bytes(const file_bytes *fb, FILE **f, char *errbuf, size_t errlen)
{
	/* fmemopen wants a buffer even for an empty file. */
	static char empty[1];
	*f = fmemopen(fb->len ? fb->data : empty, fb->len, "r");
	if (!*f)
		return ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
	return EA_OK;
}

/* What the loaders check beyond each file (textparse.h): protocol names
 * must be ones nDPI or our payload checks know (a misspelt name would
 * silently never match), and the signatures must cover the matrix's ports. */
typedef struct {
	ea_classifier *cls;
	const ea_portsigs *portsigs; /* NULL until loaded */
} check_ctx;

static bool protocol_known(void *arg, const char *name)
{
	const check_ctx *cc = arg;
	return ea_classifier_knows(cc->cls, name);
}

static bool ports_covered(void *arg, uint8_t transport, uint16_t lo, uint16_t hi, const char *const *protocols,
			  unsigned n, char *why, size_t whylen)
{
	const check_ctx *cc = arg;
	return ea_portsigs_cover(cc->portsigs, transport, lo, hi, protocols, n, why, whylen);
}

/* Appends one message (possibly several lines) to errbuf on a line of its own. */
static void append_message(char *errbuf, size_t errlen, const char *msg)
{
	size_t used = strnlen(errbuf, errlen);
	if (used + 1 < errlen)
		snprintf(errbuf + used, errlen - used, "%s%s", used ? "\n" : "", msg);
}

/* Keeps the first failure's status and every failure's message. */
static void note_failure(ea_status st, const char *msg, ea_status *first, char *errbuf, size_t errlen)
{
	if (st == EA_OK)
		return;
	append_message(errbuf, errlen, msg);
	if (*first == EA_OK)
		*first = st;
}

static void ruleset_free(ea_ruleset *rs)
{
	if (!rs)
		return;
	if (rs->have_site)
		ea_site_free(&rs->site);
	ea_portsigs_free(&rs->portsigs);
	ea_matrix_free(&rs->matrix);
	for (int i = 0; i < EA_RULESET_FILE_COUNT; i++)
		free(rs->paths[i]);
	free(rs);
}

/* Reads one file (if given) and keeps its path and hash in rs. */
static ea_status read_one(ea_ruleset *rs, ea_ruleset_file which, const char *path, file_bytes *fb, char *msg,
			  size_t msglen)
{
	if (!path)
		return EA_OK;
	rs->paths[which] = strdup(path);
	if (!rs->paths[which])
		return ea_fail(EA_ERR_NOMEM, msg, msglen, "out of memory");
	rs->files[which].path = rs->paths[which];
	return read_file(path, fb, &rs->files[which], msg, msglen);
}

/* Reads one file once (if given) and parses it from those bytes: the
 * loaders take a FILE *, the bytes are handed over as one. The site is
 * judged by the matrix in rs, whole or as far as it loaded. */
static ea_status load_one(ea_ruleset *rs, ea_ruleset_file which, const char *path, file_bytes *fb,
			  const ea_load_checks *checks, char *msg, size_t msglen)
{
	ea_status st = data_file_status(read_one(rs, which, path, fb, msg, msglen));
	if (st != EA_OK || !path)
		return st;
	FILE *f;
	st = open_bytes(fb, &f, msg, msglen);
	if (st != EA_OK)
		return data_file_status(st);
	switch (which) {
	case EA_RULESET_MATRIX:
		st = ea_matrix_load_checked(f, path, checks, &rs->matrix, msg, msglen);
		break;
	case EA_RULESET_PORTSIGS:
		st = ea_portsigs_load_checked(f, path, checks, &rs->portsigs, msg, msglen);
		break;
	case EA_RULESET_SITE:
		st = ea_site_load(f, path, &rs->matrix, &rs->site, msg, msglen);
		break;
	case EA_RULESET_LOCAL:
		st = ea_matrix_load_local(f, path, rs->paths[EA_RULESET_MATRIX], checks, &rs->matrix, msg, msglen);
		break;
	default:
		st = ea_fail(EA_ERR_INTERNAL, msg, msglen, "%s: no loader for this file", path);
		break;
	}
	fclose(f);
	return data_file_status(st);
}

/* The problems of all three files are reported at once, file by file
 * (matrix, signatures, site), each in line order: a mistake in one file
 * does not hide those in another. The signatures are parsed first, so
 * the matrix's rows can be checked against them; the site file needs the
 * matrix's roles. */
ea_status ea_ruleset_load(const ea_ruleset_paths *paths, const ea_ruleset *previous, const ea_ruleset **out,
			  char *errbuf, size_t errlen)
{
	ea_status first = EA_OK, st, ports_st = EA_OK;
	file_bytes fb[EA_RULESET_FILE_COUNT] = {{0}};
	check_ctx cc = {0};
	bool have_matrix = false, partial_matrix = false, have_portsigs = false;
	char *msg = calloc(EA_RULESET_FILE_COUNT, FILE_MSG_SIZE);
	ea_ruleset *rs = calloc(1, sizeof *rs);
	*out = NULL;
	errbuf[0] = '\0';
	if (!msg || !rs) {
		first = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "out of memory");
		goto done;
	}
	char *matrix_msg = msg + EA_RULESET_MATRIX * FILE_MSG_SIZE, *ports_msg = msg + EA_RULESET_PORTSIGS * FILE_MSG_SIZE,
	     *site_msg = msg + EA_RULESET_SITE * FILE_MSG_SIZE, *local_msg = msg + EA_RULESET_LOCAL * FILE_MSG_SIZE;

	st = ea_classifier_new(NULL, &cc.cls, errbuf, errlen);
	if (st != EA_OK) {
		first = st;
		goto done;
	}
	char authority[64];
	snprintf(authority, sizeof authority, "nDPI %s", ea_classifier_ndpi_version());
	ea_load_checks checks = {
		.protocol_known = protocol_known, .protocol_authority = authority, .arg = &cc,
		.keep_on_error = true,
	};

	if (paths->portsigs) {
		ports_st = load_one(rs, EA_RULESET_PORTSIGS, paths->portsigs, &fb[EA_RULESET_PORTSIGS], &checks,
				    ports_msg, FILE_MSG_SIZE);
		have_portsigs = ports_st == EA_OK;
	}
	if (have_portsigs) {
		cc.portsigs = &rs->portsigs;
		checks.ports_covered = ports_covered;
	}
	st = load_one(rs, EA_RULESET_MATRIX, paths->matrix, &fb[EA_RULESET_MATRIX], &checks, matrix_msg,
		      FILE_MSG_SIZE);
	have_matrix = st == EA_OK;
	partial_matrix = st == EA_ERR_CONFIG && rs->matrix.n_roles > 0;
	note_failure(st, matrix_msg, &first, errbuf, errlen);
	note_failure(ports_st, ports_msg, &first, errbuf, errlen);
	bool local_failed = false;
	if (paths->local && have_matrix) {
		/* The site's rows name the matrix's roles and must not reuse
		 * its ids: they are judged against the whole matrix. */
		st = load_one(rs, EA_RULESET_LOCAL, paths->local, &fb[EA_RULESET_LOCAL], &checks, local_msg,
			      FILE_MSG_SIZE);
		local_failed = st != EA_OK;
		note_failure(st, local_msg, &first, errbuf, errlen);
	} else if (paths->local) {
		snprintf(local_msg, FILE_MSG_SIZE, "%s: not checked: the matrix did not load", paths->local);
		note_failure(EA_ERR_CONFIG, local_msg, &first, errbuf, errlen);
	}
	if (paths->site && (have_matrix || partial_matrix)) {
		/* A matrix with errors still declares roles: the site file's
		 * own mistakes are listed too (every problem of every file),
		 * judged by the roles that loaded. */
		st = load_one(rs, EA_RULESET_SITE, paths->site, &fb[EA_RULESET_SITE], &checks, site_msg,
			      FILE_MSG_SIZE);
		rs->have_site = st == EA_OK;
		if (st == EA_ERR_CONFIG && partial_matrix) {
			size_t used = strlen(site_msg);
			snprintf(site_msg + used, FILE_MSG_SIZE - used,
				 "\n%s: (checked against the roles that loaded from %s, which has errors)",
				 paths->site, paths->matrix);
		} else if (st == EA_ERR_CONFIG && local_failed) {
			size_t used = strlen(site_msg);
			snprintf(site_msg + used, FILE_MSG_SIZE - used,
				 "\n%s: (checked against the roles that loaded from %s, which has errors)",
				 paths->site, paths->local);
		}
		note_failure(st, site_msg, &first, errbuf, errlen);
	} else if (paths->site) {
		/* Its role names mean nothing without the matrix's roles. */
		snprintf(site_msg, FILE_MSG_SIZE, "%s: not checked: the matrix did not load", paths->site);
		note_failure(EA_ERR_CONFIG, site_msg, &first, errbuf, errlen);
	}
	if (first == EA_OK) {
		ea_site_apply_profile(rs->have_site ? &rs->site : NULL, &rs->matrix);
		rs->generation = previous ? previous->generation + 1 : 1;
		atomic_init(&rs->refs, 1);
		*out = rs;
		rs = NULL;
	}
done:
	/* On failure the matrix may be left as far as it loaded (its roles,
	 * keep_on_error); ea_matrix_free frees any part of it. */
	ruleset_free(rs);
	ea_classifier_free(cc.cls);
	for (int i = 0; i < EA_RULESET_FILE_COUNT; i++)
		free(fb[i].data);
	free(msg);
	return first;
}

const ea_ruleset *ea_ruleset_ref(const ea_ruleset *rs)
{
	/* The count is the one mutable part of an immutable object, which
	 * was allocated writable by ea_ruleset_load. Relaxed: the caller
	 * already holds a reference, so the object cannot go meanwhile. */
	atomic_fetch_add_explicit(&((ea_ruleset *)rs)->refs, 1, memory_order_relaxed);
	return rs;
}

void ea_ruleset_unref(const ea_ruleset *rs)
{
	if (!rs)
		return;
	ea_ruleset *w = (ea_ruleset *)rs;
	/* Release: this holder's reads happen before the free; acquire (in
	 * the thread that frees): every other holder's reads too. */
	if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) == 1)
		ruleset_free(w);
}

const ea_matrix *ea_ruleset_matrix(const ea_ruleset *rs)
{
	return &rs->matrix;
}

const ea_portsigs *ea_ruleset_portsigs(const ea_ruleset *rs)
{
	return &rs->portsigs;
}

const ea_site *ea_ruleset_site(const ea_ruleset *rs)
{
	return rs->have_site ? &rs->site : NULL;
}

const ea_ruleset_file_info *ea_ruleset_file_get(const ea_ruleset *rs, ea_ruleset_file which)
{
	return &rs->files[which];
}

uint64_t ea_ruleset_generation(const ea_ruleset *rs)
{
	return rs->generation;
}
