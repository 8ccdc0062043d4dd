/* placeholder */
#include "ping.h"

bool
ping_is_transport(const char *target)
{
	(void)target;
	return false;
}

int
ping_transport(const struct ping_opts *o)
{
	(void)o;
	return CLI_EXIT_USAGE;
}
