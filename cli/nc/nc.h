/*
 * cli/nc/nc.h - helpers shared by the netcat commands (connect, listen,
 * send, recv): nc-style operands and flags turned into an address,
 * --framing, --allow/--deny CIDR lists, --hex dumps.
 */
#ifndef SKIT_CLI_NC_H
#define SKIT_CLI_NC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "skit/endpoint.h"
#include "skit/loop.h"
#include "skit/relay.h"
#include "skit/skit.h"

struct cli_relay_names; /* cli.h */
struct cli_ws;		/* cli_ws.h */

/* --- addresses from nc operands (nc_addr.c) --------------------------- */

/* The nc flags that shape an address: -u -U -4 -6 -n -s ADDR -p PORT. */
struct nc_addr_opts {
	bool udp;	  /* -u */
	bool unix_path;	  /* -U: the operand is a unix socket path */
	int family;	  /* -4 AF_INET, -6 AF_INET6, else AF_UNSPEC */
	bool numeric;	  /* -n: no DNS */
	const char *src;  /* -s ADDR: source address (connect) */
	const char *port; /* -p PORT: source port (connect), port (listen) */
};

/*
 * Turn operands into a parsed address, nc style:
 *   ADDRESS                 skit's grammar (tcp:host:80, unix:@x, ...)
 *   HOST PORT               tcp (udp with -u) to HOST:PORT
 *   PORT                    (listen) every address on PORT
 *   -p PORT [HOST]          (listen) nc -l -p: PORT on every address,
 *                           or on HOST
 *   PATH                    with -U: a unix socket path (or @name)
 * text receives the address text that was parsed (for messages).
 * Returns 0, or prints a message and returns an exit code (2).
 */
int nc_build_addr(int nargs, char **args, enum skit_role role,
		  const struct nc_addr_opts *o, struct skit_addr *out,
		  char *text, size_t textlen);

/*
 * A unique abstract unix name ("@skit-WHO-PID-N") for a datagram
 * client: an unbound unix-dgram socket has no address, so nothing could
 * answer it (the kernel's autobind would name it too, but only on
 * demand and unknown to skit).
 */
void nc_autobind_name(const char *who, char *buf, size_t len);

/* Extra flags for skit_open/skit_resolve from the nc options. */
int nc_open_flags(const struct nc_addr_opts *o);

/* True for datagram-like kinds where one read/write is one message. */
bool nc_is_msg_type(int type);

/* "tcp:127.0.0.1:80" for a skit_sockaddr (never fails; "?" if odd). */
const char *nc_sa_str(const struct skit_sockaddr *sa, char *buf, size_t len);

/* --- framing of messages on stdio ----------------------------------- */

/*
 * --framing (frame.h's enum skit_framing): how messages map to a byte
 * stream on stdio; the library cuts and frames (skit_frame_reader,
 * skit_frame_write). Parse "line", "len" (len32), "len16" or "raw"; 0,
 * or prints a message and returns 2.
 */
int nc_parse_framing(const char *s, enum skit_framing *out);

#define NC_MSG_MAX (256 * 1024) /* largest message read from stdio */

/* --- the hub: --broker, --chat, and listen -k without --exec (nc_hub.c) */

enum nc_hub_mode {
	NC_HUB_FAN,    /* clients -> stdout, stdin -> every client */
	NC_HUB_BROKER, /* each client's bytes -> every other client */
	NC_HUB_CHAT,   /* the same, line by line, prefixed with the sender */
};

struct nc_hub;

/*
 * A hub on loop; stdin/stdout take part in NC_HUB_FAN only. msgs: the
 * members are seqpacket sockets, whose messages keep their boundaries;
 * framing then cuts stdin into messages and frames them on stdout.
 */
struct nc_hub *nc_hub_new(struct skit_loop *loop, enum nc_hub_mode mode,
			  bool hex, bool msgs, enum skit_framing framing);
void nc_hub_free(struct nc_hub *h);

/* Hand a connected, nonblocking socket to the hub (it closes it). */
int nc_hub_add(struct nc_hub *h, int fd, const char *name);

/*
 * Every member added from now on speaks TLS as the server of tls's
 * context (cli_tls.h; kept by the caller), its handshake run on the
 * loop; a failed one is named and the member dropped. Stream hubs only.
 */
struct cli_tls;
void nc_hub_set_tls(struct nc_hub *h, const struct cli_tls *tls);

/*
 * Every member added from now on speaks WebSocket as the server
 * configured by ws (cli_ws.h, from cli_ws_init; kept by the caller), over
 * TLS when set: the hub moves whole messages (create it with msgs and
 * ws->framing). Text mode: each message is a line ("\n" added) on
 * stdout and a text message to the others (binary when not UTF-8);
 * binary and raw: binary messages. --chat prefixes each message.
 */
struct cli_ws;
int nc_hub_set_ws(struct nc_hub *h, const struct cli_ws *ws);

/* Clients connected now. */
int nc_hub_count(const struct nc_hub *h);

/* Called (if set) each time a client leaves. */
void nc_hub_on_leave(struct nc_hub *h, void (*cb)(void *data), void *data);

/* --json: a "closed" event (bytes each way, duration, why) per member
 * that leaves. */
void nc_hub_set_json(struct nc_hub *h, bool on);

/*
 * --json's events of a client (on stderr, docs/json.md): "connected"
 * (both ends, and what TLS negotiated when c has it) and "closed"
 * (bytes each way, how long, why: a relay reason name, error an errno
 * code or 0; TLS details of c too).
 */
void nc_json_connected(const char *local, const char *peer,
		       const struct skit_conn *c);
void nc_json_closed(const char *peer, uint64_t sent, uint64_t received,
		    double secs, const char *reason, int error,
		    const struct skit_conn *c);

/* --- a stdio <-> socket session on the relay engine (nc_session.c) ---- */

struct nc_sess_opts {
	int framing;	   /* enum skit_framing (stream <-> message sides) */
	unsigned dirs;	   /* SKIT_RELAY_AB (stdin -> socket) | BA */
	bool hex;	   /* --hex */
	bool crlf;	   /* -C: "\n" from stdin goes out as "\r\n" */
	bool no_shutdown;  /* --no-shutdown: never shut the socket's write side
			    */
	long long quit_ms; /* -q: end this long after stdin EOF; -1 never */
	long long
		idle_ms; /* -w: end after this long without traffic; 0 never */
	long long send_ms; /* -w, or CLI_SEND_WAIT_MS: how long a full
			      message receiver is waited for */
	const char *what;  /* the peer, for messages: "server" or "client" */
	const char *op;	   /* a time limit's message names the peer by this
			      ("connect", "client") and its address */
	/* TLS over the socket (cli_tls.h), or NULL; its handshake is
	 * waited for tls_wait_ms (< 0: no limit) before the relay starts */
	const struct cli_tls *tls;
	long long tls_wait_ms;
	/* --json: "connected" and "closed" events on stderr (stdout is the
	 * data) */
	bool json;
	struct cli_ws *ws; /* WebSocket over the socket (cli_ws.h), or NULL */
	/* the address's faults (cli/faults.h), or NULL: the fault layer
	 * goes first on the socket */
	const struct skit_fault_cfg *faults;
	/* --control (cli/faults.h), or NULL: served on the session's loop
	 * while it runs */
	struct cli_faults *control;
};

/*
 * Long-option ids connect and listen share; each command numbers its own
 * from NC_OPT__NEXT.
 */
enum {
	NC_OPT_NO_SHUTDOWN = 256,
	NC_OPT_EXIT_ON_EOF,
	NC_OPT_FRAMING,
	NC_OPT_HEX,
	NC_OPT_SEND_ONLY,
	NC_OPT_RECV_ONLY,
	NC_OPT_JSON,
	NC_OPT__NEXT,
};

/*
 * Apply an option connect and listen share: -4 -6 -U -u -n -p -C -q -v
 * and the NC_OPT_* ones (-w differs: the caller handles it). Returns -1
 * when c is not one of them, else 0 or an exit code (a message was
 * printed). *framing_set records an explicit --framing.
 */
int nc_common_opt(int c, const char *arg, struct nc_addr_opts *ao,
		  struct nc_sess_opts *so, bool *framing_set);

/*
 * The faults of address a (cli/faults.h) into *f, and so->faults when
 * it has some (who: "connect", "listen", for -v). 0 or an exit code.
 */
struct cli_faults;
int nc_faults(struct cli_faults *f, const struct skit_addr *a, const char *who,
	      struct nc_sess_opts *so);

/*
 * Relay stdin/stdout and the connected socket fd (taken: closed at the
 * end) until both directions are done. peer_text names the peer in
 * messages. Blocks. Returns the exit code.
 */
int nc_session_stdio(int fd, const char *peer_text,
		     const struct nc_sess_opts *o);

/*
 * The exit code for a relay that ended with stats st: 0 when clean,
 * else after a message naming the operation, the side and the reason
 * ("skit: write to client tcp:...: Connection reset by peer"), or the
 * time limit that ran out (an idle time-out, a full receiver:
 * docs/exit-codes.md, "Time limits"). n names the sides
 * (cli_relay_error); a NULL side is our stdin/stdout (a reader of stdout
 * that went away ends quietly, cli_stdout_failed).
 */
int nc_relay_exit(const struct skit_relay_stats *st,
		  const struct cli_relay_names *n);

/* --- misc ------------------------------------------------------------ */

/*
 * The loop backend the CLI asks for: SKIT_LOOP=poll or SKIT_LOOP=epoll
 * in the environment (loop.h: the library never reads it), else AUTO.
 */
enum skit_loop_backend nc_loop_backend(void);

/* Turn on the per-syscall trace (-vv) on stderr. */
void nc_trace_stderr(void);

#endif
