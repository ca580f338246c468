/* filehash.h — SHA-256 of a whole file.
 *
 * Pipeline position: beside the pipeline, in main. Every capture and data
 * file an audit reads is fingerprinted, so a report says exactly which
 * bytes it was made from and the same capture is never stored twice. */
#ifndef EA_FILEHASH_H
#define EA_FILEHASH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Hashes the file at path in fixed-size reads. On EA_OK, hex holds 64
 * lowercase hex characters and a NUL, and *size the number of bytes read.
 * size may be NULL. On failure hex is the empty string and errbuf says
 * "path: reason": EA_ERR_IO when the file cannot be opened or read,
 * EA_ERR_NOMEM or EA_ERR_INTERNAL when libcrypto fails. */
ea_status ea_sha256_file(const char *path, char hex[65], uint64_t *size, char *errbuf, size_t errlen);

#endif
