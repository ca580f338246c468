/* samefile.c — whether two paths name one file (samefile.h). */
#include "util/samefile.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* dir(path)/base(path) with dir resolved by realpath(3) into out
 * (PATH_MAX bytes); false when the directory cannot be resolved. */
static bool resolve_parent(const char *path, char *out)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	const char *base = slash ? slash + 1 : path;
	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else if ((size_t)(slash - path) < sizeof dir)
		memcpy(dir, path, (size_t)(slash - path)), dir[slash - path] = '\0';
	else
		return false;
	char real[PATH_MAX];
	if (!realpath(dir, real) || strlen(real) + 1 + strlen(base) >= PATH_MAX)
		return false;
	strcpy(out, real);
	strcat(out, "/");
	strcat(out, base);
	return true;
}

bool ea_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
	if (ea && eb)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (ea != eb)
		return false;
	char ra[PATH_MAX], rb[PATH_MAX];
	if (resolve_parent(a, ra) && resolve_parent(b, rb))
		return strcmp(ra, rb) == 0;
	return strcmp(a, b) == 0;
}
