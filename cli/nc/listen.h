/*
 * listen.h - `skit listen`'s files: cmd_listen.c (options, the serve,
 * one client on stdio, the hub), listen_exec.c (--exec/--sh-exec: a
 * child per client, through the forward) and listen_dgram.c (a
 * datagram server on stdio).
 */
#ifndef SKIT_CLI_LISTEN_H
#define SKIT_CLI_LISTEN_H

#include "cli.h"
#include "cli_tls.h"
#include "cli_ws.h"
#include "nc.h"

struct listen_opts {
	struct nc_addr_opts ao;
	struct nc_sess_opts so;
	bool keep;
	long long max_conns;
	const char *exec;
	const char *control; /* --control unix:PATH, or NULL */
	bool sh;
	bool broker, chat;
	bool framing_set;
	long long idle_ms; /* datagram peers */
	struct skit_acl acl;
	struct cli_tls_flags tlsf;
	struct cli_tls tls;
};

struct server {
	struct listen_opts *o;
	struct skit_loop *loop;
	struct skit_addr addr;
	struct skit_serve *serve;
	struct skit_sockaddr local;
	char local_text[300];
	bool dgram;
	struct skit_fwd *fwd; /* --exec: the forward */
	struct nc_hub *hub;
	int exit_code;
	bool done_accepting; /* without -k: the one client came */
	int first_fd;	     /* the one stdio client, once taken */
	char first_name[300];
	bool ws;	   /* WebSocket clients (the address's ws) */
	struct cli_ws ws1; /* the one stdio client's */

	/* datagram server without --exec: stdio */
	struct skit_frame_reader in;
	bool in_open;
	struct sockaddr_storage last;
	socklen_t lastlen;
	bool has_last;
};

/*
 * --exec: serve s->addr through a forward (skit/forward.h), each client
 * or datagram peer relayed to its own child; sets s->fwd and s->local.
 * 0, or -1 with err filled.
 */
int listen_exec_start(struct server *s, struct skit_err *err);

/* Datagrams on stdio (listen_dgram.c): the serve's on_datagram (data:
 * the server), and stdin's watcher on the loop (framed messages, each
 * sent to the latest sender). */
void listen_dgram_in(struct skit_serve *sv, struct skit_serve_session *ss,
		     const void *msg, size_t n, void *data);
void listen_dgram_stdin(struct skit_loop *loop, int fd, unsigned ev,
			void *data);

#endif
