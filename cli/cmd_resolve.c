/*
 * cli/cmd_resolve.c - `skit resolve ADDRESS...` (placeholder until the
 * address parser and resolver land).
 */
#include "cli.h"

int
cmd_resolve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_errorf("resolve: not built yet");
	return CLI_EXIT_FAIL;
}
