/* portsig.c — loads the port signatures (signatures/ports.sig) and looks
 * ports up in them; see portsig.h.
 *
 * Entries are kept sorted by (transport, lo) and may not overlap, so a
 * lookup is one binary search and never has to choose between two
 * answers. Pipeline position: configuration loading; the classifier and
 * direction inference read the result. */
#include "rules/portsig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/ini.h"
#include "rules/textparse.h"

/* "tcp/443" or "udp/50000-59999". */
static bool parse_key(ea_ini *ini, const ea_ini_item *it, ea_port_sig *sig)
{
	const char *slash = strchr(it->key, '/');
	char transport[8];
	size_t tl = slash ? (size_t)(slash - it->key) : 0;
	if (!slash || tl >= sizeof transport) {
		ea_ini_error(ini, it->line, "'%s' is not TRANSPORT/PORT (e.g. tcp/443)", it->key);
		return false;
	}
	memcpy(transport, it->key, tl);
	transport[tl] = '\0';
	if (!ea_parse_transport(transport, &sig->transport)) {
		ea_ini_error(ini, it->line, "transport '%s' is not tcp or udp", transport);
		return false;
	}
	char why[160];
	if (!ea_parse_port_range(slash + 1, &sig->lo, &sig->hi, why, sizeof why)) {
		ea_ini_error(ini, it->line, "%s", why);
		return false;
	}
	return true;
}

static bool parse_protocols(ea_ini *ini, const ea_load_checks *checks, const ea_ini_item *it,
			    ea_port_sig *sig)
{
	const ea_list_spec spec = {
		.label = it->key, .one = "protocol", .many = "protocols",
		.max = EA_MAX_PROTOCOLS_PER_ENTRY, .name_max = EA_NAME_MAX,
	};
	ea_name_list list;
	if (!ea_parse_name_list(ini, it->line, it->value, &spec, &list))
		return false;
	bool known = true;
	for (unsigned i = 0; i < list.n; i++) {
		if (checks && checks->protocol_known && !checks->protocol_known(checks->arg, list.items[i])) {
			ea_ini_error(ini, it->line, "%s: protocol '%s' is unknown to %s", it->key, list.items[i],
				     checks->protocol_authority ? checks->protocol_authority : "the classifier");
			known = false;
		}
	}
	if (!known)
		return false;
	for (unsigned i = 0; i < list.n; i++)
		snprintf(sig->protocols[i], EA_NAME_MAX, "%s", list.items[i]);
	sig->n_protocols = list.n;
	return true;
}

static int sig_cmp(const void *a, const void *b)
{
	const ea_port_sig *x = a, *y = b;
	if (x->transport != y->transport)
		return x->transport < y->transport ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	/* Equal starts: keep file order, so the message names the later line. */
	return x->line < y->line ? -1 : x->line > y->line;
}

ea_status ea_portsigs_load(FILE *f, const char *file_name, ea_portsigs *ps, char *errbuf, size_t errlen)
{
	return ea_portsigs_load_checked(f, file_name, NULL, ps, errbuf, errlen);
}

ea_status ea_portsigs_load_checked(FILE *f, const char *file_name, const ea_load_checks *checks,
				   ea_portsigs *ps, char *errbuf, size_t errlen)
{
	memset(ps, 0, sizeof *ps);
	if (errbuf && errlen)
		errbuf[0] = '\0';
	ea_status st = EA_OK;
	ea_ini *ini = ea_ini_open(f, file_name);
	ps->sigs = calloc(EA_MAX_PORT_SIGNATURES, sizeof *ps->sigs);
	if (!ini || !ps->sigs) {
		st = ea_fail(EA_ERR_NOMEM, errbuf, errlen, "%s: out of memory", file_name);
		goto out;
	}

	ea_ini_item it;
	bool in_ports = false, full = false;
	while (ea_ini_next(ini, &it)) {
		if (it.kind == EA_INI_SECTION) {
			in_ports = strcmp(it.section, "ports") == 0 && it.name[0] == '\0';
			if (!in_ports)
				ea_ini_error(ini, it.line, "unknown section [%s%s%s] (expected [ports])",
					     it.section, it.name[0] ? " " : "", it.name);
			continue;
		}
		if (!in_ports) {
			if (it.section[0] == '\0')
				ea_ini_error(ini, it.line, "'%s' is outside the [ports] section", it.key);
			continue;
		}
		if (ps->n >= EA_MAX_PORT_SIGNATURES) {
			if (!full)
				ea_ini_error(ini, it.line, "more than %d port signatures",
					     EA_MAX_PORT_SIGNATURES);
			full = true;
			continue;
		}
		ea_port_sig *sig = &ps->sigs[ps->n];
		memset(sig, 0, sizeof *sig);
		sig->line = it.line;
		/* Both halves are checked, so each reports its own mistakes. */
		bool key_ok = parse_key(ini, &it, sig);
		if (parse_protocols(ini, checks, &it, sig) && key_ok)
			ps->n++;
	}

	qsort(ps->sigs, ps->n, sizeof *ps->sigs, sig_cmp);
	/* Sorted by start, an entry overlaps an earlier one exactly when it
	 * starts at or below the furthest end seen so far on its transport
	 * (a wide entry may cover several later ones, not just its neighbour). */
	const ea_port_sig *reach = NULL;
	for (unsigned i = 0; i < ps->n; i++) {
		const ea_port_sig *b = &ps->sigs[i];
		if (reach && reach->transport == b->transport && b->lo <= reach->hi) {
			/* Blame the entry written later: that is where the conflict was introduced. */
			const ea_port_sig *later = b->line > reach->line ? b : reach;
			const ea_port_sig *earlier = later == b ? reach : b;
			ea_ini_error(ini, later->line, "%s/%u-%u overlaps %s/%u-%u at line %u",
				     ea_transport_name(later->transport), later->lo, later->hi,
				     ea_transport_name(earlier->transport), earlier->lo, earlier->hi, earlier->line);
		}
		if (!reach || reach->transport != b->transport || b->hi > reach->hi)
			reach = b;
	}
	/* An empty file would make every port unknown without a word. */
	if (ps->n == 0 && ea_ini_error_count(ini) == 0)
		ea_ini_error(ini, 0, "no port signatures (expected [ports] and TRANSPORT/PORT = PROTOCOL lines)");
	if (ea_ini_error_count(ini)) {
		ea_ini_errors(ini, errbuf, errlen);
		st = EA_ERR_CONFIG;
	}
out:
	ea_ini_close(ini);
	if (st != EA_OK)
		ea_portsigs_free(ps);
	return st;
}

void ea_portsigs_free(ea_portsigs *ps)
{
	free(ps->sigs);
	memset(ps, 0, sizeof *ps);
}

const ea_port_sig *ea_portsigs_lookup(const ea_portsigs *ps, uint8_t transport, uint16_t port)
{
	if (!ps || ps->n == 0)
		return NULL;
	/* The last entry starting at or before (transport, port). */
	unsigned lo = 0, hi = ps->n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const ea_port_sig *s = &ps->sigs[mid];
		if (s->transport < transport || (s->transport == transport && s->lo <= port))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const ea_port_sig *s = &ps->sigs[lo - 1];
	return s->transport == transport && port >= s->lo && port <= s->hi ? s : NULL;
}

bool ea_portsigs_cover(const ea_portsigs *ps, uint8_t transport, uint16_t lo, uint16_t hi,
		       const char *const *protocols, unsigned n, char *why, size_t whylen)
{
	/* Entry by entry rather than port by port: a 10,000-port range is a
	 * handful of lookups. */
	uint32_t p = lo;
	while (p <= hi) {
		const ea_port_sig *s = ea_portsigs_lookup(ps, transport, (uint16_t)p);
		if (!s) {
			snprintf(why, whylen, "%s/%u has no port signature", ea_transport_name(transport),
				 (unsigned)p);
			return false;
		}
		bool shared = false;
		for (unsigned k = 0; k < n && !shared; k++)
			shared = ea_port_sig_has(s, protocols[k]);
		if (!shared) {
			snprintf(why, whylen, "%s/%u: its port signature (line %u) lists none of the row's protocols",
				 ea_transport_name(transport), (unsigned)p, s->line);
			return false;
		}
		p = (uint32_t)s->hi + 1;
	}
	return true;
}

bool ea_port_sig_has(const ea_port_sig *sig, const char *name)
{
	if (!sig || !name)
		return false;
	for (unsigned i = 0; i < sig->n_protocols; i++)
		if (strcasecmp(sig->protocols[i], name) == 0)
			return true;
	return false;
}
