/* testutil.h — what every cmocka test includes, in the order cmocka needs. */
#ifndef EA_TESTUTIL_H
#define EA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Root of the source tree, for data files (signatures/, pcaps/). */
#ifndef EA_TOPDIR
#define EA_TOPDIR "."
#endif
/* Shared real-world captures, beside the project checkout. */
#define EA_SHARED_PCAPS EA_TOPDIR "/../shared/pcaps/external"

/* A FILE* over a string, so parsers are tested without temporary files. */
static inline FILE *ea_test_memfile(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	return f;
}

#endif
