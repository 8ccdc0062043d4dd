/*
 * endpoint.c - open an address of any kind as fds for the relay: the
 * sockets through skit_open(), and the non-socket kinds here (stdio,
 * file:, pipe, exec:, sh:). See include/skit/endpoint.h.
 */
#include "skit/endpoint.h"
#include "skit/io.h"

#include "net/sock_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 64

int
skit_exec_split(const char *cmd, char *buf, size_t len, char **argv, int max)
{
	size_t o = 0;
	int n = 0;
	const char *p = cmd;

	if (max < 2 || len == 0)
		return -E2BIG;
	for (;;) {
		char q = 0;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (n >= max - 1)
			return -E2BIG;
		argv[n++] = buf + o;
		for (; *p; p++) {
			char c = *p;

			if (q) {
				if (c == q) {
					q = 0;
					continue;
				}
				if (c == '\\' && q == '"' && p[1])
					c = *++p;
			} else if (c == '\'' || c == '"') {
				q = c;
				continue;
			} else if (c == ' ' || c == '\t' || c == '\n') {
				break;
			} else if (c == '\\' && p[1]) {
				c = *++p;
			}
			if (o + 1 >= len)
				return -E2BIG;
			buf[o++] = c;
		}
		if (q)
			return -EINVAL;
		if (o >= len)
			return -E2BIG;
		buf[o++] = '\0';
	}
	argv[n] = NULL;
	return n > 0 ? n : -EINVAL;
}

/* environ with the extras in front (they win over inherited ones). */
static char **
make_env(char *const *extra)
{
	size_t ne = 0, nx = 0;
	char **v;

	while (environ && environ[ne])
		ne++;
	while (extra && extra[nx])
		nx++;
	v = calloc(ne + nx + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < nx; i++)
		v[i] = extra[i];
	for (size_t i = 0; i < ne; i++)
		v[nx + i] = environ[i];
	return v;
}

static int
open_exec(const struct skit_addr *a, char *const *env, struct skit_endpoint *ep,
	  struct skit_err *err)
{
	char words[SKIT_HOST_MAX + 8];
	char *argv[MAX_ARGS];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char **envp;
	int sv[2], e, n;
	pid_t pid;

	if (a->kind == SKIT_KIND_SH) {
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = (char *)a->host;
		argv[3] = NULL;
	} else {
		n = skit_exec_split(a->host, words, sizeof(words), argv,
				    MAX_ARGS);
		if (n < 0)
			return skit_err_setf(err, SKIT_EADDR, "bad address",
					     a->host, 0, "%s",
					     n == -E2BIG ? "command too long"
							 : "bad quoting");
	}
	e = skit__socketpair(SOCK_STREAM, sv);
	if (e < 0)
		return skit_err_set(err, e, "socketpair", a->host);
	envp = make_env(env);
	if (!envp) {
		skit_close(sv[0]);
		skit_close(sv[1]);
		return skit_err_set(err, -ENOMEM, "exec", a->host);
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	/*
	 * The child's stdin and stdout are its end of the socketpair;
	 * stderr stays skit's; every other fd is closed, so no socket of
	 * another connection leaks into it. skit ignores SIGPIPE, and an
	 * ignored signal would stay ignored across exec: reset it.
	 */
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGCHLD);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	if (a->kind == SKIT_KIND_SH)
		e = posix_spawn(&pid, argv[0], &fa, &at, argv, envp);
	else
		e = posix_spawnp(&pid, argv[0], &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(envp);
	skit_close(sv[1]);
	if (e != 0) {
		skit_close(sv[0]);
		return skit_err_set(err, -e, "exec", argv[0]);
	}
	skit__trace("spawn(%s) = %d", argv[0], (int)pid);
	ep->rfd = ep->wfd = sv[0];
	ep->type = SOCK_STREAM;
	ep->pid = pid;
	return 0;
}

static int
open_file(const struct skit_addr *a, unsigned flags, struct skit_endpoint *ep,
	  struct skit_err *err)
{
	bool wr_opts = skit_addr_num(a, SKIT_OPT_CREATE, 0) ||
		       skit_addr_num(a, SKIT_OPT_APPEND, 0) ||
		       skit_addr_num(a, SKIT_OPT_TRUNC, 0);
	bool writing;
	int of, fd;

	/*
	 * One way only: a file is a source, or (with create, append or
	 * trunc, or when the relay only writes it) a sink. Reading and
	 * writing one file through one relay has no useful meaning.
	 */
	if ((flags & SKIT_EP_WRITE) && !(flags & SKIT_EP_READ))
		writing = true;
	else if ((flags & SKIT_EP_READ) && !(flags & SKIT_EP_WRITE))
		writing = false;
	else
		writing = wr_opts;
	if (writing) {
		of = O_WRONLY;
		if (skit_addr_num(a, SKIT_OPT_CREATE, 0) ||
		    skit_addr_num(a, SKIT_OPT_APPEND, 0) ||
		    skit_addr_num(a, SKIT_OPT_TRUNC, 0))
			of |= O_CREAT;
		if (skit_addr_num(a, SKIT_OPT_APPEND, 0))
			of |= O_APPEND;
		if (skit_addr_num(a, SKIT_OPT_TRUNC, 0))
			of |= O_TRUNC;
	} else {
		of = O_RDONLY;
	}
	fd = open(a->host, of | O_CLOEXEC | O_NOCTTY,
		  (mode_t)skit_addr_num(a, SKIT_OPT_MODE, 0666));
	if (fd < 0)
		return skit_err_set(err, -errno, "open", a->host);
	ep->rfd = writing ? -1 : fd;
	ep->wfd = writing ? fd : -1;
	ep->type = 0;
	return 0;
}

static int
open_pipe(const struct skit_addr *a, struct skit_endpoint *ep,
	  struct skit_err *err)
{
	struct stat st;
	int p[2], fd;

	if (!a->host[0]) {
		/* Echo: what the relay writes into it comes back out. */
		int e = skit_pipe(p, false);

		if (e < 0)
			return skit_err_set(err, e, "pipe", "pipe");
		ep->rfd = p[0];
		ep->wfd = p[1];
		ep->type = 0;
		return 0;
	}
	if (stat(a->host, &st) < 0) {
		if (errno != ENOENT ||
		    mkfifo(a->host,
			   (mode_t)skit_addr_num(a, SKIT_OPT_MODE, 0666)) < 0)
			return skit_err_set(err, -errno, "mkfifo", a->host);
	} else if (!S_ISFIFO(st.st_mode)) {
		return skit_err_setf(err, -EINVAL, "open", a->host, 0,
				     "not a fifo");
	}
	/* Read-write, so opening does not wait for a peer. */
	fd = open(a->host, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return skit_err_set(err, -errno, "open", a->host);
	ep->rfd = ep->wfd = fd;
	ep->type = 0;
	return 0;
}

static int
open_stdio(unsigned flags, struct skit_endpoint *ep)
{
	int t;

	ep->stdio = true;
	ep->rfd = (flags & SKIT_EP_READ) ? 0 : -1;
	ep->wfd = (flags & SKIT_EP_WRITE) ? 1 : -1;
	ep->saved_fl[0] = skit_fd_flags(0);
	ep->saved_fl[1] = skit_fd_flags(1);
	/* inetd style: stdin may itself be a socket. */
	t = skit__sock_type(0);
	ep->type = t > 0 && ep->rfd >= 0 && skit__sock_type(1) == t ? t : 0;
	return 0;
}

static void
ep_init(const struct skit_addr *a, struct skit_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->rfd = ep->wfd = -1;
	ep->saved_fl[0] = ep->saved_fl[1] = -1;
	ep->kind = a->kind;
}

static int
open_flags(unsigned flags)
{
	return ((flags & SKIT_EP_NONBLOCK) ? SKIT_OPEN_NONBLOCK : 0) |
	       ((flags & SKIT_EP_NUMERIC) ? SKIT_OPEN_NUMERIC : 0);
}

static int
ep_open(const struct skit_addr *a, enum skit_role default_role, unsigned flags,
	char *const *env, const struct skit_resolver *res,
	struct skit_endpoint *ep, struct skit_err *err)
{
	enum skit_role role;
	int fd;

	ep_init(a, ep);
	if (!(flags & (SKIT_EP_READ | SKIT_EP_WRITE)))
		flags |= SKIT_EP_READ | SKIT_EP_WRITE;
	switch (a->kind) {
	case SKIT_KIND_STDIO:
		return open_stdio(flags, ep);
	case SKIT_KIND_FILE:
		return open_file(a, flags, ep, err);
	case SKIT_KIND_PIPE:
		return open_pipe(a, ep, err);
	case SKIT_KIND_EXEC:
	case SKIT_KIND_SH:
		return open_exec(a, env, ep, err);
	default:
		break;
	}
	if (!skit_kind_is_socket(a->kind))
		return skit_err_setf(err, SKIT_EKIND, "open", a->kind_text, 0,
				     "cannot relay this kind");
	role = a->role != SKIT_ROLE_DEFAULT ? a->role : default_role;
	fd = skit_open(a, default_role, open_flags(flags), res, &ep->local,
		       &ep->peer, err);
	if (fd < 0)
		return fd;
	ep->rfd = ep->wfd = fd;
	ep->type = a->type;
	ep->listening = role == SKIT_ROLE_LISTEN;
	return 0;
}

int
skit_endpoint_open(const struct skit_addr *a, enum skit_role default_role,
		   unsigned flags, char *const *env, struct skit_endpoint *ep,
		   struct skit_err *err)
{
	return ep_open(a, default_role, flags, env, NULL, ep, err);
}

/* --- on a loop ------------------------------------------------------ */

struct skit_endpoint_op {
	struct skit_loop *loop;
	struct skit_addr a;
	struct skit_endpoint_async cfg;
	char **env;		/* a copy of cfg.env, one allocation */
	struct skit_dial *dial; /* a connecting socket */
	int64_t timer;		/* every other kind */
	bool in_cb;
};

static void
op_free(struct skit_endpoint_op *op)
{
	if (op->timer > 0)
		skit_loop_timer_cancel(op->loop, op->timer);
	skit_dial_cancel(op->dial);
	free(op->env);
	free(op);
}

static void
op_done(struct skit_endpoint_op *op, int code, struct skit_endpoint *ep,
	const struct skit_err *err)
{
	op->in_cb = true;
	op->cfg.on_done(op, code, code < 0 ? NULL : ep, err, op->cfg.data);
	op_free(op);
}

static void
op_dialled(struct skit_dial *d, int code, const struct skit_dial_result *res,
	   const struct skit_err *err, void *data)
{
	struct skit_endpoint_op *op = data;
	struct skit_endpoint ep;

	(void)d;
	op->dial = NULL; /* it frees itself when this returns */
	ep_init(&op->a, &ep);
	if (code == 0) {
		ep.rfd = ep.wfd = res->fd;
		ep.type = op->a.type;
		ep.peer = res->peer;
		if (skit_sock_local(res->fd, &ep.local) < 0)
			memset(&ep.local, 0, sizeof(ep.local));
	}
	op_done(op, code, &ep, err);
}

static void
op_retry(struct skit_dial *d, int attempt, int64_t delay_ms,
	 const struct skit_err *why, void *data)
{
	struct skit_endpoint_op *op = data;

	op->cfg.on_retry(d, attempt, delay_ms, why, op->cfg.data);
}

static void
op_now(struct skit_loop *loop, void *data)
{
	struct skit_endpoint_op *op = data;
	struct skit_endpoint ep;
	struct skit_err err;
	int code;

	(void)loop;
	op->timer = 0;
	skit_err_clear(&err);
	code = ep_open(&op->a, op->cfg.default_role, op->cfg.flags, op->env,
		       op->cfg.res, &ep, &err);
	op_done(op, code, &ep, &err);
}

/* A NULL-terminated copy of env in one allocation (NULL for none). */
static char **
env_copy(char *const *env)
{
	size_t n = 0, bytes = 0;
	char **v, *p;

	if (!env)
		return NULL;
	for (; env[n]; n++)
		bytes += strlen(env[n]) + 1;
	v = malloc((n + 1) * sizeof(*v) + bytes);
	if (!v)
		return NULL;
	p = (char *)(v + n + 1);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(env[i]) + 1;

		memcpy(p, env[i], l);
		v[i] = p;
		p += l;
	}
	v[n] = NULL;
	return v;
}

int
skit_endpoint_open_async(struct skit_loop *loop, const struct skit_addr *a,
			 const struct skit_endpoint_async *cfg,
			 struct skit_endpoint_op **out, struct skit_err *err)
{
	struct skit_endpoint_op *op;
	enum skit_role role =
		a->role != SKIT_ROLE_DEFAULT ? a->role : cfg->default_role;
	int r;

	*out = NULL;
	skit_err_clear(err);
	if (!cfg->on_done)
		return skit_err_set(err, -EINVAL, "open", a->host);
	op = calloc(1, sizeof(*op));
	if (!op)
		return skit_err_set(err, -ENOMEM, "open", a->host);
	op->loop = loop;
	op->a = *a;
	op->cfg = *cfg;
	op->cfg.env = NULL;
	op->env = env_copy(cfg->env);
	if (cfg->env && !op->env) {
		free(op);
		return skit_err_set(err, -ENOMEM, "open", a->host);
	}
	if (skit_kind_is_socket(a->kind) && a->kind != SKIT_KIND_PACKET &&
	    role != SKIT_ROLE_LISTEN) {
		struct skit_dial_cfg dc = {
			.flags = open_flags(cfg->flags),
			.res = cfg->res,
			.on_done = op_dialled,
			.on_retry = cfg->on_retry ? op_retry : NULL,
			.data = op,
		};

		r = skit_dial_start(loop, a, &dc, &op->dial, err);
	} else {
		op->timer = skit_loop_timer(loop, 0, op_now, op);
		r = op->timer < 0
			    ? skit_err_set(err, (int)op->timer, "open", a->host)
			    : 0;
		if (r < 0)
			op->timer = 0;
	}
	if (r < 0) {
		op_free(op);
		return r;
	}
	*out = op;
	return 0;
}

void
skit_endpoint_open_cancel(struct skit_endpoint_op *op)
{
	/* From inside on_done the op frees itself when it returns. */
	if (!op || op->in_cb)
		return;
	op_free(op);
}

int
skit_endpoint_to_end(struct skit_endpoint *ep, struct skit_relay_end *end)
{
	memset(end, 0, sizeof(*end));
	end->rfd = ep->rfd;
	end->wfd = ep->wfd;
	end->type = ep->type;
	end->own = !ep->stdio;
	if (!ep->stdio)
		ep->rfd = ep->wfd = -1;
	return 0;
}

void
skit_endpoint_close(struct skit_endpoint *ep)
{
	if (ep->stdio) {
		/* The relay made them O_NONBLOCK; the shell shares them. */
		if (ep->saved_fl[0] >= 0)
			(void)skit_fd_set_flags(0, ep->saved_fl[0]);
		if (ep->saved_fl[1] >= 0)
			(void)skit_fd_set_flags(1, ep->saved_fl[1]);
		ep->saved_fl[0] = ep->saved_fl[1] = -1;
		ep->rfd = ep->wfd = -1;
		return;
	}
	if (ep->rfd >= 0)
		skit_close(ep->rfd);
	if (ep->wfd >= 0 && ep->wfd != ep->rfd)
		skit_close(ep->wfd);
	ep->rfd = ep->wfd = -1;
}

int
skit_endpoint_wait(struct skit_endpoint *ep, bool block, int *status)
{
	int st = 0;
	pid_t r;

	if (ep->pid <= 0)
		return 0;
	do
		r = waitpid(ep->pid, &st, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	ep->pid = 0;
	if (status)
		*status = st;
	return 1;
}
