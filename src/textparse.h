/* textparse.h — the small value parsers the data-file loaders share
 * (matrix, port signatures, site): transports, ports and port ranges,
 * names, comma-separated lists. Every number is range-checked; nothing
 * here allocates. Pipeline position: configuration loading. */
#ifndef EA_TEXTPARSE_H
#define EA_TEXTPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "tcp" → 6, "udp" → 17 (case-insensitive). */
bool ea_parse_transport(const char *s, uint8_t *out);
/* "tcp" / "udp" for 6 / 17, "?" otherwise. */
const char *ea_transport_name(uint8_t transport);

/* "443" or "50000-59999" (blanks allowed around '-'): ports 1-65535,
 * lo <= hi. On failure why says what is wrong. */
bool ea_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi, char *why, size_t whylen);

/* A name as data files use them for ids, roles and protocols: one or
 * more of A-Z a-z 0-9 _ - . and shorter than max (max counts the NUL). */
bool ea_is_name(const char *s, size_t max);

/* Splits s in place at commas into trimmed items (an empty item stays as
 * ""). Stores at most max pointers; returns how many items there are,
 * which may be more than max. */
unsigned ea_split_list(char *s, char **items, unsigned max);

#endif
