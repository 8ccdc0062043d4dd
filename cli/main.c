/*
 * cli/main.c - `skit`: global options and the subcommand table.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/*
 * The subcommands, sorted by name (a unit of cli tests checks the
 * order). Adding one: see cli/cli.h.
 */
static const struct command commands[] = {
	{ "bench", cmd_bench,
	  "load-test an echo server: throughput, latency, "
	  "connection rate" },
	{ "connect", cmd_connect, "connect to ADDRESS and relay stdin/stdout" },
	{ "echo", cmd_echo, "echo, discard or source server for every kind" },
	{ "get", cmd_get, "fetch an http:// or https:// URL (like wget)" },
	{ "help", cmd_help, "show help for skit or a command" },
	{ "ifaces", cmd_ifaces, "list interfaces and addresses (netlink)" },
	{ "listen", cmd_listen, "listen on ADDRESS and serve clients" },
	{ "ping", cmd_ping, "ICMP echo (or TCP/UDP/unix round trips)" },
	{ "probe", cmd_probe,
	  "which domain x type x protocol combinations work here, and why" },
	{ "proxy", cmd_proxy, "SOCKS5, SOCKS4a and HTTP CONNECT proxy server" },
	{ "recv", cmd_recv,
	  "receive datagrams and print them with the sender" },
	{ "relay", cmd_relay, "relay two endpoints both ways (socat's job)" },
	{ "resolve", cmd_resolve,
	  "explain an address: socket() call, options, sockaddrs" },
	{ "send", cmd_send, "send datagrams (one per message)" },
	{ "sniff", cmd_sniff, "capture packets (AF_PACKET) with filters" },
	{ "sockets", cmd_sockets,
	  "list every socket in the namespace (ss over sock_diag)" },
	{ "version", cmd_version, "print skit's version" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* Levenshtein distance of two short words, capped at 9. */
static int
distance(const char *a, const char *b)
{
	int row[16], la = (int)strlen(a), lb = (int)strlen(b);

	if (la > 15 || lb > 15)
		return 9;
	for (int j = 0; j <= lb; j++)
		row[j] = j;
	for (int i = 1; i <= la; i++) {
		int prev = row[0], cur;

		row[0] = i;
		for (int j = 1; j <= lb; j++) {
			cur = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (cur + 1 < row[j])
				row[j] = cur + 1;
			prev = cur;
		}
	}
	return row[lb] > 9 ? 9 : row[lb];
}

/* "hint: did you mean 'probe'?" for a mistyped or abbreviated command. */
static void
suggest(const char *name)
{
	const struct command *best = NULL;
	int bestd = 3;

	for (size_t i = 0; i < N_COMMANDS; i++) {
		int d = distance(name, commands[i].name);

		if (!strncmp(commands[i].name, name, strlen(name)) && *name)
			d = 1;
		if (d < bestd) {
			bestd = d;
			best = &commands[i];
		}
	}
	if (best)
		cli_hint("did you mean 'skit %s'?", best->name);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: skit [-v] [--trace[=json]] COMMAND [ARGS...]\n"
		   "       skit --help | --version | help COMMAND | help "
		   "concepts\n\n"
		   "skit is a socket toolkit: one address grammar for every "
		   "socket domain and type.\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f,
		"\naddresses:  KIND:TARGET[,OPTION[=VALUE]...]   e.g. "
		"tcp:127.0.0.1:8080, udp6:[::1]:53,\n"
		"            unix:/run/a.sock, unix-seqpacket:@name, "
		"tcp-listen::0,reuseaddr\n"
		"            (see docs/addresses.md; skit resolve ADDRESS "
		"explains one)\n"
		"\nglobal options:\n"
		"  -v, --verbose   more diagnostics on stderr (repeat for "
		"more)\n"
		"      --trace     narrate every socket and fd call on stderr\n"
		"      --trace=json  the same, one JSON object per call\n"
		"  -h, --help      show this help\n"
		"  -V, --version   print the version\n"
		"\nexit codes: 0 ok, 1 failed, 2 usage/address syntax, 3 name "
		"resolution,\n"
		"  4 refused/unreachable, 5 timed out, 6 permission, 7 reset "
		"or cut short, 8 TLS\n");
}

int
cmd_version(int argc, char **argv)
{
	if (argc > 1 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: skit version\n\nPrint skit's version.\n");
		return CLI_EXIT_OK;
	}
	printf("skit %s\n", skit_version());
	return CLI_EXIT_OK;
}

/* docs/concepts.md, made a string at build time (see the Makefile). */
static const char concepts_page[] =
#include "concepts.inc"
	;

int
cmd_help(int argc, char **argv)
{
	const struct command *c;
	char *sub[] = { NULL, "--help", NULL };

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "concepts")) {
		fputs(concepts_page, stdout);
		return CLI_EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c || c->fn == cmd_help || c->fn == cmd_version) {
		if (c) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		cli_errorf("help: unknown command '%s'", argv[1]);
		suggest(argv[1]);
		return CLI_EXIT_USAGE;
	}
	sub[0] = argv[1];
	return c->fn(2, sub);
}

/* Global options, then the command; returns its exit code. */
static int
run(int argc, char **argv)
{
	const struct command *c;
	int i = 1;

	/*
	 * A peer that goes away must never kill skit: writes to a closed
	 * pipe or socket report EPIPE instead (sockets also use
	 * MSG_NOSIGNAL).
	 */
	signal(SIGPIPE, SIG_IGN);
	/* SIGINT, SIGTERM, SIGHUP: end by the signal (cli/stop.c). */
	cli_stop_init();

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			return cmd_version(0, NULL);
		} else if (!strcmp(a, "--trace")) {
			cli_g.trace = true;
		} else if (!strcmp(a, "--trace=json")) {
			cli_g.trace = true;
			cli_g.trace_json = true;
		} else if (!strcmp(a, "--verbose")) {
			cli_g.verbose++;
		} else if (a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
			cli_g.verbose += (int)strlen(a + 1);
		} else {
			cli_errorf("unknown option '%s'", a);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	c = find_command(argv[i]);
	if (!c) {
		cli_errorf("unknown command '%s'", argv[i]);
		suggest(argv[i]);
		fprintf(stderr, "run 'skit --help' for the list of commands\n");
		return CLI_EXIT_USAGE;
	}
	/* DESIGN.md section 5: colour only on a terminal, never with NO_COLOR.
	 */
	{
		const char *term = getenv("TERM");

		cli_g.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
			      !(term && !strcmp(term, "dumb"));
	}
	if (cli_g.trace || cli_g.verbose >= 2)
		cli_trace_start(cli_g.trace_json);
	return c->fn(argc - i, argv + i);
}

int
main(int argc, char **argv)
{
	int rc = run(argc, argv);

	/* what --trace counted and has not yet said (skit/io.h) */
	skit_trace_flush();

	/*
	 * Output still in stdio's buffer is written only now: a full disk
	 * or a closed stdout must fail the command here, with the reason.
	 */
	cli_stdout_flush();
	if (fclose(stdout) != 0 && !cli_g.stdout_code)
		cli_stdout_failed(-errno);
	if (rc == CLI_EXIT_OK && cli_g.stdout_code &&
	    cli_g.stdout_code != -EPIPE)
		rc = CLI_EXIT_FAIL;
	/* A command stopped by a signal ends by it (cli/stop.c). */
	return cli_stop_end(rc);
}
