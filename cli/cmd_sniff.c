/* cli/cmd_sniff.c - placeholder until the command lands. */
#include "cli.h"

int
cmd_sniff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_errorf("sniff: not built yet");
	return CLI_EXIT_FAIL;
}
