/*
 * version.c - the library's version string.
 */
#include "skit/skit.h"

const char *
skit_version(void)
{
	return SKIT_VERSION;
}
