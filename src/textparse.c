/* textparse.c — value parsers for the data files; see textparse.h. */
#include "textparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool ea_parse_transport(const char *s, uint8_t *out)
{
	if (strcasecmp(s, "tcp") == 0)
		*out = 6;
	else if (strcasecmp(s, "udp") == 0)
		*out = 17;
	else
		return false;
	return true;
}

const char *ea_transport_name(uint8_t transport)
{
	return transport == 6 ? "tcp" : transport == 17 ? "udp" : "?";
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One port at *p; advances *p past it. strtoul alone would accept a sign,
 * leading blanks and "0x", so the first character is checked first. */
static bool parse_port(const char **p, uint16_t *out)
{
	if (**p < '0' || **p > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long v = strtoul(*p, &end, 10);
	if (errno == ERANGE || v < 1 || v > 65535)
		return false;
	*out = (uint16_t)v;
	*p = end;
	return true;
}

bool ea_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi, char *why, size_t whylen)
{
	const char *p = s;
	while (is_blank(*p))
		p++;
	if (!parse_port(&p, lo)) {
		snprintf(why, whylen, "port '%s' is not a number from 1 to 65535", s);
		return false;
	}
	while (is_blank(*p))
		p++;
	*hi = *lo;
	if (*p == '-') {
		p++;
		while (is_blank(*p))
			p++;
		if (!parse_port(&p, hi)) {
			snprintf(why, whylen, "port range '%s': end is not a number from 1 to 65535", s);
			return false;
		}
		while (is_blank(*p))
			p++;
	}
	if (*p != '\0') {
		snprintf(why, whylen, "port '%s' is not a port or a range lo-hi", s);
		return false;
	}
	if (*lo > *hi) {
		snprintf(why, whylen, "port range '%s' is empty (%u > %u)", s, *lo, *hi);
		return false;
	}
	return true;
}

bool ea_is_name(const char *s, size_t max)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '-' || c == '.';
		if (!ok)
			return false;
	}
	return n > 0 && n < max;
}

static char *trim(char *s)
{
	while (is_blank(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

unsigned ea_split_list(char *s, char **items, unsigned max)
{
	unsigned n = 0;
	for (;;) {
		char *comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		if (n < max)
			items[n] = trim(s);
		n++;
		if (!comma)
			return n;
		s = comma + 1;
	}
}
