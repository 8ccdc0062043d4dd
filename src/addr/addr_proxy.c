/*
 * addr_proxy.c - socat's proxy address kinds, rewritten into skit's
 * grammar before parsing (docs/proxy.md):
 *
 *   SOCKS4:SERVER:HOST:PORT[,socksport=P][,socksuser=U]
 *   SOCKS4A:SERVER:HOST:PORT[,socksport=P][,socksuser=U]
 *   SOCKS5:SERVER:HOST:PORT[,socksport=P]
 *   SOCKS5-CONNECT:SERVER:SPORT:HOST:PORT          (socat 1.8)
 *   PROXY:SERVER:HOST:PORT[,proxyport=P][,proxy-authorization=U:PW]
 *   PROXY-CONNECT: the same as PROXY:
 *
 * become tcp-connect:HOST:PORT,OPTIONS,proxy=URL (SOCKS ports default
 * to 1080, PROXY's to 8080 as in socat), so they print, round-trip and
 * check like any tcp address.
 */
#include "addr/addr_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *kind;
	const char *scheme;
	int fields; /* 3: SERVER:HOST:PORT, 4: SERVER:SPORT:HOST:PORT */
	const char *port_opt, *user_opt, *def_port;
} socat_proxies[] = {
	{ "SOCKS4", "socks4", 3, "socksport", "socksuser", "1080" },
	{ "SOCKS4A", "socks4a", 3, "socksport", "socksuser", "1080" },
	{ "SOCKS5", "socks5", 3, "socksport", NULL, "1080" },
	{ "SOCKS5-CONNECT", "socks5", 4, NULL, NULL, "1080" },
	{ "PROXY", "http", 3, "proxyport", "proxy-authorization", "8080" },
	{ "PROXY-CONNECT", "http", 3, "proxyport", "proxy-authorization",
	  "8080" },
};

/* One ':'-separated field (a [v6] literal keeps its brackets). */
static size_t
field(const char *t, size_t i, size_t end)
{
	if (i < end && t[i] == '[') {
		while (i < end && t[i] != ']')
			i++;
	}
	while (i < end && t[i] != ':')
		i++;
	return i;
}

/* Is s[0..n) "name=..."? Then its value starts at s + strlen(name) + 1. */
static bool
is_opt(const char *s, size_t n, const char *name)
{
	size_t nl = name ? strlen(name) : 0;

	return nl && n > nl && s[nl] == '=' && !strncasecmp(s, name, nl);
}

/*
 * Sort the options: the proxy's port and user into port and user, the
 * others into rest (joined by ',', in their order).
 */
static void
sort_opts(const char *opts, int si, char *rest, size_t rcap, char *port,
	  size_t pcap, char *user, size_t ucap)
{
	const char *po = socat_proxies[si].port_opt;
	const char *uo = socat_proxies[si].user_opt;
	bool http = !strcmp(socat_proxies[si].scheme, "http");
	size_t rl = 0;

	rest[0] = '\0';
	while (*opts) {
		size_t n = strcspn(opts, ",");

		if (is_opt(opts, n, po))
			snprintf(port, pcap, "%.*s", (int)(n - strlen(po) - 1),
				 opts + strlen(po) + 1);
		else if (is_opt(opts, n, uo))
			snprintf(user, ucap, "%.*s", (int)(n - strlen(uo) - 1),
				 opts + strlen(uo) + 1);
		else if (http && is_opt(opts, n, "proxyauth"))
			snprintf(user, ucap, "%.*s", (int)(n - 10), opts + 10);
		else if (n && rl + n + 2 < rcap)
			rl += (size_t)snprintf(rest + rl, rcap - rl, "%s%.*s",
					       rl ? "," : "", (int)n, opts);
		opts += n;
		if (*opts == ',')
			opts++;
	}
}

int
skit__addr_socat_proxy(const char *text, char *out, size_t cap,
		       struct skit_err *err)
{
	char opts[SKIT_ADDR_TEXT_MAX + 1], port[64], user[256] = "";
	const char *raw;
	size_t k = strcspn(text, ":,"), end, f[4], nf = 0, i;
	const char *server, *host;
	int si = -1, n;

	for (i = 0; i < sizeof(socat_proxies) / sizeof(socat_proxies[0]); i++)
		if (strlen(socat_proxies[i].kind) == k &&
		    !strncasecmp(text, socat_proxies[i].kind, k))
			si = (int)i;
	if (si < 0 || text[k] != ':')
		return 0;
	end = k + 1 + strcspn(text + k + 1, ",");
	raw = text[end] ? text + end + 1 : "";
	for (i = k + 1; nf < 4; i++) {
		f[nf++] = i;
		i = field(text, i, end);
		if (i >= end)
			break;
	}
	if ((int)nf != socat_proxies[si].fields || i != end)
		return skit_err_setf(
			err, SKIT_EADDR, "bad address", text, (int)k + 2,
			"%s takes %s", socat_proxies[si].kind,
			socat_proxies[si].fields == 4 ? "SERVER:PORT:HOST:PORT"
						      : "SERVER:HOST:PORT");
	snprintf(port, sizeof(port), "%s", socat_proxies[si].def_port);
	if (nf == 4)
		snprintf(port, sizeof(port), "%.*s", (int)(f[2] - f[1] - 1),
			 text + f[1]);
	sort_opts(raw, si, opts, sizeof(opts), port, sizeof(port), user,
		  sizeof(user));
	server = text + f[0];
	host = text + f[nf - 2];
	n = snprintf(out, cap, "tcp-connect:%.*s%s%s%sproxy=%s://%s%s%.*s:%s",
		     (int)(end - (size_t)(host - text)), host, ",", opts,
		     opts[0] ? "," : "", socat_proxies[si].scheme, user,
		     user[0] ? "@" : "", (int)(f[1] - f[0] - 1), server, port);
	/* (column 1: the whole address, which the form lengthens) */
	if (n < 0 || (size_t)n >= cap)
		return skit_err_setf(err, SKIT_EADDR, "bad address", text, 1,
				     "address is longer than %zu bytes once "
				     "written as skit's",
				     cap - 1);
	return 1;
}
