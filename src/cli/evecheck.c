/* evecheck.c — the --eve file is none of a command's inputs (evecheck.h). */
#include "cli/evecheck.h"

#include "util/escape.h"
#include "util/samefile.h"

ea_status ea_eve_check_not_input(const char *eve, const ea_eve_inputs *in, char *errbuf, size_t errlen)
{
	if (!eve || !in)
		return EA_OK;
	/* Not standard output: read prints its summary there, and a sensor's
	 * stdout is the journal; a file named '-' is never what was meant. */
	if (eve[0] == '-' && eve[1] == '\0')
		return ea_fail(EA_ERR_USAGE, errbuf, errlen,
			       "--eve -: standard output is not an EVE destination (read prints its summary "
			       "there); give a file name (./- for a file named '-')");
	const char *what = NULL;
	const char *const named[][2] = {{"--db", in->db}, {"--site", in->site}, {"--matrix", in->matrix},
					{"--ports", in->ports}, {"--local", in->local}};
	for (size_t i = 0; i < sizeof named / sizeof named[0] && !what; i++)
		if (named[i][1] && ea_same_file(eve, named[i][1]))
			what = named[i][0];
	for (unsigned i = 0; i < in->n_captures && !what; i++)
		if (ea_same_file(eve, in->captures[i].path))
			what = in->captures[i].iface == EA_IFACE_EXTERNAL ? "--external" : "--internal";
	if (!what)
		return EA_OK;
	char shown[512];
	return ea_fail(EA_ERR_USAGE, errbuf, errlen,
		       "--eve '%s' is also given as %s: the EVE output must be a file of its own",
		       ea_escape(eve, shown, sizeof shown), what);
}
