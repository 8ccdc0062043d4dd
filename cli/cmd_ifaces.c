/* cli/cmd_ifaces.c - placeholder until the command lands. */
#include "cli.h"

int
cmd_ifaces(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_errorf("ifaces: not built yet");
	return CLI_EXIT_FAIL;
}
