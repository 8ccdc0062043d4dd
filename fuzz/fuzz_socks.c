/*
 * fuzz_socks.c - the proxy protocol parsers (skit/proxy.h) on arbitrary
 * bytes: the first byte picks one, the rest is the message. 0-3: the
 * client's reply parsers (SOCKS5 method, RFC 1929 status, SOCKS5 and
 * SOCKS4 replies); 4-6: the server's parsers of what clients send (a
 * SOCKS5 greeting, SOCKS4/4a request or HTTP CONNECT head, an RFC 1929
 * request, a SOCKS5 request); 7: a SOCKS5 UDP datagram's header, whose
 * address written back by skit_proxy_udp_header must parse the same
 * (literals only). A complete message is never longer than the input, an
 * incomplete one asks for at least one more byte, and every string
 * filled in is terminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "skit/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum skit_proxy_stage stages[] = {
		SKIT_PROXY_S5_METHOD,
		SKIT_PROXY_S5_AUTH,
		SKIT_PROXY_S5_REPLY,
		SKIT_PROXY_S4_REPLY,
	};
	struct skit_proxy_request rq;
	struct skit_proxy_reply r;
	uint8_t *buf;
	size_t need = 0, n1;
	ssize_t n;
	int pick;

	if (size < 1)
		return 0;
	n1 = size - 1;
	buf = malloc(n1 ? n1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, n1);
	memset(&r, 0, sizeof(r));
	memset(&rq, 0, sizeof(rq));
	pick = data[0] % 8;
	if (pick < 4) {
		n = skit_proxy_parse_reply(stages[pick], buf, n1, &r, &need);
	} else if (pick == 7) {
		n = skit_proxy_udp_parse(buf, n1, &rq);
		need = 1;
		if (n > 0 && (buf[3] == 1 || buf[3] == 4)) {
			struct skit_proxy_request back;
			struct sockaddr_storage ss = { 0 };
			uint8_t hdr[32];
			size_t hl;

			/* the header's address as a sockaddr, and back */
			ss.ss_family = buf[3] == 1 ? AF_INET : AF_INET6;
			if (buf[3] == 1) {
				memcpy(&((struct sockaddr_in *)&ss)->sin_addr,
				       buf + 4, 4);
				memcpy(&((struct sockaddr_in *)&ss)->sin_port,
				       buf + 8, 2);
			} else {
				memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr,
				       buf + 4, 16);
				memcpy(&((struct sockaddr_in6 *)&ss)->sin6_port,
				       buf + 20, 2);
			}
			hl = skit_proxy_udp_header((struct sockaddr *)&ss, hdr,
						   sizeof(hdr));
			memset(&back, 0, sizeof(back));
			if (hl != (size_t)n ||
			    skit_proxy_udp_parse(hdr, hl, &back) != n ||
			    strcmp(back.host, rq.host) || back.port != rq.port)
				abort();
		}
	} else {
		n = skit_proxy_parse_client((enum skit_proxy_cstage)(pick - 4),
					    buf, n1, &rq, &need);
	}
	if (n > (ssize_t)n1 || (n == 0 && need == 0) ||
	    strlen(r.why) >= sizeof(r.why) ||
	    strlen(rq.host) >= sizeof(rq.host) ||
	    strlen(rq.user) >= sizeof(rq.user) ||
	    strlen(rq.pass) >= sizeof(rq.pass))
		abort();
	free(buf);
	return 0;
}
