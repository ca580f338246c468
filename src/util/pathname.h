/* pathname.h — the last component of a path, as reports and the inputs
 * table name a file: the folder a capture was read from says nothing of
 * the evidence and differs between the machines that read it. */
#ifndef EA_PATHNAME_H
#define EA_PATHNAME_H

#include <string.h>

/* Points into path (no copy): the part after the last '/', or path itself
 * when there is none or it ends with '/'. NULL stays NULL. */
static inline const char *ea_base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;
	return slash && slash[1] ? slash + 1 : path;
}

#endif
