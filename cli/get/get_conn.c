/*
 * cli/get/get_conn.c - `skit get`'s connection: resolve, Happy Eyeballs,
 * TLS, and reads and writes bounded by the idle timeout.
 */
#include "cli.h"
#include "get.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

/* A tcp address for the URL's host and port, built without parsing. */
static int
url_to_addr(const struct skit_url *u, int family, struct skit_addr *a,
	    struct skit_err *err)
{
	int rc;

	skit_addr_init(a, SKIT_KIND_TCP, SKIT_ROLE_CONNECT);
	rc = skit_addr_set_family(a, u->host_is_ipv6 ? AF_INET6 : family, err);
	if (rc == 0)
		rc = skit_addr_set_host(a, u->host, err);
	if (rc == 0)
		rc = skit_addr_set_port_num(a, u->port, err);
	return rc;
}

int
get_conn_open(struct get_conn *c, const struct skit_url *u,
	      const struct get_opts *o, struct skit_tls_ctx *tls,
	      struct skit_err *err)
{
	struct skit_addr a;
	struct skit_resolved r = { 0 };
	struct skit_sockaddr peer, local;
	char ptxt[128], ltxt[128], atxt[300];
	int fd, rc;

	c->fd = -1;
	c->tls = NULL;
	c->idle_ms = o->idle_timeout_ms;
	if (u->host_is_ipv6 && o->family == AF_INET) {
		skit_url_addr_text(u, AF_UNSPEC, atxt, sizeof(atxt));
		return skit_err_setf(err, SKIT_EAI_FAMILY, "connect", atxt, 0,
				     "an IPv6 address with -4");
	}
	rc = url_to_addr(u, o->family, &a, err);
	if (rc < 0)
		return rc;
	skit_url_addr_text(u, o->family, atxt, sizeof(atxt));
	rc = skit_resolve(&a, 0, NULL, &r, err);
	if (rc < 0) {
		if (err && !err->subject[0])
			snprintf(err->subject, sizeof(err->subject), "%s",
				 u->host);
		return rc;
	}
	if (o->verbose) {
		for (size_t i = 0; i < r.n; i++) {
			skit_sockaddr_str(&r.v[i], ptxt, sizeof(ptxt));
			cli_verbose("%s resolves to %s", u->host, ptxt);
		}
	}
	fd = skit_connect_he(&a, &r, 250, o->connect_timeout_ms,
			     SKIT_OPEN_NONBLOCK, &peer, err);
	skit_resolved_free(&r);
	if (fd < 0) {
		if (err && !err->subject[0])
			snprintf(err->subject, sizeof(err->subject), "%.*s",
				 (int)sizeof(err->subject) - 1, atxt);
		return fd;
	}
	c->fd = fd;
	if (o->verbose) {
		if (skit_sock_local(fd, &local) == 0)
			skit_sockaddr_str(&local, ltxt, sizeof(ltxt));
		else
			snprintf(ltxt, sizeof(ltxt), "?");
		skit_sockaddr_str(&peer, ptxt, sizeof(ptxt));
		cli_verbose("connected %s -> %s", ltxt, ptxt);
	}
	if (u->scheme == SKIT_URL_HTTPS) {
		struct skit_tls_info info;

		rc = skit_tls_connect(tls, fd, u->host,
				      o->connect_timeout_ms >= 0
					      ? o->connect_timeout_ms
					      : o->idle_timeout_ms,
				      &c->tls, err);
		if (rc < 0) {
			if (err && rc == -ETIMEDOUT)
				snprintf(err->detail, sizeof(err->detail),
					 "timed out");
			get_conn_close(c, false);
			return rc;
		}
		skit_tls_info(c->tls, &info);
		if (o->verbose) {
			cli_verbose("TLS %s, cipher %s%s%s", info.version,
				    info.cipher, info.alpn[0] ? ", ALPN " : "",
				    info.alpn);
			cli_verbose("certificate subject %s", info.subject);
			cli_verbose("certificate issuer %s", info.issuer);
			cli_verbose("certificate %s%s%s",
				    info.verified ? "verified" : "NOT verified",
				    info.verified ? "" : ": ",
				    info.verified ? "" : info.reason);
		}
		if (o->insecure && !info.verified && !o->quiet)
			fprintf(stderr,
				"skit: warning: --insecure: the certificate "
				"of %s is not verified (%s)\n",
				u->host, info.reason);
	}
	return 0;
}

ssize_t
get_conn_read(struct get_conn *c, void *buf, size_t len, struct skit_err *err)
{
	ssize_t n;
	int w;

	if (c->tls)
		return skit_tls_read(c->tls, buf, len, c->idle_ms, err);
	for (;;) {
		n = skit_read_some(c->fd, buf, len);
		if (n != -EAGAIN)
			break;
		w = skit_wait_fd(c->fd, POLLIN, c->idle_ms);
		if (w == 0)
			return skit_err_setf(err, -ETIMEDOUT, "read", "", 0,
					     "no data for %d ms (--timeout)",
					     c->idle_ms);
		if (w < 0) {
			n = w;
			break;
		}
	}
	if (n < 0)
		skit_err_set(err, (int)n, "read", "");
	return n;
}

ssize_t
get_conn_write(struct get_conn *c, const void *buf, size_t len,
	       struct skit_err *err)
{
	ssize_t n;

	if (c->tls)
		return skit_tls_write(c->tls, buf, len, c->idle_ms, err);
	n = skit_write_all(c->fd, buf, len, c->idle_ms);
	if (n < 0)
		skit_err_set(err, (int)n, "write", "");
	return n;
}

void
get_conn_close(struct get_conn *c, bool clean)
{
	if (c->tls) {
		if (clean)
			skit_tls_shutdown(c->tls, 100);
		skit_tls_free(c->tls);
		c->tls = NULL;
	}
	if (c->fd >= 0)
		skit_close(c->fd);
	c->fd = -1;
}
