/* textparse.c — value parsers for the data files; see textparse.h. */
#include "rules/textparse.h"
#include "util/ipproto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool ea_parse_transport(const char *s, uint8_t *out)
{
	if (strcasecmp(s, "tcp") == 0)
		*out = EA_IPPROTO_TCP;
	else if (strcasecmp(s, "udp") == 0)
		*out = EA_IPPROTO_UDP;
	else
		return false;
	return true;
}

const char *ea_transport_name(uint8_t transport)
{
	return transport == EA_IPPROTO_TCP ? "tcp" : transport == EA_IPPROTO_UDP ? "udp" : "?";
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
	while (ea_is_space(*p))
		p++;
	if (!parse_port(&p, lo)) {
		snprintf(why, whylen, "port '%s' is not a number from 1 to 65535", s);
		return false;
	}
	while (ea_is_space(*p))
		p++;
	*hi = *lo;
	if (*p == '-') {
		p++;
		while (ea_is_space(*p))
			p++;
		if (!parse_port(&p, hi)) {
			snprintf(why, whylen, "port range '%s': end is not a number from 1 to 65535", s);
			return false;
		}
		while (ea_is_space(*p))
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

/* Splits s in place at commas into trimmed items (an empty item stays as
 * ""). Stores at most max pointers; returns how many items there are,
 * which may be more than max, so the caller can say the list is too long. */
static unsigned split_list(char *s, const char **items, unsigned max)
{
	unsigned n = 0;
	for (;;) {
		char *comma = strchr(s, ',');
		if (comma)
			*comma = '\0';
		if (n < max)
			items[n] = ea_trim(s);
		n++;
		if (!comma)
			return n;
		s = comma + 1;
	}
}

bool ea_parse_name_list(ea_ini *ini, unsigned line, const char *value, const ea_list_spec *spec,
			ea_name_list *out)
{
	unsigned max = spec->max < EA_LIST_MAX_ITEMS ? spec->max : EA_LIST_MAX_ITEMS;
	out->n = 0;
	snprintf(out->buf, sizeof out->buf, "%s", value);
	if (*ea_trim(out->buf) == '\0') {
		ea_ini_error(ini, line, "%s: no %s", spec->label, spec->many);
		return false;
	}
	unsigned n = split_list(out->buf, out->items, max);
	if (n > max) {
		ea_ini_error(ini, line, "%s: more than %u %s", spec->label, max, spec->many);
		return false;
	}
	/* Every bad item on the line is reported, not just the first. */
	bool ok = true;
	for (unsigned i = 0; i < n; i++) {
		const char *item = out->items[i];
		char why[192];
		if (item[0] == '\0') {
			ea_ini_error(ini, line, "%s: empty %s in the list", spec->label, spec->one);
			ok = false;
			continue;
		}
		if (spec->name_max && !ea_is_name(item, spec->name_max)) {
			ea_ini_error(ini, line, "%s: '%s' is not a %s name", spec->label, item, spec->one);
			ok = false;
			continue;
		}
		if (spec->check && !spec->check(spec->arg, i, item, why, sizeof why)) {
			ea_ini_error(ini, line, "%s: %s", spec->label, why);
			ok = false;
			continue;
		}
		/* A repeat is harmless to a lookup but says the line is not
		 * what its author meant (a typo for another name). */
		for (unsigned k = 0; k < i; k++) {
			if (strcasecmp(out->items[k], item) == 0) {
				ea_ini_error(ini, line, "%s: %s '%s' is listed twice", spec->label, spec->one,
					     item);
				ok = false;
				break;
			}
		}
	}
	if (ok)
		out->n = n;
	return ok;
}
