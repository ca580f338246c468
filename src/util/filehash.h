/* filehash.h — SHA-256 of a whole file.
 *
 * Pipeline position: beside the pipeline, in main. Every capture and data
 * file an audit reads is fingerprinted, so a report says exactly which
 * bytes it was made from and the same capture is never stored twice. */
#ifndef EA_FILEHASH_H
#define EA_FILEHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Hashes the file at path in fixed-size reads. On EA_OK, hex holds 64
 * lowercase hex characters and a NUL, and *size the number of bytes read.
 * size may be NULL. On failure hex is the empty string and errbuf says
 * "path: reason": EA_ERR_IO when the file cannot be opened or read,
 * EA_ERR_NOMEM or EA_ERR_INTERNAL when libcrypto fails. */
ea_status ea_sha256_file(const char *path, char hex[65], uint64_t *size, char *errbuf, size_t errlen);

/* The same hash fed piece by piece, for a capture that can be read only
 * once (a pipe, stdin): the capture reader hashes each byte as it reads
 * it. ea_sha256_new gives NULL when libcrypto cannot allocate; the caller
 * owns the context and frees it with ea_sha256_free (NULL is fine).
 * ea_sha256_update returns false when libcrypto fails (the hash is then
 * unusable). ea_sha256_final writes 64 lowercase hex characters and a
 * NUL into hex, or the empty string on failure (false); the context can
 * then only be freed. */
typedef struct ea_sha256 ea_sha256;
ea_sha256 *ea_sha256_new(void);
bool ea_sha256_update(ea_sha256 *h, const void *data, size_t len);
bool ea_sha256_final(ea_sha256 *h, char hex[65]);
void ea_sha256_free(ea_sha256 *h);

#endif
