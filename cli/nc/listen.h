/*
 * listen.h - `skit listen`'s two files: cmd_listen.c (options, the
 * serve, stdio, the hub, datagrams on stdio) and listen_exec.c
 * (--exec/--sh-exec: a child per client, through the forward).
 */
#ifndef SKIT_CLI_LISTEN_H
#define SKIT_CLI_LISTEN_H

#include "cli.h"
#include "nc.h"

struct listen_opts {
	struct nc_addr_opts ao;
	struct nc_sess_opts so;
	bool keep;
	long long max_conns;
	const char *exec;
	bool sh;
	bool broker, chat;
	bool framing_set;
	long long idle_ms; /* datagram peers */
	struct skit_acl acl;
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

#endif
