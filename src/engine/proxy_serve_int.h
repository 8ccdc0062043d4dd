/*
 * proxy_serve_int.h - what proxy_serve.c (the tunnels) and proxy_udp.c
 * (a UDP ASSOCIATE's relay) share: the records, and the calls between
 * them. Inside libskit only.
 */
#ifndef SKIT_PROXY_SERVE_INT_H
#define SKIT_PROXY_SERVE_INT_H

#include "skit/dial.h"
#include "skit/proxy_serve.h"
#include "skit/relay.h"

#include <netinet/in.h>

#define PROXY_UDP_PEERS	    16	  /* destinations an association answers from */
#define PROXY_UDP_MAX	    65536 /* largest datagram relayed */
#define PROXY_UDP_ASSOCIATE 3	  /* the SOCKS5 command */

enum tstate { T_HANDSHAKE = 0, T_DIAL, T_ANSWER, T_RELAY, T_UDP };

struct skit_proxy_tunnel {
	struct skit_proxy_serve *ps;
	struct skit_proxy_tunnel *prev, *next;
	unsigned long long id;
	enum tstate st;
	int cfd, dfd;
	struct skit_proxy_accept *pa;
	struct skit_proxy_request rq;
	struct skit_dial *dial;
	struct skit_relay *relay;
	int64_t timer;
	int64_t start_ns;
	int code; /* the answer's code */
	struct skit_sockaddr bound;
	char client[300], dest[300], why[300], udp_relay[300];
	/* UDP ASSOCIATE */
	int ufd;
	struct skit_sockaddr cpeer; /* the client's control peer */
	struct sockaddr_storage uc; /* the client's UDP address, once known */
	socklen_t uclen;
	struct sockaddr_storage peers[PROXY_UDP_PEERS];
	socklen_t peerlen[PROXY_UDP_PEERS];
	int npeers, nextpeer;
	uint64_t bytes[2], msgs[2], dropped;
};

struct skit_proxy_serve {
	struct skit_proxy_serve_cfg cfg;
	struct skit_loop *loop;
	struct skit_serve *serve;
	struct skit_resolver hook;
	struct skit_proxy_tunnel *tunnels;
	unsigned long long next_id;
	unsigned long live;
	uint8_t *ubuf; /* PROXY_UDP_MAX + 32: a datagram in, one out */
};

/* Close a tunnel that has no relay pair (proxy_serve.c). */
void skit__proxy_tunnel_free(struct skit_proxy_tunnel *t);
/* May sa be reached (the destination acl)? */
bool skit__proxy_dest_ok(const struct skit_proxy_serve *ps,
			 const struct sockaddr *sa);
/* host:port as a sockaddr when host is a literal: its length, or 0. */
socklen_t skit__proxy_literal_sa(const char *host, uint16_t port,
				 struct sockaddr_storage *ss);

/*
 * UDP ASSOCIATE (proxy_udp.c). open: the relay socket on the IP the
 * client reached (port 0), and the client's UDP address when it named
 * one: 0, or the code to answer with and why (why[len]). run: once
 * answered, relay until the control connection ends (on_open now,
 * on_close then): 0 or a code.
 */
int skit__proxy_udp_open(struct skit_proxy_tunnel *t, char *why, size_t len);
int skit__proxy_udp_run(struct skit_proxy_tunnel *t);

#endif
