/* samefile.h — whether two paths name one file.
 *
 * For the command line's sanity checks: an output (--eve) given the path
 * of an input (a capture, the database, a data file) would destroy
 * evidence or lose the output. */
#ifndef EA_SAMEFILE_H
#define EA_SAMEFILE_H

#include <stdbool.h>

/* true when a and b name the same file: the same device and inode when
 * both exist (hard links and symlinks included), else the same path once
 * each one's directory is resolved (two new files given one name). Paths
 * whose directory cannot be resolved compare as given. Never fails. */
bool ea_same_file(const char *a, const char *b);

#endif
