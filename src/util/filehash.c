/* filehash.c — streaming SHA-256 of a file through libcrypto's EVP API.
 *
 * Captures run to gigabytes, so the file is read in fixed-size chunks and
 * never held whole in memory. */
#include "util/filehash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define SHA256_LEN 32
/* Large enough that read() calls do not dominate on big captures, small
 * enough to live on the stack. */
#define READ_CHUNK 65536

/* The EVP context is the whole state; the struct only gives it our name. */
struct ea_sha256 {
	EVP_MD_CTX *ctx;
};

static void to_hex(const unsigned char *md, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < SHA256_LEN; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[2 * SHA256_LEN] = '\0';
}

ea_sha256 *ea_sha256_new(void)
{
	ea_sha256 *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)) {
		ea_sha256_free(h);
		return NULL;
	}
	return h;
}

bool ea_sha256_update(ea_sha256 *h, const void *data, size_t len)
{
	return len == 0 || EVP_DigestUpdate(h->ctx, data, len) == 1;
}

bool ea_sha256_final(ea_sha256 *h, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	hex[0] = '\0';
	if (!EVP_DigestFinal_ex(h->ctx, md, &mdlen) || mdlen != SHA256_LEN)
		return false;
	to_hex(md, hex);
	return true;
}

void ea_sha256_free(ea_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

ea_status ea_sha256_file(const char *path, char hex[65], uint64_t *size, char *errbuf, size_t errlen)
{
	ea_status st = EA_OK;
	FILE *f = NULL;
	EVP_MD_CTX *ctx = NULL;
	uint64_t total = 0;
	unsigned char buf[READ_CHUNK];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	hex[0] = '\0';
	f = fopen(path, "rb");
	if (!f) {
		st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory for SHA-256", path);
		goto out;
	}
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		st = ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "%s: SHA-256 unavailable in libcrypto", path);
		goto out;
	}
	errno = 0;
	for (;;) {
		size_t n = fread(buf, 1, sizeof buf, f);
		if (n > 0) {
			if (!EVP_DigestUpdate(ctx, buf, n)) {
				st = ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "%s: SHA-256 update failed", path);
				goto out;
			}
			total += n;
		}
		if (n < sizeof buf)
			break;
	}
	/* fread folds a read error into a short count; ferror tells them apart
	 * (reading a directory ends here with EISDIR). */
	if (ferror(f)) {
		st = ea_fail(EA_ERR_IO, errbuf, errlen, "%s: %s", path,
			     errno ? strerror(errno) : "read error");
		goto out;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != SHA256_LEN) {
		st = ea_fail(EA_ERR_INTERNAL, errbuf, errlen, "%s: SHA-256 finalisation failed", path);
		goto out;
	}
	to_hex(md, hex);
	if (size)
		*size = total;
out:
	EVP_MD_CTX_free(ctx);
	if (f)
		fclose(f);
	return st;
}
